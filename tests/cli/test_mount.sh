#!/bin/bash
# minilaunch mount: HOST_DIR:GUEST_DIR checked before anything else, each
# mistake with its one-line message; valid arguments reach the profile's
# checks. What needs a running node is in tests/e2e (test_mount.sh.part).
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
t_summary
