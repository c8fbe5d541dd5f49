/*
 * test_storage_provisioner.c: the decisions of ml-storage-provisioner
 * (src/guest/provisioner.h): which claims it provisions, the volume it
 * writes, which released volumes it reclaims, the directories it makes and
 * removes (and the paths and links it refuses), and the in-cluster
 * configuration reader it shares with ml-dns (kube/k8s.h). Objects are
 * written inline with ' for " to stay readable.
 */
#include "config.h"

#include "guest/provisioner.h"
#include "kube/k8s.h"
#include "base/util.h"
#include "check_json.h"
#include "check_run.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool
wants(const char *claim, bool def)
{
	struct json_object *o = ml_check_json(claim);
	bool r = ml_prov_wants_claim(o, def);

	json_object_put(o);
	return r;
}

#define META "'metadata':{'name':'data','namespace':'web','uid':'u-1'}"
#define REQ "'resources':{'requests':{'storage':'1Gi'}}"

START_TEST(test_storage_provisioner_claims_of_class_standard)
{
	/* Pending (or no status yet), class standard, no volume: ours. */
	ck_assert(wants("{" META ",'spec':{'storageClassName':'standard'," REQ
			"},'status':{'phase':'Pending'}}",
			false));
	ck_assert(wants("{" META ",'spec':{'storageClassName':'standard'}}",
			false));
	/* Another class, bound or being bound, Lost, being deleted: not. */
	ck_assert(
		!wants("{" META ",'spec':{'storageClassName':'fast'}}", true));
	ck_assert(!wants("{" META ",'spec':{'storageClassName':'standard',"
			 "'volumeName':'pv-1'},'status':{'phase':'Pending'}}",
			 true));
	ck_assert(!wants("{" META ",'spec':{'storageClassName':'standard'},"
			 "'status':{'phase':'Bound'}}",
			 true));
	ck_assert(!wants("{" META ",'spec':{'storageClassName':'standard'},"
			 "'status':{'phase':'Lost'}}",
			 true));
	ck_assert(!wants("{'metadata':{'name':'data','namespace':'web',"
			 "'deletionTimestamp':'2026-01-01T00:00:00Z'},"
			 "'spec':{'storageClassName':'standard'}}",
			 true));
	ck_assert(!wants("{" META "}", true));
}
END_TEST

START_TEST(test_storage_provisioner_claims_without_class)
{
	/* No class: ours only while standard is the default class. */
	ck_assert(wants("{" META ",'spec':{" REQ "}}", true));
	ck_assert(!wants("{" META ",'spec':{" REQ "}}", false));
	ck_assert(wants("{" META ",'spec':{'storageClassName':null}}", true));
	/* An explicit "" asks for no class: never provisioned. */
	ck_assert(!wants("{" META ",'spec':{'storageClassName':''}}", true));
}
END_TEST

START_TEST(test_storage_provisioner_default_class_and_policy)
{
	struct json_object *def = ml_check_json(
		"{'metadata':{'name':'standard','annotations':{"
		"'storageclass.kubernetes.io/is-default-class':'true'}},"
		"'provisioner':'minilaunch.io/hostpath','reclaimPolicy':'Retain'}");
	struct json_object *plain = ml_check_json(
		"{'metadata':{'name':'standard','annotations':{"
		"'storageclass.kubernetes.io/is-default-class':'false'}}}");

	struct json_object *other = ml_check_json(
		"{'metadata':{'name':'standard'},'provisioner':'k8s.io/x'}");

	ck_assert(ml_prov_class_is_ours(def));
	ck_assert(ml_prov_class_is_ours(NULL));
	ck_assert(!ml_prov_class_is_ours(other));
	ck_assert(!ml_prov_class_is_ours(plain));
	json_object_put(other);
	ck_assert(ml_prov_class_is_default(def));
	ck_assert(!ml_prov_class_is_default(plain));
	ck_assert(!ml_prov_class_is_default(NULL));
	ck_assert_str_eq(ml_prov_class_reclaim_policy(def), "Retain");
	ck_assert_str_eq(ml_prov_class_reclaim_policy(plain), "Delete");
	ck_assert_str_eq(ml_prov_class_reclaim_policy(NULL), "Delete");
	json_object_put(def);
	json_object_put(plain);
}
END_TEST

/* A key with dots in it, which ml_json_str() would split. */
static const char *
key_str(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v ? json_object_get_string(v) : NULL;
}

START_TEST(test_storage_provisioner_volume_written)
{
	struct json_object *claim = ml_check_json(
		"{" META ",'spec':{'storageClassName':'standard',"
		"'accessModes':['ReadWriteOnce','ReadOnlyMany']," REQ "}}");
	struct json_object *pv = NULL;
	ml_autofree char *name = ml_prov_volume_name(claim);

	ck_assert_str_eq(name, "pvc-u-1");
	ck_assert_int_eq(ml_prov_volume_for_claim(claim, "/r", "Retain", &pv),
			 0);
	ck_assert_str_eq(ml_json_str(pv, "kind"), "PersistentVolume");
	ck_assert_str_eq(ml_json_str(pv, "metadata.name"), "pvc-u-1");
	ck_assert_str_eq(key_str(ml_json_get(pv, "metadata.annotations"),
				 "pv.kubernetes.io/provisioned-by"),
			 "minilaunch.io/hostpath");
	ck_assert_str_eq(key_str(ml_json_get(pv, "metadata.labels"),
				 "app.kubernetes.io/managed-by"),
			 "minilaunch");
	ck_assert_str_eq(ml_json_str(pv, "spec.hostPath.path"), "/r/web/data");
	ck_assert_str_eq(ml_json_str(pv, "spec.capacity.storage"), "1Gi");
	ck_assert_str_eq(json_object_to_json_string(
				 ml_json_get(pv, "spec.accessModes")),
			 "[ \"ReadWriteOnce\", \"ReadOnlyMany\" ]");
	ck_assert_str_eq(ml_json_str(pv, "spec.persistentVolumeReclaimPolicy"),
			 "Retain");
	ck_assert_str_eq(ml_json_str(pv, "spec.storageClassName"), "standard");
	ck_assert_str_eq(ml_json_str(pv, "spec.claimRef.namespace"), "web");
	ck_assert_str_eq(ml_json_str(pv, "spec.claimRef.name"), "data");
	ck_assert_str_eq(ml_json_str(pv, "spec.claimRef.uid"), "u-1");
	ck_assert_str_eq(ml_json_str(pv, "spec.claimRef.kind"),
			 "PersistentVolumeClaim");
	ck_assert(ml_prov_owns_volume(pv));
	json_object_put(pv);
	json_object_put(claim);

	/* No class and no access modes: the claim's "" and ReadWriteOnce. */
	claim = ml_check_json("{" META ",'spec':{" REQ "}}");
	ck_assert_int_eq(ml_prov_volume_for_claim(claim, "/r", "Delete", &pv),
			 0);
	ck_assert_str_eq(ml_json_str(pv, "spec.storageClassName"), "");
	ck_assert_str_eq(json_object_to_json_string(
				 ml_json_get(pv, "spec.accessModes")),
			 "[ \"ReadWriteOnce\" ]");
	json_object_put(pv);
	json_object_put(claim);
}
END_TEST

static int
volume_fails(const char *claim_text, const char *msg_part)
{
	struct json_object *claim = ml_check_json(claim_text), *pv = NULL;
	int r = ml_prov_volume_for_claim(claim, "/r", "Delete", &pv);

	ck_assert_ptr_null(pv);
	ck_assert_msg(ml_err_msg() && strstr(ml_err_msg(), msg_part),
		      "message '%s' lacks '%s'", ml_err_msg(), msg_part);
	ml_err_clear();
	json_object_put(claim);
	return r;
}

START_TEST(test_storage_provisioner_volume_refused)
{
	ck_assert_int_eq(volume_fails("{" META ",'spec':{}}", "requests no "
							      "storage"),
			 -EINVAL);
	ck_assert_int_eq(volume_fails("{" META ",'spec':{'volumeMode':'Block',"
				      "" REQ "}}",
				      "volumeMode Block"),
			 -EINVAL);
	ck_assert_int_eq(volume_fails("{'metadata':{'name':'data',"
				      "'namespace':'web'},'spec':{" REQ "}}",
				      "has no uid"),
			 -EINVAL);
	ck_assert_int_eq(volume_fails("{'metadata':{'name':'..','namespace':"
				      "'web','uid':'u'},'spec':{" REQ "}}",
				      "no valid namespace and name"),
			 -EINVAL);
}
END_TEST

static enum ml_prov_release
action(const char *text)
{
	struct json_object *o = ml_check_json(text);
	enum ml_prov_release a = ml_prov_release_action(o);

	json_object_put(o);
	return a;
}

#define OURS                                         \
	"'metadata':{'name':'pvc-1','annotations':{" \
	"'pv.kubernetes.io/provisioned-by':'minilaunch.io/hostpath'}}"

START_TEST(test_storage_provisioner_release_actions)
{
	ck_assert_int_eq(action("{" OURS ",'spec':{'persistentVolumeReclaim"
				"Policy':'Delete'},'status':{'phase':'Released'}}"),
			 ML_PROV_DELETE);
	ck_assert_int_eq(action("{" OURS ",'spec':{'persistentVolumeReclaim"
				"Policy':'Retain'},'status':{'phase':'Released'}}"),
			 ML_PROV_RETAIN);
	/* Bound, Available, Failed: nothing yet. */
	ck_assert_int_eq(action("{" OURS ",'spec':{'persistentVolumeReclaim"
				"Policy':'Delete'},'status':{'phase':'Bound'}}"),
			 ML_PROV_KEEP);
	ck_assert_int_eq(action("{" OURS ",'spec':{'persistentVolumeReclaim"
				"Policy':'Delete'},'status':{'phase':'Failed'}}"),
			 ML_PROV_KEEP);
	/* Another provisioner's, or one made by hand: never touched. */
	ck_assert_int_eq(action("{'metadata':{'name':'pvc-1','annotations':{"
				"'pv.kubernetes.io/provisioned-by':'other.io/x'}},"
				"'spec':{'persistentVolumeReclaimPolicy':'Delete'},"
				"'status':{'phase':'Released'}}"),
			 ML_PROV_KEEP);
	ck_assert_int_eq(action("{'metadata':{'name':'pv'},'spec':{"
				"'persistentVolumeReclaimPolicy':'Delete'},"
				"'status':{'phase':'Released'}}"),
			 ML_PROV_KEEP);
	/* Being deleted already. */
	ck_assert_int_eq(action("{'metadata':{'name':'pvc-1','deletionTimestamp':'x',"
				"'annotations':{'pv.kubernetes.io/provisioned-by':"
				"'minilaunch.io/hostpath'}},'spec':{"
				"'persistentVolumeReclaimPolicy':'Delete'},"
				"'status':{'phase':'Released'}}"),
			 ML_PROV_KEEP);
}
END_TEST

/* ml_prov_volume_dir() of a volume whose hostPath is path, under root. */
static int
vdir(const char *root, const char *path, char **ret_ns, char **ret_name)
{
	struct json_object *v;
	ml_autofree char *text = ml_xasprintf(
		"{'metadata':{'name':'pvc-1'},'spec':{'hostPath':{'path':'%s'}}}",
		path);
	ml_autofree char *got = NULL;
	int r;

	v = ml_check_json(text);
	r = ml_prov_volume_dir(v, root, &got, ret_ns, ret_name);
	if (r >= 0)
		ck_assert_str_eq(got, path);
	json_object_put(v);
	if (r < 0)
		ml_err_clear();
	return r;
}

START_TEST(test_storage_provisioner_paths_removed_and_refused)
{
	ml_autofree char *ns = NULL, *name = NULL;

	ck_assert_int_eq(vdir("/r/hp", "/r/hp/web/data", &ns, &name), 0);
	ck_assert_str_eq(ns, "web");
	ck_assert_str_eq(name, "data");
	ck_assert_int_eq(vdir("/r/hp/", "/r/hp/web/data", NULL, NULL), 0);
	/* Outside the root, its parent, a sibling with the root's prefix. */
	ck_assert_int_eq(vdir("/r/hp", "/etc/passwd", NULL, NULL), -EPERM);
	ck_assert_int_eq(vdir("/r/hp", "/r/hp2/web/data", NULL, NULL), -EPERM);
	ck_assert_int_eq(vdir("/r/hp", "/r/hp", NULL, NULL), -EPERM);
	/* Dot-dot, the wrong depth, an empty component. */
	ck_assert_int_eq(vdir("/r/hp", "/r/hp/../../etc", NULL, NULL), -EPERM);
	ck_assert_int_eq(vdir("/r/hp", "/r/hp/web/..", NULL, NULL), -EPERM);
	ck_assert_int_eq(vdir("/r/hp", "/r/hp/web", NULL, NULL), -EPERM);
	ck_assert_int_eq(vdir("/r/hp", "/r/hp/web/data/x", NULL, NULL), -EPERM);
	ck_assert_int_eq(vdir("/r/hp", "/r/hp//data", NULL, NULL), -EPERM);
	ck_assert_int_eq(vdir("/r/hp", "/r/hp/Web/data", NULL, NULL), -EPERM);
}
END_TEST

static char tmp[64];

static void
make_tmp(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/ml-prov-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

/* Whether tmp/rel exists (a link counts, not followed). */
static bool
exists(const char *rel)
{
	ml_autofree char *p = ml_xasprintf("%s/%s", tmp, rel);
	struct stat st;

	return lstat(p, &st) == 0;
}

static void
put_file(const char *rel)
{
	ml_autofree char *p = ml_xasprintf("%s/%s", tmp, rel);

	ck_assert_int_eq(ml_write_file_atomic(p, "x\n", 2, 0644), 0);
}

static void
put_dir(const char *rel)
{
	ml_autofree char *p = ml_xasprintf("%s/%s", tmp, rel);

	ck_assert_int_eq(mkdir(p, 0755), 0);
}

/* A link at tmp/rel to tmp/target (absolute). */
static void
put_link(const char *target, const char *rel)
{
	ml_autofree char *t = ml_xasprintf("%s/%s", tmp, target);
	ml_autofree char *p = ml_xasprintf("%s/%s", tmp, rel);

	ck_assert_int_eq(symlink(t, p), 0);
}

START_TEST(test_storage_provisioner_make_and_remove_dir)
{
	ml_autofree char *root = NULL, *leaf = NULL;
	struct stat st;
	mode_t old = umask(022);

	make_tmp();
	put_dir("root");
	root = ml_xasprintf("%s/root", tmp);
	ck_assert_int_eq(ml_prov_make_dir(root, "web", "data"), 0);
	umask(old);
	leaf = ml_xasprintf("%s/web/data", root);
	ck_assert_int_eq(stat(leaf, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	/* 0777 whatever the umask: any pod user writes. */
	ck_assert_int_eq(st.st_mode & 07777, 0777);
	/* Again: kept, no error (a restart). */
	ck_assert_int_eq(ml_prov_make_dir(root, "web", "data"), 0);
	ck_assert_int_eq(ml_prov_make_dir(root, "web", "logs"), 0);

	/* What pods wrote, with a link to outside the root among it. */
	put_dir("outside");
	put_file("outside/keep");
	put_dir("root/web/data/sub");
	put_file("root/web/data/sub/file");
	put_link("outside", "root/web/data/sub/escape");
	put_link("outside/keep", "root/web/data/keep-link");
	ck_assert_int_eq(ml_prov_remove_dir(root, "web", "data"), 0);
	ck_assert(!exists("root/web/data"));
	/* The links were removed, what they pointed at is untouched. */
	ck_assert(exists("outside/keep"));
	/* web still holds logs: it stays. */
	ck_assert(exists("root/web/logs"));
	/* Gone already: no error. */
	ck_assert_int_eq(ml_prov_remove_dir(root, "web", "data"), 0);
	ck_assert_int_eq(ml_prov_remove_dir(root, "none", "data"), 0);
	/* The last claim of a namespace takes its directory along. */
	ck_assert_int_eq(ml_prov_remove_dir(root, "web", "logs"), 0);
	ck_assert(!exists("root/web"));
	ck_assert(exists("root"));
	ml_rm_rf(tmp);
}
END_TEST

START_TEST(test_storage_provisioner_links_refused)
{
	ml_autofree char *root = NULL;

	make_tmp();
	put_dir("root");
	put_dir("outside");
	put_dir("outside/data");
	put_file("outside/data/precious");
	root = ml_xasprintf("%s/root", tmp);

	/* The namespace's directory is a link out of the root. */
	put_link("outside", "root/evil");
	ck_assert_int_eq(ml_prov_remove_dir(root, "evil", "data"), -ELOOP);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "symbolic link"));
	ml_err_clear();
	ck_assert_int_eq(ml_prov_make_dir(root, "evil", "new"), -ELOOP);
	ml_err_clear();
	ck_assert(!exists("outside/new"));

	/* The claim's directory is a link. */
	put_dir("root/web");
	put_link("outside/data", "root/web/data");
	ck_assert_int_eq(ml_prov_remove_dir(root, "web", "data"), -ELOOP);
	ml_err_clear();
	ck_assert_int_eq(ml_prov_make_dir(root, "web", "data"), -ELOOP);
	ml_err_clear();
	ck_assert(exists("outside/data/precious"));
	ck_assert(exists("root/web/data"));

	/* Names that are not names. */
	ck_assert_int_eq(ml_prov_remove_dir(root, "..", "outside"), -EINVAL);
	ml_err_clear();
	ck_assert_int_eq(ml_prov_remove_dir(root, "web", "a/b"), -EINVAL);
	ml_err_clear();
	ck_assert_int_eq(ml_prov_make_dir(root, "web", ".."), -EINVAL);
	ml_err_clear();
	ck_assert(exists("outside/data/precious"));
	ml_rm_rf(tmp);
}
END_TEST

START_TEST(test_storage_provisioner_valid_name)
{
	ck_assert(ml_prov_valid_name("kube-system"));
	ck_assert(ml_prov_valid_name("data.v1"));
	ck_assert(!ml_prov_valid_name("."));
	ck_assert(!ml_prov_valid_name(".."));
	ck_assert(!ml_prov_valid_name("a..b"));
	ck_assert(!ml_prov_valid_name("-a"));
	ck_assert(!ml_prov_valid_name("A"));
	ck_assert(!ml_prov_valid_name(""));
	ck_assert(!ml_prov_valid_name(NULL));
}
END_TEST

/* The reader ml-dns and ml-storage-provisioner share (kube/k8s.h). */
START_TEST(test_storage_provisioner_incluster_config)
{
	struct ml_k8s_config *cfg = NULL;
	ml_autofree char *token = NULL, *ns = NULL;

	make_tmp();
	token = ml_xasprintf("%s/token", tmp);
	ns = ml_xasprintf("%s/namespace", tmp);
	ck_assert_int_eq(ml_write_file_atomic(token, "tok\n", 4, 0600), 0);
	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	ck_assert_int_eq(ml_k8s_config_incluster(tmp, &cfg), 0);
	ck_assert_str_eq(cfg->server, "https://10.96.0.1:443");
	ck_assert_str_eq(cfg->token, "tok");
	ck_assert_str_eq(cfg->namespace, "default");
	ck_assert_str_eq(cfg->context, "in-cluster");
	ck_assert_ptr_nonnull(strstr(cfg->ca_file, "/ca.crt"));
	cfg = ml_k8s_config_free(cfg);

	ck_assert_int_eq(ml_write_file_atomic(ns, "kube-system\n", 12, 0644),
			 0);
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	ck_assert_int_eq(ml_k8s_config_incluster(tmp, &cfg), 0);
	ck_assert_str_eq(cfg->server, "https://[fd00::1]:443");
	ck_assert_str_eq(cfg->namespace, "kube-system");
	cfg = ml_k8s_config_free(cfg);

	unsetenv("KUBERNETES_SERVICE_HOST");
	ck_assert_int_eq(ml_k8s_config_incluster(tmp, &cfg), -ENOENT);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "give --kubeconfig"));
	ml_err_clear();
	ml_rm_rf(tmp);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("storage_provisioner");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_storage_provisioner_claims_of_class_standard);
	tcase_add_test(tc, test_storage_provisioner_claims_without_class);
	tcase_add_test(tc, test_storage_provisioner_default_class_and_policy);
	tcase_add_test(tc, test_storage_provisioner_volume_written);
	tcase_add_test(tc, test_storage_provisioner_volume_refused);
	tcase_add_test(tc, test_storage_provisioner_release_actions);
	tcase_add_test(tc, test_storage_provisioner_paths_removed_and_refused);
	tcase_add_test(tc, test_storage_provisioner_make_and_remove_dir);
	tcase_add_test(tc, test_storage_provisioner_links_refused);
	tcase_add_test(tc, test_storage_provisioner_valid_name);
	tcase_add_test(tc, test_storage_provisioner_incluster_config);
	suite_add_tcase(s, tc);
	return ml_check_run(s);
}
