/*
 * cmd/image.c: `minilaunch image load|ls|rm|build`: the images of the
 * node's Docker daemon, without a docker CLI or docker-env (docs/image.md).
 */
#include "config.h"

#include "cmd/command.h"
#include "base/log.h"
#include "base/progress.h"
#include "base/util.h"
#include "machine/build_context.h"
#include "machine/docker_api.h"
#include "machine/image_archive.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { OPT_OUTPUT, OPT_TAG, OPT_FILE };

static const char *const output_values[] = { "table", "json", NULL };
static const char *const image_words[] = { "load", "ls", "rm", "build", NULL };

static const struct ml_option image_options[] = {
	[OPT_OUTPUT] = { "output", 'o', "FORMAT", "ls: table (default) or json",
			 output_values },
	[OPT_TAG] = { "tag", 't', "TAG",
		      "build: the name of the image built, NAME[:TAG]", NULL },
	[OPT_FILE] = { "file", 'f', "DOCKERFILE",
		       "build: the Dockerfile (default: DIR/Dockerfile)",
		       NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

extern const struct ml_command ml_cmd_image;

/* The flags each verb takes. */
static const struct {
	const char *verb;
	int min_args, max_args; /* after the verb; -1: no limit */
	unsigned opts;		/* 1 << OPT_* */
	const char *args;	/* for the usage error */
} verbs[] = {
	{ "load", 1, 1, 0, "FILE.tar or -" },
	{ "ls", 0, 0, 1 << OPT_OUTPUT, NULL },
	{ "rm", 1, -1, 0, "one or more image names" },
	{ "build", 1, 1, 1 << OPT_TAG | 1 << OPT_FILE,
	  "the context directory" },
};

static int
check_args(const struct ml_args *a)
{
	size_t v;

	if (!a->argc)
		return ml_command_usage_error(&ml_cmd_image,
					      "give a verb: load, ls, rm or build");
	for (v = 0; v < ML_ARRAY_SIZE(verbs); v++)
		if (!strcmp(a->argv[0], verbs[v].verb))
			break;
	if (v == ML_ARRAY_SIZE(verbs))
		return ml_command_usage_error(
			&ml_cmd_image,
			"unknown verb 'image %s': give load, ls, rm or build",
			a->argv[0]);
	for (int o = 0; o <= OPT_FILE; o++)
		if (a->opt[o] && !(verbs[v].opts & 1u << o))
			return ml_command_usage_error(
				&ml_cmd_image,
				"flag '--%s' is not one of 'image %s'",
				image_options[o].name, verbs[v].verb);
	if (a->argc - 1 < verbs[v].min_args ||
	    (verbs[v].max_args >= 0 && a->argc - 1 > verbs[v].max_args))
		return ml_command_usage_error(&ml_cmd_image,
					      "'image %s' takes %s",
					      verbs[v].verb,
					      verbs[v].args ? verbs[v].args
							    : "no arguments");
	if (a->opt[OPT_OUTPUT] && strcmp(a->opt[OPT_OUTPUT], "table") &&
	    strcmp(a->opt[OPT_OUTPUT], "json"))
		return ml_command_usage_error(&ml_cmd_image,
					      "invalid output format '%s'",
					      a->opt[OPT_OUTPUT]);
	if (!strcmp(verbs[v].verb, "build") &&
	    (!a->opt[OPT_TAG] || !*a->opt[OPT_TAG]))
		return ml_command_usage_error(
			&ml_cmd_image,
			"'image build' needs -t NAME[:TAG] for the image it builds");
	if (!strcmp(verbs[v].verb, "load") && !strcmp(a->argv[1], "-") &&
	    isatty(0))
		return ml_command_usage_error(
			&ml_cmd_image,
			"'image load -' reads an archive from standard input, which is a terminal: pipe one in, or give FILE.tar");
	return 0;
}

/* docker's sizes: decimal units, three significant digits */
static void
human_size(int64_t n, char *out, size_t len)
{
	static const char *const units[] = { "B",  "kB", "MB", "GB",
					     "TB", "PB", "EB" };
	double v = (double)n;
	size_t u = 0;

	while (v >= 1000 && u + 1 < ML_ARRAY_SIZE(units)) {
		v /= 1000;
		u++;
	}
	snprintf(out, len, "%.3g%s", v, units[u]);
}

/* --- load --- */

struct load {
	int fd;
	const char *name;
	struct ml_buf loaded; /* the daemon's lines, printed at the end */
};

static ssize_t
load_read(void *ud, char *buf, size_t len)
{
	struct load *l = ud;
	ssize_t n;

	do
		n = read(l->fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return ml_err(-errno, "cannot read %s: %s", l->name,
			      strerror(errno));
	return n;
}

static void
load_sent(void *ud, int64_t sent, int64_t size)
{
	char s[32], t[32], bar[23];
	int fill = size > 0 ? (int)(sent * 20 / size) : 0;

	human_size(sent, s, sizeof(s));
	human_size(size, t, sizeof(t));
	bar[0] = '[';
	for (int i = 0; i < 20; i++)
		bar[1 + i] = i < fill ? '#' : ' ';
	bar[21] = ']';
	bar[22] = '\0';
	ml_progress_tick("%s %s of %s", bar, s, t);
}

static void
load_message(void *ud, struct json_object *msg)
{
	struct load *l = ud;
	const char *s = ml_json_str(msg, "stream");

	if (s)
		ml_buf_add(&l->loaded, s, strlen(s));
}

/*
 * Copies in (standard input, or a pipe given as FILE) to an unlinked 0600
 * file in HOME/tmp: the archive must be checked whole before a byte is
 * sent, and a pipe cannot be read twice. The copy is gone with its
 * descriptor, whatever happens.
 */
static int
spool(const char *home, int in, const char *name, int *ret_fd)
{
	ml_autofree char *dir = ml_xasprintf("%s/tmp", home);
	ml_autofree char *tmpl = NULL;
	char buf[64 * 1024];
	int fd, r;

	r = ml_mkdir_p(dir, 0700);
	if (r < 0)
		return r;
	tmpl = ml_xasprintf("%s/image-load-XXXXXX", dir);
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0)
		return ml_err(-errno,
			      "cannot make a temporary file in '%s': %s", dir,
			      strerror(errno));
	unlink(tmpl);
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = ml_err(-errno, "cannot read %s: %s", name,
				   strerror(errno));
			break;
		}
		if (n == 0)
			break;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				r = ml_err(-errno,
					   "cannot keep %s in '%s' while it is checked: %s",
					   name, dir, strerror(errno));
				break;
			}
			off += w;
		}
		if (r < 0)
			break;
	}
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

static int
run_load(const struct ml_globals *g, const char *file)
{
	bool from_stdin = !strcmp(file, "-");
	ml_autofree char *name = from_stdin ? ml_xstrdup("standard input")
					    : ml_xasprintf("'%s'", file);
	ml_autofree char *images = NULL, *what = NULL;
	struct ml_docker *d = NULL;
	struct load l = { .fd = -1, .name = name };
	struct stat st;
	int r;

	r = ml_docker_open(g->home, g->profile, &d);
	if (r < 0)
		return r;
	if (!from_stdin) {
		l.fd = open(file, O_RDONLY | O_CLOEXEC);
		if (l.fd < 0) {
			r = ml_err(-errno, "cannot open %s: %s", name,
				   strerror(errno));
			goto out;
		}
	}
	/* a pipe (stdin, or a FILE such as /dev/fd/N) is spooled: it must be
	 * read once to check and once to send */
	if (from_stdin || (fstat(l.fd, &st) == 0 && !S_ISREG(st.st_mode))) {
		int in = from_stdin ? 0 : l.fd;

		ml_progress_begin("Reading %s", name);
		r = spool(g->home, in, name, &l.fd);
		ml_progress_end(r);
		if (in > 0)
			close(in);
		if (r < 0) {
			l.fd = -1;
			goto out;
		}
	}
	ml_progress_begin("Checking %s", name);
	r = ml_image_archive_check(l.fd, name, &images);
	ml_progress_end(r);
	if (r < 0)
		goto out;
	if (fstat(l.fd, &st) < 0 || lseek(l.fd, 0, SEEK_SET) < 0) {
		r = ml_err(-errno, "cannot read %s: %s", name, strerror(errno));
		goto out;
	}
	what = *images ? ml_xasprintf("%s (%s)", name, images)
		       : ml_xstrdup(name);
	ml_progress_begin("Loading %s into %s", what, ml_docker_name(d));
	r = ml_docker_image_load(d,
				 &(struct ml_docker_body){
					 load_read, &l, (int64_t)st.st_size },
				 what,
				 &(struct ml_docker_events){ load_message,
							     load_sent, &l });
	ml_progress_end(r);
	if (r >= 0 && l.loaded.len)
		fputs(l.loaded.p, stdout);
out:
	if (l.fd >= 0)
		close(l.fd);
	ml_buf_release(&l.loaded);
	ml_docker_free(d);
	return r;
}

/* --- ls --- */

struct row {
	const char *repository, *tag;
	char *repo_owned;
	const struct ml_docker_image *img;
};

static int
row_cmp(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;
	int c;

	if (a->img->created != b->img->created)
		return a->img->created > b->img->created ? -1 : 1;
	c = strcmp(a->repository, b->repository);
	return c ? c : strcmp(a->tag, b->tag);
}

static int
run_ls(const struct ml_globals *g, const struct ml_args *a)
{
	bool json = a->opt[OPT_OUTPUT] && !strcmp(a->opt[OPT_OUTPUT], "json");
	static const char *const head[] = { "REPOSITORY", "TAG", "IMAGE ID",
					    "SIZE" };
	struct ml_docker *d = NULL;
	struct ml_docker_image *imgs = NULL;
	struct row *rows = NULL;
	size_t n = 0, nrows = 0, width[4];
	int r;

	r = ml_docker_open(g->home, g->profile, &d);
	if (r >= 0)
		r = ml_docker_images(d, &imgs, &n);
	ml_docker_free(d);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		size_t nt = 0;

		while (imgs[i].tags[nt])
			nt++;
		rows = ml_xrealloc(rows,
				   (nrows + (nt ? nt : 1)) * sizeof(*rows));
		for (size_t t = 0; t < (nt ? nt : 1); t++) {
			struct row *row = &rows[nrows++];
			const char *full = nt ? imgs[i].tags[t] : NULL;
			const char *colon = full ? strrchr(full, ':') : NULL;

			row->img = &imgs[i];
			/* the tag follows the last ':' after the last '/'
			 * (localhost:5000/app:1) */
			if (colon && !strchr(colon, '/')) {
				row->repo_owned =
					ml_xstrndup(full, colon - full);
				row->tag = colon + 1;
			} else {
				row->repo_owned =
					ml_xstrdup(full ? full : "<none>");
				row->tag = "<none>";
			}
			row->repository = row->repo_owned;
		}
	}
	if (nrows)
		qsort(rows, nrows, sizeof(*rows), row_cmp);
	if (json) {
		struct json_object *arr = json_object_new_array();

		for (size_t i = 0; i < nrows; i++) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "repository",
					       json_object_new_string(
						       rows[i].repository));
			json_object_object_add(o, "tag",
					       json_object_new_string(
						       rows[i].tag));
			json_object_object_add(o, "id",
					       json_object_new_string(
						       rows[i].img->id));
			json_object_object_add(o, "size",
					       json_object_new_int64(
						       rows[i].img->size));
			json_object_array_add(arr, o);
		}
		puts(json_object_to_json_string_ext(
			arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
				     JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
	} else {
		char(*cells)[4][80] =
			ml_xcalloc(nrows ? nrows : 1, sizeof(*cells));

		for (size_t c = 0; c < 4; c++)
			width[c] = strlen(head[c]);
		for (size_t i = 0; i < nrows; i++) {
			const char *id = rows[i].img->id;

			if (ml_startswith(id, "sha256:"))
				id += strlen("sha256:");
			snprintf(cells[i][0], 80, "%s", rows[i].repository);
			snprintf(cells[i][1], 80, "%s", rows[i].tag);
			snprintf(cells[i][2], 80, "%.12s", id);
			human_size(rows[i].img->size, cells[i][3], 80);
			for (size_t c = 0; c < 4; c++)
				if (strlen(cells[i][c]) > width[c])
					width[c] = strlen(cells[i][c]);
		}
		/* docker's columns: at least 10 wide, 3 apart */
		for (size_t c = 0; c < 4; c++)
			width[c] = width[c] + 3 < 10 ? 10 : width[c] + 3;
		for (size_t i = 0; i <= nrows; i++) {
			for (size_t c = 0; c < 3; c++)
				printf("%-*s", (int)width[c],
				       i ? cells[i - 1][c] : head[c]);
			printf("%s\n", i ? cells[i - 1][3] : head[3]);
		}
		free(cells);
	}
	for (size_t i = 0; i < nrows; i++)
		free(rows[i].repo_owned);
	free(rows);
	ml_docker_images_free(imgs, n);
	return 0;
}

/* --- rm --- */

static void
print_line(void *ud, const char *line)
{
	printf("%s\n", line);
}

static int
run_rm(const struct ml_globals *g, const struct ml_args *a)
{
	struct ml_docker *d = NULL;
	int r;

	r = ml_docker_open(g->home, g->profile, &d);
	/* in the order given, up to the first that cannot go */
	for (int i = 1; r >= 0 && i < a->argc; i++)
		r = ml_docker_image_remove(d, a->argv[i], print_line, NULL);
	ml_docker_free(d);
	return r;
}

/* --- build --- */

static void
build_message(void *ud, struct json_object *msg)
{
	const char *s = ml_json_str(msg, "stream");
	const char *status = ml_json_str(msg, "status");

	/* as the docker CLI prints them: the build's own text, then what a
	 * pull of FROM says */
	if (s) {
		fputs(s, stdout);
		fflush(stdout);
	} else if (status) {
		const char *id = ml_json_str(msg, "id");
		const char *progress = ml_json_str(msg, "progress");

		printf("%s%s%s%s%s\n", id ? id : "", id ? ": " : "", status,
		       progress ? " " : "", progress ? progress : "");
		fflush(stdout);
	}
}

static int
run_build(const struct ml_globals *g, const struct ml_args *a)
{
	struct ml_build_context *c = NULL;
	struct ml_docker *d = NULL;
	int r;

	r = ml_docker_open(g->home, g->profile, &d);
	if (r >= 0)
		r = ml_build_context_open(a->argv[1], a->opt[OPT_FILE], &c);
	if (r >= 0) {
		ml_log_debug("sending %zu entries of '%s'",
			     ml_build_context_count(c), a->argv[1]);
		r = ml_docker_image_build(d,
					  &(struct ml_docker_body){
						  ml_build_context_read, c,
						  -1 },
					  a->opt[OPT_TAG],
					  ml_build_context_dockerfile(c),
					  &(struct ml_docker_events){
						  build_message, NULL, NULL });
	}
	ml_build_context_free(c);
	ml_docker_free(d);
	return r;
}

static int
run_image(const struct ml_globals *g, const struct ml_args *a)
{
	const char *verb = a->argv[0];

	if (!strcmp(verb, "load"))
		return run_load(g, a->argv[1]);
	if (!strcmp(verb, "ls"))
		return run_ls(g, a);
	if (!strcmp(verb, "rm"))
		return run_rm(g, a);
	return run_build(g, a);
}

const struct ml_command ml_cmd_image = {
	.name = "image",
	.flags = ML_CMD_NEEDS_RUNNING,
	.check_args = check_args,
	.summary =
		"Load, list, remove and build images in the node's Docker daemon",
	.usage = "image load FILE.tar|-\n"
		 "image ls [-o table|json]\n"
		 "image rm NAME...\n"
		 "image build DIR -t NAME[:TAG] [-f DOCKERFILE]",
	.description =
		"Works on the images of the node's Docker daemon, which the cluster's pods\n"
		"run from (with imagePullPolicy: Never or IfNotPresent), without a docker\n"
		"CLI or 'eval $(minilaunch docker-env)'. It talks to the daemon over TLS\n"
		"with the profile's client certificate, as docker-env's docker CLI does.\n\n"
		"  load   sends an archive 'docker save' wrote (FILE.tar, or - for standard\n"
		"         input), after checking it is whole: a cut or damaged archive is\n"
		"         refused and nothing is loaded. Prints the names loaded.\n"
		"  ls     lists REPOSITORY, TAG, IMAGE ID and SIZE as 'docker images' does;\n"
		"         -o json prints [{repository, tag, id, size}] (size in bytes).\n"
		"  rm     removes each NAME (or ID), in order, stopping at the first that\n"
		"         is missing or in use by a container.\n"
		"  build  sends DIR as the build context (less what DIR/.dockerignore\n"
		"         excludes) and prints the build's output; -f names a Dockerfile\n"
		"         (default DIR/Dockerfile), relative to the working directory.",
	.options = image_options,
	.words = image_words,
	.run = run_image,
};
