/* test_adm_watch.c: the repository watcher in-process: scan, dependants recompiled, broken files, deletes, and a
 * file written slowly (never compiled half-written). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "admin-lite/query.h"
#include "admin-lite/store.h"
#include "admin-lite/watch.h"
#include "core/arena.h"
#include "core/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
	char dir[64];
	char repo[96];
	struct adm_store *s;
	struct adm_watch *w;
	struct fc_arena a;
};

static const char tasks_v1[] = "project: demo\ntasks:\n  - name: t\n    inputs: {x: integer}\n    outputs: {y: integer}\n"
			       "    container: {image: alpine, command: [sh, -c, 'echo 1']}\n";
static const char tasks_v2[] = "project: demo\ntasks:\n  - name: t\n    inputs: {x: integer}\n    outputs: {y: integer}\n"
			       "    container: {image: alpine, command: [sh, -c, 'echo 2']}\n";
static const char wf_ok[] = "project: demo\nworkflows:\n  - name: w\n    inputs: {x: integer}\n    outputs: {y: !ref n.y}\n"
			    "    nodes:\n      - {id: n, task: t, inputs: {x: !ref inputs.x}}\n"
			    "launch_plans:\n  - {name: l, workflow: w, active: true}\n";
static const char wf_broken[] = "project: demo\nworkflows:\n  - name: w\n    nodes:\n      - {id: n, task: missing}\n";

static void write_file(struct fixture *f, const char *rel, const char *text)
{
	char path[160];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->repo, rel);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct adm_watch_options o;
	char path[128];
	struct fc_err err;

	snprintf(f->dir, sizeof(f->dir), "/tmp/adm_watch_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->repo, sizeof(f->repo), "%s/repo", f->dir);
	assert_int_equal(mkdir(f->repo, 0755), 0);
	snprintf(path, sizeof(path), "%s/admin.db", f->dir);
	assert_int_equal(adm_store_open(path, &f->s, &err), 0);
	fc_arena_init(&f->a, 0);
	write_file(f, "tasks.yaml", tasks_v1);
	write_file(f, "wf.yaml", wf_ok);
	memset(&o, 0, sizeof(o));
	o.repo = f->repo;
	o.debounce_ms = 20;
	assert_int_equal(adm_watch_new(f->s, &o, &f->w, &err), 0);
	assert_int_equal(adm_watch_start(f->w, &err), 0);
	assert_int_equal(adm_watch_scan(f->w, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	adm_watch_free(f->w);
	adm_store_free(f->s);
	fc_arena_release(&f->a);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static size_t versions(struct fixture *f, enum adm_kind kind, const char *name)
{
	struct adm_query q = {"demo", "development", name, NULL, NULL, false, 0, NULL};
	struct adm_entity *list;
	struct fc_err err;
	char *token;
	size_t n;

	assert_int_equal(adm_entity_list(f->s, kind, &q, &f->a, &list, &n, &token, &err), 0);
	return n;
}

/* Poll until `batches` compiles have happened since `before` (or fail after ~5 s). */
static void wait_batches(struct fixture *f, uint64_t before, uint64_t batches)
{
	struct adm_watch_stats st;
	struct fc_err err;
	int i;

	for (i = 0; i < 50; i++) {
		assert_int_equal(adm_watch_poll(f->w, 100, &err), 0);
		adm_watch_get_stats(f->w, &st);
		if (st.batches >= before + batches)
			return;
	}
	fail_msg("no batch after 5 s (batches %llu, wanted %llu)", (unsigned long long)st.batches,
		 (unsigned long long)(before + batches));
}

static uint64_t batches(struct fixture *f)
{
	struct adm_watch_stats st;

	adm_watch_get_stats(f->w, &st);
	return st.batches;
}

static const char *active_version(struct fixture *f)
{
	struct adm_id id = {"demo", "development", "l", NULL};
	struct adm_entity e;
	struct fc_err err;

	if (adm_launch_plan_get_active(f->s, &id, &f->a, &e, &err))
		return NULL;
	return e.id.version;
}

static void test_scan(void **state)
{
	struct fixture *f = *state;
	struct adm_file_status *files;
	struct fc_err err;
	size_t n;

	assert_int_equal(versions(f, ADM_TASK, "t"), 1);
	assert_int_equal(versions(f, ADM_WORKFLOW, "w"), 1);
	assert_non_null(active_version(f));
	assert_int_equal(adm_file_status_list(f->s, false, &f->a, &files, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_true(files[0].ok && files[1].ok);
}

static void test_dependants_recompiled(void **state)
{
	struct fixture *f = *state;
	const char *lp1 = active_version(f);
	uint64_t b = batches(f);

	write_file(f, "tasks.yaml", tasks_v2);
	wait_batches(f, b, 1);
	assert_int_equal(versions(f, ADM_TASK, "t"), 2);
	assert_int_equal(versions(f, ADM_WORKFLOW, "w"), 2); /* it embeds the task: a new version */
	assert_non_null(active_version(f));
	assert_string_not_equal(active_version(f), lp1);
}

static void test_broken_keeps_last_good(void **state)
{
	struct fixture *f = *state;
	char *lp1 = fc_arena_strdup(&f->a, active_version(f));
	struct adm_file_status *files;
	struct fc_err err;
	uint64_t b = batches(f);
	char path[160];
	size_t n;

	write_file(f, "wf.yaml", wf_broken);
	wait_batches(f, b, 1);
	assert_int_equal(adm_file_status_list(f->s, true, &f->a, &files, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(files[0].path, "wf.yaml");
	assert_non_null(strstr(files[0].diagnostics_text, "wf.yaml:5:"));
	assert_string_equal(active_version(f), lp1);
	/* deleting it deactivates its launch plans; versions stay */
	b = batches(f);
	write_file(f, "wf.yaml", wf_ok);
	wait_batches(f, b, 1);
	assert_int_equal(adm_file_status_list(f->s, true, &f->a, &files, &n, &err), 0);
	assert_int_equal(n, 0);
	snprintf(path, sizeof(path), "%s/wf.yaml", f->repo);
	assert_int_equal(unlink(path), 0);
	for (int i = 0; i < 50 && active_version(f); i++)
		assert_int_equal(adm_watch_poll(f->w, 100, &err), 0);
	assert_null(active_version(f));
	assert_int_equal(versions(f, ADM_LAUNCH_PLAN, "l"), 1);
}

static void test_slow_writer(void **state)
{
	struct fixture *f = *state;
	struct adm_file_status *files;
	char path[160];
	struct fc_err err;
	uint64_t b = batches(f);
	size_t n;
	FILE *fp;
	int i;

	snprintf(path, sizeof(path), "%s/slow.yaml", f->repo);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fwrite("project: demo\ntasks:\n  - name: s\n", 1, 33, fp);
	fflush(fp);
	/* half a file, longer than the debounce: nothing is compiled until it is closed */
	for (i = 0; i < 5; i++)
		assert_int_equal(adm_watch_poll(f->w, 30, &err), 0);
	assert_int_equal(batches(f), b);
	fputs("    container: {image: alpine}\n", fp);
	fclose(fp);
	wait_batches(f, b, 1);
	assert_int_equal(adm_file_status_list(f->s, true, &f->a, &files, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(versions(f, ADM_TASK, "s"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dependants_recompiled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_keeps_last_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_writer, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
