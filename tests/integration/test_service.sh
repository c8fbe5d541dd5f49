#!/bin/bash
# minilaunch service against the fixture control plane
# (tests/fixtures/control-plane): a profile whose state says Running points
# at the fixture's API server, with the fixture's admin certificate as the
# profile's. `service NAME --url` prints its URL only once it answers,
# waits through a forward that closes connections (as QEMU's does while
# nothing listens behind it), and on --wait-timeout says why (no ready
# endpoints: the pods and their phase); `service list` (text, -o json, -n)
# gives each service's URLs: the NodePort forward, a LoadBalancer's
# 127.0.0.1:PORT when the tunnel gave it that ingress, "No node port" for
# ClusterIP. Usage errors exit 64.
#
# Test double: the host side of the NodePort forward is a socat on
# 127.0.0.1 recorded in the profile's state, not QEMU: a forward needs a
# running VM's monitor. The VM path is tests/e2e (test_tunnel.sh.part).
. "$ML_TOP_SRCDIR/tests/lib.sh"

CP="$ML_TOP_SRCDIR/tests/fixtures/control-plane"
CP_DIR="$T_TMP/cp"

for tool in kubectl socat jq curl; do
	command -v "$tool" >/dev/null || {
		t_fail "$tool is not installed (scripts/lib.sh lists the packages)"
		t_summary
		exit 1
	}
done

cleanup() {
	[ -f "$CP_DIR/env" ] && "$CP" stop "$CP_DIR" >/dev/null 2>&1
	t_cleanup
}
trap cleanup EXIT

k() { kubectl --kubeconfig "$KC" "$@"; }

# --- usage errors (no profile needed) --------------------------------------------
t_run service
t_eq "no name: usage error" 64 "$T_RC"
t_run service list --url
t_eq "list --url: usage error" 64 "$T_RC"
t_run service list -n default -A
t_eq "list -n and -A: usage error" 64 "$T_RC"
t_run service list -o yaml
t_eq "list -o yaml: usage error" 64 "$T_RC"
t_run service web -A
t_eq "NAME with -A: usage error" 64 "$T_RC"
t_run service web --wait-timeout soon
t_eq "bad --wait-timeout: usage error" 64 "$T_RC"
t_check "bad --wait-timeout is named" grep -q "invalid --wait-timeout 'soon'" "$T_TMP/err"

# --- the fixture and a profile pointing at it -------------------------------------
KC=$("$CP" start "$CP_DIR" 2>"$T_TMP/cp.log") || {
	t_fail "control plane did not start: $(tail -5 "$T_TMP/cp.log")"
	t_summary
	exit 1
}
. "$CP_DIR/env"
HOSTPORT=$(t_free_port)
prof="$MINILAUNCH_HOME/profiles/minilaunch"
mkdir -p "$prof/certs"
cp "$CA_FILE" "$prof/certs/ca.crt"
cp "$CERT_FILE" "$prof/certs/admin.crt"
cp "$KEY_FILE" "$prof/certs/admin.key"
chmod 600 "$prof/certs/admin.key"
cat >"$prof/config.json" <<EOF2
{ "schema": 1, "name": "minilaunch", "config": {},
  "state": { "status": "Running",
             "ports": { "apiserver": $APISERVER_PORT, "nodeport-30080": $HOSTPORT } } }
EOF2

k create deployment web --image=web:1 >/dev/null
k apply -f - >/dev/null <<'EOF2'
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{name: http, port: 80, nodePort: 30080}]
---
apiVersion: v1
kind: Service
metadata: {name: lb}
spec:
  type: LoadBalancer
  selector: {app: lb}
  ports: [{port: 8080}]
EOF2

# the forward of NodePort 30080: it takes connections and closes them
# until $T_TMP/up exists, then answers HTTP (after reading the request, so
# that its close sends no reset)
cat >"$T_TMP/web.sh" <<EOF2
#!/bin/sh
test -e '$T_TMP/up' || exit 0
test -e '$T_TMP/silent' && exec sleep 30
cr=\$(printf '\\r')
while IFS= read -r l; do
	case "\$l" in "" | "\$cr") break ;; esac
done
printf 'HTTP/1.0 200 OK\\r\\nContent-Length: 6\\r\\n\\r\\nhello\\n'
EOF2
chmod +x "$T_TMP/web.sh"
socat "TCP-LISTEN:$HOSTPORT,bind=127.0.0.1,reuseaddr,fork" EXEC:"$T_TMP/web.sh" \
	2>/dev/null &
T_PIDS="$T_PIDS $!"
for _ in $(seq 1 50); do
	ss -Htln "sport = :$HOSTPORT" | grep -q . && break
	sleep 0.1
done

# --- nothing answers: the reason, after the timeout ------------------------------
start=$(date +%s%3N)
t_run service web --url --wait-timeout 3
ms=$(($(date +%s%3N) - start))
t_eq "no answer: exits 1" 1 "$T_RC"
t_eq "no answer: no URL printed" "" "$T_OUT"
t_check "no answer: waited the timeout" test "$ms" -ge 3000
t_check "no answer: names the URL and the timeout" \
	grep -q "service 'web' did not answer on http://127.0.0.1:$HOSTPORT within 3 s" "$T_TMP/err"
t_check "no answer: no ready endpoints, the pod and its phase" \
	grep -qE "it has no ready endpoints; its pods: web-[a-z0-9]+-[a-z0-9]+ Pending" "$T_TMP/err"

# --- the forward answers, but no endpoint is ready: still no URL -------------------
touch "$T_TMP/up"
t_run service web --url --wait-timeout 2
t_eq "answering forward, no ready endpoint: exits 1" 1 "$T_RC"
t_eq "answering forward, no ready endpoint: no URL printed" "" "$T_OUT"
t_check "answering forward, no ready endpoint: says so" \
	grep -q "it has no ready endpoints; its pods: web-" "$T_TMP/err"
rm -f "$T_TMP/up"

# The fixture has no kubelet, so its pods never become ready: the service
# loses its selector (the endpoints controller then leaves its Endpoints
# alone) and gets a ready address written here. 192.0.2.10 is a
# documentation address: nothing here routes to it (no kube-proxy), it only
# makes the Endpoints ready.
k patch service web --type=json -p '[{"op":"remove","path":"/spec/selector"}]' >/dev/null
k apply -f - >/dev/null <<'EOF2'
apiVersion: v1
kind: Endpoints
metadata: {name: web}
subsets:
- addresses: [{ip: 192.0.2.10}]
  ports: [{name: http, port: 80}]
EOF2

# --- it answers after 2 s: the URL then, and it answers on the first curl ---------
(sleep 2 && touch "$T_TMP/up") &
start=$(date +%s%3N)
t_run service web --url --wait-timeout "$(t_scaled 30)"
ms=$(($(date +%s%3N) - start))
t_eq "answers: exits 0" 0 "$T_RC"
t_eq "answers: the URL" "http://127.0.0.1:$HOSTPORT" "$T_OUT"
t_check "answers: printed only once it answered" test "$ms" -ge 1800
t_check "answers: the first curl gets the page" curl -fsS -o /dev/null "$T_OUT"
# a server that takes the connection and says nothing (one that waits for
# its client): it counts once the endpoints have been ready for 10 s
touch "$T_TMP/silent"
start=$(date +%s%3N)
t_run service web --url --wait-timeout "$(t_scaled 30)"
ms=$(($(date +%s%3N) - start))
rm -f "$T_TMP/silent"
t_eq "silent server: exits 0" 0 "$T_RC"
t_eq "silent server: the URL" "http://127.0.0.1:$HOSTPORT" "$T_OUT"
t_check "silent server: only after 10 s of ready endpoints" test "$ms" -ge 10000
t_run service web -n default
t_check "answers: the table line" grep -qxF "$(printf 'default\tweb\t30080\thttp://127.0.0.1:%s' "$HOSTPORT")" "$T_TMP/out"

# --- service list -------------------------------------------------------------------
# what `minilaunch tunnel` writes for a LoadBalancer it serves
curl -fsS --cacert "$CA_FILE" --cert "$CERT_FILE" --key "$KEY_FILE" -X PATCH \
	-H 'Content-Type: application/merge-patch+json' \
	-d '{"status":{"loadBalancer":{"ingress":[{"ip":"127.0.0.1"}]}}}' \
	"$APISERVER_URL/api/v1/namespaces/default/services/lb/status" >/dev/null
t_run service list
t_eq "list: exits 0" 0 "$T_RC"
t_check "list: header" grep -qE '^NAMESPACE +NAME +TARGET PORT +URL$' "$T_TMP/out"
t_check "list: NodePort URL" grep -qE "^default +web +http/80 +http://127.0.0.1:$HOSTPORT\$" "$T_TMP/out"
t_check "list: LoadBalancer under the tunnel" grep -qE '^default +lb +8080 +http://127.0.0.1:8080$' "$T_TMP/out"
t_check "list: ClusterIP has no node port" grep -qE '^default +kubernetes +https/443 +No node port$' "$T_TMP/out"
t_run service list -o json
t_eq "list -o json: exits 0" 0 "$T_RC"
t_check "list -o json: URLs and types" jq -es --arg u "http://127.0.0.1:$HOSTPORT" '.[0] |
	(map(select(.name == "web"))[0] | .type == "NodePort" and .urls == [$u] and .targetPorts == ["http/80"]) and
	(map(select(.name == "lb"))[0] | .type == "LoadBalancer" and .urls == ["http://127.0.0.1:8080"]) and
	(map(select(.name == "kubernetes"))[0] | .urls == [] and .namespace == "default")' "$T_TMP/out"
t_run service list -n kube-system -o json
t_check "list -n: that namespace only" jq -es '.[0] | all(.namespace == "kube-system")' "$T_TMP/out"
# ClusterIP goes through ssh into the node: a headless one has nothing to
# forward to; without the node's ssh port (this profile has none) it says so
k create service clusterip headless --clusterip=None --tcp=80:80 >/dev/null
t_run service headless
t_eq "headless: exits 1" 1 "$T_RC"
t_check "headless: says so" grep -q "service 'headless' is headless (no cluster IP)" "$T_TMP/err"
t_run service kubernetes --url
t_eq "ClusterIP without the node's ssh: exits 1" 1 "$T_RC"
t_check "ClusterIP without the node's ssh: names the fix" grep -q "profile 'minilaunch' has no ssh port in its state" "$T_TMP/err"
t_run service nope
t_eq "unknown service: exits 1" 1 "$T_RC"
t_check "unknown service: says where to look" grep -q "service 'nope' not found in namespace 'default'" "$T_TMP/err"

# --- the same paths under valgrind: no invalid access, no definite leak
if command -v valgrind >/dev/null; then
	t_valgrind "service --url" service web --url
	t_valgrind "service list" service list
	t_valgrind "service list -o json" service list -o json
	t_valgrind "service of a headless service" service headless
	t_valgrind "service of an unknown service" service nope
	rm -f "$T_TMP/up"
	t_valgrind "service --url timing out" service web --url --wait-timeout 1
else
	t_skip "valgrind" "valgrind is not installed"
fi

# --- tunnel: one per profile ---------------------------------------------------------
t_run tunnel extra
t_eq "tunnel with an argument: usage error" 64 "$T_RC"
# another tunnel: the lock held by a process of its own
(exec 9>"$prof/tunnel.lock" && flock 9 && exec sleep "$(t_scaled 20)") &
held=$!
for _ in $(seq 1 50); do
	flock -n "$prof/tunnel.lock" true || break
	sleep 0.1
done
t_run tunnel
t_eq "second tunnel: refused" 1 "$T_RC"
t_check "second tunnel: says one runs" grep -q "a tunnel already runs for profile 'minilaunch'" "$T_TMP/err"
t_run tunnel --cleanup
t_eq "cleanup while a tunnel runs: refused" 1 "$T_RC"
kill "$held" 2>/dev/null
wait "$held" 2>/dev/null

t_summary
