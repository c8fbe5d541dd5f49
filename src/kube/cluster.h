/*
 * kube/cluster.h: the k8s client (kube/k8s.h) for a profile's own API
 * server, forwarded to 127.0.0.1:port, authenticated as the profile's
 * admin (base/pki.h), and the readiness checks `start` and `status` make
 * through it.
 *
 * The checks return 0 when ready, else -errno with a message (the
 * client's own for a failed request, see kube/k8s.h).
 */
#ifndef ML_CLUSTER_H
#define ML_CLUSTER_H

#include <stddef.h>

struct ml_k8s;

/*
 * A client for https://127.0.0.1:port as profile's admin, each request
 * bounded by timeout_ms (0: the client's default). *ret: free with
 * ml_k8s_free(). Fails as ml_k8s_new() does (-ENOENT naming a missing
 * certificate).
 */
int ml_cluster_client(const char *home, const char *profile, int port,
		      long timeout_ms, struct ml_k8s **ret);

/*
 * The API server is ready: /readyz says so and a real list (namespaces)
 * has items, since /readyz can say ok while JSON responses fail
 * (-EBADMSG, "the API server at 127.0.0.1:PORT answers /readyz but lists
 * no namespaces").
 */
int ml_cluster_probe_apiserver(const char *home, const char *profile, int port,
			       long timeout_ms);

/*
 * The node named profile has the condition Ready=True (-EAGAIN, "node
 * 'NAME' is not Ready yet", when it has not).
 */
int ml_cluster_node_ready(const char *home, const char *profile, int port,
			  long timeout_ms);

/*
 * The readers behind the calls above and `service`, on a document already
 * fetched (exposed for tests and fuzzing). Every field is type-checked: a
 * missing or null one counts as absent, a wrong-typed one is -EBADMSG
 * with a message; none crashes on any JSON.
 *
 * ml_cluster_read_items(): *ret_n, the number of the List's items (0 when
 * absent or null); -EBADMSG, "the list's items are not an array".
 *
 * ml_cluster_read_node_ready(): 0 when node (a Node named name) has the
 * condition Ready=True, -EAGAIN ("node 'NAME' is not Ready yet") when it
 * has not, -EBADMSG when status.conditions is not an array.
 *
 * ml_cluster_read_node_ports(): the spec.ports[].nodePort of svc (a
 * Service named name) in order, the ports without one skipped. *ret_ports:
 * caller frees (set also when *ret_n is 0). -EBADMSG ("service 'NAME' has
 * no ports") when spec.ports is not an array, or naming a nodePort that
 * is not an integer in 1..65535.
 */
struct json_object;
int ml_cluster_read_items(struct json_object *list, size_t *ret_n);
int ml_cluster_read_node_ready(const char *name, struct json_object *node);
int ml_cluster_read_node_ports(const char *name, struct json_object *svc,
			       int **ret_ports, size_t *ret_n);

#endif
