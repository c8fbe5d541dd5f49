/*
 * test_lb_tunnel.c: the controller of `minilaunch tunnel`
 * (src/kube/lb_tunnel.c) against the real control plane of
 * tests/fixtures/control-plane: a LoadBalancer Service gets its forward
 * and the status ingress 127.0.0.1, loses the forward when deleted; stop
 * clears the statuses; a host port held by another program (a socket this
 * test listens on) gives a PortInUse Event and one line; a second tunnel
 * of a profile is refused while the first runs; after a kill -9, even one
 * between a forward and the state file's write, the state file lets
 * cleanup remove the forwards and clear the statuses.
 *
 * The forwarder is a test double that only records the calls: the real
 * one adds forwards through the QEMU monitor of a running VM
 * (machine/driver.h, lv_forward), which this fixture does not have. The
 * VM side is checked by tests/e2e (test_tunnel.sh.part).
 */
#include "config.h"

#include "base/util.h"
#include "kube/k8s.h"
#include "kube/lb_tunnel.h"
#include "fixture.h"

#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* The test double of the forwarder: records, forwards nothing. */
struct rec {
	int adds[16][2];
	size_t nadds;
	int removes[16];
	size_t nremoves;
	bool die_after_add; /* a kill -9 just after the forward is made */
};

static int
rec_add(void *ud, int host_port, int node_port)
{
	struct rec *r = ud;

	ck_assert_uint_lt(r->nadds, 16);
	r->adds[r->nadds][0] = host_port;
	r->adds[r->nadds++][1] = node_port;
	if (r->die_after_add)
		raise(SIGKILL);
	return 0;
}

static int
rec_remove(void *ud, int host_port)
{
	struct rec *r = ud;

	ck_assert_uint_lt(r->nremoves, 16);
	r->removes[r->nremoves++] = host_port;
	return 0;
}

/* A port nothing listens on now, from the kernel's ephemeral range. */
static int
free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* A socket listening on 127.0.0.1:port (the test's own "other program"). */
static int
listen_on(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	return fd;
}

/* 127.0.0.1:port with nothing listening, but the closed connection of an
 * earlier server in TIME_WAIT on it (as an earlier tunnel's forward leaves
 * after answering a curl): the server side closed first. Its listener had
 * SO_REUSEADDR, as QEMU's forward has. */
static int
time_wait_on(void)
{
	int port = free_port(), l, cl, sv;
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char b;

	l = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(l, 0);
	ck_assert_int_eq(setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 },
				    sizeof(int)),
			 0);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(l, 4), 0);
	cl = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(cl, 0);
	ck_assert_int_eq(connect(cl, (struct sockaddr *)&a, sizeof(a)), 0);
	sv = accept(l, NULL, NULL);
	ck_assert_int_ge(sv, 0);
	close(l);
	close(sv);
	/* the client sees the server's FIN, then closes too */
	ck_assert_int_eq(read(cl, &b, 1), 0);
	close(cl);
	return port;
}

static void
create_svc(struct ml_k8s *c, const char *name, const char *type, int port)
{
	ml_autofree char *body =
		ml_xasprintf("{\"apiVersion\":\"v1\",\"kind\":\"Service\","
			     "\"metadata\":{\"name\":\"%s\"},"
			     "\"spec\":{\"type\":\"%s\",\"selector\":{\"app\":\"%s\"},"
			     "\"ports\":[{\"port\":%d,\"protocol\":\"TCP\"}]}}",
			     name, type, name, port);

	ck_assert_msg(ml_k8s_create(c, "/api/v1/namespaces/default/services",
				    body, NULL) == 0,
		      "%s", ml_err_msg());
}

static void
delete_svc(struct ml_k8s *c, const char *name)
{
	ml_autofree char *path =
		ml_xasprintf("/api/v1/namespaces/default/services/%s", name);

	ml_k8s_delete(c, path, NULL);
}

/* "127.0.0.1" when the Service's status has our ingress, "" when it has
 * none, the nodePort of its first port in *ret_np. */
static char *
ingress_of(struct ml_k8s *c, const char *name, int *ret_np)
{
	ml_autofree char *path =
		ml_xasprintf("/api/v1/namespaces/default/services/%s", name);
	struct json_object *svc = NULL, *in;
	char *ip;

	ck_assert_msg(ml_k8s_get(c, path, &svc) == 0, "%s", ml_err_msg());
	in = ml_json_get(svc, "status.loadBalancer.ingress");
	ip = ml_xstrdup(
		in && json_object_array_length(in) == 1 &&
				ml_json_str(json_object_array_get_idx(in, 0),
					    "ip")
			? ml_json_str(json_object_array_get_idx(in, 0), "ip")
			: "");
	if (ret_np)
		*ret_np = json_object_get_int(
			ml_json_get(json_object_array_get_idx(
					    ml_json_get(svc, "spec.ports"), 0),
				    "nodePort"));
	json_object_put(svc);
	return ip;
}

/* Polls t until cond(arg) holds, at most 30 s. */
static bool
poll_until(struct ml_lb_tunnel *t, bool (*cond)(void *), void *arg)
{
	int64_t end = ml_now_ms() + 30000;

	while (ml_now_ms() < end) {
		if (cond(arg))
			return true;
		if (t)
			ck_assert_int_ge(ml_lb_tunnel_poll(t, 200, -1), 0);
		else
			usleep(200 * 1000);
	}
	return cond(arg);
}

struct want {
	struct ml_k8s *c;
	const char *name;
	const char *ip;
	struct rec *rec;
	size_t nadds, nremoves;
};

static bool
has_ip(void *arg)
{
	struct want *w = arg;
	ml_autofree char *ip = ingress_of(w->c, w->name, NULL);

	return strcmp(ip, w->ip) == 0;
}

static bool
recorded(void *arg)
{
	struct want *w = arg;

	return w->rec->nadds >= w->nadds && w->rec->nremoves >= w->nremoves;
}

static char *
state_dir(const char *tag)
{
	char *d = ml_xasprintf("%s/tunnel-%s", fixture_dir, tag);

	ck_assert_int_eq(ml_mkdir_p(d, 0700), 0);
	return d;
}

START_TEST(test_lb_tunnel_create_delete)
{
	struct ml_k8s *c = fixture_client("fixture");
	ml_autofree char *dir = state_dir("cd");
	ml_autofree char *state = ml_xasprintf("%s/tunnel.json", dir);
	ml_autofree char *text = NULL, *ip = NULL;
	struct rec rec = { 0 };
	struct ml_lb_forwarder fw = { rec_add, rec_remove, &rec };
	struct ml_lb_tunnel *t = NULL;
	int port = free_port(), np = 0;
	struct want w = { c, "lb-web", "127.0.0.1", &rec, 1, 0 };

	ck_assert_msg(ml_lb_tunnel_new(c, &fw, state, NULL, &t) == 0, "%s",
		      ml_err_msg());
	create_svc(c, "lb-web", "LoadBalancer", port);
	create_svc(c, "plain", "ClusterIP", free_port());
	ck_assert_msg(poll_until(t, has_ip, &w),
		      "lb-web never got the ingress 127.0.0.1");
	ck_assert(poll_until(t, recorded, &w));
	ip = ingress_of(c, "lb-web", &np);
	/* one forward: the service port on the host to its NodePort */
	ck_assert_uint_eq(rec.nadds, 1);
	ck_assert_int_eq(rec.adds[0][0], port);
	ck_assert_int_eq(rec.adds[0][1], np);
	ck_assert_int_ge(np, 30000);
	ck_assert_uint_eq(ml_lb_tunnel_nforwards(t), 1);
	ck_assert_int_eq(ml_read_file(state, &text, NULL), 0);
	ck_assert_ptr_nonnull(strstr(text, "\"lb-web\""));

	/* deleted: the forward goes, the ClusterIP one was never touched */
	delete_svc(c, "lb-web");
	w.nremoves = 1;
	ck_assert_msg(poll_until(t, recorded, &w), "no forward removed");
	ck_assert_int_eq(rec.removes[0], port);
	ck_assert_uint_eq(rec.nadds, 1);
	ck_assert_uint_eq(ml_lb_tunnel_nforwards(t), 0);
	free(text);
	text = NULL;
	ck_assert_int_eq(ml_read_file(state, &text, NULL), 0);
	ck_assert_ptr_null(strstr(text, "\"lb-web\""));
	delete_svc(c, "plain");
	ck_assert_int_eq(ml_lb_tunnel_stop(t, true), 0);
	ck_assert(!ml_path_exists(state));
	ml_lb_tunnel_free(t);
	ml_k8s_free(c);
}
END_TEST

START_TEST(test_lb_tunnel_stop_clears_status)
{
	struct ml_k8s *c = fixture_client("fixture");
	ml_autofree char *dir = state_dir("stop");
	ml_autofree char *state = ml_xasprintf("%s/tunnel.json", dir);
	struct rec rec = { 0 };
	struct ml_lb_forwarder fw = { rec_add, rec_remove, &rec };
	struct ml_lb_tunnel *t = NULL;
	int port = free_port();
	struct want w = { c, "lb-stop", "127.0.0.1", &rec, 1, 0 };

	ck_assert_msg(ml_lb_tunnel_new(c, &fw, state, NULL, &t) == 0, "%s",
		      ml_err_msg());
	create_svc(c, "lb-stop", "LoadBalancer", port);
	ck_assert(poll_until(t, has_ip, &w));
	ck_assert(poll_until(t, recorded, &w));
	ck_assert_msg(ml_lb_tunnel_stop(t, true) == 0, "%s", ml_err_msg());
	ck_assert_uint_eq(rec.nremoves, 1);
	ck_assert_int_eq(rec.removes[0], port);
	/* back to pending */
	w.ip = "";
	ck_assert(has_ip(&w));
	ck_assert(!ml_path_exists(state));
	ml_lb_tunnel_free(t);
	delete_svc(c, "lb-stop");
	ml_k8s_free(c);
}
END_TEST

/* The events of namespace default about Service name with reason. */
static size_t
events_of(struct ml_k8s *c, const char *name, const char *reason)
{
	ml_autofree char *path = ml_xasprintf(
		"/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%%3D%s%%2Creason%%3D%s",
		name, reason);
	struct json_object *list = NULL;
	size_t n;

	ck_assert_msg(ml_k8s_list(c, path, false, 0, NULL, &list) == 0, "%s",
		      ml_err_msg());
	n = json_object_array_length(ml_json_get(list, "items"));
	if (n)
		ck_assert_str_eq(ml_json_str(json_object_array_get_idx(
						     ml_json_get(list, "items"),
						     0),
					     "involvedObject.kind"),
				 "Service");
	json_object_put(list);
	return n;
}

START_TEST(test_lb_tunnel_port_clash)
{
	struct ml_k8s *c = fixture_client("fixture");
	ml_autofree char *dir = state_dir("clash");
	ml_autofree char *state = ml_xasprintf("%s/tunnel.json", dir);
	ml_autofree char *want_line = NULL, *want_line2 = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct rec rec = { 0 };
	struct ml_lb_forwarder fw = { rec_add, rec_remove, &rec };
	struct ml_lb_tunnel *t = NULL;
	int held = free_port(), port = free_port();
	int fd = listen_on(held);
	struct want w = { c, "lb-first", "127.0.0.1", &rec, 1, 0 };

	ck_assert_msg(ml_lb_tunnel_new(c, &fw, state, out, &t) == 0, "%s",
		      ml_err_msg());
	/* a port another program holds: reported, never moved */
	create_svc(c, "lb-held", "LoadBalancer", held);
	want_line = ml_xasprintf(
		"service default/lb-held: port %d is taken on 127.0.0.1 by another program",
		held);
	/* buf moves as the stream grows: read it after each flush */
	{
		int64_t end = ml_now_ms() + 30000;

		while (ml_now_ms() < end) {
			fflush(out);
			if (buf && strstr(buf, want_line))
				break;
			ck_assert_int_ge(ml_lb_tunnel_poll(t, 200, -1), 0);
		}
		fflush(out);
		ck_assert_msg(buf && strstr(buf, want_line),
			      "no line '%s' in '%s'", want_line,
			      buf ? buf : "");
	}
	ck_assert_uint_eq(rec.nadds, 0);
	ck_assert_uint_eq(events_of(c, "lb-held", "PortInUse"), 1);
	{
		ml_autofree char *ip = ingress_of(c, "lb-held", NULL);

		ck_assert_str_eq(ip, "");
	}

	/* a port another Service's forward holds: the same */
	create_svc(c, "lb-first", "LoadBalancer", port);
	ck_assert(poll_until(t, recorded, &w));
	create_svc(c, "lb-second", "LoadBalancer", port);
	want_line2 = ml_xasprintf(
		"service default/lb-second: port %d is taken on 127.0.0.1 by service default/lb-first",
		port);
	{
		int64_t end = ml_now_ms() + 30000;

		while (ml_now_ms() < end) {
			fflush(out);
			if (strstr(buf, want_line2))
				break;
			ck_assert_int_ge(ml_lb_tunnel_poll(t, 200, -1), 0);
		}
		fflush(out);
		ck_assert_msg(strstr(buf, want_line2), "no line '%s' in '%s'",
			      want_line2, buf);
	}
	ck_assert_uint_eq(rec.nadds, 1);
	ck_assert_uint_eq(events_of(c, "lb-second", "PortInUse"), 1);
	/* once: the status writes that follow do not repeat it */
	for (int i = 0; i < 5; i++)
		ml_lb_tunnel_poll(t, 200, -1);
	fflush(out);
	ck_assert_ptr_eq(strstr(strstr(buf, want_line2) + 1, want_line2), NULL);

	/* the other program lets the port go: forwarded now, said once */
	close(fd);
	{
		struct want held_w = { c, "lb-held", "127.0.0.1", &rec, 2, 0 };
		ml_autofree char *free_line = ml_xasprintf(
			"forwarding 127.0.0.1:%d to service default/lb-held",
			held);

		ck_assert_msg(poll_until(t, has_ip, &held_w),
			      "lb-held never got its port once it was free");
		ck_assert(poll_until(t, recorded, &held_w));
		ck_assert_int_eq(rec.adds[1][0], held);
		fflush(out);
		ck_assert_ptr_nonnull(strstr(buf, free_line));
		ck_assert_uint_eq(events_of(c, "lb-held", "PortInUse"), 1);
	}
	ck_assert_int_eq(ml_lb_tunnel_stop(t, true), 0);
	ck_assert_uint_eq(rec.nremoves, 2);
	ml_lb_tunnel_free(t);
	fclose(out);
	free(buf);
	delete_svc(c, "lb-held");
	delete_svc(c, "lb-first");
	delete_svc(c, "lb-second");
	ml_k8s_free(c);
}
END_TEST

/* The child of the kill -9 case: a tunnel like `minilaunch tunnel`'s,
 * holding the lock, forwarding through the recorder, until killed. */
static void
run_child(const char *lock, const char *state, bool die_after_add)
{
	struct ml_k8s *c = fixture_client("fixture");
	struct rec rec = { .die_after_add = die_after_add };
	struct ml_lb_forwarder fw = { rec_add, rec_remove, &rec };
	struct ml_lb_tunnel *t = NULL;

	if (ml_lb_tunnel_lock(lock, "itest") < 0 ||
	    ml_lb_tunnel_new(c, &fw, state, NULL, &t) < 0)
		_exit(3);
	for (;;)
		ml_lb_tunnel_poll(t, 1000, -1);
}

/* An earlier forward's connections in TIME_WAIT do not make a port taken:
 * a tunnel started again right after one stopped forwards the same port. */
START_TEST(test_lb_tunnel_time_wait_is_free)
{
	struct ml_k8s *c = fixture_client("fixture");
	ml_autofree char *dir = state_dir("tw");
	ml_autofree char *state = ml_xasprintf("%s/tunnel.json", dir);
	struct rec rec = { 0 };
	struct ml_lb_forwarder fw = { rec_add, rec_remove, &rec };
	struct ml_lb_tunnel *t = NULL;
	int port = time_wait_on();
	struct want w = { c, "lb-tw", "127.0.0.1", &rec, 1, 0 };

	ck_assert_msg(ml_lb_tunnel_new(c, &fw, state, NULL, &t) == 0, "%s",
		      ml_err_msg());
	create_svc(c, "lb-tw", "LoadBalancer", port);
	ck_assert_msg(poll_until(t, has_ip, &w),
		      "lb-tw never got the ingress 127.0.0.1");
	ck_assert_uint_eq(rec.nadds, 1);
	ck_assert_int_eq(rec.adds[0][0], port);
	ck_assert_uint_eq(events_of(c, "lb-tw", "PortInUse"), 0);
	delete_svc(c, "lb-tw");
	ck_assert_int_eq(ml_lb_tunnel_stop(t, true), 0);
	ml_lb_tunnel_free(t);
	ml_k8s_free(c);
}
END_TEST

START_TEST(test_lb_tunnel_kill_then_cleanup)
{
	struct ml_k8s *c = fixture_client("fixture");
	ml_autofree char *dir = state_dir("kill");
	ml_autofree char *state = ml_xasprintf("%s/tunnel.json", dir);
	ml_autofree char *lock = ml_xasprintf("%s/tunnel.lock", dir);
	struct rec rec = { 0 };
	struct ml_lb_forwarder fw = { rec_add, rec_remove, &rec };
	int port = free_port(), st, fd;
	struct want w = { c, "lb-kill", "127.0.0.1", &rec, 0, 0 };
	size_t n = 0;
	pid_t pid;

	create_svc(c, "lb-kill", "LoadBalancer", port);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		run_child(lock, state, false);
	ck_assert_msg(poll_until(NULL, has_ip, &w),
		      "the child tunnel never set the status");
	/* a second tunnel of the same profile is refused */
	ck_assert_int_eq(ml_lb_tunnel_lock(lock, "itest"), -EBUSY);
	ck_assert_msg(strstr(ml_err_msg(),
			     "a tunnel already runs for profile 'itest' (pid "),
		      "%s", ml_err_msg());
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st));
	/* what it left: the status and the state file */
	ck_assert(has_ip(&w));
	ck_assert(ml_path_exists(state));
	fd = ml_lb_tunnel_lock(lock, "itest");
	ck_assert_int_ge(fd, 0);
	ck_assert_msg(ml_lb_tunnel_cleanup(c, &fw, state, NULL, &n) == 0, "%s",
		      ml_err_msg());
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(rec.nremoves, 1);
	ck_assert_int_eq(rec.removes[0], port);
	w.ip = "";
	ck_assert(has_ip(&w));
	ck_assert(!ml_path_exists(state));
	/* nothing left: a second cleanup does nothing */
	ck_assert_int_eq(ml_lb_tunnel_cleanup(c, &fw, state, NULL, &n), 0);
	ck_assert_uint_eq(n, 0);
	close(fd);
	delete_svc(c, "lb-kill");

	/* killed at the worst moment: the forward made, nothing after it
	 * done (the double kills its process in add); the state file named
	 * the forward before it was made, so cleanup removes it */
	port = free_port();
	create_svc(c, "lb-kill-fw", "LoadBalancer", port);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		run_child(lock, state, true);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		      "the child tunnel was not killed in its forward (status %d)",
		      st);
	rec.nremoves = 0;
	ck_assert_msg(ml_lb_tunnel_cleanup(c, &fw, state, NULL, &n) == 0, "%s",
		      ml_err_msg());
	ck_assert_uint_ge(n, 1);
	ck_assert_uint_eq(rec.nremoves, 1);
	ck_assert_int_eq(rec.removes[0], port);
	ck_assert(!ml_path_exists(state));
	delete_svc(c, "lb-kill-fw");
	ml_k8s_free(c);
}
END_TEST

static Suite *
lb_tunnel_suite(void)
{
	Suite *s = suite_create("lb_tunnel");
	TCase *tc = tcase_create("controller");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_lb_tunnel_create_delete);
	tcase_add_test(tc, test_lb_tunnel_stop_clears_status);
	tcase_add_test(tc, test_lb_tunnel_port_clash);
	tcase_add_test(tc, test_lb_tunnel_time_wait_is_free);
	tcase_add_test(tc, test_lb_tunnel_kill_then_cleanup);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return fixture_main("test_lb_tunnel", lb_tunnel_suite);
}
