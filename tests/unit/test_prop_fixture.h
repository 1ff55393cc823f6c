/*
 * test_prop_fixture.h: builders of compiled workflow closures for the propeller's tests (included by the
 * test_prop_*.c files; not a test itself). Everything is allocated in one arena.
 */
#ifndef TEST_PROP_FIXTURE_H
#define TEST_PROP_FIXTURE_H

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "propeller/engine.h"
#include "propeller/events.h"
#include "compiler/lit.h"

#include "flyteidl/core/compiler.pb-c.h"
#include "flyteidl/core/workflow.pb-c.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fx {
	struct fc_arena a;
	Flyteidl__Core__CompiledWorkflowClosure *closure;
	Flyteidl__Core__WorkflowTemplate *wf;
};

#define FX_GROW(arr, n) ((arr) = fx_grow(fx, (arr), (n), sizeof(*(arr))))

FC_UNUSED static void *fx_grow(struct fx *fx, void *arr, size_t n, size_t size)
{
	void *grown = fc_arena_array(&fx->a, n + 1, size);

	if (n)
		memcpy(grown, arr, n * size);
	return grown;
}

FC_UNUSED static Flyteidl__Core__Identifier *fx_id(struct fx *fx, Flyteidl__Core__ResourceType rt, const char *name)
{
	Flyteidl__Core__Identifier *id = fc_arena_alloc(&fx->a, sizeof(*id));

	flyteidl__core__identifier__init(id);
	id->resource_type = rt;
	id->project = fc_arena_strdup(&fx->a, "p");
	id->domain = fc_arena_strdup(&fx->a, "d");
	id->name = fc_arena_strdup(&fx->a, name);
	id->version = fc_arena_strdup(&fx->a, "v1");
	return id;
}

FC_UNUSED static Flyteidl__Core__LiteralType *fx_type(struct fx *fx, const char *t)
{
	Flyteidl__Core__LiteralType *lt = fc_arena_alloc(&fx->a, sizeof(*lt));

	flyteidl__core__literal_type__init(lt);
	if (!strncmp(t, "list:", 5)) {
		lt->type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_COLLECTION_TYPE;
		lt->collection_type = fx_type(fx, t + 5);
		return lt;
	}
	lt->type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE;
	lt->simple = !strcmp(t, "int")	  ? FLYTEIDL__CORE__SIMPLE_TYPE__INTEGER
		     : !strcmp(t, "float") ? FLYTEIDL__CORE__SIMPLE_TYPE__FLOAT
		     : !strcmp(t, "bool")  ? FLYTEIDL__CORE__SIMPLE_TYPE__BOOLEAN
					   : FLYTEIDL__CORE__SIMPLE_TYPE__STRING;
	return lt;
}

/* "a:int,b:str" */
FC_UNUSED static Flyteidl__Core__VariableMap *fx_vars(struct fx *fx, const char *spec)
{
	Flyteidl__Core__VariableMap *vm = fc_arena_alloc(&fx->a, sizeof(*vm));
	char *copy = fc_arena_strdup(&fx->a, spec ? spec : "");
	char *save = NULL, *tok;

	flyteidl__core__variable_map__init(vm);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		Flyteidl__Core__VariableMap__VariablesEntry *e = fc_arena_alloc(&fx->a, sizeof(*e));
		Flyteidl__Core__Variable *v = fc_arena_alloc(&fx->a, sizeof(*v));

		*colon = '\0';
		flyteidl__core__variable_map__variables_entry__init(e);
		flyteidl__core__variable__init(v);
		v->type = fx_type(fx, colon + 1);
		e->key = tok;
		e->value = v;
		FX_GROW(vm->variables, vm->n_variables);
		vm->variables[vm->n_variables++] = e;
	}
	return vm;
}

FC_UNUSED static Flyteidl__Core__TypedInterface *fx_iface(struct fx *fx, const char *in, const char *out)
{
	Flyteidl__Core__TypedInterface *ti = fc_arena_alloc(&fx->a, sizeof(*ti));

	flyteidl__core__typed_interface__init(ti);
	ti->inputs = fx_vars(fx, in);
	ti->outputs = fx_vars(fx, out);
	return ti;
}

FC_UNUSED static Flyteidl__Core__WorkflowTemplate *fx_wf_template(struct fx *fx, const char *name)
{
	Flyteidl__Core__WorkflowTemplate *wf = fc_arena_alloc(&fx->a, sizeof(*wf));
	Flyteidl__Core__WorkflowMetadata *md = fc_arena_alloc(&fx->a, sizeof(*md));

	flyteidl__core__workflow_template__init(wf);
	flyteidl__core__workflow_metadata__init(md);
	wf->id = fx_id(fx, FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW, name);
	wf->metadata = md;
	wf->interface = fx_iface(fx, "", "");
	return wf;
}

FC_UNUSED static void fx_init(struct fx *fx)
{
	Flyteidl__Core__CompiledWorkflow *cw;

	memset(fx, 0, sizeof(*fx));
	fc_arena_init(&fx->a, 0);
	fx->closure = fc_arena_alloc(&fx->a, sizeof(*fx->closure));
	flyteidl__core__compiled_workflow_closure__init(fx->closure);
	cw = fc_arena_alloc(&fx->a, sizeof(*cw));
	flyteidl__core__compiled_workflow__init(cw);
	fx->wf = fx_wf_template(fx, "wf");
	cw->template_ = fx->wf;
	fx->closure->primary = cw;
}

FC_UNUSED static void fx_release(struct fx *fx)
{
	fc_arena_release(&fx->a);
}

FC_UNUSED static void fx_add_subworkflow(struct fx *fx, Flyteidl__Core__WorkflowTemplate *wf)
{
	Flyteidl__Core__CompiledWorkflow *cw = fc_arena_alloc(&fx->a, sizeof(*cw));

	flyteidl__core__compiled_workflow__init(cw);
	cw->template_ = wf;
	FX_GROW(fx->closure->sub_workflows, fx->closure->n_sub_workflows);
	fx->closure->sub_workflows[fx->closure->n_sub_workflows++] = cw;
}

/* A task; `argv` is NULL-terminated (NULL for non-container tasks). */
FC_UNUSED static Flyteidl__Core__TaskTemplate *fx_task(struct fx *fx, const char *name, const char *type, const char *in,
					     const char *out, const char *const *argv)
{
	Flyteidl__Core__CompiledTask *ct = fc_arena_alloc(&fx->a, sizeof(*ct));
	Flyteidl__Core__TaskTemplate *t = fc_arena_alloc(&fx->a, sizeof(*t));
	Flyteidl__Core__TaskMetadata *md = fc_arena_alloc(&fx->a, sizeof(*md));

	flyteidl__core__compiled_task__init(ct);
	flyteidl__core__task_template__init(t);
	flyteidl__core__task_metadata__init(md);
	t->id = fx_id(fx, FLYTEIDL__CORE__RESOURCE_TYPE__TASK, name);
	t->type = fc_arena_strdup(&fx->a, type);
	t->metadata = md;
	t->interface = fx_iface(fx, in, out);
	if (argv) {
		Flyteidl__Core__Container *c = fc_arena_alloc(&fx->a, sizeof(*c));
		size_t n = 0;

		flyteidl__core__container__init(c);
		while (argv[n])
			n++;
		c->n_command = n;
		c->command = fc_arena_memdup(&fx->a, argv, n * sizeof(char *));
		c->image = fc_arena_strdup(&fx->a, "local");
		t->target_case = FLYTEIDL__CORE__TASK_TEMPLATE__TARGET_CONTAINER;
		t->container = c;
	}
	ct->template_ = t;
	FX_GROW(fx->closure->tasks, fx->closure->n_tasks);
	fx->closure->tasks[fx->closure->n_tasks++] = ct;
	return t;
}

FC_UNUSED static void fx_task_retries(struct fx *fx, Flyteidl__Core__TaskTemplate *t, uint32_t retries)
{
	Flyteidl__Core__RetryStrategy *rs = fc_arena_alloc(&fx->a, sizeof(*rs));

	flyteidl__core__retry_strategy__init(rs);
	rs->retries = retries;
	t->metadata->retries = rs;
}

FC_UNUSED static void fx_task_timeout(struct fx *fx, Flyteidl__Core__TaskTemplate *t, double secs)
{
	Google__Protobuf__Duration *d = fc_arena_alloc(&fx->a, sizeof(*d));

	google__protobuf__duration__init(d);
	d->seconds = (int64_t)secs;
	d->nanos = (int32_t)((secs - (double)d->seconds) * 1e9);
	t->metadata->timeout = d;
}

FC_UNUSED static void fx_task_cache(Flyteidl__Core__TaskTemplate *t, const char *version)
{
	t->metadata->discoverable = true;
	t->metadata->discovery_version = (char *)version;
}

FC_UNUSED static Flyteidl__Core__Node *fx_node_in(struct fx *fx, Flyteidl__Core__WorkflowTemplate *wf, const char *id)
{
	Flyteidl__Core__Node *n = fc_arena_alloc(&fx->a, sizeof(*n));

	flyteidl__core__node__init(n);
	n->id = fc_arena_strdup(&fx->a, id);
	if (wf) {
		FX_GROW(wf->nodes, wf->n_nodes);
		wf->nodes[wf->n_nodes++] = n;
	}
	return n;
}

FC_UNUSED static Flyteidl__Core__Node *fx_task_node_in(struct fx *fx, Flyteidl__Core__WorkflowTemplate *wf, const char *id,
					     const Flyteidl__Core__TaskTemplate *t)
{
	Flyteidl__Core__Node *n = fx_node_in(fx, wf, id);
	Flyteidl__Core__TaskNode *tn = fc_arena_alloc(&fx->a, sizeof(*tn));

	flyteidl__core__task_node__init(tn);
	tn->reference_case = FLYTEIDL__CORE__TASK_NODE__REFERENCE_REFERENCE_ID;
	tn->reference_id = t->id;
	n->target_case = FLYTEIDL__CORE__NODE__TARGET_TASK_NODE;
	n->task_node = tn;
	return n;
}

FC_UNUSED static Flyteidl__Core__Node *fx_task_node(struct fx *fx, const char *id, const Flyteidl__Core__TaskTemplate *t)
{
	return fx_task_node_in(fx, fx->wf, id, t);
}

FC_UNUSED static void fx_upstream(struct fx *fx, Flyteidl__Core__Node *n, const char *up)
{
	FX_GROW(n->upstream_node_ids, n->n_upstream_node_ids);
	n->upstream_node_ids[n->n_upstream_node_ids++] = fc_arena_strdup(&fx->a, up);
}

FC_UNUSED static Flyteidl__Core__BindingData *fx_bd_promise(struct fx *fx, const char *node, const char *var)
{
	Flyteidl__Core__BindingData *bd = fc_arena_alloc(&fx->a, sizeof(*bd));
	Flyteidl__Core__OutputReference *ref = fc_arena_alloc(&fx->a, sizeof(*ref));

	flyteidl__core__binding_data__init(bd);
	flyteidl__core__output_reference__init(ref);
	ref->node_id = fc_arena_strdup(&fx->a, node);
	ref->var = fc_arena_strdup(&fx->a, var);
	bd->value_case = FLYTEIDL__CORE__BINDING_DATA__VALUE_PROMISE;
	bd->promise = ref;
	return bd;
}

FC_UNUSED static Flyteidl__Core__BindingData *fx_bd_lit(struct fx *fx, Flyteidl__Core__Literal *lit)
{
	Flyteidl__Core__BindingData *bd = fc_arena_alloc(&fx->a, sizeof(*bd));

	flyteidl__core__binding_data__init(bd);
	bd->value_case = FLYTEIDL__CORE__BINDING_DATA__VALUE_SCALAR;
	bd->scalar = lit->scalar;
	return bd;
}

FC_UNUSED static Flyteidl__Core__Binding *fx_binding(struct fx *fx, const char *var, Flyteidl__Core__BindingData *bd)
{
	Flyteidl__Core__Binding *b = fc_arena_alloc(&fx->a, sizeof(*b));

	flyteidl__core__binding__init(b);
	b->var = fc_arena_strdup(&fx->a, var);
	b->binding = bd;
	return b;
}

FC_UNUSED static void fx_bind(struct fx *fx, Flyteidl__Core__Node *n, const char *var, Flyteidl__Core__BindingData *bd)
{
	FX_GROW(n->inputs, n->n_inputs);
	n->inputs[n->n_inputs++] = fx_binding(fx, var, bd);
}

FC_UNUSED static void fx_wf_output(struct fx *fx, Flyteidl__Core__WorkflowTemplate *wf, const char *var,
			 Flyteidl__Core__BindingData *bd)
{
	FX_GROW(wf->outputs, wf->n_outputs);
	wf->outputs[wf->n_outputs++] = fx_binding(fx, var, bd);
}

/* --- running ----------------------------------------------------------------------------------------------- */

FC_UNUSED static char *fx_tmpdir(void)
{
	char tmpl[] = "/tmp/flytec-prop-XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? fc_xstrdup(d) : NULL;
}

FC_UNUSED static void fx_rmrf(const char *dir)
{
	char cmd[512];

	if (!dir || strncmp(dir, "/tmp/flytec-prop-", 17))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

FC_UNUSED static struct prop_engine *fx_engine(const char *dir, struct prop_event_sink *sink)
{
	struct prop_config cfg;
	struct prop_engine *e = NULL;
	struct fc_err err;

	memset(&cfg, 0, sizeof(cfg));
	cfg.data_dir = dir;
	cfg.sink = sink;
	if (prop_engine_open(&cfg, &e, &err)) {
		fprintf(stderr, "engine: %s\n", err.msg);
		abort();
	}
	return e;
}

/* Submit and run to the end; returns the execution phase; outputs in fx's arena. */
FC_UNUSED static int fx_run_exec(struct fx *fx, struct prop_engine *e, const char *name, Flyteidl__Core__LiteralMap *inputs,
		       uint32_t parallelism, Flyteidl__Core__LiteralMap **outputs, char **error)
{
	struct prop_workflow_resource res;
	struct fc_err err;
	int phase = -1;

	memset(&res, 0, sizeof(res));
	res.project = "p";
	res.domain = "d";
	res.name = name;
	res.closure = fx->closure;
	res.inputs = inputs;
	res.config.max_parallelism = parallelism;
	if (prop_engine_submit(e, &res, &err)) {
		fprintf(stderr, "submit: %s\n", err.msg);
		return -1;
	}
	if (prop_engine_run(e, &err)) {
		fprintf(stderr, "run: %s\n", err.msg);
		return -1;
	}
	if (prop_engine_result(e, "p", "d", name, &phase, &fx->a, outputs, error, &err)) {
		fprintf(stderr, "result: %s\n", err.msg);
		return -1;
	}
	return phase;
}

FC_UNUSED static int64_t fx_int(const Flyteidl__Core__LiteralMap *m, const char *var)
{
	const Flyteidl__Core__Literal *l = cmp_litmap_get(m, var);

	if (!l || l->value_case != FLYTEIDL__CORE__LITERAL__VALUE_SCALAR ||
	    l->scalar->value_case != FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE)
		return -999999;
	return l->scalar->primitive->integer;
}

FC_UNUSED static const char *fx_str(const Flyteidl__Core__LiteralMap *m, const char *var)
{
	const Flyteidl__Core__Literal *l = cmp_litmap_get(m, var);

	if (!l || l->value_case != FLYTEIDL__CORE__LITERAL__VALUE_SCALAR ||
	    l->scalar->value_case != FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE)
		return NULL;
	return l->scalar->primitive->string_value;
}

/* Count lines of a file equal to `line`. */
FC_UNUSED static int fx_count_lines(const char *path, const char *line)
{
	FILE *f = fopen(path, "r");
	char buf[512];
	int n = 0;

	if (!f)
		return 0;
	while (fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = '\0';
		if (!line || !strcmp(buf, line))
			n++;
	}
	fclose(f);
	return n;
}

#endif
