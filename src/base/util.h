/*
 * base/util.h: memory, strings, files and the error slot shared by every
 * module.
 *
 * Error model: functions return int, >= 0 on success and -errno on failure.
 * The code that detects a failure records one message with ml_err() and
 * returns its code; callers pass the code up without printing. Only main()
 * prints the message (ml_err_msg()) and picks the exit code.
 */
#ifndef ML_UTIL_H
#define ML_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A usage error (bad flag or value typed by the user): exit code 64. */
#define ML_EUSAGE 4096

#define ML_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ML_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Frees *(void **)p; used by ml_autofree. */
void ml_freep(void *p);
#define ml_autofree __attribute__((cleanup(ml_freep)))

/* Closes *(int *)p when >= 0; used by ml_autoclose. */
void ml_closep(int *fd);
#define ml_autoclose __attribute__((cleanup(ml_closep)))

/* Prints "minilaunch: error: out of memory" and aborts: the one end of
 * every failed allocation, ours (ml_xmalloc) or a library's. */
void ml_oom(void) __attribute__((noreturn));

/* Allocation never fails: on OOM these print and abort. */
void *ml_xmalloc(size_t size);
void *ml_xcalloc(size_t n, size_t size);
void *ml_xrealloc(void *p, size_t size);
char *ml_xstrdup(const char *s);
char *ml_xstrndup(const char *s, size_t n);
/* Returns a newly allocated formatted string. Caller frees. */
char *ml_xasprintf(const char *fmt, ...) ML_PRINTF(1, 2);
char *ml_xvasprintf(const char *fmt, va_list ap) ML_PRINTF(1, 0);

/*
 * Records the error message for the failure being reported and returns r
 * (a negative errno or -ML_EUSAGE). The message is lowercase, names the
 * thing involved and, where there is one, the fix. A later call replaces
 * an earlier message.
 */
int ml_err(int r, const char *fmt, ...) ML_PRINTF(2, 3);
/* The last recorded message, or NULL. Borrowed. */
const char *ml_err_msg(void);
void ml_err_clear(void);

/* A growable byte buffer, always NUL-terminated once something was added;
 * zero-initialise it. p is owned by the buffer. */
struct ml_buf {
	char *p;
	size_t len, cap;
};

/* Appends n bytes of p. */
void ml_buf_add(struct ml_buf *b, const void *p, size_t n);
/* Empties b, keeping its memory. */
void ml_buf_clear(struct ml_buf *b);
/* Frees b's memory; b is empty and reusable afterwards. */
void ml_buf_release(struct ml_buf *b);

/*
 * Decodes base64 (standard or URL-safe alphabet; whitespace skipped;
 * decoding stops at the first '='). Returns the bytes, NUL-terminated
 * (caller frees), their count in *ret_len (may be NULL), or NULL when in
 * holds another character.
 */
char *ml_base64_decode(const char *in, size_t *ret_len);

/* Milliseconds of CLOCK_MONOTONIC: for deadlines and durations. */
int64_t ml_now_ms(void);

/* True when s starts with prefix / ends with suffix. */
bool ml_startswith(const char *s, const char *prefix);
bool ml_endswith(const char *s, const char *suffix);

/*
 * Reads a whole file. *ret_data is NUL-terminated (caller frees); ret_len
 * may be NULL. Returns -errno with a message naming path on failure.
 */
int ml_read_file(const char *path, char **ret_data, size_t *ret_len);

/*
 * Replaces path atomically: writes a temp file in the same directory with
 * the given mode, fsyncs it, renames it over path and fsyncs the directory.
 * On failure path is untouched and the temp file removed.
 */
int ml_write_file_atomic(const char *path, const void *data, size_t len,
			 mode_t mode);

/*
 * The same for a file written piece by piece (a stream, an archive):
 * ml_atomic_open makes the temp file beside path with mode and gives its
 * descriptor in f->fd; ml_atomic_commit fsyncs, closes and renames it over
 * path; ml_atomic_abort closes and removes it. Both end the temp file;
 * abort of an ended (or zeroed) one does nothing. Errors name path.
 */
struct ml_atomic_file {
	char *path;
	char *tmp;
	int fd; /* write here; -1 once ended */
};
int ml_atomic_open(struct ml_atomic_file *f, const char *path, mode_t mode);
int ml_atomic_commit(struct ml_atomic_file *f);
void ml_atomic_abort(struct ml_atomic_file *f);

/* mkdir -p with mode for every directory created; existing ones are kept. */
int ml_mkdir_p(const char *path, mode_t mode);

/*
 * Opens (creating, mode 0600) and flock()s path. exclusive selects LOCK_EX
 * over LOCK_SH; with wait false a held lock fails at once with -EWOULDBLOCK.
 * Returns the fd (the lock lives until it is closed) or -errno.
 */
int ml_lock_file(const char *path, bool exclusive, bool wait);

/* Removes a directory tree (like rm -rf); a missing path is not an error. */
int ml_rm_rf(const char *path);

/* True when something accepts TCP connections on 127.0.0.1:port. */
bool ml_tcp_port_open(int port);
/* True when a TCP socket can bind 127.0.0.1:port now. */
bool ml_tcp_port_free(int port);

/* True when path exists (any type). */
bool ml_path_exists(const char *path);

struct json_object;

/*
 * o's value at a '.'-separated path of object keys ("status.phase"), or
 * NULL when o is NULL or a key is missing. Borrowed from o.
 */
struct json_object *ml_json_get(struct json_object *o, const char *path);
/* ml_json_get() when the value is a string, else NULL. Borrowed. */
const char *ml_json_str(struct json_object *o, const char *path);
/*
 * The array at path in o (borrowed) in *ret and its length; 0 and NULL
 * when there is none or it is no array ("items": null is how Go writes an
 * empty list).
 */
size_t ml_json_array(struct json_object *o, const char *path,
		     struct json_object **ret);
/*
 * o's member key, taken whole (an annotation's key has dots), or NULL when
 * o is not an object or lacks it; ml_json_key_str() when it is a string.
 * Borrowed.
 */
struct json_object *ml_json_key(struct json_object *o, const char *key);
const char *ml_json_key_str(struct json_object *o, const char *key);

#endif
