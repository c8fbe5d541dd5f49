/* kube/informer.c: stores kept by list and watch (see informer.h). */
#include "config.h"

#include "kube/informer.h"

#include "base/log.h"
#include "base/util.h"

#include <limits.h>
#include <string.h>

char *
ml_k8s_object_key(struct json_object *obj)
{
	const char *name = ml_json_str(obj, "metadata.name");
	const char *ns = ml_json_str(obj, "metadata.namespace");

	if (!name)
		return NULL;
	return ns ? ml_xasprintf("%s/%s", ns, name) : ml_xstrdup(name);
}

struct json_object *
ml_k8s_index_from_list(struct json_object *list)
{
	struct json_object *idx = json_object_new_object();
	struct json_object *items;
	size_t n = ml_json_array(list, "items", &items);

	for (size_t i = 0; i < n; i++) {
		struct json_object *item = json_object_array_get_idx(items, i);
		ml_autofree char *key = ml_k8s_object_key(item);

		if (key)
			json_object_object_add(idx, key, json_object_get(item));
	}
	return idx;
}

static void
on_event(const struct ml_k8s_event *ev, void *ud)
{
	struct ml_store *s = ud;
	struct ml_informer *inf = s->inf;
	ml_autofree char *key = NULL;

	switch (ev->type) {
	case ML_K8S_RELISTED:
		json_object_put(s->index);
		s->index = ml_k8s_index_from_list(ev->obj);
		s->listed = true;
		ml_log_debug("listed %d %s",
			     json_object_object_length(s->index), s->what);
		inf->changed(s, ML_STORE_RELISTED, NULL, inf->ud);
		break;
	case ML_K8S_ADDED:
	case ML_K8S_MODIFIED:
		key = ml_k8s_object_key(ev->obj);
		if (key) {
			json_object_object_add(s->index, key,
					       json_object_get(ev->obj));
			inf->changed(s, ML_STORE_SET, key, inf->ud);
		}
		break;
	case ML_K8S_DELETED:
		key = ml_k8s_object_key(ev->obj);
		if (key) {
			json_object_object_del(s->index, key);
			inf->changed(s, ML_STORE_DELETED, key, inf->ud);
		}
		break;
	case ML_K8S_DISCONNECTED:
		if (!s->lost)
			ml_log_warn("lost the watch of %s (%s); keeping the %d "
				    "held until it is back",
				    s->what, ev->text ? ev->text : "",
				    json_object_object_length(s->index));
		s->lost = true;
		break;
	case ML_K8S_CONNECTED:
		if (s->lost)
			ml_log_info("watching %s again", s->what);
		s->lost = false;
		break;
	default:
		break;
	}
}

void
ml_informer_init(struct ml_informer *inf, struct ml_k8s *k8s,
		 struct ml_store **stores, size_t n, ml_store_fn changed,
		 void *ud, int retry_min_ms, int retry_max_ms)
{
	*inf = (struct ml_informer){
		.k8s = k8s,
		.stores = stores,
		.n = n,
		.changed = changed,
		.ud = ud,
		.retry_min_ms = retry_min_ms,
		.retry_max_ms = retry_max_ms,
		.backoff = retry_min_ms,
	};
	for (size_t i = 0; i < n; i++) {
		stores[i]->inf = inf;
		stores[i]->index = json_object_new_object();
		stores[i]->watch = NULL;
		stores[i]->listed = stores[i]->lost = false;
	}
}

void
ml_informer_start(struct ml_informer *inf)
{
	struct ml_buf names = { 0 };

	if (ml_now_ms() < inf->retry_at)
		return;
	for (size_t i = 0; i < inf->n; i++) {
		struct ml_store *s = inf->stores[i];

		if (s->watch)
			continue;
		if (ml_k8s_watch(inf->k8s, s->path, false, on_event, s,
				 &s->watch) < 0) {
			/* Said once until it works: the API may be down for
			 * minutes while the node starts. */
			if (!inf->warned)
				ml_log_warn("cannot list %s: %s; retrying",
					    s->what, ml_err_msg());
			ml_err_clear();
			inf->warned = true;
			inf->retry_at = ml_now_ms() + inf->backoff;
			inf->backoff = inf->backoff > inf->retry_max_ms / 2
					       ? inf->retry_max_ms
					       : inf->backoff * 2;
			return;
		}
		ml_log_debug("watching %s", s->path);
	}
	if (inf->warned) {
		for (size_t i = 0; i < inf->n; i++) {
			const char *w = inf->stores[i]->what;

			if (i)
				ml_buf_add(&names, ", ", 2);
			ml_buf_add(&names, w, strlen(w));
		}
		ml_log_info("listed %s", names.p);
		ml_buf_release(&names);
	}
	inf->warned = false;
	inf->backoff = inf->retry_min_ms;
}

int64_t
ml_informer_next_try(const struct ml_informer *inf)
{
	for (size_t i = 0; i < inf->n; i++)
		if (!inf->stores[i]->watch)
			return inf->retry_at;
	return INT64_MAX;
}

bool
ml_informer_synced(const struct ml_informer *inf)
{
	for (size_t i = 0; i < inf->n; i++)
		if (!inf->stores[i]->listed)
			return false;
	return true;
}

void
ml_informer_release(struct ml_informer *inf)
{
	for (size_t i = 0; i < inf->n; i++) {
		struct ml_store *s = inf->stores[i];

		if (s->watch)
			ml_k8s_watch_stop(s->watch);
		s->watch = NULL;
		json_object_put(s->index);
		s->index = NULL;
	}
}
