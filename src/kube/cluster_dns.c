/* kube/cluster_dns.c: the cluster DNS manifest applied, awaited or deleted. */
#include "config.h"

#include "kube/cluster_dns.h"

#include "base/log.h"
#include "base/progress.h"
#include "base/util.h"
#include "kube/cluster.h"
#include "kube/k8s.h"
#include "kube/manifest.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* An RFC 3339 UTC time of the API ("2026-12-01T17:16:10Z"), or 0. */
static time_t
api_time(const char *s)
{
	struct tm tm = { 0 };
	const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;

	return end && *end == 'Z' ? timegm(&tm) : 0;
}

char *
ml_cluster_dns_selector(struct json_object *match_labels)
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

/* An integer field, or 0 when it is missing or not an integer. */
static int64_t
jint(struct json_object *o, const char *path)
{
	struct json_object *v = ml_json_get(o, path);

	return json_object_is_type(v, json_type_int) ? json_object_get_int64(v)
						     : 0;
}

void
ml_cluster_dns_read_pods(struct json_object *list, time_t started_after,
			 struct ml_cluster_dns_pods *ret)
{
	struct json_object *items = ml_json_get(list, "items");
	size_t npods = json_object_is_type(items, json_type_array)
			       ? json_object_array_length(items)
			       : 0;

	*ret = (struct ml_cluster_dns_pods){ 0 };
	for (size_t p = 0; p < npods; p++) {
		struct json_object *pod = json_object_array_get_idx(items, p);
		struct json_object *sts =
			ml_json_get(pod, "status.containerStatuses");
		const char *phase = ml_json_str(pod, "status.phase"),
			   *name = ml_json_str(pod, "metadata.name"),
			   *why = NULL;
		size_t n = json_object_is_type(sts, json_type_array)
				   ? json_object_array_length(sts)
				   : 0;
		bool fresh = n > 0;

		for (size_t i = 0; i < n; i++) {
			struct json_object *cs =
				json_object_array_get_idx(sts, i);
			const char *reason =
				ml_json_str(cs, "state.waiting.reason");
			struct json_object *ready = ml_json_get(cs, "ready");

			if (!reason)
				reason = ml_json_str(cs,
						     "state.terminated.reason");
			if (reason) {
				why = reason;
				if (strcmp(reason, "ErrImageNeverPull") == 0 ||
				    strcmp(reason, "InvalidImageName") == 0)
					ret->fatal = true;
			}
			if (!json_object_is_type(ready, json_type_boolean) ||
			    !json_object_get_boolean(ready) ||
			    api_time(ml_json_str(cs,
						 "state.running.startedAt")) <
				    started_after)
				fresh = false;
		}
		ret->fresh = ret->fresh || fresh;
		if (ret->state)
			continue; /* the first pod's state is shown */
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
	  time_t started_after, struct ml_cluster_dns_pods *ret)
{
	ml_autofree char *sel = ml_cluster_dns_selector(selector);
	ml_autofree char *path = NULL;
	struct json_object *list = NULL;

	*ret = (struct ml_cluster_dns_pods){ 0 };
	if (!sel)
		return;
	path = ml_xasprintf("/api/v1/namespaces/%s/pods?labelSelector=%s", ns,
			    sel);
	if (ml_k8s_list(c, path, false, 0, NULL, &list) < 0)
		return;
	ml_cluster_dns_read_pods(list, started_after, ret);
	json_object_put(list);
}

/* Failures a busy API server gives for a while and then no more. */
static bool
transient(int r)
{
	return r == -ETIMEDOUT || r == -EAGAIN || r == -ECONNREFUSED ||
	       r == -ECONNRESET || r == -EIO;
}

/*
 * Applies m, again while the API server fails in a transient way and
 * deadline allows: right after its start, a server under emulation may
 * take longer than a request's timeout to answer the first writes.
 * Applying is idempotent, so the whole manifest is sent again.
 */
static int
apply_until(struct ml_k8s *c, const struct ml_manifest *m, time_t deadline)
{
	for (;;) {
		int r = ml_manifest_apply(c, m);

		if (r >= 0 || !transient(r) || time(NULL) >= deadline)
			return r;
		ml_log_debug("%s, trying again", ml_err_msg());
		ml_progress_tick("(%s; trying again)", ml_err_msg());
		sleep(2);
	}
}

/*
 * Polls the Deployment d until it has an available replica of its
 * generation and a pod ready since started_after: after a reboot the
 * statuses stored in the API still say "available" until the kubelet
 * reports the restarted pod.
 */
static int
wait_available(struct ml_k8s *c, const struct ml_manifest_doc *d,
	       time_t started_after, time_t deadline)
{
	ml_autofree char *path = ml_manifest_path(d, true);
	const char *ns = d->namespace ? d->namespace : "default";
	time_t start = time(NULL);

	for (;;) {
		struct json_object *dep = NULL;
		struct ml_cluster_dns_pods pods;
		int64_t gen, seen, avail;
		int r;

		r = ml_k8s_get(c, path, &dep);
		if (r < 0 && transient(r) && time(NULL) < deadline) {
			ml_progress_tick("(%s; trying again)", ml_err_msg());
			sleep(2);
			continue;
		}
		if (r < 0)
			return r;
		gen = jint(dep, "metadata.generation");
		seen = jint(dep, "status.observedGeneration");
		avail = jint(dep, "status.availableReplicas");
		pods_look(c, ns, ml_json_get(dep, "spec.selector.matchLabels"),
			  started_after, &pods);
		json_object_put(dep);
		if (seen >= gen && avail >= 1 && pods.fresh)
			r = 0;
		else if (pods.fatal)
			r = ml_err(-ENOENT,
				   "cluster DNS cannot start (deployment %s/%s, %s): the node image lacks its image; rebuild it with 'make iso'",
				   ns, d->name, pods.state);
		else if (time(NULL) >= deadline)
			r = ml_err(-ETIMEDOUT,
				   "cluster DNS not available after %lld s (deployment %s/%s, %s)",
				   (long long)(time(NULL) - start), ns, d->name,
				   pods.state ? pods.state : "no pod yet");
		else
			r = 1;
		if (r <= 0) {
			free(pods.state);
			return r;
		}
		ml_progress_tick("(%s)",
				 pods.state ? pods.state : "no pod yet");
		free(pods.state);
		sleep(1);
	}
}

int
ml_cluster_dns_apply(struct ml_k8s *c, const char *source, const char *manifest,
		     const struct ml_cluster_dns_opts *o)
{
	struct ml_manifest *m = NULL;
	const struct ml_manifest_doc *dep = NULL;
	int deleted = 0, r;

	r = ml_manifest_parse(source, manifest, strlen(manifest), &m);
	if (r < 0)
		return r;
	if (!o->enabled) {
		while ((r = ml_manifest_delete_by_label(c, m,
							ML_CLUSTER_DNS_SELECTOR,
							&deleted)) < 0 &&
		       transient(r) && time(NULL) < o->deadline) {
			ml_progress_tick("(%s; trying again)", ml_err_msg());
			sleep(2);
		}
		if (r >= 0)
			ml_log_debug("deleted %d objects of %s", deleted,
				     source);
		goto out;
	}
	r = apply_until(c, m, o->deadline);
	if (r < 0 || !o->wait)
		goto out;
	for (size_t i = 0; i < m->n && !dep; i++)
		if (strcmp(m->docs[i].kind, "Deployment") == 0)
			dep = &m->docs[i];
	if (dep)
		r = wait_available(c, dep, o->started_after, o->deadline);
out:
	ml_manifest_free(m);
	return r;
}

int
ml_cluster_dns_ensure(const char *home, const char *profile, int apiserver_port,
		      const char *source, const char *manifest,
		      const struct ml_cluster_dns_opts *o)
{
	struct ml_k8s *c = NULL;
	int r;

	/* a node under emulation answers slowly, more so just after boot */
	r = ml_cluster_client(home, profile, apiserver_port, 60000, &c);
	if (r < 0)
		return r;
	r = ml_cluster_dns_apply(c, source, manifest, o);
	ml_k8s_free(c);
	return r;
}
