/*
 * cmd/start.c: `minilaunch start`: a running cluster in a libvirt VM, and
 * a kubeconfig context pointing at it. Idempotent: a running cluster is
 * checked and left alone, a stopped one boots with its data, and whatever
 * an interrupted start left behind is picked up by the next one.
 */
#include "config.h"

#include "machine/accel.h"
#include "kube/cluster.h"
#include "kube/k8s.h"
#include "kube/addons.h"
#include "kube/cluster_dns.h"
#include "cmd/command.h"
#include "machine/driver.h"
#include "machine/iso.h"
#include "kube/kubeconfig.h"
#include "base/log.h"
#include "machine/netconf.h"
#include "machine/node.h"
#include "machine/probe.h"
#include "base/paths.h"
#include "base/pki.h"
#include "base/profile.h"
#include "base/progress.h"
#include "base/util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum {
	OPT_CPUS,
	OPT_MEMORY,
	OPT_DISK,
	OPT_K8S_VERSION,
	OPT_NO_K8S,
	OPT_ISO_URL,
	OPT_ISO_SHA256,
	OPT_MIRROR,
	OPT_WAIT,
	OPT_WAIT_TIMEOUT,
	OPT_ACCEL,
	OPT_DRIVER_URI,
	OPT_DNS,
	OPT_NETWORK,
	OPT_REGISTRY_MIRROR,
	OPT_INSECURE_REGISTRY,
	OPT_DOCKER_ENV,
	OPT_ADDONS,
};

static const char *const wait_values[] = { "all",	"none", "docker",
					   "apiserver", "node", NULL };
static const char *const accel_values[] = { "auto", "kvm", "tcg", NULL };
static const char *const bool_values[] = { "true", "false", NULL };
static const char *const network_values[] = { "online", "offline", NULL };

static const struct ml_option start_options[] = {
	[OPT_CPUS] = { "cpus", 0, "N", "virtual CPUs (default 2)", NULL },
	[OPT_MEMORY] = { "memory", 0, "SIZE",
			 "memory, such as 3072m or 4g (default 3072m)", NULL },
	[OPT_DISK] = { "disk-size", 0, "SIZE",
		       "data disk size, such as 20g (default 20g)", NULL },
	[OPT_K8S_VERSION] = { "kubernetes-version", 0, "VERSION",
			      "Kubernetes version (default: the node image's)",
			      NULL },
	[OPT_NO_K8S] = { "no-kubernetes", 0, NULL,
			 "run Docker only, no Kubernetes", NULL },
	[OPT_ISO_URL] = { "iso-url", 0, "URL",
			  "node image to boot instead of the bundled one (https or file URL, verified against URL.sha256)",
			  NULL },
	[OPT_ISO_SHA256] = { "iso-sha256", 0, "HEX",
			     "the --iso-url image's sha256, checked instead of URL.sha256",
			     NULL },
	[OPT_MIRROR] = { "binary-mirror", 0, "URL",
			 "mirror of Kubernetes binaries for other versions",
			 NULL },
	[OPT_WAIT] = { "wait", 0, "WHAT",
		       "all (default), none, docker, apiserver or node",
		       wait_values },
	[OPT_WAIT_TIMEOUT] = { "wait-timeout", 0, "DURATION",
			       "how long to wait, such as 10m or 600s (default 10m)",
			       NULL },
	[OPT_ACCEL] = { "accel", 0, "ACCEL",
			"auto (default: KVM when the node's kernel boots under it, else TCG), kvm or tcg",
			accel_values },
	[OPT_DRIVER_URI] = { "driver-uri", 0, "URI",
			     "libvirt URI (default qemu:///system as root, else qemu:///session)",
			     NULL },
	[OPT_DNS] = { "dns", 0, "BOOL",
		      "cluster DNS for pods: true (default) or false",
		      bool_values },
	[OPT_NETWORK] = { "network", 0, "MODE",
			  "online (default: outbound NAT through this host) or offline (reaches nothing outside)",
			  network_values },
	[OPT_REGISTRY_MIRROR] = { "registry-mirror", 0, "URL",
				  "Docker registry mirror for the node, http(s) (repeatable)",
				  NULL },
	[OPT_INSECURE_REGISTRY] = { "insecure-registry", 0, "HOST:PORT",
				    "registry the node's Docker reaches over plain http, or a CIDR (repeatable)",
				    NULL },
	[OPT_DOCKER_ENV] = { "docker-env", 0, "K=V",
			     "HTTP_PROXY, HTTPS_PROXY or NO_PROXY for the node's Docker and kubelet (repeatable)",
			     NULL },
	[OPT_ADDONS] = { "addons", 0, "NAME,...",
			 "addons to turn on, saved in the profile (repeatable; see 'minilaunch addons list')",
			 NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

extern const struct ml_command ml_cmd_start;

enum wait_for { WAIT_NONE, WAIT_DOCKER, WAIT_APISERVER, WAIT_NODE };

static int
parse_duration(const char *s, int *ret_s)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || n <= 0 || end == s)
		goto bad;
	if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
		;
	else if (strcmp(end, "m") == 0)
		n *= 60;
	else if (strcmp(end, "h") == 0)
		n *= 3600;
	else
		goto bad;
	if (n > 24 * 3600)
		goto bad;
	*ret_s = (int)n;
	return 0;
bad:
	return ml_command_usage_error(
		&ml_cmd_start,
		"invalid --wait-timeout '%s': give a duration such as 10m or 600s",
		s);
}

/* Flags that are profile settings, saved by start. */
static const struct {
	int opt;
	const char *key;
} flag_keys[] = {
	{ OPT_CPUS, "cpus" },
	{ OPT_MEMORY, "memory" },
	{ OPT_DISK, "disk-size" },
	{ OPT_K8S_VERSION, "kubernetes-version" },
	{ OPT_ISO_URL, "iso-url" },
	{ OPT_ISO_SHA256, "iso-sha256" },
	{ OPT_MIRROR, "binary-mirror" },
	{ OPT_DRIVER_URI, "driver-uri" },
	{ OPT_DNS, "dns" },
	{ OPT_NETWORK, "network" },
};

/* Flags that may repeat: their values, joined by commas, are the
 * setting, replacing the saved one. */
static const struct {
	int opt;
	const char *key;
} list_keys[] = {
	{ OPT_REGISTRY_MIRROR, "registry-mirror" },
	{ OPT_INSECURE_REGISTRY, "insecure-registry" },
};

/* --docker-env's variables (any case) and their settings. */
static const struct {
	const char *var;
	const char *key;
} docker_env_keys[] = {
	{ "HTTP_PROXY", "http-proxy" },
	{ "HTTPS_PROXY", "https-proxy" },
	{ "NO_PROXY", "no-proxy" },
};

/* The settings the flags give, in the order they are applied. */
struct setting {
	const char *key;
	char *value; /* owned */
};
#define MAX_SETTINGS                                           \
	(ML_ARRAY_SIZE(flag_keys) + ML_ARRAY_SIZE(list_keys) + \
	 ML_ARRAY_SIZE(docker_env_keys))

static void
add_setting(struct setting *set, size_t *n, const char *key, char *value)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(set[i].key, key) == 0) {
			free(set[i].value);
			set[i].value = value;
			return;
		}
	set[(*n)++] = (struct setting){ key, value };
}

/* --docker-env K=V: the proxy variables only, the last of each wins. */
static int
docker_env_setting(const char *kv, struct setting *set, size_t *n)
{
	size_t klen = strcspn(kv, "=");

	for (size_t i = 0; kv[klen] && i < ML_ARRAY_SIZE(docker_env_keys); i++)
		if (strlen(docker_env_keys[i].var) == klen &&
		    strncasecmp(kv, docker_env_keys[i].var, klen) == 0) {
			add_setting(set, n, docker_env_keys[i].key,
				    ml_xstrdup(kv + klen + 1));
			return 0;
		}
	return ml_command_usage_error(
		&ml_cmd_start,
		"invalid --docker-env '%s': give HTTP_PROXY=URL, HTTPS_PROXY=URL or NO_PROXY=LIST (the node takes no other variables)",
		kv);
}

/*
 * Checked before the profile is opened: a usage error creates nothing.
 * The settings the flags give go to set (MAX_SETTINGS entries), their
 * count to *ret_n.
 */
static int
check_flags(const struct ml_args *a, struct setting *set, size_t *ret_n)
{
	const char *vals[ML_MAX_VALUES];
	size_t n = 0;
	int r = 0, nv;

	for (size_t i = 0; i < ML_ARRAY_SIZE(flag_keys); i++)
		if (a->opt[flag_keys[i].opt])
			add_setting(set, &n, flag_keys[i].key,
				    ml_xstrdup(a->opt[flag_keys[i].opt]));
	for (size_t i = 0; i < ML_ARRAY_SIZE(list_keys); i++) {
		struct ml_buf b = { 0 };

		nv = ml_args_values(a, list_keys[i].opt, vals, ML_MAX_VALUES);
		for (int j = 0; j < nv; j++) {
			if (j)
				ml_buf_add(&b, ",", 1);
			ml_buf_add(&b, vals[j], strlen(vals[j]));
		}
		if (nv)
			add_setting(set, &n, list_keys[i].key,
				    b.p ? b.p : ml_xstrdup(""));
	}
	nv = ml_args_values(a, OPT_DOCKER_ENV, vals, ML_MAX_VALUES);
	for (int j = 0; r >= 0 && j < nv; j++)
		r = docker_env_setting(vals[j], set, &n);
	for (size_t i = 0; r >= 0 && i < n; i++)
		if (ml_profile_check_value(set[i].key, set[i].value) < 0)
			r = ml_command_usage_error(&ml_cmd_start, "%s",
						   ml_err_msg());
	for (size_t i = 0; r < 0 && i < n; i++)
		free(set[i].value);
	*ret_n = r < 0 ? 0 : n;
	return r;
}

static int
apply_flags(struct ml_profile *p, const struct setting *set, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = ml_profile_set(p, set[i].key, set[i].value);
		if (r < 0)
			return r;
	}
	return 0;
}

struct start {
	const struct ml_globals *g;
	struct ml_profile *p;
	struct ml_node_paths paths;
	struct ml_driver *d;
	char *iso;
	struct ml_iso_version image; /* what the image says of itself */
	char *cmdline;
	enum ml_accel accel;
	enum ml_cpu_model cpu;
	struct ml_driver_host host;
	struct ml_accel_host probe; /* what the accelerator was probed with */
	char *accel_cache;
	bool kubernetes;
	int ports[3]; /* ssh, docker, apiserver */
	int timeout_s;
	time_t deadline;
	struct ml_netconf net; /* strings borrowed from p or the environment */
	struct setting settings[MAX_SETTINGS]; /* from the flags */
	size_t nsettings;
	char **addons; /* --addons' names, NULL-terminated, or NULL */
};

static int
choose_ports(struct start *s, bool keep)
{
	static const char *const names[] = { "ssh", "docker", "apiserver" };

	for (int i = 0; i < 3; i++) {
		int old = ml_profile_state_port(s->p, names[i]);
		int r;

		if (keep && old) {
			s->ports[i] = old;
			continue;
		}
		r = ml_node_pick_port(old, s->ports, i, &s->ports[i]);
		if (r < 0)
			return r;
		ml_profile_state_set_port(s->p, names[i], s->ports[i]);
	}
	return 0;
}

/* The image's Kubernetes is the one that runs: a --kubernetes-version
 * (or setting) asking for another one is refused. */
static int
check_kubernetes_version(struct start *s)
{
	const char *want = ml_profile_get(s->p, "kubernetes-version");
	int r = ml_iso_read_version(s->iso, &s->image);

	if (r < 0)
		return r;
	if (want && strcmp(want, s->image.kubernetes) != 0)
		return ml_err(
			-ENOTSUP,
			"Kubernetes %s is not available: the node image '%s' runs %s only; use --kubernetes-version %s or 'minilaunch config unset kubernetes-version'",
			want, s->iso, s->image.kubernetes, s->image.kubernetes);
	return 0;
}

static int
prepare_image(struct start *s)
{
	static const char *const boot_files[] = { "boot/vmlinuz",
						  "boot/initrd.img",
						  "boot/cmdline", NULL };
	int r;

	ml_progress_begin("Finding the node image");
	r = ml_node_find_iso(s->g->home, ml_profile_get(s->p, "iso-url"),
			     ml_profile_get(s->p, "iso-sha256"), &s->iso);
	ml_progress_end(r);
	if (r < 0)
		return r;
	r = check_kubernetes_version(s);
	if (r < 0)
		return r;
	r = ml_mkdir_p(s->paths.machine_dir, 0700);
	if (r < 0)
		return r;
	/* direct kernel boot: no bootloader, and the command line is ours */
	r = ml_iso_extract(s->iso, boot_files, s->paths.machine_dir);
	if (r < 0)
		return r;
	r = ml_read_file(s->paths.cmdline, &s->cmdline, NULL);
	if (r < 0)
		return r;
	s->cmdline[strcspn(s->cmdline, "\n")] = '\0';
	return 0;
}

/* Tests only: take KVM without probing, so that the domain-level fallback
 * below runs where no broken KVM exists to trigger it. */
#define ASSUME_KVM_ENV "ML_TEST_ASSUME_KVM"
/* A KVM guest that works reaches the initramfs in a second or two. */
#define KVM_CONSOLE_TIMEOUT_S 30
#define CONSOLE_MARK "minilaunch-initrd:"

static int
choose_accel(struct start *s, enum ml_accel want)
{
	struct ml_accel_choice c;
	int r;

	if (want == ML_ACCEL_TCG) {
		s->accel = ML_ACCEL_TCG;
		return 0;
	}
	ml_progress_begin("Asking libvirt which QEMU it runs");
	r = ml_driver_host(s->d, &s->host);
	ml_progress_end(r);
	if (r < 0)
		return r;
	{
		ml_autofree char *cache = ml_paths_cache_dir(s->g->home);
		s->accel_cache = ml_xasprintf("%s/accel", cache);
	}
	s->probe = (struct ml_accel_host){
		.emulator = s->host.emulator,
		.qemu_version = s->host.version,
		.kernel = s->paths.kernel,
		.cache_dir = s->accel_cache,
	};
	if (getenv(ASSUME_KVM_ENV)) {
		ml_log_info("%s is set: taking KVM with %s without probing (for tests)",
			    ASSUME_KVM_ENV,
			    ml_cpu_model_name(ML_CPU_HOST_PASSTHROUGH));
		s->accel = ML_ACCEL_KVM;
		s->cpu = ML_CPU_HOST_PASSTHROUGH;
		return 0;
	}
	ml_progress_begin("Probing KVM with the node's kernel (QEMU %s)",
			  s->host.version);
	r = ml_accel_choose(want, &s->probe, &c);
	ml_progress_end(r);
	if (r < 0)
		return r;
	s->accel = c.accel;
	s->cpu = c.cpu;
	ml_log_debug("%s verdict in %ld ms: %s%s%s",
		     c.cached ? "cached" : "new", c.probe_ms,
		     c.accel == ML_ACCEL_KVM ? "KVM with " : "TCG",
		     c.accel == ML_ACCEL_KVM ? ml_cpu_model_name(c.cpu) : "",
		     c.reason ? "" : ", nothing failed");
	if (c.reason && c.accel == ML_ACCEL_KVM)
		ml_log_debug("CPU models that did not boot: %s", c.reason);
	else if (c.reason)
		ml_log_info("KVM cannot run the node (%s): using TCG software emulation, which is much slower",
			    c.reason);
	ml_accel_choice_clear(&c);
	return 0;
}

/*
 * The KVM domain did not run after all: the verdict is recorded so the
 * next start skips that CPU model, and the machine is redefined for TCG.
 */
static void
fall_back_to_tcg(struct start *s, struct ml_machine_spec *spec,
		 const char *reason)
{
	/* reason may be ml_err_msg(), which what follows may replace */
	ml_autofree char *why = ml_xstrdup(reason);

	ml_accel_record_failure(&s->probe, s->cpu, why);
	ml_log_info("KVM did not run the node with %s (%s): redefining it for TCG software emulation, which is much slower",
		    ml_cpu_model_name(s->cpu), why);
	ml_driver_kill(s->d, s->g->profile);
	ml_err_clear();
	s->accel = spec->accel = ML_ACCEL_TCG;
}

/* Whether the console shows the initramfs within the bound; false as soon
 * as the machine is not running. */
static bool
console_alive(struct start *s)
{
	time_t end = time(NULL) + KVM_CONSOLE_TIMEOUT_S;

	for (;;) {
		ml_autofree char *log = NULL;
		enum ml_machine_state st;

		if (ml_read_file(s->paths.serial_log, &log, NULL) >= 0 &&
		    strstr(log, CONSOLE_MARK))
			return true;
		ml_err_clear();
		if (time(NULL) >= end ||
		    (ml_driver_state(s->d, s->g->profile, &st) >= 0 &&
		     st != ML_MACHINE_RUNNING))
			return false;
		usleep(250000);
	}
}

/* Tests only: EGRESS_GUARD=gateway on the config drive (docs/networking.md). */
#define EGRESS_GUARD_ENV "ML_TEST_EGRESS_GUARD"

/* This host's own proxy variable, when valid for key. */
static const char *
host_proxy(const char *var, const char *key)
{
	const char *v = ml_netconf_host_proxy(var);

	if (v && ml_profile_check_value(key, v) < 0) {
		ml_log_warn("this host's %s cannot be passed to the node (%s), ignoring",
			    var, ml_err_msg());
		ml_err_clear();
		return NULL;
	}
	return v;
}

/*
 * The node's network from the profile: proxies the profile does not set
 * come from this host's environment, as minikube takes them, except for
 * an offline node, which could not reach them. What the node gets is
 * recorded in the state for status.
 */
static void
node_network(struct start *s, struct ml_netconf *c)
{
	const char *keys[ML_NETCONF_NPROXY] = { "http-proxy", "https-proxy",
						"no-proxy" };
	const char *v[ML_NETCONF_NPROXY];
	char *got[ML_NETCONF_NPROXY];
	const char *egress = getenv(EGRESS_GUARD_ENV);

	*c = (struct ml_netconf){
		.offline = strcmp(ml_profile_get_or_default(s->p, "network"),
				  "offline") == 0,
		.egress_guard = egress && strcmp(egress, "1") == 0,
		.registry_mirrors = ml_profile_get(s->p, "registry-mirror"),
		.insecure_registries =
			ml_profile_get(s->p, "insecure-registry"),
	};
	for (int i = 0; i < ML_NETCONF_NPROXY; i++) {
		v[i] = ml_profile_get(s->p, keys[i]);
		if (!v[i] && !c->offline)
			v[i] = host_proxy(ml_netconf_proxy_vars[i], keys[i]);
	}
	c->http_proxy = v[ML_NETCONF_HTTP];
	c->https_proxy = v[ML_NETCONF_HTTPS];
	c->no_proxy = v[ML_NETCONF_NO];
	ml_netconf_proxies(c, s->g->profile, got);
	for (int i = 0; i < ML_NETCONF_NPROXY; i++) {
		ml_profile_state_set_str(s->p, keys[i], got[i]);
		free(got[i]);
	}
	ml_profile_state_set_str(s->p, "network",
				 c->offline ? "offline" : "online");
	ml_profile_state_set_str(s->p, "registry-mirror", c->registry_mirrors);
	ml_profile_state_set_str(s->p, "insecure-registry",
				 c->insecure_registries);
	if (c->egress_guard)
		ml_log_info("%s is set: the node rejects what it sends anywhere but %s (for tests)",
			    EGRESS_GUARD_ENV, ML_NETCONF_HOST_IP);
}

static int
define_machine(struct start *s, const struct ml_machine_spec *spec,
	       bool *new_disk)
{
	bool made = false;
	int r;

	ml_progress_begin("Defining the machine (%s%s%s, %u CPUs, %llum, %s)",
			  ml_accel_name(spec->accel),
			  spec->accel == ML_ACCEL_KVM ? " " : "",
			  spec->accel == ML_ACCEL_KVM
				  ? ml_cpu_model_name(spec->cpu)
				  : "",
			  spec->cpus, (unsigned long long)spec->memory_mib,
			  ml_profile_get_or_default(s->p, "disk-size"));
	r = ml_driver_define(s->d, spec, &made);
	ml_progress_end(r);
	/* a define that failed may still have made the disk */
	*new_disk = *new_disk || made;
	return r;
}

static int
start_machine(struct start *s)
{
	int r;

	if (truncate(s->paths.serial_log, 0) < 0 && errno != ENOENT)
		ml_log_debug("cannot truncate the serial log: %s",
			     strerror(errno));
	ml_progress_begin("Booting the VM");
	r = ml_driver_start(s->d, s->g->profile);
	ml_progress_end(r);
	return r;
}

static int
boot(struct start *s, bool running)
{
	uint64_t mem, disk;
	struct ml_machine_spec spec;
	bool new_disk = false;
	int r;

	ml_profile_parse_size_mib("memory",
				  ml_profile_get_or_default(s->p, "memory"),
				  &mem);
	ml_profile_parse_size_mib("disk-size",
				  ml_profile_get_or_default(s->p, "disk-size"),
				  &disk);
	spec = (struct ml_machine_spec){
		.name = s->g->profile,
		.machine_dir = s->paths.machine_dir,
		.kernel = s->paths.kernel,
		.initrd = s->paths.initrd,
		.cmdline = s->cmdline,
		.iso = s->iso,
		.config_iso = s->paths.config_iso,
		.serial_log = s->paths.serial_log,
		.cpus = (unsigned)atoi(ml_profile_get_or_default(s->p, "cpus")),
		.memory_mib = mem,
		.disk_mib = disk,
		.accel = s->accel,
		.cpu = s->cpu,
		.ssh_port = s->ports[0],
		.docker_port = s->ports[1],
		.apiserver_port = s->ports[2],
	};
	if (!running) {
		spec.offline = s->net.offline;
		ml_progress_begin("Writing the config drive");
		r = ml_node_write_config_drive(s->g->home, s->g->profile,
					       &s->paths, s->kubernetes,
					       s->image.kubernetes, &s->net);
		ml_progress_end(r);
		if (r < 0)
			return r;
	}
	if (running)
		return 0;
	r = define_machine(s, &spec, &new_disk);
	if (r < 0 && spec.accel == ML_ACCEL_KVM) {
		fall_back_to_tcg(s, &spec, ml_err_msg());
		r = define_machine(s, &spec, &new_disk);
	}
	if (r < 0)
		return r;
	if (new_disk)
		ml_log_info("created the %s data disk",
			    ml_profile_get_or_default(s->p, "disk-size"));
	ml_profile_state_clear_ports(s->p, "nodeport-");
	r = start_machine(s);
	if (spec.accel == ML_ACCEL_KVM && (r < 0 || !console_alive(s))) {
		ml_autofree char *why =
			r < 0 ? ml_xstrdup(ml_err_msg())
			      : ml_xasprintf("no output from its kernel on the console within %d s",
					     KVM_CONSOLE_TIMEOUT_S);
		fall_back_to_tcg(s, &spec, why);
		r = define_machine(s, &spec, &new_disk);
		if (r >= 0)
			r = start_machine(s);
	}
	return r;
}

/* Waits for one probe, failing early when the boot failed or the VM died. */
static int
wait_for(struct start *s, const char *what,
	 int (*fn)(const char *, const char *, int, long), int port)
{
	int r;

	ml_progress_begin("Waiting for %s", what);
	for (;;) {
		enum ml_machine_state st;
		ml_autofree char *fail = NULL;

		r = fn(s->g->home, s->g->profile, port, 3000);
		if (r >= 0)
			break;
		if (time(NULL) >= s->deadline) {
			r = ml_err(-ETIMEDOUT,
				   "%s not ready after %d s (%s): see 'minilaunch -p %s logs'",
				   what, s->timeout_s, ml_err_msg(),
				   s->g->profile);
			break;
		}
		fail = ml_probe_boot_failure(s->paths.serial_log);
		if (fail) {
			r = ml_err(-EIO,
				   "the node reported a failure: %s: see 'minilaunch -p %s logs'",
				   fail, s->g->profile);
			break;
		}
		if (ml_driver_state(s->d, s->g->profile, &st) >= 0 &&
		    st != ML_MACHINE_RUNNING) {
			r = ml_err(-EIO,
				   "the VM stopped while booting (%s): see 'minilaunch -p %s logs'",
				   ml_machine_state_name(st), s->g->profile);
			break;
		}
		ml_progress_tick("(%s)", ml_err_msg() ? ml_err_msg() : "");
		usleep(500000);
	}
	ml_progress_end(r);
	return r;
}

static int
merge_kubeconfig(struct start *s)
{
	ml_autofree char *kc = ml_kubeconfig_default_path();
	ml_autofree char *server =
		ml_xasprintf("https://127.0.0.1:%d", s->ports[2]);
	ml_autofree char *ca = NULL, *cert = NULL, *key = NULL;
	int r;

	ml_pki_admin_files(s->g->home, s->g->profile, &ca, &cert, &key);

	ml_progress_begin("Updating kubeconfig '%s'", kc);
	r = ml_kubeconfig_merge(kc, s->g->home,
				&(struct ml_kubeconfig_entry){
					.name = s->g->profile,
					.server = server,
					.ca_file = ca,
					.cert_file = cert,
					.key_file = key,
				},
				true);
	ml_progress_end(r);
	return r;
}

static int
save_state(struct start *s, const char *status)
{
	ml_profile_state_set_str(s->p, "status", status);
	ml_profile_state_set_str(s->p, "accel", ml_accel_name(s->accel));
	ml_profile_state_set_str(s->p, "cpu",
				 s->accel == ML_ACCEL_KVM
					 ? ml_cpu_model_name(s->cpu)
					 : ml_cpu_model_name(ML_CPU_QEMU64));
	ml_profile_state_set_str(s->p, "ip", ML_NODE_IP);
	ml_profile_state_set_str(s->p, "iso", s->iso);
	ml_profile_state_set_str(s->p, "kubernetes",
				 s->kubernetes ? "true" : "false");
	ml_profile_state_set_str(s->p, "kubernetes-version",
				 s->image.kubernetes);
	return ml_profile_save(s->p);
}

/* Cluster DNS on or off as the profile says (docs/dns.md). */
static int
ensure_dns(struct start *s, bool wait, bool booted)
{
	struct ml_cluster_dns_opts o = {
		.enabled = strcmp(ml_profile_get_or_default(s->p, "dns"),
				  "true") == 0,
		.wait = wait,
		.deadline = s->deadline,
		/* the deadline was set right after booting; 10 s spare a
		 * guest clock a little behind the host's */
		.started_after = booted ? s->deadline - s->timeout_s - 10 : 0,
	};
	ml_autofree char *manifest = NULL, *source = NULL;
	int r;

	ml_progress_begin(o.enabled ? "Enabling cluster DNS"
				    : "Turning cluster DNS off");
	r = ml_iso_read_file(s->iso, ML_CLUSTER_DNS_MANIFEST, &manifest, NULL);
	source = ml_xasprintf("%s:/%s", s->iso, ML_CLUSTER_DNS_MANIFEST);
	if (r >= 0)
		r = ml_cluster_dns_ensure(s->g->home, s->g->profile,
					  s->ports[2], source, manifest, &o);
	else if (r == -ENOENT) {
		/* an image built before cluster DNS is left alone */
		if (o.enabled)
			ml_log_warn("the node image '%s' has no cluster DNS (no /%s): pods cannot resolve service names; rebuild it with 'make iso', ignoring",
				    s->iso, ML_CLUSTER_DNS_MANIFEST);
		ml_err_clear();
		r = 0;
	}
	ml_progress_end(r);
	/* The cluster works without it for now, and its Deployment comes up
	 * by itself: on a slow (emulated, loaded) host the controllers may
	 * take minutes after the API server to create its pod. */
	if (r == -ETIMEDOUT && o.enabled) {
		ml_log_warn("%s: it keeps starting by itself (kubectl -n kube-system get pods -l k8s-app=kube-dns), ignoring",
			    ml_err_msg());
		ml_err_clear();
		r = 0;
	}
	return r;
}

/*
 * --addons a,b (repeatable): names the catalogue has, into s->addons. The
 * catalogue is read here even without the flag, so that a broken addon
 * is said before anything is made or booted.
 */
static int
check_addons(const struct ml_args *a, struct start *s)
{
	const char *vals[ML_MAX_VALUES];
	int nv = ml_args_values(a, OPT_ADDONS, vals, ML_MAX_VALUES);
	struct ml_addons *cat = NULL;
	size_t n = 0;
	int r;

	if (a->opt[OPT_NO_K8S])
		return 0; /* no cluster, no addons */
	r = ml_addons_load_profile(s->g->home, s->g->profile, NULL, ML_NODE_IP,
				   &cat);
	for (int i = 0; r >= 0 && i < nv && i < ML_MAX_VALUES; i++) {
		for (const char *p = vals[i]; r >= 0 && *p;) {
			size_t len = strcspn(p, ",");
			ml_autofree char *name = ml_xstrndup(p, len);
			const struct ml_addon *addon;

			p += len + (p[len] == ',');
			if (!*name)
				continue;
			r = ml_addons_get(cat, name, &addon);
			if (r == -ENOENT)
				r = ml_command_usage_error(&ml_cmd_start,
							   "invalid --addons: %s",
							   ml_err_msg());
			if (r < 0)
				break;
			s->addons = ml_xrealloc(s->addons,
						(n + 2) * sizeof(*s->addons));
			s->addons[n++] = ml_xstrdup(name);
			s->addons[n] = NULL;
		}
	}
	ml_addons_free(cat);
	return r;
}

/* The addons on or off as the profile says (docs/addons.md): each one on
 * applied and awaited, a step of its own; the objects of those off
 * deleted. */
static int
ensure_addons(struct start *s, bool wait, bool booted)
{
	struct ml_addon_opts o = {
		.wait = wait,
		.deadline = s->deadline,
		.started_after = booted ? s->deadline - s->timeout_s - 10 : 0,
	};
	const char *choices = ml_profile_get(s->p, "addons");
	struct ml_addons *cat = NULL;
	struct ml_k8s *c = NULL;
	int r;

	r = ml_addons_load_profile(s->g->home, s->g->profile, s->p, ML_NODE_IP,
				   &cat);
	if (r >= 0)
		r = ml_cluster_client(s->g->home, s->g->profile, s->ports[2],
				      60000, &c);
	for (size_t i = 0; r >= 0 && cat && i < cat->n; i++) {
		const struct ml_addon *a = &cat->v[i];
		int deleted = 0;

		if (!ml_addon_enabled(a, choices)) {
			r = ml_addon_disable(c, a, s->deadline, &deleted);
			if (r >= 0 && deleted)
				ml_log_info("addon '%s' is off: deleted its %d objects",
					    a->name, deleted);
			else if (r < 0)
				r = ml_err(r, "cannot disable addon '%s': %s",
					   a->name, ml_err_msg());
			continue;
		}
		ml_progress_begin("Enabling addon %s", a->name);
		r = ml_addon_enable(c, a, &o); /* its messages name it */
		ml_progress_end(r);
	}
	ml_k8s_free(c);
	ml_addons_free(cat);
	return r;
}

/* The flags that only steer this run (not saved in the profile). */
static int
parse_run_flags(const struct ml_args *a, struct start *s, enum ml_accel *want,
		enum wait_for *wait)
{
	static const struct {
		const char *name;
		enum wait_for wait;
	} waits[] = {
		{ "none", WAIT_NONE },
		{ "docker", WAIT_DOCKER },
		{ "apiserver", WAIT_APISERVER },
		{ "node", WAIT_NODE },
		{ "all", WAIT_NODE },
	};
	const char *w = a->opt[OPT_WAIT];
	size_t i;
	int r;

	if (a->argc)
		return ml_command_usage_error(&ml_cmd_start,
					      "start takes no arguments");
	if (a->opt[OPT_ACCEL] &&
	    (r = ml_accel_parse(a->opt[OPT_ACCEL], want)) < 0)
		return ml_command_usage_error(&ml_cmd_start, "%s",
					      ml_err_msg());
	if (a->opt[OPT_WAIT_TIMEOUT] &&
	    (r = parse_duration(a->opt[OPT_WAIT_TIMEOUT], &s->timeout_s)) < 0)
		return r;
	for (i = 0; w && i < ML_ARRAY_SIZE(waits); i++)
		if (strcmp(w, waits[i].name) == 0)
			break;
	if (w && i == ML_ARRAY_SIZE(waits))
		return ml_command_usage_error(
			&ml_cmd_start,
			"invalid --wait '%s': use all, none, docker, apiserver or node",
			w);
	*wait = w ? waits[i].wait : WAIT_NODE;
	r = check_flags(a, s->settings, &s->nsettings);
	if (r >= 0)
		r = check_addons(a, s);
	if (r < 0)
		return r;
	s->kubernetes = !a->opt[OPT_NO_K8S];
	if (!s->kubernetes && *wait > WAIT_DOCKER)
		*wait = WAIT_DOCKER;
	/* A forced KVM without a working /dev/kvm: said at once, and nothing
	 * is made (the boot probe, which needs the image, comes later). */
	if (*want == ML_ACCEL_KVM) {
		ml_autofree char *why = NULL;
		if (!ml_accel_probe_kvm(NULL, 0, &why))
			return ml_accel_err_unusable(why);
	}
	return 0;
}

/* One start per profile at a time; a second one fails cleanly. */
static int
open_profile(struct start *s)
{
	const struct ml_globals *g = s->g;
	int r = ml_profile_open(g->home, g->profile,
				ML_PROFILE_CREATE | ML_PROFILE_LOCK |
					ML_PROFILE_NOWAIT,
				&s->p);

	if (r == -EWOULDBLOCK)
		return ml_err(
			r,
			"profile '%s' is busy: another minilaunch command is working on it; wait for it to finish",
			g->profile);
	if (r < 0)
		return r;
	ml_node_paths_init(&s->paths, g->home, g->profile);
	r = apply_flags(s->p, s->settings, s->nsettings);
	for (size_t i = 0; r >= 0 && s->addons && s->addons[i]; i++) {
		ml_autofree char *choices =
			ml_addons_choose(ml_profile_get(s->p, "addons"),
					 s->addons[i], true);

		r = ml_profile_set(s->p, "addons", choices);
	}
	return r;
}

/* Opens the driver and says what this start does; a paused or crashed VM
 * is killed first and started as a stopped one. */
static int
open_machine(struct start *s, enum ml_machine_state *ret_st)
{
	const char *uri = ml_profile_get_or_default(s->p, "driver-uri");
	const char *name = s->g->profile;
	enum ml_machine_state st;
	int r;

	r = ml_driver_open(uri, s->g->home, &s->d);
	if (r < 0)
		return r;
	r = ml_driver_state(s->d, name, &st);
	if (r < 0)
		return r;
	if (st == ML_MACHINE_PAUSED || st == ML_MACHINE_CRASHED) {
		ml_log_info("the VM of '%s' is %s: restarting it", name,
			    ml_machine_state_name(st));
		r = ml_driver_kill(s->d, name);
		if (r < 0)
			return r;
		st = ML_MACHINE_STOPPED;
	}
	fprintf(stderr, "%s '%s' (%s)\n",
		st == ML_MACHINE_RUNNING   ? "Checking running cluster"
		: st == ML_MACHINE_STOPPED ? "Starting stopped cluster"
					   : "Creating cluster",
		name, uri);
	*ret_st = st;
	return 0;
}

/* The accelerator: as a running VM was booted, else chosen now. */
static int
pick_accel(struct start *s, bool running, enum ml_accel want, bool existed)
{
	int r;

	if (running) {
		const char *acc = ml_profile_state_str(s->p, "accel");
		const char *cpu = ml_profile_state_str(s->p, "cpu");

		if (!acc || ml_accel_parse(acc, &s->accel) < 0)
			s->accel = ML_ACCEL_TCG;
		/* a profile from before the CPU was recorded */
		if (!cpu || ml_cpu_model_parse(cpu, &s->cpu) < 0)
			s->cpu = ML_CPU_HOST_PASSTHROUGH;
		ml_err_clear();
		return 0;
	}
	r = choose_accel(s, want);
	/* --accel kvm where KVM cannot run the node: a profile this start
	 * made goes again */
	if (r < 0 && !existed) {
		ml_autofree char *dir =
			ml_paths_profile_dir(s->g->home, s->g->profile);
		ml_rm_rf(dir);
	}
	return r;
}

/* Certificates, ports, the state saved before booting (an interrupted
 * start leaves a state the next one reads and repairs), then the boot. */
static int
bring_up(struct start *s, bool running)
{
	int r;

	ml_progress_begin("Preparing certificates");
	r = ml_pki_ensure(s->g->home, s->g->profile, s->g->profile, NULL);
	ml_progress_end(r);
	if (r >= 0)
		r = choose_ports(s, running);
	/* recorded with the rest, so that status tells what the node got */
	if (r >= 0 && !running)
		node_network(s, &s->net);
	if (r >= 0)
		r = save_state(s, "Starting");
	if (r >= 0)
		r = boot(s, running);
	return r;
}

/* Waits for what --wait asks, then makes the cluster usable: kubeconfig,
 * cluster DNS, the state saying Running. */
static int
finish_up(struct start *s, enum wait_for wait, bool booted)
{
	int r = 0;

	s->deadline = time(NULL) + s->timeout_s;
	if (wait >= WAIT_DOCKER)
		r = wait_for(s, "dockerd (TLS)", ml_probe_docker, s->ports[1]);
	if (r >= 0 && wait >= WAIT_APISERVER)
		r = wait_for(s, "the API server", ml_cluster_probe_apiserver,
			     s->ports[2]);
	if (r >= 0 && wait >= WAIT_NODE)
		r = wait_for(s, "the node to be Ready", ml_cluster_node_ready,
			     s->ports[2]);
	if (r >= 0 && s->kubernetes)
		r = merge_kubeconfig(s);
	if (r >= 0 && s->kubernetes && wait >= WAIT_APISERVER)
		r = ensure_dns(s, wait >= WAIT_NODE, booted);
	if (r >= 0 && s->kubernetes && wait >= WAIT_APISERVER)
		r = ensure_addons(s, wait >= WAIT_NODE, booted);
	if (r >= 0)
		r = save_state(s, "Running");
	return r;
}

static void
print_next_steps(const struct start *s)
{
	const char *name = s->g->profile;
	bool other = strcmp(name, ML_PROFILE_DEFAULT) != 0;

	const char *net = ml_profile_state_str(s->p, "network");

	fprintf(stderr, "Done in %.0f s. '%s' is running (%s).\n",
		ml_progress_total(), name, ml_accel_name(s->accel));
	if (net && strcmp(net, "offline") == 0)
		fprintf(stderr,
			"The node is offline: it reaches nothing outside (minilaunch%s%s stop && minilaunch%s%s start --network=online to change).\n",
			other ? " -p " : "", other ? name : "",
			other ? " -p " : "", other ? name : "");
	else
		fprintf(stderr,
			"The node has outbound network through this host; this host's 127.0.0.1 is " ML_NETCONF_HOST_ALIAS
			" there.\n");
	if (s->kubernetes)
		fprintf(stderr, "  kubectl config use-context %s\n", name);
	fprintf(stderr, "  eval \"$(minilaunch%s%s docker-env)\"\n",
		other ? " -p " : "", other ? name : "");
	if (s->kubernetes)
		fprintf(stderr, "  minilaunch dashboard\n");
}

static void
clear_settings(struct start *s)
{
	for (size_t i = 0; i < s->nsettings; i++)
		free(s->settings[i].value);
	s->nsettings = 0;
	for (size_t i = 0; s->addons && s->addons[i]; i++)
		free(s->addons[i]);
	free(s->addons);
	s->addons = NULL;
}

static int
run_start(const struct ml_globals *g, const struct ml_args *a)
{
	struct start s = { .g = g, .timeout_s = 600 };
	enum ml_accel want = ML_ACCEL_AUTO;
	enum wait_for wait = WAIT_NODE;
	enum ml_machine_state st;
	bool existed;
	int r;

	r = parse_run_flags(a, &s, &want, &wait);
	/* a kubeconfig entry of this name that minilaunch did not write: said
	 * before anything is made or booted */
	if (r >= 0 && s.kubernetes) {
		ml_autofree char *kc = ml_kubeconfig_default_path();

		r = ml_kubeconfig_check_ours(kc, g->home, g->profile);
	}
	if (r < 0) {
		clear_settings(&s);
		return r;
	}
	existed = ml_profile_exists(g->home, g->profile);
	r = open_profile(&s);
	/* the image before libvirt: a wrong one is the user's to fix, said
	 * whether or not libvirtd runs */
	if (r >= 0)
		r = prepare_image(&s);
	if (r >= 0)
		r = open_machine(&s, &st);
	if (r >= 0)
		r = pick_accel(&s, st == ML_MACHINE_RUNNING, want, existed);
	if (r >= 0)
		r = bring_up(&s, st == ML_MACHINE_RUNNING);
	if (r >= 0)
		r = finish_up(&s, wait, st != ML_MACHINE_RUNNING);
	if (r >= 0)
		print_next_steps(&s);
	ml_driver_close(s.d);
	ml_driver_host_clear(&s.host);
	free(s.accel_cache);
	ml_node_paths_clear(&s.paths);
	free(s.iso);
	ml_iso_version_clear(&s.image);
	free(s.cmdline);
	ml_profile_free(s.p);
	clear_settings(&s);
	return r;
}

const struct ml_command ml_cmd_start = {
	.name = "start",
	.summary =
		"Create or start the cluster's VM and wait until it is ready",
	.usage =
		"start [--cpus N] [--memory SIZE] [--disk-size SIZE] [--no-kubernetes]\n"
		"start [--accel auto|kvm|tcg] [--driver-uri URI] [--wait WHAT] [--wait-timeout D]\n"
		"start [--network online|offline] [--registry-mirror URL] [--insecure-registry HOST:PORT] [--docker-env K=V]\n"
		"start [--addons NAME,...]",
	.description =
		"Boots the profile's node in a libvirt VM from the bundled node image,\n"
		"with Docker (TLS only) and a Kubernetes control plane, forwards ssh,\n"
		"Docker and the API server to 127.0.0.1, waits until they answer and\n"
		"merges a kubeconfig context named after the profile. On a running\n"
		"cluster it only checks it; a stopped one boots with its data. Flags are\n"
		"saved in the profile. Acceleration: KVM when the node image's kernel\n"
		"boots under it in the QEMU libvirt runs, with the best CPU model that\n"
		"does (the verdict is cached per host); else TCG (software emulation,\n"
		"much slower). A KVM machine that still fails is redefined for TCG.\n"
		"Network: online (the default) gives the node outbound NAT through this\n"
		"host, which it reaches as host.minilaunch.internal; offline reaches\n"
		"nothing outside. This host's HTTP_PROXY, HTTPS_PROXY and NO_PROXY are\n"
		"passed to the node's Docker and kubelet unless the profile sets them.\n"
		"Then every addon that is on for the profile is applied and awaited, and\n"
		"the objects of those that are off are deleted ('minilaunch addons').",
	.options = start_options,
	.run = run_start,
};
