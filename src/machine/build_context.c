/* machine/build_context.c: a build context tarred as it is sent. */
#include "config.h"

#include "machine/build_context.h"

#include "base/util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (64 * 1024)

struct ctx_entry {
	char *name; /* in the tar */
	char *path; /* on disk */
};

struct pattern {
	char *glob;
	bool include; /* a '!' line */
};

struct ml_build_context {
	char *dir;
	char *dockerfile; /* in the tar */
	struct ctx_entry *v;
	size_t n, cap, next;
	struct pattern *pat;
	size_t npat;
	bool any_include;

	struct archive *a;
	struct ml_buf out; /* tar bytes not yet handed out */
	size_t out_off;
	int fd;		  /* the file being copied, or -1 */
	const char *path; /* its path, for messages */
	int64_t left;	  /* its bytes still to copy */
	bool closed;
};

/* One '[...]' class at p against c: the class's length in *ret_len, or 0
 * when p holds no closed class (then '[' is a plain character). */
static size_t
class_len(const char *p)
{
	size_t i = 1;

	if (p[i] == '!' || p[i] == '^')
		i++;
	if (p[i] == ']')
		i++;
	while (p[i] && p[i] != ']')
		i++;
	return p[i] == ']' ? i + 1 : 0;
}

static bool
glob(const char *p, const char *s)
{
	for (;;) {
		if (p[0] == '*' && p[1] == '*') {
			p += 2;
			if (*p == '/') {
				/* any number of whole directories, none too */
				p++;
				for (const char *t = s;;) {
					if (glob(p, t))
						return true;
					t = strchr(t, '/');
					if (!t)
						return false;
					t++;
				}
			}
			for (const char *t = s;; t++) {
				if (glob(p, t))
					return true;
				if (!*t)
					return false;
			}
		}
		if (*p == '*') {
			p++;
			for (const char *t = s;; t++) {
				if (glob(p, t))
					return true;
				if (!*t || *t == '/')
					return false;
			}
		}
		if (!*p)
			return !*s;
		if (!*s)
			return false;
		if (*p == '?') {
			if (*s == '/')
				return false;
			p++;
			s++;
			continue;
		}
		if (*p == '[' && class_len(p)) {
			size_t n = class_len(p);
			ml_autofree char *cls = ml_xstrndup(p, n);
			char one[2] = { *s, '\0' };

			if (*s == '/' || fnmatch(cls, one, 0) != 0)
				return false;
			p += n;
			s++;
			continue;
		}
		if (*p == '\\' && p[1])
			p++;
		if (*p != *s)
			return false;
		p++;
		s++;
	}
}

bool
ml_build_context_pattern_match(const char *pattern, const char *path)
{
	size_t pdirs = 1, n = 0;

	if (glob(pattern, path))
		return true;
	/* a parent of path, as many components deep as the pattern */
	for (const char *c = pattern; *c; c++)
		pdirs += *c == '/';
	for (const char *c = path; *c; c++) {
		if (*c != '/')
			continue;
		if (++n == pdirs) {
			ml_autofree char *parent = ml_xstrndup(path, c - path);
			return glob(pattern, parent);
		}
	}
	return false;
}

/* The pattern cleaned as docker cleans it: no leading "/" or "./", no
 * trailing "/", no empty or "." components. Caller frees. */
static char *
clean_pattern(const char *s)
{
	struct ml_buf b = { NULL, 0, 0 };
	ml_autofree char *copy = ml_xstrdup(s);
	char *save = NULL;

	for (char *c = strtok_r(copy, "/", &save); c;
	     c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (b.len)
			ml_buf_add(&b, "/", 1);
		ml_buf_add(&b, c, strlen(c));
	}
	ml_buf_add(&b, "", 0);
	return b.p;
}

static int
read_ignore(struct ml_build_context *c)
{
	ml_autofree char *path = ml_xasprintf("%s/.dockerignore", c->dir);
	ml_autofree char *text = NULL;
	char *save = NULL;
	int r;

	if (!ml_path_exists(path))
		return 0;
	r = ml_read_file(path, &text, NULL);
	if (r < 0)
		return r;
	for (char *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(line);
		bool include = false;

		while (len && strchr(" \t\r", line[len - 1]))
			line[--len] = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		if (*line == '!') {
			include = true;
			line++;
		}
		c->pat = ml_xrealloc(c->pat, (c->npat + 1) * sizeof(*c->pat));
		c->pat[c->npat].glob = clean_pattern(line);
		c->pat[c->npat++].include = include;
		c->any_include |= include;
	}
	return 0;
}

static bool
excluded(const struct ml_build_context *c, const char *name)
{
	bool out = false;

	for (size_t i = 0; i < c->npat; i++)
		if (ml_build_context_pattern_match(c->pat[i].glob, name))
			out = !c->pat[i].include;
	return out;
}

static void
add_entry(struct ml_build_context *c, const char *name, const char *path)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->v = ml_xrealloc(c->v, c->cap * sizeof(*c->v));
	}
	c->v[c->n].name = ml_xstrdup(name);
	c->v[c->n++].path = ml_xstrdup(path);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds what is under rel ("" for the top) of c->dir, sorted. */
static int
walk(struct ml_build_context *c, const char *rel)
{
	ml_autofree char *dirpath = *rel ? ml_xasprintf("%s/%s", c->dir, rel)
					 : ml_xstrdup(c->dir);
	DIR *d = opendir(dirpath);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	int r = 0;

	if (!d)
		return ml_err(-errno,
			      "cannot read '%s' of the build context: %s",
			      dirpath, strerror(errno));
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		names = ml_xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = ml_xstrdup(de->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		ml_autofree char *name =
			*rel ? ml_xasprintf("%s/%s", rel, names[i])
			     : ml_xstrdup(names[i]);
		ml_autofree char *path = ml_xasprintf("%s/%s", c->dir, name);
		bool out = excluded(c, name);
		struct stat st;

		if (r < 0)
			break;
		if (lstat(path, &st) < 0) {
			r = ml_err(-errno,
				   "cannot read '%s' of the build context: %s",
				   path, strerror(errno));
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			if (!out)
				add_entry(c, name, path);
			/* a '!' line may take back something under it */
			if (!out || c->any_include)
				r = walk(c, name);
			continue;
		}
		if (out || !(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)))
			continue;
		if (S_ISREG(st.st_mode) && access(path, R_OK) < 0) {
			r = ml_err(-errno,
				   "cannot read '%s' of the build context: %s",
				   path, strerror(errno));
			break;
		}
		add_entry(c, name, path);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

static bool
has_entry(const struct ml_build_context *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].name, name))
			return true;
	return false;
}

static la_ssize_t
on_write(struct archive *a, void *ud, const void *p, size_t n)
{
	struct ml_build_context *c = ud;

	ml_buf_add(&c->out, p, n);
	return (la_ssize_t)n;
}

int
ml_build_context_open(const char *dir, const char *dockerfile,
		      struct ml_build_context **ret)
{
	struct ml_build_context *c;
	ml_autofree char *real_dir = realpath(dir, NULL);
	ml_autofree char *df_path = NULL, *real_df = NULL;
	struct stat st;
	int r;

	if (!real_dir || stat(real_dir, &st) < 0)
		return ml_err(-errno, "cannot read the build context '%s': %s",
			      dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return ml_err(
			-ENOTDIR,
			"the build context '%s' is not a directory: give the directory holding the Dockerfile",
			dir);
	df_path = dockerfile ? ml_xstrdup(dockerfile)
			     : ml_xasprintf("%s/Dockerfile", dir);
	real_df = realpath(df_path, NULL);
	if (!real_df || stat(real_df, &st) < 0 || !S_ISREG(st.st_mode))
		return ml_err(-ENOENT, "no Dockerfile at '%s'%s", df_path,
			      dockerfile
				      ? ""
				      : ": write one, or name it with -f FILE");
	c = ml_xcalloc(1, sizeof(*c));
	c->fd = -1;
	c->dir = ml_xstrdup(real_dir);
	r = read_ignore(c);
	if (r >= 0)
		r = walk(c, "");
	if (r < 0) {
		ml_build_context_free(c);
		return r;
	}
	if (ml_startswith(real_df, real_dir) &&
	    real_df[strlen(real_dir)] == '/') {
		c->dockerfile = ml_xstrdup(real_df + strlen(real_dir) + 1);
	} else {
		/* outside the context: sent in it under a name of its own,
		 * as the docker CLI does */
		c->dockerfile = ml_xasprintf(".dockerfile.%lx%lx",
					     (unsigned long)getpid(),
					     (unsigned long)time(NULL));
	}
	/* sent whatever .dockerignore says: the daemon reads both */
	if (!has_entry(c, c->dockerfile))
		add_entry(c, c->dockerfile, real_df);
	{
		ml_autofree char *ign =
			ml_xasprintf("%s/.dockerignore", c->dir);
		if (ml_path_exists(ign) && !has_entry(c, ".dockerignore"))
			add_entry(c, ".dockerignore", ign);
	}
	c->a = archive_write_new();
	if (!c->a)
		ml_oom();
	archive_write_set_format_pax_restricted(c->a);
	archive_write_set_bytes_in_last_block(c->a, 1);
	if (archive_write_open(c->a, c, NULL, on_write, NULL) != ARCHIVE_OK) {
		r = ml_err(-EIO, "cannot start the build context's tar: %s",
			   archive_error_string(c->a));
		ml_build_context_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

struct ml_build_context *
ml_build_context_free(struct ml_build_context *c)
{
	if (!c)
		return NULL;
	if (c->a)
		archive_write_free(c->a);
	if (c->fd >= 0)
		close(c->fd);
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].name);
		free(c->v[i].path);
	}
	for (size_t i = 0; i < c->npat; i++)
		free(c->pat[i].glob);
	free(c->pat);
	free(c->v);
	free(c->dir);
	free(c->dockerfile);
	ml_buf_release(&c->out);
	free(c);
	return NULL;
}

const char *
ml_build_context_dockerfile(const struct ml_build_context *c)
{
	return c->dockerfile;
}

size_t
ml_build_context_count(const struct ml_build_context *c)
{
	return c->n;
}

static int
archive_fail(struct ml_build_context *c, const char *path)
{
	return ml_err(-EIO, "cannot add '%s' to the build context's tar: %s",
		      path, archive_error_string(c->a));
}

/* Writes the next header, or the next piece of the open file, or the
 * end: something lands in c->out (or the tar is closed). */
static int
step(struct ml_build_context *c)
{
	if (c->fd >= 0) {
		char buf[CHUNK];
		ssize_t got = read(c->fd, buf,
				   c->left < CHUNK ? (size_t)c->left : CHUNK);

		if (got < 0)
			return ml_err(-errno,
				      "cannot read '%s' of the build context: %s",
				      c->path, strerror(errno));
		if (got == 0)
			return ml_err(
				-EIO,
				"'%s' of the build context shrank while it was sent: build again",
				c->path);
		if (archive_write_data(c->a, buf, (size_t)got) != got)
			return archive_fail(c, c->path);
		c->left -= got;
		if (!c->left) {
			close(c->fd);
			c->fd = -1;
		}
		return 0;
	}
	if (c->next < c->n) {
		const struct ctx_entry *e = &c->v[c->next++];
		struct archive_entry *ae;
		struct stat st;
		char target[PATH_MAX];
		int r = 0;

		if (lstat(e->path, &st) < 0)
			return ml_err(-errno,
				      "cannot read '%s' of the build context: %s",
				      e->path, strerror(errno));
		ae = archive_entry_new();
		if (!ae)
			ml_oom();
		archive_entry_set_pathname(ae, e->name);
		archive_entry_set_mode(ae, st.st_mode);
		archive_entry_set_mtime(ae, st.st_mtim.tv_sec,
					st.st_mtim.tv_nsec);
		/* as the docker CLI sends it: owned by root in the image */
		archive_entry_set_uid(ae, 0);
		archive_entry_set_gid(ae, 0);
		if (S_ISREG(st.st_mode)) {
			archive_entry_set_size(ae, st.st_size);
			c->fd = st.st_size ? open(e->path, O_RDONLY | O_CLOEXEC)
					   : -1;
			if (st.st_size && c->fd < 0)
				r = ml_err(-errno,
					   "cannot read '%s' of the build context: %s",
					   e->path, strerror(errno));
			c->left = st.st_size;
			c->path = e->path;
		} else if (S_ISLNK(st.st_mode)) {
			ssize_t n =
				readlink(e->path, target, sizeof(target) - 1);

			if (n < 0)
				r = ml_err(-errno,
					   "cannot read the link '%s' of the build context: %s",
					   e->path, strerror(errno));
			else {
				target[n] = '\0';
				archive_entry_set_symlink(ae, target);
			}
			archive_entry_set_size(ae, 0);
		} else {
			archive_entry_set_size(ae, 0);
		}
		if (r >= 0 && archive_write_header(c->a, ae) != ARCHIVE_OK)
			r = archive_fail(c, e->path);
		archive_entry_free(ae);
		return r;
	}
	if (archive_write_close(c->a) != ARCHIVE_OK)
		return ml_err(-EIO, "cannot end the build context's tar: %s",
			      archive_error_string(c->a));
	c->closed = true;
	return 0;
}

ssize_t
ml_build_context_read(void *ud, char *buf, size_t len)
{
	struct ml_build_context *c = ud;
	size_t avail;
	int r;

	while (c->out.len == c->out_off && !c->closed) {
		c->out.len = 0;
		c->out_off = 0;
		r = step(c);
		if (r < 0)
			return r;
	}
	avail = c->out.len - c->out_off;
	if (avail > len)
		avail = len;
	memcpy(buf, c->out.p + c->out_off, avail);
	c->out_off += avail;
	return (ssize_t)avail;
}
