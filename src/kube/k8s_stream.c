/*
 * kube/k8s_stream.c: incremental parsing of watch and log streams.
 */
#include "config.h"

#include "kube/k8s_stream.h"

#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
ml_k8s_stream_init(struct ml_k8s_stream *s, enum ml_k8s_stream_kind kind)
{
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	if (kind == ML_K8S_STREAM_JSON) {
		s->tok = json_tokener_new_ex(ML_K8S_JSON_DEPTH);
		if (!s->tok)
			ml_oom();
	}
}

void
ml_k8s_stream_release(struct ml_k8s_stream *s)
{
	if (s->tok)
		json_tokener_free(s->tok);
	ml_buf_release(&s->line);
	memset(s, 0, sizeof(*s));
}

void
ml_k8s_stream_reset(struct ml_k8s_stream *s)
{
	if (s->tok)
		json_tokener_reset(s->tok);
	s->in_object = false;
	ml_buf_clear(&s->line);
}

static int
feed_json(struct ml_k8s_stream *s, const char *data, size_t len,
	  ml_k8s_stream_fn fn, void *ud)
{
	int n = 0;

	while (len > 0) {
		struct json_object *obj;
		enum json_tokener_error jerr;
		size_t used;

		/*
		 * Whitespace between objects is skipped here (while no
		 * object is under way), so that the tokener only
		 * ever starts on an object and a chunk of bare newlines
		 * leaves it idle.
		 */
		if (!s->in_object) {
			while (len > 0 && strchr(" \t\r\n", *data)) {
				data++;
				len--;
			}
			if (len == 0)
				break;
		}
		s->in_object = true;
		obj = json_tokener_parse_ex(s->tok, data, (int)len);
		jerr = json_tokener_get_error(s->tok);
		if (jerr == json_tokener_continue)
			break;
		if (jerr != json_tokener_success) {
			return ml_err(-EBADMSG, "malformed watch stream: %s",
				      json_tokener_error_desc(jerr));
		}
		used = json_tokener_get_parse_end(s->tok);
		json_tokener_reset(s->tok);
		s->in_object = false;
		if (used > len)
			used = len;
		data += used;
		len -= used;
		if (!json_object_is_type(obj, json_type_object)) {
			json_object_put(obj);
			return ml_err(
				-EBADMSG,
				"malformed watch stream: a value that is not an object");
		}
		fn(obj, NULL, ud);
		json_object_put(obj);
		n++;
	}
	return n;
}

static void
line_emit(struct ml_k8s_stream *s, ml_k8s_stream_fn fn, void *ud)
{
	struct ml_buf *b = &s->line;

	ml_buf_add(b, "", 0);
	if (b->len > 0 && b->p[b->len - 1] == '\r')
		b->p[--b->len] = '\0';
	fn(NULL, b->p, ud);
	ml_buf_clear(b);
}

static int
feed_lines(struct ml_k8s_stream *s, const char *data, size_t len,
	   ml_k8s_stream_fn fn, void *ud)
{
	int n = 0;

	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) : len;

		if (s->line.len + take > ML_K8S_LOG_LINE_MAX) {
			take = ML_K8S_LOG_LINE_MAX - s->line.len;
			ml_buf_add(&s->line, data, take);
			line_emit(s, fn, ud);
			n++;
			data += take;
			len -= take;
			continue;
		}
		ml_buf_add(&s->line, data, take);
		if (!nl)
			break;
		line_emit(s, fn, ud);
		n++;
		data += take + 1;
		len -= take + 1;
	}
	return n;
}

int
ml_k8s_stream_feed(struct ml_k8s_stream *s, const char *data, size_t len,
		   ml_k8s_stream_fn fn, void *ud)
{
	if (s->kind == ML_K8S_STREAM_JSON)
		return feed_json(s, data, len, fn, ud);
	return feed_lines(s, data, len, fn, ud);
}

int
ml_k8s_stream_finish(struct ml_k8s_stream *s, ml_k8s_stream_fn fn, void *ud)
{
	if (s->kind == ML_K8S_STREAM_JSON) {
		if (!s->in_object)
			return 0;
		ml_k8s_stream_reset(s);
		return ml_err(-EBADMSG, "watch stream ended inside an object");
	}
	if (s->line.len == 0)
		return 0;
	line_emit(s, fn, ud);
	return 1;
}
