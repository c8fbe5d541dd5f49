/* kube/addons.c: the addon catalogue read and checked, and applied. */
#include "config.h"

#include "kube/addons.h"

#include "base/log.h"
#include "base/paths.h"
#include "base/profile.h"
#include "base/progress.h"
#include "base/util.h"
#include "kube/k8s.h"
#include "kube/manifest.h"
#include "kube/workload.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

const char *const ml_addon_var_names[ML_ADDON_NVARS] = {
	[ML_ADDON_VAR_PROFILE] = "PROFILE",
	[ML_ADDON_VAR_NODE_NAME] = "NODE_NAME",
	[ML_ADDON_VAR_NODE_IP] = "NODE_IP",
	[ML_ADDON_VAR_KUBERNETES_VERSION] = "KUBERNETES_VERSION",
	[ML_ADDON_VAR_MINILAUNCH_VERSION] = "MINILAUNCH_VERSION",
	[ML_ADDON_VAR_DATA_DIR] = "DATA_DIR",
};

void
ml_addon_vars_init(struct ml_addon_vars *v, const char *profile,
		   const char *node_ip, const char *kubernetes_version)
{
	*v = (struct ml_addon_vars){ 0 };
	v->v[ML_ADDON_VAR_PROFILE] = profile;
	v->v[ML_ADDON_VAR_NODE_NAME] = profile;
	v->v[ML_ADDON_VAR_NODE_IP] = node_ip;
	v->v[ML_ADDON_VAR_KUBERNETES_VERSION] =
		kubernetes_version ? kubernetes_version
				   : ML_KUBERNETES_VERSION_FALLBACK;
	v->v[ML_ADDON_VAR_MINILAUNCH_VERSION] = PACKAGE_VERSION;
	v->v[ML_ADDON_VAR_DATA_DIR] = "/var/lib/minilaunch";
}

/* --- strings ------------------------------------------------------------ */

static void
strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static size_t
strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

static void
strv_add(char ***v, char *s)
{
	size_t n = strv_len(*v);

	*v = ml_xrealloc(*v, (n + 2) * sizeof(**v));
	(*v)[n] = s;
	(*v)[n + 1] = NULL;
}

static bool
strv_has(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static char *
known_vars(void)
{
	struct ml_buf b = { 0 };

	for (size_t i = 0; i < ML_ADDON_NVARS; i++) {
		if (i)
			ml_buf_add(&b, ", ", 2);
		ml_buf_add(&b, ml_addon_var_names[i],
			   strlen(ml_addon_var_names[i]));
	}
	return b.p;
}

static int
var_index(const char *name, size_t len)
{
	for (size_t i = 0; i < ML_ADDON_NVARS; i++)
		if (strlen(ml_addon_var_names[i]) == len &&
		    strncmp(ml_addon_var_names[i], name, len) == 0)
			return (int)i;
	return -1;
}

/*
 * text with each ${VAR} replaced and $${ made ${; line is the line of
 * text's start in file, for messages. listed: the addon's variables.
 */
static int
subst(const char *file, int line, const char *text, char *const *listed,
      const struct ml_addon_vars *vars, char **ret)
{
	struct ml_buf b = { 0 };
	const char *p = text;

	ml_buf_add(&b, "", 0);
	while (*p) {
		const char *end, *name;
		ml_autofree char *var = NULL;
		int i;

		if (*p == '\n')
			line++;
		if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
			ml_buf_add(&b, "${", 2);
			p += 3;
			continue;
		}
		if (p[0] != '$' || p[1] != '{') {
			ml_buf_add(&b, p++, 1);
			continue;
		}
		name = p + 2;
		end = name + strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					  "abcdefghijklmnopqrstuvwxyz"
					  "0123456789_");
		if (*end != '}') {
			ml_buf_release(&b);
			return ml_err(
				-EINVAL,
				"%s:%d: '${' opens no variable: write ${NAME}, or $${ for a literal '${'",
				file, line);
		}
		var = ml_xstrndup(name, (size_t)(end - name));
		i = var_index(name, (size_t)(end - name));
		if (i < 0) {
			ml_autofree char *known = known_vars();

			ml_buf_release(&b);
			return ml_err(-EINVAL,
				      "%s:%d: unknown variable ${%s} (known: %s)",
				      file, line, var, known);
		}
		if (!strv_has(listed, var)) {
			ml_buf_release(&b);
			return ml_err(
				-EINVAL,
				"%s:%d: variable ${%s} is not listed in the addon's variables: add it to 'variables' in addon.yaml",
				file, line, var);
		}
		if (vars->v[i])
			ml_buf_add(&b, vars->v[i], strlen(vars->v[i]));
		p = end + 1;
	}
	*ret = b.p;
	return 0;
}

/* --- addon.yaml --------------------------------------------------------- */

struct reader {
	const char *file;
	yaml_parser_t parser;
	yaml_event_t ev;
	bool have_ev;
};

static int
rnext(struct reader *r)
{
	if (r->have_ev)
		yaml_event_delete(&r->ev);
	r->have_ev = false;
	if (!yaml_parser_parse(&r->parser, &r->ev))
		return ml_err(-EINVAL, "%s:%zu: invalid YAML: %s", r->file,
			      r->parser.problem_mark.line + 1,
			      r->parser.problem ? r->parser.problem
						: "parse error");
	r->have_ev = true;
	return 0;
}

static int
rline(const struct reader *r)
{
	return (int)r->ev.start_mark.line + 1;
}

static const char *
rscalar(const struct reader *r)
{
	return (const char *)r->ev.data.scalar.value;
}

/* A list of scalars (flow or block) into *v, each item's line into
 * *lines; the current event is the value's first. */
static int
read_list(struct reader *r, const char *key, char ***v, int **lines)
{
	size_t n = 0;
	int e;

	if (r->ev.type != YAML_SEQUENCE_START_EVENT)
		return ml_err(-EINVAL, "%s:%d: '%s' is not a list: give [A, B]",
			      r->file, rline(r), key);
	for (;;) {
		if ((e = rnext(r)) < 0)
			return e;
		if (r->ev.type == YAML_SEQUENCE_END_EVENT)
			return 0;
		if (r->ev.type != YAML_SCALAR_EVENT || !*rscalar(r))
			return ml_err(-EINVAL,
				      "%s:%d: an item of '%s' is not a word",
				      r->file, rline(r), key);
		strv_add(v, ml_xstrdup(rscalar(r)));
		*lines = ml_xrealloc(*lines, (n + 1) * sizeof(**lines));
		(*lines)[n++] = rline(r);
	}
}

/* What addon.yaml says, before substitution. */
struct spec {
	char *name, *description;
	int name_line, images_line;
	bool def;
	char **images, **manifests, **variables;
	int *image_lines, *manifest_lines, *variable_lines;
};

static void
spec_clear(struct spec *s)
{
	free(s->name);
	free(s->description);
	strv_free(s->images);
	strv_free(s->manifests);
	strv_free(s->variables);
	free(s->image_lines);
	free(s->manifest_lines);
	free(s->variable_lines);
	*s = (struct spec){ 0 };
}

static const char known_keys[] =
	"name, description, default, images, manifests, variables";

static int
read_pair(struct reader *r, const char *key, int line, struct spec *s)
{
	char **str = NULL;

	if (strcmp(key, "images") == 0)
		return read_list(r, key, &s->images, &s->image_lines);
	if (strcmp(key, "manifests") == 0)
		return read_list(r, key, &s->manifests, &s->manifest_lines);
	if (strcmp(key, "variables") == 0)
		return read_list(r, key, &s->variables, &s->variable_lines);
	if (strcmp(key, "name") == 0) {
		str = &s->name;
		s->name_line = line;
	} else if (strcmp(key, "description") == 0) {
		str = &s->description;
	}
	if (r->ev.type != YAML_SCALAR_EVENT)
		return ml_err(-EINVAL, "%s:%d: '%s' is not a single value",
			      r->file, rline(r), key);
	if (str) {
		*str = ml_xstrdup(rscalar(r));
		return 0;
	}
	/* default */
	if (strcmp(rscalar(r), "true") == 0)
		s->def = true;
	else if (strcmp(rscalar(r), "false") == 0)
		s->def = false;
	else
		return ml_err(-EINVAL,
			      "%s:%d: invalid default '%s': give true or false",
			      r->file, rline(r), rscalar(r));
	return 0;
}

static int
read_spec(const char *file, const char *text, size_t len, struct spec *s)
{
	static const char *const keys[] = {
		"name",	  "description", "default",
		"images", "manifests",	 "variables"
	};
	struct reader r = { .file = file };
	bool seen[ML_ARRAY_SIZE(keys)] = { false };
	int e;

	if (!yaml_parser_initialize(&r.parser))
		ml_oom();
	yaml_parser_set_input_string(&r.parser, (const unsigned char *)text,
				     len);
	/* STREAM_START, DOCUMENT_START, then the mapping */
	for (int i = 0; i < 3; i++) {
		if ((e = rnext(&r)) < 0)
			goto out;
		if (r.ev.type == YAML_STREAM_END_EVENT)
			break;
	}
	if (r.ev.type != YAML_MAPPING_START_EVENT) {
		e = ml_err(-EINVAL,
			   "%s:%d: addon.yaml is not a mapping: give name, description, default, images, manifests and variables",
			   file, rline(&r));
		goto out;
	}
	for (;;) {
		ml_autofree char *key = NULL;
		int line;
		size_t k;

		if ((e = rnext(&r)) < 0)
			goto out;
		if (r.ev.type == YAML_MAPPING_END_EVENT)
			break;
		line = rline(&r);
		if (r.ev.type != YAML_SCALAR_EVENT) {
			e = ml_err(-EINVAL, "%s:%d: a key is not a word", file,
				   line);
			goto out;
		}
		key = ml_xstrdup(rscalar(&r));
		for (k = 0; k < ML_ARRAY_SIZE(keys); k++)
			if (strcmp(keys[k], key) == 0)
				break;
		if (k == ML_ARRAY_SIZE(keys)) {
			e = ml_err(-EINVAL,
				   "%s:%d: unknown key '%s' (known: %s)", file,
				   line, key, known_keys);
			goto out;
		}
		if (seen[k]) {
			e = ml_err(-EINVAL, "%s:%d: '%s' is given twice", file,
				   line, key);
			goto out;
		}
		seen[k] = true;
		if (k == 3)
			s->images_line = line;
		if ((e = rnext(&r)) < 0 ||
		    (e = read_pair(&r, key, line, s)) < 0)
			goto out;
	}
	if ((e = rnext(&r)) < 0)
		goto out;
	if (r.ev.type != YAML_DOCUMENT_END_EVENT ||
	    ((e = rnext(&r)) >= 0 && r.ev.type != YAML_STREAM_END_EVENT)) {
		if (e >= 0)
			e = ml_err(-EINVAL,
				   "%s:%d: addon.yaml holds more than one document",
				   file, rline(&r));
		goto out;
	}
	for (size_t k = 0; k < ML_ARRAY_SIZE(keys); k++) {
		/* default, images and variables may be left out */
		if (seen[k] || k == 2 || k == 3 || k == 5)
			continue;
		e = ml_err(-EINVAL, "%s:1: '%s' is missing (known: %s)", file,
			   keys[k], known_keys);
		goto out;
	}
	e = 0;
out:
	if (r.have_ev)
		yaml_event_delete(&r.ev);
	yaml_parser_delete(&r.parser);
	return e;
}

/* --- one addon ---------------------------------------------------------- */

static void
addon_clear(struct ml_addon *a)
{
	free(a->name);
	free(a->description);
	free(a->dir);
	strv_free(a->images);
	strv_free(a->manifests);
	strv_free(a->texts);
	ml_manifest_free(a->m);
	*a = (struct ml_addon){ 0 };
}

/* Every object carries both labels, the addon's being name. */
static int
check_labels(const char *file, const struct ml_manifest *m, size_t from,
	     const char *name)
{
	for (size_t i = from; i < m->n; i++) {
		const struct ml_manifest_doc *d = &m->docs[i];
		const char *managed =
			ml_manifest_doc_label(d, ML_ADDON_LABEL_MANAGED);
		const char *addon =
			ml_manifest_doc_label(d, ML_ADDON_LABEL_NAME);

		if (!managed || strcmp(managed, "minilaunch") != 0 || !addon ||
		    strcmp(addon, name) != 0)
			return ml_err(
				-EINVAL,
				"%s:%d: %s '%s' lacks the label '%s: %s': every object of an addon carries '" ML_ADDON_LABEL_MANAGED
				": minilaunch' and '" ML_ADDON_LABEL_NAME
				": %s' in metadata.labels",
				file, d->line, d->kind, d->name,
				!managed || strcmp(managed, "minilaunch") != 0
					? ML_ADDON_LABEL_MANAGED
					: ML_ADDON_LABEL_NAME,
				!managed || strcmp(managed, "minilaunch") != 0
					? "minilaunch"
					: name,
				name);
	}
	return 0;
}

/* Moves the documents of add to the end of *m. */
static void
manifest_append(struct ml_manifest *m, struct ml_manifest *add)
{
	m->docs = ml_xrealloc(m->docs, (m->n + add->n + 1) * sizeof(*m->docs));
	memcpy(m->docs + m->n, add->docs, add->n * sizeof(*add->docs));
	m->n += add->n;
	add->n = 0;
	ml_manifest_free(add);
}

/* A file name of the addon's own directory. */
static bool
plain_file(const char *s)
{
	return *s && !strchr(s, '/') && strcmp(s, ".") != 0 &&
	       strcmp(s, "..") != 0;
}

static int
load_addon(const char *dir, const char *name, bool user,
	   const struct ml_addon_vars *vars, struct ml_addon *a)
{
	ml_autofree char *file = ml_xasprintf("%s/addon.yaml", dir);
	ml_autofree char *text = NULL;
	struct spec s = { 0 };
	size_t len;
	int r;

	*a = (struct ml_addon){ 0 };
	if (!ml_path_exists(file))
		return ml_err(
			-EINVAL,
			"%s: no addon.yaml: an addon's directory holds addon.yaml and its manifests (docs/addons.md)",
			dir);
	if ((r = ml_read_file(file, &text, &len)) < 0)
		return r;
	if ((r = read_spec(file, text, len, &s)) < 0)
		goto out;
	if (strcmp(s.name, name) != 0) {
		r = ml_err(-EINVAL,
			   "%s:%d: name '%s' is not the directory's name '%s': rename one of them",
			   file, s.name_line, s.name, name);
		goto out;
	}
	for (size_t i = 0; s.variables && s.variables[i]; i++) {
		if (var_index(s.variables[i], strlen(s.variables[i])) < 0) {
			ml_autofree char *known = known_vars();

			r = ml_err(-EINVAL,
				   "%s:%d: unknown variable ${%s} (known: %s)",
				   file, s.variable_lines[i], s.variables[i],
				   known);
			goto out;
		}
	}
	a->name = ml_xstrdup(name);
	a->description = s.description;
	s.description = NULL;
	a->dir = ml_xstrdup(dir);
	a->def = s.def;
	a->user = user;
	a->images = ml_xcalloc(1, sizeof(*a->images));
	for (size_t i = 0; s.images && s.images[i]; i++) {
		char *img;

		r = subst(file, s.image_lines[i], s.images[i], s.variables,
			  vars, &img);
		if (r < 0)
			goto out;
		strv_add(&a->images, img);
	}
	a->m = ml_xcalloc(1, sizeof(*a->m));
	a->m->source = ml_xstrdup(dir);
	a->manifests = ml_xcalloc(1, sizeof(*a->manifests));
	a->texts = ml_xcalloc(1, sizeof(*a->texts));
	for (size_t i = 0; s.manifests && s.manifests[i]; i++) {
		ml_autofree char *path = NULL, *raw = NULL;
		char *sub = NULL;
		struct ml_manifest *m = NULL;
		size_t from = a->m->n;

		if (!plain_file(s.manifests[i])) {
			r = ml_err(-EINVAL,
				   "%s:%d: manifest '%s' is not a file name of the addon's directory",
				   file, s.manifest_lines[i], s.manifests[i]);
			goto out;
		}
		path = ml_xasprintf("%s/%s", dir, s.manifests[i]);
		if (!ml_path_exists(path)) {
			r = ml_err(-EINVAL,
				   "%s:%d: manifest '%s' not found in '%s'",
				   file, s.manifest_lines[i], s.manifests[i],
				   dir);
			goto out;
		}
		if ((r = ml_read_file(path, &raw, NULL)) < 0)
			goto out;
		if ((r = subst(path, 1, raw, s.variables, vars, &sub)) < 0)
			goto out;
		strv_add(&a->manifests, ml_xstrdup(s.manifests[i]));
		strv_add(&a->texts, sub);
		if ((r = ml_manifest_parse(path, sub, strlen(sub), &m)) < 0)
			goto out;
		manifest_append(a->m, m);
		if ((r = check_labels(path, a->m, from, name)) < 0)
			goto out;
	}
	r = 0;
out:
	spec_clear(&s);
	if (r < 0)
		addon_clear(a);
	return r;
}

/* --- the catalogue ------------------------------------------------------ */

static bool
name_ok(const char *s)
{
	return *s && s[0] != '-' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz"
			 "0123456789-") == strlen(s);
}

static int
cmp_addon(const void *x, const void *y)
{
	return strcmp(((const struct ml_addon *)x)->name,
		      ((const struct ml_addon *)y)->name);
}

static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Adds (or replaces) the addons of dir. */
static int
load_dir(struct ml_addons *cat, const char *dir, bool user,
	 const struct ml_addon_vars *vars)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	struct dirent *e;
	int r = 0;

	if (!d) {
		if (errno == ENOENT)
			return 0;
		return ml_err(-errno, "cannot read the addons in '%s': %s", dir,
			      strerror(errno));
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			strv_add(&names, ml_xstrdup(e->d_name));
	closedir(d);
	if (names)
		qsort(names, strv_len(names), sizeof(*names), cmp_str);
	for (size_t i = 0; names && names[i]; i++) {
		ml_autofree char *sub = ml_xasprintf("%s/%s", dir, names[i]);
		struct ml_addon a;
		struct stat st;
		size_t j;

		if (stat(sub, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (!name_ok(names[i])) {
			r = ml_err(-EINVAL,
				   "%s: an addon's name is lowercase letters, digits and '-': rename the directory",
				   sub);
			break;
		}
		if ((r = load_addon(sub, names[i], user, vars, &a)) < 0)
			break;
		for (j = 0; j < cat->n; j++)
			if (strcmp(cat->v[j].name, a.name) == 0)
				break;
		if (j < cat->n) {
			ml_log_debug("%s: replaces '%s'", a.dir, cat->v[j].dir);
			addon_clear(&cat->v[j]);
		} else {
			cat->v = ml_xrealloc(cat->v,
					     (cat->n + 1) * sizeof(*cat->v));
			j = cat->n++;
		}
		cat->v[j] = a;
	}
	strv_free(names);
	return r;
}

int
ml_addons_load(const char *const *dirs, size_t ndirs, size_t user_from,
	       const struct ml_addon_vars *vars, struct ml_addons **ret)
{
	struct ml_addons *cat = ml_xcalloc(1, sizeof(*cat));
	int r;

	for (size_t i = 0; i < ndirs; i++) {
		r = load_dir(cat, dirs[i], i >= user_from, vars);
		if (r < 0) {
			ml_addons_free(cat);
			return r;
		}
	}
	if (cat->n)
		qsort(cat->v, cat->n, sizeof(*cat->v), cmp_addon);
	*ret = cat;
	return 0;
}

int
ml_addons_load_home(const char *home, const struct ml_addon_vars *vars,
		    struct ml_addons **ret)
{
	ml_autofree char *user = ml_paths_addons_dir(home);
	/* resolved, for messages: a build tree's is "BUILD/../addons" */
	ml_autofree char *bundled = realpath(ml_paths_addons_catalogue(), NULL);
	const char *dirs[] = { bundled ? bundled : ml_paths_addons_catalogue(),
			       user };

	return ml_addons_load(dirs, 2, 1, vars, ret);
}

int
ml_addons_load_profile(const char *home, const char *profile,
		       const struct ml_profile *p, const char *node_ip,
		       struct ml_addons **ret)
{
	const char *k8s = p ? ml_profile_state_str(p, "kubernetes-version")
			    : NULL;
	struct ml_addon_vars vars;

	if ((!k8s || !*k8s) && p)
		k8s = ml_profile_get(p, "kubernetes-version");
	ml_addon_vars_init(&vars, profile, node_ip, k8s && *k8s ? k8s : NULL);
	return ml_addons_load_home(home, &vars, ret);
}

struct ml_addons *
ml_addons_free(struct ml_addons *cat)
{
	if (!cat)
		return NULL;
	for (size_t i = 0; i < cat->n; i++)
		addon_clear(&cat->v[i]);
	free(cat->v);
	free(cat);
	return NULL;
}

int
ml_addons_get(const struct ml_addons *cat, const char *name,
	      const struct ml_addon **ret)
{
	struct ml_buf known = { 0 };
	int r;

	for (size_t i = 0; i < cat->n; i++) {
		if (strcmp(cat->v[i].name, name) == 0) {
			ml_buf_release(&known);
			*ret = &cat->v[i];
			return 0;
		}
		if (i)
			ml_buf_add(&known, ", ", 2);
		ml_buf_add(&known, cat->v[i].name, strlen(cat->v[i].name));
	}
	r = ml_err(-ENOENT, "unknown addon '%s' (known: %s)", name,
		   known.p ? known.p : "none");
	ml_buf_release(&known);
	return r;
}

/* --- choices ------------------------------------------------------------ */

bool
ml_addon_enabled(const struct ml_addon *a, const char *choices)
{
	size_t len = strlen(a->name);
	bool on = a->def;

	for (const char *p = choices; p && *p;) {
		size_t n = strcspn(p, ",");

		if (n > len + 1 && strncmp(p, a->name, len) == 0 &&
		    p[len] == '=')
			on = n - len - 1 == 2 &&
			     strncmp(p + len + 1, "on", 2) == 0;
		p += n + (p[n] == ',');
	}
	return on;
}

char *
ml_addons_choose(const char *choices, const char *name, bool on)
{
	struct ml_buf b = { 0 };
	size_t len = strlen(name);

	for (const char *p = choices; p && *p;) {
		size_t n = strcspn(p, ",");

		if (n &&
		    !(n > len && strncmp(p, name, len) == 0 && p[len] == '=')) {
			if (b.len)
				ml_buf_add(&b, ",", 1);
			ml_buf_add(&b, p, n);
		}
		p += n + (p[n] == ',');
	}
	if (b.len)
		ml_buf_add(&b, ",", 1);
	ml_buf_add(&b, name, len);
	ml_buf_add(&b, on ? "=on" : "=off", on ? 3 : 4);
	return b.p;
}

char *
ml_addon_selector(const char *name)
{
	return ml_xasprintf(ML_ADDON_LABEL_MANAGED
			    "=minilaunch," ML_ADDON_LABEL_NAME "=%s",
			    name);
}

/* --- the cluster -------------------------------------------------------- */

int
ml_addon_enable(struct ml_k8s *c, const struct ml_addon *a,
		const struct ml_addon_opts *o)
{
	ml_autofree char *what = ml_xasprintf("addon '%s'", a->name);
	int r = ml_workload_apply(c, a->m, o->deadline);

	if (r < 0)
		return ml_err(r, "%s: %s", what, ml_err_msg());
	if (!o->wait)
		return 0;
	for (size_t i = 0; i < a->m->n; i++) {
		if (!ml_workload_kind(a->m->docs[i].kind))
			continue;
		r = ml_workload_wait(c, &a->m->docs[i], what, o->started_after,
				     o->deadline);
		if (r < 0)
			return r;
	}
	return 0;
}

int
ml_addon_disable(struct ml_k8s *c, const struct ml_addon *a, time_t deadline,
		 int *ret_deleted)
{
	ml_autofree char *sel = ml_addon_selector(a->name);
	int r;

	while ((r = ml_manifest_delete_by_label(c, a->m, sel, ret_deleted)) <
		       0 &&
	       ml_workload_transient(r) && time(NULL) < deadline) {
		ml_progress_tick("(%s; trying again)", ml_err_msg());
		sleep(2);
	}
	return r;
}
