/*
 * base/download.h: fetch a file over https or file URLs into the cache,
 * verified by sha256, resumable, with progress on a terminal (bytes, rate
 * and time left) and plain lines elsewhere.
 */
#ifndef ML_DOWNLOAD_H
#define ML_DOWNLOAD_H

#include <stdbool.h>

/*
 * Makes sure cache_dir/NAME (NAME: the URL's last path element) holds the
 * file at url whose sha256 is sha256_hex; with sha256_hex NULL the digest
 * is read from url + ".sha256" (its first word), or, when that cannot be
 * fetched, from the NAME.sha256 kept beside an earlier verified download,
 * so that a cached file serves offline. A cached file that matches is used
 * as it is. The download goes to NAME.part (resumed when present; started
 * over when the server cannot resume it: a 200 answer to the range, a 416,
 * a part longer than the file) and becomes NAME only once its digest
 * matches; a mismatch removes the part and fails with -EBADMSG, leaving
 * the cache as it was. *ret_path is the cached file (caller frees).
 *
 * url must pass ml_download_check_url(); redirects are followed to https
 * URLs only (an error naming the redirect otherwise).
 */
int ml_download(const char *url, const char *sha256_hex, const char *cache_dir,
		char **ret_path);

/*
 * 0 when ml_download() takes url: https:// or file://. Plain http lets
 * anyone on the way change the file and the checksum beside it alike:
 * -EPROTONOSUPPORT with a message naming url and the fix, as for any other
 * scheme.
 */
int ml_download_check_url(const char *url);

/*
 * For tests only: lets ml_download() take http:// URLs too, so that a test
 * can serve files from 127.0.0.1 without TLS. Redirects still go to https
 * only. Nothing but tests/unit calls it.
 */
void ml_download_allow_http_for_tests(bool allow);

/* The sha256 of a file as 64 lowercase hex digits in out[65]. */
int ml_download_sha256_file(const char *path, char out[65]);

#endif
