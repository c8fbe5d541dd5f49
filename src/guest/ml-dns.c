/*
 * ml-dns.c: the cluster DNS of minilaunch (docs/dns.md). Runs in the VM
 * as the kube-dns Deployment: writes an unbound.conf, starts unbound as its
 * child, watches Services and Endpoints through the k8s client and keeps
 * unbound's local data equal to the records they call for
 * (dns_records.h), pushing only what changed. Answers GET /health and
 * GET /ready (200 once the first full set is in unbound, 503 before).
 *
 * Changes go in through unbound's remote control, except when a name
 * must get or lose a zone of its own (an ExternalName appears or goes):
 * unbound 1.17 gives a zone made at run time no parent zone, after which
 * names next to it are looked up in no zone at all (answered from the
 * upstreams, not from our data). Then ml-dns writes every record into a
 * file that unbound.conf includes and has unbound reload it.
 *
 * Exit status: 0 after SIGTERM or SIGINT (unbound stopped first), 1 when
 * unbound dies or cannot start, 64 for a usage error.
 */
#include "config.h"

#include "guest/dns_records.h"
#include "guest/unbound_ctl.h"

#include "kube/informer.h"
#include "kube/k8s.h"
#include "base/log.h"
#include "base/util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_USAGE 64
#define RESOLV_CONF "/etc/resolv.conf"
#define UNBOUND_START_MS 30000 /* a loaded TCG node is slow */
#define UNBOUND_STOP_MS 5000
#define CONTROL_MS 5000
#define API_TIMEOUT_MS 5000L
#define PUSH_RETRY_MS 1000
#define WATCH_RETRY_MIN_MS 250
#define WATCH_RETRY_MAX_MS 5000
#define HTTP_READ_MS 500
#define IDLE_MS 1000

static const char usage[] =
	"usage: ml-dns [flags]\n"
	"\n"
	"The cluster DNS: unbound, fed with the records of the cluster's\n"
	"Services and Endpoints. Configuration is in-cluster (the pod's service\n"
	"account) unless --kubeconfig is given.\n"
	"\n"
	"  --domain NAME        cluster domain (cluster.local)\n"
	"  --upstream SPEC      where other names go: auto (the nameservers of\n"
	"                       /etc/resolv.conf), none, or IP[@PORT],... (auto)\n"
	"  --host NAME=IP       answer NAME with IP itself, never asking the\n"
	"                       upstreams (repeatable)\n"
	"  --listen ADDR        address to answer on, UDP and TCP (0.0.0.0)\n"
	"  --port N             DNS port (53)\n"
	"  --health-port N      GET /health port, 0 for none (8080)\n"
	"  --ready-port N       GET /ready port, 0 for none (8181)\n"
	"  --state-dir DIR      unbound.conf and the control socket (/run/ml-dns)\n"
	"  --unbound PATH       the unbound binary (/usr/sbin/unbound)\n"
	"  --kubeconfig FILE    use FILE instead of the in-cluster configuration\n"
	"  --context NAME       context of --kubeconfig (its current one)\n"
	"  -v, --verbose        debug messages\n"
	"  -h, --help           this text\n";

struct flags {
	const char *domain, *upstream, *listen, *state_dir, *unbound;
	const char *kubeconfig, *context;
	int port, health_port, ready_port;
	struct ml_unbound_hosts hosts;
	bool verbose;
};

struct dns;

struct dns {
	struct flags f;
	char *domain; /* lowercase, no trailing dot */
	char *conf_path, *control, *records;
	pid_t unbound;
	struct ml_unbound_upstreams up;
	struct ml_k8s *k8s;
	struct ml_store services, endpoints;
	struct ml_store *stores[2];
	struct ml_informer inf;
	struct ml_dns_records pushed;
	bool dirty, ready, stop;
	int exit_code;
	int64_t push_at;
	int epfd, sigfd, health_fd, ready_fd;
};

/* --- flags ---------------------------------------------------------------- */

static int
parse_port(const char *flag, const char *val, bool zero_ok, int *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(val, &end, 10);
	if (errno || end == val || *end || v < (zero_ok ? 0 : 1) || v > 65535)
		return ml_err(-ML_EUSAGE, "%s '%s' is not a port number", flag,
			      val);
	*ret = (int)v;
	return 0;
}

/* Returns 1 when --help was given, 0, or -ML_EUSAGE. */
static int
parse_flags(int argc, char **argv, struct flags *f)
{
	enum {
		F_DOMAIN = 1000,
		F_UPSTREAM,
		F_HOST,
		F_LISTEN,
		F_PORT,
		F_HEALTH,
		F_READY,
		F_STATE,
		F_UNBOUND,
		F_KUBECONFIG,
		F_CONTEXT,
	};
	static const struct option lo[] = {
		{ "domain", required_argument, NULL, F_DOMAIN },
		{ "upstream", required_argument, NULL, F_UPSTREAM },
		{ "host", required_argument, NULL, F_HOST },
		{ "listen", required_argument, NULL, F_LISTEN },
		{ "port", required_argument, NULL, F_PORT },
		{ "health-port", required_argument, NULL, F_HEALTH },
		{ "ready-port", required_argument, NULL, F_READY },
		{ "state-dir", required_argument, NULL, F_STATE },
		{ "unbound", required_argument, NULL, F_UNBOUND },
		{ "kubeconfig", required_argument, NULL, F_KUBECONFIG },
		{ "context", required_argument, NULL, F_CONTEXT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned char addr[16];
	int c, r = 0;

	opterr = 0;
	while (r >= 0 && (c = getopt_long(argc, argv, ":vh", lo, NULL)) != -1) {
		switch (c) {
		case F_DOMAIN:
			f->domain = optarg;
			break;
		case F_UPSTREAM:
			f->upstream = optarg;
			break;
		case F_HOST:
			r = ml_unbound_hosts_add(&f->hosts, optarg);
			if (r < 0)
				r = ml_err(-ML_EUSAGE, "--host: %s",
					   ml_err_msg());
			break;
		case F_LISTEN:
			f->listen = optarg;
			break;
		case F_PORT:
			r = parse_port("--port", optarg, false, &f->port);
			break;
		case F_HEALTH:
			r = parse_port("--health-port", optarg, true,
				       &f->health_port);
			break;
		case F_READY:
			r = parse_port("--ready-port", optarg, true,
				       &f->ready_port);
			break;
		case F_STATE:
			f->state_dir = optarg;
			break;
		case F_UNBOUND:
			f->unbound = optarg;
			break;
		case F_KUBECONFIG:
			f->kubeconfig = optarg;
			break;
		case F_CONTEXT:
			f->context = optarg;
			break;
		case 'v':
			f->verbose = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		case ':':
			return ml_err(-ML_EUSAGE, "flag '%s' needs a value",
				      argv[optind - 1]);
		default:
			return ml_err(-ML_EUSAGE, "unknown flag '%s'",
				      argv[optind - 1]);
		}
	}
	if (r < 0)
		return r;
	if (optind < argc)
		return ml_err(-ML_EUSAGE, "unexpected argument '%s'",
			      argv[optind]);
	if (inet_pton(AF_INET, f->listen, addr) != 1 &&
	    inet_pton(AF_INET6, f->listen, addr) != 1)
		return ml_err(-ML_EUSAGE, "--listen '%s' is not an IP address",
			      f->listen);
	if (f->context && !f->kubeconfig)
		return ml_err(-ML_EUSAGE, "--context needs --kubeconfig");
	return 0;
}

/* --- configuration -------------------------------------------------------- */

static bool
is_wildcard(const char *ip)
{
	return strcmp(ip, "0.0.0.0") == 0 || strcmp(ip, "::") == 0;
}

/* The upstreams of --upstream; auto reads /etc/resolv.conf. */
static int
resolve_upstreams(struct dns *d, struct ml_unbound_upstreams *ret)
{
	const char *spec = d->f.upstream, *kube_dns;
	ml_autofree char *text = NULL;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (strcmp(spec, "none") == 0)
		return 0;
	if (strcmp(spec, "auto") != 0) {
		r = ml_unbound_upstreams_parse(spec, ret);
		return r < 0 ? ml_err(-ML_EUSAGE, "--upstream: %s",
				      ml_err_msg())
			     : 0;
	}
	if (ml_read_file(RESOLV_CONF, &text, NULL) < 0)
		ml_log_warn("%s, ignoring", ml_err_msg());
	ml_err_clear();
	ml_unbound_resolv_conf(text, d->domain, ret);
	/*
	 * Never forward to ourselves: the kube-dns Service (its address is
	 * in the environment of pods of its namespace, with service links),
	 * or this server: on port 53 its listen address, and with a wildcard
	 * one every loopback address (127.0.0.53 too reaches 0.0.0.0:53).
	 */
	kube_dns = getenv("KUBE_DNS_SERVICE_HOST");
	if (kube_dns && *kube_dns)
		ml_unbound_upstreams_drop(ret, kube_dns);
	if (d->f.port == 53) {
		ml_unbound_upstreams_drop(ret, d->f.listen);
		if (is_wildcard(d->f.listen))
			ml_unbound_upstreams_drop_loopback(ret);
	}
	return 0;
}

static void
log_upstreams(const struct dns *d, const struct ml_unbound_upstreams *u)
{
	ml_autofree char *list = ml_xstrdup("");

	for (size_t i = 0; i < u->n; i++) {
		char *next =
			ml_xasprintf("%s%s%s", list, i ? ", " : "", u->addr[i]);

		free(list);
		list = next;
	}
	if (u->n == 0)
		ml_log_info("no upstream: names outside %s get SERVFAIL",
			    d->domain);
	else
		ml_log_info("names outside %s go to %s", d->domain, list);
}

/* The paths in the state directory. */
static int
check_paths(struct dns *d)
{
	struct sockaddr_un sa;

	d->conf_path = ml_xasprintf("%s/unbound.conf", d->f.state_dir);
	d->control = ml_xasprintf("%s/unbound.ctl", d->f.state_dir);
	d->records = ml_xasprintf("%s/records.conf", d->f.state_dir);
	if (strlen(d->control) >= sizeof(sa.sun_path))
		return ml_err(-ML_EUSAGE,
			      "--state-dir '%s' is too long for a unix socket",
			      d->f.state_dir);
	return 0;
}

/* Writes records.conf: every record of set (none when NULL). */
static int
write_records(struct dns *d, const struct ml_dns_records *set)
{
	struct ml_dns_records none = { 0 };
	struct ml_dns_diff all;
	ml_autofree char *text = NULL;

	if (!set)
		set = &none;
	/* From nothing to set: zone_add names every CNAME's owner. */
	ml_dns_diff(&none, set, &all);
	text = ml_unbound_records_text((const char *const *)all.zone_add,
				       all.nzone_add, "redirect",
				       (const char *const *)set->rr, set->n);
	ml_dns_diff_release(&all);
	return ml_write_file_atomic(d->records, text, strlen(text), 0644);
}

/* Writes unbound.conf into the state directory. */
static int
write_conf(struct dns *d)
{
	struct ml_unbound_conf conf;
	ml_autofree char *text = NULL;
	int r;

	log_upstreams(d, &d->up);
	conf = (struct ml_unbound_conf){
		.dir = d->f.state_dir,
		.control = d->control,
		.domain = d->domain,
		.listen = d->f.listen,
		.port = d->f.port,
		.upstreams = &d->up,
		.records = d->records,
		.hosts = &d->f.hosts,
		.ttl = ML_DNS_TTL,
		.verbose = d->f.verbose,
	};
	text = ml_unbound_conf_text(&conf);
	if (!text)
		return -EINVAL;
	r = ml_mkdir_p(d->f.state_dir, 0755);
	if (r >= 0)
		r = ml_write_file_atomic(d->conf_path, text, strlen(text),
					 0644);
	/* unbound starts with no record: the first sync pushes them all. */
	if (r >= 0)
		r = write_records(d, NULL);
	return r;
}

/* --- unbound -------------------------------------------------------------- */

static int
start_unbound(struct dns *d)
{
	int r;

	/* A socket left by an unbound that was killed would refuse us. */
	if (unlink(d->control) < 0 && errno != ENOENT)
		return ml_err(-errno, "cannot remove '%s': %s", d->control,
			      strerror(errno));
	r = ml_unbound_spawn(d->f.unbound, d->conf_path, &d->unbound);
	if (r < 0)
		return r;
	r = ml_unbound_wait_ready(d->unbound, d->control, UNBOUND_START_MS);
	if (r == -ECHILD)
		d->unbound = 0;
	if (r < 0)
		return r;
	ml_log_info("unbound (pid %d) answers on %s port %d", (int)d->unbound,
		    d->f.listen, d->f.port);
	return 0;
}

static void
stop_unbound(struct dns *d)
{
	if (d->unbound > 0 && ml_unbound_stop(d->unbound, UNBOUND_STOP_MS) < 0)
		ml_log_warn("%s", ml_err_msg());
	d->unbound = 0;
	if (d->control)
		unlink(d->control);
}

static int
refused_ok(int r)
{
	if (r != -EINVAL)
		return r;
	ml_log_warn("%s", ml_err_msg());
	return 0;
}

/* Pushes what changed since the last push; retried later on failure. */
static void
push(struct dns *d)
{
	struct ml_dns_records want = { 0 };
	struct ml_dns_diff diff;
	int64_t t0 = ml_now_ms();
	bool reload;
	int r;

	r = ml_dns_records_build(d->domain, ML_DNS_TTL, d->services.index,
				 d->endpoints.index, &want);
	if (r < 0) {
		/* The domain was checked at start: cannot happen. */
		ml_log(ML_LOG_ERROR, "%s", ml_err_msg());
		d->dirty = false;
		return;
	}
	ml_dns_diff(&d->pushed, &want, &diff);
	reload = diff.nzone_add > 0 || diff.nzone_remove > 0;
	if (reload) {
		/* Zones change: the whole set from the file (see above). */
		r = write_records(d, &want);
		if (r >= 0)
			r = ml_unbound_reload(d->control, UNBOUND_START_MS);
	} else {
		/* Lines unbound refuses (-EINVAL) it refuses for good: they
		 * are said, not retried. */
		r = refused_ok(
			ml_unbound_remove(d->control,
					  (const char *const *)diff.remove,
					  diff.nremove, CONTROL_MS));
		if (r >= 0)
			r = refused_ok(ml_unbound_add(d->control, diff.add,
						      diff.nadd, CONTROL_MS));
	}
	if (r < 0) {
		ml_log_warn("cannot update unbound: %s; retrying in %d ms",
			    ml_err_msg(), PUSH_RETRY_MS);
		d->push_at = ml_now_ms() + PUSH_RETRY_MS;
		ml_dns_diff_release(&diff);
		ml_dns_records_release(&want);
		return;
	}
	if (diff.nadd > 0 || diff.nremove > 0 || reload || !d->ready)
		ml_log_info("synced %d services, %d endpoints: +%zu -%zu "
			    "records%s",
			    json_object_object_length(d->services.index),
			    json_object_object_length(d->endpoints.index),
			    diff.added, diff.removed,
			    reload ? " (unbound reloaded: zones changed)" : "");
	ml_log_debug("%zu records, %zu names removed, %zu lines added in "
		     "%lld ms",
		     want.n, diff.nremove, diff.nadd,
		     (long long)(ml_now_ms() - t0));
	ml_dns_diff_release(&diff);
	ml_dns_records_release(&d->pushed);
	d->pushed = want;
	d->dirty = false;
	if (!d->ready)
		ml_log_debug("ready");
	d->ready = true;
}

/* --- watches -------------------------------------------------------------- */

static void
on_change(struct ml_store *s, enum ml_store_change change, const char *key,
	  void *ud)
{
	struct dns *d = ud;

	(void)s, (void)change, (void)key;
	d->dirty = true;
}

/* --- HTTP: /health and /ready --------------------------------------------- */

static int
http_listen(const char *ip, int port, int *ret_fd)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, one = 1;

	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		len = sizeof(*s6);
	} else {
		return ml_err(-EINVAL, "'%s' is not an IP address", ip);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return ml_err(-errno, "cannot make a socket: %s",
			      strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0) {
		int e = errno;

		close(fd);
		return ml_err(-e, "cannot listen on %s port %d: %s", ip, port,
			      strerror(e));
	}
	*ret_fd = fd;
	return 0;
}

static void
http_answer(int fd, int code, const char *body)
{
	const char *reason = code == 200   ? "OK"
			     : code == 404 ? "Not Found"
			     : code == 405 ? "Method Not Allowed"
					   : "Service Unavailable";
	ml_autofree char *resp =
		ml_xasprintf("HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
			     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
			     code, reason, strlen(body), body);

	(void)send(fd, resp, strlen(resp), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/*
 * One request on a connection accepted from lfd: the request line is
 * read (for at most HTTP_READ_MS), answered, and the connection closed.
 */
static void
http_serve_one(struct dns *d, int lfd, int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char req[1024], *path, *end;
	ssize_t n = 0;

	if (poll(&p, 1, HTTP_READ_MS) > 0)
		n = recv(fd, req, sizeof(req) - 1, MSG_DONTWAIT);
	if (n <= 0)
		return;
	req[n] = '\0';
	if (!ml_startswith(req, "GET ") && !ml_startswith(req, "HEAD ")) {
		http_answer(fd, 405, "method not allowed\n");
		return;
	}
	path = strchr(req, ' ') + 1;
	end = path + strcspn(path, " ?\r\n");
	*end = '\0';
	if (strcmp(path, "/health") == 0 && lfd == d->health_fd)
		http_answer(fd, 200, "ok\n");
	else if (strcmp(path, "/ready") == 0 && lfd == d->ready_fd)
		http_answer(fd, d->ready ? 200 : 503,
			    d->ready ? "ok\n" : "not ready\n");
	else
		http_answer(fd, 404, "not found\n");
}

static void
http_accept(struct dns *d, int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0)
			return; /* EAGAIN: no more waiting */
		http_serve_one(d, lfd, fd);
		close(fd);
	}
}

static int
open_http(struct dns *d)
{
	int r = 0;

	if (d->f.health_port > 0)
		r = http_listen(d->f.listen, d->f.health_port, &d->health_fd);
	if (r >= 0 && d->f.ready_port > 0) {
		if (d->f.ready_port == d->f.health_port)
			d->ready_fd = d->health_fd;
		else
			r = http_listen(d->f.listen, d->f.ready_port,
					&d->ready_fd);
	}
	return r;
}

/* --- the loop ------------------------------------------------------------- */

static int
epoll_add(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (fd >= 0 && epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return ml_err(-errno, "epoll_ctl: %s", strerror(errno));
	return 0;
}

static void
on_signal(struct dns *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		int status;

		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			ml_log_info("stopping on %s", si.ssi_signo == SIGTERM
							      ? "SIGTERM"
							      : "SIGINT");
			d->stop = true;
		} else if (si.ssi_signo == SIGCHLD && d->unbound > 0 &&
			   waitpid(d->unbound, &status, WNOHANG) ==
				   d->unbound) {
			if (WIFSIGNALED(status))
				ml_log(ML_LOG_ERROR,
				       "unbound was killed by signal %d",
				       WTERMSIG(status));
			else
				ml_log(ML_LOG_ERROR,
				       "unbound exited with status %d",
				       WEXITSTATUS(status));
			d->unbound = 0;
			d->stop = true;
			d->exit_code = EXIT_FAILURE;
		}
	}
}

/* Handles whatever of our own descriptors is ready, without waiting. */
static void
handle_fds(struct dns *d)
{
	struct epoll_event evs[8];
	int n = epoll_wait(d->epfd, evs, ML_ARRAY_SIZE(evs), 0);

	for (int i = 0; i < n; i++) {
		int fd = evs[i].data.fd;

		if (fd == d->sigfd)
			on_signal(d);
		else
			http_accept(d, fd);
	}
}

static bool
push_due(const struct dns *d)
{
	return d->dirty && ml_informer_synced(&d->inf);
}

static int
next_timeout(const struct dns *d)
{
	int64_t now = ml_now_ms(), t = now + IDLE_MS;

	if (ml_informer_next_try(&d->inf) < t)
		t = ml_informer_next_try(&d->inf);
	if (push_due(d) && d->push_at < t)
		t = d->push_at;
	return t > now ? (int)(t - now) : 0;
}

static int
run(struct dns *d)
{
	while (!d->stop) {
		int r = ml_k8s_poll(d->k8s, next_timeout(d), d->epfd);

		if (r < 0)
			return r;
		handle_fds(d);
		if (d->stop)
			break;
		ml_informer_start(&d->inf);
		if (push_due(d) && ml_now_ms() >= d->push_at)
			push(d);
	}
	return 0;
}

static int
setup(struct dns *d)
{
	struct ml_k8s_config *cfg = NULL;
	sigset_t mask;
	int r;

	if (d->f.kubeconfig)
		r = ml_k8s_config_load(d->f.kubeconfig, d->f.context, &cfg);
	else
		r = ml_k8s_config_incluster(getenv("ML_DNS_SERVICEACCOUNT_DIR"),
					    &cfg);
	if (r < 0)
		return r;
	r = ml_k8s_new(cfg, &d->k8s);
	ml_k8s_config_free(cfg);
	if (r < 0)
		return r;
	ml_k8s_set_timeout(d->k8s, API_TIMEOUT_MS);
	ml_informer_init(&d->inf, d->k8s, d->stores, ML_ARRAY_SIZE(d->stores),
			 on_change, d, WATCH_RETRY_MIN_MS, WATCH_RETRY_MAX_MS);

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	d->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	/*
	 * ml_k8s_poll() waits on one descriptor besides its watches: an
	 * epoll set of ours holding the signals and the HTTP listeners is
	 * readable whenever one of them is, so k8s.h needed no change.
	 */
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->sigfd < 0 || d->epfd < 0)
		return ml_err(-errno, "cannot set up signals and polling: %s",
			      strerror(errno));
	r = open_http(d);
	if (r >= 0)
		r = epoll_add(d->epfd, d->sigfd);
	if (r >= 0)
		r = epoll_add(d->epfd, d->health_fd);
	if (r >= 0 && d->ready_fd != d->health_fd)
		r = epoll_add(d->epfd, d->ready_fd);
	if (r >= 0)
		r = write_conf(d);
	if (r >= 0)
		r = start_unbound(d);
	return r;
}

static void
teardown(struct dns *d)
{
	/* The watches first: no callback may touch the stores after this. */
	ml_informer_release(&d->inf);
	d->k8s = ml_k8s_free(d->k8s);
	stop_unbound(d);
	ml_dns_records_release(&d->pushed);
	ml_unbound_upstreams_release(&d->up);
	ml_unbound_hosts_release(&d->f.hosts);
	if (d->ready_fd >= 0 && d->ready_fd != d->health_fd)
		close(d->ready_fd);
	if (d->health_fd >= 0)
		close(d->health_fd);
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->epfd >= 0)
		close(d->epfd);
	free(d->conf_path);
	free(d->control);
	free(d->records);
	free(d->domain);
}

int
main(int argc, char **argv)
{
	struct dns d = {
		.f = { .domain = "cluster.local",
		       .upstream = "auto",
		       .listen = "0.0.0.0",
		       .state_dir = "/run/ml-dns",
		       .unbound = "/usr/sbin/unbound",
		       .port = 53,
		       .health_port = 8080,
		       .ready_port = 8181 },
		.exit_code = EXIT_SUCCESS,
		.services = { .what = "services", .path = "/api/v1/services" },
		.endpoints = { .what = "endpoints",
			       .path = "/api/v1/endpoints" },
		.epfd = -1,
		.sigfd = -1,
		.health_fd = -1,
		.ready_fd = -1,
	};
	size_t n;
	int r;

	d.stores[0] = &d.services;
	d.stores[1] = &d.endpoints;
	r = parse_flags(argc, argv, &d.f);
	if (r > 0)
		r = 0, d.stop = true;
	if (r >= 0 && !d.stop) {
		ml_log_set_level(d.f.verbose ? ML_LOG_DEBUG : ML_LOG_INFO);
		d.domain = ml_xstrdup(d.f.domain);
		for (char *p = d.domain; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		n = strlen(d.domain);
		if (n > 0 && d.domain[n - 1] == '.')
			d.domain[n - 1] = '\0';
		if (!ml_dns_valid_name(d.domain))
			r = ml_err(-ML_EUSAGE,
				   "--domain '%s' is not a DNS name",
				   d.f.domain);
	}
	if (r >= 0 && !d.stop)
		r = check_paths(&d);
	if (r >= 0 && !d.stop)
		r = resolve_upstreams(&d, &d.up);
	if (r >= 0 && !d.stop)
		r = setup(&d);
	if (r >= 0 && !d.stop)
		r = run(&d);
	if (r < 0) {
		ml_log(ML_LOG_ERROR, "%s",
		       ml_err_msg() ? ml_err_msg() : strerror(-r));
		d.exit_code = r == -ML_EUSAGE ? EXIT_USAGE : EXIT_FAILURE;
	}
	teardown(&d);
	return d.exit_code;
}
