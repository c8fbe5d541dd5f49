/* machine/https.c: one-shot HTTPS requests with client certificates. */
#include "config.h"

#include "machine/https.h"

#include "base/util.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct body {
	char *p;
	size_t len;
};

static size_t
collect(char *data, size_t size, size_t n, void *ud)
{
	struct body *b = ud;
	size_t add = size * n;

	if (b->len + add > 16 * 1024 * 1024)
		return 0; /* a probe never needs more */
	b->p = ml_xrealloc(b->p, b->len + add + 1);
	memcpy(b->p + b->len, data, add);
	b->len += add;
	b->p[b->len] = '\0';
	return add;
}

int
ml_https_get(const char *url, const struct ml_https_tls *tls, long timeout_ms,
	     long *ret_status, char **ret_body)
{
	struct body b = { NULL, 0 };
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *c = curl_easy_init();
	CURLcode rc;

	if (!c)
		return ml_err(-ENOMEM, "cannot start libcurl");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, tls->ca_file);
	curl_easy_setopt(c, CURLOPT_SSLCERT, tls->cert_file);
	curl_easy_setopt(c, CURLOPT_SSLKEY, tls->key_file);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	rc = curl_easy_perform(c);
	*ret_status = 0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, ret_status);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		free(b.p);
		return ml_err(-EHOSTUNREACH, "GET %s: %s", url,
			      *errbuf ? errbuf : curl_easy_strerror(rc));
	}
	if (ret_body)
		*ret_body = b.p ? b.p : ml_xstrdup("");
	else
		free(b.p);
	return 0;
}
