/*
 * cmd/docker_env.c: `minilaunch docker-env`: what a shell needs to point
 * its docker CLI at the profile's Docker daemon, over TLS only.
 */
#include "config.h"

#include "cmd/command.h"
#include "base/pki.h"
#include "base/profile.h"
#include "base/shellenv.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_SHELL, OPT_UNSET };

static const struct ml_option docker_env_options[] = {
	[OPT_SHELL] = { "shell", 0, "SHELL",
			"bash, zsh, sh, fish, tcsh, powershell, cmd, emacs or none (default: from $SHELL)",
			ml_shell_names },
	[OPT_UNSET] = { "unset", 'u', NULL,
			"print what undoes an earlier docker-env, restoring the user's own settings",
			NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

extern const struct ml_command ml_cmd_docker_env;

/* The user's own settings, kept while ours are active. */
static const char *const docker_vars[] = { "DOCKER_TLS_VERIFY", "DOCKER_HOST",
					   "DOCKER_CERT_PATH" };

#define ACTIVE_VAR "MINILAUNCH_ACTIVE_DOCKERD"
#define EXISTING_PREFIX "MINILAUNCH_EXISTING_"

static void
print_unset(enum ml_shell sh)
{
	for (size_t i = 0; i < ML_ARRAY_SIZE(docker_vars); i++)
		ml_shell_print_unset(stdout, sh, docker_vars[i]);
	ml_shell_print_unset(stdout, sh, ACTIVE_VAR);
	for (size_t i = 0; i < ML_ARRAY_SIZE(docker_vars); i++) {
		ml_autofree char *kept =
			ml_xasprintf(EXISTING_PREFIX "%s", docker_vars[i]);
		const char *v = getenv(kept);

		if (!v)
			continue;
		ml_shell_print_set(stdout, sh, docker_vars[i], v);
		ml_shell_print_unset(stdout, sh, kept);
	}
}

static int
check_args(const struct ml_args *a)
{
	enum ml_shell sh;
	int r;

	if (a->argc)
		return ml_command_usage_error(&ml_cmd_docker_env,
					      "docker-env takes no arguments");
	if (a->opt[OPT_SHELL] &&
	    (r = ml_shell_parse(a->opt[OPT_SHELL], &sh)) < 0)
		return r;
	return a->opt[OPT_UNSET] ? ML_CMD_NEEDS_NOTHING : 0;
}

/* main() checked that the profile runs; Docker's own port and
 * certificates are this command's to check */
static int
check_docker(const struct ml_globals *g, struct ml_profile *p, int *ret_port)
{
	int port = ml_profile_state_port(p, "docker");

	if (!port)
		return ml_err(
			-EHOSTDOWN,
			"profile '%s' has no Docker port in '%s': run 'minilaunch -p %s start' to repair it",
			g->profile, ml_profile_path(p), g->profile);
	if (!ml_tcp_port_open(port))
		return ml_err(
			-EHOSTDOWN,
			"profile '%s' is not running (nothing answers on 127.0.0.1:%d, its Docker port): run 'minilaunch -p %s start'",
			g->profile, port, g->profile);
	if (!ml_pki_docker_certs_present(g->home, g->profile)) {
		ml_autofree char *dir =
			ml_pki_docker_cert_dir(g->home, g->profile);
		return ml_err(
			-ENOENT,
			"Docker client certificates missing in '%s': run 'minilaunch -p %s start' to regenerate them",
			dir, g->profile);
	}
	*ret_port = port;
	return 0;
}

static int
run_docker_env(const struct ml_globals *g, const struct ml_args *a)
{
	enum ml_shell sh = ml_shell_detect();
	struct ml_profile *p = NULL;
	int port = 0, r;

	if (a->opt[OPT_SHELL] &&
	    (r = ml_shell_parse(a->opt[OPT_SHELL], &sh)) < 0)
		return r;
	if (a->opt[OPT_UNSET]) {
		print_unset(sh);
		return 0;
	}
	/* every check comes before the first byte on stdout: eval of a
	 * failed run must do nothing */
	r = ml_profile_open(g->home, g->profile, 0, &p);
	if (r >= 0)
		r = check_docker(g, p, &port);
	ml_profile_free(p);
	if (r < 0)
		return r;

	if (!getenv(ACTIVE_VAR)) {
		for (size_t i = 0; i < ML_ARRAY_SIZE(docker_vars); i++) {
			const char *v = getenv(docker_vars[i]);
			ml_autofree char *kept = NULL;

			if (!v)
				continue;
			kept = ml_xasprintf(EXISTING_PREFIX "%s",
					    docker_vars[i]);
			ml_shell_print_set(stdout, sh, kept, v);
		}
	}
	{
		ml_autofree char *host =
			ml_xasprintf("tcp://127.0.0.1:%d", port);
		ml_autofree char *certs =
			ml_pki_docker_cert_dir(g->home, g->profile);
		ml_autofree char *cmd = NULL;

		ml_shell_print_set(stdout, sh, "DOCKER_TLS_VERIFY", "1");
		ml_shell_print_set(stdout, sh, "DOCKER_HOST", host);
		ml_shell_print_set(stdout, sh, "DOCKER_CERT_PATH", certs);
		ml_shell_print_set(stdout, sh, ACTIVE_VAR, g->profile);
		cmd = ml_xasprintf("minilaunch%s%s docker-env%s%s",
				   strcmp(g->profile, ML_PROFILE_DEFAULT)
					   ? " -p "
					   : "",
				   strcmp(g->profile, ML_PROFILE_DEFAULT)
					   ? g->profile
					   : "",
				   a->opt[OPT_SHELL] ? " --shell " : "",
				   a->opt[OPT_SHELL] ? a->opt[OPT_SHELL] : "");
		ml_shell_print_hint(
			stdout, sh,
			"To point your shell to minilaunch's docker-daemon",
			cmd);
	}
	return 0;
}

const struct ml_command ml_cmd_docker_env = {
	.name = "docker-env",
	.flags = ML_CMD_FRONTEND | ML_CMD_NEEDS_RUNNING,
	.check_args = check_args,
	.summary =
		"Print the environment that points a docker CLI at the cluster's Docker daemon",
	.usage = "docker-env [--shell SHELL] [--unset]",
	.description =
		"Prints DOCKER_TLS_VERIFY, DOCKER_HOST (tcp://127.0.0.1:PORT, forwarded to\n"
		"the VM), DOCKER_CERT_PATH and MINILAUNCH_ACTIVE_DOCKERD in the syntax of\n"
		"your shell, for example:\n\n"
		"    eval \"$(minilaunch docker-env)\"\n\n"
		"Docker is reached over TLS only, with the profile's client certificate.\n"
		"Your own DOCKER_* settings are kept as MINILAUNCH_EXISTING_* and put back\n"
		"by --unset. On a profile that does not exist or is not running nothing\n"
		"is printed on stdout and the exit code is 1.",
	.options = docker_env_options,
	.run = run_docker_env,
};
