/* node_sub.c: subworkflow nodes and launch-plan nodes (a launch plan's workflow runs as a child workflow). */
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

/* --- composite nodes --------------------------------------------------------------------------------------- */

static void sub_step(struct prop_node *n)
{
	struct prop_exec *ex = n->wf->ex;

	if (!n->sub) {
		const Flyteidl__Core__CompiledWorkflow *cw =
			prop_find_subwf(ex, prop_node_spec(n)->workflow_node->sub_workflow_ref);
		struct fc_buf prefix = FC_BUF_INIT;

		if (!cw || !cw->template_) {
			prop_node_fail(n, NP_FAILED, "SubWorkflowNotFound", PLG_ERROR_SYSTEM,
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
		if (prop_save_outputs(n, NULL))
			fc_warn("%s: could not save outputs", n->uid);
		prop_node_complete(n, NP_SUCCEEDED);
	} else if (prop_phase_terminal(n->sub->phase)) {
		prop_node_fail(n, n->sub->phase == NP_ABORTED ? NP_ABORTED : NP_FAILED,
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
			prop_node_fail(n, NP_FAILED, "LaunchPlanNotFound", PLG_ERROR_USER,
				  "launch-plan nodes need a launch plan source (flytec run and flytec serve provide one)");
			return;
		}
		if (src->get(src->ctx, prop_node_spec(n)->workflow_node->launchplan_ref, &ex->arena, &c, &defaults,
			     &fixed, &err) ||
		    prop_exec_index_closure(ex, c, &err)) {
			prop_node_fail(n, NP_FAILED, "LaunchPlanNotFound", PLG_ERROR_USER, err.msg);
			return;
		}
		in = cmp_litmap_new(&ex->arena);
		for (i = 0; defaults && i < defaults->n_literals; i++)
			if (!cmp_litmap_get(n->inputs, defaults->literals[i]->key))
				cmp_litmap_put(&ex->arena, in, defaults->literals[i]->key, defaults->literals[i]->value);
		for (i = 0; n->inputs && i < n->inputs->n_literals; i++)
			if (!fixed || !cmp_litmap_get(fixed, n->inputs->literals[i]->key))
				cmp_litmap_put(&ex->arena, in, n->inputs->literals[i]->key, n->inputs->literals[i]->value);
		for (i = 0; fixed && i < fixed->n_literals; i++)
			cmp_litmap_put(&ex->arena, in, fixed->literals[i]->key, fixed->literals[i]->value);
		fc_buf_addf(&prefix, "%s-0-", n->uid);
		n->sub = prop_wf_new(ex, c->primary->template_, prefix.buf, n, in);
		fc_buf_release(&prefix);
		prop_wf_start(n->sub);
		return;
	}
	if (n->sub->phase == NP_SUCCEEDED) {
		n->outputs = n->sub->outputs;
		if (prop_save_outputs(n, NULL))
			fc_warn("%s: could not save outputs", n->uid);
		prop_node_complete(n, NP_SUCCEEDED);
	} else if (prop_phase_terminal(n->sub->phase)) {
		prop_node_fail(n, n->sub->phase == NP_ABORTED ? NP_ABORTED : NP_FAILED,
			  n->sub->error_code ? n->sub->error_code : "LaunchPlanFailed", PLG_ERROR_USER,
			  n->sub->error_msg ? n->sub->error_msg : "the launched workflow failed");
	}
}

const struct prop_node_handler prop_subworkflow_node_handler = {
	.name = "subworkflow",
	.starts_running = true,
	.step = sub_step,
};

const struct prop_node_handler prop_launch_plan_node_handler = {
	.name = "launch plan",
	.starts_running = true,
	.step = launch_plan_step,
};
