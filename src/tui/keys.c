/*
 * tui/keys.c: the dashboard's keys and prompts, and the namespace picker
 * (see dash.h). The keys of one view only are in its entry in views.c.
 */
#include "config.h"

#include "tui/dash.h"

#include <curses.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What table_key() and handle_key() take in every list view. */
const char dash_list_keys[] = ":/0ndexr?qQjkgG 123456789";

/* --- namespace picker --- */

void
dash_pick_close(struct dash *d)
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

/* --- actions --- */

static void
start_prompt(struct dash *d, enum prompt p)
{
	d->prompt = p;
	d->input_len = 0;
	d->input[0] = '\0';
	d->status_dirty = true;
}

/* Prompt p about row's object (its path and "KIND KEY" kept for the
 * answer); nothing without a row. */
static void
ask_about(struct dash *d, struct ml_tui_row *row, enum prompt p)
{
	if (!row)
		return;
	free(d->pending_path);
	free(d->pending_label);
	d->pending_path = dash_object_path(d, row);
	d->pending_label = ml_xasprintf("%s %s", d->view->kind, row->key);
	start_prompt(d, p);
}

static void
ask_delete(struct dash *d)
{
	ask_about(d, dash_selected_row(d), PROMPT_DELETE);
}

void
dash_ask_scale(struct dash *d, struct ml_tui_row *row)
{
	ask_about(d, row, PROMPT_SCALE);
}

/* PATCH of the scale subresource, as kubectl scale. */
static void
scale(struct dash *d, long n)
{
	ml_autofree char *path = ml_xasprintf("%s/scale", d->pending_path);
	ml_autofree char *body =
		ml_xasprintf("{\"spec\":{\"replicas\":%ld}}", n);

	if (ml_k8s_patch(d->c, path, "application/merge-patch+json", body,
			 NULL) < 0)
		note_error(d, "scale");
	else
		dash_message(d, "scaled %s to %ld", d->pending_label, n);
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
		v = dash_view_find(d->input);
		if (!v) {
			dash_message(d, "no view '%s': press ? for the list",
				     d->input);
			break;
		}
		dash_switch_view(d, v, true);
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
			dash_message(d, "deleted %s", d->pending_label);
		break;
	case PROMPT_SCALE: {
		char *end;
		long n = strtol(d->input, &end, 10);

		if (!accept)
			break;
		if (!d->input_len || *end || n < 0 || n > INT_MAX) {
			dash_message(d, "scale: '%s' is not a replica count",
				     d->input);
			break;
		}
		scale(d, n);
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

/*
 * A movement key (up, down, page up and down, home, end; k, j, space, g
 * and G) applied to *pos within 0..last, a page being page lines: true
 * when ch is one.
 */
static bool
move_key(int ch, size_t *pos, size_t last, size_t page)
{
	switch (ch) {
	case KEY_UP:
	case 'k':
		*pos = *pos ? *pos - 1 : 0;
		return true;
	case KEY_DOWN:
	case 'j':
		*pos = *pos < last ? *pos + 1 : last;
		return true;
	case KEY_PPAGE:
		*pos = *pos > page ? *pos - page : 0;
		return true;
	case KEY_NPAGE:
	case ' ':
		*pos = *pos + page < last ? *pos + page : last;
		return true;
	case 'g':
	case KEY_HOME:
		*pos = 0;
		return true;
	case 'G':
	case KEY_END:
		*pos = last;
		return true;
	default:
		return false;
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
	size_t n = d->table->nvis, pos = d->sel;
	size_t page = dash_body_height(d);
	const struct view_key *vk = dash_view_key(d->view, ch);

	if (vk) {
		vk->run(d, dash_selected_row(d));
		return;
	}
	/* a page keeps one row of the last on screen */
	if (move_key(ch, &pos, n ? n - 1 : 0, page > 1 ? page - 1 : 1)) {
		move_sel(d, (long)pos - (long)d->sel, n);
		return;
	}
	switch (ch) {
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
		dash_set_namespace(d, NULL);
		break;
	case 'n':
		pick_open(d);
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
	case 'd':
		dash_describe(d);
		break;
	case 'e':
		dash_edit(d);
		break;
	case 'x':
	case KEY_DC:
		ask_delete(d);
		break;
	case 'r':
		dash_reopen_view(d);
		dash_message(d, "refreshed %s", d->view->name);
		break;
	case '?':
		dash_show_help(d);
		break;
	case 'q':
		d->quit = true;
		break;
	case 27: /* Esc: clear the filter, then back to the previous view */
		if (d->table->filter) {
			ml_tui_table_set_filter(d->table, NULL);
			d->title_dirty = true;
		} else if (d->nback) {
			dash_switch_view(d, d->back[--d->nback], false);
		}
		break;
	default:
		if (ch >= '1' && ch <= '9') {
			ml_tui_table_sort_by(d->table, ch - '1');
			d->title_dirty = true;
			d->body_dirty = true; /* the titles show the order */
		} else if (ch > ' ' && ch < 0x7f) {
			dash_message(d, "no key '%c' in %s: ? lists the keys",
				     ch, d->view->name);
		}
		break;
	}
}

static void
text_key(struct dash *d, int ch)
{
	struct textview *t = &d->text;
	size_t h = dash_text_height(d), max = t->n > h ? t->n - h : 0;
	size_t old = t->top;

	if (move_key(ch, &t->top, max, h)) {
		if (t->kind == TEXT_LOGS)
			t->follow = t->top == max;
		if (t->top != old)
			d->body_dirty = true;
		return;
	}
	switch (ch) {
	case 'v':
		if (t->kind == TEXT_DESCRIBE && t->secret) {
			t->reveal = !t->reveal;
			dash_describe_render(d);
		}
		return;
	case 'q':
	case 27:
		dash_text_close(d);
		return;
	default:
		return;
	}
}

static void
pick_key(struct dash *d, int ch)
{
	size_t h = dash_body_height(d);

	if (move_key(ch, &d->ns_sel, d->ns_n ? d->ns_n - 1 : 0, h)) {
		d->body_dirty = true;
		return;
	}
	switch (ch) {
	case '\n':
	case '\r':
	case KEY_ENTER: {
		ml_autofree char *ns =
			d->ns_sel ? ml_xstrdup(d->ns_names[d->ns_sel]) : NULL;

		dash_pick_close(d);
		dash_set_namespace(d, ns);
		return;
	}
	case 'q':
	case 27:
		dash_pick_close(d);
		return;
	default:
		return;
	}
}

void
dash_handle_key(struct dash *d, int ch)
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
