/*
 * machine/probe.h: what the host can tell about a booting node without
 * Kubernetes: whether its Docker daemon answers over TLS, and whether its
 * serial log reports a failed boot. (The API server and the node's Ready
 * condition are asked through the k8s client: kube/cluster.h.)
 */
#ifndef ML_PROBE_H
#define ML_PROBE_H

/*
 * GETs /_ping of the Docker daemon forwarded to 127.0.0.1:port with the
 * profile's Docker client certificates, within timeout_ms. dockerd's cert
 * must be signed by the profile's Docker CA (docker/ca.pem, never the
 * cluster CA) and name 127.0.0.1. 0 on HTTP 200, else -errno with a message
 * ("GET URL: HTTP N" or the transport error).
 */
int ml_probe_docker(const char *home, const char *profile, int port,
		    long timeout_ms);

/*
 * A line of the serial log at serial_log that says the boot failed
 * ("minilaunch: ERROR" or "minilaunch-initrd: FAILED"), or NULL (also when
 * the log cannot be read). Caller frees.
 */
char *ml_probe_boot_failure(const char *serial_log);

#endif
