/*
 * tui/dash.h: what the dashboard's own files share; nothing outside
 * src/tui/ includes it. The split follows htop's Panel/ScreenManager:
 *
 *   views.c      the one table of views (struct view_def) and what a view
 *                does: describe, logs, scale, edit
 *   keys.c       keys and prompts, the namespace picker
 *   text.c       the text views: help, describe, logs
 *   draw.c       painting what is dirty (render)
 *   dashboard.c  the main loop and the watches
 *
 * A view is data: adding one is one entry in views[] (views.c) plus the
 * functions its keys run; no other file names a view.
 * Functions here are prefixed dash_; they set no ml_err() message of
 * their own: failures the user should see go to the header through
 * dash_note_error() or to the bottom line through dash_message().
 */
#ifndef ML_TUI_DASH_H
#define ML_TUI_DASH_H

#include "tui/dashboard.h"
#include "tui/table.h"
#include "base/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define HEADER_LINES 3 /* context, status, last error */
#define TITLE_LINE 3   /* the view's title bar */
#define COLS_LINE 4    /* column titles */
#define BODY_TOP 5
#define GAP 3 /* spaces between columns, as kubectl */
#define LOG_TAIL 500

struct dash;

/* A key a view adds to the list keys (keys.c has those every view has). */
struct view_key {
	int ch;
	const char *label; /* a word for the bottom line: "logs" */
	const char *help;  /* for the help screen */
	/* row: the selected row, NULL when the list is empty */
	void (*run)(struct dash *d, struct ml_tui_row *row);
};

enum {
	VIEW_SECRET = 1 << 0,	 /* describe hides data values until v */
	VIEW_POD_HINTS = 1 << 1, /* the fix for a pod stuck on its image
				  * (kube/pod_hints.h) on the bottom line
				  * and atop describe */
	VIEW_USAGE = 1 << 2	 /* CPU and MEM columns from the kubelets'
				  * summaries (usage.c), once known */
};

/* CPU and memory in use by a node or pod (key: a row's key). */
struct dash_usage {
	char *key;
	long long cpu_nano;  /* usageNanoCores, or -1 */
	long long mem_bytes; /* workingSetBytes, or -1 */
};
struct usage_fetch;

/* A pod's port forwarded to 127.0.0.1 (the pods view's F). */
struct dash_forward {
	char *key; /* the pod row's key */
	int remote, local;
	struct ml_portforward *pf;
};

#define VIEW_MAX_KEYS 4

struct view_def {
	const char *name; /* the resource, plural, as in the API path */
	const char *kind;
	const char *aliases[3];
	/* group version paths ("/api/v1", "/apis/apps/v1"), NULL-ended: the
	 * first the server serves the resource from is used; one alone is
	 * used without asking */
	const char *api[3];
	bool namespaced;
	/* time columns besides AGE (which counts from the creation): their
	 * cells count on from when they arrived */
	const char *since[2];
	const char *sort; /* column title sorted by at first; NULL: by name */
	bool sort_desc;
	unsigned flags;			     /* VIEW_* */
	struct view_key keys[VIEW_MAX_KEYS]; /* ch 0 ends */
};

/* The one table (views.c). */
extern const struct view_def dash_views[];
extern const size_t dash_nviews;

/* Keys every list view has (keys.c), for checks over the table: a view's
 * keys must not take one of these. */
extern const char dash_list_keys[];

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
	const struct view_def *api_view; /* the view api was found for */
	const char *api;		 /* its group version path */
	bool view_set;			 /* its first sort is applied */

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
	bool paint_now; /* a list's first page: on screen without a frame's wait */

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
	char (*line_time)[32]; /* per body line: its time cells as shown */
	bool full, header_dirty, title_dirty, status_dirty, body_dirty;
	unsigned long drawn_layout;
	size_t drawn_ncols;
	bool drawn_stale;
	bool quit;

	struct dash_usage *usage; /* sorted by key */
	size_t nusage;
	unsigned long usage_gen; /* changes when figures arrive */
	struct usage_fetch **fetch;
	size_t nfetch;
	long long usage_next; /* ms timestamp of the next fetch, or 0 */

	struct dash_forward *forwards; /* the pods view's F, until quit */
	size_t nforwards;
};

static inline void
set_str(char **slot, const char *s)
{
	free(*slot);
	*slot = s ? ml_xstrdup(s) : NULL;
}

/* Records the last error (shown in the header) from ml_err_msg(). */
static inline void
note_error(struct dash *d, const char *what)
{
	const char *msg = ml_err_msg();

	free(d->last_error);
	d->last_error = ml_xasprintf("%s: %s", what, msg ? msg : "failed");
	d->header_dirty = true;
}

static inline long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- dashboard.c: the loop and the watches --- */

/* The bottom line's message until the next key. */
void dash_message(struct dash *d, const char *fmt, ...) ML_PRINTF(2, 3);
/* Reopens the current view's watch on a fresh table. */
void dash_reopen_view(struct dash *d);
/* Goes to view v; remember: Esc comes back. */
void dash_switch_view(struct dash *d, const struct view_def *v, bool remember);
/* Shows namespace ns (NULL: all) and reopens the view when it changed. */
void dash_set_namespace(struct dash *d, const char *ns);

/* --- views.c --- */

/* The view named name or one of its aliases, or NULL. */
const struct view_def *dash_view_find(const char *name);
/* The key ch of view v, or NULL. */
const struct view_key *dash_view_key(const struct view_def *v, int ch);
/* The current view's group version path (asks the server once per view
 * when the entry names several; on failure the first). Borrowed. */
const char *dash_view_api(struct dash *d);
/* Path of the current view's list, in d->ns when namespaced. Caller frees.
 */
char *dash_list_path(struct dash *d);
/* Path of the row's object in the current view. Caller frees. */
char *dash_object_path(struct dash *d, const struct ml_tui_row *r);
/* The selected row of the list, or NULL. Borrowed. */
struct ml_tui_row *dash_selected_row(const struct dash *d);
/* Opens the describe view of the selected object. */
void dash_describe(struct dash *d);
/* Edits the selected object in $EDITOR and applies the result
 * (server-side apply); unchanged text sends nothing; on failure the text
 * is kept in a file the header names. */
void dash_edit(struct dash *d);
/* Closes every port forward of the pods view's F. */
void dash_forwards_release(struct dash *d);
/* Applies the view's first sort once its columns are known. */
void dash_view_defaults(struct dash *d);
/* Keeps d->hint that of the selected pod (VIEW_POD_HINTS views). */
void dash_update_hint(struct dash *d);

/* --- keys.c --- */

void dash_handle_key(struct dash *d, int ch);
/* Asks for the replica count of row (a view key's handler). */
void dash_ask_scale(struct dash *d, struct ml_tui_row *row);
void dash_pick_close(struct dash *d);

/* --- text.c --- */

void dash_text_clear(struct textview *t);
/* Adds one line of len bytes; control characters become spaces. */
void dash_text_add(struct textview *t, const char *line, size_t len);
/* Adds text split at newlines. */
void dash_text_add_all(struct textview *t, const char *text);
/* Adds s as lines of at most width columns, each starting with prefix. */
void dash_text_add_wrapped(struct textview *t, const char *prefix,
			   const char *s, size_t width);
/* Opens a text view titled title (taken). */
void dash_text_open(struct dash *d, enum text_kind kind, char *title);
void dash_text_close(struct dash *d);
/* The help screen, from the keys and the table of views. */
void dash_show_help(struct dash *d);
/* Fills the describe view from d->text.obj. */
void dash_describe_render(struct dash *d);
/* The event sink of a followed log. */
void dash_on_log_event(const struct ml_k8s_event *ev, void *ud);

/* --- usage.c --- */

/* Starts the next round of summaries when one is due and the view shows
 * them; stops them when it does not. Never waits. */
void dash_usage_tick(struct dash *d);
/* The figures of the row with key, or NULL. Borrowed. */
const struct dash_usage *dash_usage_find(const struct dash *d, const char *key);
/* A CPU ("250m") or memory ("128Mi") cell of r, "" when unknown; buf. */
char *dash_usage_cell(const struct dash *d, const struct ml_tui_row *r,
		      bool mem, char *buf, size_t size);
void dash_usage_release(struct dash *d);

/* --- draw.c --- */

extern bool dash_utf8; /* the locale is UTF-8: draw … and ▲ */
size_t dash_body_height(const struct dash *d);
size_t dash_text_height(const struct dash *d);
/* Sizes the per-line caches to the terminal. */
void dash_resize_cache(struct dash *d);
/* Paints what is dirty; writes to the terminal only when something was. */
void dash_render(struct dash *d);

#endif
