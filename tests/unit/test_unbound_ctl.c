/*
 * test_unbound_ctl.c: upstream lists, resolv.conf, unbound.conf, and the
 * remote-control protocol against a stand-in server on a unix socket
 * (the real unbound is exercised by tests/integration/test_dns.sh).
 */
#include "config.h"

#include "guest/unbound_ctl.h"
#include "base/util.h"
#include "check_run.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[64];

static void
setup(void)
{
	strcpy(tmpdir, "/tmp/ml-test-ubctl.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	ck_assert_int_eq(ml_rm_rf(tmpdir), 0);
}

START_TEST(test_unbound_ctl_upstreams_parse)
{
	struct ml_unbound_upstreams u;

	ck_assert_int_eq(ml_unbound_upstreams_parse(
				 "10.0.2.3,127.0.0.1@5353,fd00:0::1@53", &u),
			 0);
	ck_assert_uint_eq(u.n, 3);
	ck_assert_str_eq(u.addr[0], "10.0.2.3");
	ck_assert_str_eq(u.addr[1], "127.0.0.1@5353");
	ck_assert_str_eq(u.addr[2], "fd00::1@53");
	ml_unbound_upstreams_release(&u);
	ck_assert_int_eq(ml_unbound_upstreams_parse("10.0.2.3@0", &u), -EINVAL);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "'10.0.2.3@0'"));
	ck_assert_int_eq(ml_unbound_upstreams_parse("example.com", &u),
			 -EINVAL);
	ck_assert_int_eq(ml_unbound_upstreams_parse("1.2.3.4@53x", &u),
			 -EINVAL);
	ck_assert_int_eq(ml_unbound_upstreams_parse("", &u), -EINVAL);
	ck_assert_uint_eq(u.n, 0);
}
END_TEST

START_TEST(test_unbound_ctl_resolv_conf)
{
	struct ml_unbound_upstreams u;

	ml_unbound_resolv_conf("# a comment\n"
			       "search example.org\n"
			       "nameserver 10.0.2.3\n"
			       "nameserver\tfe80::1%eth0\n"
			       "; nameserver 1.1.1.1\n"
			       "nameserver 192.168.1.1 # trailing\n"
			       "options ndots:2\n",
			       "cluster.local", &u);
	ck_assert_uint_eq(u.n, 2);
	ck_assert_str_eq(u.addr[0], "10.0.2.3");
	ck_assert_str_eq(u.addr[1], "192.168.1.1");
	ck_assert_uint_eq(ml_unbound_upstreams_drop(&u, "10.0.2.3"), 1);
	ck_assert_uint_eq(u.n, 1);
	ck_assert_str_eq(u.addr[0], "192.168.1.1");
	ck_assert_uint_eq(ml_unbound_upstreams_drop(&u, "not an ip"), 0);
	ml_unbound_upstreams_release(&u);

	ml_unbound_resolv_conf("nameserver 127.0.0.53\nnameserver ::1\n"
			       "nameserver 10.0.2.3\nnameserver 127.0.0.1\n",
			       "cluster.local", &u);
	ck_assert_uint_eq(ml_unbound_upstreams_drop_loopback(&u), 3);
	ck_assert_uint_eq(u.n, 1);
	ck_assert_str_eq(u.addr[0], "10.0.2.3");
	ml_unbound_upstreams_release(&u);

	/* A pod's ClusterFirst file names this server: take nothing. */
	ml_unbound_resolv_conf("nameserver 10.96.0.10\n"
			       "search default.svc.cluster.local "
			       "svc.cluster.local cluster.local\n"
			       "options ndots:5\n",
			       "cluster.local", &u);
	ck_assert_uint_eq(u.n, 0);
	ml_unbound_resolv_conf(NULL, "cluster.local", &u);
	ck_assert_uint_eq(u.n, 0);
}
END_TEST

START_TEST(test_unbound_ctl_conf_text)
{
	struct ml_unbound_upstreams none = { 0 }, up;
	struct ml_unbound_conf c = { .dir = "/run/ml-dns",
				     .control = "/run/ml-dns/unbound.ctl",
				     .records = "/run/ml-dns/records.conf",
				     .domain = "cluster.local",
				     .listen = "0.0.0.0",
				     .port = 53,
				     .upstreams = &none,
				     .ttl = 5 };
	ml_autofree char *t = ml_unbound_conf_text(&c);
	ml_autofree char *t2 = NULL, *t3 = NULL;

	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(strstr(t, "\tmodule-config: \"iterator\"\n"));
	ck_assert_ptr_null(strstr(t, "trust-anchor-file"));
	ck_assert_ptr_null(strstr(t, "root-hints"));
	ck_assert_ptr_nonnull(strstr(t, "\tinterface: 0.0.0.0\n\tport: 53\n"));
	ck_assert_ptr_nonnull(
		strstr(t, "\tlocal-zone: \"cluster.local.\" static\n"));
	ck_assert_ptr_nonnull(strstr(t, "IN SOA ns.dns.cluster.local. "));
	ck_assert_ptr_nonnull(
		strstr(t, "\tinclude: \"/run/ml-dns/records.conf\"\n"));
	ck_assert_ptr_nonnull(
		strstr(t, "\tlocal-zone: \"in-addr.arpa.\" transparent\n"));
	ck_assert_ptr_nonnull(
		strstr(t, "\tcontrol-interface: \"/run/ml-dns/unbound.ctl\"\n"
			  "\tcontrol-use-cert: no\n"));
	/* none: one forwarder that do-not-query-address forbids */
	ck_assert_ptr_nonnull(
		strstr(t, "\tdo-not-query-address: 127.255.255.254\n"));
	ck_assert_ptr_nonnull(strstr(t, "forward-zone:\n\tname: \".\"\n"
					"\tforward-addr: 127.255.255.254@1\n"));
	/* the zone itself, for CNAME targets: to unbound on loopback */
	ck_assert_ptr_nonnull(
		strstr(t, "forward-zone:\n\tname: \"cluster.local.\"\n"
			  "\tforward-addr: 127.0.0.1@53\n"));
	ck_assert_ptr_nonnull(strstr(t, "\tdo-ip6: no\n"));

	ck_assert_int_eq(ml_unbound_upstreams_parse("127.0.0.1@5300,fd00::53",
						    &up),
			 0);
	c.upstreams = &up;
	c.listen = "127.0.0.1";
	c.port = 5353;
	t2 = ml_unbound_conf_text(&c);
	ck_assert_ptr_nonnull(strstr(t2, "\tdo-not-query-localhost: no\n"));
	ck_assert_ptr_nonnull(strstr(t2, "\tforward-addr: 127.0.0.1@5300\n"
					 "\tforward-addr: fd00::53\n"));
	ck_assert_ptr_nonnull(strstr(t2, "\tforward-addr: 127.0.0.1@5353\n"));
	ck_assert_ptr_null(strstr(t2, "127.255.255.254@1\n"));
	ck_assert_ptr_nonnull(strstr(t2, "\tdo-ip6: yes\n"));
	ml_unbound_upstreams_release(&up);

	c.control = "/run/a\"b";
	t3 = ml_unbound_conf_text(&c);
	ck_assert_ptr_null(t3);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "quote"));
}
END_TEST

START_TEST(test_unbound_ctl_hosts)
{
	struct ml_unbound_upstreams none = { 0 };
	struct ml_unbound_hosts h = { 0 };
	struct ml_unbound_conf c = { .dir = "/run/ml-dns",
				     .control = "/run/ml-dns/unbound.ctl",
				     .records = "/run/ml-dns/records.conf",
				     .domain = "cluster.local",
				     .listen = "0.0.0.0",
				     .port = 53,
				     .upstreams = &none,
				     .ttl = 5 };
	ml_autofree char *t = NULL, *t0 = NULL;

	ck_assert_int_eq(ml_unbound_hosts_add(&h,
					      "Host.Minilaunch.Internal.=10.0.2.2"),
			 0);
	ck_assert_int_eq(ml_unbound_hosts_add(&h, "db.example.test=fd00::0:1"),
			 0);
	ck_assert_int_eq(ml_unbound_hosts_add(&h, "db.example.test=10.0.0.9"),
			 0);
	ck_assert_uint_eq(h.n, 3);
	ck_assert_str_eq(h.h[0].name, "host.minilaunch.internal");
	ck_assert_str_eq(h.h[0].ip, "10.0.2.2");
	ck_assert_str_eq(h.h[1].ip, "fd00::1");

	/* refused, and the list is left as it was */
	ck_assert_int_eq(ml_unbound_hosts_add(&h, "host.minilaunch.internal"),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "NAME=IP"));
	ck_assert_int_eq(ml_unbound_hosts_add(&h, "localhost=127.0.0.1"),
			 -EINVAL);
	ck_assert_int_eq(ml_unbound_hosts_add(&h, "a\"b.test=10.0.0.1"),
			 -EINVAL);
	ck_assert_int_eq(ml_unbound_hosts_add(&h, "a b.test=10.0.0.1"),
			 -EINVAL);
	ck_assert_int_eq(ml_unbound_hosts_add(&h, "=10.0.0.1"), -EINVAL);
	ck_assert_int_eq(ml_unbound_hosts_add(&h, "a.test=10.0.0.256"),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "not an IP address"));
	ck_assert_int_eq(ml_unbound_hosts_add(&h, "a.test=10.0.0.1 x"),
			 -EINVAL);
	ck_assert_uint_eq(h.n, 3);

	t0 = ml_unbound_conf_text(&c);
	ck_assert_ptr_nonnull(t0);
	ck_assert_ptr_null(strstr(t0, "minilaunch.internal"));

	c.hosts = &h;
	t = ml_unbound_conf_text(&c);
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(
		strstr(t, "\tlocal-zone: \"host.minilaunch.internal.\" static\n"
			  "\tlocal-data: \"host.minilaunch.internal. 5 IN A "
			  "10.0.2.2\"\n"));
	/* one zone for a name with two records */
	ck_assert_ptr_nonnull(
		strstr(t,
		       "\tlocal-zone: \"db.example.test.\" static\n"
		       "\tlocal-data: \"db.example.test. 5 IN AAAA fd00::1\"\n"
		       "\tlocal-data: \"db.example.test. 5 IN A 10.0.0.9\"\n"));
	ck_assert_ptr_null(strstr(strstr(t, "\"db.example.test.\" static") + 1,
				  "\"db.example.test.\" static"));
	/* before the records' include, in the server clause */
	ck_assert(strstr(t, "host.minilaunch.internal") <
		  strstr(t, "\tinclude: "));
	ml_unbound_hosts_release(&h);
	ck_assert_uint_eq(h.n, 0);
	ck_assert_ptr_null(h.h);
}
END_TEST

START_TEST(test_unbound_ctl_records_text)
{
	const char *zones[] = { "ext.default.svc.cluster.local." };
	const char *rr[] = {
		"ext.default.svc.cluster.local. 5 IN CNAME db.example.com.",
		"web.default.svc.cluster.local. 5 IN A 10.96.0.20",
		"bad.x. 5 IN TXT \"q\""
	};
	ml_autofree char *t =
		ml_unbound_records_text(zones, 1, "redirect", rr, 3);
	ml_autofree char *empty =
		ml_unbound_records_text(NULL, 0, "redirect", NULL, 0);

	ck_assert_ptr_nonnull(
		strstr(t,
		       "server:\n"
		       "\tlocal-zone: \"ext.default.svc.cluster.local.\" redirect\n"
		       "\tlocal-data: \"ext.default.svc.cluster.local. 5 IN CNAME "
		       "db.example.com.\"\n"
		       "\tlocal-data: \"web.default.svc.cluster.local. 5 IN A "
		       "10.96.0.20\"\n"));
	/* a line that would break the file's quoting is left out */
	ck_assert_ptr_null(strstr(t, "bad.x."));
	ck_assert_ptr_nonnull(strstr(empty, "server:\n"));
	ck_assert_ptr_null(strstr(empty, "local-"));
}
END_TEST

/*
 * A stand-in for unbound's control socket at path: accepts one
 * connection, saves what it reads (up to the end marker, or the command
 * line for a simple command) in path.req, answers reply and closes.
 */
static pid_t
fake_unbound(const char *path, bool batch, const char *reply)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	pid_t pid;

	strcpy(sa.sun_path, path);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(lfd, 1), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char buf[4096];
		size_t len = 0;
		int fd = accept(lfd, NULL, NULL);
		ml_autofree char *req = ml_xasprintf("%s.req", path);

		while (len < sizeof(buf) - 1) {
			ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

			if (n <= 0)
				break;
			len += (size_t)n;
			buf[len] = '\0';
			if (batch ? strstr(buf, "\n\x04\n") != NULL
				  : strchr(buf, '\n') != NULL)
				break;
		}
		ml_write_file_atomic(req, buf, len, 0600);
		if (write(fd, reply, strlen(reply)) < 0)
			_exit(1);
		close(fd);
		_exit(0);
	}
	close(lfd);
	return pid;
}

static char *
request_seen(const char *path, pid_t pid)
{
	ml_autofree char *req = ml_xasprintf("%s.req", path);
	char *data = NULL;
	int status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(status, 0);
	ck_assert_int_eq(ml_read_file(req, &data, NULL), 0);
	unlink(path);
	return data;
}

START_TEST(test_unbound_ctl_protocol_batch)
{
	ml_autofree char *path = ml_xasprintf("%s/ctl", tmpdir);
	ml_autofree char *seen = NULL, *seen2 = NULL;
	const char *rr[] = { "a.x. 5 IN A 10.0.0.1", "b.x. 5 IN A 10.0.0.2" };
	const char *names[] = { "a.x." };
	pid_t pid;

	pid = fake_unbound(path, true, "added 2 datas\n");
	ck_assert_int_eq(ml_unbound_add(path, rr, 2, 5000), 0);
	seen = request_seen(path, pid);
	ck_assert_str_eq(seen, "UBCT1 local_datas\n"
			       "a.x. 5 IN A 10.0.0.1\n"
			       "b.x. 5 IN A 10.0.0.2\n"
			       "\x04\n");

	pid = fake_unbound(path, true, "removed 1 datas\n");
	ck_assert_int_eq(ml_unbound_remove(path, names, 1, 5000), 0);
	seen2 = request_seen(path, pid);
	ck_assert_str_eq(seen2, "UBCT1 local_datas_remove\na.x.\n\x04\n");

	/* the summary must name what was sent */
	pid = fake_unbound(path, true, "removed 1 zones\n");
	ck_assert_int_eq(ml_unbound_remove(path, names, 1, 5000), -EPROTO);
	free(request_seen(path, pid));

	/* nothing to send: no connection at all (nobody listens) */
	ck_assert_int_eq(ml_unbound_add(path, rr, 0, 5000), 0);
}
END_TEST

START_TEST(test_unbound_ctl_protocol_refusals)
{
	ml_autofree char *path = ml_xasprintf("%s/ctl", tmpdir);
	const char *rr[] = { "a.x. 5 IN A 10.0.0.1", "bad" };
	pid_t pid;

	pid = fake_unbound(path, true,
			   "error parsing local-data at line 2 position 3 "
			   "'bad': syntax error\nadded 1 datas\n");
	ck_assert_int_eq(ml_unbound_add(path, rr, 2, 5000), -EINVAL);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "took 1 of 2 lines"));
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "'bad': syntax error"));
	free(request_seen(path, pid));

	pid = fake_unbound(path, true, "error version mismatch\n");
	ck_assert_int_eq(ml_unbound_add(path, rr, 2, 5000), -EPROTO);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "version mismatch"));
	free(request_seen(path, pid));
}
END_TEST

START_TEST(test_unbound_ctl_protocol_simple_and_failures)
{
	ml_autofree char *path = ml_xasprintf("%s/ctl", tmpdir);
	ml_autofree char *reply = NULL, *seen = NULL;
	pid_t pid;

	pid = fake_unbound(path, false, "unbound (pid 1) is running...\n");
	ck_assert_int_eq(ml_unbound_control(path, "status", NULL, 0, 5000,
					    &reply),
			 0);
	ck_assert_str_eq(reply, "unbound (pid 1) is running...\n");
	seen = request_seen(path, pid);
	ck_assert_str_eq(seen, "UBCT1 status\n");

	/* nobody there */
	ck_assert_int_eq(ml_unbound_control(path, "status", NULL, 0, 5000,
					    NULL),
			 -ENOENT);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "cannot connect"));
	ck_assert_int_eq(ml_unbound_reload(path, 300), -ENOENT);

	/* a reload refused */
	pid = fake_unbound(path, false, "error unknown command\n");
	ck_assert_int_eq(ml_unbound_reload(path, 5000), -EPROTO);
	free(seen);
	seen = request_seen(path, pid);
	ck_assert_str_eq(seen, "UBCT1 reload_keep_cache\n");
	/* accepted, but unbound never answers again */
	pid = fake_unbound(path, false, "ok\n");
	ck_assert_int_eq(ml_unbound_reload(path, 300), -ETIMEDOUT);
	free(request_seen(path, pid));
}
END_TEST

START_TEST(test_unbound_ctl_spawn_and_stop)
{
	ml_autofree char *conf = ml_xasprintf("%s/unbound.conf", tmpdir);
	ml_autofree char *ctl = ml_xasprintf("%s/no.ctl", tmpdir);
	pid_t pid;
	int status;

	/* a stand-in that ignores its arguments and exits at once */
	ck_assert_int_eq(ml_unbound_spawn("/bin/false", conf, &pid), 0);
	ck_assert_int_eq(ml_unbound_wait_ready(pid, ctl, 5000), -ECHILD);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "exited with status 1"));
	/* one that waits: stopped with SIGTERM */
	ck_assert_int_eq(ml_unbound_spawn("/bin/sleep", conf, &pid), 0);
	status = ml_unbound_stop(pid, 5000);
	ck_assert(WIFEXITED(status) || WIFSIGNALED(status));
	ck_assert_int_eq(ml_unbound_spawn("/nonexistent/unbound", conf, &pid),
			 -ENOENT);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "/nonexistent/unbound"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("unbound_ctl");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_unbound_ctl_upstreams_parse);
	tcase_add_test(tc, test_unbound_ctl_resolv_conf);
	tcase_add_test(tc, test_unbound_ctl_conf_text);
	tcase_add_test(tc, test_unbound_ctl_hosts);
	tcase_add_test(tc, test_unbound_ctl_records_text);
	tcase_add_test(tc, test_unbound_ctl_protocol_batch);
	tcase_add_test(tc, test_unbound_ctl_protocol_refusals);
	tcase_add_test(tc, test_unbound_ctl_protocol_simple_and_failures);
	tcase_add_test(tc, test_unbound_ctl_spawn_and_stop);
	suite_add_tcase(s, tc);
	return ml_check_run(s);
}
