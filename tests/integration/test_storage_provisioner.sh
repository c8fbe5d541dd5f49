#!/bin/bash
# ml-storage-provisioner against the fixture control plane
# (tests/fixtures/control-plane, whose kube-controller-manager binds the
# volumes it makes and releases them when their claims go), in-cluster
# with the addon's own RBAC (addons/storage-provisioner/rbac.yaml): a
# claim of class standard, and one of no class, get a volume bound to
# them with the right claimRef and directory; a restart makes nothing
# twice; deleting a claim with policy Delete removes the directory and the
# volume, Retain keeps both; claims of another class and volumes of
# others are left alone; SIGTERM exits 0. Every wait is multiplied by
# ML_TEST_LOAD_FACTOR (default 1).
. "$ML_TOP_SRCDIR/tests/lib.sh"

PROV="$ML_TOP_BUILDDIR/src/guest/ml-storage-provisioner"
CP="$ML_TOP_SRCDIR/tests/fixtures/control-plane"
CP_DIR="$T_TMP/cp"
ROOT="$T_TMP/hostpath"
LOG="$T_TMP/prov.log"
PROV_PID=

for tool in kubectl "$PROV"; do
	command -v "$tool" >/dev/null || {
		t_fail "$tool is not installed (scripts/lib.sh lists the packages)"
		t_summary
		exit 1
	}
done

cleanup() {
	if [ -n "$PROV_PID" ]; then
		kill -TERM "$PROV_PID" 2>/dev/null
		wait "$PROV_PID" 2>/dev/null
	fi
	[ -f "$CP_DIR/env" ] && "$CP" stop "$CP_DIR" >/dev/null 2>&1
	t_cleanup
}
trap cleanup EXIT

# wait_until SECS CMD...: runs CMD every 100 ms until it succeeds (0) or
# SECS (scaled) have passed (1).
wait_until() {
	local end=$(($(date +%s%3N) + $(t_scaled "$1") * 1000))
	shift
	while :; do
		"$@" && return 0
		[ "$(date +%s%3N)" -lt "$end" ] || return 1
		sleep 0.1
	done
}

k() { kubectl --kubeconfig "$KC" "$@"; }

# --- usage errors ---------------------------------------------------------------
"$PROV" --bogus >/dev/null 2>"$T_TMP/err"
t_eq "usage: unknown flag exits 64" 64 $?
t_check "usage: names the flag" grep -q "unknown flag '--bogus'" "$T_TMP/err"
"$PROV" --root relative >/dev/null 2>"$T_TMP/err"
t_eq "usage: relative --root exits 64" 64 $?
env -u KUBERNETES_SERVICE_HOST "$PROV" --root "$T_TMP" >/dev/null 2>"$T_TMP/err"
t_eq "no in-cluster environment: exits 1" 1 $?
t_check "no in-cluster environment: says to give --kubeconfig" grep -q -- "give --kubeconfig" "$T_TMP/err"
"$PROV" --root "$T_TMP/none" --kubeconfig /dev/null >/dev/null 2>"$T_TMP/err"
t_check "missing root: names it" grep -q -- "--root '$T_TMP/none' is not a directory" "$T_TMP/err"

# --- the control plane, the class, the addon's RBAC ------------------------------
KC=$("$CP" start "$CP_DIR" 2>"$T_TMP/cp.log") || {
	t_fail "control plane did not start: $(tail -5 "$T_TMP/cp.log")"
	t_summary
	exit 1
}
. "$CP_DIR/env"
mkdir -p "$ROOT"
# The class of the default-storageclass addon.
k apply -f - >/dev/null <<'EOF'
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: minilaunch.io/hostpath
reclaimPolicy: Delete
volumeBindingMode: Immediate
EOF
t_check "the addon's RBAC applies" k apply -f "$ML_TOP_SRCDIR/addons/storage-provisioner/rbac.yaml"
sa_token() {
	local secret
	secret=$(k -n kube-system get serviceaccount storage-provisioner -o jsonpath='{.secrets[0].name}') &&
		[ -n "$secret" ] &&
		k -n kube-system get secret "$secret" -o jsonpath='{.data.token}' | base64 -d
}
SA="$T_TMP/sa"
mkdir -p "$SA"
cp "$CA_FILE" "$SA/ca.crt"
wait_until 20 sa_token >/dev/null
sa_token >"$SA/token"
echo kube-system >"$SA/namespace"

# The addons' workloads as the API server sees them (the variables as the
# addon reader fills them in) must be valid.
for f in storage-provisioner/provisioner.yaml registry/registry.yaml; do
	t_check "addons/$f: accepted by the API server (dry run)" \
		sh -c "sed 's|\${MINILAUNCH_VERSION}|0.0.0-test|g; s|\${DATA_DIR}|/var/lib/minilaunch|g' '$ML_TOP_SRCDIR/addons/$f' |
			kubectl --kubeconfig '$KC' apply --dry-run=server -f - >/dev/null"
done

# prov_start: ml-storage-provisioner in-cluster, as the addon's service
# account (so every call it makes must be allowed by rbac.yaml).
prov_start() {
	KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$APISERVER_PORT \
		ML_PROVISIONER_SERVICEACCOUNT_DIR="$SA" "$PROV" --root "$ROOT" "$@" \
		>>"$LOG" 2>&1 &
	PROV_PID=$!
}
prov_stop() {
	local i
	kill -TERM "$PROV_PID" 2>/dev/null
	for ((i = 0; i < $(t_scaled 10) * 10; i++)); do
		kill -0 "$PROV_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$PROV_PID" 2>/dev/null; then
		kill -KILL "$PROV_PID"
		wait "$PROV_PID"
		PROV_RC=124
	else
		wait "$PROV_PID"
		PROV_RC=$?
	fi
	PROV_PID=
}

# claim NS NAME [CLASS|-]: a claim of 1Gi (CLASS "-": no class at all)
claim() {
	local cls=
	[ "${3:-standard}" = - ] || cls="storageClassName: ${3:-standard}"
	k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: $2, namespace: $1}
spec:
  $cls
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
EOF
}
uid() { k -n "$1" get pvc "$2" -o jsonpath='{.metadata.uid}'; }
phase() { k -n "$1" get pvc "$2" -o jsonpath='{.status.phase}' 2>/dev/null; }
pv_field() { k get pv "$1" -o jsonpath="$2" 2>/dev/null; }
bound() { [ "$(phase "$1" "$2")" = Bound ]; }
pv_exists() { k get pv "$1" >/dev/null 2>&1; }
pv_gone() { ! pv_exists "$1"; }
gone() { [ ! -e "$1" ]; }

# --- provisioning ------------------------------------------------------------------
k create namespace web >/dev/null
prov_start
claim web data
DATA_UID=$(uid web data)
PV="pvc-$DATA_UID"
t_check "class standard: its volume appears" wait_until 10 pv_exists "$PV"
t_eq "volume: claimRef" "web/data/$DATA_UID" \
	"$(pv_field "$PV" '{.spec.claimRef.namespace}/{.spec.claimRef.name}/{.spec.claimRef.uid}')"
t_eq "volume: hostPath ROOT/NS/CLAIM" "$ROOT/web/data" "$(pv_field "$PV" '{.spec.hostPath.path}')"
t_eq "volume: capacity, class, policy" "1Gi standard Delete" \
	"$(pv_field "$PV" '{.spec.capacity.storage} {.spec.storageClassName} {.spec.persistentVolumeReclaimPolicy}')"
t_eq "volume: provisioned-by" minilaunch.io/hostpath \
	"$(pv_field "$PV" '{.metadata.annotations.pv\.kubernetes\.io/provisioned-by}')"
t_eq "volume: managed-by label" minilaunch \
	"$(pv_field "$PV" '{.metadata.labels.app\.kubernetes\.io/managed-by}')"
t_eq "directory made, mode 777" 777 "$(stat -c %a "$ROOT/web/data" 2>&1)"
t_check "the controller manager binds claim and volume" wait_until 30 bound web data
t_eq "claim bound to that volume" "$PV" "$(k -n web get pvc data -o jsonpath='{.spec.volumeName}')"
t_check "log: one line for it" grep -q "provisioned $PV for claim web/data: $ROOT/web/data, 1Gi, reclaim policy Delete" "$LOG"

# No class at all: the API's DefaultStorageClass admission gives it
# standard, and it binds the same way.
claim web nocls -
NOCLS_PV="pvc-$(uid web nocls)"
t_check "no class: bound through the default class" wait_until 30 bound web nocls
t_eq "no class: bound to our volume" "$NOCLS_PV" "$(k -n web get pvc nocls -o jsonpath='{.spec.volumeName}')"

# Another class is someone else's.
claim web other fast
sleep "$(t_scaled 2)"
t_eq "another class: no volume" "" "$(k get pv -o jsonpath="{.items[?(@.spec.claimRef.name=='other')].metadata.name}")"
t_check "another class: no directory" gone "$ROOT/web/other"

# --- a restart makes nothing twice -------------------------------------------------
prov_stop
t_eq "SIGTERM: exit 0" 0 "$PROV_RC"
n_before=$(grep -c "^.*provisioned " "$LOG")
prov_start
sleep "$(t_scaled 3)"
t_eq "restart: nothing provisioned again" "$n_before" "$(grep -c "^.*provisioned " "$LOG")"
t_eq "restart: still one volume per claim" 2 \
	"$(k get pv -o name | grep -c '^persistentvolume/pvc-')"

# --- reclaim: Delete -----------------------------------------------------------------
echo data >"$ROOT/web/data/file"
mkdir -p "$T_TMP/outside"
echo precious >"$T_TMP/outside/keep"
ln -s "$T_TMP/outside" "$ROOT/web/data/escape"
k -n web delete pvc data --wait=false >/dev/null
t_check "Delete: the directory goes" wait_until 30 gone "$ROOT/web/data"
t_check "Delete: the volume goes" wait_until 30 pv_gone "$PV"
t_check "Delete: a link inside was not followed" test -f "$T_TMP/outside/keep"
t_check "Delete: log says so" grep -q "deleted $PV (Released, reclaim policy Delete) and its directory $ROOT/web/data" "$LOG"
t_check "Delete: the namespace's other claim is kept" test -d "$ROOT/web/nocls"

# --- reclaim: Retain ----------------------------------------------------------------
k patch pv "$NOCLS_PV" -p '{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}' >/dev/null
echo kept >"$ROOT/web/nocls/file"
k -n web delete pvc nocls --wait=false >/dev/null
released() { [ "$(pv_field "$NOCLS_PV" '{.status.phase}')" = Released ]; }
t_check "Retain: the volume is Released" wait_until 30 released
t_check "Retain: log says it is kept" wait_until 10 grep -q "kept $NOCLS_PV and its directory $ROOT/web/nocls (Released, reclaim policy Retain)" "$LOG"
sleep "$(t_scaled 2)"
t_check "Retain: the volume stays" pv_exists "$NOCLS_PV"
t_check "Retain: the data stays" grep -qx kept "$ROOT/web/nocls/file"

# --- a claim's directory that became a link is refused, once -----------------------
claim web linked
LINKED_PV="pvc-$(uid web linked)"
t_check "link: bound" wait_until 30 bound web linked
mkdir -p "$T_TMP/outside2"
echo precious >"$T_TMP/outside2/keep"
rmdir "$ROOT/web/linked"
ln -s "$T_TMP/outside2" "$ROOT/web/linked"
k -n web delete pvc linked --wait=false >/dev/null
t_check "link: refused, said" wait_until 30 grep -q "cannot reclaim $LINKED_PV: '$ROOT/web/linked' is a symbolic link: refusing to follow it" "$LOG"
sleep "$(t_scaled 5)"
t_eq "link: said once, not retried" 1 "$(grep -c "cannot reclaim $LINKED_PV" "$LOG")"
t_check "link: its target untouched" grep -qx precious "$T_TMP/outside2/keep"
t_check "link: the volume stays" pv_exists "$LINKED_PV"
k delete pv "$LINKED_PV" --wait=false >/dev/null
rm "$ROOT/web/linked"

# --- another provisioner's volume, Released with Delete, is not ours ------------
# (Its annotation also keeps the controller manager's own hostPath
# deleter, which takes any path under /tmp, away from it.)
mkdir -p "$ROOT/web/theirs"
k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: PersistentVolume
metadata:
  name: theirs
  annotations: {pv.kubernetes.io/provisioned-by: other.example/hostpath}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Delete
  storageClassName: manual
  hostPath: {path: "$ROOT/web/theirs"}
  claimRef: {namespace: web, name: gone-claim, uid: 00000000-0000-0000-0000-000000000000}
EOF
theirs_released() { [ "$(pv_field theirs '{.status.phase}')" = Released ] || [ "$(pv_field theirs '{.status.phase}')" = Failed ]; }
wait_until 30 theirs_released
sleep "$(t_scaled 2)"
t_check "not ours: its directory stays" test -d "$ROOT/web/theirs"
t_check "not ours: it is not deleted by us" sh -c "! grep -q 'deleted theirs' '$LOG'"

prov_stop
t_eq "SIGTERM: exit 0 again" 0 "$PROV_RC"
t_check "log: no warning but the link's" sh -c "! grep -i 'warn' '$LOG' | grep -v 'cannot reclaim $LINKED_PV'"
t_check "log: no warning but the link's (the log is there)" test -s "$LOG"
[ "$T_FAILED" = 0 ] || cat "$LOG"

# --- started before the API server answers -----------------------------------------
"$CP" stop-apiserver "$CP_DIR" >/dev/null 2>&1
LOG="$T_TMP/early.log"
prov_start
sleep "$(t_scaled 5)"
t_eq "API down: one warning however many retries" 1 "$(grep -c "cannot list" "$LOG")"
"$CP" start-apiserver "$CP_DIR" >/dev/null 2>&1
t_check "API back: listed" wait_until 60 grep -q "listed persistentvolumeclaims, persistentvolumes, storageclasses" "$LOG"
claim web late
t_check "API back: provisions" wait_until 30 bound web late
prov_stop
t_eq "API back: exit 0" 0 "$PROV_RC"

# --- valgrind: provision, reclaim, SIGTERM ----------------------------------------
if command -v valgrind >/dev/null; then
	LOG="$T_TMP/vg-prov.log"
	KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$APISERVER_PORT \
		ML_PROVISIONER_SERVICEACCOUNT_DIR="$SA" valgrind -q --error-exitcode=99 \
		--leak-check=full --errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect --log-file="$T_TMP/vg.log" \
		"$PROV" --root "$ROOT" >>"$LOG" 2>&1 &
	PROV_PID=$!
	claim web vg
	VG_PV="pvc-$(uid web vg)"
	t_check "valgrind: bound" wait_until 60 bound web vg
	k -n web delete pvc vg --wait=false >/dev/null
	t_check "valgrind: reclaimed" wait_until 60 pv_gone "$VG_PV"
	prov_stop
	t_eq "valgrind: exit 0, no error, no leak" 0 "$PROV_RC"
	[ "$PROV_RC" = 0 ] || head -40 "$T_TMP/vg.log"
else
	t_skip "valgrind" "valgrind is not installed"
fi

t_summary
