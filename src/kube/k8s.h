/*
 * kube/k8s.h: a Kubernetes API client in C (libcurl, json-c).
 *
 * One client talks to one API server, chosen from a kubeconfig context.
 * Requests are synchronous with bounded timeouts; watches are streams
 * driven by ml_k8s_poll(), so that a terminal UI can wait on its keyboard
 * and on every watch at once. Every failure sets one message through
 * ml_err() that carries the HTTP status and the API's Status message when
 * there is one, e.g. "GET /api/v1/namespaces/x: 404 Not Found: namespaces
 * \"x\" not found".
 *
 * Paths are API paths such as "/api/v1/pods" or
 * "/apis/apps/v1/namespaces/default/deployments/web"; they may carry a
 * query ("/api/v1/pods?labelSelector=app%3Dweb"), to which the client adds
 * its own parameters with '&'.
 *
 * Errors (-errno, message set): HTTP statuses map to 400 and 422 -EINVAL,
 * 401 -EACCES, 403 -EPERM, 404 -ENOENT, 405 -EOPNOTSUPP, 409 -EEXIST
 * (exists, or a conflicting update), 410 -ESTALE, 413 -E2BIG, 429 and 503
 * -EAGAIN, 500 -EIO, 504 -ETIMEDOUT, any other -EPROTO. Transport failures
 * name the server: -ETIMEDOUT ("no answer from https://... within N ms"),
 * -ECONNREFUSED, -EHOSTUNREACH, -EPROTO for TLS ("TLS with https://...
 * failed: ..."), -EIO otherwise; -EBADMSG for an answer that is not JSON.
 * Connecting is bounded by 5 s, each request by its timeout (10 s
 * default).
 *
 * Changes to the first draft of this contract (all compatible):
 * - ml_k8s_watch_from(): a watch from a known resourceVersion, no list.
 * - ml_k8s_watch() lists synchronously, so a bad path or an unreachable
 *   server is its error; the events all come from ml_k8s_poll().
 * - The order of stream events is spelled out at ml_k8s_watch().
 * - A followed log does not reconnect (lines would repeat): its end, or
 *   its failure, is one DISCONNECTED event, and the stream is over.
 * - ml_k8s_config_load() reads user.tokenFile too and refuses nothing for
 *   insecure-skip-tls-verify: verification stays on.
 * - ml_k8s_get_text(): a GET whose answer is not JSON (/readyz).
 * - ml_k8s_config_incluster(): a pod's own configuration, for the
 *   programs of src/guest/.
 * - ml_k8s_set_page_size(): a watch's list delivered page by page
 *   (RELISTED, LISTED_MORE..., LIST_DONE) as each page arrives; LIST_DONE
 *   follows every list, paged or not.
 */
#ifndef ML_K8S_H
#define ML_K8S_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct ml_k8s;	     /* a client */
struct ml_k8s_watch; /* one open watch */

/* Where and how to connect; every string owned by the struct. */
struct ml_k8s_config {
	char *context;	 /* the kubeconfig context used */
	char *server;	 /* https://HOST:PORT */
	char *namespace; /* the context's namespace, or "default" */
	char *ca_file;	 /* PEM file, or NULL */
	char *ca_data; /* PEM text (decoded certificate-authority-data), or NULL
			*/
	char *cert_file, *cert_data;
	char *key_file, *key_data;
	char *token; /* bearer token (or tokenFile's content), or NULL */
};

/*
 * Reads context (NULL: the current-context) from the kubeconfig at path
 * (NULL: $KUBECONFIG's first file, else ~/.kube/config). Relative paths in
 * the file are resolved against its directory. Returns 0 or -errno with a
 * message naming the file and the context.
 */
int ml_k8s_config_load(const char *path, const char *context,
		       struct ml_k8s_config **ret);
struct ml_k8s_config *ml_k8s_config_free(struct ml_k8s_config *cfg);

/* Where a pod finds its service account's token, CA and namespace. */
#define ML_K8S_SERVICEACCOUNT_DIR \
	"/var/run/secrets/kubernetes.io/serviceaccount"

/*
 * The configuration of a program running in a pod: the API server from
 * KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT, the token, CA and
 * namespace ("default" when the file is missing) from sa_dir (NULL: the
 * service account's ML_K8S_SERVICEACCOUNT_DIR; tests give a directory of
 * their own). Fails with -ENOENT, saying to give --kubeconfig, outside a
 * pod, and with the error of reading the token file. *ret: caller frees
 * with ml_k8s_config_free().
 */
int ml_k8s_config_incluster(const char *sa_dir, struct ml_k8s_config **ret);

/*
 * A client for cfg (copied). TLS verification is always on. Fails with
 * -EINVAL for a server that is not https:// or a certificate without its
 * key, -errno naming the file for a CA, certificate or key file that cannot
 * be read.
 */
int ml_k8s_new(const struct ml_k8s_config *cfg, struct ml_k8s **ret);
struct ml_k8s *ml_k8s_free(struct ml_k8s *c); /* closes its watches too */

/* Request timeout in ms for non-watch calls (default 10000). */
void ml_k8s_set_timeout(struct ml_k8s *c, long timeout_ms);

/*
 * page_size > 0: the lists behind this client's watches come in pages of
 * page_size objects, each delivered as soon as it has arrived (see
 * ml_k8s_watch()), so that no list is ever held whole. 0 (the default):
 * a watch fetches its list in pages of 500 but delivers it merged, as one
 * RELISTED, for consumers that want the whole list at once (the programs
 * of src/guest/).
 */
void ml_k8s_set_page_size(struct ml_k8s *c, long page_size);

/* GET path as JSON. *ret is the parsed body (caller puts). */
int ml_k8s_get(struct ml_k8s *c, const char *path, struct json_object **ret);

/* GET path whose answer is text, such as "/readyz" ("ok"). *ret_text:
 * caller frees. */
int ml_k8s_get_text(struct ml_k8s *c, const char *path, char **ret_text);

/*
 * One page of a list: limit 0 means no limit; cont is the continue token
 * from the previous page or NULL. With table, asks for the server-side
 * Table form (Accept: application/json;as=Table;v=v1;g=meta.k8s.io) with
 * includeObject=Metadata, whose rows carry the cells kubectl prints. *ret
 * is the List or Table; read metadata.continue and
 * metadata.resourceVersion from it.
 */
int ml_k8s_list(struct ml_k8s *c, const char *path, bool table, long limit,
		const char *cont, struct json_object **ret);

/* DELETE path (optionally with a JSON body such as DeleteOptions). */
int ml_k8s_delete(struct ml_k8s *c, const char *path, const char *body);

/* PATCH path with content_type ("application/merge-patch+json",
 * "application/strategic-merge-patch+json", ...); *ret may be NULL. */
int ml_k8s_patch(struct ml_k8s *c, const char *path, const char *content_type,
		 const char *body, struct json_object **ret);

/* Scales a deployment (PATCH of its scale subresource). */
int ml_k8s_scale(struct ml_k8s *c, const char *ns, const char *deployment,
		 int replicas);

/* POST a JSON body (create). *ret may be NULL. */
int ml_k8s_create(struct ml_k8s *c, const char *path, const char *json,
		  struct json_object **ret);

/* Server-side apply: PATCH application/apply-patch+yaml with
 * fieldManager=minilaunch (force true). body is YAML or JSON. */
int ml_k8s_apply(struct ml_k8s *c, const char *path, const char *body,
		 struct json_object **ret);

/* Pod logs: tail_lines < 0 means all. Without follow, *ret_text is the
 * whole text (caller frees). */
int ml_k8s_logs(struct ml_k8s *c, const char *ns, const char *pod,
		const char *container, long tail_lines, char **ret_text);

/* --- streams: watches and followed logs --- */

enum ml_k8s_event_type {
	ML_K8S_ADDED,
	ML_K8S_MODIFIED,
	ML_K8S_DELETED,
	ML_K8S_BOOKMARK,
	ML_K8S_RELISTED,     /* the watch restarted from a fresh list after 410
			      * Gone or a reconnect: obj is the whole List (or
			      * Table); replace what you had */
	ML_K8S_LOG_LINE,     /* a followed log: line in text */
	ML_K8S_CONNECTED,    /* the stream is (re)established */
	ML_K8S_DISCONNECTED, /* the stream broke: text holds the reason;
			      * the client reconnects with backoff by itself */
	ML_K8S_LISTED_MORE,  /* paged: a later page of the list (obj, a List
			      * or Table); add or update its rows */
	ML_K8S_LIST_DONE,    /* the list is complete (obj NULL); watch events
			      * follow from its resourceVersion */
};

struct ml_k8s_event {
	enum ml_k8s_event_type type;
	struct json_object *obj; /* borrowed, valid during the callback */
	const char *text;	 /* borrowed: a log line or a reason */
};

typedef void (*ml_k8s_event_fn)(const struct ml_k8s_event *ev, void *ud);

/*
 * Lists path (as ml_k8s_list with table, all pages), delivers the result as
 * one ML_K8S_RELISTED event (paged, see ml_k8s_set_page_size(): the first
 * page as RELISTED, each later one as LISTED_MORE), then LIST_DONE, then
 * watches from the last page's resourceVersion with
 * allowWatchBookmarks, delivering each event as it arrives (the stream is
 * parsed incrementally, one JSON object per line, chunks split anywhere).
 * On 410 Gone (the HTTP status, or an ERROR event whose Status has code
 * 410) it relists; on a broken connection it reports DISCONNECTED,
 * reconnects with exponential backoff (250 ms to 5 s) and relists. Events
 * are delivered only from inside ml_k8s_poll().
 *
 * The first page is synchronous: its failure is this function's error and
 * no watch is made; later pages are fetched from ml_k8s_poll(), each one
 * parsed as it streams in. Events then come in this order: CONNECTED,
 * RELISTED, LISTED_MORE per later page (paged), LIST_DONE, then
 * ADDED/MODIFIED/DELETED/BOOKMARK as they happen (with table, each
 * event's obj is a one-row Table). After 410 (also one for an expired
 * continue token in the middle of the pages): the list again from its
 * first page, RELISTED, LISTED_MORE..., LIST_DONE. On an
 * outage: one DISCONNECTED (text: the reason) however many retries fail,
 * then CONNECTED, RELISTED (LISTED_MORE...) and LIST_DONE once the server
 * answers again. The server
 * ends every watch after some minutes; it resumes from the last
 * resourceVersion without any event. *ret (may be NULL) is borrowed: it
 * lives until ml_k8s_watch_stop() or ml_k8s_free().
 */
int ml_k8s_watch(struct ml_k8s *c, const char *path, bool table,
		 ml_k8s_event_fn fn, void *ud, struct ml_k8s_watch **ret);

/*
 * Like ml_k8s_watch() without the first list: watches from
 * resource_version (NULL or "0": any; then the server starts with an ADDED
 * per object). The first events are CONNECTED when the server accepts the
 * watch, or DISCONNECTED with the reason when it does not (then it retries
 * as above). A resource_version too old gives RELISTED (a full relist) and
 * the watch goes on from there.
 */
int ml_k8s_watch_from(struct ml_k8s *c, const char *path, bool table,
		      const char *resource_version, ml_k8s_event_fn fn,
		      void *ud, struct ml_k8s_watch **ret);

/*
 * Follows a pod's log (tail_lines < 0: all), one ML_K8S_LOG_LINE per line
 * (without its newline; lines over 64 KiB come in pieces). CONNECTED comes
 * when the server starts the stream. It does not reconnect: the end of the
 * log, or an error such as 400 for a container not started, is one
 * DISCONNECTED whose text is "end of log" or the error; stop it then.
 */
int ml_k8s_follow_logs(struct ml_k8s *c, const char *ns, const char *pod,
		       const char *container, long tail_lines,
		       ml_k8s_event_fn fn, void *ud, struct ml_k8s_watch **ret);

/*
 * GETs path (with its query) in the background: the body comes as
 * ML_K8S_LOG_LINE events, line by line, then one DISCONNECTED whose text
 * is "end of log" when it all came, else the error; as
 * ml_k8s_follow_logs() with any path. For answers the caller must not
 * wait for (a node's stats/summary through the API server's proxy). Stop
 * it after the DISCONNECTED, or to give up.
 */
int ml_k8s_get_stream(struct ml_k8s *c, const char *path, ml_k8s_event_fn fn,
		      void *ud, struct ml_k8s_watch **ret);

/*
 * Stops and frees a watch; safe from inside any callback (no event of it
 * is delivered after this). NULL is ignored.
 */
void ml_k8s_watch_stop(struct ml_k8s_watch *w);

/*
 * Runs the I/O of every open watch for at most timeout_ms, returning early
 * when extra_fd (for example 0, the terminal; -1 for none) becomes
 * readable (or hangs up), or as soon as some events were delivered.
 * Reconnects due are made from here too. Returns the number of events
 * delivered, or -errno. Not reentrant: do not call it from a callback.
 */
int ml_k8s_poll(struct ml_k8s *c, int timeout_ms, int extra_fd);

/*
 * --- the readers alone, for tests and fuzzing ---
 *
 * What the client makes of the API server's answers, run on text in
 * memory: nothing is sent, and no input crashes them (a field of the
 * wrong type is skipped, as if it were missing).
 *
 * ml_k8s_read_list(): the n pages (NUL-terminated JSON texts) merged as a
 * watch merges the pages of a relist (items or a Table's rows appended,
 * the last page's metadata.resourceVersion kept, metadata.continue
 * dropped). *ret: the List, caller puts (an empty object for n == 0).
 * -EBADMSG, "list page N is not a JSON object", when one is not.
 *
 * ml_k8s_read_watch(): data as the whole body of a watch (with logs: of a
 * followed log), framed and read as ml_k8s_poll() does. fn (may be NULL)
 * gets each event a watch would deliver for it, in order; ERROR events
 * deliver none. Returns the number of events, or -EBADMSG (message set)
 * for a body that is not one JSON object after another, or that ends
 * inside one.
 */
int ml_k8s_read_list(const char *const *pages, size_t n,
		     struct json_object **ret);
int ml_k8s_read_watch(const char *data, size_t len, bool logs,
		      ml_k8s_event_fn fn, void *ud);

/*
 * --- for the upgraded streams (kube/k8s_ws.c: exec, port-forward) ---
 *
 * ml_k8s_setup_curl(): sets up e (a libcurl easy handle) as the client sets
 * up every request of its own: the URL (the server and path), TLS
 * verification with the context's CA, its client certificate and key, the
 * proxy rules and the connect timeout. Returns the "Authorization: Bearer
 * ..." header line, or NULL when the context has no token (borrowed: lives
 * as long as c). errbuf: CURL_ERROR_SIZE bytes, kept by e.
 *
 * ml_k8s_server(): "https://HOST:PORT" without a trailing '/' (borrowed).
 *
 * ml_k8s_fail(): sets the message of a failed METHOD PATH as the client's
 * own calls do and returns its -errno: for a transfer that failed
 * (curlcode != 0) or an HTTP status with its body (a Status or text).
 *
 * These read only what ml_k8s_new() fixed, so another thread may call
 * them while the owner of c makes calls of its own.
 */
const char *ml_k8s_setup_curl(struct ml_k8s *c, void *e, const char *path,
			      char *errbuf);
const char *ml_k8s_server(const struct ml_k8s *c);
int ml_k8s_fail(const struct ml_k8s *c, const char *method, const char *path,
		int curlcode, const char *errbuf, long status, const char *body,
		size_t len);

#endif
