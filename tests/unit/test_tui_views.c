/* test_tui_views.c: the dashboard's table of views (src/tui/views.c):
 * names and aliases unique, every key valid and free of the keys every
 * list has, the help and the key dispatch reading the table. The same
 * cases run in test_tui_views_extra, a build whose table has one more
 * entry and nothing else. */
#include "config.h"

#include "tui/dash.h"
#include "check_run.h"

#include <check.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The help screen as one string, lines joined by '\n'. */
static char *
help_text(void)
{
	struct dash d = { 0 };
	char *all = ml_xstrdup("");

	dash_show_help(&d);
	for (size_t i = 0; i < d.text.n; i++) {
		char *n = ml_xasprintf("%s%s\n", all, d.text.lines[i]);

		free(all);
		all = n;
	}
	dash_text_close(&d);
	return all;
}

START_TEST(test_tui_views_names_unique)
{
	for (size_t i = 0; i < dash_nviews; i++) {
		const struct view_def *v = &dash_views[i];
		const char *words[4] = { v->name, v->aliases[0], v->aliases[1],
					 v->aliases[2] };

		ck_assert_msg(v->name && v->kind, "view %zu unnamed", i);
		for (size_t w = 0; w < 4 && words[w]; w++) {
			/* each word finds this view and no other */
			ck_assert_msg(dash_view_find(words[w]) == v,
				      "'%s' finds another view than %s",
				      words[w], v->name);
			for (size_t j = 0; j < dash_nviews; j++) {
				const struct view_def *o = &dash_views[j];

				if (o == v)
					continue;
				ck_assert_msg(strcmp(o->name, words[w]),
					      "'%s' names %s and %s", words[w],
					      v->name, o->name);
				for (size_t a = 0; a < 3 && o->aliases[a]; a++)
					ck_assert_msg(strcmp(o->aliases[a],
							     words[w]),
						      "'%s' names %s and %s",
						      words[w], v->name,
						      o->name);
			}
		}
		ck_assert_str_eq(ml_tui_view_lookup(v->name), v->name);
	}
	ck_assert_ptr_null(dash_view_find("nope"));
	ck_assert_ptr_null(ml_tui_view_lookup(""));
}
END_TEST

START_TEST(test_tui_views_entries_valid)
{
	for (size_t i = 0; i < dash_nviews; i++) {
		const struct view_def *v = &dash_views[i];

		ck_assert_msg(v->api[0] &&
				      (strcmp(v->api[0], "/api/v1") == 0 ||
				       strncmp(v->api[0], "/apis/", 6) == 0),
			      "%s: api '%s'", v->name,
			      v->api[0] ? v->api[0] : "(none)");
		for (const char *p = v->name; *p; p++)
			ck_assert_msg(islower((unsigned char)*p),
				      "%s: not a resource's plural", v->name);
		if (v->sort)
			for (const char *p = v->sort; *p; p++)
				ck_assert_msg(!islower((unsigned char)*p),
					      "%s: sort column '%s' is a title",
					      v->name, v->sort);
	}
}
END_TEST

START_TEST(test_tui_views_keys_valid)
{
	for (size_t i = 0; i < dash_nviews; i++) {
		const struct view_def *v = &dash_views[i];

		for (size_t k = 0; k < VIEW_MAX_KEYS && v->keys[k].ch; k++) {
			const struct view_key *key = &v->keys[k];

			ck_assert_msg(key->run && key->label && key->help,
				      "%s: key '%c' incomplete", v->name,
				      key->ch);
			ck_assert_msg(key->ch > ' ' && key->ch < 0x7f,
				      "%s: key %d not printable", v->name,
				      key->ch);
			ck_assert_msg(!strchr(dash_list_keys, key->ch),
				      "%s: key '%c' is one every list has",
				      v->name, key->ch);
			ck_assert_msg(dash_view_key(v, key->ch) == key,
				      "%s: key '%c' twice", v->name, key->ch);
		}
	}
	/* the pods view's shell and port-forward, as k9s's */
	ck_assert_str_eq(dash_view_key(dash_view_find("pods"), 's')->label,
			 "shell");
	ck_assert_str_eq(dash_view_key(dash_view_find("pods"), 'F')->label,
			 "port-forward");
}
END_TEST

START_TEST(test_tui_views_help_from_table)
{
	ml_autofree char *help = help_text();

	for (size_t i = 0; i < dash_nviews; i++) {
		const struct view_def *v = &dash_views[i];

		ck_assert_msg(strstr(help, v->name), "help lacks %s:\n%s",
			      v->name, help);
		for (size_t k = 0; k < VIEW_MAX_KEYS && v->keys[k].ch; k++)
			ck_assert_msg(strstr(help, v->keys[k].help),
				      "help lacks %s's key '%c':\n%s", v->name,
				      v->keys[k].ch, help);
	}
}
END_TEST

#ifndef ML_TUI_TEST_VIEW
START_TEST(test_tui_views_completion_words)
{
	size_t n = 0;

	for (; ml_tui_view_words[n]; n++) {
		ck_assert_uint_lt(n, dash_nviews);
		ck_assert_str_eq(ml_tui_view_words[n], dash_views[n].name);
	}
	ck_assert_uint_eq(n, dash_nviews);
}
END_TEST

/* A key of another view is not run: the bottom line says so. */
START_TEST(test_tui_views_key_of_other_view)
{
	struct dash d = { .view = dash_view_find("services") };

	d.table = ml_tui_table_new(false);
	dash_handle_key(&d, 's');
	ck_assert_int_eq(d.prompt, PROMPT_NONE);
	ck_assert_str_eq(d.message, "no key 's' in services: ? lists the keys");
	ml_tui_table_free(d.table);
	free(d.message);
}
END_TEST
#endif

#ifdef ML_TUI_TEST_VIEW
extern int test_view_key_runs;

/* The extra entry alone makes a view: found by name and alias, in the
 * help, its key dispatched. */
START_TEST(test_tui_views_extra_entry)
{
	struct dash d = { 0 };
	ml_autofree char *help = help_text();

	ck_assert_str_eq(ml_tui_view_lookup("lease"), "leases");
	d.view = dash_view_find("leases");
	ck_assert_ptr_nonnull(d.view);
	ck_assert_msg(strstr(help, "leases (lease)"), "%s", help);
	ck_assert_msg(strstr(help, "show the holder (leases)"), "%s", help);
	d.table = ml_tui_table_new(true);
	dash_handle_key(&d, 'h');
	ck_assert_int_eq(test_view_key_runs, 1);
	/* ... and only in that view */
	d.view = dash_view_find("pods");
	dash_handle_key(&d, 'h');
	ck_assert_int_eq(test_view_key_runs, 1);
	ml_tui_table_free(d.table);
	free(d.message);
}
END_TEST

/* The entry's first sort is applied once the columns are known, and once
 * only: the user's choice stays. */
START_TEST(test_tui_views_extra_sort)
{
	struct dash d = { .view = dash_view_find("leases") };
	struct json_object *o = json_tokener_parse(
		"{\"kind\":\"Table\",\"columnDefinitions\":["
		"{\"name\":\"Name\",\"priority\":0},"
		"{\"name\":\"Holder\",\"priority\":0}],\"rows\":["
		"{\"cells\":[\"a\",\"x\"],\"object\":{\"metadata\":{\"name\":\"a\"}}},"
		"{\"cells\":[\"b\",\"y\"],\"object\":{\"metadata\":{\"name\":\"b\"}}}]}");

	d.table = ml_tui_table_new(false);
	dash_view_defaults(&d);
	ck_assert_int_eq(d.table->sort_col, -1); /* no columns yet */
	ck_assert_int_eq(ml_tui_table_replace(d.table, o), 0);
	dash_view_defaults(&d);
	ck_assert_int_eq(d.table->sort_col, 1);
	ck_assert(d.table->sort_desc);
	ml_tui_table_refresh(d.table);
	ck_assert_str_eq(d.table->vis[0]->name, "b");
	ml_tui_table_sort_by(d.table, 0);
	dash_view_defaults(&d);
	ck_assert_int_eq(d.table->sort_col, 0);
	json_object_put(o);
	ml_tui_table_free(d.table);
}
END_TEST
#endif

static Suite *
tui_views_suite(void)
{
	Suite *s = suite_create("tui_views");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_tui_views_names_unique);
	tcase_add_test(tc, test_tui_views_entries_valid);
	tcase_add_test(tc, test_tui_views_keys_valid);
	tcase_add_test(tc, test_tui_views_help_from_table);
#ifndef ML_TUI_TEST_VIEW
	tcase_add_test(tc, test_tui_views_completion_words);
	tcase_add_test(tc, test_tui_views_key_of_other_view);
#else
	tcase_add_test(tc, test_tui_views_extra_entry);
	tcase_add_test(tc, test_tui_views_extra_sort);
#endif
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ml_check_run(tui_views_suite());
}
