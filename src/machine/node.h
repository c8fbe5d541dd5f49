/*
 * machine/node.h: the pieces `start`, `status` and friends share about one
 * profile's node: where its image and files are, its ports, its config
 * drive, and probes of its Docker daemon, API server and kubelet.
 */
#ifndef ML_NODE_H
#define ML_NODE_H

#include "machine/driver.h"

#include <stdbool.h>

#define ML_NODE_IP "10.0.2.15"
#define ML_KUBERNETES_VERSION "v1.20.2"

/* Absolute paths of one profile's files; all owned. */
struct ml_node_paths {
	char *machine_dir;
	char *certs_dir;
	char *ca_dir;
	char *kernel, *initrd, *cmdline;
	char *config_iso;
	char *serial_log;
	char *known_hosts;
};

void
ml_node_paths_init(struct ml_node_paths *p, const char *home,
		   const char *profile);
void
ml_node_paths_clear(struct ml_node_paths *p);

/*
 * The node image to boot: url when given (http, https or file URL, fetched
 * into HOME/cache/iso and checked against URL.sha256; or a plain path, used
 * as it is), else $MINILAUNCH_ISO, else the installed image, else the
 * newest out/minilaunch-*.iso of the build tree (then source tree)
 * minilaunch was built in. Caller frees.
 */
int
ml_node_find_iso(const char *home, const char *url, char **ret_path);

/*
 * A free TCP port on 127.0.0.1: preferred when it is free (0 for any),
 * else one the kernel picks. Never the same as any of avoid[0..navoid).
 */
int
ml_node_pick_port(int preferred, const int *avoid, int navoid, int *ret);

/* Writes the config drive (docs/config-drive.md) to p->config_iso. */
int
ml_node_write_config_drive(const char *home, const char *profile,
			   const struct ml_node_paths *p, bool kubernetes);

/* GETs path from the API server as the admin (200 only); body: caller frees. */
int
ml_node_api_get(const char *home, const char *profile, int port,
		const char *path, long timeout_ms, char **ret_body);

/* The probes: 0 when healthy, else -errno with a message. */
int
ml_node_probe_docker(const char *home, const char *profile, int port,
		     long timeout_ms);
int
ml_node_probe_apiserver(const char *home, const char *profile, int port,
			long timeout_ms);
int
ml_node_probe_node_ready(const char *home, const char *profile, int port,
			 long timeout_ms);

/*
 * Runs command on the node over ssh (the profile's key and port) and
 * collects its standard output (at most 64 MiB; caller frees). Returns the
 * command's exit status (>= 0) or -errno.
 */
int
ml_node_ssh_capture(const char *home, const char *profile, int port,
		    const char *command, char **ret_out);

/*
 * A line of the serial log that says the boot failed ("minilaunch: ERROR"
 * or a failed unit), or NULL. Caller frees.
 */
char *
ml_node_boot_failure(const struct ml_node_paths *p);

#endif
