/*
 * tui/yaml.h: YAML text of a JSON object, as `kubectl get -o yaml` prints
 * it (block style, two-space indent, sequences at their key's indent,
 * strings quoted only when plain YAML would read them as something else).
 */
#ifndef ML_TUI_YAML_H
#define ML_TUI_YAML_H

#include <json-c/json.h>
#include <stdbool.h>

/* The YAML document for obj, ending with a newline. Caller frees. */
char *ml_tui_yaml_from_json(struct json_object *obj);

/* True when s must be quoted to stay a string in YAML. */
bool ml_tui_yaml_needs_quotes(const char *s);

#endif
