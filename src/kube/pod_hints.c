/*
 * kube/pod_hints.c: the hints of pods stuck on their image (see
 * pod_hints.h).
 */
#include "config.h"

#include "kube/pod_hints.h"
#include "base/profile.h"
#include "base/util.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* A copy of s (dflt when NULL) without control characters. */
static char *
clean_dup(const char *s, const char *dflt)
{
	char *ret = ml_xstrdup(s ? s : dflt);

	for (char *p = ret; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return ret;
}

static struct json_object *
array_at(struct json_object *o, const char *path)
{
	struct json_object *a = ml_json_get(o, path);

	return json_object_is_type(a, json_type_array) ? a : NULL;
}

/* The image of the container named name in the spec's list at path. */
static const char *
spec_image(struct json_object *pod, const char *path, const char *name)
{
	struct json_object *cs = array_at(pod, path);
	size_t n = cs ? json_object_array_length(cs) : 0;

	for (size_t i = 0; name && i < n; i++) {
		struct json_object *c = json_object_array_get_idx(cs, i);
		const char *cname = ml_json_str(c, "name");

		if (cname && strcmp(cname, name) == 0)
			return ml_json_str(c, "image");
	}
	return NULL;
}

static bool
pull_failed(const char *reason)
{
	return strcmp(reason, "ErrImagePull") == 0 ||
	       strcmp(reason, "ImagePullBackOff") == 0;
}

static char *
hint_for(const char *reason, const char *image, const char *profile,
	 bool offline)
{
	if (strcmp(reason, "ErrImageNeverPull") == 0)
		return ml_xasprintf(
			"image %s is not in the Docker daemon of node '%s': build or pull it there after eval $(minilaunch -p %s docker-env)",
			image, profile, profile);
	if (!offline || !pull_failed(reason))
		return NULL;
	if (strcmp(profile, ML_PROFILE_DEFAULT) == 0)
		return ml_xstrdup(
			"this profile is offline: minilaunch stop && minilaunch start --network=online");
	return ml_xasprintf(
		"this profile is offline: minilaunch -p %s stop && minilaunch -p %s start --network=online",
		profile, profile);
}

/* The problem of the first container of the status list at status_path
 * that has a hint, or NULL. */
static struct ml_pod_problem *
scan(struct json_object *pod, const char *status_path, const char *spec_path,
     const char *profile, bool offline)
{
	struct json_object *st = array_at(pod, status_path);
	size_t n = st ? json_object_array_length(st) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(st, i);
		const char *reason = ml_json_str(c, "state.waiting.reason");
		const char *image;
		ml_autofree char *cimage = NULL, *hint = NULL;
		struct ml_pod_problem *p;

		if (!reason)
			continue;
		image = spec_image(pod, spec_path, ml_json_str(c, "name"));
		if (!image)
			image = ml_json_str(c, "image");
		cimage = clean_dup(image, "?");
		hint = hint_for(reason, cimage, profile, offline);
		if (!hint)
			continue;
		p = ml_xcalloc(1, sizeof(*p));
		p->ns = clean_dup(ml_json_str(pod, "metadata.namespace"),
				  "default");
		p->name = clean_dup(ml_json_str(pod, "metadata.name"), "?");
		p->reason = clean_dup(reason, "?");
		p->image = cimage;
		p->hint = hint;
		cimage = hint = NULL;
		return p;
	}
	return NULL;
}

struct ml_pod_problem *
ml_pod_hint(struct json_object *pod, const char *profile, bool offline)
{
	ml_autofree char *cprofile = clean_dup(profile, ML_PROFILE_DEFAULT);
	struct ml_pod_problem *p;

	if (!json_object_is_type(pod, json_type_object))
		return NULL;
	p = scan(pod, "status.initContainerStatuses", "spec.initContainers",
		 cprofile, offline);
	if (!p)
		p = scan(pod, "status.containerStatuses", "spec.containers",
			 cprofile, offline);
	return p;
}

struct ml_pod_problem *
ml_pod_problem_free(struct ml_pod_problem *p)
{
	if (!p)
		return NULL;
	free(p->ns);
	free(p->name);
	free(p->reason);
	free(p->image);
	free(p->hint);
	free(p);
	return NULL;
}

int
ml_pod_hints_list(struct json_object *list, const char *profile, bool offline,
		  struct ml_pod_problem ***ret, size_t *ret_n)
{
	struct json_object *items = NULL;
	struct ml_pod_problem **v = NULL;
	size_t n = 0, len;

	if (json_object_is_type(list, json_type_object) &&
	    json_object_object_get_ex(list, "items", &items) && items &&
	    !json_object_is_type(items, json_type_array))
		return ml_err(-EBADMSG,
			      "the pod list's items are not an array");
	len = items ? json_object_array_length(items) : 0;
	for (size_t i = 0; i < len; i++) {
		struct ml_pod_problem *p =
			ml_pod_hint(json_object_array_get_idx(items, i),
				    profile, offline);

		if (!p)
			continue;
		v = ml_xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = p;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

void
ml_pod_problems_free(struct ml_pod_problem **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		ml_pod_problem_free(v[i]);
	free(v);
}

char *
ml_pod_problem_line(const struct ml_pod_problem *p)
{
	return ml_xasprintf("pod %s/%s: %s (%s): %s", p->ns, p->name, p->reason,
			    p->image, p->hint);
}

struct json_object *
ml_pod_problem_json(const struct ml_pod_problem *p)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "namespace", json_object_new_string(p->ns));
	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "reason", json_object_new_string(p->reason));
	json_object_object_add(o, "image", json_object_new_string(p->image));
	json_object_object_add(o, "hint", json_object_new_string(p->hint));
	return o;
}
