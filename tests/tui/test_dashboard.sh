#!/bin/bash
# The dashboard on a real control plane (tests/fixtures/control-plane),
# driven inside tmux: every view, the keys, live updates through watches,
# an API server outage, resize, idle silence and a sane terminal on quit.
. "$ML_TOP_SRCDIR/tests/lib.sh"
. "$ML_TOP_SRCDIR/tests/tui/lib-tmux.sh"

for tool in tmux kubectl; do
	command -v $tool >/dev/null || { t_fail "$tool is not installed"; t_summary; exit 1; }
done

# --- errors before any screen: one line, exit 1 ---
t_run dashboard
t_eq "no profile: exit 1" 1 "$T_RC"
t_check "no profile: one-line error naming it" \
	test "$(echo "$T_ERR" | wc -l)" = 1 -a -n "$(echo "$T_ERR" | grep "profile 'minilaunch' not found")"
"$ML_FIXTURE" "$MINILAUNCH_HOME" stopped Stopped 42376 48443
t_run -p stopped dashboard
t_eq "profile not running: exit 1" 1 "$T_RC"
t_check "profile not running: says so" grep -q "profile 'stopped' is not running" <<<"$T_ERR"

tui_cp_start || { t_summary; exit 1; }
"$ML_FIXTURE" "$MINILAUNCH_HOME" fixture Running 42376 48443
"$ML_FIXTURE" "$MINILAUNCH_HOME" other Running 42376 48443
# the pull-error hints below are those of an offline profile
"$MINILAUNCH" -p fixture config set network offline >/dev/null

t_run -p other dashboard --kubeconfig "$KC"
t_eq "profile without a context: exit 1" 1 "$T_RC"
t_check "profile without a context: suggests --context" grep -q -- "--context NAME" <<<"$T_ERR"
t_run -p fixture dashboard --kubeconfig "$KC" </dev/null
t_eq "no terminal: exit 1" 1 "$T_RC"
t_check "no terminal: one-line error" \
	test "$(echo "$T_ERR" | wc -l)" = 1 -a -n "$(echo "$T_ERR" | grep 'needs a terminal')"
t_run dashboard --context nope --kubeconfig "$KC"
t_eq "unknown --context: exit 1" 1 "$T_RC"

# --- the screen ---
k create deployment web --image=registry.invalid/nginx --replicas=2 >/dev/null
# $EDITOR for the edit key: a stand-in for the person at the editor,
# doing what editor.mode says, keeping a copy of what it was given
cat >"$T_TMP/editor" <<'EOF'
#!/bin/sh
dir=$(dirname "$0")
case $(cat "$dir/editor.mode" 2>/dev/null) in
label) sed -i 's/^    app: web$/    app: web\n    edited: "yes"/' "$1" ;;
bad) echo 'spec: [' >>"$1" ;;
esac
cp "$1" "$dir/editor.last"
EOF
chmod +x "$T_TMP/editor"
tui_shell || t_fail "tmux shell did not start"
tui_type "TMPDIR='$T_TMP' EDITOR='$T_TMP/editor' $MINILAUNCH -p fixture dashboard --kubeconfig $KC; echo dashboard-exit=\$?"
tui_send Enter
t_screen "header: context, server, version" "Context: fixture +Server: https://127\.0\.0\.1:[0-9]+ +Kubernetes: v1\.20"
# without a screen every key below would go to the shell
tui_screen | grep -q "Context: fixture" || { t_summary; exit 1; }
t_screen "header: nodes, namespace, view, connection" "Nodes: 0/0 ready +Namespace: default +View: pods +\[connected\]"
t_screen "pods of the deployment listed" "^ web-[a-z0-9]+-[a-z0-9]{5} +0/1 +Pending +0 "
t_screen "pod columns as kubectl" "^ NAME +READY +STATUS +RESTARTS +AGE"
t_eq "two pods" 2 "$(tui_screen | grep -cE '^ web-[a-z0-9]+-[a-z0-9]{5} ')"

# live: a pod created elsewhere shows within a second
t0=$(tui_ms)
k run solo --image=registry.invalid/busybox >/dev/null
t_screen "pod created elsewhere appears within 1 s" "^ solo +0/1 +Pending" 1
echo "# solo on screen $(($(tui_ms) - t0)) ms after kubectl run started"

# ages tick while idle, counted from the pod's creationTimestamp: only
# the AGE cells are written, nothing else of the rows
age_of() { tui_screen | awk -v n="$1" '$1 == n { sub(/s$/, "", $NF); print $NF }'; }
a1=$(age_of solo)
tui_tmux pipe-pane -t "$TUI_SESSION" -o "cat >>'$T_TMP/tick.out'"
sleep 2.5
tui_tmux pipe-pane -t "$TUI_SESSION"
a2=$(age_of solo)
t_check "AGE ticks while idle ($a1 s, then $a2 s)" test "${a2:-0}" -ge "$((${a1:-99} + 2))"
# what was written, less the escape sequences, is ages alone
ticks=$(sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1b[()][A-Z0-9]//g; s/\x1b[=>A-Za-z]//g' "$T_TMP/tick.out" | tr -d '\r\b\017\016')
t_check "idle writes only age cells (got '$(printf %s "$ticks" | head -c 80)')" \
	sh -c "test -n \"\$1\" && printf %s \"\$1\" | grep -Eqx '[0-9smhdy ]+'" _ "$ticks"

# the replicaset view through ':'
tui_type ":rs"; tui_send Enter
t_screen "replicaset view" "^ web-[a-z0-9]+ +2 +2 +0 "
t_screen "replicaset columns" "^ NAME +DESIRED +CURRENT +READY +AGE"

# scale the deployment to 3 and see the replicaset follow
tui_type ":deploy"; tui_send Enter
t_screen "deployment view" "^ web +0/2 +2 +0 "
tui_send s
t_screen "scale prompt" "Scale deployment default/web to replicas:"
tui_type "3"; tui_send Enter
t_screen "deployment scaled to 3" "^ web +0/3 +3 +0 "

# edit in $EDITOR: unchanged sends nothing; a label added is applied
# (server-side apply); a broken text is kept in a file the header names
rv() { k get deploy web -o jsonpath='{.metadata.resourceVersion}'; }
echo same >"$T_TMP/editor.mode"
rv0=$(rv)
tui_send e
t_screen "edit unchanged: nothing applied" "edit: deployment default/web unchanged, nothing applied"
t_eq "edit unchanged: no request" "$rv0" "$(rv)"
t_check "edit: the object as YAML" grep -q '^kind: Deployment' "$T_TMP/editor.last"
t_check "edit: no status, no managedFields" sh -c "! grep -Eq '^status:|managedFields' '$T_TMP/editor.last'"
echo label >"$T_TMP/editor.mode"
tui_send e
t_screen "edit applied" "edit: applied deployment default/web"
t_eq "edit: the label is on the object" yes "$(k get deploy web -o jsonpath='{.metadata.labels.edited}')"
t_check "edit: applied by the dashboard's field manager" sh -c "kubectl --kubeconfig '$KC' get deploy web -o yaml --show-managed-fields | grep -q 'manager: minilaunch-dashboard'"
echo bad >"$T_TMP/editor.mode"
tui_send e
t_screen "edit refused: the header says where the text is" "Last error: edit: your text is kept in $T_TMP/minilaunch-edit-deployment-web-[A-Za-z0-9]{6}\.yaml"
kept=$(ls "$T_TMP"/minilaunch-edit-deployment-web-*.yaml 2>/dev/null | head -1)
t_check "edit refused: the file holds the edited text" grep -q '^spec: \[' "$kept"
t_eq "edit refused: the file is the user's alone" 600 "$(stat -c %a "$kept" 2>/dev/null)"
t_eq "edit refused: only that file left" 1 "$(ls "$T_TMP"/minilaunch-edit-* | wc -l)"
t_check "the screen is back after the editor" tui_wait "^ web +0/3 " 5
tui_type ":rs"; tui_send Enter
t_screen "replicaset desired 3" "^ web-[a-z0-9]+ +3 +3 +0 "
tui_send Escape
t_screen "Esc goes back to the previous view" "^ deployments \(1\)"

# filter as you type
tui_type ":po"; tui_send Enter
t_screen "back on pods" "^ pods \(4\)"
tui_type "/so"
t_screen "filter applied while typing" "^ pods \(1 of 4\) +namespace: default +filter: so"
t_screen_gone "filter hides the others" "^ web-"
tui_send Enter
tui_send Escape
t_screen "Esc clears the filter" "^ pods \(4\)"

# sort by a column: 1 sorts by NAME, again reverses
tui_send 1
t_screen "sort marker on NAME" "^ NAME. +READY"
t_check "sorted by name" test "$(tui_screen | grep -E '^ (solo|web-)' | head -1 | awk '{print $1}')" = solo
tui_send 1
t_check "reversed" sh -c "sleep 0.3; true"
t_check "reverse order puts web first" test "$(tui_screen | grep -E '^ (solo|web-)' | head -1 | cut -c2-4)" = web

# describe: YAML of the selected object, scrollable
tui_send g
tui_send Enter
t_screen "describe shows YAML" "^kind: Pod"
t_screen "describe title" "describe pod default/"
t_screen "managedFields left out, metadata kept" "^  name: "
t_check "no managedFields" sh -c "! tmux -L $TUI_SOCK capture-pane -t $TUI_SESSION -p | grep -q managedFields"
tui_send G
t_screen "describe scrolls to the end" "lines [0-9]+-[0-9]+ of [0-9]+"
tui_send q
t_screen "q back to the list" "^ pods \(4\)"

# logs of a pending pod: the view opens and reports the API's answer
tui_send l
t_screen "logs view" "logs default/[a-z0-9-]+ .*following"
tui_send Escape
t_screen "back from logs" "^ pods \(4\)"

# delete with confirmation
tui_type "/solo"; tui_send Enter
tui_send x
t_screen "delete asks first" "Delete pod default/solo\? \(y/N\)"
tui_send n
t_screen_gone "n keeps the pod" "Delete pod"
t_check "pod still exists after n" k get pod solo -o name
tui_send x
tui_send y
t_screen_gone "deleted pod goes from the screen" "^ solo " 10
t_check "pod gone from the API" sh -c "! kubectl --kubeconfig '$KC' get pod solo 2>/dev/null"
tui_send Escape

# namespaces: all, then pick one
k create namespace team >/dev/null
k -n team create configmap settings --from-literal=a=b >/dev/null
tui_send 0
t_screen "all namespaces adds a NAMESPACE column" "^ NAMESPACE +NAME +READY +STATUS"
t_screen "header says all" "Namespace: all"
tui_type ":cm"; tui_send Enter
t_screen "configmaps across namespaces" "^ team +settings +1 "
tui_send n
t_screen "namespace picker" "pick a namespace"
for _ in 1 2 3 4 5; do tui_send Down; done
tui_send Enter
t_screen "picked namespace team" "Namespace: team +View: configmaps"
t_screen "only team's configmaps" "^ settings +1 "

# secrets: values hidden until asked
k -n team create secret generic creds --from-literal=password=hunter2 >/dev/null
tui_type ":sec"; tui_send Enter
t_screen "secret listed" "^ creds +Opaque +1 "
tui_type "/creds"; tui_send Enter
tui_send Enter
t_screen "secret value hidden" "password: <hidden, 7 bytes, v reveals>"
t_check "plain value not on screen" sh -c "! tmux -L $TUI_SOCK capture-pane -t $TUI_SESSION -p | grep -q hunter2"
tui_send v
t_screen "v reveals the value" "password: hunter2"
tui_send q
tui_send Escape

# services with a NodePort, nodes, namespaces, events
k create service nodeport web --tcp=80:80 >/dev/null
tui_send n
t_screen "picker again" "pick a namespace"
tui_send g Down Enter
tui_type ":svc"; tui_send Enter
t_screen "service with NodePort" "^ web +NodePort +10\.[0-9.]+ +<none> +80:3[0-9]+/TCP"
tui_type ":no"; tui_send Enter
t_screen "nodes view" "^ nodes \(0\)"
tui_type ":ns"; tui_send Enter
t_screen "namespaces view" "^ team +Active"
tui_type ":ev"; tui_send Enter
t_screen "events view" "^ LAST SEEN +TYPE +REASON +OBJECT +MESSAGE"
t_screen "scheduler events" "FailedScheduling|ScalingReplicaSet|SuccessfulCreate"
tui_type ":nope"; tui_send Enter
t_screen "unknown view is refused" "no view 'nope'"
tui_send '?'
t_screen "help lists the keys" ":VIEW +switch view"
t_screen "help: the edit key" "^  e +edit the selected object in \\\$EDITOR"
t_screen "help: a view's own key, with its views" "^  s +scale the selected object \(deployments, replicasets, statefulsets\)"
t_screen "help: the previous log" "^  p +the log of the selected pod's previous container \(pods\)"
t_screen "help: the new views" "statefulsets \(sts\).*daemonsets \(ds\)"
tui_send q
tui_type ":po"; tui_send Enter
t_screen "pods again" "^ pods \(3\)"

# the other views, each listing an object made with kubectl (in team,
# so that the pods of default stay as they are)
k -n team apply -f - >/dev/null <<'YAML'
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: registry.invalid/db}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: registry.invalid/agent}]}
---
apiVersion: batch/v1beta1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec: {restartPolicy: Never, containers: [{name: nightly, image: registry.invalid/n}]}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: slow
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: vol1}
spec:
  capacity: {storage: 2Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: other
  hostPath: {path: /tmp/vol1}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: slow}
provisioner: example.invalid/none
---
apiVersion: v1
kind: Endpoints
metadata: {name: ext}
subsets: [{addresses: [{ip: 10.9.8.7}], ports: [{port: 5432}]}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: site}
spec:
  rules:
  - host: site.example
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
YAML
k -n team create job once --image=registry.invalid/once >/dev/null
tui_send n
t_screen "picker for team" "pick a namespace"
for _ in 1 2 3 4 5; do tui_send Down; done
tui_send Enter
t_screen "namespace team" "Namespace: team"
for v in "sts|statefulsets|^ db +0/1 " "ds|daemonsets|^ agent +0 +0 " "job|jobs|^ once +0/1 " \
	"cj|cronjobs|^ nightly +0 3 \* \* \* +False " "pvc|persistentvolumeclaims|^ data +Pending " \
	"pv|persistentvolumes|^ vol1 +2Gi +RWO " "sc|storageclasses|^ slow +example\.invalid/none " \
	"ep|endpoints|^ ext +10\.9\.8\.7:5432 " "ing|ingresses|^ site +<none> +site\.example "; do
	alias=${v%%|*}; rest=${v#*|}; name=${rest%%|*}; row=${rest#*|}
	tui_type ":$alias"; tui_send Enter
	t_screen ":$alias is the $name view" "^ $name \([0-9]+\)"
	t_screen "$name lists the object made with kubectl" "$row"
done
# the statefulset scales as the deployment did
# (each key once the view's row is on screen: a key on an empty table,
# before the list has come, has nothing selected to act on)
tui_type ":sts"; tui_send Enter
t_screen "statefulsets again: its row" "^ db +[0-9]+/1 "
tui_send s
t_screen "scale prompt for a statefulset" "Scale statefulset team/db to replicas:"
tui_type "2"; tui_send Enter
t_check "statefulset scaled to 2" sh -c "for _ in \$(seq 1 $(t_scaled 10)); do
	test \"\$(kubectl --kubeconfig '$KC' -n team get sts db -o jsonpath='{.spec.replicas}')\" = 2 && exit 0
	sleep 1
done; exit 1"
# no scale on a daemonset: the key says so
tui_type ":ds"; tui_send Enter
t_screen "daemonsets again: its row" "^ agent +0 +0 "
tui_send s
t_screen "no s in daemonsets" "no key 's' in daemonsets"
tui_send n
t_screen "picker back" "pick a namespace"
tui_send g Down Enter
t_screen "namespace default again" "Namespace: default"
tui_type ":po"; tui_send Enter

# resize redraws at once
tui_tmux resize-window -t "$TUI_SESSION" -x 70 -y 20
t_screen "resize redraws within 0.5 s" "^ Context: fixture +Server: https://127\.0\.0\.1:[0-9]+ +Kube" 0.5
t_check "nothing past column 70" test "$(tui_screen | LC_ALL=C.UTF-8 wc -L)" -le 70
tui_tmux resize-window -t "$TUI_SESSION" -x 120 -y 40
t_screen "resize back" "Kubernetes: v1\.20\.2" 1

# idle: nothing at all written to the terminal while nothing on screen
# changes. The ages of these pods are under 10 minutes, which kubectl
# prints to the second ("3m20s"): they change every second (checked
# above, and in tests/unit/test_tui_age: once a minute past 10 minutes).
# So the screens here show no age: a filter that matches no row, then the
# help.
tui_type "/no-such-row"; tui_send Enter
tui_wait "^ pods \(0 of [0-9]+\)" 5
sleep 1
tui_tmux pipe-pane -t "$TUI_SESSION" -o "cat >>'$T_TMP/idle.out'"
sleep 5
tui_tmux pipe-pane -t "$TUI_SESSION"
t_eq "idle for 5 s: no byte written" 0 "$(wc -c <"$T_TMP/idle.out" 2>/dev/null || echo missing)"
tui_send Escape
t_screen "filter cleared for the rest" "^ pods \(3\)"
# ... and a change writes little: one row, not the screen
tui_tmux pipe-pane -t "$TUI_SESSION" -o "cat >>'$T_TMP/one.out'"
k run one-more --image=registry.invalid/busybox >/dev/null
tui_wait "^ one-more " 5
sleep 0.3
tui_tmux pipe-pane -t "$TUI_SESSION"
bytes=$(wc -c <"$T_TMP/one.out")
t_check "a new row costs under 600 bytes (got $bytes)" test "$bytes" -gt 0 -a "$bytes" -lt 600

# the API server goes away and comes back
"$ML_TOP_SRCDIR/tests/fixtures/control-plane" stop-apiserver "$CP_DIR" 2>/dev/null
t_screen "outage: header says disconnected" "\[DISCONNECTED: " 15
t_screen "outage: rows stay, marked stale" "^ pods \(4\) .*\[STALE"
t_screen "outage: last data still on screen" "^ one-more "
"$ML_TOP_SRCDIR/tests/fixtures/control-plane" start-apiserver "$CP_DIR" 2>/dev/null
t_screen "recovery: connected again by itself" "\[connected\]" 30
t_screen_gone "recovery: stale marker gone" "STALE" 10
k run after-outage --image=registry.invalid/busybox >/dev/null
t_screen "recovery: watches live again" "^ after-outage " 5

# a pod that cannot get its image: the fix on the bottom line, and atop
# its describe view. There is no kubelet here: its status is written as
# the kubelet writes it, through the pods/status subresource.
pull_status() { # REASON
	k patch pod pullme --subresource=status --type=merge -p '{"status":{"containerStatuses":[{"name":"pullme",
		"image":"registry.invalid/busybox","imageID":"","ready":false,"restartCount":0,
		"state":{"waiting":{"reason":"'"$1"'","message":"rpc error: code = Unknown desc = Error response from daemon"}}}]}}' >/dev/null
}
k run pullme --image=registry.invalid/busybox >/dev/null
k wait --for=condition=PodScheduled=false pod/pullme --timeout=20s >/dev/null 2>&1
tui_type "/pullme"; tui_send Enter
t_screen "pending pod: the keys on the bottom line" "^\? help +: view"
t_check "status subresource: ErrImagePull" pull_status ErrImagePull
t_screen "STATUS from the kubelet's reason" "^ pullme +0/1 +ErrImagePull "
t_screen "offline profile: the fix on the bottom line" \
	"^ErrImagePull: this profile is offline: minilaunch -p fixture stop && minilaunch -p fixture start --network=online"
tui_send Enter
t_screen "describe: the problem heads it" "^# pod default/pullme: ErrImagePull \(registry\.invalid/busybox\): this profile is"
t_screen "describe: then the YAML" "^kind: Pod"
tui_send q
t_check "status subresource: ErrImageNeverPull" pull_status ErrImageNeverPull
t_screen "never pull: names the node's Docker daemon" \
	"^ErrImageNeverPull: image registry\.invalid/busybox is not in the Docker daemon of node 'fixture': build or pull it there"
tui_send Escape
t_screen "filter cleared" "^ pods \([0-9]+\) "
tui_send g
t_screen "another pod: the keys again" "^\? help +: view"
t_screen_gone "another pod: no hint" "ErrImageNeverPull: image" 2

# quit: back at the prompt with a sane terminal
tui_send Q
t_screen "Q quits with status 0" "^dashboard-exit=0"
t_screen "shell prompt back" "^mlprompt\\\$ *$"
tui_type "stty -a >'$T_TMP/stty'; echo stty-done"; tui_send Enter
tui_wait "^stty-done" 5
t_check "terminal sane: echo and icanon on" \
	sh -c "grep -Eq '(^| )echo( |$)' '$T_TMP/stty' && grep -Eq '(^| )icanon( |$)' '$T_TMP/stty' && grep -Eq '(^| )icrnl( |$)' '$T_TMP/stty'"

# paged lists: the first screen comes from the first page. A loopback TCP
# relay (socat, 127.0.0.1 only) stands between the dashboard and the real
# API server; TLS runs through it end to end. It passes the first
# connection at once (the client's own: /version and each watch's first
# page) and holds every later one for 3 s before connecting it (the pages
# after the first, fetched from the watch's connection), so the last page
# arrives seconds after the first screen is up.
k create namespace paged >/dev/null
for i in $(seq -w 0 11); do echo "apiVersion: v1
kind: ConfigMap
metadata: {name: pg-$i, namespace: paged}
---"; done | k create -f - >/dev/null
# the controller manager adds kube-root-ca.crt to every namespace
for _ in $(seq 20); do
	k -n paged get configmap kube-root-ca.crt >/dev/null 2>&1 && break
	sleep 0.25
done
paged_n=$(k -n paged get configmaps -o name | wc -l)
api_port=$(sed -n 's|^ *server: https://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$KC" | head -1)
relay_port=$(t_free_port)
# one relay process per connection: the first mkdir wins the fast path
cat >"$T_TMP/relay.sh" <<EOF
#!/bin/sh
mkdir '$T_TMP/relay-first' 2>/dev/null || sleep 3
exec socat - TCP:127.0.0.1:$api_port
EOF
chmod +x "$T_TMP/relay.sh"
socat "TCP-LISTEN:$relay_port,bind=127.0.0.1,reuseaddr,fork" EXEC:"$T_TMP/relay.sh" &
relay_pid=$!
trap 'kill $relay_pid 2>/dev/null; tui_cleanup' EXIT
sed "s|https://127\.0\.0\.1:$api_port|https://127.0.0.1:$relay_port|" "$KC" >"$T_TMP/relay.kubeconfig"
tui_shell || t_fail "tmux shell did not start"
tui_type "MINILAUNCH_DASHBOARD_PAGE_SIZE=5 $MINILAUNCH dashboard --context fixture --kubeconfig $T_TMP/relay.kubeconfig -n paged --view configmaps"
tui_send Enter
t_screen "paged: the first page's rows on screen" "^ pg-00 " 10
first=$(tui_screen)
t_check "paged: the title says loading while pages come" grep -Eq "^ configmaps \(loading\) " <<<"$first"
no_last_row() { ! grep -q '^ pg-11 ' <<<"$first"; }
t_check "paged: the last page not there yet" no_last_row
t_screen "paged: the last page's rows follow" "^ pg-11 " 15
t_screen "paged: the full count once the list is complete" "^ configmaps \($paged_n\) " 5
tui_send Q
kill "$relay_pid" 2>/dev/null

t_summary
