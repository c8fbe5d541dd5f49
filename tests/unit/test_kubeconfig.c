/*
 * test_kubeconfig.c: kubeconfig merge and removal, checked with the real
 * kubectl, which must be on PATH: kubectl reading the file back is the only
 * judge of "unchanged in meaning" that matters.
 */
#include "config.h"

#include "kube/kubeconfig.h"
#include "base/util.h"
#include "check_run.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* minilaunch's mark on an entry, in flow style */
#define MARK \
	"extensions: [{name: minilaunch, extension: {provider: minilaunch}}]"

static char home[PATH_MAX];
static char mlhome[PATH_MAX + 64]; /* the minilaunch home */
static char ca[PATH_MAX + 64], cert[PATH_MAX + 64], key[PATH_MAX + 64];

/* The entries of others.yaml that every edit must keep, as jsonpath. */
static const char *const kept[] = {
	"{.clusters[?(@.name==\"arn:aws:eks:eu-west-1:123456789012:cluster/prod\")]}",
	"{.clusters[?(@.name==\"007\")]}",
	"{.clusters[?(@.name==\"flow-cluster\")]}",
	"{.users[?(@.name==\"arn:aws:eks:eu-west-1:123456789012:cluster/prod\")]}",
	"{.users[?(@.name==\"token-user\")]}",
	"{.users[?(@.name==\"token-user-alias\")]}",
	"{.users[?(@.name==\"basic\")]}",
	"{.contexts[?(@.name==\"prod\")]}",
	"{.contexts[?(@.name==\"bond\")]}",
	"{.contexts[?(@.name==\"flow\")]}",
	"{.preferences}",
	"{.extensions}",
};

static void
setup(void)
{
	snprintf(home, sizeof(home), "%s/ml-kubeconfig-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(home));
	setenv("HOME", home, 1);
	unsetenv("KUBECONFIG");
	snprintf(mlhome, sizeof(mlhome), "%s/.minilaunch", home);
	snprintf(ca, sizeof(ca), "%s/.minilaunch/certs/ca.crt", home);
	snprintf(cert, sizeof(cert),
		 "%s/.minilaunch/profiles/minilaunch/certs/client.crt", home);
	snprintf(key, sizeof(key),
		 "%s/.minilaunch/profiles/minilaunch/certs/client.key", home);
	ml_err_clear();
}

static void
teardown(void)
{
	ml_rm_rf(home);
}

static struct ml_kubeconfig_entry
entry(const char *name, const char *server)
{
	struct ml_kubeconfig_entry e = {
		.name = name,
		.server = server,
		.ca_file = ca,
		.cert_file = cert,
		.key_file = key,
		.namespace = NULL,
	};
	return e;
}

/* HOME/NAME; caller frees. */
static char *
home_path(const char *name)
{
	return ml_xasprintf("%s/%s", home, name);
}

static char *
data_path(const char *name)
{
	const char *top = getenv("ML_TOP_SRCDIR");

	return ml_xasprintf("%s/tests/data/kubeconfig/%s", top ? top : ".",
			    name);
}

static char *
slurp(const char *path)
{
	char *data = NULL;

	ck_assert_msg(ml_read_file(path, &data, NULL) == 0, "%s", ml_err_msg());
	return data;
}

static void
spew(const char *path, const char *data, mode_t mode)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(data, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* Copies tests/data/kubeconfig/NAME to HOME/.kube/config; caller frees. */
static char *
install_fixture(const char *name, mode_t mode)
{
	ml_autofree char *src = data_path(name);
	ml_autofree char *data = slurp(src);
	ml_autofree char *dir = home_path(".kube");
	char *path = home_path(".kube/config");

	ck_assert_int_eq(ml_mkdir_p(dir, 0700), 0);
	spew(path, data, mode);
	return path;
}

/*
 * Runs "kubectl ARGS" with KUBECONFIG=path; returns its stdout without the
 * trailing newline (caller frees) and sets *ret_status to its exit status.
 */
static char *
kubectl(const char *path, int *ret_status, const char *args)
{
	static const char no_kubectl[] =
		"kubectl is not on PATH: these tests need the real kubectl";
	ml_autofree char *cmd = NULL;
	char *out = NULL;
	size_t len = 0, cap = 0;
	FILE *p;
	int st;

	ck_assert_msg(system("command -v kubectl >/dev/null 2>&1") == 0, "%s",
		      no_kubectl);
	cmd = ml_xasprintf("KUBECONFIG='%s' kubectl %s", path, args);
	p = popen(cmd, "r");
	ck_assert_msg(p != NULL, "cannot run '%s'", cmd);
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			out = ml_xrealloc(out, cap);
		}
		n = fread(out + len, 1, cap - len - 1, p);
		if (n == 0)
			break;
		len += n;
	}
	out[len] = '\0';
	while (len > 0 && out[len - 1] == '\n')
		out[--len] = '\0';
	st = pclose(p);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) != 127, "%s",
		      no_kubectl);
	*ret_status = WEXITSTATUS(st);
	return out;
}

/* kubectl ARGS, which must succeed; caller frees. */
static char *
kubectl_ok(const char *path, const char *args)
{
	int st;
	char *out = kubectl(path, &st, args);

	ck_assert_msg(st == 0, "'kubectl %s' failed with %d on '%s'", args, st,
		      path);
	return out;
}

static char *
jsonpath(const char *path, const char *expr)
{
	ml_autofree char *args =
		ml_xasprintf("config view --raw -o jsonpath='%s'", expr);

	return kubectl_ok(path, args);
}

/* kubectl's reading of expr in the kubeconfig at path must be want. */
static void
assert_jsonpath(const char *path, const char *expr, const char *want)
{
	ml_autofree char *got = jsonpath(path, expr);

	ck_assert_str_eq(got, want);
}

/*
 * What kubectl sees of the fixture's entries, one string per kept[] entry
 * (one kubectl run: they are slow); free with snapshot_free.
 */
static char **
snapshot(const char *path)
{
	static const char sep[] = "@@@";
	char **s = ml_xcalloc(ML_ARRAY_SIZE(kept), sizeof(*s));
	ml_autofree char *expr = ml_xstrdup("");
	ml_autofree char *all = NULL;
	char *p;

	for (size_t i = 0; i < ML_ARRAY_SIZE(kept); i++) {
		char *next =
			ml_xasprintf("%s%s%s", expr, i ? sep : "", kept[i]);
		free(expr);
		expr = next;
	}
	all = jsonpath(path, expr);
	p = all;
	for (size_t i = 0; i < ML_ARRAY_SIZE(kept); i++) {
		char *end = strstr(p, sep);

		ck_assert_msg(end || i + 1 == ML_ARRAY_SIZE(kept),
			      "short kubectl output: %s", all);
		s[i] = end ? ml_xstrndup(p, (size_t)(end - p)) : ml_xstrdup(p);
		ck_assert_msg(*s[i], "kubectl sees nothing for %s", kept[i]);
		p = end ? end + strlen(sep) : p + strlen(p);
	}
	return s;
}

static void
snapshot_free(char **s)
{
	for (size_t i = 0; i < ML_ARRAY_SIZE(kept); i++)
		free(s[i]);
	free(s);
}

static void
assert_snapshot_eq(char **before, char **after)
{
	for (size_t i = 0; i < ML_ARRAY_SIZE(kept); i++)
		ck_assert_msg(strcmp(before[i], after[i]) == 0,
			      "%s changed:\nbefore: %s\nafter:  %s", kept[i],
			      before[i], after[i]);
}

/* kubectl sees context name with our cluster and user behind it. */
static void
assert_ours(const char *path, const char *name, const char *server)
{
	ml_autofree char *args = ml_xasprintf(
		"config view --raw --minify --context '%s' -o jsonpath="
		"'{.clusters[0].name}|{.clusters[0].cluster.server}|"
		"{.clusters[0].cluster.certificate-authority}|"
		"{.users[0].name}|{.users[0].user.client-certificate}|"
		"{.users[0].user.client-key}|{.contexts[0].context.cluster}|"
		"{.contexts[0].context.user}'",
		name);
	ml_autofree char *want = ml_xasprintf("%s|%s|%s|%s|%s|%s|%s|%s", name,
					      server, ca, name, cert, key, name,
					      name);
	ml_autofree char *got = kubectl_ok(path, args);

	ck_assert_str_eq(got, want);
}

static size_t
count_words(const char *s, const char *word)
{
	ml_autofree char *copy = ml_xstrdup(s);
	char *save = NULL;
	size_t n = 0;

	for (char *w = strtok_r(copy, " \n", &save); w;
	     w = strtok_r(NULL, " \n", &save))
		n += strcmp(w, word) == 0;
	return n;
}

static mode_t
file_mode(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void
assert_no_lock(const char *path)
{
	ml_autofree char *lock = ml_xasprintf("%s.lock", path);

	ck_assert_msg(!ml_path_exists(lock), "'%s' was left behind", lock);
}

START_TEST(test_kubeconfig_merge_missing_file)
{
	ml_autofree char *path = home_path(".kube/config");
	ml_autofree char *dir = home_path(".kube");
	struct ml_kubeconfig_entry e =
		entry("minilaunch", "https://127.0.0.1:32771");
	ml_autofree char *names = NULL, *cur = NULL;

	ck_assert_msg(ml_kubeconfig_merge(path, mlhome, &e, true) == 0, "%s",
		      ml_err_msg());
	names = kubectl_ok(path, "config get-contexts -o name");
	ck_assert_str_eq(names, "minilaunch");
	cur = kubectl_ok(path, "config current-context");
	ck_assert_str_eq(cur, "minilaunch");
	assert_jsonpath(path, "{.apiVersion}/{.kind}", "v1/Config");
	assert_jsonpath(path, "{.preferences}", "{}");
	assert_ours(path, "minilaunch", "https://127.0.0.1:32771");
	ck_assert_int_eq(file_mode(dir), 0700);
	assert_no_lock(path);
}
END_TEST

START_TEST(test_kubeconfig_merge_new_file_mode)
{
	ml_autofree char *path = home_path("deep/dir/kubeconfig");
	ml_autofree char *dir = home_path("deep/dir");
	struct ml_kubeconfig_entry e = entry("mode", "https://127.0.0.1:1");
	mode_t old = umask(0);
	int r;

	r = ml_kubeconfig_merge(path, mlhome, &e, false);
	umask(old);
	ck_assert_msg(r == 0, "%s", ml_err_msg());
	ck_assert_int_eq(file_mode(path), 0600);
	ck_assert_int_eq(file_mode(dir), 0700);
}
END_TEST

START_TEST(test_kubeconfig_merge_keeps_others)
{
	ml_autofree char *path = install_fixture("others.yaml", 0640);
	struct ml_kubeconfig_entry e =
		entry("minilaunch", "https://192.168.39.2:8443");
	char **before = snapshot(path), **after;
	ml_autofree char *names = NULL, *cur = NULL, *text = NULL;

	e.namespace = "kube-system";
	ck_assert_msg(ml_kubeconfig_merge(path, mlhome, &e, true) == 0, "%s",
		      ml_err_msg());
	names = kubectl_ok(path, "config get-contexts -o name");
	ck_assert_str_eq(names, "bond\nflow\nminilaunch\nprod");
	cur = kubectl_ok(path, "config current-context");
	ck_assert_str_eq(cur, "minilaunch");
	assert_ours(path, "minilaunch", "https://192.168.39.2:8443");
	assert_jsonpath(path,
			"{.contexts[?(@.name==\"minilaunch\")].context.namespace}",
			"kube-system");
	after = snapshot(path);
	assert_snapshot_eq(before, after);
	/* "!!str 12345" must stay a string, or kubectl rejects the user. */
	assert_jsonpath(path, "{.users[?(@.name==\"basic\")].user.password}",
			"12345");
	/* What kubectl does not show must survive too. */
	text = slurp(path);
	ck_assert_ptr_nonnull(strstr(text, "x-unknown-key: keep-me"));
	ck_assert_ptr_nonnull(strstr(text, "&shared_token"));
	ck_assert_ptr_nonnull(strstr(text, "*shared_token"));
	ck_assert_int_eq(file_mode(path), 0640);
	assert_no_lock(path);
	snapshot_free(before);
	snapshot_free(after);
}
END_TEST

START_TEST(test_kubeconfig_merge_idempotent)
{
	ml_autofree char *path = install_fixture("others.yaml", 0600);
	struct ml_kubeconfig_entry e =
		entry("minilaunch", "https://127.0.0.1:32771");
	ml_autofree char *once = NULL, *twice = NULL;
	ml_autofree char *clusters = NULL, *users = NULL, *contexts = NULL;

	ck_assert_msg(ml_kubeconfig_merge(path, mlhome, &e, true) == 0, "%s",
		      ml_err_msg());
	once = slurp(path);
	ck_assert_msg(ml_kubeconfig_merge(path, mlhome, &e, true) == 0, "%s",
		      ml_err_msg());
	twice = slurp(path);
	ck_assert_str_eq(once, twice);
	clusters = jsonpath(path, "{.clusters[*].name}");
	users = jsonpath(path, "{.users[*].name}");
	contexts = jsonpath(path, "{.contexts[*].name}");
	ck_assert_uint_eq(count_words(clusters, "minilaunch"), 1);
	ck_assert_uint_eq(count_words(users, "minilaunch"), 1);
	ck_assert_uint_eq(count_words(contexts, "minilaunch"), 1);
	ck_assert_uint_eq(count_words(contexts, "prod"), 1);
}
END_TEST

START_TEST(test_kubeconfig_merge_replaces)
{
	ml_autofree char *path = install_fixture("others.yaml", 0600);
	struct ml_kubeconfig_entry e =
		entry("minilaunch", "https://127.0.0.1:1111");
	char **before = snapshot(path), **after;
	ml_autofree char *server = NULL, *clusters = NULL, *cur = NULL;

	ck_assert_int_eq(ml_kubeconfig_merge(path, mlhome, &e, false), 0);
	e.server = "https://127.0.0.1:2222";
	ck_assert_msg(ml_kubeconfig_merge(path, mlhome, &e, false) == 0, "%s",
		      ml_err_msg());
	assert_ours(path, "minilaunch", "https://127.0.0.1:2222");
	clusters = jsonpath(path, "{.clusters[*].name}");
	ck_assert_uint_eq(count_words(clusters, "minilaunch"), 1);
	ck_assert_int_eq(ml_kubeconfig_context_server(path, "minilaunch",
						      &server),
			 0);
	ck_assert_str_eq(server, "https://127.0.0.1:2222");
	/* Without set_current the user's context stays current. */
	cur = kubectl_ok(path, "config current-context");
	ck_assert_str_eq(cur, "prod");
	after = snapshot(path);
	assert_snapshot_eq(before, after);
	snapshot_free(before);
	snapshot_free(after);
}
END_TEST

START_TEST(test_kubeconfig_merge_replaces_duplicates)
{
	ml_autofree char *path = home_path("config");
	struct ml_kubeconfig_entry e = entry("dup", "https://127.0.0.1:3");

	/* ours, marked: written by an earlier start */
	spew(path,
	     "apiVersion: v1\nkind: Config\nclusters:\n"
	     "- {name: dup, cluster: {server: 'https://a:1', " MARK "}}\n"
	     "- {name: keep, cluster: {server: 'https://k:1'}}\n"
	     "- {name: dup, cluster: {server: 'https://b:1', " MARK "}}\n"
	     "users:\n- name: dup\n  user: {token: x, " MARK "}\n",
	     0600);
	ck_assert_msg(ml_kubeconfig_merge(path, mlhome, &e, false) == 0, "%s",
		      ml_err_msg());
	assert_jsonpath(path, "{.clusters[*].name}", "dup keep");
	assert_jsonpath(path, "{.users[*].name}", "dup");
	assert_ours(path, "dup", "https://127.0.0.1:3");
}
END_TEST

START_TEST(test_kubeconfig_merge_empty_file)
{
	static const char *const empties[] = { "", "\n# only a comment\n",
					       "---\n", "~\n" };

	for (size_t i = 0; i < ML_ARRAY_SIZE(empties); i++) {
		ml_autofree char *path = home_path("config");
		struct ml_kubeconfig_entry e = entry("ml", "https://h:1");

		spew(path, empties[i], 0600);
		ck_assert_msg(ml_kubeconfig_merge(path, mlhome, &e, false) == 0,
			      "%s", ml_err_msg());
		assert_jsonpath(path, "{.apiVersion}/{.kind}", "v1/Config");
		assert_jsonpath(path, "{.current-context}", "");
		assert_ours(path, "ml", "https://h:1");
	}
}
END_TEST

START_TEST(test_kubeconfig_merge_quotes_values)
{
	ml_autofree char *path = home_path("config");
	struct ml_kubeconfig_entry e = entry("0123", "https://h:1");
	ml_autofree char *cur = NULL;

	e.namespace = "yes";
	ck_assert_msg(ml_kubeconfig_merge(path, mlhome, &e, true) == 0, "%s",
		      ml_err_msg());
	assert_ours(path, "0123", "https://h:1");
	assert_jsonpath(path, "{.contexts[0].context.namespace}", "yes");
	cur = kubectl_ok(path, "config current-context");
	ck_assert_str_eq(cur, "0123");
}
END_TEST

START_TEST(test_kubeconfig_merge_symlink)
{
	ml_autofree char *real = install_fixture("others.yaml", 0600);
	ml_autofree char *link = home_path("link-config");
	struct ml_kubeconfig_entry e = entry("ml", "https://h:1");
	struct stat st;

	ck_assert_int_eq(symlink(real, link), 0);
	ck_assert_msg(ml_kubeconfig_merge(link, mlhome, &e, false) == 0, "%s",
		      ml_err_msg());
	ck_assert_int_eq(lstat(link, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	assert_ours(real, "ml", "https://h:1");
	assert_no_lock(link);
}
END_TEST

START_TEST(test_kubeconfig_remove_restores_others)
{
	ml_autofree char *path = install_fixture("others.yaml", 0600);
	struct ml_kubeconfig_entry e = entry("minilaunch", "https://h:1");
	ml_autofree char *orig = kubectl_ok(path, "config view --raw -o json");
	ml_autofree char *merged = NULL, *removed = NULL;

	ck_assert_int_eq(ml_kubeconfig_merge(path, mlhome, &e, false), 0);
	merged = kubectl_ok(path, "config view --raw -o json");
	ck_assert_str_ne(merged, orig);
	ck_assert_msg(ml_kubeconfig_remove(path, mlhome, "minilaunch") == 0,
		      "%s", ml_err_msg());
	removed = kubectl_ok(path, "config view --raw -o json");
	ck_assert_str_eq(removed, orig);
	assert_no_lock(path);
}
END_TEST

START_TEST(test_kubeconfig_remove_clears_current_context)
{
	ml_autofree char *path = install_fixture("others.yaml", 0600);
	struct ml_kubeconfig_entry e = entry("minilaunch", "https://h:1");
	char **before = snapshot(path), **after;
	ml_autofree char *cur = NULL, *names = NULL, *name = NULL;
	int st;

	ck_assert_int_eq(ml_kubeconfig_merge(path, mlhome, &e, true), 0);
	ck_assert_msg(ml_kubeconfig_remove(path, mlhome, "minilaunch") == 0,
		      "%s", ml_err_msg());
	cur = kubectl(path, &st, "config current-context 2>/dev/null");
	ck_assert_msg(st != 0, "current-context is still '%s'", cur);
	assert_jsonpath(path, "{.current-context}", "");
	names = kubectl_ok(path, "config get-contexts -o name");
	ck_assert_str_eq(names, "bond\nflow\nprod");
	ck_assert_int_eq(ml_kubeconfig_current_context(path, &name), 0);
	ck_assert_ptr_null(name);
	after = snapshot(path);
	assert_snapshot_eq(before, after);
	snapshot_free(before);
	snapshot_free(after);
}
END_TEST

START_TEST(test_kubeconfig_remove_missing_file)
{
	ml_autofree char *path = home_path("nowhere/config");
	ml_autofree char *dir = home_path("nowhere");

	ck_assert_int_eq(ml_kubeconfig_remove(path, mlhome, "minilaunch"), 0);
	ck_assert(!ml_path_exists(dir));
	ck_assert_ptr_null(ml_err_msg());
}
END_TEST

START_TEST(test_kubeconfig_remove_missing_entry)
{
	ml_autofree char *path = install_fixture("others.yaml", 0600);
	ml_autofree char *before = slurp(path), *after = NULL;

	ck_assert_int_eq(ml_kubeconfig_remove(path, mlhome, "minilaunch"), 0);
	after = slurp(path);
	ck_assert_str_eq(before, after);
	assert_no_lock(path);
}
END_TEST

START_TEST(test_kubeconfig_malformed_untouched)
{
	static const struct {
		const char *file;
		const char *line;
	} bad[] = {
		{ "bad-syntax.yaml", "at line 6:" },
		{ "bad-toplevel.yaml", "at line 1:" },
		{ "bad-clusters.yaml", "at line 4:" },
		{ "bad-entry.yaml", "at line 6:" },
	};

	for (size_t i = 0; i < ML_ARRAY_SIZE(bad); i++) {
		ml_autofree char *path = install_fixture(bad[i].file, 0600);
		ml_autofree char *before = slurp(path), *after = NULL;
		struct ml_kubeconfig_entry e = entry("ml", "https://h:1");
		const char *msg;
		int r;

		ml_err_clear();
		r = ml_kubeconfig_merge(path, mlhome, &e, true);
		ck_assert_msg(r == -EBADMSG, "%s: merge gave %d", bad[i].file,
			      r);
		msg = ml_err_msg();
		ck_assert_ptr_nonnull(msg);
		ck_assert_msg(strstr(msg, path) && strstr(msg, bad[i].line) &&
				      strstr(msg, "fix or move the file"),
			      "%s: message '%s'", bad[i].file, msg);
		ck_assert_int_eq(ml_kubeconfig_remove(path, mlhome, "ml"),
				 -EBADMSG);
		ck_assert_int_eq(ml_kubeconfig_current_context(path, NULL),
				 -EBADMSG);
		after = slurp(path);
		ck_assert_str_eq(before, after);
		assert_no_lock(path);
	}
}
END_TEST

/* kubectl's view of our mark on each of name's cluster, context and user. */
static void
assert_marked(const char *path, const char *name)
{
	static const char *const sections[] = { "clusters", "contexts",
						"users" };
	static const char *const inner[] = { "cluster", "context", "user" };

	for (size_t i = 0; i < 3; i++) {
		ml_autofree char *expr = ml_xasprintf(
			"{.%s[?(@.name==\"%s\")].%s.extensions[?(@.name==\"minilaunch\")].extension.provider}/"
			"{.%s[?(@.name==\"%s\")].%s.extensions[?(@.name==\"minilaunch\")].extension.profile}",
			sections[i], name, inner[i], sections[i], name,
			inner[i]);
		ml_autofree char *want = ml_xasprintf("minilaunch/%s", name);

		assert_jsonpath(path, expr, want);
	}
}

START_TEST(test_kubeconfig_merge_marks_entries)
{
	ml_autofree char *path = install_fixture("others.yaml", 0600);
	struct ml_kubeconfig_entry e =
		entry("minilaunch", "https://127.0.0.1:32771");
	ml_autofree char *rewritten = NULL;

	ck_assert_msg(ml_kubeconfig_merge(path, mlhome, &e, true) == 0, "%s",
		      ml_err_msg());
	assert_marked(path, "minilaunch");
	assert_ours(path, "minilaunch", "https://127.0.0.1:32771");
	/* kubectl rewriting the file keeps the mark: still ours */
	rewritten = kubectl_ok(path, "config set-context bond --namespace=x");
	assert_marked(path, "minilaunch");
	e.server = "https://127.0.0.1:40000";
	ck_assert_msg(ml_kubeconfig_merge(path, mlhome, &e, true) == 0, "%s",
		      ml_err_msg());
	assert_ours(path, "minilaunch", "https://127.0.0.1:40000");
	ck_assert_msg(ml_kubeconfig_remove(path, mlhome, "minilaunch") == 0,
		      "%s", ml_err_msg());
	assert_jsonpath(path, "{.contexts[*].name}", "bond flow prod");
}
END_TEST

/* A merge never overwrites a user's entry of the same name. */
START_TEST(test_kubeconfig_merge_refuses_foreign)
{
	static const struct {
		const char *name, *what, *fix;
	} cases[] = {
		{ "prod", "context 'prod'",
		  "kubectl config rename-context prod" },
		{ "007", "cluster '007'", "kubectl config delete-cluster 007" },
		{ "basic", "user 'basic'", "kubectl config delete-user basic" },
		{ "shared", "cluster 'shared'",
		  "kubectl config delete-cluster shared" },
		{ "fake", "cluster 'fake'",
		  "kubectl config delete-cluster fake" },
	};

	for (size_t i = 0; i < ML_ARRAY_SIZE(cases); i++) {
		ml_autofree char *path =
			install_fixture(i < 3 ? "others.yaml" : "mixed.yaml",
					0600);
		ml_autofree char *before = slurp(path), *after = NULL;
		struct ml_kubeconfig_entry e =
			entry(cases[i].name, "https://127.0.0.1:1");

		ml_err_clear();
		ck_assert_int_eq(ml_kubeconfig_check_ours(path, mlhome,
							  cases[i].name),
				 -EEXIST);
		ck_assert_int_eq(ml_kubeconfig_merge(path, mlhome, &e, true),
				 -EEXIST);
		ck_assert_msg(strstr(ml_err_msg(), path), "%s", ml_err_msg());
		ck_assert_msg(strstr(ml_err_msg(), cases[i].what), "%s",
			      ml_err_msg());
		ck_assert_msg(strstr(ml_err_msg(), cases[i].fix), "%s",
			      ml_err_msg());
		ck_assert_msg(strstr(ml_err_msg(),
				     "another profile name with -p"),
			      "%s", ml_err_msg());
		after = slurp(path);
		ck_assert_str_eq(after, before);
		assert_no_lock(path);
	}
	{
		ml_autofree char *path = install_fixture("others.yaml", 0600);

		ck_assert_int_eq(ml_kubeconfig_check_ours(path, mlhome, "new"),
				 0);
	}
}
END_TEST

/* delete -p X of a missing profile must not take the user's X entries. */
START_TEST(test_kubeconfig_remove_only_ours)
{
	ml_autofree char *path = install_fixture("others.yaml", 0600);
	ml_autofree char *before = slurp(path), *after = NULL;
	ml_autofree char *cur = NULL;

	ck_assert_msg(ml_kubeconfig_remove(path, mlhome, "prod") == 0, "%s",
		      ml_err_msg());
	ck_assert_msg(ml_kubeconfig_remove(path, mlhome, "007") == 0, "%s",
		      ml_err_msg());
	after = slurp(path);
	ck_assert_str_eq(after, before);
	cur = kubectl_ok(path, "config current-context");
	ck_assert_str_eq(cur, "prod");
	free(path);
	free(after);
	free(cur);

	/* mixed: our context and user go, the user's cluster stays */
	path = install_fixture("mixed.yaml", 0600);
	ck_assert_msg(ml_kubeconfig_remove(path, mlhome, "shared") == 0, "%s",
		      ml_err_msg());
	assert_jsonpath(path, "{.clusters[*].name}", "fake shared");
	assert_jsonpath(path,
			"{.clusters[?(@.name==\"shared\")].cluster.server}",
			"https://users-own.example.invalid:6443");
	assert_jsonpath(path, "{.contexts[*].name}", "fake");
	assert_jsonpath(path, "{.users[*].name}", "");
	cur = kubectl_ok(path, "config view -o jsonpath={.current-context}");
	ck_assert_str_eq(cur, "");
	free(cur);
	/* an extension called minilaunch from another provider is not ours */
	after = slurp(path);
	ck_assert_msg(ml_kubeconfig_remove(path, mlhome, "fake") == 0, "%s",
		      ml_err_msg());
	{
		ml_autofree char *again = slurp(path);
		ck_assert_str_eq(again, after);
	}
	cur = NULL;
}
END_TEST

/* "x: " then n '[' and n ']': n + 1 collections deep. Caller frees. */
static char *
nested(size_t n)
{
	char *s = ml_xmalloc(2 * n + 5);

	memcpy(s, "x: ", 3);
	memset(s + 3, '[', n);
	memset(s + 3 + n, ']', n);
	strcpy(s + 3 + 2 * n, "\n");
	return s;
}

/*
 * libyaml is quadratic in flow nesting: 200000 levels (400 KB) took over
 * two minutes before the cap. Every entry point must fail fast, naming the
 * file, and leave it as it was.
 */
START_TEST(test_kubeconfig_deep_nesting_fails_fast)
{
	ml_autofree char *path = home_path(".kube/config");
	ml_autofree char *dir = home_path(".kube");
	ml_autofree char *deep = nested(200000);
	ml_autofree char *ok = nested(63), *too_deep = nested(64);
	ml_autofree char *block = ml_xstrdup("");
	ml_autofree char *after = NULL, *cur = NULL;
	struct ml_kubeconfig_entry e =
		entry("minilaunch", "https://127.0.0.1:1");
	struct ml_kubeconfig_context ctx;
	int64_t t0;

	ck_assert_int_eq(ml_mkdir_p(dir, 0700), 0);
	spew(path, deep, 0600);
	t0 = ml_now_ms();
	ck_assert_int_eq(ml_kubeconfig_current_context(path, &cur), -EBADMSG);
	ck_assert_msg(strstr(ml_err_msg(), path), "%s", ml_err_msg());
	ck_assert_msg(strstr(ml_err_msg(), "nested more than 64 levels"), "%s",
		      ml_err_msg());
	ck_assert_int_eq(ml_kubeconfig_read_context(path, NULL, &ctx),
			 -EBADMSG);
	ck_assert_int_eq(ml_kubeconfig_merge(path, mlhome, &e, true), -EBADMSG);
	ck_assert_int_eq(ml_kubeconfig_remove(path, mlhome, "x"), -EBADMSG);
	ck_assert_msg(ml_now_ms() - t0 < 5000, "took %lld ms",
		      (long long)(ml_now_ms() - t0));
	after = slurp(path);
	ck_assert_str_eq(after, deep);
	assert_no_lock(path);

	/* 64 levels are read, 65 are not; block nesting counts the same */
	spew(path, ok, 0600);
	ck_assert_msg(ml_kubeconfig_current_context(path, &cur) == 0, "%s",
		      ml_err_msg());
	spew(path, too_deep, 0600);
	ck_assert_int_eq(ml_kubeconfig_current_context(path, &cur), -EBADMSG);
	for (int i = 0; i < 65; i++) {
		char *next = ml_xasprintf("%s%*sk:\n", block, i, "");
		free(block);
		block = next;
	}
	spew(path, block, 0600);
	ck_assert_int_eq(ml_kubeconfig_current_context(path, &cur), -EBADMSG);
	ck_assert_msg(strstr(ml_err_msg(), "nested"), "%s", ml_err_msg());
}
END_TEST

START_TEST(test_kubeconfig_huge_file_refused)
{
	ml_autofree char *path = home_path(".kube/config");
	ml_autofree char *dir = home_path(".kube");
	ml_autofree char *cur = NULL;
	struct ml_kubeconfig_entry e =
		entry("minilaunch", "https://127.0.0.1:1");
	struct stat st;

	ck_assert_int_eq(ml_mkdir_p(dir, 0700), 0);
	spew(path, "apiVersion: v1\n", 0600);
	ck_assert_int_eq(truncate(path, 16 * 1024 * 1024 + 1), 0);
	ck_assert_int_eq(ml_kubeconfig_current_context(path, &cur), -EFBIG);
	ck_assert_msg(strstr(ml_err_msg(), path), "%s", ml_err_msg());
	ck_assert_msg(strstr(ml_err_msg(), "16 MiB"), "%s", ml_err_msg());
	ck_assert_int_eq(ml_kubeconfig_merge(path, mlhome, &e, true), -EFBIG);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 16 * 1024 * 1024 + 1);
	assert_no_lock(path);
}
END_TEST

START_TEST(test_kubeconfig_alias_into_replaced_entry)
{
	ml_autofree char *path = home_path("config");
	ml_autofree char *before = NULL, *after = NULL;
	struct ml_kubeconfig_entry e = entry("ml", "https://h:1");
	const char *msg;

	/* Replacing "ml" would drop the anchor "other" refers to. */
	spew(path,
	     "apiVersion: v1\nkind: Config\nclusters:\n"
	     "- name: ml\n  cluster: &c {server: 'https://old:1', " MARK "}\n"
	     "- name: other\n  cluster: *c\n",
	     0600);
	before = slurp(path);
	ck_assert_int_eq(ml_kubeconfig_merge(path, mlhome, &e, true), -ENOTSUP);
	msg = ml_err_msg();
	ck_assert_msg(strstr(msg, path) && strstr(msg, "'*c'"), "message '%s'",
		      msg);
	ck_assert_int_eq(ml_kubeconfig_remove(path, mlhome, "ml"), -ENOTSUP);
	after = slurp(path);
	ck_assert_str_eq(before, after);
	assert_no_lock(path);
}
END_TEST

START_TEST(test_kubeconfig_stale_lock)
{
	ml_autofree char *path = install_fixture("others.yaml", 0600);
	ml_autofree char *lock = ml_xasprintf("%s.lock", path);
	ml_autofree char *before = slurp(path), *after = NULL;
	struct ml_kubeconfig_entry e = entry("ml", "https://h:1");
	const char *msg;
	int r;

	spew(lock, "", 0600);
	r = ml_kubeconfig_merge(path, mlhome, &e, true);
	ck_assert_int_eq(r, -EWOULDBLOCK);
	msg = ml_err_msg();
	ck_assert_msg(strstr(msg, lock) && strstr(msg, "stale") &&
			      strstr(msg, "remove it"),
		      "message '%s'", msg);
	after = slurp(path);
	ck_assert_str_eq(before, after);
	/* The lock is someone else's: it stays. */
	ck_assert(ml_path_exists(lock));
	ck_assert_int_eq(ml_kubeconfig_remove(path, mlhome, "prod"),
			 -EWOULDBLOCK);
}
END_TEST

START_TEST(test_kubeconfig_lock_wait)
{
	ml_autofree char *path = install_fixture("others.yaml", 0600);
	ml_autofree char *lock = ml_xasprintf("%s.lock", path);
	struct ml_kubeconfig_entry e = entry("ml", "https://h:1");
	pid_t pid;
	int st;

	spew(lock, "", 0600);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* exec, so valgrind and LSan do not judge the child's exit. */
		execlp("sh", "sh", "-c", "sleep 0.5 && rm -- \"$0\"", lock,
		       (char *)NULL);
		_exit(127);
	}
	ck_assert_msg(ml_kubeconfig_merge(path, mlhome, &e, false) == 0, "%s",
		      ml_err_msg());
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_ours(path, "ml", "https://h:1");
	assert_no_lock(path);
}
END_TEST

START_TEST(test_kubeconfig_default_path)
{
	ml_autofree char *plain = NULL, *first = NULL, *skip = NULL;
	ml_autofree char *empty = NULL, *want = home_path(".kube/config");

	plain = ml_kubeconfig_default_path();
	ck_assert_str_eq(plain, want);
	setenv("KUBECONFIG", "/a/config:/b/config", 1);
	first = ml_kubeconfig_default_path();
	ck_assert_str_eq(first, "/a/config");
	setenv("KUBECONFIG", "::/b/config:/c", 1);
	skip = ml_kubeconfig_default_path();
	ck_assert_str_eq(skip, "/b/config");
	setenv("KUBECONFIG", "", 1);
	empty = ml_kubeconfig_default_path();
	ck_assert_str_eq(empty, want);
	unsetenv("KUBECONFIG");
}
END_TEST

START_TEST(test_kubeconfig_read)
{
	ml_autofree char *path = install_fixture("others.yaml", 0600);
	ml_autofree char *missing = home_path("missing");
	ml_autofree char *cur = NULL, *server = NULL, *none = NULL;
	ml_autofree char *flow = NULL;
	char *unset = (char *)"x", *nosrv = (char *)"x";

	ck_assert_int_eq(ml_kubeconfig_current_context(path, &cur), 0);
	ck_assert_str_eq(cur, "prod");
	ck_assert_int_eq(ml_kubeconfig_context_server(path, "bond", &server),
			 0);
	ck_assert_str_eq(server, "https://10.0.0.1:6443");
	ck_assert_int_eq(ml_kubeconfig_context_server(path, "flow", &flow), 0);
	ck_assert_str_eq(flow, "https://flow.example.com:443");
	ck_assert_int_eq(ml_kubeconfig_context_server(path, "nope", &none), 0);
	ck_assert_ptr_null(none);
	ck_assert_int_eq(ml_kubeconfig_current_context(missing, &unset), 0);
	ck_assert_ptr_null(unset);
	ck_assert_int_eq(ml_kubeconfig_context_server(missing, "x", &nosrv), 0);
	ck_assert_ptr_null(nosrv);
	ck_assert(!ml_path_exists(missing));
}
END_TEST

/*
 * An unmarked entry as an older minilaunch wrote it, its files under dir
 * (which is created, with them), with the user's own context "mine" beside
 * it, in HOME/.kube/config; caller frees.
 */
static char *
install_legacy(const char *name, const char *dir)
{
	ml_autofree char *certs = ml_xasprintf("%s/certs", dir);
	ml_autofree char *pcerts =
		ml_xasprintf("%s/profiles/%s/certs", dir, name);
	ml_autofree char *lca = ml_xasprintf("%s/ca.crt", certs);
	ml_autofree char *lcert = ml_xasprintf("%s/client.crt", pcerts);
	ml_autofree char *lkey = ml_xasprintf("%s/client.key", pcerts);
	ml_autofree char *kdir = home_path(".kube");
	ml_autofree char *yaml = NULL;
	char *path = home_path(".kube/config");

	ck_assert_int_eq(ml_mkdir_p(certs, 0700), 0);
	ck_assert_int_eq(ml_mkdir_p(pcerts, 0700), 0);
	spew(lca, "ca\n", 0600);
	spew(lcert, "cert\n", 0600);
	spew(lkey, "key\n", 0600);
	ck_assert_int_eq(ml_mkdir_p(kdir, 0700), 0);
	yaml = ml_xasprintf("apiVersion: v1\n"
			    "kind: Config\n"
			    "clusters:\n"
			    "- cluster:\n"
			    "    certificate-authority: %s\n"
			    "    server: https://127.0.0.1:8443\n"
			    "  name: %s\n"
			    "- cluster:\n"
			    "    server: https://mine.example.invalid:6443\n"
			    "  name: mine\n"
			    "contexts:\n"
			    "- context:\n"
			    "    cluster: %s\n"
			    "    user: %s\n"
			    "  name: %s\n"
			    "- context:\n"
			    "    cluster: mine\n"
			    "  name: mine\n"
			    "current-context: %s\n"
			    "users:\n"
			    "- name: %s\n"
			    "  user:\n"
			    "    client-certificate: %s\n"
			    "    client-key: %s\n",
			    lca, name, name, name, name, name, name, lcert,
			    lkey);
	spew(path, yaml, 0600);
	return path;
}

/* Entries an older minilaunch wrote under this home are adopted. */
START_TEST(test_kubeconfig_adopts_unmarked_from_home)
{
	ml_autofree char *path = install_legacy("old", mlhome);
	struct ml_kubeconfig_entry e = entry("old", "https://127.0.0.1:32771");

	ck_assert_msg(ml_kubeconfig_check_ours(path, mlhome, "old") == 0, "%s",
		      ml_err_msg());
	ck_assert_msg(ml_kubeconfig_merge(path, mlhome, &e, true) == 0, "%s",
		      ml_err_msg());
	assert_marked(path, "old");
	assert_ours(path, "old", "https://127.0.0.1:32771");
	assert_jsonpath(path, "{.clusters[*].name}", "mine old");
	assert_jsonpath(path, "{.contexts[*].name}", "mine old");
	assert_jsonpath(path, "{.users[*].name}", "old");

	/* and removed by delete, unmarked as it was */
	free(path);
	path = install_legacy("old", mlhome);
	ck_assert_msg(ml_kubeconfig_remove(path, mlhome, "old") == 0, "%s",
		      ml_err_msg());
	assert_jsonpath(path, "{.clusters[*].name}", "mine");
	assert_jsonpath(path, "{.contexts[*].name}", "mine");
	assert_jsonpath(path, "{.users[*].name}", "");
	assert_jsonpath(path, "{.current-context}", "");
}
END_TEST

/*
 * A sibling home whose name has this one's as a prefix, another home, or
 * no home at all: the entry stays the user's.
 */
START_TEST(test_kubeconfig_refuses_unmarked_from_sibling)
{
	ml_autofree char *sibling = ml_xasprintf("%s2", mlhome);
	ml_autofree char *path = install_legacy("old", sibling);
	ml_autofree char *before = slurp(path), *after = NULL;
	struct ml_kubeconfig_entry e = entry("old", "https://127.0.0.1:1");

	ck_assert_int_eq(ml_mkdir_p(mlhome, 0700), 0);
	ck_assert_int_eq(ml_kubeconfig_check_ours(path, mlhome, "old"),
			 -EEXIST);
	ck_assert_int_eq(ml_kubeconfig_check_ours(path, NULL, "old"), -EEXIST);
	ck_assert_int_eq(ml_kubeconfig_merge(path, mlhome, &e, true), -EEXIST);
	ck_assert_msg(strstr(ml_err_msg(), "cluster 'old'"), "%s",
		      ml_err_msg());
	ck_assert_msg(ml_kubeconfig_remove(path, mlhome, "old") == 0, "%s",
		      ml_err_msg());
	after = slurp(path);
	ck_assert_str_eq(after, before);
	/* the sibling's own runs adopt it */
	ck_assert_msg(ml_kubeconfig_check_ours(path, sibling, "old") == 0, "%s",
		      ml_err_msg());
}
END_TEST

static Suite *
kubeconfig_suite(void)
{
	Suite *s = suite_create("kubeconfig");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	/* Each case runs kubectl a few dozen times; the lock case waits. */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_kubeconfig_merge_missing_file);
	tcase_add_test(tc, test_kubeconfig_merge_new_file_mode);
	tcase_add_test(tc, test_kubeconfig_merge_keeps_others);
	tcase_add_test(tc, test_kubeconfig_merge_idempotent);
	tcase_add_test(tc, test_kubeconfig_merge_replaces);
	tcase_add_test(tc, test_kubeconfig_merge_replaces_duplicates);
	tcase_add_test(tc, test_kubeconfig_merge_empty_file);
	tcase_add_test(tc, test_kubeconfig_merge_quotes_values);
	tcase_add_test(tc, test_kubeconfig_merge_symlink);
	tcase_add_test(tc, test_kubeconfig_remove_restores_others);
	tcase_add_test(tc, test_kubeconfig_remove_clears_current_context);
	tcase_add_test(tc, test_kubeconfig_remove_missing_file);
	tcase_add_test(tc, test_kubeconfig_remove_missing_entry);
	tcase_add_test(tc, test_kubeconfig_malformed_untouched);
	tcase_add_test(tc, test_kubeconfig_merge_marks_entries);
	tcase_add_test(tc, test_kubeconfig_merge_refuses_foreign);
	tcase_add_test(tc, test_kubeconfig_remove_only_ours);
	tcase_add_test(tc, test_kubeconfig_adopts_unmarked_from_home);
	tcase_add_test(tc, test_kubeconfig_refuses_unmarked_from_sibling);
	tcase_add_test(tc, test_kubeconfig_deep_nesting_fails_fast);
	tcase_add_test(tc, test_kubeconfig_huge_file_refused);
	tcase_add_test(tc, test_kubeconfig_alias_into_replaced_entry);
	tcase_add_test(tc, test_kubeconfig_stale_lock);
	tcase_add_test(tc, test_kubeconfig_lock_wait);
	tcase_add_test(tc, test_kubeconfig_default_path);
	tcase_add_test(tc, test_kubeconfig_read);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ml_check_run(kubeconfig_suite());
}
