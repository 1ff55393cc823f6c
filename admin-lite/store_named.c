/* store_named.c: the named_entities table (see store_named.h). */
#include "admin-lite/store_named.h"
#include "admin-lite/store_int.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/fc.h"

#include "flyteidl/admin/common.pb-c.h"

#include <stdlib.h>
#include <string.h>

static const struct adm_field named_fields[] = {
	{"name", "name", ADM_FIELD_TEXT, NULL},
	{"description", "description", ADM_FIELD_TEXT, NULL},
	{"state", "state", ADM_FIELD_ENUM, &flyteidl__admin__named_entity_state__descriptor},
	{"created_at", "created_at", ADM_FIELD_TIME, NULL},
};

#define NAMED_COLS "name, description, state, created_at"

static void named_row(struct fc_arena *a, sqlite3_stmt *st, struct adm_named *out)
{
	out->name = adm_col_text(a, st, 0);
	out->description = adm_col_text(a, st, 1);
	out->state = sqlite3_column_int(st, 2);
	out->created_at = sqlite3_column_int64(st, 3);
}

int adm_named_list(struct adm_store *s, enum adm_kind kind, const struct adm_query *q, struct fc_arena *a,
		   struct adm_named **out, size_t *nr, char **next_token, struct fc_err *err)
{
	struct fc_buf sql = FC_BUF_INIT;
	struct adm_binds binds;
	struct adm_query sorted = *q;
	struct adm_named *list = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *st = NULL;
	uint32_t limit;
	int64_t offset;
	int rc, step;

	*out = NULL;
	*nr = 0;
	*next_token = NULL;
	if (!q->project || !*q->project || !q->domain || !*q->domain)
		return fc_err_set(err, FC_EINVAL, "project and domain are required");
	adm_binds_init(&binds);
	if (!sorted.sort_key || !*sorted.sort_key) {
		sorted.sort_key = "name";
		sorted.sort_asc = true;
	}
	fc_buf_adds(&sql, "SELECT " NAMED_COLS " FROM named_entities WHERE kind = ? AND project = ? AND domain = ?");
	adm_binds_add_int(&binds, (int)kind);
	adm_binds_add_text(&binds, q->project);
	adm_binds_add_text(&binds, q->domain);
	rc = adm_query_where(q, named_fields, FC_ARRAY_LEN(named_fields), &sql, &binds, err);
	if (!rc)
		rc = adm_query_order_limit(&sorted, named_fields, FC_ARRAY_LEN(named_fields), "name", &sql, &binds,
					   &limit, &offset, err);
	if (rc)
		goto out;
	adm_store_lock(s);
	st = adm_stmt(s, sql.buf, err);
	if (!st) {
		adm_store_unlock(s);
		rc = FC_EIO;
		goto out;
	}
	adm_bind_all(st, 1, &binds);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		FC_ALLOC_GROW(list, n + 1, alloc);
		named_row(a, st, &list[n++]);
	}
	if (step != SQLITE_DONE)
		rc = adm_sql_err(s, err, "listing named entities");
	adm_stmt_done(s, st);
	adm_store_unlock(s);
	if (rc)
		goto out;
	*next_token = adm_next_token(a, n, limit, offset);
	if (n > limit)
		n = limit;
	*out = fc_arena_array(a, n + 1, sizeof(**out));
	if (n)
		memcpy(*out, list, n * sizeof(*list));
	*nr = n;
out:
	free(list);
	adm_binds_release(&binds);
	fc_buf_release(&sql);
	return rc;
}

int adm_named_get(struct adm_store *s, enum adm_kind kind, const struct adm_id *id, struct fc_arena *a,
		  struct adm_named *out, struct fc_err *err)
{
	sqlite3_stmt *st;
	int rc = 0, step;

	memset(out, 0, sizeof(*out));
	adm_store_lock(s);
	st = adm_stmt(s, "SELECT " NAMED_COLS " FROM named_entities WHERE kind = ? AND project = ? AND domain = ? "
			 "AND name = ?", err);
	if (!st) {
		adm_store_unlock(s);
		return FC_EIO;
	}
	sqlite3_bind_int(st, 1, (int)kind);
	adm_bind_text(st, 2, id->project);
	adm_bind_text(st, 3, id->domain);
	adm_bind_text(st, 4, id->name);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		named_row(a, st, out);
	else if (step == SQLITE_DONE)
		rc = fc_err_set(err, FC_ENOENT, "no %s named %s/%s/%s is registered", adm_kind_name(kind), id->project,
				id->domain, id->name);
	else
		rc = adm_sql_err(s, err, "reading a named entity");
	adm_stmt_done(s, st);
	adm_store_unlock(s);
	return rc;
}

int adm_named_set(struct adm_store *s, enum adm_kind kind, const struct adm_id *id, const char *description,
		  int state, struct fc_err *err)
{
	sqlite3_stmt *st;
	int rc;

	adm_store_lock(s);
	st = adm_stmt(s, "UPDATE named_entities SET description = ?, state = ? WHERE kind = ? AND project = ? AND "
			 "domain = ? AND name = ?", err);
	if (!st) {
		adm_store_unlock(s);
		return FC_EIO;
	}
	adm_bind_text(st, 1, description ? description : "");
	sqlite3_bind_int(st, 2, state);
	sqlite3_bind_int(st, 3, (int)kind);
	adm_bind_text(st, 4, id->project);
	adm_bind_text(st, 5, id->domain);
	adm_bind_text(st, 6, id->name);
	rc = adm_step_done(s, st, err);
	if (!rc && sqlite3_changes(s->db) == 0)
		rc = fc_err_set(err, FC_ENOENT, "no %s named %s/%s/%s is registered", adm_kind_name(kind), id->project,
				id->domain, id->name);
	adm_stmt_done(s, st);
	adm_store_unlock(s);
	return rc;
}

int adm_description_put(struct adm_store *s, enum adm_kind kind, const struct adm_id *id,
			const char *short_description, struct fc_err *err)
{
	sqlite3_stmt *st;
	int rc;

	adm_store_lock(s);
	st = adm_stmt(s, "INSERT INTO description_entities(kind, project, domain, name, version, short_description, "
			 "created_at) VALUES(?,?,?,?,?,?,?) ON CONFLICT(kind, project, domain, name, version) DO UPDATE "
			 "SET short_description = excluded.short_description "
			 "WHERE short_description != excluded.short_description", err);
	if (!st) {
		adm_store_unlock(s);
		return FC_EIO;
	}
	sqlite3_bind_int(st, 1, (int)kind);
	adm_bind_text(st, 2, id->project);
	adm_bind_text(st, 3, id->domain);
	adm_bind_text(st, 4, id->name);
	adm_bind_text(st, 5, id->version);
	adm_bind_text(st, 6, short_description);
	sqlite3_bind_int64(st, 7, adm_store_now(s));
	rc = adm_step_done(s, st, err);
	adm_stmt_done(s, st);
	if (!rc && sqlite3_changes(s->db) > 0) {
		st = adm_stmt(s, "UPDATE named_entities SET description = ? WHERE kind = ? AND project = ? AND "
				 "domain = ? AND name = ?", err);
		if (!st) {
			adm_store_unlock(s);
			return FC_EIO;
		}
		adm_bind_text(st, 1, short_description);
		sqlite3_bind_int(st, 2, (int)kind);
		adm_bind_text(st, 3, id->project);
		adm_bind_text(st, 4, id->domain);
		adm_bind_text(st, 5, id->name);
		rc = adm_step_done(s, st, err);
		adm_stmt_done(s, st);
	}
	adm_store_unlock(s);
	return rc;
}

int adm_description_list(struct adm_store *s, enum adm_kind kind, const struct adm_id *id, uint32_t limit,
			 struct fc_arena *a, struct adm_description **out, size_t *nr, struct fc_err *err)
{
	struct fc_buf sql = FC_BUF_INIT;
	struct adm_description *list = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *st;
	int rc = 0, step, at = 4;

	*out = NULL;
	*nr = 0;
	fc_buf_adds(&sql, "SELECT name, version, short_description, created_at FROM description_entities "
			  "WHERE kind = ? AND project = ? AND domain = ?");
	if (id->name)
		fc_buf_adds(&sql, " AND name = ?");
	if (id->version)
		fc_buf_adds(&sql, " AND version = ?");
	fc_buf_adds(&sql, " ORDER BY created_at DESC, name, version LIMIT ?");
	adm_store_lock(s);
	st = adm_stmt(s, sql.buf, err);
	if (!st) {
		adm_store_unlock(s);
		fc_buf_release(&sql);
		return FC_EIO;
	}
	sqlite3_bind_int(st, 1, (int)kind);
	adm_bind_text(st, 2, id->project);
	adm_bind_text(st, 3, id->domain);
	if (id->name)
		adm_bind_text(st, at++, id->name);
	if (id->version)
		adm_bind_text(st, at++, id->version);
	sqlite3_bind_int64(st, at, (sqlite3_int64)limit);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		FC_ALLOC_GROW(list, n + 1, alloc);
		list[n].name = adm_col_text(a, st, 0);
		list[n].version = adm_col_text(a, st, 1);
		list[n].short_description = adm_col_text(a, st, 2);
		list[n].created_at = sqlite3_column_int64(st, 3);
		n++;
	}
	if (step != SQLITE_DONE)
		rc = adm_sql_err(s, err, "listing description entities");
	adm_stmt_done(s, st);
	adm_store_unlock(s);
	if (!rc) {
		*out = fc_arena_array(a, n + 1, sizeof(**out));
		if (n)
			memcpy(*out, list, n * sizeof(*list));
		*nr = n;
	}
	free(list);
	fc_buf_release(&sql);
	return rc;
}
