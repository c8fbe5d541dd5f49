/*
 * test_p9.c: the 9P2000.L server of `minilaunch mount` (machine/p9.h),
 * driven over a socketpair with encoded messages, as the guest kernel's
 * client drives it over TCP: file operations on a temporary directory and
 * the confinement to it.
 */
#include "config.h"

#include "machine/p9.h"
#include "base/util.h"
#include "check_run.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
	RLERROR = 7,
	TSTATFS = 8,
	TLOPEN = 12,
	TLCREATE = 14,
	TSYMLINK = 16,
	TMKNOD = 18,
	TREADLINK = 22,
	TGETATTR = 24,
	TSETATTR = 26,
	TXATTRWALK = 30,
	TREADDIR = 40,
	TLOCK = 52,
	TLINK = 70,
	TMKDIR = 72,
	TRENAMEAT = 74,
	TUNLINKAT = 76,
	TVERSION = 100,
	TATTACH = 104,
	TWALK = 110,
	TREAD = 116,
	TWRITE = 118,
	TCLUNK = 120,
	TREMOVE = 122,
};

#define MSIZE 8192

/* A server child on one end of a socketpair, serving DIR/root; DIR/outside
 * holds a file it must never touch. */
struct srv {
	char dir[64];
	char *root, *outside, *secret;
	int fd;
	pid_t pid;
};

struct msg {
	uint8_t b[MSIZE * 2];
	size_t len;
};

/* A reply: its type, body and a read cursor. */
struct reply {
	uint8_t type;
	uint8_t b[MSIZE * 2];
	size_t len, off;
};

static void
put(struct msg *m, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++, v >>= 8)
		m->b[m->len++] = (uint8_t)v;
}

static void
put_str(struct msg *m, const char *s)
{
	put(m, strlen(s), 2);
	memcpy(m->b + m->len, s, strlen(s));
	m->len += strlen(s);
}

static void
begin(struct msg *m, uint8_t type)
{
	m->len = 0;
	put(m, 0, 4);
	put(m, type, 1);
	put(m, 1, 2); /* tag */
}

static uint64_t
get(struct reply *r, size_t n)
{
	uint64_t v = 0;

	ck_assert_uint_le(r->off + n, r->len);
	for (size_t i = n; i-- > 0;)
		v = v << 8 | r->b[r->off + i];
	r->off += n;
	return v;
}

static void
read_exact(int fd, uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = read(fd, p, n);

		ck_assert_int_gt(k, 0);
		p += k;
		n -= (size_t)k;
	}
}

/* Sends m, reads the reply; returns its errno for an Rlerror, else 0. */
static int
rpc(struct srv *s, struct msg *m, struct reply *r)
{
	uint8_t hdr[7];
	uint32_t size;

	m->b[0] = (uint8_t)m->len;
	m->b[1] = (uint8_t)(m->len >> 8);
	m->b[2] = (uint8_t)(m->len >> 16);
	m->b[3] = (uint8_t)(m->len >> 24);
	ck_assert_int_eq(write(s->fd, m->b, m->len), (ssize_t)m->len);
	read_exact(s->fd, hdr, 7);
	size = hdr[0] | hdr[1] << 8 | hdr[2] << 16 | (uint32_t)hdr[3] << 24;
	ck_assert_uint_ge(size, 7);
	ck_assert_uint_le(size, MSIZE);
	r->type = hdr[4];
	r->len = size - 7;
	r->off = 0;
	read_exact(s->fd, r->b, r->len);
	if (r->type == RLERROR)
		return (int)get(r, 4);
	ck_assert_uint_eq(r->type, m->b[4] + 1);
	return 0;
}

static void
srv_start(struct srv *s, unsigned max_fids)
{
	struct ml_p9_options o = {
		.uid = 1234, .gid = 5678, .msize = MSIZE, .max_fids = max_fids
	};
	int sv[2];

	strcpy(s->dir, "/tmp/ml-test-p9.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(s->dir));
	s->root = ml_xasprintf("%s/root", s->dir);
	s->outside = ml_xasprintf("%s/outside", s->dir);
	s->secret = ml_xasprintf("%s/outside/secret", s->dir);
	ck_assert_int_eq(mkdir(s->root, 0755), 0);
	ck_assert_int_eq(mkdir(s->outside, 0755), 0);
	ck_assert_int_eq(ml_write_file_atomic(s->secret, "keep", 4, 0600), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	s->pid = fork();
	ck_assert_int_ge(s->pid, 0);
	if (s->pid == 0) {
		struct ml_p9 *p9 = NULL;
		int r;

		close(sv[0]);
		if (ml_p9_new(s->root, &o, &p9) < 0)
			_exit(2);
		r = ml_p9_serve(p9, sv[1]);
		ml_p9_free(p9);
		free(s->root);
		free(s->outside);
		free(s->secret);
		_exit(r == 0 ? 0 : r == -EMSGSIZE ? 3 : 1);
	}
	close(sv[1]);
	s->fd = sv[0];
}

/* Ends the connection; returns the server's exit status. */
static int
srv_stop(struct srv *s)
{
	int status;

	close(s->fd);
	ck_assert_int_eq(waitpid(s->pid, &status, 0), s->pid);
	/* nothing outside the root was changed */
	{
		ml_autofree char *keep = NULL;
		ck_assert_int_eq(ml_read_file(s->secret, &keep, NULL), 0);
		ck_assert_str_eq(keep, "keep");
	}
	ml_rm_rf(s->dir);
	free(s->root);
	free(s->outside);
	free(s->secret);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
version_attach(struct srv *s)
{
	struct msg m;
	struct reply r;

	begin(&m, TVERSION);
	put(&m, 65536, 4);
	put_str(&m, "9P2000.L");
	ck_assert_int_eq(rpc(s, &m, &r), 0);
	ck_assert_uint_eq(get(&r, 4), MSIZE); /* ours is the smaller */
	begin(&m, TATTACH);
	put(&m, 0, 4);
	put(&m, 0xffffffff, 4);
	put_str(&m, "root");
	put_str(&m, "");
	put(&m, 0, 4);
	ck_assert_int_eq(rpc(s, &m, &r), 0);
	ck_assert_uint_eq(get(&r, 1), 0x80); /* a directory */
}

/* Walks fid to newfid through the n names; returns the errno, or 0 with
 * *ret_n qids walked. */
static int
walk(struct srv *s, uint32_t fid, uint32_t newfid, int *ret_n, int n, ...)
{
	struct msg m;
	struct reply r;
	va_list ap;
	int e;

	begin(&m, TWALK);
	put(&m, fid, 4);
	put(&m, newfid, 4);
	put(&m, (uint64_t)n, 2);
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		put_str(&m, va_arg(ap, const char *));
	va_end(ap);
	e = rpc(s, &m, &r);
	if (!e && ret_n)
		*ret_n = (int)get(&r, 2);
	return e;
}

static int
fid_op(struct srv *s, uint8_t type, uint32_t fid, struct reply *r)
{
	struct msg m;

	begin(&m, type);
	put(&m, fid, 4);
	return rpc(s, &m, r);
}

static int
lopen(struct srv *s, uint32_t fid, uint32_t flags)
{
	struct msg m;
	struct reply r;

	begin(&m, TLOPEN);
	put(&m, fid, 4);
	put(&m, flags, 4);
	return rpc(s, &m, &r);
}

static int
lcreate(struct srv *s, uint32_t fid, const char *name, uint32_t flags)
{
	struct msg m;
	struct reply r;

	begin(&m, TLCREATE);
	put(&m, fid, 4);
	put_str(&m, name);
	put(&m, flags, 4);
	put(&m, 0644, 4);
	put(&m, 0, 4);
	return rpc(s, &m, &r);
}

static int
mkdir_in(struct srv *s, uint32_t dfid, const char *name)
{
	struct msg m;
	struct reply r;

	begin(&m, TMKDIR);
	put(&m, dfid, 4);
	put_str(&m, name);
	put(&m, 0755, 4);
	put(&m, 0, 4);
	return rpc(s, &m, &r);
}

static int
write_at(struct srv *s, uint32_t fid, uint64_t off, const char *data)
{
	struct msg m;
	struct reply r;
	int e;

	begin(&m, TWRITE);
	put(&m, fid, 4);
	put(&m, off, 8);
	put(&m, strlen(data), 4);
	memcpy(m.b + m.len, data, strlen(data));
	m.len += strlen(data);
	e = rpc(s, &m, &r);
	if (!e)
		ck_assert_uint_eq(get(&r, 4), strlen(data));
	return e;
}

/* Reads up to count bytes at off into a string the caller frees. */
static char *
read_at(struct srv *s, uint32_t fid, uint64_t off, uint32_t count)
{
	struct msg m;
	struct reply r;
	uint32_t n;

	begin(&m, TREAD);
	put(&m, fid, 4);
	put(&m, off, 8);
	put(&m, count, 4);
	ck_assert_int_eq(rpc(s, &m, &r), 0);
	n = (uint32_t)get(&r, 4);
	ck_assert_uint_le(n, count);
	return ml_xstrndup((const char *)r.b + r.off, n);
}

static int
clunk(struct srv *s, uint32_t fid)
{
	struct reply r;

	return fid_op(s, TCLUNK, fid, &r);
}

static char *
host_file(struct srv *s, const char *rel)
{
	ml_autofree char *path = ml_xasprintf("%s/%s", s->root, rel);
	char *data = NULL;

	if (ml_read_file(path, &data, NULL) < 0) {
		ml_err_clear();
		return NULL;
	}
	return data;
}

static bool
host_exists(struct srv *s, const char *rel)
{
	ml_autofree char *path = ml_xasprintf("%s/%s", s->root, rel);
	struct stat st;

	return lstat(path, &st) == 0;
}

START_TEST(test_p9_file_round_trips)
{
	struct srv s;
	struct msg m;
	struct reply r;
	ml_autofree char *data = NULL, *got = NULL, *part = NULL;
	ml_autofree char *host_a = NULL;
	struct stat st;
	int n;

	srv_start(&s, 0);
	version_attach(&s);
	/* create and write: the host file has the bytes */
	ck_assert_int_eq(walk(&s, 0, 1, &n, 0), 0);
	ck_assert_int_eq(lcreate(&s, 1, "a.txt", O_RDWR), 0);
	ck_assert_int_eq(write_at(&s, 1, 0, "hello, host"), 0);
	ck_assert_int_eq(clunk(&s, 1), 0);
	data = host_file(&s, "a.txt");
	ck_assert_str_eq(data, "hello, host");
	/* a file the host writes, read through walk and open */
	host_a = ml_xasprintf("%s/b.txt", s.root);
	ck_assert_int_eq(ml_write_file_atomic(host_a, "from the host", 13,
					      0644),
			 0);
	ck_assert_int_eq(walk(&s, 0, 2, &n, 1, "b.txt"), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(lopen(&s, 2, O_RDONLY), 0);
	got = read_at(&s, 2, 0, 100);
	ck_assert_str_eq(got, "from the host");
	part = read_at(&s, 2, 5, 3);
	ck_assert_str_eq(part, "the");
	/* getattr: the size, and the owner the guest is to see */
	begin(&m, TGETATTR);
	put(&m, 2, 4);
	put(&m, 0x7ff, 8);
	ck_assert_int_eq(rpc(&s, &m, &r), 0);
	get(&r, 8);  /* valid */
	r.off += 13; /* qid */
	ck_assert_uint_eq(get(&r, 4) & 0777, 0644);
	ck_assert_uint_eq(get(&r, 4), 1234);
	ck_assert_uint_eq(get(&r, 4), 5678);
	get(&r, 8); /* nlink */
	get(&r, 8); /* rdev */
	ck_assert_uint_eq(get(&r, 8), 13);
	ck_assert_int_eq(clunk(&s, 2), 0);
	/* setattr: size and mode land on the host file */
	ck_assert_int_eq(walk(&s, 0, 3, &n, 1, "a.txt"), 0);
	begin(&m, TSETATTR);
	put(&m, 3, 4);
	put(&m, 0x1 | 0x8, 4);
	put(&m, 0600, 4);
	put(&m, 0, 4);
	put(&m, 0, 4);
	put(&m, 5, 8);
	for (int i = 0; i < 4; i++)
		put(&m, 0, 8);
	ck_assert_int_eq(rpc(&s, &m, &r), 0);
	free(data);
	data = host_file(&s, "a.txt");
	ck_assert_str_eq(data, "hello");
	ck_assert_int_eq(lstat(host_a, &st), 0);
	{
		ml_autofree char *pa = ml_xasprintf("%s/a.txt", s.root);
		ck_assert_int_eq(lstat(pa, &st), 0);
		ck_assert_uint_eq(st.st_mode & 0777, 0600);
	}
	/* mkdir, rename into it, readdir sees it, unlink removes it */
	ck_assert_int_eq(mkdir_in(&s, 0, "d"), 0);
	ck_assert(host_exists(&s, "d"));
	ck_assert_int_eq(walk(&s, 0, 4, &n, 1, "d"), 0);
	begin(&m, TRENAMEAT);
	put(&m, 0, 4);
	put_str(&m, "a.txt");
	put(&m, 4, 4);
	put_str(&m, "moved.txt");
	ck_assert_int_eq(rpc(&s, &m, &r), 0);
	ck_assert(!host_exists(&s, "a.txt"));
	ck_assert(host_exists(&s, "d/moved.txt"));
	ck_assert_int_eq(walk(&s, 4, 5, &n, 0), 0);
	ck_assert_int_eq(lopen(&s, 5, O_RDONLY | O_DIRECTORY), 0);
	begin(&m, TREADDIR);
	put(&m, 5, 4);
	put(&m, 0, 8);
	put(&m, 4096, 4);
	ck_assert_int_eq(rpc(&s, &m, &r), 0);
	{
		uint32_t count = (uint32_t)get(&r, 4);
		bool seen = false;

		while (r.off < 4 + (size_t)count) {
			uint16_t len;

			r.off += 13 + 8 + 1;
			len = (uint16_t)get(&r, 2);
			if (len == 9 && !memcmp(r.b + r.off, "moved.txt", 9))
				seen = true;
			r.off += len;
		}
		ck_assert(seen);
	}
	ck_assert_int_eq(clunk(&s, 5), 0);
	begin(&m, TUNLINKAT);
	put(&m, 4, 4);
	put_str(&m, "moved.txt");
	put(&m, 0, 4);
	ck_assert_int_eq(rpc(&s, &m, &r), 0);
	ck_assert(!host_exists(&s, "d/moved.txt"));
	/* Tremove of the directory's fid removes it and clunks the fid */
	ck_assert_int_eq(fid_op(&s, TREMOVE, 4, &r), 0);
	ck_assert(!host_exists(&s, "d"));
	ck_assert_int_eq(clunk(&s, 4), EBADF);
	/* symlink and readlink: the link is text, kept as given */
	begin(&m, TSYMLINK);
	put(&m, 0, 4);
	put_str(&m, "l");
	put_str(&m, "b.txt");
	put(&m, 0, 4);
	ck_assert_int_eq(rpc(&s, &m, &r), 0);
	ck_assert_uint_eq(get(&r, 1), 0x02);
	ck_assert_int_eq(walk(&s, 0, 6, &n, 1, "l"), 0);
	ck_assert_int_eq(fid_op(&s, TREADLINK, 6, &r), 0);
	ck_assert_uint_eq(get(&r, 2), 5);
	ck_assert(!memcmp(r.b + r.off, "b.txt", 5));
	/* a hard link */
	ck_assert_int_eq(walk(&s, 0, 7, &n, 1, "b.txt"), 0);
	begin(&m, TLINK);
	put(&m, 0, 4);
	put(&m, 7, 4);
	put_str(&m, "hard");
	ck_assert_int_eq(rpc(&s, &m, &r), 0);
	free(data);
	data = host_file(&s, "hard");
	ck_assert_str_eq(data, "from the host");
	/* statfs answers; mknod is refused; xattrs are none; unknown
	 * messages are not supported */
	ck_assert_int_eq(fid_op(&s, TSTATFS, 0, &r), 0);
	ck_assert_uint_eq(get(&r, 4), 0x01021997);
	begin(&m, TMKNOD);
	put(&m, 0, 4);
	put_str(&m, "dev");
	put(&m, 020644, 4);
	put(&m, 1, 4);
	put(&m, 3, 4);
	put(&m, 0, 4);
	ck_assert_int_eq(rpc(&s, &m, &r), EPERM);
	ck_assert(!host_exists(&s, "dev"));
	begin(&m, TXATTRWALK);
	put(&m, 0, 4);
	put(&m, 8, 4);
	put_str(&m, "user.x");
	ck_assert_int_eq(rpc(&s, &m, &r), ENODATA);
	begin(&m, TLOCK);
	put(&m, 7, 4);
	put(&m, 1, 1);
	put(&m, 0, 4);
	put(&m, 0, 8);
	put(&m, 0, 8);
	put(&m, 42, 4);
	put_str(&m, "guest");
	ck_assert_int_eq(rpc(&s, &m, &r), 0);
	ck_assert_uint_eq(get(&r, 1), 0);
	begin(&m, 200);
	ck_assert_int_eq(rpc(&s, &m, &r), EOPNOTSUPP);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

START_TEST(test_p9_confined)
{
	struct srv s;
	struct msg m;
	struct reply r;
	ml_autofree char *rel = NULL, *abs = NULL, *absdir = NULL;
	int n = -1;

	srv_start(&s, 0);
	rel = ml_xasprintf("%s/out", s.root);
	ck_assert_int_eq(symlink("../outside", rel), 0);
	abs = ml_xasprintf("%s/abs", s.root);
	ck_assert_int_eq(symlink(s.secret, abs), 0);
	absdir = ml_xasprintf("%s/absdir", s.root);
	ck_assert_int_eq(symlink(s.outside, absdir), 0);
	ck_assert_int_eq(mkdir_in(&s, 0, "x"), EPROTO); /* before Tversion */
	version_attach(&s);
	ck_assert_int_eq(mkdir_in(&s, 0, "d"), 0);

	/* ".." past the root */
	ck_assert_int_eq(walk(&s, 0, 1, &n, 1, ".."), EXDEV);
	ck_assert_int_eq(walk(&s, 0, 1, &n, 3, "d", "..", ".."), 0);
	ck_assert_int_eq(n, 2); /* stopped there, newfid not made */
	ck_assert_int_eq(clunk(&s, 1), EBADF);
	ck_assert_int_eq(walk(&s, 0, 1, &n, 3, "..", "outside", "secret"),
			 EXDEV);
	ck_assert_int_eq(walk(&s, 0, 1, &n, 1, "d/../.."), EINVAL);
	/* names of new entries are one component */
	ck_assert_int_eq(lcreate(&s, 0, "../outside/new", O_RDWR), EINVAL);
	ck_assert_int_eq(lcreate(&s, 0, "..", O_RDWR), EINVAL);
	ck_assert_int_eq(mkdir_in(&s, 0, "../made"), EINVAL);

	/* a relative symlink out of the root: its own qid, never followed */
	ck_assert_int_eq(walk(&s, 0, 2, &n, 1, "out"), 0);
	ck_assert_int_eq(walk(&s, 0, 3, &n, 2, "out", "secret"), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(lopen(&s, 2, O_RDONLY), ELOOP);
	/* a fid on a link is the link, not a directory */
	ck_assert_int_eq(mkdir_in(&s, 2, "made"), ENOTDIR);
	ck_assert_int_eq(lcreate(&s, 2, "new", O_RDWR), ELOOP);

	/* an absolute symlink to a file outside: not opened, not written,
	 * not truncated through */
	ck_assert_int_eq(walk(&s, 0, 4, &n, 1, "abs"), 0);
	ck_assert_int_eq(lopen(&s, 4, O_RDONLY), ELOOP);
	ck_assert_int_eq(lopen(&s, 4, O_WRONLY | O_TRUNC), ELOOP);
	ck_assert_int_eq(walk(&s, 0, 5, &n, 0), 0);
	ck_assert_int_eq(lcreate(&s, 5, "abs", O_WRONLY | O_TRUNC), ELOOP);
	begin(&m, TSETATTR);
	put(&m, 4, 4);
	put(&m, 0x1 | 0x8, 4);
	put(&m, 0777, 4);
	put(&m, 0, 4);
	put(&m, 0, 4);
	put(&m, 0, 8);
	for (int i = 0; i < 4; i++)
		put(&m, 0, 8);
	ck_assert_int_eq(rpc(&s, &m, &r), EINVAL);
	/* ... and a directory outside through one */
	ck_assert_int_eq(walk(&s, 0, 6, &n, 1, "absdir"), 0);
	ck_assert_int_eq(mkdir_in(&s, 6, "made"), ENOTDIR);
	ck_assert_int_eq(lcreate(&s, 6, "new", O_RDWR), ELOOP);
	begin(&m, TUNLINKAT);
	put(&m, 6, 4);
	put_str(&m, "secret");
	put(&m, 0, 4);
	ck_assert_int_eq(rpc(&s, &m, &r), ENOTDIR);
	begin(&m, TRENAMEAT);
	put(&m, 6, 4);
	put_str(&m, "secret");
	put(&m, 0, 4);
	put_str(&m, "stolen");
	ck_assert_int_eq(rpc(&s, &m, &r), ENOTDIR);
	ck_assert(!host_exists(&s, "stolen"));
	/* removing the link removes the link, not what it names */
	ck_assert_int_eq(fid_op(&s, TREMOVE, 4, &r), 0);
	ck_assert(!host_exists(&s, "abs"));
	{
		ml_autofree char *made = ml_xasprintf("%s/made", s.outside);
		ml_autofree char *newf = ml_xasprintf("%s/new", s.outside);
		struct stat st;

		ck_assert_int_ne(lstat(made, &st), 0);
		ck_assert_int_ne(lstat(newf, &st), 0);
	}
	ck_assert_int_eq(srv_stop(&s), 0); /* and the secret is intact */
}
END_TEST

START_TEST(test_p9_fid_limit)
{
	struct srv s;
	int n;

	srv_start(&s, 4);
	version_attach(&s); /* fid 0 */
	ck_assert_int_eq(walk(&s, 0, 1, &n, 0), 0);
	ck_assert_int_eq(walk(&s, 0, 2, &n, 0), 0);
	ck_assert_int_eq(walk(&s, 0, 3, &n, 0), 0);
	ck_assert_int_eq(walk(&s, 0, 4, &n, 0), EMFILE);
	ck_assert_int_eq(mkdir_in(&s, 0, "d"), 0); /* still serving */
	ck_assert_int_eq(clunk(&s, 3), 0);
	ck_assert_int_eq(walk(&s, 0, 4, &n, 0), 0);
	/* a fid in use is not taken again */
	ck_assert_int_eq(clunk(&s, 4), 0);
	ck_assert_int_eq(walk(&s, 0, 1, &n, 0), EBADF);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

START_TEST(test_p9_oversized_message)
{
	struct srv s;
	struct msg m;
	struct reply r;
	uint8_t hdr[11];
	ml_autofree char *big = NULL;

	srv_start(&s, 0);
	version_attach(&s);
	/* a read asking more than fits is cut to the msize */
	big = ml_xmalloc(MSIZE * 2);
	memset(big, 'x', MSIZE * 2 - 1);
	big[MSIZE * 2 - 1] = '\0';
	{
		ml_autofree char *p = ml_xasprintf("%s/big", s.root);
		ck_assert_int_eq(ml_write_file_atomic(p, big, MSIZE * 2 - 1,
						      0644),
				 0);
	}
	ck_assert_int_eq(walk(&s, 0, 1, NULL, 1, "big"), 0);
	ck_assert_int_eq(lopen(&s, 1, O_RDWR), 0);
	begin(&m, TREAD);
	put(&m, 1, 4);
	put(&m, 0, 8);
	put(&m, MSIZE * 2, 4);
	ck_assert_int_eq(rpc(&s, &m, &r), 0);
	ck_assert_uint_eq(get(&r, 4), MSIZE - 11);
	/* a message over msize: Rlerror EMSGSIZE, then the end */
	begin(&m, TWRITE);
	put(&m, 1, 4);
	put(&m, 0, 8);
	put(&m, MSIZE, 4);
	m.len += MSIZE;
	m.b[0] = (uint8_t)m.len;
	m.b[1] = (uint8_t)(m.len >> 8);
	m.b[2] = 0;
	m.b[3] = 0;
	ck_assert_int_eq(write(s.fd, m.b, 7), 7);
	read_exact(s.fd, hdr, 11);
	ck_assert_uint_eq(hdr[4], RLERROR);
	ck_assert_uint_eq(hdr[7] | hdr[8] << 8, EMSGSIZE);
	ck_assert_int_eq(read(s.fd, hdr, 1), 0);
	ck_assert_int_eq(srv_stop(&s), 3);
}
END_TEST

/* The decoder on messages cut short or lying about their size. */
START_TEST(test_p9_truncated_messages)
{
	char dir[] = "/tmp/ml-test-p9t.XXXXXX";
	struct ml_p9 *p9 = NULL;
	uint8_t resp[MSIZE];
	/* Tversion msize=8192 "9P2000.L" */
	uint8_t ver[] = { 21, 0, 0,   0,   100, 1,   0,	  0,   0x20, 0,	 0,
			  8,  0, '9', 'P', '2', '0', '0', '0', '.',  'L' };
	/* Twalk whose name's length runs past the end */
	uint8_t walk_bad[] = { 19, 0, 0, 0, 110, 1, 0, 0, 0, 0,
			       0,  1, 0, 0, 0,	 1, 0, 9, 0 };

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(ml_p9_new(dir, NULL, &p9), 0);
	ck_assert_uint_eq(ml_p9_handle(p9, ver, 3, resp), 0);
	ck_assert_uint_eq(ml_p9_handle(p9, ver, sizeof(ver) - 1, resp), 0);
	ck_assert_uint_eq(ml_p9_handle(p9, ver, sizeof(ver), resp), 21);
	ck_assert_uint_eq(resp[4], 101);
	ck_assert_uint_eq(ml_p9_handle(p9, walk_bad, sizeof(walk_bad), resp),
			  11);
	ck_assert_uint_eq(resp[4], RLERROR);
	ck_assert_uint_eq(resp[7], EPROTO);
	p9 = ml_p9_free(p9);
	ck_assert_int_lt(ml_p9_new("/nonexistent/ml-p9", NULL, &p9), 0);
	ml_err_clear();
	rmdir(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("p9");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_p9_file_round_trips);
	tcase_add_test(tc, test_p9_confined);
	tcase_add_test(tc, test_p9_fid_limit);
	tcase_add_test(tc, test_p9_oversized_message);
	tcase_add_test(tc, test_p9_truncated_messages);
	suite_add_tcase(s, tc);
	return ml_check_run(s);
}
