#!/bin/bash
# minilaunch image against a real Docker daemon: dockerd runs on this host
# with the profile's server certificate, on 127.0.0.1 and TLS only, standing
# in for the VM's (tests/integration/lib-dockerd.sh). Build, list, save,
# remove and load round trips; archives that are cut, damaged or not
# archives at all are refused before a byte is sent. No network: every
# image is FROM scratch.
. "$ML_TOP_SRCDIR/tests/lib.sh"
. "$ML_TOP_SRCDIR/tests/integration/lib-dockerd.sh"

ml_dockerd_start dev 48443
daemon="the Docker daemon of 'dev' at https://127.0.0.1:$ML_DOCKERD_PORT"
# the checks' own docker CLI, on the daemon's unix socket
dk() { docker -H "unix://$ML_DOCKERD_SOCK" "$@"; }
ml() { t_run -p dev image "$@"; }
# image ls -o json: the id of REPO:TAG, or nothing
id_of() {
	"$MINILAUNCH" -p dev image ls -o json |
		jq -r --arg r "${1%:*}" --arg t "${1##*:}" '.[] | select(.repository == $r and .tag == $t) | .id'
}

# --- build ---
ctx=$T_TMP/ctx
mkdir -p "$ctx"
cp /bin/busybox "$ctx/busybox"
printf 'hello from minilaunch\n' >"$ctx/hello.txt"
printf 'secret\n' >"$ctx/notes.log"
printf '*.log\n' >"$ctx/.dockerignore"
printf 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY . /ctx/\n' >"$ctx/Dockerfile"
ml build "$ctx" -t mlimg:1
t_eq "image build exits 0" "0" "$T_RC"
t_check "the build's steps are printed as docker prints them" grep -q '^Step 2/3 : COPY busybox /bin/busybox' "$T_TMP/out"
t_check "the build says what it tagged" grep -q '^Successfully tagged mlimg:1' "$T_TMP/out"
dk create --name c1 mlimg:1 /bin/busybox true >/dev/null
dk export c1 | tar -t >"$T_TMP/files"
dk rm c1 >/dev/null
t_check "the context was sent" grep -qx 'ctx/hello.txt' "$T_TMP/files"
t_check ".dockerignore kept notes.log out" bash -c "! grep -q 'notes.log' '$T_TMP/files'"

# --- ls ---
ml ls
t_eq "image ls exits 0" "0" "$T_RC"
t_check "image ls has docker's columns" grep -Eq '^REPOSITORY +TAG +IMAGE ID +SIZE$' "$T_TMP/out"
id=$(id_of mlimg:1)
t_check "image ls -o json gives the image's id" grep -Eq '^sha256:[0-9a-f]{64}$' <<<"$id"
t_eq "the id is the daemon's" "$(dk image inspect -f '{{.Id}}' mlimg:1)" "$id"
short=${id#sha256:}
short=${short:0:12}
t_check "image ls shows mlimg 1 and the short id" grep -Eq "^mlimg +1 +$short +[0-9.]+MB$" "$T_TMP/out"
t_eq "image ls -o json gives the size in bytes" "$(dk image inspect -f '{{.Size}}' mlimg:1)" \
	"$("$MINILAUNCH" -p dev image ls -o json | jq '.[] | select(.repository == "mlimg") | .size')"

# --- save, rm, load ---
dk save -o "$T_TMP/mlimg.tar" mlimg:1
ml rm mlimg:1
t_eq "image rm exits 0" "0" "$T_RC"
t_check "image rm says what it untagged" grep -qx 'Untagged: mlimg:1' "$T_TMP/out"
t_check "image rm says what it deleted" grep -qx "Deleted: $id" "$T_TMP/out"
t_eq "the image is gone" "" "$(id_of mlimg:1)"
ml load "$T_TMP/mlimg.tar"
t_eq "image load exits 0" "0" "$T_RC"
t_check "image load: its steps, as plain lines off a terminal" grep -q "^  ✓ Loading '$T_TMP/mlimg.tar' (mlimg:1) into $daemon" "$T_TMP/err"
t_eq "image load prints what it loaded" "Loaded image: mlimg:1" "$T_OUT"
t_eq "image ls shows it again with the same id" "$id" "$(id_of mlimg:1)"
ml rm mlimg:1
"$MINILAUNCH" -p dev image load - <"$T_TMP/mlimg.tar" >"$T_TMP/out" 2>"$T_TMP/err"
t_eq "image load - reads standard input" "Loaded image: mlimg:1" "$(cat "$T_TMP/out")"
t_eq "loaded from stdin with the same id" "$id" "$(id_of mlimg:1)"
t_eq "the spooled copy is gone" "" "$(ls -A "$MINILAUNCH_HOME/tmp")"
t_eq "the spool is 0700" "700" "$(stat -c %a "$MINILAUNCH_HOME/tmp")"
# the tmp/ it leaves is minilaunch's own: delete --purge still takes a home
# that has one (here a home of no profile, so that no driver is asked)
mkdir -p "$T_TMP/h2" && cp -a "$MINILAUNCH_HOME/tmp" "$T_TMP/h2/"
t_run --home "$T_TMP/h2" delete --purge
t_eq "delete --purge of a home with tmp/" "0" "$T_RC"
# a pipe as FILE is read once, spooled like stdin
"$MINILAUNCH" -p dev image load <(cat "$T_TMP/mlimg.tar") >"$T_TMP/out" 2>"$T_TMP/err"
t_eq "image load of a pipe" "Loaded image: mlimg:1" "$(cat "$T_TMP/out")"

# --- archives refused before a byte is sent ---
ml rm mlimg:1
before=$("$MINILAUNCH" -p dev image ls -o json)
size=$(stat -c %s "$T_TMP/mlimg.tar")
head -c $((size / 2)) "$T_TMP/mlimg.tar" >"$T_TMP/cut.tar"
ml load "$T_TMP/cut.tar"
t_eq "a cut archive fails" "1" "$T_RC"
# stderr: the steps' lines ("  ✗ Checking ..."), then the one error
t_eq "a cut archive: one line naming it" \
	"minilaunch: error: '$T_TMP/cut.tar' is not a complete image archive: Truncated tar archive; nothing was loaded" \
	"$(grep error: "$T_TMP/err")"
t_check "a cut archive: never sent" bash -c "! grep -q Loading '$T_TMP/err'"
# cut at a block boundary: every tar reader, dockerd's too, reads a shorter tar
head -c $((size - 1024)) "$T_TMP/mlimg.tar" >"$T_TMP/cut2.tar"
ml load "$T_TMP/cut2.tar"
t_check "an archive without its end marker fails" grep -q "'$T_TMP/cut2.tar' is not a complete image archive: it ends without the tar end marker" "$T_TMP/err"
head -c $((size / 2)) "$T_TMP/mlimg.tar" | "$MINILAUNCH" -p dev image load - >"$T_TMP/out" 2>"$T_TMP/err"
t_check "a cut archive on stdin fails" grep -q "standard input is not a complete image archive" "$T_TMP/err"
t_eq "nothing of the cut archives was loaded" "$before" "$("$MINILAUNCH" -p dev image ls -o json)"
t_eq "no layer of them either" "" "$(dk images -a -q)"
printf 'not an archive\n' >"$T_TMP/text.tar"
ml load "$T_TMP/text.tar"
t_check "a file that is no tar is refused" grep -q "'$T_TMP/text.tar' is not a tar archive" "$T_TMP/err"
ml load "$T_TMP/missing.tar"
t_eq "a missing file" "minilaunch: error: cannot open '$T_TMP/missing.tar': No such file or directory" "$T_ERR"
tar -C "$ctx" -cf "$T_TMP/plain.tar" hello.txt
ml load "$T_TMP/plain.tar"
t_check "a tar that docker save did not write" grep -q "is not a 'docker save' archive: it has neither manifest.json nor repositories" "$T_TMP/err"

# --- rm ---
ml rm nosuch:1
t_eq "image rm of a missing image fails" "1" "$T_RC"
t_eq "image rm of a missing image names it and the daemon" \
	"minilaunch: error: cannot remove image 'nosuch:1' from $daemon: No such image: nosuch:1" "$T_ERR"

# --- failing builds ---
printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "false"]\n' >"$T_TMP/Failing.dockerfile"
ml build "$ctx" -t bad:1 -f "$T_TMP/Failing.dockerfile"
t_eq "a failing RUN fails the build" "1" "$T_RC"
t_check "a failing RUN: the daemon's message" grep -q "cannot build 'bad:1' in $daemon: The command '/bin/busybox false' returned a non-zero code: 1" "$T_TMP/err"
t_check "a Dockerfile outside the context was sent" grep -q '^Step 3/3 : RUN \["/bin/busybox", "false"\]' "$T_TMP/out"
printf 'FROMM scratch\n' >"$ctx/Broken"
ml build "$ctx" -t bad:2 -f "$ctx/Broken"
t_check "a Dockerfile error fails the build with the daemon's message" \
	grep -q "cannot build 'bad:2' in $daemon: .*unknown instruction: FROMM" "$T_TMP/err"
t_eq "the failed builds tagged nothing" "" "$(id_of bad:1)$(id_of bad:2)"
ml build "$T_TMP/nowhere" -t x:1
t_check "a missing context" grep -q "cannot read the build context '$T_TMP/nowhere'" "$T_TMP/err"

# --- a terminal gets the progress bar (script(1) gives it one) ---
script -qec "'$MINILAUNCH' -p dev image load '$T_TMP/mlimg.tar'" /dev/null >"$T_TMP/tty" 2>&1
t_check "image load on a terminal draws a progress bar" grep -Eq '\[[# ]{20}\] [0-9.]+[kM]?B of [0-9.]+MB' "$T_TMP/tty"
t_check "image load on a terminal prints what it loaded" grep -q 'Loaded image: mlimg:1' "$T_TMP/tty"

# an image a container uses stays, and the daemon says why
dk create --name user mlimg:1 /bin/busybox true >/dev/null
ml rm mlimg:1 nosuch:2
t_eq "image rm of an image a container uses fails" "1" "$T_RC"
t_check "image rm of an image in use: the daemon's reason" \
	grep -q "cannot remove image 'mlimg:1' from $daemon: conflict: .*container .* is using" "$T_TMP/err"
t_eq "the image in use stays" "$id" "$(id_of mlimg:1)"
dk rm user >/dev/null

# --- valgrind: no invalid access or leak, on success and error paths ---
if command -v valgrind >/dev/null; then
	t_valgrind "image ls -o json" -p dev image ls -o json
	t_valgrind "image load" -p dev image load "$T_TMP/mlimg.tar"
	t_valgrind "image load of a cut archive" -p dev image load "$T_TMP/cut.tar"
	t_valgrind "image rm of a missing image" -p dev image rm nosuch:1
	t_valgrind "image a failing build" -p dev image build "$ctx" -t bad:1 -f "$T_TMP/Failing.dockerfile"
else
	t_skip "valgrind: image" "valgrind is not installed"
fi

# --- usage, and a daemon this profile's CA did not sign ---
ml
t_eq "image without a verb is a usage error" "64" "$T_RC"
ml build "$ctx"
t_check "image build without -t" grep -q "needs -t NAME\[:TAG\]" "$T_TMP/err"
ml ls -t x
t_check "a flag of another verb" grep -q "flag '--tag' is not one of 'image ls'" "$T_TMP/err"
"$ML_FIXTURE" "$MINILAUNCH_HOME" other Running "$ML_DOCKERD_PORT" 48444
t_run -p other image ls
t_check "another profile's client refuses this daemon's certificate" \
	grep -q "cannot list the images of the Docker daemon of 'other' at https://127.0.0.1:$ML_DOCKERD_PORT: .*SSL" "$T_TMP/err"
"$ML_FIXTURE" "$MINILAUNCH_HOME" stopped Stopped
t_run -p stopped image ls
t_check "a stopped profile: said so" grep -q "profile 'stopped' is not running" "$T_TMP/err"

t_summary
