/* test_image_archive.c: the check of a `docker save` archive before image
 * load sends it: whole ones pass, cut, damaged and incomplete ones fail
 * with a message naming the file. The archives are made here with
 * libarchive, laid out as docker save lays them out. */
#include "config.h"

#include "machine/image_archive.h"
#include "base/util.h"
#include "check_run.h"

#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONFIG "0123abcd.json"
#define LAYER "aaaa/layer.tar"
#define MANIFEST                                                              \
	"[{\"Config\":\"" CONFIG "\",\"RepoTags\":[\"hello:1\",\"hello:2\"]," \
	"\"Layers\":[\"" LAYER "\"]}]"

struct file {
	const char *name;
	const char *data; /* NULL with link: a symbolic link */
	const char *link; /* symlink target */
	size_t size;	  /* 0: strlen(data) */
};

static la_ssize_t
to_buf(struct archive *a, void *ud, const void *p, size_t n)
{
	ml_buf_add(ud, p, n);
	return (la_ssize_t)n;
}

/* A tar (gzip compressed with gz) of files, in b. */
static void
make_tar(struct ml_buf *b, const struct file *files, bool gz)
{
	struct archive *a = archive_write_new();

	archive_write_set_format_pax_restricted(a);
	if (gz)
		archive_write_add_filter_gzip(a);
	archive_write_set_bytes_in_last_block(a, 1);
	ck_assert_int_eq(archive_write_open(a, b, NULL, to_buf, NULL),
			 ARCHIVE_OK);
	for (const struct file *f = files; f->name; f++) {
		struct archive_entry *e = archive_entry_new();
		size_t n = f->data ? (f->size ? f->size : strlen(f->data)) : 0;

		archive_entry_set_pathname(e, f->name);
		if (f->link) {
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, f->link);
			archive_entry_set_perm(e, 0777);
		} else {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
			archive_entry_set_size(e, (la_int64_t)n);
		}
		ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
		if (n)
			ck_assert_int_eq(archive_write_data(a, f->data, n),
					 (la_ssize_t)n);
		archive_entry_free(e);
	}
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/* The first len bytes of data in an unlinked temp file: its fd. */
static int
temp_with(const void *data, size_t len)
{
	char path[] = "/tmp/test_image_archive.XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	return fd;
}

/* Checks the first len bytes of b (all of it with len SIZE_MAX). */
static int
check_prefix(const struct ml_buf *b, size_t len, char **ret_images)
{
	int fd = temp_with(b->p, len == SIZE_MAX ? b->len : len);
	int r;

	ml_err_clear();
	r = ml_image_archive_check(fd, "'app.tar'", ret_images);
	close(fd);
	return r;
}

static void
expect_fail(const struct ml_buf *b, size_t len, const char *want)
{
	int r = check_prefix(b, len, NULL);

	ck_assert_int_eq(r, -EINVAL);
	ck_assert_ptr_nonnull(ml_err_msg());
	ck_assert_msg(strstr(ml_err_msg(), "'app.tar'"),
		      "message does not name the file: %s", ml_err_msg());
	ck_assert_msg(strstr(ml_err_msg(), want), "want [%s] in: %s", want,
		      ml_err_msg());
	ck_assert_ptr_null(strchr(ml_err_msg(), '\n'));
}

static const char layer_data[2000] = "layer bytes";

static const struct file saved[] = {
	{ "aaaa/", NULL, NULL, 0 },
	{ "aaaa/VERSION", "1.0", NULL, 0 },
	{ LAYER, layer_data, NULL, sizeof(layer_data) },
	{ CONFIG, "{\"architecture\":\"amd64\"}", NULL, 0 },
	{ "manifest.json", MANIFEST, NULL, 0 },
	{ "repositories", "{\"hello\":{\"1\":\"aaaa\"}}", NULL, 0 },
	{ NULL, NULL, NULL, 0 },
};

START_TEST(test_image_archive_complete)
{
	struct ml_buf b = { NULL, 0, 0 };
	ml_autofree char *images = NULL;

	make_tar(&b, saved, false);
	ck_assert_int_eq(check_prefix(&b, SIZE_MAX, &images), 0);
	ck_assert_str_eq(images, "hello:1, hello:2");
	ml_buf_release(&b);
	/* the same, gzip compressed, as dockerd also loads */
	make_tar(&b, saved, true);
	ck_assert_int_eq(check_prefix(&b, SIZE_MAX, NULL), 0);
	ml_buf_release(&b);
}
END_TEST

START_TEST(test_image_archive_legacy_and_links)
{
	static const struct file legacy[] = {
		{ "./aaaa/json", "{}", NULL, 0 },
		{ "./aaaa/layer.tar", layer_data, NULL, sizeof(layer_data) },
		{ "./bbbb/json", "{}", NULL, 0 },
		/* a layer two images share, linked as docker save does */
		{ "./bbbb/layer.tar", NULL, "../aaaa/layer.tar", 0 },
		{ "./repositories",
		  "{\"old\":{\"latest\":\"bbbb\",\"1\":\"aaaa\"}}", NULL, 0 },
		{ NULL, NULL, NULL, 0 },
	};
	static const struct file dangling[] = {
		{ "aaaa/json", "{}", NULL, 0 },
		{ "aaaa/layer.tar", NULL, "../../etc/passwd", 0 },
		{ "repositories", "{\"old\":{\"latest\":\"aaaa\"}}", NULL, 0 },
		{ NULL, NULL, NULL, 0 },
	};
	struct ml_buf b = { NULL, 0, 0 };
	ml_autofree char *images = NULL;

	make_tar(&b, legacy, false);
	ck_assert_int_eq(check_prefix(&b, SIZE_MAX, &images), 0);
	ck_assert_str_eq(images, "old:latest, old:1");
	ml_buf_release(&b);
	/* a link out of the archive holds nothing */
	make_tar(&b, dangling, false);
	expect_fail(&b, SIZE_MAX, "names 'aaaa/layer.tar'");
	ml_buf_release(&b);
}
END_TEST

START_TEST(test_image_archive_truncated)
{
	struct ml_buf b = { NULL, 0, 0 };

	make_tar(&b, saved, false);
	/* in a header, in a layer's data, and at each block boundary
	 * before the end marker, where a tar reader sees a shorter tar */
	expect_fail(&b, 512 + 100, "not a complete image archive");
	expect_fail(&b, 512 * 6 + 100, "not a complete image archive");
	for (size_t cut = 512; cut + 1024 <= b.len; cut += 512) {
		int r = check_prefix(&b, cut, NULL);

		ck_assert_msg(r == -EINVAL, "cut at %zu passed", cut);
		ck_assert_msg(strstr(ml_err_msg(), "nothing was loaded") ||
				      strstr(ml_err_msg(), "is not a tar"),
			      "cut at %zu: %s", cut, ml_err_msg());
	}
	expect_fail(&b, b.len - 1024, "without the tar end marker");
	/* the whole of it passes (the loop is not failing everything) */
	ck_assert_int_eq(check_prefix(&b, SIZE_MAX, NULL), 0);
	ml_buf_release(&b);
	/* compressed and cut */
	make_tar(&b, saved, true);
	expect_fail(&b, b.len / 2, "'app.tar'");
	ml_buf_release(&b);
}
END_TEST

START_TEST(test_image_archive_missing_entries)
{
	static const struct file no_layer[] = {
		{ CONFIG, "{}", NULL, 0 },
		{ "manifest.json", MANIFEST, NULL, 0 },
		{ NULL, NULL, NULL, 0 },
	};
	static const struct file no_config[] = {
		{ LAYER, "x", NULL, 0 },
		{ "manifest.json", MANIFEST, NULL, 0 },
		{ NULL, NULL, NULL, 0 },
	};
	static const struct file climbing[] = {
		{ "manifest.json", "[{\"Config\":\"../x.json\",\"Layers\":[]}]",
		  NULL, 0 },
		{ "x.json", "{}", NULL, 0 },
		{ NULL, NULL, NULL, 0 },
	};
	static const struct file no_meta[] = {
		{ LAYER, "x", NULL, 0 },
		{ NULL, NULL, NULL, 0 },
	};
	static const struct file bad_json[] = {
		{ "manifest.json", "[{\"Config\":", NULL, 0 },
		{ NULL, NULL, NULL, 0 },
	};
	static const struct file no_layers_key[] = {
		{ "manifest.json", "[{\"Config\":\"c\"}]", NULL, 0 },
		{ "c", "{}", NULL, 0 },
		{ NULL, NULL, NULL, 0 },
	};
	static const struct file legacy_no_layer[] = {
		{ "aaaa/json", "{}", NULL, 0 },
		{ "repositories", "{\"old\":{\"latest\":\"aaaa\"}}", NULL, 0 },
		{ NULL, NULL, NULL, 0 },
	};
	struct ml_buf b = { NULL, 0, 0 };

	make_tar(&b, no_layer, false);
	expect_fail(&b, SIZE_MAX, "manifest.json names '" LAYER "'");
	ml_buf_clear(&b);
	make_tar(&b, no_config, false);
	expect_fail(&b, SIZE_MAX, "manifest.json names '" CONFIG "'");
	ml_buf_clear(&b);
	make_tar(&b, climbing, false);
	expect_fail(&b, SIZE_MAX, "names '../x.json'");
	ml_buf_clear(&b);
	make_tar(&b, no_meta, false);
	expect_fail(&b, SIZE_MAX, "neither manifest.json nor repositories");
	ml_buf_clear(&b);
	make_tar(&b, bad_json, false);
	expect_fail(&b, SIZE_MAX, "manifest.json is not a JSON array");
	ml_buf_clear(&b);
	make_tar(&b, no_layers_key, false);
	expect_fail(&b, SIZE_MAX, "without Config or Layers");
	ml_buf_clear(&b);
	make_tar(&b, legacy_no_layer, false);
	expect_fail(&b, SIZE_MAX, "repositories names 'aaaa/layer.tar'");
	ml_buf_release(&b);
}
END_TEST

START_TEST(test_image_archive_not_tar)
{
	struct ml_buf b = { NULL, 0, 0 };
	static const char text[] = "this is not an archive\n";
	static const struct file nothing[] = { { NULL, NULL, NULL, 0 } };

	ml_buf_add(&b, text, strlen(text));
	expect_fail(&b, SIZE_MAX, "is not a tar archive");
	expect_fail(&b, 0, "is not a tar archive");
	ml_buf_release(&b);
	make_tar(&b, nothing, false);
	expect_fail(&b, SIZE_MAX, "empty tar archive");
	ml_buf_release(&b);
}
END_TEST

static Suite *
image_archive_suite(void)
{
	Suite *s = suite_create("image_archive");
	TCase *tc = tcase_create("check");

	tcase_add_test(tc, test_image_archive_complete);
	tcase_add_test(tc, test_image_archive_legacy_and_links);
	tcase_add_test(tc, test_image_archive_truncated);
	tcase_add_test(tc, test_image_archive_missing_entries);
	tcase_add_test(tc, test_image_archive_not_tar);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ml_check_run(image_archive_suite());
}
