/*
 * guest/provisioner.h: the decisions of ml-storage-provisioner, the
 * dynamic hostPath provisioner of the storage-provisioner addon
 * (docs/storage.md), apart from its I/O with the API server so that they
 * can be tested alone.
 *
 * A claim is ours when it is Pending, has no volumeName, is not being
 * deleted, and asks for the class "standard" (or names no class at all
 * while "standard" is the default class). Its volume is the
 * PersistentVolume "pvc-UID": hostPath ROOT/NAMESPACE/CLAIM, the claim's
 * request and access modes, pre-bound to the claim by claimRef, so that
 * the controller manager's binder binds the two. A volume is ours when it
 * carries the annotation pv.kubernetes.io/provisioned-by:
 * minilaunch.io/hostpath; once Released, policy Delete removes its
 * directory and the volume, Retain keeps both.
 *
 * Paths: only ROOT/NAMESPACE/CLAIM with NAMESPACE and CLAIM valid
 * Kubernetes names (DNS-1123 subdomains, so never "." or ".." and never a
 * '/') is ever made or removed, and both walk from ROOT without following
 * a symbolic link: a link planted in the tree is removed as a link, never
 * followed out of ROOT.
 */
#ifndef ML_PROVISIONER_H
#define ML_PROVISIONER_H

#include <json-c/json.h>
#include <stdbool.h>

#define ML_PROV_NAME "minilaunch.io/hostpath"
#define ML_PROV_CLASS "standard"
#define ML_PROV_ROOT "/var/lib/minilaunch/hostpath"

/* The annotation that marks a volume as made by a provisioner. */
#define ML_PROV_ANN_BY "pv.kubernetes.io/provisioned-by"

/*
 * Whether claim (a PersistentVolumeClaim) is one to provision, as above.
 * standard_is_default: the class "standard" carries the annotation
 * storageclass.kubernetes.io/is-default-class "true". Pure.
 */
bool ml_prov_wants_claim(struct json_object *claim, bool standard_is_default);

/*
 * Whether class (the StorageClass "standard", or NULL while there is none)
 * leaves its claims to us: its provisioner is minilaunch.io/hostpath. A
 * user who remade "standard" for another provisioner gets no volume of
 * ours for its claims.
 */
bool ml_prov_class_is_ours(struct json_object *class);

/* Whether class (a StorageClass) is marked the default class. */
bool ml_prov_class_is_default(struct json_object *class);

/*
 * The reclaim policy a class gives its volumes: its reclaimPolicy, or
 * "Delete" (the API's default) for a class without one or for NULL.
 * Borrowed from class, or static.
 */
const char *ml_prov_class_reclaim_policy(struct json_object *class);

/* "pvc-UID" for claim, or NULL without a uid. Caller frees. */
char *ml_prov_volume_name(struct json_object *claim);

/*
 * ROOT/NAMESPACE/CLAIM for claim. -EINVAL (message set, naming the claim)
 * when its namespace or name is missing or not a valid name. *ret: caller
 * frees.
 */
int ml_prov_claim_path(const char *root, struct json_object *claim, char **ret);

/*
 * The PersistentVolume for claim, as above: reclaim policy policy (from
 * ml_prov_class_reclaim_policy()), storageClassName the claim's own ("" for
 * a claim that names none, so that the binder pairs the two), labels
 * app.kubernetes.io/managed-by: minilaunch, the provisioned-by annotation.
 * -EINVAL (message set) for a claim without uid, namespace, name or
 * storage request, or with volumeMode Block (a directory is no block
 * device). *ret: caller puts.
 */
int ml_prov_volume_for_claim(struct json_object *claim, const char *root,
			     const char *policy, struct json_object **ret);

/* Whether volume (a PersistentVolume) was made by this provisioner. */
bool ml_prov_owns_volume(struct json_object *volume);

enum ml_prov_release {
	ML_PROV_KEEP,	/* not ours, not Released, or being deleted */
	ML_PROV_DELETE, /* ours, Released, policy Delete: remove it */
	ML_PROV_RETAIN, /* ours, Released, policy Retain (or Recycle) */
};

/* What to do with volume now. Pure. */
enum ml_prov_release ml_prov_release_action(struct json_object *volume);

/*
 * The directory of volume (spec.hostPath.path), checked to be exactly
 * ROOT/NAMESPACE/CLAIM for valid names: -EPERM (message set, naming the
 * volume and the path) for anything else, such as a path outside ROOT,
 * one with "..", or one of another depth. *ret_ns and *ret_name (may be
 * NULL): the two components. Callers free all three.
 */
int ml_prov_volume_dir(struct json_object *volume, const char *root,
		       char **ret_path, char **ret_ns, char **ret_name);

/*
 * Makes ROOT/ns/name (and ROOT/ns) mode 0777 whatever the umask, so that a
 * pod running as any user can write; existing directories are kept (and
 * made 0777). ROOT must exist. Fails with -ELOOP (message set) when ns or
 * name is a symbolic link, -EINVAL for an invalid name, -errno otherwise.
 */
int ml_prov_make_dir(const char *root, const char *ns, const char *name);

/*
 * Removes ROOT/ns/name and everything under it without following any
 * symbolic link (links are unlinked), then ROOT/ns if that is left empty.
 * A missing directory is not an error. -ELOOP (message set) when ns or
 * name is itself a symbolic link (nothing is removed), -EINVAL for an
 * invalid name, -errno otherwise.
 */
int ml_prov_remove_dir(const char *root, const char *ns, const char *name);

/* Whether s is a valid Kubernetes object name (DNS-1123 subdomain). */
bool ml_prov_valid_name(const char *s);

#endif
