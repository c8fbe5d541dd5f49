/*
 * main.c: global flags, dispatch through the command table, and the one
 * place that prints errors and picks the exit code (0 ok, 1 runtime error,
 * 64 usage error). Built three times: as minilaunch-core with every
 * command, as minilaunch-kube with those that need only an API server, and
 * as the front end minilaunch (ML_FRONTEND), which runs the light commands
 * itself and execs one of the other two for the rest (see commands.c).
 */
#include "config.h"

#include "cmd/command.h"
#include "base/log.h"
#include "base/paths.h"
#include "base/profile.h"
#include "base/util.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_USAGE 64

enum { G_PROFILE, G_HOME, G_VERBOSE, G_HELP, G_VERSION, G__COUNT };

static int
finish(int r)
{
	const char *msg = ml_err_msg();

	if (r >= 0)
		return r;
	fprintf(stderr, "minilaunch: error: %s\n",
		msg ? msg : strerror(-r > 0 && -r < ML_EUSAGE ? -r : EINVAL));
	return r == -ML_EUSAGE ? EXIT_USAGE : EXIT_FAILURE;
}

/* Parses the global flags before the command; returns the command's index
 * in argv, argc when there is none, or -ML_EUSAGE. */
static int
parse_globals(int argc, char **argv, const char **vals)
{
	struct option lo[G__COUNT + 1];
	char so[32] = "+:";
	size_t nso = 2;

	for (int i = 0; i < G__COUNT; i++) {
		const struct ml_option *o = &ml_global_options[i];
		lo[i] = (struct option){ o->name,
					 o->arg ? required_argument
						: no_argument,
					 NULL, 1000 + i };
		if (o->short_name) {
			so[nso++] = (char)o->short_name;
			if (o->arg)
				so[nso++] = ':';
		}
	}
	memset(&lo[G__COUNT], 0, sizeof(lo[0]));
	so[nso] = '\0';
	opterr = 0;
	for (;;) {
		int c = getopt_long(argc, argv, so, lo, NULL);
		if (c == -1)
			break;
		if (c == '?')
			return ml_command_usage_error(NULL, "unknown flag '%s'",
						      argv[optind - 1]);
		if (c == ':')
			return ml_command_usage_error(NULL,
						      "flag '%s' needs a value",
						      argv[optind - 1]);
		if (c < 1000)
			for (int i = 0; i < G__COUNT; i++)
				if (ml_global_options[i].short_name == c)
					c = 1000 + i;
		vals[c - 1000] = optarg ? optarg : "";
	}
	return optind;
}

static int
resolve_globals(const char **vals, struct ml_globals *g, char **ret_home)
{
	const char *profile = vals[G_PROFILE];
	int r;

	if (!profile) {
		profile = getenv("MINILAUNCH_PROFILE");
		if (!profile || !*profile)
			profile = ML_PROFILE_DEFAULT;
	}
	r = ml_profile_name_valid(profile);
	if (r < 0)
		return r;
	r = ml_paths_home(vals[G_HOME], ret_home);
	if (r < 0)
		return r;
	g->profile = profile;
	g->home = *ret_home;
	g->verbose = vals[G_VERBOSE] != NULL;
	if (g->verbose)
		ml_log_set_level(ML_LOG_DEBUG);
	return 0;
}

#ifdef ML_FRONTEND
/* Runs program (minilaunch-core or minilaunch-kube) with our own argv:
 * beside this binary in a build tree, else where `make install` put it.
 * Returns only on failure. */
static int
exec_program(const char *program, char **argv)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	ml_autofree char *installed =
		ml_xasprintf("%s/%s", PKGLIBEXECDIR, program);

	if (n > 0) {
		self[n] = '\0';
		ml_autofree char *beside =
			ml_xasprintf("%s/%s", dirname(self), program);
		if (access(beside, X_OK) == 0) {
			execv(beside, argv);
			return ml_err(
				-errno,
				"cannot run '%s': %s: rebuild or reinstall minilaunch",
				beside, strerror(errno));
		}
	}
	execv(installed, argv);
	return ml_err(-errno, "cannot run '%s': %s: reinstall minilaunch",
		      installed, strerror(errno));
}

/* The program that runs the command line of command name. */
static const char *
program_for(const char *name)
{
	for (size_t i = 0; ml_kube_tool_commands[i]; i++)
		if (strcmp(ml_kube_tool_commands[i], name) == 0)
			return "minilaunch-kube";
	return "minilaunch-core";
}
#endif

int
main(int argc, char **argv)
{
	const char *vals[G__COUNT] = { NULL };
	ml_autofree char *home = NULL;
	const struct ml_command *cmd;
	struct ml_globals g = { NULL, NULL, false };
	struct ml_args a;
	bool help;
	int idx, r;

	idx = parse_globals(argc, argv, vals);
	if (idx < 0)
		return finish(idx);
	if (vals[G_VERSION]) {
		printf("minilaunch version %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (idx >= argc) {
		if (!vals[G_HELP])
			return finish(
				ml_err(-ML_EUSAGE,
				       "no command given: see 'minilaunch help'"));
#ifdef ML_FRONTEND
		return finish(exec_program("minilaunch-core", argv));
#endif
		ml_command_print_help(NULL, stdout);
		return 0;
	}
	cmd = ml_command_find(argv[idx]);
#ifdef ML_FRONTEND
	if (!cmd || !(cmd->flags & ML_CMD_FRONTEND))
		return finish(exec_program(program_for(argv[idx]), argv));
#endif
	if (!cmd)
		return finish(ml_err(
			-ML_EUSAGE,
			"unknown command '%s': see 'minilaunch help' for the list",
			argv[idx]));
	r = ml_command_parse(cmd, argc - idx, argv + idx, vals, &a, &help);
	if (r < 0)
		return finish(r);
	if (vals[G_VERSION]) {
		printf("minilaunch version %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (help || vals[G_HELP]) {
		ml_command_print_help(cmd, stdout);
		return 0;
	}
	r = resolve_globals(vals, &g, &home);
	if (r >= 0 && cmd->check_args)
		r = cmd->check_args(&a);
	if (r >= 0)
		r = ml_command_check_needs(r == ML_CMD_NEEDS_NOTHING
						   ? 0
						   : cmd->flags,
					   &g);
	if (r < 0)
		return finish(r);
	ml_log_debug("command '%s', profile '%s', home '%s'", cmd->name,
		     g.profile, g.home);
	r = cmd->run(&g, &a);
	if (fflush(stdout) != 0 && r >= 0)
		r = ml_err(-EIO, "cannot write to standard output");
	return finish(r);
}
