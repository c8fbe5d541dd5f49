/*
 * cmd/logs.c: `minilaunch logs`: the node's serial console, followed with
 * -f, or a bundle (machine/bundle.h) of everything useful for a report.
 */
#include "config.h"

#include "cmd/command.h"
#include "machine/bundle.h"
#include "machine/node.h"
#include "machine/ssh.h"
#include "base/profile.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_FOLLOW, OPT_FILE };

static const struct ml_option logs_options[] = {
	[OPT_FOLLOW] = { "follow", 'f', NULL,
			 "keep printing what the console writes", NULL },
	[OPT_FILE] = { "file", 0, "FILE",
		       "write a tar.gz bundle: console, journal, component logs, profile config",
		       NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

extern const struct ml_command ml_cmd_logs;

/* Writes the console's bytes to stdout: on a terminal through the filter
 * (machine/bundle.h), since they come from the guest and must not drive
 * it; elsewhere as they are. end: no more bytes follow. */
static void
show(struct ml_bundle_tty *t, bool tty, const char *buf, size_t len, bool end)
{
	struct ml_buf b = { NULL, 0, 0 };

	if (!tty) {
		fwrite(buf, 1, len, stdout);
		return;
	}
	ml_bundle_tty_filter(t, buf, len, &b);
	if (end)
		ml_bundle_tty_flush(t, &b);
	fwrite(b.p ? b.p : "", 1, b.len, stdout);
	ml_buf_release(&b);
}

static int
follow(const char *path, bool tty)
{
	char buf[65536];
	struct ml_bundle_tty t = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return ml_err(-errno, "cannot open the console log '%s': %s",
			      path, strerror(errno));
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0) {
			show(&t, tty, buf, (size_t)n, false);
			fflush(stdout);
		} else {
			usleep(200000);
		}
	}
	close(fd);
	return 0;
}

static int
check_args(const struct ml_args *a)
{
	if (a->argc)
		return ml_command_usage_error(&ml_cmd_logs,
					      "logs takes no arguments");
	return 0;
}

static int
run_logs(const struct ml_globals *g, const struct ml_args *a)
{
	struct ml_profile *p = NULL;
	struct ml_node_paths paths;
	ml_autofree char *serial = NULL;
	struct ml_bundle_tty t = { 0 };
	bool tty = isatty(STDOUT_FILENO) == 1;
	size_t len;
	int r;

	r = ml_profile_open(g->home, g->profile, 0, &p);
	if (r < 0)
		return r;
	ml_node_paths_init(&paths, g->home, g->profile);
	if (a->opt[OPT_FILE]) {
		r = ml_bundle_write(g->home, p, a->opt[OPT_FILE]);
		if (r >= 0)
			fprintf(stderr, "wrote '%s'\n", a->opt[OPT_FILE]);
	} else if (a->opt[OPT_FOLLOW]) {
		r = follow(paths.serial_log, tty);
	} else if ((r = ml_read_file(paths.serial_log, &serial, &len)) >= 0) {
		show(&t, tty, serial, len, true);
	} else {
		r = ml_err(r,
			   "no console log for profile '%s' yet ('%s'): start it first",
			   g->profile, paths.serial_log);
	}
	ml_node_paths_clear(&paths);
	ml_profile_free(p);
	return r;
}

const struct ml_command ml_cmd_logs = {
	.name = "logs",
	.flags = ML_CMD_NEEDS_PROFILE,
	.check_args = check_args,
	.summary =
		"Show the node's console log, or bundle every log into a file",
	.usage = "logs [-f]\nlogs --file BUNDLE.tar.gz",
	.description =
		"Prints the node's serial console (boot progress and unit failures);\n"
		"on a terminal its control characters are shown as ^X or \\xHH and its\n"
		"escape sequences dropped. -f keeps following it. --file writes a\n"
		"tar.gz with the console log, the node's journal and each component's\n"
		"log (over ssh, when the node runs) and the profile's config.json\n"
		"(settings and state, no keys; passwords and tokens in URLs replaced\n"
		"by ***).",
	.options = logs_options,
	.run = run_logs,
};
