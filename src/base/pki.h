/*
 * base/pki.h: keys and X.509 certificates for a cluster, made with libcrypto.
 *
 * Files, all PEM; private keys 0600, directories 0700:
 *
 *   CERTS/ca.crt, ca.key                the profile's cluster CA, 10 years
 *   CERTS/docker-ca.crt, docker-ca.key  the profile's Docker CA, 10 years
 *   CERTS/apiserver.{crt,key}           kube-apiserver serving cert
 *   CERTS/admin.{crt,key}               CN=minilaunch-admin, O=system:masters
 *   CERTS/kube-controller-manager.{crt,key}
 *   CERTS/kube-scheduler.{crt,key}
 *   CERTS/kubelet.{crt,key}             CN=system:node:NODE, O=system:nodes
 *   CERTS/kube-proxy.{crt,key}          CN=system:kube-proxy
 *   CERTS/apiserver-kubelet-client.{crt,key}
 *   CERTS/sa.key, sa.pub                service-account signing key pair
 *   CERTS/docker-server.{crt,key}       dockerd's TLS serving cert
 *   CERTS/docker/{ca.pem,cert.pem,key.pem}  Docker client (DOCKER_CERT_PATH)
 *   CERTS/id_ssh, id_ssh.pub            SSH key pair (OpenSSH formats)
 *   CERTS/ssh_host_key, ssh_host_key.pub  the node's SSH host key pair
 *                                       (ml_pki_ensure_ssh_host_key)
 *
 * where CERTS is ml_paths_profile_certs_dir(home, profile).
 *
 * Trust is per profile and per service, so that a key taken from one node
 * opens nothing else: the cluster CA signs the Kubernetes leaves only; the
 * Docker CA signs only docker-server and docker/cert.pem (docker/ca.pem is
 * a copy of docker-ca.crt, dockerd's --tlscacert). So a client of one
 * profile is refused by every other profile's API server and dockerd, a
 * client trusting the cluster CA refuses dockerd's cert, and one trusting
 * the Docker CA refuses the API server's. The CA keys never leave the host:
 * the node gets ca.crt and docker-ca.crt only (machine/node.h).
 *
 * Before, one CA in ml_paths_ca_dir(home) (HOME/certs) signed every
 * profile. That directory is no longer read or written: ml_pki_ensure()
 * gives an old profile its own CAs and reissues its leaves (they are not
 * signed by the profile's CA), and start writes the kubeconfig with the new
 * ca.crt. The old directory stays until `delete --purge` removes it with
 * the home.
 */
#ifndef ML_PKI_H
#define ML_PKI_H

#include <stdbool.h>

struct ml_pki_stats {
	unsigned generated; /* files (cert or key pairs) written this run */
	unsigned reused;    /* valid ones kept as they were */
};

/*
 * Makes sure every file above exists and is valid for profile: a cert is
 * regenerated when missing, unreadable, not signed by its CA (the profile's
 * cluster CA, or its Docker CA for the two Docker leaves), expiring within
 * 30 days, or when its wanted subject or SANs changed; a new CA regenerates
 * every leaf it signs. node is the Kubernetes node name (the
 * profile name; NULL means profile). stats may be NULL. Returns 0 or -errno
 * with a message.
 *
 * A regenerated leaf gets a new key too. sa.key and id_ssh are kept while
 * they parse (only sa.pub / id_ssh.pub are rewritten when wrong), since
 * replacing them would invalidate tokens and the guest's authorized key.
 * Keys are ECDSA P-256; certs are SHA-256 signed with random 127-bit
 * serials, the CAs valid 10 years, leaves 3 years (at most until their CA
 * expires). Profiles share no file, so different profiles may be ensured
 * concurrently; two runs for the same profile need the caller's profile
 * lock.
 */
int ml_pki_ensure(const char *home, const char *profile, const char *node,
		  struct ml_pki_stats *stats);

/* The names of the files other modules reach (pki_paths.c, no libcrypto). */
#define ML_PKI_CA_CERT "ca.crt"
#define ML_PKI_CA_KEY "ca.key"
#define ML_PKI_DOCKER_CA_CERT "docker-ca.crt"
#define ML_PKI_DOCKER_CA_KEY "docker-ca.key"
#define ML_PKI_ADMIN_CERT "admin.crt"
#define ML_PKI_ADMIN_KEY "admin.key"
#define ML_PKI_SSH_KEY "id_ssh"
#define ML_PKI_SSH_PUB "id_ssh.pub"
#define ML_PKI_SSH_HOST_KEY "ssh_host_key"
#define ML_PKI_SSH_HOST_PUB "ssh_host_key.pub"

/* CERTS/ca.crt, the cluster CA profile's API server is checked with. Caller
 * frees. */
char *ml_pki_ca_cert_path(const char *home, const char *profile);

/* CERTS/docker-ca.crt, the CA of profile's dockerd and Docker client.
 * Caller frees. */
char *ml_pki_docker_ca_cert_path(const char *home, const char *profile);

/*
 * The files a client of profile's API server authenticates with:
 * CERTS/ca.crt, CERTS/admin.crt, CERTS/admin.key. Each one: caller frees.
 */
void ml_pki_admin_files(const char *home, const char *profile, char **ret_ca,
			char **ret_cert, char **ret_key);

/* CERTS/id_ssh and CERTS/id_ssh.pub, the node's SSH pair. Caller frees. */
char *ml_pki_ssh_key_path(const char *home, const char *profile);
char *ml_pki_ssh_pub_path(const char *home, const char *profile);

/*
 * CERTS/ssh_host_key and CERTS/ssh_host_key.pub, the node's SSH host key
 * pair (the config drive carries it to the guest). Caller frees.
 */
char *ml_pki_ssh_host_key_path(const char *home, const char *profile);
char *ml_pki_ssh_host_pub_path(const char *home, const char *profile);

/*
 * Makes sure the node's SSH host key pair exists (P-256, the formats of
 * id_ssh, the key 0600), keeping a key that parses, since the client pins
 * it. Apart from ml_pki_ensure: the config drive asks for it. Returns 0 or
 * -errno with a message.
 */
int ml_pki_ensure_ssh_host_key(const char *home, const char *profile);

/*
 * The Docker client directory for DOCKER_CERT_PATH: ca.pem (the Docker CA),
 * cert.pem, key.pem. Caller frees.
 */
char *ml_pki_docker_cert_dir(const char *home, const char *profile);

/* True when the Docker client directory holds ca.pem, cert.pem, key.pem. */
bool ml_pki_docker_certs_present(const char *home, const char *profile);

#endif
