/*
 * base/profile.h: one cluster's settings and state, kept in
 * HOME/profiles/NAME/config.json (json-c), with a schema version.
 *
 *   {
 *     "schema": 1,
 *     "name": "minilaunch",
 *     "config": { "cpus": "4", "memory": "4g", ... },   only keys set by the
 * user "state": { "status": "Running", "ip": "10.0.2.15", "ports": { "ssh":
 * 40022, "docker": 42376, "apiserver": 48443 } }
 *   }
 *
 * Writes go temp file, fsync, rename. Writers hold an exclusive flock on
 * HOME/profiles/NAME/.lock (a file of its own: rename replaces config.json's
 * inode), so two writers of one profile serialise and different profiles
 * never block each other. Readers need no lock. A file that cannot be read
 * is reported by name and never overwritten or removed.
 */
#ifndef ML_PROFILE_H
#define ML_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#define ML_PROFILE_SCHEMA 1
#define ML_PROFILE_DEFAULT "minilaunch"

struct ml_profile;

enum {
	ML_PROFILE_CREATE = 1 << 0, /* make the profile when it is missing */
	ML_PROFILE_LOCK = 1 << 1,   /* hold the writer lock until freed */
	ML_PROFILE_NOWAIT = 1 << 2, /* with LOCK: fail at once when held */
	/* skip the settings' check, for config set and unset, which mend a
	 * file whose values no longer validate */
	ML_PROFILE_UNCHECKED = 1 << 3,
};

/* A configuration key: `minilaunch config` and `start` flags use these. */
struct ml_profile_key {
	const char *name;
	const char *help;
	/* Checks and normalises value; returns a new string (caller frees) in
	 * *ret or -ML_EUSAGE with a message naming the key and the fix. */
	int (*validate)(const char *name, const char *value, char **ret);
	const char *def;      /* default; "" when none */
	const char *def_root; /* default as root, when it differs; or NULL */
};

/*
 * The Kubernetes version of the node image this minilaunch was made with,
 * for where no image is at hand (an example in a message, `version`
 * without an image). The version a cluster runs is its image's
 * (/version.json, see machine/iso.h): kubernetes-version has no default.
 */
#define ML_KUBERNETES_VERSION_FALLBACK "v1.20.2"

/* The keys, ending with a NULL name. */
extern const struct ml_profile_key ml_profile_keys[];

/* Returns 0 when name matches [a-z0-9][a-z0-9-]{0,62}, else -ML_EUSAGE. */
int ml_profile_name_valid(const char *name);

/*
 * Opens profile name under home. Without ML_PROFILE_CREATE a missing
 * profile is -ENOENT ("profile 'x' not found: ..."). A corrupted file or an
 * unknown schema is -EBADMSG naming the file. Unless ML_PROFILE_UNCHECKED,
 * every setting must pass its key's validator, as `config set` checks it:
 * else -EBADMSG naming the file, the key and the fix. *ret is freed with
 * ml_profile_free(), which also releases the lock.
 */
int ml_profile_open(const char *home, const char *name, unsigned flags,
		    struct ml_profile **ret);

/*
 * Takes the lock of profile name (exclusive, waiting) without reading its
 * config, for delete, which must work on a half-made or corrupted profile.
 * Returns the descriptor to close() to release it, -ENOENT (no message)
 * when the profile's directory does not exist, or -errno.
 */
int ml_profile_lock(const char *home, const char *name);
struct ml_profile *ml_profile_free(struct ml_profile *p);

/* Writes the profile atomically; it must have been opened with LOCK. */
int ml_profile_save(struct ml_profile *p);

/* True when the profile directory holds a config.json. */
bool ml_profile_exists(const char *home, const char *name);

/* Sorted names of the profiles under home (a NULL-terminated array, caller
 * frees each and the array); directories whose name is invalid are skipped. */
int ml_profile_list(const char *home, char ***ret_names);

/* Borrowed accessors. */
const char *ml_profile_name(const struct ml_profile *p);
const char *ml_profile_path(const struct ml_profile *p);

/* A config key's value: the user's setting or NULL. Borrowed. */
const char *ml_profile_get(const struct ml_profile *p, const char *key);
/* Its value or the key's default. Borrowed or static. */
const char *ml_profile_get_or_default(const struct ml_profile *p,
				      const char *key);
/* Validates and stores a value (-ML_EUSAGE on a bad key or value). */
int ml_profile_set(struct ml_profile *p, const char *key, const char *value);
/* Removes a setting; returns 1 if it was set, 0 if not, -ML_EUSAGE for an
 * unknown key. */
int ml_profile_unset(struct ml_profile *p, const char *key);
/* Calls fn for each set key in table order. */
void ml_profile_foreach_set(const struct ml_profile *p,
			    void (*fn)(const char *key, const char *value,
				       void *ud),
			    void *ud);

/* 0 when key is a configuration key, else -ML_EUSAGE naming it. */
int ml_profile_check_key(const char *key);

/* 0 when value is valid for key, else -ML_EUSAGE naming both. */
int ml_profile_check_value(const char *key, const char *value);

/* Default of a key ("" when it has none). Static. */
const char *ml_profile_default(const char *key);

/* State written by the driver. Strings borrowed; ports 0 when unknown. */
const char *ml_profile_state_str(const struct ml_profile *p, const char *key);
void ml_profile_state_set_str(struct ml_profile *p, const char *key,
			      const char *value);
int ml_profile_state_port(const struct ml_profile *p, const char *name);
void ml_profile_state_set_port(struct ml_profile *p, const char *name,
			       int port);

/* Removes every port whose name starts with prefix. */
void ml_profile_state_clear_ports(struct ml_profile *p, const char *prefix);

/* Parsers shared with start's flags. Return 0 or -ML_EUSAGE; sizes are at
 * most 1024t (2^30 MiB), so the size in bytes fits in an int64_t. */
int ml_profile_parse_size_mib(const char *what, const char *value,
			      uint64_t *ret_mib);

#endif
