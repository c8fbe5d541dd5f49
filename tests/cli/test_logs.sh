#!/bin/bash
# minilaunch logs: on a terminal the guest's console cannot drive it (escape
# sequences dropped, control characters shown); piped, its bytes are left as
# they are. script(1) gives the command a terminal.
. "$ML_TOP_SRCDIR/tests/lib.sh"

"$MINILAUNCH" -p dev config set cpus 1
t_run -p dev logs
serial=$(sed -n "s/.*yet ('\(.*\)'): start it first$/\1/p" "$T_TMP/err")
t_check "no console log yet: the error names its path" test -n "$serial"
mkdir -p "$(dirname "$serial")"
printf 'boot \033]0;owned title\007ok\033[31m red\033[0m\r\n\007bell \233x \303\251\n' >"$serial"

t_run -p dev logs
t_check "piped: the console's bytes as they are" cmp -s "$serial" "$T_TMP/out"

want='boot ok red
^Gbell \x9bx é'
script -qec "'$MINILAUNCH' -p dev logs" /dev/null >"$T_TMP/tty" 2>&1
t_eq "terminal: logs exits 0" 0 $?
t_eq "terminal: escapes dropped, controls shown" "$want" "$(tr -d '\r' <"$T_TMP/tty")"
t_check "terminal: no ESC, BEL or C1 byte written" \
	bash -c "! LC_ALL=C grep -q \$'[\\033\\007\\233]' '$T_TMP/tty'"

script -qec "timeout $(t_scaled 2) '$MINILAUNCH' -p dev logs -f" /dev/null >"$T_TMP/tty" 2>&1
t_eq "terminal, -f: filtered too" "$want" "$(tr -d '\r' <"$T_TMP/tty")"
t_summary
