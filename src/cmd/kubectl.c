/* cmd/kubectl.c: `minilaunch kubectl -- ARGS`: kubectl with our context. */
#include "config.h"

#include "cmd/command.h"
#include "base/util.h"
#include "machine/node.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const struct ml_command ml_cmd_kubectl;

static int
run_kubectl(const struct ml_globals *g, const struct ml_args *a)
{
	ml_autofree char *ctx = ml_xasprintf("--context=%s", g->profile);
	ml_autofree char *kubectl = NULL;
	char **argv;
	int r;

	/* the kubectl built with the node image's Kubernetes, which matches
	 * its API server */
	r = ml_node_find_kubectl(&kubectl);
	if (r < 0)
		return r;
	argv = ml_xcalloc((size_t)a->argc + 3, sizeof(*argv));
	argv[0] = "kubectl";
	argv[1] = ctx;
	for (int i = 0; i < a->argc; i++)
		argv[2 + i] = a->argv[i];
	fflush(stdout);
	execv(kubectl, argv);
	r = ml_err(-errno, "cannot run '%s': %s", kubectl, strerror(errno));
	free(argv);
	return r;
}

const struct ml_command ml_cmd_kubectl = {
	.name = "kubectl",
	.summary = "Run the bundled kubectl against the cluster",
	.usage = "kubectl -- [KUBECTL ARGS...]",
	.description =
		"Runs the kubectl built with the node image's Kubernetes\n"
		"with --context set to the profile, for example:\n\n"
		"    minilaunch kubectl -- get pods -A",
	.run = run_kubectl,
};
