/*
 * kube/k8s.c: the Kubernetes API client (libcurl, json-c).
 *
 * Synchronous calls share one easy handle, so that they reuse one
 * connection. Every stream (watch or followed log) owns an easy handle in
 * the client's multi handle and is a small state machine driven by
 * ml_k8s_poll(): LISTING (the pages of a relist, fetched without blocking),
 * WATCHING (the stream), BACKOFF (waiting to reconnect) and DONE. Events
 * are queued while curl runs and delivered after curl_multi_perform()
 * returns, so that a callback may call the synchronous API or stop
 * watches.
 */
#include "config.h"

#include "kube/k8s.h"

#include "kube/k8s_stream.h"
#include "kube/kubeconfig.h"
#include "base/log.h"
#include "base/util.h"

#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_MS 5000L
#define DEFAULT_TIMEOUT_MS 10000L
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 5000
/* The server ends a watch after this long; we then resume from its rv. */
#define WATCH_SERVER_TIMEOUT_S 300
/* Page size of the lists behind a watch that merges its pages. */
#define RELIST_PAGE 500
#define FIELD_MANAGER "minilaunch"
#define TABLE_ACCEPT \
	"application/json;as=Table;v=v1;g=meta.k8s.io,application/json"

enum wstate {
	W_LISTING,
	W_WATCHING,
	W_BACKOFF,
	W_DONE,
};

struct qev {
	enum ml_k8s_event_type type;
	struct json_object *obj; /* owned */
	char *text;		 /* owned */
};

struct ml_k8s {
	struct ml_k8s_config *cfg;
	char *base; /* server without a trailing '/' */
	char *auth; /* "Authorization: Bearer ..." or NULL */
	CURL *easy;
	CURLM *multi;
	long timeout_ms;
	long page_size; /* > 0: watches deliver their lists page by page */
	struct ml_k8s_watch *watches;
	int in_poll;
};

struct ml_k8s_watch {
	struct ml_k8s *c;
	struct ml_k8s_watch *next;
	bool logs;
	bool table;
	char *path; /* resource path, or the log path with its query */
	ml_k8s_event_fn fn;
	void *ud;

	enum wstate state;
	CURL *easy;
	struct curl_slist *hdrs;
	bool in_multi;
	char errbuf[CURL_ERROR_SIZE];
	long status;	    /* HTTP status of the transfer, once known */
	int64_t started_ms; /* when the transfer started */
	struct ml_buf body; /* a list page or an error body */
	struct ml_k8s_stream stream;
	int stream_err; /* the stream was not JSON */

	char *rv;		  /* where the watch resumes */
	struct json_object *acc;  /* merged: the relist so far */
	struct json_object *page; /* the list page parsed as it streams */
	bool first_page;	  /* the next page delivered is RELISTED */
	char *cont;		  /* its next page's continue token */
	bool gone;		  /* a 410 ERROR event came */
	char *watch_error;	  /* another ERROR event came */

	bool connected;
	bool ever_failed;
	int backoff_ms;
	int64_t retry_at_ms;

	struct qev *q;
	size_t nq, capq;
	bool dead;
};

/* --- small helpers ------------------------------------------------------ */

static char *
xstrdup_null(const char *s)
{
	return s ? ml_xstrdup(s) : NULL;
}

static void
set_str(char **p, const char *s)
{
	free(*p);
	*p = xstrdup_null(s);
}

/* The JSON text p as an object, or NULL. Caller puts. */
static struct json_object *
parse_json(const char *p, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(ML_K8S_JSON_DEPTH);
	struct json_object *obj;

	if (!tok)
		return NULL;
	obj = json_tokener_parse_ex(tok, p, (int)len);
	if (obj && json_tokener_get_parse_end(tok) < len) {
		/* Only whitespace may follow. */
		for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
			if (!strchr(" \t\r\n", p[i])) {
				json_object_put(obj);
				obj = NULL;
				break;
			}
	}
	json_tokener_free(tok);
	return obj;
}

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o && json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

static struct json_object *
jget(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o && json_object_object_get_ex(o, key, &v))
		return v;
	return NULL;
}

/* metadata.resourceVersion of obj, or of a Table's first row's object. */
static const char *
resource_version(struct json_object *obj)
{
	const char *rv = jstr(jget(obj, "metadata"), "resourceVersion");
	struct json_object *rows = jget(obj, "rows");

	if (rv && *rv)
		return rv;
	if (rows && json_object_is_type(rows, json_type_array) &&
	    json_object_array_length(rows) > 0) {
		struct json_object *row = json_object_array_get_idx(rows, 0);

		return jstr(jget(jget(row, "object"), "metadata"),
			    "resourceVersion");
	}
	return NULL;
}

static const char *
reason_phrase(long status)
{
	switch (status) {
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 406:
		return "Not Acceptable";
	case 409:
		return "Conflict";
	case 410:
		return "Gone";
	case 413:
		return "Request Entity Too Large";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Entity";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	default:
		return "Error";
	}
}

static int
status_errno(long status)
{
	switch (status) {
	case 400:
	case 422:
		return -EINVAL;
	case 401:
		return -EACCES;
	case 403:
		return -EPERM;
	case 404:
		return -ENOENT;
	case 405:
		return -EOPNOTSUPP;
	case 409:
		return -EEXIST;
	case 410:
		return -ESTALE;
	case 413:
		return -E2BIG;
	case 429:
	case 503:
		return -EAGAIN;
	case 504:
		return -ETIMEDOUT;
	case 500:
		return -EIO;
	default:
		return -EPROTO;
	}
}

/*
 * "404 Not Found: <the Status message>" for an error response; the body's
 * first line when it is not a Status. Caller frees.
 */
static char *
http_failure(long status, const struct ml_buf *body)
{
	struct json_object *st = body->len ? parse_json(body->p, body->len)
					   : NULL;
	const char *msg = jstr(st, "message");
	char *s;

	if (msg && *msg) {
		s = ml_xasprintf("%ld %s: %s", status, reason_phrase(status),
				 msg);
	} else if (body->len > 0 && !st) {
		size_t n = strcspn(body->p, "\r\n");

		s = ml_xasprintf("%ld %s: %.*s", status, reason_phrase(status),
				 (int)(n > 200 ? 200 : n), body->p);
	} else {
		s = ml_xasprintf("%ld %s", status, reason_phrase(status));
	}
	if (st)
		json_object_put(st);
	return s;
}

static bool
is_tls_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CLIENTCERT:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_USE_SSL_FAILED:
		return true;
	default:
		return false;
	}
}

/* A transport failure as errno and text ("cannot connect to ..."). */
static int
curl_failure(const struct ml_k8s *c, CURLcode rc, const char *errbuf,
	     long timeout_ms, char **ret_text)
{
	const char *detail = errbuf && *errbuf ? errbuf
					       : curl_easy_strerror(rc);

	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		*ret_text = ml_xasprintf("no answer from %s within %ld ms (%s)",
					 c->base, timeout_ms, detail);
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		*ret_text = ml_xasprintf("cannot connect to %s: %s", c->base,
					 detail);
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
		*ret_text = ml_xasprintf("cannot resolve the host of %s: %s",
					 c->base, detail);
		return -EHOSTUNREACH;
	default:
		break;
	}
	if (is_tls_error(rc)) {
		*ret_text =
			ml_xasprintf("TLS with %s failed: %s", c->base, detail);
		return -EPROTO;
	}
	*ret_text =
		ml_xasprintf("connection to %s failed: %s", c->base, detail);
	return -EIO;
}

/* base + path + the query parameters in fmt ("a=1&b=2"), or none. */
static char *make_url(const struct ml_k8s *c, const char *path, const char *fmt,
		      ...) ML_PRINTF(3, 4);
static char *
make_url(const struct ml_k8s *c, const char *path, const char *fmt, ...)
{
	ml_autofree char *q = NULL;
	va_list ap;

	if (!fmt || !*fmt)
		return ml_xasprintf("%s%s", c->base, path);
	va_start(ap, fmt);
	q = ml_xvasprintf(fmt, ap);
	va_end(ap);
	if (!*q)
		return ml_xasprintf("%s%s", c->base, path);
	return ml_xasprintf("%s%s%c%s", c->base, path,
			    strchr(path, '?') ? '&' : '?', q);
}

/* --- configuration -------------------------------------------------------- */

struct ml_k8s_config *
ml_k8s_config_free(struct ml_k8s_config *cfg)
{
	if (!cfg)
		return NULL;
	free(cfg->context);
	free(cfg->server);
	free(cfg->namespace);
	free(cfg->ca_file);
	free(cfg->ca_data);
	free(cfg->cert_file);
	free(cfg->cert_data);
	free(cfg->key_file);
	free(cfg->key_data);
	free(cfg->token);
	free(cfg);
	return NULL;
}

static struct ml_k8s_config *
config_copy(const struct ml_k8s_config *s)
{
	struct ml_k8s_config *d = ml_xcalloc(1, sizeof(*d));

	d->context = xstrdup_null(s->context);
	d->server = xstrdup_null(s->server);
	d->namespace = xstrdup_null(s->namespace ? s->namespace : "default");
	d->ca_file = xstrdup_null(s->ca_file);
	d->ca_data = xstrdup_null(s->ca_data);
	d->cert_file = xstrdup_null(s->cert_file);
	d->cert_data = xstrdup_null(s->cert_data);
	d->key_file = xstrdup_null(s->key_file);
	d->key_data = xstrdup_null(s->key_data);
	d->token = xstrdup_null(s->token);
	return d;
}

static int
decode_field(const char *path, const char *ctx, const char *field,
	     const char *in, char **ret)
{
	if (!in)
		return 0;
	*ret = ml_base64_decode(in, NULL);
	if (!*ret)
		return ml_err(-EINVAL,
			      "%s of context '%s' in kubeconfig '%s' is not base64",
			      field, ctx, path);
	return 0;
}

int
ml_k8s_config_load(const char *path, const char *context,
		   struct ml_k8s_config **ret)
{
	struct ml_kubeconfig_context kc = { 0 };
	ml_autofree char *def = NULL;
	struct ml_k8s_config *cfg;
	int r;

	if (!path)
		path = def = ml_kubeconfig_default_path();
	r = ml_kubeconfig_read_context(path, context, &kc);
	if (r < 0)
		return r;
	cfg = ml_xcalloc(1, sizeof(*cfg));
	cfg->context = ml_xstrdup(kc.name);
	cfg->server = ml_xstrdup(kc.server);
	cfg->namespace = ml_xstrdup(kc.namespace ? kc.namespace : "default");
	cfg->ca_file = xstrdup_null(kc.ca_file);
	cfg->cert_file = xstrdup_null(kc.cert_file);
	cfg->key_file = xstrdup_null(kc.key_file);
	cfg->token = xstrdup_null(kc.token);
	r = decode_field(path, kc.name, "certificate-authority-data",
			 kc.ca_data, &cfg->ca_data);
	if (r >= 0)
		r = decode_field(path, kc.name, "client-certificate-data",
				 kc.cert_data, &cfg->cert_data);
	if (r >= 0)
		r = decode_field(path, kc.name, "client-key-data", kc.key_data,
				 &cfg->key_data);
	if (r >= 0 && !cfg->token && kc.token_file) {
		size_t n;

		r = ml_read_file(kc.token_file, &cfg->token, &n);
		while (r >= 0 && n > 0 && strchr(" \t\r\n", cfg->token[n - 1]))
			cfg->token[--n] = '\0';
	}
	ml_kubeconfig_context_clear(&kc);
	if (r < 0) {
		ml_k8s_config_free(cfg);
		return r;
	}
	*ret = cfg;
	return 0;
}

/* s without its trailing white space (a token or namespace file's newline). */
static void
trim_end(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && strchr(" \t\r\n", s[n - 1]))
		s[--n] = '\0';
}

int
ml_k8s_config_incluster(const char *sa_dir, struct ml_k8s_config **ret)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	ml_autofree char *token_path = NULL, *ns_path = NULL;
	struct ml_k8s_config *cfg;
	char *ns = NULL;
	int r;

	if (!sa_dir || !*sa_dir)
		sa_dir = ML_K8S_SERVICEACCOUNT_DIR;
	if (!host || !*host || !port || !*port)
		return ml_err(-ENOENT,
			      "KUBERNETES_SERVICE_HOST and "
			      "KUBERNETES_SERVICE_PORT are not set: not in a "
			      "pod? give --kubeconfig");
	cfg = ml_xcalloc(1, sizeof(*cfg));
	cfg->context = ml_xstrdup("in-cluster");
	cfg->server = strchr(host, ':')
			      ? ml_xasprintf("https://[%s]:%s", host, port)
			      : ml_xasprintf("https://%s:%s", host, port);
	cfg->ca_file = ml_xasprintf("%s/ca.crt", sa_dir);
	token_path = ml_xasprintf("%s/token", sa_dir);
	r = ml_read_file(token_path, &cfg->token, NULL);
	if (r < 0) {
		ml_k8s_config_free(cfg);
		return r;
	}
	trim_end(cfg->token);
	ns_path = ml_xasprintf("%s/namespace", sa_dir);
	if (ml_read_file(ns_path, &ns, NULL) >= 0)
		trim_end(ns);
	cfg->namespace = ns ? ns : ml_xstrdup("default");
	ml_err_clear();
	*ret = cfg;
	return 0;
}

/* --- the client ----------------------------------------------------------- */

static int
check_readable(const char *what, const char *file)
{
	if (file && access(file, R_OK) < 0)
		return ml_err(-errno, "cannot read the %s '%s': %s", what, file,
			      strerror(errno));
	return 0;
}

int
ml_k8s_new(const struct ml_k8s_config *cfg, struct ml_k8s **ret)
{
	struct ml_k8s *c;
	size_t n;
	int r;

	if (!cfg->server || !ml_startswith(cfg->server, "https://"))
		return ml_err(-EINVAL,
			      "server '%s' of context '%s' is not an https:// URL",
			      cfg->server ? cfg->server : "",
			      cfg->context ? cfg->context : "");
	if (!!(cfg->cert_file || cfg->cert_data) !=
	    !!(cfg->key_file || cfg->key_data))
		return ml_err(
			-EINVAL,
			"context '%s' has a client certificate without its key, or a key without its certificate",
			cfg->context ? cfg->context : "");
	r = check_readable("certificate authority",
			   cfg->ca_data ? NULL : cfg->ca_file);
	if (r >= 0)
		r = check_readable("client certificate",
				   cfg->cert_data ? NULL : cfg->cert_file);
	if (r >= 0)
		r = check_readable("client key",
				   cfg->key_data ? NULL : cfg->key_file);
	if (r < 0)
		return r;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ml_err(-EIO, "cannot initialize libcurl");
	c = ml_xcalloc(1, sizeof(*c));
	c->cfg = config_copy(cfg);
	c->base = ml_xstrdup(cfg->server);
	n = strlen(c->base);
	while (n > 0 && c->base[n - 1] == '/')
		c->base[--n] = '\0';
	if (cfg->token)
		c->auth = ml_xasprintf("Authorization: Bearer %s", cfg->token);
	c->timeout_ms = DEFAULT_TIMEOUT_MS;
	c->easy = curl_easy_init();
	c->multi = curl_multi_init();
	if (!c->easy || !c->multi) {
		ml_k8s_free(c);
		return ml_err(-ENOMEM, "cannot create a libcurl handle");
	}
	*ret = c;
	return 0;
}

void
ml_k8s_set_timeout(struct ml_k8s *c, long timeout_ms)
{
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
}

void
ml_k8s_set_page_size(struct ml_k8s *c, long page_size)
{
	c->page_size = page_size > 0 ? page_size : 0;
}

/* A paged list's first page: at most this many objects, a screenful or
 * two, so that it comes at once whatever the list's size (at 1,000 pods a
 * first page of 500 took most of the time to the first screen); the rest
 * come in pages of the client's page size. */
#define FIRST_PAGE 100

/* The limit of a list page of a watch of c; first: the list's first. */
static long
watch_page_size(const struct ml_k8s *c, bool first)
{
	if (c->page_size <= 0)
		return RELIST_PAGE;
	return first && c->page_size > FIRST_PAGE ? FIRST_PAGE : c->page_size;
}

static void watch_destroy(struct ml_k8s_watch *w);

struct ml_k8s *
ml_k8s_free(struct ml_k8s *c)
{
	if (!c)
		return NULL;
	while (c->watches)
		watch_destroy(c->watches);
	if (c->easy)
		curl_easy_cleanup(c->easy);
	if (c->multi)
		curl_multi_cleanup(c->multi);
	ml_k8s_config_free(c->cfg);
	free(c->base);
	free(c->auth);
	free(c);
	curl_global_cleanup();
	return NULL;
}

static bool
is_loopback_url(const char *url)
{
	static const char *const hosts[] = { "https://127.0.0.1",
					     "https://localhost",
					     "https://[::1]" };

	for (size_t i = 0; i < ML_ARRAY_SIZE(hosts); i++) {
		size_t n = strlen(hosts[i]);

		if (strncmp(url, hosts[i], n) == 0 && strchr(":/", url[n]))
			return true;
	}
	return false;
}

/* The TLS, auth and timeout options common to every request. */
static void
setup_easy(struct ml_k8s *c, CURL *e, const char *url, char *errbuf)
{
	const struct ml_k8s_config *cfg = c->cfg;

	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 30L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 10L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "minilaunch/" PACKAGE_VERSION);
	/* As kubectl (Go's ProxyFromEnvironment): loopback is never proxied.
	 * Elsewhere https_proxy and no_proxy from the environment apply. */
	if (is_loopback_url(url))
		curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	errbuf[0] = '\0';
	if (cfg->ca_data) {
		struct curl_blob b = { cfg->ca_data, strlen(cfg->ca_data),
				       CURL_BLOB_COPY };

		curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &b);
	} else if (cfg->ca_file) {
		curl_easy_setopt(e, CURLOPT_CAINFO, cfg->ca_file);
	}
	if (cfg->cert_data) {
		struct curl_blob b = { cfg->cert_data, strlen(cfg->cert_data),
				       CURL_BLOB_COPY };

		curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &b);
		curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
	} else if (cfg->cert_file) {
		curl_easy_setopt(e, CURLOPT_SSLCERT, cfg->cert_file);
		curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
	}
	if (cfg->key_data) {
		struct curl_blob b = { cfg->key_data, strlen(cfg->key_data),
				       CURL_BLOB_COPY };

		curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &b);
		curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	} else if (cfg->key_file) {
		curl_easy_setopt(e, CURLOPT_SSLKEY, cfg->key_file);
		curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	}
}

static size_t
write_buf(char *p, size_t size, size_t n, void *ud)
{
	ml_buf_add(ud, p, size * n);
	return size * n;
}

/*
 * One synchronous request. On success (2xx) *ret_body holds the body.
 * Otherwise sets the message "METHOD PATH: ..." and returns -errno.
 */
static int
request(struct ml_k8s *c, const char *method, const char *path, const char *url,
	const char *accept, const char *content_type, const char *body,
	struct ml_buf *ret_body)
{
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *h = NULL;
	ml_autofree char *ah = NULL, *ch = NULL;
	ml_autofree char *text = NULL;
	CURL *e = c->easy;
	long status = 0;
	CURLcode rc;
	int r;

	curl_easy_reset(e);
	setup_easy(c, e, url, errbuf);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	if (accept) {
		ah = ml_xasprintf("Accept: %s", accept);
		h = curl_slist_append(h, ah);
	}
	if (content_type) {
		ch = ml_xasprintf("Content-Type: %s", content_type);
		h = curl_slist_append(h, ch);
	}
	if (c->auth)
		h = curl_slist_append(h, c->auth);
	/* curl waits a second for "100 Continue" on large bodies otherwise. */
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	if (body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)strlen(body));
	} else if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	}
	ml_buf_clear(ret_body);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_buf);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, ret_body);
	rc = curl_easy_perform(e);
	/* The slist must outlive the transfer only. */
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	if (rc != CURLE_OK) {
		r = curl_failure(c, rc, errbuf, c->timeout_ms, &text);
		return ml_err(r, "%s %s: %s", method, path, text);
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		text = http_failure(status, ret_body);
		return ml_err(status_errno(status), "%s %s: %s", method, path,
			      text);
	}
	return 0;
}

/* request() whose answer is JSON; *ret may be NULL. */
static int
request_json(struct ml_k8s *c, const char *method, const char *path,
	     const char *url, const char *accept, const char *content_type,
	     const char *body, struct json_object **ret)
{
	struct ml_buf b = { 0 };
	struct json_object *obj;
	int r;

	r = request(c, method, path, url, accept ? accept : "application/json",
		    content_type, body, &b);
	if (r < 0)
		goto out;
	obj = parse_json(b.p ? b.p : "", b.len);
	if (!obj) {
		r = ml_err(-EBADMSG, "%s %s: the answer from %s is not JSON",
			   method, path, c->base);
		goto out;
	}
	/* Every API answer is an object; callers rely on that. */
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		r = ml_err(-EBADMSG,
			   "%s %s: the answer from %s is not a JSON object",
			   method, path, c->base);
		goto out;
	}
	if (ret)
		*ret = obj;
	else
		json_object_put(obj);
out:
	ml_buf_release(&b);
	return r;
}

/* request_json() of path as it is, with no query of the client's. */
static int
call(struct ml_k8s *c, const char *method, const char *path,
     const char *content_type, const char *body, struct json_object **ret)
{
	ml_autofree char *url = make_url(c, path, NULL);

	return request_json(c, method, path, url, NULL, content_type, body,
			    ret);
}

int
ml_k8s_get(struct ml_k8s *c, const char *path, struct json_object **ret)
{
	return call(c, "GET", path, NULL, NULL, ret);
}

/* The query of one list page. Caller frees. */
static char *
list_query(const struct ml_k8s *c, bool table, long limit, const char *cont)
{
	ml_autofree char *esc = NULL;
	char *q;

	if (cont && *cont) {
		char *e = curl_easy_escape(c->easy, cont, 0);

		esc = ml_xstrdup(e ? e : "");
		curl_free(e);
	}
	q = ml_xasprintf("%s", table ? "includeObject=Metadata" : "");
	if (limit > 0) {
		char *n =
			ml_xasprintf("%s%slimit=%ld", q, *q ? "&" : "", limit);

		free(q);
		q = n;
	}
	if (esc) {
		char *n =
			ml_xasprintf("%s%scontinue=%s", q, *q ? "&" : "", esc);

		free(q);
		q = n;
	}
	return q;
}

int
ml_k8s_list(struct ml_k8s *c, const char *path, bool table, long limit,
	    const char *cont, struct json_object **ret)
{
	ml_autofree char *q = list_query(c, table, limit, cont);
	ml_autofree char *url = make_url(c, path, "%s", q);

	return request_json(c, "GET", path, url,
			    table ? TABLE_ACCEPT : "application/json", NULL,
			    NULL, ret);
}

int
ml_k8s_delete(struct ml_k8s *c, const char *path, const char *body)
{
	return call(c, "DELETE", path, body ? "application/json" : NULL, body,
		    NULL);
}

int
ml_k8s_patch(struct ml_k8s *c, const char *path, const char *content_type,
	     const char *body, struct json_object **ret)
{
	return call(c, "PATCH", path, content_type, body, ret);
}

int
ml_k8s_scale(struct ml_k8s *c, const char *ns, const char *deployment,
	     int replicas)
{
	ml_autofree char *path = NULL, *body = NULL;

	if (replicas < 0)
		return ml_err(-EINVAL,
			      "cannot scale deployment '%s' to %d replicas",
			      deployment, replicas);
	path = ml_xasprintf("/apis/apps/v1/namespaces/%s/deployments/%s/scale",
			    ns, deployment);
	body = ml_xasprintf("{\"spec\":{\"replicas\":%d}}", replicas);
	return ml_k8s_patch(c, path, "application/merge-patch+json", body,
			    NULL);
}

int
ml_k8s_create(struct ml_k8s *c, const char *path, const char *json,
	      struct json_object **ret)
{
	return call(c, "POST", path, "application/json", json, ret);
}

int
ml_k8s_apply(struct ml_k8s *c, const char *path, const char *body,
	     struct json_object **ret)
{
	ml_autofree char *url =
		make_url(c, path, "fieldManager=" FIELD_MANAGER "&force=true");

	return request_json(c, "PATCH", path, url, NULL,
			    "application/apply-patch+yaml", body, ret);
}

int
ml_k8s_get_text(struct ml_k8s *c, const char *path, char **ret_text)
{
	ml_autofree char *url = make_url(c, path, NULL);
	struct ml_buf b = { 0 };
	int r;

	r = request(c, "GET", path, url, NULL, NULL, NULL, &b);
	if (r < 0) {
		ml_buf_release(&b);
		return r;
	}
	*ret_text = b.p ? b.p : ml_xstrdup("");
	return 0;
}

/* The log path with its query. Caller frees. */
static char *
log_path(const char *ns, const char *pod, const char *container,
	 long tail_lines, bool follow)
{
	ml_autofree char *tail = NULL, *ctr = NULL;

	if (tail_lines >= 0)
		tail = ml_xasprintf("&tailLines=%ld", tail_lines);
	if (container)
		ctr = ml_xasprintf("&container=%s", container);
	return ml_xasprintf("/api/v1/namespaces/%s/pods/%s/log?follow=%s%s%s",
			    ns, pod, follow ? "true" : "false", ctr ? ctr : "",
			    tail ? tail : "");
}

int
ml_k8s_logs(struct ml_k8s *c, const char *ns, const char *pod,
	    const char *container, long tail_lines, char **ret_text)
{
	ml_autofree char *path =
		log_path(ns, pod, container, tail_lines, false);

	return ml_k8s_get_text(c, path, ret_text);
}

/* --- merging list pages -----------------------------------------------------
 */

/* Appends page's items (or a Table's rows) to *acc, or makes it *acc. */
static void
merge_page(struct json_object **acc, struct json_object *page)
{
	const char *key = jget(page, "rows") ? "rows" : "items";
	struct json_object *from, *to, *meta;

	/* Only objects get here; ml_k8s_read_list() must not crash either. */
	if (!json_object_is_type(page, json_type_object))
		return;
	if (!*acc) {
		*acc = json_object_get(page);
	} else {
		from = jget(page, key);
		to = jget(*acc, key);
		if (!to || !json_object_is_type(to, json_type_array)) {
			to = json_object_new_array();
			json_object_object_add(*acc, key, to);
		}
		for (size_t i = 0;
		     from && json_object_is_type(from, json_type_array) &&
		     i < json_object_array_length(from);
		     i++)
			json_object_array_add(
				to,
				json_object_get(
					json_object_array_get_idx(from, i)));
		/* Every page shares the snapshot; keep the last one's word. */
		if (jstr(jget(page, "metadata"), "resourceVersion")) {
			meta = jget(*acc, "metadata");
			if (!json_object_is_type(meta, json_type_object)) {
				meta = json_object_new_object();
				json_object_object_add(*acc, "metadata", meta);
			}
			json_object_object_add(meta, "resourceVersion",
					       json_object_new_string(
						       jstr(jget(page,
								 "metadata"),
							    "resourceVersion")));
		}
	}
	meta = jget(*acc, "metadata");
	if (json_object_is_type(meta, json_type_object))
		json_object_object_del(meta, "continue");
}

/* --- streams -----------------------------------------------------------------
 */

static void
enqueue(struct ml_k8s_watch *w, enum ml_k8s_event_type type,
	struct json_object *obj, const char *text)
{
	if (w->nq == w->capq) {
		w->capq = w->capq ? w->capq * 2 : 8;
		w->q = ml_xrealloc(w->q, w->capq * sizeof(*w->q));
	}
	w->q[w->nq++] = (struct qev){ type, obj ? json_object_get(obj) : NULL,
				      xstrdup_null(text) };
}

static void
queue_clear(struct ml_k8s_watch *w)
{
	for (size_t i = 0; i < w->nq; i++) {
		if (w->q[i].obj)
			json_object_put(w->q[i].obj);
		free(w->q[i].text);
	}
	w->nq = 0;
}

static void
detach(struct ml_k8s_watch *w)
{
	if (w->in_multi) {
		curl_multi_remove_handle(w->c->multi, w->easy);
		w->in_multi = false;
	}
	curl_slist_free_all(w->hdrs);
	w->hdrs = NULL;
}

static void
watch_destroy(struct ml_k8s_watch *w)
{
	struct ml_k8s_watch **pp;

	for (pp = &w->c->watches; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	detach(w);
	if (w->easy)
		curl_easy_cleanup(w->easy);
	queue_clear(w);
	free(w->q);
	ml_buf_release(&w->body);
	ml_k8s_stream_release(&w->stream);
	if (w->acc)
		json_object_put(w->acc);
	if (w->page)
		json_object_put(w->page);
	free(w->cont);
	free(w->rv);
	free(w->watch_error);
	free(w->path);
	free(w);
}

void
ml_k8s_watch_stop(struct ml_k8s_watch *w)
{
	if (!w)
		return;
	if (w->c->in_poll > 0) {
		/* Inside a callback: ml_k8s_poll() frees it on its way out. */
		w->dead = true;
		detach(w);
		return;
	}
	watch_destroy(w);
}

static void
on_stream_item(struct json_object *obj, const char *text, void *ud)
{
	struct ml_k8s_watch *w = ud;
	const char *type, *rv;
	struct json_object *o;

	if (w->logs) {
		enqueue(w, ML_K8S_LOG_LINE, NULL, text);
		return;
	}
	type = jstr(obj, "type");
	o = jget(obj, "object");
	if (!type || !json_object_is_type(o, json_type_object))
		return;
	if (strcmp(type, "ERROR") == 0) {
		struct json_object *code = jget(o, "code");

		/* A Status's code is a number; "410" as a string is not 410. */
		if (!json_object_is_type(code, json_type_int))
			code = NULL;
		if (code && json_object_get_int(code) == 410) {
			w->gone = true;
		} else if (!w->watch_error) {
			const char *msg = jstr(o, "message");

			w->watch_error =
				ml_xasprintf("watch %s: %d %s", w->path,
					     code ? json_object_get_int(code)
						  : 0,
					     msg ? msg : "error event");
		}
		return;
	}
	rv = resource_version(o);
	if (rv)
		set_str(&w->rv, rv);
	if (strcmp(type, "ADDED") == 0)
		enqueue(w, ML_K8S_ADDED, o, NULL);
	else if (strcmp(type, "MODIFIED") == 0)
		enqueue(w, ML_K8S_MODIFIED, o, NULL);
	else if (strcmp(type, "DELETED") == 0)
		enqueue(w, ML_K8S_DELETED, o, NULL);
	else if (strcmp(type, "BOOKMARK") == 0)
		enqueue(w, ML_K8S_BOOKMARK, o, NULL);
}

/* The one object of a list page's body. */
static void
on_list_page(struct json_object *obj, const char *text, void *ud)
{
	struct ml_k8s_watch *w = ud;

	(void)text;
	if (w->page)
		json_object_put(w->page);
	w->page = json_object_get(obj);
}

static size_t
stream_write(char *p, size_t size, size_t n, void *ud)
{
	struct ml_k8s_watch *w = ud;
	size_t len = size * n;

	if (w->status == 0)
		curl_easy_getinfo(w->easy, CURLINFO_RESPONSE_CODE, &w->status);
	if (w->state == W_WATCHING && w->status == 200 && !w->stream_err) {
		if (ml_k8s_stream_feed(&w->stream, p, len, on_stream_item, w) <
		    0) {
			/* The message ml_err() set is the reason. */
			w->stream_err = 1;
			set_str(&w->watch_error, ml_err_msg());
			return 0; /* ends the transfer */
		}
		return len;
	}
	if (w->state == W_LISTING && w->status == 200) {
		/*
		 * A list page: parsed chunk by chunk as it arrives, so that
		 * its text is never held whole next to its tree.
		 */
		if (!w->stream_err && ml_k8s_stream_feed(&w->stream, p, len,
							 on_list_page, w) < 0) {
			w->stream_err = 1;
			set_str(&w->watch_error, ml_err_msg());
			return 0;
		}
		return len;
	}
	/* An error body (kept short). */
	if (w->body.len < 64 * 1024)
		ml_buf_add(&w->body, p, len);
	return len;
}

static size_t
stream_header(char *p, size_t size, size_t n, void *ud)
{
	struct ml_k8s_watch *w = ud;
	size_t len = size * n;

	/* The blank line that ends the headers. */
	if ((len == 2 && p[0] == '\r') || (len == 1 && p[0] == '\n')) {
		curl_easy_getinfo(w->easy, CURLINFO_RESPONSE_CODE, &w->status);
		/* 204: a followed log of a pod not scheduled yet. */
		if ((w->status == 200 || (w->logs && w->status == 204)) &&
		    !w->connected) {
			w->connected = true;
			w->backoff_ms = BACKOFF_MIN_MS;
			enqueue(w, ML_K8S_CONNECTED, NULL, NULL);
		}
	}
	return len;
}

/* Starts a transfer of url for w; state is what it is for. */
static int
start_transfer(struct ml_k8s_watch *w, enum wstate state, const char *url,
	       const char *accept, long timeout_ms)
{
	struct ml_k8s *c = w->c;
	ml_autofree char *ah = NULL;

	detach(w);
	w->state = state;
	w->status = 0;
	w->stream_err = 0;
	w->gone = false;
	free(w->watch_error);
	w->watch_error = NULL;
	if (w->page)
		json_object_put(w->page);
	w->page = NULL;
	ml_buf_clear(&w->body);
	ml_k8s_stream_reset(&w->stream);
	w->started_ms = ml_now_ms();
	curl_easy_reset(w->easy);
	setup_easy(c, w->easy, url, w->errbuf);
	curl_easy_setopt(w->easy, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(w->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(w->easy, CURLOPT_WRITEFUNCTION, stream_write);
	curl_easy_setopt(w->easy, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(w->easy, CURLOPT_HEADERFUNCTION, stream_header);
	curl_easy_setopt(w->easy, CURLOPT_HEADERDATA, w);
	curl_easy_setopt(w->easy, CURLOPT_PRIVATE, w);
	if (accept) {
		ah = ml_xasprintf("Accept: %s", accept);
		w->hdrs = curl_slist_append(w->hdrs, ah);
	}
	if (c->auth)
		w->hdrs = curl_slist_append(w->hdrs, c->auth);
	curl_easy_setopt(w->easy, CURLOPT_HTTPHEADER, w->hdrs);
	if (curl_multi_add_handle(c->multi, w->easy) != CURLM_OK)
		return ml_err(-EIO, "cannot start a transfer of %s", url);
	w->in_multi = true;
	return 0;
}

static int
start_list_page(struct ml_k8s_watch *w)
{
	long limit = watch_page_size(w->c, !w->cont);
	ml_autofree char *q = NULL, *url = NULL;

	q = list_query(w->c, w->table, limit, w->cont);
	url = make_url(w->c, w->path, "%s", q);

	return start_transfer(w, W_LISTING, url,
			      w->table ? TABLE_ACCEPT : "application/json",
			      w->c->timeout_ms);
}

static int
start_relist(struct ml_k8s_watch *w)
{
	if (w->acc)
		json_object_put(w->acc);
	w->acc = NULL;
	w->first_page = true;
	set_str(&w->cont, NULL);
	return start_list_page(w);
}

static int
start_watch(struct ml_k8s_watch *w)
{
	ml_autofree char *url = NULL;

	if (w->logs) {
		url = make_url(w->c, w->path, NULL);
		return start_transfer(w, W_WATCHING, url, NULL, 0);
	}
	url = make_url(w->c, w->path,
		       "watch=1&allowWatchBookmarks=true&timeoutSeconds=%d%s%s%s",
		       WATCH_SERVER_TIMEOUT_S,
		       w->table ? "&includeObject=Metadata" : "",
		       w->rv ? "&resourceVersion=" : "", w->rv ? w->rv : "");
	return start_transfer(w, W_WATCHING, url,
			      w->table ? TABLE_ACCEPT : "application/json",
			      (WATCH_SERVER_TIMEOUT_S + 30) * 1000L);
}

/* The stream broke: report it (once per outage) and retry later. */
static void
fail(struct ml_k8s_watch *w, const char *reason)
{
	ml_log_debug("%s: %s", __func__, reason);
	detach(w);
	if (w->logs) {
		enqueue(w, ML_K8S_DISCONNECTED, NULL, reason);
		w->state = W_DONE;
		return;
	}
	if (w->connected || !w->ever_failed)
		enqueue(w, ML_K8S_DISCONNECTED, NULL, reason);
	w->connected = false;
	w->ever_failed = true;
	w->state = W_BACKOFF;
	w->retry_at_ms = ml_now_ms() + w->backoff_ms;
	w->backoff_ms = w->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
							   : w->backoff_ms * 2;
}

/* Starts st's transfer; a failure to even start counts as a failed one. */
static void
start_or_fail(struct ml_k8s_watch *w, int (*start)(struct ml_k8s_watch *))
{
	if (start(w) < 0)
		fail(w, ml_err_msg());
}

/*
 * Takes page, one page of w's list: delivers it (paged) or adds it to the
 * relist (merged), then asks for the next page or, after the last one,
 * starts watching from its resourceVersion.
 */
static void
list_page_take(struct ml_k8s_watch *w, struct json_object *page)
{
	const char *next = jstr(jget(page, "metadata"), "continue");

	set_str(&w->cont, next && *next ? next : NULL);
	if (!w->cont)
		set_str(&w->rv,
			jstr(jget(page, "metadata"), "resourceVersion"));
	if (w->c->page_size > 0) {
		enqueue(w, w->first_page ? ML_K8S_RELISTED : ML_K8S_LISTED_MORE,
			page, NULL);
		w->first_page = false;
	} else {
		merge_page(&w->acc, page);
	}
	json_object_put(page);
	if (w->cont) {
		start_or_fail(w, start_list_page);
		return;
	}
	if (w->acc) {
		enqueue(w, ML_K8S_RELISTED, w->acc, NULL);
		json_object_put(w->acc);
		w->acc = NULL;
	}
	enqueue(w, ML_K8S_LIST_DONE, NULL, NULL);
	start_or_fail(w, start_watch);
}

static void
list_page_done(struct ml_k8s_watch *w)
{
	struct json_object *page = w->page;

	w->page = NULL;
	if (ml_k8s_stream_finish(&w->stream, NULL, NULL) < 0 ||
	    !json_object_is_type(page, json_type_object)) {
		ml_autofree char *why = ml_xasprintf(
			"list %s: the answer from %s is not a JSON object",
			w->path, w->c->base);

		json_object_put(page);
		fail(w, why);
		return;
	}
	list_page_take(w, page);
}

/* A transfer of w ended with rc. */
static void
transfer_done(struct ml_k8s_watch *w, CURLcode rc)
{
	ml_autofree char *why = NULL;
	bool quick;

	detach(w);
	if (w->status == 0)
		curl_easy_getinfo(w->easy, CURLINFO_RESPONSE_CODE, &w->status);
	if (w->watch_error) {
		fail(w, w->watch_error);
		return;
	}
	if (rc != CURLE_OK) {
		char *text;

		curl_failure(w->c, rc, w->errbuf, 0, &text);
		why = ml_xasprintf("%s %s: %s",
				   w->state == W_LISTING ? "list" : "watch",
				   w->path, text);
		free(text);
		fail(w, why);
		return;
	}
	if (w->status == 410 && !w->logs) {
		/* An expired continue token or resourceVersion. */
		start_or_fail(w, start_relist);
		return;
	}
	if (w->status != 200 && !(w->logs && w->status == 204)) {
		ml_autofree char *text = http_failure(w->status, &w->body);

		why = ml_xasprintf("%s %s: %s",
				   w->state == W_LISTING ? "list" : "watch",
				   w->path, text);
		fail(w, why);
		return;
	}
	if (w->state == W_LISTING) {
		list_page_done(w);
		return;
	}
	if (w->logs) {
		ml_k8s_stream_finish(&w->stream, on_stream_item, w);
		fail(w, "end of log");
		return;
	}
	if (w->gone) {
		start_or_fail(w, start_relist);
		return;
	}
	/*
	 * A clean end: the server's timeoutSeconds, or a server shutting
	 * down. Resume at once, unless streams keep ending right away.
	 */
	quick = ml_now_ms() - w->started_ms < 1000;
	if (quick) {
		why = ml_xasprintf("watch %s: %s closed the stream", w->path,
				   w->c->base);
		fail(w, why);
		return;
	}
	start_or_fail(w, start_watch);
}

static struct ml_k8s_watch *
watch_new(struct ml_k8s *c, const char *path, bool table, bool logs,
	  ml_k8s_event_fn fn, void *ud)
{
	struct ml_k8s_watch *w = ml_xcalloc(1, sizeof(*w));

	w->c = c;
	w->path = ml_xstrdup(path);
	w->table = table;
	w->logs = logs;
	w->fn = fn;
	w->ud = ud;
	w->backoff_ms = BACKOFF_MIN_MS;
	w->easy = curl_easy_init();
	if (!w->easy)
		ml_oom();
	ml_k8s_stream_init(&w->stream,
			   logs ? ML_K8S_STREAM_LINES : ML_K8S_STREAM_JSON);
	w->next = c->watches;
	c->watches = w;
	return w;
}

/* Starts w's watch; on failure w is gone. */
static int
watch_begin(struct ml_k8s_watch *w, struct ml_k8s_watch **ret)
{
	int r = start_watch(w);

	if (r < 0) {
		watch_destroy(w);
		return r;
	}
	if (ret)
		*ret = w;
	return 0;
}

int
ml_k8s_watch(struct ml_k8s *c, const char *path, bool table, ml_k8s_event_fn fn,
	     void *ud, struct ml_k8s_watch **ret)
{
	struct json_object *page;
	struct ml_k8s_watch *w;
	int r;

	/* The first page, synchronously: a bad path is this call's error. */
	r = ml_k8s_list(c, path, table, watch_page_size(c, true), NULL, &page);
	if (r < 0)
		return r;
	w = watch_new(c, path, table, false, fn, ud);
	w->connected = true;
	w->first_page = true;
	enqueue(w, ML_K8S_CONNECTED, NULL, NULL);
	/* Starts the next page's transfer, or the watch after the last. */
	list_page_take(w, page);
	if (w->state == W_BACKOFF) {
		/* Not even started: as before, the caller hears of it. */
		r = ml_err(-EIO, "cannot start watching %s", path);
		watch_destroy(w);
		return r;
	}
	if (ret)
		*ret = w;
	return 0;
}

int
ml_k8s_watch_from(struct ml_k8s *c, const char *path, bool table,
		  const char *resource_version, ml_k8s_event_fn fn, void *ud,
		  struct ml_k8s_watch **ret)
{
	struct ml_k8s_watch *w = watch_new(c, path, table, false, fn, ud);

	set_str(&w->rv, resource_version);
	return watch_begin(w, ret);
}

int
ml_k8s_follow_logs(struct ml_k8s *c, const char *ns, const char *pod,
		   const char *container, long tail_lines, ml_k8s_event_fn fn,
		   void *ud, struct ml_k8s_watch **ret)
{
	ml_autofree char *path = log_path(ns, pod, container, tail_lines, true);
	struct ml_k8s_watch *w = watch_new(c, path, false, true, fn, ud);

	return watch_begin(w, ret);
}

int
ml_k8s_get_stream(struct ml_k8s *c, const char *path, ml_k8s_event_fn fn,
		  void *ud, struct ml_k8s_watch **ret)
{
	return watch_begin(watch_new(c, path, false, true, fn, ud), ret);
}

/* Delivers the queued events; returns how many. */
static int
dispatch(struct ml_k8s *c)
{
	int n = 0;

	for (struct ml_k8s_watch *w = c->watches; w; w = w->next) {
		/* The callback may queue more (none today) or stop w. */
		for (size_t i = 0; i < w->nq && !w->dead; i++) {
			struct ml_k8s_event ev = { w->q[i].type, w->q[i].obj,
						   w->q[i].text };

			w->fn(&ev, w->ud);
			n++;
		}
		queue_clear(w);
	}
	return n;
}

static void
reap(struct ml_k8s *c)
{
	struct ml_k8s_watch *w = c->watches, *next;

	for (; w; w = next) {
		next = w->next;
		if (w->dead)
			watch_destroy(w);
	}
}

static bool
has_queued(const struct ml_k8s *c)
{
	for (const struct ml_k8s_watch *w = c->watches; w; w = w->next)
		if (w->nq > 0 && !w->dead)
			return true;
	return false;
}

int
ml_k8s_poll(struct ml_k8s *c, int timeout_ms, int extra_fd)
{
	int64_t deadline = ml_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int delivered = 0, r = 0;

	c->in_poll++;
	for (;;) {
		struct curl_waitfd wfd = { extra_fd, CURL_WAIT_POLLIN, 0 };
		int64_t now = ml_now_ms(), wait;
		CURLMsg *msg;
		int running, left;
		CURLMcode mc;

		for (struct ml_k8s_watch *w = c->watches; w; w = w->next)
			if (!w->dead && w->state == W_BACKOFF &&
			    w->retry_at_ms <= now)
				start_or_fail(w, start_relist);
		mc = curl_multi_perform(c->multi, &running);
		if (mc != CURLM_OK) {
			r = ml_err(-EIO, "watching %s failed: %s", c->base,
				   curl_multi_strerror(mc));
			break;
		}
		while ((msg = curl_multi_info_read(c->multi, &left))) {
			struct ml_k8s_watch *w = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
					  (char **)&w);
			if (w && !w->dead)
				transfer_done(w, msg->data.result);
		}
		if (has_queued(c)) {
			delivered += dispatch(c);
			break;
		}
		now = ml_now_ms();
		if (now >= deadline)
			break;
		wait = deadline - now;
		for (struct ml_k8s_watch *w = c->watches; w; w = w->next)
			if (!w->dead && w->state == W_BACKOFF &&
			    w->retry_at_ms - now < wait)
				wait = w->retry_at_ms - now > 0
					       ? w->retry_at_ms - now
					       : 0;
		mc = curl_multi_poll(c->multi, extra_fd >= 0 ? &wfd : NULL,
				     extra_fd >= 0 ? 1 : 0, (int)wait, NULL);
		if (mc != CURLM_OK) {
			r = ml_err(-EIO, "watching %s failed: %s", c->base,
				   curl_multi_strerror(mc));
			break;
		}
		if (extra_fd >= 0 &&
		    (wfd.revents & (POLLIN | POLLHUP | POLLERR)))
			break;
	}
	c->in_poll--;
	if (c->in_poll == 0)
		reap(c);
	return r < 0 ? r : delivered;
}

/* --- the readers alone ------------------------------------------------------
 */

int
ml_k8s_read_list(const char *const *pages, size_t n, struct json_object **ret)
{
	struct json_object *acc = NULL;

	for (size_t i = 0; i < n; i++) {
		struct json_object *page =
			parse_json(pages[i], strlen(pages[i]));

		if (!json_object_is_type(page, json_type_object)) {
			json_object_put(page);
			json_object_put(acc);
			return ml_err(-EBADMSG,
				      "list page %zu is not a JSON object", i);
		}
		merge_page(&acc, page);
		json_object_put(page);
	}
	if (!acc)
		acc = json_object_new_object();
	*ret = acc;
	return 0;
}

int
ml_k8s_read_watch(const char *data, size_t len, bool logs, ml_k8s_event_fn fn,
		  void *ud)
{
	struct ml_k8s_watch w = { .logs = logs, .path = "(test)" };
	int r, n;

	ml_k8s_stream_init(&w.stream,
			   logs ? ML_K8S_STREAM_LINES : ML_K8S_STREAM_JSON);
	r = ml_k8s_stream_feed(&w.stream, data, len, on_stream_item, &w);
	if (r >= 0)
		r = ml_k8s_stream_finish(&w.stream, on_stream_item, &w);
	for (size_t i = 0; fn && r >= 0 && i < w.nq; i++) {
		struct ml_k8s_event ev = { w.q[i].type, w.q[i].obj,
					   w.q[i].text };

		fn(&ev, ud);
	}
	n = (int)w.nq;
	queue_clear(&w);
	free(w.q);
	free(w.rv);
	free(w.watch_error);
	ml_k8s_stream_release(&w.stream);
	return r < 0 ? r : n;
}

/* --- for the upgraded streams (kube/k8s_ws.c) ------------------------------
 */

const char *
ml_k8s_setup_curl(struct ml_k8s *c, void *e, const char *path, char *errbuf)
{
	ml_autofree char *url = make_url(c, path, NULL);

	setup_easy(c, e, url, errbuf);
	return c->auth;
}

const char *
ml_k8s_server(const struct ml_k8s *c)
{
	return c->base;
}

int
ml_k8s_fail(const struct ml_k8s *c, const char *method, const char *path,
	    int curlcode, const char *errbuf, long status, const char *body,
	    size_t len)
{
	ml_autofree char *text = NULL;
	struct ml_buf b = { 0 };
	int r;

	if (curlcode != CURLE_OK) {
		r = curl_failure(c, (CURLcode)curlcode, errbuf,
				 CONNECT_TIMEOUT_MS, &text);
		return ml_err(r, "%s %s: %s", method, path, text);
	}
	if (len)
		ml_buf_add(&b, body, len);
	text = http_failure(status, &b);
	ml_buf_release(&b);
	return ml_err(status_errno(status), "%s %s: %s", method, path, text);
}
