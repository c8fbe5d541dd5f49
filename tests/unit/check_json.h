/* check_json.h: JSON written in tests with ' for ", parsed. */
#ifndef ML_CHECK_JSON_H
#define ML_CHECK_JSON_H

#include "base/util.h"

#include <check.h>
#include <json-c/json.h>

/* The JSON of text, ' read as "; the test fails when it does not parse.
 * Caller puts. */
static inline struct json_object *
ml_check_json(const char *text)
{
	ml_autofree char *s = ml_xstrdup(text);
	struct json_object *o;

	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	o = json_tokener_parse(s);
	ck_assert_msg(o != NULL, "bad JSON in test: %s", text);
	return o;
}

#endif
