/*
 * ml_accel_probe: the accelerator probes of src/accel.c from the shell, for
 * tests/iso/test_accel_probe.sh and bench/accel-probe.
 *
 *   ml_accel_probe boot EMULATOR KERNEL kvm|tcg CPU|- TIMEOUT_MS
 *       one boot probe; prints "booted in N ms" (exit 0) or
 *       "did not boot in N ms: REASON" (exit 1)
 *   ml_accel_probe choose CACHE_DIR EMULATOR QEMU_VERSION KERNEL auto|kvm
 *       the whole choice, as start makes it; prints
 *       "kvm CPU_MODEL cached|probed N ms" or "tcg cached|probed N ms: REASON"
 *       (exit 0), or the error of a forced kvm (exit 1)
 */
#include "config.h"

#include "machine/accel.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
usage(void)
{
	fprintf(stderr,
		"usage: ml_accel_probe boot EMULATOR KERNEL kvm|tcg CPU|- TIMEOUT_MS\n"
		"       ml_accel_probe choose CACHE_DIR EMULATOR QEMU_VERSION KERNEL auto|kvm\n");
	return 64;
}

static int
boot(char **argv)
{
	enum ml_accel accel;
	char *reason = NULL;
	long ms = 0;
	int ok;

	if (ml_accel_parse(argv[2], &accel) < 0 || accel == ML_ACCEL_AUTO)
		return usage();
	ok = ml_accel_boot_probe(argv[0], argv[1], accel,
				 strcmp(argv[3], "-") ? argv[3] : NULL,
				 atoi(argv[4]), &ms, &reason);
	if (ok)
		printf("booted in %ld ms\n", ms);
	else
		printf("did not boot in %ld ms: %s\n", ms, reason);
	free(reason);
	return ok ? 0 : 1;
}

static int
choose(char **argv)
{
	struct ml_accel_host h = {
		.cache_dir = argv[0],
		.emulator = argv[1],
		.qemu_version = argv[2],
		.kernel = argv[3],
	};
	struct ml_accel_choice c;
	enum ml_accel want;
	int r;

	if (ml_accel_parse(argv[4], &want) < 0 || want == ML_ACCEL_TCG)
		return usage();
	r = ml_accel_choose(want, &h, &c);
	if (r < 0) {
		printf("error: %s\n", ml_err_msg());
		return 1;
	}
	if (c.accel == ML_ACCEL_KVM)
		printf("kvm %s %s %ld ms\n", ml_cpu_model_name(c.cpu),
		       c.cached ? "cached" : "probed", c.probe_ms);
	else
		printf("tcg %s %ld ms: %s\n", c.cached ? "cached" : "probed",
		       c.probe_ms, c.reason);
	ml_accel_choice_clear(&c);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 7 && strcmp(argv[1], "boot") == 0)
		return boot(argv + 2);
	if (argc == 7 && strcmp(argv[1], "choose") == 0)
		return choose(argv + 2);
	return usage();
}
