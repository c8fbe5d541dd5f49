/* machine/accel.c: KVM only where the node's own kernel boots under it, else
 * TCG. */
#include "config.h"

#include "machine/accel.h"

#include "base/download.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/kvm.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KVM_DEVICE "/dev/kvm"
#define DEVICE_PROBE_MS 500
/* A kernel that works under KVM prints its banner within a second and
 * panics for want of a root filesystem a second or two later. */
#define BOOT_PROBE_MS 10000
/* What the probe keeps of qemu's output: the tail is what explains. */
#define OUTPUT_MAX 65536
/* Bump when the probe's meaning changes, so old verdicts are not read. */
#define CACHE_RECIPE "1"

static const struct {
	const char *name, *qemu_arg;
} cpu_models[ML_CPU_MODEL_COUNT] = {
	[ML_CPU_HOST_PASSTHROUGH] = { "host-passthrough", "host" },
	[ML_CPU_HOST_NO_ARCH_CAPS] = { "host-passthrough-no-arch-capabilities",
				       "host,-arch-capabilities" },
	[ML_CPU_QEMU64] = { "qemu64", "qemu64" },
};

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
		return ml_err(-ML_EUSAGE,
			      "invalid accelerator '%s': use auto, kvm or tcg",
			      s);
	return 0;
}

const char *
ml_accel_name(enum ml_accel a)
{
	return a == ML_ACCEL_KVM ? "kvm" : a == ML_ACCEL_TCG ? "tcg" : "auto";
}

const char *
ml_cpu_model_name(enum ml_cpu_model m)
{
	return m < ML_CPU_MODEL_COUNT ? cpu_models[m].name : "unknown";
}

const char *
ml_cpu_model_qemu_arg(enum ml_cpu_model m)
{
	return m < ML_CPU_MODEL_COUNT ? cpu_models[m].qemu_arg : NULL;
}

int
ml_cpu_model_parse(const char *name, enum ml_cpu_model *ret)
{
	for (int m = 0; m < ML_CPU_MODEL_COUNT; m++) {
		if (strcmp(name, cpu_models[m].name) == 0) {
			*ret = m;
			return 0;
		}
	}
	return -EINVAL;
}

int
ml_accel_err_unusable(const char *reason)
{
	return ml_err(
		-ENODEV,
		"KVM cannot run the node here (%s): use --accel tcg or --accel auto",
		reason);
}

/* --- the device: a guest of three bytes --- */

/* Child side: one byte on fd, 'K' when the guest halted with al == 0x42,
 * else a letter naming the step that failed. */
static char
probe_child(const char *device)
{
	static const uint8_t code[] = { 0xb0, 0x42, 0xf4 }; /* mov al,0x42; hlt
							     */
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	int kvm, vm, vcpu, size;
	uint8_t *mem;

	kvm = open(device, O_RDWR | O_CLOEXEC);
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
	run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu,
		   0);
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
reason_for(const char *device, char c)
{
	switch (c) {
	case 'o':
		return ml_xasprintf("cannot open %s: %s", device,
				    access(device, F_OK)
					    ? "no such device"
					    : "permission denied or busy");
	case 'a':
		return ml_xasprintf("%s speaks an unknown API version", device);
	case 'v':
		return ml_xstrdup("KVM_CREATE_VM failed");
	case 'c':
		return ml_xstrdup("KVM_CREATE_VCPU failed");
	case 'x':
		return ml_xstrdup("KVM_RUN failed");
	case 'e':
		return ml_xstrdup("the probe guest did not halt as expected");
	default:
		return ml_xasprintf("the probe failed setting up a VM (step '%c')",
				    c);
	}
}

int
ml_accel_probe_kvm(const char *device, int timeout_ms, char **ret_reason)
{
	struct pollfd pfd;
	int fds[2], status;
	char c = 0;
	pid_t pid;

	if (!device)
		device = KVM_DEVICE;
	if (timeout_ms <= 0)
		timeout_ms = DEVICE_PROBE_MS;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		*ret_reason = ml_xasprintf("cannot create a pipe: %s",
					   strerror(errno));
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
		r = probe_child(device);
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
		*ret_reason = reason_for(device, c);
		return 0;
	}
	/* A guest that never halts: the vCPU may sit in the kernel; kill the
	 * child and reap it if it goes, without waiting on it forever. */
	close(fds[0]);
	kill(pid, SIGKILL);
	for (int i = 0; i < 20 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(10000);
	*ret_reason = ml_xasprintf(
		"a KVM guest did not reach HLT within %d ms (nested virtualisation that hangs guests)",
		timeout_ms);
	return 0;
}

/* --- the node's kernel, booted to its panic --- */

/* The last non-empty line of text (no newline, no CR), or "". */
static char *
last_line(const char *text)
{
	const char *end = text + strlen(text), *start;

	while (end > text &&
	       (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	start = end;
	while (start > text && start[-1] != '\n')
		start--;
	while (start < end && *start == '\r')
		start++;
	return ml_xstrndup(start, (size_t)(end - start));
}

/* qemu's own complaint ("qemu-system-x86_64: ..."), else the last line. */
static char *
explain(const char *out)
{
	const char *p = out;

	while ((p = strstr(p, "qemu-system")) != NULL) {
		if (p == out || p[-1] == '\n') {
			size_t n = strcspn(p, "\r\n");
			return ml_xstrndup(p, n);
		}
		p++;
	}
	return last_line(out);
}

static pid_t
spawn_qemu(char *const argv[], int *ret_fd)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(fds[0]);
		close(fds[1]);
		return -e;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null >= 0)
			dup2(null, 0);
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		setpgid(0, 0);
		execv(argv[0], argv);
		dprintf(2, "qemu-system: cannot run '%s': %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	*ret_fd = fds[0];
	return pid;
}

/*
 * The probe's qemu command line in argv (room for 32): the node's kernel
 * with no initrd and a root that is not there, so that it boots all the
 * way to mounting its root, then panics, and -no-reboot ends qemu.
 */
static void
probe_argv(char **argv, const char *emulator, const char *kernel,
	   enum ml_accel accel, const char *cpu_arg)
{
	/* two vCPUs as the node has: bringing up a second one is where some
	 * nested hosts hang */
	static const char *const fixed[] = {
		"-smp",
		"2",
		"-m",
		"256",
		"-nodefaults",
		"-no-user-config",
		"-display",
		"none",
		"-monitor",
		"none",
		"-serial",
		"stdio",
		"-no-reboot",
		"-append",
		"console=ttyS0,115200 earlyprintk=serial,ttyS0,115200 "
		"loglevel=5 panic=-1 root=/dev/minilaunch-probe-none",
	};
	int n = 0;

	argv[n++] = (char *)emulator;
	argv[n++] = "-accel";
	argv[n++] = accel == ML_ACCEL_KVM ? "kvm" : "tcg";
	argv[n++] = "-machine";
	argv[n++] = "pc";
	if (cpu_arg) {
		argv[n++] = "-cpu";
		argv[n++] = (char *)cpu_arg;
	}
	argv[n++] = "-kernel";
	argv[n++] = (char *)kernel;
	for (size_t i = 0; i < ML_ARRAY_SIZE(fixed); i++)
		argv[n++] = (char *)fixed[i];
	argv[n] = NULL;
}

int
ml_accel_boot_probe(const char *emulator, const char *kernel,
		    enum ml_accel accel, const char *cpu_arg, int timeout_ms,
		    long *ret_ms, char **ret_reason)
{
	char *argv[32];
	char *out = ml_xmalloc(OUTPUT_MAX + 1);
	size_t len = 0;
	long t0 = ml_now_ms(), left;
	bool banner = false, panic = false, exited = false;
	int fd = -1, status = 0, ok = 0;
	pid_t pid;

	if (timeout_ms <= 0)
		timeout_ms = BOOT_PROBE_MS;
	probe_argv(argv, emulator, kernel, accel, cpu_arg);

	pid = spawn_qemu(argv, &fd);
	if (pid < 0) {
		*ret_reason = ml_xasprintf("cannot run '%s': %s", emulator,
					   strerror((int)-pid));
		free(out);
		return 0;
	}
	while (!panic && (left = timeout_ms - (ml_now_ms() - t0)) > 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		if (len == OUTPUT_MAX) { /* keep the tail */
			memmove(out, out + OUTPUT_MAX / 2, OUTPUT_MAX / 2);
			len = OUTPUT_MAX / 2;
		}
		r = read(fd, out + len, OUTPUT_MAX - len);
		if (r <= 0) {
			exited = true;
			break;
		}
		len += (size_t)r;
		out[len] = '\0';
		banner = banner || strstr(out, "Linux version");
		panic = banner && strstr(out, "Kernel panic");
	}
	out[len] = '\0';
	if (!exited || panic)
		kill(-pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(fd);
	if (ret_ms)
		*ret_ms = ml_now_ms() - t0;
	if (panic || (banner && exited && WIFEXITED(status) &&
		      WEXITSTATUS(status) == 0)) {
		ok = 1;
	} else if (exited) {
		ml_autofree char *why = explain(out);
		*ret_reason = ml_xasprintf("qemu exited (%s%d)%s%s",
					   WIFSIGNALED(status) ? "signal "
							       : "status ",
					   WIFSIGNALED(status)
						   ? WTERMSIG(status)
						   : WEXITSTATUS(status),
					   *why ? ": " : "", why);
	} else if (!banner) {
		ml_autofree char *why = last_line(out);
		*ret_reason =
			ml_xasprintf("the kernel printed nothing within %d ms%s%s%s",
				     timeout_ms, *why ? " (last output: '" : "",
				     why, *why ? "')" : "");
	} else {
		ml_autofree char *why = last_line(out);
		*ret_reason = ml_xasprintf(
			"the kernel started but did not finish booting within %d ms (last output: '%s')",
			timeout_ms, why);
	}
	free(out);
	return ok;
}

/* --- verdicts kept per host --- */

struct verdict {
	bool ok;
	long ms;
	char *reason;
};

static void
sha256_hex(const char *s, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < mdlen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

/* What the verdicts of this host depend on, but for the CPU model. */
static char *
host_key(const struct ml_accel_host *h)
{
	char ksum[65] = "";
	struct utsname u;

	if (ml_download_sha256_file(h->kernel, ksum) < 0)
		ml_err_clear(); /* the probe itself will say */
	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	return ml_xasprintf("recipe=" CACHE_RECIPE
			    "\nkernel=%s\nemulator=%s\nqemu=%s\nhost=%s %s\n",
			    ksum, h->emulator,
			    h->qemu_version ? h->qemu_version : "", u.release,
			    u.machine);
}

static char *
cache_path(const struct ml_accel_host *h, const char *hkey, enum ml_cpu_model m)
{
	ml_autofree char *full =
		ml_xasprintf("%scpu=%s\n", hkey, ml_cpu_model_name(m));
	char sum[65];

	sha256_hex(full, sum);
	sum[16] = '\0';
	return ml_xasprintf("%s/kvm-%s.json", h->cache_dir, sum);
}

static bool
cache_read(const struct ml_accel_host *h, const char *hkey, enum ml_cpu_model m,
	   struct verdict *ret)
{
	ml_autofree char *path = NULL;
	struct json_object *root, *ok, *ms, *reason;

	if (!h->cache_dir)
		return false;
	path = cache_path(h, hkey, m);
	if (!ml_path_exists(path))
		return false;
	root = json_object_from_file(path);
	if (!root || !json_object_object_get_ex(root, "ok", &ok) ||
	    !json_object_is_type(ok, json_type_boolean)) {
		ml_log_debug("ignoring the unreadable verdict '%s'", path);
		json_object_put(root);
		return false;
	}
	ret->ok = json_object_get_boolean(ok);
	ret->ms = json_object_object_get_ex(root, "probe_ms", &ms)
			  ? json_object_get_int64(ms)
			  : 0;
	ret->reason =
		json_object_object_get_ex(root, "reason", &reason) &&
				json_object_is_type(reason, json_type_string)
			? ml_xstrdup(json_object_get_string(reason))
			: NULL;
	json_object_put(root);
	return true;
}

static void
cache_write(const struct ml_accel_host *h, const char *hkey,
	    enum ml_cpu_model m, const struct verdict *v)
{
	ml_autofree char *path = NULL;
	struct json_object *root;
	const char *text;
	int r;

	if (!h->cache_dir)
		return;
	if (ml_mkdir_p(h->cache_dir, 0700) < 0) {
		ml_log_debug("cannot keep the KVM verdict: %s", ml_err_msg());
		return;
	}
	path = cache_path(h, hkey, m);
	root = json_object_new_object();
	json_object_object_add(root, "cpu",
			       json_object_new_string(ml_cpu_model_name(m)));
	json_object_object_add(root, "ok", json_object_new_boolean(v->ok));
	json_object_object_add(root, "probe_ms", json_object_new_int64(v->ms));
	if (v->reason)
		json_object_object_add(root, "reason",
				       json_object_new_string(v->reason));
	json_object_object_add(root, "key", json_object_new_string(hkey));
	json_object_object_add(root, "time",
			       json_object_new_int64((int64_t)time(NULL)));
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY);
	r = ml_write_file_atomic(path, text, strlen(text), 0644);
	if (r < 0)
		ml_log_debug("cannot keep the KVM verdict: %s", ml_err_msg());
	json_object_put(root);
}

void
ml_accel_choice_clear(struct ml_accel_choice *c)
{
	free(c->reason);
	*c = (struct ml_accel_choice){ .accel = ML_ACCEL_TCG };
}

static int
fall_back(enum ml_accel want, struct ml_accel_choice *ret, char *reason)
{
	if (want == ML_ACCEL_KVM) {
		int r = ml_accel_err_unusable(reason);
		free(reason);
		return r;
	}
	ret->accel = ML_ACCEL_TCG;
	ret->reason = reason;
	return 0;
}

int
ml_accel_choose(enum ml_accel want, const struct ml_accel_host *h,
		struct ml_accel_choice *ret)
{
	ml_autofree char *hkey = NULL;
	char *reason = NULL, *failed = NULL;
	bool all_cached = true;

	*ret = (struct ml_accel_choice){ .accel = ML_ACCEL_TCG };
	if (want == ML_ACCEL_TCG)
		return 0;
	if (!(h->device_probe ? h->device_probe
			      : ml_accel_probe_kvm)(h->kvm_device,
						    DEVICE_PROBE_MS, &reason))
		return fall_back(want, ret, reason);

	hkey = host_key(h);
	for (int m = 0; m < ML_CPU_MODEL_COUNT; m++) {
		struct verdict v = { 0 };
		char *tmp;

		if (cache_read(h, hkey, m, &v)) {
			ml_log_debug("cached verdict for %s: %s",
				     ml_cpu_model_name(m),
				     v.ok	? "boots"
				     : v.reason ? v.reason
						: "fails");
		} else {
			int (*probe)(const char *, const char *, enum ml_accel,
				     const char *, int, long *, char **) =
				h->boot_probe ? h->boot_probe
					      : ml_accel_boot_probe;

			all_cached = false;
			v.ok = probe(h->emulator, h->kernel, ML_ACCEL_KVM,
				     ml_cpu_model_qemu_arg(m), h->timeout_ms,
				     &v.ms, &v.reason) == 1;
			ml_log_debug("probed %s under KVM in %ld ms: %s",
				     ml_cpu_model_name(m), v.ms,
				     v.ok	? "boots"
				     : v.reason ? v.reason
						: "fails");
			cache_write(h, hkey, m, &v);
		}
		ret->probe_ms += v.ms;
		if (v.ok) {
			free(v.reason);
			ret->accel = ML_ACCEL_KVM;
			ret->cpu = m;
			ret->reason = failed;
			ret->cached = all_cached;
			return 0;
		}
		tmp = ml_xasprintf("%s%s%s: %s", failed ? failed : "",
				   failed ? "; " : "", ml_cpu_model_name(m),
				   v.reason ? v.reason : "did not boot");
		free(failed);
		free(v.reason);
		failed = tmp;
	}
	reason = ml_xasprintf(
		"the node's kernel does not boot under KVM with any CPU model: %s",
		failed);
	free(failed);
	ret->cached = all_cached;
	return fall_back(want, ret, reason);
}

void
ml_accel_record_failure(const struct ml_accel_host *h, enum ml_cpu_model cpu,
			const char *reason)
{
	ml_autofree char *hkey = host_key(h);
	struct verdict v = { .ok = false, .reason = (char *)reason };

	cache_write(h, hkey, cpu, &v);
}
