#!/bin/bash
# tests/iso/test_boot.sh: boot the node ISO under QEMU and check what the guest
# promises (docs/node-image.md). Three boots: a full cluster on a blank data
# disk, with the egress guard, a registry mirror, an insecure registry and
# proxies; a second boot on the same disk (persistence); and a Docker-only
# boot on a disk holding foreign data (never formatted).
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

# What the host writes for --registry-mirror, --insecure-registry and the
# proxies (docs/config-drive.md). The proxy goes to the host's address:
# nothing uses it here (no pull), and restrict=on would stop it anyway.
# Among the proxy lines, an unknown key and values that would reach a
# shell: refused and logged, the earlier valid line stays.
cat >"$VM_DIR/daemon.json" <<'JSON'
{
  "exec-opts": ["native.cgroupdriver=cgroupfs"],
  "storage-driver": "overlay2",
  "log-driver": "json-file",
  "log-opts": {"max-size": "10m", "max-file": "3"},
  "iptables": true,
  "registry-mirrors": ["http://host.minilaunch.internal:5000"],
  "insecure-registries": ["host.minilaunch.internal:5000"]
}
JSON
NO_PROXY_VALUE=localhost,127.0.0.1,10.0.2.15,host.minilaunch.internal,10.0.2.2,10.96.0.0/12,10.244.0.0/16,.svc,.cluster.local,cluster.local,$VM_NAME
cat >"$VM_DIR/proxy.env" <<ENV
HTTP_PROXY=http://10.0.2.2:3128
HTTPS_PROXY=http://10.0.2.2:3128
NO_PROXY=$NO_PROXY_VALUE
http_proxy=http://10.0.2.2:3128
https_proxy=http://10.0.2.2:3128
no_proxy=$NO_PROXY_VALUE
LD_PRELOAD=/tmp/evil.so
https_proxy=http://10.0.2.2:3128\$(touch /pwned)
HTTP_PROXY=http://10.0.2.2:3128 --insecure
ENV
"$HERE/make-config-drive" --name "$VM_NAME" --setting NETWORK=offline \
	--setting HOST_IP=10.0.2.2 --setting EGRESS_GUARD=gateway \
	--daemon-json "$VM_DIR/daemon.json" --proxy-env "$VM_DIR/proxy.env" \
	"$VM_CERTS" "$VM_DIR/config.iso" ||
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
# what `minilaunch mount` asks of the node: the 9p file system (and the
# modules it needs, fs/netfs and fs/fscache) and its tcp transport
t_eq "the kernel loads 9p and its tcp transport (minilaunch mount)" "9p" \
	"$(vm_ssh 'sudo modprobe -a 9p 9p-tcp && grep -ow 9p /proc/filesystems' 2>&1)"
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

# The node's egress rules: ML-NODE-OUT first in OUTPUT and FORWARD, above
# what dockerd and kube-proxy inserted; the cluster's ranges rejected there,
# then the egress guard (EGRESS_GUARD=gateway); nothing tried to leave.
# egress_first: the first rule of OUTPUT and of FORWARD is our jump (one of
# its two spellings, ml-egress-rules), and it is the only one of them.
egress_first() {
	vm_ssh 'for c in OUTPUT FORWARD; do sudo iptables -w -S $c | sed -n 2p; sudo iptables -w -S $c | grep -c -- "-j ML-NODE-OUT\$"; done' 2>&1 |
		tr '\n' ' ' | grep -Eqx -- '-A OUTPUT -o eth\+ -m comment --comment ml-node-out-[AB] -j ML-NODE-OUT 1 -A FORWARD -o eth\+ -m comment --comment ml-node-out-[AB] -j ML-NODE-OUT 1 '
}
egress_rejected() {
	vm_ssh 'sudo iptables -w -L ML-EGRESS -n -v -x' 2>/dev/null | awk '$3 == "REJECT" {print $1}'
}
# range_rejected: the packets ML-NODE-OUT rejected, both ranges together.
range_rejected() {
	vm_ssh 'sudo iptables -w -L ML-NODE-OUT -n -v -x' 2>/dev/null |
		awk '$3 == "REJECT" { n += $1 } END { print n + 0 }'
}
node_out_rules() {
	vm_ssh "sudo iptables -w -L $1 -n" 2>/dev/null |
		awk 'NR > 2 {printf "%s%s %s", (NR > 3 ? " " : ""), $1, $5}'
}
vm_ssh 'sudo iptables -w -L ML-NODE-OUT -n -v -x; sudo iptables -w -L ML-EGRESS -n -v -x; sudo iptables -w -S FORWARD' 2>&1 | sed 's/^/#   /'
t_check "egress: ML-NODE-OUT is jumped to first from OUTPUT and FORWARD, once" vm_wait 30 egress_first
t_eq "egress: kube-proxy's DNAT to a pod returns, the service and pod ranges rejected, then the guard" \
	"RETURN 10.244.0.0/16 REJECT 10.96.0.0/12 REJECT 10.244.0.0/16 ML-EGRESS 0.0.0.0/0" "$(node_out_rules ML-NODE-OUT)"
t_eq "egress guard: the gateway returns, the rest is logged and rejected" \
	"RETURN 10.0.2.2 LOG 0.0.0.0/0 REJECT 0.0.0.0/0" \
	"$(node_out_rules ML-EGRESS)"
t_eq "egress guard: nothing tried to leave during the boot" 0 "$(egress_rejected)"
t_eq "network settings kept" "NETWORK=offline HOST_IP=10.0.2.2 EGRESS_GUARD=gateway" \
	"$(vm_ssh "grep -E '^(NETWORK|HOST_IP|EGRESS_GUARD)=' /run/minilaunch/settings.env | tr '\n' ' ' | sed 's/ \$//'" 2>&1)"
# IPv4 only: "getent hosts" asks AF_INET6 first, which /etc/hosts does not
# answer, and sends that query to 10.0.2.3 (the guard counted it).
t_eq "/etc/hosts names the host" "10.0.2.2 host.minilaunch.internal" \
	"$(vm_ssh getent ahostsv4 host.minilaunch.internal 2>&1 | awk '$2 == "STREAM" {print $1, $3}')"

# daemon.json from the drive
DINFO=$(vm_ssh sudo docker info 2>&1)
# "docker info" prints each list under its title, two spaces in.
info_lists() { # TITLE ITEM
	awk -v t=" $1:" -v i="  $2" '$0 == t {on = 1; next} on && !/^  / {on = 0} on && $0 == i {f = 1} END {exit !f}' <<<"$DINFO"
}
t_check "docker info lists the registry mirror" info_lists "Registry Mirrors" http://host.minilaunch.internal:5000/
t_check "docker info lists the insecure registry" info_lists "Insecure Registries" host.minilaunch.internal:5000
t_eq "daemon.json installed 0644 root" "644 root" \
	"$(vm_ssh sudo stat -c "'%a %U'" /run/minilaunch/daemon.json 2>&1)"
dockerd_cmd=$(vm_ssh 'tr "\0" " " </proc/$(pidof dockerd)/cmdline' 2>&1)
t_check "dockerd runs with --config-file=/run/minilaunch/daemon.json" \
	grep -q -- '--config-file=/run/minilaunch/daemon.json' <<<"$dockerd_cmd"

# proxy.env from the drive: the checked lines, 0600, in each unit's environment
t_eq "proxy.env installed 0600 root" "600 root" \
	"$(vm_ssh sudo stat -c "'%a %U'" /run/minilaunch/proxy.env 2>&1)"
t_eq "proxy.env keeps the six valid lines only" \
	"HTTP_PROXY HTTPS_PROXY NO_PROXY http_proxy https_proxy no_proxy" \
	"$(vm_ssh sudo cut -d= -f1 /run/minilaunch/proxy.env 2>&1 | tr '\n' ' ' | sed 's/ $//')"
proc_env() { # PROCESS VAR: VAR=value from the process's environment
	vm_ssh "sudo cat /proc/\$(pidof -s $1)/environ | tr '\\0' '\\n' | grep '^$2='" 2>&1
}
for p in dockerd containerd kubelet; do
	t_eq "$p has HTTP_PROXY" "HTTP_PROXY=http://10.0.2.2:3128" "$(proc_env $p HTTP_PROXY)"
	t_eq "$p has https_proxy (the valid line)" "https_proxy=http://10.0.2.2:3128" "$(proc_env $p https_proxy)"
	t_eq "$p has NO_PROXY" "NO_PROXY=$NO_PROXY_VALUE" "$(proc_env $p NO_PROXY)"
	t_eq "$p has no LD_PRELOAD" "" "$(proc_env $p LD_PRELOAD)"
done
t_check "the serial log refuses the unknown proxy key" grep -q 'proxy.env: unknown key, ignoring' "$VM_SERIAL"
t_check "the serial log refuses the bad proxy values" \
	sh -c "grep -q 'proxy.env: invalid https_proxy value, ignoring it' '$VM_SERIAL' && grep -q 'proxy.env: invalid HTTP_PROXY value, ignoring it' '$VM_SERIAL'"
t_check "the serial log does not print a proxy value" sh -c "! grep -q '10.0.2.2:3128' '$VM_SERIAL'"

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
for a in sh env wget cat echo ls sleep httpd nslookup nc; do ln -s busybox "$B/root/bin/$a"; done
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
# A node process to the Service's cluster IP (what sshd does for `minilaunch
# service` of a ClusterIP): this offline node has no default route, so
# ml-setup's route to the service range, and ML-NODE-OUT letting the
# packet kube-proxy translated to the pod through.
clusterip_http() {
	local ip
	ip=$(vm_kubectl get svc mlweb -o jsonpath='{.spec.clusterIP}') &&
		vm_ssh "exec 3<>/dev/tcp/$ip/80; printf 'GET / HTTP/1.0\r\n\r\n' >&3; cat <&3" |
		grep -q 'hello from mlweb'
}
t_check "HTTP to the ClusterIP from the node itself" vm_wait 60 clusterip_http
t_eq "the node routes the service range through eth0" "10.96.0.0/12 dev eth0" \
	"$(vm_ssh 'ip route show 10.96.0.0/12' 2>&1 | awk '{print $1, $2, $3}')"

# The cluster DNS, as start applies it (the manifest on the ISO): pods
# resolve the host's name through 10.96.0.10, answered by ml-dns itself.
xorriso -osirrox on -indev "$VM_ISO" -extract /minilaunch/dns.yaml "$VM_DIR/dns.yaml" >/dev/null 2>&1
t_check "apply the cluster DNS manifest from the ISO" vm_kubectl apply -f "$VM_DIR/dns.yaml"
t_check "the cluster DNS becomes ready" \
	vm_kubectl -n kube-system rollout status deployment/ml-dns --timeout=600s
pod_host() {
	vm_kubectl exec "$POD" -- nslookup host.minilaunch.internal 10.96.0.10 2>&1 |
		sed -n '/^Name:/,$p' | grep -q 'Address.*10\.0\.2\.2'
}
t_check "a pod resolves host.minilaunch.internal through 10.96.0.10" vm_wait 60 pod_host
pod_search() { # through the pod's resolv.conf and search path
	vm_kubectl exec "$POD" -- nslookup host.minilaunch.internal 2>&1 | grep -q '10\.0\.2\.2'
}
t_check "... and through the pod's own resolv.conf" vm_wait 30 pod_search
vm_kubectl exec "$POD" -- nslookup host.minilaunch.internal 2>&1 | sed 's/^/#   /'
t_eq "egress guard: the name was answered in the node (still 0 rejected)" 0 "$(egress_rejected)"

# Now send what the guard must stop: the node to QEMU's resolver, a pod
# (FORWARD, cni0) and a container on docker0 (FORWARD, where dockerd
# ACCEPTs above) to 10.0.2.3. Each is rejected in the guest and counted
# (the node's one UDP packet once; a TCP connect retries its SYN once
# before it gives up); a packet to the gateway is not counted.
vm_ssh 'echo x >/dev/udp/10.0.2.2/9' >/dev/null 2>&1
t_eq "egress guard: a packet to the gateway passes" 0 "$(egress_rejected)"
vm_ssh 'echo x >/dev/udp/10.0.2.3/53' >/dev/null 2>&1
t_eq "egress guard: the node's packet to 10.0.2.3:53 rejected and counted" 1 "$(egress_rejected)"
# nc, not wget: Debian's static busybox wget crashes before it connects.
vm_kubectl exec "$POD" -- nc -w 5 10.0.2.3 80 </dev/null >/dev/null 2>&1
n_pod=$(egress_rejected)
t_check "egress guard: a pod's connection to 10.0.2.3 rejected and counted ($n_pod)" \
	test "${n_pod:-0}" -gt 1
vm_docker run --rm --entrypoint /bin/nc mlweb:test -w 5 10.0.2.3 80 </dev/null >/dev/null 2>&1
n_ctr=$(egress_rejected)
t_check "egress guard: a docker0 container's connection rejected and counted ($n_ctr)" \
	test "${n_ctr:-0}" -gt "${n_pod:-0}"
vm_ssh 'sudo iptables -w -L ML-NODE-OUT -n -v -x; sudo iptables -w -L ML-EGRESS -n -v -x; sudo dmesg | grep "ML-EGRESS reject"' 2>&1 | sed 's/^/#   /'
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
# A daemon.json that would open another listener: refused.
echo '{"hosts": ["tcp://0.0.0.0:2375"], "iptables": true}' >"$VM_DIR/hosts.json"
"$HERE/make-config-drive" --name "$VM_NAME" --kubernetes false --world-readable \
	--setting 'DOCKER_PORT=$(touch /pwned)' --setting 'CLUSTER_DOMAIN=$(touch /pwned)' \
	--setting 'DOCKER_PORT=2376 --insecure' --setting 'NETWORK=sideways' \
	--setting 'HOST_IP=10.0.2.2 --insecure' --setting 'HOST_IP=10.0.2.256' \
	--setting 'EGRESS_GUARD=on' --daemon-json "$VM_DIR/hosts.json" \
	"$VM_CERTS" "$VM_DIR/docker-only.iso"
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
t_eq "docker-only boot: bad network values refused, defaults kept" \
	"NETWORK=online HOST_IP=10.0.2.2 EGRESS_GUARD=off" \
	"$(vm_ssh "grep -E '^(NETWORK|HOST_IP|EGRESS_GUARD)=' /run/minilaunch/settings.env | tr '\n' ' ' | sed 's/ \$//'" 2>&1)"
t_check "docker-only boot: the serial log refuses them" \
	sh -c "grep -q 'settings.env: invalid NETWORK value' '$VM_SERIAL' && [ \$(grep -c 'settings.env: invalid HOST_IP value' '$VM_SERIAL') = 2 ] && grep -q 'settings.env: invalid EGRESS_GUARD value' '$VM_SERIAL'"
t_eq "docker-only boot: no egress guard without EGRESS_GUARD=gateway" absent \
	"$(vm_ssh 'sudo iptables -w -n -L ML-EGRESS >/dev/null 2>&1 && echo present || echo absent' 2>&1)"
t_eq "docker-only boot: the cluster's ranges stay in the node all the same" \
	"RETURN 10.244.0.0/16 REJECT 10.96.0.0/12 REJECT 10.244.0.0/16" "$(node_out_rules ML-NODE-OUT)"
t_check "docker-only boot: ML-NODE-OUT is jumped to first" vm_wait 30 egress_first
# Packets to a ClusterIP of no Service and to a pod address: on an online
# node the default route (QEMU's gateway) would take them out through
# QEMU's NAT. These boots run QEMU offline, with no default route, so the
# test gives the two ranges that route for a moment; ML-NODE-OUT must
# reject both packets in the node.
n_range0=$(range_rejected)
vm_ssh 'for r in 10.96.0.0/12 10.244.0.0/16; do sudo ip route replace $r via 10.0.2.2; done
	echo x >/dev/udp/10.96.255.254/53; echo x >/dev/udp/10.244.200.9/53
	for r in 10.96.0.0/12 10.244.0.0/16; do sudo ip route del $r; done' >/dev/null 2>&1
t_eq "docker-only boot: the node's packets to the service and pod ranges rejected in the node" \
	$((n_range0 + 2)) "$(range_rejected)"
vm_ssh 'ip route; sudo iptables -w -L ML-NODE-OUT -n -v -x' 2>&1 | sed 's/^/#   /'
t_check "docker-only boot: a daemon.json naming hosts is refused" \
	grep -q 'docker/daemon.json: names hosts or TLS settings, ignoring it' "$VM_SERIAL"
t_check "docker-only boot: dockerd runs on the image's daemon.json" \
	bash -c '! grep -q -- "--config-file" <<<"$1"' _ "$dockerd_cmd"
t_eq "docker-only boot: no proxy.env without proxies" absent \
	"$(vm_ssh 'test -e /run/minilaunch/proxy.env && echo present || echo absent' 2>&1)"
t_eq "docker-only boot: /etc/hosts names the host all the same" "10.0.2.2 host.minilaunch.internal" \
	"$(vm_ssh getent ahostsv4 host.minilaunch.internal 2>&1 | awk '$2 == "STREAM" {print $1, $3}')"
t_check "docker-only boot: clean poweroff" vm_stop 180
t_eq "foreign data disk left untouched" "FOREIGN DATA, DO NOT FORMAT" \
	"$(head -c 27 "$VM_DIR/foreign.raw")"

[ "$T_FAILED" -gt 0 ] && [ -n "${VM_SERIAL:-}" ] && serial_tail "$VM_SERIAL"
t_summary
