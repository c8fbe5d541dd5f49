#!/bin/bash
# Faults around a real VM under libvirt:
#   a wrong checksum on --iso-url -> refused, cache not polluted
#   qemu killed -> status says so -> start recovers, with the data
#   stop -> start: image and deployment still there, pod Running again,
#   cluster DNS answers
#   start killed midway -> the next start succeeds
#   offline: an image pull fails and status names the fix; an image missing
#   under imagePullPolicy Never names the node's Docker daemon
#   addons: the default ones up at start, a claim with no class binds and
#   its data outlives the pod and stop/start; the registry addon takes a
#   push to localhost:5000 and serves a pod; `image load` of a saved image
#   runs under imagePullPolicy Never
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

# --- addons (docs/addons.md): the two default ones came up with start; a
# claim with no class binds, and its data outlives the pod (and, below,
# stop/start); the registry addon takes a push to localhost:5000 and serves
# a pod; `image load` puts a saved image where imagePullPolicy Never finds it
t_run -p $P addons list -o json
t_eq "addons: list -o json exits 0" 0 "$T_RC"
t_eq "addons: the defaults are on, the registry off" "default-storageclass=enabled registry=disabled storage-provisioner=enabled" \
	"$(jq -r 'to_entries[] | "\(.key)=\(.value.status)"' "$T_TMP/out" | grep -E '^(default-storageclass|registry|storage-provisioner)=' | sort | xargs)"
t_eq "addons: StorageClass standard is the default" true \
	"$(kubectl get storageclass standard -o jsonpath='{.metadata.annotations.storageclass\.kubernetes\.io/is-default-class}')"
t_eq "addons: the provisioner is available" 1 \
	"$(kubectl -n kube-system get deployment storage-provisioner -o jsonpath='{.status.availableReplicas}')"
cat >"$T_TMP/pvc.yaml" <<'YAML'
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 16Mi}}
YAML
# pvc_pod NAME CMD: a pod of hello:1 with the claim at /data, running CMD
pvc_pod() {
	cat <<YAML | kubectl apply -f - >/dev/null
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: hello:1
    imagePullPolicy: Never
    command: ["/bin/busybox", "sh", "-c", "$2"]
    volumeMounts: [{name: d, mountPath: /data}]
  volumes:
  - name: d
    persistentVolumeClaim: {claimName: data}
YAML
}
# pod_done NAME: waits until the pod has run to its end; prints its phase
pod_done() {
	local ph=
	for _ in $(seq 1 $((300 * LF))); do
		ph=$(kubectl get pod "$1" -o jsonpath='{.status.phase}' 2>/dev/null)
		case $ph in Succeeded | Failed) break ;; esac
		sleep 1
	done
	echo "$ph"
}
t0=$SECONDS
t_check "storage: a claim with no class" kubectl apply -f "$T_TMP/pvc.yaml"
phase=
for _ in $(seq 1 $((120 * LF))); do
	phase=$(kubectl get pvc data -o jsonpath='{.status.phase}')
	[ "$phase" = Bound ] && break
	sleep 1
done
t_eq "storage: it binds" Bound "$phase"
echo "  storage: bound in $((SECONDS - t0)) s"
t_eq "storage: of class standard" standard "$(kubectl get pvc data -o jsonpath='{.spec.storageClassName}')"
pv=$(kubectl get pvc data -o jsonpath='{.spec.volumeName}')
t_eq "storage: its volume is a hostPath under the node's data" /var/lib/minilaunch/hostpath/default/data \
	"$(kubectl get pv "$pv" -o jsonpath='{.spec.hostPath.path}')"
pvc_pod writer 'echo kept >/data/f'
t_eq "storage: a pod writes to it" Succeeded "$(pod_done writer)"
t_check "storage: the pod deleted" kubectl delete pod writer --wait=true
t_eq "storage: the file is on the node's disk" kept \
	"$(ml ssh -- sudo cat /var/lib/minilaunch/hostpath/default/data/f 2>/dev/null)"
pvc_pod reader 'cat /data/f'
t_eq "storage: a new pod reads it" Succeeded "$(pod_done reader)"
t_eq "storage: ... the same content" kept "$(kubectl logs reader 2>&1)"
kubectl delete pod reader --wait=true >/dev/null 2>&1

# the registry addon: enable, push through docker-env to the node's
# localhost:5000, a pod of localhost:5000/... (pulled, not the local copy)
t_check "registry addon: enable" ml addons enable registry
t_eq "registry addon: its Deployment is available" 1 \
	"$(kubectl -n kube-system get deployment registry -o jsonpath='{.status.availableReplicas}')"
RIMG=localhost:5000/e2e/app:1
t_check "registry addon: docker tag" docker tag hello:1 "$RIMG"
t_check "registry addon: docker push localhost:5000 through docker-env" bash -c "docker push '$RIMG' >/dev/null"
t_check "registry addon: docker rmi, so the kubelet must pull" bash -c "docker rmi '$RIMG' >/dev/null"
t_check "registry addon: a pod of $RIMG (imagePullPolicy Always)" \
	kubectl run regapp --image="$RIMG" --image-pull-policy=Always --restart=Never
t_check "registry addon: the pod is Ready" kubectl wait --for=condition=Ready pod/regapp --timeout=$((300 * LF))s
t_check "registry addon: the kubelet pulled it" \
	bash -c "kubectl get events --field-selector involvedObject.name=regapp -o jsonpath='{.items[*].reason}' | grep -qw Pulled"
kubectl delete pod regapp --wait=false >/dev/null 2>&1
# what the addons cost, printed for the record: each container's memory
docker stats --no-stream --format '{{.Name}} {{.MemUsage}}' 2>/dev/null |
	grep -E '^k8s_(storage-provisioner|registry)_' | sed 's/^/  addon memory: /'
t_check "registry addon: the push is on the node's disk" \
	bash -c "'$MINILAUNCH' -p $P ssh -- sudo test -d /var/lib/minilaunch/registry/docker/registry/v2/repositories/e2e/app"
t_check "registry addon: disable" ml addons disable registry
# its Deployment goes at once; its pod after (background propagation)
left=
for _ in $(seq 1 $((120 * LF))); do
	left=$(kubectl get all,serviceaccount -A -l minilaunch.io/addon=registry -o name 2>/dev/null)
	[ -z "$left" ] && break
	sleep 1
done
t_eq "registry addon: its objects are gone" "" "$left"

# `image load`: a saved image, removed from the node, loaded back without
# the docker CLI, run under imagePullPolicy Never
t_check "image load: docker tag and save" \
	bash -c "docker tag hello:1 e2e/loaded:1 && docker save -o '$T_TMP/loaded.tar' e2e/loaded:1 && docker rmi e2e/loaded:1 >/dev/null"
t_check "image load: not in the node" bash -c "! docker image inspect e2e/loaded:1 >/dev/null 2>&1"
t_check "image load" ml image load "$T_TMP/loaded.tar"
t_check "image ls lists it" bash -c "'$MINILAUNCH' -p $P image ls | grep -Eq '^e2e/loaded +1 '"
cat >"$T_TMP/loaded.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: loaded}
spec:
  replicas: 1
  selector: {matchLabels: {app: loaded}}
  template:
    metadata: {labels: {app: loaded}}
    spec:
      containers:
      - name: loaded
        image: e2e/loaded:1
        imagePullPolicy: Never
YAML
t_check "image load: a Deployment of it (imagePullPolicy Never)" kubectl apply -f "$T_TMP/loaded.yaml"
t_check "image load: it runs" kubectl rollout status deployment/loaded --timeout=$((300 * LF))s
kubectl delete deployment loaded >/dev/null 2>&1

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
pvc_pod reader2 'cat /data/f'
t_eq "storage: the claim's data survived stop/start" Succeeded "$(pod_done reader2)"
t_eq "storage: ... the same content" kept "$(kubectl logs reader2 2>&1)"
kubectl delete pod reader2 --wait=false >/dev/null 2>&1
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
