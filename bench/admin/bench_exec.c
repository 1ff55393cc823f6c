/*
 * bench_exec.c: execution lists over a large store, beside the same queries on bare sqlite.
 *
 *   bench_exec DB N NODES SAMPLES
 *
 * Fills DB (a new file) with N executions in one transaction straight through the store API (20 launch plans and
 * workflows, every tenth one scheduled, phases: 80% SUCCEEDED, 15% FAILED, 5% RUNNING, one second apart) and one
 * execution "big" with NODES node executions; then times SAMPLES runs of each listing the console asks for
 * (adm_execution_list + the JSON the API would send, and the store's part alone), a page deep in the list, the
 * big execution's nodes, and GET of one execution, beside the equivalent prepared SELECTs on their own sqlite
 * connection. Prints key=value lines (times in ms, p50 and p99).
 */
#include "admin-lite/query.h"
#include "admin-lite/service.h"
#include "admin-lite/store.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/pbjson.h"

#include "flyteidl/admin/execution.pb-c.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define BASE_NS (1767225600LL * 1000000000LL) /* 2026-01-01T00:00:00Z */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int64_t fake_clock;

static int64_t bench_now(void *ctx)
{
	(void)ctx;
	return fake_clock;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *name, double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	printf("%s_min_ms=%.3f %s_p50_ms=%.3f %s_p99_ms=%.3f\n", name, t[0], name, t[n / 2], name, t[(n * 99) / 100]);
}

static void die(const char *what, const struct fc_err *err)
{
	fprintf(stderr, "bench_exec: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

static void fill(struct adm_store *s, int n, int nodes)
{
	Flyteidl__Admin__ExecutionSpec spec = FLYTEIDL__ADMIN__EXECUTION_SPEC__INIT;
	Flyteidl__Core__Identifier lp = FLYTEIDL__CORE__IDENTIFIER__INIT;
	uint8_t packed[512];
	char name[32], lp_name[16], wf_name[16], node_id[32];
	struct adm_execution x;
	struct adm_wf_event wev;
	struct adm_node_event nev;
	struct fc_err err;
	bool applied;
	int i;

	lp.resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__LAUNCH_PLAN;
	lp.project = (char *)"bench";
	lp.domain = (char *)"development";
	lp.version = (char *)"v1";
	lp.name = lp_name;
	spec.launch_plan = &lp;
	memset(&x, 0, sizeof(x));
	x.id.project = "bench";
	x.id.domain = "development";
	x.id.name = name;
	x.launch_plan = (struct adm_id){"bench", "development", lp_name, "v1"};
	x.workflow = (struct adm_id){"bench", "development", wf_name, "v1"};
	x.spec = packed;
	memset(&wev, 0, sizeof(wev));
	wev.exec = x.id;
	if (adm_store_begin(s, &err))
		die("begin", &err);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "e%06d", i);
		snprintf(lp_name, sizeof(lp_name), "lp%d", i % 20);
		snprintf(wf_name, sizeof(wf_name), "wf%d", i % 20);
		x.mode = i % 10 == 0; /* SCHEDULED */
		x.spec_len = protobuf_c_message_pack(&spec.base, packed);
		fake_clock = BASE_NS + (int64_t)i * 1000000000LL;
		if (adm_execution_create(s, &x, &err))
			die("create", &err);
		fake_clock += 100000000LL;
		wev.phase = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__RUNNING;
		wev.occurred_at = fake_clock;
		if (adm_event_workflow(s, &wev, &applied, &err))
			die("running", &err);
		if (i % 20 == 19)
			continue; /* 5% still running */
		fake_clock += 500000000LL;
		wev.phase = i % 20 >= 16 ? FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED
					 : FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDED;
		wev.occurred_at = fake_clock;
		if (adm_event_workflow(s, &wev, &applied, &err))
			die("terminal", &err);
	}
	snprintf(name, sizeof(name), "big");
	snprintf(lp_name, sizeof(lp_name), "lp0");
	snprintf(wf_name, sizeof(wf_name), "wf0");
	x.spec_len = protobuf_c_message_pack(&spec.base, packed);
	if (adm_execution_create(s, &x, &err))
		die("create big", &err);
	memset(&nev, 0, sizeof(nev));
	nev.exec = x.id;
	nev.node_id = node_id;
	nev.phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__SUCCEEDED;
	for (i = 0; i < nodes; i++) {
		snprintf(node_id, sizeof(node_id), "n%05d", i);
		fake_clock += 1000000LL;
		nev.occurred_at = fake_clock;
		if (adm_event_node(s, &nev, &applied, &err))
			die("node", &err);
	}
	if (adm_store_commit(s, &err))
		die("commit", &err);
}

struct listing {
	const char *name;
	const char *filters;
	const char *sort_key;
	bool asc;
	const char *token;
	/* the equivalent bare query (NULL: none), with ?1 = project, ?2 = domain */
	const char *sql;
};

static const struct listing listings[] = {
	{"list_newest", NULL, NULL, false, NULL,
	 "SELECT * FROM executions WHERE project = ?1 AND domain = ?2 ORDER BY created_at DESC LIMIT 101"},
	{"list_phase_failed", "eq(phase,FAILED)", NULL, false, NULL,
	 "SELECT * FROM executions WHERE project = ?1 AND domain = ?2 AND phase = 6 ORDER BY created_at DESC "
	 "LIMIT 101"},
	{"list_phase_running", "eq(phase,RUNNING)", NULL, false, NULL, NULL},
	{"list_launch_plan", "eq(launch_plan.name,lp7)", NULL, false, NULL,
	 "SELECT * FROM executions WHERE project = ?1 AND domain = ?2 AND lp_name = 'lp7' ORDER BY created_at DESC "
	 "LIMIT 101"},
	{"list_workflow", "eq(workflow.name,wf3)", NULL, false, NULL, NULL},
	{"list_scheduled", "eq(mode,1)", NULL, false, NULL, NULL},
	{"list_time_range", "gte(created_at,2026-01-01T10:00:00Z)+lt(created_at,2026-01-01T12:00:00Z)", NULL, false,
	 NULL, NULL},
	{"list_phase_and_lp", "eq(phase,SUCCEEDED)+eq(launch_plan.name,lp7)", NULL, false, NULL, NULL},
	{"list_running_or_queued", "value_in(phase,RUNNING;QUEUED)", NULL, false, NULL, NULL},
	{"list_page_2", NULL, NULL, false, "100", NULL},
	{"list_page_at_50000", NULL, NULL, false, "50000",
	 "SELECT * FROM executions WHERE project = ?1 AND domain = ?2 ORDER BY created_at DESC LIMIT 101 "
	 "OFFSET 50000"},
	{"list_by_updated", NULL, "updated_at", true, NULL, NULL},
};

/* One listing, as GET /api/v1/executions/... runs it: the store's page, then the JSON of it. */
static void run_listing(struct adm_store *s, const struct listing *l, bool json, size_t *bytes)
{
	Flyteidl__Admin__ExecutionList list = FLYTEIDL__ADMIN__EXECUTION_LIST__INIT;
	struct adm_query q = {.project = "bench", .domain = "development", .filters = l->filters,
			      .sort_key = l->sort_key, .sort_asc = l->asc, .token = l->token};
	struct adm_execution *rows;
	struct fc_buf out = FC_BUF_INIT;
	struct fc_arena a;
	struct fc_err err;
	char *next;
	size_t n, i;

	fc_arena_init(&a, 0);
	if (adm_execution_list(s, &q, &a, &rows, &n, &next, &err))
		die(l->name, &err);
	if (json) {
		list.n_executions = n;
		list.executions = fc_arena_array(&a, n + 1, sizeof(*list.executions));
		for (i = 0; i < n; i++)
			if (adm_execution_msg(&rows[i], &a, &list.executions[i], &err))
				die(l->name, &err);
		list.token = next ? next : (char *)"";
		if (fc_pbjson_encode_buf(&list.base, 0, &out, &err))
			die(l->name, &err);
		*bytes += out.len;
	}
	*bytes += n;
	fc_buf_release(&out);
	fc_arena_release(&a);
}

static void run_sql(sqlite3 *db, const char *sql, size_t *bytes)
{
	sqlite3_stmt *st;
	int c;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	sqlite3_bind_text(st, 1, "bench", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, "development", -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		for (c = 0; c < sqlite3_column_count(st); c++)
			*bytes += (size_t)sqlite3_column_bytes(st, c);
	sqlite3_finalize(st);
}

/* CPU time (user + system) this process has used, in microseconds. */
static double cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* `bench_exec lookup DB N SECONDS`: only the bare sqlite lookup rate of random executions of an existing store,
 * for SECONDS; exec_bench.sh runs it right before and right after wrk, so the API rate is set against a baseline
 * measured under the same load (the store's own figure comes minutes earlier, after the fill). Also prints the
 * CPU time (user + system) per lookup, which exec_get_pair.sh sets beside the server's CPU time per GET: the
 * wall rate depends on how much of the two cores other processes leave, the CPU time much less. */
static int lookup_only(const char *path, int n, double seconds)
{
	unsigned seed = 7;
	sqlite3_stmt *st;
	sqlite3 *db;
	double t0, c0;
	long done = 0;
	size_t bytes = 0;
	int k;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT * FROM executions WHERE project = ? AND domain = ? AND name = ?", -1, &st,
			       NULL) != SQLITE_OK)
		die("sqlite open", NULL);
	t0 = now_ms();
	c0 = cpu_us();
	while (now_ms() - t0 < seconds * 1e3) {
		for (k = 0; k < 100; k++, done++) {
			char name[32];
			int c;

			snprintf(name, sizeof(name), "e%06d", (int)(rand_r(&seed) % (unsigned)n));
			sqlite3_bind_text(st, 1, "bench", -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, "development", -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(st) != SQLITE_ROW)
				die("sqlite lookup", NULL);
			for (c = 0; c < sqlite3_column_count(st); c++)
				bytes += (size_t)sqlite3_column_bytes(st, c);
			sqlite3_reset(st);
		}
	}
	printf("sqlite_execution_lookup_per_s=%.0f cpu_us_per_lookup=%.2f checksum=%zu\n",
	       (double)done / ((now_ms() - t0) / 1e3), (cpu_us() - c0) / (double)done, bytes);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return 0;
}

int main(int argc, char **argv)
{
	struct adm_store *s;
	struct fc_err err;
	sqlite3 *db;
	sqlite3_stmt *st;
	double t0, *t;
	int n, nodes, samples, i, k;
	unsigned seed = 42;
	size_t bytes = 0, li;

	if (argc == 5 && !strcmp(argv[1], "lookup"))
		return lookup_only(argv[2], atoi(argv[3]), atof(argv[4]));
	if (argc != 5) {
		fprintf(stderr, "usage: bench_exec DB N NODES SAMPLES\n       bench_exec lookup DB N SECONDS\n");
		return 2;
	}
	n = atoi(argv[2]);
	nodes = atoi(argv[3]);
	samples = atoi(argv[4]);
	if (n < 1 || nodes < 1 || samples < 10) {
		fprintf(stderr, "bench_exec: N, NODES >= 1 and SAMPLES >= 10\n");
		return 2;
	}
	t = calloc((size_t)samples, sizeof(*t));
	if (adm_store_open(argv[1], &s, &err))
		die("open", &err);
	adm_store_set_clock(s, bench_now, NULL);
	t0 = now_ms();
	fill(s, n, nodes);
	printf("executions=%d big_execution_nodes=%d fill_s=%.2f\n", n, nodes, (now_ms() - t0) / 1e3);
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		die("sqlite open", NULL);

	for (li = 0; li < FC_ARRAY_LEN(listings); li++) {
		const struct listing *l = &listings[li];
		char name[96];

		run_listing(s, l, true, &bytes); /* warm */
		for (k = 0; k < samples; k++) {
			t0 = now_ms();
			run_listing(s, l, true, &bytes);
			t[k] = now_ms() - t0;
		}
		report(l->name, t, samples);
		for (k = 0; k < samples; k++) {
			t0 = now_ms();
			run_listing(s, l, false, &bytes);
			t[k] = now_ms() - t0;
		}
		snprintf(name, sizeof(name), "%s_store_only", l->name);
		report(name, t, samples);
		if (l->sql) {
			for (k = 0; k < samples; k++) {
				t0 = now_ms();
				run_sql(db, l->sql, &bytes);
				t[k] = now_ms() - t0;
			}
			snprintf(name, sizeof(name), "%s_sqlite", l->name);
			report(name, t, samples);
		}
	}

	/* the page at row 50,000 again, reached the way a client pages: through the keyset tokens */
	{
		struct adm_query q = {.project = "bench", .domain = "development", .limit = 10000};
		struct listing deep = {"list_page_at_50000_keyset", NULL, NULL, false, NULL, NULL};
		struct fc_arena a;
		struct adm_execution *rows;
		char *next = NULL;
		size_t nr;

		fc_arena_init(&a, 0);
		for (i = 0; i < 5 && (i == 0 || next); i++) {
			q.token = next;
			if (adm_execution_list(s, &q, &a, &rows, &nr, &next, &err))
				die("keyset walk", &err);
		}
		deep.token = next;
		for (k = 0; k < samples; k++) {
			t0 = now_ms();
			run_listing(s, &deep, true, &bytes);
			t[k] = now_ms() - t0;
		}
		report(deep.name, t, samples);
		for (k = 0; k < samples; k++) {
			t0 = now_ms();
			run_listing(s, &deep, false, &bytes);
			t[k] = now_ms() - t0;
		}
		report("list_page_at_50000_keyset_store_only", t, samples);
		printf("keyset_token_at_50000=%s\n", next ? next : "(none)");
		fc_arena_release(&a);
	}

	/* the big execution's nodes: one page of 100, and everything (what a watch stream renders) */
	for (i = 0; i < 2; i++) {
		struct adm_exec_id id = {"bench", "development", "big"};
		struct adm_query q = {.limit = i ? 10000 : 100};

		int runs = i ? (samples / 20 > 10 ? samples / 20 : 10) : samples; /* 10,000 nodes take a while */

		for (k = 0; k < runs; k++) {
			Flyteidl__Admin__NodeExecutionList list = FLYTEIDL__ADMIN__NODE_EXECUTION_LIST__INIT;
			struct adm_node_execution *rows;
			struct fc_buf out = FC_BUF_INIT;
			struct fc_arena a;
			char *next;
			size_t nr, j;

			t0 = now_ms();
			fc_arena_init(&a, 0);
			if (adm_node_execution_list(s, &id, NULL, &q, &a, &rows, &nr, &next, &err))
				die("nodes", &err);
			list.n_node_executions = nr;
			list.node_executions = fc_arena_array(&a, nr + 1, sizeof(*list.node_executions));
			for (j = 0; j < nr; j++)
				if (adm_node_execution_msg(&rows[j], &a, &list.node_executions[j], &err))
					die("nodes", &err);
			list.token = next ? next : (char *)"";
			if (fc_pbjson_encode_buf(&list.base, 0, &out, &err))
				die("nodes", &err);
			bytes += out.len;
			fc_buf_release(&out);
			fc_arena_release(&a);
			t[k] = now_ms() - t0;
		}
		report(i ? "nodes_all_10000" : "nodes_page_100", t, runs);
	}

	/* GET of one execution: rate of the store + JSON path vs a bare lookup of the row */
	{
		int lookups = samples * 100;

		if (sqlite3_prepare_v2(db, "SELECT * FROM executions WHERE project = ? AND domain = ? AND name = ?", -1,
				       &st, NULL) != SQLITE_OK)
			die("sqlite prepare", NULL);
		t0 = now_ms();
		for (i = 0; i < lookups; i++) {
			char name[32];

			snprintf(name, sizeof(name), "e%06d", (int)(rand_r(&seed) % (unsigned)n));
			sqlite3_bind_text(st, 1, "bench", -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, "development", -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(st) != SQLITE_ROW)
				die("sqlite lookup", NULL);
			for (k = 0; k < sqlite3_column_count(st); k++)
				bytes += (size_t)sqlite3_column_bytes(st, k);
			sqlite3_reset(st);
		}
		printf("sqlite_execution_lookup_per_s=%.0f\n", lookups / ((now_ms() - t0) / 1e3));
		sqlite3_finalize(st);
		t0 = now_ms();
		for (i = 0; i < lookups; i++) {
			char name[32];
			struct adm_exec_id id = {"bench", "development", name};
			Flyteidl__Admin__Execution *m;
			struct adm_execution x;
			struct fc_buf out = FC_BUF_INIT;
			struct fc_arena a;

			snprintf(name, sizeof(name), "e%06d", (int)(rand_r(&seed) % (unsigned)n));
			fc_arena_init(&a, 0);
			if (adm_execution_get(s, &id, &a, &x, &err) || adm_execution_msg(&x, &a, &m, &err) ||
			    fc_pbjson_encode_buf(&m->base, 0, &out, &err))
				die("get", &err);
			bytes += out.len;
			fc_buf_release(&out);
			fc_arena_release(&a);
		}
		printf("store_execution_get_json_per_s=%.0f\n", lookups / ((now_ms() - t0) / 1e3));
	}
	printf("checksum=%zu\n", bytes);
	sqlite3_close(db);
	adm_store_free(s);
	free(t);
	return 0;
}
