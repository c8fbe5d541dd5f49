/*
 * tui/views.c: the one table of views, and what a view does beyond a list:
 * describe, logs, scale (see dash.h).
 *
 * Adding a view is one entry in views[]: the resource's plural as in the
 * API path, its kind, up to three aliases, its group version path(s),
 * whether it is namespaced, its first sort, its flags and its keys. The
 * columns come from the API server's Table response. Nothing else names a
 * view: the help screen, `--view` and the key dispatch read this table.
 */
#include "config.h"

#include "tui/dash.h"
#include "kube/exec.h"
#include "kube/pod_hints.h"
#include "kube/portforward.h"
#include "tui/yaml.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

static void logs_key(struct dash *d, struct ml_tui_row *row);
static void previous_logs_key(struct dash *d, struct ml_tui_row *row);
static void shell_key(struct dash *d, struct ml_tui_row *row);
static void forward_key(struct dash *d, struct ml_tui_row *row);

#define SCALE_KEY                                                         \
	{                                                                 \
		's', "scale", "scale the selected object", dash_ask_scale \
	}

const struct view_def dash_views[] = {
	{ .name = "pods",
	  .kind = "pod",
	  .aliases = { "po", "pod" },
	  .api = { "/api/v1" },
	  .namespaced = true,
	  .flags = VIEW_POD_HINTS | VIEW_USAGE,
	  .keys = { { 'l', "logs", "follow the selected pod's log", logs_key },
		    { 'p', "previous log",
		      "the log of the selected pod's previous container",
		      previous_logs_key },
		    { 's', "shell", "a shell in the selected pod's container",
		      shell_key },
		    { 'F', "port-forward",
		      "forward its first port to 127.0.0.1 (F again: stop)",
		      forward_key } } },
	{ .name = "deployments",
	  .kind = "deployment",
	  .aliases = { "deploy", "deployment" },
	  .api = { "/apis/apps/v1" },
	  .namespaced = true,
	  .keys = { SCALE_KEY } },
	{ .name = "replicasets",
	  .kind = "replicaset",
	  .aliases = { "rs", "replicaset" },
	  .api = { "/apis/apps/v1" },
	  .namespaced = true,
	  .keys = { SCALE_KEY } },
	{ .name = "services",
	  .kind = "service",
	  .aliases = { "svc", "service" },
	  .api = { "/api/v1" },
	  .namespaced = true },
	{ .name = "configmaps",
	  .kind = "configmap",
	  .aliases = { "cm", "configmap" },
	  .api = { "/api/v1" },
	  .namespaced = true },
	{ .name = "secrets",
	  .kind = "secret",
	  .aliases = { "sec", "secret" },
	  .api = { "/api/v1" },
	  .namespaced = true,
	  .flags = VIEW_SECRET },
	{ .name = "nodes",
	  .kind = "node",
	  .aliases = { "no", "node" },
	  .api = { "/api/v1" },
	  .flags = VIEW_USAGE },
	{ .name = "namespaces",
	  .kind = "namespace",
	  .aliases = { "ns", "namespace" },
	  .api = { "/api/v1" } },
	{ .name = "events",
	  .kind = "event",
	  .aliases = { "ev", "event" },
	  .api = { "/api/v1" },
	  .namespaced = true,
	  .since = { "LAST SEEN" } },
	{ .name = "statefulsets",
	  .kind = "statefulset",
	  .aliases = { "sts", "statefulset" },
	  .api = { "/apis/apps/v1" },
	  .namespaced = true,
	  .keys = { SCALE_KEY } },
	{ .name = "daemonsets",
	  .kind = "daemonset",
	  .aliases = { "ds", "daemonset" },
	  .api = { "/apis/apps/v1" },
	  .namespaced = true },
	{ .name = "jobs",
	  .kind = "job",
	  .aliases = { "job" },
	  .api = { "/apis/batch/v1" },
	  .namespaced = true },
	/* batch/v1 from Kubernetes 1.21, batch/v1beta1 before */
	{ .name = "cronjobs",
	  .kind = "cronjob",
	  .aliases = { "cj", "cronjob" },
	  .api = { "/apis/batch/v1", "/apis/batch/v1beta1" },
	  .namespaced = true,
	  .since = { "LAST SCHEDULE" } },
	{ .name = "persistentvolumeclaims",
	  .kind = "persistentvolumeclaim",
	  .aliases = { "pvc", "persistentvolumeclaim" },
	  .api = { "/api/v1" },
	  .namespaced = true },
	{ .name = "persistentvolumes",
	  .kind = "persistentvolume",
	  .aliases = { "pv", "persistentvolume" },
	  .api = { "/api/v1" } },
	{ .name = "storageclasses",
	  .kind = "storageclass",
	  .aliases = { "sc", "storageclass" },
	  .api = { "/apis/storage.k8s.io/v1" } },
	{ .name = "endpoints",
	  .kind = "endpoints",
	  .aliases = { "ep" },
	  .api = { "/api/v1" },
	  .namespaced = true },
	/* networking.k8s.io/v1 from Kubernetes 1.19 */
	{ .name = "ingresses",
	  .kind = "ingress",
	  .aliases = { "ing", "ingress" },
	  .api = { "/apis/networking.k8s.io/v1",
		   "/apis/networking.k8s.io/v1beta1" },
	  .namespaced = true },
#ifdef ML_TUI_TEST_VIEW
	/* a test build's extra view (tests/unit/test_tui_views_extra) */
	ML_TUI_TEST_VIEW,
#endif
};

const size_t dash_nviews = ML_ARRAY_SIZE(dash_views);

/* `--view`'s completion words (cmd/dashboard.c): the names above, in
 * order; tests/unit/test_tui_views fails when they differ. */
const char *const ml_tui_view_words[] = {
	"pods",
	"deployments",
	"replicasets",
	"services",
	"configmaps",
	"secrets",
	"nodes",
	"namespaces",
	"events",
	"statefulsets",
	"daemonsets",
	"jobs",
	"cronjobs",
	"persistentvolumeclaims",
	"persistentvolumes",
	"storageclasses",
	"endpoints",
	"ingresses",
	NULL,
};

const char *
ml_tui_view_lookup(const char *name)
{
	const struct view_def *v = dash_view_find(name);

	return v ? v->name : NULL;
}

const struct view_def *
dash_view_find(const char *name)
{
	for (size_t i = 0; name && i < dash_nviews; i++) {
		if (strcmp(dash_views[i].name, name) == 0)
			return &dash_views[i];
		for (size_t j = 0; j < ML_ARRAY_SIZE(dash_views[i].aliases) &&
				   dash_views[i].aliases[j];
		     j++)
			if (strcmp(dash_views[i].aliases[j], name) == 0)
				return &dash_views[i];
	}
	return NULL;
}

const struct view_key *
dash_view_key(const struct view_def *v, int ch)
{
	for (size_t i = 0; i < VIEW_MAX_KEYS && v->keys[i].ch; i++)
		if (v->keys[i].ch == ch)
			return &v->keys[i];
	return NULL;
}

/* True when the group version at path serves resource (discovery). */
static bool
serves(struct dash *d, const char *path, const char *resource)
{
	struct json_object *list = NULL, *res;
	bool found = false;

	if (ml_k8s_get(d->c, path, &list) < 0) {
		ml_err_clear();
		return false;
	}
	res = ml_json_get(list, "resources");
	for (size_t i = 0; json_object_is_type(res, json_type_array) &&
			   i < json_object_array_length(res) && !found;
	     i++) {
		const char *name =
			ml_json_str(json_object_array_get_idx(res, i), "name");

		found = name && strcmp(name, resource) == 0;
	}
	json_object_put(list);
	return found;
}

const char *
dash_view_api(struct dash *d)
{
	const struct view_def *v = d->view;

	if (d->api_view == v && d->api)
		return d->api;
	d->api_view = v;
	d->api = v->api[0];
	if (!v->api[1])
		return d->api;
	for (size_t i = 0; i < ML_ARRAY_SIZE(v->api) && v->api[i]; i++)
		if (serves(d, v->api[i], v->name)) {
			d->api = v->api[i];
			break;
		}
	return d->api;
}

char *
dash_list_path(struct dash *d)
{
	const char *api = dash_view_api(d);

	if (d->view->namespaced && d->ns)
		return ml_xasprintf("%s/namespaces/%s/%s", api, d->ns,
				    d->view->name);
	return ml_xasprintf("%s/%s", api, d->view->name);
}

char *
dash_object_path(struct dash *d, const struct ml_tui_row *r)
{
	const char *api = dash_view_api(d);

	if (d->view->namespaced && r->ns)
		return ml_xasprintf("%s/namespaces/%s/%s/%s", api, r->ns,
				    d->view->name, r->name);
	return ml_xasprintf("%s/%s/%s", api, d->view->name, r->name);
}

void
dash_view_defaults(struct dash *d)
{
	int col;

	if (d->view_set || !d->table || !d->table->have_columns)
		return;
	d->view_set = true;
	if (!d->view->sort || d->table->sort_col >= 0)
		return;
	col = ml_tui_table_column(d->table, d->view->sort);
	if (col < 0)
		return;
	ml_tui_table_sort_by(d->table, col);
	if (d->view->sort_desc)
		ml_tui_table_sort_by(d->table, col);
	d->title_dirty = true;
	d->body_dirty = true;
}

struct ml_tui_row *
dash_selected_row(const struct dash *d)
{
	if (d->mode != MODE_TABLE || !d->table || d->sel >= d->table->nvis)
		return NULL;
	return d->table->vis[d->sel];
}

void
dash_describe(struct dash *d)
{
	struct ml_tui_row *row = dash_selected_row(d);
	struct json_object *obj = NULL;
	ml_autofree char *path = NULL;

	if (!row)
		return;
	path = dash_object_path(d, row);
	if (ml_k8s_get(d->c, path, &obj) < 0) {
		note_error(d, "describe");
		return;
	}
	dash_text_open(d, TEXT_DESCRIBE,
		       ml_xasprintf("describe %s %s", d->view->kind, row->key));
	d->text.obj = obj;
	d->text.secret = d->view->flags & VIEW_SECRET;
	if (d->profile && (d->view->flags & VIEW_POD_HINTS)) {
		struct ml_pod_problem *p =
			ml_pod_hint(obj, d->profile, d->offline);

		d->text.hint = p ? ml_pod_problem_line(p) : NULL;
		ml_pod_problem_free(p);
	}
	dash_describe_render(d);
}

/* A pod STATUS cell as the API server prints it for a container waiting
 * on its image ("ErrImagePull", "Init:ImagePullBackOff", ...). */
static bool
image_wait_word(const char *s)
{
	return s && (strstr(s, "ImagePull") || strstr(s, "ErrImageNeverPull"));
}

static void
set_hint(struct dash *d, const char *hint)
{
	if ((!hint && !d->hint) || (hint && d->hint && !strcmp(hint, d->hint)))
		return;
	set_str(&d->hint, hint);
	d->status_dirty = true;
}

/*
 * Keeps d->hint that of the selected pod: asked of the API server (the
 * Table rows carry no status) only when the selection or its row changed
 * and its STATUS says it waits on its image, so an idle screen sends and
 * paints nothing.
 */
void
dash_update_hint(struct dash *d)
{
	struct ml_tui_row *row = dash_selected_row(d);
	struct json_object *pod = NULL;
	struct ml_pod_problem *p = NULL;
	ml_autofree char *path = NULL, *hint = NULL;
	int col;

	if (!d->profile || !row || !(d->view->flags & VIEW_POD_HINTS)) {
		set_str(&d->hint_key, NULL);
		set_hint(d, NULL);
		return;
	}
	if (d->hint_key && strcmp(d->hint_key, row->key) == 0 &&
	    d->hint_gen == row->gen)
		return;
	set_str(&d->hint_key, row->key);
	d->hint_gen = row->gen;
	col = ml_tui_table_column(d->table, "STATUS");
	if (col < 0 || !image_wait_word(row->cells[col])) {
		set_hint(d, NULL);
		return;
	}
	path = dash_object_path(d, row);
	if (ml_k8s_get(d->c, path, &pod) < 0) {
		/* a pod gone meanwhile: its DELETED event follows */
		ml_err_clear();
		set_hint(d, NULL);
		return;
	}
	p = ml_pod_hint(pod, d->profile, d->offline);
	if (p)
		hint = ml_xasprintf("%s: %s", p->reason, p->hint);
	set_hint(d, hint);
	ml_pod_problem_free(p);
	json_object_put(pod);
}

/* The first container of a pod, from its spec; NULL when it has one
 * container only (the API picks it). Caller frees. */
static char *
first_container(struct dash *d, const char *path)
{
	struct json_object *pod = NULL, *cs;
	const char *name;
	char *ret = NULL;

	if (ml_k8s_get(d->c, path, &pod) < 0)
		return NULL;
	cs = ml_json_get(pod, "spec.containers");
	if (json_object_is_type(cs, json_type_array) &&
	    json_object_array_length(cs) > 1 &&
	    (name = ml_json_str(json_object_array_get_idx(cs, 0), "name")))
		ret = ml_xstrdup(name);
	json_object_put(pod);
	return ret;
}

/* The pods view's l: follows the selected pod's log. */
static void
logs_key(struct dash *d, struct ml_tui_row *row)
{
	ml_autofree char *path = NULL, *container = NULL;
	int r;

	if (!row)
		return;
	path = dash_object_path(d, row);
	container = first_container(d, path);
	dash_text_open(d, TEXT_LOGS,
		       ml_xasprintf("logs %s%s%s (following)", row->key,
				    container ? " -c " : "",
				    container ? container : ""));
	d->text.follow = true;
	r = ml_k8s_follow_logs(d->c, row->ns ? row->ns : "default", row->name,
			       container, LOG_TAIL, dash_on_log_event, d,
			       &d->text.log);
	if (r < 0) {
		const char *msg = ml_err_msg();
		ml_autofree char *s =
			ml_xasprintf("[no log: %s]", msg ? msg : "failed");

		d->text.log = NULL;
		dash_text_add(&d->text, s, strlen(s));
	}
}

/* Whether the container has /bin/sh: a short exec without a terminal.
 * An image built FROM scratch with busybox has only busybox's shell. */
static bool
has_sh(struct dash *d, struct ml_tui_row *row, const char *container)
{
	static char *const probe[] = { "/bin/sh", "-c", "exit 0", NULL };
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), status = -1, r;
	struct ml_exec_opts o = { .ns = row->ns ? row->ns : "default",
				  .pod = row->name,
				  .container = container,
				  .argv = probe,
				  .in_fd = null,
				  .out_fd = null,
				  .err_fd = null };

	r = null >= 0 ? ml_exec_run(d->c, &o, &status) : -errno;
	if (null >= 0)
		close(null);
	ml_err_clear();
	return r >= 0 && status == 0;
}

/*
 * The pods view's s: a shell in the pod's first container, as k9s's
 * (bash where there is one, else sh, else busybox's), with the terminal
 * handed over and given back (kube/exec.h).
 */
static void
shell_key(struct dash *d, struct ml_tui_row *row)
{
	static char *const argv[] = {
		"/bin/sh", "-c",
		"command -v bash >/dev/null 2>&1 && exec bash || exec sh", NULL
	};
	static char *const busybox[] = { "/bin/busybox", "sh", NULL };
	ml_autofree char *path = NULL, *container = NULL;
	int r, status = 0;

	if (!row)
		return;
	path = dash_object_path(d, row);
	container = first_container(d, path);
	def_prog_mode();
	endwin();
	printf("minilaunch dashboard: a shell in pod %s%s%s; exit it to come "
	       "back\n",
	       row->key, container ? " -c " : "", container ? container : "");
	fflush(stdout);
	r = ml_exec_tty(d->c, row->ns ? row->ns : "default", row->name,
			container, has_sh(d, row, container) ? argv : busybox,
			&status);
	reset_prog_mode();
	clearok(curscr, TRUE);
	refresh();
	d->full = true;
	if (r < 0)
		note_error(d, "shell");
	else
		dash_message(d, "shell in %s ended (exit %d)", row->key,
			     status);
}

/* The first containerPort of a pod's spec, or 0. */
static int
first_port(struct dash *d, const char *path)
{
	struct json_object *pod = NULL, *cs;
	int port = 0;

	if (ml_k8s_get(d->c, path, &pod) < 0)
		return -1;
	cs = ml_json_get(pod, "spec.containers");
	for (size_t i = 0; json_object_is_type(cs, json_type_array) &&
			   i < json_object_array_length(cs) && !port;
	     i++) {
		struct json_object *ps =
			ml_json_get(json_object_array_get_idx(cs, i), "ports");
		struct json_object *n =
			json_object_is_type(ps, json_type_array)
				? ml_json_get(json_object_array_get_idx(ps, 0),
					      "containerPort")
				: NULL;

		if (json_object_is_type(n, json_type_int))
			port = json_object_get_int(n);
	}
	json_object_put(pod);
	return port > 0 && port <= 65535 ? port : 0;
}

void
dash_forwards_release(struct dash *d)
{
	for (size_t i = 0; i < d->nforwards; i++) {
		ml_portforward_close(d->forwards[i].pf);
		free(d->forwards[i].key);
	}
	free(d->forwards);
	d->forwards = NULL;
	d->nforwards = 0;
}

/*
 * The pods view's F (k9s's shift-f): the pod's first declared port on a
 * free port of 127.0.0.1 until F again on it, or quit (kube/portforward.h).
 */
static void
forward_key(struct dash *d, struct ml_tui_row *row)
{
	ml_autofree char *path = NULL;
	struct dash_forward f = { 0 };
	int r;

	if (!row)
		return;
	for (size_t i = 0; i < d->nforwards; i++) {
		struct dash_forward *o = &d->forwards[i];

		if (strcmp(o->key, row->key) != 0)
			continue;
		dash_message(d, "port-forward 127.0.0.1:%d -> %s:%d stopped",
			     o->local, o->key, o->remote);
		ml_portforward_close(o->pf);
		free(o->key);
		d->forwards[i] = d->forwards[--d->nforwards];
		return;
	}
	path = dash_object_path(d, row);
	f.remote = first_port(d, path);
	if (f.remote < 0) {
		note_error(d, "port-forward");
		return;
	}
	if (f.remote == 0) {
		dash_message(d,
			     "port-forward: pod %s declares no container port",
			     row->key);
		return;
	}
	r = ml_portforward_open(d->c, row->ns ? row->ns : "default", row->name,
				f.remote, 0, 0, &f.pf, &f.local);
	if (r < 0) {
		note_error(d, "port-forward");
		return;
	}
	f.key = ml_xstrdup(row->key);
	d->forwards = ml_xrealloc(d->forwards,
				  (d->nforwards + 1) * sizeof(*d->forwards));
	d->forwards[d->nforwards++] = f;
	dash_message(d, "port-forward 127.0.0.1:%d -> %s:%d (F again: stop)",
		     f.local, row->key, f.remote);
}

/* The pods view's p: the log of the container before its last restart,
 * as `kubectl logs --previous` (the kubelet keeps one). */
static void
previous_logs_key(struct dash *d, struct ml_tui_row *row)
{
	ml_autofree char *path = NULL, *container = NULL, *text = NULL;
	ml_autofree char *ctr = NULL;

	if (!row)
		return;
	path = dash_object_path(d, row);
	container = first_container(d, path);
	ctr = container ? ml_xasprintf("&container=%s", container) : NULL;
	free(path);
	path = ml_xasprintf("/api/v1/namespaces/%s/pods/%s/log?previous=true&"
			    "tailLines=%d%s",
			    row->ns ? row->ns : "default", row->name, LOG_TAIL,
			    ctr ? ctr : "");
	dash_text_open(d, TEXT_LOGS,
		       ml_xasprintf("logs %s%s%s (previous container)",
				    row->key, container ? " -c " : "",
				    container ? container : ""));
	if (ml_k8s_get_text(d->c, path, &text) < 0) {
		const char *msg = ml_err_msg();
		ml_autofree char *s = ml_xasprintf("[no previous log: %s]",
						   msg ? msg : "failed");

		dash_text_add(&d->text, s, strlen(s));
		return;
	}
	dash_text_add_all(&d->text, text);
	if (!d->text.n)
		dash_text_add_all(&d->text, "[the previous log is empty]");
}

/* --- edit --- */

/* The object as it is edited: what the server fills in left out. */
static char *
edit_text(struct json_object *obj)
{
	struct json_object *meta;

	json_object_object_del(obj, "status");
	if (json_object_object_get_ex(obj, "metadata", &meta) &&
	    json_object_is_type(meta, json_type_object))
		json_object_object_del(meta, "managedFields");
	return ml_tui_yaml_from_json(obj);
}

/* Runs $EDITOR (default vi) on path with the terminal handed over;
 * returns its exit status, or -1 when it could not run. */
static int
run_editor(const char *path)
{
	const char *editor = getenv("EDITOR");
	ml_autofree char *cmd = NULL;
	int status = -1;
	pid_t pid;

	/* EDITOR may carry arguments ("code --wait"): the shell reads it,
	 * as git does */
	cmd = ml_xasprintf("%s \"$1\"", editor && *editor ? editor : "vi");
	def_prog_mode();
	endwin();
	pid = fork();
	if (pid == 0) {
		signal(SIGWINCH, SIG_DFL);
		execl("/bin/sh", "sh", "-c", cmd, "sh", path, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	reset_prog_mode();
	clearok(curscr, TRUE);
	refresh();
	return pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void
dash_edit(struct dash *d)
{
	struct ml_tui_row *row = dash_selected_row(d);
	struct json_object *obj = NULL, *ret = NULL;
	ml_autofree char *path = NULL, *before = NULL, *after = NULL;
	ml_autofree char *file = NULL, *apply = NULL, *label = NULL;
	size_t len = 0;
	int fd, rc;

	if (!row)
		return;
	path = dash_object_path(d, row);
	if (ml_k8s_get(d->c, path, &obj) < 0) {
		note_error(d, "edit");
		return;
	}
	before = edit_text(obj);
	json_object_put(obj);
	label = ml_xasprintf("%s %s", d->view->kind, row->key);
	file = ml_xasprintf("%s/minilaunch-edit-%s-%s-XXXXXX.yaml",
			    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
			    d->view->kind, row->name);
	fd = mkstemps(file, 5); /* 0600 */
	if (fd < 0 ||
	    write(fd, before, strlen(before)) != (ssize_t)strlen(before)) {
		ml_err(-errno, "cannot write '%s': %s", file, strerror(errno));
		note_error(d, "edit");
		if (fd >= 0) {
			close(fd);
			unlink(file);
		}
		return;
	}
	close(fd);
	rc = run_editor(file);
	d->full = true;
	if (rc != 0) {
		dash_message(d,
			     "edit: the editor exited with %d: nothing applied",
			     rc);
		unlink(file);
		return;
	}
	if (ml_read_file(file, &after, &len) < 0) {
		note_error(d, "edit");
		return;
	}
	if (strlen(before) == len && memcmp(before, after, len) == 0) {
		dash_message(d, "edit: %s unchanged, nothing applied", label);
		unlink(file);
		return;
	}
	apply = ml_xasprintf("%s?fieldManager=minilaunch-dashboard&force=true",
			     path);
	if (ml_k8s_patch(d->c, apply, "application/apply-patch+yaml", after,
			 &ret) < 0) {
		const char *msg = ml_err_msg();

		free(d->last_error);
		d->last_error =
			ml_xasprintf("edit: your text is kept in %s: %s", file,
				     msg ? msg : "failed");
		d->header_dirty = true;
		return;
	}
	json_object_put(ret);
	unlink(file);
	dash_message(d, "edit: applied %s", label);
}
