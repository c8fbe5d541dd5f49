/*
 * tui/dashboard.c: the dashboard's screen, keys and watches (see
 * dashboard.h).
 *
 * Redraw follows htop's Panel/ScreenManager: every part of the screen
 * (header, title bar, column titles, each body line, the bottom line) has
 * its own dirty state, and render() paints only what is dirty, then calls
 * doupdate() once, and only when it painted something. Body lines remember
 * the generation of the row they show (rows get a new generation whenever
 * their cells change), so a watch event repaints the lines of the rows it
 * touched and nothing else.
 */
#include "config.h"

#include "tui/dashboard.h"
#include "tui/table.h"
#include "tui/yaml.h"
#include "kube/pod_hints.h"
#include "base/util.h"

#include <curses.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <locale.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define HEADER_LINES 3 /* context, status, last error */
#define TITLE_LINE 3   /* the view's title bar */
#define COLS_LINE 4    /* column titles */
#define BODY_TOP 5
#define GAP 3 /* spaces between columns, as kubectl */
#define LOG_TAIL 500

struct view_def {
	const char *name; /* the resource, plural, as in the API path */
	const char *kind;
	const char *aliases[3];
	const char *api; /* "/api/v1" or "/apis/apps/v1" */
	bool namespaced;
};

static const struct view_def views[] = {
	{ "pods", "pod", { "po", "pod", NULL }, "/api/v1", true },
	{ "deployments",
	  "deployment",
	  { "deploy", "deployment", NULL },
	  "/apis/apps/v1",
	  true },
	{ "replicasets",
	  "replicaset",
	  { "rs", "replicaset", NULL },
	  "/apis/apps/v1",
	  true },
	{ "services", "service", { "svc", "service", NULL }, "/api/v1", true },
	{ "configmaps",
	  "configmap",
	  { "cm", "configmap", NULL },
	  "/api/v1",
	  true },
	{ "secrets", "secret", { "sec", "secret", NULL }, "/api/v1", true },
	{ "nodes", "node", { "no", "node", NULL }, "/api/v1", false },
	{ "namespaces",
	  "namespace",
	  { "ns", "namespace", NULL },
	  "/api/v1",
	  false },
	{ "events", "event", { "ev", "event", NULL }, "/api/v1", true },
};

static const char *const help_text[] = {
	"Keys",
	"",
	"  :VIEW      switch view: pods (po), deployments (deploy), replicasets (rs),",
	"             services (svc), configmaps (cm), secrets (sec), nodes (no),",
	"             namespaces (ns), events (ev)",
	"  /TEXT      filter rows as you type (Enter keeps it, Esc clears it)",
	"  0          all namespaces",
	"  n          pick a namespace",
	"  Up Down j k PgUp PgDn g G   move",
	"  1..9       sort by that column; again to reverse",
	"  Enter d    describe the selected object (YAML); v reveals secret values",
	"  l          follow the selected pod's log",
	"  x          delete the selected object (asks first)",
	"  s          scale the selected deployment",
	"  r          refresh: reopen the watch",
	"  ?          this help",
	"  q Esc      back (q in a list quits)",
	"  Q          quit",
	"",
	"Rows: green running or ready, yellow pending, red failed, dim completed.",
	"When the API server is unreachable the header says so and the rows stay",
	"on screen, marked stale, until the watch reconnects by itself.",
};

enum mode { MODE_TABLE, MODE_TEXT, MODE_PICK_NS };
enum prompt {
	PROMPT_NONE,
	PROMPT_CMD,
	PROMPT_FILTER,
	PROMPT_DELETE,
	PROMPT_SCALE
};
enum text_kind { TEXT_HELP, TEXT_DESCRIBE, TEXT_LOGS };

enum { PAIR_OK = 1, PAIR_PENDING, PAIR_FAILED, PAIR_TITLE, PAIR_ERROR };

struct textview {
	enum text_kind kind;
	char *title;
	char **lines;
	size_t n, cap;
	size_t top;
	bool follow;		  /* logs: keep the last line in view */
	struct ml_k8s_watch *log; /* the followed log */
	bool log_broken;
	struct json_object *obj; /* described object */
	bool secret, reveal;
	char *hint; /* a described pod's problem line (kube/pod_hints.h) */
};

struct dash {
	struct ml_k8s *c;
	const struct ml_k8s_config *cfg;
	char *version;
	char *ns; /* NULL: all namespaces */
	const struct view_def *view;
	const struct view_def *back[16]; /* views left with ':' */
	size_t nback;

	struct ml_tui_table *table;
	struct ml_k8s_watch *watch;
	bool loaded, stale;
	long long watch_retry; /* ms timestamp to retry a failed watch, or 0 */

	struct ml_tui_table *nodes;
	struct ml_k8s_watch *nodes_watch;
	long long nodes_retry;
	size_t nodes_total, nodes_ready;

	bool connected;		/* both watches up */
	bool view_up, nodes_up; /* each watch's last state */
	char *conn_reason;
	char *last_error;
	char *message;

	size_t sel, top;
	char *sel_key;
	bool sel_moved; /* the selection or the order changed */
	bool relisted;	/* a whole list arrived: give its memory back */

	enum mode mode;
	enum prompt prompt;
	char input[256];
	size_t input_len;
	char *pending_path; /* object a prompt acts on */
	char *pending_label;

	struct textview text;

	char **ns_names;
	size_t ns_n, ns_sel, ns_top;

	const char *profile; /* NULL: not a profile's cluster, no hints */
	bool offline;
	char *hint_key;		/* the pod row the hint was made for */
	unsigned long hint_gen; /* ... and its generation */
	char *hint; /* "REASON: HINT" for the bottom line, or NULL */

	int lines, cols;
	unsigned long *line_gen; /* per body line: the row generation shown */
	unsigned char *line_sel;
	bool full, header_dirty, title_dirty, status_dirty, body_dirty;
	unsigned long drawn_layout;
	bool drawn_stale;
	bool quit;
};

/* SIGWINCH: a byte in this pipe wakes the main loop (curl_multi_poll
 * retries on EINTR, so the signal alone would wait for the timeout), then
 * ncurses' own handler runs so that getch() returns KEY_RESIZE. */
static int winch_fd = -1;
static struct sigaction old_winch;

static void
on_winch(int sig)
{
	int saved = errno;

	if (winch_fd >= 0) {
		ssize_t n = write(winch_fd, "w", 1);
		(void)n;
	}
	if (old_winch.sa_handler != SIG_DFL &&
	    old_winch.sa_handler != SIG_IGN && old_winch.sa_handler &&
	    !(old_winch.sa_flags & SA_SIGINFO))
		old_winch.sa_handler(sig);
	errno = saved;
}

/* An epoll fd readable when the terminal or the resize pipe is: the one
 * extra fd ml_k8s_poll() waits on. Returns it or -1 (then the terminal
 * alone is waited on, and a resize shows at the next wake-up). */
static int
wake_fd_open(int pipefd[2])
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct sigaction sa = { .sa_handler = on_winch };
	int ep;

	if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, pipefd[0], &ev) < 0) {
		if (ep >= 0)
			close(ep);
		close(pipefd[0]);
		close(pipefd[1]);
		pipefd[0] = pipefd[1] = -1;
		return -1;
	}
	winch_fd = pipefd[1];
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGWINCH, &sa, &old_winch);
	return ep;
}

static void
wake_fd_close(int ep, int pipefd[2])
{
	if (ep < 0)
		return;
	sigaction(SIGWINCH, &old_winch, NULL);
	winch_fd = -1;
	close(ep);
	close(pipefd[0]);
	close(pipefd[1]);
}

/* True when the terminal hung up (the pane or ssh session is gone). */
static bool
terminal_gone(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };

	return poll(&p, 1, 0) > 0 &&
	       (p.revents & (POLLHUP | POLLERR | POLLNVAL));
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
ml_tui_view_lookup(const char *name)
{
	for (size_t i = 0; i < ML_ARRAY_SIZE(views); i++) {
		if (strcmp(views[i].name, name) == 0)
			return views[i].name;
		for (size_t j = 0; views[i].aliases[j]; j++)
			if (strcmp(views[i].aliases[j], name) == 0)
				return views[i].name;
	}
	return NULL;
}

static const struct view_def *
view_by_name(const char *name)
{
	const char *canon = ml_tui_view_lookup(name);

	for (size_t i = 0; canon && i < ML_ARRAY_SIZE(views); i++)
		if (strcmp(views[i].name, canon) == 0)
			return &views[i];
	return NULL;
}

static void
set_str(char **slot, const char *s)
{
	free(*slot);
	*slot = s ? ml_xstrdup(s) : NULL;
}

/* Records the last error (shown in the header) from ml_err_msg(). */
static void
note_error(struct dash *d, const char *what)
{
	const char *msg = ml_err_msg();

	free(d->last_error);
	d->last_error = ml_xasprintf("%s: %s", what, msg ? msg : "failed");
	d->header_dirty = true;
}

static void set_message(struct dash *d, const char *fmt, ...) ML_PRINTF(2, 3);
static void
set_message(struct dash *d, const char *fmt, ...)
{
	va_list ap;

	free(d->message);
	va_start(ap, fmt);
	d->message = ml_xvasprintf(fmt, ap);
	va_end(ap);
	d->status_dirty = true;
}

/* --- watches --- */

static char *
list_path(const struct dash *d)
{
	if (d->view->namespaced && d->ns)
		return ml_xasprintf("%s/namespaces/%s/%s", d->view->api, d->ns,
				    d->view->name);
	return ml_xasprintf("%s/%s", d->view->api, d->view->name);
}

static char *
object_path(const struct view_def *v, const struct ml_tui_row *r)
{
	if (v->namespaced && r->ns)
		return ml_xasprintf("%s/namespaces/%s/%s/%s", v->api, r->ns,
				    v->name, r->name);
	return ml_xasprintf("%s/%s/%s", v->api, v->name, r->name);
}

/* Records one watch's state (*slot); the header shows connected only
 * while both the view's and the nodes' watches are. */
static void
set_up(struct dash *d, bool *slot, bool up, const char *reason)
{
	bool all;

	*slot = up;
	all = d->view_up && d->nodes_up;
	if (!up && reason &&
	    (!d->conn_reason || strcmp(d->conn_reason, reason))) {
		set_str(&d->conn_reason, reason);
		d->header_dirty = true;
	}
	if (all == d->connected)
		return;
	d->connected = all;
	if (all)
		set_str(&d->conn_reason, NULL);
	d->header_dirty = true;
}

static void
on_view_event(const struct ml_k8s_event *ev, void *ud)
{
	struct dash *d = ud;

	switch (ev->type) {
	case ML_K8S_RELISTED:
		/* the first page: on screen at once; "loading" until the
		 * last one is in */
		if (ml_tui_table_replace(d->table, ev->obj) < 0)
			break;
		d->loaded = false;
		if (d->stale) {
			d->stale = false;
			d->body_dirty = true;
		}
		set_up(d, &d->view_up, true, NULL);
		d->title_dirty = true;
		break;
	case ML_K8S_LISTED_MORE:
	case ML_K8S_ADDED:
	case ML_K8S_MODIFIED:
		ml_tui_table_apply(d->table, ev->obj, false);
		break;
	case ML_K8S_LIST_DONE:
		d->loaded = true;
		d->relisted = true;
		d->title_dirty = true;
		break;
	case ML_K8S_DELETED:
		ml_tui_table_apply(d->table, ev->obj, true);
		break;
	case ML_K8S_CONNECTED:
		set_up(d, &d->view_up, true, NULL);
		break;
	case ML_K8S_DISCONNECTED:
		if (!d->stale) {
			d->stale = true;
			d->body_dirty = true;
			d->title_dirty = true;
		}
		set_up(d, &d->view_up, false, ev->text);
		break;
	default:
		break;
	}
}

static void
count_nodes(struct dash *d)
{
	size_t ready = 0;

	for (size_t i = 0; i < d->nodes->nrows; i++)
		if (ml_tui_table_row_status(d->nodes, d->nodes->rows[i]) ==
		    ML_TUI_STATUS_OK)
			ready++;
	if (ready != d->nodes_ready || d->nodes->nrows != d->nodes_total) {
		d->nodes_ready = ready;
		d->nodes_total = d->nodes->nrows;
		d->header_dirty = true;
	}
}

static void
on_nodes_event(const struct ml_k8s_event *ev, void *ud)
{
	struct dash *d = ud;

	switch (ev->type) {
	case ML_K8S_RELISTED:
		ml_tui_table_replace(d->nodes, ev->obj);
		set_up(d, &d->nodes_up, true, NULL);
		break;
	case ML_K8S_ADDED:
	case ML_K8S_MODIFIED:
		ml_tui_table_apply(d->nodes, ev->obj, false);
		break;
	case ML_K8S_DELETED:
		ml_tui_table_apply(d->nodes, ev->obj, true);
		break;
	case ML_K8S_CONNECTED:
		set_up(d, &d->nodes_up, true, NULL);
		break;
	case ML_K8S_DISCONNECTED:
		set_up(d, &d->nodes_up, false, ev->text);
		break;
	default:
		break;
	}
	count_nodes(d);
}

static void
open_nodes_watch(struct dash *d)
{
	int r = ml_k8s_watch(d->c, "/api/v1/nodes", true, on_nodes_event, d,
			     &d->nodes_watch);

	if (r < 0) {
		d->nodes_watch = NULL;
		d->nodes_retry = now_ms() + 1000;
		note_error(d, "watch nodes");
		set_up(d, &d->nodes_up, false, ml_err_msg());
	} else {
		d->nodes_retry = 0;
	}
}

/* (Re)opens the current view's watch on a fresh table. */
static void
open_view(struct dash *d)
{
	ml_autofree char *path = list_path(d);
	int r;

	if (d->watch)
		ml_k8s_watch_stop(d->watch);
	d->watch = NULL;
	ml_tui_table_free(d->table);
	d->table = ml_tui_table_new(d->view->namespaced && !d->ns);
	d->loaded = false;
	d->stale = false;
	d->sel = d->top = 0;
	set_str(&d->sel_key, NULL);
	/* a new table hands out generations from the start again */
	set_str(&d->hint_key, NULL);
	d->full = true;
	r = ml_k8s_watch(d->c, path, true, on_view_event, d, &d->watch);
	if (r < 0) {
		d->watch = NULL;
		d->stale = true;
		d->watch_retry = now_ms() + 1000;
		note_error(d, "watch");
		set_up(d, &d->view_up, false, ml_err_msg());
	} else {
		d->watch_retry = 0;
	}
}

static void
switch_view(struct dash *d, const struct view_def *v, bool remember)
{
	if (remember && v != d->view) {
		if (d->nback == ML_ARRAY_SIZE(d->back)) {
			memmove(d->back, d->back + 1,
				(d->nback - 1) * sizeof(*d->back));
			d->nback--;
		}
		d->back[d->nback++] = d->view;
	}
	d->view = v;
	open_view(d);
}

/* --- text views: help, describe, logs --- */

static void
text_clear(struct textview *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->lines[i]);
	t->n = 0;
	t->top = 0;
}

static void
text_add(struct textview *t, const char *line, size_t len)
{
	char *s;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->lines = ml_xrealloc(t->lines, t->cap * sizeof(*t->lines));
	}
	s = ml_xstrndup(line, len);
	/* tabs and control characters would move the cursor */
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	t->lines[t->n++] = s;
}

static void
text_add_all(struct textview *t, const char *text)
{
	while (*text) {
		size_t n = strcspn(text, "\n");

		text_add(t, text, n);
		text += n;
		if (*text == '\n')
			text++;
	}
}

/* Adds s as lines of at most width columns, each starting with prefix,
 * broken at spaces (a word longer than a line is cut by the screen). */
static void
text_add_wrapped(struct textview *t, const char *prefix, const char *s,
		 size_t width)
{
	size_t room = width > strlen(prefix) + 10 ? width - strlen(prefix) : 10;

	while (*s) {
		size_t n = strlen(s), cut = n;
		ml_autofree char *line = NULL;

		if (n > room) {
			cut = room;
			while (cut && s[cut] != ' ')
				cut--;
			if (!cut)
				cut = strcspn(s, " ");
		}
		line = ml_xasprintf("%s%.*s", prefix, (int)cut, s);
		text_add(t, line, strlen(line));
		s += cut;
		while (*s == ' ')
			s++;
	}
}

static void
text_close(struct dash *d)
{
	struct textview *t = &d->text;

	if (t->log)
		ml_k8s_watch_stop(t->log);
	t->log = NULL;
	text_clear(t);
	free(t->lines);
	t->lines = NULL;
	t->cap = 0;
	free(t->title);
	t->title = NULL;
	if (t->obj)
		json_object_put(t->obj);
	t->obj = NULL;
	free(t->hint);
	t->hint = NULL;
	t->secret = t->reveal = t->follow = t->log_broken = false;
	d->mode = MODE_TABLE;
	d->full = true;
}

static size_t
body_height(const struct dash *d)
{
	return d->lines > BODY_TOP + 1 ? (size_t)(d->lines - BODY_TOP - 1) : 0;
}

static size_t
text_height(const struct dash *d)
{
	return d->lines > COLS_LINE + 1 ? (size_t)(d->lines - COLS_LINE - 1)
					: 0;
}

static void
text_open(struct dash *d, enum text_kind kind, char *title)
{
	text_close(d);
	d->text.kind = kind;
	d->text.title = title;
	d->mode = MODE_TEXT;
	d->full = true;
}

static void
show_help(struct dash *d)
{
	text_open(d, TEXT_HELP, ml_xstrdup("help"));
	for (size_t i = 0; i < ML_ARRAY_SIZE(help_text); i++)
		text_add(&d->text, help_text[i], strlen(help_text[i]));
}

/* Fills the describe view from its object: managedFields dropped, secret
 * values hidden unless revealed. */
static void
describe_render(struct dash *d)
{
	struct textview *t = &d->text;
	struct json_object *copy = NULL, *meta, *data;
	ml_autofree char *yaml = NULL;

	if (json_object_deep_copy(t->obj, &copy, NULL) != 0)
		return;
	if (json_object_object_get_ex(copy, "metadata", &meta) &&
	    json_object_is_type(meta, json_type_object))
		json_object_object_del(meta, "managedFields");
	if (t->secret && json_object_object_get_ex(copy, "data", &data) &&
	    json_object_get_type(data) == json_type_object) {
		json_object_object_foreach(data, key, val)
		{
			const char *enc =
				json_object_is_type(val, json_type_string)
					? json_object_get_string(val)
					: NULL;
			size_t n = 0;
			ml_autofree char *dec = enc ? ml_base64_decode(enc, &n)
						    : NULL;
			struct json_object *shown;

			if (t->reveal && dec && strlen(dec) == n) {
				shown = json_object_new_string(dec);
			} else {
				ml_autofree char *v =
					t->reveal && dec
						? ml_xasprintf("<binary: %zu bytes>",
							       n)
						: ml_xasprintf("<hidden, %zu bytes, v reveals>",
							       n);
				shown = json_object_new_string(v);
			}
			json_object_object_add(data, key, shown);
		}
	}
	yaml = ml_tui_yaml_from_json(copy);
	json_object_put(copy);
	text_clear(t);
	if (t->hint) {
		text_add_wrapped(t, "# ", t->hint,
				 COLS > 20 ? (size_t)COLS - 1 : 20);
		text_add(t, "#", 1);
	}
	text_add_all(t, yaml);
	d->body_dirty = true;
}

static struct ml_tui_row *
selected_row(const struct dash *d)
{
	if (d->mode != MODE_TABLE || !d->table || d->sel >= d->table->nvis)
		return NULL;
	return d->table->vis[d->sel];
}

static void
describe(struct dash *d)
{
	struct ml_tui_row *row = selected_row(d);
	struct json_object *obj = NULL;
	ml_autofree char *path = NULL;

	if (!row)
		return;
	path = object_path(d->view, row);
	if (ml_k8s_get(d->c, path, &obj) < 0) {
		note_error(d, "describe");
		return;
	}
	text_open(d, TEXT_DESCRIBE,
		  ml_xasprintf("describe %s %s", d->view->kind, row->key));
	d->text.obj = obj;
	d->text.secret = strcmp(d->view->name, "secrets") == 0;
	if (d->profile && strcmp(d->view->name, "pods") == 0) {
		struct ml_pod_problem *p =
			ml_pod_hint(obj, d->profile, d->offline);

		d->text.hint = p ? ml_pod_problem_line(p) : NULL;
		ml_pod_problem_free(p);
	}
	describe_render(d);
}

/* A pod STATUS cell as the API server prints it for a container waiting
 * on its image ("ErrImagePull", "Init:ImagePullBackOff", ...). */
static bool
image_wait_word(const char *s)
{
	return s && (strstr(s, "ImagePull") || strstr(s, "ErrImageNeverPull"));
}

static void
set_hint(struct dash *d, const char *hint)
{
	if ((!hint && !d->hint) || (hint && d->hint && !strcmp(hint, d->hint)))
		return;
	set_str(&d->hint, hint);
	d->status_dirty = true;
}

/*
 * Keeps d->hint that of the selected pod: asked of the API server (the
 * Table rows carry no status) only when the selection or its row changed
 * and its STATUS says it waits on its image, so an idle screen sends and
 * paints nothing.
 */
static void
update_hint(struct dash *d)
{
	struct ml_tui_row *row = selected_row(d);
	struct json_object *pod = NULL;
	struct ml_pod_problem *p = NULL;
	ml_autofree char *path = NULL, *hint = NULL;
	int col;

	if (!d->profile || !row || strcmp(d->view->name, "pods") != 0) {
		set_str(&d->hint_key, NULL);
		set_hint(d, NULL);
		return;
	}
	if (d->hint_key && strcmp(d->hint_key, row->key) == 0 &&
	    d->hint_gen == row->gen)
		return;
	set_str(&d->hint_key, row->key);
	d->hint_gen = row->gen;
	col = ml_tui_table_column(d->table, "STATUS");
	if (col < 0 || !image_wait_word(row->cells[col])) {
		set_hint(d, NULL);
		return;
	}
	path = object_path(d->view, row);
	if (ml_k8s_get(d->c, path, &pod) < 0) {
		/* a pod gone meanwhile: its DELETED event follows */
		ml_err_clear();
		set_hint(d, NULL);
		return;
	}
	p = ml_pod_hint(pod, d->profile, d->offline);
	if (p)
		hint = ml_xasprintf("%s: %s", p->reason, p->hint);
	set_hint(d, hint);
	ml_pod_problem_free(p);
	json_object_put(pod);
}

static void
on_log_event(const struct ml_k8s_event *ev, void *ud)
{
	struct dash *d = ud;
	struct textview *t = &d->text;

	switch (ev->type) {
	case ML_K8S_LOG_LINE:
		if (ev->text)
			text_add(t, ev->text, strcspn(ev->text, "\n"));
		break;
	case ML_K8S_CONNECTED:
		/* a reconnect sends the tail again: start over */
		if (t->log_broken) {
			text_clear(t);
			t->log_broken = false;
		}
		break;
	case ML_K8S_DISCONNECTED: {
		ml_autofree char *s =
			ml_xasprintf("[log stream broken: %s; retrying]",
				     ev->text ? ev->text : "unknown");
		text_add(t, s, strlen(s));
		t->log_broken = true;
		break;
	}
	default:
		return;
	}
	if (t->follow) {
		size_t h = text_height(d);

		t->top = t->n > h ? t->n - h : 0;
	}
	d->body_dirty = true;
}

/* The first container of a pod, from its spec; NULL when it has one
 * container only (the API picks it). Caller frees. */
static char *
first_container(struct dash *d, const char *path)
{
	struct json_object *pod = NULL, *cs;
	const char *name;
	char *ret = NULL;

	if (ml_k8s_get(d->c, path, &pod) < 0)
		return NULL;
	cs = ml_json_get(pod, "spec.containers");
	if (json_object_is_type(cs, json_type_array) &&
	    json_object_array_length(cs) > 1 &&
	    (name = ml_json_str(json_object_array_get_idx(cs, 0), "name")))
		ret = ml_xstrdup(name);
	json_object_put(pod);
	return ret;
}

static void
follow_logs(struct dash *d)
{
	struct ml_tui_row *row = selected_row(d);
	ml_autofree char *path = NULL, *container = NULL;
	int r;

	if (!row)
		return;
	if (strcmp(d->view->name, "pods") != 0) {
		set_message(d, "logs: only pods have logs");
		return;
	}
	path = object_path(d->view, row);
	container = first_container(d, path);
	text_open(d, TEXT_LOGS,
		  ml_xasprintf("logs %s%s%s (following)", row->key,
			       container ? " -c " : "",
			       container ? container : ""));
	d->text.follow = true;
	r = ml_k8s_follow_logs(d->c, row->ns ? row->ns : "default", row->name,
			       container, LOG_TAIL, on_log_event, d,
			       &d->text.log);
	if (r < 0) {
		const char *msg = ml_err_msg();
		ml_autofree char *s =
			ml_xasprintf("[no log: %s]", msg ? msg : "failed");

		d->text.log = NULL;
		text_add(&d->text, s, strlen(s));
	}
}

/* --- namespace picker --- */

static void
pick_close(struct dash *d)
{
	for (size_t i = 0; i < d->ns_n; i++)
		free(d->ns_names[i]);
	free(d->ns_names);
	d->ns_names = NULL;
	d->ns_n = d->ns_sel = d->ns_top = 0;
	d->mode = MODE_TABLE;
	d->full = true;
}

static void
pick_open(struct dash *d)
{
	struct json_object *list = NULL, *items;
	size_t n;

	if (ml_k8s_list(d->c, "/api/v1/namespaces", false, 0, NULL, &list) <
	    0) {
		note_error(d, "list namespaces");
		return;
	}
	d->ns_names = ml_xcalloc(1, sizeof(*d->ns_names));
	d->ns_names[0] = ml_xstrdup("(all namespaces)");
	d->ns_n = 1;
	if (json_object_object_get_ex(list, "items", &items) &&
	    json_object_is_type(items, json_type_array)) {
		n = json_object_array_length(items);
		d->ns_names = ml_xrealloc(d->ns_names,
					  (n + 1) * sizeof(*d->ns_names));
		for (size_t i = 0; i < n; i++) {
			const char *name =
				ml_json_str(json_object_array_get_idx(items, i),
					    "metadata.name");

			if (name) {
				d->ns_names[d->ns_n] = ml_xstrdup(name);
				if (d->ns &&
				    strcmp(d->ns, d->ns_names[d->ns_n]) == 0)
					d->ns_sel = d->ns_n;
				d->ns_n++;
			}
		}
	}
	json_object_put(list);
	d->mode = MODE_PICK_NS;
	d->full = true;
}

static void
set_namespace(struct dash *d, const char *ns)
{
	if ((!ns && !d->ns) || (ns && d->ns && strcmp(ns, d->ns) == 0))
		return;
	set_str(&d->ns, ns);
	d->header_dirty = true;
	open_view(d);
}

/* --- actions --- */

static void
start_prompt(struct dash *d, enum prompt p)
{
	d->prompt = p;
	d->input_len = 0;
	d->input[0] = '\0';
	d->status_dirty = true;
}

static void
ask_delete(struct dash *d)
{
	struct ml_tui_row *row = selected_row(d);

	if (!row)
		return;
	free(d->pending_path);
	free(d->pending_label);
	d->pending_path = object_path(d->view, row);
	d->pending_label = ml_xasprintf("%s %s", d->view->kind, row->key);
	start_prompt(d, PROMPT_DELETE);
}

static void
ask_scale(struct dash *d)
{
	struct ml_tui_row *row = selected_row(d);

	if (!row)
		return;
	if (strcmp(d->view->name, "deployments") != 0) {
		set_message(d, "scale: select a deployment (:deploy)");
		return;
	}
	free(d->pending_path);
	free(d->pending_label);
	d->pending_path = ml_xstrdup(row->ns ? row->ns : "default");
	d->pending_label = ml_xstrdup(row->name);
	start_prompt(d, PROMPT_SCALE);
}

static void
finish_prompt(struct dash *d, bool accept)
{
	enum prompt p = d->prompt;

	d->prompt = PROMPT_NONE;
	d->status_dirty = true;
	switch (p) {
	case PROMPT_CMD: {
		const struct view_def *v;

		if (!accept || !d->input_len)
			break;
		if (strcmp(d->input, "q") == 0 ||
		    strcmp(d->input, "quit") == 0) {
			d->quit = true;
			break;
		}
		v = view_by_name(d->input);
		if (!v) {
			set_message(d, "no view '%s': press ? for the list",
				    d->input);
			break;
		}
		switch_view(d, v, true);
		break;
	}
	case PROMPT_FILTER:
		if (!accept)
			ml_tui_table_set_filter(d->table, NULL);
		d->title_dirty = true;
		break;
	case PROMPT_DELETE:
		if (!accept)
			break;
		if (ml_k8s_delete(d->c, d->pending_path, NULL) < 0)
			note_error(d, "delete");
		else
			set_message(d, "deleted %s", d->pending_label);
		break;
	case PROMPT_SCALE: {
		char *end;
		long n = strtol(d->input, &end, 10);

		if (!accept)
			break;
		if (!d->input_len || *end || n < 0 || n > INT_MAX) {
			set_message(d, "scale: '%s' is not a replica count",
				    d->input);
			break;
		}
		if (ml_k8s_scale(d->c, d->pending_path, d->pending_label,
				 (int)n) < 0)
			note_error(d, "scale");
		else
			set_message(d, "scaled deployment %s/%s to %ld",
				    d->pending_path, d->pending_label, n);
		break;
	}
	case PROMPT_NONE:
		break;
	}
}

static void
prompt_key(struct dash *d, int ch)
{
	if (d->prompt == PROMPT_DELETE) {
		finish_prompt(d, ch == 'y' || ch == 'Y');
		return;
	}
	if (ch == 27) {
		finish_prompt(d, false);
		return;
	}
	if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		finish_prompt(d, true);
		return;
	}
	if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (d->input_len)
			d->input[--d->input_len] = '\0';
		else if (d->prompt != PROMPT_FILTER) {
			finish_prompt(d, false);
			return;
		}
	} else if (ch >= 0x20 && ch < 0x100 && ch != 0x7f &&
		   d->input_len + 1 < sizeof(d->input)) {
		d->input[d->input_len++] = (char)ch;
		d->input[d->input_len] = '\0';
	} else {
		return;
	}
	d->status_dirty = true;
	if (d->prompt == PROMPT_FILTER) {
		ml_tui_table_set_filter(d->table, d->input);
		d->sel = d->top = 0;
		set_str(&d->sel_key, NULL);
		d->title_dirty = true;
	}
}

static void
move_sel(struct dash *d, long delta, size_t n)
{
	long s = (long)d->sel + delta;

	if (s < 0 || n == 0)
		s = 0;
	else if ((size_t)s >= n)
		s = (long)n - 1;
	d->sel = (size_t)s;
	set_str(&d->sel_key, n ? d->table->vis[d->sel]->key : NULL);
}

static void
table_key(struct dash *d, int ch)
{
	size_t n = d->table->nvis;
	long page = (long)body_height(d);

	switch (ch) {
	case KEY_UP:
	case 'k':
		move_sel(d, -1, n);
		break;
	case KEY_DOWN:
	case 'j':
		move_sel(d, 1, n);
		break;
	case KEY_PPAGE:
		move_sel(d, -(page > 1 ? page - 1 : 1), n);
		break;
	case KEY_NPAGE:
	case ' ':
		move_sel(d, page > 1 ? page - 1 : 1, n);
		break;
	case 'g':
	case KEY_HOME:
		move_sel(d, -(long)n, n);
		break;
	case 'G':
	case KEY_END:
		move_sel(d, (long)n, n);
		break;
	case ':':
		start_prompt(d, PROMPT_CMD);
		break;
	case '/':
		start_prompt(d, PROMPT_FILTER);
		if (d->table->filter) {
			snprintf(d->input, sizeof(d->input), "%s",
				 d->table->filter);
			d->input_len = strlen(d->input);
		}
		break;
	case '0':
		set_namespace(d, NULL);
		break;
	case 'n':
		pick_open(d);
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
	case 'd':
		describe(d);
		break;
	case 'l':
		follow_logs(d);
		break;
	case 'x':
	case KEY_DC:
		ask_delete(d);
		break;
	case 's':
		ask_scale(d);
		break;
	case 'r':
		open_view(d);
		set_message(d, "refreshed %s", d->view->name);
		break;
	case '?':
		show_help(d);
		break;
	case 'q':
		d->quit = true;
		break;
	case 27: /* Esc: clear the filter, then back to the previous view */
		if (d->table->filter) {
			ml_tui_table_set_filter(d->table, NULL);
			d->title_dirty = true;
		} else if (d->nback) {
			switch_view(d, d->back[--d->nback], false);
		}
		break;
	default:
		if (ch >= '1' && ch <= '9') {
			ml_tui_table_sort_by(d->table, ch - '1');
			d->title_dirty = true;
			d->body_dirty = true; /* the titles show the order */
		}
		break;
	}
}

static void
text_key(struct dash *d, int ch)
{
	struct textview *t = &d->text;
	size_t h = text_height(d), max = t->n > h ? t->n - h : 0;
	size_t old = t->top;

	switch (ch) {
	case KEY_UP:
	case 'k':
		if (t->top)
			t->top--;
		break;
	case KEY_DOWN:
	case 'j':
		if (t->top < max)
			t->top++;
		break;
	case KEY_PPAGE:
		t->top = t->top > h ? t->top - h : 0;
		break;
	case KEY_NPAGE:
	case ' ':
		t->top = t->top + h < max ? t->top + h : max;
		break;
	case 'g':
	case KEY_HOME:
		t->top = 0;
		break;
	case 'G':
	case KEY_END:
		t->top = max;
		break;
	case 'v':
		if (t->kind == TEXT_DESCRIBE && t->secret) {
			t->reveal = !t->reveal;
			describe_render(d);
		}
		return;
	case 'q':
	case 27:
		text_close(d);
		return;
	default:
		return;
	}
	if (t->kind == TEXT_LOGS)
		t->follow = t->top == max;
	if (t->top != old)
		d->body_dirty = true;
}

static void
pick_key(struct dash *d, int ch)
{
	size_t h = body_height(d);

	switch (ch) {
	case KEY_UP:
	case 'k':
		if (d->ns_sel)
			d->ns_sel--;
		break;
	case KEY_DOWN:
	case 'j':
		if (d->ns_sel + 1 < d->ns_n)
			d->ns_sel++;
		break;
	case KEY_PPAGE:
		d->ns_sel = d->ns_sel > h ? d->ns_sel - h : 0;
		break;
	case KEY_NPAGE:
		d->ns_sel = d->ns_sel + h < d->ns_n ? d->ns_sel + h
						    : d->ns_n - 1;
		break;
	case 'g':
	case KEY_HOME:
		d->ns_sel = 0;
		break;
	case 'G':
	case KEY_END:
		d->ns_sel = d->ns_n - 1;
		break;
	case '\n':
	case '\r':
	case KEY_ENTER: {
		ml_autofree char *ns =
			d->ns_sel ? ml_xstrdup(d->ns_names[d->ns_sel]) : NULL;

		pick_close(d);
		set_namespace(d, ns);
		return;
	}
	case 'q':
	case 27:
		pick_close(d);
		return;
	default:
		return;
	}
	d->body_dirty = true;
}

static void
handle_key(struct dash *d, int ch)
{
	if (ch == KEY_RESIZE) {
		/* the terminal's contents are unknown after a resize: repaint
		 * all of it */
		clearok(curscr, TRUE);
		d->full = true;
		return;
	}
	if (ch == 'Q' && d->prompt == PROMPT_NONE) {
		d->quit = true;
		return;
	}
	if (d->message && d->prompt == PROMPT_NONE) {
		free(d->message);
		d->message = NULL;
		d->status_dirty = true;
	}
	d->sel_moved = true;
	if (d->prompt != PROMPT_NONE)
		prompt_key(d, ch);
	else if (d->mode == MODE_TEXT)
		text_key(d, ch);
	else if (d->mode == MODE_PICK_NS)
		pick_key(d, ch);
	else
		table_key(d, ch);
}

/* --- drawing --- */

static bool utf8;

/* Writes s cut to width columns, padded with spaces when pad. */
static void
put_cell(const char *s, size_t width, bool pad)
{
	size_t bytes = ml_tui_text_fit(s, width);
	size_t w = ml_tui_text_width(s);

	if (w > width && width > 1) {
		/* cut one column earlier and mark the cut */
		bytes = ml_tui_text_fit(s, width - 1);
		addnstr(s, (int)bytes);
		addstr(utf8 ? "\xe2\x80\xa6" : "~");
		return;
	}
	addnstr(s, (int)bytes);
	if (pad)
		for (size_t i = w; i < width; i++)
			addch(' ');
}

/* Clears line y and writes s from column x, cut at the screen edge. */
static void
put_line(int y, int x, const char *s, attr_t attr)
{
	if (y < 0 || y >= LINES)
		return;
	move(y, 0);
	clrtoeol();
	if (x >= COLS)
		return;
	move(y, x);
	attron(attr);
	put_cell(s, (size_t)(COLS - x), false);
	attroff(attr);
}

static attr_t
status_attr(enum ml_tui_status st)
{
	switch (st) {
	case ML_TUI_STATUS_OK:
		return COLOR_PAIR(PAIR_OK);
	case ML_TUI_STATUS_PENDING:
		return COLOR_PAIR(PAIR_PENDING);
	case ML_TUI_STATUS_FAILED:
		return COLOR_PAIR(PAIR_FAILED);
	case ML_TUI_STATUS_DONE:
		return A_DIM;
	default:
		return A_NORMAL;
	}
}

static void
draw_header(struct dash *d)
{
	ml_autofree char *l0 = NULL, *l1 = NULL;
	const char *viewname = d->mode == MODE_TEXT	 ? d->text.title
			       : d->mode == MODE_PICK_NS ? "namespace picker"
							 : d->view->name;

	l0 = ml_xasprintf(" Context: %s   Server: %s   Kubernetes: %s",
			  d->cfg->context ? d->cfg->context : "?",
			  d->cfg->server ? d->cfg->server : "?",
			  d->version ? d->version : "?");
	put_line(0, 0, l0, A_BOLD);
	l1 = ml_xasprintf(" Nodes: %zu/%zu ready   Namespace: %s   View: %s   ",
			  d->nodes_ready, d->nodes_total, d->ns ? d->ns : "all",
			  viewname);
	put_line(1, 0, l1, A_NORMAL);
	if ((int)strlen(l1) < COLS) {
		ml_autofree char *conn =
			d->connected
				? ml_xstrdup("[connected]")
				: ml_xasprintf("[DISCONNECTED: %s]",
					       d->conn_reason ? d->conn_reason
							      : "?");

		move(1, (int)strlen(l1));
		attron(d->connected ? COLOR_PAIR(PAIR_OK)
				    : COLOR_PAIR(PAIR_FAILED) | A_BOLD);
		put_cell(conn, (size_t)COLS - strlen(l1), false);
		attroff(A_BOLD | COLOR_PAIR(PAIR_OK) | COLOR_PAIR(PAIR_FAILED));
	}
	if (d->last_error) {
		ml_autofree char *l2 =
			ml_xasprintf(" Last error: %s", d->last_error);
		put_line(2, 0, l2, COLOR_PAIR(PAIR_ERROR));
	} else {
		put_line(2, 0, "", A_NORMAL);
	}
}

/* The bar above the columns: what is shown, how, and whether it is live. */
static void
draw_title(struct dash *d)
{
	ml_autofree char *s = NULL;
	char count[64];
	const struct ml_tui_table *t = d->table;

	if (d->mode == MODE_TEXT) {
		s = ml_xasprintf(" %s   lines %zu-%zu of %zu%s", d->text.title,
				 d->text.n ? d->text.top + 1 : 0,
				 d->text.top + text_height(d) < d->text.n
					 ? d->text.top + text_height(d)
					 : d->text.n,
				 d->text.n,
				 d->text.secret && !d->text.reveal
					 ? "   secret values hidden: v reveals"
					 : "");
	} else if (d->mode == MODE_PICK_NS) {
		s = ml_xasprintf(
			" pick a namespace (%zu)   Enter selects, Esc cancels",
			d->ns_n - 1);
	} else {
		if (!d->loaded)
			snprintf(count, sizeof(count), "loading");
		else if (t->filter)
			snprintf(count, sizeof(count), "%zu of %zu", t->nvis,
				 t->nrows);
		else
			snprintf(count, sizeof(count), "%zu", t->nrows);
		s = ml_xasprintf(" %s (%s)   namespace: %s%s%s%s%s%s",
				 d->view->name, count,
				 !d->view->namespaced ? "-"
				 : d->ns	      ? d->ns
						      : "all",
				 t->filter ? "   filter: " : "",
				 t->filter ? t->filter : "",
				 t->sort_col >= 0 ? "   sort: " : "",
				 t->sort_col >= 0 ? t->titles[t->sort_col] : "",
				 d->stale ? "   [STALE: server unreachable]"
					  : "");
	}
	move(TITLE_LINE, 0);
	attron(COLOR_PAIR(PAIR_TITLE) | A_REVERSE);
	put_cell(s, (size_t)COLS, true);
	attroff(COLOR_PAIR(PAIR_TITLE) | A_REVERSE);
}

static void
draw_status(struct dash *d)
{
	ml_autofree char *s = NULL;
	bool hint = false;

	switch (d->prompt) {
	case PROMPT_CMD:
		s = ml_xasprintf(":%s_", d->input);
		break;
	case PROMPT_FILTER:
		s = ml_xasprintf("/%s_", d->input);
		break;
	case PROMPT_DELETE:
		s = ml_xasprintf("Delete %s? (y/N)", d->pending_label);
		break;
	case PROMPT_SCALE:
		s = ml_xasprintf("Scale deployment %s/%s to replicas: %s_",
				 d->pending_path, d->pending_label, d->input);
		break;
	case PROMPT_NONE:
		if (d->message)
			s = ml_xstrdup(d->message);
		else if ((hint = d->mode == MODE_TABLE && d->hint))
			s = ml_xstrdup(d->hint);
		else if (d->mode == MODE_TEXT)
			s = ml_xstrdup(
				"Up/Down PgUp/PgDn g/G scroll   q/Esc back   Q quit");
		else
			s = ml_xstrdup(
				"? help  : view  / filter  0 all ns  n namespace  d describe  l logs  x delete  s scale  q quit");
		break;
	}
	put_line(d->lines - 1, 0, s,
		 d->prompt == PROMPT_DELETE ? A_BOLD
		 : hint			    ? COLOR_PAIR(PAIR_FAILED)
					    : A_NORMAL);
}

static void
compute_widths(const struct dash *d, size_t *w)
{
	const struct ml_tui_table *t = d->table;
	ml_autofree size_t *nat =
		ml_xcalloc(t->ncols ? t->ncols : 1, sizeof(*nat));

	for (size_t i = 0; i < t->ncols; i++)
		nat[i] = t->natural[i] + (t->sort_col == (int)i ? 1 : 0);
	ml_tui_layout(nat, t->ncols, 6, GAP, COLS > 1 ? (size_t)COLS - 1 : 1,
		      w);
}

static void
draw_row(const struct dash *d, int y, const struct ml_tui_row *r, bool sel,
	 const size_t *w)
{
	const struct ml_tui_table *t = d->table;
	attr_t a = status_attr(r->status);

	if (d->stale)
		a = A_DIM;
	if (sel)
		a |= A_REVERSE;
	move(y, 0);
	attron(a);
	addch(' ');
	for (size_t c = 0; c < t->ncols && getcurx(stdscr) < COLS - 1; c++) {
		bool last = c + 1 == t->ncols;

		put_cell(r->cells[c], w[c], !last || sel);
		if (!last)
			for (int g = 0; g < GAP && getcurx(stdscr) < COLS - 1;
			     g++)
				addch(' ');
	}
	if (sel)
		while (getcurx(stdscr) < COLS - 1 && getcury(stdscr) == y)
			addch(' ');
	attroff(a);
	if (getcury(stdscr) == y)
		clrtoeol();
}

static void
draw_column_titles(const struct dash *d, const size_t *w)
{
	const struct ml_tui_table *t = d->table;

	move(COLS_LINE, 0);
	clrtoeol();
	attron(A_BOLD);
	addch(' ');
	for (size_t c = 0; c < t->ncols && getcurx(stdscr) < COLS - 1; c++) {
		ml_autofree char *title =
			t->sort_col == (int)c
				? ml_xasprintf("%s%s", t->titles[c],
					       t->sort_desc
						       ? (utf8 ? "\xe2\x96\xbc"
							       : "v")
						       : (utf8 ? "\xe2\x96\xb2"
							       : "^"))
				: ml_xstrdup(t->titles[c]);

		put_cell(title, w[c], c + 1 < t->ncols);
		if (c + 1 < t->ncols)
			for (int g = 0; g < GAP && getcurx(stdscr) < COLS - 1;
			     g++)
				addch(' ');
	}
	attroff(A_BOLD);
}

/* Keeps the selection on the same object across reorders and the
 * selected line inside the body. */
static void
fix_selection(struct dash *d)
{
	const struct ml_tui_table *t = d->table;
	size_t h = body_height(d);

	if (d->sel_key) {
		for (size_t i = 0; i < t->nvis; i++)
			if (strcmp(t->vis[i]->key, d->sel_key) == 0) {
				d->sel = i;
				break;
			}
	}
	if (d->sel >= t->nvis)
		d->sel = t->nvis ? t->nvis - 1 : 0;
	if (t->nvis && !d->sel_key)
		set_str(&d->sel_key, t->vis[d->sel]->key);
	if (d->sel < d->top)
		d->top = d->sel;
	else if (h && d->sel >= d->top + h)
		d->top = d->sel - h + 1;
	if (d->top + h > t->nvis)
		d->top = t->nvis > h ? t->nvis - h : 0;
}

/* Paints the body lines that differ from what is on screen; true when it
 * painted any. */
static bool
draw_table_body(struct dash *d, bool force)
{
	const struct ml_tui_table *t = d->table;
	size_t h = body_height(d);
	ml_autofree size_t *w = ml_xcalloc(t->ncols ? t->ncols : 1, sizeof(*w));
	bool any = false;

	if (t->layout_gen != d->drawn_layout || d->stale != d->drawn_stale)
		force = true;
	compute_widths(d, w);
	if (force) {
		draw_column_titles(d, w);
		d->drawn_layout = t->layout_gen;
		d->drawn_stale = d->stale;
		any = true;
	}
	for (size_t i = 0; i < h; i++) {
		size_t idx = d->top + i;
		const struct ml_tui_row *r = idx < t->nvis ? t->vis[idx] : NULL;
		unsigned long gen = r ? r->gen : 0;
		unsigned char sel = r && idx == d->sel;

		if (!force && d->line_gen[i] == gen && d->line_sel[i] == sel)
			continue;
		if (r) {
			draw_row(d, BODY_TOP + (int)i, r, sel, w);
		} else {
			move(BODY_TOP + (int)i, 0);
			clrtoeol();
		}
		d->line_gen[i] = gen;
		d->line_sel[i] = sel;
		any = true;
	}
	return any;
}

static void
draw_text_body(struct dash *d)
{
	const struct textview *t = &d->text;
	size_t h = text_height(d);

	for (size_t i = 0; i < h; i++) {
		size_t idx = t->top + i;

		put_line(COLS_LINE + (int)i, 0, idx < t->n ? t->lines[idx] : "",
			 A_NORMAL);
	}
}

static void
draw_pick_body(struct dash *d)
{
	size_t h = body_height(d);

	if (d->ns_sel < d->ns_top)
		d->ns_top = d->ns_sel;
	else if (h && d->ns_sel >= d->ns_top + h)
		d->ns_top = d->ns_sel - h + 1;
	put_line(COLS_LINE, 0, " NAMESPACE", A_BOLD);
	for (size_t i = 0; i < h; i++) {
		size_t idx = d->ns_top + i;

		if (idx >= d->ns_n) {
			put_line(BODY_TOP + (int)i, 0, "", A_NORMAL);
			continue;
		}
		move(BODY_TOP + (int)i, 0);
		clrtoeol();
		if (idx == d->ns_sel)
			attron(A_REVERSE);
		addch(' ');
		put_cell(d->ns_names[idx], (size_t)COLS - 2, idx == d->ns_sel);
		attroff(A_REVERSE);
	}
}

static void
resize_cache(struct dash *d)
{
	size_t h;

	d->lines = LINES;
	d->cols = COLS;
	h = body_height(d);
	free(d->line_gen);
	free(d->line_sel);
	d->line_gen = ml_xcalloc(h ? h : 1, sizeof(*d->line_gen));
	d->line_sel = ml_xcalloc(h ? h : 1, sizeof(*d->line_sel));
	for (size_t i = 0; i < h; i++)
		d->line_gen[i] = ULONG_MAX;
}

/* Paints what is dirty; writes to the terminal only when something was. */
static void
render(struct dash *d)
{
	bool any = false, force_body = false;

	if (d->full) {
		if (LINES != d->lines || COLS != d->cols)
			resize_cache(d);
		erase();
		d->full = false;
		d->header_dirty = d->title_dirty = d->status_dirty = true;
		force_body = true;
	}
	if (d->mode == MODE_TABLE && ml_tui_table_refresh(d->table)) {
		d->title_dirty = true;
		d->sel_moved = true;
	}
	if (d->mode == MODE_TABLE && (d->sel_moved || force_body)) {
		fix_selection(d);
		d->sel_moved = false;
	}
	if (d->mode == MODE_TABLE)
		update_hint(d);
	if (d->body_dirty) {
		force_body = d->mode != MODE_TABLE || force_body;
		d->title_dirty |= d->mode == MODE_TEXT;
	}
	if (d->lines < BODY_TOP + 2 || d->cols < 20) {
		if (force_body) {
			put_line(0, 0, "terminal too small", A_BOLD);
			refresh();
		}
		d->body_dirty = d->header_dirty = d->title_dirty = false;
		d->status_dirty = false;
		return;
	}
	if (d->header_dirty) {
		draw_header(d);
		d->header_dirty = false;
		any = true;
	}
	if (d->title_dirty) {
		draw_title(d);
		d->title_dirty = false;
		any = true;
	}
	if (d->mode == MODE_TABLE) {
		/* the sort marker lives in the column titles */
		any |= draw_table_body(d, force_body || d->body_dirty);
	} else if (force_body || d->body_dirty) {
		if (d->mode == MODE_TEXT)
			draw_text_body(d);
		else
			draw_pick_body(d);
		any = true;
	}
	d->body_dirty = false;
	if (d->status_dirty) {
		draw_status(d);
		d->status_dirty = false;
		any = true;
	}
	if (any) {
		wnoutrefresh(stdscr);
		doupdate();
	}
}

/* --- set-up and the loop --- */

static void
dash_release(struct dash *d)
{
	if (d->text.log)
		ml_k8s_watch_stop(d->text.log);
	d->text.log = NULL;
	text_close(d);
	pick_close(d);
	if (d->watch)
		ml_k8s_watch_stop(d->watch);
	if (d->nodes_watch)
		ml_k8s_watch_stop(d->nodes_watch);
	ml_tui_table_free(d->table);
	ml_tui_table_free(d->nodes);
	free(d->version);
	free(d->ns);
	free(d->conn_reason);
	free(d->last_error);
	free(d->message);
	free(d->sel_key);
	free(d->pending_path);
	free(d->pending_label);
	free(d->hint_key);
	free(d->hint);
	free(d->line_gen);
	free(d->line_sel);
}

static int
fetch_version(struct dash *d)
{
	struct json_object *v = NULL, *gv;
	int r = ml_k8s_get(d->c, "/version", &v);

	if (r < 0)
		return r;
	if (json_object_object_get_ex(v, "gitVersion", &gv) &&
	    json_object_is_type(gv, json_type_string))
		set_str(&d->version, json_object_get_string(gv));
	json_object_put(v);
	return 0;
}

static void
retry_watches(struct dash *d)
{
	long long now = now_ms();

	if (!d->watch && d->watch_retry && now >= d->watch_retry) {
		ml_autofree char *path = list_path(d);

		if (ml_k8s_watch(d->c, path, true, on_view_event, d,
				 &d->watch) < 0) {
			d->watch = NULL;
			d->watch_retry = now + 2000;
		} else {
			d->watch_retry = 0;
		}
	}
	if (!d->nodes_watch && d->nodes_retry && now >= d->nodes_retry)
		open_nodes_watch(d);
}

/* Screen updates are coalesced to one per frame: an event waits at most
 * this long for its row to be drawn. */
#define FRAME_MS 16
#define PAGE_SIZE 500

/* Objects per list page: MINILAUNCH_DASHBOARD_PAGE_SIZE (tests), else 500. */
static long
page_size(void)
{
	const char *e = getenv("MINILAUNCH_DASHBOARD_PAGE_SIZE");
	char *end;
	long n;

	if (!e || !*e)
		return PAGE_SIZE;
	n = strtol(e, &end, 10);
	return *end || n <= 0 ? PAGE_SIZE : n;
}

int
ml_tui_dashboard_run(struct ml_k8s *c, const struct ml_tui_dashboard_opts *o)
{
	struct dash d = { .c = c,
			  .cfg = o->cfg,
			  .profile = o->profile,
			  .offline = o->offline };
	int r, ep, pipefd[2] = { -1, -1 };
	long long next_frame = 0;
	bool due = false;

	d.view = view_by_name(o->view ? o->view : "pods");
	if (!d.view)
		return ml_err(
			-ML_EUSAGE,
			"no view '%s': try pods, deploy, rs, svc, cm, sec, no, ns or ev",
			o->view);
	r = fetch_version(&d);
	if (r < 0)
		return ml_err(
			r,
			"cannot reach the API server of context '%s' at %s: %s",
			o->cfg->context ? o->cfg->context : "?",
			o->cfg->server ? o->cfg->server : "?",
			ml_err_msg() ? ml_err_msg() : strerror(-r));
	d.ns = o->ns ? ml_xstrdup(o->ns) : NULL;
	d.connected = d.view_up = d.nodes_up = true;
	d.nodes = ml_tui_table_new(false);

	setlocale(LC_ALL, "");
	utf8 = MB_CUR_MAX > 1;
	if (!getenv("ESCDELAY"))
		set_escdelay(25);
	if (!initscr())
		return ml_err(-EIO, "cannot set up the terminal (TERM=%s)",
			      getenv("TERM") ? getenv("TERM") : "unset");
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(PAIR_OK, COLOR_GREEN, -1);
		init_pair(PAIR_PENDING, COLOR_YELLOW, -1);
		init_pair(PAIR_FAILED, COLOR_RED, -1);
		init_pair(PAIR_TITLE, COLOR_CYAN, -1);
		init_pair(PAIR_ERROR, COLOR_RED, -1);
	}
	ep = wake_fd_open(pipefd);
	/* the list comes in pages, each on screen as soon as it is in */
	ml_k8s_set_page_size(c, page_size());
	open_nodes_watch(&d);
	open_view(&d);
	resize_cache(&d);
	d.full = true;
	render(&d);

	next_frame = now_ms() + FRAME_MS;
	while (!d.quit) {
		int ch;
		long long now = now_ms();
		char drain[64];

		/* a frame is due: wait no longer than its start */
		r = ml_k8s_poll(c,
				due ? (int)(next_frame > now ? next_frame - now
							     : 0)
				    : 1000,
				ep >= 0 ? ep : 0);
		if (r < 0 && r != -EINTR) {
			note_error(&d, "poll");
			napms(100);
		}
		while (pipefd[0] >= 0 &&
		       read(pipefd[0], drain, sizeof(drain)) > 0)
			;
		if (d.relisted) {
			/* the list's JSON (megabytes for thousands of rows) is
			 * freed by now; return the heap it left to the system
			 */
			malloc_trim(0);
			d.relisted = false;
		}
		if (terminal_gone())
			break;
		while ((ch = getch()) != ERR && !d.quit)
			handle_key(&d, ch);
		retry_watches(&d);
		now = now_ms();
		due = now < next_frame;
		if (!due) {
			render(&d);
			next_frame = now + FRAME_MS;
		}
	}

	wake_fd_close(ep, pipefd);
	endwin();
	dash_release(&d);
	return 0;
}
