/*
 * tui/usage.c: CPU and memory in use per node and per pod, from each
 * node's kubelet summary (GET /api/v1/nodes/NAME/proxy/stats/summary, the
 * API server's node proxy: no metrics-server needed), fetched in the
 * background every USAGE_EVERY_MS while a view with VIEW_USAGE is open,
 * never while none is (see dash.h).
 */
#include "config.h"

#include "tui/dash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE_EVERY_MS 10000

/* One node's summary on its way. */
struct usage_fetch {
	struct dash *d;
	struct ml_k8s_watch *w;
	struct ml_buf body;
};

static int
figure_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dash_usage *)a)->key,
		      ((const struct dash_usage *)b)->key);
}

const struct dash_usage *
dash_usage_find(const struct dash *d, const char *key)
{
	struct dash_usage k = { .key = (char *)key };

	if (!d->nusage)
		return NULL;
	return bsearch(&k, d->usage, d->nusage, sizeof(*d->usage), figure_cmp);
}

static void
put_figure(struct dash *d, const char *key, struct json_object *o)
{
	struct json_object *cpu = ml_json_get(o, "cpu.usageNanoCores");
	struct json_object *mem = ml_json_get(o, "memory.workingSetBytes");
	struct dash_usage *u;

	if (!key || (!cpu && !mem))
		return;
	u = (struct dash_usage *)dash_usage_find(d, key);
	if (!u) {
		d->usage = ml_xrealloc(d->usage,
				       (d->nusage + 1) * sizeof(*d->usage));
		u = &d->usage[d->nusage++];
		u->key = ml_xstrdup(key);
		qsort(d->usage, d->nusage, sizeof(*d->usage), figure_cmp);
		u = (struct dash_usage *)dash_usage_find(d, key);
	}
	u->cpu_nano = cpu ? json_object_get_int64(cpu) : -1;
	u->mem_bytes = mem ? json_object_get_int64(mem) : -1;
}

/* Takes the figures of one summary. */
static void
read_summary(struct dash *d, const char *text)
{
	struct json_object *o = json_tokener_parse(text), *pods, *node;

	if (!o)
		return;
	node = ml_json_get(o, "node");
	put_figure(d, ml_json_str(node, "nodeName"), node);
	pods = ml_json_get(o, "pods");
	for (size_t i = 0; json_object_is_type(pods, json_type_array) &&
			   i < json_object_array_length(pods);
	     i++) {
		struct json_object *p = json_object_array_get_idx(pods, i);
		const char *ns = ml_json_str(p, "podRef.namespace");
		const char *name = ml_json_str(p, "podRef.name");
		ml_autofree char *key =
			ns && name ? ml_xasprintf("%s/%s", ns, name) : NULL;

		put_figure(d, key, p);
	}
	json_object_put(o);
	d->usage_gen++;
}

static void
fetch_free(struct usage_fetch *f)
{
	if (f->w)
		ml_k8s_watch_stop(f->w);
	ml_buf_release(&f->body);
	free(f);
}

static void
on_summary(const struct ml_k8s_event *ev, void *ud)
{
	struct usage_fetch *f = ud;
	struct dash *d = f->d;

	if (ev->type == ML_K8S_LOG_LINE && ev->text) {
		ml_buf_add(&f->body, ev->text, strlen(ev->text));
		ml_buf_add(&f->body, "\n", 1);
		return;
	}
	if (ev->type != ML_K8S_DISCONNECTED)
		return;
	if (ev->text && strcmp(ev->text, "end of log") == 0 && f->body.p)
		read_summary(d, f->body.p);
	/* a node without a kubelet answering: no figures, no error line */
	for (size_t i = 0; i < d->nfetch; i++)
		if (d->fetch[i] == f) {
			d->fetch[i] = d->fetch[--d->nfetch];
			break;
		}
	fetch_free(f);
}

static void
stop_all(struct dash *d)
{
	for (size_t i = 0; i < d->nfetch; i++)
		fetch_free(d->fetch[i]);
	d->nfetch = 0;
}

void
dash_usage_tick(struct dash *d)
{
	long long now = now_ms();

	if (d->mode != MODE_TABLE || !(d->view->flags & VIEW_USAGE)) {
		stop_all(d);
		d->usage_next = 0;
		return;
	}
	if (d->usage_next && now < d->usage_next)
		return;
	d->usage_next = now + USAGE_EVERY_MS;
	/* an answer later than the next round is given up */
	stop_all(d);
	for (size_t i = 0; d->nodes && i < d->nodes->nrows; i++) {
		struct usage_fetch *f = ml_xcalloc(1, sizeof(*f));
		ml_autofree char *path =
			ml_xasprintf("/api/v1/nodes/%s/proxy/stats/summary",
				     d->nodes->rows[i]->name);

		f->d = d;
		if (ml_k8s_get_stream(d->c, path, on_summary, f, &f->w) < 0) {
			ml_err_clear();
			f->w = NULL;
			fetch_free(f);
			continue;
		}
		d->fetch = ml_xrealloc(d->fetch,
				       (d->nfetch + 1) * sizeof(*d->fetch));
		d->fetch[d->nfetch++] = f;
	}
}

void
dash_usage_release(struct dash *d)
{
	stop_all(d);
	free(d->fetch);
	for (size_t i = 0; i < d->nusage; i++)
		free(d->usage[i].key);
	free(d->usage);
}

char *
dash_usage_cell(const struct dash *d, const struct ml_tui_row *r, bool mem,
		char *buf, size_t size)
{
	const struct dash_usage *u = dash_usage_find(d, r->key);
	long long v = !u ? -1 : mem ? u->mem_bytes : u->cpu_nano;

	if (v < 0)
		snprintf(buf, size, "%s", "");
	else if (mem)
		snprintf(buf, size, "%lldMi", v / (1024 * 1024));
	else
		snprintf(buf, size, "%lldm", v / 1000000);
	return buf;
}
