#!/bin/bash
# The command line: dispatch, help, exit codes (0, 1, 64) and one-line errors.
. "$ML_TOP_SRCDIR/tests/lib.sh"

# one_line_error NAME RC: the last t_run failed with RC, one stderr line, no stdout
one_line_error() {
	t_eq "$1: exit code" "$2" "$T_RC"
	t_eq "$1: stdout empty" "" "$T_OUT"
	t_eq "$1: one stderr line" 1 "$(printf '%s\n' "$T_ERR" | wc -l)"
	t_check "$1: error prefix" grep -q '^minilaunch: error: ' "$T_TMP/err"
}

t_run
one_line_error "no command" 64
t_run frobnicate
one_line_error "unknown command" 64
t_check "unknown command is named" grep -q "'frobnicate'" "$T_TMP/err"
t_run version --bogus
one_line_error "unknown flag" 64
t_check "unknown flag is named" grep -q -- "'--bogus'" "$T_TMP/err"
t_run --bogus version
one_line_error "unknown global flag" 64
t_run -p 'Bad_Name' profile list
one_line_error "bad profile name" 64
MINILAUNCH_PROFILE=UPPER t_run profile list
one_line_error "bad profile name from the environment" 64
t_run version -o yaml
one_line_error "bad output format" 64
t_run config set cpus
one_line_error "missing argument" 64
t_run --home '' version
one_line_error "empty home" 64
# exec and port-forward: their usage errors come before "not running"
t_run exec
one_line_error "exec without a pod" 64
t_run port-forward web
one_line_error "port-forward without a port" 64
t_run port-forward web 8080:http
one_line_error "port-forward with a bad mapping" 64
t_check "the bad mapping is named" grep -q "'8080:http'" "$T_TMP/err"

t_run version
t_eq "version exits 0" 0 "$T_RC"
t_check "version names libvirt" grep -q '^  libvirt  *[0-9]' "$T_TMP/out"
t_check "version names every library" bash -c "for l in libcurl libarchive ncurses openssl json-c libyaml; do grep -q \"^  \$l \" '$T_TMP/out' || exit 1; done"
t_eq "version writes nothing on stderr" "" "$T_ERR"
t_run version -o json
t_check "version json parses" jq -e '.libraries.libvirt and .minilaunch' "$T_TMP/out"
t_run --version
t_check "--version" grep -q '^minilaunch version [0-9]' "$T_TMP/out"

# help COMMAND and COMMAND --help print the same text
for cmd in $("$MINILAUNCH" help | sed -n '/^Commands:/,/^$/p' | awk 'NF==0{next} /^Commands/{next} {print $1}'); do
	a=$("$MINILAUNCH" help "$cmd")
	b=$("$MINILAUNCH" "$cmd" --help)
	c=$("$MINILAUNCH" "$cmd" -h)
	t_eq "help $cmd = $cmd --help" "$a" "$b"
	t_eq "help $cmd = $cmd -h" "$a" "$c"
	t_check "help $cmd has usage" grep -q "^Usage: minilaunch \[global flags\] $cmd" <<<"$a"
done
t_run help
t_eq "help exits 0" 0 "$T_RC"
t_check "help lists commands" grep -q '^  docker-env ' "$T_TMP/out"
t_run help nosuch
one_line_error "help on an unknown command" 64

# global flags after the command, --home, MINILAUNCH_PROFILE
t_run config set cpus 1 -p after
t_eq "global flag after the command" 0 "$T_RC"
t_check "profile 'after' made" test -f "$MINILAUNCH_HOME/profiles/after/config.json"
mkdir -p "$T_TMP/rel"
(cd "$T_TMP/rel" && "$MINILAUNCH" --home relhome config set cpus 1)
t_check "relative --home is made absolute" test -f "$T_TMP/rel/relhome/profiles/minilaunch/config.json"
MINILAUNCH_PROFILE=fromenv t_run config set cpus 1
t_check "MINILAUNCH_PROFILE selects the profile" test -f "$MINILAUNCH_HOME/profiles/fromenv/config.json"
MINILAUNCH_PROFILE=fromenv t_run -p flagwins config set cpus 1
t_check "-p beats MINILAUNCH_PROFILE" test -f "$MINILAUNCH_HOME/profiles/flagwins/config.json"

# the man page documents every command and every flag
man=$ML_TOP_SRCDIR/docs/minilaunch.1
for cmd in $("$MINILAUNCH" help | awk '/^Commands:/{on=1;next} on&&NF==0{exit} on{print $1}'); do
	t_check "man page documents $cmd" grep -q "^\.SS $cmd\$" "$man"
	for flag in $("$MINILAUNCH" help "$cmd" | grep -o -- '--[a-z-]*' | sort -u); do
		# roff writes every '-' of a flag as '\-'
		t_check "man page documents $cmd $flag" grep -qF -- "$(sed 's/-/\\-/g' <<<"$flag")" "$man"
	done
done

# start checks every flag before it creates anything
for bad in "--memory 10m" "--cpus 0" "--accel warp" "--wait maybe" "--wait-timeout soon" "--driver-uri vbox://x" \
	"--driver-uri qemu+ext:///system?command=/bin/true&a=/system" "--disk-size 17000000t"; do
	t_run -p fresh start $bad
	t_eq "start $bad: usage error" 64 "$T_RC"
done
t_check "bad start flags created nothing" test ! -e "$MINILAUNCH_HOME/profiles/fresh"
t_run -p fresh status
t_eq "status of a missing profile: all bits" 7 "$T_RC"
t_check "status says Nonexistent" grep -qx "host: Nonexistent" "$T_TMP/out"

# the front end loads no heavy library; the rest is minilaunch-core's
t_eq "front end links no heavy library" "" \
	"$(ldd "$MINILAUNCH" | grep -oE 'lib(virt|curl|archive|ncursesw|crypto)[^ ]*' | xargs)"
t_check "version runs through minilaunch-core" grep -q '^  libvirt ' <("$MINILAUNCH" version)
# dashboard, exec and port-forward run in minilaunch-kube, which loads no
# libvirt: the front end's list of its commands and its table agree
KUBE_TOOL=$(dirname "$MINILAUNCH")/minilaunch-kube
t_eq "minilaunch-kube links neither libvirt nor libarchive" "" \
	"$(ldd "$KUBE_TOOL" | grep -oE 'lib(virt|archive|glib)[^ ]*' | xargs)"
for c in dashboard exec port-forward; do
	t_run $c --help
	t_eq "$c --help through the front end: exit 0" 0 "$T_RC"
	t_check "$c --help: its own usage" grep -q "^Usage: minilaunch \[global flags\] $c " "$T_TMP/out"
done
mkdir "$T_TMP/kubeonly"
cp "$MINILAUNCH" "$KUBE_TOOL" "$T_TMP/kubeonly/"
MINILAUNCH=$T_TMP/kubeonly/minilaunch t_run -p fresh dashboard
t_eq "dashboard without minilaunch-core: its own error, exit 1" 1 "$T_RC"
t_check "... that the profile is missing" grep -q "profile 'fresh' not found in" "$T_TMP/err"
cp "$MINILAUNCH" "$T_TMP/lonely"
MINILAUNCH=$T_TMP/lonely t_run version
t_eq "missing minilaunch-core: exit 1" 1 "$T_RC"
t_check "missing minilaunch-core: says so" grep -q "minilaunch-core.*reinstall minilaunch" "$T_TMP/err"
MINILAUNCH=$T_TMP/lonely t_run config set cpus 1
t_eq "light commands need no minilaunch-core" 0 "$T_RC"

t_summary
