/*
 * kube/workload.h: applying a manifest while the API server settles, and
 * waiting until its workloads (Deployment, DaemonSet, StatefulSet) are
 * ready, for the cluster DNS (kube/cluster_dns.h) and the addons
 * (kube/addons.h) alike.
 *
 * Ready means: the controller has seen the object's current generation,
 * its status counts enough ready replicas (a Deployment's
 * availableReplicas, a StatefulSet's readyReplicas, at least spec.replicas;
 * a DaemonSet's numberAvailable, at least desiredNumberScheduled and one),
 * and, unless it asks for no replica, one of its pods has every container
 * ready and started at or after started_after: after a reboot the
 * statuses kept in the API still say "available" until the kubelet reports
 * the restarted pods.
 */
#ifndef ML_WORKLOAD_H
#define ML_WORKLOAD_H

#include <stdbool.h>
#include <time.h>

struct json_object;
struct ml_k8s;
struct ml_manifest;
struct ml_manifest_doc;

/* Failures a busy API server gives for a while and then no more
 * (-ETIMEDOUT, -EAGAIN, -EIO, -ECONNREFUSED, -ECONNRESET). */
bool ml_workload_transient(int r);

/* Whether kind is one the wait knows (Deployment, DaemonSet, StatefulSet). */
bool ml_workload_kind(const char *kind);

/*
 * ml_manifest_apply(), again every 2 s while it fails in a transient way
 * and deadline allows: right after its start, a server under emulation
 * may take longer than a request's timeout to answer the first writes.
 * Applying is idempotent, so the whole manifest is sent again.
 */
int ml_workload_apply(struct ml_k8s *c, const struct ml_manifest *m,
		      time_t deadline);

/*
 * Polls the workload d (one of ml_workload_kind()) every second until it
 * is ready (0). what names its owner in messages ("cluster DNS", "addon
 * 'registry'"). A pod waiting for an image the node does not hold
 * (ErrImageNeverPull, InvalidImageName) fails at once with -ENOENT, "WHAT
 * cannot start (deployment NS/NAME, pod P: ErrImageNeverPull): the node
 * does not hold the image 'IMAGE'; ...". At deadline: -ETIMEDOUT, "WHAT not
 * available after N s (deployment NS/NAME, pod P: STATE)". Transient
 * failures are tried again until the deadline.
 */
int ml_workload_wait(struct ml_k8s *c, const struct ml_manifest_doc *d,
		     const char *what, time_t started_after, time_t deadline);

/*
 * The readers behind the wait, on documents already fetched (exposed for
 * tests and fuzzing); a field missing or of the wrong type counts as
 * absent, and no JSON crashes them.
 *
 * ml_workload_selector(): a workload's spec.selector.matchLabels as the
 * value of a labelSelector query ("k%3Dv%2Ck2%3Dv2"), NULL when it is not
 * an object or has no string label. Caller frees.
 *
 * ml_workload_read_status(): whether obj (a workload of kind) counts
 * enough ready replicas of its current generation, as above; *ret_replicas
 * (may be NULL) the replicas it asks for (1 when absent).
 *
 * ml_workload_read_pods(): what the pods of list (a PodList) are doing,
 * into *ret (ml_workload_pods_clear() frees its strings): the state of the
 * first pod, or of the first that cannot start.
 */
struct ml_workload_pods {
	char *state; /* "pod ml-dns-x: ContainerCreating", or NULL: no pod */
	char *image; /* with fatal, the image the node lacks (or NULL) */
	bool fatal;  /* a container waits for an image the node lacks, which
		      * no waiting mends */
	bool fresh;  /* a pod has every container ready and started at or
		      * after started_after */
};

char *ml_workload_selector(struct json_object *match_labels);
bool ml_workload_read_status(const char *kind, struct json_object *obj,
			     long *ret_replicas);
void ml_workload_read_pods(struct json_object *list, time_t started_after,
			   struct ml_workload_pods *ret);
void ml_workload_pods_clear(struct ml_workload_pods *p);

#endif
