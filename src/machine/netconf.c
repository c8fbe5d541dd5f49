/* machine/netconf.c: the node's network settings as config drive text. */
#include "config.h"

#include "machine/netconf.h"

#include "base/util.h"
#include "machine/node.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const ml_netconf_proxy_vars[ML_NETCONF_NPROXY] = {
	"HTTP_PROXY",
	"HTTPS_PROXY",
	"NO_PROXY",
};

/* What the cluster reaches without a proxy, after the user's items. */
static const char *const cluster_no_proxy[] = {
	"localhost",
	"127.0.0.1",
	ML_NODE_IP,
	ML_NETCONF_HOST_ALIAS,
	ML_NETCONF_HOST_IP,
	"10.96.0.0/12",	 /* services */
	"10.244.0.0/16", /* pods */
	".svc",
	".cluster.local",
	"cluster.local",
};

static bool
set(const char *s)
{
	return s && *s;
}

const char *
ml_netconf_host_proxy(const char *var)
{
	char lower[32];
	const char *v = getenv(var);
	size_t i;

	if (v && *v)
		return v;
	for (i = 0; var[i] && i < sizeof(lower) - 1; i++)
		lower[i] = (char)tolower((unsigned char)var[i]);
	lower[i] = '\0';
	v = getenv(lower);
	return v && *v ? v : NULL;
}

char *
ml_netconf_guest_proxy(const char *url)
{
	static const char *const loopback[] = { "127.0.0.1", "localhost",
						"[::1]" };
	const char *scheme = strstr(url, "://");
	const char *auth = scheme ? scheme + 3 : url;
	size_t alen = strcspn(auth, "/?#");
	const char *host = auth, *end;

	for (const char *c = auth; c < auth + alen; c++)
		if (*c == '@')
			host = c + 1;
	if (*host == '[') {
		end = memchr(host, ']', (size_t)(auth + alen - host));
		end = end ? end + 1 : auth + alen;
	} else {
		end = host + strcspn(host, ":/?#");
		if (end > auth + alen)
			end = auth + alen;
	}
	for (size_t i = 0; i < ML_ARRAY_SIZE(loopback); i++)
		if ((size_t)(end - host) == strlen(loopback[i]) &&
		    strncasecmp(host, loopback[i], strlen(loopback[i])) == 0)
			return ml_xasprintf("%.*s" ML_NETCONF_HOST_IP "%s",
					    (int)(host - url), url, end);
	return ml_xstrdup(url);
}

/* Appends item (n bytes, spaces around it dropped) unless empty or there. */
static void
add_item(struct ml_buf *b, const char *item, size_t n)
{
	const char *p;

	while (n && (*item == ' ' || *item == '\t'))
		item++, n--;
	while (n && (item[n - 1] == ' ' || item[n - 1] == '\t'))
		n--;
	if (!n)
		return;
	for (p = b->p; p && *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && strncmp(p, item, n) == 0)
			return;
		p += len + (p[len] == ',');
	}
	if (b->len)
		ml_buf_add(b, ",", 1);
	ml_buf_add(b, item, n);
}

char *
ml_netconf_no_proxy(const char *user, const char *node_name)
{
	struct ml_buf b = { 0 };

	for (const char *p = user; p && *p;) {
		size_t n = strcspn(p, ",");
		add_item(&b, p, n);
		p += n + (p[n] == ',');
	}
	for (size_t i = 0; i < ML_ARRAY_SIZE(cluster_no_proxy); i++)
		add_item(&b, cluster_no_proxy[i], strlen(cluster_no_proxy[i]));
	if (set(node_name))
		add_item(&b, node_name, strlen(node_name));
	return b.p;
}

bool
ml_netconf_proxies(const struct ml_netconf *c, const char *node_name,
		   char *ret[ML_NETCONF_NPROXY])
{
	memset(ret, 0, ML_NETCONF_NPROXY * sizeof(*ret));
	if (!set(c->http_proxy) && !set(c->https_proxy))
		return false;
	if (set(c->http_proxy))
		ret[ML_NETCONF_HTTP] = ml_netconf_guest_proxy(c->http_proxy);
	if (set(c->https_proxy))
		ret[ML_NETCONF_HTTPS] = ml_netconf_guest_proxy(c->https_proxy);
	ret[ML_NETCONF_NO] = ml_netconf_no_proxy(c->no_proxy, node_name);
	return true;
}

char *
ml_netconf_proxy_env(const struct ml_netconf *c, const char *node_name)
{
	char *v[ML_NETCONF_NPROXY];
	struct ml_buf b = { 0 };

	if (!ml_netconf_proxies(c, node_name, v))
		return NULL;
	for (int lower = 0; lower < 2; lower++)
		for (int i = 0; i < ML_NETCONF_NPROXY; i++) {
			ml_autofree char *name = NULL, *line = NULL;

			if (!v[i])
				continue;
			name = ml_xstrdup(ml_netconf_proxy_vars[i]);
			for (char *n = name; lower && *n; n++)
				*n = (char)tolower((unsigned char)*n);
			line = ml_xasprintf("%s=%s\n", name, v[i]);
			ml_buf_add(&b, line, strlen(line));
		}
	for (int i = 0; i < ML_NETCONF_NPROXY; i++)
		free(v[i]);
	return b.p;
}

struct json_object *
ml_netconf_list_json(const char *list)
{
	struct json_object *a = json_object_new_array();

	for (const char *p = list; p && *p;) {
		size_t n = strcspn(p, ",");
		if (n)
			json_object_array_add(a,
					      json_object_new_string_len(p,
									 (int)n));
		p += n + (p[n] == ',');
	}
	return a;
}

char *
ml_netconf_daemon_json(const struct ml_netconf *c)
{
	struct json_object *o, *opts, *logopts;
	char *text;

	if (!set(c->registry_mirrors) && !set(c->insecure_registries))
		return NULL;
	/* the image's iso/rootfs/etc/docker/daemon.json (test_netconf
	 * compares them) */
	o = json_object_new_object();
	opts = json_object_new_array();
	json_object_array_add(opts, json_object_new_string(
					    "native.cgroupdriver=cgroupfs"));
	json_object_object_add(o, "exec-opts", opts);
	json_object_object_add(o, "storage-driver",
			       json_object_new_string("overlay2"));
	json_object_object_add(o, "log-driver",
			       json_object_new_string("json-file"));
	logopts = json_object_new_object();
	json_object_object_add(logopts, "max-size",
			       json_object_new_string("10m"));
	json_object_object_add(logopts, "max-file",
			       json_object_new_string("3"));
	json_object_object_add(o, "log-opts", logopts);
	json_object_object_add(o, "iptables", json_object_new_boolean(1));
	if (set(c->registry_mirrors))
		json_object_object_add(o, "registry-mirrors",
				       ml_netconf_list_json(
					       c->registry_mirrors));
	if (set(c->insecure_registries))
		json_object_object_add(o, "insecure-registries",
				       ml_netconf_list_json(
					       c->insecure_registries));
	text = ml_xasprintf("%s\n",
			    json_object_to_json_string_ext(
				    o, JSON_C_TO_STRING_PRETTY |
					       JSON_C_TO_STRING_SPACED |
					       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return text;
}

char *
ml_netconf_settings(const struct ml_netconf *c)
{
	return ml_xasprintf("NETWORK=%s\nHOST_IP=" ML_NETCONF_HOST_IP
			    "\nEGRESS_GUARD=%s\n",
			    c->offline ? "offline" : "online",
			    c->egress_guard ? "gateway" : "off");
}
