/*
 * test_dns_records.c: Services and Endpoints to DNS records, and the diff
 * that ml-dns pushes into unbound. Objects are written inline with '
 * for " to stay readable.
 */
#include "config.h"

#include "guest/dns_records.h"
#include "kube/informer.h"
#include "base/util.h"
#include "check_json.h"
#include "check_run.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define Z "svc.cluster.local."

/* An index of the objects in the JSON array text. */
static struct json_object *
index_of(const char *array_text)
{
	struct json_object *list = json_object_new_object();
	struct json_object *idx;

	json_object_object_add(list, "items", ml_check_json(array_text));
	idx = ml_k8s_index_from_list(list);
	json_object_put(list);
	return idx;
}

/* The set as one string, a record per line. Caller frees. */
static char *
joined(const struct ml_dns_records *set)
{
	char *s = ml_xstrdup("");

	for (size_t i = 0; i < set->n; i++) {
		char *n = ml_xasprintf("%s%s\n", s, set->rr[i]);

		free(s);
		s = n;
	}
	return s;
}

static bool
has(const struct ml_dns_records *set, const char *rr)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->rr[i], rr) == 0)
			return true;
	return false;
}

/* Records for services and endpoints given as JSON arrays. */
static int
build(const char *svcs, const char *eps, struct ml_dns_records *ret)
{
	struct json_object *s = index_of(svcs), *e = index_of(eps);
	int r = ml_dns_records_build("cluster.local", 5, s, e, ret);

	json_object_put(s);
	json_object_put(e);
	return r;
}

static const char web[] =
	"[{'metadata':{'name':'web','namespace':'default'},"
	"'spec':{'type':'ClusterIP','clusterIP':'10.96.0.20',"
	"'clusterIPs':['10.96.0.20'],"
	"'ports':[{'name':'http','protocol':'TCP','port':80,'targetPort':8080},"
	"{'name':'dns','protocol':'UDP','port':53}]}}]";

START_TEST(test_dns_records_clusterip)
{
	struct ml_dns_records set = { 0 };
	ml_autofree char *got = NULL;

	ck_assert_int_eq(build(web, "[]", &set), 1);
	got = joined(&set);
	ck_assert_str_eq(got,
			 "20.0.96.10.in-addr.arpa. 5 IN PTR web.default." Z "\n"
			 "_dns._udp.web.default." Z " 5 IN SRV 0 100 53 "
			 "web.default." Z "\n"
			 "_http._tcp.web.default." Z " 5 IN SRV 0 100 80 "
			 "web.default." Z "\n"
			 "web.default." Z " 5 IN A 10.96.0.20\n");
	ml_dns_records_release(&set);
}
END_TEST

START_TEST(test_dns_records_nodeport_and_loadbalancer_as_clusterip)
{
	struct ml_dns_records set = { 0 };

	ck_assert_int_eq(build("[{'metadata':{'name':'np','namespace':'a'},"
			       "'spec':{'type':'NodePort','clusterIP':'10.96.1.1',"
			       "'ports':[{'port':80,'nodePort':30080}]}},"
			       "{'metadata':{'name':'lb','namespace':'a'},"
			       "'spec':{'type':'LoadBalancer','clusterIP':'10.96.1.2',"
			       "'ports':[{'name':'https','port':443}]}}]",
			       "[]", &set),
			 2);
	ck_assert(has(&set, "np.a." Z " 5 IN A 10.96.1.1"));
	ck_assert(has(&set, "lb.a." Z " 5 IN A 10.96.1.2"));
	/* an unnamed port has no SRV; a port without protocol is TCP */
	ck_assert(has(&set, "_https._tcp.lb.a." Z " 5 IN SRV 0 100 443 "
			    "lb.a." Z));
	ck_assert_uint_eq(set.n, 5);
	ml_dns_records_release(&set);
}
END_TEST

static const char db_headless[] =
	"[{'metadata':{'name':'db','namespace':'data'},"
	"'spec':{'clusterIP':'None','ports':[{'name':'pg','port':5432}]}}]";
static const char db_publish[] =
	"[{'metadata':{'name':'db','namespace':'data'},"
	"'spec':{'clusterIP':'None','publishNotReadyAddresses':true,"
	"'ports':[{'name':'pg','port':5432}]}}]";
static const char db_eps[] =
	"[{'metadata':{'name':'db','namespace':'data'},'subsets':[{"
	"'addresses':[{'ip':'10.244.0.5'},{'ip':'10.244.0.6'},"
	"{'ip':'10.244.0.7'}],"
	"'notReadyAddresses':[{'ip':'10.244.0.8'}],"
	"'ports':[{'name':'pg','port':5432,'protocol':'TCP'}]}]}]";

START_TEST(test_dns_records_headless_ready_only)
{
	struct ml_dns_records set = { 0 };

	ck_assert_int_eq(build(db_headless, db_eps, &set), 1);
	ck_assert(has(&set, "db.data." Z " 5 IN A 10.244.0.5"));
	ck_assert(has(&set, "db.data." Z " 5 IN A 10.244.0.6"));
	ck_assert(has(&set, "db.data." Z " 5 IN A 10.244.0.7"));
	ck_assert(!has(&set, "db.data." Z " 5 IN A 10.244.0.8"));
	/* endpoints without a hostname are named by their dashed IP */
	ck_assert(has(&set, "10-244-0-5.db.data." Z " 5 IN A 10.244.0.5"));
	ck_assert(has(&set, "_pg._tcp.db.data." Z
			    " 5 IN SRV 0 100 5432 10-244-0-6.db.data." Z));
	ck_assert(has(&set, "7.0.244.10.in-addr.arpa. 5 IN PTR "
			    "10-244-0-7.db.data." Z));
	ck_assert(!has(&set, "8.0.244.10.in-addr.arpa. 5 IN PTR "
			     "10-244-0-8.db.data." Z));
	/* per address: A at the service, A at its own name, SRV, PTR */
	ck_assert_uint_eq(set.n, 12);
	ml_dns_records_release(&set);
}
END_TEST

START_TEST(test_dns_records_headless_publish_not_ready)
{
	struct ml_dns_records set = { 0 };

	ck_assert_int_eq(build(db_publish, db_eps, &set), 1);
	ck_assert(has(&set, "db.data." Z " 5 IN A 10.244.0.8"));
	ck_assert(has(&set, "10-244-0-8.db.data." Z " 5 IN A 10.244.0.8"));
	ck_assert_uint_eq(set.n, 16);
	ml_dns_records_release(&set);
}
END_TEST

START_TEST(test_dns_records_headless_without_endpoints)
{
	struct ml_dns_records set = { 0 };

	/* no Endpoints object yet, or one with no address at all */
	ck_assert_int_eq(build(db_headless, "[]", &set), 0);
	ck_assert_uint_eq(set.n, 0);
	ck_assert_int_eq(
		build(db_headless,
		      "[{'metadata':{'name':'db','namespace':'data'},"
		      "'subsets':[{'notReadyAddresses':[{'ip':'10.244.0.8'}]}]}]",
		      &set),
		0);
	ck_assert_uint_eq(set.n, 0);
	ml_dns_records_release(&set);
}
END_TEST

START_TEST(test_dns_records_hostname_subdomain)
{
	struct ml_dns_records set = { 0 };

	ck_assert_int_eq(
		build("[{'metadata':{'name':'nginx','namespace':'default'},"
		      "'spec':{'clusterIP':'None'}}]",
		      "[{'metadata':{'name':'nginx','namespace':'default'},"
		      "'subsets':[{'addresses':["
		      "{'ip':'10.244.1.10','hostname':'web-0'},"
		      "{'ip':'10.244.1.11','hostname':'web-1'}],"
		      "'ports':[{'name':'http','port':8080},"
		      "{'name':'metrics','port':9100,'protocol':'UDP'}]}]}]",
		      &set),
		1);
	ck_assert(has(&set, "web-0.nginx.default." Z " 5 IN A 10.244.1.10"));
	ck_assert(has(&set, "web-1.nginx.default." Z " 5 IN A 10.244.1.11"));
	ck_assert(!has(&set,
		       "10-244-1-10.nginx.default." Z " 5 IN A 10.244.1.10"));
	ck_assert(has(&set, "_http._tcp.nginx.default." Z
			    " 5 IN SRV 0 100 8080 web-0.nginx.default." Z));
	ck_assert(has(&set, "_metrics._udp.nginx.default." Z
			    " 5 IN SRV 0 100 9100 web-1.nginx.default." Z));
	ck_assert(has(&set, "11.1.244.10.in-addr.arpa. 5 IN PTR "
			    "web-1.nginx.default." Z));
	ml_dns_records_release(&set);
}
END_TEST

START_TEST(test_dns_records_ptr_ipv6)
{
	struct ml_dns_records set = { 0 };
	ml_autofree char *got = NULL;

	ck_assert_int_eq(build("[{'metadata':{'name':'v6','namespace':'n'},"
			       "'spec':{'clusterIP':'fd00:10:96::a',"
			       "'clusterIPs':['fd00:10:96::a','10.96.0.9']}}]",
			       "[]", &set),
			 1);
	got = joined(&set);
	ck_assert_str_eq(got,
			 "9.0.96.10.in-addr.arpa. 5 IN PTR v6.n." Z "\n"
			 "a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0."
			 "d.f.ip6.arpa. 5 IN PTR v6.n." Z "\n"
			 "v6.n." Z " 5 IN A 10.96.0.9\n"
			 "v6.n." Z " 5 IN AAAA fd00:10:96::a\n");
	ml_dns_records_release(&set);
}
END_TEST

START_TEST(test_dns_records_external_name)
{
	struct ml_dns_records set = { 0 };
	ml_autofree char *got = NULL;

	ck_assert_int_eq(build("[{'metadata':{'name':'ext','namespace':'default'},"
			       "'spec':{'type':'ExternalName',"
			       "'externalName':'db.example.com',"
			       "'ports':[{'name':'pg','port':5432}]}},"
			       "{'metadata':{'name':'dot','namespace':'default'},"
			       "'spec':{'type':'ExternalName',"
			       "'externalName':'Api.Example.org.'}},"
			       "{'metadata':{'name':'bad','namespace':'default'},"
			       "'spec':{'type':'ExternalName',"
			       "'externalName':'a b.example.com'}}]",
			       "[]", &set),
			 2);
	got = joined(&set);
	/* no SRV for ExternalName; one trailing dot; a bad name skipped */
	ck_assert_str_eq(got, "dot.default." Z " 5 IN CNAME Api.Example.org.\n"
			      "ext.default." Z " 5 IN CNAME db.example.com.\n");
	ml_dns_records_release(&set);
}
END_TEST

START_TEST(test_dns_records_invalid_objects_skipped)
{
	struct ml_dns_records set = { 0 };

	/* Nothing from the API may reach unbound's line protocol unchecked. */
	ck_assert_int_eq(
		build("[{'metadata':{'name':'x\\nlocal_zone . static',"
		      "'namespace':'default'},'spec':{'clusterIP':'10.96.0.1'}},"
		      "{'metadata':{'name':'Upper','namespace':'default'},"
		      "'spec':{'clusterIP':'10.96.0.2'}},"
		      "{'metadata':{'name':'badip','namespace':'default'},"
		      "'spec':{'clusterIP':'10.96.0.300'}},"
		      "{'metadata':{'name':'empty','namespace':'default'},"
		      "'spec':{'clusterIP':''}},"
		      "{'metadata':{'name':'hl','namespace':'default'},"
		      "'spec':{'clusterIP':'None'}},"
		      "{'metadata':{'name':'ok','namespace':'default'},"
		      "'spec':{'clusterIP':'10.96.0.3','ports':["
		      "{'name':'bad name','port':1},{'name':'big','port':70000},"
		      "{'name':'x','port':1,'protocol':'ICMP'}]}}]",
		      "[{'metadata':{'name':'hl','namespace':'default'},"
		      "'subsets':[{'addresses':[{'ip':'not-an-ip'},"
		      "{'ip':'10.244.0.1','hostname':'Bad Host'}]}]}]",
		      &set),
		2);
	ck_assert(has(&set, "ok.default." Z " 5 IN A 10.96.0.3"));
	/* a hostname that is not a label falls back to the dashed IP */
	ck_assert(has(&set, "10-244-0-1.hl.default." Z " 5 IN A 10.244.0.1"));
	ck_assert_uint_eq(set.n, 2 + 3);
	ml_dns_records_release(&set);
}
END_TEST

START_TEST(test_dns_records_empty_set)
{
	struct ml_dns_records set = { 0 }, empty = { 0 };
	struct ml_dns_diff d;

	ck_assert_int_eq(build("[]", "[]", &set), 0);
	ck_assert_uint_eq(set.n, 0);
	ck_assert_int_eq(ml_dns_records_build("cluster.local", 5, NULL, NULL,
					      &set),
			 0);
	ck_assert_uint_eq(set.n, 0);
	ml_dns_diff(&empty, &set, &d);
	ck_assert_uint_eq(d.nadd + d.nremove + d.added + d.removed, 0);
	ml_dns_diff_release(&d);
	ml_dns_records_release(&set);
}
END_TEST

START_TEST(test_dns_records_domain)
{
	struct ml_dns_records set = { 0 };
	struct json_object *s = index_of(web);

	ck_assert_int_eq(ml_dns_records_build("corp.internal", 30, s, NULL,
					      &set),
			 1);
	ck_assert(has(&set, "web.default.svc.corp.internal. 30 IN A "
			    "10.96.0.20"));
	ck_assert_int_eq(ml_dns_records_build("bad domain", 5, s, NULL, &set),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "'bad domain'"));
	ck_assert_int_eq(ml_dns_records_build("a..b", 5, s, NULL, &set),
			 -EINVAL);
	json_object_put(s);
	ml_dns_records_release(&set);
}
END_TEST

/*
 * unbound's semantics, simulated: remove drops every record of a name,
 * add adds one record (a duplicate is ignored).
 */
static void
apply(struct ml_dns_records *have, const struct ml_dns_diff *d)
{
	struct ml_dns_records out = { 0 };
	struct json_object *set = json_object_new_object();

	for (size_t i = 0; i < have->n; i++) {
		size_t o = strcspn(have->rr[i], " ");
		bool gone = false;

		for (size_t k = 0; k < d->nremove; k++)
			if (strlen(d->remove[k]) == o &&
			    strncmp(d->remove[k], have->rr[i], o) == 0)
				gone = true;
		if (!gone)
			json_object_object_add(set, have->rr[i], NULL);
	}
	for (size_t k = 0; k < d->nadd; k++)
		json_object_object_add(set, d->add[k], NULL);
	json_object_object_foreach(set, key, val)
	{
		(void)val;
		out.rr = ml_xrealloc(out.rr, (out.n + 1) * sizeof(*out.rr));
		out.rr[out.n++] = ml_xstrdup(key);
	}
	json_object_put(set);
	ml_dns_records_release(have);
	*have = out;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Pushing the diff of a to b into a copy of a gives b. */
static void
check_diff(const struct ml_dns_records *a, const struct ml_dns_records *b)
{
	struct ml_dns_records sim = { 0 };
	struct ml_dns_diff d;
	ml_autofree char *want = joined(b), *got = NULL;

	for (size_t i = 0; i < a->n; i++) {
		sim.rr = ml_xrealloc(sim.rr, (sim.n + 1) * sizeof(*sim.rr));
		sim.rr[sim.n++] = ml_xstrdup(a->rr[i]);
	}
	ml_dns_diff(a, b, &d);
	apply(&sim, &d);
	if (sim.n > 0)
		qsort(sim.rr, sim.n, sizeof(*sim.rr), cmp);
	got = joined(&sim);
	ck_assert_str_eq(got, want);
	ml_dns_diff_release(&d);
	ml_dns_records_release(&sim);
}

START_TEST(test_dns_records_diff_scale_down)
{
	struct ml_dns_records three = { 0 }, two = { 0 };
	struct ml_dns_diff d;

	build(db_headless, db_eps, &three);
	build(db_headless,
	      "[{'metadata':{'name':'db','namespace':'data'},'subsets':[{"
	      "'addresses':[{'ip':'10.244.0.5'},{'ip':'10.244.0.6'}],"
	      "'ports':[{'name':'pg','port':5432}]}]}]",
	      &two);
	ml_dns_diff(&three, &two, &d);
	ck_assert_uint_eq(d.removed, 4);
	ck_assert_uint_eq(d.added, 0);
	/* the service name and the SRV name lose a record: removed whole,
	 * their remaining records put back; the address's names go */
	ck_assert_uint_eq(d.nremove, 4);
	ck_assert_str_eq(d.remove[0], "10-244-0-7.db.data." Z);
	ck_assert_str_eq(d.remove[1], "7.0.244.10.in-addr.arpa.");
	ck_assert_str_eq(d.remove[2], "_pg._tcp.db.data." Z);
	ck_assert_str_eq(d.remove[3], "db.data." Z);
	ck_assert_uint_eq(d.nadd, 4);
	ml_dns_diff_release(&d);
	check_diff(&three, &two);
	check_diff(&two, &three);
	ml_dns_records_release(&three);
	ml_dns_records_release(&two);
}
END_TEST

START_TEST(test_dns_records_diff_scale_up_adds_only)
{
	struct ml_dns_records two = { 0 }, three = { 0 };
	struct ml_dns_diff d;

	build(db_headless,
	      "[{'metadata':{'name':'db','namespace':'data'},'subsets':[{"
	      "'addresses':[{'ip':'10.244.0.5'},{'ip':'10.244.0.6'}],"
	      "'ports':[{'name':'pg','port':5432}]}]}]",
	      &two);
	build(db_headless, db_eps, &three);
	ml_dns_diff(&two, &three, &d);
	ck_assert_uint_eq(d.nremove, 0);
	ck_assert_uint_eq(d.nadd, 4);
	ck_assert_uint_eq(d.added, 4);
	ml_dns_diff_release(&d);
	ml_dns_records_release(&three);
	ml_dns_records_release(&two);
}
END_TEST

START_TEST(test_dns_records_diff_deletions)
{
	struct ml_dns_records all = { 0 }, none = { 0 }, web_only = { 0 };
	struct ml_dns_diff d;

	build(web, "[]", &web_only);
	build("[{'metadata':{'name':'web','namespace':'default'},"
	      "'spec':{'type':'ClusterIP','clusterIP':'10.96.0.20',"
	      "'ports':[{'name':'http','protocol':'TCP','port':80},"
	      "{'name':'dns','protocol':'UDP','port':53}]}},"
	      "{'metadata':{'name':'db','namespace':'data'},"
	      "'spec':{'clusterIP':'None','ports':[{'name':'pg','port':5432}]}}"
	      "]",
	      db_eps, &all);
	/* the service deleted: every name it had goes, nothing is added */
	ml_dns_diff(&all, &web_only, &d);
	ck_assert_uint_eq(d.nadd, 0);
	ck_assert_uint_eq(d.removed, all.n - web_only.n);
	ml_dns_diff_release(&d);
	/* everything deleted */
	ml_dns_diff(&all, &none, &d);
	ck_assert_uint_eq(d.nadd, 0);
	ck_assert_uint_eq(d.removed, all.n);
	ml_dns_diff_release(&d);
	/* nothing changed: nothing to push */
	ml_dns_diff(&all, &all, &d);
	ck_assert_uint_eq(d.nadd + d.nremove + d.added + d.removed, 0);
	ml_dns_diff_release(&d);
	check_diff(&all, &web_only);
	check_diff(&web_only, &all);
	check_diff(&none, &all);
	check_diff(&all, &none);
	ml_dns_records_release(&all);
	ml_dns_records_release(&web_only);
}
END_TEST

START_TEST(test_dns_records_diff_names_that_prefix_others)
{
	struct ml_dns_records a = { 0 }, b = { 0 };

	/* "a.x." sorts before its own child "b.a.x." and its sibling
	 * "a-b.x."; runs of one name must stay together all the same */
	build("[{'metadata':{'name':'a','namespace':'x'},"
	      "'spec':{'clusterIP':'None'}},"
	      "{'metadata':{'name':'a-b','namespace':'x'},"
	      "'spec':{'clusterIP':'10.96.0.7'}}]",
	      "[{'metadata':{'name':'a','namespace':'x'},'subsets':[{"
	      "'addresses':[{'ip':'10.0.0.1','hostname':'b'},"
	      "{'ip':'10.0.0.2','hostname':'b'},{'ip':'10.0.0.3'}]}]}]",
	      &a);
	build("[{'metadata':{'name':'a','namespace':'x'},"
	      "'spec':{'clusterIP':'None'}},"
	      "{'metadata':{'name':'a-b','namespace':'x'},"
	      "'spec':{'clusterIP':'10.96.0.8'}}]",
	      "[{'metadata':{'name':'a','namespace':'x'},'subsets':[{"
	      "'addresses':[{'ip':'10.0.0.2','hostname':'b'},"
	      "{'ip':'10.0.0.4'}]}]}]",
	      &b);
	check_diff(&a, &b);
	check_diff(&b, &a);
	ml_dns_records_release(&a);
	ml_dns_records_release(&b);
}
END_TEST

START_TEST(test_dns_records_diff_cname_zones)
{
	struct ml_dns_records none = { 0 }, ext = { 0 }, ext2 = { 0 },
			      cip = { 0 };
	struct ml_dns_diff d;
	static const char svc[] =
		"[{'metadata':{'name':'ext','namespace':'default'},"
		"'spec':{'type':'ExternalName','externalName':'%s'}}]";
	ml_autofree char *a = ml_xasprintf(svc, "a.example.com");
	ml_autofree char *b = ml_xasprintf(svc, "b.example.com");

	build(a, "[]", &ext);
	build(b, "[]", &ext2);
	build("[{'metadata':{'name':'ext','namespace':'default'},"
	      "'spec':{'clusterIP':'10.96.0.4'}}]",
	      "[]", &cip);
	/* an ExternalName appears: its name gets a redirect zone */
	ml_dns_diff(&none, &ext, &d);
	ck_assert_uint_eq(d.nzone_add, 1);
	ck_assert_str_eq(d.zone_add[0], "ext.default." Z);
	ck_assert_uint_eq(d.nzone_remove + d.nremove, 0);
	ck_assert_uint_eq(d.nadd, 1);
	ml_dns_diff_release(&d);
	/* its target changes: the zone stays, the record is replaced */
	ml_dns_diff(&ext, &ext2, &d);
	ck_assert_uint_eq(d.nzone_add + d.nzone_remove, 0);
	ck_assert_uint_eq(d.nremove, 1);
	ck_assert_uint_eq(d.nadd, 1);
	ck_assert_str_eq(d.add[0],
			 "ext.default." Z " 5 IN CNAME b.example.com.");
	ml_dns_diff_release(&d);
	/* it becomes a ClusterIP service: the zone goes */
	ml_dns_diff(&ext2, &cip, &d);
	ck_assert_uint_eq(d.nzone_remove, 1);
	ck_assert_str_eq(d.zone_remove[0], "ext.default." Z);
	ck_assert_uint_eq(d.nzone_add, 0);
	ml_dns_diff_release(&d);
	/* and back */
	ml_dns_diff(&cip, &ext, &d);
	ck_assert_uint_eq(d.nzone_add, 1);
	ck_assert_uint_eq(d.nzone_remove, 0);
	ml_dns_diff_release(&d);
	check_diff(&ext, &cip);
	check_diff(&cip, &ext);
	ml_dns_records_release(&ext);
	ml_dns_records_release(&ext2);
	ml_dns_records_release(&cip);
}
END_TEST

START_TEST(test_dns_records_valid_names)
{
	ck_assert(ml_dns_valid_label("web-1"));
	ck_assert(!ml_dns_valid_label("-web"));
	ck_assert(!ml_dns_valid_label("web-"));
	ck_assert(!ml_dns_valid_label("Web"));
	ck_assert(!ml_dns_valid_label(""));
	ck_assert(!ml_dns_valid_label(NULL));
	ck_assert(!ml_dns_valid_label("a234567890123456789012345678901234567"
				      "890123456789012345678901234"));
	ck_assert(ml_dns_valid_name("cluster.local"));
	ck_assert(ml_dns_valid_name("_sip.Example.COM"));
	ck_assert(!ml_dns_valid_name("cluster.local."));
	ck_assert(!ml_dns_valid_name(".local"));
	ck_assert(!ml_dns_valid_name("a b"));
	ck_assert(!ml_dns_valid_name("a\"b"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dns_records");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_dns_records_clusterip);
	tcase_add_test(tc,
		       test_dns_records_nodeport_and_loadbalancer_as_clusterip);
	tcase_add_test(tc, test_dns_records_headless_ready_only);
	tcase_add_test(tc, test_dns_records_headless_publish_not_ready);
	tcase_add_test(tc, test_dns_records_headless_without_endpoints);
	tcase_add_test(tc, test_dns_records_hostname_subdomain);
	tcase_add_test(tc, test_dns_records_ptr_ipv6);
	tcase_add_test(tc, test_dns_records_external_name);
	tcase_add_test(tc, test_dns_records_invalid_objects_skipped);
	tcase_add_test(tc, test_dns_records_empty_set);
	tcase_add_test(tc, test_dns_records_domain);
	tcase_add_test(tc, test_dns_records_diff_scale_down);
	tcase_add_test(tc, test_dns_records_diff_scale_up_adds_only);
	tcase_add_test(tc, test_dns_records_diff_deletions);
	tcase_add_test(tc, test_dns_records_diff_names_that_prefix_others);
	tcase_add_test(tc, test_dns_records_diff_cname_zones);
	tcase_add_test(tc, test_dns_records_valid_names);
	suite_add_tcase(s, tc);
	return ml_check_run(s);
}
