/*
 * machine/netconf.h: what the node is told about the network, as the text
 * of the config drive's files (docs/networking.md, docs/config-drive.md):
 * the settings.env lines, dockerd's daemon.json with registry mirrors and
 * insecure registries, and proxy.env with the proxies and a NO_PROXY that
 * always spares the cluster's own names and ranges. Pure functions but
 * ml_netconf_host_proxy (the environment); no I/O. The caller (start)
 * picks the values.
 */
#ifndef ML_NETCONF_H
#define ML_NETCONF_H

#include <stdbool.h>

struct json_object;

/* The host as the guest sees it: QEMU's gateway, which reaches the host's
 * 127.0.0.1 (online only: restrict=on blocks it). */
#define ML_NETCONF_HOST_ALIAS "host.minilaunch.internal"
#define ML_NETCONF_HOST_IP "10.0.2.2"

/* One node's network settings; strings borrowed, NULL or "" when unset. */
struct ml_netconf {
	bool offline;	   /* restrict=on: the guest reaches nothing outside */
	bool egress_guard; /* test hook: EGRESS_GUARD=gateway in the guest */
	const char *registry_mirrors;	 /* http(s) URLs, comma-separated */
	const char *insecure_registries; /* HOST[:PORT] or CIDR, ditto */
	const char *http_proxy, *https_proxy;
	const char *no_proxy; /* the user's, comma-separated */
};

/* The proxy variables, in the order ml_netconf_proxies() fills them. */
enum { ML_NETCONF_HTTP, ML_NETCONF_HTTPS, ML_NETCONF_NO, ML_NETCONF_NPROXY };
extern const char *const ml_netconf_proxy_vars[ML_NETCONF_NPROXY];

/*
 * This host's own value of the proxy variable var (one of
 * ml_netconf_proxy_vars): $VAR, else $var, as minikube and curl read
 * them; NULL when both are unset or empty. Borrowed from the environment.
 */
const char *ml_netconf_host_proxy(const char *var);

/*
 * A proxy URL as the guest must use it: a host of 127.0.0.1, localhost or
 * [::1] (the host's loopback) becomes ML_NETCONF_HOST_IP; anything else is
 * kept. Caller frees.
 */
char *ml_netconf_guest_proxy(const char *url);

/*
 * NO_PROXY for the node: the user's items (spaces around them dropped),
 * then localhost, 127.0.0.1, the node's IP, ML_NETCONF_HOST_ALIAS,
 * ML_NETCONF_HOST_IP, the service and pod ranges, .svc, .cluster.local,
 * cluster.local and node_name; empty and repeated items dropped, the first
 * kept. Caller frees.
 */
char *ml_netconf_no_proxy(const char *user, const char *node_name);

/*
 * The values the node's HTTP_PROXY, HTTPS_PROXY and NO_PROXY get, indexed
 * ML_NETCONF_*: all NULL when c sets neither proxy (no proxy.env is
 * written then), else the guest's proxies (NULL when unset) and the
 * composed NO_PROXY. Returns whether a proxy is set; the caller frees
 * each of ret[].
 */
bool ml_netconf_proxies(const struct ml_netconf *c, const char *node_name,
			char *ret[ML_NETCONF_NPROXY]);

/*
 * proxy.env: VAR=value lines, each variable of ml_netconf_proxies() in
 * upper then lower case; NULL when no proxy is set. Caller frees.
 */
char *ml_netconf_proxy_env(const struct ml_netconf *c, const char *node_name);

/*
 * A new JSON array of the non-empty comma-separated items of list (NULL
 * gives an empty one), as daemon.json and `status -o json` show them.
 */
struct json_object *ml_netconf_list_json(const char *list);

/*
 * dockerd's complete daemon.json: the node image's settings
 * (iso/rootfs/etc/docker/daemon.json) plus "registry-mirrors" and
 * "insecure-registries" when set; NULL when neither is set (the node then
 * keeps the image's own file). Caller frees.
 */
char *ml_netconf_daemon_json(const struct ml_netconf *c);

/* The settings.env lines NETWORK=, HOST_IP= and EGRESS_GUARD=, each ending
 * with a newline. Caller frees. */
char *ml_netconf_settings(const struct ml_netconf *c);

#endif
