/* accel.c: a real KVM probe, else TCG. */
#include "config.h"

#include "accel.h"

#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROBE_DEFAULT_MS 500

int
ml_accel_parse(const char *s, enum ml_accel *ret)
{
	if (strcmp(s, "auto") == 0)
		*ret = ML_ACCEL_AUTO;
	else if (strcmp(s, "kvm") == 0)
		*ret = ML_ACCEL_KVM;
	else if (strcmp(s, "tcg") == 0)
		*ret = ML_ACCEL_TCG;
	else
		return ml_err(-ML_EUSAGE, "invalid accelerator '%s': use auto, kvm or tcg",
			      s);
	return 0;
}

const char *
ml_accel_name(enum ml_accel a)
{
	return a == ML_ACCEL_KVM ? "kvm" : a == ML_ACCEL_TCG ? "tcg" : "auto";
}

/* Child side: one byte on fd, 'K' when the guest halted with al == 0x42,
 * else a letter naming the step that failed. */
static char
probe_child(void)
{
	static const uint8_t code[] = { 0xb0, 0x42, 0xf4 }; /* mov al,0x42; hlt */
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	int kvm, vm, vcpu, size;
	uint8_t *mem;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return 'o';
	if (ioctl(kvm, KVM_GET_API_VERSION, NULL) != 12)
		return 'a';
	vm = ioctl(kvm, KVM_CREATE_VM, 0UL);
	if (vm < 0)
		return 'v';
	mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 'm';
	memcpy(mem, code, sizeof(code));
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0x1000,
		.memory_size = 0x1000,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return 'r';
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0UL);
	if (vcpu < 0)
		return 'c';
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (size <= 0)
		return 's';
	run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu, 0);
	if (run == MAP_FAILED)
		return 'm';
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return 'g';
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return 'g';
	memset(&regs, 0, sizeof(regs));
	regs.rip = 0x1000;
	regs.rflags = 0x2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return 'g';
	if (ioctl(vcpu, KVM_RUN, NULL) < 0)
		return 'x';
	if (run->exit_reason != KVM_EXIT_HLT)
		return 'e';
	if (ioctl(vcpu, KVM_GET_REGS, &regs) < 0 || (regs.rax & 0xff) != 0x42)
		return 'e';
	return 'K';
}

static char *
reason_for(char c)
{
	switch (c) {
	case 'o':
		return ml_xasprintf("cannot open /dev/kvm: %s",
				    access("/dev/kvm", F_OK) ? "no such device"
							     : "permission denied or busy");
	case 'a':
		return ml_xstrdup("/dev/kvm speaks an unknown API version");
	case 'v':
		return ml_xstrdup("KVM_CREATE_VM failed");
	case 'c':
		return ml_xstrdup("KVM_CREATE_VCPU failed");
	case 'x':
		return ml_xstrdup("KVM_RUN failed");
	case 'e':
		return ml_xstrdup("the probe guest did not halt as expected");
	default:
		return ml_xasprintf("the probe failed setting up a VM (step '%c')", c);
	}
}

int
ml_accel_probe_kvm(int timeout_ms, char **ret_reason)
{
	struct pollfd pfd;
	int fds[2], status;
	char c = 0;
	pid_t pid;

	if (timeout_ms <= 0)
		timeout_ms = PROBE_DEFAULT_MS;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		*ret_reason = ml_xasprintf("cannot create a pipe: %s", strerror(errno));
		return 0;
	}
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		*ret_reason = ml_xasprintf("cannot fork: %s", strerror(errno));
		return 0;
	}
	if (pid == 0) {
		char r;
		close(fds[0]);
		r = probe_child();
		if (write(fds[1], &r, 1) != 1)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	pfd = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	if (poll(&pfd, 1, timeout_ms) == 1 && read(fds[0], &c, 1) == 1) {
		close(fds[0]);
		waitpid(pid, &status, 0);
		if (c == 'K') {
			ml_log_debug("KVM ran the probe guest to HLT");
			return 1;
		}
		*ret_reason = reason_for(c);
		return 0;
	}
	/* A guest that never halts: the vCPU may sit in the kernel; kill the
	 * child and reap it if it goes, without waiting on it forever. */
	close(fds[0]);
	kill(pid, SIGKILL);
	for (int i = 0; i < 20 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(10000);
	*ret_reason = ml_xasprintf("a KVM guest did not reach HLT within %d ms (nested virtualisation that hangs guests)",
				   timeout_ms);
	return 0;
}

int
ml_accel_resolve(enum ml_accel want, enum ml_accel *ret, char **ret_note)
{
	ml_autofree char *reason = NULL;

	*ret_note = NULL;
	if (want == ML_ACCEL_TCG) {
		*ret = ML_ACCEL_TCG;
		return 0;
	}
	if (ml_accel_probe_kvm(PROBE_DEFAULT_MS, &reason)) {
		*ret = ML_ACCEL_KVM;
		return 0;
	}
	if (want == ML_ACCEL_KVM)
		return ml_err(-ENODEV, "KVM cannot run guests here (%s): use --accel tcg or --accel auto",
			      reason);
	*ret = ML_ACCEL_TCG;
	*ret_note = ml_xasprintf("KVM unusable (%s): using TCG software emulation, which is much slower",
				 reason);
	return 0;
}
