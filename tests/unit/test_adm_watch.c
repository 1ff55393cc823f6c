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

static const struct adm_file_status *status_of(struct fixture *f, const char *path)
{
	struct adm_file_status *files;
	struct fc_err err;
	size_t n, i;

	assert_int_equal(adm_file_status_list(f->s, false, &f->a, &files, &n, &err), 0);
	for (i = 0; i < n; i++)
		if (!strcmp(files[i].path, path))
			return &files[i];
	return NULL;
}

/* 19.3d: a spec saved while the store cannot write is shown as failed meanwhile and registered once it can. */
static void test_store_full_then_retry(void **state)
{
	struct fixture *f = *state;
	const struct adm_file_status *st;
	struct fc_err err;
	int i;

	adm_store_fault_arm(0, true);
	write_file(f, "new.yaml", "project: demo\ntasks:\n  - name: fresh\n    container: {image: alpine}\n");
	for (i = 0; i < 50; i++) {
		assert_int_equal(adm_watch_poll(f->w, 100, &err), 0); /* a full disk is not an error of the loop */
		st = status_of(f, "new.yaml");
		if (st)
			break;
	}
	assert_non_null(st);
	assert_false(st->ok);
	assert_non_null(strstr(st->diagnostics_text, "error[StoreUnavailable]"));
	assert_int_equal(versions(f, ADM_TASK, "fresh"), 0);
	/* still failing a while: nothing registered, nothing lost */
	assert_int_equal(adm_watch_poll(f->w, 300, &err), 0);
	assert_true(adm_store_fault_hits() > 1);
	adm_store_fault_disarm();
	for (i = 0; i < 100 && versions(f, ADM_TASK, "fresh") == 0; i++)
		assert_int_equal(adm_watch_poll(f->w, 100, &err), 0);
	assert_int_equal(versions(f, ADM_TASK, "fresh"), 1);
	st = status_of(f, "new.yaml");
	assert_non_null(st);
	assert_true(st->ok);
}

/* Every write of a scan fails in turn: the repository is registered whole or not at all, and the next scan
 * registers it. */
static void test_scan_write_faults(void **state)
{
	struct fixture *f = *state;
	unsigned long hits = 1;
	long n;

	for (n = 0; hits; n++) {
		struct adm_watch_options o;
		struct adm_store *s;
		struct adm_watch *w;
		struct fc_err err;
		char path[128];
		size_t t, wf, lp;

		assert_true(n < 2000);
		snprintf(path, sizeof(path), "%s/fault%ld.db", f->dir, n);
		assert_int_equal(adm_store_open(path, &s, &err), 0);
		memset(&o, 0, sizeof(o));
		o.repo = f->repo;
		assert_int_equal(adm_watch_new(s, &o, &w, &err), 0);
		adm_store_fault_arm(n, false);
		assert_int_equal(adm_watch_scan(w, &err), 0);
		hits = adm_store_fault_hits();
		adm_store_fault_disarm();
		{
			struct adm_store *keep = f->s;

			f->s = s;
			t = versions(f, ADM_TASK, "t");
			wf = versions(f, ADM_WORKFLOW, "w");
			lp = versions(f, ADM_LAUNCH_PLAN, "l");
			assert_true((t == 1 && wf == 1 && lp == 1 && active_version(f)) ||
				    (t == 0 && wf == 0 && lp == 0));
			assert_int_equal(adm_watch_scan(w, &err), 0);
			assert_int_equal(versions(f, ADM_TASK, "t"), 1);
			assert_int_equal(versions(f, ADM_WORKFLOW, "w"), 1);
			assert_non_null(active_version(f));
			assert_non_null(status_of(f, "wf.yaml"));
			assert_true(status_of(f, "wf.yaml")->ok);
			f->s = keep;
		}
		adm_watch_free(w);
		adm_store_free(s);
		unlink(path);
	}
	assert_true(n > 2);
}

/* A file registers all of its entities or none: a task next to a broken workflow is not registered. */
static void test_file_all_or_nothing(void **state)
{
	struct fixture *f = *state;
	const struct adm_file_status *st;
	uint64_t b = batches(f);

	write_file(f, "mixed.yaml", "project: demo\ntasks:\n  - name: lone\n    container: {image: alpine}\n"
				    "workflows:\n  - name: mw\n    nodes:\n      - {id: n, task: missing}\n");
	wait_batches(f, b, 1);
	st = status_of(f, "mixed.yaml");
	assert_non_null(st);
	assert_false(st->ok);
	assert_int_equal(versions(f, ADM_TASK, "lone"), 0);
	assert_int_equal(versions(f, ADM_WORKFLOW, "mw"), 0);
	/* fixed: both register */
	b = batches(f);
	write_file(f, "mixed.yaml", "project: demo\ntasks:\n  - name: lone\n    container: {image: alpine}\n"
				    "workflows:\n  - name: mw\n    nodes:\n      - {id: n, task: lone}\n");
	wait_batches(f, b, 1);
	assert_true(status_of(f, "mixed.yaml")->ok);
	assert_int_equal(versions(f, ADM_TASK, "lone"), 1);
	assert_int_equal(versions(f, ADM_WORKFLOW, "mw"), 1);
}

/* 19.6: a symbolic link out of the repository is not read; its status names the link, never the content. */
static void test_symlink_escape(void **state)
{
	struct fixture *f = *state;
	const struct adm_file_status *st = NULL;
	char target[128], link[160];
	struct fc_err err;
	FILE *fp;
	int i;

	snprintf(target, sizeof(target), "%s/secret.yaml", f->dir);
	fp = fopen(target, "w");
	assert_non_null(fp);
	fputs("root:x:0:0:SECRET-FIRST-LINE\n", fp);
	fclose(fp);
	snprintf(link, sizeof(link), "%s/pw.yaml", f->repo);
	assert_int_equal(symlink(target, link), 0);
	for (i = 0; i < 50 && !st; i++) {
		assert_int_equal(adm_watch_poll(f->w, 100, &err), 0);
		st = status_of(f, "pw.yaml");
	}
	assert_non_null(st);
	assert_false(st->ok);
	assert_non_null(strstr(st->diagnostics_text, "pw.yaml: error[ExternalLink]"));
	assert_null(strstr(st->diagnostics_text, "SECRET"));
	assert_null(strstr(st->diagnostics_text, "root:x"));
	/* a link inside the repository is followed */
	assert_int_equal(symlink("tasks.yaml", link), -1); /* exists */
	unlink(link);
	assert_int_equal(symlink("tasks.yaml", link), 0);
	for (i = 0; i < 50; i++) {
		assert_int_equal(adm_watch_poll(f->w, 100, &err), 0);
		st = status_of(f, "pw.yaml");
		if (st && st->ok)
			break;
	}
	assert_true(st && st->ok);
}

/* Plain inotify: two watchers in one process follow their own repositories (libinotifytools allowed one). */
static void test_two_watchers(void **state)
{
	struct fixture *f = *state;
	struct adm_watch_options o;
	struct adm_store *s2, *keep;
	struct adm_watch *w2;
	struct fc_err err;
	char repo2[128], path[160];
	FILE *fp;
	int i;

	snprintf(repo2, sizeof(repo2), "%s/repo2", f->dir);
	assert_int_equal(mkdir(repo2, 0755), 0);
	snprintf(path, sizeof(path), "%s/second.db", f->dir);
	assert_int_equal(adm_store_open(path, &s2, &err), 0);
	memset(&o, 0, sizeof(o));
	o.repo = repo2;
	o.debounce_ms = 20;
	assert_int_equal(adm_watch_new(s2, &o, &w2, &err), 0);
	assert_int_equal(adm_watch_start(w2, &err), 0);
	assert_int_equal(adm_watch_scan(w2, &err), 0);
	snprintf(path, sizeof(path), "%s/other.yaml", repo2);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("project: demo\ntasks:\n  - name: other\n    container: {image: alpine}\n", fp);
	fclose(fp);
	write_file(f, "mine.yaml", "project: demo\ntasks:\n  - name: mine\n    container: {image: alpine}\n");
	keep = f->s;
	for (i = 0; i < 50; i++) {
		assert_int_equal(adm_watch_poll(w2, 50, &err), 0);
		assert_int_equal(adm_watch_poll(f->w, 50, &err), 0);
		f->s = s2;
		if (versions(f, ADM_TASK, "other") == 1) {
			f->s = keep;
			if (versions(f, ADM_TASK, "mine") == 1)
				break;
		}
		f->s = keep;
	}
	f->s = s2;
	assert_int_equal(versions(f, ADM_TASK, "other"), 1);
	assert_int_equal(versions(f, ADM_TASK, "mine"), 0); /* each store has its own repository's entities */
	f->s = keep;
	assert_int_equal(versions(f, ADM_TASK, "mine"), 1);
	assert_int_equal(versions(f, ADM_TASK, "other"), 0);
	adm_watch_free(w2);
	adm_store_free(s2);
}

/* --include / --exclude (PCRE2 over the path in the repository): excluded files are neither compiled nor shown. */
static void test_include_exclude(void **state)
{
	struct fixture *f = *state;
	struct adm_watch_options o;
	struct adm_store *s2, *keep = f->s;
	struct adm_watch *w2;
	struct fc_err err;
	char path[160];
	int i;

	snprintf(path, sizeof(path), "%s/drafts", f->repo);
	assert_int_equal(mkdir(path, 0755), 0);
	write_file(f, "drafts/broken.yaml", wf_broken);
	write_file(f, "extra.yaml", "project: demo\ntasks:\n  - name: extra\n    container: {image: alpine}\n");
	memset(&o, 0, sizeof(o));
	o.repo = f->repo;
	o.exclude = "(^drafts/|^extra)";
	o.include = "[.]yaml$";
	snprintf(path, sizeof(path), "%s/sel.db", f->dir);
	assert_int_equal(adm_store_open(path, &s2, &err), 0);
	/* an invalid expression is refused with its position */
	o.include = "(unclosed";
	assert_int_equal(adm_watch_new(s2, &o, &w2, &err), FC_EINVAL);
	assert_non_null(strstr(err.msg, "--include '(unclosed'"));
	o.include = "[.]yaml$";
	assert_int_equal(adm_watch_new(s2, &o, &w2, &err), 0);
	assert_int_equal(adm_watch_start(w2, &err), 0);
	assert_int_equal(adm_watch_scan(w2, &err), 0);
	f->s = s2;
	assert_null(status_of(f, "drafts/broken.yaml"));
	assert_null(status_of(f, "extra.yaml"));
	assert_non_null(status_of(f, "wf.yaml"));
	assert_int_equal(versions(f, ADM_TASK, "extra"), 0);
	assert_int_equal(versions(f, ADM_TASK, "t"), 1);
	/* a later change to an excluded file is ignored; an included one is compiled */
	write_file(f, "drafts/late.yaml", "project: demo\ntasks:\n  - name: late\n    container: {image: alpine}\n");
	write_file(f, "kept.yaml", "project: demo\ntasks:\n  - name: kept\n    container: {image: alpine}\n");
	for (i = 0; i < 50 && versions(f, ADM_TASK, "kept") == 0; i++)
		assert_int_equal(adm_watch_poll(w2, 100, &err), 0);
	assert_int_equal(versions(f, ADM_TASK, "kept"), 1);
	assert_int_equal(versions(f, ADM_TASK, "late"), 0);
	assert_null(status_of(f, "drafts/late.yaml"));
	f->s = keep;
	adm_watch_free(w2);
	adm_store_free(s2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dependants_recompiled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_keeps_last_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_writer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_full_then_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_write_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_escape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_watchers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_include_exclude, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
