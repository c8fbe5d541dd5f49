/* test_profile.c: profile names, settings, atomic saves, locks, listing. */
#include "config.h"

#include "base/paths.h"
#include "base/profile.h"
#include "base/util.h"
#include "check_run.h"

#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char home[256];

static void
setup(void)
{
	strcpy(home, "/tmp/ml-test-profile.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(home));
}

static void
teardown(void)
{
	ck_assert_int_eq(ml_rm_rf(home), 0);
}

static char *
config_path(const char *name)
{
	return ml_xasprintf("%s/profiles/%s/config.json", home, name);
}

static void
write_raw(const char *name, const char *text)
{
	ml_autofree char *dir = ml_paths_profile_dir(home, name);
	ml_autofree char *path = config_path(name);

	ck_assert_int_eq(ml_mkdir_p(dir, 0700), 0);
	ck_assert_int_eq(ml_write_file_atomic(path, text, strlen(text), 0600),
			 0);
}

START_TEST(test_profile_name_rules)
{
	static const char *const good[] = {
		"minilaunch", "a", "0", "dev-1",
		"a23456789012345678901234567890123456789012345678901234567890123"
	};
	static const char *const bad[] = {
		"",
		"-a",
		"A",
		"a_b",
		"a.b",
		"a/b",
		"../x",
		"a b",
		"é",
		"a234567890123456789012345678901234567890123456789012345678901234"
	};

	for (size_t i = 0; i < ML_ARRAY_SIZE(good); i++)
		ck_assert_msg(ml_profile_name_valid(good[i]) == 0, "%s",
			      good[i]);
	for (size_t i = 0; i < ML_ARRAY_SIZE(bad); i++)
		ck_assert_msg(ml_profile_name_valid(bad[i]) == -ML_EUSAGE, "%s",
			      bad[i]);
}
END_TEST

START_TEST(test_profile_size_parsing)
{
	uint64_t mib;

	ck_assert_int_eq(ml_profile_parse_size_mib("memory", "2048m", &mib), 0);
	ck_assert_uint_eq(mib, 2048);
	ck_assert_int_eq(ml_profile_parse_size_mib("memory", "4g", &mib), 0);
	ck_assert_uint_eq(mib, 4096);
	ck_assert_int_eq(ml_profile_parse_size_mib("memory", "4GB", &mib), 0);
	ck_assert_uint_eq(mib, 4096);
	ck_assert_int_eq(ml_profile_parse_size_mib("memory", "3000", &mib), 0);
	ck_assert_uint_eq(mib, 3000);
	ck_assert_int_eq(ml_profile_parse_size_mib("disk-size", "1t", &mib), 0);
	ck_assert_uint_eq(mib, 1048576);
	ck_assert_int_eq(ml_profile_parse_size_mib("memory", "4x", &mib),
			 -ML_EUSAGE);
	ck_assert_int_eq(ml_profile_parse_size_mib("memory", "-1g", &mib),
			 -ML_EUSAGE);
	ck_assert_int_eq(ml_profile_parse_size_mib("memory", "g", &mib),
			 -ML_EUSAGE);
	ck_assert_int_eq(ml_profile_parse_size_mib("memory",
						   "99999999999999999999m",
						   &mib),
			 -ML_EUSAGE);
	/* the bytes must fit in 64 bits: 17000000t overflowed them */
	ck_assert_int_eq(ml_profile_parse_size_mib("disk-size", "1024t", &mib),
			 0);
	ck_assert_uint_eq(mib, UINT64_C(1) << 30);
	ck_assert_int_eq(ml_profile_parse_size_mib("disk-size", "1025t", &mib),
			 -ML_EUSAGE);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "at most 1024t"));
	ck_assert_int_eq(ml_profile_parse_size_mib("disk-size", "17000000t",
						   &mib),
			 -ML_EUSAGE);
	ck_assert_int_eq(ml_profile_parse_size_mib("disk-size", "1073741825",
						   &mib),
			 -ML_EUSAGE);
	ck_assert_int_eq(ml_profile_parse_size_mib("disk-size",
						   "17592186044416g", &mib),
			 -ML_EUSAGE);
}
END_TEST

START_TEST(test_profile_driver_uri_local_only)
{
	static const char *const good[] = {
		"qemu:///system",
		"qemu:///session",
		"qemu+unix:///system?socket=/run/libvirt/libvirt-sock",
		"qemu+unix:///session?socket=/tmp/x/libvirt-sock",
	};
	static const char *const bad[] = {
		"qemu+ext:///system?command=/tmp/x",
		"qemu+ext:///system?command=/tmp/x&a=/system",
		"qemu+ext:///session?command=/tmp/x&a=/session",
		"qemu+ssh://host/system",
		"qemu+tcp://127.0.0.1/system",
		"qemu+tls://host/system",
		"qemu://host/system",
		"qemu:///system?command=/tmp/x",
		"qemu:///system/",
		"qemu:///embed?root=/tmp",
		"qemu+unix:///system",
		"qemu+unix:///system?socket=",
		"qemu+unix:///system?socket=relative",
		"qemu+unix:///system?socket=/a&command=/tmp/x",
		"qemu+unix:///system?socket=/a?b",
		"qemu+unix:///system?socket=/a%26command=/x",
		"qemu+unix:///system?socket=/a b",
		"qemu+unix://host/system?socket=/a",
		"qemu+unix:///system?no_verify=1",
		"QEMU:///system",
		"xen:///system",
		"",
	};

	for (size_t i = 0; i < ML_ARRAY_SIZE(good); i++)
		ck_assert_msg(ml_profile_check_value("driver-uri", good[i]) ==
				      0,
			      "refused %s", good[i]);
	for (size_t i = 0; i < ML_ARRAY_SIZE(bad); i++) {
		ck_assert_msg(ml_profile_check_value("driver-uri", bad[i]) ==
				      -ML_EUSAGE,
			      "took %s", bad[i]);
		ck_assert_ptr_nonnull(strstr(ml_err_msg(), "qemu:///system"));
	}
}
END_TEST

START_TEST(test_profile_set_validates)
{
	struct ml_profile *p;
	ml_autofree char *cpus =
		ml_xasprintf("%ld", sysconf(_SC_NPROCESSORS_ONLN));
	ml_autofree char *too_many =
		ml_xasprintf("%ld", sysconf(_SC_NPROCESSORS_ONLN) + 1);

	ck_assert_int_eq(ml_profile_open(home, "p",
					 ML_PROFILE_CREATE | ML_PROFILE_LOCK,
					 &p),
			 0);
	ck_assert_int_eq(ml_profile_set(p, "memory", "2048m"), 0);
	ck_assert_int_eq(ml_profile_set(p, "memory", "10m"), -ML_EUSAGE);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "1800m"));
	ck_assert_int_eq(ml_profile_set(p, "memory", "1799m"), -ML_EUSAGE);
	ck_assert_int_eq(ml_profile_set(p, "memory", "1800m"), 0);
	ck_assert_int_eq(ml_profile_set(p, "cpus", "0"), -ML_EUSAGE);
	ck_assert_int_eq(ml_profile_set(p, "cpus", too_many), -ML_EUSAGE);
	ck_assert_int_eq(ml_profile_set(p, "cpus", "1x"), -ML_EUSAGE);
	ck_assert_int_eq(ml_profile_set(p, "cpus", cpus), 0);
	ck_assert_int_eq(ml_profile_set(p, "kubernetes-version", "1.20.2"), 0);
	ck_assert_str_eq(ml_profile_get(p, "kubernetes-version"), "v1.20.2");
	ck_assert_int_eq(ml_profile_set(p, "kubernetes-version", "v1.20"),
			 -ML_EUSAGE);
	ck_assert_int_eq(ml_profile_set(p, "driver-uri", "qemu:///session"), 0);
	ck_assert_int_eq(ml_profile_set(p, "driver-uri", "xen:///system"),
			 -ML_EUSAGE);
	ck_assert_int_eq(ml_profile_set(p, "container-runtime", "cri-o"),
			 -ML_EUSAGE);
	ck_assert_int_eq(ml_profile_set(p, "iso-url", "file:///tmp/x.iso"), 0);
	ck_assert_int_eq(ml_profile_set(p, "iso-url",
					"https://example.invalid/x.iso"),
			 0);
	ck_assert_int_eq(ml_profile_set(p, "iso-url", "ftp://x/y"), -ML_EUSAGE);
	ck_assert_int_eq(ml_profile_set(p, "binary-mirror", "not a url"),
			 -ML_EUSAGE);
	ck_assert_int_eq(ml_profile_set(p, "binary-mirror",
					"file://relative/x"),
			 -ML_EUSAGE);
	ck_assert_int_eq(ml_profile_set(p, "binary-mirror", "http://"),
			 -ML_EUSAGE);
	ck_assert_int_eq(ml_profile_set(p, "binary-mirror", "http:///x"),
			 -ML_EUSAGE);
	ck_assert_int_eq(ml_profile_set(p, "binary-mirror", "https://a b/"),
			 -ML_EUSAGE);
	ck_assert_int_eq(ml_profile_set(p, "binary-mirror",
					"http://127.0.0.1:8080/k8s"),
			 0);
	ck_assert_int_eq(ml_profile_set(p, "binary-mirror",
					"file://localhost/srv/k8s"),
			 0);
	ck_assert_str_eq(ml_profile_get_or_default(p, "dns"), "true");
	ck_assert_int_eq(ml_profile_set(p, "dns", "OFF"), 0);
	ck_assert_str_eq(ml_profile_get(p, "dns"), "false");
	ck_assert_int_eq(ml_profile_set(p, "dns", "yes"), 0);
	ck_assert_str_eq(ml_profile_get(p, "dns"), "true");
	ck_assert_int_eq(ml_profile_set(p, "dns", "maybe"), -ML_EUSAGE);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "invalid dns 'maybe'"));
	ck_assert_int_eq(ml_profile_set(p, "disk-size", "1g"), -ML_EUSAGE);
	ck_assert_int_eq(ml_profile_set(p, "nope", "1"), -ML_EUSAGE);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "'nope'"));
	ck_assert_int_eq(ml_profile_unset(p, "disk-size"), 0);
	ck_assert_int_eq(ml_profile_unset(p, "memory"), 1);
	ck_assert_ptr_null(ml_profile_get(p, "memory"));
	ck_assert_str_eq(ml_profile_get_or_default(p, "memory"), "3072m");
	ml_profile_free(p);
}
END_TEST

START_TEST(test_profile_save_and_reload)
{
	struct ml_profile *p;
	ml_autofree char *path = config_path("dev");
	struct stat st;

	ck_assert_int_eq(ml_profile_open(home, "dev", 0, &p), -ENOENT);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "'dev'"));
	ck_assert_int_eq(ml_profile_open(home, "dev",
					 ML_PROFILE_CREATE | ML_PROFILE_LOCK,
					 &p),
			 0);
	ck_assert_int_eq(ml_profile_set(p, "cpus", "1"), 0);
	ml_profile_state_set_str(p, "status", "Running");
	ml_profile_state_set_port(p, "docker", 42376);
	ck_assert_int_eq(ml_profile_save(p), 0);
	ml_profile_free(p);

	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(ml_profile_open(home, "dev", 0, &p), 0);
	ck_assert_str_eq(ml_profile_get(p, "cpus"), "1");
	ck_assert_str_eq(ml_profile_state_str(p, "status"), "Running");
	ck_assert_int_eq(ml_profile_state_port(p, "docker"), 42376);
	ck_assert_int_eq(ml_profile_state_port(p, "ssh"), 0);
	/* saving needs the lock */
	ck_assert_int_eq(ml_profile_save(p), -EPERM);
	ml_profile_free(p);
}
END_TEST

START_TEST(test_profile_corrupted_is_reported_and_untouched)
{
	static const char *const broken[] = {
		"{\"schema\": 1, \"config\": {",
		"",
		"[1, 2]",
		"{\"schema\": 99, \"config\": {}}",
		"{\"config\": {}}",
		"{\"schema\": 1, \"config\": []}",
		"{\"schema\": 1} trailing",
	};

	for (size_t i = 0; i < ML_ARRAY_SIZE(broken); i++) {
		ml_autofree char *path = config_path("bad");
		ml_autofree char *after = NULL;
		struct ml_profile *p = NULL;

		write_raw("bad", broken[i]);
		ml_err_clear();
		ck_assert_int_eq(ml_profile_open(home, "bad", ML_PROFILE_LOCK,
						 &p),
				 -EBADMSG);
		ck_assert_ptr_null(p);
		ck_assert_msg(strstr(ml_err_msg(), path), "%s", ml_err_msg());
		ck_assert_int_eq(ml_profile_open(home, "bad",
						 ML_PROFILE_CREATE |
							 ML_PROFILE_LOCK,
						 &p),
				 -EBADMSG);
		ck_assert_int_eq(ml_read_file(path, &after, NULL), 0);
		ck_assert_str_eq(after, broken[i]);
	}
}
END_TEST

/* A hand-edited file goes through the same validators as config set. */
START_TEST(test_profile_open_validates_settings)
{
	static const struct {
		const char *key, *value;
	} bad[] = {
		{ "disk-size", "17000000t" },
		{ "memory", "lots" },
		{ "cpus", "0" },
		{ "driver-uri", "qemu+ext:///system?command=/tmp/x&a=/system" },
		{ "kubernetes-version", "1.20" },
		{ "iso-url", "ftp://x/y" },
		{ "dns", "maybe" },
	};
	ml_autofree char *path = config_path("hand");

	for (size_t i = 0; i < ML_ARRAY_SIZE(bad); i++) {
		ml_autofree char *text = ml_xasprintf(
			"{\"schema\": 1, \"config\": {\"container-runtime\": \"docker\", \"%s\": \"%s\"}}",
			bad[i].key, bad[i].value);
		ml_autofree char *fix =
			ml_xasprintf("minilaunch config set %s VALUE",
				     bad[i].key);
		struct ml_profile *p = NULL;

		write_raw("hand", text);
		for (unsigned flags = 0; flags <= ML_PROFILE_LOCK;
		     flags += ML_PROFILE_LOCK) {
			ml_err_clear();
			ck_assert_int_eq(ml_profile_open(home, "hand", flags,
							 &p),
					 -EBADMSG);
			ck_assert_ptr_null(p);
			ck_assert_msg(strstr(ml_err_msg(), path), "%s",
				      ml_err_msg());
			ck_assert_msg(strstr(ml_err_msg(), bad[i].value), "%s",
				      ml_err_msg());
			ck_assert_msg(strstr(ml_err_msg(), fix), "%s",
				      ml_err_msg());
			ck_assert_ptr_null(strchr(ml_err_msg(), '\n'));
		}
		/* config set mends it: it opens the file unchecked */
		ck_assert_int_eq(ml_profile_open(home, "hand",
						 ML_PROFILE_LOCK |
							 ML_PROFILE_UNCHECKED,
						 &p),
				 0);
		ck_assert_int_eq(ml_profile_unset(p, bad[i].key), 1);
		ck_assert_int_eq(ml_profile_save(p), 0);
		p = ml_profile_free(p);
		ck_assert_int_eq(ml_profile_open(home, "hand", 0, &p), 0);
		ck_assert_str_eq(ml_profile_get(p, "container-runtime"),
				 "docker");
		p = ml_profile_free(p);
	}
	write_raw("hand", "{\"schema\": 1, \"config\": {\"cpu\": \"1\"}}");
	ck_assert_int_eq(ml_profile_open(home, "hand", 0,
					 &(struct ml_profile *){ NULL }),
			 -EBADMSG);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "unknown key 'cpu'"));
	write_raw("hand", "{\"schema\": 1, \"config\": {\"cpus\": 2}}");
	ck_assert_int_eq(ml_profile_open(home, "hand", 0,
					 &(struct ml_profile *){ NULL }),
			 -EBADMSG);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "'cpus'"));
}
END_TEST

START_TEST(test_profile_schema_version_in_file)
{
	struct ml_profile *p;
	ml_autofree char *path = config_path("v");
	struct json_object *root, *v;

	ck_assert_int_eq(ml_profile_open(home, "v",
					 ML_PROFILE_CREATE | ML_PROFILE_LOCK,
					 &p),
			 0);
	ck_assert_int_eq(ml_profile_save(p), 0);
	ml_profile_free(p);
	root = json_object_from_file(path);
	ck_assert_ptr_nonnull(root);
	ck_assert(json_object_object_get_ex(root, "schema", &v));
	ck_assert_int_eq(json_object_get_int(v), ML_PROFILE_SCHEMA);
	ck_assert(json_object_object_get_ex(root, "name", &v));
	ck_assert_str_eq(json_object_get_string(v), "v");
	json_object_put(root);
}
END_TEST

START_TEST(test_profile_lock_serialises_one_profile_only)
{
	struct ml_profile *p, *q;
	int status;
	pid_t pid;

	ck_assert_int_eq(ml_profile_open(home, "a",
					 ML_PROFILE_CREATE | ML_PROFILE_LOCK,
					 &p),
			 0);
	pid = fork();
	if (pid == 0) {
		struct ml_profile *c = NULL;
		int r1 = ml_profile_open(home, "a",
					 ML_PROFILE_CREATE | ML_PROFILE_LOCK |
						 ML_PROFILE_NOWAIT,
					 &c);
		int r2;
		ml_profile_free(c);
		c = NULL;
		r2 = ml_profile_open(home, "b",
				     ML_PROFILE_CREATE | ML_PROFILE_LOCK |
					     ML_PROFILE_NOWAIT,
				     &c);
		ml_profile_free(c);
		_exit(r1 == -EWOULDBLOCK && r2 == 0 ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ml_profile_free(p);
	ck_assert_int_eq(ml_profile_open(home, "a",
					 ML_PROFILE_CREATE | ML_PROFILE_LOCK |
						 ML_PROFILE_NOWAIT,
					 &q),
			 0);
	ml_profile_free(q);
}
END_TEST

/* delete's lock: the same one open takes, and none for a missing profile. */
START_TEST(test_profile_lock_without_open)
{
	struct ml_profile *p = NULL;
	pid_t pid;
	int fd, status;

	ck_assert_int_eq(ml_profile_lock(home, "gone"), -ENOENT);
	ck_assert_int_eq(ml_profile_open(home, "a",
					 ML_PROFILE_CREATE | ML_PROFILE_LOCK,
					 &p),
			 0);
	ml_profile_free(p);
	fd = ml_profile_lock(home, "a");
	ck_assert_int_ge(fd, 0);
	pid = fork();
	if (pid == 0) {
		struct ml_profile *c = NULL;
		int r = ml_profile_open(home, "a",
					ML_PROFILE_CREATE | ML_PROFILE_LOCK |
						ML_PROFILE_NOWAIT,
					&c);
		ml_profile_free(c);
		_exit(r == -EWOULDBLOCK ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	close(fd);
}
END_TEST

/* Two processes bump a counter 100 times each under the lock: no update is
 * lost and the file is always whole. */
START_TEST(test_profile_concurrent_writers_lose_nothing)
{
	struct ml_profile *p;
	pid_t pids[2];
	int status;

	ck_assert_int_eq(ml_profile_open(home, "c",
					 ML_PROFILE_CREATE | ML_PROFILE_LOCK,
					 &p),
			 0);
	ml_profile_state_set_port(p, "ssh", 1);
	ck_assert_int_eq(ml_profile_save(p), 0);
	ml_profile_free(p);
	for (int k = 0; k < 2; k++) {
		pids[k] = fork();
		if (pids[k] == 0) {
			for (int i = 0; i < 100; i++) {
				struct ml_profile *c;
				if (ml_profile_open(home, "c", ML_PROFILE_LOCK,
						    &c) < 0)
					_exit(1);
				ml_profile_state_set_port(
					c, "ssh",
					ml_profile_state_port(c, "ssh") + 1);
				if (ml_profile_save(c) < 0)
					_exit(2);
				ml_profile_free(c);
			}
			_exit(0);
		}
	}
	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(waitpid(pids[k], &status, 0), pids[k]);
		ck_assert_int_eq(WEXITSTATUS(status), 0);
	}
	ck_assert_int_eq(ml_profile_open(home, "c", 0, &p), 0);
	ck_assert_int_eq(ml_profile_state_port(p, "ssh"), 201);
	ml_profile_free(p);
}
END_TEST

START_TEST(test_profile_list_sorted_and_filtered)
{
	static const char *const names[] = { "zeta", "alpha", "m-1" };
	char **list;
	ml_autofree char *junk = ml_xasprintf("%s/profiles/Not_Valid", home);
	ml_autofree char *empty = ml_xasprintf("%s/profiles/empty", home);

	ck_assert_int_eq(ml_profile_list(home, &list), 0);
	ck_assert_ptr_null(list[0]);
	free(list);
	for (size_t i = 0; i < ML_ARRAY_SIZE(names); i++) {
		struct ml_profile *p;
		ck_assert_int_eq(ml_profile_open(home, names[i],
						 ML_PROFILE_CREATE |
							 ML_PROFILE_LOCK,
						 &p),
				 0);
		ck_assert_int_eq(ml_profile_save(p), 0);
		ml_profile_free(p);
	}
	ck_assert_int_eq(ml_mkdir_p(junk, 0700), 0);
	ck_assert_int_eq(ml_mkdir_p(empty, 0700), 0);
	ck_assert_int_eq(ml_profile_list(home, &list), 0);
	ck_assert_str_eq(list[0], "alpha");
	ck_assert_str_eq(list[1], "m-1");
	ck_assert_str_eq(list[2], "zeta");
	ck_assert_ptr_null(list[3]);
	for (size_t i = 0; list[i]; i++)
		free(list[i]);
	free(list);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("profile");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_profile_name_rules);
	tcase_add_test(tc, test_profile_size_parsing);
	tcase_add_test(tc, test_profile_driver_uri_local_only);
	tcase_add_test(tc, test_profile_set_validates);
	tcase_add_test(tc, test_profile_open_validates_settings);
	tcase_add_test(tc, test_profile_save_and_reload);
	tcase_add_test(tc, test_profile_corrupted_is_reported_and_untouched);
	tcase_add_test(tc, test_profile_schema_version_in_file);
	tcase_add_test(tc, test_profile_lock_serialises_one_profile_only);
	tcase_add_test(tc, test_profile_lock_without_open);
	tcase_add_test(tc, test_profile_concurrent_writers_lose_nothing);
	tcase_add_test(tc, test_profile_list_sorted_and_filtered);
	suite_add_tcase(s, tc);
	return ml_check_run(s);
}
