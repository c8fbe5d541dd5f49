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

# delete --purge removes only a minilaunch home, and checks before it
# deletes any profile: a refused purge changes nothing
listing() { (cd "$1" && find . -printf '%p %y %s\n' | sort); }
stuff=$T_TMP/stuff
mkdir -p "$stuff/profiles/x" "$stuff/cache"
echo notes >"$stuff/notes.txt"
echo '{"schema": 1, "config": {}}' >"$stuff/profiles/x/config.json"
before=$(listing "$stuff")
t_run --home "$stuff" delete --purge
t_eq "purge of unrelated files: exit 1" 1 "$T_RC"
t_eq "purge of unrelated files: one line" 1 "$(wc -l <"$T_TMP/err")"
t_check "purge of unrelated files names the dir and the file" \
	grep -qF "refusing to purge '$stuff': '$stuff/notes.txt' is not minilaunch's" "$T_TMP/err"
t_eq "purge of unrelated files changed nothing" "$before" "$(listing "$stuff")"
MINILAUNCH_HOME=$stuff t_run delete --purge --all
t_eq "purge through MINILAUNCH_HOME: exit 1" 1 "$T_RC"
t_eq "purge through MINILAUNCH_HOME changed nothing" "$before" "$(listing "$stuff")"
MINILAUNCH_HOME=$stuff t_run -p x config view
t_check "using a home with foreign files does not mark it" test ! -e "$stuff/.minilaunch-home"
rm "$stuff/notes.txt"
echo x >"$stuff/profiles/stray"
t_run --home "$stuff" delete --purge
t_eq "a stray file in profiles/ is foreign" 1 "$T_RC"
t_check "the stray file is named" grep -qF "'$stuff/profiles/stray'" "$T_TMP/err"
t_check "the home's profile survives" test -f "$stuff/profiles/x/config.json"

echo mine >"$HOME/notes.txt"
before=$(listing "$HOME")
t_run --home "$HOME" delete --purge
t_eq "purge of \$HOME: exit 1" 1 "$T_RC"
t_check "purge of \$HOME says why" grep -qF "refusing to purge '$HOME': it is your home directory" "$T_TMP/err"
t_run --home "$HOME/." delete --purge
t_eq "purge of \$HOME/.: exit 1" 1 "$T_RC"
t_eq "purge of \$HOME changed nothing" "$before" "$(listing "$HOME")"

# / through a link (the worst a failed check could remove is the link), then
# / itself only as an unprivileged user, who could not remove it anyway
ln -s / "$T_TMP/rootlink"
t_run --home "$T_TMP/rootlink" delete --purge
t_eq "purge of a link to /: exit 1" 1 "$T_RC"
t_check "purge of / says why" grep -qF "refusing to purge '$T_TMP/rootlink': it is the root directory" "$T_TMP/err"
t_check "the link to / is still there" test -L "$T_TMP/rootlink"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 755 "$T_TMP" "$HOME"
	t_begin "purge of / as nobody: refused before anything"
	if setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$MINILAUNCH" --home / delete --purge 2>"$T_TMP/err"; then
		t_fail "exit 0"
	else
		t_pass
	fi
	t_check "purge of / names it" grep -qF "refusing to purge '/': it is the root directory" "$T_TMP/err"
else
	t_skip "purge of /" "needs root to run it as nobody"
fi

# a home minilaunch made is marked and purged; an older one with only
# minilaunch's entries is marked when used
real=$T_TMP/real
MINILAUNCH_HOME=$real "$MINILAUNCH" -p dev config set cpus 1
t_check "a new home gets the marker" test -f "$real/.minilaunch-home"
rm "$real/.minilaunch-home"
mkdir -p "$real/certs" "$real/cache/iso"
MINILAUNCH_HOME=$real t_run -p dev config view
t_check "an older home is marked when used" test -f "$real/.minilaunch-home"
rm -r "$real/profiles/dev" # deleting a profile needs libvirt
MINILAUNCH_HOME=$real t_run delete --purge
t_eq "purge of a real home: exit 0" 0 "$T_RC"
t_check "purge of a real home removed it" test ! -e "$real"
mkdir -p "$real/profiles" "$real/certs"
MINILAUNCH_HOME=$real t_run delete --purge
t_eq "purge of an older home with only minilaunch's entries: exit 0" 0 "$T_RC"
t_check "the older home is gone" test ! -e "$real"
MINILAUNCH_HOME=$real t_run delete --purge
t_eq "purge of a missing home: exit 0" 0 "$T_RC"

t_summary
