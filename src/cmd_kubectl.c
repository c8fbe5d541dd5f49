/* cmd_kubectl.c: `minilaunch kubectl -- ARGS`: kubectl with our context. */
#include "config.h"

#include "command.h"
#include "node.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const struct ml_command ml_cmd_kubectl;

static int
run_kubectl(const struct ml_globals *g, const struct ml_args *a)
{
	struct ml_node_paths paths;
	ml_autofree char *ctx = ml_xasprintf("--context=%s", g->profile);
	ml_autofree char *bundled = NULL;
	char **argv = ml_xcalloc((size_t)a->argc + 3, sizeof(*argv));
	int r;

	ml_node_paths_init(&paths, g->home, g->profile);
	bundled = ml_xstrdup(paths.kubectl);
	ml_node_paths_clear(&paths);
	argv[0] = "kubectl";
	argv[1] = ctx;
	for (int i = 0; i < a->argc; i++)
		argv[2 + i] = a->argv[i];
	fflush(stdout);
	/* the kubectl of the node image, which matches its API server; a
	 * kubectl on PATH for images that do not carry one */
	if (access(bundled, X_OK) == 0)
		execv(bundled, argv);
	execvp("kubectl", argv);
	r = ml_err(-errno, "cannot run kubectl (neither '%s' nor one on PATH): %s: run 'minilaunch start' to extract it",
		   bundled, strerror(errno));
	free(argv);
	return r;
}

const struct ml_command ml_cmd_kubectl = {
	.name = "kubectl",
	.summary = "Run the bundled kubectl against the cluster",
	.usage = "kubectl -- [KUBECTL ARGS...]",
	.description =
		"Runs the kubectl shipped in the node image (v1.20.2, extracted by start)\n"
		"with --context set to the profile, for example:\n\n"
		"    minilaunch kubectl -- get pods -A",
	.run = run_kubectl,
};
