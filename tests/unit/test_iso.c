/* test_iso.c: ISO9660 writing and reading, and the config drive. */
#include "config.h"

#include "machine/iso.h"
#include "machine/node.h"
#include "machine/ssh.h"
#include "base/pki.h"
#include "base/util.h"
#include "check_run.h"
#include "iso_entry.h"

#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char tmp[256];

static void
setup(void)
{
	strcpy(tmp, "/tmp/ml-test-iso.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void
teardown(void)
{
	ml_rm_rf(tmp);
}

/* The primary volume descriptor's volume identifier (ECMA-119 8.4.6). */
static void
volume_id(const char *path, char *out)
{
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, out, 32, 16 * 2048 + 40), 32);
	out[32] = '\0';
	for (int i = 31; i >= 0 && out[i] == ' '; i--)
		out[i] = '\0';
	close(fd);
}

START_TEST(test_iso_write_then_read)
{
	ml_autofree char *path = ml_xasprintf("%s/x.iso", tmp);
	ml_autofree char *data = NULL, *out = NULL;
	char big[100000], label[33];
	struct ml_iso_file files[] = {
		{ "settings.env", "A=1\n", 4, 0 },
		{ "certs/ca.crt", "PEM", 3, 0644 },
		{ "deep/er/file.bin", big, sizeof(big), 0600 },
		{ "certs/x.key", "KEY", 3, 0640 },
	};
	struct stat st;
	size_t len;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	ck_assert_int_eq(ml_iso_write(path, "MLCONFIG", files, 4), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	volume_id(path, label);
	ck_assert_str_eq(label, "MLCONFIG");
	ck_assert_int_eq(ml_iso_read_file(path, "settings.env", &data, &len),
			 0);
	ck_assert_str_eq(data, "A=1\n");
	free(data);
	data = NULL;
	ck_assert_int_eq(ml_iso_read_file(path, "deep/er/file.bin", &data,
					  &len),
			 0);
	ck_assert_uint_eq(len, sizeof(big));
	ck_assert_int_eq(memcmp(data, big, sizeof(big)), 0);
	ck_assert_int_eq(ml_iso_read_file(path, "nope", &out, &len), -ENOENT);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "'nope'"));
	/* each file keeps the mode it was given, 0 meaning 0644 */
	ck_assert_int_eq(entry_perm(path, "settings.env"), 0644);
	ck_assert_int_eq(entry_perm(path, "certs/ca.crt"), 0644);
	ck_assert_int_eq(entry_perm(path, "deep/er/file.bin"), 0600);
	ck_assert_int_eq(entry_perm(path, "certs/x.key"), 0640);
	ck_assert_int_eq(entry_perm(path, "certs"), 0755);
}
END_TEST

START_TEST(test_iso_extract_and_errors)
{
	ml_autofree char *path = ml_xasprintf("%s/x.iso", tmp);
	ml_autofree char *outdir = ml_xasprintf("%s/out", tmp);
	ml_autofree char *k = ml_xasprintf("%s/vmlinuz", outdir);
	ml_autofree char *data = NULL;
	struct ml_iso_file files[] = {
		{ "boot/vmlinuz", "KERNEL", 6, 0 },
		{ "boot/cmdline", "console=ttyS0\n", 14, 0 },
	};
	const char *const want[] = { "boot/vmlinuz", "boot/cmdline", NULL };
	const char *const missing[] = { "boot/vmlinuz", "boot/initrd.img",
					NULL };

	ck_assert_int_eq(ml_iso_write(path, "MINILAUNCH", files, 2), 0);
	ck_assert_int_eq(ml_mkdir_p(outdir, 0700), 0);
	ck_assert_int_eq(ml_iso_extract(path, want, outdir), 0);
	ck_assert_int_eq(ml_read_file(k, &data, NULL), 0);
	ck_assert_str_eq(data, "KERNEL");
	ck_assert_int_eq(ml_iso_extract(path, missing, outdir), -ENOENT);
	ck_assert_int_lt(ml_iso_read_file("/nonexistent.iso", "x", &data, NULL),
			 0);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "/nonexistent.iso"));
	/* a file that is no image at all, short or long, is said to be so */
	ck_assert_int_eq(ml_write_file_atomic(path, "not an image\n", 13, 0600),
			 0);
	ck_assert_int_eq(ml_iso_read_file(path, "x", &data, NULL), -EIO);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "not an ISO 9660 image"));
	ck_assert_int_eq(truncate(path, 64 * 1024), 0);
	ck_assert_int_eq(ml_iso_extract(path, want, outdir), -EIO);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "not an ISO 9660 image"));
}
END_TEST

START_TEST(test_iso_read_version)
{
	static const char good[] =
		"{\n  \"image_version\": \"0.1.0\",\n"
		"  \"kubernetes_version\": \"v1.20.2\",\n  \"packages\": []\n}\n";
	static const char partial[] = "{ \"image_version\": \"0.1.0\" }";
	ml_autofree char *path = ml_xasprintf("%s/node.iso", tmp);
	ml_autofree char *empty = ml_xasprintf("%s/empty.iso", tmp);
	ml_autofree char *bad = ml_xasprintf("%s/bad.iso", tmp);
	struct ml_iso_file f = { "version.json", good, sizeof(good) - 1, 0 };
	struct ml_iso_file other = { "boot/cmdline", "x", 1, 0 };
	struct ml_iso_version v = { NULL, NULL };

	ck_assert_int_eq(ml_iso_write(path, "MINILAUNCH", &f, 1), 0);
	ck_assert_int_eq(ml_iso_read_version(path, &v), 0);
	ck_assert_str_eq(v.image, "0.1.0");
	ck_assert_str_eq(v.kubernetes, "v1.20.2");
	ml_iso_version_clear(&v);
	ck_assert_ptr_null(v.kubernetes);

	ck_assert_int_eq(ml_iso_write(empty, "MINILAUNCH", &other, 1), 0);
	ck_assert_int_eq(ml_iso_read_version(empty, &v), -ENOENT);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "version.json"));

	f.data = partial;
	f.len = sizeof(partial) - 1;
	ck_assert_int_eq(ml_iso_write(bad, "MINILAUNCH", &f, 1), 0);
	ck_assert_int_eq(ml_iso_read_version(bad, &v), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), bad));
	ck_assert_ptr_null(v.kubernetes);
}
END_TEST

START_TEST(test_iso_config_drive_layout)
{
	static const char *const names[] = {
		"certs/ca.crt",
		"certs/docker-ca.crt",
		"certs/apiserver.crt",
		"certs/apiserver.key",
		"certs/kubelet.crt",
		"certs/kubelet.key",
		"certs/sa.key",
		"certs/sa.pub",
		"certs/docker-server.crt",
		"certs/docker-server.key",
		"certs/apiserver-kubelet-client.crt",
		"certs/kube-proxy.crt",
		"ssh/authorized_keys",
	};
	ml_autofree char *home = ml_xasprintf("%s/home", tmp);
	ml_autofree char *settings = NULL, *ak = NULL, *pub = NULL,
			 *cakey = NULL;
	struct ml_node_paths p;
	char label[33];

	ck_assert_int_eq(ml_pki_ensure(home, "dev", "dev", NULL), 0);
	ml_node_paths_init(&p, home, "dev");
	ck_assert_int_eq(ml_node_write_config_drive(home, "dev", &p, false,
						    "v1.20.2", NULL),
			 0);
	volume_id(p.config_iso, label);
	ck_assert_str_eq(label, "MLCONFIG");
	ck_assert_int_eq(ml_iso_read_file(p.config_iso, "settings.env",
					  &settings, NULL),
			 0);
	ck_assert_ptr_nonnull(strstr(settings, "HOSTNAME=dev\n"));
	ck_assert_ptr_nonnull(strstr(settings, "NODE_NAME=dev\n"));
	ck_assert_ptr_nonnull(strstr(settings, "KUBERNETES=false\n"));
	ck_assert_ptr_nonnull(strstr(settings, "NODE_IP=10.0.2.15\n"));
	for (size_t i = 0; i < ML_ARRAY_SIZE(names); i++) {
		char *d = NULL;
		ck_assert_msg(ml_iso_read_file(p.config_iso, names[i], &d,
					       NULL) == 0,
			      "%s missing", names[i]);
		free(d);
	}
	ck_assert_int_eq(ml_iso_read_file(p.config_iso, "ssh/authorized_keys",
					  &ak, NULL),
			 0);
	{
		ml_autofree char *pubpath = ml_pki_ssh_pub_path(home, "dev");
		ck_assert_int_eq(ml_read_file(pubpath, &pub, NULL), 0);
	}
	ck_assert_str_eq(ak, pub);
	/* the CA keys never leave the host */
	ck_assert_int_eq(ml_iso_read_file(p.config_iso, "certs/ca.key", &cakey,
					  NULL),
			 -ENOENT);
	ck_assert_int_eq(ml_iso_read_file(p.config_iso, "certs/docker-ca.key",
					  &cakey, NULL),
			 -ENOENT);
	/* the profile's own CAs, not one shared by every profile */
	{
		ml_autofree char *ca = NULL, *dca = NULL, *want = NULL,
				 *dwant = NULL;
		ml_autofree char *cap = ml_pki_ca_cert_path(home, "dev");
		ml_autofree char *dcap =
			ml_pki_docker_ca_cert_path(home, "dev");

		ck_assert_int_eq(ml_iso_read_file(p.config_iso, "certs/ca.crt",
						  &ca, NULL),
				 0);
		ck_assert_int_eq(ml_read_file(cap, &want, NULL), 0);
		ck_assert_str_eq(ca, want);
		ck_assert_int_eq(ml_iso_read_file(p.config_iso,
						  "certs/docker-ca.crt", &dca,
						  NULL),
				 0);
		ck_assert_int_eq(ml_read_file(dcap, &dwant, NULL), 0);
		ck_assert_str_eq(dca, dwant);
	}
	ml_node_paths_clear(&p);
}
END_TEST

START_TEST(test_iso_config_drive_keys_are_private)
{
	static const char *const keys[] = {
		"certs/apiserver.key",
		"certs/apiserver-kubelet-client.key",
		"certs/kubelet.key",
		"certs/kube-proxy.key",
		"certs/kube-controller-manager.key",
		"certs/kube-scheduler.key",
		"certs/sa.key",
		"certs/docker-server.key",
		"ssh/ssh_host_key",
	};
	static const char *const public[] = {
		"settings.env", "certs/ca.crt",	       "certs/apiserver.crt",
		"certs/sa.pub", "ssh/authorized_keys", "ssh/ssh_host_key.pub",
	};
	ml_autofree char *home = ml_xasprintf("%s/home", tmp);
	struct ml_node_paths p;

	ck_assert_int_eq(ml_pki_ensure(home, "dev", "dev", NULL), 0);
	ml_node_paths_init(&p, home, "dev");
	ck_assert_int_eq(ml_node_write_config_drive(home, "dev", &p, true,
						    "v1.20.2", NULL),
			 0);
	for (size_t i = 0; i < ML_ARRAY_SIZE(keys); i++)
		ck_assert_msg(entry_perm(p.config_iso, keys[i]) == 0600,
			      "%s has mode %o, not 0600", keys[i],
			      (unsigned)entry_perm(p.config_iso, keys[i]));
	for (size_t i = 0; i < ML_ARRAY_SIZE(public); i++)
		ck_assert_msg(entry_perm(p.config_iso, public[i]) == 0644,
			      "%s has mode %o, not 0644", public[i],
			      (unsigned)entry_perm(p.config_iso, public[i]));
	ml_node_paths_clear(&p);
}
END_TEST

/* True when argv holds the option pair "flag value". */
static bool
has_pair(const char *const *argv, const char *flag, const char *value)
{
	for (size_t i = 0; argv[i] && argv[i + 1]; i++)
		if (strcmp(argv[i], flag) == 0 &&
		    strcmp(argv[i + 1], value) == 0)
			return true;
	return false;
}

START_TEST(test_iso_ssh_pins_the_host_key)
{
	ml_autofree char *home = ml_xasprintf("%s/home", tmp);
	ml_autofree char *pub_path = NULL, *pub = NULL, *known = NULL,
			 *want = NULL, *opt = NULL, *drive_pub = NULL;
	struct ml_node_paths p;
	struct ml_ssh_args a;

	ck_assert_int_eq(ml_pki_ensure(home, "dev", "dev", NULL), 0);
	ml_node_paths_init(&p, home, "dev");
	/* no host key yet: nothing to pin, so no ssh */
	ck_assert_int_eq(ml_ssh_args_init(&a, home, "dev", 2222), -ENOENT);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "start"));
	ck_assert_int_eq(ml_node_write_config_drive(home, "dev", &p, true,
						    "v1.20.2", NULL),
			 0);
	pub_path = ml_pki_ssh_host_pub_path(home, "dev");
	ck_assert_int_eq(ml_read_file(pub_path, &pub, NULL), 0);
	ck_assert(ml_startswith(pub, "ecdsa-sha2-nistp256 AAAA"));
	/* the guest gets the pair the host pins */
	ck_assert_int_eq(ml_iso_read_file(p.config_iso, "ssh/ssh_host_key.pub",
					  &drive_pub, NULL),
			 0);
	ck_assert_str_eq(drive_pub, pub);

	ck_assert_int_eq(ml_ssh_args_init(&a, home, "dev", 2222), 0);
	ck_assert_int_eq(ml_read_file(p.known_hosts, &known, NULL), 0);
	*strrchr(pub, ' ') = '\0'; /* drop the comment */
	want = ml_xasprintf("[127.0.0.1]:2222 %s\n", pub);
	ck_assert_str_eq(known, want);
	opt = ml_xasprintf("UserKnownHostsFile=%s", p.known_hosts);
	ck_assert_str_eq(a.argv[0], "ssh");
	ck_assert(has_pair(a.argv, "-o", opt));
	ck_assert(has_pair(a.argv, "-o", "StrictHostKeyChecking=yes"));
	ck_assert(has_pair(a.argv, "-o", "GlobalKnownHostsFile=/dev/null"));
	ck_assert(has_pair(a.argv, "-o", "IdentitiesOnly=yes"));
	ck_assert(has_pair(a.argv, "-F", "/dev/null"));
	ck_assert(has_pair(a.argv, "-p", "2222"));
	for (size_t i = 0; i < a.n; i++)
		ck_assert_ptr_null(strstr(a.argv[i], "accept-new"));
	ml_ssh_args_add(&a, "docker@127.0.0.1");
	ck_assert_str_eq(a.argv[a.n - 1], "docker@127.0.0.1");
	ck_assert_ptr_null(a.argv[a.n]);
	ml_ssh_args_clear(&a);
	/* another port, another line: rewritten for each run */
	ck_assert_int_eq(ml_ssh_args_init(&a, home, "dev", 3333), 0);
	free(known);
	known = NULL;
	ck_assert_int_eq(ml_read_file(p.known_hosts, &known, NULL), 0);
	ck_assert(
		ml_startswith(known, "[127.0.0.1]:3333 ecdsa-sha2-nistp256 "));
	ml_ssh_args_clear(&a);
	ml_node_paths_clear(&p);
}
END_TEST

START_TEST(test_iso_ports_are_free_and_distinct)
{
	int a, b, c;
	int avoid[2];

	ck_assert_int_eq(ml_node_pick_port(0, NULL, 0, &a), 0);
	ck_assert(a > 0 && a < 65536);
	ck_assert(!ml_tcp_port_open(a));
	avoid[0] = a;
	ck_assert_int_eq(ml_node_pick_port(a, avoid, 1, &b), 0);
	ck_assert_int_ne(a, b);
	avoid[1] = b;
	ck_assert_int_eq(ml_node_pick_port(0, avoid, 2, &c), 0);
	ck_assert(c != a && c != b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("iso");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_iso_write_then_read);
	tcase_add_test(tc, test_iso_extract_and_errors);
	tcase_add_test(tc, test_iso_read_version);
	tcase_add_test(tc, test_iso_config_drive_layout);
	tcase_add_test(tc, test_iso_config_drive_keys_are_private);
	tcase_add_test(tc, test_iso_ssh_pins_the_host_key);
	tcase_add_test(tc, test_iso_ports_are_free_and_distinct);
	suite_add_tcase(s, tc);
	return ml_check_run(s);
}
