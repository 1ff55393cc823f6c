/* service.c: IDL messages <-> store rows, request checks, launch, events intake. */
#include "admin-lite/service.h"
#include "admin-lite/diff.h"
#include "compiler/compiler.h"
#include "compiler/lit.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/diag.h"
#include "core/err.h"
#include "core/pbjson.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Flyte's admin still fills several fields its IDL marks deprecated (ExecutionClosure.outputs / output_data,
 * NodeExecutionClosure.output_uri, ExecutionSpec.inputs, TaskExecutionEvent.reason): clients read them. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

/* ------------------------------------------------------------------------------------------------------------
 * Small helpers.
 */
Google__Protobuf__Timestamp *adm_timestamp_msg(struct fc_arena *a, int64_t ns)
{
	Google__Protobuf__Timestamp *ts;

	if (!ns)
		return NULL;
	ts = fc_arena_alloc(a, sizeof(*ts));
	google__protobuf__timestamp__init(ts);
	ts->seconds = ns / 1000000000;
	ts->nanos = (int32_t)(ns % 1000000000);
	if (ts->nanos < 0) {
		ts->nanos += 1000000000;
		ts->seconds -= 1;
	}
	return ts;
}

int64_t adm_timestamp_ns(const Google__Protobuf__Timestamp *ts)
{
	if (!ts)
		return 0;
	return ts->seconds * 1000000000 + ts->nanos;
}

static Google__Protobuf__Duration *duration_msg(struct fc_arena *a, int64_t ns)
{
	Google__Protobuf__Duration *d;

	if (!ns)
		return NULL;
	d = fc_arena_alloc(a, sizeof(*d));
	google__protobuf__duration__init(d);
	d->seconds = ns / 1000000000;
	d->nanos = (int32_t)(ns % 1000000000);
	return d;
}

static char *astr(struct fc_arena *a, const char *s)
{
	return s ? fc_arena_strdup(a, s) : (char *)protobuf_c_empty_string;
}

/* A stored message (NULL when absent); one that does not decode is the store's fault, not the caller's. */
static ProtobufCMessage *unpack(struct fc_arena *a, const ProtobufCMessageDescriptor *d, const uint8_t *data,
				size_t len, struct fc_err *err)
{
	void *m = NULL;

	if (data && cmp_pb_unpack(a, d, data, len, &m, NULL))
		fc_err_set(err, FC_EINTERNAL, "store: a stored %s does not decode", d->name);
	return m;
}

Flyteidl__Core__Identifier *adm_identifier_msg(struct fc_arena *a, enum adm_kind kind, const struct adm_id *id)
{
	Flyteidl__Core__Identifier *m = fc_arena_alloc(a, sizeof(*m));

	flyteidl__core__identifier__init(m);
	m->resource_type = (Flyteidl__Core__ResourceType)kind;
	m->project = astr(a, id->project);
	m->domain = astr(a, id->domain);
	m->name = astr(a, id->name);
	m->version = astr(a, id->version);
	return m;
}

Flyteidl__Core__WorkflowExecutionIdentifier *adm_exec_id_msg(struct fc_arena *a, const struct adm_exec_id *id)
{
	Flyteidl__Core__WorkflowExecutionIdentifier *m = fc_arena_alloc(a, sizeof(*m));

	flyteidl__core__workflow_execution_identifier__init(m);
	m->project = astr(a, id->project);
	m->domain = astr(a, id->domain);
	m->name = astr(a, id->name);
	return m;
}

static int id_from_msg(const Flyteidl__Core__Identifier *m, enum adm_kind kind, bool need_version,
		       struct adm_id *out, struct fc_err *err)
{
	if (!m)
		return fc_err_set(err, FC_EINVAL, "id is required");
	if (m->resource_type != FLYTEIDL__CORE__RESOURCE_TYPE__UNSPECIFIED && (int)m->resource_type != (int)kind)
		return fc_err_set(err, FC_EINVAL, "id.resourceType is %d, expected %s", (int)m->resource_type,
				  adm_kind_name(kind));
	out->project = m->project;
	out->domain = m->domain;
	out->name = m->name;
	out->version = m->version;
	return adm_check_id(out, need_version, err) ? fc_err_prefix(err, "id: ") : 0;
}

static int exec_id_from_msg(const Flyteidl__Core__WorkflowExecutionIdentifier *m, struct adm_exec_id *out,
			    struct fc_err *err)
{
	if (!m)
		return fc_err_set(err, FC_EINVAL, "execution id is required");
	out->project = m->project;
	out->domain = m->domain;
	out->name = m->name;
	if (adm_check_project(out->project, err))
		return fc_err_prefix(err, "execution id: ");
	if (adm_check_project(out->domain, NULL))
		return fc_err_set(err, FC_EINVAL, "execution id: domain '%s' is not valid", out->domain);
	return adm_check_name("execution name", out->name, err);
}

/* ------------------------------------------------------------------------------------------------------------
 * Registration.
 */
static int render_json(const ProtobufCMessage *m, struct fc_buf *out)
{
	return fc_pbjson_encode_buf(m, FC_PBJSON_PRETTY, out, NULL);
}

static int register_common(struct adm_store *s, enum adm_kind kind, const struct adm_id *id,
			   const ProtobufCMessage *spec, const ProtobufCMessage *closure, const char *source,
			   const struct cmp_schedule_policy *policy, bool has_schedule, bool *created,
			   struct fc_buf *diff, struct fc_err *err)
{
	struct fc_arena a;
	struct adm_entity e, existing;
	int rc;

	fc_arena_init(&a, 0);
	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.id = *id;
	e.spec = cmp_pb_pack_arena(&a, spec, &e.spec_len);
	if (closure)
		e.closure = cmp_pb_pack_arena(&a, closure, &e.closure_len);
	e.source = source;
	e.has_schedule = has_schedule;
	if (policy) {
		e.policy = *policy;
		e.policy_set = true;
	}
	memset(&existing, 0, sizeof(existing));
	rc = adm_entity_register(s, &e, created, &a, &existing, err);
	if (rc == FC_ECONFLICT && diff && existing.spec) {
		ProtobufCMessage *old = unpack(&a, spec->descriptor, existing.spec, existing.spec_len, NULL);
		struct fc_buf old_json = FC_BUF_INIT, new_json = FC_BUF_INIT;

		if (old && !render_json(old, &old_json) && !render_json(spec, &new_json)) {
			fc_buf_addch(&old_json, '\n');
			fc_buf_addch(&new_json, '\n');
			adm_diff_lines("registered", old_json.buf, "new", new_json.buf, 3, diff);
		}
		fc_buf_release(&old_json);
		fc_buf_release(&new_json);
	}
	fc_arena_release(&a);
	return rc;
}

int adm_register_task(struct adm_store *s, const Flyteidl__Core__Identifier *idm,
		      const Flyteidl__Core__CompiledTask *task, const char *source, bool *created, struct fc_buf *diff,
		      struct fc_err *err)
{
	struct adm_id id;
	int rc = id_from_msg(idm, ADM_TASK, true, &id, err);

	if (rc)
		return rc;
	if (!task || !task->template_)
		return fc_err_set(err, FC_EINVAL, "task %s has no template", id.name);
	return register_common(s, ADM_TASK, &id, &task->base, NULL, source, NULL, false, created, diff, err);
}

int adm_register_workflow(struct adm_store *s, const Flyteidl__Core__Identifier *idm,
			  const Flyteidl__Core__CompiledWorkflowClosure *closure, const char *source, bool *created,
			  struct fc_buf *diff, struct fc_err *err)
{
	struct adm_id id;
	int rc = id_from_msg(idm, ADM_WORKFLOW, true, &id, err);

	if (rc)
		return rc;
	if (!closure || !closure->primary || !closure->primary->template_)
		return fc_err_set(err, FC_EINVAL, "workflow %s has no primary template", id.name);
	return register_common(s, ADM_WORKFLOW, &id, &closure->base, NULL, source, NULL, false, created, diff, err);
}

/* The expected outputs of a registered workflow. */
static int workflow_outputs(struct adm_store *s, const Flyteidl__Core__Identifier *wid, struct fc_arena *a,
			    Flyteidl__Core__VariableMap **out, struct fc_err *err)
{
	Flyteidl__Core__CompiledWorkflowClosure *wc;
	struct adm_entity wf;
	struct adm_id id;
	int rc;

	*out = NULL;
	rc = id_from_msg(wid, ADM_WORKFLOW, true, &id, err);
	if (rc)
		return fc_err_prefix(err, "launch plan workflowId: ");
	rc = adm_entity_get(s, ADM_WORKFLOW, &id, a, &wf, err);
	if (rc)
		return rc == FC_ENOENT ? fc_err_set(err, FC_EINVAL, "launch plan refers to workflow %s/%s/%s@%s, "
						    "which is not registered", id.project, id.domain, id.name,
						    id.version)
				       : rc;
	wc = (Flyteidl__Core__CompiledWorkflowClosure *)unpack(a, &flyteidl__core__compiled_workflow_closure__descriptor,
								wf.spec, wf.spec_len, err);
	if (!wc)
		return FC_EINTERNAL;
	if (wc->primary && wc->primary->template_ && wc->primary->template_->interface)
		*out = wc->primary->template_->interface->outputs;
	return 0;
}

int adm_register_launch_plan(struct adm_store *s, const Flyteidl__Admin__LaunchPlan *lp,
			     const struct cmp_schedule_policy *policy, const char *source, bool *created,
			     struct fc_buf *diff, struct fc_err *err)
{
	Flyteidl__Admin__LaunchPlanClosure closure = FLYTEIDL__ADMIN__LAUNCH_PLAN_CLOSURE__INIT;
	struct fc_arena a;
	struct adm_id id;
	int rc;

	if (!lp)
		return fc_err_set(err, FC_EINVAL, "launch plan is required");
	rc = id_from_msg(lp->id, ADM_LAUNCH_PLAN, true, &id, err);
	if (rc)
		return rc;
	if (!lp->spec || !lp->spec->workflow_id)
		return fc_err_set(err, FC_EINVAL, "launch plan %s has no spec.workflowId", id.name);
	fc_arena_init(&a, 0);
	if (lp->closure && (lp->closure->expected_inputs || lp->closure->expected_outputs)) {
		closure.expected_inputs = lp->closure->expected_inputs;
		closure.expected_outputs = lp->closure->expected_outputs;
	} else {
		closure.expected_inputs = lp->spec->default_inputs;
		rc = workflow_outputs(s, lp->spec->workflow_id, &a, &closure.expected_outputs, err);
		if (rc)
			goto out;
	}
	rc = register_common(s, ADM_LAUNCH_PLAN, &id, &lp->spec->base, &closure.base, source, policy,
			     lp->spec->entity_metadata && lp->spec->entity_metadata->schedule, created, diff, err);
out:
	fc_arena_release(&a);
	return rc;
}

int adm_create_task(struct adm_store *s, const Flyteidl__Admin__TaskCreateRequest *req, bool *created,
		    struct fc_buf *diff, struct fc_err *err)
{
	Flyteidl__Core__CompiledTask ct = FLYTEIDL__CORE__COMPILED_TASK__INIT;

	if (!req->spec || !req->spec->template_)
		return fc_err_set(err, FC_EINVAL, "spec.template is required");
	ct.template_ = req->spec->template_;
	return adm_register_task(s, req->id, &ct, NULL, created, diff, err);
}

/* --- assembling a workflow closure for WorkflowCreateRequest --- */
struct wf_builder {
	struct adm_store *s;
	struct fc_arena *a;
	Flyteidl__Core__CompiledTask **tasks;
	size_t ntasks, atasks;
	char **seen;
	size_t nseen, aseen;
	int rc;
	struct fc_err *err;
};

static void collect_task(struct wf_builder *b, const Flyteidl__Core__Identifier *ref)
{
	struct adm_entity e;
	struct adm_id id;
	char *key;
	size_t i;

	if (b->rc)
		return;
	b->rc = id_from_msg(ref, ADM_TASK, true, &id, b->err);
	if (b->rc) {
		fc_err_prefix(b->err, "task node reference: ");
		return;
	}
	key = fc_arena_printf(b->a, "%s/%s/%s/%s", id.project, id.domain, id.name, id.version);
	for (i = 0; i < b->nseen; i++)
		if (!strcmp(b->seen[i], key))
			return;
	FC_ALLOC_GROW(b->seen, b->nseen + 1, b->aseen);
	b->seen[b->nseen++] = key;
	b->rc = adm_entity_get(b->s, ADM_TASK, &id, b->a, &e, b->err);
	if (b->rc) {
		if (b->rc == FC_ENOENT)
			b->rc = fc_err_set(b->err, FC_EINVAL, "task %s referenced by the workflow is not registered",
					   key);
		return;
	}
	FC_ALLOC_GROW(b->tasks, b->ntasks + 1, b->atasks);
	b->tasks[b->ntasks] = (Flyteidl__Core__CompiledTask *)unpack(b->a, &flyteidl__core__compiled_task__descriptor,
								      e.spec, e.spec_len, b->err);
	if (!b->tasks[b->ntasks])
		b->rc = FC_EINTERNAL;
	else
		b->ntasks++;
}

static void walk_node(struct wf_builder *b, const Flyteidl__Core__Node *n, int depth)
{
	size_t i;

	if (!n || b->rc)
		return;
	if (depth > 64) {
		b->rc = fc_err_set(b->err, FC_ELIMIT, "nodes nested deeper than 64 levels");
		return;
	}
	switch (n->target_case) {
	case FLYTEIDL__CORE__NODE__TARGET_TASK_NODE:
		if (n->task_node && n->task_node->reference_case == FLYTEIDL__CORE__TASK_NODE__REFERENCE_REFERENCE_ID)
			collect_task(b, n->task_node->reference_id);
		break;
	case FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE:
		if (n->branch_node && n->branch_node->if_else) {
			const Flyteidl__Core__IfElseBlock *ie = n->branch_node->if_else;

			if (ie->case_)
				walk_node(b, ie->case_->then_node, depth + 1);
			for (i = 0; i < ie->n_other; i++)
				walk_node(b, ie->other[i]->then_node, depth + 1);
			if (ie->default_case == FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ELSE_NODE)
				walk_node(b, ie->else_node, depth + 1);
		}
		break;
	case FLYTEIDL__CORE__NODE__TARGET_ARRAY_NODE:
		if (n->array_node)
			walk_node(b, n->array_node->node, depth + 1);
		break;
	default:
		break;
	}
}

static void walk_template(struct wf_builder *b, const Flyteidl__Core__WorkflowTemplate *t)
{
	size_t i;

	for (i = 0; i < t->n_nodes; i++)
		walk_node(b, t->nodes[i], 0);
	walk_node(b, t->failure_node, 0);
}

struct idlist {
	char *key;
	char **ids;
	size_t n, alloc;
};

static void idlist_add(struct idlist *l, char *id)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->ids[i], id))
			return;
	FC_ALLOC_GROW(l->ids, l->n + 1, l->alloc);
	l->ids[l->n++] = id;
}

static void binding_deps(const Flyteidl__Core__BindingData *b, struct idlist *l, int depth)
{
	size_t i;

	if (!b || depth > 64)
		return;
	switch (b->value_case) {
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_PROMISE:
		if (b->promise && b->promise->node_id && *b->promise->node_id)
			idlist_add(l, b->promise->node_id);
		break;
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_COLLECTION:
		for (i = 0; b->collection && i < b->collection->n_bindings; i++)
			binding_deps(b->collection->bindings[i], l, depth + 1);
		break;
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_MAP:
		for (i = 0; b->map && i < b->map->n_bindings; i++)
			binding_deps(b->map->bindings[i]->value, l, depth + 1);
		break;
	default:
		break;
	}
}

static bool is_terminal_node(const char *id)
{
	return !strcmp(id, "start-node") || !strcmp(id, "end-node");
}

/*
 * A template as Flyte's compiler leaves it: start-node and end-node added (end-node binds the workflow outputs),
 * and connections from upstream_node_ids and the nodes each input binding reads from; nodes that depend on
 * nothing hang off start-node, nodes nothing depends on feed end-node.
 */
static Flyteidl__Core__CompiledWorkflow *compiled_wf(struct fc_arena *a, const Flyteidl__Core__WorkflowTemplate *in)
{
	Flyteidl__Core__CompiledWorkflow *cw = fc_arena_alloc(a, sizeof(*cw));
	Flyteidl__Core__WorkflowTemplate *t = fc_arena_memdup(a, in, sizeof(*in));
	Flyteidl__Core__ConnectionSet *cs = fc_arena_alloc(a, sizeof(*cs));
	Flyteidl__Core__Node *start = fc_arena_alloc(a, sizeof(*start)), *end = fc_arena_alloc(a, sizeof(*end));
	struct idlist *up, *down;
	size_t i, j, n = 0;
	bool *has_down;

	flyteidl__core__compiled_workflow__init(cw);
	flyteidl__core__connection_set__init(cs);
	flyteidl__core__node__init(start);
	flyteidl__core__node__init(end);
	start->id = (char *)"start-node";
	end->id = (char *)"end-node";
	end->n_inputs = in->n_outputs;
	end->inputs = in->outputs;
	t->nodes = fc_arena_array(a, in->n_nodes + 3, sizeof(*t->nodes));
	t->nodes[n++] = start;
	t->nodes[n++] = end;
	for (i = 0; i < in->n_nodes; i++)
		if (!is_terminal_node(in->nodes[i]->id))
			t->nodes[n++] = in->nodes[i];
	t->n_nodes = n;
	/* upstream lists, index-aligned with t->nodes */
	up = fc_xcalloc(n, sizeof(*up));
	down = fc_xcalloc(n, sizeof(*down));
	has_down = fc_xcalloc(n, sizeof(*has_down));
	for (i = 2; i < n; i++) {
		const Flyteidl__Core__Node *nd = t->nodes[i];

		up[i].key = nd->id;
		for (j = 0; j < nd->n_upstream_node_ids; j++)
			idlist_add(&up[i], nd->upstream_node_ids[j]);
		for (j = 0; j < nd->n_inputs; j++)
			binding_deps(nd->inputs[j]->binding, &up[i], 0);
		if (!up[i].n)
			idlist_add(&up[i], (char *)"start-node");
	}
	up[1].key = (char *)"end-node";
	for (j = 0; j < in->n_outputs; j++)
		binding_deps(in->outputs[j]->binding, &up[1], 0);
	for (i = 2; i < n; i++)
		for (j = 0; j < up[i].n; j++) {
			size_t k;

			for (k = 0; k < n; k++)
				if (!strcmp(t->nodes[k]->id, up[i].ids[j]))
					has_down[k] = true;
		}
	for (j = 0; j < up[1].n; j++)
		for (i = 0; i < n; i++)
			if (!strcmp(t->nodes[i]->id, up[1].ids[j]))
				has_down[i] = true;
	for (i = 2; i < n; i++)
		if (!has_down[i])
			idlist_add(&up[1], t->nodes[i]->id);
	/* downstream = upstream reversed */
	for (i = 0; i < n; i++)
		down[i].key = t->nodes[i]->id;
	for (i = 1; i < n; i++)
		for (j = 0; j < up[i].n; j++) {
			size_t k;

			for (k = 0; k < n; k++)
				if (!strcmp(t->nodes[k]->id, up[i].ids[j]))
					idlist_add(&down[k], t->nodes[i]->id);
		}
	cs->upstream = fc_arena_array(a, n + 1, sizeof(*cs->upstream));
	cs->downstream = fc_arena_array(a, n + 1, sizeof(*cs->downstream));
	for (i = 0; i < n; i++) {
		if (up[i].n) {
			Flyteidl__Core__ConnectionSet__UpstreamEntry *e = fc_arena_alloc(a, sizeof(*e));
			Flyteidl__Core__ConnectionSet__IdList *l = fc_arena_alloc(a, sizeof(*l));

			flyteidl__core__connection_set__upstream_entry__init(e);
			flyteidl__core__connection_set__id_list__init(l);
			e->key = up[i].key;
			l->n_ids = up[i].n;
			l->ids = fc_arena_memdup(a, up[i].ids, up[i].n * sizeof(char *));
			e->value = l;
			cs->upstream[cs->n_upstream++] = e;
		}
		if (down[i].n) {
			Flyteidl__Core__ConnectionSet__DownstreamEntry *e = fc_arena_alloc(a, sizeof(*e));
			Flyteidl__Core__ConnectionSet__IdList *l = fc_arena_alloc(a, sizeof(*l));

			flyteidl__core__connection_set__downstream_entry__init(e);
			flyteidl__core__connection_set__id_list__init(l);
			e->key = down[i].key;
			l->n_ids = down[i].n;
			l->ids = fc_arena_memdup(a, down[i].ids, down[i].n * sizeof(char *));
			e->value = l;
			cs->downstream[cs->n_downstream++] = e;
		}
		free(up[i].ids);
		free(down[i].ids);
	}
	free(up);
	free(down);
	free(has_down);
	cw->template_ = t;
	cw->connections = cs;
	return cw;
}

/*
 * Run the compiler's checks on a WorkflowCreateRequest, the same checks a spec in the watched repository gets
 * (binding types with Flyte's castability rules, references, cycles, unreachable nodes, names): the spec goes in
 * as the admin.WorkflowSpec it is, with the registered tasks it references as admin.TaskSpec messages. FC_ESPEC
 * with the compiler's diagnostics (error[Code]) when it does not compile.
 */
static int compile_check(const Flyteidl__Admin__WorkflowCreateRequest *req, Flyteidl__Core__CompiledTask **tasks,
			 size_t ntasks, struct fc_err *err)
{
	struct cmp_options opts;
	struct cmp_session *cs;
	struct fc_buf name = FC_BUF_INIT;
	size_t i, len;
	uint8_t *bytes;
	int rc = 0;

	memset(&opts, 0, sizeof(opts));
	opts.project = req->id->project;
	opts.domain = req->id->domain;
	cs = cmp_session_new(&opts);
	for (i = 0; i < ntasks; i++) {
		Flyteidl__Admin__TaskSpec ts = FLYTEIDL__ADMIN__TASK_SPEC__INIT;

		if (!tasks[i]->template_)
			continue;
		ts.template_ = tasks[i]->template_;
		len = protobuf_c_message_get_packed_size(&ts.base);
		bytes = fc_xmalloc(len + 1);
		protobuf_c_message_pack(&ts.base, bytes);
		bytes[len] = 0;
		fc_buf_reset(&name);
		fc_buf_addf(&name, "registered-task-%zu_1.pb", i);
		cmp_add_source_take(cs, name.buf, (char *)bytes, len);
	}
	len = protobuf_c_message_get_packed_size(&req->spec->base);
	bytes = fc_xmalloc(len + 1);
	protobuf_c_message_pack(&req->spec->base, bytes);
	bytes[len] = 0;
	fc_buf_reset(&name);
	fc_buf_addf(&name, "request-%s_2.pb", req->id->name);
	cmp_add_source_take(cs, name.buf, (char *)bytes, len);
	if (cmp_compile(cs)) {
		struct fc_diags *d = cmp_diags(cs);
		struct fc_buf text = FC_BUF_INIT;

		for (i = 0; i < d->nr; i++) {
			const struct fc_diag *dg = &d->items[i];

			if (dg->sev != FC_SEV_ERROR)
				continue;
			fc_buf_addf(&text, "%serror[%s]: %s%s%s", text.len ? "; " : "", dg->code, dg->node ? "node " : "",
				    dg->node ? dg->node : "", dg->node ? ": " : "");
			fc_buf_adds(&text, dg->msg);
		}
		rc = fc_err_set(err, FC_ESPEC, "workflow %s does not compile: %s", req->id->name, text.buf);
		fc_buf_release(&text);
	}
	fc_buf_release(&name);
	cmp_session_free(cs);
	return rc;
}

int adm_create_workflow(struct adm_store *s, const Flyteidl__Admin__WorkflowCreateRequest *req, bool *created,
			struct fc_buf *diff, struct fc_err *err)
{
	Flyteidl__Core__CompiledWorkflowClosure closure = FLYTEIDL__CORE__COMPILED_WORKFLOW_CLOSURE__INIT;
	struct wf_builder b;
	struct fc_arena a;
	struct adm_id id;
	size_t i;
	int rc;

	rc = id_from_msg(req->id, ADM_WORKFLOW, true, &id, err);
	if (rc)
		return rc;
	if (!req->spec || !req->spec->template_)
		return fc_err_set(err, FC_EINVAL, "spec.template is required");
	if (!req->spec->template_->n_nodes)
		return fc_err_set(err, FC_EINVAL, "spec.template has no nodes");
	for (i = 0; i < req->spec->template_->n_nodes; i++)
		if (!req->spec->template_->nodes[i]->id || !*req->spec->template_->nodes[i]->id)
			return fc_err_set(err, FC_EINVAL, "spec.template.nodes[%zu] has no id", i);
	fc_arena_init(&a, 0);
	memset(&b, 0, sizeof(b));
	b.s = s;
	b.a = &a;
	b.err = err;
	walk_template(&b, req->spec->template_);
	for (i = 0; i < req->spec->n_sub_workflows; i++)
		walk_template(&b, req->spec->sub_workflows[i]);
	rc = b.rc;
	if (!rc)
		rc = compile_check(req, b.tasks, b.ntasks, err);
	if (rc)
		goto out;
	closure.primary = compiled_wf(&a, req->spec->template_);
	closure.n_sub_workflows = req->spec->n_sub_workflows;
	closure.sub_workflows = fc_arena_array(&a, closure.n_sub_workflows + 1, sizeof(*closure.sub_workflows));
	for (i = 0; i < req->spec->n_sub_workflows; i++)
		closure.sub_workflows[i] = compiled_wf(&a, req->spec->sub_workflows[i]);
	closure.n_tasks = b.ntasks;
	closure.tasks = b.tasks;
	rc = adm_register_workflow(s, req->id, &closure, NULL, created, diff, err);
out:
	free(b.tasks);
	free(b.seen);
	fc_arena_release(&a);
	return rc;
}

int adm_create_launch_plan(struct adm_store *s, const Flyteidl__Admin__LaunchPlanCreateRequest *req, bool *created,
			   struct fc_buf *diff, struct fc_err *err)
{
	Flyteidl__Admin__LaunchPlan lp = FLYTEIDL__ADMIN__LAUNCH_PLAN__INIT;

	lp.id = req->id;
	lp.spec = req->spec;
	return adm_register_launch_plan(s, &lp, NULL, NULL, created, diff, err);
}

/* ------------------------------------------------------------------------------------------------------------
 * Rows as messages.
 */
int adm_task_msg(const struct adm_entity *e, struct fc_arena *a, Flyteidl__Admin__Task **out, struct fc_err *err)
{
	Flyteidl__Admin__Task *m = fc_arena_alloc(a, sizeof(*m));
	Flyteidl__Admin__TaskClosure *c = fc_arena_alloc(a, sizeof(*c));

	flyteidl__admin__task__init(m);
	flyteidl__admin__task_closure__init(c);
	m->id = adm_identifier_msg(a, ADM_TASK, &e->id);
	c->compiled_task = (Flyteidl__Core__CompiledTask *)unpack(a, &flyteidl__core__compiled_task__descriptor, e->spec,
								   e->spec_len, err);
	if (!c->compiled_task)
		return FC_EINTERNAL;
	c->created_at = adm_timestamp_msg(a, e->created_at);
	m->closure = c;
	*out = m;
	return 0;
}

int adm_workflow_msg(const struct adm_entity *e, struct fc_arena *a, Flyteidl__Admin__Workflow **out,
		     struct fc_err *err)
{
	Flyteidl__Admin__Workflow *m = fc_arena_alloc(a, sizeof(*m));
	Flyteidl__Admin__WorkflowClosure *c = fc_arena_alloc(a, sizeof(*c));

	flyteidl__admin__workflow__init(m);
	flyteidl__admin__workflow_closure__init(c);
	m->id = adm_identifier_msg(a, ADM_WORKFLOW, &e->id);
	c->compiled_workflow = (Flyteidl__Core__CompiledWorkflowClosure *)unpack(
		a, &flyteidl__core__compiled_workflow_closure__descriptor, e->spec, e->spec_len, err);
	if (!c->compiled_workflow)
		return FC_EINTERNAL;
	c->created_at = adm_timestamp_msg(a, e->created_at);
	m->closure = c;
	*out = m;
	return 0;
}

int adm_launch_plan_msg(const struct adm_entity *e, struct fc_arena *a, Flyteidl__Admin__LaunchPlan **out,
			struct fc_err *err)
{
	Flyteidl__Admin__LaunchPlan *m = fc_arena_alloc(a, sizeof(*m));
	Flyteidl__Admin__LaunchPlanClosure *c = NULL;

	flyteidl__admin__launch_plan__init(m);
	m->id = adm_identifier_msg(a, ADM_LAUNCH_PLAN, &e->id);
	m->spec = (Flyteidl__Admin__LaunchPlanSpec *)unpack(a, &flyteidl__admin__launch_plan_spec__descriptor, e->spec,
							     e->spec_len, err);
	if (!m->spec)
		return FC_EINTERNAL;
	if (e->closure)
		c = (Flyteidl__Admin__LaunchPlanClosure *)unpack(a, &flyteidl__admin__launch_plan_closure__descriptor,
								  e->closure, e->closure_len, err);
	if (!c) {
		c = fc_arena_alloc(a, sizeof(*c));
		flyteidl__admin__launch_plan_closure__init(c);
	}
	c->state = e->state ? FLYTEIDL__ADMIN__LAUNCH_PLAN_STATE__ACTIVE : FLYTEIDL__ADMIN__LAUNCH_PLAN_STATE__INACTIVE;
	c->created_at = adm_timestamp_msg(a, e->created_at);
	c->updated_at = adm_timestamp_msg(a, e->updated_at);
	m->closure = c;
	*out = m;
	return 0;
}

int adm_execution_msg(const struct adm_execution *x, struct fc_arena *a, Flyteidl__Admin__Execution **out,
		      struct fc_err *err)
{
	Flyteidl__Admin__Execution *m = fc_arena_alloc(a, sizeof(*m));
	Flyteidl__Admin__ExecutionClosure *c = fc_arena_alloc(a, sizeof(*c));

	flyteidl__admin__execution__init(m);
	flyteidl__admin__execution_closure__init(c);
	m->id = adm_exec_id_msg(a, &x->id);
	m->spec = (Flyteidl__Admin__ExecutionSpec *)unpack(a, &flyteidl__admin__execution_spec__descriptor, x->spec,
							    x->spec_len, err);
	if (!m->spec)
		return FC_EINTERNAL;
	c->phase = (Flyteidl__Core__WorkflowExecution__Phase)x->phase;
	c->created_at = adm_timestamp_msg(a, x->created_at);
	c->started_at = adm_timestamp_msg(a, x->started_at);
	c->updated_at = adm_timestamp_msg(a, x->updated_at);
	c->duration = duration_msg(a, x->duration_ns);
	if (x->workflow.name)
		c->workflow_id = adm_identifier_msg(a, ADM_WORKFLOW, &x->workflow);
	if (x->error) {
		c->error = (Flyteidl__Core__ExecutionError *)unpack(a, &flyteidl__core__execution_error__descriptor,
								     x->error, x->error_len, err);
		if (c->error)
			c->output_result_case = FLYTEIDL__ADMIN__EXECUTION_CLOSURE__OUTPUT_RESULT_ERROR;
	} else if (x->abort_cause) {
		Flyteidl__Admin__AbortMetadata *am = fc_arena_alloc(a, sizeof(*am));

		flyteidl__admin__abort_metadata__init(am);
		am->cause = astr(a, x->abort_cause);
		am->principal = astr(a, x->abort_principal);
		c->abort_metadata = am;
		c->output_result_case = FLYTEIDL__ADMIN__EXECUTION_CLOSURE__OUTPUT_RESULT_ABORT_METADATA;
	} else if (x->outputs) {
		c->output_data = (Flyteidl__Core__LiteralMap *)unpack(a, &flyteidl__core__literal_map__descriptor,
								       x->outputs, x->outputs_len, err);
		if (c->output_data)
			c->output_result_case = FLYTEIDL__ADMIN__EXECUTION_CLOSURE__OUTPUT_RESULT_OUTPUT_DATA;
	} else if (x->output_uri) {
		Flyteidl__Admin__LiteralMapBlob *blob = fc_arena_alloc(a, sizeof(*blob));

		flyteidl__admin__literal_map_blob__init(blob);
		blob->uri = astr(a, x->output_uri);
		blob->data_case = FLYTEIDL__ADMIN__LITERAL_MAP_BLOB__DATA_URI;
		c->outputs = blob;
		c->output_result_case = FLYTEIDL__ADMIN__EXECUTION_CLOSURE__OUTPUT_RESULT_OUTPUTS;
	}
	m->closure = c;
	*out = m;
	return 0;
}

int adm_node_execution_msg(const struct adm_node_execution *n, struct fc_arena *a,
			   Flyteidl__Admin__NodeExecution **out, struct fc_err *err)
{
	Flyteidl__Admin__NodeExecution *m = fc_arena_alloc(a, sizeof(*m));
	Flyteidl__Admin__NodeExecutionClosure *c = fc_arena_alloc(a, sizeof(*c));
	Flyteidl__Admin__NodeExecutionMetaData *md = fc_arena_alloc(a, sizeof(*md));
	Flyteidl__Core__NodeExecutionIdentifier *id = fc_arena_alloc(a, sizeof(*id));

	flyteidl__admin__node_execution__init(m);
	flyteidl__admin__node_execution_closure__init(c);
	flyteidl__admin__node_execution_meta_data__init(md);
	flyteidl__core__node_execution_identifier__init(id);
	id->node_id = astr(a, n->node_id);
	id->execution_id = adm_exec_id_msg(a, &n->exec);
	m->id = id;
	m->input_uri = astr(a, n->input_uri);
	c->phase = (Flyteidl__Core__NodeExecution__Phase)n->phase;
	c->created_at = adm_timestamp_msg(a, n->created_at);
	c->started_at = adm_timestamp_msg(a, n->started_at);
	c->updated_at = adm_timestamp_msg(a, n->updated_at);
	c->duration = duration_msg(a, n->duration_ns);
	if (n->error) {
		c->error = (Flyteidl__Core__ExecutionError *)unpack(a, &flyteidl__core__execution_error__descriptor,
								     n->error, n->error_len, err);
		if (c->error)
			c->output_result_case = FLYTEIDL__ADMIN__NODE_EXECUTION_CLOSURE__OUTPUT_RESULT_ERROR;
	} else if (n->outputs) {
		c->output_data = (Flyteidl__Core__LiteralMap *)unpack(a, &flyteidl__core__literal_map__descriptor,
								       n->outputs, n->outputs_len, err);
		if (c->output_data)
			c->output_result_case = FLYTEIDL__ADMIN__NODE_EXECUTION_CLOSURE__OUTPUT_RESULT_OUTPUT_DATA;
	} else if (n->output_uri) {
		c->output_uri = astr(a, n->output_uri);
		c->output_result_case = FLYTEIDL__ADMIN__NODE_EXECUTION_CLOSURE__OUTPUT_RESULT_OUTPUT_URI;
	}
	md->retry_group = astr(a, n->retry_group);
	md->spec_node_id = astr(a, n->spec_node_id);
	md->is_parent_node = n->is_parent;
	md->is_dynamic = n->is_dynamic;
	md->is_array = n->is_array;
	m->closure = c;
	m->metadata = md;
	*out = m;
	return 0;
}

int adm_task_execution_msg(const struct adm_task_execution *t, struct fc_arena *a,
			   Flyteidl__Admin__TaskExecution **out, struct fc_err *err)
{
	Flyteidl__Admin__TaskExecution *m = fc_arena_alloc(a, sizeof(*m));
	Flyteidl__Admin__TaskExecutionClosure *c = fc_arena_alloc(a, sizeof(*c));
	Flyteidl__Core__TaskExecutionIdentifier *id = fc_arena_alloc(a, sizeof(*id));
	Flyteidl__Core__NodeExecutionIdentifier *nid = fc_arena_alloc(a, sizeof(*nid));
	Flyteidl__Event__TaskExecutionEvent *last = NULL;

	flyteidl__admin__task_execution__init(m);
	flyteidl__admin__task_execution_closure__init(c);
	flyteidl__core__task_execution_identifier__init(id);
	flyteidl__core__node_execution_identifier__init(nid);
	nid->node_id = astr(a, t->node_id);
	nid->execution_id = adm_exec_id_msg(a, &t->exec);
	id->node_execution_id = nid;
	id->task_id = adm_identifier_msg(a, ADM_TASK, &t->task);
	id->retry_attempt = t->retry_attempt;
	m->id = id;
	m->input_uri = astr(a, t->input_uri);
	c->phase = (Flyteidl__Core__TaskExecution__Phase)t->phase;
	c->created_at = adm_timestamp_msg(a, t->created_at);
	c->started_at = adm_timestamp_msg(a, t->started_at);
	c->updated_at = adm_timestamp_msg(a, t->updated_at);
	c->duration = duration_msg(a, t->duration_ns);
	c->reason = astr(a, t->reason);
	c->task_type = astr(a, t->task_type);
	if (t->last_event)
		last = (Flyteidl__Event__TaskExecutionEvent *)unpack(a, &flyteidl__event__task_execution_event__descriptor,
								      t->last_event, t->last_event_len, NULL);
	if (last) {
		c->n_logs = last->n_logs;
		c->logs = last->logs;
		c->custom_info = last->custom_info;
		c->metadata = last->metadata;
		c->event_version = last->event_version;
		c->log_context = last->log_context;
	}
	if (t->error) {
		c->error = (Flyteidl__Core__ExecutionError *)unpack(a, &flyteidl__core__execution_error__descriptor,
								     t->error, t->error_len, err);
		if (c->error)
			c->output_result_case = FLYTEIDL__ADMIN__TASK_EXECUTION_CLOSURE__OUTPUT_RESULT_ERROR;
	} else if (t->outputs) {
		c->output_data = (Flyteidl__Core__LiteralMap *)unpack(a, &flyteidl__core__literal_map__descriptor,
								       t->outputs, t->outputs_len, err);
		if (c->output_data)
			c->output_result_case = FLYTEIDL__ADMIN__TASK_EXECUTION_CLOSURE__OUTPUT_RESULT_OUTPUT_DATA;
	} else if (t->output_uri) {
		c->output_uri = astr(a, t->output_uri);
		c->output_result_case = FLYTEIDL__ADMIN__TASK_EXECUTION_CLOSURE__OUTPUT_RESULT_OUTPUT_URI;
	}
	m->closure = c;
	*out = m;
	return 0;
}

int adm_signal_msg(const struct adm_signal *g, struct fc_arena *a, Flyteidl__Admin__Signal **out,
		   struct fc_err *err)
{
	Flyteidl__Admin__Signal *m = fc_arena_alloc(a, sizeof(*m));
	Flyteidl__Core__SignalIdentifier *id = fc_arena_alloc(a, sizeof(*id));

	flyteidl__admin__signal__init(m);
	flyteidl__core__signal_identifier__init(id);
	id->signal_id = astr(a, g->signal_id);
	id->execution_id = adm_exec_id_msg(a, &g->exec);
	m->id = id;
	m->type = (Flyteidl__Core__LiteralType *)unpack(a, &flyteidl__core__literal_type__descriptor, g->type,
							 g->type_len, err);
	if (g->value)
		m->value = (Flyteidl__Core__Literal *)unpack(a, &flyteidl__core__literal__descriptor, g->value,
							      g->value_len, err);
	*out = m;
	return 0;
}

/* ------------------------------------------------------------------------------------------------------------
 * Launching.
 */
void adm_generate_name(char out[21])
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char rnd[20];
	size_t i;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	bool ok = fd >= 0 && read(fd, rnd, sizeof(rnd)) == (ssize_t)sizeof(rnd);

	if (fd >= 0)
		close(fd);
	if (!ok) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		for (i = 0; i < sizeof(rnd); i++)
			rnd[i] = (unsigned char)((uint64_t)ts.tv_nsec * (i + 7) >> (i % 8));
	}
	out[0] = alnum[rnd[0] % 26];
	for (i = 1; i < 20; i++)
		out[i] = alnum[rnd[i] % 36];
	out[20] = '\0';
}

static const Flyteidl__Core__Parameter *param_get(const Flyteidl__Core__ParameterMap *m, const char *key)
{
	size_t i;

	for (i = 0; m && i < m->n_parameters; i++)
		if (!strcmp(m->parameters[i]->key, key))
			return m->parameters[i]->value;
	return NULL;
}

/* Resolve the launch plan and build the execution row (not yet stored). */
static int prepare_launch(struct adm_store *s, const Flyteidl__Admin__ExecutionCreateRequest *req, int mode,
			  struct fc_arena *a, struct adm_execution *x, struct fc_err *err)
{
	const Flyteidl__Core__LiteralMap *given;
	Flyteidl__Admin__LaunchPlanSpec *lps;
	Flyteidl__Admin__LaunchPlanClosure *lpc = NULL;
	const Flyteidl__Core__ParameterMap *expected;
	Flyteidl__Core__LiteralMap *inputs = cmp_litmap_new(a);
	Flyteidl__Admin__ExecutionSpec *spec = fc_arena_alloc(a, sizeof(*spec));
	Flyteidl__Admin__ExecutionMetadata *md = fc_arena_alloc(a, sizeof(*md));
	struct adm_entity lp;
	struct adm_id lpid;
	size_t i;
	char *name;
	int rc;

	memset(x, 0, sizeof(*x));
	if (adm_check_project(req->project, err))
		return fc_err_prefix(err, "project: ");
	if (adm_check_project(req->domain, NULL))
		return fc_err_set(err, FC_EINVAL, "domain '%s' is not valid", req->domain);
	if (!req->spec || !req->spec->launch_plan)
		return fc_err_set(err, FC_EINVAL, "spec.launchPlan is required");
	/* the execution's project must exist: a launch never creates one */
	rc = adm_check_scope(s, req->project, req->domain, true, err);
	if (rc)
		return rc;
	rc = id_from_msg(req->spec->launch_plan, ADM_LAUNCH_PLAN, false, &lpid, err);
	if (rc)
		return fc_err_prefix(err, "spec.launchPlan: ");
	if (!lpid.version || !*lpid.version) {
		rc = adm_launch_plan_get_active(s, &lpid, a, &lp, NULL);
		if (rc == FC_ENOENT)
			rc = adm_entity_get(s, ADM_LAUNCH_PLAN, &lpid, a, &lp, err);
	} else {
		rc = adm_entity_get(s, ADM_LAUNCH_PLAN, &lpid, a, &lp, err);
	}
	if (rc == FC_ENOENT && err)
		err->code = FC_EINVAL; /* a request naming a launch plan that does not exist is a bad request */
	if (rc)
		return rc == FC_ENOENT ? FC_EINVAL : rc;
	lps = (Flyteidl__Admin__LaunchPlanSpec *)unpack(a, &flyteidl__admin__launch_plan_spec__descriptor, lp.spec,
							 lp.spec_len, err);
	if (!lps)
		return FC_EINTERNAL;
	if (lp.closure)
		lpc = (Flyteidl__Admin__LaunchPlanClosure *)unpack(a, &flyteidl__admin__launch_plan_closure__descriptor,
								    lp.closure, lp.closure_len, err);
	expected = lpc && lpc->expected_inputs ? lpc->expected_inputs : lps->default_inputs;
	given = req->inputs ? req->inputs : req->spec->inputs;

	for (i = 0; given && i < given->n_literals; i++) {
		const char *key = given->literals[i]->key;
		const Flyteidl__Core__Parameter *p = param_get(expected, key);

		if (cmp_litmap_get(lps->fixed_inputs, key))
			return fc_err_set(err, FC_EINVAL, "input '%s' is fixed by launch plan %s and cannot be given", key,
					  lp.id.name);
		if (!p)
			return fc_err_set(err, FC_EINVAL, "unknown input '%s' for launch plan %s", key, lp.id.name);
		if (p->var && !cmp_lit_matches(p->var->type, given->literals[i]->value))
			return fc_err_set(err, FC_EINVAL, "input '%s' does not match its declared type", key);
		cmp_litmap_put(a, inputs, key, given->literals[i]->value);
	}
	for (i = 0; expected && i < expected->n_parameters; i++) {
		const char *key = expected->parameters[i]->key;
		const Flyteidl__Core__Parameter *p = expected->parameters[i]->value;

		if (cmp_litmap_get(given, key) || cmp_litmap_get(lps->fixed_inputs, key))
			continue;
		if (p && p->behavior_case == FLYTEIDL__CORE__PARAMETER__BEHAVIOR_DEFAULT && p->default_)
			cmp_litmap_put(a, inputs, key, p->default_);
		else if (p && p->behavior_case == FLYTEIDL__CORE__PARAMETER__BEHAVIOR_REQUIRED && p->required)
			return fc_err_set(err, FC_EINVAL, "input '%s' is required by launch plan %s", key, lp.id.name);
	}
	for (i = 0; lps->fixed_inputs && i < lps->fixed_inputs->n_literals; i++)
		cmp_litmap_put(a, inputs, lps->fixed_inputs->literals[i]->key, lps->fixed_inputs->literals[i]->value);

	*spec = *req->spec;
	spec->launch_plan = adm_identifier_msg(a, ADM_LAUNCH_PLAN, &lp.id);
	spec->inputs = NULL;
	if (req->spec->metadata)
		*md = *req->spec->metadata;
	else
		flyteidl__admin__execution_metadata__init(md);
	md->mode = (Flyteidl__Admin__ExecutionMetadata__ExecutionMode)mode;
	spec->metadata = md;

	if (req->name && *req->name) {
		name = fc_arena_strdup(a, req->name);
	} else {
		name = fc_arena_alloc(a, 21);
		adm_generate_name(name);
	}
	x->id.project = req->project;
	x->id.domain = req->domain;
	x->id.name = name;
	x->launch_plan = lp.id;
	if (lps->workflow_id) {
		x->workflow.project = lps->workflow_id->project;
		x->workflow.domain = lps->workflow_id->domain;
		x->workflow.name = lps->workflow_id->name;
		x->workflow.version = lps->workflow_id->version;
	}
	x->spec = cmp_pb_pack_arena(a, &spec->base, &x->spec_len);
	x->inputs = cmp_pb_pack_arena(a, &inputs->base, &x->inputs_len);
	x->mode = mode;
	x->scheduled_at = adm_timestamp_ns(md->scheduled_at);
	return 0;
}

int adm_launch(struct adm_store *s, const Flyteidl__Admin__ExecutionCreateRequest *req, int mode,
	       struct fc_arena *a, struct adm_exec_id *out, struct fc_err *err)
{
	struct adm_execution x;
	int rc = prepare_launch(s, req, mode, a, &x, err);

	if (!rc)
		rc = adm_execution_create(s, &x, err);
	if (!rc && out)
		*out = x.id;
	return rc;
}

int adm_launch_scheduled(struct adm_store *s, const Flyteidl__Admin__ExecutionCreateRequest *req, int64_t slot,
			 struct fc_arena *a, struct adm_exec_id *out, struct fc_err *err)
{
	struct adm_execution x;
	struct adm_id name;
	int rc = prepare_launch(s, req, FLYTEIDL__ADMIN__EXECUTION_METADATA__EXECUTION_MODE__SCHEDULED, a, &x, err);

	if (rc)
		return rc;
	name = x.launch_plan;
	name.version = NULL;
	rc = adm_schedule_fire(s, &name, slot, &x, err);
	if (!rc && out)
		*out = x.id;
	return rc;
}

int adm_relaunch(struct adm_store *s, const Flyteidl__Admin__ExecutionRelaunchRequest *req, struct fc_arena *a,
		 struct adm_exec_id *out, struct fc_err *err)
{
	Flyteidl__Admin__ExecutionSpec *spec;
	Flyteidl__Admin__ExecutionMetadata *md = fc_arena_alloc(a, sizeof(*md));
	struct adm_execution old, x;
	struct adm_exec_id id;
	char *name;
	int rc;

	rc = exec_id_from_msg(req->id, &id, err);
	if (rc)
		return rc;
	rc = adm_execution_get(s, &id, a, &old, err);
	if (rc)
		return rc;
	spec = (Flyteidl__Admin__ExecutionSpec *)unpack(a, &flyteidl__admin__execution_spec__descriptor, old.spec,
							 old.spec_len, err);
	if (!spec)
		return FC_EINTERNAL;
	if (spec->metadata)
		*md = *spec->metadata;
	else
		flyteidl__admin__execution_metadata__init(md);
	md->mode = FLYTEIDL__ADMIN__EXECUTION_METADATA__EXECUTION_MODE__RELAUNCH;
	md->reference_execution = adm_exec_id_msg(a, &id);
	spec->metadata = md;
	spec->overwrite_cache = req->overwrite_cache;
	if (req->name && *req->name) {
		name = fc_arena_strdup(a, req->name);
	} else {
		name = fc_arena_alloc(a, 21);
		adm_generate_name(name);
	}
	x = old;
	x.id.name = name;
	x.spec = cmp_pb_pack_arena(a, &spec->base, &x.spec_len);
	x.mode = FLYTEIDL__ADMIN__EXECUTION_METADATA__EXECUTION_MODE__RELAUNCH;
	rc = adm_execution_create(s, &x, err);
	if (!rc && out)
		*out = x.id;
	return rc;
}

/* ------------------------------------------------------------------------------------------------------------
 * Events intake.
 */
static int intake_workflow_event(struct adm_store *s, const Flyteidl__Event__WorkflowExecutionEvent *ev,
			      bool *applied, struct fc_err *err)
{
	struct adm_wf_event w;
	struct fc_arena a;
	int rc;

	*applied = false;
	memset(&w, 0, sizeof(w));
	rc = exec_id_from_msg(ev->execution_id, &w.exec, err);
	if (rc)
		return fc_err_prefix(err, "executionId: ");
	fc_arena_init(&a, 0);
	w.phase = (int)ev->phase;
	w.occurred_at = adm_timestamp_ns(ev->occurred_at);
	w.producer_id = ev->producer_id;
	switch (ev->output_result_case) {
	case FLYTEIDL__EVENT__WORKFLOW_EXECUTION_EVENT__OUTPUT_RESULT_OUTPUT_URI:
		w.output_uri = ev->output_uri;
		break;
	case FLYTEIDL__EVENT__WORKFLOW_EXECUTION_EVENT__OUTPUT_RESULT_ERROR:
		w.error = cmp_pb_pack_arena(&a, &ev->error->base, &w.error_len);
		break;
	case FLYTEIDL__EVENT__WORKFLOW_EXECUTION_EVENT__OUTPUT_RESULT_OUTPUT_DATA:
		w.outputs = cmp_pb_pack_arena(&a, &ev->output_data->base, &w.outputs_len);
		break;
	default:
		break;
	}
	w.raw = cmp_pb_pack_arena(&a, &ev->base, &w.raw_len);
	rc = adm_event_workflow(s, &w, applied, err);
	fc_arena_release(&a);
	return rc;
}

static int intake_node_event(struct adm_store *s, const Flyteidl__Event__NodeExecutionEvent *ev, bool *applied,
			  struct fc_err *err)
{
	struct adm_node_event n;
	struct fc_arena a;
	int rc;

	*applied = false;
	memset(&n, 0, sizeof(n));
	if (!ev->id)
		return fc_err_set(err, FC_EINVAL, "id is required");
	rc = exec_id_from_msg(ev->id->execution_id, &n.exec, err);
	if (rc)
		return fc_err_prefix(err, "id.executionId: ");
	rc = adm_check_name("id.nodeId", ev->id->node_id, err);
	if (rc)
		return rc;
	fc_arena_init(&a, 0);
	n.node_id = ev->id->node_id;
	n.phase = (int)ev->phase;
	n.occurred_at = adm_timestamp_ns(ev->occurred_at);
	if (ev->input_value_case == FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__INPUT_VALUE_INPUT_URI)
		n.input_uri = ev->input_uri;
	switch (ev->output_result_case) {
	case FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__OUTPUT_RESULT_OUTPUT_URI:
		n.output_uri = ev->output_uri;
		break;
	case FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__OUTPUT_RESULT_ERROR:
		n.error = cmp_pb_pack_arena(&a, &ev->error->base, &n.error_len);
		break;
	case FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__OUTPUT_RESULT_OUTPUT_DATA:
		n.outputs = cmp_pb_pack_arena(&a, &ev->output_data->base, &n.outputs_len);
		break;
	default:
		break;
	}
	n.spec_node_id = ev->spec_node_id;
	n.retry_group = ev->retry_group;
	n.parent_node_id = ev->parent_node_metadata ? ev->parent_node_metadata->node_id : NULL;
	n.node_name = ev->node_name;
	n.is_parent = ev->is_parent;
	n.is_dynamic = ev->is_dynamic;
	n.is_array = ev->is_array;
	n.raw = cmp_pb_pack_arena(&a, &ev->base, &n.raw_len);
	rc = adm_event_node(s, &n, applied, err);
	fc_arena_release(&a);
	return rc;
}

static int intake_task_event(struct adm_store *s, const Flyteidl__Event__TaskExecutionEvent *ev, bool *applied,
			  struct fc_err *err)
{
	struct adm_task_event t;
	struct fc_arena a;
	int rc;

	*applied = false;
	memset(&t, 0, sizeof(t));
	if (!ev->parent_node_execution_id)
		return fc_err_set(err, FC_EINVAL, "parentNodeExecutionId is required");
	rc = exec_id_from_msg(ev->parent_node_execution_id->execution_id, &t.exec, err);
	if (rc)
		return fc_err_prefix(err, "parentNodeExecutionId.executionId: ");
	rc = id_from_msg(ev->task_id, ADM_TASK, true, &t.task, err);
	if (rc)
		return fc_err_prefix(err, "taskId: ");
	fc_arena_init(&a, 0);
	t.node_id = ev->parent_node_execution_id->node_id;
	t.retry_attempt = ev->retry_attempt;
	t.phase = (int)ev->phase;
	t.phase_version = ev->phase_version;
	t.occurred_at = adm_timestamp_ns(ev->occurred_at);
	if (ev->input_value_case == FLYTEIDL__EVENT__TASK_EXECUTION_EVENT__INPUT_VALUE_INPUT_URI)
		t.input_uri = ev->input_uri;
	switch (ev->output_result_case) {
	case FLYTEIDL__EVENT__TASK_EXECUTION_EVENT__OUTPUT_RESULT_OUTPUT_URI:
		t.output_uri = ev->output_uri;
		break;
	case FLYTEIDL__EVENT__TASK_EXECUTION_EVENT__OUTPUT_RESULT_ERROR:
		t.error = cmp_pb_pack_arena(&a, &ev->error->base, &t.error_len);
		break;
	case FLYTEIDL__EVENT__TASK_EXECUTION_EVENT__OUTPUT_RESULT_OUTPUT_DATA:
		t.outputs = cmp_pb_pack_arena(&a, &ev->output_data->base, &t.outputs_len);
		break;
	default:
		break;
	}
	t.task_type = ev->task_type;
	t.reason = ev->n_reasons ? ev->reasons[ev->n_reasons - 1]->reason : ev->reason;
	t.raw = cmp_pb_pack_arena(&a, &ev->base, &t.raw_len);
	rc = adm_event_task(s, &t, applied, err);
	fc_arena_release(&a);
	return rc;
}

int adm_intake_event(struct adm_store *s, const ProtobufCMessage *ev, bool *applied, struct fc_err *err)
{
	*applied = false;
	if (!ev)
		return fc_err_set(err, FC_EINVAL, "event: no message");
	if (ev->descriptor == &flyteidl__event__workflow_execution_event__descriptor)
		return intake_workflow_event(s, (const Flyteidl__Event__WorkflowExecutionEvent *)ev, applied, err);
	if (ev->descriptor == &flyteidl__event__node_execution_event__descriptor)
		return intake_node_event(s, (const Flyteidl__Event__NodeExecutionEvent *)ev, applied, err);
	if (ev->descriptor == &flyteidl__event__task_execution_event__descriptor)
		return intake_task_event(s, (const Flyteidl__Event__TaskExecutionEvent *)ev, applied, err);
	return fc_err_set(err, FC_EINVAL, "event: %s is not an execution event", ev->descriptor->name);
}
