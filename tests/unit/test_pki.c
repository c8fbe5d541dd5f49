/*
 * test_pki.c: ml_pki_ensure() checked with the real openssl and ssh-keygen
 * command-line tools, so that the files are judged by an independent
 * implementation rather than by the code that wrote them.
 */
#include "config.h"

#include "base/paths.h"
#include "base/pki.h"
#include "base/util.h"
#include "check_run.h"

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROFILE "minilaunch"
/* 2 CAs, 9 leaves, docker/ca.pem, sa pair, ssh pair */
#define N_ITEMS 14
/* What a new cluster CA regenerates: it and its 7 leaves. */
#define N_CLUSTER 8

static const char *const leaf_certs[] = {
	"apiserver.crt",
	"admin.crt",
	"kube-controller-manager.crt",
	"kube-scheduler.crt",
	"kubelet.crt",
	"kube-proxy.crt",
	"apiserver-kubelet-client.crt",
	"docker-server.crt",
	"docker/cert.pem",
};

static const char *const all_files[] = {
	"apiserver.crt",
	"apiserver.key",
	"admin.crt",
	"admin.key",
	"kube-controller-manager.crt",
	"kube-controller-manager.key",
	"kube-scheduler.crt",
	"kube-scheduler.key",
	"kubelet.crt",
	"kubelet.key",
	"kube-proxy.crt",
	"kube-proxy.key",
	"apiserver-kubelet-client.crt",
	"apiserver-kubelet-client.key",
	"docker-server.crt",
	"docker-server.key",
	"docker/ca.pem",
	"docker/cert.pem",
	"docker/key.pem",
	"sa.key",
	"sa.pub",
	"id_ssh",
	"id_ssh.pub",
};

static char *home;
/* Strings from path_of(), freed by teardown(). */
static char **owned;
static size_t n_owned;

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");

	home = ml_xasprintf("%s/test_pki.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(home));
}

static void
teardown(void)
{
	ml_rm_rf(home);
	free(home);
	home = NULL;
	while (n_owned > 0)
		free(owned[--n_owned]);
	free(owned);
	owned = NULL;
}

/*
 * name in profile's certs dir, or when profile is NULL in HOME/certs, where
 * the CA shared by every profile used to be. Borrowed: lives until
 * teardown().
 */
static const char *
path_of(const char *profile, const char *name)
{
	ml_autofree char *dir =
		profile ? ml_paths_profile_certs_dir(home, profile)
			: ml_paths_ca_dir(home);

	owned = ml_xrealloc(owned, (n_owned + 1) * sizeof(*owned));
	owned[n_owned] = ml_xasprintf("%s/%s", dir, name);
	return owned[n_owned++];
}

static char *
slurp(const char *path)
{
	char *data = NULL;

	ck_assert_msg(ml_read_file(path, &data, NULL) == 0, "%s", ml_err_msg());
	return data;
}

static void
spit(const char *path, const char *data)
{
	ck_assert_int_eq(ml_write_file_atomic(path, data, strlen(data), 0600),
			 0);
}

/*
 * Runs a shell command in the profile's certs dir, which holds its CAs ($CA
 * is "."); $OLD is HOME/certs, the old shared CA's dir. Returns the exit status
 * and, in *ret_out (caller frees) when not NULL, stdout and stderr.
 */
static int sh(const char *profile, char **ret_out, const char *fmt, ...)
	ML_PRINTF(3, 4);

static int
sh(const char *profile, char **ret_out, const char *fmt, ...)
{
	ml_autofree char *certs = ml_paths_profile_certs_dir(home, profile);
	ml_autofree char *old = ml_paths_ca_dir(home);
	ml_autofree char *cmd = NULL, *full = NULL;
	char *out = NULL, buf[4096];
	size_t len = 0, n;
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, fmt);
	cmd = ml_xvasprintf(fmt, ap);
	va_end(ap);
	full = ml_xasprintf("cd '%s' && CA=. && OLD='%s' && (%s) 2>&1", certs,
			    old, cmd);
	p = popen(full, "r");
	ck_assert_ptr_nonnull(p);
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
		out = ml_xrealloc(out, len + n + 1);
		memcpy(out + len, buf, n);
		len += n;
	}
	if (!out)
		out = ml_xstrdup("");
	out[len] = '\0';
	st = pclose(p);
	st = WIFEXITED(st) ? WEXITSTATUS(st) : 255;
	if (ret_out)
		*ret_out = out;
	else
		free(out);
	return st;
}

/* Asserts that the command succeeds and its output contains want. */
static void
expect_output(const char *profile, const char *want, const char *cmd)
{
	ml_autofree char *out = NULL;
	int st = sh(profile, &out, "%s", cmd);

	ck_assert_msg(st == 0, "'%s' failed (%d): %s", cmd, st, out);
	ck_assert_msg(strstr(out, want), "'%s' output lacks '%s':\n%s", cmd,
		      want, out);
}

static void
expect_no_output(const char *profile, const char *unwanted, const char *cmd)
{
	ml_autofree char *out = NULL;

	ck_assert_int_eq(sh(profile, &out, "%s", cmd), 0);
	ck_assert_msg(!strstr(out, unwanted), "'%s' output has '%s':\n%s", cmd,
		      unwanted, out);
}

static void
ensure(const char *profile, const char *node, unsigned generated,
       unsigned reused)
{
	struct ml_pki_stats st = { 99, 99 };
	int r = ml_pki_ensure(home, profile, node, &st);

	ck_assert_msg(r == 0, "ml_pki_ensure: %d %s", r, ml_err_msg());
	ck_assert_uint_eq(st.generated, generated);
	ck_assert_uint_eq(st.reused, reused);
}

/* crt verifies against its CA: the Docker CA for docker*, else the cluster
 * CA. */
static void
expect_verifies(const char *profile, const char *crt)
{
	ml_autofree char *cmd =
		ml_xasprintf("openssl verify -CAfile \"$CA/%s\" '%s'",
			     strncmp(crt, "docker", 6) == 0 ? "docker-ca.crt"
							    : "ca.crt",
			     crt);

	expect_output(profile, ": OK", cmd);
}

static void
expect_mode(const char *path, mode_t mode)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_msg((st.st_mode & 07777) == mode, "'%s' has mode %o", path,
		      (unsigned)(st.st_mode & 07777));
}

static bool
same_file(const char *a, const char *b)
{
	ml_autofree char *da = slurp(a), *db = slurp(b);

	return strcmp(da, db) == 0;
}

START_TEST(test_pki_generates_every_file)
{
	size_t i;

	ensure(PROFILE, PROFILE, N_ITEMS, 0);
	for (i = 0; i < ML_ARRAY_SIZE(all_files); i++) {
		const char *p = path_of(PROFILE, all_files[i]);

		ck_assert_msg(ml_path_exists(p), "'%s' missing", p);
	}
	ck_assert(ml_path_exists(path_of(PROFILE, "ca.crt")));
	ck_assert(ml_path_exists(path_of(PROFILE, "ca.key")));
	ck_assert(ml_path_exists(path_of(PROFILE, "docker-ca.crt")));
	ck_assert(ml_path_exists(path_of(PROFILE, "docker-ca.key")));
	/* Nothing is shared between profiles any more. */
	ck_assert(!ml_path_exists(path_of(NULL, ".")));
}
END_TEST

START_TEST(test_pki_stats_may_be_null)
{
	ck_assert_int_eq(ml_pki_ensure(home, PROFILE, NULL, NULL), 0);
	expect_output(PROFILE, "CN = system:node:" PROFILE,
		      "openssl x509 -noout -subject -in kubelet.crt");
}
END_TEST

START_TEST(test_pki_certs_verify_against_ca)
{
	size_t i;

	ensure(PROFILE, PROFILE, N_ITEMS, 0);
	for (i = 0; i < ML_ARRAY_SIZE(leaf_certs); i++)
		expect_verifies(PROFILE, leaf_certs[i]);
	expect_output(
		PROFILE, ": OK",
		"openssl verify -purpose sslserver -CAfile \"$CA/ca.crt\" apiserver.crt kubelet.crt");
	expect_output(
		PROFILE, ": OK",
		"openssl verify -purpose sslclient -CAfile \"$CA/ca.crt\" admin.crt kubelet.crt kube-proxy.crt kube-scheduler.crt kube-controller-manager.crt apiserver-kubelet-client.crt");
	/* Each cert's key matches it. */
	for (i = 0; i < ML_ARRAY_SIZE(leaf_certs); i++) {
		ml_autofree char *key = ml_xstrdup(leaf_certs[i]);
		ml_autofree char *cmd = NULL;

		if (ml_endswith(key, ".crt"))
			strcpy(key + strlen(key) - 4, ".key");
		else
			strcpy(strrchr(key, '/'), "/key.pem");
		cmd = ml_xasprintf(
			"test \"$(openssl x509 -noout -pubkey -in '%s')\" = \"$(openssl pkey -pubout -in '%s')\" && echo same",
			leaf_certs[i], key);
		expect_output(PROFILE, "same", cmd);
	}
}
END_TEST

START_TEST(test_pki_ca_is_a_ten_year_ca)
{
	ensure(PROFILE, PROFILE, N_ITEMS, 0);
	expect_output(PROFILE, "subject=CN = minilaunchCA",
		      "openssl x509 -noout -subject -in \"$CA/ca.crt\"");
	expect_output(
		PROFILE, "critical\n    CA:TRUE",
		"openssl x509 -noout -ext basicConstraints -in \"$CA/ca.crt\"");
	expect_output(PROFILE,
		      "critical\n    Digital Signature, Certificate Sign, CRL Sign",
		      "openssl x509 -noout -ext keyUsage -in \"$CA/ca.crt\"");
	expect_output(
		PROFILE, "Subject Key Identifier",
		"openssl x509 -noout -ext subjectKeyIdentifier -in \"$CA/ca.crt\"");
	expect_output(PROFILE, "ecdsa-with-SHA256",
		      "openssl x509 -noout -text -in \"$CA/ca.crt\"");
	expect_output(PROFILE, "will not expire",
		      "openssl x509 -noout -checkend 283824000 -in \"$CA/ca.crt\"");
	expect_output(
		PROFILE, "will expire",
		"openssl x509 -noout -checkend 378432000 -in \"$CA/ca.crt\" || true");
}
END_TEST

START_TEST(test_pki_apiserver_sans)
{
	static const char *const want[] = {
		"DNS:localhost",
		"DNS:kubernetes",
		"DNS:kubernetes.default",
		"DNS:kubernetes.default.svc",
		"DNS:kubernetes.default.svc.cluster.local",
		"DNS:control-plane.minilaunch.internal",
		"DNS:" PROFILE,
		"IP Address:127.0.0.1",
		"IP Address:10.0.2.15",
		"IP Address:10.96.0.1",
	};
	size_t i;

	ensure(PROFILE, "node1", N_ITEMS, 0);
	for (i = 0; i < ML_ARRAY_SIZE(want); i++)
		expect_output(
			PROFILE, want[i],
			"openssl x509 -noout -ext subjectAltName -in apiserver.crt");
	expect_output(PROFILE, "subject=CN = kube-apiserver",
		      "openssl x509 -noout -subject -in apiserver.crt");
	expect_output(
		PROFILE, "TLS Web Server Authentication",
		"openssl x509 -noout -ext extendedKeyUsage -in apiserver.crt");
	expect_no_output(
		PROFILE, "Client",
		"openssl x509 -noout -ext extendedKeyUsage -in apiserver.crt");
}
END_TEST

START_TEST(test_pki_client_cert_usage)
{
	ensure(PROFILE, PROFILE, N_ITEMS, 0);
	expect_output(PROFILE,
		      "subject=O = system:masters, CN = minilaunch-admin",
		      "openssl x509 -noout -subject -in admin.crt");
	expect_output(PROFILE,
		      "critical\n    Digital Signature, Key Encipherment",
		      "openssl x509 -noout -ext keyUsage -in admin.crt");
	expect_output(PROFILE, "TLS Web Client Authentication",
		      "openssl x509 -noout -ext extendedKeyUsage -in admin.crt");
	expect_no_output(PROFILE, "Server",
			 "openssl x509 -noout -ext extendedKeyUsage -in admin.crt");
	expect_output(PROFILE, "critical\n    CA:FALSE",
		      "openssl x509 -noout -ext basicConstraints -in admin.crt");
	expect_output(
		PROFILE, "Authority Key Identifier",
		"openssl x509 -noout -ext authorityKeyIdentifier -in admin.crt");
	expect_no_output(PROFILE, "Alternative",
			 "openssl x509 -noout -ext subjectAltName -in admin.crt");
	/* 3 years: alive in 1090 days, gone in 1100. */
	expect_output(PROFILE, "will not expire",
		      "openssl x509 -noout -checkend 94176000 -in admin.crt");
	expect_output(
		PROFILE, "will expire",
		"openssl x509 -noout -checkend 95040000 -in admin.crt || true");
	/* 128-bit serial: 32 hex digits at most, and not a tiny counter. */
	expect_output(
		PROFILE, "ok",
		"s=$(openssl x509 -noout -serial -in admin.crt); s=${s#serial=}; test ${#s} -ge 20 && test ${#s} -le 32 && echo ok");
}
END_TEST

START_TEST(test_pki_component_subjects)
{
	ensure(PROFILE, PROFILE, N_ITEMS, 0);
	expect_output(
		PROFILE, "subject=CN = system:kube-controller-manager",
		"openssl x509 -noout -subject -in kube-controller-manager.crt");
	expect_output(PROFILE, "subject=CN = system:kube-scheduler",
		      "openssl x509 -noout -subject -in kube-scheduler.crt");
	expect_output(PROFILE,
		      "subject=O = system:node-proxier, CN = system:kube-proxy",
		      "openssl x509 -noout -subject -in kube-proxy.crt");
	expect_output(
		PROFILE,
		"subject=O = system:masters, CN = kube-apiserver-kubelet-client",
		"openssl x509 -noout -subject -in apiserver-kubelet-client.crt");
}
END_TEST

START_TEST(test_pki_kubelet_is_client_and_server)
{
	ensure(PROFILE, "node-a", N_ITEMS, 0);
	expect_output(PROFILE,
		      "subject=O = system:nodes, CN = system:node:node-a",
		      "openssl x509 -noout -subject -in kubelet.crt");
	expect_output(
		PROFILE,
		"TLS Web Server Authentication, TLS Web Client Authentication",
		"openssl x509 -noout -ext extendedKeyUsage -in kubelet.crt");
	expect_output(
		PROFILE,
		"DNS:node-a, DNS:localhost, IP Address:127.0.0.1, IP Address:10.0.2.15",
		"openssl x509 -noout -ext subjectAltName -in kubelet.crt");
}
END_TEST

START_TEST(test_pki_modes)
{
	static const char *const keys[] = {
		"apiserver.key",
		"admin.key",
		"kubelet.key",
		"sa.key",
		"id_ssh",
		"docker/key.pem",
		"docker-server.key",
	};
	size_t i;

	ensure(PROFILE, PROFILE, N_ITEMS, 0);
	for (i = 0; i < ML_ARRAY_SIZE(keys); i++)
		expect_mode(path_of(PROFILE, keys[i]), 0600);
	expect_mode(path_of(PROFILE, "ca.key"), 0600);
	expect_mode(path_of(PROFILE, "docker-ca.key"), 0600);
	expect_mode(path_of(PROFILE, "."), 0700);
	expect_mode(path_of(PROFILE, "docker"), 0700);
	expect_mode(path_of(PROFILE, "apiserver.crt"), 0644);
}
END_TEST

START_TEST(test_pki_loose_dir_mode_tightened)
{
	const char *certs = path_of(PROFILE, ".");

	ck_assert_int_eq(ml_mkdir_p(certs, 0755), 0);
	ck_assert_int_eq(chmod(certs, 0755), 0);
	ensure(PROFILE, PROFILE, N_ITEMS, 0);
	expect_mode(certs, 0700);
}
END_TEST

START_TEST(test_pki_second_run_reuses_everything)
{
	char *before[ML_ARRAY_SIZE(all_files)];
	ml_autofree char *ca_before = NULL, *ca_after = NULL;
	size_t i;

	ensure(PROFILE, PROFILE, N_ITEMS, 0);
	for (i = 0; i < ML_ARRAY_SIZE(all_files); i++)
		before[i] = slurp(path_of(PROFILE, all_files[i]));
	ca_before = slurp(path_of(PROFILE, "ca.crt"));
	ensure(PROFILE, PROFILE, 0, N_ITEMS);
	for (i = 0; i < ML_ARRAY_SIZE(all_files); i++) {
		ml_autofree char *after = slurp(path_of(PROFILE, all_files[i]));

		ck_assert_msg(strcmp(before[i], after) == 0, "'%s' changed",
			      all_files[i]);
		free(before[i]);
	}
	ca_after = slurp(path_of(PROFILE, "ca.crt"));
	ck_assert_str_eq(ca_before, ca_after);
}
END_TEST

/* Reissues admin.crt for its own key with the CLI, valid for days. */
static void
reissue_admin(int days)
{
	ml_autofree char *out = NULL;
	int st;

	st = sh(PROFILE, &out,
		"printf 'basicConstraints=critical,CA:FALSE\\nkeyUsage=critical,digitalSignature,keyEncipherment\\nextendedKeyUsage=clientAuth\\n' > ext.cnf && "
		"openssl req -new -key admin.key -subj '/O=system:masters/CN=minilaunch-admin' -out admin.csr && "
		"openssl x509 -req -in admin.csr -CA \"$CA/ca.crt\" -CAkey \"$CA/ca.key\" -set_serial 4242 -days %d -extfile ext.cnf -out admin.crt && "
		"rm admin.csr ext.cnf",
		days);
	ck_assert_msg(st == 0, "reissue failed: %s", out);
}

START_TEST(test_pki_expiring_cert_regenerated)
{
	ensure(PROFILE, PROFILE, N_ITEMS, 0);
	/* Valid, only issued by someone else: kept. */
	reissue_admin(100);
	ensure(PROFILE, PROFILE, 0, N_ITEMS);
	expect_output(PROFILE, "serial=1092",
		      "openssl x509 -noout -serial -in admin.crt");
	reissue_admin(10);
	ensure(PROFILE, PROFILE, 1, N_ITEMS - 1);
	expect_no_output(PROFILE, "serial=1092",
			 "openssl x509 -noout -serial -in admin.crt");
	expect_output(PROFILE, "will not expire",
		      "openssl x509 -noout -checkend 31536000 -in admin.crt");
	expect_verifies(PROFILE, "admin.crt");
}
END_TEST

START_TEST(test_pki_changed_node_regenerates_kubelet)
{
	ml_autofree char *api = NULL, *api_after = NULL;

	ensure(PROFILE, PROFILE, N_ITEMS, 0);
	api = slurp(path_of(PROFILE, "apiserver.crt"));
	ensure(PROFILE, "renamed", 1, N_ITEMS - 1);
	expect_output(PROFILE, "CN = system:node:renamed",
		      "openssl x509 -noout -subject -in kubelet.crt");
	expect_output(PROFILE, "DNS:renamed,",
		      "openssl x509 -noout -ext subjectAltName -in kubelet.crt");
	expect_verifies(PROFILE, "kubelet.crt");
	api_after = slurp(path_of(PROFILE, "apiserver.crt"));
	ck_assert_str_eq(api, api_after);
}
END_TEST

START_TEST(test_pki_changed_sans_regenerated)
{
	ml_autofree char *out = NULL;
	int st;

	ensure(PROFILE, PROFILE, N_ITEMS, 0);
	/* Same key, subject and usage, but a SAN list missing 10.96.0.1. */
	st = sh(PROFILE, &out,
		"printf 'basicConstraints=critical,CA:FALSE\\nkeyUsage=critical,digitalSignature,keyEncipherment\\nextendedKeyUsage=serverAuth\\nsubjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ext.cnf && "
		"openssl req -new -key apiserver.key -subj '/CN=kube-apiserver' -out a.csr && "
		"openssl x509 -req -in a.csr -CA \"$CA/ca.crt\" -CAkey \"$CA/ca.key\" -set_serial 7 -days 365 -extfile ext.cnf -out apiserver.crt && "
		"rm a.csr ext.cnf");
	ck_assert_msg(st == 0, "reissue failed: %s", out);
	ensure(PROFILE, PROFILE, 1, N_ITEMS - 1);
	expect_output(PROFILE, "IP Address:10.96.0.1",
		      "openssl x509 -noout -ext subjectAltName -in apiserver.crt");
}
END_TEST

START_TEST(test_pki_corrupt_key_regenerated)
{
	const char *key = path_of(PROFILE, "admin.key");
	ml_autofree char *data = NULL;

	ensure(PROFILE, PROFILE, N_ITEMS, 0);
	spit(key,
	     "-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n");
	ensure(PROFILE, PROFILE, 1, N_ITEMS - 1);
	data = slurp(key);
	ck_assert_ptr_null(strstr(data, "garbage"));
	expect_verifies(PROFILE, "admin.crt");
	expect_output(
		PROFILE, "same",
		"test \"$(openssl x509 -noout -pubkey -in admin.crt)\" = \"$(openssl pkey -pubout -in admin.key)\" && echo same");
	expect_mode(key, 0600);
}
END_TEST

START_TEST(test_pki_mismatched_key_regenerated)
{
	const char *key = path_of(PROFILE, "admin.key");
	ml_autofree char *other = NULL;

	ensure(PROFILE, PROFILE, N_ITEMS, 0);
	other = slurp(path_of(PROFILE, "kube-scheduler.key"));
	spit(key, other);
	ensure(PROFILE, PROFILE, 1, N_ITEMS - 1);
	expect_output(
		PROFILE, "same",
		"test \"$(openssl x509 -noout -pubkey -in admin.crt)\" = \"$(openssl pkey -pubout -in admin.key)\" && echo same");
}
END_TEST

START_TEST(test_pki_missing_cert_regenerated)
{
	ensure(PROFILE, PROFILE, N_ITEMS, 0);
	ck_assert_int_eq(unlink(path_of(PROFILE, "kube-proxy.crt")), 0);
	ck_assert_int_eq(unlink(path_of(PROFILE, "docker/ca.pem")), 0);
	ensure(PROFILE, PROFILE, 2, N_ITEMS - 2);
	expect_verifies(PROFILE, "kube-proxy.crt");
}
END_TEST

START_TEST(test_pki_new_ca_regenerates_leaves)
{
	ml_autofree char *old_ca = NULL, *new_ca = NULL;
	ml_autofree char *ssh = NULL, *ssh_after = NULL;
	ml_autofree char *dserver = NULL, *dserver_after = NULL;
	const char *ca_pem = path_of(PROFILE, "docker/ca.pem");
	const char *ca_crt = path_of(PROFILE, "ca.crt");
	size_t i;

	ensure(PROFILE, PROFILE, N_ITEMS, 0);
	old_ca = slurp(ca_crt);
	ssh = slurp(path_of(PROFILE, "id_ssh"));
	dserver = slurp(path_of(PROFILE, "docker-server.crt"));
	spit(path_of(PROFILE, "ca.key"), "not a key\n");
	/* The CA and its 7 leaves; Docker's CA and leaves, sa, ssh are kept. */
	ensure(PROFILE, PROFILE, N_CLUSTER, N_ITEMS - N_CLUSTER);
	new_ca = slurp(ca_crt);
	ck_assert_str_ne(old_ca, new_ca);
	for (i = 0; i < ML_ARRAY_SIZE(leaf_certs); i++)
		expect_verifies(PROFILE, leaf_certs[i]);
	ssh_after = slurp(path_of(PROFILE, "id_ssh"));
	ck_assert_str_eq(ssh, ssh_after);
	dserver_after = slurp(path_of(PROFILE, "docker-server.crt"));
	ck_assert_str_eq(dserver, dserver_after);
	/* A new Docker CA: it, its 2 leaves and docker/ca.pem. */
	spit(path_of(PROFILE, "docker-ca.key"), "not a key\n");
	ensure(PROFILE, PROFILE, 4, N_ITEMS - 4);
	ck_assert(same_file(ca_pem, path_of(PROFILE, "docker-ca.crt")));
	for (i = 0; i < ML_ARRAY_SIZE(leaf_certs); i++)
		expect_verifies(PROFILE, leaf_certs[i]);
}
END_TEST

START_TEST(test_pki_expiring_ca_regenerated)
{
	ml_autofree char *out = NULL;
	int st;

	ensure(PROFILE, PROFILE, N_ITEMS, 0);
	/* A CA valid for 5 days, with the right subject and extensions. */
	st = sh(PROFILE, &out,
		"openssl req -x509 -new -key \"$CA/ca.key\" -subj /CN=minilaunchCA -days 5 -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature' -out \"$CA/ca.crt\"");
	ck_assert_msg(st == 0, "req failed: %s", out);
	ensure(PROFILE, PROFILE, N_CLUSTER, N_ITEMS - N_CLUSTER);
	expect_output(PROFILE, "will not expire",
		      "openssl x509 -noout -checkend 283824000 -in \"$CA/ca.crt\"");
	expect_verifies(PROFILE, "apiserver.crt");
}
END_TEST

START_TEST(test_pki_ssh_key_accepted_by_ssh_keygen)
{
	ml_autofree char *pub = NULL, *priv = NULL, *derived = NULL;
	char *sp;
	int st;

	ensure(PROFILE, PROFILE, N_ITEMS, 0);
	pub = slurp(path_of(PROFILE, "id_ssh.pub"));
	priv = slurp(path_of(PROFILE, "id_ssh"));
	ck_assert(ml_startswith(
		pub,
		"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABB"));
	ck_assert(ml_endswith(pub, " minilaunch\n"));
	ck_assert(ml_startswith(priv, "-----BEGIN EC PRIVATE KEY-----\n"));
	st = sh(PROFILE, &derived, "ssh-keygen -y -f id_ssh");
	ck_assert_msg(st == 0, "ssh-keygen -y: %s", derived);
	/* Compare "type base64", ignoring any comment. */
	sp = strchr(pub, ' ');
	ck_assert_ptr_nonnull(sp);
	sp = strchr(sp + 1, ' ');
	ck_assert_ptr_nonnull(sp);
	ck_assert_msg(strncmp(derived, pub, (size_t)(sp - pub)) == 0,
		      "ssh-keygen -y gave %s, id_ssh.pub has %s", derived, pub);
	expect_output(PROFILE, "256 SHA256:", "ssh-keygen -l -f id_ssh.pub");
}
END_TEST

START_TEST(test_pki_ssh_pub_rewritten_key_kept)
{
	const char *pub_path = path_of(PROFILE, "id_ssh.pub");
	ml_autofree char *pub = NULL, *key = NULL, *pub2 = NULL, *key2 = NULL;

	ensure(PROFILE, PROFILE, N_ITEMS, 0);
	pub = slurp(pub_path);
	key = slurp(path_of(PROFILE, "id_ssh"));
	spit(pub_path, "ssh-ed25519 AAAA stale\n");
	ensure(PROFILE, PROFILE, 1, N_ITEMS - 1);
	pub2 = slurp(pub_path);
	key2 = slurp(path_of(PROFILE, "id_ssh"));
	ck_assert_str_eq(pub, pub2);
	ck_assert_str_eq(key, key2);
	/* A broken private key gives a new pair. */
	spit(path_of(PROFILE, "id_ssh"), "junk\n");
	ensure(PROFILE, PROFILE, 1, N_ITEMS - 1);
	free(pub2);
	pub2 = slurp(pub_path);
	ck_assert_str_ne(pub, pub2);
	expect_mode(path_of(PROFILE, "id_ssh"), 0600);
}
END_TEST

START_TEST(test_pki_sa_pair_matches)
{
	ml_autofree char *sa_pub = NULL;

	ensure(PROFILE, PROFILE, N_ITEMS, 0);
	sa_pub = slurp(path_of(PROFILE, "sa.pub"));
	ck_assert(ml_startswith(sa_pub, "-----BEGIN PUBLIC KEY-----\n"));
	expect_output(
		PROFILE, "same",
		"test \"$(openssl pkey -pubout -in sa.key)\" = \"$(cat sa.pub)\" && echo same");
	ck_assert_int_eq(unlink(path_of(PROFILE, "sa.pub")), 0);
	ensure(PROFILE, PROFILE, 1, N_ITEMS - 1);
	expect_output(
		PROFILE, "same",
		"test \"$(openssl pkey -pubout -in sa.key)\" = \"$(cat sa.pub)\" && echo same");
}
END_TEST

START_TEST(test_pki_docker_certs_present)
{
	ml_autofree char *dir = ml_pki_docker_cert_dir(home, PROFILE);
	const char *want = path_of(PROFILE, "docker");
	const char *ca_pem = path_of(PROFILE, "docker/ca.pem");
	const char *ca_crt = path_of(PROFILE, "docker-ca.crt");

	ck_assert_str_eq(dir, want);
	ck_assert(!ml_pki_docker_certs_present(home, PROFILE));
	ensure(PROFILE, PROFILE, N_ITEMS, 0);
	ck_assert(ml_pki_docker_certs_present(home, PROFILE));
	ck_assert(!ml_pki_docker_certs_present(home, "other"));
	ck_assert(same_file(ca_pem, ca_crt));
	expect_output(
		PROFILE, "TLS Web Client Authentication",
		"openssl x509 -noout -ext extendedKeyUsage -in docker/cert.pem");
	expect_output(
		PROFILE, "TLS Web Server Authentication",
		"openssl x509 -noout -ext extendedKeyUsage -in docker-server.crt");
	expect_output(
		PROFILE,
		"DNS:localhost, IP Address:127.0.0.1, IP Address:10.0.2.15",
		"openssl x509 -noout -ext subjectAltName -in docker-server.crt");
	expect_verifies(PROFILE, "docker/cert.pem");
	ck_assert_int_eq(unlink(path_of(PROFILE, "docker/key.pem")), 0);
	ck_assert(!ml_pki_docker_certs_present(home, PROFILE));
}
END_TEST

START_TEST(test_pki_concurrent_profiles)
{
	static const char *const names[] = { "p0", "p1", "p2", "p3" };
	pid_t pids[ML_ARRAY_SIZE(names)];
	size_t i;

	for (i = 0; i < ML_ARRAY_SIZE(names); i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			int r = ml_pki_ensure(home, names[i], names[i], NULL);

			_exit(r == 0 ? 0 : 1);
		}
	}
	for (i = 0; i < ML_ARRAY_SIZE(names); i++) {
		int st;

		ck_assert_int_eq(waitpid(pids[i], &st, 0), pids[i]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	for (i = 0; i < ML_ARRAY_SIZE(names); i++) {
		expect_verifies(names[i], "apiserver.crt");
		expect_verifies(names[i], "admin.crt");
	}
	/* Each one's files are intact: nothing was shared to clobber. */
	for (i = 0; i < ML_ARRAY_SIZE(names); i++)
		ensure(names[i], names[i], 0, N_ITEMS);
}
END_TEST

/* Asserts that the command fails (exit status not 0). */
static void
expect_failure(const char *profile, const char *cmd)
{
	ml_autofree char *out = NULL;
	int st = sh(profile, &out, "%s", cmd);

	ck_assert_msg(st != 0, "'%s' succeeded:\n%s", cmd, out);
}

START_TEST(test_pki_profiles_have_own_ca)
{
	ml_autofree char *ca_a = NULL, *ca_b = NULL;
	ml_autofree char *dca_a = NULL, *dca_b = NULL;
	size_t i;

	ensure(PROFILE, PROFILE, N_ITEMS, 0);
	ensure("second", "second", N_ITEMS, 0);
	ca_a = slurp(path_of(PROFILE, "ca.crt"));
	ca_b = slurp(path_of("second", "ca.crt"));
	ck_assert_str_ne(ca_a, ca_b);
	dca_a = slurp(path_of(PROFILE, "docker-ca.crt"));
	dca_b = slurp(path_of("second", "docker-ca.crt"));
	ck_assert_str_ne(dca_a, dca_b);
	/* A leaf of one profile is worth nothing to the other. */
	for (i = 0; i < ML_ARRAY_SIZE(leaf_certs); i++) {
		ml_autofree char *cmd = ml_xasprintf(
			"openssl verify -CAfile ../../second/certs/ca.crt '%s'",
			leaf_certs[i]);
		ml_autofree char *dcmd = ml_xasprintf(
			"openssl verify -CAfile ../../second/certs/docker-ca.crt '%s'",
			leaf_certs[i]);

		expect_failure(PROFILE, cmd);
		expect_failure(PROFILE, dcmd);
	}
	expect_output("second", "DNS:second",
		      "openssl x509 -noout -ext subjectAltName -in apiserver.crt");
	/* The first profile is still fully valid. */
	ensure(PROFILE, PROFILE, 0, N_ITEMS);
}
END_TEST

START_TEST(test_pki_docker_has_own_ca)
{
	size_t i;

	ensure(PROFILE, PROFILE, N_ITEMS, 0);
	expect_output(
		PROFILE, ": OK",
		"openssl verify -purpose sslserver -CAfile docker-ca.crt docker-server.crt");
	expect_output(
		PROFILE, ": OK",
		"openssl verify -purpose sslclient -CAfile docker-ca.crt docker/cert.pem");
	/* A client trusting the cluster CA refuses dockerd, and back. */
	expect_failure(PROFILE,
		       "openssl verify -CAfile ca.crt docker-server.crt");
	expect_failure(PROFILE,
		       "openssl verify -CAfile ca.crt docker/cert.pem");
	for (i = 0; i < ML_ARRAY_SIZE(leaf_certs); i++) {
		ml_autofree char *cmd = NULL;

		if (strncmp(leaf_certs[i], "docker", 6) == 0)
			continue;
		cmd = ml_xasprintf("openssl verify -CAfile docker-ca.crt '%s'",
				   leaf_certs[i]);
		expect_failure(PROFILE, cmd);
	}
	ck_assert(same_file(path_of(PROFILE, "docker/ca.pem"),
			    path_of(PROFILE, "docker-ca.crt")));
	expect_output(PROFILE, "subject=CN = minilaunchDockerCA",
		      "openssl x509 -noout -subject -in docker-ca.crt");
	expect_output(
		PROFILE, "critical\n    CA:TRUE",
		"openssl x509 -noout -ext basicConstraints -in docker-ca.crt");
	expect_mode(path_of(PROFILE, "ca.key"), 0600);
	expect_mode(path_of(PROFILE, "docker-ca.key"), 0600);
}
END_TEST

/*
 * A profile made when one CA in HOME/certs signed every profile: its leaves
 * are reissued by its own CA, and the old CA is neither read nor changed.
 */
START_TEST(test_pki_old_shared_ca_migrated)
{
	const char *old_crt = path_of(NULL, "ca.crt");
	ml_autofree char *old_before = NULL, *old_after = NULL, *out = NULL;
	ml_autofree char *cmd = NULL;
	int st;

	ensure(PROFILE, PROFILE, N_ITEMS, 0);
	/* The old CA had the same subject; reissue admin.crt with it. */
	cmd = ml_xasprintf(
		"mkdir -p -m 0700 \"$OLD\" && "
		"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout \"$OLD/ca.key\" -subj /CN=minilaunchCA -days 3650 -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature' -out \"$OLD/ca.crt\" && "
		"printf 'basicConstraints=critical,CA:FALSE\\nkeyUsage=critical,digitalSignature,keyEncipherment\\nextendedKeyUsage=clientAuth\\n' > ext.cnf && "
		"openssl req -new -key admin.key -subj '/O=system:masters/CN=minilaunch-admin' -out admin.csr && "
		"openssl x509 -req -in admin.csr -CA \"$OLD/ca.crt\" -CAkey \"$OLD/ca.key\" -set_serial 4242 -days 365 -extfile ext.cnf -out admin.crt && "
		"rm admin.csr ext.cnf");
	st = sh(PROFILE, &out, "%s", cmd);
	ck_assert_msg(st == 0, "old CA failed: %s", out);
	expect_output(PROFILE, ": OK",
		      "openssl verify -CAfile \"$OLD/ca.crt\" admin.crt");
	old_before = slurp(old_crt);
	ensure(PROFILE, PROFILE, 1, N_ITEMS - 1);
	expect_verifies(PROFILE, "admin.crt");
	expect_failure(PROFILE,
		       "openssl verify -CAfile \"$OLD/ca.crt\" admin.crt");
	old_after = slurp(old_crt);
	ck_assert_str_eq(old_before, old_after);
}
END_TEST

START_TEST(test_pki_error_names_path)
{
	const char *docker = path_of(PROFILE, "docker");
	const char *msg;
	int r;

	ck_assert_int_eq(ml_mkdir_p(path_of(PROFILE, "."), 0700), 0);
	spit(docker, "a file where a directory should be\n");
	r = ml_pki_ensure(home, PROFILE, PROFILE, NULL);
	ck_assert_int_eq(r, -ENOTDIR);
	msg = ml_err_msg();
	ck_assert_ptr_nonnull(msg);
	ck_assert_msg(strstr(msg, docker), "message lacks path: %s", msg);
}
END_TEST

static Suite *
pki_suite(void)
{
	Suite *s = suite_create("pki");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	/* Generous for valgrind; a normal run takes well under a second. */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_pki_generates_every_file);
	tcase_add_test(tc, test_pki_stats_may_be_null);
	tcase_add_test(tc, test_pki_certs_verify_against_ca);
	tcase_add_test(tc, test_pki_ca_is_a_ten_year_ca);
	tcase_add_test(tc, test_pki_apiserver_sans);
	tcase_add_test(tc, test_pki_client_cert_usage);
	tcase_add_test(tc, test_pki_component_subjects);
	tcase_add_test(tc, test_pki_kubelet_is_client_and_server);
	tcase_add_test(tc, test_pki_modes);
	tcase_add_test(tc, test_pki_loose_dir_mode_tightened);
	tcase_add_test(tc, test_pki_second_run_reuses_everything);
	tcase_add_test(tc, test_pki_expiring_cert_regenerated);
	tcase_add_test(tc, test_pki_changed_node_regenerates_kubelet);
	tcase_add_test(tc, test_pki_changed_sans_regenerated);
	tcase_add_test(tc, test_pki_corrupt_key_regenerated);
	tcase_add_test(tc, test_pki_mismatched_key_regenerated);
	tcase_add_test(tc, test_pki_missing_cert_regenerated);
	tcase_add_test(tc, test_pki_new_ca_regenerates_leaves);
	tcase_add_test(tc, test_pki_expiring_ca_regenerated);
	tcase_add_test(tc, test_pki_ssh_key_accepted_by_ssh_keygen);
	tcase_add_test(tc, test_pki_ssh_pub_rewritten_key_kept);
	tcase_add_test(tc, test_pki_sa_pair_matches);
	tcase_add_test(tc, test_pki_docker_certs_present);
	tcase_add_test(tc, test_pki_concurrent_profiles);
	tcase_add_test(tc, test_pki_error_names_path);
	tcase_add_test(tc, test_pki_profiles_have_own_ca);
	tcase_add_test(tc, test_pki_docker_has_own_ca);
	tcase_add_test(tc, test_pki_old_shared_ca_migrated);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ml_check_run(pki_suite());
}
