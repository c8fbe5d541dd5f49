/* machine/bundle.c: the log bundle, a tar.gz written with libarchive. */
#include "config.h"

#include "machine/bundle.h"

#include "machine/node.h"
#include "machine/ssh.h"
#include "base/profile.h"
#include "base/util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* Adds command's output on the node as name; a command that fails is
 * left out. */
static int
add_ssh(struct archive *a, const char *home, const char *profile, int port,
	const char *command, const char *name)
{
	ml_autofree char *text = NULL;

	if (ml_ssh_capture(home, profile, port, command, &text) < 0)
		return 0;
	return add(a, name, text, strlen(text));
}

static int
add_node_logs(struct archive *a, const char *home, const char *profile,
	      int port)
{
	static const char *const units[] = {
		"ml-setup",	  "docker",	    "containerd",
		"ml-etcd",	  "kube-apiserver", "kube-controller-manager",
		"kube-scheduler", "kubelet",	    "kube-proxy"
	};
	int r = add_ssh(a, home, profile, port, "sudo journalctl -b --no-pager",
			"node/journal.txt");

	for (size_t i = 0; r >= 0 && i < ML_ARRAY_SIZE(units); i++) {
		ml_autofree char *cmd =
			ml_xasprintf("sudo journalctl -b --no-pager -u %s",
				     units[i]);
		ml_autofree char *name =
			ml_xasprintf("node/units/%s.log", units[i]);

		r = add_ssh(a, home, profile, port, cmd, name);
	}
	return r;
}

static int
add_all(struct archive *a, const char *home, const struct ml_profile *p)
{
	const char *profile = ml_profile_name(p);
	int port = ml_profile_state_port(p, "ssh");
	struct ml_node_paths paths;
	ml_autofree char *serial = NULL, *config = NULL;
	size_t len;
	int r = 0;

	ml_node_paths_init(&paths, home, profile);
	/* config.json holds settings and state, never keys */
	if (ml_read_file(ml_profile_path(p), &config, &len) >= 0)
		r = add(a, "profile/config.json", config, len);
	if (r >= 0 && ml_read_file(paths.serial_log, &serial, &len) >= 0)
		r = add(a, "console/serial.log", serial, len);
	ml_node_paths_clear(&paths);
	if (r >= 0 && port && ml_tcp_port_open(port))
		r = add_node_logs(a, home, profile, port);
	ml_err_clear();
	return r;
}

int
ml_bundle_write(const char *home, const struct ml_profile *p, const char *out)
{
	struct ml_atomic_file f;
	struct archive *a;
	int r;

	r = ml_atomic_open(&f, out, 0600);
	if (r < 0)
		return r;
	a = archive_write_new();
	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	r = archive_write_open_fd(a, f.fd) == ARCHIVE_OK ? 0 : -EIO;
	if (r >= 0)
		r = add_all(a, home, p);
	if (r >= 0 && archive_write_close(a) != ARCHIVE_OK)
		r = -EIO;
	if (r < 0)
		r = ml_err(r, "cannot write the log bundle '%s': %s", out,
			   archive_error_string(a) ? archive_error_string(a)
						   : strerror(-r));
	archive_write_free(a);
	if (r < 0)
		ml_atomic_abort(&f);
	else
		r = ml_atomic_commit(&f);
	return r;
}
