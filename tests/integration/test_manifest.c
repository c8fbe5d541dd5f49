/*
 * test_manifest.c: multi-document manifests applied to a real control
 * plane (tests/fixtures/control-plane, started once in main()) through
 * src/manifest.c and src/cluster_dns.c, and read back with kubectl. The
 * fixture has no kubelet: pods stay Pending, which is what the cluster
 * DNS wait is tested against.
 */
#include "config.h"

#include "kube/cluster_dns.h"
#include "kube/k8s.h"
#include "kube/manifest.h"
#include "base/util.h"
#include "fixture.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct ml_k8s *
client(void)
{
	return fixture_client("fixture");
}

/* kubectl ARGS against the fixture: its stdout (caller frees), its exit
 * status in *ret_status. */
static char *kubectl(int *ret_status, const char *fmt, ...) ML_PRINTF(2, 3);
static char *
kubectl(int *ret_status, const char *fmt, ...)
{
	ml_autofree char *args = NULL, *cmd = NULL;
	char buf[4096];
	size_t n = 0, got;
	char *out = ml_xstrdup("");
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	args = ml_xvasprintf(fmt, ap);
	va_end(ap);
	cmd = ml_xasprintf("kubectl --kubeconfig '%s' %s 2>/dev/null",
			   fixture_kubeconfig, args);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while ((got = fread(buf, 1, sizeof(buf), p)) > 0) {
		out = ml_xrealloc(out, n + got + 1);
		memcpy(out + n, buf, got);
		n += got;
		out[n] = '\0';
	}
	*ret_status = pclose(p);
	return out;
}

/* kubectl's output, which must succeed. */
static char *
kubectl_ok(const char *args)
{
	int st;
	char *out = kubectl(&st, "%s", args);

	ck_assert_msg(st == 0, "kubectl %s failed (%d): %s", args, st, out);
	return out;
}

/* kubectl's output, which must succeed, must be want. */
static void
assert_kubectl(const char *args, const char *want)
{
	ml_autofree char *out = kubectl_ok(args);

	ck_assert_str_eq(out, want);
}

/* kubectl get must say NotFound (exit 1 with nothing on stdout). */
static void
kubectl_gone(const char *what)
{
	int st;
	ml_autofree char *out = kubectl(&st, "get %s -o name", what);

	ck_assert_msg(st != 0 && !*out, "%s is still there: %s", what, out);
}

static const char app[] =
	"# an application as a user would write it\n"
	"apiVersion: v1\n"
	"kind: Namespace\n"
	"metadata: {name: mtest, labels: {t: other}} # not ours to delete\n"
	"---\n"
	"apiVersion: v1\n"
	"kind: ServiceAccount\n"
	"metadata:\n"
	"  name: web\n"
	"  namespace: mtest\n"
	"  labels: {app.kubernetes.io/managed-by: minilaunch, t: m}\n"
	"---\n"
	"apiVersion: v1\n"
	"kind: ConfigMap\n"
	"metadata:\n"
	"  name: web-config\n"
	"  namespace: mtest\n"
	"  labels: {app.kubernetes.io/managed-by: minilaunch, t: m}\n"
	"data:\n"
	"  greeting: \"h\xc3\xa9llo\"   # multi-byte, a comment after it\n"
	"  port: \"8080\"\n"
	"---\n"
	"apiVersion: rbac.authorization.k8s.io/v1\n"
	"kind: ClusterRole\n"
	"metadata: {name: \"mtest:reader\", labels: {app.kubernetes.io/managed-by: minilaunch, t: m}}\n"
	"rules: [{apiGroups: [\"\"], resources: [services], verbs: [list, watch]}]\n"
	"---\n"
	"apiVersion: rbac.authorization.k8s.io/v1\n"
	"kind: ClusterRoleBinding\n"
	"metadata: {name: \"mtest:reader\", labels: {app.kubernetes.io/managed-by: minilaunch, t: m}}\n"
	"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: \"mtest:reader\"}\n"
	"subjects: [{kind: ServiceAccount, name: web, namespace: mtest}]\n"
	"---\n"
	"apiVersion: apps/v1\n"
	"kind: Deployment\n"
	"metadata:\n"
	"  name: web\n"
	"  namespace: mtest\n"
	"  labels: {app.kubernetes.io/managed-by: minilaunch, t: m}\n"
	"spec:\n"
	"  replicas: 2\n"
	"  selector: {matchLabels: {app: web}}\n"
	"  template:\n"
	"    metadata: {labels: {app: web}}\n"
	"    spec:\n"
	"      serviceAccountName: web\n"
	"      containers: [{name: web, image: \"web:1\", imagePullPolicy: Never}]\n"
	"---\n"
	"apiVersion: v1\n"
	"kind: Service\n"
	"metadata:\n"
	"  name: web\n"
	"  namespace: mtest\n"
	"  labels: {app.kubernetes.io/managed-by: minilaunch, t: m}\n"
	"spec:\n"
	"  selector: {app: web}\n"
	"  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]\n"
	"---\n"
	"# a ConfigMap of someone else in the same namespace: never deleted\n"
	"apiVersion: v1\n"
	"kind: ConfigMap\n"
	"metadata: {name: not-ours, namespace: mtest}\n"
	"data: {a: b}\n";

START_TEST(test_manifest_apply_multi_document)
{
	struct ml_k8s *c = client();
	struct ml_manifest *m = NULL;
	int deleted = -1;

	ck_assert_int_eq(ml_manifest_parse("app.yaml", app, strlen(app), &m),
			 0);
	ck_assert_uint_eq(m->n, 8);
	ck_assert_msg(ml_manifest_apply(c, m) == 0, "%s", ml_err_msg());

	assert_kubectl(
		"-n mtest get configmap web-config -o 'jsonpath={.data.greeting}/{.data.port}'",
		"h\xc3\xa9llo/8080");
	assert_kubectl(
		"-n mtest get deployment web -o 'jsonpath={.spec.replicas}/{.spec.template.spec.serviceAccountName}'",
		"2/web");
	assert_kubectl(
		"-n mtest get service web -o 'jsonpath={.spec.ports[0].port}'",
		"80");
	assert_kubectl(
		"get clusterrolebinding mtest:reader -o 'jsonpath={.subjects[0].name}'",
		"web");
	assert_kubectl(
		"-n mtest get serviceaccount web -o 'jsonpath={.metadata.managedFields[0].manager}'",
		"minilaunch");

	/* applying again changes nothing and fails nothing; a change made by
	 * hand to a field of ours is put back */
	free(kubectl_ok("-n mtest scale deployment web --replicas=5"));
	ck_assert_msg(ml_manifest_apply(c, m) == 0, "%s", ml_err_msg());
	assert_kubectl("-n mtest get deployment web -o 'jsonpath={.spec.replicas}'",
		       "2");

	/* delete by label: what carries it, and nothing else */
	ck_assert_msg(ml_manifest_delete_by_label(
			      c, m,
			      "app.kubernetes.io/managed-by=minilaunch,t=m",
			      &deleted) == 0,
		      "%s", ml_err_msg());
	/* sa, cm, clusterrole, binding, deployment, service */
	ck_assert_int_eq(deleted, 6);
	kubectl_gone("clusterrole mtest:reader");
	kubectl_gone("clusterrolebinding mtest:reader");
	kubectl_gone("-n mtest configmap web-config");
	kubectl_gone("-n mtest service web");
	kubectl_gone("-n mtest serviceaccount web");
	free(kubectl_ok("-n mtest get configmap not-ours"));
	free(kubectl_ok("get namespace mtest"));
	/* deleting again finds nothing and is no error */
	ck_assert_msg(ml_manifest_delete_by_label(
			      c, m,
			      "app.kubernetes.io/managed-by=minilaunch,t=m",
			      &deleted) == 0,
		      "%s", ml_err_msg());
	ck_assert_int_eq(deleted, 0);
	ml_manifest_free(m);
	ml_k8s_free(c);
}
END_TEST

START_TEST(test_manifest_apply_error_names_object)
{
	static const char bad[] =
		"apiVersion: v1\n"
		"kind: Service\n"
		"metadata: {name: bad, namespace: default}\n"
		"spec: {clusterIP: 192.0.2.1, ports: [{port: 80, protocol: TCP}]}\n";
	struct ml_k8s *c = client();
	struct ml_manifest *m = NULL;
	int r;

	ck_assert_int_eq(ml_manifest_parse("bad.yaml", bad, strlen(bad), &m),
			 0);
	r = ml_manifest_apply(c, m);
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_ptr_nonnull(
		strstr(ml_err_msg(),
		       "/api/v1/namespaces/default/services/bad"));
	ml_manifest_free(m);
	ml_k8s_free(c);
}
END_TEST

/* The node image's DNS manifest on a cluster without a kubelet: applied,
 * read back, awaited in vain within the deadline, then turned off. */
START_TEST(test_cluster_dns_on_then_off)
{
	struct ml_k8s *c = client();
	ml_autofree char *path =
		ml_xasprintf("%s/iso/manifests/dns.yaml", fixture_srcdir);
	ml_autofree char *text = NULL;
	time_t t0;
	int r;

	ck_assert_msg(ml_read_file(path, &text, NULL) == 0, "%s", ml_err_msg());
	/* as iso/build substitutes it (sed s|@IMAGE@|...|g) */
	for (char *at; (at = strstr(text, "@IMAGE@"));) {
		char *sub;

		*at = '\0';
		sub = ml_xasprintf("%sminilaunch/dns:test%s", text,
				   at + strlen("@IMAGE@"));
		free(text);
		text = sub;
	}
	/* no wait: applied and back at once */
	r = ml_cluster_dns_apply(c, "dns.yaml", text,
				 &(struct ml_cluster_dns_opts){
					 .enabled = true,
					 .deadline = time(NULL) + 60 });
	ck_assert_msg(r == 0, "%s", ml_err_msg());
	assert_kubectl(
		"-n kube-system get service kube-dns -o 'jsonpath={.spec.clusterIP}/{.metadata.labels.k8s-app}/{.metadata.labels.kubernetes\\.io/name}'",
		"10.96.0.10/kube-dns/KubeDNS");
	assert_kubectl(
		"-n kube-system get deployment -l k8s-app=kube-dns -o 'jsonpath={.items[0].spec.template.spec.containers[0].image}'",
		"minilaunch/dns:test");
	assert_kubectl(
		"auth can-i watch endpoints --all-namespaces --as=system:serviceaccount:kube-system:ml-dns",
		"yes\n");

	/* with wait: no kubelet here, so the deadline ends it, naming the pod
	 */
	t0 = time(NULL);
	r = ml_cluster_dns_apply(c, "dns.yaml", text,
				 &(struct ml_cluster_dns_opts){
					 .enabled = true,
					 .wait = true,
					 .deadline = time(NULL) + 3 });
	ck_assert_int_eq(r, -ETIMEDOUT);
	ck_assert_msg(time(NULL) - t0 <= 15, "the wait took %lld s",
		      (long long)(time(NULL) - t0));
	ck_assert_msg(strstr(ml_err_msg(), "cluster DNS not available") &&
			      strstr(ml_err_msg(), "kube-system/ml-dns"),
		      "%s", ml_err_msg());

	/* deleted by hand, applied again: back */
	free(kubectl_ok("-n kube-system delete deployment ml-dns"));
	r = ml_cluster_dns_apply(c, "dns.yaml", text,
				 &(struct ml_cluster_dns_opts){
					 .enabled = true,
					 .deadline = time(NULL) + 60 });
	ck_assert_msg(r == 0, "%s", ml_err_msg());
	free(kubectl_ok("-n kube-system get deployment ml-dns"));

	/* off: every object of ours gone, the namespace's others kept */
	r = ml_cluster_dns_apply(c, "dns.yaml", text,
				 &(struct ml_cluster_dns_opts){
					 .enabled = false,
					 .wait = true,
					 .deadline = time(NULL) + 60 });
	ck_assert_msg(r == 0, "%s", ml_err_msg());
	kubectl_gone("-n kube-system deployment ml-dns");
	kubectl_gone("-n kube-system service kube-dns");
	kubectl_gone("-n kube-system serviceaccount ml-dns");
	kubectl_gone("clusterrole minilaunch:ml-dns");
	kubectl_gone("clusterrolebinding minilaunch:ml-dns");
	free(kubectl_ok("-n kube-system get serviceaccount default"));
	ml_k8s_free(c);
}
END_TEST

static Suite *
manifest_suite(void)
{
	Suite *s = suite_create("manifest_apply");
	TCase *tc = tcase_create("fixture");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_manifest_apply_multi_document);
	tcase_add_test(tc, test_manifest_apply_error_names_object);
	tcase_add_test(tc, test_cluster_dns_on_then_off);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return fixture_main("test_manifest", manifest_suite);
}
