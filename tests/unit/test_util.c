/* test_util.c: files, locks, the error slot and the small helpers. */
#include "config.h"

#include "base/util.h"
#include "check_run.h"

#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[256];

static void
setup(void)
{
	strcpy(tmpdir, "/tmp/ml-test-util.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	ck_assert_int_eq(ml_rm_rf(tmpdir), 0);
	ck_assert(!ml_path_exists(tmpdir));
}

START_TEST(test_util_write_atomic_creates_with_mode)
{
	ml_autofree char *path = ml_xasprintf("%s/f", tmpdir);
	ml_autofree char *data = NULL;
	struct stat st;
	size_t len;

	ck_assert_int_eq(ml_write_file_atomic(path, "hello", 5, 0600), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(ml_read_file(path, &data, &len), 0);
	ck_assert_uint_eq(len, 5);
	ck_assert_str_eq(data, "hello");
}
END_TEST

START_TEST(test_util_write_atomic_replaces_and_leaves_no_temp)
{
	ml_autofree char *path = ml_xasprintf("%s/f", tmpdir);
	ml_autofree char *cmd = NULL;
	ml_autofree char *data = NULL;

	ck_assert_int_eq(ml_write_file_atomic(path, "one", 3, 0644), 0);
	ck_assert_int_eq(ml_write_file_atomic(path, "two!", 4, 0644), 0);
	ck_assert_int_eq(ml_read_file(path, &data, NULL), 0);
	ck_assert_str_eq(data, "two!");
	cmd = ml_xasprintf("test $(ls -A %s | wc -l) -eq 1", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_util_write_atomic_fails_cleanly)
{
	ml_autofree char *path = ml_xasprintf("%s/missing/f", tmpdir);

	ml_err_clear();
	ck_assert_int_eq(ml_write_file_atomic(path, "x", 1, 0600), -ENOENT);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), path));
	ck_assert(!ml_path_exists(path));
}
END_TEST

START_TEST(test_util_read_missing_names_file)
{
	ml_autofree char *path = ml_xasprintf("%s/nope", tmpdir);
	char *data = NULL;

	ck_assert_int_eq(ml_read_file(path, &data, NULL), -ENOENT);
	ck_assert_ptr_null(data);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), path));
}
END_TEST

START_TEST(test_util_mkdir_p_nested_mode)
{
	ml_autofree char *path = ml_xasprintf("%s/a/b/c", tmpdir);
	struct stat st;

	ck_assert_int_eq(ml_mkdir_p(path, 0700), 0);
	ck_assert_int_eq(ml_mkdir_p(path, 0700), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0700);
}
END_TEST

START_TEST(test_util_lock_excludes_other_process)
{
	ml_autofree char *path = ml_xasprintf("%s/lock", tmpdir);
	int fd = ml_lock_file(path, true, false);
	pid_t pid;
	int status;

	ck_assert_int_ge(fd, 0);
	pid = fork();
	if (pid == 0) {
		int r = ml_lock_file(path, true, false);
		_exit(r == -EWOULDBLOCK ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	close(fd);
	pid = fork();
	if (pid == 0) {
		int r = ml_lock_file(path, true, false);
		_exit(r >= 0 ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

START_TEST(test_util_err_keeps_last_message)
{
	ml_err_clear();
	ck_assert_ptr_null(ml_err_msg());
	ck_assert_int_eq(ml_err(-EIO, "first %d", 1), -EIO);
	ck_assert_int_eq(ml_err(-ML_EUSAGE, "second '%s'", "x"), -ML_EUSAGE);
	ck_assert_str_eq(ml_err_msg(), "second 'x'");
	/* wrapping the last message in a new one */
	ck_assert_int_eq(ml_err(-EIO, "outer (%s): fix it", ml_err_msg()),
			 -EIO);
	ck_assert_str_eq(ml_err_msg(), "outer (second 'x'): fix it");
}
END_TEST

START_TEST(test_util_strings)
{
	ml_autofree char *s = ml_xasprintf("%s-%d", "a", 7);

	ck_assert_str_eq(s, "a-7");
	ck_assert(ml_startswith("--flag", "--"));
	ck_assert(!ml_startswith("-", "--"));
	ck_assert(ml_endswith("qemu:///system", "/system"));
	ck_assert(!ml_endswith("m", "/system"));
}
END_TEST

START_TEST(test_util_buf_and_base64)
{
	struct ml_buf b = { 0 };
	ml_autofree char *dec = NULL;
	size_t n = 0;

	ml_buf_add(&b, "ab", 2);
	ml_buf_add(&b, "cde", 3);
	ck_assert_str_eq(b.p, "abcde");
	ck_assert_uint_eq(b.len, 5);
	ml_buf_clear(&b);
	ck_assert_str_eq(b.p, "");
	ml_buf_release(&b);
	ck_assert_ptr_null(b.p);

	dec = ml_base64_decode("aGVs\nbG8=", &n);
	ck_assert_str_eq(dec, "hello");
	ck_assert_uint_eq(n, 5);
	ck_assert_ptr_null(ml_base64_decode("a*b", NULL));
}
END_TEST

START_TEST(test_util_json_get_follows_dots)
{
	struct json_object *o =
		json_tokener_parse("{\"a\":{\"b\":{\"c\":\"x\"},\"n\":1}}");

	ck_assert_str_eq(ml_json_str(o, "a.b.c"), "x");
	ck_assert_ptr_null(ml_json_str(o, "a.n"));
	ck_assert_ptr_nonnull(ml_json_get(o, "a.n"));
	ck_assert_ptr_null(ml_json_get(o, "a.missing.c"));
	ck_assert_ptr_null(ml_json_get(NULL, "a"));
	json_object_put(o);
}
END_TEST

START_TEST(test_util_json_key_takes_the_key_whole)
{
	struct json_object *o = json_tokener_parse(
		"{\"pv.kubernetes.io/x\":\"yes\",\"pv\":{\"kubernetes\":1},"
		"\"n\":2}");

	ck_assert_str_eq(ml_json_key_str(o, "pv.kubernetes.io/x"), "yes");
	ck_assert_ptr_null(ml_json_get(o, "pv.kubernetes.io/x"));
	ck_assert_ptr_nonnull(ml_json_key(o, "n"));
	ck_assert_ptr_null(ml_json_key_str(o, "n"));
	ck_assert_ptr_null(ml_json_key(ml_json_key(o, "n"), "x"));
	ck_assert_ptr_null(ml_json_key(NULL, "n"));
	ck_assert_ptr_null(ml_json_key_str(NULL, "n"));
	json_object_put(o);
}
END_TEST

START_TEST(test_util_json_array)
{
	struct json_object *o = json_tokener_parse(
		"{\"items\":[1,2,3],\"none\":null,\"obj\":{\"a\":[]},"
		"\"s\":\"x\"}");
	struct json_object *a = o;

	ck_assert_uint_eq(ml_json_array(o, "items", &a), 3);
	ck_assert_int_eq(json_object_get_int(json_object_array_get_idx(a, 2)),
			 3);
	/* Go writes an empty list as null */
	ck_assert_uint_eq(ml_json_array(o, "none", &a), 0);
	ck_assert_ptr_null(a);
	a = o;
	ck_assert_uint_eq(ml_json_array(o, "obj.a", &a), 0);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(ml_json_array(o, "s", &a), 0);
	ck_assert_ptr_null(a);
	ck_assert_uint_eq(ml_json_array(o, "missing", &a), 0);
	ck_assert_uint_eq(ml_json_array(NULL, "items", &a), 0);
	json_object_put(o);
}
END_TEST

START_TEST(test_util_now_ms_is_monotonic)
{
	int64_t a = ml_now_ms();

	usleep(20000);
	ck_assert_int_ge(ml_now_ms() - a, 15);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_util_write_atomic_creates_with_mode);
	tcase_add_test(tc, test_util_write_atomic_replaces_and_leaves_no_temp);
	tcase_add_test(tc, test_util_write_atomic_fails_cleanly);
	tcase_add_test(tc, test_util_read_missing_names_file);
	tcase_add_test(tc, test_util_mkdir_p_nested_mode);
	tcase_add_test(tc, test_util_lock_excludes_other_process);
	tcase_add_test(tc, test_util_err_keeps_last_message);
	tcase_add_test(tc, test_util_strings);
	tcase_add_test(tc, test_util_buf_and_base64);
	tcase_add_test(tc, test_util_json_get_follows_dots);
	tcase_add_test(tc, test_util_json_key_takes_the_key_whole);
	tcase_add_test(tc, test_util_json_array);
	tcase_add_test(tc, test_util_now_ms_is_monotonic);
	suite_add_tcase(s, tc);
	return ml_check_run(s);
}
