/*
 * base/paths.h: where minilaunch keeps its files.
 *
 *   HOME/                      MINILAUNCH_HOME, --home, else ~/.minilaunch
 *   HOME/certs/                cluster CA shared by all profiles (0700)
 *   HOME/profiles/NAME/        one profile: config.json, .lock
 *   HOME/profiles/NAME/certs/  the profile's keys and certificates (0700)
 *   HOME/profiles/NAME/machine/ data disk, config drive, serial log
 *   HOME/cache/                downloads, verified by checksum
 *
 * Every function returns a newly allocated string (caller frees).
 */
#ifndef ML_PATHS_H
#define ML_PATHS_H

/*
 * The minilaunch home: flag_home when not NULL, else $MINILAUNCH_HOME, else
 * $HOME/.minilaunch, else the passwd entry's home. Relative paths are made
 * absolute against the working directory. Returns 0 or -errno.
 */
int ml_paths_home(const char *flag_home, char **ret_home);

char *ml_paths_ca_dir(const char *home);
char *ml_paths_profiles_dir(const char *home);
char *ml_paths_profile_dir(const char *home, const char *profile);
char *ml_paths_profile_certs_dir(const char *home, const char *profile);
char *ml_paths_machine_dir(const char *home, const char *profile);
char *ml_paths_cache_dir(const char *home);

/* The user's home directory ($HOME, else passwd). Caller frees. */
char *ml_paths_user_home(void);

#endif
