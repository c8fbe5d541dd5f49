/*
 * kube/k8s_ws.c: the WebSocket client of the upgraded streams, and its
 * frame codec (RFC 6455).
 */
#include "config.h"

#include "kube/k8s_ws.h"

#include "kube/k8s.h"
#include "base/log.h"
#include "base/util.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define IO_TIMEOUT_MS 30000
#define MAX_RESPONSE_HEAD 16384

/* --- the codec ------------------------------------------------------------ */

void
ml_ws_encode(struct ml_buf *out, int opcode, bool fin, const uint8_t *mask,
	     const void *payload, size_t len)
{
	uint8_t h[14];
	size_t n = 0;
	const uint8_t *p = payload;

	h[n++] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0f));
	if (len < 126) {
		h[n++] = (uint8_t)((mask ? 0x80 : 0) | len);
	} else if (len <= 0xffff) {
		h[n++] = (uint8_t)((mask ? 0x80 : 0) | 126);
		h[n++] = (uint8_t)(len >> 8);
		h[n++] = (uint8_t)len;
	} else {
		h[n++] = (uint8_t)((mask ? 0x80 : 0) | 127);
		for (int i = 7; i >= 0; i--)
			h[n++] = (uint8_t)((uint64_t)len >> (8 * i));
	}
	if (mask) {
		memcpy(h + n, mask, 4);
		n += 4;
	}
	ml_buf_add(out, h, n);
	if (!mask) {
		ml_buf_add(out, payload, len);
		return;
	}
	for (size_t i = 0; i < len;) {
		uint8_t chunk[4096];
		size_t k = 0;

		for (; k < sizeof(chunk) && i < len; k++, i++)
			chunk[k] = p[i] ^ mask[i & 3];
		ml_buf_add(out, chunk, k);
	}
}

void
ml_ws_decoder_feed(struct ml_ws_decoder *d, const void *p, size_t n)
{
	/* Drop what was consumed before the buffer grows. */
	if (d->in_off > 0 && d->in_off >= d->in.len / 2) {
		memmove(d->in.p, d->in.p + d->in_off, d->in.len - d->in_off);
		d->in.len -= d->in_off;
		d->in_off = 0;
	}
	ml_buf_add(&d->in, p, n);
}

static int
bad_frame(const char *why)
{
	return ml_err(-EBADMSG, "bad WebSocket frame: %s", why);
}

int
ml_ws_decoder_next(struct ml_ws_decoder *d, struct ml_ws_msg *ret)
{
	for (;;) {
		const uint8_t *p = (const uint8_t *)d->in.p + d->in_off;
		size_t avail = d->in.len - d->in_off;
		uint64_t len;
		size_t hl = 2;
		bool fin, masked;
		int op;
		uint8_t *dst;

		if (avail < 2)
			return 0;
		fin = p[0] & 0x80;
		op = p[0] & 0x0f;
		masked = p[1] & 0x80;
		len = p[1] & 0x7f;
		if (p[0] & 0x70)
			return bad_frame("reserved bits set");
		if ((op > ML_WS_BINARY && op < ML_WS_CLOSE) || op > ML_WS_PONG)
			return bad_frame("unknown opcode");
		if (masked != d->server)
			return bad_frame(d->server
						 ? "a client's frame not masked"
						 : "a server's frame masked");
		if (op >= ML_WS_CLOSE && (!fin || len > 125))
			return bad_frame(
				"control frame fragmented or too long");
		if (len == 126) {
			if (avail < 4)
				return 0;
			len = (uint64_t)p[2] << 8 | p[3];
			hl = 4;
		} else if (len == 127) {
			if (avail < 10)
				return 0;
			if (p[2] & 0x80)
				return bad_frame(
					"64-bit length with its top bit set");
			len = 0;
			for (int i = 0; i < 8; i++)
				len = len << 8 | p[2 + i];
			hl = 10;
		}
		if (op < ML_WS_CLOSE) {
			if (op == ML_WS_CONT && !d->msg_opcode)
				return bad_frame(
					"continuation without a message");
			if (op != ML_WS_CONT && d->msg_opcode)
				return bad_frame(
					"new message inside a fragmented one");
			if (len > ML_WS_MAX_MESSAGE ||
			    d->msg.len + len > ML_WS_MAX_MESSAGE)
				return ml_err(-EMSGSIZE,
					      "WebSocket message over %u bytes",
					      ML_WS_MAX_MESSAGE);
		}
		if (masked)
			hl += 4;
		if (avail < hl || avail - hl < len)
			return 0;

		/* The whole frame is here: copy its payload out, unmasked. */
		if (op >= ML_WS_CLOSE) {
			ml_buf_clear(&d->ctl);
			ml_buf_add(&d->ctl, p + hl, len);
			dst = (uint8_t *)d->ctl.p;
		} else {
			if (op != ML_WS_CONT) {
				ml_buf_clear(&d->msg);
				d->msg_opcode = op;
			}
			ml_buf_add(&d->msg, p + hl, len);
			dst = (uint8_t *)d->msg.p + d->msg.len - len;
		}
		if (masked)
			for (uint64_t i = 0; i < len; i++)
				dst[i] ^= p[hl - 4 + (i & 3)];
		d->in_off += hl + len;

		if (op >= ML_WS_CLOSE) {
			ret->opcode = op;
			ret->data = (const uint8_t *)d->ctl.p;
			ret->len = len;
			/* ml_buf leaves p NULL for an empty payload */
			if (!ret->data)
				ret->data = (const uint8_t *)"";
			return 1;
		}
		if (fin) {
			ret->opcode = d->msg_opcode;
			ret->data = d->msg.p ? (const uint8_t *)d->msg.p
					     : (const uint8_t *)"";
			ret->len = d->msg.len;
			d->msg_opcode = 0;
			return 1;
		}
	}
}

void
ml_ws_decoder_release(struct ml_ws_decoder *d)
{
	ml_buf_release(&d->in);
	ml_buf_release(&d->msg);
	ml_buf_release(&d->ctl);
	d->in_off = 0;
	d->msg_opcode = 0;
}

static char *
base64_encode(const uint8_t *p, size_t n)
{
	char *out = ml_xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

char *
ml_ws_accept_key(const char *key)
{
	ml_autofree char *s = ml_xasprintf("%s" WS_GUID, key);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(s, strlen(s), md, &n, EVP_sha1(), NULL);
	return base64_encode(md, n);
}

/* --- the connection ---------------------------------------------------------
 */

struct ml_ws {
	CURL *easy;
	int fd;
	char *protocol;
	char *path; /* for messages */
	struct ml_ws_decoder dec;
	struct ml_buf out;
	bool close_sent;
	bool closed; /* the server closed: nothing more to read */
	char errbuf[CURL_ERROR_SIZE];
};

static int
wait_fd(struct ml_ws *ws, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = ws->fd, .events = events };
	int r;

	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return ml_err(-errno, "poll: %s", strerror(errno));
	if (r == 0)
		return ml_err(-ETIMEDOUT,
			      "%s: no progress on the stream within %d ms",
			      ws->path, timeout_ms);
	return 0;
}

static int
send_all(struct ml_ws *ws, const void *p, size_t n)
{
	const char *b = p;

	while (n > 0) {
		size_t sent = 0;
		CURLcode rc = curl_easy_send(ws->easy, b, n, &sent);
		int r;

		if (rc == CURLE_AGAIN) {
			r = wait_fd(ws, POLLOUT, IO_TIMEOUT_MS);
			if (r < 0)
				return r;
			continue;
		}
		if (rc != CURLE_OK) {
			ws->closed = true;
			return ml_err(-EPIPE, "%s: cannot send: %s", ws->path,
				      curl_easy_strerror(rc));
		}
		b += sent;
		n -= sent;
	}
	return 0;
}

/* Reads what is there into the decoder: 1 read some, 0 nothing now,
 * -EPIPE at the end of the stream. */
static int
read_some(struct ml_ws *ws)
{
	char buf[16384];
	size_t got = 0;
	CURLcode rc = curl_easy_recv(ws->easy, buf, sizeof(buf), &got);

	if (rc == CURLE_AGAIN)
		return 0;
	if (rc != CURLE_OK) {
		ws->closed = true;
		return ml_err(-ECONNRESET, "%s: connection lost: %s", ws->path,
			      curl_easy_strerror(rc));
	}
	if (got == 0) {
		ws->closed = true;
		return -EPIPE;
	}
	ml_ws_decoder_feed(&ws->dec, buf, got);
	return 1;
}

/* The value of header name in the response head (borrowed into a static
 * copy of the head), or NULL. */
static char *
header_value(char *head, const char *name)
{
	size_t nl = strlen(name);

	for (char *l = strstr(head, "\r\n"); l; l = strstr(l, "\r\n")) {
		char *v, *e;

		l += 2;
		if (strncasecmp(l, name, nl) != 0 || l[nl] != ':')
			continue;
		v = l + nl + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		e = strstr(v, "\r\n");
		if (!e)
			return NULL;
		return ml_xstrndup(v, (size_t)(e - v));
	}
	return NULL;
}

/* Reads the rest of a refused upgrade's body (up to what Content-Length
 * says, 64 KiB at most, or until the server closes). */
static void
read_error_body(struct ml_ws *ws, char *head, struct ml_buf *body)
{
	ml_autofree char *cl = header_value(head, "Content-Length");
	size_t want = cl ? strtoul(cl, NULL, 10) : 65536;
	int64_t deadline = ml_now_ms() + 5000;

	if (want > 65536)
		want = 65536;
	while (body->len < want && ml_now_ms() < deadline) {
		char buf[4096];
		size_t got = 0;
		CURLcode rc = curl_easy_recv(ws->easy, buf, sizeof(buf), &got);

		if (rc == CURLE_AGAIN) {
			if (wait_fd(ws, POLLIN, 1000) < 0)
				break;
			continue;
		}
		if (rc != CURLE_OK || got == 0)
			break;
		ml_buf_add(body, buf, got);
	}
	ml_err_clear();
}

static int
handshake(struct ml_k8s *c, struct ml_ws *ws, const char *auth,
	  const char *const *protocols)
{
	const char *server = ml_k8s_server(c);
	const char *host = strstr(server, "://");
	ml_autofree char *authority = NULL;
	const char *prefix; /* a server URL's path, as in https://h/k8s/x */
	uint8_t rnd[16];
	ml_autofree char *key = NULL, *expect = NULL, *offer = NULL,
			 *req = NULL, *accept = NULL, *proto = NULL;
	struct ml_buf head = { 0 }, body = { 0 };
	char *end = NULL;
	long status = 0;
	int r;

	host = host ? host + 3 : server;
	authority = ml_xstrndup(host, strcspn(host, "/"));
	prefix = host + strlen(authority);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return ml_err(-EIO, "cannot draw a WebSocket key");
	key = base64_encode(rnd, sizeof(rnd));
	expect = ml_ws_accept_key(key);
	for (size_t i = 0; protocols && protocols[i]; i++) {
		char *o = ml_xasprintf("%s%s%s", offer ? offer : "",
				       offer ? ", " : "", protocols[i]);
		free(offer);
		offer = o;
	}
	req = ml_xasprintf("GET %s%s HTTP/1.1\r\n"
			   "Host: %s\r\n"
			   "User-Agent: minilaunch/" PACKAGE_VERSION "\r\n"
			   "Connection: Upgrade\r\n"
			   "Upgrade: websocket\r\n"
			   "Sec-WebSocket-Version: 13\r\n"
			   "Sec-WebSocket-Key: %s\r\n"
			   "%s%s%s"
			   "%s%s"
			   "\r\n",
			   prefix, ws->path, authority, key,
			   offer ? "Sec-WebSocket-Protocol: " : "",
			   offer ? offer : "", offer ? "\r\n" : "",
			   auth ? auth : "", auth ? "\r\n" : "");
	r = send_all(ws, req, strlen(req));
	if (r < 0)
		return r;

	/* The response head, byte runs until "\r\n\r\n"; what follows it is
	 * the first frames. */
	while (!end) {
		char buf[4096];
		size_t got = 0;
		CURLcode rc = curl_easy_recv(ws->easy, buf, sizeof(buf), &got);

		if (rc == CURLE_AGAIN) {
			r = wait_fd(ws, POLLIN, IO_TIMEOUT_MS);
			if (r < 0)
				goto out;
			continue;
		}
		if (rc != CURLE_OK || got == 0) {
			r = ml_err(-EPROTO,
				   "GET %s: the server closed the connection before answering the upgrade",
				   ws->path);
			goto out;
		}
		ml_buf_add(&head, buf, got);
		end = strstr(head.p, "\r\n\r\n");
		if (!end && head.len > MAX_RESPONSE_HEAD) {
			r = ml_err(-EPROTO, "GET %s: answer head over %d bytes",
				   ws->path, MAX_RESPONSE_HEAD);
			goto out;
		}
	}
	end += 4;
	if (sscanf(head.p, "HTTP/1.%*d %ld", &status) != 1) {
		r = ml_err(-EPROTO, "GET %s: the answer is not HTTP/1.1",
			   ws->path);
		goto out;
	}
	if (status != 101) {
		ml_buf_add(&body, end, head.len - (size_t)(end - head.p));
		end[-2] = '\0';
		read_error_body(ws, head.p, &body);
		r = ml_k8s_fail(c, "GET", ws->path, 0, NULL, status,
				body.p ? body.p : "", body.len);
		goto out;
	}
	end[-2] = '\0';
	accept = header_value(head.p, "Sec-WebSocket-Accept");
	if (!accept || strcmp(accept, expect) != 0) {
		r = ml_err(-EPROTO,
			   "GET %s: the server's Sec-WebSocket-Accept is wrong or missing",
			   ws->path);
		goto out;
	}
	proto = header_value(head.p, "Sec-WebSocket-Protocol");
	if (proto && *proto) {
		bool offered = false;

		for (size_t i = 0; protocols && protocols[i]; i++)
			offered = offered || strcmp(proto, protocols[i]) == 0;
		if (!offered) {
			r = ml_err(-EPROTO,
				   "GET %s: the server chose protocol '%s', which was not offered",
				   ws->path, proto);
			goto out;
		}
	}
	ws->protocol = proto ? ml_xstrdup(proto) : ml_xstrdup("");
	/* Frames the server sent right after its head. */
	if (head.len > (size_t)(end - head.p))
		ml_ws_decoder_feed(&ws->dec, end,
				   head.len - (size_t)(end - head.p));
	r = 0;
out:
	ml_buf_release(&head);
	ml_buf_release(&body);
	return r;
}

int
ml_ws_connect(struct ml_k8s *c, const char *path, const char *const *protocols,
	      struct ml_ws **ret)
{
	struct ml_ws *ws = ml_xcalloc(1, sizeof(*ws));
	const char *auth;
	curl_socket_t s = CURL_SOCKET_BAD;
	CURLcode rc;
	int r;

	ws->fd = -1;
	ws->path = ml_xstrdup(path);
	ws->easy = curl_easy_init();
	if (!ws->easy) {
		ml_ws_free(ws);
		return ml_err(-ENOMEM, "cannot create a libcurl handle");
	}
	auth = ml_k8s_setup_curl(c, ws->easy, path, ws->errbuf);
	curl_easy_setopt(ws->easy, CURLOPT_CONNECT_ONLY, 1L);
	/* The upgrade is HTTP/1.1's: no h2 in ALPN. */
	curl_easy_setopt(ws->easy, CURLOPT_HTTP_VERSION,
			 (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(ws->easy, CURLOPT_SSL_ENABLE_ALPN, 0L);
	rc = curl_easy_perform(ws->easy);
	if (rc != CURLE_OK) {
		r = ml_k8s_fail(c, "GET", path, rc, ws->errbuf, 0, NULL, 0);
		ml_ws_free(ws);
		return r;
	}
	curl_easy_getinfo(ws->easy, CURLINFO_ACTIVESOCKET, &s);
	ws->fd = (int)s;
	r = handshake(c, ws, auth, protocols);
	if (r < 0) {
		ml_ws_free(ws);
		return r;
	}
	ml_log_debug("%s: %s upgraded, protocol '%s'", __func__, path,
		     ws->protocol);
	*ret = ws;
	return 0;
}

struct ml_ws *
ml_ws_free(struct ml_ws *ws)
{
	if (!ws)
		return NULL;
	if (ws->easy)
		curl_easy_cleanup(ws->easy);
	ml_ws_decoder_release(&ws->dec);
	ml_buf_release(&ws->out);
	free(ws->protocol);
	free(ws->path);
	free(ws);
	return NULL;
}

const char *
ml_ws_protocol(const struct ml_ws *ws)
{
	return ws->protocol;
}

int
ml_ws_fd(const struct ml_ws *ws)
{
	return ws->fd;
}

/* Sends the frame of opcode: header, then p2 after p1 (either may be
 * empty), masked with fresh random bytes. */
static int
send_frame(struct ml_ws *ws, int opcode, const void *p1, size_t n1,
	   const void *p2, size_t n2)
{
	uint8_t mask[4];
	int r;

	if (ws->closed || (ws->close_sent && opcode != ML_WS_CLOSE))
		return -EPIPE;
	if (RAND_bytes(mask, sizeof(mask)) != 1)
		return ml_err(-EIO, "cannot draw a WebSocket mask");
	ml_buf_clear(&ws->out);
	if (n2 == 0) {
		ml_ws_encode(&ws->out, opcode, true, mask, p1, n1);
	} else {
		/* one payload, so that the mask runs over both parts */
		struct ml_buf joined = { 0 };

		ml_buf_add(&joined, p1, n1);
		ml_buf_add(&joined, p2, n2);
		ml_ws_encode(&ws->out, opcode, true, mask, joined.p,
			     joined.len);
		ml_buf_release(&joined);
	}
	r = send_all(ws, ws->out.p, ws->out.len);
	if (ws->out.cap > 1 << 20)
		ml_buf_release(&ws->out);
	return r;
}

int
ml_ws_send(struct ml_ws *ws, int opcode, const void *p, size_t n)
{
	return send_frame(ws, opcode, p, n, NULL, 0);
}

int
ml_ws_send_channel(struct ml_ws *ws, uint8_t channel, const void *p, size_t n)
{
	return send_frame(ws, ML_WS_BINARY, &channel, 1, p, n);
}

void
ml_ws_close(struct ml_ws *ws)
{
	static const uint8_t normal[2] = { 0x03, 0xe8 };

	if (ws->close_sent || ws->closed)
		return;
	send_frame(ws, ML_WS_CLOSE, normal, sizeof(normal), NULL, 0);
	ws->close_sent = true;
	ml_err_clear();
}

int
ml_ws_recv(struct ml_ws *ws, struct ml_ws_msg *ret)
{
	for (;;) {
		struct ml_ws_msg m;
		int r = ml_ws_decoder_next(&ws->dec, &m);

		if (r < 0) {
			ws->closed = true;
			return r;
		}
		if (r == 0) {
			if (ws->closed)
				return -EPIPE;
			r = read_some(ws);
			if (r <= 0)
				return r;
			continue;
		}
		switch (m.opcode) {
		case ML_WS_PING:
			r = send_frame(ws, ML_WS_PONG, m.data, m.len, NULL, 0);
			if (r < 0)
				return r;
			continue;
		case ML_WS_PONG:
			continue;
		case ML_WS_CLOSE:
			if (!ws->close_sent) {
				send_frame(ws, ML_WS_CLOSE, m.data,
					   m.len >= 2 ? 2 : 0, NULL, 0);
				ws->close_sent = true;
				ml_err_clear();
			}
			ws->closed = true;
			return -EPIPE;
		default:
			*ret = m;
			return 1;
		}
	}
}
