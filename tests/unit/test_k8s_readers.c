/*
 * test_k8s_readers.c: what the client and `start`, `status` and `service`
 * make of bad JSON from an API server (issue 11, item 8): null where a
 * string belongs, items or conditions that are not arrays, numbers as
 * strings, deep nesting. The readers of src/kube/k8s.c and cluster.c run
 * on text (their seams in k8s.h and cluster.h); each case must give an
 * error or skip the field, never crash (Check runs each case in a child,
 * so an abort or a segfault fails it).
 */
#include "config.h"

#include "kube/cluster.h"
#include "kube/k8s.h"
#include "kube/k8s_stream.h"
#include "base/util.h"
#include "check_run.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
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

static int
node_ready(const char *text)
{
	struct json_object *node = parse(text);
	int r = ml_cluster_read_node_ready("n1", node);

	json_object_put(node);
	return r;
}

START_TEST(test_k8s_readers_node_ready)
{
	ck_assert_int_eq(
		node_ready(
			"{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}"),
		0);
	ck_assert_int_eq(
		node_ready(
			"{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}]}}"),
		-EAGAIN);
	ck_assert_str_eq(ml_err_msg(), "node 'n1' is not Ready yet");
	ck_assert_int_eq(node_ready("{}"), -EAGAIN);
}
END_TEST

START_TEST(test_k8s_readers_node_null_type)
{
	ck_assert_int_eq(
		node_ready(
			"{\"status\":{\"conditions\":[{\"type\":null,\"status\":null},"
			"null,7,\"Ready\",[],{\"type\":\"Ready\",\"status\":true},"
			"{\"type\":\"Ready\",\"status\":\"True\"}]}}"),
		0);
	ck_assert_int_eq(node_ready("{\"status\":null}"), -EAGAIN);
	ck_assert_int_eq(node_ready("{\"status\":{\"conditions\":null}}"),
			 -EAGAIN);
	ck_assert_int_eq(node_ready("{\"status\":\"Ready\"}"), -EAGAIN);
}
END_TEST

START_TEST(test_k8s_readers_node_conditions_not_array)
{
	static const char *const bad[] = {
		"{\"status\":{\"conditions\":{\"type\":\"Ready\"}}}",
		"{\"status\":{\"conditions\":\"Ready\"}}",
		"{\"status\":{\"conditions\":3}}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		ck_assert_int_eq(node_ready(bad[i]), -EBADMSG);
		ck_assert_str_eq(
			ml_err_msg(),
			"node 'n1' has status.conditions that are not an array");
	}
}
END_TEST

START_TEST(test_k8s_readers_items_not_array)
{
	static const char *const bad[] = {
		"{\"items\":{}}",
		"{\"items\":\"a\"}",
		"{\"items\":1}",
	};
	struct json_object *o;
	size_t n = 99;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		o = parse(bad[i]);
		ck_assert_int_eq(ml_cluster_read_items(o, &n), -EBADMSG);
		ck_assert_str_eq(ml_err_msg(),
				 "the list's items are not an array");
		json_object_put(o);
	}
	o = parse("{\"items\":null}");
	ck_assert_int_eq(ml_cluster_read_items(o, &n), 0);
	ck_assert_uint_eq(n, 0);
	json_object_put(o);
	o = parse("{\"items\":[1,null]}");
	ck_assert_int_eq(ml_cluster_read_items(o, &n), 0);
	ck_assert_uint_eq(n, 2);
	json_object_put(o);
}
END_TEST

static int
node_ports(const char *text, int **ports, size_t *n)
{
	struct json_object *svc = parse(text);
	int r = ml_cluster_read_node_ports("web", svc, ports, n);

	json_object_put(svc);
	return r;
}

START_TEST(test_k8s_readers_service_ports)
{
	ml_autofree int *ports = NULL;
	size_t n = 0;

	ck_assert_int_eq(
		node_ports("{\"spec\":{\"ports\":[{\"port\":80},null,5,{\"nodePort\":null},"
			   "{\"nodePort\":30080},{\"nodePort\":30443}]}}",
			   &ports, &n),
		0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(ports[0], 30080);
	ck_assert_int_eq(ports[1], 30443);
}
END_TEST

START_TEST(test_k8s_readers_service_bad_ports)
{
	static const char *const no_ports[] = {
		"{}",
		"{\"spec\":null}",
		"{\"spec\":{\"ports\":null}}",
		"{\"spec\":{\"ports\":{\"nodePort\":30080}}}",
		"{\"spec\":{\"ports\":\"30080\"}}",
	};
	static const char *const bad_port[] = {
		"{\"spec\":{\"ports\":[{\"nodePort\":\"30080\"}]}}",
		"{\"spec\":{\"ports\":[{\"nodePort\":30080.5}]}}",
		"{\"spec\":{\"ports\":[{\"nodePort\":-1}]}}",
		"{\"spec\":{\"ports\":[{\"nodePort\":4294997376}]}}",
		"{\"spec\":{\"ports\":[{\"nodePort\":{}}]}}",
	};
	int *ports = NULL;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(no_ports) / sizeof(*no_ports); i++) {
		ck_assert_int_eq(node_ports(no_ports[i], &ports, &n), -EBADMSG);
		ck_assert_str_eq(ml_err_msg(), "service 'web' has no ports");
	}
	for (size_t i = 0; i < sizeof(bad_port) / sizeof(*bad_port); i++) {
		ck_assert_int_eq(node_ports(bad_port[i], &ports, &n), -EBADMSG);
		ck_assert_msg(
			strstr(ml_err_msg(),
			       "service 'web' has a nodePort that is not a port number") ==
				ml_err_msg(),
			"%s", ml_err_msg());
	}
}
END_TEST

static struct json_object *
read_list(const char *const *pages, size_t n)
{
	struct json_object *list = NULL;

	ck_assert_int_eq(ml_k8s_read_list(pages, n, &list), 0);
	return list;
}

START_TEST(test_k8s_readers_list_pages)
{
	static const char *const pages[] = {
		"{\"metadata\":{\"continue\":\"x\",\"resourceVersion\":\"1\"},\"items\":[1]}",
		"{\"metadata\":{\"resourceVersion\":\"2\"},\"items\":[2,3]}",
	};
	struct json_object *list = read_list(pages, 2);

	ck_assert_str_eq(
		json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN),
		"{\"metadata\":{\"resourceVersion\":\"2\"},\"items\":[1,2,3]}");
	json_object_put(list);
}
END_TEST

START_TEST(test_k8s_readers_list_bad_pages)
{
	static const char *const pages[][2] = {
		{ "{\"metadata\":\"m\",\"items\":[1]}",
		  "{\"metadata\":{\"resourceVersion\":\"2\"},\"items\":[2]}" },
		{ "{\"metadata\":5}", "{\"metadata\":[],\"items\":{}}" },
		{ "{\"items\":\"a\"}", "{\"items\":[1]}" },
		{ "{\"items\":[1]}", "{\"items\":7}" },
		{ "{\"metadata\":null}",
		  "{\"metadata\":{\"resourceVersion\":5}}" },
	};
	static const char *const not_object[] = { "[1]", "null", "\"x\"", "{" };
	struct json_object *list = NULL;

	for (size_t i = 0; i < sizeof(pages) / sizeof(*pages); i++)
		json_object_put(read_list(pages[i], 2));
	for (size_t i = 0; i < sizeof(not_object) / sizeof(*not_object); i++) {
		ck_assert_int_eq(ml_k8s_read_list(&not_object[i], 1, &list),
				 -EBADMSG);
		ck_assert_str_eq(ml_err_msg(),
				 "list page 0 is not a JSON object");
	}
}
END_TEST

struct seen {
	int n;
	enum ml_k8s_event_type type[8];
};

static void
on_event(const struct ml_k8s_event *ev, void *ud)
{
	struct seen *s = ud;

	ck_assert_ptr_nonnull(ev->obj);
	ck_assert(json_object_is_type(ev->obj, json_type_object));
	if (s->n < 8)
		s->type[s->n] = ev->type;
	s->n++;
}

START_TEST(test_k8s_readers_watch_bad_events)
{
	static const char body[] =
		"{\"type\":null,\"object\":{}}\n"
		"{\"type\":\"ADDED\",\"object\":null}\n"
		"{\"type\":\"ADDED\",\"object\":\"pod\"}\n"
		"{\"type\":\"ADDED\",\"object\":[1]}\n"
		"{\"type\":7,\"object\":{}}\n"
		"{\"type\":\"ERROR\",\"object\":{\"code\":\"410\"}}\n"
		"{\"type\":\"ERROR\",\"object\":null}\n"
		"{\"type\":\"ERROR\",\"object\":{\"code\":{},\"message\":5}}\n"
		"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":5}}}\n"
		"{\"type\":\"MODIFIED\",\"object\":{\"rows\":{\"a\":1},\"metadata\":3}}\n"
		"{\"type\":\"DELETED\",\"object\":{\"rows\":[null,{\"object\":5}]}}\n";
	struct seen s = { 0 };

	ck_assert_int_eq(ml_k8s_read_watch(body, strlen(body), false, on_event,
					   &s),
			 3);
	ck_assert_int_eq(s.n, 3);
	ck_assert_int_eq(s.type[0], ML_K8S_ADDED);
	ck_assert_int_eq(s.type[1], ML_K8S_MODIFIED);
	ck_assert_int_eq(s.type[2], ML_K8S_DELETED);
}
END_TEST

START_TEST(test_k8s_readers_watch_not_objects)
{
	static const char *const bad[] = { "[1]\n", "null\n", "5 ",
					   "{\"type\":", "}" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ck_assert_int_eq(ml_k8s_read_watch(bad[i], strlen(bad[i]),
						   false, NULL, NULL),
				 -EBADMSG);
}
END_TEST

/* Nesting beyond ML_K8S_JSON_DEPTH is refused, not a stack overflow. */
START_TEST(test_k8s_readers_deep_nesting)
{
	size_t depth = 100000, n = 0;
	char *deep = ml_xmalloc(2 * depth + 64);
	const char *page = deep;
	struct json_object *list = NULL;

	n += (size_t)sprintf(deep, "{\"type\":\"ADDED\",\"object\":{\"a\":");
	memset(deep + n, '[', depth);
	n += depth;
	memset(deep + n, ']', depth);
	n += depth;
	strcpy(deep + n, "}}\n");
	ck_assert_int_eq(ml_k8s_read_watch(deep, strlen(deep), false, NULL,
					   NULL),
			 -EBADMSG);
	ck_assert_int_eq(ml_k8s_read_list(&page, 1, &list), -EBADMSG);
	free(deep);
}
END_TEST

static Suite *
k8s_readers_suite(void)
{
	Suite *s = suite_create("k8s_readers");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_k8s_readers_node_ready);
	tcase_add_test(tc, test_k8s_readers_node_null_type);
	tcase_add_test(tc, test_k8s_readers_node_conditions_not_array);
	tcase_add_test(tc, test_k8s_readers_items_not_array);
	tcase_add_test(tc, test_k8s_readers_service_ports);
	tcase_add_test(tc, test_k8s_readers_service_bad_ports);
	tcase_add_test(tc, test_k8s_readers_list_pages);
	tcase_add_test(tc, test_k8s_readers_list_bad_pages);
	tcase_add_test(tc, test_k8s_readers_watch_bad_events);
	tcase_add_test(tc, test_k8s_readers_watch_not_objects);
	tcase_add_test(tc, test_k8s_readers_deep_nesting);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ml_check_run(k8s_readers_suite());
}
