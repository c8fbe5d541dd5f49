/*
 * cmd/ssh.c: `minilaunch ssh [-- COMMAND...]`: the system ssh client with
 * the profile's key, port and a known_hosts file of our own.
 */
#include "config.h"

#include "cmd/command.h"
#include "machine/node.h"
#include "base/pki.h"
#include "base/profile.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const struct ml_command ml_cmd_ssh;

static int
run_ssh(const struct ml_globals *g, const struct ml_args *a)
{
	struct ml_profile *p = NULL;
	struct ml_node_paths paths;
	ml_autofree char *key = NULL, *port = NULL, *known = NULL;
	char **argv;
	int n = 0, r, sport;

	r = ml_profile_open(g->home, g->profile, 0, &p);
	if (r < 0)
		return r;
	sport = ml_profile_state_port(p, "ssh");
	ml_profile_free(p);
	if (!sport)
		return ml_err(
			-EHOSTDOWN,
			"profile '%s' has no ssh port in its state: run 'minilaunch -p %s start' to repair it",
			g->profile, g->profile);
	ml_node_paths_init(&paths, g->home, g->profile);
	key = ml_pki_ssh_key_path(g->home, g->profile);
	known = ml_xasprintf("UserKnownHostsFile=%s", paths.known_hosts);
	port = ml_xasprintf("%d", sport);
	ml_node_paths_clear(&paths);

	argv = ml_xcalloc((size_t)a->argc + 24, sizeof(*argv));
	argv[n++] = "ssh";
	argv[n++] = "-i";
	argv[n++] = key;
	argv[n++] = "-p";
	argv[n++] = port;
	argv[n++] = "-o";
	argv[n++] = "IdentitiesOnly=yes";
	argv[n++] = "-o";
	argv[n++] = known;
	/* the guest makes new host keys at each boot and start forgets the
	 * old ones, so the first key seen after a start is the right one */
	argv[n++] = "-o";
	argv[n++] = "StrictHostKeyChecking=accept-new";
	argv[n++] = "-o";
	argv[n++] = "PasswordAuthentication=no";
	argv[n++] = "-o";
	argv[n++] = "LogLevel=ERROR";
	argv[n++] = "-o";
	argv[n++] = "ConnectTimeout=10";
	if (a->argc == 0 && isatty(0))
		argv[n++] = "-t";
	argv[n++] = "docker@127.0.0.1";
	if (a->argc)
		argv[n++] = "--";
	for (int i = 0; i < a->argc; i++)
		argv[n++] = a->argv[i];
	argv[n] = NULL;
	fflush(stdout);
	execvp("ssh", argv);
	r = ml_err(-errno, "cannot run ssh: %s: install openssh-client",
		   strerror(errno));
	free(argv);
	return r;
}

const struct ml_command ml_cmd_ssh = {
	.name = "ssh",
	.flags = ML_CMD_NEEDS_RUNNING,
	.summary = "Log into the node, or run a command there",
	.usage = "ssh [-- COMMAND [ARGS...]]",
	.description =
		"Runs the system ssh client as user 'docker' (passwordless sudo) on the\n"
		"node with the profile's key, through the forward on 127.0.0.1. Host keys\n"
		"go to a known_hosts file in the profile's machine directory.",
	.run = run_ssh,
};
