/* base/paths.c: where minilaunch keeps its files. */
#include "config.h"

#include "base/paths.h"

#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARKER_TEXT                                                         \
	"This directory is a minilaunch home: 'minilaunch delete --purge' " \
	"removes it.\n"

char *
ml_paths_user_home(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h && *h)
		return ml_xstrdup(h);
	pw = getpwuid(getuid());
	return ml_xstrdup(pw && pw->pw_dir ? pw->pw_dir : "/");
}

int
ml_paths_home(const char *flag_home, char **ret_home)
{
	const char *h = flag_home;
	ml_autofree char *user = NULL;
	char cwd[4096];

	if (h && !*h)
		return ml_err(-ML_EUSAGE, "--home is empty: give a directory");
	if (!h)
		h = getenv("MINILAUNCH_HOME");
	if (h && !*h)
		h = NULL; /* an empty variable counts as unset */
	if (!h) {
		user = ml_paths_user_home();
		*ret_home = ml_xasprintf("%s/.minilaunch",
					 strcmp(user, "/") ? user : "");
		return 0;
	}
	if (h[0] == '/') {
		*ret_home = ml_xstrdup(h);
		return 0;
	}
	if (!getcwd(cwd, sizeof(cwd)))
		return ml_err(-errno, "cannot resolve home '%s': %s", h,
			      strerror(errno));
	*ret_home = ml_xasprintf("%s/%s", cwd, h);
	return 0;
}

char *
ml_paths_ca_dir(const char *home)
{
	return ml_xasprintf("%s/certs", home);
}

char *
ml_paths_profiles_dir(const char *home)
{
	return ml_xasprintf("%s/profiles", home);
}

char *
ml_paths_profile_dir(const char *home, const char *profile)
{
	return ml_xasprintf("%s/profiles/%s", home, profile);
}

char *
ml_paths_profile_certs_dir(const char *home, const char *profile)
{
	return ml_xasprintf("%s/profiles/%s/certs", home, profile);
}

char *
ml_paths_machine_dir(const char *home, const char *profile)
{
	return ml_xasprintf("%s/profiles/%s/machine", home, profile);
}

char *
ml_paths_cache_dir(const char *home)
{
	return ml_xasprintf("%s/cache", home);
}

char *
ml_paths_addons_dir(const char *home)
{
	return ml_xasprintf("%s/addons", home);
}

bool
ml_paths_exe_in_tree(const char *exe, const char *dir)
{
	ml_autofree char *tree = realpath(dir, NULL);
	size_t n;

	if (!exe || !tree || strcmp(tree, "/") == 0)
		return false;
	n = strlen(tree);
	return strncmp(exe, tree, n) == 0 && exe[n] == '/';
}

const char *
ml_paths_build_tree(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	return ml_paths_exe_in_tree(exe, ML_BUILDDIR) ? ML_BUILDDIR : NULL;
}

const char *
ml_paths_addons_catalogue(void)
{
	return ml_paths_build_tree() ? ML_SRCDIR "/addons"
				     : PKGDATADIR "/addons";
}

/* The directories of a home; anything else in it is foreign. */
static const char *const home_dirs[] = { "certs", "cache", "profiles", "tmp",
					 "addons" };

/* True when every entry of dir is a directory (not a link to one). */
static int
only_dirs(const char *dir, char **ret_foreign)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;

	if (!d)
		return ml_err(-errno, "cannot read '%s': %s", dir,
			      strerror(errno));
	*ret_foreign = NULL;
	while (!*ret_foreign && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) <
			    0 ||
		    !S_ISDIR(st.st_mode))
			*ret_foreign = ml_xasprintf("%s/%s", dir, de->d_name);
	}
	closedir(d);
	return 0;
}

/*
 * The first entry of home that minilaunch did not make, in *ret_foreign
 * (NULL when there is none; caller frees): returns 0 or -errno.
 */
static int
home_foreign(const char *home, char **ret_foreign)
{
	DIR *d = opendir(home);
	struct dirent *de;
	struct stat st;
	char *foreign = NULL;
	int r = 0;

	if (!d)
		return ml_err(-errno, "cannot read '%s': %s", home,
			      strerror(errno));
	while (!foreign && r >= 0 && (de = readdir(d))) {
		const char *n = de->d_name;
		bool ours = false;

		if (!strcmp(n, ".") || !strcmp(n, ".."))
			continue;
		if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = ml_err(-errno, "cannot read '%s/%s': %s", home, n,
				   strerror(errno));
			break;
		}
		/* the marker, or its temp file while one is being written */
		if (ml_startswith(n, ML_PATHS_HOME_MARKER) &&
		    (!n[strlen(ML_PATHS_HOME_MARKER)] ||
		     ml_startswith(n + strlen(ML_PATHS_HOME_MARKER), ".tmp")))
			ours = S_ISREG(st.st_mode);
		for (size_t i = 0; i < ML_ARRAY_SIZE(home_dirs); i++)
			if (!strcmp(n, home_dirs[i]))
				ours = S_ISDIR(st.st_mode);
		if (!ours)
			foreign = ml_xasprintf("%s/%s", home, n);
		else if (!strcmp(n, "profiles")) {
			ml_autofree char *dir = ml_paths_profiles_dir(home);
			r = only_dirs(dir, &foreign);
		}
	}
	closedir(d);
	if (r < 0) {
		free(foreign);
		return r;
	}
	*ret_foreign = foreign;
	return 0;
}

/* Why home can never be a minilaunch home, or NULL. Static. */
static const char *
home_forbidden(const char *home)
{
	ml_autofree char *real = realpath(home, NULL);
	ml_autofree char *user = ml_paths_user_home();
	ml_autofree char *user_real = realpath(user, NULL);

	if (!real)
		return NULL;
	if (!strcmp(real, "/"))
		return "it is the root directory";
	if (user_real && !strcmp(real, user_real))
		return "it is your home directory";
	return NULL;
}

static char *
marker_path(const char *home)
{
	return ml_xasprintf("%s/" ML_PATHS_HOME_MARKER, home);
}

int
ml_paths_home_mark(const char *home)
{
	ml_autofree char *marker = marker_path(home);
	ml_autofree char *foreign = NULL;
	struct stat st;
	int r;

	if (stat(home, &st) < 0 || !S_ISDIR(st.st_mode) || home_forbidden(home))
		return 0;
	if (lstat(marker, &st) == 0 && S_ISREG(st.st_mode))
		return 1;
	r = home_foreign(home, &foreign);
	if (r < 0)
		return r;
	if (foreign)
		return 0;
	r = ml_write_file_atomic(marker, MARKER_TEXT, strlen(MARKER_TEXT),
				 0600);
	return r < 0 ? r : 1;
}

int
ml_paths_home_check_purge(const char *home)
{
	ml_autofree char *marker = marker_path(home);
	ml_autofree char *foreign = NULL;
	const char *why = home_forbidden(home);
	struct stat st;
	int r;

	if (why)
		return ml_err(
			-EPERM,
			"refusing to purge '%s': %s, not a minilaunch home: give the right --home or MINILAUNCH_HOME",
			home, why);
	if (lstat(home, &st) < 0)
		return -ENOENT;
	r = home_foreign(home, &foreign);
	if (r < 0)
		return r;
	if (foreign)
		return ml_err(
			-EPERM,
			"refusing to purge '%s': '%s' is not minilaunch's: move it out or remove the home by hand",
			home, foreign);
	if (lstat(marker, &st) < 0 || !S_ISREG(st.st_mode))
		return ml_err(
			-EPERM,
			"refusing to purge '%s': it has no '" ML_PATHS_HOME_MARKER
			"' marker, so it is not a minilaunch home: give the right --home or remove it by hand",
			home);
	return 0;
}
