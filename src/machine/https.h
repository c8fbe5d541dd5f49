/*
 * machine/https.h: one-shot HTTPS requests with client certificates
 * (libcurl), for the readiness probe of the node's Docker daemon (the API
 * server is asked through kube/k8s.h). TLS verification is always on.
 */
#ifndef ML_HTTPS_H
#define ML_HTTPS_H

struct ml_https_tls {
	const char *ca_file;
	const char *cert_file;
	const char *key_file;
};

/*
 * GETs url. *ret_status is the HTTP status (0 when no response came);
 * ret_body may be NULL, else the body (caller frees). Returns 0 when a
 * response arrived (whatever its status), -errno with a message otherwise.
 */
int ml_https_get(const char *url, const struct ml_https_tls *tls,
		 long timeout_ms, long *ret_status, char **ret_body);

#endif
