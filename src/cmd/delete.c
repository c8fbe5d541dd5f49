/*
 * cmd/delete.c: `minilaunch delete`: the VM, its disks and pool, the
 * kubeconfig entry and the profile directory; works on half-made profiles.
 */
#include "config.h"

#include "cmd/command.h"
#include "machine/driver.h"
#include "kube/kubeconfig.h"
#include "base/log.h"
#include "base/paths.h"
#include "base/profile.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_ALL, OPT_PURGE };

static const struct ml_option delete_options[] = {
	[OPT_ALL] = { "all", 0, NULL, "delete every profile", NULL },
	[OPT_PURGE] = { "purge", 0, NULL,
			"also remove the minilaunch home (certificates, caches)",
			NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

extern const struct ml_command ml_cmd_delete;

static int
delete_one(const char *home, const char *name)
{
	ml_autofree char *dir = ml_paths_profile_dir(home, name);
	ml_autofree char *kc = ml_kubeconfig_default_path();
	ml_autofree char *uri = NULL;
	struct ml_profile *p = NULL;
	struct ml_driver *d = NULL;
	int lock = -1, r;

	lock = ml_profile_lock(home, name);
	if (lock < 0 && lock != -ENOENT)
		return lock;
	/* a profile whose config cannot be read is still deleted: its
	 * libvirt objects are found by name under the default URI */
	if (ml_profile_open(home, name, 0, &p) >= 0)
		uri = ml_xstrdup(ml_profile_get_or_default(p, "driver-uri"));
	else
		ml_err_clear();
	ml_profile_free(p);
	if (!uri)
		uri = ml_xstrdup(ml_profile_default("driver-uri"));
	r = ml_driver_open(uri, home, &d);
	if (r >= 0)
		r = ml_driver_remove(d, name);
	ml_driver_close(d);
	if (r >= 0)
		r = ml_kubeconfig_remove(kc, home, name);
	if (r >= 0)
		r = ml_rm_rf(dir);
	if (lock >= 0)
		close(lock);
	if (r >= 0)
		fprintf(stderr, "deleted '%s'\n", name);
	return r;
}

static int
run_delete(const struct ml_globals *g, const struct ml_args *a)
{
	char **names = NULL;
	int r = 0;

	if (a->argc)
		return ml_command_usage_error(&ml_cmd_delete,
					      "delete takes no arguments");
	if (!a->opt[OPT_ALL] && !a->opt[OPT_PURGE])
		return delete_one(g->home, g->profile);
	if (a->opt[OPT_PURGE]) {
		/* before any profile goes: a refused purge changes nothing */
		r = ml_paths_home_mark(g->home);
		if (r >= 0)
			r = ml_paths_home_check_purge(g->home);
		if (r == -ENOENT) {
			fprintf(stderr,
				"'%s' does not exist: nothing to purge\n",
				g->home);
			return 0;
		}
		if (r < 0)
			return r;
	}
	r = ml_profile_list(g->home, &names);
	for (size_t i = 0; r >= 0 && names[i]; i++)
		r = delete_one(g->home, names[i]);
	for (size_t i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
	if (r >= 0 && a->opt[OPT_PURGE]) {
		r = ml_rm_rf(g->home);
		if (r >= 0)
			fprintf(stderr, "removed '%s'\n", g->home);
	}
	return r;
}

const struct ml_command ml_cmd_delete = {
	.name = "delete",
	.summary =
		"Delete the cluster: VM, disks, kubeconfig entry and profile",
	.usage = "delete [--all] [--purge]",
	.description =
		"Removes the profile's VM, its data disk and storage pool, its kubeconfig\n"
		"cluster, user and context, and its directory. Half-created profiles are\n"
		"cleaned up too. --all deletes every profile; --purge also removes the\n"
		"minilaunch home, with the CA that older versions shared, only if it is\n"
		"one: marked as made by minilaunch and holding nothing else (never / or\n"
		"your home directory).",
	.options = delete_options,
	.run = run_delete,
};
