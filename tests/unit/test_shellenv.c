/* test_shellenv.c: quoting and syntax for each shell. The shells themselves
 * evaluate this output in tests/cli/test_docker_env.sh. */
#include "config.h"

#include "base/shellenv.h"
#include "base/util.h"
#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
capture_set(enum ml_shell sh, const char *key, const char *value)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ml_shell_print_set(f, sh, key, value);
	fclose(f);
	return buf;
}

static void
expect_quote(enum ml_shell sh, const char *in, const char *want)
{
	ml_autofree char *got = ml_shell_quote(sh, in);
	ck_assert_msg(strcmp(got, want) == 0, "%s: [%s] -> [%s], want [%s]",
		      ml_shell_names[sh], in, got, want);
}

START_TEST(test_shellenv_quote_posix)
{
	expect_quote(ML_SHELL_BASH, "/home/a b", "'/home/a b'");
	expect_quote(ML_SHELL_BASH, "it's", "'it'\\''s'");
	expect_quote(ML_SHELL_SH, "$HOME `x` \\", "'$HOME `x` \\'");
	expect_quote(ML_SHELL_ZSH, "", "''");
}
END_TEST

START_TEST(test_shellenv_quote_others)
{
	expect_quote(ML_SHELL_FISH, "a'b\\c $x", "'a\\'b\\\\c $x'");
	expect_quote(ML_SHELL_TCSH, "a'b!c", "'a'\\''b'\\!'c'");
	expect_quote(ML_SHELL_POWERSHELL, "it's $x", "'it''s $x'");
	expect_quote(ML_SHELL_EMACS, "a\"b\\c", "\"a\\\"b\\\\c\"");
	expect_quote(ML_SHELL_CMD, "50% \"x\"", "\"50%% \"\"x\"\"\"");
	expect_quote(ML_SHELL_NONE, "a b", "a b");
}
END_TEST

/* PowerShell ends a single-quoted string at any of the four typographic
 * single quotes too (U+2018, U+2019, U+201A, U+201B); doubled, each one is
 * a literal, like the ASCII quote. */
START_TEST(test_shellenv_quote_powershell_typographic)
{
	expect_quote(ML_SHELL_POWERSHELL, "a\u2018b", "'a\u2018\u2018b'");
	expect_quote(ML_SHELL_POWERSHELL, "\u2019; rm x; \u2019",
		     "'\u2019\u2019; rm x; \u2019\u2019'");
	expect_quote(ML_SHELL_POWERSHELL, "\u201a\u201b'",
		     "'\u201a\u201a\u201b\u201b'''");
	/* the neighbours in the same block stay single */
	expect_quote(ML_SHELL_POWERSHELL, "\u201c\u2017\u201d",
		     "'\u201c\u2017\u201d'");
	/* a truncated sequence at the end is copied as it is */
	expect_quote(ML_SHELL_POWERSHELL, "x\xe2\x80", "'x\xe2\x80'");
	/* POSIX shells do not take them for quotes */
	expect_quote(ML_SHELL_BASH, "\u2019", "'\u2019'");
}
END_TEST

START_TEST(test_shellenv_set_syntax)
{
	static const struct {
		enum ml_shell sh;
		const char *want;
	} cases[] = {
		{ ML_SHELL_BASH, "export K='v w'\n" },
		{ ML_SHELL_FISH, "set -gx K 'v w';\n" },
		{ ML_SHELL_TCSH, "setenv K 'v w';\n" },
		{ ML_SHELL_POWERSHELL, "$Env:K = 'v w'\n" },
		{ ML_SHELL_CMD, "SET \"K=v w\"\n" },
		{ ML_SHELL_EMACS, "(setenv \"K\" \"v w\")\n" },
		{ ML_SHELL_NONE, "K=v w\n" },
	};

	for (size_t i = 0; i < ML_ARRAY_SIZE(cases); i++) {
		ml_autofree char *got = capture_set(cases[i].sh, "K", "v w");
		ck_assert_str_eq(got, cases[i].want);
	}
}
END_TEST

START_TEST(test_shellenv_parse_and_detect)
{
	enum ml_shell sh;

	ck_assert_int_eq(ml_shell_parse("fish", &sh), 0);
	ck_assert_int_eq(sh, ML_SHELL_FISH);
	ck_assert_int_eq(ml_shell_parse("csh", &sh), -ML_EUSAGE);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "'csh'"));
	setenv("SHELL", "/usr/bin/fish", 1);
	ck_assert_int_eq(ml_shell_detect(), ML_SHELL_FISH);
	setenv("SHELL", "/bin/dash", 1);
	ck_assert_int_eq(ml_shell_detect(), ML_SHELL_SH);
	setenv("SHELL", "/opt/weird", 1);
	ck_assert_int_eq(ml_shell_detect(), ML_SHELL_BASH);
	unsetenv("SHELL");
	ck_assert_int_eq(ml_shell_detect(), ML_SHELL_BASH);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("shellenv");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_shellenv_quote_posix);
	tcase_add_test(tc, test_shellenv_quote_others);
	tcase_add_test(tc, test_shellenv_quote_powershell_typographic);
	tcase_add_test(tc, test_shellenv_set_syntax);
	tcase_add_test(tc, test_shellenv_parse_and_detect);
	suite_add_tcase(s, tc);
	return ml_check_run(s);
}
