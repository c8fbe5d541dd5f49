/*
 * ml_fixture: writes the state a running cluster leaves in a profile, for
 * the CLI tests of commands that read it (docker-env, update-context,
 * profile list) before `start` exists. The certificates are real, made by
 * the pki module; only the VM behind the ports is absent.
 *
 *   ml_fixture HOME PROFILE STATUS [DOCKER_PORT APISERVER_PORT]
 */
#include "config.h"

#include "base/pki.h"
#include "base/profile.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
	struct ml_profile *p;
	int r;

	if (argc != 4 && argc != 6) {
		fprintf(stderr,
			"usage: ml_fixture HOME PROFILE STATUS [DOCKER_PORT APISERVER_PORT]\n");
		return 64;
	}
	r = ml_pki_ensure(argv[1], argv[2], argv[2], NULL);
	if (r >= 0)
		r = ml_profile_open(argv[1], argv[2],
				    ML_PROFILE_CREATE | ML_PROFILE_LOCK, &p);
	if (r < 0) {
		fprintf(stderr, "ml_fixture: %s\n", ml_err_msg());
		return 1;
	}
	ml_profile_state_set_str(p, "status", argv[3]);
	if (argc == 6) {
		ml_profile_state_set_port(p, "docker", atoi(argv[4]));
		ml_profile_state_set_port(p, "apiserver", atoi(argv[5]));
	}
	r = ml_profile_save(p);
	ml_profile_free(p);
	if (r < 0) {
		fprintf(stderr, "ml_fixture: %s\n", ml_err_msg());
		return 1;
	}
	return 0;
}
