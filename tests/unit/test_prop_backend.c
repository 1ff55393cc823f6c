/*
 * test_prop_backend.c: the engine's two interfaces (propeller/backend.h). The engine runs a workflow with its
 * state in a backend of the test's own (memory, no sqlite file) and its tasks through a runtime of the test's own
 * (which counts what it is asked), and a backend whose transactions fail for a while (a full disk) makes the
 * engine back off and lose nothing.
 */
#include "test_prop_fixture.h"

#include "plugins/registry.h"
#include "propeller/backend.h"
#include "propeller/store.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#define SUCCEEDED FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDED
#define NODE_SUCCEEDED 3 /* enum prop_node_phase (engine_int.h) */

/* --- a state backend in memory --------------------------------------------------------------------------- */

struct mem_node {
	char uid[64];
	int phase;
	uint32_t attempts;
};

struct mem_state {
	char key[128];
	int phase;
	bool have_exec;
	struct mem_node nodes[16];
	size_t nnodes;
	uint64_t events_added, deleted_upto;
	unsigned begins, commits, fail_begins, failed;
};

static int mem_begin(void *ctx, struct fc_err *err)
{
	struct mem_state *m = ctx;

	m->begins++;
	if (m->fail_begins) {
		m->fail_begins--;
		m->failed++;
		return fc_err_set(err, FC_EUNAVAILABLE, "memory state: no space left (injected)");
	}
	return FC_OK;
}

static int mem_commit(void *ctx, struct fc_err *err)
{
	(void)err;
	((struct mem_state *)ctx)->commits++;
	return FC_OK;
}

static void mem_rollback(void *ctx)
{
	(void)ctx;
}

static int mem_exec_insert(void *ctx, const struct prop_exec_row *row, struct fc_err *err)
{
	struct mem_state *m = ctx;

	if (m->have_exec)
		return fc_err_set(err, FC_EEXIST, "taken");
	snprintf(m->key, sizeof(m->key), "%s", row->key);
	m->phase = row->phase;
	m->have_exec = true;
	return FC_OK;
}

static int mem_exec_update(void *ctx, const char *key, int phase, const char *abort_reason, const char *error,
			   uint64_t event_seq, struct fc_err *err)
{
	struct mem_state *m = ctx;

	(void)abort_reason;
	(void)error;
	(void)event_seq;
	if (!m->have_exec || strcmp(m->key, key))
		return fc_err_set(err, FC_ENOENT, "no %s", key);
	m->phase = phase;
	return FC_OK;
}

static int mem_exec_get(void *ctx, const char *key, void (*cb)(void *data, const struct prop_exec_row *row),
			void *data, struct fc_err *err)
{
	struct mem_state *m = ctx;
	struct prop_exec_row row;

	if (!m->have_exec || strcmp(m->key, key))
		return fc_err_set(err, FC_ENOENT, "no %s", key);
	memset(&row, 0, sizeof(row));
	row.key = m->key;
	row.phase = m->phase;
	cb(data, &row);
	return FC_OK;
}

static int mem_exec_each_active(void *ctx, void (*cb)(void *data, const struct prop_exec_row *row), void *data,
				struct fc_err *err)
{
	(void)ctx;
	(void)cb;
	(void)data;
	(void)err;
	return FC_OK; /* nothing to resume in these tests */
}

static int mem_node_put(void *ctx, const char *exec_key, const struct prop_node_row *row, struct fc_err *err)
{
	struct mem_state *m = ctx;
	size_t i;

	(void)exec_key;
	for (i = 0; i < m->nnodes && strcmp(m->nodes[i].uid, row->uid); i++)
		;
	if (i == m->nnodes) {
		if (m->nnodes == FC_ARRAY_LEN(m->nodes))
			return fc_err_set(err, FC_ELIMIT, "too many nodes");
		snprintf(m->nodes[m->nnodes++].uid, sizeof(m->nodes[0].uid), "%s", row->uid);
	}
	m->nodes[i].phase = row->phase;
	m->nodes[i].attempts = row->attempts;
	return FC_OK;
}

static int mem_node_each(void *ctx, const char *exec_key, void (*cb)(void *data, const struct prop_node_row *row),
			 void *data, struct fc_err *err)
{
	(void)ctx;
	(void)exec_key;
	(void)cb;
	(void)data;
	(void)err;
	return FC_OK;
}

static int mem_event_add(void *ctx, const char *exec_key, uint64_t seq, int kind, const void *payload, size_t len,
			 struct fc_err *err)
{
	struct mem_state *m = ctx;

	(void)exec_key;
	(void)kind;
	(void)payload;
	(void)len;
	(void)err;
	if (seq > m->events_added)
		m->events_added = seq;
	return FC_OK;
}

static int mem_event_each(void *ctx, const char *exec_key,
			  void (*cb)(void *data, uint64_t seq, int kind, const void *payload, size_t len), void *data,
			  struct fc_err *err)
{
	(void)ctx;
	(void)exec_key;
	(void)cb;
	(void)data;
	(void)err;
	return FC_OK;
}

static int mem_event_delete_upto(void *ctx, const char *exec_key, uint64_t seq, struct fc_err *err)
{
	(void)exec_key;
	(void)err;
	((struct mem_state *)ctx)->deleted_upto = seq;
	return FC_OK;
}

static const struct prop_state_backend_ops mem_ops = {
	.name = "memory",
	.begin = mem_begin,
	.commit = mem_commit,
	.rollback = mem_rollback,
	.exec_insert = mem_exec_insert,
	.exec_update = mem_exec_update,
	.exec_get = mem_exec_get,
	.exec_each_active = mem_exec_each_active,
	.node_put = mem_node_put,
	.node_each = mem_node_each,
	.event_add = mem_event_add,
	.event_each = mem_event_each,
	.event_delete_upto = mem_event_delete_upto,
};

static const struct mem_node *mem_find(const struct mem_state *m, const char *uid)
{
	size_t i;

	for (i = 0; i < m->nnodes; i++)
		if (!strcmp(m->nodes[i].uid, uid))
			return &m->nodes[i];
	return NULL;
}

/* --- a task runtime that counts, over the built-in plugins ------------------------------------------------- */

struct count_runtime {
	struct plg_registry *plugins;
	unsigned plugin_asks, prepares;
	char last_type[32];
};

static const struct plg_plugin *count_plugin_for(void *ctx, const char *task_type)
{
	struct count_runtime *r = ctx;

	r->plugin_asks++;
	snprintf(r->last_type, sizeof(r->last_type), "%s", task_type);
	return plg_registry_find(r->plugins, task_type);
}

static int count_prepare(void *ctx, const char *sandbox_dir, size_t existing_len, struct fc_err *err)
{
	((struct count_runtime *)ctx)->prepares++;
	return prop_mkdirs_below(sandbox_dir, existing_len, err);
}

static const struct prop_task_runtime_ops count_ops = {
	.name = "counting",
	.plugin_for = count_plugin_for,
	.prepare_attempt = count_prepare,
};

/* --- fixture ------------------------------------------------------------------------------------------------ */

struct t {
	struct fx fx;
	char *dir;
	struct prop_memory_sink *sink;
	struct mem_state mem;
	struct prop_state_backend sb;
	struct count_runtime rt;
	struct prop_task_runtime runtime;
	struct prop_engine *e;
};

static int setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));
	struct prop_config cfg;
	struct fc_err err;

	fx_init(&t->fx);
	t->dir = fx_tmpdir();
	t->sink = prop_memory_sink_new();
	t->sb.ops = &mem_ops;
	t->sb.ctx = &t->mem;
	t->rt.plugins = plg_registry_new();
	t->runtime.ops = &count_ops;
	t->runtime.ctx = &t->rt;
	memset(&cfg, 0, sizeof(cfg));
	cfg.data_dir = t->dir;
	cfg.sink = &t->sink->base;
	cfg.state = &t->sb;
	cfg.runtime = &t->runtime;
	if (prop_engine_open(&cfg, &t->e, &err)) {
		fprintf(stderr, "engine: %s\n", err.msg);
		return -1;
	}
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	prop_engine_free(t->e);
	plg_registry_free(t->rt.plugins);
	prop_event_sink_free(&t->sink->base);
	fx_rmrf(t->dir);
	free(t->dir);
	fx_release(&t->fx);
	free(t);
	return 0;
}

/* Two echo tasks, n1 after n0. */
static void two_echoes(struct fx *fx)
{
	Flyteidl__Core__TaskTemplate *echo = fx_task(fx, "echo", "echo", "s:str", "s:str", NULL);
	Flyteidl__Core__Node *n0 = fx_task_node(fx, "n0", echo), *n1 = fx_task_node(fx, "n1", echo);

	fx_bind(fx, n0, "s", fx_bd_lit(fx, cmp_lit_str(&fx->a, "hello")));
	fx_bind(fx, n1, "s", fx_bd_promise(fx, "n0", "s"));
	fx_wf_output(fx, fx->wf, "s", fx_bd_promise(fx, "n1", "s"));
}

/* Events delivered to the sink: 1..n, each once, in order. */
static void assert_events_complete(const struct prop_memory_sink *sink, uint64_t n)
{
	size_t i;

	assert_int_equal(sink->n, n);
	for (i = 0; i < sink->n; i++)
		assert_int_equal(sink->events[i].seq, i + 1);
}

/* The whole run goes through the test's state backend and runtime: no sqlite file, every node state, every event. */
static void test_custom_backend_and_runtime(void **state)
{
	struct t *t = *state;
	Flyteidl__Core__LiteralMap *out = NULL;
	char path[600];
	struct stat st;

	two_echoes(&t->fx);
	assert_int_equal(fx_run_exec(&t->fx, t->e, "mem", NULL, 0, &out, NULL), SUCCEEDED);
	assert_string_equal(fx_str(out, "s"), "hello");
	snprintf(path, sizeof(path), "%s/propeller.db", t->dir);
	assert_int_not_equal(stat(path, &st), 0);
	assert_int_equal(t->mem.phase, SUCCEEDED);
	assert_non_null(mem_find(&t->mem, "n0"));
	assert_non_null(mem_find(&t->mem, "n1"));
	assert_int_equal(mem_find(&t->mem, "n0")->phase, NODE_SUCCEEDED);
	assert_int_equal(mem_find(&t->mem, "n1")->phase, NODE_SUCCEEDED);
	assert_int_equal(mem_find(&t->mem, "n1")->attempts, 1);
	assert_true(t->mem.commits > 0);
	/* every event was persisted, delivered, then deleted from the outbox */
	assert_true(t->mem.events_added > 0);
	assert_int_equal(t->mem.deleted_upto, t->mem.events_added);
	assert_events_complete(t->sink, t->mem.events_added);
	/* the runtime chose the plugin and prepared each attempt */
	assert_true(t->rt.plugin_asks >= 2);
	assert_string_equal(t->rt.last_type, "echo");
	assert_int_equal(t->rt.prepares, 2);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* State writes fail for a while (a full disk): the engine reports it, backs off (20, 40, 80, 160 ms...), runs no
 * node meanwhile, and once writes work again the execution completes with every event delivered once. */
static void test_state_failures_back_off(void **state)
{
	struct t *t = *state;
	struct prop_workflow_resource res;
	struct fc_err err;
	int64_t start, elapsed;
	unsigned errors = 0;
	int phase = -1;

	two_echoes(&t->fx);
	memset(&res, 0, sizeof(res));
	res.project = "p";
	res.domain = "d";
	res.name = "full";
	res.closure = t->fx.closure;
	assert_int_equal(prop_engine_submit(t->e, &res, &err), 0);
	t->mem.fail_begins = 5;
	start = mono_ms();
	/* prop_engine_run() returns each failure; called again, it waits out the back-off and tries again */
	while (prop_engine_run(t->e, &err) && ++errors < 20)
		assert_int_equal(err.code, FC_EUNAVAILABLE);
	elapsed = mono_ms() - start;
	assert_int_equal(t->mem.failed, 5);
	assert_int_equal(errors, 5);
	/* backed off: 20 + 40 + 80 + 160 + 320 ms between the tries, not a spin */
	assert_true(elapsed >= 600);
	assert_true(t->mem.begins < 40);
	assert_int_equal(prop_engine_result(t->e, "p", "d", "full", &phase, &t->fx.a, NULL, NULL, &err), 0);
	assert_int_equal(phase, SUCCEEDED);
	assert_int_equal(mem_find(&t->mem, "n0")->phase, NODE_SUCCEEDED);
	assert_int_equal(mem_find(&t->mem, "n1")->phase, NODE_SUCCEEDED);
	assert_int_equal(mem_find(&t->mem, "n0")->attempts, 1);
	assert_int_equal(t->mem.deleted_upto, t->mem.events_added);
	assert_events_complete(t->sink, t->mem.events_added);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_custom_backend_and_runtime, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_failures_back_off, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
