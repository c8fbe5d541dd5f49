/* cmd/version.c: `minilaunch version`, with the linked library versions. */
#include "config.h"

#include "cmd/command.h"
#include "base/log.h"
#include "base/profile.h"
#include "base/util.h"
#include "machine/iso.h"
#include "machine/node.h"

#include <archive.h>
#include <curl/curl.h>
#include <curses.h>
#include <json-c/json.h>
#include <libvirt/libvirt.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

enum { OPT_OUTPUT, OPT_SHORT };

static const char *const output_values[] = { "text", "json", NULL };

static const struct ml_option version_options[] = {
	[OPT_OUTPUT] = { "output", 'o', "FORMAT", "text (default) or json",
			 output_values },
	[OPT_SHORT] = { "short", 0, NULL, "print only minilaunch's version",
			NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

extern const struct ml_command ml_cmd_version;

static void
add(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

/* The Kubernetes of the node image start would boot without --iso-url
 * ($MINILAUNCH_ISO, the installed one, the build tree's when run from it),
 * and where that came from; the version minilaunch was made with when
 * there is none. */
static void
bundled_kubernetes(const char *home, char **ret_version, char **ret_source)
{
	struct ml_iso_version v = { NULL, NULL };
	ml_autofree char *iso = NULL;

	if (ml_node_find_iso(home, NULL, NULL, &iso) >= 0 &&
	    ml_iso_read_version(iso, &v) >= 0) {
		*ret_version = v.kubernetes;
		*ret_source = ml_xasprintf("node image %s", iso);
		free(v.image);
		return;
	}
	ml_log_debug("%s: no readable node image: %s", __func__,
		     ml_err_msg() ? ml_err_msg() : "");
	ml_err_clear();
	*ret_version = ml_xstrdup(ML_KUBERNETES_VERSION_FALLBACK);
	*ret_source = ml_xstrdup("built in, no node image found");
}

/* The kubectl `minilaunch kubectl` runs, or "none" and why. */
static char *
bundled_kubectl(void)
{
	char *path = NULL;

	if (ml_node_find_kubectl(&path) >= 0)
		return path;
	path = ml_xasprintf("none (%s)", ml_err_msg());
	ml_err_clear();
	return path;
}

static int
run_version(const struct ml_globals *g, const struct ml_args *a)
{
	const char *fmt = a->opt[OPT_OUTPUT] ? a->opt[OPT_OUTPUT] : "text";
	unsigned long lv = 0;
	char libvirt[32];
	ml_autofree char *k8s = NULL, *k8s_source = NULL, *kubectl = NULL;
	struct json_object *o, *libs;

	if (a->argc)
		return ml_command_usage_error(&ml_cmd_version,
					      "version takes no arguments");
	if (strcmp(fmt, "text") && strcmp(fmt, "json"))
		return ml_command_usage_error(&ml_cmd_version,
					      "invalid output format '%s'",
					      fmt);
	if (a->opt[OPT_SHORT]) {
		printf("v%s\n", PACKAGE_VERSION);
		return 0;
	}
	if (virGetVersion(&lv, NULL, NULL) < 0)
		lv = 0;
	snprintf(libvirt, sizeof(libvirt), "%lu.%lu.%lu", lv / 1000000,
		 lv / 1000 % 1000, lv % 1000);

	bundled_kubernetes(g->home, &k8s, &k8s_source);
	kubectl = bundled_kubectl();
	o = json_object_new_object();
	add(o, "minilaunch", "v" PACKAGE_VERSION);
	add(o, "kubernetes", k8s);
	add(o, "kubernetes_source", k8s_source);
	add(o, "kubectl", kubectl);
	libs = json_object_new_object();
	json_object_object_add(o, "libraries", libs);
	add(libs, "libvirt", libvirt);
	add(libs, "libcurl", curl_version_info(CURLVERSION_NOW)->version);
	add(libs, "libarchive", archive_version_details());
	add(libs, "ncurses", curses_version());
	add(libs, "openssl", OpenSSL_version(OPENSSL_VERSION));
	add(libs, "json-c", json_c_version());
	add(libs, "libyaml", yaml_get_version_string());

	if (strcmp(fmt, "json") == 0) {
		puts(json_object_to_json_string_ext(
			o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
				   JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		printf("minilaunch version: v%s\n", PACKAGE_VERSION);
		printf("bundled kubernetes: %s (%s)\n", k8s, k8s_source);
		printf("bundled kubectl:    %s\n", kubectl);
		printf("libraries:\n");
		json_object_object_foreach(libs, k, v)
			printf("  %-11s %s\n", k, json_object_get_string(v));
	}
	json_object_put(o);
	return 0;
}

const struct ml_command ml_cmd_version = {
	.name = "version",
	.summary =
		"Print the version of minilaunch and of the libraries it uses",
	.usage = "version [-o text|json] [--short]",
	.description =
		"Prints minilaunch's version, the Kubernetes version of the node image\n"
		"start would boot (read from its /version.json; the version minilaunch\n"
		"was made with when no image is found), the kubectl that 'minilaunch\n"
		"kubectl' runs (or where it is expected) and the versions of the\n"
		"libraries linked in (libvirt, libcurl, libarchive, ncurses, OpenSSL,\n"
		"json-c, libyaml).",
	.options = version_options,
	.run = run_version,
};
