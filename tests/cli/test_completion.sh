#!/bin/bash
# Completion scripts: bash completes commands, flags, values and profiles;
# zsh loads the script through compinit.
. "$ML_TOP_SRCDIR/tests/lib.sh"

"$MINILAUNCH" completion bash >"$T_TMP/bash"
"$MINILAUNCH" config set cpus 1
"$MINILAUNCH" -p second config set cpus 1

# complete WORDS...: the candidates bash offers for the last word
complete_words() {
	bash -c '
		source "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_minilaunch
		printf "%s\n" "${COMPREPLY[@]}" | sort | xargs' _ "$T_TMP/bash" "$@"
}
t_eq "commands" "completion config" "$(complete_words minilaunch co)"
t_eq "config subcommands" "get set unset view" "$(complete_words minilaunch config '')"
t_eq "config keys" "container-runtime cpus" "$(complete_words minilaunch config set c)"
t_eq "flag values" "bash" "$(complete_words minilaunch docker-env --shell ba)"
t_eq "command flags" "--shell" "$(complete_words minilaunch docker-env --sh)"
t_eq "profiles" "minilaunch" "$(complete_words minilaunch -p mi)"
t_eq "profiles after the command" "second" "$(complete_words minilaunch config view --profile s)"
t_eq "help completes commands" "update-context" "$(complete_words minilaunch help up)"

"$MINILAUNCH" completion zsh >"$T_TMP/_minilaunch"
t_check "zsh script parses" zsh -n "$T_TMP/_minilaunch"
t_check "zsh compinit loads it" zsh -f -c "fpath=('$T_TMP' \$fpath); autoload -Uz compinit; compinit -u -D; (( \$+_comps[minilaunch] ))"
t_run completion fish
t_eq "unsupported shell" 64 "$T_RC"
t_summary
