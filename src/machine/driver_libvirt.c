/*
 * machine/driver_libvirt.c: the machine lifecycle through libvirt's C API.
 *
 * One node per profile: a domain "ml-OWNER-PROFILE" and a dir storage pool
 * "minilaunch-OWNER-PROFILE" holding the qcow2 data disk. OWNER is
 * ml_driver_owner_key(): two users, or two homes, with the same profile
 * name get distinct objects. The domain carries our metadata element
 * <ml:node profile= owner= home=/>; a domain of our name without it, or
 * with another owner or home, is never touched, nor is a pool of our name
 * whose target is not the directory we expect.
 *
 * Under qemu:///session QEMU runs as the user and the pool's target is the
 * profile's machine directory. Under qemu:///system QEMU runs as libvirt's
 * own user (libvirt-qemu on Debian) with libvirt's dynamic DAC ownership:
 * it cannot reach a home (/root is 0700), so the pool's target is
 * IMAGES_DIR/OWNER-PROFILE and define copies in what QEMU opens (kernel,
 * initrd, node image, config drive). libvirt 9.0 chowns all of them to its
 * user while the domain runs and gives the kernel, initrd and data disk
 * back at shutdown, but not the read-only cdroms: the node image is
 * therefore copied (once, while its size and time match), never used in
 * place or hard-linked, which would hand the user's own file to
 * libvirt-qemu. The serial log stays in the home: virtlogd, running as
 * root, writes it.
 *
 * Networking is QEMU user-mode networking with host forwards bound to
 * 127.0.0.1. libvirt 9.0 has no <portForward> for plain user networking
 * (only for the passt backend, which it rejects here), so the netdev is
 * passed through the qemu:commandline namespace, with an explicit PCI slot
 * so it cannot clash with the devices libvirt places. Online (the default)
 * the guest has outbound NAT through QEMU (restrict=off), QEMU's resolver
 * at 10.0.2.3 and the host's 127.0.0.1 at the gateway 10.0.2.2; offline,
 * restrict=on keeps it from reaching anything but the forwards: nothing
 * leaves the host. Either way nothing new listens on the host: the
 * forwards stay on 127.0.0.1. Forwards for NodePorts are added later
 * through the QEMU monitor.
 */
#include "config.h"

#include "machine/driver.h"

#include "base/log.h"
#include "base/paths.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ML_NS_URI "http://minilaunch.invalid/schemas/node/1"
#define NETDEV_ID "mlnet0"
#define DATA_VOLUME "data.qcow2"
#define SEED_VOLUME "data-seed.raw"
/* The data disk's first 16 bytes tell the guest it may format it. */
#define DATA_MAGIC "MLDATA-FORMAT-ME"
/* the per-machine directories under qemu:///system */
#define IMAGES_DIR "/var/lib/libvirt/images/minilaunch"

struct lv {
	virConnectPtr conn;
	char *uri;
	bool system;
	char *home;  /* absolute */
	char *owner; /* ml_driver_owner_key(home) */
};

/* libvirt's own printing, off: errors are reported through ml_err() where
 * they are detected */
static void
quiet(void *ud, virErrorPtr err)
{
}

static int
lv_err(int r, const char *what, const char *name)
{
	const char *msg = virGetLastErrorMessage();
	return ml_err(r, "libvirt: cannot %s '%s': %s", what, name,
		      msg ? msg : "unknown error");
}

static int
lv_open(const char *uri, const char *home, void **ret_priv)
{
	struct lv *lv;
	virConnectPtr conn;

	virSetErrorFunc(NULL, quiet);
	conn = virConnectOpen(uri);
	if (!conn) {
		const char *msg = virGetLastErrorMessage();
		return ml_err(
			-ECONNREFUSED,
			"cannot connect to libvirt at '%s': %s: start libvirtd (and virtlogd) or pick another --driver-uri",
			uri, msg ? msg : "unknown error");
	}
	lv = ml_xcalloc(1, sizeof(*lv));
	lv->conn = conn;
	lv->uri = ml_xstrdup(uri);
	lv->system = ml_endswith(uri, "/system");
	lv->home = ml_xstrdup(home);
	lv->owner = ml_driver_owner_key(home);
	*ret_priv = lv;
	return 0;
}

static void
lv_close(void *priv)
{
	struct lv *lv = priv;

	virConnectClose(lv->conn);
	free(lv->uri);
	free(lv->home);
	free(lv->owner);
	free(lv);
}

static char *
dom_name(const struct lv *lv, const char *profile)
{
	return ml_xasprintf("ml-%s-%s", lv->owner, profile);
}

static char *
pool_name(const struct lv *lv, const char *profile)
{
	return ml_xasprintf("minilaunch-%s-%s", lv->owner, profile);
}

/* The pool's target: the profile's machine directory, or under system
 * where QEMU's user can reach it. */
static char *
pool_dir(const struct lv *lv, const char *profile)
{
	if (!lv->system)
		return ml_paths_machine_dir(lv->home, profile);
	return ml_xasprintf(IMAGES_DIR "/%s-%s", lv->owner, profile);
}

/* The text from a up to end with XML's entities replaced. Caller frees. */
static char *
xml_unescape(const char *a, const char *end)
{
	struct ml_buf out = { 0 };
	static const struct {
		const char *ent;
		char c;
	} ents[] = { { "&amp;", '&' },	{ "&lt;", '<' },    { "&gt;", '>' },
		     { "&quot;", '"' }, { "&apos;", '\'' }, { "&#39;", '\'' },
		     { "&#10;", '\n' } };

	for (; a < end; a++) {
		size_t i;

		for (i = 0; i < ML_ARRAY_SIZE(ents); i++)
			if (ml_startswith(a, ents[i].ent))
				break;
		if (i < ML_ARRAY_SIZE(ents)) {
			ml_buf_add(&out, &ents[i].c, 1);
			a += strlen(ents[i].ent) - 1;
		} else {
			ml_buf_add(&out, a, 1);
		}
	}
	return out.p ? out.p : ml_xstrdup("");
}

/* The value of the first attribute attr="..." (or '...') in xml,
 * unescaped; NULL when absent. Enough for the one element we write. */
static char *
xml_attr(const char *xml, const char *attr)
{
	ml_autofree char *pat = ml_xasprintf(" %s=", attr);
	const char *a = strstr(xml, pat), *b;

	if (!a)
		return NULL;
	a += strlen(pat);
	if (*a != '"' && *a != '\'')
		return NULL;
	b = strchr(a + 1, *a);
	return b ? xml_unescape(a + 1, b) : NULL;
}

/*
 * The emulator libvirt runs for x86_64 guests, from its domain
 * capabilities. On a fresh host this is the call that waits while libvirt
 * probes QEMU's capabilities (and libvirt probes them again whenever it
 * finds its cache stale: a new QEMU, libvirtd or host kernel, or /dev/kvm
 * usable now where QEMU could not use it when probed).
 */
static int
lv_host(void *priv, struct ml_driver_host *ret)
{
	struct lv *lv = priv;
	unsigned long version = 0;
	char *xml, *a, *b;

	xml = virConnectGetDomainCapabilities(lv->conn, NULL, "x86_64", "pc",
					      "qemu", 0);
	if (!xml)
		return lv_err(-EIO, "read the domain capabilities of", lv->uri);
	a = strstr(xml, "<path>");
	b = a ? strstr(a, "</path>") : NULL;
	if (!b) {
		free(xml);
		return ml_err(
			-EPROTO,
			"libvirt at '%s' names no emulator for x86_64 guests: install qemu-system-x86",
			lv->uri);
	}
	ret->emulator = ml_xstrndup(a + 6, (size_t)(b - a - 6));
	free(xml);
	if (virConnectGetVersion(lv->conn, &version) < 0)
		version = 0;
	ret->version = ml_xasprintf("%lu.%lu.%lu", version / 1000000,
				    version / 1000 % 1000, version % 1000);
	return 0;
}

/* --- XML --- */

/* Appends s escaped for XML text and attributes. */
static void
xml_esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

#define ESC(f, s) xml_esc(f, s)

static void
cdrom(FILE *f, const char *path, const char *dev)
{
	fputs("    <disk type='file' device='cdrom'>\n"
	      "      <driver name='qemu' type='raw'/>\n"
	      "      <source file='",
	      f);
	ESC(f, path);
	fprintf(f,
		"'/>\n      <target dev='%s' bus='ide'/>\n"
		"      <readonly/>\n    </disk>\n",
		dev);
}

/* uuid: the existing definition's, so that redefining updates it in place
 * (without one libvirt makes a new UUID and refuses the name); or NULL. */
/* The files QEMU opens, as the domain names them: the spec's under
 * session, the copies in the pool's directory under system. */
struct staged {
	const char *kernel, *initrd, *iso, *config_iso, *extra_iso;
};

static char *
domain_xml(const struct lv *lv, const struct ml_machine_spec *s,
	   const struct staged *st, const char *uuid)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	bool kvm = s->accel == ML_ACCEL_KVM;
	ml_autofree char *pool = pool_name(lv, s->name);
	ml_autofree char *name = dom_name(lv, s->name);

	fprintf(f,
		"<domain type='%s' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n",
		kvm ? "kvm" : "qemu");
	fputs("  <name>", f);
	ESC(f, name);
	fputs("</name>\n", f);
	if (uuid)
		fprintf(f, "  <uuid>%s</uuid>\n", uuid);
	fputs("  <metadata>\n    <ml:node xmlns:ml='" ML_NS_URI "' profile='",
	      f);
	ESC(f, s->name);
	fputs("' owner='", f);
	ESC(f, lv->owner);
	fputs("' home='", f);
	ESC(f, lv->home);
	fprintf(f,
		"'/>\n  </metadata>\n"
		"  <memory unit='MiB'>%llu</memory>\n"
		"  <vcpu>%u</vcpu>\n"
		"  <os>\n    <type arch='x86_64' machine='pc'>hvm</type>\n",
		(unsigned long long)s->memory_mib, s->cpus);
	fputs("    <kernel>", f);
	ESC(f, st->kernel);
	fputs("</kernel>\n    <initrd>", f);
	ESC(f, st->initrd);
	fputs("</initrd>\n    <cmdline>", f);
	ESC(f, s->cmdline);
	fputs("</cmdline>\n  </os>\n  <features><acpi/><apic/></features>\n",
	      f);
	/* the CPU the accelerator probe booted the node's kernel with */
	if (kvm && s->cpu == ML_CPU_HOST_PASSTHROUGH)
		fputs("  <cpu mode='host-passthrough' check='none'/>\n", f);
	else if (kvm && s->cpu == ML_CPU_HOST_NO_ARCH_CAPS)
		fputs("  <cpu mode='host-passthrough' check='none'>"
		      "<feature policy='disable' name='arch-capabilities'/></cpu>\n",
		      f);
	else
		fputs("  <cpu mode='custom' match='exact'><model fallback='allow'>qemu64</model></cpu>\n",
		      f);
	fputs("  <clock offset='utc'/>\n"
	      "  <on_poweroff>destroy</on_poweroff>\n"
	      "  <on_reboot>restart</on_reboot>\n"
	      "  <on_crash>destroy</on_crash>\n"
	      "  <devices>\n",
	      f);
	cdrom(f, st->iso, "hda");
	cdrom(f, st->config_iso, "hdb");
	if (st->extra_iso)
		cdrom(f, st->extra_iso, "hdc");
	fputs("    <disk type='volume' device='disk'>\n"
	      "      <driver name='qemu' type='qcow2' discard='unmap'/>\n"
	      "      <source pool='",
	      f);
	ESC(f, pool);
	fputs("' volume='" DATA_VOLUME "'/>\n"
	      "      <target dev='vda' bus='virtio'/>\n    </disk>\n"
	      "    <serial type='file'>\n      <source path='",
	      f);
	ESC(f, s->serial_log);
	fputs("' append='on'/>\n      <target port='0'/>\n    </serial>\n"
	      "    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>\n"
	      "    <memballoon model='virtio'/>\n"
	      "  </devices>\n",
	      f);
	/* no <seclabel>: under system libvirt's DAC driver runs QEMU as its
	 * own user and chowns the files it opens (see the top) */
	fprintf(f,
		"  <qemu:commandline>\n"
		"    <qemu:arg value='-netdev'/>\n"
		"    <qemu:arg value='user,id=" NETDEV_ID ",restrict=%s,"
		"hostfwd=tcp:127.0.0.1:%d-:22,hostfwd=tcp:127.0.0.1:%d-:2376,"
		"hostfwd=tcp:127.0.0.1:%d-:8443'/>\n"
		"    <qemu:arg value='-device'/>\n"
		"    <qemu:arg value='virtio-net-pci,netdev=" NETDEV_ID
		",addr=0x9'/>\n"
		"  </qemu:commandline>\n</domain>\n",
		s->offline ? "on" : "off", s->ssh_port, s->docker_port,
		s->apiserver_port);
	fclose(f);
	return buf;
}

char *
ml_driver_libvirt_domain_xml(const char *home,
			     const struct ml_machine_spec *spec)
{
	ml_autofree char *owner = ml_driver_owner_key(home);
	struct lv lv = { .home = (char *)home, .owner = owner };
	struct staged st = {
		.kernel = spec->kernel,
		.initrd = spec->initrd,
		.iso = spec->iso,
		.config_iso = spec->config_iso,
		.extra_iso = spec->extra_iso,
	};

	return domain_xml(&lv, spec, &st, NULL);
}

/* --- storage --- */

/* The target path of pool, from its XML (caller frees), or NULL. */
static char *
pool_target(virStoragePoolPtr pool)
{
	char *xml = virStoragePoolGetXMLDesc(pool, 0);
	const char *t = xml ? strstr(xml, "<target>") : NULL;
	const char *a = t ? strstr(t, "<path>") : NULL;
	const char *b = a ? strstr(a, "</path>") : NULL;
	char *path = NULL;

	if (b)
		path = xml_unescape(a + 6, b);
	free(xml);
	return path;
}

/* Looks up the pool of our name; -EPERM when its target is not dir:
 * someone else's pool, whose volumes we must not touch. */
static int
lookup_pool(struct lv *lv, const char *name, const char *dir,
	    virStoragePoolPtr *ret)
{
	virStoragePoolPtr pool = virStoragePoolLookupByName(lv->conn, name);
	ml_autofree char *target = NULL;

	*ret = NULL;
	if (!pool)
		return 0;
	target = pool_target(pool);
	if (!target || strcmp(target, dir) != 0) {
		virStoragePoolFree(pool);
		return ml_err(
			-EPERM,
			"libvirt storage pool '%s' at '%s' holds '%s', not '%s': leaving it alone; remove it with 'virsh pool-undefine %s' if it is stale",
			name, lv->uri, target ? target : "?", dir, name);
	}
	*ret = pool;
	return 1;
}

static int
ensure_pool(struct lv *lv, const struct ml_machine_spec *s, const char *dir,
	    virStoragePoolPtr *ret)
{
	ml_autofree char *name = pool_name(lv, s->name);
	virStoragePoolPtr pool;
	int active, r;

	r = lookup_pool(lv, name, dir, &pool);
	if (r < 0)
		return r;
	if (!pool) {
		char *xml = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&xml, &len);

		fputs("<pool type='dir'><name>", f);
		ESC(f, name);
		fputs("</name><target><path>", f);
		ESC(f, dir);
		fputs("</path></target></pool>", f);
		fclose(f);
		pool = virStoragePoolDefineXML(lv->conn, xml, 0);
		free(xml);
		if (!pool)
			return lv_err(-EIO, "define storage pool", name);
	}
	active = virStoragePoolIsActive(pool);
	if (active == 0 && virStoragePoolCreate(pool, 0) < 0) {
		virStoragePoolFree(pool);
		return lv_err(-EIO, "start storage pool", name);
	}
	virStoragePoolRefresh(pool, 0);
	*ret = pool;
	return 0;
}

/* --- the files QEMU opens, under system --- */

/* Copies src to dst (mode 0600, src's mtime) unless always is false and
 * dst already has src's size and mtime. */
static int
copy_in(const char *src, const char *dst, bool always)
{
	struct ml_atomic_file af = { 0 };
	struct stat ss, ds;
	ml_autofree char *buf = NULL;
	int in, r;

	if (stat(src, &ss) < 0)
		return ml_err(-errno, "cannot read '%s': %s", src,
			      strerror(errno));
	if (!always && stat(dst, &ds) == 0 && ds.st_size == ss.st_size &&
	    ds.st_mtim.tv_sec == ss.st_mtim.tv_sec &&
	    ds.st_mtim.tv_nsec == ss.st_mtim.tv_nsec)
		return 0;
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return ml_err(-errno, "cannot read '%s': %s", src,
			      strerror(errno));
	r = ml_atomic_open(&af, dst, 0600);
	buf = ml_xmalloc(1 << 20);
	while (r >= 0) {
		ssize_t n = read(in, buf, 1 << 20), w = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = ml_err(-errno, "cannot read '%s': %s", src,
				   strerror(errno));
			break;
		}
		if (n == 0)
			break;
		while (w < n) {
			ssize_t k = write(af.fd, buf + w, (size_t)(n - w));

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				r = ml_err(-errno, "cannot write '%s': %s", dst,
					   strerror(errno));
				break;
			}
			w += k;
		}
	}
	close(in);
	if (r >= 0) {
		struct timespec t[2] = { ss.st_atim, ss.st_mtim };

		futimens(af.fd, t);
		r = ml_atomic_commit(&af);
	} else {
		ml_atomic_abort(&af);
	}
	return r;
}

/* Under system: copies what QEMU opens into dir and names the copies. */
static int
stage(struct lv *lv, const struct ml_machine_spec *s, const char *dir,
      struct staged *st, char *own[5])
{
	const char *src[5] = { s->kernel, s->initrd, s->iso, s->config_iso,
			       s->extra_iso };
	static const char *const dst[5] = { "vmlinuz", "initrd.img", "node.iso",
					    "config.iso", "extra.iso" };
	int r;

	*st = (struct staged){ s->kernel, s->initrd, s->iso, s->config_iso,
			       s->extra_iso };
	if (!lv->system)
		return 0;
	if ((mkdir(IMAGES_DIR, 0711) < 0 && errno != EEXIST) ||
	    (mkdir(dir, 0711) < 0 && errno != EEXIST))
		return ml_err(
			-errno,
			"cannot create the machine's directory '%s': %s: under %s run minilaunch as root, or pick --driver-uri qemu:///session",
			dir, strerror(errno), lv->uri);
	for (int i = 0; i < 5; i++) {
		if (!src[i])
			continue;
		own[i] = ml_xasprintf("%s/%s", dir, dst[i]);
		/* the images are large and change rarely; the rest is
		 * rewritten by every start */
		r = copy_in(src[i], own[i], i != 2 && i != 4);
		if (r < 0)
			return r;
	}
	*st = (struct staged){ own[0], own[1], own[2], own[3], own[4] };
	return 0;
}

static int
upload_magic(struct lv *lv, virStorageVolPtr vol)
{
	char block[65536] = DATA_MAGIC;
	virStreamPtr st = virStreamNew(lv->conn, 0);
	int r = -EIO;

	if (st && virStorageVolUpload(vol, st, 0, sizeof(block), 0) == 0 &&
	    virStreamSend(st, block, sizeof(block)) == (int)sizeof(block) &&
	    virStreamFinish(st) == 0)
		r = 0;
	else if (st)
		virStreamAbort(st);
	if (st)
		virStreamFree(st);
	return r;
}

/*
 * A new data disk: a small raw seed holding the magic, uploaded through a
 * stream (uploading into qcow2 would write the container, not the disk),
 * converted by libvirt into the qcow2 volume, resized, and dropped.
 */
static int
create_data_volume(struct lv *lv, virStoragePoolPtr pool,
		   const struct ml_machine_spec *s)
{
	virStorageVolPtr seed = NULL, vol = NULL;
	ml_autofree char *seed_xml =
		ml_xasprintf("<volume><name>" SEED_VOLUME
			     "</name><capacity unit='bytes'>65536</capacity>"
			     "<target><format type='raw'/></target></volume>");
	ml_autofree char *vol_xml = ml_xasprintf(
		"<volume><name>" DATA_VOLUME
		"</name><capacity unit='MiB'>%llu</capacity>"
		"<target><format type='qcow2'/><permissions><mode>0600</mode></permissions></target></volume>",
		(unsigned long long)s->disk_mib);
	int r = 0;

	seed = virStorageVolLookupByName(pool, SEED_VOLUME);
	if (seed) /* left by an interrupted start */
		virStorageVolDelete(seed, 0), virStorageVolFree(seed);
	seed = virStorageVolCreateXML(pool, seed_xml, 0);
	if (!seed)
		return lv_err(-EIO, "create volume", SEED_VOLUME);
	if (upload_magic(lv, seed) < 0) {
		r = lv_err(-EIO, "write the data disk's label into",
			   SEED_VOLUME);
		goto out;
	}
	vol = virStorageVolCreateXMLFrom(pool, vol_xml, seed, 0);
	if (!vol) {
		r = lv_err(-EIO, "create the data disk", DATA_VOLUME);
		goto out;
	}
	if (virStorageVolResize(vol, s->disk_mib * 1024 * 1024, 0) < 0) {
		r = lv_err(-EIO, "resize the data disk", DATA_VOLUME);
		virStorageVolDelete(vol, 0);
	}
out:
	if (vol)
		virStorageVolFree(vol);
	virStorageVolDelete(seed, 0);
	virStorageVolFree(seed);
	return r;
}

/* --- domains --- */

/* Looks the profile's domain up: 0 and *ret NULL when there is none, 1
 * when it is ours, -EPERM when a domain of that name was made by something
 * else or by another user or home. */
static int
lookup_ours(struct lv *lv, const char *profile, virDomainPtr *ret)
{
	ml_autofree char *name = dom_name(lv, profile);
	ml_autofree char *owner = NULL, *home = NULL;
	virDomainPtr dom = virDomainLookupByName(lv->conn, name);
	char *meta;

	*ret = NULL;
	if (!dom)
		return 0;
	meta = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, ML_NS_URI,
				    VIR_DOMAIN_AFFECT_CONFIG);
	if (!meta) {
		virDomainFree(dom);
		return ml_err(
			-EPERM,
			"libvirt domain '%s' at '%s' was not made by minilaunch: leaving it alone; rename or undefine it, or use another profile name",
			name, lv->uri);
	}
	owner = xml_attr(meta, "owner");
	home = xml_attr(meta, "home");
	free(meta);
	if (!owner || !home || strcmp(owner, lv->owner) != 0 ||
	    strcmp(home, lv->home) != 0) {
		virDomainFree(dom);
		return ml_err(
			-EPERM,
			"libvirt domain '%s' at '%s' belongs to minilaunch home '%s', not '%s': leaving it alone; use another profile name",
			name, lv->uri, home ? home : "?", lv->home);
	}
	*ret = dom;
	return 1;
}

/*
 * Before owner keys the domain was named PROFILE and the pool
 * minilaunch-PROFILE, on the profile's machine directory. When that pool
 * is this home's (its target is our machine directory) and the old domain
 * is ours and stopped, the old disk moves to dir (rename, else copy) unless
 * dir has one already (under session dir is the same directory), and the
 * old domain and pool are undefined: the cluster's data survives the
 * upgrade. Anything else is left alone.
 */
static void
adopt_old(struct lv *lv, const struct ml_machine_spec *s, const char *dir)
{
	ml_autofree char *old_pool = ml_xasprintf("minilaunch-%s", s->name);
	ml_autofree char *target = NULL, *from = NULL, *to = NULL;
	virStoragePoolPtr pool = virStoragePoolLookupByName(lv->conn, old_pool);
	virDomainPtr dom;
	char *meta = NULL;

	if (!pool)
		return;
	target = pool_target(pool);
	if (!target || strcmp(target, s->machine_dir) != 0)
		goto out;
	from = ml_xasprintf("%s/" DATA_VOLUME, s->machine_dir);
	to = ml_xasprintf("%s/" DATA_VOLUME, dir);
	dom = virDomainLookupByName(lv->conn, s->name);
	if (dom) {
		bool old;

		meta = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT,
					    ML_NS_URI,
					    VIR_DOMAIN_AFFECT_CONFIG);
		/* ours from before: our element without an owner, stopped */
		old = meta && !strstr(meta, "owner=") &&
		      virDomainIsActive(dom) == 0;
		if (old)
			virDomainUndefine(dom);
		free(meta);
		virDomainFree(dom);
		if (!old)
			goto out;
	}
	if (strcmp(from, to) != 0 && ml_path_exists(from) &&
	    !ml_path_exists(to)) {
		ml_log_info("moving the data disk of '%s' from '%s' to '%s'",
			    s->name, from, to);
		if (rename(from, to) < 0 &&
		    (copy_in(from, to, true) < 0 || unlink(from) < 0)) {
			ml_log_warn("cannot move '%s' to '%s': %s, ignoring",
				    from, to, ml_err_msg());
			ml_err_clear();
			goto out;
		}
	}
	if (virStoragePoolIsActive(pool) == 1)
		virStoragePoolDestroy(pool);
	virStoragePoolUndefine(pool);
out:
	virStoragePoolFree(pool);
}

static int
lv_define(void *priv, const struct ml_machine_spec *s, bool *ret_new_disk)
{
	struct lv *lv = priv;
	virStoragePoolPtr pool = NULL;
	virStorageVolPtr vol;
	virDomainPtr dom = NULL;
	ml_autofree char *xml = NULL, *name = dom_name(lv, s->name);
	ml_autofree char *dir = pool_dir(lv, s->name);
	char *own[5] = { NULL };
	struct staged st;
	int r;

	char uuid[VIR_UUID_STRING_BUFLEN];
	bool have_uuid = false;

	r = lookup_ours(lv, s->name, &dom);
	if (r < 0)
		return r;
	if (dom) {
		have_uuid = virDomainGetUUIDString(dom, uuid) == 0;
		virDomainFree(dom);
	}
	r = stage(lv, s, dir, &st, own);
	if (r < 0)
		goto out;
	adopt_old(lv, s, dir);
	r = ensure_pool(lv, s, dir, &pool);
	if (r < 0)
		goto out;
	*ret_new_disk = false;
	vol = virStorageVolLookupByName(pool, DATA_VOLUME);
	if (vol) {
		virStorageVolFree(vol);
	} else {
		r = create_data_volume(lv, pool, s);
		if (r < 0)
			goto out;
		*ret_new_disk = true;
	}
	xml = domain_xml(lv, s, &st, have_uuid ? uuid : NULL);
	ml_log_debug("domain XML:\n%s", xml);
	dom = virDomainDefineXML(lv->conn, xml);
	if (!dom) {
		r = lv_err(-EIO, "define domain", name);
		goto out;
	}
	virDomainFree(dom);
out:
	if (pool)
		virStoragePoolFree(pool);
	for (int i = 0; i < 5; i++)
		free(own[i]);
	return r;
}

static int
with_domain(struct lv *lv, const char *profile, virDomainPtr *ret)
{
	int r = lookup_ours(lv, profile, ret);

	if (r == 0)
		return ml_err(
			-ENOENT,
			"no machine for profile '%s' at '%s': run 'minilaunch -p %s start'",
			profile, lv->uri, profile);
	return r < 0 ? r : 0;
}

static int
lv_start(void *priv, const char *name)
{
	struct lv *lv = priv;
	virDomainPtr dom;
	int r = with_domain(lv, name, &dom);

	if (r < 0)
		return r;
	if (virDomainIsActive(dom) != 1 && virDomainCreate(dom) < 0)
		r = lv_err(-EIO, "start the machine of profile", name);
	virDomainFree(dom);
	return r;
}

static int
lv_kill(void *priv, const char *name)
{
	struct lv *lv = priv;
	virDomainPtr dom;
	int r = with_domain(lv, name, &dom);

	if (r < 0)
		return r;
	if (virDomainIsActive(dom) == 1 && virDomainDestroy(dom) < 0)
		r = lv_err(-EIO, "stop the machine of profile", name);
	virDomainFree(dom);
	return r;
}

static int
lv_shutdown(void *priv, const char *name)
{
	struct lv *lv = priv;
	virDomainPtr dom;
	int r = with_domain(lv, name, &dom);

	if (r < 0)
		return r;
	if (virDomainIsActive(dom) == 1 &&
	    virDomainShutdownFlags(dom, VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN) < 0)
		ml_log_debug("ACPI shutdown of '%s' refused: %s", name,
			     virGetLastErrorMessage());
	virDomainFree(dom);
	return 0;
}

static int
lv_active(void *priv, const char *name, bool *ret)
{
	struct lv *lv = priv;
	virDomainPtr dom;
	int r = with_domain(lv, name, &dom);

	if (r < 0)
		return r;
	*ret = virDomainIsActive(dom) == 1;
	virDomainFree(dom);
	return 0;
}

static int
lv_remove(void *priv, const char *name)
{
	struct lv *lv = priv;
	ml_autofree char *pname = pool_name(lv, name);
	ml_autofree char *dname = dom_name(lv, name);
	ml_autofree char *dir = pool_dir(lv, name);
	virStoragePoolPtr pool;
	virDomainPtr dom;
	int r = lookup_ours(lv, name, &dom);

	if (r < 0)
		return r;
	if (dom) {
		if (virDomainIsActive(dom) == 1 && virDomainDestroy(dom) < 0)
			r = lv_err(-EIO, "stop domain", dname);
		if (r >= 0 &&
		    virDomainUndefineFlags(
			    dom,
			    VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
				    VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
				    VIR_DOMAIN_UNDEFINE_NVRAM) < 0)
			r = lv_err(-EIO, "undefine domain", dname);
		virDomainFree(dom);
		if (r < 0)
			return r;
	}
	r = lookup_pool(lv, pname, dir, &pool);
	if (r <= 0)
		return r;
	if (virStoragePoolIsActive(pool) != 1)
		virStoragePoolCreate(pool, 0);
	if (virStoragePoolIsActive(pool) == 1) {
		virStorageVolPtr *vols = NULL;
		int n;

		virStoragePoolRefresh(pool, 0);
		n = virStoragePoolListAllVolumes(pool, &vols, 0);
		for (int i = 0; i < n; i++) {
			if (virStorageVolDelete(vols[i], 0) < 0 && r >= 0)
				r = lv_err(-EIO, "delete volume",
					   virStorageVolGetName(vols[i]));
			virStorageVolFree(vols[i]);
		}
		free(vols);
		if (virStoragePoolDestroy(pool) < 0 && r >= 0)
			r = lv_err(-EIO, "stop storage pool", pname);
	}
	/* the per-machine directory under IMAGES_DIR goes too */
	if (r >= 0 && lv->system &&
	    virStoragePoolDelete(pool, VIR_STORAGE_POOL_DELETE_NORMAL) < 0)
		r = lv_err(-EIO, "remove the directory of storage pool", pname);
	if (r >= 0 && virStoragePoolUndefine(pool) < 0)
		r = lv_err(-EIO, "undefine storage pool", pname);
	virStoragePoolFree(pool);
	return r;
}

static int
lv_state(void *priv, const char *name, enum ml_machine_state *ret)
{
	struct lv *lv = priv;
	virDomainPtr dom;
	int state = 0, reason = 0, r = lookup_ours(lv, name, &dom);

	if (r < 0)
		return r;
	if (!dom) {
		*ret = ML_MACHINE_NONE;
		return 0;
	}
	if (virDomainGetState(dom, &state, &reason, 0) < 0) {
		r = lv_err(-EIO, "read the state of domain", name);
		virDomainFree(dom);
		return r;
	}
	virDomainFree(dom);
	switch (state) {
	case VIR_DOMAIN_RUNNING:
	case VIR_DOMAIN_BLOCKED:
		*ret = ML_MACHINE_RUNNING;
		break;
	case VIR_DOMAIN_PAUSED:
	case VIR_DOMAIN_PMSUSPENDED:
		*ret = ML_MACHINE_PAUSED;
		break;
	case VIR_DOMAIN_CRASHED:
		*ret = ML_MACHINE_CRASHED;
		break;
	case VIR_DOMAIN_SHUTOFF:
		/* a qemu killed from outside leaves the domain shut off
		 * with reason "crashed" or "failed" */
		*ret = reason == VIR_DOMAIN_SHUTOFF_CRASHED ||
				       reason == VIR_DOMAIN_SHUTOFF_FAILED
			       ? ML_MACHINE_CRASHED
			       : ML_MACHINE_STOPPED;
		break;
	default:
		*ret = ML_MACHINE_STOPPED;
	}
	return 0;
}

char *
ml_driver_libvirt_hostfwd_cmd(int host_port, int guest_port)
{
	if (guest_port > 0)
		return ml_xasprintf("hostfwd_add " NETDEV_ID
				    " tcp:127.0.0.1:%d-:%d",
				    host_port, guest_port);
	return ml_xasprintf("hostfwd_remove " NETDEV_ID " tcp:127.0.0.1:%d",
			    host_port);
}

int
ml_driver_libvirt_read_hostfwd_remove(const char *name, int host_port,
				      const char *reply)
{
	/* QEMU answers "host forwarding rule for tcp:... removed" or "...
	 * not found"; anything else (a syntax error) is a failure */
	if (reply && (strstr(reply, " removed") || strstr(reply, " not found")))
		return 0;
	return ml_err(-EIO,
		      "QEMU did not remove forward 127.0.0.1:%d of '%s': %s",
		      host_port, name, reply && *reply ? reply : "no answer");
}

/* A hostfwd command on the domain's QEMU monitor; its reply in *ret
 * (free it). what: "add a port forward to", for the error. */
static int
hostfwd(struct lv *lv, const char *name, int host_port, int guest_port,
	const char *what, char **ret)
{
	ml_autofree char *cmd =
		ml_driver_libvirt_hostfwd_cmd(host_port, guest_port);
	virDomainPtr dom;
	int r = with_domain(lv, name, &dom);

	*ret = NULL;
	if (r < 0)
		return r;
	if (virDomainQemuMonitorCommand(dom, cmd, ret,
					VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP) <
	    0)
		r = lv_err(-EIO, what, name);
	virDomainFree(dom);
	return r;
}

static int
lv_unforward(void *priv, const char *name, int host_port)
{
	char *result;
	int r = hostfwd(priv, name, host_port, 0,
			"remove a port forward from", &result);

	if (r >= 0)
		r = ml_driver_libvirt_read_hostfwd_remove(name, host_port,
							  result);
	free(result);
	return r;
}

static int
lv_forward(void *priv, const char *name, int host_port, int guest_port)
{
	char *result;
	int r = hostfwd(priv, name, host_port, guest_port,
			"add a port forward to", &result);

	if (r >= 0 && result && result[strspn(result, " \r\n")])
		r = ml_err(-EIO,
			   "QEMU refused forward 127.0.0.1:%d to port %d of '%s': %s",
			   host_port, guest_port, name, result);
	free(result);
	return r;
}

const struct ml_driver_ops ml_driver_libvirt = {
	.name = "libvirt",
	.open = lv_open,
	.close = lv_close,
	.host = lv_host,
	.define = lv_define,
	.start = lv_start,
	.shutdown = lv_shutdown,
	.active = lv_active,
	.kill = lv_kill,
	.remove = lv_remove,
	.state = lv_state,
	.forward = lv_forward,
	.unforward = lv_unforward,
};
