/*
 * test_prop_resume.c: crash safety. A 200-node random DAG of tasks that each append their node id to a file runs
 * in a child process that is SIGKILLed at random points and started again (resume), until it finishes; every
 * task must have succeeded exactly once. Repeated 20 times.
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

#define NODES 200
#define RUNS 20

static void build_dag(struct fx *fx, const char *dir, unsigned seed)
{
	struct fc_buf script = FC_BUF_INIT;
	const char *argv[4] = {"/bin/sh", "-c", NULL, NULL};
	Flyteidl__Core__TaskTemplate *task;
	char id[16], up[16];
	int i;

	fc_buf_addf(&script, "echo $FLYTE_INTERNAL_NODE_ID >> %s/ran", dir);
	argv[2] = fc_arena_strdup(&fx->a, script.buf);
	task = fx_task(fx, "append", "container", "", "", argv);
	srand(seed);
	for (i = 0; i < NODES; i++) {
		Flyteidl__Core__Node *n;
		int k, nup = i ? rand() % 3 : 0;

		snprintf(id, sizeof(id), "n%d", i);
		n = fx_task_node(fx, id, task);
		for (k = 0; k < nup; k++) {
			snprintf(up, sizeof(up), "n%d", rand() % i);
			fx_upstream(fx, n, up);
		}
	}
	fc_buf_release(&script);
}

/* The child: submit (first time) or resume, then run. Exit 0 when the execution is finished. */
static void child_main(struct fx *fx, const char *dir, bool first)
{
	struct prop_engine *e = fx_engine(dir, NULL);
	struct fc_err err;
	size_t resumed = 0;

	if (first) {
		struct prop_workflow_resource res;

		memset(&res, 0, sizeof(res));
		res.project = "p";
		res.domain = "d";
		res.name = "kill";
		res.closure = fx->closure;
		res.config.max_parallelism = 16;
		if (prop_engine_submit(e, &res, &err) && err.code != FC_EEXIST) {
			fprintf(stderr, "submit: %s\n", err.msg);
			_exit(3);
		}
	}
	if (prop_engine_resume_all(e, &resumed, &err)) {
		fprintf(stderr, "resume: %s\n", err.msg);
		_exit(4);
	}
	if (prop_engine_run(e, &err)) {
		fprintf(stderr, "run: %s\n", err.msg);
		_exit(5);
	}
	prop_engine_free(e);
	_exit(0);
}

static void one_run(unsigned seed)
{
	struct fx fx;
	char *dir = fx_tmpdir();
	struct fc_buf ran = FC_BUF_INIT;
	struct prop_engine *e;
	struct fc_err err;
	int phase = -1, kills = 0, i, status;
	bool finished = false;
	char id[16];

	fx_init(&fx);
	build_dag(&fx, dir, seed);
	srand(seed * 7919u + 1);
	while (!finished) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0)
			child_main(&fx, dir, true); /* submit is refused (EEXIST) once it exists */
		if (kills < (getenv("KILLS") ? atoi(getenv("KILLS")) : 8)) {
			struct timespec ts = {0, (long)(rand() % 200) * 1000000L + 20000000L};

			nanosleep(&ts, NULL);
			kill(pid, SIGKILL);
			kills++;
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (WIFEXITED(status)) {
			assert_int_equal(WEXITSTATUS(status), 0);
			finished = true;
		}
	}
	/* The execution succeeded and every task ran exactly once. */
	e = fx_engine(dir, NULL);
	assert_int_equal(prop_engine_result(e, "p", "d", "kill", &phase, &fx.a, NULL, NULL, &err), 0);
	assert_int_equal(phase, FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDED);
	prop_engine_free(e);
	fc_buf_addf(&ran, "%s/ran", dir);
	assert_int_equal(fx_count_lines(ran.buf, NULL), NODES);
	for (i = 0; i < NODES; i++) {
		snprintf(id, sizeof(id), "n%d", i);
		if (fx_count_lines(ran.buf, id) != 1)
			fail_msg("seed %u: node %s ran %d times (%d kills)", seed, id, fx_count_lines(ran.buf, id), kills);
	}
	fc_buf_release(&ran);
	fx_rmrf(dir);
	free(dir);
	fx_release(&fx);
}

static void test_kill_and_resume(void **state)
{
	unsigned seed;

	(void)state;
	for (seed = 1; seed <= RUNS; seed++)
		one_run(seed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_and_resume),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
