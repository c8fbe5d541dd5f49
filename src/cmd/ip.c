/* cmd/ip.c: `minilaunch ip`: where the host reaches the node. */
#include "config.h"

#include "cmd/command.h"
#include "machine/node.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>

extern const struct ml_command ml_cmd_ip;

static int
check_args(const struct ml_args *a)
{
	if (a->argc)
		return ml_command_usage_error(&ml_cmd_ip,
					      "ip takes no arguments");
	return 0;
}

/* main() checked that the profile runs; the host reaches it through
 * forwards on the loopback only */
static int
run_ip(const struct ml_globals *g, const struct ml_args *a)
{
	printf("127.0.0.1\n");
	return 0;
}

const struct ml_command ml_cmd_ip = {
	.name = "ip",
	.flags = ML_CMD_NEEDS_RUNNING,
	.check_args = check_args,
	.summary = "Print the address at which this host reaches the node",
	.usage = "ip",
	.description =
		"The node runs behind QEMU user-mode networking: the host reaches its\n"
		"ssh, Docker, API server and NodePorts through forwards on 127.0.0.1,\n"
		"so that is the address printed. Inside the VM the node is " ML_NODE_IP
		".",
	.run = run_ip,
};
