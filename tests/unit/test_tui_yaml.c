/* test_tui_yaml.c: the describe view's YAML (src/tui/yaml.c), checked
 * against kubectl's layout and read back by a YAML parser (libyaml). */
#include "config.h"

#include "tui/yaml.h"
#include "base/util.h"
#include "check_run.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static void
expect_yaml(const char *json, const char *want)
{
	struct json_object *o = json_tokener_parse(json);
	ml_autofree char *got = NULL;

	ck_assert_ptr_nonnull(o);
	got = ml_tui_yaml_from_json(o);
	json_object_put(o);
	ck_assert_msg(strcmp(got, want) == 0, "%s\n--- got:\n%s--- want:\n%s",
		      json, got, want);
}

/* The scalar values of a YAML document, in order, joined by '|'. */
static char *
yaml_scalars(const char *text)
{
	yaml_parser_t p;
	yaml_event_t ev;
	char *out = ml_xstrdup("");
	bool done = false;

	ck_assert(yaml_parser_initialize(&p));
	yaml_parser_set_input_string(&p, (const unsigned char *)text,
				     strlen(text));
	while (!done) {
		ck_assert_msg(yaml_parser_parse(&p, &ev),
			      "parse error: %s in\n%s", p.problem, text);
		if (ev.type == YAML_SCALAR_EVENT) {
			char *n = ml_xasprintf("%s%s|", out,
					       (char *)ev.data.scalar.value);
			free(out);
			out = n;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return out;
}

START_TEST(test_tui_yaml_kubectl_layout)
{
	expect_yaml(
		"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\","
		"\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"nginx\","
		"\"ports\":[{\"containerPort\":80}],\"args\":[\"a\",\"b\"]}],\"volumes\":[]},"
		"\"status\":{}}",
		"apiVersion: v1\n"
		"kind: Pod\n"
		"metadata:\n"
		"  name: web\n"
		"  labels:\n"
		"    app: web\n"
		"spec:\n"
		"  containers:\n"
		"  - name: nginx\n"
		"    ports:\n"
		"    - containerPort: 80\n"
		"    args:\n"
		"    - a\n"
		"    - b\n"
		"  volumes: []\n"
		"status: {}\n");
}
END_TEST

START_TEST(test_tui_yaml_quoting)
{
	expect_yaml(
		"{\"a\":\"true\",\"b\":\"123\",\"c\":\"\",\"d\":\"it's: x\",\"e\":null,"
		"\"f\":false,\"g\":1.5,\"h\":\"- x\",\"i\":\"plain text\",\"j\":\"0x1F\"}",
		"a: 'true'\n"
		"b: '123'\n"
		"c: ''\n"
		"d: 'it''s: x'\n"
		"e: null\n"
		"f: false\n"
		"g: 1.5\n"
		"h: '- x'\n"
		"i: plain text\n"
		"j: '0x1F'\n");
	ck_assert(ml_tui_yaml_needs_quotes("yes"));
	ck_assert(ml_tui_yaml_needs_quotes("1e3"));
	ck_assert(ml_tui_yaml_needs_quotes("a #b"));
	ck_assert(ml_tui_yaml_needs_quotes("*ref"));
	ck_assert(!ml_tui_yaml_needs_quotes("nginx:1.19"));
	ck_assert(!ml_tui_yaml_needs_quotes("10.96.0.1"));
	ck_assert(ml_tui_yaml_needs_quotes("1.5"));
}
END_TEST

START_TEST(test_tui_yaml_multiline)
{
	expect_yaml("{\"script\":\"echo a\\necho b\\n\",\"msg\":\"one\\ntwo\"}",
		    "script: |\n"
		    "  echo a\n"
		    "  echo b\n"
		    "msg: |-\n"
		    "  one\n"
		    "  two\n");
	/* control characters force the double-quoted form */
	expect_yaml("{\"x\":\"a\\tb\\u0001\"}", "x: \"a\\tb\\x01\"\n");
}
END_TEST

START_TEST(test_tui_yaml_round_trip)
{
	static const char *const json =
		"{\"k\":\"v: w\",\"list\":[{\"a\":\"1\",\"b\":[\"x\",\"\"]},[],\"null\"],"
		"\"text\":\"l1\\n\\nl3\\n\",\"odd\":\"  lead\\nx\",\"two\":\"a\\n\\n\"}";
	struct json_object *o = json_tokener_parse(json);
	ml_autofree char *y = ml_tui_yaml_from_json(o);
	ml_autofree char *scalars = yaml_scalars(y);

	json_object_put(o);
	ck_assert_msg(
		strcmp(scalars,
		       "k|v: w|list|a|1|b|x||null|text|l1\n\nl3\n|odd|  lead\nx|two|a\n\n|") ==
			0,
		"got [%s] from\n%s", scalars, y);
}
END_TEST

static Suite *
tui_yaml_suite(void)
{
	Suite *s = suite_create("tui_yaml");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_tui_yaml_kubectl_layout);
	tcase_add_test(tc, test_tui_yaml_quoting);
	tcase_add_test(tc, test_tui_yaml_multiline);
	tcase_add_test(tc, test_tui_yaml_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ml_check_run(tui_yaml_suite());
}
