#!/bin/bash
# tests/iso/test_boot.sh: boot the node ISO under QEMU and check what the guest
# promises (docs/node-image.md). Three boots: a full cluster on a blank data
# disk, a second boot on the same disk (persistence), and a Docker-only boot
# on a disk holding foreign data (never formatted).
#
# The ISO is $ML_ISO or the newest out/minilaunch-*.iso. Direct kernel boot
# (-kernel/-initrd/-append from the ISO's /boot), as the libvirt driver does:
# it skips the BIOS and isolinux, and the ISO is still attached as a CD that
# holds the root filesystem.
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
. "$TOP/tests/lib.sh"
. "$HERE/lib-vm.sh"

BOOT_TIMEOUT=${ML_BOOT_TIMEOUT:-900}
VM_DIR=$T_TMP/vm
VM_CERTS=$VM_DIR/pki
VM_NAME=mlnode
mkdir -p "$VM_DIR"
trap 'vm_kill; pkill -P $$ kubectl 2>/dev/null; rm -rf "$T_TMP"' EXIT
trap 'exit 130' INT TERM

vm_deps || { echo "cannot install test dependencies"; exit 1; }
vm_find_iso || { echo "no ISO: run 'make iso' (or iso/build) first, or set ML_ISO"; exit 1; }
echo "# ISO $VM_ISO"
vm_extract "$VM_DIR/boot" || { echo "cannot extract /boot from $VM_ISO"; exit 1; }

t_check "the ISO carries /version.json" \
	sh -c "xorriso -osirrox on -indev '$VM_ISO' -extract /version.json '$VM_DIR/version.json' >/dev/null 2>&1 && grep -q '\"kubernetes_version\": \"v1.20.2\"' '$VM_DIR/version.json'"

"$HERE/make-config-drive" --name "$VM_NAME" "$VM_CERTS" "$VM_DIR/config.iso" ||
	{ echo "make-config-drive failed"; exit 1; }
vm_new_disk "$VM_DIR/data.qcow2" 20G || { echo "cannot make the data disk"; exit 1; }

serial_tail() { echo "# --- serial log tail ($1)"; tail -n 40 "$VM_SERIAL" | sed 's/^/#   /'; }

# ---------------------------------------------------------------- boot 1
vm_boot first "$VM_DIR/data.qcow2" "$VM_DIR/config.iso"
vm_kubeconfig
t_check "sshd answers, with the pinned host key (StrictHostKeyChecking=yes)" \
	vm_wait_ssh "$BOOT_TIMEOUT"
T_SSH=$(vm_elapsed)
# Another key for the same address: ssh must refuse the node.
ssh-keygen -q -t ecdsa -b 256 -N '' -f "$VM_DIR/other_host_key"
echo "[127.0.0.1]:$VM_SSH $(cut -d' ' -f1,2 "$VM_DIR/other_host_key.pub")" >"$VM_DIR/other_known_hosts"
out=$(ssh ${VM_SSH_OPTS//$VM_KNOWN_HOSTS/$VM_DIR/other_known_hosts} -i "$VM_CERTS/certs/id_ssh" \
	-p "$VM_SSH" docker@127.0.0.1 echo logged in 2>&1)
t_check "ssh refuses the node when known_hosts holds another key" \
	bash -c '! grep -q "logged in" <<<"$1" && grep -q "Host key verification failed" <<<"$1"' _ "$out"
t_eq "ssh with the key runs a command" "$VM_NAME docker" "$(vm_ssh 'echo $(hostname) $(id -un)' 2>&1)"
t_eq "docker user has passwordless sudo" root "$(vm_ssh sudo -n id -un 2>&1)"
out=$(ssh $VM_SSH_OPTS -o PubkeyAuthentication=no -o PreferredAuthentications=password,keyboard-interactive \
	-p "$VM_SSH" docker@127.0.0.1 true 2>&1)
t_check "ssh password login is refused (only publickey offered)" \
	grep -q 'Permission denied (publickey)' <<<"$out"
t_check "ssh root login is refused" \
	sh -c "! ssh $VM_SSH_OPTS -i '$VM_CERTS/certs/id_ssh' -p $VM_SSH root@127.0.0.1 true 2>/dev/null"

t_check "docker version over TLS with the client cert" vm_wait_docker "$BOOT_TIMEOUT"
T_DOCKER=$(vm_elapsed)
t_check "docker without a client cert is refused" \
	sh -c "! curl -s --max-time 10 --cacert '$VM_CERTS/ca/docker-ca.crt' https://127.0.0.1:$VM_DOCKER/version"
t_check "docker over plaintext TCP is refused" \
	sh -c "! DOCKER_HOST=tcp://127.0.0.1:$VM_DOCKER timeout 20 docker version >/dev/null 2>&1"
# ml-preload runs right after dockerd is up.
t_check "pause image preloaded (k8s.gcr.io/pause:3.2)" \
	vm_wait 300 vm_docker image inspect k8s.gcr.io/pause:3.2

t_check "apiserver /readyz ok with the admin cert" vm_wait_api "$BOOT_TIMEOUT"
T_API=$(vm_elapsed)
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$VM_CERTS/ca/ca.crt" \
	"https://127.0.0.1:$VM_API/api/v1/namespaces")
# Anonymous requests authenticate as system:anonymous (kept for /readyz
# probes) and are forbidden anything else.
t_check "apiserver refuses anonymous requests (401 or 403, got $code)" \
	grep -qxE '401|403' <<<"$code"
# The reflect2 trap: lists must serialize, not only /readyz.
json_list() { vm_curl_api /api/v1/namespaces | grep -q '"name": "kube-system"'; }
t_check "apiserver JSON list works (GET /api/v1/namespaces)" json_list
t_check "node becomes Ready" vm_wait_node "$BOOT_TIMEOUT"
T_READY=$(vm_elapsed)
t_eq "kubectl get nodes lists the node Ready" "$VM_NAME Ready" \
	"$(vm_kubectl get nodes --no-headers 2>&1 | awk '{print $1, $2}')"
MEM=$(vm_ssh "free -m | awk '/^Mem:/ {print \$3}'" 2>/dev/null)
echo "# boot 1 (TCG): sshd ${T_SSH}s, dockerd ${T_DOCKER}s, apiserver ${T_API}s, node Ready ${T_READY}s, ${MEM} MiB used"
t_check "writes work (create a configmap)" vm_kubectl create configmap mltest --from-literal=a=b

# Every component is up: no private key may be readable by another account.
keys=$(vm_readable_keys 2>&1)
t_eq "an unprivileged guest user reads no private key, kubeconfig or disk" 0 "$(head -n1 <<<"$keys")"
sed -n '2,$s/^/#   /p' <<<"$keys"
t_eq "the config drive is unmounted once ml-setup is done" unmounted "$(vm_drive_mounted 2>&1)"
t_check "ml-report reads its settings (serial log: kube-apiserver ready)" \
	vm_wait 120 grep -q 'minilaunch: kube-apiserver ready' "$VM_SERIAL"

# A FROM-scratch image with a static busybox, built through the forwarded dockerd.
B=$VM_DIR/img
mkdir -p "$B/root/bin" "$B/root/www"
cp /bin/busybox "$B/root/bin/busybox"
for a in sh env wget cat echo ls sleep httpd; do ln -s busybox "$B/root/bin/$a"; done
echo "hello from mlweb" >"$B/root/www/index.html"
cat >"$B/Dockerfile" <<'DF'
FROM scratch
COPY root/ /
ENV PATH=/bin
ENTRYPOINT ["/bin/sh", "-c", "echo mlweb started; exec httpd -f -v -p 8080 -h /www"]
DF
build_image() { DOCKER_BUILDKIT=0 vm_docker build -q -t mlweb:test "$B" >/dev/null; }
t_check "docker build FROM scratch through the forwarded dockerd" build_image

cat >"$VM_DIR/svc.yaml" <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: mlweb}
spec:
  type: NodePort
  selector: {app: mlweb}
  ports: [{port: 80, targetPort: 8080, nodePort: 30080}]
YAML
cat >"$VM_DIR/app.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: mlweb}
spec:
  replicas: 1
  selector: {matchLabels: {app: mlweb}}
  template:
    metadata: {labels: {app: mlweb}}
    spec:
      containers:
      - name: web
        image: mlweb:test
        imagePullPolicy: Never
        ports: [{containerPort: 8080}]
        readinessProbe:
          tcpSocket: {port: 8080}
          periodSeconds: 2
YAML
# The Service first, so that the pod started after it gets its variables.
t_check "create the Service" vm_kubectl apply -f "$VM_DIR/svc.yaml"
t_check "create the Deployment (imagePullPolicy: Never)" vm_kubectl apply -f "$VM_DIR/app.yaml"
t_check "the deployment's pod becomes Ready" \
	vm_kubectl rollout status deployment/mlweb --timeout=600s
POD=$(vm_kubectl get pods -l app=mlweb -o jsonpath='{.items[0].metadata.name}' 2>/dev/null)
echo "# pod $POD"
pod_logs() { vm_kubectl logs "$POD" | grep -q 'mlweb started'; }
t_check "kubectl logs shows the container's output" pod_logs
t_eq "kubectl exec runs in the pod" "hello from mlweb" \
	"$(vm_kubectl exec "$POD" -- cat /www/index.html 2>&1)"
pod_env() { vm_kubectl exec "$POD" -- env | grep -q '^MLWEB_SERVICE_HOST=10\.'; }
t_check "MLWEB_SERVICE_HOST is set in the pod" pod_env
PF=$(vm_free_port)
vm_kubectl port-forward "pod/$POD" "$PF:8080" >"$VM_DIR/pf.log" 2>&1 &
PF_PID=$!
pf_http() { curl -s --max-time 10 "http://127.0.0.1:$PF/" | grep -q 'hello from mlweb'; }
t_check "HTTP through kubectl port-forward" vm_wait 60 pf_http
kill "$PF_PID" 2>/dev/null; wait "$PF_PID" 2>/dev/null
# bash's /dev/tcp: the guest has no curl.
nodeport_http() {
	vm_ssh 'exec 3<>/dev/tcp/127.0.0.1/30080; printf "GET / HTTP/1.0\r\n\r\n" >&3; cat <&3' |
		grep -q 'hello from mlweb'
}
t_check "HTTP through the NodePort inside the VM (kube-proxy)" vm_wait 60 nodeport_http
t_check "clean poweroff" vm_stop 180

# ---------------------------------------------------------------- boot 2
vm_boot second "$VM_DIR/data.qcow2" "$VM_DIR/config.iso"
vm_kubeconfig
t_check "second boot: node Ready again" vm_wait_node "$BOOT_TIMEOUT"
echo "# boot 2 (TCG): node Ready after $(vm_elapsed)s"
t_eq "second boot: the data disk was not reformatted (2 boots recorded)" 2 \
	"$(vm_ssh 'wc -l < /var/lib/minilaunch/boots' 2>&1)"
t_check "second boot: the image survived" vm_docker image inspect mlweb:test
t_check "second boot: the deployment survived" vm_kubectl get deployment mlweb
t_check "second boot: its pod runs again" vm_kubectl rollout status deployment/mlweb --timeout=600s
t_eq "second boot: the configmap survived" b \
	"$(vm_kubectl get configmap mltest -o jsonpath='{.data.a}' 2>&1)"
t_check "second boot: clean poweroff" vm_stop 180

# ---------------------------------------------------------------- boot 3
# Docker only, and a data disk holding foreign data that must be left alone.
# settings.env is data, never shell: values that would run a command or
# smuggle an option into dockerd's command line are refused.
# And its files are all readable by all, as older hosts wrote them: the
# guest must still leave no key readable.
"$HERE/make-config-drive" --name "$VM_NAME" --kubernetes false --world-readable \
	--setting 'DOCKER_PORT=$(touch /pwned)' --setting 'CLUSTER_DOMAIN=$(touch /pwned)' \
	--setting 'DOCKER_PORT=2376 --insecure' "$VM_CERTS" "$VM_DIR/docker-only.iso"
truncate -s 1G "$VM_DIR/foreign.raw"
printf 'FOREIGN DATA, DO NOT FORMAT' | dd of="$VM_DIR/foreign.raw" conv=notrunc status=none
vm_boot third "$VM_DIR/foreign.raw" "$VM_DIR/docker-only.iso"
t_check "docker-only boot: docker version" vm_wait_docker "$BOOT_TIMEOUT"
echo "# boot 3 (TCG, docker only): dockerd after $(vm_elapsed)s"
t_eq "docker-only boot: no control plane" inactive \
	"$(vm_ssh systemctl is-active kube-apiserver kubelet ml-etcd 2>/dev/null | sort -u | tr -d '\n')"
t_check "docker-only boot: the serial log reports the foreign disk" \
	grep -q 'holds foreign data' "$VM_SERIAL"
keys=$(vm_readable_keys 2>&1)
t_eq "docker-only boot, world-readable drive: an unprivileged user reads no key" 0 \
	"$(head -n1 <<<"$keys")"
sed -n '2,$s/^/#   /p' <<<"$keys"
t_eq "docker-only boot: the config drive is unmounted" unmounted "$(vm_drive_mounted 2>&1)"
t_check "docker-only boot: the serial log refuses the bad DOCKER_PORT values" \
	sh -c "[ \$(grep -c 'settings.env: invalid DOCKER_PORT' '$VM_SERIAL') = 2 ]"
t_eq "docker-only boot: no value of settings.env ran (no /pwned)" absent \
	"$(vm_ssh 'test -e /pwned && echo present || echo absent' 2>&1)"
dockerd_cmd=$(vm_ssh 'tr "\0" " " </proc/$(pidof dockerd)/cmdline' 2>&1)
echo "# dockerd: $dockerd_cmd"
t_check "docker-only boot: dockerd listens on 2376 with TLS" \
	grep -q -- '-H tcp://0.0.0.0:2376 --tlsverify' <<<"$dockerd_cmd"
t_check "docker-only boot: dockerd got no option from settings.env" \
	bash -c '! grep -q -- "--insecure\|pwned" <<<"$1"' _ "$dockerd_cmd"
t_eq "docker-only boot: the settings the guest kept" "DOCKER_PORT=2376 CLUSTER_DOMAIN=cluster.local" \
	"$(vm_ssh "grep -E '^(DOCKER_PORT|CLUSTER_DOMAIN)=' /run/minilaunch/settings.env | sort -r | tr '\n' ' ' | sed 's/ \$//'" 2>&1)"
t_check "docker-only boot: clean poweroff" vm_stop 180
t_eq "foreign data disk left untouched" "FOREIGN DATA, DO NOT FORMAT" \
	"$(head -c 27 "$VM_DIR/foreign.raw")"

[ "$T_FAILED" -gt 0 ] && [ -n "${VM_SERIAL:-}" ] && serial_tail "$VM_SERIAL"
t_summary
