/*
 * tui/text.c: the dashboard's text views (see dash.h): help, generated
 * from the keys and the table of views; describe, the object as YAML;
 * logs, fed by a followed log stream.
 */
#include "config.h"

#include "tui/dash.h"
#include "tui/yaml.h"

#include <curses.h>
#include <string.h>

void
dash_text_clear(struct textview *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->lines[i]);
	t->n = 0;
	t->top = 0;
}

void
dash_text_add(struct textview *t, const char *line, size_t len)
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

void
dash_text_add_all(struct textview *t, const char *text)
{
	while (*text) {
		size_t n = strcspn(text, "\n");

		dash_text_add(t, text, n);
		text += n;
		if (*text == '\n')
			text++;
	}
}

/* Adds s as lines of at most width columns, each starting with prefix,
 * broken at spaces (a word longer than a line is cut by the screen). */
void
dash_text_add_wrapped(struct textview *t, const char *prefix, const char *s,
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
		dash_text_add(t, line, strlen(line));
		s += cut;
		while (*s == ' ')
			s++;
	}
}

void
dash_text_close(struct dash *d)
{
	struct textview *t = &d->text;

	if (t->log)
		ml_k8s_watch_stop(t->log);
	t->log = NULL;
	dash_text_clear(t);
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

void
dash_text_open(struct dash *d, enum text_kind kind, char *title)
{
	dash_text_close(d);
	d->text.kind = kind;
	d->text.title = title;
	d->mode = MODE_TEXT;
	d->full = true;
}

/* The help of the keys every list has (keys.c handles them). */
static const char *const help_keys[] = {
	"  /TEXT      filter rows as you type (Enter keeps it, Esc clears it)",
	"  0          all namespaces",
	"  n          pick a namespace",
	"  Up Down j k PgUp PgDn g G   move",
	"  1..9       sort by that column; again to reverse",
	"  Enter d    describe the selected object (YAML); v reveals secret values",
	"  e          edit the selected object in $EDITOR (vi), applied server-side",
	"  x          delete the selected object (asks first)",
	"  r          refresh: reopen the watch",
	"  ?          this help",
	"  q Esc      back (q in a list quits)",
	"  Q          quit",
};

static const char *const help_tail[] = {
	"",
	"Rows: green running or ready, yellow pending, red failed, dim completed.",
	"When the API server is unreachable the header says so and the rows stay",
	"on screen, marked stale, until the watch reconnects by itself.",
};

static void
add_lines(struct textview *t, const char *const *lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dash_text_add(t, lines[i], strlen(lines[i]));
}

/* Whether v has key: the same letter doing the same thing. */
static bool
view_has_key(const struct view_def *v, const struct view_key *key)
{
	const struct view_key *k = dash_view_key(v, key->ch);

	return k && k->run == key->run;
}

/* "  s          scale the selected object (deployments, replicasets)":
 * one line per key of some views, naming those views (a letter may do
 * different things in different views: a line for each). */
static void
add_view_keys(struct textview *t)
{
	for (size_t i = 0; i < dash_nviews; i++)
		for (size_t k = 0;
		     k < VIEW_MAX_KEYS && dash_views[i].keys[k].ch; k++) {
			const struct view_key *key = &dash_views[i].keys[k];
			ml_autofree char *line = NULL, *names = NULL;
			bool seen = false;

			for (size_t j = 0; j < i && !seen; j++)
				seen = view_has_key(&dash_views[j], key);
			if (seen)
				continue;
			for (size_t j = i; j < dash_nviews; j++) {
				char *n;

				if (!view_has_key(&dash_views[j], key))
					continue;
				n = ml_xasprintf("%s%s%s", names ? names : "",
						 names ? ", " : "",
						 dash_views[j].name);
				free(names);
				names = n;
			}
			line = ml_xasprintf("  %-10c %s (%s)", key->ch,
					    key->help, names);
			dash_text_add(t, line, strlen(line));
		}
}

void
dash_show_help(struct dash *d)
{
	struct textview *t = &d->text;
	ml_autofree char *names = ml_xstrdup("");

	dash_text_open(d, TEXT_HELP, ml_xstrdup("help"));
	dash_text_add_all(t, "Keys\n\n");
	for (size_t i = 0; i < dash_nviews; i++) {
		const struct view_def *v = &dash_views[i];
		char *n = ml_xasprintf("%s%s%s%s%s%s", names, i ? ", " : "",
				       v->name, v->aliases[0] ? " (" : "",
				       v->aliases[0] ? v->aliases[0] : "",
				       v->aliases[0] ? ")" : "");

		free(names);
		names = n;
	}
	dash_text_add(t, "  :VIEW      switch view:", 25);
	dash_text_add_wrapped(t, "             ", names,
			      COLS > 40 ? (size_t)COLS - 2 : 78);
	add_lines(t, help_keys, ML_ARRAY_SIZE(help_keys));
	add_view_keys(t);
	add_lines(t, help_tail, ML_ARRAY_SIZE(help_tail));
}

/* Fills the describe view from its object: managedFields dropped, secret
 * values hidden unless revealed. */
void
dash_describe_render(struct dash *d)
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
	dash_text_clear(t);
	if (t->hint) {
		dash_text_add_wrapped(t, "# ", t->hint,
				      COLS > 20 ? (size_t)COLS - 1 : 20);
		dash_text_add(t, "#", 1);
	}
	dash_text_add_all(t, yaml);
	d->body_dirty = true;
}

void
dash_on_log_event(const struct ml_k8s_event *ev, void *ud)
{
	struct dash *d = ud;
	struct textview *t = &d->text;

	switch (ev->type) {
	case ML_K8S_LOG_LINE:
		if (ev->text)
			dash_text_add(t, ev->text, strcspn(ev->text, "\n"));
		break;
	case ML_K8S_CONNECTED:
		/* a reconnect sends the tail again: start over */
		if (t->log_broken) {
			dash_text_clear(t);
			t->log_broken = false;
		}
		break;
	case ML_K8S_DISCONNECTED: {
		ml_autofree char *s =
			ml_xasprintf("[log stream broken: %s; retrying]",
				     ev->text ? ev->text : "unknown");
		dash_text_add(t, s, strlen(s));
		t->log_broken = true;
		break;
	}
	default:
		return;
	}
	if (t->follow) {
		size_t h = dash_text_height(d);

		t->top = t->n > h ? t->n - h : 0;
	}
	d->body_dirty = true;
}
