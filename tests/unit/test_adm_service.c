/*
 * test_adm_service.c: admin-lite's IDL layer: registration diffs, launching, events intake, registrations through
 * the API compiled like the watched repository's.
 *
 * Flyte's own packages (../shared/flyte-testdata/snacks-core: pyflyte's TaskSpec _1.pb, WorkflowSpec _2.pb and
 * LaunchPlan _3.pb, the messages flytectl sends in its create requests) registered through the service are stored
 * as `flytec compile` makes the same files, versions aside (the API keeps the client's, the compiler hashes
 * content); a workflow that does not type-check gets the same error codes from both doors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_data.h"

#include "admin-lite/diff.h"
#include "admin-lite/service.h"
#include "admin-lite/store.h"
#include "compiler/compiler.h"
#include "compiler/lit.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/diag.h"
#include "core/err.h"
#include "core/pbjson.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fixture {
	char dir[64];
	struct adm_store *s;
	struct fc_arena a;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[128];
	struct fc_err err;

	snprintf(f->dir, sizeof(f->dir), "/tmp/adm_svc_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof(path), "%s/admin.db", f->dir);
	assert_int_equal(adm_store_open(path, &f->s, &err), 0);
	fc_arena_init(&f->a, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	adm_store_free(f->s);
	fc_arena_release(&f->a);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* --- diff ------------------------------------------------------------------------------------------------- */
static void test_diff(void **state)
{
	struct fc_buf out = FC_BUF_INIT;
	struct fc_buf big_a = FC_BUF_INIT, big_b = FC_BUF_INIT;
	int i;

	(void)state;
	adm_diff_lines("a", "x\ny\n", "b", "x\ny\n", 3, &out);
	assert_int_equal(out.len, 0);
	adm_diff_lines("old", "1\n2\n3\n4\n5\n6\n7\n8\n9\n", "new", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n", 1, &out);
	assert_string_equal(out.buf, "--- old\n+++ new\n@@ line 4 @@\n 4\n-5\n+five\n 6\n");
	fc_buf_reset(&out);
	adm_diff_lines("old", "a\n", "new", "a\nb\n", 3, &out);
	assert_string_equal(out.buf, "--- old\n+++ new\n@@ line 1 @@\n a\n+b\n");
	fc_buf_reset(&out);
	adm_diff_lines("old", "a\nb\nc\n", "new", "", 0, &out);
	assert_string_equal(out.buf, "--- old\n+++ new\n@@ line 1 @@\n-a\n-b\n-c\n");
	/* two distant changes make two hunks */
	fc_buf_reset(&out);
	adm_diff_lines("o", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "n", "x\n2\n3\n4\n5\n6\n7\n8\n9\ny\n", 1, &out);
	assert_string_equal(out.buf, "--- o\n+++ n\n@@ line 1 @@\n-1\n+x\n 2\n@@ line 9 @@\n 9\n-10\n+y\n");
	/* inputs too large for the LCS table still produce a correct (if coarse) diff */
	for (i = 0; i < 3000; i++) {
		fc_buf_addf(&big_a, "a%d\n", i);
		fc_buf_addf(&big_b, "b%d\n", i);
	}
	fc_buf_reset(&out);
	adm_diff_lines("o", big_a.buf, "n", big_b.buf, 3, &out);
	assert_non_null(strstr(out.buf, "-a2999\n"));
	assert_non_null(strstr(out.buf, "+b0\n"));
	fc_buf_release(&out);
	fc_buf_release(&big_a);
	fc_buf_release(&big_b);
}

/* --- fixtures as IDL --------------------------------------------------------------------------------------- */
static Flyteidl__Core__LiteralType *int_type(struct fc_arena *a)
{
	Flyteidl__Core__LiteralType *t = fc_arena_alloc(a, sizeof(*t));

	flyteidl__core__literal_type__init(t);
	t->type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE;
	t->simple = FLYTEIDL__CORE__SIMPLE_TYPE__INTEGER;
	return t;
}

static Flyteidl__Core__Literal *int_literal(struct fc_arena *a, int64_t v)
{
	Flyteidl__Core__Literal *l = fc_arena_alloc(a, sizeof(*l));
	Flyteidl__Core__Scalar *s = fc_arena_alloc(a, sizeof(*s));
	Flyteidl__Core__Primitive *p = fc_arena_alloc(a, sizeof(*p));

	flyteidl__core__literal__init(l);
	flyteidl__core__scalar__init(s);
	flyteidl__core__primitive__init(p);
	p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER;
	p->integer = v;
	s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE;
	s->primitive = p;
	l->value_case = FLYTEIDL__CORE__LITERAL__VALUE_SCALAR;
	l->scalar = s;
	return l;
}

static Flyteidl__Core__Literal *string_literal(struct fc_arena *a, const char *v)
{
	Flyteidl__Core__Literal *l = int_literal(a, 0);

	l->scalar->primitive->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_STRING_VALUE;
	l->scalar->primitive->string_value = (char *)v;
	return l;
}

static Flyteidl__Core__Identifier *ident(struct fc_arena *a, Flyteidl__Core__ResourceType rt, const char *name,
					 const char *version)
{
	Flyteidl__Core__Identifier *id = fc_arena_alloc(a, sizeof(*id));

	flyteidl__core__identifier__init(id);
	id->resource_type = rt;
	id->project = (char *)"proj";
	id->domain = (char *)"development";
	id->name = (char *)name;
	id->version = (char *)version;
	return id;
}

/* A container task `name`@v1 running `image`, in the arena. */
static Flyteidl__Core__TaskTemplate *task_template(struct fixture *f, const char *name, const char *image)
{
	Flyteidl__Core__TaskTemplate *t = fc_arena_alloc(&f->a, sizeof(*t));
	Flyteidl__Core__Container *c = fc_arena_alloc(&f->a, sizeof(*c));

	flyteidl__core__task_template__init(t);
	flyteidl__core__container__init(c);
	t->id = ident(&f->a, FLYTEIDL__CORE__RESOURCE_TYPE__TASK, name, "v1");
	t->type = (char *)"container";
	c->image = (char *)image;
	t->target_case = FLYTEIDL__CORE__TASK_TEMPLATE__TARGET_CONTAINER;
	t->container = c;
	return t;
}

/* A WorkflowCreateRequest for `name`@v1 with one node n0 running `task`, in the arena. */
static Flyteidl__Admin__WorkflowCreateRequest *one_node_workflow(struct fixture *f, const char *name,
								 Flyteidl__Core__Identifier *task)
{
	Flyteidl__Admin__WorkflowCreateRequest *req = fc_arena_alloc(&f->a, sizeof(*req));
	Flyteidl__Admin__WorkflowSpec *ws = fc_arena_alloc(&f->a, sizeof(*ws));
	Flyteidl__Core__WorkflowTemplate *tpl = fc_arena_alloc(&f->a, sizeof(*tpl));
	Flyteidl__Core__Node *node = fc_arena_alloc(&f->a, sizeof(*node));
	Flyteidl__Core__TaskNode *tn = fc_arena_alloc(&f->a, sizeof(*tn));

	flyteidl__admin__workflow_create_request__init(req);
	flyteidl__admin__workflow_spec__init(ws);
	flyteidl__core__workflow_template__init(tpl);
	flyteidl__core__node__init(node);
	flyteidl__core__task_node__init(tn);
	node->id = (char *)"n0";
	tn->reference_case = FLYTEIDL__CORE__TASK_NODE__REFERENCE_REFERENCE_ID;
	tn->reference_id = task;
	node->target_case = FLYTEIDL__CORE__NODE__TARGET_TASK_NODE;
	node->task_node = tn;
	tpl->id = ident(&f->a, FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW, name, "v1");
	tpl->n_nodes = 1;
	tpl->nodes = fc_arena_memdup(&f->a, &node, sizeof(node));
	ws->template_ = tpl;
	req->id = tpl->id;
	req->spec = ws;
	return req;
}

static void register_task(struct fixture *f, const char *image, int expect)
{
	Flyteidl__Core__TaskTemplate *t = task_template(f, "t", image);
	Flyteidl__Core__CompiledTask ct = FLYTEIDL__CORE__COMPILED_TASK__INIT;
	struct fc_buf diff = FC_BUF_INIT;
	struct fc_err err;
	bool created;

	ct.template_ = t;
	assert_int_equal(adm_register_task(f->s, t->id, &ct, NULL, &created, &diff, &err), expect);
	if (expect == FC_ECONFLICT) {
		assert_non_null(strstr(diff.buf, "--- registered\n+++ new\n"));
		assert_non_null(strstr(diff.buf, "-      \"image\": \"alpine\"\n+      \"image\": \"busybox\"\n"));
	}
	fc_buf_release(&diff);
}

/* A workflow w(x: integer) with one node n0 running task t, and launch plan lp with x defaulting to 1. */
static void register_world(struct fixture *f, bool x_required)
{
	Flyteidl__Admin__WorkflowCreateRequest *wreq;
	Flyteidl__Admin__LaunchPlanCreateRequest lreq = FLYTEIDL__ADMIN__LAUNCH_PLAN_CREATE_REQUEST__INIT;
	Flyteidl__Admin__LaunchPlanSpec spec = FLYTEIDL__ADMIN__LAUNCH_PLAN_SPEC__INIT;
	Flyteidl__Core__ParameterMap pm = FLYTEIDL__CORE__PARAMETER_MAP__INIT;
	Flyteidl__Core__ParameterMap__ParametersEntry pe = FLYTEIDL__CORE__PARAMETER_MAP__PARAMETERS_ENTRY__INIT, *pes[1] = {&pe};
	Flyteidl__Core__Parameter p = FLYTEIDL__CORE__PARAMETER__INIT;
	Flyteidl__Core__Variable var = FLYTEIDL__CORE__VARIABLE__INIT;
	struct fc_buf diff = FC_BUF_INIT;
	struct fc_err err;
	bool created;

	register_task(f, "alpine", 0);
	wreq = one_node_workflow(f, "w", ident(&f->a, FLYTEIDL__CORE__RESOURCE_TYPE__TASK, "t", "v1"));
	{
		/* the input x the launch plan gives a default (registrations are compiled: the plan must match) */
		Flyteidl__Core__TypedInterface *ti = fc_arena_alloc(&f->a, sizeof(*ti));
		Flyteidl__Core__VariableMap *vm = fc_arena_alloc(&f->a, sizeof(*vm));
		Flyteidl__Core__VariableMap__VariablesEntry *ve = fc_arena_alloc(&f->a, sizeof(*ve));
		Flyteidl__Core__Variable *xv = fc_arena_alloc(&f->a, sizeof(*xv));

		flyteidl__core__typed_interface__init(ti);
		flyteidl__core__variable_map__init(vm);
		flyteidl__core__variable_map__variables_entry__init(ve);
		flyteidl__core__variable__init(xv);
		xv->type = int_type(&f->a);
		ve->key = (char *)"x";
		ve->value = xv;
		vm->n_variables = 1;
		vm->variables = fc_arena_memdup(&f->a, &ve, sizeof(ve));
		ti->inputs = vm;
		wreq->spec->template_->interface = ti;
	}
	if (adm_create_workflow(f->s, wreq, &created, &diff, &err))
		fail_msg("%s", err.msg);

	var.type = int_type(&f->a);
	p.var = &var;
	if (x_required) {
		p.behavior_case = FLYTEIDL__CORE__PARAMETER__BEHAVIOR_REQUIRED;
		p.required = 1;
	} else {
		p.behavior_case = FLYTEIDL__CORE__PARAMETER__BEHAVIOR_DEFAULT;
		p.default_ = int_literal(&f->a, 1);
	}
	pe.key = (char *)"x";
	pe.value = &p;
	pm.n_parameters = 1;
	pm.parameters = pes;
	spec.workflow_id = wreq->id;
	spec.default_inputs = &pm;
	lreq.id = ident(&f->a, FLYTEIDL__CORE__RESOURCE_TYPE__LAUNCH_PLAN, "lp", x_required ? "v2" : "v1");
	lreq.spec = &spec;
	if (adm_create_launch_plan(f->s, &lreq, &created, &diff, &err))
		fail_msg("%s", err.msg);
	fc_buf_release(&diff);
}

static void test_register_conflict_diff(void **state)
{
	struct fixture *f = *state;

	register_task(f, "alpine", 0);
	register_task(f, "alpine", 0);
	register_task(f, "busybox", FC_ECONFLICT);
}

static void test_workflow_assembly(void **state)
{
	struct fixture *f = *state;
	struct adm_id id = {"proj", "development", "w", "v1"};
	Flyteidl__Admin__Workflow *w;
	struct adm_entity e;
	struct fc_err err;

	register_world(f, false);
	assert_int_equal(adm_entity_get(f->s, ADM_WORKFLOW, &id, &f->a, &e, &err), 0);
	assert_int_equal(adm_workflow_msg(&e, &f->a, &w, &err), 0);
	assert_int_equal(w->closure->compiled_workflow->n_tasks, 1);
	assert_int_equal(w->closure->compiled_workflow->primary->template_->n_nodes, 3);
	assert_string_equal(w->closure->compiled_workflow->primary->template_->nodes[0]->id, "start-node");
	assert_string_equal(w->closure->compiled_workflow->primary->template_->nodes[1]->id, "end-node");
	assert_int_equal(w->closure->compiled_workflow->primary->connections->n_upstream, 2);
}

static Flyteidl__Admin__ExecutionCreateRequest *exec_req(struct fixture *f, const char *name, const char *version,
							  const char *key, Flyteidl__Core__Literal *value)
{
	Flyteidl__Admin__ExecutionCreateRequest *req = fc_arena_alloc(&f->a, sizeof(*req));
	Flyteidl__Admin__ExecutionSpec *spec = fc_arena_alloc(&f->a, sizeof(*spec));

	flyteidl__admin__execution_create_request__init(req);
	flyteidl__admin__execution_spec__init(spec);
	req->project = (char *)"proj";
	req->domain = (char *)"development";
	req->name = (char *)name;
	spec->launch_plan = ident(&f->a, FLYTEIDL__CORE__RESOURCE_TYPE__LAUNCH_PLAN, "lp", version);
	req->spec = spec;
	if (key) {
		Flyteidl__Core__LiteralMap *m = fc_arena_alloc(&f->a, sizeof(*m));
		Flyteidl__Core__LiteralMap__LiteralsEntry *e = fc_arena_alloc(&f->a, sizeof(*e));

		flyteidl__core__literal_map__init(m);
		flyteidl__core__literal_map__literals_entry__init(e);
		e->key = (char *)key;
		e->value = value;
		m->n_literals = 1;
		m->literals = fc_arena_memdup(&f->a, &e, sizeof(e));
		req->inputs = m;
	}
	return req;
}

static void test_launch_inputs(void **state)
{
	struct fixture *f = *state;
	struct adm_exec_id id;
	struct adm_execution x;
	Flyteidl__Core__LiteralMap *inputs;
	struct fc_err err;

	register_world(f, false);
	register_world(f, true);
	/* default used */
	assert_int_equal(adm_launch(f->s, exec_req(f, "e1", "v1", NULL, NULL), 0, &f->a, &id, &err), 0);
	assert_int_equal(adm_execution_get(f->s, &id, &f->a, &x, &err), 0);
	inputs = flyteidl__core__literal_map__unpack(fc_arena_pb_allocator(&f->a), x.inputs_len, x.inputs);
	assert_int_equal(inputs->n_literals, 1);
	assert_int_equal(inputs->literals[0]->value->scalar->primitive->integer, 1);
	assert_string_equal(x.workflow.name, "w");
	/* given value */
	assert_int_equal(adm_launch(f->s, exec_req(f, "e2", "v1", "x", int_literal(&f->a, 9)), 0, &f->a, &id, &err), 0);
	/* required missing, unknown, wrong type, unknown launch plan, name taken */
	assert_int_equal(adm_launch(f->s, exec_req(f, "e3", "v2", NULL, NULL), 0, &f->a, &id, &err), FC_EINVAL);
	assert_non_null(strstr(err.msg, "required"));
	assert_int_equal(adm_launch(f->s, exec_req(f, "e3", "v1", "y", int_literal(&f->a, 1)), 0, &f->a, &id, &err),
			 FC_EINVAL);
	assert_non_null(strstr(err.msg, "unknown input 'y'"));
	assert_int_equal(adm_launch(f->s, exec_req(f, "e3", "v1", "x", string_literal(&f->a, "1")), 0, &f->a, &id, &err),
			 FC_EINVAL);
	assert_int_equal(adm_launch(f->s, exec_req(f, "e3", "v9", NULL, NULL), 0, &f->a, &id, &err), FC_EINVAL);
	assert_int_equal(adm_launch(f->s, exec_req(f, "e1", "v1", NULL, NULL), 0, &f->a, &id, &err), FC_EEXIST);
	/* no version: the latest (none active) */
	assert_int_equal(adm_launch(f->s, exec_req(f, "e4", "", "x", int_literal(&f->a, 2)), 0, &f->a, &id, &err), 0);
	assert_int_equal(adm_execution_get(f->s, &id, &f->a, &x, &err), 0);
	assert_string_equal(x.launch_plan.version, "v2");
	/* generated name */
	assert_int_equal(adm_launch(f->s, exec_req(f, "", "v1", NULL, NULL), 0, &f->a, &id, &err), 0);
	assert_int_equal(strlen(id.name), 20);
}

static void test_launch_scheduled_once(void **state)
{
	struct fixture *f = *state;
	struct adm_exec_id id;
	struct fc_err err;

	register_world(f, false);
	assert_int_equal(adm_launch_scheduled(f->s, exec_req(f, "lp-1000", "v1", NULL, NULL), 1000, &f->a, &id, &err),
			 0);
	assert_int_equal(adm_launch_scheduled(f->s, exec_req(f, "lp-1000b", "v1", NULL, NULL), 1000, &f->a, &id, &err),
			 FC_EEXIST);
	assert_int_equal(adm_launch_scheduled(f->s, exec_req(f, "lp-999", "v1", NULL, NULL), 999, &f->a, &id, &err),
			 FC_EEXIST);
	assert_int_equal(adm_launch_scheduled(f->s, exec_req(f, "lp-2000", "v1", NULL, NULL), 2000, &f->a, &id, &err),
			 0);
}

static void test_events_intake(void **state)
{
	struct fixture *f = *state;
	Flyteidl__Event__WorkflowExecutionEvent wev = FLYTEIDL__EVENT__WORKFLOW_EXECUTION_EVENT__INIT;
	Flyteidl__Event__NodeExecutionEvent nev = FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__INIT;
	Flyteidl__Core__NodeExecutionIdentifier nid = FLYTEIDL__CORE__NODE_EXECUTION_IDENTIFIER__INIT;
	Flyteidl__Core__ExecutionError error = FLYTEIDL__CORE__EXECUTION_ERROR__INIT;
	struct adm_exec_id id;
	struct adm_execution x;
	Flyteidl__Admin__Execution *m;
	struct fc_err err;
	bool applied;

	register_world(f, false);
	assert_int_equal(adm_launch(f->s, exec_req(f, "ev1", "v1", NULL, NULL), 0, &f->a, &id, &err), 0);
	wev.execution_id = adm_exec_id_msg(&f->a, &id);
	wev.phase = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__RUNNING;
	wev.occurred_at = adm_timestamp_msg(&f->a, 1000000000LL);
	assert_int_equal(adm_intake_event(f->s, &wev.base, &applied, &err), 0);
	assert_true(applied);
	nid.node_id = (char *)"n0";
	nid.execution_id = wev.execution_id;
	nev.id = &nid;
	nev.phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
	assert_int_equal(adm_intake_event(f->s, &nev.base, &applied, &err), 0);
	error.code = (char *)"USER:Boom";
	error.message = (char *)"it broke";
	wev.phase = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED;
	wev.occurred_at = adm_timestamp_msg(&f->a, 3500000000LL);
	wev.output_result_case = FLYTEIDL__EVENT__WORKFLOW_EXECUTION_EVENT__OUTPUT_RESULT_ERROR;
	wev.error = &error;
	assert_int_equal(adm_intake_event(f->s, &wev.base, &applied, &err), 0);
	assert_int_equal(adm_execution_get(f->s, &id, &f->a, &x, &err), 0);
	assert_int_equal(adm_execution_msg(&x, &f->a, &m, &err), 0);
	assert_int_equal(m->closure->phase, FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED);
	assert_int_equal(m->closure->output_result_case, FLYTEIDL__ADMIN__EXECUTION_CLOSURE__OUTPUT_RESULT_ERROR);
	assert_string_equal(m->closure->error->message, "it broke");
	assert_int_equal(m->closure->duration->seconds, 2);
	assert_int_equal(m->closure->duration->nanos, 500000000);
	/* bad ids are refused before the store is touched */
	nid.node_id = (char *)"../x";
	assert_int_equal(adm_intake_event(f->s, &nev.base, &applied, &err), FC_EINVAL);
	wev.execution_id = NULL;
	assert_int_equal(adm_intake_event(f->s, &wev.base, &applied, &err), FC_EINVAL);
}

static Flyteidl__Core__VariableMap *one_var(struct fc_arena *a, const char *name, Flyteidl__Core__SimpleType simple)
{
	Flyteidl__Core__VariableMap *m = fc_arena_alloc(a, sizeof(*m));
	Flyteidl__Core__VariableMap__VariablesEntry *e = fc_arena_alloc(a, sizeof(*e));
	Flyteidl__Core__Variable *v = fc_arena_alloc(a, sizeof(*v));

	flyteidl__core__variable_map__init(m);
	flyteidl__core__variable_map__variables_entry__init(e);
	flyteidl__core__variable__init(v);
	v->type = int_type(a);
	v->type->simple = simple;
	e->key = (char *)name;
	e->value = v;
	m->n_variables = 1;
	m->variables = fc_arena_memdup(a, &e, sizeof(e));
	return m;
}

/* Issue 11: POST /api/v1/workflows goes through the compiler's checks: a binding of a string to an integer input
 * is refused with the compiler's error code, as the watcher would refuse the same spec. */
static void test_create_workflow_type_checked(void **state)
{
	struct fixture *f = *state;
	Flyteidl__Core__TaskTemplate *t = task_template(f, "takes_int", "alpine");
	Flyteidl__Core__TypedInterface *ti = fc_arena_alloc(&f->a, sizeof(*ti));
	Flyteidl__Core__CompiledTask ct = FLYTEIDL__CORE__COMPILED_TASK__INIT;
	Flyteidl__Admin__WorkflowCreateRequest *wreq = one_node_workflow(f, "typed", t->id);
	Flyteidl__Core__Node *node = wreq->spec->template_->nodes[0];
	Flyteidl__Core__TypedInterface wi = FLYTEIDL__CORE__TYPED_INTERFACE__INIT;
	Flyteidl__Core__Binding bind = FLYTEIDL__CORE__BINDING__INIT, *binds[1] = {&bind};
	Flyteidl__Core__BindingData bd = FLYTEIDL__CORE__BINDING_DATA__INIT;
	Flyteidl__Core__OutputReference ref = FLYTEIDL__CORE__OUTPUT_REFERENCE__INIT;
	struct adm_id wid = {"proj", "development", "typed", "v1"};
	struct adm_entity e;
	struct fc_buf diff = FC_BUF_INIT;
	struct fc_err err;
	bool created;

	flyteidl__core__typed_interface__init(ti);
	ti->inputs = one_var(&f->a, "x", FLYTEIDL__CORE__SIMPLE_TYPE__INTEGER);
	t->interface = ti;
	ct.template_ = t;
	assert_int_equal(adm_register_task(f->s, t->id, &ct, NULL, &created, &diff, &err), 0);
	/* the workflow's string input bound to the task's integer input */
	wi.inputs = one_var(&f->a, "s", FLYTEIDL__CORE__SIMPLE_TYPE__STRING);
	wreq->spec->template_->interface = &wi;
	ref.var = (char *)"s";
	ref.node_id = (char *)"start-node";
	bd.value_case = FLYTEIDL__CORE__BINDING_DATA__VALUE_PROMISE;
	bd.promise = &ref;
	bind.var = (char *)"x";
	bind.binding = &bd;
	node->n_inputs = 1;
	node->inputs = binds;
	assert_int_equal(adm_create_workflow(f->s, wreq, &created, &diff, &err), FC_ESPEC);
	assert_non_null(strstr(err.msg, "error[MismatchingTypes]"));
	assert_int_equal(adm_entity_get(f->s, ADM_WORKFLOW, &wid, &f->a, &e, &err), FC_ENOENT);
	/* the same workflow with a matching input type registers */
	wi.inputs = one_var(&f->a, "s", FLYTEIDL__CORE__SIMPLE_TYPE__INTEGER);
	assert_int_equal(adm_create_workflow(f->s, wreq, &created, &diff, &err), 0);
	assert_true(created);
	fc_buf_release(&diff);
}

/* --- write faults (sqlite's *fault.test model): the Nth write fails; nothing half-written, nothing lost ------- */

static size_t history_len(struct fixture *f, const struct adm_exec_id *id)
{
	struct adm_event_row *rows;
	struct fc_err err;
	size_t n;

	assert_int_equal(adm_event_history(f->s, id, 0, &f->a, &rows, &n, &err), 0);
	return n;
}

static void test_fault_launch(void **state)
{
	struct fixture *f = *state;
	struct adm_exec_id id;
	struct adm_execution x;
	struct fc_err err;
	unsigned long hits = 1;
	long n;

	register_world(f, false);
	for (n = 0; hits; n++) {
		char name[32];
		int rc;

		assert_true(n < 1000);
		snprintf(name, sizeof(name), "f%ld", n);
		adm_store_fault_arm(n, false);
		rc = adm_launch(f->s, exec_req(f, name, "v1", NULL, NULL), 0, &f->a, &id, &err);
		hits = adm_store_fault_hits();
		adm_store_fault_disarm();
		id.project = "proj";
		id.domain = "development";
		id.name = name;
		if (rc) {
			/* refused as a store failure, and nothing of it stored */
			assert_int_equal(rc, FC_ESTORAGE);
			assert_true(adm_store_retryable(rc));
			assert_int_equal(adm_execution_get(f->s, &id, &f->a, &x, &err), FC_ENOENT);
			/* retried once space returns: stored */
			assert_int_equal(adm_launch(f->s, exec_req(f, name, "v1", NULL, NULL), 0, &f->a, &id, &err), 0);
		}
		assert_int_equal(adm_execution_get(f->s, &id, &f->a, &x, &err), 0);
		assert_int_equal(x.phase, FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__QUEUED);
	}
	assert_true(n > 1); /* the hook did fail writes */
}

static int node_phase(struct fixture *f, const struct adm_exec_id *id, const char *node)
{
	struct adm_node_execution ne;
	struct fc_err err;

	assert_int_equal(adm_node_execution_get(f->s, id, node, &f->a, &ne, &err), 0);
	return ne.phase;
}

static int task_phase(struct fixture *f, const struct adm_exec_id *id, const char *node)
{
	struct adm_task_execution *list;
	struct fc_err err;
	char *token;
	size_t n;

	assert_int_equal(adm_task_execution_list(f->s, id, node, NULL, &f->a, &list, &n, &token, &err), 0);
	assert_int_equal(n, 1);
	return list[0].phase;
}

/* An execution with n0 RUNNING (task attempt RUNNING) and n1 SUCCEEDED. */
static void running_exec(struct fixture *f, const char *name, struct adm_exec_id *id,
			 Flyteidl__Event__WorkflowExecutionEvent *wev)
{
	Flyteidl__Event__NodeExecutionEvent *nev = fc_arena_alloc(&f->a, sizeof(*nev));
	Flyteidl__Event__TaskExecutionEvent *tev = fc_arena_alloc(&f->a, sizeof(*tev));
	Flyteidl__Core__NodeExecutionIdentifier *nid = fc_arena_alloc(&f->a, sizeof(*nid));
	struct fc_err err;
	bool applied;

	flyteidl__event__node_execution_event__init(nev);
	flyteidl__event__task_execution_event__init(tev);
	flyteidl__core__node_execution_identifier__init(nid);
	assert_int_equal(adm_launch(f->s, exec_req(f, name, "v1", NULL, NULL), 0, &f->a, id, &err), 0);
	flyteidl__event__workflow_execution_event__init(wev);
	wev->execution_id = adm_exec_id_msg(&f->a, id);
	wev->phase = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__RUNNING;
	assert_int_equal(adm_intake_event(f->s, &wev->base, &applied, &err), 0);
	nid->execution_id = wev->execution_id;
	nid->node_id = (char *)"n1";
	nev->id = nid;
	nev->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__SUCCEEDED;
	assert_int_equal(adm_intake_event(f->s, &nev->base, &applied, &err), 0);
	nid->node_id = (char *)"n0";
	nev->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__RUNNING;
	assert_int_equal(adm_intake_event(f->s, &nev->base, &applied, &err), 0);
	tev->parent_node_execution_id = nid;
	tev->task_id = ident(&f->a, FLYTEIDL__CORE__RESOURCE_TYPE__TASK, "t", "v1");
	tev->phase = FLYTEIDL__CORE__TASK_EXECUTION__PHASE__RUNNING;
	assert_int_equal(adm_intake_event(f->s, &tev->base, &applied, &err), 0);
	wev->phase = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED;
}

/* 19.3c: a terminal execution never keeps a running node, and an event that cannot be stored is not half-stored. */
static void test_fault_terminal_event(void **state)
{
	struct fixture *f = *state;
	Flyteidl__Event__WorkflowExecutionEvent wev;
	struct adm_exec_id id;
	struct adm_execution x;
	struct fc_err err;
	unsigned long hits = 1;
	bool applied;
	long n;

	register_world(f, false);
	for (n = 0; hits; n++) {
		char name[32];
		size_t before;
		int rc;

		assert_true(n < 1000);
		snprintf(name, sizeof(name), "ev%ld", n);
		running_exec(f, name, &id, &wev);
		before = history_len(f, &id);
		adm_store_fault_arm(n, false);
		rc = adm_intake_event(f->s, &wev.base, &applied, &err);
		hits = adm_store_fault_hits();
		adm_store_fault_disarm();
		if (rc) {
			assert_int_equal(rc, FC_ESTORAGE);
			assert_false(applied);
			/* all or nothing: the execution, its nodes and its history are as before */
			assert_int_equal(adm_execution_get(f->s, &id, &f->a, &x, &err), 0);
			assert_int_equal(x.phase, FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__RUNNING);
			assert_int_equal(node_phase(f, &id, "n0"), FLYTEIDL__CORE__NODE_EXECUTION__PHASE__RUNNING);
			assert_int_equal(history_len(f, &id), before);
			/* the sender retries: now it is stored */
			assert_int_equal(adm_intake_event(f->s, &wev.base, &applied, &err), 0);
		}
		assert_true(applied);
		assert_int_equal(adm_execution_get(f->s, &id, &f->a, &x, &err), 0);
		assert_int_equal(x.phase, FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED);
		/* the running node and task attempt were closed with it; the finished node kept its phase */
		assert_int_equal(node_phase(f, &id, "n0"), FLYTEIDL__CORE__NODE_EXECUTION__PHASE__ABORTED);
		assert_int_equal(task_phase(f, &id, "n0"), FLYTEIDL__CORE__TASK_EXECUTION__PHASE__ABORTED);
		assert_int_equal(node_phase(f, &id, "n1"), FLYTEIDL__CORE__NODE_EXECUTION__PHASE__SUCCEEDED);
		assert_int_equal(history_len(f, &id), before + 3); /* workflow FAILED, task and node ABORTED */
	}
	assert_true(n > 1);
}

static void test_fault_file_status(void **state)
{
	struct fixture *f = *state;
	struct adm_file_status st, *list;
	struct fc_err err;
	size_t n;

	memset(&st, 0, sizeof(st));
	st.path = "a.yaml";
	st.nerrors = 1;
	st.diagnostics_text = "a.yaml: error[StoreUnavailable]: not registered yet\n";
	adm_store_fault_arm(0, true);
	assert_int_equal(adm_file_status_put(f->s, &st, &err), FC_ESTORAGE);
	adm_store_fault_disarm();
	/* shown meanwhile, from memory */
	assert_int_equal(adm_file_status_list(f->s, true, &f->a, &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].path, "a.yaml");
	assert_false(list[0].ok);
	assert_non_null(strstr(list[0].diagnostics_text, "StoreUnavailable"));
	/* written once the store writes again, replacing the one in memory */
	memset(&st, 0, sizeof(st));
	st.path = "a.yaml";
	st.ok = true;
	assert_int_equal(adm_file_status_put(f->s, &st, &err), 0);
	assert_int_equal(adm_file_status_list(f->s, true, &f->a, &list, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(adm_file_status_list(f->s, false, &f->a, &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_true(list[0].ok);
}

/* --- registrations through the API, against `flytec compile` ------------------------------------------ */
/* pyflyte's registration placeholders and empty identifier fields, as flytectl fills them before sending. */
static void fill_placeholders(json_t *j)
{
	static const char *const fields[][2] = {
		{"project", "flytesnacks"}, {"domain", "development"}, {"version", "v1"}};
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_object(j)) {
		if (json_object_get(j, "resourceType") && json_object_get(j, "name"))
			for (i = 0; i < 3; i++)
				if (!json_object_get(j, fields[i][0]))
					json_object_set_new(j, fields[i][0], json_string(fields[i][1]));
		json_object_foreach(j, key, v) {
			if (json_is_string(v) && strstr(json_string_value(v), "{{")) {
				const char *s = json_string_value(v);

				if (strstr(s, "registration.project"))
					json_object_set_new(j, key, json_string("flytesnacks"));
				else if (strstr(s, "registration.domain"))
					json_object_set_new(j, key, json_string("development"));
				else if (strstr(s, "registration.version"))
					json_object_set_new(j, key, json_string("v1"));
			} else {
				fill_placeholders(v);
			}
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			fill_placeholders(v);
	}
}

/* Versions out of the way: the API keeps the client's, the compiler hashes content. */
static void drop_versions(json_t *j)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_object(j)) {
		json_object_del(j, "version");
		json_object_foreach(j, key, v)
			drop_versions(v);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			drop_versions(v);
	}
}

/* A pyflyte .pb as flytectl sends it: read, decoded as `d`, placeholders filled. */
static void *load(struct fc_arena *a, const char *path, const ProtobufCMessageDescriptor *d)
{
	FILE *fp = fopen(path, "rb");
	struct fc_buf b = FC_BUF_INIT;
	struct fc_err err;
	ProtobufCMessage *m = NULL;
	void *raw = NULL;
	json_t *j = NULL;
	char chunk[4096];
	size_t n;

	assert_non_null(fp);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		fc_buf_add(&b, chunk, n);
	fclose(fp);
	assert_int_equal(cmp_pb_unpack(a, d, b.buf, b.len, &raw, &err), FC_OK);
	assert_int_equal(fc_pbjson_encode(raw, 0, &j, &err), FC_OK);
	fill_placeholders(j);
	assert_int_equal(fc_pbjson_decode(j, d, fc_arena_pb_allocator(a), 0, &m, &err), FC_OK);
	json_decref(j);
	fc_buf_release(&b);
	return m;
}

static json_t *versionless(const ProtobufCMessage *m)
{
	struct fc_err err;
	json_t *j = NULL;

	assert_int_equal(fc_pbjson_encode(m, 0, &j, &err), FC_OK);
	drop_versions(j);
	return j;
}

static const struct cmp_workflow_result *find_workflow(struct cmp_session *s, const char *name)
{
	size_t i;

	for (i = 0; i < cmp_workflow_count(s); i++) {
		const struct cmp_workflow_result *w = cmp_workflow_at(s, i);

		if (w->closure && !strcmp(w->closure->primary->template_->id->name, name))
			return w;
	}
	return NULL;
}

static void test_snacks_api_equals_compile(void **state)
{
	struct fixture *f = *state;
	struct cmp_options opts;
	struct cmp_session *cs, *cs2;
	char **tasks = NULL, **wfs = NULL, **lps = NULL;
	size_t ntasks, nwfs, nlps, i, same = 0;

	if (!have_shared_data(SNACKS_DIR))
		skip();
	memset(&opts, 0, sizeof(opts));
	opts.project = "flytesnacks";
	opts.domain = "development";
	cs = cmp_session_new(&opts);
	ntasks = data_list_files(SNACKS_DIR, "_1.pb", &tasks);
	nwfs = data_list_files(SNACKS_DIR, "_2.pb", &wfs);
	for (i = 0; i < ntasks; i++)
		assert_int_equal(cmp_add_path(cs, tasks[i]), FC_OK);
	for (i = 0; i < nwfs; i++)
		assert_int_equal(cmp_add_path(cs, wfs[i]), FC_OK);
	assert_int_equal(cmp_compile(cs), FC_OK);

	for (i = 0; i < ntasks; i++) {
		Flyteidl__Admin__TaskCreateRequest req = FLYTEIDL__ADMIN__TASK_CREATE_REQUEST__INIT;
		struct fc_err err;
		bool created;

		req.spec = load(&f->a, tasks[i], &flyteidl__admin__task_spec__descriptor);
		req.id = req.spec->template_->id;
		if (adm_create_task(f->s, &req, &created, NULL, &err))
			fail_msg("%s: %s", tasks[i], err.msg);
	}
	for (i = 0; i < nwfs; i++) {
		Flyteidl__Admin__WorkflowCreateRequest req = FLYTEIDL__ADMIN__WORKFLOW_CREATE_REQUEST__INIT;
		const struct cmp_workflow_result *want;
		Flyteidl__Admin__Workflow *got;
		struct adm_entity e;
		struct adm_id id;
		struct fc_err err;
		json_t *x, *y;
		bool created;

		req.spec = load(&f->a, wfs[i], &flyteidl__admin__workflow_spec__descriptor);
		req.id = req.spec->template_->id;
		if (adm_create_workflow(f->s, &req, &created, NULL, &err)) {
			/* launch plan nodes need the plans registered first: flytectl orders them; skip those here */
			if (strstr(err.msg, "LaunchPlan") || strstr(err.msg, "launch plan"))
				continue;
			fail_msg("%s: %s", wfs[i], err.msg);
		}
		id.project = req.id->project;
		id.domain = req.id->domain;
		id.name = req.id->name;
		id.version = req.id->version;
		assert_int_equal(adm_entity_get(f->s, ADM_WORKFLOW, &id, &f->a, &e, &err), FC_OK);
		assert_int_equal(adm_workflow_msg(&e, &f->a, &got, &err), FC_OK);
		assert_string_equal(got->closure->compiled_workflow->primary->template_->id->version, "v1");
		want = find_workflow(cs, id.name);
		assert_non_null(want);
		x = versionless(&want->closure->base);
		y = versionless(&got->closure->compiled_workflow->base);
		if (!json_equal(x, y)) {
			char *sx = json_dumps(x, JSON_SORT_KEYS | JSON_INDENT(1)), *sy = json_dumps(y, JSON_SORT_KEYS | JSON_INDENT(1));

			fprintf(stderr, "compiled:\n%.3000s\nstored:\n%.3000s\n", sx, sy);
			free(sx);
			free(sy);
			fail_msg("%s: the stored closure differs from flytec compile's", wfs[i]);
		}
		json_decref(x);
		json_decref(y);
		same++;
	}
	print_message("%zu of %zu workflows stored as compiled\n", same, nwfs);
	assert_int_equal(same, nwfs);
	/* launch plans (those whose workflow the test data has): compiled against the stored workflow, spec and
	 * expected inputs as `flytec compile` makes them of the same files */
	nlps = data_list_files(SNACKS_DIR, "_3.pb", &lps);
	cs2 = cmp_session_new(&opts);
	for (i = 0; i < ntasks; i++)
		assert_int_equal(cmp_add_path(cs2, tasks[i]), FC_OK);
	for (i = 0; i < nwfs; i++)
		assert_int_equal(cmp_add_path(cs2, wfs[i]), FC_OK);
	for (i = 0; i < nlps; i++) {
		Flyteidl__Admin__LaunchPlan *lp = load(&f->a, lps[i], &flyteidl__admin__launch_plan__descriptor);

		if (find_workflow(cs, lp->spec->workflow_id->name))
			assert_int_equal(cmp_add_path(cs2, lps[i]), FC_OK);
	}
	assert_int_equal(cmp_compile(cs2), FC_OK);
	same = 0;
	for (i = 0; i < nlps; i++) {
		Flyteidl__Admin__LaunchPlanCreateRequest req = FLYTEIDL__ADMIN__LAUNCH_PLAN_CREATE_REQUEST__INIT;
		Flyteidl__Admin__LaunchPlan *lp = load(&f->a, lps[i], &flyteidl__admin__launch_plan__descriptor), *got;
		const Flyteidl__Admin__LaunchPlan *want = NULL;
		struct adm_entity e;
		struct adm_id id;
		struct fc_err err;
		json_t *x, *y;
		bool created;
		size_t k;

		req.id = lp->id;
		req.spec = lp->spec;
		if (!find_workflow(cs, lp->spec->workflow_id->name)) {
			/* a workflow the test data lacks: refused, saying so */
			assert_int_equal(adm_create_launch_plan(f->s, &req, &created, NULL, &err), FC_EINVAL);
			assert_non_null(strstr(err.msg, "not registered"));
			continue;
		}
		if (adm_create_launch_plan(f->s, &req, &created, NULL, &err))
			fail_msg("%s: %s", lps[i], err.msg);
		id.project = req.id->project;
		id.domain = req.id->domain;
		id.name = req.id->name;
		id.version = req.id->version;
		assert_int_equal(adm_entity_get(f->s, ADM_LAUNCH_PLAN, &id, &f->a, &e, &err), FC_OK);
		assert_int_equal(adm_launch_plan_msg(&e, &f->a, &got, &err), FC_OK);
		for (k = 0; k < cmp_launch_plan_count(cs2); k++)
			if (!strcmp(cmp_launch_plan_at(cs2, k)->launch_plan->id->name, id.name))
				want = cmp_launch_plan_at(cs2, k)->launch_plan;
		assert_non_null(want);
		x = versionless(&want->spec->base);
		y = versionless(&got->spec->base);
		assert_true(json_equal(x, y));
		json_decref(x);
		json_decref(y);
		x = versionless(&want->closure->expected_inputs->base);
		y = versionless(&got->closure->expected_inputs->base);
		assert_true(json_equal(x, y));
		json_decref(x);
		json_decref(y);
		same++;
	}
	cmp_session_free(cs2);
	print_message("%zu of %zu launch plans stored as compiled\n", same, nlps);
	data_free_list(lps, nlps);
	data_free_list(tasks, ntasks);
	data_free_list(wfs, nwfs);
	cmp_session_free(cs);
}

/* The error codes in an FC_ESPEC message ("error[Code]: ..."), sorted and joined. */
static void codes_of_message(const char *msg, struct fc_buf *out)
{
	const char *p = msg;

	while ((p = strstr(p, "error[")) != NULL) {
		const char *end = strchr(p, ']');

		if (!end)
			break;
		fc_buf_addf(out, "%.*s ", (int)(end - p - 6), p + 6);
		p = end;
	}
}

/* A workflow whose node binds an input the task does not have, and a string to an integer: the API refuses it
 * with the codes the compiler gives the same files in a repository. */
static void test_same_errors_both_doors(void **state)
{
	struct fixture *f = *state;
	Flyteidl__Admin__WorkflowCreateRequest req = FLYTEIDL__ADMIN__WORKFLOW_CREATE_REQUEST__INIT;
	Flyteidl__Admin__TaskCreateRequest treq = FLYTEIDL__ADMIN__TASK_CREATE_REQUEST__INIT;
	struct fc_buf api = FC_BUF_INIT, repo = FC_BUF_INIT, bytes = FC_BUF_INIT;
	char **tasks = NULL, **wfs = NULL, path[256];
	size_t ntasks, nwfs, i, w = 0;
	struct cmp_options opts;
	struct cmp_session *cs;
	struct fc_diags *d;
	struct fc_err err;
	bool created;
	FILE *fp;

	if (!have_shared_data(SNACKS_DIR))
		skip();
	ntasks = data_list_files(SNACKS_DIR, "_1.pb", &tasks);
	nwfs = data_list_files(SNACKS_DIR, "_2.pb", &wfs);
	for (i = 0; i < ntasks; i++) {
		treq.spec = load(&f->a, tasks[i], &flyteidl__admin__task_spec__descriptor);
		treq.id = treq.spec->template_->id;
		assert_int_equal(adm_create_task(f->s, &treq, &created, NULL, &err), FC_OK);
	}
	/* break the first workflow (in name order) with a node reading another node's output: it reads one that does
	 * not exist */
	for (w = 0; w < nwfs; w++) {
		req.spec = load(&f->a, wfs[w], &flyteidl__admin__workflow_spec__descriptor);
		req.id = req.spec->template_->id;
		for (i = 0; i < req.spec->template_->n_nodes; i++) {
			Flyteidl__Core__Node *n = req.spec->template_->nodes[i];

			if (n->n_inputs && n->inputs[0]->binding->value_case == FLYTEIDL__CORE__BINDING_DATA__VALUE_PROMISE &&
			    strcmp(n->inputs[0]->binding->promise->node_id, "start-node")) {
				n->inputs[0]->binding->promise->var = (char *)"no_such_output";
				break;
			}
		}
		if (i < req.spec->template_->n_nodes)
			break;
	}
	assert_true(w < nwfs);
	assert_int_equal(adm_create_workflow(f->s, &req, &created, NULL, &err), FC_ESPEC);
	codes_of_message(err.msg, &api);

	/* the same files in a repository: the tasks as pyflyte wrote them, the broken workflow next to them */
	snprintf(path, sizeof(path), "%s/broken_2.pb", f->dir);
	cmp_pb_pack(&req.spec->base, &bytes);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(bytes.buf, 1, bytes.len, fp), bytes.len);
	fclose(fp);
	memset(&opts, 0, sizeof(opts));
	opts.project = "flytesnacks";
	opts.domain = "development";
	cs = cmp_session_new(&opts);
	for (i = 0; i < ntasks; i++)
		assert_int_equal(cmp_add_path(cs, tasks[i]), FC_OK);
	assert_int_equal(cmp_add_path(cs, path), FC_OK);
	assert_int_equal(cmp_compile(cs), FC_ESPEC);
	d = cmp_diags(cs);
	for (i = 0; i < d->nr; i++)
		if (d->items[i].sev == FC_SEV_ERROR)
			fc_buf_addf(&repo, "%s ", d->items[i].code);
	assert_true(api.len > 0);
	assert_string_equal(api.buf, repo.buf);
	print_message("both doors: %s\n", api.buf);
	cmp_session_free(cs);
	fc_buf_release(&api);
	fc_buf_release(&repo);
	fc_buf_release(&bytes);
	data_free_list(tasks, ntasks);
	data_free_list(wfs, nwfs);
}

/* A workflow whose node launches a registered launch plan: the plan and its workflow go to the compiler with the
 * request (before, only tasks did, and such a workflow could not be registered through the API). */
static void test_launch_plan_node(void **state)
{
	struct fixture *f = *state;
	static const char *const files[] = {"017_core.control_flow.chain_tasks.read_1.pb",
					    "018_core.control_flow.chain_tasks.write_1.pb",
					    "019_core.control_flow.chain_tasks.chain_tasks_wf_2.pb",
					    "020_core.control_flow.chain_tasks.chain_tasks_wf_3.pb"};
	Flyteidl__Admin__WorkflowCreateRequest req = FLYTEIDL__ADMIN__WORKFLOW_CREATE_REQUEST__INIT;
	Flyteidl__Admin__WorkflowSpec ws = FLYTEIDL__ADMIN__WORKFLOW_SPEC__INIT;
	Flyteidl__Core__WorkflowTemplate tpl = FLYTEIDL__CORE__WORKFLOW_TEMPLATE__INIT;
	Flyteidl__Core__Node node = FLYTEIDL__CORE__NODE__INIT, *nodes[1] = {&node};
	Flyteidl__Core__WorkflowNode wn = FLYTEIDL__CORE__WORKFLOW_NODE__INIT;
	Flyteidl__Core__Identifier wid = FLYTEIDL__CORE__IDENTIFIER__INIT;
	Flyteidl__Admin__LaunchPlan *lp = NULL;
	Flyteidl__Admin__Workflow *got;
	struct adm_entity e;
	struct adm_id id = {"flytesnacks", "development", "parent", "v1"};
	struct fc_err err;
	char path[512];
	bool created;
	size_t i;

	if (!have_shared_data(SNACKS_DIR))
		skip();
	for (i = 0; i < FC_ARRAY_LEN(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", SNACKS_DIR, files[i]);
		if (i < 2) {
			Flyteidl__Admin__TaskCreateRequest t = FLYTEIDL__ADMIN__TASK_CREATE_REQUEST__INIT;

			t.spec = load(&f->a, path, &flyteidl__admin__task_spec__descriptor);
			t.id = t.spec->template_->id;
			assert_int_equal(adm_create_task(f->s, &t, &created, NULL, &err), FC_OK);
		} else if (i == 2) {
			Flyteidl__Admin__WorkflowCreateRequest w = FLYTEIDL__ADMIN__WORKFLOW_CREATE_REQUEST__INIT;

			w.spec = load(&f->a, path, &flyteidl__admin__workflow_spec__descriptor);
			w.id = w.spec->template_->id;
			assert_int_equal(adm_create_workflow(f->s, &w, &created, NULL, &err), FC_OK);
		} else {
			Flyteidl__Admin__LaunchPlanCreateRequest l = FLYTEIDL__ADMIN__LAUNCH_PLAN_CREATE_REQUEST__INIT;

			lp = load(&f->a, path, &flyteidl__admin__launch_plan__descriptor);
			l.id = lp->id;
			l.spec = lp->spec;
			assert_int_equal(adm_create_launch_plan(f->s, &l, &created, NULL, &err), FC_OK);
		}
	}
	wid.resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW;
	wid.project = (char *)id.project;
	wid.domain = (char *)id.domain;
	wid.name = (char *)id.name;
	wid.version = (char *)id.version;
	wn.reference_case = FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_LAUNCHPLAN_REF;
	wn.launchplan_ref = lp->id;
	node.id = (char *)"n0";
	node.target_case = FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE;
	node.workflow_node = &wn;
	tpl.id = &wid;
	tpl.n_nodes = 1;
	tpl.nodes = nodes;
	ws.template_ = &tpl;
	req.id = &wid;
	req.spec = &ws;
	if (adm_create_workflow(f->s, &req, &created, NULL, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(adm_entity_get(f->s, ADM_WORKFLOW, &id, &f->a, &e, &err), FC_OK);
	assert_int_equal(adm_workflow_msg(&e, &f->a, &got, &err), FC_OK);
	/* the launched plan's version is the one registered, not a hash */
	for (i = 0; i < got->closure->compiled_workflow->primary->template_->n_nodes; i++) {
		const Flyteidl__Core__Node *n = got->closure->compiled_workflow->primary->template_->nodes[i];

		if (!strcmp(n->id, "n0"))
			assert_string_equal(n->workflow_node->launchplan_ref->version, "v1");
	}
	/* an unregistered plan is a bad request naming it */
	wn.launchplan_ref = cmp_pb_copy(&f->a, &lp->id->base);
	wn.launchplan_ref->version = (char *)"v9";
	wid.version = (char *)"v2";
	assert_int_equal(adm_create_workflow(f->s, &req, &created, NULL, &err), FC_EINVAL);
	assert_non_null(strstr(err.msg, "launch plan"));
	assert_non_null(strstr(err.msg, "not registered"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff),
		cmocka_unit_test_setup_teardown(test_register_conflict_diff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_workflow_assembly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_launch_inputs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_launch_scheduled_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_intake, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_workflow_type_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_launch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_terminal_event, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_file_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snacks_api_equals_compile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_errors_both_doors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_launch_plan_node, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
