/* test_netconf.c: what the node is told about the network: NO_PROXY, the
 * proxies' loopback, proxy.env, daemon.json, settings.env and the config
 * drive that carries them. */
#include "config.h"

#include "base/pki.h"
#include "base/util.h"
#include "machine/iso.h"
#include "machine/netconf.h"
#include "machine/node.h"
#include "check_run.h"
#include "iso_entry.h"

#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define CLUSTER_NO_PROXY                                                   \
	"localhost,127.0.0.1,10.0.2.15,host.minilaunch.internal,10.0.2.2," \
	"10.96.0.0/12,10.244.0.0/16,.svc,.cluster.local,cluster.local"

START_TEST(test_netconf_no_proxy_adds_the_cluster)
{
	ml_autofree char *none = ml_netconf_no_proxy(NULL, "dev");
	ml_autofree char *user =
		ml_netconf_no_proxy(" .corp.example , 10.1.0.0/16,,", "dev");
	/* the user's first, in their order; repeats of the cluster's and
	 * of their own are dropped */
	ml_autofree char *dup =
		ml_netconf_no_proxy("localhost,a.example,a.example,10.96.0.0/12,dev",
				    "dev");

	ck_assert_str_eq(none, CLUSTER_NO_PROXY ",dev");
	ck_assert_str_eq(user,
			 ".corp.example,10.1.0.0/16," CLUSTER_NO_PROXY ",dev");
	ck_assert_str_eq(dup, "localhost,a.example,10.96.0.0/12,dev,127.0.0.1,"
			      "10.0.2.15,host.minilaunch.internal,10.0.2.2,"
			      "10.244.0.0/16,.svc,.cluster.local,"
			      "cluster.local");
}
END_TEST

START_TEST(test_netconf_proxy_loopback_is_the_gateway)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "http://127.0.0.1:3128", "http://10.0.2.2:3128" },
		{ "http://localhost:3128/", "http://10.0.2.2:3128/" },
		{ "http://LocalHost", "http://10.0.2.2" },
		{ "http://[::1]:8080", "http://10.0.2.2:8080" },
		{ "http://user:pw@127.0.0.1:3128",
		  "http://user:pw@10.0.2.2:3128" },
		{ "127.0.0.1:3128", "10.0.2.2:3128" },
		{ "socks5://localhost:1080", "socks5://10.0.2.2:1080" },
		/* not the host's loopback: kept */
		{ "http://proxy.example:3128", "http://proxy.example:3128" },
		{ "http://localhost.example:3128",
		  "http://localhost.example:3128" },
		{ "http://127.0.0.10:3128", "http://127.0.0.10:3128" },
		{ "http://proxy.example/127.0.0.1",
		  "http://proxy.example/127.0.0.1" },
		{ "http://127.0.0.1@proxy.example",
		  "http://127.0.0.1@proxy.example" },
	};

	for (size_t i = 0; i < ML_ARRAY_SIZE(cases); i++) {
		ml_autofree char *got = ml_netconf_guest_proxy(cases[i].in);
		ck_assert_msg(strcmp(got, cases[i].want) == 0,
			      "%s: got %s, want %s", cases[i].in, got,
			      cases[i].want);
	}
}
END_TEST

START_TEST(test_netconf_proxy_env)
{
	struct ml_netconf c = { .no_proxy = "a.example" };
	ml_autofree char *none = ml_netconf_proxy_env(&c, "dev");
	ml_autofree char *env = NULL, *https_only = NULL;
	char *got[ML_NETCONF_NPROXY];

	/* NO_PROXY alone is no proxy: no file */
	ck_assert_ptr_null(none);
	ck_assert(!ml_netconf_proxies(&c, "dev", got));
	ck_assert_ptr_null(got[ML_NETCONF_NO]);

	c.http_proxy = "http://localhost:3128";
	c.https_proxy = "http://proxy.example:3129";
	env = ml_netconf_proxy_env(&c, "dev");
	ck_assert_str_eq(env, "HTTP_PROXY=http://10.0.2.2:3128\n"
			      "HTTPS_PROXY=http://proxy.example:3129\n"
			      "NO_PROXY=a.example," CLUSTER_NO_PROXY ",dev\n"
			      "http_proxy=http://10.0.2.2:3128\n"
			      "https_proxy=http://proxy.example:3129\n"
			      "no_proxy=a.example," CLUSTER_NO_PROXY ",dev\n");

	c = (struct ml_netconf){ .https_proxy = "http://p.example:1" };
	https_only = ml_netconf_proxy_env(&c, "n1");
	ck_assert_str_eq(https_only, "HTTPS_PROXY=http://p.example:1\n"
				     "NO_PROXY=" CLUSTER_NO_PROXY ",n1\n"
				     "https_proxy=http://p.example:1\n"
				     "no_proxy=" CLUSTER_NO_PROXY ",n1\n");
	ck_assert(ml_netconf_proxies(&c, "n1", got));
	ck_assert_ptr_null(got[ML_NETCONF_HTTP]);
	ck_assert_str_eq(got[ML_NETCONF_HTTPS], "http://p.example:1");
	ck_assert_str_eq(got[ML_NETCONF_NO], CLUSTER_NO_PROXY ",n1");
	for (int i = 0; i < ML_NETCONF_NPROXY; i++)
		free(got[i]);
}
END_TEST

START_TEST(test_netconf_host_proxy_either_case)
{
	unsetenv("HTTPS_PROXY");
	unsetenv("https_proxy");
	ck_assert_ptr_null(ml_netconf_host_proxy("HTTPS_PROXY"));
	setenv("https_proxy", "http://lower.example:1", 1);
	ck_assert_str_eq(ml_netconf_host_proxy("HTTPS_PROXY"),
			 "http://lower.example:1");
	/* the upper case wins; an empty one counts as unset */
	setenv("HTTPS_PROXY", "http://upper.example:2", 1);
	ck_assert_str_eq(ml_netconf_host_proxy("HTTPS_PROXY"),
			 "http://upper.example:2");
	setenv("HTTPS_PROXY", "", 1);
	ck_assert_str_eq(ml_netconf_host_proxy("HTTPS_PROXY"),
			 "http://lower.example:1");
	unsetenv("HTTPS_PROXY");
	unsetenv("https_proxy");
}
END_TEST

static struct json_object *
parse_file(const char *path)
{
	ml_autofree char *text = NULL;

	ck_assert_int_eq(ml_read_file(path, &text, NULL), 0);
	return json_tokener_parse(text);
}

START_TEST(test_netconf_daemon_json)
{
	struct ml_netconf c = { .offline = false };
	ml_autofree char *none = ml_netconf_daemon_json(&c);
	ml_autofree char *text = NULL;
	struct json_object *o, *image, *v;

	/* nothing to add: the image's own file stays */
	ck_assert_ptr_null(none);

	c.registry_mirrors = "https://mirror.example,http://10.0.2.2:5001";
	c.insecure_registries = "host.minilaunch.internal:5000,10.5.0.0/16";
	text = ml_netconf_daemon_json(&c);
	o = json_tokener_parse(text);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "registry-mirrors", &v));
	ck_assert_int_eq((int)json_object_array_length(v), 2);
	ck_assert_str_eq(json_object_get_string(
				 json_object_array_get_idx(v, 0)),
			 "https://mirror.example");
	ck_assert_str_eq(json_object_get_string(
				 json_object_array_get_idx(v, 1)),
			 "http://10.0.2.2:5001");
	ck_assert(json_object_object_get_ex(o, "insecure-registries", &v));
	ck_assert_int_eq((int)json_object_array_length(v), 2);
	ck_assert_str_eq(json_object_get_string(
				 json_object_array_get_idx(v, 0)),
			 "host.minilaunch.internal:5000");
	ck_assert_str_eq(json_object_get_string(
				 json_object_array_get_idx(v, 1)),
			 "10.5.0.0/16");
	/* the rest is the image's daemon.json, key for key */
	json_object_object_del(o, "registry-mirrors");
	json_object_object_del(o, "insecure-registries");
	image = parse_file(ML_SRCDIR "/iso/rootfs/etc/docker/daemon.json");
	ck_assert_ptr_nonnull(image);
	ck_assert_msg(json_object_equal(o, image),
		      "daemon.json differs from the image's: %s", text);
	json_object_put(o);
	json_object_put(image);

	/* one list alone: the other key is absent */
	c.registry_mirrors = NULL;
	free(text);
	text = ml_netconf_daemon_json(&c);
	o = json_tokener_parse(text);
	ck_assert(!json_object_object_get_ex(o, "registry-mirrors", NULL));
	ck_assert(json_object_object_get_ex(o, "insecure-registries", NULL));
	json_object_put(o);
}
END_TEST

START_TEST(test_netconf_settings)
{
	struct ml_netconf c = { .offline = false };
	ml_autofree char *online = ml_netconf_settings(&c);
	ml_autofree char *offline = NULL;

	ck_assert_str_eq(online,
			 "NETWORK=online\nHOST_IP=10.0.2.2\nEGRESS_GUARD=off\n");
	c.offline = true;
	c.egress_guard = true;
	offline = ml_netconf_settings(&c);
	ck_assert_str_eq(
		offline,
		"NETWORK=offline\nHOST_IP=10.0.2.2\nEGRESS_GUARD=gateway\n");
}
END_TEST

/* The drive carries it all, with proxy.env private to root. */
START_TEST(test_netconf_config_drive)
{
	char tmp[] = "/tmp/ml-test-netconf.XXXXXX";
	ml_autofree char *home = NULL, *settings = NULL, *json = NULL,
			 *env = NULL, *want_env = NULL, *want_json = NULL;
	struct ml_netconf c = {
		.offline = true,
		.insecure_registries = "host.minilaunch.internal:5000",
		.http_proxy = "http://127.0.0.1:3128",
	};
	struct ml_node_paths p;

	ck_assert_ptr_nonnull(mkdtemp(tmp));
	home = ml_xasprintf("%s/home", tmp);
	ck_assert_int_eq(ml_pki_ensure(home, "dev", "dev", NULL), 0);
	ml_node_paths_init(&p, home, "dev");

	/* without settings: online, and the image's own daemon.json */
	ck_assert_int_eq(ml_node_write_config_drive(home, "dev", &p, true,
						    "v1.20.2", NULL),
			 0);
	ck_assert_int_eq(ml_iso_read_file(p.config_iso, "settings.env",
					  &settings, NULL),
			 0);
	ck_assert_ptr_nonnull(strstr(settings, "\nNETWORK=online\n"));
	ck_assert_ptr_nonnull(strstr(settings, "\nHOST_IP=10.0.2.2\n"));
	ck_assert_ptr_nonnull(strstr(settings, "\nEGRESS_GUARD=off\n"));
	ck_assert_int_eq(ml_iso_read_file(p.config_iso, "docker/daemon.json",
					  &json, NULL),
			 -ENOENT);
	ck_assert_int_eq(ml_iso_read_file(p.config_iso, "proxy.env", &env,
					  NULL),
			 -ENOENT);
	ml_err_clear();
	free(settings);
	settings = NULL;

	ck_assert_int_eq(ml_node_write_config_drive(home, "dev", &p, true,
						    "v1.20.2", &c),
			 0);
	ck_assert_int_eq(ml_iso_read_file(p.config_iso, "settings.env",
					  &settings, NULL),
			 0);
	ck_assert_ptr_nonnull(strstr(settings, "\nNETWORK=offline\n"));
	ck_assert_ptr_nonnull(strstr(settings, "\nKUBERNETES=true\n"));
	ck_assert_int_eq(ml_iso_read_file(p.config_iso, "docker/daemon.json",
					  &json, NULL),
			 0);
	want_json = ml_netconf_daemon_json(&c);
	ck_assert_str_eq(json, want_json);
	ck_assert_int_eq(entry_perm(p.config_iso, "docker/daemon.json"), 0644);
	ck_assert_int_eq(ml_iso_read_file(p.config_iso, "proxy.env", &env,
					  NULL),
			 0);
	want_env = ml_netconf_proxy_env(&c, "dev");
	ck_assert_str_eq(env, want_env);
	ck_assert_ptr_nonnull(strstr(env, "HTTP_PROXY=http://10.0.2.2:3128\n"));
	ck_assert_int_eq(entry_perm(p.config_iso, "proxy.env"), 0600);
	ml_node_paths_clear(&p);
	ml_rm_rf(tmp);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("netconf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_netconf_no_proxy_adds_the_cluster);
	tcase_add_test(tc, test_netconf_proxy_loopback_is_the_gateway);
	tcase_add_test(tc, test_netconf_proxy_env);
	tcase_add_test(tc, test_netconf_host_proxy_either_case);
	tcase_add_test(tc, test_netconf_daemon_json);
	tcase_add_test(tc, test_netconf_settings);
	tcase_add_test(tc, test_netconf_config_drive);
	suite_add_tcase(s, tc);
	return ml_check_run(s);
}
