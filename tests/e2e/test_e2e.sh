#!/bin/bash
# The user's workflow against a real VM under libvirt (TCG here, KVM where
# it runs), and the faults around it:
#   bad flags -> usage errors, nothing created
#   two starts at once -> the second fails cleanly
#   start -> use-context -> docker-env -> docker build -> deployment
#   (imagePullPolicy: Never) -> NodePort -> service --url -> curl -> logs, exec
#   qemu killed -> status says so -> start recovers, with the data
#   stop -> start: image and deployment still there, pod Running again
#   start killed midway -> the next start succeeds
#   delete -> no domain, pool, volume, context or profile left
# Needs root (qemu:///system), libvirtd and virtlogd (scripts/check starts
# them) and a node image (make iso).
. "$ML_TOP_SRCDIR/tests/lib.sh"

P=e2e
ml() { "$MINILAUNCH" -p $P "$@"; }
WAIT=${ML_E2E_WAIT:-20m}
for tool in virsh kubectl docker curl busybox; do
	command -v $tool >/dev/null || { t_fail "$tool is not installed (scripts/check installs it)"; t_summary; exit 1; }
done
cleanup() {
	"$MINILAUNCH" -p $P delete >/dev/null 2>&1
	rm -rf "$T_TMP"
}
trap cleanup EXIT

# --- usage errors come before anything is created
for bad in "--memory 10m" "--cpus 0" "--accel warp" "--disk-size 1m" "--wait sometimes" "--wait-timeout soon"; do
	t_run -p $P start $bad
	t_eq "start $bad: usage error" 64 "$T_RC"
done
t_check "bad flags created no profile" test ! -e "$MINILAUNCH_HOME/profiles/$P"
t_check "bad flags created no domain" bash -c "! virsh -q dominfo $P >/dev/null 2>&1"

# --- two starts at once: one boots, the other fails cleanly
ml start --wait-timeout "$WAIT" >"$T_TMP/start1.out" 2>&1 &
first=$!
for _ in $(seq 1 100); do
	[ -e "$MINILAUNCH_HOME/profiles/$P/config.json" ] && break
	sleep 0.1
done
t_run -p $P start --wait-timeout "$WAIT"
t_eq "second concurrent start fails" 1 "$T_RC"
t_check "second start says the profile is busy" grep -q "is busy" "$T_TMP/err"
wait $first
rc=$?
t_eq "first start succeeds" 0 "$rc"
[ $rc -eq 0 ] || { cat "$T_TMP/start1.out"; tail -50 "$MINILAUNCH_HOME/profiles/$P/machine/serial.log"; t_summary; exit 1; }
grep -E '^  . |Done in' "$T_TMP/start1.out"

t_run -p $P status
t_eq "status: all running" 0 "$T_RC"
t_check "status lines" grep -qx "apiserver: Running" "$T_TMP/out"

# --- the user's workflow
t_check "kubectl config use-context" kubectl config use-context $P
t_eq "node Ready" "True" "$(kubectl get node $P -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')"
eval "$(ml docker-env)"
t_eq "docker-env points at the VM" "tcp://127.0.0.1:$(jq -r .state.ports.docker "$MINILAUNCH_HOME/profiles/$P/config.json")" "$DOCKER_HOST"
ctx=$T_TMP/ctx
mkdir -p "$ctx"
cp "$(command -v busybox)" "$ctx/busybox"
echo "hello from minilaunch" >"$ctx/index.html"
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
COPY index.html /www/index.html
ENTRYPOINT ["/bin/busybox", "httpd", "-f", "-v", "-p", "8080", "-h", "/www"]
DOCKERFILE
t_check "docker build through docker-env" bash -c "DOCKER_BUILDKIT=0 docker build -q -t hello:1 '$ctx' >/dev/null"
cat >"$T_TMP/deploy.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: hello}
spec:
  replicas: 1
  selector: {matchLabels: {app: hello}}
  template:
    metadata: {labels: {app: hello}}
    spec:
      containers:
      - name: hello
        image: hello:1
        imagePullPolicy: Never
        ports: [{containerPort: 8080}]
YAML
t_check "deployment created" kubectl apply -f "$T_TMP/deploy.yaml"
t_check "deployment available" kubectl rollout status deployment/hello --timeout=300s
t_check "exposed as NodePort" kubectl expose deployment hello --type=NodePort --port=8080
url=$(ml service hello --url)
t_check "service --url gives a 127.0.0.1 URL" grep -Eq '^http://127\.0\.0\.1:[0-9]+$' <<<"$url"
page=
for _ in $(seq 1 60); do
	page=$(curl -s --max-time 5 "$url/index.html") && [ -n "$page" ] && break
	sleep 2
done
t_eq "curl gets the page through the NodePort" "hello from minilaunch" "$page"
t_check "kubectl logs shows the request" bash -c "kubectl logs deploy/hello | grep -q 'GET /index.html'"
t_eq "kubectl exec runs in the pod" "hi" "$(kubectl exec deploy/hello -- /bin/busybox echo hi)"
t_check "ssh runs a command" bash -c "'$MINILAUNCH' -p $P ssh -- docker images --format '{{.Repository}}:{{.Tag}}' | grep -qx hello:1"

# --- qemu killed: status says so, start recovers with the data
pid=$(pgrep -f "qemu-system-x86_64 -name guest=$P," | head -1)
t_check "found the VM's qemu" test -n "$pid"
kill -9 "$pid"
sleep 2
t_run -p $P status
t_eq "status after SIGKILL: host bit set" 1 "$((T_RC & 1))"
t_check "status after SIGKILL: host not running" bash -c "! grep -qx 'host: Running' '$T_TMP/out'"
t_check "start recovers a killed VM" ml start --wait-timeout "$WAIT"
t_check "deployment back after the crash" kubectl rollout status deployment/hello --timeout=300s

# --- stop and start: image and deployment still there
t_check "stop" ml stop
t_run -p $P status
t_eq "status when stopped" 7 "$T_RC"
t_check "docker-env refuses a stopped profile" bash -c "! '$MINILAUNCH' -p $P docker-env >/dev/null 2>&1"
t_check "start from stopped" ml start --wait-timeout "$WAIT"
eval "$(ml docker-env)"
t_check "image survived stop/start" bash -c "docker images --format '{{.Repository}}:{{.Tag}}' | grep -qx hello:1"
t_check "deployment survived stop/start" kubectl get deployment hello
t_check "pod Running again" kubectl wait --for=condition=Ready pod -l app=hello --timeout=300s
t_run -p $P start
t_eq "start on a running cluster checks and returns" 0 "$T_RC"

# --- start killed midway, then a start that repairs
t_check "stop again" ml stop
ml start --wait-timeout "$WAIT" >"$T_TMP/killed.out" 2>&1 &
victim=$!
for _ in $(seq 1 300); do
	grep -q "Booting the VM" "$T_TMP/killed.out" && break
	sleep 0.2
done
kill -9 $victim
wait $victim 2>/dev/null
t_check "start after a killed start" ml start --wait-timeout "$WAIT"
t_run -p $P status
t_eq "status after the repair" 0 "$T_RC"

# --- bundle of logs
t_check "logs --file" ml logs --file "$T_TMP/bundle.tar.gz"
t_check "bundle holds console and journal" bash -c "tar -tzf '$T_TMP/bundle.tar.gz' | grep -q console/serial.log && tar -tzf '$T_TMP/bundle.tar.gz' | grep -q node/journal.txt"
t_check "bundle holds no private key" bash -c "! tar -xzOf '$T_TMP/bundle.tar.gz' | grep -q 'PRIVATE KEY'"

# --- delete leaves nothing behind
t_check "delete" ml delete
t_check "no domain left" bash -c "! virsh -q dominfo $P >/dev/null 2>&1"
t_check "no pool left" bash -c "! virsh -q pool-info minilaunch-$P >/dev/null 2>&1"
t_check "no context left" bash -c "! kubectl config get-contexts -o name | grep -qx $P"
t_check "no profile left" test ! -e "$MINILAUNCH_HOME/profiles/$P"

t_summary
