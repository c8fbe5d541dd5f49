/*
 * base/pki_paths.c: where the pki module's files are, without libcrypto, so
 * that the light front end (docker-env) can find them without loading OpenSSL.
 */
#include "config.h"

#include "base/pki.h"

#include "base/paths.h"
#include "base/util.h"

char *
ml_pki_ca_cert_path(const char *home, const char *profile)
{
	ml_autofree char *certs = ml_paths_profile_certs_dir(home, profile);

	return ml_xasprintf("%s/" ML_PKI_CA_CERT, certs);
}

char *
ml_pki_docker_ca_cert_path(const char *home, const char *profile)
{
	ml_autofree char *certs = ml_paths_profile_certs_dir(home, profile);

	return ml_xasprintf("%s/" ML_PKI_DOCKER_CA_CERT, certs);
}

void
ml_pki_admin_files(const char *home, const char *profile, char **ret_ca,
		   char **ret_cert, char **ret_key)
{
	ml_autofree char *certs = ml_paths_profile_certs_dir(home, profile);

	*ret_ca = ml_xasprintf("%s/" ML_PKI_CA_CERT, certs);
	*ret_cert = ml_xasprintf("%s/" ML_PKI_ADMIN_CERT, certs);
	*ret_key = ml_xasprintf("%s/" ML_PKI_ADMIN_KEY, certs);
}

char *
ml_pki_ssh_key_path(const char *home, const char *profile)
{
	ml_autofree char *certs = ml_paths_profile_certs_dir(home, profile);

	return ml_xasprintf("%s/" ML_PKI_SSH_KEY, certs);
}

char *
ml_pki_ssh_pub_path(const char *home, const char *profile)
{
	ml_autofree char *certs = ml_paths_profile_certs_dir(home, profile);

	return ml_xasprintf("%s/" ML_PKI_SSH_PUB, certs);
}

char *
ml_pki_ssh_host_key_path(const char *home, const char *profile)
{
	ml_autofree char *certs = ml_paths_profile_certs_dir(home, profile);

	return ml_xasprintf("%s/" ML_PKI_SSH_HOST_KEY, certs);
}

char *
ml_pki_ssh_host_pub_path(const char *home, const char *profile)
{
	ml_autofree char *certs = ml_paths_profile_certs_dir(home, profile);

	return ml_xasprintf("%s/" ML_PKI_SSH_HOST_PUB, certs);
}

char *
ml_pki_docker_cert_dir(const char *home, const char *profile)
{
	ml_autofree char *certs = ml_paths_profile_certs_dir(home, profile);

	return ml_xasprintf("%s/docker", certs);
}

bool
ml_pki_docker_certs_present(const char *home, const char *profile)
{
	static const char *const names[] = { "ca.pem", "cert.pem", "key.pem" };
	ml_autofree char *dir = ml_pki_docker_cert_dir(home, profile);
	size_t i;

	for (i = 0; i < ML_ARRAY_SIZE(names); i++) {
		ml_autofree char *p = ml_xasprintf("%s/%s", dir, names[i]);

		if (!ml_path_exists(p))
			return false;
	}
	return true;
}
