/*
 * kube/exec.c: exec in a container over the API's WebSocket stream.
 */
#include "config.h"

#include "kube/exec.h"

#include "kube/k8s.h"
#include "kube/k8s_ws.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#define CH_STDIN 0
#define CH_STDOUT 1
#define CH_STDERR 2
#define CH_ERROR 3
#define CH_RESIZE 4
#define CH_CLOSE 255 /* v5: the next byte names the channel closed */

static const char *const protocols[] = {
	"v5.channel.k8s.io",
	"v4.channel.k8s.io",
	"channel.k8s.io",
	NULL,
};

/* The handlers' only way out: a signal writes its number here, the loop
 * reads it. Mutable and global because a handler has nothing else. */
static int sig_pipe[2] = { -1, -1 };

static const int session_signals[] = { SIGWINCH, SIGINT, SIGTERM, SIGHUP,
				       SIGQUIT };

static void
on_signal(int sig)
{
	unsigned char b = (unsigned char)sig;
	int saved = errno;

	if (write(sig_pipe[1], &b, 1) < 0) {
		/* full: a signal of the same kind is pending anyway */
	}
	errno = saved;
}

/* Percent-encodes s for a query (RFC 3986 unreserved kept). */
static void
add_query_value(struct ml_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch)) {
			ml_buf_add(b, s, 1);
		} else {
			char e[3] = { '%', hex[ch >> 4], hex[ch & 15] };

			ml_buf_add(b, e, 3);
		}
	}
}

static char *
exec_path(const struct ml_exec_opts *o)
{
	static char *const sh[] = { "sh", NULL };
	char *const *argv = o->argv && o->argv[0] ? o->argv : sh;
	struct ml_buf b = { 0 };
	char *s;

	ml_buf_add(&b, "/api/v1/namespaces/", 19);
	add_query_value(&b, o->ns ? o->ns : "default");
	ml_buf_add(&b, "/pods/", 6);
	add_query_value(&b, o->pod);
	ml_buf_add(&b, "/exec?", 6);
	for (size_t i = 0; argv[i]; i++) {
		ml_buf_add(&b, "command=", 8);
		add_query_value(&b, argv[i]);
		ml_buf_add(&b, "&", 1);
	}
	if (o->container && *o->container) {
		ml_buf_add(&b, "container=", 10);
		add_query_value(&b, o->container);
		ml_buf_add(&b, "&", 1);
	}
	if (o->in)
		ml_buf_add(&b, "stdin=true&", 11);
	if (o->tty)
		ml_buf_add(&b, "tty=true&", 9);
	else
		ml_buf_add(&b, "stderr=true&", 12);
	ml_buf_add(&b, "stdout=true", 11);
	s = ml_xstrdup(b.p);
	ml_buf_release(&b);
	return s;
}

static struct json_object *
jget(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o && json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, key, &v))
		return v;
	return NULL;
}

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

int
ml_exec_read_status(const char *protocol, const char *text, size_t len,
		    int *ret_status)
{
	ml_autofree char *s = ml_xstrndup(text ? text : "", len);
	struct json_object *st, *causes;
	const char *msg;
	int r = -EIO;

	if (len == 0) {
		*ret_status = 0;
		return 0;
	}
	if (!protocol || (strcmp(protocol, "v4.channel.k8s.io") != 0 &&
			  strcmp(protocol, "v5.channel.k8s.io") != 0))
		return ml_err(-EIO, "exec failed: %.*s", (int)strcspn(s, "\n"),
			      s);
	st = json_tokener_parse(s);
	if (!st || !json_object_is_type(st, json_type_object)) {
		json_object_put(st);
		return ml_err(-EIO, "exec failed: %.*s", (int)strcspn(s, "\n"),
			      s);
	}
	msg = jstr(st, "message");
	if (jstr(st, "status") && strcmp(jstr(st, "status"), "Success") == 0) {
		*ret_status = 0;
		r = 0;
	} else if (jstr(st, "reason") &&
		   strcmp(jstr(st, "reason"), "NonZeroExitCode") == 0 &&
		   (causes = jget(jget(st, "details"), "causes")) &&
		   json_object_is_type(causes, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(causes); i++) {
			struct json_object *cause =
				json_object_array_get_idx(causes, i);
			const char *code = jstr(cause, "message");
			char *end;
			long n;

			if (!jstr(cause, "reason") ||
			    strcmp(jstr(cause, "reason"), "ExitCode") != 0 ||
			    !code)
				continue;
			n = strtol(code, &end, 10);
			if (*code && !*end && n >= 0 && n <= 255) {
				*ret_status = (int)n;
				r = 0;
			}
			break;
		}
	}
	if (r < 0)
		r = ml_err(-EIO, "exec failed: %s",
			   msg && *msg ? msg : "the Status names no exit code");
	json_object_put(st);
	return r;
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return ml_err(-errno,
				      "cannot write the command's output: %s",
				      strerror(errno));
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
send_size(struct ml_ws *ws, const struct ml_exec_opts *o)
{
	struct winsize wsz = { 0 };
	char msg[64];
	int n;

	if (ioctl(o->in_fd, TIOCGWINSZ, &wsz) < 0 &&
	    ioctl(o->out_fd, TIOCGWINSZ, &wsz) < 0)
		return 0;
	if (!wsz.ws_col || !wsz.ws_row)
		return 0;
	n = snprintf(msg, sizeof(msg), "{\"Width\":%u,\"Height\":%u}",
		     wsz.ws_col, wsz.ws_row);
	return ml_ws_send_channel(ws, CH_RESIZE, msg, (size_t)n);
}

/* The session's state to undo: the terminal and the signal handlers. */
struct restore {
	bool termios_saved;
	struct termios termios;
	int fd;
	bool handlers;
	struct sigaction old[ML_ARRAY_SIZE(session_signals)];
	struct sigaction old_pipe;
};

static int
take_terminal(const struct ml_exec_opts *o, struct restore *rs)
{
	struct termios raw;
	struct sigaction sa = { 0 };

	if (tcgetattr(o->in_fd, &rs->termios) < 0)
		return ml_err(-ENOTTY,
			      "exec with a terminal needs one on input");
	if (pipe(sig_pipe) < 0)
		return ml_err(-errno, "pipe: %s", strerror(errno));
	for (int i = 0; i < 2; i++) {
		int fl = fcntl(sig_pipe[i], F_GETFL);

		fcntl(sig_pipe[i], F_SETFL, fl | O_NONBLOCK);
		fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
	}
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < ML_ARRAY_SIZE(session_signals); i++)
		sigaction(session_signals[i], &sa, &rs->old[i]);
	rs->handlers = true;
	rs->fd = o->in_fd;
	raw = rs->termios;
	cfmakeraw(&raw);
	if (tcsetattr(o->in_fd, TCSADRAIN, &raw) < 0)
		return ml_err(-errno, "cannot put the terminal in raw mode: %s",
			      strerror(errno));
	rs->termios_saved = true;
	return 0;
}

static void
give_back(struct restore *rs)
{
	if (rs->termios_saved)
		tcsetattr(rs->fd, TCSADRAIN, &rs->termios);
	rs->termios_saved = false;
	if (rs->handlers)
		for (size_t i = 0; i < ML_ARRAY_SIZE(session_signals); i++)
			sigaction(session_signals[i], &rs->old[i], NULL);
	rs->handlers = false;
	for (int i = 0; i < 2; i++)
		if (sig_pipe[i] >= 0) {
			close(sig_pipe[i]);
			sig_pipe[i] = -1;
		}
}

/* Copies what the server sent until it has nothing more now: 0, or
 * -EPIPE once the stream ended, or -errno. */
static int
drain(struct ml_ws *ws, const struct ml_exec_opts *o, struct ml_buf *err)
{
	struct ml_ws_msg m;
	int r;

	while ((r = ml_ws_recv(ws, &m)) > 0) {
		if (m.len < 1 || m.opcode != ML_WS_BINARY)
			continue;
		switch (m.data[0]) {
		case CH_STDOUT:
			r = write_all(o->out_fd, m.data + 1, m.len - 1);
			break;
		case CH_STDERR:
			r = write_all(o->err_fd, m.data + 1, m.len - 1);
			break;
		case CH_ERROR:
			ml_buf_add(err, m.data + 1, m.len - 1);
			r = 0;
			break;
		default:
			r = 0;
			break;
		}
		if (r < 0)
			return r;
	}
	return r;
}

static int
session(struct ml_ws *ws, const struct ml_exec_opts *o, struct ml_buf *err)
{
	bool v5 = strcmp(ml_ws_protocol(ws), "v5.channel.k8s.io") == 0;
	bool in_open = o->in;
	int r;

	if (o->tty) {
		r = send_size(ws, o);
		if (r < 0)
			return r;
	}
	for (;;) {
		struct pollfd pfd[3] = {
			{ .fd = ml_ws_fd(ws), .events = POLLIN },
			{ .fd = in_open ? o->in_fd : -1, .events = POLLIN },
			{ .fd = sig_pipe[0], .events = POLLIN },
		};

		r = drain(ws, o, err);
		if (r < 0)
			return r;
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return ml_err(-errno, "poll: %s", strerror(errno));
		}
		if (pfd[2].revents & POLLIN) {
			unsigned char sigs[16];
			ssize_t n = read(sig_pipe[0], sigs, sizeof(sigs));

			for (ssize_t i = 0; i < n; i++) {
				if (sigs[i] != SIGWINCH)
					return ml_err(
						-EINTR,
						"exec in pod '%s' ended by signal %d",
						o->pod, sigs[i]);
				r = send_size(ws, o);
				if (r < 0)
					return r;
			}
		}
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			uint8_t buf[32768];
			ssize_t n = read(o->in_fd, buf, sizeof(buf));

			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				in_open = false;
				if (v5) {
					uint8_t ch = CH_STDIN;

					r = ml_ws_send_channel(ws, CH_CLOSE,
							       &ch, 1);
				}
			} else {
				r = ml_ws_send_channel(ws, CH_STDIN, buf,
						       (size_t)n);
			}
			/* the server may close while we send: read why */
			if (r < 0 && r != -EPIPE)
				return r;
			ml_err_clear();
		}
	}
}

int
ml_exec_run(struct ml_k8s *c, const struct ml_exec_opts *o, int *ret_status)
{
	ml_autofree char *path = NULL;
	struct ml_ws *ws = NULL;
	struct ml_buf err = { 0 };
	struct restore rs = { 0 };
	struct sigaction ign = { 0 };
	int status = 0;
	int r;

	if (o->tty && !isatty(o->in_fd))
		return ml_err(-ENOTTY,
			      "exec with a terminal needs one on input");
	path = exec_path(o);
	r = ml_ws_connect(c, path, protocols, &ws);
	if (r < 0)
		return r;
	/* A closed output is an error to report, not a reason to die. */
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &rs.old_pipe);
	if (o->tty)
		r = take_terminal(o, &rs);
	if (r >= 0)
		r = session(ws, o, &err);
	give_back(&rs);
	sigaction(SIGPIPE, &rs.old_pipe, NULL);
	if (r == -EPIPE) {
		r = ml_exec_read_status(ml_ws_protocol(ws), err.p, err.len,
					&status);
		if (r >= 0)
			*ret_status = status;
	}
	ml_buf_release(&err);
	ml_ws_free(ws);
	return r;
}

int
ml_exec_tty(struct ml_k8s *c, const char *ns, const char *pod,
	    const char *container, char *const argv[], int *ret_status)
{
	struct ml_exec_opts o = {
		.ns = ns,
		.pod = pod,
		.container = container,
		.argv = argv,
		.in = true,
		.tty = true,
		.in_fd = 0,
		.out_fd = 1,
		.err_fd = 2,
	};

	return ml_exec_run(c, &o, ret_status);
}
