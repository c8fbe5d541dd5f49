/* base/paths.c: where minilaunch keeps its files. */
#include "config.h"

#include "base/paths.h"

#include "base/util.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
