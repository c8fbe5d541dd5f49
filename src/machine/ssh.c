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

/* "[127.0.0.1]:PORT TYPE BASE64\n" from the public key line pub. */
static char *
known_hosts_line(const char *pub, int port)
{
	const char *type_end = strchr(pub, ' ');
	const char *b64_end;

	if (!type_end || type_end == pub)
		return NULL;
	b64_end = type_end + 1;
	while (*b64_end && !strchr(" \t\r\n", *b64_end))
		b64_end++;
	if (b64_end == type_end + 1)
		return NULL;
	return ml_xasprintf("[127.0.0.1]:%d %.*s\n", port, (int)(b64_end - pub),
			    pub);
}

void
ml_ssh_args_add(struct ml_ssh_args *a, const char *arg)
{
	a->argv = ml_xrealloc(a->argv, (a->n + 2) * sizeof(*a->argv));
	a->argv[a->n++] = arg;
	a->argv[a->n] = NULL;
}

void
ml_ssh_args_clear(struct ml_ssh_args *a)
{
	free(a->argv);
	free(a->key);
	free(a->known);
	free(a->port);
	memset(a, 0, sizeof(*a));
}

int
ml_ssh_args_init(struct ml_ssh_args *ret, const char *home, const char *profile,
		 int port)
{
	static const char *const opts[] = {
		/* neither ~/.ssh/config nor /etc/ssh/ssh_config */
		"-F",
		"/dev/null",
		/* no agent: not offered to the node, nor asked for keys */
		"-a",
		"-o",
		"IdentityAgent=none",
		"-o",
		"IdentitiesOnly=yes",
		"-o",
		"StrictHostKeyChecking=yes",
		"-o",
		"GlobalKnownHostsFile=/dev/null",
		"-o",
		"UpdateHostKeys=no",
		"-o",
		"PasswordAuthentication=no",
		"-o",
		"KbdInteractiveAuthentication=no",
		"-o",
		"LogLevel=ERROR",
		"-o",
		"ConnectTimeout=10",
	};
	struct ml_node_paths paths;
	struct ml_ssh_args a = { 0 };
	ml_autofree char *pub_path = ml_pki_ssh_host_pub_path(home, profile);
	ml_autofree char *pub = NULL, *line = NULL;
	int r;

	if (ml_read_file(pub_path, &pub, NULL) < 0 ||
	    !(line = known_hosts_line(pub, port))) {
		ml_err_clear();
		return ml_err(
			-ENOENT,
			"profile '%s' has no node ssh host key '%s' to trust: run 'minilaunch -p %s start' to make it",
			profile, pub_path, profile);
	}
	ml_node_paths_init(&paths, home, profile);
	r = ml_write_file_atomic(paths.known_hosts, line, strlen(line), 0600);
	if (r < 0) {
		ml_node_paths_clear(&paths);
		return r;
	}
	a.key = ml_pki_ssh_key_path(home, profile);
	a.known = ml_xasprintf("UserKnownHostsFile=%s", paths.known_hosts);
	a.port = ml_xasprintf("%d", port);
	ml_node_paths_clear(&paths);
	ml_ssh_args_add(&a, "ssh");
	for (size_t i = 0; i < ML_ARRAY_SIZE(opts); i++)
		ml_ssh_args_add(&a, opts[i]);
	ml_ssh_args_add(&a, "-o");
	ml_ssh_args_add(&a, a.known);
	ml_ssh_args_add(&a, "-i");
	ml_ssh_args_add(&a, a.key);
	ml_ssh_args_add(&a, "-p");
	ml_ssh_args_add(&a, a.port);
	*ret = a;
	return 0;
}

int
ml_ssh_capture(const char *home, const char *profile, int port,
	       const char *command, char **ret_out)
{
	struct ml_ssh_args a;
	int fds[2], status, r;
	pid_t pid;

	r = ml_ssh_args_init(&a, home, profile, port);
	if (r < 0)
		return r;
	ml_ssh_args_add(&a, "-o");
	ml_ssh_args_add(&a, "BatchMode=yes");
	ml_ssh_args_add(&a, "docker@127.0.0.1");
	ml_ssh_args_add(&a, "--");
	ml_ssh_args_add(&a, command);
	if (pipe2(fds, O_CLOEXEC) < 0) {
		r = ml_err(-errno, "cannot create a pipe: %s", strerror(errno));
		ml_ssh_args_clear(&a);
		return r;
	}
	pid = fork();
	if (pid < 0) {
		r = ml_err(-errno, "cannot fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		ml_ssh_args_clear(&a);
		return r;
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		execvp("ssh", (char *const *)a.argv);
		_exit(127);
	}
	ml_ssh_args_clear(&a);
	close(fds[1]);
	*ret_out = read_all(fds[0]);
	close(fds[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}
