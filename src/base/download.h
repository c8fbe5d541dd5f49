/*
 * base/download.h: fetch a file over http, https or file URLs into the cache,
 * verified by sha256, resumable, with progress on a terminal (bytes, rate
 * and time left) and plain lines elsewhere.
 */
#ifndef ML_DOWNLOAD_H
#define ML_DOWNLOAD_H

/*
 * Makes sure cache_dir/NAME (NAME: the URL's last path element) holds the
 * file at url whose sha256 is sha256_hex; with sha256_hex NULL the digest
 * is read from url + ".sha256" (its first word), or, when that cannot be
 * fetched, from the NAME.sha256 kept beside an earlier verified download,
 * so that a cached file serves offline. A cached file that matches is used
 * as it is. The download goes to NAME.part (resumed when present)
 * and becomes NAME only once its digest matches; a mismatch removes the
 * part and fails with -EBADMSG, leaving the cache as it was. *ret_path is
 * the cached file (caller frees).
 */
int ml_download(const char *url, const char *sha256_hex, const char *cache_dir,
		char **ret_path);

/* The sha256 of a file as 64 lowercase hex digits in out[65]. */
int ml_download_sha256_file(const char *path, char out[65]);

#endif
