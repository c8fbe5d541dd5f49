/* kube/workload.c: a manifest applied while the server settles, and its
 * workloads awaited. */
#include "config.h"

#include "kube/workload.h"

#include "base/log.h"
#include "base/progress.h"
#include "base/util.h"
#include "kube/k8s.h"
#include "kube/manifest.h"

#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

bool
ml_workload_transient(int r)
{
	return r == -ETIMEDOUT || r == -EAGAIN || r == -ECONNREFUSED ||
	       r == -ECONNRESET || r == -EIO;
}

bool
ml_workload_kind(const char *kind)
{
	return strcmp(kind, "Deployment") == 0 ||
	       strcmp(kind, "DaemonSet") == 0 ||
	       strcmp(kind, "StatefulSet") == 0;
}

/* An RFC 3339 UTC time of the API ("2026-12-01T17:16:10Z"), or 0. */
static time_t
api_time(const char *s)
{
	struct tm tm = { 0 };
	const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;

	return end && *end == 'Z' ? timegm(&tm) : 0;
}

char *
ml_workload_selector(struct json_object *match_labels)
{
	char *sel = NULL;

	if (!json_object_is_type(match_labels, json_type_object))
		return NULL;
	json_object_object_foreach(match_labels, k, v)
	{
		char *s;

		if (!json_object_is_type(v, json_type_string))
			continue;
		s = ml_xasprintf("%s%s%s%%3D%s", sel ? sel : "",
				 sel ? "%2C" : "", k,
				 json_object_get_string(v));
		free(sel);
		sel = s;
	}
	return sel;
}

/* An integer field, or def when it is missing or not an integer. */
static int64_t
jint(struct json_object *o, const char *path, int64_t def)
{
	struct json_object *v = ml_json_get(o, path);

	return json_object_is_type(v, json_type_int) ? json_object_get_int64(v)
						     : def;
}

bool
ml_workload_read_status(const char *kind, struct json_object *obj,
			long *ret_replicas)
{
	int64_t gen = jint(obj, "metadata.generation", 0);
	int64_t seen = jint(obj, "status.observedGeneration", 0);
	int64_t want = jint(obj, "spec.replicas", 1), have;

	if (strcmp(kind, "DaemonSet") == 0) {
		want = jint(obj, "status.desiredNumberScheduled", 0);
		have = jint(obj, "status.numberAvailable", 0);
		if (want < 1)
			want = 1; /* not scheduled yet */
	} else if (strcmp(kind, "StatefulSet") == 0) {
		have = jint(obj, "status.readyReplicas", 0);
	} else {
		have = jint(obj, "status.availableReplicas", 0);
	}
	if (want < 0)
		want = 0;
	if (ret_replicas)
		*ret_replicas = (long)want;
	return seen >= gen && have >= want;
}

void
ml_workload_pods_clear(struct ml_workload_pods *p)
{
	free(p->state);
	free(p->image);
	*p = (struct ml_workload_pods){ 0 };
}

void
ml_workload_read_pods(struct json_object *list, time_t started_after,
		      struct ml_workload_pods *ret)
{
	struct json_object *items;
	size_t npods = ml_json_array(list, "items", &items);

	*ret = (struct ml_workload_pods){ 0 };
	for (size_t p = 0; p < npods; p++) {
		struct json_object *pod = json_object_array_get_idx(items, p);
		struct json_object *sts;
		const char *phase = ml_json_str(pod, "status.phase"),
			   *name = ml_json_str(pod, "metadata.name"),
			   *why = NULL;
		size_t n = ml_json_array(pod, "status.containerStatuses", &sts);
		bool fresh = n > 0, was_fatal = ret->fatal;

		for (size_t i = 0; i < n; i++) {
			struct json_object *cs =
				json_object_array_get_idx(sts, i);
			const char *reason =
				ml_json_str(cs, "state.waiting.reason");
			const char *image = ml_json_str(cs, "image");
			struct json_object *ready = ml_json_get(cs, "ready");

			if (!reason)
				reason = ml_json_str(cs,
						     "state.terminated.reason");
			if (reason) {
				why = reason;
				if ((strcmp(reason, "ErrImageNeverPull") == 0 ||
				     strcmp(reason, "InvalidImageName") == 0) &&
				    !ret->fatal) {
					ret->fatal = true;
					ret->image = image ? ml_xstrdup(image)
							   : NULL;
				}
			}
			if (!json_object_is_type(ready, json_type_boolean) ||
			    !json_object_get_boolean(ready) ||
			    api_time(ml_json_str(cs,
						 "state.running.startedAt")) <
				    started_after)
				fresh = false;
		}
		ret->fresh = ret->fresh || fresh;
		/* the first pod's state is shown, or the first that cannot
		 * start */
		if (ret->state && (was_fatal || !ret->fatal))
			continue;
		free(ret->state);
		if (!why && phase && strcmp(phase, "Running") == 0)
			why = fresh ? "Running" : "Running, not ready";
		ret->state = ml_xasprintf("pod %s: %s", name ? name : "?",
					  why	  ? why
					  : phase ? phase
						  : "Unknown");
	}
}

static void
pods_look(struct ml_k8s *c, const char *ns, struct json_object *selector,
	  time_t started_after, struct ml_workload_pods *ret)
{
	ml_autofree char *sel = ml_workload_selector(selector);
	ml_autofree char *path = NULL;
	struct json_object *list = NULL;

	*ret = (struct ml_workload_pods){ 0 };
	if (!sel)
		return;
	path = ml_xasprintf("/api/v1/namespaces/%s/pods?labelSelector=%s", ns,
			    sel);
	if (ml_k8s_list(c, path, false, 0, NULL, &list) < 0)
		return;
	ml_workload_read_pods(list, started_after, ret);
	json_object_put(list);
}

int
ml_workload_apply(struct ml_k8s *c, const struct ml_manifest *m,
		  time_t deadline)
{
	for (;;) {
		int r = ml_manifest_apply(c, m);

		if (r >= 0 || !ml_workload_transient(r) ||
		    time(NULL) >= deadline)
			return r;
		ml_log_debug("%s, trying again", ml_err_msg());
		ml_progress_tick("(%s; trying again)", ml_err_msg());
		sleep(2);
	}
}

/* "deployment", "daemonset", ...: the kind as kubectl names it. */
static char *
lower(const char *s)
{
	char *l = ml_xstrdup(s);

	for (char *p = l; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return l;
}

int
ml_workload_wait(struct ml_k8s *c, const struct ml_manifest_doc *d,
		 const char *what, time_t started_after, time_t deadline)
{
	ml_autofree char *path = ml_manifest_path(d, true);
	ml_autofree char *kind = lower(d->kind);
	const char *ns = d->namespace ? d->namespace : "default";
	time_t start = time(NULL);

	for (;;) {
		struct json_object *obj = NULL;
		struct ml_workload_pods pods;
		long replicas;
		bool ready;
		int r;

		r = ml_k8s_get(c, path, &obj);
		if (r < 0 && ml_workload_transient(r) &&
		    time(NULL) < deadline) {
			ml_progress_tick("(%s; trying again)", ml_err_msg());
			sleep(2);
			continue;
		}
		if (r < 0)
			return r;
		ready = ml_workload_read_status(d->kind, obj, &replicas);
		pods_look(c, ns, ml_json_get(obj, "spec.selector.matchLabels"),
			  started_after, &pods);
		json_object_put(obj);
		if (ready && (replicas == 0 || pods.fresh))
			r = 0;
		else if (pods.fatal)
			r = ml_err(-ENOENT,
				   "%s cannot start (%s %s/%s, %s): the node does not hold the image '%s'; rebuild the node image with 'make iso' or load it with 'minilaunch image load'",
				   what, kind, ns, d->name, pods.state,
				   pods.image ? pods.image : "?");
		else if (time(NULL) >= deadline)
			r = ml_err(-ETIMEDOUT,
				   "%s not available after %lld s (%s %s/%s, %s)",
				   what, (long long)(time(NULL) - start), kind,
				   ns, d->name,
				   pods.state ? pods.state : "no pod yet");
		else
			r = 1;
		if (r <= 0) {
			ml_workload_pods_clear(&pods);
			return r;
		}
		ml_progress_tick("(%s)",
				 pods.state ? pods.state : "no pod yet");
		ml_workload_pods_clear(&pods);
		sleep(1);
	}
}
