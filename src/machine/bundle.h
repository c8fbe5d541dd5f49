/*
 * machine/bundle.h: the node's logs made fit to show and to share: the
 * console filtered for a terminal (`minilaunch logs`), and the log bundle
 * of `minilaunch logs --file`: one tar.gz with everything useful in a bug
 * report, and nothing secret.
 */
#ifndef ML_BUNDLE_H
#define ML_BUNDLE_H

#include <stddef.h>

struct ml_profile;
struct ml_buf;

/*
 * Writes to out, atomically (mode 0600), a tar.gz of p's config.json
 * (settings and state, no keys, credentials in URLs redacted as
 * ml_bundle_redact_urls() does), the node's serial console and, when its
 * ssh port answers, the node's journal and each component's log. A part
 * that cannot be read is left out. Returns 0 or -errno with a message
 * naming out.
 */
int ml_bundle_write(const char *home, const struct ml_profile *p,
		    const char *out);

/*
 * s with the credentials of every URL in it replaced by "***": the user
 * information (user:pass@host becomes ***@host) and the value of each
 * query parameter whose name holds token, key, pass, secret, sig, auth,
 * credential or session, in any case. Caller frees.
 */
char *ml_bundle_redact_urls(const char *s);

/*
 * The text of a profile's config.json with ml_bundle_redact_urls() applied
 * to every string in it (re-serialized as the profile writes it; a file
 * that does not parse is redacted as plain text). Caller frees.
 */
char *ml_bundle_redact_config(const char *json);

/*
 * A filter that makes the guest's console bytes safe to write to a
 * terminal, which they must not drive: "\n", "\t" and printable UTF-8
 * pass; "\r" is dropped (the console ends its lines with "\r\n"); the
 * other C0 controls and DEL become ^X; escape sequences (CSI, OSC, DCS,
 * SOS, PM, APC and two-byte ones) are dropped whole, an OSC-like string
 * ending at BEL, ST or a newline; C1 controls (U+0080 to U+009F) and bytes
 * that are not UTF-8 become \xHH, byte by byte. A sequence split between
 * two calls is carried in the struct: zero-initialise it, feed it with
 * ml_bundle_tty_filter(), end with ml_bundle_tty_flush().
 */
struct ml_bundle_tty {
	int state;
	unsigned char pend[4]; /* an unfinished UTF-8 sequence */
	size_t npend, need;
};

/* Appends the filtered form of in[0..len) to out. */
void ml_bundle_tty_filter(struct ml_bundle_tty *t, const char *in, size_t len,
			  struct ml_buf *out);

/* The end of the input: an unfinished UTF-8 sequence is written as \xHH,
 * an unfinished escape sequence dropped; t is ready for new input. */
void ml_bundle_tty_flush(struct ml_bundle_tty *t, struct ml_buf *out);

#endif
