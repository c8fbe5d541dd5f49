/*
 * base/paths.h: where minilaunch keeps its files.
 *
 *   HOME/                      MINILAUNCH_HOME, --home, else ~/.minilaunch
 *   HOME/certs/                the CA older versions shared; no longer
 *                              read (each profile has its own CAs)
 *   HOME/profiles/NAME/        one profile: config.json, .lock
 *   HOME/profiles/NAME/certs/  the profile's keys and certificates (0700)
 *   HOME/profiles/NAME/machine/ data disk, config drive, serial log
 *   HOME/cache/                downloads, verified by checksum
 *   HOME/tmp/                  files kept only while a command runs (the
 *                              archive `image load -` reads, unlinked)
 *   HOME/addons/NAME/          the user's addons: each replaces or adds
 *                              the catalogue's addon NAME (kube/addons.h)
 *   HOME/.minilaunch-home      the marker: this directory is a minilaunch
 *                              home, which `delete --purge` may remove
 *
 * The path functions return a newly allocated string (caller frees).
 */
#ifndef ML_PATHS_H
#define ML_PATHS_H

#include <stdbool.h>

#define ML_PATHS_HOME_MARKER ".minilaunch-home"

/*
 * The minilaunch home: flag_home when not NULL, else $MINILAUNCH_HOME, else
 * $HOME/.minilaunch, else the passwd entry's home. Relative paths are made
 * absolute against the working directory. Returns 0 or -errno.
 */
int ml_paths_home(const char *flag_home, char **ret_home);

/* HOME/certs: only for finding what older versions left. */
char *ml_paths_ca_dir(const char *home);
char *ml_paths_profiles_dir(const char *home);
char *ml_paths_profile_dir(const char *home, const char *profile);
char *ml_paths_profile_certs_dir(const char *home, const char *profile);
char *ml_paths_machine_dir(const char *home, const char *profile);
char *ml_paths_cache_dir(const char *home);

/* HOME/addons: the user's addons. */
char *ml_paths_addons_dir(const char *home);

/*
 * The addon catalogue that comes with minilaunch: PKGDATADIR/addons, or,
 * for a build run from its tree (ml_paths_build_tree()), the source tree's
 * addons/, so that a build always reads the addons it was built with.
 * Static.
 */
const char *ml_paths_addons_catalogue(void);

/*
 * The build tree this minilaunch was built in (ML_BUILDDIR) when the
 * running program (/proc/self/exe) is inside it, else NULL: an installed
 * minilaunch never looks there, since whoever later creates that path
 * would pick what it reads. Borrowed.
 */
const char *ml_paths_build_tree(void);

/*
 * The test behind ml_paths_build_tree(): whether exe (a resolved path, as
 * /proc/self/exe gives) is inside dir once dir is resolved. A dir that
 * does not exist holds nothing.
 */
bool ml_paths_exe_in_tree(const char *exe, const char *dir);

/* The user's home directory ($HOME, else passwd). Caller frees. */
char *ml_paths_user_home(void);

/*
 * Writes HOME/.minilaunch-home when home exists, is not / or the user's
 * home, and holds nothing but minilaunch's own entries (the marker, certs/,
 * cache/, tmp/, addons/ and profiles/ with only directories in it), so a
 * home made by an older minilaunch gets marked the first time it is used.
 * A home with anything else is left unmarked, and `delete --purge` then refuses it.
 * Returns 1 when home is marked (now or before), 0 when it is not (no
 * message), or -errno with a message when it cannot be read or written.
 */
int ml_paths_home_mark(const char *home);

/*
 * Whether `delete --purge` may remove home: 0 when it is marked and holds
 * only minilaunch's own entries (as above); -ENOENT (no message) when it
 * does not exist; else -EPERM with a message naming the directory, what is
 * wrong (/, the user's home, no marker, a foreign entry) and the fix. Reads
 * only: run it before deleting anything.
 */
int ml_paths_home_check_purge(const char *home);

#endif
