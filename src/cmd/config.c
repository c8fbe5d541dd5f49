/* cmd/config.c: `minilaunch config set|get|unset|view` on a profile. */
#include "config.h"

#include "cmd/command.h"
#include "base/profile.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

extern const struct ml_command ml_cmd_config;

static const char *const config_words[] = { "set", "get", "unset", "view",
					    NULL };

static void
print_setting(const char *key, const char *value, void *ud)
{
	printf("- %s: %s\n", key, value);
}

static const char *
key_word(size_t i)
{
	return ml_profile_keys[i].name;
}

static void
print_keys(FILE *f)
{
	fputs("\nKeys:\n", f);
	for (size_t i = 0; ml_profile_keys[i].name; i++) {
		const char *def = ml_profile_default(ml_profile_keys[i].name);
		fprintf(f, "  %-20s %s%s%s%s\n", ml_profile_keys[i].name,
			ml_profile_keys[i].help, *def ? " (default " : "", def,
			*def ? ")" : "");
	}
}

static int
args_error(const char *sub, const char *want)
{
	return ml_command_usage_error(&ml_cmd_config, "'config %s' takes %s",
				      sub, want);
}

static int
run_config(const struct ml_globals *g, const struct ml_args *a)
{
	struct ml_profile *p = NULL;
	const char *sub;
	int r;

	if (a->argc < 1)
		return ml_command_usage_error(
			&ml_cmd_config,
			"missing subcommand (set, get, unset or view)");
	sub = a->argv[0];
	if (strcmp(sub, "set") == 0) {
		if (a->argc != 3)
			return args_error(sub, "KEY VALUE");
		r = ml_profile_open(g->home, g->profile,
				    ML_PROFILE_CREATE | ML_PROFILE_LOCK |
					    ML_PROFILE_UNCHECKED,
				    &p);
		if (r >= 0)
			r = ml_profile_set(p, a->argv[1], a->argv[2]);
		if (r >= 0)
			r = ml_profile_save(p);
	} else if (strcmp(sub, "unset") == 0) {
		if (a->argc != 2)
			return args_error(sub, "KEY");
		r = ml_profile_open(g->home, g->profile,
				    ML_PROFILE_LOCK | ML_PROFILE_UNCHECKED, &p);
		if (r >= 0)
			r = ml_profile_unset(p, a->argv[1]);
		if (r > 0)
			r = ml_profile_save(p);
	} else if (strcmp(sub, "get") == 0) {
		const char *v;

		if (a->argc != 2)
			return args_error(sub, "KEY");
		r = ml_profile_check_key(a->argv[1]);
		if (r >= 0)
			r = ml_profile_open(g->home, g->profile, 0, &p);
		if (r >= 0) {
			v = ml_profile_get(p, a->argv[1]);
			if (v)
				printf("%s\n", v);
			else
				r = ml_err(-ENOENT,
					   "config key '%s' is not set for profile '%s' (its default is '%s'): set it with 'minilaunch config set %s VALUE'",
					   a->argv[1], g->profile,
					   ml_profile_default(a->argv[1]),
					   a->argv[1]);
		}
	} else if (strcmp(sub, "view") == 0) {
		if (a->argc != 1)
			return args_error(sub, "no arguments");
		r = ml_profile_open(g->home, g->profile, 0, &p);
		if (r >= 0)
			ml_profile_foreach_set(p, print_setting, NULL);
	} else {
		return ml_command_usage_error(&ml_cmd_config,
					      "unknown config subcommand '%s'",
					      sub);
	}
	ml_profile_free(p);
	return r < 0 ? r : 0;
}

const struct ml_command ml_cmd_config = {
	.name = "config",
	.flags = ML_CMD_FRONTEND,
	.summary = "Set, get, unset or view a profile's settings",
	.usage =
		"config set KEY VALUE\nconfig get KEY\nconfig unset KEY\nconfig view",
	.description =
		"Reads and changes the settings of the profile chosen with -p (created by\n"
		"'config set' when it does not exist yet); 'start' uses them as defaults.\n"
		"Values are checked when set and whenever a command reads the profile.",
	.print_extra_help = print_keys,
	.words = config_words,
	.second_word = key_word,
	.run = run_config,
};
