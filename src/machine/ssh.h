/*
 * machine/ssh.h: running a command on a profile's node over ssh, as the
 * user docker, with the profile's key (base/pki.h), non-interactive and
 * bounded to connect in 10 s. The node's host key is pinned: the host made
 * it (ml_pki_ensure_ssh_host_key) and the config drive gave it to the
 * guest, so ssh accepts that key and no other, from a known_hosts file
 * (machine/node.h) rewritten before each run. Neither the user's ssh
 * configuration nor their agent takes part.
 */
#ifndef ML_SSH_H
#define ML_SSH_H

#include <stddef.h>

/* An ssh command line: argv (NULL-terminated) and the strings it owns. */
struct ml_ssh_args {
	const char **argv;
	size_t n;
	char *key, *known, *port;
};

/*
 * Writes the profile's known_hosts for the node's sshd forwarded to
 * 127.0.0.1:port ("[127.0.0.1]:PORT" and the public host key of
 * CERTS/ssh_host_key.pub) and fills *ret with ssh and its options, up to
 * the destination: add the options and "docker@127.0.0.1" with
 * ml_ssh_args_add (strings borrowed), release with ml_ssh_args_clear.
 * -ENOENT naming the fix when the profile has no host key yet, other
 * -errno with a message when known_hosts cannot be written.
 */
int ml_ssh_args_init(struct ml_ssh_args *ret, const char *home,
		     const char *profile, int port);
void ml_ssh_args_add(struct ml_ssh_args *a, const char *arg);
void ml_ssh_args_clear(struct ml_ssh_args *a);

/*
 * Runs command on the node whose sshd is forwarded to 127.0.0.1:port and
 * collects its standard output (at most 64 MiB; *ret_out: caller frees;
 * set whenever the command ran). Returns the command's exit status (>= 0;
 * 255 when ssh itself failed or was killed, a changed host key included)
 * or -errno with a message when it could not run.
 */
int ml_ssh_capture(const char *home, const char *profile, int port,
		   const char *command, char **ret_out);

#endif
