# tests/tui/lib-tmux.sh: drive the dashboard inside tmux against the fixture
# control plane. Sourced after tests/lib.sh.
#
#   tui_cp_start          start tests/fixtures/control-plane in $T_TMP/cp,
#                         set KC (its kubeconfig); stopped at exit
#   tui_shell             a tmux session (120x40) with a plain bash prompt
#   tui_send KEYS...      tmux send-keys (names such as Enter, Escape too)
#   tui_type TEXT         send TEXT literally
#   tui_screen            the pane's text
#   tui_wait ERE [S]      wait up to S (default 10) seconds for a line
#                         matching ERE; 0 when seen, else 1
#   tui_wait_gone ERE [S] the same for no line matching
#   tui_ms                milliseconds since the epoch
TUI_SOCK="mltest-$$"
TUI_SESSION=dash
CP_DIR="$T_TMP/cp"
TUI_WAIT_SCALE=${TUI_WAIT_SCALE:-1}

tui_tmux() { tmux -L "$TUI_SOCK" "$@"; }

tui_cleanup() {
	tui_tmux kill-server 2>/dev/null
	[ -f "$CP_DIR/env" ] && "$ML_TOP_SRCDIR/tests/fixtures/control-plane" stop "$CP_DIR" >/dev/null 2>&1
	rm -rf "$T_TMP"
}
trap tui_cleanup EXIT

tui_cp_start() {
	KC=$("$ML_TOP_SRCDIR/tests/fixtures/control-plane" start "$CP_DIR" 2>"$T_TMP/cp.log") || {
		t_fail "control plane did not start: $(tail -5 "$T_TMP/cp.log")"
		return 1
	}
	export KC
}

tui_shell() {
	tui_tmux kill-session -t "$TUI_SESSION" 2>/dev/null
	tui_tmux new-session -d -s "$TUI_SESSION" -x 120 -y 40 \
		"env -i HOME='$HOME' PATH='$PATH' TERM=screen-256color LANG=C.UTF-8 MINILAUNCH_HOME='$MINILAUNCH_HOME' PS1='mlprompt\$ ' bash --norc --noprofile"
	tui_tmux set-option -t "$TUI_SESSION" status off >/dev/null
	tui_wait '^mlprompt\$' 5
}

tui_send() { tui_tmux send-keys -t "$TUI_SESSION" "$@"; }
tui_type() { tui_tmux send-keys -t "$TUI_SESSION" -l "$1"; }
tui_screen() { tui_tmux capture-pane -t "$TUI_SESSION" -p; }
tui_ms() { date +%s%3N; }

tui_wait() {
	local ere=$1 secs=${2:-10} end
	end=$(($(tui_ms) + $(awk -v s="$secs" -v k="$TUI_WAIT_SCALE" 'BEGIN { print int(s * 1000 * k) }')))
	while [ "$(tui_ms)" -lt "$end" ]; do
		tui_screen | grep -Eq -- "$ere" && return 0
		sleep 0.05
	done
	return 1
}

tui_wait_gone() {
	local ere=$1 secs=${2:-10} end
	end=$(($(tui_ms) + $(awk -v s="$secs" -v k="$TUI_WAIT_SCALE" 'BEGIN { print int(s * 1000 * k) }')))
	while [ "$(tui_ms)" -lt "$end" ]; do
		tui_screen | grep -Eq -- "$ere" || return 0
		sleep 0.05
	done
	return 1
}

# t_screen NAME ERE [S]: a case that passes when ERE shows up in time.
t_screen() {
	t_begin "$1"
	if tui_wait "$2" "${3:-10}"; then
		t_pass
	else
		t_fail "no line matching /$2/ within ${3:-10} s; screen:
$(tui_screen | sed '/^ *$/d' | head -25)"
	fi
}

# t_screen_gone NAME ERE [S]
t_screen_gone() {
	t_begin "$1"
	if tui_wait_gone "$2" "${3:-10}"; then
		t_pass
	else
		t_fail "a line still matches /$2/ after ${3:-10} s; screen:
$(tui_screen | sed '/^ *$/d' | head -25)"
	fi
}

k() { kubectl --kubeconfig "$KC" "$@"; }
