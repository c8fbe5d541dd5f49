/* kube/cluster.c: the profile's own API server, as its admin. */
#include "config.h"

#include "kube/cluster.h"

#include "base/pki.h"
#include "base/util.h"
#include "kube/k8s.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

int
ml_cluster_client(const char *home, const char *profile, int port,
		  long timeout_ms, struct ml_k8s **ret)
{
	struct ml_k8s_config cfg = { 0 };
	int r;

	cfg.context = ml_xstrdup(profile);
	cfg.server = ml_xasprintf("https://127.0.0.1:%d", port);
	cfg.namespace = ml_xstrdup("default");
	ml_pki_admin_files(home, profile, &cfg.ca_file, &cfg.cert_file,
			   &cfg.key_file);
	r = ml_k8s_new(&cfg, ret);
	if (r >= 0 && timeout_ms > 0)
		ml_k8s_set_timeout(*ret, timeout_ms);
	free(cfg.context);
	free(cfg.server);
	free(cfg.namespace);
	free(cfg.ca_file);
	free(cfg.cert_file);
	free(cfg.key_file);
	return r;
}

int
ml_cluster_read_items(struct json_object *list, size_t *ret_n)
{
	struct json_object *items = ml_json_get(list, "items");

	/* "items": null is how Go writes an empty slice. */
	if (!items) {
		*ret_n = 0;
		return 0;
	}
	if (!json_object_is_type(items, json_type_array))
		return ml_err(-EBADMSG, "the list's items are not an array");
	*ret_n = json_object_array_length(items);
	return 0;
}

int
ml_cluster_probe_apiserver(const char *home, const char *profile, int port,
			   long timeout_ms)
{
	struct ml_k8s *c = NULL;
	struct json_object *list = NULL;
	ml_autofree char *text = NULL;
	size_t n = 0;
	int r;

	r = ml_cluster_client(home, profile, port, timeout_ms, &c);
	if (r >= 0)
		r = ml_k8s_get_text(c, "/readyz", &text);
	/* /readyz can say ok while JSON responses fail: list something real */
	if (r >= 0)
		r = ml_k8s_list(c, "/api/v1/namespaces", false, 0, NULL, &list);
	if (r >= 0 && (ml_cluster_read_items(list, &n) < 0 || n == 0))
		r = ml_err(-EBADMSG,
			   "the API server at 127.0.0.1:%d answers /readyz but lists no namespaces",
			   port);
	json_object_put(list);
	ml_k8s_free(c);
	return r;
}

int
ml_cluster_read_node_ready(const char *name, struct json_object *node)
{
	struct json_object *conds = ml_json_get(node, "status.conditions");
	size_t n;

	if (conds && !json_object_is_type(conds, json_type_array))
		return ml_err(
			-EBADMSG,
			"node '%s' has status.conditions that are not an array",
			name);
	n = conds ? json_object_array_length(conds) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(conds, i);
		/* ml_json_str(): NULL for a missing, null or non-string one */
		const char *t = ml_json_str(c, "type");
		const char *s = ml_json_str(c, "status");

		if (t && s && strcmp(t, "Ready") == 0 && strcmp(s, "True") == 0)
			return 0;
	}
	return ml_err(-EAGAIN, "node '%s' is not Ready yet", name);
}

int
ml_cluster_node_ready(const char *home, const char *profile, int port,
		      long timeout_ms)
{
	ml_autofree char *path = ml_xasprintf("/api/v1/nodes/%s", profile);
	struct ml_k8s *c = NULL;
	struct json_object *node = NULL;
	int r;

	r = ml_cluster_client(home, profile, port, timeout_ms, &c);
	if (r >= 0)
		r = ml_k8s_get(c, path, &node);
	if (r >= 0)
		r = ml_cluster_read_node_ready(profile, node);
	json_object_put(node);
	ml_k8s_free(c);
	return r;
}

int
ml_cluster_read_node_ports(const char *name, struct json_object *svc,
			   int **ret_ports, size_t *ret_n)
{
	struct json_object *ports = ml_json_get(svc, "spec.ports");
	int *out = NULL;
	size_t n = 0, len;

	if (!json_object_is_type(ports, json_type_array))
		return ml_err(-EBADMSG, "service '%s' has no ports", name);
	len = json_object_array_length(ports);
	out = ml_xmalloc((len ? len : 1) * sizeof(*out));
	for (size_t i = 0; i < len; i++) {
		struct json_object *np =
			ml_json_get(json_object_array_get_idx(ports, i),
				    "nodePort");

		if (!np)
			continue;
		if (!json_object_is_type(np, json_type_int) ||
		    json_object_get_int64(np) < 1 ||
		    json_object_get_int64(np) > 65535) {
			free(out);
			return ml_err(
				-EBADMSG,
				"service '%s' has a nodePort that is not a port number: '%s'",
				name, json_object_to_json_string(np));
		}
		out[n++] = (int)json_object_get_int64(np);
	}
	*ret_ports = out;
	*ret_n = n;
	return 0;
}
