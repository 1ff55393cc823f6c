/*
 * test_prop_cache.c: cache serialization (Flyte's cache_serializable). Identical cacheable tasks (same cache key)
 * that would run at the same time run once: one holds the key's reservation in the catalog and runs, the others
 * wait and reuse its outputs. Within one engine, across engines of two processes, when the owner fails (a waiter
 * takes over) and when the owner's process dies (its reservation counts as released).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_prop_fixture.h"

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>

#define SUCCEEDED FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDED
#define FAILED FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED

struct t {
	struct fx fx;
	char *dir;
	struct prop_engine *e;
	char path[512];
};

static int setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));

	fx_init(&t->fx);
	t->dir = fx_tmpdir();
	t->e = fx_engine(t->dir, NULL);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	prop_engine_free(t->e);
	fx_rmrf(t->dir);
	free(t->dir);
	fx_release(&t->fx);
	free(t);
	return 0;
}

static const char *tpath(struct t *t, const char *name)
{
	snprintf(t->path, sizeof(t->path), "%s/%s", t->dir, name);
	return t->path;
}

/* A cached task "work" (x:int -> y:int = x + 1) running `script` with sh; serializable or not. */
static Flyteidl__Core__TaskTemplate *work_task(struct fx *fx, const char *script, bool serializable)
{
	const char *argv[4] = {"/bin/sh", "-c", NULL, NULL};
	Flyteidl__Core__TaskTemplate *task;

	argv[2] = fc_arena_strdup(&fx->a, script);
	task = fx_task(fx, "work", "container", "x:int", "y:int", argv);
	fx_task_cache(task, "1.0");
	task->metadata->cache_serializable = serializable;
	return task;
}

/* `n` nodes n0.. of `task` with x bound to the workflow input x; outputs y0.. */
static void work_nodes(struct fx *fx, const Flyteidl__Core__TaskTemplate *task, int n)
{
	char id[16], out[16];
	int i;

	for (i = 0; i < n; i++) {
		Flyteidl__Core__Node *node;

		snprintf(id, sizeof(id), "n%d", i);
		snprintf(out, sizeof(out), "y%d", i);
		node = fx_task_node(fx, id, task);
		fx_bind(fx, node, "x", fx_bd_promise(fx, "start-node", "x"));
		fx_wf_output(fx, fx->wf, out, fx_bd_promise(fx, id, "y"));
	}
}

static Flyteidl__Core__LiteralMap *x_input(struct fx *fx, int64_t x)
{
	Flyteidl__Core__LiteralMap *in = cmp_litmap_new(&fx->a);

	cmp_litmap_put(&fx->a, in, "x", cmp_lit_int(&fx->a, x));
	return in;
}

static void work_script(struct t *t, struct fc_buf *b, const char *tag, double sleep_s)
{
	fc_buf_addf(b, "echo %s >> %s/ran; sleep %.2f; echo $(( {{.inputs.x}} + 1 )) > $FLYTE_OUTPUT_DIR/y", tag,
		    t->dir, sleep_s);
}

/* Four identical serializable tasks in one execution: one runs, three reuse its outputs. */
static void test_one_engine(void **state)
{
	struct t *t = *state;
	struct fx *fx = &t->fx;
	struct fc_buf script = FC_BUF_INIT;
	Flyteidl__Core__LiteralMap *out = NULL;
	struct prop_stats st;
	char name[8];
	int i;

	work_script(t, &script, "run", 0.3);
	work_nodes(fx, work_task(fx, script.buf, true), 4);
	assert_int_equal(fx_run_exec(fx, t->e, "s1", x_input(fx, 1), 0, &out, NULL), SUCCEEDED);
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "y%d", i);
		assert_int_equal(fx_int(out, name), 2);
	}
	assert_int_equal(fx_count_lines(tpath(t, "ran"), "run"), 1);
	prop_engine_stats(t->e, &st);
	assert_int_equal(st.cache_hits, 3);
	assert_int_equal(st.tasks_started, 1);
	fc_buf_release(&script);
}

/* Without cache_serializable the four run at the same time (each misses): what serialization saves. */
static void test_not_serializable(void **state)
{
	struct t *t = *state;
	struct fx *fx = &t->fx;
	struct fc_buf script = FC_BUF_INIT;
	Flyteidl__Core__LiteralMap *out = NULL;

	work_script(t, &script, "run", 0.3);
	work_nodes(fx, work_task(fx, script.buf, false), 4);
	assert_int_equal(fx_run_exec(fx, t->e, "s1", x_input(fx, 1), 0, &out, NULL), SUCCEEDED);
	assert_int_equal(fx_count_lines(tpath(t, "ran"), "run"), 4);
	fc_buf_release(&script);
}

/* The owner fails: a waiter takes the reservation over and runs; the last one reuses that result. */
static void test_owner_fails(void **state)
{
	struct t *t = *state;
	struct fx *fx = &t->fx;
	struct fc_buf script = FC_BUF_INIT;
	struct prop_stats st;

	/* The first run fails (it creates the marker), the next ones succeed. */
	fc_buf_addf(&script,
		    "if mkdir %s/marker 2>/dev/null; then sleep 0.3; echo boom >&2; exit 1; fi; echo run >> %s/ran; "
		    "echo $(( {{.inputs.x}} + 1 )) > $FLYTE_OUTPUT_DIR/y",
		    t->dir, t->dir);
	work_nodes(fx, work_task(fx, script.buf, true), 3);
	fx->wf->metadata->on_failure =
		FLYTEIDL__CORE__WORKFLOW_METADATA__ON_FAILURE_POLICY__FAIL_AFTER_EXECUTABLE_NODES_COMPLETE;
	assert_int_equal(fx_run_exec(fx, t->e, "f1", x_input(fx, 1), 0, NULL, NULL), FAILED);
	assert_int_equal(fx_count_lines(tpath(t, "ran"), "run"), 1);
	prop_engine_stats(t->e, &st);
	assert_int_equal(st.tasks_started, 2);
	assert_int_equal(st.cache_hits, 1);
	fc_buf_release(&script);
}

/* Run execution `name` of fx's closure in a child process with its own engine on `dir`; exits 0 on success. */
static pid_t run_in_child(struct fx *fx, const char *dir, const char *name, int64_t x)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct prop_engine *e = fx_engine(dir, NULL);
		int phase = fx_run_exec(fx, e, name, x_input(fx, x), 0, NULL, NULL);

		prop_engine_free(e);
		_exit(phase == SUCCEEDED ? 0 : 1);
	}
	return pid;
}

static void wait_lines(const char *path, const char *line, int n)
{
	struct timespec tick = {0, 10000000L};
	int i;

	for (i = 0; i < 1000 && fx_count_lines(path, line) < n; i++)
		nanosleep(&tick, NULL);
	assert_true(fx_count_lines(path, line) >= n);
}

/* Another process computes the key: this engine waits for it and reuses its entry. */
static void test_two_processes(void **state)
{
	struct t *t = *state;
	struct fx *fx = &t->fx;
	struct fc_buf script = FC_BUF_INIT;
	Flyteidl__Core__LiteralMap *out = NULL;
	struct prop_stats st;
	int status;
	pid_t pid;

	work_script(t, &script, "run", 1.0);
	work_nodes(fx, work_task(fx, script.buf, true), 1);
	pid = run_in_child(fx, t->dir, "a", 1);
	wait_lines(tpath(t, "ran"), "run", 1); /* the child holds the reservation and runs */
	assert_int_equal(fx_run_exec(fx, t->e, "b", x_input(fx, 1), 0, &out, NULL), SUCCEEDED);
	assert_int_equal(fx_int(out, "y0"), 2);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(fx_count_lines(tpath(t, "ran"), "run"), 1);
	prop_engine_stats(t->e, &st);
	assert_int_equal(st.cache_hits, 1);
	assert_int_equal(st.tasks_started, 0);
	fc_buf_release(&script);
}

/* The owner's process is killed: its reservation counts as released, this engine takes it over and runs. */
static void test_dead_owner(void **state)
{
	struct t *t = *state;
	struct fx *fx = &t->fx, other;
	struct fc_buf script = FC_BUF_INIT, lock = FC_BUF_INIT, pidtext = FC_BUF_INIT;
	Flyteidl__Core__LiteralMap *out = NULL;
	struct timespec t0, t1;
	int status;
	pid_t pid;

	/* The child's task would run for 30 s; this process's task has the same cache key (same task id, version
	 * and interface) but finishes at once. */
	work_script(t, &script, "slow", 30);
	fx_init(&other);
	work_nodes(&other, work_task(&other, script.buf, true), 1);
	pid = run_in_child(&other, t->dir, "a", 1);
	wait_lines(tpath(t, "ran"), "slow", 1);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* Its task lives on (that is crash safety); stop it. */
	fc_buf_addf(&lock, "%s/p-d-a/attempts.log", t->dir);
	assert_int_equal(fc_buf_read_file(&pidtext, lock.buf, 1 << 20, NULL), 0);
	assert_non_null(strstr(pidtext.buf, "P n0/0 "));
	assert_true(atoi(strstr(pidtext.buf, "P n0/0 ") + 7) > 0);
	killpg(atoi(strstr(pidtext.buf, "P n0/0 ") + 7), SIGKILL);

	fc_buf_reset(&script);
	work_script(t, &script, "fast", 0);
	work_nodes(fx, work_task(fx, script.buf, true), 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(fx_run_exec(fx, t->e, "b", x_input(fx, 1), 0, &out, NULL), SUCCEEDED);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(fx_int(out, "y0"), 2);
	assert_int_equal(fx_count_lines(tpath(t, "ran"), "fast"), 1);
	assert_true(t1.tv_sec - t0.tv_sec < 10);
	fc_buf_release(&script);
	fc_buf_release(&lock);
	fc_buf_release(&pidtext);
	fx_release(&other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_engine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_serializable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_owner, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
