/*
 * base/pki.h: keys and X.509 certificates for a cluster, made with libcrypto.
 *
 * Files, all PEM; private keys 0600, directories 0700:
 *
 *   CA_DIR/ca.crt, ca.key               cluster CA, 10 years, shared by
 * profiles CERTS/apiserver.{crt,key}           kube-apiserver serving cert
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
 * where CA_DIR is ml_paths_ca_dir(home) and CERTS is
 * ml_paths_profile_certs_dir(home, profile).
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
 * regenerated when missing, unreadable, not signed by the current CA,
 * expiring within 30 days, or when its wanted subject or SANs changed; a
 * new CA regenerates every leaf. node is the Kubernetes node name (the
 * profile name; NULL means profile). stats may be NULL. Returns 0 or -errno
 * with a message.
 *
 * A regenerated leaf gets a new key too. sa.key and id_ssh are kept while
 * they parse (only sa.pub / id_ssh.pub are rewritten when wrong), since
 * replacing them would invalidate tokens and the guest's authorized key.
 * Keys are ECDSA P-256; certs are SHA-256 signed with random 127-bit
 * serials, the CA valid 10 years, leaves 3 years (at most until the CA
 * expires). The CA is created and read under an exclusive lock on
 * CA_DIR/.lock, so profiles may be ensured concurrently; two runs for the
 * same profile need the caller's profile lock.
 */
int ml_pki_ensure(const char *home, const char *profile, const char *node,
		  struct ml_pki_stats *stats);

/* The names of the files other modules reach (pki_paths.c, no libcrypto). */
#define ML_PKI_CA_CERT "ca.crt"
#define ML_PKI_ADMIN_CERT "admin.crt"
#define ML_PKI_ADMIN_KEY "admin.key"
#define ML_PKI_SSH_KEY "id_ssh"
#define ML_PKI_SSH_PUB "id_ssh.pub"
#define ML_PKI_SSH_HOST_KEY "ssh_host_key"
#define ML_PKI_SSH_HOST_PUB "ssh_host_key.pub"

/* CA_DIR/ca.crt, the CA every profile of home trusts. Caller frees. */
char *ml_pki_ca_cert_path(const char *home);

/*
 * The files a client of profile's API server authenticates with:
 * CA_DIR/ca.crt, CERTS/admin.crt, CERTS/admin.key. Each one: caller frees.
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

/* The Docker client directory for DOCKER_CERT_PATH. Caller frees. */
char *ml_pki_docker_cert_dir(const char *home, const char *profile);

/* True when the Docker client directory holds ca.pem, cert.pem, key.pem. */
bool ml_pki_docker_certs_present(const char *home, const char *profile);

#endif
