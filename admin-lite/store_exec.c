/* store_exec.c: executions, the propeller's queue, events with Flyte's transition rules, signals. */
#include "admin-lite/store_int.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"

#include "flyteidl/core/execution.pb-c.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum {
	WF_UNDEFINED = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__UNDEFINED,
	WF_QUEUED = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__QUEUED,
	WF_RUNNING = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__RUNNING,
	WF_ABORTED = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTED,
	WF_ABORTING = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTING,
};

bool adm_wf_phase_terminal(int phase)
{
	switch (phase) {
	case FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDED:
	case FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED:
	case FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTED:
	case FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__TIMED_OUT:
		return true;
	}
	return false;
}

bool adm_node_phase_terminal(int phase)
{
	switch (phase) {
	case FLYTEIDL__CORE__NODE_EXECUTION__PHASE__SUCCEEDED:
	case FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED:
	case FLYTEIDL__CORE__NODE_EXECUTION__PHASE__ABORTED:
	case FLYTEIDL__CORE__NODE_EXECUTION__PHASE__SKIPPED:
	case FLYTEIDL__CORE__NODE_EXECUTION__PHASE__TIMED_OUT:
	case FLYTEIDL__CORE__NODE_EXECUTION__PHASE__RECOVERED:
		return true;
	}
	return false;
}

bool adm_task_phase_terminal(int phase)
{
	switch (phase) {
	case FLYTEIDL__CORE__TASK_EXECUTION__PHASE__SUCCEEDED:
	case FLYTEIDL__CORE__TASK_EXECUTION__PHASE__ABORTED:
	case FLYTEIDL__CORE__TASK_EXECUTION__PHASE__FAILED:
		return true;
	}
	return false;
}

static const char *phase_name(const ProtobufCEnumDescriptor *d, int phase)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, phase);

	return v ? v->name : "?";
}

static bool phase_valid(const ProtobufCEnumDescriptor *d, int phase)
{
	return protobuf_c_enum_descriptor_get_value(d, phase) != NULL;
}

static int check_exec_id(const struct adm_exec_id *id, struct fc_err *err)
{
	int rc = adm_check_project(id->project, err);

	if (!rc && adm_check_project(id->domain, NULL))
		rc = fc_err_set(err, FC_EINVAL, "domain '%s' is not valid", id->domain ? id->domain : "");
	if (!rc)
		rc = adm_check_name("execution name", id->name, err);
	return rc;
}

int adm_exec_rowid(struct adm_store *s, const struct adm_exec_id *id, int64_t *rowid, int *phase,
		   struct fc_err *err)
{
	sqlite3_stmt *st;
	int rc = 0, step;

	st = adm_stmt(s, "SELECT id, phase FROM executions WHERE project = ? AND domain = ? AND name = ?", err);
	if (!st)
		return FC_EIO;
	adm_bind_text(st, 1, id->project);
	adm_bind_text(st, 2, id->domain);
	adm_bind_text(st, 3, id->name);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		*rowid = sqlite3_column_int64(st, 0);
		if (phase)
			*phase = sqlite3_column_int(st, 1);
	} else if (step == SQLITE_DONE) {
		rc = fc_err_set(err, FC_ENOENT, "execution %s/%s/%s not found", id->project, id->domain, id->name);
	} else {
		rc = adm_sql_err(s, err, "reading an execution");
	}
	adm_stmt_done(s, st);
	return rc;
}

/* ------------------------------------------------------------------------------------------------------------
 * Executions.
 */
#define EXEC_COLS                                                                                          \
	"project, domain, name, lp_project, lp_domain, lp_name, lp_version, wf_project, wf_domain, wf_name, "  \
	"wf_version, spec, inputs, phase, mode, created_at, started_at, updated_at, scheduled_at, duration, "   \
	"error, output_uri, outputs, abort_cause, abort_principal, claimed_by"

static void read_exec(struct fc_arena *a, sqlite3_stmt *st, struct adm_execution *x)
{
	memset(x, 0, sizeof(*x));
	x->id.project = adm_col_text(a, st, 0);
	x->id.domain = adm_col_text(a, st, 1);
	x->id.name = adm_col_text(a, st, 2);
	x->launch_plan.project = adm_col_text(a, st, 3);
	x->launch_plan.domain = adm_col_text(a, st, 4);
	x->launch_plan.name = adm_col_text(a, st, 5);
	x->launch_plan.version = adm_col_text(a, st, 6);
	x->workflow.project = adm_col_text(a, st, 7);
	x->workflow.domain = adm_col_text(a, st, 8);
	x->workflow.name = adm_col_text(a, st, 9);
	x->workflow.version = adm_col_text(a, st, 10);
	x->spec = adm_col_blob(a, st, 11, &x->spec_len);
	x->inputs = adm_col_blob(a, st, 12, &x->inputs_len);
	x->phase = sqlite3_column_int(st, 13);
	x->mode = sqlite3_column_int(st, 14);
	x->created_at = sqlite3_column_int64(st, 15);
	x->started_at = sqlite3_column_int64(st, 16);
	x->updated_at = sqlite3_column_int64(st, 17);
	x->scheduled_at = sqlite3_column_int64(st, 18);
	x->duration_ns = sqlite3_column_int64(st, 19);
	x->error = adm_col_blob(a, st, 20, &x->error_len);
	x->output_uri = adm_col_text(a, st, 21);
	x->outputs = adm_col_blob(a, st, 22, &x->outputs_len);
	x->abort_cause = adm_col_text(a, st, 23);
	x->abort_principal = adm_col_text(a, st, 24);
	x->claimed_by = adm_col_text(a, st, 25);
}

int adm_execution_create(struct adm_store *s, const struct adm_execution *x, struct fc_err *err)
{
	sqlite3_stmt *st;
	int64_t now;
	int rc;

	rc = check_exec_id(&x->id, err);
	if (rc)
		return rc;
	if (!x->spec)
		return fc_err_set(err, FC_EINVAL, "execution has no spec");
	rc = adm_tx_begin(s, err);
	if (rc)
		return rc;
	if (!adm_domain_exists(s, x->id.domain)) {
		rc = fc_err_set(err, FC_EINVAL, "domain '%s' does not exist", x->id.domain);
		goto out;
	}
	rc = adm_project_ensure(s, x->id.project, err);
	if (rc)
		goto out;
	now = adm_store_now(s);
	st = adm_stmt(s, "INSERT INTO executions(project, domain, name, lp_project, lp_domain, lp_name, lp_version, "
			 "wf_project, wf_domain, wf_name, wf_version, spec, inputs, phase, mode, created_at, updated_at, "
			 "scheduled_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
			 "ON CONFLICT(project, domain, name) DO NOTHING", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	adm_bind_text(st, 1, x->id.project);
	adm_bind_text(st, 2, x->id.domain);
	adm_bind_text(st, 3, x->id.name);
	adm_bind_text(st, 4, x->launch_plan.project);
	adm_bind_text(st, 5, x->launch_plan.domain);
	adm_bind_text(st, 6, x->launch_plan.name);
	adm_bind_text(st, 7, x->launch_plan.version);
	adm_bind_text(st, 8, x->workflow.project);
	adm_bind_text(st, 9, x->workflow.domain);
	adm_bind_text(st, 10, x->workflow.name);
	adm_bind_text(st, 11, x->workflow.version);
	adm_bind_blob(st, 12, x->spec, x->spec_len);
	adm_bind_blob(st, 13, x->inputs, x->inputs_len);
	sqlite3_bind_int(st, 14, WF_QUEUED);
	sqlite3_bind_int(st, 15, x->mode);
	sqlite3_bind_int64(st, 16, now);
	sqlite3_bind_int64(st, 17, now);
	sqlite3_bind_int64(st, 18, x->scheduled_at);
	rc = adm_step_done(s, st, err);
	if (!rc && sqlite3_changes(s->db) == 0)
		rc = fc_err_set(err, FC_EEXIST, "execution %s/%s/%s already exists", x->id.project, x->id.domain,
				x->id.name);
	adm_stmt_done(s, st);
	if (!rc)
		adm_store_note(s, &x->id, true);
out:
	return adm_tx_end(s, rc, err);
}

int adm_execution_get(struct adm_store *s, const struct adm_exec_id *id, struct fc_arena *a,
		      struct adm_execution *out, struct fc_err *err)
{
	sqlite3_stmt *st;
	int rc = 0, step;

	adm_store_lock(s);
	st = adm_stmt(s, "SELECT " EXEC_COLS " FROM executions WHERE project = ? AND domain = ? AND name = ?", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	adm_bind_text(st, 1, id->project);
	adm_bind_text(st, 2, id->domain);
	adm_bind_text(st, 3, id->name);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		read_exec(a, st, out);
	else if (step == SQLITE_DONE)
		rc = fc_err_set(err, FC_ENOENT, "execution %s/%s/%s not found", id->project, id->domain, id->name);
	else
		rc = adm_sql_err(s, err, "reading an execution");
	adm_stmt_done(s, st);
out:
	adm_store_unlock(s);
	return rc;
}

static const struct adm_field exec_fields[] = {
	{"name", "name", ADM_FIELD_TEXT, NULL},
	{"phase", "phase", ADM_FIELD_ENUM, &flyteidl__core__workflow_execution__phase__descriptor},
	{"execution.phase", "phase", ADM_FIELD_ENUM, &flyteidl__core__workflow_execution__phase__descriptor},
	{"created_at", "created_at", ADM_FIELD_TIME, NULL},
	{"updated_at", "updated_at", ADM_FIELD_TIME, NULL},
	{"started_at", "started_at", ADM_FIELD_TIME, NULL},
	{"duration", "duration", ADM_FIELD_INT, NULL},
	{"mode", "mode", ADM_FIELD_INT, NULL},
	{"launch_plan.name", "lp_name", ADM_FIELD_TEXT, NULL},
	{"launch_plan.version", "lp_version", ADM_FIELD_TEXT, NULL},
	{"workflow.name", "wf_name", ADM_FIELD_TEXT, NULL},
	{"workflow.version", "wf_version", ADM_FIELD_TEXT, NULL},
};

/* Shared list runner: `sql` already holds SELECT ... WHERE ... with `binds`; adds filters/order/limit. */
static void exec_reader(struct fc_arena *a, sqlite3_stmt *st, void *item)
{
	read_exec(a, st, item);
}

/* The SELECT of an execution listing before its filters, order and page (shared with its query plan). */
static int exec_list_select(struct adm_store *s, const struct adm_query *q, struct fc_buf *sql,
			    struct adm_binds *binds, struct fc_err *err)
{
	int rc;

	if (!q || !q->project || !*q->project || !q->domain || !*q->domain)
		return fc_err_set(err, FC_EINVAL, "project and domain are required");
	rc = adm_check_scope(s, q->project, q->domain, false, err);
	if (rc)
		return rc;
	fc_buf_adds(sql, "SELECT " EXEC_COLS " FROM executions WHERE project = ? AND domain = ?");
	adm_binds_add_text(binds, q->project);
	adm_binds_add_text(binds, q->domain);
	if (q->name && *q->name) {
		fc_buf_adds(sql, " AND name = ?");
		adm_binds_add_text(binds, q->name);
	}
	return 0;
}

int adm_execution_list(struct adm_store *s, const struct adm_query *q, struct fc_arena *a,
		       struct adm_execution **out, size_t *nr, char **next_token, struct fc_err *err)
{
	struct fc_buf sql = FC_BUF_INIT;
	struct adm_binds binds;
	int rc;

	adm_binds_init(&binds);
	rc = exec_list_select(s, q, &sql, &binds, err);
	if (!rc)
		rc = adm_run_list_keyset(s, &sql, &binds, q, exec_fields, FC_ARRAY_LEN(exec_fields), "created_at",
					 sizeof(**out), exec_reader, a, (void **)out, nr, next_token, err);
	adm_binds_release(&binds);
	fc_buf_release(&sql);
	return rc;
}

int adm_execution_list_plan(struct adm_store *s, const struct adm_query *q, struct fc_buf *plan,
			    struct fc_err *err)
{
	struct fc_buf sql = FC_BUF_INIT;
	struct adm_binds binds;
	int rc;

	adm_binds_init(&binds);
	rc = exec_list_select(s, q, &sql, &binds, err);
	if (!rc)
		rc = adm_list_plan(s, &sql, &binds, q, exec_fields, FC_ARRAY_LEN(exec_fields), "created_at", plan,
				   err);
	adm_binds_release(&binds);
	fc_buf_release(&sql);
	return rc;
}

int adm_execution_terminate(struct adm_store *s, const struct adm_exec_id *id, const char *cause,
			    const char *principal, struct fc_err *err)
{
	sqlite3_stmt *st = NULL;
	int64_t rowid, now;
	int phase, rc;
	bool claimed = false;

	rc = adm_tx_begin(s, err);
	if (rc)
		return rc;
	rc = adm_exec_rowid(s, id, &rowid, &phase, err);
	if (rc)
		goto out;
	if (adm_wf_phase_terminal(phase)) {
		rc = fc_err_set(err, FC_ECONFLICT, "execution %s/%s/%s is already terminal (%s)", id->project,
				id->domain, id->name,
				phase_name(&flyteidl__core__workflow_execution__phase__descriptor, phase));
		goto out;
	}
	st = adm_stmt(s, "SELECT claimed_by IS NOT NULL FROM executions WHERE id = ?", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	sqlite3_bind_int64(st, 1, rowid);
	if (sqlite3_step(st) == SQLITE_ROW)
		claimed = sqlite3_column_int(st, 0) != 0;
	adm_stmt_done(s, st);
	now = adm_store_now(s);
	/* Nobody runs it: abort at once. Otherwise ask the propeller (ABORTING); it reports ABORTED. */
	st = adm_stmt(s, "UPDATE executions SET phase = ?, abort_cause = ?, abort_principal = ?, updated_at = ?, "
			 "duration = CASE WHEN ? AND started_at > 0 THEN ? - started_at ELSE duration END WHERE id = ?",
		      err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	sqlite3_bind_int(st, 1, claimed ? WF_ABORTING : WF_ABORTED);
	adm_bind_text(st, 2, cause && *cause ? cause : "terminated");
	adm_bind_text(st, 3, principal);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int(st, 5, !claimed);
	sqlite3_bind_int64(st, 6, now);
	sqlite3_bind_int64(st, 7, rowid);
	rc = adm_step_done(s, st, err);
	adm_stmt_done(s, st);
	if (!rc)
		adm_store_note(s, id, true);
out:
	return adm_tx_end(s, rc, err);
}

/* ------------------------------------------------------------------------------------------------------------
 * Queue.
 */
int adm_queue_claim(struct adm_store *s, const char *owner, struct fc_arena *a, struct adm_claim *out,
		    struct fc_err *err)
{
	struct adm_entity wf;
	sqlite3_stmt *st;
	int64_t rowid = 0;
	int rc, step;

	if (!owner || !*owner)
		return fc_err_set(err, FC_EINVAL, "queue: owner is required");
	memset(out, 0, sizeof(*out));
	rc = adm_tx_begin(s, err);
	if (rc)
		return rc;
	st = adm_stmt(s, "SELECT id FROM executions WHERE claimed_by IS NULL AND phase IN (1, 2, 3, 5, 9) "
			 "ORDER BY created_at, id LIMIT 1", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		rowid = sqlite3_column_int64(st, 0);
	} else if (step == SQLITE_DONE) {
		rc = fc_err_set(err, FC_ENOENT, "queue: no queued execution");
	} else {
		rc = adm_sql_err(s, err, "claiming");
	}
	adm_stmt_done(s, st);
	if (rc)
		goto out;
	st = adm_stmt(s, "UPDATE executions SET claimed_by = ?, claimed_at = ? WHERE id = ?", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	adm_bind_text(st, 1, owner);
	sqlite3_bind_int64(st, 2, adm_store_now(s));
	sqlite3_bind_int64(st, 3, rowid);
	rc = adm_step_done(s, st, err);
	adm_stmt_done(s, st);
	if (rc)
		goto out;
	st = adm_stmt(s, "SELECT " EXEC_COLS " FROM executions WHERE id = ?", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	sqlite3_bind_int64(st, 1, rowid);
	if (sqlite3_step(st) == SQLITE_ROW)
		read_exec(a, st, &out->exec);
	else
		rc = adm_sql_err(s, err, "claiming");
	adm_stmt_done(s, st);
	if (rc)
		goto out;
	if (out->exec.workflow.name) {
		rc = adm_entity_get(s, ADM_WORKFLOW, &out->exec.workflow, a, &wf, err);
		if (rc)
			goto out;
		out->closure = wf.spec;
		out->closure_len = wf.spec_len;
	}
out:
	return adm_tx_end(s, rc, err);
}

int adm_queue_recover(struct adm_store *s, const char *owner, size_t *count, struct fc_err *err)
{
	sqlite3_stmt *st;
	int rc;

	*count = 0;
	rc = adm_tx_begin(s, err);
	if (rc)
		return rc;
	st = adm_stmt(s, owner ? "UPDATE executions SET claimed_by = NULL, claimed_at = NULL WHERE claimed_by = ? "
				 "AND phase NOT IN (4, 6, 7, 8)"
			       : "UPDATE executions SET claimed_by = NULL, claimed_at = NULL WHERE claimed_by IS NOT NULL "
				 "AND phase NOT IN (4, 6, 7, 8)", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	if (owner)
		adm_bind_text(st, 1, owner);
	rc = adm_step_done(s, st, err);
	if (!rc)
		*count = (size_t)sqlite3_changes(s->db);
	adm_stmt_done(s, st);
out:
	return adm_tx_end(s, rc, err);
}

int adm_queue_aborting(struct adm_store *s, const char *owner, struct fc_arena *a, struct adm_exec_id **out,
		       size_t *nr, struct fc_err *err)
{
	struct adm_exec_id *list = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *st;
	int rc = 0, step;

	*out = NULL;
	*nr = 0;
	adm_store_lock(s);
	st = adm_stmt(s, "SELECT project, domain, name FROM executions WHERE claimed_by = ? AND phase = 9 "
			 "ORDER BY updated_at, id", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	adm_bind_text(st, 1, owner);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		FC_ALLOC_GROW(list, n + 1, alloc);
		list[n].project = adm_col_text(a, st, 0);
		list[n].domain = adm_col_text(a, st, 1);
		list[n].name = adm_col_text(a, st, 2);
		n++;
	}
	if (step != SQLITE_DONE)
		rc = adm_sql_err(s, err, "listing aborting executions");
	adm_stmt_done(s, st);
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

/* ------------------------------------------------------------------------------------------------------------
 * Events.
 */
static int record_event(struct adm_store *s, int64_t exec_rowid, int kind, const char *node_id, uint32_t retry,
			int phase, uint32_t phase_version, int64_t occurred_at, const uint8_t *raw, size_t raw_len,
			struct fc_err *err)
{
	sqlite3_stmt *st = adm_stmt(s, "INSERT INTO events(exec_id, kind, node_id, retry_attempt, phase, "
				       "phase_version, occurred_at, recorded_at, raw) VALUES(?,?,?,?,?,?,?,?,?)", err);
	int rc;

	if (!st)
		return FC_EIO;
	sqlite3_bind_int64(st, 1, exec_rowid);
	sqlite3_bind_int(st, 2, kind);
	adm_bind_text(st, 3, node_id);
	sqlite3_bind_int64(st, 4, retry);
	sqlite3_bind_int(st, 5, phase);
	sqlite3_bind_int64(st, 6, phase_version);
	sqlite3_bind_int64(st, 7, occurred_at);
	sqlite3_bind_int64(st, 8, adm_store_now(s));
	adm_bind_blob(st, 9, raw, raw_len);
	rc = adm_step_done(s, st, err);
	adm_stmt_done(s, st);
	return rc;
}

/*
 * An execution reached a terminal phase: its nodes and task attempts still in a non-terminal phase will never get
 * another event (they are refused from now on), so close them as ABORTED in the same transaction, as Flyte's
 * propeller aborts what still runs when a workflow fails or is aborted, with an entry in the history each.
 */
static int close_open_children(struct adm_store *s, int64_t rowid, int64_t at, struct fc_err *err)
{
	static const char *const sql[] = {
		"INSERT INTO events(exec_id, kind, node_id, retry_attempt, phase, phase_version, occurred_at, "
		"recorded_at, raw) SELECT exec_id, 3, node_id, retry_attempt, ?2, phase_version, ?3, ?4, NULL "
		"FROM task_executions WHERE exec_id = ?1 AND phase NOT IN (3, 4, 5, 8) ORDER BY id",
		"UPDATE task_executions SET phase = ?2, updated_at = ?4, "
		"duration = CASE WHEN started_at > 0 THEN ?3 - started_at ELSE duration END "
		"WHERE exec_id = ?1 AND phase NOT IN (3, 4, 5, 8)",
		"INSERT INTO events(exec_id, kind, node_id, retry_attempt, phase, phase_version, occurred_at, "
		"recorded_at, raw) SELECT exec_id, 2, node_id, 0, ?5, 0, ?3, ?4, NULL "
		"FROM node_executions WHERE exec_id = ?1 AND phase NOT IN (3, 5, 6, 7, 8, 10) ORDER BY id",
		"UPDATE node_executions SET phase = ?5, updated_at = ?4, "
		"duration = CASE WHEN started_at > 0 THEN ?3 - started_at ELSE duration END "
		"WHERE exec_id = ?1 AND phase NOT IN (3, 5, 6, 7, 8, 10)",
	};
	size_t i;
	int rc = 0;

	for (i = 0; i < FC_ARRAY_LEN(sql) && !rc; i++) {
		sqlite3_stmt *st = adm_stmt(s, sql[i], err);

		if (!st)
			return err ? err->code : FC_EIO;
		sqlite3_bind_int64(st, 1, rowid);
		sqlite3_bind_int(st, 2, FLYTEIDL__CORE__TASK_EXECUTION__PHASE__ABORTED);
		sqlite3_bind_int64(st, 3, at);
		sqlite3_bind_int64(st, 4, adm_store_now(s));
		sqlite3_bind_int(st, 5, FLYTEIDL__CORE__NODE_EXECUTION__PHASE__ABORTED);
		rc = adm_step_done(s, st, err);
		adm_stmt_done(s, st);
	}
	return rc;
}

int adm_event_workflow(struct adm_store *s, const struct adm_wf_event *ev, bool *applied, struct fc_err *err)
{
	const ProtobufCEnumDescriptor *pd = &flyteidl__core__workflow_execution__phase__descriptor;
	sqlite3_stmt *st;
	int64_t rowid, started = 0, at;
	int cur, rc;

	*applied = false;
	if (!phase_valid(pd, ev->phase) || ev->phase == WF_UNDEFINED)
		return fc_err_set(err, FC_EINVAL, "workflow event: invalid phase %d", ev->phase);
	rc = adm_tx_begin(s, err);
	if (rc)
		return rc;
	rc = adm_exec_rowid(s, &ev->exec, &rowid, &cur, err);
	if (rc)
		goto out;
	if (cur == ev->phase)
		goto out; /* already in that phase: no-op */
	if (adm_wf_phase_terminal(cur)) {
		rc = fc_err_set(err, FC_ECONFLICT, "execution %s/%s/%s is already in terminal phase %s; refusing %s",
				ev->exec.project, ev->exec.domain, ev->exec.name, phase_name(pd, cur),
				phase_name(pd, ev->phase));
		goto out;
	}
	if (cur == WF_ABORTING && !adm_wf_phase_terminal(ev->phase)) {
		rc = fc_err_set(err, FC_ECONFLICT, "execution %s/%s/%s is aborting; only a terminal phase may follow, "
				"not %s", ev->exec.project, ev->exec.domain, ev->exec.name, phase_name(pd, ev->phase));
		goto out;
	}
	at = ev->occurred_at ? ev->occurred_at : adm_store_now(s);
	st = adm_stmt(s, "SELECT started_at FROM executions WHERE id = ?", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	sqlite3_bind_int64(st, 1, rowid);
	if (sqlite3_step(st) == SQLITE_ROW)
		started = sqlite3_column_int64(st, 0);
	adm_stmt_done(s, st);
	if (!started && ev->phase == WF_RUNNING)
		started = at;
	st = adm_stmt(s, "UPDATE executions SET phase = ?, updated_at = ?, started_at = ?, "
			 "duration = CASE WHEN ? AND ? > 0 THEN ? - ? ELSE duration END, "
			 "output_uri = coalesce(?, output_uri), outputs = coalesce(?, outputs), "
			 "error = coalesce(?, error) WHERE id = ?", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	sqlite3_bind_int(st, 1, ev->phase);
	sqlite3_bind_int64(st, 2, adm_store_now(s));
	sqlite3_bind_int64(st, 3, started);
	sqlite3_bind_int(st, 4, adm_wf_phase_terminal(ev->phase));
	sqlite3_bind_int64(st, 5, started);
	sqlite3_bind_int64(st, 6, at);
	sqlite3_bind_int64(st, 7, started);
	adm_bind_text(st, 8, ev->output_uri && *ev->output_uri ? ev->output_uri : NULL);
	adm_bind_blob(st, 9, ev->outputs, ev->outputs_len);
	adm_bind_blob(st, 10, ev->error, ev->error_len);
	sqlite3_bind_int64(st, 11, rowid);
	rc = adm_step_done(s, st, err);
	adm_stmt_done(s, st);
	if (!rc)
		rc = record_event(s, rowid, 1, NULL, 0, ev->phase, 0, at, ev->raw, ev->raw_len, err);
	if (!rc && adm_wf_phase_terminal(ev->phase))
		rc = close_open_children(s, rowid, at, err);
	if (!rc) {
		*applied = true;
		adm_store_note(s, &ev->exec, true);
	}
out:
	rc = adm_tx_end(s, rc, err);
	if (rc)
		*applied = false; /* not committed: nothing of it was stored */
	return rc;
}

static int check_exec_open(struct adm_store *s, const struct adm_exec_id *id, int64_t *rowid, struct fc_err *err)
{
	int cur, rc = adm_exec_rowid(s, id, rowid, &cur, err);

	if (rc)
		return rc;
	if (adm_wf_phase_terminal(cur))
		return fc_err_set(err, FC_ECONFLICT, "execution %s/%s/%s is already terminal (%s); event refused",
				  id->project, id->domain, id->name,
				  phase_name(&flyteidl__core__workflow_execution__phase__descriptor, cur));
	return 0;
}

int adm_event_node(struct adm_store *s, const struct adm_node_event *ev, bool *applied, struct fc_err *err)
{
	const ProtobufCEnumDescriptor *pd = &flyteidl__core__node_execution__phase__descriptor;
	sqlite3_stmt *st;
	int64_t rowid, at, now;
	int cur = -1, rc, step;

	*applied = false;
	if (!phase_valid(pd, ev->phase) || ev->phase == 0)
		return fc_err_set(err, FC_EINVAL, "node event: invalid phase %d", ev->phase);
	if (!ev->node_id || !*ev->node_id)
		return fc_err_set(err, FC_EINVAL, "node event: node_id is required");
	rc = adm_tx_begin(s, err);
	if (rc)
		return rc;
	rc = check_exec_open(s, &ev->exec, &rowid, err);
	if (rc)
		goto out;
	st = adm_stmt(s, "SELECT phase FROM node_executions WHERE exec_id = ? AND node_id = ?", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	sqlite3_bind_int64(st, 1, rowid);
	adm_bind_text(st, 2, ev->node_id);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		cur = sqlite3_column_int(st, 0);
	adm_stmt_done(s, st);
	if (cur == ev->phase)
		goto out;
	if (cur >= 0 && adm_node_phase_terminal(cur)) {
		rc = fc_err_set(err, FC_ECONFLICT, "node %s of %s/%s/%s is already in terminal phase %s; refusing %s",
				ev->node_id, ev->exec.project, ev->exec.domain, ev->exec.name, phase_name(pd, cur),
				phase_name(pd, ev->phase));
		goto out;
	}
	now = adm_store_now(s);
	at = ev->occurred_at ? ev->occurred_at : now;
	st = adm_stmt(s, "INSERT INTO node_executions(exec_id, node_id, phase, created_at, started_at, updated_at, "
			 "input_uri, output_uri, outputs, error, spec_node_id, retry_group, parent_node_id, node_name, "
			 "is_parent, is_dynamic, is_array) VALUES(?1,?2,?3,?4,CASE WHEN ?3 = 2 THEN ?5 ELSE 0 END,?4,?6,"
			 "?7,?8,?9,?10,?11,?12,?13,?14,?15,?16) "
			 "ON CONFLICT(exec_id, node_id) DO UPDATE SET phase = ?3, updated_at = ?4, "
			 "started_at = CASE WHEN started_at = 0 AND ?3 = 2 THEN ?5 ELSE started_at END, "
			 "duration = CASE WHEN ?17 AND started_at > 0 THEN ?5 - started_at ELSE duration END, "
			 "input_uri = coalesce(?6, input_uri), output_uri = coalesce(?7, output_uri), "
			 "outputs = coalesce(?8, outputs), error = coalesce(?9, error), "
			 "spec_node_id = coalesce(?10, spec_node_id), retry_group = coalesce(?11, retry_group), "
			 "parent_node_id = coalesce(?12, parent_node_id), node_name = coalesce(?13, node_name), "
			 "is_parent = is_parent OR ?14, is_dynamic = is_dynamic OR ?15, is_array = is_array OR ?16",
		      err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	sqlite3_bind_int64(st, 1, rowid);
	adm_bind_text(st, 2, ev->node_id);
	sqlite3_bind_int(st, 3, ev->phase);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, at);
	adm_bind_text(st, 6, ev->input_uri && *ev->input_uri ? ev->input_uri : NULL);
	adm_bind_text(st, 7, ev->output_uri && *ev->output_uri ? ev->output_uri : NULL);
	adm_bind_blob(st, 8, ev->outputs, ev->outputs_len);
	adm_bind_blob(st, 9, ev->error, ev->error_len);
	adm_bind_text(st, 10, ev->spec_node_id && *ev->spec_node_id ? ev->spec_node_id : NULL);
	adm_bind_text(st, 11, ev->retry_group && *ev->retry_group ? ev->retry_group : NULL);
	adm_bind_text(st, 12, ev->parent_node_id && *ev->parent_node_id ? ev->parent_node_id : NULL);
	adm_bind_text(st, 13, ev->node_name && *ev->node_name ? ev->node_name : NULL);
	sqlite3_bind_int(st, 14, ev->is_parent);
	sqlite3_bind_int(st, 15, ev->is_dynamic);
	sqlite3_bind_int(st, 16, ev->is_array);
	sqlite3_bind_int(st, 17, adm_node_phase_terminal(ev->phase));
	rc = adm_step_done(s, st, err);
	adm_stmt_done(s, st);
	if (!rc)
		rc = record_event(s, rowid, 2, ev->node_id, 0, ev->phase, 0, at, ev->raw, ev->raw_len, err);
	if (!rc) {
		*applied = true;
		adm_store_note(s, &ev->exec, false);
	}
out:
	rc = adm_tx_end(s, rc, err);
	if (rc)
		*applied = false; /* not committed: nothing of it was stored */
	return rc;
}

int adm_event_task(struct adm_store *s, const struct adm_task_event *ev, bool *applied, struct fc_err *err)
{
	const ProtobufCEnumDescriptor *pd = &flyteidl__core__task_execution__phase__descriptor;
	sqlite3_stmt *st;
	int64_t rowid, at, now;
	int cur = -1, rc, step;
	uint32_t cur_version = 0;

	*applied = false;
	if (!phase_valid(pd, ev->phase) || ev->phase == 0)
		return fc_err_set(err, FC_EINVAL, "task event: invalid phase %d", ev->phase);
	if (!ev->node_id || !*ev->node_id)
		return fc_err_set(err, FC_EINVAL, "task event: parent node execution id is required");
	rc = adm_check_id(&ev->task, true, err);
	if (rc)
		return fc_err_prefix(err, "task event: task id: ");
	rc = adm_tx_begin(s, err);
	if (rc)
		return rc;
	rc = check_exec_open(s, &ev->exec, &rowid, err);
	if (rc)
		goto out;
	st = adm_stmt(s, "SELECT 1 FROM node_executions WHERE exec_id = ? AND node_id = ?", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	sqlite3_bind_int64(st, 1, rowid);
	adm_bind_text(st, 2, ev->node_id);
	step = sqlite3_step(st);
	adm_stmt_done(s, st);
	if (step != SQLITE_ROW) {
		rc = fc_err_set(err, FC_ENOENT, "task event: node %s of %s/%s/%s has no execution yet (send its node "
				"event first)", ev->node_id, ev->exec.project, ev->exec.domain, ev->exec.name);
		goto out;
	}
	st = adm_stmt(s, "SELECT phase, phase_version FROM task_executions WHERE exec_id = ? AND node_id = ? AND "
			 "task_project = ? AND task_domain = ? AND task_name = ? AND task_version = ? AND "
			 "retry_attempt = ?", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	sqlite3_bind_int64(st, 1, rowid);
	adm_bind_text(st, 2, ev->node_id);
	adm_bind_text(st, 3, ev->task.project);
	adm_bind_text(st, 4, ev->task.domain);
	adm_bind_text(st, 5, ev->task.name);
	adm_bind_text(st, 6, ev->task.version);
	sqlite3_bind_int64(st, 7, ev->retry_attempt);
	if (sqlite3_step(st) == SQLITE_ROW) {
		cur = sqlite3_column_int(st, 0);
		cur_version = (uint32_t)sqlite3_column_int64(st, 1);
	}
	adm_stmt_done(s, st);
	if (cur == ev->phase && ev->phase_version <= cur_version)
		goto out;
	if (cur >= 0 && adm_task_phase_terminal(cur)) {
		rc = fc_err_set(err, FC_ECONFLICT, "task %s attempt %u of node %s is already in terminal phase %s; "
				"refusing %s", ev->task.name, ev->retry_attempt, ev->node_id, phase_name(pd, cur),
				phase_name(pd, ev->phase));
		goto out;
	}
	now = adm_store_now(s);
	at = ev->occurred_at ? ev->occurred_at : now;
	st = adm_stmt(s, "INSERT INTO task_executions(exec_id, node_id, task_project, task_domain, task_name, "
			 "task_version, retry_attempt, phase, phase_version, created_at, started_at, updated_at, "
			 "input_uri, output_uri, outputs, error, last_event, task_type, reason) "
			 "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,CASE WHEN ?8 = 2 THEN ?11 ELSE 0 END,?10,?12,?13,?14,"
			 "?15,?16,?17,?18) ON CONFLICT(exec_id, node_id, task_project, task_domain, task_name, "
			 "task_version, retry_attempt) DO UPDATE SET phase = ?8, phase_version = ?9, updated_at = ?10, "
			 "started_at = CASE WHEN started_at = 0 AND ?8 = 2 THEN ?11 ELSE started_at END, "
			 "duration = CASE WHEN ?19 AND started_at > 0 THEN ?11 - started_at ELSE duration END, "
			 "input_uri = coalesce(?12, input_uri), output_uri = coalesce(?13, output_uri), "
			 "outputs = coalesce(?14, outputs), error = coalesce(?15, error), "
			 "last_event = coalesce(?16, last_event), task_type = coalesce(?17, task_type), "
			 "reason = coalesce(?18, reason)", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	sqlite3_bind_int64(st, 1, rowid);
	adm_bind_text(st, 2, ev->node_id);
	adm_bind_text(st, 3, ev->task.project);
	adm_bind_text(st, 4, ev->task.domain);
	adm_bind_text(st, 5, ev->task.name);
	adm_bind_text(st, 6, ev->task.version);
	sqlite3_bind_int64(st, 7, ev->retry_attempt);
	sqlite3_bind_int(st, 8, ev->phase);
	sqlite3_bind_int64(st, 9, ev->phase_version);
	sqlite3_bind_int64(st, 10, now);
	sqlite3_bind_int64(st, 11, at);
	adm_bind_text(st, 12, ev->input_uri && *ev->input_uri ? ev->input_uri : NULL);
	adm_bind_text(st, 13, ev->output_uri && *ev->output_uri ? ev->output_uri : NULL);
	adm_bind_blob(st, 14, ev->outputs, ev->outputs_len);
	adm_bind_blob(st, 15, ev->error, ev->error_len);
	adm_bind_blob(st, 16, ev->raw, ev->raw_len);
	adm_bind_text(st, 17, ev->task_type && *ev->task_type ? ev->task_type : NULL);
	adm_bind_text(st, 18, ev->reason && *ev->reason ? ev->reason : NULL);
	sqlite3_bind_int(st, 19, adm_task_phase_terminal(ev->phase));
	rc = adm_step_done(s, st, err);
	adm_stmt_done(s, st);
	if (!rc)
		rc = record_event(s, rowid, 3, ev->node_id, ev->retry_attempt, ev->phase, ev->phase_version, at,
				  ev->raw, ev->raw_len, err);
	if (!rc) {
		*applied = true;
		adm_store_note(s, &ev->exec, false);
	}
out:
	rc = adm_tx_end(s, rc, err);
	if (rc)
		*applied = false; /* not committed: nothing of it was stored */
	return rc;
}

/* ------------------------------------------------------------------------------------------------------------
 * Node and task executions.
 */
#define NODE_COLS                                                                                          \
	"e.project, e.domain, e.name, n.node_id, n.phase, n.created_at, n.started_at, n.updated_at, n.duration, "  \
	"n.input_uri, n.output_uri, n.outputs, n.error, n.spec_node_id, n.retry_group, n.parent_node_id, "      \
	"n.node_name, n.is_parent, n.is_dynamic, n.is_array"

static void read_node(struct fc_arena *a, sqlite3_stmt *st, void *item)
{
	struct adm_node_execution *n = item;

	memset(n, 0, sizeof(*n));
	n->exec.project = adm_col_text(a, st, 0);
	n->exec.domain = adm_col_text(a, st, 1);
	n->exec.name = adm_col_text(a, st, 2);
	n->node_id = adm_col_text(a, st, 3);
	n->phase = sqlite3_column_int(st, 4);
	n->created_at = sqlite3_column_int64(st, 5);
	n->started_at = sqlite3_column_int64(st, 6);
	n->updated_at = sqlite3_column_int64(st, 7);
	n->duration_ns = sqlite3_column_int64(st, 8);
	n->input_uri = adm_col_text(a, st, 9);
	n->output_uri = adm_col_text(a, st, 10);
	n->outputs = adm_col_blob(a, st, 11, &n->outputs_len);
	n->error = adm_col_blob(a, st, 12, &n->error_len);
	n->spec_node_id = adm_col_text(a, st, 13);
	n->retry_group = adm_col_text(a, st, 14);
	n->parent_node_id = adm_col_text(a, st, 15);
	n->node_name = adm_col_text(a, st, 16);
	n->is_parent = sqlite3_column_int(st, 17) != 0;
	n->is_dynamic = sqlite3_column_int(st, 18) != 0;
	n->is_array = sqlite3_column_int(st, 19) != 0;
}

int adm_node_execution_get(struct adm_store *s, const struct adm_exec_id *exec, const char *node_id,
			   struct fc_arena *a, struct adm_node_execution *out, struct fc_err *err)
{
	sqlite3_stmt *st;
	int rc = 0, step;

	adm_store_lock(s);
	st = adm_stmt(s, "SELECT " NODE_COLS " FROM node_executions n JOIN executions e ON e.id = n.exec_id "
			 "WHERE e.project = ? AND e.domain = ? AND e.name = ? AND n.node_id = ?", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	adm_bind_text(st, 1, exec->project);
	adm_bind_text(st, 2, exec->domain);
	adm_bind_text(st, 3, exec->name);
	adm_bind_text(st, 4, node_id);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		read_node(a, st, out);
	else if (step == SQLITE_DONE)
		rc = fc_err_set(err, FC_ENOENT, "node execution %s of %s/%s/%s not found", node_id, exec->project,
				exec->domain, exec->name);
	else
		rc = adm_sql_err(s, err, "reading a node execution");
	adm_stmt_done(s, st);
out:
	adm_store_unlock(s);
	return rc;
}

static const struct adm_field node_fields[] = {
	{"node_id", "n.node_id", ADM_FIELD_TEXT, NULL},
	{"phase", "n.phase", ADM_FIELD_ENUM, &flyteidl__core__node_execution__phase__descriptor},
	{"created_at", "n.created_at", ADM_FIELD_TIME, NULL},
	{"updated_at", "n.updated_at", ADM_FIELD_TIME, NULL},
	{"started_at", "n.started_at", ADM_FIELD_TIME, NULL},
	{"duration", "n.duration", ADM_FIELD_INT, NULL},
};

/* The execution a child listing is about must exist: an unknown or invalid one is an error, not an empty list. */
static int check_exec_exists(struct adm_store *s, const struct adm_exec_id *exec, struct fc_err *err)
{
	int64_t rowid;
	int rc = check_exec_id(exec, err);

	if (rc)
		return rc;
	adm_store_lock(s);
	rc = adm_exec_rowid(s, exec, &rowid, NULL, err);
	adm_store_unlock(s);
	return rc;
}

/* The SELECT of a node listing before its filters, order and page (shared with its query plan); fills `sorted`
 * with the listing's default order (oldest first). */
static void node_list_select(const struct adm_exec_id *exec, const char *parent_node_id, const struct adm_query *q,
			     struct adm_query *sorted, struct fc_buf *sql, struct adm_binds *binds)
{
	*sorted = q ? *q : (struct adm_query){0};
	if (!sorted->sort_key) {
		sorted->sort_key = "created_at";
		sorted->sort_asc = true;
	}
	/* the execution's row id first, so that the node table is searched by (exec_id, ...) with the index */
	fc_buf_adds(sql, "SELECT " NODE_COLS " FROM executions e JOIN node_executions n ON n.exec_id = e.id "
			 "WHERE e.project = ? AND e.domain = ? AND e.name = ?");
	adm_binds_add_text(binds, exec->project);
	adm_binds_add_text(binds, exec->domain);
	adm_binds_add_text(binds, exec->name);
	if (parent_node_id) {
		fc_buf_adds(sql, " AND n.parent_node_id = ?");
		adm_binds_add_text(binds, parent_node_id);
	}
}

int adm_node_execution_list(struct adm_store *s, const struct adm_exec_id *exec, const char *parent_node_id,
			    const struct adm_query *q, struct fc_arena *a, struct adm_node_execution **out,
			    size_t *nr, char **next_token, struct fc_err *err)
{
	struct fc_buf sql = FC_BUF_INIT;
	struct adm_binds binds;
	struct adm_query sorted;
	int rc;

	rc = check_exec_exists(s, exec, err);
	if (rc)
		return rc;
	adm_binds_init(&binds);
	node_list_select(exec, parent_node_id, q, &sorted, &sql, &binds);
	rc = adm_run_list_keyset(s, &sql, &binds, &sorted, node_fields, FC_ARRAY_LEN(node_fields), "n.created_at",
				 sizeof(**out), read_node, a, (void **)out, nr, next_token, err);
	adm_binds_release(&binds);
	fc_buf_release(&sql);
	return rc;
}

int adm_node_execution_list_plan(struct adm_store *s, const struct adm_exec_id *exec, const char *parent_node_id,
				 const struct adm_query *q, struct fc_buf *plan, struct fc_err *err)
{
	struct fc_buf sql = FC_BUF_INIT;
	struct adm_binds binds;
	struct adm_query sorted;
	int rc;

	adm_binds_init(&binds);
	node_list_select(exec, parent_node_id, q, &sorted, &sql, &binds);
	rc = adm_list_plan(s, &sql, &binds, &sorted, node_fields, FC_ARRAY_LEN(node_fields), "n.created_at", plan,
			   err);
	adm_binds_release(&binds);
	fc_buf_release(&sql);
	return rc;
}

#define TASK_COLS                                                                                          \
	"e.project, e.domain, e.name, t.node_id, t.task_project, t.task_domain, t.task_name, t.task_version, "  \
	"t.retry_attempt, t.phase, t.phase_version, t.created_at, t.started_at, t.updated_at, t.duration, "     \
	"t.input_uri, t.output_uri, t.outputs, t.error, t.last_event, t.task_type, t.reason"

static void read_task(struct fc_arena *a, sqlite3_stmt *st, void *item)
{
	struct adm_task_execution *t = item;

	memset(t, 0, sizeof(*t));
	t->exec.project = adm_col_text(a, st, 0);
	t->exec.domain = adm_col_text(a, st, 1);
	t->exec.name = adm_col_text(a, st, 2);
	t->node_id = adm_col_text(a, st, 3);
	t->task.project = adm_col_text(a, st, 4);
	t->task.domain = adm_col_text(a, st, 5);
	t->task.name = adm_col_text(a, st, 6);
	t->task.version = adm_col_text(a, st, 7);
	t->retry_attempt = (uint32_t)sqlite3_column_int64(st, 8);
	t->phase = sqlite3_column_int(st, 9);
	t->phase_version = (uint32_t)sqlite3_column_int64(st, 10);
	t->created_at = sqlite3_column_int64(st, 11);
	t->started_at = sqlite3_column_int64(st, 12);
	t->updated_at = sqlite3_column_int64(st, 13);
	t->duration_ns = sqlite3_column_int64(st, 14);
	t->input_uri = adm_col_text(a, st, 15);
	t->output_uri = adm_col_text(a, st, 16);
	t->outputs = adm_col_blob(a, st, 17, &t->outputs_len);
	t->error = adm_col_blob(a, st, 18, &t->error_len);
	t->last_event = adm_col_blob(a, st, 19, &t->last_event_len);
	t->task_type = adm_col_text(a, st, 20);
	t->reason = adm_col_text(a, st, 21);
}

static const struct adm_field task_fields[] = {
	{"phase", "t.phase", ADM_FIELD_ENUM, &flyteidl__core__task_execution__phase__descriptor},
	{"retry_attempt", "t.retry_attempt", ADM_FIELD_INT, NULL},
	{"created_at", "t.created_at", ADM_FIELD_TIME, NULL},
	{"updated_at", "t.updated_at", ADM_FIELD_TIME, NULL},
	{"started_at", "t.started_at", ADM_FIELD_TIME, NULL},
	{"duration", "t.duration", ADM_FIELD_INT, NULL},
	{"task.name", "t.task_name", ADM_FIELD_TEXT, NULL},
};

int adm_task_execution_list(struct adm_store *s, const struct adm_exec_id *exec, const char *node_id,
			    const struct adm_query *q, struct fc_arena *a, struct adm_task_execution **out,
			    size_t *nr, char **next_token, struct fc_err *err)
{
	struct fc_buf sql = FC_BUF_INIT;
	struct adm_binds binds;
	struct adm_query sorted = q ? *q : (struct adm_query){0};
	int rc;

	rc = check_exec_exists(s, exec, err);
	if (rc)
		return rc;
	adm_binds_init(&binds);
	if (!sorted.sort_key) {
		sorted.sort_key = "retry_attempt";
		sorted.sort_asc = true;
	}
	fc_buf_adds(&sql, "SELECT " TASK_COLS " FROM task_executions t JOIN executions e ON e.id = t.exec_id "
			  "WHERE e.project = ? AND e.domain = ? AND e.name = ? AND t.node_id = ?");
	adm_binds_add_text(&binds, exec->project);
	adm_binds_add_text(&binds, exec->domain);
	adm_binds_add_text(&binds, exec->name);
	adm_binds_add_text(&binds, node_id);
	rc = adm_run_list(s, &sql, &binds, &sorted, task_fields, FC_ARRAY_LEN(task_fields), "t.created_at",
		      sizeof(**out), read_task, a, (void **)out, nr, next_token, err);
	adm_binds_release(&binds);
	fc_buf_release(&sql);
	return rc;
}

int adm_task_execution_get(struct adm_store *s, const struct adm_exec_id *exec, const char *node_id,
			   const struct adm_id *task, uint32_t retry_attempt, struct fc_arena *a,
			   struct adm_task_execution *out, struct fc_err *err)
{
	sqlite3_stmt *st;
	int rc = 0, step;

	adm_store_lock(s);
	st = adm_stmt(s, "SELECT " TASK_COLS " FROM task_executions t JOIN executions e ON e.id = t.exec_id "
			 "WHERE e.project = ? AND e.domain = ? AND e.name = ? AND t.node_id = ? AND t.task_project = ? "
			 "AND t.task_domain = ? AND t.task_name = ? AND t.task_version = ? AND t.retry_attempt = ?", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	adm_bind_text(st, 1, exec->project);
	adm_bind_text(st, 2, exec->domain);
	adm_bind_text(st, 3, exec->name);
	adm_bind_text(st, 4, node_id);
	adm_bind_text(st, 5, task->project);
	adm_bind_text(st, 6, task->domain);
	adm_bind_text(st, 7, task->name);
	adm_bind_text(st, 8, task->version);
	sqlite3_bind_int64(st, 9, retry_attempt);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		read_task(a, st, out);
	else if (step == SQLITE_DONE)
		rc = fc_err_set(err, FC_ENOENT, "task execution %s attempt %u of node %s not found", task->name,
				retry_attempt, node_id);
	else
		rc = adm_sql_err(s, err, "reading a task execution");
	adm_stmt_done(s, st);
out:
	adm_store_unlock(s);
	return rc;
}

int adm_event_history(struct adm_store *s, const struct adm_exec_id *exec, int kind, struct fc_arena *a,
		      struct adm_event_row **out, size_t *nr, struct fc_err *err)
{
	struct adm_event_row *list = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *st;
	int64_t rowid;
	int rc, step;

	*out = NULL;
	*nr = 0;
	adm_store_lock(s);
	rc = adm_exec_rowid(s, exec, &rowid, NULL, err);
	if (rc)
		goto out;
	st = adm_stmt(s, "SELECT kind, node_id, retry_attempt, phase, phase_version, occurred_at, recorded_at, raw "
			 "FROM events WHERE exec_id = ?1 AND (?2 = 0 OR kind = ?2) ORDER BY id", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	sqlite3_bind_int64(st, 1, rowid);
	sqlite3_bind_int(st, 2, kind);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct adm_event_row *r;

		FC_ALLOC_GROW(list, n + 1, alloc);
		r = &list[n++];
		r->kind = sqlite3_column_int(st, 0);
		r->node_id = adm_col_text(a, st, 1);
		r->retry_attempt = (uint32_t)sqlite3_column_int64(st, 2);
		r->phase = sqlite3_column_int(st, 3);
		r->phase_version = (uint32_t)sqlite3_column_int64(st, 4);
		r->occurred_at = sqlite3_column_int64(st, 5);
		r->recorded_at = sqlite3_column_int64(st, 6);
		r->raw = adm_col_blob(a, st, 7, &r->raw_len);
	}
	if (step != SQLITE_DONE)
		rc = adm_sql_err(s, err, "reading events");
	adm_stmt_done(s, st);
	if (!rc) {
		*out = fc_arena_array(a, n + 1, sizeof(**out));
		if (n)
			memcpy(*out, list, n * sizeof(*list));
		*nr = n;
	}
out:
	adm_store_unlock(s);
	free(list);
	return rc;
}

/* ------------------------------------------------------------------------------------------------------------
 * Signals.
 */
#define SIGNAL_COLS "e.project, e.domain, e.name, g.signal_id, g.type, g.value, g.created_at, g.updated_at"

static void read_signal(struct fc_arena *a, sqlite3_stmt *st, void *item)
{
	struct adm_signal *g = item;

	memset(g, 0, sizeof(*g));
	g->exec.project = adm_col_text(a, st, 0);
	g->exec.domain = adm_col_text(a, st, 1);
	g->exec.name = adm_col_text(a, st, 2);
	g->signal_id = adm_col_text(a, st, 3);
	g->type = adm_col_blob(a, st, 4, &g->type_len);
	g->value = adm_col_blob(a, st, 5, &g->value_len);
	g->created_at = sqlite3_column_int64(st, 6);
	g->updated_at = sqlite3_column_int64(st, 7);
}

static int signal_read(struct adm_store *s, int64_t rowid, const char *signal_id, struct fc_arena *a,
		       struct adm_signal *out, struct fc_err *err)
{
	sqlite3_stmt *st = adm_stmt(s, "SELECT " SIGNAL_COLS " FROM signals g JOIN executions e ON e.id = g.exec_id "
				       "WHERE g.exec_id = ? AND g.signal_id = ?", err);
	int rc = 0, step;

	if (!st)
		return FC_EIO;
	sqlite3_bind_int64(st, 1, rowid);
	adm_bind_text(st, 2, signal_id);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		read_signal(a, st, out);
	else if (step == SQLITE_DONE)
		rc = fc_err_set(err, FC_ENOENT, "signal '%s' not found", signal_id);
	else
		rc = adm_sql_err(s, err, "reading a signal");
	adm_stmt_done(s, st);
	return rc;
}

int adm_signal_get_or_create(struct adm_store *s, const struct adm_signal *sig, struct fc_arena *a,
			     struct adm_signal *out, struct fc_err *err)
{
	sqlite3_stmt *st;
	int64_t rowid, now;
	int rc;

	rc = adm_check_name("signal id", sig->signal_id, err);
	if (rc)
		return rc;
	if (!sig->type)
		return fc_err_set(err, FC_EINVAL, "signal '%s' has no type", sig->signal_id);
	rc = adm_tx_begin(s, err);
	if (rc)
		return rc;
	rc = adm_exec_rowid(s, &sig->exec, &rowid, NULL, err);
	if (rc)
		goto out;
	now = adm_store_now(s);
	st = adm_stmt(s, "INSERT INTO signals(exec_id, signal_id, type, created_at, updated_at) VALUES(?,?,?,?,?) "
			 "ON CONFLICT(exec_id, signal_id) DO NOTHING", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	sqlite3_bind_int64(st, 1, rowid);
	adm_bind_text(st, 2, sig->signal_id);
	adm_bind_blob(st, 3, sig->type, sig->type_len);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, now);
	rc = adm_step_done(s, st, err);
	adm_stmt_done(s, st);
	if (rc)
		goto out;
	rc = signal_read(s, rowid, sig->signal_id, a, out, err);
	if (!rc && (out->type_len != sig->type_len || memcmp(out->type, sig->type, sig->type_len)))
		rc = fc_err_set(err, FC_ECONFLICT, "signal '%s' exists with a different type", sig->signal_id);
out:
	return adm_tx_end(s, rc, err);
}

int adm_signal_set(struct adm_store *s, const struct adm_exec_id *exec, const char *signal_id,
		   const uint8_t *value, size_t value_len, struct fc_err *err)
{
	struct fc_arena tmp;
	struct adm_signal cur;
	sqlite3_stmt *st;
	int64_t rowid;
	int rc;

	if (!value)
		return fc_err_set(err, FC_EINVAL, "signal '%s': a value is required", signal_id);
	fc_arena_init(&tmp, 0);
	rc = adm_tx_begin(s, err);
	if (rc)
		goto out_arena;
	rc = adm_exec_rowid(s, exec, &rowid, NULL, err);
	if (!rc)
		rc = signal_read(s, rowid, signal_id, &tmp, &cur, err);
	if (rc)
		goto out;
	if (cur.value) {
		if (cur.value_len != value_len || memcmp(cur.value, value, value_len))
			rc = fc_err_set(err, FC_ECONFLICT, "signal '%s' is already set to another value", signal_id);
		goto out;
	}
	st = adm_stmt(s, "UPDATE signals SET value = ?, updated_at = ? WHERE exec_id = ? AND signal_id = ?", err);
	if (!st) {
		rc = FC_EIO;
		goto out;
	}
	adm_bind_blob(st, 1, value, value_len);
	sqlite3_bind_int64(st, 2, adm_store_now(s));
	sqlite3_bind_int64(st, 3, rowid);
	adm_bind_text(st, 4, signal_id);
	rc = adm_step_done(s, st, err);
	adm_stmt_done(s, st);
out:
	rc = adm_tx_end(s, rc, err);
out_arena:
	fc_arena_release(&tmp);
	return rc;
}

static const struct adm_field signal_fields[] = {
	{"signal_id", "g.signal_id", ADM_FIELD_TEXT, NULL},
	{"created_at", "g.created_at", ADM_FIELD_TIME, NULL},
	{"updated_at", "g.updated_at", ADM_FIELD_TIME, NULL},
};

int adm_signal_list(struct adm_store *s, const struct adm_exec_id *exec, const struct adm_query *q,
		    struct fc_arena *a, struct adm_signal **out, size_t *nr, char **next_token, struct fc_err *err)
{
	struct fc_buf sql = FC_BUF_INIT;
	struct adm_binds binds;
	struct adm_query sorted = q ? *q : (struct adm_query){0};
	int rc;

	adm_binds_init(&binds);
	if (!sorted.sort_key) {
		sorted.sort_key = "created_at";
		sorted.sort_asc = true;
	}
	fc_buf_adds(&sql, "SELECT " SIGNAL_COLS " FROM signals g JOIN executions e ON e.id = g.exec_id "
			  "WHERE e.project = ? AND e.domain = ? AND e.name = ?");
	adm_binds_add_text(&binds, exec->project);
	adm_binds_add_text(&binds, exec->domain);
	adm_binds_add_text(&binds, exec->name);
	rc = adm_run_list(s, &sql, &binds, &sorted, signal_fields, FC_ARRAY_LEN(signal_fields), "g.created_at",
		      sizeof(**out), read_signal, a, (void **)out, nr, next_token, err);
	adm_binds_release(&binds);
	fc_buf_release(&sql);
	return rc;
}
