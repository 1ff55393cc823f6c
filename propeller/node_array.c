/* node_array.c: array (map) nodes: one child per element of the list inputs. */
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

static uint32_t array_needed(struct prop_node *n)
{
	const Flyteidl__Core__ArrayNode *an = prop_node_spec(n)->array_node;

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
	const Flyteidl__Core__ArrayNode *an = prop_node_spec(n)->array_node;
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
		Flyteidl__Core__LiteralMap *m = cmp_litmap_new(&ex->arena);

		for (i = 0; i < n->inputs->n_literals; i++) {
			Flyteidl__Core__Literal *l = n->inputs->literals[i]->value;

			if (!is_bound(an, n->inputs->literals[i]->key) &&
			    l->value_case == FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION)
				l = l->collection->literals[j];
			cmp_litmap_put(&ex->arena, m, n->inputs->literals[i]->key, l);
		}
		fc_buf_reset(&uid);
		fc_buf_addf(&uid, "%s-0-%zu", n->uid, j);
		prop_node_init(c, n->wf, n, an->node, uid.buf);
		c->given_inputs = m;
		if (prop_phase_terminal(c->phase)) {
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
	const Flyteidl__Core__ArrayNode *an = prop_node_spec(n)->array_node;
	struct prop_exec *ex = n->wf->ex;
	uint32_t limit = 0, needed, i;
	struct fc_err err;

	if (!n->children && n->nchildren == 0) {
		if (array_build(n, &err)) {
			prop_node_fail(n, NP_FAILED, "BadArrayNode", PLG_ERROR_USER, err.msg);
			return;
		}
		/*
		 * Children restored from the state as Queued or Running (a restart while they ran) are stepped again
		 * now, as prop_wf_start() does for a workflow's nodes: nothing else would wake them, their process or
		 * pod watch went with the previous run.
		 */
		for (i = 0; i < n->nchildren; i++) {
			struct prop_node *c = &n->children[i];

			if (c->phase != NP_NOT_YET_STARTED && !prop_phase_terminal(c->phase))
				prop_enqueue(c);
		}
	}
	needed = array_needed(n);
	/* Recount (cheap, and right after a restart too). */
	n->nchild_done = n->nchild_ok = n->nchild_running = n->nchild_started = 0;
	for (i = 0; i < n->nchildren; i++) {
		struct prop_node *c = &n->children[i];

		if (prop_phase_terminal(c->phase)) {
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
			prop_node_abort(&n->children[i], NP_ABORTED);
		prop_node_fail(n, NP_FAILED, "ArrayNodeFailed", PLG_ERROR_USER,
			  fc_arena_printf(&ex->arena, "%u of %u sub-nodes failed; %u successes were needed",
					  n->nchild_done - n->nchild_ok, n->nchildren, needed));
		return;
	}
	if (n->nchild_done == n->nchildren) {
		const Flyteidl__Core__TaskTemplate *t = prop_task_of_spec(ex, an->node);
		const Flyteidl__Core__VariableMap *outs = t && t->interface ? t->interface->outputs : NULL;
		size_t v;

		n->outputs = cmp_litmap_new(&ex->arena);
		for (v = 0; outs && v < outs->n_variables; v++) {
			Flyteidl__Core__Literal **items = fc_arena_array(&ex->arena, n->nchildren ? n->nchildren : 1,
									 sizeof(*items));

			for (i = 0; i < n->nchildren; i++) {
				struct prop_node *c = &n->children[i];
				Flyteidl__Core__Literal *l = NULL;

				if (c->phase == NP_SUCCEEDED)
					l = cmp_litmap_get(prop_node_outputs(c), outs->variables[v]->key);
				items[i] = l ? l : cmp_lit_none(&ex->arena);
			}
			cmp_litmap_put(&ex->arena, n->outputs, outs->variables[v]->key,
					cmp_lit_collection(&ex->arena, items, n->nchildren));
		}
		prop_save_outputs(n, NULL);
		prop_node_complete(n, NP_SUCCEEDED);
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

const struct prop_node_handler prop_array_node_handler = {
	.name = "array",
	.starts_running = true,
	.step = array_step,
};
