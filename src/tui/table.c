/*
 * tui/table.c: rows of a resource list from the server-side Table form,
 * their filter, order and column layout (see table.h).
 */
#include "config.h"

#include "tui/table.h"
#include "tui/age.h"
#include "base/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static struct ml_tui_row *
row_free(struct ml_tui_row *r, size_t ncols)
{
	if (!r)
		return NULL;
	for (size_t i = 0; r->cells && i < ncols; i++)
		free(r->cells[i]);
	free(r->cells);
	free(r->key);
	free(r->ns);
	free(r->name);
	free(r);
	return NULL;
}

static void
clear_rows(struct ml_tui_table *t)
{
	for (size_t i = 0; i < t->nrows; i++)
		row_free(t->rows[i], t->ncols);
	t->nrows = 0;
	t->nvis = 0;
}

static void
clear_columns(struct ml_tui_table *t)
{
	for (size_t i = 0; i < t->ncols; i++)
		free(t->titles[i]);
	free(t->titles);
	free(t->src);
	free(t->natural);
	t->titles = NULL;
	t->src = NULL;
	t->natural = NULL;
	t->ncols = 0;
	t->have_columns = false;
}

struct ml_tui_table *
ml_tui_table_new(bool with_ns)
{
	struct ml_tui_table *t = ml_xcalloc(1, sizeof(*t));

	t->with_ns = with_ns;
	t->sort_col = -1;
	return t;
}

struct ml_tui_table *
ml_tui_table_free(struct ml_tui_table *t)
{
	if (!t)
		return NULL;
	clear_rows(t);
	clear_columns(t);
	free(t->rows);
	free(t->vis);
	free(t->filter);
	free(t);
	return NULL;
}

static char *
upper_dup(const char *s)
{
	char *u = ml_xstrdup(s);

	for (char *p = u; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return u;
}

static void
add_column(struct ml_tui_table *t, const char *title, int src)
{
	t->titles = ml_xrealloc(t->titles, (t->ncols + 1) * sizeof(*t->titles));
	t->src = ml_xrealloc(t->src, (t->ncols + 1) * sizeof(*t->src));
	t->titles[t->ncols] = upper_dup(title);
	t->src[t->ncols] = src;
	t->ncols++;
}

/* Takes the columns of a Table (priority 0) or, for a plain List, NAME. */
static void
set_columns(struct ml_tui_table *t, struct json_object *defs)
{
	clear_columns(t);
	if (t->with_ns)
		add_column(t, "namespace", -1);
	if (!defs) {
		add_column(t, "name", -2);
	} else {
		size_t n = json_object_array_length(defs);

		for (size_t i = 0; i < n; i++) {
			struct json_object *d =
				json_object_array_get_idx(defs, i);
			struct json_object *v;
			const char *name = NULL;
			int prio = 0;

			if (json_object_object_get_ex(d, "name", &v) &&
			    json_object_is_type(v, json_type_string))
				name = json_object_get_string(v);
			if (json_object_object_get_ex(d, "priority", &v) &&
			    json_object_is_type(v, json_type_int))
				prio = json_object_get_int(v);
			if (name && prio == 0)
				add_column(t, name, (int)i);
		}
	}
	t->natural = ml_xcalloc(t->ncols, sizeof(*t->natural));
	t->have_columns = true;
	t->widths_dirty = true;
	t->layout_gen++;
}

static char *
cell_text(struct json_object *c)
{
	switch (json_object_get_type(c)) {
	case json_type_null:
		return ml_xstrdup("<none>");
	case json_type_string:
		return ml_xstrdup(json_object_get_string(c));
	case json_type_int:
		return ml_xasprintf("%lld",
				    (long long)json_object_get_int64(c));
	case json_type_boolean:
		return ml_xstrdup(json_object_get_boolean(c) ? "true"
							     : "false");
	default:
		return ml_xstrdup(
			json_object_to_json_string_ext(c,
						       JSON_C_TO_STRING_PLAIN));
	}
}

static const char *
meta_str(struct json_object *meta, const char *key)
{
	struct json_object *v;

	if (!meta || !json_object_object_get_ex(meta, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* The metadata of a Table row (row.object.metadata) or of an object. */
static struct json_object *
metadata_of(struct json_object *o)
{
	struct json_object *v;

	if (json_object_object_get_ex(o, "object", &v) &&
	    json_object_get_type(v) == json_type_object)
		o = v;
	if (json_object_object_get_ex(o, "metadata", &v))
		return v;
	return NULL;
}

/* Builds a row from a Table row or a plain object; NULL without a name. */
static struct ml_tui_row *
make_row(struct ml_tui_table *t, struct json_object *o)
{
	struct json_object *meta = metadata_of(o), *cells = NULL;
	const char *name = meta_str(meta, "name");
	const char *ns = meta_str(meta, "namespace");
	struct ml_tui_row *r;

	if (!name)
		return NULL;
	if (json_object_object_get_ex(o, "cells", &cells) &&
	    !json_object_is_type(cells, json_type_array))
		cells = NULL;
	r = ml_xcalloc(1, sizeof(*r));
	r->name = ml_xstrdup(name);
	r->ns = ns && *ns ? ml_xstrdup(ns) : NULL;
	r->key = r->ns ? ml_xasprintf("%s/%s", ns, name) : ml_xstrdup(name);
	r->created = ml_tui_time_parse(meta_str(meta, "creationTimestamp"));
	r->seen = time(NULL);
	r->cells = ml_xcalloc(t->ncols ? t->ncols : 1, sizeof(*r->cells));
	for (size_t i = 0; i < t->ncols; i++) {
		int src = t->src[i];

		if (src == -1)
			r->cells[i] = ml_xstrdup(r->ns ? r->ns : "");
		else if (src == -2)
			r->cells[i] = ml_xstrdup(name);
		else if (cells && (size_t)src < json_object_array_length(cells))
			r->cells[i] = cell_text(
				json_object_array_get_idx(cells, (size_t)src));
		else
			r->cells[i] = ml_xstrdup("");
	}
	r->status = ml_tui_table_row_status(t, r);
	return r;
}

/* Position of key in rows (sorted by key): found sets *found. */
static size_t
row_pos(const struct ml_tui_table *t, const char *key, bool *found)
{
	size_t lo = 0, hi = t->nrows;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(t->rows[mid]->key, key);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

struct ml_tui_row *
ml_tui_table_find(const struct ml_tui_table *t, const char *key)
{
	bool found;
	size_t i = row_pos(t, key, &found);

	return found ? t->rows[i] : NULL;
}

static bool
same_cells(const struct ml_tui_row *a, const struct ml_tui_row *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(a->cells[i], b->cells[i]) != 0)
			return false;
	return true;
}

/* Inserts or replaces; returns 1 when something changed. Takes r. */
static int
upsert(struct ml_tui_table *t, struct ml_tui_row *r)
{
	bool found;
	size_t i = row_pos(t, r->key, &found);

	if (found) {
		if (same_cells(t->rows[i], r, t->ncols)) {
			row_free(r, t->ncols);
			return 0;
		}
		row_free(t->rows[i], t->ncols);
		t->rows[i] = r;
	} else {
		if (t->nrows == t->cap) {
			t->cap = t->cap ? t->cap * 2 : 64;
			t->rows =
				ml_xrealloc(t->rows, t->cap * sizeof(*t->rows));
		}
		memmove(&t->rows[i + 1], &t->rows[i],
			(t->nrows - i) * sizeof(*t->rows));
		t->rows[i] = r;
		t->nrows++;
	}
	r->gen = ++t->serial;
	t->order_dirty = true;
	t->widths_dirty = true;
	return 1;
}

static int
remove_key(struct ml_tui_table *t, const char *key)
{
	bool found;
	size_t i = row_pos(t, key, &found);

	if (!found)
		return 0;
	row_free(t->rows[i], t->ncols);
	memmove(&t->rows[i], &t->rows[i + 1],
		(t->nrows - i - 1) * sizeof(*t->rows));
	t->nrows--;
	t->order_dirty = true;
	t->widths_dirty = true;
	return 1;
}

int
ml_tui_table_replace(struct ml_tui_table *t, struct json_object *obj)
{
	struct json_object *rows = NULL, *defs = NULL;
	bool is_table;

	is_table = json_object_object_get_ex(obj, "rows", &rows);
	if (!is_table && !json_object_object_get_ex(obj, "items", &rows))
		return -EBADMSG;
	if (rows && json_object_get_type(rows) != json_type_array)
		rows = NULL;
	if (is_table)
		json_object_object_get_ex(obj, "columnDefinitions", &defs);
	if (defs && json_object_get_type(defs) != json_type_array)
		defs = NULL;
	clear_rows(t);
	if (!is_table || defs || !t->have_columns)
		set_columns(t, defs);
	for (size_t i = 0; rows && i < json_object_array_length(rows); i++) {
		struct ml_tui_row *r =
			make_row(t, json_object_array_get_idx(rows, i));

		if (r)
			upsert(t, r);
	}
	t->order_dirty = true;
	t->widths_dirty = true;
	return 0;
}

int
ml_tui_table_apply(struct ml_tui_table *t, struct json_object *obj,
		   bool deleted)
{
	struct json_object *rows = NULL, *defs = NULL;
	int changed = 0;
	size_t n;

	if (!json_object_object_get_ex(obj, "rows", &rows) ||
	    json_object_get_type(rows) != json_type_array) {
		/* a single object (a watch without the Table form) */
		struct json_object *meta = metadata_of(obj);
		const char *name = meta_str(meta, "name");

		if (!name)
			return 0;
		if (deleted) {
			const char *ns = meta_str(meta, "namespace");
			ml_autofree char *key =
				ns && *ns ? ml_xasprintf("%s/%s", ns, name)
					  : ml_xstrdup(name);
			return remove_key(t, key);
		}
		if (!t->have_columns)
			set_columns(t, NULL);
		struct ml_tui_row *r = make_row(t, obj);
		return r ? upsert(t, r) : 0;
	}
	if (json_object_object_get_ex(obj, "columnDefinitions", &defs) &&
	    json_object_get_type(defs) == json_type_array && !t->have_columns)
		set_columns(t, defs);
	if (!t->have_columns)
		set_columns(t, NULL);
	n = json_object_array_length(rows);
	for (size_t i = 0; i < n; i++) {
		struct ml_tui_row *r =
			make_row(t, json_object_array_get_idx(rows, i));

		if (!r)
			continue;
		if (deleted) {
			changed += remove_key(t, r->key);
			row_free(r, t->ncols);
		} else {
			changed += upsert(t, r);
		}
	}
	return changed;
}

void
ml_tui_table_set_filter(struct ml_tui_table *t, const char *filter)
{
	free(t->filter);
	t->filter = filter && *filter ? ml_xstrdup(filter) : NULL;
	t->order_dirty = true;
}

void
ml_tui_table_sort_by(struct ml_tui_table *t, int col)
{
	if (col >= (int)t->ncols)
		return;
	if (col == t->sort_col)
		t->sort_desc = !t->sort_desc;
	else
		t->sort_desc = false;
	t->sort_col = col;
	t->order_dirty = true;
}

int
ml_tui_table_column(const struct ml_tui_table *t, const char *title)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (strcmp(t->titles[i], title) == 0)
			return (int)i;
	return -1;
}

static bool
row_matches(const struct ml_tui_table *t, const struct ml_tui_row *r)
{
	if (!t->filter)
		return true;
	for (size_t i = 0; i < t->ncols; i++)
		if (ml_tui_match(r->cells[i], t->filter))
			return true;
	return false;
}

static int
compare_rows(const void *pa, const void *pb, void *ud)
{
	const struct ml_tui_table *t = ud;
	const struct ml_tui_row *a = *(struct ml_tui_row *const *)pa;
	const struct ml_tui_row *b = *(struct ml_tui_row *const *)pb;
	int c = 0;

	if (t->sort_col >= 0 && (size_t)t->sort_col < t->ncols)
		c = ml_tui_cell_compare(a->cells[t->sort_col],
					b->cells[t->sort_col]);
	if (c == 0)
		c = strcmp(a->key, b->key);
	return t->sort_desc ? -c : c;
}

static void
compute_widths(struct ml_tui_table *t)
{
	bool changed = false;

	for (size_t c = 0; c < t->ncols; c++) {
		size_t w = ml_tui_text_width(t->titles[c]);

		for (size_t i = 0; i < t->nrows; i++) {
			size_t cw = ml_tui_text_width(t->rows[i]->cells[c]);

			if (cw > w)
				w = cw;
		}
		if (w != t->natural[c]) {
			t->natural[c] = w;
			changed = true;
		}
	}
	if (changed)
		t->layout_gen++;
	t->widths_dirty = false;
}

bool
ml_tui_table_refresh(struct ml_tui_table *t)
{
	if (t->widths_dirty && t->have_columns)
		compute_widths(t);
	if (!t->order_dirty)
		return false;
	t->vis = ml_xrealloc(t->vis,
			     (t->nrows ? t->nrows : 1) * sizeof(*t->vis));
	t->nvis = 0;
	for (size_t i = 0; i < t->nrows; i++)
		if (row_matches(t, t->rows[i]))
			t->vis[t->nvis++] = t->rows[i];
	qsort_r(t->vis, t->nvis, sizeof(*t->vis), compare_rows, t);
	t->order_dirty = false;
	return true;
}

/* --- status colours --- */

static bool
word_in(const char *w, size_t len, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strlen(list[i]) == len && strncmp(w, list[i], len) == 0)
			return true;
	return false;
}

static bool
ends_with_n(const char *w, size_t len, const char *suffix)
{
	size_t sl = strlen(suffix);

	return len >= sl && strncmp(w + len - sl, suffix, sl) == 0;
}

static enum ml_tui_status
status_of_part(const char *w, size_t len)
{
	static const char *const ok[] = { "Running", "Ready",	  "Active",
					  "Bound",   "Available", NULL };
	static const char *const done[] = { "Completed", "Succeeded", NULL };
	static const char *const pending[] = { "Pending",
					       "ContainerCreating",
					       "PodInitializing",
					       "Terminating",
					       "SchedulingDisabled",
					       "Waiting",
					       "NotReady",
					       NULL };
	static const char *const failed[] = { "Failed",
					      "Error",
					      "Unknown",
					      "Evicted",
					      "NodeLost",
					      "OOMKilled",
					      "ContainerCannotRun",
					      "DeadlineExceeded",
					      "InvalidImageName",
					      "ErrImagePull",
					      "ErrImageNeverPull",
					      "CreateContainerConfigError",
					      "CreateContainerError",
					      "RunContainerError",
					      "PreStartHookError",
					      "PostStartHookError",
					      "ContainerStatusUnknown",
					      "Lost",
					      "Shutdown",
					      NULL };

	if (len > 5 && strncmp(w, "Init:", 5) == 0) {
		/* Init:0/2 is progress; Init:Error, Init:CrashLoopBackOff fail
		 */
		w += 5;
		len -= 5;
		if (len && isdigit((unsigned char)*w))
			return ML_TUI_STATUS_PENDING;
	}
	if (word_in(w, len, ok))
		return ML_TUI_STATUS_OK;
	if (word_in(w, len, done))
		return ML_TUI_STATUS_DONE;
	if (word_in(w, len, failed) || ends_with_n(w, len, "BackOff") ||
	    ends_with_n(w, len, "Error") ||
	    (len > 7 && strncmp(w, "Signal:", 7) == 0) ||
	    (len > 9 && strncmp(w, "ExitCode:", 9) == 0))
		return ML_TUI_STATUS_FAILED;
	if (word_in(w, len, pending))
		return ML_TUI_STATUS_PENDING;
	return ML_TUI_STATUS_NONE;
}

enum ml_tui_status
ml_tui_status_of_word(const char *s)
{
	enum ml_tui_status worst = ML_TUI_STATUS_NONE;
	static const int rank[] = {
		[ML_TUI_STATUS_NONE] = 0,   [ML_TUI_STATUS_DONE] = 1,
		[ML_TUI_STATUS_OK] = 2,	    [ML_TUI_STATUS_PENDING] = 3,
		[ML_TUI_STATUS_FAILED] = 4,
	};

	if (!s)
		return ML_TUI_STATUS_NONE;
	/* nodes print "Ready,SchedulingDisabled": the worst part wins */
	while (*s) {
		size_t len = strcspn(s, ",");
		enum ml_tui_status st = status_of_part(s, len);

		if (rank[st] > rank[worst])
			worst = st;
		s += len;
		if (*s == ',')
			s++;
	}
	return worst;
}

enum ml_tui_status
ml_tui_table_row_status(const struct ml_tui_table *t,
			const struct ml_tui_row *row)
{
	int c = ml_tui_table_column(t, "STATUS");
	unsigned long have, want;
	char tail;

	if (c >= 0)
		return ml_tui_status_of_word(row->cells[c]);
	c = ml_tui_table_column(t, "READY");
	if (c >= 0) {
		if (sscanf(row->cells[c], "%lu/%lu%c", &have, &want, &tail) !=
		    2)
			return ML_TUI_STATUS_NONE;
		return have >= want ? ML_TUI_STATUS_OK : ML_TUI_STATUS_PENDING;
	}
	c = ml_tui_table_column(t, "TYPE");
	if (c >= 0 && strcmp(row->cells[c], "Warning") == 0)
		return ML_TUI_STATUS_PENDING;
	return ML_TUI_STATUS_NONE;
}

/* --- comparison and text --- */

long long
ml_tui_age_seconds(const char *s)
{
	static const struct {
		char unit;
		long long secs;
	} units[] = { { 'y', 365LL * 86400 },
		      { 'd', 86400 },
		      { 'h', 3600 },
		      { 'm', 60 },
		      { 's', 1 } };
	long long total = 0;
	bool any = false;

	if (!s || !*s)
		return -1;
	while (*s) {
		long long n = 0;
		bool digits = false, known = false;

		while (isdigit((unsigned char)*s)) {
			n = n * 10 + (*s++ - '0');
			digits = true;
		}
		if (!digits)
			return -1;
		for (size_t i = 0; i < ML_ARRAY_SIZE(units); i++)
			if (*s == units[i].unit) {
				total += n * units[i].secs;
				known = true;
			}
		if (!known)
			return -1;
		s++;
		any = true;
	}
	return any ? total : -1;
}

static bool
parse_int(const char *s, long long *ret)
{
	char *end;

	if (!*s)
		return false;
	errno = 0;
	*ret = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0';
}

int
ml_tui_cell_compare(const char *a, const char *b)
{
	long long x, y;
	bool ua = strcmp(a, "<unknown>") == 0, ub = strcmp(b, "<unknown>") == 0;

	if (parse_int(a, &x) && parse_int(b, &y))
		return x < y ? -1 : x > y;
	x = ml_tui_age_seconds(a);
	y = ml_tui_age_seconds(b);
	if ((x >= 0 || ua) && (y >= 0 || ub)) {
		if (ua || ub)
			return ua - ub;
		return x < y ? -1 : x > y;
	}
	return strcasecmp(a, b);
}

bool
ml_tui_match(const char *haystack, const char *needle)
{
	size_t n = strlen(needle);

	if (!n)
		return true;
	for (; *haystack; haystack++)
		if (strncasecmp(haystack, needle, n) == 0)
			return true;
	return false;
}

size_t
ml_tui_text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

size_t
ml_tui_text_fit(const char *s, size_t width)
{
	size_t w = 0, i = 0;

	for (; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) == 0x80)
			continue;
		if (w == width)
			break;
		w++;
	}
	return i;
}

void
ml_tui_layout(const size_t *natural, size_t n, size_t minimum, size_t gap,
	      size_t screen, size_t *ret)
{
	size_t total = 0, lo, hi, avail;

	if (!n)
		return;
	for (size_t i = 0; i < n; i++)
		total += natural[i];
	avail = screen > gap * (n - 1) ? screen - gap * (n - 1) : 0;
	if (total <= avail) {
		memcpy(ret, natural, n * sizeof(*ret));
		return;
	}
	/* the largest cap c with sum(min(natural, max(c, floor))) <= avail */
	lo = 0;
	hi = 0;
	for (size_t i = 0; i < n; i++)
		if (natural[i] > hi)
			hi = natural[i];
	while (lo < hi) {
		size_t c = lo + (hi - lo + 1) / 2, sum = 0;

		for (size_t i = 0; i < n; i++) {
			size_t floor = natural[i] < minimum ? natural[i]
							    : minimum;
			size_t w = natural[i] < c ? natural[i] : c;

			sum += w > floor ? w : floor;
		}
		if (sum <= avail)
			lo = c;
		else
			hi = c - 1;
	}
	total = 0;
	for (size_t i = 0; i < n; i++) {
		size_t floor = natural[i] < minimum ? natural[i] : minimum;
		size_t w = natural[i] < lo ? natural[i] : lo;

		ret[i] = w > floor ? w : floor;
		total += ret[i];
	}
	/* hand what rounding left over to the last column */
	if (total < avail) {
		size_t extra = avail - total, last = n - 1;
		size_t room = natural[last] - ret[last];

		ret[last] += extra < room ? extra : room;
	}
}
