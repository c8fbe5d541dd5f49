/*
 * test_cluster_dns_readers.c: the cluster DNS wait's readers
 * (src/kube/workload.c) on bad JSON from the API server (issue 11,
 * item 8): a Deployment without matchLabels, or with labels that are not
 * strings, and PodLists whose items, containerStatuses or ready have the
 * wrong type. Each is skipped; nothing crashes (Check forks per case).
 */
#include "config.h"

#include "kube/workload.h"
#include "base/util.h"
#include "check_run.h"

#include <check.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static struct json_object *
parse(const char *text)
{
	struct json_object *o = json_tokener_parse(text);

	ck_assert_msg(o != NULL, "bad test JSON: %s", text);
	return o;
}

static char *
selector(const char *text)
{
	struct json_object *o = text ? parse(text) : NULL;
	char *s = ml_workload_selector(o);

	json_object_put(o);
	return s;
}

START_TEST(test_cluster_dns_selector)
{
	char *s = selector("{\"k8s-app\":\"kube-dns\",\"n\":5,\"x\":null}");

	ck_assert_str_eq(s, "k8s-app%3Dkube-dns");
	free(s);
	ck_assert_ptr_null(selector(NULL));
	ck_assert_ptr_null(selector("[\"k8s-app\"]"));
	ck_assert_ptr_null(selector("\"k8s-app=kube-dns\""));
	ck_assert_ptr_null(selector("{\"n\":{}}"));
}
END_TEST

static struct ml_workload_pods
pods(const char *text)
{
	struct json_object *o = parse(text);
	struct ml_workload_pods p;

	ml_workload_read_pods(o, 0, &p);
	json_object_put(o);
	return p;
}

START_TEST(test_cluster_dns_read_pods_bad_types)
{
	static const char *const none[] = {
		"{}",
		"{\"items\":null}",
		"{\"items\":{\"a\":1}}",
		"{\"items\":\"pods\"}",
	};
	struct ml_workload_pods p;

	for (size_t i = 0; i < sizeof(none) / sizeof(*none); i++) {
		p = pods(none[i]);
		ck_assert_ptr_null(p.state);
		ck_assert(!p.fresh && !p.fatal);
	}
	p = pods(
		"{\"items\":[null,{\"metadata\":{\"name\":7},"
		"\"status\":{\"phase\":3,\"containerStatuses\":{\"ready\":true}}}]}");
	ck_assert_str_eq(p.state, "pod ?: Unknown");
	ck_assert(!p.fresh);
	free(p.state);
	p = pods(
		"{\"items\":[{\"metadata\":{\"name\":\"d\"},\"status\":{\"phase\":\"Running\","
		"\"containerStatuses\":[null,{\"ready\":\"true\"}]}}]}");
	ck_assert_str_eq(p.state, "pod d: Running, not ready");
	ck_assert(!p.fresh);
	free(p.state);
	p = pods(
		"{\"items\":[{\"metadata\":{\"name\":\"d\"},\"status\":{\"phase\":\"Running\","
		"\"containerStatuses\":[{\"ready\":true,\"state\":{\"running\":"
		"{\"startedAt\":\"2026-12-01T17:16:10Z\"}}}]}}]}");
	ck_assert_str_eq(p.state, "pod d: Running");
	ck_assert(p.fresh);
	free(p.state);
}
END_TEST

static Suite *
cluster_dns_readers_suite(void)
{
	Suite *s = suite_create("cluster_dns_readers");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_cluster_dns_selector);
	tcase_add_test(tc, test_cluster_dns_read_pods_bad_types);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ml_check_run(cluster_dns_readers_suite());
}
