#!/bin/bash
# iso/lib/binary-image, the builder of the node image's own images (DNS,
# storage provisioner, registry), with this Debian host's / standing in
# for the node's debootstrap tree (it has an ld.so.cache and the same
# libraries): the archive's manifest and config, the layer's files and
# modes, that a program runs in the layer's tree alone (chroot, as root),
# that the same inputs give the same archive, and the errors. No VM, no
# Docker daemon.
. "$ML_TOP_SRCDIR/tests/lib.sh"

BI="$ML_TOP_SRCDIR/iso/lib/binary-image"
PROV="$ML_TOP_BUILDDIR/src/guest/ml-storage-provisioner"
O=$T_TMP/out
mkdir -p "$O"

for tool in readelf strip ldconfig jq file "$PROV"; do
	command -v "$tool" >/dev/null || {
		t_fail "$tool is not installed"
		t_summary
		exit 1
	}
done

printf 'a: 1\n' >"$T_TMP/conf.yml"
build() { # build OUT.tar: the test image
	bash "$BI" --bin "$PROV:/usr/lib/minilaunch/prov" \
		--exe /usr/bin/true:/usr/bin/true \
		--file "$T_TMP/conf.yml:/etc/x/conf.yml" --dir /var/lib/x \
		--user svc:100:101:/var/lib/x --port 5000/tcp --port 53/udp \
		--cmd serve --cmd /etc/x/conf.yml \
		/ "$1" example/test:1 /usr/lib/minilaunch/prov
}
t_check "builds" build "$O/a.tar"
mkdir -p "$O/a"
tar -C "$O/a" -xf "$O/a.tar"
t_eq "manifest: tag" example/test:1 "$(jq -r '.[0].RepoTags[0]' "$O/a/manifest.json")"
cfg=$O/a/$(jq -r '.[0].Config' "$O/a/manifest.json")
layer=$O/a/$(jq -r '.[0].Layers[0]' "$O/a/manifest.json")
t_eq "config: entrypoint and cmd" '["/usr/lib/minilaunch/prov"] ["serve","/etc/x/conf.yml"]' \
	"$(jq -c '.config.Entrypoint' "$cfg") $(jq -c '.config.Cmd' "$cfg")"
t_eq "config: ports" '["5000/tcp","53/udp"]' "$(jq -c '.config.ExposedPorts | keys_unsorted' "$cfg")"
t_eq "config: the layer's digest" "sha256:$(sha256sum "$layer" | cut -c1-64)" \
	"$(jq -r '.rootfs.diff_ids[0]' "$cfg")"

R=$O/root
mkdir -p "$R"
tar -C "$R" -xf "$layer"
t_check "layer: our program, stripped" sh -c "file '$R/usr/lib/minilaunch/prov' | grep -q stripped"
t_check "layer: the program as it is" cmp /usr/bin/true "$R/usr/bin/true"
t_eq "layer: the file, 0644" "644 a: 1" "$(stat -c %a "$R/etc/x/conf.yml") $(cat "$R/etc/x/conf.yml")"
t_check "layer: the directory" test -d "$R/var/lib/x"
t_check "layer: the loader" test -f "$R/usr/lib64/ld-linux-x86-64.so.2"
t_check "layer: libc and libcurl by soname" test -f "$R/usr/lib/x86_64-linux-gnu/libc.so.6" -a \
	-f "$R/usr/lib/x86_64-linux-gnu/libcurl.so.4"
t_eq "layer: merged /usr links" "usr/bin usr/lib usr/lib64 usr/sbin" \
	"$(for l in bin lib lib64 sbin; do readlink "$R/$l"; done | xargs)"
t_eq "layer: passwd" "root svc nobody" "$(cut -d: -f1 "$R/etc/passwd" | xargs)"
t_eq "layer: the user's ids and home" "svc:x:100:101:svc:/var/lib/x:/usr/sbin/nologin" \
	"$(grep '^svc:' "$R/etc/passwd")"
t_eq "layer: group" "root svc:101 nogroup" \
	"$(awk -F: '{print ($1 == "svc" ? $1 ":" $3 : $1)}' "$R/etc/group" | xargs)"
t_eq "layer: /tmp 1777" 1777 "$(stat -c %a "$R/tmp")"
t_eq "layer: fixed owners and mtimes" 0 \
	"$(tar --numeric-owner -tvf "$layer" | awk '$2 != "0/0" || $4 != "1970-01-01"' | wc -l)"
if [ "$(id -u)" = 0 ]; then
	t_check "the program runs in the layer's tree alone" \
		sh -c "chroot '$R' /usr/lib/minilaunch/prov --help | grep -q '^usage: ml-storage-provisioner'"
else
	t_skip "the program runs in the layer's tree alone" "chroot needs root"
fi

t_check "builds again" build "$O/b.tar"
t_check "reproducible: the same archive" cmp "$O/a.tar" "$O/b.tar"

# errors
bash "$BI" / "$O/c.tar" t:1 /usr/bin/none 2>"$T_TMP/err"
t_check "an entrypoint that is no program: refused" grep -q "the entrypoint '/usr/bin/none' is not one of the programs" "$T_TMP/err"
bash "$BI" --exe /nonexistent:/x / "$O/c.tar" t:1 /x 2>"$T_TMP/err"
t_check "a missing program: named" grep -q "no program at '/nonexistent'" "$T_TMP/err"
bash "$BI" --exe /usr/bin/true / "$O/c.tar" t:1 /x 2>"$T_TMP/err"
t_check "a spec without DEST: refused" grep -q "'/usr/bin/true' is not SRC:DEST" "$T_TMP/err"
mkdir -p "$T_TMP/bare/etc" "$T_TMP/bare/lib64"
cp /etc/ld.so.cache "$T_TMP/bare/etc/"
cp -L /lib64/ld-linux-x86-64.so.2 "$T_TMP/bare/lib64/"
bash "$BI" --exe /usr/bin/true:/usr/bin/true "$T_TMP/bare" "$O/c.tar" t:1 /usr/bin/true 2>"$T_TMP/err"
t_check "a library missing from ROOTFS: named, with who needs it" \
	grep -q "libc.so.6 (needed by /usr/bin/true) is not in '$T_TMP/bare'" "$T_TMP/err"
t_check "no archive left by the failures" test ! -e "$O/c.tar"

t_summary
