/*
 * flyteworkflow.c: the FlyteWorkflow custom resource, as Flyte's BuildFlyteWorkflow lays it out (see
 * flyteworkflow.h and docs/kubernetes.md, "The resource").
 *
 * The JSON is built directly with jansson. Go's json.Marshal decides the shape of Flyte's structs: Go field names
 * where a struct has no tags (executionConfig, the array node), snake_case for protobuf structs marshalled by
 * encoding/json (securityContext, rawOutputDataConfig, executionId, elseFail, outputAlias), and the proto3 JSON
 * mapping where Flyte's types call jsonpb (bindings, conditions, task templates, variable maps, inputs). Go maps
 * are written with sorted keys, as Go writes them.
 */
#include "compiler/flyteworkflow.h"
#include "core/buf.h"
#include "core/pbpack.h"
#include "core/duration.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/pbjson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flyteidl/core/workflow.pb-c.h"

#define START_NODE "start-node"
#define END_NODE "end-node"

struct fw_ctx {
	const Flyteidl__Core__CompiledWorkflowClosure *closure;
	struct fc_err *err;
	bool bad_text; /* sticky: a string was not UTF-8 (the message is in err) */
};

/* --- small helpers ------------------------------------------------------------------------------------------ */

static bool empty(const char *s)
{
	return !s || !*s;
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* `obj` with its keys in bytewise order (Go's order for maps). Takes `obj`, returns a new reference. */
static json_t *sorted(json_t *obj)
{
	const char **keys;
	const char *key;
	json_t *v, *res;
	size_t n = json_object_size(obj), i = 0;

	if (n < 2)
		return obj;
	keys = fc_xcalloc(n, sizeof(*keys));
	json_object_foreach(obj, key, v)
		keys[i++] = key;
	qsort(keys, n, sizeof(*keys), cmp_key);
	res = json_object();
	for (i = 0; i < n; i++)
		json_object_set(res, keys[i], json_object_get(obj, keys[i]));
	free(keys);
	json_decref(obj);
	return res;
}

static int pb(struct fw_ctx *c, const ProtobufCMessage *msg, json_t **out)
{
	return fc_pbjson_encode(msg, FC_PBJSON_SORT_MAPS, out, c->err);
}

/* A JSON string; text that is not UTF-8 becomes null and a sticky error, checked once at the end. */
static json_t *str(struct fw_ctx *c, const char *s)
{
	json_t *j = json_string(s ? s : "");

	if (j)
		return j;
	if (!c->bad_text)
		fc_err_set(c->err, FC_EINVAL, "text is not valid UTF-8: \"%.40s\"", s);
	c->bad_text = true;
	return json_null();
}

/* json_object_set_new() for keys that come from the input (ids, names): a key that is not UTF-8 is an error. */
static void set_key(struct fw_ctx *c, json_t *obj, const char *key, json_t *value)
{
	if (json_object_set_new(obj, key, value) == 0)
		return;
	if (!c->bad_text)
		fc_err_set(c->err, FC_EINVAL, "name is not valid UTF-8: \"%.40s\"", key);
	c->bad_text = true;
}

/* Go prototext string: quoted, with C escapes for quotes, backslashes and control bytes. */
static void text_string(struct fc_buf *out, const char *s)
{
	fc_buf_addch(out, '"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		switch (ch) {
		case '"': fc_buf_adds(out, "\\\""); break;
		case '\\': fc_buf_adds(out, "\\\\"); break;
		case '\n': fc_buf_adds(out, "\\n"); break;
		case '\r': fc_buf_adds(out, "\\r"); break;
		case '\t': fc_buf_adds(out, "\\t"); break;
		default:
			if (ch < 0x20 || ch == 0x7f)
				fc_buf_addf(out, "\\%03o", ch);
			else
				fc_buf_addch(out, ch);
		}
	}
	fc_buf_addch(out, '"');
}

void cmp_fw_identifier_text(const Flyteidl__Core__Identifier *id, struct fc_buf *out)
{
	const char *sep = "";
	const ProtobufCEnumValue *ev;
	const struct {
		const char *name;
		const char *value;
	} fields[] = {
		{"project", id ? id->project : NULL}, {"domain", id ? id->domain : NULL},
		{"name", id ? id->name : NULL},       {"version", id ? id->version : NULL},
		{"org", id ? id->org : NULL},
	};
	size_t i;

	if (!id)
		return;
	if (id->resource_type) {
		ev = protobuf_c_enum_descriptor_get_value(&flyteidl__core__resource_type__descriptor,
							  (int)id->resource_type);
		if (ev)
			fc_buf_addf(out, "resource_type:%s", ev->name);
		else
			fc_buf_addf(out, "resource_type:%d", (int)id->resource_type);
		sep = " ";
	}
	for (i = 0; i < FC_ARRAY_LEN(fields); i++) {
		if (empty(fields[i].value))
			continue;
		fc_buf_addf(out, "%s%s:", sep, fields[i].name);
		text_string(out, fields[i].value);
		sep = " ";
	}
}

static json_t *id_text(struct fw_ctx *c, const Flyteidl__Core__Identifier *id)
{
	struct fc_buf b = FC_BUF_INIT;
	json_t *j;

	cmp_fw_identifier_text(id, &b);
	j = str(c, b.buf);
	fc_buf_release(&b);
	return j;
}

void cmp_fw_sanitize_label(const char *value, struct fc_buf *out)
{
	size_t start = out->len, end;
	bool in_run = false;

	for (; *value; value++) {
		char ch = *value;

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-') {
			fc_buf_addch(out, ch);
			in_run = false;
		} else if (!in_run) {
			fc_buf_addch(out, '-');
			in_run = true;
		}
	}
	if (out->len - start > 63)
		fc_buf_truncate(out, start + 63);
	end = out->len;
	while (end > start && out->buf[end - 1] == '-')
		end--;
	fc_buf_truncate(out, end);
	{
		size_t lead = 0;

		while (start + lead < out->len && out->buf[start + lead] == '-')
			lead++;
		if (lead) {
			memmove(out->buf + start, out->buf + start + lead, out->len - start - lead);
			fc_buf_truncate(out, out->len - lead);
		}
	}
}

/* Go's time.Duration.String(): "1h0m0s", "1m30s", "1.5s", "250ms", "0s". */
static void go_duration(int64_t nanos, struct fc_buf *out)
{
	uint64_t u = nanos < 0 ? (uint64_t)0 - (uint64_t)nanos : (uint64_t)nanos;
	char frac[16];
	int digits;

	if (nanos < 0)
		fc_buf_addch(out, '-');
	if (u == 0) {
		fc_buf_adds(out, "0s");
		return;
	}
	if (u < 1000000000ull) {
		uint64_t unit = u < 1000ull ? 1 : u < 1000000ull ? 1000ull : 1000000ull;
		const char *name = unit == 1 ? "ns" : unit == 1000ull ? "\xc2\xb5s" : "ms";

		fc_buf_addf(out, "%llu", (unsigned long long)(u / unit));
		if (u % unit) {
			digits = unit == 1000ull ? 3 : 6;
			snprintf(frac, sizeof(frac), "%0*llu", digits, (unsigned long long)(u % unit));
			while (digits > 0 && frac[digits - 1] == '0')
				frac[--digits] = '\0';
			fc_buf_addf(out, ".%s", frac);
		}
		fc_buf_adds(out, name);
		return;
	}
	{
		uint64_t secs = u / 1000000000ull, rem = u % 1000000000ull;
		uint64_t h = secs / 3600, m = (secs / 60) % 60, s = secs % 60;

		if (h)
			fc_buf_addf(out, "%lluh", (unsigned long long)h);
		if (h || m)
			fc_buf_addf(out, "%llum", (unsigned long long)m);
		fc_buf_addf(out, "%llu", (unsigned long long)s);
		if (rem) {
			digits = 9;
			snprintf(frac, sizeof(frac), "%09llu", (unsigned long long)rem);
			while (digits > 0 && frac[digits - 1] == '0')
				frac[--digits] = '\0';
			fc_buf_addf(out, ".%s", frac);
		}
		fc_buf_addch(out, 's');
	}
}

/* --- interfaces without type metadata (Flyte's StripInterfaceTypeMetadata, on the JSON) ------------------------ */

static void strip_type(json_t *t)
{
	json_t *ann, *v, *list;
	const char *key;
	size_t i;

	if (!json_is_object(t))
		return;
	json_object_del(t, "metadata");
	ann = json_object_get(t, "annotation");
	if (ann && !json_object_get(json_object_get(ann, "annotations"), "cache-key-metadata"))
		json_object_del(t, "annotation");
	json_object_foreach(json_object_get(json_object_get(t, "structure"), "dataclassType"), key, v)
		strip_type(v);
	json_array_foreach(json_object_get(json_object_get(t, "unionType"), "variants"), i, v)
		strip_type(v);
	strip_type(json_object_get(t, "mapValueType"));
	strip_type(json_object_get(t, "collectionType"));
	list = json_object_get(json_object_get(t, "structuredDatasetType"), "columns");
	json_array_foreach(list, i, v) {
		json_t *lt = json_object_get(v, "literalType");
		json_t *name = json_object_get(v, "name");
		json_t *col = json_object();

		/* Flyte rebuilds each column from its name and type only. */
		if (name)
			json_object_set(col, "name", name);
		if (lt) {
			json_object_set(col, "literalType", lt);
			strip_type(lt);
		}
		json_array_set_new(list, i, col);
	}
}

static void strip_variable_map(json_t *vm)
{
	const char *key;
	json_t *v;

	json_object_foreach(json_object_get(vm, "variables"), key, v) {
		json_object_del(v, "description");
		strip_type(json_object_get(v, "type"));
	}
}

static void strip_interface(json_t *iface)
{
	strip_variable_map(json_object_get(iface, "inputs"));
	strip_variable_map(json_object_get(iface, "outputs"));
}

/* --- nodes --------------------------------------------------------------------------------------------------- */

static const Flyteidl__Core__TaskTemplate *find_task(struct fw_ctx *c, const Flyteidl__Core__Identifier *ref)
{
	struct fc_buf want = FC_BUF_INIT, have = FC_BUF_INIT;
	const Flyteidl__Core__TaskTemplate *found = NULL;
	size_t i;

	cmp_fw_identifier_text(ref, &want);
	for (i = 0; i < c->closure->n_tasks && !found; i++) {
		const Flyteidl__Core__CompiledTask *t = c->closure->tasks[i];

		if (!t || !t->template_)
			continue;
		fc_buf_reset(&have);
		cmp_fw_identifier_text(t->template_->id, &have);
		if (!strcmp(have.buf, want.buf))
			found = t->template_;
	}
	fc_buf_release(&want);
	fc_buf_release(&have);
	return found;
}

/*
 * A quantity as Kubernetes writes it back (resource.Quantity's canonical form), from its text and its value in
 * milli-units: binary-suffixed values of at least 1024 in the largest binary unit that divides them ("1.5Gi" ->
 * "1536Mi"), everything else in the largest power of 1000 that divides it, as an SI suffix ("0.5" -> "500m",
 * "2000" -> "2k") or, for values written with an exponent, as one ("1e3").
 */
static void canonical_quantity(const char *text, int64_t milli, struct fc_buf *out)
{
	static const char *const binary[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
	static const char *const decimal[] = {"m", "", "k", "M", "G", "T", "P", "E"};
	size_t len = strlen(text);
	const char *p = text;
	bool exponent_form = false;
	int64_t v;
	int e;

	if (milli == 0) {
		fc_buf_adds(out, "0");
		return;
	}
	while (*p == '+' || (*p >= '0' && *p <= '9') || *p == '.')
		p++;
	exponent_form = (*p == 'e' || *p == 'E') && p[1] >= '0' && p[1] <= '9';
	if (len >= 2 && text[len - 1] == 'i' && milli % 1000 == 0 && milli >= 1024000) {
		for (v = milli / 1000, e = 0; v % 1024 == 0 && e < 6; e++)
			v /= 1024;
		fc_buf_addf(out, "%lld%s", (long long)v, binary[e]);
		return;
	}
	for (v = milli, e = 0; v % 1000 == 0 && e < 7; e++)
		v /= 1000;
	if (exponent_form && e != 1)
		fc_buf_addf(out, "%llde%d", (long long)v, 3 * (e - 1));
	else if (exponent_form)
		fc_buf_addf(out, "%lld", (long long)v);
	else
		fc_buf_addf(out, "%lld%s", (long long)v, decimal[e]);
}

static int resource_list(struct fw_ctx *c, const char *node_id, Flyteidl__Core__Resources__ResourceEntry **entries,
			 size_t n, json_t **out)
{
	json_t *list = json_object();
	size_t i;

	for (i = 0; i < n; i++) {
		const char *name = NULL;
		int64_t milli;
		struct fc_err qerr;

		switch (entries[i]->name) {
		case FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__CPU: name = "cpu"; break;
		case FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__MEMORY: name = "memory"; break;
		case FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__GPU: name = "nvidia.com/gpu"; break;
		case FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__EPHEMERAL_STORAGE: name = "ephemeral-storage"; break;
		default: break; /* Flyte leaves storage and unknown names out of pod resources */
		}
		if (fc_quantity_parse(entries[i]->value, &milli, &qerr)) {
			json_decref(list);
			return fc_err_set(c->err, FC_EINVAL, "node %s: resource override '%s': %s", node_id,
					  entries[i]->value, qerr.msg);
		}
		if (name && milli) {
			struct fc_buf q = FC_BUF_INIT;

			canonical_quantity(entries[i]->value, milli, &q);
			json_object_set_new(list, name, str(c, q.buf));
			fc_buf_release(&q);
		}
	}
	*out = sorted(list);
	return FC_OK;
}

static int node_resources(struct fw_ctx *c, const Flyteidl__Core__Node *n, json_t **out)
{
	const Flyteidl__Core__Resources *r = NULL;
	json_t *res = json_object(), *list = NULL;
	int rc;

	if (n->target_case == FLYTEIDL__CORE__NODE__TARGET_TASK_NODE && n->task_node->overrides)
		r = n->task_node->overrides->resources;
	if (r) {
		if ((rc = resource_list(c, n->id, r->limits, r->n_limits, &list)))
			goto fail;
		if (json_object_size(list))
			json_object_set(res, "limits", list);
		json_decref(list);
		if ((rc = resource_list(c, n->id, r->requests, r->n_requests, &list)))
			goto fail;
		if (json_object_size(list))
			json_object_set(res, "requests", list);
		json_decref(list);
	}
	*out = res;
	return FC_OK;
fail:
	json_decref(res);
	return rc;
}

static int build_node(struct fw_ctx *c, const Flyteidl__Core__Node *n, json_t *nodes, json_t **spec_out);

/* Add `spec` (a new reference, taken) under its id; an id seen before must have the same spec. */
static int add_node(struct fw_ctx *c, json_t *nodes, const char *parent, json_t *spec)
{
	const char *id = json_string_value(json_object_get(spec, "id"));
	json_t *old = json_object_get(nodes, id);

	if (old && !json_equal(old, spec)) {
		int rc = fc_err_set(c->err, FC_EINVAL, "node %s: node id '%s' is used twice with different contents",
				    parent, id);

		json_decref(spec); /* `id` points into it */
		return rc;
	}
	set_key(c, nodes, id, spec);
	return FC_OK;
}

/* A branch arm: the condition and the then-node's id; the then-node (and its own arms) go into `nodes`. */
static int if_block(struct fw_ctx *c, const char *parent, const Flyteidl__Core__IfBlock *b, json_t *nodes,
		    json_t **out)
{
	json_t *cond = NULL, *then = NULL, *blk;
	int rc;

	if (!b || !b->then_node || !b->condition)
		return fc_err_set(c->err, FC_EINVAL, "node %s: a branch arm needs a condition and a then-node", parent);
	if ((rc = build_node(c, b->then_node, nodes, &then)))
		return rc;
	if ((rc = add_node(c, nodes, parent, then)))
		return rc;
	if ((rc = pb(c, &b->condition->base, &cond)))
		return rc;
	blk = json_object();
	json_object_set_new(blk, "condition", cond);
	json_object_set_new(blk, "then", str(c, b->then_node->id));
	*out = blk;
	return FC_OK;
}

static int branch_spec(struct fw_ctx *c, const Flyteidl__Core__Node *n, json_t *nodes, json_t **out)
{
	const Flyteidl__Core__IfElseBlock *ie = n->branch_node->if_else;
	json_t *br = json_object(), *blk = NULL, *others;
	size_t i;
	int rc;

	if (!ie) {
		rc = fc_err_set(c->err, FC_EINVAL, "node %s: branch without if_else", n->id);
		goto fail;
	}
	if ((rc = if_block(c, n->id, ie->case_, nodes, &blk)))
		goto fail;
	json_object_set_new(br, "if", blk);
	/* Flyte adds the else-node's arms before the elif arms; the map does not care. */
	if (ie->default_case == FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ELSE_NODE && ie->else_node) {
		json_t *spec = NULL;

		if ((rc = build_node(c, ie->else_node, nodes, &spec)) || (rc = add_node(c, nodes, n->id, spec)))
			goto fail;
	}
	others = json_array();
	for (i = 0; i < ie->n_other; i++) {
		if ((rc = if_block(c, n->id, ie->other[i], nodes, &blk))) {
			json_decref(others);
			goto fail;
		}
		json_array_append_new(others, blk);
	}
	if (json_array_size(others))
		json_object_set(br, "elseIf", others);
	json_decref(others);
	if (ie->default_case == FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ELSE_NODE && ie->else_node) {
		json_object_set_new(br, "else", str(c, ie->else_node->id));
	} else if (ie->default_case == FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ERROR && ie->error) {
		json_t *ef = json_object();

		if (!empty(ie->error->failed_node_id))
			json_object_set_new(ef, "failed_node_id", str(c, ie->error->failed_node_id));
		if (!empty(ie->error->message))
			json_object_set_new(ef, "message", str(c, ie->error->message));
		json_object_set_new(br, "elseFail", ef);
	}
	*out = br;
	return FC_OK;
fail:
	json_decref(br);
	return rc;
}

static int gate_spec(struct fw_ctx *c, const Flyteidl__Core__Node *n, json_t **out)
{
	const Flyteidl__Core__GateNode *g = n->gate_node;
	const ProtobufCMessage *cond = NULL;
	const char *kind = NULL;
	json_t *gate, *j = NULL;
	int rc;

	switch (g->condition_case) {
	case FLYTEIDL__CORE__GATE_NODE__CONDITION_APPROVE: kind = "approve"; cond = &g->approve->base; break;
	case FLYTEIDL__CORE__GATE_NODE__CONDITION_SIGNAL: kind = "signal"; cond = &g->signal->base; break;
	case FLYTEIDL__CORE__GATE_NODE__CONDITION_SLEEP: kind = "sleep"; cond = &g->sleep->base; break;
	default: break;
	}
	if (!kind) {
		/* Flyte leaves the gate spec out when no condition is set (the operator then fails the node). */
		*out = NULL;
		return FC_OK;
	}
	gate = json_object();
	json_object_set_new(gate, "kind", str(c, kind));
	if ((rc = pb(c, cond, &j))) {
		json_decref(gate);
		return rc;
	}
	json_object_set_new(gate, kind, j);
	*out = gate;
	return FC_OK;
}

static int array_spec(struct fw_ctx *c, const Flyteidl__Core__Node *n, json_t **out)
{
	const Flyteidl__Core__ArrayNode *a = n->array_node;
	json_t *arr, *sub = NULL, *scratch;
	int rc;

	if (!a->node)
		return fc_err_set(c->err, FC_EINVAL, "node %s: array node without a sub-node", n->id);
	/* The sub-node's own branch arms are not kept (Flyte keeps only the first spec of the list). */
	scratch = json_object();
	rc = build_node(c, a->node, scratch, &sub);
	json_decref(scratch);
	if (rc)
		return rc;
	/* ArrayNodeSpec has no JSON tags: Go field names, and null for what is unset. */
	arr = json_object();
	json_object_set_new(arr, "SubNodeSpec", sub);
	json_object_set_new(arr, "Parallelism",
			    a->parallelism_option_case == FLYTEIDL__CORE__ARRAY_NODE__PARALLELISM_OPTION_PARALLELISM
				    ? json_integer(a->parallelism)
				    : json_null());
	json_object_set_new(arr, "MinSuccesses",
			    a->success_criteria_case == FLYTEIDL__CORE__ARRAY_NODE__SUCCESS_CRITERIA_MIN_SUCCESSES
				    ? json_integer(a->min_successes)
				    : json_null());
	if (a->success_criteria_case == FLYTEIDL__CORE__ARRAY_NODE__SUCCESS_CRITERIA_MIN_SUCCESS_RATIO) {
		char text[32];

		fc_pbjson_format_float(a->min_success_ratio, text);
		json_object_set_new(arr, "MinSuccessRatio", json_real(strtod(text, NULL)));
	} else {
		json_object_set_new(arr, "MinSuccessRatio", json_null());
	}
	if (a->n_bound_inputs) {
		json_t *list = json_array();
		size_t i;

		for (i = 0; i < a->n_bound_inputs; i++)
			json_array_append_new(list, str(c, a->bound_inputs[i]));
		json_object_set_new(arr, "BoundInputs", list);
	} else {
		json_object_set_new(arr, "BoundInputs", json_null());
	}
	*out = arr;
	return FC_OK;
}

static int workflow_spec_ref(struct fw_ctx *c, const Flyteidl__Core__Node *n, json_t **out)
{
	const Flyteidl__Core__WorkflowNode *w = n->workflow_node;
	json_t *wn = json_object(), *j = NULL;
	int rc;

	if (w->reference_case == FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_LAUNCHPLAN_REF && w->launchplan_ref) {
		if ((rc = pb(c, &w->launchplan_ref->base, &j))) {
			json_decref(wn);
			return rc;
		}
		json_object_set_new(wn, "launchPlanRefId", j);
	} else if (w->reference_case == FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_SUB_WORKFLOW_REF && w->sub_workflow_ref) {
		json_object_set_new(wn, "subWorkflowRef", id_text(c, w->sub_workflow_ref));
	} else {
		json_decref(wn);
		return fc_err_set(c->err, FC_EINVAL, "node %s: workflow node without a reference", n->id);
	}
	*out = wn;
	return FC_OK;
}

/* Flyte's buildNodeSpec: the node's spec in `*spec_out`; branch arms are added to `nodes` on the way. */
static int build_node(struct fw_ctx *c, const Flyteidl__Core__Node *n, json_t *nodes, json_t **spec_out)
{
	const Flyteidl__Core__NodeMetadata *md = n->metadata;
	const Flyteidl__Core__TaskTemplate *task = NULL;
	json_t *spec = json_object(), *j = NULL;
	const char *kind = NULL;
	int64_t timeout_ns = 0;
	bool has_timeout = false;
	size_t i;
	int rc;

	if (empty(n->id)) {
		rc = fc_err_set(c->err, FC_EINVAL, "a node has no id");
		goto fail;
	}
	if (n->target_case == FLYTEIDL__CORE__NODE__TARGET__NOT_SET && strcmp(n->id, START_NODE) &&
	    strcmp(n->id, END_NODE)) {
		rc = fc_err_set(c->err, FC_EINVAL, "node %s: no target (task, workflow, branch, gate or array)", n->id);
		goto fail;
	}
	if (n->target_case == FLYTEIDL__CORE__NODE__TARGET_TASK_NODE) {
		const Flyteidl__Core__TaskNode *tn = n->task_node;

		if (tn->reference_case != FLYTEIDL__CORE__TASK_NODE__REFERENCE_REFERENCE_ID || !tn->reference_id) {
			rc = fc_err_set(c->err, FC_EINVAL, "node %s: task node without a task reference", n->id);
			goto fail;
		}
		task = find_task(c, tn->reference_id);
		if (!task) {
			struct fc_buf t = FC_BUF_INIT;

			cmp_fw_identifier_text(tn->reference_id, &t);
			rc = fc_err_set(c->err, FC_ENOENT, "node %s: task %s is not in the closure", n->id, t.buf);
			fc_buf_release(&t);
			goto fail;
		}
	}
	if (md && md->timeout) {
		const Google__Protobuf__Duration *d = md->timeout;

		/* Go durations are int64 nanoseconds: Flyte refuses anything longer (about 292 years). */
		if (d->seconds > INT64_MAX / 1000000000LL / 2 || d->seconds < -(INT64_MAX / 1000000000LL / 2)) {
			rc = fc_err_set(c->err, FC_EINVAL, "node %s: timeout out of range", n->id);
			goto fail;
		}
		timeout_ns = d->seconds * 1000000000LL + d->nanos;
		has_timeout = true;
	}

	json_object_set_new(spec, "id", str(c, n->id));
	if (md && !empty(md->name))
		json_object_set_new(spec, "name", str(c, md->name));
	if ((rc = node_resources(c, n, &j)))
		goto fail;
	json_object_set_new(spec, "resources", j);

	switch (n->target_case) {
	case FLYTEIDL__CORE__NODE__TARGET_TASK_NODE:
		kind = "task";
		break;
	case FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE:
		kind = "workflow";
		break;
	case FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE:
		kind = "branch";
		break;
	case FLYTEIDL__CORE__NODE__TARGET_GATE_NODE:
		kind = "gate";
		break;
	case FLYTEIDL__CORE__NODE__TARGET_ARRAY_NODE:
		kind = "array";
		break;
	default:
		kind = !strcmp(n->id, START_NODE) ? "start" : "end";
		break;
	}
	json_object_set_new(spec, "kind", str(c, kind));
	switch (n->target_case) {
	case FLYTEIDL__CORE__NODE__TARGET_TASK_NODE:
		json_object_set_new(spec, "task", id_text(c, n->task_node->reference_id));
		break;
	case FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE:
		if ((rc = workflow_spec_ref(c, n, &j)))
			goto fail;
		json_object_set_new(spec, "workflow", j);
		break;
	case FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE:
		if (!n->branch_node) {
			rc = fc_err_set(c->err, FC_EINVAL, "node %s: empty branch", n->id);
			goto fail;
		}
		if ((rc = branch_spec(c, n, nodes, &j)))
			goto fail;
		json_object_set_new(spec, "branch", j);
		break;
	case FLYTEIDL__CORE__NODE__TARGET_GATE_NODE:
		if ((rc = gate_spec(c, n, &j)))
			goto fail;
		if (j)
			json_object_set_new(spec, "gate", j);
		break;
	case FLYTEIDL__CORE__NODE__TARGET_ARRAY_NODE:
		if ((rc = array_spec(c, n, &j)))
			goto fail;
		json_object_set_new(spec, "array", j);
		break;
	default:
		break;
	}
	if (n->n_inputs) {
		json_t *list = json_array();

		for (i = 0; i < n->n_inputs; i++) {
			if ((rc = pb(c, &n->inputs[i]->base, &j))) {
				json_decref(list);
				goto fail;
			}
			json_array_append_new(list, j);
		}
		json_object_set_new(spec, "inputBindings", list);
	}
	{
		/* Flyte's computeRetryStrategy: the node's retries, else the task's; attempts = retries + 1. */
		uint32_t retries = 0;

		if (md && md->retries && md->retries->retries)
			retries = md->retries->retries;
		else if (task && task->metadata && task->metadata->retries && task->metadata->retries->retries)
			retries = task->metadata->retries->retries;
		if (retries) {
			j = json_object();
			json_object_set_new(j, "minAttempts", json_integer((json_int_t)retries + 1));
			json_object_set_new(spec, "retry", j);
		}
	}
	if (n->n_output_aliases) {
		json_t *list = json_array();

		for (i = 0; i < n->n_output_aliases; i++) {
			j = json_object();
			if (!empty(n->output_aliases[i]->var))
				json_object_set_new(j, "var", str(c, n->output_aliases[i]->var));
			if (!empty(n->output_aliases[i]->alias))
				json_object_set_new(j, "alias", str(c, n->output_aliases[i]->alias));
			json_array_append_new(list, j);
		}
		json_object_set_new(spec, "outputAlias", list);
	}
	if (has_timeout) {
		struct fc_buf d = FC_BUF_INIT;

		go_duration(timeout_ns, &d);
		json_object_set_new(spec, "executionDeadline", str(c, d.buf));
		fc_buf_reset(&d);
		go_duration(timeout_ns * 2, &d);
		json_object_set_new(spec, "activeDeadline", str(c, d.buf));
		fc_buf_release(&d);
	}
	if (md && md->interruptible_value_case == FLYTEIDL__CORE__NODE_METADATA__INTERRUPTIBLE_VALUE_INTERRUPTIBLE)
		json_object_set_new(spec, "interruptible", json_boolean(md->interruptible));
	if (n->target_case == FLYTEIDL__CORE__NODE__TARGET_TASK_NODE && n->task_node->overrides) {
		const Flyteidl__Core__TaskNodeOverrides *o = n->task_node->overrides;

		if (o->extended_resources) {
			if ((rc = pb(c, &o->extended_resources->base, &j)))
				goto fail;
			json_object_set_new(spec, "extendedResources", j);
		}
		if (!empty(o->container_image))
			json_object_set_new(spec, "containerImage", str(c, o->container_image));
		if (o->pod_template) {
			if ((rc = pb(c, &o->pod_template->base, &j)))
				goto fail;
			json_object_set_new(spec, "podTemplate", j);
		}
	}
	*spec_out = spec;
	return FC_OK;
fail:
	json_decref(spec);
	return rc;
}

/* --- workflow specs ----------------------------------------------------------------------------------------- */

static void add_id_list(struct fw_ctx *c, json_t *map, const char *key,
			const Flyteidl__Core__ConnectionSet__IdList *l)
{
	json_t *ids;
	size_t k;

	if (!l || !l->n_ids) {
		set_key(c, map, key, json_null()); /* Go's nil slice */
		return;
	}
	ids = json_array();
	for (k = 0; k < l->n_ids; k++)
		json_array_append_new(ids, str(c, l->ids[k]));
	set_key(c, map, key, ids);
}

static json_t *downstream_map(struct fw_ctx *c, const Flyteidl__Core__ConnectionSet *cs)
{
	json_t *map = json_object();
	size_t i;

	for (i = 0; cs && i < cs->n_downstream; i++)
		add_id_list(c, map, cs->downstream[i]->key, cs->downstream[i]->value);
	return sorted(map);
}

static json_t *upstream_map(struct fw_ctx *c, const Flyteidl__Core__ConnectionSet *cs)
{
	json_t *map = json_object();
	size_t i;

	for (i = 0; cs && i < cs->n_upstream; i++)
		add_id_list(c, map, cs->upstream[i]->key, cs->upstream[i]->value);
	return sorted(map);
}

static const char *wf_id_string(const Flyteidl__Core__Identifier *id, struct fc_buf *out)
{
	fc_buf_addf(out, "%s:%s:%s", id ? id->project : "", id ? id->domain : "", id ? id->name : "");
	return out->buf;
}

static int build_spec(struct fw_ctx *c, const Flyteidl__Core__CompiledWorkflow *wf, json_t **out)
{
	const Flyteidl__Core__WorkflowTemplate *t = wf ? wf->template_ : NULL;
	json_t *spec = json_object(), *nodes = json_object(), *j = NULL, *edges;
	struct fc_buf id = FC_BUF_INIT;
	size_t i;
	int rc;

	if (!t) {
		rc = fc_err_set(c->err, FC_EINVAL, "a compiled workflow has no template");
		goto fail;
	}
	json_object_set_new(spec, "id", str(c, wf_id_string(t->id, &id)));
	for (i = 0; i < t->n_nodes; i++) {
		json_t *n = NULL;

		if ((rc = build_node(c, t->nodes[i], nodes, &n)) || (rc = add_node(c, nodes, t->nodes[i]->id, n)))
			goto fail;
	}
	if (!json_object_get(nodes, START_NODE)) {
		rc = fc_err_set(c->err, FC_EINVAL, "workflow %s has no start-node: compile it first", id.buf);
		goto fail;
	}
	json_object_set_new(spec, "nodes", sorted(nodes));
	nodes = NULL;
	/* The deprecated "connections" is the downstream map alone; "edges" has both directions. */
	edges = json_object();
	json_object_set_new(spec, "connections", downstream_map(c, wf->connections));
	json_object_set_new(edges, "downstream", downstream_map(c, wf->connections));
	json_object_set_new(edges, "upstream", upstream_map(c, wf->connections));
	json_object_set_new(spec, "edges", edges);
	if (t->failure_node) {
		json_t *scratch = json_object();

		/* Only the failure node itself is kept, as in Flyte. */
		rc = build_node(c, t->failure_node, scratch, &j);
		json_decref(scratch);
		if (rc)
			goto fail;
		json_object_set_new(spec, "onFailure", j);
	}
	if (t->interface && t->interface->outputs) {
		if ((rc = pb(c, &t->interface->outputs->base, &j)))
			goto fail;
		strip_variable_map(j);
	} else {
		j = json_object();
	}
	json_object_set_new(spec, "outputs", j);
	if (t->n_outputs) {
		json_t *list = json_array();

		for (i = 0; i < t->n_outputs; i++) {
			if ((rc = pb(c, &t->outputs[i]->base, &j))) {
				json_decref(list);
				goto fail;
			}
			json_array_append_new(list, j);
		}
		json_object_set_new(spec, "outputBindings", list);
	}
	if (t->metadata && t->metadata->on_failure) {
		const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(
			&flyteidl__core__workflow_metadata__on_failure_policy__descriptor, (int)t->metadata->on_failure);

		if (ev)
			json_object_set_new(spec, "onFailurePolicy", str(c, ev->name));
	}
	fc_buf_release(&id);
	*out = spec;
	return FC_OK;
fail:
	fc_buf_release(&id);
	json_decref(nodes);
	json_decref(spec);
	return rc;
}

static int build_tasks(struct fw_ctx *c, json_t **out)
{
	json_t *tasks = json_object(), *j = NULL;
	struct fc_buf key = FC_BUF_INIT;
	size_t i;
	int rc = FC_OK;

	for (i = 0; i < c->closure->n_tasks; i++) {
		const Flyteidl__Core__CompiledTask *t = c->closure->tasks[i];

		if (!t || !t->template_) {
			rc = fc_err_set(c->err, FC_EINVAL, "task %zu of the closure has no template", i);
			break;
		}
		fc_buf_reset(&key);
		cmp_fw_identifier_text(t->template_->id, &key);
		if (json_object_get(tasks, key.buf)) {
			rc = fc_err_set(c->err, FC_EINVAL, "task %s is twice in the closure", key.buf);
			break;
		}
		if ((rc = pb(c, &t->template_->base, &j)))
			break;
		strip_interface(json_object_get(j, "interface"));
		set_key(c, tasks, key.buf, j);
	}
	fc_buf_release(&key);
	if (rc) {
		json_decref(tasks);
		return rc;
	}
	*out = sorted(tasks);
	return FC_OK;
}

/* --- inputs -------------------------------------------------------------------------------------------------- */

static const Flyteidl__Core__Literal *input_at(const Flyteidl__Core__LiteralMap *m, const char *name)
{
	size_t i;

	for (i = 0; m && i < m->n_literals; i++)
		if (!strcmp(m->literals[i]->key, name))
			return m->literals[i]->value;
	return NULL;
}

/* Flyte's validateInputs, by name: every input of the interface bound, nothing else. */
static int check_inputs(struct fw_ctx *c, const Flyteidl__Core__WorkflowTemplate *t,
			const Flyteidl__Core__LiteralMap *inputs)
{
	const Flyteidl__Core__VariableMap *vm = t->interface ? t->interface->inputs : NULL;
	size_t i, k;

	for (i = 0; inputs && i < inputs->n_literals; i++) {
		bool known = false;

		for (k = 0; vm && k < vm->n_variables && !known; k++)
			known = !strcmp(vm->variables[k]->key, inputs->literals[i]->key);
		if (!known)
			return fc_err_set(c->err, FC_EINVAL, "the workflow has no input '%s'", inputs->literals[i]->key);
		if (!inputs->literals[i]->value)
			return fc_err_set(c->err, FC_EINVAL, "input '%s' has no value", inputs->literals[i]->key);
	}
	for (k = 0; vm && k < vm->n_variables; k++)
		if (!input_at(inputs, vm->variables[k]->key))
			return fc_err_set(c->err, FC_EINVAL, "input '%s' is required and has no value",
					  vm->variables[k]->key);
	return FC_OK;
}

/* --- names and labels ---------------------------------------------------------------------------------------- */

/* A Kubernetes object name (DNS-1123 subdomain) or, with `label`, a namespace (DNS-1123 label). */
static bool dns_name_ok(const char *s, bool label)
{
	size_t n = strlen(s), i;

	if (!n || n > (label ? 63u : 253u))
		return false;
	for (i = 0; i < n; i++) {
		char ch = s[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');

		if (!alnum && ch != '-' && (label || ch != '.'))
			return false;
		if (!alnum && (i == 0 || i == n - 1))
			return false;
	}
	return true;
}

static uint32_t fnv32a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

static int build_metadata(struct fw_ctx *c, const Flyteidl__Core__WorkflowTemplate *t,
			  const struct cmp_fw_options *o, const char *spec_id, json_t **out)
{
	json_t *md = json_object(), *labels = json_object();
	struct fc_buf label = FC_BUF_INIT, wname = FC_BUF_INIT;
	const char *project, *domain;
	char shard[16];
	int rc = FC_OK;

	if (!empty(o->exec_name)) {
		if (!dns_name_ok(o->exec_name, false)) {
			rc = fc_err_set(c->err, FC_EINVAL,
					"execution name '%s' is not a Kubernetes object name (lower-case letters, "
					"digits, '-' and '.', at most 253)", o->exec_name);
			goto out;
		}
		json_object_set_new(md, "name", str(c, o->exec_name));
		fc_buf_adds(&label, o->exec_name);
		project = o->exec_project ? o->exec_project : "";
		domain = o->exec_domain ? o->exec_domain : "";
	} else {
		const Flyteidl__Core__Identifier *id = t->id;

		/* Flyte's generateName: "project-domain-name" cut to 32 characters, then "-". */
		if (id && !empty(id->project))
			fc_buf_addf(&label, "%s-", id->project);
		if (id && !empty(id->domain))
			fc_buf_addf(&label, "%s-", id->domain);
		fc_buf_adds(&label, id ? id->name : "");
		if (label.len > 32)
			fc_buf_truncate(&label, 32);
		json_object_set_new(md, "generateName", json_pack("s+", label.buf, "-"));
		project = id ? id->project : "";
		domain = id ? id->domain : "";
	}
	if (o->k8s_namespace && *o->k8s_namespace && !dns_name_ok(o->k8s_namespace, true)) {
		rc = fc_err_set(c->err, FC_EINVAL,
				"namespace '%s' is not a Kubernetes namespace name (lower-case letters, digits and '-', "
				"at most 63)", o->k8s_namespace);
		goto out;
	}
	json_object_set_new(md, "namespace", str(c, o->k8s_namespace ? o->k8s_namespace : ""));
	json_object_set_new(labels, "domain", str(c, domain));
	json_object_set_new(labels, "execution-id", str(c, label.buf));
	json_object_set_new(labels, "project", str(c, project));
	snprintf(shard, sizeof(shard), "%u", fnv32a(label.buf) % CMP_FW_SHARD_KEYSPACE);
	json_object_set_new(labels, "shard-key", str(c, shard));
	{
		/* WorkflowNameFromID: the third of exactly three ':'-separated parts, else "". */
		const char *first = strchr(spec_id, ':'), *second = first ? strchr(first + 1, ':') : NULL;
		const char *name = second && !strchr(second + 1, ':') ? second + 1 : "";

		cmp_fw_sanitize_label(name, &wname);
		json_object_set_new(labels, "workflow-name", str(c, wname.buf));
	}
	if (o->prepare) {
		size_t i;

		for (i = 0; i < o->n_labels; i++)
			set_key(c, labels, o->labels[i].key, str(c, o->labels[i].value));
	}
	json_object_set_new(md, "labels", sorted(labels));
	labels = NULL;
	if (o->prepare) {
		json_t *ann = json_object();
		size_t i;

		for (i = 0; i < o->n_annotations; i++)
			set_key(c, ann, o->annotations[i].key, str(c, o->annotations[i].value));
		if (!empty(o->admin_url))
			json_object_set_new(ann, CMP_FW_ADMIN_URL_ANNOTATION, str(c, o->admin_url));
		if (json_object_size(ann))
			json_object_set_new(md, "annotations", sorted(ann));
		else
			json_decref(ann);
		json_object_set_new(md, "finalizers", json_pack("[s]", CMP_FW_FINALIZER));
	}
out:
	fc_buf_release(&label);
	fc_buf_release(&wname);
	json_decref(labels);
	if (rc) {
		json_decref(md);
		return rc;
	}
	*out = md;
	return FC_OK;
}

/* --- the resource -------------------------------------------------------------------------------------------- */

static json_t *resource_spec_zero(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "CPU", "0", "Memory", "0", "EphemeralStorage", "0", "Storage",
			 "0", "GPU", "0");
}

/* ExecutionConfig has no JSON tags: Go field names, zero values written out. */
static json_t *execution_config(const struct cmp_fw_options *o)
{
	json_t *ec = json_object(), *tr = json_object();

	json_object_set_new(ec, "TaskPluginImpls", o->prepare ? json_object() : json_null());
	json_object_set_new(ec, "MaxParallelism", json_integer(o->prepare ? o->max_parallelism : 0));
	json_object_set_new(ec, "RecoveryExecution", json_object());
	json_object_set_new(tr, "Requests", resource_spec_zero());
	json_object_set_new(tr, "Limits", resource_spec_zero());
	json_object_set_new(ec, "TaskResources", tr);
	json_object_set_new(ec, "Interruptible", json_null());
	json_object_set_new(ec, "OverwriteCache", json_false());
	json_object_set_new(ec, "EnvironmentVariables", json_null());
	return ec;
}

static int offload(struct fw_ctx *c, json_t *res, const struct cmp_fw_options *o, size_t size)
{
	struct fc_buf bytes = FC_BUF_INIT;
	int rc;

	if (empty(o->closure_path) && o->force_offload)
		return fc_err_set(c->err, FC_ELIMIT, "offloading the closure needs a path to write it to");
	if (empty(o->closure_path))
		return fc_err_set(c->err, FC_ELIMIT,
				  "the FlyteWorkflow is %zu bytes, over the %zu-byte limit for one Kubernetes object, and "
				  "no path to offload its closure to was given",
				  size, o->max_inline_bytes ? o->max_inline_bytes : (size_t)FC_K8S_RESOURCE_MAX_INLINE_BYTES);
	fc_pb_pack(&c->closure->base, &bytes);
	rc = fc_write_file_atomic(o->closure_path, bytes.buf ? bytes.buf : "", bytes.len, false, c->err);
	fc_buf_release(&bytes);
	if (rc)
		return rc;
	/* As Flyte's admin does: the static part is read back from the data store by the operator. */
	json_object_set_new(res, "spec", json_null());
	json_object_set_new(res, "tasks", json_null());
	json_object_del(res, "subWorkflows");
	json_object_set_new(res, "workflowClosureReference", str(c, o->closure_path));
	return FC_OK;
}

int cmp_flyteworkflow_build(const Flyteidl__Core__CompiledWorkflowClosure *closure,
			    const Flyteidl__Core__LiteralMap *inputs, const struct cmp_fw_options *opts, json_t **out,
			    bool *offloaded, struct fc_err *err)
{
	static const struct cmp_fw_options no_options;
	const struct cmp_fw_options *o = opts ? opts : &no_options;
	struct fw_ctx c = {closure, err, false};
	const Flyteidl__Core__WorkflowTemplate *t;
	json_t *res = json_object(), *spec = NULL, *j = NULL;
	char *text = NULL;
	size_t limit = o->max_inline_bytes ? o->max_inline_bytes : (size_t)FC_K8S_RESOURCE_MAX_INLINE_BYTES;
	int rc;

	if (offloaded)
		*offloaded = false;
	if (!closure || !closure->primary || !closure->primary->template_) {
		rc = fc_err_set(err, FC_EINVAL, "the compiled workflow closure has no primary workflow");
		goto fail;
	}
	t = closure->primary->template_;
	if ((rc = check_inputs(&c, t, inputs)))
		goto fail;
	if ((rc = build_spec(&c, closure->primary, &spec)))
		goto fail;

	json_object_set_new(res, "kind", str(&c, CMP_FW_KIND));
	json_object_set_new(res, "apiVersion", str(&c, CMP_FW_API_VERSION));
	if ((rc = build_metadata(&c, t, o, json_string_value(json_object_get(spec, "id")), &j)))
		goto fail;
	json_object_set_new(res, "metadata", j);
	json_object_set_new(res, "spec", spec);
	spec = NULL;
	if (o->prepare)
		json_object_set_new(res, "workflowMeta", json_pack("{s:i}", "eventVersion", 2));
	if (inputs) {
		if ((rc = pb(&c, &inputs->base, &j)))
			goto fail;
	} else {
		j = json_object();
	}
	json_object_set_new(res, "inputs", j);
	j = json_object();
	if (o->prepare) {
		if (!empty(o->exec_project))
			json_object_set_new(j, "project", str(&c, o->exec_project));
		if (!empty(o->exec_domain))
			json_object_set_new(j, "domain", str(&c, o->exec_domain));
		if (!empty(o->exec_name))
			json_object_set_new(j, "name", str(&c, o->exec_name));
	}
	json_object_set_new(res, "executionId", j);
	if ((rc = build_tasks(&c, &j)))
		goto fail;
	json_object_set_new(res, "tasks", j);
	if (closure->n_sub_workflows) {
		json_t *subs = json_object();
		struct fc_buf key = FC_BUF_INIT;
		size_t i;

		for (i = 0; i < closure->n_sub_workflows && !rc; i++) {
			const Flyteidl__Core__CompiledWorkflow *sw = closure->sub_workflows[i];

			if ((rc = build_spec(&c, sw, &j)))
				break;
			fc_buf_reset(&key);
			cmp_fw_identifier_text(sw->template_->id, &key);
			set_key(&c, subs, key.buf, j);
		}
		fc_buf_release(&key);
		if (rc) {
			json_decref(subs);
			goto fail;
		}
		json_object_set_new(res, "subWorkflows", sorted(subs));
	}
	j = json_object();
	if (t->metadata_defaults && t->metadata_defaults->interruptible)
		json_object_set_new(j, "interruptible", json_true());
	json_object_set_new(res, "node-defaults", j);
	if (o->prepare && !empty(o->accepted_at))
		json_object_set_new(res, "acceptedAt", str(&c, o->accepted_at));
	if (o->prepare && !empty(o->service_account))
		json_object_set_new(res, "serviceAccountName", str(&c, o->service_account));
	j = json_object();
	if (o->prepare && !empty(o->service_account))
		json_object_set_new(j, "run_as", json_pack("{s:s}", "k8s_service_account", o->service_account));
	json_object_set_new(res, "securityContext", j);
	json_object_set_new(res, "status", json_pack("{s:i}", "phase", 0));
	j = json_object();
	if (o->prepare && !empty(o->raw_output_prefix))
		json_object_set_new(j, "output_location_prefix", str(&c, o->raw_output_prefix));
	json_object_set_new(res, "rawOutputDataConfig", j);
	json_object_set_new(res, "executionConfig", execution_config(o));

	if (c.bad_text) {
		rc = err ? err->code : FC_EINVAL;
		goto fail;
	}
	text = json_dumps(res, JSON_COMPACT);
	if (!text) {
		rc = fc_err_set(err, FC_EINTERNAL, "cannot serialise the FlyteWorkflow");
		goto fail;
	}
	if (o->force_offload || strlen(text) > limit) {
		size_t size = strlen(text);

		if ((rc = offload(&c, res, o, size)))
			goto fail;
		if (offloaded)
			*offloaded = true;
		free(text);
		text = json_dumps(res, JSON_COMPACT);
		if (text && strlen(text) > limit) {
			rc = fc_err_set(err, FC_ELIMIT,
					"the FlyteWorkflow is still %zu bytes with its closure offloaded (over %zu): its "
					"inputs are too large for one Kubernetes object",
					strlen(text), limit);
			goto fail;
		}
	}
	free(text);
	*out = res;
	return FC_OK;
fail:
	free(text);
	json_decref(spec);
	json_decref(res);
	return rc;
}
