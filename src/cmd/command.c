/* cmd/command.c: argument parsing and help text, generated from the table. */
#include "config.h"

#include "cmd/command.h"

#include "base/profile.h"
#include "base/util.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const struct ml_option ml_global_options[] = {
	{ "profile", 'p', "NAME",
	  "profile (cluster) to act on; default $MINILAUNCH_PROFILE, else 'minilaunch'",
	  NULL },
	{ "home", 0, "DIR",
	  "state directory; default $MINILAUNCH_HOME, else ~/.minilaunch",
	  NULL },
	{ "verbose", 'v', NULL, "print debug diagnostics on stderr", NULL },
	{ "help", 'h', NULL, "show help and exit", NULL },
	{ "version", 0, NULL, "print the version and exit", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

int
ml_command_check_needs(unsigned needs, const struct ml_globals *g)
{
	struct ml_profile *p = NULL;
	const char *status;
	int r, sport;

	if (!(needs & (ML_CMD_NEEDS_PROFILE | ML_CMD_NEEDS_RUNNING)))
		return 0;
	r = ml_profile_open(g->home, g->profile, 0, &p);
	if (r < 0 || !(needs & ML_CMD_NEEDS_RUNNING))
		goto out;
	status = ml_profile_state_str(p, "status");
	sport = ml_profile_state_port(p, "ssh");
	if (!status || strcmp(status, "Running") != 0)
		r = ml_err(-EHOSTDOWN,
			   "profile '%s' is not running (status: %s): run 'minilaunch -p %s start'",
			   g->profile, status ? status : "Not created",
			   g->profile);
	/* the state says Running; a VM that died since no longer holds its
	 * forwards (a connect costs far less than asking libvirt) */
	else if (sport && !ml_tcp_port_open(sport))
		r = ml_err(-EHOSTDOWN,
			   "profile '%s' is not running (nothing answers on 127.0.0.1:%d): run 'minilaunch -p %s start'",
			   g->profile, sport, g->profile);
out:
	ml_profile_free(p);
	return r;
}

const struct ml_command *
ml_command_find(const char *name)
{
	for (size_t i = 0; ml_commands[i]; i++)
		if (strcmp(ml_commands[i]->name, name) == 0)
			return ml_commands[i];
	return NULL;
}

int
ml_command_option_index(const struct ml_command *cmd, const char *name)
{
	for (int i = 0; cmd->options && cmd->options[i].name; i++)
		if (strcmp(cmd->options[i].name, name) == 0)
			return i;
	return -1;
}

int
ml_command_usage_error(const struct ml_command *cmd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cmd)
		return ml_err(-ML_EUSAGE, "%s: see 'minilaunch %s --help'", msg,
			      cmd->name);
	return ml_err(-ML_EUSAGE, "%s: see 'minilaunch --help'", msg);
}

/* Option ids: command options are 0.., global ones 1000.. */
#define GLOBAL_BASE 1000

static size_t
count_options(const struct ml_option *o)
{
	size_t n = 0;
	while (o && o[n].name)
		n++;
	return n;
}

static void
add_option(struct option *lo, size_t *nlo, char *so, size_t *nso,
	   const struct ml_option *o, int id)
{
	lo[*nlo] = (struct option){ o->name,
				    o->arg ? required_argument : no_argument,
				    NULL, id };
	(*nlo)++;
	if (o->short_name) {
		so[(*nso)++] = (char)o->short_name;
		if (o->arg)
			so[(*nso)++] = ':';
	}
}

/* Short options come back from getopt as their character. */
static int
short_to_id(const struct ml_option *opts, size_t nopts, int c)
{
	for (size_t i = 0; i < nopts; i++)
		if (opts[i].short_name == c)
			return (int)i;
	for (size_t i = 0; ml_global_options[i].name; i++)
		if (ml_global_options[i].short_name == c)
			return GLOBAL_BASE + (int)i;
	abort(); /* getopt returns only characters we gave it */
}

int
ml_command_parse(const struct ml_command *cmd, int argc, char **argv,
		 const char **global_vals, struct ml_args *ret_args,
		 bool *ret_help)
{
	struct option lo[ML_MAX_OPTIONS * 2 + 1];
	char so[ML_MAX_OPTIONS * 4 + 4] = ":";
	size_t nlo = 0, nso = 1, ncmd = count_options(cmd->options);
	size_t nglob = count_options(ml_global_options);
	struct ml_args a = { .argc = 0 };

	if (ncmd > ML_MAX_OPTIONS)
		return ml_err(-EINVAL, "command '%s' declares too many options",
			      cmd->name);
	for (size_t i = 0; i < ncmd; i++)
		add_option(lo, &nlo, so, &nso, &cmd->options[i], (int)i);
	for (size_t i = 0; i < nglob; i++)
		add_option(lo, &nlo, so, &nso, &ml_global_options[i],
			   GLOBAL_BASE + (int)i);
	memset(&lo[nlo], 0, sizeof(lo[nlo]));
	so[nso] = '\0';

	*ret_help = false;
	opterr = 0;
	optind = 0; /* full re-initialisation in glibc */
	for (;;) {
		int longidx = -1;
		int c = getopt_long(argc, argv, so, lo, &longidx);
		const char *bad;

		if (c == -1)
			break;
		if (c == '?' || c == ':') {
			bad = argv[optind - 1];
			if (c == ':')
				return ml_command_usage_error(
					cmd, "flag '%s' of '%s' needs a value",
					bad, cmd->name);
			if (optopt && !ml_startswith(bad, "--"))
				return ml_command_usage_error(
					cmd, "unknown flag '-%c' for '%s'",
					optopt, cmd->name);
			return ml_command_usage_error(cmd,
						      "unknown flag '%s' for '%s'",
						      bad, cmd->name);
		}
		if (c >= (int)ncmd && c < GLOBAL_BASE)
			c = short_to_id(cmd->options, ncmd, c);
		if (c < GLOBAL_BASE) {
			a.opt[c] = optarg ? optarg : "";
			if (optarg && a.nvalues == ML_MAX_VALUES)
				return ml_command_usage_error(
					cmd,
					"too many flags for '%s': give at most %d values",
					cmd->name, ML_MAX_VALUES);
			if (optarg) {
				a.values[a.nvalues].opt = c;
				a.values[a.nvalues++].value = optarg;
			}
			continue;
		}
		c -= GLOBAL_BASE;
		if (strcmp(ml_global_options[c].name, "help") == 0)
			*ret_help = true;
		global_vals[c] = optarg ? optarg : "";
	}
	a.argc = argc - optind;
	a.argv = argv + optind;
	*ret_args = a;
	return 0;
}

int
ml_args_values(const struct ml_args *a, int opt, const char **ret, int max)
{
	int n = 0;

	for (int i = 0; i < a->nvalues; i++) {
		if (a->values[i].opt != opt)
			continue;
		if (n < max)
			ret[n] = a->values[i].value;
		n++;
	}
	return n;
}

static void
print_options(const struct ml_option *o, FILE *f)
{
	for (; o && o->name; o++) {
		char left[64];

		if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s",
				 o->short_name, o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		if (strlen(left) > 24)
			fprintf(f, "  %s\n  %-24s  %s\n", left, "", o->help);
		else
			fprintf(f, "  %-24s  %s\n", left, o->help);
	}
}

static void
print_usage_lines(const struct ml_command *cmd, FILE *f)
{
	const char *p = cmd->usage;
	bool first = true;

	while (*p) {
		size_t n = strcspn(p, "\n");
		fprintf(f, "%s minilaunch [global flags] %.*s\n",
			first ? "Usage:" : "      ", (int)n, p);
		first = false;
		p += n;
		if (*p == '\n')
			p++;
	}
}

void
ml_command_print_help(const struct ml_command *cmd, FILE *f)
{
	if (!cmd) {
		fputs("minilaunch: a real single-node Kubernetes cluster in a local VM\n\n"
		      "Usage: minilaunch [global flags] COMMAND [flags] [args]\n\n"
		      "Commands:\n",
		      f);
		for (size_t i = 0; ml_commands[i]; i++)
			fprintf(f, "  %-16s %s\n", ml_commands[i]->name,
				ml_commands[i]->summary);
		fputs("\nGlobal flags:\n", f);
		print_options(ml_global_options, f);
		fputs("\nRun 'minilaunch help COMMAND' for a command's flags.\n"
		      "Exit codes: 0 ok, 1 runtime error, 64 usage error.\n",
		      f);
		return;
	}
	print_usage_lines(cmd, f);
	fprintf(f, "\n%s\n", cmd->description);
	if (count_options(cmd->options)) {
		fputs("\nFlags:\n", f);
		print_options(cmd->options, f);
	}
	if (cmd->print_extra_help)
		cmd->print_extra_help(f);
	fputs("\nGlobal flags:\n", f);
	print_options(ml_global_options, f);
}
