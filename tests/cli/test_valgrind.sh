#!/bin/bash
# Every CLI path under valgrind: no invalid access, no definite or indirect
# leak, on success and on error paths alike.
. "$ML_TOP_SRCDIR/tests/lib.sh"

command -v valgrind >/dev/null || { t_fail "valgrind is not installed (scripts/deps installs it)"; t_summary; exit 1; }
dport=$(t_free_port)
"$ML_FIXTURE" "$MINILAUNCH_HOME" run Running "$dport" 48443
t_listen "$dport"
mkdir -p "$MINILAUNCH_HOME/profiles/broken"
echo '{' >"$MINILAUNCH_HOME/profiles/broken/config.json"

# vg NAME ARGS...: runs the binary under valgrind; passes when valgrind found nothing
vg() {
	local name=$1
	shift
	valgrind -q --trace-children=yes --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect \
		"$MINILAUNCH" "$@" >/dev/null 2>"$T_TMP/vg"
	local rc=$?
	t_begin "valgrind: $name"
	if [ $rc -eq 99 ]; then
		t_fail "$(head -30 "$T_TMP/vg")"
	else
		t_pass
	fi
}

vg "version" version
vg "version json" version -o json
vg "help" help
vg "help config" help config
vg "config --help" config --help
vg "config set" config set memory 4g
vg "config set bad value" config set memory 10m
vg "config get" config get memory
vg "config get unset key" config get cpus
vg "config view" config view
vg "config unset" config unset memory
vg "config on a corrupted profile" -p broken config view
vg "profile list" profile list
vg "profile list json" profile list -o json
vg "docker-env" -p run docker-env
vg "docker-env fish" -p run docker-env --shell fish
vg "docker-env --unset" docker-env --unset
vg "docker-env not running" docker-env
vg "update-context" -p run update-context
vg "update-context without state" update-context
vg "completion bash" completion bash
vg "completion zsh" completion zsh
vg "unknown command" nosuch
vg "unknown flag" version --nosuch
vg "bad profile name" -p BAD profile list
vg "start with a bad flag" start --memory 10m
vg "start with a bad --docker-env" start --docker-env FOO=1
vg "start with network flags, no image" -p vgnet start --network offline \
	--registry-mirror https://m.example --registry-mirror https://n.example \
	--insecure-registry r.example:5000 --docker-env HTTP_PROXY=http://127.0.0.1:3128 \
	--docker-env no_proxy=a.example --iso-url "file://$T_TMP/none.iso"
vg "status json with the network" -p run status -o json
vg "status of a missing profile" -p nosuch status
vg "ip of a profile never started" ip
vg "logs of a profile never started" logs

t_summary
