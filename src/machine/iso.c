/* machine/iso.c: ISO9660 images through libarchive. */
#include "config.h"

#include "machine/iso.h"

#include "base/util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *
strip_dot(const char *p)
{
	if (ml_startswith(p, "./"))
		p += 2;
	while (*p == '/')
		p++;
	return p;
}

/*
 * A node image holds a few hundred entries; a damaged one can have
 * libarchive list a directory that contains itself without end.
 */
#define MAX_ENTRIES 10000

/*
 * The next entry of a, its path without "./" in *ret_path: 1, or 0 at the
 * end (or on a read error, as before); -EBADMSG past MAX_ENTRIES.
 */
static int
next_entry(struct archive *a, const char *iso_path, size_t *count,
	   struct archive_entry **e, const char **ret_path)
{
	const char *p;

	if (archive_read_next_header(a, e) != ARCHIVE_OK)
		return 0;
	if (++*count > MAX_ENTRIES)
		return ml_err(
			-EBADMSG,
			"node image '%s' lists over %d entries, so it is damaged: rebuild it with 'make iso'",
			iso_path, MAX_ENTRIES);
	p = archive_entry_pathname(*e);
	*ret_path = strip_dot(p ? p : "");
	return 1;
}

#define SECTOR 2048
#define FIRST_DESCRIPTOR 16 /* after the system area */
#define MAX_DESCRIPTORS 64

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[0] << 24;
}

/*
 * A directory record's extent and length, when both byte orders of each
 * agree and the extent of a non-empty one lies inside the file.
 */
static bool
record_ok(const unsigned char *r, uint64_t size, uint32_t *ext, uint32_t *len)
{
	*ext = le32(r + 2);
	*len = le32(r + 10);
	/* libarchive gives an empty file the extent 0xfffffff0 */
	return *ext == be32(r + 6) && *len == be32(r + 14) &&
	       (*len == 0 || (uint64_t)*ext * SECTOR + *len <= size);
}

struct walk {
	int fd;
	uint64_t size;
	uint32_t *ext, *len; /* the directories to read, in order */
	size_t n, done, records;
};

/* Queues a directory; one met twice is a loop. */
static bool
walk_push(struct walk *w, uint32_t ext, uint32_t len)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->ext[i] == ext)
			return false;
	w->ext = ml_xrealloc(w->ext, (w->n + 1) * sizeof(*w->ext));
	w->len = ml_xrealloc(w->len, (w->n + 1) * sizeof(*w->len));
	w->ext[w->n] = ext;
	w->len[w->n++] = len;
	return true;
}

/* Checks the records of one directory and queues its subdirectories. */
static bool
walk_dir(struct walk *w, uint32_t ext, uint32_t len)
{
	unsigned char s[SECTOR];

	for (uint64_t off = 0; off < len; off += SECTOR) {
		if (pread(w->fd, s, SECTOR,
			  (off_t)(ext * (uint64_t)SECTOR + off)) != SECTOR)
			return false;
		for (size_t pos = 0; pos < SECTOR && off + pos < len;) {
			unsigned dl = s[pos], nl;
			uint32_t e, l;

			if (dl == 0) /* the rest of the sector is padding */
				break;
			if (dl < 34 || pos + dl > SECTOR ||
			    !record_ok(s + pos, w->size, &e, &l))
				return false;
			nl = s[pos + 32];
			if (33 + nl > dl || ++w->records > MAX_ENTRIES)
				return false;
			/* a directory other than "." (0) and ".." (1) */
			if ((s[pos + 25] & 2) &&
			    !(nl == 1 && s[pos + 33] <= 1) &&
			    !walk_push(w, e, l))
				return false;
			pos += dl;
		}
	}
	return true;
}

/*
 * Checks what libarchive would trust before it reads the image: the volume
 * descriptors and every directory record (both byte orders of each number
 * agree, each extent lies in the file, no directory twice, at most
 * MAX_ENTRIES records). libarchive reads one byte order only, so one
 * damaged byte in a length once had it allocate a gigabyte.
 */
static int
check_layout(const char *iso_path)
{
	struct walk w = { .fd = open(iso_path, O_RDONLY | O_CLOEXEC) };
	unsigned char s[SECTOR];
	struct stat st;
	bool ok = true, primary = false;

	if (w.fd < 0)
		return ml_err(
			-errno,
			"cannot read node image '%s': %s: check the path or rebuild it with 'make iso'",
			iso_path, strerror(errno));
	if (fstat(w.fd, &st) < 0) {
		close(w.fd);
		return ml_err(-EIO, "cannot read node image '%s': %s", iso_path,
			      strerror(errno));
	}
	w.size = (uint64_t)st.st_size;
	if (pread(w.fd, s, SECTOR, FIRST_DESCRIPTOR * SECTOR) != SECTOR ||
	    memcmp(s + 1, "CD001", 5) != 0) {
		close(w.fd);
		return ml_err(
			-EIO,
			"cannot read node image '%s': it is not an ISO 9660 image: check the path or rebuild it with 'make iso'",
			iso_path);
	}
	for (int i = FIRST_DESCRIPTOR; ok; i++) {
		uint32_t e, l;

		ok = i < FIRST_DESCRIPTOR + MAX_DESCRIPTORS &&
		     pread(w.fd, s, SECTOR, (off_t)i * SECTOR) == SECTOR &&
		     memcmp(s + 1, "CD001", 5) == 0;
		if (!ok || s[0] == 255) /* the set's terminator */
			break;
		if (s[0] != 1 && s[0] != 2) /* primary, supplementary */
			continue;
		primary = primary || s[0] == 1;
		ok = s[128] == (SECTOR & 0xff) && s[129] == SECTOR >> 8 &&
		     s[130] == SECTOR >> 8 && s[131] == (SECTOR & 0xff) &&
		     le32(s + 80) == be32(s + 84) &&
		     record_ok(s + 156, w.size, &e, &l) && walk_push(&w, e, l);
	}
	ok = ok && primary;
	while (ok && w.done < w.n) {
		ok = walk_dir(&w, w.ext[w.done], w.len[w.done]);
		w.done++;
	}
	close(w.fd);
	free(w.ext);
	free(w.len);
	if (!ok)
		return ml_err(
			-EBADMSG,
			"node image '%s' is damaged (its ISO9660 directories do not hold together): rebuild it with 'make iso'",
			iso_path);
	return 0;
}

static struct archive *
open_iso(const char *iso_path, int *ret)
{
	struct archive *a;

	*ret = check_layout(iso_path);
	if (*ret < 0)
		return NULL;
	a = archive_read_new();

	archive_read_support_format_iso9660(a);
	if (archive_read_open_filename(a, iso_path, 64 * 1024) != ARCHIVE_OK) {
		*ret = ml_err(
			-EIO,
			"cannot read node image '%s': %s: check the path or rebuild it with 'make iso'",
			iso_path, archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	*ret = 0;
	return a;
}

static int
read_entry(struct archive *a, const char *iso_path, const char *name,
	   char **ret_data, size_t *ret_len)
{
	struct ml_buf b = { 0 };
	char chunk[65536];
	la_ssize_t n;

	while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0)
		ml_buf_add(&b, chunk, (size_t)n);
	if (n < 0) {
		ml_buf_release(&b);
		return ml_err(-EIO, "cannot read '%s' from '%s': %s", name,
			      iso_path, archive_error_string(a));
	}
	ml_buf_add(&b, "", 0); /* an empty file is "", not NULL */
	*ret_data = b.p;
	*ret_len = b.len;
	return 0;
}

int
ml_iso_read_file(const char *iso_path, const char *name, char **ret_data,
		 size_t *ret_len)
{
	struct archive_entry *e;
	struct archive *a;
	const char *p;
	size_t len, count = 0;
	int r, more;

	a = open_iso(iso_path, &r);
	if (!a)
		return r;
	r = ml_err(-ENOENT,
		   "node image '%s' has no '%s': rebuild it with 'make iso'",
		   iso_path, name);
	while ((more = next_entry(a, iso_path, &count, &e, &p)) > 0) {
		if (strcmp(p, name) != 0)
			continue;
		r = read_entry(a, iso_path, name, ret_data, &len);
		if (r >= 0 && ret_len)
			*ret_len = len;
		break;
	}
	if (more < 0)
		r = more;
	if (r >= 0)
		ml_err_clear();
	archive_read_free(a);
	return r;
}

/* The string member key of o, or NULL. */
static const char *
get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int
ml_iso_read_version(const char *iso_path, struct ml_iso_version *ret)
{
	ml_autofree char *data = NULL;
	struct json_object *o;
	const char *image, *k8s;
	int r;

	r = ml_iso_read_file(iso_path, "version.json", &data, NULL);
	if (r < 0)
		return r;
	o = json_tokener_parse(data);
	image = o ? get_str(o, "image_version") : NULL;
	k8s = o ? get_str(o, "kubernetes_version") : NULL;
	if (!image || !k8s)
		r = ml_err(-EBADMSG,
			   "node image '%s' has a /version.json without image_version and kubernetes_version: rebuild it with 'make iso'",
			   iso_path);
	else
		*ret = (struct ml_iso_version){ ml_xstrdup(image),
						ml_xstrdup(k8s) };
	json_object_put(o);
	return r;
}

void
ml_iso_version_clear(struct ml_iso_version *v)
{
	free(v->image);
	free(v->kubernetes);
	*v = (struct ml_iso_version){ NULL, NULL };
}

int
ml_iso_extract(const char *iso_path, const char *const *names,
	       const char *out_dir)
{
	struct archive_entry *e;
	struct archive *a;
	size_t want = 0, found = 0, count = 0;
	const char *p;
	int r, more = 0;

	while (names[want])
		want++;
	a = open_iso(iso_path, &r);
	if (!a)
		return r;
	while (found < want &&
	       (more = next_entry(a, iso_path, &count, &e, &p)) > 0) {
		const char *base;
		ml_autofree char *data = NULL, *out = NULL;
		size_t len;
		bool wanted = false;

		for (size_t i = 0; i < want && !wanted; i++)
			wanted = strcmp(p, names[i]) == 0;
		if (!wanted)
			continue;
		r = read_entry(a, iso_path, p, &data, &len);
		if (r < 0)
			goto out;
		base = strrchr(p, '/');
		out = ml_xasprintf("%s/%s", out_dir, base ? base + 1 : p);
		r = ml_write_file_atomic(out, data, len, 0644);
		if (r < 0)
			goto out;
		found++;
	}
	if (more < 0) {
		r = more;
		goto out;
	}
	r = found == want
		    ? 0
		    : ml_err(-ENOENT,
			     "node image '%s' lacks some of its boot files (%s...): rebuild it with 'make iso'",
			     iso_path, names[0]);
out:
	archive_read_free(a);
	return r;
}

/* Adds the directories leading to path once each. */
static int
add_parents(struct archive *a, const char *path, char ***seen, size_t *nseen)
{
	ml_autofree char *copy = ml_xstrdup(path);

	for (char *s = strchr(copy, '/'); s; s = strchr(s + 1, '/')) {
		struct archive_entry *e;
		bool known = false;

		*s = '\0';
		for (size_t i = 0; i < *nseen && !known; i++)
			known = strcmp((*seen)[i], copy) == 0;
		if (!known) {
			*seen = ml_xrealloc(*seen,
					    (*nseen + 1) * sizeof(**seen));
			(*seen)[(*nseen)++] = ml_xstrdup(copy);
			e = archive_entry_new();
			archive_entry_set_pathname(e, copy);
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, 0755);
			if (archive_write_header(a, e) != ARCHIVE_OK) {
				archive_entry_free(e);
				return -EIO;
			}
			archive_entry_free(e);
		}
		*s = '/';
	}
	return 0;
}

/* Writes the entries of files, and the directories above them, to a. */
static int
write_entries(struct archive *a, const struct ml_iso_file *files, size_t n)
{
	char **seen = NULL;
	size_t nseen = 0;
	int r = 0;

	for (size_t i = 0; r >= 0 && i < n; i++) {
		struct archive_entry *e;

		if (add_parents(a, files[i].path, &seen, &nseen) < 0) {
			r = -EIO;
			break;
		}
		e = archive_entry_new();
		archive_entry_set_pathname(e, files[i].path);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, files[i].mode ? files[i].mode & 07777
							: 0644);
		archive_entry_set_size(e, (la_int64_t)files[i].len);
		if (archive_write_header(a, e) != ARCHIVE_OK ||
		    archive_write_data(a, files[i].data, files[i].len) !=
			    (la_ssize_t)files[i].len)
			r = -EIO;
		archive_entry_free(e);
	}
	for (size_t i = 0; i < nseen; i++)
		free(seen[i]);
	free(seen);
	return r;
}

int
ml_iso_write(const char *path, const char *volume_id,
	     const struct ml_iso_file *files, size_t n)
{
	ml_autofree char *vol = ml_xasprintf("%s", volume_id);
	struct ml_atomic_file f;
	struct archive *a;
	int r = ml_atomic_open(&f, path, 0600);

	if (r < 0)
		return r;
	a = archive_write_new();
	/* "strict" Rock Ridge keeps each file's mode; the default ("useful",
	 * as mkisofs -r) makes every file readable by all. */
	if (archive_write_set_format_iso9660(a) != ARCHIVE_OK ||
	    archive_write_set_format_option(a, "iso9660", "volume-id", vol) !=
		    ARCHIVE_OK ||
	    archive_write_set_format_option(a, "iso9660", "rockridge",
					    "strict") != ARCHIVE_OK ||
	    archive_write_set_format_option(a, "iso9660", "joliet", "1") !=
		    ARCHIVE_OK ||
	    archive_write_open_fd(a, f.fd) != ARCHIVE_OK ||
	    write_entries(a, files, n) < 0 ||
	    archive_write_close(a) != ARCHIVE_OK) {
		r = ml_err(-EIO, "cannot write ISO image '%s': %s", path,
			   archive_error_string(a) ? archive_error_string(a)
						   : strerror(EIO));
		archive_write_free(a);
		ml_atomic_abort(&f);
		return r;
	}
	archive_write_free(a);
	return ml_atomic_commit(&f);
}
