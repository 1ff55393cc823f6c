/*
 * test_prop_resume.c: crash safety. A 200-node random DAG of tasks that each append their node id to a file runs
 * in a child process that is SIGKILLed at random points and started again (resume), until it finishes; every
 * task must have succeeded exactly once. Repeated 20 times.
 *
 * The kill points are random points of the run's progress, not of the clock (which would depend on the speed of
 * the machine and of the build): for each of the KILLS (default 8) kills of a run, a random number of tasks that
 * must have run before it (sorted, so they spread over the whole run; 0 kills during start-up), then a random
 * delay of up to 3 ms (so a kill lands anywhere in the engine's round: spawning, committing, delivering events).
 * Most kills must interrupt the run (checked), so the test cannot pass by finishing before the kills.
 * MONITORS=1 runs the tasks through a monitor process per attempt instead of the supervisor; KILLS=n changes the
 * number of kills per run; SEED=n starts the seeds at n (20 other runs).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_prop_fixture.h"

#include "plugins/launcher.h"

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
	struct prop_engine *e;
	struct fc_err err;
	size_t resumed = 0;

	if (getenv("MONITORS"))
		plg_launcher_use_supervisor(false); /* a monitor forked per attempt instead */
	e = fx_engine(dir, NULL);

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

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Wait until `path` has at least `lines` lines or the child `pid` has exited (then returns false, the status in
 * *status). */
static bool wait_progress(const char *path, int lines, pid_t pid, int *status)
{
	struct timespec tick = {0, 500000L};

	for (;;) {
		if (fx_count_lines(path, NULL) >= lines)
			return true;
		if (waitpid(pid, status, WNOHANG) == pid)
			return false;
		nanosleep(&tick, NULL);
	}
}

static int effective_kills;

static void one_run(unsigned seed)
{
	struct fx fx;
	char *dir = fx_tmpdir();
	struct fc_buf ran = FC_BUF_INIT;
	struct prop_engine *e;
	struct fc_err err;
	int phase = -1, kills = 0, max_kills, i, status;
	int targets[64];
	bool finished = false;
	char id[16];

	fx_init(&fx);
	build_dag(&fx, dir, seed);
	fc_buf_addf(&ran, "%s/ran", dir);
	srand(seed * 7919u + 1);
	max_kills = getenv("KILLS") ? atoi(getenv("KILLS")) : 8;
	if (max_kills < 0 || max_kills > (int)FC_ARRAY_LEN(targets))
		max_kills = 8;
	for (i = 0; i < max_kills; i++)
		targets[i] = rand() % NODES;
	qsort(targets, (size_t)max_kills, sizeof(targets[0]), cmp_int);
	while (!finished) {
		pid_t pid = fork();
		bool exited = false;

		assert_true(pid >= 0);
		if (pid == 0)
			child_main(&fx, dir, true); /* submit is refused (EEXIST) once it exists */
		if (kills < max_kills) {
			struct timespec delay = {0, (long)(rand() % 3000) * 1000L};

			if (wait_progress(ran.buf, targets[kills], pid, &status)) {
				nanosleep(&delay, NULL);
				kill(pid, SIGKILL);
			} else {
				exited = true;
			}
			kills++;
		}
		if (!exited)
			assert_int_equal(waitpid(pid, &status, 0), pid);
		if (WIFSIGNALED(status))
			effective_kills++;
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
	unsigned first = getenv("SEED") ? (unsigned)atoi(getenv("SEED")) : 1, seed;

	(void)state;
	for (seed = first; seed < first + RUNS; seed++)
		one_run(seed);
	/* The kills interrupted runs (a kill whose target was reached in the last round may find it finished). */
	fprintf(stderr, "%d runs, %d kills interrupted a run\n", RUNS, effective_kills);
	if (!getenv("KILLS"))
		assert_true(effective_kills >= RUNS * 8 * 3 / 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_and_resume),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
