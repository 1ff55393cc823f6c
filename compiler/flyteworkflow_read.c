/*
 * flyteworkflow_read.c: a FlyteWorkflow resource back to a compiled closure (see flyteworkflow_read.h).
 *
 * The walk mirrors flyteworkflow.c: spec.nodes is a flat map in which branch arms sit next to the workflow's own
 * nodes, so the workflow's node list is every node that no branch names as an arm; each branch then takes its arms
 * out of the same map. Proto parts (bindings, conditions, task templates, inputs) go through the one proto3 JSON
 * mapping. Every error names the JSON path of what is wrong.
 */
#include "compiler/cmp_int.h"
#include "compiler/flyteworkflow.h"
#include "compiler/flyteworkflow_read.h"
#include "core/duration.h"
#include "core/limits.h"
#include "core/pbjson.h"

#include <stdlib.h>
#include <string.h>

struct rd {
	struct fc_arena *a;
	struct fc_err *err;
	const json_t *tasks;   /* the resource's tasks map */
	const json_t *subs;    /* its subWorkflows map, or NULL */
	json_t *seen;          /* ids of the current workflow's map that were read */
	Flyteidl__Core__CompiledWorkflowClosure *closure;
};

/* --- small helpers ----------------------------------------------------------------------------------------- */

static const char *jstr(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A string member: absent or null is NULL; any other non-string is an error. */
static int opt_str(struct rd *r, const json_t *obj, const char *key, const char *path, const char **out)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return FC_OK;
	if (!json_is_string(v))
		return fc_err_set(r->err, FC_EINVAL, "%s.%s: expected a string", path, key);
	*out = json_string_value(v);
	return FC_OK;
}

static int decode(struct rd *r, const json_t *j, const ProtobufCMessageDescriptor *desc, const char *path,
		  void *out)
{
	int rc = fc_pbjson_decode(j, desc, fc_arena_pb_allocator(r->a), 0, (ProtobufCMessage **)out, r->err);

	if (rc)
		fc_err_prefix(r->err, "%s: ", path);
	return rc;
}

int cmp_fw_go_duration_parse(const char *text, int64_t *nanos, struct fc_err *err)
{
	static const struct {
		const char *name;
		int64_t ns;
	} units[] = {
		{"ns", 1}, {"us", 1000}, {"\xc2\xb5s", 1000}, {"\xce\xbcs", 1000}, {"ms", 1000000},
		{"s", 1000000000LL}, {"m", 60000000000LL}, {"h", 3600000000000LL},
	};
	const char *p = text;
	bool neg = false;
	double total = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!strcmp(p, "0")) {
		*nanos = 0;
		return FC_OK;
	}
	if (!*p)
		return fc_err_set(err, FC_EINVAL, "'%s' is not a duration", text);
	while (*p) {
		int64_t whole = 0, frac = 0, scale = 1;
		size_t i, best = 0, best_len = 0;
		bool digits = false;

		for (; *p >= '0' && *p <= '9'; p++, digits = true) {
			if (whole > INT64_MAX / 10 - 10)
				return fc_err_set(err, FC_EINVAL, "duration '%s' out of range", text);
			whole = whole * 10 + (*p - '0');
		}
		if (*p == '.') {
			for (p++; *p >= '0' && *p <= '9'; p++, digits = true) {
				if (scale < 1000000000LL) {
					frac = frac * 10 + (*p - '0');
					scale *= 10;
				}
			}
		}
		if (!digits)
			return fc_err_set(err, FC_EINVAL, "'%s' is not a duration (a number is missing)", text);
		for (i = 0; i < FC_ARRAY_LEN(units); i++) {
			size_t n = strlen(units[i].name);

			if (!strncmp(p, units[i].name, n) && n > best_len) {
				best = i;
				best_len = n;
			}
		}
		if (!best_len)
			return fc_err_set(err, FC_EINVAL, "'%s' is not a duration (unit missing or unknown)", text);
		p += best_len;
		total += (double)whole * (double)units[best].ns + (double)frac * (double)units[best].ns / (double)scale;
		if (total > 9.2e18)
			return fc_err_set(err, FC_EINVAL, "duration '%s' out of range", text);
	}
	*nanos = (int64_t)(total + 0.5);
	if (neg)
		*nanos = -*nanos;
	return FC_OK;
}

/* Go prototext string at `*pp` (opening quote included) into the arena. */
static int text_string(struct fc_arena *a, const char **pp, char **out, const char *text, struct fc_err *err)
{
	struct fc_buf b = FC_BUF_INIT;
	const char *p = *pp + 1;
	int rc = FC_OK;

	for (; *p && *p != '"'; p++) {
		if (*p != '\\') {
			fc_buf_addch(&b, *p);
			continue;
		}
		p++;
		switch (*p) {
		case '"': fc_buf_addch(&b, '"'); break;
		case '\\': fc_buf_addch(&b, '\\'); break;
		case '\'': fc_buf_addch(&b, '\''); break;
		case 'n': fc_buf_addch(&b, '\n'); break;
		case 'r': fc_buf_addch(&b, '\r'); break;
		case 't': fc_buf_addch(&b, '\t'); break;
		default:
			if (p[0] >= '0' && p[0] <= '3' && p[1] >= '0' && p[1] <= '7' && p[2] >= '0' && p[2] <= '7') {
				fc_buf_addch(&b, (p[0] - '0') * 64 + (p[1] - '0') * 8 + (p[2] - '0'));
				p += 2;
			} else {
				rc = fc_err_set(err, FC_EINVAL, "identifier '%s': bad escape in a string", text);
				goto out;
			}
		}
	}
	if (*p != '"') {
		rc = fc_err_set(err, FC_EINVAL, "identifier '%s': unterminated string", text);
		goto out;
	}
	*pp = p + 1;
	*out = fc_arena_strndup(a, b.buf, b.len);
out:
	fc_buf_release(&b);
	return rc;
}

int cmp_fw_identifier_parse(struct fc_arena *a, const char *text, Flyteidl__Core__Identifier **out,
			    struct fc_err *err)
{
	Flyteidl__Core__Identifier *id = CMP_NEW(a, Flyteidl__Core__Identifier, flyteidl__core__identifier__descriptor);
	const char *p = text;
	int rc;

	while (*p) {
		const char *colon;
		size_t klen;
		char **field = NULL;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		colon = strchr(p, ':');
		if (!colon)
			return fc_err_set(err, FC_EINVAL, "identifier '%s': expected key:value", text);
		klen = (size_t)(colon - p);
		if (klen == 13 && !strncmp(p, "resource_type", klen)) {
			const ProtobufCEnumValue *ev;
			const char *end = colon + 1;
			char name[64];

			while (*end && *end != ' ')
				end++;
			if ((size_t)(end - colon - 1) >= sizeof(name))
				return fc_err_set(err, FC_EINVAL, "identifier '%s': unknown resource type", text);
			memcpy(name, colon + 1, (size_t)(end - colon - 1));
			name[end - colon - 1] = '\0';
			ev = protobuf_c_enum_descriptor_get_value_by_name(&flyteidl__core__resource_type__descriptor, name);
			if (!ev)
				return fc_err_set(err, FC_EINVAL, "identifier '%s': unknown resource type '%s'", text, name);
			id->resource_type = (Flyteidl__Core__ResourceType)ev->value;
			p = end;
			continue;
		}
		if (klen == 7 && !strncmp(p, "project", klen))
			field = &id->project;
		else if (klen == 6 && !strncmp(p, "domain", klen))
			field = &id->domain;
		else if (klen == 4 && !strncmp(p, "name", klen))
			field = &id->name;
		else if (klen == 7 && !strncmp(p, "version", klen))
			field = &id->version;
		else if (klen == 3 && !strncmp(p, "org", klen))
			field = &id->org;
		else
			return fc_err_set(err, FC_EINVAL, "identifier '%s': unknown field '%.*s'", text, (int)klen, p);
		p = colon + 1;
		if (*p != '"')
			return fc_err_set(err, FC_EINVAL, "identifier '%s': expected a quoted string", text);
		if ((rc = text_string(a, &p, field, text, err)))
			return rc;
	}
	if (!id->name || !*id->name)
		return fc_err_set(err, FC_EINVAL, "identifier '%s' has no name", text);
	*out = id;
	return FC_OK;
}

/* "project:domain:name" (the spec's id) */
static Flyteidl__Core__Identifier *wf_id_from_spec_id(struct fc_arena *a, const char *s)
{
	Flyteidl__Core__Identifier *id = CMP_NEW(a, Flyteidl__Core__Identifier, flyteidl__core__identifier__descriptor);
	const char *c1 = strchr(s, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

	id->resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW;
	if (!c2) {
		id->name = fc_arena_strdup(a, s);
		return id;
	}
	id->project = fc_arena_strndup(a, s, (size_t)(c1 - s));
	id->domain = fc_arena_strndup(a, c1 + 1, (size_t)(c2 - c1 - 1));
	id->name = fc_arena_strdup(a, c2 + 1);
	return id;
}

/* --- nodes ------------------------------------------------------------------------------------------------- */

static int read_node(struct rd *r, const json_t *spec, const json_t *nodes, const char *path, int depth,
		     Flyteidl__Core__Node **out);

/* An arm's node, by id, from the flat map. */
static int arm_node(struct rd *r, const json_t *nodes, const char *id, const char *path, int depth,
		    Flyteidl__Core__Node **out)
{
	const json_t *spec = nodes ? json_object_get(nodes, id) : NULL;
	char *sub;
	int rc;

	if (!spec)
		return fc_err_set(r->err, FC_EINVAL, "%s: branch arm '%s' is not in spec.nodes", path, id);
	sub = fc_arena_printf(r->a, "spec.nodes.%s", id);
	rc = read_node(r, spec, nodes, sub, depth + 1, out);
	return rc;
}

static int if_block(struct rd *r, const json_t *blk, const json_t *nodes, const char *path, int depth,
		    Flyteidl__Core__IfBlock **out)
{
	Flyteidl__Core__IfBlock *b = CMP_NEW(r->a, Flyteidl__Core__IfBlock, flyteidl__core__if_block__descriptor);
	const char *then = jstr(blk, "then");
	int rc;

	if (!json_is_object(blk) || !then || !json_object_get(blk, "condition"))
		return fc_err_set(r->err, FC_EINVAL, "%s: a branch arm needs a condition and a then-node", path);
	if ((rc = decode(r, json_object_get(blk, "condition"), &flyteidl__core__boolean_expression__descriptor,
			 fc_arena_printf(r->a, "%s.condition", path), &b->condition)))
		return rc;
	if ((rc = arm_node(r, nodes, then, path, depth, &b->then_node)))
		return rc;
	*out = b;
	return FC_OK;
}

static int branch_node(struct rd *r, const json_t *br, const json_t *nodes, const char *path, int depth,
		       Flyteidl__Core__BranchNode **out)
{
	Flyteidl__Core__BranchNode *bn = CMP_NEW(r->a, Flyteidl__Core__BranchNode,
						 flyteidl__core__branch_node__descriptor);
	Flyteidl__Core__IfElseBlock *ie = CMP_NEW(r->a, Flyteidl__Core__IfElseBlock,
						  flyteidl__core__if_else_block__descriptor);
	const json_t *others = json_object_get(br, "elseIf"), *ef = json_object_get(br, "elseFail");
	const char *els = jstr(br, "else");
	size_t i;
	int rc;

	if (!json_is_object(br))
		return fc_err_set(r->err, FC_EINVAL, "%s: expected an object", path);
	if (!nodes)
		return fc_err_set(r->err, FC_EINVAL, "%s: a branch is not supported here (its arms are not kept)",
				  path);
	bn->if_else = ie;
	if ((rc = if_block(r, json_object_get(br, "if"), nodes, fc_arena_printf(r->a, "%s.if", path), depth,
			   &ie->case_)))
		return rc;
	if (others && !json_is_null(others) && !json_is_array(others))
		return fc_err_set(r->err, FC_EINVAL, "%s.elseIf: expected a list", path);
	for (i = 0; i < json_array_size(others); i++) {
		Flyteidl__Core__IfBlock *b = NULL;

		if ((rc = if_block(r, json_array_get(others, i), nodes,
				   fc_arena_printf(r->a, "%s.elseIf[%zu]", path, i), depth, &b)))
			return rc;
		CMP_PUSH(r->a, ie->other, ie->n_other, b);
	}
	if (els) {
		ie->default_case = FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ELSE_NODE;
		if ((rc = arm_node(r, nodes, els, path, depth, &ie->else_node)))
			return rc;
	} else if (json_is_object(ef)) {
		Flyteidl__Core__Error *e = CMP_NEW(r->a, Flyteidl__Core__Error, flyteidl__core__error__descriptor);
		const char *s;

		if ((s = jstr(ef, "failed_node_id")))
			e->failed_node_id = fc_arena_strdup(r->a, s);
		if ((s = jstr(ef, "message")))
			e->message = fc_arena_strdup(r->a, s);
		ie->default_case = FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ERROR;
		ie->error = e;
	}
	*out = bn;
	return FC_OK;
}

static int gate_node(struct rd *r, const json_t *g, const char *path, Flyteidl__Core__GateNode **out)
{
	Flyteidl__Core__GateNode *gn = CMP_NEW(r->a, Flyteidl__Core__GateNode, flyteidl__core__gate_node__descriptor);
	const char *kind = jstr(g, "kind");
	const json_t *body = kind ? json_object_get(g, kind) : NULL;
	char *sub;
	int rc;

	if (!g || json_is_null(g)) {
		*out = gn; /* no condition: the node fails when it runs, as in Flyte */
		return FC_OK;
	}
	if (!kind || !body)
		return fc_err_set(r->err, FC_EINVAL, "%s: a gate needs a kind and its condition", path);
	sub = fc_arena_printf(r->a, "%s.%s", path, kind);
	if (!strcmp(kind, "approve")) {
		gn->condition_case = FLYTEIDL__CORE__GATE_NODE__CONDITION_APPROVE;
		rc = decode(r, body, &flyteidl__core__approve_condition__descriptor, sub, &gn->approve);
	} else if (!strcmp(kind, "signal")) {
		gn->condition_case = FLYTEIDL__CORE__GATE_NODE__CONDITION_SIGNAL;
		rc = decode(r, body, &flyteidl__core__signal_condition__descriptor, sub, &gn->signal);
	} else if (!strcmp(kind, "sleep")) {
		gn->condition_case = FLYTEIDL__CORE__GATE_NODE__CONDITION_SLEEP;
		rc = decode(r, body, &flyteidl__core__sleep_condition__descriptor, sub, &gn->sleep);
	} else {
		return fc_err_set(r->err, FC_EINVAL, "%s.kind: unknown gate kind '%s' (approve, signal or sleep)",
				  path, kind);
	}
	if (rc)
		return rc;
	*out = gn;
	return FC_OK;
}

static int array_node(struct rd *r, const json_t *arr, const char *path, int depth, Flyteidl__Core__ArrayNode **out)
{
	Flyteidl__Core__ArrayNode *an = CMP_NEW(r->a, Flyteidl__Core__ArrayNode, flyteidl__core__array_node__descriptor);
	const json_t *v, *sub = json_object_get(arr, "SubNodeSpec");
	size_t i;
	int rc;

	if (!json_is_object(sub))
		return fc_err_set(r->err, FC_EINVAL, "%s.SubNodeSpec: an array node needs a sub-node", path);
	if ((rc = read_node(r, sub, NULL, fc_arena_printf(r->a, "%s.SubNodeSpec", path), depth + 1, &an->node)))
		return rc;
	if (json_is_integer(v = json_object_get(arr, "Parallelism"))) {
		an->parallelism_option_case = FLYTEIDL__CORE__ARRAY_NODE__PARALLELISM_OPTION_PARALLELISM;
		an->parallelism = (uint32_t)json_integer_value(v);
	}
	if (json_is_integer(v = json_object_get(arr, "MinSuccesses"))) {
		an->success_criteria_case = FLYTEIDL__CORE__ARRAY_NODE__SUCCESS_CRITERIA_MIN_SUCCESSES;
		an->min_successes = (uint32_t)json_integer_value(v);
	} else if (json_is_number(v = json_object_get(arr, "MinSuccessRatio"))) {
		an->success_criteria_case = FLYTEIDL__CORE__ARRAY_NODE__SUCCESS_CRITERIA_MIN_SUCCESS_RATIO;
		an->min_success_ratio = (float)json_number_value(v);
	}
	json_array_foreach(json_object_get(arr, "BoundInputs"), i, v) {
		if (!json_is_string(v))
			return fc_err_set(r->err, FC_EINVAL, "%s.BoundInputs[%zu]: expected a string", path, i);
		CMP_PUSH(r->a, an->bound_inputs, an->n_bound_inputs, fc_arena_strdup(r->a, json_string_value(v)));
	}
	*out = an;
	return FC_OK;
}

static int resource_entries(struct rd *r, const json_t *list, const char *path,
			    Flyteidl__Core__Resources__ResourceEntry ***entries, size_t *n)
{
	static const struct {
		const char *k8s;
		Flyteidl__Core__Resources__ResourceName name;
	} names[] = {
		{"cpu", FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__CPU},
		{"ephemeral-storage", FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__EPHEMERAL_STORAGE},
		{"memory", FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__MEMORY},
		{"nvidia.com/gpu", FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__GPU},
	};
	const char *key;
	const json_t *v;

	if (list && !json_is_object(list))
		return fc_err_set(r->err, FC_EINVAL, "%s: expected a map of quantities", path);
	json_object_foreach((json_t *)list, key, v) {
		Flyteidl__Core__Resources__ResourceEntry *e;
		int64_t milli;
		size_t i;

		for (i = 0; i < FC_ARRAY_LEN(names) && strcmp(names[i].k8s, key); i++)
			;
		if (i == FC_ARRAY_LEN(names))
			return fc_err_set(r->err, FC_EINVAL, "%s: unknown resource '%s'", path, key);
		if (!json_is_string(v) || fc_quantity_parse(json_string_value(v), &milli, r->err))
			return fc_err_set(r->err, FC_EINVAL, "%s.%s: not a quantity", path, key);
		e = CMP_NEW(r->a, Flyteidl__Core__Resources__ResourceEntry,
			    flyteidl__core__resources__resource_entry__descriptor);
		e->name = names[i].name;
		e->value = fc_arena_strdup(r->a, json_string_value(v));
		CMP_PUSH(r->a, *entries, *n, e);
	}
	return FC_OK;
}

static Flyteidl__Core__TaskNodeOverrides *overrides(struct rd *r, Flyteidl__Core__Node *n)
{
	if (!n->task_node->overrides)
		n->task_node->overrides = CMP_NEW(r->a, Flyteidl__Core__TaskNodeOverrides,
						  flyteidl__core__task_node_overrides__descriptor);
	return n->task_node->overrides;
}

static Flyteidl__Core__NodeMetadata *metadata(struct rd *r, Flyteidl__Core__Node *n)
{
	if (!n->metadata)
		n->metadata = CMP_NEW(r->a, Flyteidl__Core__NodeMetadata, flyteidl__core__node_metadata__descriptor);
	return n->metadata;
}

static int task_node(struct rd *r, const json_t *spec, Flyteidl__Core__Node *n, const char *path)
{
	const char *ref = jstr(spec, "task");
	const json_t *res = json_object_get(spec, "resources"), *j;
	Flyteidl__Core__Resources *rs = CMP_NEW(r->a, Flyteidl__Core__Resources, flyteidl__core__resources__descriptor);
	const char *s;
	int rc;

	n->target_case = FLYTEIDL__CORE__NODE__TARGET_TASK_NODE;
	n->task_node = CMP_NEW(r->a, Flyteidl__Core__TaskNode, flyteidl__core__task_node__descriptor);
	if (!ref)
		return fc_err_set(r->err, FC_EINVAL, "%s.task: a task node needs a task", path);
	if (!json_object_get(r->tasks, ref))
		return fc_err_set(r->err, FC_EINVAL, "%s.task: task %s is not in tasks", path, ref);
	n->task_node->reference_case = FLYTEIDL__CORE__TASK_NODE__REFERENCE_REFERENCE_ID;
	if ((rc = cmp_fw_identifier_parse(r->a, ref, &n->task_node->reference_id, r->err)))
		return fc_err_prefix(r->err, "%s.task: ", path);
	if (res && !json_is_null(res) && !json_is_object(res))
		return fc_err_set(r->err, FC_EINVAL, "%s.resources: expected an object", path);
	if ((rc = resource_entries(r, json_object_get(res, "limits"), fc_arena_printf(r->a, "%s.resources.limits", path),
				   &rs->limits, &rs->n_limits)) ||
	    (rc = resource_entries(r, json_object_get(res, "requests"),
				   fc_arena_printf(r->a, "%s.resources.requests", path), &rs->requests, &rs->n_requests)))
		return rc;
	if (rs->n_limits || rs->n_requests)
		overrides(r, n)->resources = rs;
	if ((j = json_object_get(spec, "extendedResources")) && !json_is_null(j) &&
	    (rc = decode(r, j, &flyteidl__core__extended_resources__descriptor,
			 fc_arena_printf(r->a, "%s.extendedResources", path), &overrides(r, n)->extended_resources)))
		return rc;
	if ((rc = opt_str(r, spec, "containerImage", path, &s)))
		return rc;
	if (s && *s)
		overrides(r, n)->container_image = fc_arena_strdup(r->a, s);
	if ((j = json_object_get(spec, "podTemplate")) && !json_is_null(j) &&
	    (rc = decode(r, j, &flyteidl__core__k8s_pod__descriptor, fc_arena_printf(r->a, "%s.podTemplate", path),
			 &overrides(r, n)->pod_template)))
		return rc;
	return FC_OK;
}

static int workflow_node(struct rd *r, const json_t *w, Flyteidl__Core__Node *n, const char *path)
{
	Flyteidl__Core__WorkflowNode *wn = CMP_NEW(r->a, Flyteidl__Core__WorkflowNode,
						   flyteidl__core__workflow_node__descriptor);
	const json_t *lp = json_object_get(w, "launchPlanRefId");
	const char *sub = jstr(w, "subWorkflowRef");
	int rc;

	n->target_case = FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE;
	n->workflow_node = wn;
	if (lp && !json_is_null(lp)) {
		wn->reference_case = FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_LAUNCHPLAN_REF;
		return decode(r, lp, &flyteidl__core__identifier__descriptor,
			      fc_arena_printf(r->a, "%s.workflow.launchPlanRefId", path), &wn->launchplan_ref);
	}
	if (!sub)
		return fc_err_set(r->err, FC_EINVAL, "%s.workflow: needs launchPlanRefId or subWorkflowRef", path);
	if (!json_object_get(r->subs, sub))
		return fc_err_set(r->err, FC_EINVAL, "%s.workflow.subWorkflowRef: %s is not in subWorkflows", path, sub);
	wn->reference_case = FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_SUB_WORKFLOW_REF;
	if ((rc = cmp_fw_identifier_parse(r->a, sub, &wn->sub_workflow_ref, r->err)))
		return fc_err_prefix(r->err, "%s.workflow.subWorkflowRef: ", path);
	return FC_OK;
}

static int read_node(struct rd *r, const json_t *spec, const json_t *nodes, const char *path, int depth,
		     Flyteidl__Core__Node **out)
{
	Flyteidl__Core__Node *n = CMP_NEW(r->a, Flyteidl__Core__Node, flyteidl__core__node__descriptor);
	const char *id = jstr(spec, "id"), *kind = jstr(spec, "kind"), *s;
	const json_t *j;
	size_t i;
	int rc;

	if (depth > FC_K8S_READ_MAX_DEPTH)
		return fc_err_set(r->err, FC_ELIMIT, "%s: nodes nested deeper than %d (a branch arm cycle?)", path,
				  FC_K8S_READ_MAX_DEPTH);
	if (!json_is_object(spec))
		return fc_err_set(r->err, FC_EINVAL, "%s: expected a node object", path);
	if (!id || !*id)
		return fc_err_set(r->err, FC_EINVAL, "%s.id: a node needs an id", path);
	if (!kind)
		return fc_err_set(r->err, FC_EINVAL, "%s.kind: a node needs a kind", path);
	n->id = fc_arena_strdup(r->a, id);
	if (nodes) {
		if (json_object_get(r->seen, id))
			return fc_err_set(r->err, FC_EINVAL, "%s: node '%s' is reached twice (a branch arm used twice?)",
					  path, id);
		json_object_set_new(r->seen, id, json_true());
	}
	if ((rc = opt_str(r, spec, "name", path, &s)))
		return rc;
	if (s && *s)
		metadata(r, n)->name = fc_arena_strdup(r->a, s);

	if (!strcmp(kind, "start") || !strcmp(kind, "end")) {
		if (strcmp(id, !strcmp(kind, "start") ? CMP_START_NODE : CMP_END_NODE))
			return fc_err_set(r->err, FC_EINVAL, "%s: a %s node must have the id '%s'", path, kind,
					  !strcmp(kind, "start") ? CMP_START_NODE : CMP_END_NODE);
	} else if (!strcmp(kind, "task")) {
		if ((rc = task_node(r, spec, n, path)))
			return rc;
	} else if (!strcmp(kind, "workflow")) {
		if (!json_is_object(j = json_object_get(spec, "workflow")))
			return fc_err_set(r->err, FC_EINVAL, "%s.workflow: a workflow node needs its reference", path);
		if ((rc = workflow_node(r, j, n, path)))
			return rc;
	} else if (!strcmp(kind, "branch")) {
		n->target_case = FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE;
		if ((rc = branch_node(r, json_object_get(spec, "branch"), nodes, fc_arena_printf(r->a, "%s.branch", path),
				      depth, &n->branch_node)))
			return rc;
	} else if (!strcmp(kind, "gate")) {
		n->target_case = FLYTEIDL__CORE__NODE__TARGET_GATE_NODE;
		if ((rc = gate_node(r, json_object_get(spec, "gate"), fc_arena_printf(r->a, "%s.gate", path),
				    &n->gate_node)))
			return rc;
	} else if (!strcmp(kind, "array")) {
		n->target_case = FLYTEIDL__CORE__NODE__TARGET_ARRAY_NODE;
		if (!json_is_object(j = json_object_get(spec, "array")))
			return fc_err_set(r->err, FC_EINVAL, "%s.array: an array node needs its spec", path);
		if ((rc = array_node(r, j, fc_arena_printf(r->a, "%s.array", path), depth, &n->array_node)))
			return rc;
	} else {
		return fc_err_set(r->err, FC_EINVAL,
				  "%s.kind: unknown node kind '%s' (start, end, task, workflow, branch, gate, array)",
				  path, kind);
	}

	j = json_object_get(spec, "inputBindings");
	if (j && !json_is_null(j) && !json_is_array(j))
		return fc_err_set(r->err, FC_EINVAL, "%s.inputBindings: expected a list", path);
	for (i = 0; i < json_array_size(j); i++) {
		Flyteidl__Core__Binding *b = NULL;

		if ((rc = decode(r, json_array_get(j, i), &flyteidl__core__binding__descriptor,
				 fc_arena_printf(r->a, "%s.inputBindings[%zu]", path, i), &b)))
			return rc;
		CMP_PUSH(r->a, n->inputs, n->n_inputs, b);
	}
	if (json_is_object(j = json_object_get(spec, "retry"))) {
		const json_t *m = json_object_get(j, "minAttempts");

		if (!json_is_integer(m) || json_integer_value(m) < 1 || json_integer_value(m) > UINT32_MAX)
			return fc_err_set(r->err, FC_EINVAL, "%s.retry.minAttempts: expected a positive integer", path);
		metadata(r, n)->retries = CMP_NEW(r->a, Flyteidl__Core__RetryStrategy,
						  flyteidl__core__retry_strategy__descriptor);
		metadata(r, n)->retries->retries = (uint32_t)(json_integer_value(m) - 1);
	}
	j = json_object_get(spec, "outputAlias");
	for (i = 0; i < json_array_size(j); i++) {
		const json_t *al = json_array_get(j, i);
		Flyteidl__Core__Alias *a = CMP_NEW(r->a, Flyteidl__Core__Alias, flyteidl__core__alias__descriptor);

		if ((s = jstr(al, "var")))
			a->var = fc_arena_strdup(r->a, s);
		if ((s = jstr(al, "alias")))
			a->alias = fc_arena_strdup(r->a, s);
		CMP_PUSH(r->a, n->output_aliases, n->n_output_aliases, a);
	}
	if ((rc = opt_str(r, spec, "executionDeadline", path, &s)))
		return rc;
	if (s) {
		int64_t ns;

		if (cmp_fw_go_duration_parse(s, &ns, r->err))
			return fc_err_prefix(r->err, "%s.executionDeadline: ", path);
		metadata(r, n)->timeout = CMP_NEW(r->a, Google__Protobuf__Duration, google__protobuf__duration__descriptor);
		n->metadata->timeout->seconds = ns / 1000000000LL;
		n->metadata->timeout->nanos = (int32_t)(ns % 1000000000LL);
	}
	if (json_is_boolean(j = json_object_get(spec, "interruptible"))) {
		metadata(r, n)->interruptible_value_case = FLYTEIDL__CORE__NODE_METADATA__INTERRUPTIBLE_VALUE_INTERRUPTIBLE;
		n->metadata->interruptible = json_is_true(j);
	}
	*out = n;
	return FC_OK;
}

/* --- workflows --------------------------------------------------------------------------------------------- */

/* One direction of the connections: node id -> list of node ids, into `cs` (upstream or downstream). */
static int id_lists(struct rd *r, const json_t *map, const char *path, bool upstream,
		    Flyteidl__Core__ConnectionSet *cs, const json_t *nodes)
{
	const char *key;
	const json_t *v;

	if (map && !json_is_null(map) && !json_is_object(map))
		return fc_err_set(r->err, FC_EINVAL, "%s: expected a map of node ids", path);
	json_object_foreach((json_t *)map, key, v) {
		Flyteidl__Core__ConnectionSet__IdList *list = CMP_NEW(r->a, Flyteidl__Core__ConnectionSet__IdList,
								      flyteidl__core__connection_set__id_list__descriptor);
		size_t i;
		const json_t *id;

		if (!json_object_get(nodes, key))
			return fc_err_set(r->err, FC_EINVAL, "%s: unknown node '%s'", path, key);
		if (!json_is_null(v) && !json_is_array(v))
			return fc_err_set(r->err, FC_EINVAL, "%s.%s: expected a list of node ids", path, key);
		json_array_foreach(v, i, id) {
			if (!json_is_string(id) || !json_object_get(nodes, json_string_value(id)))
				return fc_err_set(r->err, FC_EINVAL, "%s.%s[%zu]: not a node of this workflow", path,
						  key, i);
			CMP_PUSH(r->a, list->ids, list->n_ids, fc_arena_strdup(r->a, json_string_value(id)));
		}
		if (upstream) {
			Flyteidl__Core__ConnectionSet__UpstreamEntry *e = CMP_NEW(
				r->a, Flyteidl__Core__ConnectionSet__UpstreamEntry,
				flyteidl__core__connection_set__upstream_entry__descriptor);

			e->key = fc_arena_strdup(r->a, key);
			e->value = list;
			CMP_PUSH(r->a, cs->upstream, cs->n_upstream, e);
		} else {
			Flyteidl__Core__ConnectionSet__DownstreamEntry *e = CMP_NEW(
				r->a, Flyteidl__Core__ConnectionSet__DownstreamEntry,
				flyteidl__core__connection_set__downstream_entry__descriptor);

			e->key = fc_arena_strdup(r->a, key);
			e->value = list;
			CMP_PUSH(r->a, cs->downstream, cs->n_downstream, e);
		}
	}
	return FC_OK;
}

/* Mark, in `arms`, every node some branch names as an arm. */
static void collect_arms(const json_t *nodes, json_t *arms)
{
	const char *key, *s;
	const json_t *spec, *blk;
	size_t i;

	json_object_foreach((json_t *)nodes, key, spec) {
		const json_t *br = json_object_get(spec, "branch");

		if (!json_is_object(br))
			continue;
		if ((s = jstr(json_object_get(br, "if"), "then")))
			json_object_set_new(arms, s, json_true());
		json_array_foreach(json_object_get(br, "elseIf"), i, blk)
			if ((s = jstr(blk, "then")))
				json_object_set_new(arms, s, json_true());
		if ((s = jstr(br, "else")))
			json_object_set_new(arms, s, json_true());
	}
}

static int read_workflow(struct rd *r, const json_t *spec, Flyteidl__Core__Identifier *id, const char *path,
			 Flyteidl__Core__CompiledWorkflow **out)
{
	Flyteidl__Core__CompiledWorkflow *cw = CMP_NEW(r->a, Flyteidl__Core__CompiledWorkflow,
						       flyteidl__core__compiled_workflow__descriptor);
	Flyteidl__Core__WorkflowTemplate *t = CMP_NEW(r->a, Flyteidl__Core__WorkflowTemplate,
						      flyteidl__core__workflow_template__descriptor);
	Flyteidl__Core__ConnectionSet *cs = CMP_NEW(r->a, Flyteidl__Core__ConnectionSet,
						    flyteidl__core__connection_set__descriptor);
	const json_t *nodes = json_object_get(spec, "nodes"), *edges, *j, *node;
	json_t *arms = json_object();
	const char *key, *s;
	size_t i;
	int rc = FC_OK;

	cw->template_ = t;
	cw->connections = cs;
	t->id = id;
	t->interface = CMP_NEW(r->a, Flyteidl__Core__TypedInterface, flyteidl__core__typed_interface__descriptor);
	if (!json_is_object(spec)) {
		rc = fc_err_set(r->err, FC_EINVAL, "%s: expected a workflow spec object", path);
		goto out;
	}
	if (!json_is_object(nodes) || !json_object_get(nodes, CMP_START_NODE)) {
		rc = fc_err_set(r->err, FC_EINVAL, "%s.nodes: a workflow needs a map of nodes with a start-node", path);
		goto out;
	}
	if (json_object_size(nodes) > FC_K8S_READ_MAX_NODES) {
		rc = fc_err_set(r->err, FC_ELIMIT, "%s.nodes: more than %u nodes", path, FC_K8S_READ_MAX_NODES);
		goto out;
	}
	collect_arms(nodes, arms);
	json_decref(r->seen);
	r->seen = json_object();
	json_object_foreach((json_t *)nodes, key, node) {
		Flyteidl__Core__Node *n = NULL;
		const char *nid;

		if (json_object_get(arms, key))
			continue;
		if ((rc = read_node(r, node, nodes, fc_arena_printf(r->a, "%s.nodes.%s", path, key), 0, &n)))
			goto out;
		nid = jstr(node, "id");
		if (strcmp(nid, key)) {
			rc = fc_err_set(r->err, FC_EINVAL, "%s.nodes.%s.id: the id '%s' differs from its key", path, key,
					nid);
			goto out;
		}
		CMP_PUSH(r->a, t->nodes, t->n_nodes, n);
	}
	json_object_foreach((json_t *)nodes, key, node) {
		if (!json_object_get(r->seen, key)) {
			rc = fc_err_set(r->err, FC_EINVAL,
					"%s.nodes.%s: no branch of the workflow reaches this arm (a cycle of arms?)", path,
					key);
			goto out;
		}
	}
	edges = json_object_get(spec, "edges");
	if (json_is_object(edges)) {
		if ((rc = id_lists(r, json_object_get(edges, "downstream"),
				   fc_arena_printf(r->a, "%s.edges.downstream", path), false, cs, nodes)) ||
		    (rc = id_lists(r, json_object_get(edges, "upstream"), fc_arena_printf(r->a, "%s.edges.upstream", path),
				   true, cs, nodes)))
			goto out;
	} else if ((rc = id_lists(r, json_object_get(spec, "connections"),
				  fc_arena_printf(r->a, "%s.connections", path), false, cs, nodes))) {
		goto out;
	}
	if (json_is_object(j = json_object_get(spec, "onFailure")) &&
	    (rc = read_node(r, j, NULL, fc_arena_printf(r->a, "%s.onFailure", path), 0, &t->failure_node)))
		goto out;
	if ((j = json_object_get(spec, "outputs")) && !json_is_null(j) &&
	    (rc = decode(r, j, &flyteidl__core__variable_map__descriptor, fc_arena_printf(r->a, "%s.outputs", path),
			 &t->interface->outputs)))
		goto out;
	j = json_object_get(spec, "outputBindings");
	for (i = 0; i < json_array_size(j); i++) {
		Flyteidl__Core__Binding *b = NULL;

		if ((rc = decode(r, json_array_get(j, i), &flyteidl__core__binding__descriptor,
				 fc_arena_printf(r->a, "%s.outputBindings[%zu]", path, i), &b)))
			goto out;
		CMP_PUSH(r->a, t->outputs, t->n_outputs, b);
	}
	if ((s = jstr(spec, "onFailurePolicy"))) {
		const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(
			&flyteidl__core__workflow_metadata__on_failure_policy__descriptor, s);

		if (!ev) {
			rc = fc_err_set(r->err, FC_EINVAL, "%s.onFailurePolicy: unknown policy '%s'", path, s);
			goto out;
		}
		t->metadata = CMP_NEW(r->a, Flyteidl__Core__WorkflowMetadata, flyteidl__core__workflow_metadata__descriptor);
		t->metadata->on_failure = (Flyteidl__Core__WorkflowMetadata__OnFailurePolicy)ev->value;
	}
	*out = cw;
out:
	json_decref(arms);
	json_decref(r->seen);
	r->seen = NULL;
	return rc;
}

/* The workflow's input variables, from the inputs given (the resource keeps no input types). */
static void input_interface(struct rd *r, Flyteidl__Core__TypedInterface *iface, const Flyteidl__Core__LiteralMap *in)
{
	Flyteidl__Core__VariableMap *vm = CMP_NEW(r->a, Flyteidl__Core__VariableMap,
						  flyteidl__core__variable_map__descriptor);
	size_t i;

	for (i = 0; i < in->n_literals; i++) {
		Flyteidl__Core__VariableMap__VariablesEntry *e = CMP_NEW(
			r->a, Flyteidl__Core__VariableMap__VariablesEntry,
			flyteidl__core__variable_map__variables_entry__descriptor);

		e->key = in->literals[i]->key;
		e->value = CMP_NEW(r->a, Flyteidl__Core__Variable, flyteidl__core__variable__descriptor);
		CMP_PUSH(r->a, vm->variables, vm->n_variables, e);
	}
	iface->inputs = vm;
}

static int read_tasks(struct rd *r)
{
	const char *key;
	const json_t *v;
	struct fc_buf text = FC_BUF_INIT;
	int rc = FC_OK;

	json_object_foreach((json_t *)r->tasks, key, v) {
		Flyteidl__Core__CompiledTask *ct = CMP_NEW(r->a, Flyteidl__Core__CompiledTask,
							   flyteidl__core__compiled_task__descriptor);

		if ((rc = decode(r, v, &flyteidl__core__task_template__descriptor,
				 fc_arena_printf(r->a, "tasks[%s]", key), &ct->template_)))
			break;
		fc_buf_reset(&text);
		cmp_fw_identifier_text(ct->template_->id, &text);
		if (strcmp(text.buf, key)) {
			Flyteidl__Core__Identifier *id = NULL;

			/* Go spaces identifier texts at random: compare the parsed forms. */
			if ((rc = cmp_fw_identifier_parse(r->a, key, &id, r->err))) {
				fc_err_prefix(r->err, "tasks: ");
				break;
			}
			fc_buf_reset(&text);
			cmp_fw_identifier_text(id, &text);
			{
				struct fc_buf have = FC_BUF_INIT;

				cmp_fw_identifier_text(ct->template_->id, &have);
				if (strcmp(have.buf, text.buf))
					rc = fc_err_set(r->err, FC_EINVAL, "tasks[%s]: the template's id is %s", key,
							have.buf);
				fc_buf_release(&have);
				if (rc)
					break;
			}
		}
		CMP_PUSH(r->a, r->closure->tasks, r->closure->n_tasks, ct);
	}
	fc_buf_release(&text);
	return rc;
}

static int read_offloaded(struct rd *r, const char *ref, const char *base_dir)
{
	struct fc_buf path = FC_BUF_INIT, data = FC_BUF_INIT;
	Flyteidl__Core__CompiledWorkflowClosure *cl;
	int rc = FC_OK;

	if (strstr(ref, "..") || (base_dir && ref[0] == '/' && strncmp(ref, base_dir, strlen(base_dir)))) {
		rc = fc_err_set(r->err, FC_EPERM, "workflowClosureReference '%s' is outside the data directory", ref);
		goto out;
	}
	if (base_dir && ref[0] != '/')
		fc_buf_addf(&path, "%s/%s", base_dir, ref);
	else
		fc_buf_adds(&path, ref);
	if ((rc = fc_buf_read_file(&data, path.buf, FC_K8S_READ_MAX_CLOSURE_BYTES, r->err))) {
		fc_err_prefix(r->err, "workflowClosureReference: ");
		goto out;
	}
	cl = flyteidl__core__compiled_workflow_closure__unpack(fc_arena_pb_allocator(r->a), data.len,
							       (const uint8_t *)data.buf);
	if (!cl || !cl->primary || !cl->primary->template_) {
		rc = fc_err_set(r->err, FC_EINVAL, "workflowClosureReference '%s': not a compiled workflow closure", ref);
		goto out;
	}
	r->closure = cl;
out:
	fc_buf_release(&path);
	fc_buf_release(&data);
	return rc;
}

void cmp_fw_resource_init(struct cmp_fw_resource *r)
{
	memset(r, 0, sizeof(*r));
	fc_arena_init(&r->arena, 0);
}

void cmp_fw_resource_release(struct cmp_fw_resource *r)
{
	fc_arena_release(&r->arena);
	memset(r, 0, sizeof(*r));
}

static const char *meta_str(struct rd *r, const json_t *md, const char *key)
{
	const char *s = jstr(md, key);

	return fc_arena_strdup(r->a, s ? s : "");
}

/* The object's coordinates and execution id: what identifies it, without its spec or inputs. */
static int read_head(struct rd *r, const json_t *res, struct cmp_fw_resource *out)
{
	struct fc_err *err = r->err;
	const json_t *md, *j;
	const char *s;
	size_t i;

	if (!json_is_object(res))
		return fc_err_set(err, FC_EINVAL, "the resource is not a JSON object");
	if ((s = jstr(res, "apiVersion")) && strcmp(s, CMP_FW_API_VERSION))
		return fc_err_set(err, FC_EINVAL, "apiVersion: '%s' is not %s", s, CMP_FW_API_VERSION);
	md = json_object_get(res, "metadata");
	out->k8s_namespace = meta_str(r, md, "namespace");
	out->name = meta_str(r, md, "name");
	out->uid = meta_str(r, md, "uid");
	out->resource_version = meta_str(r, md, "resourceVersion");
	s = jstr(json_object_get(md, "annotations"), CMP_FW_ADMIN_URL_ANNOTATION);
	out->admin_url = fc_arena_strdup(r->a, s ? s : "");
	out->deleting = json_object_get(md, "deletionTimestamp") != NULL;
	json_array_foreach(json_object_get(md, "finalizers"), i, j)
		if (json_is_string(j) && !strcmp(json_string_value(j), CMP_FW_FINALIZER))
			out->has_finalizer = true;

	/* execution id: executionId when set, else the object's name and Flyte's labels */
	out->exec_id = CMP_NEW(r->a, Flyteidl__Core__WorkflowExecutionIdentifier,
			       flyteidl__core__workflow_execution_identifier__descriptor);
	j = json_object_get(res, "executionId");
	if (j && !json_is_null(j) && !json_is_object(j))
		return fc_err_set(err, FC_EINVAL, "executionId: expected an object");
	if ((s = jstr(j, "name")) && *s) {
		out->exec_id->project = fc_arena_strdup(r->a, (s = jstr(j, "project")) ? s : "");
		out->exec_id->domain = fc_arena_strdup(r->a, (s = jstr(j, "domain")) ? s : "");
		out->exec_id->name = fc_arena_strdup(r->a, jstr(j, "name"));
	} else {
		const json_t *labels = json_object_get(md, "labels");

		out->exec_id->project = fc_arena_strdup(r->a, (s = jstr(labels, "project")) ? s : "");
		out->exec_id->domain = fc_arena_strdup(r->a, (s = jstr(labels, "domain")) ? s : "");
		out->exec_id->name = fc_arena_strdup(r->a, out->name);
	}
	s = jstr(res, "workflowClosureReference");
	out->closure_reference = fc_arena_strdup(r->a, s ? s : "");
	return FC_OK;
}

int cmp_flyteworkflow_read_head(const json_t *res, struct cmp_fw_resource *out, struct fc_err *err)
{
	struct rd r = {0};

	cmp_fw_resource_release(out);
	cmp_fw_resource_init(out);
	r.a = &out->arena;
	r.err = err;
	return read_head(&r, res, out);
}

int cmp_flyteworkflow_read(const json_t *res, const char *base_dir, struct cmp_fw_resource *out, struct fc_err *err)
{
	struct rd r = {0};
	const json_t *j, *spec;
	const char *s;
	int rc;

	cmp_fw_resource_release(out);
	cmp_fw_resource_init(out);
	r.a = &out->arena;
	r.err = err;
	if ((rc = read_head(&r, res, out)))
		return rc;
	/* inputs */
	j = json_object_get(res, "inputs");
	if (j && !json_is_null(j)) {
		if ((rc = decode(&r, j, &flyteidl__core__literal_map__descriptor, "inputs", &out->inputs)))
			return rc;
	} else {
		out->inputs = CMP_NEW(r.a, Flyteidl__Core__LiteralMap, flyteidl__core__literal_map__descriptor);
	}

	s = out->closure_reference;
	spec = json_object_get(res, "spec");
	if ((!spec || json_is_null(spec)) && *s) {
		if ((rc = read_offloaded(&r, s, base_dir)))
			return rc;
		out->closure = r.closure;
		return FC_OK;
	}
	if (!json_is_object(spec))
		return fc_err_set(err, FC_EINVAL, "spec: missing (and no workflowClosureReference)");
	r.tasks = json_object_get(res, "tasks");
	if (r.tasks && !json_is_null(r.tasks) && !json_is_object(r.tasks))
		return fc_err_set(err, FC_EINVAL, "tasks: expected a map of task templates");
	r.subs = json_object_get(res, "subWorkflows");
	if (r.subs && !json_is_null(r.subs) && !json_is_object(r.subs))
		return fc_err_set(err, FC_EINVAL, "subWorkflows: expected a map of workflow specs");
	r.closure = CMP_NEW(r.a, Flyteidl__Core__CompiledWorkflowClosure,
			    flyteidl__core__compiled_workflow_closure__descriptor);
	if ((rc = read_tasks(&r)))
		return rc;
	if (!(s = jstr(spec, "id")))
		return fc_err_set(err, FC_EINVAL, "spec.id: the workflow needs an id");
	if ((rc = read_workflow(&r, spec, wf_id_from_spec_id(r.a, s), "spec", &r.closure->primary)))
		return rc;
	input_interface(&r, r.closure->primary->template_->interface, out->inputs);
	if (json_is_boolean(j = json_object_get(json_object_get(res, "node-defaults"), "interruptible")) &&
	    json_is_true(j)) {
		r.closure->primary->template_->metadata_defaults = CMP_NEW(
			r.a, Flyteidl__Core__WorkflowMetadataDefaults, flyteidl__core__workflow_metadata_defaults__descriptor);
		r.closure->primary->template_->metadata_defaults->interruptible = true;
	}
	{
		const char *key;

		json_object_foreach((json_t *)r.subs, key, j) {
			Flyteidl__Core__Identifier *id = NULL;
			Flyteidl__Core__CompiledWorkflow *sw = NULL;
			char *path = fc_arena_printf(r.a, "subWorkflows[%s]", key);

			if ((rc = cmp_fw_identifier_parse(r.a, key, &id, err)))
				return fc_err_prefix(err, "%s: ", path);
			if ((rc = read_workflow(&r, j, id, path, &sw)))
				return rc;
			CMP_PUSH(r.a, r.closure->sub_workflows, r.closure->n_sub_workflows, sw);
		}
	}
	out->closure = r.closure;
	return FC_OK;
}
