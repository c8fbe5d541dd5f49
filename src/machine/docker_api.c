/* machine/docker_api.c: the node's Docker Engine API over TLS (libcurl). */
#include "config.h"

#include "machine/docker_api.h"

#include "base/pki.h"
#include "base/profile.h"
#include "base/util.h"

#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* an answer held whole (image lists, errors) or one line of a stream */
#define ANSWER_MAX (64 * 1024 * 1024)
#define CONNECT_TIMEOUT_MS 10000L

struct ml_docker {
	char *base; /* https://127.0.0.1:PORT */
	char *name; /* the Docker daemon of 'PROFILE' at BASE */
	char *ca, *cert, *key;
};

int
ml_docker_open(const char *home, const char *profile, struct ml_docker **ret)
{
	struct ml_profile *p = NULL;
	struct ml_docker *d;
	ml_autofree char *dir = NULL;
	int port, r;

	r = ml_profile_open(home, profile, 0, &p);
	if (r < 0)
		return r;
	port = ml_profile_state_port(p, "docker");
	if (!port)
		r = ml_err(-EHOSTDOWN,
			   "profile '%s' has no Docker port in '%s': run 'minilaunch -p %s start' to repair it",
			   profile, ml_profile_path(p), profile);
	ml_profile_free(p);
	if (r < 0)
		return r;
	if (!ml_tcp_port_open(port))
		return ml_err(
			-EHOSTDOWN,
			"profile '%s' is not running (nothing answers on 127.0.0.1:%d, its Docker port): run 'minilaunch -p %s start'",
			profile, port, profile);
	dir = ml_pki_docker_cert_dir(home, profile);
	if (!ml_pki_docker_certs_present(home, profile))
		return ml_err(
			-ENOENT,
			"Docker client certificates missing in '%s': run 'minilaunch -p %s start' to regenerate them",
			dir, profile);
	d = ml_xcalloc(1, sizeof(*d));
	d->base = ml_xasprintf("https://127.0.0.1:%d", port);
	d->name = ml_xasprintf("the Docker daemon of '%s' at %s", profile,
			       d->base);
	d->ca = ml_xasprintf("%s/ca.pem", dir);
	d->cert = ml_xasprintf("%s/cert.pem", dir);
	d->key = ml_xasprintf("%s/key.pem", dir);
	*ret = d;
	return 0;
}

struct ml_docker *
ml_docker_free(struct ml_docker *d)
{
	if (!d)
		return NULL;
	free(d->base);
	free(d->name);
	free(d->ca);
	free(d->cert);
	free(d->key);
	free(d);
	return NULL;
}

const char *
ml_docker_name(const struct ml_docker *d)
{
	return d->name;
}

/* One request and what came back. */
struct req {
	struct ml_docker *d;
	CURL *curl;
	const char *what; /* "cannot remove image 'x' from": the message's
			     start, before the daemon's name */
	const struct ml_docker_body *body;
	const struct ml_docker_events *ev;
	bool stream;	      /* a 2xx answer is a JSON message stream */
	struct ml_buf answer; /* the whole answer, or a stream's open line */
	long status;
	int64_t sent;
	int body_r;	  /* the reader's error, its message set */
	char *stream_err; /* the first error message of the stream */
	bool too_big;
};

static void
stream_line(struct req *q, const char *line, size_t len)
{
	struct json_tokener *tok;
	struct json_object *msg;

	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (!len)
		return;
	tok = json_tokener_new();
	msg = json_tokener_parse_ex(tok, line, (int)len);
	json_tokener_free(tok);
	if (!msg || !json_object_is_type(msg, json_type_object)) {
		/* not ours to judge: shown as the daemon sent it */
		if (!q->stream_err && !msg)
			q->stream_err =
				ml_xasprintf("an answer that is not JSON: %.*s",
					     (int)(len > 200 ? 200 : len),
					     line);
		json_object_put(msg);
		return;
	}
	if (ml_json_get(msg, "errorDetail") || ml_json_get(msg, "error")) {
		const char *m = ml_json_str(msg, "errorDetail.message");

		if (!m)
			m = ml_json_str(msg, "error");
		if (!q->stream_err)
			q->stream_err = ml_xstrdup(m ? m : "an error");
	} else if (q->ev && q->ev->message) {
		q->ev->message(q->ev->ud, msg);
	}
	json_object_put(msg);
}

static void
stream_lines(struct req *q, bool last)
{
	size_t start = 0;

	for (size_t i = 0; i < q->answer.len; i++)
		if (q->answer.p[i] == '\n') {
			stream_line(q, q->answer.p + start, i - start);
			start = i + 1;
		}
	if (last && start < q->answer.len) {
		stream_line(q, q->answer.p + start, q->answer.len - start);
		start = q->answer.len;
	}
	if (start) {
		memmove(q->answer.p, q->answer.p + start,
			q->answer.len - start);
		q->answer.len -= start;
		q->answer.p[q->answer.len] = '\0';
	}
}

static size_t
on_answer(char *data, size_t size, size_t n, void *ud)
{
	struct req *q = ud;

	if (!q->status)
		curl_easy_getinfo(q->curl, CURLINFO_RESPONSE_CODE, &q->status);
	if (q->answer.len + size * n > ANSWER_MAX) {
		q->too_big = true;
		return 0;
	}
	ml_buf_add(&q->answer, data, size * n);
	if (q->stream && q->status / 100 == 2)
		stream_lines(q, false);
	return size * n;
}

static size_t
on_read(char *buf, size_t size, size_t n, void *ud)
{
	struct req *q = ud;
	ssize_t got = q->body->read(q->body->ud, buf, size * n);

	if (got < 0) {
		q->body_r = (int)got;
		return CURL_READFUNC_ABORT;
	}
	q->sent += got;
	if (q->ev && q->ev->sent)
		q->ev->sent(q->ev->ud, q->sent, q->body->size);
	return (size_t)got;
}

/* The daemon's message in an error answer: {"message": ...}, else its
 * first line. Caller frees. */
static char *
error_detail(const struct req *q)
{
	struct json_object *o = q->answer.len ? json_tokener_parse(q->answer.p)
					      : NULL;
	const char *m = ml_json_str(o, "message");
	char *out;

	if (m && *m)
		out = ml_xstrdup(m);
	else if (q->answer.len) {
		size_t len = strcspn(q->answer.p, "\r\n");
		out = ml_xasprintf("HTTP %ld: %.*s", q->status,
				   (int)(len > 200 ? 200 : len), q->answer.p);
	} else
		out = ml_xasprintf("HTTP %ld", q->status);
	json_object_put(o);
	return out;
}

static int
status_errno(long status)
{
	switch (status) {
	case 400:
		return -EINVAL;
	case 404:
		return -ENOENT;
	case 409:
		return -EBUSY;
	default:
		return -EIO;
	}
}

/*
 * Sends method path (with its query) to q->d with q->body when set.
 * Returns 0 on a 2xx answer without an error in its stream (the answer in
 * q->answer unless streamed); else -errno with a message starting with
 * q->what and the daemon's name. Releases nothing: see req_release.
 */
static int
request(struct req *q, const char *method, const char *path)
{
	ml_autofree char *url = ml_xasprintf("%s%s", q->d->base, path);
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	CURLcode rc;
	int r = 0;

	q->curl = curl_easy_init();
	if (!q->curl)
		return ml_err(-ENOMEM, "cannot start libcurl");
	curl_easy_setopt(q->curl, CURLOPT_URL, url);
	curl_easy_setopt(q->curl, CURLOPT_CAINFO, q->d->ca);
	curl_easy_setopt(q->curl, CURLOPT_SSLCERT, q->d->cert);
	curl_easy_setopt(q->curl, CURLOPT_SSLKEY, q->d->key);
	curl_easy_setopt(q->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(q->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(q->curl, CURLOPT_CONNECTTIMEOUT_MS,
			 CONNECT_TIMEOUT_MS);
	curl_easy_setopt(q->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(q->curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(q->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(q->curl, CURLOPT_WRITEFUNCTION, on_answer);
	curl_easy_setopt(q->curl, CURLOPT_WRITEDATA, q);
	if (q->body) {
		curl_easy_setopt(q->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(q->curl, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(q->curl, CURLOPT_READDATA, q);
		curl_easy_setopt(q->curl, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)q->body->size);
		headers = curl_slist_append(headers,
					    "Content-Type: application/x-tar");
		if (q->body->size < 0)
			headers =
				curl_slist_append(headers,
						  "Transfer-Encoding: chunked");
		/* dockerd reads the body at once: no 100-continue wait */
		headers = curl_slist_append(headers, "Expect:");
		if (!headers)
			ml_oom();
		curl_easy_setopt(q->curl, CURLOPT_HTTPHEADER, headers);
	}
	if (strcmp(method, "GET") && strcmp(method, "POST"))
		curl_easy_setopt(q->curl, CURLOPT_CUSTOMREQUEST, method);
	rc = curl_easy_perform(q->curl);
	curl_easy_getinfo(q->curl, CURLINFO_RESPONSE_CODE, &q->status);
	curl_slist_free_all(headers);
	if (q->stream && q->status / 100 == 2 && !q->too_big)
		stream_lines(q, true);

	if (q->body_r < 0) {
		r = q->body_r; /* the reader's message */
	} else if (q->status && q->status / 100 != 2) {
		ml_autofree char *detail = error_detail(q);
		r = ml_err(status_errno(q->status), "%s %s: %s", q->what,
			   q->d->name, detail);
	} else if (q->too_big) {
		r = ml_err(-EIO, "%s %s: its answer exceeds %d MiB", q->what,
			   q->d->name, ANSWER_MAX / (1024 * 1024));
	} else if (rc != CURLE_OK) {
		r = ml_err(-EHOSTUNREACH, "%s %s: %s", q->what, q->d->name,
			   *errbuf ? errbuf : curl_easy_strerror(rc));
	} else if (q->stream_err) {
		r = ml_err(-EIO, "%s %s: %s", q->what, q->d->name,
			   q->stream_err);
	}
	curl_easy_cleanup(q->curl);
	q->curl = NULL;
	return r;
}

static void
req_release(struct req *q)
{
	ml_buf_release(&q->answer);
	free(q->stream_err);
	q->stream_err = NULL;
}

/* s %-escaped for a URL's path: only what an image reference may hold
 * passes as it is. Caller frees. */
static char *
path_escape(const char *s)
{
	struct ml_buf b = { NULL, 0, 0 };

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~/:@", c)) {
			ml_buf_add(&b, s, 1);
		} else {
			char hex[4];
			snprintf(hex, sizeof(hex), "%%%02X", c);
			ml_buf_add(&b, hex, 3);
		}
	}
	ml_buf_add(&b, "", 0);
	return b.p;
}

static char *
query_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *out;

	if (!e)
		ml_oom();
	out = ml_xstrdup(e);
	curl_free(e);
	return out;
}

void
ml_docker_images_free(struct ml_docker_image *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].id);
		for (char **t = v[i].tags; t && *t; t++)
			free(*t);
		free(v[i].tags);
	}
	free(v);
}

int
ml_docker_images(struct ml_docker *d, struct ml_docker_image **ret,
		 size_t *ret_n)
{
	struct req q = { .d = d, .what = "cannot list the images of" };
	struct json_object *list;
	struct ml_docker_image *v;
	size_t n;
	int r;

	r = request(&q, "GET", "/images/json");
	if (r < 0) {
		req_release(&q);
		return r;
	}
	list = q.answer.len ? json_tokener_parse(q.answer.p) : NULL;
	req_release(&q);
	if (!list || !json_object_is_type(list, json_type_array)) {
		json_object_put(list);
		return ml_err(
			-EPROTO,
			"cannot list the images of %s: its answer is not a JSON array",
			d->name);
	}
	n = json_object_array_length(list);
	v = ml_xcalloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		struct json_object *img = json_object_array_get_idx(list, i);
		struct json_object *tags = ml_json_get(img, "RepoTags");
		struct json_object *o;
		size_t nt = 0;

		v[i].id = ml_xstrdup(
			ml_json_str(img, "Id") ? ml_json_str(img, "Id") : "");
		v[i].tags =
			ml_xcalloc((tags && json_object_is_type(tags,
								json_type_array)
					    ? json_object_array_length(tags)
					    : 0) +
					   1,
				   sizeof(char *));
		for (size_t t = 0;
		     tags && json_object_is_type(tags, json_type_array) &&
		     t < json_object_array_length(tags);
		     t++) {
			const char *tag = json_object_get_string(
				json_object_array_get_idx(tags, t));
			/* what older daemons list for an untagged image */
			if (tag && strcmp(tag, "<none>:<none>"))
				v[i].tags[nt++] = ml_xstrdup(tag);
		}
		if (json_object_object_get_ex(img, "Size", &o))
			v[i].size = json_object_get_int64(o);
		if (json_object_object_get_ex(img, "Created", &o))
			v[i].created = json_object_get_int64(o);
	}
	json_object_put(list);
	*ret = v;
	*ret_n = n;
	return 0;
}

int
ml_docker_image_remove(struct ml_docker *d, const char *name,
		       void (*on_deleted)(void *ud, const char *line), void *ud)
{
	ml_autofree char *what =
		ml_xasprintf("cannot remove image '%s' from", name);
	ml_autofree char *esc = path_escape(name);
	ml_autofree char *path = ml_xasprintf("/images/%s", esc);
	struct req q = { .d = d, .what = what };
	struct json_object *list;
	int r;

	if (!*name || strchr(name, '?') || strchr(name, '#'))
		return ml_err(-EINVAL, "'%s' is not an image name or ID", name);
	r = request(&q, "DELETE", path);
	if (r < 0) {
		req_release(&q);
		return r;
	}
	list = q.answer.len ? json_tokener_parse(q.answer.p) : NULL;
	req_release(&q);
	for (size_t i = 0;
	     on_deleted && list && json_object_is_type(list, json_type_array) &&
	     i < json_object_array_length(list);
	     i++) {
		struct json_object *o = json_object_array_get_idx(list, i);
		const char *u = ml_json_str(o, "Untagged");
		const char *del = ml_json_str(o, "Deleted");
		ml_autofree char *line = NULL;

		if (u)
			line = ml_xasprintf("Untagged: %s", u);
		else if (del)
			line = ml_xasprintf("Deleted: %s", del);
		if (line)
			on_deleted(ud, line);
	}
	json_object_put(list);
	return 0;
}

int
ml_docker_image_load(struct ml_docker *d, const struct ml_docker_body *body,
		     const char *what, const struct ml_docker_events *ev)
{
	ml_autofree char *prefix = ml_xasprintf("cannot load %s into", what);
	struct req q = {
		.d = d, .what = prefix, .body = body, .ev = ev, .stream = true
	};
	int r = request(&q, "POST", "/images/load?quiet=1");

	req_release(&q);
	return r;
}

int
ml_docker_image_build(struct ml_docker *d, const struct ml_docker_body *body,
		      const char *tag, const char *dockerfile,
		      const struct ml_docker_events *ev)
{
	ml_autofree char *prefix = ml_xasprintf("cannot build '%s' in", tag);
	ml_autofree char *t = query_escape(tag);
	ml_autofree char *f =
		query_escape(dockerfile ? dockerfile : "Dockerfile");
	ml_autofree char *path =
		ml_xasprintf("/build?t=%s&dockerfile=%s&rm=1", t, f);
	struct req q = {
		.d = d, .what = prefix, .body = body, .ev = ev, .stream = true
	};
	int r = request(&q, "POST", path);

	req_release(&q);
	return r;
}
