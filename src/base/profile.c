/* base/profile.c: a cluster's settings and state in config.json. */
#include "config.h"

#include "base/profile.h"

#include "base/log.h"
#include "base/paths.h"
#include "base/util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MEMORY_MIN_MIB 1800
#define DISK_MIN_MIB 2000
/*
 * 1024t: far above any real node, and small enough that the size in bytes
 * (MiB << 20) fits in 64 bits, signed, wherever it is computed.
 */
#define SIZE_MAX_MIB (UINT64_C(1) << 30)

struct ml_profile {
	char *name;
	char *dir;
	char *path;
	struct json_object *root;
	int lock_fd;
};

/* --- validators --- */

static long
host_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? n : 1;
}

static uint64_t
host_memory_mib(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
	if (pages <= 0 || size <= 0)
		return UINT64_MAX;
	return (uint64_t)pages * (uint64_t)size / (1024 * 1024);
}

int
ml_profile_parse_size_mib(const char *what, const char *value,
			  uint64_t *ret_mib)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {
		{ "", 1 },	  { "m", 1 },	     { "mb", 1 },
		{ "mi", 1 },	  { "mib", 1 },	     { "g", 1024 },
		{ "gb", 1024 },	  { "gi", 1024 },    { "gib", 1024 },
		{ "t", 1048576 }, { "tb", 1048576 }, { "tib", 1048576 },
	};
	const char *p = value;
	uint64_t n = 0;

	if (!isdigit((unsigned char)*p))
		goto bad;
	/* n stays at most SIZE_MAX_MIB * 10 + 9: no overflow below */
	for (; isdigit((unsigned char)*p); p++) {
		if (n > SIZE_MAX_MIB)
			goto too_large;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	for (size_t i = 0; i < ML_ARRAY_SIZE(units); i++) {
		if (strcasecmp(p, units[i].suffix) != 0)
			continue;
		if (n > SIZE_MAX_MIB / units[i].mult)
			goto too_large;
		*ret_mib = n * units[i].mult;
		return 0;
	}
bad:
	return ml_err(-ML_EUSAGE,
		      "invalid %s '%s': give a size such as 2048m or 4g", what,
		      value);
too_large:
	return ml_err(-ML_EUSAGE, "invalid %s '%s': give at most 1024t", what,
		      value);
}

static int
validate_cpus(const char *key, const char *value, char **ret)
{
	char *end;
	long n, max = host_cpus();

	errno = 0;
	n = strtol(value, &end, 10);
	if (!*value || *end || errno || n < 1 || n > max)
		return ml_err(
			-ML_EUSAGE,
			"invalid %s '%s': give a whole number from 1 to %ld (this host's CPU count)",
			key, value, max);
	*ret = ml_xasprintf("%ld", n);
	return 0;
}

static int
validate_memory(const char *key, const char *value, char **ret)
{
	uint64_t mib, max = host_memory_mib();
	int r = ml_profile_parse_size_mib(key, value, &mib);

	if (r < 0)
		return r;
	if (mib < MEMORY_MIN_MIB)
		return ml_err(-ML_EUSAGE,
			      "invalid %s '%s': a node needs at least %dm", key,
			      value, MEMORY_MIN_MIB);
	if (mib > max)
		return ml_err(-ML_EUSAGE,
			      "invalid %s '%s': this host has only %llum", key,
			      value, (unsigned long long)max);
	*ret = ml_xstrdup(value);
	for (char *c = *ret; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return 0;
}

static int
validate_disk(const char *key, const char *value, char **ret)
{
	uint64_t mib;
	int r = ml_profile_parse_size_mib(key, value, &mib);

	if (r < 0)
		return r;
	if (mib < DISK_MIN_MIB)
		return ml_err(-ML_EUSAGE, "invalid %s '%s': give at least %dm",
			      key, value, DISK_MIN_MIB);
	*ret = ml_xstrdup(value);
	for (char *c = *ret; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return 0;
}

static int
validate_version(const char *key, const char *value, char **ret)
{
	const char *p = value + (value[0] == 'v');
	int parts = 0;

	while (*p) {
		if (!isdigit((unsigned char)*p))
			goto bad;
		while (isdigit((unsigned char)*p))
			p++;
		parts++;
		if (*p == '.' && parts < 3)
			p++;
		else if (*p)
			goto bad;
	}
	if (parts != 3)
		goto bad;
	*ret = ml_xasprintf("v%s", value + (value[0] == 'v'));
	return 0;
bad:
	return ml_err(
		-ML_EUSAGE,
		"invalid %s '%s': give a version such as " ML_KUBERNETES_VERSION_FALLBACK,
		key, value);
}

/*
 * Exactly qemu:///system, qemu:///session, or either over a named local
 * socket: qemu+unix:///system?socket=/ABSOLUTE/PATH. Any other transport or
 * parameter (qemu+ext's command=, qemu+ssh, a second &-parameter) would let
 * a URI run programs or reach other hosts, so only these shapes pass.
 */
static bool
driver_uri_ok(const char *value)
{
	static const char *const plain[] = { "qemu:///system",
					     "qemu:///session" };
	static const char *const sock[] = { "qemu+unix:///system?socket=",
					    "qemu+unix:///session?socket=" };
	const char *path = NULL;

	for (size_t i = 0; i < ML_ARRAY_SIZE(plain); i++)
		if (strcmp(value, plain[i]) == 0)
			return true;
	for (size_t i = 0; i < ML_ARRAY_SIZE(sock); i++)
		if (ml_startswith(value, sock[i]))
			path = value + strlen(sock[i]);
	if (!path || path[0] != '/' || path[1] == '\0')
		return false;
	for (const char *c = path; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f || *c == '&' ||
		    *c == '?' || *c == '#' || *c == '%' || *c == ';')
			return false;
	return true;
}

static int
validate_driver_uri(const char *key, const char *value, char **ret)
{
	if (!driver_uri_ok(value))
		return ml_err(
			-ML_EUSAGE,
			"invalid %s '%s': give qemu:///system, qemu:///session or qemu+unix:///system?socket=/PATH (or /session)",
			key, value);
	*ret = ml_xstrdup(value);
	return 0;
}

static int
validate_runtime(const char *key, const char *value, char **ret)
{
	if (strcmp(value, "docker") != 0)
		return ml_err(-ML_EUSAGE,
			      "invalid %s '%s': the node image runs 'docker' only",
			      key, value);
	*ret = ml_xstrdup(value);
	return 0;
}

/*
 * http://HOST[:PORT][/PATH], https://... or file:///ABSOLUTE/PATH. Checked
 * by hand rather than with libcurl's URL parser so that the light front end
 * (config, docker-env) does not load libcurl.
 */
static bool
url_ok(const char *value)
{
	const char *rest, *host_end;

	for (const char *c = value; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return false;
	if (ml_startswith(value, "file://")) {
		rest = value + strlen("file://");
		if (ml_startswith(rest, "localhost/"))
			rest += strlen("localhost");
		return rest[0] == '/' && rest[1] != '\0';
	}
	if (ml_startswith(value, "http://"))
		rest = value + strlen("http://");
	else if (ml_startswith(value, "https://"))
		rest = value + strlen("https://");
	else
		return false;
	host_end = rest + strcspn(rest, "/?#");
	return host_end > rest && rest[0] != ':' && rest[0] != '@';
}

static int
validate_url(const char *key, const char *value, char **ret)
{
	if (!url_ok(value))
		return ml_err(
			-ML_EUSAGE,
			"invalid %s '%s': give an http://, https:// or file:///PATH URL",
			key, value);
	*ret = ml_xstrdup(value);
	return 0;
}

/* The node image's URL: https or file only, as base/download.h takes. */
static int
validate_image_url(const char *key, const char *value, char **ret)
{
	if (!url_ok(value) || ml_startswith(value, "http://"))
		return ml_err(
			-ML_EUSAGE,
			"invalid %s '%s': give an https:// or file:///PATH URL (plain http lets the image be changed on the way)",
			key, value);
	*ret = ml_xstrdup(value);
	return 0;
}

/* 64 hex digits, normalised to lowercase. */
static int
validate_sha256(const char *key, const char *value, char **ret)
{
	char *v;

	if (strlen(value) != 64 ||
	    strspn(value, "0123456789abcdefABCDEF") != 64)
		return ml_err(-ML_EUSAGE,
			      "invalid %s '%s': give the sha256 as 64 hex digits",
			      key, value);
	v = ml_xstrdup(value);
	for (char *c = v; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	*ret = v;
	return 0;
}

/* online (outbound NAT through QEMU, the default) or offline (the node
 * reaches nothing outside; docs/networking.md). */
static int
validate_network(const char *key, const char *value, char **ret)
{
	if (strcmp(value, "online") != 0 && strcmp(value, "offline") != 0)
		return ml_err(-ML_EUSAGE,
			      "invalid %s '%s': give online or offline", key,
			      value);
	*ret = ml_xstrdup(value);
	return 0;
}

/*
 * The network keys hold lists separated by commas; each item goes into the
 * node's daemon.json or proxy.env, so none may carry a space, a quote, a
 * backslash or a shell character ('$', '`'), and a URL no comma.
 */
static bool
plain_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f ||
		    strchr("\"'\\$`,<>{}|^", s[i]))
			return false;
	return n > 0;
}

/* Each comma-separated item of value (none empty) passes ok(item, len). */
static bool
each_item(const char *value, bool (*ok)(const char *, size_t))
{
	const char *p = value;

	for (;;) {
		size_t n = strcspn(p, ",");
		if (!ok(p, n))
			return false;
		if (!p[n])
			return true;
		p += n + 1;
	}
}

/* HOST, HOST:PORT or [V6]:PORT as a URL's authority has it; host names of
 * letters, digits, '.', '-' and '_'. */
static bool
host_port_ok(const char *s, size_t n)
{
	size_t h;

	if (n && s[0] == '[') {
		const char *end = memchr(s, ']', n);
		if (!end || end == s + 1)
			return false;
		for (const char *c = s + 1; c < end; c++)
			if (!isxdigit((unsigned char)*c) && *c != ':' &&
			    *c != '.')
				return false;
		h = (size_t)(end - s) + 1;
	} else {
		h = 0;
		while (h < n &&
		       (isalnum((unsigned char)s[h]) || strchr(".-_", s[h])))
			h++;
		if (h == 0 || s[0] == '-' || s[0] == '.')
			return false;
	}
	if (h == n)
		return true;
	if (s[h] != ':' || h + 1 == n || n - h - 1 > 5)
		return false;
	{
		long port = 0;
		for (size_t i = h + 1; i < n; i++) {
			if (!isdigit((unsigned char)s[i]))
				return false;
			port = port * 10 + (s[i] - '0');
		}
		return port >= 1 && port <= 65535;
	}
}

/* An http(s) URL (or, with proxy, a socks5 one or a bare HOST:PORT):
 * [SCHEME://][USER[:PASS]@]HOST[:PORT][/PATH]. */
static bool
net_url_ok(const char *s, size_t n, bool proxy)
{
	static const char *const schemes[] = { "http://", "https://",
					       "socks5://", "socks5h://" };
	const char *rest = NULL, *end = s + n, *at;
	size_t auth;

	if (!plain_chars(s, n))
		return false;
	for (size_t i = 0; i < ML_ARRAY_SIZE(schemes); i++)
		if ((proxy || i < 2) && n > strlen(schemes[i]) &&
		    strncasecmp(s, schemes[i], strlen(schemes[i])) == 0)
			rest = s + strlen(schemes[i]);
	if (!rest && (!proxy || memmem(s, n, "://", 3)))
		return false;
	if (!rest)
		rest = s;
	auth = strcspn(rest, "/?#");
	if (rest + auth > end)
		auth = (size_t)(end - rest);
	for (at = rest + auth; at > rest && at[-1] != '@'; at--)
		;
	return host_port_ok(at, (size_t)(rest + auth - at));
}

static bool
mirror_ok(const char *s, size_t n)
{
	return net_url_ok(s, n, false);
}

/* A.B.C.D/BITS */
static bool
cidr4_ok(const char *s, size_t n)
{
	char buf[19];
	unsigned a, b, c, d, bits;
	char tail;

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (strspn(buf, "0123456789./") != n ||
	    sscanf(buf, "%3u.%3u.%3u.%3u/%2u%c", &a, &b, &c, &d, &bits,
		   &tail) != 5)
		return false;
	return a < 256 && b < 256 && c < 256 && d < 256 && bits <= 32;
}

static bool
registry_ok(const char *s, size_t n)
{
	return plain_chars(s, n) &&
	       (memchr(s, '/', n) ? cidr4_ok(s, n) : host_port_ok(s, n));
}

static int
validate_registry_mirror(const char *key, const char *value, char **ret)
{
	if (!each_item(value, mirror_ok))
		return ml_err(
			-ML_EUSAGE,
			"invalid %s '%s': give http:// or https:// URLs separated by commas",
			key, value);
	*ret = ml_xstrdup(value);
	return 0;
}

static int
validate_insecure_registry(const char *key, const char *value, char **ret)
{
	if (!each_item(value, registry_ok))
		return ml_err(
			-ML_EUSAGE,
			"invalid %s '%s': give HOST[:PORT] or an IPv4 CIDR such as 10.0.0.0/8, separated by commas",
			key, value);
	*ret = ml_xstrdup(value);
	return 0;
}

static int
validate_proxy(const char *key, const char *value, char **ret)
{
	if (!net_url_ok(value, strlen(value), true))
		return ml_err(
			-ML_EUSAGE,
			"invalid %s '%s': give a proxy URL such as http://proxy.example:3128",
			key, value);
	*ret = ml_xstrdup(value);
	return 0;
}

static bool
no_proxy_item_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr(".-_*:/[]", s[i]))
			return false;
	return n > 0;
}

/* Items separated by commas; spaces around them and empty items, as
 * environments often have, are dropped. */
static int
validate_no_proxy(const char *key, const char *value, char **ret)
{
	struct ml_buf b = { 0 };
	const char *p = value;

	for (;;) {
		size_t n = strcspn(p, ",");
		const char *s = p, *e = p + n;

		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (s < e && !no_proxy_item_ok(s, (size_t)(e - s))) {
			ml_buf_release(&b);
			return ml_err(
				-ML_EUSAGE,
				"invalid %s '%s': give host names, domains (.example.com), addresses or CIDRs separated by commas",
				key, value);
		}
		if (b.len && s < e)
			ml_buf_add(&b, ",", 1);
		ml_buf_add(&b, s, (size_t)(e - s));
		if (!p[n])
			break;
		p += n + 1;
	}
	if (!b.len) {
		ml_buf_release(&b);
		return ml_err(
			-ML_EUSAGE,
			"invalid %s '%s': give host names, domains (.example.com), addresses or CIDRs separated by commas",
			key, value);
	}
	*ret = b.p;
	return 0;
}

/* true or false; yes/no, on/off and 1/0 are taken and normalised. */
static int
validate_bool(const char *key, const char *value, char **ret)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < ML_ARRAY_SIZE(yes); i++) {
		if (strcasecmp(value, yes[i]) == 0) {
			*ret = ml_xstrdup("true");
			return 0;
		}
		if (strcasecmp(value, no[i]) == 0) {
			*ret = ml_xstrdup("false");
			return 0;
		}
	}
	return ml_err(-ML_EUSAGE, "invalid %s '%s': give true or false", key,
		      value);
}

/* NAME=on, NAME=off: one addon's choice. */
static bool
addon_choice_ok(const char *s, size_t n)
{
	size_t name = 0;

	while (name < n && (islower((unsigned char)s[name]) ||
			    isdigit((unsigned char)s[name]) || s[name] == '-'))
		name++;
	if (name == 0 || s[0] == '-' || name == n || s[name] != '=')
		return false;
	return (n - name - 1 == 2 && strncmp(s + name + 1, "on", 2) == 0) ||
	       (n - name - 1 == 3 && strncmp(s + name + 1, "off", 3) == 0);
}

/* The addons' choices, NAME=on|off separated by commas (which addons
 * exist is the catalogue's to say, kube/addons.h). */
static int
validate_addons(const char *key, const char *value, char **ret)
{
	if (!each_item(value, addon_choice_ok))
		return ml_err(
			-ML_EUSAGE,
			"invalid %s '%s': give NAME=on or NAME=off separated by commas, such as registry=on,storage-provisioner=off",
			key, value);
	*ret = ml_xstrdup(value);
	return 0;
}

const struct ml_profile_key ml_profile_keys[] = {
	{ "cpus", "virtual CPUs of the node (1 to the host's count)",
	  validate_cpus, "2", NULL },
	{ "memory", "memory of the node, such as 3072m or 4g (at least 1800m)",
	  validate_memory, "3072m", NULL },
	{ "disk-size", "size of the node's data disk, such as 20g",
	  validate_disk, "20g", NULL },
	{ "kubernetes-version",
	  "Kubernetes version, such as " ML_KUBERNETES_VERSION_FALLBACK
	  " (default: the node image's)",
	  validate_version, "", NULL },
	{ "driver-uri",
	  "libvirt URI: qemu:///system, qemu:///session or qemu+unix:///system?socket=/PATH",
	  validate_driver_uri, "qemu:///session", "qemu:///system" },
	{ "container-runtime", "container runtime of the node (docker)",
	  validate_runtime, "docker", NULL },
	{ "iso-url",
	  "node image to boot instead of the bundled one (https or file URL)",
	  validate_image_url, "", NULL },
	{ "iso-sha256",
	  "sha256 of the iso-url image, 64 hex digits (default: from URL.sha256)",
	  validate_sha256, "", NULL },
	{ "binary-mirror",
	  "mirror of Kubernetes binaries for other versions (http, https or file URL)",
	  validate_url, "", NULL },
	{ "dns", "cluster DNS for pods (kube-dns at 10.96.0.10): true or false",
	  validate_bool, "true", NULL },
	{ "network",
	  "the node's outbound network: online (NAT through the host) or offline",
	  validate_network, "online", NULL },
	{ "registry-mirror",
	  "Docker registry mirrors of the node: http(s) URLs separated by commas",
	  validate_registry_mirror, "", NULL },
	{ "insecure-registry",
	  "registries the node's Docker reaches over plain http: HOST[:PORT] or CIDR, separated by commas",
	  validate_insecure_registry, "", NULL },
	{ "http-proxy",
	  "HTTP_PROXY of the node's Docker and kubelet (default: the host's)",
	  validate_proxy, "", NULL },
	{ "https-proxy",
	  "HTTPS_PROXY of the node's Docker and kubelet (default: the host's)",
	  validate_proxy, "", NULL },
	{ "no-proxy",
	  "NO_PROXY additions, separated by commas (default: the host's); the cluster's own names are always added",
	  validate_no_proxy, "", NULL },
	{ "addons",
	  "the addons chosen on or off: NAME=on|off separated by commas (others: their default; see 'minilaunch addons list')",
	  validate_addons, "", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct ml_profile_key *
find_key(const char *key)
{
	for (size_t i = 0; ml_profile_keys[i].name; i++)
		if (strcmp(ml_profile_keys[i].name, key) == 0)
			return &ml_profile_keys[i];
	return NULL;
}

static int
unknown_key(const char *key)
{
	return ml_err(
		-ML_EUSAGE,
		"unknown config key '%s': see 'minilaunch config --help' for the keys",
		key);
}

int
ml_profile_check_key(const char *key)
{
	return find_key(key) ? 0 : unknown_key(key);
}

int
ml_profile_check_value(const char *key, const char *value)
{
	const struct ml_profile_key *k = find_key(key);
	char *norm = NULL;
	int r;

	if (!k)
		return unknown_key(key);
	r = k->validate(key, value, &norm);
	free(norm);
	return r;
}

const char *
ml_profile_default(const char *key)
{
	const struct ml_profile_key *k = find_key(key);

	if (!k)
		return "";
	return k->def_root && geteuid() == 0 ? k->def_root : k->def;
}

/* --- names and files --- */

int
ml_profile_name_valid(const char *name)
{
	size_t n = strlen(name);
	bool ok = n >= 1 && n <= 63 &&
		  (islower((unsigned char)name[0]) ||
		   isdigit((unsigned char)name[0]));

	for (size_t i = 1; ok && i < n; i++)
		ok = islower((unsigned char)name[i]) ||
		     isdigit((unsigned char)name[i]) || name[i] == '-';
	if (!ok)
		return ml_err(
			-ML_EUSAGE,
			"invalid profile name '%s': use 1 to 63 lowercase letters, digits and '-', starting with a letter or digit",
			name);
	return 0;
}

bool
ml_profile_exists(const char *home, const char *name)
{
	ml_autofree char *dir = ml_paths_profile_dir(home, name);
	ml_autofree char *path = ml_xasprintf("%s/config.json", dir);
	return ml_path_exists(path);
}

static struct json_object *
new_document(const char *name)
{
	struct json_object *root = json_object_new_object();

	json_object_object_add(root, "schema",
			       json_object_new_int(ML_PROFILE_SCHEMA));
	json_object_object_add(root, "name", json_object_new_string(name));
	json_object_object_add(root, "config", json_object_new_object());
	json_object_object_add(root, "state", json_object_new_object());
	return root;
}

/*
 * Every setting of a loaded file through its key's validator, as `config
 * set` would have checked it: a hand-edited file must not hand start a
 * value no command would have taken. The stored form is the normalised
 * one, so a value that validates but normalises differently is kept.
 */
static int
check_settings(const char *path, struct json_object *root)
{
	struct json_object *cfg = NULL;

	json_object_object_get_ex(root, "config", &cfg);
	json_object_object_foreach(cfg, key, v)
	{
		const struct ml_profile_key *k = find_key(key);
		char *norm = NULL;
		int r;

		if (!k)
			return ml_err(
				-EBADMSG,
				"profile config '%s' has an unknown key '%s': remove it from '%s'",
				path, key, path);
		if (!json_object_is_type(v, json_type_string))
			return ml_err(
				-EBADMSG,
				"profile config '%s' has a non-string value for '%s': run 'minilaunch config set %s VALUE' or edit '%s'",
				path, key, key, path);
		r = k->validate(key, json_object_get_string(v), &norm);
		free(norm);
		if (r < 0) {
			ml_autofree char *why = ml_xstrdup(ml_err_msg());
			return ml_err(
				-EBADMSG,
				"profile config '%s': %s: run 'minilaunch config set %s VALUE' or edit '%s'",
				path, why, key, path);
		}
	}
	return 0;
}

static int
load_document(const char *path, struct json_object **ret)
{
	ml_autofree char *data = NULL;
	struct json_tokener *tok;
	struct json_object *root, *v;
	size_t len, end;
	int r;

	r = ml_read_file(path, &data, &len);
	if (r < 0)
		return r;
	tok = json_tokener_new();
	root = json_tokener_parse_ex(tok, data, (int)len);
	end = root ? json_tokener_get_parse_end(tok) : 0;
	while (end < len && isspace((unsigned char)data[end]))
		end++;
	if (!root || end != len) {
		enum json_tokener_error e = json_tokener_get_error(tok);
		json_tokener_free(tok);
		json_object_put(root);
		return ml_err(
			-EBADMSG,
			"profile config '%s' is corrupted (%s): fix it or delete the profile directory",
			path,
			e == json_tokener_success ? "trailing data"
			: e == json_tokener_continue
				? "unexpected end of file"
				: json_tokener_error_desc(e));
	}
	json_tokener_free(tok);
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "schema", &v) ||
	    !json_object_is_type(v, json_type_int)) {
		json_object_put(root);
		return ml_err(
			-EBADMSG,
			"profile config '%s' has no schema version: fix it or delete the profile directory",
			path);
	}
	if (json_object_get_int(v) != ML_PROFILE_SCHEMA) {
		int version = json_object_get_int(v);
		json_object_put(root);
		return ml_err(
			-EBADMSG,
			"profile config '%s' has schema version %d but this minilaunch reads version %d: use a matching minilaunch",
			path, version, ML_PROFILE_SCHEMA);
	}
	for (size_t i = 0; i < 2; i++) {
		const char *section = i ? "state" : "config";
		if (!json_object_object_get_ex(root, section, &v))
			json_object_object_add(root, section,
					       json_object_new_object());
		else if (!json_object_is_type(v, json_type_object)) {
			json_object_put(root);
			return ml_err(
				-EBADMSG,
				"profile config '%s' has a malformed '%s' section: fix it or delete the profile directory",
				path, section);
		}
	}
	*ret = root;
	return 0;
}

/* The lock file of the profile in dir, made with dir when missing. */
static int
lock_dir(const char *dir, bool wait)
{
	ml_autofree char *lock = ml_xasprintf("%s/.lock", dir);
	int r = ml_mkdir_p(dir, 0700);

	return r < 0 ? r : ml_lock_file(lock, true, wait);
}

int
ml_profile_lock(const char *home, const char *name)
{
	ml_autofree char *dir = ml_paths_profile_dir(home, name);

	if (!ml_path_exists(dir))
		return -ENOENT;
	return lock_dir(dir, true);
}

int
ml_profile_open(const char *home, const char *name, unsigned flags,
		struct ml_profile **ret)
{
	struct ml_profile *p;
	int r;

	r = ml_profile_name_valid(name);
	if (r < 0)
		return r;
	p = ml_xcalloc(1, sizeof(*p));
	p->lock_fd = -1;
	p->name = ml_xstrdup(name);
	p->dir = ml_paths_profile_dir(home, name);
	p->path = ml_xasprintf("%s/config.json", p->dir);

	if (!ml_path_exists(p->path) && !(flags & ML_PROFILE_CREATE)) {
		r = ml_err(-ENOENT,
			   "profile '%s' not found in '%s': create it with 'minilaunch -p %s start' or 'minilaunch -p %s config set'",
			   name, home, name, name);
		goto fail;
	}
	if (flags & ML_PROFILE_LOCK) {
		r = lock_dir(p->dir, !(flags & ML_PROFILE_NOWAIT));
		if (r < 0)
			goto fail;
		p->lock_fd = r;
	}
	/* Read only now: a writer may have replaced the file while we waited.
	 */
	if (ml_path_exists(p->path)) {
		r = load_document(p->path, &p->root);
		if (r >= 0 && !(flags & ML_PROFILE_UNCHECKED))
			r = check_settings(p->path, p->root);
	} else if (flags & ML_PROFILE_CREATE)
		p->root = new_document(name), r = 0;
	else
		r = ml_err(-ENOENT,
			   "profile '%s' was deleted while waiting for its lock",
			   name);
	if (r < 0)
		goto fail;
	/* A home in use gets its marker, older ones included; failing to
	 * write it only means `delete --purge` will refuse the home. */
	if (ml_paths_home_mark(home) < 0) {
		ml_log_debug("home '%s' left unmarked: %s", home, ml_err_msg());
		ml_err_clear();
	}
	*ret = p;
	return 0;
fail:
	ml_profile_free(p);
	return r;
}

struct ml_profile *
ml_profile_free(struct ml_profile *p)
{
	if (!p)
		return NULL;
	if (p->lock_fd >= 0)
		close(p->lock_fd);
	json_object_put(p->root);
	free(p->name);
	free(p->dir);
	free(p->path);
	free(p);
	return NULL;
}

int
ml_profile_save(struct ml_profile *p)
{
	const char *text;
	int r;

	if (p->lock_fd < 0)
		return ml_err(
			-EPERM,
			"profile '%s' saved without its lock (a minilaunch bug)",
			p->name);
	r = ml_mkdir_p(p->dir, 0700);
	if (r < 0)
		return r;
	text = json_object_to_json_string_ext(
		p->root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
				 JSON_C_TO_STRING_NOSLASHESCAPE);
	ml_autofree char *data = ml_xasprintf("%s\n", text);
	return ml_write_file_atomic(p->path, data, strlen(data), 0600);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
ml_profile_list(const char *home, char ***ret_names)
{
	ml_autofree char *dir = ml_paths_profiles_dir(home);
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;

	if (!d && errno != ENOENT)
		return ml_err(-errno, "cannot read '%s': %s", dir,
			      strerror(errno));
	while (d && (de = readdir(d))) {
		ml_autofree char *cfg = NULL;

		if (de->d_name[0] == '.')
			continue;
		if (ml_profile_name_valid(de->d_name) < 0) {
			ml_err_clear();
			continue;
		}
		cfg = ml_xasprintf("%s/%s/config.json", dir, de->d_name);
		if (!ml_path_exists(cfg))
			continue;
		names = ml_xrealloc(names, (n + 2) * sizeof(*names));
		names[n++] = ml_xstrdup(de->d_name);
	}
	if (d)
		closedir(d);
	if (!names)
		names = ml_xcalloc(1, sizeof(*names));
	names[n] = NULL;
	qsort(names, n, sizeof(*names), cmp_names);
	*ret_names = names;
	return 0;
}

const char *
ml_profile_name(const struct ml_profile *p)
{
	return p->name;
}

const char *
ml_profile_path(const struct ml_profile *p)
{
	return p->path;
}

static struct json_object *
section(const struct ml_profile *p, const char *name)
{
	struct json_object *v = NULL;
	json_object_object_get_ex(p->root, name, &v);
	return v;
}

const char *
ml_profile_get(const struct ml_profile *p, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(section(p, "config"), key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

const char *
ml_profile_get_or_default(const struct ml_profile *p, const char *key)
{
	const char *v = ml_profile_get(p, key);
	return v ? v : ml_profile_default(key);
}

int
ml_profile_set(struct ml_profile *p, const char *key, const char *value)
{
	const struct ml_profile_key *k = find_key(key);
	char *norm = NULL;
	int r;

	if (!k)
		return unknown_key(key);
	r = k->validate(key, value, &norm);
	if (r < 0)
		return r;
	json_object_object_add(section(p, "config"), key,
			       json_object_new_string(norm));
	free(norm);
	return 0;
}

int
ml_profile_unset(struct ml_profile *p, const char *key)
{
	struct json_object *cfg = section(p, "config");

	if (!find_key(key))
		return unknown_key(key);
	if (!json_object_object_get_ex(cfg, key, NULL))
		return 0;
	json_object_object_del(cfg, key);
	return 1;
}

void
ml_profile_foreach_set(const struct ml_profile *p,
		       void (*fn)(const char *key, const char *value, void *ud),
		       void *ud)
{
	for (size_t i = 0; ml_profile_keys[i].name; i++) {
		const char *v = ml_profile_get(p, ml_profile_keys[i].name);
		if (v)
			fn(ml_profile_keys[i].name, v, ud);
	}
}

const char *
ml_profile_state_str(const struct ml_profile *p, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(section(p, "state"), key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

void
ml_profile_state_set_str(struct ml_profile *p, const char *key,
			 const char *value)
{
	if (value)
		json_object_object_add(section(p, "state"), key,
				       json_object_new_string(value));
	else
		json_object_object_del(section(p, "state"), key);
}

int
ml_profile_state_port(const struct ml_profile *p, const char *name)
{
	struct json_object *ports, *v;
	int port;

	if (!json_object_object_get_ex(section(p, "state"), "ports", &ports) ||
	    !json_object_object_get_ex(ports, name, &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	port = json_object_get_int(v);
	return port > 0 && port < 65536 ? port : 0;
}

void
ml_profile_state_set_port(struct ml_profile *p, const char *name, int port)
{
	struct json_object *state = section(p, "state"), *ports;

	if (!json_object_object_get_ex(state, "ports", &ports) ||
	    !json_object_is_type(ports, json_type_object)) {
		ports = json_object_new_object();
		json_object_object_add(state, "ports", ports);
	}
	if (port > 0)
		json_object_object_add(ports, name, json_object_new_int(port));
	else
		json_object_object_del(ports, name);
}

void
ml_profile_state_clear_ports(struct ml_profile *p, const char *prefix)
{
	struct json_object *ports;
	bool again = true;

	if (!json_object_object_get_ex(section(p, "state"), "ports", &ports) ||
	    !json_object_is_type(ports, json_type_object))
		return;
	/* deleting invalidates the iteration: start over after each */
	while (again) {
		again = false;
		json_object_object_foreach(ports, k, v)
		{
			(void)v;
			if (ml_startswith(k, prefix)) {
				json_object_object_del(ports, k);
				again = true;
				break;
			}
		}
	}
}
