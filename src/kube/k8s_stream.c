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
	free(s->line);
	memset(s, 0, sizeof(*s));
}

void
ml_k8s_stream_reset(struct ml_k8s_stream *s)
{
	if (s->tok)
		json_tokener_reset(s->tok);
	s->len = 0;
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
		 * Whitespace between objects is skipped here (s->len is 1
		 * while an object is under way), so that the tokener only
		 * ever starts on an object and a chunk of bare newlines
		 * leaves it idle.
		 */
		if (s->len == 0) {
			while (len > 0 && strchr(" \t\r\n", *data)) {
				data++;
				len--;
			}
			if (len == 0)
				break;
		}
		s->len = 1; /* an object is under way */
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
		s->len = 0;
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
line_append(struct ml_k8s_stream *s, const char *p, size_t n)
{
	if (s->len + n + 1 > s->cap) {
		s->cap = (s->len + n + 1) * 2;
		s->line = ml_xrealloc(s->line, s->cap);
	}
	memcpy(s->line + s->len, p, n);
	s->len += n;
	s->line[s->len] = '\0';
}

static void
line_emit(struct ml_k8s_stream *s, ml_k8s_stream_fn fn, void *ud)
{
	line_append(s, "", 0);
	if (s->len > 0 && s->line[s->len - 1] == '\r')
		s->line[--s->len] = '\0';
	fn(NULL, s->line, ud);
	s->len = 0;
}

static int
feed_lines(struct ml_k8s_stream *s, const char *data, size_t len,
	   ml_k8s_stream_fn fn, void *ud)
{
	int n = 0;

	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) : len;

		if (s->len + take > ML_K8S_LOG_LINE_MAX) {
			take = ML_K8S_LOG_LINE_MAX - s->len;
			line_append(s, data, take);
			line_emit(s, fn, ud);
			n++;
			data += take;
			len -= take;
			continue;
		}
		line_append(s, data, take);
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
		if (s->len == 0)
			return 0;
		ml_k8s_stream_reset(s);
		return ml_err(-EBADMSG, "watch stream ended inside an object");
	}
	if (s->len == 0)
		return 0;
	line_emit(s, fn, ud);
	return 1;
}
