/*
 * accel.h: which accelerator runs the VM. KVM only when a real probe runs a
 * guest instruction stream to HLT within a deadline: /dev/kvm opening (or
 * even KVM_CREATE_VM succeeding) proves nothing where nested
 * virtualisation hangs guests. Otherwise TCG, QEMU's software emulation.
 */
#ifndef ML_ACCEL_H
#define ML_ACCEL_H

enum ml_accel {
	ML_ACCEL_AUTO,
	ML_ACCEL_KVM,
	ML_ACCEL_TCG,
};

/* "auto", "kvm" or "tcg"; -ML_EUSAGE otherwise. */
int
ml_accel_parse(const char *s, enum ml_accel *ret);
const char *
ml_accel_name(enum ml_accel a);

/*
 * Creates a VM with one vCPU in a child process, runs "mov al,0x42; hlt"
 * in real mode and waits at most timeout_ms for the HLT exit. Returns 1
 * when KVM ran it, 0 when it did not (*ret_reason says why; caller frees),
 * never an error: every failure is a reason to use TCG.
 */
int
ml_accel_probe_kvm(int timeout_ms, char **ret_reason);

/*
 * Resolves want: AUTO probes and picks KVM or TCG (*ret_note, caller frees,
 * is a one-line notice when it falls back); KVM fails with -ENODEV naming
 * the reason when the probe fails; TCG is taken as it is.
 */
int
ml_accel_resolve(enum ml_accel want, enum ml_accel *ret, char **ret_note);

#endif
