/* test_download.c: verified, resumable downloads from a real HTTP server
 * (busybox httpd on 127.0.0.1) and from file URLs. */
#include "config.h"

#include "base/download.h"
#include "base/util.h"
#include "check_run.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];
static char *www, *cache;
static pid_t httpd;
static int port;

static void
write_file(const char *name, const char *data, size_t len)
{
	ml_autofree char *p = ml_xasprintf("%s/%s", www, name);
	ck_assert_int_eq(ml_write_file_atomic(p, data, len, 0644), 0);
}

static void
publish(const char *name, const char *data, size_t len, bool good_sum)
{
	ml_autofree char *p = ml_xasprintf("%s/%s", www, name);
	ml_autofree char *sumname = ml_xasprintf("%s.sha256", name);
	ml_autofree char *line = NULL;
	char sum[65];

	write_file(name, data, len);
	ck_assert_int_eq(ml_download_sha256_file(p, sum), 0);
	if (!good_sum)
		sum[0] = sum[0] == '0' ? '1' : '0';
	line = ml_xasprintf("%s  %s\n", sum, name);
	write_file(sumname, line, strlen(line));
}

static void
start_httpd(void)
{
	for (int tries = 0; tries < 20; tries++) {
		ml_autofree char *addr = NULL;
		port = 20000 + rand() % 30000;
		addr = ml_xasprintf("127.0.0.1:%d", port);
		httpd = fork();
		if (httpd == 0) {
			execlp("busybox", "busybox", "httpd", "-f", "-p", addr,
			       "-h", www, (char *)NULL);
			_exit(127);
		}
		for (int i = 0; i < 50; i++) {
			if (ml_tcp_port_open(port))
				return;
			if (waitpid(httpd, NULL, WNOHANG) == httpd)
				break;
			usleep(20000);
		}
		kill(httpd, SIGKILL);
		waitpid(httpd, NULL, 0);
	}
	ck_abort_msg("busybox httpd did not start (install busybox-static)");
}

static void
setup(void)
{
	strcpy(dir, "/tmp/ml-test-download.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	www = ml_xasprintf("%s/www", dir);
	cache = ml_xasprintf("%s/cache", dir);
	ck_assert_int_eq(ml_mkdir_p(www, 0755), 0);
	srand((unsigned)getpid());
	start_httpd();
}

static void
teardown(void)
{
	if (httpd > 0) {
		kill(httpd, SIGTERM);
		waitpid(httpd, NULL, 0);
		httpd = 0;
	}
	ml_rm_rf(dir);
	free(www);
	free(cache);
}

static char *
blob(size_t n)
{
	char *b = ml_xmalloc(n);
	for (size_t i = 0; i < n; i++)
		b[i] = (char)((i * 2654435761u) >> 13);
	return b;
}

START_TEST(test_download_http_verified_then_cached)
{
	ml_autofree char *data = blob(3 << 20);
	ml_autofree char *url = NULL, *path = NULL, *again = NULL, *got = NULL;
	size_t len;

	publish("node.iso", data, 3 << 20, true);
	url = ml_xasprintf("http://127.0.0.1:%d/node.iso", port);
	ck_assert_int_eq(ml_download(url, NULL, cache, &path), 0);
	ck_assert_int_eq(ml_read_file(path, &got, &len), 0);
	ck_assert_uint_eq(len, 3u << 20);
	ck_assert_int_eq(memcmp(got, data, len), 0);
	/* with the server gone the verified cache still serves */
	kill(httpd, SIGTERM);
	waitpid(httpd, NULL, 0);
	httpd = 0;
	ck_assert_int_eq(ml_download(url, NULL, cache, &again), 0);
	ck_assert_str_eq(again, path);
}
END_TEST

START_TEST(test_download_wrong_checksum_refused)
{
	ml_autofree char *data = blob(100000);
	ml_autofree char *url = NULL, *path = NULL;
	ml_autofree char *cached = NULL, *part = NULL;

	publish("bad.iso", data, 100000, false);
	url = ml_xasprintf("http://127.0.0.1:%d/bad.iso", port);
	ck_assert_int_eq(ml_download(url, NULL, cache, &path), -EBADMSG);
	ck_assert_ptr_null(path);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "sha256"));
	cached = ml_xasprintf("%s/bad.iso", cache);
	part = ml_xasprintf("%s/bad.iso.part", cache);
	ck_assert(!ml_path_exists(cached));
	ck_assert(!ml_path_exists(part));
}
END_TEST

START_TEST(test_download_resumes_a_part)
{
	ml_autofree char *data = blob(2 << 20);
	ml_autofree char *url = NULL, *path = NULL, *got = NULL, *part = NULL;
	size_t len;

	publish("r.iso", data, 2 << 20, true);
	ck_assert_int_eq(ml_mkdir_p(cache, 0700), 0);
	part = ml_xasprintf("%s/r.iso.part", cache);
	ck_assert_int_eq(ml_write_file_atomic(part, data, 1 << 20, 0600), 0);
	url = ml_xasprintf("http://127.0.0.1:%d/r.iso", port);
	ck_assert_int_eq(ml_download(url, NULL, cache, &path), 0);
	ck_assert_int_eq(ml_read_file(path, &got, &len), 0);
	ck_assert_uint_eq(len, 2u << 20);
	ck_assert_int_eq(memcmp(got, data, len), 0);
	ck_assert(!ml_path_exists(part));
}
END_TEST

START_TEST(test_download_file_urls_and_errors)
{
	ml_autofree char *data = blob(5000);
	ml_autofree char *url = NULL, *path = NULL, *nosum = NULL, *p2 = NULL;

	publish("f.iso", data, 5000, true);
	url = ml_xasprintf("file://%s/f.iso", www);
	ck_assert_int_eq(ml_download(url, NULL, cache, &path), 0);
	write_file("nosum.iso", data, 10);
	nosum = ml_xasprintf("http://127.0.0.1:%d/nosum.iso", port);
	ck_assert_int_lt(ml_download(nosum, NULL, cache, &p2), 0);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "checksum"));
	ck_assert_int_eq(ml_download("http://127.0.0.1:1/", NULL, cache, &p2),
			 -EINVAL);
	ck_assert_int_lt(ml_download("http://127.0.0.1:1/x.iso", NULL, cache,
				     &p2),
			 0);
	ck_assert_ptr_null(p2);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("download");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_download_http_verified_then_cached);
	tcase_add_test(tc, test_download_wrong_checksum_refused);
	tcase_add_test(tc, test_download_resumes_a_part);
	tcase_add_test(tc, test_download_file_urls_and_errors);
	suite_add_tcase(s, tc);
	return ml_check_run(s);
}
