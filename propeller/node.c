/*
 * node.c: the node state machine. A node is stepped when it may have something to do (its upstream finished, a
 * watched fd fired, a timer passed, a child finished); each step moves it along
 * NotYetStarted -> Queued -> Running -> Succeeded | Failed | TimedOut | Aborted | Skipped, through the kind's
 * handler: tasks go through their plugin, subworkflows and branches through child nodes, array nodes through one
 * child per element, gates through a timer.
 */
#include "propeller/engine_int.h"

#include "core/err.h"
#include "core/log.h"
#include "plugins/registry.h"
#include "propeller/catalog.h"
#include "propeller/events.h"
#include "propeller/lit.h"
#include "propeller/store.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void node_complete(struct prop_node *n, int phase);
static void wf_check(struct prop_wf *wf);

static bool terminal(int phase)
{
	return phase >= NP_SUCCEEDED;
}

static int event_phase_of(int np)
{
	switch (np) {
	case NP_QUEUED: return FLYTEIDL__CORE__NODE_EXECUTION__PHASE__QUEUED;
	case NP_RUNNING: return FLYTEIDL__CORE__NODE_EXECUTION__PHASE__RUNNING;
	case NP_SUCCEEDED: return FLYTEIDL__CORE__NODE_EXECUTION__PHASE__SUCCEEDED;
	case NP_FAILED: return FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
	case NP_SKIPPED: return FLYTEIDL__CORE__NODE_EXECUTION__PHASE__SKIPPED;
	case NP_TIMED_OUT: return FLYTEIDL__CORE__NODE_EXECUTION__PHASE__TIMED_OUT;
	case NP_ABORTED: return FLYTEIDL__CORE__NODE_EXECUTION__PHASE__ABORTED;
	default: return FLYTEIDL__CORE__NODE_EXECUTION__PHASE__UNDEFINED;
	}
}

static void set_error(struct prop_node *n, const char *code, int kind, const char *fmt, ...) FC_PRINTF(4, 5);
static void set_error(struct prop_node *n, const char *code, int kind, const char *fmt, ...)
{
	struct fc_arena *a = &n->wf->ex->arena;
	struct fc_buf b = FC_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	fc_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	n->error_code = fc_arena_strdup(a, code);
	n->error_msg = fc_arena_strdup(a, b.buf);
	n->error_kind = kind;
	fc_buf_release(&b);
}

/* --- keys and paths ---------------------------------------------------------------------------------------- */

static void node_key(const struct prop_node *n, const char *rest, struct fc_buf *out)
{
	fc_buf_addf(out, "%s/%s/data/%s", n->wf->ex->key, n->uid, rest);
}

static void attempt_key(const struct prop_node *n, uint32_t attempt, const char *file, struct fc_buf *out)
{
	fc_buf_addf(out, "%s/%s/data/%u/%s", n->wf->ex->key, n->uid, attempt, file);
}

static uint32_t cur_attempt(const struct prop_node *n)
{
	return n->attempts ? n->attempts - 1 : 0;
}

/* --- lookups ----------------------------------------------------------------------------------------------- */

static void ident_key(const Flyteidl__Core__Identifier *id, struct fc_buf *out)
{
	fc_buf_addf(out, "%s/%s/%s/%s", id->project, id->domain, id->name, id->version);
}

static const Flyteidl__Core__TaskTemplate *find_task(struct prop_exec *ex, const Flyteidl__Core__Identifier *id)
{
	struct fc_buf k = FC_BUF_INIT;
	const Flyteidl__Core__TaskTemplate *t;

	if (!id)
		return NULL;
	ident_key(id, &k);
	t = fc_strmap_get(&ex->tasks, k.buf);
	fc_buf_release(&k);
	return t;
}

static const Flyteidl__Core__CompiledWorkflow *find_subwf(struct prop_exec *ex, const Flyteidl__Core__Identifier *id)
{
	struct fc_buf k = FC_BUF_INIT;
	const Flyteidl__Core__CompiledWorkflow *w;

	if (!id)
		return NULL;
	ident_key(id, &k);
	w = fc_strmap_get(&ex->subwfs, k.buf);
	fc_buf_release(&k);
	return w;
}

static const Flyteidl__Core__TaskTemplate *task_of_spec(struct prop_exec *ex, const Flyteidl__Core__Node *spec)
{
	if (spec->target_case != FLYTEIDL__CORE__NODE__TARGET_TASK_NODE || !spec->task_node)
		return NULL;
	return find_task(ex, spec->task_node->reference_id);
}

/* --- outputs of nodes -------------------------------------------------------------------------------------- */

static const Flyteidl__Core__VariableMap *declared_outputs(const struct prop_node *n)
{
	if (n->task)
		return n->task->interface ? n->task->interface->outputs : NULL;
	return NULL;
}

/* The outputs of a succeeded node, loaded from the store after a restart. */
static Flyteidl__Core__LiteralMap *node_outputs(struct prop_node *n)
{
	struct prop_exec *ex = n->wf->ex;
	struct fc_buf key = FC_BUF_INIT;
	void *msg = NULL;

	if (n->outputs)
		return n->outputs;
	attempt_key(n, n->kind == NK_TASK ? cur_attempt(n) : 0, "outputs.pb", &key);
	if (prop_store_get_msg(ex->e->store, key.buf, &ex->arena, &flyteidl__core__literal_map__descriptor, &msg,
			       NULL))
		msg = prop_litmap_new(&ex->arena, 0);
	fc_buf_release(&key);
	n->outputs = msg;
	return n->outputs;
}

static int save_outputs(struct prop_node *n, struct fc_err *err)
{
	struct fc_buf key = FC_BUF_INIT;
	int rc = FC_OK;

	if (n->outputs && n->outputs->n_literals) {
		attempt_key(n, n->kind == NK_TASK ? cur_attempt(n) : 0, "outputs.pb", &key);
		rc = prop_store_put_msg(n->wf->ex->e->store, key.buf, &n->outputs->base, err);
	}
	fc_buf_release(&key);
	return rc;
}

/* --- bindings ---------------------------------------------------------------------------------------------- */

static int apply_attr_path(const Flyteidl__Core__OutputReference *ref, Flyteidl__Core__Literal **lit,
			   struct fc_err *err)
{
	size_t i;

	for (i = 0; i < ref->n_attr_path; i++) {
		const Flyteidl__Core__PromiseAttribute *pa = ref->attr_path[i];
		Flyteidl__Core__Literal *cur = *lit;

		if (pa->value_case == FLYTEIDL__CORE__PROMISE_ATTRIBUTE__VALUE_STRING_VALUE &&
		    cur->value_case == FLYTEIDL__CORE__LITERAL__VALUE_MAP) {
			*lit = prop_litmap_get(cur->map, pa->string_value);
		} else if (pa->value_case == FLYTEIDL__CORE__PROMISE_ATTRIBUTE__VALUE_INT_VALUE &&
			   cur->value_case == FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION) {
			*lit = pa->int_value >= 0 && (size_t)pa->int_value < cur->collection->n_literals
				       ? cur->collection->literals[pa->int_value]
				       : NULL;
		} else {
			*lit = NULL;
		}
		if (!*lit)
			return fc_err_set(err, FC_EINVAL, "%s.%s: attribute path element %zu does not resolve",
					  ref->node_id, ref->var, i);
	}
	return FC_OK;
}

static int resolve_binding(struct prop_wf *wf, const Flyteidl__Core__BindingData *bd, Flyteidl__Core__Literal **out,
			   struct fc_err *err)
{
	struct fc_arena *a = &wf->ex->arena;
	Flyteidl__Core__Literal *lit = NULL;
	size_t i;
	int rc = FC_OK;

	switch (bd->value_case) {
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_SCALAR:
		lit = fc_arena_alloc(a, sizeof(*lit));
		flyteidl__core__literal__init(lit);
		lit->value_case = FLYTEIDL__CORE__LITERAL__VALUE_SCALAR;
		lit->scalar = bd->scalar;
		break;
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_COLLECTION: {
		size_t nb = bd->collection->n_bindings;
		Flyteidl__Core__Literal **items = fc_arena_array(a, nb ? nb : 1, sizeof(*items));

		for (i = 0; i < nb && !rc; i++)
			rc = resolve_binding(wf, bd->collection->bindings[i], &items[i], err);
		if (rc)
			return rc;
		lit = prop_lit_collection(a, items, nb);
		break;
	}
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_MAP: {
		Flyteidl__Core__LiteralMap *m = prop_litmap_new(a, bd->map->n_bindings);

		for (i = 0; i < bd->map->n_bindings && !rc; i++) {
			Flyteidl__Core__Literal *v;

			rc = resolve_binding(wf, bd->map->bindings[i]->value, &v, err);
			if (!rc)
				prop_litmap_put(a, m, bd->map->bindings[i]->key, v);
		}
		if (rc)
			return rc;
		lit = fc_arena_alloc(a, sizeof(*lit));
		flyteidl__core__literal__init(lit);
		lit->value_case = FLYTEIDL__CORE__LITERAL__VALUE_MAP;
		lit->map = m;
		break;
	}
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_PROMISE: {
		const Flyteidl__Core__OutputReference *ref = bd->promise;
		const Flyteidl__Core__LiteralMap *src;

		if (!strcmp(ref->node_id, "start-node")) {
			src = wf->inputs;
		} else {
			struct prop_node *up = fc_strmap_get(&wf->by_id, ref->node_id);

			if (!up || up->phase != NP_SUCCEEDED)
				return fc_err_set(err, FC_EINVAL, "input from %s.%s: that node has not succeeded",
						  ref->node_id, ref->var);
			src = node_outputs(up);
		}
		lit = prop_litmap_get(src, ref->var);
		if (!lit)
			return fc_err_set(err, FC_EINVAL, "%s has no output '%s'", ref->node_id, ref->var);
		rc = apply_attr_path(ref, &lit, err);
		if (rc)
			return rc;
		break;
	}
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_OFFLOADED_METADATA:
		lit = fc_arena_alloc(a, sizeof(*lit));
		flyteidl__core__literal__init(lit);
		lit->value_case = FLYTEIDL__CORE__LITERAL__VALUE_OFFLOADED_METADATA;
		lit->offloaded_metadata = bd->offloaded_metadata;
		break;
	default:
		return fc_err_set(err, FC_EINVAL, "empty binding");
	}
	if (bd->union_ && bd->union_->targettype) {
		Flyteidl__Core__Literal *wrapped = fc_arena_alloc(a, sizeof(*wrapped));
		Flyteidl__Core__Scalar *sc = fc_arena_alloc(a, sizeof(*sc));
		Flyteidl__Core__Union *u = fc_arena_alloc(a, sizeof(*u));

		flyteidl__core__literal__init(wrapped);
		flyteidl__core__scalar__init(sc);
		flyteidl__core__union__init(u);
		u->value = lit;
		u->type = bd->union_->targettype;
		sc->value_case = FLYTEIDL__CORE__SCALAR__VALUE_UNION;
		sc->union_ = u;
		wrapped->value_case = FLYTEIDL__CORE__LITERAL__VALUE_SCALAR;
		wrapped->scalar = sc;
		lit = wrapped;
	}
	*out = lit;
	return FC_OK;
}

static int resolve_bindings(struct prop_wf *wf, Flyteidl__Core__Binding **b, size_t nb,
			    Flyteidl__Core__LiteralMap **out, struct fc_err *err)
{
	Flyteidl__Core__LiteralMap *m = prop_litmap_new(&wf->ex->arena, nb);
	size_t i;
	int rc;

	for (i = 0; i < nb; i++) {
		Flyteidl__Core__Literal *v;

		rc = resolve_binding(wf, b[i]->binding, &v, err);
		if (rc)
			return fc_err_prefix(err, "input '%s': ", b[i]->var);
		prop_litmap_put(&wf->ex->arena, m, b[i]->var, v);
	}
	*out = m;
	return FC_OK;
}

/* --- workflows --------------------------------------------------------------------------------------------- */

static void apply_row(struct prop_node *n)
{
	struct prop_exec *ex = n->wf->ex;
	const struct prop_node_row *row = fc_strmap_get(&ex->rows, n->uid);

	if (!row)
		return;
	n->has_row = true;
	n->phase = (uint8_t)row->phase;
	n->attempts = row->attempts;
	n->user_failures = row->user_failures;
	n->sys_failures = row->sys_failures;
	n->started_ns = row->started_ns;
	n->attempt_started_ns = row->attempt_started_ns;
	n->aux = row->aux;
	n->cache_status = row->cache_status;
	n->task_phase = row->task_phase;
	if (row->pstate_len) {
		n->pstate = fc_xmalloc(row->pstate_len);
		memcpy(n->pstate, row->pstate, row->pstate_len);
		n->pstate_len = row->pstate_len;
	}
	if (row->error_code)
		n->error_code = fc_arena_strdup(&ex->arena, row->error_code);
	if (row->error_msg)
		n->error_msg = fc_arena_strdup(&ex->arena, row->error_msg);
	n->error_kind = row->error_kind;
}

static void node_init(struct prop_node *n, struct prop_wf *wf, struct prop_node *parent,
		      const Flyteidl__Core__Node *spec, const char *uid)
{
	struct prop_exec *ex = wf->ex;

	n->wf = wf;
	n->parent = parent;
	n->spec = spec;
	n->uid = fc_arena_strdup(&ex->arena, uid);
	n->watch_fd = -1;
	switch (spec->target_case) {
	case FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE:
		n->kind = spec->workflow_node->reference_case == FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_LAUNCHPLAN_REF
				  ? NK_LAUNCHPLAN
				  : NK_SUBWORKFLOW;
		break;
	case FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE: n->kind = NK_BRANCH; break;
	case FLYTEIDL__CORE__NODE__TARGET_GATE_NODE: n->kind = NK_GATE; break;
	case FLYTEIDL__CORE__NODE__TARGET_ARRAY_NODE: n->kind = NK_ARRAY; break;
	default:
		n->kind = NK_TASK;
		n->task = task_of_spec(ex, spec);
		break;
	}
	ex->e->stats.nodes++;
	ex->e->stats.node_bytes += sizeof(*n) + strlen(uid) + 1;
	apply_row(n);
}

static void add_edge(struct prop_wf *wf, struct prop_node *from, struct prop_node *to, uint32_t *ndown_alloc)
{
	(void)wf;
	(void)ndown_alloc;
	from->down[from->ndown++] = to;
	to->pending_up++;
}

/* Collect the ids a node depends on: upstream_node_ids, the promises of its bindings, and the compiled
 * connections; deduplicated through `mark`. */
static void collect_promises(const Flyteidl__Core__BindingData *bd, void (*fn)(void *, const char *), void *data)
{
	size_t i;

	if (!bd)
		return;
	switch (bd->value_case) {
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_PROMISE:
		fn(data, bd->promise->node_id);
		break;
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_COLLECTION:
		for (i = 0; i < bd->collection->n_bindings; i++)
			collect_promises(bd->collection->bindings[i], fn, data);
		break;
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_MAP:
		for (i = 0; i < bd->map->n_bindings; i++)
			collect_promises(bd->map->bindings[i]->value, fn, data);
		break;
	default:
		break;
	}
}

struct dep_ctx {
	struct prop_wf *wf;
	struct prop_node *node;
	uint32_t *mark;
	uint32_t stamp;
	struct prop_node ***ups;
	size_t *nups, *ups_alloc;
};

static void dep_add(void *data, const char *id)
{
	struct dep_ctx *d = data;
	struct prop_node *up = fc_strmap_get(&d->wf->by_id, id);
	size_t idx;

	if (!up || up == d->node)
		return;
	idx = (size_t)(up - d->wf->nodes);
	if (d->mark[idx] == d->stamp)
		return;
	d->mark[idx] = d->stamp;
	FC_ALLOC_GROW(*d->ups, *d->nups + 1, *d->ups_alloc);
	(*d->ups)[(*d->nups)++] = up;
}

static void collect_branch_promises(const Flyteidl__Core__Node *spec, struct dep_ctx *d);

static void collect_node_deps(const Flyteidl__Core__Node *spec, struct dep_ctx *d)
{
	size_t i;

	for (i = 0; i < spec->n_upstream_node_ids; i++)
		dep_add(d, spec->upstream_node_ids[i]);
	for (i = 0; i < spec->n_inputs; i++)
		collect_promises(spec->inputs[i]->binding, dep_add, d);
	collect_branch_promises(spec, d);
}

/* A branch's taken node reads from the enclosing workflow: its dependencies are the branch's. */
static void collect_branch_promises(const Flyteidl__Core__Node *spec, struct dep_ctx *d)
{
	const Flyteidl__Core__IfElseBlock *ie;
	size_t i;

	if (spec->target_case != FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE || !spec->branch_node->if_else)
		return;
	ie = spec->branch_node->if_else;
	if (ie->case_ && ie->case_->then_node)
		collect_node_deps(ie->case_->then_node, d);
	for (i = 0; i < ie->n_other; i++)
		if (ie->other[i]->then_node)
			collect_node_deps(ie->other[i]->then_node, d);
	if (ie->default_case == FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ELSE_NODE && ie->else_node)
		collect_node_deps(ie->else_node, d);
}

struct prop_wf *prop_wf_new(struct prop_exec *ex, const Flyteidl__Core__WorkflowTemplate *tmpl, const char *prefix,
			    struct prop_node *owner, Flyteidl__Core__LiteralMap *inputs)
{
	struct fc_arena *a = &ex->arena;
	struct prop_wf *wf = fc_arena_alloc(a, sizeof(*wf));
	struct fc_buf uid = FC_BUF_INIT;
	uint32_t *mark;
	struct prop_node **ups = NULL;
	size_t nups = 0, ups_alloc = 0, i, j;
	struct prop_node ***node_ups;
	size_t *node_nups;

	wf->ex = ex;
	wf->tmpl = tmpl;
	wf->prefix = fc_arena_strdup(a, prefix);
	wf->owner = owner;
	wf->inputs = inputs ? inputs : prop_litmap_new(a, 0);
	/* A compiled template carries start-node and end-node: they are the workflow's inputs and outputs, not
	 * nodes to run (promises on start-node read the inputs; the template's outputs are the end). */
	{
		Flyteidl__Core__Node **real = fc_arena_array(a, tmpl->n_nodes ? tmpl->n_nodes : 1, sizeof(*real));

		wf->n = 0;
		for (i = 0; i < tmpl->n_nodes; i++)
			if (strcmp(tmpl->nodes[i]->id, "start-node") && strcmp(tmpl->nodes[i]->id, "end-node"))
				real[wf->n++] = tmpl->nodes[i];
		wf->real_nodes = real;
	}
	wf->nodes = fc_arena_array(a, wf->n ? wf->n : 1, sizeof(*wf->nodes));
	fc_strmap_init(&wf->by_id);
	for (i = 0; i < wf->n; i++) {
		fc_buf_reset(&uid);
		fc_buf_addf(&uid, "%s%s", prefix, wf->real_nodes[i]->id);
		node_init(&wf->nodes[i], wf, NULL, wf->real_nodes[i], uid.buf);
		fc_strmap_put(&wf->by_id, wf->real_nodes[i]->id, &wf->nodes[i]);
	}
	/* Edges: first gather each node's upstream list, then size the downstream arrays exactly. */
	mark = fc_xcalloc(wf->n ? wf->n : 1, sizeof(*mark));
	node_ups = fc_xcalloc(wf->n ? wf->n : 1, sizeof(*node_ups));
	node_nups = fc_xcalloc(wf->n ? wf->n : 1, sizeof(*node_nups));
	for (i = 0; i < wf->n; i++) {
		struct dep_ctx d = {wf, &wf->nodes[i], mark, (uint32_t)i + 1, &ups, &nups, &ups_alloc};

		ups = NULL;
		nups = ups_alloc = 0;
		collect_node_deps(wf->real_nodes[i], &d);
		node_ups[i] = ups;
		node_nups[i] = nups;
		for (j = 0; j < nups; j++)
			ups[j]->ndown++;
	}
	for (i = 0; i < wf->n; i++) {
		wf->nodes[i].down = fc_arena_array(a, wf->nodes[i].ndown ? wf->nodes[i].ndown : 1, sizeof(void *));
		ex->e->stats.node_bytes += wf->nodes[i].ndown * sizeof(void *);
		wf->nodes[i].ndown = 0;
	}
	for (i = 0; i < wf->n; i++) {
		for (j = 0; j < node_nups[i]; j++)
			add_edge(wf, node_ups[i][j], &wf->nodes[i], NULL);
		free(node_ups[i]);
	}
	free(node_ups);
	free(node_nups);
	free(mark);
	if (tmpl->failure_node) {
		fc_buf_reset(&uid);
		fc_buf_addf(&uid, "%s%s", prefix, tmpl->failure_node->id);
		wf->failure_node = fc_arena_alloc(a, sizeof(*wf->failure_node));
		node_init(wf->failure_node, wf, NULL, tmpl->failure_node, uid.buf);
		wf->failure_node->is_failure_node = true;
	}
	fc_buf_release(&uid);
	wf->phase = NP_RUNNING;
	return wf;
}

static void block_downstream(struct prop_wf *wf, struct prop_node *n)
{
	uint32_t i;

	for (i = 0; i < n->ndown; i++) {
		struct prop_node *d = n->down[i];

		if (d->blocked || terminal(d->phase) || d->phase != NP_NOT_YET_STARTED)
			continue;
		d->blocked = true;
		wf->n_settled++;
		block_downstream(wf, d);
	}
}

/* A node of `wf` reached a terminal phase (now, or before a restart): release its downstream. */
static void wf_node_settled(struct prop_wf *wf, struct prop_node *n, bool resuming)
{
	uint32_t i;

	wf->n_settled++;
	if (n->phase == NP_SUCCEEDED || n->phase == NP_SKIPPED) {
		for (i = 0; i < n->ndown; i++) {
			struct prop_node *d = n->down[i];

			if (n->phase == NP_SKIPPED)
				d->upstream_skipped = true;
			if (--d->pending_up == 0 && !d->blocked && !resuming)
				prop_enqueue(d);
		}
	} else {
		wf->failing = true;
		if (!wf->error_code) {
			wf->error_code = n->error_code;
			wf->error_msg = fc_arena_printf(&wf->ex->arena, "node %s: %s", n->uid,
							n->error_msg ? n->error_msg : "failed");
		}
		block_downstream(wf, n);
	}
}

void prop_wf_start(struct prop_wf *wf)
{
	size_t i;

	/* Settle what finished before a restart, then queue what can go. */
	for (i = 0; i < wf->n; i++)
		if (terminal(wf->nodes[i].phase))
			wf_node_settled(wf, &wf->nodes[i], true);
	for (i = 0; i < wf->n; i++) {
		struct prop_node *n = &wf->nodes[i];

		if (terminal(n->phase) || n->blocked)
			continue;
		if (n->phase != NP_NOT_YET_STARTED || n->pending_up == 0)
			prop_enqueue(n);
	}
	if (wf->failure_node && wf->failure_node->phase != NP_NOT_YET_STARTED)
		prop_enqueue(wf->failure_node);
	wf_check(wf);
}

static void abort_node(struct prop_node *n, int final_phase);

static void wf_abort(struct prop_wf *wf, int final_phase)
{
	size_t i;

	for (i = 0; i < wf->n; i++)
		abort_node(&wf->nodes[i], final_phase);
	if (wf->failure_node)
		abort_node(wf->failure_node, final_phase);
}

/* Is the workflow finished? Then compute its outputs or its error, and tell the owner. */
static void wf_check(struct prop_wf *wf)
{
	struct prop_exec *ex = wf->ex;
	const Flyteidl__Core__WorkflowMetadata *md = wf->tmpl->metadata;
	bool fail_fast = !md || md->on_failure == FLYTEIDL__CORE__WORKFLOW_METADATA__ON_FAILURE_POLICY__FAIL_IMMEDIATELY;
	struct fc_err err;

	if (terminal(wf->phase))
		return;
	if (wf->failing && fail_fast && wf->n_settled < wf->n) {
		/* Stop everything still running; the nodes end Aborted. */
		wf_abort(wf, NP_ABORTED);
		wf->n_settled = wf->n;
	}
	if (wf->n_settled < wf->n)
		return;
	if (wf->failing && wf->failure_node) {
		struct prop_node *fnode = wf->failure_node;

		if (fnode->phase == NP_NOT_YET_STARTED && !fnode->in_runq) {
			prop_enqueue(fnode);
			return;
		}
		if (!terminal(fnode->phase))
			return;
	}
	if (wf->failing) {
		wf->phase = NP_FAILED;
	} else if (resolve_bindings(wf, wf->tmpl->outputs, wf->tmpl->n_outputs, &wf->outputs, &err)) {
		wf->phase = NP_FAILED;
		wf->error_code = fc_arena_strdup(&ex->arena, "OutputsNotResolved");
		wf->error_msg = fc_arena_strdup(&ex->arena, err.msg);
	} else {
		wf->phase = NP_SUCCEEDED;
	}
	if (wf->owner) {
		prop_enqueue(wf->owner);
		return;
	}
	/* The execution's own workflow. */
	if (ex->phase == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTED ||
	    ex->phase == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__TIMED_OUT)
		return;
	if (wf->phase == NP_SUCCEEDED) {
		struct fc_buf key = FC_BUF_INIT;

		fc_buf_addf(&key, "%s/end-node/data/0/outputs.pb", ex->key);
		if (prop_store_put_msg(ex->e->store, key.buf, &wf->outputs->base, &err)) {
			wf->phase = NP_FAILED;
			wf->error_code = fc_arena_strdup(&ex->arena, "OutputsNotWritten");
			wf->error_msg = fc_arena_strdup(&ex->arena, err.msg);
		}
		fc_buf_release(&key);
	}
	if (wf->phase == NP_SUCCEEDED) {
		ex->phase = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDED;
		prop_emit_workflow(ex, ex->phase, NULL, NULL);
	} else {
		ex->phase = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED;
		ex->error_msg = fc_arena_strdup(&ex->arena, wf->error_msg ? wf->error_msg : "failed");
		prop_emit_workflow(ex, ex->phase, wf->error_code ? wf->error_code : "Failed", ex->error_msg);
	}
	ex->done = true;
	prop_exec_dirty(ex);
}

/* --- completion -------------------------------------------------------------------------------------------- */

static void cache_release(struct prop_node *n);

static void node_complete(struct prop_node *n, int phase)
{
	struct prop_wf *wf = n->wf;

	n->phase = (uint8_t)phase;
	prop_node_close_watch(n);
	prop_release_slot(n);
	n->wake_ns = 0;
	cache_release(n);
	prop_mark_dirty(n);
	if (phase != NP_SKIPPED || n->started_ns)
		prop_emit_node(n, event_phase_of(phase));
	else
		prop_emit_node(n, FLYTEIDL__CORE__NODE_EXECUTION__PHASE__SKIPPED);
	if (n->parent) {
		prop_enqueue(n->parent);
		return;
	}
	if (n->is_failure_node) {
		wf_check(wf);
		return;
	}
	wf_node_settled(wf, n, false);
	wf_check(wf);
}

static void node_fail(struct prop_node *n, int phase, const char *code, int kind, const char *msg)
{
	if (!n->error_code)
		set_error(n, code, kind, "%s", msg);
	node_complete(n, phase);
}

/* --- tasks ------------------------------------------------------------------------------------------------- */

static uint32_t task_retries(const struct prop_node *n)
{
	if (n->spec->metadata && n->spec->metadata->retries && n->spec->metadata->retries->retries)
		return n->spec->metadata->retries->retries;
	if (n->task && n->task->metadata && n->task->metadata->retries)
		return n->task->metadata->retries->retries;
	return 0;
}

static int64_t task_timeout_ns(const struct prop_node *n)
{
	const Google__Protobuf__Duration *d = NULL;

	if (n->spec->metadata && n->spec->metadata->timeout)
		d = n->spec->metadata->timeout;
	else if (n->task && n->task->metadata && n->task->metadata->timeout)
		d = n->task->metadata->timeout;
	if (!d)
		return 0;
	return d->seconds * 1000000000 + d->nanos;
}

/* The cache version of a cacheable task node, or NULL. */
static const char *cache_version(const struct prop_node *n)
{
	const Flyteidl__Core__NodeMetadata *md = n->spec->metadata;

	if (md && md->cacheable_value_case == FLYTEIDL__CORE__NODE_METADATA__CACHEABLE_VALUE_CACHEABLE &&
	    !md->cacheable)
		return NULL;
	if (md && md->cache_version_value_case == FLYTEIDL__CORE__NODE_METADATA__CACHE_VERSION_VALUE_CACHE_VERSION &&
	    *md->cache_version)
		return md->cache_version;
	if (n->task && n->task->metadata && n->task->metadata->discoverable)
		return n->task->metadata->discovery_version;
	if (md && md->cacheable_value_case == FLYTEIDL__CORE__NODE_METADATA__CACHEABLE_VALUE_CACHEABLE && md->cacheable)
		return "";
	return NULL;
}

static const char *cache_key_of(struct prop_node *n)
{
	struct fc_buf key = FC_BUF_INIT;

	if (!n->cache_key) {
		prop_catalog_key(n->task, cache_version(n), n->inputs, &key);
		n->cache_key = fc_arena_strdup(&n->wf->ex->arena, key.buf);
		fc_buf_release(&key);
	}
	return n->cache_key;
}

/* Does the node serialize its cache (Flyte's cache_serializable, of the node's metadata or else the task's)? */
static bool cache_serializable(const struct prop_node *n)
{
	const Flyteidl__Core__NodeMetadata *md = n->spec->metadata;

	if (md && md->cache_serializable_value_case ==
			  FLYTEIDL__CORE__NODE_METADATA__CACHE_SERIALIZABLE_VALUE_CACHE_SERIALIZABLE)
		return md->cache_serializable;
	return n->task && n->task->metadata && n->task->metadata->cache_serializable;
}

/* How long a node waits before looking again at a reservation held by another process (its release cannot wake
 * us): 50 ms, doubling up to 2 s. A reservation held in this engine wakes its waiters when released; they look
 * again after 2 s all the same, as a safety net. */
#define CACHE_POLL_FIRST_NS (50 * 1000000LL)
#define CACHE_POLL_MAX_NS (2000 * 1000000LL)

static void cache_wait(struct prop_node *n, bool in_this_engine)
{
	struct prop_engine *e = n->wf->ex->e;
	int64_t delay = CACHE_POLL_MAX_NS;

	if (!in_this_engine) {
		delay = CACHE_POLL_FIRST_NS << (n->cache_polls < 6 ? n->cache_polls : 6);
		if (delay > CACHE_POLL_MAX_NS)
			delay = CACHE_POLL_MAX_NS;
		if (n->cache_polls < 255)
			n->cache_polls++;
	}
	if (!n->cache_waiting) {
		n->cache_waiting = true;
		FC_ALLOC_GROW(e->cache_waiters, e->ncache_waiters + 1, e->cache_waiters_alloc);
		e->cache_waiters[e->ncache_waiters++] = n;
	}
	prop_set_wake(n, prop_now_ns() + delay);
}

/* Give back the reservation the node holds (it finished, failed or was aborted) and wake the nodes of this engine
 * that wait for it: one of them finds the entry (or takes the reservation and runs, when this one failed). */
static void cache_release(struct prop_node *n)
{
	struct prop_engine *e = n->wf->ex->e;
	struct fc_err err;
	size_t i, kept = 0;

	n->cache_waiting = false; /* dropped from the list below, or at the next release */
	if (!n->cache_reserved)
		return;
	n->cache_reserved = false;
	if (prop_catalog_release(e->catalog, n->cache_key, e->cache_owner.engine, &err))
		fc_warn("cache: %s", err.msg);
	for (i = 0; i < e->ncache_waiters; i++) {
		struct prop_node *w = e->cache_waiters[i];

		if (!w->cache_waiting)
			continue;
		if (!strcmp(w->cache_key, n->cache_key)) {
			w->cache_waiting = false;
			prop_enqueue(w);
			continue;
		}
		e->cache_waiters[kept++] = w;
	}
	e->ncache_waiters = kept;
}

void prop_cache_forget_exec(struct prop_engine *e, struct prop_exec *ex)
{
	size_t i, kept = 0;

	for (i = 0; i < e->ncache_waiters; i++)
		if (e->cache_waiters[i]->wf->ex != ex)
			e->cache_waiters[kept++] = e->cache_waiters[i];
	e->ncache_waiters = kept;
}

/* Read the catalog entry of the node's key. Returns true on a hit (the node's outputs are set). */
static bool cache_read(struct prop_node *n, const char *key)
{
	struct prop_exec *ex = n->wf->ex;
	struct fc_buf out_key = FC_BUF_INIT;
	void *msg = NULL;
	bool hit = false;

	if (!prop_catalog_get(ex->e->catalog, key, &out_key, NULL)) {
		if (!prop_store_get_msg(ex->e->store, out_key.buf, &ex->arena, &flyteidl__core__literal_map__descriptor,
					&msg, NULL)) {
			n->outputs = msg;
			hit = true;
		} else {
			/* The entry's data is gone: forget it and run the task. */
			fc_warn("cache entry %s points to missing data %s; running the task", key, out_key.buf);
			prop_catalog_delete(ex->e->catalog, key, NULL);
		}
	}
	fc_buf_release(&out_key);
	return hit;
}

enum cache_outcome { CACHE_RUN, CACHE_DONE, CACHE_WAIT };

/* Before the first attempt of a cached task: a hit ends the node (CACHE_DONE); a serializable task whose key
 * another node computes right now waits (CACHE_WAIT); otherwise the task runs. */
static enum cache_outcome cache_lookup(struct prop_node *n)
{
	struct prop_exec *ex = n->wf->ex;
	struct prop_engine *e = ex->e;
	struct fc_buf holder = FC_BUF_INIT;
	struct fc_err err;
	const char *key;
	bool got = false;

	n->cache_waiting = false; /* woken */
	if (!cache_version(n) || (n->plugin && n->plugin->disable_node_level_caching))
		return CACHE_RUN;
	key = cache_key_of(n);
	if (ex->cfg.overwrite_cache) {
		n->cache_status = FLYTEIDL__CORE__CATALOG_CACHE_STATUS__CACHE_SKIPPED;
		return CACHE_RUN;
	}
	if (cache_read(n, key))
		goto hit;
	if (cache_serializable(n) && !n->cache_reserved) {
		char *what = fc_arena_printf(&ex->arena, "%s/%s", ex->key, n->uid);

		if (prop_catalog_reserve(e->catalog, key, &e->cache_owner, what, &got, &holder, &err)) {
			fc_warn("cache: %s; running %s without waiting for identical tasks", err.msg, n->uid);
		} else if (!got) {
			fc_debug("%s: waiting for %s, which computes the same cache key", n->uid, holder.buf);
			cache_wait(n, !strcmp(holder.buf, e->cache_owner.engine));
			fc_buf_release(&holder);
			return CACHE_WAIT;
		} else {
			n->cache_reserved = true;
			/* The previous holder may have stored the entry just before giving the reservation back. */
			if (cache_read(n, key)) {
				cache_release(n);
				goto hit;
			}
		}
		fc_buf_release(&holder);
	}
	n->cache_status = FLYTEIDL__CORE__CATALOG_CACHE_STATUS__CACHE_MISS;
	e->stats.cache_misses++;
	return CACHE_RUN;
hit:
	n->cache_status = FLYTEIDL__CORE__CATALOG_CACHE_STATUS__CACHE_HIT;
	e->stats.cache_hits++;
	return CACHE_DONE;
}

static void cache_store(struct prop_node *n)
{
	struct prop_exec *ex = n->wf->ex;
	struct fc_buf out_key = FC_BUF_INIT;
	struct fc_err err;
	const char *version = cache_version(n);

	if (!version || n->cache_status == FLYTEIDL__CORE__CATALOG_CACHE_STATUS__CACHE_HIT ||
	    (n->plugin && n->plugin->disable_node_level_caching))
		return;
	attempt_key(n, cur_attempt(n), "outputs.pb", &out_key);
	/* Empty outputs are not written by save_outputs(); the cache needs the file. */
	if (!n->outputs->n_literals)
		prop_store_put_msg(ex->e->store, out_key.buf, &n->outputs->base, NULL);
	if (prop_catalog_put(ex->e->catalog, cache_key_of(n), n->task->id ? n->task->id->name : "", version,
			     out_key.buf, ex->key, &err))
		fc_warn("cache: %s", err.msg);
	else
		n->cache_status = FLYTEIDL__CORE__CATALOG_CACHE_STATUS__CACHE_POPULATED;
	fc_buf_release(&out_key);
}

void prop_node_init_task_ctx(struct prop_node *n, struct plg_task_ctx *ctx, struct fc_buf *paths)
{
	struct prop_exec *ex = n->wf->ex;
	size_t off_in, off_out, off_sb;

	memset(ctx, 0, sizeof(*ctx));
	fc_buf_reset(paths);
	prop_store_local_path(ex->e->store, ex->key, paths, NULL);
	fc_buf_addf(paths, "/%s/data/inputs.pb", n->uid);
	off_in = 0;
	fc_buf_addch(paths, '\0');
	off_out = paths->len;
	prop_store_local_path(ex->e->store, ex->key, paths, NULL);
	fc_buf_addf(paths, "/%s/data/%u", n->uid, cur_attempt(n));
	fc_buf_addch(paths, '\0');
	off_sb = paths->len;
	prop_store_local_path(ex->e->store, ex->key, paths, NULL);
	fc_buf_addf(paths, "/%s/data/%u/sandbox", n->uid, cur_attempt(n));
	ctx->inputs_path = paths->buf + off_in;
	ctx->output_prefix = paths->buf + off_out;
	ctx->sandbox_dir = paths->buf + off_sb;
	ctx->raw_output_prefix = ex->raw_prefix;
	ctx->host_data = n;
	ctx->task_type = n->task->type;
	ctx->task_name = n->task->id ? n->task->id->name : "";
	ctx->task_template = n->task;
	ctx->inputs = n->inputs;
	ctx->project = ex->project;
	ctx->domain = ex->domain;
	ctx->exec_name = ex->name;
	ctx->node_id = n->uid;
	ctx->attempt = cur_attempt(n);
	ctx->interruptible = ex->cfg.interruptible;
	ctx->timeout_ns = task_timeout_ns(n);
	ctx->state = n->pstate;
	ctx->state_len = n->pstate_len;
}

extern const struct plg_host prop_plugin_host;

static void finish_attempt(struct prop_node *n, struct plg_task_ctx *ctx)
{
	if (n->plugin && n->plugin->finalize)
		n->plugin->finalize(ctx);
	free(n->pstate);
	n->pstate = NULL;
	n->pstate_len = 0;
	n->set_outputs = NULL;
	prop_node_close_watch(n);
	prop_release_slot(n);
	n->wake_ns = 0;
}

/* Read and check the outputs of a succeeded attempt. Returns 0 or an error with n->error_* set. */
static int take_outputs(struct prop_node *n)
{
	struct prop_exec *ex = n->wf->ex;
	const Flyteidl__Core__VariableMap *decl = declared_outputs(n);
	struct fc_buf key = FC_BUF_INIT;
	struct fc_err err;
	void *msg = NULL;
	size_t i;
	int rc = 0;

	attempt_key(n, cur_attempt(n), "outputs.pb", &key);
	if (n->set_outputs) {
		n->outputs = n->set_outputs;
	} else {
		rc = prop_store_get_msg(ex->e->store, key.buf, &ex->arena, &flyteidl__core__literal_map__descriptor,
					&msg, &err);
		if (rc == FC_ENOENT) {
			rc = 0;
			msg = prop_litmap_new(&ex->arena, 0);
		} else if (rc) {
			set_error(n, "BadOutputs", PLG_ERROR_USER, "%s", err.msg);
			goto out;
		}
		n->outputs = msg;
	}
	for (i = 0; decl && i < decl->n_variables; i++) {
		if (!prop_litmap_get(n->outputs, decl->variables[i]->key)) {
			set_error(n, "MissingOutput", PLG_ERROR_USER, "the task produced no output '%s'",
				  decl->variables[i]->key);
			rc = FC_EINVAL;
			goto out;
		}
	}
	if (n->set_outputs && (rc = save_outputs(n, &err)) != 0) {
		if (rc == FC_EUNAVAILABLE) {
			/* a full disk: the caller asks the plugin again later (handle() is idempotent) */
			n->outputs = NULL;
			n->set_outputs = NULL;
			prop_node_store_retry(n, &err);
			goto out;
		}
		set_error(n, "OutputsNotWritten", PLG_ERROR_SYSTEM, "%s", err.msg);
	}
out:
	fc_buf_release(&key);
	return rc;
}

static void start_attempt(struct prop_node *n);

/* An attempt failed: retry it or fail the node. */
static void attempt_failed(struct prop_node *n, const char *code, const char *msg, int kind, bool retryable,
			   int final_phase)
{
	struct prop_exec *ex = n->wf->ex;
	uint32_t sys_budget = ex->e->cfg.system_retries ? ex->e->cfg.system_retries : 3;
	bool retry;

	n->error_code = fc_arena_strdup(&ex->arena, code ? code : "Failed");
	n->error_msg = fc_arena_strdup(&ex->arena, msg ? msg : "");
	n->error_kind = kind;
	if (kind == PLG_ERROR_SYSTEM) {
		n->sys_failures++;
		retry = retryable && n->sys_failures <= sys_budget;
	} else {
		n->user_failures++;
		retry = retryable && n->user_failures <= task_retries(n);
	}
	prop_mark_dirty(n);
	if (retry && !ex->abort_reason) {
		fc_debug("%s: attempt %u failed (%s), retrying", n->uid, cur_attempt(n), code);
		n->phase = NP_QUEUED;
		prop_emit_node(n, FLYTEIDL__CORE__NODE_EXECUTION__PHASE__RUNNING);
		start_attempt(n);
		return;
	}
	node_complete(n, final_phase);
}

static void handle_transition(struct prop_node *n, struct plg_task_ctx *ctx, const struct plg_transition *t)
{
	int task_phase, outputs_rc = 0;

	switch (t->phase) {
	case PLG_PHASE_SUCCESS:
		task_phase = FLYTEIDL__CORE__TASK_EXECUTION__PHASE__SUCCEEDED;
		break;
	case PLG_PHASE_RETRYABLE_FAILURE:
		task_phase = FLYTEIDL__CORE__TASK_EXECUTION__PHASE__RETRYABLE_FAILED;
		break;
	case PLG_PHASE_PERMANENT_FAILURE:
		task_phase = FLYTEIDL__CORE__TASK_EXECUTION__PHASE__FAILED;
		break;
	case PLG_PHASE_QUEUED:
	case PLG_PHASE_NOT_READY:
		task_phase = FLYTEIDL__CORE__TASK_EXECUTION__PHASE__QUEUED;
		break;
	case PLG_PHASE_WAITING_FOR_RESOURCES:
		task_phase = FLYTEIDL__CORE__TASK_EXECUTION__PHASE__WAITING_FOR_RESOURCES;
		break;
	case PLG_PHASE_INITIALIZING:
		task_phase = FLYTEIDL__CORE__TASK_EXECUTION__PHASE__INITIALIZING;
		break;
	default:
		task_phase = FLYTEIDL__CORE__TASK_EXECUTION__PHASE__RUNNING;
		break;
	}
	if (t->phase == PLG_PHASE_SUCCESS && (outputs_rc = take_outputs(n)) == FC_EUNAVAILABLE)
		return; /* the attempt stays running; stepped again after a back-off */
	if (t->phase == PLG_PHASE_SUCCESS && outputs_rc) {
		struct plg_transition bad = *t;

		bad.phase = PLG_PHASE_PERMANENT_FAILURE;
		bad.error_code = n->error_code;
		bad.error_message = n->error_msg;
		bad.error_kind = PLG_ERROR_USER;
		prop_emit_task(n, &bad, FLYTEIDL__CORE__TASK_EXECUTION__PHASE__FAILED);
		finish_attempt(n, ctx);
		node_complete(n, NP_FAILED);
		return;
	}
	if ((uint32_t)task_phase != n->task_phase || t->version != n->task_version) {
		n->task_phase = (uint32_t)task_phase;
		n->task_version = t->version;
		prop_emit_task(n, t, task_phase);
		prop_mark_dirty(n);
	}
	switch (t->phase) {
	case PLG_PHASE_SUCCESS:
		finish_attempt(n, ctx);
		cache_store(n);
		node_complete(n, NP_SUCCEEDED);
		break;
	case PLG_PHASE_RETRYABLE_FAILURE:
	case PLG_PHASE_PERMANENT_FAILURE:
		finish_attempt(n, ctx);
		attempt_failed(n, t->error_code, t->error_message, t->error_kind ? (int)t->error_kind : PLG_ERROR_USER,
			       t->phase == PLG_PHASE_RETRYABLE_FAILURE, NP_FAILED);
		break;
	default:
		break;
	}
}

static void run_plugin(struct prop_node *n)
{
	struct plg_task_ctx ctx;
	struct plg_transition t;
	struct fc_buf paths = FC_BUF_INIT;
	int64_t timeout = task_timeout_ns(n);

	prop_node_init_task_ctx(n, &ctx, &paths);
	ctx.host = &prop_plugin_host;
	if (timeout && prop_now_ns() >= n->attempt_started_ns + timeout) {
		struct plg_transition to;

		if (n->plugin->abort)
			n->plugin->abort(&ctx);
		memset(&to, 0, sizeof(to));
		to.phase = PLG_PHASE_RETRYABLE_FAILURE;
		to.error_code = "Timeout";
		to.error_message = "the task attempt ran past its timeout";
		to.error_kind = PLG_ERROR_USER;
		prop_emit_task(n, &to, FLYTEIDL__CORE__TASK_EXECUTION__PHASE__FAILED);
		finish_attempt(n, &ctx);
		attempt_failed(n, "Timeout",
			       fc_arena_printf(&n->wf->ex->arena, "attempt %u ran past its timeout of %.3fs",
					       cur_attempt(n), (double)timeout / 1e9),
			       PLG_ERROR_USER, true, NP_TIMED_OUT);
		goto out;
	}
	prop_node_close_watch(n);
	memset(&t, 0, sizeof(t));
	if (n->plugin->handle(&ctx, &t) < 0) {
		t.phase = PLG_PHASE_RETRYABLE_FAILURE;
		t.error_kind = PLG_ERROR_SYSTEM;
		if (!t.error_code)
			t.error_code = "PluginError";
	}
	if (timeout && !terminal(t.phase == PLG_PHASE_SUCCESS ? NP_SUCCEEDED : NP_RUNNING))
		prop_set_wake(n, n->attempt_started_ns + timeout);
	handle_transition(n, &ctx, &t);
out:
	fc_buf_release(&paths);
}

static void start_attempt(struct prop_node *n)
{
	struct prop_exec *ex = n->wf->ex;
	struct fc_buf dir = FC_BUF_INIT;
	struct fc_err err;
	size_t base_len;

	if (!prop_take_slot(n))
		return; /* queued for a slot; stepped again when one frees */
	n->attempts++;
	n->attempt_started_ns = prop_now_ns();
	n->task_phase = 0;
	n->task_version = 0;
	free(n->pstate);
	n->pstate = NULL;
	n->pstate_len = 0;
	prop_store_local_path(ex->e->store, ex->key, &dir, NULL);
	base_len = dir.len; /* the execution's directory exists: start-node's outputs are in it */
	fc_buf_addf(&dir, "/%s/data/%u/sandbox", n->uid, cur_attempt(n));
	if (prop_mkdirs_below(dir.buf, base_len, &err)) {
		fc_buf_release(&dir);
		if (err.code == FC_EUNAVAILABLE) {
			/* a full disk: this attempt did not start; start it later */
			n->attempts--;
			prop_release_slot(n);
			prop_node_store_retry(n, &err);
			return;
		}
		attempt_failed(n, "SandboxFailed", err.msg, PLG_ERROR_SYSTEM, true, NP_FAILED);
		return;
	}
	n->store_retries = 0;
	fc_buf_release(&dir);
	ex->e->stats.tasks_started++;
	if (n->phase != NP_RUNNING) {
		n->phase = NP_RUNNING;
		prop_emit_node(n, FLYTEIDL__CORE__NODE_EXECUTION__PHASE__RUNNING);
	}
	prop_mark_dirty(n);
	run_plugin(n);
}

static void task_step(struct prop_node *n)
{
	struct prop_exec *ex = n->wf->ex;

	if (!n->task) {
		node_fail(n, NP_FAILED, "TaskNotFound", PLG_ERROR_SYSTEM, "the closure has no template for this task");
		return;
	}
	if (!n->plugin) {
		n->plugin = plg_registry_find(ex->e->plugins, n->task->type);
		if (!n->plugin) {
			node_fail(n, NP_FAILED, "NoPlugin", PLG_ERROR_SYSTEM,
				  fc_arena_printf(&ex->arena, "no plugin handles task type '%s'", n->task->type));
			return;
		}
	}
	if (n->phase == NP_QUEUED) {
		if (n->attempts == 0 && !n->waiting_slot) {
			switch (cache_lookup(n)) {
			case CACHE_DONE:
				prop_mark_dirty(n);
				node_complete(n, NP_SUCCEEDED);
				return;
			case CACHE_WAIT:
				return;
			case CACHE_RUN:
				break;
			}
		}
		start_attempt(n);
		return;
	}
	/* Running: resume after a restart, or a wake-up. */
	if (!n->holds_slot && !prop_take_slot(n))
		return;
	if (!n->cache_reserved && n->cache_status == FLYTEIDL__CORE__CATALOG_CACHE_STATUS__CACHE_MISS &&
	    cache_version(n) && cache_serializable(n)) {
		/* After a restart: take back the reservation our dead process held, so that identical tasks keep
		 * waiting for this one (if another process took it over meanwhile, both run). */
		struct fc_err err;
		bool got = false;

		if (!prop_catalog_reserve(ex->e->catalog, cache_key_of(n), &ex->e->cache_owner,
					  fc_arena_printf(&ex->arena, "%s/%s", ex->key, n->uid), &got, NULL, &err) &&
		    got)
			n->cache_reserved = true;
	}
	run_plugin(n);
}

/* --- composite nodes --------------------------------------------------------------------------------------- */

static void sub_step(struct prop_node *n)
{
	struct prop_exec *ex = n->wf->ex;

	if (!n->sub) {
		const Flyteidl__Core__CompiledWorkflow *cw = find_subwf(ex, n->spec->workflow_node->sub_workflow_ref);
		struct fc_buf prefix = FC_BUF_INIT;

		if (!cw || !cw->template_) {
			node_fail(n, NP_FAILED, "SubWorkflowNotFound", PLG_ERROR_SYSTEM,
				  "the closure has no such subworkflow");
			return;
		}
		fc_buf_addf(&prefix, "%s-0-", n->uid);
		n->sub = prop_wf_new(ex, cw->template_, prefix.buf, n, n->inputs);
		fc_buf_release(&prefix);
		prop_wf_start(n->sub);
		return;
	}
	if (n->sub->phase == NP_SUCCEEDED) {
		n->outputs = n->sub->outputs;
		if (save_outputs(n, NULL))
			fc_warn("%s: could not save outputs", n->uid);
		node_complete(n, NP_SUCCEEDED);
	} else if (terminal(n->sub->phase)) {
		node_fail(n, n->sub->phase == NP_ABORTED ? NP_ABORTED : NP_FAILED,
			  n->sub->error_code ? n->sub->error_code : "SubWorkflowFailed", PLG_ERROR_USER,
			  n->sub->error_msg ? n->sub->error_msg : "the subworkflow failed");
	}
}

/* A launch-plan node: the launch plan's workflow runs inside this execution, like a subworkflow, with the plan's
 * defaults under the node's inputs and its fixed inputs over them. */
static void launch_plan_step(struct prop_node *n)
{
	struct prop_exec *ex = n->wf->ex;
	const struct prop_launch_plan_source *src = ex->e->cfg.launch_plans;

	if (!n->sub) {
		const Flyteidl__Core__CompiledWorkflowClosure *c = NULL;
		Flyteidl__Core__LiteralMap *defaults = NULL, *fixed = NULL, *in;
		struct fc_buf prefix = FC_BUF_INIT;
		struct fc_err err;
		size_t i;

		if (!src || !src->get) {
			node_fail(n, NP_FAILED, "LaunchPlanNotFound", PLG_ERROR_USER,
				  "launch-plan nodes need a launch plan source (flytec run and flytec serve provide one)");
			return;
		}
		if (src->get(src->ctx, n->spec->workflow_node->launchplan_ref, &ex->arena, &c, &defaults, &fixed, &err) ||
		    prop_exec_index_closure(ex, c, &err)) {
			node_fail(n, NP_FAILED, "LaunchPlanNotFound", PLG_ERROR_USER, err.msg);
			return;
		}
		in = prop_litmap_new(&ex->arena, 8);
		for (i = 0; defaults && i < defaults->n_literals; i++)
			if (!prop_litmap_get(n->inputs, defaults->literals[i]->key))
				prop_litmap_put(&ex->arena, in, defaults->literals[i]->key, defaults->literals[i]->value);
		for (i = 0; n->inputs && i < n->inputs->n_literals; i++)
			if (!fixed || !prop_litmap_get(fixed, n->inputs->literals[i]->key))
				prop_litmap_put(&ex->arena, in, n->inputs->literals[i]->key, n->inputs->literals[i]->value);
		for (i = 0; fixed && i < fixed->n_literals; i++)
			prop_litmap_put(&ex->arena, in, fixed->literals[i]->key, fixed->literals[i]->value);
		fc_buf_addf(&prefix, "%s-0-", n->uid);
		n->sub = prop_wf_new(ex, c->primary->template_, prefix.buf, n, in);
		fc_buf_release(&prefix);
		prop_wf_start(n->sub);
		return;
	}
	if (n->sub->phase == NP_SUCCEEDED) {
		n->outputs = n->sub->outputs;
		if (save_outputs(n, NULL))
			fc_warn("%s: could not save outputs", n->uid);
		node_complete(n, NP_SUCCEEDED);
	} else if (terminal(n->sub->phase)) {
		node_fail(n, n->sub->phase == NP_ABORTED ? NP_ABORTED : NP_FAILED,
			  n->sub->error_code ? n->sub->error_code : "LaunchPlanFailed", PLG_ERROR_USER,
			  n->sub->error_msg ? n->sub->error_msg : "the launched workflow failed");
	}
}

static int eval_operand(struct prop_node *n, const Flyteidl__Core__Operand *op, Flyteidl__Core__Literal **out,
			struct fc_err *err)
{
	struct fc_arena *a = &n->wf->ex->arena;
	Flyteidl__Core__Literal *lit;

	switch (op->val_case) {
	case FLYTEIDL__CORE__OPERAND__VAL_VAR:
		*out = prop_litmap_get(n->inputs, op->var);
		if (!*out)
			return fc_err_set(err, FC_EINVAL, "the branch has no input '%s'", op->var);
		return FC_OK;
	case FLYTEIDL__CORE__OPERAND__VAL_SCALAR:
		lit = fc_arena_alloc(a, sizeof(*lit));
		flyteidl__core__literal__init(lit);
		lit->value_case = FLYTEIDL__CORE__LITERAL__VALUE_SCALAR;
		lit->scalar = op->scalar;
		*out = lit;
		return FC_OK;
	case FLYTEIDL__CORE__OPERAND__VAL_PRIMITIVE: {
		Flyteidl__Core__Scalar *sc = fc_arena_alloc(a, sizeof(*sc));

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

		flyteidl__core__scalar__init(sc);
		sc->value_case = FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE;
		sc->primitive = op->primitive; /* deprecated in the IDL, still accepted as Flyte does */
#pragma GCC diagnostic pop
		lit = fc_arena_alloc(a, sizeof(*lit));
		flyteidl__core__literal__init(lit);
		lit->value_case = FLYTEIDL__CORE__LITERAL__VALUE_SCALAR;
		lit->scalar = sc;
		*out = lit;
		return FC_OK;
	}
	default:
		return fc_err_set(err, FC_EINVAL, "empty operand");
	}
}

static int eval_bool(struct prop_node *n, const Flyteidl__Core__BooleanExpression *e, bool *out, struct fc_err *err)
{
	int rc;

	if (!e)
		return fc_err_set(err, FC_EINVAL, "empty condition");
	if (e->expr_case == FLYTEIDL__CORE__BOOLEAN_EXPRESSION__EXPR_CONJUNCTION) {
		bool l, r;

		rc = eval_bool(n, e->conjunction->left_expression, &l, err);
		if (rc)
			return rc;
		/* Short-circuit like Flyte. */
		if (e->conjunction->operator_ == FLYTEIDL__CORE__CONJUNCTION_EXPRESSION__LOGICAL_OPERATOR__AND && !l) {
			*out = false;
			return FC_OK;
		}
		if (e->conjunction->operator_ == FLYTEIDL__CORE__CONJUNCTION_EXPRESSION__LOGICAL_OPERATOR__OR && l) {
			*out = true;
			return FC_OK;
		}
		rc = eval_bool(n, e->conjunction->right_expression, &r, err);
		*out = r;
		return rc;
	}
	if (e->expr_case == FLYTEIDL__CORE__BOOLEAN_EXPRESSION__EXPR_COMPARISON) {
		const Flyteidl__Core__ComparisonExpression *c = e->comparison;
		Flyteidl__Core__Literal *l, *r;
		bool order = c->operator_ != FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__EQ &&
			     c->operator_ != FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__NEQ;
		int cmp;

		if ((rc = eval_operand(n, c->left_value, &l, err)) || (rc = eval_operand(n, c->right_value, &r, err)) ||
		    (rc = prop_lit_compare(l, r, order, &cmp, err)))
			return rc;
		switch (c->operator_) {
		case FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__EQ: *out = cmp == 0; break;
		case FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__NEQ: *out = cmp != 0; break;
		case FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__GT: *out = cmp > 0; break;
		case FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__GTE: *out = cmp >= 0; break;
		case FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__LT: *out = cmp < 0; break;
		default: *out = cmp <= 0; break;
		}
		return FC_OK;
	}
	return fc_err_set(err, FC_EINVAL, "empty condition");
}

static void branch_step(struct prop_node *n)
{
	const Flyteidl__Core__IfElseBlock *ie = n->spec->branch_node->if_else;
	struct prop_exec *ex = n->wf->ex;
	struct fc_err err;

	if (!n->children) {
		const Flyteidl__Core__Node *taken = NULL;
		struct fc_buf uid = FC_BUF_INIT;
		bool yes = false;
		size_t i;

		if (!n->aux) {
			/* Evaluate once; the case taken is persisted (aux = index + 1, 0 for the case block). */
			if (!ie || !ie->case_) {
				node_fail(n, NP_FAILED, "BadBranch", PLG_ERROR_USER, "the branch has no cases");
				return;
			}
			if (eval_bool(n, ie->case_->condition, &yes, &err)) {
				node_fail(n, NP_FAILED, "BranchEvalFailed", PLG_ERROR_USER, err.msg);
				return;
			}
			if (yes) {
				n->aux = 1;
			}
			for (i = 0; !yes && i < ie->n_other; i++) {
				if (eval_bool(n, ie->other[i]->condition, &yes, &err)) {
					node_fail(n, NP_FAILED, "BranchEvalFailed", PLG_ERROR_USER, err.msg);
					return;
				}
				if (yes)
					n->aux = (int64_t)i + 2;
			}
			if (!yes) {
				if (ie->default_case == FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ELSE_NODE) {
					n->aux = -1;
				} else {
					node_fail(n, NP_FAILED, "NoBranchTaken", PLG_ERROR_USER,
						  ie->default_case == FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ERROR &&
								  ie->error
							  ? ie->error->message
							  : "no condition of the branch held and it has no else");
					return;
				}
			}
			prop_mark_dirty(n);
		}
		taken = n->aux == 1 ? ie->case_->then_node
			: n->aux == -1 ? ie->else_node
				       : ie->other[n->aux - 2]->then_node;
		n->children = fc_arena_alloc(&ex->arena, sizeof(*n->children));
		n->nchildren = 1;
		fc_buf_addf(&uid, "%s-0-%s", n->uid, taken->id);
		node_init(&n->children[0], n->wf, n, taken, uid.buf);
		fc_buf_release(&uid);
		prop_enqueue(&n->children[0]);
		return;
	}
	if (!terminal(n->children[0].phase))
		return;
	if (n->children[0].phase == NP_SUCCEEDED) {
		n->outputs = node_outputs(&n->children[0]);
		save_outputs(n, NULL);
		node_complete(n, NP_SUCCEEDED);
	} else {
		node_fail(n, n->children[0].phase, n->children[0].error_code ? n->children[0].error_code : "Failed",
			  n->children[0].error_kind,
			  n->children[0].error_msg ? n->children[0].error_msg : "the branch's node failed");
	}
}

/* Approve and signal gates: ask the signal source, again every second while the signal is pending. */
static void signal_gate_step(struct prop_node *n)
{
	const Flyteidl__Core__GateNode *g = n->spec->gate_node;
	struct prop_exec *ex = n->wf->ex;
	const struct prop_signal_source *src = ex->e->cfg.signals;
	bool approve = g->condition_case == FLYTEIDL__CORE__GATE_NODE__CONDITION_APPROVE;
	const char *sid = approve ? g->approve->signal_id : g->signal->signal_id;
	Flyteidl__Core__LiteralType boolean = FLYTEIDL__CORE__LITERAL_TYPE__INIT;
	Flyteidl__Core__Literal *value = NULL;
	struct fc_err err;

	if (!src || !src->get) {
		node_fail(n, NP_FAILED, "GateNeedsSignals", PLG_ERROR_USER,
			  "approve and signal gates need a signal source: run under flytec serve (set it with POST "
			  "/api/v1/signals), or give it to flytec run with --approve ID or --signal ID=VALUE");
		return;
	}
	boolean.type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE;
	boolean.simple = FLYTEIDL__CORE__SIMPLE_TYPE__BOOLEAN;
	if (src->get(src->ctx, ex->project, ex->domain, ex->name, sid, approve ? &boolean : g->signal->type, &ex->arena,
		     &value, &err)) {
		node_fail(n, NP_FAILED, "SignalError", PLG_ERROR_USER, err.msg);
		return;
	}
	if (!value) {
		if (n->phase != NP_RUNNING) {
			n->phase = NP_RUNNING;
			prop_mark_dirty(n);
		}
		prop_set_wake(n, prop_now_ns() + 1000000000LL);
		return;
	}
	if (approve) {
		bool yes = value->value_case == FLYTEIDL__CORE__LITERAL__VALUE_SCALAR && value->scalar &&
			   value->scalar->value_case == FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE &&
			   value->scalar->primitive->value_case == FLYTEIDL__CORE__PRIMITIVE__VALUE_BOOLEAN &&
			   value->scalar->primitive->boolean;

		if (!yes) {
			struct fc_buf msg = FC_BUF_INIT;

			fc_buf_addf(&msg, "approval '%s' was refused", sid);
			node_fail(n, NP_FAILED, "NotApproved", PLG_ERROR_USER, msg.buf);
			fc_buf_release(&msg);
			return;
		}
		n->outputs = n->inputs ? n->inputs : prop_litmap_new(&ex->arena, 0);
	} else {
		n->outputs = prop_litmap_new(&ex->arena, 1);
		prop_litmap_put(&ex->arena, n->outputs, g->signal->output_variable_name, value);
	}
	node_complete(n, NP_SUCCEEDED);
}

static void gate_step(struct prop_node *n)
{
	const Flyteidl__Core__GateNode *g = n->spec->gate_node;
	int64_t now = prop_now_ns();

	if (g->condition_case == FLYTEIDL__CORE__GATE_NODE__CONDITION_APPROVE ||
	    g->condition_case == FLYTEIDL__CORE__GATE_NODE__CONDITION_SIGNAL) {
		signal_gate_step(n);
		return;
	}
	if (g->condition_case != FLYTEIDL__CORE__GATE_NODE__CONDITION_SLEEP) {
		node_fail(n, NP_FAILED, "NoConditionFound", PLG_ERROR_USER, "the gate has no condition");
		return;
	}
	if (!n->aux) {
		const Google__Protobuf__Duration *d = g->sleep ? g->sleep->duration : NULL;

		n->aux = now + (d ? d->seconds * 1000000000 + d->nanos : 0);
		prop_mark_dirty(n);
	}
	if (now >= n->aux) {
		n->outputs = prop_litmap_new(&n->wf->ex->arena, 0);
		node_complete(n, NP_SUCCEEDED);
		return;
	}
	prop_set_wake(n, n->aux);
}

static uint32_t array_needed(const struct prop_node *n)
{
	const Flyteidl__Core__ArrayNode *an = n->spec->array_node;

	if (an->success_criteria_case == FLYTEIDL__CORE__ARRAY_NODE__SUCCESS_CRITERIA_MIN_SUCCESSES)
		return an->min_successes < n->nchildren ? an->min_successes : n->nchildren;
	if (an->success_criteria_case == FLYTEIDL__CORE__ARRAY_NODE__SUCCESS_CRITERIA_MIN_SUCCESS_RATIO) {
		double need = ceil((double)an->min_success_ratio * n->nchildren - 1e-9);

		return need < 0 ? 0 : need > n->nchildren ? n->nchildren : (uint32_t)need;
	}
	return n->nchildren;
}

static bool is_bound(const Flyteidl__Core__ArrayNode *an, const char *var)
{
	size_t i;

	for (i = 0; i < an->n_bound_inputs; i++)
		if (!strcmp(an->bound_inputs[i], var))
			return true;
	return false;
}

static int array_build(struct prop_node *n, struct fc_err *err)
{
	const Flyteidl__Core__ArrayNode *an = n->spec->array_node;
	struct prop_exec *ex = n->wf->ex;
	struct fc_buf uid = FC_BUF_INIT;
	long len = -1;
	size_t i, j;

	if (!an->node)
		return fc_err_set(err, FC_EINVAL, "the array node has no sub-node");
	if (an->node->target_case != FLYTEIDL__CORE__NODE__TARGET_TASK_NODE)
		return fc_err_set(err, FC_EUNSUPPORTED, "array nodes over non-task nodes are not supported yet");
	for (i = 0; i < n->inputs->n_literals; i++) {
		const Flyteidl__Core__Literal *l = n->inputs->literals[i]->value;

		if (is_bound(an, n->inputs->literals[i]->key) || l->value_case != FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION)
			continue;
		if (len >= 0 && (size_t)len != l->collection->n_literals)
			return fc_err_set(err, FC_EINVAL, "the array node's list inputs have different lengths");
		len = (long)l->collection->n_literals;
	}
	if (len < 0)
		return fc_err_set(err, FC_EINVAL, "the array node has no list input to map over");
	n->nchildren = (uint32_t)len;
	n->children = fc_arena_array(&ex->arena, len ? (size_t)len : 1, sizeof(*n->children));
	for (j = 0; j < (size_t)len; j++) {
		struct prop_node *c = &n->children[j];
		Flyteidl__Core__LiteralMap *m = prop_litmap_new(&ex->arena, n->inputs->n_literals);

		for (i = 0; i < n->inputs->n_literals; i++) {
			Flyteidl__Core__Literal *l = n->inputs->literals[i]->value;

			if (!is_bound(an, n->inputs->literals[i]->key) &&
			    l->value_case == FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION)
				l = l->collection->literals[j];
			prop_litmap_put(&ex->arena, m, n->inputs->literals[i]->key, l);
		}
		fc_buf_reset(&uid);
		fc_buf_addf(&uid, "%s-0-%zu", n->uid, j);
		node_init(c, n->wf, n, an->node, uid.buf);
		c->given_inputs = m;
		if (terminal(c->phase)) {
			n->nchild_done++;
			n->nchild_started++;
			if (c->phase == NP_SUCCEEDED)
				n->nchild_ok++;
		}
	}
	fc_buf_release(&uid);
	return FC_OK;
}

static void array_step(struct prop_node *n)
{
	const Flyteidl__Core__ArrayNode *an = n->spec->array_node;
	struct prop_exec *ex = n->wf->ex;
	uint32_t limit = 0, needed, i;
	struct fc_err err;

	if (!n->children && n->nchildren == 0) {
		if (array_build(n, &err)) {
			node_fail(n, NP_FAILED, "BadArrayNode", PLG_ERROR_USER, err.msg);
			return;
		}
	}
	needed = array_needed(n);
	/* Recount (cheap, and right after a restart too). */
	n->nchild_done = n->nchild_ok = n->nchild_running = n->nchild_started = 0;
	for (i = 0; i < n->nchildren; i++) {
		struct prop_node *c = &n->children[i];

		if (terminal(c->phase)) {
			n->nchild_done++;
			n->nchild_ok += c->phase == NP_SUCCEEDED;
		} else if (c->phase != NP_NOT_YET_STARTED || c->in_runq) {
			n->nchild_running++;
		}
		if (c->phase != NP_NOT_YET_STARTED || c->in_runq)
			n->nchild_started++;
	}
	if (n->nchild_done - n->nchild_ok > n->nchildren - needed) {
		/* Too many failures to reach the success criteria: stop the rest. */
		for (i = 0; i < n->nchildren; i++)
			abort_node(&n->children[i], NP_ABORTED);
		node_fail(n, NP_FAILED, "ArrayNodeFailed", PLG_ERROR_USER,
			  fc_arena_printf(&ex->arena, "%u of %u sub-nodes failed; %u successes were needed",
					  n->nchild_done - n->nchild_ok, n->nchildren, needed));
		return;
	}
	if (n->nchild_done == n->nchildren) {
		const Flyteidl__Core__TaskTemplate *t = task_of_spec(ex, an->node);
		const Flyteidl__Core__VariableMap *outs = t && t->interface ? t->interface->outputs : NULL;
		size_t v;

		n->outputs = prop_litmap_new(&ex->arena, outs ? outs->n_variables : 0);
		for (v = 0; outs && v < outs->n_variables; v++) {
			Flyteidl__Core__Literal **items = fc_arena_array(&ex->arena, n->nchildren ? n->nchildren : 1,
									 sizeof(*items));

			for (i = 0; i < n->nchildren; i++) {
				struct prop_node *c = &n->children[i];
				Flyteidl__Core__Literal *l = NULL;

				if (c->phase == NP_SUCCEEDED)
					l = prop_litmap_get(node_outputs(c), outs->variables[v]->key);
				items[i] = l ? l : prop_lit_none(&ex->arena);
			}
			prop_litmap_put(&ex->arena, n->outputs, outs->variables[v]->key,
					prop_lit_collection(&ex->arena, items, n->nchildren));
		}
		save_outputs(n, NULL);
		node_complete(n, NP_SUCCEEDED);
		return;
	}
	if (an->parallelism_option_case == FLYTEIDL__CORE__ARRAY_NODE__PARALLELISM_OPTION_PARALLELISM)
		limit = an->parallelism;
	for (i = 0; i < n->nchildren && (!limit || n->nchild_running < limit); i++) {
		struct prop_node *c = &n->children[i];

		if (c->phase == NP_NOT_YET_STARTED && !c->in_runq) {
			prop_enqueue(c);
			n->nchild_running++;
		}
	}
}

/* --- abort ------------------------------------------------------------------------------------------------- */

static void abort_node(struct prop_node *n, int final_phase)
{
	uint32_t i;

	if (terminal(n->phase) || n->phase == NP_NOT_YET_STARTED) {
		if (n->waiting_slot)
			n->waiting_slot = false;
		return;
	}
	if (n->kind == NK_TASK && n->phase == NP_RUNNING && n->plugin && n->holds_slot) {
		struct plg_task_ctx ctx;
		struct fc_buf paths = FC_BUF_INIT;

		prop_node_init_task_ctx(n, &ctx, &paths);
		ctx.host = &prop_plugin_host;
		if (n->plugin->abort)
			n->plugin->abort(&ctx);
		if (n->plugin->finalize)
			n->plugin->finalize(&ctx);
		fc_buf_release(&paths);
		{
			struct plg_transition t;

			memset(&t, 0, sizeof(t));
			t.phase = PLG_PHASE_PERMANENT_FAILURE;
			prop_emit_task(n, &t, FLYTEIDL__CORE__TASK_EXECUTION__PHASE__ABORTED);
		}
	}
	if (n->sub)
		wf_abort(n->sub, final_phase);
	for (i = 0; i < n->nchildren && n->children; i++)
		abort_node(&n->children[i], final_phase);
	n->phase = (uint8_t)final_phase;
	if (!n->error_code)
		set_error(n, final_phase == NP_TIMED_OUT ? "Timeout" : "Aborted", PLG_ERROR_USER, "%s",
			  final_phase == NP_TIMED_OUT ? "the execution ran past its deadline" : "aborted");
	prop_node_close_watch(n);
	prop_release_slot(n);
	n->wake_ns = 0;
	cache_release(n);
	prop_mark_dirty(n);
	prop_emit_node(n, event_phase_of(final_phase));
	if (!n->parent && !n->is_failure_node)
		n->wf->n_settled++;
}

void prop_exec_abort_all(struct prop_exec *ex, int final_phase)
{
	wf_abort(ex->top, final_phase);
	ex->top->phase = (uint8_t)final_phase;
}

/* --- the step ---------------------------------------------------------------------------------------------- */

void prop_node_step(struct prop_node *n)
{
	struct prop_exec *ex = n->wf->ex;
	struct fc_err err;

	if (terminal(n->phase) || ex->done)
		return;
	if (n->parent && terminal(n->parent->phase))
		return;
	if (n->phase == NP_NOT_YET_STARTED) {
		if (n->upstream_skipped) {
			node_complete(n, NP_SKIPPED);
			return;
		}
		n->phase = NP_QUEUED;
		n->started_ns = prop_now_ns();
		prop_mark_dirty(n);
	}
	if (!n->inputs) {
		/* Resolve inputs (again, after a restart: the same bindings give the same values). */
		if (n->given_inputs) {
			n->inputs = (Flyteidl__Core__LiteralMap *)n->given_inputs;
		} else if (resolve_bindings(n->wf, n->spec->inputs, n->spec->n_inputs, &n->inputs, &err)) {
			if (n->is_failure_node) {
				/* The failure node runs even when some of its inputs came from failed nodes. */
				n->inputs = prop_litmap_new(&ex->arena, 0);
			} else {
				node_fail(n, NP_FAILED, "BindingFailed", PLG_ERROR_SYSTEM, err.msg);
				return;
			}
		}
		if (n->inputs->n_literals && n->phase == NP_QUEUED && !n->has_row) {
			struct fc_buf key = FC_BUF_INIT;

			node_key(n, "inputs.pb", &key);
			if (prop_store_put_msg(ex->e->store, key.buf, &n->inputs->base, &err)) {
				fc_buf_release(&key);
				if (err.code == FC_EUNAVAILABLE) {
					/* a full disk is not the node's fault: try again later, with the same inputs */
					n->inputs = NULL;
					prop_node_store_retry(n, &err);
					return;
				}
				node_fail(n, NP_FAILED, "InputsNotWritten", PLG_ERROR_SYSTEM, err.msg);
				return;
			}
			n->store_retries = 0;
			fc_buf_release(&key);
		} else if (n->inputs->n_literals && n->kind == NK_TASK) {
			struct fc_buf key = FC_BUF_INIT;

			node_key(n, "inputs.pb", &key);
			if (!prop_store_exists(ex->e->store, key.buf))
				prop_store_put_msg(ex->e->store, key.buf, &n->inputs->base, NULL);
			fc_buf_release(&key);
		}
		if (n->phase == NP_QUEUED && !n->has_row)
			prop_emit_node(n, FLYTEIDL__CORE__NODE_EXECUTION__PHASE__QUEUED);
		n->has_row = true;
	}
	switch (n->kind) {
	case NK_TASK:
		task_step(n);
		break;
	case NK_SUBWORKFLOW:
	case NK_LAUNCHPLAN:
	case NK_BRANCH:
	case NK_ARRAY:
	case NK_GATE:
		if (n->phase == NP_QUEUED) {
			n->phase = NP_RUNNING;
			prop_mark_dirty(n);
			prop_emit_node(n, FLYTEIDL__CORE__NODE_EXECUTION__PHASE__RUNNING);
		}
		if (n->kind == NK_SUBWORKFLOW)
			sub_step(n);
		else if (n->kind == NK_LAUNCHPLAN)
			launch_plan_step(n);
		else if (n->kind == NK_BRANCH)
			branch_step(n);
		else if (n->kind == NK_ARRAY)
			array_step(n);
		else
			gate_step(n);
		break;
	}
}
