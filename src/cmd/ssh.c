/*
 * cmd/ssh.c: `minilaunch ssh [-- COMMAND...]`: the system ssh client with
 * the profile's key, port and a known_hosts file of our own that pins the
 * node's host key.
 */
#include "config.h"

#include "cmd/command.h"
#include "machine/ssh.h"
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
	struct ml_ssh_args s;
	int r, sport;

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
	/* the node's host key is pinned (machine/ssh.h) */
	r = ml_ssh_args_init(&s, g->home, g->profile, sport);
	if (r < 0)
		return r;
	if (a->argc == 0 && isatty(0))
		ml_ssh_args_add(&s, "-t");
	ml_ssh_args_add(&s, "docker@127.0.0.1");
	if (a->argc)
		ml_ssh_args_add(&s, "--");
	for (int i = 0; i < a->argc; i++)
		ml_ssh_args_add(&s, a->argv[i]);
	fflush(stdout);
	execvp("ssh", (char *const *)s.argv);
	r = ml_err(-errno, "cannot run ssh: %s: install openssh-client",
		   strerror(errno));
	ml_ssh_args_clear(&s);
	return r;
}

const struct ml_command ml_cmd_ssh = {
	.name = "ssh",
	.flags = ML_CMD_NEEDS_RUNNING,
	.summary = "Log into the node, or run a command there",
	.usage = "ssh [-- COMMAND [ARGS...]]",
	.description =
		"Runs the system ssh client as user 'docker' (passwordless sudo) on the\n"
		"node with the profile's key, through the forward on 127.0.0.1. The node's\n"
		"host key is pinned: a known_hosts file in the profile's machine directory\n"
		"holds the one the host made, and no other is accepted.",
	.run = run_ssh,
};
