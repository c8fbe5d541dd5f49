/* machine/image_archive.c: a `docker save` archive checked whole. */
#include "config.h"

#include "machine/image_archive.h"

#include "base/util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* manifest.json and repositories are a few KiB; anything near this is not
 * one docker wrote */
#define META_MAX (16 * 1024 * 1024)
/* links followed from one named file before giving up */
#define LINK_DEPTH 8

struct entry {
	char *name; /* cleaned path */
	char *link; /* cleaned target of a symbolic or hard link, or NULL */
};

struct entries {
	struct entry *v;
	size_t n, cap;
};

/*
 * dir joined with rel ("" or NULL dir: rel alone), with "." and empty
 * components dropped and ".." applied, as Go's path.Clean does for the
 * names docker writes. NULL when ".." climbs out of the archive. Caller
 * frees.
 */
static char *
clean_path(const char *dir, const char *rel)
{
	ml_autofree char *joined =
		ml_xasprintf("%s%s%s", rel[0] == '/' || !dir ? "" : dir,
			     rel[0] == '/' || !dir || !*dir ? "" : "/", rel);
	char *out = ml_xmalloc(strlen(joined) + 1);
	size_t len = 0;
	char *save = NULL;

	for (char *c = strtok_r(joined, "/", &save); c;
	     c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			if (!len) {
				free(out);
				return NULL;
			}
			while (len && out[len - 1] != '/')
				len--;
			if (len)
				len--;
			continue;
		}
		if (len)
			out[len++] = '/';
		memcpy(out + len, c, strlen(c));
		len += strlen(c);
	}
	out[len] = '\0';
	return out;
}

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name,
		      ((const struct entry *)b)->name);
}

static const struct entry *
entry_find(const struct entries *es, const char *name)
{
	struct entry key = { (char *)name, NULL };

	return bsearch(&key, es->v, es->n, sizeof(*es->v), entry_cmp);
}

static void
entries_release(struct entries *es)
{
	for (size_t i = 0; i < es->n; i++) {
		free(es->v[i].name);
		free(es->v[i].link);
	}
	free(es->v);
}

/* 0 when the file named (relative to the archive's root) is in es, links
 * followed; else -EINVAL with a message */
static int
need_file(const struct entries *es, const char *archive, const char *meta,
	  const char *named)
{
	ml_autofree char *path = clean_path(NULL, named);

	for (int depth = 0; path && depth < LINK_DEPTH; depth++) {
		const struct entry *e = entry_find(es, path);

		if (!e)
			break;
		if (!e->link)
			return 0;
		/* made relative to the root when read (a symbolic link's
		 * target to its directory, a hard link's to the root) */
		free(path);
		path = ml_xstrdup(e->link);
	}
	return ml_err(
		-EINVAL,
		"%s is not a complete image archive: %s names '%s', which it does not hold; nothing was loaded",
		archive, meta, named);
}

static int
read_meta(struct archive *a, const char *archive, const char *entry,
	  la_int64_t size, char **ret)
{
	char *buf;
	la_ssize_t got;

	if (size < 0 || size > META_MAX)
		return ml_err(
			-EINVAL,
			"%s is not a 'docker save' archive: its %s is %lld bytes",
			archive, entry, (long long)size);
	buf = ml_xmalloc((size_t)size + 1);
	got = archive_read_data(a, buf, (size_t)size);
	if (got != size) {
		free(buf);
		return ml_err(
			-EINVAL,
			"%s is not a complete image archive: %s; nothing was loaded",
			archive,
			got < 0 ? archive_error_string(a)
				: "its manifest is cut short");
	}
	buf[size] = '\0';
	*ret = buf;
	return 0;
}

static void
add_image(struct ml_buf *names, const char *name)
{
	if (names->len)
		ml_buf_add(names, ", ", 2);
	ml_buf_add(names, name, strlen(name));
}

static int
bad_meta(const char *archive, const char *meta, const char *why)
{
	return ml_err(
		-EINVAL,
		"%s is not a 'docker save' archive: its %s %s; nothing was loaded",
		archive, meta, why);
}

static int
check_manifest(const struct entries *es, const char *archive, const char *text,
	       struct ml_buf *names)
{
	struct json_object *m = json_tokener_parse(text);
	int r = 0;

	if (!m || !json_object_is_type(m, json_type_array)) {
		json_object_put(m);
		return bad_meta(archive, "manifest.json",
				"is not a JSON array");
	}
	for (size_t i = 0; r >= 0 && i < json_object_array_length(m); i++) {
		struct json_object *img = json_object_array_get_idx(m, i);
		const char *config = ml_json_str(img, "Config");
		struct json_object *layers = ml_json_get(img, "Layers");
		struct json_object *tags = ml_json_get(img, "RepoTags");

		if (!config || !layers ||
		    !json_object_is_type(layers, json_type_array)) {
			r = bad_meta(archive, "manifest.json",
				     "has an image without Config or Layers");
			break;
		}
		r = need_file(es, archive, "manifest.json", config);
		for (size_t l = 0;
		     r >= 0 && l < json_object_array_length(layers); l++) {
			struct json_object *lo =
				json_object_array_get_idx(layers, l);

			if (!json_object_is_type(lo, json_type_string))
				r = bad_meta(archive, "manifest.json",
					     "has a layer that is not a string");
			else
				r = need_file(es, archive, "manifest.json",
					      json_object_get_string(lo));
		}
		if (tags && json_object_is_type(tags, json_type_array))
			for (size_t t = 0; t < json_object_array_length(tags);
			     t++) {
				struct json_object *to =
					json_object_array_get_idx(tags, t);
				if (json_object_is_type(to, json_type_string))
					add_image(names,
						  json_object_get_string(to));
			}
	}
	json_object_put(m);
	return r;
}

static int
check_repositories(const struct entries *es, const char *archive,
		   const char *text, struct ml_buf *names)
{
	struct json_object *m = json_tokener_parse(text);
	int r = 0;

	if (!m || !json_object_is_type(m, json_type_object)) {
		json_object_put(m);
		return bad_meta(archive, "repositories",
				"is not a JSON object");
	}
	json_object_object_foreach(m, repo, tags)
	{
		if (r < 0)
			break;
		if (!json_object_is_type(tags, json_type_object)) {
			r = bad_meta(archive, "repositories",
				     "has a repository that is not an object");
			break;
		}
		json_object_object_foreach(tags, tag, id)
		{
			ml_autofree char *json = NULL, *layer = NULL;
			ml_autofree char *full = NULL;

			if (r < 0)
				break;
			if (!json_object_is_type(id, json_type_string) ||
			    strchr(json_object_get_string(id), '/')) {
				r = bad_meta(archive, "repositories",
					     "has a tag whose id is not a name");
				break;
			}
			json = ml_xasprintf("%s/json",
					    json_object_get_string(id));
			layer = ml_xasprintf("%s/layer.tar",
					     json_object_get_string(id));
			r = need_file(es, archive, "repositories", json);
			if (r >= 0)
				r = need_file(es, archive, "repositories",
					      layer);
			full = ml_xasprintf("%s:%s", repo, tag);
			add_image(names, full);
		}
	}
	json_object_put(m);
	return r;
}

int
ml_image_archive_check(int fd, const char *name, char **ret_images)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	struct entries es = { NULL, 0, 0 };
	ml_autofree char *manifest = NULL, *repositories = NULL;
	struct ml_buf names = { NULL, 0, 0 };
	la_int64_t end_of_entries = 0;
	bool any = false;
	int r = 0, ar;

	if (!a)
		ml_oom();
	if (lseek(fd, 0, SEEK_SET) < 0) {
		archive_read_free(a);
		return ml_err(-errno, "cannot read %s: %s", name,
			      strerror(errno));
	}
	archive_read_support_format_tar(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	if (archive_read_open_fd(a, fd, 64 * 1024) != ARCHIVE_OK) {
		r = ml_err(-EINVAL,
			   "%s is not a tar archive (image load takes what 'docker save' writes): %s",
			   name, archive_error_string(a));
		goto out;
	}
	while ((ar = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		const char *path = archive_entry_pathname(ae);
		const char *sym = archive_entry_symlink(ae);
		const char *hard = archive_entry_hardlink(ae);
		char *clean = path ? clean_path(NULL, path) : NULL;
		const void *buf;
		size_t len;
		la_int64_t off;

		any = true;
		if (clean && *clean) {
			char *dir = ml_xstrdup(clean), *slash;
			struct entry *e;

			slash = strrchr(dir, '/');
			*(slash ? slash : dir) = '\0';
			if (es.n == es.cap) {
				es.cap = es.cap ? 2 * es.cap : 64;
				es.v = ml_xrealloc(es.v,
						   es.cap * sizeof(*es.v));
			}
			e = &es.v[es.n++];
			e->name = clean;
			e->link = sym	 ? clean_path(dir, sym)
				  : hard ? clean_path(NULL, hard)
					 : NULL;
			free(dir);
			/* a link out of the archive points at nothing */
			if ((sym || hard) && !e->link)
				e->link = ml_xstrdup("");
		} else {
			free(clean);
			clean = NULL;
		}
		if (clean && (!strcmp(clean, "manifest.json") ||
			      !strcmp(clean, "repositories"))) {
			r = read_meta(a, name, clean, archive_entry_size(ae),
				      clean[0] == 'm' ? &manifest
						      : &repositories);
			if (r < 0)
				goto out;
		}
		/* read every byte: a short entry is how a cut shows */
		while ((ar = archive_read_data_block(a, &buf, &len, &off)) ==
		       ARCHIVE_OK)
			;
		if (ar != ARCHIVE_EOF)
			break;
		end_of_entries = archive_filter_bytes(a, 0);
	}
	if (ar != ARCHIVE_EOF) {
		r = ml_err(-EINVAL,
			   "%s is not a complete image archive: %s; nothing was loaded",
			   name, archive_error_string(a));
		goto out;
	}
	/* libarchive, like Go's tar reader, takes a tar cut at a block
	 * boundary for a shorter one; the end marker says it is whole */
	if (archive_filter_bytes(a, 0) <= end_of_entries) {
		r = ml_err(-EINVAL,
			   "%s is not a complete image archive: it ends without the tar end marker (cut short?); nothing was loaded",
			   name);
		goto out;
	}
	if (!any) {
		r = ml_err(-EINVAL,
			   "%s is an empty tar archive, not a 'docker save' one",
			   name);
		goto out;
	}
	if (es.n)
		qsort(es.v, es.n, sizeof(*es.v), entry_cmp);
	if (manifest)
		r = check_manifest(&es, name, manifest, &names);
	else if (repositories)
		r = check_repositories(&es, name, repositories, &names);
	else
		r = ml_err(-EINVAL,
			   "%s is not a 'docker save' archive: it has neither manifest.json nor repositories",
			   name);
	if (r >= 0 && ret_images) {
		ml_buf_add(&names, "", 0);
		*ret_images = names.p ? names.p : ml_xstrdup("");
		names.p = NULL;
	}
out:
	ml_buf_release(&names);
	entries_release(&es);
	archive_read_free(a);
	return r;
}
