/*
 * kube/k8s_stream.h: incremental parsers for the API server's streams, private
 * to k8s.c and its tests.
 *
 * A watch answers with one JSON object per line, a followed log with lines
 * of text; either arrives in chunks split anywhere, even inside a UTF-8
 * sequence or a JSON string. ml_k8s_stream_feed() takes each chunk as it
 * comes and calls fn once per complete object or line.
 */
#ifndef ML_K8S_STREAM_H
#define ML_K8S_STREAM_H

#include "base/util.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* Objects nest deeper than json-c's default of 32 (managedFields). */
#define ML_K8S_JSON_DEPTH 256

/* Longest log line kept whole; longer ones are cut into pieces. */
#define ML_K8S_LOG_LINE_MAX (64 * 1024)

enum ml_k8s_stream_kind {
	ML_K8S_STREAM_JSON,
	ML_K8S_STREAM_LINES,
};

/*
 * For JSON, obj is the parsed object (borrowed: take a reference to keep
 * it) and text NULL; for lines, text is the line without its "\n" (or
 * "\r\n") and obj NULL.
 */
typedef void (*ml_k8s_stream_fn)(struct json_object *obj, const char *text,
				 void *ud);

struct ml_k8s_stream {
	enum ml_k8s_stream_kind kind;
	struct json_tokener *tok; /* JSON */
	bool in_object;		  /* JSON: an object is under way */
	struct ml_buf line;	  /* lines: the partial line so far */
};

void ml_k8s_stream_init(struct ml_k8s_stream *s, enum ml_k8s_stream_kind kind);
void ml_k8s_stream_release(struct ml_k8s_stream *s);
/* Forgets a partial object or line (before a stream restarts). */
void ml_k8s_stream_reset(struct ml_k8s_stream *s);

/*
 * Feeds one chunk. Returns the number of objects or lines delivered, or
 * -EBADMSG (message set, naming the JSON error) when the stream is not
 * JSON; the stream must then be reset.
 */
int ml_k8s_stream_feed(struct ml_k8s_stream *s, const char *data, size_t len,
		       ml_k8s_stream_fn fn, void *ud);

/*
 * At the end of the stream: delivers a last unterminated line (lines) and
 * returns 1, or 0 when nothing was pending; -EBADMSG when a JSON object was
 * cut short.
 */
int ml_k8s_stream_finish(struct ml_k8s_stream *s, ml_k8s_stream_fn fn,
			 void *ud);

#endif
