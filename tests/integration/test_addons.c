/*
 * test_addons.c: addons enabled and disabled (src/kube/addons.c) on a real
 * control plane (tests/fixtures/control-plane), with the test catalogue of
 * tests/data/addons/catalogue. Enable applies exactly the labelled
 * objects, twice changes nothing, disable removes exactly the addon's and
 * leaves a user's objects of the same kinds alone. The fixture runs the
 * controllers but no kubelet: the wait is tested by writing the pod's
 * status through its status subresource, a stand-in for the kubelet, and
 * letting the real controllers make the Deployment available.
 */
#include "config.h"

#include "kube/addons.h"
#include "kube/k8s.h"
#include "kube/manifest.h"
#include "base/util.h"
#include "fixture.h"

#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const tdemo_paths[] = {
	"/api/v1/namespaces/kube-system/serviceaccounts/tdemo",
	"/api/v1/namespaces/kube-system/configmaps/tdemo",
	"/apis/storage.k8s.io/v1/storageclasses/tdemo-sc",
	"/apis/apps/v1/namespaces/kube-system/deployments/tdemo",
};

/* The user's: of the same kinds (one even of the same namespace and with
 * one of the two labels), never touched. */
static const char *const user_paths[] = {
	"/apis/storage.k8s.io/v1/storageclasses/user-sc",
	"/apis/apps/v1/namespaces/kube-system/deployments/user-web",
	"/api/v1/namespaces/kube-system/configmaps/user-cm",
};

static const char user_objects[] =
	"apiVersion: storage.k8s.io/v1\n"
	"kind: StorageClass\n"
	"metadata: {name: user-sc}\n"
	"provisioner: example.com/user\n"
	"---\n"
	"apiVersion: apps/v1\n"
	"kind: Deployment\n"
	"metadata:\n"
	"  name: user-web\n"
	"  namespace: kube-system\n"
	"  labels: {app.kubernetes.io/managed-by: minilaunch}\n"
	"spec:\n"
	"  selector: {matchLabels: {app: user-web}}\n"
	"  template:\n"
	"    metadata: {labels: {app: user-web}}\n"
	"    spec: {containers: [{name: w, image: \"web:1\"}]}\n"
	"---\n"
	"apiVersion: v1\n"
	"kind: ConfigMap\n"
	"metadata:\n"
	"  name: user-cm\n"
	"  namespace: kube-system\n"
	"  labels: {minilaunch.io/addon: tdemo}\n"
	"data: {a: b}\n";

static struct ml_addons *
catalogue(void)
{
	ml_autofree char *dir =
		ml_xasprintf("%s/tests/data/addons/catalogue", fixture_srcdir);
	const char *dirs[] = { dir };
	struct ml_addon_vars v;
	struct ml_addons *cat = NULL;

	ml_addon_vars_init(&v, "itest", "10.0.2.15", NULL);
	ck_assert_msg(ml_addons_load(dirs, 1, 1, &v, &cat) == 0, "%s",
		      ml_err_msg());
	return cat;
}

/* The resourceVersion of path, or NULL when it does not exist. */
static char *
version_of(struct ml_k8s *c, const char *path)
{
	struct json_object *o = NULL;
	char *v;
	int r = ml_k8s_get(c, path, &o);

	if (r == -ENOENT)
		return NULL;
	ck_assert_msg(r == 0, "%s: %s", path, ml_err_msg());
	v = ml_xstrdup(ml_json_str(o, "metadata.resourceVersion"));
	json_object_put(o);
	return v;
}

static size_t
count_labelled(struct ml_k8s *c, const char *collection, const char *sel)
{
	ml_autofree char *path =
		ml_xasprintf("%s?labelSelector=%s", collection, sel);
	struct json_object *list = NULL, *items;
	size_t n;

	ck_assert_msg(ml_k8s_list(c, path, false, 0, NULL, &list) == 0, "%s",
		      ml_err_msg());
	items = ml_json_get(list, "items");
	n = json_object_array_length(items);
	json_object_put(list);
	return n;
}

/* Reads the resourceVersion of each of paths into versions until two
 * reads a second apart agree (at most 30 s). */
static void
settle(struct ml_k8s *c, const char *const *paths, char **versions, size_t n)
{
	for (size_t i = 0; i < n; i++)
		versions[i] = version_of(c, paths[i]);
	for (int t = 0; t < 30; t++) {
		bool same = true;

		sleep(1);
		for (size_t i = 0; i < n; i++) {
			char *v = version_of(c, paths[i]);

			if (!v || strcmp(v, versions[i]) != 0)
				same = false;
			free(versions[i]);
			versions[i] = v;
		}
		if (same)
			return;
	}
	ck_abort_msg("the addon's objects keep changing");
}

START_TEST(test_addons_enable_twice_disable)
{
	struct ml_k8s *c = fixture_client("fixture");
	struct ml_addons *cat = catalogue();
	const struct ml_addon *tdemo = NULL, *toff = NULL;
	struct ml_manifest *user = NULL;
	struct ml_addon_opts o = { .deadline = time(NULL) + 60 };
	/* both labels, URL-encoded */
	static const char sel[] =
		"app.kubernetes.io%2Fmanaged-by%3Dminilaunch%2Cminilaunch.io%2Faddon%3Dtdemo";
	char *before[ML_ARRAY_SIZE(tdemo_paths)];
	struct json_object *cm = NULL;
	int deleted = -1;

	ck_assert_int_eq(ml_addons_get(cat, "tdemo", &tdemo), 0);
	ck_assert_int_eq(ml_addons_get(cat, "toff", &toff), 0);
	ck_assert_int_eq(ml_manifest_parse("user.yaml", user_objects,
					   strlen(user_objects), &user),
			 0);
	ck_assert_msg(ml_manifest_apply(c, user) == 0, "%s", ml_err_msg());

	/* enable: the addon's four objects, substituted, and only those */
	ck_assert_msg(ml_addon_enable(c, tdemo, &o) == 0, "%s", ml_err_msg());
	for (size_t i = 0; i < ML_ARRAY_SIZE(tdemo_paths); i++) {
		ml_autofree char *v = version_of(c, tdemo_paths[i]);

		ck_assert_msg(v, "%s missing", tdemo_paths[i]);
	}
	ck_assert_int_eq(ml_k8s_get(c, tdemo_paths[1], &cm), 0);
	ck_assert_str_eq(ml_json_str(cm, "data.profile"), "itest");
	ck_assert_str_eq(ml_json_str(cm, "data.literal"), "${NOT_A_VARIABLE}");
	json_object_put(cm);
	ck_assert_uint_eq(count_labelled(c,
					 "/api/v1/namespaces/kube-system/configmaps",
					 sel),
			  1);
	ck_assert_uint_eq(count_labelled(c,
					 "/apis/storage.k8s.io/v1/storageclasses",
					 sel),
			  1);
	ck_assert_uint_eq(count_labelled(c, "/apis/apps/v1/deployments", sel),
			  1);
	/* an addon that is off was never applied */
	ck_assert_ptr_null(
		version_of(c, "/api/v1/namespaces/default/configmaps/toff"));

	/* twice: nothing changes (the Deployment's status, which the
	 * controllers write, left to settle first) */
	settle(c, tdemo_paths, before, ML_ARRAY_SIZE(tdemo_paths));
	ck_assert_msg(ml_addon_enable(c, tdemo, &o) == 0, "%s", ml_err_msg());
	for (size_t i = 0; i < ML_ARRAY_SIZE(tdemo_paths); i++) {
		ml_autofree char *after = version_of(c, tdemo_paths[i]);

		ck_assert_msg(after && strcmp(after, before[i]) == 0,
			      "%s changed: %s -> %s", tdemo_paths[i], before[i],
			      after ? after : "gone");
		free(before[i]);
	}

	/* disable: exactly the addon's objects */
	ck_assert_msg(ml_addon_disable(c, tdemo, time(NULL) + 60, &deleted) ==
			      0,
		      "%s", ml_err_msg());
	ck_assert_int_eq(deleted, 4);
	for (size_t i = 0; i < ML_ARRAY_SIZE(tdemo_paths); i++) {
		ml_autofree char *v = version_of(c, tdemo_paths[i]);

		ck_assert_msg(!v, "%s still there", tdemo_paths[i]);
	}
	for (size_t i = 0; i < ML_ARRAY_SIZE(user_paths); i++) {
		ml_autofree char *v = version_of(c, user_paths[i]);

		ck_assert_msg(v, "the user's %s was deleted", user_paths[i]);
	}
	/* twice: nothing to do, no error */
	ck_assert_msg(ml_addon_disable(c, tdemo, time(NULL) + 60, &deleted) ==
			      0,
		      "%s", ml_err_msg());
	ck_assert_int_eq(deleted, 0);
	ml_manifest_free(user);
	ml_addons_free(cat);
	ml_k8s_free(c);
}
END_TEST

static void
patch_status(struct ml_k8s *c, const char *path, const char *json)
{
	ml_autofree char *p = ml_xasprintf("%s/status", path);

	ck_assert_msg(ml_k8s_patch(c, p, "application/merge-patch+json", json,
				   NULL) == 0,
		      "%s: %s", p, ml_err_msg());
}

/* The path of the pod the ReplicaSet made for tdemo, once there is one. */
static char *
tdemo_pod(struct ml_k8s *c)
{
	for (int i = 0; i < 60; i++) {
		struct json_object *list = NULL;
		const char *name;
		char *path = NULL;

		ck_assert_int_eq(
			ml_k8s_list(c,
				    "/api/v1/namespaces/kube-system/pods?labelSelector=minilaunch.io%2Faddon%3Dtdemo",
				    false, 0, NULL, &list),
			0);
		name = ml_json_str(json_object_array_get_idx(ml_json_get(list,
									 "items"),
							     0),
				   "metadata.name");
		if (name)
			path = ml_xasprintf("/api/v1/namespaces/kube-system/pods/%s",
					    name);
		json_object_put(list);
		if (path)
			return path;
		sleep(1);
	}
	ck_abort_msg("the ReplicaSet made no pod for tdemo in 60 s");
	return NULL;
}

/* A pod's status as a kubelet writes it: its container waiting for
 * reason, or (reason NULL) running and ready since at. */
static char *
pod_status(const char *image, const char *reason, const char *at)
{
	if (reason)
		return ml_xasprintf(
			"{\"status\":{\"phase\":\"Pending\",\"containerStatuses\":[{\"name\":\"tdemo\","
			"\"image\":\"%s\",\"imageID\":\"\",\"restartCount\":0,\"ready\":false,"
			"\"state\":{\"waiting\":{\"reason\":\"%s\"}}}]}}",
			image, reason);
	return ml_xasprintf(
		"{\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\","
		"\"status\":\"True\",\"lastTransitionTime\":\"%s\"}],\"containerStatuses\":[{"
		"\"name\":\"tdemo\",\"image\":\"%s\",\"imageID\":\"\",\"restartCount\":0,"
		"\"ready\":true,\"started\":true,\"state\":{\"running\":{\"startedAt\":\"%s\"}}}]}}",
		at, image, at);
}

/*
 * The fixture runs the controllers, not a kubelet: the ReplicaSet's pod
 * stays Pending until this test writes its status as a kubelet would;
 * then the controllers count it and the Deployment becomes available.
 */
START_TEST(test_addons_wait)
{
	struct ml_k8s *c = fixture_client("fixture");
	struct ml_addons *cat = catalogue();
	const struct ml_addon *tdemo = NULL;
	ml_autofree char *image =
		ml_xasprintf("minilaunch/tdemo:%s", PACKAGE_VERSION);
	ml_autofree char *pod = NULL, *st = NULL, *want = NULL;
	char now[32];
	time_t t0 = time(NULL);
	int r;

	ck_assert_int_eq(ml_addons_get(cat, "tdemo", &tdemo), 0);
	/* nothing runs: the deadline ends it, naming the workload */
	r = ml_addon_enable(c, tdemo,
			    &(struct ml_addon_opts){
				    .wait = true, .deadline = time(NULL) + 2 });
	ck_assert_int_eq(r, -ETIMEDOUT);
	ck_assert_msg(time(NULL) - t0 <= 15, "the wait took %lld s",
		      (long long)(time(NULL) - t0));
	ck_assert_msg(strstr(ml_err_msg(), "addon 'tdemo' not available") &&
			      strstr(ml_err_msg(),
				     "(deployment kube-system/tdemo, "),
		      "%s", ml_err_msg());

	/* its pod cannot have its image: said at once, naming the image */
	pod = tdemo_pod(c);
	st = pod_status(image, "ErrImageNeverPull", NULL);
	patch_status(c, pod, st);
	t0 = time(NULL);
	r = ml_addon_enable(c, tdemo,
			    &(struct ml_addon_opts){ .wait = true,
						     .deadline =
							     time(NULL) + 60 });
	ck_assert_int_eq(r, -ENOENT);
	ck_assert_msg(time(NULL) - t0 <= 10, "took %lld s",
		      (long long)(time(NULL) - t0));
	want = ml_xasprintf(
		": ErrImageNeverPull): the node does not hold the image '%s'",
		image);
	ck_assert_msg(
		strstr(ml_err_msg(),
		       "addon 'tdemo' cannot start (deployment kube-system/tdemo, pod tdemo-") &&
			strstr(ml_err_msg(), want),
		"%s", ml_err_msg());

	/* running and ready: the controllers make the Deployment available */
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t0));
	free(st);
	st = pod_status(image, NULL, now);
	patch_status(c, pod, st);
	r = ml_addon_enable(c, tdemo,
			    &(struct ml_addon_opts){ .wait = true,
						     .deadline =
							     time(NULL) + 60,
						     .started_after = t0 - 5 });
	ck_assert_msg(r == 0, "%s", ml_err_msg());
	/* a pod that started before the boot is not the one awaited */
	r = ml_addon_enable(c, tdemo,
			    &(struct ml_addon_opts){ .wait = true,
						     .deadline = time(NULL) + 2,
						     .started_after =
							     t0 + 3600 });
	ck_assert_int_eq(r, -ETIMEDOUT);
	ck_assert_msg(strstr(ml_err_msg(), ": Running, not ready)"), "%s",
		      ml_err_msg());

	ck_assert_int_eq(ml_addon_disable(c, tdemo, time(NULL) + 60, NULL), 0);
	ml_addons_free(cat);
	ml_k8s_free(c);
}
END_TEST

/* What the API server refuses: the addon named, then the API's message. */
START_TEST(test_addons_enable_refused)
{
	struct ml_k8s *c = fixture_client("fixture");
	ml_autofree char *dir =
		ml_xasprintf("%s/tests/data/addons/rejected", fixture_srcdir);
	const char *dirs[] = { dir };
	const struct ml_addon *tbad = NULL;
	struct ml_addon_vars v;
	struct ml_addons *cat = NULL;
	int r;

	ml_addon_vars_init(&v, "itest", "10.0.2.15", NULL);
	ck_assert_msg(ml_addons_load(dirs, 1, 1, &v, &cat) == 0, "%s",
		      ml_err_msg());
	ck_assert_int_eq(ml_addons_get(cat, "tbad", &tbad), 0);
	r = ml_addon_enable(c, tbad,
			    &(struct ml_addon_opts){ .deadline =
							     time(NULL) + 60 });
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_msg(ml_startswith(ml_err_msg(), "addon 'tbad': ") &&
			      strstr(ml_err_msg(),
				     "/api/v1/namespaces/default/services/tbad"),
		      "%s", ml_err_msg());
	ml_addons_free(cat);
	ml_k8s_free(c);
}
END_TEST

static Suite *
addons_suite(void)
{
	Suite *s = suite_create("addons_apply");
	TCase *tc = tcase_create("fixture");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_addons_enable_twice_disable);
	tcase_add_test(tc, test_addons_wait);
	tcase_add_test(tc, test_addons_enable_refused);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return fixture_main("test_addons", addons_suite);
}
