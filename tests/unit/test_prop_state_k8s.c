/*
 * test_prop_state_k8s.c: the engine's state in FlyteWorkflow statuses (propeller/state_k8s.c). Node rows of every
 * kind (task with plugin state, subworkflow, branch and array children, nested) encode into Flyte's NodeStatus shape
 * and decode back field for field; a status written the way Flyte's propeller writes one decodes; bad shapes are
 * refused with their JSON path; rounds are one write per execution and a rolled-back round leaves nothing; and the
 * engine runs a workflow on the backend, is "killed" mid-run, and resumes from the last written status and the
 * saved outbox with no node run twice and no event lost.
 */
#include "test_prop_fixture.h"

#include "core/limits.h"
#include "core/pbjson.h"
#include "kube/mergepatch.h"
#include "plugins/registry.h"
#include "propeller/engine_int.h"
#include "propeller/state_k8s.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define SUCCEEDED FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDED
#define RUNNING FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__RUNNING
#define FAILED FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED

/* --- collecting decoded rows ------------------------------------------------------------------------------- */

struct rows {
	struct prop_node_row row[32];
	char uid[32][64];
	uint8_t pstate[32][16];
	char code[32][32], msg[32][64];
	size_t n;
};

static void collect(void *data, const struct prop_node_row *row)
{
	struct rows *r = data;
	size_t i = r->n++;

	assert_true(i < 32);
	r->row[i] = *row;
	snprintf(r->uid[i], sizeof(r->uid[i]), "%s", row->uid);
	r->row[i].uid = r->uid[i];
	assert_true(row->pstate_len <= sizeof(r->pstate[i]));
	if (row->pstate_len)
		memcpy(r->pstate[i], row->pstate, row->pstate_len);
	r->row[i].pstate = row->pstate_len ? r->pstate[i] : NULL;
	snprintf(r->code[i], sizeof(r->code[i]), "%s", row->error_code ? row->error_code : "");
	snprintf(r->msg[i], sizeof(r->msg[i]), "%s", row->error_msg ? row->error_msg : "");
	r->row[i].error_code = r->code[i];
	r->row[i].error_msg = r->msg[i];
}

static const struct prop_node_row *row_of(const struct rows *r, const char *uid)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->uid[i], uid))
			return &r->row[i];
	return NULL;
}

static void assert_row_equal(const struct prop_node_row *a, const struct prop_node_row *b)
{
	assert_non_null(b);
	assert_string_equal(a->uid, b->uid);
	assert_int_equal(a->phase, b->phase);
	assert_int_equal(a->attempts, b->attempts);
	assert_int_equal(a->user_failures, b->user_failures);
	assert_int_equal(a->sys_failures, b->sys_failures);
	assert_int_equal(a->started_ns, b->started_ns);
	assert_int_equal(a->attempt_started_ns, b->attempt_started_ns);
	assert_int_equal(a->aux, b->aux);
	assert_int_equal(a->pstate_len, b->pstate_len);
	if (a->pstate_len)
		assert_memory_equal(a->pstate, b->pstate, a->pstate_len);
	assert_string_equal(a->error_code ? a->error_code : "", b->error_code);
	assert_string_equal(a->error_msg ? a->error_msg : "", b->error_msg);
	assert_int_equal(a->error_kind, b->error_kind);
	assert_int_equal(a->cache_status, b->cache_status);
	assert_int_equal(a->task_phase, b->task_phase);
}

static const uint8_t PSTATE[] = {0x08, 0x02, 0x12, 0x03, 'p', 'o', 'd', 0x00, 0xff};

/* One row per kind: a task with plugin state, a failed task, a subworkflow with a child, a branch whose taken arm is
 * a subworkflow with its own child, an array with three children (one aborted, one cached), a skipped node. */
static const struct prop_node_row ROWS[] = {
	{.uid = "start-node", .phase = NP_SUCCEEDED},
	{.uid = "n0", .phase = NP_RUNNING, .attempts = 2, .user_failures = 1, .started_ns = 1700000000123456789,
	 .attempt_started_ns = 1700000005000000001, .pstate = PSTATE, .pstate_len = sizeof(PSTATE), .task_phase = 3},
	{.uid = "n1", .phase = NP_FAILED, .attempts = 3, .sys_failures = 2, .user_failures = 1, .error_code = "OOMKilled",
	 .error_msg = "the pod ran out of memory", .error_kind = 2, .task_phase = 4},
	{.uid = "sub", .phase = NP_RUNNING, .started_ns = 1700000000000000000},
	{.uid = "sub-0-t1", .phase = NP_QUEUED, .task_phase = 1},
	{.uid = "br", .phase = NP_RUNNING, .aux = 2},
	{.uid = "br-0-arm", .phase = NP_RUNNING},
	{.uid = "br-0-arm-0-inner", .phase = NP_SUCCEEDED, .attempts = 1, .task_phase = 3},
	{.uid = "fan", .phase = NP_RUNNING, .aux = 1},
	{.uid = "fan-0-0", .phase = NP_SUCCEEDED, .attempts = 1, .cache_status = 2, .task_phase = 3},
	{.uid = "fan-0-1", .phase = NP_ABORTED, .attempts = 1},
	{.uid = "fan-0-2", .phase = NP_TIMED_OUT, .attempts = 1, .error_code = "Timeout", .error_msg = "timed out",
	 .error_kind = 1},
	{.uid = "skip", .phase = NP_SKIPPED},
};

/* --- a backend with hooks that keep what was written --------------------------------------------------------- */

struct sink {
	json_t *last;          /* last status written */
	char last_key[128];
	unsigned writes, saves;
	unsigned fail_writes;  /* refuse the next N writes */
	/* refuse every status of an unfinished execution once a status would show this node running (the operator's
	 * size limit) */
	const char *refuse_from;
	unsigned refused;
	const char *kill_after; /* once a written status has this node running, refuse everything: a kill -9 */
	bool killed;
	bool saved_before_write;
	struct prop_k8s_event ev[256];
	size_t nev;
};

static int hook_write(void *data, const char *exec_key, const json_t *status, struct fc_err *err)
{
	struct sink *s = data;

	if (s->killed)
		return fc_err_set(err, FC_EUNAVAILABLE, "the operator is dead");
	if (s->fail_writes) {
		s->fail_writes--;
		return fc_err_set(err, FC_EUNAVAILABLE, "409 (injected)");
	}
	if (s->refuse_from && (s->refused || json_integer_value(json_object_get(json_object_get(
							 json_object_get(status, "nodeStatus"), s->refuse_from), "phase")) == 2)) {
		int p = (int)json_integer_value(json_object_get(json_object_get(status, "flytec"), "phase"));

		if (p != FAILED && p != SUCCEEDED) {
			s->refused++;
			return fc_err_set(err, FC_EUNAVAILABLE, "too big (injected)");
		}
	}
	s->writes++;
	snprintf(s->last_key, sizeof(s->last_key), "%s", exec_key);
	json_decref(s->last);
	s->last = json_deep_copy(status);
	if (s->kill_after && json_integer_value(json_object_get(
				     json_object_get(json_object_get(status, "nodeStatus"), s->kill_after), "phase")) == 2)
		s->killed = true;
	return FC_OK;
}

static int hook_save(void *data, const char *exec_key, const struct prop_k8s_event *ev, size_t n, struct fc_err *err)
{
	struct sink *s = data;

	(void)exec_key;
	if (s->killed)
		return fc_err_set(err, FC_EUNAVAILABLE, "the operator is dead");
	s->saves++;
	if (!s->writes)
		s->saved_before_write = true;
	for (size_t i = 0; i < s->nev; i++)
		free(s->ev[i].payload);
	assert_true(n <= FC_ARRAY_LEN(s->ev));
	for (size_t i = 0; i < n; i++) {
		s->ev[i] = ev[i];
		s->ev[i].payload = malloc(ev[i].len ? ev[i].len : 1);
		memcpy(s->ev[i].payload, ev[i].payload, ev[i].len);
	}
	s->nev = n;
	return FC_OK;
}

static void sink_release(struct sink *s)
{
	json_decref(s->last);
	for (size_t i = 0; i < s->nev; i++)
		free(s->ev[i].payload);
	memset(s, 0, sizeof(*s));
}

static struct prop_k8s_state *new_state(struct sink *s, struct prop_state_backend *sb)
{
	struct prop_k8s_state_hooks h = {hook_write, hook_save, s};
	struct prop_k8s_state *ks;

	prop_k8s_state_new(&h, &ks);
	prop_k8s_state_backend(ks, sb);
	return ks;
}

static const struct prop_exec_row EXEC = {
	.key = "p-d-e1", .project = "p", .domain = "d", .name = "e1", .closure = "C", .closure_len = 1,
	.inputs = "", .inputs_len = 0, .config = "", .phase = RUNNING, .created_ns = 1,
};

/* --- tests --------------------------------------------------------------------------------------------------- */

/* Every row kind goes in through a round, comes out in Flyte's nested shape, and decodes back field for field. */
static void test_round_trip_every_kind(void **state)
{
	struct sink s = {0};
	struct prop_state_backend sb;
	struct prop_k8s_state *ks = new_state(&s, &sb);
	struct fc_err err;
	struct rows r = {0};
	json_t *ns, *v;
	size_t i;

	(void)state;
	assert_int_equal(sb.ops->exec_insert(sb.ctx, &EXEC, &err), 0);
	assert_int_equal(sb.ops->begin(sb.ctx, &err), 0);
	/* children before parents, as the engine may put them in one round: nesting does not depend on the order */
	for (i = FC_ARRAY_LEN(ROWS); i-- > 0;)
		assert_int_equal(sb.ops->node_put(sb.ctx, EXEC.key, &ROWS[i], &err), 0);
	assert_int_equal(sb.ops->exec_update(sb.ctx, EXEC.key, RUNNING, NULL, NULL, 7, &err), 0);
	assert_int_equal(sb.ops->commit(sb.ctx, &err), 0);
	assert_int_equal(s.writes, 1); /* one status write per execution per round */
	assert_string_equal(s.last_key, "p-d-e1");

	/* Flyte's shape */
	assert_int_equal(json_integer_value(json_object_get(s.last, "phase")), 1);
	ns = json_object_get(s.last, "nodeStatus");
	assert_int_equal(json_object_size(ns), 7); /* start-node n0 n1 sub br fan skip */
	v = json_object_get(ns, "n0");
	assert_int_equal(json_integer_value(json_object_get(v, "phase")), 2);
	assert_int_equal(json_integer_value(json_object_get(v, "attempts")), 2);
	assert_string_equal(json_string_value(json_object_get(v, "startedAt")), "2023-11-14T22:13:20.123456789Z");
	v = json_object_get(v, "TaskNodeStatus");
	assert_int_equal(json_integer_value(json_object_get(v, "phase")), 3);
	assert_string_equal(json_string_value(json_object_get(v, "pState")), "CAISA3BvZAD/");
	assert_int_equal(json_integer_value(json_object_get(v, "psv")), PROP_K8S_PSV);
	v = json_object_get(ns, "n1");
	assert_int_equal(json_integer_value(json_object_get(v, "phase")), 6);
	assert_int_equal(json_integer_value(json_object_get(v, "systemFailures")), 2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(v, "error"), "kind")), "SYSTEM");
	assert_string_equal(json_string_value(json_object_get(json_object_get(v, "error"), "code")), "OOMKilled");
	v = json_object_get(json_object_get(json_object_get(ns, "sub"), "subNodeStatus"), "t1");
	assert_int_equal(json_integer_value(json_object_get(v, "phase")), 1);
	v = json_object_get(json_object_get(json_object_get(ns, "br"), "subNodeStatus"), "arm");
	v = json_object_get(json_object_get(v, "subNodeStatus"), "inner");
	assert_int_equal(json_integer_value(json_object_get(v, "phase")), 5);
	v = json_object_get(json_object_get(ns, "fan"), "subNodeStatus");
	assert_int_equal(json_object_size(v), 3);
	assert_true(json_is_true(json_object_get(json_object_get(v, "0"), "cached")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "1"), "phase")), 6);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "2"), "phase")), 10);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ns, "skip"), "phase")), 7);
	assert_null(json_object_get(ns, "sub-0-t1"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s.last, "flytec"), "eventSeq")), 7);

	/* back: from the written JSON, and through the backend's node_each */
	assert_int_equal(prop_k8s_nodes_decode(s.last, collect, &r, &err), 0);
	assert_int_equal(r.n, FC_ARRAY_LEN(ROWS));
	for (i = 0; i < FC_ARRAY_LEN(ROWS); i++)
		assert_row_equal(&ROWS[i], row_of(&r, ROWS[i].uid));
	/* parents come before their children */
	assert_true(row_of(&r, "br") < row_of(&r, "br-0-arm"));
	assert_true(row_of(&r, "br-0-arm") < row_of(&r, "br-0-arm-0-inner"));
	memset(&r, 0, sizeof(r));
	assert_int_equal(sb.ops->node_each(sb.ctx, EXEC.key, collect, &r, &err), 0);
	assert_int_equal(r.n, FC_ARRAY_LEN(ROWS));
	for (i = 0; i < FC_ARRAY_LEN(ROWS); i++)
		assert_row_equal(&ROWS[i], row_of(&r, ROWS[i].uid));
	prop_k8s_state_free(ks);
	sink_release(&s);
}

/* A status as Flyte's propeller writes one (TaskNodeStatus, subNodeStatus, Go's RFC 3339 times, no flytec fields). */
static void test_decode_flyte_shaped(void **state)
{
	const char *text =
		"{\"phase\":1,\"startedAt\":\"2024-01-02T03:04:05Z\",\"dataDir\":\"s3://b/x\",\"nodeStatus\":{"
		"\"start-node\":{\"phase\":5,\"stoppedAt\":\"2024-01-02T03:04:05Z\"},"
		"\"n0\":{\"phase\":2,\"startedAt\":\"2024-01-02T03:04:06Z\",\"laStartedAt\":\"2024-01-02T03:04:06Z\","
		"\"lastUpdatedAt\":\"2024-01-02T03:04:07Z\",\"attempts\":1,\"message\":\"running\","
		"\"TaskNodeStatus\":{\"phase\":3,\"phaseVersion\":1,\"pState\":\"AQID\",\"psv\":1,"
		"\"updAt\":\"2024-01-02T03:04:07Z\"}},"
		"\"n1\":{\"phase\":2,\"workflowNodeStatus\":{\"phase\":1},\"subNodeStatus\":{"
		"\"n0\":{\"phase\":6,\"attempts\":2,\"systemFailures\":1,"
		"\"error\":{\"code\":\"USER:Error\",\"message\":\"boom\",\"kind\":\"USER\"}}}},"
		"\"n2\":{\"phase\":5,\"branchStatus\":{\"phase\":2,\"finalNodeId\":\"n2-n0\"},\"subNodeStatus\":{"
		"\"n2-n0\":{\"phase\":5,\"cached\":true}}}}}";
	json_t *st = json_loads(text, 0, NULL);
	struct rows r = {0};
	struct fc_err err;
	const struct prop_node_row *n;

	(void)state;
	assert_non_null(st);
	assert_int_equal(prop_k8s_nodes_decode(st, collect, &r, &err), 0);
	assert_int_equal(r.n, 6);
	n = row_of(&r, "n0");
	assert_non_null(n);
	assert_int_equal(n->phase, NP_RUNNING);
	assert_int_equal(n->attempts, 1);
	assert_int_equal(n->started_ns, 1704164646LL * 1000000000);
	assert_int_equal(n->task_phase, 3);
	assert_int_equal(n->pstate_len, 3);
	assert_memory_equal(n->pstate, "\x01\x02\x03", 3);
	assert_string_equal(n->error_msg, "running");
	n = row_of(&r, "n1-0-n0");
	assert_non_null(n);
	assert_int_equal(n->phase, NP_FAILED);
	assert_int_equal(n->sys_failures, 1);
	assert_int_equal(n->error_kind, 1);
	assert_string_equal(n->error_code, "USER:Error");
	assert_string_equal(n->error_msg, "boom");
	n = row_of(&r, "n2-0-n2-n0");
	assert_non_null(n);
	assert_int_equal(n->phase, NP_SUCCEEDED);
	assert_int_equal(row_of(&r, "start-node")->phase, NP_SUCCEEDED);
	json_decref(st);
}

static void ignore_row(void *data, const struct prop_node_row *row)
{
	(void)data;
	(void)row;
}

/* Bad shapes: a clear error with the JSON path, never a crash. */
static void test_bad_status(void **state)
{
	static const struct {
		const char *json, *want;
	} cases[] = {
		{"{\"nodeStatus\":[]}", "expected an object keyed by node id"},
		{"{\"nodeStatus\":{\"n0\":3}}", ".nodeStatus[\"n0\"]: expected an object"},
		{"{\"nodeStatus\":{\"n0\":{\"phase\":\"x\"}}}", ".nodeStatus[\"n0\"].phase"},
		{"{\"nodeStatus\":{\"n0\":{\"attempts\":-1}}}", ".nodeStatus[\"n0\"].attempts"},
		{"{\"nodeStatus\":{\"n0\":{\"startedAt\":\"yesterday\"}}}", "RFC 3339"},
		{"{\"nodeStatus\":{\"n0\":{\"TaskNodeStatus\":{\"pState\":\"!!\",\"psv\":1}}}}", "bad base64"},
		{"{\"nodeStatus\":{\"n0\":{\"TaskNodeStatus\":{\"pState\":\"AQID\",\"psv\":9}}}}", "psv"},
		{"{\"nodeStatus\":{\"a\":{\"subNodeStatus\":{\"b\":{\"subNodeStatus\":{\"c\":{\"error\":1}}}}}}}",
		 ".nodeStatus[\"a\"].subNodeStatus[\"b\"].subNodeStatus[\"c\"]: error: expected an object"},
		{"{\"nodeStatus\":{\"n0\":{\"flytec\":[]}}}", "flytec: expected an object"},
	};
	struct fc_err err;
	struct rows r;
	size_t i;
	json_t *deep, *cur;

	(void)state;
	for (i = 0; i < FC_ARRAY_LEN(cases); i++) {
		json_t *st = json_loads(cases[i].json, 0, NULL);

		assert_non_null(st);
		memset(&r, 0, sizeof(r));
		assert_int_equal(prop_k8s_nodes_decode(st, collect, &r, &err), FC_EINVAL);
		if (!strstr(err.msg, cases[i].want))
			fail_msg("case %zu: \"%s\" does not contain \"%s\"", i, err.msg, cases[i].want);
		json_decref(st);
	}
	/* nesting past the limit */
	deep = json_object();
	cur = deep;
	for (i = 0; i < FC_K8S_READ_MAX_DEPTH + 2; i++) {
		json_t *child = json_object(), *map = json_object();

		json_object_set_new(map, "x", child);
		json_object_set_new(cur, i ? "subNodeStatus" : "nodeStatus", map);
		cur = child;
	}
	assert_int_equal(prop_k8s_nodes_decode(deep, ignore_row, NULL, &err), FC_ELIMIT);
	json_decref(deep);
}

static void count_event(void *data, uint64_t seq, int kind, const void *payload, size_t len)
{
	(void)seq;
	(void)kind;
	(void)payload;
	(void)len;
	++*(size_t *)data;
}

/* A round whose write fails is rolled back whole: nodes, events, phase as at begin(); the next round writes all. */
static void test_rollback_and_outbox_order(void **state)
{
	struct sink s = {0};
	struct prop_state_backend sb;
	struct prop_k8s_state *ks = new_state(&s, &sb);
	struct fc_err err;
	struct rows r = {0};
	size_t events = 0;
	json_t *st;

	(void)state;
	assert_int_equal(sb.ops->exec_insert(sb.ctx, &EXEC, &err), 0);
	assert_int_equal(sb.ops->begin(sb.ctx, &err), 0);
	assert_int_equal(sb.ops->node_put(sb.ctx, EXEC.key, &ROWS[1], &err), 0);
	assert_int_equal(sb.ops->event_add(sb.ctx, EXEC.key, 1, 1, "ev1", 3, &err), 0);
	assert_int_equal(sb.ops->commit(sb.ctx, &err), 0);
	assert_true(s.saved_before_write);
	assert_int_equal(s.nev, 1);

	/* a failing round: a 409 on the write */
	s.fail_writes = 1;
	assert_int_equal(sb.ops->begin(sb.ctx, &err), 0);
	assert_int_equal(sb.ops->node_put(sb.ctx, EXEC.key, &ROWS[2], &err), 0);
	assert_int_equal(sb.ops->event_add(sb.ctx, EXEC.key, 2, 1, "ev2", 3, &err), 0);
	assert_int_equal(sb.ops->event_delete_upto(sb.ctx, EXEC.key, 1, &err), 0);
	assert_int_equal(sb.ops->exec_update(sb.ctx, EXEC.key, SUCCEEDED, NULL, "x", 2, &err), 0);
	assert_int_equal(sb.ops->commit(sb.ctx, &err), FC_EUNAVAILABLE);
	sb.ops->rollback(sb.ctx);
	assert_int_equal(sb.ops->node_each(sb.ctx, EXEC.key, collect, &r, &err), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.uid[0], "n0");
	st = prop_k8s_state_status(ks, EXEC.key);
	assert_int_equal(json_integer_value(json_object_get(st, "phase")), 1);
	assert_null(json_object_get(st, "message"));
	json_decref(st);
	/* event 1 is back, event 2 is gone */
	assert_int_equal(sb.ops->event_each(sb.ctx, EXEC.key, count_event, &events, &err), 0);
	assert_int_equal(events, 1);
	/* the failed round had saved its outbox before the 409: the next commit saves the restored one again */
	assert_int_equal(s.nev, 1);
	assert_int_equal(s.ev[0].seq, 2);
	assert_int_equal(sb.ops->begin(sb.ctx, &err), 0);
	assert_int_equal(sb.ops->event_add(sb.ctx, EXEC.key, 2, 1, "ev2", 3, &err), 0);
	assert_int_equal(sb.ops->commit(sb.ctx, &err), 0);
	assert_int_equal(s.nev, 2);
	assert_int_equal(s.ev[0].seq, 1);
	assert_int_equal(s.ev[1].seq, 2);
	assert_int_equal(s.writes, 1); /* nothing of the status changed */
	prop_k8s_state_free(ks);
	sink_release(&s);
}

/* --- the engine on the backend ----------------------------------------------------------------------------- */

struct run {
	struct fx fx;
	char *dir;
	struct plg_registry *plugins;
};

static int run_setup(void **state)
{
	struct run *t = calloc(1, sizeof(*t));

	fx_init(&t->fx);
	t->dir = fx_tmpdir();
	t->plugins = plg_registry_new();
	*state = t;
	return 0;
}

static int run_teardown(void **state)
{
	struct run *t = *state;

	plg_registry_free(t->plugins);
	fx_rmrf(t->dir);
	free(t->dir);
	fx_release(&t->fx);
	free(t);
	return 0;
}

static struct prop_engine *open_engine(struct run *t, struct prop_state_backend *sb, struct prop_memory_sink *sink)
{
	struct prop_config cfg;
	struct prop_engine *e = NULL;
	struct fc_err err;

	memset(&cfg, 0, sizeof(cfg));
	cfg.data_dir = t->dir;
	cfg.sink = &sink->base;
	cfg.state = sb;
	cfg.plugins = t->plugins;
	if (prop_engine_open(&cfg, &e, &err))
		fail_msg("engine: %s", err.msg);
	return e;
}

static int node_phase_in(const json_t *status, const char *uid)
{
	return (int)json_integer_value(json_object_get(json_object_get(json_object_get(status, "nodeStatus"), uid),
						       "phase"));
}

struct exec_copy {
	struct prop_exec_row row;
	void *closure, *inputs;
	char *config;
};

static void copy_exec(void *data, const struct prop_exec_row *row)
{
	struct exec_copy *c = data;

	c->row = *row;
	c->closure = malloc(row->closure_len + 1);
	memcpy(c->closure, row->closure, row->closure_len);
	c->inputs = malloc(row->inputs_len + 1);
	memcpy(c->inputs, row->inputs, row->inputs_len);
	c->config = strdup(row->config ? row->config : "");
	c->row.closure = c->closure;
	c->row.inputs = c->inputs;
	c->row.config = c->config;
	c->row.key = "p-d-crash";
	c->row.project = "p";
	c->row.domain = "d";
	c->row.name = "crash";
	c->row.abort_reason = NULL;
	c->row.error = NULL;
}

/*
 * echo, sleep 300 ms, echo in a chain run on the status backend. Once a written status has the sleep running,
 * every further write fails and the engine is dropped: a kill -9 just after that status PUT. A second engine loads the execution from the last written
 * status and the saved outbox (what the operator reads back from the resource and the volume), resumes, and
 * finishes: n0 ran once (attempts 1, not started again), every event 1..N reached a sink once (those already
 * acknowledged before the kill are not re-sent; the rest are).
 */
static void test_engine_kill_and_resume(void **state)
{
	struct run *t = *state;
	struct sink s = {0};
	struct prop_state_backend sb, sb2;
	struct prop_k8s_state *ks = new_state(&s, &sb), *ks2;
	struct prop_memory_sink *sink1 = prop_memory_sink_new(), *sink2 = prop_memory_sink_new();
	struct prop_engine *e = open_engine(t, &sb, sink1);
	Flyteidl__Core__TaskTemplate *echo = fx_task(&t->fx, "echo", "echo", "s:str", "s:str", NULL),
				     *sl = fx_task(&t->fx, "sleep", "sleep", "duration:str", "", NULL);
	Flyteidl__Core__Node *n0 = fx_task_node(&t->fx, "n0", echo), *n1 = fx_task_node(&t->fx, "n1", sl),
			     *n2 = fx_task_node(&t->fx, "n2", echo);
	struct prop_workflow_resource res;
	struct exec_copy copy;
	struct fc_err err;
	json_t *at_kill;
	size_t resumed = 0, i;
	int phase = -1, steps = 0;
	uint64_t seen[64] = {0}, last_seq = 0;
	struct rows r = {0};

	fx_bind(&t->fx, n0, "s", fx_bd_lit(&t->fx, cmp_lit_str(&t->fx.a, "hi")));
	fx_upstream(&t->fx, n1, "n0");
	fx_bind(&t->fx, n1, "duration", fx_bd_lit(&t->fx, cmp_lit_str(&t->fx.a, "300ms")));
	fx_upstream(&t->fx, n2, "n1");
	fx_bind(&t->fx, n2, "s", fx_bd_promise(&t->fx, "n0", "s"));
	fx_wf_output(&t->fx, t->fx.wf, "s", fx_bd_promise(&t->fx, "n2", "s"));
	memset(&res, 0, sizeof(res));
	res.project = "p";
	res.domain = "d";
	res.name = "crash";
	res.closure = t->fx.closure;
	assert_int_equal(prop_engine_submit(e, &res, &err), 0);
	s.kill_after = "n1";
	while (!s.killed && ++steps < 500) {
		int rc = prop_engine_step(e, 10, &err);

		if (!s.killed)
			assert_int_equal(rc, 0);
	}
	assert_true(s.killed);
	assert_int_equal(node_phase_in(s.last, "n0"), 5);
	assert_int_equal(node_phase_in(s.last, "n1"), 2);
	assert_int_not_equal(node_phase_in(s.last, "n2"), 5);
	at_kill = json_deep_copy(s.last);
	assert_int_equal(sb.ops->exec_get(sb.ctx, "p-d-crash", copy_exec, &copy, &err), 0);
	/* kill -9: what is in memory and not committed is lost; the status and the saved outbox remain */
	prop_engine_free(e);
	for (i = 0; i < sink1->n; i++)
		seen[sink1->events[i].seq]++;

	s.killed = false;
	s.kill_after = NULL;
	ks2 = new_state(&s, &sb2);
	assert_int_equal(prop_k8s_state_load(ks2, &copy.row, at_kill, &err), 0);
	for (i = 0; i < s.nev; i++)
		assert_int_equal(prop_k8s_state_load_event(ks2, "p-d-crash", s.ev[i].seq, s.ev[i].kind,
							   s.ev[i].payload, s.ev[i].len, &err), 0);
	/* an event saved by a round whose status PUT never landed is not loaded (it was never sent) */
	{
		size_t before = 0, after = 0;
		uint64_t next = (uint64_t)json_integer_value(json_object_get(json_object_get(at_kill, "flytec"),
									     "eventSeq")) + 1;

		assert_int_equal(sb2.ops->event_each(sb2.ctx, "p-d-crash", count_event, &before, &err), 0);
		assert_int_equal(prop_k8s_state_load_event(ks2, "p-d-crash", next, 1, "x", 1, &err), 0);
		assert_int_equal(sb2.ops->event_each(sb2.ctx, "p-d-crash", count_event, &after, &err), 0);
		assert_int_equal(before, after);
	}
	e = open_engine(t, &sb2, sink2);
	assert_int_equal(prop_engine_resume_all(e, &resumed, &err), 0);
	assert_int_equal(resumed, 1);
	assert_int_equal(prop_engine_run(e, &err), 0);
	assert_int_equal(prop_engine_result(e, "p", "d", "crash", &phase, &t->fx.a, NULL, NULL, &err), 0);
	assert_int_equal(phase, SUCCEEDED);
	/* n0 was not run again: the last status still says attempt 1 */
	assert_int_equal(prop_k8s_nodes_decode(s.last, collect, &r, &err), 0);
	assert_int_equal(row_of(&r, "n0")->attempts, 1);
	assert_int_equal(row_of(&r, "n1")->attempts, 1); /* the sleep was resumed, not started again */
	assert_int_equal(row_of(&r, "n1")->phase, NP_SUCCEEDED);
	assert_int_equal(row_of(&r, "n2")->phase, NP_SUCCEEDED);
	assert_int_equal(json_integer_value(json_object_get(s.last, "phase")), 3);
	/* events: every sequence number reached a sink; repeats only of those not acknowledged before the kill */
	for (i = 0; i < sink2->n; i++)
		seen[sink2->events[i].seq]++;
	last_seq = (uint64_t)json_integer_value(json_object_get(json_object_get(s.last, "flytec"), "eventSeq"));
	assert_true(last_seq > 4 && last_seq < FC_ARRAY_LEN(seen));
	for (i = 1; i <= last_seq; i++)
		if (!seen[i])
			fail_msg("event %zu was lost", i);
	assert_int_equal(s.nev, 0); /* the outbox drained */

	prop_engine_free(e);
	prop_event_sink_free(&sink1->base);
	prop_event_sink_free(&sink2->base);
	prop_k8s_state_free(ks);
	prop_k8s_state_free(ks2);
	json_decref(at_kill);
	free(copy.closure);
	free(copy.inputs);
	free(copy.config);
	sink_release(&s);
}

/*
 * Killed after the final status write while the admin had acknowledged none of the events (the sink refused them
 * all): the terminal status and the saved outbox are what is left. A second engine loads the finished execution
 * from them, runs nothing (not counted as resumed, no status written), sends every event 1..eventSeq in order, and
 * the outbox drains (docs/kubernetes.md: the operator loads finished executions whose outbox is not empty).
 */
static void test_engine_kill_after_final_status(void **state)
{
	struct run *t = *state;
	struct sink s = {0};
	struct prop_state_backend sb, sb2;
	struct prop_k8s_state *ks = new_state(&s, &sb), *ks2;
	struct prop_memory_sink *sink1 = prop_memory_sink_new(), *sink2 = prop_memory_sink_new();
	struct prop_engine *e = open_engine(t, &sb, sink1);
	Flyteidl__Core__TaskTemplate *echo = fx_task(&t->fx, "echo", "echo", "", "", NULL);
	struct prop_workflow_resource res;
	struct exec_copy copy;
	struct fc_err err;
	json_t *at_kill;
	size_t resumed = 99, i;
	unsigned writes;
	int steps = 0;
	uint64_t last_seq;

	fx_task_node(&t->fx, "n0", echo);
	memset(&res, 0, sizeof(res));
	res.project = "p";
	res.domain = "d";
	res.name = "crash";
	res.closure = t->fx.closure;
	sink1->fail_next = 1000000;
	assert_int_equal(prop_engine_submit(e, &res, &err), 0);
	while ((!s.last || json_integer_value(json_object_get(json_object_get(s.last, "flytec"), "phase")) != SUCCEEDED) &&
	       ++steps < 1000)
		assert_int_equal(prop_engine_step(e, 10, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s.last, "flytec"), "phase")), SUCCEEDED);
	assert_int_equal(sink1->n, 0);
	last_seq = (uint64_t)json_integer_value(json_object_get(json_object_get(s.last, "flytec"), "eventSeq"));
	assert_true(last_seq >= 4);
	assert_int_equal(s.nev, last_seq); /* every event is in the saved outbox */
	at_kill = json_deep_copy(s.last);
	assert_int_equal(sb.ops->exec_get(sb.ctx, "p-d-crash", copy_exec, &copy, &err), 0);
	prop_engine_free(e); /* kill -9 */

	ks2 = new_state(&s, &sb2);
	assert_int_equal(prop_k8s_state_load(ks2, &copy.row, at_kill, &err), 0);
	for (i = 0; i < s.nev; i++)
		assert_int_equal(prop_k8s_state_load_event(ks2, "p-d-crash", s.ev[i].seq, s.ev[i].kind,
							   s.ev[i].payload, s.ev[i].len, &err), 0);
	writes = s.writes;
	e = open_engine(t, &sb2, sink2);
	assert_int_equal(prop_engine_resume_all(e, &resumed, &err), 0);
	assert_int_equal(resumed, 0);
	assert_int_equal(prop_engine_run(e, &err), 0);
	assert_int_equal(sink2->n, last_seq);
	for (i = 0; i < sink2->n; i++)
		assert_int_equal(sink2->events[i].seq, i + 1);
	assert_int_equal(s.writes, writes); /* nothing ran: no status written */
	assert_int_equal(s.nev, 0);         /* the outbox drained */

	prop_engine_free(e);
	prop_event_sink_free(&sink1->base);
	prop_event_sink_free(&sink2->base);
	prop_k8s_state_free(ks);
	prop_k8s_state_free(ks2);
	json_decref(at_kill);
	free(copy.closure);
	free(copy.inputs);
	free(copy.config);
	sink_release(&s);
}

/*
 * prop_engine_fail(), as the operator uses it when a status no longer fits: the status that would show the sleep
 * running is refused, and every later one of the running execution (the round rolls back and the engine backs
 * off, retrying that commit); then the engine is asked to fail the execution. The request is taken by the retried
 * commit: the execution ends FAILED with the given error, the running sleep Aborted, the node after it never
 * started, and the workflow event carries the error; the terminal status is written.
 */
static void test_engine_fail_when_status_refused(void **state)
{
	struct run *t = *state;
	struct sink s = {0};
	struct prop_state_backend sb;
	struct prop_k8s_state *ks = new_state(&s, &sb);
	struct prop_memory_sink *sink = prop_memory_sink_new();
	struct prop_engine *e = open_engine(t, &sb, sink);
	Flyteidl__Core__TaskTemplate *echo = fx_task(&t->fx, "echo", "echo", "s:str", "s:str", NULL),
				     *sl = fx_task(&t->fx, "sleep", "sleep", "duration:str", "", NULL);
	Flyteidl__Core__Node *n0 = fx_task_node(&t->fx, "n0", echo), *n1 = fx_task_node(&t->fx, "n1", sl),
			     *n2 = fx_task_node(&t->fx, "n2", echo);
	struct prop_workflow_resource res;
	struct fc_err err;
	struct rows r = {0};
	char *error = NULL;
	int phase = -1, steps = 0;
	bool failed_event = false;
	size_t i;

	fx_bind(&t->fx, n0, "s", fx_bd_lit(&t->fx, cmp_lit_str(&t->fx.a, "hi")));
	fx_upstream(&t->fx, n1, "n0");
	fx_bind(&t->fx, n1, "duration", fx_bd_lit(&t->fx, cmp_lit_str(&t->fx.a, "60s")));
	fx_upstream(&t->fx, n2, "n1");
	fx_bind(&t->fx, n2, "s", fx_bd_promise(&t->fx, "n0", "s"));
	fx_wf_output(&t->fx, t->fx.wf, "s", fx_bd_promise(&t->fx, "n2", "s"));
	memset(&res, 0, sizeof(res));
	res.project = "p";
	res.domain = "d";
	res.name = "big";
	res.closure = t->fx.closure;
	assert_int_equal(prop_engine_submit(e, &res, &err), 0);
	s.refuse_from = "n1";
	while (!s.refused && ++steps < 500)
		prop_engine_step(e, 10, &err);
	assert_true(s.refused > 0);
	assert_int_not_equal(node_phase_in(s.last, "n1"), 2); /* never written: it did not "fit" */
	/* the engine retries the refused commit, which cannot succeed, until it is asked to fail the execution */
	for (steps = 0; steps < 5; steps++)
		prop_engine_step(e, 10, &err);
	assert_true(s.refused > 1);
	assert_true(prop_engine_active(e) == 1);
	assert_int_equal(prop_engine_fail(e, "p", "d", "nope", "StatusTooLarge", "x", &err), FC_ENOENT);
	assert_int_equal(prop_engine_fail(e, "p", "d", "big", "StatusTooLarge", "the status is too big", &err), 0);
	for (steps = 0; prop_engine_active(e) && steps < 500; steps++)
		prop_engine_step(e, 10, &err);
	assert_int_equal(prop_engine_result(e, "p", "d", "big", &phase, &t->fx.a, NULL, &error, &err), 0);
	assert_int_equal(phase, FAILED);
	assert_string_equal(error, "the status is too big");
	/* the terminal status was written, with the message; the sleep aborted, n2 never started */
	assert_int_equal(json_integer_value(json_object_get(s.last, "phase")), 5);
	assert_string_equal(json_string_value(json_object_get(s.last, "message")), "the status is too big");
	assert_int_equal(prop_k8s_nodes_decode(s.last, collect, &r, &err), 0);
	assert_int_equal(row_of(&r, "n0")->phase, NP_SUCCEEDED);
	assert_int_equal(row_of(&r, "n1")->phase, NP_ABORTED);
	assert_true(!row_of(&r, "n2") || row_of(&r, "n2")->phase == NP_NOT_YET_STARTED ||
		    row_of(&r, "n2")->phase == NP_ABORTED);
	/* the workflow event FAILED with the error reached the sink */
	for (i = 0; i < sink->n; i++) {
		Flyteidl__Event__WorkflowExecutionEvent *we;

		if (sink->events[i].kind != PROP_EVENT_WORKFLOW)
			continue;
		we = flyteidl__event__workflow_execution_event__unpack(NULL, sink->events[i].len, sink->events[i].data);
		assert_non_null(we);
		if (we->phase == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED && we->error &&
		    !strcmp(we->error->code, "StatusTooLarge") && !strcmp(we->error->message, "the status is too big"))
			failed_event = true;
		flyteidl__event__workflow_execution_event__free_unpacked(we, NULL);
	}
	assert_true(failed_event);

	free(error);
	prop_engine_free(e);
	prop_event_sink_free(&sink->base);
	prop_k8s_state_free(ks);
	sink_release(&s);
}


/* --- merge-patched status writes (the operator's write_status()) ----------------------------------------------- */

/* RFC 7386 applied, written here independently of kube/mergepatch.c: `target` is stolen, the result is new. */
static json_t *mp_apply(json_t *target, const json_t *patch)
{
	const char *k;
	json_t *v;

	if (!json_is_object(patch)) {
		json_decref(target);
		return json_deep_copy(patch);
	}
	if (!json_is_object(target)) {
		json_decref(target);
		target = json_object();
	}
	json_object_foreach((json_t *)patch, k, v) {
		if (json_is_null(v)) {
			json_object_del(target, k);
		} else {
			json_t *old = json_object_get(target, k);

			json_object_set_new(target, k, mp_apply(old ? json_deep_copy(old) : NULL, v));
		}
	}
	return target;
}

static uint64_t rnd_state;

static uint32_t rnd(uint32_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state % n);
}

/*
 * The patch from `base` to `full`, applied to `base` by mp_apply(), gives exactly `full` (what a PUT writes); and it
 * carries no more than the changes (the members equal in both are left out). Returns the patch's compact size.
 */
static size_t assert_patch_gives(const json_t *base, const json_t *full, unsigned seed, unsigned round)
{
	struct fc_err err;
	json_t *patch = NULL, *got;
	size_t size;

	assert_int_equal(kube_merge_patch_diff(base, full, &patch, &err), 0);
	got = mp_apply(base ? json_deep_copy(base) : NULL, patch);
	if (!json_equal(got, full)) {
		char *a = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS), *b = json_dumps(full, JSON_COMPACT | JSON_SORT_KEYS);

		print_error("seed %u round %u:\n patched %s\n full    %s\n", seed, round, a, b);
		free(a);
		free(b);
		fail();
	}
	size = json_dumpb(patch, NULL, 0, JSON_COMPACT);
	json_decref(got);
	json_decref(patch);
	return size;
}

/*
 * Random rounds through the real backend over every node kind and nesting (task with plugin state, failures with
 * errors, subworkflow, branch arm with its own child, array elements added over time, cached, skipped), with
 * workflow-level changes (phase, error, event number): after each round the merge patch from the previous written
 * status gives the new one exactly; also against bases the operator may hold (a node or a nested node the base has
 * and the new status lacks needs its explicit null; a base without status; a status identical to its base gives
 * {}). A round that changes one node sends a patch much smaller than the status.
 */
static void test_merge_patch_equals_full_status(void **state)
{
	static const char *const codes[] = {NULL, "OOMKilled", "Timeout", "USER:Err"};
	static const int phases[] = {NP_NOT_YET_STARTED, NP_QUEUED, NP_RUNNING, NP_SUCCEEDED, NP_FAILED,
				     NP_SKIPPED, NP_TIMED_OUT, NP_ABORTED};
	static const char *const extra[] = {"fan-0-3", "fan-0-4", "fan-0-5", "sub-0-t2", "br-0-arm-0-inner2", "n2"};
	uint8_t pst[16];
	unsigned seed, round;
	size_t full_bytes = 0, small_patch = 0;

	(void)state;
	for (seed = 1; seed <= 20; seed++) {
		struct sink s = {0};
		struct prop_state_backend sb;
		struct prop_k8s_state *ks = new_state(&s, &sb);
		struct fc_err err;
		json_t *prev = NULL;
		uint64_t seq = 1;
		size_t i;

		rnd_state = 0x9e3779b97f4a7c15ull * seed;
		assert_int_equal(sb.ops->exec_insert(sb.ctx, &EXEC, &err), 0);
		assert_int_equal(sb.ops->begin(sb.ctx, &err), 0);
		for (i = 0; i < FC_ARRAY_LEN(ROWS); i++)
			assert_int_equal(sb.ops->node_put(sb.ctx, EXEC.key, &ROWS[i], &err), 0);
		assert_int_equal(sb.ops->commit(sb.ctx, &err), 0);
		for (round = 0; round < 60; round++) {
			unsigned nchange = round % 10 == 9 ? 1 : 1 + rnd(6);
			json_t *cut, *ns, *victim;

			prev = json_deep_copy(s.last);
			assert_int_equal(sb.ops->begin(sb.ctx, &err), 0);
			for (unsigned c = 0; c < nchange; c++) {
				struct prop_node_row row;
				uint32_t pick = rnd(FC_ARRAY_LEN(ROWS) + FC_ARRAY_LEN(extra));

				if (pick < FC_ARRAY_LEN(ROWS))
					row = ROWS[pick];
				else
					row = (struct prop_node_row){.uid = extra[pick - FC_ARRAY_LEN(ROWS)]};
				row.phase = phases[rnd(FC_ARRAY_LEN(phases))];
				row.attempts = rnd(4);
				row.user_failures = rnd(3);
				row.sys_failures = rnd(3);
				row.started_ns = rnd(2) ? 1700000000000000000 + (int64_t)rnd(1000000) : 0;
				row.attempt_started_ns = rnd(2) ? row.started_ns + 5 : 0;
				row.aux = rnd(4);
				row.pstate_len = rnd(sizeof(pst) + 1);
				for (i = 0; i < row.pstate_len; i++)
					pst[i] = (uint8_t)rnd(256);
				row.pstate = row.pstate_len ? pst : NULL;
				row.error_code = codes[rnd(FC_ARRAY_LEN(codes))];
				row.error_msg = row.error_code ? "went wrong" : NULL;
				row.error_kind = row.error_code ? (int)rnd(3) : 0;
				row.cache_status = (int)rnd(3);
				row.task_phase = rnd(5);
				assert_int_equal(sb.ops->node_put(sb.ctx, EXEC.key, &row, &err), 0);
			}
			if (rnd(3) == 0)
				assert_int_equal(sb.ops->exec_update(sb.ctx, EXEC.key, rnd(2) ? RUNNING : FAILED,
								     rnd(2) ? "stop" : NULL, rnd(2) ? "boom" : NULL,
								     seq += rnd(3), &err), 0);
			assert_int_equal(sb.ops->commit(sb.ctx, &err), 0);
			/* the acknowledged base is the previous status: the patch gives the new one */
			if (nchange == 1 && round % 10 == 9) {
				size_t p = assert_patch_gives(prev, s.last, seed, round);

				full_bytes = json_dumpb(s.last, NULL, 0, JSON_COMPACT);
				assert_true(p * 2 < full_bytes); /* one node changed: far less than the whole status */
				small_patch = p;
			} else {
				assert_patch_gives(prev, s.last, seed, round);
			}
			/* a base with a node (top level or nested) the new status lacks: removed with an explicit null */
			cut = json_deep_copy(s.last);
			ns = json_object_get(cut, "nodeStatus");
			victim = rnd(2) ? ns : json_object_get(json_object_get(ns, "fan"), "subNodeStatus");
			if (json_object_size(victim)) {
				void *it = json_object_iter(victim);

				for (unsigned skip = rnd((uint32_t)json_object_size(victim)); skip; skip--)
					it = json_object_iter_next(victim, it);
				json_object_del(victim, json_object_iter_key(it));
			}
			assert_patch_gives(s.last, cut, seed, round);
			assert_patch_gives(cut, s.last, seed, round);
			json_decref(cut);
			json_decref(prev);
		}
		/* no base at all, and a base equal to the status */
		assert_patch_gives(NULL, s.last, seed, round);
		{
			json_t *same = NULL;

			assert_int_equal(kube_merge_patch_diff(s.last, s.last, &same, &err), 0);
			assert_int_equal(json_object_size(same), 0);
			json_decref(same);
		}
		prop_k8s_state_free(ks);
		sink_release(&s);
	}
	print_message("merge patch: one node changed: %zu bytes of a %zu-byte status\n", small_patch, full_bytes);
}

/* What a merge patch cannot say is refused (then the operator PUTs): a null to set; and nesting is bounded. */
static void test_merge_patch_refusals(void **state)
{
	struct fc_err err;
	json_t *from = json_pack("{s:i}", "a", 1), *to = json_pack("{s:n}", "a"), *patch = NULL, *deep, *cur;
	int d;

	(void)state;
	assert_int_equal(kube_merge_patch_diff(from, to, &patch, &err), FC_EINVAL);
	assert_null(patch);
	json_decref(to);
	to = json_pack("{s:{s:[n]}}", "b", "c");
	assert_int_equal(kube_merge_patch_diff(from, to, &patch, &err), FC_EINVAL);
	json_decref(to);
	/* arrays are replaced whole */
	to = json_pack("{s:i, s:[i,i]}", "a", 1, "l", 1, 2);
	assert_int_equal(kube_merge_patch_diff(from, to, &patch, &err), 0);
	json_decref(to);
	to = json_pack("{s:[i,i]}", "l", 1, 2);
	assert_true(json_equal(patch, to));
	json_decref(patch);
	json_decref(to);
	deep = json_object();
	cur = deep;
	for (d = 0; d < KUBE_MERGE_PATCH_MAX_DEPTH + 5; d++) {
		json_t *n = json_object();

		json_object_set_new(cur, "x", n);
		cur = n;
	}
	patch = NULL;
	assert_int_equal(kube_merge_patch_diff(from, deep, &patch, &err), FC_ELIMIT);
	assert_null(patch);
	json_decref(deep);
	json_decref(from);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_every_kind),
		cmocka_unit_test(test_decode_flyte_shaped),
		cmocka_unit_test(test_bad_status),
		cmocka_unit_test(test_rollback_and_outbox_order),
		cmocka_unit_test(test_merge_patch_equals_full_status),
		cmocka_unit_test(test_merge_patch_refusals),
		cmocka_unit_test_setup_teardown(test_engine_kill_and_resume, run_setup, run_teardown),
		cmocka_unit_test_setup_teardown(test_engine_fail_when_status_refused, run_setup, run_teardown),
		cmocka_unit_test_setup_teardown(test_engine_kill_after_final_status, run_setup, run_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
