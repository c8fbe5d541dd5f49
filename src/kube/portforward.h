/*
 * kube/portforward.h: a pod's port on 127.0.0.1, `kubectl port-forward`.
 *
 * Each connection accepted on 127.0.0.1:LOCAL gets a WebSocket of its
 * own to the pod's portforward subresource (one port, offered as
 * v4.channel.k8s.io, the kubelet streaming server's protocol): channel 0
 * carries the data, channel 1 the errors, and the server's first frame on
 * each is the port, 2 bytes little-endian, which is dropped. A connection
 * ends when either side closes it; an error on channel 1 ends it too
 * (logged when asked).
 *
 * The I/O runs in a thread of the handle's own, from open to close: the
 * caller's thread is free, and may go on using the client c, which the
 * thread only reads (its fixed settings: ml_k8s_setup_curl()). c must
 * outlive the handle. Nothing listens beyond 127.0.0.1.
 */
#ifndef ML_PORTFORWARD_H
#define ML_PORTFORWARD_H

struct ml_k8s;
struct ml_portforward;

/* Flags of ml_portforward_open(). */
enum {
	/* A connection's failure as one warning line on stderr (the command
	 * line's way; the dashboard leaves it off: its screen is curses'). */
	ML_PORTFORWARD_LOG = 1 << 0,
};

/*
 * Listens on 127.0.0.1:local_port (0: any free port) and forwards to
 * remote_port of pod in ns (NULL: "default") until
 * ml_portforward_close(). Returns 0 with *ret (caller closes) and
 * *ret_port, the local port; -EADDRINUSE ("local port N is in use ...")
 * when the port is taken, -EINVAL for a port out of 1-65535 (0 allowed
 * for local), -errno for the listener. The pod is not checked here: a
 * missing pod or port fails each connection (closed at once, logged).
 */
int ml_portforward_open(struct ml_k8s *c, const char *ns, const char *pod,
			int remote_port, int local_port, unsigned flags,
			struct ml_portforward **ret, int *ret_port);

/* Stops the thread, closes the listener and every connection, frees pf.
 * Returns NULL; NULL is ignored. */
struct ml_portforward *ml_portforward_close(struct ml_portforward *pf);

#endif
