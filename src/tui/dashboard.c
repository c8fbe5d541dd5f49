/*
 * tui/dashboard.c: the dashboard's main loop and its watches (see
 * dashboard.h; the other parts are listed in dash.h).
 *
 * Redraw follows htop's Panel/ScreenManager: every part of the screen
 * (header, title bar, column titles, each body line, the bottom line) has
 * its own dirty state, and render (draw.c) paints only what is dirty, then
 * calls doupdate() once, and only when it painted something.
 */
#include "config.h"

#include "tui/dash.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

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

void
dash_message(struct dash *d, const char *fmt, ...)
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
list_path(struct dash *d)
{
	return dash_list_path(d);
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
		d->paint_now = true;
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

void
dash_switch_view(struct dash *d, const struct view_def *v, bool remember)
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
	dash_reopen_view(d);
}

void
dash_reopen_view(struct dash *d)
{
	d->view_set = false;
	open_view(d);
}

void
dash_set_namespace(struct dash *d, const char *ns)
{
	if ((!ns && !d->ns) || (ns && d->ns && strcmp(ns, d->ns) == 0))
		return;
	set_str(&d->ns, ns);
	d->header_dirty = true;
	dash_reopen_view(d);
}

/* --- set-up and the loop --- */

static void
dash_release(struct dash *d)
{
	if (d->text.log)
		ml_k8s_watch_stop(d->text.log);
	d->text.log = NULL;
	dash_text_close(d);
	dash_pick_close(d);
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
	free(d->line_time);
	dash_usage_release(d);
	dash_forwards_release(d);
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

	d.view = dash_view_find(o->view ? o->view : "pods");
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
	dash_utf8 = MB_CUR_MAX > 1;
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
	/* the view's first page before the nodes' (the header's count) */
	open_view(&d);
	open_nodes_watch(&d);
	dash_resize_cache(&d);
	d.full = true;
	dash_render(&d);

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
			dash_handle_key(&d, ch);
		retry_watches(&d);
		now = now_ms();
		due = now < next_frame && !d.paint_now;
		if (!due) {
			dash_render(&d);
			d.paint_now = false;
			next_frame = now + FRAME_MS;
		}
	}

	wake_fd_close(ep, pipefd);
	endwin();
	dash_release(&d);
	return 0;
}
