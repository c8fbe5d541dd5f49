#!/bin/bash
# Faults around a real VM under libvirt:
#   a wrong checksum on --iso-url -> refused, cache not polluted
#   qemu killed -> status says so -> start recovers, with the data
#   stop -> start: image and deployment still there, pod Running again,
#   cluster DNS answers
#   start killed midway -> the next start succeeds
#   offline: an image pull fails and status names the fix; an image missing
#   under imagePullPolicy Never names the node's Docker daemon
# Every start here is offline (--network offline): nothing leaves the node.
P=${P:-e2efault}
. "$ML_TOP_SRCDIR/tests/e2e/lib.sh"
LF=${ML_TEST_LOAD_FACTOR:-1}

# e2e_waiting_reason POD REASON-ERE: waits until the pod's container waits
# for a reason matching REASON-ERE; prints the last reason seen.
e2e_waiting_reason() {
	local got=''
	for _ in $(seq 1 $((300 * LF))); do
		got=$(kubectl get pod "$1" -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}' 2>/dev/null)
		grep -Eqx "$2" <<<"$got" && break
		sleep 1
	done
	echo "$got"
}

# --- a wrong checksum on --iso-url: refused before anything boots
mkdir -p "$T_TMP/mirror"
head -c 4096 /dev/urandom >"$T_TMP/mirror/node.iso"
echo "0000000000000000000000000000000000000000000000000000000000000000  node.iso" >"$T_TMP/mirror/node.iso.sha256"
t_run -p $P start --network offline --iso-url "file://$T_TMP/mirror/node.iso"
t_eq "wrong checksum: start fails" 1 "$T_RC"
t_check "wrong checksum: says so" grep -q "not the expected" "$T_TMP/err"
t_check "wrong checksum: nothing cached" test -z "$(ls -A "$MINILAUNCH_HOME/cache/iso" 2>/dev/null)"
t_check "wrong checksum: no VM" bash -c "! virsh -q dominfo $DOM >/dev/null 2>&1"
"$MINILAUNCH" -p $P delete >/dev/null 2>&1

t_check "start" ml start --network offline --wait-timeout "$WAIT"
# start with accel auto: KVM where the node's kernel boots under it, else TCG
verdict=$(e2e_kvm_verdict)
accel=$(jq -r .state.accel "$MINILAUNCH_HOME/profiles/$P/config.json")
case $verdict in
kvm*) t_eq "auto: KVM, which boots the node here" kvm "$accel" ;;
*) t_eq "auto: TCG, as KVM cannot run the node here" tcg "$accel" ;;
esac
if [ -e /dev/kvm ] && [ "${verdict%% *}" = tcg ]; then
	t_eq "auto on a host whose /dev/kvm does not boot the node: Ready on TCG" "True" "$(kubectl --context $P get node $P -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)"
else
	t_skip "auto on a host whose /dev/kvm does not boot the node: Ready on TCG" \
		"$([ -e /dev/kvm ] && echo "KVM boots the node here" || echo "no /dev/kvm here")"
fi
t_check "kubectl config use-context" kubectl config use-context $P
e2e_deploy

# --- offline: pulls fail and status says how to go online; an image
# absent under imagePullPolicy Never names the daemon it was looked up in
t_run -p $P status -o json
t_eq "offline: status -o json says so" offline "$(jq -r .network "$T_TMP/out")"
pull_image=host.minilaunch.internal:$(t_free_port)/e2e/none:1
t_check "offline: a pod of a registry's image" \
	kubectl run nopull --image="$pull_image" --restart=Never
got=$(e2e_waiting_reason nopull 'ErrImagePull|ImagePullBackOff')
t_check "offline: the pull fails (got '$got')" grep -Eqx 'ErrImagePull|ImagePullBackOff' <<<"$got"
t_run -p $P status
t_eq "offline: status still exits 0" 0 "$T_RC"
t_check "offline: status names the pod, its image and the fix" grep -Eqx \
	"  pod default/nopull: (ErrImagePull|ImagePullBackOff) \($pull_image\): this profile is offline: minilaunch -p $P stop && minilaunch -p $P start --network=online" \
	"$T_TMP/out"
t_check "never pull: a pod of an image the node lacks" \
	kubectl run neverpull --image=e2e/absent:1 --image-pull-policy=Never --restart=Never
got=$(e2e_waiting_reason neverpull ErrImageNeverPull)
t_eq "never pull: the kubelet's reason" ErrImageNeverPull "$got"
t_run -p $P status
t_check "never pull: status names the node's Docker daemon and docker-env" grep -Fqx \
	"  pod default/neverpull: ErrImageNeverPull (e2e/absent:1): image e2e/absent:1 is not in the Docker daemon of node '$P': build or pull it there after eval \$(minilaunch -p $P docker-env)" \
	"$T_TMP/out"
t_run -p $P status -o json
t_eq "status -o json: the two pods" "neverpull nopull" "$(jq -r '.pods[].name' "$T_TMP/out" | sort | xargs)"
t_eq "status -o json: the never-pull pod's reason and image" "ErrImageNeverPull e2e/absent:1" \
	"$(jq -r '.pods[] | select(.name == "neverpull") | "\(.reason) \(.image)"' "$T_TMP/out")"
t_eq "status -o json: the hint of the offline pull" \
	"this profile is offline: minilaunch -p $P stop && minilaunch -p $P start --network=online" \
	"$(jq -r '.pods[] | select(.name == "nopull") | .hint' "$T_TMP/out")"
kubectl delete pod nopull neverpull --wait=false >/dev/null 2>&1

# --- qemu killed: status says so, start recovers with the data
pid=$(pgrep -f "qemu-system-x86_64 -name guest=$DOM," | head -1)
t_check "found the VM's qemu" test -n "$pid"
kill -9 "$pid"
sleep 2
t_run -p $P status
t_eq "status after SIGKILL: host bit set" 1 "$((T_RC & 1))"
t_check "status after SIGKILL: host not running" bash -c "! grep -qx 'host: Running' '$T_TMP/out'"
t_check "start recovers a killed VM" ml start --network offline --wait-timeout "$WAIT"
t_check "deployment back after the crash" kubectl rollout status deployment/hello --timeout=300s

# --- stop and start: image and deployment still there
t_check "stop" ml stop
t_run -p $P status
t_eq "status when stopped" 7 "$T_RC"
t_check "docker-env refuses a stopped profile" bash -c "! '$MINILAUNCH' -p $P docker-env >/dev/null 2>&1"
t_check "start from stopped" ml start --network offline --wait-timeout "$WAIT"
eval "$(ml docker-env)"
t_check "image survived stop/start" bash -c "docker images --format '{{.Repository}}:{{.Tag}}' | grep -qx hello:1"
t_check "deployment survived stop/start" kubectl get deployment hello
t_check "pod Running again" kubectl wait --for=condition=Ready pod -l app=hello --timeout=300s
e2e_dns_check "after stop/start"
t_run -p $P start --network offline
t_eq "start on a running cluster checks and returns" 0 "$T_RC"

# --- start killed midway, then a start that repairs
t_check "stop again" ml stop
# not through ml(): $! must be minilaunch itself, which execs minilaunch-core
"$MINILAUNCH" -p $P start --network offline --wait-timeout "$WAIT" >"$T_TMP/killed.out" 2>&1 &
victim=$!
for _ in $(seq 1 300); do
	grep -q "Booting the VM" "$T_TMP/killed.out" && break
	sleep 0.2
done
kill -9 $victim
wait $victim 2>/dev/null
t_check "start after a killed start" ml start --network offline --wait-timeout "$WAIT"
t_run -p $P status
t_eq "status after the repair" 0 "$T_RC"

t_check "delete" ml delete
t_summary
