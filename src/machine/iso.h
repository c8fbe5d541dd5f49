/*
 * machine/iso.h: ISO9660 images through libarchive: reading files out of the
 * node image without booting it, and writing the config drive.
 */
#ifndef ML_ISO_H
#define ML_ISO_H

#include <stddef.h>
#include <sys/types.h>

/*
 * One regular file to write; path is relative to the ISO root. mode is the
 * permission bits Rock Ridge records for it (0600 for a private key); 0
 * means 0644.
 */
struct ml_iso_file {
	const char *path;
	const char *data;
	size_t len;
	mode_t mode;
};

/*
 * Reads the file name ("boot/cmdline", no leading slash) out of the ISO at
 * iso_path. *ret_data is NUL-terminated; caller frees. -ENOENT names both
 * when the image lacks it.
 */
int ml_iso_read_file(const char *iso_path, const char *name, char **ret_data,
		     size_t *ret_len);

/* What the image's /version.json says of itself (iso/build writes it). */
struct ml_iso_version {
	char *image;	  /* "0.1.0" */
	char *kubernetes; /* "v1.20.2" */
};

/*
 * Reads /version.json out of the ISO at iso_path into *ret (fields caller
 * frees with ml_iso_version_clear). -ENOENT when the image lacks it,
 * -EBADMSG when it is not JSON or lacks either version, both naming the
 * image.
 */
int ml_iso_read_version(const char *iso_path, struct ml_iso_version *ret);
void ml_iso_version_clear(struct ml_iso_version *v);

/*
 * Copies the files in names (NULL-terminated, paths inside the ISO) to
 * out_dir/BASENAME in one pass over the image, each written atomically.
 */
int ml_iso_extract(const char *iso_path, const char *const *names,
		   const char *out_dir);

/*
 * Writes an ISO9660 image (Rock Ridge and Joliet names) with volume label
 * volume_id holding files, each with its mode (root-owned; directories
 * 0755), to path atomically with mode 0600: the config drive carries
 * private keys.
 */
int ml_iso_write(const char *path, const char *volume_id,
		 const struct ml_iso_file *files, size_t n);

#endif
