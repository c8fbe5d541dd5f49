/* test_build_context.c: the build context of image build: .dockerignore's
 * patterns, and the tar read back with libarchive from a real directory,
 * in small reads as libcurl makes them. */
#include "config.h"

#include "machine/build_context.h"
#include "base/util.h"
#include "check_run.h"

#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

START_TEST(test_build_context_patterns)
{
	static const struct {
		const char *pattern, *path;
		bool match;
	} cases[] = {
		{ "a.txt", "a.txt", true },
		{ "a.txt", "b/a.txt", false },
		{ "*.txt", "a.txt", true },
		{ "*.txt", "d/a.txt", false },
		{ "*/*.txt", "d/a.txt", true },
		{ "**/*.txt", "a.txt", true },
		{ "**/*.txt", "d/e/a.txt", true },
		{ "d/**", "d/e/a.txt", true },
		{ "node_modules", "node_modules/x/y.js", true },
		{ "d/e", "d/e/f/g", true },
		{ "d/e", "d/ef", false },
		{ "?.txt", "a.txt", true },
		{ "?.txt", "ab.txt", false },
		{ "[ab].txt", "b.txt", true },
		{ "[!ab].txt", "b.txt", false },
		{ "[!ab].txt", "c.txt", true },
		{ "*", "d/x", true }, /* its parent d matches */
		{ ".git", ".gitignore", false },
	};

	for (size_t i = 0; i < ML_ARRAY_SIZE(cases); i++)
		ck_assert_msg(ml_build_context_pattern_match(cases[i].pattern,
							     cases[i].path) ==
				      cases[i].match,
			      "'%s' against '%s': want %d", cases[i].pattern,
			      cases[i].path, cases[i].match);
}
END_TEST

static void
put(const char *dir, const char *name, const char *text)
{
	ml_autofree char *path = ml_xasprintf("%s/%s", dir, name);
	ml_autofree char *parent = ml_xstrdup(path);

	*strrchr(parent, '/') = '\0';
	ck_assert_int_eq(ml_mkdir_p(parent, 0755), 0);
	ck_assert_int_eq(ml_write_file_atomic(path, text, strlen(text), 0644),
			 0);
}

/* The context's tar read in reads of step bytes: "name=content;" for
 * each file, "name/;" for a directory (libarchive reads it with its
 * slash), "name->target;" for a link. */
static char *
read_back(struct ml_build_context *c, size_t step)
{
	struct ml_buf tar = { NULL, 0, 0 }, out = { NULL, 0, 0 };
	char *buf = ml_xmalloc(step);
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	ssize_t n;

	while ((n = ml_build_context_read(c, buf, step)) > 0)
		ml_buf_add(&tar, buf, (size_t)n);
	ck_assert_int_eq(n, 0);
	free(buf);
	archive_read_support_format_tar(a);
	ck_assert_int_eq(archive_read_open_memory(a, tar.p, tar.len),
			 ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		char data[256];
		la_ssize_t got;

		ck_assert_int_eq(archive_entry_uid(e), 0);
		ml_buf_add(&out, name, strlen(name));
		if (archive_entry_filetype(e) == AE_IFDIR) {
			ml_buf_add(&out, ";", 1);
			continue;
		}
		if (archive_entry_filetype(e) == AE_IFLNK) {
			ml_buf_add(&out, "->", 2);
			ml_buf_add(&out, archive_entry_symlink(e),
				   strlen(archive_entry_symlink(e)));
			ml_buf_add(&out, ";", 1);
			continue;
		}
		got = archive_read_data(a, data, sizeof(data));
		ck_assert_int_ge(got, 0);
		ml_buf_add(&out, "=", 1);
		ml_buf_add(&out, data, (size_t)got);
		ml_buf_add(&out, ";", 1);
	}
	ck_assert_int_eq(archive_read_close(a), ARCHIVE_OK);
	archive_read_free(a);
	ml_buf_release(&tar);
	ml_buf_add(&out, "", 0);
	return out.p;
}

START_TEST(test_build_context_tar)
{
	char dir[] = "/tmp/test_build_context.XXXXXX";
	ml_autofree char *ctx = NULL, *got = NULL, *got1 = NULL;
	ml_autofree char *link = NULL, *outside = NULL;
	struct ml_build_context *c = NULL;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ctx = ml_xasprintf("%s/ctx", dir);
	put(ctx, "Dockerfile", "FROM scratch\n");
	put(ctx, ".dockerignore",
	    "# comment\n\n*.log\nsecret/\n!secret/keep.txt\nDockerfile\n"
	    "/build/**\n");
	put(ctx, "app.txt", "app");
	put(ctx, "debug.log", "no");
	put(ctx, "secret/key", "no");
	put(ctx, "secret/keep.txt", "kept");
	put(ctx, "build/out/x", "no");
	put(ctx, "src/a.log", "yes: *.log is for the top only");
	link = ml_xasprintf("%s/src/link", ctx);
	ck_assert_int_eq(symlink("../app.txt", link), 0);

	ck_assert_int_eq(ml_build_context_open(ctx, NULL, &c), 0);
	ck_assert_str_eq(ml_build_context_dockerfile(c), "Dockerfile");
	got = read_back(c, 1000);
	c = ml_build_context_free(c);
	ck_assert_str_eq(got,
			 ".dockerignore=# comment\n\n*.log\nsecret/\n"
			 "!secret/keep.txt\nDockerfile\n/build/**\n;"
			 "app.txt=app;build/;secret/keep.txt=kept;src/;"
			 "src/a.log=yes: *.log is for the top only;"
			 "src/link->../app.txt;Dockerfile=FROM scratch\n;");
	/* one byte at a time gives the same tar */
	ck_assert_int_eq(ml_build_context_open(ctx, NULL, &c), 0);
	got1 = read_back(c, 1);
	c = ml_build_context_free(c);
	ck_assert_str_eq(got1, got);

	/* -f outside the context is sent inside it, under its own name */
	outside = ml_xasprintf("%s/Other.dockerfile", dir);
	put(dir, "Other.dockerfile", "FROM scratch\nCOPY app.txt /\n");
	ck_assert_int_eq(ml_build_context_open(ctx, outside, &c), 0);
	ck_assert(
		ml_startswith(ml_build_context_dockerfile(c), ".dockerfile."));
	free(got);
	got = read_back(c, 4096);
	ck_assert_ptr_nonnull(strstr(got, "=FROM scratch\nCOPY app.txt /\n;"));
	c = ml_build_context_free(c);
	ck_assert_int_eq(ml_rm_rf(dir), 0);
}
END_TEST

START_TEST(test_build_context_errors)
{
	char dir[] = "/tmp/test_build_context.XXXXXX";
	struct ml_build_context *c = NULL;
	ml_autofree char *missing = NULL, *file = NULL;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	missing = ml_xasprintf("%s/none", dir);
	ck_assert_int_eq(ml_build_context_open(missing, NULL, &c), -ENOENT);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), missing));
	put(dir, "f", "x");
	file = ml_xasprintf("%s/f", dir);
	ck_assert_int_eq(ml_build_context_open(file, NULL, &c), -ENOTDIR);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "is not a directory"));
	ck_assert_int_eq(ml_build_context_open(dir, NULL, &c), -ENOENT);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "no Dockerfile at"));
	ck_assert_ptr_null(c);
	ck_assert_int_eq(ml_rm_rf(dir), 0);
}
END_TEST

static Suite *
build_context_suite(void)
{
	Suite *s = suite_create("build_context");
	TCase *tc = tcase_create("context");

	tcase_add_test(tc, test_build_context_patterns);
	tcase_add_test(tc, test_build_context_tar);
	tcase_add_test(tc, test_build_context_errors);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ml_check_run(build_context_suite());
}
