/* store.c: opening, migrations, transactions, statement cache, names, projects, entities, schedules, files. */
#include "admin-lite/store_int.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/sha256.h"

#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------------------------------------------------
 * Migrations: append only. Entry i brings the schema from version i to i + 1.
 */
static const char *const migrations[] = {
	/* 1: the initial schema */
	"CREATE TABLE projects("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',"
	"  state INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);"
	"CREATE TABLE domains(id TEXT PRIMARY KEY, name TEXT NOT NULL);"
	"INSERT INTO domains VALUES('development','development'),('staging','staging'),"
	"  ('production','production');"
	"CREATE TABLE entities("
	"  id INTEGER PRIMARY KEY,"
	"  kind INTEGER NOT NULL, project TEXT NOT NULL, domain TEXT NOT NULL, name TEXT NOT NULL,"
	"  version TEXT NOT NULL, digest TEXT NOT NULL, spec BLOB NOT NULL, closure BLOB, source TEXT,"
	"  state INTEGER NOT NULL DEFAULT 0, has_schedule INTEGER NOT NULL DEFAULT 0,"
	"  catchup INTEGER NOT NULL DEFAULT 0, max_catchup INTEGER NOT NULL DEFAULT 0,"
	"  catchup_window INTEGER NOT NULL DEFAULT 0, concurrency INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
	"  UNIQUE(kind, project, domain, name, version));"
	"CREATE INDEX entities_by_name ON entities(kind, project, domain, name, created_at);"
	"CREATE INDEX entities_by_source ON entities(source) WHERE source IS NOT NULL;"
	"CREATE INDEX entities_active ON entities(kind, state) WHERE state = 1;"
	"CREATE TABLE named_entities("
	"  kind INTEGER NOT NULL, project TEXT NOT NULL, domain TEXT NOT NULL, name TEXT NOT NULL,"
	"  description TEXT NOT NULL DEFAULT '', state INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL,"
	"  PRIMARY KEY(kind, project, domain, name));"
	"CREATE TABLE executions("
	"  id INTEGER PRIMARY KEY,"
	"  project TEXT NOT NULL, domain TEXT NOT NULL, name TEXT NOT NULL,"
	"  lp_project TEXT, lp_domain TEXT, lp_name TEXT, lp_version TEXT,"
	"  wf_project TEXT, wf_domain TEXT, wf_name TEXT, wf_version TEXT,"
	"  spec BLOB NOT NULL, inputs BLOB, phase INTEGER NOT NULL, mode INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL, started_at INTEGER NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL,"
	"  scheduled_at INTEGER NOT NULL DEFAULT 0, duration INTEGER NOT NULL DEFAULT 0,"
	"  error BLOB, output_uri TEXT, outputs BLOB, abort_cause TEXT, abort_principal TEXT,"
	"  claimed_by TEXT, claimed_at INTEGER,"
	"  UNIQUE(project, domain, name));"
	"CREATE INDEX executions_queue ON executions(phase, created_at) WHERE claimed_by IS NULL;"
	"CREATE INDEX executions_by_created ON executions(project, domain, created_at);"
	"CREATE TABLE node_executions("
	"  id INTEGER PRIMARY KEY, exec_id INTEGER NOT NULL REFERENCES executions(id), node_id TEXT NOT NULL,"
	"  phase INTEGER NOT NULL, created_at INTEGER NOT NULL, started_at INTEGER NOT NULL DEFAULT 0,"
	"  updated_at INTEGER NOT NULL, duration INTEGER NOT NULL DEFAULT 0,"
	"  input_uri TEXT, output_uri TEXT, outputs BLOB, error BLOB, spec_node_id TEXT, retry_group TEXT,"
	"  parent_node_id TEXT, node_name TEXT, is_parent INTEGER NOT NULL DEFAULT 0,"
	"  is_dynamic INTEGER NOT NULL DEFAULT 0, is_array INTEGER NOT NULL DEFAULT 0,"
	"  UNIQUE(exec_id, node_id));"
	"CREATE TABLE task_executions("
	"  id INTEGER PRIMARY KEY, exec_id INTEGER NOT NULL REFERENCES executions(id), node_id TEXT NOT NULL,"
	"  task_project TEXT NOT NULL, task_domain TEXT NOT NULL, task_name TEXT NOT NULL,"
	"  task_version TEXT NOT NULL, retry_attempt INTEGER NOT NULL, phase INTEGER NOT NULL,"
	"  phase_version INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL,"
	"  started_at INTEGER NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL, duration INTEGER NOT NULL DEFAULT 0,"
	"  input_uri TEXT, output_uri TEXT, outputs BLOB, error BLOB, last_event BLOB, task_type TEXT,"
	"  reason TEXT,"
	"  UNIQUE(exec_id, node_id, task_project, task_domain, task_name, task_version, retry_attempt));"
	"CREATE TABLE events("
	"  id INTEGER PRIMARY KEY, exec_id INTEGER NOT NULL REFERENCES executions(id), kind INTEGER NOT NULL,"
	"  node_id TEXT, retry_attempt INTEGER NOT NULL DEFAULT 0, phase INTEGER NOT NULL,"
	"  phase_version INTEGER NOT NULL DEFAULT 0, occurred_at INTEGER NOT NULL, recorded_at INTEGER NOT NULL,"
	"  raw BLOB);"
	"CREATE INDEX events_by_exec ON events(exec_id, id);"
	"CREATE TABLE signals("
	"  id INTEGER PRIMARY KEY, exec_id INTEGER NOT NULL REFERENCES executions(id), signal_id TEXT NOT NULL,"
	"  type BLOB NOT NULL, value BLOB, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
	"  UNIQUE(exec_id, signal_id));"
	"CREATE TABLE schedule_state("
	"  project TEXT NOT NULL, domain TEXT NOT NULL, name TEXT NOT NULL, last_slot INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL, PRIMARY KEY(project, domain, name));"
	"CREATE TABLE repo_files("
	"  path TEXT PRIMARY KEY, ok INTEGER NOT NULL, nerrors INTEGER NOT NULL, nwarnings INTEGER NOT NULL,"
	"  diagnostics_text TEXT, diagnostics_json TEXT, updated_at INTEGER NOT NULL,"
	"  deleted INTEGER NOT NULL DEFAULT 0);",
	/* 2: when each launch plan version was last activated (the scheduler's fixed-rate anchor; updated_at also
	 * moves on policy updates). Versions active before this migration count from their updated_at. */
	"CREATE TABLE lp_activations("
	"  project TEXT NOT NULL, domain TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL,"
	"  activated_at INTEGER NOT NULL, PRIMARY KEY(project, domain, name, version));"
	"INSERT INTO lp_activations SELECT project, domain, name, version, updated_at FROM entities "
	"  WHERE kind = 3 AND state = 1;",
	/* 3: a schedule's DST policy and jitter (docs/schedules.md "DST policy", "Jitter"); 0 is the old behaviour */
	"ALTER TABLE entities ADD COLUMN dst_repeat INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE entities ADD COLUMN dst_skip INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE entities ADD COLUMN jitter_ms INTEGER NOT NULL DEFAULT 0;",
	/* 4: paused schedules, by launch plan name (docs/schedules.md "Pause and unpause"); resume_from: slots at or
	 * before it do not fire (an unpause without catch-up) */
	"CREATE TABLE schedule_pause("
	"  project TEXT NOT NULL, domain TEXT NOT NULL, name TEXT NOT NULL, paused INTEGER NOT NULL,"
	"  note TEXT NOT NULL DEFAULT '', changed_at INTEGER NOT NULL, resume_from INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY(project, domain, name));",
	/* 5: the overlap policies' bound and pause_on_failure; the slot log (docs/schedules.md "Overlap", "The slot
	 * view", "Backfill"): one row per slot a decision was taken on, and the durable buffer (waiting = 1: the slot
	 * waits for the running execution, or for a backfill's parallelism bound) */
	"ALTER TABLE entities ADD COLUMN max_buffered INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE entities ADD COLUMN pause_on_failure INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE schedule_slots("
	"  project TEXT NOT NULL, domain TEXT NOT NULL, name TEXT NOT NULL, slot INTEGER NOT NULL,"
	"  outcome INTEGER NOT NULL, waiting INTEGER NOT NULL DEFAULT 0, execution TEXT, detail TEXT NOT NULL DEFAULT '',"
	"  parallel INTEGER NOT NULL DEFAULT 0, recorded_at INTEGER NOT NULL,"
	"  PRIMARY KEY(project, domain, name, slot));"
	"CREATE INDEX schedule_slots_waiting ON schedule_slots(project, domain, name, slot) WHERE waiting = 1;",

	/* 6: the short description a task or workflow version was registered with (admin.DescriptionEntity; a spec's
	 * `description:`, a TaskSpec's or WorkflowSpec's description.short_description); IF NOT EXISTS: a file whose
	 * user_version was set back (tests/unit/test_sch_dst_jitter.c) may still have it */
	"CREATE TABLE IF NOT EXISTS description_entities("
	"  kind INTEGER NOT NULL, project TEXT NOT NULL, domain TEXT NOT NULL, name TEXT NOT NULL,"
	"  version TEXT NOT NULL, short_description TEXT NOT NULL, created_at INTEGER NOT NULL,"
	"  PRIMARY KEY(kind, project, domain, name, version));",

	/* 7: the scheduler's two per-fire tables keyed by their primary key alone (WITHOUT ROWID): a fire reads the
	 * last slot and the slot's log row and writes both, each one B-tree instead of a table and its key index
	 * (bench/RESULTS.md, "1,000 slots due at once", 2026-12-07 h3F). Same columns, rows copied. */
	"CREATE TABLE schedule_state_v7("
	"  project TEXT NOT NULL, domain TEXT NOT NULL, name TEXT NOT NULL, last_slot INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL, PRIMARY KEY(project, domain, name)) WITHOUT ROWID;"
	"INSERT INTO schedule_state_v7 SELECT project, domain, name, last_slot, updated_at FROM schedule_state;"
	"DROP TABLE schedule_state;"
	"ALTER TABLE schedule_state_v7 RENAME TO schedule_state;"
	"CREATE TABLE schedule_slots_v7("
	"  project TEXT NOT NULL, domain TEXT NOT NULL, name TEXT NOT NULL, slot INTEGER NOT NULL,"
	"  outcome INTEGER NOT NULL, waiting INTEGER NOT NULL DEFAULT 0, execution TEXT, detail TEXT NOT NULL DEFAULT '',"
	"  parallel INTEGER NOT NULL DEFAULT 0, recorded_at INTEGER NOT NULL,"
	"  PRIMARY KEY(project, domain, name, slot)) WITHOUT ROWID;"
	"INSERT INTO schedule_slots_v7 SELECT project, domain, name, slot, outcome, waiting, execution, detail, parallel,"
	"  recorded_at FROM schedule_slots;"
	"DROP TABLE schedule_slots;"
	"ALTER TABLE schedule_slots_v7 RENAME TO schedule_slots;"
	"CREATE INDEX schedule_slots_waiting ON schedule_slots(project, domain, name, slot) WHERE waiting = 1;",
};

/*
 * Indexes of the list queries (docs/architecture.md, "Lists over 100,000 executions"). Not migrations: they are
 * created when missing at every open, so they can be added to and dropped without a schema version. Every list
 * the console asks for finds its page by one of these in index order (a filter's equality columns, then the sort
 * column), never by a scan and a sort of the whole table; tests/unit/test_adm_store.c checks the plans.
 */
static const char list_indexes[] =
	"CREATE INDEX IF NOT EXISTS executions_by_phase ON executions(project, domain, phase, created_at);"
	"CREATE INDEX IF NOT EXISTS executions_by_lp ON executions(project, domain, lp_name, created_at);"
	"CREATE INDEX IF NOT EXISTS executions_by_wf ON executions(project, domain, wf_name, created_at);"
	"CREATE INDEX IF NOT EXISTS executions_by_mode ON executions(project, domain, mode, created_at);"
	"CREATE INDEX IF NOT EXISTS executions_by_updated ON executions(project, domain, updated_at);"
	"CREATE INDEX IF NOT EXISTS executions_by_started ON executions(project, domain, started_at);"
	"CREATE INDEX IF NOT EXISTS node_executions_by_created ON node_executions(exec_id, created_at);"
	"CREATE INDEX IF NOT EXISTS node_executions_by_parent ON node_executions(exec_id, parent_node_id, created_at);"
	"CREATE INDEX IF NOT EXISTS task_executions_by_node ON task_executions(exec_id, node_id, retry_attempt);";

const char *adm_kind_name(enum adm_kind kind)
{
	switch (kind) {
	case ADM_TASK:
		return "task";
	case ADM_WORKFLOW:
		return "workflow";
	case ADM_LAUNCH_PLAN:
		return "launch_plan";
	}
	return "unknown";
}

/* ------------------------------------------------------------------------------------------------------------ */

void adm_store_lock(struct adm_store *s)
{
	pthread_mutex_lock(&s->lock);
}

void adm_store_unlock(struct adm_store *s)
{
	pthread_mutex_unlock(&s->lock);
}

bool adm_store_retryable(int code)
{
	return code == FC_ESTORAGE || code == FC_EUNAVAILABLE;
}

/* The fc_err code for an sqlite result code (extended or primary). */
static int sqlite_code(int ext)
{
	switch (ext & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return FC_EUNAVAILABLE;
	case SQLITE_CONSTRAINT:
		return FC_ECONFLICT;
	case SQLITE_TOOBIG:
		return FC_ELIMIT;
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_PROTOCOL:
		return FC_ESTORAGE;
	default:
		return FC_EIO;
	}
}

int adm_sql_err(struct adm_store *s, struct fc_err *err, const char *what)
{
	int ext = sqlite3_extended_errcode(s->db);
	int code = sqlite_code(ext);

	return fc_err_set(err, code, "store: %s: %s%s", what, sqlite3_errmsg(s->db),
			  code == FC_ESTORAGE ? " (the disk is full or failing; retry later)" : "");
}

/* The front slots `sql` may be in: ADM_STMT_FRONT_WAYS consecutive ones from a hash of its address. */
static struct adm_stmt_front *stmt_front(struct adm_store *s, const char *sql)
{
	uintptr_t h = (uintptr_t)sql;

	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ULL;
	return &s->front[(h >> 40) & (ADM_STMT_FRONT - ADM_STMT_FRONT_WAYS)];
}

/* Remember `st` for `sql` in the front: in a free slot of its ways, else in place of the first. */
static void stmt_front_put(struct adm_store *s, const char *sql, sqlite3_stmt *st)
{
	struct adm_stmt_front *f = stmt_front(s, sql);
	size_t i;

	for (i = 0; i < ADM_STMT_FRONT_WAYS - 1 && f[i].sql; i++)
		;
	f[i].sql = sql;
	f[i].st = st;
}

sqlite3_stmt *adm_stmt(struct adm_store *s, const char *sql, struct fc_err *err)
{
	struct adm_stmt_front *f = stmt_front(s, sql);
	sqlite3_stmt *st;
	size_t i;

	for (i = 0; i < ADM_STMT_FRONT_WAYS; i++)
		if (f[i].sql == sql && !strcmp(sqlite3_sql(f[i].st), sql))
			return f[i].st;
	st = fc_strmap_get(&s->stmts, sql);
	if (st) {
		stmt_front_put(s, sql, st);
		return st;
	}
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		adm_sql_err(s, err, "prepare");
		return NULL;
	}
	if (s->stmts.size >= ADM_STMT_CACHE_MAX) {
		/* Full: the statement is finalized by adm_stmt_done() (recognised as uncached). */
		return st;
	}
	fc_strmap_put(&s->stmts, fc_xstrdup(sql), st);
	stmt_front_put(s, sql, st);
	return st;
}

void adm_stmt_done(struct adm_store *s, sqlite3_stmt *st)
{
	if (!st)
		return;
	/* The cache never drops a statement: while it has room, every statement adm_stmt() gave out is in it. */
	if (s->stmts.size < ADM_STMT_CACHE_MAX || fc_strmap_get(&s->stmts, sqlite3_sql(st)) == st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	} else {
		sqlite3_finalize(st);
	}
}

void adm_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

void adm_bind_blob(sqlite3_stmt *st, int i, const void *v, size_t len)
{
	if (v)
		sqlite3_bind_blob64(st, i, len ? v : "", len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

void adm_bind_all(sqlite3_stmt *st, int first, const struct adm_binds *b)
{
	size_t i;

	for (i = 0; i < b->nr; i++) {
		if (b->items[i].is_int)
			sqlite3_bind_int64(st, first + (int)i, b->items[i].i);
		else
			sqlite3_bind_text(st, first + (int)i, b->items[i].s, -1, SQLITE_STATIC);
	}
}

int adm_step_done(struct adm_store *s, sqlite3_stmt *st, struct fc_err *err)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	return adm_sql_err(s, err, "write");
}

static int exec_sql(struct adm_store *s, const char *sql, struct fc_err *err)
{
	char *msg = NULL;
	int src = sqlite3_exec(s->db, sql, NULL, NULL, &msg);

	if (src != SQLITE_OK) {
		int code = sqlite_code(sqlite3_extended_errcode(s->db) ? sqlite3_extended_errcode(s->db) : src);
		int rc = fc_err_set(err, code, "store: %s%s", msg ? msg : sql,
				    code == FC_ESTORAGE ? " (the disk is full or failing; retry later)" : "");

		sqlite3_free(msg);
		return rc;
	}
	return 0;
}

/*
 * One statement without rows through the statement cache: the nested levels' SAVEPOINT and RELEASE run for every
 * store write inside a transaction (about ten per scheduled fire), and sqlite3_exec parsed them each time.
 */
static int exec_cached(struct adm_store *s, const char *sql, struct fc_err *err)
{
	sqlite3_stmt *st = adm_stmt(s, sql, NULL);
	int src, rc = 0;

	if (!st)
		return exec_sql(s, sql, err);
	src = sqlite3_step(st);
	if (src != SQLITE_DONE && src != SQLITE_ROW) {
		int code = sqlite_code(sqlite3_extended_errcode(s->db) ? sqlite3_extended_errcode(s->db) : src);

		rc = fc_err_set(err, code, "store: %s%s", sqlite3_errmsg(s->db),
				code == FC_ESTORAGE ? " (the disk is full or failing; retry later)" : "");
	}
	adm_stmt_done(s, st);
	return rc;
}

int adm_tx_begin(struct adm_store *s, struct fc_err *err)
{
	int rc;

	adm_store_lock(s);
	if (s->tx_depth && sqlite3_get_autocommit(s->db)) {
		/* the enclosing transaction was rolled back by a write failure: a savepoint now would start (and
		 * commit) a transaction of its own, half of what the caller groups */
		adm_store_unlock(s);
		return fc_err_set(err, FC_ESTORAGE, "store: the transaction was rolled back by a write failure "
				  "(the disk is full or failing; retry later)");
	}
	if (s->flat_from && s->tx_depth >= s->flat_from && s->tx_depth < 32) {
		/* inside adm_store_flat(): the enclosing level rolls back whatever a failed inner level wrote */
		s->flat_levels |= 1u << s->tx_depth;
		s->tx_depth++;
		return 0;
	}
	rc = s->tx_depth ? exec_cached(s, "SAVEPOINT adm", err) : exec_sql(s, "BEGIN IMMEDIATE", err);
	if (rc) {
		adm_store_unlock(s);
		return rc;
	}
	s->tx_depth++;
	return 0;
}

void adm_store_flat(struct adm_store *s, bool on)
{
	adm_store_lock(s);
	s->flat_from = on && s->tx_depth ? s->tx_depth : 0;
	adm_store_unlock(s);
}

/* The open transaction saw `v` exist as a project or domain (`memo`: s->seen_project or s->seen_domain). */
static bool scope_seen(const struct adm_store *s, const char *memo, const char *v)
{
	return s->tx_depth && v && memo[0] && !strcmp(memo, v);
}

static void scope_see(struct adm_store *s, char *memo, const char *v)
{
	size_t n = v ? strlen(v) : 0;

	if (s->tx_depth && n && n < sizeof(s->seen_project))
		memcpy(memo, v, n + 1);
}

static void scope_forget(struct adm_store *s)
{
	s->seen_project[0] = s->seen_domain[0] = '\0';
}

void adm_store_set_listener(struct adm_store *s, adm_change_fn fn, void *ctx)
{
	adm_store_lock(s);
	s->on_change = fn;
	s->on_change_ctx = ctx;
	adm_store_unlock(s);
}

/* A transaction's first few changes are searched one by one; from this many on, through the index. */
#define CHANGES_LINEAR 8

bool adm_store_set_observer(struct adm_store *s, adm_change_fn fn, void *ctx)
{
	bool ok = true;

	adm_store_lock(s);
	if (!fn) {
		if (s->observer_ctx == ctx) {
			s->observer = NULL;
			s->observer_ctx = NULL;
		}
	} else if (s->observer) {
		ok = false;
	} else {
		s->observer = fn;
		s->observer_ctx = ctx;
	}
	adm_store_unlock(s);
	return ok;
}

static void changes_clear(struct adm_store *s)
{
	size_t i;

	for (i = 0; i < s->nchanges; i++)
		free((char *)s->changes[i].id.project); /* one block: "project\0domain\0name\0" */
	if (s->change_index.cap > 4 * CHANGES_LINEAR) {
		fc_strmap_release(&s->change_index); /* a big batch's table is not kept for the small ones after it */
	} else if (s->change_index.size) {
		memset(s->change_index.slots, 0, s->change_index.cap * sizeof(*s->change_index.slots));
		s->change_index.size = 0;
	}
	s->nchanges = 0;
	s->changes_overflow = false;
}

/* The change's key (its id's three strings with their NULs between them) and the key's length. */
static const char *change_key(const struct adm_change *c, size_t *len)
{
	*len = (size_t)(c->id.name - c->id.project) + strlen(c->id.name);
	return c->id.project;
}

void adm_store_note(struct adm_store *s, const struct adm_exec_id *id, bool phase)
{
	size_t lp, ld, ln, i, klen;
	struct adm_change *c;
	char *b;

	if (!s->on_change && !s->observer)
		return;
	if (s->nchanges <= CHANGES_LINEAR) {
		for (i = 0; i < s->nchanges; i++) {
			c = &s->changes[i];
			if (!strcmp(c->id.name, id->name) && !strcmp(c->id.project, id->project) &&
			    !strcmp(c->id.domain, id->domain)) {
				c->phase |= phase;
				return;
			}
		}
	}
	lp = strlen(id->project);
	ld = strlen(id->domain);
	ln = strlen(id->name);
	b = fc_xmalloc(lp + ld + ln + 3);
	memcpy(b, id->project, lp + 1);
	memcpy(b + lp + 1, id->domain, ld + 1);
	memcpy(b + lp + ld + 2, id->name, ln + 1);
	klen = lp + ld + ln + 2;
	if (s->nchanges > CHANGES_LINEAR) {
		uintptr_t at = (uintptr_t)fc_strmap_getn(&s->change_index, b, klen);

		if (at) {
			s->changes[at - 1].phase |= phase;
			free(b);
			return;
		}
	}
	if (s->nchanges >= ADM_STORE_CHANGES_MAX) {
		s->changes_overflow = true;
		free(b);
		return;
	}
	FC_ALLOC_GROW(s->changes, s->nchanges + 1, s->achanges);
	c = &s->changes[s->nchanges];
	c->id.project = b;
	c->id.domain = b + lp + 1;
	c->id.name = b + lp + ld + 2;
	c->phase = phase;
	s->nchanges++;
	if (s->nchanges == CHANGES_LINEAR + 1) {
		/* from now on through the index: put the ones searched linearly so far in it */
		for (i = 0; i < s->nchanges; i++) {
			const char *key = change_key(&s->changes[i], &klen);

			fc_strmap_putn(&s->change_index, key, klen, (void *)(uintptr_t)(i + 1));
		}
	} else if (s->nchanges > CHANGES_LINEAR + 1) {
		fc_strmap_putn(&s->change_index, b, klen, (void *)(uintptr_t)s->nchanges);
	}
}

/* The outermost transaction is over: tell the listener what it changed when it committed. */
static void changes_deliver(struct adm_store *s, bool committed)
{
	if (committed && s->observer && (s->nchanges || s->changes_overflow))
		s->observer(s->observer_ctx, s->changes, s->nchanges, s->changes_overflow);
	if (committed && s->on_change && (s->nchanges || s->changes_overflow))
		s->on_change(s->on_change_ctx, s->changes, s->nchanges, s->changes_overflow);
	changes_clear(s);
}

int adm_tx_end(struct adm_store *s, int rc, struct fc_err *err)
{
	uint32_t level;

	s->tx_depth--;
	level = s->tx_depth < 32 ? 1u << s->tx_depth : 0;
	if (rc || !s->tx_depth)
		scope_forget(s); /* a rollback may undo what was seen (a project created in it) */
	if (s->flat_levels & level) {
		/* no savepoint of its own: a failure is the enclosing level's to roll back */
		s->flat_levels &= ~level;
		if (!rc && sqlite3_get_autocommit(s->db))
			rc = fc_err_set(err, FC_ESTORAGE, "store: the transaction was rolled back by a write failure "
					"(the disk is full or failing; retry later)");
		adm_store_unlock(s);
		return rc;
	}
	if (s->flat_from > s->tx_depth)
		s->flat_from = 0; /* the level that asked for flat inner levels is over */
	if (rc) {
		/* sqlite may have rolled the whole transaction back itself (SQLITE_FULL, SQLITE_IOERR): then there is
		 * nothing left to roll back, and the outer levels must fail too (they see autocommit mode) */
		if (sqlite3_get_autocommit(s->db))
			;
		else if (s->tx_depth)
			exec_sql(s, "ROLLBACK TO adm; RELEASE adm", NULL);
		else
			exec_sql(s, "ROLLBACK", NULL);
	} else if (sqlite3_get_autocommit(s->db)) {
		/* an inner level's failure rolled everything back: committing now would claim work that is gone */
		rc = fc_err_set(err, FC_ESTORAGE, "store: the transaction was rolled back by a write failure "
				"(the disk is full or failing; retry later)");
	} else {
		rc = s->tx_depth ? exec_cached(s, "RELEASE adm", err) : exec_sql(s, "COMMIT", err);
		if (rc && !s->tx_depth)
			exec_sql(s, "ROLLBACK", NULL);
	}
	if (!s->tx_depth) {
		s->data_version_read = false;
		changes_deliver(s, rc == 0);
	}
	adm_store_unlock(s);
	return rc;
}

int adm_store_begin(struct adm_store *s, struct fc_err *err)
{
	return adm_tx_begin(s, err);
}

int adm_store_commit(struct adm_store *s, struct fc_err *err)
{
	return adm_tx_end(s, 0, err);
}

void adm_store_rollback(struct adm_store *s)
{
	adm_tx_end(s, FC_EINTERNAL, NULL);
}

const char *adm_col_text(struct fc_arena *a, sqlite3_stmt *st, int i)
{
	const unsigned char *t;

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	t = sqlite3_column_text(st, i);
	return fc_arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(st, i));
}

const uint8_t *adm_col_blob(struct fc_arena *a, sqlite3_stmt *st, int i, size_t *len)
{
	const void *b;
	size_t n;

	*len = 0;
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	b = sqlite3_column_blob(st, i);
	n = (size_t)sqlite3_column_bytes(st, i);
	*len = n;
	return n ? fc_arena_memdup(a, b, n) : fc_arena_alloc(a, 1);
}

char *adm_next_token(struct fc_arena *a, size_t nrows, uint32_t limit, int64_t offset)
{
	if (nrows <= limit)
		return NULL;
	return fc_arena_printf(a, "%" PRId64, offset + limit);
}


/* Select the sort column and the rowid after the row's own columns (" FROM " is the first one in every listing's
 * SQL), for the keyset of the page's last row. */
static void select_keyset_columns(struct fc_buf *sql, const struct adm_keyset *ks)
{
	const char *from = strstr(sql->buf, " FROM ");
	struct fc_buf with = FC_BUF_INIT;

	if (!from)
		FC_BUG("a listing without FROM: %s", sql->buf);
	fc_buf_add(&with, sql->buf, (size_t)(from - sql->buf));
	fc_buf_addf(&with, ", %s, %.*srowid", ks->column, ks->alias_len, ks->alias);
	fc_buf_adds(&with, from);
	fc_buf_reset(sql);
	fc_buf_add(sql, with.buf, with.len);
	fc_buf_release(&with);
}

/* The rows a runner read (malloc'd `items`) into the caller's arena, with one zeroed item past the end. */
static void rows_to_arena(struct fc_arena *a, const char *items, size_t n, size_t item_size, void **out, size_t *nr)
{
	*out = fc_arena_array(a, n + 1, item_size);
	if (n)
		memcpy(*out, items, n * item_size);
	*nr = n;
}

static int run_list(struct adm_store *s, struct fc_buf *sql, struct adm_binds *binds, const struct adm_query *q,
		    const struct adm_field *fields, size_t nfields, const char *default_sort, size_t item_size,
		    adm_row_reader reader, bool keyset, struct fc_arena *a, void **out, size_t *nr, char **next_token,
		    struct fc_err *err)
{
	char *items = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *st;
	struct adm_keyset ks = {0};
	struct adm_query rest = q ? *q : (struct adm_query){0};
	int64_t offset, last_value = 0, last_rowid = 0;
	uint32_t limit;
	int rc, step;

	*out = NULL;
	*nr = 0;
	*next_token = NULL;
	rc = adm_query_where(q, fields, nfields, sql, binds, err);
	if (!rc && keyset)
		rc = adm_query_keyset(q, fields, nfields, default_sort, sql, binds, &ks, &rest, err);
	if (!rc)
		rc = adm_query_order_limit(&rest, fields, nfields, default_sort, sql, binds, &limit, &offset, err);
	if (rc)
		return rc;
	if (ks.on)
		select_keyset_columns(sql, &ks);
	adm_store_lock(s);
	st = adm_stmt(s, sql->buf, err);
	if (!st) {
		adm_store_unlock(s);
		return FC_EIO;
	}
	adm_bind_all(st, 1, binds);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		FC_ALLOC_GROW(items, (n + 1) * item_size, alloc);
		reader(a, st, items + n * item_size);
		if (ks.on && n + 1 == limit) {
			int ncols = sqlite3_column_count(st);

			last_value = sqlite3_column_int64(st, ncols - 2);
			last_rowid = sqlite3_column_int64(st, ncols - 1);
		}
		if (++n > limit)
			break; /* one row past the page says another page exists */
	}
	if (step != SQLITE_DONE && step != SQLITE_ROW)
		rc = adm_sql_err(s, err, "listing");
	adm_stmt_done(s, st);
	adm_store_unlock(s);
	if (!rc) {
		if (ks.on && n > limit)
			*next_token = fc_arena_printf(a, "k:%s:%c:%" PRId64 ":%" PRId64, ks.field, ks.asc ? 'a' : 'd',
						      last_value, last_rowid);
		else
			*next_token = adm_next_token(a, n, limit, offset);
		rows_to_arena(a, items, n > limit ? limit : n, item_size, out, nr);
	}
	free(items);
	return rc;
}

int adm_run_list(struct adm_store *s, struct fc_buf *sql, struct adm_binds *binds, const struct adm_query *q,
		    const struct adm_field *fields, size_t nfields, const char *default_sort, size_t item_size,
		    adm_row_reader reader, struct fc_arena *a, void **out, size_t *nr, char **next_token,
		    struct fc_err *err)
{
	return run_list(s, sql, binds, q, fields, nfields, default_sort, item_size, reader, false, a, out, nr,
			next_token, err);
}

int adm_read_rows(struct adm_store *s, const char *sql, const struct adm_binds *binds, size_t item_size,
		  adm_row_reader reader, const char *what, struct fc_arena *a, void **out, size_t *nr,
		  struct fc_err *err)
{
	char *items = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *st;
	int rc = 0, step;

	*out = NULL;
	*nr = 0;
	adm_store_lock(s);
	st = adm_stmt(s, sql, err);
	if (!st) {
		adm_store_unlock(s);
		return FC_EIO;
	}
	if (binds)
		adm_bind_all(st, 1, binds);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		FC_ALLOC_GROW(items, (n + 1) * item_size, alloc);
		reader(a, st, items + n * item_size);
		n++;
	}
	if (step != SQLITE_DONE)
		rc = adm_sql_err(s, err, what);
	adm_stmt_done(s, st);
	adm_store_unlock(s);
	if (!rc)
		rows_to_arena(a, items, n, item_size, out, nr);
	free(items);
	return rc;
}

int adm_run_list_keyset(struct adm_store *s, struct fc_buf *sql, struct adm_binds *binds, const struct adm_query *q,
			const struct adm_field *fields, size_t nfields, const char *default_sort, size_t item_size,
			adm_row_reader reader, struct fc_arena *a, void **out, size_t *nr, char **next_token,
			struct fc_err *err)
{
	return run_list(s, sql, binds, q, fields, nfields, default_sort, item_size, reader, true, a, out, nr,
			next_token, err);
}

int adm_list_plan(struct adm_store *s, struct fc_buf *sql, struct adm_binds *binds, const struct adm_query *q,
		  const struct adm_field *fields, size_t nfields, const char *default_sort, struct fc_buf *plan,
		  struct fc_err *err)
{
	struct fc_buf explain = FC_BUF_INIT;
	sqlite3_stmt *st = NULL;
	struct adm_keyset ks;
	struct adm_query rest;
	uint32_t limit;
	int64_t offset;
	int rc, step;

	rc = adm_query_where(q, fields, nfields, sql, binds, err);
	if (!rc)
		rc = adm_query_keyset(q, fields, nfields, default_sort, sql, binds, &ks, &rest, err);
	if (!rc)
		rc = adm_query_order_limit(&rest, fields, nfields, default_sort, sql, binds, &limit, &offset, err);
	if (rc)
		return rc;
	if (ks.on)
		select_keyset_columns(sql, &ks);
	fc_buf_addf(&explain, "EXPLAIN QUERY PLAN %s", sql->buf);
	adm_store_lock(s);
	if (sqlite3_prepare_v2(s->db, explain.buf, -1, &st, NULL) != SQLITE_OK) {
		rc = adm_sql_err(s, err, "planning a listing");
		goto out;
	}
	adm_bind_all(st, 1, binds);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) /* id, parent, notused, detail */
		fc_buf_addf(plan, "%s\n", (const char *)sqlite3_column_text(st, 3));
	if (step != SQLITE_DONE)
		rc = adm_sql_err(s, err, "planning a listing");
out:
	sqlite3_finalize(st);
	adm_store_unlock(s);
	fc_buf_release(&explain);
	return rc;
}

static int64_t real_now(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t adm_store_now(struct adm_store *s)
{
	return s->now(s->now_ctx);
}

void adm_store_set_clock(struct adm_store *s, int64_t (*now)(void *ctx), void *ctx)
{
	s->now = now ? now : real_now;
	s->now_ctx = ctx;
}

static int user_version(struct adm_store *s)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

int adm_store_schema_version(struct adm_store *s)
{
	int v;

	adm_store_lock(s);
	v = user_version(s);
	adm_store_unlock(s);
	return v;
}

static int migrate(struct adm_store *s, struct fc_err *err)
{
	int v, rc = 0;
	char pragma[64];

	rc = exec_sql(s, "BEGIN IMMEDIATE", err);
	if (rc)
		return rc;
	v = user_version(s);
	if (v < 0) {
		rc = adm_sql_err(s, err, "reading the schema version");
		goto out;
	}
	if (v > (int)FC_ARRAY_LEN(migrations)) {
		rc = fc_err_set(err, FC_EUNSUPPORTED,
				"store: the database has schema version %d, newer than this flytec (%d)", v,
				(int)FC_ARRAY_LEN(migrations));
		goto out;
	}
	for (; v < (int)FC_ARRAY_LEN(migrations); v++) {
		rc = exec_sql(s, migrations[v], err);
		if (rc) {
			fc_err_prefix(err, "migration %d: ", v + 1);
			goto out;
		}
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		rc = exec_sql(s, pragma, err);
		if (rc)
			goto out;
	}
	rc = exec_sql(s, list_indexes, err);
	if (rc)
		fc_err_prefix(err, "list indexes: ");
out:
	if (rc)
		exec_sql(s, "ROLLBACK", NULL);
	else
		rc = exec_sql(s, "COMMIT", err);
	return rc;
}

/*
 * sqlite's process-wide settings, before the first connection opens (sqlite3_config is refused after sqlite is
 * initialized; then the defaults stay, which is slower, not wrong).
 */
static void sqlite_configure(void)
{
	if (sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, ADM_STMT_JOURNAL_SPILL) != SQLITE_OK)
		fc_debug("store: sqlite was initialized before the store: statement journals spill at the default size");
}

/* sqlite's update hook, called at each row this connection writes: count the writes of `entities` rows. */
static void on_row_write(void *ctx, int op, const char *db, const char *table, sqlite3_int64 rowid)
{
	struct adm_store *s = ctx;

	(void)op;
	(void)db;
	(void)rowid;
	if (table[0] == 'e' && !strcmp(table, "entities"))
		s->entities_epoch++;
}

/* sqlite's WAL hook, after each commit: checkpoint past ADM_WAL_CHECKPOINT_FRAMES, or while deferred past
 * ADM_WAL_DEFERRED_MAX_FRAMES (sqlite's own autocheckpoint does the former, and is replaced by this hook). A
 * checkpoint that could not finish (a reader) is tried again after a later commit. */
static int on_wal_commit(void *ctx, sqlite3 *db, const char *name, int frames)
{
	struct adm_store *s = ctx;

	s->wal_frames = frames;
	if (frames >= (s->checkpoints_deferred ? ADM_WAL_DEFERRED_MAX_FRAMES : ADM_WAL_CHECKPOINT_FRAMES))
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

void adm_store_defer_checkpoints(struct adm_store *s, bool on)
{
	adm_store_lock(s);
	s->checkpoints_deferred = on;
	if (!on && !s->tx_depth && s->wal_frames >= ADM_WAL_CHECKPOINT_FRAMES) {
		sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		s->wal_frames = 0; /* the next commit says how far the WAL got */
	}
	adm_store_unlock(s);
}

int64_t adm_store_total_changes(struct adm_store *s)
{
	int64_t n;

	adm_store_lock(s);
	n = (int64_t)sqlite3_total_changes64(s->db);
	adm_store_unlock(s);
	return n;
}

void adm_store_pages(struct adm_store *s, struct adm_store_pages *out)
{
	sqlite3_stmt *st;
	int cur, high;

	memset(out, 0, sizeof(*out));
	adm_store_lock(s);
	if (sqlite3_db_status(s->db, SQLITE_DBSTATUS_CACHE_HIT, &cur, &high, 0) == SQLITE_OK)
		out->hit = cur;
	if (sqlite3_db_status(s->db, SQLITE_DBSTATUS_CACHE_MISS, &cur, &high, 0) == SQLITE_OK)
		out->miss = cur;
	if (sqlite3_db_status(s->db, SQLITE_DBSTATUS_CACHE_WRITE, &cur, &high, 0) == SQLITE_OK)
		out->written = cur;
	st = adm_stmt(s, "PRAGMA page_count", NULL);
	if (st && sqlite3_step(st) == SQLITE_ROW)
		out->count = sqlite3_column_int64(st, 0);
	adm_stmt_done(s, st);
	adm_store_unlock(s);
}

uint64_t adm_store_entities_epoch(struct adm_store *s)
{
	sqlite3_stmt *st;
	uint64_t epoch;

	adm_store_lock(s);
	/* inside a transaction nobody else writes, so one read of data_version serves the whole of it */
	if (!s->data_version_read || !s->tx_depth || sqlite3_get_autocommit(s->db)) {
		st = adm_stmt(s, "PRAGMA data_version", NULL);
		if (st && sqlite3_step(st) == SQLITE_ROW) {
			int64_t v = sqlite3_column_int64(st, 0);

			if (v != s->data_version)
				s->entities_epoch++;
			s->data_version = v;
			s->data_version_read = s->tx_depth && !sqlite3_get_autocommit(s->db);
		} else {
			s->entities_epoch++; /* unknown: as if changed */
			s->data_version_read = false;
		}
		adm_stmt_done(s, st);
	}
	epoch = s->entities_epoch;
	adm_store_unlock(s);
	return epoch;
}

int adm_store_open(const char *path, struct adm_store **out, struct fc_err *err)
{
	static pthread_once_t configured = PTHREAD_ONCE_INIT;

	struct adm_store *s = fc_xcalloc(1, sizeof(*s));
	pthread_mutexattr_t attr;
	int rc = 0;

	*out = NULL;
	pthread_once(&configured, sqlite_configure);
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&s->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	fc_strmap_init(&s->stmts);
	s->now = real_now;
	s->entities_epoch = 1;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    adm_store_fault_vfs()) != SQLITE_OK) {
		rc = fc_err_set(err, FC_EIO, "store: cannot open %s: %s", path,
				s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(s->db, 5000);
	sqlite3_extended_result_codes(s->db, 1);
	rc = exec_sql(s, "PRAGMA journal_mode = WAL", err);
	if (!rc)
		rc = exec_sql(s, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON", err);
	if (!rc) {
		char pragma[64];

		snprintf(pragma, sizeof(pragma), "PRAGMA cache_size = -%d", ADM_STORE_CACHE_KIB);
		rc = exec_sql(s, pragma, err);
	}
	if (!rc)
		rc = migrate(s, err);
	if (rc)
		fc_err_prefix(err, "%s: ", path);
	else {
		sqlite3_update_hook(s->db, on_row_write, s);
		sqlite3_wal_hook(s->db, on_wal_commit, s); /* in place of sqlite's autocheckpoint */
	}
out:
	if (rc) {
		adm_store_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

static void unsaved_release(struct adm_file_status *f)
{
	free((char *)f->path);
	free((char *)f->diagnostics_text);
	free((char *)f->diagnostics_json);
}

void adm_store_free(struct adm_store *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->stmts.cap; i++) {
		if (s->stmts.slots[i].key) {
			sqlite3_finalize(s->stmts.slots[i].value);
			free((char *)s->stmts.slots[i].key);
		}
	}
	fc_strmap_release(&s->stmts);
	for (i = 0; i < s->nunsaved_files; i++)
		unsaved_release(&s->unsaved_files[i]);
	free(s->unsaved_files);
	changes_clear(s);
	free(s->changes);
	fc_strmap_release(&s->change_index);
	if (s->db)
		sqlite3_close_v2(s->db);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* ------------------------------------------------------------------------------------------------------------
 * Names.
 */
int adm_check_project(const char *s, struct fc_err *err)
{
	size_t i, n = s ? strlen(s) : 0;

	if (!n)
		return fc_err_set(err, FC_EINVAL, "project is required");
	if (n > 63)
		return fc_err_set(err, FC_EINVAL, "project '%.63s...' is longer than 63 characters", s);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(islower(c) || isdigit(c) || c == '-') || !isascii(c))
			return fc_err_set(err, FC_EINVAL,
					  "project '%s' is not a DNS-1123 label (lower-case letters, digits and '-')", s);
	}
	if (s[0] == '-' || s[n - 1] == '-')
		return fc_err_set(err, FC_EINVAL, "project '%s' must start and end with a letter or digit", s);
	return 0;
}

int adm_check_name(const char *what, const char *s, struct fc_err *err)
{
	size_t i, n = s ? strlen(s) : 0;

	if (!n)
		return fc_err_set(err, FC_EINVAL, "%s is required", what);
	if (n > 255)
		return fc_err_set(err, FC_EINVAL, "%s is longer than 255 characters", what);
	if (s[0] == '.' || strstr(s, ".."))
		return fc_err_set(err, FC_EINVAL, "%s '%s' may not start with '.' or contain '..'", what, s);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || c == '/' || c == '\\' || c == '%' || c == '?' || c == '#')
			return fc_err_set(err, FC_EINVAL,
					  "%s contains a character that is not allowed (0x%02x at offset %zu): names use "
					  "printable ASCII without spaces, '/', '\\', '%%', '?' or '#'", what, c, i);
	}
	return 0;
}

int adm_check_id(const struct adm_id *id, bool need_version, struct fc_err *err)
{
	int rc = adm_check_project(id->project, err);

	if (!rc)
		rc = adm_check_project(id->domain, err) ? fc_err_set(err, FC_EINVAL, "domain '%s' is not valid",
								       id->domain ? id->domain : "") : 0;
	if (!rc)
		rc = adm_check_name("name", id->name, err);
	if (!rc && (need_version || (id->version && *id->version)))
		rc = adm_check_name("version", id->version, err);
	return rc;
}

/* ------------------------------------------------------------------------------------------------------------
 * Projects and domains.
 */
bool adm_domain_exists(struct adm_store *s, const char *domain)
{
	sqlite3_stmt *st;
	bool found = false;

	adm_store_lock(s);
	if (scope_seen(s, s->seen_domain, domain)) {
		adm_store_unlock(s);
		return true;
	}
	st = adm_stmt(s, "SELECT 1 FROM domains WHERE id = ?", NULL);
	if (st) {
		adm_bind_text(st, 1, domain);
		found = sqlite3_step(st) == SQLITE_ROW;
		adm_stmt_done(s, st);
	}
	if (found)
		scope_see(s, s->seen_domain, domain);
	adm_store_unlock(s);
	return found;
}

static void read_domain(struct fc_arena *a, sqlite3_stmt *st, void *item)
{
	*(const char **)item = adm_col_text(a, st, 0);
}

int adm_domain_list(struct adm_store *s, struct fc_arena *a, const char ***ids, size_t *nr, struct fc_err *err)
{
	void *list;
	int rc = adm_read_rows(s, "SELECT id FROM domains ORDER BY CASE id WHEN 'development' THEN 0 WHEN 'staging' "
				  "THEN 1 WHEN 'production' THEN 2 ELSE 3 END, id",
			       NULL, sizeof(const char *), read_domain, "listing domains", a, &list, nr, err);

	*ids = rc ? fc_arena_array(a, 1, sizeof(const char *)) : list; /* NULL-terminated either way */
	return rc;
}

int adm_project_create(struct adm_store *s, const struct adm_project *p, struct fc_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = adm_check_project(p->id, err);
	if (rc)
		return rc;
	rc = adm_tx_begin(s, err);
	if (rc)
		return rc;
	st = adm_stmt(s, "INSERT INTO projects(id, name, description, state, created_at) VALUES(?,?,?,?,?) "
			 "ON CONFLICT(id) DO NOTHING", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	adm_bind_text(st, 1, p->id);
	adm_bind_text(st, 2, p->name && *p->name ? p->name : p->id);
	adm_bind_text(st, 3, p->description ? p->description : "");
	sqlite3_bind_int(st, 4, p->state);
	sqlite3_bind_int64(st, 5, adm_store_now(s));
	rc = adm_step_done(s, st, err);
	if (!rc && sqlite3_changes(s->db) == 0)
		rc = fc_err_set(err, FC_EEXIST, "project '%s' already exists", p->id);
out:
	adm_stmt_done(s, st);
	return adm_tx_end(s, rc, err);
}

int adm_project_ensure(struct adm_store *s, const char *project, struct fc_err *err)
{
	struct adm_project p = {project, project, "", 0, 0};
	sqlite3_stmt *st;
	bool found = false;
	int rc;

	/* Nearly always there already (every execution creation asks): a read, without a savepoint and an insert. */
	adm_store_lock(s);
	found = scope_seen(s, s->seen_project, project);
	st = project && !found ? adm_stmt(s, "SELECT 1 FROM projects WHERE id = ?", NULL) : NULL;
	if (st) {
		adm_bind_text(st, 1, project);
		found = sqlite3_step(st) == SQLITE_ROW;
		adm_stmt_done(s, st);
		if (found)
			scope_see(s, s->seen_project, project);
	}
	adm_store_unlock(s);
	if (found)
		return 0;
	rc = adm_project_create(s, &p, err);
	return rc == FC_EEXIST ? 0 : rc;
}

/* Append "a, b, c" (the first `max` ids of `sql`'s single column) to `out`, or "none". */
static void list_ids(struct adm_store *s, const char *sql, size_t max, struct fc_buf *out)
{
	sqlite3_stmt *st = adm_stmt(s, sql, NULL);
	size_t n = 0;

	if (st) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			if (n++ == max) {
				fc_buf_adds(out, ", ...");
				break;
			}
			fc_buf_addf(out, "%s%s", n > 1 ? ", " : "", (const char *)sqlite3_column_text(st, 0));
		}
		adm_stmt_done(s, st);
	}
	if (!n)
		fc_buf_adds(out, "none");
}

int adm_check_scope(struct adm_store *s, const char *project, const char *domain, bool project_must_exist,
		    struct fc_err *err)
{
	struct fc_buf known = FC_BUF_INIT;
	sqlite3_stmt *st;
	bool found = false;
	int rc;

	rc = adm_check_project(project, err);
	if (rc)
		return rc;
	if (adm_check_project(domain, NULL))
		return fc_err_set(err, FC_EINVAL, "domain '%s' is not valid", domain ? domain : "");
	adm_store_lock(s);
	if (!adm_domain_exists(s, domain)) {
		list_ids(s, "SELECT id FROM domains ORDER BY id", 50, &known);
		rc = fc_err_set(err, FC_EINVAL, "domain '%s' does not exist (domains: %s)", domain, known.buf);
		goto out;
	}
	if (!project_must_exist || scope_seen(s, s->seen_project, project))
		goto out;
	st = adm_stmt(s, "SELECT 1 FROM projects WHERE id = ?", err);
	if (!st) {
		rc = err ? err->code : FC_EIO;
		goto out;
	}
	adm_bind_text(st, 1, project);
	found = sqlite3_step(st) == SQLITE_ROW;
	adm_stmt_done(s, st);
	if (found)
		scope_see(s, s->seen_project, project);
	if (!found) {
		list_ids(s, "SELECT id FROM projects ORDER BY id", 50, &known);
		rc = fc_err_set(err, FC_EINVAL, "project '%s' does not exist (projects: %s)", project, known.buf);
	}
out:
	adm_store_unlock(s);
	fc_buf_release(&known);
	return rc;
}

int adm_project_update(struct adm_store *s, const struct adm_project *p, struct fc_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = adm_tx_begin(s, err);
	if (rc)
		return rc;
	st = adm_stmt(s, "UPDATE projects SET name = ?, description = ?, state = ? WHERE id = ?", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	adm_bind_text(st, 1, p->name && *p->name ? p->name : p->id);
	adm_bind_text(st, 2, p->description ? p->description : "");
	sqlite3_bind_int(st, 3, p->state);
	adm_bind_text(st, 4, p->id);
	rc = adm_step_done(s, st, err);
	if (!rc && sqlite3_changes(s->db) == 0)
		rc = fc_err_set(err, FC_ENOENT, "project '%s' not found", p->id);
out:
	adm_stmt_done(s, st);
	return adm_tx_end(s, rc, err);
}

static void read_project(struct fc_arena *a, sqlite3_stmt *st, struct adm_project *p)
{
	p->id = adm_col_text(a, st, 0);
	p->name = adm_col_text(a, st, 1);
	p->description = adm_col_text(a, st, 2);
	p->state = sqlite3_column_int(st, 3);
	p->created_at = sqlite3_column_int64(st, 4);
}

int adm_project_get(struct adm_store *s, const char *id, struct fc_arena *a, struct adm_project *out,
		    struct fc_err *err)
{
	sqlite3_stmt *st;
	int rc = 0, step;

	adm_store_lock(s);
	st = adm_stmt(s, "SELECT id, name, description, state, created_at FROM projects WHERE id = ?", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	adm_bind_text(st, 1, id);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		read_project(a, st, out);
	else if (step == SQLITE_DONE)
		rc = fc_err_set(err, FC_ENOENT, "project '%s' not found", id);
	else
		rc = adm_sql_err(s, err, "reading a project");
	adm_stmt_done(s, st);
out:
	adm_store_unlock(s);
	return rc;
}

static const struct adm_field project_fields[] = {
	{"id", "id", ADM_FIELD_TEXT, NULL},
	{"name", "name", ADM_FIELD_TEXT, NULL},
	{"state", "state", ADM_FIELD_INT, NULL},
	{"created_at", "created_at", ADM_FIELD_TIME, NULL},
};

static void project_reader(struct fc_arena *a, sqlite3_stmt *st, void *item)
{
	read_project(a, st, item);
}

int adm_project_list(struct adm_store *s, const struct adm_query *q, struct fc_arena *a, struct adm_project **out,
		     size_t *nr, char **next_token, struct fc_err *err)
{
	struct adm_query by_id = q ? *q : (struct adm_query){0};
	struct fc_buf sql = FC_BUF_INIT;
	struct adm_binds binds;
	int rc;

	adm_binds_init(&binds);
	if (!by_id.sort_key) {
		by_id.sort_key = "id";
		by_id.sort_asc = true;
	}
	fc_buf_adds(&sql, "SELECT id, name, description, state, created_at FROM projects WHERE 1");
	rc = adm_run_list(s, &sql, &binds, &by_id, project_fields, FC_ARRAY_LEN(project_fields), "id", sizeof(**out),
			  project_reader, a, (void **)out, nr, next_token, err);
	adm_binds_release(&binds);
	fc_buf_release(&sql);
	return rc;
}

/* ------------------------------------------------------------------------------------------------------------
 * Entities.
 */
#define ENTITY_COLS                                                                                        \
	"kind, project, domain, name, version, digest, spec, closure, source, state, has_schedule, catchup, "  \
	"max_catchup, catchup_window, concurrency, created_at, updated_at, dst_repeat, dst_skip, jitter_ms, "  \
	"max_buffered, pause_on_failure"

/* The same columns without the spec and closure blobs (read_entity leaves them NULL). */
#define ENTITY_HEAD_COLS                                                                                   \
	"kind, project, domain, name, version, digest, NULL, NULL, source, state, has_schedule, catchup, "    \
	"max_catchup, catchup_window, concurrency, created_at, updated_at, dst_repeat, dst_skip, jitter_ms, "  \
	"max_buffered, pause_on_failure"

static void read_entity(struct fc_arena *a, sqlite3_stmt *st, int first, struct adm_entity *e)
{
	const char *digest;

	memset(e, 0, sizeof(*e));
	e->kind = (enum adm_kind)sqlite3_column_int(st, first + 0);
	e->id.project = adm_col_text(a, st, first + 1);
	e->id.domain = adm_col_text(a, st, first + 2);
	e->id.name = adm_col_text(a, st, first + 3);
	e->id.version = adm_col_text(a, st, first + 4);
	digest = (const char *)sqlite3_column_text(st, first + 5);
	snprintf(e->digest, sizeof(e->digest), "%s", digest ? digest : "");
	e->spec = adm_col_blob(a, st, first + 6, &e->spec_len);
	e->closure = adm_col_blob(a, st, first + 7, &e->closure_len);
	e->source = adm_col_text(a, st, first + 8);
	e->state = sqlite3_column_int(st, first + 9);
	e->has_schedule = sqlite3_column_int(st, first + 10) != 0;
	e->policy.catchup = (enum cmp_catchup)sqlite3_column_int(st, first + 11);
	e->policy.max_catchup = (uint32_t)sqlite3_column_int64(st, first + 12);
	e->policy.catchup_window_seconds = sqlite3_column_int64(st, first + 13);
	e->policy.concurrency = (enum cmp_concurrency)sqlite3_column_int(st, first + 14);
	e->created_at = sqlite3_column_int64(st, first + 15);
	e->updated_at = sqlite3_column_int64(st, first + 16);
	e->policy.dst_repeat = sqlite3_column_int(st, first + 17);
	e->policy.dst_skip = sqlite3_column_int(st, first + 18);
	e->policy.jitter_ms = sqlite3_column_int64(st, first + 19);
	e->policy.max_buffered = (uint32_t)sqlite3_column_int64(st, first + 20);
	e->policy.pause_on_failure = (uint32_t)sqlite3_column_int64(st, first + 21);
}

static bool policy_equal(const struct cmp_schedule_policy *a, const struct cmp_schedule_policy *b)
{
	return a->catchup == b->catchup && a->max_catchup == b->max_catchup &&
	       a->catchup_window_seconds == b->catchup_window_seconds && a->concurrency == b->concurrency &&
	       a->dst_repeat == b->dst_repeat && a->dst_skip == b->dst_skip && a->jitter_ms == b->jitter_ms &&
	       a->max_buffered == b->max_buffered && a->pause_on_failure == b->pause_on_failure;
}

static int entity_lookup(struct adm_store *s, enum adm_kind kind, const struct adm_id *id, struct fc_arena *a,
			 struct adm_entity *out, struct fc_err *err)
{
	sqlite3_stmt *st;
	bool latest = !id->version || !*id->version;
	int rc = 0, step;

	st = adm_stmt(s, latest ? "SELECT " ENTITY_COLS " FROM entities WHERE kind = ? AND project = ? AND domain = ? "
				  "AND name = ? ORDER BY created_at DESC, id DESC LIMIT 1"
				: "SELECT " ENTITY_COLS " FROM entities WHERE kind = ? AND project = ? AND domain = ? "
				  "AND name = ? AND version = ?", err);
	if (!st)
		return FC_EIO;
	sqlite3_bind_int(st, 1, (int)kind);
	adm_bind_text(st, 2, id->project);
	adm_bind_text(st, 3, id->domain);
	adm_bind_text(st, 4, id->name);
	if (!latest)
		adm_bind_text(st, 5, id->version);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		read_entity(a, st, 0, out);
	else if (step == SQLITE_DONE)
		rc = fc_err_set(err, FC_ENOENT, "%s %s/%s/%s%s%s not found", adm_kind_name(kind), id->project,
				id->domain, id->name, latest ? "" : "@", latest ? "" : id->version);
	else
		rc = adm_sql_err(s, err, "reading an entity");
	adm_stmt_done(s, st);
	return rc;
}

int adm_entity_get(struct adm_store *s, enum adm_kind kind, const struct adm_id *id, struct fc_arena *a,
		   struct adm_entity *out, struct fc_err *err)
{
	int rc;

	adm_store_lock(s);
	rc = entity_lookup(s, kind, id, a, out, err);
	adm_store_unlock(s);
	return rc;
}

static int update_policy(struct adm_store *s, const struct adm_entity *e, struct fc_err *err)
{
	sqlite3_stmt *st = adm_stmt(s, "UPDATE entities SET catchup = ?, max_catchup = ?, catchup_window = ?, "
				       "concurrency = ?, updated_at = ?, dst_repeat = ?, dst_skip = ?, jitter_ms = ?, "
				       "max_buffered = ?, pause_on_failure = ? "
				       "WHERE kind = 3 AND project = ? AND domain = ? AND name = ? AND version = ?", err);
	int rc;

	if (!st)
		return FC_EIO;
	sqlite3_bind_int(st, 1, e->policy.catchup);
	sqlite3_bind_int64(st, 2, e->policy.max_catchup);
	sqlite3_bind_int64(st, 3, e->policy.catchup_window_seconds);
	sqlite3_bind_int(st, 4, e->policy.concurrency);
	sqlite3_bind_int64(st, 5, adm_store_now(s));
	sqlite3_bind_int(st, 6, e->policy.dst_repeat);
	sqlite3_bind_int(st, 7, e->policy.dst_skip);
	sqlite3_bind_int64(st, 8, e->policy.jitter_ms);
	sqlite3_bind_int64(st, 9, e->policy.max_buffered);
	sqlite3_bind_int64(st, 10, e->policy.pause_on_failure);
	adm_bind_text(st, 11, e->id.project);
	adm_bind_text(st, 12, e->id.domain);
	adm_bind_text(st, 13, e->id.name);
	adm_bind_text(st, 14, e->id.version);
	rc = adm_step_done(s, st, err);
	adm_stmt_done(s, st);
	return rc;
}

int adm_entity_register(struct adm_store *s, const struct adm_entity *e, bool *created, struct fc_arena *a,
			struct adm_entity *existing, struct fc_err *err)
{
	unsigned char hash[FC_SHA256_LEN];
	char digest[FC_SHA256_HEX_LEN + 1];
	struct fc_arena tmp;
	struct adm_entity old;
	sqlite3_stmt *st = NULL;
	int64_t now;
	int rc;

	*created = false;
	rc = adm_check_id(&e->id, true, err);
	if (rc)
		return rc;
	if (!e->spec)
		return fc_err_set(err, FC_EINVAL, "%s has no spec", adm_kind_name(e->kind));
	fc_sha256(e->spec, e->spec_len, hash);
	fc_hex(hash, sizeof(hash), digest);
	fc_arena_init(&tmp, 0);
	rc = adm_tx_begin(s, err);
	if (rc)
		goto out_arena;
	if (!adm_domain_exists(s, e->id.domain)) {
		rc = fc_err_set(err, FC_EINVAL, "domain '%s' does not exist", e->id.domain);
		goto out;
	}
	rc = adm_project_ensure(s, e->id.project, err);
	if (rc)
		goto out;
	rc = entity_lookup(s, e->kind, &e->id, &tmp, &old, err);
	if (rc == 0) {
		if (!strcmp(old.digest, digest) && old.spec_len == e->spec_len) {
			/* identical: already exists (a launch plan's schedule policy may still have changed) */
			if (e->kind == ADM_LAUNCH_PLAN && e->policy_set && !policy_equal(&old.policy, &e->policy))
				rc = update_policy(s, e, err);
			goto out;
		}
		if (existing)
			entity_lookup(s, e->kind, &e->id, a, existing, NULL);
		rc = fc_err_set(err, FC_ECONFLICT,
				"%s %s/%s/%s version %s is already registered with different content", adm_kind_name(e->kind),
				e->id.project, e->id.domain, e->id.name, e->id.version);
		goto out;
	}
	if (rc != FC_ENOENT)
		goto out;
	now = adm_store_now(s);
	st = adm_stmt(s, "INSERT INTO entities(kind, project, domain, name, version, digest, spec, closure, source, "
			 "state, has_schedule, catchup, max_catchup, catchup_window, concurrency, created_at, updated_at, "
			 "dst_repeat, dst_skip, jitter_ms, max_buffered, pause_on_failure) "
			 "VALUES(?,?,?,?,?,?,?,?,?,0,?,?,?,?,?,?,?,?,?,?,?,?)", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	sqlite3_bind_int(st, 1, (int)e->kind);
	adm_bind_text(st, 2, e->id.project);
	adm_bind_text(st, 3, e->id.domain);
	adm_bind_text(st, 4, e->id.name);
	adm_bind_text(st, 5, e->id.version);
	adm_bind_text(st, 6, digest);
	adm_bind_blob(st, 7, e->spec, e->spec_len);
	adm_bind_blob(st, 8, e->closure, e->closure_len);
	adm_bind_text(st, 9, e->source);
	sqlite3_bind_int(st, 10, e->has_schedule);
	sqlite3_bind_int(st, 11, e->policy.catchup);
	sqlite3_bind_int64(st, 12, e->policy.max_catchup);
	sqlite3_bind_int64(st, 13, e->policy.catchup_window_seconds);
	sqlite3_bind_int(st, 14, e->policy.concurrency);
	sqlite3_bind_int64(st, 15, now);
	sqlite3_bind_int64(st, 16, now);
	sqlite3_bind_int(st, 17, e->policy.dst_repeat);
	sqlite3_bind_int(st, 18, e->policy.dst_skip);
	sqlite3_bind_int64(st, 19, e->policy.jitter_ms);
	sqlite3_bind_int64(st, 20, e->policy.max_buffered);
	sqlite3_bind_int64(st, 21, e->policy.pause_on_failure);
	rc = adm_step_done(s, st, err);
	adm_stmt_done(s, st);
	if (rc)
		goto out;
	st = adm_stmt(s, "INSERT INTO named_entities(kind, project, domain, name, created_at) VALUES(?,?,?,?,?) "
			 "ON CONFLICT DO NOTHING", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	sqlite3_bind_int(st, 1, (int)e->kind);
	adm_bind_text(st, 2, e->id.project);
	adm_bind_text(st, 3, e->id.domain);
	adm_bind_text(st, 4, e->id.name);
	sqlite3_bind_int64(st, 5, now);
	rc = adm_step_done(s, st, err);
	adm_stmt_done(s, st);
	if (!rc)
		*created = true;
out:
	rc = adm_tx_end(s, rc, err);
out_arena:
	fc_arena_release(&tmp);
	return rc;
}

static const struct adm_field entity_fields[] = {
	{"project", "project", ADM_FIELD_TEXT, NULL},
	{"domain", "domain", ADM_FIELD_TEXT, NULL},
	{"name", "name", ADM_FIELD_TEXT, NULL},
	{"version", "version", ADM_FIELD_TEXT, NULL},
	{"created_at", "created_at", ADM_FIELD_TIME, NULL},
	{"updated_at", "updated_at", ADM_FIELD_TIME, NULL},
	{"state", "state", ADM_FIELD_INT, NULL},
	{"source", "source", ADM_FIELD_TEXT, NULL},
	{"digest", "digest", ADM_FIELD_TEXT, NULL},
};

static int require_scope(struct adm_store *s, const struct adm_query *q, struct fc_err *err)
{
	if (!q || !q->project || !*q->project)
		return fc_err_set(err, FC_EINVAL, "project is required");
	if (!q->domain || !*q->domain)
		return fc_err_set(err, FC_EINVAL, "domain is required");
	if (q->name && *q->name && adm_check_name("name", q->name, err))
		return FC_EINVAL;
	return adm_check_scope(s, q->project, q->domain, false, err);
}

static void entity_reader(struct fc_arena *a, sqlite3_stmt *st, void *item)
{
	read_entity(a, st, 0, item);
}

static int entity_list_sql(struct adm_store *s, const char *base, enum adm_kind kind, const struct adm_query *q,
			   const char *default_sort, struct fc_arena *a, struct adm_entity **out, size_t *nr,
			   char **next_token, struct fc_err *err)
{
	struct fc_buf sql = FC_BUF_INIT;
	struct adm_binds binds;
	int rc;

	adm_binds_init(&binds);
	fc_buf_adds(&sql, base);
	adm_binds_add_int(&binds, (int)kind);
	if (q && q->project && *q->project) {
		fc_buf_adds(&sql, " AND project = ?");
		adm_binds_add_text(&binds, q->project);
	}
	if (q && q->domain && *q->domain) {
		fc_buf_adds(&sql, " AND domain = ?");
		adm_binds_add_text(&binds, q->domain);
	}
	if (q && q->name && *q->name) {
		fc_buf_adds(&sql, " AND name = ?");
		adm_binds_add_text(&binds, q->name);
	}
	rc = adm_run_list(s, &sql, &binds, q, entity_fields, FC_ARRAY_LEN(entity_fields), default_sort,
			  sizeof(**out), entity_reader, a, (void **)out, nr, next_token, err);
	adm_binds_release(&binds);
	fc_buf_release(&sql);
	return rc;
}

int adm_entity_list(struct adm_store *s, enum adm_kind kind, const struct adm_query *q, struct fc_arena *a,
		    struct adm_entity **out, size_t *nr, char **next_token, struct fc_err *err)
{
	int rc = require_scope(s, q, err);

	if (rc)
		return rc;
	return entity_list_sql(s, "SELECT " ENTITY_COLS " FROM entities WHERE kind = ?", kind, q, "created_at", a,
			       out, nr, next_token, err);
}

static void name_reader(struct fc_arena *a, sqlite3_stmt *st, void *item)
{
	*(const char **)item = adm_col_text(a, st, 0);
}

int adm_entity_names(struct adm_store *s, enum adm_kind kind, const struct adm_query *q, struct fc_arena *a,
		     const char ***names, size_t *nr, char **next_token, struct fc_err *err)
{
	static const struct adm_field name_fields[] = {
		{"name", "name", ADM_FIELD_TEXT, NULL},
		{"created_at", "created_at", ADM_FIELD_TIME, NULL},
	};
	struct fc_buf sql = FC_BUF_INIT;
	struct adm_binds binds;
	struct adm_query sorted;
	int rc;

	*names = NULL;
	*nr = 0;
	*next_token = NULL;
	rc = require_scope(s, q, err);
	if (rc)
		return rc;
	adm_binds_init(&binds);
	sorted = *q;
	if (!sorted.sort_key) {
		sorted.sort_key = "name";
		sorted.sort_asc = true;
	}
	fc_buf_adds(&sql, "SELECT name FROM named_entities WHERE kind = ? AND project = ? AND domain = ?");
	adm_binds_add_int(&binds, (int)kind);
	adm_binds_add_text(&binds, q->project);
	adm_binds_add_text(&binds, q->domain);
	rc = adm_run_list(s, &sql, &binds, &sorted, name_fields, FC_ARRAY_LEN(name_fields), "name", sizeof(**names),
			  name_reader, a, (void **)names, nr, next_token, err);
	adm_binds_release(&binds);
	fc_buf_release(&sql);
	return rc;
}

int adm_launch_plan_set_state(struct adm_store *s, const struct adm_id *id, int state, struct fc_err *err)
{
	sqlite3_stmt *st = NULL;
	int64_t now;
	int rc;

	rc = adm_check_id(id, true, err);
	if (rc)
		return rc;
	if (state != 0 && state != 1)
		return fc_err_set(err, FC_EINVAL, "launch plan state must be ACTIVE or INACTIVE");
	rc = adm_tx_begin(s, err);
	if (rc)
		return rc;
	now = adm_store_now(s);
	if (state == 1) {
		st = adm_stmt(s, "UPDATE entities SET state = 0, updated_at = ? WHERE kind = 3 AND project = ? AND "
				 "domain = ? AND name = ? AND version <> ? AND state = 1", err);
		if (!st) {
			rc = FC_EIO;
			goto out;
		}
		sqlite3_bind_int64(st, 1, now);
		adm_bind_text(st, 2, id->project);
		adm_bind_text(st, 3, id->domain);
		adm_bind_text(st, 4, id->name);
		adm_bind_text(st, 5, id->version);
		rc = adm_step_done(s, st, err);
		adm_stmt_done(s, st);
		if (rc)
			goto out;
	}
	if (state == 1) {
		/* for the scheduler: the activation time of a version that was not active (lp_activations) */
		st = adm_stmt(s, "INSERT OR REPLACE INTO lp_activations(project, domain, name, version, activated_at) "
				 "SELECT project, domain, name, version, ? FROM entities WHERE kind = 3 AND project = ? AND "
				 "domain = ? AND name = ? AND version = ? AND state <> 1", err);
		if (!st) {
			rc = FC_EIO;
			goto out;
		}
		sqlite3_bind_int64(st, 1, now);
		adm_bind_text(st, 2, id->project);
		adm_bind_text(st, 3, id->domain);
		adm_bind_text(st, 4, id->name);
		adm_bind_text(st, 5, id->version);
		rc = adm_step_done(s, st, err);
		adm_stmt_done(s, st);
		if (rc)
			goto out;
	}
	st = adm_stmt(s, "UPDATE entities SET state = ?, updated_at = CASE WHEN state = ? THEN updated_at ELSE ? END "
			 "WHERE kind = 3 AND project = ? AND domain = ? AND name = ? AND version = ?", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	sqlite3_bind_int(st, 1, state);
	sqlite3_bind_int(st, 2, state);
	sqlite3_bind_int64(st, 3, now);
	adm_bind_text(st, 4, id->project);
	adm_bind_text(st, 5, id->domain);
	adm_bind_text(st, 6, id->name);
	adm_bind_text(st, 7, id->version);
	rc = adm_step_done(s, st, err);
	if (!rc && sqlite3_changes(s->db) == 0)
		rc = fc_err_set(err, FC_ENOENT, "launch plan %s/%s/%s@%s not found", id->project, id->domain, id->name,
				id->version);
	adm_stmt_done(s, st);
out:
	return adm_tx_end(s, rc, err);
}

static int get_active(struct adm_store *s, const struct adm_id *name_id, bool blobs, struct fc_arena *a,
		      struct adm_entity *out, struct fc_err *err)
{
	sqlite3_stmt *st;
	int rc = 0, step;

	adm_store_lock(s);
	/* two texts, so each has its own cached statement (the cache's front is keyed by the text's address) */
	st = adm_stmt(s, blobs ? "SELECT " ENTITY_COLS " FROM entities WHERE kind = 3 AND project = ? AND domain = ? "
				 "AND name = ? AND state = 1 LIMIT 1"
			       : "SELECT " ENTITY_HEAD_COLS " FROM entities WHERE kind = 3 AND project = ? AND "
				 "domain = ? AND name = ? AND state = 1 LIMIT 1",
		      err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	adm_bind_text(st, 1, name_id->project);
	adm_bind_text(st, 2, name_id->domain);
	adm_bind_text(st, 3, name_id->name);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		read_entity(a, st, 0, out);
	else if (step == SQLITE_DONE)
		rc = fc_err_set(err, FC_ENOENT, "launch plan %s/%s/%s has no active version", name_id->project,
				name_id->domain, name_id->name);
	else
		rc = adm_sql_err(s, err, "reading the active launch plan");
	adm_stmt_done(s, st);
out:
	adm_store_unlock(s);
	return rc;
}

int adm_launch_plan_get_active(struct adm_store *s, const struct adm_id *name_id, struct fc_arena *a,
			       struct adm_entity *out, struct fc_err *err)
{
	return get_active(s, name_id, true, a, out, err);
}

int adm_launch_plan_get_active_head(struct adm_store *s, const struct adm_id *name_id, struct fc_arena *a,
				    struct adm_entity *out, struct fc_err *err)
{
	return get_active(s, name_id, false, a, out, err);
}

int adm_launch_plan_deactivate_source(struct adm_store *s, const char *source, size_t *count, struct fc_err *err)
{
	sqlite3_stmt *st;
	int rc;

	*count = 0;
	rc = adm_tx_begin(s, err);
	if (rc)
		return rc;
	st = adm_stmt(s, "UPDATE entities SET state = 0, updated_at = ? WHERE kind = 3 AND state = 1 AND source = ?",
		      err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	sqlite3_bind_int64(st, 1, adm_store_now(s));
	adm_bind_text(st, 2, source);
	rc = adm_step_done(s, st, err);
	if (!rc)
		*count = (size_t)sqlite3_changes(s->db);
	adm_stmt_done(s, st);
out:
	return adm_tx_end(s, rc, err);
}

/* ------------------------------------------------------------------------------------------------------------
 * Scheduler hooks.
 */
/* Every active scheduled launch plan with its schedule state, pause and number of waiting slots. */
static const char scheduled_lp_sql[] =
	"SELECT e.kind, e.project, e.domain, e.name, e.version, e.digest, e.spec, e.closure, "
	"e.source, e.state, e.has_schedule, e.catchup, e.max_catchup, e.catchup_window, e.concurrency, "
	"e.created_at, e.updated_at, e.dst_repeat, e.dst_skip, e.jitter_ms, e.max_buffered, e.pause_on_failure, "
	"ss.last_slot, sp.paused, sp.note, sp.changed_at, sp.resume_from, (SELECT count(*) FROM schedule_slots "
	"w WHERE w.project = e.project AND w.domain = e.domain AND w.name = e.name AND w.waiting = 1) "
	"FROM entities e LEFT JOIN schedule_state ss ON "
	"ss.project = e.project AND ss.domain = e.domain AND ss.name = e.name LEFT JOIN schedule_pause sp ON "
	"sp.project = e.project AND sp.domain = e.domain AND sp.name = e.name "
	"WHERE e.kind = 3 AND e.state = 1 AND e.has_schedule = 1 ORDER BY e.project, e.domain, e.name";

static void read_scheduled_lp(struct fc_arena *a, sqlite3_stmt *st, void *item)
{
	struct adm_scheduled_lp *l = item;

	read_entity(a, st, 0, &l->lp);
	l->last_slot = sqlite3_column_type(st, 22) == SQLITE_NULL ? INT64_MIN : sqlite3_column_int64(st, 22);
	l->paused = sqlite3_column_int(st, 23) != 0;
	l->pause_note = l->paused ? adm_col_text(a, st, 24) : NULL;
	l->pause_changed_at = sqlite3_column_int64(st, 25);
	l->resume_from = sqlite3_column_int64(st, 26);
	l->waiting = (size_t)sqlite3_column_int64(st, 27);
}

int adm_schedule_list(struct adm_store *s, struct fc_arena *a, struct adm_scheduled_lp **out, size_t *nr,
		      struct fc_err *err)
{
	void *list;
	int rc = adm_read_rows(s, scheduled_lp_sql, NULL, sizeof(struct adm_scheduled_lp), read_scheduled_lp,
			       "listing schedules", a, &list, nr, err);

	*out = list;
	return rc;
}

int64_t adm_launch_plan_activated_at(struct adm_store *s, const struct adm_id *id)
{
	sqlite3_stmt *st;
	int64_t at = 0;

	adm_store_lock(s);
	st = adm_stmt(s, "SELECT activated_at FROM lp_activations WHERE project = ? AND domain = ? AND name = ? AND "
			 "version = ?", NULL);
	if (st) {
		adm_bind_text(st, 1, id->project);
		adm_bind_text(st, 2, id->domain);
		adm_bind_text(st, 3, id->name);
		adm_bind_text(st, 4, id->version);
		if (sqlite3_step(st) == SQLITE_ROW)
			at = sqlite3_column_int64(st, 0);
		adm_stmt_done(s, st);
	}
	adm_store_unlock(s);
	return at;
}

int adm_schedule_set_paused(struct adm_store *s, const struct adm_id *lp_name, bool paused, const char *note,
			    bool catch_up, struct fc_err *err)
{
	sqlite3_stmt *st;
	int64_t now;
	int rc;

	rc = adm_check_id(lp_name, false, err);
	if (rc)
		return rc;
	if (note && strlen(note) > ADM_PAUSE_NOTE_MAX)
		return fc_err_set(err, FC_EINVAL, "the note is %zu bytes; at most %d", strlen(note), ADM_PAUSE_NOTE_MAX);
	rc = adm_tx_begin(s, err);
	if (rc)
		return rc;
	now = adm_store_now(s);
	st = adm_stmt(s, "SELECT 1 FROM entities WHERE kind = 3 AND project = ? AND domain = ? AND name = ? LIMIT 1",
		      err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	adm_bind_text(st, 1, lp_name->project);
	adm_bind_text(st, 2, lp_name->domain);
	adm_bind_text(st, 3, lp_name->name);
	if (sqlite3_step(st) != SQLITE_ROW)
		rc = fc_err_set(err, FC_ENOENT, "launch plan %s/%s/%s not found", lp_name->project, lp_name->domain,
				lp_name->name);
	adm_stmt_done(s, st);
	if (rc)
		goto out;
	/* Unpausing without catch-up: the slots that fell in the pause (up to now) never fire. */
	st = adm_stmt(s, "INSERT INTO schedule_pause(project, domain, name, paused, note, changed_at, resume_from) "
			 "VALUES(?,?,?,?,?,?,?) ON CONFLICT(project, domain, name) DO UPDATE SET paused = excluded.paused, "
			 "note = excluded.note, changed_at = excluded.changed_at, resume_from = CASE WHEN excluded.paused "
			 "THEN resume_from ELSE excluded.resume_from END", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	adm_bind_text(st, 1, lp_name->project);
	adm_bind_text(st, 2, lp_name->domain);
	adm_bind_text(st, 3, lp_name->name);
	sqlite3_bind_int(st, 4, paused);
	adm_bind_text(st, 5, note ? note : "");
	sqlite3_bind_int64(st, 6, now);
	sqlite3_bind_int64(st, 7, paused || catch_up ? 0 : now);
	rc = adm_step_done(s, st, err);
	adm_stmt_done(s, st);
out:
	return adm_tx_end(s, rc, err);
}

int64_t adm_schedule_last_slot(struct adm_store *s, const struct adm_id *lp_name)
{
	sqlite3_stmt *st;
	int64_t slot = INT64_MIN;

	adm_store_lock(s);
	st = adm_stmt(s, "SELECT last_slot FROM schedule_state WHERE project = ? AND domain = ? AND name = ?", NULL);
	if (st) {
		adm_bind_text(st, 1, lp_name->project);
		adm_bind_text(st, 2, lp_name->domain);
		adm_bind_text(st, 3, lp_name->name);
		if (sqlite3_step(st) == SQLITE_ROW)
			slot = sqlite3_column_int64(st, 0);
		adm_stmt_done(s, st);
	}
	adm_store_unlock(s);
	return slot;
}

int adm_schedule_fire(struct adm_store *s, const struct adm_id *lp_name, int64_t slot,
		      const struct adm_execution *x, struct fc_err *err)
{
	sqlite3_stmt *st;
	int64_t last;
	int rc;

	rc = adm_tx_begin(s, err);
	if (rc)
		return rc;
	last = adm_schedule_last_slot(s, lp_name);
	if (last != INT64_MIN && slot <= last) {
		rc = fc_err_set(err, FC_EEXIST, "slot %" PRId64 " of %s/%s/%s was already fired (last fired: %" PRId64
				")", slot, lp_name->project, lp_name->domain, lp_name->name, last);
		goto out;
	}
	rc = adm_execution_create(s, x, err);
	if (rc)
		goto out;
	st = adm_stmt(s, "INSERT INTO schedule_state(project, domain, name, last_slot, updated_at) VALUES(?,?,?,?,?) "
			 "ON CONFLICT(project, domain, name) DO UPDATE SET last_slot = excluded.last_slot, "
			 "updated_at = excluded.updated_at", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	adm_bind_text(st, 1, lp_name->project);
	adm_bind_text(st, 2, lp_name->domain);
	adm_bind_text(st, 3, lp_name->name);
	sqlite3_bind_int64(st, 4, slot);
	sqlite3_bind_int64(st, 5, adm_store_now(s));
	rc = adm_step_done(s, st, err);
	adm_stmt_done(s, st);
out:
	return adm_tx_end(s, rc, err);
}

/* ------------------------------------------------------------------------------------------------------------
 * Repository files.
 */
/* Keep (rc is a storage failure) or drop (rc == 0) the unsaved status of f->path. */
static void unsaved_put(struct adm_store *s, const struct adm_file_status *f, int rc)
{
	size_t i;

	if (rc && !adm_store_retryable(rc))
		return;
	adm_store_lock(s);
	for (i = 0; i < s->nunsaved_files; i++)
		if (!strcmp(s->unsaved_files[i].path, f->path))
			break;
	if (i < s->nunsaved_files) {
		unsaved_release(&s->unsaved_files[i]);
		s->unsaved_files[i] = s->unsaved_files[--s->nunsaved_files];
	}
	if (rc) {
		struct adm_file_status *u;

		FC_ALLOC_GROW(s->unsaved_files, s->nunsaved_files + 1, s->aunsaved_files);
		u = &s->unsaved_files[s->nunsaved_files++];
		*u = *f;
		u->path = fc_xstrdup(f->path);
		u->diagnostics_text = f->diagnostics_text ? fc_xstrdup(f->diagnostics_text) : NULL;
		u->diagnostics_json = f->diagnostics_json ? fc_xstrdup(f->diagnostics_json) : NULL;
		if (!u->updated_at)
			u->updated_at = adm_store_now(s);
	}
	adm_store_unlock(s);
}

int adm_file_status_put(struct adm_store *s, const struct adm_file_status *f, struct fc_err *err)
{
	sqlite3_stmt *st;
	int rc;

	rc = adm_tx_begin(s, err);
	if (rc)
		return rc;
	st = adm_stmt(s, "INSERT INTO repo_files(path, ok, nerrors, nwarnings, diagnostics_text, diagnostics_json, "
			 "updated_at, deleted) VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(path) DO UPDATE SET ok = excluded.ok, "
			 "nerrors = excluded.nerrors, nwarnings = excluded.nwarnings, "
			 "diagnostics_text = excluded.diagnostics_text, diagnostics_json = excluded.diagnostics_json, "
			 "updated_at = excluded.updated_at, deleted = excluded.deleted", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	adm_bind_text(st, 1, f->path);
	sqlite3_bind_int(st, 2, f->ok);
	sqlite3_bind_int64(st, 3, (int64_t)f->nerrors);
	sqlite3_bind_int64(st, 4, (int64_t)f->nwarnings);
	adm_bind_text(st, 5, f->diagnostics_text);
	adm_bind_text(st, 6, f->diagnostics_json);
	sqlite3_bind_int64(st, 7, f->updated_at ? f->updated_at : adm_store_now(s));
	sqlite3_bind_int(st, 8, f->deleted);
	rc = adm_step_done(s, st, err);
	adm_stmt_done(s, st);
out:
	rc = adm_tx_end(s, rc, err);
	unsaved_put(s, f, rc);
	return rc;
}

static int status_cmp(const void *x, const void *y)
{
	return strcmp(((const struct adm_file_status *)x)->path, ((const struct adm_file_status *)y)->path);
}

int adm_file_status_list(struct adm_store *s, bool errors_only, struct fc_arena *a, struct adm_file_status **out,
			 size_t *nr, struct fc_err *err)
{
	struct adm_file_status *list = NULL;
	size_t n = 0, alloc = 0, i;
	sqlite3_stmt *st;
	int rc = 0, step;

	*out = NULL;
	*nr = 0;
	adm_store_lock(s);
	st = adm_stmt(s, errors_only ? "SELECT path, ok, nerrors, nwarnings, diagnostics_text, diagnostics_json, "
				       "updated_at, deleted FROM repo_files WHERE ok = 0 AND deleted = 0 ORDER BY path"
				     : "SELECT path, ok, nerrors, nwarnings, diagnostics_text, diagnostics_json, "
				       "updated_at, deleted FROM repo_files ORDER BY path", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct adm_file_status *f;

		FC_ALLOC_GROW(list, n + 1, alloc);
		f = &list[n++];
		f->path = adm_col_text(a, st, 0);
		f->ok = sqlite3_column_int(st, 1) != 0;
		f->nerrors = (size_t)sqlite3_column_int64(st, 2);
		f->nwarnings = (size_t)sqlite3_column_int64(st, 3);
		f->diagnostics_text = adm_col_text(a, st, 4);
		f->diagnostics_json = adm_col_text(a, st, 5);
		f->updated_at = sqlite3_column_int64(st, 6);
		f->deleted = sqlite3_column_int(st, 7) != 0;
	}
	if (step != SQLITE_DONE)
		rc = adm_sql_err(s, err, "listing files");
	adm_stmt_done(s, st);
	/* statuses the store could not write replace what it holds for those paths */
	for (i = 0; i < s->nunsaved_files && !rc; i++) {
		const struct adm_file_status *u = &s->unsaved_files[i];
		size_t j;

		if (errors_only && (u->ok || u->deleted))
			continue;
		for (j = 0; j < n && strcmp(list[j].path, u->path); j++)
			;
		if (j == n) {
			FC_ALLOC_GROW(list, n + 1, alloc);
			n++;
		}
		list[j] = *u;
		list[j].path = fc_arena_strdup(a, u->path);
		list[j].diagnostics_text = u->diagnostics_text ? fc_arena_strdup(a, u->diagnostics_text) : NULL;
		list[j].diagnostics_json = u->diagnostics_json ? fc_arena_strdup(a, u->diagnostics_json) : NULL;
	}
	if (!rc && s->nunsaved_files)
		qsort(list, n, sizeof(*list), status_cmp);
out:
	adm_store_unlock(s);
	if (!rc) {
		*out = fc_arena_array(a, n + 1, sizeof(**out));
		if (n)
			memcpy(*out, list, n * sizeof(*list));
		*nr = n;
	}
	free(list);
	return rc;
}

int adm_store_ping(struct adm_store *s, struct fc_err *err)
{
	sqlite3_stmt *st;
	int rc = 0;

	adm_store_lock(s);
	st = adm_stmt(s, "SELECT count(*) FROM domains", err);
	if (!st)
		rc = FC_EIO;
	else if (sqlite3_step(st) != SQLITE_ROW)
		rc = adm_sql_err(s, err, "ping");
	adm_stmt_done(s, st);
	adm_store_unlock(s);
	return rc;
}

int adm_store_counts(struct adm_store *s, struct adm_store_counts *c, struct fc_err *err)
{
	sqlite3_stmt *st;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	adm_store_lock(s);
	st = adm_stmt(s, "SELECT (SELECT count(*) FROM projects), "
			 "(SELECT count(*) FROM entities WHERE kind = 1), (SELECT count(*) FROM entities WHERE kind = 2), "
			 "(SELECT count(*) FROM entities WHERE kind = 3), (SELECT count(*) FROM executions), "
			 "(SELECT count(*) FROM node_executions), (SELECT count(*) FROM task_executions), "
			 "(SELECT count(*) FROM events), (SELECT count(*) FROM repo_files WHERE ok = 0 AND deleted = 0)",
		      err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		c->projects = sqlite3_column_int64(st, 0);
		c->tasks = sqlite3_column_int64(st, 1);
		c->workflows = sqlite3_column_int64(st, 2);
		c->launch_plans = sqlite3_column_int64(st, 3);
		c->executions = sqlite3_column_int64(st, 4);
		c->node_executions = sqlite3_column_int64(st, 5);
		c->task_executions = sqlite3_column_int64(st, 6);
		c->events = sqlite3_column_int64(st, 7);
		c->files_failed = sqlite3_column_int64(st, 8);
	} else {
		rc = adm_sql_err(s, err, "counting");
	}
	adm_stmt_done(s, st);
out:
	adm_store_unlock(s);
	return rc;
}
