#!/bin/bash
# The dashboard's figures from the kubelets: CPU and memory in use per
# node and per pod from a node's stats/summary, and a pod's previous
# container's log, both through the real API server's node proxy; and the
# dashboard on a kubeconfig that is not minilaunch's, with no profile at
# all (--context).
#
# The fixture control plane has no kubelet (it cannot run without a VM):
# a stand-in kubelet here is openssl s_server serving fixed files over
# HTTPS on 127.0.0.1, registered as a Node whose InternalIP and
# daemonEndpoints.kubeletEndpoint.Port point at it, so that the API
# server proxies to it as it would to a kubelet.
. "$ML_TOP_SRCDIR/tests/lib.sh"
. "$ML_TOP_SRCDIR/tests/tui/lib-tmux.sh"

for tool in tmux kubectl openssl ss; do
	command -v $tool >/dev/null || { t_fail "$tool is not installed"; t_summary; exit 1; }
done
tui_cp_start || { t_summary; exit 1; }

# --- the stand-in kubelet ---
KL="$T_TMP/kubelet"
mkdir -p "$KL/stats" "$KL/containerLogs/default/busy"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$KL/key.pem" -out "$KL/cert.pem" \
	-days 1 -subj /CN=127.0.0.1 2>/dev/null
cat >"$KL/stats/summary" <<'JSON'
{
 "node": {"nodeName": "standin", "cpu": {"usageNanoCores": 250000000},
  "memory": {"workingSetBytes": 134217728}},
 "pods": [
  {"podRef": {"name": "busy", "namespace": "default", "uid": "1"},
   "cpu": {"usageNanoCores": 12000000}, "memory": {"workingSetBytes": 33554432}}
 ]
}
JSON
# what the API server asks for `logs --previous` (its query keys sorted)
echo "previous container: last words" >"$KL/containerLogs/default/busy/busy?previous=true&tailLines=500"
for _ in $(seq 50); do
	port=$((20000 + RANDOM % 20000))
	[ -z "$(ss -Htln "sport = :$port")" ] && break
done
(cd "$KL" && exec openssl s_server -accept "127.0.0.1:$port" -cert cert.pem -key key.pem \
	-WWW -quiet -naccept 1000 >"$T_TMP/kubelet.log" 2>&1) &
KL_PID=$!
trap 'kill $KL_PID 2>/dev/null; tui_cleanup' EXIT
k create -f - >/dev/null <<YAML
apiVersion: v1
kind: Node
metadata: {name: standin}
status:
  addresses: [{type: InternalIP, address: 127.0.0.1}]
  daemonEndpoints: {kubeletEndpoint: {Port: $port}}
  conditions: [{type: Ready, status: "True", reason: KubeletReady, message: stand-in}]
YAML
k create -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: busy, namespace: default}
spec:
  nodeName: standin
  containers: [{name: busy, image: registry.invalid/busy}]
YAML
t_check "the API server proxies to the stand-in" sh -c \
	"kubectl --kubeconfig '$KC' get --raw /api/v1/nodes/standin/proxy/stats/summary | grep -q usageNanoCores"

# --- no profile at all, a context that is not minilaunch's ---
t_eq "no profile exists" "" "$(ls "$MINILAUNCH_HOME/profiles" 2>/dev/null)"
tui_shell || t_fail "tmux shell did not start"
tui_type "$MINILAUNCH dashboard --kubeconfig $KC --context fixture-token --view no; echo dashboard-exit=\$?"
tui_send Enter
t_screen "--context opens that context" "Context: fixture-token +Server: https://127\.0\.0\.1:[0-9]+ +Kubernetes: v1\.20"
tui_screen | grep -q "Context: fixture-token" || { t_summary; exit 1; }
t_screen "the stand-in node is listed" "^ standin +Ready "
t_screen "nodes: CPU and MEM columns" "^ NAME +STATUS +ROLES +AGE +VERSION +CPU +MEM"
t_screen "nodes: the figures from the summary" "^ standin +Ready .* 250m +128Mi *$"
tui_type ":po"; tui_send Enter
t_screen "pods: the figures from the summary" "^ busy +0/1 +Pending +0 +[0-9]+s +12m +32Mi *$"
# a pod the summary does not name has blank cells
k run other --image=registry.invalid/other >/dev/null
t_screen "pods: no figures, blank cells" "^ other +0/1 +Pending +0 +[0-9]+s *$"

# the previous container's log through the same proxy
tui_type "/busy"; tui_send Enter
tui_send p
t_screen "p: the previous container's log" "^previous container: last words"
t_screen "p: titled as such" "logs default/busy \(previous container\)"
tui_send q
tui_send Escape

tui_send Q
t_screen "Q quits with status 0" "^dashboard-exit=0"
t_summary
