/* cmd/profile.c: `minilaunch profile list`. */
#include "config.h"

#include "cmd/command.h"
#include "base/log.h"
#include "base/profile.h"
#include "base/util.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_OUTPUT };

static const char *const output_values[] = { "table", "json", NULL };
static const char *const profile_words[] = { "list", NULL };

static const struct ml_option profile_options[] = {
	[OPT_OUTPUT] = { "output", 'o', "FORMAT", "table (default) or json",
			 output_values },
	{ NULL, 0, NULL, NULL, NULL },
};

extern const struct ml_command ml_cmd_profile;

enum {
	COL_PROFILE,
	COL_STATUS,
	COL_KUBERNETES,
	COL_CPUS,
	COL_MEMORY,
	COL_DISK,
	COL_APISERVER,
	COL_ACTIVE,
	COL__COUNT
};

static const char *const col_names[COL__COUNT] = {
	"PROFILE", "STATUS", "KUBERNETES", "CPUS",
	"MEMORY",  "DISK",   "APISERVER",  "ACTIVE",
};
/* json keys of the same columns */
static const char *const col_keys[COL__COUNT] = {
	"name",	  "status",    "kubernetes_version", "cpus",
	"memory", "disk_size", "apiserver",	     "active",
};

/* One row per profile: cells are owned strings. */
struct row {
	char *cell[COL__COUNT];
};

static void
fill_row(struct row *row, const struct ml_profile *p, bool active)
{
	const char *status = ml_profile_state_str(p, "status");
	int port = ml_profile_state_port(p, "apiserver");
	const char *k8s;

	row->cell[COL_PROFILE] = ml_xstrdup(ml_profile_name(p));
	row->cell[COL_STATUS] = ml_xstrdup(status ? status : "Not created");
	/* the setting, else what the image booted last said, else unknown
	 * (the front end reads no image) */
	k8s = ml_profile_get(p, "kubernetes-version");
	if (!k8s)
		k8s = ml_profile_state_str(p, "kubernetes-version");
	row->cell[COL_KUBERNETES] = ml_xstrdup(k8s ? k8s : "-");
	row->cell[COL_CPUS] = ml_xstrdup(ml_profile_get_or_default(p, "cpus"));
	row->cell[COL_MEMORY] =
		ml_xstrdup(ml_profile_get_or_default(p, "memory"));
	row->cell[COL_DISK] =
		ml_xstrdup(ml_profile_get_or_default(p, "disk-size"));
	row->cell[COL_APISERVER] = port ? ml_xasprintf("127.0.0.1:%d", port)
					: ml_xstrdup("");
	row->cell[COL_ACTIVE] = ml_xstrdup(active ? "*" : "");
}

static void
print_table(struct row *rows, size_t n)
{
	size_t width[COL__COUNT];

	for (size_t c = 0; c < COL__COUNT; c++) {
		width[c] = strlen(col_names[c]);
		for (size_t i = 0; i < n; i++)
			if (strlen(rows[i].cell[c]) > width[c])
				width[c] = strlen(rows[i].cell[c]);
	}
	for (size_t i = 0; i <= n; i++) {
		for (size_t c = 0; c + 1 < COL__COUNT; c++)
			printf("%-*s   ", (int)width[c],
			       i ? rows[i - 1].cell[c] : col_names[c]);
		printf("%s\n", i ? rows[i - 1].cell[COL__COUNT - 1]
				 : col_names[COL__COUNT - 1]);
	}
}

static int
run_profile(const struct ml_globals *g, const struct ml_args *a)
{
	const char *fmt = a->opt[OPT_OUTPUT] ? a->opt[OPT_OUTPUT] : "table";
	struct json_object *valid, *invalid, *doc;
	struct row *rows;
	char **names = NULL;
	size_t n = 0, nrows = 0;
	int r;

	if (a->argc != 1 || strcmp(a->argv[0], "list") != 0)
		return ml_command_usage_error(&ml_cmd_profile,
					      "expected 'profile list'");
	if (strcmp(fmt, "table") && strcmp(fmt, "json"))
		return ml_command_usage_error(&ml_cmd_profile,
					      "invalid output format '%s'",
					      fmt);
	r = ml_profile_list(g->home, &names);
	if (r < 0)
		return r;
	while (names[n])
		n++;
	rows = ml_xcalloc(n, sizeof(*rows));
	valid = json_object_new_array();
	invalid = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct ml_profile *p = NULL;

		if (ml_profile_open(g->home, names[i], 0, &p) < 0) {
			struct json_object *bad = json_object_new_object();
			/* a broken profile is reported, never touched */
			ml_log_warn("%s", ml_err_msg());
			json_object_object_add(bad, "name",
					       json_object_new_string(
						       names[i]));
			json_object_object_add(bad, "error",
					       json_object_new_string(
						       ml_err_msg()));
			json_object_array_add(invalid, bad);
			ml_err_clear();
			rows[nrows].cell[COL_PROFILE] = ml_xstrdup(names[i]);
			rows[nrows].cell[COL_STATUS] = ml_xstrdup("Invalid");
			for (size_t c = COL_STATUS + 1; c < COL__COUNT; c++)
				rows[nrows].cell[c] = ml_xstrdup("");
			nrows++;
			continue;
		}
		fill_row(&rows[nrows], p, strcmp(names[i], g->profile) == 0);
		{
			struct json_object *o = json_object_new_object();
			for (size_t c = 0; c < COL__COUNT; c++) {
				if (c == COL_ACTIVE)
					json_object_object_add(
						o, col_keys[c],
						json_object_new_boolean(
							*rows[nrows].cell[c]));
				else
					json_object_object_add(
						o, col_keys[c],
						json_object_new_string(
							rows[nrows].cell[c]));
			}
			json_object_array_add(valid, o);
		}
		nrows++;
		ml_profile_free(p);
	}
	doc = json_object_new_object();
	json_object_object_add(doc, "valid", valid);
	json_object_object_add(doc, "invalid", invalid);
	if (strcmp(fmt, "json") == 0)
		puts(json_object_to_json_string_ext(
			doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
				     JSON_C_TO_STRING_NOSLASHESCAPE));
	else if (nrows == 0)
		ml_log_info("no profiles in '%s': create one with 'minilaunch start' or 'minilaunch config set'",
			    g->home);
	else
		print_table(rows, nrows);
	json_object_put(doc);
	for (size_t i = 0; i < nrows; i++)
		for (size_t c = 0; c < COL__COUNT; c++)
			free(rows[i].cell[c]);
	free(rows);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return 0;
}

const struct ml_command ml_cmd_profile = {
	.name = "profile",
	.flags = ML_CMD_FRONTEND,
	.summary = "List profiles (clusters) and their state",
	.usage = "profile list [-o table|json]",
	.description =
		"Lists every profile under the minilaunch home with its status, Kubernetes\n"
		"version, size and API server address. ACTIVE marks the profile selected\n"
		"by -p or $MINILAUNCH_PROFILE. A profile whose config.json cannot be read\n"
		"is listed as Invalid with a warning naming the file, and left untouched.",
	.options = profile_options,
	.words = profile_words,
	.run = run_profile,
};
