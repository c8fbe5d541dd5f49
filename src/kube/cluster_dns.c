/* kube/cluster_dns.c: the cluster DNS manifest applied, awaited or deleted. */
#include "config.h"

#include "kube/cluster_dns.h"

#include "base/log.h"
#include "base/progress.h"
#include "base/util.h"
#include "kube/cluster.h"
#include "kube/k8s.h"
#include "kube/manifest.h"
#include "kube/workload.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
		       ml_workload_transient(r) && time(NULL) < o->deadline) {
			ml_progress_tick("(%s; trying again)", ml_err_msg());
			sleep(2);
		}
		if (r >= 0)
			ml_log_debug("deleted %d objects of %s", deleted,
				     source);
		goto out;
	}
	r = ml_workload_apply(c, m, o->deadline);
	if (r < 0 || !o->wait)
		goto out;
	for (size_t i = 0; i < m->n && !dep; i++)
		if (strcmp(m->docs[i].kind, "Deployment") == 0)
			dep = &m->docs[i];
	if (dep)
		r = ml_workload_wait(c, dep, "cluster DNS", o->started_after,
				     o->deadline);
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
