/* base/download.c: verified, resumable downloads into the cache. */
#include "config.h"

#include "base/download.h"

#include "base/log.h"
#include "base/util.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int
ml_download_sha256_file(const char *path, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE], buf[1 << 16];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return ml_err(-errno, "cannot open '%s': %s", path,
			      strerror(errno));
	ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	if (n < 0)
		r = ml_err(-errno, "cannot read '%s': %s", path,
			   strerror(errno));
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	close(fd);
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
	return r;
}

struct meter {
	const char *name;
	double t0, last;
	bool tty;
	curl_off_t offset; /* bytes we already had when resuming */
};

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
progress(void *ud, curl_off_t total, curl_off_t got, curl_off_t ut,
	 curl_off_t un)
{
	struct meter *m = ud;
	double t = now(), rate, left;

	if (!m->tty || t - m->last < 0.25 || total <= 0)
		return 0;
	m->last = t;
	rate = (double)got / (t - m->t0 > 0.001 ? t - m->t0 : 0.001);
	left = rate > 0 ? (double)(total - got) / rate : 0;
	fprintf(stderr,
		"\r\033[K  %s %3d%% %.1f/%.1f MiB %.1f MiB/s %.0fs left",
		m->name, (int)(100 * (got + m->offset) / (total + m->offset)),
		(double)(got + m->offset) / 1048576.0,
		(double)(total + m->offset) / 1048576.0, rate / 1048576.0,
		left);
	return 0;
}

static bool allow_http; /* tests only: see download.h */

void
ml_download_allow_http_for_tests(bool allow)
{
	allow_http = allow;
}

/* The one protocol curl may use for url, or NULL when it is refused. */
static const char *
url_protocol(const char *url)
{
	if (strncasecmp(url, "https://", strlen("https://")) == 0)
		return "https";
	if (strncasecmp(url, "file://", strlen("file://")) == 0)
		return "file";
	if (allow_http && strncasecmp(url, "http://", strlen("http://")) == 0)
		return "http";
	return NULL;
}

int
ml_download_check_url(const char *url)
{
	if (url_protocol(url))
		return 0;
	if (strncasecmp(url, "http://", strlen("http://")) == 0)
		return ml_err(
			-EPROTONOSUPPORT,
			"refusing the plain http URL '%s': the file and its checksum could be changed on the way; use an https:// URL, or a file:// URL of a copy you checked",
			url);
	return ml_err(-EPROTONOSUPPORT,
		      "cannot download '%s': give an https:// or file:// URL",
		      url);
}

/*
 * GETs url into the FILE (appending from offset); 0 or -errno. -ERANGE,
 * without a message, when the server cannot resume at offset: a 200
 * answer to the range, a 416, a file shorter than offset.
 */
static int
fetch(const char *url, FILE *f, curl_off_t offset, const char *name)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct meter m = { name, now(), 0, isatty(2) == 1, offset };
	const char *proto = url_protocol(url);
	ml_autofree char *redirect = NULL;
	const char *where = NULL;
	long status = 0;
	CURLcode rc;
	CURL *c;

	if (!proto)
		return ml_download_check_url(url);
	c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	/* a redirect may not take the download off TLS */
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, proto);
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, &m);
	if (offset > 0)
		curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, offset);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &where) == CURLE_OK &&
	    where && strcmp(where, url) != 0)
		redirect = ml_xstrdup(where);
	curl_easy_cleanup(c);
	if (m.tty)
		fputs("\r\033[K", stderr);
	if (offset > 0 &&
	    (rc == CURLE_RANGE_ERROR || rc == CURLE_BAD_DOWNLOAD_RESUME ||
	     (rc == CURLE_HTTP_RETURNED_ERROR && status == 416)))
		return -ERANGE;
	if (rc == CURLE_UNSUPPORTED_PROTOCOL && redirect)
		return ml_err(
			-EPROTONOSUPPORT,
			"cannot download '%s': it redirects to '%s', which is not https; use an https:// URL that does not leave https, or a file:// URL of a copy you checked",
			url, redirect);
	if (rc != CURLE_OK)
		return ml_err(-EIO, "cannot download '%s': %s", url,
			      *errbuf ? errbuf : curl_easy_strerror(rc));
	if (fflush(f) != 0)
		return ml_err(-errno, "cannot write the download of '%s': %s",
			      url, strerror(errno));
	return 0;
}

/* fetch() into the file part: appended to from offset, else rewritten. */
static int
fetch_part(const char *url, const char *part, curl_off_t offset,
	   const char *name)
{
	FILE *f = fopen(part, offset ? "ab" : "wb");
	int r;

	if (!f)
		return ml_err(-errno, "cannot write '%s': %s", part,
			      strerror(errno));
	r = fetch(url, f, offset, name);
	if (fclose(f) != 0 && r >= 0)
		r = ml_err(-errno, "cannot write '%s': %s", part,
			   strerror(errno));
	return r;
}

static int
fetch_text(const char *url, char **ret)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r = fetch(url, f, 0, "checksum");

	fclose(f);
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	return 0;
}

static bool
hex64(const char *s)
{
	for (int i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return s[64] == '\0' || isspace((unsigned char)s[64]);
}

int
ml_download(const char *url, const char *sha256_hex, const char *cache_dir,
	    char **ret_path)
{
	const char *base = strrchr(url, '/');
	ml_autofree char *sum_text = NULL, *want = NULL;
	ml_autofree char *dest = NULL, *part = NULL, *dest_sum = NULL;
	char got[65];
	struct stat st;
	curl_off_t offset = 0;
	int r;

	r = ml_download_check_url(url);
	if (r < 0)
		return r;
	base = base && base[1] ? base + 1 : NULL;
	if (!base || strchr(base, '?') || strcmp(base, "..") == 0)
		return ml_err(
			-EINVAL,
			"cannot tell a file name from URL '%s': give a URL ending in the file's name",
			url);
	dest = ml_xasprintf("%s/%s", cache_dir, base);
	part = ml_xasprintf("%s.part", dest);
	dest_sum = ml_xasprintf("%s.sha256", dest);
	if (sha256_hex) {
		want = ml_xstrdup(sha256_hex);
	} else {
		ml_autofree char *sum_url = ml_xasprintf("%s.sha256", url);
		r = fetch_text(sum_url, &sum_text);
		/* offline: the checksum kept beside a verified download */
		if (r < 0 && ml_read_file(dest_sum, &sum_text, NULL) >= 0)
			r = 0;
		if (r < 0)
			return ml_err(
				r,
				"cannot fetch the checksum '%s' (%s): every download is verified",
				sum_url, ml_err_msg());
		want = ml_xstrndup(sum_text, 64);
	}
	for (char *c = want; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (strlen(want) != 64 || !hex64(want))
		return ml_err(
			-EBADMSG,
			"no valid sha256 for '%s': the checksum file must start with 64 hex digits",
			url);
	r = ml_mkdir_p(cache_dir, 0700);
	if (r < 0)
		return r;
	if (stat(dest, &st) == 0 && ml_download_sha256_file(dest, got) >= 0 &&
	    strcmp(got, want) == 0) {
		ml_log_debug("'%s' is cached and verified", dest);
		*ret_path = ml_xstrdup(dest);
		return 0;
	}
	if (stat(part, &st) == 0)
		offset = st.st_size;
	if (offset)
		fprintf(stderr, "  resuming %s at %.1f MiB\n", base,
			(double)offset / 1048576.0);
	r = fetch_part(url, part, offset, base);
	if (r == -ERANGE) {
		/* else the part would block every later try the same way */
		fprintf(stderr, "  cannot resume %s: starting over\n", base);
		r = fetch_part(url, part, 0, base);
	}
	if (r < 0)
		return r; /* the part stays for the next try to resume */
	r = ml_download_sha256_file(part, got);
	if (r >= 0 && strcmp(got, want) != 0) {
		unlink(part);
		return ml_err(
			-EBADMSG,
			"'%s' has sha256 %s, not the expected %s: refused and removed",
			url, got, want);
	}
	if (r >= 0 && rename(part, dest) < 0)
		r = ml_err(-errno, "cannot move '%s' into the cache: %s", part,
			   strerror(errno));
	if (r >= 0) {
		ml_autofree char *line = ml_xasprintf("%s  %s\n", want, base);
		r = ml_write_file_atomic(dest_sum, line, strlen(line), 0644);
	}
	if (r >= 0)
		*ret_path = ml_xstrdup(dest);
	return r;
}
