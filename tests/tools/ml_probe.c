/*
 * ml_probe: runs one of the probes start waits with, for the shell tests:
 * the API server's (kube/cluster.h, the k8s client with the profile's
 * cluster CA) or dockerd's (machine/probe.h, with its Docker CA). Prints
 * "ok", or the probe's error message, and exits 0 or 1.
 *
 *   ml_probe apiserver|docker HOME PROFILE PORT
 */
#include "config.h"

#include "base/util.h"
#include "kube/cluster.h"
#include "machine/probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(int argc, char **argv)
{
	int r;

	if (argc != 5 || (strcmp(argv[1], "apiserver") != 0 &&
			  strcmp(argv[1], "docker") != 0)) {
		fprintf(stderr,
			"usage: ml_probe apiserver|docker HOME PROFILE PORT\n");
		return 64;
	}
	if (strcmp(argv[1], "apiserver") == 0)
		r = ml_cluster_probe_apiserver(argv[2], argv[3], atoi(argv[4]),
					       10000);
	else
		r = ml_probe_docker(argv[2], argv[3], atoi(argv[4]), 10000);
	if (r < 0) {
		printf("%s\n", ml_err_msg() ? ml_err_msg() : "failed");
		return 1;
	}
	printf("ok\n");
	return 0;
}
