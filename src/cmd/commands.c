/*
 * cmd/commands.c: the one command table, in the order help lists them.
 *
 * It is compiled three times. src/minilaunch-core has every command. The
 * front end src/minilaunch (ML_FRONTEND) keeps only the commands that need
 * no heavy library (libvirt, libcurl, libarchive, ncurses, OpenSSL) and
 * hands every other command line on with execv(): loading those libraries
 * costs more than the whole of `docker-env`, which shells run on every
 * prompt or rc file. The commands that talk only to an API server
 * (dashboard, exec, port-forward) go to src/minilaunch-kube (ML_KUBE_TOOL),
 * which links libcurl and ncurses but not libvirt and what it loads (glib,
 * GnuTLS, libxml2, ICU: more than half of minilaunch-core's start-up, and
 * the dashboard's first screen waits for it); the rest to minilaunch-core.
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

/* CORE(c): a command of minilaunch-core only. KUBE(c): one of
 * minilaunch-kube too (named in ml_kube_tool_commands below). FRONT(c): one
 * of the front end (ML_CMD_FRONTEND) and of minilaunch-core. The front end
 * links neither of the first two and hands their command lines over. */
#if defined(ML_FRONTEND)
#define CORE(c)
#define KUBE(c)
#define FRONT(c) &c,
#elif defined(ML_KUBE_TOOL)
#define CORE(c)
#define KUBE(c) &c,
#define FRONT(c)
#else
#define CORE(c) &c,
#define KUBE(c) &c,
#define FRONT(c) &c,
#endif

/* One entry a line, though CORE() hides the commas: */
/* clang-format off */
const struct ml_command *const ml_commands[] = {
	CORE(ml_cmd_start)
	CORE(ml_cmd_stop)
	CORE(ml_cmd_status)
	CORE(ml_cmd_delete)
	FRONT(ml_cmd_config)
	FRONT(ml_cmd_profile)
	FRONT(ml_cmd_docker_env)
	FRONT(ml_cmd_update_context)
	CORE(ml_cmd_image)
	KUBE(ml_cmd_dashboard)
	CORE(ml_cmd_addons)
	CORE(ml_cmd_ip)
	CORE(ml_cmd_ssh)
	CORE(ml_cmd_mount)
	CORE(ml_cmd_logs)
	CORE(ml_cmd_service)
	CORE(ml_cmd_tunnel)
	CORE(ml_cmd_kubectl)
	KUBE(ml_cmd_exec)
	KUBE(ml_cmd_port_forward)
	CORE(ml_cmd_completion)
	CORE(ml_cmd_version)
	CORE(ml_cmd_help)
	NULL,
};
/* clang-format on */

/* The command lines the front end hands to minilaunch-kube: its KUBE()
 * entries above (tests/cli/test_cli.sh runs each through the front end). */
const char *const ml_kube_tool_commands[] = { "dashboard", "exec",
					      "port-forward", NULL };
