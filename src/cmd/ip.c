/* cmd/ip.c: `minilaunch ip`: where the host reaches the node. */
#include "config.h"

#include "cmd/command.h"
#include "machine/node.h"
#include "base/profile.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>

extern const struct ml_command ml_cmd_ip;

static int
run_ip(const struct ml_globals *g, const struct ml_args *a)
{
	struct ml_profile *p = NULL;
	const char *status;
	int r;

	if (a->argc)
		return ml_command_usage_error(&ml_cmd_ip, "ip takes no arguments");
	r = ml_profile_open(g->home, g->profile, 0, &p);
	if (r < 0)
		return r;
	status = ml_profile_state_str(p, "status");
	if (!ml_profile_state_port(p, "ssh"))
		r = ml_err(-EHOSTDOWN, "profile '%s' was never started (status: %s): run 'minilaunch -p %s start'",
			   g->profile, status ? status : "Not created", g->profile);
	else
		printf("127.0.0.1\n");
	ml_profile_free(p);
	return r;
}

const struct ml_command ml_cmd_ip = {
	.name = "ip",
	.summary = "Print the address at which this host reaches the node",
	.usage = "ip",
	.description =
		"The node runs behind QEMU user-mode networking: the host reaches its\n"
		"ssh, Docker, API server and NodePorts through forwards on 127.0.0.1,\n"
		"so that is the address printed. Inside the VM the node is " ML_NODE_IP ".",
	.run = run_ip,
};
