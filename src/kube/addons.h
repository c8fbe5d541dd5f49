/*
 * kube/addons.h: the addon catalogue (docs/addons.md) and what enabling
 * and disabling one does to a cluster.
 *
 * An addon is a directory NAME holding addon.yaml and the manifests it
 * lists:
 *
 *   name: default-storageclass      must equal the directory's name
 *   description: One line for `addons list`
 *   default: true                   on for a profile that never chose
 *   images: [minilaunch/x:${MINILAUNCH_VERSION}]   what the node must hold
 *   manifests: [storageclass.yaml]  applied in this order
 *   variables: [MINILAUNCH_VERSION] every ${VAR} the manifests and images use
 *
 * The catalogue is the installed (or, for a build run from its tree, the
 * source tree's) addons directory, then the user's HOME/addons, whose
 * NAME replaces or adds the addon of that name (base/paths.h). Reading it
 * checks everything an apply would trip on, so that an error names the
 * file and line at once, never halfway through a start: unknown or
 * missing keys, a name that is not the directory's, a missing manifest,
 * a ${VAR} outside the known set or not listed, YAML or a kind that
 * kube/manifest.h refuses, and an object without both labels
 * "app.kubernetes.io/managed-by: minilaunch" and "minilaunch.io/addon:
 * NAME", by which disabling finds what to delete. "$${" is a literal "${".
 */
#ifndef ML_ADDONS_H
#define ML_ADDONS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct ml_k8s;
struct ml_manifest;

#define ML_ADDON_LABEL_MANAGED "app.kubernetes.io/managed-by"
#define ML_ADDON_LABEL_NAME "minilaunch.io/addon"

/* The variables an addon may use, in the order messages list them. */
enum ml_addon_var {
	ML_ADDON_VAR_PROFILE,		 /* the profile's name */
	ML_ADDON_VAR_NODE_NAME,		 /* the node's (the profile's) name */
	ML_ADDON_VAR_NODE_IP,		 /* the node's address in the VM */
	ML_ADDON_VAR_KUBERNETES_VERSION, /* "v1.20.2" */
	ML_ADDON_VAR_MINILAUNCH_VERSION, /* PACKAGE_VERSION: the tag of the
					  * node image's own images */
	ML_ADDON_VAR_DATA_DIR,		 /* on the node's persistent disk */
	ML_ADDON_NVARS
};

extern const char *const ml_addon_var_names[ML_ADDON_NVARS];

/* Their values; strings borrowed. */
struct ml_addon_vars {
	const char *v[ML_ADDON_NVARS];
};

/*
 * Fills v for profile (also the node's name), node_ip and
 * kubernetes_version (NULL: ML_KUBERNETES_VERSION_FALLBACK); MINILAUNCH_VERSION
 * is PACKAGE_VERSION and DATA_DIR /var/lib/minilaunch.
 */
void ml_addon_vars_init(struct ml_addon_vars *v, const char *profile,
			const char *node_ip, const char *kubernetes_version);

/* One addon of the catalogue, substituted with the vars it was read with;
 * all owned by the catalogue. */
struct ml_addon {
	char *name;
	char *description;
	char *dir;	       /* the directory it was read from */
	bool def;	       /* on for a profile that never chose */
	bool user;	       /* from the user's directory */
	char **images;	       /* substituted, NULL-terminated */
	char **manifests;      /* file names as listed, NULL-terminated */
	char **texts;	       /* each manifest substituted, same order */
	struct ml_manifest *m; /* every document of every manifest, in order */
};

struct ml_addons {
	struct ml_addon *v; /* sorted by name */
	size_t n;
};

/*
 * Reads the addons of each directory of dirs (ndirs of them; a later
 * directory's NAME replaces an earlier one's; a directory that does not
 * exist is empty), substituting vars. Entries that are not directories are
 * skipped. Fails with -EINVAL at the first broken addon, the message
 * "FILE:LINE: PROBLEM" with the fix (or "DIR: ..." for a directory
 * without addon.yaml or whose name is not [a-z0-9-]), or -errno naming an
 * unreadable file. user_from is the index of the first directory that is
 * the user's (for ml_addon.user; ndirs: none). *ret: ml_addons_free().
 */
int ml_addons_load(const char *const *dirs, size_t ndirs, size_t user_from,
		   const struct ml_addon_vars *vars, struct ml_addons **ret);
struct ml_addons *ml_addons_free(struct ml_addons *a);

/*
 * The catalogue minilaunch reads: ml_paths_addons_catalogue() then HOME/
 * addons, as ml_addons_load() does.
 */
int ml_addons_load_home(const char *home, const struct ml_addon_vars *vars,
			struct ml_addons **ret);

/*
 * ml_addons_load_home() for profile (p: its settings, or NULL when it does
 * not exist yet): the variables are the profile's name, node_ip and the
 * Kubernetes version its state records (else its setting, else the
 * fallback).
 */
struct ml_profile;
int ml_addons_load_profile(const char *home, const char *profile,
			   const struct ml_profile *p, const char *node_ip,
			   struct ml_addons **ret);

/*
 * The addon called name (borrowed), else -ENOENT with "unknown addon
 * 'NAME' (known: a, b, c)".
 */
int ml_addons_get(const struct ml_addons *cat, const char *name,
		  const struct ml_addon **ret);

/*
 * Whether a is on for a profile whose `addons` setting is choices (a comma
 * list of NAME=on|off, or NULL): the last choice naming a, else a->def.
 */
bool ml_addon_enabled(const struct ml_addon *a, const char *choices);

/*
 * choices with NAME's choice set to on (or off), replacing any earlier one
 * and keeping the others in order. Caller frees.
 */
char *ml_addons_choose(const char *choices, const char *name, bool on);

/* The label selector of a's objects on the cluster. Caller frees. */
char *ml_addon_selector(const char *name);

/* What enabling does beyond applying. */
struct ml_addon_opts {
	bool wait;	      /* wait until its workloads are ready */
	time_t deadline;      /* of every retry and the wait */
	time_t started_after; /* with wait: pods started at or after this
			       * (0: any; see kube/workload.h) */
};

/*
 * Applies a's manifests with server-side apply (again while the server
 * fails in a transient way, until o->deadline; a failure is the API's
 * message after "addon 'NAME': ") and, with o->wait, waits
 * for each of its Deployments, DaemonSets and StatefulSets in turn
 * (kube/workload.h: -ETIMEDOUT naming the workload and what its pod is
 * doing, -ENOENT naming an image the node does not hold). Idempotent.
 */
int ml_addon_enable(struct ml_k8s *c, const struct ml_addon *a,
		    const struct ml_addon_opts *o);

/*
 * Deletes every object labelled as a's (ml_addon_selector()) in the
 * collections of a's manifests, and nothing else; none there is not an
 * error. *ret_deleted (may be NULL) counts them.
 */
int ml_addon_disable(struct ml_k8s *c, const struct ml_addon *a,
		     time_t deadline, int *ret_deleted);

#endif
