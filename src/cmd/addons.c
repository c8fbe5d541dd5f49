/* cmd/addons.c: `minilaunch addons list|enable|disable|describe`. */
#include "config.h"

#include "cmd/command.h"
#include "kube/addons.h"
#include "kube/cluster.h"
#include "kube/k8s.h"
#include "kube/manifest.h"
#include "machine/node.h"
#include "base/log.h"
#include "base/profile.h"
#include "base/progress.h"
#include "base/util.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const struct ml_command ml_cmd_addons;

enum { OPT_OUTPUT };

static const char *const output_values[] = { "text", "json", NULL };

static const struct ml_option addons_options[] = {
	[OPT_OUTPUT] = { "output", 'o', "FORMAT",
			 "for list: text (default) or json", output_values },
	{ NULL, 0, NULL, NULL, NULL },
};

static const char *const addons_words[] = { "list", "enable", "disable",
					    "describe", NULL };

/* How long enable waits for an addon's workloads on a running cluster. */
#define ENABLE_TIMEOUT_S 300

static int
check_args(const struct ml_args *a)
{
	const char *sub = a->argc ? a->argv[0] : NULL;
	const char *fmt = a->opt[OPT_OUTPUT];

	if (!sub)
		return ml_command_usage_error(
			&ml_cmd_addons,
			"missing subcommand (list, enable, disable or describe)");
	if (strcmp(sub, "list") == 0) {
		if (a->argc != 1)
			return ml_command_usage_error(
				&ml_cmd_addons, "'addons list' takes no NAME");
		if (fmt && strcmp(fmt, "text") && strcmp(fmt, "json"))
			return ml_command_usage_error(
				&ml_cmd_addons,
				"invalid --output '%s': give text or json",
				fmt);
		return 0;
	}
	if (strcmp(sub, "enable") && strcmp(sub, "disable") &&
	    strcmp(sub, "describe"))
		return ml_command_usage_error(
			&ml_cmd_addons,
			"unknown subcommand '%s' (list, enable, disable or describe)",
			sub);
	if (a->argc != 2)
		return ml_command_usage_error(&ml_cmd_addons,
					      "'addons %s' takes one NAME",
					      sub);
	if (fmt)
		return ml_command_usage_error(&ml_cmd_addons,
					      "'addons %s' takes no --output",
					      sub);
	return 0;
}

static int
print_list(const struct ml_globals *g, const struct ml_addons *cat,
	   const char *choices, bool json)
{
	size_t w = strlen("NAME"), pw = strlen(g->profile);

	if (pw < strlen("PROFILE"))
		pw = strlen("PROFILE");
	if (json) {
		struct json_object *o = json_object_new_object();

		for (size_t i = 0; i < cat->n; i++) {
			const struct ml_addon *a = &cat->v[i];
			struct json_object *e = json_object_new_object();

			json_object_object_add(e, "profile",
					       json_object_new_string(
						       g->profile));
			json_object_object_add(e, "status",
					       json_object_new_string(
						       ml_addon_enabled(a,
									choices)
							       ? "enabled"
							       : "disabled"));
			json_object_object_add(e, "description",
					       json_object_new_string(
						       a->description));
			json_object_object_add(e, "default",
					       json_object_new_boolean(a->def));
			json_object_object_add(e, "dir",
					       json_object_new_string(a->dir));
			json_object_object_add(o, a->name, e);
		}
		puts(json_object_to_json_string_ext(
			o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
				   JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		return 0;
	}
	for (size_t i = 0; i < cat->n; i++)
		if (strlen(cat->v[i].name) > w)
			w = strlen(cat->v[i].name);
	printf("%-*s  %-*s  %-8s  %s\n", (int)w, "NAME", (int)pw, "PROFILE",
	       "STATUS", "DESCRIPTION");
	for (size_t i = 0; i < cat->n; i++) {
		const struct ml_addon *a = &cat->v[i];

		printf("%-*s  %-*s  %-8s  %s%s\n", (int)w, a->name, (int)pw,
		       g->profile,
		       ml_addon_enabled(a, choices) ? "enabled" : "disabled",
		       a->description, a->user ? " (user)" : "");
	}
	return 0;
}

static void
print_describe(const struct ml_addon *a)
{
	printf("# %s: %s\n# from %s, %s by default\n", a->name, a->description,
	       a->dir, a->def ? "on" : "off");
	for (size_t i = 0; a->images[i]; i++)
		printf("# image: %s\n", a->images[i]);
	for (size_t i = 0; a->manifests[i]; i++) {
		size_t n = strlen(a->texts[i]);

		printf("---\n# %s\n%s%s", a->manifests[i], a->texts[i],
		       n && a->texts[i][n - 1] != '\n' ? "\n" : "");
	}
}

/* The profile's API server port when its cluster runs, else 0. */
static int
running_apiserver(const struct ml_globals *g, const struct ml_profile *p)
{
	const char *k8s = ml_profile_state_str(p, "kubernetes");
	int port = ml_profile_state_port(p, "apiserver");

	if (ml_command_check_needs(ML_CMD_NEEDS_RUNNING, g) < 0) {
		ml_err_clear();
		return 0;
	}
	return k8s && strcmp(k8s, "false") == 0 ? 0 : port;
}

/* Applies or deletes a on the running cluster behind port. */
static int
apply_now(const struct ml_globals *g, int port, const struct ml_addon *a,
	  bool on)
{
	struct ml_k8s *c = NULL;
	int deleted = 0, r;

	ml_progress_begin("%s addon %s", on ? "Enabling" : "Disabling",
			  a->name);
	r = ml_cluster_client(g->home, g->profile, port, 60000, &c);
	if (r >= 0 && on)
		r = ml_addon_enable(c, a,
				    &(struct ml_addon_opts){
					    .wait = true,
					    .deadline = time(NULL) +
							ENABLE_TIMEOUT_S });
	else if (r >= 0)
		r = ml_addon_disable(c, a, time(NULL) + ENABLE_TIMEOUT_S,
				     &deleted);
	ml_progress_end(r);
	if (r >= 0 && !on)
		ml_log_debug("deleted %d objects of addon '%s'", deleted,
			     a->name);
	ml_k8s_free(c);
	return r;
}

static int
choose(const struct ml_globals *g, const char *name, bool on)
{
	struct ml_profile *p = NULL;
	struct ml_addons *cat = NULL;
	const struct ml_addon *a;
	ml_autofree char *choices = NULL;
	int port = 0, r;

	r = ml_profile_open(g->home, g->profile,
			    ML_PROFILE_CREATE | ML_PROFILE_LOCK, &p);
	if (r < 0)
		return r;
	r = ml_addons_load_profile(g->home, g->profile, p, ML_NODE_IP, &cat);
	if (r >= 0)
		r = ml_addons_get(cat, name, &a);
	if (r < 0)
		goto out;
	choices = ml_addons_choose(ml_profile_get(p, "addons"), name, on);
	r = ml_profile_set(p, "addons", choices);
	if (r >= 0)
		r = ml_profile_save(p);
	if (r >= 0)
		port = running_apiserver(g, p);
	p = ml_profile_free(p); /* the cluster's part needs no lock */
	if (r < 0)
		goto out;
	if (port) {
		r = apply_now(g, port, a, on);
		if (r >= 0)
			fprintf(stderr, "The addon '%s' is %s.\n", name,
				on ? "enabled" : "disabled");
	} else {
		fprintf(stderr,
			"The addon '%s' is %s for profile '%s'; it is not running: this takes effect at its next start.\n",
			name, on ? "enabled" : "disabled", g->profile);
	}
out:
	ml_profile_free(p);
	ml_addons_free(cat);
	return r;
}

static int
run_addons(const struct ml_globals *g, const struct ml_args *a)
{
	const char *sub = a->argv[0];
	struct ml_profile *p = NULL;
	struct ml_addons *cat = NULL;
	const struct ml_addon *addon;
	int r;

	if (strcmp(sub, "enable") == 0 || strcmp(sub, "disable") == 0)
		return choose(g, a->argv[1], strcmp(sub, "enable") == 0);
	/* list and describe read the profile only, when there is one */
	if (ml_profile_exists(g->home, g->profile)) {
		r = ml_profile_open(g->home, g->profile, 0, &p);
		if (r < 0)
			return r;
	}
	r = ml_addons_load_profile(g->home, g->profile, p, ML_NODE_IP, &cat);
	if (r < 0)
		goto out;
	if (strcmp(sub, "list") == 0) {
		r = print_list(g, cat, p ? ml_profile_get(p, "addons") : NULL,
			       a->opt[OPT_OUTPUT] &&
				       strcmp(a->opt[OPT_OUTPUT], "json") == 0);
	} else {
		r = ml_addons_get(cat, a->argv[1], &addon);
		if (r >= 0)
			print_describe(addon);
	}
out:
	ml_addons_free(cat);
	ml_profile_free(p);
	return r;
}

static void
print_extra(FILE *f)
{
	fputs("\nSubcommands:\n"
	      "  list [-o json]    every addon, whether it is on for the profile, and what it is\n"
	      "  enable NAME       turn NAME on: stored in the profile, applied now when running\n"
	      "  disable NAME      turn NAME off: its objects are deleted now when running\n"
	      "  describe NAME     the manifests NAME applies, variables substituted\n",
	      f);
}

const struct ml_command ml_cmd_addons = {
	.name = "addons",
	.summary = "List, enable, disable or describe the cluster's addons",
	.usage =
		"addons list [-o text|json]\naddons enable NAME\naddons disable NAME\naddons describe NAME",
	.description =
		"Addons are sets of Kubernetes objects minilaunch applies to a cluster\n"
		"(a default StorageClass, a volume provisioner, a registry, ...), their\n"
		"images built into the node image. The choice is the profile's (the\n"
		"'addons' setting); every start applies the addons that are on and\n"
		"deletes the objects of those that are off. A running cluster gets the\n"
		"change at once; a stopped one at its next start. An addon of the same\n"
		"name in $MINILAUNCH_HOME/addons replaces the bundled one\n"
		"(docs/addons.md).",
	.options = addons_options,
	.words = addons_words,
	.print_extra_help = print_extra,
	.check_args = check_args,
	.run = run_addons,
};
