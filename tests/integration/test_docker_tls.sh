#!/bin/bash
# docker-env against a real Docker daemon: dockerd runs on this host with the
# profile's server certificate, on 127.0.0.1 only and TLS only, standing in
# for the VM's dockerd (the VM arrives with the driver). The real docker CLI
# then uses what `eval $(minilaunch docker-env)` sets, and builds an image.
# dockerd trusts the profile's Docker CA only (docker/ca.pem, the guest's
# --tlscacert=docker-ca.crt): another profile's certs and the cluster's are
# refused, and the API probe refuses dockerd's certificate.
. "$ML_TOP_SRCDIR/tests/lib.sh"

. "$ML_TOP_SRCDIR/tests/integration/lib-dockerd.sh"

ml_dockerd_start dev 48443
port=$ML_DOCKERD_PORT
certs=$MINILAUNCH_HOME/profiles/dev/certs
"$ML_FIXTURE" "$MINILAUNCH_HOME" other Running "$(t_free_port)" 48444
other=$MINILAUNCH_HOME/profiles/other/certs
spid=
trap 'kill $spid 2>/dev/null; wait $spid 2>/dev/null; ml_dockerd_stop; rm -rf "$T_TMP"' EXIT
env_out=$("$MINILAUNCH" -p dev docker-env --shell bash)
got=$(bash -c "eval \"\$1\"; docker version --format '{{.Server.Version}}'" _ "$env_out" 2>&1)
t_check "docker version over TLS via docker-env" grep -Eq '^[0-9]+\.[0-9]+' <<<"$got"

# refused without our client certificate, and in plain text
t_check "plain HTTP refused" bash -c "! DOCKER_TLS_VERIFY= DOCKER_CERT_PATH= docker -H tcp://127.0.0.1:$port version >/dev/null 2>&1"
t_check "TLS without a client cert refused" bash -c "! curl -sf --cacert '$certs/docker/ca.pem' https://127.0.0.1:$port/_ping >/dev/null"
t_eq "TLS with the client cert answers _ping" "OK" \
	"$(curl -sf --cacert "$certs/docker/ca.pem" --cert "$certs/docker/cert.pem" --key "$certs/docker/key.pem" "https://127.0.0.1:$port/_ping")"
t_check "server cert names 127.0.0.1" bash -c "openssl x509 -in '$certs/docker-server.crt' -noout -ext subjectAltName | grep -q 'IP Address:127.0.0.1'"
t_check "the client's ca.pem is the profile's Docker CA" cmp "$certs/docker-ca.crt" "$certs/docker/ca.pem"

# one profile's keys open nothing of another's
t_check "docker with another profile's certs refused" bash -c "! DOCKER_HOST=tcp://127.0.0.1:$port DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH='$other/docker' timeout 20 docker version >/dev/null 2>&1"
t_check "dockerd refuses another profile's client cert" bash -c "! curl -sf --cacert '$certs/docker/ca.pem' --cert '$other/docker/cert.pem' --key '$other/docker/key.pem' https://127.0.0.1:$port/_ping >/dev/null"
t_check "dockerd refuses the cluster's admin cert" bash -c "! curl -sf --cacert '$certs/docker/ca.pem' --cert '$certs/admin.crt' --key '$certs/admin.key' https://127.0.0.1:$port/_ping >/dev/null"

# the probes start waits with
t_eq "the Docker probe answers" "ok" "$("$ML_PROBE" docker "$MINILAUNCH_HOME" dev "$port")"
t_check "the Docker probe of another profile refuses this dockerd" bash -c "! '$ML_PROBE' docker '$MINILAUNCH_HOME' other $port >/dev/null"
"$ML_PROBE" apiserver "$MINILAUNCH_HOME" dev "$port" >"$T_TMP/api.out" 2>&1
t_check "the API probe refuses dockerd's certificate" grep -q 'SSL certificate problem' "$T_TMP/api.out"
# a Docker CA cert for another name: refused for the name, not the issuer
sport=$(t_free_port)
(cd "$T_TMP" && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=elsewhere \
	-keyout other-name.key -out other-name.csr 2>/dev/null &&
	printf 'subjectAltName=DNS:elsewhere\nextendedKeyUsage=serverAuth\n' >other-name.ext &&
	openssl x509 -req -in other-name.csr -CA "$certs/docker-ca.crt" -CAkey "$certs/docker-ca.key" \
		-set_serial 9 -days 1 -extfile other-name.ext -out other-name.crt 2>/dev/null)
openssl s_server -quiet -accept "127.0.0.1:$sport" -cert "$T_TMP/other-name.crt" -key "$T_TMP/other-name.key" \
	-www >/dev/null 2>&1 &
spid=$!
for _ in $(seq 1 50); do ss -Htln "sport = :$sport" | grep -q . && break; sleep 0.1; done
"$ML_PROBE" docker "$MINILAUNCH_HOME" dev "$sport" >"$T_TMP/name.out" 2>&1
t_check "the Docker probe checks the host name" grep -q 'subject name' "$T_TMP/name.out"

# the user's workflow: docker build through the forwarded daemon
mkdir -p "$T_TMP/ctx"
printf 'hello from minilaunch\n' >"$T_TMP/ctx/index.html"
printf 'FROM scratch\nCOPY index.html /www/index.html\n' >"$T_TMP/ctx/Dockerfile"
bash -c "eval \"\$1\"; DOCKER_BUILDKIT=0 docker build -q -t hello:1 '$T_TMP/ctx'" _ "$env_out" >"$T_TMP/build.out" 2>&1
t_check "docker build through docker-env" grep -q '^sha256:' "$T_TMP/build.out"
t_eq "the image is in the daemon" "hello:1" \
	"$(bash -c "eval \"\$1\"; docker images --format '{{.Repository}}:{{.Tag}}' hello" _ "$env_out")"

t_summary
