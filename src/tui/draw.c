/*
 * tui/draw.c: painting the dashboard (see dash.h): render() paints only
 * what is dirty, then calls doupdate() once, and only when it painted
 * something. Body lines remember the generation of the row they show
 * (rows get a new generation whenever their cells change), so a watch
 * event repaints the lines of the rows it touched and nothing else.
 */
#include "config.h"

#include "tui/dash.h"
#include "tui/age.h"

#include <curses.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bool dash_utf8;

size_t
dash_body_height(const struct dash *d)
{
	return d->lines > BODY_TOP + 1 ? (size_t)(d->lines - BODY_TOP - 1) : 0;
}

size_t
dash_text_height(const struct dash *d)
{
	return d->lines > COLS_LINE + 1 ? (size_t)(d->lines - COLS_LINE - 1)
					: 0;
}

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
		addstr(dash_utf8 ? "\xe2\x80\xa6" : "~");
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
				 d->text.top + dash_text_height(d) < d->text.n
					 ? d->text.top + dash_text_height(d)
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

/* The bottom line of a list: the keys, the view's own among them. */
static char *
key_line(const struct dash *d)
{
	ml_autofree char *s =
		ml_xstrdup("? help  : view  / filter  0 all ns  n namespace  "
			   "d describe  e edit  x delete");

	for (size_t i = 0; i < VIEW_MAX_KEYS && d->view->keys[i].ch; i++) {
		char *n = ml_xasprintf("%s  %c %s", s, d->view->keys[i].ch,
				       d->view->keys[i].label);

		free(s);
		s = n;
	}
	return ml_xasprintf("%s  q quit", s);
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
		s = ml_xasprintf("Scale %s to replicas: %s_", d->pending_label,
				 d->input);
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
			s = key_line(d);
		break;
	}
	put_line(d->lines - 1, 0, s,
		 d->prompt == PROMPT_DELETE ? A_BOLD
		 : hint			    ? COLOR_PAIR(PAIR_FAILED)
					    : A_NORMAL);
}

/* What a column's cells count from: nothing, the object's creation (AGE)
 * or when the cell arrived (the view's other time columns). */
enum time_kind { TIME_NONE, TIME_CREATED, TIME_SEEN, LIVE_CPU, LIVE_MEM };

/* Columns shown: the Table's, then CPU and MEM in a VIEW_USAGE view once
 * some figure is known (usage.c). */
static size_t
ncols_shown(const struct dash *d)
{
	return d->table->ncols +
	       ((d->view->flags & VIEW_USAGE) && d->nusage ? 2 : 0);
}

static const char *
col_title(const struct dash *d, size_t c)
{
	if (c < d->table->ncols)
		return d->table->titles[c];
	return c == d->table->ncols ? "CPU" : "MEM";
}

static enum time_kind
time_kind(const struct dash *d, size_t c)
{
	const char *title = col_title(d, c);

	if (c >= d->table->ncols)
		return c == d->table->ncols ? LIVE_CPU : LIVE_MEM;
	if (strcmp(title, "AGE") == 0)
		return TIME_CREATED;
	for (size_t i = 0;
	     i < ML_ARRAY_SIZE(d->view->since) && d->view->since[i]; i++)
		if (strcmp(title, d->view->since[i]) == 0)
			return TIME_SEEN;
	return TIME_NONE;
}

/* Cell c of r as shown at now: a time cell counts on from the row's
 * times, as kubectl would print it now. Borrowed, or in buf. */
static const char *
cell_text(const struct dash *d, const struct ml_tui_row *r, size_t c,
	  enum time_kind k, time_t now, char *buf, size_t size)
{
	long long secs;

	switch (k) {
	case TIME_CREATED:
		if (!r->created)
			break;
		return ml_tui_age_format((long long)(now - r->created), buf,
					 size);
	case TIME_SEEN:
		secs = ml_tui_age_seconds(r->cells[c]);
		if (secs < 0 || !r->seen)
			break;
		return ml_tui_age_format(secs + (long long)(now - r->seen), buf,
					 size);
	case LIVE_CPU:
	case LIVE_MEM:
		return dash_usage_cell(d, r, k == LIVE_MEM, buf, size);
	case TIME_NONE:
		break;
	}
	return r->cells[c];
}

/* The time cells of r at now, joined, into buf (what the line cache
 * compares). */
static void
time_key(const struct dash *d, const struct ml_tui_row *r,
	 const enum time_kind *kinds, time_t now, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t c = 0; c < ncols_shown(d) && len + 1 < size; c++) {
		char tmp[ML_TUI_AGE_MAX];

		if (kinds[c] == TIME_NONE)
			continue;
		len += (size_t)snprintf(buf + len, size - len, "%s|",
					cell_text(d, r, c, kinds[c], now, tmp,
						  sizeof(tmp)));
	}
}

static void
compute_widths(const struct dash *d, const enum time_kind *kinds, size_t *w)
{
	const struct ml_tui_table *t = d->table;
	size_t n = ncols_shown(d);
	ml_autofree size_t *nat = ml_xcalloc(n ? n : 1, sizeof(*nat));

	for (size_t i = 0; i < n; i++) {
		nat[i] = i >= t->ncols		 ? 6
			 : t->sort_col == (int)i ? t->natural[i] + 1
						 : t->natural[i];
		/* a time cell grows as it ticks: "59s", "2m1s", "9m59s" */
		if (kinds[i] != TIME_NONE && nat[i] < 5)
			nat[i] = 5;
	}
	ml_tui_layout(nat, n, 6, GAP, COLS > 1 ? (size_t)COLS - 1 : 1, w);
}

static attr_t
row_attr(const struct dash *d, const struct ml_tui_row *r, bool sel)
{
	attr_t a = d->stale ? A_DIM : status_attr(r->status);

	return sel ? a | A_REVERSE : a;
}

static void
draw_row(const struct dash *d, int y, const struct ml_tui_row *r, bool sel,
	 const size_t *w, const enum time_kind *kinds, time_t now)
{
	size_t n = ncols_shown(d);
	attr_t a = row_attr(d, r, sel);

	move(y, 0);
	attron(a);
	addch(' ');
	for (size_t c = 0; c < n && getcurx(stdscr) < COLS - 1; c++) {
		bool last = c + 1 == n;
		char buf[ML_TUI_AGE_MAX];

		put_cell(cell_text(d, r, c, kinds[c], now, buf, sizeof(buf)),
			 w[c], !last || sel);
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

/* Repaints the time cells of line y alone (htop repaints what changed). */
static void
draw_time_cells(const struct dash *d, int y, const struct ml_tui_row *r,
		bool sel, const size_t *w, const enum time_kind *kinds,
		time_t now)
{
	size_t n = ncols_shown(d);
	attr_t a = row_attr(d, r, sel);
	size_t x = 1;

	attron(a);
	for (size_t c = 0; c < n && x < (size_t)COLS - 1; c++) {
		char buf[ML_TUI_AGE_MAX];

		if (kinds[c] != TIME_NONE) {
			move(y, (int)x);
			put_cell(cell_text(d, r, c, kinds[c], now, buf,
					   sizeof(buf)),
				 w[c] < (size_t)COLS - 1 - x
					 ? w[c]
					 : (size_t)COLS - 1 - x,
				 true);
		}
		x += w[c] + GAP;
	}
	attroff(a);
}

static void
draw_column_titles(const struct dash *d, const size_t *w)
{
	const struct ml_tui_table *t = d->table;
	size_t n = ncols_shown(d);

	move(COLS_LINE, 0);
	clrtoeol();
	attron(A_BOLD);
	addch(' ');
	for (size_t c = 0; c < n && getcurx(stdscr) < COLS - 1; c++) {
		ml_autofree char *title =
			t->sort_col == (int)c
				? ml_xasprintf("%s%s", col_title(d, c),
					       t->sort_desc
						       ? (dash_utf8
								  ? "\xe2\x96\xbc"
								  : "v")
						       : (dash_utf8
								  ? "\xe2\x96\xb2"
								  : "^"))
				: ml_xstrdup(col_title(d, c));

		put_cell(title, w[c], c + 1 < n);
		if (c + 1 < n)
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
	size_t h = dash_body_height(d);

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
	size_t h = dash_body_height(d);
	size_t n = ncols_shown(d);
	ml_autofree size_t *w = ml_xcalloc(n ? n : 1, sizeof(*w));
	ml_autofree enum time_kind *kinds =
		ml_xcalloc(n ? n : 1, sizeof(*kinds));
	time_t now = time(NULL);
	bool any = false;

	for (size_t c = 0; c < n; c++)
		kinds[c] = time_kind(d, c);
	if (t->layout_gen != d->drawn_layout || d->stale != d->drawn_stale ||
	    n != d->drawn_ncols)
		force = true;
	compute_widths(d, kinds, w);
	if (force) {
		draw_column_titles(d, w);
		d->drawn_layout = t->layout_gen;
		d->drawn_stale = d->stale;
		d->drawn_ncols = n;
		any = true;
	}
	for (size_t i = 0; i < h; i++) {
		size_t idx = d->top + i;
		const struct ml_tui_row *r = idx < t->nvis ? t->vis[idx] : NULL;
		unsigned long gen = r ? r->gen : 0;
		unsigned char sel = r && idx == d->sel;

		char times[sizeof(*d->line_time)] = "";

		if (r)
			time_key(d, r, kinds, now, times, sizeof(times));
		if (!force && d->line_gen[i] == gen && d->line_sel[i] == sel) {
			if (r && strcmp(times, d->line_time[i]) != 0) {
				draw_time_cells(d, BODY_TOP + (int)i, r, sel, w,
						kinds, now);
				memcpy(d->line_time[i], times, sizeof(times));
				any = true;
			}
			continue;
		}
		memcpy(d->line_time[i], times, sizeof(times));
		if (r) {
			draw_row(d, BODY_TOP + (int)i, r, sel, w, kinds, now);
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
	size_t h = dash_text_height(d);

	for (size_t i = 0; i < h; i++) {
		size_t idx = t->top + i;

		put_line(COLS_LINE + (int)i, 0, idx < t->n ? t->lines[idx] : "",
			 A_NORMAL);
	}
}

static void
draw_pick_body(struct dash *d)
{
	size_t h = dash_body_height(d);

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

void
dash_resize_cache(struct dash *d)
{
	size_t h;

	d->lines = LINES;
	d->cols = COLS;
	h = dash_body_height(d);
	free(d->line_gen);
	free(d->line_sel);
	free(d->line_time);
	d->line_gen = ml_xcalloc(h ? h : 1, sizeof(*d->line_gen));
	d->line_sel = ml_xcalloc(h ? h : 1, sizeof(*d->line_sel));
	d->line_time = ml_xcalloc(h ? h : 1, sizeof(*d->line_time));
	for (size_t i = 0; i < h; i++)
		d->line_gen[i] = ULONG_MAX;
}

/* Paints what is dirty; writes to the terminal only when something was. */
void
dash_render(struct dash *d)
{
	bool any = false, force_body = false;

	if (d->full) {
		if (LINES != d->lines || COLS != d->cols)
			dash_resize_cache(d);
		erase();
		d->full = false;
		d->header_dirty = d->title_dirty = d->status_dirty = true;
		force_body = true;
	}
	dash_usage_tick(d);
	if (d->mode == MODE_TABLE)
		dash_view_defaults(d);
	if (d->mode == MODE_TABLE && ml_tui_table_refresh(d->table)) {
		d->title_dirty = true;
		d->sel_moved = true;
	}
	if (d->mode == MODE_TABLE && (d->sel_moved || force_body)) {
		fix_selection(d);
		d->sel_moved = false;
	}
	if (d->mode == MODE_TABLE)
		dash_update_hint(d);
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
