/*
 * cmd/mount.c: `minilaunch mount HOST_DIR:GUEST_DIR`: the host directory
 * mounted in the node until Ctrl-C (docs/mount.md). The 9P2000.L server of
 * machine/p9.h serves HOST_DIR on 127.0.0.1:HOSTPORT; one ssh into the node
 * carries a reverse forward from the node's 127.0.0.1:PORT to it and runs
 * the guest kernel's 9p mount there; Ctrl-C unmounts over ssh while the
 * server still answers, then ends the forward.
 */
#include "config.h"

#include "cmd/command.h"
#include "machine/p9.h"
#include "machine/ssh.h"
#include "base/log.h"
#include "base/profile.h"
#include "base/util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern const struct ml_command ml_cmd_mount;

enum { OPT_UID, OPT_GID, OPT_MSIZE };

static const struct ml_option options[] = {
	[OPT_UID] = { "uid", 0, "UID",
		      "owner every file shows in the node (default 0, root)" },
	[OPT_GID] = { "gid", 0, "GID",
		      "group every file shows in the node (default 0, root)" },
	[OPT_MSIZE] = { "msize", 0, "BYTES",
			"largest 9P message, 4096 to 1048576 (default 262144)" },
	{ NULL },
};

/* The reverse forward's port in the node: one per guest directory, so a
 * second mount of the same directory cannot take it either. */
#define GUEST_PORT_BASE 40000
#define GUEST_PORT_SPAN 10000
#define MOUNTED_LINE "ml-mount: mounted"
#define BUSY_LINE "ml-mount: busy"
#define NO9P_LINE "ml-mount: no 9p"

/* HOST_DIR:GUEST_DIR split at the last ":/", so a host path may hold ':'.
 * Both caller-freed. */
static int
split_spec(const char *spec, char **ret_host, char **ret_guest)
{
	const char *colon = NULL;

	for (const char *p = spec; (p = strstr(p, ":/")); p++)
		colon = p;
	if (!colon || colon == spec)
		return ml_command_usage_error(
			&ml_cmd_mount,
			"'%s' is not HOST_DIR:GUEST_DIR, with GUEST_DIR absolute",
			spec);
	*ret_host = ml_xstrndup(spec, (size_t)(colon - spec));
	*ret_guest = ml_xstrdup(colon + 1);
	return 0;
}

/* The guest directory goes into a shell command line and a mount table:
 * plain names only, and not the node's own tree. */
static int
check_guest(const char *g)
{
	static const char *const system[] = {
		"/",	 "/bin", "/boot", "/dev", "/etc", "/lib",
		"/proc", "/run", "/sbin", "/sys", "/usr", "/var"
	};
	size_t len = strlen(g);

	if (strspn(g, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789._-/") != len ||
	    len > 200)
		return ml_command_usage_error(
			&ml_cmd_mount,
			"guest directory '%s' may hold only letters, digits, '.', '_', '-' and '/'",
			g);
	if (strstr(g, "/../") || strstr(g, "/./") ||
	    (len >= 3 && !strcmp(g + len - 3, "/..")) ||
	    (len >= 2 && !strcmp(g + len - 2, "/.")))
		return ml_command_usage_error(
			&ml_cmd_mount,
			"guest directory '%s' must not hold '.' or '..': give its plain path",
			g);
	for (size_t i = 0; i < ML_ARRAY_SIZE(system); i++) {
		size_t n = strlen(system[i]);

		if (!strncmp(g, system[i], n) &&
		    (g[n] == '\0' || (g[n] == '/' && g[n + 1] == '\0')))
			return ml_command_usage_error(
				&ml_cmd_mount,
				"guest directory '%s' is the node's own: choose another, such as /mnt/data",
				g);
	}
	return 0;
}

static int
parse_u32(const char *s, const char *flag, uint32_t min, uint32_t max,
	  uint32_t *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max || s[0] == '-')
		return ml_command_usage_error(
			&ml_cmd_mount,
			"--%s '%s' is not a number from %u to %u", flag, s, min,
			max);
	*ret = (uint32_t)v;
	return 0;
}

/* Everything the command line says, checked. */
struct spec {
	char *host, *guest;
	struct ml_p9_options o;
};

static void
spec_clear(struct spec *s)
{
	free(s->host);
	free(s->guest);
}

static int
parse_args(const struct ml_args *a, struct spec *ret)
{
	struct spec s = { 0 };
	ml_autofree char *host = NULL;
	struct stat st;
	int r;

	if (a->argc != 1)
		return ml_command_usage_error(&ml_cmd_mount,
					      "mount takes one HOST_DIR:GUEST_DIR");
	r = split_spec(a->argv[0], &host, &s.guest);
	if (r >= 0)
		r = check_guest(s.guest);
	if (r >= 0 && a->opt[OPT_UID])
		r = parse_u32(a->opt[OPT_UID], "uid", 0, UINT32_MAX - 1,
			      &s.o.uid);
	if (r >= 0 && a->opt[OPT_GID])
		r = parse_u32(a->opt[OPT_GID], "gid", 0, UINT32_MAX - 1,
			      &s.o.gid);
	s.o.msize = ML_P9_MSIZE_DEFAULT;
	if (r >= 0 && a->opt[OPT_MSIZE])
		r = parse_u32(a->opt[OPT_MSIZE], "msize", ML_P9_MSIZE_MIN,
			      ML_P9_MSIZE_MAX, &s.o.msize);
	if (r < 0)
		goto fail;
	if (stat(host, &st) < 0) {
		r = ml_err(-errno,
			   "host directory '%s' cannot be mounted: %s: give an existing directory",
			   host, strerror(errno));
		goto fail;
	}
	if (!S_ISDIR(st.st_mode)) {
		r = ml_err(-ENOTDIR,
			   "host directory '%s' is not a directory: give a directory",
			   host);
		goto fail;
	}
	s.host = realpath(host, NULL);
	if (!s.host) {
		r = ml_err(-errno, "cannot resolve host directory '%s': %s",
			   host, strerror(errno));
		goto fail;
	}
	*ret = s;
	return 0;
fail:
	spec_clear(&s);
	return r;
}

static int
check_args(const struct ml_args *a)
{
	struct spec s;
	int r = parse_args(a, &s);

	if (r >= 0)
		spec_clear(&s);
	return r;
}

static int
guest_port(const char *guest)
{
	uint32_t h = 2166136261u;

	for (const char *p = guest; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return GUEST_PORT_BASE + (int)(h % GUEST_PORT_SPAN);
}

/* A TCP listener on 127.0.0.1 and an ephemeral port, for one connection. */
static int
listen_loopback(int *ret_port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 1) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		int r = ml_err(-errno, "cannot listen on 127.0.0.1: %s",
			       strerror(errno));
		if (fd >= 0)
			close(fd);
		return r;
	}
	*ret_port = ntohs(sa.sin_port);
	return fd;
}

/* The child's side of a spawn: its own process group (the terminal's
 * Ctrl-C is ours to handle, not ssh's) and the signals we hold back
 * let through again. */
static void
child_setup(void)
{
	sigset_t none;

	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

struct session {
	pid_t pid;
	int in, out; /* its stdin (held open: the node's cat ends with it) */
};

/* ssh with the reverse forward, running the mount and then waiting. */
static int
spawn_session(const struct ml_globals *g, int sport, const struct spec *sp,
	      int gport, int hport, struct session *ret)
{
	struct ml_ssh_args a;
	ml_autofree char *fwd = NULL, *cmd = NULL;
	int in[2], out[2], r;
	pid_t pid;

	r = ml_ssh_args_init(&a, g->home, g->profile, sport);
	if (r < 0)
		return r;
	fwd = ml_xasprintf("127.0.0.1:%d:127.0.0.1:%d", gport, hport);
	/* 9p and its tcp transport (9pnet_fd, alias 9p-tcp) loaded first, so
	 * that a kernel without them says so rather than mount's "unknown
	 * filesystem type" */
	cmd = ml_xasprintf(
		"g='%s'; if mountpoint -q \"$g\"; then echo '" BUSY_LINE
		"'; exit 3; fi; "
		"sudo modprobe -a 9p 9p-tcp >/dev/null 2>&1 || "
		"{ echo '" NO9P_LINE "'; exit 5; }; "
		"sudo mkdir -p \"$g\" && "
		"sudo mount -t 9p -o trans=tcp,port=%d,version=9p2000.L,"
		"msize=%u,cache=none,access=any 127.0.0.1 \"$g\" || exit 4; "
		"echo '" MOUNTED_LINE "'; exec cat >/dev/null",
		sp->guest, gport, sp->o.msize);
	ml_ssh_args_add(&a, "-o");
	ml_ssh_args_add(&a, "BatchMode=yes");
	ml_ssh_args_add(&a, "-o");
	ml_ssh_args_add(&a, "ExitOnForwardFailure=yes");
	ml_ssh_args_add(&a, "-o");
	ml_ssh_args_add(&a, "ServerAliveInterval=10");
	ml_ssh_args_add(&a, "-R");
	ml_ssh_args_add(&a, fwd);
	ml_ssh_args_add(&a, "docker@127.0.0.1");
	ml_ssh_args_add(&a, "--");
	ml_ssh_args_add(&a, cmd);
	if (pipe2(in, O_CLOEXEC) < 0) {
		r = ml_err(-errno, "cannot create a pipe: %s", strerror(errno));
		ml_ssh_args_clear(&a);
		return r;
	}
	if (pipe2(out, O_CLOEXEC) < 0) {
		r = ml_err(-errno, "cannot create a pipe: %s", strerror(errno));
		close(in[0]);
		close(in[1]);
		ml_ssh_args_clear(&a);
		return r;
	}
	pid = fork();
	if (pid == 0) {
		child_setup();
		dup2(in[0], 0);
		dup2(out[1], 1);
		execvp("ssh", (char *const *)a.argv);
		_exit(127);
	}
	r = pid < 0 ? ml_err(-errno, "cannot fork: %s", strerror(errno)) : 0;
	ml_ssh_args_clear(&a);
	close(in[0]);
	close(out[1]);
	if (r < 0) {
		close(in[1]);
		close(out[0]);
		return r;
	}
	*ret = (struct session){ .pid = pid, .in = in[1], .out = out[0] };
	return 0;
}

/* The unmount, over ssh in a child, so that the server keeps answering
 * the node's last messages while the node unmounts. */
static pid_t
spawn_umount(const struct ml_globals *g, int sport, const char *guest)
{
	pid_t pid = fork();

	if (pid == 0) {
		ml_autofree char *cmd = NULL, *out = NULL;
		int r;

		child_setup();
		/* a directory still in use (a pod's working directory) is
		 * detached lazily rather than left behind */
		cmd = ml_xasprintf("sudo umount '%s' || sudo umount -l '%s'",
				   guest, guest);
		r = ml_ssh_capture(g->home, g->profile, sport, cmd, &out);
		_exit(r < 0 ? 255 : r);
	}
	return pid;
}

/* A GUEST_DIR mounted already (by another 'minilaunch mount' or by hand)
 * is refused before anything starts; the session checks again. */
static int
check_not_mounted(const struct ml_globals *g, int sport, const char *guest)
{
	ml_autofree char *cmd = NULL, *out = NULL;
	int r;

	cmd = ml_xasprintf("if mountpoint -q '%s'; then echo busy; fi", guest);
	r = ml_ssh_capture(g->home, g->profile, sport, cmd, &out);
	if (r < 0)
		return r;
	if (r != 0)
		return ml_err(
			-EHOSTUNREACH,
			"cannot run a command on the node over ssh (exit %d): check 'minilaunch status'",
			r);
	if (!strncmp(out, "busy", 4))
		return ml_err(
			-EBUSY,
			"'%s' is already a mount point in the node: stop the other 'minilaunch mount' (or unmount it) first",
			guest);
	return 0;
}

/* True when the connection fd comes from a socket of process pid: its
 * peer's inode (/proc/net/tcp, the entry whose local end is the peer's
 * port) among pid's descriptors. Only our ssh may talk to the server: any
 * local user can connect to 127.0.0.1. */
static bool
peer_is(int fd, pid_t pid)
{
	struct sockaddr_in peer, self;
	socklen_t plen = sizeof(peer), slen = sizeof(self);
	unsigned long inode = 0;
	char line[512], want[64];
	bool found = false;
	FILE *f;

	if (getpeername(fd, (struct sockaddr *)&peer, &plen) < 0 ||
	    getsockname(fd, (struct sockaddr *)&self, &slen) < 0 ||
	    !(f = fopen("/proc/net/tcp", "re")))
		return false;
	/* "sl local rem st ...": local = the peer's end, remote = ours */
	snprintf(want, sizeof(want), "0100007F:%04X 0100007F:%04X",
		 ntohs(peer.sin_port), ntohs(self.sin_port));
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');
		unsigned long ino;

		if (!p || strncmp(p + 2, want, strlen(want)))
			continue;
		/* st tx:rx tr:when retrnsmt uid timeout inode */
		if (sscanf(p + 2 + strlen(want),
			   " %*x %*x:%*x %*x:%*x %*x %*u %*u %lu", &ino) == 1)
			inode = ino;
		break;
	}
	fclose(f);
	if (!inode)
		return false;
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	{
		ml_autofree char *dir = ml_xasprintf("/proc/%d/fd", (int)pid);
		DIR *d = opendir(dir);
		struct dirent *e;

		while (d && !found && (e = readdir(d))) {
			char link[64];
			ssize_t n;
			ml_autofree char *path =
				ml_xasprintf("%s/%s", dir, e->d_name);

			n = readlink(path, link, sizeof(link) - 1);
			if (n > 0) {
				link[n] = '\0';
				found = !strcmp(link, want);
			}
		}
		if (d)
			closedir(d);
	}
	return found;
}

/* The loop: accept the node's one connection, serve it, watch the session
 * and the signals; Ctrl-C starts the unmount. */
struct loop {
	const struct ml_globals *g;
	const struct spec *sp;
	struct ml_p9 *p9;
	struct session ses;
	int sport, lfd, conn, sfd;
	pid_t umount;
	bool mounted, busy, no9p, stopping;
	char line[256];
	size_t linelen;
};

/* Reads the session's output: the mounted or busy line. Returns 1 at its
 * end. */
static int
read_session(struct loop *l)
{
	char buf[256];
	ssize_t n = read(l->ses.out, buf, sizeof(buf));

	if (n < 0 && errno == EINTR)
		return 0;
	if (n <= 0)
		return 1;
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] != '\n') {
			if (l->linelen < sizeof(l->line) - 1)
				l->line[l->linelen++] = buf[i];
			continue;
		}
		l->line[l->linelen] = '\0';
		l->linelen = 0;
		if (!strcmp(l->line, MOUNTED_LINE)) {
			l->mounted = true;
			printf("Mounted '%s' on '%s' in the node: Ctrl-C to unmount\n",
			       l->sp->host, l->sp->guest);
			fflush(stdout);
		} else if (!strcmp(l->line, BUSY_LINE)) {
			l->busy = true;
		} else if (!strcmp(l->line, NO9P_LINE)) {
			l->no9p = true;
		}
	}
	return 0;
}

static void
on_signal(struct loop *l)
{
	struct signalfd_siginfo si;

	if (read(l->sfd, &si, sizeof(si)) != sizeof(si) ||
	    si.ssi_signo == SIGCHLD)
		return;
	if (l->stopping) {
		/* a second Ctrl-C: stop waiting for the node */
		if (l->umount > 0)
			kill(l->umount, SIGTERM);
		return;
	}
	l->stopping = true;
	if (l->mounted) {
		fprintf(stderr, "Unmounting '%s' in the node...\n",
			l->sp->guest);
		l->umount = spawn_umount(l->g, l->sport, l->sp->guest);
	}
}

static int
run_loop(struct loop *l)
{
	int umount_status = -1;

	for (;;) {
		struct pollfd p[3] = {
			{ .fd = l->sfd, .events = POLLIN },
			{ .fd = l->ses.out, .events = POLLIN },
			{ .fd = l->conn >= 0 ? l->conn : l->lfd,
			  .events = POLLIN },
		};
		int status;

		if (l->umount > 0 &&
		    waitpid(l->umount, &status, WNOHANG) == l->umount) {
			umount_status = WIFEXITED(status) ? WEXITSTATUS(status)
							  : 255;
			l->umount = 0;
			break;
		}
		if (l->stopping && !l->mounted)
			break;
		if (poll(p, p[2].fd >= 0 ? 3 : 2, 200) < 0 && errno != EINTR)
			return ml_err(-errno, "poll: %s", strerror(errno));
		if (p[0].revents)
			on_signal(l);
		if (p[1].revents && read_session(l)) {
			/* the session ended: the forward is gone */
			if (l->stopping)
				break;
			if (l->busy)
				return ml_err(
					-EBUSY,
					"'%s' is already a mount point in the node: stop the other 'minilaunch mount' (or unmount it) first",
					l->sp->guest);
			if (l->no9p)
				return ml_err(
					-ENOTSUP,
					"the node's kernel cannot load the 9p file system ('modprobe 9p' failed in the node): rebuild the node image with 'make iso'");
			if (!l->mounted)
				return ml_err(
					-EIO,
					"could not mount '%s' in the node (see ssh's message above)",
					l->sp->guest);
			return ml_err(
				-ECONNRESET,
				"the ssh connection to the node ended: '%s' is no longer served; run 'minilaunch mount' again",
				l->sp->guest);
		}
		if (p[2].fd >= 0 && p[2].revents && l->conn < 0) {
			l->conn = accept4(l->lfd, NULL, NULL, SOCK_CLOEXEC);
			if (l->conn >= 0 && !peer_is(l->conn, l->ses.pid)) {
				ml_log_warn(
					"a connection to the mount's port from another process than its ssh, refused");
				close(l->conn);
				l->conn = -1;
			}
			/* one connection per mount: nobody else gets in */
			if (l->conn >= 0) {
				close(l->lfd);
				l->lfd = -1;
			}
		} else if (p[2].fd >= 0 && p[2].revents) {
			int r = ml_p9_serve_one(l->p9, l->conn);

			if (r != 0) {
				if (r < 0)
					ml_log_warn("9p connection from the node: %s, closing it",
						    strerror(-r));
				close(l->conn);
				l->conn = -1;
			}
		}
	}
	if (umount_status > 0)
		return ml_err(
			-EIO,
			"could not unmount '%s' in the node: run 'minilaunch ssh -- sudo umount -l %s'",
			l->sp->guest, l->sp->guest);
	if (l->mounted)
		printf("Unmounted '%s'\n", l->sp->guest);
	return 0;
}

static int
run_mount(const struct ml_globals *g, const struct ml_args *a)
{
	struct spec sp;
	struct loop l = { .g = g, .lfd = -1, .conn = -1, .sfd = -1 };
	struct ml_profile *p = NULL;
	sigset_t mask, old;
	int r, hport = 0, status;

	r = parse_args(a, &sp);
	if (r < 0)
		return r;
	l.sp = &sp;
	r = ml_profile_open(g->home, g->profile, 0, &p);
	if (r < 0)
		goto out;
	l.sport = ml_profile_state_port(p, "ssh");
	ml_profile_free(p);
	if (!l.sport) {
		r = ml_err(-EHOSTDOWN,
			   "profile '%s' has no ssh port in its state: run 'minilaunch -p %s start' to repair it",
			   g->profile, g->profile);
		goto out;
	}
	r = check_not_mounted(g, l.sport, sp.guest);
	if (r < 0)
		goto out;
	r = ml_p9_new(sp.host, &sp.o, &l.p9);
	if (r < 0)
		goto out;
	r = l.lfd = listen_loopback(&hport);
	if (r < 0)
		goto out;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	/* a shell starts a background job with SIGINT ignored; here SIGINT
	 * is the documented way to unmount */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigprocmask(SIG_BLOCK, &mask, &old);
	signal(SIGPIPE, SIG_IGN);
	l.sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (l.sfd < 0) {
		r = ml_err(-errno, "signalfd: %s", strerror(errno));
		goto restore;
	}
	fprintf(stderr, "Mounting '%s' on '%s' in the node (9p over ssh)...\n",
		sp.host, sp.guest);
	r = spawn_session(g, l.sport, &sp, guest_port(sp.guest), hport, &l.ses);
	if (r < 0)
		goto restore;
	r = run_loop(&l);
	/* the forward ends with ssh; the node's cat with its stdin */
	close(l.ses.in);
	kill(l.ses.pid, SIGTERM);
	waitpid(l.ses.pid, &status, 0);
	close(l.ses.out);
	if (l.umount > 0) {
		kill(l.umount, SIGTERM);
		waitpid(l.umount, &status, 0);
	}
restore:
	if (l.sfd >= 0)
		close(l.sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
out:
	if (l.conn >= 0)
		close(l.conn);
	if (l.lfd >= 0)
		close(l.lfd);
	ml_p9_free(l.p9);
	spec_clear(&sp);
	return r;
}

const struct ml_command ml_cmd_mount = {
	.name = "mount",
	.flags = ML_CMD_NEEDS_RUNNING,
	.summary = "Mount a host directory in the node until Ctrl-C",
	.usage =
		"mount HOST_DIR:GUEST_DIR [--uid UID] [--gid GID] [--msize BYTES]",
	.description =
		"Serves HOST_DIR with a 9P2000.L file server of minilaunch's own on\n"
		"127.0.0.1 and mounts it on GUEST_DIR in the node with the node kernel's\n"
		"9p client, over a reverse forward of the profile's ssh connection: a\n"
		"hostPath volume on GUEST_DIR sees the files, read and write. Runs in the\n"
		"foreground; Ctrl-C unmounts and exits. Files show the owner --uid and\n"
		"--gid (root by default) in the node and are written as the user running\n"
		"the mount on the host. Symlinks are not followed on the host; nothing\n"
		"outside HOST_DIR is reachable. One mount per GUEST_DIR.",
	.options = options,
	.check_args = check_args,
	.run = run_mount,
};
