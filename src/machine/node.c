/* machine/node.c: one profile's node: files, image, ports, config drive. */
#include "config.h"

#include "machine/node.h"

#include "base/download.h"
#include "base/paths.h"
#include "base/pki.h"
#include "base/util.h"
#include "machine/iso.h"
#include "machine/netconf.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

void
ml_node_paths_init(struct ml_node_paths *p, const char *home,
		   const char *profile)
{
	p->machine_dir = ml_paths_machine_dir(home, profile);
	p->certs_dir = ml_paths_profile_certs_dir(home, profile);
	p->kernel = ml_xasprintf("%s/vmlinuz", p->machine_dir);
	p->initrd = ml_xasprintf("%s/initrd.img", p->machine_dir);
	p->cmdline = ml_xasprintf("%s/cmdline", p->machine_dir);
	p->config_iso = ml_xasprintf("%s/config.iso", p->machine_dir);
	p->serial_log = ml_xasprintf("%s/serial.log", p->machine_dir);
	p->known_hosts = ml_xasprintf("%s/known_hosts", p->machine_dir);
}

void
ml_node_paths_clear(struct ml_node_paths *p)
{
	free(p->machine_dir);
	free(p->certs_dir);
	free(p->kernel);
	free(p->initrd);
	free(p->cmdline);
	free(p->config_iso);
	free(p->serial_log);
	free(p->known_hosts);
	memset(p, 0, sizeof(*p));
}

/* The newest dir/minilaunch-*.iso, or NULL. */
static char *
newest_iso(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char *best = NULL;
	time_t best_t = 0;

	while (d && (de = readdir(d))) {
		ml_autofree char *p = NULL;
		struct stat st;

		if (!ml_startswith(de->d_name, "minilaunch-") ||
		    !ml_endswith(de->d_name, ".iso"))
			continue;
		p = ml_xasprintf("%s/%s", dir, de->d_name);
		if (stat(p, &st) == 0 && (!best || st.st_mtime > best_t)) {
			free(best);
			best = ml_xstrdup(p);
			best_t = st.st_mtime;
		}
	}
	if (d)
		closedir(d);
	return best;
}

bool
ml_node_exe_in_build_tree(const char *exe, const char *builddir)
{
	return ml_paths_exe_in_tree(exe, builddir);
}

const char *
ml_node_build_tree(void)
{
	return ml_paths_build_tree();
}

/* A plain path given as the image: it must exist, and match sha256 if
 * given. */
static int
check_image_path(const char *path, const char *sha256, char **ret_path)
{
	char got[65];
	int r;

	if (!ml_path_exists(path))
		return ml_err(-ENOENT,
			      "node image '%s' does not exist: check --iso-url",
			      path);
	if (sha256 && *sha256) {
		r = ml_download_sha256_file(path, got);
		if (r < 0)
			return r;
		if (strcasecmp(got, sha256) != 0)
			return ml_err(
				-EBADMSG,
				"node image '%s' has sha256 %s, not the --iso-sha256 %s: check --iso-url and --iso-sha256",
				path, got, sha256);
	}
	*ret_path = ml_xstrdup(path);
	return 0;
}

int
ml_node_find_iso(const char *home, const char *url, const char *sha256,
		 char **ret_path)
{
	const char *env = getenv("MINILAUNCH_ISO");
	const char *tree = ml_node_build_tree();
	char *p;

	if (url && *url) {
		ml_autofree char *cache = NULL, *dir = NULL;

		if (!strstr(url, "://"))
			return check_image_path(url, sha256, ret_path);
		cache = ml_paths_cache_dir(home);
		dir = ml_xasprintf("%s/iso", cache);
		return ml_download(url, sha256 && *sha256 ? sha256 : NULL, dir,
				   ret_path);
	}
	if (sha256 && *sha256)
		return ml_err(
			-EINVAL,
			"iso-sha256 is set but iso-url is not: give --iso-url too, or run 'minilaunch config unset iso-sha256'");
	if (env && *env) {
		if (!ml_path_exists(env))
			return ml_err(
				-ENOENT,
				"node image '%s' (from MINILAUNCH_ISO) does not exist",
				env);
		*ret_path = ml_xstrdup(env);
		return 0;
	}
	p = newest_iso(PKGDATADIR);
	if (!p && tree)
		p = newest_iso(ML_BUILDDIR "/out");
	if (!p && tree)
		p = newest_iso(ML_SRCDIR "/out");
	if (!p && tree)
		return ml_err(
			-ENOENT,
			"no node image found in '%s' or '%s': build it with 'make iso' (as root) or pass --iso-url",
			PKGDATADIR, ML_BUILDDIR "/out");
	if (!p)
		return ml_err(
			-ENOENT,
			"no node image found in '%s': install one ('make iso' as root, then 'make install'), set MINILAUNCH_ISO or pass --iso-url",
			PKGDATADIR);
	*ret_path = p;
	return 0;
}

int
ml_node_find_kubectl(char **ret_path)
{
	static const char installed[] = PKGLIBEXECDIR "/kubectl";
	static const char built[] = ML_BUILDDIR "/out/kubectl";

	if (access(installed, X_OK) == 0) {
		*ret_path = ml_xstrdup(installed);
		return 0;
	}
	if (!ml_node_build_tree())
		return ml_err(
			-ENOENT,
			"no bundled kubectl at '%s': install it ('make iso' as root, then 'make install')",
			installed);
	if (access(built, X_OK) == 0) {
		*ret_path = ml_xstrdup(built);
		return 0;
	}
	return ml_err(
		-ENOENT,
		"no bundled kubectl at '%s' or '%s': build it with 'make iso' (as root)",
		installed, built);
}

int
ml_node_pick_port(int preferred, const int *avoid, int navoid, int *ret)
{
	for (int tries = 0; tries < 64; tries++) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_addr.s_addr =
						  htonl(INADDR_LOOPBACK) };
		socklen_t len = sizeof(sa);
		int port = 0, fd;
		bool clash = false;

		if (tries == 0 && preferred > 0) {
			port = preferred;
			if (!ml_tcp_port_free(port))
				continue;
		} else {
			fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (fd < 0)
				return ml_err(-errno,
					      "cannot open a socket: %s",
					      strerror(errno));
			if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
			    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
				int r = -errno;
				close(fd);
				return ml_err(
					r,
					"cannot find a free port on 127.0.0.1: %s",
					strerror(-r));
			}
			port = ntohs(sa.sin_port);
			close(fd);
		}
		for (int i = 0; i < navoid; i++)
			clash |= avoid[i] == port;
		if (!clash) {
			*ret = port;
			return 0;
		}
	}
	return ml_err(-EADDRINUSE, "cannot find a free port on 127.0.0.1");
}

/* --- the config drive --- */

struct drive {
	struct ml_iso_file *files;
	char **bufs;
	size_t n;
};

static void
drive_add(struct drive *d, const char *path, char *data, size_t len,
	  mode_t mode)
{
	d->files = ml_xrealloc(d->files, (d->n + 1) * sizeof(*d->files));
	d->bufs = ml_xrealloc(d->bufs, (d->n + 1) * sizeof(*d->bufs));
	d->files[d->n] = (struct ml_iso_file){ path, data, len, mode };
	d->bufs[d->n] = data;
	d->n++;
}

/*
 * Adds the file src (owned by d afterwards) as iso_path, with mode 0600 if
 * it is a private key, else 0644: the guest mounts the drive, and its
 * other accounts must not read a key there.
 */
static int
drive_add_file(struct drive *d, const char *iso_path, char *src, bool key)
{
	ml_autofree char *path = src;
	char *data;
	size_t len;
	int r = ml_read_file(path, &data, &len);

	if (r < 0)
		return ml_err(
			r,
			"certificate '%s' is missing: run 'minilaunch start' again to regenerate it",
			path);
	drive_add(d, iso_path, data, len, key ? 0600 : 0644);
	return 0;
}

int
ml_node_write_config_drive(const char *home, const char *profile,
			   const struct ml_node_paths *p, bool kubernetes,
			   const char *kubernetes_version,
			   const struct ml_netconf *net)
{
	/* Certificates of the CAs, never their keys: the host signs. */
	static const char *const certs[] = {
		ML_PKI_CA_CERT,
		ML_PKI_DOCKER_CA_CERT,
		"apiserver.crt",
		"apiserver.key",
		"apiserver-kubelet-client.crt",
		"apiserver-kubelet-client.key",
		"kubelet.crt",
		"kubelet.key",
		"kube-proxy.crt",
		"kube-proxy.key",
		"kube-controller-manager.crt",
		"kube-controller-manager.key",
		"kube-scheduler.crt",
		"kube-scheduler.key",
		"sa.key",
		"sa.pub",
		"docker-server.crt",
		"docker-server.key",
	};
	static char *const iso_names[] = {
		"certs/" ML_PKI_CA_CERT,
		"certs/" ML_PKI_DOCKER_CA_CERT,
		"certs/apiserver.crt",
		"certs/apiserver.key",
		"certs/apiserver-kubelet-client.crt",
		"certs/apiserver-kubelet-client.key",
		"certs/kubelet.crt",
		"certs/kubelet.key",
		"certs/kube-proxy.crt",
		"certs/kube-proxy.key",
		"certs/kube-controller-manager.crt",
		"certs/kube-controller-manager.key",
		"certs/kube-scheduler.crt",
		"certs/kube-scheduler.key",
		"certs/sa.key",
		"certs/sa.pub",
		"certs/docker-server.crt",
		"certs/docker-server.key",
	};
	static const struct ml_netconf online = { .offline = false };
	struct drive d = { NULL, NULL, 0 };
	ml_autofree char *netset = NULL;
	char *settings, *text;
	int r;

	if (!net)
		net = &online;
	netset = ml_netconf_settings(net);

	settings =
		ml_xasprintf("HOSTNAME=%s\nNODE_NAME=%s\nNODE_IP=" ML_NODE_IP
			     "\n"
			     "KUBERNETES=%s\nKUBERNETES_VERSION=%s\n"
			     "SERVICE_CIDR=10.96.0.0/12\nPOD_CIDR=10.244.0.0/16\n"
			     "CLUSTER_DNS=10.96.0.10\nCLUSTER_DOMAIN=cluster.local\n"
			     "APISERVER_PORT=8443\nDOCKER_PORT=2376\n%s",
			     profile, profile, kubernetes ? "true" : "false",
			     kubernetes_version, netset);
	drive_add(&d, "settings.env", settings, strlen(settings), 0644);
	text = ml_netconf_daemon_json(net);
	if (text)
		drive_add(&d, "docker/daemon.json", text, strlen(text), 0644);
	text = ml_netconf_proxy_env(net, profile);
	if (text)
		drive_add(&d, "proxy.env", text, strlen(text), 0600);
	_Static_assert(ML_ARRAY_SIZE(certs) == ML_ARRAY_SIZE(iso_names),
		       "one name on the drive per file");
	r = 0;
	for (size_t i = 0; r >= 0 && i < ML_ARRAY_SIZE(certs); i++)
		r = drive_add_file(&d, iso_names[i],
				   ml_xasprintf("%s/%s", p->certs_dir,
						certs[i]),
				   ml_endswith(certs[i], ".key"));
	if (r >= 0)
		r = drive_add_file(&d, "ssh/authorized_keys",
				   ml_pki_ssh_pub_path(home, profile), false);
	/* the node's host key comes from here, so that ssh can pin it */
	if (r >= 0)
		r = ml_pki_ensure_ssh_host_key(home, profile);
	if (r >= 0)
		r = drive_add_file(&d, "ssh/ssh_host_key",
				   ml_pki_ssh_host_key_path(home, profile),
				   true);
	if (r >= 0)
		r = drive_add_file(&d, "ssh/ssh_host_key.pub",
				   ml_pki_ssh_host_pub_path(home, profile),
				   false);
	if (r >= 0)
		r = ml_mkdir_p(p->machine_dir, 0700);
	if (r >= 0)
		r = ml_iso_write(p->config_iso, "MLCONFIG", d.files, d.n);
	for (size_t i = 0; i < d.n; i++)
		free(d.bufs[i]);
	free(d.bufs);
	free(d.files);
	return r;
}
