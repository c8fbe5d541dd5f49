#!/bin/bash
# minilaunch addons on a stopped profile: list (text, json), enable and
# disable stored in the profile, describe, bad names, a user's addons
# directory replacing and adding, and a broken override named by file and
# line. Nothing here needs a VM: a profile that was never started is
# "stopped".
. "$ML_TOP_SRCDIR/tests/lib.sh"

cfg=$MINILAUNCH_HOME/profiles/minilaunch/config.json
data=$ML_TOP_SRCDIR/tests/data/addons

# the bundled catalogue, with no profile yet: defaults, nothing written
t_run addons list
t_eq "list with no profile" 0 "$T_RC"
t_check "list has a header" grep -qE '^NAME +PROFILE +STATUS +DESCRIPTION$' "$T_TMP/out"
t_check "default-storageclass is on by default" grep -qE '^default-storageclass +minilaunch +enabled ' "$T_TMP/out"
t_check "list made no profile" test ! -e "$MINILAUNCH_HOME/profiles/minilaunch"

# the user's directory adds addons
mkdir -p "$MINILAUNCH_HOME/addons"
cp -r "$data/catalogue/tdemo" "$data/catalogue/toff" "$MINILAUNCH_HOME/addons/"
t_run addons list -o json
t_eq "list -o json" 0 "$T_RC"
t_check "json: statuses and descriptions" jq -es '.[0] |
	.tdemo.status == "enabled" and .toff.status == "disabled" and
	.toff.profile == "minilaunch" and .toff.default == false and
	.["default-storageclass"].status == "enabled" and
	(.tdemo.description | startswith("Test addon"))' "$T_TMP/out"

# enable and disable on a stopped profile: stored, applied at next start
t_run addons enable toff
t_eq "enable toff" 0 "$T_RC"
t_check "enable says when it takes effect" grep -q "takes effect at its next start" "$T_TMP/err"
t_check "the choice is in the profile" jq -es '.[0] | .config.addons == "toff=on"' "$cfg"
t_run addons disable tdemo
t_eq "disable tdemo" 0 "$T_RC"
t_run addons enable toff
t_check "enabling twice keeps one choice" jq -es '.[0] | .config.addons == "tdemo=off,toff=on"' "$cfg"
t_run addons list -o json
t_check "list shows the choices" jq -es '.[0] | .tdemo.status == "disabled" and .toff.status == "enabled"' "$T_TMP/out"
t_run config get addons
t_eq "config get addons" "tdemo=off,toff=on" "$T_OUT"
t_run -p minilaunch status -o json
if grep -q "cannot connect to libvirt" "$T_TMP/err"; then
	t_skip "status -o json has the addons" "status needs libvirtd, which does not answer here"
else
	t_check "status -o json has the addons" jq -es '.[0] | .addons.tdemo == false and .addons.toff == true and .addons["default-storageclass"] == true' "$T_TMP/out"
fi

# describe: the manifests substituted
t_run addons describe tdemo
t_eq "describe" 0 "$T_RC"
t_check "describe substitutes the profile" grep -q 'profile: "minilaunch"' "$T_TMP/out"
t_check "describe keeps a literal \${" grep -qF 'literal: "${NOT_A_VARIABLE}"' "$T_TMP/out"
t_check "describe names each manifest" grep -qx '# app.yaml' "$T_TMP/out"
t_check "describe names the image" grep -qE '^# image: minilaunch/tdemo:[0-9]' "$T_TMP/out"
t_run -p other addons describe tdemo
t_check "another profile's name" grep -q 'profile: "other"' "$T_TMP/out"

# bad names and usage
t_run addons enable nope
t_eq "enable of an unknown addon fails" 1 "$T_RC"
t_check "unknown addon lists the known ones" grep -q "unknown addon 'nope' (known: default-storageclass, .*tdemo, toff)" "$T_TMP/err"
t_check "a failed enable stores nothing" jq -es '.[0] | .config.addons == "tdemo=off,toff=on"' "$cfg"
t_run addons describe nope
t_eq "describe of an unknown addon fails" 1 "$T_RC"
t_run addons
t_eq "no subcommand: usage error" 64 "$T_RC"
t_run addons frob tdemo
t_eq "unknown subcommand: usage error" 64 "$T_RC"
t_run addons enable
t_eq "enable without NAME: usage error" 64 "$T_RC"
t_run addons list -o yaml
t_eq "list -o yaml: usage error" 64 "$T_RC"
t_run config set addons registry
t_eq "config set addons checks the syntax" 64 "$T_RC"
t_check "the syntax is explained" grep -q "give NAME=on or NAME=off" "$T_TMP/err"
t_run -p fresh start --addons nope
t_eq "start --addons of an unknown addon: usage error" 64 "$T_RC"
t_check "start names the unknown addon" grep -q "invalid --addons: unknown addon 'nope'" "$T_TMP/err"
t_check "start --addons made nothing" test ! -e "$MINILAUNCH_HOME/profiles/fresh"

# every path above under valgrind: no invalid access, no leak
if command -v valgrind >/dev/null; then
	for args in "addons list" "addons list -o json" "addons describe tdemo" \
		"addons enable toff" "addons disable tdemo" "addons enable nope" \
		"addons describe nope"; do
		# shellcheck disable=SC2086
		valgrind -q --trace-children=yes --error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=definite,indirect \
			"$MINILAUNCH" $args >/dev/null 2>"$T_TMP/vg"
		t_check "valgrind: $args" test $? -ne 99
	done
else
	t_skip "valgrind" "valgrind is not installed"
fi

# a user's override with a broken manifest: named by file and line
cp -r "$data/broken/default-storageclass" "$MINILAUNCH_HOME/addons/"
t_run addons list
t_eq "a broken override fails list" 1 "$T_RC"
t_check "the broken file and line are named" grep -qF "$MINILAUNCH_HOME/addons/default-storageclass/sc.yaml:1: StorageClass 'standard' lacks the label 'minilaunch.io/addon: default-storageclass'" "$T_TMP/err"
t_run addons enable toff
t_eq "a broken override fails enable" 1 "$T_RC"
t_run -p fresh start
t_eq "a broken override fails start before anything" 1 "$T_RC"
t_check "start names the broken file" grep -qF "default-storageclass/sc.yaml:1: " "$T_TMP/err"
t_check "start made nothing" test ! -e "$MINILAUNCH_HOME/profiles/fresh"
if command -v valgrind >/dev/null; then
	valgrind -q --trace-children=yes --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect \
		"$MINILAUNCH" addons list >/dev/null 2>"$T_TMP/vg"
	t_check "valgrind: a broken override" test $? -ne 99
fi
rm -r "$MINILAUNCH_HOME/addons/default-storageclass"
# a user's override replaces the bundled addon of its name
mkdir -p "$MINILAUNCH_HOME/addons/default-storageclass"
cat >"$MINILAUNCH_HOME/addons/default-storageclass/addon.yaml" <<'EOT'
name: default-storageclass
description: My own default class
default: false
manifests: []
EOT
t_run addons list
t_check "the override replaces the bundled addon" grep -qE '^default-storageclass +minilaunch +disabled +My own default class \(user\)$' "$T_TMP/out"

# make install puts the catalogue in pkgdatadir/addons, where an installed
# minilaunch reads it, never the build tree's
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$ML_TOP_BUILDDIR" "$@"; }
printf 'ml-dirs:\n\t@echo $(pkglibexecdir) $(pkgdatadir)\n' >"$T_TMP/dirs.mk"
read -r libexec pkgdata < <(mk -f Makefile -f "$T_TMP/dirs.mk" ml-dirs)
dest=$T_TMP/dest
mk install DESTDIR="$dest" ML_OUT="$T_TMP/none" >"$T_TMP/install.log" 2>&1
t_eq "make install exits 0" 0 $?
t_check "the bundled addons are installed" \
	cmp -s "$ML_TOP_SRCDIR/addons/default-storageclass/storageclass.yaml" \
	"$dest$pkgdata/addons/default-storageclass/storageclass.yaml"
if [ -e "$pkgdata/addons" ]; then
	t_skip "installed catalogue" "a minilaunch is installed in '$pkgdata' on this machine"
else
	rm -r "$MINILAUNCH_HOME/addons"
	"$dest$libexec/minilaunch-core" addons list -o json >"$T_TMP/o" 2>"$T_TMP/e"
	t_eq "installed: addons list reads pkgdatadir only (empty here)" "{}" "$(jq -c . "$T_TMP/o")"
fi
mk uninstall DESTDIR="$dest" >>"$T_TMP/install.log" 2>&1
t_check "uninstall removes the catalogue" test ! -e "$dest$pkgdata/addons"

t_summary
