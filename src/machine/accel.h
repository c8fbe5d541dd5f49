/*
 * machine/accel.h: which accelerator, and which virtual CPU, runs the node.
 *
 * /dev/kvm opening, or even a few real-mode instructions running to HLT,
 * proves nothing where nested virtualisation is broken: QEMU may abort on
 * an MSR (host-passthrough) or the guest kernel may hang right after its
 * real-mode setup. So the question asked is the one that matters: does the
 * node image's own kernel boot under KVM, in the qemu-system binary libvirt
 * runs, with the CPU model the domain will get? Each CPU model is tried in
 * turn (ml_accel_cpu_models order); the first that boots wins, and when
 * none does, TCG (QEMU's software emulation) runs the node.
 *
 * A verdict is kept per host in HOME/cache/accel/, one JSON file per key:
 * the kernel's sha256, the qemu binary and its version, the host's kernel
 * release and the CPU model. A new kernel, QEMU or host kernel asks again.
 */
#ifndef ML_ACCEL_H
#define ML_ACCEL_H

#include <stdbool.h>

enum ml_accel {
	ML_ACCEL_AUTO,
	ML_ACCEL_KVM,
	ML_ACCEL_TCG,
};

/* The virtual CPUs a KVM domain may get, best first. */
enum ml_cpu_model {
	ML_CPU_HOST_PASSTHROUGH,  /* the host's CPU as it is */
	ML_CPU_HOST_NO_ARCH_CAPS, /* the same without IA32_ARCH_CAPABILITIES
				   * (MSR 0x10a), which some nested hosts
				   * refuse to set */
	ML_CPU_QEMU64,		  /* QEMU's plain named model */
	ML_CPU_MODEL_COUNT,
};

/* "auto", "kvm" or "tcg"; -ML_EUSAGE otherwise. */
int ml_accel_parse(const char *s, enum ml_accel *ret);
const char *ml_accel_name(enum ml_accel a);

/* A model's name as printed and cached ("host-passthrough", ...), and
 * its -cpu argument for qemu ("host", "host,-arch-capabilities",
 * "qemu64"). Static strings. */
const char *ml_cpu_model_name(enum ml_cpu_model m);
const char *ml_cpu_model_qemu_arg(enum ml_cpu_model m);

/* The model named name (as ml_cpu_model_name gives); -EINVAL if none. */
int ml_cpu_model_parse(const char *name, enum ml_cpu_model *ret);

/* -ENODEV with the message for a forced KVM that cannot run the node:
 * "KVM cannot run the node here (reason): use --accel tcg ...". */
int ml_accel_err_unusable(const char *reason);

/*
 * Creates a VM with one vCPU in a child process of device (NULL:
 * /dev/kvm), runs "mov al,0x42; hlt" in real mode and waits at most
 * timeout_ms for the HLT exit. Returns 1 when KVM ran it, 0 when not
 * (*ret_reason says why; caller frees). A quick first filter: a pass here
 * says nothing about a real kernel.
 */
int ml_accel_probe_kvm(const char *device, int timeout_ms, char **ret_reason);

/*
 * Boots kernel (the node image's vmlinuz, no initrd) in emulator under
 * accel (KVM or TCG) with "-cpu cpu_arg" (NULL: qemu's default), with a
 * command line that prints on the serial port and panics for want of a
 * root filesystem, and qemu -no-reboot to end it there. Passes when the
 * kernel's banner and then its panic (or qemu's own exit after the banner)
 * come within timeout_ms. Returns 1 when it booted, 0 when it did not
 * (*ret_reason: qemu's error, or how far the kernel got; caller frees).
 * *ret_ms (may be NULL) is how long it took.
 */
int ml_accel_boot_probe(const char *emulator, const char *kernel,
			enum ml_accel accel, const char *cpu_arg,
			int timeout_ms, long *ret_ms, char **ret_reason);

/* What ml_accel_choose() needs to know; strings borrowed. */
struct ml_accel_host {
	const char *emulator;	  /* the qemu-system binary libvirt runs */
	const char *qemu_version; /* its version, for the cache key */
	const char *kernel;	  /* the node image's vmlinuz */
	const char *cache_dir;	  /* HOME/cache/accel, or NULL: no cache */
	const char *kvm_device;	  /* NULL: /dev/kvm */
	int timeout_ms;		  /* per boot probe; <= 0: the default */
	/* The probes; NULL: ml_accel_probe_kvm and ml_accel_boot_probe.
	 * The unit tests pass their own. */
	int (*device_probe)(const char *device, int timeout_ms,
			    char **ret_reason);
	int (*boot_probe)(const char *emulator, const char *kernel,
			  enum ml_accel accel, const char *cpu_arg,
			  int timeout_ms, long *ret_ms, char **ret_reason);
};

/* The verdict. */
struct ml_accel_choice {
	enum ml_accel accel;   /* KVM or TCG */
	enum ml_cpu_model cpu; /* with KVM: the model that booted */
	char *reason;	       /* why not KVM (or which models failed before
				* the chosen one), or NULL; owned */
	bool cached;	       /* every verdict used came from the cache */
	long probe_ms;	       /* time the probes took (the cached times
				* when cached) */
};

void ml_accel_choice_clear(struct ml_accel_choice *c);

/*
 * Resolves want: TCG is taken as it is. AUTO and KVM check the device
 * (ml_accel_probe_kvm), then boot-probe each CPU model in order (cached
 * verdicts first, new ones written to the cache) and take the first that
 * boots; AUTO falls back to TCG with ret->reason set, KVM fails with
 * -ENODEV and a message naming the finding. ret is cleared first.
 */
int ml_accel_choose(enum ml_accel want, const struct ml_accel_host *h,
		    struct ml_accel_choice *ret);

/*
 * Records that cpu did not run the node after all (a KVM domain that
 * failed to start or stayed silent), so that the next choose skips it.
 * Errors writing the cache are ignored: it is only a cache.
 */
void ml_accel_record_failure(const struct ml_accel_host *h,
			     enum ml_cpu_model cpu, const char *reason);

#endif
