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
ml_cluster_probe_apiserver(const char *home, const char *profile, int port,
			   long timeout_ms)
{
	struct ml_k8s *c = NULL;
	struct json_object *list = NULL, *items;
	ml_autofree char *text = NULL;
	int r;

	r = ml_cluster_client(home, profile, port, timeout_ms, &c);
	if (r >= 0)
		r = ml_k8s_get_text(c, "/readyz", &text);
	/* /readyz can say ok while JSON responses fail: list something real */
	if (r >= 0)
		r = ml_k8s_list(c, "/api/v1/namespaces", false, 0, NULL, &list);
	if (r >= 0 && !(json_object_object_get_ex(list, "items", &items) &&
			json_object_array_length(items) > 0))
		r = ml_err(-EBADMSG,
			   "the API server at 127.0.0.1:%d answers /readyz but lists no namespaces",
			   port);
	json_object_put(list);
	ml_k8s_free(c);
	return r;
}

/* Whether node (a Node object) has the condition Ready=True. */
static bool
node_is_ready(struct json_object *node)
{
	struct json_object *conds = ml_json_get(node, "status.conditions");

	for (size_t i = 0; conds && i < json_object_array_length(conds); i++) {
		struct json_object *c = json_object_array_get_idx(conds, i);
		const char *t = ml_json_str(c, "type");
		const char *s = ml_json_str(c, "status");

		if (t && s && strcmp(t, "Ready") == 0 && strcmp(s, "True") == 0)
			return true;
	}
	return false;
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
	if (r >= 0 && !node_is_ready(node))
		r = ml_err(-EAGAIN, "node '%s' is not Ready yet", profile);
	json_object_put(node);
	ml_k8s_free(c);
	return r;
}
