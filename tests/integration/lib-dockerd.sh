# tests/integration/lib-dockerd.sh: a real Docker daemon standing in for the
# VM's, for the tests of what talks to it (docker-env, image). Sourced after
# tests/lib.sh.
#
#   ml_dockerd_start PROFILE APISERVER_PORT
#       makes PROFILE a Running profile with real certificates (ml_fixture)
#       and starts dockerd with its Docker server certificate, TLS only, on
#       127.0.0.1:ML_DOCKERD_PORT (the profile's Docker port) and on the
#       unix socket ML_DOCKERD_SOCK (for the checks' own docker CLI), its
#       files under ML_DOCKERD_DIR; dockerd trusts the profile's Docker CA
#       only, as the guest's does (--tlscacert=docker-ca.crt). A missing
#       dockerd or a non-root user fails the test.
#   ml_dockerd_stop
#       stops it and waits for it (before $T_TMP goes: its store is there)

ml_dockerd_start() {
	local profile=$1 api_port=$2 certs dockerd
	dockerd=$(command -v dockerd || echo /usr/sbin/dockerd)
	[ -x "$dockerd" ] || { t_fail "dockerd is not installed (scripts/deps installs docker.io)"; t_summary; exit 1; }
	[ "$(id -u)" -eq 0 ] || { t_fail "dockerd needs root"; t_summary; exit 1; }

	ML_DOCKERD_PORT=$(t_free_port)
	"$ML_FIXTURE" "$MINILAUNCH_HOME" "$profile" Running "$ML_DOCKERD_PORT" "$api_port"
	certs=$MINILAUNCH_HOME/profiles/$profile/certs
	ML_DOCKERD_DIR=$T_TMP/dockerd
	ML_DOCKERD_SOCK=$ML_DOCKERD_DIR/docker.sock
	mkdir -p "$ML_DOCKERD_DIR"
	trap 'ml_dockerd_stop; t_cleanup' EXIT
	"$dockerd" --tlsverify --tlscacert "$certs/docker/ca.pem" \
		--tlscert "$certs/docker-server.crt" --tlskey "$certs/docker-server.key" \
		-H "tcp://127.0.0.1:$ML_DOCKERD_PORT" -H "unix://$ML_DOCKERD_SOCK" \
		--data-root "$ML_DOCKERD_DIR/root" --exec-root "$ML_DOCKERD_DIR/exec" \
		--pidfile "$ML_DOCKERD_DIR/pid" \
		--iptables=false --ip-masq=false --bridge=none --storage-driver=vfs \
		>"$ML_DOCKERD_DIR/log" 2>&1 &
	ML_DOCKERD_PID=$!
	for _ in $(seq 1 "$(t_scaled 60)"); do
		[ -S "$ML_DOCKERD_SOCK" ] && grep -q 'API listen on 127.0.0.1' "$ML_DOCKERD_DIR/log" && break
		sleep 0.5
	done
	t_check "dockerd is up with the profile's server cert" \
		grep -q "API listen on 127.0.0.1:$ML_DOCKERD_PORT" "$ML_DOCKERD_DIR/log"
}

ml_dockerd_stop() {
	[ -n "${ML_DOCKERD_PID:-}" ] || return 0
	kill "$ML_DOCKERD_PID" 2>/dev/null
	wait "$ML_DOCKERD_PID" 2>/dev/null
	ML_DOCKERD_PID=
}
