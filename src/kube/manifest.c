/* kube/manifest.c: multi-document manifests split, mapped and applied. */
#include "config.h"

#include "kube/manifest.h"

#include "kube/k8s.h"
#include "base/util.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* The kinds minilaunch's manifests use; group "" is the core API. */
static const struct {
	const char *group;
	const char *kind;
	const char *plural;
	bool namespaced;
} kinds[] = {
	{ "", "ConfigMap", "configmaps", true },
	{ "", "Endpoints", "endpoints", true },
	{ "", "Namespace", "namespaces", false },
	{ "", "PersistentVolume", "persistentvolumes", false },
	{ "", "PersistentVolumeClaim", "persistentvolumeclaims", true },
	{ "", "Pod", "pods", true },
	{ "", "Secret", "secrets", true },
	{ "", "Service", "services", true },
	{ "", "ServiceAccount", "serviceaccounts", true },
	{ "apps", "DaemonSet", "daemonsets", true },
	{ "apps", "Deployment", "deployments", true },
	{ "apps", "ReplicaSet", "replicasets", true },
	{ "apps", "StatefulSet", "statefulsets", true },
	{ "batch", "CronJob", "cronjobs", true },
	{ "batch", "Job", "jobs", true },
	{ "networking.k8s.io", "NetworkPolicy", "networkpolicies", true },
	{ "policy", "PodDisruptionBudget", "poddisruptionbudgets", true },
	{ "rbac.authorization.k8s.io", "ClusterRole", "clusterroles", false },
	{ "rbac.authorization.k8s.io", "ClusterRoleBinding",
	  "clusterrolebindings", false },
	{ "rbac.authorization.k8s.io", "Role", "roles", true },
	{ "rbac.authorization.k8s.io", "RoleBinding", "rolebindings", true },
	{ "scheduling.k8s.io", "PriorityClass", "priorityclasses", false },
	{ "storage.k8s.io", "StorageClass", "storageclasses", false },
};

int
ml_manifest_resource(const char *api_version, const char *kind,
		     const char **ret_plural, bool *ret_namespaced)
{
	const char *slash = strchr(api_version, '/');
	size_t glen = slash ? (size_t)(slash - api_version) : 0;

	for (size_t i = 0; i < ML_ARRAY_SIZE(kinds); i++) {
		if (strcmp(kinds[i].kind, kind) != 0 ||
		    strlen(kinds[i].group) != glen ||
		    strncmp(kinds[i].group, api_version, glen) != 0)
			continue;
		if (ret_plural)
			*ret_plural = kinds[i].plural;
		if (ret_namespaced)
			*ret_namespaced = kinds[i].namespaced;
		return 0;
	}
	return -ENOENT;
}

const char *
ml_manifest_doc_label(const struct ml_manifest_doc *d, const char *key)
{
	for (size_t i = 0; d->labels && d->labels[i]; i += 2)
		if (strcmp(d->labels[i], key) == 0)
			return d->labels[i + 1];
	return NULL;
}

char *
ml_manifest_path(const struct ml_manifest_doc *d, bool object)
{
	const char *ns = d->namespace ? d->namespace : "default";
	bool core = !strchr(d->api_version, '/');
	ml_autofree char *scope = d->namespaced
					  ? ml_xasprintf("/namespaces/%s", ns)
					  : ml_xstrdup("");

	return ml_xasprintf("/%s/%s%s/%s%s%s", core ? "api" : "apis",
			    d->api_version, scope, d->plural, object ? "/" : "",
			    object ? d->name : "");
}

/* --- splitting ---------------------------------------------------------- */

struct parse {
	const char *source;
	const char *text;
	size_t len;
	yaml_parser_t parser;
	yaml_event_t ev; /* the current event, owned */
	bool have_ev;
};

/*
 * The byte offset of a mark: libyaml counts characters, not bytes, so walk
 * the UTF-8 text (a continuation byte does not start a character).
 */
static size_t
byte_offset(const struct parse *p, size_t char_index)
{
	size_t off = 0, n = 0;

	while (off < p->len) {
		if (((unsigned char)p->text[off] & 0xc0) != 0x80) {
			if (n == char_index)
				return off;
			n++;
		}
		off++;
	}
	return p->len;
}

static int
yaml_error(struct parse *p)
{
	return ml_err(-EINVAL, "%s:%zu: invalid YAML: %s", p->source,
		      p->parser.problem_mark.line + 1,
		      p->parser.problem ? p->parser.problem : "parse error");
}

/* Moves to the next event. */
static int
next(struct parse *p)
{
	if (p->have_ev)
		yaml_event_delete(&p->ev);
	p->have_ev = false;
	if (!yaml_parser_parse(&p->parser, &p->ev))
		return yaml_error(p);
	p->have_ev = true;
	return 0;
}

/* Consumes the node starting at the current event, ending on its last. */
static int
skip_node(struct parse *p)
{
	int depth = 0;

	do {
		switch (p->ev.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			depth++;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		default:
			break;
		}
		if (depth > 0) {
			int r = next(p);
			if (r < 0)
				return r;
		}
	} while (depth > 0);
	return 0;
}

static const char *
scalar(const struct parse *p)
{
	return (const char *)p->ev.data.scalar.value;
}

/*
 * Steps to the next pair of the mapping being read: returns 0 on the
 * mapping's end, else 1 with the current event the pair's value and *key
 * its key (NULL when the key is not a scalar, which is skipped; caller
 * frees).
 */
static int
next_pair(struct parse *p, char **key)
{
	int r = next(p);

	*key = NULL;
	if (r < 0)
		return r;
	if (p->ev.type == YAML_MAPPING_END_EVENT)
		return 0;
	if (p->ev.type == YAML_SCALAR_EVENT)
		*key = ml_xstrdup(scalar(p));
	else if ((r = skip_node(p)) < 0)
		return r;
	r = next(p);
	if (r < 0) {
		free(*key);
		*key = NULL;
		return r;
	}
	return 1;
}

/*
 * Reads the labels mapping whose start is the current event, ending on its
 * end: each pair with scalar key and value appended to *labels (key,
 * value, ..., NULL).
 */
static int
read_labels(struct parse *p, char ***labels)
{
	size_t n = 0;

	while (*labels && (*labels)[n])
		n++;
	for (;;) {
		ml_autofree char *key = NULL;
		int r = next_pair(p, &key);

		if (r <= 0)
			return r;
		if (!key || p->ev.type != YAML_SCALAR_EVENT) {
			r = skip_node(p);
			if (r < 0)
				return r;
			continue;
		}
		*labels = ml_xrealloc(*labels, (n + 3) * sizeof(**labels));
		(*labels)[n++] = key;
		(*labels)[n++] = ml_xstrdup(scalar(p));
		(*labels)[n] = NULL;
		key = NULL;
	}
}

/*
 * Reads the pairs of the mapping whose start is the current event, ending
 * on its end. For each key in keys (NULL-terminated) with a scalar value,
 * stores a copy in the matching vals slot; a key "metadata" with a mapping
 * value recurses with sub_keys into sub_vals, and there a key "labels"
 * with a mapping value is read into *labels (read_labels).
 */
static int
read_mapping(struct parse *p, const char *const *keys, char **vals,
	     const char *const *sub_keys, char **sub_vals, char ***labels)
{
	for (;;) {
		ml_autofree char *key = NULL;
		int r = next_pair(p, &key);

		if (r <= 0)
			return r;
		if (key && p->ev.type == YAML_SCALAR_EVENT) {
			for (size_t i = 0; keys[i]; i++) {
				if (strcmp(key, keys[i]) == 0) {
					free(vals[i]);
					vals[i] = ml_xstrdup(scalar(p));
				}
			}
			continue;
		}
		if (key && sub_keys && strcmp(key, "metadata") == 0 &&
		    p->ev.type == YAML_MAPPING_START_EVENT) {
			r = read_mapping(p, sub_keys, sub_vals, NULL, NULL,
					 labels);
		} else if (key && !sub_keys && labels &&
			   strcmp(key, "labels") == 0 &&
			   p->ev.type == YAML_MAPPING_START_EVENT) {
			r = read_labels(p, labels);
		} else {
			r = skip_node(p);
		}
		if (r < 0)
			return r;
	}
}

static void
doc_clear(struct ml_manifest_doc *d)
{
	free(d->text);
	free(d->api_version);
	free(d->kind);
	free(d->name);
	free(d->namespace);
	for (size_t i = 0; d->labels && d->labels[i]; i++)
		free(d->labels[i]);
	free(d->labels);
	memset(d, 0, sizeof(*d));
}

/*
 * Reads one document, the current event being its DOCUMENT_START. Sets
 * *ret_empty for a document with no content (a null scalar).
 */
static int
read_document(struct parse *p, struct ml_manifest_doc *d, bool *ret_empty)
{
	static const char *const top_keys[] = { "apiVersion", "kind", NULL };
	static const char *const meta_keys[] = { "name", "namespace", NULL };
	char *top[2] = { NULL, NULL }, *meta[2] = { NULL, NULL };
	/* The document's text runs from the start of its first line. */
	size_t start = byte_offset(p, p->ev.start_mark.index -
					      p->ev.start_mark.column);
	size_t end;
	int r;

	*ret_empty = false;
	r = next(p);
	if (r < 0)
		return r;
	d->line = (int)p->ev.start_mark.line + 1;
	if (p->ev.type == YAML_SCALAR_EVENT && !*scalar(p) &&
	    p->ev.data.scalar.plain_implicit) {
		*ret_empty = true;
	} else if (p->ev.type != YAML_MAPPING_START_EVENT) {
		r = ml_err(-EINVAL,
			   "%s:%d: a document is not a mapping: give each object as apiVersion, kind, metadata, ...",
			   p->source, d->line);
		return r;
	} else {
		r = read_mapping(p, top_keys, top, meta_keys, meta, &d->labels);
		if (r < 0)
			goto out;
	}
	r = next(p);
	if (r < 0)
		goto out;
	if (p->ev.type != YAML_DOCUMENT_END_EVENT) {
		r = ml_err(-EINVAL,
			   "%s:%d: invalid YAML: the document does not end",
			   p->source, d->line);
		goto out;
	}
	if (*ret_empty)
		goto out;
	end = byte_offset(p, p->ev.end_mark.index);
	d->text = ml_xstrndup(p->text + start, end - start);
	d->api_version = top[0];
	d->kind = top[1];
	d->name = meta[0];
	d->namespace = meta[1];
	top[0] = top[1] = meta[0] = meta[1] = NULL;
	if (!d->api_version || !d->kind || !d->name || !*d->api_version ||
	    !*d->kind || !*d->name) {
		r = ml_err(-EINVAL,
			   "%s:%d: the object lacks %s: every document needs apiVersion, kind and metadata.name",
			   p->source, d->line,
			   !d->api_version || !*d->api_version ? "apiVersion"
			   : !d->kind || !*d->kind	       ? "kind"
						   : "metadata.name");
		goto out;
	}
	if (ml_manifest_resource(d->api_version, d->kind, &d->plural,
				 &d->namespaced) < 0) {
		r = ml_err(-EINVAL,
			   "%s:%d: unknown kind '%s' (apiVersion '%s'): minilaunch applies only the kinds of its own manifests",
			   p->source, d->line, d->kind, d->api_version);
		goto out;
	}
out:
	free(top[0]);
	free(top[1]);
	free(meta[0]);
	free(meta[1]);
	return r;
}

int
ml_manifest_parse(const char *source, const char *text, size_t len,
		  struct ml_manifest **ret)
{
	struct parse p = { .source = source, .text = text, .len = len };
	struct ml_manifest *m = ml_xcalloc(1, sizeof(*m));
	size_t cap = 0;
	int r;

	m->source = ml_xstrdup(source);
	if (!yaml_parser_initialize(&p.parser))
		ml_oom();
	yaml_parser_set_input_string(&p.parser, (const unsigned char *)text,
				     len);
	for (;;) {
		struct ml_manifest_doc d = { 0 };
		bool empty;

		r = next(&p);
		if (r < 0)
			goto out;
		if (p.ev.type == YAML_STREAM_END_EVENT)
			break;
		if (p.ev.type != YAML_DOCUMENT_START_EVENT)
			continue; /* STREAM_START */
		r = read_document(&p, &d, &empty);
		if (r < 0) {
			doc_clear(&d);
			goto out;
		}
		if (empty)
			continue;
		if (m->n == cap) {
			cap = cap ? cap * 2 : 8;
			m->docs = ml_xrealloc(m->docs, cap * sizeof(*m->docs));
		}
		m->docs[m->n++] = d;
	}
	*ret = m;
	m = NULL;
	r = 0;
out:
	if (p.have_ev)
		yaml_event_delete(&p.ev);
	yaml_parser_delete(&p.parser);
	ml_manifest_free(m);
	return r;
}

struct ml_manifest *
ml_manifest_free(struct ml_manifest *m)
{
	if (!m)
		return NULL;
	for (size_t i = 0; i < m->n; i++)
		doc_clear(&m->docs[i]);
	free(m->docs);
	free(m->source);
	free(m);
	return NULL;
}

/* --- applying and deleting -------------------------------------------- */

int
ml_manifest_apply(struct ml_k8s *c, const struct ml_manifest *m)
{
	for (size_t i = 0; i < m->n; i++) {
		ml_autofree char *path = ml_manifest_path(&m->docs[i], true);
		int r = ml_k8s_apply(c, path, m->docs[i].text, NULL);

		if (r < 0)
			return r;
	}
	return 0;
}

/* Percent-encodes a query value (RFC 3986 unreserved characters kept). */
static char *
query_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = ml_xmalloc(strlen(s) * 3 + 1), *o = out;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch)) {
			*o++ = (char)ch;
		} else {
			*o++ = '%';
			*o++ = hex[ch >> 4];
			*o++ = hex[ch & 15];
		}
	}
	*o = '\0';
	return out;
}

/* Deletes what selector matches in the collection at path. */
static int
delete_matching(struct ml_k8s *c, const char *path, const char *selector,
		int *deleted)
{
	static const char opts[] =
		"{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"propagationPolicy\":\"Background\"}";
	ml_autofree char *sel = query_escape(selector);
	ml_autofree char *query =
		ml_xasprintf("%s?labelSelector=%s", path, sel);
	struct json_object *list = NULL, *items, *meta, *name;
	int r;

	r = ml_k8s_list(c, query, false, 0, NULL, &list);
	if (r == -ENOENT)
		return 0; /* a resource the server does not serve */
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(list, "items", &items) ||
	    !json_object_is_type(items, json_type_array))
		goto out;
	for (size_t i = 0; i < json_object_array_length(items); i++) {
		struct json_object *it = json_object_array_get_idx(items, i);
		ml_autofree char *obj = NULL;

		if (!json_object_object_get_ex(it, "metadata", &meta) ||
		    !json_object_object_get_ex(meta, "name", &name))
			continue;
		obj = ml_xasprintf("%s/%s", path, json_object_get_string(name));
		r = ml_k8s_delete(c, obj, opts);
		if (r == -ENOENT) {
			r = 0;
			continue;
		}
		if (r < 0)
			goto out;
		(*deleted)++;
	}
	r = 0;
out:
	json_object_put(list);
	return r;
}

int
ml_manifest_delete_by_label(struct ml_k8s *c, const struct ml_manifest *m,
			    const char *selector, int *ret_deleted)
{
	int deleted = 0, r = 0;

	for (size_t i = m->n; i-- > 0;) {
		ml_autofree char *path = ml_manifest_path(&m->docs[i], false);
		bool seen = false;

		/* each collection once */
		for (size_t j = m->n; j-- > i + 1 && !seen;) {
			ml_autofree char *other =
				ml_manifest_path(&m->docs[j], false);
			seen = strcmp(path, other) == 0;
		}
		if (seen)
			continue;
		r = delete_matching(c, path, selector, &deleted);
		if (r < 0)
			break;
	}
	if (ret_deleted)
		*ret_deleted = deleted;
	return r;
}
