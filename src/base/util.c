/* base/util.c: memory, strings, files and the error slot. */
#include "config.h"

#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Per thread: a port-forward's connections fail in its own thread
 * (kube/portforward.h) without touching the caller's message. */
static _Thread_local char err_buf[1024];
static _Thread_local bool err_set;

void
ml_oom(void)
{
	fputs("minilaunch: error: out of memory\n", stderr);
	abort();
}

void
ml_freep(void *p)
{
	free(*(void **)p);
}

void
ml_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

void *
ml_xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (!p)
		ml_oom();
	return p;
}

void *
ml_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		ml_oom();
	return p;
}

void *
ml_xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p)
		ml_oom();
	return p;
}

char *
ml_xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		ml_oom();
	return p;
}

char *
ml_xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (!p)
		ml_oom();
	return p;
}

char *
ml_xvasprintf(const char *fmt, va_list ap)
{
	char *p;
	if (vasprintf(&p, fmt, ap) < 0)
		ml_oom();
	return p;
}

char *
ml_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = ml_xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

int
ml_err(int r, const char *fmt, ...)
{
	char msg[sizeof(err_buf)];
	va_list ap;

	/* through a copy: the arguments may include ml_err_msg() itself */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(err_buf, msg, sizeof(err_buf));
	err_set = true;
	return r;
}

const char *
ml_err_msg(void)
{
	return err_set ? err_buf : NULL;
}

void
ml_err_clear(void)
{
	err_set = false;
	err_buf[0] = '\0';
}

void
ml_buf_add(struct ml_buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = ml_xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
ml_buf_clear(struct ml_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void
ml_buf_release(struct ml_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static int
b64_value(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+' || ch == '-')
		return 62;
	if (ch == '/' || ch == '_')
		return 63;
	return -1;
}

char *
ml_base64_decode(const char *in, size_t *ret_len)
{
	size_t n = strlen(in), o = 0;
	char *out = ml_xmalloc(n / 4 * 3 + 4);
	unsigned acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		int v;

		if (strchr(" \t\r\n", in[i]))
			continue;
		if (in[i] == '=')
			break;
		v = b64_value((unsigned char)in[i]);
		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	if (ret_len)
		*ret_len = o;
	return out;
}

int64_t
ml_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool
ml_startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
ml_endswith(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

int
ml_read_file(const char *path, char **ret_data, size_t *ret_len)
{
	ml_autoclose int fd = -1;
	char *buf = NULL;
	size_t len = 0, cap = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ml_err(-errno, "cannot open '%s': %s", path,
			      strerror(errno));
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = ml_xrealloc(buf, cap);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			int r = -errno;
			if (errno == EINTR)
				continue;
			free(buf);
			return ml_err(r, "cannot read '%s': %s", path,
				      strerror(-r));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (!buf)
		buf = ml_xmalloc(1);
	buf[len] = '\0';
	*ret_data = buf;
	if (ret_len)
		*ret_len = len;
	return 0;
}

static int
fsync_dir_of(const char *path)
{
	ml_autofree char *copy = ml_xstrdup(path);
	ml_autoclose int dfd =
		open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		return -errno;
	return 0;
}

void
ml_atomic_abort(struct ml_atomic_file *f)
{
	if (f->fd >= 0) {
		close(f->fd);
		unlink(f->tmp);
	}
	f->fd = -1;
	free(f->path);
	free(f->tmp);
	f->path = f->tmp = NULL;
}

/* Ends f after a failed call that left errno set. */
static int
atomic_fail(struct ml_atomic_file *f)
{
	int r = -errno;
	ml_autofree char *path = f->path;

	f->path = NULL;
	ml_atomic_abort(f);
	return ml_err(r, "cannot write '%s': %s", path, strerror(-r));
}

int
ml_atomic_open(struct ml_atomic_file *f, const char *path, mode_t mode)
{
	*f = (struct ml_atomic_file){ ml_xstrdup(path),
				      ml_xasprintf("%s.tmpXXXXXX", path), -1 };
	f->fd = mkostemp(f->tmp, O_CLOEXEC);
	if (f->fd < 0) {
		int r = -errno;
		ml_atomic_abort(f);
		return ml_err(r,
			      "cannot create a temporary file beside '%s': %s",
			      path, strerror(-r));
	}
	if (fchmod(f->fd, mode) < 0)
		return atomic_fail(f);
	return 0;
}

int
ml_atomic_commit(struct ml_atomic_file *f)
{
	int fd = f->fd;

	if (fsync(fd) < 0)
		return atomic_fail(f);
	f->fd = -1;
	if (close(fd) < 0 || rename(f->tmp, f->path) < 0) {
		int e = errno;
		unlink(f->tmp);
		errno = e;
		return atomic_fail(f);
	}
	(void)fsync_dir_of(f->path);
	ml_atomic_abort(f);
	return 0;
}

int
ml_write_file_atomic(const char *path, const void *data, size_t len,
		     mode_t mode)
{
	struct ml_atomic_file f;
	const char *p = data;
	int r = ml_atomic_open(&f, path, mode);

	if (r < 0)
		return r;
	while (len > 0) {
		ssize_t n = write(f.fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return atomic_fail(&f);
		}
		p += n;
		len -= (size_t)n;
	}
	return ml_atomic_commit(&f);
}

int
ml_mkdir_p(const char *path, mode_t mode)
{
	ml_autofree char *copy = ml_xstrdup(path);
	char *p;

	for (p = copy + 1;; p++) {
		bool end = *p == '\0';
		if (*p != '/' && !end)
			continue;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST)
			return ml_err(-errno,
				      "cannot create directory '%s': %s", copy,
				      strerror(errno));
		if (end)
			break;
		*p = '/';
	}
	return 0;
}

int
ml_lock_file(const char *path, bool exclusive, bool wait)
{
	int fd, op = exclusive ? LOCK_EX : LOCK_SH;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return ml_err(-errno, "cannot open lock file '%s': %s", path,
			      strerror(errno));
	if (!wait)
		op |= LOCK_NB;
	while (flock(fd, op) < 0) {
		int r = -errno;
		if (errno == EINTR)
			continue;
		close(fd);
		if (r == -EWOULDBLOCK)
			return ml_err(
				r,
				"'%s' is locked by another minilaunch process: wait for it to finish",
				path);
		return ml_err(r, "cannot lock '%s': %s", path, strerror(-r));
	}
	return fd;
}

static int
rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if ((type == FTW_DP ? rmdir(path) : unlink(path)) < 0 &&
	    errno != ENOENT)
		return errno;
	return 0;
}

int
ml_rm_rf(const char *path)
{
	int r;

	if (!ml_path_exists(path))
		return 0;
	r = nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (r == -1)
		r = errno;
	if (r != 0)
		return ml_err(-r, "cannot remove '%s': %s", path, strerror(r));
	return 0;
}

bool
ml_path_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* Whether connect() (or bind()) of a TCP socket to 127.0.0.1:port works. */
static bool
loopback_port(int port, bool bind_it)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	ok = (bind_it ? bind(fd, (struct sockaddr *)&sa, sizeof(sa))
		      : connect(fd, (struct sockaddr *)&sa, sizeof(sa))) == 0;
	close(fd);
	return ok;
}

bool
ml_tcp_port_open(int port)
{
	return loopback_port(port, false);
}

bool
ml_tcp_port_free(int port)
{
	return loopback_port(port, true);
}

struct json_object *
ml_json_get(struct json_object *o, const char *path)
{
	char key[64];

	while (o && *path) {
		size_t n = strcspn(path, ".");

		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		path += n + (path[n] == '.');
	}
	return o;
}

struct json_object *
ml_json_key(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

const char *
ml_json_key_str(struct json_object *o, const char *key)
{
	struct json_object *v = ml_json_key(o, key);

	return json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

size_t
ml_json_array(struct json_object *o, const char *path,
	      struct json_object **ret)
{
	struct json_object *v = ml_json_get(o, path);

	if (!json_object_is_type(v, json_type_array)) {
		*ret = NULL;
		return 0;
	}
	*ret = v;
	return json_object_array_length(v);
}

const char *
ml_json_str(struct json_object *o, const char *path)
{
	struct json_object *v = ml_json_get(o, path);

	return v && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}
