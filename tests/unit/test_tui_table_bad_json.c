/*
 * test_tui_table_bad_json.c: the dashboard's table (src/tui/table.c) fed
 * Tables and watch events whose fields have the wrong types (issue 11,
 * item 8): cells that are not an array, names that are not strings,
 * column definitions with numbers as strings. Rows are skipped or cells
 * left empty; nothing aborts (Check runs each case in a child).
 */
#include "config.h"

#include "tui/table.h"
#include "base/util.h"
#include "check_run.h"

#include <check.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define DEFS                                                            \
	"\"columnDefinitions\":[{\"name\":\"Name\",\"priority\":0},"    \
	"{\"name\":\"Status\",\"priority\":\"1\"},{\"name\":7},null,5," \
	"{\"name\":\"Age\",\"priority\":0}]"

static struct json_object *
parse(const char *text)
{
	struct json_object *o = json_tokener_parse(text);

	ck_assert_msg(o != NULL, "bad test JSON: %s", text);
	return o;
}

START_TEST(test_tui_table_bad_cells)
{
	struct ml_tui_table *t = ml_tui_table_new(false);
	struct json_object *o = parse(
		"{\"kind\":\"Table\"," DEFS ",\"rows\":["
		"{\"cells\":{\"a\":1},\"object\":{\"metadata\":{\"name\":\"a\"}}},"
		"{\"cells\":\"x\",\"object\":{\"metadata\":{\"name\":\"b\"}}},"
		"{\"cells\":[\"c\",1],\"object\":{\"metadata\":{\"name\":7}}},"
		"{\"cells\":[\"d\"],\"object\":{\"metadata\":{\"name\":null}}},"
		"{\"cells\":[\"e\",null],\"object\":{\"metadata\":\"m\"}},"
		"null,3,"
		"{\"cells\":[\"f\",\"2d\"],\"object\":{\"metadata\":{\"name\":\"f\"}}}]}");

	ck_assert_int_ge(ml_tui_table_replace(t, o), 0);
	json_object_put(o);
	ml_tui_table_refresh(t);
	ck_assert_uint_eq(t->nvis, 3);
	ck_assert_ptr_nonnull(ml_tui_table_find(t, "a"));
	ck_assert_ptr_nonnull(ml_tui_table_find(t, "f"));
	ck_assert_ptr_null(ml_tui_table_find(t, "7"));
	ml_tui_table_free(t);
}
END_TEST

START_TEST(test_tui_table_bad_watch_events)
{
	struct ml_tui_table *t = ml_tui_table_new(true);
	static const char *const events[] = {
		"{\"kind\":\"Table\"," DEFS ",\"rows\":[{\"cells\":5,"
		"\"object\":{\"metadata\":{\"name\":\"a\",\"namespace\":3}}}]}",
		"{\"rows\":{\"cells\":[]}}",
		"{\"metadata\":{\"name\":[\"x\"]}}",
		"{\"metadata\":{\"name\":\"plain\",\"namespace\":\"ns\"}}",
		"{\"object\":5,\"metadata\":null}",
	};

	for (size_t i = 0; i < sizeof(events) / sizeof(*events); i++) {
		struct json_object *o = parse(events[i]);

		ck_assert_int_ge(ml_tui_table_apply(t, o, false), 0);
		ck_assert_int_ge(ml_tui_table_apply(t, o, true), 0);
		json_object_put(o);
	}
	ml_tui_table_refresh(t);
	ck_assert_uint_eq(t->nvis, 0);
	ml_tui_table_free(t);
}
END_TEST

static Suite *
tui_table_bad_json_suite(void)
{
	Suite *s = suite_create("tui_table_bad_json");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_tui_table_bad_cells);
	tcase_add_test(tc, test_tui_table_bad_watch_events);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ml_check_run(tui_table_bad_json_suite());
}
