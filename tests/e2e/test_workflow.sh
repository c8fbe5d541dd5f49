#!/bin/bash
# The user's workflow against a real VM under libvirt:
#   bad flags -> usage errors, nothing created
#   two starts at once -> the second fails cleanly
#   start -> use-context -> docker-env -> docker build -> deployment
#   (imagePullPolicy: Never) -> NodePort -> service --url -> curl -> logs, exec
#   -> a log bundle -> delete: no domain, pool, volume, context or profile left
P=e2e
. "$ML_TOP_SRCDIR/tests/e2e/lib.sh"

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
e2e_deploy
t_eq "docker-env points at the VM" "tcp://127.0.0.1:$(jq -r .state.ports.docker "$MINILAUNCH_HOME/profiles/$P/config.json")" "$DOCKER_HOST"
t_check "exposed as NodePort" kubectl expose deployment hello --type=NodePort --port=8080
url=$(ml service hello --url)
t_check "service --url gives a 127.0.0.1 URL" grep -Eq '^http://127\.0\.0\.1:[0-9]+$' <<<"$url"
page=
for _ in $(seq 1 60); do
	page=$(curl -s --max-time 5 "$url/index.html") && [ -n "$page" ] && break
	sleep 2
done
t_eq "curl gets the page through the NodePort" "hello from minilaunch" "$page"
t_check "kubectl logs shows the request" bash -c "kubectl logs deploy/hello | grep -q 'response:200'"
t_eq "kubectl exec runs in the pod" "hi" "$(kubectl exec deploy/hello -- /bin/busybox echo hi)"
t_check "ssh runs a command" bash -c "'$MINILAUNCH' -p $P ssh -- docker images --format '{{.Repository}}:{{.Tag}}' | grep -qx hello:1"

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
