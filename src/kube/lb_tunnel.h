/*
 * kube/lb_tunnel.h: the controller of `minilaunch tunnel` (docs/tunnel.md).
 *
 * It watches the Services of every namespace and, for each of type
 * LoadBalancer, forwards each TCP port P on 127.0.0.1 to the port's
 * NodePort on the node and gives the Service an ingress IP of 127.0.0.1
 * in status.loadBalancer (through the status subresource), as minikube's
 * tunnel does on its docker driver. A Service that goes away, or stops
 * being a LoadBalancer, loses its forwards (and, while it exists, the
 * status). A host port already taken (on this host, or by another
 * Service's forward) is never moved: it is reported once on that Service
 * as a Warning Event of reason PortInUse and as one line on out. A
 * forward the forwarder refuses is reported the same way, reason
 * ForwardFailed.
 *
 * The forwarding itself is the caller's (kube does not reach the VM):
 * struct ml_lb_forwarder. `tunnel` gives one that asks the driver
 * (machine/driver.h); tests give a recording stand-in.
 *
 * What the controller has made (forwards and statuses) is kept in a state
 * file, rewritten atomically at each change and removed by
 * ml_lb_tunnel_stop(), so that ml_lb_tunnel_cleanup() can undo what a
 * killed tunnel left.
 */
#ifndef ML_LB_TUNNEL_H
#define ML_LB_TUNNEL_H

#include <stdbool.h>
#include <stdio.h>

struct ml_k8s;

/* The forwards on the host, 127.0.0.1:host_port to node_port on the
 * node. Both return 0 or -errno with a message; removing a forward that
 * is not there is not an error. */
struct ml_lb_forwarder {
	int (*add)(void *ud, int host_port, int node_port);
	int (*remove)(void *ud, int host_port);
	void *ud;
};

struct ml_lb_tunnel;

/*
 * Takes the tunnel's lock at path (a file, created 0600) without waiting:
 * returns the descriptor to close() to release it, -EBUSY with a message
 * ("a tunnel already runs for profile 'NAME' (pid N)") when another process
 * holds it, or -errno. The holder's pid is written into the file.
 */
int ml_lb_tunnel_lock(const char *path, const char *profile);

/*
 * A controller on client c (borrowed: it must outlive the controller),
 * forwarding through fw (copied), keeping its state in state_path (copied)
 * and writing its lines to out (borrowed; NULL: none). Starts the watch
 * of /api/v1/services: its first list's failure is this function's error.
 * Nothing is forwarded until ml_lb_tunnel_poll() delivers the list.
 */
int ml_lb_tunnel_new(struct ml_k8s *c, const struct ml_lb_forwarder *fw,
		     const char *state_path, FILE *out,
		     struct ml_lb_tunnel **ret);

/* How often a port reported taken is tried again: once it is free it is
 * forwarded, saying so, without a second report while it stays taken. */
#define ML_LB_TUNNEL_RETRY_MS 5000

/*
 * Runs the watch for at most timeout_ms (returning early on events or when
 * extra_fd, -1 for none, is readable), acting on what it delivers.
 * Returns the number of events, or -errno.
 */
int ml_lb_tunnel_poll(struct ml_lb_tunnel *t, int timeout_ms, int extra_fd);

/* False from a broken watch (the API server went away) until the watch is
 * back. */
bool ml_lb_tunnel_connected(const struct ml_lb_tunnel *t);

/* The number of forwards in place now. */
size_t ml_lb_tunnel_nforwards(const struct ml_lb_tunnel *t);

/*
 * Removes every forward, clears every status the controller set, and
 * removes the state file. Goes on past failures; returns the first one.
 * With api false (the API server is gone) it leaves the statuses, and the
 * state file for ml_lb_tunnel_cleanup() to clear them later.
 */
int ml_lb_tunnel_stop(struct ml_lb_tunnel *t, bool api);

/* Stops the watch and frees t; forwards and statuses stay. NULL is fine. */
struct ml_lb_tunnel *ml_lb_tunnel_free(struct ml_lb_tunnel *t);

/*
 * Undoes what the state file at state_path records (left by a tunnel that
 * was killed): removes its forwards through fw, clears the statuses it set
 * (of the same Service, by uid, and only while they still say 127.0.0.1),
 * then removes the file. *ret_n (may be NULL): how many forwards and
 * statuses it recorded. A missing file is 0 with *ret_n 0. Returns the
 * first failure (-EBADMSG naming the file for one that is not ours).
 */
int ml_lb_tunnel_cleanup(struct ml_k8s *c, const struct ml_lb_forwarder *fw,
			 const char *state_path, FILE *out, size_t *ret_n);

#endif
