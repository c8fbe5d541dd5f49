/*
 * cmd/exec.c: `minilaunch exec`: a command in a pod's container, `kubectl
 * exec` over the API's exec stream (kube/exec.h), on the profile's
 * context or any other kubeconfig context.
 */
#include "config.h"

#include "cmd/command.h"
#include "cmd/kube_context.h"
#include "kube/exec.h"
#include "kube/k8s.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	OPT_NAMESPACE,
	OPT_CONTAINER,
	OPT_STDIN,
	OPT_TTY,
	OPT_CONTEXT,
	OPT_KUBECONFIG
};

static const struct ml_option exec_options[] = {
	[OPT_NAMESPACE] = { "namespace", 'n', "NS",
			    "the pod's namespace (default: the context's)",
			    NULL },
	[OPT_CONTAINER] = { "container", 'c', "NAME",
			    "the container (default: the pod's only one)",
			    NULL },
	[OPT_STDIN] = { "stdin", 'i', NULL,
			"pass standard input to the command", NULL },
	[OPT_TTY] = { "tty", 't', NULL,
		      "with -i: a terminal for the command, when standard input is one",
		      NULL },
	ML_KUBE_CONTEXT_OPTIONS(OPT_CONTEXT, OPT_KUBECONFIG),
	{ NULL, 0, NULL, NULL, NULL },
};

extern const struct ml_command ml_cmd_exec;

/* The profile must run only when its context is the one used. */
static int
check_args(const struct ml_args *a)
{
	if (a->argc < 1)
		return ml_command_usage_error(&ml_cmd_exec,
					      "exec needs a pod name");
	if (!*a->argv[0])
		return ml_command_usage_error(&ml_cmd_exec,
					      "the pod name is empty");
	return ml_kube_context_check(&ml_cmd_exec, a->opt[OPT_CONTEXT]);
}

static int
run_exec(const struct ml_globals *g, const struct ml_args *a)
{
	struct ml_k8s_config *cfg = NULL;
	struct ml_k8s *c = NULL;
	struct ml_exec_opts o = { 0 };
	int status = 0;
	int r;

	r = ml_kube_context_load(g, a->opt[OPT_CONTEXT], a->opt[OPT_KUBECONFIG],
				 &cfg);
	if (r < 0)
		return r;
	r = ml_k8s_new(cfg, &c);
	if (r >= 0) {
		o.ns = a->opt[OPT_NAMESPACE] ? a->opt[OPT_NAMESPACE]
					     : cfg->namespace;
		o.pod = a->argv[0];
		o.container = a->opt[OPT_CONTAINER];
		o.argv = a->argc > 1 ? a->argv + 1 : NULL;
		o.in = a->opt[OPT_STDIN] != NULL;
		/* as kubectl: a terminal only with -i and one to hand over */
		o.tty = a->opt[OPT_TTY] && o.in && isatty(0);
		if (a->opt[OPT_TTY] && o.in && !o.tty)
			fprintf(stderr,
				"minilaunch: warning: standard input is not a terminal, ignoring --tty\n");
		o.in_fd = 0;
		o.out_fd = 1;
		o.err_fd = 2;
		fflush(stdout);
		r = ml_exec_run(c, &o, &status);
	}
	ml_k8s_free(c);
	ml_k8s_config_free(cfg);
	return r < 0 ? r : status;
}

const struct ml_command ml_cmd_exec = {
	.name = "exec",
	.flags = ML_CMD_NEEDS_RUNNING,
	.check_args = check_args,
	.summary = "Run a command in a pod's container",
	.usage =
		"exec [-n NS] [-c CONTAINER] [-i] [-t] [--context NAME] [--kubeconfig FILE] POD [-- CMD ARGS...]",
	.description =
		"Runs CMD (default: sh) in the container of POD over the API server's\n"
		"exec stream, as `kubectl exec` does: -i passes standard input, -t\n"
		"with -i gives it a terminal when standard input is one (raw mode\n"
		"for the session, its size followed, restored on exit). The exit\n"
		"status is the command's. Without --context it uses the profile's\n"
		"context, and the profile must be running.",
	.options = exec_options,
	.run = run_exec,
};
