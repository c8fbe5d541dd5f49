/*
 * cmd/status.c: `minilaunch status`: host, docker, kubelet, apiserver and
 * kubeconfig, measured, with minikube's exit-code bitmask: 1 host not
 * running, 2 kubelet or apiserver not running, 4 kubeconfig not pointing
 * at the cluster.
 */
#include "config.h"

#include "cmd/command.h"
#include "kube/addons.h"
#include "kube/cluster.h"
#include "kube/k8s.h"
#include "kube/kubeconfig.h"
#include "kube/pod_hints.h"
#include "machine/driver.h"
#include "machine/netconf.h"
#include "machine/node.h"
#include "machine/probe.h"
#include "base/log.h"
#include "base/profile.h"
#include "base/util.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_OUTPUT };

static const char *const output_values[] = { "text", "json", NULL };

static const struct ml_option status_options[] = {
	[OPT_OUTPUT] = { "output", 'o', "FORMAT", "text (default) or json",
			 output_values },
	{ NULL, 0, NULL, NULL, NULL },
};

extern const struct ml_command ml_cmd_status;

#define HOST_DOWN 1
#define CLUSTER_DOWN 2
#define KUBECONFIG_WRONG 4

/* A setting as the node's last start recorded it in the state, else (a
 * profile not started since, whose state has no "network") the profile's
 * setting; NULL when unset. */
static const char *
node_value(const struct ml_profile *p, const char *key)
{
	const char *v;

	if (!p)
		return NULL;
	if (ml_profile_state_str(p, "network"))
		v = ml_profile_state_str(p, key);
	else
		v = ml_profile_get(p, key);
	return v && *v ? v : NULL;
}

/* "addons": {NAME: on for the profile}; a catalogue that cannot be read
 * leaves it out, with a warning (addons list says more). */
static void
addons_status(const struct ml_globals *g, const struct ml_profile *p,
	      struct json_object *o)
{
	struct ml_addons *cat = NULL;
	struct json_object *on;

	if (ml_addons_load_profile(g->home, g->profile, p, ML_NODE_IP, &cat) <
	    0) {
		ml_log_warn("%s, ignoring", ml_err_msg());
		ml_err_clear();
		return;
	}
	on = json_object_new_object();
	for (size_t i = 0; i < cat->n; i++)
		json_object_object_add(on, cat->v[i].name,
				       json_object_new_boolean(ml_addon_enabled(
					       &cat->v[i],
					       p ? ml_profile_get(p, "addons")
						 : NULL)));
	json_object_object_add(o, "addons", on);
	ml_addons_free(cat);
}

/*
 * The node's network as its last start set it up (docs/networking.md):
 * "network", "hostAlias", "proxy" (the variables the node got),
 * "registryMirrors" and "insecureRegistries" into o, or, with o NULL, a
 * text line.
 */
static void
network_status(const struct ml_profile *p, struct json_object *o)
{
	static const char *const keys[ML_NETCONF_NPROXY] = { "http-proxy",
							     "https-proxy",
							     "no-proxy" };
	const char *net = node_value(p, "network");
	struct json_object *proxy;

	if (!net)
		net = p ? ml_profile_get_or_default(p, "network")
			: ml_profile_default("network");
	if (!o) {
		printf("network: %s\n", net);
		return;
	}
	json_object_object_add(o, "network", json_object_new_string(net));
	json_object_object_add(o, "hostAlias",
			       json_object_new_string(ML_NETCONF_HOST_ALIAS));
	proxy = json_object_new_object();
	/* proxies the node got: start records them (the host's included) */
	for (int i = 0; p && i < ML_NETCONF_NPROXY; i++) {
		const char *v = ml_profile_state_str(p, keys[i]);
		if (v && *v)
			json_object_object_add(proxy, ml_netconf_proxy_vars[i],
					       json_object_new_string(v));
	}
	json_object_object_add(o, "proxy", proxy);
	json_object_object_add(o, "registryMirrors",
			       ml_netconf_list_json(
				       node_value(p, "registry-mirror")));
	json_object_object_add(o, "insecureRegistries",
			       ml_netconf_list_json(
				       node_value(p, "insecure-registry")));
}

/*
 * The pods stuck on their image with a hint (kube/pod_hints.h), after the
 * health lines: one "  pod NS/NAME: REASON (IMAGE): HINT" line each, or,
 * with o, its "pods" array (empty when none). Only when the API server
 * answers; a failed list is left out, as status reports, not fails.
 */
static void
add_pod_problems(const struct ml_globals *g, struct ml_profile *p, bool up,
		 struct json_object *o)
{
	struct json_object *arr = o ? json_object_new_array() : NULL;
	struct json_object *list = NULL;
	struct ml_pod_problem **v = NULL;
	struct ml_k8s *c = NULL;
	size_t n = 0;
	bool offline;

	if (o)
		json_object_object_add(o, "pods", arr);
	if (!p || !up)
		return;
	offline = strcmp(ml_profile_get_or_default(p, "network"), "offline") ==
		  0;
	if (ml_cluster_client(g->home, g->profile,
			      ml_profile_state_port(p, "apiserver"), 10000,
			      &c) < 0 ||
	    ml_k8s_list(c, "/api/v1/pods", false, 0, NULL, &list) < 0 ||
	    ml_pod_hints_list(list, g->profile, offline, &v, &n) < 0) {
		ml_log_debug("pods not listed: %s",
			     ml_err_msg() ? ml_err_msg() : "?");
		ml_err_clear();
		n = 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (arr) {
			json_object_array_add(arr, ml_pod_problem_json(v[i]));
		} else {
			ml_autofree char *line = ml_pod_problem_line(v[i]);
			printf("  %s\n", line);
		}
	}
	ml_pod_problems_free(v, n);
	json_object_put(list);
	ml_k8s_free(c);
}

static int
run_status(const struct ml_globals *g, const struct ml_args *a)
{
	const char *fmt = a->opt[OPT_OUTPUT] ? a->opt[OPT_OUTPUT] : "text";
	const char *host = "Nonexistent", *docker = "Stopped",
		   *kubelet = "Stopped";
	const char *apiserver = "Stopped", *kcstate = "Misconfigured";
	struct ml_profile *p = NULL;
	struct ml_driver *d = NULL;
	enum ml_machine_state st = ML_MACHINE_NONE;
	ml_autofree char *kc = ml_kubeconfig_default_path();
	ml_autofree char *server = NULL, *want = NULL;
	bool kubernetes = true;
	int code = 0, r;

	if (a->argc)
		return ml_command_usage_error(&ml_cmd_status,
					      "status takes no arguments");
	if (strcmp(fmt, "text") && strcmp(fmt, "json"))
		return ml_command_usage_error(&ml_cmd_status,
					      "invalid output format '%s'",
					      fmt);
	r = ml_profile_open(g->home, g->profile, 0, &p);
	if (r < 0 && r != -ENOENT)
		return r;
	ml_err_clear();
	if (p) {
		const char *k = ml_profile_state_str(p, "kubernetes");
		kubernetes = !k || strcmp(k, "false") != 0;
		r = ml_driver_open(ml_profile_get_or_default(p, "driver-uri"),
				   g->home, &d);
		if (r >= 0)
			r = ml_driver_state(d, g->profile, &st);
		ml_driver_close(d);
		if (r < 0)
			goto out;
		host = ml_machine_state_name(st);
	}
	if (st == ML_MACHINE_RUNNING) {
		int dport = ml_profile_state_port(p, "docker");
		int aport = ml_profile_state_port(p, "apiserver");

		if (dport &&
		    ml_probe_docker(g->home, g->profile, dport, 10000) >= 0)
			docker = "Running";
		if (kubernetes && aport &&
		    ml_cluster_probe_apiserver(g->home, g->profile, aport,
					       10000) >= 0)
			apiserver = "Running";
		if (kubernetes && aport &&
		    ml_cluster_node_ready(g->home, g->profile, aport, 10000) >=
			    0)
			kubelet = "Running";
		ml_err_clear();
		want = ml_xasprintf("https://127.0.0.1:%d", aport);
	}
	if (ml_kubeconfig_context_server(kc, g->profile, &server) >= 0 &&
	    server && want && strcmp(server, want) == 0)
		kcstate = "Configured";
	ml_err_clear();
	if (st != ML_MACHINE_RUNNING)
		code |= HOST_DOWN;
	if (kubernetes &&
	    (strcmp(kubelet, "Running") || strcmp(apiserver, "Running")))
		code |= CLUSTER_DOWN;
	if (kubernetes && strcmp(kcstate, "Configured"))
		code |= KUBECONFIG_WRONG;
	if (!kubernetes)
		kubelet = apiserver = kcstate = "Disabled";

	if (strcmp(fmt, "json") == 0) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "name",
				       json_object_new_string(g->profile));
		json_object_object_add(o, "host", json_object_new_string(host));
		json_object_object_add(o, "docker",
				       json_object_new_string(docker));
		json_object_object_add(o, "kubelet",
				       json_object_new_string(kubelet));
		json_object_object_add(o, "apiserver",
				       json_object_new_string(apiserver));
		json_object_object_add(o, "kubeconfig",
				       json_object_new_string(kcstate));
		network_status(p, o);
		addons_status(g, p, o);
		add_pod_problems(g, p, !strcmp(apiserver, "Running"), o);
		puts(json_object_to_json_string_ext(
			o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
		json_object_put(o);
	} else {
		printf("%s\ntype: Control Plane\nhost: %s\ndocker: %s\nkubelet: %s\n"
		       "apiserver: %s\nkubeconfig: %s\n",
		       g->profile, host, docker, kubelet, apiserver, kcstate);
		network_status(p, NULL);
		add_pod_problems(g, p, !strcmp(apiserver, "Running"), NULL);
	}
	r = code;
out:
	ml_profile_free(p);
	return r;
}

const struct ml_command ml_cmd_status = {
	.name = "status",
	.summary =
		"Show whether the cluster's VM, Docker, kubelet and API server run",
	.usage = "status [-o text|json]",
	.description =
		"Asks libvirt for the VM's state and probes dockerd over TLS, the API\n"
		"server (/readyz and a real list) and the node's Ready condition, and\n"
		"checks that the kubeconfig context points at the cluster. Exit code:\n"
		"a bitmask of 1 (host not running), 2 (kubelet or API server not running)\n"
		"and 4 (kubeconfig not pointing at the cluster); 0 when all is well.",
	.options = status_options,
	.run = run_status,
};
