#!/bin/bash
# ml-dns with Debian's unbound against the fixture control plane
# (tests/fixtures/control-plane), checked with real answers from dig:
# ClusterIP, headless (ready, not ready, publishNotReadyAddresses,
# hostnames), SRV, PTR, ExternalName, NXDOMAIN, fast SERVFAIL offline (and
# proof that no packet leaves 127.0.0.0/8), forwarding to an upstream, the
# API server's restart, ml-dns's own restart, SIGTERM, and a run under
# valgrind. Every wait is multiplied by ML_TEST_LOAD_FACTOR (default 1).
. "$ML_TOP_SRCDIR/tests/lib.sh"

ML_DNS="$ML_TOP_BUILDDIR/src/guest/ml-dns"
UNBOUND=${ML_UNBOUND:-/usr/sbin/unbound}
CP="$ML_TOP_SRCDIR/tests/fixtures/control-plane"
CP_DIR="$T_TMP/cp"
LOAD=${ML_TEST_LOAD_FACTOR:-1}
Z=svc.cluster.local
DNS_PIDS=
OWN_PIDS=

for tool in kubectl dig curl socat strace valgrind "$UNBOUND" "$ML_DNS"; do
	command -v "$tool" >/dev/null || {
		t_fail "$tool is not installed (scripts/lib.sh lists the packages)"
		t_summary
		exit 1
	}
done

cleanup() {
	local p
	for p in $DNS_PIDS $OWN_PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $DNS_PIDS $OWN_PIDS; do
		wait "$p" 2>/dev/null
	done
	[ -f "$CP_DIR/env" ] && "$CP" stop "$CP_DIR" >/dev/null 2>&1
	t_cleanup
}
trap cleanup EXIT

ms() { date +%s%3N; }
# scaled SECS: milliseconds, times the load factor
scaled() { awk -v s="$1" -v k="$LOAD" 'BEGIN { print int(s * k * 1000) }'; }

# wait_until SECS CMD...: runs CMD every 50 ms until it succeeds (0) or
# SECS (scaled) have passed (1).
wait_until() {
	local end=$(($(ms) + $(scaled "$1")))
	shift
	while :; do
		"$@" && return 0
		[ "$(ms)" -lt "$end" ] || return 1
		sleep 0.05
	done
}

# free_port: a port free for TCP and UDP on 127.0.0.1, not handed out yet.
USED_PORTS=" "
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768-)
		case $USED_PORTS in *" $p "*) continue ;; esac
		[ -z "$(ss -Htuln "sport = :$p")" ] && break
	done
	USED_PORTS="$USED_PORTS$p "
	echo "$p"
}

k() { kubectl --kubeconfig "$KC" "$@"; }

# DNS queries to the ml-dns started last (port DNS_PORT).
d() { dig +tries=1 +time=2 -p "$DNS_PORT" @127.0.0.1 "$@"; }
ans() { d +short "$@" | sort | tr '\n' ' ' | sed 's/ $//'; }
status() { d "$@" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'; }
ans_is() {
	local want=$1
	shift
	[ "$(ans "$@")" = "$want" ]
}
status_is() {
	local want=$1
	shift
	[ "$(status "$@")" = "$want" ]
}
# t_ans NAME WANT DIG-ARGS...: the answers (sorted, one line) equal WANT
t_ans() {
	local name=$1 want=$2
	shift 2
	t_eq "$name" "$want" "$(ans "$@")"
}

# dns_start NAME ARGS...: starts ml-dns (with PREFIX before it, if set) on
# fresh ports; sets DNS_PORT, H_PORT, R_PORT, STATE, LOG, DNS_PID (what
# was started) and SIG_PID (ml-dns itself, once known: see ml_dns_pid).
dns_start() {
	local name=$1
	shift
	DNS_PORT=$(free_port)
	H_PORT=$(free_port)
	R_PORT=$(free_port)
	STATE="$T_TMP/$name"
	LOG="$T_TMP/$name.log"
	# shellcheck disable=SC2086
	${PREFIX:-} "$ML_DNS" --kubeconfig "$KC" --listen 127.0.0.1 \
		--port "$DNS_PORT" --health-port "$H_PORT" --ready-port "$R_PORT" \
		--state-dir "$STATE" --unbound "$UNBOUND" "$@" >>"$LOG" 2>&1 &
	DNS_PID=$!
	SIG_PID=$DNS_PID
	DNS_PIDS="$DNS_PIDS $DNS_PID"
}
# ml_dns_pid: under strace, ml-dns is strace's child, and strace would
# only detach on SIGTERM: signal the child itself.
ml_dns_pid() {
	local p
	p=$(pgrep -P "$DNS_PID" -x ml-dns) || return 1
	SIG_PID=$p
	DNS_PIDS="$DNS_PIDS $p"
}
ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$R_PORT/ready")" = 200 ]; }
# dns_stop: SIGTERM to ml-dns, its exit code in DNS_RC (124: did not exit)
dns_stop() {
	local i
	kill -TERM "$SIG_PID" 2>/dev/null
	for ((i = 0; i < $(scaled 30) / 100; i++)); do
		kill -0 "$DNS_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$DNS_PID" 2>/dev/null; then
		kill -KILL "$SIG_PID" "$DNS_PID" 2>/dev/null
		wait "$DNS_PID"
		DNS_RC=124
		return
	fi
	wait "$DNS_PID"
	DNS_RC=$?
}
unbound_pid() { sed -n 's/.*unbound (pid \([0-9]*\)) answers.*/\1/p' "$LOG" | tail -1; }
# no_unbound_on DIR: no process runs unbound on DIR's configuration
no_unbound_on() { ! pgrep -f -- "-c $1/unbound.conf" >/dev/null; }
local_data() { unbound-control -c "$STATE/unbound.conf" list_local_data | sort; }

# --- the control plane and a static upstream ----------------------------------
KC=$("$CP" start "$CP_DIR" 2>"$T_TMP/cp.log") || {
	t_fail "control plane did not start: $(tail -5 "$T_TMP/cp.log")"
	t_summary
	exit 1
}
UP_PORT=$(free_port)
# Answers www.upstream.example itself and refuses every other name: it
# never recurses, so it sends no packet anywhere. (Not under test.: that is
# one of unbound's default local zones, answered NXDOMAIN.)
cat >"$T_TMP/upstream.conf" <<EOF
server:
	verbosity: 0
	num-threads: 1
	username: ""
	chroot: ""
	directory: "$T_TMP"
	pidfile: ""
	use-syslog: no
	logfile: ""
	interface: 127.0.0.1
	port: $UP_PORT
	so-reuseport: no
	do-ip6: no
	module-config: "iterator"
	local-zone: "." refuse
	local-zone: "upstream.example." static
	local-data: "www.upstream.example. 60 IN A 192.0.2.10"
remote-control:
	control-enable: no
EOF
TRACE="strace -f -qq --seccomp-bpf -e trace=connect,sendto,sendmsg,sendmmsg"
$TRACE -o "$T_TMP/upstream.trace" "$UNBOUND" -d -p -c "$T_TMP/upstream.conf" \
	>"$T_TMP/upstream.log" 2>&1 &
UP_TRACER=$!
OWN_PIDS="$OWN_PIDS $UP_TRACER"
# strace would detach on SIGTERM: the cleanup signals unbound itself
wait_until 5 pgrep -P "$UP_TRACER" -x unbound >/dev/null &&
	OWN_PIDS="$(pgrep -P "$UP_TRACER" -x unbound) $OWN_PIDS"

# --- usage errors ----------------------------------------------------------------
"$ML_DNS" --port 0 >/dev/null 2>"$T_TMP/err"
t_eq "usage: bad port exits 64" 64 $?
t_check "usage: says which flag" grep -q -- "--port '0' is not a port number" "$T_TMP/err"
"$ML_DNS" --upstream 'example.com' --kubeconfig "$KC" --state-dir "$T_TMP/u" \
	--health-port 0 --ready-port 0 >/dev/null 2>"$T_TMP/err"
t_eq "usage: bad upstream exits 64" 64 $?
t_check "usage: names the upstream" grep -q "upstream 'example.com' is not IP or IP@PORT" "$T_TMP/err"
"$ML_DNS" --host 'host.minilaunch.internal=10.0.2.x' --kubeconfig "$KC" \
	--state-dir "$T_TMP/u" --health-port 0 --ready-port 0 >/dev/null 2>"$T_TMP/err"
t_eq "usage: bad --host exits 64" 64 $?
t_check "usage: names the host" grep -q -- "--host: host 'host.minilaunch.internal=10.0.2.x': '10.0.2.x' is not an IP address" "$T_TMP/err"
"$ML_DNS" --kubeconfig "$T_TMP/none.yaml" --health-port 0 --ready-port 0 \
	--state-dir "$T_TMP/u" >/dev/null 2>"$T_TMP/err"
t_eq "missing kubeconfig exits 1" 1 $?
env -u KUBERNETES_SERVICE_HOST "$ML_DNS" --state-dir "$T_TMP/u" \
	--health-port 0 --ready-port 0 >/dev/null 2>"$T_TMP/err"
t_check "no in-cluster environment: says to give --kubeconfig" grep -q -- "give --kubeconfig" "$T_TMP/err"

# --- the main instance: upstream none ---------------------------------------------
dns_start main --upstream none --host host.minilaunch.internal=10.0.2.2
t_check "ready after the first sync" wait_until 10 ready
# --host: answered by the server itself (upstream none would SERVFAIL)
t_ans "--host: the name answers its address" 10.0.2.2 host.minilaunch.internal
t_ans "--host: in any case" 10.0.2.2 HOST.minilaunch.internal
t_eq "--host: its AAAA is empty, not forwarded" "NOERROR " \
	"$(status AAAA host.minilaunch.internal) $(ans AAAA host.minilaunch.internal)"
t_eq "--host: a name below it is NXDOMAIN" NXDOMAIN "$(status x.host.minilaunch.internal)"
t_eq "--host: a sibling is still forwarded (SERVFAIL here)" SERVFAIL "$(status other.minilaunch.internal)"
MAIN_LOG=$LOG MAIN_STATE=$STATE
t_eq "/health 200" 200 "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$H_PORT/health")"
t_eq "/health says ok" ok "$(curl -s --max-time 2 "http://127.0.0.1:$H_PORT/health")"
t_eq "/ready on the health port is 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$H_PORT/ready")"
t_check "unbound.conf passes unbound-checkconf" unbound-checkconf "$STATE/unbound.conf"
t_ans "kubernetes service A" 10.96.0.1 kubernetes.default.$Z
t_check "log: one line per sync" grep -Eq "synced [0-9]+ services, [0-9]+ endpoints: \+[0-9]+ -0 records" "$LOG"

# a ClusterIP service: created, answered within a second
WEB_IP=$(k apply -o jsonpath='{.spec.clusterIP}' -f - <<EOF
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080, protocol: TCP}
  - {name: dns, port: 53, protocol: UDP}
EOF
)
t0=$(ms)
t_check "created service answered within 1 s" wait_until 1 ans_is "$WEB_IP" web.default.$Z
echo "# web answered $(($(ms) - t0)) ms after kubectl apply returned"
t_eq "A has TTL 5" "5" "$(d +noall +answer web.default.$Z | awk '{print $2}')"
t_ans "SRV for the named TCP port" "0 100 80 web.default.$Z." SRV _http._tcp.web.default.$Z
t_ans "SRV for the named UDP port" "0 100 53 web.default.$Z." SRV _dns._udp.web.default.$Z
t_eq "SRV of an unknown port is NXDOMAIN" NXDOMAIN "$(status SRV _https._tcp.web.default.$Z)"
t_ans "PTR of the cluster IP" "web.default.$Z." -x "$WEB_IP"
t_eq "missing service is NXDOMAIN" NXDOMAIN "$(status nope.default.$Z)"
t_eq "missing namespace is NXDOMAIN" NXDOMAIN "$(status web.nons.$Z)"
t_check "NXDOMAIN carries the zone's SOA" sh -c "dig +tries=1 -p $DNS_PORT @127.0.0.1 nope.default.$Z | grep -q 'cluster.local.*SOA.*ns.dns.cluster.local'"
t_eq "AAAA of an IPv4 service is empty" "NOERROR " "$(status AAAA web.default.$Z) $(ans AAAA web.default.$Z)"
t_ans "dns-version record" '"1.1.0"' TXT dns-version.cluster.local

# offline: SERVFAIL at once, never a client timeout
t0=$(ms)
st=$(status example.com)
dt=$(($(ms) - t0))
t_eq "example.com with upstream none: SERVFAIL" SERVFAIL "$st"
t_check "... within 1 s ($dt ms)" test "$dt" -le "$(scaled 1)"

# a headless service whose Endpoints we write (no kubelet here)
k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: db, namespace: default}
spec:
  clusterIP: None
  ports:
  - {name: pg, port: 5432}
EOF
endpoints() { # endpoints READY-IPS NOT-READY-IPS (space-separated; .5 is db-0)
	local ip ready="" notready=""
	for ip in $1; do
		if [ "$ip" = 10.244.0.5 ]; then
			ready="$ready{ip: $ip, hostname: db-0},"
		else
			ready="$ready{ip: $ip},"
		fi
	done
	for ip in ${2:-}; do notready="$notready{ip: $ip},"; done
	k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Endpoints
metadata: {name: db, namespace: default}
subsets:
- addresses: [${ready%,}]
  notReadyAddresses: [${notready%,}]
  ports: [{name: pg, port: 5432, protocol: TCP}]
EOF
}
endpoints "10.244.0.5 10.244.0.6 10.244.0.7"
t_check "headless: 3 ready addresses, 3 A" wait_until 1 ans_is "10.244.0.5 10.244.0.6 10.244.0.7" db.default.$Z
t_ans "headless: hostname endpoint" 10.244.0.5 db-0.db.default.$Z
t_ans "headless: dashed-IP name" 10.244.0.6 10-244-0-6.db.default.$Z
t_ans "headless: SRV per endpoint" "0 100 5432 10-244-0-6.db.default.$Z. 0 100 5432 10-244-0-7.db.default.$Z. 0 100 5432 db-0.db.default.$Z." SRV _pg._tcp.db.default.$Z
t_ans "headless: PTR of an endpoint" "db-0.db.default.$Z." -x 10.244.0.5
endpoints "10.244.0.5 10.244.0.6"
t_check "headless scaled to 2: 2 A" wait_until 1 ans_is "10.244.0.5 10.244.0.6" db.default.$Z
t_eq "headless: the gone endpoint's name is NXDOMAIN" NXDOMAIN "$(status 10-244-0-7.db.default.$Z)"
t_eq "headless: the gone endpoint's PTR is NXDOMAIN" NXDOMAIN "$(status -x 10.244.0.7)"
endpoints "10.244.0.5" "10.244.0.6"
t_check "not ready without publishNotReadyAddresses: left out" wait_until 1 ans_is "10.244.0.5" db.default.$Z
k patch service db --type merge -p '{"spec":{"publishNotReadyAddresses":true}}' >/dev/null
t_check "not ready with publishNotReadyAddresses: answered" wait_until 1 ans_is "10.244.0.5 10.244.0.6" db.default.$Z
k patch service db --type merge -p '{"spec":{"publishNotReadyAddresses":false}}' >/dev/null
t_check "publishNotReadyAddresses off again" wait_until 1 ans_is "10.244.0.5" db.default.$Z

# ExternalName: a CNAME, followed when its target is in the cluster
k create service externalname ext --external-name www.upstream.example >/dev/null
t_check "ExternalName: CNAME" wait_until 1 ans_is "www.upstream.example." CNAME ext.default.$Z
k create service externalname alias --external-name kubernetes.default.$Z >/dev/null
t_check "ExternalName to a service: CNAME and its A" wait_until 1 ans_is "10.96.0.1 kubernetes.default.$Z." alias.default.$Z

# delete
k delete service web >/dev/null
t_check "deleted service: NXDOMAIN within 1 s" wait_until 1 status_is NXDOMAIN web.default.$Z
t_eq "deleted service: its PTR is gone" NXDOMAIN "$(status -x "$WEB_IP")"
t_eq "deleted service: its SRV is gone" NXDOMAIN "$(status SRV _http._tcp.web.default.$Z)"

# the API server's restart: records kept, changes after it seen (relist)
"$CP" stop-apiserver "$CP_DIR" >/dev/null 2>&1
t_check "API server down: ml-dns says so" wait_until 10 grep -q "lost the watch of" "$LOG"
t_ans "API server down: records still answered" "10.244.0.5" db.default.$Z
t_check "API server down: still ready" ready
"$CP" start-apiserver "$CP_DIR" >/dev/null 2>"$T_TMP/cp-restart.log" ||
	t_fail "API server did not come back: $(tail -3 "$T_TMP/cp-restart.log")"
k delete service ext >/dev/null
k create service clusterip after --tcp=81 >/dev/null
AFTER_IP=$(k get service after -o jsonpath='{.spec.clusterIP}')
t_check "after the restart: a new service answered" wait_until 10 ans_is "$AFTER_IP" after.default.$Z
t_check "after the restart: a deleted one gone" wait_until 1 status_is NXDOMAIN ext.default.$Z
t_check "after the restart: the watch is back" grep -q "watching services again" "$LOG"
t_ans "after the restart: headless kept" "10.244.0.5" db.default.$Z

# ml-dns's own restart: the whole set again before /ready; SIGTERM clean
BEFORE=$(local_data)
t_check "unbound holds the service records" grep -q "after.default.$Z.*A.*$AFTER_IP" <<<"$BEFORE"
UB=$(unbound_pid)
dns_stop
t_eq "SIGTERM: exit 0" 0 "$DNS_RC"
t_check "SIGTERM: unbound gone" sh -c "! kill -0 ${UB:-1} 2>/dev/null"
t_check "SIGTERM: no unbound left on its config" no_unbound_on "$STATE"
t_check "SIGTERM: control socket removed" test ! -e "$STATE/unbound.ctl"
dns_start main --upstream none --host host.minilaunch.internal=10.0.2.2
t_check "restarted: ready" wait_until 10 ready
t_eq "restarted: the same local data as before" "$BEFORE" "$(local_data)"
t_ans "restarted: answers" "$AFTER_IP" after.default.$Z
t_ans "restarted: headless answers" "10.244.0.5" db.default.$Z

# unbound dies: ml-dns exits non-zero (the kubelet restarts the pod)
kill -KILL "$(unbound_pid)"
wait_until 5 sh -c "! kill -0 $DNS_PID 2>/dev/null"
wait "$DNS_PID"
t_eq "unbound killed: ml-dns exits 1" 1 $?
t_check "unbound killed: says so" grep -q "unbound was killed by signal 9" "$LOG"

# --- no packet leaves 127.0.0.0/8 with upstream none -----------------------------
PREFIX="$TRACE -o $T_TMP/net.trace" dns_start traced --upstream none
t_check "traced: ready" wait_until 20 ready
t_check "traced: ml-dns found under strace" ml_dns_pid
for n in example.com www.upstream.example kubernetes.io; do
	t0=$(ms)
	st=$(status "$n")
	dt=$(($(ms) - t0))
	t_eq "traced: $n SERVFAIL" SERVFAIL "$st"
	t_check "traced: ... within 1 s ($dt ms)" test "$dt" -le "$(scaled 1)"
done
t_eq "traced: PTR of an outside address SERVFAIL" SERVFAIL "$(status -x 8.8.8.8)"
t_ans "traced: cluster names answered" 10.96.0.1 kubernetes.default.$Z
t_ans "traced: ExternalName to a service followed" "10.96.0.1 kubernetes.default.$Z." alias.default.$Z
k create service externalname ext2 --external-name www.upstream.example >/dev/null
t_check "traced: ExternalName outside: SERVFAIL" wait_until 1 status_is SERVFAIL ext2.default.$Z
dns_stop
t_eq "traced: exit 0" 0 "$DNS_RC"
# every IPv4 or IPv6 peer in the trace (connect, sendto, sendmsg)
peers() { grep -oE 'inet_addr\("[^"]*"\)|inet_pton\(AF_INET6, "[^"]*"' "$1" | sed -E 's/.*"([^"]*)".*/\1/' | sort -u; }
t_check "traced: some traffic was seen" test -n "$(peers "$T_TMP/net.trace")"
t_eq "traced: no peer outside loopback" "" "$(peers "$T_TMP/net.trace" | grep -vE '^(127\.|::1$)')"
t_eq "traced: unbound queried no upstream" "" "$(grep -E 'htons\(1\)|127\.255\.255\.254' "$T_TMP/net.trace")"

# --- forwarding to an upstream ---------------------------------------------------
dns_start forward --upstream "127.0.0.1@$UP_PORT"
t_check "forward: ready" wait_until 10 ready || true
ready || { echo "forward: ml-dns log:"; tail -20 "$LOG"; }
t_ans "forward: a name of the upstream" 192.0.2.10 www.upstream.example
t_eq "forward: a name it refuses: SERVFAIL" SERVFAIL "$(status example.com)"
t_ans "forward: cluster names stay local" 10.96.0.1 kubernetes.default.$Z
t_check "forward: ExternalName followed to the upstream's A" wait_until 1 ans_is "192.0.2.10 www.upstream.example." ext2.default.$Z
dns_stop
t_eq "forward: exit 0" 0 "$DNS_RC"

# --- an upstream that never answers: SERVFAIL fast, not a 5 s hang -----------------
BH_PORT=$(free_port)
socat -u "UDP-RECV:$BH_PORT,bind=127.0.0.1" /dev/null &
OWN_PIDS="$OWN_PIDS $!"
dns_start blackhole --upstream "127.0.0.1@$BH_PORT"
t_check "blackhole: ready" wait_until 10 ready
for i in 1 2 3; do
	t0=$(ms)
	st=$(d +time=5 "n$i.upstream.example" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')
	dt=$(($(ms) - t0))
	t_eq "blackhole: query $i SERVFAIL" SERVFAIL "$st"
	t_check "blackhole: query $i within 2 s ($dt ms)" test "$dt" -le "$(scaled 2)"
done
dns_stop

# --- in-cluster configuration, with only the permissions of the manifest --------
# A service account allowed to list and watch services and endpoints, and
# nothing else, stands in for the pod's (its directory for the one under
# /var/run/secrets).
. "$CP_DIR/env"
sa_token() { # sa_token NAME: the token of service account NAME in kube-system
	local secret
	secret=$(k -n kube-system get serviceaccount "$1" -o jsonpath='{.secrets[0].name}') &&
		[ -n "$secret" ] &&
		k -n kube-system get secret "$secret" -o jsonpath='{.data.token}' | base64 -d
}
# incluster NAME SA: starts ml-dns with SA's token, in-cluster
incluster() {
	mkdir -p "$T_TMP/sa-$2"
	cp "$CA_FILE" "$T_TMP/sa-$2/ca.crt"
	wait_until 10 sa_token "$2" >/dev/null
	sa_token "$2" >"$T_TMP/sa-$2/token"
	echo kube-system >"$T_TMP/sa-$2/namespace"
	DNS_PORT=$(free_port) R_PORT=$(free_port)
	LOG="$T_TMP/$1.log"
	KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$APISERVER_PORT \
		ML_DNS_SERVICEACCOUNT_DIR="$T_TMP/sa-$2" "$ML_DNS" --listen 127.0.0.1 \
		--port "$DNS_PORT" --health-port 0 --ready-port "$R_PORT" \
		--state-dir "$T_TMP/$1" --upstream none >"$LOG" 2>&1 &
	DNS_PID=$!
	SIG_PID=$DNS_PID
	DNS_PIDS="$DNS_PIDS $DNS_PID"
}
# cpu_ticks PID: user and system time so far, in clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
k -n kube-system create serviceaccount ml-dns >/dev/null
k create clusterrole test-ml-dns --verb=list,watch --resource=services,endpoints >/dev/null
k create clusterrolebinding test-ml-dns --clusterrole=test-ml-dns \
	--serviceaccount=kube-system:ml-dns >/dev/null
incluster incluster ml-dns
t_check "in-cluster, list and watch only: ready" wait_until 10 ready
t_ans "in-cluster, list and watch only: answers" 10.96.0.1 kubernetes.default.$Z
k create service clusterip rbac --tcp=83 >/dev/null
RBAC_IP=$(k get service rbac -o jsonpath='{.spec.clusterIP}')
t_check "in-cluster, list and watch only: follows the watch" wait_until 1 ans_is "$RBAC_IP" rbac.default.$Z
dns_stop
t_eq "in-cluster: exit 0" 0 "$DNS_RC"

# endpoints forbidden: not ready, says why, keeps trying without spinning
k -n kube-system create serviceaccount ml-dns-half >/dev/null
k create clusterrole test-ml-dns-half --verb=list,watch --resource=services >/dev/null
k create clusterrolebinding test-ml-dns-half --clusterrole=test-ml-dns-half \
	--serviceaccount=kube-system:ml-dns-half >/dev/null
incluster half ml-dns-half
t_check "endpoints forbidden: says so" wait_until 10 grep -q "cannot list endpoints: .*403 Forbidden" "$LOG"
c0=$(cpu_ticks "$DNS_PID")
sleep 3
c1=$(cpu_ticks "$DNS_PID")
t_eq "endpoints forbidden: /ready 503" 503 "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$R_PORT/ready")"
t_check "endpoints forbidden: idle while retrying ($((c1 - c0)) ticks in 3 s)" test $((c1 - c0)) -lt 50
t_eq "endpoints forbidden: unbound answers all the same" SERVFAIL "$(status example.com)"
dns_stop
t_eq "endpoints forbidden: exit 0" 0 "$DNS_RC"

# --- valgrind: sync, a change, SIGTERM ------------------------------------------
PREFIX="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect --log-file=$T_TMP/vg.log" \
	dns_start valgrind --upstream none
t_check "valgrind: ready" wait_until 60 ready
k create service clusterip vgsvc --tcp=82 >/dev/null
VG_IP=$(k get service vgsvc -o jsonpath='{.spec.clusterIP}')
t_check "valgrind: a new service answered" wait_until 10 ans_is "$VG_IP" vgsvc.default.$Z
k delete service vgsvc >/dev/null
t_check "valgrind: its deletion seen" wait_until 10 status_is NXDOMAIN vgsvc.default.$Z
dns_stop
t_eq "valgrind: exit 0, no error, no leak" 0 "$DNS_RC"
[ "$DNS_RC" = 0 ] || head -40 "$T_TMP/vg.log"

# the upstream too sent nothing but to loopback
t_eq "upstream unbound: no peer outside loopback" "" "$(peers "$T_TMP/upstream.trace" | grep -vE '^(127\.|::1$)')"
t_check "log of the main instance has no warning but the outage" sh -c "! grep 'warning' '$MAIN_LOG' | grep -v 'lost the watch'"

t_summary
