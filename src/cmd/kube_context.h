/*
 * cmd/kube_context.h: the --context and --kubeconfig flags of the commands
 * that work on any cluster a kubeconfig names (dashboard, exec,
 * port-forward), as kubectl and k9s take them. Without --context they use
 * the profile's context (named after the profile), and the profile must be
 * running; with it, nothing of the profile is needed.
 */
#ifndef ML_CMD_KUBE_CONTEXT_H
#define ML_CMD_KUBE_CONTEXT_H

#include "cmd/command.h"
#include "kube/k8s.h"

/* The two option entries, at the indexes ctx and kc of an options table. */
#define ML_KUBE_CONTEXT_OPTIONS(ctx, kc)                                      \
	[ctx] = { "context", 0, "NAME",                                       \
		  "kubeconfig context to use (default: the profile's, named after it)", \
		  NULL },                                                     \
	[kc] = { "kubeconfig", 0, "FILE",                                     \
		 "kubeconfig file (default: $KUBECONFIG's first file, else ~/.kube/config)", \
		 NULL }

/*
 * For a check_args: --context given empty is a usage error of cmd;
 * returns ML_CMD_NEEDS_NOTHING when context is given (the profile need not
 * run), else 0.
 */
int ml_kube_context_check(const struct ml_command *cmd, const char *context);

/*
 * Loads kubeconfig's (NULL: the default one) context, or the profile's
 * when context is NULL; the error then says that --context picks another.
 */
int ml_kube_context_load(const struct ml_globals *g, const char *context,
			 const char *kubeconfig, struct ml_k8s_config **ret);

#endif
