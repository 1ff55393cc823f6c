/* service.c: IDL messages <-> store rows, request checks, launch, events intake. */
#include "admin-lite/service.h"
#include "admin-lite/diff.h"
#include "admin-lite/query.h"
#include "compiler/compiler.h"
#include "compiler/lit.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/pbpack.h"
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

/* --- registrations through the API: compiled like the repository's ------------------------------------------ */
/* The registered tasks a workflow's nodes call, for the compiler. */
struct wf_builder {
	struct adm_store *s;
	struct fc_arena *a;
	const ProtobufCMessage **deps; /* TaskSpec, LaunchPlan or CompiledWorkflowClosure messages, in the arena */
	size_t ndeps, adeps;
	char **seen;
	size_t nseen, aseen;
	unsigned in_closure; /* walking a stored closure: its tasks are in it already */
	int rc;
	struct fc_err *err;
};

static const char *const kind_words[] = {
	[ADM_TASK] = "task",
	[ADM_WORKFLOW] = "workflow",
	[ADM_LAUNCH_PLAN] = "launch plan",
};

static void walk_template(struct wf_builder *b, const Flyteidl__Core__WorkflowTemplate *t);

static void add_dep(struct wf_builder *b, const ProtobufCMessage *m)
{
	FC_ALLOC_GROW(b->deps, b->ndeps + 1, b->adeps);
	b->deps[b->ndeps++] = m;
}

/*
 * Give the compiler a registered entity a workflow references, once: a task (as its TaskSpec), a launch plan (with
 * its workflow), or a workflow (its closure, and what that references in turn). A task or launch plan that is not
 * registered is a bad request; a sub-workflow that is not may still be in the request's spec.subWorkflows, so it
 * is left to the compiler.
 */
static void collect(struct wf_builder *b, enum adm_kind kind, const Flyteidl__Core__Identifier *ref)
{
	struct adm_entity e;
	struct adm_id id;
	void *m = NULL;
	char *key;
	size_t i;

	if (b->rc)
		return;
	b->rc = id_from_msg(ref, kind, true, &id, b->err);
	if (b->rc) {
		fc_err_prefix(b->err, "%s reference: ", kind_words[kind]);
		return;
	}
	key = fc_arena_printf(b->a, "%d %s/%s/%s/%s", (int)kind, id.project, id.domain, id.name, id.version);
	for (i = 0; i < b->nseen; i++)
		if (!strcmp(b->seen[i], key))
			return;
	FC_ALLOC_GROW(b->seen, b->nseen + 1, b->aseen);
	b->seen[b->nseen++] = key;
	b->rc = adm_entity_get(b->s, kind, &id, b->a, &e, b->err);
	if (b->rc == FC_ENOENT && kind == ADM_WORKFLOW) {
		fc_err_clear(b->err);
		b->rc = 0;
		return;
	}
	if (b->rc) {
		if (b->rc == FC_ENOENT)
			b->rc = fc_err_set(b->err, FC_EINVAL, "%s %s/%s/%s/%s referenced by the workflow is not registered",
					   kind_words[kind], id.project, id.domain, id.name, id.version);
		return;
	}
	switch (kind) {
	case ADM_TASK: {
		Flyteidl__Admin__TaskSpec *ts = fc_arena_alloc(b->a, sizeof(*ts));

		m = unpack(b->a, &flyteidl__core__compiled_task__descriptor, e.spec, e.spec_len, b->err);
		if (!m)
			break;
		flyteidl__admin__task_spec__init(ts);
		ts->template_ = ((Flyteidl__Core__CompiledTask *)m)->template_;
		add_dep(b, &ts->base);
		return;
	}
	case ADM_WORKFLOW: {
		Flyteidl__Core__CompiledWorkflowClosure *wc;

		m = unpack(b->a, &flyteidl__core__compiled_workflow_closure__descriptor, e.spec, e.spec_len, b->err);
		if (!m)
			break;
		wc = m;
		add_dep(b, &wc->base);
		b->in_closure++;
		if (wc->primary && wc->primary->template_)
			walk_template(b, wc->primary->template_);
		for (i = 0; i < wc->n_sub_workflows; i++)
			if (wc->sub_workflows[i]->template_)
				walk_template(b, wc->sub_workflows[i]->template_);
		b->in_closure--;
		return;
	}
	case ADM_LAUNCH_PLAN: {
		Flyteidl__Admin__LaunchPlan *lp = fc_arena_alloc(b->a, sizeof(*lp));

		m = unpack(b->a, &flyteidl__admin__launch_plan_spec__descriptor, e.spec, e.spec_len, b->err);
		if (!m)
			break;
		flyteidl__admin__launch_plan__init(lp);
		lp->id = adm_identifier_msg(b->a, ADM_LAUNCH_PLAN, &e.id);
		lp->spec = m;
		add_dep(b, &lp->base);
		if (lp->spec->workflow_id)
			collect(b, ADM_WORKFLOW, lp->spec->workflow_id);
		return;
	}
	}
	b->rc = FC_EINTERNAL;
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
		if (!b->in_closure && n->task_node &&
		    n->task_node->reference_case == FLYTEIDL__CORE__TASK_NODE__REFERENCE_REFERENCE_ID)
			collect(b, ADM_TASK, n->task_node->reference_id);
		break;
	case FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE:
		if (n->workflow_node &&
		    n->workflow_node->reference_case == FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_LAUNCHPLAN_REF)
			collect(b, ADM_LAUNCH_PLAN, n->workflow_node->launchplan_ref);
		else if (n->workflow_node &&
			 n->workflow_node->reference_case == FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_SUB_WORKFLOW_REF)
			collect(b, ADM_WORKFLOW, n->workflow_node->sub_workflow_ref);
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

/* Where the compiler saw the request's message: pyflyte's file names say which message a .pb holds. */
static const char *const request_file[] = {
	[ADM_TASK] = "request_1.pb",
	[ADM_WORKFLOW] = "request_2.pb",
	[ADM_LAUNCH_PLAN] = "request_3.pb",
};

/* Give the compiler a message as an in-memory protobuf file. */
static void add_pb(struct cmp_session *cs, const char *name, const ProtobufCMessage *m)
{
	struct fc_buf b = FC_BUF_INIT;
	size_t len = fc_pb_pack(m, &b);
	char *bytes = fc_buf_detach(&b, NULL);

	cmp_add_source_take(cs, name, bytes, len);
}

static bool same_id(const Flyteidl__Core__Identifier *x, const Flyteidl__Core__Identifier *y)
{
	return x && y && !strcmp(x->project, y->project) && !strcmp(x->domain, y->domain) &&
	       !strcmp(x->name, y->name) && !strcmp(x->version, y->version);
}

/* The compiled entity of `kind` whose identifier is `id`, registered under it; FC_EINTERNAL if there is none. */
static int register_compiled(struct adm_store *s, struct cmp_session *cs, enum adm_kind kind,
			     const Flyteidl__Core__Identifier *id, bool *created, struct fc_buf *diff, struct fc_err *err)
{
	size_t i;

	switch (kind) {
	case ADM_TASK:
		for (i = 0; i < cmp_task_count(cs); i++) {
			const struct cmp_task_result *t = cmp_task_at(cs, i);

			if (t->compiled && t->compiled->template_ && same_id(t->compiled->template_->id, id))
				return adm_register_task(s, id, t->compiled, NULL, created, diff, err);
		}
		break;
	case ADM_WORKFLOW:
		for (i = 0; i < cmp_workflow_count(cs); i++) {
			const struct cmp_workflow_result *w = cmp_workflow_at(cs, i);

			if (w->closure && w->closure->primary && w->closure->primary->template_ &&
			    same_id(w->closure->primary->template_->id, id))
				return adm_register_workflow(s, id, w->closure, NULL, created, diff, err);
		}
		break;
	case ADM_LAUNCH_PLAN:
		for (i = 0; i < cmp_launch_plan_count(cs); i++) {
			const struct cmp_launch_plan_result *r = cmp_launch_plan_at(cs, i);

			if (r->launch_plan && same_id(r->launch_plan->id, id))
				return adm_register_launch_plan(s, r->launch_plan, NULL, NULL, created, diff, err);
		}
		break;
	}
	return fc_err_set(err, FC_EINTERNAL, "%s %s did not come out of the compiler", kind_words[kind], id->name);
}

/*
 * The one way an API registration is compiled and stored: the request's message (a TaskSpec, a WorkflowSpec or a
 * LaunchPlan, its identifier set to the request's) goes to a compiler session with what it references from the
 * store (`deps`, collected by collect()), with the versions the client gave kept (cmp_options.keep_versions). The
 * compiler checks it as it checks a spec of the watched repository and builds what is stored (a workflow's
 * closure: start and end nodes, node interfaces, connections, the tasks embedded), so both doors store the same
 * bytes for the same entity and report the same errors: FC_ESPEC with the compiler's diagnostics (error[Code])
 * when it does not compile.
 */
static int register_request(struct adm_store *s, enum adm_kind kind, const Flyteidl__Core__Identifier *id,
			    const ProtobufCMessage *msg, const struct wf_builder *b, bool *created, struct fc_buf *diff,
			    struct fc_err *err)
{
	struct cmp_options opts;
	struct cmp_session *cs;
	struct fc_buf name = FC_BUF_INIT;
	size_t i;
	int rc;

	memset(&opts, 0, sizeof(opts));
	opts.project = id->project;
	opts.domain = id->domain;
	opts.keep_versions = true;
	cs = cmp_session_new(&opts);
	for (i = 0; i < b->ndeps; i++) {
		const ProtobufCMessageDescriptor *d = b->deps[i]->descriptor;

		fc_buf_reset(&name);
		/* pyflyte's suffixes say what a .pb holds; a closure is recognised by its content */
		fc_buf_addf(&name, "registered-%zu%s.pb", i,
			    d == &flyteidl__admin__task_spec__descriptor	  ? "_1"
			    : d == &flyteidl__admin__launch_plan__descriptor ? "_3"
									      : "");
		add_pb(cs, name.buf, b->deps[i]);
	}
	fc_buf_release(&name);
	add_pb(cs, request_file[kind], msg);
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
		rc = fc_err_set(err, FC_ESPEC, "%s %s does not compile: %s", kind_words[kind], id->name, text.buf);
		fc_buf_release(&text);
	} else {
		rc = register_compiled(s, cs, kind, id, created, diff, err);
	}
	cmp_session_free(cs);
	return rc;
}

/* The request's identifier on a copy of its template (the compiler versions what it compiles by its id). */
static Flyteidl__Core__Identifier *request_id(struct fc_arena *a, const Flyteidl__Core__Identifier *id,
					      Flyteidl__Core__ResourceType type)
{
	Flyteidl__Core__Identifier *c = cmp_pb_copy(a, &id->base);

	c->resource_type = type;
	return c;
}

static void builder_init(struct wf_builder *b, struct adm_store *s, struct fc_arena *a, struct fc_err *err)
{
	memset(b, 0, sizeof(*b));
	b->s = s;
	b->a = a;
	b->err = err;
}

static void builder_release(struct wf_builder *b)
{
	free(b->deps);
	free(b->seen);
}

int adm_create_task(struct adm_store *s, const Flyteidl__Admin__TaskCreateRequest *req, bool *created,
		    struct fc_buf *diff, struct fc_err *err)
{
	Flyteidl__Admin__TaskSpec *spec;
	struct wf_builder b;
	struct fc_arena a;
	struct adm_id id;
	int rc;

	rc = id_from_msg(req->id, ADM_TASK, true, &id, err);
	if (rc)
		return rc;
	if (!req->spec || !req->spec->template_)
		return fc_err_set(err, FC_EINVAL, "spec.template is required");
	fc_arena_init(&a, 0);
	builder_init(&b, s, &a, err);
	spec = cmp_pb_copy(&a, &req->spec->base);
	spec->template_->id = request_id(&a, req->id, FLYTEIDL__CORE__RESOURCE_TYPE__TASK);
	rc = register_request(s, ADM_TASK, req->id, &spec->base, &b, created, diff, err);
	builder_release(&b);
	fc_arena_release(&a);
	return rc;
}

int adm_create_workflow(struct adm_store *s, const Flyteidl__Admin__WorkflowCreateRequest *req, bool *created,
			struct fc_buf *diff, struct fc_err *err)
{
	Flyteidl__Admin__WorkflowSpec *spec;
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
	builder_init(&b, s, &a, err);
	walk_template(&b, req->spec->template_);
	for (i = 0; i < req->spec->n_sub_workflows; i++)
		walk_template(&b, req->spec->sub_workflows[i]);
	rc = b.rc;
	if (!rc) {
		spec = cmp_pb_copy(&a, &req->spec->base);
		spec->template_->id = request_id(&a, req->id, FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW);
		rc = register_request(s, ADM_WORKFLOW, req->id, &spec->base, &b, created, diff, err);
	}
	builder_release(&b);
	fc_arena_release(&a);
	return rc;
}

int adm_create_launch_plan(struct adm_store *s, const Flyteidl__Admin__LaunchPlanCreateRequest *req, bool *created,
			   struct fc_buf *diff, struct fc_err *err)
{
	Flyteidl__Admin__LaunchPlan lp = FLYTEIDL__ADMIN__LAUNCH_PLAN__INIT;
	struct wf_builder b;
	struct adm_entity wf;
	struct fc_arena a;
	struct adm_id id, wid;
	int rc;

	rc = id_from_msg(req->id, ADM_LAUNCH_PLAN, true, &id, err);
	if (rc)
		return rc;
	if (!req->spec || !req->spec->workflow_id)
		return fc_err_set(err, FC_EINVAL, "launch plan %s has no spec.workflowId", id.name);
	rc = id_from_msg(req->spec->workflow_id, ADM_WORKFLOW, true, &wid, err);
	if (rc)
		return fc_err_prefix(err, "launch plan workflowId: ");
	fc_arena_init(&a, 0);
	builder_init(&b, s, &a, err);
	rc = adm_entity_get(s, ADM_WORKFLOW, &wid, &a, &wf, err);
	if (rc == FC_ENOENT)
		rc = fc_err_set(err, FC_EINVAL, "launch plan refers to workflow %s/%s/%s@%s, which is not registered",
				wid.project, wid.domain, wid.name, wid.version);
	if (!rc) {
		collect(&b, ADM_WORKFLOW, req->spec->workflow_id);
		rc = b.rc;
	}
	if (!rc) {
		lp.id = request_id(&a, req->id, FLYTEIDL__CORE__RESOURCE_TYPE__LAUNCH_PLAN);
		lp.spec = req->spec;
		rc = register_request(s, ADM_LAUNCH_PLAN, req->id, &lp.base, &b, created, diff, err);
	}
	builder_release(&b);
	fc_arena_release(&a);
	return rc;
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

int adm_entity_msg(const struct adm_entity *e, struct fc_arena *a, ProtobufCMessage **out, struct fc_err *err)
{
	switch (e->kind) {
	case ADM_TASK:
		return adm_task_msg(e, a, (Flyteidl__Admin__Task **)out, err);
	case ADM_WORKFLOW:
		return adm_workflow_msg(e, a, (Flyteidl__Admin__Workflow **)out, err);
	case ADM_LAUNCH_PLAN:
		return adm_launch_plan_msg(e, a, (Flyteidl__Admin__LaunchPlan **)out, err);
	}
	return fc_err_set(err, FC_EINTERNAL, "unknown kind");
}

ProtobufCMessage *adm_entity_list_msg(enum adm_kind kind, struct fc_arena *a, ProtobufCMessage **items, size_t n,
				      const char *next)
{
	/* each list holds its items as field 1 and the token as field 2 */
	static const ProtobufCMessageDescriptor *const lists[] = {
		[ADM_TASK] = &flyteidl__admin__task_list__descriptor,
		[ADM_WORKFLOW] = &flyteidl__admin__workflow_list__descriptor,
		[ADM_LAUNCH_PLAN] = &flyteidl__admin__launch_plan_list__descriptor,
	};
	const ProtobufCMessageDescriptor *d = lists[kind];
	const ProtobufCFieldDescriptor *items_f = protobuf_c_message_descriptor_get_field(d, 1);
	const ProtobufCFieldDescriptor *token_f = protobuf_c_message_descriptor_get_field(d, 2);
	ProtobufCMessage *l = fc_arena_alloc(a, d->sizeof_message);

	protobuf_c_message_init(d, l);
	*(size_t *)((char *)l + items_f->quantifier_offset) = n;
	*(ProtobufCMessage ***)((char *)l + items_f->offset) = items;
	*(char **)((char *)l + token_f->offset) = astr(a, next);
	return l;
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
	if (!m->type)
		return err->code;
	if (g->value) {
		m->value = (Flyteidl__Core__Literal *)unpack(a, &flyteidl__core__literal__descriptor, g->value,
							      g->value_len, err);
		if (!m->value)
			return err->code;
	}
	*out = m;
	return 0;
}

/* ------------------------------------------------------------------------------------------------------------
 * Pages of the store as the API's list messages (the REST and gRPC doors differ only in how they read the request
 * and write the answer).
 */
static char *page_token(struct fc_arena *a, const char *next)
{
	return next ? fc_arena_strdup(a, next) : (char *)protobuf_c_empty_string;
}

int adm_entity_items(struct adm_store *s, enum adm_kind kind, const struct adm_query *q, struct fc_arena *a,
		     ProtobufCMessage ***items, size_t *n, char **next, struct fc_err *err)
{
	struct adm_entity *list;
	size_t i;

	if (adm_check_project(q->project, err) || adm_entity_list(s, kind, q, a, &list, n, next, err))
		return err->code;
	*items = fc_arena_array(a, *n + 1, sizeof(**items));
	for (i = 0; i < *n; i++)
		if (adm_entity_msg(&list[i], a, &(*items)[i], err))
			return err->code;
	return 0;
}

int adm_entity_ids_msg(struct adm_store *s, enum adm_kind kind, const struct adm_query *q, struct fc_arena *a,
		       Flyteidl__Admin__NamedEntityIdentifierList **out, struct fc_err *err)
{
	Flyteidl__Admin__NamedEntityIdentifierList *l = fc_arena_alloc(a, sizeof(*l));
	const char **names;
	size_t n, i;
	char *next;

	flyteidl__admin__named_entity_identifier_list__init(l);
	if (adm_entity_names(s, kind, q, a, &names, &n, &next, err))
		return err->code;
	l->n_entities = n;
	l->entities = fc_arena_array(a, n + 1, sizeof(*l->entities));
	for (i = 0; i < n; i++) {
		Flyteidl__Admin__NamedEntityIdentifier *e = fc_arena_alloc(a, sizeof(*e));

		flyteidl__admin__named_entity_identifier__init(e);
		e->project = astr(a, q->project);
		e->domain = astr(a, q->domain);
		e->name = (char *)names[i];
		l->entities[i] = e;
	}
	l->token = page_token(a, next);
	*out = l;
	return 0;
}

Flyteidl__Admin__Domain **adm_domain_msgs(struct adm_store *s, struct fc_arena *a, size_t *n, struct fc_err *err)
{
	Flyteidl__Admin__Domain **out;
	const char **ids;
	size_t i;

	if (adm_domain_list(s, a, &ids, n, err))
		return NULL;
	out = fc_arena_array(a, *n + 1, sizeof(*out));
	for (i = 0; i < *n; i++) {
		out[i] = fc_arena_alloc(a, sizeof(**out));
		flyteidl__admin__domain__init(out[i]);
		out[i]->id = (char *)ids[i];
		out[i]->name = (char *)ids[i];
	}
	return out;
}

int adm_project_list_msg(struct adm_store *s, const struct adm_query *q, struct fc_arena *a,
			 Flyteidl__Admin__Projects **out, struct fc_err *err)
{
	Flyteidl__Admin__Projects *l = fc_arena_alloc(a, sizeof(*l));
	Flyteidl__Admin__Domain **domains;
	struct adm_project *list;
	size_t n, nd, i;
	char *next;

	flyteidl__admin__projects__init(l);
	domains = adm_domain_msgs(s, a, &nd, err);
	if (!domains || adm_project_list(s, q, a, &list, &n, &next, err))
		return err->code;
	l->n_projects = n;
	l->projects = fc_arena_array(a, n + 1, sizeof(*l->projects));
	for (i = 0; i < n; i++) {
		Flyteidl__Admin__Project *p = fc_arena_alloc(a, sizeof(*p));

		flyteidl__admin__project__init(p);
		p->id = (char *)list[i].id;
		p->name = (char *)list[i].name;
		p->description = (char *)list[i].description;
		p->state = (Flyteidl__Admin__Project__ProjectState)list[i].state;
		p->n_domains = nd;
		p->domains = domains;
		l->projects[i] = p;
	}
	l->token = page_token(a, next);
	*out = l;
	return 0;
}

int adm_execution_list_msg(struct adm_store *s, const struct adm_query *q, struct fc_arena *a,
			   Flyteidl__Admin__ExecutionList **out, struct fc_err *err)
{
	Flyteidl__Admin__ExecutionList *l = fc_arena_alloc(a, sizeof(*l));
	struct adm_execution *list;
	size_t n, i;
	char *next;

	flyteidl__admin__execution_list__init(l);
	if (adm_execution_list(s, q, a, &list, &n, &next, err))
		return err->code;
	l->n_executions = n;
	l->executions = fc_arena_array(a, n + 1, sizeof(*l->executions));
	for (i = 0; i < n; i++)
		if (adm_execution_msg(&list[i], a, &l->executions[i], err))
			return err->code;
	l->token = page_token(a, next);
	*out = l;
	return 0;
}

int adm_node_execution_list_msg(struct adm_store *s, const struct adm_exec_id *id, const char *parent_node_id,
				const struct adm_query *q, struct fc_arena *a, Flyteidl__Admin__NodeExecutionList **out,
				struct fc_err *err)
{
	Flyteidl__Admin__NodeExecutionList *l = fc_arena_alloc(a, sizeof(*l));
	struct adm_node_execution *list;
	size_t n, i;
	char *next;

	flyteidl__admin__node_execution_list__init(l);
	if (adm_node_execution_list(s, id, parent_node_id, q, a, &list, &n, &next, err))
		return err->code;
	l->n_node_executions = n;
	l->node_executions = fc_arena_array(a, n + 1, sizeof(*l->node_executions));
	for (i = 0; i < n; i++)
		if (adm_node_execution_msg(&list[i], a, &l->node_executions[i], err))
			return err->code;
	l->token = page_token(a, next);
	*out = l;
	return 0;
}

int adm_task_execution_list_msg(struct adm_store *s, const struct adm_exec_id *id, const char *node_id,
				const struct adm_query *q, struct fc_arena *a, Flyteidl__Admin__TaskExecutionList **out,
				struct fc_err *err)
{
	Flyteidl__Admin__TaskExecutionList *l = fc_arena_alloc(a, sizeof(*l));
	struct adm_task_execution *list;
	size_t n, i;
	char *next;

	flyteidl__admin__task_execution_list__init(l);
	if (adm_task_execution_list(s, id, node_id, q, a, &list, &n, &next, err))
		return err->code;
	l->n_task_executions = n;
	l->task_executions = fc_arena_array(a, n + 1, sizeof(*l->task_executions));
	for (i = 0; i < n; i++)
		if (adm_task_execution_msg(&list[i], a, &l->task_executions[i], err))
			return err->code;
	l->token = page_token(a, next);
	*out = l;
	return 0;
}

int adm_signal_list_msg(struct adm_store *s, const struct adm_exec_id *id, const struct adm_query *q,
			struct fc_arena *a, Flyteidl__Admin__SignalList **out, struct fc_err *err)
{
	Flyteidl__Admin__SignalList *l = fc_arena_alloc(a, sizeof(*l));
	struct adm_signal *list;
	size_t n, i;
	char *next;

	flyteidl__admin__signal_list__init(l);
	if (adm_signal_list(s, id, q, a, &list, &n, &next, err))
		return err->code;
	l->n_signals = n;
	l->signals = fc_arena_array(a, n + 1, sizeof(*l->signals));
	for (i = 0; i < n; i++)
		if (adm_signal_msg(&list[i], a, &l->signals[i], err))
			return err->code;
	l->token = page_token(a, next);
	*out = l;
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

/* The request names exactly this launch plan version (the caller read it in the same transaction). */
static bool names_version(const struct adm_id *lpid, const struct adm_lp_decoded *lp)
{
	return lp && lpid->version && lp->id.version && !strcmp(lpid->version, lp->id.version) &&
	       !strcmp(lpid->name, lp->id.name) && !strcmp(lpid->project, lp->id.project) &&
	       !strcmp(lpid->domain, lp->id.domain);
}

int adm_lp_decode(const struct adm_entity *lp, struct fc_arena *a, struct adm_lp_decoded *out, struct fc_err *err)
{
	memset(out, 0, sizeof(*out));
	out->id.project = fc_arena_strdup(a, lp->id.project);
	out->id.domain = fc_arena_strdup(a, lp->id.domain);
	out->id.name = fc_arena_strdup(a, lp->id.name);
	out->id.version = lp->id.version ? fc_arena_strdup(a, lp->id.version) : NULL;
	out->spec = (Flyteidl__Admin__LaunchPlanSpec *)unpack(a, &flyteidl__admin__launch_plan_spec__descriptor, lp->spec,
							       lp->spec_len, err);
	if (!out->spec)
		return FC_EINTERNAL;
	if (lp->closure)
		out->closure = (Flyteidl__Admin__LaunchPlanClosure *)unpack(
			a, &flyteidl__admin__launch_plan_closure__descriptor, lp->closure, lp->closure_len, err);
	return 0;
}

/*
 * Resolve the launch plan and build the execution row (not yet stored). `known`: the launch plan version the caller
 * already read and decoded (the scheduler's, checked active in the same transaction), used when the request names
 * it, so a scheduled fire neither reads nor decodes the plan; NULL reads it here.
 */
static int prepare_launch(struct adm_store *s, const Flyteidl__Admin__ExecutionCreateRequest *req, int mode,
			  const struct adm_lp_decoded *known, struct fc_arena *a, struct adm_execution *x,
			  struct fc_err *err)
{
	const Flyteidl__Core__LiteralMap *given;
	const Flyteidl__Admin__LaunchPlanSpec *lps;
	const Flyteidl__Admin__LaunchPlanClosure *lpc;
	const Flyteidl__Core__ParameterMap *expected;
	Flyteidl__Core__LiteralMap *inputs = cmp_litmap_new(a);
	Flyteidl__Admin__ExecutionSpec *spec = fc_arena_alloc(a, sizeof(*spec));
	Flyteidl__Admin__ExecutionMetadata *md = fc_arena_alloc(a, sizeof(*md));
	struct adm_lp_decoded read;
	const struct adm_lp_decoded *use = &read;
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
	if (names_version(&lpid, known)) {
		use = known;
	} else {
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
		rc = adm_lp_decode(&lp, a, &read, err);
		if (rc)
			return rc;
	}
	lps = use->spec;
	lpc = use->closure;
	expected = lpc && lpc->expected_inputs ? lpc->expected_inputs : lps->default_inputs;
	given = req->inputs ? req->inputs : req->spec->inputs;

	for (i = 0; given && i < given->n_literals; i++) {
		const char *key = given->literals[i]->key;
		const Flyteidl__Core__Parameter *p = param_get(expected, key);

		if (cmp_litmap_get(lps->fixed_inputs, key))
			return fc_err_set(err, FC_EINVAL, "input '%s' is fixed by launch plan %s and cannot be given", key,
					  use->id.name);
		if (!p)
			return fc_err_set(err, FC_EINVAL, "unknown input '%s' for launch plan %s", key, use->id.name);
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
			return fc_err_set(err, FC_EINVAL, "input '%s' is required by launch plan %s", key, use->id.name);
	}
	for (i = 0; lps->fixed_inputs && i < lps->fixed_inputs->n_literals; i++)
		cmp_litmap_put(a, inputs, lps->fixed_inputs->literals[i]->key, lps->fixed_inputs->literals[i]->value);

	*spec = *req->spec;
	spec->launch_plan = adm_identifier_msg(a, ADM_LAUNCH_PLAN, &use->id);
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
	x->launch_plan = use->id;
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
	int rc = prepare_launch(s, req, mode, NULL, a, &x, err);

	if (!rc)
		rc = adm_execution_create(s, &x, err);
	if (!rc && out)
		*out = x.id;
	return rc;
}

int adm_launch_scheduled(struct adm_store *s, const Flyteidl__Admin__ExecutionCreateRequest *req, int64_t slot,
			 struct fc_arena *a, struct adm_exec_id *out, struct fc_err *err)
{
	return adm_launch_scheduled_lp(s, req, NULL, slot, a, out, err);
}

int adm_launch_scheduled_lp(struct adm_store *s, const Flyteidl__Admin__ExecutionCreateRequest *req,
			    const struct adm_lp_decoded *lp, int64_t slot, struct fc_arena *a, struct adm_exec_id *out,
			    struct fc_err *err)
{
	struct adm_execution x;
	struct adm_id name;
	int rc = prepare_launch(s, req, FLYTEIDL__ADMIN__EXECUTION_METADATA__EXECUTION_MODE__SCHEDULED, lp, a, &x, err);

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
