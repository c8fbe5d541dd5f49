# tests/iso/lib-vm.sh: boot the node ISO under QEMU for tests and benchmarks.
# Sourced by tests/iso/test_boot.sh and bench/iso-boot.
#
#   vm_deps                      install what is missing (Debian packages)
#   vm_find_iso                  sets VM_ISO ($ML_ISO or newest out/minilaunch-*.iso)
#   vm_extract DIR               kernel, initrd and cmdline out of VM_ISO into DIR
#   vm_boot NAME DISK DRIVE      start qemu in the background; sets VM_PID,
#                                VM_SSH, VM_DOCKER, VM_API (127.0.0.1 ports),
#                                VM_SERIAL (the serial log), VM_T0 (start time)
#   vm_stop                      clean poweroff over ssh, else kill
#   vm_kill                      kill qemu (trap-safe)
#   vm_ssh CMD...                run CMD in the guest as docker; the host key
#                                is pinned (VM_KNOWN_HOSTS, written by vm_boot
#                                from VM_CERTS/certs/ssh_host_key.pub)
#   vm_readable_keys             private keys (and disks) an unprivileged guest
#                                user can read: their count, then their names
#   vm_drive_mounted             whether the config drive is still mounted
#   vm_docker ARGS...            docker CLI with the client cert
#   vm_kubectl ARGS...           kubectl with the admin kubeconfig
#   vm_wait_* TIMEOUT            wait for ssh, docker, apiserver, node Ready
#
# Variables: VM_DIR (scratch), VM_CERTS (make-config-drive CERTDIR),
# ML_ACCEL (default tcg,thread=multi: KVM hangs on the CI machines),
# ML_VM_MEM (MiB, default 3072), ML_VM_CPUS (default 2).
VM_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_TOP=$(cd "$VM_HERE/../.." && pwd)
VM_PID=
VM_NAME=minilaunch

vm_log() { echo "# $*" >&2; }

vm_deps() {
	local need= p
	command -v qemu-system-x86_64 >/dev/null || need="$need qemu-system-x86"
	command -v qemu-img >/dev/null || need="$need qemu-utils"
	[ -x /bin/busybox ] && ldd /bin/busybox 2>&1 | grep -q 'not a dynamic' || need="$need busybox-static"
	command -v ssh >/dev/null || need="$need openssh-client"
	command -v xorriso >/dev/null || need="$need xorriso"
	command -v curl >/dev/null || need="$need curl"
	command -v openssl >/dev/null || need="$need openssl"
	command -v ss >/dev/null || need="$need iproute2"
	command -v docker >/dev/null || need="$need docker.io"
	# Debian's kubernetes-client conflicts with the kubectl package: only
	# when no kubectl is on PATH at all.
	command -v kubectl >/dev/null || need="$need kubernetes-client"
	# shellcheck disable=SC2086 # one word per package
	[ -z "$need" ] || bash "$VM_TOP/scripts/install-packages" --prefix '# ' $need ||
		return 1
	# docker.io's engine must not run here: only its client is wanted.
	return 0
}

vm_find_iso() {
	VM_ISO=${ML_ISO:-$(ls -t "$VM_TOP"/out/minilaunch-*.iso 2>/dev/null | head -n1)}
	[ -n "$VM_ISO" ] && [ -f "$VM_ISO" ]
}

vm_extract() {
	local d=$1 f
	mkdir -p "$d"
	for f in vmlinuz initrd.img cmdline; do
		xorriso -osirrox on -indev "$VM_ISO" -extract "/boot/$f" "$d/$f" >/dev/null 2>&1 ||
			return 1
	done
	chmod u+w "$d"/*
	VM_KERNEL=$d/vmlinuz VM_INITRD=$d/initrd.img VM_CMDLINE=$(cat "$d/cmdline")
}

vm_free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		[ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ] && { echo $p; return; }
	done
}

# vm_new_disk PATH [SIZE]: a blank qcow2 data disk with the format-me magic.
vm_new_disk() {
	qemu-img create -q -f qcow2 "$1" "${2:-20G}" &&
		printf 'MLDATA-FORMAT-ME' >"$1.magic" &&
		qemu-io -f qcow2 -c "write -s $1.magic 0 16" "$1" >/dev/null &&
		rm -f "$1.magic"
}

vm_boot() {
	local name=$1 disk=$2 drive=$3 fmt=qcow2
	case $disk in *.raw|*.img) fmt=raw ;; esac
	VM_SSH=$(vm_free_port) VM_DOCKER=$(vm_free_port) VM_API=$(vm_free_port)
	VM_SERIAL=$VM_DIR/$name.serial
	VM_KNOWN_HOSTS=$VM_DIR/known_hosts
	vm_pin_host_key "$VM_CERTS/certs/ssh_host_key.pub"
	VM_T0=$(date +%s.%N)
	# restrict=on: the guest reaches nothing outside; the forwards still work.
	qemu-system-x86_64 -name "mltest-$name" \
		-accel "${ML_ACCEL:-tcg,thread=multi}" -smp "${ML_VM_CPUS:-2}" -m "${ML_VM_MEM:-3072}" \
		-display none -monitor none -serial "file:$VM_SERIAL" -no-reboot \
		-kernel "$VM_KERNEL" -initrd "$VM_INITRD" -append "$VM_CMDLINE" \
		-drive "file=$VM_ISO,media=cdrom,readonly=on,if=ide,index=0" \
		-drive "file=$drive,media=cdrom,readonly=on,if=ide,index=1" \
		-drive "file=$disk,if=virtio,format=$fmt,cache=unsafe" \
		-netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$VM_SSH-:22,hostfwd=tcp:127.0.0.1:$VM_DOCKER-:2376,hostfwd=tcp:127.0.0.1:$VM_API-:8443" \
		-device virtio-net-pci,netdev=n0 -device virtio-rng-pci \
		>"$VM_DIR/$name.qemu.log" 2>&1 &
	VM_PID=$!
	vm_log "booted $name: pid $VM_PID, ssh $VM_SSH, docker $VM_DOCKER, api $VM_API"
}

vm_alive() { [ -n "$VM_PID" ] && kill -0 "$VM_PID" 2>/dev/null; }

vm_kill() {
	if vm_alive; then
		kill "$VM_PID" 2>/dev/null
		sleep 1
		kill -9 "$VM_PID" 2>/dev/null
	fi
	[ -n "$VM_PID" ] && wait "$VM_PID" 2>/dev/null
	VM_PID=
}

vm_elapsed() { echo "$(date +%s.%N) $VM_T0" | awk '{printf "%.1f", $1 - $2}'; }

# vm_pin_host_key PUBFILE: trust only that key for [127.0.0.1]:VM_SSH, as
# minilaunch does, with neither ~/.ssh/config nor an agent.
vm_pin_host_key() {
	echo "[127.0.0.1]:$VM_SSH $(cut -d' ' -f1,2 "$1")" >"$VM_KNOWN_HOSTS"
	VM_SSH_OPTS="-F /dev/null -a -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$VM_KNOWN_HOSTS -o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=$((10 * ${ML_TEST_LOAD_FACTOR:-1})) -o BatchMode=yes"
}
vm_ssh() {
	# shellcheck disable=SC2086
	ssh $VM_SSH_OPTS -i "$VM_CERTS/certs/id_ssh" -p "$VM_SSH" docker@127.0.0.1 "$@"
}

vm_docker() {
	DOCKER_HOST=tcp://127.0.0.1:$VM_DOCKER DOCKER_TLS_VERIFY=1 \
		DOCKER_CERT_PATH=$VM_CERTS/certs/docker docker "$@"
}

vm_kubeconfig() {
	sed "s#server: https://127.0.0.1:[0-9]*#server: https://127.0.0.1:$VM_API#" \
		"$VM_CERTS/admin.conf" >"$VM_DIR/admin.conf"
}

# A recent kubectl against a 1.20 apiserver: use SPDY for exec and
# port-forward directly rather than trying WebSockets first.
vm_kubectl() {
	KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false KUBECTL_PORT_FORWARD_WEBSOCKETS=false \
		kubectl --kubeconfig "$VM_DIR/admin.conf" "$@"
}

vm_curl_api() { # PATH
	curl -sS --max-time 20 --cacert "$VM_CERTS/ca/ca.crt" --cert "$VM_CERTS/certs/admin.crt" \
		--key "$VM_CERTS/certs/admin.key" "https://127.0.0.1:$VM_API$1"
}

# vm_wait TIMEOUT CMD...: retry CMD every ML_POLL seconds (default 5) while
# qemu runs. Not faster: every probe costs the guest a TLS handshake, and a
# starved TCG guest starting its apiserver has none to spare.
vm_wait() {
	local end=$(($(date +%s) + $1))
	shift
	while [ "$(date +%s)" -lt "$end" ]; do
		vm_alive || { vm_log "qemu exited"; return 1; }
		"$@" >/dev/null 2>&1 && return 0
		sleep "${ML_POLL:-5}"
	done
	return 1
}
vm_node_ready() {
	vm_kubectl --request-timeout=20s get node "$VM_NAME" \
		-o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null | grep -qx True
}
vm_wait_ssh() { vm_wait "$1" vm_ssh true; }
vm_wait_docker() { vm_wait "$1" vm_docker version; }
vm_api_ready() { [ "$(vm_curl_api /readyz 2>/dev/null)" = ok ]; }
vm_wait_api() { vm_wait "$1" vm_api_ready; }
vm_wait_node() { vm_wait "$1" vm_node_ready; }

# vm_stop [TIMEOUT]: clean poweroff, waiting for qemu to exit.
vm_stop() {
	local i=0
	vm_alive || return 0
	vm_ssh sudo systemctl poweroff >/dev/null 2>&1
	while vm_alive && [ $i -lt "${1:-180}" ]; do sleep 1; i=$((i + 1)); done
	if vm_alive; then
		vm_log "no clean poweroff after ${1:-180} s, killing qemu"
		vm_kill
		return 1
	fi
	wait "$VM_PID" 2>/dev/null
	VM_PID=
	return 0
}

# vm_readable_keys: as a fresh unprivileged user (mlnobody), try to read
# every private key file anywhere on the node, the kubeconfigs (they embed
# keys or name them), and the disks (the config drive, the data disk).
# Prints the number it could read, then one "readable: PATH" line each; or
# "none found" when the search did not even find the apiserver's client key
# (a void search must not pass).
vm_readable_keys() {
	vm_ssh sudo sh -s <<'EOF'
id mlnobody >/dev/null 2>&1 || useradd -M -s /bin/sh mlnobody
find / \( -path /proc -o -path /sys -o -path /dev \) -prune -o -type f \
	\( -name '*.key' -o -name 'key.pem' -o -name '*-key.pem' -o -name 'key.json' \
	-o -name 'ssh_host_*key' -o -name 'id_rsa' -o -name 'id_dsa' -o -name 'id_ecdsa' \
	-o -name 'id_ed25519' -o -name 'id_ssh' -o -path '/etc/kubernetes/*.conf' \) \
	-print 2>/dev/null >/tmp/node-keys.list
grep -q '/etc/kubernetes/pki/apiserver-kubelet-client.key$' /tmp/node-keys.list ||
	{ echo "none found"; exit 0; }
ls /dev/sr* /dev/vd* 2>/dev/null >>/tmp/node-keys.list
chmod 0644 /tmp/node-keys.list
runuser -u mlnobody -- sh -c '
	n=0 list=
	while read -r f; do
		if head -c1 -- "$f" >/dev/null 2>&1; then
			n=$((n + 1)); list="$list
readable: $f"
		fi
	done </tmp/node-keys.list
	echo "$n$list"'
EOF
}

# vm_drive_mounted: "mounted" or "unmounted" (the device labelled MLCONFIG).
vm_drive_mounted() {
	vm_ssh sudo sh -s <<'EOF'
dev=$(blkid -c /dev/null -t LABEL=MLCONFIG -o device | head -n1)
[ -n "$dev" ] || { echo "no drive"; exit 0; }
if grep -q "^$dev " /proc/mounts || [ -n "$(findmnt -n -S "$dev" 2>/dev/null)" ]; then
	echo mounted
else
	echo unmounted
fi
EOF
}
