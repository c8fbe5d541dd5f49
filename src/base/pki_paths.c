/*
 * base/pki_paths.c: where the pki module's files are, without libcrypto, so
 * that the light front end (docker-env) can find them without loading OpenSSL.
 */
#include "config.h"

#include "base/pki.h"

#include "base/paths.h"
#include "base/util.h"

/* CERTS/name, CERTS being ml_paths_profile_certs_dir(). Caller frees. */
static char *
certs_file(const char *home, const char *profile, const char *name)
{
	ml_autofree char *certs = ml_paths_profile_certs_dir(home, profile);

	return ml_xasprintf("%s/%s", certs, name);
}

char *
ml_pki_ca_cert_path(const char *home, const char *profile)
{
	return certs_file(home, profile, ML_PKI_CA_CERT);
}

char *
ml_pki_docker_ca_cert_path(const char *home, const char *profile)
{
	return certs_file(home, profile, ML_PKI_DOCKER_CA_CERT);
}

void
ml_pki_admin_files(const char *home, const char *profile, char **ret_ca,
		   char **ret_cert, char **ret_key)
{
	*ret_ca = certs_file(home, profile, ML_PKI_CA_CERT);
	*ret_cert = certs_file(home, profile, ML_PKI_ADMIN_CERT);
	*ret_key = certs_file(home, profile, ML_PKI_ADMIN_KEY);
}

char *
ml_pki_ssh_key_path(const char *home, const char *profile)
{
	return certs_file(home, profile, ML_PKI_SSH_KEY);
}

char *
ml_pki_ssh_pub_path(const char *home, const char *profile)
{
	return certs_file(home, profile, ML_PKI_SSH_PUB);
}

char *
ml_pki_ssh_host_key_path(const char *home, const char *profile)
{
	return certs_file(home, profile, ML_PKI_SSH_HOST_KEY);
}

char *
ml_pki_ssh_host_pub_path(const char *home, const char *profile)
{
	return certs_file(home, profile, ML_PKI_SSH_HOST_PUB);
}

char *
ml_pki_docker_cert_dir(const char *home, const char *profile)
{
	return certs_file(home, profile, "docker");
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
