/*
 * kube/pod_hints.h: what a pod stuck on its image means for a minilaunch
 * user, and the fix, read from the Pod object alone (no request is made).
 * `status` lists the pods with a hint; the dashboard shows the selected
 * pod's.
 *
 * The hints (docs/networking.md):
 * - ErrImagePull or ImagePullBackOff on an offline profile: "this profile
 *   is offline: minilaunch stop && minilaunch start --network=online"
 *   (with "-p PROFILE" after each "minilaunch" for a profile other than
 *   the default). Online, a pull error has no hint here: the kubelet's own
 *   message says what the registry answered.
 * - ErrImageNeverPull (imagePullPolicy Never, image absent), online or
 *   not: "image IMAGE is not in the Docker daemon of node 'PROFILE': build
 *   or pull it there after eval $(minilaunch -p PROFILE docker-env)".
 *
 * Every reader type-checks what it reads: a missing, null or wrong-typed
 * field counts as absent; no JSON crashes them. Strings taken from the
 * object have their control characters replaced by '?', since they end
 * on a terminal.
 */
#ifndef ML_POD_HINTS_H
#define ML_POD_HINTS_H

#include <stdbool.h>
#include <stddef.h>

struct json_object;

/* One pod with a hint; every string owned. */
struct ml_pod_problem {
	char *ns;     /* metadata.namespace, "default" when absent */
	char *name;   /* metadata.name, "?" when absent */
	char *reason; /* the waiting reason, e.g. "ErrImagePull" */
	char *image;  /* the container's image, "?" when absent */
	char *hint;
};

/*
 * The hint for pod (a Pod), from the first container (init containers
 * first, in the order of the status) waiting with one of the reasons
 * above; the image is the container's spec image, else its status image.
 * profile: the profile's name (its node's name). Returns a new problem
 * (free with ml_pod_problem_free()) or NULL when the pod has no hint.
 */
struct ml_pod_problem *ml_pod_hint(struct json_object *pod, const char *profile,
				   bool offline);
struct ml_pod_problem *ml_pod_problem_free(struct ml_pod_problem *p);

/*
 * The problems of a PodList's items, in the list's order. *ret_n may be
 * 0; *ret: caller frees with ml_pod_problems_free() (NULL when 0).
 * Returns 0, or -EBADMSG ("the pod list's items are not an array") when
 * items is present and not an array.
 */
int ml_pod_hints_list(struct json_object *list, const char *profile,
		      bool offline, struct ml_pod_problem ***ret,
		      size_t *ret_n);
void ml_pod_problems_free(struct ml_pod_problem **v, size_t n);

/*
 * The one-line form `status` and the dashboard print: "pod NS/NAME: REASON
 * (IMAGE): HINT". Caller frees.
 */
char *ml_pod_problem_line(const struct ml_pod_problem *p);

/* The JSON form of `status -o json`'s "pods" entries: {namespace, name,
 * reason, image, hint}. Caller puts. */
struct json_object *ml_pod_problem_json(const struct ml_pod_problem *p);

#endif
