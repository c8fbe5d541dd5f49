/*
 * kube/exec.h: a command in a pod's container over the API's exec stream,
 * `kubectl exec [-i] [-t]` semantics.
 *
 * The stream is a WebSocket (kube/k8s_ws.h) of the channel protocols,
 * offered as v5.channel.k8s.io, v4.channel.k8s.io, channel.k8s.io: each
 * message's first byte is its channel, stdin 0, stdout 1, stderr 2, error
 * 3 (v4 and v5: the v1 Status that carries the exit code; channel.k8s.io:
 * an error's text), resize 4 ({"Width":W,"Height":H}). The end of the
 * local input reaches the command only with v5 (its close signal, channel
 * 255): the kubelets of Kubernetes before 1.30 speak v4 at most, where a
 * command that reads its input to the end (cat) goes on until the stream
 * ends otherwise, as with kubectl over WebSockets.
 *
 * With a terminal, the local one is put in raw mode for the session and
 * its size sent at the start and on every SIGWINCH; the terminal's
 * settings and the signal handlers are restored on every way out: the end
 * of the command, an error, and SIGINT, SIGTERM, SIGHUP or SIGQUIT (then
 * -EINTR).
 */
#ifndef ML_EXEC_H
#define ML_EXEC_H

#include <stdbool.h>
#include <stddef.h>

struct ml_k8s;

struct ml_exec_opts {
	const char *ns; /* NULL: "default" */
	const char *pod;
	const char *container; /* NULL: the pod's only one */
	char *const *argv;     /* NULL-terminated; NULL or empty: "sh" */
	bool in;	       /* send in_fd as the command's input (-i) */
	bool tty;	       /* a terminal (-t): in_fd must be one */
	int in_fd, out_fd, err_fd;
};

/*
 * Runs o->argv in the pod and copies the streams until the command ends.
 * Returns 0 with *ret_status the command's exit status (0-255), or
 * -errno: the stream's errors (kube/k8s_ws.h), -ENOTTY for tty without a
 * terminal on in_fd, -EIO with the Status message when the exec failed
 * without an exit code (no such command, container not running), -EINTR
 * when a signal ended a terminal session.
 */
int ml_exec_run(struct ml_k8s *c, const struct ml_exec_opts *o,
		int *ret_status);

/*
 * The dashboard's shell: argv in the container with a terminal on
 * stdin/stdout. The caller has left curses; the terminal comes back as it
 * was. As ml_exec_run().
 */
int ml_exec_tty(struct ml_k8s *c, const char *ns, const char *pod,
		const char *container, char *const argv[], int *ret_status);

/*
 * The exit status in what the error channel carried (text, len bytes)
 * under protocol (ml_ws_protocol()): 0 for a Success Status or nothing;
 * the ExitCode cause of a NonZeroExitCode Status; else -EIO with the
 * message. For tests and fuzzing too.
 */
int ml_exec_read_status(const char *protocol, const char *text, size_t len,
			int *ret_status);

#endif
