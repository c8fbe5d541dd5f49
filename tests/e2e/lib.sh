# tests/e2e/lib.sh: shared by the end-to-end tests, which drive the real
# binary against a real VM under libvirt (TCG here, KVM where it runs).
# Needs root (qemu:///system), libvirtd and virtlogd (scripts/check starts
# them) and a node image (make iso; $MINILAUNCH_ISO points at it).
. "$ML_TOP_SRCDIR/tests/lib.sh"

P=${P:-e2e}
ml() { "$MINILAUNCH" -p $P "$@"; }
# libvirt's names for the profile: keyed by the user and the home
# (src/machine/driver_libvirt.c); virsh runs as root, on qemu:///system
ML_OWNER=$("$ML_TOP_BUILDDIR/tests/tools/ml_driver" "$MINILAUNCH_HOME" owner)
DOM=ml-$ML_OWNER-$P
POOL=minilaunch-$ML_OWNER-$P
VM_DIR=/var/lib/libvirt/images/minilaunch/$ML_OWNER-$P
WAIT=${ML_E2E_WAIT:-20m}
for tool in virsh kubectl docker curl busybox jq; do
	command -v $tool >/dev/null || { t_fail "$tool is not installed (scripts/check installs it)"; t_summary; exit 1; }
done
# What the accelerator probe says of this host with the node image's own
# kernel, as start decides: "kvm MODEL ..." or "tcg ...: REASON".
e2e_kvm_verdict() {
	local k=$T_TMP/accel/vmlinuz qemu
	qemu=$(command -v qemu-system-x86_64)
	mkdir -p "$T_TMP/accel"
	xorriso -osirrox on -indev "$MINILAUNCH_ISO" -extract /boot/vmlinuz "$k" >/dev/null 2>&1 ||
		{ echo "error: cannot read the kernel of '$MINILAUNCH_ISO'"; return 1; }
	"$ML_TOP_BUILDDIR/tests/tools/ml_accel_probe" choose "$T_TMP/accel/cache" "$qemu" \
		"$("$qemu" --version | sed -n '1s/.*version \([0-9.]*\).*/\1/p')" "$k" auto
}

e2e_cleanup() {
	"$MINILAUNCH" -p $P delete >/dev/null 2>&1
	t_cleanup
}
trap e2e_cleanup EXIT

# e2e_deploy: the user's image, built through docker-env, as a Deployment
# with imagePullPolicy: Never.
e2e_deploy() {
	local ctx=$T_TMP/ctx
	eval "$(ml docker-env)"
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
	t_check "deployment available" kubectl rollout status deployment/hello --timeout=600s
}

# e2e_dns_check WHEN: cluster DNS as a pod sees it (docs/dns.md), on the
# current context's cluster running e2e_deploy's hello (exposed here as a
# ClusterIP service when it is not yet). The client pod runs the e2e image
# (busybox): ping (TTL 1) and wget resolve through libc, so the search path and
# ndots apply; nslookup asks 10.96.0.10 itself. Waits scale with
# ML_TEST_LOAD_FACTOR (a whole number, default 1).
e2e_dns_check() {
	local n="dns ($1)" lf=${ML_TEST_LOAD_FACTOR:-1} ip out name got i
	e2e_in_pod() { kubectl exec dnsclient -- /bin/busybox "$@"; }
	# the A records of NAME, sorted, one line
	e2e_a_records() {
		e2e_in_pod nslookup "$1" 2>/dev/null | sed -n 's/^Address: \([0-9.]*\)$/\1/p' | sort -u | xargs
	}
	# e2e_peer_records N: how many A records peers has, once N or after 30s
	e2e_peer_records() {
		local i got
		for i in $(seq 1 $((30 * lf))); do
			got=$(e2e_a_records peers.default.svc.cluster.local | wc -w)
			[ "$got" = "$1" ] && break
			sleep 1
		done
		echo "$got"
	}

	t_check "$n: kube-dns pod Ready" kubectl -n kube-system wait --for=condition=Ready \
		pod -l k8s-app=kube-dns --timeout=$((300 * lf))s
	t_eq "$n: kubectl lists the kube-dns pod Running" 1 \
		"$(kubectl get pods -n kube-system -l k8s-app=kube-dns --no-headers | grep -c ' Running ')"
	t_eq "$n: Service kube-dns at 10.96.0.10" 10.96.0.10 \
		"$(kubectl -n kube-system get service kube-dns -o jsonpath='{.spec.clusterIP}')"
	kubectl get service hello >/dev/null 2>&1 || kubectl expose deployment hello --port=8080 >/dev/null
	ip=$(kubectl get service hello -o jsonpath='{.spec.clusterIP}')

	kubectl delete pod dnsclient --ignore-not-found >/dev/null 2>&1
	kubectl run dnsclient --image=hello:1 --image-pull-policy=Never --restart=Never \
		--command -- /bin/busybox sleep 100000 >/dev/null
	t_check "$n: client pod Ready" kubectl wait --for=condition=Ready pod/dnsclient --timeout=$((300 * lf))s
	# a new or moved kube-dns endpoint takes kube-proxy a few seconds
	for i in $(seq 1 $((30 * lf))); do
		[ -n "$(e2e_a_records kubernetes.default.svc.cluster.local)" ] && break
		sleep 1
	done
	out=$(e2e_in_pod cat /etc/resolv.conf)
	t_check "$n: resolv.conf names 10.96.0.10" grep -qx 'nameserver 10.96.0.10' <<<"$out"
	t_check "$n: resolv.conf search path" \
		grep -qx 'search default.svc.cluster.local svc.cluster.local cluster.local' <<<"$out"
	t_check "$n: resolv.conf ndots:5" grep -qE '^options( .*)? ndots:5( |$)' <<<"$out"

	for name in hello hello.default hello.default.svc.cluster.local; do
		# TTL 1: the echo request dies at the node's bridge; a ClusterIP
		# answers no ICMP and would be routed out of the node
		got=$(e2e_in_pod ping -c 1 -W 1 -t 1 "$name" 2>/dev/null | sed -n 's/^PING [^ ]* (\([0-9.]*\)).*/\1/p')
		t_eq "$n: $name resolves to the service's IP" "$ip" "$got"
		t_eq "$n: the page through $name" "hello from minilaunch" \
			"$(e2e_in_pod timeout $((20 * lf)) /bin/busybox wget -qO- "http://$name:8080/index.html")"
	done
	t_eq "$n: nslookup asks 10.96.0.10 for the full name" "$ip" \
		"$(e2e_a_records hello.default.svc.cluster.local)"

	# a headless service: one A record per ready endpoint
	kubectl create deployment peers --image=hello:1 --replicas=3 >/dev/null
	kubectl create service clusterip peers --clusterip=None --tcp=8080:8080 >/dev/null
	t_check "$n: 3 peers ready" kubectl rollout status deployment/peers --timeout=$((300 * lf))s
	got=$(e2e_peer_records 3)
	t_eq "$n: headless service: 3 A records" 3 "$got"
	t_eq "$n: ... the pods' IPs" \
		"$(kubectl get pods -l app=peers -o jsonpath='{.items[*].status.podIP}' | xargs -n1 | sort | xargs)" \
		"$(e2e_a_records peers.default.svc.cluster.local)"
	kubectl scale deployment peers --replicas=2 >/dev/null
	got=$(e2e_peer_records 2)
	t_eq "$n: scaled to 2: 2 A records" 2 "$got"

	# a name in cluster.local that does not exist: NXDOMAIN, at once
	out=$(e2e_in_pod timeout $((2 * lf)) /bin/busybox nslookup nope.default.svc.cluster.local. 2>&1)
	t_check "$n: NXDOMAIN within $((2 * lf)) s" grep -q 'NXDOMAIN' <<<"$out"

	kubectl delete deployment peers >/dev/null 2>&1
	kubectl delete service peers >/dev/null 2>&1
	kubectl delete pod dnsclient --wait=false >/dev/null 2>&1
}
