/*
 * kube/manifest.h: Kubernetes manifests, multi-document YAML as kubectl takes
 * it, applied through the API without kubectl.
 *
 * A manifest is split with libyaml into its documents; each keeps its own
 * text (cut out of the source by the parser's marks, comments and all),
 * which is what server-side apply receives, so the API server's YAML
 * reading is the only one that matters. Of each document only apiVersion,
 * kind, metadata.name, metadata.namespace and metadata.labels are read
 * here, to find its REST path from a small table of the kinds minilaunch's
 * own manifests and the addons use, and whose it is. Empty documents (only
 * comments, or a bare "---") are skipped.
 */
#ifndef ML_MANIFEST_H
#define ML_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

struct ml_k8s;

/* One object of a manifest; every string owned by the manifest. */
struct ml_manifest_doc {
	char *text;	   /* the document's own YAML text */
	int line;	   /* 1-based line of its first node in the source */
	char *api_version; /* "v1", "apps/v1", ... */
	char *kind;
	char *name;
	char *namespace;    /* metadata.namespace, or NULL when absent */
	const char *plural; /* the resource ("deployments"); static */
	bool namespaced;    /* false for cluster-scoped kinds */
	char **labels;	    /* metadata.labels with scalar values: key,
			     * value, ..., NULL; or NULL when none */
};

struct ml_manifest {
	char *source; /* the file name used in messages */
	struct ml_manifest_doc *docs;
	size_t n;
};

/*
 * Splits text (len bytes, NUL not needed) into documents. source names the
 * text in messages ("/minilaunch/dns.yaml"). Fails with -EINVAL naming
 * source and line for YAML the parser rejects ("SOURCE:LINE: invalid
 * YAML: ..."), a document that is not a mapping, one without apiVersion,
 * kind or metadata.name, and a kind outside the table ("SOURCE:LINE:
 * unknown kind 'K' (apiVersion 'V')"). *ret: free with ml_manifest_free().
 */
int ml_manifest_parse(const char *source, const char *text, size_t len,
		      struct ml_manifest **ret);
struct ml_manifest *ml_manifest_free(struct ml_manifest *m);

/* The value of d's label key as written in the document, or NULL.
 * Borrowed. */
const char *ml_manifest_doc_label(const struct ml_manifest_doc *d,
				  const char *key);

/*
 * The resource of kind in api_version: its plural and whether it is
 * namespaced. Returns 0, or -ENOENT (no message) for a kind the table
 * lacks; either pointer may be NULL.
 */
int ml_manifest_resource(const char *api_version, const char *kind,
			 const char **ret_plural, bool *ret_namespaced);

/*
 * The REST path of d: with object, of the object itself
 * ("/apis/apps/v1/namespaces/kube-system/deployments/web"), else of its
 * collection ("/api/v1/namespaces/kube-system/services",
 * "/apis/rbac.authorization.k8s.io/v1/clusterroles"). A namespaced object
 * without metadata.namespace goes to "default", as with kubectl. Caller
 * frees.
 */
char *ml_manifest_path(const struct ml_manifest_doc *d, bool object);

/*
 * Applies every document in order with server-side apply (field manager
 * minilaunch, forced). Stops at the first failure, whose message is the
 * API's (it names the object's path).
 */
int ml_manifest_apply(struct ml_k8s *c, const struct ml_manifest *m);

/*
 * Deletes the objects matching the label selector (such as
 * "app.kubernetes.io/managed-by=minilaunch") in every collection the
 * manifest's documents live in, last document's kind first, with
 * propagationPolicy Background (a Deployment takes its pods along). Objects
 * already gone and collections the server does not serve are not errors.
 * *ret_deleted (may be NULL) counts the objects deleted.
 */
int ml_manifest_delete_by_label(struct ml_k8s *c, const struct ml_manifest *m,
				const char *selector, int *ret_deleted);

#endif
