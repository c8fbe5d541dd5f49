/*
 * guest/provisioner.c: the decisions of ml-storage-provisioner
 * (provisioner.h).
 */
#include "config.h"

#include "guest/provisioner.h"

#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ANN_DEFAULT_CLASS "storageclass.kubernetes.io/is-default-class"

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool
ml_prov_valid_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 253 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '.')
			return false;
	/* No empty label: "a..b" is not a DNS name. */
	return strstr(s, "..") == NULL;
}

bool
ml_prov_class_is_ours(struct json_object *class)
{
	const char *p = ml_json_key_str(class, "provisioner");

	return !class || (p && strcmp(p, ML_PROV_NAME) == 0);
}

bool
ml_prov_class_is_default(struct json_object *class)
{
	const char *v =
		ml_json_key_str(ml_json_key(ml_json_key(class, "metadata"),
					    "annotations"),
				ANN_DEFAULT_CLASS);

	return v && strcmp(v, "true") == 0;
}

const char *
ml_prov_class_reclaim_policy(struct json_object *class)
{
	const char *p = ml_json_key_str(class, "reclaimPolicy");

	return p && *p ? p : "Delete";
}

bool
ml_prov_wants_claim(struct json_object *claim, bool standard_is_default)
{
	struct json_object *spec = ml_json_key(claim, "spec");
	struct json_object *meta = ml_json_key(claim, "metadata");
	struct json_object *cls = ml_json_key(spec, "storageClassName");
	const char *phase =
		ml_json_key_str(ml_json_key(claim, "status"), "phase");
	const char *vol = ml_json_key_str(spec, "volumeName");

	if (!spec || ml_json_key(meta, "deletionTimestamp"))
		return false;
	if (phase && strcmp(phase, "Pending") != 0)
		return false;
	if (vol && *vol)
		return false;
	/*
	 * No class at all falls to the default class; an explicit "" asks
	 * for a volume with no class, which is never provisioned (the
	 * Kubernetes rule).
	 */
	if (!cls || json_object_is_type(cls, json_type_null))
		return standard_is_default;
	return json_object_is_type(cls, json_type_string) &&
	       strcmp(json_object_get_string(cls), ML_PROV_CLASS) == 0;
}

char *
ml_prov_volume_name(struct json_object *claim)
{
	const char *uid =
		ml_json_key_str(ml_json_key(claim, "metadata"), "uid");

	return uid && *uid ? ml_xasprintf("pvc-%s", uid) : NULL;
}

int
ml_prov_claim_path(const char *root, struct json_object *claim, char **ret)
{
	struct json_object *meta = ml_json_key(claim, "metadata");
	const char *ns = ml_json_key_str(meta, "namespace"),
		   *name = ml_json_key_str(meta, "name");

	if (!ml_prov_valid_name(ns) || !ml_prov_valid_name(name))
		return ml_err(-EINVAL,
			      "claim '%s/%s' has no valid namespace "
			      "and name",
			      ns ? ns : "", name ? name : "");
	*ret = ml_xasprintf("%s/%s/%s", root, ns, name);
	return 0;
}

static struct json_object *
jstring(const char *s)
{
	return json_object_new_string(s);
}

int
ml_prov_volume_for_claim(struct json_object *claim, const char *root,
			 const char *policy, struct json_object **ret)
{
	struct json_object *meta = ml_json_key(claim, "metadata");
	struct json_object *spec = ml_json_key(claim, "spec");
	struct json_object *modes = ml_json_key(spec, "accessModes");
	const char *ns = ml_json_key_str(meta, "namespace"),
		   *name = ml_json_key_str(meta, "name");
	const char *uid = ml_json_key_str(meta, "uid");
	const char *size =
		ml_json_key_str(ml_json_key(ml_json_key(spec, "resources"),
					    "requests"),
				"storage");
	const char *mode = ml_json_key_str(spec, "volumeMode");
	const char *cls = ml_json_key_str(spec, "storageClassName");
	ml_autofree char *path = NULL, *pvname = NULL;
	struct json_object *pv, *m, *s, *o;
	int r;

	r = ml_prov_claim_path(root, claim, &path);
	if (r < 0)
		return r;
	if (!uid || !*uid)
		return ml_err(-EINVAL, "claim '%s/%s' has no uid", ns, name);
	if (!size || !*size)
		return ml_err(-EINVAL,
			      "claim '%s/%s' requests no storage "
			      "(spec.resources.requests.storage)",
			      ns, name);
	if (mode && strcmp(mode, "Filesystem") != 0)
		return ml_err(-EINVAL,
			      "claim '%s/%s' asks for volumeMode %s: a hostPath "
			      "volume is a directory (Filesystem)",
			      ns, name, mode);
	pvname = ml_prov_volume_name(claim);

	pv = json_object_new_object();
	json_object_object_add(pv, "apiVersion", jstring("v1"));
	json_object_object_add(pv, "kind", jstring("PersistentVolume"));
	m = json_object_new_object();
	json_object_object_add(m, "name", jstring(pvname));
	o = json_object_new_object();
	json_object_object_add(o, "app.kubernetes.io/managed-by",
			       jstring("minilaunch"));
	json_object_object_add(m, "labels", o);
	o = json_object_new_object();
	json_object_object_add(o, ML_PROV_ANN_BY, jstring(ML_PROV_NAME));
	json_object_object_add(m, "annotations", o);
	json_object_object_add(pv, "metadata", m);

	s = json_object_new_object();
	o = json_object_new_object();
	json_object_object_add(o, "storage", jstring(size));
	json_object_object_add(s, "capacity", o);
	if (modes && json_object_is_type(modes, json_type_array) &&
	    json_object_array_length(modes) > 0) {
		json_object_object_add(s, "accessModes",
				       json_object_get(modes));
	} else {
		o = json_object_new_array();
		json_object_array_add(o, jstring("ReadWriteOnce"));
		json_object_object_add(s, "accessModes", o);
	}
	json_object_object_add(s, "persistentVolumeReclaimPolicy",
			       jstring(policy ? policy : "Delete"));
	json_object_object_add(s, "storageClassName", jstring(cls ? cls : ""));
	json_object_object_add(s, "volumeMode", jstring("Filesystem"));
	o = json_object_new_object();
	json_object_object_add(o, "apiVersion", jstring("v1"));
	json_object_object_add(o, "kind", jstring("PersistentVolumeClaim"));
	json_object_object_add(o, "namespace", jstring(ns));
	json_object_object_add(o, "name", jstring(name));
	json_object_object_add(o, "uid", jstring(uid));
	json_object_object_add(s, "claimRef", o);
	o = json_object_new_object();
	json_object_object_add(o, "path", jstring(path));
	json_object_object_add(s, "hostPath", o);
	json_object_object_add(pv, "spec", s);
	*ret = pv;
	return 0;
}

bool
ml_prov_owns_volume(struct json_object *volume)
{
	const char *by =
		ml_json_key_str(ml_json_key(ml_json_key(volume, "metadata"),
					    "annotations"),
				ML_PROV_ANN_BY);

	return by && strcmp(by, ML_PROV_NAME) == 0;
}

enum ml_prov_release
ml_prov_release_action(struct json_object *volume)
{
	const char *phase =
		ml_json_key_str(ml_json_key(volume, "status"), "phase");
	const char *policy = ml_json_key_str(ml_json_key(volume, "spec"),
					     "persistentVolumeReclaimPolicy");

	if (!ml_prov_owns_volume(volume) ||
	    ml_json_key(ml_json_key(volume, "metadata"), "deletionTimestamp") ||
	    !phase || strcmp(phase, "Released") != 0)
		return ML_PROV_KEEP;
	/* The API defaults a volume's policy to Retain. */
	return policy && strcmp(policy, "Delete") == 0 ? ML_PROV_DELETE
						       : ML_PROV_RETAIN;
}

int
ml_prov_volume_dir(struct json_object *volume, const char *root,
		   char **ret_path, char **ret_ns, char **ret_name)
{
	const char *vname =
		ml_json_key_str(ml_json_key(volume, "metadata"), "name");
	const char *path =
		ml_json_key_str(ml_json_key(ml_json_key(volume, "spec"),
					    "hostPath"),
				"path");
	size_t rl = strlen(root);
	ml_autofree char *ns = NULL, *name = NULL;
	const char *rest, *slash;

	if (!vname)
		vname = "";
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (!path || strncmp(path, root, rl) != 0 || path[rl] != '/')
		return ml_err(-EPERM,
			      "volume '%s': path '%s' is not under '%.*s', "
			      "leaving it alone",
			      vname, path ? path : "", (int)rl, root);
	rest = path + rl + 1;
	slash = strchr(rest, '/');
	if (slash) {
		ns = ml_xstrndup(rest, (size_t)(slash - rest));
		name = ml_xstrdup(slash + 1);
	}
	if (!slash || !ml_prov_valid_name(ns) || !ml_prov_valid_name(name))
		return ml_err(-EPERM,
			      "volume '%s': path '%s' is not ROOT/NAMESPACE/"
			      "CLAIM under '%.*s', leaving it alone",
			      vname, path, (int)rl, root);
	*ret_path = ml_xstrdup(path);
	if (ret_ns)
		*ret_ns = ns, ns = NULL;
	if (ret_name)
		*ret_name = name, name = NULL;
	return 0;
}

/* --- the file system ------------------------------------------------------ */

/*
 * Opens directory name in dirfd without following a link; -ELOOP (message
 * set, shown as what) when it is one, -ENOENT (no message) when missing.
 */
static int
open_dir_at(int dirfd, const char *name, const char *what)
{
	struct stat st;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		return ml_err(-errno, "cannot stat '%s': %s", what,
			      strerror(errno));
	}
	if (S_ISLNK(st.st_mode))
		return ml_err(-ELOOP,
			      "'%s' is a symbolic link: refusing to follow it",
			      what);
	if (!S_ISDIR(st.st_mode))
		return ml_err(-ENOTDIR, "'%s' is not a directory", what);
	fd = openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ml_err(-errno, "cannot open '%s': %s", what,
			      strerror(errno));
	return fd;
}

static int
open_root(const char *root)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return ml_err(-errno, "cannot open the root '%s': %s", root,
			      strerror(errno));
	return fd;
}

static int
check_names(const char *ns, const char *name)
{
	if (!ml_prov_valid_name(ns) || !ml_prov_valid_name(name))
		return ml_err(-EINVAL, "'%s/%s' is not a namespace and a name",
			      ns ? ns : "", name ? name : "");
	return 0;
}

/* mkdir name in dirfd (kept if there), then opened without a link. */
static int
make_dir_at(int dirfd, const char *name, mode_t mode, const char *what)
{
	int fd;

	if (mkdirat(dirfd, name, mode) < 0 && errno != EEXIST)
		return ml_err(-errno, "cannot make '%s': %s", what,
			      strerror(errno));
	fd = open_dir_at(dirfd, name, what);
	if (fd == -ENOENT)
		return ml_err(-ENOENT, "'%s' vanished as it was made", what);
	if (fd >= 0 && fchmod(fd, mode) < 0) {
		int e = errno;

		close(fd);
		return ml_err(-e, "cannot chmod '%s': %s", what, strerror(e));
	}
	return fd;
}

int
ml_prov_make_dir(const char *root, const char *ns, const char *name)
{
	ml_autofree char *nsp = NULL, *path = NULL;
	int rfd, nfd, cfd, r;

	r = check_names(ns, name);
	if (r < 0)
		return r;
	nsp = ml_xasprintf("%s/%s", root, ns);
	path = ml_xasprintf("%s/%s", nsp, name);
	rfd = open_root(root);
	if (rfd < 0)
		return rfd;
	nfd = make_dir_at(rfd, ns, 0755, nsp);
	close(rfd);
	if (nfd < 0)
		return nfd;
	/* 0777 as minikube's: the pod's user is anyone. */
	cfd = make_dir_at(nfd, name, 0777, path);
	close(nfd);
	if (cfd < 0)
		return cfd;
	close(cfd);
	return 0;
}

/* Removes name in parent and all below it; links are unlinked, not
 * followed. what names it in messages. */
static int
remove_at(int parent, const char *name, const char *what)
{
	struct stat st;
	struct dirent *de;
	DIR *dir;
	int fd, r = 0;

	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0
				       : ml_err(-errno, "cannot stat '%s': %s",
						what, strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
			return ml_err(-errno, "cannot remove '%s': %s", what,
				      strerror(errno));
		return 0;
	}
	fd = openat(parent, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ml_err(-errno, "cannot open '%s': %s", what,
			      strerror(errno));
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return ml_err(-ENOMEM, "cannot read '%s'", what);
	}
	while (r >= 0 && (de = readdir(dir))) {
		ml_autofree char *sub = NULL;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		sub = ml_xasprintf("%s/%s", what, de->d_name);
		r = remove_at(dirfd(dir), de->d_name, sub);
	}
	closedir(dir);
	if (r < 0)
		return r;
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return ml_err(-errno, "cannot remove '%s': %s", what,
			      strerror(errno));
	return 0;
}

int
ml_prov_remove_dir(const char *root, const char *ns, const char *name)
{
	ml_autofree char *nsp = NULL, *path = NULL;
	struct stat st;
	int rfd, nfd, r;

	r = check_names(ns, name);
	if (r < 0)
		return r;
	nsp = ml_xasprintf("%s/%s", root, ns);
	path = ml_xasprintf("%s/%s", nsp, name);
	rfd = open_root(root);
	if (rfd < 0)
		return rfd;
	nfd = open_dir_at(rfd, ns, nsp);
	if (nfd == -ENOENT) {
		close(rfd);
		return 0;
	}
	if (nfd < 0) {
		close(rfd);
		return nfd;
	}
	if (fstatat(nfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode))
		r = ml_err(-ELOOP,
			   "'%s' is a symbolic link: refusing to follow it",
			   path);
	else
		r = remove_at(nfd, name, path);
	close(nfd);
	/*
	 * The namespace's directory goes when it was the last claim; one
	 * still holding others (ENOTEMPTY) stays, and that is no failure.
	 */
	if (r >= 0)
		(void)unlinkat(rfd, ns, AT_REMOVEDIR);
	close(rfd);
	return r;
}
