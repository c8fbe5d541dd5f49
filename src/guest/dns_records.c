/* dns_records.c: Services and Endpoints to DNS records (see the header). */
#include "config.h"

#include "guest/dns_records.h"

#include "base/log.h"
#include "base/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAME 253

struct ip {
	int family;
	unsigned char b[16];
	char text[INET6_ADDRSTRLEN];
};

/* The array at key, or NULL; *n its length. */
static struct json_object *
jarray(struct json_object *o, const char *key, size_t *n)
{
	struct json_object *v = ml_json_key(o, key);

	if (!v || !json_object_is_type(v, json_type_array)) {
		*n = 0;
		return NULL;
	}
	*n = json_object_array_length(v);
	return v;
}

bool
ml_dns_valid_label(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

bool
ml_dns_valid_name(const char *s)
{
	size_t n = s ? strlen(s) : 0, label = 0;

	if (n == 0 || n > MAX_NAME)
		return false;
	for (size_t i = 0; i <= n; i++) {
		char ch = s[i];

		if (ch == '.' || ch == '\0') {
			if (label == 0 || label > 63)
				return false;
			label = 0;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return false;
		label++;
	}
	return true;
}

/* Parses s as an IPv4 or IPv6 address, in its canonical text too. */
static bool
parse_ip(const char *s, struct ip *ip)
{
	if (!s)
		return false;
	if (inet_pton(AF_INET, s, ip->b) == 1)
		ip->family = AF_INET;
	else if (inet_pton(AF_INET6, s, ip->b) == 1)
		ip->family = AF_INET6;
	else
		return false;
	return inet_ntop(ip->family, ip->b, ip->text, sizeof(ip->text)) != NULL;
}

/* "4.3.2.1.in-addr.arpa." or the nibbles under ip6.arpa. Caller frees. */
static char *
reverse_name(const struct ip *ip)
{
	static const char hex[] = "0123456789abcdef";
	char buf[128];
	size_t o = 0;

	if (ip->family == AF_INET)
		return ml_xasprintf("%u.%u.%u.%u.in-addr.arpa.", ip->b[3],
				    ip->b[2], ip->b[1], ip->b[0]);
	for (int i = 15; i >= 0; i--) {
		buf[o++] = hex[ip->b[i] & 0xf];
		buf[o++] = '.';
		buf[o++] = hex[ip->b[i] >> 4];
		buf[o++] = '.';
	}
	buf[o] = '\0';
	return ml_xasprintf("%sip6.arpa.", buf);
}

/* The address as a label: '-' for '.' and ':'. Caller frees. */
static char *
dashed(const struct ip *ip)
{
	char *s = ml_xstrdup(ip->text);

	for (char *p = s; *p; p++)
		if (*p == '.' || *p == ':')
			*p = '-';
	return s;
}

void
ml_dns_records_release(struct ml_dns_records *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->rr[i]);
	free(set->rr);
	memset(set, 0, sizeof(*set));
}

/* Appends rr (taking it); finish() sorts and removes duplicates. */
static void
add(struct ml_dns_records *set, char *rr)
{
	if (set->n == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 64;
		set->rr = ml_xrealloc(set->rr, set->cap * sizeof(*set->rr));
	}
	set->rr[set->n++] = rr;
}

static int
cmp_rr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
finish(struct ml_dns_records *set)
{
	size_t o = 0;

	if (set->n == 0)
		return;
	qsort(set->rr, set->n, sizeof(*set->rr), cmp_rr);
	for (size_t i = 1; i < set->n; i++) {
		if (strcmp(set->rr[i], set->rr[o]) == 0)
			free(set->rr[i]);
		else
			set->rr[++o] = set->rr[i];
	}
	set->n = o + 1;
}

static void
add_address(struct ml_dns_records *set, const char *owner, unsigned ttl,
	    const struct ip *ip)
{
	add(set, ml_xasprintf("%s %u IN %s %s", owner, ttl,
			      ip->family == AF_INET ? "A" : "AAAA", ip->text));
}

static void
add_ptr(struct ml_dns_records *set, const struct ip *ip, unsigned ttl,
	const char *target)
{
	ml_autofree char *rev = reverse_name(ip);

	add(set, ml_xasprintf("%s %u IN PTR %s", rev, ttl, target));
}

/*
 * SRV records of the named ports in ports (a Service's or an Endpoints
 * subset's), each pointing at target.
 */
static void
add_srvs(struct ml_dns_records *set, const char *fqdn, unsigned ttl,
	 struct json_object *ports, size_t nports, const char *target)
{
	for (size_t i = 0; i < nports; i++) {
		struct json_object *p = json_object_array_get_idx(ports, i);
		const char *name = ml_json_key_str(p, "name");
		const char *proto = ml_json_key_str(p, "protocol");
		struct json_object *num = ml_json_key(p, "port");
		const char *lproto;
		int port;

		if (!name || !*name)
			continue; /* only named ports have SRV records */
		if (!proto || strcmp(proto, "TCP") == 0)
			lproto = "tcp";
		else if (strcmp(proto, "UDP") == 0)
			lproto = "udp";
		else if (strcmp(proto, "SCTP") == 0)
			lproto = "sctp";
		else
			lproto = NULL;
		port = num && json_object_is_type(num, json_type_int)
			       ? json_object_get_int(num)
			       : 0;
		if (!ml_dns_valid_label(name) || !lproto || port < 1 ||
		    port > 65535) {
			ml_log_debug("ignoring port '%s' of %s", name, fqdn);
			continue;
		}
		add(set, ml_xasprintf("_%s._%s.%s %u IN SRV 0 100 %d %s", name,
				      lproto, fqdn, ttl, port, target));
	}
}

/* A headless service's records from its Endpoints; true when any. */
static bool
headless_records(struct ml_dns_records *set, const char *fqdn, unsigned ttl,
		 struct json_object *spec, struct json_object *eps)
{
	struct json_object *subsets,
		*pub = ml_json_key(spec, "publishNotReadyAddresses");
	bool not_ready = pub && json_object_get_boolean(pub);
	size_t nsubsets;
	bool any = false;

	subsets = jarray(eps, "subsets", &nsubsets);
	for (size_t s = 0; s < nsubsets; s++) {
		struct json_object *sub = json_object_array_get_idx(subsets, s);
		size_t nports;
		struct json_object *ports = jarray(sub, "ports", &nports);

		for (int pass = 0; pass < (not_ready ? 2 : 1); pass++) {
			size_t naddrs;
			struct json_object *addrs =
				jarray(sub,
				       pass == 0 ? "addresses"
						 : "notReadyAddresses",
				       &naddrs);

			for (size_t a = 0; a < naddrs; a++) {
				struct json_object *addr =
					json_object_array_get_idx(addrs, a);
				const char *host =
					ml_json_key_str(addr, "hostname");
				ml_autofree char *dash = NULL;
				ml_autofree char *target = NULL;
				struct ip ip;

				if (!parse_ip(ml_json_key_str(addr, "ip"),
					      &ip)) {
					ml_log_debug("ignoring an address of "
						     "%s: not an IP",
						     fqdn);
					continue;
				}
				if (!host || !ml_dns_valid_label(host))
					host = dash = dashed(&ip);
				target = ml_xasprintf("%s.%s", host, fqdn);
				add_address(set, fqdn, ttl, &ip);
				add_address(set, target, ttl, &ip);
				add_ptr(set, &ip, ttl, target);
				add_srvs(set, fqdn, ttl, ports, nports, target);
				any = true;
			}
		}
	}
	return any;
}

/* One service's records; true when it gave any. */
static bool
service_records(struct ml_dns_records *set, const char *domain, unsigned ttl,
		const char *key, struct json_object *svc,
		struct json_object *endpoints)
{
	struct json_object *meta = ml_json_key(svc, "metadata");
	struct json_object *spec = ml_json_key(svc, "spec");
	const char *name = ml_json_key_str(meta, "name"),
		   *ns = ml_json_key_str(meta, "namespace");
	const char *type = ml_json_key_str(spec, "type"),
		   *cip = ml_json_key_str(spec, "clusterIP");
	struct json_object *ips, *ports, *eps = NULL;
	ml_autofree char *fqdn = NULL;
	size_t nips, nports;
	bool any = false;

	if (!ml_dns_valid_label(name) || !ml_dns_valid_label(ns)) {
		ml_log_debug("ignoring service '%s': not a DNS name", key);
		return false;
	}
	fqdn = ml_xasprintf("%s.%s.svc.%s.", name, ns, domain);
	if (type && strcmp(type, "ExternalName") == 0) {
		const char *ext = ml_json_key_str(spec, "externalName");
		ml_autofree char *target = ext ? ml_xstrdup(ext) : NULL;
		size_t n = target ? strlen(target) : 0;

		if (n > 0 && target[n - 1] == '.')
			target[n - 1] = '\0';
		if (!target || !ml_dns_valid_name(target)) {
			ml_log_debug("ignoring service '%s': externalName "
				     "is not a DNS name",
				     key);
			return false;
		}
		add(set, ml_xasprintf("%s %u IN CNAME %s.", fqdn, ttl, target));
		return true;
	}
	if (!cip || !*cip)
		return false;
	if (strcmp(cip, "None") == 0) {
		if (endpoints)
			json_object_object_get_ex(endpoints, key, &eps);
		return headless_records(set, fqdn, ttl, spec, eps);
	}
	/* spec.clusterIPs (dual stack) holds clusterIP first, when set. */
	ips = jarray(spec, "clusterIPs", &nips);
	for (size_t i = 0; i < (ips ? nips : 1); i++) {
		struct ip ip;
		struct json_object *v = ips ? json_object_array_get_idx(ips, i)
					    : NULL;
		const char *text = ips ? json_object_get_string(v) : cip;

		if (!parse_ip(text, &ip)) {
			ml_log_debug("ignoring cluster IP '%s' of '%s'",
				     text ? text : "", key);
			continue;
		}
		add_address(set, fqdn, ttl, &ip);
		add_ptr(set, &ip, ttl, fqdn);
		any = true;
	}
	if (any) {
		ports = jarray(spec, "ports", &nports);
		add_srvs(set, fqdn, ttl, ports, nports, fqdn);
	}
	return any;
}

int
ml_dns_records_build(const char *domain, unsigned ttl,
		     struct json_object *services,
		     struct json_object *endpoints, struct ml_dns_records *ret)
{
	struct ml_dns_records set = { 0 };
	int n = 0;

	if (!ml_dns_valid_name(domain))
		return ml_err(-EINVAL, "'%s' is not a valid DNS domain",
			      domain ? domain : "");
	if (services && json_object_is_type(services, json_type_object)) {
		json_object_object_foreach(services, key, svc)
		{
			if (service_records(&set, domain, ttl, key, svc,
					    endpoints))
				n++;
		}
	}
	finish(&set);
	ml_dns_records_release(ret);
	*ret = set;
	return n;
}

/* --- diff ----------------------------------------------------------------- */

static size_t
owner_len(const char *rr)
{
	return strcspn(rr, " ");
}

/*
 * Orders records by owner name. Owner names hold no byte below '-', so
 * this order agrees with strcmp() on whole records, and a set sorted by
 * strcmp() has each owner's records next to each other.
 */
static int
owner_cmp(const char *a, const char *b)
{
	size_t la = owner_len(a), lb = owner_len(b);
	int c = memcmp(a, b, la < lb ? la : lb);

	if (c != 0)
		return c;
	return (la > lb) - (la < lb);
}

/* The end of the run of records in set from i that share i's owner. */
static size_t
group_end(const struct ml_dns_records *set, size_t i)
{
	size_t e = i + 1;

	while (e < set->n && owner_cmp(set->rr[e], set->rr[i]) == 0)
		e++;
	return e;
}

/* Appends the owner name of rr to the list *v of *n names. */
static void
add_owner(char ***v, size_t *n, const char *rr)
{
	*v = ml_xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = ml_xstrndup(rr, owner_len(rr));
}

/* True when a record of set[i, e) is a CNAME. */
static bool
has_cname(const struct ml_dns_records *set, size_t i, size_t e)
{
	for (; i < e; i++)
		if (strstr(set->rr[i] + owner_len(set->rr[i]), " IN CNAME "))
			return true;
	return false;
}

static void
diff_add(struct ml_dns_diff *d, const char *rr, size_t *cap)
{
	if (d->nadd == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		d->add = ml_xrealloc(d->add, *cap * sizeof(*d->add));
	}
	d->add[d->nadd++] = rr;
}

void
ml_dns_diff(const struct ml_dns_records *old, const struct ml_dns_records *new,
	    struct ml_dns_diff *ret)
{
	struct ml_dns_diff d = { 0 };
	size_t i = 0, j = 0, acap = 0;

	while (i < old->n || j < new->n) {
		size_t ie = i, je = j, only_old = 0, only_new = 0, x, y;
		int c;

		if (i < old->n && j < new->n)
			c = owner_cmp(old->rr[i], new->rr[j]);
		else
			c = i < old->n ? -1 : 1;
		if (c <= 0)
			ie = group_end(old, i);
		if (c >= 0)
			je = group_end(new, j);
		/* Walk both runs (each sorted) to count what differs. */
		for (x = i, y = j; x < ie || y < je;) {
			int k = x < ie && y < je
					? strcmp(old->rr[x], new->rr[y])
				: x < ie ? -1
					 : 1;

			if (k < 0) {
				only_old++;
				x++;
			} else if (k > 0) {
				only_new++;
				y++;
			} else {
				x++;
				y++;
			}
		}
		d.added += only_new;
		d.removed += only_old;
		if (has_cname(old, i, ie) && !has_cname(new, j, je))
			add_owner(&d.zone_remove, &d.nzone_remove, old->rr[i]);
		if (!has_cname(old, i, ie) && has_cname(new, j, je))
			add_owner(&d.zone_add, &d.nzone_add, new->rr[j]);
		if (only_old > 0) {
			/* unbound removes a name whole: put back the rest. */
			add_owner(&d.remove, &d.nremove, old->rr[i]);
			for (y = j; y < je; y++)
				diff_add(&d, new->rr[y], &acap);
		} else if (only_new > 0) {
			for (x = i, y = j; y < je;) {
				int k = x < ie ? strcmp(old->rr[x], new->rr[y])
					       : 1;

				if (k == 0) {
					x++;
					y++;
				} else if (k > 0) {
					diff_add(&d, new->rr[y++], &acap);
				} else {
					x++;
				}
			}
		}
		i = ie;
		j = je;
	}
	*ret = d;
}

void
ml_dns_diff_release(struct ml_dns_diff *diff)
{
	for (size_t i = 0; i < diff->nremove; i++)
		free(diff->remove[i]);
	for (size_t i = 0; i < diff->nzone_remove; i++)
		free(diff->zone_remove[i]);
	for (size_t i = 0; i < diff->nzone_add; i++)
		free(diff->zone_add[i]);
	free(diff->remove);
	free(diff->zone_remove);
	free(diff->zone_add);
	free(diff->add);
	memset(diff, 0, sizeof(*diff));
}
