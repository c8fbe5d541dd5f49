/* machine/probe.c: the Docker TLS probe and the serial-log failure scan. */
#include "config.h"

#include "machine/probe.h"

#include "base/pki.h"
#include "base/util.h"
#include "machine/https.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
ml_probe_docker(const char *home, const char *profile, int port,
		long timeout_ms)
{
	ml_autofree char *dir = ml_pki_docker_cert_dir(home, profile);
	ml_autofree char *ca = ml_xasprintf("%s/ca.pem", dir);
	ml_autofree char *cert = ml_xasprintf("%s/cert.pem", dir);
	ml_autofree char *key = ml_xasprintf("%s/key.pem", dir);
	ml_autofree char *url =
		ml_xasprintf("https://127.0.0.1:%d/_ping", port);
	long status = 0;
	int r;

	r = ml_https_get(url, &(struct ml_https_tls){ ca, cert, key },
			 timeout_ms, &status, NULL);
	if (r < 0)
		return r;
	if (status != 200)
		return ml_err(status == 404 ? -ENOENT : -EAGAIN,
			      "GET %s: HTTP %ld", url, status);
	return 0;
}

char *
ml_probe_boot_failure(const char *serial_log)
{
	ml_autofree char *log = NULL;
	char *line, *save = NULL;

	if (ml_read_file(serial_log, &log, NULL) < 0) {
		ml_err_clear();
		return NULL;
	}
	for (line = strtok_r(log, "\r\n", &save); line;
	     line = strtok_r(NULL, "\r\n", &save)) {
		if (strstr(line, "minilaunch: ERROR") ||
		    strstr(line, "minilaunch-initrd: FAILED"))
			return ml_xstrdup(line);
	}
	return NULL;
}
