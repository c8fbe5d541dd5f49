/*
 * kube/cluster_dns.h: the cluster's DNS service (docs/dns.md), kept as the
 * profile says at every start.
 *
 * The node image carries the manifest (/minilaunch/dns.yaml on the ISO:
 * ServiceAccount, RBAC, Deployment ml-dns labelled k8s-app=kube-dns,
 * Service kube-dns at 10.96.0.10) with the tag of the DNS image it also
 * carries, so that a manifest always matches an image the node has. On,
 * it is applied with server-side apply, which re-creates whatever was
 * deleted and puts back whatever was changed; off, every object carrying
 * ML_CLUSTER_DNS_SELECTOR is deleted.
 */
#ifndef ML_CLUSTER_DNS_H
#define ML_CLUSTER_DNS_H

#include <stdbool.h>
#include <time.h>

struct ml_k8s;

/* The labels every object of the manifest carries. */
#define ML_CLUSTER_DNS_SELECTOR \
	"app.kubernetes.io/managed-by=minilaunch,app.kubernetes.io/part-of=cluster-dns"
/* Where the manifest is on the node image. */
#define ML_CLUSTER_DNS_MANIFEST "minilaunch/dns.yaml"

/* What to do. */
struct ml_cluster_dns_opts {
	bool enabled;	      /* apply, or delete */
	bool wait;	      /* wait until it serves */
	time_t deadline;      /* for every retry and the wait */
	time_t started_after; /* with wait, the pod must have started at or
			       * after this (0: any); the VM's boot, because
			       * the statuses in the API outlive a reboot */
};

/*
 * Through c: with o->enabled, parses manifest (text named source in
 * messages), applies it and, with o->wait, polls its Deployment every
 * second until it has an available replica of its current generation and
 * a pod with every container ready and started at or after
 * o->started_after, or until o->deadline (-ETIMEDOUT, the message saying
 * what its pod is doing; a pod whose image is not on the node fails at
 * once with -ENOENT; see kube/workload.h). Without o->enabled, deletes the
 * objects of ML_CLUSTER_DNS_SELECTOR in the manifest's collections and does not
 * wait. Failures a busy API server gives for a while (-ETIMEDOUT, -EAGAIN,
 * -EIO, -ECONNREFUSED, -ECONNRESET) are tried again every 2 s until the
 * deadline.
 */
int ml_cluster_dns_apply(struct ml_k8s *c, const char *source,
			 const char *manifest,
			 const struct ml_cluster_dns_opts *o);

/*
 * The step of `start`: runs ml_cluster_dns_apply() with manifest (the
 * caller read ML_CLUSTER_DNS_MANIFEST out of the node image; source names
 * it in messages) against the profile's API server (127.0.0.1:
 * apiserver_port, as the profile's admin, 60 s per request: a node under
 * emulation is slow to answer).
 */
int ml_cluster_dns_ensure(const char *home, const char *profile,
			  int apiserver_port, const char *source,
			  const char *manifest,
			  const struct ml_cluster_dns_opts *o);

#endif
