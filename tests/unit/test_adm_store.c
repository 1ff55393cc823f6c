/* test_adm_store.c: admin-lite's sqlite store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "admin-lite/query.h"
#include "admin-lite/store.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fixture {
	char dir[64];
	char path[128];
	struct adm_store *s;
	struct fc_arena a;
	int64_t clock;
};

static int64_t fake_now(void *ctx)
{
	struct fixture *f = ctx;

	return f->clock += 1000;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct fc_err err;

	snprintf(f->dir, sizeof(f->dir), "/tmp/adm_store_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/admin.db", f->dir);
	assert_int_equal(adm_store_open(f->path, &f->s, &err), 0);
	f->clock = 1700000000LL * 1000000000LL;
	adm_store_set_clock(f->s, fake_now, f);
	fc_arena_init(&f->a, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[256];

	adm_store_free(f->s);
	fc_arena_release(&f->a);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static struct adm_entity entity(enum adm_kind kind, const char *name, const char *version, const char *spec)
{
	struct adm_entity e;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.id.project = "flytesnacks";
	e.id.domain = "development";
	e.id.name = name;
	e.id.version = version;
	e.spec = (const uint8_t *)spec;
	e.spec_len = strlen(spec);
	return e;
}

static void test_open_migrate_reopen(void **state)
{
	struct fixture *f = *state;
	struct fc_err err;

	assert_int_equal(adm_store_schema_version(f->s), ADM_SCHEMA_VERSION);
	adm_store_free(f->s);
	assert_int_equal(adm_store_open(f->path, &f->s, &err), 0);
	adm_store_set_clock(f->s, fake_now, f);
	assert_int_equal(adm_store_schema_version(f->s), ADM_SCHEMA_VERSION);
	assert_true(adm_domain_exists(f->s, "production"));
	assert_false(adm_domain_exists(f->s, "nope"));
}

/* Migration 7: a store of schema 6 (the scheduler's state and slot log as rowid tables with key indexes) opens at
 * the current version with the same rows, the two tables keyed by their primary key alone, the waiting queue's
 * index back, and the scheduler's reads and writes working on them. */
static void test_migration_7_from_a_version_6_file(void **state)
{
	struct fixture *f = *state;
	const struct adm_id lp = {"flytesnacks", "development", "nightly", NULL};
	struct adm_slot row = {3000, ADM_SLOT_FIRED, false, "x3", "", 0, 0}, got, *list;
	struct fc_err err;
	sqlite3_stmt *st;
	sqlite3 *db;
	size_t n;
	int rowid_tables = 0, without_rowid = 0, waiting_index = 0;

	adm_store_free(f->s);
	f->s = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "DROP TABLE schedule_state; DROP TABLE schedule_slots;"
				      "CREATE TABLE schedule_state(project TEXT NOT NULL, domain TEXT NOT NULL, name TEXT NOT "
				      "NULL, last_slot INTEGER NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY(project, "
				      "domain, name));"
				      "CREATE TABLE schedule_slots(project TEXT NOT NULL, domain TEXT NOT NULL, name TEXT NOT "
				      "NULL, slot INTEGER NOT NULL, outcome INTEGER NOT NULL, waiting INTEGER NOT NULL DEFAULT "
				      "0, execution TEXT, detail TEXT NOT NULL DEFAULT '', parallel INTEGER NOT NULL DEFAULT 0, "
				      "recorded_at INTEGER NOT NULL, PRIMARY KEY(project, domain, name, slot));"
				      "CREATE INDEX schedule_slots_waiting ON schedule_slots(project, domain, name, slot) "
				      "WHERE waiting = 1;"
				      "INSERT INTO schedule_state VALUES('flytesnacks','development','nightly',2000,5);"
				      "INSERT INTO schedule_slots VALUES('flytesnacks','development','nightly',1000,0,0,'x1','',"
				      "0,5),('flytesnacks','development','nightly',2000,3,1,NULL,'waits for x1',0,6);"
				      "PRAGMA user_version = 6;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(adm_store_open(f->path, &f->s, &err), 0);
	adm_store_set_clock(f->s, fake_now, f);
	assert_int_equal(adm_store_schema_version(f->s), 7);
	assert_int_equal(ADM_SCHEMA_VERSION, 7);
	/* the rows came across */
	assert_int_equal(adm_schedule_last_slot(f->s, &lp), 2000);
	assert_int_equal(adm_schedule_slot_get(f->s, &lp, 1000, &f->a, &got, &err), 0);
	assert_string_equal(got.execution, "x1");
	assert_int_equal(adm_schedule_slot_list(f->s, &lp, true, 10, &f->a, &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].slot, 2000);
	assert_string_equal(list[0].detail, "waits for x1");
	/* and the store writes and reads them as before */
	assert_int_equal(adm_schedule_advance(f->s, &lp, 3000, &err), 0);
	assert_int_equal(adm_schedule_advance(f->s, &lp, 3000, &err), FC_EEXIST);
	assert_int_equal(adm_schedule_slot_put(f->s, &lp, &row, &err), 0);
	assert_int_equal(adm_schedule_last_slot(f->s, &lp), 3000);
	assert_int_equal(adm_schedule_slot_list(f->s, &lp, false, 10, &f->a, &list, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(list[0].slot, 3000);
	assert_string_equal(list[0].execution, "x3");

	/* the shape: both tables WITHOUT ROWID, the queue's index present, no table named *_v7 left */
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT type, name, sql FROM sqlite_schema WHERE tbl_name LIKE "
						"'schedule_s%'", -1, &st, NULL),
			 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);
		const char *sql = (const char *)sqlite3_column_text(st, 2);

		assert_null(strstr(name, "_v7"));
		if (!strcmp(type, "table") && (!strcmp(name, "schedule_state") || !strcmp(name, "schedule_slots"))) {
			rowid_tables++;
			without_rowid += sql && strstr(sql, "WITHOUT ROWID") != NULL;
		}
		waiting_index += !strcmp(name, "schedule_slots_waiting");
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_int_equal(rowid_tables, 2);
	assert_int_equal(without_rowid, 2);
	assert_int_equal(waiting_index, 1);
}

static void test_names(void **state)
{
	struct fc_err err;

	(void)state;
	assert_int_equal(adm_check_project("flyte-snacks1", &err), 0);
	assert_int_equal(adm_check_project("Flyte", &err), FC_EINVAL);
	assert_int_equal(adm_check_project("-a", &err), FC_EINVAL);
	assert_int_equal(adm_check_project("a_b", &err), FC_EINVAL);
	assert_int_equal(adm_check_project("", &err), FC_EINVAL);
	assert_int_equal(adm_check_name("name", "my.workflow_1", &err), 0);
	assert_int_equal(adm_check_name("name", "../etc/passwd", &err), FC_EINVAL);
	assert_int_equal(adm_check_name("name", "a/b", &err), FC_EINVAL);
	assert_int_equal(adm_check_name("name", "a b", &err), FC_EINVAL);
	assert_int_equal(adm_check_name("name", ".hidden", &err), FC_EINVAL);
	assert_int_equal(adm_check_name("name", "x'; DROP TABLE entities;--", &err), FC_EINVAL);
	assert_non_null(strstr(err.msg, "not allowed"));
}

static void test_register_idempotent_and_conflict(void **state)
{
	struct fixture *f = *state;
	struct adm_entity e = entity(ADM_TASK, "t1", "v1", "AAAA"), got, existing;
	struct fc_err err;
	bool created;

	assert_int_equal(adm_entity_register(f->s, &e, &created, &f->a, NULL, &err), 0);
	assert_true(created);
	assert_int_equal(adm_entity_register(f->s, &e, &created, &f->a, NULL, &err), 0);
	assert_false(created);
	e.spec = (const uint8_t *)"BBBB";
	assert_int_equal(adm_entity_register(f->s, &e, &created, &f->a, &existing, &err), FC_ECONFLICT);
	assert_non_null(strstr(err.msg, "different content"));
	assert_memory_equal(existing.spec, "AAAA", 4);
	/* the stored version is unchanged */
	assert_int_equal(adm_entity_get(f->s, ADM_TASK, &e.id, &f->a, &got, &err), 0);
	assert_memory_equal(got.spec, "AAAA", 4);
	/* a new version is fine; "latest" finds it */
	e.id.version = "v2";
	assert_int_equal(adm_entity_register(f->s, &e, &created, &f->a, NULL, &err), 0);
	e.id.version = NULL;
	assert_int_equal(adm_entity_get(f->s, ADM_TASK, &e.id, &f->a, &got, &err), 0);
	assert_string_equal(got.id.version, "v2");
	/* the project was created on the way */
	{
		struct adm_project p;

		assert_int_equal(adm_project_get(f->s, "flytesnacks", &f->a, &p, &err), 0);
	}
	/* unknown domain, bad names */
	e = entity(ADM_TASK, "t1", "v1", "AAAA");
	e.id.domain = "qa";
	assert_int_equal(adm_entity_register(f->s, &e, &created, &f->a, NULL, &err), FC_EINVAL);
	e = entity(ADM_TASK, "../x", "v1", "AAAA");
	assert_int_equal(adm_entity_register(f->s, &e, &created, &f->a, NULL, &err), FC_EINVAL);
	e = entity(ADM_WORKFLOW, "t1", "v1", "AAAA");
	assert_int_equal(adm_entity_register(f->s, &e, &created, &f->a, NULL, &err), 0);
	assert_true(created); /* same id, different kind */
}

static void test_list_filters_pages(void **state)
{
	struct fixture *f = *state;
	struct adm_query q = {0};
	struct adm_entity *list;
	const char **names;
	size_t n, total = 0;
	char *token = NULL, versions[64][8];
	struct fc_err err;
	bool created;
	int i;

	for (i = 0; i < 25; i++) {
		struct adm_entity e;

		snprintf(versions[i], sizeof(versions[i]), "v%02d", i);
		e = entity(ADM_WORKFLOW, i % 2 ? "odd" : "even", versions[i], versions[i]);
		assert_int_equal(adm_entity_register(f->s, &e, &created, &f->a, NULL, &err), 0);
	}
	q.project = "flytesnacks";
	q.domain = "development";
	q.limit = 10;
	do {
		q.token = token;
		assert_int_equal(adm_entity_list(f->s, ADM_WORKFLOW, &q, &f->a, &list, &n, &token, &err), 0);
		total += n;
	} while (token);
	assert_int_equal(total, 25);
	/* newest first by default */
	q.token = NULL;
	q.limit = 1;
	assert_int_equal(adm_entity_list(f->s, ADM_WORKFLOW, &q, &f->a, &list, &n, &token, &err), 0);
	assert_string_equal(list[0].id.version, "v24");
	assert_string_equal(token, "1");
	/* filters and sorting */
	q.limit = 100;
	q.name = "odd";
	q.filters = "gte(version,v10)+contains(version,1)";
	q.sort_key = "version";
	q.sort_asc = true;
	assert_int_equal(adm_entity_list(f->s, ADM_WORKFLOW, &q, &f->a, &list, &n, &token, &err), 0);
	assert_int_equal(n, 6); /* v11 v13 v15 v17 v19 v21 */
	assert_string_equal(list[0].id.version, "v11");
	assert_null(token);
	q.filters = "value_in(version,v01;v03;v04)";
	assert_int_equal(adm_entity_list(f->s, ADM_WORKFLOW, &q, &f->a, &list, &n, &token, &err), 0);
	assert_int_equal(n, 2);
	q.filters = "eq(version,x' OR 1=1 --)";
	assert_int_equal(adm_entity_list(f->s, ADM_WORKFLOW, &q, &f->a, &list, &n, &token, &err), 0);
	assert_int_equal(n, 0);
	q.filters = "gte(created_at,2023-11-14T23:13:20+01:00)+lt(created_at,2100-01-01T00:00:00.5-05:30)";
	assert_int_equal(adm_entity_list(f->s, ADM_WORKFLOW, &q, &f->a, &list, &n, &token, &err), 0);
	assert_int_equal(n, 12); /* '+' inside a time offset does not split the filter */
	q.filters = "eq(name,odd)+";
	assert_int_equal(adm_entity_list(f->s, ADM_WORKFLOW, &q, &f->a, &list, &n, &token, &err), FC_EINVAL);
	q.filters = "value_in(version,)";
	assert_int_equal(adm_entity_list(f->s, ADM_WORKFLOW, &q, &f->a, &list, &n, &token, &err), FC_EINVAL);
	q.filters = "contains(version,%)";
	assert_int_equal(adm_entity_list(f->s, ADM_WORKFLOW, &q, &f->a, &list, &n, &token, &err), 0);
	assert_int_equal(n, 0); /* '%' is matched literally */
	q.filters = "gte(created_at,2023-11-14T22:13:20Z)";
	assert_int_equal(adm_entity_list(f->s, ADM_WORKFLOW, &q, &f->a, &list, &n, &token, &err), 0);
	assert_int_equal(n, 12); /* every odd version */
	/* errors */
	q.filters = "eq(password,x)";
	assert_int_equal(adm_entity_list(f->s, ADM_WORKFLOW, &q, &f->a, &list, &n, &token, &err), FC_EINVAL);
	assert_non_null(strstr(err.msg, "cannot filter on 'password'"));
	q.filters = "like(name,x)";
	assert_int_equal(adm_entity_list(f->s, ADM_WORKFLOW, &q, &f->a, &list, &n, &token, &err), FC_EINVAL);
	q.filters = "eq(name";
	assert_int_equal(adm_entity_list(f->s, ADM_WORKFLOW, &q, &f->a, &list, &n, &token, &err), FC_EINVAL);
	q.filters = "gte(created_at,yesterday)";
	assert_int_equal(adm_entity_list(f->s, ADM_WORKFLOW, &q, &f->a, &list, &n, &token, &err), FC_EINVAL);
	q.filters = NULL;
	q.sort_key = "1; DROP TABLE entities";
	assert_int_equal(adm_entity_list(f->s, ADM_WORKFLOW, &q, &f->a, &list, &n, &token, &err), FC_EINVAL);
	q.sort_key = NULL;
	q.token = "-3";
	assert_int_equal(adm_entity_list(f->s, ADM_WORKFLOW, &q, &f->a, &list, &n, &token, &err), FC_EINVAL);
	q.token = NULL;
	q.limit = ADM_LIMIT_MAX + 1;
	assert_int_equal(adm_entity_list(f->s, ADM_WORKFLOW, &q, &f->a, &list, &n, &token, &err), FC_ELIMIT);
	/* names */
	q.limit = 1;
	q.name = NULL;
	assert_int_equal(adm_entity_names(f->s, ADM_WORKFLOW, &q, &f->a, &names, &n, &token, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "even");
	assert_string_equal(token, "1");
}

static void test_launch_plan_activation(void **state)
{
	struct fixture *f = *state;
	struct adm_entity e = entity(ADM_LAUNCH_PLAN, "lp", "v1", "one"), got;
	struct adm_id name = {"flytesnacks", "development", "lp", NULL};
	struct fc_err err;
	bool created;
	size_t n;

	e.source = "specs/lp.yaml";
	assert_int_equal(adm_entity_register(f->s, &e, &created, &f->a, NULL, &err), 0);
	e.id.version = "v2";
	e.spec = (const uint8_t *)"two";
	assert_int_equal(adm_entity_register(f->s, &e, &created, &f->a, NULL, &err), 0);
	assert_int_equal(adm_launch_plan_get_active(f->s, &name, &f->a, &got, &err), FC_ENOENT);
	e.id.version = "v1";
	assert_int_equal(adm_launch_plan_set_state(f->s, &e.id, 1, &err), 0);
	assert_int_equal(adm_launch_plan_get_active(f->s, &name, &f->a, &got, &err), 0);
	assert_string_equal(got.id.version, "v1");
	e.id.version = "v2";
	assert_int_equal(adm_launch_plan_set_state(f->s, &e.id, 1, &err), 0);
	assert_int_equal(adm_launch_plan_get_active(f->s, &name, &f->a, &got, &err), 0);
	assert_string_equal(got.id.version, "v2");
	e.id.version = "v1";
	assert_int_equal(adm_entity_get(f->s, ADM_LAUNCH_PLAN, &e.id, &f->a, &got, &err), 0);
	assert_int_equal(got.state, 0);
	e.id.version = "v9";
	assert_int_equal(adm_launch_plan_set_state(f->s, &e.id, 1, &err), FC_ENOENT);
	/* the previously active version stays active after a failed activation */
	assert_int_equal(adm_launch_plan_get_active(f->s, &name, &f->a, &got, &err), 0);
	assert_string_equal(got.id.version, "v2");
	assert_int_equal(adm_launch_plan_deactivate_source(f->s, "specs/lp.yaml", &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(adm_launch_plan_get_active(f->s, &name, &f->a, &got, &err), FC_ENOENT);
}

static void make_exec(struct fixture *f, const char *name)
{
	struct adm_execution x;
	struct fc_err err;

	memset(&x, 0, sizeof(x));
	x.id.project = "flytesnacks";
	x.id.domain = "development";
	x.id.name = name;
	x.workflow.project = "flytesnacks";
	x.workflow.domain = "development";
	x.workflow.name = "wf";
	x.workflow.version = "v1";
	x.spec = (const uint8_t *)"spec";
	x.spec_len = 4;
	assert_int_equal(adm_execution_create(f->s, &x, &err), 0);
}

static void test_events_transitions(void **state)
{
	struct fixture *f = *state;
	struct adm_exec_id id = {"flytesnacks", "development", "x1"};
	struct adm_wf_event wev;
	struct adm_node_event nev;
	struct adm_task_event tev;
	struct adm_execution x;
	struct adm_task_execution *tl;
	struct adm_event_row *hist;
	struct fc_err err;
	char *token;
	bool applied;
	size_t n;

	make_exec(f, "x1");
	memset(&x, 0, sizeof(x));
	x.id = id;
	x.spec = (const uint8_t *)"s";
	x.spec_len = 1;
	assert_int_equal(adm_execution_create(f->s, &x, &err), FC_EEXIST);

	memset(&wev, 0, sizeof(wev));
	wev.exec = id;
	wev.phase = 2; /* RUNNING */
	assert_int_equal(adm_event_workflow(f->s, &wev, &applied, &err), 0);
	assert_true(applied);
	assert_int_equal(adm_event_workflow(f->s, &wev, &applied, &err), 0);
	assert_false(applied); /* same phase: no-op */

	memset(&nev, 0, sizeof(nev));
	nev.exec = id;
	nev.node_id = "n0";
	nev.phase = 2;
	assert_int_equal(adm_event_node(f->s, &nev, &applied, &err), 0);
	assert_true(applied);

	memset(&tev, 0, sizeof(tev));
	tev.exec = id;
	tev.node_id = "n0";
	tev.task = (struct adm_id){"flytesnacks", "development", "t", "v1"};
	tev.phase = 2;
	tev.phase_version = 0;
	assert_int_equal(adm_event_task(f->s, &tev, &applied, &err), 0);
	assert_true(applied);
	assert_int_equal(adm_event_task(f->s, &tev, &applied, &err), 0);
	assert_false(applied);
	tev.phase_version = 1; /* same phase, newer version (new logs): applied */
	assert_int_equal(adm_event_task(f->s, &tev, &applied, &err), 0);
	assert_true(applied);
	tev.phase = 8; /* RETRYABLE_FAILED */
	assert_int_equal(adm_event_task(f->s, &tev, &applied, &err), 0);
	tev.retry_attempt = 1;
	tev.phase = 3; /* SUCCEEDED, second attempt */
	tev.phase_version = 0;
	assert_int_equal(adm_event_task(f->s, &tev, &applied, &err), 0);
	tev.phase = 2;
	assert_int_equal(adm_event_task(f->s, &tev, &applied, &err), FC_ECONFLICT);
	assert_int_equal(adm_task_execution_list(f->s, &id, "n0", NULL, &f->a, &tl, &n, &token, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(tl[0].phase, 8);
	assert_int_equal(tl[1].phase, 3);

	nev.phase = 3;
	assert_int_equal(adm_event_node(f->s, &nev, &applied, &err), 0);
	nev.phase = 2;
	assert_int_equal(adm_event_node(f->s, &nev, &applied, &err), FC_ECONFLICT);
	/* a task event for a node that never started */
	tev.node_id = "n9";
	assert_int_equal(adm_event_task(f->s, &tev, &applied, &err), FC_ENOENT);

	wev.phase = 4; /* SUCCEEDED */
	wev.output_uri = "file:///data/x1/outputs.pb";
	assert_int_equal(adm_event_workflow(f->s, &wev, &applied, &err), 0);
	wev.phase = 2;
	assert_int_equal(adm_event_workflow(f->s, &wev, &applied, &err), FC_ECONFLICT);
	assert_non_null(strstr(err.msg, "terminal"));
	nev.node_id = "n1";
	assert_int_equal(adm_event_node(f->s, &nev, &applied, &err), FC_ECONFLICT);
	wev.phase = 42;
	assert_int_equal(adm_event_workflow(f->s, &wev, &applied, &err), FC_EINVAL);

	assert_int_equal(adm_execution_get(f->s, &id, &f->a, &x, &err), 0);
	assert_int_equal(x.phase, 4);
	assert_string_equal(x.output_uri, "file:///data/x1/outputs.pb");
	assert_true(x.started_at > 0);
	assert_true(x.duration_ns > 0);
	assert_int_equal(adm_event_history(f->s, &id, 0, &f->a, &hist, &n, &err), 0);
	assert_int_equal(n, 8); /* wf RUNNING, node RUNNING, 4 task, node SUCCEEDED, wf SUCCEEDED */
	assert_int_equal(hist[0].kind, 1);
	assert_int_equal(hist[n - 1].phase, 4);
	/* unknown execution */
	wev.exec.name = "nope";
	wev.phase = 2;
	assert_int_equal(adm_event_workflow(f->s, &wev, &applied, &err), FC_ENOENT);
}

static void test_queue_and_terminate(void **state)
{
	struct fixture *f = *state;
	struct adm_exec_id a = {"flytesnacks", "development", "qa"}, b = {"flytesnacks", "development", "qb"};
	struct adm_entity wf = entity(ADM_WORKFLOW, "wf", "v1", "CLOSURE");
	struct adm_execution x;
	struct adm_claim c;
	struct adm_query q = {0};
	struct adm_execution *list;
	struct fc_err err;
	char *token;
	bool created;
	size_t n;

	assert_int_equal(adm_entity_register(f->s, &wf, &created, &f->a, NULL, &err), 0);
	make_exec(f, "qa");
	make_exec(f, "qb");
	make_exec(f, "qc");
	assert_int_equal(adm_queue_claim(f->s, "prop-1", &f->a, &c, &err), 0);
	assert_string_equal(c.exec.id.name, "qa");
	assert_int_equal(c.closure_len, 7);
	assert_memory_equal(c.closure, "CLOSURE", 7);
	/* qb queued and unclaimed: terminate aborts at once */
	assert_int_equal(adm_execution_terminate(f->s, &b, "not needed", "me", &err), 0);
	assert_int_equal(adm_execution_get(f->s, &b, &f->a, &x, &err), 0);
	assert_int_equal(x.phase, 7);
	assert_string_equal(x.abort_cause, "not needed");
	assert_int_equal(adm_execution_terminate(f->s, &b, NULL, NULL, &err), FC_ECONFLICT);
	/* qa claimed: ABORTING until the propeller reports */
	assert_int_equal(adm_execution_terminate(f->s, &a, NULL, NULL, &err), 0);
	assert_int_equal(adm_execution_get(f->s, &a, &f->a, &x, &err), 0);
	assert_int_equal(x.phase, 9);
	/* next claim skips the aborted one */
	assert_int_equal(adm_queue_claim(f->s, "prop-1", &f->a, &c, &err), 0);
	assert_string_equal(c.exec.id.name, "qc");
	assert_int_equal(adm_queue_claim(f->s, "prop-1", &f->a, &c, &err), FC_ENOENT);
	/* a restarted propeller gets its work back */
	assert_int_equal(adm_queue_recover(f->s, "prop-1", &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(adm_queue_claim(f->s, "prop-2", &f->a, &c, &err), 0);
	assert_string_equal(c.exec.id.name, "qa");
	/* listing with an enum filter */
	q.project = "flytesnacks";
	q.domain = "development";
	q.filters = "eq(phase,ABORTED)";
	assert_int_equal(adm_execution_list(f->s, &q, &f->a, &list, &n, &token, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].id.name, "qb");
	q.filters = "value_in(phase,QUEUED;ABORTING)";
	assert_int_equal(adm_execution_list(f->s, &q, &f->a, &list, &n, &token, &err), 0);
	assert_int_equal(n, 2);
	q.filters = "eq(phase,DONE)";
	assert_int_equal(adm_execution_list(f->s, &q, &f->a, &list, &n, &token, &err), FC_EINVAL);
}

static void test_schedule_fire_once(void **state)
{
	struct fixture *f = *state;
	struct adm_entity e = entity(ADM_LAUNCH_PLAN, "nightly", "v1", "lp");
	struct adm_id name = {"flytesnacks", "development", "nightly", NULL};
	struct adm_scheduled_lp *list;
	struct adm_execution x;
	struct fc_err err;
	bool created;
	size_t n;

	e.has_schedule = true;
	e.policy.max_catchup = 5;
	assert_int_equal(adm_entity_register(f->s, &e, &created, &f->a, NULL, &err), 0);
	assert_int_equal(adm_schedule_list(f->s, &f->a, &list, &n, &err), 0);
	assert_int_equal(n, 0); /* inactive */
	assert_int_equal(adm_launch_plan_set_state(f->s, &e.id, 1, &err), 0);
	assert_int_equal(adm_schedule_list(f->s, &f->a, &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].last_slot, INT64_MIN);
	assert_int_equal(list[0].lp.policy.max_catchup, 5);

	memset(&x, 0, sizeof(x));
	x.id = (struct adm_exec_id){"flytesnacks", "development", "nightly-100"};
	x.spec = (const uint8_t *)"s";
	x.spec_len = 1;
	x.mode = 1;
	assert_int_equal(adm_schedule_fire(f->s, &name, 100, &x, &err), 0);
	x.id.name = "nightly-100b";
	assert_int_equal(adm_schedule_fire(f->s, &name, 100, &x, &err), FC_EEXIST);
	/* an execution-name clash rolls back the slot too */
	x.id.name = "nightly-100";
	assert_int_equal(adm_schedule_fire(f->s, &name, 200, &x, &err), FC_EEXIST);
	assert_int_equal(adm_schedule_last_slot(f->s, &name), 100);
	x.id.name = "nightly-200";
	assert_int_equal(adm_schedule_fire(f->s, &name, 200, &x, &err), 0);
	assert_int_equal(adm_schedule_last_slot(f->s, &name), 200);
	assert_int_equal(adm_schedule_list(f->s, &f->a, &list, &n, &err), 0);
	assert_int_equal(list[0].last_slot, 200);

	/* the policy is not part of the spec: the same bytes with another policy update it... */
	e.policy.max_catchup = 9;
	e.policy.catchup = CMP_CATCHUP_ALL;
	e.policy_set = true;
	assert_int_equal(adm_entity_register(f->s, &e, &created, &f->a, NULL, &err), 0);
	assert_false(created);
	assert_int_equal(adm_schedule_list(f->s, &f->a, &list, &n, &err), 0);
	assert_int_equal(list[0].lp.policy.max_catchup, 9);
	assert_int_equal(list[0].lp.policy.catchup, 1);
	/* ... unless the caller does not know it (the REST API) */
	e.policy.max_catchup = 0;
	e.policy_set = false;
	assert_int_equal(adm_entity_register(f->s, &e, &created, &f->a, NULL, &err), 0);
	assert_int_equal(adm_schedule_list(f->s, &f->a, &list, &n, &err), 0);
	assert_int_equal(list[0].lp.policy.max_catchup, 9);
}

static void test_signals(void **state)
{
	struct fixture *f = *state;
	struct adm_signal sig, out, *list;
	struct fc_err err;
	char *token;
	size_t n;

	make_exec(f, "gx");
	memset(&sig, 0, sizeof(sig));
	sig.exec = (struct adm_exec_id){"flytesnacks", "development", "gx"};
	sig.signal_id = "approve";
	sig.type = (const uint8_t *)"T1";
	sig.type_len = 2;
	assert_int_equal(adm_signal_get_or_create(f->s, &sig, &f->a, &out, &err), 0);
	assert_null(out.value);
	assert_int_equal(adm_signal_get_or_create(f->s, &sig, &f->a, &out, &err), 0);
	sig.type = (const uint8_t *)"T2";
	assert_int_equal(adm_signal_get_or_create(f->s, &sig, &f->a, &out, &err), FC_ECONFLICT);
	assert_int_equal(adm_signal_set(f->s, &sig.exec, "approve", (const uint8_t *)"yes", 3, &err), 0);
	assert_int_equal(adm_signal_set(f->s, &sig.exec, "approve", (const uint8_t *)"yes", 3, &err), 0);
	assert_int_equal(adm_signal_set(f->s, &sig.exec, "approve", (const uint8_t *)"no", 2, &err), FC_ECONFLICT);
	assert_int_equal(adm_signal_set(f->s, &sig.exec, "other", (const uint8_t *)"no", 2, &err), FC_ENOENT);
	assert_int_equal(adm_signal_list(f->s, &sig.exec, NULL, &f->a, &list, &n, &token, &err), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(list[0].value, "yes", 3);
}

static void test_files_and_counts(void **state)
{
	struct fixture *f = *state;
	struct adm_file_status st = {"wf/a.yaml", false, 2, 0, "a.yaml:1:1: error", "[]", 0, false}, *list;
	struct adm_store_counts c;
	struct fc_err err;
	size_t n;

	assert_int_equal(adm_file_status_put(f->s, &st, &err), 0);
	st.path = "wf/b.yaml";
	st.ok = true;
	st.nerrors = 0;
	assert_int_equal(adm_file_status_put(f->s, &st, &err), 0);
	assert_int_equal(adm_file_status_list(f->s, true, &f->a, &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].path, "wf/a.yaml");
	assert_int_equal(list[0].nerrors, 2);
	st.path = "wf/a.yaml";
	st.ok = true;
	assert_int_equal(adm_file_status_put(f->s, &st, &err), 0);
	assert_int_equal(adm_file_status_list(f->s, true, &f->a, &list, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(adm_store_counts(f->s, &c, &err), 0);
	assert_int_equal(c.files_failed, 0);
}

static void test_transaction_rollback(void **state)
{
	struct fixture *f = *state;
	struct adm_entity e = entity(ADM_TASK, "rb", "v1", "x"), got;
	struct fc_err err;
	bool created;

	assert_int_equal(adm_store_begin(f->s, &err), 0);
	assert_int_equal(adm_entity_register(f->s, &e, &created, &f->a, NULL, &err), 0);
	adm_store_rollback(f->s);
	assert_int_equal(adm_entity_get(f->s, ADM_TASK, &e.id, &f->a, &got, &err), FC_ENOENT);
	assert_int_equal(adm_store_begin(f->s, &err), 0);
	assert_int_equal(adm_entity_register(f->s, &e, &created, &f->a, NULL, &err), 0);
	assert_int_equal(adm_store_commit(f->s, &err), 0);
	assert_int_equal(adm_entity_get(f->s, ADM_TASK, &e.id, &f->a, &got, &err), 0);
}

static int exec_in(struct fixture *f, const char *project, const char *name)
{
	struct adm_execution x;
	struct fc_err err;

	memset(&x, 0, sizeof(x));
	x.id.project = project;
	x.id.domain = "development";
	x.id.name = name;
	x.spec = (const uint8_t *)"spec";
	x.spec_len = 4;
	return adm_execution_create(f->s, &x, &err);
}

static bool exec_exists(struct fixture *f, const char *project, const char *name)
{
	struct adm_exec_id id = {project, "development", name};
	struct adm_execution x;
	struct fc_err err;

	return adm_execution_get(f->s, &id, &f->a, &x, &err) == 0;
}

/* adm_store_flat(): inner calls without savepoints keep their meaning inside the level that asked (a name taken is
 * FC_EEXIST and writes nothing, the level's rollback undoes every inner write) and end with it; the project and
 * domain a transaction saw are forgotten when a rollback may have undone them. */
static void test_flat_levels_and_scope_memo(void **state)
{
	struct fixture *f = *state;
	struct fc_err err;

	assert_int_equal(adm_store_begin(f->s, &err), 0); /* the batch */
	assert_int_equal(adm_store_begin(f->s, &err), 0); /* one fire */
	adm_store_flat(f->s, true);
	assert_int_equal(exec_in(f, "flytesnacks", "a1"), 0);
	assert_int_equal(exec_in(f, "flytesnacks", "a1"), FC_EEXIST);
	assert_int_equal(exec_in(f, "flytesnacks", "a2"), 0);
	assert_int_equal(adm_store_commit(f->s, &err), 0);
	assert_int_equal(adm_store_begin(f->s, &err), 0); /* another fire, rolled back */
	adm_store_flat(f->s, true);
	assert_int_equal(exec_in(f, "flytesnacks", "b1"), 0);
	assert_int_equal(exec_in(f, "flytesnacks", "b2"), 0);
	adm_store_rollback(f->s);
	assert_int_equal(exec_in(f, "flytesnacks", "c1"), 0); /* in the batch itself: flat is over */
	/* a project seen inside a level that is rolled back is read again afterwards */
	assert_int_equal(adm_store_begin(f->s, &err), 0);
	assert_int_equal(adm_project_ensure(f->s, "memo-p", &err), 0);
	assert_int_equal(adm_check_scope(f->s, "memo-p", "development", true, &err), 0);
	adm_store_rollback(f->s);
	assert_int_equal(exec_in(f, "memo-p", "d1"), 0);
	assert_int_equal(adm_store_commit(f->s, &err), 0);

	assert_true(exec_exists(f, "flytesnacks", "a1"));
	assert_true(exec_exists(f, "flytesnacks", "a2"));
	assert_false(exec_exists(f, "flytesnacks", "b1"));
	assert_false(exec_exists(f, "flytesnacks", "b2"));
	assert_true(exec_exists(f, "flytesnacks", "c1"));
	assert_true(exec_exists(f, "memo-p", "d1"));
	assert_int_equal(adm_check_scope(f->s, "memo-p", "development", true, &err), 0);
}

/* The plan of one execution listing; fails the test when it cannot be planned. */
static char *exec_plan(struct fixture *f, const char *filters, const char *sort_key, bool asc)
{
	struct adm_query q = {.project = "flytesnacks", .domain = "development", .filters = filters,
			      .sort_key = sort_key, .sort_asc = asc};
	struct fc_buf plan = FC_BUF_INIT;
	struct fc_err err;

	assert_int_equal(adm_execution_list_plan(f->s, &q, &plan, &err), 0);
	return fc_buf_detach(&plan, NULL);
}

/* Every list the console asks for finds its page through an index in order: a SEARCH with the named index, no
 * full scan, and no sort of the matches (TEMP B-TREE) unless the filter itself needs one (value_in). */
static void assert_plan(char *plan, const char *index, bool sorted_by_index)
{
	char want[128];

	snprintf(want, sizeof(want), "USING INDEX %s ", index);
	if (!strstr(plan, want) || strstr(plan, "SCAN ") || (sorted_by_index && strstr(plan, "TEMP B-TREE")))
		fail_msg("plan does not use %s%s:\n%s", index, sorted_by_index ? " in order" : "", plan);
	free(plan);
}

static void test_list_plans(void **state)
{
	struct fixture *f = *state;
	struct adm_exec_id id = {"flytesnacks", "development", "x1"};
	struct adm_query q = {0};
	struct fc_buf plan = FC_BUF_INIT;
	struct fc_err err;
	char *text;

	make_exec(f, "x1");
	assert_plan(exec_plan(f, NULL, NULL, false), "executions_by_created", true);
	assert_plan(exec_plan(f, "eq(phase,SUCCEEDED)", NULL, false), "executions_by_phase", true);
	assert_plan(exec_plan(f, "eq(phase,FAILED)+gte(created_at,2024-01-01T00:00:00Z)", NULL, false),
		    "executions_by_phase", true);
	assert_plan(exec_plan(f, "eq(launch_plan.name,nightly)", NULL, false), "executions_by_lp", true);
	assert_plan(exec_plan(f, "eq(workflow.name,etl)", NULL, false), "executions_by_wf", true);
	assert_plan(exec_plan(f, "eq(mode,1)", NULL, false), "executions_by_mode", true);
	assert_plan(exec_plan(f, "gte(created_at,2024-01-01T00:00:00Z)+lt(created_at,2024-02-01T00:00:00Z)", NULL,
			      false), "executions_by_created", true);
	assert_plan(exec_plan(f, NULL, "updated_at", true), "executions_by_updated", true);
	assert_plan(exec_plan(f, NULL, "started_at", false), "executions_by_started", true);
	assert_plan(exec_plan(f, NULL, "name", true), "sqlite_autoindex_executions_1", true);
	/* several phases: the newest rows of the project in order, each checked (no sort of every match) */
	assert_plan(exec_plan(f, "value_in(phase,RUNNING;QUEUED)", NULL, false), "executions_by_created", true);

	/* node executions of one execution: the execution by its name, its nodes by (exec_id, created_at) */
	assert_int_equal(adm_node_execution_list_plan(f->s, &id, NULL, &q, &plan, &err), 0);
	text = fc_buf_detach(&plan, NULL);
	if (!strstr(text, "INDEX sqlite_autoindex_executions_1 (project=? AND domain=? AND name=?)"))
		fail_msg("the execution is not found by its name:\n%s", text);
	assert_plan(text, "node_executions_by_created", true);
	q.filters = "eq(phase,RUNNING)";
	assert_int_equal(adm_node_execution_list_plan(f->s, &id, "n0", &q, &plan, &err), 0);
	assert_plan(fc_buf_detach(&plan, NULL), "node_executions_by_parent", true);
}

/* Keyset paging: pages of a listing sorted by an integer column chain through the last row; they cover every row
 * once, in order, also when rows are created between pages; offset tokens still work; a token of another order is
 * refused. */
static void test_keyset_pages(void **state)
{
	struct fixture *f = *state;
	struct adm_query q = {.project = "flytesnacks", .domain = "development", .limit = 10};
	struct adm_execution *list;
	struct fc_err err;
	char *token = NULL, name[16], *plan;
	char seen[40][16];
	size_t n, total = 0, i;

	for (i = 0; i < 25; i++) {
		snprintf(name, sizeof(name), "k%02zu", i);
		make_exec(f, name);
	}
	do {
		q.token = token;
		assert_int_equal(adm_execution_list(f->s, &q, &f->a, &list, &n, &token, &err), 0);
		for (i = 0; i < n; i++)
			snprintf(seen[total++], sizeof(seen[0]), "%s", list[i].id.name);
		if (token)
			assert_true(!strncmp(token, "k:created_at:d:", 15));
		if (total == 10)
			make_exec(f, "late"); /* newer than every row: on no later page */
	} while (token && total < 40);
	assert_int_equal(total, 25);
	for (i = 0; i < 25; i++) {
		snprintf(name, sizeof(name), "k%02zu", 24 - i);
		assert_string_equal(seen[i], name);
	}

	/* ascending, by another integer field */
	q.sort_key = "updated_at";
	q.sort_asc = true;
	q.token = NULL;
	q.limit = 20;
	assert_int_equal(adm_execution_list(f->s, &q, &f->a, &list, &n, &token, &err), 0);
	assert_string_equal(list[0].id.name, "k00");
	assert_non_null(token);
	assert_true(!strncmp(token, "k:updated_at:a:", 15));
	q.token = token;
	assert_int_equal(adm_execution_list(f->s, &q, &f->a, &list, &n, &token, &err), 0);
	assert_int_equal(n, 6);
	assert_string_equal(list[5].id.name, "late");
	assert_null(token);

	/* the token of one order is no page of another; a text sort keeps offsets; offsets still work */
	q.sort_key = NULL;
	q.sort_asc = false;
	q.token = "k:updated_at:a:1:1";
	assert_int_equal(adm_execution_list(f->s, &q, &f->a, &list, &n, &token, &err), FC_EINVAL);
	q.token = "k:created_at:d:x:1";
	assert_int_equal(adm_execution_list(f->s, &q, &f->a, &list, &n, &token, &err), FC_EINVAL);
	q.sort_key = "name";
	q.token = NULL;
	assert_int_equal(adm_execution_list(f->s, &q, &f->a, &list, &n, &token, &err), 0);
	assert_string_equal(token, "20");
	q.sort_key = NULL;
	q.token = "20";
	assert_int_equal(adm_execution_list(f->s, &q, &f->a, &list, &n, &token, &err), 0);
	assert_int_equal(n, 6);

	/* the next page is found by the index, in order */
	q.token = "k:created_at:d:1700000000000000000:5";
	{
		struct fc_buf b = FC_BUF_INIT;

		assert_int_equal(adm_execution_list_plan(f->s, &q, &b, &err), 0);
		plan = fc_buf_detach(&b, NULL);
	}
	assert_plan(plan, "executions_by_created", true);
}

struct notices {
	char seen[16][64];
	bool phase[16];
	size_t n, calls;
	bool overflow;
};

static void on_change(void *ctx, const struct adm_change *changes, size_t n, bool overflow)
{
	struct notices *w = ctx;
	size_t i;

	w->calls++;
	w->overflow |= overflow;
	for (i = 0; i < n && w->n < 16; i++, w->n++) {
		snprintf(w->seen[w->n], sizeof(w->seen[w->n]), "%s/%s/%s", changes[i].id.project, changes[i].id.domain,
			 changes[i].id.name);
		w->phase[w->n] = changes[i].phase;
	}
}

/* The observer and the listener of test_change_list_index: the order they were told in, and what. */
struct told {
	char order[8];
	size_t n[2];
	bool dup, phase_of[2][64]; /* by execution: xK at K, yK at 32 + K */
};

static void told_record(struct told *t, int who, const struct adm_change *changes, size_t n)
{
	size_t i, j;

	if (strlen(t->order) < sizeof(t->order) - 1)
		t->order[strlen(t->order)] = who ? 'L' : 'O';
	t->n[who] = n;
	for (i = 0; i < n; i++) {
		int k = atoi(changes[i].id.name + 1) + (changes[i].id.name[0] == 'y' ? 32 : 0);

		for (j = 0; j < i; j++)
			if (!strcmp(changes[i].id.name, changes[j].id.name))
				t->dup = true;
		if (k >= 0 && k < 64)
			t->phase_of[who][k] = changes[i].phase;
	}
}

static void on_observe(void *ctx, const struct adm_change *changes, size_t n, bool overflow)
{
	(void)overflow;
	told_record(ctx, 0, changes, n);
}

static void on_listen(void *ctx, const struct adm_change *changes, size_t n, bool overflow)
{
	(void)overflow;
	told_record(ctx, 1, changes, n);
}

/* Past 8 changes a transaction's list is searched through its index: still one entry per execution, the phase
 * flags merged; the observer is told before the listener, and only one observer at a time. */
static void test_change_list_index(void **state)
{
	struct fixture *f = *state;
	struct adm_node_event nev;
	struct told t;
	struct fc_err err;
	bool applied;
	int i;

	memset(&t, 0, sizeof(t));
	assert_true(adm_store_set_observer(f->s, on_observe, &t));
	assert_false(adm_store_set_observer(f->s, on_listen, &t)); /* one at a time */
	adm_store_set_listener(f->s, on_listen, &t);
	for (i = 0; i < 20; i++) {
		char name[8];

		snprintf(name, sizeof(name), "x%d", i);
		make_exec(f, name);
	}
	memset(&t, 0, sizeof(t));
	assert_int_equal(adm_store_begin(f->s, &err), 0);
	for (i = 0; i < 20; i++) { /* node events: noted without the phase flag */
		char node[8];

		snprintf(node, sizeof(node), "n%d", i);
		memset(&nev, 0, sizeof(nev));
		nev.exec = (struct adm_exec_id){"flytesnacks", "development", NULL};
		nev.exec.name = i < 10 ? (i % 2 ? "x1" : "x3") : (i % 2 ? "x17" : "x12");
		nev.node_id = node;
		nev.phase = 2;
		assert_int_equal(adm_event_node(f->s, &nev, &applied, &err), 0);
	}
	for (i = 0; i < 12; i++) {
		char name[8];

		snprintf(name, sizeof(name), "y%d", i); /* new: noted with the phase flag, past the linear part */
		make_exec(f, name);
	}
	for (i = 0; i < 3; i++) { /* again, now through the index */
		memset(&nev, 0, sizeof(nev));
		nev.exec = (struct adm_exec_id){"flytesnacks", "development", i == 0 ? "x3" : i == 1 ? "y0" : "y11"};
		nev.node_id = "n2";
		nev.phase = 2;
		assert_int_equal(adm_event_node(f->s, &nev, &applied, &err), 0);
	}
	assert_int_equal(adm_store_commit(f->s, &err), 0);
	assert_string_equal(t.order, "OL");
	assert_int_equal(t.n[0], 4 + 12); /* x1, x3, x17, x12 and y0..y11, once each */
	assert_int_equal(t.n[1], 4 + 12);
	assert_false(t.dup);
	assert_false(t.phase_of[0][3]); /* a node changed under x3, not its phase */
	assert_true(t.phase_of[0][32 + 11]); /* y11 was created: its phase flag stays after a node event */
	assert_true(t.phase_of[1][32 + 0]);

	/* a second transaction starts from an empty list (the big one's index is dropped) */
	memset(&t, 0, sizeof(t));
	make_exec(f, "z1");
	assert_string_equal(t.order, "OL");
	assert_int_equal(t.n[0], 1);
	adm_store_set_listener(f->s, NULL, NULL);
	assert_true(adm_store_set_observer(f->s, NULL, &t));
	memset(&t, 0, sizeof(t));
	make_exec(f, "z2");
	assert_string_equal(t.order, "");
}

/* Change notices come after the commit, once per execution per transaction, never for a rolled-back one. */
static void test_change_notices(void **state)
{
	struct fixture *f = *state;
	struct adm_exec_id id = {"flytesnacks", "development", "c1"};
	struct adm_wf_event wev;
	struct adm_node_event nev;
	struct notices w;
	struct fc_err err;
	bool applied;

	memset(&w, 0, sizeof(w));
	make_exec(f, "before"); /* no listener: nothing recorded */
	adm_store_set_listener(f->s, on_change, &w);
	make_exec(f, "c1");
	assert_int_equal(w.calls, 1);
	assert_string_equal(w.seen[0], "flytesnacks/development/c1");
	assert_true(w.phase[0]);

	memset(&nev, 0, sizeof(nev));
	nev.exec = id;
	nev.node_id = "n0";
	nev.phase = 2;
	assert_int_equal(adm_event_node(f->s, &nev, &applied, &err), 0);
	assert_int_equal(w.calls, 2);
	assert_false(w.phase[1]); /* a node changed, not the execution's phase */

	/* grouped: one notice for the transaction, the execution once, phase-changed */
	assert_int_equal(adm_store_begin(f->s, &err), 0);
	nev.node_id = "n1";
	assert_int_equal(adm_event_node(f->s, &nev, &applied, &err), 0);
	memset(&wev, 0, sizeof(wev));
	wev.exec = id;
	wev.phase = 2;
	assert_int_equal(adm_event_workflow(f->s, &wev, &applied, &err), 0);
	assert_int_equal(w.calls, 2);
	assert_int_equal(adm_store_commit(f->s, &err), 0);
	assert_int_equal(w.calls, 3);
	assert_int_equal(w.n, 3);
	assert_true(w.phase[2]);

	/* rolled back: nothing */
	assert_int_equal(adm_store_begin(f->s, &err), 0);
	make_exec(f, "gone");
	adm_store_rollback(f->s);
	assert_int_equal(w.calls, 3);

	/* a bulk load names the first ADM_STORE_CHANGES_MAX executions and says the rest changed too */
	assert_int_equal(adm_store_begin(f->s, &err), 0);
	for (int i = 0; i < ADM_STORE_CHANGES_MAX + 5; i++) {
		char name[16];

		snprintf(name, sizeof(name), "bulk%d", i);
		make_exec(f, name);
	}
	assert_int_equal(adm_store_commit(f->s, &err), 0);
	assert_int_equal(w.calls, 4);
	assert_true(w.overflow);

	adm_store_set_listener(f->s, NULL, NULL);
	make_exec(f, "after");
	assert_int_equal(w.calls, 4);
}

/* Bytes of the database file itself (the WAL aside): pages reach it only through a checkpoint. */
static long db_file_size(const struct fixture *f)
{
	FILE *fp = fopen(f->path, "rb");
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	fclose(fp);
	return n;
}

/* `n` executions of about a page each in one transaction (one WAL frame per page written). */
static void write_pages(struct fixture *f, const char *prefix, int n)
{
	static uint8_t blob[3000];
	struct adm_execution x;
	struct fc_err err;
	char name[32];

	assert_int_equal(adm_store_begin(f->s, &err), 0);
	for (int i = 0; i < n; i++) {
		memset(&x, 0, sizeof(x));
		snprintf(name, sizeof(name), "%s%d", prefix, i);
		blob[i % sizeof(blob)] = (uint8_t)i;
		x.id.project = "flytesnacks";
		x.id.domain = "development";
		x.id.name = name;
		x.spec = blob;
		x.spec_len = sizeof(blob);
		assert_int_equal(adm_execution_create(f->s, &x, &err), 0);
	}
	assert_int_equal(adm_store_commit(f->s, &err), 0);
}

/* Checkpoints: after the commit that takes the WAL past ADM_WAL_CHECKPOINT_FRAMES, or, while put off, when the
 * deferral ends (or the WAL passes ADM_WAL_DEFERRED_MAX_FRAMES). */
static void test_checkpoints_deferred(void **state)
{
	struct fixture *f = *state;
	struct fc_err err;
	struct adm_project p = {"flytesnacks", "flytesnacks", "", 0, 0};
	long before;

	assert_int_equal(adm_project_create(f->s, &p, &err), 0);
	/* not deferred: the commit past the mark checkpoints, the file holds the pages */
	before = db_file_size(f);
	write_pages(f, "a", ADM_WAL_CHECKPOINT_FRAMES + 200);
	assert_true(db_file_size(f) > before + (long)ADM_WAL_CHECKPOINT_FRAMES * 4096);
	/* deferred: as many pages again stay in the WAL until the deferral ends */
	adm_store_defer_checkpoints(f->s, true);
	before = db_file_size(f);
	write_pages(f, "b", ADM_WAL_CHECKPOINT_FRAMES + 200);
	write_pages(f, "c", 10);
	assert_int_equal(db_file_size(f), before);
	adm_store_defer_checkpoints(f->s, false);
	assert_true(db_file_size(f) > before + (long)ADM_WAL_CHECKPOINT_FRAMES * 4096);
	/* deferred, but past the deferral's own bound: checkpointed anyway */
	adm_store_defer_checkpoints(f->s, true);
	before = db_file_size(f);
	write_pages(f, "d", ADM_WAL_DEFERRED_MAX_FRAMES + 200);
	assert_true(db_file_size(f) > before + (long)ADM_WAL_DEFERRED_MAX_FRAMES * 4096);
	adm_store_defer_checkpoints(f->s, false);
}

/* adm_store_entities_epoch(): moves with every write of an entity row, by this connection or another one, and
 * with nothing else. */
static void test_entities_epoch(void **state)
{
	struct fixture *f = *state;
	struct adm_entity e = entity(ADM_LAUNCH_PLAN, "lp", "v1", "x");
	struct adm_project p = {"flytesnacks", "flytesnacks", "", 0, 0};
	struct fc_err err;
	sqlite3 *other;
	uint64_t e0, e1;
	bool created;

	assert_int_equal(adm_project_create(f->s, &p, &err), 0);
	e0 = adm_store_entities_epoch(f->s);
	assert_true(e0 != 0);
	assert_int_equal(exec_in(f, "flytesnacks", "x1"), 0); /* an execution is not an entity */
	assert_true(adm_store_entities_epoch(f->s) == e0);
	assert_int_equal(adm_entity_register(f->s, &e, &created, &f->a, NULL, &err), 0);
	e1 = adm_store_entities_epoch(f->s);
	assert_true(e1 != e0);
	assert_int_equal(adm_launch_plan_set_state(f->s, &e.id, 1, &err), 0);
	assert_true(adm_store_entities_epoch(f->s) != e1);
	e1 = adm_store_entities_epoch(f->s);
	/* inside a transaction, what this connection writes counts at once */
	assert_int_equal(adm_store_begin(f->s, &err), 0);
	assert_true(adm_store_entities_epoch(f->s) == e1);
	assert_int_equal(adm_launch_plan_set_state(f->s, &e.id, 0, &err), 0);
	assert_true(adm_store_entities_epoch(f->s) != e1);
	adm_store_rollback(f->s);
	e1 = adm_store_entities_epoch(f->s);
	/* another connection's commit (any table: sqlite's data_version says only that the file changed) */
	assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
	sqlite3_busy_timeout(other, 5000);
	assert_int_equal(sqlite3_exec(other, "UPDATE entities SET state = 1 WHERE name = 'lp'", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_true(adm_store_entities_epoch(f->s) != e1);
	e1 = adm_store_entities_epoch(f->s);
	assert_true(adm_store_entities_epoch(f->s) == e1);
	sqlite3_close(other);
}

static void test_time_parse(void **state)
{
	struct fc_buf b = FC_BUF_INIT;
	struct fc_err err;
	int64_t ns;

	(void)state;
	assert_int_equal(adm_parse_time("2024-01-02T03:04:05Z", &ns, &err), 0);
	assert_true(ns == 1704164645LL * 1000000000LL);
	assert_int_equal(adm_parse_time("2024-01-02T05:04:05.5+02:00", &ns, &err), 0);
	assert_true(ns == 1704164645LL * 1000000000LL + 500000000LL);
	adm_format_time(ns, &b);
	assert_string_equal(b.buf, "2024-01-02T03:04:05.5Z");
	assert_int_equal(adm_parse_time("2024-13-02T03:04:05Z", &ns, &err), FC_EINVAL);
	assert_int_equal(adm_parse_time("2024-01-02", &ns, &err), FC_EINVAL);
	assert_int_equal(adm_parse_time("2024-01-02T03:04:05", &ns, &err), FC_EINVAL);
	fc_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_migrate_reopen, setup, teardown),
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_register_idempotent_and_conflict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_filters_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_launch_plan_activation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_transitions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_and_terminate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schedule_fire_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_plans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_7_from_a_version_6_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_change_notices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_change_list_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keyset_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_and_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transaction_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flat_levels_and_scope_memo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoints_deferred, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entities_epoch, setup, teardown),
		cmocka_unit_test(test_time_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
