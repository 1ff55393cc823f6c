/*
 * test_flyteworkflow.h: what the FlyteWorkflow tests (test_k8s_resource.c, test_operator_read.c) share to compare
 * resources with the ones Flyte's own code built: Flyte's default inputs for a workflow's interface, and a
 * normalisation of the JSON (Go's identifier text with its randomised spacing). Include after jansson and
 * <string.h>.
 */
#ifndef TEST_FLYTEWORKFLOW_H
#define TEST_FLYTEWORKFLOW_H

/*
 * Flyte's makeDefaultInputs / MakeDefaultLiteralForType (flyteidl/clients/go/coreutils), as proto3 JSON of a
 * Literal for a LiteralType's JSON, for every kind of type, so that more workflows can be compared the same way.
 */
static json_t *default_literal(const json_t *type)
{
	const char *simple = json_string_value(json_object_get(type, "simple"));
	json_t *j;

	if (json_object_get(type, "structuredDatasetType"))
		return json_pack("{s:{s:{s:{s:O}}}}", "scalar", "structuredDataset", "metadata", "structuredDatasetType",
				 json_object_get(type, "structuredDatasetType"));
	if (json_object_get(type, "blob"))
		return json_pack("{s:{s:{s:{s:O}, s:s}}}", "scalar", "blob", "metadata", "type",
				 json_object_get(type, "blob"), "uri", "/tmp/somepath");
	if (json_object_get(type, "collectionType")) {
		j = default_literal(json_object_get(type, "collectionType"));
		return j ? json_pack("{s:{s:[o]}}", "collection", "literals", j) : NULL;
	}
	if (json_object_get(type, "mapValueType")) {
		j = default_literal(json_object_get(type, "mapValueType"));
		return j ? json_pack("{s:{s:{s:o}}}", "map", "literals", "itemKey", j) : NULL;
	}
	if (json_object_get(type, "enumType")) { /* the first value */
		json_t *first = json_array_get(json_object_get(json_object_get(type, "enumType"), "values"), 0);

		return first ? json_pack("{s:{s:{s:O}}}", "scalar", "primitive", "stringValue", first) : NULL;
	}
	if (json_object_get(type, "schema")) { /* Go's "%v" of a nil path */
		json_t *cols = json_object_get(json_object_get(type, "schema"), "columns");

		return cols ? json_pack("{s:{s:{s:s, s:{s:O}}}}", "scalar", "schema", "uri", "<nil>", "type", "columns", cols)
			    : json_pack("{s:{s:{s:s, s:{}}}}", "scalar", "schema", "uri", "<nil>", "type");
	}
	if (json_object_get(type, "unionType")) { /* the first variant */
		json_t *first = json_array_get(json_object_get(json_object_get(type, "unionType"), "variants"), 0);

		j = first ? default_literal(first) : NULL;
		return j ? json_pack("{s:{s:{s:o, s:O}}}", "scalar", "union", "value", j, "type", first) : NULL;
	}
	if (!simple)
		simple = "NONE"; /* the enum's zero value is omitted in JSON */
	if (!strcmp(simple, "INTEGER"))
		return json_pack("{s:{s:{s:s}}}", "scalar", "primitive", "integer", "0");
	if (!strcmp(simple, "FLOAT"))
		return json_pack("{s:{s:{s:i}}}", "scalar", "primitive", "floatValue", 0);
	if (!strcmp(simple, "STRING"))
		return json_pack("{s:{s:{s:s}}}", "scalar", "primitive", "stringValue", "");
	if (!strcmp(simple, "BOOLEAN"))
		return json_pack("{s:{s:{s:b}}}", "scalar", "primitive", "boolean", 0);
	if (!strcmp(simple, "DATETIME")) /* the harness's time.UnixMicro(10) */
		return json_pack("{s:{s:{s:s}}}", "scalar", "primitive", "datetime", "1970-01-01T00:00:00.000010Z");
	if (!strcmp(simple, "DURATION"))
		return json_pack("{s:{s:{s:s}}}", "scalar", "primitive", "duration", "1s");
	if (!strcmp(simple, "STRUCT"))
		return json_pack("{s:{s:{}}}", "scalar", "generic");
	if (!strcmp(simple, "NONE"))
		return json_pack("{s:{s:{}}}", "scalar", "noneType");
	if (!strcmp(simple, "BINARY"))
		return json_pack("{s:{s:{s:s}}}", "scalar", "binary", "tag", "msgpack");
	if (!strcmp(simple, "ERROR"))
		return json_pack("{s:{s:{s:s}}}", "scalar", "error", "message", "Default Error message");
	return NULL;
}

static Flyteidl__Core__LiteralMap *default_inputs(struct fc_arena *a, const Flyteidl__Core__WorkflowTemplate *t)
{
	json_t *iface = NULL, *map = json_object(), *lits = json_object(), *v;
	ProtobufCMessage *msg = NULL;
	const char *key;
	struct fc_err err;

	json_object_set_new(map, "literals", lits);
	if (t->interface && t->interface->inputs) {
		assert_int_equal(fc_pbjson_encode(&t->interface->inputs->base, 0, &iface, &err), FC_OK);
		json_object_foreach(json_object_get(iface, "variables"), key, v) {
			json_t *lit = default_literal(json_object_get(v, "type"));

			if (!lit)
				fail_msg("no default literal for input %s", key);
			json_object_set_new(lits, key, lit);
		}
	}
	if (fc_pbjson_decode(map, &flyteidl__core__literal_map__descriptor, fc_arena_pb_allocator(a), 0, &msg, &err))
		fail_msg("default inputs: %s", err.msg);
	json_decref(iface);
	json_decref(map);
	return (Flyteidl__Core__LiteralMap *)msg;
}

/* --- normalisation and reporting ----------------------------------------------------------------------------- */

static char *collapse_ws(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;
	bool space = false;

	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n') {
			if (!space)
				*o++ = ' ';
			space = true;
		} else {
			*o++ = *s;
			space = false;
		}
	}
	*o = '\0';
	return out;
}

/* A copy with identifier texts' white space collapsed: object keys, and "task"/"subWorkflowRef" values. */
static json_t *normalise(json_t *j)
{
	if (json_is_object(j)) {
		json_t *res = json_object(), *v;
		const char *key;

		json_object_foreach(j, key, v) {
			char *k = collapse_ws(key);

			if ((!strcmp(key, "task") || !strcmp(key, "subWorkflowRef")) && json_is_string(v)) {
				char *s = collapse_ws(json_string_value(v));

				json_object_set_new(res, k, json_string(s));
				free(s);
			} else {
				json_object_set_new(res, k, normalise(v));
			}
			free(k);
		}
		return res;
	}
	if (json_is_array(j)) {
		json_t *res = json_array(), *v;
		size_t i;

		json_array_foreach(j, i, v)
			json_array_append_new(res, normalise(v));
		return res;
	}
	return json_incref(j);
}

#endif
