/*
 * test_streams.c: exec and port-forward (kube/exec.h, kube/portforward.h,
 * `minilaunch exec` and `port-forward`) through the fixture's REAL API
 * server, which proxies the upgraded streams to the node of the pod.
 *
 * STAND-IN: the node's kubelet. The fixture has no kubelet and no
 * container runtime (they need a VM), so this program serves the
 * kubelet's streaming endpoints itself: an HTTPS server on 127.0.0.1,
 * registered as a Node (status.addresses InternalIP 127.0.0.1,
 * daemonEndpoints.kubeletEndpoint.Port its port) with a Pod bound to it
 * (spec.nodeName). It speaks the server side of the channel protocols:
 * its "commands" are echo, exit N, cat (stdin back on stdout until the
 * v5 close signal), winsize (prints the first resize message); for
 * port-forward it sends the port prefixes and echoes channel 0. The API
 * server between us and it is the real one; the VM test
 * (tests/e2e/test_streams.sh.part) runs the same against a real kubelet.
 */
#include "config.h"

#include "fixture.h"
#include "kube/exec.h"
#include "kube/k8s.h"
#include "kube/k8s_ws.h"
#include "kube/portforward.h"
#include "base/util.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* --- the stand-in kubelet ------------------------------------------------- */

static SSL_CTX *standin_ctx;
static int standin_fd = -1;
static int standin_port;
/* The protocols the stand-in accepts, in its order of preference: a 1.20
 * kubelet's by default, v5 added by the cases that need it. */
static const char *standin_protos[4] = { "v4.channel.k8s.io", "channel.k8s.io",
					 NULL };
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static char seen_target[4096];	/* the last request line's target */
static char seen_protocol[128]; /* the protocol it chose */
/* made by "winsize" once it has a size, when set */
static char winch_ready[PATH_MAX];

struct sconn {
	SSL *ssl;
	int fd;
	struct ml_ws_decoder dec;
};

static int
s_write(struct sconn *s, const void *p, size_t n)
{
	return SSL_write(s->ssl, p, (int)n) == (int)n ? 0 : -EIO;
}

static int
s_send(struct sconn *s, int opcode, int channel, const void *p, size_t n)
{
	struct ml_buf b = { 0 }, payload = { 0 };
	int r;

	if (channel >= 0) {
		uint8_t ch = (uint8_t)channel;

		ml_buf_add(&payload, &ch, 1);
	}
	ml_buf_add(&payload, p, n);
	ml_ws_encode(&b, opcode, true, NULL, payload.p, payload.len);
	r = s_write(s, b.p, b.len);
	ml_buf_release(&b);
	ml_buf_release(&payload);
	return r;
}

/* The next message from the client: 1, or 0 at its end. */
static int
s_recv(struct sconn *s, struct ml_ws_msg *m)
{
	for (;;) {
		char buf[4096];
		int r = ml_ws_decoder_next(&s->dec, m);

		if (r != 0)
			return r > 0 && m->opcode != ML_WS_CLOSE;
		r = SSL_read(s->ssl, buf, sizeof(buf));
		if (r <= 0)
			return 0;
		ml_ws_decoder_feed(&s->dec, buf, (size_t)r);
	}
}

/* The values of name in the query of target, in order. */
static size_t
query_values(const char *target, const char *name, char out[][256], size_t max)
{
	const char *q = strchr(target, '?');
	size_t n = 0, nl = strlen(name);

	while (q && *q && n < max) {
		q++;
		if (strncmp(q, name, nl) == 0 && q[nl] == '=') {
			const char *v = q + nl + 1;
			size_t k = 0;

			for (; *v && *v != '&' && k < 255; v++) {
				if (*v == '%' && v[1] && v[2]) {
					char hex[3] = { v[1], v[2], 0 };

					out[n][k++] =
						(char)strtol(hex, NULL, 16);
					v += 2;
				} else {
					out[n][k++] = *v == '+' ? ' ' : *v;
				}
			}
			out[n++][k] = '\0';
		}
		q = strchr(q, '&');
	}
	return n;
}

static void
status_exit(struct sconn *s, int code)
{
	char msg[512];

	if (code == 0)
		snprintf(msg, sizeof(msg),
			 "{\"metadata\":{},\"status\":\"Success\"}");
	else
		snprintf(msg, sizeof(msg),
			 "{\"metadata\":{},\"status\":\"Failure\",\"message\":\"command terminated with non-zero exit code\",\"reason\":\"NonZeroExitCode\",\"details\":{\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"%d\"}]}}",
			 code);
	s_send(s, ML_WS_BINARY, 3, msg, strlen(msg));
}

static void
serve_exec(struct sconn *s, const char *target)
{
	char argv[8][256];
	size_t argc = query_values(target, "command", argv, 8);
	struct ml_ws_msg m;

	if (argc == 0)
		return;
	if (strcmp(argv[0], "echo") == 0) {
		char out[2048] = "";

		for (size_t i = 1; i < argc; i++) {
			strcat(out, argv[i]);
			strcat(out, i + 1 < argc ? " " : "\n");
		}
		s_send(s, ML_WS_BINARY, 1, out, strlen(out));
		status_exit(s, 0);
	} else if (strcmp(argv[0], "exit") == 0 && argc > 1) {
		s_send(s, ML_WS_BINARY, 2, "bye\n", 4);
		status_exit(s, atoi(argv[1]));
	} else if (strcmp(argv[0], "cat") == 0) {
		/* ends only when the client's end of input arrives */
		while (s_recv(s, &m) == 1) {
			if (m.len >= 1 && m.data[0] == 0)
				s_send(s, ML_WS_BINARY, 1, m.data + 1,
				       m.len - 1);
			if (m.len == 2 && m.data[0] == 255 && m.data[1] == 0)
				break;
		}
		status_exit(s, 0);
	} else if (strcmp(argv[0], "winsize") == 0) {
		/* prints the first N resize messages (winsize N; default 1) */
		int left = argc > 1 ? atoi(argv[1]) : 1;

		while (left > 0 && s_recv(s, &m) == 1) {
			if (m.len >= 1 && m.data[0] == 4) {
				char out[256];
				struct json_object *o;
				int n = (int)m.len - 1;

				snprintf(out, sizeof(out), "%.*s", n,
					 (const char *)m.data + 1);
				o = json_tokener_parse(out);
				snprintf(out, sizeof(out), "size %dx%d\r\n",
					 json_object_get_int(
						 json_object_object_get(o,
									"Width")),
					 json_object_get_int(
						 json_object_object_get(
							 o, "Height")));
				json_object_put(o);
				s_send(s, ML_WS_BINARY, 1, out, strlen(out));
				left--;
				if (winch_ready[0])
					close(open(winch_ready,
						   O_WRONLY | O_CREAT, 0600));
			}
		}
		status_exit(s, 0);
	}
}

static void
serve_portforward(struct sconn *s, const char *target)
{
	char ports[1][256];
	struct ml_ws_msg m;
	int port;
	uint8_t prefix[2];

	if (query_values(target, "port", ports, 1) != 1)
		return;
	port = atoi(ports[0]);
	prefix[0] = (uint8_t)(port & 0xff);
	prefix[1] = (uint8_t)(port >> 8);
	s_send(s, ML_WS_BINARY, 0, prefix, 2);
	s_send(s, ML_WS_BINARY, 1, prefix, 2);
	while (s_recv(s, &m) == 1)
		if (m.len > 1 && m.data[0] == 0)
			s_send(s, ML_WS_BINARY, 0, m.data + 1, m.len - 1);
}

static void *
standin_conn(void *ud)
{
	struct sconn *s = ud;
	char head[8192];
	size_t n = 0;
	char *key = NULL, *offer = NULL, *end = NULL, target[4096] = "";
	const char *chosen = NULL;

	s->dec.server = true;
	if (SSL_accept(s->ssl) != 1)
		goto out;
	while (!end && n < sizeof(head) - 1) {
		int r = SSL_read(s->ssl, head + n, (int)(sizeof(head) - 1 - n));

		if (r <= 0)
			goto out;
		n += (size_t)r;
		head[n] = '\0';
		end = strstr(head, "\r\n\r\n");
	}
	if (!end || sscanf(head, "GET %4095s", target) != 1)
		goto out;
	for (char *l = strstr(head, "\r\n"); l && l < end;
	     l = strstr(l + 2, "\r\n")) {
		char *v = strchr(l + 2, ':');
		char *e = strstr(l + 2, "\r\n");

		if (!v || !e || v > e)
			continue;
		if (strncasecmp(l + 2, "Sec-WebSocket-Key:", 18) == 0)
			key = ml_xstrndup(v + 2, (size_t)(e - v - 2));
		if (strncasecmp(l + 2, "Sec-WebSocket-Protocol:", 23) == 0)
			offer = ml_xstrndup(v + 2, (size_t)(e - v - 2));
	}
	/* the client's order, as the kubelet's wsstream chooses */
	for (char *tok = offer ? strtok(offer, ", ") : NULL; tok && !chosen;
	     tok = strtok(NULL, ", "))
		for (size_t i = 0; standin_protos[i]; i++)
			if (strcmp(tok, standin_protos[i]) == 0)
				chosen = standin_protos[i];
	pthread_mutex_lock(&seen_lock);
	snprintf(seen_target, sizeof(seen_target), "%s", target);
	snprintf(seen_protocol, sizeof(seen_protocol), "%s",
		 chosen ? chosen : "");
	pthread_mutex_unlock(&seen_lock);
	if (!key || !chosen) {
		const char *no =
			"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

		s_write(s, no, strlen(no));
		goto out;
	}
	{
		char *accept = ml_ws_accept_key(key);
		char *resp = ml_xasprintf(
			"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: %s\r\n\r\n",
			accept, chosen);

		s_write(s, resp, strlen(resp));
		free(accept);
		free(resp);
	}
	/* frames that came with the head */
	if (head + n > end + 4)
		ml_ws_decoder_feed(&s->dec, end + 4,
				   (size_t)(head + n - (end + 4)));
	if (strncmp(target, "/exec/", 6) == 0)
		serve_exec(s, target);
	else if (strncmp(target, "/portForward/", 13) == 0)
		serve_portforward(s, target);
	s_send(s, ML_WS_CLOSE, -1, "\x03\xe8", 2);
	SSL_shutdown(s->ssl);
out:
	free(key);
	free(offer);
	ml_ws_decoder_release(&s->dec);
	SSL_free(s->ssl);
	close(s->fd);
	free(s);
	return NULL;
}

static void *
standin_accept(void *ud)
{
	(void)ud;
	for (;;) {
		int fd = accept(standin_fd, NULL, NULL);
		struct sconn *s;
		pthread_t t;

		if (fd < 0)
			continue;
		s = ml_xcalloc(1, sizeof(*s));
		s->fd = fd;
		s->ssl = SSL_new(standin_ctx);
		SSL_set_fd(s->ssl, fd);
		pthread_create(&t, NULL, standin_conn, s);
		pthread_detach(t);
	}
	return NULL;
}

/* Starts the stand-in with the fixture's serving certificate (its IP SAN
 * is 127.0.0.1; the fixture's API server does not verify kubelets). */
static void
standin_start(void)
{
	char crt[PATH_MAX], key[PATH_MAX];
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	pthread_t t;

	snprintf(crt, sizeof(crt), "%s/pki/apiserver.crt", fixture_dir);
	snprintf(key, sizeof(key), "%s/pki/apiserver.key", fixture_dir);
	/* one for the process (CK_FORK=no runs every case in it) */
	if (!standin_ctx) {
		standin_ctx = SSL_CTX_new(TLS_server_method());
		ck_assert(standin_ctx);
		ck_assert_int_eq(SSL_CTX_use_certificate_chain_file(standin_ctx,
								    crt),
				 1);
		ck_assert_int_eq(SSL_CTX_use_PrivateKey_file(standin_ctx, key,
							     SSL_FILETYPE_PEM),
				 1);
	}
	standin_fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(standin_fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(standin_fd, 16), 0);
	getsockname(standin_fd, (struct sockaddr *)&a, &len);
	standin_port = ntohs(a.sin_port);
	pthread_create(&t, NULL, standin_accept, NULL);
	pthread_detach(t);
}

/* --- the node and the pod ------------------------------------------------- */

static struct ml_k8s *client;
static char pod[64];

static void
setup(void)
{
	static int serial; /* unique names with CK_FORK=no too */
	char node[64];
	ml_autofree char *nbody = NULL, *pbody = NULL;
	int r;

	/* the stand-in writes to connections the API server may have closed */
	signal(SIGPIPE, SIG_IGN);
	standin_start();
	client = fixture_client("fixture");
	serial++;
	snprintf(node, sizeof(node), "standin-%d-%d", (int)getpid(), serial);
	snprintf(pod, sizeof(pod), "shell-%d-%d", (int)getpid(), serial);
	/* Nodes take their status at creation. */
	nbody = ml_xasprintf(
		"{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"%s\"},"
		"\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"127.0.0.1\"}],"
		"\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":%d}}}}",
		node, standin_port);
	r = ml_k8s_create(client, "/api/v1/nodes", nbody, NULL);
	ck_assert_msg(r >= 0, "create node: %s", ml_err_msg());
	pbody = ml_xasprintf(
		"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\"},"
		"\"spec\":{\"nodeName\":\"%s\",\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}",
		pod, node);
	r = ml_k8s_create(client, "/api/v1/namespaces/default/pods", pbody,
			  NULL);
	ck_assert_msg(r >= 0, "create pod: %s", ml_err_msg());
}

static void
teardown(void)
{
	client = ml_k8s_free(client);
}

static void
seen(char *target, size_t n, char *protocol, size_t pn)
{
	pthread_mutex_lock(&seen_lock);
	snprintf(target, n, "%s", seen_target);
	snprintf(protocol, pn, "%s", seen_protocol);
	pthread_mutex_unlock(&seen_lock);
}

/* Reads what a pipe holds once its writer closed. */
static char *
slurp(int fd)
{
	struct ml_buf b = { 0 };
	char buf[4096];
	ssize_t n;
	char *s;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		ml_buf_add(&b, buf, (size_t)n);
	s = ml_xstrdup(b.p ? b.p : "");
	ml_buf_release(&b);
	close(fd);
	return s;
}

/* --- exec ----------------------------------------------------------------- */

START_TEST(test_streams_exec_output_and_status)
{
	char *echo_argv[] = { "echo", "hello", "wide world", NULL };
	char *exit_argv[] = { "exit", "3", NULL };
	char target[4096], proto[128];
	int out[2], err[2], status = -1, r;
	ml_autofree char *o = NULL, *e = NULL;

	ck_assert_int_eq(pipe(out), 0);
	ck_assert_int_eq(pipe(err), 0);
	struct ml_exec_opts opts = { .ns = "default",
				     .pod = pod,
				     .argv = echo_argv,
				     .in_fd = 0,
				     .out_fd = out[1],
				     .err_fd = err[1] };
	r = ml_exec_run(client, &opts, &status);
	ck_assert_msg(r == 0, "exec: %s", ml_err_msg());
	ck_assert_int_eq(status, 0);
	seen(target, sizeof(target), proto, sizeof(proto));
	/* a 1.20 kubelet: v5 offered, v4 chosen */
	ck_assert_str_eq(proto, "v4.channel.k8s.io");
	ck_assert_msg(strstr(target, "/exec/default/") &&
			      strstr(target, "command=wide+world") &&
			      strstr(target, "error=1") &&
			      strstr(target, "output=1") &&
			      !strstr(target, "tty="),
		      "kubelet saw %s", target);

	opts.argv = exit_argv;
	r = ml_exec_run(client, &opts, &status);
	ck_assert_msg(r == 0, "exec: %s", ml_err_msg());
	ck_assert_int_eq(status, 3);
	close(out[1]);
	close(err[1]);
	o = slurp(out[0]);
	e = slurp(err[0]);
	ck_assert_str_eq(o, "hello wide world\n");
	ck_assert_str_eq(e, "bye\n");
}
END_TEST

/* The end of the input reaches the command (v5's close signal): cat
 * ends, and what it read came back. */
START_TEST(test_streams_exec_stdin_eof)
{
	char *cat_argv[] = { "cat", NULL };
	char target[4096], proto[128];
	int in[2], out[2], status = -1, r;
	ml_autofree char *o = NULL;

	standin_protos[0] = "v5.channel.k8s.io";
	standin_protos[1] = "v4.channel.k8s.io";
	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	ck_assert_int_eq(write(in[1], "ping\npong\n", 10), 10);
	close(in[1]);
	struct ml_exec_opts opts = { .pod = pod,
				     .argv = cat_argv,
				     .in = true,
				     .in_fd = in[0],
				     .out_fd = out[1],
				     .err_fd = 2 };
	r = ml_exec_run(client, &opts, &status);
	ck_assert_msg(r == 0, "exec: %s", ml_err_msg());
	ck_assert_int_eq(status, 0);
	seen(target, sizeof(target), proto, sizeof(proto));
	ck_assert_str_eq(proto, "v5.channel.k8s.io");
	ck_assert_msg(strstr(target, "input=1"), "kubelet saw %s", target);
	close(out[1]);
	close(in[0]);
	o = slurp(out[0]);
	ck_assert_str_eq(o, "ping\npong\n");
}
END_TEST

/* Runs sh -c cmd with MINILAUNCH_HOME set; returns its exit status. */
static int
sh(const char *cmd)
{
	char home[PATH_MAX];
	int st;

	snprintf(home, sizeof(home), "%s/home", fixture_dir);
	setenv("MINILAUNCH_HOME", home, 1);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *
ml_bin(void)
{
	const char *m = getenv("MINILAUNCH");

	return m && *m ? m : ML_BUILDDIR "/src/minilaunch";
}

/* The command line: output, and the remote exit status as its own. */
START_TEST(test_streams_exec_cli_status)
{
	ml_autofree char *cmd = NULL, *outf = NULL, *o = NULL;

	outf = ml_xasprintf("%s/exec-cli.out", fixture_dir);
	cmd = ml_xasprintf(
		"'%s' exec --context fixture --kubeconfig '%s' %s -- echo hi > '%s'",
		ml_bin(), fixture_kubeconfig, pod, outf);
	ck_assert_int_eq(sh(cmd), 0);
	ck_assert_int_eq(ml_read_file(outf, &o, NULL), 0);
	ck_assert_str_eq(o, "hi\n");
	free(cmd);
	cmd = ml_xasprintf(
		"'%s' exec --context fixture --kubeconfig '%s' %s -- exit 3 2>/dev/null",
		ml_bin(), fixture_kubeconfig, pod);
	ck_assert_int_eq(sh(cmd), 3);
}
END_TEST

/* Under a pty (script): the size goes to the kubelet as a resize message,
 * and the terminal's settings are the same after as before. */
START_TEST(test_streams_exec_tty_resize)
{
	ml_autofree char *cmd = NULL, *log = NULL, *o = NULL, *before = NULL,
			 *after = NULL, *bf = NULL, *af = NULL;
	char target[4096], proto[128];

	log = ml_xasprintf("%s/tty.out", fixture_dir);
	bf = ml_xasprintf("%s/stty.before", fixture_dir);
	af = ml_xasprintf("%s/stty.after", fixture_dir);
	cmd = ml_xasprintf(
		"script -qec \"stty cols 91 rows 27; stty -g > '%s'; "
		"'%s' exec -i -t --context fixture --kubeconfig '%s' %s -- winsize; "
		"echo rc=\\$?; stty -g > '%s'\" /dev/null < /dev/null > '%s' 2>&1",
		bf, ml_bin(), fixture_kubeconfig, pod, af, log);
	sh(cmd);
	ck_assert_int_eq(ml_read_file(log, &o, NULL), 0);
	ck_assert_msg(strstr(o, "size 91x27"), "output: %s", o);
	ck_assert_msg(strstr(o, "rc=0"), "output: %s", o);
	seen(target, sizeof(target), proto, sizeof(proto));
	ck_assert_msg(strstr(target, "tty=1") && !strstr(target, "error=1"),
		      "kubelet saw %s", target);
	ck_assert_int_eq(ml_read_file(bf, &before, NULL), 0);
	ck_assert_int_eq(ml_read_file(af, &after, NULL), 0);
	ck_assert_str_eq(before, after);
}
END_TEST

/* A window size change (SIGWINCH) mid-session reaches the kubelet: the
 * pty is resized once the stand-in has the first size (its ready file),
 * so that the change comes while the session runs. One dimension only:
 * `stty cols C rows R` sets them one at a time, two SIGWINCHs, and a
 * client that reads the size between the two sends C x the old rows,
 * which the stand-in (reading two sizes) took as the last. */
START_TEST(test_streams_exec_tty_sigwinch)
{
	ml_autofree char *cmd = NULL, *log = NULL, *o = NULL;

	log = ml_xasprintf("%s/winch.out", fixture_dir);
	snprintf(winch_ready, sizeof(winch_ready), "%s/winch.ready",
		 fixture_dir);
	unlink(winch_ready);
	cmd = ml_xasprintf(
		"script -qec \"stty cols 91 rows 27; "
		"(for i in \\$(seq 300); do [ -e '%s' ] && break; sleep 0.1; done; "
		"stty cols 110 < /dev/tty) & "
		"'%s' exec -i -t --context fixture --kubeconfig '%s' %s -- winsize 2; "
		"echo rc=\\$?; wait\" /dev/null < /dev/null > '%s' 2>&1",
		winch_ready, ml_bin(), fixture_kubeconfig, pod, log);
	sh(cmd);
	ck_assert_int_eq(ml_read_file(log, &o, NULL), 0);
	ck_assert_msg(strstr(o, "size 91x27"), "output: %s", o);
	ck_assert_msg(strstr(o, "size 110x27"), "output: %s", o);
	ck_assert_msg(strstr(o, "rc=0"), "output: %s", o);
}
END_TEST

/* SIGTERM in a terminal session: the terminal comes back as it was, and
 * the command says why it ended, exit 1. */
START_TEST(test_streams_exec_tty_signal_restores)
{
	ml_autofree char *cmd = NULL, *log = NULL, *o = NULL, *before = NULL,
			 *after = NULL, *bf = NULL, *af = NULL;

	log = ml_xasprintf("%s/term.out", fixture_dir);
	bf = ml_xasprintf("%s/term.before", fixture_dir);
	af = ml_xasprintf("%s/term.after", fixture_dir);
	cmd = ml_xasprintf(
		"script -qec \"stty cols 91 rows 27; stty -g > '%s'; "
		"'%s' exec -i -t --context fixture --kubeconfig '%s' %s -- winsize 99 < /dev/tty & "
		"p=\\$!; sleep 2; kill -TERM \\$p; wait \\$p; echo rc=\\$?; "
		"stty -g > '%s'\" /dev/null < /dev/null > '%s' 2>&1",
		bf, ml_bin(), fixture_kubeconfig, pod, af, log);
	sh(cmd);
	ck_assert_int_eq(ml_read_file(log, &o, NULL), 0);
	ck_assert_msg(strstr(o, "size 91x27"), "output: %s", o);
	ck_assert_msg(strstr(o, "ended by signal 15"), "output: %s", o);
	ck_assert_msg(strstr(o, "rc=1"), "output: %s", o);
	ck_assert_int_eq(ml_read_file(bf, &before, NULL), 0);
	ck_assert_int_eq(ml_read_file(af, &after, NULL), 0);
	ck_assert_str_eq(before, after);
}
END_TEST

/* A server URL with a path (a proxy's, as https://h/k8s/clusters/x): the
 * upgrade keeps it, as every other call does; the fixture has no such
 * path, so the API server answers 404 where the path were dropped the
 * exec would reach the pod. */
START_TEST(test_streams_exec_server_path_kept)
{
	char *argv[] = { "echo", "hi", NULL };
	struct ml_k8s_config *cfg = NULL;
	struct ml_k8s *c = NULL;
	char *server;
	int status = -1;

	ck_assert_int_eq(ml_k8s_config_load(fixture_kubeconfig, "fixture",
					    &cfg),
			 0);
	server = ml_xasprintf("%s/no/such/prefix", cfg->server);
	free(cfg->server);
	cfg->server = server;
	ck_assert_int_eq(ml_k8s_new(cfg, &c), 0);
	struct ml_exec_opts opts = {
		.pod = pod, .argv = argv, .in_fd = 0, .out_fd = 1, .err_fd = 2
	};
	ck_assert_int_eq(ml_exec_run(c, &opts, &status), -ENOENT);
	ck_assert_msg(strstr(ml_err_msg(), "404"), "message: %s", ml_err_msg());
	ck_assert_int_eq(status, -1);
	ml_k8s_free(c);
	ml_k8s_config_free(cfg);
}
END_TEST

/* -t without -i: no terminal, as kubectl (even on a terminal). */
START_TEST(test_streams_exec_tty_needs_stdin)
{
	ml_autofree char *cmd = NULL;
	char target[4096], proto[128];

	cmd = ml_xasprintf("script -qec \"'%s' exec -t --context fixture "
			   "--kubeconfig '%s' %s -- echo hi\" /dev/null "
			   "< /dev/null > /dev/null 2>&1",
			   ml_bin(), fixture_kubeconfig, pod);
	sh(cmd);
	seen(target, sizeof(target), proto, sizeof(proto));
	ck_assert_msg(strstr(target, "command=echo"), "kubelet saw %s", target);
	ck_assert_msg(!strstr(target, "tty=") && !strstr(target, "input="),
		      "kubelet saw %s", target);
}
END_TEST

/* --- port-forward --------------------------------------------------------- */

static int
connect_port(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void
roundtrip(int fd, const char *msg)
{
	char buf[256];
	size_t n = strlen(msg), got = 0;

	ck_assert_int_eq(write(fd, msg, n), (ssize_t)n);
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);

		ck_assert_msg(r > 0, "connection ended after %zu bytes", got);
		got += (size_t)r;
	}
	ck_assert(memcmp(buf, msg, n) == 0);
}

START_TEST(test_streams_portforward_two_connections)
{
	struct ml_portforward *pf = NULL;
	char target[4096], proto[128];
	int port = 0, a, b, r;

	r = ml_portforward_open(client, "default", pod, 8080, 0, 0, &pf, &port);
	ck_assert_msg(r == 0, "open: %s", ml_err_msg());
	ck_assert_int_gt(port, 0);
	a = connect_port(port);
	b = connect_port(port);
	roundtrip(a, "first from a");
	roundtrip(b, "first from b");
	roundtrip(a, "again from a");
	seen(target, sizeof(target), proto, sizeof(proto));
	ck_assert_msg(strstr(target, "/portForward/default/") &&
			      strstr(target, "port=8080"),
		      "kubelet saw %s", target);
	close(a);
	roundtrip(b, "b after a closed");
	close(b);
	ml_portforward_close(pf);
}
END_TEST

START_TEST(test_streams_portforward_port_taken)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	struct ml_portforward *pf = NULL;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0, got = 0;
	ml_autofree char *want = NULL, *cmd = NULL, *errf = NULL, *e = NULL;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	getsockname(fd, (struct sockaddr *)&a, &len);
	port = ntohs(a.sin_port);
	ck_assert_int_eq(ml_portforward_open(client, "default", pod, 80, port,
					     0, &pf, &got),
			 -EADDRINUSE);
	ck_assert_ptr_null(pf);
	want = ml_xasprintf("local port %d is in use", port);
	ck_assert_msg(strstr(ml_err_msg(), want) && !strchr(ml_err_msg(), '\n'),
		      "message: %s", ml_err_msg());

	/* the command line: exit 1, one line */
	errf = ml_xasprintf("%s/pf.err", fixture_dir);
	cmd = ml_xasprintf(
		"'%s' port-forward --context fixture --kubeconfig '%s' %s %d:80 > /dev/null 2> '%s'",
		ml_bin(), fixture_kubeconfig, pod, port, errf);
	ck_assert_int_eq(sh(cmd), 1);
	ck_assert_int_eq(ml_read_file(errf, &e, NULL), 0);
	ck_assert_msg(strstr(e, want) && strchr(e, '\n') == e + strlen(e) - 1,
		      "stderr: %s", e);
	close(fd);
}
END_TEST

static Suite *
streams_suite(void)
{
	Suite *s = suite_create("streams");
	TCase *tc = tcase_create("streams");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_streams_exec_output_and_status);
	tcase_add_test(tc, test_streams_exec_stdin_eof);
	tcase_add_test(tc, test_streams_exec_cli_status);
	tcase_add_test(tc, test_streams_exec_tty_resize);
	tcase_add_test(tc, test_streams_exec_tty_sigwinch);
	tcase_add_test(tc, test_streams_exec_tty_signal_restores);
	tcase_add_test(tc, test_streams_exec_server_path_kept);
	tcase_add_test(tc, test_streams_exec_tty_needs_stdin);
	tcase_add_test(tc, test_streams_portforward_two_connections);
	tcase_add_test(tc, test_streams_portforward_port_taken);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return fixture_main("test_streams", streams_suite);
}
