/*
 * fuzz_iso.c: the config drive writer and the ISO reader
 * (src/machine/iso.c), through libarchive. The first byte picks the mode:
 *
 *   even: the rest is split at 0xff bytes into up to four files (paths
 *         fixed, as the config drive's), written with ml_iso_write() and
 *         read back with ml_iso_read_file(): every byte must come back.
 *   odd:  the same image, then patched: the rest is a list of
 *         (offset: 3 bytes, value: 1 byte) edits, and the damaged image
 *         is read (files, /version.json, extraction). A reader that
 *         crashes on arbitrary image bytes shows here without a 50 KiB
 *         seed in git.
 */
#include "config.h"

#include "machine/iso.h"
#include "fuzz.h"

#include <sys/stat.h>

static const char *const names[] = { "meta-data", "user-data", "version.json",
				     "certs/ca.crt" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *dir = fuzz_scratch();
	char *iso = ml_xasprintf("%s/drive.iso", dir);
	char *out = ml_xasprintf("%s/out", dir);
	struct ml_iso_file files[4];
	size_t nfiles = 0;
	const char *p, *end;
	bool patch;
	int r;

	if (size < 1)
		goto done;
	fuzz_quiet();
	patch = data[0] & 1;
	p = (const char *)data + 1;
	end = (const char *)data + size;
	if (patch) {
		static const char version[] =
			"{\"image_version\":\"0.1.0\",\"kubernetes_version\":\"v1.20.2\"}";

		files[0] = (struct ml_iso_file){ "version.json", version,
						 sizeof(version) - 1, 0 };
		files[1] = (struct ml_iso_file){ "meta-data", "x", 1, 0600 };
		nfiles = 2;
	} else {
		while (nfiles < 4) {
			const char *sep = memchr(p, 0xff, (size_t)(end - p));
			const char *e = sep ? sep : end;

			files[nfiles] = (struct ml_iso_file){
				names[nfiles], p, (size_t)(e - p),
				nfiles % 2 ? 0600 : 0644
			};
			nfiles++;
			if (!sep)
				break;
			p = sep + 1;
		}
	}
	r = ml_iso_write(iso, "cidata", files, nfiles);
	if (r < 0) {
		fprintf(stderr, "ml_iso_write: %s\n", ml_err_msg());
		abort();
	}
	if (!patch) {
		for (size_t i = 0; i < nfiles; i++) {
			char *back = NULL;
			size_t len = 0;

			if (ml_iso_read_file(iso, files[i].path, &back, &len) <
				    0 ||
			    len != files[i].len ||
			    memcmp(back, files[i].data, len) != 0) {
				fprintf(stderr, "%s did not come back: %s\n",
					files[i].path, ml_err_msg());
				abort();
			}
			free(back);
		}
	} else {
		static const char *const extract[] = { "meta-data",
						       "version.json", NULL };
		struct ml_iso_version v = { 0 };
		struct stat st;
		int fd = open(iso, O_RDWR);

		if (fd < 0 || fstat(fd, &st) < 0)
			abort();
		for (; end - p >= 4; p += 4) {
			const uint8_t *e = (const uint8_t *)p;
			off_t off = (off_t)((e[0] << 16 | e[1] << 8 | e[2]) %
					    st.st_size);

			if (pwrite(fd, &e[3], 1, off) != 1)
				abort();
		}
		close(fd);
		for (size_t i = 0; i < 4; i++) {
			char *back = NULL;
			size_t len;

			if (ml_iso_read_file(iso, names[i], &back, &len) >= 0)
				free(back);
		}
		if (ml_iso_read_version(iso, &v) >= 0)
			ml_iso_version_clear(&v);
		mkdir(out, 0700);
		ml_iso_extract(iso, extract, out);
	}
done:
	free(iso);
	free(out);
	return 0;
}
