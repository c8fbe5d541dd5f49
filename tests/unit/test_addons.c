/*
 * test_addons.c: the addon catalogue (src/kube/addons.c): reading
 * tests/data/addons/catalogue, substitution, a user's directory replacing
 * an addon, every broken file with the message naming file and line; the
 * profile's choices; and the workload readers behind the wait
 * (src/kube/workload.c) on status documents.
 */
#include "config.h"

#include "kube/addons.h"
#include "kube/manifest.h"
#include "kube/workload.h"
#include "base/profile.h"
#include "base/util.h"
#include "check_run.h"

#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *
data_dir(const char *name)
{
	const char *top = getenv("ML_TOP_SRCDIR");

#ifdef ML_SRCDIR
	if (!top)
		top = ML_SRCDIR;
#endif
	return ml_xasprintf("%s/tests/data/addons/%s", top ? top : ".", name);
}

static struct ml_addon_vars
vars(void)
{
	struct ml_addon_vars v;

	ml_addon_vars_init(&v, "prof", "10.0.2.15", "v1.20.2");
	return v;
}

static struct ml_addons *
load_ok(const char *const *dirs, size_t n, size_t user_from)
{
	struct ml_addon_vars v = vars();
	struct ml_addons *cat = NULL;
	int r = ml_addons_load(dirs, n, user_from, &v, &cat);

	ck_assert_msg(r == 0, "load: %s", ml_err_msg());
	return cat;
}

START_TEST(test_addons_load_catalogue)
{
	ml_autofree char *dir = data_dir("catalogue");
	const char *dirs[] = { dir };
	struct ml_addons *cat = load_ok(dirs, 1, 1);
	const struct ml_addon *a = NULL;
	ml_autofree char *img =
		ml_xasprintf("minilaunch/tdemo:%s", PACKAGE_VERSION);

	ck_assert_uint_eq(cat->n, 2);
	ck_assert_str_eq(cat->v[0].name, "tdemo");
	ck_assert_str_eq(cat->v[1].name, "toff");
	a = &cat->v[0];
	ck_assert(a->def && !a->user);
	ck_assert(!cat->v[1].def);
	ck_assert_str_eq(
		a->description,
		"Test addon with a Deployment, a StorageClass and variables");
	ck_assert_str_eq(a->images[0], img);
	ck_assert_ptr_null(a->images[1]);
	ck_assert_str_eq(a->manifests[0], "rbac.yaml");
	ck_assert_str_eq(a->manifests[1], "app.yaml");
	/* the documents of both manifests, in order */
	ck_assert_uint_eq(a->m->n, 4);
	ck_assert_str_eq(a->m->docs[0].kind, "ServiceAccount");
	ck_assert_str_eq(a->m->docs[2].kind, "StorageClass");
	ck_assert_str_eq(a->m->docs[3].kind, "Deployment");
	ck_assert_int_eq(a->m->docs[3].line, 23);
	/* substituted; $${ is a literal ${ */
	ck_assert_ptr_nonnull(strstr(a->texts[1], "profile: \"prof\"\n"));
	ck_assert_ptr_nonnull(strstr(a->texts[1], "node: \"10.0.2.15\"\n"));
	ck_assert_ptr_nonnull(
		strstr(a->texts[1], "literal: \"${NOT_A_VARIABLE}\"\n"));
	ck_assert_ptr_nonnull(
		strstr(a->texts[1], "path: \"/var/lib/minilaunch/tdemo\""));
	ck_assert_ptr_nonnull(strstr(a->m->docs[3].text, img));
	ck_assert_ptr_null(strstr(a->texts[1], "${PROFILE}"));
	ml_addons_free(cat);
}
END_TEST

/* Writes DIR/NAME/FILE with text. */
static void
put(const char *dir, const char *name, const char *file, const char *text)
{
	ml_autofree char *d = ml_xasprintf("%s/%s", dir, name);
	ml_autofree char *p = ml_xasprintf("%s/%s", d, file);

	ck_assert_int_eq(ml_mkdir_p(d, 0755), 0);
	ck_assert_int_eq(ml_write_file_atomic(p, text, strlen(text), 0644), 0);
}

static char *
tmpdir(void)
{
	char t[] = "/tmp/ml-test-addons-XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(t));
	return ml_xstrdup(t);
}

START_TEST(test_addons_user_replaces)
{
	ml_autofree char *dir = data_dir("catalogue");
	ml_autofree char *user = tmpdir();
	const char *dirs[] = { dir, user, "/nonexistent/addons" };
	struct ml_addons *cat;

	put(user, "tdemo", "addon.yaml",
	    "name: tdemo\ndescription: Mine\nmanifests: [cm.yaml]\n");
	put(user, "tdemo", "cm.yaml",
	    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mine\n"
	    "  labels: {app.kubernetes.io/managed-by: minilaunch, minilaunch.io/addon: tdemo}\n");
	put(user, "zextra", "addon.yaml",
	    "name: zextra\ndescription: Added\ndefault: true\nmanifests: []\n");
	/* not an addon: skipped */
	put(user, ".", "README", "notes\n");
	cat = load_ok(dirs, 3, 1);
	ck_assert_uint_eq(cat->n, 3);
	ck_assert_str_eq(cat->v[0].name, "tdemo");
	ck_assert(cat->v[0].user && !cat->v[0].def);
	ck_assert_str_eq(cat->v[0].description, "Mine");
	ck_assert_uint_eq(cat->v[0].m->n, 1);
	ck_assert_str_eq(cat->v[2].name, "zextra");
	ck_assert(cat->v[2].user && cat->v[2].def);
	ml_addons_free(cat);
	ml_rm_rf(user);
}
END_TEST

/* fmt with each "%s" replaced by dir (not printf: the tests' formats are
 * data). Caller frees. */
static char *
with_dir(const char *fmt, const char *dir)
{
	struct ml_buf b = { 0 };

	ml_buf_add(&b, "", 0);
	for (const char *p = fmt; *p; p++) {
		if (p[0] == '%' && p[1] == 's') {
			ml_buf_add(&b, dir, strlen(dir));
			p++;
		} else {
			ml_buf_add(&b, p, 1);
		}
	}
	return b.p;
}

/* The addon NAME made of addon.yaml (yaml) and m.yaml (manifest, or none)
 * fails to load with a message holding want (with DIR for the temp
 * directory). */
static void
broken(const char *name, const char *yaml, const char *manifest,
       const char *want_fmt)
{
	ml_autofree char *user = tmpdir();
	ml_autofree char *want = NULL;
	const char *dirs[] = { user };
	struct ml_addon_vars v = vars();
	struct ml_addons *cat = NULL;
	int r;

	if (yaml)
		put(user, name, "addon.yaml", yaml);
	else
		put(user, name, "other.txt", "x\n");
	if (manifest)
		put(user, name, "m.yaml", manifest);
	want = with_dir(want_fmt, user);
	ml_err_clear();
	r = ml_addons_load(dirs, 1, 0, &v, &cat);
	ck_assert_msg(r == -EINVAL, "%s: r=%d (%s)", name, r,
		      ml_err_msg() ? ml_err_msg() : "no message");
	ck_assert_ptr_null(cat);
	ck_assert_msg(ml_err_msg() && strstr(ml_err_msg(), want),
		      "message '%s' lacks '%s'",
		      ml_err_msg() ? ml_err_msg() : "(none)", want);
	ml_rm_rf(user);
}

#define LABELS(n)                                               \
	"  labels: {app.kubernetes.io/managed-by: minilaunch, " \
	"minilaunch.io/addon: " n "}\n"
#define CM(n) \
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n" LABELS(n)

START_TEST(test_addons_broken_files)
{
	broken("x",
	       "name: x\ndescription: d\ncolour: red\nmanifests: [m.yaml]\n",
	       CM("x"),
	       "%s/x/addon.yaml:3: unknown key 'colour' (known: name, description, default, images, manifests, variables)");
	broken("x", "name: other\ndescription: d\nmanifests: [m.yaml]\n",
	       CM("x"),
	       "%s/x/addon.yaml:1: name 'other' is not the directory's name 'x'");
	broken("x",
	       "name: x\ndescription: d\nmanifests: [m.yaml]\n"
	       "variables: [HOME]\n",
	       CM("x"),
	       "%s/x/addon.yaml:4: unknown variable ${HOME} (known: PROFILE, NODE_NAME, NODE_IP, KUBERNETES_VERSION, MINILAUNCH_VERSION, DATA_DIR)");
	broken("x",
	       "name: x\ndescription: d\nmanifests:\n  - m.yaml\n  - gone.yaml\n",
	       CM("x"),
	       "%s/x/addon.yaml:5: manifest 'gone.yaml' not found in '%s/x'");
	broken("x", "name: x\ndescription: d\nmanifests: [../m.yaml]\n", NULL,
	       "%s/x/addon.yaml:3: manifest '../m.yaml' is not a file name");
	broken("x", "name: x\ndescription: d\n", NULL,
	       "%s/x/addon.yaml:1: 'manifests' is missing");
	broken("x", "name: x\nmanifests: []\n", NULL,
	       "%s/x/addon.yaml:1: 'description' is missing");
	broken("x", "name: x\ndescription: d\ndefault: maybe\nmanifests: []\n",
	       NULL,
	       "%s/x/addon.yaml:3: invalid default 'maybe': give true or false");
	broken("x", "name: x\ndescription: d\nmanifests: m.yaml\n", CM("x"),
	       "%s/x/addon.yaml:3: 'manifests' is not a list");
	broken("x", "name: x\ndescription: \"d\n", NULL,
	       "%s/x/addon.yaml:3: invalid YAML");
	broken("x", "name: x\nname: x\ndescription: d\nmanifests: []\n", NULL,
	       "%s/x/addon.yaml:2: 'name' is given twice");
	broken("x", NULL, NULL, "%s/x: no addon.yaml");
	broken("X", "name: X\ndescription: d\nmanifests: []\n", NULL,
	       "%s/X: an addon's name is lowercase letters");
	/* variables: unknown, not listed, an unclosed ${ (in images too) */
	broken("x",
	       "name: x\ndescription: d\nmanifests: [m.yaml]\nvariables: [PROFILE]\n",
	       CM("x") "data: {a: \"${PROFILE}\", b: \"${HOSTNAME}\"}\n",
	       "%s/x/m.yaml:6: unknown variable ${HOSTNAME} (known: PROFILE, NODE_NAME,");
	broken("x", "name: x\ndescription: d\nmanifests: [m.yaml]\n",
	       CM("x") "data:\n  a: \"${PROFILE}\"\n",
	       "%s/x/m.yaml:7: variable ${PROFILE} is not listed in the addon's variables");
	broken("x",
	       "name: x\ndescription: d\nimages: [\"a:${MINILAUNCH_VERSION}\"]\nmanifests: []\n",
	       NULL,
	       "%s/x/addon.yaml:3: variable ${MINILAUNCH_VERSION} is not listed");
	broken("x",
	       "name: x\ndescription: d\nmanifests: [m.yaml]\nvariables: [PROFILE]\n",
	       CM("x") "data: {a: \"${PROFILE\"}\n",
	       "%s/x/m.yaml:6: '${' opens no variable");
	/* the labels */
	broken("x", "name: x\ndescription: d\nmanifests: [m.yaml]\n",
	       CM("x") "---\napiVersion: v1\nkind: Secret\nmetadata:\n"
		       "  name: s\n  labels: {minilaunch.io/addon: x}\n",
	       "%s/x/m.yaml:7: Secret 's' lacks the label 'app.kubernetes.io/managed-by: minilaunch'");
	broken("x", "name: x\ndescription: d\nmanifests: [m.yaml]\n", CM("y"),
	       "%s/x/m.yaml:1: ConfigMap 'c' lacks the label 'minilaunch.io/addon: x'");
	broken("x", "name: x\ndescription: d\nmanifests: [m.yaml]\n",
	       "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
	       "%s/x/m.yaml:1: ConfigMap 'c' lacks the label 'app.kubernetes.io/managed-by");
	/* what the manifest reader refuses */
	broken("x", "name: x\ndescription: d\nmanifests: [m.yaml]\n",
	       "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n" LABELS(
		       "x"),
	       "%s/x/m.yaml:1: unknown kind 'Widget'");
	broken("x", "name: x\ndescription: d\nmanifests: [m.yaml]\n",
	       CM("x") "data: {a: [b}\n", "%s/x/m.yaml:6: invalid YAML");
}
END_TEST

START_TEST(test_addons_data_broken_override)
{
	ml_autofree char *dir = data_dir("catalogue");
	ml_autofree char *bad = data_dir("broken");
	ml_autofree char *want = ml_xasprintf(
		"%s/default-storageclass/sc.yaml:1: StorageClass 'standard' lacks the label 'minilaunch.io/addon: default-storageclass'",
		bad);
	const char *dirs[] = { dir, bad };
	struct ml_addon_vars v = vars();
	struct ml_addons *cat = NULL;

	ck_assert_int_eq(ml_addons_load(dirs, 2, 1, &v, &cat), -EINVAL);
	ck_assert_msg(strstr(ml_err_msg(), want), "%s", ml_err_msg());
}
END_TEST

START_TEST(test_addons_choices)
{
	struct ml_addon on = { .name = "registry", .def = true };
	struct ml_addon off = { .name = "reg", .def = false };
	char *s;

	ck_assert(ml_addon_enabled(&on, NULL));
	ck_assert(ml_addon_enabled(&on, ""));
	ck_assert(!ml_addon_enabled(&off, NULL));
	ck_assert(!ml_addon_enabled(&on, "registry=off"));
	ck_assert(ml_addon_enabled(&on, "reg=off,registry=on"));
	/* a name that prefixes another is not it */
	ck_assert(!ml_addon_enabled(&off, "registry=on"));
	ck_assert(ml_addon_enabled(&off, "registry=off,reg=on"));
	/* the last choice wins */
	ck_assert(!ml_addon_enabled(&on, "registry=on,registry=off"));

	s = ml_addons_choose(NULL, "registry", true);
	ck_assert_str_eq(s, "registry=on");
	free(s);
	s = ml_addons_choose("a=on,registry=on,reg=off", "registry", false);
	ck_assert_str_eq(s, "a=on,reg=off,registry=off");
	free(s);
	s = ml_addons_choose("reg=off", "registry", true);
	ck_assert_str_eq(s, "reg=off,registry=on");
	free(s);

	s = ml_addon_selector("registry");
	ck_assert_str_eq(
		s,
		"app.kubernetes.io/managed-by=minilaunch,minilaunch.io/addon=registry");
	free(s);
}
END_TEST

START_TEST(test_addons_get_unknown)
{
	ml_autofree char *dir = data_dir("catalogue");
	const char *dirs[] = { dir };
	struct ml_addons *cat = load_ok(dirs, 1, 1);
	const struct ml_addon *a = NULL;

	ck_assert_int_eq(ml_addons_get(cat, "toff", &a), 0);
	ck_assert_str_eq(a->name, "toff");
	ck_assert_int_eq(ml_addons_get(cat, "nope", &a), -ENOENT);
	ck_assert_str_eq(ml_err_msg(),
			 "unknown addon 'nope' (known: tdemo, toff)");
	ml_addons_free(cat);
}
END_TEST

START_TEST(test_addons_profile_key)
{
	ck_assert_int_eq(
		ml_profile_check_value("addons",
				       "registry=on,storage-provisioner=off"),
		0);
	ck_assert_int_eq(ml_profile_check_value("addons", "a1=on"), 0);
	ck_assert_int_eq(ml_profile_check_value("addons", "registry"),
			 -ML_EUSAGE);
	ck_assert_ptr_nonnull(
		strstr(ml_err_msg(), "invalid addons 'registry'"));
	ck_assert_int_eq(ml_profile_check_value("addons", "Registry=on"),
			 -ML_EUSAGE);
	ck_assert_int_eq(ml_profile_check_value("addons", "registry=yes"),
			 -ML_EUSAGE);
	ck_assert_int_eq(ml_profile_check_value("addons", "a=on,,b=off"),
			 -ML_EUSAGE);
	ck_assert_int_eq(ml_profile_check_value("addons", "-a=on"), -ML_EUSAGE);
}
END_TEST

static struct json_object *
parse(const char *text)
{
	struct json_object *o = json_tokener_parse(text);

	ck_assert_msg(o != NULL, "bad test JSON: %s", text);
	return o;
}

static bool
status(const char *kind, const char *text, long *replicas)
{
	struct json_object *o = parse(text);
	bool ready = ml_workload_read_status(kind, o, replicas);

	json_object_put(o);
	return ready;
}

START_TEST(test_workload_read_status)
{
	long n = -1;

	/* a Deployment: its generation seen, enough available */
	ck_assert(status(
		"Deployment",
		"{\"metadata\":{\"generation\":2},\"spec\":{\"replicas\":2},"
		"\"status\":{\"observedGeneration\":2,\"availableReplicas\":2}}",
		&n));
	ck_assert_int_eq(n, 2);
	ck_assert(!status(
		"Deployment",
		"{\"metadata\":{\"generation\":3},\"spec\":{\"replicas\":1},"
		"\"status\":{\"observedGeneration\":2,\"availableReplicas\":1}}",
		NULL));
	ck_assert(!status(
		"Deployment",
		"{\"metadata\":{\"generation\":1},\"spec\":{\"replicas\":2},"
		"\"status\":{\"observedGeneration\":1,\"availableReplicas\":1}}",
		NULL));
	/* no status yet; replicas absent counts as 1 */
	ck_assert(
		!status("Deployment", "{\"metadata\":{\"generation\":1}}", &n));
	ck_assert_int_eq(n, 1);
	ck_assert(status("Deployment",
			 "{\"spec\":{\"replicas\":0},\"status\":{}}", &n));
	ck_assert_int_eq(n, 0);
	/* a StatefulSet counts readyReplicas */
	ck_assert(
		status("StatefulSet",
		       "{\"metadata\":{\"generation\":1},\"status\":{\"observedGeneration\":1,"
		       "\"readyReplicas\":1,\"availableReplicas\":0}}",
		       NULL));
	ck_assert(
		!status("StatefulSet",
			"{\"metadata\":{\"generation\":1},\"status\":{\"observedGeneration\":1,"
			"\"availableReplicas\":1}}",
			NULL));
	/* a DaemonSet: all it schedules available, and at least one */
	ck_assert(
		status("DaemonSet",
		       "{\"metadata\":{\"generation\":1},\"status\":{\"observedGeneration\":1,"
		       "\"desiredNumberScheduled\":1,\"numberAvailable\":1}}",
		       NULL));
	ck_assert(
		!status("DaemonSet",
			"{\"metadata\":{\"generation\":1},\"status\":{\"observedGeneration\":1,"
			"\"desiredNumberScheduled\":0,\"numberAvailable\":0}}",
			NULL));
	/* wrong types count as absent */
	ck_assert(!status("DaemonSet", "{\"status\":[1]}", NULL));
	ck_assert(!status("Deployment", "[]", NULL));
}
END_TEST

START_TEST(test_workload_read_pods_image)
{
	struct json_object *o = parse(
		"{\"items\":[{\"metadata\":{\"name\":\"registry-x\"},\"status\":{\"phase\":\"Pending\","
		"\"containerStatuses\":[{\"image\":\"minilaunch/registry:9\",\"ready\":false,"
		"\"state\":{\"waiting\":{\"reason\":\"ErrImageNeverPull\"}}}]}}]}");
	struct ml_workload_pods p;

	ml_workload_read_pods(o, 0, &p);
	ck_assert(p.fatal && !p.fresh);
	ck_assert_str_eq(p.image, "minilaunch/registry:9");
	ck_assert_str_eq(p.state, "pod registry-x: ErrImageNeverPull");
	ml_workload_pods_clear(&p);
	ck_assert_ptr_null(p.state);
	json_object_put(o);
	/* the pod that cannot start is the one named, not the first */
	o = parse(
		"{\"items\":[{\"metadata\":{\"name\":\"a\"},\"status\":{\"phase\":\"Pending\"}},"
		"{\"metadata\":{\"name\":\"b\"},\"status\":{\"containerStatuses\":[{\"image\":\"i:1\","
		"\"state\":{\"waiting\":{\"reason\":\"InvalidImageName\"}}}]}}]}");
	ml_workload_read_pods(o, 0, &p);
	ck_assert(p.fatal);
	ck_assert_str_eq(p.state, "pod b: InvalidImageName");
	ck_assert_str_eq(p.image, "i:1");
	ml_workload_pods_clear(&p);
	json_object_put(o);
}
END_TEST

static Suite *
addons_suite(void)
{
	Suite *s = suite_create("addons");
	TCase *tc = tcase_create("catalogue");
	TCase *tw = tcase_create("workload");

	tcase_add_test(tc, test_addons_load_catalogue);
	tcase_add_test(tc, test_addons_user_replaces);
	tcase_add_test(tc, test_addons_broken_files);
	tcase_add_test(tc, test_addons_data_broken_override);
	tcase_add_test(tc, test_addons_choices);
	tcase_add_test(tc, test_addons_get_unknown);
	tcase_add_test(tc, test_addons_profile_key);
	suite_add_tcase(s, tc);
	tcase_add_test(tw, test_workload_read_status);
	tcase_add_test(tw, test_workload_read_pods_image);
	suite_add_tcase(s, tw);
	return s;
}

int
main(void)
{
	return ml_check_run(addons_suite());
}
