/*
 * cmd/update_context.c: `minilaunch update-context`: rewrite the profile's
 * kubeconfig entry from the profile's state.
 */
#include "config.h"

#include "cmd/command.h"
#include "kube/kubeconfig.h"
#include "base/log.h"
#include "base/pki.h"
#include "base/profile.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum { OPT_KUBECONFIG };

static const struct ml_option update_context_options[] = {
	[OPT_KUBECONFIG] = { "kubeconfig", 0, "FILE",
			     "file to update (default: first of $KUBECONFIG, else ~/.kube/config)",
			     NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

extern const struct ml_command ml_cmd_update_context;

static int
check_args(const struct ml_args *a)
{
	if (a->argc)
		return ml_command_usage_error(&ml_cmd_update_context,
					      "update-context takes no arguments");
	return 0;
}

static int
run_update_context(const struct ml_globals *g, const struct ml_args *a)
{
	struct ml_profile *p = NULL;
	ml_autofree char *kc = NULL;
	ml_autofree char *server = NULL, *ca = NULL, *cert = NULL, *key = NULL;
	const char *missing = NULL;
	int port, r;

	r = ml_profile_open(g->home, g->profile, 0, &p);
	if (r < 0)
		return r;
	port = ml_profile_state_port(p, "apiserver");
	ml_profile_free(p);
	if (!port)
		return ml_err(
			-EHOSTDOWN,
			"profile '%s' has no API server port in its state: run 'minilaunch -p %s start' to repair it",
			g->profile, g->profile);

	ml_pki_admin_files(g->home, g->profile, &ca, &cert, &key);
	if (!ml_path_exists(ca))
		missing = ca;
	else if (!ml_path_exists(cert))
		missing = cert;
	else if (!ml_path_exists(key))
		missing = key;
	if (missing)
		return ml_err(
			-ENOENT,
			"certificate '%s' is missing: run 'minilaunch -p %s start' to regenerate it",
			missing, g->profile);

	server = ml_xasprintf("https://127.0.0.1:%d", port);
	kc = a->opt[OPT_KUBECONFIG] ? ml_xstrdup(a->opt[OPT_KUBECONFIG])
				    : ml_kubeconfig_default_path();
	r = ml_kubeconfig_merge(kc, g->home,
				&(struct ml_kubeconfig_entry){
					.name = g->profile,
					.server = server,
					.ca_file = ca,
					.cert_file = cert,
					.key_file = key,
				},
				true);
	if (r < 0)
		return r;
	ml_log_info("context '%s' in '%s' now points at %s", g->profile, kc,
		    server);
	return 0;
}

const struct ml_command ml_cmd_update_context = {
	.name = "update-context",
	.flags = ML_CMD_FRONTEND | ML_CMD_NEEDS_RUNNING,
	.check_args = check_args,
	.summary =
		"Point the profile's kubeconfig context at the cluster's current address",
	.usage = "update-context [--kubeconfig FILE]",
	.description =
		"Writes the cluster, user and context named after the profile into the\n"
		"kubeconfig from the profile's state (API server https://127.0.0.1:PORT,\n"
		"the profile's cluster CA and admin client certificate, by absolute path)\n"
		"and makes it the current context. Everything else in the file is kept;\n"
		"the file is locked as kubectl locks it and replaced atomically.",
	.options = update_context_options,
	.run = run_update_context,
};
