/*
 * cmd/logs.c: `minilaunch logs`: the node's serial console, followed with
 * -f, or a bundle (tar.gz, libarchive) of everything useful for a report.
 */
#include "config.h"

#include "cmd/command.h"
#include "machine/node.h"
#include "base/profile.h"
#include "base/util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { OPT_FOLLOW, OPT_FILE };

static const struct ml_option logs_options[] = {
	[OPT_FOLLOW] = { "follow", 'f', NULL, "keep printing what the console writes", NULL },
	[OPT_FILE] = { "file", 0, "FILE", "write a tar.gz bundle: console, journal, component logs, profile config", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

extern const struct ml_command ml_cmd_logs;

static int
follow(const char *path)
{
	char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return ml_err(-errno, "cannot open the console log '%s': %s", path,
			      strerror(errno));
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0) {
			fwrite(buf, 1, (size_t)n, stdout);
			fflush(stdout);
		} else {
			usleep(200000);
		}
	}
	close(fd);
	return 0;
}

static int
add(struct archive *a, const char *name, const char *data, size_t len)
{
	struct archive_entry *e = archive_entry_new();
	int ok;

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, time(NULL), 0);
	ok = archive_write_header(a, e) == ARCHIVE_OK &&
	     archive_write_data(a, data, len) == (la_ssize_t)len;
	archive_entry_free(e);
	return ok ? 0 : -EIO;
}

static int
bundle(const struct ml_globals *g, struct ml_profile *p,
       const struct ml_node_paths *paths, const char *out)
{
	static const char *const units[] = { "ml-setup", "docker", "containerd", "ml-etcd",
		"kube-apiserver", "kube-controller-manager", "kube-scheduler",
		"kubelet", "kube-proxy" };
	struct archive *a = archive_write_new();
	ml_autofree char *tmp = ml_xasprintf("%s.tmpXXXXXX", out);
	ml_autofree char *serial = NULL, *config = NULL;
	int port = ml_profile_state_port(p, "ssh");
	size_t len;
	int fd, r = 0;

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		archive_write_free(a);
		return ml_err(-errno, "cannot create '%s': %s", tmp, strerror(errno));
	}
	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK)
		r = -EIO;
	/* config.json holds settings and state, never keys */
	if (r >= 0 && ml_read_file(ml_profile_path(p), &config, &len) >= 0)
		r = add(a, "profile/config.json", config, len);
	if (r >= 0 && ml_read_file(paths->serial_log, &serial, &len) >= 0)
		r = add(a, "console/serial.log", serial, len);
	ml_err_clear();
	if (r >= 0 && port && ml_tcp_port_open(port)) {
		char *out_text = NULL;

		if (ml_node_ssh_capture(g->home, g->profile, port,
					"sudo journalctl -b --no-pager", &out_text) >= 0)
			r = add(a, "node/journal.txt", out_text, strlen(out_text));
		free(out_text);
		for (size_t i = 0; r >= 0 && i < ML_ARRAY_SIZE(units); i++) {
			ml_autofree char *cmd = ml_xasprintf("sudo journalctl -b --no-pager -u %s", units[i]);
			ml_autofree char *name = ml_xasprintf("node/units/%s.log", units[i]);
			out_text = NULL;
			if (ml_node_ssh_capture(g->home, g->profile, port, cmd, &out_text) >= 0)
				r = add(a, name, out_text, strlen(out_text));
			free(out_text);
		}
		ml_err_clear();
	}
	if (r >= 0 && archive_write_close(a) != ARCHIVE_OK)
		r = -EIO;
	if (r < 0)
		r = ml_err(r, "cannot write the log bundle '%s': %s", out,
			   archive_error_string(a) ? archive_error_string(a) : strerror(-r));
	archive_write_free(a);
	if (r >= 0 && (fsync(fd) < 0 || rename(tmp, out) < 0))
		r = ml_err(-errno, "cannot write the log bundle '%s': %s", out, strerror(errno));
	close(fd);
	if (r < 0)
		unlink(tmp);
	else
		fprintf(stderr, "wrote '%s'\n", out);
	return r;
}

static int
check_args(const struct ml_args *a)
{
	if (a->argc)
		return ml_command_usage_error(&ml_cmd_logs, "logs takes no arguments");
	return 0;
}

static int
run_logs(const struct ml_globals *g, const struct ml_args *a)
{
	struct ml_profile *p = NULL;
	struct ml_node_paths paths;
	ml_autofree char *serial = NULL;
	size_t len;
	int r;

	r = ml_profile_open(g->home, g->profile, 0, &p);
	if (r < 0)
		return r;
	ml_node_paths_init(&paths, g->home, g->profile);
	if (a->opt[OPT_FILE])
		r = bundle(g, p, &paths, a->opt[OPT_FILE]);
	else if (a->opt[OPT_FOLLOW])
		r = follow(paths.serial_log);
	else if ((r = ml_read_file(paths.serial_log, &serial, &len)) >= 0)
		fwrite(serial, 1, len, stdout);
	else
		r = ml_err(r, "no console log for profile '%s' yet ('%s'): start it first",
			   g->profile, paths.serial_log);
	ml_node_paths_clear(&paths);
	ml_profile_free(p);
	return r;
}

const struct ml_command ml_cmd_logs = {
	.name = "logs",
	.flags = ML_CMD_NEEDS_PROFILE,
	.check_args = check_args,
	.summary = "Show the node's console log, or bundle every log into a file",
	.usage = "logs [-f]\nlogs --file BUNDLE.tar.gz",
	.description =
		"Prints the node's serial console (boot progress and unit failures).\n"
		"-f keeps following it. --file writes a tar.gz with the console log, the\n"
		"node's journal and each component's log (over ssh, when the node runs)\n"
		"and the profile's config.json (settings and state, no keys).",
	.options = logs_options,
	.run = run_logs,
};
