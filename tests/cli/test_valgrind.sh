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

t_valgrind "version" version
t_valgrind "version json" version -o json
t_valgrind "help" help
t_valgrind "help config" help config
t_valgrind "config --help" config --help
t_valgrind "config set" config set memory 4g
t_valgrind "config set bad value" config set memory 10m
t_valgrind "config get" config get memory
t_valgrind "config get unset key" config get cpus
t_valgrind "config view" config view
t_valgrind "config unset" config unset memory
t_valgrind "config on a corrupted profile" -p broken config view
t_valgrind "profile list" profile list
t_valgrind "profile list json" profile list -o json
t_valgrind "docker-env" -p run docker-env
t_valgrind "docker-env fish" -p run docker-env --shell fish
t_valgrind "docker-env --unset" docker-env --unset
t_valgrind "docker-env not running" docker-env
t_valgrind "update-context" -p run update-context
t_valgrind "update-context without state" update-context
t_valgrind "completion bash" completion bash
t_valgrind "completion zsh" completion zsh
t_valgrind "unknown command" nosuch
t_valgrind "unknown flag" version --nosuch
t_valgrind "bad profile name" -p BAD profile list
t_valgrind "start with a bad flag" start --memory 10m
t_valgrind "start with a bad --docker-env" start --docker-env FOO=1
t_valgrind "start with network flags, no image" -p vgnet start --network offline \
	--registry-mirror https://m.example --registry-mirror https://n.example \
	--insecure-registry r.example:5000 --docker-env HTTP_PROXY=http://127.0.0.1:3128 \
	--docker-env no_proxy=a.example --iso-url "file://$T_TMP/none.iso"
t_valgrind "status json with the network" -p run status -o json
t_valgrind "status of a missing profile" -p nosuch status
t_valgrind "ip of a profile never started" ip
t_valgrind "logs of a profile never started" logs

t_summary
