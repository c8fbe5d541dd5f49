/*
 * test_informer.c: kube/informer.h without a server: the keys and the
 * index of a list, and the retry policy when the API server cannot be
 * reached (a client on a closed loopback port). Events from a real API
 * server are tested through the programs that use the informer
 * (tests/integration/test_dns.sh, test_storage_provisioner.sh).
 */
#include "config.h"

#include "kube/informer.h"
#include "base/util.h"
#include "check_json.h"
#include "check_run.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

START_TEST(test_informer_keys_and_index)
{
	struct json_object *list = ml_check_json(
		"{'items':[{'metadata':{'name':'a','namespace':'web'}},"
		"{'metadata':{'name':'pvc-1'}},{'metadata':{}},"
		"{'metadata':{'name':7}},'text']}");
	struct json_object *idx = ml_k8s_index_from_list(list);
	struct json_object *bad = ml_check_json("{'items':{'a':1}}");
	ml_autofree char *key = NULL;

	ck_assert_int_eq(json_object_object_length(idx), 2);
	ck_assert(json_object_object_get_ex(idx, "web/a", NULL));
	ck_assert(json_object_object_get_ex(idx, "pvc-1", NULL));
	json_object_put(idx);
	key = ml_k8s_object_key(
		json_object_array_get_idx(ml_json_get(list, "items"), 0));
	ck_assert_str_eq(key, "web/a");
	ck_assert_ptr_null(ml_k8s_object_key(NULL));
	/* no list, or items not an array: an empty index */
	idx = ml_k8s_index_from_list(NULL);
	ck_assert_int_eq(json_object_object_length(idx), 0);
	json_object_put(idx);
	idx = ml_k8s_index_from_list(bad);
	ck_assert_int_eq(json_object_object_length(idx), 0);
	json_object_put(idx);
	json_object_put(bad);
	json_object_put(list);
}
END_TEST

static int changes;

static void
on_change(struct ml_store *s, enum ml_store_change change, const char *key,
	  void *ud)
{
	(void)s, (void)change, (void)key, (void)ud;
	changes++;
}

/* A client of a loopback port nothing listens on. */
static struct ml_k8s *
unreachable_client(void)
{
	struct ml_k8s *c = NULL;
	ml_autofree char *server = NULL;
	int port = 0;

	for (int p = 47000; p < 48000 && !port; p++)
		if (ml_tcp_port_free(p))
			port = p;
	ck_assert_int_ne(port, 0);
	server = ml_xasprintf("https://127.0.0.1:%d", port);
	ck_assert_int_eq(ml_k8s_new(&(struct ml_k8s_config){ .server = server,
							     .namespace =
								     "default" },
				    &c),
			 0);
	ml_k8s_set_timeout(c, 2000);
	return c;
}

START_TEST(test_informer_backoff)
{
	struct ml_store a = { .what = "services", .path = "/api/v1/services" };
	struct ml_store b = { .what = "endpoints",
			      .path = "/api/v1/endpoints" };
	struct ml_store *stores[] = { &a, &b };
	struct ml_k8s *c = unreachable_client();
	struct ml_informer inf;
	int64_t t0 = ml_now_ms(), first;

	ml_informer_init(&inf, c, stores, 2, on_change, NULL, 200, 700);
	ck_assert(!ml_informer_synced(&inf));
	ck_assert_int_eq(json_object_object_length(a.index), 0);
	ck_assert_int_eq(ml_informer_next_try(&inf), 0); /* now */
	ml_informer_start(&inf);
	ck_assert_ptr_null(a.watch);
	first = ml_informer_next_try(&inf);
	ck_assert_int_ge(first, t0 + 200);
	/* before its time, no try: the retry time stays */
	ml_informer_start(&inf);
	ck_assert_int_eq(ml_informer_next_try(&inf), first);
	/* the backoff doubles up to its bound: 200, 400, 700, 700 */
	for (int i = 0, want[] = { 400, 700, 700 }; i < 3; i++) {
		int64_t before, at;

		while (ml_now_ms() < ml_informer_next_try(&inf))
			usleep(20000);
		before = ml_now_ms();
		ml_informer_start(&inf);
		at = ml_informer_next_try(&inf);
		ck_assert_int_ge(at - before, want[i]);
		ck_assert_int_le(at - ml_now_ms(), want[i]);
	}
	ck_assert_int_eq(changes, 0);
	ml_informer_release(&inf);
	ck_assert_ptr_null(a.index);
	ml_k8s_free(c);
}
END_TEST

static Suite *
informer_suite(void)
{
	Suite *s = suite_create("informer");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_informer_keys_and_index);
	tcase_add_test(tc, test_informer_backoff);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ml_check_run(informer_suite());
}
