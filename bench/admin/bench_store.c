/*
 * bench_store.c: admin-lite's store throughput, and the baseline the API is compared with.
 *
 *   bench_store DB N LOOKUPS
 *
 * Registers N tasks one transaction each ("a1".."aN", as POST /api/v1/tasks does) and N more in one transaction
 * ("b1".."bN", as the watcher does), then times LOOKUPS random lookups of the "a" tasks two ways: a bare prepared
 * SELECT of the blob on its own sqlite connection (the baseline for the API's GET), and the store + IDL + JSON path
 * the server runs for GET /api/v1/tasks/... minus HTTP (and the store's lookup alone). Prints key=value lines.
 */
#include "admin-lite/service.h"
#include "admin-lite/store.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/pbjson.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int register_tasks(struct adm_store *s, char prefix, int n, bool batched)
{
	Flyteidl__Core__Identifier id = FLYTEIDL__CORE__IDENTIFIER__INIT;
	Flyteidl__Core__TaskTemplate t = FLYTEIDL__CORE__TASK_TEMPLATE__INIT;
	Flyteidl__Core__Container c = FLYTEIDL__CORE__CONTAINER__INIT;
	Flyteidl__Core__CompiledTask ct = FLYTEIDL__CORE__COMPILED_TASK__INIT;
	char name[32], *args[3] = {(char *)"sh", (char *)"-c", (char *)"echo hello"};
	struct fc_err err;
	bool created;
	int i;

	id.resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__TASK;
	id.project = (char *)"bench";
	id.domain = (char *)"development";
	id.version = (char *)"v1";
	id.name = name;
	t.id = &id;
	t.type = (char *)"container";
	c.image = (char *)"alpine:3.19";
	c.n_args = 3;
	c.args = args;
	t.target_case = FLYTEIDL__CORE__TASK_TEMPLATE__TARGET_CONTAINER;
	t.container = &c;
	ct.template_ = &t;
	if (batched && adm_store_begin(s, &err))
		return 1;
	for (i = 1; i <= n; i++) {
		snprintf(name, sizeof(name), "%c%d", prefix, i);
		if (adm_register_task(s, &id, &ct, NULL, &created, NULL, &err)) {
			fprintf(stderr, "register %s: %s\n", name, err.msg);
			return 1;
		}
	}
	if (batched && adm_store_commit(s, &err))
		return 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct adm_store *s;
	struct fc_err err;
	sqlite3 *db;
	sqlite3_stmt *st;
	double t0, t1;
	int n, lookups, i;
	unsigned seed = 42;
	size_t bytes = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: bench_store DB N LOOKUPS\n");
		return 2;
	}
	n = atoi(argv[2]);
	lookups = atoi(argv[3]);
	if (adm_store_open(argv[1], &s, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	t0 = now_s();
	if (register_tasks(s, 'a', n, false))
		return 1;
	t1 = now_s();
	printf("register_one_tx_per_entity_per_s=%.0f\n", n / (t1 - t0));
	t0 = now_s();
	if (register_tasks(s, 'b', n, true))
		return 1;
	t1 = now_s();
	printf("register_batched_per_s=%.0f\n", n / (t1 - t0));

	/* baseline: the bare lookup on sqlite */
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT spec FROM entities WHERE kind = 1 AND project = ? AND domain = ? AND name = ? "
				   "AND version = ?", -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	t0 = now_s();
	for (i = 0; i < lookups; i++) {
		char name[32];

		snprintf(name, sizeof(name), "a%d", 1 + (int)(rand_r(&seed) % (unsigned)n));
		sqlite3_bind_text(st, 1, "bench", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, "development", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, "v1", -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW) {
			fprintf(stderr, "lookup %s failed\n", name);
			return 1;
		}
		bytes += (size_t)sqlite3_column_bytes(st, 0);
		sqlite3_reset(st);
	}
	t1 = now_s();
	printf("sqlite_lookup_per_s=%.0f\n", lookups / (t1 - t0));
	sqlite3_finalize(st);
	sqlite3_close(db);

	/* the store's lookup alone (lock, cached statement, columns copied into an arena) */
	t0 = now_s();
	for (i = 0; i < lookups; i++) {
		char name[32];
		struct adm_id id = {"bench", "development", name, "v1"};
		struct adm_entity e;
		struct fc_arena a;

		snprintf(name, sizeof(name), "a%d", 1 + (int)(rand_r(&seed) % (unsigned)n));
		fc_arena_init(&a, 4096);
		if (adm_entity_get(s, ADM_TASK, &id, &a, &e, &err)) {
			fprintf(stderr, "get %s: %s\n", name, err.msg);
			return 1;
		}
		bytes += e.spec_len;
		fc_arena_release(&a);
	}
	t1 = now_s();
	printf("store_get_per_s=%.0f\n", lookups / (t1 - t0));

	/* the server's work for one GET, without HTTP */
	t0 = now_s();
	for (i = 0; i < lookups; i++) {
		char name[32];
		struct adm_id id = {"bench", "development", name, "v1"};
		struct adm_entity e;
		Flyteidl__Admin__Task *m;
		struct fc_arena a;
		struct fc_buf out = FC_BUF_INIT;

		snprintf(name, sizeof(name), "a%d", 1 + (int)(rand_r(&seed) % (unsigned)n));
		fc_arena_init(&a, 0);
		if (adm_entity_get(s, ADM_TASK, &id, &a, &e, &err) || adm_task_msg(&e, &a, &m, &err) ||
		    fc_pbjson_encode_buf(&m->base, 0, &out, &err)) {
			fprintf(stderr, "get %s: %s\n", name, err.msg);
			return 1;
		}
		bytes += out.len;
		fc_buf_release(&out);
		fc_arena_release(&a);
	}
	t1 = now_s();
	printf("store_get_json_per_s=%.0f\n", lookups / (t1 - t0));

	/* the same in the protobuf encoding (what Accept: application/octet-stream costs the server) */
	t0 = now_s();
	for (i = 0; i < lookups; i++) {
		char name[32];
		struct adm_id id = {"bench", "development", name, "v1"};
		struct adm_entity e;
		Flyteidl__Admin__Task *m;
		struct fc_arena a;
		uint8_t *packed;
		size_t len;

		snprintf(name, sizeof(name), "a%d", 1 + (int)(rand_r(&seed) % (unsigned)n));
		fc_arena_init(&a, 0);
		if (adm_entity_get(s, ADM_TASK, &id, &a, &e, &err) || adm_task_msg(&e, &a, &m, &err)) {
			fprintf(stderr, "get %s: %s\n", name, err.msg);
			return 1;
		}
		len = protobuf_c_message_get_packed_size(&m->base);
		packed = fc_arena_alloc_raw(&a, len + 1);
		bytes += protobuf_c_message_pack(&m->base, packed);
		fc_arena_release(&a);
	}
	t1 = now_s();
	printf("store_get_protobuf_per_s=%.0f\n", lookups / (t1 - t0));
	printf("checksum=%zu\n", bytes);
	adm_store_free(s);
	return 0;
}
