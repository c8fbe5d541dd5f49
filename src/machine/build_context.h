/*
 * machine/build_context.h: the build context of `minilaunch image build`,
 * a directory tarred with libarchive while it is sent, never whole in
 * memory or on disk.
 *
 * As the docker CLI sends it: every file, directory and symbolic link
 * under DIR (links not followed; sockets, fifos and devices left out),
 * owned by 0:0 with their own modes and times, less what DIR/.dockerignore
 * excludes. .dockerignore: one pattern a line, '#' lines and blank ones
 * skipped, a leading '!' re-includes, a leading '/' is dropped; '*' and
 * '?' match within one path component, '**' across any number, '[...]' a
 * class; a pattern matching a directory excludes what is under it; the
 * last pattern that matches a path decides. The Dockerfile and
 * .dockerignore are sent even when excluded, and a Dockerfile outside DIR
 * is sent inside the context under a name of its own.
 */
#ifndef ML_BUILD_CONTEXT_H
#define ML_BUILD_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct ml_build_context;

/*
 * Lists what DIR's context holds (the files are read later, as they are
 * sent). dockerfile is the -f path as the user gave it, relative to the
 * working directory, or NULL for DIR/Dockerfile. Returns 0 and *ret (free
 * with ml_build_context_free), or -errno with a message: DIR is not a
 * directory, the Dockerfile is missing, a file or directory cannot be
 * read, .dockerignore cannot be read.
 */
int ml_build_context_open(const char *dir, const char *dockerfile,
			  struct ml_build_context **ret);
struct ml_build_context *ml_build_context_free(struct ml_build_context *c);

/* The Dockerfile's path inside the context, for the daemon. Borrowed. */
const char *ml_build_context_dockerfile(const struct ml_build_context *c);
/* How many entries (files, directories, links) the context holds. */
size_t ml_build_context_count(const struct ml_build_context *c);

/*
 * The next bytes of the context's tar, at most len, in buf (c is a
 * struct ml_build_context *: this is a struct ml_docker_body reader).
 * Returns their count, 0 at the end, or -errno with a message naming the
 * file that could not be read or that changed while it was sent.
 */
ssize_t ml_build_context_read(void *c, char *buf, size_t len);

/*
 * True when .dockerignore's pattern (cleaned, without '!') matches path
 * (relative to the context, '/'-separated) as described above, a match of
 * one of path's parent directories included.
 */
bool ml_build_context_pattern_match(const char *pattern, const char *path);

#endif
