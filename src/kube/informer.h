/*
 * kube/informer.h: resources listed and watched into memory, as
 * client-go's informers, for the programs that run in the node
 * (ml-dns, ml-storage-provisioner).
 *
 * An informer owns a few stores, each the objects of one list-and-watch
 * path keyed by ml_k8s_object_key(). It starts each store's watch
 * (ml_k8s_watch: a list, then events), and one that cannot start is tried
 * again after a backoff that doubles from retry_min_ms to retry_max_ms;
 * the first failure is logged as a warning and the recovery once, so a
 * node whose API server comes up late logs two lines. A watch that breaks
 * relists by itself (k8s.h); the store keeps what it held meanwhile and
 * says so once.
 *
 * The caller runs the client's loop (ml_k8s_poll) and calls
 * ml_informer_start() after each turn; every change of a store calls
 * changed(). Nothing here blocks beyond ml_k8s_watch's first list.
 */
#ifndef ML_KUBE_INFORMER_H
#define ML_KUBE_INFORMER_H

#include "kube/k8s.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

enum ml_store_change {
	ML_STORE_RELISTED, /* every object replaced (key NULL) */
	ML_STORE_SET,	   /* key added or modified */
	ML_STORE_DELETED,  /* key removed */
};

struct ml_informer;

/* One list-and-watch path. The caller fills what and path; the informer
 * fills the rest. index: key -> object, never NULL once added. */
struct ml_store {
	const char *what; /* "services", in messages */
	const char *path; /* "/api/v1/services" */
	struct json_object *index;
	bool listed; /* a whole list has arrived */
	bool lost;   /* the watch is broken (said once) */
	struct ml_k8s_watch *watch;
	struct ml_informer *inf;
};

/* Called after each change of a store, from inside ml_k8s_poll(). */
typedef void (*ml_store_fn)(struct ml_store *s, enum ml_store_change change,
			    const char *key, void *ud);

struct ml_informer {
	struct ml_k8s *k8s; /* borrowed */
	struct ml_store **stores;
	size_t n;
	ml_store_fn changed;
	void *ud;
	int retry_min_ms, retry_max_ms;
	/* private */
	int backoff;
	int64_t retry_at;
	bool warned;
};

/*
 * Sets up inf over the n stores (each with what and path set; their index
 * made empty). The arrays stay the caller's and must outlive inf.
 */
void ml_informer_init(struct ml_informer *inf, struct ml_k8s *k8s,
		      struct ml_store **stores, size_t n, ml_store_fn changed,
		      void *ud, int retry_min_ms, int retry_max_ms);

/* Starts the watches not running yet, unless their retry time has not
 * come. Failures are logged (see above), not returned. */
void ml_informer_start(struct ml_informer *inf);

/* When ml_informer_start() has work to do: INT64_MAX when every watch
 * runs, else the ml_now_ms() time of the next try. */
int64_t ml_informer_next_try(const struct ml_informer *inf);

/* Every store has had a whole list. */
bool ml_informer_synced(const struct ml_informer *inf);

/* Stops the watches and frees the indexes (the stores stay the caller's). */
void ml_informer_release(struct ml_informer *inf);

/*
 * "NAMESPACE/NAME", or "NAME" for an object without a namespace: caller
 * frees; NULL when obj has no string metadata.name.
 */
char *ml_k8s_object_key(struct json_object *obj);

/* The items of a list (json-c object) by their keys: a new object, never
 * NULL; items without a key are left out. */
struct json_object *ml_k8s_index_from_list(struct json_object *list);

#endif
