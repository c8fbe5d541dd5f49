# tests/lib.sh: a small harness for shell tests, sourced by tests/*/test_*.sh.
#
#   t_begin NAME          start a case
#   t_pass / t_fail MSG   end it
#   t_check NAME CMD...   run CMD; pass when it exits 0
#   t_eq NAME WANT GOT    pass when equal, else show both
#   t_skip NAME WHY       a case that cannot run on this machine, said by name
#   t_summary             print "N passed, N failed[, N skipped]" and exit
#                         non-zero on any failure
#   t_scaled SECONDS      SECONDS times ML_TEST_LOAD_FACTOR (default 1): every
#                         wait in a test goes through it, so that a busy
#                         machine gives slow passes, not failures
#   t_valgrind NAME ARGS...  the case "valgrind: NAME": $MINILAUNCH ARGS
#                         under valgrind (children too), stdin from
#                         /dev/null; fails on an invalid access or a
#                         definite or indirect leak, whatever the exit code
#
# Every test gets a scratch directory $T_TMP (removed on exit) with HOME and
# MINILAUNCH_HOME inside it, so nothing touches the user's real files.
set -u
T_PASSED=0
T_FAILED=0
T_SKIPPED=0
T_LOAD=${ML_TEST_LOAD_FACTOR:-1}
T_NAME=
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/mltest.XXXXXX")
export HOME="$T_TMP/home"
export MINILAUNCH_HOME="$HOME/.minilaunch"
mkdir -p "$HOME"
unset KUBECONFIG MINILAUNCH_PROFILE DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH \
	MINILAUNCH_ACTIVE_DOCKERD
T_PIDS=
trap 't_cleanup' EXIT
t_cleanup() {
	[ -n "$T_PIDS" ] && kill $T_PIDS 2>/dev/null
	rm -rf "$T_TMP"
}

t_begin() { T_NAME=$1; }
t_pass() {
	T_PASSED=$((T_PASSED + 1))
	echo "ok - $T_NAME"
}
t_fail() {
	T_FAILED=$((T_FAILED + 1))
	echo "FAIL - $T_NAME: $*"
}
t_check() {
	local name=$1
	shift
	t_begin "$name"
	if "$@"; then t_pass; else t_fail "command failed: $*"; fi
}
t_eq() {
	t_begin "$1"
	if [ "$2" = "$3" ]; then
		t_pass
	else
		t_fail "want [$2] got [$3]"
	fi
}
# t_run: runs the binary, leaving stdout, stderr and exit code in T_OUT,
# T_ERR and T_RC.
t_run() {
	: "${MINILAUNCH:?MINILAUNCH must name the built binary}"
	"$MINILAUNCH" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
	T_RC=$?
	T_OUT=$(cat "$T_TMP/out")
	T_ERR=$(cat "$T_TMP/err")
}
t_valgrind() {
	local name=$1 rc
	shift
	valgrind -q --trace-children=yes --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect \
		"$MINILAUNCH" "$@" >/dev/null 2>"$T_TMP/vg" </dev/null
	rc=$?
	t_begin "valgrind: $name"
	if [ $rc -eq 99 ]; then t_fail "$(head -30 "$T_TMP/vg")"; else t_pass; fi
}
t_skip() {
	T_SKIPPED=$((T_SKIPPED + 1))
	echo "skip - $1: $2"
}
t_scaled() {
	awk -v n="$1" -v f="$T_LOAD" 'BEGIN { printf "%d\n", n * f + 0.5 }'
}
t_summary() {
	if [ "$T_SKIPPED" -gt 0 ]; then
		echo "$T_PASSED passed, $T_FAILED failed, $T_SKIPPED skipped"
	else
		echo "$T_PASSED passed, $T_FAILED failed"
	fi
	[ "$T_FAILED" -eq 0 ]
}

# t_free_port: prints a TCP port on 127.0.0.1 that nothing listens on.
t_free_port() {
	local port
	while :; do
		port=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768-)
		ss -Htln "sport = :$port" | grep -q . || break
	done
	echo "$port"
}

# t_listen PORT: something accepting TCP connections on 127.0.0.1:PORT until
# the test ends, standing in for a VM's port forward where only "is anything
# there" is checked.
t_listen() {
	socat "TCP-LISTEN:$1,bind=127.0.0.1,reuseaddr,fork" /dev/null &
	T_PIDS="$T_PIDS $!"
	for _ in $(seq 1 50); do
		ss -Htln "sport = :$1" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}
