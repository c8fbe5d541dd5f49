/*
 * test_download.c: verified, resumable downloads from real HTTP servers on
 * 127.0.0.1 (busybox httpd; a shell script under socat for what busybox
 * does not do: ignoring Range, answering 416, redirecting) and from file
 * URLs.
 *
 * These servers speak plain http, which ml_download() refuses: setup()
 * turns on its test-only seam ml_download_allow_http_for_tests(), and
 * test_download_refuses_plain_http turns it off again to check the refusal.
 */
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

/*
 * The other server, a shell script socat runs for each connection: GET
 * /plain/NAME sends www/NAME whole (200) whatever Range asks, as a server
 * without Range support does; /416/NAME answers any Range with 416;
 * /redirect/NAME sends a 302 to http://127.0.0.1:PORT/plain/NAME.
 */
static const char sh_server[] =
	"root=$1 port=$2 range=\n"
	"read -r method path proto\n"
	"while IFS= read -r line; do\n"
	"	line=${line%\"$(printf '\\r')\"}\n"
	"	[ -z \"$line\" ] && break\n"
	"	case $line in [Rr]ange:*) range=1 ;; esac\n"
	"done\n"
	"mode=${path#/} name=${path#/*/}\n"
	"mode=${mode%%/*} f=$root/$name\n"
	"answer() { printf 'HTTP/1.1 %s\\r\\nContent-Length: %s\\r\\n%bConnection: close\\r\\n\\r\\n' \"$@\"; }\n"
	"if [ \"$mode\" = redirect ]; then\n"
	"	answer '302 Found' 0 \"Location: http://127.0.0.1:$port/plain/$name\\r\\n\"\n"
	"elif [ ! -f \"$f\" ]; then\n"
	"	answer '404 Not Found' 0 ''\n"
	"elif [ \"$mode\" = 416 ] && [ -n \"$range\" ]; then\n"
	"	answer '416 Range Not Satisfiable' 0 \"Content-Range: bytes */$(wc -c <\"$f\")\\r\\n\"\n"
	"else\n"
	"	answer '200 OK' \"$(wc -c <\"$f\")\" ''\n"
	"	cat \"$f\"\n"
	"fi\n";

static pid_t shd;
static int shport;

/* Runs argv until it listens on 127.0.0.1:on; its pid, or 0 when it did
 * not (the port was taken, say). */
static pid_t
spawn_listening(const char *const *argv, int on)
{
	pid_t pid = fork();

	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 150; i++) {
		if (ml_tcp_port_open(on))
			return pid;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return 0;
		usleep(20000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 0;
}

static void
start_httpd(void)
{
	for (int tries = 0; tries < 20 && !httpd; tries++) {
		ml_autofree char *addr = NULL;
		const char *argv[] = { "busybox", "httpd", "-f", "-p",
				       NULL,	  "-h",	   www,	 NULL };

		port = 20000 + rand() % 30000;
		addr = ml_xasprintf("127.0.0.1:%d", port);
		argv[4] = addr;
		httpd = spawn_listening(argv, port);
	}
	ck_assert_msg(httpd > 0,
		      "busybox httpd did not start (install busybox-static)");
}

static void
start_shd(void)
{
	ml_autofree char *script = ml_xasprintf("%s/server.sh", dir);

	ck_assert_int_eq(ml_write_file_atomic(script, sh_server,
					      strlen(sh_server), 0644),
			 0);
	for (int tries = 0; tries < 20 && !shd; tries++) {
		ml_autofree char *listen = NULL, *exec = NULL;
		const char *argv[] = { "socat", NULL, NULL, NULL };

		shport = 20000 + rand() % 30000;
		listen =
			ml_xasprintf("TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork",
				     shport);
		exec = ml_xasprintf("EXEC:sh %s %s %d", script, www, shport);
		argv[1] = listen;
		argv[2] = exec;
		shd = spawn_listening(argv, shport);
	}
	ck_assert_msg(shd > 0, "socat did not start (install socat)");
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
	ml_download_allow_http_for_tests(true);
}

static void
teardown(void)
{
	if (httpd > 0) {
		kill(httpd, SIGTERM);
		waitpid(httpd, NULL, 0);
		httpd = 0;
	}
	if (shd > 0) {
		kill(shd, SIGTERM);
		waitpid(shd, NULL, 0);
		shd = 0;
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

START_TEST(test_download_refuses_plain_http)
{
	ml_autofree char *data = blob(1000);
	ml_autofree char *url = NULL, *path = NULL;

	publish("h.iso", data, 1000, true);
	url = ml_xasprintf("http://127.0.0.1:%d/h.iso", port);
	ml_download_allow_http_for_tests(false);
	ck_assert_int_eq(ml_download_check_url(url), -EPROTONOSUPPORT);
	ck_assert_int_eq(ml_download(url, NULL, cache, &path),
			 -EPROTONOSUPPORT);
	ck_assert_ptr_null(path);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), url));
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "https://"));
	ck_assert(!ml_path_exists(cache));
	ck_assert_int_eq(ml_download_check_url("HTTP://x/h.iso"),
			 -EPROTONOSUPPORT);
	ck_assert_int_eq(ml_download_check_url("ftp://x/h.iso"),
			 -EPROTONOSUPPORT);
	ck_assert_int_eq(ml_download_check_url("https://x/h.iso"), 0);
	ck_assert_int_eq(ml_download_check_url("file:///x/h.iso"), 0);
}
END_TEST

/* A redirect may only lead to https, whatever the first URL was. */
START_TEST(test_download_no_redirect_to_http)
{
	ml_autofree char *data = blob(1000);
	ml_autofree char *url = NULL, *path = NULL;
	char sum[65];

	publish("red.iso", data, 1000, true);
	{
		ml_autofree char *p = ml_xasprintf("%s/red.iso", www);
		ck_assert_int_eq(ml_download_sha256_file(p, sum), 0);
	}
	start_shd();
	url = ml_xasprintf("http://127.0.0.1:%d/redirect/red.iso", shport);
	ck_assert_int_lt(ml_download(url, sum, cache, &path), 0);
	ck_assert_ptr_null(path);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "redirect"));
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), url));
}
END_TEST

/* A pinned digest wins over the server's checksum file, and none is
 * needed. */
START_TEST(test_download_pinned_digest)
{
	ml_autofree char *data = blob(70000);
	ml_autofree char *url = NULL, *path = NULL, *p2 = NULL, *nosum = NULL;
	ml_autofree char *src = NULL;
	char sum[65], bad[65];

	publish("pin.iso", data, 70000, false); /* the server's sum lies */
	src = ml_xasprintf("%s/pin.iso", www);
	ck_assert_int_eq(ml_download_sha256_file(src, sum), 0);
	url = ml_xasprintf("http://127.0.0.1:%d/pin.iso", port);
	ck_assert_int_eq(ml_download(url, sum, cache, &path), 0);
	ml_rm_rf(cache);
	memcpy(bad, sum, sizeof(bad));
	bad[0] = bad[0] == 'a' ? 'b' : 'a';
	ck_assert_int_eq(ml_download(url, bad, cache, &p2), -EBADMSG);
	ck_assert_ptr_null(p2);
	write_file("nosum.iso", data, 70000);
	nosum = ml_xasprintf("http://127.0.0.1:%d/nosum.iso", port);
	ck_assert_int_eq(ml_download(nosum, sum, cache, &p2), 0);
}
END_TEST

/* Resumes url with a part of part_len bytes of data[len] in the cache:
 * the result must be the whole file, the part gone. */
static void
expect_restart(const char *url, const char *name, const char *data, size_t len,
	       size_t part_len)
{
	ml_autofree char *path = NULL, *got = NULL, *part = NULL;
	ml_autofree char *junk = blob(part_len + 1);
	size_t got_len;

	ck_assert_int_eq(ml_mkdir_p(cache, 0700), 0);
	part = ml_xasprintf("%s/%s.part", cache, name);
	/* junk: a restart must not keep a byte of it */
	ck_assert_int_eq(ml_write_file_atomic(part, junk + 1, part_len, 0600),
			 0);
	ck_assert_int_eq(ml_download(url, NULL, cache, &path), 0);
	ck_assert_int_eq(ml_read_file(path, &got, &got_len), 0);
	ck_assert_uint_eq(got_len, len);
	ck_assert_int_eq(memcmp(got, data, len), 0);
	ck_assert(!ml_path_exists(part));
}

START_TEST(test_download_restarts_without_range)
{
	ml_autofree char *data = blob(300000);
	ml_autofree char *url = NULL;

	publish("nr.iso", data, 300000, true);
	start_shd();
	url = ml_xasprintf("http://127.0.0.1:%d/plain/nr.iso", shport);
	expect_restart(url, "nr.iso", data, 300000, 100000);
}
END_TEST

START_TEST(test_download_restarts_after_416)
{
	ml_autofree char *data = blob(300000);
	ml_autofree char *url = NULL;

	publish("r416.iso", data, 300000, true);
	start_shd();
	url = ml_xasprintf("http://127.0.0.1:%d/416/r416.iso", shport);
	expect_restart(url, "r416.iso", data, 300000, 100000);
}
END_TEST

/* A part longer than the file: busybox answers 200, file:// cannot
 * resume. */
START_TEST(test_download_restarts_an_oversized_part)
{
	ml_autofree char *data = blob(50000);
	ml_autofree char *url = NULL, *furl = NULL;

	publish("big.iso", data, 50000, true);
	url = ml_xasprintf("http://127.0.0.1:%d/big.iso", port);
	expect_restart(url, "big.iso", data, 50000, 80000);
	ml_rm_rf(cache);
	furl = ml_xasprintf("file://%s/big.iso", www);
	expect_restart(furl, "big.iso", data, 50000, 80000);
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
	tcase_add_test(tc, test_download_refuses_plain_http);
	tcase_add_test(tc, test_download_no_redirect_to_http);
	tcase_add_test(tc, test_download_pinned_digest);
	tcase_add_test(tc, test_download_restarts_without_range);
	tcase_add_test(tc, test_download_restarts_after_416);
	tcase_add_test(tc, test_download_restarts_an_oversized_part);
	suite_add_tcase(s, tc);
	return ml_check_run(s);
}
