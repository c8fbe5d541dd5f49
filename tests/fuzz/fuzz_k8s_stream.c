/*
 * fuzz_k8s_stream.c: the watch-stream framer (src/kube/k8s_stream.c). The
 * first byte picks JSON or lines and the chunk size; the rest is the
 * stream, fed in chunks of that size (chunks split anywhere, as curl
 * delivers them), then finished. Checks that each JSON item is an object
 * and each line holds no newline.
 */
#include "config.h"

#include "kube/k8s_stream.h"
#include "fuzz.h"

static void
on_item(struct json_object *obj, const char *text, void *ud)
{
	size_t *n = ud;

	if (obj && !json_object_is_type(obj, json_type_object))
		abort();
	if (text && (strchr(text, '\n') || strlen(text) > ML_K8S_LOG_LINE_MAX))
		abort();
	(*n)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ml_k8s_stream s;
	size_t chunk, n = 0;
	int r = 0;

	if (size < 1)
		return 0;
	fuzz_quiet();
	ml_k8s_stream_init(&s, data[0] & 1 ? ML_K8S_STREAM_LINES
					   : ML_K8S_STREAM_JSON);
	chunk = (data[0] >> 1) + 1;
	data++;
	size--;
	for (size_t off = 0; off < size && r >= 0; off += chunk) {
		size_t len = size - off < chunk ? size - off : chunk;

		r = ml_k8s_stream_feed(&s, (const char *)data + off, len,
				       on_item, &n);
	}
	if (r >= 0)
		ml_k8s_stream_finish(&s, on_item, &n);
	ml_k8s_stream_release(&s);
	return 0;
}
