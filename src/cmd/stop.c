/* cmd/stop.c: `minilaunch stop`: power the VM off, keeping its data. */
#include "config.h"

#include "cmd/command.h"
#include "machine/driver.h"
#include "machine/stop.h"
#include "base/profile.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

enum { OPT_TIMEOUT };

static const struct ml_option stop_options[] = {
	[OPT_TIMEOUT] = { "timeout", 0, "SECONDS",
			  "force the VM off after this long (default 120)",
			  NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

extern const struct ml_command ml_cmd_stop;

static int
run_stop(const struct ml_globals *g, const struct ml_args *a)
{
	struct ml_profile *p = NULL;
	struct ml_driver *d = NULL;
	enum ml_machine_state st;
	int timeout = 120, r;

	if (a->argc)
		return ml_command_usage_error(&ml_cmd_stop,
					      "stop takes no arguments");
	if (a->opt[OPT_TIMEOUT]) {
		char *end;
		long t = strtol(a->opt[OPT_TIMEOUT], &end, 10);
		if (*end || t < 1 || t > 3600)
			return ml_command_usage_error(
				&ml_cmd_stop,
				"invalid --timeout '%s': give 1 to 3600 seconds",
				a->opt[OPT_TIMEOUT]);
		timeout = (int)t;
	}
	r = ml_profile_open(g->home, g->profile, ML_PROFILE_LOCK, &p);
	if (r < 0)
		return r;
	r = ml_driver_open(ml_profile_get_or_default(p, "driver-uri"), g->home,
			   &d);
	if (r >= 0)
		r = ml_driver_state(d, g->profile, &st);
	if (r >= 0 && st == ML_MACHINE_NONE)
		r = ml_err(-ENOENT, "profile '%s' has no VM: nothing to stop",
			   g->profile);
	if (r >= 0 && st != ML_MACHINE_STOPPED) {
		fprintf(stderr, "Stopping '%s' ...\n", g->profile);
		r = ml_machine_stop(d, g->home, g->profile,
				    st == ML_MACHINE_RUNNING
					    ? ml_profile_state_port(p, "ssh")
					    : 0,
				    timeout);
	}
	if (r >= 0) {
		ml_profile_state_set_str(p, "status", "Stopped");
		ml_profile_state_clear_ports(p, "nodeport-");
		r = ml_profile_save(p);
	}
	if (r >= 0)
		fprintf(stderr,
			"'%s' stopped; its data is kept: 'minilaunch -p %s start' boots it again\n",
			g->profile, g->profile);
	ml_driver_close(d);
	ml_profile_free(p);
	return r;
}

const struct ml_command ml_cmd_stop = {
	.name = "stop",
	.summary = "Power the cluster's VM off, keeping its data",
	.usage = "stop [--timeout SECONDS]",
	.description =
		"Asks the guest to power off (over ssh, then the ACPI power button) and\n"
		"forces it off after --timeout.\n"
		"Images, volumes and cluster state stay on the data disk.",
	.options = stop_options,
	.run = run_stop,
};
