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

#endif
