/*
 * fuzz_k8s_json.c: the readers of the API server's JSON (src/kube/k8s.c,
 * cluster.c), the pod hints (src/kube/pod_hints.c) and the dashboard's
 * table (src/tui/table.c) that eats their output. The input is read as a
 * watch body (JSON and log lines), then split at each 0xff byte into the
 * pages of a list; the merged list, and each page, go through the Node,
 * Service, List and Pod readers and the table.
 */
#include "config.h"

#include "kube/cluster.h"
#include "kube/k8s.h"
#include "kube/pod_hints.h"
#include "tui/table.h"
#include "tui/yaml.h"
#include "fuzz.h"

static void
on_event(const struct ml_k8s_event *ev, void *ud)
{
	struct ml_tui_table *t = ud;

	if (ev->obj)
		ml_tui_table_apply(t, ev->obj, ev->type == ML_K8S_DELETED);
}

/* o as a Pod, and as a PodList */
static void
read_pods(struct json_object *o)
{
	struct ml_pod_problem *p = ml_pod_hint(o, "fuzz", true);
	struct ml_pod_problem **v = NULL;
	size_t n = 0;

	if (p) {
		free(ml_pod_problem_line(p));
		json_object_put(ml_pod_problem_json(p));
		ml_pod_problem_free(p);
	}
	if (ml_pod_hints_list(o, "fuzz", false, &v, &n) >= 0)
		ml_pod_problems_free(v, n);
}

static void
read_object(struct json_object *o)
{
	size_t n;
	int *ports = NULL;
	struct ml_tui_table *t = ml_tui_table_new(true);
	char *yaml;

	ml_cluster_read_items(o, &n);
	ml_cluster_read_node_ready("fuzz", o);
	if (ml_cluster_read_node_ports("fuzz", o, &ports, &n) >= 0)
		free(ports);
	ml_tui_table_replace(t, o);
	ml_tui_table_apply(t, o, false);
	ml_tui_table_refresh(t);
	ml_tui_table_apply(t, o, true);
	ml_tui_table_free(t);
	yaml = ml_tui_yaml_from_json(o);
	free(yaml);
	read_pods(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = ml_xmalloc(size + 1), *p;
	char *pages[16];
	size_t npages = 0;
	struct json_object *list = NULL;
	struct ml_tui_table *t = ml_tui_table_new(false);

	fuzz_quiet();
	memcpy(text, data, size);
	text[size] = '\0';
	ml_k8s_read_watch(text, size, false, on_event, t);
	ml_k8s_read_watch(text, size, true, NULL, NULL);
	ml_tui_table_free(t);

	/* NUL ends the text: pages end at 0xff or there */
	for (p = text; npages < 16;) {
		char *end = strchr(p, '\xff');

		pages[npages++] = p;
		if (!end)
			break;
		*end = '\0';
		p = end + 1;
	}
	for (size_t i = 0; i < npages; i++) {
		struct json_object *o = NULL;

		if (ml_k8s_read_list((const char *const *)&pages[i], 1, &o) >=
		    0) {
			read_object(o);
			json_object_put(o);
		}
	}
	if (ml_k8s_read_list((const char *const *)pages, npages, &list) >= 0) {
		read_object(list);
		json_object_put(list);
	}
	free(text);
	return 0;
}
