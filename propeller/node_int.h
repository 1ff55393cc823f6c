/*
 * node_int.h: what the node files of the propeller share. node.c holds what every kind needs (bindings, workflow
 * instances, completion, the step and the abort, dispatching to the kind's handler); each kind has its file and
 * one handler (node_task.c, node_sub.c for subworkflows and launch plans, node_branch.c, node_gate.c,
 * node_array.c). Not for other components.
 */
#ifndef PROP_NODE_INT_H
#define PROP_NODE_INT_H

#include "propeller/engine_int.h"

/*
 * A node kind's behaviour, called one way for every kind (the plugin table's shape). The common code resolves a
 * node's inputs and moves it NotYetStarted -> Queued before `step`; completion, failure and the events that go
 * with them are common too (prop_node_complete, prop_node_fail).
 */
struct prop_node_handler {
	const char *name;
	/* The common code moves the node Queued -> Running before the first step (tasks do it themselves when an
	 * attempt starts). */
	bool starts_running;
	/* Drive the node (phase Queued or Running, inputs known): start what it runs, look at how that is going,
	 * complete or fail the node. Called whenever something may have changed for it. */
	void (*step)(struct prop_node *n);
	/* Stop what the node runs itself (a task attempt); child nodes and child workflows are aborted by the
	 * common code. NULL: nothing of its own. */
	void (*abort)(struct prop_node *n);
};

extern const struct prop_node_handler prop_task_node_handler;
extern const struct prop_node_handler prop_subworkflow_node_handler;
extern const struct prop_node_handler prop_launch_plan_node_handler;
extern const struct prop_node_handler prop_branch_node_handler;
extern const struct prop_node_handler prop_gate_node_handler;
extern const struct prop_node_handler prop_array_node_handler;
/* The handler of a node's kind (node.c). */
const struct prop_node_handler *prop_node_handler_of(const struct prop_node *n);

bool prop_phase_terminal(int phase);
int prop_event_phase_of(int np);
void prop_node_set_error(struct prop_node *n, const char *code, int kind, const char *fmt, ...) FC_PRINTF(4, 5);
void prop_node_key(const struct prop_node *n, const char *rest, struct fc_buf *out);
void prop_attempt_key(const struct prop_node *n, uint32_t attempt, const char *file, struct fc_buf *out);
uint32_t prop_cur_attempt(const struct prop_node *n);
void prop_ident_key(const Flyteidl__Core__Identifier *id, struct fc_buf *out);
const Flyteidl__Core__TaskTemplate *prop_find_task(struct prop_exec *ex, const Flyteidl__Core__Identifier *id);
const Flyteidl__Core__CompiledWorkflow *prop_find_subwf(struct prop_exec *ex, const Flyteidl__Core__Identifier *id);
const Flyteidl__Core__TaskTemplate *prop_task_of_spec(struct prop_exec *ex, const Flyteidl__Core__Node *spec);
const Flyteidl__Core__VariableMap *prop_declared_outputs(const struct prop_node *n);
Flyteidl__Core__LiteralMap *prop_node_outputs(struct prop_node *n);
int prop_save_outputs(struct prop_node *n, struct fc_err *err);
int prop_resolve_binding(struct prop_wf *wf, const Flyteidl__Core__BindingData *bd, Flyteidl__Core__Literal **out,
			   struct fc_err *err);
int prop_resolve_bindings(struct prop_wf *wf, Flyteidl__Core__Binding **b, size_t nb,
			    Flyteidl__Core__LiteralMap **out, struct fc_err *err);
void prop_node_apply_row(struct prop_node *n);
void prop_node_init(struct prop_node *n, struct prop_wf *wf, struct prop_node *parent,
		      const Flyteidl__Core__Node *spec, const char *uid);
void prop_wf_abort(struct prop_wf *wf, int final_phase);
void prop_wf_check(struct prop_wf *wf);
void prop_node_complete(struct prop_node *n, int phase);
void prop_node_fail(struct prop_node *n, int phase, const char *code, int kind, const char *msg);
void prop_cache_release(struct prop_node *n);
void prop_node_abort(struct prop_node *n, int final_phase);
void prop_wf_node_settled(struct prop_wf *wf, struct prop_node *n, bool resuming);
void prop_block_downstream(struct prop_wf *wf, struct prop_node *n);

#endif
