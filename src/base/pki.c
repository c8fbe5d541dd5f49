/*
 * base/pki.c: keys and X.509 certificates for a cluster, made with libcrypto.
 *
 * Every key is ECDSA P-256: generating one takes well under a millisecond,
 * so a cold start is not slowed down, and kube-apiserver, the kubelet,
 * dockerd and OpenSSH all accept it.
 */
#include "config.h"

#include "base/pki.h"

#include "base/log.h"
#include "base/paths.h"
#include "base/util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define CA_DAYS (10 * 365)
#define LEAF_DAYS (3 * 365)
#define RENEW_BEFORE (30L * 24 * 60 * 60)
/* Tolerates a guest clock that lags the host's, as minikube does. */
#define BACKDATE (24L * 60 * 60)
#define CA_CN "minilaunchCA"
#define DOCKER_CA_CN "minilaunchDockerCA"
#define SSH_KEY_TYPE "ecdsa-sha2-nistp256"
#define SSH_CURVE "nistp256"

enum {
	USE_SERVER = 1 << 0,
	USE_CLIENT = 1 << 1,
};

struct leaf {
	const char *crt_name; /* relative to CERTS */
	const char *key_name;
	const char *o; /* NULL: no organization */
	const char *cn;
	unsigned use;
	const char *dns[10]; /* NULL-terminated */
	const char *ip[4];
	bool docker; /* signed by the Docker CA, else by the cluster CA */
};

struct ca {
	X509 *cert;
	EVP_PKEY *key;
	char *pem; /* the cert as PEM, for docker/ca.pem */
	size_t pem_len;
};

static void
ca_clear(struct ca *ca)
{
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	free(ca->pem);
	memset(ca, 0, sizeof(*ca));
}

/*
 * Records a libcrypto failure: "cannot WHAT 'PATH': reason". The queue is
 * emptied so that a later message does not pick up a stale reason.
 */
static int
ssl_err(const char *what, const char *path)
{
	unsigned long e = ERR_peek_last_error();
	char buf[256] = "unknown libcrypto error";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return ml_err(
		-EIO,
		"cannot %s '%s': %s: check that OpenSSL 3 is installed correctly",
		what, path, buf);
}

/* Never prompts for a passphrase: our keys are never encrypted. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

/*
 * Loaders return NULL, with a reason for the debug log, when path is
 * missing or does not parse: that means "regenerate", not "fail".
 */
static X509 *
load_cert(const char *path, const char **ret_why)
{
	FILE *f = fopen(path, "re");
	X509 *x;

	if (!f) {
		*ret_why = errno == ENOENT ? "missing" : "unreadable";
		return NULL;
	}
	x = PEM_read_X509(f, NULL, no_passphrase, NULL);
	fclose(f);
	ERR_clear_error();
	if (!x)
		*ret_why = "not a PEM certificate";
	return x;
}

/*
 * Only EC keys are looked for: libcrypto then tries far fewer decoders,
 * which makes a warm ml_pki_ensure() several times faster. Any other key
 * type is regenerated as a P-256 key.
 */
static EVP_PKEY *
load_key(const char *path, const char **ret_why)
{
	FILE *f = fopen(path, "re");
	OSSL_DECODER_CTX *dctx;
	EVP_PKEY *k = NULL;
	BIO *b;

	if (!f) {
		*ret_why = errno == ENOENT ? "key missing" : "key unreadable";
		return NULL;
	}
	b = BIO_new_fp(f, BIO_CLOSE);
	if (!b)
		fclose(f);
	dctx = OSSL_DECODER_CTX_new_for_pkey(&k, "PEM", NULL, "EC",
					     OSSL_KEYMGMT_SELECT_KEYPAIR, NULL,
					     NULL);
	if (b && dctx &&
	    (!OSSL_DECODER_CTX_set_pem_password_cb(dctx, no_passphrase, NULL) ||
	     OSSL_DECODER_from_bio(dctx, b) != 1)) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	OSSL_DECODER_CTX_free(dctx);
	BIO_free(b);
	ERR_clear_error();
	if (!k)
		*ret_why = "key is not an unencrypted PEM P-256 private key";
	return k;
}

static EVP_PKEY *
load_pubkey(const char *path)
{
	FILE *f = fopen(path, "re");
	EVP_PKEY *k;

	if (!f)
		return NULL;
	k = PEM_read_PUBKEY(f, NULL, no_passphrase, NULL);
	fclose(f);
	ERR_clear_error();
	return k;
}

/* Reads path without recording an error; false when it cannot. */
static bool
read_quiet(const char *path, char **ret_data, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return false;
	do {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = ml_xrealloc(buf, cap);
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return false;
	}
	fclose(f);
	*ret_data = buf;
	*ret_len = len;
	return true;
}

static int
write_bio(const char *path, BIO *b, mode_t mode)
{
	char *data;
	long len = BIO_get_mem_data(b, &data);

	if (len < 0)
		return ssl_err("encode", path);
	return ml_write_file_atomic(path, data, (size_t)len, mode);
}

/* Private keys are PKCS#8 except the SSH key, see write_ssh_key(). */
static int
write_key(const char *path, EVP_PKEY *key, bool traditional)
{
	BIO *b = BIO_new(BIO_s_mem());
	int r, ok;

	if (!b)
		return ssl_err("encode key", path);
	if (traditional)
		ok = PEM_write_bio_PrivateKey_traditional(b, key, NULL, NULL, 0,
							  NULL, NULL);
	else
		ok = PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL,
					      NULL);
	r = ok ? write_bio(path, b, 0600) : ssl_err("encode key", path);
	BIO_free(b);
	return r;
}

static int
write_pubkey(const char *path, EVP_PKEY *key)
{
	BIO *b = BIO_new(BIO_s_mem());
	int r;

	if (!b)
		return ssl_err("encode public key", path);
	if (PEM_write_bio_PUBKEY(b, key))
		r = write_bio(path, b, 0644);
	else
		r = ssl_err("encode public key", path);
	BIO_free(b);
	return r;
}

static int
cert_pem(X509 *x, const char *path, char **ret_pem, size_t *ret_len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long len;

	if (!b || !PEM_write_bio_X509(b, x)) {
		BIO_free(b);
		return ssl_err("encode certificate", path);
	}
	len = BIO_get_mem_data(b, &data);
	*ret_pem = ml_xstrndup(data, (size_t)len);
	*ret_len = (size_t)len;
	BIO_free(b);
	return 0;
}

static int
write_cert(const char *path, X509 *x)
{
	ml_autofree char *pem = NULL;
	size_t len;
	int r;

	r = cert_pem(x, path, &pem, &len);
	if (r < 0)
		return r;
	return ml_write_file_atomic(path, pem, len, 0644);
}

/* Creates path (and parents) and makes it 0700 even when it existed. */
static int
ensure_dir(const char *path)
{
	struct stat st;
	int r;

	r = ml_mkdir_p(path, 0700);
	if (r < 0)
		return r;
	if (stat(path, &st) < 0)
		return ml_err(-errno, "cannot stat '%s': %s", path,
			      strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return ml_err(-ENOTDIR, "'%s' is not a directory: remove it",
			      path);
	if ((st.st_mode & 07777) != 0700 && chmod(path, 0700) < 0)
		return ml_err(
			-errno,
			"cannot make '%s' private (mode 0700): %s: fix its ownership",
			path, strerror(errno));
	return 0;
}

static EVP_PKEY *
gen_key(const char *path)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	if (!k)
		ssl_err("generate a P-256 key for", path);
	return k;
}

static bool
is_p256(EVP_PKEY *k)
{
	char group[64];

	return EVP_PKEY_is_a(k, "EC") &&
	       EVP_PKEY_get_group_name(k, group, sizeof(group), NULL) &&
	       (strcmp(group, "prime256v1") == 0 ||
		strcmp(group, "P-256") == 0);
}

/* True when x expires within RENEW_BEFORE or is not yet valid. */
static bool
expiring(X509 *x)
{
	time_t limit = time(NULL) + RENEW_BEFORE;

	if (X509_cmp_time(X509_get0_notAfter(x), &limit) <= 0)
		return true;
	return X509_cmp_current_time(X509_get0_notBefore(x)) >= 0;
}

static X509_NAME *
make_name(const char *o, const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	if (!n)
		return NULL;
	if (o &&
	    !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
					(const unsigned char *)o, -1, -1, 0))
		goto fail;
	if (!X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
					(const unsigned char *)cn, -1, -1, 0))
		goto fail;
	return n;
fail:
	X509_NAME_free(n);
	return NULL;
}

static GENERAL_NAMES *
make_sans(const struct leaf *l)
{
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	size_t i;

	if (!gens)
		return NULL;
	for (i = 0; l->dns[i]; i++) {
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_IA5STRING *s = ASN1_IA5STRING_new();

		if (!g || !s || !ASN1_STRING_set(s, l->dns[i], -1)) {
			GENERAL_NAME_free(g);
			ASN1_IA5STRING_free(s);
			goto fail;
		}
		GENERAL_NAME_set0_value(g, GEN_DNS, s);
		if (!sk_GENERAL_NAME_push(gens, g)) {
			GENERAL_NAME_free(g);
			goto fail;
		}
	}
	for (i = 0; l->ip[i]; i++) {
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_OCTET_STRING *o = a2i_IPADDRESS(l->ip[i]);

		if (!g || !o) {
			GENERAL_NAME_free(g);
			ASN1_OCTET_STRING_free(o);
			goto fail;
		}
		GENERAL_NAME_set0_value(g, GEN_IPADD, o);
		if (!sk_GENERAL_NAME_push(gens, g)) {
			GENERAL_NAME_free(g);
			goto fail;
		}
	}
	return gens;
fail:
	GENERAL_NAMES_free(gens);
	return NULL;
}

/* True when x's SANs are exactly l's, in order. */
static bool
sans_match(X509 *x, const struct leaf *l)
{
	GENERAL_NAMES *have, *want;
	bool same = false;
	int i, n;

	have = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	want = make_sans(l);
	if (!want)
		goto out;
	n = sk_GENERAL_NAME_num(want);
	if (!have) {
		same = n == 0;
		goto out;
	}
	if (sk_GENERAL_NAME_num(have) != n)
		goto out;
	for (i = 0; i < n; i++)
		if (GENERAL_NAME_cmp(sk_GENERAL_NAME_value(have, i),
				     sk_GENERAL_NAME_value(want, i)) != 0)
			goto out;
	same = true;
out:
	GENERAL_NAMES_free(have);
	GENERAL_NAMES_free(want);
	ERR_clear_error();
	return same;
}

static uint32_t
wanted_xku(const struct leaf *l)
{
	return (l->use & USE_SERVER ? XKU_SSL_SERVER : 0) |
	       (l->use & USE_CLIENT ? XKU_SSL_CLIENT : 0);
}

static int
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	int ok;

	if (!ext)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

static int
set_random_serial(X509 *x)
{
	unsigned char buf[16];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(buf, sizeof(buf)) != 1)
		return 0;
	buf[0] &= 0x7f; /* a serial must be positive */
	bn = BN_bin2bn(buf, sizeof(buf), NULL);
	if (!bn)
		return 0;
	if (BN_is_zero(bn))
		BN_one(bn);
	ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

/*
 * A new version 3 certificate for key with subject name, a random serial
 * and validity from now - BACKDATE to now + days, no later than issuer's.
 * Returns NULL on failure, leaving the reason on libcrypto's queue.
 */
static X509 *
new_cert(EVP_PKEY *key, X509_NAME *name, X509 *issuer, int days)
{
	X509 *x = X509_new();
	time_t now = time(NULL);

	if (!x || !X509_set_version(x, X509_VERSION_3) ||
	    !set_random_serial(x) || !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer)
					    : name) ||
	    !X509_set_pubkey(x, key) ||
	    !X509_time_adj_ex(X509_getm_notBefore(x), 0, -BACKDATE, &now) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), days, 0, &now))
		goto fail;
	if (issuer &&
	    ASN1_TIME_compare(X509_get0_notAfter(x),
			      X509_get0_notAfter(issuer)) > 0 &&
	    !X509_set1_notAfter(x, X509_get0_notAfter(issuer)))
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

static const char *
ca_problem(X509 *x, EVP_PKEY *k, const char *cn)
{
	X509_NAME *want = make_name(NULL, cn);
	const char *why = NULL;

	if (!X509_check_private_key(x, k))
		why = "key does not match";
	else if (!want || X509_NAME_cmp(X509_get_subject_name(x), want) != 0)
		why = "subject changed";
	else if (X509_check_ca(x) != 1)
		why = "not a CA";
	else if (expiring(x))
		why = "expires within 30 days";
	X509_NAME_free(want);
	ERR_clear_error();
	return why;
}

static int
gen_ca(struct ca *ca, const char *cn, const char *crt, const char *key)
{
	X509_NAME *name = NULL;
	X509V3_CTX ctx;
	int r;

	ca->key = gen_key(key);
	if (!ca->key)
		return -EIO;
	name = make_name(NULL, cn);
	ca->cert = name ? new_cert(ca->key, name, NULL, CA_DAYS) : NULL;
	X509_NAME_free(name);
	if (!ca->cert)
		return ssl_err("create certificate", crt);
	X509V3_set_ctx(&ctx, ca->cert, ca->cert, NULL, NULL, 0);
	if (!add_ext(ca->cert, &ctx, NID_basic_constraints,
		     "critical,CA:TRUE") ||
	    !add_ext(ca->cert, &ctx, NID_key_usage,
		     "critical,keyCertSign,cRLSign,digitalSignature") ||
	    !add_ext(ca->cert, &ctx, NID_subject_key_identifier, "hash") ||
	    !X509_sign(ca->cert, ca->key, EVP_sha256()))
		return ssl_err("create certificate", crt);
	r = write_key(key, ca->key, false);
	if (r < 0)
		return r;
	return write_cert(crt, ca->cert);
}

/*
 * Loads the CA CERTS/NAME.crt with its key CERTS/NAME.key, subject CN=cn,
 * creating it when it is not usable. Each profile has its own CAs, so the
 * caller's profile lock is all the locking needed.
 */
static int
ensure_ca(const char *certs, const char *crt_name, const char *key_name,
	  const char *cn, struct ca *ca, struct ml_pki_stats *st)
{
	ml_autofree char *crt = ml_xasprintf("%s/%s", certs, crt_name);
	ml_autofree char *key = ml_xasprintf("%s/%s", certs, key_name);
	const char *why = NULL;
	int r;

	ca->cert = load_cert(crt, &why);
	if (ca->cert) {
		ca->key = load_key(key, &why);
		if (ca->key)
			why = ca_problem(ca->cert, ca->key, cn);
	}
	if (why) {
		ml_log_debug("regenerating '%s': %s", crt, why);
		ca_clear(ca);
		r = gen_ca(ca, cn, crt, key);
		if (r < 0)
			return r;
		st->generated++;
	} else {
		st->reused++;
	}
	return cert_pem(ca->cert, crt, &ca->pem, &ca->pem_len);
}

static const char *
leaf_problem(X509 *x, EVP_PKEY *k, const struct leaf *l, const struct ca *ca)
{
	X509_NAME *want = make_name(l->o, l->cn);
	EVP_PKEY *ca_pub = X509_get0_pubkey(ca->cert);
	const char *why = NULL;

	if (!X509_check_private_key(x, k))
		why = "key does not match";
	else if (X509_NAME_cmp(X509_get_issuer_name(x),
			       X509_get_subject_name(ca->cert)) != 0 ||
		 !ca_pub || X509_verify(x, ca_pub) != 1)
		why = "not signed by the current CA";
	else if (expiring(x))
		why = "expires within 30 days";
	else if (!want || X509_NAME_cmp(X509_get_subject_name(x), want) != 0)
		why = "subject changed";
	else if (!sans_match(x, l))
		why = "subject alternative names changed";
	else if (X509_get_extended_key_usage(x) != wanted_xku(l) ||
		 X509_get_key_usage(x) !=
			 (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT))
		why = "key usage changed";
	X509_NAME_free(want);
	ERR_clear_error();
	return why;
}

static int
gen_leaf(const struct leaf *l, const char *crt, const char *key,
	 const struct ca *ca)
{
	EVP_PKEY *k = NULL;
	X509_NAME *name = NULL;
	GENERAL_NAMES *sans = NULL;
	X509 *x = NULL;
	X509V3_CTX ctx;
	char eku[32] = "";
	int r;

	k = gen_key(key);
	if (!k)
		return -EIO;
	name = make_name(l->o, l->cn);
	x = name ? new_cert(k, name, ca->cert, LEAF_DAYS) : NULL;
	if (!x) {
		r = ssl_err("create certificate", crt);
		goto out;
	}
	if (l->use & USE_SERVER)
		strcat(eku, "serverAuth");
	if (l->use & USE_CLIENT)
		strcat(eku, *eku ? ",clientAuth" : "clientAuth");
	X509V3_set_ctx(&ctx, ca->cert, x, NULL, NULL, 0);
	if (!add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(x, &ctx, NID_key_usage,
		     "critical,digitalSignature,keyEncipherment") ||
	    !add_ext(x, &ctx, NID_ext_key_usage, eku) ||
	    !add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
	    !add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always")) {
		r = ssl_err("create certificate", crt);
		goto out;
	}
	if (l->dns[0] || l->ip[0]) {
		sans = make_sans(l);
		if (!sans || !X509_add1_ext_i2d(x, NID_subject_alt_name, sans,
						0, X509V3_ADD_DEFAULT)) {
			r = ssl_err("create certificate", crt);
			goto out;
		}
	}
	if (!X509_sign(x, ca->key, EVP_sha256())) {
		r = ssl_err("sign certificate", crt);
		goto out;
	}
	/* Key first: a crash in between leaves a mismatch, fixed next run. */
	r = write_key(key, k, false);
	if (r >= 0)
		r = write_cert(crt, x);
out:
	GENERAL_NAMES_free(sans);
	X509_NAME_free(name);
	X509_free(x);
	EVP_PKEY_free(k);
	return r;
}

static int
ensure_leaf(const char *certs, const struct leaf *l, const struct ca *ca,
	    struct ml_pki_stats *st)
{
	ml_autofree char *crt = ml_xasprintf("%s/%s", certs, l->crt_name);
	ml_autofree char *key = ml_xasprintf("%s/%s", certs, l->key_name);
	const char *why = NULL;
	EVP_PKEY *k = NULL;
	X509 *x;
	int r;

	x = load_cert(crt, &why);
	if (x)
		k = load_key(key, &why);
	if (x && k)
		why = leaf_problem(x, k, l, ca);
	X509_free(x);
	EVP_PKEY_free(k);
	if (!why) {
		st->reused++;
		return 0;
	}
	ml_log_debug("regenerating '%s': %s", crt, why);
	r = gen_leaf(l, crt, key, ca);
	if (r < 0)
		return r;
	st->generated++;
	return 0;
}

/*
 * The service-account pair. A valid sa.key is kept even when sa.pub must
 * be rewritten: a new key would invalidate every issued token.
 */
static int
ensure_sa(const char *certs, struct ml_pki_stats *st)
{
	ml_autofree char *key = ml_xasprintf("%s/sa.key", certs);
	ml_autofree char *pub = ml_xasprintf("%s/sa.pub", certs);
	const char *why = NULL;
	EVP_PKEY *k, *p = NULL;
	int r = 0;

	k = load_key(key, &why);
	if (k)
		p = load_pubkey(pub);
	if (k && p && EVP_PKEY_eq(k, p) == 1) {
		st->reused++;
		goto out;
	}
	ERR_clear_error();
	if (!k) {
		ml_log_debug("regenerating '%s': %s", key, why);
		k = gen_key(key);
		if (!k) {
			r = -EIO;
			goto out;
		}
		r = write_key(key, k, false);
		if (r < 0)
			goto out;
	}
	r = write_pubkey(pub, k);
	if (r >= 0)
		st->generated++;
out:
	EVP_PKEY_free(p);
	EVP_PKEY_free(k);
	return r;
}

static void
put_string(unsigned char **p, const void *s, uint32_t len)
{
	(*p)[0] = (unsigned char)(len >> 24);
	(*p)[1] = (unsigned char)(len >> 16);
	(*p)[2] = (unsigned char)(len >> 8);
	(*p)[3] = (unsigned char)len;
	memcpy(*p + 4, s, len);
	*p += 4 + len;
}

/*
 * The authorized_keys line for a P-256 key (RFC 5656 section 3.1): the
 * strings "ecdsa-sha2-nistp256", "nistp256" and the uncompressed point.
 * Returns NULL when the key has no uncompressed P-256 point.
 */
static char *
ssh_pub_line(EVP_PKEY *k)
{
	unsigned char pt[65], blob[4 + 19 + 4 + 8 + 4 + 65], *p = blob;
	unsigned char b64[4 * ((sizeof(blob) + 2) / 3) + 1];
	size_t len = 0;

	/* The form is kept from the file a key was read from; force it. */
	if (!EVP_PKEY_set_utf8_string_param(
		    k, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
		    OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED) ||
	    !EVP_PKEY_get_octet_string_param(k,
					     OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
					     pt, sizeof(pt), &len) ||
	    len != sizeof(pt) || pt[0] != 0x04)
		return NULL;
	put_string(&p, SSH_KEY_TYPE, strlen(SSH_KEY_TYPE));
	put_string(&p, SSH_CURVE, strlen(SSH_CURVE));
	put_string(&p, pt, sizeof(pt));
	EVP_EncodeBlock(b64, blob, (int)sizeof(blob));
	return ml_xasprintf("%s %s minilaunch\n", SSH_KEY_TYPE, (char *)b64);
}

/*
 * An SSH pair: the client's id_ssh or the node's host key. The private key
 * is traditional PEM ("EC PRIVATE KEY"), as ssh-keygen -m PEM writes it,
 * which every OpenSSH and Go's x/crypto/ssh read. A valid key is kept when
 * only its .pub is wrong, since the other side may already trust it.
 */
static int
ensure_ssh_pair(const char *key, const char *pub, struct ml_pki_stats *st)
{
	ml_autofree char *line = NULL, *have = NULL;
	const char *why = NULL;
	size_t have_len = 0;
	EVP_PKEY *k;
	int r = 0;

	k = load_key(key, &why);
	if (k && !is_p256(k))
		why = "not a P-256 key";
	if (k && !why)
		line = ssh_pub_line(k);
	ERR_clear_error();
	if (line && read_quiet(pub, &have, &have_len) &&
	    have_len == strlen(line) && memcmp(have, line, have_len) == 0) {
		st->reused++;
		goto out;
	}
	if (!line) {
		ml_log_debug("regenerating '%s': %s", key,
			     why ? why : "no public point");
		EVP_PKEY_free(k);
		k = gen_key(key);
		if (!k) {
			r = -EIO;
			goto out;
		}
		line = ssh_pub_line(k);
		if (!line) {
			r = ssl_err("encode public key", pub);
			goto out;
		}
		r = write_key(key, k, true);
		if (r < 0)
			goto out;
	}
	r = ml_write_file_atomic(pub, line, strlen(line), 0644);
	if (r >= 0)
		st->generated++;
out:
	EVP_PKEY_free(k);
	return r;
}

static int
ensure_ssh(const char *home, const char *profile, struct ml_pki_stats *st)
{
	ml_autofree char *key = ml_pki_ssh_key_path(home, profile);
	ml_autofree char *pub = ml_pki_ssh_pub_path(home, profile);

	return ensure_ssh_pair(key, pub, st);
}

int
ml_pki_ensure_ssh_host_key(const char *home, const char *profile)
{
	ml_autofree char *certs = ml_paths_profile_certs_dir(home, profile);
	ml_autofree char *key = ml_pki_ssh_host_key_path(home, profile);
	ml_autofree char *pub = ml_pki_ssh_host_pub_path(home, profile);
	struct ml_pki_stats st = { 0, 0 };
	int r = ensure_dir(certs);

	return r < 0 ? r : ensure_ssh_pair(key, pub, &st);
}

/* docker/ca.pem, the Docker client's copy of the Docker CA's cert. */
static int
ensure_docker_ca_pem(const char *docker, const struct ca *ca,
		     struct ml_pki_stats *st)
{
	ml_autofree char *path = ml_xasprintf("%s/ca.pem", docker);
	ml_autofree char *have = NULL;
	size_t len;
	int r;

	if (read_quiet(path, &have, &len) && len == ca->pem_len &&
	    memcmp(have, ca->pem, len) == 0) {
		st->reused++;
		return 0;
	}
	r = ml_write_file_atomic(path, ca->pem, ca->pem_len, 0644);
	if (r >= 0)
		st->generated++;
	return r;
}

/* NAME.crt and NAME.key, relative to CERTS */
#define CERT_AND_KEY(name) .crt_name = name ".crt", .key_name = name ".key"

/* Every leaf certificate of profile, whose node is node_name; stores them in
 * out (N_LEAVES long) and returns how many. */
#define N_LEAVES 9

static size_t
profile_leaves(struct leaf *out, const char *profile, const char *node_name,
	       const char *kubelet_cn)
{
	const struct leaf leaves[] = {
		{
			CERT_AND_KEY("apiserver"),
			.cn = "kube-apiserver",
			.use = USE_SERVER,
			.dns = { "localhost", "kubernetes",
				 "kubernetes.default", "kubernetes.default.svc",
				 "kubernetes.default.svc.cluster.local",
				 "control-plane.minilaunch.internal", profile },
			.ip = { "127.0.0.1", "10.0.2.15", "10.96.0.1" },
		},
		{
			.crt_name = ML_PKI_ADMIN_CERT,
			.key_name = ML_PKI_ADMIN_KEY,
			.o = "system:masters",
			.cn = "minilaunch-admin",
			.use = USE_CLIENT,
		},
		{
			CERT_AND_KEY("kube-controller-manager"),
			.cn = "system:kube-controller-manager",
			.use = USE_CLIENT,
		},
		{
			CERT_AND_KEY("kube-scheduler"),
			.cn = "system:kube-scheduler",
			.use = USE_CLIENT,
		},
		{
			/* Also the kubelet's serving cert. */
			CERT_AND_KEY("kubelet"),
			.o = "system:nodes",
			.cn = kubelet_cn, /* system:node:NODE */
			.use = USE_SERVER | USE_CLIENT,
			.dns = { node_name, "localhost" },
			.ip = { "127.0.0.1", "10.0.2.15" },
		},
		{
			CERT_AND_KEY("kube-proxy"),
			.o = "system:node-proxier",
			.cn = "system:kube-proxy",
			.use = USE_CLIENT,
		},
		{
			CERT_AND_KEY("apiserver-kubelet-client"),
			.o = "system:masters",
			.cn = "kube-apiserver-kubelet-client",
			.use = USE_CLIENT,
		},
		{
			CERT_AND_KEY("docker-server"),
			.cn = "minilaunch-docker-server",
			.use = USE_SERVER,
			.dns = { "localhost" },
			.ip = { "127.0.0.1", "10.0.2.15" },
			.docker = true,
		},
		{
			.crt_name = "docker/cert.pem",
			.key_name = "docker/key.pem",
			.cn = "minilaunch-docker-client",
			.use = USE_CLIENT,
			.docker = true,
		},
	};

	_Static_assert(ML_ARRAY_SIZE(leaves) == N_LEAVES, "N_LEAVES");
	memcpy(out, leaves, sizeof(leaves));
	return ML_ARRAY_SIZE(leaves);
}

int
ml_pki_ensure(const char *home, const char *profile, const char *node,
	      struct ml_pki_stats *stats)
{
	const char *node_name = node ? node : profile;
	ml_autofree char *certs = ml_paths_profile_certs_dir(home, profile);
	ml_autofree char *docker = ml_pki_docker_cert_dir(home, profile);
	ml_autofree char *kubelet_cn =
		ml_xasprintf("system:node:%s", node_name);
	struct leaf leaves[N_LEAVES];
	size_t n = profile_leaves(leaves, profile, node_name, kubelet_cn);
	struct ml_pki_stats st = { 0, 0 };
	struct ca ca = { 0 }, docker_ca = { 0 };
	size_t i;
	int r;

	r = ensure_dir(certs);
	if (r >= 0)
		r = ensure_dir(docker);
	if (r >= 0)
		r = ensure_ca(certs, ML_PKI_CA_CERT, ML_PKI_CA_KEY, CA_CN, &ca,
			      &st);
	if (r >= 0)
		r = ensure_ca(certs, ML_PKI_DOCKER_CA_CERT,
			      ML_PKI_DOCKER_CA_KEY, DOCKER_CA_CN, &docker_ca,
			      &st);
	for (i = 0; r >= 0 && i < n; i++)
		r = ensure_leaf(certs, &leaves[i],
				leaves[i].docker ? &docker_ca : &ca, &st);
	if (r >= 0)
		r = ensure_docker_ca_pem(docker, &docker_ca, &st);
	if (r >= 0)
		r = ensure_sa(certs, &st);
	if (r >= 0)
		r = ensure_ssh(home, profile, &st);
	ca_clear(&ca);
	ca_clear(&docker_ca);
	if (r < 0)
		return r;
	ml_log_debug("%u generated, %u reused", st.generated, st.reused);
	if (stats)
		*stats = st;
	return 0;
}
