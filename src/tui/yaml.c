/*
 * tui/yaml.c: a small YAML emitter over json-c objects (see yaml.h). The
 * documents are API objects: maps, sequences and scalars only, so block
 * style with a quoting rule is all it takes.
 */
#include "config.h"

#include "tui/yaml.h"
#include "base/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool
looks_numeric(const char *s)
{
	char *end;

	if (strcasecmp(s, ".inf") == 0 || strcasecmp(s, "-.inf") == 0 ||
	    strcasecmp(s, "+.inf") == 0 || strcasecmp(s, ".nan") == 0)
		return true;
	if (!isdigit((unsigned char)*s) && *s != '-' && *s != '+' && *s != '.')
		return false;
	(void)strtod(s, &end);
	if (*end == '\0')
		return true;
	/* 0x1f, 0o17 */
	return s[0] == '0' && (s[1] == 'x' || s[1] == 'o');
}

bool
ml_tui_yaml_needs_quotes(const char *s)
{
	static const char *const words[] = { "true", "false", "yes",  "no",
					     "on",   "off",   "null", "~",
					     "y",    "n",     NULL };
	size_t len = strlen(s);

	if (len == 0)
		return true;
	for (size_t i = 0; words[i]; i++)
		if (strcasecmp(s, words[i]) == 0)
			return true;
	if (looks_numeric(s))
		return true;
	/* 2024-01-02 and 2024-01-02T03:04:05Z read as timestamps */
	if (len >= 10 && isdigit((unsigned char)s[0]) &&
	    isdigit((unsigned char)s[3]) && s[4] == '-' && s[7] == '-' &&
	    isdigit((unsigned char)s[9]))
		return true;
	if (strchr("-?:,[]{}#&*!|>'\"%@` \t", s[0]))
		return true;
	if (s[len - 1] == ' ' || s[len - 1] == ':')
		return true;
	if (strstr(s, ": ") || strstr(s, " #"))
		return true;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return true;
	return false;
}

static void
put_indent(FILE *f, int n)
{
	for (int i = 0; i < n; i++)
		fputc(' ', f);
}

static bool
has_control(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\n') || *s == 0x7f)
			return true;
	return false;
}

static void
put_double_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Whether s can be a literal block ("|" or "|-"): several lines, no
 * control characters, no leading blank, at most one trailing newline. */
static bool
block_ok(const char *s)
{
	size_t len = strlen(s);

	return strchr(s, '\n') && !has_control(s) && s[0] != ' ' &&
	       s[0] != '\n' &&
	       !(len >= 2 && s[len - 1] == '\n' && s[len - 2] == '\n');
}

/* A string scalar after "key:" or "-" (the separating space is ours),
 * ending its line. */
static void
put_string(FILE *f, const char *s, int indent)
{
	if (block_ok(s)) {
		size_t len = strlen(s);
		size_t body = s[len - 1] == '\n' ? len - 1 : len;
		const char *p = s, *end = s + body;

		fputs(body < len ? " |\n" : " |-\n", f);
		for (;;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

			if (n) {
				put_indent(f, indent + 2);
				fwrite(p, 1, n, f);
			}
			fputc('\n', f);
			if (!nl)
				break;
			p = nl + 1;
		}
		return;
	}
	fputc(' ', f);
	if (!ml_tui_yaml_needs_quotes(s)) {
		fputs(s, f);
	} else if (has_control(s) || strchr(s, '\n')) {
		put_double_quoted(f, s);
	} else {
		fputc('\'', f);
		for (; *s; s++) {
			if (*s == '\'')
				fputc('\'', f);
			fputc(*s, f);
		}
		fputc('\'', f);
	}
	fputc('\n', f);
}

static void
put_key(FILE *f, const char *k)
{
	if (ml_tui_yaml_needs_quotes(k)) {
		fputc('\'', f);
		for (; *k; k++) {
			if (*k == '\'')
				fputc('\'', f);
			fputc(*k, f);
		}
		fputc('\'', f);
	} else {
		fputs(k, f);
	}
	fputc(':', f);
}

static bool
is_empty_container(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_object:
		return json_object_object_length(v) == 0;
	case json_type_array:
		return json_object_array_length(v) == 0;
	default:
		return false;
	}
}

static void emit_value(FILE *f, struct json_object *v, int indent, bool in_seq);

/* A scalar or empty container on the current line, newline included. */
static void
emit_inline(FILE *f, struct json_object *v, int indent)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		fputs(" null\n", f);
		return;
	case json_type_object:
		fputs(" {}\n", f);
		return;
	case json_type_array:
		fputs(" []\n", f);
		return;
	case json_type_string:
		put_string(f, json_object_get_string(v), indent);
		return;
	default:
		fprintf(f, " %s\n",
			json_object_to_json_string_ext(v,
						       JSON_C_TO_STRING_PLAIN));
		return;
	}
}

static void
emit_map(FILE *f, struct json_object *o, int indent, bool first_inline)
{
	bool first = true;

	json_object_object_foreach(o, key, val)
	{
		if (!(first && first_inline))
			put_indent(f, indent);
		first = false;
		put_key(f, key);
		if (is_empty_container(val) ||
		    (json_object_get_type(val) != json_type_object &&
		     json_object_get_type(val) != json_type_array)) {
			emit_inline(f, val, indent);
			continue;
		}
		fputc('\n', f);
		if (json_object_get_type(val) == json_type_array)
			emit_value(f, val, indent, false);
		else
			emit_value(f, val, indent + 2, false);
	}
}

static void
emit_seq(FILE *f, struct json_object *a, int indent)
{
	size_t n = json_object_array_length(a);

	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(a, i);

		put_indent(f, indent);
		fputc('-', f);
		if (json_object_get_type(v) == json_type_object &&
		    !is_empty_container(v)) {
			fputc(' ', f);
			emit_map(f, v, indent + 2, true);
		} else if (json_object_get_type(v) == json_type_array &&
			   !is_empty_container(v)) {
			fputc('\n', f);
			emit_seq(f, v, indent + 2);
		} else {
			emit_inline(f, v, indent);
		}
	}
}

static void
emit_value(FILE *f, struct json_object *v, int indent, bool in_seq)
{
	if (json_object_get_type(v) == json_type_object &&
	    !is_empty_container(v))
		emit_map(f, v, indent, in_seq);
	else if (json_object_get_type(v) == json_type_array &&
		 !is_empty_container(v))
		emit_seq(f, v, indent);
	else
		emit_inline(f, v, indent);
}

char *
ml_tui_yaml_from_json(struct json_object *obj)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	if (json_object_get_type(obj) == json_type_object ||
	    json_object_get_type(obj) == json_type_array)
		emit_value(f, obj, 0, false);
	else {
		/* a bare scalar: drop the leading space of the inline form */
		char *tmp = NULL;
		size_t tlen = 0;
		FILE *g = open_memstream(&tmp, &tlen);

		emit_inline(g, obj, 0);
		fclose(g);
		fputs(tmp + 1, f);
		free(tmp);
	}
	if (fclose(f) != 0)
		abort();
	return buf;
}
