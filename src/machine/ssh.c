/* machine/ssh.c: one command run on the node over ssh, its output kept. */
#include "config.h"

#include "machine/ssh.h"

#include "base/pki.h"
#include "base/util.h"
#include "machine/node.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Reads fd to its end, or 64 MiB. Caller frees. */
static char *
read_all(int fd)
{
	char *buf = NULL;
	size_t len = 0;

	for (;;) {
		ssize_t n;
		buf = ml_xrealloc(buf, len + 65536 + 1);
		n = read(fd, buf + len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len > 64u << 20)
			break;
	}
	buf[len] = '\0';
	return buf;
}

int
ml_ssh_capture(const char *home, const char *profile, int port,
	       const char *command, char **ret_out)
{
	struct ml_node_paths paths;
	ml_autofree char *key = NULL, *known = NULL, *sport = NULL;
	int fds[2], status;
	pid_t pid;

	ml_node_paths_init(&paths, home, profile);
	key = ml_pki_ssh_key_path(home, profile);
	known = ml_xasprintf("UserKnownHostsFile=%s", paths.known_hosts);
	ml_node_paths_clear(&paths);
	sport = ml_xasprintf("%d", port);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return ml_err(-errno, "cannot create a pipe: %s",
			      strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return ml_err(-errno, "cannot fork: %s", strerror(errno));
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		execlp("ssh", "ssh", "-i", key, "-p", sport, "-o",
		       "IdentitiesOnly=yes", "-o", known, "-o",
		       "StrictHostKeyChecking=accept-new", "-o",
		       "PasswordAuthentication=no", "-o", "BatchMode=yes", "-o",
		       "LogLevel=ERROR", "-o", "ConnectTimeout=10",
		       "docker@127.0.0.1", "--", command, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	*ret_out = read_all(fds[0]);
	close(fds[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}
