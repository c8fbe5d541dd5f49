/*
 * cmd/kube_context.c: the --context and --kubeconfig flags shared by
 * dashboard, exec and port-forward (cmd/kube_context.h).
 */
#include "config.h"

#include "cmd/kube_context.h"
#include "base/util.h"

int
ml_kube_context_check(const struct ml_command *cmd, const char *context)
{
	if (context && !*context)
		return ml_command_usage_error(cmd,
					      "--context needs a context name");
	return context ? ML_CMD_NEEDS_NOTHING : 0;
}

int
ml_kube_context_load(const struct ml_globals *g, const char *context,
		     const char *kubeconfig, struct ml_k8s_config **ret)
{
	const char *use = context ? context : g->profile;
	int r = ml_k8s_config_load(kubeconfig, use, ret);

	if (r < 0 && !context) {
		ml_autofree char *msg =
			ml_xstrdup(ml_err_msg() ? ml_err_msg() : "");

		r = ml_err(r,
			   "%s: the profile's context is '%s'; pass --context NAME to use another cluster",
			   msg, use);
	}
	return r;
}
