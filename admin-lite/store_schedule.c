/* store_schedule.c: the slot log of the scheduler (table schedule_slots, see store.h "The slot log"). */
#include "admin-lite/store_int.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/fc.h"

#include "flyteidl/admin/execution.pb-c.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define ADM_SLOT_PRUNE_EVERY 16

static const char *const outcome_names[] = {
	[ADM_SLOT_FIRED] = "fired",       [ADM_SLOT_SKIPPED] = "skipped",
	[ADM_SLOT_MISSED] = "missed",     [ADM_SLOT_BUFFERED] = "buffered",
	[ADM_SLOT_CANCELLED_OTHER] = "cancelled_other", [ADM_SLOT_BACKFILL] = "backfill",
	[ADM_SLOT_PAUSED] = "paused",     [ADM_SLOT_REPLACED] = "replaced",
};

const char *adm_slot_outcome_name(enum adm_slot_outcome o)
{
	return (size_t)o < FC_ARRAY_LEN(outcome_names) ? outcome_names[o] : "unknown";
}

static void bind_name(sqlite3_stmt *st, int first, const struct adm_id *n)
{
	adm_bind_text(st, first, n->project);
	adm_bind_text(st, first + 1, n->domain);
	adm_bind_text(st, first + 2, n->name);
}

#define SLOT_COLS "slot, outcome, waiting, execution, detail, parallel, recorded_at"

static void read_slot(struct fc_arena *a, sqlite3_stmt *st, struct adm_slot *out)
{
	out->slot = sqlite3_column_int64(st, 0);
	out->outcome = (enum adm_slot_outcome)sqlite3_column_int(st, 1);
	out->waiting = sqlite3_column_int(st, 2) != 0;
	out->execution = adm_col_text(a, st, 3);
	out->detail = adm_col_text(a, st, 4);
	if (!out->detail)
		out->detail = "";
	out->parallel = (uint32_t)sqlite3_column_int64(st, 5);
	out->recorded_at = sqlite3_column_int64(st, 6);
}

int adm_schedule_slot_put(struct adm_store *s, const struct adm_id *lp_name, const struct adm_slot *slot,
			  struct fc_err *err)
{
	sqlite3_stmt *st;
	int rc = adm_tx_begin(s, err);

	if (rc)
		return rc;
	st = adm_stmt(s, "INSERT INTO schedule_slots(project, domain, name, slot, outcome, waiting, execution, detail, "
			 "parallel, recorded_at) VALUES(?,?,?,?,?,?,?,?,?,?) ON CONFLICT(project, domain, name, slot) DO "
			 "UPDATE SET outcome = excluded.outcome, waiting = excluded.waiting, execution = excluded.execution, "
			 "detail = excluded.detail, parallel = excluded.parallel, recorded_at = excluded.recorded_at", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	bind_name(st, 1, lp_name);
	sqlite3_bind_int64(st, 4, slot->slot);
	sqlite3_bind_int(st, 5, (int)slot->outcome);
	sqlite3_bind_int(st, 6, slot->waiting);
	adm_bind_text(st, 7, slot->execution);
	adm_bind_text(st, 8, slot->detail ? slot->detail : "");
	sqlite3_bind_int64(st, 9, slot->parallel);
	sqlite3_bind_int64(st, 10, adm_store_now(s));
	rc = adm_step_done(s, st, err);
	adm_stmt_done(s, st);
	/* Pruning is amortised: each put of a name prunes with a chance of 1 in ADM_SLOT_PRUNE_EVERY (by a hash of
	 * the name and the slot, so no name is always passed over), which keeps a name's rows near ADM_SLOT_LOG_KEEP
	 * without a DELETE per fire. */
	if (rc || slot->waiting ||
	    (fc_hash_bytes(lp_name->name, strlen(lp_name->name)) ^ (uint64_t)slot->slot * 0x9e3779b97f4a7c15ull) %
		    ADM_SLOT_PRUNE_EVERY)
		goto out;
	/* Keep the newest ADM_SLOT_LOG_KEEP finished rows of the name (the queue and backfill rows stay). */
	st = adm_stmt(s, "DELETE FROM schedule_slots WHERE project = ?1 AND domain = ?2 AND name = ?3 AND waiting = 0 "
			 "AND outcome <> ?4 AND slot < (SELECT slot FROM schedule_slots WHERE project = ?1 AND domain = ?2 "
			 "AND name = ?3 ORDER BY slot DESC LIMIT 1 OFFSET ?5)", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	bind_name(st, 1, lp_name);
	sqlite3_bind_int(st, 4, ADM_SLOT_BACKFILL);
	sqlite3_bind_int(st, 5, ADM_SLOT_LOG_KEEP - 1);
	rc = adm_step_done(s, st, err);
	adm_stmt_done(s, st);
out:
	return adm_tx_end(s, rc, err);
}

int adm_schedule_slot_get(struct adm_store *s, const struct adm_id *lp_name, int64_t slot_ns, struct fc_arena *a,
			  struct adm_slot *out, struct fc_err *err)
{
	sqlite3_stmt *st;
	int rc = 0, step;

	memset(out, 0, sizeof(*out));
	adm_store_lock(s);
	st = adm_stmt(s, "SELECT " SLOT_COLS " FROM schedule_slots WHERE project = ? AND domain = ? AND name = ? AND "
			 "slot = ?", err);
	if (!st) {
		adm_store_unlock(s);
		return FC_EIO;
	}
	bind_name(st, 1, lp_name);
	sqlite3_bind_int64(st, 4, slot_ns);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		read_slot(a, st, out);
	else if (step == SQLITE_DONE)
		rc = fc_err_set(err, FC_ENOENT, "no record of that slot");
	else
		rc = adm_sql_err(s, err, "reading a slot");
	adm_stmt_done(s, st);
	adm_store_unlock(s);
	return rc;
}

int adm_schedule_slot_list(struct adm_store *s, const struct adm_id *lp_name, bool waiting_only, size_t limit,
			   struct fc_arena *a, struct adm_slot **out, size_t *nr, struct fc_err *err)
{
	struct adm_slot *list = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *st;
	int rc = 0, step;

	*out = NULL;
	*nr = 0;
	adm_store_lock(s);
	/* A slot fired plainly has no row: its execution stands for it (store.h, "The slot log"). The newest of those
	 * without a row are read through executions_by_lp, newest created first (the live scheduler creates them in
	 * slot order), and merged with the rows by slot. `+x.mode`: not an index on the mode. */
	st = adm_stmt(s, waiting_only ? "SELECT " SLOT_COLS " FROM schedule_slots WHERE project = ?1 AND domain = ?2 AND "
					"name = ?3 AND waiting = 1 ORDER BY slot LIMIT ?4"
				      : "SELECT * FROM (SELECT " SLOT_COLS " FROM schedule_slots WHERE project = ?1 AND "
					"domain = ?2 AND name = ?3 ORDER BY slot DESC LIMIT ?4) UNION ALL SELECT * FROM ("
					"SELECT x.scheduled_at, ?5, 0, x.name, '', 0, x.created_at FROM executions x WHERE "
					"x.project = ?1 AND x.domain = ?2 AND x.lp_name = ?3 AND +x.mode = ?6 AND "
					"x.scheduled_at <> 0 AND NOT EXISTS (SELECT 1 FROM schedule_slots b WHERE "
					"b.project = ?1 AND b.domain = ?2 AND b.name = ?3 AND b.slot = x.scheduled_at) "
					"ORDER BY x.created_at DESC, x.id DESC LIMIT ?4) ORDER BY 1 DESC LIMIT ?4", err);
	if (!st) {
		adm_store_unlock(s);
		return FC_EIO;
	}
	bind_name(st, 1, lp_name);
	sqlite3_bind_int64(st, 4, (int64_t)limit);
	if (!waiting_only) {
		sqlite3_bind_int(st, 5, ADM_SLOT_FIRED);
		sqlite3_bind_int(st, 6, FLYTEIDL__ADMIN__EXECUTION_METADATA__EXECUTION_MODE__SCHEDULED);
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		FC_ALLOC_GROW(list, n + 1, alloc);
		read_slot(a, st, &list[n++]);
	}
	if (step != SQLITE_DONE)
		rc = adm_sql_err(s, err, "listing slots");
	adm_stmt_done(s, st);
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

int adm_schedule_advance(struct adm_store *s, const struct adm_id *lp_name, int64_t slot, struct fc_err *err)
{
	sqlite3_stmt *st;
	int64_t last;
	int rc = adm_tx_begin(s, err);

	if (rc)
		return rc;
	last = adm_schedule_last_slot(s, lp_name);
	if (last != INT64_MIN && slot <= last) {
		rc = fc_err_set(err, FC_EEXIST, "slot %" PRId64 " of %s/%s/%s was already fired (last fired: %" PRId64
				")", slot, lp_name->project, lp_name->domain, lp_name->name, last);
		goto out;
	}
	st = adm_stmt(s, "INSERT INTO schedule_state(project, domain, name, last_slot, updated_at) VALUES(?,?,?,?,?) "
			 "ON CONFLICT(project, domain, name) DO UPDATE SET last_slot = excluded.last_slot, "
			 "updated_at = excluded.updated_at", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	bind_name(st, 1, lp_name);
	sqlite3_bind_int64(st, 4, slot);
	sqlite3_bind_int64(st, 5, adm_store_now(s));
	rc = adm_step_done(s, st, err);
	adm_stmt_done(s, st);
out:
	return adm_tx_end(s, rc, err);
}

/* Phases a finished execution can be in (flyteidl.core.WorkflowExecution.Phase). */
#define PHASE_SUCCEEDED 4
#define PHASE_FAILED 6
#define PHASE_ABORTED 7
#define PHASE_TIMED_OUT 8

int adm_schedule_backfill_running(struct adm_store *s, const struct adm_id *lp_name, size_t *n, struct fc_err *err)
{
	sqlite3_stmt *st;
	int rc = 0;

	*n = 0;
	adm_store_lock(s);
	st = adm_stmt(s, "SELECT count(*) FROM schedule_slots b JOIN executions x ON x.project = b.project AND "
			 "x.domain = b.domain AND x.name = b.execution WHERE b.project = ? AND b.domain = ? AND "
			 "b.name = ? AND b.outcome = ? AND b.waiting = 0 AND x.phase NOT IN (?,?,?,?)", err);
	if (!st) {
		adm_store_unlock(s);
		return FC_EIO;
	}
	bind_name(st, 1, lp_name);
	sqlite3_bind_int(st, 4, ADM_SLOT_BACKFILL);
	sqlite3_bind_int(st, 5, PHASE_SUCCEEDED);
	sqlite3_bind_int(st, 6, PHASE_FAILED);
	sqlite3_bind_int(st, 7, PHASE_ABORTED);
	sqlite3_bind_int(st, 8, PHASE_TIMED_OUT);
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = (size_t)sqlite3_column_int64(st, 0);
	else
		rc = adm_sql_err(s, err, "counting running backfill executions");
	adm_stmt_done(s, st);
	adm_store_unlock(s);
	return rc;
}

int adm_schedule_recent_results(struct adm_store *s, const struct adm_id *lp_name, int64_t after_ns, size_t limit,
				struct fc_arena *a, int *phases, size_t *nr, const char **last, struct fc_err *err)
{
	sqlite3_stmt *st;
	int rc = 0, step;
	size_t n = 0;

	*nr = 0;
	*last = NULL;
	adm_store_lock(s);
	st = adm_stmt(s, "SELECT phase, name FROM executions WHERE project = ? AND domain = ? AND lp_name = ? AND "
			 "mode = 1 AND phase IN (?,?,?) AND created_at > ? ORDER BY created_at DESC, id DESC LIMIT ?", err);
	if (!st) {
		adm_store_unlock(s);
		return FC_EIO;
	}
	bind_name(st, 1, lp_name);
	sqlite3_bind_int(st, 4, PHASE_SUCCEEDED);
	sqlite3_bind_int(st, 5, PHASE_FAILED);
	sqlite3_bind_int(st, 6, PHASE_TIMED_OUT);
	sqlite3_bind_int64(st, 7, after_ns);
	sqlite3_bind_int64(st, 8, (int64_t)limit);
	while ((step = sqlite3_step(st)) == SQLITE_ROW && n < limit) {
		phases[n] = sqlite3_column_int(st, 0);
		if (!n)
			*last = adm_col_text(a, st, 1);
		n++;
	}
	if (step != SQLITE_DONE && step != SQLITE_ROW)
		rc = adm_sql_err(s, err, "reading recent scheduled runs");
	adm_stmt_done(s, st);
	adm_store_unlock(s);
	*nr = n;
	return rc;
}
