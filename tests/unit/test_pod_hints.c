/*
 * test_pod_hints.c: the hints for pods stuck on their image
 * (src/kube/pod_hints.h), on Pod objects shaped as the API server returns
 * them (status.containerStatuses[].state.waiting.{reason,message},
 * spec.containers[].image) for the kubelet's ErrImagePull,
 * ImagePullBackOff and ErrImageNeverPull.
 */
#include "config.h"

#include "kube/pod_hints.h"
#include "base/util.h"
#include "check_run.h"

#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define OFFLINE_HINT \
	"this profile is offline: minilaunch stop && minilaunch start --network=online"

/* A pod as the API server returns it with one container waiting for
 * reason; image in the spec, status_image in the container's status. */
static struct json_object *
pod_waiting(const char *ns, const char *name, const char *image,
	    const char *status_image, const char *reason, const char *policy)
{
	ml_autofree char *text = ml_xasprintf(
		"{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
		"\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\","
		"\"uid\":\"8d2f0d0e-4a57-4f55-9b0e-1c3f1e7a0c11\","
		"\"labels\":{\"app\":\"%s\"}},"
		"\"spec\":{\"containers\":[{\"name\":\"main\",\"image\":\"%s\","
		"\"imagePullPolicy\":\"%s\",\"resources\":{}}],"
		"\"nodeName\":\"minilaunch\",\"restartPolicy\":\"Always\"},"
		"\"status\":{\"phase\":\"Pending\",\"hostIP\":\"10.0.2.15\","
		"\"podIP\":\"10.244.0.7\","
		"\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\","
		"\"reason\":\"ContainersNotReady\"}],"
		"\"containerStatuses\":[{\"name\":\"main\",\"image\":\"%s\","
		"\"imageID\":\"\",\"ready\":false,\"restartCount\":0,"
		"\"started\":false,\"lastState\":{},"
		"\"state\":{\"waiting\":{\"reason\":\"%s\","
		"\"message\":\"rpc error: code = Unknown desc = Error response from daemon\"}}}]}}",
		name, ns, name, image, policy, status_image, reason);
	struct json_object *o = json_tokener_parse(text);

	ck_assert_msg(o != NULL, "bad test JSON: %s", text);
	return o;
}

static struct json_object *
parse(const char *text)
{
	struct json_object *o = json_tokener_parse(text);

	ck_assert_msg(o != NULL, "bad test JSON: %s", text);
	return o;
}

/* The hint of pod (put here), or NULL. Caller frees. */
static char *
hint_of(struct json_object *pod, const char *profile, bool offline)
{
	struct ml_pod_problem *p = ml_pod_hint(pod, profile, offline);
	char *ret = p ? ml_xstrdup(p->hint) : NULL;

	ml_pod_problem_free(p);
	json_object_put(pod);
	return ret;
}

START_TEST(test_pod_hints_pull_error_offline)
{
	static const char *const reasons[] = { "ErrImagePull",
					       "ImagePullBackOff" };

	for (size_t i = 0; i < ML_ARRAY_SIZE(reasons); i++) {
		struct json_object *pod = pod_waiting("default", "web", "nginx",
						      "nginx:latest",
						      reasons[i], "Always");
		struct ml_pod_problem *p = ml_pod_hint(pod, "minilaunch", true);
		ml_autofree char *line = NULL, *want = NULL;

		ck_assert_ptr_nonnull(p);
		ck_assert_str_eq(p->ns, "default");
		ck_assert_str_eq(p->name, "web");
		ck_assert_str_eq(p->reason, reasons[i]);
		/* the spec's image, as the user wrote it */
		ck_assert_str_eq(p->image, "nginx");
		ck_assert_str_eq(p->hint, OFFLINE_HINT);
		line = ml_pod_problem_line(p);
		want = ml_xasprintf("pod default/web: %s (nginx): " OFFLINE_HINT,
				    reasons[i]);
		ck_assert_str_eq(line, want);
		ml_pod_problem_free(p);
		json_object_put(pod);
	}
}
END_TEST

START_TEST(test_pod_hints_pull_error_online_none)
{
	ck_assert_ptr_null(
		hint_of(pod_waiting("default", "web", "nginx", "nginx",
				    "ErrImagePull", "Always"),
			"minilaunch", false));
	ck_assert_ptr_null(
		hint_of(pod_waiting("default", "web", "nginx", "nginx",
				    "ImagePullBackOff", "IfNotPresent"),
			"minilaunch", false));
}
END_TEST

START_TEST(test_pod_hints_other_profile)
{
	ml_autofree char *h =
		hint_of(pod_waiting("default", "web", "nginx", "nginx",
				    "ErrImagePull", "Always"),
			"e2e", true);

	ck_assert_str_eq(
		h,
		"this profile is offline: minilaunch -p e2e stop && minilaunch -p e2e start --network=online");
}
END_TEST

START_TEST(test_pod_hints_never_pull)
{
	static const bool modes[] = { false, true };

	for (size_t i = 0; i < ML_ARRAY_SIZE(modes); i++) {
		ml_autofree char *h =
			hint_of(pod_waiting("team", "app", "hello:1", "hello:1",
					    "ErrImageNeverPull", "Never"),
				"dev", modes[i]);

		ck_assert_str_eq(
			h,
			"image hello:1 is not in the Docker daemon of node 'dev': build or pull it there after eval $(minilaunch -p dev docker-env)");
	}
}
END_TEST

START_TEST(test_pod_hints_not_waiting)
{
	/* running, terminated, ContainerCreating, CrashLoopBackOff: none */
	static const char *const pods[] = {
		"{\"metadata\":{\"name\":\"a\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]},"
		"\"status\":{\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"c\",\"image\":\"x\","
		"\"state\":{\"running\":{\"startedAt\":\"2026-01-01T00:00:00Z\"}}}]}}",
		"{\"metadata\":{\"name\":\"a\"},\"status\":{\"containerStatuses\":[{\"name\":\"c\","
		"\"state\":{\"terminated\":{\"reason\":\"Completed\",\"exitCode\":0}}}]}}",
		"{\"metadata\":{\"name\":\"a\"},\"status\":{\"containerStatuses\":[{\"name\":\"c\","
		"\"state\":{\"waiting\":{\"reason\":\"ContainerCreating\"}}}]}}",
		"{\"metadata\":{\"name\":\"a\"},\"status\":{\"containerStatuses\":[{\"name\":\"c\","
		"\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}}}]}}",
		/* Pending without a node: no statuses at all */
		"{\"metadata\":{\"name\":\"a\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]},"
		"\"status\":{\"phase\":\"Pending\",\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"False\"}]}}",
	};

	for (size_t i = 0; i < ML_ARRAY_SIZE(pods); i++)
		ck_assert_msg(hint_of(parse(pods[i]), "minilaunch", true) ==
				      NULL,
			      "pod %zu has a hint", i);
}
END_TEST

START_TEST(test_pod_hints_second_container_and_init)
{
	/* the sidecar is running, the app waits: the app's image */
	struct json_object *pod = parse(
		"{\"metadata\":{\"name\":\"two\",\"namespace\":\"ns1\"},"
		"\"spec\":{\"containers\":[{\"name\":\"side\",\"image\":\"side:1\"},"
		"{\"name\":\"app\",\"image\":\"registry.example/app:2\"}]},"
		"\"status\":{\"containerStatuses\":["
		"{\"name\":\"app\",\"image\":\"registry.example/app:2\",\"state\":{\"waiting\":{\"reason\":\"ImagePullBackOff\"}}},"
		"{\"name\":\"side\",\"image\":\"side:1\",\"state\":{\"running\":{}}}]}}");
	struct ml_pod_problem *p = ml_pod_hint(pod, "minilaunch", true);

	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->image, "registry.example/app:2");
	ck_assert_str_eq(p->reason, "ImagePullBackOff");
	p = ml_pod_problem_free(p);
	json_object_put(pod);

	/* an init container that cannot be pulled comes first */
	pod = parse(
		"{\"metadata\":{\"name\":\"init\"},"
		"\"spec\":{\"initContainers\":[{\"name\":\"setup\",\"image\":\"tools:3\"}],"
		"\"containers\":[{\"name\":\"app\",\"image\":\"app:1\"}]},"
		"\"status\":{\"initContainerStatuses\":[{\"name\":\"setup\",\"image\":\"tools:3\","
		"\"state\":{\"waiting\":{\"reason\":\"ErrImageNeverPull\"}}}],"
		"\"containerStatuses\":[{\"name\":\"app\",\"image\":\"app:1\","
		"\"state\":{\"waiting\":{\"reason\":\"PodInitializing\"}}}]}}");
	p = ml_pod_hint(pod, "minilaunch", false);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->ns, "default");
	ck_assert_str_eq(p->image, "tools:3");
	ck_assert_str_eq(p->reason, "ErrImageNeverPull");
	ml_pod_problem_free(p);
	json_object_put(pod);
}
END_TEST

START_TEST(test_pod_hints_status_image_fallback)
{
	/* no spec in the object (a partial one): the status's image */
	struct json_object *pod = parse(
		"{\"metadata\":{\"name\":\"p\",\"namespace\":\"x\"},"
		"\"status\":{\"containerStatuses\":[{\"name\":\"c\",\"image\":\"busybox:1.36\","
		"\"state\":{\"waiting\":{\"reason\":\"ErrImagePull\"}}}]}}");
	struct ml_pod_problem *p = ml_pod_hint(pod, "minilaunch", true);

	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->image, "busybox:1.36");
	ml_pod_problem_free(p);
	json_object_put(pod);
}
END_TEST

START_TEST(test_pod_hints_bad_json)
{
	/* wrong types anywhere: no hint, no crash; control characters in a
	 * name never reach the terminal */
	static const char *const pods[] = {
		"null",
		"[]",
		"\"pod\"",
		"{\"status\":null}",
		"{\"status\":{\"containerStatuses\":{}}}",
		"{\"status\":{\"containerStatuses\":[null,1,\"x\",[]]}}",
		"{\"status\":{\"containerStatuses\":[{\"state\":{\"waiting\":{\"reason\":7}}}]}}",
		"{\"status\":{\"containerStatuses\":[{\"state\":{\"waiting\":[]}}]}}",
		"{\"status\":{\"containerStatuses\":[{\"state\":\"waiting\"}]}}",
	};
	struct json_object *pod;
	struct ml_pod_problem *p;

	for (size_t i = 0; i < ML_ARRAY_SIZE(pods); i++) {
		pod = json_tokener_parse(pods[i]);
		ck_assert_msg(ml_pod_hint(pod, "minilaunch", true) == NULL,
			      "pod %zu has a hint", i);
		json_object_put(pod);
	}
	pod = parse(
		"{\"metadata\":{\"name\":\"a\\u001b[2Jb\",\"namespace\":3},"
		"\"spec\":{\"containers\":[{\"name\":5,\"image\":\"zz\"}]},"
		"\"status\":{\"containerStatuses\":[{\"name\":\"c\",\"image\":null,"
		"\"state\":{\"waiting\":{\"reason\":\"ErrImageNeverPull\"}}}]}}");
	p = ml_pod_hint(pod, "minilaunch", false);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->name, "a?[2Jb");
	ck_assert_str_eq(p->ns, "default");
	ck_assert_str_eq(p->image, "?");
	ml_pod_problem_free(p);
	json_object_put(pod);
}
END_TEST

START_TEST(test_pod_hints_list)
{
	ml_autofree char *text = NULL;
	struct json_object *list, *a, *b, *c, *items, *js;
	struct ml_pod_problem **v = NULL;
	size_t n = 99;

	a = pod_waiting("default", "web", "nginx", "nginx", "ErrImagePull",
			"Always");
	b = parse(
		"{\"metadata\":{\"name\":\"ok\"},\"status\":{\"phase\":\"Running\"}}");
	c = pod_waiting("kube-system", "tool", "tool:1", "tool:1",
			"ErrImageNeverPull", "Never");
	list = json_object_new_object();
	items = json_object_new_array();
	json_object_array_add(items, a);
	json_object_array_add(items, b);
	json_object_array_add(items, c);
	json_object_object_add(list, "kind", json_object_new_string("PodList"));
	json_object_object_add(list, "items", items);

	ck_assert_int_eq(ml_pod_hints_list(list, "minilaunch", false, &v, &n),
			 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(v[0]->name, "tool");
	ml_pod_problems_free(v, n);

	ck_assert_int_eq(ml_pod_hints_list(list, "minilaunch", true, &v, &n),
			 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(v[0]->name, "web");
	ck_assert_str_eq(v[1]->ns, "kube-system");
	js = ml_pod_problem_json(v[0]);
	ck_assert_str_eq(
		json_object_to_json_string_ext(js, JSON_C_TO_STRING_PLAIN),
		"{\"namespace\":\"default\",\"name\":\"web\",\"reason\":\"ErrImagePull\",\"image\":\"nginx\",\"hint\":\"" OFFLINE_HINT
		"\"}");
	json_object_put(js);
	ml_pod_problems_free(v, n);
	json_object_put(list);

	list = parse("{\"kind\":\"PodList\",\"items\":null}");
	ck_assert_int_eq(ml_pod_hints_list(list, "minilaunch", true, &v, &n),
			 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(v);
	json_object_put(list);

	list = parse("{\"kind\":\"PodList\",\"items\":{}}");
	ck_assert_int_eq(ml_pod_hints_list(list, "minilaunch", true, &v, &n),
			 -EBADMSG);
	ck_assert_str_eq(ml_err_msg(), "the pod list's items are not an array");
	json_object_put(list);
}
END_TEST

static Suite *
pod_hints_suite(void)
{
	Suite *s = suite_create("pod_hints");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_pod_hints_pull_error_offline);
	tcase_add_test(tc, test_pod_hints_pull_error_online_none);
	tcase_add_test(tc, test_pod_hints_other_profile);
	tcase_add_test(tc, test_pod_hints_never_pull);
	tcase_add_test(tc, test_pod_hints_not_waiting);
	tcase_add_test(tc, test_pod_hints_second_container_and_init);
	tcase_add_test(tc, test_pod_hints_status_image_fallback);
	tcase_add_test(tc, test_pod_hints_bad_json);
	tcase_add_test(tc, test_pod_hints_list);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ml_check_run(pod_hints_suite());
}
