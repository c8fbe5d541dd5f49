#!/bin/bash
# minilaunch mount: HOST_DIR:GUEST_DIR checked before anything else, each
# mistake with its one-line message; valid arguments reach the profile's
# checks. Then the whole command against a stand-in for ssh into the node
# (tests/cli/fake-node-ssh, a test double: no node runs here without a VM,
# and this kernel has no 9p client), which speaks 9P to the real server
# through the forward's host end: what the node reads and writes, the one
# listener on 127.0.0.1, the refused second mount, SIGINT's unmount. The
# real node's side is in tests/e2e (test_mount.sh.part).
. "$ML_TOP_SRCDIR/tests/lib.sh"

host="$T_TMP/share"
mkdir -p "$host"
touch "$T_TMP/file"

# mount_err NAME RC MESSAGE-PATTERN ARGS...: exit code and message
mount_err() {
	local name=$1 rc=$2 pat=$3
	shift 3
	t_run mount "$@"
	t_eq "$name: exit code" "$rc" "$T_RC"
	t_check "$name: says so" grep -q -- "$pat" "$T_TMP/err"
	t_eq "$name: one line" 1 "$(wc -l <"$T_TMP/err")"
}

mount_err "no argument" 64 "mount takes one HOST_DIR:GUEST_DIR"
mount_err "two arguments" 64 "mount takes one HOST_DIR:GUEST_DIR" "$host:/mnt/a" "$host:/mnt/b"
mount_err "no guest dir" 64 "'$host' is not HOST_DIR:GUEST_DIR" "$host"
mount_err "relative guest dir" 64 "is not HOST_DIR:GUEST_DIR, with GUEST_DIR absolute" "$host:mnt/x"
mount_err "no host dir" 64 "is not HOST_DIR:GUEST_DIR" ":/mnt/x"
mount_err "guest dir with a space" 64 "guest directory '/mnt/a b' may hold only" "$host:/mnt/a b"
mount_err "guest dir with a quote" 64 "may hold only" "$host:/mnt/a'b"
mount_err "guest dir with .." 64 "must not hold '.' or '..'" "$host:/mnt/../etc"
mount_err "the node's root" 64 "guest directory '/' is the node's own" "$host:/"
mount_err "the node's /etc" 64 "guest directory '/etc/' is the node's own" "$host:/etc/"
mount_err "missing host dir" 1 "host directory '$T_TMP/gone' cannot be mounted: .*: give an existing directory" "$T_TMP/gone:/mnt/x"
mount_err "host file" 1 "host directory '$T_TMP/file' is not a directory" "$T_TMP/file:/mnt/x"
mount_err "msize too small" 64 "\-\-msize '100' is not a number from 4096 to 1048576" "$host:/mnt/x" --msize 100
mount_err "msize not a number" 64 "\-\-msize '8k' is not a number" "$host:/mnt/x" --msize 8k
mount_err "negative uid" 64 "\-\-uid '-1' is not a number" "$host:/mnt/x" --uid -1
mount_err "gid not a number" 64 "\-\-gid 'docker' is not a number" "$host:/mnt/x" --gid docker

# a host path may hold ':'; the last ":/" splits
mkdir -p "$T_TMP/a:b"
mount_err "host dir with ':', no profile" 1 "profile 'minilaunch' not found" "$T_TMP/a:b:/mnt/x"
"$MINILAUNCH" -p dev config set cpus 1
mount_err "valid, stopped profile" 1 "profile 'dev' is not running" -p dev "$host:/data" --uid 1000 --gid 1000 --msize 65536

t_run mount --help
t_check "help names the flags" grep -q -- "--msize BYTES" "$T_TMP/out"

# --- the command, against the stand-in node
SSHPORT=$(t_free_port)
"$ML_FIXTURE" "$MINILAUNCH_HOME" node Running "$(t_free_port)" "$(t_free_port)"
sed -i "s/\"ports\": {/\"ports\": {\"ssh\": $SSHPORT,/" "$MINILAUNCH_HOME/profiles/node/config.json"
echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyOfTheStandInNode node" \
	>"$MINILAUNCH_HOME/profiles/node/certs/ssh_host_key.pub"
mkdir -p "$MINILAUNCH_HOME/profiles/node/machine" # start makes it
t_listen "$SSHPORT"
mkdir -p "$T_TMP/bin" "$T_TMP/node"
ln -s "$ML_TOP_SRCDIR/tests/cli/fake-node-ssh" "$T_TMP/bin/ssh"
export PATH="$T_TMP/bin:$PATH" FAKE_NODE="$T_TMP/node"
echo "written on the host" >"$host/from-host.txt"
touch "$T_TMP/node/wait"
"$MINILAUNCH" -p node mount "$host:/data/share" --msize 65536 \
	>"$T_TMP/mount.out" 2>"$T_TMP/mount.err" &
pid=$!
T_PIDS="$T_PIDS $pid"
# another local process connecting first is not served: only the mount's
# own ssh is
hport=
for _ in $(seq 1 $((50 * T_LOAD))); do
	hport=$(ss -Hltnp | grep "pid=$pid," | awk '{print $4}')
	[ -n "$hport" ] && break
	sleep 0.2
done
t_check "the server listens on 127.0.0.1 only" grep -q '^127\.0\.0\.1:[0-9]*$' <<<"$hport"
t_eq "an intruder's Tversion gets no answer" "closed" "$(python3 -c '
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(struct.pack("<IBHIH", 21, 100, 0xffff, 8192, 8) + b"9P2000.L")
s.settimeout(10)
try:
    got = s.recv(100)
except ConnectionResetError:
    got = b""
print("answered" if got else "closed")' "${hport#*:}")"
touch "$T_TMP/node/go"
for _ in $(seq 1 $((50 * T_LOAD))); do
	grep -q "^Mounted" "$T_TMP/mount.out" && break
	sleep 0.2
done
t_check "the intruder was refused, said on stderr" grep -q "another process than its ssh, refused" "$T_TMP/mount.err"
t_eq "mounted: says so" "Mounted '$host' on '/data/share' in the node: Ctrl-C to unmount" \
	"$(cat "$T_TMP/mount.out")"
t_eq "the node read the host's file" "written on the host" "$(cat "$T_TMP/node/read.txt" 2>/dev/null)"
t_eq "the host has the node's file" "written by the node" "$(cat "$host/from-node.txt" 2>/dev/null)"
t_check "the forward: node's loopback to the host's loopback" \
	grep -Eq -- "-R 127\.0\.0\.1:[0-9]+:127\.0\.0\.1:[0-9]+ docker@127\.0\.0\.1" "$T_TMP/node/calls"
t_eq "after the node's connection, nothing listens" "" \
	"$(ss -Hltnp | grep "pid=$pid," | awk '{print $4}')"
t_run -p node mount "$T_TMP:/data/share"
t_eq "second mount of the same dir: exit 1" 1 "$T_RC"
t_check "... says it is mounted already" \
	grep -q "'/data/share' is already a mount point in the node" "$T_TMP/err"
t_check "... the first still runs" kill -0 "$pid"
kill -INT "$pid"
rc=
for _ in $(seq 1 $((50 * T_LOAD))); do
	kill -0 "$pid" 2>/dev/null || { wait "$pid"; rc=$?; break; }
	sleep 0.2
done
t_eq "SIGINT: exit 0" 0 "$rc"
t_check "SIGINT: unmounted in the node, the server answering" test -e "$T_TMP/node/unmounted"
t_check "SIGINT: the node's mount table is empty" test ! -e "$T_TMP/node/mounted"
t_check "SIGINT: says so" grep -qx "Unmounted '/data/share'" "$T_TMP/mount.out"

# a node that cannot load 9p: one line naming the fix
touch "$T_TMP/node/no9p"
t_run -p node mount "$T_TMP:/data/share"
t_eq "node without 9p: exit 1" 1 "$T_RC"
t_check "node without 9p: says so and names the fix" \
	grep -q "the node's kernel cannot load the 9p file system .*: rebuild the node image with 'make iso'" "$T_TMP/err"
t_eq "node without 9p: one error line, after the progress line" 1 "$(grep -c '^minilaunch: error' "$T_TMP/err")"
t_summary
