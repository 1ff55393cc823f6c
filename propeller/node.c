/*
 * node.c: the node state machine. A node is stepped when it may have something to do (its upstream finished, a
 * watched fd fired, a timer passed, a child finished); each step moves it along
 * NotYetStarted -> Queued -> Running -> Succeeded | Failed | TimedOut | Aborted | Skipped, through the kind's
 * handler: tasks go through their plugin, subworkflows and branches through child nodes, array nodes through one
 * child per element, gates through a timer.
 */
#include "propeller/node_int.h"

#include "core/err.h"
#include "core/log.h"
#include "plugins/registry.h"
#include "propeller/catalog.h"
#include "propeller/events.h"
#include "compiler/lit.h"
#include "propeller/store.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


bool prop_phase_terminal(int phase)
{
	return phase >= NP_SUCCEEDED;
}

int prop_event_phase_of(int np)
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

void prop_node_set_error(struct prop_node *n, const char *code, int kind, const char *fmt, ...)
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

void prop_node_key(const struct prop_node *n, const char *rest, struct fc_buf *out)
{
	fc_buf_addf(out, "%s/%s/data/%s", n->wf->ex->key, n->uid, rest);
}

void prop_attempt_key(const struct prop_node *n, uint32_t attempt, const char *file, struct fc_buf *out)
{
	fc_buf_addf(out, "%s/%s/data/%u/%s", n->wf->ex->key, n->uid, attempt, file);
}

uint32_t prop_cur_attempt(const struct prop_node *n)
{
	return n->attempts ? n->attempts - 1 : 0;
}

/* --- lookups ----------------------------------------------------------------------------------------------- */

void prop_ident_key(const Flyteidl__Core__Identifier *id, struct fc_buf *out)
{
	fc_buf_addf(out, "%s/%s/%s/%s", id->project, id->domain, id->name, id->version);
}

const Flyteidl__Core__TaskTemplate *prop_find_task(struct prop_exec *ex, const Flyteidl__Core__Identifier *id)
{
	struct fc_buf k = FC_BUF_INIT;
	const Flyteidl__Core__TaskTemplate *t;

	if (!id)
		return NULL;
	prop_ident_key(id, &k);
	t = fc_strmap_get(&ex->tasks, k.buf);
	fc_buf_release(&k);
	return t;
}

const Flyteidl__Core__CompiledWorkflow *prop_find_subwf(struct prop_exec *ex, const Flyteidl__Core__Identifier *id)
{
	struct fc_buf k = FC_BUF_INIT;
	const Flyteidl__Core__CompiledWorkflow *w;

	if (!id)
		return NULL;
	prop_ident_key(id, &k);
	w = fc_strmap_get(&ex->subwfs, k.buf);
	fc_buf_release(&k);
	return w;
}

const Flyteidl__Core__TaskTemplate *prop_task_of_spec(struct prop_exec *ex, const Flyteidl__Core__Node *spec)
{
	if (spec->target_case != FLYTEIDL__CORE__NODE__TARGET_TASK_NODE || !spec->task_node)
		return NULL;
	return prop_find_task(ex, spec->task_node->reference_id);
}

/* --- outputs of nodes -------------------------------------------------------------------------------------- */

const Flyteidl__Core__VariableMap *prop_declared_outputs(const struct prop_node *n)
{
	if (n->task)
		return n->task->interface ? n->task->interface->outputs : NULL;
	return NULL;
}

/* The outputs of a succeeded node, loaded from the store after a restart. */
Flyteidl__Core__LiteralMap *prop_node_outputs(struct prop_node *n)
{
	struct prop_exec *ex = n->wf->ex;
	struct fc_buf key = FC_BUF_INIT;
	void *msg = NULL;

	if (n->outputs)
		return n->outputs;
	prop_attempt_key(n, n->kind == NK_TASK ? prop_cur_attempt(n) : 0, "outputs.pb", &key);
	if (prop_store_get_msg(ex->e->store, key.buf, &ex->arena, &flyteidl__core__literal_map__descriptor, &msg,
			       NULL))
		msg = cmp_litmap_new(&ex->arena);
	fc_buf_release(&key);
	n->outputs = msg;
	return n->outputs;
}

int prop_save_outputs(struct prop_node *n, struct fc_err *err)
{
	struct fc_buf key = FC_BUF_INIT;
	int rc = FC_OK;

	if (n->outputs && n->outputs->n_literals) {
		prop_attempt_key(n, n->kind == NK_TASK ? prop_cur_attempt(n) : 0, "outputs.pb", &key);
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
			*lit = cmp_litmap_get(cur->map, pa->string_value);
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

int prop_resolve_binding(struct prop_wf *wf, const Flyteidl__Core__BindingData *bd, Flyteidl__Core__Literal **out,
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
		lit->scalar = cmp_pb_copy(a, &bd->scalar->base); /* the spec is freed after the step */
		break;
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_COLLECTION: {
		size_t nb = bd->collection->n_bindings;
		Flyteidl__Core__Literal **items = fc_arena_array(a, nb ? nb : 1, sizeof(*items));

		for (i = 0; i < nb && !rc; i++)
			rc = prop_resolve_binding(wf, bd->collection->bindings[i], &items[i], err);
		if (rc)
			return rc;
		lit = cmp_lit_collection(a, items, nb);
		break;
	}
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_MAP: {
		Flyteidl__Core__LiteralMap *m = cmp_litmap_new(a);

		for (i = 0; i < bd->map->n_bindings && !rc; i++) {
			Flyteidl__Core__Literal *v;

			rc = prop_resolve_binding(wf, bd->map->bindings[i]->value, &v, err);
			if (!rc)
				cmp_litmap_put(a, m, bd->map->bindings[i]->key, v);
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
			src = prop_node_outputs(up);
		}
		lit = cmp_litmap_get(src, ref->var);
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
		lit->offloaded_metadata = cmp_pb_copy(a, &bd->offloaded_metadata->base);
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
		u->type = cmp_pb_copy(a, &bd->union_->targettype->base);
		sc->value_case = FLYTEIDL__CORE__SCALAR__VALUE_UNION;
		sc->union_ = u;
		wrapped->value_case = FLYTEIDL__CORE__LITERAL__VALUE_SCALAR;
		wrapped->scalar = sc;
		lit = wrapped;
	}
	*out = lit;
	return FC_OK;
}

int prop_resolve_bindings(struct prop_wf *wf, Flyteidl__Core__Binding **b, size_t nb,
			    Flyteidl__Core__LiteralMap **out, struct fc_err *err)
{
	Flyteidl__Core__LiteralMap *m = cmp_litmap_new(&wf->ex->arena);
	size_t i;
	int rc;

	for (i = 0; i < nb; i++) {
		Flyteidl__Core__Literal *v;

		rc = prop_resolve_binding(wf, b[i]->binding, &v, err);
		if (rc)
			return fc_err_prefix(err, "input '%s': ", b[i]->var);
		cmp_litmap_put(&wf->ex->arena, m, b[i]->var, v);
	}
	*out = m;
	return FC_OK;
}

/* --- workflows --------------------------------------------------------------------------------------------- */

void prop_node_apply_row(struct prop_node *n)
{
	struct prop_exec *ex = n->wf->ex;
	struct prop_node_row *row = fc_strmap_get(&ex->rows, n->uid);

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
	/* applied once (a node is made once per process): free it, and the map with the last one */
	fc_strmap_put(&ex->rows, n->uid, NULL);
	free(row);
	if (--ex->rows_left == 0) {
		fc_strmap_release(&ex->rows);
		fc_strmap_init(&ex->rows);
	}
}

void prop_node_init(struct prop_node *n, struct prop_wf *wf, struct prop_node *parent,
		      const Flyteidl__Core__Node *spec, const char *uid)
{
	struct prop_exec *ex = wf->ex;

	n->wf = wf;
	n->parent = parent;
	n->spec = (Flyteidl__Core__Node *)spec; /* not owned: the caller's */
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
		n->task = prop_task_of_spec(ex, spec);
		break;
	}
	ex->e->stats.nodes++;
	ex->e->stats.node_bytes += sizeof(*n) + strlen(uid) + 1;
	prop_node_apply_row(n);
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

/* --- node specs ------------------------------------------------------------------------------------------- */

/* Node messages decoded from their packed bytes live on the heap, each freed on its own when its node no longer
 * needs it; running out of memory aborts in fc_xmalloc, so a failed decode means malformed bytes. */
static void *spec_alloc(void *data, size_t size)
{
	(void)data;
	return fc_xmalloc(size ? size : 1);
}

static void spec_dealloc(void *data, void *p)
{
	(void)data;
	free(p);
}

static ProtobufCAllocator spec_allocator = {spec_alloc, spec_dealloc, NULL};

Flyteidl__Core__Node *prop_spec_decode(const uint8_t *pb, size_t len)
{
	return flyteidl__core__node__unpack(&spec_allocator, len, pb);
}

void prop_spec_free(Flyteidl__Core__Node *spec)
{
	if (spec)
		flyteidl__core__node__free_unpacked(spec, &spec_allocator);
}

/* The bytes were decoded once when the execution was built (exec_keep_packed): they decode. */
static Flyteidl__Core__Node *spec_decode(const uint8_t *pb, size_t len)
{
	Flyteidl__Core__Node *spec = prop_spec_decode(pb, len);

	if (!spec)
		FC_BUG("a node's packed spec (%zu bytes, checked when the execution was built) does not decode", len);
	return spec;
}

static const struct prop_packed_nodes *packed_nodes_of(const struct prop_exec *ex,
							const Flyteidl__Core__WorkflowTemplate *tmpl)
{
	size_t i;

	for (i = 0; i < ex->npacked; i++)
		if (ex->packed[i].tmpl == tmpl)
			return &ex->packed[i];
	return NULL; /* a launch plan's workflow: its nodes are unpacked */
}

const Flyteidl__Core__Node *prop_node_spec(struct prop_node *n)
{
	struct prop_exec *ex = n->wf->ex;

	if (n->spec)
		return n->spec;
	if (!n->spec_pb)
		FC_BUG("node %s has neither a spec nor its bytes", n->uid);
	n->spec = spec_decode(n->spec_pb, n->spec_pb_len);
	n->spec_owned = true;
	FC_ALLOC_GROW(ex->spec_owners, ex->nspec_owners + 1, ex->spec_owners_alloc);
	ex->spec_owners[ex->nspec_owners++] = n;
	if (++ex->e->stats.specs_decoded > ex->e->stats.specs_peak)
		ex->e->stats.specs_peak = ex->e->stats.specs_decoded;
	return n->spec;
}

static void spec_free(struct prop_node *n)
{
	uint32_t i;

	/* children of a branch or an array point into it; they have ended (see prop_node_spec_release) */
	for (i = 0; i < n->nchildren && n->children; i++)
		if (!n->children[i].spec_pb)
			n->children[i].spec = NULL;
	prop_spec_free(n->spec);
	n->spec = NULL;
	n->spec_owned = false;
	n->wf->ex->e->stats.specs_decoded--;
}

void prop_node_spec_release(struct prop_node *n)
{
	struct prop_exec *ex = n->wf->ex;
	size_t i;

	if (!n->spec_owned || n->in_step)
		return;
	if ((n->kind == NK_BRANCH || n->kind == NK_ARRAY) && !prop_phase_terminal(n->phase))
		return;
	for (i = ex->nspec_owners; i-- > 0;) {
		if (ex->spec_owners[i] == n) {
			ex->spec_owners[i] = ex->spec_owners[--ex->nspec_owners];
			break;
		}
	}
	spec_free(n);
}

void prop_exec_free_specs(struct prop_exec *ex)
{
	size_t i;

	for (i = 0; i < ex->nspec_owners; i++)
		spec_free(ex->spec_owners[i]);
	free(ex->spec_owners);
	ex->spec_owners = NULL;
	ex->nspec_owners = ex->spec_owners_alloc = 0;
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
	size_t *node_nups, *real, ntotal;
	const struct prop_packed_nodes *pn;

	wf->ex = ex;
	wf->tmpl = tmpl;
	wf->prefix = fc_arena_strdup(a, prefix);
	wf->owner = owner;
	wf->inputs = inputs ? inputs : cmp_litmap_new(a);
	pn = packed_nodes_of(ex, tmpl);
	ntotal = pn ? pn->n : tmpl->n_nodes;
	/* A compiled template carries start-node and end-node: they are the workflow's inputs and outputs, not
	 * nodes to run (promises on start-node read the inputs; the template's outputs are the end). */
	real = fc_xcalloc(ntotal ? ntotal : 1, sizeof(*real));
	wf->nodes = fc_arena_array(a, ntotal ? ntotal : 1, sizeof(*wf->nodes));
	fc_strmap_init(&wf->by_id);
	wf->n = 0;
	for (i = 0; i < ntotal; i++) {
		struct prop_node *n = &wf->nodes[wf->n];
		Flyteidl__Core__Node *spec = pn ? spec_decode(pn->buf + pn->off[i], pn->len[i]) : tmpl->nodes[i];

		if (!strcmp(spec->id, "start-node") || !strcmp(spec->id, "end-node")) {
			if (pn)
				prop_spec_free(spec);
			continue;
		}
		real[wf->n++] = i;
		fc_buf_reset(&uid);
		fc_buf_addf(&uid, "%s%s", prefix, spec->id);
		prop_node_init(n, wf, NULL, spec, uid.buf);
		fc_strmap_put(&wf->by_id, n->uid + strlen(prefix), n);
		if (pn) {
			prop_spec_free(spec);
			n->spec = NULL;
			n->spec_pb = pn->buf + pn->off[i];
			n->spec_pb_len = pn->len[i];
		}
	}
	/* Edges: first gather each node's upstream list, then size the downstream arrays exactly. */
	mark = fc_xcalloc(wf->n ? wf->n : 1, sizeof(*mark));
	node_ups = fc_xcalloc(wf->n ? wf->n : 1, sizeof(*node_ups));
	node_nups = fc_xcalloc(wf->n ? wf->n : 1, sizeof(*node_nups));
	for (i = 0; i < wf->n; i++) {
		struct dep_ctx d = {wf, &wf->nodes[i], mark, (uint32_t)i + 1, &ups, &nups, &ups_alloc};
		Flyteidl__Core__Node *spec = pn ? spec_decode(pn->buf + pn->off[real[i]], pn->len[real[i]])
						 : tmpl->nodes[real[i]];

		ups = NULL;
		nups = ups_alloc = 0;
		collect_node_deps(spec, &d);
		if (pn)
			prop_spec_free(spec);
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
	free(real);
	if (tmpl->failure_node) {
		fc_buf_reset(&uid);
		fc_buf_addf(&uid, "%s%s", prefix, tmpl->failure_node->id);
		wf->failure_node = fc_arena_alloc(a, sizeof(*wf->failure_node));
		prop_node_init(wf->failure_node, wf, NULL, tmpl->failure_node, uid.buf);
		wf->failure_node->is_failure_node = true;
	}
	fc_buf_release(&uid);
	wf->phase = NP_RUNNING;
	return wf;
}

void prop_block_downstream(struct prop_wf *wf, struct prop_node *n)
{
	uint32_t i;

	for (i = 0; i < n->ndown; i++) {
		struct prop_node *d = n->down[i];

		if (d->blocked || prop_phase_terminal(d->phase) || d->phase != NP_NOT_YET_STARTED)
			continue;
		d->blocked = true;
		wf->n_settled++;
		prop_block_downstream(wf, d);
	}
}

/* A node of `wf` reached a terminal phase (now, or before a restart): release its downstream. */
void prop_wf_node_settled(struct prop_wf *wf, struct prop_node *n, bool resuming)
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
		prop_block_downstream(wf, n);
	}
}

void prop_wf_start(struct prop_wf *wf)
{
	size_t i;

	/* Settle what finished before a restart, then queue what can go. */
	for (i = 0; i < wf->n; i++)
		if (prop_phase_terminal(wf->nodes[i].phase))
			prop_wf_node_settled(wf, &wf->nodes[i], true);
	for (i = 0; i < wf->n; i++) {
		struct prop_node *n = &wf->nodes[i];

		if (prop_phase_terminal(n->phase) || n->blocked)
			continue;
		if (n->phase != NP_NOT_YET_STARTED || n->pending_up == 0)
			prop_enqueue(n);
	}
	if (wf->failure_node && wf->failure_node->phase != NP_NOT_YET_STARTED)
		prop_enqueue(wf->failure_node);
	prop_wf_check(wf);
}


void prop_wf_abort(struct prop_wf *wf, int final_phase)
{
	size_t i;

	for (i = 0; i < wf->n; i++)
		prop_node_abort(&wf->nodes[i], final_phase);
	if (wf->failure_node)
		prop_node_abort(wf->failure_node, final_phase);
}

/* Is the workflow finished? Then compute its outputs or its error, and tell the owner. */
void prop_wf_check(struct prop_wf *wf)
{
	struct prop_exec *ex = wf->ex;
	const Flyteidl__Core__WorkflowMetadata *md = wf->tmpl->metadata;
	bool fail_fast = !md || md->on_failure == FLYTEIDL__CORE__WORKFLOW_METADATA__ON_FAILURE_POLICY__FAIL_IMMEDIATELY;
	struct fc_err err;

	if (prop_phase_terminal(wf->phase))
		return;
	if (wf->failing && fail_fast && wf->n_settled < wf->n) {
		/* Stop everything still running; the nodes end Aborted. */
		prop_wf_abort(wf, NP_ABORTED);
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
		if (!prop_phase_terminal(fnode->phase))
			return;
	}
	if (wf->failing) {
		wf->phase = NP_FAILED;
	} else if (prop_resolve_bindings(wf, wf->tmpl->outputs, wf->tmpl->n_outputs, &wf->outputs, &err)) {
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


void prop_node_complete(struct prop_node *n, int phase)
{
	struct prop_wf *wf = n->wf;

	n->phase = (uint8_t)phase;
	prop_node_close_watch(n);
	prop_release_slot(n);
	n->wake_ns = 0;
	prop_cache_release(n);
	prop_mark_dirty(n);
	if (phase != NP_SKIPPED || n->started_ns)
		prop_emit_node(n, prop_event_phase_of(phase));
	else
		prop_emit_node(n, FLYTEIDL__CORE__NODE_EXECUTION__PHASE__SKIPPED);
	prop_node_spec_release(n);
	if (n->parent) {
		prop_enqueue(n->parent);
		return;
	}
	if (n->is_failure_node) {
		prop_wf_check(wf);
		return;
	}
	prop_wf_node_settled(wf, n, false);
	prop_wf_check(wf);
}

void prop_node_fail(struct prop_node *n, int phase, const char *code, int kind, const char *msg)
{
	if (!n->error_code)
		prop_node_set_error(n, code, kind, "%s", msg);
	prop_node_complete(n, phase);
}

/* --- abort ------------------------------------------------------------------------------------------------- */

void prop_node_abort(struct prop_node *n, int final_phase)
{
	uint32_t i;

	if (prop_phase_terminal(n->phase) || n->phase == NP_NOT_YET_STARTED) {
		if (n->waiting_slot)
			n->waiting_slot = false;
		return;
	}
	if (prop_node_handler_of(n)->abort)
		prop_node_handler_of(n)->abort(n);
	if (n->sub)
		prop_wf_abort(n->sub, final_phase);
	for (i = 0; i < n->nchildren && n->children; i++)
		prop_node_abort(&n->children[i], final_phase);
	n->phase = (uint8_t)final_phase;
	if (!n->error_code)
		prop_node_set_error(n, final_phase == NP_TIMED_OUT ? "Timeout" : "Aborted", PLG_ERROR_USER, "%s",
			  final_phase == NP_TIMED_OUT ? "the execution ran past its deadline" : "aborted");
	prop_node_close_watch(n);
	prop_release_slot(n);
	n->wake_ns = 0;
	prop_cache_release(n);
	prop_mark_dirty(n);
	prop_emit_node(n, prop_event_phase_of(final_phase));
	prop_node_spec_release(n);
	if (!n->parent && !n->is_failure_node)
		n->wf->n_settled++;
}

void prop_exec_abort_all(struct prop_exec *ex, int final_phase)
{
	prop_wf_abort(ex->top, final_phase);
	ex->top->phase = (uint8_t)final_phase;
}

/* --- the step ---------------------------------------------------------------------------------------------- */

/* The handlers, by enum prop_node_kind. */
static const struct prop_node_handler *const node_handlers[] = {
	[NK_TASK] = &prop_task_node_handler,
	[NK_SUBWORKFLOW] = &prop_subworkflow_node_handler,
	[NK_LAUNCHPLAN] = &prop_launch_plan_node_handler,
	[NK_BRANCH] = &prop_branch_node_handler,
	[NK_GATE] = &prop_gate_node_handler,
	[NK_ARRAY] = &prop_array_node_handler,
};

const struct prop_node_handler *prop_node_handler_of(const struct prop_node *n)
{
	if (n->kind >= FC_ARRAY_LEN(node_handlers) || !node_handlers[n->kind])
		FC_BUG("node %s has kind %u, which has no handler", n->uid, (unsigned)n->kind);
	return node_handlers[n->kind];
}

static void node_step(struct prop_node *n)
{
	struct prop_exec *ex = n->wf->ex;
	const struct prop_node_handler *h;
	struct fc_err err;

	if (prop_phase_terminal(n->phase) || ex->done)
		return;
	if (n->parent && prop_phase_terminal(n->parent->phase))
		return;
	if (n->phase == NP_NOT_YET_STARTED) {
		if (n->upstream_skipped) {
			prop_node_complete(n, NP_SKIPPED);
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
		} else if (prop_resolve_bindings(n->wf, prop_node_spec(n)->inputs, prop_node_spec(n)->n_inputs, &n->inputs,
						 &err)) {
			if (n->is_failure_node) {
				/* The failure node runs even when some of its inputs came from failed nodes. */
				n->inputs = cmp_litmap_new(&ex->arena);
			} else {
				prop_node_fail(n, NP_FAILED, "BindingFailed", PLG_ERROR_SYSTEM, err.msg);
				return;
			}
		}
		if (n->inputs->n_literals && n->phase == NP_QUEUED && !n->has_row) {
			struct fc_buf key = FC_BUF_INIT;

			prop_node_key(n, "inputs.pb", &key);
			if (prop_store_put_msg(ex->e->store, key.buf, &n->inputs->base, &err)) {
				fc_buf_release(&key);
				if (err.code == FC_EUNAVAILABLE) {
					/* a full disk is not the node's fault: try again later, with the same inputs */
					n->inputs = NULL;
					prop_node_store_retry(n, &err);
					return;
				}
				prop_node_fail(n, NP_FAILED, "InputsNotWritten", PLG_ERROR_SYSTEM, err.msg);
				return;
			}
			n->store_retries = 0;
			fc_buf_release(&key);
		} else if (n->inputs->n_literals && n->kind == NK_TASK) {
			struct fc_buf key = FC_BUF_INIT;

			prop_node_key(n, "inputs.pb", &key);
			if (!prop_store_exists(ex->e->store, key.buf))
				prop_store_put_msg(ex->e->store, key.buf, &n->inputs->base, NULL);
			fc_buf_release(&key);
		}
		if (n->phase == NP_QUEUED && !n->has_row)
			prop_emit_node(n, FLYTEIDL__CORE__NODE_EXECUTION__PHASE__QUEUED);
		n->has_row = true;
	}
	h = prop_node_handler_of(n);
	if (h->starts_running && n->phase == NP_QUEUED) {
		n->phase = NP_RUNNING;
		prop_mark_dirty(n);
		prop_emit_node(n, FLYTEIDL__CORE__NODE_EXECUTION__PHASE__RUNNING);
	}
	h->step(n);
}

/* A step decodes the node's spec when it needs it, and frees it when it is over (a branch or array node keeps
 * its spec until it ends): at any time, only the nodes being stepped and the composite nodes still going hold
 * theirs, whatever the size of the workflow. */
void prop_node_step(struct prop_node *n)
{
	bool outer = !n->in_step;

	n->in_step = true;
	node_step(n);
	if (outer) {
		n->in_step = false;
		prop_node_spec_release(n);
	}
}
