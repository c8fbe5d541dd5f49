/* test_bundle.c: the console filter for terminals, the redaction of
 * credentials in URLs, and the bundle's config.json read back. */
#include "config.h"

#include "machine/bundle.h"
#include "base/profile.h"
#include "base/util.h"
#include "check_run.h"

#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* in filtered whole, and again fed one byte at a time: both must give
 * want (a sequence split between reads is still recognised). */
static void
expect_tty(const char *in, size_t len, const char *want)
{
	struct ml_bundle_tty t = { 0 };
	struct ml_buf whole = { NULL, 0, 0 }, bytes = { NULL, 0, 0 };

	ml_bundle_tty_filter(&t, in, len, &whole);
	ml_bundle_tty_flush(&t, &whole);
	for (size_t i = 0; i < len; i++)
		ml_bundle_tty_filter(&t, in + i, 1, &bytes);
	ml_bundle_tty_flush(&t, &bytes);
	ml_buf_add(&whole, "", 0);
	ml_buf_add(&bytes, "", 0);
	ck_assert_msg(whole.p && strcmp(whole.p, want) == 0,
		      "whole: got [%s], want [%s]", whole.p, want);
	ck_assert_msg(bytes.p && strcmp(bytes.p, want) == 0,
		      "bytes: got [%s], want [%s]", bytes.p, want);
	ml_buf_release(&whole);
	ml_buf_release(&bytes);
}

#define TTY(in, want) expect_tty(in, sizeof(in) - 1, want)

START_TEST(test_bundle_tty_keeps_text)
{
	TTY("plain text\tand a tab\n", "plain text\tand a tab\n");
	TTY("[  OK  ] Started x.\r\n", "[  OK  ] Started x.\n");
	TTY("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80\n",
	    "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80\n");
	TTY("\xc2\xa0nbsp", "\xc2\xa0nbsp");
	TTY("", "");
}
END_TEST

START_TEST(test_bundle_tty_shows_controls)
{
	TTY("\x07"
	    "bell\x08!",
	    "^Gbell^H!");
	TTY("a\x7f"
	    "b\x00"
	    "c",
	    "a^?b^@c");
	TTY("\x0e\x0f\x1f", "^N^O^_");
	/* C1 controls, raw or in UTF-8, and bytes that are not UTF-8 */
	TTY("\x9b"
	    "31m",
	    "\\x9b31m");
	TTY("\xc2\x9b"
	    "2J",
	    "\\xc2\\x9b2J");
	TTY("\xc2\x85"
	    "x",
	    "\\xc2\\x85x");
	TTY("\xff\xfe", "\\xff\\xfe");
	TTY("\xc0\xaf", "\\xc0\\xaf");
	TTY("\xed\xa0\x80", "\\xed\\xa0\\x80");
	TTY("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
	/* cut short, by another byte or by the end */
	TTY("\xe2\x9c"
	    "A",
	    "\\xe2\\x9cA");
	TTY("end\xe2\x9c", "end\\xe2\\x9c");
}
END_TEST

START_TEST(test_bundle_tty_drops_escapes)
{
	TTY("\x1b[0;32m  OK  \x1b[0m done", "  OK   done");
	TTY("\x1b[2J\x1b[H\x1b[?25l", "");
	TTY("\x1b]0;owned title\x07"
	    "after",
	    "after");
	TTY("\x1b]52;c;ZXZpbA==\x1b\\"
	    "clip",
	    "clip");
	TTY("\x1b]8;;https://x.invalid\x1b\\"
	    "link\x1b]8;;\x1b\\",
	    "link");
	TTY("\x1bPq#0;2;0;0;0\x1b\\"
	    "x",
	    "x");
	TTY("\x1b_apc\x1b\\\x1b^pm\x07\x1bXsos\x07"
	    "y",
	    "y");
	TTY("\x1b(Bz\x1b"
	    "cz\x1b"
	    "7\x1b"
	    "8",
	    "zz");
	TTY("\x1b\x1b[1mx", "x");
	/* what cuts a sequence short is taken as text */
	TTY("\x1b[12\nnext", "\nnext");
	TTY("\x1b]0;never closed\nnext line\n", "\nnext line\n");
	TTY("\x1b\x07", "^G");
	TTY("\x1b]0;t\x1b[31mred", "red");
}
END_TEST

static void
expect_redact(const char *in, const char *want)
{
	ml_autofree char *got = ml_bundle_redact_urls(in);
	ck_assert_msg(strcmp(got, want) == 0, "[%s] -> [%s], want [%s]", in,
		      got, want);
}

START_TEST(test_bundle_redact_urls)
{
	expect_redact("https://user:pa55@host.invalid/x.iso",
		      "https://***@host.invalid/x.iso");
	expect_redact("https://tok3n@host.invalid:8443/",
		      "https://***@host.invalid:8443/");
	expect_redact("https://a@b:c@host.invalid/p",
		      "https://***@host.invalid/p");
	expect_redact("https://h.invalid/x.iso?token=abc&v=1#top",
		      "https://h.invalid/x.iso?token=***&v=1#top");
	expect_redact(
		"https://s3.invalid/k?X-Amz-Signature=zz&X-Amz-Credential=cc&a=b",
		"https://s3.invalid/k?X-Amz-Signature=***&X-Amz-Credential=***&a=b");
	expect_redact("https://h.invalid/?api_key=1;Password=2;SECRET=3;q=4",
		      "https://h.invalid/?api_key=***;Password=***;SECRET=***;q=4");
	expect_redact("https://h.invalid/?access_token=1&auth=2&session=3",
		      "https://h.invalid/?access_token=***&auth=***&session=***");
	/* the path's own '@' and '=' are not credentials */
	expect_redact("https://h.invalid/a@b/c=d?x=y",
		      "https://h.invalid/a@b/c=d?x=y");
	expect_redact("file:///var/lib/x.iso", "file:///var/lib/x.iso");
	expect_redact("no URL at all", "no URL at all");
	expect_redact("", "");
	expect_redact(
		"from https://u:p@a.invalid/x and http://h.invalid/?key=k then",
		"from https://***@a.invalid/x and http://h.invalid/?key=*** then");
}
END_TEST

START_TEST(test_bundle_redact_config)
{
	ml_autofree char *got = ml_bundle_redact_config(
		"{\"config\": {\"iso-url\": \"https:\\/\\/me:pw@h.invalid\\/x.iso\"},"
		" \"state\": {\"list\": [\"https://h.invalid/?token=t\", 3]}}");
	ml_autofree char *bad = ml_bundle_redact_config(
		"{ \"cut\": \"https://me:pw@h.invalid/");
	struct json_object *o = json_tokener_parse(got), *v;

	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "config", &v));
	ck_assert(json_object_object_get_ex(v, "iso-url", &v));
	ck_assert_str_eq(json_object_get_string(v),
			 "https://***@h.invalid/x.iso");
	ck_assert_ptr_null(strstr(got, "pw"));
	ck_assert_ptr_nonnull(strstr(got, "?token=***"));
	json_object_put(o);
	ck_assert_str_eq(bad, "{ \"cut\": \"https://***@h.invalid/");
}
END_TEST

/* The bundle's profile/config.json, read back with libarchive. */
static char *
bundle_config(const char *path)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char *text = NULL;

	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	ck_assert_int_eq(archive_read_open_filename(a, path, 16384),
			 ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		size_t n = (size_t)archive_entry_size(e);

		if (strcmp(archive_entry_pathname(e), "profile/config.json"))
			continue;
		text = ml_xcalloc(n + 1, 1);
		ck_assert_int_eq(archive_read_data(a, text, n), (la_ssize_t)n);
	}
	archive_read_free(a);
	return text;
}

START_TEST(test_bundle_config_redacted)
{
	char dir[] = "/tmp/ml-test-bundle.XXXXXX";
	ml_autofree char *home = NULL, *out = NULL, *text = NULL;
	struct ml_profile *p = NULL;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	home = ml_xasprintf("%s/home", dir);
	out = ml_xasprintf("%s/bundle.tar.gz", dir);
	ck_assert_int_eq(ml_profile_open(home, "b",
					 ML_PROFILE_CREATE | ML_PROFILE_LOCK,
					 &p),
			 0);
	ck_assert_int_eq(
		ml_profile_set(
			p, "iso-url",
			"https://alice:s3cret@img.invalid/x.iso?token=t0k&v=1"),
		0);
	ck_assert_int_eq(
		ml_profile_set(
			p, "binary-mirror",
			"https://m.invalid/k8s?X-Amz-Signature=s1g&X-Amz-Credential=cr3d"),
		0);
	ck_assert_int_eq(ml_profile_set(p, "cpus", "1"), 0);
	ck_assert_int_eq(ml_profile_save(p), 0);
	ck_assert_int_eq(ml_bundle_write(home, p, out), 0);
	text = bundle_config(out);
	ck_assert_ptr_nonnull(text);
	for (size_t i = 0; i < 5; i++) {
		static const char *const secrets[] = { "alice", "s3cret", "t0k",
						       "s1g", "cr3d" };
		ck_assert_msg(!strstr(text, secrets[i]), "'%s' in %s",
			      secrets[i], text);
	}
	ck_assert_ptr_nonnull(
		strstr(text, "https://***@img.invalid/x.iso?token=***&v=1"));
	ck_assert_ptr_nonnull(strstr(text, "\"cpus\": \"1\""));
	ml_profile_free(p);
	ml_rm_rf(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("bundle");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_bundle_tty_keeps_text);
	tcase_add_test(tc, test_bundle_tty_shows_controls);
	tcase_add_test(tc, test_bundle_tty_drops_escapes);
	tcase_add_test(tc, test_bundle_redact_urls);
	tcase_add_test(tc, test_bundle_redact_config);
	tcase_add_test(tc, test_bundle_config_redacted);
	suite_add_tcase(s, tc);
	return ml_check_run(s);
}
