/*
 * cmd/service.c: `minilaunch service NAME` and `service list`: a service's
 * URLs on this host (docs/service.md).
 *
 * NodePort and LoadBalancer: each NodePort is forwarded to a free port on
 * 127.0.0.1 through the QEMU monitor, once per boot (the host port is
 * kept in the profile's state). ClusterIP: an ssh local forward into the
 * node (ssh -L 127.0.0.1:LOCAL:CLUSTER_IP:PORT; the node's kube-proxy
 * rules make a cluster IP reachable from the node itself), held in the
 * foreground as minikube's service does on its docker driver.
 *
 * A URL is printed only once it answers: the service has a ready endpoint,
 * and a connect is accepted and a byte comes back to an HTTP HEAD (or it
 * stays silent 10 s after the endpoints became ready: a server that waits
 * for its client), retried until --wait-timeout, else the reason (no ready
 * endpoints and what the pods do, or the NodePort not answering).
 */
#include "config.h"

#include "cmd/command.h"
#include "kube/cluster.h"
#include "kube/k8s.h"
#include "machine/driver.h"
#include "machine/node.h"
#include "machine/ssh.h"
#include "base/profile.h"
#include "base/util.h"

#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
	OPT_NAMESPACE,
	OPT_URL,
	OPT_WAIT_TIMEOUT,
	OPT_ALL_NAMESPACES,
	OPT_OUTPUT,
};

static const char *const output_words[] = { "text", "json", NULL };

static const struct ml_option service_options[] = {
	[OPT_NAMESPACE] = { "namespace", 'n', "NS",
			    "the service's namespace (default 'default'; list: all)",
			    NULL },
	[OPT_URL] = { "url", 0, NULL, "print only the URLs, one per line",
		      NULL },
	[OPT_WAIT_TIMEOUT] = { "wait-timeout", 0, "SECONDS",
			       "wait at most this long for the URL to answer (default 120, 360 under TCG)",
			       NULL },
	[OPT_ALL_NAMESPACES] = { "all-namespaces", 'A', NULL,
				 "list: the services of every namespace (the default)",
				 NULL },
	[OPT_OUTPUT] = { "output", 'o', "FORMAT", "list: text or json",
			 output_words },
	{ NULL, 0, NULL, NULL, NULL },
};

static const char *const service_words[] = { "list", NULL };

extern const struct ml_command ml_cmd_service;

static bool
is_list(const struct ml_args *a)
{
	return a->argc >= 1 && strcmp(a->argv[0], "list") == 0;
}

static int
check_args(const struct ml_args *a)
{
	const char *o = a->opt[OPT_OUTPUT];

	if (a->argc != 1)
		return ml_command_usage_error(&ml_cmd_service,
					      "give one service name, or 'list'");
	if (is_list(a)) {
		if (a->opt[OPT_URL] || a->opt[OPT_WAIT_TIMEOUT])
			return ml_command_usage_error(
				&ml_cmd_service,
				"--url and --wait-timeout are for 'service NAME', not 'list'");
		if (a->opt[OPT_NAMESPACE] && a->opt[OPT_ALL_NAMESPACES])
			return ml_command_usage_error(&ml_cmd_service,
						      "give -n NS or -A, not both");
		if (o && strcmp(o, "text") != 0 && strcmp(o, "json") != 0)
			return ml_command_usage_error(
				&ml_cmd_service,
				"invalid --output '%s': give text or json", o);
		return 0;
	}
	if (a->opt[OPT_ALL_NAMESPACES] || o)
		return ml_command_usage_error(&ml_cmd_service,
					      "-A and -o are for 'service list'");
	if (a->opt[OPT_WAIT_TIMEOUT]) {
		char *end;
		long v = strtol(a->opt[OPT_WAIT_TIMEOUT], &end, 10);

		if (!*a->opt[OPT_WAIT_TIMEOUT] || *end || v < 0 || v > 86400)
			return ml_command_usage_error(
				&ml_cmd_service,
				"invalid --wait-timeout '%s': give whole seconds, 0 to 86400",
				a->opt[OPT_WAIT_TIMEOUT]);
	}
	return 0;
}

/* What the subcommands share: the profile (locked while forwards are
 * made), its client, and the driver, opened when a forward is needed. */
struct ctx {
	const struct ml_globals *g;
	struct ml_profile *p;
	struct ml_k8s *c;
	struct ml_driver *d;
};

static int
ctx_open(struct ctx *x, const struct ml_globals *g)
{
	int aport, r;

	*x = (struct ctx){ .g = g };
	r = ml_profile_open(g->home, g->profile, ML_PROFILE_LOCK, &x->p);
	if (r < 0)
		return r;
	aport = ml_profile_state_port(x->p, "apiserver");
	if (!aport)
		return ml_err(
			-EHOSTDOWN,
			"profile '%s' has no API server port in its state: run 'minilaunch -p %s start' to repair it",
			g->profile, g->profile);
	return ml_cluster_client(g->home, g->profile, aport, 30000, &x->c);
}

/* Saves the profile and releases its lock, before a long wait. */
static int
ctx_release_profile(struct ctx *x)
{
	int r = x->p ? ml_profile_save(x->p) : 0;

	x->p = ml_profile_free(x->p);
	return r;
}

static void
ctx_close(struct ctx *x)
{
	ml_k8s_free(x->c);
	ml_driver_close(x->d);
	ml_profile_free(x->p);
}

/* The host port forwarded to nodeport: the one of this boot when it still
 * answers, else a new forward to a free port. */
static int
ensure_forward(struct ctx *x, int nodeport, int *ret_host)
{
	ml_autofree char *key = ml_xasprintf("nodeport-%d", nodeport);
	int host = ml_profile_state_port(x->p, key), r;

	if (host && ml_tcp_port_open(host)) {
		*ret_host = host;
		return 0;
	}
	if (!x->d) {
		r = ml_driver_open(ml_profile_get_or_default(x->p,
							     "driver-uri"),
				   x->g->home, &x->d);
		if (r < 0)
			return r;
	}
	r = ml_node_pick_port(0, NULL, 0, &host);
	if (r >= 0)
		r = ml_driver_forward(x->d, x->g->profile, host, nodeport);
	if (r < 0)
		return r;
	ml_profile_state_set_port(x->p, key, host);
	*ret_host = host;
	return 0;
}

/* --- whether a URL answers --- */

enum answer { ANSWER_NO, ANSWER_SILENT, ANSWER_YES };

/*
 * Whether 127.0.0.1:port answers: ANSWER_YES when the connection is accepted
 * and a byte comes back to an HTTP HEAD within window_ms; ANSWER_SILENT when
 * it is accepted and nothing comes back (a protocol where the client speaks
 * and the server waits, or kube-proxy's placeholder socket on a NodePort
 * whose rules are not written yet); ANSWER_NO when it is refused, reset or
 * closed (what QEMU's forward does while nothing in the guest listens).
 */
static enum answer
answers(int port, int window_ms)
{
	static const char req[] =
		"HEAD / HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: minilaunch\r\n\r\n";
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct pollfd pfd;
	char b;
	enum answer ok = ANSWER_NO;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), n;

	if (fd < 0)
		return ANSWER_NO;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		goto out;
	if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) < 0)
		goto out;
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	n = poll(&pfd, 1, window_ms);
	if (n == 0)
		ok = ANSWER_SILENT;
	else if (n > 0 && recv(fd, &b, 1, 0) == 1)
		ok = ANSWER_YES;
out:
	close(fd);
	return ok;
}

/* The ready addresses in the Endpoints of ns/name; 0 when there are none
 * or they cannot be read. */
static size_t
ready_endpoints(struct ml_k8s *c, const char *ns, const char *name)
{
	ml_autofree char *path =
		ml_xasprintf("/api/v1/namespaces/%s/endpoints/%s", ns, name);
	struct json_object *ep = NULL, *subsets, *ad;
	size_t ready = 0;

	if (ml_k8s_get(c, path, &ep) >= 0) {
		size_t n = ml_json_array(ep, "subsets", &subsets);

		for (size_t i = 0; i < n; i++)
			ready += ml_json_array(
				json_object_array_get_idx(subsets, i),
				"addresses", &ad);
	}
	ml_err_clear();
	json_object_put(ep);
	return ready;
}

/* Why ns/name does not answer: its endpoints and pods, in one clause. */
static char *
why_not(struct ml_k8s *c, const char *ns, const char *name,
	struct json_object *svc, int nodeport)
{
	struct json_object *sel, *pods = NULL, *items;
	struct ml_buf b = { 0 };
	size_t ready = ready_endpoints(c, ns, name), npods;
	char *s;

	if (ready) {
		if (nodeport)
			return ml_xasprintf(
				"it has %zu ready endpoint(s) but NodePort %d does not answer: check the service's targetPort against the pods' ports",
				ready, nodeport);
		return ml_xasprintf(
			"it has %zu ready endpoint(s) but does not answer: check the service's targetPort against the pods' ports",
			ready);
	}
	sel = ml_json_get(svc, "spec.selector");
	if (!sel || !json_object_is_type(sel, json_type_object) ||
	    json_object_object_length(sel) == 0)
		return ml_xstrdup(
			"it has no ready endpoints and no selector: its Endpoints are managed by hand");
	{
		ml_autofree char *q = NULL;
		struct ml_buf qb = { 0 };

		json_object_object_foreach(sel, k, v)
		{
			ml_autofree char *kv =
				ml_xasprintf("%s%s%%3D%s", qb.len ? "%2C" : "",
					     k, json_object_get_string(v));

			ml_buf_add(&qb, kv, strlen(kv));
		}
		q = ml_xasprintf("/api/v1/namespaces/%s/pods?labelSelector=%s",
				 ns, qb.p);
		ml_buf_release(&qb);
		if (ml_k8s_get(c, q, &pods) < 0)
			ml_err_clear();
	}
	npods = ml_json_array(pods, "items", &items);
	if (npods == 0) {
		json_object_put(pods);
		return ml_xstrdup(
			"it has no ready endpoints: no pod matches its selector");
	}
	for (size_t i = 0; i < npods && i < 5; i++) {
		struct json_object *pod = json_object_array_get_idx(items, i);
		struct json_object *cs;
		size_t ncs = ml_json_array(pod, "status.containerStatuses", &cs);
		const char *why = NULL;
		ml_autofree char *one = NULL;

		for (size_t j = 0; j < ncs && !why; j++)
			why = ml_json_str(json_object_array_get_idx(cs, j),
					  "state.waiting.reason");
		one = ml_xasprintf("%s%s %s%s%s%s", i ? ", " : "",
				   ml_json_str(pod, "metadata.name"),
				   ml_json_str(pod, "status.phase")
					   ? ml_json_str(pod, "status.phase")
					   : "Unknown",
				   why ? " (" : "", why ? why : "",
				   why ? ")" : "");
		ml_buf_add(&b, one, strlen(one));
	}
	s = ml_xasprintf("it has no ready endpoints; its pods: %s", b.p);
	ml_buf_release(&b);
	json_object_put(pods);
	return s;
}

/* How long a service with ready endpoints may stay silent before its
 * silence counts as a server that waits for its client: kube-proxy writes a
 * NodePort's rules after the endpoints are ready (seconds under TCG), and
 * until then its placeholder socket takes connections and says nothing. */
#define SILENT_AFTER_READY_MS 10000

/*
 * Waits until each of the n ports answers, at most timeout_s; a progress
 * line on a terminal. A port answers once the service has a ready endpoint
 * and a byte comes back to a HEAD, or the connection stays silent
 * SILENT_AFTER_READY_MS after the endpoint was first seen ready. child
 * (> 0): an ssh whose early exit is a failure. -ETIMEDOUT with the reason
 * when one does not.
 */
static int
wait_answer(struct ctx *x, const char *ns, const char *name,
	    struct json_object *svc, const int *hosts, const int *nodeports,
	    size_t n, long timeout_s, pid_t child)
{
	int64_t start = ml_now_ms(), last = 0, ready_since = 0;
	bool tty = isatty(2), shown = false;
	size_t done = 0;
	int st;

	while (done < n) {
		int64_t now = ml_now_ms();
		enum answer ans = ANSWER_NO;

		if (child > 0 && waitpid(child, &st, WNOHANG) == child)
			return ml_err(
				-EIO,
				"ssh forwarding to service '%s' exited (status %d): see its message above",
				name, WIFEXITED(st) ? WEXITSTATUS(st) : 255);
		if (!ready_since && ready_endpoints(x->c, ns, name))
			ready_since = now;
		if (ready_since)
			ans = answers(hosts[done], 1500);
		if (ans == ANSWER_YES ||
		    (ans == ANSWER_SILENT &&
		     ml_now_ms() - ready_since >= SILENT_AFTER_READY_MS)) {
			done++;
			continue;
		}
		if (now - start >= timeout_s * 1000) {
			ml_autofree char *why =
				why_not(x->c, ns, name, svc, nodeports[done]);

			if (shown)
				fputs("\r\033[K", stderr);
			return ml_err(
				-ETIMEDOUT,
				"service '%s' did not answer on http://127.0.0.1:%d within %ld s: %s",
				name, hosts[done], timeout_s, why);
		}
		if (tty && now - last >= 500) {
			fprintf(stderr,
				"\r\033[Kwaiting for service '%s' to answer on http://127.0.0.1:%d (%lds of %lds)",
				name, hosts[done], (long)((now - start) / 1000),
				timeout_s);
			last = now;
			shown = true;
		}
		usleep(250 * 1000);
	}
	if (shown)
		fputs("\r\033[K", stderr);
	return 0;
}

static long
wait_timeout(const struct ml_args *a, struct ml_profile *p)
{
	const char *accel = ml_profile_state_str(p, "accel");

	if (a->opt[OPT_WAIT_TIMEOUT])
		return strtol(a->opt[OPT_WAIT_TIMEOUT], NULL, 10);
	/* every step of a TCG guest is several times slower */
	return accel && strcmp(accel, "tcg") == 0 ? 360 : 120;
}

/* --- service NAME of type ClusterIP: ssh -L, in the foreground --- */

static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	got_signal = sig;
}

static int
run_cluster_ip(struct ctx *x, const struct ml_args *a, const char *ns,
	       struct json_object *svc)
{
	const char *name = a->argv[0];
	const char *cip = ml_json_str(svc, "spec.clusterIP");
	struct json_object *ports;
	size_t nports = ml_json_array(svc, "spec.ports", &ports);
	int sport = ml_profile_state_port(x->p, "ssh");
	long timeout = wait_timeout(a, x->p);
	struct sigaction sa = { .sa_handler = on_signal };
	struct ml_ssh_args s;
	char *fwds[16];
	int hosts[16], zero[16] = { 0 }, r;
	size_t n = 0;
	bool reaped = false;
	pid_t pid;

	if (!cip || !*cip || strcmp(cip, "None") == 0)
		return ml_err(
			-ENOENT,
			"service '%s' is headless (no cluster IP): reach its pods by name inside the cluster",
			name);
	if (!sport)
		return ml_err(
			-EHOSTDOWN,
			"profile '%s' has no ssh port in its state: run 'minilaunch -p %s start' to repair it",
			x->g->profile, x->g->profile);
	r = ml_ssh_args_init(&s, x->g->home, x->g->profile, sport);
	if (r < 0)
		return r;
	ml_ssh_args_add(&s, "-N");
	ml_ssh_args_add(&s, "-o");
	ml_ssh_args_add(&s, "ExitOnForwardFailure=yes");
	for (size_t i = 0; i < nports && n < 16; i++) {
		struct json_object *pt = json_object_array_get_idx(ports, i);
		const char *proto = ml_json_str(pt, "protocol");
		int port = json_object_get_int(ml_json_get(pt, "port"));

		if ((proto && strcmp(proto, "TCP") != 0) || port < 1 ||
		    port > 65535)
			continue;
		r = ml_node_pick_port(0, hosts, (int)n, &hosts[n]);
		if (r < 0)
			break;
		fwds[n] =
			ml_xasprintf("127.0.0.1:%d:%s:%d", hosts[n], cip, port);
		ml_ssh_args_add(&s, "-L");
		ml_ssh_args_add(&s, fwds[n]);
		n++;
	}
	ml_ssh_args_add(&s, "docker@127.0.0.1");
	if (r >= 0 && n == 0)
		r = ml_err(-ENOENT, "service '%s' has no TCP port", name);
	if (r < 0)
		goto out;
	r = ctx_release_profile(x);
	if (r < 0)
		goto out;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pid = fork();
	if (pid < 0) {
		r = ml_err(-errno, "cannot start ssh: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execvp("ssh", (char *const *)s.argv);
		fprintf(stderr, "minilaunch: error: cannot run ssh: %s\n",
			strerror(errno));
		_exit(127);
	}
	r = wait_answer(x, ns, name, svc, hosts, zero, n, timeout, pid);
	if (r >= 0) {
		for (size_t i = 0; i < n; i++)
			if (a->opt[OPT_URL])
				printf("http://127.0.0.1:%d\n", hosts[i]);
			else
				printf("%s\t%s\t%s\thttp://127.0.0.1:%d\n", ns,
				       name, strchr(fwds[i] + 10, ':') + 1,
				       hosts[i]);
		fflush(stdout);
		fprintf(stderr,
			"service '%s' is of type ClusterIP: reached through an ssh forward into the node (ssh -L); keep this running, Ctrl-C to stop\n",
			name);
		/* until Ctrl-C, or ssh ends (killed, or the node gone) */
		while (!got_signal && !reaped) {
			reaped = waitpid(pid, NULL, WNOHANG) == pid;
			if (!reaped)
				usleep(200 * 1000);
		}
		if (!got_signal)
			r = ml_err(-EIO,
				   "the ssh forward to service '%s' ended",
				   name);
	} else {
		/* -1 (ECHILD): wait_answer reaped an ssh that exited early */
		reaped = waitpid(pid, NULL, WNOHANG) != 0;
	}
	if (!reaped) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
out:
	for (size_t i = 0; i < n; i++)
		free(fwds[i]);
	ml_ssh_args_clear(&s);
	return r;
}

/* --- service NAME --- */

static int
run_one(struct ctx *x, const struct ml_args *a)
{
	const char *ns = a->opt[OPT_NAMESPACE] ? a->opt[OPT_NAMESPACE]
					       : "default";
	const char *name = a->argv[0];
	ml_autofree char *path =
		ml_xasprintf("/api/v1/namespaces/%s/services/%s", ns, name);
	struct json_object *svc = NULL;
	ml_autofree int *ports = NULL;
	ml_autofree int *hosts = NULL;
	size_t nports = 0;
	long timeout;
	int r;

	r = ml_k8s_get(x->c, path, &svc);
	if (r == -ENOENT)
		r = ml_err(-ENOENT,
			   "service '%s' not found in namespace '%s': check 'minilaunch kubectl -- get svc -n %s'",
			   name, ns, ns);
	if (r < 0)
		return r;
	r = ml_cluster_read_node_ports(name, svc, &ports, &nports);
	if (r < 0)
		goto out;
	if (nports == 0) {
		r = run_cluster_ip(x, a, ns, svc);
		goto out;
	}
	timeout = wait_timeout(a, x->p);
	hosts = ml_xcalloc(nports, sizeof(*hosts));
	for (size_t i = 0; r >= 0 && i < nports; i++)
		r = ensure_forward(x, ports[i], &hosts[i]);
	if (r >= 0)
		r = ctx_release_profile(x);
	if (r >= 0)
		r = wait_answer(x, ns, name, svc, hosts, ports, nports, timeout,
				0);
	for (size_t i = 0; r >= 0 && i < nports; i++)
		if (a->opt[OPT_URL])
			printf("http://127.0.0.1:%d\n", hosts[i]);
		else
			printf("%s\t%s\t%d\thttp://127.0.0.1:%d\n", ns, name,
			       ports[i], hosts[i]);
out:
	json_object_put(svc);
	return r;
}

/* --- service list --- */

static bool
tunnel_ingress(struct json_object *svc)
{
	struct json_object *in =
		ml_json_get(svc, "status.loadBalancer.ingress");
	const char *ip;

	if (!in || !json_object_is_type(in, json_type_array) ||
	    json_object_array_length(in) < 1)
		return false;
	ip = ml_json_str(json_object_array_get_idx(in, 0), "ip");
	return ip && strcmp(ip, "127.0.0.1") == 0;
}

static char *
target_of(struct json_object *pt)
{
	const char *pname = ml_json_str(pt, "name");
	int port = json_object_get_int(ml_json_get(pt, "port"));

	return pname && *pname ? ml_xasprintf("%s/%d", pname, port)
			       : ml_xasprintf("%d", port);
}

static int
run_list(struct ctx *x, const struct ml_args *a)
{
	const char *ns = a->opt[OPT_ALL_NAMESPACES] ? NULL
						    : a->opt[OPT_NAMESPACE];
	bool json = a->opt[OPT_OUTPUT] &&
		    strcmp(a->opt[OPT_OUTPUT], "json") == 0;
	ml_autofree char *path =
		ns ? ml_xasprintf("/api/v1/namespaces/%s/services", ns)
		   : ml_xstrdup("/api/v1/services");
	struct json_object *list = NULL, *items, *out = json_object_new_array();
	size_t nsvc;
	int r;

	r = ml_k8s_list(x->c, path, false, 0, NULL, &list);
	if (r < 0)
		goto done;
	nsvc = ml_json_array(list, "items", &items);
	for (size_t i = 0; i < nsvc && r >= 0; i++) {
		struct json_object *svc = json_object_array_get_idx(items, i);
		struct json_object *ports;
		size_t nports = ml_json_array(svc, "spec.ports", &ports);
		struct json_object *row = json_object_new_object();
		struct json_object *urls = json_object_new_array();
		struct json_object *targets = json_object_new_array();
		bool lb = tunnel_ingress(svc);

		for (size_t j = 0; j < nports; j++) {
			struct json_object *pt =
				json_object_array_get_idx(ports, j);
			struct json_object *np = ml_json_get(pt, "nodePort");
			int host = 0;

			ml_autofree char *tp = target_of(pt);

			json_object_array_add(targets,
					      json_object_new_string(tp));
			if (lb)
				host = json_object_get_int(
					ml_json_get(pt, "port"));
			else if (np && json_object_get_int(np) > 0)
				r = ensure_forward(x, json_object_get_int(np),
						   &host);
			if (r < 0)
				break;
			if (host) {
				ml_autofree char *u =
					ml_xasprintf("http://127.0.0.1:%d",
						     host);

				json_object_array_add(urls,
						      json_object_new_string(
							      u));
			}
		}
		json_object_object_add(row, "namespace",
				       json_object_new_string(
					       ml_json_str(svc,
							   "metadata.namespace")));
		json_object_object_add(row, "name",
				       json_object_new_string(
					       ml_json_str(svc,
							   "metadata.name")));
		json_object_object_add(row, "type",
				       json_object_new_string(
					       ml_json_str(svc, "spec.type")
						       ? ml_json_str(svc,
								     "spec.type")
						       : "ClusterIP"));
		json_object_object_add(row, "targetPorts", targets);
		json_object_object_add(row, "urls", urls);
		json_object_array_add(out, row);
	}
	if (r < 0)
		goto done;
	if (json) {
		printf("%s\n",
		       json_object_to_json_string_ext(
			       out, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
		goto done;
	}
	printf("%-20s %-30s %-16s %s\n", "NAMESPACE", "NAME", "TARGET PORT",
	       "URL");
	for (size_t i = 0; i < json_object_array_length(out); i++) {
		struct json_object *row = json_object_array_get_idx(out, i);
		struct json_object *t = ml_json_get(row, "targetPorts");
		struct json_object *u = ml_json_get(row, "urls");
		size_t nt = json_object_array_length(t);
		size_t nu = json_object_array_length(u);

		for (size_t j = 0; j < (nt ? nt : 1); j++)
			printf("%-20s %-30s %-16s %s\n",
			       j ? "" : ml_json_str(row, "namespace"),
			       j ? "" : ml_json_str(row, "name"),
			       nt ? json_object_get_string(
					    json_object_array_get_idx(t, j))
				  : "No node port",
			       j < nu ? json_object_get_string(
						json_object_array_get_idx(u, j))
				      : "No node port");
	}
done:
	json_object_put(out);
	json_object_put(list);
	if (r >= 0)
		r = ctx_release_profile(x);
	return r;
}

static int
run_service(const struct ml_globals *g, const struct ml_args *a)
{
	struct ctx x;
	int r = ctx_open(&x, g);

	if (r >= 0)
		r = is_list(a) ? run_list(&x, a) : run_one(&x, a);
	ctx_close(&x);
	return r < 0 ? r : 0;
}

const struct ml_command ml_cmd_service = {
	.name = "service",
	.flags = ML_CMD_NEEDS_RUNNING,
	.check_args = check_args,
	.summary = "Print a service's URLs on this host, once they answer",
	.usage =
		"service NAME [-n NAMESPACE] [--url] [--wait-timeout SECONDS]\n"
		"service list [-n NAMESPACE | -A] [-o text|json]",
	.description =
		"Looks the service up through the API and makes it reachable on\n"
		"127.0.0.1. NodePort and LoadBalancer: each NodePort is forwarded to a\n"
		"free port on 127.0.0.1 through the QEMU monitor (the forward lasts\n"
		"until the VM stops). ClusterIP: an ssh local forward into the node\n"
		"(ssh -L 127.0.0.1:LOCAL:CLUSTER_IP:PORT), held in the foreground until\n"
		"Ctrl-C. The URLs are printed once they answer (a connection accepted\n"
		"and not reset), waiting at most --wait-timeout seconds, else saying\n"
		"why: no ready endpoints and what the pods do, or the NodePort not\n"
		"answering. 'service list' prints every service's URLs (a LoadBalancer\n"
		"that 'minilaunch tunnel' serves: its 127.0.0.1:PORT).",
	.options = service_options,
	.words = service_words,
	.run = run_service,
};
