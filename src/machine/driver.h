/*
 * machine/driver.h: the VM lifecycle, whatever runs the VM. driver_libvirt.c
 * implements it over libvirt's C API; no libvirt type appears here, so
 * that other drivers can follow. A NULL slot means "not supported by this
 * driver" and is reported as -ENOTSUP by the ml_driver_* wrappers.
 */
#ifndef ML_DRIVER_H
#define ML_DRIVER_H

#include "machine/accel.h"

#include <stdbool.h>
#include <stdint.h>

enum ml_machine_state {
	ML_MACHINE_NONE,    /* not defined */
	ML_MACHINE_STOPPED, /* defined, not running */
	ML_MACHINE_RUNNING,
	ML_MACHINE_PAUSED,
	ML_MACHINE_CRASHED,
};

/* Everything a driver needs to define one node. */
struct ml_machine_spec {
	const char *name;	 /* the profile name */
	const char *machine_dir; /* absolute: data disk, serial log */
	const char *kernel, *initrd, *cmdline;
	const char *iso;	/* the node image, attached read-only */
	const char *config_iso; /* the config drive, read-only */
	const char *extra_iso;	/* other Kubernetes binaries, or NULL */
	const char *serial_log;
	unsigned cpus;
	uint64_t memory_mib;
	uint64_t disk_mib;
	enum ml_accel accel;   /* KVM or TCG, resolved */
	enum ml_cpu_model cpu; /* with KVM: the virtual CPU */
	/* 127.0.0.1 ports forwarded to the guest's 22, 2376 and 8443 */
	int ssh_port, docker_port, apiserver_port;
	/* the guest reaches nothing but the forwards (network=offline); else
	 * it has outbound NAT and reaches the host's 127.0.0.1 at 10.0.2.2 */
	bool offline;
};

struct ml_driver;

/* What the hypervisor behind the driver runs; strings owned. */
struct ml_driver_host {
	char *emulator; /* the qemu-system binary for x86_64 guests */
	char *version;	/* the hypervisor's version, "7.2.0" */
};

struct ml_driver_ops {
	const char *name;
	/* home: the absolute minilaunch home; with the user id it keys the
	 * names of the hypervisor's objects (ml_driver_owner_key). */
	int (*open)(const char *uri, const char *home, void **ret_priv);
	void (*close)(void *priv);
	/* Asks the hypervisor what it runs. The first call on a host may be
	 * slow: libvirt probes QEMU's capabilities then. */
	int (*host)(void *priv, struct ml_driver_host *ret);
	/* Defines (or redefines) the machine and creates its storage when
	 * missing; *ret_new_disk tells whether the data disk was created.
	 * The driver may copy the files the hypervisor opens (kernel, initrd,
	 * images) where the hypervisor's user can read them. */
	int (*define)(void *priv, const struct ml_machine_spec *spec,
		      bool *ret_new_disk);
	int (*start)(void *priv, const char *name);
	/* Presses the ACPI power button of a running machine and returns at
	 * once; a guest may not listen (yet). The stop policy, which also
	 * forces it off (kill), is ml_machine_stop (machine/stop.h). */
	int (*shutdown)(void *priv, const char *name);
	/* Whether the hypervisor still runs the machine, also while it is
	 * shutting down. */
	int (*active)(void *priv, const char *name, bool *ret);
	int (*kill)(void *priv, const char *name);
	/* Removes the machine, its disks and storage; absent parts are fine.
	 * Objects of the expected name that are not this home's are left
	 * alone: -EPERM. */
	int (*remove)(void *priv, const char *name);
	int (*state)(void *priv, const char *name, enum ml_machine_state *ret);
	/* Adds a 127.0.0.1:host_port -> guest_port TCP forward to a running
	 * machine. */
	int (*forward)(void *priv, const char *name, int host_port,
		       int guest_port);
	/* Removes the TCP forward of 127.0.0.1:host_port from a running
	 * machine; a forward that is not there is not an error. */
	int (*unforward)(void *priv, const char *name, int host_port);
};

/*
 * Opens the driver for uri ("qemu:///system", "qemu:///session", ...) on
 * behalf of the minilaunch home home (made absolute here). Every other call
 * names the machine by its profile; the driver's objects carry the owner
 * key too, so that two users or two homes with the same profile name never
 * touch each other's machine. -errno with a message when the hypervisor
 * cannot be reached.
 */
int ml_driver_open(const char *uri, const char *home, struct ml_driver **ret);
struct ml_driver *ml_driver_close(struct ml_driver *d);

int ml_driver_host(struct ml_driver *d, struct ml_driver_host *ret);
void ml_driver_host_clear(struct ml_driver_host *h);

int ml_driver_define(struct ml_driver *d, const struct ml_machine_spec *spec,
		     bool *ret_new_disk);
int ml_driver_start(struct ml_driver *d, const char *name);
int ml_driver_shutdown(struct ml_driver *d, const char *name);
int ml_driver_active(struct ml_driver *d, const char *name, bool *ret);
int ml_driver_kill(struct ml_driver *d, const char *name);
int ml_driver_remove(struct ml_driver *d, const char *name);
int ml_driver_state(struct ml_driver *d, const char *name,
		    enum ml_machine_state *ret);
int ml_driver_forward(struct ml_driver *d, const char *name, int host_port,
		      int guest_port);
int ml_driver_unforward(struct ml_driver *d, const char *name, int host_port);

const char *ml_machine_state_name(enum ml_machine_state s);

/*
 * The owner key of a minilaunch home for the current user: 8 hex digits
 * hashing the user id and the absolute path of home. Not a secret and not
 * proof of ownership on its own: drivers also record the home itself and
 * compare both. Caller frees.
 */
char *ml_driver_owner_key(const char *home);

/*
 * For tests: the libvirt driver's domain XML for spec as a qemu:///session
 * define would write it (the files in place, no UUID), owned by home.
 * Caller frees.
 */
char *ml_driver_libvirt_domain_xml(const char *home,
				   const struct ml_machine_spec *spec);

/*
 * For tests: the QEMU monitor (HMP) command the libvirt driver sends to add
 * (guest_port > 0) or remove (guest_port 0) the forward of
 * 127.0.0.1:host_port, and how it reads the monitor's reply to a removal:
 * 0 when removed or not there, -EIO with the reply as message otherwise.
 * Caller frees the command.
 */
char *ml_driver_libvirt_hostfwd_cmd(int host_port, int guest_port);
int ml_driver_libvirt_read_hostfwd_remove(const char *name, int host_port,
					  const char *reply);

#endif
