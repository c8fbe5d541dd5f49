/*
 * machine/bundle.h: the log bundle of `minilaunch logs --file`: one tar.gz
 * with everything useful in a bug report, and nothing secret.
 */
#ifndef ML_BUNDLE_H
#define ML_BUNDLE_H

struct ml_profile;

/*
 * Writes to out, atomically (mode 0600), a tar.gz of p's config.json
 * (settings and state, no keys), the node's serial console and, when its
 * ssh port answers, the node's journal and each component's log. A part
 * that cannot be read is left out. Returns 0 or -errno with a message
 * naming out.
 */
int ml_bundle_write(const char *home, const struct ml_profile *p,
		    const char *out);

#endif
