/* test_prop_engine.c: scenarios of the propeller engine over closures built in C (test_prop_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_prop_fixture.h"

#include "plugins/launcher.h"

#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#define SUCCEEDED FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDED
#define FAILED FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED
#define ABORTED FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTED

struct t {
	struct fx fx;
	char *dir;
	struct prop_memory_sink *sink;
	struct prop_engine *e;
	char path[512];
};

static int setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));

	fx_init(&t->fx);
	t->dir = fx_tmpdir();
	t->sink = prop_memory_sink_new();
	t->e = fx_engine(t->dir, &t->sink->base);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	prop_engine_free(t->e);
	prop_event_sink_free(&t->sink->base);
	fx_rmrf(t->dir);
	free(t->dir);
	fx_release(&t->fx);
	free(t);
	return 0;
}

/* A file under the test's directory. */
static const char *tpath(struct t *t, const char *name)
{
	snprintf(t->path, sizeof(t->path), "%s/%s", t->dir, name);
	return t->path;
}

static const char *sh_argv_buf[8][4];
static const char *const *sh(int slot, struct t *t, const char *script)
{
	sh_argv_buf[slot][0] = "/bin/sh";
	sh_argv_buf[slot][1] = "-c";
	sh_argv_buf[slot][2] = fc_arena_strdup(&t->fx.a, script);
	sh_argv_buf[slot][3] = NULL;
	return sh_argv_buf[slot];
}

/* Data flows between container tasks through typed output files and {{.inputs.x}} templating. */
static void test_chain_with_data(void **state)
{
	struct t *t = *state;
	struct fx *fx = &t->fx;
	Flyteidl__Core__TaskTemplate *add, *dbl;
	Flyteidl__Core__Node *n0, *n1;
	Flyteidl__Core__LiteralMap *in = cmp_litmap_new(&fx->a), *out = NULL;

	add = fx_task(fx, "add", "raw-container", "a:int,b:int", "sum:int",
		      sh(0, t, "echo $(( {{.inputs.a}} + {{ .Inputs.b }} )) > $FLYTE_OUTPUT_DIR/sum"));
	dbl = fx_task(fx, "dbl", "container", "x:int", "y:int,msg:str",
		      sh(1, t, "echo $(( {{.inputs.x}} * 2 )) > {{.outputDir}}/y; printf 'hi there\\n' > {{.outputDir}}/msg; echo doubled; echo note >&2"));
	n0 = fx_task_node(fx, "n0", add);
	fx_bind(fx, n0, "a", fx_bd_promise(fx, "start-node", "a"));
	fx_bind(fx, n0, "b", fx_bd_lit(fx, cmp_lit_int(&fx->a, 5)));
	n1 = fx_task_node(fx, "n1", dbl);
	fx_bind(fx, n1, "x", fx_bd_promise(fx, "n0", "sum"));
	fx_wf_output(fx, fx->wf, "result", fx_bd_promise(fx, "n1", "y"));
	fx_wf_output(fx, fx->wf, "msg", fx_bd_promise(fx, "n1", "msg"));
	cmp_litmap_put(&fx->a, in, "a", cmp_lit_int(&fx->a, 16));

	assert_int_equal(fx_run_exec(fx, t->e, "chain", in, 0, &out, NULL), SUCCEEDED);
	assert_int_equal(fx_int(out, "result"), 42);
	assert_string_equal(fx_str(out, "msg"), "hi there");
	/* Flyte's layout. */
	assert_int_equal(access(tpath(t, "p-d-chain/n0/data/inputs.pb"), F_OK), 0);
	assert_int_equal(access(tpath(t, "p-d-chain/n1/data/0/outputs.pb"), F_OK), 0);
	assert_int_equal(access(tpath(t, "p-d-chain/end-node/data/0/outputs.pb"), F_OK), 0);
	/* The logs are made by the task's first byte of output, beside its outputs; n0 wrote none. */
	assert_int_equal(fx_count_lines(tpath(t, "p-d-chain/n1/data/0/stdout.log"), "doubled"), 1);
	assert_int_equal(fx_count_lines(tpath(t, "p-d-chain/n1/data/0/stderr.log"), "note"), 1);
	assert_int_not_equal(access(tpath(t, "p-d-chain/n0/data/0/stdout.log"), F_OK), 0);
	{
		struct prop_log_span span;
		struct fc_err err;

		assert_int_equal(prop_attempt_log(t->dir, "p", "d", "chain", "n1", 0, "stdout", &span, &err), 0);
		assert_string_equal(span.path, tpath(t, "p-d-chain/n1/data/0/stdout.log"));
		assert_int_equal(span.offset, 0);
		assert_int_equal(span.length, strlen("doubled\n"));
		free(span.path);
		assert_int_equal(prop_attempt_log(t->dir, "p", "d", "chain", "n0", 0, "stderr", &span, &err), 0);
		assert_int_equal(span.length, 0);
		free(span.path);
		assert_int_equal(prop_attempt_log(t->dir, "p", "d", "chain", "../x", 0, "stdout", &span, &err), FC_EINVAL);
		assert_int_equal(prop_attempt_log(t->dir, "p", "d", "chain", "n0", 0, "exit", &span, &err), FC_EINVAL);
	}
	/* Events were delivered, first and last being the workflow's. */
	assert_true(t->sink->n >= 8);
	assert_int_equal(t->sink->events[0].kind, PROP_EVENT_WORKFLOW);
	assert_int_equal(t->sink->events[t->sink->n - 1].kind, PROP_EVENT_WORKFLOW);
	{
		size_t i;

		for (i = 0; i < t->sink->n; i++)
			assert_int_equal(t->sink->events[i].seq, i + 1);
	}
}

/* echo copies inputs to outputs; sleep waits without blocking the loop. */
static void test_echo_and_sleep(void **state)
{
	struct t *t = *state;
	struct fx *fx = &t->fx;
	Flyteidl__Core__TaskTemplate *echo, *sl;
	Flyteidl__Core__Node *n0, *n1;
	Flyteidl__Core__LiteralMap *out = NULL;
	struct timespec a, b;

	echo = fx_task(fx, "echo", "echo", "s:str", "s:str", NULL);
	sl = fx_task(fx, "sleep", "sleep", "duration:str", "", NULL);
	n0 = fx_task_node(fx, "n0", echo);
	fx_bind(fx, n0, "s", fx_bd_lit(fx, cmp_lit_str(&fx->a, "hello")));
	n1 = fx_task_node(fx, "n1", sl);
	fx_bind(fx, n1, "duration", fx_bd_lit(fx, cmp_lit_str(&fx->a, "300ms")));
	fx_wf_output(fx, fx->wf, "s", fx_bd_promise(fx, "n0", "s"));
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(fx_run_exec(fx, t->e, "echo", NULL, 0, &out, NULL), SUCCEEDED);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_string_equal(fx_str(out, "s"), "hello");
	assert_true((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 >= 290);
}

/* A task failing twice then succeeding uses its retries; each attempt has its records in the execution's attempt
 * journal, and a task that declares nothing gets no directory. */
static void test_retries(void **state)
{
	struct t *t = *state;
	struct fx *fx = &t->fx;
	Flyteidl__Core__TaskTemplate *flaky;
	struct fc_buf script = FC_BUF_INIT;

	fc_buf_addf(&script, "echo x >> %s/count; [ $(wc -l < %s/count) -ge 3 ]", t->dir, t->dir);
	flaky = fx_task(fx, "flaky", "container", "", "", sh(0, t, script.buf));
	fx_task_retries(fx, flaky, 2);
	fx_task_node(fx, "n0", flaky);
	assert_int_equal(fx_run_exec(fx, t->e, "retry", NULL, 0, NULL, NULL), SUCCEEDED);
	assert_int_equal(fx_count_lines(tpath(t, "count"), "x"), 3);
	fc_buf_reset(&script);
	assert_int_equal(fc_buf_read_file(&script, tpath(t, "p-d-retry/attempts.log"), 1 << 20, NULL), 0);
	assert_non_null(strstr(script.buf, "E n0/0 exit 1\n"));
	assert_non_null(strstr(script.buf, "E n0/1 exit 1\n"));
	assert_non_null(strstr(script.buf, "E n0/2 exit 0\n"));
	assert_int_not_equal(access(tpath(t, "p-d-retry/n0/data/2/sandbox"), F_OK), 0);
	fc_buf_release(&script);
}

/* Out of retries: the node and the workflow fail with the task's error. */
static void test_retries_exhausted(void **state)
{
	struct t *t = *state;
	struct fx *fx = &t->fx;
	Flyteidl__Core__TaskTemplate *bad;
	struct fc_buf script = FC_BUF_INIT;
	char *error = NULL;

	fc_buf_addf(&script, "echo x >> %s/count; echo boom >&2; exit 3", t->dir);
	bad = fx_task(fx, "bad", "container", "", "", sh(0, t, script.buf));
	fx_task_retries(fx, bad, 1);
	fx_task_node(fx, "n0", bad);
	assert_int_equal(fx_run_exec(fx, t->e, "fail", NULL, 0, NULL, &error), FAILED);
	assert_int_equal(fx_count_lines(tpath(t, "count"), "x"), 2);
	assert_non_null(error);
	assert_non_null(strstr(error, "exit status 3"));
	assert_non_null(strstr(error, "boom"));
	free(error);
	fc_buf_release(&script);
}

/* A task running past its timeout is killed (its whole process group) and retried, then times out. */
static void test_timeout(void **state)
{
	struct t *t = *state;
	struct fx *fx = &t->fx;
	Flyteidl__Core__TaskTemplate *slow;
	struct fc_buf script = FC_BUF_INIT;
	char *error = NULL;
	struct timespec a, b;

	fc_buf_addf(&script, "echo start >> %s/log; sleep 30; echo end >> %s/log", t->dir, t->dir);
	slow = fx_task(fx, "slow", "container", "", "", sh(0, t, script.buf));
	fx_task_timeout(fx, slow, 0.3);
	fx_task_retries(fx, slow, 1);
	fx_task_node(fx, "n0", slow);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(fx_run_exec(fx, t->e, "timeout", NULL, 0, NULL, &error), FAILED);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true(b.tv_sec - a.tv_sec < 10);
	assert_int_equal(fx_count_lines(tpath(t, "log"), "start"), 2);
	assert_int_equal(fx_count_lines(tpath(t, "log"), "end"), 0);
	assert_non_null(strstr(error, "timeout"));
	free(error);
	fc_buf_release(&script);
}

static Flyteidl__Core__TaskTemplate *touch_task(struct t *t, const char *name, int slot, const char *extra)
{
	struct fc_buf script = FC_BUF_INIT;
	Flyteidl__Core__TaskTemplate *task;

	fc_buf_addf(&script, "%s echo $FLYTE_INTERNAL_NODE_ID >> %s/ran", extra ? extra : "", t->dir);
	task = fx_task(&t->fx, name, "container", "", "", sh(slot, t, script.buf));
	fc_buf_release(&script);
	return task;
}

/* FAIL_IMMEDIATELY: a failure stops the rest; FAIL_AFTER_EXECUTABLE_NODES_COMPLETE lets independent nodes run. */
static void run_policy(struct t *t, bool after_complete)
{
	struct fx *fx = &t->fx;
	Flyteidl__Core__TaskTemplate *bad, *slow, *ok;
	Flyteidl__Core__Node *n;

	bad = fx_task(fx, "bad", "container", "", "", sh(0, t, "exit 1"));
	slow = touch_task(t, "slow", 1, "sleep 0.5;");
	ok = touch_task(t, "ok", 2, NULL);
	fx_task_node(fx, "bad", bad);
	fx_task_node(fx, "slow", slow);
	n = fx_task_node(fx, "after-slow", ok);
	fx_upstream(fx, n, "slow");
	n = fx_task_node(fx, "after-bad", ok);
	fx_upstream(fx, n, "bad");
	if (after_complete)
		fx->wf->metadata->on_failure =
			FLYTEIDL__CORE__WORKFLOW_METADATA__ON_FAILURE_POLICY__FAIL_AFTER_EXECUTABLE_NODES_COMPLETE;
	assert_int_equal(fx_run_exec(fx, t->e, "policy", NULL, 0, NULL, NULL), FAILED);
	assert_int_equal(fx_count_lines(tpath(t, "ran"), "after-bad"), 0);
	assert_int_equal(fx_count_lines(tpath(t, "ran"), "slow"), after_complete ? 1 : 0);
	assert_int_equal(fx_count_lines(tpath(t, "ran"), "after-slow"), after_complete ? 1 : 0);
}

static void test_fail_immediately(void **state)
{
	run_policy(*state, false);
}

static void test_fail_after_executable_nodes(void **state)
{
	run_policy(*state, true);
}

/* The failure node runs when the workflow fails, and the workflow still fails. */
static void test_failure_node(void **state)
{
	struct t *t = *state;
	struct fx *fx = &t->fx;
	Flyteidl__Core__TaskTemplate *bad, *cleanup;

	bad = fx_task(fx, "bad", "container", "", "", sh(0, t, "exit 1"));
	cleanup = touch_task(t, "cleanup", 1, NULL);
	fx_task_node(fx, "n0", bad);
	fx->wf->failure_node = fx_task_node_in(fx, NULL, "fn", cleanup);
	assert_int_equal(fx_run_exec(fx, t->e, "fnode", NULL, 0, NULL, NULL), FAILED);
	assert_int_equal(fx_count_lines(tpath(t, "ran"), "fn"), 1);
}

/* No failure: the failure node does not run. */
static void test_failure_node_not_run_on_success(void **state)
{
	struct t *t = *state;
	struct fx *fx = &t->fx;
	Flyteidl__Core__TaskTemplate *cleanup = touch_task(t, "cleanup", 1, NULL);

	fx_task_node(fx, "n0", touch_task(t, "fine", 0, NULL));
	fx->wf->failure_node = fx_task_node_in(fx, NULL, "fn", cleanup);
	assert_int_equal(fx_run_exec(fx, t->e, "fnode-ok", NULL, 0, NULL, NULL), SUCCEEDED);
	assert_int_equal(fx_count_lines(tpath(t, "ran"), "fn"), 0);
	assert_int_equal(fx_count_lines(tpath(t, "ran"), "n0"), 1);
}

static Flyteidl__Core__BooleanExpression *fx_cmp(struct fx *fx, const char *var,
						 Flyteidl__Core__ComparisonExpression__Operator op, int64_t v)
{
	Flyteidl__Core__BooleanExpression *be = fc_arena_alloc(&fx->a, sizeof(*be));
	Flyteidl__Core__ComparisonExpression *c = fc_arena_alloc(&fx->a, sizeof(*c));
	Flyteidl__Core__Operand *l = fc_arena_alloc(&fx->a, sizeof(*l)), *r = fc_arena_alloc(&fx->a, sizeof(*r));

	flyteidl__core__boolean_expression__init(be);
	flyteidl__core__comparison_expression__init(c);
	flyteidl__core__operand__init(l);
	flyteidl__core__operand__init(r);
	l->val_case = FLYTEIDL__CORE__OPERAND__VAL_VAR;
	l->var = fc_arena_strdup(&fx->a, var);
	r->val_case = FLYTEIDL__CORE__OPERAND__VAL_SCALAR;
	r->scalar = cmp_lit_int(&fx->a, v)->scalar;
	c->operator_ = op;
	c->left_value = l;
	c->right_value = r;
	be->expr_case = FLYTEIDL__CORE__BOOLEAN_EXPRESSION__EXPR_COMPARISON;
	be->comparison = c;
	return be;
}

/* Branches: the first true case runs, its outputs become the branch's; others do not run. */
static void test_branch(void **state)
{
	struct t *t = *state;
	struct fx *fx = &t->fx;
	Flyteidl__Core__TaskTemplate *echo = fx_task(fx, "echo", "echo", "s:str", "s:str", NULL);
	Flyteidl__Core__Node *br, *small, *big, *other;
	Flyteidl__Core__BranchNode *bn = fc_arena_alloc(&fx->a, sizeof(*bn));
	Flyteidl__Core__IfElseBlock *ie = fc_arena_alloc(&fx->a, sizeof(*ie));
	Flyteidl__Core__IfBlock *c1 = fc_arena_alloc(&fx->a, sizeof(*c1)), *c2 = fc_arena_alloc(&fx->a, sizeof(*c2));
	Flyteidl__Core__LiteralMap *in = cmp_litmap_new(&fx->a), *out = NULL;

	flyteidl__core__branch_node__init(bn);
	flyteidl__core__if_else_block__init(ie);
	flyteidl__core__if_block__init(c1);
	flyteidl__core__if_block__init(c2);
	small = fx_task_node_in(fx, NULL, "small", echo);
	fx_bind(fx, small, "s", fx_bd_lit(fx, cmp_lit_str(&fx->a, "small")));
	big = fx_task_node_in(fx, NULL, "big", echo);
	fx_bind(fx, big, "s", fx_bd_lit(fx, cmp_lit_str(&fx->a, "big")));
	other = fx_task_node_in(fx, NULL, "other", echo);
	fx_bind(fx, other, "s", fx_bd_lit(fx, cmp_lit_str(&fx->a, "other")));
	c1->condition = fx_cmp(fx, "x", FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__LT, 10);
	c1->then_node = small;
	c2->condition = fx_cmp(fx, "x", FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__GTE, 100);
	c2->then_node = big;
	ie->case_ = c1;
	ie->n_other = 1;
	ie->other = fc_arena_memdup(&fx->a, &c2, sizeof(c2));
	ie->default_case = FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ELSE_NODE;
	ie->else_node = other;
	bn->if_else = ie;
	br = fx_node_in(fx, fx->wf, "br");
	br->target_case = FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE;
	br->branch_node = bn;
	fx_bind(fx, br, "x", fx_bd_promise(fx, "start-node", "x"));
	fx_wf_output(fx, fx->wf, "s", fx_bd_promise(fx, "br", "s"));

	cmp_litmap_put(&fx->a, in, "x", cmp_lit_int(&fx->a, 150));
	assert_int_equal(fx_run_exec(fx, t->e, "br-big", in, 0, &out, NULL), SUCCEEDED);
	assert_string_equal(fx_str(out, "s"), "big");
	cmp_litmap_put(&fx->a, in, "x", cmp_lit_int(&fx->a, 3));
	assert_int_equal(fx_run_exec(fx, t->e, "br-small", in, 0, &out, NULL), SUCCEEDED);
	assert_string_equal(fx_str(out, "s"), "small");
	cmp_litmap_put(&fx->a, in, "x", cmp_lit_int(&fx->a, 50));
	assert_int_equal(fx_run_exec(fx, t->e, "br-else", in, 0, &out, NULL), SUCCEEDED);
	assert_string_equal(fx_str(out, "s"), "other");
	/* Without an else, no case taken is an error. */
	ie->default_case = FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT__NOT_SET;
	assert_int_equal(fx_run_exec(fx, t->e, "br-none", in, 0, &out, NULL), FAILED);
}

/* A subworkflow runs its own nodes with its own inputs; its outputs are the node's. */
static void test_subworkflow(void **state)
{
	struct t *t = *state;
	struct fx *fx = &t->fx;
	Flyteidl__Core__TaskTemplate *inc = fx_task(fx, "inc", "container", "x:int", "y:int",
						    sh(0, t, "echo $(( {{.inputs.x}} + 1 )) > $FLYTE_OUTPUT_DIR/y"));
	Flyteidl__Core__WorkflowTemplate *sub = fx_wf_template(fx, "sub");
	Flyteidl__Core__Node *a, *b, *s;
	Flyteidl__Core__WorkflowNode *wn = fc_arena_alloc(&fx->a, sizeof(*wn));
	Flyteidl__Core__LiteralMap *out = NULL;

	a = fx_task_node_in(fx, sub, "a", inc);
	fx_bind(fx, a, "x", fx_bd_promise(fx, "start-node", "v"));
	b = fx_task_node_in(fx, sub, "b", inc);
	fx_bind(fx, b, "x", fx_bd_promise(fx, "a", "y"));
	fx_wf_output(fx, sub, "out", fx_bd_promise(fx, "b", "y"));
	fx_add_subworkflow(fx, sub);
	flyteidl__core__workflow_node__init(wn);
	wn->reference_case = FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_SUB_WORKFLOW_REF;
	wn->sub_workflow_ref = sub->id;
	s = fx_node_in(fx, fx->wf, "s");
	s->target_case = FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE;
	s->workflow_node = wn;
	fx_bind(fx, s, "v", fx_bd_lit(fx, cmp_lit_int(&fx->a, 40)));
	fx_wf_output(fx, fx->wf, "r", fx_bd_promise(fx, "s", "out"));
	assert_int_equal(fx_run_exec(fx, t->e, "sub", NULL, 0, &out, NULL), SUCCEEDED);
	assert_int_equal(fx_int(out, "r"), 42);
	assert_int_equal(access(tpath(t, "p-d-sub/s-0-b/data/0/outputs.pb"), F_OK), 0);
}

/* A gate sleeps without blocking other nodes. */
static void test_gate_sleep(void **state)
{
	struct t *t = *state;
	struct fx *fx = &t->fx;
	Flyteidl__Core__Node *g = fx_node_in(fx, fx->wf, "g"), *after;
	Flyteidl__Core__GateNode *gn = fc_arena_alloc(&fx->a, sizeof(*gn));
	Flyteidl__Core__SleepCondition *sc = fc_arena_alloc(&fx->a, sizeof(*sc));
	Google__Protobuf__Duration *d = fc_arena_alloc(&fx->a, sizeof(*d));
	struct timespec a, b;

	flyteidl__core__gate_node__init(gn);
	flyteidl__core__sleep_condition__init(sc);
	google__protobuf__duration__init(d);
	d->nanos = 400000000;
	sc->duration = d;
	gn->condition_case = FLYTEIDL__CORE__GATE_NODE__CONDITION_SLEEP;
	gn->sleep = sc;
	g->target_case = FLYTEIDL__CORE__NODE__TARGET_GATE_NODE;
	g->gate_node = gn;
	after = fx_task_node(fx, "after", touch_task(t, "t", 0, NULL));
	fx_upstream(fx, after, "g");
	fx_task_node(fx, "free", touch_task(t, "t2", 1, NULL));
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(fx_run_exec(fx, t->e, "gate", NULL, 0, NULL, NULL), SUCCEEDED);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 >= 390);
	assert_int_equal(fx_count_lines(tpath(t, "ran"), "after"), 1);
	assert_int_equal(fx_count_lines(tpath(t, "ran"), "free"), 1);
}

static Flyteidl__Core__Node *array_node(struct fx *fx, const char *id, Flyteidl__Core__TaskTemplate *task)
{
	Flyteidl__Core__Node *n = fx_node_in(fx, fx->wf, id);
	Flyteidl__Core__ArrayNode *an = fc_arena_alloc(&fx->a, sizeof(*an));

	flyteidl__core__array_node__init(an);
	an->node = fx_task_node_in(fx, NULL, "sub", task);
	n->target_case = FLYTEIDL__CORE__NODE__TARGET_ARRAY_NODE;
	n->array_node = an;
	return n;
}

/* Map over a list: outputs gathered in order; parallelism respected; partial failure within min successes. */
static void test_array_partial_failure(void **state)
{
	struct t *t = *state;
	struct fx *fx = &t->fx;
	struct fc_buf script = FC_BUF_INIT;
	Flyteidl__Core__TaskTemplate *sq;
	Flyteidl__Core__Node *n;
	Flyteidl__Core__Literal *items[6];
	Flyteidl__Core__LiteralMap *out = NULL;
	const Flyteidl__Core__Literal *list;
	int i;

	fc_buf_addf(&script, "echo {{.inputs.x}} >> %s/ran; [ {{.inputs.x}} -ne 3 ] || exit 1; "
			     "echo $(( {{.inputs.x}} * {{.inputs.x}} )) > $FLYTE_OUTPUT_DIR/y", t->dir);
	sq = fx_task(fx, "sq", "container", "x:int", "y:int", sh(0, t, script.buf));
	for (i = 0; i < 6; i++)
		items[i] = cmp_lit_int(&fx->a, i);
	n = array_node(fx, "map", sq);
	n->array_node->parallelism_option_case = FLYTEIDL__CORE__ARRAY_NODE__PARALLELISM_OPTION_PARALLELISM;
	n->array_node->parallelism = 2;
	n->array_node->success_criteria_case = FLYTEIDL__CORE__ARRAY_NODE__SUCCESS_CRITERIA_MIN_SUCCESSES;
	n->array_node->min_successes = 5;
	{
		Flyteidl__Core__BindingData *bd = fc_arena_alloc(&fx->a, sizeof(*bd));
		Flyteidl__Core__BindingDataCollection *c = fc_arena_alloc(&fx->a, sizeof(*c));

		flyteidl__core__binding_data__init(bd);
		flyteidl__core__binding_data_collection__init(c);
		c->n_bindings = 6;
		c->bindings = fc_arena_array(&fx->a, 6, sizeof(*c->bindings));
		for (i = 0; i < 6; i++)
			c->bindings[i] = fx_bd_lit(fx, items[i]);
		bd->value_case = FLYTEIDL__CORE__BINDING_DATA__VALUE_COLLECTION;
		bd->collection = c;
		fx_bind(fx, n, "x", bd);
	}
	fx_wf_output(fx, fx->wf, "ys", fx_bd_promise(fx, "map", "y"));
	assert_int_equal(fx_run_exec(fx, t->e, "map", NULL, 0, &out, NULL), SUCCEEDED);
	list = cmp_litmap_get(out, "ys");
	assert_non_null(list);
	assert_int_equal(list->value_case, FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION);
	assert_int_equal(list->collection->n_literals, 6);
	assert_int_equal(list->collection->literals[4]->scalar->primitive->integer, 16);
	assert_int_equal(list->collection->literals[3]->scalar->value_case, FLYTEIDL__CORE__SCALAR__VALUE_NONE_TYPE);
	assert_int_equal(fx_count_lines(tpath(t, "ran"), NULL), 6);
	/* With every success required, the same map fails. */
	n->array_node->min_successes = 6;
	assert_int_equal(fx_run_exec(fx, t->e, "map-strict", NULL, 0, &out, NULL), FAILED);
	fc_buf_release(&script);
}

/* Caching: the second run with the same inputs is a hit and does not run the task; other inputs miss; a hit
 * whose data is gone runs the task again. */
static void test_cache(void **state)
{
	struct t *t = *state;
	struct fx *fx = &t->fx;
	struct fc_buf script = FC_BUF_INIT;
	Flyteidl__Core__TaskTemplate *task;
	Flyteidl__Core__Node *n;
	Flyteidl__Core__LiteralMap *in = cmp_litmap_new(&fx->a), *out = NULL;
	struct prop_stats st;

	fc_buf_addf(&script, "echo run >> %s/ran; echo $(( {{.inputs.x}} + 1 )) > $FLYTE_OUTPUT_DIR/y", t->dir);
	task = fx_task(fx, "cached", "container", "x:int", "y:int", sh(0, t, script.buf));
	fx_task_cache(task, "1.0");
	n = fx_task_node(fx, "n0", task);
	fx_bind(fx, n, "x", fx_bd_promise(fx, "start-node", "x"));
	fx_wf_output(fx, fx->wf, "y", fx_bd_promise(fx, "n0", "y"));
	cmp_litmap_put(&fx->a, in, "x", cmp_lit_int(&fx->a, 1));
	assert_int_equal(fx_run_exec(fx, t->e, "c1", in, 0, &out, NULL), SUCCEEDED);
	assert_int_equal(fx_run_exec(fx, t->e, "c2", in, 0, &out, NULL), SUCCEEDED);
	assert_int_equal(fx_int(out, "y"), 2);
	assert_int_equal(fx_count_lines(tpath(t, "ran"), "run"), 1);
	prop_engine_stats(t->e, &st);
	assert_int_equal(st.cache_hits, 1);
	cmp_litmap_put(&fx->a, in, "x", cmp_lit_int(&fx->a, 5));
	assert_int_equal(fx_run_exec(fx, t->e, "c3", in, 0, &out, NULL), SUCCEEDED);
	assert_int_equal(fx_int(out, "y"), 6);
	assert_int_equal(fx_count_lines(tpath(t, "ran"), "run"), 2);
	/* Remove the cached data of x=1: the next run misses and runs again. */
	assert_int_equal(unlink(tpath(t, "p-d-c1/n0/data/0/outputs.pb")), 0);
	cmp_litmap_put(&fx->a, in, "x", cmp_lit_int(&fx->a, 1));
	assert_int_equal(fx_run_exec(fx, t->e, "c4", in, 0, &out, NULL), SUCCEEDED);
	assert_int_equal(fx_int(out, "y"), 2);
	assert_int_equal(fx_count_lines(tpath(t, "ran"), "run"), 3);
	/* A new cache version misses. */
	fx_task_cache(task, "2.0");
	assert_int_equal(fx_run_exec(fx, t->e, "c5", in, 0, &out, NULL), SUCCEEDED);
	assert_int_equal(fx_count_lines(tpath(t, "ran"), "run"), 4);
	fc_buf_release(&script);
}

/* Resource limits of the container become rlimits of the task (and only of the task). */
static void test_resource_limits(void **state)
{
	struct t *t = *state;
	struct fx *fx = &t->fx;
	Flyteidl__Core__TaskTemplate *task;
	Flyteidl__Core__Resources *res = fc_arena_alloc(&fx->a, sizeof(*res));
	Flyteidl__Core__Resources__ResourceEntry *mem = fc_arena_alloc(&fx->a, sizeof(*mem));
	Flyteidl__Core__Resources__ResourceEntry *disk = fc_arena_alloc(&fx->a, sizeof(*disk));
	Flyteidl__Core__LiteralMap *out = NULL;

	task = fx_task(fx, "limited", "container", "", "as:int,fsize:int",
		       sh(0, t, "ulimit -v > $FLYTE_OUTPUT_DIR/as; ulimit -f > $FLYTE_OUTPUT_DIR/fsize"));
	flyteidl__core__resources__init(res);
	flyteidl__core__resources__resource_entry__init(mem);
	flyteidl__core__resources__resource_entry__init(disk);
	mem->name = FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__MEMORY;
	mem->value = fc_arena_strdup(&fx->a, "256Mi");
	disk->name = FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__EPHEMERAL_STORAGE;
	disk->value = fc_arena_strdup(&fx->a, "1Mi");
	res->n_limits = 2;
	res->limits = fc_arena_array(&fx->a, 2, sizeof(*res->limits));
	res->limits[0] = mem;
	res->limits[1] = disk;
	task->container->resources = res;
	fx_task_node(fx, "n0", task);
	fx_wf_output(fx, fx->wf, "as", fx_bd_promise(fx, "n0", "as"));
	fx_wf_output(fx, fx->wf, "fsize", fx_bd_promise(fx, "n0", "fsize"));
	assert_int_equal(fx_run_exec(fx, t->e, "limits", NULL, 0, &out, NULL), SUCCEEDED);
	assert_int_equal(fx_int(out, "as"), 256 * 1024);      /* KiB */
	assert_int_equal(fx_int(out, "fsize"), 1024 * 1024 / 512); /* 512-byte blocks (dash) */
}

/* Abort stops running tasks (their processes die) and ends the execution Aborted. */
static void test_abort(void **state)
{
	struct t *t = *state;
	struct fx *fx = &t->fx;
	struct fc_buf script = FC_BUF_INIT;
	struct prop_workflow_resource res;
	struct fc_err err;
	int phase = -1, i;
	char *error = NULL;

	fc_buf_addf(&script, "echo start >> %s/log; sleep 20; echo end >> %s/log", t->dir, t->dir);
	fx_task_node(fx, "n0", fx_task(fx, "long", "container", "", "", sh(0, t, script.buf)));
	memset(&res, 0, sizeof(res));
	res.project = "p";
	res.domain = "d";
	res.name = "abort";
	res.closure = fx->closure;
	assert_int_equal(prop_engine_submit(t->e, &res, &err), 0);
	for (i = 0; i < 200 && fx_count_lines(tpath(t, "log"), "start") == 0; i++)
		assert_int_equal(prop_engine_step(t->e, 20, &err), 0);
	assert_int_equal(fx_count_lines(tpath(t, "log"), "start"), 1);
	assert_int_equal(prop_engine_abort(t->e, "p", "d", "abort", "user asked", &err), 0);
	assert_int_equal(prop_engine_run(t->e, &err), 0);
	assert_int_equal(prop_engine_result(t->e, "p", "d", "abort", &phase, &fx->a, NULL, &error, &err), 0);
	assert_int_equal(phase, ABORTED);
	assert_string_equal(error, "user asked");
	free(error);
	assert_int_equal(prop_engine_abort(t->e, "p", "d", "nope", NULL, &err), FC_ENOENT);
	fc_buf_release(&script);
}

/* A second submit of the same id is refused; bad ids are refused. */
static void test_submit_checks(void **state)
{
	struct t *t = *state;
	struct fx *fx = &t->fx;
	struct prop_workflow_resource res;
	struct fc_err err;

	fx_task_node(fx, "n0", fx_task(fx, "e", "echo", "", "", NULL));
	memset(&res, 0, sizeof(res));
	res.project = "p";
	res.domain = "d";
	res.name = "../x";
	res.closure = fx->closure;
	assert_int_equal(prop_engine_submit(t->e, &res, &err), FC_EINVAL);
	res.name = "once";
	assert_int_equal(prop_engine_submit(t->e, &res, &err), 0);
	assert_int_equal(prop_engine_submit(t->e, &res, &err), FC_EEXIST);
	assert_int_equal(prop_engine_run(t->e, &err), 0);
}

/* A closure whose node bytes are not a valid Node message is refused when it is submitted, with an error that
 * names the node (the engine keeps nodes packed and checks each once, when the execution is built). */
static void test_submit_malformed_node(void **state)
{
	struct t *t = *state;
	/* closure { primary (1) { template (1) { nodes (4): bytes } } } */
	static const uint8_t truncated[] = {0x0a, 0x07, 0x0a, 0x05, 0x22, 0x03, 0x0a, 0x05, 'a'}; /* id cut short */
	static const uint8_t no_id[] = {0x0a, 0x04, 0x0a, 0x02, 0x22, 0x00};                       /* an empty Node */
	struct prop_workflow_resource res;
	struct fc_err err;

	memset(&res, 0, sizeof(res));
	res.project = "p";
	res.domain = "d";
	res.name = "bad";
	res.closure_pb = truncated;
	res.closure_pb_len = sizeof(truncated);
	assert_int_equal(prop_engine_submit(t->e, &res, &err), FC_EINVAL);
	assert_non_null(strstr(err.msg, "node 0 of workflow 0 of the closure is not a valid Node message"));
	res.closure_pb = no_id;
	res.closure_pb_len = sizeof(no_id);
	assert_int_equal(prop_engine_submit(t->e, &res, &err), FC_EINVAL);
	assert_non_null(strstr(err.msg, "without an id"));
	assert_int_equal(prop_engine_run(t->e, &err), 0);
}

/* Unknown task types fail the node with a clear error. */
static void test_unknown_task_type(void **state)
{
	struct t *t = *state;
	struct fx *fx = &t->fx;
	char *error = NULL;

	fx_task_node(fx, "n0", fx_task(fx, "x", "spark", "", "", NULL));
	assert_int_equal(fx_run_exec(fx, t->e, "unk", NULL, 0, NULL, &error), FAILED);
	assert_non_null(strstr(error, "no plugin handles task type 'spark'"));
	free(error);
}

/* A refusing sink gets every event later, in order, without duplicates. */
static void test_event_retry(void **state)
{
	struct t *t = *state;
	struct fx *fx = &t->fx;
	size_t i;

	t->sink->fail_next = 3;
	fx_task_node(fx, "n0", fx_task(fx, "e", "echo", "", "", NULL));
	assert_int_equal(fx_run_exec(fx, t->e, "ev", NULL, 0, NULL, NULL), SUCCEEDED);
	assert_true(t->sink->n >= 4);
	for (i = 0; i < t->sink->n; i++)
		assert_int_equal(t->sink->events[i].seq, i + 1);
}

/*
 * Finished while the sink refused every event, then the process went (the engine freed without delivering): a new
 * engine on the same state loads the finished execution only to send its events (not counted as resumed, nothing
 * run again), sends every one in order, and a third engine finds nothing left to send.
 */
static void test_events_sent_after_restart_when_finished(void **state)
{
	struct t *t = *state;
	struct fx *fx = &t->fx;
	struct prop_memory_sink *sink2 = prop_memory_sink_new(), *sink3 = prop_memory_sink_new();
	struct prop_workflow_resource res;
	struct fc_err err;
	size_t resumed = 99, i;
	int phase = -1, steps = 0;

	t->sink->fail_next = 1000000;
	fx_task_node(fx, "n0", fx_task(fx, "e", "echo", "", "", NULL));
	memset(&res, 0, sizeof(res));
	res.project = "p";
	res.domain = "d";
	res.name = "fin";
	res.closure = fx->closure;
	assert_int_equal(prop_engine_submit(t->e, &res, &err), 0);
	while (phase != SUCCEEDED && ++steps < 1000) {
		assert_int_equal(prop_engine_step(t->e, 10, &err), 0);
		assert_int_equal(prop_engine_result(t->e, "p", "d", "fin", &phase, NULL, NULL, NULL, &err), 0);
	}
	assert_int_equal(phase, SUCCEEDED);
	assert_int_equal(t->sink->n, 0);
	prop_engine_free(t->e); /* the process goes with every event unsent */

	t->e = fx_engine(t->dir, &sink2->base);
	assert_int_equal(prop_engine_resume_all(t->e, &resumed, &err), 0);
	assert_int_equal(resumed, 0);
	assert_int_equal(prop_engine_run(t->e, &err), 0);
	assert_true(sink2->n >= 4);
	for (i = 0; i < sink2->n; i++)
		assert_int_equal(sink2->events[i].seq, i + 1);
	assert_int_equal(sink2->events[sink2->n - 1].kind, PROP_EVENT_WORKFLOW);
	prop_engine_free(t->e);

	t->e = fx_engine(t->dir, &sink3->base);
	assert_int_equal(prop_engine_resume_all(t->e, &resumed, &err), 0);
	assert_int_equal(prop_engine_run(t->e, &err), 0);
	assert_int_equal(sink3->n, 0);
	prop_event_sink_free(&sink2->base);
	prop_event_sink_free(&sink3->base);
}

/* Parallelism bounds the tasks running at once. */
static void test_parallelism(void **state)
{
	struct t *t = *state;
	struct fx *fx = &t->fx;
	struct fc_buf script = FC_BUF_INIT;
	Flyteidl__Core__TaskTemplate *task;
	char id[16];
	int i;

	/* Each task records how many are running at its start (a count in a directory of marker files). */
	fc_buf_addf(&script, "d=%s/running; mkdir -p $d; touch $d/$$; ls $d | wc -l >> %s/seen; sleep 0.1; rm $d/$$",
		    t->dir, t->dir);
	task = fx_task(fx, "p", "container", "", "", sh(0, t, script.buf));
	for (i = 0; i < 8; i++) {
		snprintf(id, sizeof(id), "n%d", i);
		fx_task_node(fx, id, task);
	}
	assert_int_equal(fx_run_exec(fx, t->e, "par", NULL, 2, NULL, NULL), SUCCEEDED);
	assert_int_equal(fx_count_lines(tpath(t, "seen"), NULL), 8);
	assert_int_equal(fx_count_lines(tpath(t, "seen"), "3"), 0);
	assert_int_equal(fx_count_lines(tpath(t, "seen"), "4"), 0);
	fc_buf_release(&script);
}

/* The engine keeps each node's Node message packed and decodes it only while it is needed (docs/propeller.md,
 * "Memory"): a 1-to-200 fan-out whose 200 nodes are all ready at once holds at most a few decoded at a time and
 * none at the end. The literal a node binds outlives its decoded spec (the fan-out reads n0's output, which is
 * n0's input), and events still carry the node's id and metadata name. */
static void test_specs_decoded_while_needed(void **state)
{
	struct t *t = *state;
	struct fx *fx = &t->fx;
	Flyteidl__Core__TaskTemplate *echo = fx_task(fx, "echo", "echo", "s:str", "s:str", NULL);
	Flyteidl__Core__Node *n0, *last;
	Flyteidl__Core__NodeMetadata *md = fc_arena_alloc(&fx->a, sizeof(*md));
	Flyteidl__Core__LiteralMap *out = NULL;
	struct prop_stats st;
	char id[16];
	size_t i, named = 0;

	n0 = fx_task_node(fx, "n0", echo);
	fx_bind(fx, n0, "s", fx_bd_lit(fx, cmp_lit_str(&fx->a, "fan")));
	flyteidl__core__node_metadata__init(md);
	md->name = fc_arena_strdup(&fx->a, "the-source");
	n0->metadata = md;
	for (i = 1; i <= 200; i++) {
		Flyteidl__Core__Node *n;

		snprintf(id, sizeof(id), "n%zu", i);
		n = fx_task_node(fx, id, echo);
		fx_bind(fx, n, "s", fx_bd_promise(fx, "n0", "s"));
	}
	last = fx_task_node(fx, "last", echo);
	fx_bind(fx, last, "s", fx_bd_promise(fx, "n200", "s"));
	for (i = 1; i < 200; i++) {
		snprintf(id, sizeof(id), "n%zu", i);
		fx_upstream(fx, last, id);
	}
	fx_wf_output(fx, fx->wf, "s", fx_bd_promise(fx, "last", "s"));
	assert_int_equal(fx_run_exec(fx, t->e, "specs", NULL, 2, &out, NULL), SUCCEEDED);
	assert_string_equal(fx_str(out, "s"), "fan");
	prop_engine_stats(t->e, &st);
	assert_int_equal(st.nodes, 202);
	assert_int_equal(st.specs_decoded, 0);
	assert_true(st.specs_peak >= 1);
	assert_true(st.specs_peak <= 2);
	for (i = 0; i < t->sink->n; i++) {
		Flyteidl__Event__NodeExecutionEvent *ev;

		if (t->sink->events[i].kind != PROP_EVENT_NODE)
			continue;
		ev = flyteidl__event__node_execution_event__unpack(NULL, t->sink->events[i].len, t->sink->events[i].data);
		assert_non_null(ev);
		if (!strcmp(ev->id->node_id, "n0")) {
			assert_string_equal(ev->spec_node_id, "n0");
			assert_string_equal(ev->node_name, "the-source");
			named++;
		}
		flyteidl__event__node_execution_event__free_unpacked(ev, NULL);
	}
	assert_true(named >= 3); /* queued, running, succeeded */
}

/* Which runner ran a task: the supervisor starts it as the leader of its own process group; a monitor runs it
 * in the monitor's group. The task exits 0 when it leads its group. */
static int run_group_probe(struct t *t, const char *name)
{
	struct fx *fx = &t->fx;

	fx_task_node(fx, name, fx_task(fx, name, "container", "", "",
				      sh(0, t, "read -r pid comm state ppid pgrp rest < /proc/$$/stat; test $pgrp = $$")));
	return fx_run_exec(fx, t->e, name, NULL, 0, NULL, NULL);
}

static void test_task_process_group(void **state)
{
	assert_int_equal(run_group_probe(*state, "group"), SUCCEEDED);
}

/* Without the supervisor (a monitor forked per attempt): data, failures, limits and abort work the same. */
static void test_monitor_per_attempt(void **state)
{
	plg_launcher_use_supervisor(false);
	assert_int_equal(run_group_probe(*state, "group"), FAILED); /* it did run under a monitor */
	teardown(state);
	setup(state);
	test_chain_with_data(state);
	teardown(state);
	setup(state);
	test_retries(state);
	teardown(state);
	setup(state);
	test_retries_exhausted(state);
	teardown(state);
	setup(state);
	test_timeout(state);
	teardown(state);
	setup(state);
	test_resource_limits(state);
	teardown(state);
	setup(state);
	test_abort(state);
	plg_launcher_use_supervisor(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_chain_with_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo_and_sleep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retries_exhausted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_immediately, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_after_executable_nodes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_node, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_node_not_run_on_success, setup, teardown),
		cmocka_unit_test_setup_teardown(test_branch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subworkflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gate_sleep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_array_partial_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resource_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_submit_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_submit_malformed_node, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_task_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_sent_after_restart_when_finished, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parallelism, setup, teardown),
		cmocka_unit_test_setup_teardown(test_specs_decoded_while_needed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_task_process_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_monitor_per_attempt, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
