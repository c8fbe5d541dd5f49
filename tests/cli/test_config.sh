#!/bin/bash
# minilaunch config: set/get/unset/view, validation, corrupted files, locking.
. "$ML_TOP_SRCDIR/tests/lib.sh"

cfg=$MINILAUNCH_HOME/profiles/minilaunch/config.json

t_run config view
t_eq "view of a missing profile fails" 1 "$T_RC"
t_check "missing profile is named" grep -q "profile 'minilaunch' not found" "$T_TMP/err"
t_check "config set makes the profile" "$MINILAUNCH" config set memory 4g
t_check "config.json exists" test -f "$cfg"
t_eq "config.json mode" 600 "$(stat -c %a "$cfg")"
t_eq "profile dir mode" 700 "$(stat -c %a "$MINILAUNCH_HOME/profiles/minilaunch")"
t_check "config.json has the schema" jq -e '.schema == 1 and .config.memory == "4g"' "$cfg"
t_run config get memory
t_eq "get returns the value" "4g" "$T_OUT"
"$MINILAUNCH" config set cpus 1
"$MINILAUNCH" config set kubernetes-version 1.20.2
"$MINILAUNCH" config set driver-uri qemu:///session
"$MINILAUNCH" config set iso-url "file://$T_TMP/x.iso"
t_run config view
t_eq "view lists settings in key order" "- cpus: 1
- memory: 4g
- kubernetes-version: v1.20.2
- driver-uri: qemu:///session
- iso-url: file://$T_TMP/x.iso" "$T_OUT"
t_check "unset" "$MINILAUNCH" config unset iso-url
t_run config get iso-url
t_eq "get of an unset key fails" 1 "$T_RC"
t_eq "get of an unset key prints nothing" "" "$T_OUT"

# bad values: usage errors, nothing written
before=$(cat "$cfg")
nproc=$(nproc)
for bad in "memory 10m" "memory 1799m" "memory lots" "cpus 0" "cpus $((nproc + 1))" \
	"cpus two" "disk-size 1m" "disk-size 17000000t" "kubernetes-version 1.20" "driver-uri vbox://x" \
	"driver-uri qemu+ext:///system?command=$T_TMP/x" \
	"driver-uri qemu+ext:///system?command=$T_TMP/x&a=/system" \
	"driver-uri qemu+ssh://127.0.0.1/system" \
	"driver-uri qemu+unix:///system?socket=/a&command=$T_TMP/x" \
	"container-runtime containerd" "iso-url ftp://x/y" "iso-url http://x/y.iso" \
	"iso-sha256 abc" "iso-sha256 $(printf '%063dg' 0)" "binary-mirror nope" "nokey 1"; do
	t_run config set $bad
	t_eq "config set $bad is a usage error" 64 "$T_RC"
	t_eq "config set $bad: one line" 1 "$(wc -l <"$T_TMP/err")"
done
t_eq "rejected values changed nothing" "$before" "$(cat "$cfg")"
t_check "the error names the fix" grep -q "at least" <("$MINILAUNCH" config set memory 10m 2>&1)
t_check "plain http is refused for the image, naming https" \
	grep -q "give an https://" <("$MINILAUNCH" config set iso-url http://x/y.iso 2>&1)
sum=$(printf 'AB%062d' 0)
t_check "iso-sha256 is a setting" "$MINILAUNCH" config set iso-sha256 "$sum"
t_eq "iso-sha256 is kept in lowercase" "ab$(printf '%062d' 0)" "$("$MINILAUNCH" config get iso-sha256)"
"$MINILAUNCH" config unset iso-sha256

# a corrupted file is reported by name and never rewritten
printf '{"schema": 1, "config": {"cpus": ' >"$cfg"
cp "$cfg" "$T_TMP/corrupt"
for args in "config view" "config get cpus" "config set cpus 1" "config unset cpus"; do
	t_run $args
	t_eq "$args on a corrupted file: exit 1" 1 "$T_RC"
	t_check "$args names the file" grep -qF "'$cfg'" "$T_TMP/err"
	t_check "$args leaves it untouched" cmp -s "$cfg" "$T_TMP/corrupt"
done
# a hand-edited value is checked on load as config set checks it; config
# set and unset still mend the file
printf '#!/bin/sh\ntouch %s/ran\n' "$T_TMP" >"$T_TMP/x"
chmod +x "$T_TMP/x"
for kv in "disk-size=17000000t" "driver-uri=qemu+ext:///system?command=$T_TMP/x&a=/system" \
	"memory=lots"; do
	key=${kv%%=*} val=${kv#*=}
	jq -n --arg k "$key" --arg v "$val" '{schema: 1, config: {($k): $v}}' >"$cfg"
	cp "$cfg" "$T_TMP/hand"
	for args in "config view" "config get $key" "status"; do
		t_run $args
		t_eq "$args with a bad $key in the file: exit 1" 1 "$T_RC"
		t_eq "$args with a bad $key: one line" 1 "$(wc -l <"$T_TMP/err")"
		t_check "$args with a bad $key names the file" grep -qF "'$cfg'" "$T_TMP/err"
		t_check "$args with a bad $key names the fix" \
			grep -qF "minilaunch config set $key VALUE" "$T_TMP/err"
		t_check "$args with a bad $key leaves the file" cmp -s "$cfg" "$T_TMP/hand"
	done
	t_check "config unset mends a bad $key" "$MINILAUNCH" config unset "$key"
	t_check "the profile loads after unset $key" "$MINILAUNCH" config view
done
t_check "a bad driver-uri in the file ran nothing" test ! -e "$T_TMP/ran"
echo '{"schema": 1, "config": {"disk-size": "17000000t"}}' >"$cfg"
t_check "config set mends a bad value" "$MINILAUNCH" config set disk-size 30g
t_run config get disk-size
t_eq "the mended value is read" "30g" "$T_OUT"
echo '{"schema": 2, "config": {}}' >"$cfg"
t_run config view
t_eq "unknown schema: exit 1" 1 "$T_RC"
t_check "unknown schema is named" grep -q "schema version 2" "$T_TMP/err"
rm "$cfg"

# parallel writers of one profile lose nothing; other profiles run alongside
keys=(cpus memory disk-size kubernetes-version driver-uri container-runtime iso-url binary-mirror)
vals=(1 2g 30g v1.20.2 qemu:///system docker file:///a https://example.invalid/m)
for i in "${!keys[@]}"; do
	"$MINILAUNCH" config set "${keys[$i]}" "${vals[$i]}" &
	"$MINILAUNCH" -p "other$i" config set cpus 1 &
done
wait
for i in "${!keys[@]}"; do
	t_eq "parallel set ${keys[$i]} kept" "${vals[$i]}" "$("$MINILAUNCH" config get "${keys[$i]}")"
done
t_eq "parallel profiles all made" 9 "$(ls "$MINILAUNCH_HOME/profiles" | wc -l)"
t_eq "no temp files left" 0 "$(find "$MINILAUNCH_HOME" -name '*.tmp*' | wc -l)"

# start checks the image against a pinned --iso-sha256, not URL.sha256
mkdir -p "$T_TMP/pin"
img=$T_TMP/pin/node.iso
printf 'not an image\n' >"$img"
printf '%064d  node.iso\n' 0 >"$img.sha256" # a checksum file that lies
wrong=$(printf '%064d' 1)
t_run -p pin start --iso-url "file://$img" --iso-sha256 "$wrong"
t_eq "start with a wrong pinned digest fails" 1 "$T_RC"
t_check "it names the pinned digest" grep -q "not the expected $wrong" "$T_TMP/err"
t_run -p pin start --iso-url "file://$img" --iso-sha256 "$(sha256sum "$img" | cut -c1-64)"
t_check "the right pinned digest passes, whatever URL.sha256 says" \
	grep -q "cannot read node image .*/cache/iso/node.iso" "$T_TMP/err"
t_run -p pin start --iso-url "http://127.0.0.1:1/node.iso"
t_eq "start refuses a plain http --iso-url" 64 "$T_RC"
t_check "start names https as the fix" grep -q "give an https://" "$T_TMP/err"

# the network keys (docs/networking.md): valid values are kept as given
# (no-proxy without the spaces around its items), bad ones are one-line
# usage errors naming the key, and nothing is written
for kv in "network offline" "network online" \
	"registry-mirror https://mirror.example" \
	"registry-mirror https://m1.example:5000/v2,http://10.0.2.2:5001" \
	"insecure-registry host.minilaunch.internal:5000" \
	"insecure-registry reg.example,10.5.0.0/16,[fd00::1]:5000" \
	"http-proxy http://proxy.example:3128" "http-proxy proxy.example:3128" \
	"http-proxy http://user:pw@127.0.0.1:3128" "https-proxy socks5://localhost:1080" \
	"no-proxy .corp.example,10.1.0.0/16,*.internal"; do
	t_check "config set $kv" "$MINILAUNCH" -p net config set $kv
	t_eq "config get ${kv%% *} returns it" "${kv#* }" "$("$MINILAUNCH" -p net config get ${kv%% *})"
done
"$MINILAUNCH" -p net config set no-proxy ' a.example , b.example,,'
t_eq "no-proxy drops the spaces around items and empty ones" "a.example,b.example" \
	"$("$MINILAUNCH" -p net config get no-proxy)"
netcfg=$MINILAUNCH_HOME/profiles/net/config.json
before=$(cat "$netcfg")
for bad in "network airgapped" "network Online" "registry-mirror ftp://m.example" \
	"registry-mirror mirror.example" "registry-mirror https://" \
	"registry-mirror https://a.example,,https://b.example" \
	'registry-mirror https://m.example/$(id)' "registry-mirror https://m.example\"x" \
	"insecure-registry http://reg.example:5000" "insecure-registry reg.example:99999" \
	"insecure-registry reg.example:" "insecure-registry 10.0.0.0/33" "insecure-registry .x" \
	"http-proxy ftp://proxy.example" "http-proxy http://" "https-proxy http://p.example:3128\`id\`" \
	"no-proxy a.example,b;c" "no-proxy ," "no-proxy a.example,b\"c"; do
	t_run -p net config set $bad
	t_eq "config set $bad is a usage error" 64 "$T_RC"
	t_eq "config set $bad: one line" 1 "$(wc -l <"$T_TMP/err")"
	t_check "config set $bad names the key" grep -q "invalid ${bad%% *} " "$T_TMP/err"
done
t_eq "rejected network values changed nothing" "$before" "$(cat "$netcfg")"
t_check "a bad network names the values" grep -q "give online or offline" \
	<("$MINILAUNCH" -p net config set network airgapped 2>&1)

# start's network flags are checked before anything is made; repeated
# flags are joined into the one setting
for bad in "--network airgapped" "--registry-mirror nope" "--insecure-registry a:b" \
	"--docker-env FOO=bar" "--docker-env HTTP_PROXY" "--docker-env HTTP_PROXY=ftp://x" \
	"--docker-env no_proxy=a;b"; do
	t_run -p netfresh start $bad
	t_eq "start $bad: usage error" 64 "$T_RC"
	t_eq "start $bad: one line" 1 "$(wc -l <"$T_TMP/err")"
done
t_check "bad network flags created nothing" test ! -e "$MINILAUNCH_HOME/profiles/netfresh"
t_check "--docker-env names the variables it takes" \
	grep -q "give HTTP_PROXY=URL, HTTPS_PROXY=URL or NO_PROXY=LIST" <("$MINILAUNCH" -p netfresh start --docker-env FOO=bar 2>&1)
t_check "repeated --insecure-registry are one list" \
	grep -qF "invalid insecure-registry 'reg.example:5000,a:b'" \
	<("$MINILAUNCH" -p netfresh start --insecure-registry reg.example:5000 --insecure-registry a:b 2>&1)
t_check "--docker-env takes the variable in any case" \
	grep -qF "invalid https-proxy 'ftp://x'" <("$MINILAUNCH" -p netfresh start --docker-env Https_Proxy=ftp://x 2>&1)

# status shows the node's network: the settings of a profile never
# started, else what its last start gave the node
jq -n '{schema: 1, config: {network: "offline", "insecure-registry": "r.example:5000,10.5.0.0/16"}}' >"$netcfg"
t_run -p net status
t_check "status says the network" grep -qx "network: offline" "$T_TMP/out"
t_run -p net status -o json
t_check "status -o json: the settings" jq -e '.network == "offline" and
	.hostAlias == "host.minilaunch.internal" and .proxy == {} and
	.registryMirrors == [] and .insecureRegistries == ["r.example:5000", "10.5.0.0/16"]' "$T_TMP/out"
jq -n '{schema: 1, config: {network: "offline"}, state: {network: "online",
	"registry-mirror": "https://m.example", "http-proxy": "http://10.0.2.2:3128",
	"no-proxy": "localhost,net"}}' >"$netcfg"
t_run -p net status -o json
t_check "status -o json: what the node got at its start" jq -e '.network == "online" and
	.proxy == {"HTTP_PROXY": "http://10.0.2.2:3128", "NO_PROXY": "localhost,net"} and
	.registryMirrors == ["https://m.example"] and .insecureRegistries == []' "$T_TMP/out"
t_run -p netnone status -o json
t_check "status -o json of a missing profile: online by default" \
	jq -e '.network == "online" and .proxy == {}' "$T_TMP/out"

t_summary
