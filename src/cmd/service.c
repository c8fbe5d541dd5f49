/*
 * cmd/service.c: `minilaunch service NAME [-n NS] [--url]`: reach a
 * NodePort service from the host. The VM's NodePort is forwarded to a free
 * port on 127.0.0.1 through the QEMU monitor, once per boot.
 */
#include "config.h"

#include "cmd/command.h"
#include "kube/cluster.h"
#include "kube/k8s.h"
#include "machine/driver.h"
#include "machine/node.h"
#include "base/profile.h"
#include "base/util.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_NAMESPACE, OPT_URL };

static const struct ml_option service_options[] = {
	[OPT_NAMESPACE] = { "namespace", 'n', "NS",
			    "the service's namespace (default 'default')",
			    NULL },
	[OPT_URL] = { "url", 0, NULL, "print only the URLs, one per line",
		      NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

extern const struct ml_command ml_cmd_service;

static int
check_args(const struct ml_args *a)
{
	if (a->argc != 1)
		return ml_command_usage_error(&ml_cmd_service,
					      "give one service name");
	return 0;
}

static int
run_service(const struct ml_globals *g, const struct ml_args *a)
{
	const char *ns = a->opt[OPT_NAMESPACE] ? a->opt[OPT_NAMESPACE]
					       : "default";
	struct ml_profile *p = NULL;
	struct ml_driver *d = NULL;
	struct ml_k8s *c = NULL;
	struct json_object *svc = NULL;
	ml_autofree char *path = NULL;
	ml_autofree int *ports = NULL;
	size_t nports = 0, nurls = 0;
	int aport, r;

	r = ml_profile_open(g->home, g->profile, ML_PROFILE_LOCK, &p);
	if (r < 0)
		return r;
	aport = ml_profile_state_port(p, "apiserver");
	if (!aport) {
		r = ml_err(-EHOSTDOWN,
			   "profile '%s' has no API server port in its state: run 'minilaunch -p %s start' to repair it",
			   g->profile, g->profile);
		goto out;
	}
	path = ml_xasprintf("/api/v1/namespaces/%s/services/%s", ns,
			    a->argv[0]);
	r = ml_cluster_client(g->home, g->profile, aport, 30000, &c);
	if (r >= 0)
		r = ml_k8s_get(c, path, &svc);
	c = ml_k8s_free(c);
	if (r == -ENOENT)
		r = ml_err(-ENOENT,
			   "service '%s' not found in namespace '%s': check 'minilaunch kubectl -- get svc -n %s'",
			   a->argv[0], ns, ns);
	if (r < 0)
		goto out;
	r = ml_cluster_read_node_ports(a->argv[0], svc, &ports, &nports);
	if (r < 0)
		goto out;
	r = ml_driver_open(ml_profile_get_or_default(p, "driver-uri"), g->home,
			   &d);
	for (size_t i = 0; r >= 0 && i < nports; i++) {
		ml_autofree char *key = NULL;
		int nodeport = ports[i], host;

		key = ml_xasprintf("nodeport-%d", nodeport);
		host = ml_profile_state_port(p, key);
		if (!host || !ml_tcp_port_open(host)) {
			r = ml_node_pick_port(0, NULL, 0, &host);
			if (r >= 0)
				r = ml_driver_forward(d, g->profile, host,
						      nodeport);
			if (r < 0)
				break;
			ml_profile_state_set_port(p, key, host);
		}
		if (a->opt[OPT_URL])
			printf("http://127.0.0.1:%d\n", host);
		else
			printf("%s\t%s\t%d\thttp://127.0.0.1:%d\n", ns,
			       a->argv[0], nodeport, host);
		nurls++;
	}
	if (r >= 0 && nurls == 0)
		r = ml_err(-ENOENT,
			   "service '%s' has no NodePort: expose it with --type=NodePort",
			   a->argv[0]);
	if (r >= 0)
		r = ml_profile_save(p);
out:
	json_object_put(svc);
	ml_driver_close(d);
	ml_profile_free(p);
	return r;
}

const struct ml_command ml_cmd_service = {
	.name = "service",
	.flags = ML_CMD_NEEDS_RUNNING,
	.check_args = check_args,
	.summary =
		"Print the URL of a NodePort service, forwarding it to this host",
	.usage = "service NAME [-n NAMESPACE] [--url]",
	.description =
		"Looks the service up through the API, forwards each of its NodePorts\n"
		"to a free port on 127.0.0.1 (through the QEMU monitor; the forward\n"
		"lasts until the VM stops) and prints the URLs.",
	.options = service_options,
	.run = run_service,
};
