/*
 * dns_records.h: the cluster's DNS records, computed from its Services and
 * Endpoints per the Kubernetes DNS specification (the parts people use).
 * Pure: no I/O, no globals; ml-dns feeds it what its watches hold and
 * pushes the result into unbound (unbound_ctl.h).
 *
 * A record is one line of unbound's local-data syntax with absolute names,
 * "OWNER TTL IN TYPE RDATA", for example
 * "web.default.svc.cluster.local. 5 IN A 10.96.0.20". For a zone Z:
 *
 *   ClusterIP, NodePort, LoadBalancer service NAME in NS:
 *     NAME.NS.svc.Z.                    A (AAAA) of each cluster IP
 *     _PORT._PROTO.NAME.NS.svc.Z.       SRV 0 100 PORT NAME.NS.svc.Z.
 *                                       for each named port
 *     reverse of each cluster IP        PTR NAME.NS.svc.Z.
 *   headless service (clusterIP None), for each published endpoint
 *   address (ready ones, and not-ready ones too when the service sets
 *   spec.publishNotReadyAddresses), with HOST its hostname or, without
 *   one, its IP with '-' for '.' and ':' as CoreDNS does:
 *     NAME.NS.svc.Z.                    A (AAAA) of the address
 *     HOST.NAME.NS.svc.Z.               A (AAAA) of the address
 *     _PORT._PROTO.NAME.NS.svc.Z.       SRV 0 100 PORT HOST.NAME.NS.svc.Z.
 *                                       for each named endpoint port
 *     reverse of the address            PTR HOST.NAME.NS.svc.Z.
 *   ExternalName service:
 *     NAME.NS.svc.Z.                    CNAME spec.externalName.
 *
 * PROTO is the port's protocol in lowercase (tcp, udp, sctp). Objects with
 * names or addresses that are not valid DNS labels or IPs are skipped (a
 * debug line says which): nothing from the API reaches unbound's line
 * protocol unchecked.
 */
#ifndef ML_DNS_RECORDS_H
#define ML_DNS_RECORDS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* 5 s, as CoreDNS: long enough to spare clients that cache, short enough
 * that a scaled or deleted service is forgotten quickly. */
#define ML_DNS_TTL 5

/* A set of records: sorted (strcmp), no duplicates; every string owned. */
struct ml_dns_records {
	char **rr;
	size_t n, cap;
};

void ml_dns_records_release(struct ml_dns_records *set);

/*
 * Computes every record for services and endpoints (indexes
 * as ml_k8s_index_from_list() makes them, kube/informer.h) in
 * zone domain ("cluster.local", no trailing dot) with ttl into *ret, which
 * is replaced (released first: zero it before the first call). Returns the
 * number of services that gave records, or -EINVAL with a message when
 * domain is not a valid name.
 */
int ml_dns_records_build(const char *domain, unsigned ttl,
			 struct json_object *services,
			 struct json_object *endpoints,
			 struct ml_dns_records *ret);

/*
 * The changes that turn the records old into new, in the form unbound's
 * remote control takes: it adds records one by one, but removes a name
 * with every record it has. So a name that lost any record is in remove
 * and all of its records in new are in add; a name that only gained
 * records has just those in add. Apply remove before add: both steps are
 * idempotent, so a diff whose pushing failed halfway can be pushed again
 * as it is.
 *
 * unbound follows a CNAME of local data to its target only in a zone of
 * type redirect, so a name that holds a CNAME (an ExternalName service)
 * needs such a zone of its own: zone_add lists the names whose CNAME is
 * new, zone_remove those whose CNAME is gone. (ml-dns does not make those
 * zones at run time: see ml-dns.c.) added and removed count records (not
 * names), for the log.
 */
struct ml_dns_diff {
	char **remove; /* owner names, "x.y.svc.cluster.local."; owned */
	size_t nremove;
	char **zone_remove, **zone_add; /* owner names; owned */
	size_t nzone_remove, nzone_add;
	const char **add; /* records, borrowed from new */
	size_t nadd;
	size_t added, removed;
};

void ml_dns_diff(const struct ml_dns_records *old,
		 const struct ml_dns_records *new, struct ml_dns_diff *ret);
void ml_dns_diff_release(struct ml_dns_diff *diff);

/*
 * Validity checks shared with ml-dns's flags: a DNS label of [a-z0-9-]
 * (1 to 63 characters, no '-' at either end), and a domain name of such
 * labels joined by '.', with letters of either case and '_' allowed
 * (without a trailing dot; 253 characters at most).
 */
bool ml_dns_valid_label(const char *s);
bool ml_dns_valid_name(const char *s);

#endif
