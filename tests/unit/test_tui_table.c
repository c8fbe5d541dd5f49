/* test_tui_table.c: the dashboard's pure logic: status colours, sorting,
 * filtering, watch updates and column layout (src/tui/table.c). */
#include "config.h"

#include "tui/table.h"
#include "tui/age.h"
#include "base/util.h"
#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A Table as the API server sends it for pods (priority-1 columns left
 * out of the display), rows given as "ns name ready status restarts age". */
static struct json_object *
pod_table(const char *const *rows, size_t n, bool with_defs)
{
	ml_autofree char *json = NULL;
	char *body = ml_xstrdup("");

	for (size_t i = 0; i < n; i++) {
		char ns[64], name[64], ready[16], status[64], restarts[16],
			age[16];
		char *next;

		ck_assert_int_eq(sscanf(rows[i],
					"%63s %63s %15s %63s %15s %15s", ns,
					name, ready, status, restarts, age),
				 6);
		next = ml_xasprintf(
			"%s%s{\"cells\":[\"%s\",\"%s\",\"%s\",%s,\"%s\",\"10.0.0.%zu\"],"
			"\"object\":{\"kind\":\"PartialObjectMetadata\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\"}}}",
			body, i ? "," : "", name, ready, status, restarts, age,
			i, name, ns);
		free(body);
		body = next;
	}
	json = ml_xasprintf(
		"{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/v1\",%s\"rows\":[%s]}",
		with_defs
			? "\"columnDefinitions\":["
			  "{\"name\":\"Name\",\"type\":\"string\",\"priority\":0},"
			  "{\"name\":\"Ready\",\"type\":\"string\",\"priority\":0},"
			  "{\"name\":\"Status\",\"type\":\"string\",\"priority\":0},"
			  "{\"name\":\"Restarts\",\"type\":\"integer\",\"priority\":0},"
			  "{\"name\":\"Age\",\"type\":\"string\",\"priority\":0},"
			  "{\"name\":\"IP\",\"type\":\"string\",\"priority\":1}],"
			: "",
		body);
	free(body);
	return json_tokener_parse(json);
}

static struct ml_tui_table *
sample(bool with_ns)
{
	static const char *const rows[] = {
		"default web-1 1/1 Running 0 5m",
		"default web-2 0/1 CrashLoopBackOff 12 2d",
		"kube-system dns-1 0/1 Pending 3 40s",
		"default batch-1 0/1 Completed 0 1h",
	};
	struct ml_tui_table *t = ml_tui_table_new(with_ns);
	struct json_object *o = pod_table(rows, 4, true);

	ck_assert_int_eq(ml_tui_table_replace(t, o), 0);
	json_object_put(o);
	ml_tui_table_refresh(t);
	return t;
}

static const char *
vis_name(const struct ml_tui_table *t, size_t i)
{
	ck_assert_uint_lt(i, t->nvis);
	return t->vis[i]->name;
}

START_TEST(test_tui_table_columns_from_table)
{
	struct ml_tui_table *t = sample(true);

	/* priority-1 IP is hidden; NAMESPACE comes first with -A */
	ck_assert_uint_eq(t->ncols, 6);
	ck_assert_str_eq(t->titles[0], "NAMESPACE");
	ck_assert_str_eq(t->titles[1], "NAME");
	ck_assert_str_eq(t->titles[5], "AGE");
	ck_assert_int_eq(ml_tui_table_column(t, "IP"), -1);
	ck_assert_uint_eq(t->nrows, 4);
	/* integer cells print as kubectl prints them */
	ck_assert_str_eq(ml_tui_table_find(t, "default/web-2")->cells[4], "12");
	ck_assert_str_eq(ml_tui_table_find(t, "kube-system/dns-1")->cells[0],
			 "kube-system");
	ml_tui_table_free(t);
}
END_TEST

START_TEST(test_tui_table_status_colours)
{
	struct ml_tui_table *t = sample(false);

	ck_assert_int_eq(ml_tui_table_find(t, "default/web-1")->status,
			 ML_TUI_STATUS_OK);
	ck_assert_int_eq(ml_tui_table_find(t, "default/web-2")->status,
			 ML_TUI_STATUS_FAILED);
	ck_assert_int_eq(ml_tui_table_find(t, "kube-system/dns-1")->status,
			 ML_TUI_STATUS_PENDING);
	ck_assert_int_eq(ml_tui_table_find(t, "default/batch-1")->status,
			 ML_TUI_STATUS_DONE);
	ml_tui_table_free(t);

	ck_assert_int_eq(ml_tui_status_of_word("Running"), ML_TUI_STATUS_OK);
	ck_assert_int_eq(ml_tui_status_of_word("ContainerCreating"),
			 ML_TUI_STATUS_PENDING);
	ck_assert_int_eq(ml_tui_status_of_word("Terminating"),
			 ML_TUI_STATUS_PENDING);
	ck_assert_int_eq(ml_tui_status_of_word("Init:0/2"),
			 ML_TUI_STATUS_PENDING);
	ck_assert_int_eq(ml_tui_status_of_word("Init:CrashLoopBackOff"),
			 ML_TUI_STATUS_FAILED);
	ck_assert_int_eq(ml_tui_status_of_word("Init:Error"),
			 ML_TUI_STATUS_FAILED);
	ck_assert_int_eq(ml_tui_status_of_word("ImagePullBackOff"),
			 ML_TUI_STATUS_FAILED);
	ck_assert_int_eq(ml_tui_status_of_word("ErrImagePull"),
			 ML_TUI_STATUS_FAILED);
	ck_assert_int_eq(ml_tui_status_of_word("OOMKilled"),
			 ML_TUI_STATUS_FAILED);
	ck_assert_int_eq(ml_tui_status_of_word("Evicted"),
			 ML_TUI_STATUS_FAILED);
	ck_assert_int_eq(ml_tui_status_of_word("Signal:9"),
			 ML_TUI_STATUS_FAILED);
	ck_assert_int_eq(ml_tui_status_of_word("ExitCode:1"),
			 ML_TUI_STATUS_FAILED);
	ck_assert_int_eq(ml_tui_status_of_word("Completed"),
			 ML_TUI_STATUS_DONE);
	ck_assert_int_eq(ml_tui_status_of_word("Ready"), ML_TUI_STATUS_OK);
	ck_assert_int_eq(ml_tui_status_of_word("NotReady"),
			 ML_TUI_STATUS_PENDING);
	ck_assert_int_eq(ml_tui_status_of_word("Ready,SchedulingDisabled"),
			 ML_TUI_STATUS_PENDING);
	ck_assert_int_eq(ml_tui_status_of_word("Active"), ML_TUI_STATUS_OK);
	ck_assert_int_eq(ml_tui_status_of_word("ClusterIP"),
			 ML_TUI_STATUS_NONE);
	ck_assert_int_eq(ml_tui_status_of_word(""), ML_TUI_STATUS_NONE);
	ck_assert_int_eq(ml_tui_status_of_word(NULL), ML_TUI_STATUS_NONE);
}
END_TEST

START_TEST(test_tui_table_ready_and_event_colours)
{
	struct ml_tui_table *t = ml_tui_table_new(false);
	struct json_object *o = json_tokener_parse(
		"{\"kind\":\"Table\",\"columnDefinitions\":["
		"{\"name\":\"Name\",\"priority\":0},{\"name\":\"Ready\",\"priority\":0},"
		"{\"name\":\"Up-to-date\",\"priority\":0}],\"rows\":["
		"{\"cells\":[\"a\",\"0/3\",3],\"object\":{\"metadata\":{\"name\":\"a\",\"namespace\":\"x\"}}},"
		"{\"cells\":[\"b\",\"2/2\",2],\"object\":{\"metadata\":{\"name\":\"b\",\"namespace\":\"x\"}}}]}");

	ml_tui_table_replace(t, o);
	ck_assert_int_eq(ml_tui_table_find(t, "x/a")->status,
			 ML_TUI_STATUS_PENDING);
	ck_assert_int_eq(ml_tui_table_find(t, "x/b")->status, ML_TUI_STATUS_OK);
	json_object_put(o);
	ml_tui_table_free(t);

	t = ml_tui_table_new(false);
	o = json_tokener_parse(
		"{\"kind\":\"Table\",\"columnDefinitions\":["
		"{\"name\":\"Last Seen\",\"priority\":0},{\"name\":\"Type\",\"priority\":0}],\"rows\":["
		"{\"cells\":[\"1m\",\"Warning\"],\"object\":{\"metadata\":{\"name\":\"e1\",\"namespace\":\"x\"}}},"
		"{\"cells\":[\"1m\",\"Normal\"],\"object\":{\"metadata\":{\"name\":\"e2\",\"namespace\":\"x\"}}}]}");
	ml_tui_table_replace(t, o);
	ck_assert_str_eq(t->titles[0], "LAST SEEN");
	ck_assert_int_eq(ml_tui_table_find(t, "x/e1")->status,
			 ML_TUI_STATUS_PENDING);
	ck_assert_int_eq(ml_tui_table_find(t, "x/e2")->status,
			 ML_TUI_STATUS_NONE);
	json_object_put(o);
	ml_tui_table_free(t);
}
END_TEST

START_TEST(test_tui_table_sort)
{
	struct ml_tui_table *t = sample(false);

	/* default: by namespace/name */
	ck_assert_str_eq(vis_name(t, 0), "batch-1");
	ck_assert_str_eq(vis_name(t, 3), "dns-1");
	/* RESTARTS numerically: 0, 0, 3, 12 (not "12" < "3") */
	ml_tui_table_sort_by(t, ml_tui_table_column(t, "RESTARTS"));
	ck_assert(ml_tui_table_refresh(t));
	ck_assert_str_eq(vis_name(t, 2), "dns-1");
	ck_assert_str_eq(vis_name(t, 3), "web-2");
	/* same column again reverses */
	ml_tui_table_sort_by(t, ml_tui_table_column(t, "RESTARTS"));
	ml_tui_table_refresh(t);
	ck_assert_str_eq(vis_name(t, 0), "web-2");
	/* AGE as durations: 40s < 5m < 1h < 2d */
	ml_tui_table_sort_by(t, ml_tui_table_column(t, "AGE"));
	ml_tui_table_refresh(t);
	ck_assert(!t->sort_desc);
	ck_assert_str_eq(vis_name(t, 0), "dns-1");
	ck_assert_str_eq(vis_name(t, 1), "web-1");
	ck_assert_str_eq(vis_name(t, 2), "batch-1");
	ck_assert_str_eq(vis_name(t, 3), "web-2");
	/* nothing changed: no rebuild */
	ck_assert(!ml_tui_table_refresh(t));
	ml_tui_table_free(t);
}
END_TEST

START_TEST(test_tui_table_compare_cells)
{
	ck_assert_int_lt(ml_tui_cell_compare("9", "10"), 0);
	ck_assert_int_lt(ml_tui_cell_compare("59s", "1m"), 0);
	ck_assert_int_lt(ml_tui_cell_compare("3m20s", "3m21s"), 0);
	ck_assert_int_gt(ml_tui_cell_compare("2d", "47h"), 0);
	ck_assert_int_gt(ml_tui_cell_compare("<unknown>", "5y"), 0);
	ck_assert_int_lt(ml_tui_cell_compare("Apple", "banana"), 0);
	ck_assert_int_eq(ml_tui_cell_compare("x", "X"), 0);
	ck_assert_int_eq(ml_tui_age_seconds("2d4h"), 2 * 86400 + 4 * 3600);
	ck_assert_int_eq(ml_tui_age_seconds("1y"), 365LL * 86400);
	ck_assert_int_eq(ml_tui_age_seconds("5"), -1);
	ck_assert_int_eq(ml_tui_age_seconds("m"), -1);
	ck_assert_int_eq(ml_tui_age_seconds("web"), -1);
	ck_assert_int_eq(ml_tui_age_seconds(""), -1);
}
END_TEST

START_TEST(test_tui_table_filter)
{
	struct ml_tui_table *t = sample(false);

	ml_tui_table_set_filter(t, "WEB");
	ml_tui_table_refresh(t);
	ck_assert_uint_eq(t->nvis, 2);
	ck_assert_str_eq(vis_name(t, 0), "web-1");
	/* any cell matches, not only the name */
	ml_tui_table_set_filter(t, "crashloop");
	ml_tui_table_refresh(t);
	ck_assert_uint_eq(t->nvis, 1);
	ck_assert_str_eq(vis_name(t, 0), "web-2");
	ml_tui_table_set_filter(t, "nothing-like-this");
	ml_tui_table_refresh(t);
	ck_assert_uint_eq(t->nvis, 0);
	ml_tui_table_set_filter(t, "");
	ck_assert_ptr_null(t->filter);
	ml_tui_table_refresh(t);
	ck_assert_uint_eq(t->nvis, 4);
	ck_assert(ml_tui_match("Hello", "ELL"));
	ck_assert(ml_tui_match("x", ""));
	ck_assert(!ml_tui_match("", "x"));
	ml_tui_table_free(t);
}
END_TEST

START_TEST(test_tui_table_watch_updates)
{
	struct ml_tui_table *t = sample(false);
	static const char *const add[] = {
		"default web-3 0/1 ContainerCreating 0 1s"
	};
	static const char *const mod[] = {
		"default web-1 1/1 Terminating 0 5m"
	};
	static const char *const same[] = {
		"default web-1 1/1 Terminating 0 5m"
	};
	struct json_object *o;
	unsigned long gen1, layout;

	/* watch events carry rows without columnDefinitions */
	o = pod_table(add, 1, false);
	ck_assert_int_eq(ml_tui_table_apply(t, o, false), 1);
	json_object_put(o);
	ck_assert_uint_eq(t->nrows, 5);
	ck_assert_str_eq(ml_tui_table_find(t, "default/web-3")->cells[2],
			 "ContainerCreating");
	ck_assert_int_eq(ml_tui_table_find(t, "default/web-3")->status,
			 ML_TUI_STATUS_PENDING);

	gen1 = ml_tui_table_find(t, "default/web-1")->gen;
	o = pod_table(mod, 1, false);
	ck_assert_int_eq(ml_tui_table_apply(t, o, false), 1);
	json_object_put(o);
	ck_assert_uint_ne(ml_tui_table_find(t, "default/web-1")->gen, gen1);
	ck_assert_int_eq(ml_tui_table_find(t, "default/web-1")->status,
			 ML_TUI_STATUS_PENDING);

	/* an update that changes no cell keeps the generation: no repaint */
	gen1 = ml_tui_table_find(t, "default/web-1")->gen;
	ml_tui_table_refresh(t);
	layout = t->layout_gen;
	o = pod_table(same, 1, false);
	ck_assert_int_eq(ml_tui_table_apply(t, o, false), 0);
	json_object_put(o);
	ck_assert_uint_eq(ml_tui_table_find(t, "default/web-1")->gen, gen1);
	ml_tui_table_refresh(t);
	ck_assert_uint_eq(t->layout_gen, layout);

	o = pod_table(mod, 1, false);
	ck_assert_int_eq(ml_tui_table_apply(t, o, true), 1);
	ck_assert_int_eq(ml_tui_table_apply(t, o, true), 0);
	json_object_put(o);
	ck_assert_ptr_null(ml_tui_table_find(t, "default/web-1"));
	ck_assert_uint_eq(t->nrows, 4);
	ck_assert(ml_tui_table_refresh(t));
	ck_assert_uint_eq(t->nvis, 4);

	/* a plain object (not a Table) deletes by metadata too */
	o = json_tokener_parse(
		"{\"metadata\":{\"name\":\"web-3\",\"namespace\":\"default\"}}");
	ck_assert_int_eq(ml_tui_table_apply(t, o, true), 1);
	json_object_put(o);
	ck_assert_uint_eq(t->nrows, 3);

	/* a relist replaces everything */
	o = pod_table(add, 1, true);
	ck_assert_int_eq(ml_tui_table_replace(t, o), 0);
	json_object_put(o);
	ck_assert_uint_eq(t->nrows, 1);
	o = json_tokener_parse("{\"kind\":\"Status\"}");
	ck_assert_int_lt(ml_tui_table_replace(t, o), 0);
	json_object_put(o);
	ml_tui_table_free(t);
}
END_TEST

START_TEST(test_tui_table_created_from_metadata)
{
	struct json_object *o = json_tokener_parse(
		"{\"kind\":\"Table\",\"columnDefinitions\":[{\"name\":\"Name\",\"type\":\"string\",\"priority\":0}],"
		"\"rows\":[{\"cells\":[\"a\"],\"object\":{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\",\"creationTimestamp\":\"2026-12-02T09:20:53Z\"}}},"
		"{\"cells\":[\"b\"],\"object\":{\"metadata\":{\"name\":\"b\",\"namespace\":\"n\"}}}]}");
	struct ml_tui_table *t = ml_tui_table_new(true);

	ck_assert_int_eq(ml_tui_table_replace(t, o), 0);
	ck_assert_int_eq((long long)ml_tui_table_find(t, "n/a")->created,
			 1796203253LL);
	ck_assert_int_eq((long long)ml_tui_table_find(t, "n/b")->created, 0);
	json_object_put(o);
	ml_tui_table_free(t);

	ck_assert_int_eq((long long)ml_tui_time_parse("1970-01-01T00:00:00Z"),
			 0);
	ck_assert_int_eq((long long)ml_tui_time_parse("2000-02-29T23:59:59Z"),
			 951868799LL);
	ck_assert_int_eq((long long)ml_tui_time_parse(NULL), 0);
	ck_assert_int_eq((long long)ml_tui_time_parse("2026-12-02"), 0);
	ck_assert_int_eq((long long)ml_tui_time_parse("2026-13-02T09:20:53Z"),
			 0);
	ck_assert_int_eq((long long)ml_tui_time_parse("2026-12-02T09:20:53Zx"),
			 0);
}
END_TEST

/* A paged list: the first page replaces, later ones add to it. */
START_TEST(test_tui_table_pages_add_up)
{
	static const char *const p1[] = { "default a 1/1 Running 0 5m",
					  "default b 1/1 Running 0 5m" };
	static const char *const p2[] = { "default c 1/1 Running 0 5m" };
	static const char *const again[] = { "default b 1/1 Running 0 5m" };
	struct ml_tui_table *t = ml_tui_table_new(true);
	struct json_object *o;

	o = pod_table(p1, 2, true);
	ck_assert_int_eq(ml_tui_table_replace(t, o), 0);
	json_object_put(o);
	o = pod_table(p2, 1, true); /* each page repeats the columns */
	ck_assert_int_eq(ml_tui_table_apply(t, o, false), 1);
	json_object_put(o);
	ck_assert_uint_eq(t->nrows, 3);
	ck_assert_uint_eq(t->ncols, 6);
	ck_assert_ptr_nonnull(ml_tui_table_find(t, "default/a"));
	ck_assert_ptr_nonnull(ml_tui_table_find(t, "default/c"));
	/* a relist's first page replaces every row */
	o = pod_table(again, 1, true);
	ck_assert_int_eq(ml_tui_table_replace(t, o), 0);
	json_object_put(o);
	ck_assert_uint_eq(t->nrows, 1);
	ml_tui_table_free(t);
}
END_TEST

START_TEST(test_tui_table_widths_follow_rows)
{
	struct ml_tui_table *t = sample(false);
	static const char *const longer[] = {
		"default a-very-long-pod-name-indeed 0/1 Pending 0 1s"
	};
	struct json_object *o = pod_table(longer, 1, false);
	int name = ml_tui_table_column(t, "NAME");
	unsigned long layout = t->layout_gen;

	ck_assert_uint_eq(t->natural[name], strlen("batch-1"));
	ck_assert_uint_eq(t->natural[ml_tui_table_column(t, "STATUS")],
			  strlen("CrashLoopBackOff"));
	ml_tui_table_apply(t, o, false);
	json_object_put(o);
	ml_tui_table_refresh(t);
	ck_assert_uint_eq(t->natural[name],
			  strlen("a-very-long-pod-name-indeed"));
	ck_assert_uint_ne(t->layout_gen, layout);
	ml_tui_table_free(t);
}
END_TEST

START_TEST(test_tui_table_layout)
{
	size_t nat[] = { 30, 5, 16, 8, 3 }, w[5];

	/* fits: natural widths */
	ml_tui_layout(nat, 5, 6, 3, 200, w);
	ck_assert_uint_eq(w[0], 30);
	ck_assert_uint_eq(w[2], 16);
	/* too wide: 62 + 12 gaps > 60: the widest shrink to a common cap,
	 * narrow ones stay whole */
	ml_tui_layout(nat, 5, 6, 3, 60, w);
	ck_assert_uint_eq(w[1], 5);
	ck_assert_uint_eq(w[4], 3);
	ck_assert_uint_le(w[0] + w[1] + w[2] + w[3] + w[4] + 12, 60);
	ck_assert_uint_ge(w[0] + w[1] + w[2] + w[3] + w[4] + 12, 58);
	ck_assert_uint_lt(w[0], 30);
	/* never under the minimum: overflow is cut by the screen edge */
	ml_tui_layout(nat, 5, 6, 3, 10, w);
	ck_assert_uint_eq(w[0], 6);
	ck_assert_uint_eq(w[4], 3);
}
END_TEST

START_TEST(test_tui_table_text_width)
{
	ck_assert_uint_eq(ml_tui_text_width("abc"), 3);
	ck_assert_uint_eq(ml_tui_text_width("h\xc3\xa9llo"), 5);
	ck_assert_uint_eq(ml_tui_text_fit("h\xc3\xa9llo", 2), 3);
	ck_assert_uint_eq(ml_tui_text_fit("abc", 10), 3);
	ck_assert_uint_eq(ml_tui_text_fit("abc", 0), 0);
}
END_TEST

static Suite *
tui_table_suite(void)
{
	Suite *s = suite_create("tui_table");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_tui_table_columns_from_table);
	tcase_add_test(tc, test_tui_table_status_colours);
	tcase_add_test(tc, test_tui_table_ready_and_event_colours);
	tcase_add_test(tc, test_tui_table_sort);
	tcase_add_test(tc, test_tui_table_compare_cells);
	tcase_add_test(tc, test_tui_table_filter);
	tcase_add_test(tc, test_tui_table_watch_updates);
	tcase_add_test(tc, test_tui_table_created_from_metadata);
	tcase_add_test(tc, test_tui_table_pages_add_up);
	tcase_add_test(tc, test_tui_table_widths_follow_rows);
	tcase_add_test(tc, test_tui_table_layout);
	tcase_add_test(tc, test_tui_table_text_width);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ml_check_run(tui_table_suite());
}
