#!/bin/bash
# minilaunch docker-env, evaluated by real shells (bash, dash, zsh, fish):
# the environment they end up with is compared, with a home directory
# whose name holds spaces, quotes, '$' and a backslash.
. "$ML_TOP_SRCDIR/tests/lib.sh"

weird="$T_TMP/we ird'q\"d\$x\\b"
export MINILAUNCH_HOME="$weird/.minilaunch"
mkdir -p "$MINILAUNCH_HOME"
certs="$MINILAUNCH_HOME/profiles/dev/certs/docker"

# The profiles' Docker ports: free ones, as make check runs tests side by
# side (the first must have nothing listening until t_listen).
DEV=$(t_free_port)
PROD=$DEV
while [ "$PROD" = "$DEV" ]; do PROD=$(t_free_port); done
# failures first: nothing on stdout, so `eval` does no harm
t_run -p dev docker-env
t_eq "missing profile: exit 1" 1 "$T_RC"
t_eq "missing profile: no stdout" "" "$T_OUT"
t_check "missing profile: named" grep -q "profile 'dev' not found" "$T_TMP/err"
"$ML_FIXTURE" "$MINILAUNCH_HOME" dev Stopped $DEV 48443
t_run -p dev docker-env
t_eq "stopped profile: exit 1" 1 "$T_RC"
t_eq "stopped profile: no stdout" "" "$T_OUT"
t_check "stopped profile: says so" grep -q "is not running (status: Stopped)" "$T_TMP/err"
t_run -p dev docker-env --shell klingon
t_eq "unknown shell: usage error" 64 "$T_RC"

"$ML_FIXTURE" "$MINILAUNCH_HOME" dev Running $DEV 48443
t_run -p dev docker-env
t_eq "running in the state but nothing on the port: exit 1" 1 "$T_RC"
t_check "dead VM: says nothing answers" grep -q "nothing answers on 127.0.0.1:$DEV" "$T_TMP/err"
t_eq "dead VM: no stdout" "" "$T_OUT"
t_listen $DEV
t_check "client certs verify against the CA" openssl verify -CAfile "$certs/ca.pem" "$certs/cert.pem"
t_eq "client key mode" 600 "$(stat -c %a "$certs/key.pem")"

want="DOCKER_CERT_PATH=$certs
DOCKER_HOST=tcp://127.0.0.1:$DEV
DOCKER_TLS_VERIFY=1
MINILAUNCH_ACTIVE_DOCKERD=dev"
showenv='/usr/bin/env | grep -E "^(DOCKER_|MINILAUNCH_)" | grep -v "^MINILAUNCH_HOME=" | sort'

got=$(bash -c "eval \"\$('$MINILAUNCH' -p dev docker-env --shell bash)\"; $showenv")
t_eq "bash" "$want" "$got"
got=$(dash -c "eval \"\$('$MINILAUNCH' -p dev docker-env --shell sh)\"; $showenv")
t_eq "dash" "$want" "$got"
got=$(zsh -f -c "eval \"\$('$MINILAUNCH' -p dev docker-env --shell zsh)\"; $showenv")
t_eq "zsh" "$want" "$got"
got=$(fish --no-config -c "'$MINILAUNCH' -p dev docker-env --shell fish | source; $showenv" 2>&1)
t_eq "fish" "$want" "$got"
got=$(SHELL=/usr/bin/fish "$MINILAUNCH" -p dev docker-env | head -1)
t_eq "shell detected from \$SHELL" "set -gx DOCKER_TLS_VERIFY '1';" "$got"

# the usual unquoted form, with a home holding single spaces only
spaced="$T_TMP/my home"
mkdir -p "$spaced"
"$ML_FIXTURE" "$spaced" dev Running $DEV 48443
got=$(MINILAUNCH_HOME=$spaced bash -c "eval \$('$MINILAUNCH' -p dev docker-env); printf %s \"\$DOCKER_CERT_PATH\"")
t_eq "eval \$(...) unquoted" "$spaced/profiles/dev/certs/docker" "$got"

t_run -p dev docker-env --shell bash
t_check "hint line, quoted" grep -qx "# eval \"\$(minilaunch -p dev docker-env --shell bash)\"" "$T_TMP/out"
t_run -p dev docker-env --shell none
t_eq "none: bare lines" "DOCKER_TLS_VERIFY=1
DOCKER_HOST=tcp://127.0.0.1:$DEV
DOCKER_CERT_PATH=$certs
MINILAUNCH_ACTIVE_DOCKERD=dev" "$T_OUT"

# the user's own settings are kept and --unset puts them back
mine="DOCKER_CERT_PATH=/my/certs
DOCKER_HOST=tcp://build.example.invalid:2376
DOCKER_TLS_VERIFY=1"
for sh in bash dash zsh fish; do
	case $sh in
	fish) apply() { printf "'%s' -p dev docker-env --shell fish %s | source;" "$MINILAUNCH" "$1"; } ;;
	*) apply() { printf "eval \"\$('%s' -p dev docker-env --shell %s %s)\";" "$MINILAUNCH" "$([ $sh = dash ] && echo sh || echo $sh)" "$1"; } ;;
	esac
	script="$(apply '') $showenv; echo ---; $(apply --unset) $showenv"
	case $sh in
	fish) out=$(DOCKER_HOST=tcp://build.example.invalid:2376 DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=/my/certs fish --no-config -c "$script" 2>&1) ;;
	zsh) out=$(DOCKER_HOST=tcp://build.example.invalid:2376 DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=/my/certs zsh -f -c "$script") ;;
	*) out=$(DOCKER_HOST=tcp://build.example.invalid:2376 DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=/my/certs $sh -c "$script") ;;
	esac
	t_eq "$sh: ours active, the user's kept" "$want
MINILAUNCH_EXISTING_DOCKER_CERT_PATH=/my/certs
MINILAUNCH_EXISTING_DOCKER_HOST=tcp://build.example.invalid:2376
MINILAUNCH_EXISTING_DOCKER_TLS_VERIFY=1" "$(sed -n '1,/^---$/p' <<<"$out" | sed '$d')"
	t_eq "$sh: --unset restores the user's" "$mine" "$(sed -n '/^---$/,$p' <<<"$out" | sed 1d)"
done

# switching profiles keeps the user's settings, not the first profile's
"$ML_FIXTURE" "$MINILAUNCH_HOME" prod Running $PROD 58443
t_listen $PROD
got=$(DOCKER_HOST=tcp://mine.invalid:1 bash -c "eval \"\$('$MINILAUNCH' -p dev docker-env)\"; eval \"\$('$MINILAUNCH' -p prod docker-env)\"; $showenv")
t_check "second profile active" grep -qx "DOCKER_HOST=tcp://127.0.0.1:$PROD" <<<"$got"
t_check "user's host still kept" grep -qx "MINILAUNCH_EXISTING_DOCKER_HOST=tcp://mine.invalid:1" <<<"$got"

# other shells' syntax, checked where no interpreter is at hand
t_run -p dev docker-env --shell powershell
t_check "powershell" grep -qx "\$Env:DOCKER_HOST = 'tcp://127.0.0.1:$DEV'" "$T_TMP/out"
t_run -p dev docker-env --shell cmd
t_check "cmd" grep -qx "SET \"DOCKER_HOST=tcp://127.0.0.1:$DEV\"" "$T_TMP/out"
t_run -p dev docker-env --shell emacs
t_check "emacs" grep -qx "(setenv \"DOCKER_HOST\" \"tcp://127.0.0.1:$DEV\")" "$T_TMP/out"
t_run -p dev docker-env --shell tcsh
t_check "tcsh" grep -qx "setenv DOCKER_HOST 'tcp://127.0.0.1:$DEV';" "$T_TMP/out"

t_summary
