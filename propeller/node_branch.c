/* node_branch.c: branch nodes: conditions over typed literals, the case taken runs as a child node. */
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

static int eval_operand(struct prop_node *n, const Flyteidl__Core__Operand *op, Flyteidl__Core__Literal **out,
			struct fc_err *err)
{
	struct fc_arena *a = &n->wf->ex->arena;
	Flyteidl__Core__Literal *lit;

	switch (op->val_case) {
	case FLYTEIDL__CORE__OPERAND__VAL_VAR:
		*out = cmp_litmap_get(n->inputs, op->var);
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
		    (rc = cmp_lit_compare(l, r, order, &cmp, err)))
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
	const Flyteidl__Core__IfElseBlock *ie = prop_node_spec(n)->branch_node->if_else;
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
				prop_node_fail(n, NP_FAILED, "BadBranch", PLG_ERROR_USER, "the branch has no cases");
				return;
			}
			if (eval_bool(n, ie->case_->condition, &yes, &err)) {
				prop_node_fail(n, NP_FAILED, "BranchEvalFailed", PLG_ERROR_USER, err.msg);
				return;
			}
			if (yes) {
				n->aux = 1;
			}
			for (i = 0; !yes && i < ie->n_other; i++) {
				if (eval_bool(n, ie->other[i]->condition, &yes, &err)) {
					prop_node_fail(n, NP_FAILED, "BranchEvalFailed", PLG_ERROR_USER, err.msg);
					return;
				}
				if (yes)
					n->aux = (int64_t)i + 2;
			}
			if (!yes) {
				if (ie->default_case == FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ELSE_NODE) {
					n->aux = -1;
				} else {
					prop_node_fail(n, NP_FAILED, "NoBranchTaken", PLG_ERROR_USER,
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
		prop_node_init(&n->children[0], n->wf, n, taken, uid.buf);
		fc_buf_release(&uid);
		prop_enqueue(&n->children[0]);
		return;
	}
	if (!prop_phase_terminal(n->children[0].phase))
		return;
	if (n->children[0].phase == NP_SUCCEEDED) {
		n->outputs = prop_node_outputs(&n->children[0]);
		prop_save_outputs(n, NULL);
		prop_node_complete(n, NP_SUCCEEDED);
	} else {
		prop_node_fail(n, n->children[0].phase, n->children[0].error_code ? n->children[0].error_code : "Failed",
			  n->children[0].error_kind,
			  n->children[0].error_msg ? n->children[0].error_msg : "the branch's node failed");
	}
}

/* Approve and signal gates: ask the signal source, again every second while the signal is pending. */

const struct prop_node_handler prop_branch_node_handler = {
	.name = "branch",
	.starts_running = true,
	.step = branch_step,
};
