/* store_int.h: internals shared by store.c and store_exec.c. */
#ifndef ADM_STORE_INT_H
#define ADM_STORE_INT_H

#include "admin-lite/query.h"
#include "admin-lite/store.h"
#include "core/strmap.h"

#include <pthread.h>
#include <sqlite3.h>

#define ADM_STMT_CACHE_MAX 256
/* Slots of the statement cache's front table, looked up by the SQL text's address (a power of two), and the
 * consecutive slots one address may take (a power of two, at most ADM_STMT_FRONT). A scheduled fire runs about 20
 * statements and an entity GET 2; the full cache is hashed by text, which cost a tenth of a fire for its long
 * INSERTs (bench/RESULTS.md, 2026-12-07 h3F). 256 slots in ways of 4 keep the hot statements in the front; a
 * statement pushed out is found again through the hash. */
#define ADM_STMT_FRONT 256
#define ADM_STMT_FRONT_WAYS 4

struct adm_store {
	sqlite3 *db;
	pthread_mutex_t lock; /* recursive */
	int tx_depth;
	struct fc_strmap stmts; /* SQL text (owned copy) -> sqlite3_stmt* */
	/* the front of the cache: by the address of the caller's SQL text, checked against the statement's own text
	 * (a built query's buffer may be reused for another text); every statement here is also in `stmts` */
	struct adm_stmt_front {
		const char *sql;
		sqlite3_stmt *st;
	} front[ADM_STMT_FRONT];
	/* levels of the open transaction (1 << depth) entered without a savepoint of their own, and the depth from
	 * which new levels are entered so (0: none; adm_store_flat()) */
	uint32_t flat_levels;
	int flat_from;
	/* the project and domain the open transaction already saw exist (projects and domains are never deleted;
	 * forgotten at its end and at any rollback), so the several checks of one launch read them once */
	char seen_project[64], seen_domain[64];
	/* adm_store_entities_epoch(): bumped by the update hook at each write of an `entities` row, and when
	 * `PRAGMA data_version` (another connection's commit) moved; read once per outermost transaction */
	uint64_t entities_epoch;
	int64_t data_version;
	bool data_version_read;
	/* WAL frames after the last commit (the WAL hook), and adm_store_defer_checkpoints() */
	int wal_frames;
	bool checkpoints_deferred;
	int64_t (*now)(void *ctx);
	void *now_ctx;
	/* file statuses that could not be written (strings owned), shown by adm_file_status_list() meanwhile */
	struct adm_file_status *unsaved_files;
	size_t nunsaved_files, aunsaved_files;
	/* change notices (store.h): the listener, and what the open transaction touched (strings owned) */
	adm_change_fn on_change;
	void *on_change_ctx;
	adm_change_fn observer; /* adm_store_set_observer(): told first */
	void *observer_ctx;
	struct adm_change *changes;
	size_t nchanges, achanges;
	struct fc_strmap change_index; /* "project\0domain\0name" -> change number + 1, once there are several */
	bool changes_overflow;
};

/* The name of the write-fault VFS shim to open databases with (store_fault.c), or NULL when it is unavailable. */
const char *adm_store_fault_vfs(void);

void adm_store_lock(struct adm_store *s);
void adm_store_unlock(struct adm_store *s);

/* A prepared statement for `sql`, reset and ready to bind; NULL with err set on failure. Give it back with
 * stmt_done(). */
sqlite3_stmt *adm_stmt(struct adm_store *s, const char *sql, struct fc_err *err);
void adm_stmt_done(struct adm_store *s, sqlite3_stmt *st);
int adm_sql_err(struct adm_store *s, struct fc_err *err, const char *what);
/* Bind every value of `b` from parameter `first` on. */
void adm_bind_all(sqlite3_stmt *st, int first, const struct adm_binds *b);
void adm_bind_text(sqlite3_stmt *st, int i, const char *v);
void adm_bind_blob(sqlite3_stmt *st, int i, const void *v, size_t len);

/* Transaction around one public call: BEGIN IMMEDIATE at depth 0, SAVEPOINT when nested. tx_end() commits when
 * rc == 0 and rolls back otherwise; it returns rc (or the commit's error). */
int adm_tx_begin(struct adm_store *s, struct fc_err *err);
int adm_tx_end(struct adm_store *s, int rc, struct fc_err *err);

/* Column readers copying into the arena (NULL for SQL NULL). */
const char *adm_col_text(struct fc_arena *a, sqlite3_stmt *st, int i);
const uint8_t *adm_col_blob(struct fc_arena *a, sqlite3_stmt *st, int i, size_t *len);
/* Execute a statement to completion (no rows expected); returns 0 or an FC_ error. */
int adm_step_done(struct adm_store *s, sqlite3_stmt *st, struct fc_err *err);

/* The generic row runner of every listing: appends q's filters, order and page to `sql`, runs it and reads each
 * row with `reader` into an array of `item_size` items allocated in `a` (*out, *nr), with the next page's token. */
typedef void (*adm_row_reader)(struct fc_arena *a, sqlite3_stmt *st, void *item);
int adm_run_list(struct adm_store *s, struct fc_buf *sql, struct adm_binds *binds, const struct adm_query *q,
		 const struct adm_field *fields, size_t nfields, const char *default_sort, size_t item_size,
		 adm_row_reader reader, struct fc_arena *a, void **out, size_t *nr, char **next_token,
		 struct fc_err *err);

/* The row runner of reads that are not listings (no filters, no paging): runs `sql` with `binds` (NULL: none) and
 * reads every row with `reader` into an array of `item_size` items in `a` (*out, *nr; one zeroed item past the
 * end). `what` names the read in the error. */
int adm_read_rows(struct adm_store *s, const char *sql, const struct adm_binds *binds, size_t item_size,
		  adm_row_reader reader, const char *what, struct fc_arena *a, void **out, size_t *nr,
		  struct fc_err *err);

/* The query plan (sqlite's EXPLAIN QUERY PLAN, one line per step: "SEARCH executions USING INDEX ...") of the
 * listing adm_run_list_keyset() would run with the same arguments; for tests that lists use their indexes. */
int adm_list_plan(struct adm_store *s, struct fc_buf *sql, struct adm_binds *binds, const struct adm_query *q,
		  const struct adm_field *fields, size_t nfields, const char *default_sort, struct fc_buf *plan,
		  struct fc_err *err);

/* The same with keyset paging (query.h, struct adm_keyset) when the sort column is an integer: the listings of
 * executions and node executions, which grow without bound. The SQL must start "SELECT <columns> FROM ". */
int adm_run_list_keyset(struct adm_store *s, struct fc_buf *sql, struct adm_binds *binds, const struct adm_query *q,
			const struct adm_field *fields, size_t nfields, const char *default_sort, size_t item_size,
			adm_row_reader reader, struct fc_arena *a, void **out, size_t *nr, char **next_token,
			struct fc_err *err);

/* Format the next page token: offset + limit when more rows exist, else NULL. */
char *adm_next_token(struct fc_arena *a, size_t nrows, uint32_t limit, int64_t offset);

/* Note that the open transaction touched execution `id` (store.h, change notices); delivered after the outermost
 * commit, dropped on rollback. Does nothing without a listener. */
void adm_store_note(struct adm_store *s, const struct adm_exec_id *id, bool phase);

/* Look up an execution's row id; FC_ENOENT when absent. Phase and claimed flag are returned when not NULL. */
int adm_exec_rowid(struct adm_store *s, const struct adm_exec_id *id, int64_t *rowid, int *phase,
		   struct fc_err *err);

#endif
