/* cmd/help.c: `minilaunch help [COMMAND]`. */
#include "config.h"

#include "cmd/command.h"
#include "base/util.h"

#include <stdio.h>

extern const struct ml_command ml_cmd_help;

static int
run_help(const struct ml_globals *g, const struct ml_args *a)
{
	const struct ml_command *cmd = NULL;

	if (a->argc > 1)
		return ml_command_usage_error(&ml_cmd_help,
					      "help takes at most one command");
	if (a->argc == 1) {
		cmd = ml_command_find(a->argv[0]);
		if (!cmd)
			return ml_err(
				-ML_EUSAGE,
				"unknown command '%s': see 'minilaunch help' for the list",
				a->argv[0]);
	}
	ml_command_print_help(cmd, stdout);
	return 0;
}

const struct ml_command ml_cmd_help = {
	.name = "help",
	.summary = "Show help for minilaunch or one of its commands",
	.usage = "help [COMMAND]",
	.description =
		"Prints the list of commands, or the usage, description and flags of\n"
		"COMMAND: the same text as 'minilaunch COMMAND --help'.",
	.words_are_commands = true,
	.run = run_help,
};
