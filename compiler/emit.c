/*
 * emit.c: the canonical text rendering (for golden files and reviews) and Graphviz DOT.
 *
 * Text is deterministic: entities sorted by kind then name, maps sorted by key, nodes in template order, every
 * list in a fixed order. It shows what the IDL holds, in a form a person can diff.
 */
#include "compiler/cmp_int.h"
#include "compiler/lit.h"
#include "core/cron.h"
#include "core/duration.h"

#include <stdlib.h>
#include <string.h>

static void ident(struct fc_buf *out, const Flyteidl__Core__Identifier *id)
{
	if (!id) {
		fc_buf_adds(out, "?");
		return;
	}
	fc_buf_addf(out, "%s/%s/%s", id->project, id->domain, id->name);
	if (id->version && *id->version)
		fc_buf_addf(out, "@%s", id->version);
}

static void ind(struct fc_buf *out, int depth)
{
	fc_buf_addchars(out, ' ', (size_t)depth * 2);
}

static void duration(struct fc_buf *out, const Google__Protobuf__Duration *d)
{
	fc_duration_format(d ? d->seconds * 1000000000LL + d->nanos : 0, out);
}

static void string_list(struct fc_buf *out, char **items, size_t n)
{
	size_t i;

	fc_buf_addch(out, '[');
	for (i = 0; i < n; i++) {
		if (i)
			fc_buf_adds(out, ", ");
		fc_buf_add_json_string(out, items[i], strlen(items[i]));
	}
	fc_buf_addch(out, ']');
}

static void vars(struct fc_buf *out, const char *title, const Flyteidl__Core__VariableMap *vm, int depth,
		 const Flyteidl__Core__ParameterMap *params)
{
	size_t i, j;

	if (!vm || !vm->n_variables)
		return;
	ind(out, depth);
	fc_buf_addf(out, "%s:\n", title);
	for (i = 0; i < vm->n_variables; i++) {
		ind(out, depth + 1);
		fc_buf_addf(out, "%s: ", vm->variables[i]->key);
		cmp_type_render(vm->variables[i]->value->type, out);
		for (j = 0; params && j < params->n_parameters; j++) {
			const Flyteidl__Core__Parameter *p = params->parameters[j]->value;

			if (strcmp(params->parameters[j]->key, vm->variables[i]->key))
				continue;
			if (p->behavior_case == FLYTEIDL__CORE__PARAMETER__BEHAVIOR_DEFAULT) {
				fc_buf_adds(out, " = ");
				cmp_lit_render(p->default_, CMP_LIT_SHOW_TYPED, out);
			}
		}
		if (vm->variables[i]->value->description && *vm->variables[i]->value->description)
			fc_buf_addf(out, "  # %s", vm->variables[i]->value->description);
		fc_buf_addch(out, '\n');
	}
}

static void resources(struct fc_buf *out, const Flyteidl__Core__Resources *r, int depth)
{
	static const char *const names[] = {"unknown", "cpu", "gpu", "memory", "storage", "ephemeral_storage"};
	size_t side, i;

	if (!r || (!r->n_requests && !r->n_limits))
		return;
	for (side = 0; side < 2; side++) {
		Flyteidl__Core__Resources__ResourceEntry **e = side ? r->limits : r->requests;
		size_t n = side ? r->n_limits : r->n_requests;

		if (!n)
			continue;
		ind(out, depth);
		fc_buf_adds(out, side ? "limits:" : "requests:");
		for (i = 0; i < n; i++)
			fc_buf_addf(out, " %s=%s", (unsigned)e[i]->name < 6 ? names[e[i]->name] : "?", e[i]->value);
		fc_buf_addch(out, '\n');
	}
}

static void render_task(struct fc_buf *out, const Flyteidl__Core__TaskTemplate *t)
{
	const Flyteidl__Core__TaskMetadata *md = t->metadata;
	size_t i;

	fc_buf_adds(out, "task ");
	ident(out, t->id);
	fc_buf_addf(out, "\n  type: %s\n", t->type);
	if (t->interface) {
		vars(out, "inputs", t->interface->inputs, 1, NULL);
		vars(out, "outputs", t->interface->outputs, 1, NULL);
	}
	if (t->target_case == FLYTEIDL__CORE__TASK_TEMPLATE__TARGET_CONTAINER && t->container) {
		const Flyteidl__Core__Container *c = t->container;

		fc_buf_addf(out, "  container: %s\n", c->image);
		if (c->n_command) {
			fc_buf_adds(out, "    command: ");
			string_list(out, c->command, c->n_command);
			fc_buf_addch(out, '\n');
		}
		if (c->n_args) {
			fc_buf_adds(out, "    args: ");
			string_list(out, c->args, c->n_args);
			fc_buf_addch(out, '\n');
		}
		for (i = 0; i < c->n_env; i++)
			fc_buf_addf(out, "    env: %s=%s\n", c->env[i]->key, c->env[i]->value);
		resources(out, c->resources, 2);
	}
	if (md) {
		if (md->retries && md->retries->retries)
			fc_buf_addf(out, "  retries: %u\n", md->retries->retries);
		if (md->timeout) {
			fc_buf_adds(out, "  timeout: ");
			duration(out, md->timeout);
			fc_buf_addch(out, '\n');
		}
		if (md->discoverable) {
			fc_buf_addf(out, "  cache: version=%s%s", md->discovery_version,
				    md->cache_serializable ? " serializable" : "");
			if (md->n_cache_ignore_input_vars) {
				fc_buf_adds(out, " ignore_inputs=");
				string_list(out, md->cache_ignore_input_vars, md->n_cache_ignore_input_vars);
			}
			fc_buf_addch(out, '\n');
		}
		if (md->interruptible_value_case == FLYTEIDL__CORE__TASK_METADATA__INTERRUPTIBLE_VALUE_INTERRUPTIBLE)
			fc_buf_addf(out, "  interruptible: %s\n", md->interruptible ? "true" : "false");
	}
	for (i = 0; i < t->n_config; i++)
		fc_buf_addf(out, "  config: %s=%s\n", t->config[i]->key, t->config[i]->value);
	if (t->custom) {
		Flyteidl__Core__Scalar sc = FLYTEIDL__CORE__SCALAR__INIT;

		sc.value_case = FLYTEIDL__CORE__SCALAR__VALUE_GENERIC;
		sc.generic = t->custom;
		fc_buf_adds(out, "  custom: ");
		cmp_lit_render_scalar(&sc, CMP_LIT_SHOW_TYPED, out);
		fc_buf_addch(out, '\n');
	}
	fc_buf_addch(out, '\n');
}

static void binding_data(struct fc_buf *out, const Flyteidl__Core__BindingData *bd)
{
	size_t i;

	if (!bd) {
		fc_buf_adds(out, "?");
		return;
	}
	switch (bd->value_case) {
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_PROMISE:
		fc_buf_addf(out, "%s.%s", strcmp(bd->promise->node_id, CMP_START_NODE) ? bd->promise->node_id : "inputs",
			    bd->promise->var);
		break;
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_SCALAR:
		cmp_lit_render_scalar(bd->scalar, CMP_LIT_SHOW_TYPED, out);
		break;
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_COLLECTION:
		fc_buf_addch(out, '[');
		for (i = 0; i < bd->collection->n_bindings; i++) {
			if (i)
				fc_buf_adds(out, ", ");
			binding_data(out, bd->collection->bindings[i]);
		}
		fc_buf_addch(out, ']');
		break;
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_MAP:
		fc_buf_addch(out, '{');
		for (i = 0; i < bd->map->n_bindings; i++)
			fc_buf_addf(out, "%s%s: ", i ? ", " : "", bd->map->bindings[i]->key),
				binding_data(out, bd->map->bindings[i]->value);
		fc_buf_addch(out, '}');
		break;
	default:
		fc_buf_adds(out, "?");
	}
}

static int binding_cmp(const void *a, const void *b)
{
	const Flyteidl__Core__Binding *const *x = a, *const *y = b;

	return strcmp((*x)->var, (*y)->var);
}

static void bindings(struct fc_buf *out, Flyteidl__Core__Binding **list, size_t n, int depth)
{
	Flyteidl__Core__Binding **sorted;
	size_t i;

	if (!n)
		return;
	sorted = fc_xmalloc(n * sizeof(*sorted));
	memcpy(sorted, list, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), binding_cmp);
	for (i = 0; i < n; i++) {
		ind(out, depth);
		fc_buf_addf(out, "%s <- ", sorted[i]->var);
		binding_data(out, sorted[i]->binding);
		fc_buf_addch(out, '\n');
	}
	free(sorted);
}

static const char *op_name(Flyteidl__Core__ComparisonExpression__Operator op)
{
	switch (op) {
	case FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__EQ: return "==";
	case FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__NEQ: return "!=";
	case FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__GT: return ">";
	case FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__GTE: return ">=";
	case FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__LT: return "<";
	case FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__LTE: return "<=";
	default: return "?";
	}
}

static void operand(struct fc_buf *out, const Flyteidl__Core__Operand *op)
{
	Flyteidl__Core__Scalar sc = FLYTEIDL__CORE__SCALAR__INIT;
	const Flyteidl__Core__Scalar *shown = &sc;

	if (!op) {
		fc_buf_adds(out, "?");
		return;
	}
	switch (op->val_case) {
	case FLYTEIDL__CORE__OPERAND__VAL_VAR:
		fc_buf_adds(out, op->var);
		return;
	case FLYTEIDL__CORE__OPERAND__VAL_SCALAR:
		shown = op->scalar;
		break;
	case FLYTEIDL__CORE__OPERAND__VAL_PRIMITIVE:
		sc.value_case = FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
		sc.primitive = op->primitive;
#pragma GCC diagnostic pop
		break;
	default:
		fc_buf_adds(out, "?");
		return;
	}
	cmp_lit_render_scalar(shown, CMP_LIT_SHOW_TYPED, out);
}

static void condition(struct fc_buf *out, const Flyteidl__Core__BooleanExpression *be, unsigned depth)
{
	if (!be || depth > 200) {
		fc_buf_adds(out, "?");
		return;
	}
	if (be->expr_case == FLYTEIDL__CORE__BOOLEAN_EXPRESSION__EXPR_COMPARISON) {
		operand(out, be->comparison->left_value);
		fc_buf_addf(out, " %s ", op_name(be->comparison->operator_));
		operand(out, be->comparison->right_value);
		return;
	}
	if (be->expr_case == FLYTEIDL__CORE__BOOLEAN_EXPRESSION__EXPR_CONJUNCTION) {
		fc_buf_addch(out, '(');
		condition(out, be->conjunction->left_expression, depth + 1);
		fc_buf_adds(out, be->conjunction->operator_ == FLYTEIDL__CORE__CONJUNCTION_EXPRESSION__LOGICAL_OPERATOR__AND
					 ? " and "
					 : " or ");
		condition(out, be->conjunction->right_expression, depth + 1);
		fc_buf_addch(out, ')');
		return;
	}
	fc_buf_adds(out, "?");
}

static const Flyteidl__Core__ConnectionSet__IdList *conn(const Flyteidl__Core__ConnectionSet *cs, const char *id,
							  bool up)
{
	size_t i;

	if (!cs)
		return NULL;
	if (up) {
		for (i = 0; i < cs->n_upstream; i++)
			if (!strcmp(cs->upstream[i]->key, id))
				return cs->upstream[i]->value;
	} else {
		for (i = 0; i < cs->n_downstream; i++)
			if (!strcmp(cs->downstream[i]->key, id))
				return cs->downstream[i]->value;
	}
	return NULL;
}

static void render_node(struct fc_buf *out, const Flyteidl__Core__Node *n, const Flyteidl__Core__ConnectionSet *cs,
			int depth);

static void node_body(struct fc_buf *out, const Flyteidl__Core__Node *n, const Flyteidl__Core__ConnectionSet *cs,
		      int depth)
{
	const Flyteidl__Core__NodeMetadata *md = n->metadata;
	const Flyteidl__Core__ConnectionSet__IdList *l;
	size_t i;

	bindings(out, n->inputs, n->n_inputs, depth);
	if (md) {
		if (md->retries) {
			ind(out, depth);
			fc_buf_addf(out, "retries: %u\n", md->retries->retries);
		}
		if (md->timeout) {
			ind(out, depth);
			fc_buf_adds(out, "timeout: ");
			duration(out, md->timeout);
			fc_buf_addch(out, '\n');
		}
		if (md->interruptible_value_case == FLYTEIDL__CORE__NODE_METADATA__INTERRUPTIBLE_VALUE_INTERRUPTIBLE) {
			ind(out, depth);
			fc_buf_addf(out, "interruptible: %s\n", md->interruptible ? "true" : "false");
		}
		if (md->cacheable_value_case == FLYTEIDL__CORE__NODE_METADATA__CACHEABLE_VALUE_CACHEABLE) {
			ind(out, depth);
			fc_buf_addf(out, "cache: %s", md->cacheable ? "true" : "false");
			if (md->cache_version_value_case == FLYTEIDL__CORE__NODE_METADATA__CACHE_VERSION_VALUE_CACHE_VERSION)
				fc_buf_addf(out, " version=%s", md->cache_version);
			fc_buf_addch(out, '\n');
		}
	}
	if (n->target_case == FLYTEIDL__CORE__NODE__TARGET_TASK_NODE && n->task_node->overrides) {
		resources(out, n->task_node->overrides->resources, depth);
		if (n->task_node->overrides->container_image && *n->task_node->overrides->container_image) {
			ind(out, depth);
			fc_buf_addf(out, "image: %s\n", n->task_node->overrides->container_image);
		}
	}
	for (i = 0; i < n->n_output_aliases; i++) {
		ind(out, depth);
		fc_buf_addf(out, "alias: %s -> %s\n", n->output_aliases[i]->var, n->output_aliases[i]->alias);
	}
	if (n->n_upstream_node_ids) {
		ind(out, depth);
		fc_buf_adds(out, "after: ");
		string_list(out, n->upstream_node_ids, n->n_upstream_node_ids);
		fc_buf_addch(out, '\n');
	}
	if (n->target_case == FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE && n->branch_node->if_else) {
		const Flyteidl__Core__IfElseBlock *ie = n->branch_node->if_else;

		if (ie->case_) {
			ind(out, depth);
			fc_buf_adds(out, "if ");
			condition(out, ie->case_->condition, 0);
			fc_buf_adds(out, ":\n");
			render_node(out, ie->case_->then_node, cs, depth + 1);
		}
		for (i = 0; i < ie->n_other; i++) {
			ind(out, depth);
			fc_buf_adds(out, "elif ");
			condition(out, ie->other[i]->condition, 0);
			fc_buf_adds(out, ":\n");
			render_node(out, ie->other[i]->then_node, cs, depth + 1);
		}
		if (ie->default_case == FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ELSE_NODE) {
			ind(out, depth);
			fc_buf_adds(out, "else:\n");
			render_node(out, ie->else_node, cs, depth + 1);
		} else if (ie->default_case == FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ERROR) {
			ind(out, depth);
			fc_buf_adds(out, "else fail: ");
			fc_buf_add_json_string(out, ie->error->message, strlen(ie->error->message));
			fc_buf_addch(out, '\n');
		}
	}
	if (n->target_case == FLYTEIDL__CORE__NODE__TARGET_ARRAY_NODE) {
		const Flyteidl__Core__ArrayNode *an = n->array_node;

		ind(out, depth);
		fc_buf_adds(out, "map:");
		if (an->parallelism_option_case == FLYTEIDL__CORE__ARRAY_NODE__PARALLELISM_OPTION_PARALLELISM)
			fc_buf_addf(out, " parallelism=%u", an->parallelism);
		if (an->success_criteria_case == FLYTEIDL__CORE__ARRAY_NODE__SUCCESS_CRITERIA_MIN_SUCCESSES)
			fc_buf_addf(out, " min_successes=%u", an->min_successes);
		if (an->success_criteria_case == FLYTEIDL__CORE__ARRAY_NODE__SUCCESS_CRITERIA_MIN_SUCCESS_RATIO)
			fc_buf_addf(out, " min_success_ratio=%g", (double)an->min_success_ratio);
		if (an->n_bound_inputs) {
			fc_buf_adds(out, " broadcast=");
			string_list(out, an->bound_inputs, an->n_bound_inputs);
		}
		fc_buf_addch(out, '\n');
		render_node(out, an->node, cs, depth + 1);
	}
	if ((l = conn(cs, n->id, true))) {
		ind(out, depth);
		fc_buf_adds(out, "upstream: ");
		string_list(out, l->ids, l->n_ids);
		fc_buf_addch(out, '\n');
	}
	if ((l = conn(cs, n->id, false))) {
		ind(out, depth);
		fc_buf_adds(out, "downstream: ");
		string_list(out, l->ids, l->n_ids);
		fc_buf_addch(out, '\n');
	}
}

static void render_node(struct fc_buf *out, const Flyteidl__Core__Node *n, const Flyteidl__Core__ConnectionSet *cs,
			int depth)
{
	if (!n)
		return;
	ind(out, depth);
	fc_buf_addf(out, "node %s", n->id);
	switch (n->target_case) {
	case FLYTEIDL__CORE__NODE__TARGET_TASK_NODE:
		fc_buf_adds(out, ": task ");
		ident(out, n->task_node->reference_id);
		break;
	case FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE:
		if (n->workflow_node->reference_case == FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_LAUNCHPLAN_REF) {
			fc_buf_adds(out, ": launch_plan ");
			ident(out, n->workflow_node->launchplan_ref);
		} else {
			fc_buf_adds(out, ": workflow ");
			ident(out, n->workflow_node->sub_workflow_ref);
		}
		break;
	case FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE:
		fc_buf_adds(out, ": branch");
		break;
	case FLYTEIDL__CORE__NODE__TARGET_GATE_NODE: {
		const Flyteidl__Core__GateNode *g = n->gate_node;

		if (g->condition_case == FLYTEIDL__CORE__GATE_NODE__CONDITION_SLEEP) {
			fc_buf_adds(out, ": gate sleep ");
			duration(out, g->sleep->duration);
		} else if (g->condition_case == FLYTEIDL__CORE__GATE_NODE__CONDITION_APPROVE) {
			fc_buf_addf(out, ": gate approve %s", g->approve->signal_id);
		} else if (g->condition_case == FLYTEIDL__CORE__GATE_NODE__CONDITION_SIGNAL) {
			fc_buf_addf(out, ": gate signal %s -> %s: ", g->signal->signal_id, g->signal->output_variable_name);
			cmp_type_render(g->signal->type, out);
		}
		break;
	}
	case FLYTEIDL__CORE__NODE__TARGET_ARRAY_NODE:
		fc_buf_adds(out, ": map");
		break;
	default:
		break;
	}
	fc_buf_addch(out, '\n');
	node_body(out, n, cs, depth + 1);
}

static void render_workflow_body(struct fc_buf *out, const Flyteidl__Core__CompiledWorkflow *cw, int depth)
{
	const Flyteidl__Core__WorkflowTemplate *t = cw->template_;
	size_t i;

	if (t->interface) {
		vars(out, "inputs", t->interface->inputs, depth, NULL);
		vars(out, "outputs", t->interface->outputs, depth, NULL);
	}
	if (t->metadata && t->metadata->on_failure ==
				   FLYTEIDL__CORE__WORKFLOW_METADATA__ON_FAILURE_POLICY__FAIL_AFTER_EXECUTABLE_NODES_COMPLETE) {
		ind(out, depth);
		fc_buf_adds(out, "failure_policy: fail-after-executable-nodes-complete\n");
	}
	if (t->metadata_defaults && t->metadata_defaults->interruptible) {
		ind(out, depth);
		fc_buf_adds(out, "interruptible: true\n");
	}
	for (i = 0; i < t->n_nodes; i++)
		render_node(out, t->nodes[i], cw->connections, depth);
	if (t->failure_node) {
		ind(out, depth);
		fc_buf_adds(out, "on_failure:\n");
		render_node(out, t->failure_node, cw->connections, depth + 1);
	}
}

static void render_closure(struct fc_buf *out, const Flyteidl__Core__CompiledWorkflowClosure *c)
{
	size_t i;

	fc_buf_adds(out, "workflow ");
	ident(out, c->primary->template_->id);
	fc_buf_addch(out, '\n');
	render_workflow_body(out, c->primary, 1);
	for (i = 0; i < c->n_sub_workflows; i++) {
		fc_buf_adds(out, "  subworkflow ");
		ident(out, c->sub_workflows[i]->template_->id);
		fc_buf_adds(out, "\n");
	}
	for (i = 0; i < c->n_tasks; i++) {
		fc_buf_adds(out, "  uses task ");
		ident(out, c->tasks[i]->template_->id);
		fc_buf_addch(out, '\n');
	}
	for (i = 0; i < c->n_launch_plans; i++) {
		fc_buf_adds(out, "  uses launch_plan ");
		ident(out, c->launch_plans[i]->template_->id);
		fc_buf_addch(out, '\n');
	}
	fc_buf_addch(out, '\n');
}

static void render_launch_plan(struct fc_buf *out, const struct cmp_launch_plan_result *r)
{
	static const char *const catchups[] = {"latest", "all", "none"};
	static const char *const concs[] = {"allow", "skip", "replace", "buffer_one", "buffer_all", "cancel_other"};
	const Flyteidl__Admin__LaunchPlanSpec *spec = r->launch_plan->spec;
	size_t i;

	fc_buf_adds(out, "launch_plan ");
	ident(out, r->launch_plan->id);
	fc_buf_addf(out, "%s\n  workflow: ", r->implicit ? " (default)" : "");
	ident(out, spec->workflow_id);
	fc_buf_addch(out, '\n');
	if (r->active)
		fc_buf_adds(out, "  active: true\n");
	if (spec->default_inputs && spec->default_inputs->n_parameters) {
		fc_buf_adds(out, "  inputs:\n");
		for (i = 0; i < spec->default_inputs->n_parameters; i++) {
			const Flyteidl__Core__Parameter *p = spec->default_inputs->parameters[i]->value;

			fc_buf_addf(out, "    %s: ", spec->default_inputs->parameters[i]->key);
			cmp_type_render(p->var ? p->var->type : NULL, out);
			if (p->behavior_case == FLYTEIDL__CORE__PARAMETER__BEHAVIOR_DEFAULT) {
				fc_buf_adds(out, " = ");
				cmp_lit_render(p->default_, CMP_LIT_SHOW_TYPED, out);
			} else {
				fc_buf_adds(out, " (required)");
			}
			fc_buf_addch(out, '\n');
		}
	}
	if (spec->fixed_inputs && spec->fixed_inputs->n_literals) {
		fc_buf_adds(out, "  fixed_inputs:\n");
		for (i = 0; i < spec->fixed_inputs->n_literals; i++) {
			fc_buf_addf(out, "    %s = ", spec->fixed_inputs->literals[i]->key);
			cmp_lit_render(spec->fixed_inputs->literals[i]->value, CMP_LIT_SHOW_TYPED, out);
			fc_buf_addch(out, '\n');
		}
	}
	if (spec->entity_metadata && spec->entity_metadata->schedule) {
		const Flyteidl__Admin__Schedule *s = spec->entity_metadata->schedule;

		fc_buf_adds(out, "  schedule: ");
		if (s->schedule_expression_case == FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_CRON_SCHEDULE)
			fc_buf_addf(out, "cron \"%s\"", s->cron_schedule->schedule);
		else if (s->schedule_expression_case == FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_RATE)
			fc_buf_addf(out, "every %u %s%s", s->rate->value,
				    s->rate->unit == FLYTEIDL__ADMIN__FIXED_RATE_UNIT__DAY    ? "day"
				    : s->rate->unit == FLYTEIDL__ADMIN__FIXED_RATE_UNIT__HOUR ? "hour"
											      : "minute",
				    s->rate->value == 1 ? "" : "s");
		if (s->kickoff_time_input_arg && *s->kickoff_time_input_arg)
			fc_buf_addf(out, " kickoff_input=%s", s->kickoff_time_input_arg);
		fc_buf_addf(out, "\n  catch_up: %s", catchups[r->policy.catchup]);
		if (r->policy.max_catchup)
			fc_buf_addf(out, " max=%u", r->policy.max_catchup);
		if (r->policy.catchup_window_seconds) {
			fc_buf_adds(out, " window=");
			fc_duration_format(r->policy.catchup_window_seconds * 1000000000LL, out);
		}
		fc_buf_addf(out, "\n  concurrency: %s", concs[r->policy.concurrency]);
		if (r->policy.max_buffered)
			fc_buf_addf(out, " max_buffered=%u", r->policy.max_buffered);
		if (r->policy.pause_on_failure)
			fc_buf_addf(out, " pause_on_failure=%u", r->policy.pause_on_failure);
		fc_buf_addch(out, '\n');
		if (r->policy.dst_repeat || r->policy.dst_skip)
			fc_buf_addf(out, "  dst: repeat=%s skip=%s\n",
				    fc_cron_dst_repeat_name((enum fc_cron_dst_repeat)r->policy.dst_repeat),
				    fc_cron_dst_skip_name((enum fc_cron_dst_skip)r->policy.dst_skip));
		if (r->policy.jitter_ms) {
			fc_buf_adds(out, "  jitter: ");
			fc_duration_format(r->policy.jitter_ms * 1000000LL, out);
			fc_buf_addch(out, '\n');
		}
	}
	if (spec->max_parallelism)
		fc_buf_addf(out, "  max_parallelism: %d\n", spec->max_parallelism);
	fc_buf_addch(out, '\n');
}

static int by_name_task(const void *a, const void *b)
{
	return strcmp(((const struct cmp_task_result *)a)->name, ((const struct cmp_task_result *)b)->name);
}

static int by_name_wf(const void *a, const void *b)
{
	return strcmp(((const struct cmp_workflow_result *)a)->name, ((const struct cmp_workflow_result *)b)->name);
}

static int by_name_lp(const void *a, const void *b)
{
	return strcmp(((const struct cmp_launch_plan_result *)a)->name, ((const struct cmp_launch_plan_result *)b)->name);
}

void cmp_render_text(struct cmp_session *s, struct fc_buf *out)
{
	size_t i;

	qsort(s->task_results, s->ntask_results, sizeof(*s->task_results), by_name_task);
	qsort(s->workflow_results, s->nworkflow_results, sizeof(*s->workflow_results), by_name_wf);
	qsort(s->lp_results, s->nlp_results, sizeof(*s->lp_results), by_name_lp);
	for (i = 0; i < s->ntask_results; i++)
		render_task(out, s->task_results[i].compiled->template_);
	for (i = 0; i < s->nworkflow_results; i++)
		render_closure(out, s->workflow_results[i].closure);
	for (i = 0; i < s->nlp_results; i++)
		render_launch_plan(out, &s->lp_results[i]);
}

/* --- DOT --------------------------------------------------------------------------------------------------- */
static void dot_id(struct fc_buf *out, const char *prefix, const char *id)
{
	fc_buf_addch(out, '"');
	fc_buf_adds(out, prefix);
	for (; *id; id++) {
		if (*id == '"' || *id == '\\')
			fc_buf_addch(out, '\\');
		fc_buf_addch(out, *id);
	}
	fc_buf_addch(out, '"');
}

static const char *node_label(const Flyteidl__Core__Node *n, struct fc_arena *a)
{
	switch (n->target_case) {
	case FLYTEIDL__CORE__NODE__TARGET_TASK_NODE:
		return fc_arena_printf(a, "%s\\n(task %s)", n->id, n->task_node->reference_id->name);
	case FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE:
		return fc_arena_printf(a, "%s\\n(%s)", n->id,
				       n->workflow_node->reference_case == FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_LAUNCHPLAN_REF
					       ? "launch plan"
					       : "subworkflow");
	case FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE:
		return fc_arena_printf(a, "%s\\n(branch)", n->id);
	case FLYTEIDL__CORE__NODE__TARGET_GATE_NODE:
		return fc_arena_printf(a, "%s\\n(gate)", n->id);
	case FLYTEIDL__CORE__NODE__TARGET_ARRAY_NODE:
		return fc_arena_printf(a, "%s\\n(map)", n->id);
	default:
		return n->id;
	}
}

void cmp_render_dot(struct cmp_session *s, struct fc_buf *out)
{
	size_t i, j, k;

	qsort(s->workflow_results, s->nworkflow_results, sizeof(*s->workflow_results), by_name_wf);
	fc_buf_adds(out, "digraph flytec {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n");
	for (i = 0; i < s->nworkflow_results; i++) {
		const Flyteidl__Core__CompiledWorkflow *cw = s->workflow_results[i].closure->primary;
		const char *prefix = fc_arena_printf(&s->arena, "%s/", s->workflow_results[i].name);

		fc_buf_addf(out, "  subgraph \"cluster_%s\" {\n    label=\"%s\";\n", s->workflow_results[i].name,
			    s->workflow_results[i].name);
		for (j = 0; j < cw->template_->n_nodes; j++) {
			const Flyteidl__Core__Node *n = cw->template_->nodes[j];
			bool terminal = !strcmp(n->id, CMP_START_NODE) || !strcmp(n->id, CMP_END_NODE);

			fc_buf_adds(out, "    ");
			dot_id(out, prefix, n->id);
			fc_buf_addf(out, " [label=\"%s\"%s];\n", terminal ? n->id : node_label(n, &s->arena),
				    terminal ? ", shape=ellipse" : n->target_case == FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE
									 ? ", shape=diamond"
									 : "");
		}
		for (j = 0; j < cw->connections->n_downstream; j++) {
			const Flyteidl__Core__ConnectionSet__DownstreamEntry *e = cw->connections->downstream[j];

			for (k = 0; k < e->value->n_ids; k++) {
				fc_buf_adds(out, "    ");
				dot_id(out, prefix, e->key);
				fc_buf_adds(out, " -> ");
				dot_id(out, prefix, e->value->ids[k]);
				fc_buf_adds(out, ";\n");
			}
		}
		fc_buf_adds(out, "  }\n");
	}
	fc_buf_adds(out, "}\n");
}
