/* test_manifest.c: splitting multi-document manifests (src/manifest.c),
 * their REST paths and the errors that name the file and the line. */
#include "config.h"

#include "kube/manifest.h"
#include "base/util.h"
#include "check_run.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct ml_manifest *
parse_ok(const char *text)
{
	struct ml_manifest *m = NULL;
	int r = ml_manifest_parse("test.yaml", text, strlen(text), &m);

	ck_assert_msg(r == 0, "parse: %s", ml_err_msg());
	ck_assert_ptr_nonnull(m);
	return m;
}

/* Parsing fails with -EINVAL and a message holding want. */
static void
parse_fails(const char *text, const char *want)
{
	struct ml_manifest *m = NULL;
	int r;

	ml_err_clear();
	r = ml_manifest_parse("test.yaml", text, strlen(text), &m);
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_ptr_null(m);
	ck_assert_msg(ml_err_msg() && strstr(ml_err_msg(), want),
		      "message '%s' lacks '%s'",
		      ml_err_msg() ? ml_err_msg() : "(none)", want);
}

static const char three[] =
	"# a leading comment\n"
	"apiVersion: v1\n"
	"kind: ServiceAccount\n"
	"metadata:\n"
	"  name: sa\n"
	"  namespace: kube-system\n"
	"---\n"
	"# only a comment: skipped\n"
	"---\n"
	"apiVersion: apps/v1\n"
	"kind: Deployment\n"
	"metadata: {name: web, labels: {a: b}}\n"
	"spec:\n"
	"  template:\n"
	"    metadata:\n"
	"      name: not-this-one\n"
	"    spec: {containers: [{name: c, image: \"caf\xc3\xa9:1\"}]}\n"
	"---\n"
	"  apiVersion: rbac.authorization.k8s.io/v1\n"
	"  kind: ClusterRole\n"
	"  metadata:\n"
	"    name: \"minilaunch:r\"\n"
	"  rules: []\n"
	"...\n";

START_TEST(test_manifest_splits_documents)
{
	struct ml_manifest *m = parse_ok(three);

	ck_assert_uint_eq(m->n, 3);
	ck_assert_str_eq(m->source, "test.yaml");

	ck_assert_str_eq(m->docs[0].api_version, "v1");
	ck_assert_str_eq(m->docs[0].kind, "ServiceAccount");
	ck_assert_str_eq(m->docs[0].name, "sa");
	ck_assert_str_eq(m->docs[0].namespace, "kube-system");
	ck_assert_int_eq(m->docs[0].line, 2);

	ck_assert_str_eq(m->docs[1].kind, "Deployment");
	ck_assert_str_eq(m->docs[1].name, "web"); /* not the template's */
	ck_assert_ptr_null(m->docs[1].namespace);
	ck_assert_int_eq(m->docs[1].line, 10);
	ck_assert(m->docs[1].namespaced);
	ck_assert_str_eq(m->docs[1].plural, "deployments");

	ck_assert_str_eq(m->docs[2].kind, "ClusterRole");
	ck_assert_str_eq(m->docs[2].name, "minilaunch:r");
	ck_assert(!m->docs[2].namespaced);
	ck_assert_int_eq(m->docs[2].line, 19);
	ml_manifest_free(m);
}
END_TEST

/* Each document's text is its own, cut on line boundaries (indentation
 * kept), multi-byte characters counted as bytes, and parses on its own. */
START_TEST(test_manifest_document_text)
{
	struct ml_manifest *m = parse_ok(three);
	struct ml_manifest *again;

	ck_assert_str_eq(m->docs[0].text, "apiVersion: v1\n"
					  "kind: ServiceAccount\n"
					  "metadata:\n"
					  "  name: sa\n"
					  "  namespace: kube-system\n");
	ck_assert(ml_startswith(m->docs[1].text, "---\napiVersion: apps/v1\n"));
	ck_assert(
		ml_endswith(m->docs[1].text, "image: \"caf\xc3\xa9:1\"}]}\n"));
	ck_assert_ptr_null(strstr(m->docs[1].text, "ClusterRole"));
	ck_assert(ml_startswith(m->docs[2].text, "---\n  apiVersion: rbac"));
	ck_assert(ml_endswith(m->docs[2].text, "  rules: []\n..."));
	for (size_t i = 0; i < m->n; i++) {
		again = parse_ok(m->docs[i].text);
		ck_assert_uint_eq(again->n, 1);
		ck_assert_str_eq(again->docs[0].kind, m->docs[i].kind);
		ck_assert_str_eq(again->docs[0].name, m->docs[i].name);
		ml_manifest_free(again);
	}
	ml_manifest_free(m);
}
END_TEST

/* metadata.labels as written: the object's own, not its pod template's,
 * scalar values only. */
START_TEST(test_manifest_labels)
{
	static const char text[] =
		"apiVersion: apps/v1\n"
		"kind: Deployment\n"
		"metadata:\n"
		"  name: web\n"
		"  labels:\n"
		"    a: \"1\"\n"
		"    nested: {x: y}\n"
		"    b: two\n"
		"spec:\n"
		"  template:\n"
		"    metadata: {labels: {c: three}}\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: ConfigMap\n"
		"metadata: {name: c, labels: {minilaunch.io/addon: x}}\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: ConfigMap\n"
		"metadata: {name: d}\n";
	struct ml_manifest *m = parse_ok(text);

	ck_assert_uint_eq(m->n, 3);
	ck_assert_str_eq(ml_manifest_doc_label(&m->docs[0], "a"), "1");
	ck_assert_str_eq(ml_manifest_doc_label(&m->docs[0], "b"), "two");
	ck_assert_ptr_null(ml_manifest_doc_label(&m->docs[0], "nested"));
	ck_assert_ptr_null(ml_manifest_doc_label(&m->docs[0], "c"));
	ck_assert_str_eq(ml_manifest_doc_label(&m->docs[1],
					       "minilaunch.io/addon"),
			 "x");
	ck_assert_ptr_null(ml_manifest_doc_label(&m->docs[2], "a"));
	ml_manifest_free(m);
}
END_TEST

START_TEST(test_manifest_empty)
{
	const char *const empties[] = { "", "# nothing\n", "---\n",
					"---\n---\n...\n", "\n\n" };

	for (size_t i = 0; i < ML_ARRAY_SIZE(empties); i++) {
		struct ml_manifest *m = parse_ok(empties[i]);

		ck_assert_uint_eq(m->n, 0);
		ml_manifest_free(m);
	}
}
END_TEST

START_TEST(test_manifest_paths)
{
	struct ml_manifest *m = parse_ok(three);
	struct ml_manifest_doc *d;
	char *p;

	p = ml_manifest_path(&m->docs[0], true);
	ck_assert_str_eq(p,
			 "/api/v1/namespaces/kube-system/serviceaccounts/sa");
	free(p);
	p = ml_manifest_path(&m->docs[0], false);
	ck_assert_str_eq(p, "/api/v1/namespaces/kube-system/serviceaccounts");
	free(p);
	/* no namespace: "default", as kubectl does */
	p = ml_manifest_path(&m->docs[1], true);
	ck_assert_str_eq(p, "/apis/apps/v1/namespaces/default/deployments/web");
	free(p);
	p = ml_manifest_path(&m->docs[2], true);
	ck_assert_str_eq(
		p,
		"/apis/rbac.authorization.k8s.io/v1/clusterroles/minilaunch:r");
	free(p);
	p = ml_manifest_path(&m->docs[2], false);
	ck_assert_str_eq(p, "/apis/rbac.authorization.k8s.io/v1/clusterroles");
	free(p);
	/* a namespace on a cluster-scoped object is not part of its path */
	d = &m->docs[2];
	d->namespace = ml_xstrdup("ignored");
	p = ml_manifest_path(d, true);
	ck_assert_str_eq(
		p,
		"/apis/rbac.authorization.k8s.io/v1/clusterroles/minilaunch:r");
	free(p);
	ml_manifest_free(m);
}
END_TEST

START_TEST(test_manifest_resource_table)
{
	static const struct {
		const char *api_version, *kind, *plural;
		bool namespaced;
	} want[] = {
		{ "v1", "ServiceAccount", "serviceaccounts", true },
		{ "v1", "ConfigMap", "configmaps", true },
		{ "v1", "Service", "services", true },
		{ "v1", "Namespace", "namespaces", false },
		{ "rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles",
		  false },
		{ "rbac.authorization.k8s.io/v1", "ClusterRoleBinding",
		  "clusterrolebindings", false },
		{ "rbac.authorization.k8s.io/v1", "Role", "roles", true },
		{ "rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings",
		  true },
		{ "apps/v1", "Deployment", "deployments", true },
		{ "apps/v1", "DaemonSet", "daemonsets", true },
		{ "storage.k8s.io/v1", "StorageClass", "storageclasses",
		  false },
		{ "scheduling.k8s.io/v1", "PriorityClass", "priorityclasses",
		  false },
	};
	const char *plural;
	bool ns;

	for (size_t i = 0; i < ML_ARRAY_SIZE(want); i++) {
		ck_assert_msg(ml_manifest_resource(want[i].api_version,
						   want[i].kind, &plural,
						   &ns) == 0,
			      "%s %s", want[i].api_version, want[i].kind);
		ck_assert_str_eq(plural, want[i].plural);
		ck_assert_int_eq(ns, want[i].namespaced);
	}
	/* the group must match too */
	ck_assert_int_eq(ml_manifest_resource("v1", "Deployment", NULL, NULL),
			 -ENOENT);
	ck_assert_int_eq(ml_manifest_resource("extensions/v1beta1",
					      "Deployment", NULL, NULL),
			 -ENOENT);
	ck_assert_int_eq(ml_manifest_resource("apps/v1", "Service", NULL, NULL),
			 -ENOENT);
	ck_assert_int_eq(ml_manifest_resource("v1", "Frobnicator", NULL, NULL),
			 -ENOENT);
}
END_TEST

START_TEST(test_manifest_errors_name_file_and_line)
{
	parse_fails(
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"
		"apiVersion: example.com/v1\nkind: Frob\nmetadata: {name: b}\n",
		"test.yaml:5: unknown kind 'Frob' (apiVersion 'example.com/v1')");
	parse_fails("apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: x}\n",
		    "test.yaml:1: the object lacks metadata.name");
	parse_fails("---\nkind: ConfigMap\nmetadata: {name: a}\n",
		    "test.yaml:2: the object lacks apiVersion");
	parse_fails("apiVersion: v1\nmetadata: {name: a}\n",
		    "test.yaml:1: the object lacks kind");
	parse_fails("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"\"}\n",
		    "lacks metadata.name");
	parse_fails("apiVersion: v1\nkind: ConfigMap\nmetadata: a\n",
		    "lacks metadata.name");
	parse_fails("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n- a\n- b\n",
		    "test.yaml:5: a document is not a mapping");
	parse_fails("apiVersion: v1\nkind: [ConfigMap\n", "test.yaml:");
	parse_fails("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"
		    "a: b\n  c: d\n",
		    "test.yaml:6: invalid YAML");
}
END_TEST

/* The cluster DNS manifest of the node image parses, every object is known
 * and carries the labels `start --dns=false` deletes by. */
START_TEST(test_manifest_cluster_dns)
{
	const char *top = getenv("ML_TOP_SRCDIR");
	ml_autofree char *path = NULL, *text = NULL;
	struct ml_manifest *m;
	static const char *const kinds[] = { "ServiceAccount", "ClusterRole",
					     "ClusterRoleBinding", "Deployment",
					     "Service" };

#ifdef ML_SRCDIR
	if (!top)
		top = ML_SRCDIR;
#endif
	path = ml_xasprintf("%s/iso/manifests/dns.yaml", top ? top : ".");
	ck_assert_msg(ml_read_file(path, &text, NULL) == 0, "%s", ml_err_msg());
	m = parse_ok(text);
	ck_assert_uint_eq(m->n, ML_ARRAY_SIZE(kinds));
	for (size_t i = 0; i < m->n; i++) {
		ck_assert_str_eq(m->docs[i].kind, kinds[i]);
		ck_assert_msg(
			strstr(m->docs[i].text,
			       "app.kubernetes.io/managed-by: minilaunch") &&
				strstr(m->docs[i].text,
				       "app.kubernetes.io/part-of: cluster-dns"),
			"%s %s lacks the labels", m->docs[i].kind,
			m->docs[i].name);
		if (m->docs[i].namespaced)
			ck_assert_str_eq(m->docs[i].namespace, "kube-system");
	}
	ck_assert_str_eq(m->docs[4].name, "kube-dns");
	ck_assert_ptr_nonnull(strstr(m->docs[4].text, "clusterIP: 10.96.0.10"));
	ck_assert_ptr_nonnull(strstr(m->docs[3].text, "k8s-app: kube-dns"));
	ck_assert_ptr_nonnull(strstr(m->docs[3].text, "image: \"@IMAGE@\""));
	ml_manifest_free(m);
}
END_TEST

static Suite *
manifest_suite(void)
{
	Suite *s = suite_create("manifest");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_manifest_splits_documents);
	tcase_add_test(tc, test_manifest_document_text);
	tcase_add_test(tc, test_manifest_empty);
	tcase_add_test(tc, test_manifest_labels);
	tcase_add_test(tc, test_manifest_paths);
	tcase_add_test(tc, test_manifest_resource_table);
	tcase_add_test(tc, test_manifest_errors_name_file_and_line);
	tcase_add_test(tc, test_manifest_cluster_dns);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ml_check_run(manifest_suite());
}
