/*
 * cmd/command.h: the command table and the one argument parser every command
 * shares, so that parsing, --help, the man page check and the shell
 * completions all come from the same declarations.
 */
#ifndef ML_COMMAND_H
#define ML_COMMAND_H

#include <stdbool.h>
#include <stdio.h>

#define ML_MAX_OPTIONS 24
/* Flags with a value a command line may give, repeats included. */
#define ML_MAX_VALUES 64

/* One flag of a command. Arrays of these end with an entry whose name is NULL.
 */
struct ml_option {
	const char *name;	   /* long name, without "--" */
	int short_name;		   /* 0: none */
	const char *arg;	   /* NULL: takes no value; else its metavar */
	const char *help;	   /* one line */
	const char *const *values; /* completion words for the value, or NULL */
};

/* Global flags, resolved by main() before a command runs. */
struct ml_globals {
	const char *home;    /* absolute minilaunch home */
	const char *profile; /* validated profile name */
	bool verbose;
};

/* What the parser hands a command: its flags and positional arguments. */
struct ml_args {
	/* opt[i] is the value of options[i]: NULL when not given, "" for a
	 * given flag without value; the last occurrence wins. Borrowed from
	 * argv. */
	const char *opt[ML_MAX_OPTIONS];
	/* Every value given, in order, with its option's index: what a flag
	 * that may be repeated collects (ml_args_values). */
	struct {
		int opt;
		const char *value;
	} values[ML_MAX_VALUES];
	int nvalues;
	int argc;    /* positional arguments, after flags and "--" */
	char **argv; /* borrowed */
};

/* What a command needs before it runs; main() checks it once (see
 * ml_command_check_needs). */
enum {
	ML_CMD_NEEDS_PROFILE = 1 << 0, /* the profile must exist */
	ML_CMD_NEEDS_RUNNING = 1 << 1, /* ... and its cluster must be running */
	/* runs in the front end minilaunch (json-c and libyaml only); every
	 * other command is handed to minilaunch-core (see commands.c) */
	ML_CMD_FRONTEND = 1 << 2,
};

/* Returned by a command's check_args: this command line does not need
 * what the flags say (docker-env --unset, dashboard --context). */
#define ML_CMD_NEEDS_NOTHING 1

struct ml_command {
	const char *name;
	unsigned flags;		 /* ML_CMD_* */
	const char *summary;	 /* one line for `minilaunch help` */
	const char *usage;	 /* lines after "minilaunch ", '\n'-separated */
	const char *description; /* paragraph(s) for --help and the man page */
	const struct ml_option *options; /* NULL-name terminated, or NULL */
	const char *const *words; /* completion words for the first argument */
	bool words_are_commands;  /* ... or the command names */
	/* The i-th completion word for the second argument, NULL past the end;
	 * NULL when the second argument has none. */
	const char *(*second_word)(size_t i);
	void (*print_extra_help)(FILE *f); /* after the flags, or NULL */
	/* Checks the arguments before the flags' needs are, so that a usage
	 * error comes first; returns 0, ML_CMD_NEEDS_NOTHING or -ML_EUSAGE
	 * with a message. NULL: anything goes. */
	int (*check_args)(const struct ml_args *a);
	/* Returns >= 0 as the exit code, -ML_EUSAGE for a usage error or
	 * -errno for a runtime error, with the message set by ml_err(). */
	int (*run)(const struct ml_globals *g, const struct ml_args *a);
};

/* The command table, in help order, ending with NULL. */
extern const struct ml_command *const ml_commands[];
/* The names of the commands minilaunch-kube runs, ending with NULL (the
 * front end hands their command lines to it; see commands.c). */
extern const char *const ml_kube_tool_commands[];
/* The global flags (-p, --home, -v, -h, --version). */
extern const struct ml_option ml_global_options[];

/* Finds a command by name, or NULL. */
const struct ml_command *ml_command_find(const char *name);

/*
 * Parses argv[1..argc-1] (argv[0] is the command name) against cmd's
 * options and the global ones. Global flags found there update
 * *global_vals (indexed like ml_global_options). Sets *ret_help when -h or
 * --help was given. Returns 0 or -ML_EUSAGE with a message.
 */
int ml_command_parse(const struct ml_command *cmd, int argc, char **argv,
		     const char **global_vals, struct ml_args *ret_args,
		     bool *ret_help);

/* Writes the help of cmd (or, with cmd NULL, of minilaunch itself) to f. */
void ml_command_print_help(const struct ml_command *cmd, FILE *f);

/* Short usage line for errors: "see 'minilaunch NAME --help'". */
int ml_command_usage_error(const struct ml_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Checks what needs asks for (ML_CMD_NEEDS_*) of g's profile: that it
 * exists, and that its state says Running with the VM's ssh forward
 * answering. Returns 0, or -ENOENT or -EHOSTDOWN with a one-line message
 * naming the profile and 'minilaunch -p NAME start'.
 */
int ml_command_check_needs(unsigned needs, const struct ml_globals *g);

/*
 * The values given for options[opt], in command-line order, for a flag
 * that may be repeated (start --registry-mirror A --registry-mirror B):
 * stores up to max borrowed pointers in ret and returns how many were
 * given (which may exceed max).
 */
int ml_args_values(const struct ml_args *a, int opt, const char **ret, int max);

/* Index of the option named name in cmd->options, or -1. */
int ml_command_option_index(const struct ml_command *cmd, const char *name);

#endif
