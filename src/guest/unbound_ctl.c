/* unbound_ctl.c: unbound's configuration, process and remote control. */
#include "config.h"

#include "guest/unbound_ctl.h"

#include "base/util.h"
#include "guest/dns_records.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CONTROL_MAGIC "UBCT1 "
/* Never queried (do-not-query-address): the forwarder of --upstream none. */
#define NO_UPSTREAM_IP "127.255.255.254"

static void buf_printf(struct ml_buf *b, const char *fmt, ...) ML_PRINTF(2, 3);
static void
buf_printf(struct ml_buf *b, const char *fmt, ...)
{
	ml_autofree char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	s = ml_xvasprintf(fmt, ap);
	va_end(ap);
	ml_buf_add(b, s, strlen(s));
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* --- upstreams ------------------------------------------------------------ */

void
ml_unbound_upstreams_release(struct ml_unbound_upstreams *u)
{
	for (size_t i = 0; i < u->n; i++)
		free(u->addr[i]);
	free(u->addr);
	memset(u, 0, sizeof(*u));
}

static void
upstreams_add(struct ml_unbound_upstreams *u, char *addr)
{
	u->addr = ml_xrealloc(u->addr, (u->n + 1) * sizeof(*u->addr));
	u->addr[u->n++] = addr;
}

/* The canonical text of the IP s (of length n), or NULL. Caller frees. */
static char *
canonical_ip(const char *s, size_t n)
{
	ml_autofree char *in = ml_xstrndup(s, n);
	unsigned char b[16];
	char out[INET6_ADDRSTRLEN];
	int family;

	if (inet_pton(AF_INET, in, b) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, in, b) == 1)
		family = AF_INET6;
	else
		return NULL;
	if (!inet_ntop(family, b, out, sizeof(out)))
		return NULL;
	return ml_xstrdup(out);
}

/* --- fixed names --------------------------------------------------------- */

void
ml_unbound_hosts_release(struct ml_unbound_hosts *hosts)
{
	for (size_t i = 0; i < hosts->n; i++) {
		free(hosts->h[i].name);
		free(hosts->h[i].ip);
	}
	free(hosts->h);
	memset(hosts, 0, sizeof(*hosts));
}

int
ml_unbound_hosts_add(struct ml_unbound_hosts *hosts, const char *spec)
{
	const char *eq = strchr(spec, '=');
	ml_autofree char *name = NULL;
	char *ip;
	size_t n;

	if (!eq)
		return ml_err(-EINVAL, "host '%s' is not NAME=IP", spec);
	name = ml_xstrndup(spec, (size_t)(eq - spec));
	n = strlen(name);
	if (n > 0 && name[n - 1] == '.')
		name[n - 1] = '\0';
	for (char *p = name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!ml_dns_valid_name(name) || !strchr(name, '.'))
		return ml_err(-EINVAL,
			      "host '%s': '%s' is not a dotted DNS name", spec,
			      name);
	ip = canonical_ip(eq + 1, strlen(eq + 1));
	if (!ip)
		return ml_err(-EINVAL, "host '%s': '%s' is not an IP address",
			      spec, eq + 1);
	hosts->h = ml_xrealloc(hosts->h, (hosts->n + 1) * sizeof(*hosts->h));
	hosts->h[hosts->n++] =
		(struct ml_unbound_host){ .name = name, .ip = ip };
	name = NULL;
	return 0;
}

int
ml_unbound_upstreams_parse(const char *list, struct ml_unbound_upstreams *ret)
{
	struct ml_unbound_upstreams u = { 0 };
	const char *p = list;

	memset(ret, 0, sizeof(*ret));
	while (p && *p) {
		size_t n = strcspn(p, ",");
		ml_autofree char *item = ml_xstrndup(p, n);
		char *at = strchr(item, '@'), *ip, *end;
		long port = 0;

		ip = canonical_ip(item, at ? (size_t)(at - item) : n);
		if (at) {
			errno = 0;
			port = strtol(at + 1, &end, 10);
			if (errno || end == at + 1 || *end || port < 1 ||
			    port > 65535) {
				free(ip);
				ip = NULL;
			}
		}
		if (!ip) {
			ml_unbound_upstreams_release(&u);
			return ml_err(-EINVAL,
				      "upstream '%s' is not IP or IP@PORT",
				      item);
		}
		if (at) {
			upstreams_add(&u, ml_xasprintf("%s@%ld", ip, port));
			free(ip);
		} else {
			upstreams_add(&u, ip);
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (u.n == 0)
		return ml_err(-EINVAL, "no upstream in '%s'", list ? list : "");
	*ret = u;
	return 0;
}

void
ml_unbound_resolv_conf(const char *text, const char *domain,
		       struct ml_unbound_upstreams *ret)
{
	ml_autofree char *copy = ml_xstrdup(text ? text : "");
	ml_autofree char *own = ml_xasprintf("svc.%s", domain);
	struct ml_unbound_upstreams u = { 0 };
	bool cluster_first = false;
	char *save = NULL;

	memset(ret, 0, sizeof(*ret));
	for (char *line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *tsave = NULL;
		char *key = strtok_r(line, " \t\r", &tsave);
		char *val, *ip;

		if (!key || key[0] == '#' || key[0] == ';')
			continue;
		if (strcmp(key, "nameserver") == 0) {
			val = strtok_r(NULL, " \t\r", &tsave);
			/* A scoped IPv6 address (fe80::1%eth0) is skipped. */
			ip = val ? canonical_ip(val, strlen(val)) : NULL;
			if (ip)
				upstreams_add(&u, ip);
		} else if (strcmp(key, "search") == 0) {
			while ((val = strtok_r(NULL, " \t\r", &tsave))) {
				size_t n = strlen(val);

				if (n > 0 && val[n - 1] == '.')
					val[n - 1] = '\0';
				if (strcasecmp(val, own) == 0)
					cluster_first = true;
			}
		}
	}
	if (cluster_first)
		ml_unbound_upstreams_release(&u);
	*ret = u;
}

/* Drops the upstreams whose canonical address is want, or any loopback
 * address when want is NULL. */
static size_t
drop(struct ml_unbound_upstreams *u, const char *want)
{
	size_t o = 0, dropped = 0;

	for (size_t i = 0; i < u->n; i++) {
		ml_autofree char *have =
			canonical_ip(u->addr[i], strcspn(u->addr[i], "@"));
		bool match = have && (want ? strcmp(want, have) == 0
					   : ml_startswith(have, "127.") ||
						      strcmp(have, "::1") == 0);

		if (match) {
			free(u->addr[i]);
			dropped++;
		} else {
			u->addr[o++] = u->addr[i];
		}
	}
	u->n = o;
	return dropped;
}

size_t
ml_unbound_upstreams_drop(struct ml_unbound_upstreams *u, const char *ip)
{
	ml_autofree char *want = canonical_ip(ip, strlen(ip));

	return want ? drop(u, want) : 0;
}

size_t
ml_unbound_upstreams_drop_loopback(struct ml_unbound_upstreams *u)
{
	return drop(u, NULL);
}

static bool
is_ip6(const char *addr)
{
	return strchr(addr, ':') != NULL;
}

/* --- the configuration ---------------------------------------------------- */

static bool
quotable(const char *s)
{
	return s && !strpbrk(s, "\"\n\r");
}

char *
ml_unbound_conf_text(const struct ml_unbound_conf *conf)
{
	const struct ml_unbound_upstreams *up = conf->upstreams;
	const struct ml_unbound_hosts *hosts = conf->hosts;
	bool ip6 = is_ip6(conf->listen);
	const char *self = strcmp(conf->listen, "0.0.0.0") == 0 ? "127.0.0.1"
			   : strcmp(conf->listen, "::") == 0	? "::1"
								: conf->listen;
	struct ml_buf b = { 0 };

	const char *bad = !quotable(conf->dir)	     ? conf->dir
			  : !quotable(conf->control) ? conf->control
			  : !quotable(conf->records) ? conf->records
						     : NULL;

	if (bad) {
		ml_err(-EINVAL, "path '%s' holds a quote or a newline", bad);
		return NULL;
	}
	for (size_t i = 0; up && i < up->n; i++)
		ip6 = ip6 || is_ip6(up->addr[i]);
	buf_printf(&b,
		   "# Written by ml-dns at its start; see docs/dns.md.\n"
		   "server:\n"
		   "\tverbosity: %d\n"
		   "\tnum-threads: 1\n"
		   "\tusername: \"\"\n"
		   "\tchroot: \"\"\n"
		   "\tdirectory: \"%s\"\n"
		   "\tpidfile: \"\"\n"
		   "\tuse-syslog: no\n"
		   "\tlogfile: \"\"\n"
		   "\tlog-time-ascii: yes\n"
		   "\tinterface: %s\n"
		   "\tport: %d\n"
		   "\tso-reuseport: no\n"
		   "\tdo-ip4: yes\n"
		   "\tdo-ip6: %s\n"
		   "\tdo-udp: yes\n"
		   "\tdo-tcp: yes\n"
		   "\taccess-control: 0.0.0.0/0 allow\n"
		   "\taccess-control: ::/0 allow\n"
		   "\thide-identity: yes\n"
		   "\thide-version: yes\n"
		   "\trrset-roundrobin: yes\n",
		   conf->verbose ? 2 : 1, conf->dir, conf->listen, conf->port,
		   ip6 ? "yes" : "no");
	buf_printf(&b,
		   "\t# No validator and no trust anchor: nothing is fetched.\n"
		   "\tmodule-config: \"iterator\"\n"
		   "\t# Loopback is allowed (unbound itself, or a local\n"
		   "\t# upstream); the address of upstream none is not.\n"
		   "\tdo-not-query-localhost: no\n"
		   "\tdo-not-query-address: " NO_UPSTREAM_IP "\n"
		   "\t# An upstream that does not answer: SERVFAIL after one\n"
		   "\t# try (two packets) of 376 ms, then it counts as down\n"
		   "\t# (750 ms is the most any try may wait) for 30 s.\n"
		   "\tinfra-cache-max-rtt: 750\n"
		   "\tinfra-host-ttl: 30\n"
		   "\toutbound-msg-retry: 1\n"
		   "\tmax-sent-count: 1\n"
		   "\tdiscard-timeout: 3000\n");
	buf_printf(&b,
		   "\tlocal-zone: \"%s.\" static\n"
		   "\tlocal-data: \"%s. %u IN SOA ns.dns.%s. hostmaster.%s. "
		   "1 7200 1800 86400 %u\"\n"
		   "\tlocal-data: 'dns-version.%s. %u IN TXT \"1.1.0\"'\n",
		   conf->domain, conf->domain, conf->ttl, conf->domain,
		   conf->domain, conf->ttl, conf->domain, conf->ttl);
	/*
	 * Zones made now get their place in unbound's tree of zones right;
	 * one made at run time (by local_zone, or by local_data for a name
	 * in no zone) gets no parent in unbound 1.17, and then names next to
	 * it are looked up in no zone at all.
	 */
	for (size_t i = 0; hosts && i < hosts->n; i++) {
		const struct ml_unbound_host *h = &hosts->h[i];
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(hosts->h[j].name, h->name) == 0;
		if (!seen)
			buf_printf(&b, "\tlocal-zone: \"%s.\" static\n",
				   h->name);
		buf_printf(&b, "\tlocal-data: \"%s. %u IN %s %s\"\n", h->name,
			   conf->ttl, strchr(h->ip, ':') ? "AAAA" : "A", h->ip);
	}
	buf_printf(&b,
		   "\tlocal-zone: \"in-addr.arpa.\" transparent\n"
		   "\tlocal-zone: \"ip6.arpa.\" transparent\n"
		   "\tinclude: \"%s\"\n",
		   conf->records);
	buf_printf(&b,
		   "remote-control:\n"
		   "\tcontrol-enable: yes\n"
		   "\tcontrol-interface: \"%s\"\n"
		   "\tcontrol-use-cert: no\n"
		   "forward-zone:\n"
		   "\tname: \"%s.\"\n"
		   "\tforward-addr: %s@%d\n"
		   "forward-zone:\n"
		   "\tname: \".\"\n",
		   conf->control, conf->domain, self, conf->port);
	if (!up || up->n == 0)
		buf_printf(&b, "\tforward-addr: %s@1\n", NO_UPSTREAM_IP);
	for (size_t i = 0; up && i < up->n; i++)
		buf_printf(&b, "\tforward-addr: %s\n", up->addr[i]);
	return b.p;
}

char *
ml_unbound_records_text(const char *const *names, size_t n,
			const char *zone_type, const char *const *rr,
			size_t nrr)
{
	struct ml_buf b = { 0 };

	buf_printf(&b, "# Written by ml-dns: its records as of its last "
		       "reload of unbound.\nserver:\n");
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "\tlocal-zone: \"%s\" %s\n", names[i],
			   zone_type);
	for (size_t i = 0; i < nrr; i++)
		if (quotable(rr[i]))
			buf_printf(&b, "\tlocal-data: \"%s\"\n", rr[i]);
	return b.p;
}

/* --- the process ---------------------------------------------------------- */

int
ml_unbound_spawn(const char *path, const char *conf_path, pid_t *ret_pid)
{
	char *argv[] = {
		(char *)path, "-d", "-p", "-c", (char *)conf_path, NULL
	};
	pid_t parent = getpid(), pid;
	sigset_t all, old;
	int e = 0;

	if (access(path, X_OK) < 0)
		return ml_err(-errno, "cannot run unbound '%s': %s", path,
			      strerror(errno));
	/*
	 * Handlers inherited from the parent must never run in the child:
	 * every signal stays blocked until the child has reset them all.
	 */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid != 0) {
		e = errno;
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	if (pid < 0)
		return ml_err(-e, "cannot fork: %s", strerror(e));
	if (pid == 0) {
		sigset_t none;
		int fd;

		/* Async-signal-safe calls only from here on. */
		for (int sig = 1; sig < NSIG; sig++)
			signal(sig, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		fd = open("/dev/null", O_RDONLY);
		if (fd > 0) {
			dup2(fd, 0);
			close(fd);
		}
		close_range(3, ~0U, 0);
		execv(path, argv);
		_exit(127);
	}
	*ret_pid = pid;
	return 0;
}

static char *
describe_status(int status)
{
	if (WIFEXITED(status))
		return ml_xasprintf("exited with status %d",
				    WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		return ml_xasprintf("was killed by signal %d",
				    WTERMSIG(status));
	return ml_xasprintf("stopped (status 0x%x)", (unsigned)status);
}

int
ml_unbound_wait_ready(pid_t pid, const char *control, int timeout_ms)
{
	int64_t deadline = ml_now_ms() + timeout_ms;

	for (;;) {
		ml_autofree char *reply = NULL;
		int status;
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid) {
			ml_autofree char *how = describe_status(status);

			return ml_err(-ECHILD,
				      "unbound %s before it answered on '%s' "
				      "(its messages are above)",
				      how, control);
		}
		if (ml_unbound_control(control, "status", NULL, 0, 1000,
				       &reply) >= 0 &&
		    strstr(reply, "is running"))
			return 0;
		if (ml_now_ms() >= deadline)
			return ml_err(-ETIMEDOUT,
				      "unbound did not answer on '%s' within "
				      "%d ms",
				      control, timeout_ms);
		sleep_ms(20);
	}
}

int
ml_unbound_stop(pid_t pid, int timeout_ms)
{
	int64_t deadline = ml_now_ms() + timeout_ms;
	int status;
	pid_t w;

	if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
		return ml_err(-errno, "cannot signal unbound (pid %d): %s",
			      (int)pid, strerror(errno));
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 &&
	       ml_now_ms() < deadline)
		sleep_ms(10);
	if (w == 0) {
		kill(pid, SIGKILL);
		w = waitpid(pid, &status, 0);
	}
	if (w < 0)
		return ml_err(-errno, "cannot reap unbound (pid %d): %s",
			      (int)pid, strerror(errno));
	return status;
}

/* --- remote control ------------------------------------------------------- */

/* Writes req and reads the answer to its end, within deadline. */
static int
converse(int fd, const char *path, const struct ml_buf *req, int64_t deadline,
	 struct ml_buf *reply)
{
	size_t off = 0;

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int64_t left = deadline - ml_now_ms();
		char chunk[4096];
		ssize_t n;

		if (off < req->len)
			p.events |= POLLOUT;
		if (left <= 0)
			return ml_err(-ETIMEDOUT,
				      "no answer from unbound on '%s' in time",
				      path);
		if (poll(&p, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return ml_err(-errno, "poll on '%s': %s", path,
				      strerror(errno));
		}
		if ((p.revents & POLLOUT) && off < req->len) {
			n = send(fd, req->p + off, req->len - off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				return ml_err(-errno,
					      "cannot write to unbound on '%s': "
					      "%s",
					      path, strerror(errno));
			if (n > 0)
				off += (size_t)n;
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
			if (n == 0)
				return 0; /* unbound closes after answering */
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				return ml_err(-errno,
					      "cannot read from unbound on '%s': "
					      "%s",
					      path, strerror(errno));
			if (n > 0)
				ml_buf_add(reply, chunk, (size_t)n);
		}
	}
}

int
ml_unbound_control(const char *path, const char *cmd, const char *const *lines,
		   size_t n, int timeout_ms, char **ret_reply)
{
	int64_t deadline = ml_now_ms() + timeout_ms;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ml_buf req = { 0 }, reply = { 0 };
	ml_autoclose int fd = -1;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return ml_err(-ENAMETOOLONG,
			      "control socket path '%s' is too long", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return ml_err(-errno, "cannot make a socket: %s",
			      strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return ml_err(-errno, "cannot connect to unbound on '%s': %s",
			      path, strerror(errno));
	/* One write: unbound reads the magic with a single recv(). */
	buf_printf(&req, CONTROL_MAGIC "%s\n", cmd);
	if (lines) {
		for (size_t i = 0; i < n; i++)
			buf_printf(&req, "%s\n", lines[i]);
		ml_buf_add(&req, "\x04\n", 2);
	}
	r = converse(fd, path, &req, deadline, &reply);
	free(req.p);
	if (r < 0) {
		free(reply.p);
		return r;
	}
	if (ret_reply)
		*ret_reply = reply.p ? reply.p : ml_xstrdup("");
	else
		free(reply.p);
	return 0;
}

/*
 * A batch command: lines, then the summary "<verb> N <noun>" after one
 * "error ..." line per refusal.
 */
static int
batch(const char *path, const char *cmd, const char *verb, const char *noun,
      const char *const *lines, size_t n, int timeout_ms)
{
	ml_autofree char *reply = NULL;
	const char *last, *err;
	char word[16];
	size_t len;
	long done;
	int r;

	if (n == 0)
		return 0;
	r = ml_unbound_control(path, cmd, lines, n, timeout_ms, &reply);
	if (r < 0)
		return r;
	len = strlen(reply);
	while (len > 0 && reply[len - 1] == '\n')
		reply[--len] = '\0';
	last = strrchr(reply, '\n');
	last = last ? last + 1 : reply;
	if (!ml_startswith(last, verb) ||
	    sscanf(last + strlen(verb), " %ld %15s", &done, word) != 2 ||
	    strcmp(word, noun) != 0)
		return ml_err(-EPROTO, "unbound's answer to %s: '%.200s'", cmd,
			      reply);
	if ((size_t)done == n)
		return 0;
	err = strstr(reply, "error");
	return ml_err(-EINVAL, "unbound took %ld of %zu lines of %s: %.*s",
		      done, n, cmd, err ? (int)strcspn(err, "\n") : 0,
		      err ? err : "");
}

int
ml_unbound_add(const char *path, const char *const *rr, size_t n,
	       int timeout_ms)
{
	return batch(path, "local_datas", "added", "datas", rr, n, timeout_ms);
}

int
ml_unbound_remove(const char *path, const char *const *names, size_t n,
		  int timeout_ms)
{
	return batch(path, "local_datas_remove", "removed", "datas", names, n,
		     timeout_ms);
}

int
ml_unbound_reload(const char *path, int timeout_ms)
{
	int64_t deadline = ml_now_ms() + timeout_ms;
	ml_autofree char *reply = NULL;
	int r;

	r = ml_unbound_control(path, "reload_keep_cache", NULL, 0, timeout_ms,
			       &reply);
	if (r < 0)
		return r;
	if (!ml_startswith(reply, "ok"))
		return ml_err(-EPROTO, "unbound's answer to reload: '%.200s'",
			      reply);
	/* It answered before reloading: wait until it answers again. */
	for (;;) {
		ml_autofree char *st = NULL;
		int64_t left = deadline - ml_now_ms();

		if (left <= 0)
			return ml_err(-ETIMEDOUT,
				      "unbound did not answer on '%s' within "
				      "%d ms of a reload",
				      path, timeout_ms);
		if (ml_unbound_control(path, "status", NULL, 0, (int)left,
				       &st) >= 0 &&
		    strstr(st, "is running"))
			return 0;
		sleep_ms(10);
	}
}
