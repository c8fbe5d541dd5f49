/* commands.c: the one command table, in the order help lists them. */
#include "config.h"

#include "command.h"

extern const struct ml_command ml_cmd_config;
extern const struct ml_command ml_cmd_profile;
extern const struct ml_command ml_cmd_docker_env;
extern const struct ml_command ml_cmd_update_context;
extern const struct ml_command ml_cmd_completion;
extern const struct ml_command ml_cmd_version;
extern const struct ml_command ml_cmd_help;

const struct ml_command *const ml_commands[] = {
	&ml_cmd_config,
	&ml_cmd_profile,
	&ml_cmd_docker_env,
	&ml_cmd_update_context,
	&ml_cmd_completion,
	&ml_cmd_version,
	&ml_cmd_help,
	NULL,
};
