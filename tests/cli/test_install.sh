#!/bin/bash
# An installed minilaunch: `make install` puts the node image and kubectl,
# when they were built, where it looks for them, and it never looks in the
# build tree it was made in (issue 11): whoever creates that path later
# would pick the image it boots and the kubectl it runs. The build tree's
# own binaries still use the tree.
. "$ML_TOP_SRCDIR/tests/lib.sh"

# a make of its own, not the one running `make check` (jobserver, TESTS=)
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$ML_TOP_BUILDDIR" "$@"; }

printf 'ml-dirs:\n\t@echo $(pkglibexecdir) $(pkgdatadir)\n' >"$T_TMP/dirs.mk"
read -r libexec data < <(mk -f Makefile -f "$T_TMP/dirs.mk" ml-dirs)
t_check "the install dirs are known" test -n "$libexec" -a -n "$data"

# `make iso` needs root: out/ here is a stand-in for the tree's out/
out=$T_TMP/built
mkdir -p "$out"
printf 'not an image\n' >"$out/minilaunch-v9.iso"
printf '#!/bin/sh\necho fake kubectl\n' >"$out/kubectl"
chmod 755 "$out/kubectl"
dest=$T_TMP/dest
mk install DESTDIR="$dest" ML_OUT="$out" >"$T_TMP/install.log" 2>&1
t_eq "make install DESTDIR=... exits 0" 0 $?
t_check "the node image is installed in pkgdatadir" \
	cmp -s "$out/minilaunch-v9.iso" "$dest$data/minilaunch-v9.iso"
t_check "kubectl is installed in pkglibexecdir" test -x "$dest$libexec/kubectl"
t_eq "kubectl is installed as it is" "fake kubectl" "$("$dest$libexec/kubectl")"

core=$dest$libexec/minilaunch-core
t_check "minilaunch-core is installed" test -x "$core"
t_check "minilaunch-kube is installed beside it" test -x "$dest$libexec/minilaunch-kube"
if [ -e "$libexec/kubectl" ] || [ -e "$data" ]; then
	t_skip "installed binary" "a minilaunch is installed in '$libexec' or '$data' on this machine"
else
	# The installed binary runs from $dest, so it finds neither (they are
	# expected at $libexec and $data), and it must not fall back on the
	# build tree: only the installed locations are named.
	"$core" kubectl -- version >"$T_TMP/o" 2>"$T_TMP/e"
	t_eq "installed: kubectl without a kubectl fails" 1 $?
	t_check "installed: kubectl names the installed location" \
		grep -qF "'$libexec/kubectl'" "$T_TMP/e"
	t_check "installed: kubectl never names the build tree" \
		bash -c "! grep -qF '$ML_TOP_BUILDDIR' '$T_TMP/e'"
	"$core" version >"$T_TMP/o" 2>"$T_TMP/e"
	t_eq "installed: version exits 0" 0 $?
	t_check "installed: version says where kubectl is expected" \
		grep -qF "bundled kubectl:    none (no bundled kubectl at '$libexec/kubectl'" "$T_TMP/o"
	t_check "installed: version never names the build tree" \
		bash -c "! grep -qF '$ML_TOP_BUILDDIR' '$T_TMP/o' '$T_TMP/e'"
	"$core" -v version >"$T_TMP/o" 2>"$T_TMP/e"
	t_check "installed: the image is looked for in pkgdatadir only" \
		grep -qF "no node image found in '$data': install one" "$T_TMP/e"
	"$core" -p x start --iso-sha256 "$(printf '%064d' 0)" >"$T_TMP/o" 2>"$T_TMP/e"
	t_check "installed: a pinned digest needs --iso-url" grep -q "iso-sha256 is set but iso-url is not" "$T_TMP/e"
fi

mk uninstall DESTDIR="$dest" ML_OUT="$out" >>"$T_TMP/install.log" 2>&1
t_eq "make uninstall exits 0" 0 $?
t_eq "uninstall leaves no file" "" "$(find "$dest" -type f)"

# nothing built: install says so, and installs neither
mkdir -p "$T_TMP/empty"
mk install DESTDIR="$T_TMP/dest2" ML_OUT="$T_TMP/empty" >"$T_TMP/install.log" 2>&1
t_eq "make install without an image exits 0" 0 $?
t_check "install says where the image is expected" \
	grep -qF "minilaunch will look in '$data'" "$T_TMP/install.log"
t_check "install says where kubectl is expected" \
	grep -qF "will look for '$libexec/kubectl'" "$T_TMP/install.log"
t_check "no kubectl installed" test ! -e "$T_TMP/dest2$libexec/kubectl"

# the build tree's binary uses the tree (when it has no kubectl, it says so)
if [ -e "$ML_TOP_BUILDDIR/out/kubectl" ] || [ -e "$libexec/kubectl" ]; then
	t_skip "build tree binary" "a kubectl is in '$ML_TOP_BUILDDIR/out' or '$libexec'"
else
	t_run kubectl -- version
	t_check "build tree: kubectl looks in the tree's out/" \
		grep -qF "'$ML_TOP_BUILDDIR/out/kubectl'" "$T_TMP/err"
fi
t_summary
