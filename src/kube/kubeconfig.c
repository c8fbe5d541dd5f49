/*
 * kube/kubeconfig.c: edit kubeconfig files as a YAML event stream.
 *
 * The file is parsed into an array of libyaml events and written back by
 * replaying them through the emitter, swapping in minilaunch's entries on
 * the way. Working on events rather than a yaml_document_t keeps what the
 * document API loses: explicit tags (a "!!str 123" stays a string), scalar
 * styles, anchors and aliases, directives and any later documents. Comments
 * are lost, as they are when kubectl rewrites the file.
 *
 * Each collection's start event records the index of its end event, so a
 * node is the range [i, evs[i].end] and skipping one is O(1); nothing here
 * recurses, whatever the nesting depth of the file.
 */
#include "config.h"

#include "kube/kubeconfig.h"

#include "base/paths.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

/*
 * kubectl gives up at once on a held lock; waiting a little rides out a
 * concurrent kubectl without hanging on a stale lock.
 */
#define LOCK_WAIT_MS 5000
#define LOCK_POLL_MS 100

#define NO_NODE SIZE_MAX

/*
 * libyaml's scanner is quadratic in flow nesting depth (a 400 KB file of
 * '[' took minutes) and every event is kept in memory: real kubeconfigs
 * nest about 6 deep and weigh kilobytes, so cap both far above that.
 */
#define MAX_DEPTH 64
#define MAX_FILE_SIZE (16 * 1024 * 1024)

struct kc_ev {
	yaml_event_t ev;
	size_t end; /* index of this node's last event */
};

struct kc_doc {
	const char *path;
	struct kc_ev *evs;
	size_t n;
	size_t root;	  /* the first document's root node, or NO_NODE */
	const char *home; /* realpath of the minilaunch home, or NULL */
};

/* The three lists, in the order kubectl writes them. */
static const char *const sections[] = { "clusters", "contexts", "users" };

struct kc_edit {
	const char *name;
	const struct ml_kubeconfig_entry *e; /* NULL: remove name */
	bool set_current;
	bool ours_context; /* the file has our context called name */
	const char *home;  /* realpath of the minilaunch home, or NULL */
};

struct kc_out {
	yaml_emitter_t em;
	const char *path;
	char *buf;
	size_t len, cap;
	char **anchors; /* anchors emitted so far, to check every alias */
	size_t n_anchors;
};

static void
doc_release(struct kc_doc *d)
{
	for (size_t i = 0; i < d->n; i++)
		yaml_event_delete(&d->evs[i].ev);
	free(d->evs);
	d->evs = NULL;
	d->n = 0;
}

static size_t
ev_line(const struct kc_doc *d, size_t i)
{
	return d->evs[i].ev.start_mark.line + 1;
}

static int bad(const struct kc_doc *d, size_t i, const char *fmt, ...)
	ML_PRINTF(3, 4);

/* Reports a file kubectl could not read either: -EBADMSG. */
static int
bad(const struct kc_doc *d, size_t i, const char *fmt, ...)
{
	ml_autofree char *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	what = ml_xvasprintf(fmt, ap);
	va_end(ap);
	return ml_err(
		-EBADMSG,
		"cannot parse kubeconfig '%s' at line %zu: %s: fix or move the file",
		d->path, ev_line(d, i), what);
}

static int
parse_error(const struct kc_doc *d, const yaml_parser_t *p, const char *data)
{
	size_t line;

	if (p->error == YAML_MEMORY_ERROR)
		ml_oom();
	if (p->error == YAML_READER_ERROR) {
		/* The reader reports a byte offset, not a mark. */
		line = 1;
		for (size_t i = 0; i < p->problem_offset && data[i]; i++)
			line += data[i] == '\n';
	} else {
		line = p->problem_mark.line + 1;
	}
	if (p->context)
		return ml_err(
			-EBADMSG,
			"cannot parse kubeconfig '%s' at line %zu: %s %s: fix or move the file",
			d->path, line, p->problem ? p->problem : "syntax error",
			p->context);
	return ml_err(
		-EBADMSG,
		"cannot parse kubeconfig '%s' at line %zu: %s: fix or move the file",
		d->path, line, p->problem ? p->problem : "syntax error");
}

static bool
is_node(yaml_event_type_t t)
{
	return t == YAML_SCALAR_EVENT || t == YAML_ALIAS_EVENT ||
	       t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT;
}

static bool
is_start(yaml_event_type_t t)
{
	return t == YAML_STREAM_START_EVENT || t == YAML_DOCUMENT_START_EVENT ||
	       t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT;
}

static bool
is_end(yaml_event_type_t t)
{
	return t == YAML_STREAM_END_EVENT || t == YAML_DOCUMENT_END_EVENT ||
	       t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT;
}

static int
doc_parse(struct kc_doc *d, const char *path, const char *data, size_t len)
{
	yaml_parser_t p;
	ml_autofree size_t *stack = NULL;
	size_t depth = 0, nesting = 0, cap = 0, stack_cap = 0;
	int r = 0;

	d->path = path;
	d->evs = NULL;
	d->n = 0;
	d->root = NO_NODE;
	d->home = NULL;
	if (!yaml_parser_initialize(&p))
		ml_oom();
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	for (;;) {
		struct kc_ev *e;
		yaml_event_type_t t;
		size_t i;

		if (d->n == cap) {
			cap = cap ? cap * 2 : 64;
			d->evs = ml_xrealloc(d->evs, cap * sizeof(*d->evs));
		}
		e = &d->evs[d->n];
		if (!yaml_parser_parse(&p, &e->ev)) {
			r = parse_error(d, &p, data);
			break;
		}
		i = d->n++;
		e->end = i;
		t = e->ev.type;
		if (d->root == NO_NODE && is_node(t))
			d->root = i;
		if (t == YAML_SEQUENCE_START_EVENT ||
		    t == YAML_MAPPING_START_EVENT) {
			if (++nesting > MAX_DEPTH) {
				r = ml_err(-EBADMSG,
					   "cannot parse kubeconfig '%s' at line %zu: nested more than %d levels deep: fix or move the file",
					   path, ev_line(d, i), MAX_DEPTH);
				break;
			}
		} else if (t == YAML_SEQUENCE_END_EVENT ||
			   t == YAML_MAPPING_END_EVENT) {
			nesting--;
		}
		if (is_start(t)) {
			if (depth == stack_cap) {
				stack_cap = stack_cap ? stack_cap * 2 : 32;
				stack = ml_xrealloc(stack,
						    stack_cap * sizeof(*stack));
			}
			stack[depth++] = i;
		} else if (is_end(t) && depth > 0) {
			d->evs[stack[--depth]].end = i;
		}
		if (t == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&p);
	if (r < 0)
		doc_release(d);
	return r;
}

static size_t
node_next(const struct kc_doc *d, size_t i)
{
	return d->evs[i].end + 1;
}

static bool
scalar_eq(const struct kc_doc *d, size_t i, const char *s)
{
	const yaml_event_t *ev = &d->evs[i].ev;

	return ev->type == YAML_SCALAR_EVENT &&
	       ev->data.scalar.length == strlen(s) &&
	       memcmp(ev->data.scalar.value, s, ev->data.scalar.length) == 0;
}

static bool
is_null(const struct kc_doc *d, size_t i)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	const yaml_event_t *ev = &d->evs[i].ev;

	if (ev->type != YAML_SCALAR_EVENT)
		return false;
	if (ev->data.scalar.tag)
		return strcmp((const char *)ev->data.scalar.tag,
			      YAML_NULL_TAG) == 0;
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t k = 0; k < ML_ARRAY_SIZE(nulls); k++)
		if (scalar_eq(d, i, nulls[k]))
			return true;
	return false;
}

/* The node an alias stands for: the latest earlier node with its anchor. */
static size_t
resolve(const struct kc_doc *d, size_t i)
{
	const char *anchor;

	if (i == NO_NODE || d->evs[i].ev.type != YAML_ALIAS_EVENT)
		return i;
	anchor = (const char *)d->evs[i].ev.data.alias.anchor;
	for (size_t j = i; j-- > 0;) {
		const yaml_event_t *ev = &d->evs[j].ev;
		const yaml_char_t *a = NULL;

		if (ev->type == YAML_SCALAR_EVENT)
			a = ev->data.scalar.anchor;
		else if (ev->type == YAML_SEQUENCE_START_EVENT)
			a = ev->data.sequence_start.anchor;
		else if (ev->type == YAML_MAPPING_START_EVENT)
			a = ev->data.mapping_start.anchor;
		if (a && strcmp((const char *)a, anchor) == 0)
			return j;
	}
	return NO_NODE;
}

/* The value of key in mapping m (aliases followed), or NO_NODE. */
static size_t
map_get(const struct kc_doc *d, size_t m, const char *key)
{
	m = resolve(d, m);
	if (m == NO_NODE || d->evs[m].ev.type != YAML_MAPPING_START_EVENT)
		return NO_NODE;
	for (size_t k = m + 1; k < d->evs[m].end;) {
		size_t v = node_next(d, k);

		if (scalar_eq(d, resolve(d, k), key))
			return resolve(d, v);
		k = node_next(d, v);
	}
	return NO_NODE;
}

static bool
item_named(const struct kc_doc *d, size_t item, const char *name)
{
	size_t v = map_get(d, item, "name");

	return v != NO_NODE && scalar_eq(d, v, name);
}

/* The inner mapping of an entry of each section: {cluster: {...}, name}. */
static const char *const inner_keys[] = { "cluster", "context", "user" };

/*
 * p made canonical: realpath(), or, for a file that is not (or no longer)
 * there, the realpath of its deepest existing directory followed by the
 * rest as written, which may hold no "." or ".." component. NULL for a
 * relative path or one that cannot be resolved. Caller frees.
 */
static char *
real_path(const char *p)
{
	ml_autofree char *head = NULL;
	char *real, *slash = NULL, *out;
	const char *tail;

	if (!p || p[0] != '/')
		return NULL;
	real = realpath(p, NULL);
	if (real)
		return real;
	if (errno != ENOENT && errno != ENOTDIR)
		return NULL;
	head = ml_xstrdup(p);
	while (!real) {
		slash = strrchr(head, '/');
		if (!slash)
			return NULL;
		*slash = '\0';
		real = realpath(*head ? head : "/", NULL);
		if (!real && errno != ENOENT && errno != ENOTDIR)
			return NULL;
	}
	tail = p + (slash - head) + 1;
	for (const char *c = tail; *c;) {
		size_t n = strcspn(c, "/");

		if ((n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.')) {
			free(real);
			return NULL;
		}
		c += n;
		c += *c == '/';
	}
	out = ml_xasprintf("%s/%s", strcmp(real, "/") ? real : "", tail);
	free(real);
	return out;
}

/*
 * True when file (relative ones against the kubeconfig's directory, as
 * kubectl reads them) is under home, compared component-wise on canonical
 * paths: /h/.minilaunch2/ca.crt is not under /h/.minilaunch.
 */
static bool
file_under_home(const struct kc_doc *d, const char *file)
{
	ml_autofree char *abs = NULL, *real = NULL;
	size_t n = strlen(d->home);

	if (!file)
		return false;
	if (file[0] == '/') {
		abs = ml_xstrdup(file);
	} else {
		const char *slash = strrchr(d->path, '/');

		if (!slash)
			return false;
		abs = ml_xasprintf("%.*s/%s", (int)(slash - d->path), d->path,
				   file);
	}
	real = real_path(abs);
	if (!real)
		return false;
	if (n == 1)
		return real[1] != '\0';
	return strncmp(real, d->home, n) == 0 && real[n] == '/' &&
	       real[n + 1] != '\0';
}

/* The scalar at key of mapping m, duplicated, or NULL. */
static char *get_str(const struct kc_doc *d, size_t m, const char *key);
static size_t find_entry(const struct kc_doc *d, int s, const char *name);
static bool item_ours(const struct kc_doc *d, size_t item, int s);

/*
 * True when item, an unmarked entry of section s, provably came from this
 * minilaunch home, as an older minilaunch wrote it without a mark: a
 * cluster whose certificate-authority is a file under the home; a user
 * whose client-certificate and client-key, each when present (one at
 * least), are; a context whose cluster, and user when set, are ours.
 * Embedded data, tokens or files elsewhere leave the entry the user's.
 */
static bool
item_from_home(const struct kc_doc *d, size_t item, int s)
{
	static const char *const embedded[] = { "certificate-authority-data",
						"client-certificate-data",
						"client-key-data", "token",
						"tokenFile" };
	size_t in = map_get(d, item, inner_keys[s]);
	ml_autofree char *a = NULL, *b = NULL;
	size_t e;

	if (!d->home || in == NO_NODE ||
	    d->evs[in].ev.type != YAML_MAPPING_START_EVENT)
		return false;
	for (size_t i = 0; i < ML_ARRAY_SIZE(embedded); i++)
		if (map_get(d, in, embedded[i]) != NO_NODE)
			return false;
	switch (s) {
	case 0:
		a = get_str(d, in, "certificate-authority");
		return file_under_home(d, a);
	case 1:
		a = get_str(d, in, "cluster");
		b = get_str(d, in, "user");
		e = a ? find_entry(d, 0, a) : NO_NODE;
		if (e == NO_NODE || !item_ours(d, e, 0))
			return false;
		if (!b)
			return true;
		e = find_entry(d, 2, b);
		return e != NO_NODE && item_ours(d, e, 2);
	default:
		a = get_str(d, in, "client-certificate");
		b = get_str(d, in, "client-key");
		return (a || b) && (!a || file_under_home(d, a)) &&
		       (!b || file_under_home(d, b));
	}
}

/*
 * True when item, an entry of section s, is minilaunch's: it carries our
 * mark, as minikube marks its entries (an extension named minilaunch whose
 * provider is minilaunch in the entry's cluster, context or user), or it
 * is unmarked and item_from_home().
 */
static bool
item_ours(const struct kc_doc *d, size_t item, int s)
{
	size_t ext = map_get(d, map_get(d, item, inner_keys[s]), "extensions");

	if (ext != NO_NODE &&
	    d->evs[ext].ev.type == YAML_SEQUENCE_START_EVENT) {
		for (size_t j = ext + 1; j < d->evs[ext].end;
		     j = node_next(d, j)) {
			size_t n = map_get(d, j, "name");
			size_t p = map_get(d, map_get(d, j, "extension"),
					   "provider");

			if (n != NO_NODE &&
			    scalar_eq(d, n, ML_KUBECONFIG_PROVIDER) &&
			    p != NO_NODE &&
			    scalar_eq(d, p, ML_KUBECONFIG_PROVIDER))
				return true;
		}
	}
	return item_from_home(d, item, s);
}

static int
section_of(const struct kc_doc *d, size_t key)
{
	for (size_t s = 0; s < ML_ARRAY_SIZE(sections); s++)
		if (scalar_eq(d, key, sections[s]))
			return (int)s;
	return -1;
}

/* The value v of section s: null or a list of mappings. */
static int
validate_section(const struct kc_doc *d, size_t v, int s)
{
	if (d->evs[v].ev.type == YAML_ALIAS_EVENT)
		return bad(d, v,
			   "'%s' is an alias, which minilaunch cannot edit",
			   sections[s]);
	if (is_null(d, v))
		return 0;
	if (d->evs[v].ev.type != YAML_SEQUENCE_START_EVENT)
		return bad(d, v, "'%s' is not a list", sections[s]);
	for (size_t j = v + 1; j < d->evs[v].end; j = node_next(d, j)) {
		size_t item = resolve(d, j);

		if (d->evs[item].ev.type != YAML_MAPPING_START_EVENT)
			return bad(d, j, "an entry of '%s' is not a mapping",
				   sections[s]);
	}
	return 0;
}

/*
 * Checks the parts of the file minilaunch reads or edits, so a file kubectl
 * would reject fails before anything is written.
 */
static int
doc_validate(const struct kc_doc *d)
{
	size_t root = d->root;
	bool seen[ML_ARRAY_SIZE(sections)] = { false };
	bool seen_current = false;
	int r;

	for (size_t i = 0; i < d->n; i++)
		if (d->evs[i].ev.type == YAML_ALIAS_EVENT &&
		    resolve(d, i) == NO_NODE)
			return bad(d, i, "alias '*%s' has no anchor",
				   d->evs[i].ev.data.alias.anchor);
	if (root == NO_NODE || is_null(d, root))
		return 0;
	if (d->evs[root].ev.type != YAML_MAPPING_START_EVENT)
		return bad(d, root, "the top level is not a mapping");
	for (size_t k = root + 1; k < d->evs[root].end;) {
		size_t v = node_next(d, k);
		int s = section_of(d, k);

		if (s >= 0) {
			if (seen[s])
				return bad(d, k, "duplicate key '%s'",
					   sections[s]);
			seen[s] = true;
			r = validate_section(d, v, s);
			if (r < 0)
				return r;
		} else if (scalar_eq(d, k, "current-context")) {
			if (seen_current)
				return bad(d, k,
					   "duplicate key 'current-context'");
			seen_current = true;
			if (d->evs[v].ev.type != YAML_SCALAR_EVENT)
				return bad(d, v,
					   "'current-context' is not a string");
		}
		k = node_next(d, v);
	}
	return 0;
}

/* Reads and checks path; a missing file gives 0 and *ret_exists false. */
static int
doc_load(struct kc_doc *d, const char *path, char **ret_data, size_t *ret_len,
	 bool *ret_exists)
{
	char *data = NULL;
	size_t len = 0;
	int r;

	*ret_exists = ml_path_exists(path);
	if (*ret_exists) {
		struct stat st;

		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_size > MAX_FILE_SIZE)
			return ml_err(
				-EFBIG,
				"kubeconfig '%s' is larger than %d MiB: fix or move the file",
				path, MAX_FILE_SIZE / (1024 * 1024));
		r = ml_read_file(path, &data, &len);
		if (r < 0)
			return r;
	} else {
		data = ml_xstrdup("");
	}
	r = doc_parse(d, path, data, len);
	if (r >= 0) {
		r = doc_validate(d);
		if (r < 0)
			doc_release(d);
	}
	if (r < 0) {
		free(data);
		return r;
	}
	*ret_data = data;
	if (ret_len)
		*ret_len = len;
	return 0;
}

static int
out_write(void *data, unsigned char *buffer, size_t size)
{
	struct kc_out *o = data;

	if (o->cap - o->len < size + 1) {
		while (o->cap - o->len < size + 1)
			o->cap = o->cap ? o->cap * 2 : 4096;
		o->buf = ml_xrealloc(o->buf, o->cap);
	}
	memcpy(o->buf + o->len, buffer, size);
	o->len += size;
	o->buf[o->len] = '\0';
	return 1;
}

static void
out_init(struct kc_out *o, const char *path)
{
	memset(o, 0, sizeof(*o));
	o->path = path;
	if (!yaml_emitter_initialize(&o->em))
		ml_oom();
	yaml_emitter_set_output(&o->em, out_write, o);
	yaml_emitter_set_unicode(&o->em, 1);
	/* Never fold long values such as certificate-authority-data. */
	yaml_emitter_set_width(&o->em, -1);
	yaml_emitter_set_indent(&o->em, 2);
}

static void
out_release(struct kc_out *o)
{
	yaml_emitter_delete(&o->em);
	for (size_t i = 0; i < o->n_anchors; i++)
		free(o->anchors[i]);
	free(o->anchors);
	free(o->buf);
	memset(o, 0, sizeof(*o));
}

/* Emits an event built by a yaml_*_event_initialize() that returned ok. */
static int
out_emit(struct kc_out *o, yaml_event_t *ev, int ok)
{
	if (!ok)
		return ml_err(
			-EINVAL,
			"cannot write kubeconfig '%s': a value is not valid UTF-8",
			o->path);
	if (!yaml_emitter_emit(&o->em, ev))
		return ml_err(-EINVAL, "cannot write kubeconfig '%s': %s",
			      o->path,
			      o->em.problem ? o->em.problem : "emitter error");
	return 0;
}

static void
out_add_anchor(struct kc_out *o, const yaml_char_t *anchor)
{
	if (!anchor)
		return;
	o->anchors = ml_xrealloc(o->anchors,
				 (o->n_anchors + 1) * sizeof(*o->anchors));
	o->anchors[o->n_anchors++] = ml_xstrdup((const char *)anchor);
}

static bool
out_has_anchor(const struct kc_out *o, const yaml_char_t *anchor)
{
	for (size_t i = 0; i < o->n_anchors; i++)
		if (strcmp(o->anchors[i], (const char *)anchor) == 0)
			return true;
	return false;
}

static bool
empty_null(const yaml_event_t *s)
{
	return !s->data.scalar.tag && s->data.scalar.plain_implicit &&
	       s->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       s->data.scalar.length == 0;
}

/*
 * Emits a copy of event i; block_style turns a collection's flow style into
 * block style (same meaning) so entries added to it are readable.
 */
static int
out_copy_ev(struct kc_out *o, const struct kc_doc *d, size_t i,
	    bool block_style)
{
	const yaml_event_t *s = &d->evs[i].ev;
	yaml_event_t ev;
	int ok = 0;

	switch (s->type) {
	case YAML_STREAM_START_EVENT:
		ok = yaml_stream_start_event_initialize(&ev,
							YAML_UTF8_ENCODING);
		break;
	case YAML_STREAM_END_EVENT:
		ok = yaml_stream_end_event_initialize(&ev);
		break;
	case YAML_DOCUMENT_START_EVENT:
		ok = yaml_document_start_event_initialize(
			&ev, s->data.document_start.version_directive,
			s->data.document_start.tag_directives.start,
			s->data.document_start.tag_directives.end,
			s->data.document_start.implicit);
		break;
	case YAML_DOCUMENT_END_EVENT:
		ok = yaml_document_end_event_initialize(&ev,
							s->data.document_end
								.implicit);
		break;
	case YAML_ALIAS_EVENT:
		if (!out_has_anchor(o, s->data.alias.anchor))
			return ml_err(
				-ENOTSUP,
				"cannot edit kubeconfig '%s': alias '*%s' at line %zu refers to an entry being replaced or removed: replace the alias with its value",
				o->path, s->data.alias.anchor, ev_line(d, i));
		ok = yaml_alias_event_initialize(&ev, s->data.alias.anchor);
		break;
	case YAML_SCALAR_EVENT:
		out_add_anchor(o, s->data.scalar.anchor);
		if (empty_null(s)) {
			/*
			 * The emitter writes an empty plain scalar in a flow
			 * collection or as a key as ! '', a string: keep it
			 * null.
			 */
			ok = yaml_scalar_event_initialize(&ev,
							  s->data.scalar.anchor,
							  NULL,
							  (const yaml_char_t
								   *)"~",
							  1, 1, 0,
							  YAML_PLAIN_SCALAR_STYLE);
			break;
		}
		ok = yaml_scalar_event_initialize(&ev, s->data.scalar.anchor,
						  s->data.scalar.tag,
						  s->data.scalar.value,
						  (int)s->data.scalar.length,
						  s->data.scalar.plain_implicit,
						  s->data.scalar.quoted_implicit,
						  s->data.scalar.style);
		break;
	case YAML_SEQUENCE_START_EVENT:
		out_add_anchor(o, s->data.sequence_start.anchor);
		ok = yaml_sequence_start_event_initialize(
			&ev, s->data.sequence_start.anchor,
			s->data.sequence_start.tag,
			s->data.sequence_start.implicit,
			block_style ? YAML_BLOCK_SEQUENCE_STYLE
				    : s->data.sequence_start.style);
		break;
	case YAML_SEQUENCE_END_EVENT:
		ok = yaml_sequence_end_event_initialize(&ev);
		break;
	case YAML_MAPPING_START_EVENT:
		out_add_anchor(o, s->data.mapping_start.anchor);
		ok = yaml_mapping_start_event_initialize(
			&ev, s->data.mapping_start.anchor,
			s->data.mapping_start.tag,
			s->data.mapping_start.implicit,
			block_style ? YAML_BLOCK_MAPPING_STYLE
				    : s->data.mapping_start.style);
		break;
	case YAML_MAPPING_END_EVENT:
		ok = yaml_mapping_end_event_initialize(&ev);
		break;
	case YAML_NO_EVENT:
		return 0;
	}
	return out_emit(o, &ev, ok);
}

/* Emits node i unchanged. */
static int
out_copy_node(struct kc_out *o, const struct kc_doc *d, size_t i)
{
	for (size_t j = i; j <= d->evs[i].end; j++) {
		int r = out_copy_ev(o, d, j, false);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * True when s reads back as a string when written plain. The emitter does
 * not resolve types, so "true", "0123" or "null" must be quoted; the simple
 * rule (starts with a letter or '/', is no YAML 1.1 keyword) keeps paths,
 * URLs and names readable.
 */
static bool
plain_is_string(const char *s)
{
	static const char *const words[] = {
		"y",	 "Y",	  "yes",  "Yes",  "YES",  "n",	  "N",
		"no",	 "No",	  "NO",	  "true", "True", "TRUE", "false",
		"False", "FALSE", "on",	  "On",	  "ON",	  "off",  "Off",
		"OFF",	 "null",  "Null", "NULL",
	};
	bool alpha = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z');

	if (!alpha && *s != '/')
		return false;
	for (size_t i = 0; i < ML_ARRAY_SIZE(words); i++)
		if (strcmp(s, words[i]) == 0)
			return false;
	return true;
}

static int
out_str(struct kc_out *o, const char *s)
{
	yaml_event_t ev;
	int ok;

	ok = yaml_scalar_event_initialize(
		&ev, NULL, NULL, (const yaml_char_t *)s, (int)strlen(s), 1, 1,
		plain_is_string(s) ? YAML_ANY_SCALAR_STYLE
				   : YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	return out_emit(o, &ev, ok);
}

static int
out_map_start(struct kc_out *o)
{
	yaml_event_t ev;
	int ok = yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
						     YAML_BLOCK_MAPPING_STYLE);
	return out_emit(o, &ev, ok);
}

static int
out_map_end(struct kc_out *o)
{
	yaml_event_t ev;
	int ok = yaml_mapping_end_event_initialize(&ev);
	return out_emit(o, &ev, ok);
}

static int
out_seq_start(struct kc_out *o)
{
	yaml_event_t ev;
	int ok =
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
						     YAML_BLOCK_SEQUENCE_STYLE);
	return out_emit(o, &ev, ok);
}

static int
out_seq_end(struct kc_out *o)
{
	yaml_event_t ev;
	int ok = yaml_sequence_end_event_initialize(&ev);
	return out_emit(o, &ev, ok);
}

/* Emits key: value for each non-NULL value in kv (key, value, ...). */
static int
out_pairs(struct kc_out *o, const char *const *kv, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2) {
		int r;

		if (!kv[i + 1])
			continue;
		r = out_str(o, kv[i]);
		if (r >= 0)
			r = out_str(o, kv[i + 1]);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Our mark, minikube's shape: extensions: [{extension: {profile: NAME,
 * provider: minilaunch}, name: minilaunch}].
 */
static int
out_mark(struct kc_out *o, const char *name)
{
	const char *ext[] = { "profile", name, "provider",
			      ML_KUBECONFIG_PROVIDER };
	const char *ext_name[] = { "name", ML_KUBECONFIG_PROVIDER };
	int r;

	r = out_str(o, "extensions");
	if (r >= 0)
		r = out_seq_start(o);
	if (r >= 0)
		r = out_map_start(o);
	if (r >= 0)
		r = out_str(o, "extension");
	if (r >= 0)
		r = out_map_start(o);
	if (r >= 0)
		r = out_pairs(o, ext, ML_ARRAY_SIZE(ext));
	if (r >= 0)
		r = out_map_end(o);
	if (r >= 0)
		r = out_pairs(o, ext_name, ML_ARRAY_SIZE(ext_name));
	if (r >= 0)
		r = out_map_end(o);
	if (r >= 0)
		r = out_seq_end(o);
	return r;
}

/*
 * One entry of section s, keys sorted as kubectl writes them:
 * {cluster: {...}, name} / {context: {...}, name} / {name, user: {...}};
 * the inner mapping's pairs before and after its extensions.
 */
static int
out_entry(struct kc_out *o, int s, const struct ml_kubeconfig_entry *e)
{
	const char *cluster[] = { "certificate-authority", e->ca_file };
	const char *cluster_after[] = { "server", e->server };
	const char *context[] = { "cluster", e->name };
	const char *context_after[] = { "namespace", e->namespace, "user",
					e->name };
	const char *user[] = { "client-certificate", e->cert_file, "client-key",
			       e->key_file };
	const char *const *before[] = { cluster, context, user };
	const size_t n_before[] = { ML_ARRAY_SIZE(cluster),
				    ML_ARRAY_SIZE(context),
				    ML_ARRAY_SIZE(user) };
	const char *const *after[] = { cluster_after, context_after, NULL };
	const size_t n_after[] = { ML_ARRAY_SIZE(cluster_after),
				   ML_ARRAY_SIZE(context_after), 0 };
	const char *name[] = { "name", e->name };
	int r;

	r = out_map_start(o);
	if (r >= 0 && s == 2)
		r = out_pairs(o, name, ML_ARRAY_SIZE(name));
	if (r >= 0)
		r = out_str(o, inner_keys[s]);
	if (r >= 0)
		r = out_map_start(o);
	if (r >= 0)
		r = out_pairs(o, before[s], n_before[s]);
	if (r >= 0)
		r = out_mark(o, e->name);
	if (r >= 0 && after[s])
		r = out_pairs(o, after[s], n_after[s]);
	if (r >= 0)
		r = out_map_end(o);
	if (r >= 0 && s != 2)
		r = out_pairs(o, name, ML_ARRAY_SIZE(name));
	if (r >= 0)
		r = out_map_end(o);
	return r;
}

/* The list value v (NO_NODE: absent) of section s, edited. */
static int
out_section(struct kc_out *o, const struct kc_doc *d, size_t v, int s,
	    const struct kc_edit *ed)
{
	bool done = false;
	int r;

	if (v != NO_NODE && is_null(d, v) && !ed->e)
		return out_copy_node(o, d, v);
	if (v == NO_NODE || is_null(d, v)) {
		r = out_seq_start(o);
		if (r >= 0)
			r = out_entry(o, s, ed->e);
		if (r >= 0)
			r = out_seq_end(o);
		return r;
	}
	r = out_copy_ev(o, d, v, true);
	for (size_t j = v + 1; r >= 0 && j < d->evs[v].end;
	     j = node_next(d, j)) {
		/* a foreign entry of that name stops a merge before this */
		if (!item_named(d, j, ed->name) || !item_ours(d, j, s)) {
			r = out_copy_node(o, d, j);
			continue;
		}
		/* Replace the first entry in place, drop any duplicates. */
		if (ed->e && !done)
			r = out_entry(o, s, ed->e);
		done = true;
	}
	if (r >= 0 && ed->e && !done)
		r = out_entry(o, s, ed->e);
	if (r >= 0)
		r = out_copy_ev(o, d, d->evs[v].end, false);
	return r;
}

static int
out_fresh_root(struct kc_out *o, const struct kc_edit *ed)
{
	const char *head[] = { "apiVersion", "v1", "kind", "Config" };
	const char *current[] = { "current-context",
				  ed->set_current ? ed->name : "" };
	int r;

	r = out_map_start(o);
	if (r >= 0)
		r = out_pairs(o, head, ML_ARRAY_SIZE(head));
	for (size_t s = 0; r >= 0 && s < ML_ARRAY_SIZE(sections); s++) {
		r = out_str(o, sections[s]);
		if (r >= 0)
			r = out_section(o, NULL, NO_NODE, (int)s, ed);
	}
	if (r >= 0)
		r = out_pairs(o, current, ML_ARRAY_SIZE(current));
	if (r >= 0)
		r = out_str(o, "preferences");
	if (r >= 0)
		r = out_map_start(o);
	if (r >= 0)
		r = out_map_end(o);
	if (r >= 0)
		r = out_map_end(o);
	return r;
}

static int
out_root(struct kc_out *o, const struct kc_doc *d, const struct kc_edit *ed)
{
	size_t root = d->root;
	bool seen[ML_ARRAY_SIZE(sections)] = { false };
	bool seen_current = false, seen_api = false, seen_kind = false;
	int r;

	if (root == NO_NODE || is_null(d, root))
		return out_fresh_root(o, ed);
	r = out_copy_ev(o, d, root, true);
	for (size_t k = root + 1; r >= 0 && k < d->evs[root].end;) {
		size_t v = node_next(d, k);
		int s = section_of(d, k);

		r = out_copy_node(o, d, k);
		if (r < 0)
			break;
		if (s >= 0) {
			seen[s] = true;
			r = out_section(o, d, v, s, ed);
		} else if (scalar_eq(d, k, "current-context")) {
			seen_current = true;
			if (ed->e && ed->set_current)
				r = out_str(o, ed->name);
			else if (!ed->e && ed->ours_context &&
				 scalar_eq(d, v, ed->name))
				r = out_str(o, "");
			else
				r = out_copy_node(o, d, v);
		} else {
			seen_api |= scalar_eq(d, k, "apiVersion");
			seen_kind |= scalar_eq(d, k, "kind");
			r = out_copy_node(o, d, v);
		}
		k = node_next(d, v);
	}
	if (ed->e) {
		const char *api[] = { "apiVersion", seen_api ? NULL : "v1",
				      "kind", seen_kind ? NULL : "Config" };
		const char *current[] = { "current-context",
					  ed->set_current && !seen_current
						  ? ed->name
						  : NULL };

		if (r >= 0)
			r = out_pairs(o, api, ML_ARRAY_SIZE(api));
		for (size_t s = 0; r >= 0 && s < ML_ARRAY_SIZE(sections); s++) {
			if (seen[s])
				continue;
			r = out_str(o, sections[s]);
			if (r >= 0)
				r = out_section(o, d, NO_NODE, (int)s, ed);
		}
		if (r >= 0)
			r = out_pairs(o, current, ML_ARRAY_SIZE(current));
	}
	if (r >= 0)
		r = out_copy_ev(o, d, d->evs[root].end, false);
	return r;
}

/* The whole stream with the first document's root edited. */
static int
out_stream(struct kc_out *o, const struct kc_doc *d, const struct kc_edit *ed)
{
	yaml_event_t ev;
	size_t i = 1;
	int r;

	r = out_copy_ev(o, d, 0, false);
	if (r >= 0 && d->root == NO_NODE) {
		r = out_emit(o, &ev,
			     yaml_document_start_event_initialize(&ev, NULL,
								  NULL, NULL,
								  1));
		if (r >= 0)
			r = out_fresh_root(o, ed);
		if (r >= 0)
			r = out_emit(o, &ev,
				     yaml_document_end_event_initialize(&ev,
									1));
	}
	while (r >= 0 && d->evs[i].ev.type == YAML_DOCUMENT_START_EVENT) {
		if (i == 1) {
			r = out_copy_ev(o, d, i, false);
			if (r >= 0)
				r = out_root(o, d, ed);
			if (r >= 0)
				r = out_copy_ev(o, d, d->evs[i].end, false);
		} else {
			r = out_copy_node(o, d, i);
		}
		i = node_next(d, i);
	}
	if (r >= 0)
		r = out_copy_ev(o, d, i, false);
	return r;
}

/*
 * Looks at every entry called name: *ret_ours tells whether one of section
 * ours_s (or of any section, for -1) is minilaunch's; returns 0, or -EEXIST
 * naming the first one that is not, with the fix.
 */
static int
scan_named(const struct kc_doc *d, const char *name, int ours_s, bool *ret_ours)
{
	/* kubectl config VERB NAME[ NEW], per section */
	static const char *const verb[] = { "delete-cluster", "rename-context",
					    "delete-user" };
	static const char *const tail[] = { "", " NEW", "" };
	size_t root = d->root;
	int foreign = -1;

	*ret_ours = false;
	if (root == NO_NODE || is_null(d, root))
		return 0;
	for (size_t k = root + 1; k < d->evs[root].end;) {
		size_t v = node_next(d, k);
		int s = section_of(d, k);

		if (s >= 0 && !is_null(d, v)) {
			for (size_t j = v + 1; j < d->evs[v].end;
			     j = node_next(d, j)) {
				if (!item_named(d, j, name))
					continue;
				if (!item_ours(d, j, s)) {
					if (foreign < 0)
						foreign = s;
				} else if (ours_s < 0 || ours_s == s) {
					*ret_ours = true;
				}
			}
		}
		k = node_next(d, v);
	}
	if (foreign < 0)
		return 0;
	return ml_err(
		-EEXIST,
		"kubeconfig '%s' has a %s '%s' that minilaunch did not write: use another profile name with -p, or rename or delete yours ('kubectl config %s %s%s')",
		d->path, inner_keys[foreign], name, verb[foreign], name,
		tail[foreign]);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* kubectl's lock: FILE.lock created exclusively, removed when done. */
static int
lock_acquire(const char *lock, const char *path)
{
	for (long waited = 0;; waited += LOCK_POLL_MS) {
		int fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			      0600);

		if (fd >= 0) {
			close(fd);
			return 0;
		}
		if (errno != EEXIST)
			return ml_err(-errno,
				      "cannot create lock file '%s': %s", lock,
				      strerror(errno));
		if (waited >= LOCK_WAIT_MS)
			return ml_err(
				-EWOULDBLOCK,
				"kubeconfig '%s' is locked by '%s': if no kubectl or minilaunch is using it, the lock is stale: remove it",
				path, lock);
		sleep_ms(LOCK_POLL_MS);
	}
}

static int
lock_release(const char *lock)
{
	if (unlink(lock) < 0 && errno != ENOENT)
		return ml_err(-errno,
			      "cannot remove lock file '%s': %s: remove it by hand",
			      lock, strerror(errno));
	return 0;
}

/* Edits path (lock held). */
static int
update_locked(const char *path, struct kc_edit *ed)
{
	ml_autofree char *target = NULL;
	ml_autofree char *data = NULL;
	struct kc_doc d;
	struct kc_out o;
	struct stat st;
	mode_t mode = 0600;
	size_t len;
	bool exists, same, ours;
	int r;

	/* Write through a symlink, as kubectl does, rather than replace it. */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		target = realpath(path, NULL);
	if (!target)
		target = ml_xstrdup(path);
	if (stat(target, &st) == 0)
		mode = st.st_mode & 07777;
	r = doc_load(&d, target, &data, &len, &exists);
	if (r < 0)
		return r;
	d.home = ed->home;
	r = scan_named(&d, ed->name, -1, &ours);
	if (r < 0 && ed->e) {
		doc_release(&d);
		return r;
	}
	ml_err_clear(); /* a removal leaves others' entries, silently */
	if (!ed->e && !ours) {
		doc_release(&d);
		return 0;
	}
	scan_named(&d, ed->name, 1, &ed->ours_context);
	ml_err_clear();
	out_init(&o, target);
	r = out_stream(&o, &d, ed);
	doc_release(&d);
	/* A merge that changes nothing leaves the file, and its mtime, alone.
	 */
	same = exists && o.len == len && memcmp(o.buf, data, len) == 0;
	if (r >= 0 && !same)
		r = ml_write_file_atomic(target, o.buf, o.len, mode);
	out_release(&o);
	return r;
}

static int
update(const char *path, struct kc_edit *ed)
{
	ml_autofree char *lock = ml_xasprintf("%s.lock", path);
	int r, q;

	r = lock_acquire(lock, path);
	if (r < 0)
		return r;
	r = update_locked(path, ed);
	q = lock_release(lock);
	return r < 0 ? r : q;
}

char *
ml_kubeconfig_default_path(void)
{
	const char *env = getenv("KUBECONFIG");
	ml_autofree char *home = NULL;

	while (env && *env) {
		size_t n = strcspn(env, ":");

		if (n > 0)
			return ml_xstrndup(env, n);
		env++;
	}
	home = ml_paths_user_home();
	return ml_xasprintf("%s/.kube/config", strcmp(home, "/") ? home : "");
}

static int
check_entry(const char *path, const struct ml_kubeconfig_entry *e)
{
	const char *need[] = { e->name, e->server, e->ca_file, e->cert_file,
			       e->key_file };

	for (size_t i = 0; i < ML_ARRAY_SIZE(need); i++)
		if (!need[i] || !*need[i])
			return ml_err(
				-EINVAL,
				"cannot update kubeconfig '%s': the entry has an empty field",
				path);
	if (e->namespace && !*e->namespace)
		return ml_err(
			-EINVAL,
			"cannot update kubeconfig '%s': the namespace is empty",
			path);
	return 0;
}

int
ml_kubeconfig_merge(const char *path, const char *home,
		    const struct ml_kubeconfig_entry *e, bool set_current)
{
	ml_autofree char *real_home = real_path(home);
	struct kc_edit ed = { e->name, e, set_current, false, real_home };
	ml_autofree char *dir = NULL;
	char *slash;
	int r;

	r = check_entry(path, e);
	if (r < 0)
		return r;
	dir = ml_xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (!ml_path_exists(dir)) {
			r = ml_mkdir_p(dir, 0700);
			if (r < 0)
				return r;
		}
	}
	return update(path, &ed);
}

int
ml_kubeconfig_remove(const char *path, const char *home, const char *name)
{
	ml_autofree char *real_home = real_path(home);
	struct kc_edit ed = { name, NULL, false, false, real_home };

	/* Nothing to do, and no lock file to leave in a missing directory. */
	if (!ml_path_exists(path))
		return 0;
	return update(path, &ed);
}

/* Loads path for reading; *ret_exists false for a missing file. */
static int
read_doc(const char *path, struct kc_doc *d, bool *ret_exists)
{
	ml_autofree char *data = NULL;

	return doc_load(d, path, &data, NULL, ret_exists);
}

int
ml_kubeconfig_check_ours(const char *path, const char *home, const char *name)
{
	ml_autofree char *real_home = real_path(home);
	struct kc_doc d;
	bool exists, ours;
	int r;

	r = read_doc(path, &d, &exists);
	if (r < 0)
		return r;
	d.home = real_home;
	r = scan_named(&d, name, -1, &ours);
	doc_release(&d);
	return r;
}

static char *
scalar_dup(const struct kc_doc *d, size_t i)
{
	const yaml_event_t *ev;

	if (i == NO_NODE)
		return NULL;
	ev = &d->evs[i].ev;
	if (ev->type != YAML_SCALAR_EVENT || is_null(d, i) ||
	    ev->data.scalar.length == 0)
		return NULL;
	return ml_xstrndup((const char *)ev->data.scalar.value,
			   ev->data.scalar.length);
}

int
ml_kubeconfig_current_context(const char *path, char **ret_name)
{
	struct kc_doc d;
	bool exists;
	int r;

	r = read_doc(path, &d, &exists);
	if (r < 0)
		return r;
	if (ret_name) {
		size_t v = NO_NODE;

		if (d.root != NO_NODE && !is_null(&d, d.root))
			v = map_get(&d, d.root, "current-context");
		*ret_name = v == NO_NODE ? NULL : scalar_dup(&d, v);
	}
	doc_release(&d);
	return 0;
}

/* The entry of section s named name, or NO_NODE. */
static size_t
find_entry(const struct kc_doc *d, int s, const char *name)
{
	size_t v;

	if (d->root == NO_NODE || is_null(d, d->root))
		return NO_NODE;
	v = map_get(d, d->root, sections[s]);
	if (v == NO_NODE || d->evs[v].ev.type != YAML_SEQUENCE_START_EVENT)
		return NO_NODE;
	for (size_t j = v + 1; j < d->evs[v].end; j = node_next(d, j))
		if (item_named(d, j, name))
			return j;
	return NO_NODE;
}

int
ml_kubeconfig_context_server(const char *path, const char *name,
			     char **ret_server)
{
	ml_autofree char *cluster = NULL;
	struct kc_doc d;
	size_t ctx, cl, v = NO_NODE;
	bool exists;
	int r;

	r = read_doc(path, &d, &exists);
	if (r < 0)
		return r;
	ctx = find_entry(&d, 1, name);
	if (ctx != NO_NODE) {
		v = map_get(&d, map_get(&d, ctx, "context"), "cluster");
		cluster = v == NO_NODE ? NULL : scalar_dup(&d, v);
		v = NO_NODE;
	}
	if (cluster) {
		cl = find_entry(&d, 0, cluster);
		if (cl != NO_NODE)
			v = map_get(&d, map_get(&d, cl, "cluster"), "server");
	}
	if (ret_server)
		*ret_server = v == NO_NODE ? NULL : scalar_dup(&d, v);
	doc_release(&d);
	return 0;
}

void
ml_kubeconfig_context_clear(struct ml_kubeconfig_context *ctx)
{
	char **fields[] = {
		&ctx->name,	  &ctx->cluster,   &ctx->user,
		&ctx->namespace,  &ctx->server,	   &ctx->ca_file,
		&ctx->ca_data,	  &ctx->cert_file, &ctx->cert_data,
		&ctx->key_file,	  &ctx->key_data,  &ctx->token,
		&ctx->token_file,
	};

	for (size_t i = 0; i < ML_ARRAY_SIZE(fields); i++) {
		free(*fields[i]);
		*fields[i] = NULL;
	}
	ctx->insecure = false;
}

static char *
get_str(const struct kc_doc *d, size_t m, const char *key)
{
	return scalar_dup(d, map_get(d, m, key));
}

/* get_str() for a file path: relative ones against dir, as kubectl does. */
static char *
get_path(const struct kc_doc *d, size_t m, const char *key, const char *dir)
{
	char *v = get_str(d, m, key);
	char *abs;

	if (!v || v[0] == '/')
		return v;
	abs = ml_xasprintf("%s/%s", dir, v);
	free(v);
	return abs;
}

int
ml_kubeconfig_read_context(const char *path, const char *name,
			   struct ml_kubeconfig_context *ret)
{
	struct ml_kubeconfig_context ctx = { 0 };
	ml_autofree char *dir = NULL, *insecure = NULL;
	struct kc_doc d;
	size_t e, cl, us, user = NO_NODE;
	const char *slash;
	bool exists;
	int r;

	r = read_doc(path, &d, &exists);
	if (r < 0)
		return r;
	if (!exists) {
		r = ml_err(-ENOENT, "kubeconfig '%s' not found", path);
		goto out;
	}
	slash = strrchr(path, '/');
	dir = slash ? ml_xstrndup(path,
				  slash == path ? 1 : (size_t)(slash - path))
		    : ml_xstrdup(".");
	if (name) {
		ctx.name = ml_xstrdup(name);
	} else if (d.root != NO_NODE && !is_null(&d, d.root)) {
		ctx.name = get_str(&d, d.root, "current-context");
	}
	if (!ctx.name) {
		r = ml_err(-ENOENT,
			   "no current-context in kubeconfig '%s': name a context",
			   path);
		goto out;
	}
	e = find_entry(&d, 1, ctx.name);
	if (e == NO_NODE) {
		r = ml_err(-ENOENT, "context '%s' not found in kubeconfig '%s'",
			   ctx.name, path);
		goto out;
	}
	e = map_get(&d, e, "context");
	ctx.cluster = get_str(&d, e, "cluster");
	ctx.user = get_str(&d, e, "user");
	ctx.namespace = get_str(&d, e, "namespace");
	cl = ctx.cluster ? find_entry(&d, 0, ctx.cluster) : NO_NODE;
	if (cl == NO_NODE) {
		r = ml_err(-ENOENT,
			   "cluster '%s' of context '%s' not found in kubeconfig '%s'",
			   ctx.cluster ? ctx.cluster : "", ctx.name, path);
		goto out;
	}
	cl = map_get(&d, cl, "cluster");
	ctx.server = get_str(&d, cl, "server");
	if (!ctx.server) {
		r = ml_err(-EINVAL,
			   "cluster '%s' has no server in kubeconfig '%s'",
			   ctx.cluster, path);
		goto out;
	}
	ctx.ca_file = get_path(&d, cl, "certificate-authority", dir);
	ctx.ca_data = get_str(&d, cl, "certificate-authority-data");
	insecure = get_str(&d, cl, "insecure-skip-tls-verify");
	ctx.insecure = insecure && strcmp(insecure, "true") == 0;
	if (ctx.user) {
		us = find_entry(&d, 2, ctx.user);
		if (us == NO_NODE) {
			r = ml_err(-ENOENT,
				   "user '%s' of context '%s' not found in kubeconfig '%s'",
				   ctx.user, ctx.name, path);
			goto out;
		}
		user = map_get(&d, us, "user");
	}
	if (user != NO_NODE) {
		ctx.cert_file = get_path(&d, user, "client-certificate", dir);
		ctx.cert_data = get_str(&d, user, "client-certificate-data");
		ctx.key_file = get_path(&d, user, "client-key", dir);
		ctx.key_data = get_str(&d, user, "client-key-data");
		ctx.token = get_str(&d, user, "token");
		ctx.token_file = get_path(&d, user, "tokenFile", dir);
	}
	r = 0;
out:
	doc_release(&d);
	if (r < 0) {
		ml_kubeconfig_context_clear(&ctx);
		return r;
	}
	*ret = ctx;
	return 0;
}
