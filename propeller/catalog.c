/* catalog.c: the task output cache, in sqlite. */
#include "propeller/catalog.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/sha256.h"
#include "compiler/lit.h"

#include <errno.h>
#include <sqlite3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct prop_catalog {
	sqlite3 *db;
	sqlite3_stmt *get, *put, *del;
	sqlite3_stmt *res_get, *res_put, *res_del, *res_del_all;
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
			 "version TEXT NOT NULL, outputs TEXT NOT NULL, source_exec TEXT, created_ns INTEGER);"
			 "CREATE TABLE IF NOT EXISTS reservations(key TEXT PRIMARY KEY, engine TEXT NOT NULL, "
			 "pid INTEGER NOT NULL, start INTEGER NOT NULL, what TEXT, created_ns INTEGER)",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "SELECT outputs FROM cache WHERE key=?", -1, &c->get, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db,
			       "INSERT OR REPLACE INTO cache(key, task, version, outputs, source_exec, created_ns) "
			       "VALUES(?,?,?,?,?,?)",
			       -1, &c->put, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "DELETE FROM cache WHERE key=?", -1, &c->del, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "SELECT engine, pid, start, what FROM reservations WHERE key=?", -1, &c->res_get,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db,
			       "INSERT OR REPLACE INTO reservations(key, engine, pid, start, what, created_ns) "
			       "VALUES(?,?,?,?,?,?)",
			       -1, &c->res_put, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "DELETE FROM reservations WHERE key=? AND engine=?", -1, &c->res_del, NULL) !=
		    SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "DELETE FROM reservations WHERE engine=?", -1, &c->res_del_all, NULL) !=
		    SQLITE_OK) {
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
	sqlite3_finalize(c->res_get);
	sqlite3_finalize(c->res_put);
	sqlite3_finalize(c->res_del);
	sqlite3_finalize(c->res_del_all);
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
		cmp_pb_pack(&task->interface->base, &iface);
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
		cmp_lit_hash(sorted[i]->value, &h);
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

/* --- reservations (cache serialization) ------------------------------------------------------------------ */

/* The start time of a process (clock ticks since boot: field 22 of /proc/<pid>/stat), or -1. */
static int64_t process_start(int64_t pid)
{
	char path[64], buf[1024];
	const char *p;
	FILE *f;
	size_t n;
	int field;

	snprintf(path, sizeof(path), "/proc/%lld/stat", (long long)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
	if (!p)
		return -1;
	/* After ")": field 3 (state) onwards; the start time is field 22. */
	for (field = 2; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	return *p ? strtoll(p, NULL, 10) : -1;
}

static bool owner_alive(int64_t pid, int64_t start)
{
	int64_t now_start;

	if (pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno != EPERM))
		return false;
	now_start = process_start(pid);
	return now_start < 0 || now_start == start; /* without /proc, trust the pid */
}

void prop_catalog_owner_init(struct prop_catalog_owner *o, char *engine, size_t len)
{
	static unsigned counter;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	o->pid = getpid();
	o->start = process_start(o->pid);
	snprintf(engine, len, "%lld-%lld-%u-%lld", (long long)o->pid, (long long)o->start, ++counter,
		 (long long)ts.tv_nsec);
	o->engine = engine;
}

static int res_error(struct prop_catalog *c, struct fc_err *err)
{
	return fc_err_set(err, FC_EIO, "catalog reservations: %s", sqlite3_errmsg(c->db));
}

int prop_catalog_reserve(struct prop_catalog *c, const char *key, const struct prop_catalog_owner *o,
			 const char *what, bool *got, struct fc_buf *holder, struct fc_err *err)
{
	struct timespec ts;
	int rc, step;

	*got = false;
	/* One transaction, taken for writing at once: two processes cannot both find the key free. */
	if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return res_error(c, err);
	sqlite3_reset(c->res_get);
	sqlite3_bind_text(c->res_get, 1, key, -1, SQLITE_STATIC);
	step = sqlite3_step(c->res_get);
	if (step == SQLITE_ROW) {
		const char *engine = (const char *)sqlite3_column_text(c->res_get, 0);
		const char *holder_what = (const char *)sqlite3_column_text(c->res_get, 3);
		int64_t pid = sqlite3_column_int64(c->res_get, 1), start = sqlite3_column_int64(c->res_get, 2);
		bool same_engine = engine && !strcmp(engine, o->engine);

		if (same_engine && holder_what && what && !strcmp(holder_what, what)) {
			*got = true; /* ours already */
		} else if (same_engine || owner_alive(pid, start)) {
			if (holder)
				fc_buf_adds(holder, engine ? engine : "");
			sqlite3_reset(c->res_get);
			sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
			return FC_OK;
		}
	} else if (step != SQLITE_DONE) {
		rc = res_error(c, err);
		goto fail;
	}
	sqlite3_reset(c->res_get);
	if (!*got) {
		clock_gettime(CLOCK_REALTIME, &ts);
		sqlite3_reset(c->res_put);
		sqlite3_bind_text(c->res_put, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(c->res_put, 2, o->engine, -1, SQLITE_STATIC);
		sqlite3_bind_int64(c->res_put, 3, o->pid);
		sqlite3_bind_int64(c->res_put, 4, o->start);
		sqlite3_bind_text(c->res_put, 5, what, -1, SQLITE_STATIC);
		sqlite3_bind_int64(c->res_put, 6, (sqlite3_int64)ts.tv_sec * 1000000000 + ts.tv_nsec);
		step = sqlite3_step(c->res_put);
		sqlite3_reset(c->res_put);
		if (step != SQLITE_DONE) {
			rc = res_error(c, err);
			goto fail;
		}
	}
	if (sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		rc = res_error(c, err);
		goto fail;
	}
	*got = true;
	return FC_OK;
fail:
	*got = false;
	sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int prop_catalog_release(struct prop_catalog *c, const char *key, const char *engine, struct fc_err *err)
{
	int step;

	sqlite3_reset(c->res_del);
	sqlite3_bind_text(c->res_del, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->res_del, 2, engine, -1, SQLITE_STATIC);
	step = sqlite3_step(c->res_del);
	sqlite3_reset(c->res_del);
	return step == SQLITE_DONE ? FC_OK : res_error(c, err);
}

int prop_catalog_release_all(struct prop_catalog *c, const char *engine, struct fc_err *err)
{
	int step;

	sqlite3_reset(c->res_del_all);
	sqlite3_bind_text(c->res_del_all, 1, engine, -1, SQLITE_STATIC);
	step = sqlite3_step(c->res_del_all);
	sqlite3_reset(c->res_del_all);
	return step == SQLITE_DONE ? FC_OK : res_error(c, err);
}
