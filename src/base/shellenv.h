/*
 * base/shellenv.h: environment assignments in the syntax of each shell, quoted
 * so that any value (spaces, quotes, '$', backslashes) survives the shell's
 * eval unchanged. Used by docker-env and, later, other *-env commands.
 */
#ifndef ML_SHELLENV_H
#define ML_SHELLENV_H

#include <stdio.h>

enum ml_shell {
	ML_SHELL_BASH,
	ML_SHELL_ZSH,
	ML_SHELL_SH,
	ML_SHELL_FISH,
	ML_SHELL_TCSH,
	ML_SHELL_POWERSHELL,
	ML_SHELL_CMD,
	ML_SHELL_EMACS,
	ML_SHELL_NONE,
};

/* The names --shell accepts, ending with NULL. */
extern const char *const ml_shell_names[];

/* Parses a --shell value; -ML_EUSAGE naming the accepted ones. */
int ml_shell_parse(const char *name, enum ml_shell *ret);

/* The user's shell from $SHELL (bash syntax when unknown). */
enum ml_shell ml_shell_detect(void);

/*
 * value quoted for sh; caller frees. For PowerShell the typographic single
 * quotes (U+2018 to U+201B), which end its single-quoted strings as "'"
 * does, are doubled as "'" is.
 */
char *ml_shell_quote(enum ml_shell sh, const char *value);

/* One line setting or removing an environment variable. */
void ml_shell_print_set(FILE *f, enum ml_shell sh, const char *key,
			const char *value);
void ml_shell_print_unset(FILE *f, enum ml_shell sh, const char *key);

/* The closing comment lines telling how to apply the output of command
 * (for example "minilaunch docker-env"); nothing for ML_SHELL_NONE. */
void ml_shell_print_hint(FILE *f, enum ml_shell sh, const char *what,
			 const char *command);

#endif
