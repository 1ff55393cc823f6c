/* catalog.c: the task output cache, in sqlite. */
#include "propeller/catalog.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/sha256.h"
#include "propeller/lit.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct prop_catalog {
	sqlite3 *db;
	sqlite3_stmt *get, *put, *del;
};

int prop_catalog_open(const char *path, struct prop_catalog **out, struct fc_err *err)
{
	struct prop_catalog *c = fc_xcalloc(1, sizeof(*c));
	int rc = FC_OK;

	*out = NULL;
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
		    SQLITE_OK ||
	    sqlite3_busy_timeout(c->db, 5000) != SQLITE_OK ||
	    sqlite3_exec(c->db,
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			 "CREATE TABLE IF NOT EXISTS cache(key TEXT PRIMARY KEY, task TEXT NOT NULL, "
			 "version TEXT NOT NULL, outputs TEXT NOT NULL, source_exec TEXT, created_ns INTEGER)",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "SELECT outputs FROM cache WHERE key=?", -1, &c->get, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db,
			       "INSERT OR REPLACE INTO cache(key, task, version, outputs, source_exec, created_ns) "
			       "VALUES(?,?,?,?,?,?)",
			       -1, &c->put, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "DELETE FROM cache WHERE key=?", -1, &c->del, NULL) != SQLITE_OK) {
		rc = fc_err_set(err, FC_EIO, "catalog %s: %s", path, c->db ? sqlite3_errmsg(c->db) : "cannot open");
		prop_catalog_free(c);
		return rc;
	}
	*out = c;
	return FC_OK;
}

void prop_catalog_free(struct prop_catalog *c)
{
	if (!c)
		return;
	sqlite3_finalize(c->get);
	sqlite3_finalize(c->put);
	sqlite3_finalize(c->del);
	sqlite3_close(c->db);
	free(c);
}

static bool ignored(const Flyteidl__Core__TaskTemplate *task, const char *var)
{
	size_t i;

	if (!task->metadata)
		return false;
	for (i = 0; i < task->metadata->n_cache_ignore_input_vars; i++)
		if (!strcmp(task->metadata->cache_ignore_input_vars[i], var))
			return true;
	return false;
}

static int entry_cmp(const void *x, const void *y)
{
	const Flyteidl__Core__LiteralMap__LiteralsEntry *const *ex = x, *const *ey = y;

	return strcmp((*ex)->key, (*ey)->key);
}

static void hash_str(struct fc_sha256 *h, const char *s)
{
	uint64_t n = s ? strlen(s) : 0;

	fc_sha256_update(h, &n, sizeof(n));
	if (n)
		fc_sha256_update(h, s, n);
}

void prop_catalog_key(const Flyteidl__Core__TaskTemplate *task, const char *cache_version,
		      const Flyteidl__Core__LiteralMap *inputs, struct fc_buf *out)
{
	struct fc_sha256 h;
	unsigned char digest[FC_SHA256_LEN];
	char hex[FC_SHA256_HEX_LEN + 1];
	struct fc_buf iface = FC_BUF_INIT;
	Flyteidl__Core__LiteralMap__LiteralsEntry **sorted = NULL;
	size_t n = inputs ? inputs->n_literals : 0, i;

	fc_sha256_init(&h);
	hash_str(&h, "flytec-catalog-v1");
	hash_str(&h, task->id ? task->id->project : "");
	hash_str(&h, task->id ? task->id->domain : "");
	hash_str(&h, task->id ? task->id->name : "");
	hash_str(&h, cache_version ? cache_version : task->metadata ? task->metadata->discovery_version : "");
	if (task->interface)
		prop_pb_pack(&task->interface->base, &iface);
	fc_sha256_update(&h, iface.buf, iface.len);
	if (n) {
		sorted = fc_xmalloc(n * sizeof(*sorted));
		memcpy(sorted, inputs->literals, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), entry_cmp);
	}
	for (i = 0; i < n; i++) {
		if (ignored(task, sorted[i]->key))
			continue;
		hash_str(&h, sorted[i]->key);
		prop_lit_hash(sorted[i]->value, &h);
	}
	fc_sha256_final(&h, digest);
	fc_hex(digest, sizeof(digest), hex);
	fc_buf_adds(out, hex);
	free(sorted);
	fc_buf_release(&iface);
}

int prop_catalog_get(struct prop_catalog *c, const char *key, struct fc_buf *outputs_key, struct fc_err *err)
{
	int rc;

	sqlite3_reset(c->get);
	sqlite3_bind_text(c->get, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(c->get);
	if (rc == SQLITE_ROW) {
		fc_buf_adds(outputs_key, (const char *)sqlite3_column_text(c->get, 0));
		sqlite3_reset(c->get);
		return FC_OK;
	}
	sqlite3_reset(c->get);
	if (rc == SQLITE_DONE)
		return fc_err_set(err, FC_ENOENT, "cache miss");
	return fc_err_set(err, FC_EIO, "catalog: %s", sqlite3_errmsg(c->db));
}

int prop_catalog_put(struct prop_catalog *c, const char *key, const char *task_name, const char *version,
		     const char *outputs_key, const char *source_exec, struct fc_err *err)
{
	struct timespec ts;
	int rc;

	clock_gettime(CLOCK_REALTIME, &ts);
	sqlite3_reset(c->put);
	sqlite3_bind_text(c->put, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->put, 2, task_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->put, 3, version ? version : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(c->put, 4, outputs_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->put, 5, source_exec, -1, SQLITE_STATIC);
	sqlite3_bind_int64(c->put, 6, (sqlite3_int64)ts.tv_sec * 1000000000 + ts.tv_nsec);
	rc = sqlite3_step(c->put);
	sqlite3_reset(c->put);
	if (rc != SQLITE_DONE)
		return fc_err_set(err, FC_EIO, "catalog: %s", sqlite3_errmsg(c->db));
	return FC_OK;
}

int prop_catalog_delete(struct prop_catalog *c, const char *key, struct fc_err *err)
{
	int rc;

	sqlite3_reset(c->del);
	sqlite3_bind_text(c->del, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(c->del);
	sqlite3_reset(c->del);
	if (rc != SQLITE_DONE)
		return fc_err_set(err, FC_EIO, "catalog: %s", sqlite3_errmsg(c->db));
	return FC_OK;
}
