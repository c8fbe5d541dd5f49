/* machine/p9.c: the 9P2000.L codec and file server of `minilaunch mount`. */
#include "config.h"

#include "machine/p9.h"

#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

/* message types (Linux include/net/9p/9p.h) */
enum {
	TLERROR = 6,
	RLERROR = 7,
	TSTATFS = 8,
	TLOPEN = 12,
	TLCREATE = 14,
	TSYMLINK = 16,
	TMKNOD = 18,
	TRENAME = 20,
	TREADLINK = 22,
	TGETATTR = 24,
	TSETATTR = 26,
	TXATTRWALK = 30,
	TXATTRCREATE = 32,
	TREADDIR = 40,
	TFSYNC = 50,
	TLOCK = 52,
	TGETLOCK = 54,
	TLINK = 70,
	TMKDIR = 72,
	TRENAMEAT = 74,
	TUNLINKAT = 76,
	TVERSION = 100,
	TAUTH = 102,
	TATTACH = 104,
	TFLUSH = 108,
	TWALK = 110,
	TREAD = 116,
	TWRITE = 118,
	TCLUNK = 120,
	TREMOVE = 122,
};

#define HDR 7u /* size[4] type[1] tag[2] */
#define QID_DIR 0x80
#define QID_SYMLINK 0x02
#define MAX_WALK 16
#define NOFID 0xffffffffu
#define V9FS_MAGIC 0x01021997
#define FID_BUCKETS 256

/* Tsetattr valid bits */
#define SA_MODE 0x1
#define SA_SIZE 0x8
#define SA_ATIME 0x10
#define SA_MTIME 0x20
#define SA_ATIME_SET 0x80
#define SA_MTIME_SET 0x100

struct fid {
	struct fid *next;
	uint32_t num;
	char *path; /* relative to the root, normalised; "" is the root */
	int fd;	    /* opened by Tlopen/Tlcreate, else -1 */
	bool dir;
};

struct ml_p9 {
	int root;
	struct ml_p9_options o;
	uint32_t msize; /* negotiated, or o.msize before Tversion */
	unsigned nfids;
	struct fid *fids[FID_BUCKETS];
};

/* ---- the codec ---- */

struct rd {
	const uint8_t *p;
	size_t len, off;
	bool bad;
};

static const uint8_t *
rd_take(struct rd *r, size_t n)
{
	const uint8_t *p;

	if (r->bad || r->len - r->off < n) {
		r->bad = true;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

static uint64_t
rd_int(struct rd *r, size_t n)
{
	const uint8_t *p = rd_take(r, n);
	uint64_t v = 0;

	if (!p)
		return 0;
	for (size_t i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static uint8_t
rd8(struct rd *r)
{
	return (uint8_t)rd_int(r, 1);
}

static uint16_t
rd16(struct rd *r)
{
	return (uint16_t)rd_int(r, 2);
}

static uint32_t
rd32(struct rd *r)
{
	return (uint32_t)rd_int(r, 4);
}

static uint64_t
rd64(struct rd *r)
{
	return rd_int(r, 8);
}

/* A string, NUL-terminated in a copy the caller frees; NULL when the
 * message ends early or the string holds a NUL. */
static char *
rd_str(struct rd *r)
{
	uint16_t n = rd16(r);
	const uint8_t *p = rd_take(r, n);

	if (!p || memchr(p, 0, n)) {
		r->bad = true;
		return NULL;
	}
	return ml_xstrndup((const char *)p, n);
}

struct wr {
	uint8_t *p;
	size_t len, cap;
	bool over;
};

static uint8_t *
wr_take(struct wr *w, size_t n)
{
	uint8_t *p;

	if (w->over || w->cap - w->len < n) {
		w->over = true;
		return NULL;
	}
	p = w->p + w->len;
	w->len += n;
	return p;
}

static void
wr_int(struct wr *w, uint64_t v, size_t n)
{
	uint8_t *p = wr_take(w, n);

	if (!p)
		return;
	for (size_t i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

#define wr8(w, v) wr_int(w, v, 1)
#define wr16(w, v) wr_int(w, v, 2)
#define wr32(w, v) wr_int(w, v, 4)
#define wr64(w, v) wr_int(w, v, 8)

static void
wr_str(struct wr *w, const char *s)
{
	size_t n = strlen(s);
	uint8_t *p;

	if (n > UINT16_MAX) {
		w->over = true;
		return;
	}
	wr16(w, n);
	p = wr_take(w, n);
	if (p)
		memcpy(p, s, n);
}

static void
wr_qid(struct wr *w, const struct stat *st)
{
	uint8_t type = S_ISDIR(st->st_mode)   ? QID_DIR
		       : S_ISLNK(st->st_mode) ? QID_SYMLINK
					      : 0;

	wr8(w, type);
	wr32(w, 0);
	/* the device mixed in: a mount point below the root has inodes of
	 * its own that would otherwise collide in the guest's cache */
	wr64(w, (uint64_t)st->st_ino ^ ((uint64_t)st->st_dev << 48));
}

/* ---- fids ---- */

static struct fid **
fid_slot(struct ml_p9 *s, uint32_t num)
{
	struct fid **f = &s->fids[num % FID_BUCKETS];

	while (*f && (*f)->num != num)
		f = &(*f)->next;
	return f;
}

static struct fid *
fid_get(struct ml_p9 *s, uint32_t num)
{
	return *fid_slot(s, num);
}

/* A new fid num for path (taken), or an errno when num is in use or the
 * limit is reached. */
static int
fid_add(struct ml_p9 *s, uint32_t num, char *path, struct fid **ret)
{
	struct fid **slot = fid_slot(s, num);
	struct fid *f;

	if (*slot || num == NOFID) {
		free(path);
		return EBADF;
	}
	if (s->nfids >= s->o.max_fids) {
		free(path);
		return EMFILE;
	}
	f = ml_xmalloc(sizeof(*f));
	*f = (struct fid){ .num = num, .path = path, .fd = -1 };
	*slot = f;
	s->nfids++;
	if (ret)
		*ret = f;
	return 0;
}

static void
fid_del(struct ml_p9 *s, uint32_t num)
{
	struct fid **slot = fid_slot(s, num);
	struct fid *f = *slot;

	if (!f)
		return;
	*slot = f->next;
	if (f->fd >= 0)
		close(f->fd);
	free(f->path);
	free(f);
	s->nfids--;
}

void
ml_p9_reset(struct ml_p9 *s)
{
	for (size_t i = 0; i < FID_BUCKETS; i++)
		while (s->fids[i])
			fid_del(s, s->fids[i]->num);
	s->msize = s->o.msize;
}

/* ---- confined resolution ---- */

/*
 * path relative to the root ("" is the root itself), opened with flags one
 * component at a time from the root's descriptor, each with O_NOFOLLOW:
 * a symlink on the way is ELOOP, the last one is opened itself (O_PATH)
 * or refused (ELOOP). Paths are normalised (path_join), so no "." or ".."
 * is left to climb with. Returns fd or -errno.
 */
static int
open_beneath(struct ml_p9 *s, const char *path, int flags, mode_t mode)
{
	ml_autofree char *copy = ml_xstrdup(*path ? path : ".");
	char *comp = copy, *slash;
	int dfd = s->root, fd;

	flags |= O_CLOEXEC | O_NOFOLLOW;
	while ((slash = strchr(comp, '/'))) {
		struct stat st;

		*slash = '\0';
		if (!*comp || !strcmp(comp, ".") || !strcmp(comp, ".."))
			fd = -EINVAL;
		else if ((fd = openat(dfd, comp,
				      O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0)
			fd = -errno;
		else if (fstat(fd, &st) < 0) {
			int e = errno;

			close(fd);
			fd = -e;
		} else if (!S_ISDIR(st.st_mode)) {
			close(fd);
			fd = S_ISLNK(st.st_mode) ? -ELOOP : -ENOTDIR;
		}
		if (dfd != s->root)
			close(dfd);
		if (fd < 0)
			return fd;
		dfd = fd;
		comp = slash + 1;
	}
	if (!strcmp(comp, "..") || !*comp)
		fd = -EINVAL;
	else if ((fd = openat(dfd, comp, flags, mode & 07777)) < 0)
		fd = -errno;
	if (dfd != s->root)
		close(dfd);
	return fd;
}

/* One component for a new entry: not empty, no '/', not "." or "..". */
static bool
name_ok(const char *name)
{
	return name && *name && !strchr(name, '/') && strcmp(name, ".") &&
	       strcmp(name, "..");
}

/* base + "/" + name, normalised: "." stays, ".." drops the last
 * component; NULL with *err set when ".." would leave the root or the
 * name is not a component. Caller frees. */
static char *
path_join(const char *base, const char *name, int *err)
{
	if (!name || !*name || strchr(name, '/')) {
		*err = EINVAL;
		return NULL;
	}
	if (!strcmp(name, "."))
		return ml_xstrdup(base);
	if (!strcmp(name, "..")) {
		const char *slash = strrchr(base, '/');

		if (!*base) {
			*err = EXDEV;
			return NULL;
		}
		return slash ? ml_xstrndup(base, (size_t)(slash - base))
			     : ml_xstrdup("");
	}
	if (strlen(base) + strlen(name) + 2 > PATH_MAX) {
		*err = ENAMETOOLONG;
		return NULL;
	}
	return *base ? ml_xasprintf("%s/%s", base, name) : ml_xstrdup(name);
}

/* lstat of a fid's path, through an O_PATH descriptor. */
static int
stat_path(struct ml_p9 *s, const char *path, struct stat *st)
{
	int fd = open_beneath(s, path, O_PATH, 0), r = 0;

	if (fd < 0)
		return -fd;
	if (fstat(fd, st) < 0)
		r = errno;
	close(fd);
	return r;
}

/* The directory fid's path opened for *at calls. */
static int
dir_fd(struct ml_p9 *s, struct fid *f)
{
	return open_beneath(s, f->path, O_PATH | O_DIRECTORY, 0);
}

/* ---- handlers: each returns 0 with the reply body written, or an
 * errno for Rlerror ---- */

static int
do_version(struct ml_p9 *s, struct rd *r, struct wr *w)
{
	uint32_t msize = rd32(r);
	ml_autofree char *version = rd_str(r);

	if (r->bad)
		return EPROTO;
	ml_p9_reset(s);
	if (msize > s->o.msize)
		msize = s->o.msize;
	if (msize < 512)
		return EINVAL;
	s->msize = msize;
	wr32(w, msize);
	wr_str(w, strncmp(version, "9P2000.L", 8) ? "unknown" : "9P2000.L");
	return 0;
}

static int
do_attach(struct ml_p9 *s, struct rd *r, struct wr *w)
{
	uint32_t fid = rd32(r);
	struct stat st;
	int e;

	rd32(r); /* afid: no authentication */
	free(rd_str(r));
	free(rd_str(r));
	if (r->bad)
		return EPROTO;
	if ((e = stat_path(s, "", &st)))
		return e;
	if ((e = fid_add(s, fid, ml_xstrdup(""), NULL)))
		return e;
	wr_qid(w, &st);
	return 0;
}

static int
do_walk(struct ml_p9 *s, struct rd *r, struct wr *w)
{
	uint32_t fid = rd32(r), newfid = rd32(r);
	uint16_t n = rd16(r);
	struct fid *f = fid_get(s, fid);
	char *names[MAX_WALK] = { 0 };
	char *path = NULL;
	struct wr count;
	int e = 0, done = 0;

	if (n > MAX_WALK)
		return EINVAL;
	for (int i = 0; i < n; i++)
		names[i] = rd_str(r);
	if (r->bad) {
		e = EPROTO;
		goto out;
	}
	if (!f) {
		e = EBADF;
		goto out;
	}
	if (newfid != fid && fid_get(s, newfid)) {
		e = EBADF;
		goto out;
	}
	if (f->fd >= 0) {
		/* an opened fid may not be walked (9P) */
		e = EBADF;
		goto out;
	}
	count = *w;
	wr16(w, 0);
	path = ml_xstrdup(f->path);
	for (; done < n; done++) {
		struct stat st;
		char *next = path_join(path, names[done], &e);

		if (next && (e = stat_path(s, next, &st))) {
			free(next);
			next = NULL;
		}
		if (!next)
			break;
		free(path);
		path = next;
		wr_qid(w, &st);
	}
	if (done < n) {
		/* the first element's error is the reply; later ones return
		 * the qids walked and leave newfid unset */
		if (done == 0)
			goto out;
		e = 0;
		wr16(&count, (uint16_t)done);
		goto out;
	}
	e = 0;
	wr16(&count, (uint16_t)done);
	if (newfid == fid) {
		free(f->path);
		f->path = path;
		path = NULL;
	} else {
		e = fid_add(s, newfid, path, NULL);
		path = NULL;
	}
out:
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(path);
	return e;
}

static void
wr_attr(struct ml_p9 *s, struct wr *w, const struct stat *st)
{
	wr64(w, 0x7ff); /* P9_STATS_BASIC */
	wr_qid(w, st);
	wr32(w, st->st_mode);
	wr32(w, s->o.uid);
	wr32(w, s->o.gid);
	wr64(w, st->st_nlink);
	wr64(w, st->st_rdev);
	wr64(w, (uint64_t)st->st_size);
	wr64(w, (uint64_t)st->st_blksize);
	wr64(w, (uint64_t)st->st_blocks);
	wr64(w, (uint64_t)st->st_atim.tv_sec);
	wr64(w, (uint64_t)st->st_atim.tv_nsec);
	wr64(w, (uint64_t)st->st_mtim.tv_sec);
	wr64(w, (uint64_t)st->st_mtim.tv_nsec);
	wr64(w, (uint64_t)st->st_ctim.tv_sec);
	wr64(w, (uint64_t)st->st_ctim.tv_nsec);
	wr64(w, 0); /* btime, gen, data_version: not kept */
	wr64(w, 0);
	wr64(w, 0);
	wr64(w, 0);
}

static int
do_getattr(struct ml_p9 *s, struct rd *r, struct wr *w)
{
	struct fid *f = fid_get(s, rd32(r));
	struct stat st;
	int e;

	rd64(r);
	if (r->bad)
		return EPROTO;
	if (!f)
		return EBADF;
	if (f->fd >= 0)
		e = fstat(f->fd, &st) < 0 ? errno : 0;
	else
		e = stat_path(s, f->path, &st);
	if (e)
		return e;
	wr_attr(s, w, &st);
	return 0;
}

static int
do_setattr(struct ml_p9 *s, struct rd *r, struct wr *w)
{
	struct fid *f = fid_get(s, rd32(r));
	uint32_t valid = rd32(r), mode = rd32(r);
	uint64_t size, at_s, at_ns, mt_s, mt_ns;
	struct timespec ts[2];
	char proc[64];
	struct stat st;
	int fd, e = 0;

	rd32(r); /* uid, gid: the guest sees o.uid/o.gid whatever it sets */
	rd32(r);
	size = rd64(r);
	at_s = rd64(r);
	at_ns = rd64(r);
	mt_s = rd64(r);
	mt_ns = rd64(r);
	(void)w;
	if (r->bad)
		return EPROTO;
	if (!f)
		return EBADF;
	fd = open_beneath(s, f->path, O_PATH, 0);
	if (fd < 0)
		return -fd;
	if (fstat(fd, &st) < 0) {
		e = errno;
		goto out;
	}
	/* the descriptor's own inode, not a name that could change: the
	 * magic link is ours, never a guest's */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if ((valid & SA_MODE) && !S_ISLNK(st.st_mode) &&
	    chmod(proc, mode & 07777) < 0) {
		e = errno;
		goto out;
	}
	if (valid & SA_SIZE) {
		if (!S_ISREG(st.st_mode)) {
			e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
			goto out;
		}
		if (size > INT64_MAX || truncate(proc, (off_t)size) < 0) {
			e = size > INT64_MAX ? EFBIG : errno;
			goto out;
		}
	}
	if ((valid & (SA_ATIME | SA_MTIME)) && !S_ISLNK(st.st_mode)) {
		ts[0].tv_nsec = UTIME_OMIT;
		ts[1].tv_nsec = UTIME_OMIT;
		if (valid & SA_ATIME) {
			ts[0].tv_sec = (time_t)at_s;
			ts[0].tv_nsec = (valid & SA_ATIME_SET) ? (long)at_ns
							       : UTIME_NOW;
		}
		if (valid & SA_MTIME) {
			ts[1].tv_sec = (time_t)mt_s;
			ts[1].tv_nsec = (valid & SA_MTIME_SET) ? (long)mt_ns
							       : UTIME_NOW;
		}
		if (utimensat(AT_FDCWD, proc, ts, 0) < 0)
			e = errno;
	}
out:
	close(fd);
	return e;
}

/* Linux open flags from the guest's, keeping what a file server may do. */
static int
open_flags(uint32_t flags)
{
	return (int)(flags & (O_ACCMODE | O_TRUNC | O_APPEND | O_DIRECTORY |
			      O_DSYNC | O_SYNC)) |
	       O_NOCTTY;
}

static uint32_t
iounit(struct ml_p9 *s)
{
	return s->msize - HDR - 4;
}

static int
do_lopen(struct ml_p9 *s, struct rd *r, struct wr *w)
{
	struct fid *f = fid_get(s, rd32(r));
	uint32_t flags = rd32(r);
	struct stat st;
	int fd;

	if (r->bad)
		return EPROTO;
	if (!f)
		return EBADF;
	if (f->fd >= 0)
		return EBADF;
	fd = open_beneath(s, f->path, open_flags(flags), 0);
	if (fd < 0)
		return -fd;
	if (fstat(fd, &st) < 0) {
		int e = errno;

		close(fd);
		return e;
	}
	f->fd = fd;
	f->dir = S_ISDIR(st.st_mode);
	wr_qid(w, &st);
	wr32(w, iounit(s));
	return 0;
}

static int
do_lcreate(struct ml_p9 *s, struct rd *r, struct wr *w)
{
	struct fid *f = fid_get(s, rd32(r));
	ml_autofree char *name = rd_str(r);
	uint32_t flags = rd32(r), mode = rd32(r);
	char *path;
	struct stat st;
	int fd, e = 0;

	rd32(r); /* gid */
	if (r->bad)
		return EPROTO;
	if (!f)
		return EBADF;
	if (f->fd >= 0)
		return EBADF;
	if (!name_ok(name))
		return EINVAL;
	if (!(path = path_join(f->path, name, &e)))
		return e;
	fd = open_beneath(s, path, (open_flags(flags) & ~O_DIRECTORY) | O_CREAT,
			  mode);
	if (fd < 0) {
		free(path);
		return -fd;
	}
	if (fstat(fd, &st) < 0) {
		e = errno;
		free(path);
		close(fd);
		return e;
	}
	/* the fid now stands for the new file, opened */
	free(f->path);
	f->path = path;
	f->fd = fd;
	f->dir = false;
	wr_qid(w, &st);
	wr32(w, iounit(s));
	return 0;
}

/* Stats name in the directory descriptor dfd and writes its qid. */
static int
qid_at(int dfd, const char *name, struct wr *w)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno;
	wr_qid(w, &st);
	return 0;
}

/*
 * A request on an entry name in the directory fid d: checked in the order
 * its errors are answered (a cut message, an unknown fid, a bad name),
 * then d's directory opened in *ret_dfd. 0, or the errno to answer.
 */
static int
entry_in(struct ml_p9 *s, const struct rd *r, struct fid *d,
	 const char *name, int *ret_dfd)
{
	if (r->bad)
		return EPROTO;
	if (!d)
		return EBADF;
	if (!name_ok(name))
		return EINVAL;
	if ((*ret_dfd = dir_fd(s, d)) < 0)
		return -*ret_dfd;
	return 0;
}

static int
do_symlink(struct ml_p9 *s, struct rd *r, struct wr *w)
{
	struct fid *f = fid_get(s, rd32(r));
	ml_autofree char *name = rd_str(r);
	ml_autofree char *target = rd_str(r);
	ml_autoclose int dfd = -1;
	int e;

	rd32(r);
	if ((e = entry_in(s, r, f, name, &dfd)))
		return e;
	/* the link is only text: the server never follows one */
	if (!*target)
		return EINVAL;
	if (symlinkat(target, dfd, name) < 0)
		return errno;
	return qid_at(dfd, name, w);
}

static int
do_mkdir(struct ml_p9 *s, struct rd *r, struct wr *w)
{
	struct fid *f = fid_get(s, rd32(r));
	ml_autofree char *name = rd_str(r);
	uint32_t mode = rd32(r);
	ml_autoclose int dfd = -1;
	int e;

	rd32(r);
	if ((e = entry_in(s, r, f, name, &dfd)))
		return e;
	if (mkdirat(dfd, name, mode & 07777) < 0)
		return errno;
	return qid_at(dfd, name, w);
}

static int
do_readlink(struct ml_p9 *s, struct rd *r, struct wr *w)
{
	struct fid *f = fid_get(s, rd32(r));
	char buf[PATH_MAX];
	ml_autoclose int fd = -1;
	ssize_t n;

	if (r->bad)
		return EPROTO;
	if (!f)
		return EBADF;
	if ((fd = open_beneath(s, f->path, O_PATH, 0)) < 0)
		return -fd;
	n = readlinkat(fd, "", buf, sizeof(buf) - 1);
	if (n < 0)
		return errno;
	buf[n] = '\0';
	wr_str(w, buf);
	return 0;
}

static int
do_read(struct ml_p9 *s, struct rd *r, struct wr *w)
{
	struct fid *f = fid_get(s, rd32(r));
	uint64_t off = rd64(r);
	uint32_t count = rd32(r);
	uint8_t *data;
	ssize_t n;

	if (r->bad)
		return EPROTO;
	if (!f || f->fd < 0)
		return EBADF;
	if (f->dir)
		return EISDIR;
	if (count > iounit(s))
		count = iounit(s);
	if (off > INT64_MAX)
		return EINVAL;
	data = w->p + w->len + 4;
	if (w->cap - w->len < 4 + (size_t)count)
		return EMSGSIZE;
	n = pread(f->fd, data, count, (off_t)off);
	if (n < 0)
		return errno;
	wr32(w, (uint32_t)n);
	wr_take(w, (size_t)n);
	return 0;
}

static int
do_write(struct ml_p9 *s, struct rd *r, struct wr *w)
{
	struct fid *f = fid_get(s, rd32(r));
	uint64_t off = rd64(r);
	uint32_t count = rd32(r);
	const uint8_t *data = rd_take(r, count);
	ssize_t n;

	if (r->bad)
		return EPROTO;
	if (!f || f->fd < 0)
		return EBADF;
	if (off > INT64_MAX)
		return EINVAL;
	n = pwrite(f->fd, data, count, (off_t)off);
	if (n < 0)
		return errno;
	wr32(w, (uint32_t)n);
	return 0;
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int
do_readdir(struct ml_p9 *s, struct rd *r, struct wr *w)
{
	struct fid *f = fid_get(s, rd32(r));
	uint64_t off = rd64(r);
	uint32_t count = rd32(r);
	char buf[8192];
	struct wr count_at;
	size_t start;
	long n;

	if (r->bad)
		return EPROTO;
	if (!f || f->fd < 0)
		return EBADF;
	if (!f->dir)
		return ENOTDIR;
	if (count > iounit(s))
		count = iounit(s);
	if (off > INT64_MAX || lseek(f->fd, (off_t)off, SEEK_SET) < 0)
		return off > INT64_MAX ? EINVAL : errno;
	count_at = *w;
	wr32(w, 0);
	start = w->len;
	n = syscall(SYS_getdents64, f->fd, buf, sizeof(buf));
	if (n < 0)
		return errno;
	for (long pos = 0; pos < n;) {
		struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + pos);
		size_t len = strlen(d->d_name);
		uint8_t type = d->d_type == DT_DIR   ? QID_DIR
			       : d->d_type == DT_LNK ? QID_SYMLINK
						     : 0;

		if (w->len - start + 13 + 8 + 1 + 2 + len > count)
			break;
		wr8(w, type);
		wr32(w, 0);
		wr64(w, d->d_ino);
		wr64(w, (uint64_t)d->d_off);
		wr8(w, d->d_type);
		wr_str(w, d->d_name);
		pos += d->d_reclen;
	}
	wr32(&count_at, (uint32_t)(w->len - start));
	return 0;
}

static int
do_fsync(struct ml_p9 *s, struct rd *r, struct wr *w)
{
	struct fid *f = fid_get(s, rd32(r));

	(void)w;
	if (r->bad)
		return EPROTO;
	if (!f || f->fd < 0)
		return EBADF;
	return fsync(f->fd) < 0 ? errno : 0;
}

static int
do_statfs(struct ml_p9 *s, struct rd *r, struct wr *w)
{
	struct fid *f = fid_get(s, rd32(r));
	ml_autoclose int fd = -1;
	struct statfs sf;

	if (r->bad)
		return EPROTO;
	if (!f)
		return EBADF;
	if ((fd = open_beneath(s, f->path, O_PATH, 0)) < 0)
		return -fd;
	if (fstatfs(fd, &sf) < 0)
		return errno;
	wr32(w, V9FS_MAGIC);
	wr32(w, (uint32_t)sf.f_bsize);
	wr64(w, sf.f_blocks);
	wr64(w, sf.f_bfree);
	wr64(w, sf.f_bavail);
	wr64(w, sf.f_files);
	wr64(w, sf.f_ffree);
	wr64(w, 0);
	wr32(w, (uint32_t)sf.f_namelen);
	return 0;
}

/* The parent of a fid's path and its last component; the root has
 * none. */
static int
split_parent(struct ml_p9 *s, const char *path, int *ret_dfd,
	     const char **ret_name)
{
	const char *slash = strrchr(path, '/');
	ml_autofree char *parent = NULL;
	int dfd;

	if (!*path)
		return EBUSY;
	parent = slash ? ml_xstrndup(path, (size_t)(slash - path))
		       : ml_xstrdup("");
	dfd = open_beneath(s, parent, O_PATH | O_DIRECTORY, 0);
	if (dfd < 0)
		return -dfd;
	*ret_dfd = dfd;
	*ret_name = slash ? slash + 1 : path;
	return 0;
}

static int
unlink_entry(int dfd, const char *name)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno;
	if (unlinkat(dfd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0)
		return errno;
	return 0;
}

static int
do_remove(struct ml_p9 *s, struct rd *r, struct wr *w)
{
	uint32_t num = rd32(r);
	struct fid *f = fid_get(s, num);
	const char *name;
	int dfd = -1, e;

	(void)w;
	if (r->bad)
		return EPROTO;
	if (!f)
		return EBADF;
	e = split_parent(s, f->path, &dfd, &name);
	if (!e) {
		e = unlink_entry(dfd, name);
		close(dfd);
	}
	/* Tremove clunks the fid whatever happened */
	fid_del(s, num);
	return e;
}

static int
do_unlinkat(struct ml_p9 *s, struct rd *r, struct wr *w)
{
	struct fid *f = fid_get(s, rd32(r));
	ml_autofree char *name = rd_str(r);
	uint32_t flags = rd32(r);
	ml_autoclose int dfd = -1;
	int e;

	(void)w;
	if ((e = entry_in(s, r, f, name, &dfd)))
		return e;
	if (unlinkat(dfd, name, (int)(flags & AT_REMOVEDIR)) < 0)
		return errno;
	return 0;
}

static int
rename_in(struct ml_p9 *s, struct fid *from, const char *oldname,
	  struct fid *to, const char *newname)
{
	ml_autoclose int ofd = -1, nfd = -1;

	if (!name_ok(oldname) || !name_ok(newname))
		return EINVAL;
	if ((ofd = dir_fd(s, from)) < 0)
		return -ofd;
	if ((nfd = dir_fd(s, to)) < 0)
		return -nfd;
	if (renameat(ofd, oldname, nfd, newname) < 0)
		return errno;
	return 0;
}

static int
do_renameat(struct ml_p9 *s, struct rd *r, struct wr *w)
{
	struct fid *from = fid_get(s, rd32(r));
	ml_autofree char *oldname = rd_str(r);
	struct fid *to = fid_get(s, rd32(r));
	ml_autofree char *newname = rd_str(r);

	(void)w;
	if (r->bad)
		return EPROTO;
	if (!from || !to)
		return EBADF;
	return rename_in(s, from, oldname, to, newname);
}

/* Trename: fid's file moves into dfid as name; fid follows it. */
static int
do_rename(struct ml_p9 *s, struct rd *r, struct wr *w)
{
	struct fid *f = fid_get(s, rd32(r));
	struct fid *to = fid_get(s, rd32(r));
	ml_autofree char *name = rd_str(r);
	ml_autoclose int ofd = -1, nfd = -1;
	const char *old;
	char *path;
	int e = 0;

	(void)w;
	if (!f && !r->bad)
		return EBADF;
	if ((e = entry_in(s, r, to, name, &nfd)))
		return e;
	if ((e = split_parent(s, f->path, &ofd, &old)))
		return e;
	if (!(path = path_join(to->path, name, &e)))
		return e;
	if (renameat(ofd, old, nfd, name) < 0) {
		free(path);
		return errno;
	}
	free(f->path);
	f->path = path;
	return 0;
}

static int
do_link(struct ml_p9 *s, struct rd *r, struct wr *w)
{
	struct fid *d = fid_get(s, rd32(r));
	struct fid *f = fid_get(s, rd32(r));
	ml_autofree char *name = rd_str(r);
	ml_autoclose int dfd = -1, ofd = -1;
	const char *old;
	int e;

	(void)w;
	if (!f && !r->bad)
		return EBADF;
	if ((e = entry_in(s, r, d, name, &dfd)))
		return e;
	if ((e = split_parent(s, f->path, &ofd, &old)))
		return e;
	/* without AT_SYMLINK_FOLLOW: a link to a symlink is a symlink */
	if (linkat(ofd, old, dfd, name, 0) < 0)
		return errno;
	return 0;
}

static int
do_xattrwalk(struct ml_p9 *s, struct rd *r, struct wr *w)
{
	struct fid *f = fid_get(s, rd32(r));
	ml_autofree char *name = NULL;

	(void)w;
	rd32(r);
	name = rd_str(r);
	if (r->bad)
		return EPROTO;
	if (!f)
		return EBADF;
	/* no extended attributes: none to list, none by name */
	return *name ? ENODATA : EOPNOTSUPP;
}

static int
do_lock(struct ml_p9 *s, struct rd *r, struct wr *w)
{
	struct fid *f = fid_get(s, rd32(r));

	rd8(r);
	rd32(r);
	rd64(r);
	rd64(r);
	rd32(r);
	free(rd_str(r));
	if (r->bad)
		return EPROTO;
	if (!f)
		return EBADF;
	/* locks are the guest's business: one client, granted */
	wr8(w, 0);
	return 0;
}

static int
do_getlock(struct ml_p9 *s, struct rd *r, struct wr *w)
{
	struct fid *f = fid_get(s, rd32(r));
	uint64_t start, len;
	uint32_t pid;
	ml_autofree char *client = NULL;

	rd8(r);
	start = rd64(r);
	len = rd64(r);
	pid = rd32(r);
	client = rd_str(r);
	if (r->bad)
		return EPROTO;
	if (!f)
		return EBADF;
	wr8(w, 2); /* P9_LOCK_TYPE_UNLCK: nothing in the way */
	wr64(w, start);
	wr64(w, len);
	wr32(w, pid);
	wr_str(w, client);
	return 0;
}

static int
do_clunk(struct ml_p9 *s, struct rd *r, struct wr *w)
{
	uint32_t num = rd32(r);

	(void)w;
	if (r->bad)
		return EPROTO;
	if (!fid_get(s, num))
		return EBADF;
	fid_del(s, num);
	return 0;
}

static int
do_flush(struct ml_p9 *s, struct rd *r, struct wr *w)
{
	(void)s;
	(void)w;
	rd16(r);
	/* requests are answered in order, so the old one already was */
	return r->bad ? EPROTO : 0;
}

static void
put_header(uint8_t *p, uint32_t size, uint8_t type, uint16_t tag)
{
	p[0] = (uint8_t)size;
	p[1] = (uint8_t)(size >> 8);
	p[2] = (uint8_t)(size >> 16);
	p[3] = (uint8_t)(size >> 24);
	p[4] = type;
	p[5] = (uint8_t)tag;
	p[6] = (uint8_t)(tag >> 8);
}

/* Rlerror ecode[4] for tag, into resp; returns its length. */
static size_t
rlerror(uint8_t *resp, uint16_t tag, int e)
{
	put_header(resp, HDR + 4, RLERROR, tag);
	resp[7] = (uint8_t)e;
	resp[8] = (uint8_t)(e >> 8);
	resp[9] = (uint8_t)(e >> 16);
	resp[10] = (uint8_t)(e >> 24);
	return HDR + 4;
}

size_t
ml_p9_handle(struct ml_p9 *s, const uint8_t *req, size_t len, uint8_t *resp)
{
	struct rd r = { .p = req, .len = len };
	struct wr w = { .p = resp, .cap = s->msize };
	uint32_t size = rd32(&r);
	uint8_t type = rd8(&r);
	uint16_t tag = rd16(&r);
	int e;

	if (r.bad || size != len)
		return 0;
	w.len = HDR;
	if (len > (s->msize ? s->msize : ml_p9_msize_max(s))) {
		e = EMSGSIZE;
	} else if (type != TVERSION && s->msize == 0) {
		e = EPROTO;
	} else {
		switch (type) {
		case TVERSION:
			/* the reply may be as large as our own msize */
			w.cap = ml_p9_msize_max(s);
			e = do_version(s, &r, &w);
			break;
		case TATTACH:
			e = do_attach(s, &r, &w);
			break;
		case TWALK:
			e = do_walk(s, &r, &w);
			break;
		case TGETATTR:
			e = do_getattr(s, &r, &w);
			break;
		case TSETATTR:
			e = do_setattr(s, &r, &w);
			break;
		case TLOPEN:
			e = do_lopen(s, &r, &w);
			break;
		case TLCREATE:
			e = do_lcreate(s, &r, &w);
			break;
		case TREAD:
			e = do_read(s, &r, &w);
			break;
		case TWRITE:
			e = do_write(s, &r, &w);
			break;
		case TREADDIR:
			e = do_readdir(s, &r, &w);
			break;
		case TCLUNK:
			e = do_clunk(s, &r, &w);
			break;
		case TREMOVE:
			e = do_remove(s, &r, &w);
			break;
		case TSTATFS:
			e = do_statfs(s, &r, &w);
			break;
		case TMKDIR:
			e = do_mkdir(s, &r, &w);
			break;
		case TUNLINKAT:
			e = do_unlinkat(s, &r, &w);
			break;
		case TRENAMEAT:
			e = do_renameat(s, &r, &w);
			break;
		case TRENAME:
			e = do_rename(s, &r, &w);
			break;
		case TFSYNC:
			e = do_fsync(s, &r, &w);
			break;
		case TFLUSH:
			e = do_flush(s, &r, &w);
			break;
		case TSYMLINK:
			e = do_symlink(s, &r, &w);
			break;
		case TREADLINK:
			e = do_readlink(s, &r, &w);
			break;
		case TLINK:
			e = do_link(s, &r, &w);
			break;
		case TXATTRWALK:
			e = do_xattrwalk(s, &r, &w);
			break;
		case TMKNOD:
			/* no devices, fifos or sockets on the user's disk */
			e = EPERM;
			break;
		case TLOCK:
			e = do_lock(s, &r, &w);
			break;
		case TGETLOCK:
			e = do_getlock(s, &r, &w);
			break;
		default:
			e = EOPNOTSUPP;
			break;
		}
	}
	if (!e && w.over)
		e = EMSGSIZE;
	if (e)
		return rlerror(resp, tag, e);
	put_header(resp, (uint32_t)w.len, (uint8_t)(type + 1), tag);
	return w.len;
}

uint32_t
ml_p9_msize_max(const struct ml_p9 *s)
{
	return s->o.msize;
}

int
ml_p9_new(const char *root, const struct ml_p9_options *o, struct ml_p9 **ret)
{
	struct ml_p9 *s;
	int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return ml_err(-errno, "cannot serve '%s': %s", root,
			      strerror(errno));
	s = ml_xmalloc(sizeof(*s));
	*s = (struct ml_p9){ .root = fd };
	if (o)
		s->o = *o;
	if (!s->o.msize)
		s->o.msize = ML_P9_MSIZE_DEFAULT;
	if (s->o.msize < ML_P9_MSIZE_MIN)
		s->o.msize = ML_P9_MSIZE_MIN;
	if (s->o.msize > ML_P9_MSIZE_MAX)
		s->o.msize = ML_P9_MSIZE_MAX;
	if (!s->o.max_fids)
		s->o.max_fids = ML_P9_FIDS_DEFAULT;
	/* nothing but Tversion before Tversion */
	s->msize = 0;
	*ret = s;
	return 0;
}

struct ml_p9 *
ml_p9_free(struct ml_p9 *s)
{
	if (!s)
		return NULL;
	ml_p9_reset(s);
	close(s->root);
	free(s);
	return NULL;
}

/* Reads exactly n bytes: 0, 1 at the end of stream before any, -errno. */
static int
read_full(int fd, uint8_t *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = read(fd, p + got, n - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return got ? -EPROTO : 1;
		got += (size_t)k;
	}
	return 0;
}

static int
write_full(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int
ml_p9_serve_one(struct ml_p9 *s, int fd)
{
	uint32_t limit = s->msize ? s->msize : ml_p9_msize_max(s);
	ml_autofree uint8_t *req = NULL, *resp = NULL;
	uint8_t hdr[HDR];
	uint32_t size;
	size_t n;
	int r;

	r = read_full(fd, hdr, HDR);
	if (r)
		return r;
	size = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 |
	       (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
	if (size < HDR)
		return -EPROTO;
	resp = ml_xmalloc(ml_p9_msize_max(s));
	if (size > limit) {
		/* answered from the header alone; the rest is not read, so
		 * the stream is lost: the connection ends */
		n = rlerror(resp, (uint16_t)(hdr[5] | hdr[6] << 8), EMSGSIZE);
		r = write_full(fd, resp, n);
		return r < 0 ? r : -EMSGSIZE;
	}
	req = ml_xmalloc(size);
	memcpy(req, hdr, HDR);
	r = read_full(fd, req + HDR, size - HDR);
	if (r)
		return r > 0 ? -EPROTO : r;
	n = ml_p9_handle(s, req, size, resp);
	if (!n)
		return -EPROTO;
	return write_full(fd, resp, n);
}

int
ml_p9_serve(struct ml_p9 *s, int fd)
{
	int r;

	while ((r = ml_p9_serve_one(s, fd)) == 0)
		;
	return r == 1 ? 0 : r;
}
