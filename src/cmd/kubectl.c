/* cmd/kubectl.c: `minilaunch kubectl -- ARGS`: kubectl with our context. */
#include "config.h"

#include "cmd/command.h"
#include "base/util.h"

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
	const char *const candidates[] = { PKGLIBEXECDIR "/kubectl",
					   ML_BUILDDIR "/out/kubectl" };
	char **argv = ml_xcalloc((size_t)a->argc + 3, sizeof(*argv));
	int r;

	/* the kubectl built with the node image's Kubernetes, which matches
	 * its API server: installed, or in the build tree */
	argv[0] = "kubectl";
	argv[1] = ctx;
	for (int i = 0; i < a->argc; i++)
		argv[2 + i] = a->argv[i];
	fflush(stdout);
	for (size_t i = 0; i < ML_ARRAY_SIZE(candidates); i++)
		if (access(candidates[i], X_OK) == 0)
			execv(candidates[i], argv);
	r = ml_err(-ENOENT,
		   "the bundled kubectl is missing (looked for '%s' and '%s'): build it with 'make iso'",
		   candidates[0], candidates[1]);
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
