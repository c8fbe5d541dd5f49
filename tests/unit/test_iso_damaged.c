/*
 * test_iso_damaged.c: reading a damaged config drive (src/machine/iso.c)
 * ends. The image is the one tests/fuzz/fuzz_iso writes, with the byte
 * edits of the reproducer it found: they make a directory that contains
 * itself, which libarchive lists without end (the reader used to spin
 * until killed).
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
static const uint8_t edits[] = { 0x00, 0x80, 0xfd, 0x00, 0x00, 0x5a, 0x6d,
				 0xe2, 0xa1, 0x01, 0x00, 0x00, 0x6d, 0x65,
				 0xfe, 0xff, 0xff, 0xc0, 0x80, 0xfd, 0x00,
				 0xd6, 0xff, 0x29, 0x00, 0x00, 0x00, 0x69 };

START_TEST(test_iso_damaged_directory_loop_ends)
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
	fd = open(iso, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	for (size_t i = 0; i + 4 <= sizeof(edits); i += 4) {
		off_t off = (off_t)((edits[i] << 16 | edits[i + 1] << 8 |
				     edits[i + 2]) %
				    st.st_size);

		ck_assert_int_eq(pwrite(fd, &edits[i + 3], 1, off), 1);
	}
	close(fd);

	t0 = time(NULL);
	r = ml_iso_read_file(iso, "user-data", &data, &len);
	ck_assert_int_eq(r, -EBADMSG);
	ck_assert_msg(strstr(ml_err_msg(), "lists over 10000 entries"), "%s",
		      ml_err_msg());
	r = ml_iso_extract(iso, names, out);
	ck_assert_int_eq(r, -EBADMSG);
	ck_assert_int_le(time(NULL) - t0, 30);

	unlink(iso);
	rmdir(out);
	rmdir(dir);
}
END_TEST

static Suite *
iso_damaged_suite(void)
{
	Suite *s = suite_create("iso_damaged");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 45);
	tcase_add_test(tc, test_iso_damaged_directory_loop_ends);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ml_check_run(iso_damaged_suite());
}
