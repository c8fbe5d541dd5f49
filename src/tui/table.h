/*
 * tui/table.h: the dashboard's model of one resource list, with no
 * terminal in sight: rows kept from the server-side Table form
 * (meta.k8s.io/v1 Table, rows with includeObject=Metadata), updated by
 * watch events, filtered, sorted and laid out into columns. Everything
 * here is pure logic, tested in tests/unit/test_tui_table.c.
 *
 * Each row carries a generation that changes whenever its cells change,
 * and the table a layout generation that changes whenever its columns,
 * widths or order change: the renderer compares those with what it drew
 * last and repaints only the screen lines that differ (htop's Panel
 * needsRedraw, per line).
 */
#ifndef ML_TUI_TABLE_H
#define ML_TUI_TABLE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Colour class of a row, from its STATUS (or READY, or event TYPE) cell. */
enum ml_tui_status {
	ML_TUI_STATUS_NONE,    /* no colour */
	ML_TUI_STATUS_OK,      /* green: Running, Ready, Active, n/n ready */
	ML_TUI_STATUS_PENDING, /* yellow: Pending, ContainerCreating,
				Terminating */
	ML_TUI_STATUS_FAILED,  /* red: CrashLoopBackOff, Error, NotReady, ... */
	ML_TUI_STATUS_DONE,    /* dim: Completed, Succeeded */
};

struct ml_tui_row {
	char *key;	   /* "namespace/name" or "name"; owned */
	char *ns;	   /* metadata.namespace or NULL; owned */
	char *name;	   /* metadata.name; owned */
	char **cells;	   /* ncols strings, owned */
	unsigned long gen; /* unique per row version within its table */
	time_t created;	   /* metadata.creationTimestamp, or 0 */
	time_t seen;	   /* when these cells arrived (time cells count
			    * on from there) */
	enum ml_tui_status status;
};

struct ml_tui_table {
	size_t ncols;
	char **titles;	   /* upper-case column titles, owned */
	int *src;	   /* per column: index in a Table row's cells;
			    * -1 for NAMESPACE, -2 for the name */
	bool with_ns;	   /* column 0 is NAMESPACE, filled from metadata */
	bool have_columns; /* columnDefinitions seen */
	struct ml_tui_row **rows; /* sorted by key */
	size_t nrows, cap;
	struct ml_tui_row **vis; /* the filtered rows in display order */
	size_t nvis;
	int sort_col; /* -1: by key (namespace, name) */
	bool sort_desc;
	char *filter;	  /* case-insensitive substring of any cell, or NULL */
	bool order_dirty; /* vis must be rebuilt */
	unsigned long serial;	  /* last generation handed out */
	unsigned long layout_gen; /* changes with columns, widths, order */
	size_t *natural;   /* per column: max display width of title/cells */
	bool widths_dirty; /* natural must be recomputed */
};

/* A new empty table; with_ns adds a NAMESPACE column in front. */
struct ml_tui_table *ml_tui_table_new(bool with_ns);
struct ml_tui_table *ml_tui_table_free(struct ml_tui_table *t);

/*
 * Replaces every row with those of a Table (the RELISTED event: a whole
 * list, or the first page of a paged one), taking
 * its columnDefinitions (priority 0 only, as `kubectl get` without -o
 * wide). A plain List (items, no rows) yields rows with a NAME column only.
 * Returns 0 or -EBADMSG when obj is neither.
 */
int ml_tui_table_replace(struct ml_tui_table *t, struct json_object *obj);

/*
 * Applies one watch event: deleted false adds or updates the rows in obj
 * (a Table with rows, or a single object with metadata; also a later page
 * of a paged list, LISTED_MORE), deleted true removes them. Returns the
 * number of rows changed.
 */
int ml_tui_table_apply(struct ml_tui_table *t, struct json_object *obj,
		       bool deleted);

/* The row with key, or NULL. Borrowed. */
struct ml_tui_row *ml_tui_table_find(const struct ml_tui_table *t,
				     const char *key);

/* Sets the filter (NULL or "" for none); marks the order dirty. */
void ml_tui_table_set_filter(struct ml_tui_table *t, const char *filter);

/* Sorts by column col (-1: by key); choosing the current column again
 * reverses the order. */
void ml_tui_table_sort_by(struct ml_tui_table *t, int col);

/* Rebuilds vis when the order is dirty. Returns true when it did. */
bool ml_tui_table_refresh(struct ml_tui_table *t);

/* Index of the column titled title (upper case), or -1. */
int ml_tui_table_column(const struct ml_tui_table *t, const char *title);

/* --- pure helpers --- */

/* Colour class of a status word as kubectl prints it ("Init:0/1",
 * "Ready,SchedulingDisabled", "CrashLoopBackOff", ...). */
enum ml_tui_status ml_tui_status_of_word(const char *s);

/* Colour class of a row of t: its STATUS cell, else a READY "n/m" cell,
 * else an event's TYPE (Warning is pending). */
enum ml_tui_status ml_tui_table_row_status(const struct ml_tui_table *t,
					   const struct ml_tui_row *row);

/*
 * Compares two cells for sorting: both durations as kubectl prints ages
 * ("5s", "3m20s", "2d", "<unknown>" last) compare as durations, both
 * integers as numbers, anything else case-insensitively.
 */
int ml_tui_cell_compare(const char *a, const char *b);

/* Seconds in an age such as "3m20s", "2d4h", "5y"; -1 when s is not one. */
long long ml_tui_age_seconds(const char *s);

/* Case-insensitive substring test; an empty needle matches. */
bool ml_tui_match(const char *haystack, const char *needle);

/* Display width of UTF-8 text (code points, each one column). */
size_t ml_tui_text_width(const char *s);

/* Bytes of s that fit in width columns, cut at a code point boundary. */
size_t ml_tui_text_fit(const char *s, size_t width);

/*
 * Column widths for a screen width: the natural widths when they fit
 * (with gap columns between), else the widest columns are cut down to a
 * common cap, never under min(natural, minimum). The last column takes
 * whatever is left up to its natural width. ret has n entries.
 */
void ml_tui_layout(const size_t *natural, size_t n, size_t minimum, size_t gap,
		   size_t screen, size_t *ret);

#endif
