/*
 * fuzz_p9.c: the 9P2000.L decoder and handler of `minilaunch mount`
 * (src/machine/p9.c). The input is a stream of messages as the guest's
 * kernel would send them (each with its own size field, cut where the
 * input ends), handled in order by one session serving a scratch
 * directory; a reply must always fit the message size and carry the
 * request's tag.
 */
#include "config.h"

#include "machine/p9.h"
#include "fuzz.h"

#include <dirent.h>
#include <sys/stat.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *dir = fuzz_scratch();
	char *root = ml_xasprintf("%s/root", dir);
	struct ml_p9_options o = { .msize = 8192, .max_fids = 64 };
	struct ml_p9 *s = NULL;
	uint8_t *resp;
	size_t off = 0;

	fuzz_quiet();
	ml_rm_rf(root);
	mkdir(root, 0700);
	if (ml_p9_new(root, &o, &s) < 0)
		abort();
	resp = ml_xmalloc(ml_p9_msize_max(s));
	while (size - off >= 7) {
		uint32_t len = (uint32_t)data[off] |
			       (uint32_t)data[off + 1] << 8 |
			       (uint32_t)data[off + 2] << 16 |
			       (uint32_t)data[off + 3] << 24;
		size_t n;

		if (len < 7 || len > size - off)
			break;
		n = ml_p9_handle(s, data + off, len, resp);
		if (n < 7 || n > ml_p9_msize_max(s) ||
		    resp[5] != data[off + 5] || resp[6] != data[off + 6]) {
			fprintf(stderr, "bad reply of %zu bytes\n", n);
			abort();
		}
		off += len;
	}
	s = ml_p9_free(s);
	/* nothing escaped the root: the scratch directory holds it alone */
	{
		DIR *d = opendir(dir);
		struct dirent *e;

		while (d && (e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
			    strcmp(e->d_name, "root")) {
				fprintf(stderr, "'%s' made outside the root\n",
					e->d_name);
				abort();
			}
		if (d)
			closedir(d);
	}
	free(resp);
	ml_rm_rf(root);
	free(root);
	return 0;
}
