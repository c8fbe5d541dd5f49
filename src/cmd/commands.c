/*
 * cmd/commands.c: the one command table, in the order help lists them.
 *
 * It is compiled twice. src/minilaunch-core has every command. The front
 * end src/minilaunch (ML_FRONTEND) keeps only the commands that need no
 * heavy library (libvirt, libcurl, libarchive, ncurses, OpenSSL) and hands
 * every other command line to minilaunch-core with execv(): loading those
 * libraries costs more than the whole of `docker-env`, which shells run on
 * every prompt or rc file.
 */
#include "config.h"

#include "cmd/command.h"

extern const struct ml_command ml_cmd_config;
extern const struct ml_command ml_cmd_profile;
extern const struct ml_command ml_cmd_docker_env;
extern const struct ml_command ml_cmd_update_context;
extern const struct ml_command ml_cmd_start;
extern const struct ml_command ml_cmd_stop;
extern const struct ml_command ml_cmd_delete;
extern const struct ml_command ml_cmd_status;
extern const struct ml_command ml_cmd_ip;
extern const struct ml_command ml_cmd_ssh;
extern const struct ml_command ml_cmd_logs;
extern const struct ml_command ml_cmd_service;
extern const struct ml_command ml_cmd_kubectl;
extern const struct ml_command ml_cmd_completion;
extern const struct ml_command ml_cmd_version;
extern const struct ml_command ml_cmd_help;
#ifndef ML_FRONTEND
extern const struct ml_command ml_cmd_dashboard;
#endif

const struct ml_command *const ml_commands[] = {
#ifndef ML_FRONTEND
	&ml_cmd_start,
	&ml_cmd_stop,
	&ml_cmd_status,
	&ml_cmd_delete,
#endif
	&ml_cmd_config,
	&ml_cmd_profile,
	&ml_cmd_docker_env,
	&ml_cmd_update_context,
#ifndef ML_FRONTEND
	&ml_cmd_dashboard,
	&ml_cmd_ip,
	&ml_cmd_ssh,
	&ml_cmd_logs,
	&ml_cmd_service,
	&ml_cmd_kubectl,
	&ml_cmd_completion,
	&ml_cmd_version,
	&ml_cmd_help,
#endif
	NULL,
};
