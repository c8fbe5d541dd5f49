#!/bin/bash
# docker-env against a real Docker daemon: dockerd runs on this host with the
# profile's server certificate, on 127.0.0.1 only and TLS only, standing in
# for the VM's dockerd (the VM arrives with the driver). The real docker CLI
# then uses what `eval $(minilaunch docker-env)` sets, and builds an image.
. "$ML_TOP_SRCDIR/tests/lib.sh"

DOCKERD=$(command -v dockerd || echo /usr/sbin/dockerd)
[ -x "$DOCKERD" ] || { t_fail "dockerd is not installed (scripts/deps installs docker.io)"; t_summary; exit 1; }
[ "$(id -u)" -eq 0 ] || { t_fail "dockerd needs root"; t_summary; exit 1; }

port=$(t_free_port)
"$ML_FIXTURE" "$MINILAUNCH_HOME" dev Running "$port" 48443
certs=$MINILAUNCH_HOME/profiles/dev/certs
d=$T_TMP/dockerd
mkdir -p "$d"
"$DOCKERD" --tlsverify --tlscacert "$certs/docker/ca.pem" \
	--tlscert "$certs/docker-server.crt" --tlskey "$certs/docker-server.key" \
	-H "tcp://127.0.0.1:$port" -H "unix://$d/docker.sock" \
	--data-root "$d/root" --exec-root "$d/exec" --pidfile "$d/pid" \
	--iptables=false --ip-masq=false --bridge=none --storage-driver=vfs \
	>"$d/log" 2>&1 &
dpid=$!
trap 'kill $dpid 2>/dev/null; wait $dpid 2>/dev/null; rm -rf "$T_TMP"' EXIT
for _ in $(seq 1 60); do
	[ -S "$d/docker.sock" ] && grep -q 'API listen on 127.0.0.1' "$d/log" && break
	sleep 0.5
done
t_check "dockerd is up with the profile's server cert" grep -q "API listen on 127.0.0.1:$port" "$d/log"

env_out=$("$MINILAUNCH" -p dev docker-env --shell bash)
got=$(bash -c "eval \"\$1\"; docker version --format '{{.Server.Version}}'" _ "$env_out" 2>&1)
t_check "docker version over TLS via docker-env" grep -Eq '^[0-9]+\.[0-9]+' <<<"$got"

# refused without our client certificate, and in plain text
t_check "plain HTTP refused" bash -c "! DOCKER_TLS_VERIFY= DOCKER_CERT_PATH= docker -H tcp://127.0.0.1:$port version >/dev/null 2>&1"
t_check "TLS without a client cert refused" bash -c "! curl -sf --cacert '$certs/docker/ca.pem' https://127.0.0.1:$port/_ping"
t_eq "TLS with the client cert answers _ping" "OK" \
	"$(curl -sf --cacert "$certs/docker/ca.pem" --cert "$certs/docker/cert.pem" --key "$certs/docker/key.pem" "https://127.0.0.1:$port/_ping")"
t_check "server cert names 127.0.0.1" bash -c "openssl x509 -in '$certs/docker-server.crt' -noout -ext subjectAltName | grep -q 'IP Address:127.0.0.1'"

# the user's workflow: docker build through the forwarded daemon
mkdir -p "$T_TMP/ctx"
printf 'hello from minilaunch\n' >"$T_TMP/ctx/index.html"
printf 'FROM scratch\nCOPY index.html /www/index.html\n' >"$T_TMP/ctx/Dockerfile"
bash -c "eval \"\$1\"; DOCKER_BUILDKIT=0 docker build -q -t hello:1 '$T_TMP/ctx'" _ "$env_out" >"$T_TMP/build.out" 2>&1
t_check "docker build through docker-env" grep -q '^sha256:' "$T_TMP/build.out"
t_eq "the image is in the daemon" "hello:1" \
	"$(bash -c "eval \"\$1\"; docker images --format '{{.Repository}}:{{.Tag}}' hello" _ "$env_out")"

t_summary
