/*
 * machine/node.h: the pieces `start`, `status` and friends share about one
 * profile's node: where its image and files are, its ports and its config
 * drive. Probes are in machine/probe.h (Docker, boot log) and
 * kube/cluster.h (API server, node Ready); ssh in machine/ssh.h.
 */
#ifndef ML_NODE_H
#define ML_NODE_H

#include <stdbool.h>

#define ML_NODE_IP "10.0.2.15"

struct ml_netconf; /* machine/netconf.h */

/* Absolute paths of one profile's files; all owned. */
struct ml_node_paths {
	char *machine_dir;
	char *certs_dir;
	char *kernel, *initrd, *cmdline;
	char *config_iso;
	char *serial_log;
	char *known_hosts;
};

void ml_node_paths_init(struct ml_node_paths *p, const char *home,
			const char *profile);
void ml_node_paths_clear(struct ml_node_paths *p);

/*
 * The node image to boot: url when given (an https or file URL, fetched
 * into HOME/cache/iso and checked against sha256 when given, else against
 * URL.sha256; or a plain path, used as it is when its digest is sha256, or
 * no sha256 is given), else $MINILAUNCH_ISO, else the installed image
 * (PKGDATADIR/minilaunch-*.iso), else, for a build run from its tree only
 * (ml_node_build_tree()), the newest out/minilaunch-*.iso of that build
 * tree, then of its source tree. A sha256 without url is -EINVAL. Caller
 * frees.
 */
int ml_node_find_iso(const char *home, const char *url, const char *sha256,
		     char **ret_path);

/*
 * The kubectl built with the node image's Kubernetes, the one `kubectl`
 * runs: PKGLIBEXECDIR/kubectl, else, for a build run from its tree only,
 * out/kubectl of that tree. -ENOENT naming where it looked and the fix.
 * Caller frees.
 */
int ml_node_find_kubectl(char **ret_path);

/*
 * The build tree this minilaunch was built in (ML_BUILDDIR) when the
 * running program (/proc/self/exe) is inside it, else NULL: an installed
 * minilaunch never looks there, since whoever later creates that path
 * would pick the image it boots and the kubectl it runs. Borrowed.
 */
const char *ml_node_build_tree(void);

/*
 * The test behind ml_node_build_tree(): whether exe (a resolved path, as
 * /proc/self/exe gives) is inside builddir once builddir is resolved. A
 * builddir that does not exist holds nothing.
 */
bool ml_node_exe_in_build_tree(const char *exe, const char *builddir);

/*
 * A free TCP port on 127.0.0.1: preferred when it is free (0 for any),
 * else one the kernel picks. Never the same as any of avoid[0..navoid).
 */
int ml_node_pick_port(int preferred, const int *avoid, int navoid, int *ret);

/*
 * Writes the config drive (docs/config-drive.md) to p->config_iso: the
 * settings (kubernetes: whether the node runs Kubernetes, at
 * kubernetes_version), the profile's two CA certificates (cluster and
 * Docker; never a CA key), its certificates and
 * keys, its SSH public key and the node's SSH host key pair (made by
 * ml_pki_ensure_ssh_host_key when missing), and the network (net, or
 * online without proxies or registries when NULL): NETWORK, HOST_IP and
 * EGRESS_GUARD in settings.env, docker/daemon.json when a registry mirror
 * or insecure registry is set, proxy.env (0600: a proxy URL may hold a
 * password) when a proxy is. Private keys are 0600 on the drive, the rest
 * 0644, all root's. -errno with a message naming a missing file.
 */
int ml_node_write_config_drive(const char *home, const char *profile,
			       const struct ml_node_paths *p, bool kubernetes,
			       const char *kubernetes_version,
			       const struct ml_netconf *net);

#endif
