/*
 * machine/p9.h: a 9P2000.L file server for one host directory, the server
 * side of `minilaunch mount` (docs/mount.md): the guest kernel's own 9p
 * client mounts it over one TCP connection.
 *
 * Confinement: a fid holds a path relative to the root, normalised (no
 * "." or ".." left, ".." past the root refused with EXDEV), and every use
 * opens it one component at a time from the root's descriptor with
 * O_NOFOLLOW (a symlink on the way: ELOOP). The server never follows a
 * symlink (the guest resolves them itself, as 9P2000.L wants), so neither
 * ".." nor a link, relative or absolute, leads out of the root. (openat2's
 * RESOLVE_BENEATH would give the same; valgrind does not know openat2.)
 * Names given for a new entry are one component (no '/', not "." or
 * "..": EINVAL).
 *
 * Bounds: messages larger than the negotiated msize (at most the
 * options' msize) end the connection after an Rlerror EMSGSIZE; at most
 * max_fids fids at once (Rlerror EMFILE past that).
 *
 * Ownership seen by the guest: every file reports the options' uid and
 * gid (0 and 0 by default: the guest's root owns the user's files); files
 * are created and changed as the user running the server, and a chown
 * from the guest is accepted and has no effect.
 */
#ifndef ML_P9_H
#define ML_P9_H

#include <stddef.h>
#include <stdint.h>

#define ML_P9_MSIZE_DEFAULT 262144u
#define ML_P9_MSIZE_MIN 4096u
#define ML_P9_MSIZE_MAX (1u << 20)
#define ML_P9_FIDS_DEFAULT 4096u

struct ml_p9_options {
	uint32_t uid, gid; /* reported as every file's owner */
	uint32_t msize;	   /* largest message; 0: ML_P9_MSIZE_DEFAULT */
	unsigned max_fids; /* 0: ML_P9_FIDS_DEFAULT */
};

/* One connection's state: negotiated msize, fids. */
struct ml_p9;

/*
 * Opens root (which must be a directory) and makes a session serving it.
 * *ret: free with ml_p9_free. -errno with a message naming root.
 */
int ml_p9_new(const char *root, const struct ml_p9_options *o,
	      struct ml_p9 **ret);
/* Closes every fid and the root; takes NULL; returns NULL. */
struct ml_p9 *ml_p9_free(struct ml_p9 *s);
/* Forgets every fid and the negotiated version, as for a new connection. */
void ml_p9_reset(struct ml_p9 *s);

/*
 * The message decoder and handler: req is one whole message (its size
 * field first, len bytes); the reply is written to resp (at least
 * ml_p9_msize_max(s) bytes). Returns the reply's length, or 0 when the
 * message is too short or its size field is not len (no reply possible).
 */
size_t ml_p9_handle(struct ml_p9 *s, const uint8_t *req, size_t len,
		    uint8_t *resp);
/* The largest message this session accepts before Tversion. */
uint32_t ml_p9_msize_max(const struct ml_p9 *s);

/*
 * Reads one message from the connected socket fd, handles it and writes
 * the reply. Returns 0, 1 at the peer's end of stream, -EMSGSIZE after
 * replying Rlerror to a message over msize, -EPROTO for a message too
 * short to be one, or another -errno from read or write.
 */
int ml_p9_serve_one(struct ml_p9 *s, int fd);
/* ml_p9_serve_one until the end of stream (returns 0) or an error. */
int ml_p9_serve(struct ml_p9 *s, int fd);

#endif
