/*
 * unbound_ctl.h: Debian's unbound as ml-dns's child: the configuration it
 * runs on, the process, and its remote-control protocol, spoken directly
 * over its unix socket (control-use-cert: no) rather than by running
 * unbound-control for every change.
 *
 * The protocol (unbound's daemon/remote.c and smallapp/unbound-control.c):
 * the client connects, writes "UBCT1 " and the command line ending in
 * "\n"; the batch commands local_datas and local_datas_remove then read
 * one record or name per line until a line holding only 0x04. unbound runs
 * one command per connection, writes its answer and closes: "ok" for the
 * simple commands, "added N datas" / "removed N datas" after one "error
 * ..." line per refused line for the batch ones (local_zones and
 * local_zones_remove alike, with "zones").
 */
#ifndef ML_UNBOUND_CTL_H
#define ML_UNBOUND_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Upstream servers in unbound's forward-addr syntax, "IP" or "IP@PORT". */
struct ml_unbound_upstreams {
	char **addr; /* owned */
	size_t n;
};

void ml_unbound_upstreams_release(struct ml_unbound_upstreams *u);

/*
 * Parses a comma list of IP[@PORT] (IPv4 or IPv6, port 1 to 65535) into
 * *ret (zeroed first; release it). Addresses come out in canonical form.
 * Returns 0, or -EINVAL with a message naming the bad entry.
 */
int ml_unbound_upstreams_parse(const char *list,
			       struct ml_unbound_upstreams *ret);

/*
 * The nameservers of a resolv.conf's text into *ret (zeroed first), in
 * their order. A file whose search list holds "svc.DOMAIN" is the one the
 * kubelet writes for pods that use the cluster DNS: its nameservers are
 * this server itself, so none are taken from it. Never fails.
 */
void ml_unbound_resolv_conf(const char *text, const char *domain,
			    struct ml_unbound_upstreams *ret);

/* Drops every upstream whose address (port aside) is ip; returns how many. */
size_t ml_unbound_upstreams_drop(struct ml_unbound_upstreams *u,
				 const char *ip);
/* The same for every address in 127.0.0.0/8 and ::1. */
size_t ml_unbound_upstreams_drop_loopback(struct ml_unbound_upstreams *u);

/*
 * Fixed names the server answers itself, whatever the upstreams (ml-dns's
 * --host NAME=IP): each name is a static local zone holding its A or AAAA
 * records, so its other types and the names below it are answered empty
 * without a query leaving the server.
 */
struct ml_unbound_host {
	char *name; /* owned; lowercase, no trailing dot */
	char *ip;   /* owned; canonical */
};
struct ml_unbound_hosts {
	struct ml_unbound_host *h; /* owned */
	size_t n;
};

void ml_unbound_hosts_release(struct ml_unbound_hosts *hosts);

/*
 * Appends "NAME=IP" (a DNS name, an IPv4 or IPv6 address) to *hosts.
 * Returns 0, or -EINVAL with a message naming spec; *hosts is then
 * unchanged.
 */
int ml_unbound_hosts_add(struct ml_unbound_hosts *hosts, const char *spec);

/* What unbound.conf says. Strings are borrowed. */
struct ml_unbound_conf {
	const char *dir;     /* unbound's working directory */
	const char *control; /* path of the control socket */
	const char *domain;  /* the cluster zone, "cluster.local" */
	const char *listen;  /* the IP to answer on */
	int port;
	const struct ml_unbound_upstreams *upstreams; /* none: n == 0 */
	const char *records; /* included file (ml_unbound_records_text) */
	const struct ml_unbound_hosts *hosts; /* NULL or n == 0: none */
	unsigned ttl;
	bool verbose;
};

/*
 * The text of unbound.conf for conf (caller frees): the iterator alone (no
 * validator, no trust anchor, so nothing fetched at start), the zone as a
 * static local zone with its SOA and the file records included,
 * in-addr.arpa and ip6.arpa as transparent zones (so that local data for
 * any address lands in a zone made at start), every other name forwarded
 * to the
 * upstreams only (never to the root servers), hosts answered as local
 * data. Without upstreams the
 * forwarder is an address unbound may not query: no packet leaves, and
 * such names get SERVFAIL at once. Upstreams that do not answer are given
 * up on after about 0.8 s and left alone for 30 s (docs/dns.md). The zone
 * is also forwarded to unbound itself (on loopback when it listens on a
 * wildcard address): the only queries that take that path are those for
 * the targets of CNAMEs of local data, so that an ExternalName naming a
 * service of the cluster is followed. Returns NULL with -EINVAL set
 * (ml_err) when a path holds '"' or a newline.
 */
char *ml_unbound_conf_text(const struct ml_unbound_conf *conf);

/*
 * A file for unbound.conf's include (caller frees): each of names (n of
 * them) as a local zone of type zone_type holding nothing of its own, and
 * each record of rr (nrr) as local data.
 */
char *ml_unbound_records_text(const char *const *names, size_t n,
			      const char *zone_type, const char *const *rr,
			      size_t nrr);

/*
 * Starts unbound at path in the foreground (-d, no pidfile) on conf_path,
 * as a child with default signal handling that gets SIGTERM when the
 * calling process dies. Its stdout and stderr are ours. Returns 0 and the
 * pid, or -errno with a message.
 */
int ml_unbound_spawn(const char *path, const char *conf_path, pid_t *ret_pid);

/*
 * Waits until unbound answers "status" on its control socket. Returns 0;
 * -ECHILD with a message when pid exited first (it is reaped); -ETIMEDOUT
 * after timeout_ms.
 */
int ml_unbound_wait_ready(pid_t pid, const char *control, int timeout_ms);

/*
 * Stops unbound: SIGTERM, then SIGKILL after timeout_ms; reaps it. Returns
 * its wait status, or -errno (-ECHILD when it was reaped already).
 */
int ml_unbound_stop(pid_t pid, int timeout_ms);

/*
 * Runs one command on the control socket at path and reads the whole
 * answer into *ret_reply (may be NULL; caller frees). With lines (n of
 * them, each without its "\n"), they and the end marker follow the
 * command, as the batch commands want. Returns 0 however the answer reads;
 * -errno with a message when the socket cannot be reached or the exchange
 * fails or takes longer than timeout_ms (-ETIMEDOUT).
 */
int ml_unbound_control(const char *path, const char *cmd,
		       const char *const *lines, size_t n, int timeout_ms,
		       char **ret_reply);

/*
 * local_datas with the records rr / local_datas_remove with the owner
 * names: 0 when unbound took every line. -EINVAL with a message quoting
 * unbound's first complaint when it refused some (it applied the others);
 * -EPROTO when its answer is not the expected summary; the errors of
 * ml_unbound_control() otherwise. n == 0 does nothing.
 */
int ml_unbound_add(const char *path, const char *const *rr, size_t n,
		   int timeout_ms);
int ml_unbound_remove(const char *path, const char *const *names, size_t n,
		      int timeout_ms);

/*
 * Makes unbound read its configuration again, keeping its cache
 * (reload_keep_cache): local data and zones become those of the files, and
 * what was added at run time is gone. Returns once unbound answers again,
 * or -errno as ml_unbound_control() (-ETIMEDOUT after timeout_ms).
 */
int ml_unbound_reload(const char *path, int timeout_ms);

#endif
