/*
 * ml-storage-provisioner.c: the dynamic hostPath provisioner of the
 * storage-provisioner addon (docs/storage.md). Runs in the VM as the
 * Deployment storage-provisioner in kube-system, with the node's
 * /var/lib/minilaunch/hostpath mounted at --root. It lists and watches
 * PersistentVolumeClaims, PersistentVolumes and StorageClasses through the
 * k8s client; each claim of class "standard" gets a volume pre-bound to it
 * (the controller manager's binder then binds the pair), and each volume
 * it made that is Released with policy Delete loses its directory and is
 * deleted. What to do is decided in provisioner.h; this file does it.
 *
 * Everything is decided again from what the watches hold after every
 * change, so a restart, a lost watch or a failed call only delays an
 * action: a volume that exists is never made twice, a directory already
 * gone is not an error. One line is logged per action.
 *
 * ML_PROVISIONER_SERVICEACCOUNT_DIR stands in for the service account's
 * directory in tests.
 *
 * Exit status: 0 after SIGTERM or SIGINT, 1 when it cannot start, 64 for
 * a usage error.
 */
#include "config.h"

#include "guest/provisioner.h"

#include "kube/informer.h"
#include "kube/k8s.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXIT_USAGE 64
#define API_TIMEOUT_MS 10000L
#define RETRY_MS 2000
#define IDLE_MS 1000

static const char usage[] =
	"usage: ml-storage-provisioner [flags]\n"
	"\n"
	"The dynamic hostPath provisioner minilaunch.io/hostpath: a claim of\n"
	"class standard gets a volume in ROOT/NAMESPACE/CLAIM. Configuration is\n"
	"in-cluster (the pod's service account) unless --kubeconfig is given.\n"
	"\n"
	"  --root DIR           where volumes live (/var/lib/minilaunch/hostpath)\n"
	"  --kubeconfig FILE    use FILE instead of the in-cluster configuration\n"
	"  --context NAME       context of --kubeconfig (its current one)\n"
	"  -v, --verbose        debug messages\n"
	"  -h, --help           this text\n";

struct flags {
	const char *root, *kubeconfig, *context;
	bool verbose;
};

struct prov;

struct prov {
	struct flags f;
	char *root; /* --root, absolute, no trailing '/' */
	struct ml_k8s *k8s;
	struct ml_store claims, volumes, classes;
	struct ml_store *stores[3];
	struct ml_informer inf;
	/* Volumes whose Retain was said, and failures said, by name: each
	 * once, not at every pass. */
	struct json_object *said;
	bool dirty, stop;
	int64_t retry_at;
	int sigfd;
};

/* --- flags ---------------------------------------------------------------- */

/* Returns 1 when --help was given, 0, or -ML_EUSAGE. */
static int
parse_flags(int argc, char **argv, struct flags *f)
{
	enum { F_ROOT = 1000, F_KUBECONFIG, F_CONTEXT };
	static const struct option lo[] = {
		{ "root", required_argument, NULL, F_ROOT },
		{ "kubeconfig", required_argument, NULL, F_KUBECONFIG },
		{ "context", required_argument, NULL, F_CONTEXT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", lo, NULL)) != -1) {
		switch (c) {
		case F_ROOT:
			f->root = optarg;
			break;
		case F_KUBECONFIG:
			f->kubeconfig = optarg;
			break;
		case F_CONTEXT:
			f->context = optarg;
			break;
		case 'v':
			f->verbose = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		case ':':
			return ml_err(-ML_EUSAGE, "flag '%s' needs a value",
				      argv[optind - 1]);
		default:
			return ml_err(-ML_EUSAGE, "unknown flag '%s'",
				      argv[optind - 1]);
		}
	}
	if (optind < argc)
		return ml_err(-ML_EUSAGE, "unexpected argument '%s'",
			      argv[optind]);
	if (f->root[0] != '/')
		return ml_err(-ML_EUSAGE, "--root '%s' is not an absolute path",
			      f->root);
	if (f->context && !f->kubeconfig)
		return ml_err(-ML_EUSAGE, "--context needs --kubeconfig");
	return 0;
}

/* --- actions -------------------------------------------------------------- */

/* Logs msg for key once (until forget() for that key). */
static void
say_once(struct prov *p, const char *key, enum ml_log_level level,
	 const char *msg)
{
	struct json_object *old = NULL;

	if (json_object_object_get_ex(p->said, key, &old) &&
	    strcmp(json_object_get_string(old), msg) == 0)
		return;
	json_object_object_add(p->said, key, json_object_new_string(msg));
	ml_log(level, "%s", msg);
}

static void
forget(struct prov *p, const char *key)
{
	json_object_object_del(p->said, key);
}

/* Whether some volume already serves claim: pvc-UID, or one bound to its
 * uid by claimRef (a volume made by hand, or by an older us). */
static bool
claim_has_volume(struct prov *p, struct json_object *claim, const char *pvname)
{
	const char *uid = ml_json_str(claim, "metadata.uid");

	if (json_object_object_get_ex(p->volumes.index, pvname, NULL))
		return true;
	json_object_object_foreach(p->volumes.index, k, v)
	{
		const char *ref = ml_json_str(v, "spec.claimRef.uid");

		(void)k;
		if (ref && uid && strcmp(ref, uid) == 0)
			return true;
	}
	return false;
}

static bool
standard_is_default(struct prov *p)
{
	struct json_object *c = NULL;

	json_object_object_get_ex(p->classes.index, ML_PROV_CLASS, &c);
	return c && ml_prov_class_is_default(c);
}

/* Makes the directory and the volume of claim. -errno, message set. */
static int
provision(struct prov *p, const char *key, struct json_object *claim)
{
	struct json_object *class = NULL, *pv = NULL, *made = NULL;
	ml_autofree char *pvname = ml_prov_volume_name(claim);
	const char *policy, *ns, *name;
	int r;

	if (!pvname)
		return ml_err(-EINVAL, "claim '%s' has no uid", key);
	if (claim_has_volume(p, claim, pvname))
		return 0;
	json_object_object_get_ex(p->classes.index, ML_PROV_CLASS, &class);
	policy = ml_prov_class_reclaim_policy(class);
	r = ml_prov_volume_for_claim(claim, p->root, policy, &pv);
	if (r < 0)
		return r;
	ns = ml_json_str(claim, "metadata.namespace");
	name = ml_json_str(claim, "metadata.name");
	r = ml_prov_make_dir(p->root, ns, name);
	if (r >= 0)
		r = ml_k8s_create(p->k8s, "/api/v1/persistentvolumes",
				  json_object_to_json_string(pv), &made);
	if (r == -EEXIST) {
		/* Made by an earlier pass whose answer we never saw. */
		ml_err_clear();
		r = 0;
	} else if (r >= 0) {
		ml_log_info("provisioned %s for claim %s: %s/%s/%s, %s, "
			    "reclaim policy %s",
			    pvname, key, p->root, ns, name,
			    ml_json_str(pv, "spec.capacity.storage"), policy);
		/* Known at once, so that the next pass does not make it
		 * again before the watch tells. */
		json_object_object_add(p->volumes.index, pvname,
				       json_object_get(made ? made : pv));
	}
	json_object_put(made);
	json_object_put(pv);
	return r;
}

/* Removes the directory of a Released volume with policy Delete, then the
 * volume. -errno, message set. */
static int
reclaim(struct prov *p, const char *pvname, struct json_object *volume)
{
	ml_autofree char *path = NULL, *ns = NULL, *name = NULL;
	ml_autofree char *api = NULL;
	int r;

	r = ml_prov_volume_dir(volume, p->root, &path, &ns, &name);
	if (r < 0)
		return r;
	r = ml_prov_remove_dir(p->root, ns, name);
	if (r < 0)
		return r;
	api = ml_xasprintf("/api/v1/persistentvolumes/%s", pvname);
	r = ml_k8s_delete(p->k8s, api, NULL);
	if (r == -ENOENT) {
		ml_err_clear();
		r = 0;
	}
	if (r < 0)
		return r;
	ml_log_info("deleted %s (Released, reclaim policy Delete) and its "
		    "directory %s",
		    pvname, path);
	json_object_object_del(p->volumes.index, pvname);
	return 0;
}

/* One pass over everything the watches hold. */
static void
reconcile(struct prov *p)
{
	struct json_object *class = NULL;
	bool def = standard_is_default(p), ours;
	bool failed = false;
	struct json_object *keys = json_object_new_array();

	p->dirty = false;
	json_object_object_get_ex(p->classes.index, ML_PROV_CLASS, &class);
	ours = ml_prov_class_is_ours(class);
	if (!ours)
		say_once(p, "StorageClass " ML_PROV_CLASS, ML_LOG_WARN,
			 "class " ML_PROV_CLASS " names another provisioner: "
			 "provisioning nothing");
	else
		forget(p, "StorageClass " ML_PROV_CLASS);
	json_object_object_foreach(p->claims.index, ck, claim)
	{
		if (!ours || !ml_prov_wants_claim(claim, def))
			continue;
		if (provision(p, ck, claim) < 0) {
			ml_autofree char *msg = ml_xasprintf(
				"cannot provision claim %s: %s; retrying", ck,
				ml_err_msg());

			say_once(p, ck, ML_LOG_WARN, msg);
			failed = true;
		} else {
			forget(p, ck);
		}
	}
	json_object_object_foreach(p->volumes.index, key, val)
	{
		(void)val;
		json_object_array_add(keys, json_object_new_string(key));
	}
	for (size_t i = 0; i < json_object_array_length(keys); i++) {
		const char *vk = json_object_get_string(
			json_object_array_get_idx(keys, i));
		struct json_object *vol = NULL;
		ml_autofree char *msg = NULL;
		int r;

		json_object_object_get_ex(p->volumes.index, vk, &vol);
		switch (ml_prov_release_action(vol)) {
		case ML_PROV_DELETE:
			json_object_get(vol);
			r = reclaim(p, vk, vol);
			if (r < 0) {
				msg = ml_xasprintf("cannot reclaim %s: %s", vk,
						   ml_err_msg());
				say_once(p, vk, ML_LOG_WARN, msg);
				/* A path refused (-EPERM) or a link (-ELOOP)
				 * stays refused: no retry. */
				failed = failed || (r != -EPERM && r != -ELOOP);
			}
			json_object_put(vol);
			break;
		case ML_PROV_RETAIN:
			msg = ml_xasprintf(
				"kept %s and its directory %s "
				"(Released, reclaim policy %s)",
				vk, ml_json_str(vol, "spec.hostPath.path"),
				ml_json_str(vol,
					    "spec.persistentVolumeReclaimPolicy"));
			say_once(p, vk, ML_LOG_INFO, msg);
			break;
		default:
			break;
		}
	}
	json_object_put(keys);
	ml_err_clear();
	if (failed) {
		p->dirty = true;
		p->retry_at = ml_now_ms() + RETRY_MS;
	}
}

/* --- watches -------------------------------------------------------------- */

static void
on_change(struct ml_store *s, enum ml_store_change change, const char *key,
	  void *ud)
{
	struct prov *p = ud;

	(void)s;
	if (change == ML_STORE_DELETED)
		forget(p, key);
	p->dirty = true;
}

/* --- the loop ------------------------------------------------------------- */

static void
on_signal(struct prov *p)
{
	struct signalfd_siginfo si;

	while (read(p->sigfd, &si, sizeof(si)) == sizeof(si)) {
		ml_log_info("stopping on %s",
			    si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
		p->stop = true;
	}
}

static int
next_timeout(const struct prov *p)
{
	int64_t now = ml_now_ms(), t = now + IDLE_MS;

	if (p->dirty && p->retry_at < t)
		t = p->retry_at;
	if (ml_informer_next_try(&p->inf) < t)
		t = ml_informer_next_try(&p->inf);
	return t > now ? (int)(t - now) : 0;
}

static int
run(struct prov *p)
{
	while (!p->stop) {
		int r = ml_k8s_poll(p->k8s, next_timeout(p), p->sigfd);

		if (r < 0)
			return r;
		on_signal(p);
		if (p->stop)
			break;
		ml_informer_start(&p->inf);
		if (p->dirty && ml_informer_synced(&p->inf) &&
		    ml_now_ms() >= p->retry_at)
			reconcile(p);
	}
	return 0;
}

static int
setup(struct prov *p)
{
	struct ml_k8s_config *cfg = NULL;
	struct stat st;
	sigset_t mask;
	int r;

	if (stat(p->root, &st) < 0 || !S_ISDIR(st.st_mode))
		return ml_err(-ENOENT, "--root '%s' is not a directory",
			      p->root);
	if (p->f.kubeconfig)
		r = ml_k8s_config_load(p->f.kubeconfig, p->f.context, &cfg);
	else
		r = ml_k8s_config_incluster(
			getenv("ML_PROVISIONER_SERVICEACCOUNT_DIR"), &cfg);
	if (r < 0)
		return r;
	r = ml_k8s_new(cfg, &p->k8s);
	ml_k8s_config_free(cfg);
	if (r < 0)
		return r;
	ml_k8s_set_timeout(p->k8s, API_TIMEOUT_MS);
	ml_informer_init(&p->inf, p->k8s, p->stores, ML_ARRAY_SIZE(p->stores),
			 on_change, p, RETRY_MS, RETRY_MS);

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	p->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (p->sigfd < 0)
		return ml_err(-errno, "cannot set up signals: %s",
			      strerror(errno));
	ml_log_info("provisioning %s volumes of class %s in %s", ML_PROV_NAME,
		    ML_PROV_CLASS, p->root);
	ml_informer_start(&p->inf);
	return 0;
}

int
main(int argc, char **argv)
{
	struct prov p = {
		.f = { .root = ML_PROV_ROOT },
		.claims = { .what = "persistentvolumeclaims",
			    .path = "/api/v1/persistentvolumeclaims" },
		.volumes = { .what = "persistentvolumes",
			     .path = "/api/v1/persistentvolumes" },
		.classes = { .what = "storageclasses",
			     .path = "/apis/storage.k8s.io/v1/storageclasses" },
		.sigfd = -1,
	};
	int exit_code = EXIT_SUCCESS;
	size_t n;
	int r;

	p.stores[0] = &p.claims;
	p.stores[1] = &p.volumes;
	p.stores[2] = &p.classes;
	p.said = json_object_new_object();
	r = parse_flags(argc, argv, &p.f);
	if (r > 0)
		r = 0, p.stop = true;
	if (r >= 0 && !p.stop) {
		ml_log_set_level(p.f.verbose ? ML_LOG_DEBUG : ML_LOG_INFO);
		p.root = ml_xstrdup(p.f.root);
		n = strlen(p.root);
		while (n > 1 && p.root[n - 1] == '/')
			p.root[--n] = '\0';
		r = setup(&p);
	}
	if (r >= 0 && !p.stop)
		r = run(&p);
	if (r < 0) {
		ml_log(ML_LOG_ERROR, "%s",
		       ml_err_msg() ? ml_err_msg() : strerror(-r));
		exit_code = r == -ML_EUSAGE ? EXIT_USAGE : EXIT_FAILURE;
	}
	ml_informer_release(&p.inf);
	p.k8s = ml_k8s_free(p.k8s);
	json_object_put(p.said);
	if (p.sigfd >= 0)
		close(p.sigfd);
	free(p.root);
	return exit_code;
}
