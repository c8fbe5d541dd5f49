#!/bin/bash
# The accelerator's boot probe with the real qemu-system binary and the node
# image's own kernel (src/machine/accel.c, through tests/tools/ml_accel_probe):
#   the kernel boots to its panic under TCG, and the probe says so
#   a deadline too short for it -> "did not boot", on time, with the reason
#   qemu refusing a CPU model -> its own message, at once
#   KVM where /dev/kvm is absent -> qemu's refusal (skipped where it exists)
#   a file that is not a kernel -> refused, at once
#   the choice as start makes it on this host, cold and then cached
# Needs the node image (make iso): $ML_ISO or the newest out/minilaunch-*.iso.
. "$ML_TOP_SRCDIR/tests/lib.sh"
. "$ML_TOP_SRCDIR/tests/iso/lib-vm.sh"

PROBE=${ML_ACCEL_PROBE:-$ML_TOP_BUILDDIR/tests/tools/ml_accel_probe}
QEMU=$(command -v qemu-system-x86_64)
[ -x "$PROBE" ] || { t_fail "no $PROBE (make check builds it)"; t_summary; exit 1; }
[ -n "$QEMU" ] || { t_fail "no qemu-system-x86_64 (scripts/check installs it)"; t_summary; exit 1; }
vm_find_iso || { t_fail "no node image (run make iso)"; t_summary; exit 1; }
vm_extract "$T_TMP/boot" || { t_fail "cannot read the kernel from $VM_ISO"; t_summary; exit 1; }

# probe ARGS...: runs the tool, leaving its output in OUT and its seconds in SECS
probe() {
	local t0=$SECONDS
	OUT=$("$PROBE" "$@")
	RC=$?
	SECS=$((SECONDS - t0))
	echo "  $*: $OUT ($SECS s)"
}

boot_limit=$(($(t_scaled 240) * 1000))
probe boot "$QEMU" "$VM_KERNEL" tcg qemu64 "$boot_limit"
t_eq "the node's kernel boots to its panic under TCG" 0 "$RC"
t_check "the probe says how long it took" grep -Eq '^booted in [0-9]+ ms$' <<<"$OUT"

probe boot "$QEMU" "$VM_KERNEL" tcg qemu64 300
t_eq "a deadline too short: did not boot" 1 "$RC"
t_check "it says what the kernel did within the deadline" grep -Eq 'within 300 ms' <<<"$OUT"
t_check "it ends on time" test "$SECS" -le "$(t_scaled 5)"

probe boot "$QEMU" "$VM_KERNEL" tcg no-such-cpu-model 20000
t_eq "an unknown CPU model: did not boot" 1 "$RC"
t_check "qemu's own message is the reason" grep -q "qemu exited (status 1): qemu-system-x86_64: .*no-such-cpu-model" <<<"$OUT"
t_check "an unknown CPU model fails at once" test "$SECS" -le "$(t_scaled 10)"

# Short enough that QEMU refuses it before running anything (random bytes
# of kernel size may instead run as junk and print nothing).
printf '#!/bin/sh\necho not a kernel\n' >"$T_TMP/not-a-kernel"
probe boot "$QEMU" "$T_TMP/not-a-kernel" tcg qemu64 20000
t_eq "a file that is not a kernel: did not boot" 1 "$RC"
t_check "qemu says why" grep -q "qemu exited.*invalid kernel header" <<<"$OUT"

probe boot "$T_TMP/no-such-qemu" "$VM_KERNEL" tcg qemu64 20000
t_eq "a missing emulator: did not boot" 1 "$RC"
t_check "it names the emulator" grep -q "cannot run '$T_TMP/no-such-qemu'" <<<"$OUT"

if [ ! -e /dev/kvm ]; then
	probe boot "$QEMU" "$VM_KERNEL" kvm host 20000
	t_eq "KVM without /dev/kvm: did not boot" 1 "$RC"
	t_check "qemu's KVM error is the reason" grep -qi "qemu exited.*kvm" <<<"$OUT"
else
	t_skip "KVM without /dev/kvm" "this host has /dev/kvm"
fi

# The choice as start makes it, cold then cached. Without /dev/kvm it ends
# at the device; with one, the kernel's boots under KVM are what is cached.
version=$("$QEMU" --version | sed -n '1s/.*version \([0-9.]*\).*/\1/p')
probe choose "$T_TMP/cache" "$QEMU" "$version" "$VM_KERNEL" auto
t_eq "choose: an answer" 0 "$RC"
first=$OUT
probe choose "$T_TMP/cache" "$QEMU" "$version" "$VM_KERNEL" auto
t_eq "choose again: the same accelerator" "${first%% *}" "${OUT%% *}"
if [ ! -e /dev/kvm ]; then
	t_check "no /dev/kvm: TCG, said by the device" grep -q "^tcg probed 0 ms: cannot open /dev/kvm: no such device" <<<"$OUT"
	probe choose "$T_TMP/cache" "$QEMU" "$version" "$VM_KERNEL" kvm
	t_eq "a forced kvm fails" 1 "$RC"
	t_check "naming the finding" grep -q "KVM cannot run the node here (cannot open /dev/kvm: no such device): use --accel tcg" <<<"$OUT"
	t_skip "verdicts cached from real KVM boots" "no /dev/kvm on this host"
else
	t_check "the second answer came from the cache" grep -Eq '^(kvm [a-z0-9-]+|tcg) cached' <<<"$OUT"
	t_check "verdicts were written" test -n "$(ls "$T_TMP/cache")"
fi

t_summary
