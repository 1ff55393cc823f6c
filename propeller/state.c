/* state.c: the propeller's state store over sqlite (WAL, prepared statements only). */
#include "propeller/state.h"
#include "propeller/backend.h"

#include "core/err.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

enum {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_EXEC_INSERT,
	ST_EXEC_UPDATE,
	ST_EXEC_GET,
	ST_EXEC_ACTIVE,
	ST_NODE_PUT,
	ST_NODE_EACH,
	ST_EVENT_ADD,
	ST_EVENT_EACH,
	ST_EVENT_DELETE,
	ST_COUNT
};

/* An execution's resource (closure, inputs, config) is written once into `executions`; what changes (phase,
 * abort request, error, event sequence) goes to `exec_state`, so that updating it does not rewrite the closure,
 * which is megabytes for large workflows (it did, once per loop round). `executions` keeps its own phase columns:
 * their values at submission (and data directories written before exec_state existed still read right). */
#define EXEC_PHASE "COALESCE(s.phase, e.phase)"
#define EXEC_SELECT                                                                                                \
	"SELECT e.key, e.project, e.domain, e.name, e.closure, e.inputs, e.config, " EXEC_PHASE ", "               \
	"CASE WHEN s.key IS NULL THEN e.abort_reason ELSE s.abort_reason END, "                                    \
	"CASE WHEN s.key IS NULL THEN e.error ELSE s.error END, e.created_ns, COALESCE(s.event_seq, e.event_seq) " \
	"FROM executions e LEFT JOIN exec_state s ON s.key = e.key "

static const char *const sql_text[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_EXEC_INSERT] = "INSERT INTO executions(key, project, domain, name, closure, inputs, config, phase, "
			   "abort_reason, error, created_ns, event_seq) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_EXEC_UPDATE] = "INSERT OR REPLACE INTO exec_state(phase, abort_reason, error, event_seq, key) "
			   "VALUES(?,?,?,?,?)",
	[ST_EXEC_GET] = EXEC_SELECT "WHERE e.key=?",
	[ST_EXEC_ACTIVE] = EXEC_SELECT "WHERE " EXEC_PHASE " NOT IN (4, 6, 7, 8) "
			   "OR EXISTS (SELECT 1 FROM events v WHERE v.exec = e.key) ORDER BY e.created_ns",
	[ST_NODE_PUT] = "INSERT OR REPLACE INTO nodes(exec, uid, phase, attempts, user_failures, sys_failures, "
			"started_ns, attempt_started_ns, aux, pstate, error_code, error_msg, error_kind, cache_status, "
			"task_phase) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_NODE_EACH] = "SELECT uid, phase, attempts, user_failures, sys_failures, started_ns, attempt_started_ns, "
			 "aux, pstate, error_code, error_msg, error_kind, cache_status, task_phase FROM nodes "
			 "WHERE exec=?",
	[ST_EVENT_ADD] = "INSERT OR REPLACE INTO events(exec, seq, kind, payload) VALUES(?,?,?,?)",
	[ST_EVENT_EACH] = "SELECT seq, kind, payload FROM events WHERE exec=? ORDER BY seq",
	[ST_EVENT_DELETE] = "DELETE FROM events WHERE exec=? AND seq<=?",
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS executions(key TEXT PRIMARY KEY, project TEXT NOT NULL, domain TEXT NOT NULL, "
	"  name TEXT NOT NULL, closure BLOB NOT NULL, inputs BLOB, config TEXT, phase INTEGER NOT NULL, "
	"  abort_reason TEXT, error TEXT, created_ns INTEGER NOT NULL, event_seq INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS exec_state(key TEXT PRIMARY KEY, phase INTEGER NOT NULL, abort_reason TEXT, "
	"  error TEXT, event_seq INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS nodes(exec TEXT NOT NULL, uid TEXT NOT NULL, phase INTEGER NOT NULL, "
	"  attempts INTEGER NOT NULL, user_failures INTEGER NOT NULL, sys_failures INTEGER NOT NULL, "
	"  started_ns INTEGER, attempt_started_ns INTEGER, aux INTEGER, pstate BLOB, error_code TEXT, "
	"  error_msg TEXT, error_kind INTEGER, cache_status INTEGER, task_phase INTEGER, PRIMARY KEY(exec, uid)) "
	"  WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS events(exec TEXT NOT NULL, seq INTEGER NOT NULL, kind INTEGER NOT NULL, "
	"  payload BLOB NOT NULL, PRIMARY KEY(exec, seq)) WITHOUT ROWID;";

struct prop_state {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST_COUNT];
};

static int db_error(struct prop_state *s, struct fc_err *err, const char *what)
{
	int code = sqlite3_errcode(s->db);

	return fc_err_set(err, code == SQLITE_BUSY || code == SQLITE_LOCKED ? FC_EUNAVAILABLE : FC_EIO,
			  "state store: %s: %s", what, sqlite3_errmsg(s->db));
}

int prop_state_open(const char *path, bool durable, struct prop_state **out, struct fc_err *err)
{
	struct prop_state *s = fc_xcalloc(1, sizeof(*s));
	int rc = FC_OK;
	int i;

	*out = NULL;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		rc = fc_err_set(err, FC_EIO, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) : "cannot open");
		goto out;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", NULL, NULL,
			 NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		rc = db_error(s, err, path);
		goto out;
	}
	for (i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[i], NULL) !=
		    SQLITE_OK) {
			rc = db_error(s, err, sql_text[i]);
			goto out;
		}
	}
	*out = s;
	s = NULL;
out:
	prop_state_free(s);
	return rc;
}

void prop_state_free(struct prop_state *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	free(s);
}

static sqlite3_stmt *stmt(struct prop_state *s, int which)
{
	sqlite3_stmt *st = s->stmt[which];

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

static int run_done(struct prop_state *s, sqlite3_stmt *st, struct fc_err *err, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_error(s, err, what);
	return FC_OK;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static void bind_blob(sqlite3_stmt *st, int i, const void *v, size_t len)
{
	if (v)
		sqlite3_bind_blob64(st, i, len ? v : "", len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

int prop_state_begin(struct prop_state *s, struct fc_err *err)
{
	return run_done(s, stmt(s, ST_BEGIN), err, "begin");
}

int prop_state_commit(struct prop_state *s, struct fc_err *err)
{
	return run_done(s, stmt(s, ST_COMMIT), err, "commit");
}

void prop_state_rollback(struct prop_state *s)
{
	if (!sqlite3_get_autocommit(s->db))
		run_done(s, stmt(s, ST_ROLLBACK), NULL, "rollback");
}

int prop_state_exec_insert(struct prop_state *s, const struct prop_exec_row *row, struct fc_err *err)
{
	sqlite3_stmt *st = stmt(s, ST_EXEC_INSERT);
	int rc;

	bind_text(st, 1, row->key);
	bind_text(st, 2, row->project);
	bind_text(st, 3, row->domain);
	bind_text(st, 4, row->name);
	bind_blob(st, 5, row->closure, row->closure_len);
	bind_blob(st, 6, row->inputs, row->inputs_len);
	bind_text(st, 7, row->config);
	sqlite3_bind_int(st, 8, row->phase);
	bind_text(st, 9, row->abort_reason);
	bind_text(st, 10, row->error);
	sqlite3_bind_int64(st, 11, row->created_ns);
	sqlite3_bind_int64(st, 12, (sqlite3_int64)row->event_seq);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_CONSTRAINT)
		return fc_err_set(err, FC_EEXIST, "execution %s already exists", row->key);
	if (rc != SQLITE_DONE)
		return db_error(s, err, "insert execution");
	return FC_OK;
}

int prop_state_exec_update(struct prop_state *s, const char *key, int phase, const char *abort_reason,
			   const char *error, uint64_t event_seq, struct fc_err *err)
{
	sqlite3_stmt *st = stmt(s, ST_EXEC_UPDATE);

	sqlite3_bind_int(st, 1, phase);
	bind_text(st, 2, abort_reason);
	bind_text(st, 3, error);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)event_seq);
	bind_text(st, 5, key);
	return run_done(s, st, err, "update execution");
}

static void exec_row_from(sqlite3_stmt *st, struct prop_exec_row *row)
{
	memset(row, 0, sizeof(*row));
	row->key = (const char *)sqlite3_column_text(st, 0);
	row->project = (const char *)sqlite3_column_text(st, 1);
	row->domain = (const char *)sqlite3_column_text(st, 2);
	row->name = (const char *)sqlite3_column_text(st, 3);
	row->closure = sqlite3_column_blob(st, 4);
	row->closure_len = (size_t)sqlite3_column_bytes(st, 4);
	row->inputs = sqlite3_column_blob(st, 5);
	row->inputs_len = (size_t)sqlite3_column_bytes(st, 5);
	row->config = (const char *)sqlite3_column_text(st, 6);
	row->phase = sqlite3_column_int(st, 7);
	row->abort_reason = (const char *)sqlite3_column_text(st, 8);
	row->error = (const char *)sqlite3_column_text(st, 9);
	row->created_ns = sqlite3_column_int64(st, 10);
	row->event_seq = (uint64_t)sqlite3_column_int64(st, 11);
}

int prop_state_exec_get(struct prop_state *s, const char *key,
			void (*cb)(void *data, const struct prop_exec_row *row), void *data, struct fc_err *err)
{
	sqlite3_stmt *st = stmt(s, ST_EXEC_GET);
	struct prop_exec_row row;
	int rc;

	bind_text(st, 1, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		exec_row_from(st, &row);
		cb(data, &row);
		sqlite3_reset(st);
		return FC_OK;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return fc_err_set(err, FC_ENOENT, "no execution %s", key);
	return db_error(s, err, "get execution");
}

int prop_state_exec_each_active(struct prop_state *s, void (*cb)(void *data, const struct prop_exec_row *row),
				void *data, struct fc_err *err)
{
	sqlite3_stmt *st = stmt(s, ST_EXEC_ACTIVE);
	struct prop_exec_row row;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		exec_row_from(st, &row);
		cb(data, &row);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? FC_OK : db_error(s, err, "list executions");
}

int prop_state_node_put(struct prop_state *s, const char *exec_key, const struct prop_node_row *row,
			struct fc_err *err)
{
	sqlite3_stmt *st = stmt(s, ST_NODE_PUT);

	bind_text(st, 1, exec_key);
	bind_text(st, 2, row->uid);
	sqlite3_bind_int(st, 3, row->phase);
	sqlite3_bind_int64(st, 4, row->attempts);
	sqlite3_bind_int64(st, 5, row->user_failures);
	sqlite3_bind_int64(st, 6, row->sys_failures);
	sqlite3_bind_int64(st, 7, row->started_ns);
	sqlite3_bind_int64(st, 8, row->attempt_started_ns);
	sqlite3_bind_int64(st, 9, row->aux);
	bind_blob(st, 10, row->pstate_len ? row->pstate : NULL, row->pstate_len);
	bind_text(st, 11, row->error_code);
	bind_text(st, 12, row->error_msg);
	sqlite3_bind_int(st, 13, row->error_kind);
	sqlite3_bind_int(st, 14, row->cache_status);
	sqlite3_bind_int64(st, 15, row->task_phase);
	return run_done(s, st, err, "save node");
}

int prop_state_node_each(struct prop_state *s, const char *exec_key,
			 void (*cb)(void *data, const struct prop_node_row *row), void *data, struct fc_err *err)
{
	sqlite3_stmt *st = stmt(s, ST_NODE_EACH);
	struct prop_node_row row;
	int rc;

	bind_text(st, 1, exec_key);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&row, 0, sizeof(row));
		row.uid = (const char *)sqlite3_column_text(st, 0);
		row.phase = sqlite3_column_int(st, 1);
		row.attempts = (uint32_t)sqlite3_column_int64(st, 2);
		row.user_failures = (uint32_t)sqlite3_column_int64(st, 3);
		row.sys_failures = (uint32_t)sqlite3_column_int64(st, 4);
		row.started_ns = sqlite3_column_int64(st, 5);
		row.attempt_started_ns = sqlite3_column_int64(st, 6);
		row.aux = sqlite3_column_int64(st, 7);
		row.pstate = sqlite3_column_blob(st, 8);
		row.pstate_len = (size_t)sqlite3_column_bytes(st, 8);
		row.error_code = (const char *)sqlite3_column_text(st, 9);
		row.error_msg = (const char *)sqlite3_column_text(st, 10);
		row.error_kind = sqlite3_column_int(st, 11);
		row.cache_status = sqlite3_column_int(st, 12);
		row.task_phase = (uint32_t)sqlite3_column_int64(st, 13);
		cb(data, &row);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? FC_OK : db_error(s, err, "load nodes");
}

int prop_state_event_add(struct prop_state *s, const char *exec_key, uint64_t seq, int kind, const void *payload,
			 size_t len, struct fc_err *err)
{
	sqlite3_stmt *st = stmt(s, ST_EVENT_ADD);

	bind_text(st, 1, exec_key);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	sqlite3_bind_int(st, 3, kind);
	bind_blob(st, 4, payload, len);
	return run_done(s, st, err, "save event");
}

int prop_state_event_each(struct prop_state *s, const char *exec_key,
			  void (*cb)(void *data, uint64_t seq, int kind, const void *payload, size_t len), void *data,
			  struct fc_err *err)
{
	sqlite3_stmt *st = stmt(s, ST_EVENT_EACH);
	int rc;

	bind_text(st, 1, exec_key);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cb(data, (uint64_t)sqlite3_column_int64(st, 0), sqlite3_column_int(st, 1), sqlite3_column_blob(st, 2),
		   (size_t)sqlite3_column_bytes(st, 2));
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? FC_OK : db_error(s, err, "load events");
}

int prop_state_event_delete_upto(struct prop_state *s, const char *exec_key, uint64_t seq, struct fc_err *err)
{
	sqlite3_stmt *st = stmt(s, ST_EVENT_DELETE);

	bind_text(st, 1, exec_key);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	return run_done(s, st, err, "delete events");
}

/* --- the sqlite state as a state backend (backend.h) ----------------------------------------------------------- */

static int sq_begin(void *ctx, struct fc_err *err)
{
	return prop_state_begin(ctx, err);
}

static int sq_commit(void *ctx, struct fc_err *err)
{
	return prop_state_commit(ctx, err);
}

static void sq_rollback(void *ctx)
{
	prop_state_rollback(ctx);
}

static int sq_exec_insert(void *ctx, const struct prop_exec_row *row, struct fc_err *err)
{
	return prop_state_exec_insert(ctx, row, err);
}

static int sq_exec_update(void *ctx, const char *key, int phase, const char *abort_reason, const char *error,
			  uint64_t event_seq, struct fc_err *err)
{
	return prop_state_exec_update(ctx, key, phase, abort_reason, error, event_seq, err);
}

static int sq_exec_get(void *ctx, const char *key, void (*cb)(void *data, const struct prop_exec_row *row), void *data,
		       struct fc_err *err)
{
	return prop_state_exec_get(ctx, key, cb, data, err);
}

static int sq_exec_each_active(void *ctx, void (*cb)(void *data, const struct prop_exec_row *row), void *data,
			       struct fc_err *err)
{
	return prop_state_exec_each_active(ctx, cb, data, err);
}

static int sq_node_put(void *ctx, const char *exec_key, const struct prop_node_row *row, struct fc_err *err)
{
	return prop_state_node_put(ctx, exec_key, row, err);
}

static int sq_node_each(void *ctx, const char *exec_key, void (*cb)(void *data, const struct prop_node_row *row),
			void *data, struct fc_err *err)
{
	return prop_state_node_each(ctx, exec_key, cb, data, err);
}

static int sq_event_add(void *ctx, const char *exec_key, uint64_t seq, int kind, const void *payload, size_t len,
			struct fc_err *err)
{
	return prop_state_event_add(ctx, exec_key, seq, kind, payload, len, err);
}

static int sq_event_each(void *ctx, const char *exec_key,
			 void (*cb)(void *data, uint64_t seq, int kind, const void *payload, size_t len), void *data,
			 struct fc_err *err)
{
	return prop_state_event_each(ctx, exec_key, cb, data, err);
}

static int sq_event_delete_upto(void *ctx, const char *exec_key, uint64_t seq, struct fc_err *err)
{
	return prop_state_event_delete_upto(ctx, exec_key, seq, err);
}

static const struct prop_state_backend_ops sqlite_backend_ops = {
	.name = "sqlite",
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.exec_insert = sq_exec_insert,
	.exec_update = sq_exec_update,
	.exec_get = sq_exec_get,
	.exec_each_active = sq_exec_each_active,
	.node_put = sq_node_put,
	.node_each = sq_node_each,
	.event_add = sq_event_add,
	.event_each = sq_event_each,
	.event_delete_upto = sq_event_delete_upto,
};

void prop_state_sqlite_backend(struct prop_state *s, struct prop_state_backend *out)
{
	out->ops = &sqlite_backend_ops;
	out->ctx = s;
}
