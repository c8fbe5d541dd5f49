/*
 * cmd/dashboard.c: `minilaunch dashboard`: a live terminal view of a
 * cluster (src/tui/) over the k8s client, opened on the profile's
 * kubeconfig context or any other one.
 */
#include "config.h"

#include "cmd/command.h"
#include "cmd/kube_context.h"
#include "kube/k8s.h"
#include "base/profile.h"
#include "tui/dashboard.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_CONTEXT, OPT_KUBECONFIG, OPT_NAMESPACE, OPT_ALL, OPT_VIEW };

static const struct ml_option dashboard_options[] = {
	ML_KUBE_CONTEXT_OPTIONS(OPT_CONTEXT, OPT_KUBECONFIG),
	[OPT_NAMESPACE] = { "namespace", 'n', "NS",
			    "namespace to show (default: the context's)",
			    NULL },
	[OPT_ALL] = { "all-namespaces", 'A', NULL, "show every namespace",
		      NULL },
	[OPT_VIEW] = { "view", 0, "VIEW",
		       "first view, by name or alias (pods, deploy, svc, ...; the help inside lists them)",
		       ml_tui_view_words },
	{ NULL, 0, NULL, NULL, NULL },
};

extern const struct ml_command ml_cmd_dashboard;

/* The profile must run only when its context is the one opened. */
static int
check_args(const struct ml_args *a)
{
	if (a->argc)
		return ml_command_usage_error(&ml_cmd_dashboard,
					      "dashboard takes no arguments");
	if (a->opt[OPT_ALL] && a->opt[OPT_NAMESPACE])
		return ml_command_usage_error(
			&ml_cmd_dashboard,
			"--namespace and --all-namespaces exclude each other");
	if (a->opt[OPT_VIEW] && !ml_tui_view_lookup(a->opt[OPT_VIEW]))
		return ml_command_usage_error(&ml_cmd_dashboard,
					      "unknown view '%s'",
					      a->opt[OPT_VIEW]);
	return ml_kube_context_check(&ml_cmd_dashboard, a->opt[OPT_CONTEXT]);
}

static int
run_dashboard(const struct ml_globals *g, const struct ml_args *a)
{
	const char *context = a->opt[OPT_CONTEXT] ? a->opt[OPT_CONTEXT]
						  : g->profile;
	struct ml_k8s_config *cfg = NULL;
	struct ml_k8s *c = NULL;
	struct ml_tui_dashboard_opts o = { 0 };
	struct ml_profile *p = NULL;
	int r;

	r = ml_kube_context_load(g, a->opt[OPT_CONTEXT], a->opt[OPT_KUBECONFIG],
				 &cfg);
	if (r < 0)
		return r;
	if (!isatty(0) || !isatty(1))
		r = ml_err(-ENOTTY,
			   "dashboard needs a terminal: run it in an interactive shell, not with input or output redirected");
	else
		r = ml_k8s_new(cfg, &c);
	if (r >= 0) {
		o.cfg = cfg;
		o.ns = a->opt[OPT_ALL]	       ? NULL
		       : a->opt[OPT_NAMESPACE] ? a->opt[OPT_NAMESPACE]
		       : cfg->namespace	       ? cfg->namespace
					       : "default";
		o.view = a->opt[OPT_VIEW];
		/* the pod hints name the profile: only on its own context */
		if (strcmp(context, g->profile) == 0 &&
		    ml_profile_open(g->home, g->profile, 0, &p) >= 0) {
			o.profile = g->profile;
			o.offline =
				strcmp(ml_profile_get_or_default(p, "network"),
				       "offline") == 0;
		}
		ml_err_clear();
		r = ml_tui_dashboard_run(c, &o);
	}
	ml_profile_free(p);
	ml_k8s_free(c);
	ml_k8s_config_free(cfg);
	return r;
}

const struct ml_command ml_cmd_dashboard = {
	.name = "dashboard",
	.flags = ML_CMD_NEEDS_RUNNING,
	.check_args = check_args,
	.summary = "Open a live terminal view of the cluster's workloads",
	.usage =
		"dashboard [--context NAME] [--kubeconfig FILE] [-n NS | -A] [--view VIEW]",
	.description =
		"Shows the cluster's pods, deployments, replicasets, statefulsets,\n"
		"daemonsets, jobs, cronjobs, services, endpoints, ingresses,\n"
		"configmaps, secrets, persistentvolumeclaims, persistentvolumes,\n"
		"storageclasses, nodes, namespaces and events as `kubectl get`\n"
		"prints them, kept live by watches. Without --context it opens the\n"
		"profile's context (named after the profile), and the profile must be\n"
		"running. Press ? inside for the keys: ':' switches view, '/' filters,\n"
		"Enter describes, 'e' edits in $EDITOR, 'l' follows a log, 'p' shows\n"
		"the previous container's, 'x' deletes, 's' scales, 'Q' quits.\n"
		"Needs a terminal on stdin and stdout; exits 1 without one.",
	.options = dashboard_options,
	.run = run_dashboard,
};
