#!/bin/bash
# minilaunch profile list: table, json, invalid profiles left untouched.
. "$ML_TOP_SRCDIR/tests/lib.sh"

t_run profile list
t_eq "empty list exits 0" 0 "$T_RC"
t_eq "empty list prints nothing on stdout" "" "$T_OUT"
t_run profile list -o json
t_check "empty json" jq -e '.valid == [] and .invalid == []' "$T_TMP/out"

"$MINILAUNCH" -p dev config set cpus 1
"$MINILAUNCH" -p dev config set memory 2g
"$MINILAUNCH" config set disk-size 40g
"$ML_FIXTURE" "$MINILAUNCH_HOME" run Running 42376 48443
t_run profile list
t_eq "list exits 0" 0 "$T_RC"
t_eq "header" "PROFILE STATUS KUBERNETES CPUS MEMORY DISK APISERVER ACTIVE" \
	"$(head -1 "$T_TMP/out" | tr -s ' ' | sed 's/ $//')"
t_eq "rows sorted by name" "dev minilaunch run" "$(tail -n +2 "$T_TMP/out" | awk '{print $1}' | xargs)"
t_eq "dev row" "dev Not created - 1 2g 20g" \
	"$(grep '^dev ' "$T_TMP/out" | tr -s ' ' | sed 's/ $//')"
t_eq "running row shows the API server" "run Running - 2 3072m 20g 127.0.0.1:48443" \
	"$(grep '^run ' "$T_TMP/out" | tr -s ' ' | sed 's/ $//')"
t_check "default profile is active" grep -q '^minilaunch .*\*$' "$T_TMP/out"
t_run -p dev profile list
t_check "-p moves the active mark" grep -q '^dev .*\*$' "$T_TMP/out"

t_run profile list -o json
t_eq "json: three valid" 3 "$(jq '.valid | length' "$T_TMP/out")"
t_eq "json: fields" '"run","Running","127.0.0.1:48443",false' \
	"$(jq -c '.valid[] | select(.name=="run") | [.name,.status,.apiserver,.active]' "$T_TMP/out" | tr -d '[]')"

# a broken profile: listed as Invalid with a warning, file untouched
bad=$MINILAUNCH_HOME/profiles/broken/config.json
mkdir -p "${bad%/*}"
echo '{ not json' >"$bad"
t_run profile list
t_eq "broken profile: still exit 0" 0 "$T_RC"
t_check "broken profile row" grep -q '^broken *Invalid' "$T_TMP/out"
t_check "warning names the file" grep -qF "$bad" "$T_TMP/err"
t_eq "broken file untouched" '{ not json' "$(cat "$bad")"
t_run profile list -o json
t_eq "json: invalid listed" broken "$(jq -r '.invalid[0].name' "$T_TMP/out")"

t_run profile frob
t_eq "unknown profile subcommand" 64 "$T_RC"
t_run profile list -o yaml
t_eq "bad output format" 64 "$T_RC"

t_summary
