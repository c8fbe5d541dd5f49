/*
 * test_accel.c: the accelerator's choice and its verdict cache, with the
 * probes replaced by scripted ones (the real probes boot a real kernel
 * and are tested in tests/iso/test_accel_probe.sh), and the device probe
 * as it is on this host.
 */
#include "config.h"

#include "machine/accel.h"
#include "base/util.h"
#include "check_run.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char tmp[256];
static char cache[300], kernel[300];

/* The scripted host: whether the device works, and each model's fate. */
static bool device_ok;
static bool boots[ML_CPU_MODEL_COUNT];
static int device_calls, boot_calls[ML_CPU_MODEL_COUNT];

static int
fake_device(const char *device, int timeout_ms, char **ret_reason)
{
	device_calls++;
	if (!device_ok)
		*ret_reason =
			ml_xstrdup("cannot open /dev/kvm: no such device");
	return device_ok;
}

static int
fake_boot(const char *emulator, const char *kernel_path, enum ml_accel accel,
	  const char *cpu_arg, int timeout_ms, long *ret_ms, char **ret_reason)
{
	ck_assert_int_eq(accel, ML_ACCEL_KVM);
	for (int m = 0; m < ML_CPU_MODEL_COUNT; m++) {
		if (strcmp(cpu_arg, ml_cpu_model_qemu_arg(m)) != 0)
			continue;
		boot_calls[m]++;
		*ret_ms = 100 + m;
		if (!boots[m])
			*ret_reason = ml_xasprintf("hang with %s", cpu_arg);
		return boots[m];
	}
	ck_abort_msg("unknown -cpu '%s'", cpu_arg);
	return 0;
}

static struct ml_accel_host host;

static void
reset_calls(void)
{
	device_calls = 0;
	memset(boot_calls, 0, sizeof(boot_calls));
}

static int
total_boot_calls(void)
{
	int n = 0;

	for (int m = 0; m < ML_CPU_MODEL_COUNT; m++)
		n += boot_calls[m];
	return n;
}

static int
cache_files(void)
{
	DIR *d = opendir(cache);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void
write_kernel(const char *content)
{
	ck_assert_int_eq(ml_write_file_atomic(kernel, content, strlen(content),
					      0644),
			 0);
}

static void
setup(void)
{
	strcpy(tmp, "/tmp/ml-test-accel.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(cache, sizeof(cache), "%s/cache/accel", tmp);
	snprintf(kernel, sizeof(kernel), "%s/vmlinuz", tmp);
	write_kernel("not really a kernel, version 1");
	host = (struct ml_accel_host){
		.emulator = "/usr/bin/qemu-system-x86_64",
		.qemu_version = "7.2.0",
		.kernel = kernel,
		.cache_dir = cache,
		.device_probe = fake_device,
		.boot_probe = fake_boot,
	};
	device_ok = true;
	for (int m = 0; m < ML_CPU_MODEL_COUNT; m++)
		boots[m] = true;
	reset_calls();
}

static void
teardown(void)
{
	ml_rm_rf(tmp);
}

START_TEST(test_accel_parse_and_names)
{
	enum ml_accel a;

	ck_assert_int_eq(ml_accel_parse("kvm", &a), 0);
	ck_assert_int_eq(a, ML_ACCEL_KVM);
	ck_assert_int_eq(ml_accel_parse("auto", &a), 0);
	ck_assert_int_eq(a, ML_ACCEL_AUTO);
	ck_assert_int_eq(ml_accel_parse("tcg", &a), 0);
	ck_assert_int_eq(a, ML_ACCEL_TCG);
	ck_assert_int_eq(ml_accel_parse("hvf", &a), -ML_EUSAGE);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "'hvf'"));
	ck_assert_str_eq(ml_cpu_model_name(ML_CPU_HOST_PASSTHROUGH),
			 "host-passthrough");
	ck_assert_str_eq(ml_cpu_model_qemu_arg(ML_CPU_HOST_PASSTHROUGH),
			 "host");
	ck_assert_str_eq(ml_cpu_model_qemu_arg(ML_CPU_HOST_NO_ARCH_CAPS),
			 "host,-arch-capabilities");
	ck_assert_str_eq(ml_cpu_model_qemu_arg(ML_CPU_QEMU64), "qemu64");
}
END_TEST

/* The real device probe on this host: bounded, and coherent with a
 * missing device. */
START_TEST(test_accel_device_probe_is_bounded)
{
	struct timespec t0, t1;
	char *reason = NULL;
	int kvm;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	kvm = ml_accel_probe_kvm(NULL, 200, &reason);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 3);
	ck_assert(kvm == 0 || kvm == 1);
	ck_assert(kvm == 1 || reason != NULL);
	free(reason);
	reason = NULL;
	ck_assert_int_eq(ml_accel_probe_kvm("/nonexistent/kvm", 200, &reason),
			 0);
	ck_assert_str_eq(reason,
			 "cannot open /nonexistent/kvm: no such device");
	free(reason);
}
END_TEST

START_TEST(test_accel_tcg_probes_nothing)
{
	struct ml_accel_choice c;

	ck_assert_int_eq(ml_accel_choose(ML_ACCEL_TCG, &host, &c), 0);
	ck_assert_int_eq(c.accel, ML_ACCEL_TCG);
	ck_assert_ptr_null(c.reason);
	ck_assert_int_eq(device_calls + total_boot_calls(), 0);
	ml_accel_choice_clear(&c);
}
END_TEST

START_TEST(test_accel_no_device_falls_back_or_fails)
{
	struct ml_accel_choice c;

	device_ok = false;
	ck_assert_int_eq(ml_accel_choose(ML_ACCEL_AUTO, &host, &c), 0);
	ck_assert_int_eq(c.accel, ML_ACCEL_TCG);
	ck_assert_str_eq(c.reason, "cannot open /dev/kvm: no such device");
	ml_accel_choice_clear(&c);
	ck_assert_int_eq(ml_accel_choose(ML_ACCEL_KVM, &host, &c), -ENODEV);
	ck_assert_str_eq(
		ml_err_msg(),
		"KVM cannot run the node here (cannot open /dev/kvm: no such device): use --accel tcg or --accel auto");
	ck_assert_int_eq(total_boot_calls(), 0);
	ck_assert_int_eq(cache_files(), 0);
	/* and with the real device probe on a device that is not there */
	host.device_probe = NULL;
	host.kvm_device = "/nonexistent/kvm";
	ck_assert_int_eq(ml_accel_choose(ML_ACCEL_KVM, &host, &c), -ENODEV);
	ck_assert_ptr_nonnull(
		strstr(ml_err_msg(), "/nonexistent/kvm: no such device"));
}
END_TEST

START_TEST(test_accel_first_model_that_boots_wins)
{
	struct ml_accel_choice c;

	boots[ML_CPU_HOST_PASSTHROUGH] = false;
	boots[ML_CPU_HOST_NO_ARCH_CAPS] = false;
	ck_assert_int_eq(ml_accel_choose(ML_ACCEL_AUTO, &host, &c), 0);
	ck_assert_int_eq(c.accel, ML_ACCEL_KVM);
	ck_assert_int_eq(c.cpu, ML_CPU_QEMU64);
	ck_assert(!c.cached);
	ck_assert_int_eq(c.probe_ms, 100 + 101 + 102);
	ck_assert_str_eq(
		c.reason,
		"host-passthrough: hang with host; "
		"host-passthrough-no-arch-capabilities: hang with host,-arch-capabilities");
	ck_assert_int_eq(total_boot_calls(), 3);
	ck_assert_int_eq(cache_files(), 3);
	ml_accel_choice_clear(&c);

	/* where host-passthrough boots, nothing else is tried */
	ml_rm_rf(cache);
	reset_calls();
	boots[ML_CPU_HOST_PASSTHROUGH] = true;
	ck_assert_int_eq(ml_accel_choose(ML_ACCEL_KVM, &host, &c), 0);
	ck_assert_int_eq(c.cpu, ML_CPU_HOST_PASSTHROUGH);
	ck_assert_ptr_null(c.reason);
	ck_assert_int_eq(boot_calls[ML_CPU_HOST_PASSTHROUGH], 1);
	ck_assert_int_eq(total_boot_calls(), 1);
	ml_accel_choice_clear(&c);
}
END_TEST

START_TEST(test_accel_verdicts_are_cached_per_key)
{
	struct ml_accel_choice c;

	boots[ML_CPU_HOST_PASSTHROUGH] = false;
	ck_assert_int_eq(ml_accel_choose(ML_ACCEL_AUTO, &host, &c), 0);
	ck_assert_int_eq(c.cpu, ML_CPU_HOST_NO_ARCH_CAPS);
	ml_accel_choice_clear(&c);
	ck_assert_int_eq(total_boot_calls(), 2);

	/* the same host again: the cache answers, with the times it kept */
	reset_calls();
	ck_assert_int_eq(ml_accel_choose(ML_ACCEL_AUTO, &host, &c), 0);
	ck_assert_int_eq(c.accel, ML_ACCEL_KVM);
	ck_assert_int_eq(c.cpu, ML_CPU_HOST_NO_ARCH_CAPS);
	ck_assert(c.cached);
	ck_assert_int_eq(c.probe_ms, 100 + 101);
	ck_assert_str_eq(c.reason, "host-passthrough: hang with host");
	ck_assert_int_eq(total_boot_calls(), 0);
	ml_accel_choice_clear(&c);

	/* another QEMU asks again */
	host.qemu_version = "8.0.0";
	ck_assert_int_eq(ml_accel_choose(ML_ACCEL_AUTO, &host, &c), 0);
	ck_assert(!c.cached);
	ck_assert_int_eq(total_boot_calls(), 2);
	ml_accel_choice_clear(&c);

	/* and so does another kernel */
	reset_calls();
	write_kernel("not really a kernel, version 2");
	ck_assert_int_eq(ml_accel_choose(ML_ACCEL_AUTO, &host, &c), 0);
	ck_assert_int_eq(total_boot_calls(), 2);
	ml_accel_choice_clear(&c);
	ck_assert_int_eq(cache_files(), 6);

	/* no cache dir: probes every time, writes nothing */
	reset_calls();
	ml_rm_rf(cache);
	host.cache_dir = NULL;
	ck_assert_int_eq(ml_accel_choose(ML_ACCEL_AUTO, &host, &c), 0);
	ml_accel_choice_clear(&c);
	ck_assert_int_eq(ml_accel_choose(ML_ACCEL_AUTO, &host, &c), 0);
	ck_assert_int_eq(total_boot_calls(), 4);
	ck_assert_int_eq(cache_files(), 0);
	ml_accel_choice_clear(&c);
}
END_TEST

START_TEST(test_accel_unreadable_verdict_is_probed_again)
{
	struct ml_accel_choice c;
	DIR *d;
	struct dirent *e;

	ck_assert_int_eq(ml_accel_choose(ML_ACCEL_AUTO, &host, &c), 0);
	ml_accel_choice_clear(&c);
	d = opendir(cache);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		char path[600];
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", cache, e->d_name);
		ck_assert_int_eq(ml_write_file_atomic(path, "{\"ok\": \"maybe",
						      13, 0644),
				 0);
	}
	closedir(d);
	reset_calls();
	ck_assert_int_eq(ml_accel_choose(ML_ACCEL_AUTO, &host, &c), 0);
	ck_assert_int_eq(c.cpu, ML_CPU_HOST_PASSTHROUGH);
	ck_assert(!c.cached);
	ck_assert_int_eq(boot_calls[ML_CPU_HOST_PASSTHROUGH], 1);
	ml_accel_choice_clear(&c);
}
END_TEST

START_TEST(test_accel_nothing_boots)
{
	struct ml_accel_choice c;

	for (int m = 0; m < ML_CPU_MODEL_COUNT; m++)
		boots[m] = false;
	ck_assert_int_eq(ml_accel_choose(ML_ACCEL_AUTO, &host, &c), 0);
	ck_assert_int_eq(c.accel, ML_ACCEL_TCG);
	ck_assert_ptr_nonnull(
		strstr(c.reason, "does not boot under KVM with any CPU model"));
	ck_assert_ptr_nonnull(strstr(c.reason, "qemu64: hang with qemu64"));
	ml_accel_choice_clear(&c);
	/* a forced KVM fails fast from the cache, naming the finding */
	reset_calls();
	ck_assert_int_eq(ml_accel_choose(ML_ACCEL_KVM, &host, &c), -ENODEV);
	ck_assert_ptr_nonnull(strstr(
		ml_err_msg(),
		"KVM cannot run the node here (the node's kernel does not boot"));
	ck_assert_ptr_nonnull(
		strstr(ml_err_msg(), "host-passthrough: hang with host"));
	ck_assert_ptr_nonnull(
		strstr(ml_err_msg(), ": use --accel tcg or --accel auto"));
	ck_assert_int_eq(total_boot_calls(), 0);
}
END_TEST

START_TEST(test_accel_recorded_failure_moves_on)
{
	struct ml_accel_choice c;

	ck_assert_int_eq(ml_accel_choose(ML_ACCEL_AUTO, &host, &c), 0);
	ck_assert_int_eq(c.cpu, ML_CPU_HOST_PASSTHROUGH);
	ml_accel_choice_clear(&c);
	/* the domain then failed: the next start uses the next model */
	ml_accel_record_failure(&host, ML_CPU_HOST_PASSTHROUGH,
				"the domain printed nothing within 30 s");
	reset_calls();
	ck_assert_int_eq(ml_accel_choose(ML_ACCEL_AUTO, &host, &c), 0);
	ck_assert_int_eq(c.accel, ML_ACCEL_KVM);
	ck_assert_int_eq(c.cpu, ML_CPU_HOST_NO_ARCH_CAPS);
	ck_assert_str_eq(
		c.reason,
		"host-passthrough: the domain printed nothing within 30 s");
	ck_assert_int_eq(total_boot_calls(), 1);
	ml_accel_choice_clear(&c);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("accel");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_accel_parse_and_names);
	tcase_add_test(tc, test_accel_device_probe_is_bounded);
	tcase_add_test(tc, test_accel_tcg_probes_nothing);
	tcase_add_test(tc, test_accel_no_device_falls_back_or_fails);
	tcase_add_test(tc, test_accel_first_model_that_boots_wins);
	tcase_add_test(tc, test_accel_verdicts_are_cached_per_key);
	tcase_add_test(tc, test_accel_unreadable_verdict_is_probed_again);
	tcase_add_test(tc, test_accel_nothing_boots);
	tcase_add_test(tc, test_accel_recorded_failure_moves_on);
	suite_add_tcase(s, tc);
	return ml_check_run(s);
}
