/*
 * machine/ssh.h: running a command on a profile's node over ssh, as the
 * user docker, with the profile's key (base/pki.h) and known_hosts
 * (machine/node.h), non-interactive and bounded to connect in 10 s.
 */
#ifndef ML_SSH_H
#define ML_SSH_H

/*
 * Runs command on the node whose sshd is forwarded to 127.0.0.1:port and
 * collects its standard output (at most 64 MiB; *ret_out: caller frees;
 * set whenever the command ran). Returns the command's exit status (>= 0;
 * 255 when ssh itself failed or was killed) or -errno with a message when
 * it could not run.
 */
int ml_ssh_capture(const char *home, const char *profile, int port,
		   const char *command, char **ret_out);

#endif
