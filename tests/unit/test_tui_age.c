/* test_tui_age.c: the dashboard's time cells (src/tui/age.c) against
 * kubectl's HumanDuration, and the timestamps they are counted from. */
#include "config.h"

#include "tui/age.h"
#include "tui/table.h"
#include "base/util.h"
#include "check_run.h"

#include <check.h>
#include <string.h>

static const struct {
	long long secs;
	const char *text;
} ages[] = {
	{ -5, "<invalid>" },
	{ -1, "0s" },
	{ 0, "0s" },
	{ 5, "5s" },
	{ 119, "119s" },
	{ 120, "2m" },
	{ 200, "3m20s" },
	{ 599, "9m59s" },
	{ 600, "10m" },
	{ 3 * 3600 - 1, "179m" },
	{ 3 * 3600 + 20 * 60, "3h20m" },
	{ 5 * 3600, "5h" },
	{ 30 * 3600 + 59, "30h" },
	{ 2 * 86400 + 3 * 3600, "2d3h" },
	{ 4 * 86400, "4d" },
	{ 45 * 86400 + 3600, "45d" },
	{ 2 * 365 * 86400 + 45 * 86400, "2y45d" },
	{ 9 * 365 * 86400 + 45 * 86400, "9y" },
};

START_TEST(test_tui_age_kubectl_format)
{
	char buf[ML_TUI_AGE_MAX];

	for (size_t i = 0; i < ML_ARRAY_SIZE(ages); i++) {
		ml_tui_age_format(ages[i].secs, buf, sizeof(buf));
		ck_assert_msg(strcmp(buf, ages[i].text) == 0,
			      "%lld s: got '%s', want '%s'", ages[i].secs, buf,
			      ages[i].text);
		/* what the table sorts by reads it back */
		if (ages[i].secs >= 0 && ages[i].secs < 120)
			ck_assert_int_eq(ml_tui_age_seconds(buf), ages[i].secs);
	}
}
END_TEST

/* The text stays the same until the next change, and changes then. */
START_TEST(test_tui_age_next_change)
{
	for (long long s = 0; s < 10 * 86400; s += s < 1000 ? 1 : 97) {
		long long n = ml_tui_age_next_change(s);
		char a[ML_TUI_AGE_MAX], b[ML_TUI_AGE_MAX];

		ck_assert_int_gt(n, 0);
		ml_tui_age_format(s, a, sizeof(a));
		ml_tui_age_format(s + n - 1, b, sizeof(b));
		ck_assert_msg(strcmp(a, b) == 0, "%lld: '%s' then '%s'", s, a,
			      b);
	}
	/* over 10 minutes an age changes once a minute */
	ck_assert_int_eq(ml_tui_age_next_change(600), 60);
	ck_assert_int_eq(ml_tui_age_next_change(659), 1);
	ck_assert_int_eq(ml_tui_age_next_change(599), 1);
	ck_assert_int_eq(ml_tui_age_next_change(9 * 3600), 3600);
}
END_TEST

START_TEST(test_tui_age_time_parse)
{
	ck_assert_int_eq(ml_tui_time_parse("1970-01-01T00:01:40Z"), 100);
	ck_assert_int_eq(ml_tui_time_parse("2026-12-02T09:20:50Z"), 1796203250);
	ck_assert_int_eq(ml_tui_time_parse("2026-12-02T09:20:50"), 0);
	ck_assert_int_eq(ml_tui_time_parse("2026-12-02T09:20:50Zx"), 0);
	ck_assert_int_eq(ml_tui_time_parse("yesterday"), 0);
	ck_assert_int_eq(ml_tui_time_parse(NULL), 0);
}
END_TEST

/* A Table row carries its object's creationTimestamp into the row. */
START_TEST(test_tui_age_row_created)
{
	struct ml_tui_table *t = ml_tui_table_new(false);
	struct json_object *o = json_tokener_parse(
		"{\"kind\":\"Table\",\"columnDefinitions\":[{\"name\":\"Name\","
		"\"priority\":0},{\"name\":\"Age\",\"priority\":0}],\"rows\":["
		"{\"cells\":[\"a\",\"5s\"],\"object\":{\"metadata\":{\"name\":\"a\","
		"\"creationTimestamp\":\"1970-01-01T00:01:40Z\"}}},"
		"{\"cells\":[\"b\",\"5s\"],\"object\":{\"metadata\":{\"name\":\"b\"}}}]}");

	ck_assert_int_eq(ml_tui_table_replace(t, o), 0);
	ck_assert_int_eq(ml_tui_table_find(t, "a")->created, 100);
	ck_assert_int_eq(ml_tui_table_find(t, "b")->created, 0);
	ck_assert_int_gt(ml_tui_table_find(t, "b")->seen, 0);
	json_object_put(o);
	ml_tui_table_free(t);
}
END_TEST

static Suite *
tui_age_suite(void)
{
	Suite *s = suite_create("tui_age");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_tui_age_kubectl_format);
	tcase_add_test(tc, test_tui_age_next_change);
	tcase_add_test(tc, test_tui_age_time_parse);
	tcase_add_test(tc, test_tui_age_row_created);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ml_check_run(tui_age_suite());
}
