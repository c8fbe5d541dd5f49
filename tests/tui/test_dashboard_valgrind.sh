#!/bin/bash
# The dashboard under valgrind, inside tmux, through a scripted session of
# every view and action: no invalid access, no definite or indirect leak.
# (ncurses keeps still-reachable memory by design; that is not counted.)
. "$ML_TOP_SRCDIR/tests/lib.sh"
. "$ML_TOP_SRCDIR/tests/tui/lib-tmux.sh"
TUI_WAIT_SCALE=4

for tool in tmux kubectl valgrind; do
	command -v $tool >/dev/null || { t_fail "$tool is not installed"; t_summary; exit 1; }
done
tui_cp_start || { t_summary; exit 1; }
"$ML_FIXTURE" "$MINILAUNCH_HOME" fixture Running 42376 48443
k create deployment web --image=registry.invalid/nginx --replicas=2 >/dev/null
k create secret generic creds --from-literal=password=hunter2 >/dev/null
k create service nodeport web --tcp=80:80 >/dev/null

tui_shell || t_fail "tmux shell did not start"
tui_type "valgrind -q --trace-children=yes --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect --log-file='$T_TMP/vg.log' $MINILAUNCH -p fixture dashboard --kubeconfig $KC; echo vg-exit=\$?"
tui_send Enter
t_screen "dashboard up under valgrind" "^ web-[a-z0-9]+-[a-z0-9]{5} +0/1 +Pending"
tui_screen | grep -q "Context: fixture" || { t_summary; exit 1; }

# views, each with describe, filter, sort and help on the way
for v in deploy rs sts ds job cj svc ep ing cm sec pvc pv sc no ns ev po; do
	tui_type ":$v"; tui_send Enter
	tui_wait "View: " 5
	tui_wait_gone "\((loading)\)" 10
	tui_send 1 2 j k G g
	tui_send Enter
	sleep 0.5
	tui_send v Escape
done
t_screen "all views visited" "^ pods \("
tui_type "/web"; tui_send Enter
tui_send Escape
tui_send '?' q
# logs, delete, scale, namespaces, refresh, resize
tui_send l
t_screen "logs under valgrind" "logs default/"
tui_send q
k run victim --image=registry.invalid/busybox >/dev/null
t_screen "new pod" "^ victim "
tui_type "/victim"; tui_send Enter
tui_send x y
t_screen_gone "deleted" "^ victim " 20
tui_send Escape
tui_type ":deploy"; tui_send Enter
t_screen "deployments" "^ web +0/2"
tui_send s; tui_type "3"; tui_send Enter
t_screen "scaled" "^ web +0/3"
tui_send 0
t_screen "all namespaces" "Namespace: all"
tui_send n
t_screen "picker" "pick a namespace"
tui_send g Down Enter
t_screen "namespace default" "Namespace: default"
tui_send r
tui_tmux resize-window -t "$TUI_SESSION" -x 80 -y 24
sleep 1
tui_tmux resize-window -t "$TUI_SESSION" -x 120 -y 40
# an outage and recovery with watches open
"$ML_TOP_SRCDIR/tests/fixtures/control-plane" stop-apiserver "$CP_DIR" 2>/dev/null
t_screen "outage seen" "STALE" 20
"$ML_TOP_SRCDIR/tests/fixtures/control-plane" start-apiserver "$CP_DIR" 2>/dev/null
t_screen_gone "recovered" "STALE" 30
tui_send Q
t_screen "quit under valgrind" "^vg-exit=[0-9]+" 30

rc=$(tui_screen | sed -n 's/^vg-exit=\([0-9]*\).*/\1/p' | tail -1)
t_eq "valgrind: no errors, no definite or indirect leaks (exit 0, not 99)" 0 "$rc"
if [ "$rc" != 0 ]; then
	head -60 "$T_TMP/vg.log"
fi
t_check "valgrind log has no error summary" sh -c "! grep -E 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]|indirectly lost: [1-9]|Invalid (read|write)' '$T_TMP/vg.log'"
t_summary
