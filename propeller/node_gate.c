/* node_gate.c: gate nodes: sleep, approve and signal. */
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

static void signal_gate_step(struct prop_node *n)
{
	const Flyteidl__Core__GateNode *g = prop_node_spec(n)->gate_node;
	struct prop_exec *ex = n->wf->ex;
	const struct prop_signal_source *src = ex->e->cfg.signals;
	bool approve = g->condition_case == FLYTEIDL__CORE__GATE_NODE__CONDITION_APPROVE;
	const char *sid = approve ? g->approve->signal_id : g->signal->signal_id;
	Flyteidl__Core__LiteralType boolean = FLYTEIDL__CORE__LITERAL_TYPE__INIT;
	Flyteidl__Core__Literal *value = NULL;
	struct fc_err err;

	if (!src || !src->get) {
		prop_node_fail(n, NP_FAILED, "GateNeedsSignals", PLG_ERROR_USER,
			  "approve and signal gates need a signal source: run under flytec serve (set it with POST "
			  "/api/v1/signals), or give it to flytec run with --approve ID or --signal ID=VALUE");
		return;
	}
	boolean.type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE;
	boolean.simple = FLYTEIDL__CORE__SIMPLE_TYPE__BOOLEAN;
	if (src->get(src->ctx, ex->project, ex->domain, ex->name, sid, approve ? &boolean : g->signal->type, &ex->arena,
		     &value, &err)) {
		prop_node_fail(n, NP_FAILED, "SignalError", PLG_ERROR_USER, err.msg);
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
			prop_node_fail(n, NP_FAILED, "NotApproved", PLG_ERROR_USER, msg.buf);
			fc_buf_release(&msg);
			return;
		}
		n->outputs = n->inputs ? n->inputs : cmp_litmap_new(&ex->arena);
	} else {
		n->outputs = cmp_litmap_new(&ex->arena);
		cmp_litmap_put(&ex->arena, n->outputs, g->signal->output_variable_name, value);
	}
	prop_node_complete(n, NP_SUCCEEDED);
}

static void gate_step(struct prop_node *n)
{
	const Flyteidl__Core__GateNode *g = prop_node_spec(n)->gate_node;
	int64_t now = prop_now_ns();

	if (g->condition_case == FLYTEIDL__CORE__GATE_NODE__CONDITION_APPROVE ||
	    g->condition_case == FLYTEIDL__CORE__GATE_NODE__CONDITION_SIGNAL) {
		signal_gate_step(n);
		return;
	}
	if (g->condition_case != FLYTEIDL__CORE__GATE_NODE__CONDITION_SLEEP) {
		prop_node_fail(n, NP_FAILED, "NoConditionFound", PLG_ERROR_USER, "the gate has no condition");
		return;
	}
	if (!n->aux) {
		const Google__Protobuf__Duration *d = g->sleep ? g->sleep->duration : NULL;

		n->aux = now + (d ? d->seconds * 1000000000 + d->nanos : 0);
		prop_mark_dirty(n);
	}
	if (now >= n->aux) {
		n->outputs = cmp_litmap_new(&n->wf->ex->arena);
		prop_node_complete(n, NP_SUCCEEDED);
		return;
	}
	prop_set_wake(n, n->aux);
}

const struct prop_node_handler prop_gate_node_handler = {
	.name = "gate",
	.starts_running = true,
	.step = gate_step,
};
