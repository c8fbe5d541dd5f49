/*
 * kube/portforward.c: a listener on 127.0.0.1 whose connections go to a
 * pod's port, one WebSocket each, run by one thread.
 */
#include "config.h"

#include "kube/portforward.h"

#include "kube/k8s.h"
#include "kube/k8s_ws.h"
#include "base/log.h"
#include "base/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CH_DATA 0
#define CH_ERROR 1

static const char *const protocols[] = {
	"v4.channel.k8s.io",
	NULL,
};

struct conn {
	struct conn *next;
	int fd;
	struct ml_ws *ws;
	int prefix_left[2]; /* bytes of the port prefix still to drop */
	struct ml_buf err;  /* what channel 1 said */
	bool done;
};

struct ml_portforward {
	struct ml_k8s *c;
	char *path;
	char *pod;
	int remote_port, local_port;
	unsigned flags;
	int listen_fd;
	int stop[2];
	pthread_t thread;
	bool started;
	struct conn *conns;
};

static void
conn_free(struct conn *k)
{
	if (k->ws)
		ml_ws_close(k->ws);
	ml_ws_free(k->ws);
	if (k->fd >= 0)
		close(k->fd);
	ml_buf_release(&k->err);
	free(k);
}

static void
warn_conn(struct ml_portforward *pf, const char *what)
{
	if (pf->flags & ML_PORTFORWARD_LOG)
		ml_log_warn("port-forward 127.0.0.1:%d -> %s:%d: %s",
			    pf->local_port, pf->pod, pf->remote_port, what);
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Copies what the WebSocket holds to the local socket; marks k done at
 * the end of either. */
static void
pump_remote(struct ml_portforward *pf, struct conn *k)
{
	struct ml_ws_msg m;
	int r;

	while ((r = ml_ws_recv(k->ws, &m)) > 0) {
		const uint8_t *p;
		size_t n, skip;
		int ch;

		if (m.len < 1 || m.opcode != ML_WS_BINARY)
			continue;
		ch = m.data[0];
		if (ch != CH_DATA && ch != CH_ERROR)
			continue;
		p = m.data + 1;
		n = m.len - 1;
		skip = n < (size_t)k->prefix_left[ch]
			       ? n
			       : (size_t)k->prefix_left[ch];
		k->prefix_left[ch] -= (int)skip;
		p += skip;
		n -= skip;
		if (n == 0)
			continue;
		if (ch == CH_ERROR) {
			ml_buf_add(&k->err, p, n);
			continue;
		}
		if (write_all(k->fd, p, n) < 0) {
			k->done = true;
			return;
		}
	}
	if (r < 0) {
		if (k->err.len)
			warn_conn(pf, k->err.p);
		else if (r != -EPIPE)
			warn_conn(pf, ml_err_msg() ? ml_err_msg() : "lost");
		ml_err_clear();
		k->done = true;
	} else if (k->err.len) {
		/* the kubelet's error ends the connection, as kubectl does */
		warn_conn(pf, k->err.p);
		k->done = true;
	}
}

static void
pump_local(struct conn *k)
{
	uint8_t buf[32768];
	ssize_t n = recv(k->fd, buf, sizeof(buf), 0);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0 || ml_ws_send_channel(k->ws, CH_DATA, buf, (size_t)n) < 0) {
		/* the protocol has no half close: the connection is over */
		ml_err_clear();
		k->done = true;
	}
}

static void
accept_one(struct ml_portforward *pf)
{
	int fd = accept4(pf->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	struct conn *k;
	int r;

	if (fd < 0)
		return;
	k = ml_xcalloc(1, sizeof(*k));
	k->fd = fd;
	k->prefix_left[0] = k->prefix_left[1] = 2;
	r = ml_ws_connect(pf->c, pf->path, protocols, &k->ws);
	if (r < 0) {
		warn_conn(pf, ml_err_msg() ? ml_err_msg() : strerror(-r));
		ml_err_clear();
		conn_free(k);
		return;
	}
	k->next = pf->conns;
	pf->conns = k;
}

static void *
run(void *ud)
{
	struct ml_portforward *pf = ud;

	for (;;) {
		size_t n = 0, nconn = 0;
		struct pollfd *pfd;
		struct conn **pp;

		for (struct conn *k = pf->conns; k; k = k->next)
			nconn++;
		pfd = ml_xcalloc(2 + 2 * nconn, sizeof(*pfd));
		pfd[n++] =
			(struct pollfd){ .fd = pf->stop[0], .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = pf->listen_fd,
					    .events = POLLIN };
		for (struct conn *k = pf->conns; k; k = k->next) {
			pfd[n++] = (struct pollfd){ .fd = k->fd,
						    .events = POLLIN };
			pfd[n++] = (struct pollfd){ .fd = ml_ws_fd(k->ws),
						    .events = POLLIN };
		}
		if (poll(pfd, (nfds_t)n, -1) < 0 && errno != EINTR) {
			free(pfd);
			break;
		}
		if (pfd[0].revents) {
			free(pfd);
			break;
		}
		n = 2;
		for (struct conn *k = pf->conns; k; k = k->next, n += 2) {
			if (pfd[n].revents)
				pump_local(k);
			if (!k->done)
				pump_remote(pf, k);
		}
		if (pfd[1].revents & POLLIN)
			accept_one(pf);
		free(pfd);
		for (pp = &pf->conns; *pp;) {
			struct conn *k = *pp;

			if (k->done) {
				*pp = k->next;
				conn_free(k);
			} else {
				pp = &k->next;
			}
		}
	}
	while (pf->conns) {
		struct conn *k = pf->conns;

		pf->conns = k->next;
		conn_free(k);
	}
	return NULL;
}

static int
listen_loopback(int port, int remote_port, int *ret_fd, int *ret_port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return ml_err(-errno, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;

		close(fd);
		if (e == EADDRINUSE)
			return ml_err(
				-EADDRINUSE,
				"local port %d is in use: pick another one, as in %d:%d, or free it",
				port, port == 65535 ? port - 1 : port + 1,
				remote_port);
		return ml_err(-e, "cannot listen on 127.0.0.1:%d: %s", port,
			      strerror(e));
	}
	if (listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		int e = errno;

		close(fd);
		return ml_err(-e, "cannot listen on 127.0.0.1:%d: %s", port,
			      strerror(e));
	}
	*ret_fd = fd;
	*ret_port = ntohs(a.sin_port);
	return 0;
}

int
ml_portforward_open(struct ml_k8s *c, const char *ns, const char *pod,
		    int remote_port, int local_port, unsigned flags,
		    struct ml_portforward **ret, int *ret_port)
{
	struct ml_portforward *pf;
	sigset_t all, old;
	int r;

	if (remote_port < 1 || remote_port > 65535)
		return ml_err(-EINVAL, "remote port %d is not in 1-65535",
			      remote_port);
	if (local_port < 0 || local_port > 65535)
		return ml_err(-EINVAL, "local port %d is not in 0-65535",
			      local_port);
	pf = ml_xcalloc(1, sizeof(*pf));
	pf->c = c;
	pf->pod = ml_xstrdup(pod);
	pf->remote_port = remote_port;
	pf->flags = flags;
	pf->listen_fd = pf->stop[0] = pf->stop[1] = -1;
	pf->path =
		ml_xasprintf("/api/v1/namespaces/%s/pods/%s/portforward?ports=%d",
			     ns ? ns : "default", pod, remote_port);
	r = listen_loopback(local_port, remote_port, &pf->listen_fd,
			    &pf->local_port);
	if (r >= 0 && pipe2(pf->stop, O_CLOEXEC) < 0)
		r = ml_err(-errno, "pipe: %s", strerror(errno));
	if (r < 0) {
		ml_portforward_close(pf);
		return r;
	}
	/* The thread takes no signals: the caller's handlers stay its own. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&pf->thread, NULL, run, pf);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		ml_portforward_close(pf);
		return ml_err(r, "cannot start the port-forward thread: %s",
			      strerror(-r));
	}
	pf->started = true;
	*ret = pf;
	*ret_port = pf->local_port;
	return 0;
}

struct ml_portforward *
ml_portforward_close(struct ml_portforward *pf)
{
	if (!pf)
		return NULL;
	if (pf->started) {
		if (write(pf->stop[1], "x", 1) < 0) {
			/* the pipe is empty and open: cannot fail */
		}
		pthread_join(pf->thread, NULL);
	}
	if (pf->listen_fd >= 0)
		close(pf->listen_fd);
	for (int i = 0; i < 2; i++)
		if (pf->stop[i] >= 0)
			close(pf->stop[i]);
	free(pf->path);
	free(pf->pod);
	free(pf);
	return NULL;
}
