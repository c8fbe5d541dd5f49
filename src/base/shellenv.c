/* base/shellenv.c: environment assignments for each shell. */
#include "config.h"

#include "base/shellenv.h"

#include "base/util.h"

#include <stdlib.h>
#include <string.h>

const char *const ml_shell_names[] = {
	[ML_SHELL_BASH] = "bash", [ML_SHELL_ZSH] = "zsh",
	[ML_SHELL_SH] = "sh",	  [ML_SHELL_FISH] = "fish",
	[ML_SHELL_TCSH] = "tcsh", [ML_SHELL_POWERSHELL] = "powershell",
	[ML_SHELL_CMD] = "cmd",	  [ML_SHELL_EMACS] = "emacs",
	[ML_SHELL_NONE] = "none", NULL,
};

int
ml_shell_parse(const char *name, enum ml_shell *ret)
{
	for (size_t i = 0; ml_shell_names[i]; i++) {
		if (strcmp(name, ml_shell_names[i]) == 0) {
			*ret = (enum ml_shell)i;
			return 0;
		}
	}
	return ml_err(
		-ML_EUSAGE,
		"unknown shell '%s': use bash, zsh, sh, fish, tcsh, powershell, cmd, emacs or none",
		name);
}

enum ml_shell
ml_shell_detect(void)
{
	static const struct {
		const char *name;
		enum ml_shell sh;
	} known[] = {
		{ "bash", ML_SHELL_BASH },
		{ "zsh", ML_SHELL_ZSH },
		{ "sh", ML_SHELL_SH },
		{ "dash", ML_SHELL_SH },
		{ "ksh", ML_SHELL_SH },
		{ "fish", ML_SHELL_FISH },
		{ "tcsh", ML_SHELL_TCSH },
		{ "csh", ML_SHELL_TCSH },
		{ "pwsh", ML_SHELL_POWERSHELL },
		{ "powershell", ML_SHELL_POWERSHELL },
	};
	const char *shell = getenv("SHELL"), *base;

	if (!shell || !*shell)
		return ML_SHELL_BASH;
	base = strrchr(shell, '/');
	base = base ? base + 1 : shell;
	for (size_t i = 0; i < ML_ARRAY_SIZE(known); i++)
		if (strcmp(base, known[i].name) == 0)
			return known[i].sh;
	return ML_SHELL_BASH;
}

static void
puts_(struct ml_buf *b, const char *s)
{
	ml_buf_add(b, s, strlen(s));
}

/* Whether s starts with U+2018, U+2019, U+201A or U+201B in UTF-8. */
static bool
ps_typographic_quote(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	return u[0] == 0xe2 && u[1] == 0x80 && u[2] >= 0x98 && u[2] <= 0x9b;
}

char *
ml_shell_quote(enum ml_shell sh, const char *value)
{
	struct ml_buf b = { NULL, 0, 0 };
	const char *open = "'", *close = "'";

	switch (sh) {
	case ML_SHELL_EMACS:
	case ML_SHELL_CMD:
		open = close = "\"";
		break;
	case ML_SHELL_NONE:
		open = close = "";
		break;
	default:
		break;
	}
	puts_(&b, open);
	for (const char *c = value; *c; c++) {
		const char *rep = NULL;

		switch (sh) {
		case ML_SHELL_BASH:
		case ML_SHELL_ZSH:
		case ML_SHELL_SH:
			/* nothing is special inside single quotes but the quote
			 */
			if (*c == '\'')
				rep = "'\\''";
			break;
		case ML_SHELL_TCSH:
			/* csh expands history even inside single quotes */
			if (*c == '\'')
				rep = "'\\''";
			else if (*c == '!')
				rep = "'\\!'";
			break;
		case ML_SHELL_FISH:
			if (*c == '\'')
				rep = "\\'";
			else if (*c == '\\')
				rep = "\\\\";
			break;
		case ML_SHELL_POWERSHELL:
			if (*c == '\'')
				rep = "''";
			else if (ps_typographic_quote(c)) {
				/* PowerShell takes U+2018..U+201B for a
				 * single quote too: doubled, it is a literal */
				ml_buf_add(&b, c, 3);
				ml_buf_add(&b, c, 3);
				c += 2;
				continue;
			}
			break;
		case ML_SHELL_EMACS:
			if (*c == '"')
				rep = "\\\"";
			else if (*c == '\\')
				rep = "\\\\";
			break;
		case ML_SHELL_CMD:
			/* inside SET "K=V" only the quote and % are special */
			if (*c == '%')
				rep = "%%";
			else if (*c == '"')
				rep = "\"\"";
			break;
		case ML_SHELL_NONE:
			break;
		}
		if (rep)
			puts_(&b, rep);
		else
			ml_buf_add(&b, c, 1);
	}
	puts_(&b, close);
	return b.p;
}

void
ml_shell_print_set(FILE *f, enum ml_shell sh, const char *key,
		   const char *value)
{
	ml_autofree char *q = ml_shell_quote(sh, value);

	switch (sh) {
	case ML_SHELL_BASH:
	case ML_SHELL_ZSH:
	case ML_SHELL_SH:
		fprintf(f, "export %s=%s\n", key, q);
		break;
	case ML_SHELL_FISH:
		fprintf(f, "set -gx %s %s;\n", key, q);
		break;
	case ML_SHELL_TCSH:
		fprintf(f, "setenv %s %s;\n", key, q);
		break;
	case ML_SHELL_POWERSHELL:
		fprintf(f, "$Env:%s = %s\n", key, q);
		break;
	case ML_SHELL_CMD:
		/* SET "K=V": the quotes wrap the whole assignment */
		fprintf(f, "SET \"%s=%.*s\"\n", key, (int)strlen(q) - 2, q + 1);
		break;
	case ML_SHELL_EMACS:
		fprintf(f, "(setenv \"%s\" %s)\n", key, q);
		break;
	case ML_SHELL_NONE:
		fprintf(f, "%s=%s\n", key, q);
		break;
	}
}

void
ml_shell_print_unset(FILE *f, enum ml_shell sh, const char *key)
{
	switch (sh) {
	case ML_SHELL_BASH:
	case ML_SHELL_ZSH:
	case ML_SHELL_SH:
		fprintf(f, "unset %s;\n", key);
		break;
	case ML_SHELL_FISH:
		fprintf(f, "set -e %s;\n", key);
		break;
	case ML_SHELL_TCSH:
		fprintf(f, "unsetenv %s;\n", key);
		break;
	case ML_SHELL_POWERSHELL:
		fprintf(f,
			"Remove-Item Env:\\%s -ErrorAction SilentlyContinue\n",
			key);
		break;
	case ML_SHELL_CMD:
		fprintf(f, "SET %s=\n", key);
		break;
	case ML_SHELL_EMACS:
		fprintf(f, "(setenv \"%s\" nil)\n", key);
		break;
	case ML_SHELL_NONE:
		fprintf(f, "%s=\n", key);
		break;
	}
}

void
ml_shell_print_hint(FILE *f, enum ml_shell sh, const char *what,
		    const char *command)
{
	switch (sh) {
	case ML_SHELL_BASH:
	case ML_SHELL_ZSH:
	case ML_SHELL_SH:
		fprintf(f, "\n# %s, run:\n# eval \"$(%s)\"\n", what, command);
		break;
	case ML_SHELL_FISH:
		fprintf(f, "\n# %s, run:\n# %s | source\n", what, command);
		break;
	case ML_SHELL_TCSH:
		fprintf(f, "\n# %s, run:\n# eval `%s`\n", what, command);
		break;
	case ML_SHELL_POWERSHELL:
		fprintf(f, "\n# %s, run:\n# & %s | Invoke-Expression\n", what,
			command);
		break;
	case ML_SHELL_CMD:
		fprintf(f,
			"\nREM %s, run:\nREM @FOR /f \"tokens=*\" %%i IN ('%s') DO @%%i\n",
			what, command);
		break;
	case ML_SHELL_EMACS:
		fprintf(f,
			"\n;; %s, run:\n;; (with-temp-buffer (shell-command \"%s\" (current-buffer)) (eval-buffer))\n",
			what, command);
		break;
	case ML_SHELL_NONE:
		break;
	}
}
