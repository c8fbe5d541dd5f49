/*
 * machine/driver_libvirt.c: the machine lifecycle through libvirt's C API.
 *
 * One node per profile: a domain named after the profile (marked with our
 * metadata element, and never touched when the mark is missing), a dir
 * storage pool "minilaunch-NAME" on the profile's machine directory, and
 * in it the qcow2 data disk.
 *
 * Networking is QEMU user-mode networking with host forwards bound to
 * 127.0.0.1. libvirt 9.0 has no <portForward> for plain user networking
 * (only for the passt backend, which it rejects here), so the netdev is
 * passed through the qemu:commandline namespace, with an explicit PCI slot
 * so it cannot clash with the devices libvirt places. restrict=on keeps the
 * guest from reaching anything but the forwards: nothing leaves the host.
 * Forwards for NodePorts are added later through the QEMU monitor.
 */
#include "config.h"

#include "machine/driver.h"

#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ML_NS_URI "http://minilaunch.invalid/schemas/node/1"
#define NETDEV_ID "mlnet0"
#define DATA_VOLUME "data.qcow2"
#define SEED_VOLUME "data-seed.raw"
/* The data disk's first 16 bytes tell the guest it may format it. */
#define DATA_MAGIC "MLDATA-FORMAT-ME"

struct lv {
	virConnectPtr conn;
	char *uri;
	bool system;
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
lv_open(const char *uri, void **ret_priv)
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
	*ret_priv = lv;
	return 0;
}

static void
lv_close(void *priv)
{
	struct lv *lv = priv;

	virConnectClose(lv->conn);
	free(lv->uri);
	free(lv);
}

static char *
pool_name(const char *name)
{
	return ml_xasprintf("minilaunch-%s", name);
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
static char *
domain_xml(const struct lv *lv, const struct ml_machine_spec *s,
	   const char *uuid)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	bool kvm = s->accel == ML_ACCEL_KVM;
	ml_autofree char *pool = pool_name(s->name);

	fprintf(f,
		"<domain type='%s' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n",
		kvm ? "kvm" : "qemu");
	fputs("  <name>", f);
	ESC(f, s->name);
	fputs("</name>\n", f);
	if (uuid)
		fprintf(f, "  <uuid>%s</uuid>\n", uuid);
	fputs("  <metadata>\n    <ml:node xmlns:ml='" ML_NS_URI "' profile='",
	      f);
	ESC(f, s->name);
	fprintf(f,
		"'/>\n  </metadata>\n"
		"  <memory unit='MiB'>%llu</memory>\n"
		"  <vcpu>%u</vcpu>\n"
		"  <os>\n    <type arch='x86_64' machine='pc'>hvm</type>\n",
		(unsigned long long)s->memory_mib, s->cpus);
	fputs("    <kernel>", f);
	ESC(f, s->kernel);
	fputs("</kernel>\n    <initrd>", f);
	ESC(f, s->initrd);
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
	cdrom(f, s->iso, "hda");
	cdrom(f, s->config_iso, "hdb");
	if (s->extra_iso)
		cdrom(f, s->extra_iso, "hdc");
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
	if (lv->system)
		/* qemu runs as the user who owns the profile: under the
		 * libvirt-qemu user it could not reach a home directory. */
		fprintf(f,
			"  <seclabel type='static' model='dac' relabel='no'><label>+%u:+%u</label></seclabel>\n",
			(unsigned)getuid(), (unsigned)getgid());
	fprintf(f,
		"  <qemu:commandline>\n"
		"    <qemu:arg value='-netdev'/>\n"
		"    <qemu:arg value='user,id=" NETDEV_ID ",restrict=on,"
		"hostfwd=tcp:127.0.0.1:%d-:22,hostfwd=tcp:127.0.0.1:%d-:2376,"
		"hostfwd=tcp:127.0.0.1:%d-:8443'/>\n"
		"    <qemu:arg value='-device'/>\n"
		"    <qemu:arg value='virtio-net-pci,netdev=" NETDEV_ID
		",addr=0x9'/>\n"
		"  </qemu:commandline>\n</domain>\n",
		s->ssh_port, s->docker_port, s->apiserver_port);
	fclose(f);
	return buf;
}

/* --- storage --- */

static int
ensure_pool(struct lv *lv, const struct ml_machine_spec *s,
	    virStoragePoolPtr *ret)
{
	ml_autofree char *name = pool_name(s->name);
	virStoragePoolPtr pool = virStoragePoolLookupByName(lv->conn, name);
	int active;

	if (!pool) {
		char *xml = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&xml, &len);

		fputs("<pool type='dir'><name>", f);
		ESC(f, name);
		fputs("</name><target><path>", f);
		ESC(f, s->machine_dir);
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

/* Looks the domain up; -EPERM when it exists but is not ours. */
static int
lookup_ours(struct lv *lv, const char *name, virDomainPtr *ret)
{
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
			"libvirt domain '%s' at '%s' was not made by minilaunch: leaving it alone; use another profile name",
			name, lv->uri);
	}
	free(meta);
	*ret = dom;
	return 1;
}

static int
lv_define(void *priv, const struct ml_machine_spec *s, bool *ret_new_disk)
{
	struct lv *lv = priv;
	virStoragePoolPtr pool = NULL;
	virStorageVolPtr vol;
	virDomainPtr dom = NULL;
	ml_autofree char *xml = NULL;
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
	r = ensure_pool(lv, s, &pool);
	if (r < 0)
		return r;
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
	xml = domain_xml(lv, s, have_uuid ? uuid : NULL);
	ml_log_debug("domain XML:\n%s", xml);
	dom = virDomainDefineXML(lv->conn, xml);
	if (!dom) {
		r = lv_err(-EIO, "define domain", s->name);
		goto out;
	}
	virDomainFree(dom);
out:
	virStoragePoolFree(pool);
	return r;
}

static int
with_domain(struct lv *lv, const char *name, virDomainPtr *ret)
{
	int r = lookup_ours(lv, name, ret);

	if (r == 0)
		return ml_err(
			-ENOENT,
			"no machine for profile '%s' at '%s': run 'minilaunch -p %s start'",
			name, lv->uri, name);
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
		r = lv_err(-EIO, "start domain", name);
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
		r = lv_err(-EIO, "stop domain", name);
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
	ml_autofree char *pname = pool_name(name);
	virStoragePoolPtr pool;
	virDomainPtr dom;
	int r = lookup_ours(lv, name, &dom);

	if (r < 0)
		return r;
	if (dom) {
		if (virDomainIsActive(dom) == 1 && virDomainDestroy(dom) < 0)
			r = lv_err(-EIO, "stop domain", name);
		if (r >= 0 &&
		    virDomainUndefineFlags(
			    dom,
			    VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
				    VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
				    VIR_DOMAIN_UNDEFINE_NVRAM) < 0)
			r = lv_err(-EIO, "undefine domain", name);
		virDomainFree(dom);
		if (r < 0)
			return r;
	}
	pool = virStoragePoolLookupByName(lv->conn, pname);
	if (!pool)
		return 0;
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

static int
lv_forward(void *priv, const char *name, int host_port, int guest_port)
{
	struct lv *lv = priv;
	ml_autofree char *cmd = ml_xasprintf("hostfwd_add " NETDEV_ID
					     " tcp:127.0.0.1:%d-:%d",
					     host_port, guest_port);
	char *result = NULL;
	virDomainPtr dom;
	int r = with_domain(lv, name, &dom);

	if (r < 0)
		return r;
	if (virDomainQemuMonitorCommand(dom, cmd, &result,
					VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP) <
	    0)
		r = lv_err(-EIO, "add a port forward to", name);
	else if (result && result[strspn(result, " \r\n")])
		r = ml_err(-EIO,
			   "QEMU refused forward 127.0.0.1:%d to port %d of '%s': %s",
			   host_port, guest_port, name, result);
	free(result);
	virDomainFree(dom);
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
};
