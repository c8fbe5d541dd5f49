# tests/e2e/lib.sh: shared by the end-to-end tests, which drive the real
# binary against a real VM under libvirt (TCG here, KVM where it runs).
# Needs root (qemu:///system), libvirtd and virtlogd (scripts/check starts
# them) and a node image (make iso; $MINILAUNCH_ISO points at it).
. "$ML_TOP_SRCDIR/tests/lib.sh"

P=${P:-e2e}
ml() { "$MINILAUNCH" -p $P "$@"; }
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
