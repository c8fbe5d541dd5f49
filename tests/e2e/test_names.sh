#!/bin/bash
# libvirt's names are the home's, without booting anything (root, libvirtd):
#   two homes with the same profile name -> two domains, two pools
#   under qemu:///system the files QEMU opens live in the machine's own
#   directory under libvirt's image directory, and QEMU keeps libvirt's
#   DAC separation (no static seclabel)
#   a domain of the expected name that is not ours, or is another home's
#   -> refused, left as it was
#   a pool of the expected name on another directory -> refused, not emptied
#   delete -> the domain, the pool and the machine's directory are gone
# tests/tools/ml_driver drives src/machine/driver.h; delete is the CLI's.
. "$ML_TOP_SRCDIR/tests/lib.sh"

URI=qemu:///system
IMAGES=/var/lib/libvirt/images/minilaunch
TOOL=$ML_TOP_BUILDDIR/tests/tools/ml_driver
v() { virsh -q -c $URI "$@"; }
has() { v "$@" >/dev/null 2>&1; } # has dominfo|pool-info NAME
tool() { "$TOOL" "$@" >/dev/null; }
P=nt$$ # our profile names: nt$$, nt$$-x, ...
A=$T_TMP/a/.minilaunch
B=$T_TMP/b/.minilaunch
FILES=$T_TMP/files
KA=$("$TOOL" "$A" owner)
KB=$("$TOOL" "$B" owner)

names_cleanup() {
	local d p
	for d in $(v list --all --name | grep -e "$P"); do
		v destroy "$d" >/dev/null 2>&1
		v undefine "$d" >/dev/null 2>&1
	done
	for p in $(v pool-list --all --name | grep -e "$P"); do
		v pool-destroy "$p" >/dev/null 2>&1
		v pool-undefine "$p" >/dev/null 2>&1
	done
	rm -rf "$IMAGES"/*"$P"*
	t_cleanup
}
trap names_cleanup EXIT

mkdir -p "$FILES" "$A" "$B"
for f in vmlinuz initrd.img node.iso config.iso; do
	echo "not really $f" >"$FILES/$f"
done

# a domain of our profile's metadata but owner/home as given
foreign_domain() { # NAME [OWNER HOME]
	local meta=
	[ $# -gt 1 ] && meta="<metadata><ml:node xmlns:ml='http://minilaunch.invalid/schemas/node/1' profile='x' owner='$2' home='$3'/></metadata>"
	cat >"$T_TMP/dom.xml" <<XML
<domain type='qemu'><name>$1</name>$meta<memory unit='MiB'>64</memory>
<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>
XML
	v define "$T_TMP/dom.xml" >/dev/null
}

# --- two homes, one profile name
t_check "define from home a" tool $URI "$A" $P define "$FILES"
t_check "define from home b" tool $URI "$B" $P define "$FILES"
t_eq "two domains of profile $P" 2 \
	"$(for d in $(v list --all --name); do v metadata "$d" http://minilaunch.invalid/schemas/node/1 2>/dev/null; done |
		grep -c "profile=\"$P\"")"
t_eq "two pools" 2 "$(v pool-list --all --name | grep -c -e "-$P\$")"
t_eq "home a's state" Stopped "$("$TOOL" $URI "$A" $P state 2>&1)"

xml=$(v dumpxml "ml-$KA-$P" 2>/dev/null)
t_check "the domain's metadata names owner and home" \
	grep -q "owner=\"$KA\" home=\"$A\"" <<<"$xml"
t_check "kernel in the machine's directory under $IMAGES" \
	grep -q "<kernel>$IMAGES/$KA-$P/vmlinuz</kernel>" <<<"$xml"
t_check "node image copied there" cmp -s "$FILES/node.iso" "$IMAGES/$KA-$P/node.iso"
t_check "data disk there" test -f "$IMAGES/$KA-$P/data.qcow2"
t_check "no static DAC label: QEMU runs as libvirt's user" \
	bash -c "! grep -q \"<seclabel type='static' model='dac'\" <<<\"\$1\"" - "$xml"
# the network mode is the definition's: online has outbound NAT, and a
# redefinition (each start of a stopped node) switches it in place
t_check "online: outbound NAT (restrict=off)" grep -q "value='user,id=mlnet0,restrict=off,hostfwd=tcp:127.0.0.1:" <<<"$xml"
uuid=$(v domuuid "ml-$KA-$P")
t_check "redefine offline" tool $URI "$A" $P define "$FILES" offline
xml=$(v dumpxml "ml-$KA-$P" 2>/dev/null)
t_check "offline: restrict=on" grep -q "value='user,id=mlnet0,restrict=on,hostfwd=tcp:127.0.0.1:" <<<"$xml"
t_eq "... the same domain" "$uuid" "$(v domuuid "ml-$KA-$P")"
t_check "redefine online again" tool $URI "$A" $P define "$FILES"
t_check "... restrict=off again" bash -c "virsh -q -c $URI dumpxml ml-$KA-$P | grep -q restrict=off"

# --- a domain of the expected name that is not minilaunch's
foreign_domain "ml-$KA-$P-f"
before=$(v dumpxml "ml-$KA-$P-f")
"$TOOL" $URI "$A" $P-f define "$FILES" >/dev/null 2>"$T_TMP/err"
t_eq "define refuses a foreign domain" 1 "$?"
t_check "... naming it" grep -q "libvirt domain 'ml-$KA-$P-f' at '$URI' was not made by minilaunch" "$T_TMP/err"
t_eq "... one line" 1 "$(wc -l <"$T_TMP/err")"
MINILAUNCH_HOME=$A t_run -p $P-f delete
t_eq "delete refuses it" 1 "$T_RC"
t_eq "... and leaves it as it was" "$before" "$(v dumpxml "ml-$KA-$P-f")"

# --- another home's domain under our name (and the old, unkeyed name)
foreign_domain "ml-$KA-$P-o" "$KB" "$B"
foreign_domain "$P-o" "$KB" "$B"
before=$(v dumpxml "ml-$KA-$P-o")
"$TOOL" $URI "$A" $P-o define "$FILES" >/dev/null 2>"$T_TMP/err"
t_eq "define refuses another home's domain" 1 "$?"
t_check "... naming it and its home" grep -q "libvirt domain 'ml-$KA-$P-o' at '$URI' belongs to minilaunch home '$B'" "$T_TMP/err"
t_eq "... leaves it as it was" "$before" "$(v dumpxml "ml-$KA-$P-o")"
"$TOOL" $URI "$A" $P-o remove 2>/dev/null
t_eq "remove refuses it" 1 "$?"
t_check "... and it is still there" has dominfo "ml-$KA-$P-o"
t_check "the unkeyed one too" has dominfo "$P-o"

# --- a pool of our name on another directory (and the old, unkeyed name)
for pool in "minilaunch-$KA-$P-p" "minilaunch-$P-p"; do
	mkdir -p "$T_TMP/$pool"
	echo precious >"$T_TMP/$pool/keep.img"
	v pool-define-as "$pool" dir --target "$T_TMP/$pool" >/dev/null
	v pool-start "$pool" >/dev/null
done
MINILAUNCH_HOME=$A t_run -p $P-p delete
t_eq "delete refuses a pool on another directory" 1 "$T_RC"
t_check "... naming pool and directories" grep -q "libvirt storage pool 'minilaunch-$KA-$P-p' at '$URI' holds '$T_TMP/minilaunch-$KA-$P-p', not '$IMAGES/$KA-$P-p'" <<<"$T_ERR"
t_check "... and does not empty it" test -f "$T_TMP/minilaunch-$KA-$P-p/keep.img"
t_check "... nor the unkeyed one" test -f "$T_TMP/minilaunch-$P-p/keep.img"
"$TOOL" $URI "$A" $P-p define "$FILES" >/dev/null 2>&1
t_eq "define refuses it" 1 "$?"
t_check "... and leaves it defined" has pool-info "minilaunch-$KA-$P-p"

# --- a profile from before the owner key: domain PROFILE, pool
# minilaunch-PROFILE on the machine directory in the home. define moves the
# data disk into the new place and drops the old objects.
old=$P-m
mkdir -p "$A/profiles/$old/machine"
echo "the old disk" >"$A/profiles/$old/machine/data.qcow2"
v pool-define-as "minilaunch-$old" dir --target "$A/profiles/$old/machine" >/dev/null
foreign_domain "$old"
v metadata "$old" http://minilaunch.invalid/schemas/node/1 --key ml --config \
	--set "<node profile='$old'/>" >/dev/null
t_eq "old layout: define keeps the disk" "kept disk" "$("$TOOL" $URI "$A" $old define "$FILES" 2>"$T_TMP/err")"
t_check "... and says it moves it" grep -q "moving the data disk of '$old' from '$A/profiles/$old/machine/data.qcow2'" "$T_TMP/err"
t_eq "old layout: the disk moved" "the old disk" "$(cat "$IMAGES/$KA-$old/data.qcow2" 2>&1)"
t_check "old layout: not left in the home" test ! -e "$A/profiles/$old/machine/data.qcow2"
t_check "old layout: old domain undefined" bash -c "! virsh -q -c $URI dominfo $old >/dev/null 2>&1"
t_check "old layout: old pool undefined" bash -c "! virsh -q -c $URI pool-info minilaunch-$old >/dev/null 2>&1"
t_check "old layout: remove" tool $URI "$A" $old remove

# --- delete: home a's machine goes, home b's stays
MINILAUNCH_HOME=$A t_run -p $P delete
t_eq "delete from home a" 0 "$T_RC"
t_check "home a's domain is gone" bash -c "! virsh -q -c $URI dominfo ml-$KA-$P >/dev/null 2>&1"
t_check "home a's pool is gone" bash -c "! virsh -q -c $URI pool-info minilaunch-$KA-$P >/dev/null 2>&1"
t_check "home a's directory is gone" test ! -e "$IMAGES/$KA-$P"
t_eq "home b's machine stays" Stopped "$("$TOOL" $URI "$B" $P state 2>&1)"
t_check "home b's disk stays" test -f "$IMAGES/$KB-$P/data.qcow2"
t_check "remove from home b" tool $URI "$B" $P remove
t_check "home b's directory is gone" test ! -e "$IMAGES/$KB-$P"

t_summary
