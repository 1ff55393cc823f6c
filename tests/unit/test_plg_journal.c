/* test_plg_journal.c: the attempt journal (plugins/journal.h): only the first claim of an attempt counts, also
 * between processes racing for it; readers take complete lines only; a runner's liveness is its pid and start
 * time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "plugins/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/flytec-journal-XXXXXX";
static char path[256];

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, PLG_JOURNAL_FILE);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

static void append_raw(const char *text)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_claim_start_end(void **state)
{
	struct plg_journal *w, *w2, *r;
	const struct plg_attempt_rec *rec;

	(void)state;
	unlink(path);
	r = plg_journal_open(path, false); /* before the file exists */
	plg_journal_refresh(r);
	assert_null(plg_journal_get(r, "n0/0"));
	w = plg_journal_open(path, true);
	w2 = plg_journal_open(path, true); /* another runner, its own index */
	assert_non_null(w);
	assert_non_null(w2);
	assert_int_equal(plg_journal_claim(w, "n0/0"), 0);
	assert_int_equal(plg_journal_claim(w2, "n0/0"), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(plg_journal_claim(w, "n0/0"), -1); /* not twice by the same one either */
	assert_int_equal(plg_journal_claim(w2, "n0/1"), 0);  /* the next attempt is another key */
	assert_int_equal(plg_journal_started(w, "n0/0", 4242), 0);

	plg_journal_refresh(r);
	rec = plg_journal_get(r, "n0/0");
	assert_non_null(rec);
	assert_int_equal(rec->runner, getpid());
	assert_int_equal(rec->task, 4242);
	assert_string_equal(rec->end, "");
	assert_true(plg_attempt_runner_alive(rec));

	assert_int_equal(plg_journal_ended(w, "n0/0", "exit 3"), 0);
	plg_journal_refresh(r);
	assert_string_equal(plg_journal_get(r, "n0/0")->end, "exit 3");
	plg_journal_close(w);
	plg_journal_close(w2);
	plg_journal_close(r);
}

/* A line being written (no newline yet) is not read; garbage lines are skipped; a later claim of a key already
 * claimed does not replace the first. */
static void test_partial_and_bad_lines(void **state)
{
	struct plg_journal *r;
	const struct plg_attempt_rec *rec;

	(void)state;
	unlink(path);
	append_raw("C a/0 1 5\nnonsense\nX a/0 1\nC a/0 2 6\nE a/0 exi");
	r = plg_journal_open(path, false);
	plg_journal_refresh(r);
	rec = plg_journal_get(r, "a/0");
	assert_non_null(rec);
	assert_int_equal(rec->runner, 1);
	assert_int_equal(rec->runner_start, 5);
	assert_string_equal(rec->end, "");
	append_raw("t 0\n");
	plg_journal_refresh(r);
	assert_string_equal(plg_journal_get(r, "a/0")->end, "exit 0");
	plg_journal_close(r);
}

/* A runner whose pid is gone, or whose pid now has another start time, is not alive. */
static void test_runner_alive(void **state)
{
	struct plg_attempt_rec rec;
	pid_t pid;
	int status;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	assert_false(plg_attempt_runner_alive(&rec));
	rec.runner = getpid();
	rec.runner_start = plg_proc_start(getpid());
	assert_true(rec.runner_start > 0);
	assert_true(plg_attempt_runner_alive(&rec));
	rec.runner_start++;
	assert_false(plg_attempt_runner_alive(&rec));
	pid = fork();
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	rec.runner = pid;
	rec.runner_start = 1;
	assert_false(plg_attempt_runner_alive(&rec));
}

/* 8 processes race to claim the same 200 attempts: each is claimed exactly once. */
static void test_racing_claims(void **state)
{
	struct plg_journal *r;
	char key[32];
	pid_t pids[8];
	int i, k, status;

	(void)state;
	unlink(path);
	for (i = 0; i < 8; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct plg_journal *w = plg_journal_open(path, true);

			for (k = 0; w && k < 200; k++) {
				snprintf(key, sizeof(key), "n%d/0", k);
				if (plg_journal_claim(w, key) == 0)
					plg_journal_ended(w, key, "exit 0");
			}
			_exit(w ? 0 : 1);
		}
	}
	for (i = 0; i < 8; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_int_equal(status, 0);
	}
	r = plg_journal_open(path, false);
	plg_journal_refresh(r);
	for (k = 0; k < 200; k++) {
		snprintf(key, sizeof(key), "n%d/0", k);
		assert_non_null(plg_journal_get(r, key));
	}
	assert_int_equal(r->recs.size, 200);
	plg_journal_close(r);
	/* Count the claims in the file: one per key. */
	{
		FILE *f = fopen(path, "r");
		char line[128];
		int claims = 0, ends = 0;

		assert_non_null(f);
		while (fgets(line, sizeof(line), f)) {
			claims += line[0] == 'C';
			ends += line[0] == 'E';
		}
		fclose(f);
		assert_int_equal(claims, 200);
		assert_int_equal(ends, 200);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_claim_start_end),
		cmocka_unit_test(test_partial_and_bad_lines),
		cmocka_unit_test(test_runner_alive),
		cmocka_unit_test(test_racing_claims),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
