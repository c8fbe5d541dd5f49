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
extern const struct ml_command ml_cmd_mount;
extern const struct ml_command ml_cmd_logs;
extern const struct ml_command ml_cmd_service;
extern const struct ml_command ml_cmd_tunnel;
extern const struct ml_command ml_cmd_kubectl;
extern const struct ml_command ml_cmd_exec;
extern const struct ml_command ml_cmd_port_forward;
extern const struct ml_command ml_cmd_completion;
extern const struct ml_command ml_cmd_version;
extern const struct ml_command ml_cmd_help;
extern const struct ml_command ml_cmd_dashboard;
extern const struct ml_command ml_cmd_image;
extern const struct ml_command ml_cmd_addons;

/* CORE(c): a command of minilaunch-core only. The front end does not link
 * it and hands its command lines over (its flags lack ML_CMD_FRONTEND). */
#ifdef ML_FRONTEND
#define CORE(c)
#else
#define CORE(c) &c,
#endif

/* One entry a line, though CORE() hides the commas: */
/* clang-format off */
const struct ml_command *const ml_commands[] = {
	CORE(ml_cmd_start)
	CORE(ml_cmd_stop)
	CORE(ml_cmd_status)
	CORE(ml_cmd_delete)
	&ml_cmd_config,
	&ml_cmd_profile,
	&ml_cmd_docker_env,
	&ml_cmd_update_context,
	CORE(ml_cmd_image)
	CORE(ml_cmd_dashboard)
	CORE(ml_cmd_addons)
	CORE(ml_cmd_ip)
	CORE(ml_cmd_ssh)
	CORE(ml_cmd_mount)
	CORE(ml_cmd_logs)
	CORE(ml_cmd_service)
	CORE(ml_cmd_tunnel)
	CORE(ml_cmd_kubectl)
	CORE(ml_cmd_exec)
	CORE(ml_cmd_port_forward)
	CORE(ml_cmd_completion)
	CORE(ml_cmd_version)
	CORE(ml_cmd_help)
	NULL,
};
/* clang-format on */
