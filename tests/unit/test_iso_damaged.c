/*
 * test_iso_damaged.c: reading a damaged config drive (src/machine/iso.c)
 * ends. The image is the one tests/fuzz/fuzz_iso writes, with the byte
 * edits of reproducers it found: a directory that contains itself, which
 * libarchive lists without end (the reader used to spin until killed),
 * and a length whose two byte orders disagree.
 */
#include "config.h"

#include "machine/iso.h"
#include "base/util.h"
#include "check_run.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* (offset: 3 bytes big-endian, modulo the size; value) edits */
static const uint8_t loop_edits[] = {
	0x00, 0x80, 0xfd, 0x00, 0x00, 0x5a, 0x6d, 0xe2, 0xa1, 0x01,
	0x00, 0x00, 0x6d, 0x65, 0xfe, 0xff, 0xff, 0xc0, 0x80, 0xfd,
	0x00, 0xd6, 0xff, 0x29, 0x00, 0x00, 0x00, 0x69
};
/*
 * One byte of the root directory's length (little-endian copy) raised:
 * libarchive, which reads that copy only, asked for a gigabyte, and the
 * fuzzer ran out of memory.
 */
static const uint8_t length_edits[] = { 0x00, 0x55, 0x54, 'F',	0x2d, 0x31,
					0x36, 'B',  0x45, 0x80, 0x41, 0x02,
					0x00, 0x80, 0xa9, 'A' };

/* Reads the config drive fuzz_iso writes, damaged by edits: it must fail
 * as damaged, soon, for a file and for an extraction. */
static void
check_damaged(const uint8_t *edits, size_t n)
{
	static const char version[] =
		"{\"image_version\":\"0.1.0\",\"kubernetes_version\":\"v1.20.2\"}";
	const struct ml_iso_file files[] = {
		{ "version.json", version, sizeof(version) - 1, 0 },
		{ "meta-data", "x", 1, 0 },
	};
	char dir[] = "/tmp/test_iso_damaged-XXXXXX";
	ml_autofree char *iso = NULL, *out = NULL, *data = NULL;
	static const char *const names[] = { "user-data", NULL };
	struct stat st;
	time_t t0;
	size_t len;
	int fd, r;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	iso = ml_xasprintf("%s/drive.iso", dir);
	out = ml_xasprintf("%s/out", dir);
	ck_assert_int_eq(mkdir(out, 0700), 0);
	ck_assert_int_eq(ml_iso_write(iso, "cidata", files, 2), 0);
	/* undamaged, it reads */
	ck_assert_int_eq(ml_iso_read_file(iso, "meta-data", &data, &len), 0);
	ck_assert_str_eq(data, "x");
	fd = open(iso, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	for (size_t i = 0; i + 4 <= n; i += 4) {
		off_t off = (off_t)((edits[i] << 16 | edits[i + 1] << 8 |
				     edits[i + 2]) %
				    st.st_size);

		ck_assert_int_eq(pwrite(fd, &edits[i + 3], 1, off), 1);
	}
	close(fd);

	t0 = time(NULL);
	r = ml_iso_read_file(iso, "user-data", &data, &len);
	ck_assert_int_eq(r, -EBADMSG);
	ck_assert_msg(strstr(ml_err_msg(), "is damaged"), "%s", ml_err_msg());
	r = ml_iso_extract(iso, names, out);
	ck_assert_int_eq(r, -EBADMSG);
	ck_assert_int_le(time(NULL) - t0, 30);

	unlink(iso);
	rmdir(out);
	rmdir(dir);
}

START_TEST(test_iso_damaged_directory_loop_ends)
{
	check_damaged(loop_edits, sizeof(loop_edits));
}
END_TEST

START_TEST(test_iso_damaged_length_refused)
{
	check_damaged(length_edits, sizeof(length_edits));
}
END_TEST

static Suite *
iso_damaged_suite(void)
{
	Suite *s = suite_create("iso_damaged");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 45);
	tcase_add_test(tc, test_iso_damaged_directory_loop_ends);
	tcase_add_test(tc, test_iso_damaged_length_refused);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ml_check_run(iso_damaged_suite());
}
