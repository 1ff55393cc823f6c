/*
 * bench_sch.c: the scheduler's costs, each with a baseline measured in the same run.
 *
 *   bench_sch DIR N IDLE_S LATENCY_N
 *
 * 1. load: N active launch plans with varied cron and fixed-rate schedules (a tenth in a CRON_TZ zone) are
 *    registered in DIR/load.db; then sch_reload() loads and arms them all. Baseline: adm_schedule_list() alone
 *    (the store's read of the same rows). Also a second reload with nothing changed (what a notify costs).
 * 2. memory: heap bytes held by the scheduler after the load (mallinfo2, the reload's temporary arena freed),
 *    divided by N.
 * 3. idle: the scheduler thread on the real clock for IDLE_S seconds with the N schedules armed (none due in that
 *    time): process CPU time (the main thread only sleeps) and the number of passes.
 * 4. latency: LATENCY_N launch plans "* * * * *" in DIR/latency.db, the scheduler thread on the real clock; at the
 *    next minute boundary all LATENCY_N slots are due at once. For each execution, created_at - scheduled_at
 *    (both from CLOCK_REALTIME): p50, p99, max. Baseline: the same number of executions created back to back with
 *    adm_launch_scheduled() (what firing costs without a scheduler); the p99 delay divided by that time says how
 *    much the scheduler adds.
 * 5. jitter (with JITTER_N > 0): JITTER_N launch plans "* * * * *" with `jitter: JITTER_S` in DIR/jitter.db, the
 *    scheduler thread on the real clock; at the next minute boundary every slot is due at its plan's own offset
 *    (sch_jitter_ns()), spread over JITTER_S seconds. For each execution, the lateness created_at - (scheduled_at +
 *    offset): p50, p99, max (issue 22 asks p99 under 1 s for 100,000), and the busiest second of fire times.
 * 6. burst (`bench_sch burst DIR N`): N launch plans "* * * * *" all due at one minute, on the manual clock: one
 *    sch_step() at the boundary fires them all. For each execution, created_at - the step's start (real time):
 *    p50, p99, max, and the step's duration (when the last batch is committed, every execution is visible). Run
 *    twice on fresh stores: fires batched in shared transactions (the default), and the baseline with one
 *    transaction per fire (sch_options.fire_batch = 1, how the scheduler fired before). `bench_sch burst DIR N
 *    batched|single|both ROUNDS`: only that variant, and ROUNDS bursts a minute apart on the same store (one line
 *    each; the WAL grows from burst to burst, so some of them reach the checkpoint mark).
 * 7. grown store (`bench_sch burst DIR N grown K [M]`): the batched burst of 6. on a fresh store (burst_fresh),
 *    then K - 1 more bursts on the same store unmeasured (it then holds K bursts: K * N executions and their slot
 *    log), then M (default 3) measured bursts (burst_grown): a production scheduler's store only grows. Each line
 *    also gives the store's pages written to the WAL by the burst (sqlite3_db_status CACHE_WRITE), its page cache
 *    misses and the database's size in pages after it. SCH_BENCH_FIRE_BATCH=K: fires per transaction (default:
 *    the scheduler's, SCH_FIRE_BATCH).
 * Before each measured burst the page cache's dirty pages are written out (sync(2)): bursts "a minute apart" run
 * here one right after another, and the kernel writing back the previous one's pages (or the baseline's 1,000
 * commits, or the store's fill) while the next is measured is an artefact of the bench, not the scheduler's cost
 * (in a real minute the write-back is long done).
 * Prints key=value lines.
 */
#include "admin-lite/query.h"
#include "admin-lite/register.h"
#include "admin-lite/service.h"
#include "admin-lite/store.h"
#include "compiler/compiler.h"
#include "core/arena.h"
#include "core/cron.h"
#include "core/err.h"
#include "core/log.h"
#include "scheduler/scheduler.h"

#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define NS INT64_C(1000000000)

static int64_t g_jitter_ms; /* add_lp()'s jitter (bench_jitter) */

static const char spec_yaml[] =
	"project: bench\n"
	"tasks:\n"
	"  - name: t\n"
	"    type: echo\n"
	"    inputs: {day: datetime}\n"
	"    outputs: {day: datetime}\n"
	"workflows:\n"
	"  - name: wf\n"
	"    inputs: {day: datetime}\n"
	"    nodes:\n"
	"      - id: n\n"
	"        task: t\n"
	"        inputs: {day: !ref inputs.day}\n"
	"    outputs: {day: !ref n.day}\n"
	"launch_plans:\n"
	"  - name: tmpl\n"
	"    workflow: wf\n"
	"    schedule: {cron: \"0 * * * *\", kickoff_input: day}\n";

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

static void die(const char *what, const struct fc_err *err)
{
	fprintf(stderr, "bench_sch: %s: %s\n", what, err ? err->msg : "failed");
	exit(1);
}

static void reg_cb(void *ctx, const struct adm_reg_result *r)
{
	(void)ctx;
	if (r->rc) {
		fprintf(stderr, "bench_sch: registering %s: %s\n", r->name, r->message);
		exit(1);
	}
}

/* Open `path`, register the workflow and return the compiled template launch plan's session. */
static struct cmp_session *prepare(const char *path, struct adm_store **store)
{
	struct cmp_options opts;
	struct cmp_session *cs;
	struct fc_err err;

	unlink(path);
	if (adm_store_open(path, store, &err))
		die("opening the store", &err);
	memset(&opts, 0, sizeof(opts));
	cs = cmp_session_new(&opts);
	cmp_add_source_take(cs, "bench.yaml", strdup(spec_yaml), strlen(spec_yaml));
	if (cmp_compile(cs))
		die("compiling the spec", NULL);
	if (adm_register_session(*store, cs, NULL, reg_cb, NULL, &err))
		die("registering", &err);
	return cs;
}

/* Register and activate launch plan `name` (a copy of the template with `cron` or a rate of `rate_min`). */
static void add_lp(struct adm_store *store, struct cmp_session *cs, const char *name, const char *cron,
		   uint32_t rate_min)
{
	const struct cmp_launch_plan_result *r = cmp_find_launch_plan(cs, "tmpl");
	Flyteidl__Admin__LaunchPlan lp = *r->launch_plan;
	Flyteidl__Core__Identifier id = *lp.id;
	Flyteidl__Admin__LaunchPlanSpec spec = *lp.spec;
	Flyteidl__Admin__LaunchPlanMetadata md = *spec.entity_metadata;
	Flyteidl__Admin__Schedule sched = *md.schedule;
	Flyteidl__Admin__CronSchedule cron_sched = FLYTEIDL__ADMIN__CRON_SCHEDULE__INIT;
	Flyteidl__Admin__FixedRate rate = FLYTEIDL__ADMIN__FIXED_RATE__INIT;
	struct cmp_schedule_policy policy = {.catchup = CMP_CATCHUP_LATEST, .concurrency = CMP_CONCURRENCY_ALLOW};
	struct fc_err err;
	bool created;

	id.name = (char *)name;
	id.version = (char *)"v1";
	lp.id = &id;
	lp.spec = &spec;
	spec.entity_metadata = &md;
	md.schedule = &sched;
	if (cron) {
		cron_sched.schedule = (char *)cron;
		sched.schedule_expression_case = FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_CRON_SCHEDULE;
		sched.cron_schedule = &cron_sched;
	} else {
		rate.value = rate_min;
		rate.unit = FLYTEIDL__ADMIN__FIXED_RATE_UNIT__MINUTE;
		sched.schedule_expression_case = FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_RATE;
		sched.rate = &rate;
	}
	policy.jitter_ms = g_jitter_ms;
	if (adm_register_launch_plan(store, &lp, &policy, NULL, &created, NULL, &err))
		die("registering a launch plan", &err);
	if (adm_launch_plan_set_state(store, &(struct adm_id){"bench", "development", name, "v1"}, 1, &err))
		die("activating a launch plan", &err);
}

static const char *const zones[] = {"Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney",
				    "Asia/Kolkata"};

/* A varied expression whose next fire is at least `quiet_s` away (so the idle measurement is idle). */
static void pick_schedule(unsigned i, int64_t now_s, int64_t quiet_s, char *cron, size_t size, uint32_t *rate_min)
{
	unsigned r = i * 2654435761u;

	for (;;) {
		struct fc_cron *c = NULL;
		struct fc_err err;
		int64_t next;
		unsigned m = r % 60, h = (r / 60) % 24, dow = (r / 1440) % 7, dom = 1 + (r / 10080) % 28;

		*rate_min = 0;
		switch (i % 10) {
		case 0:
			snprintf(cron, size, "CRON_TZ=%s %u %u * * *", zones[(r / 7) % FC_ARRAY_LEN(zones)], m, h);
			break;
		case 1:
		case 2:
			snprintf(cron, size, "%u %u * * %u", m, h, dow);
			break;
		case 3:
			snprintf(cron, size, "%u %u %u * *", m, h, dom);
			break;
		case 4: /* fixed rates of 1 to 7 days, anchored at activation (now): far enough */
			cron[0] = '\0';
			*rate_min = 1440 * (1 + r % 7);
			return;
		default:
			snprintf(cron, size, "%u %u * * *", m, h);
			break;
		}
		if (fc_cron_parse(cron, &c, NULL, &err))
			die(cron, &err);
		next = fc_cron_next(c, NULL, now_s, now_s);
		fc_cron_free(c);
		if (next > now_s + quiet_s)
			return;
		r = r * 1103515245u + 12345u;
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void bench_load_idle(const char *dir, unsigned n, unsigned idle_s)
{
	struct adm_store *store;
	struct cmp_session *cs;
	struct adm_scheduled_lp *rows;
	struct sch_options opts;
	struct sch_stats stats;
	struct fc_arena a;
	struct fc_err err;
	struct sch *s;
	struct mallinfo2 m0, m1;
	char path[512], cron[128], name[32];
	double t0, t1, t_list, t_load, t_reload, c0, c1;
	int64_t now_s = real_ns() / NS;
	size_t nrows;
	unsigned i;
	uint32_t rate_min;

	snprintf(path, sizeof(path), "%s/load.db", dir);
	cs = prepare(path, &store);
	t0 = mono_s();
	if (adm_store_begin(store, &err))
		die("begin", &err);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "lp%u", i);
		pick_schedule(i, now_s, 3600 + idle_s, cron, sizeof(cron), &rate_min);
		add_lp(store, cs, name, cron[0] ? cron : NULL, rate_min);
	}
	if (adm_store_commit(store, &err))
		die("commit", &err);
	printf("registered=%u register_s=%.2f\n", n, mono_s() - t0);
	cmp_session_free(cs);

	/* baseline: the store's read of the schedules */
	fc_arena_init(&a, 1 << 20);
	t0 = mono_s();
	if (adm_schedule_list(store, &a, &rows, &nrows, &err))
		die("listing", &err);
	t_list = mono_s() - t0;
	fc_arena_release(&a);

	memset(&opts, 0, sizeof(opts));
	opts.quiet = true;
	malloc_trim(0);
	m0 = mallinfo2();
	if (sch_new(store, NULL, &opts, &s, &err))
		die("sch_new", &err);
	t0 = mono_s();
	if (sch_reload(s, &err))
		die("reload", &err);
	t_load = mono_s() - t0;
	m1 = mallinfo2();
	t0 = mono_s();
	if (sch_reload(s, &err))
		die("reload", &err);
	t_reload = mono_s() - t0;
	sch_get_stats(s, &stats);
	printf("schedules_armed=%zu distinct_expressions=%zu failing=%zu\n", stats.schedules,
	       stats.shared_expressions, stats.failing);
	printf("store_list_s=%.3f load_and_arm_s=%.3f ratio_load_over_list=%.2f per_schedule_us=%.2f\n", t_list,
	       t_load, t_load / t_list, t_load * 1e6 / n);
	printf("reload_unchanged_s=%.3f\n", t_reload);
	printf("memory_bytes=%zu bytes_per_schedule=%.0f\n", (size_t)(m1.uordblks - m0.uordblks),
	       (double)(m1.uordblks - m0.uordblks) / n);

	/* idle: the thread on the real clock, nothing due for more than an hour */
	if (sch_start(s, &err))
		die("start", &err);
	usleep(200000); /* let it go to sleep */
	sch_get_stats(s, &stats);
	{
		uint64_t passes0 = stats.passes;

		c0 = cpu_s();
		t0 = mono_s();
		sleep(idle_s);
		c1 = cpu_s();
		t1 = mono_s();
		sch_get_stats(s, &stats);
		printf("idle_s=%.1f idle_cpu_ms=%.3f idle_cpu_percent=%.5f idle_passes=%llu fired_while_idle=%llu "
		       "idle_cpu_ms_per_minute=%.3f\n",
		       t1 - t0, (c1 - c0) * 1e3, (c1 - c0) / (t1 - t0) * 100, (unsigned long long)(stats.passes - passes0),
		       (unsigned long long)stats.fired, (c1 - c0) * 1e3 * 60 / (t1 - t0));
	}
	sch_free(s);
	adm_store_free(store);
}

static void bench_latency(const char *dir, unsigned n)
{
	struct adm_store *store;
	struct cmp_session *cs;
	struct adm_execution *list;
	struct sch_options opts;
	struct adm_query q;
	struct fc_arena a;
	struct fc_err err;
	struct sch *s;
	char path[512], name[32], *token = NULL;
	int64_t *delays, boundary;
	double t0, t_base;
	size_t nlist, i;
	unsigned k;

	/* baseline: n executions created back to back through the scheduler's hook, in a store of their own */
	snprintf(path, sizeof(path), "%s/baseline.db", dir);
	cs = prepare(path, &store);
	if (adm_store_begin(store, &err))
		die("begin", &err);
	for (k = 0; k < n; k++) {
		snprintf(name, sizeof(name), "b%u", k);
		add_lp(store, cs, name, "* * * * *", 0);
	}
	if (adm_store_commit(store, &err))
		die("commit", &err);
	fc_arena_init(&a, 0);
	t0 = mono_s();
	for (k = 0; k < n; k++) {
		Flyteidl__Admin__ExecutionCreateRequest req = FLYTEIDL__ADMIN__EXECUTION_CREATE_REQUEST__INIT;
		Flyteidl__Admin__ExecutionSpec spec = FLYTEIDL__ADMIN__EXECUTION_SPEC__INIT;
		Flyteidl__Admin__ExecutionMetadata md = FLYTEIDL__ADMIN__EXECUTION_METADATA__INIT;
		Flyteidl__Core__Identifier lpid = FLYTEIDL__CORE__IDENTIFIER__INIT;
		Flyteidl__Core__LiteralMap m = FLYTEIDL__CORE__LITERAL_MAP__INIT;
		Flyteidl__Core__LiteralMap__LiteralsEntry e = FLYTEIDL__CORE__LITERAL_MAP__LITERALS_ENTRY__INIT, *ep = &e;
		Flyteidl__Core__Literal l = FLYTEIDL__CORE__LITERAL__INIT;
		Flyteidl__Core__Scalar sc = FLYTEIDL__CORE__SCALAR__INIT;
		Flyteidl__Core__Primitive p = FLYTEIDL__CORE__PRIMITIVE__INIT;
		Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
		char ename[32];

		snprintf(name, sizeof(name), "b%u", k);
		snprintf(ename, sizeof(ename), "e%u", k);
		lpid.resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__LAUNCH_PLAN;
		lpid.project = (char *)"bench";
		lpid.domain = (char *)"development";
		lpid.name = name;
		lpid.version = (char *)"v1";
		ts.seconds = 1000;
		md.scheduled_at = &ts;
		spec.launch_plan = &lpid;
		spec.metadata = &md;
		p.value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_DATETIME;
		p.datetime = &ts;
		sc.value_case = FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE;
		sc.primitive = &p;
		l.value_case = FLYTEIDL__CORE__LITERAL__VALUE_SCALAR;
		l.scalar = &sc;
		e.key = (char *)"day";
		e.value = &l;
		m.n_literals = 1;
		m.literals = &ep;
		req.project = (char *)"bench";
		req.domain = (char *)"development";
		req.name = ename;
		req.spec = &spec;
		req.inputs = &m;
		/* one transaction per launch, as the scheduler's fire */
		if (adm_store_begin(store, &err) || adm_launch_scheduled(store, &req, 1000 * NS, &a, NULL, &err) ||
		    adm_store_commit(store, &err))
			die("baseline launch", &err);
	}
	t_base = mono_s() - t0;
	fc_arena_release(&a);
	cmp_session_free(cs);
	adm_store_free(store);

	/* the scheduler: n schedules due at the same minute */
	snprintf(path, sizeof(path), "%s/latency.db", dir);
	cs = prepare(path, &store);
	if (adm_store_begin(store, &err))
		die("begin", &err);
	for (k = 0; k < n; k++) {
		snprintf(name, sizeof(name), "m%u", k);
		add_lp(store, cs, name, "* * * * *", 0);
	}
	if (adm_store_commit(store, &err))
		die("commit", &err);
	cmp_session_free(cs);
	memset(&opts, 0, sizeof(opts));
	opts.quiet = true;
	if (sch_new(store, NULL, &opts, &s, &err) || sch_start(s, &err))
		die("starting the scheduler", &err);
	boundary = (real_ns() / (60 * NS) + 1) * 60 * NS;
	printf("latency_wait_s=%.1f (until the next minute boundary)\n", (double)(boundary - real_ns()) / 1e9);
	while (real_ns() < boundary + 3 * NS)
		usleep(100000);
	sch_free(s);

	fc_arena_init(&a, 0);
	memset(&q, 0, sizeof(q));
	q.project = "bench";
	q.domain = "development";
	q.limit = ADM_LIMIT_MAX;
	if (adm_execution_list(store, &q, &a, &list, &nlist, &token, &err))
		die("listing executions", &err);
	delays = calloc(nlist + 1, sizeof(*delays));
	for (i = 0, k = 0; i < nlist; i++)
		if (list[i].scheduled_at == boundary)
			delays[k++] = list[i].created_at - list[i].scheduled_at;
	qsort(delays, k, sizeof(*delays), cmp_i64);
	if (k != n)
		fprintf(stderr, "bench_sch: expected %u executions at the boundary, found %u\n", n, k);
	if (k) {
		double p50 = (double)delays[k / 2] / 1e6, p99 = (double)delays[(k * 99) / 100] / 1e6,
		       max = (double)delays[k - 1] / 1e6, min = (double)delays[0] / 1e6;

		printf("latency_slots=%u delay_min_ms=%.2f delay_p50_ms=%.2f delay_p99_ms=%.2f delay_max_ms=%.2f\n", k, min,
		       p50, p99, max);
		printf("baseline_launch_%u_ms=%.2f per_launch_us=%.1f ratio_p99_over_baseline=%.2f\n", n, t_base * 1e3,
		       t_base * 1e6 / n, p99 / (t_base * 1e3));
	}
	free(delays);
	fc_arena_release(&a);
	adm_store_free(store);
}

static void bench_jitter(const char *dir, unsigned n, unsigned jitter_s)
{
	struct adm_store *store;
	struct cmp_session *cs;
	struct sch_options opts;
	struct fc_arena a;
	struct fc_err err;
	struct sch *s;
	char path[512], name[32], *token = NULL;
	int64_t *late, boundary;
	unsigned k = 0, *per_second, busiest = 0;
	double t0;

	snprintf(path, sizeof(path), "%s/jitter.db", dir);
	cs = prepare(path, &store);
	g_jitter_ms = (int64_t)jitter_s * 1000;
	t0 = mono_s();
	if (adm_store_begin(store, &err))
		die("begin", &err);
	for (unsigned i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "j%u", i);
		add_lp(store, cs, name, "* * * * *", 0);
	}
	if (adm_store_commit(store, &err))
		die("commit", &err);
	g_jitter_ms = 0;
	cmp_session_free(cs);
	printf("jitter_register_%u_s=%.1f\n", n, mono_s() - t0);
	memset(&opts, 0, sizeof(opts));
	opts.quiet = true;
	if (sch_new(store, NULL, &opts, &s, &err) || sch_start(s, &err))
		die("starting the scheduler", &err);
	/* the next minute boundary at least 5 s away (the thread loads and arms first) */
	boundary = ((real_ns() + 5 * NS) / (60 * NS) + 1) * 60 * NS;
	printf("jitter_wait_s=%.1f (until the next minute boundary, then %u s of jitter)\n",
	       (double)(boundary - real_ns()) / 1e9, jitter_s);
	while (real_ns() < boundary + (int64_t)jitter_s * NS + 3 * NS)
		usleep(200000);
	sch_free(s);

	late = calloc(n + 1, sizeof(*late));
	per_second = calloc(jitter_s + 2, sizeof(*per_second));
	fc_arena_init(&a, 0);
	do {
		struct adm_execution *list;
		struct adm_query q;
		size_t nlist;

		memset(&q, 0, sizeof(q));
		q.project = "bench";
		q.domain = "development";
		q.limit = ADM_LIMIT_MAX;
		q.token = token;
		if (adm_execution_list(store, &q, &a, &list, &nlist, &token, &err))
			die("listing executions", &err);
		for (size_t i = 0; i < nlist && k < n; i++) {
			int64_t off, d;

			if (list[i].scheduled_at != boundary)
				continue;
			off = sch_jitter_ns("bench", "development", list[i].launch_plan.name, (int64_t)jitter_s * 1000);
			d = list[i].created_at - (list[i].scheduled_at + off);
			late[k++] = d;
			if (off / NS <= (int64_t)jitter_s)
				per_second[off / NS]++;
		}
	} while (token && *token);
	qsort(late, k, sizeof(*late), cmp_i64);
	for (unsigned i = 0; i <= jitter_s; i++)
		if (per_second[i] > busiest)
			busiest = per_second[i];
	if (k != n)
		fprintf(stderr, "bench_sch: expected %u jittered executions at the boundary, found %u\n", n, k);
	if (k)
		printf("jitter_slots=%u jitter_s=%u lateness_p50_ms=%.2f lateness_p99_ms=%.2f lateness_max_ms=%.2f "
		       "busiest_second=%u\n",
		       k, jitter_s, (double)late[k / 2] / 1e6, (double)late[(k * 99) / 100] / 1e6,
		       (double)late[k - 1] / 1e6, busiest);
	free(late);
	free(per_second);
	fc_arena_release(&a);
	adm_store_free(store);
}

/*
 * With SCH_BENCH_PERF_CTL=FIFO (perf record --control=fifo:FIFO --delay=-1), the burst's step alone is profiled:
 * "enable" is written to the fifo right before it and "disable" right after.
 */
static void perf_ctl(const char *cmd)
{
	const char *path = getenv("SCH_BENCH_PERF_CTL");
	FILE *f;

	if (!path || !*path)
		return;
	f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "%s\n", cmd);
	fclose(f);
}

static int64_t manual_store_now(void *ctx)
{
	(void)ctx;
	return real_ns();
}

/* The delays of the executions of slot `boundary`, created_at - start, sorted; their number in *k. */
static int64_t *burst_delays(struct adm_store *store, int64_t boundary, int64_t start, size_t *k)
{
	struct adm_execution *list;
	struct adm_query q;
	struct fc_arena a;
	struct fc_err err;
	char *token = NULL;
	int64_t *delays = NULL;
	size_t nlist, have = 0, alloc = 0;

	fc_arena_init(&a, 0);
	do {
		memset(&q, 0, sizeof(q));
		q.project = "bench";
		q.domain = "development";
		q.limit = ADM_LIMIT_MAX;
		q.token = token;
		if (adm_execution_list(store, &q, &a, &list, &nlist, &token, &err))
			die("listing executions", &err);
		for (size_t i = 0; i < nlist; i++) {
			if (list[i].scheduled_at != boundary)
				continue;
			if (have == alloc) {
				alloc = alloc ? 2 * alloc : 1024;
				delays = realloc(delays, alloc * sizeof(*delays));
				if (!delays)
					abort();
			}
			delays[have++] = list[i].created_at - start;
		}
	} while (token && *token);
	qsort(delays, have, sizeof(*delays), cmp_i64);
	fc_arena_release(&a);
	*k = have;
	return delays;
}

/* The process CPU time and the monotonic time at the last commit that told the store's listener of changes. */
static double g_commit_cpu, g_commit_mono;

static void on_commit(void *ctx, const struct adm_change *changes, size_t n, bool overflow)
{
	(void)ctx;
	(void)changes;
	(void)n;
	(void)overflow;
	g_commit_cpu = cpu_s();
	g_commit_mono = mono_s();
}

/* What one burst measured: created_at - the step's start of each execution (sorted), and the step's times. */
struct burst_fig {
	int64_t *delays;
	size_t k;
	double t0, c0; /* the step's start: monotonic and CPU seconds */
	double step_ms, step_cpu_ms;
};

/* The burst at `boundary`: sync(2) first (see the header), the manual clock set to it, one sch_step(). */
static void burst_run(struct sch *s, struct adm_store *store, struct sch_manual_clock *clock, int64_t boundary,
		      unsigned n, struct burst_fig *f)
{
	struct fc_err err;
	int64_t start;

	sync();
	sch_manual_clock_set(clock, boundary);
	start = real_ns();
	f->t0 = mono_s();
	f->c0 = cpu_s();
	perf_ctl("enable");
	if (sch_step(s, boundary, NULL, &err))
		die("the burst", &err);
	f->step_ms = (mono_s() - f->t0) * 1e3;
	f->step_cpu_ms = (cpu_s() - f->c0) * 1e3;
	perf_ctl("disable");
	f->delays = burst_delays(store, boundary, start, &f->k);
	if (f->k != n)
		fprintf(stderr, "bench_sch: expected %u executions at the boundary, found %zu\n", n, f->k);
}

/* One measured burst at `boundary`, one line labelled `label`. commit_cpu_ms is the CPU until the last commit
 * (every execution visible), the rest of step_cpu_ms the checkpoint after the pass. */
static void burst_measure(struct sch *s, struct adm_store *store, struct sch_manual_clock *clock, int64_t boundary,
			  unsigned n, const char *label)
{
	struct adm_store_pages p0, p1;
	struct burst_fig f;
	size_t k;

	adm_store_set_listener(store, on_commit, NULL);
	adm_store_pages(store, &p0);
	burst_run(s, store, clock, boundary, n, &f);
	adm_store_set_listener(store, NULL, NULL);
	adm_store_pages(store, &p1);
	k = f.k;
	if (k)
		printf("%s slots=%zu created_p50_ms=%.2f created_p99_ms=%.2f created_max_ms=%.2f all_committed_ms=%.2f "
		       "step_ms=%.2f commit_cpu_ms=%.2f step_cpu_ms=%.2f cpu_per_fire_us=%.1f pages_written=%" PRId64
		       " cache_misses=%" PRId64 " page_count=%" PRId64 "\n",
		       label, k, (double)f.delays[k / 2] / 1e6, (double)f.delays[(k * 99) / 100] / 1e6,
		       (double)f.delays[k - 1] / 1e6, (g_commit_mono - f.t0) * 1e3, f.step_ms, (g_commit_cpu - f.c0) * 1e3,
		       f.step_cpu_ms, (g_commit_cpu - f.c0) * 1e6 / (double)k, p1.written - p0.written, p1.miss - p0.miss,
		       p1.count);
	fflush(stdout);
	free(f.delays);
}

/*
 * A store at `path` holding `n` launch plans due every minute, and a scheduler on it loaded on the manual clock
 * 30 s before the next minute boundary, which is returned.
 */
static int64_t burst_setup(const char *path, unsigned n, unsigned fire_batch, struct adm_store **store,
			   struct sch_manual_clock *clock, struct sch **s)
{
	struct cmp_session *cs = prepare(path, store);
	struct sch_options opts;
	struct fc_err err;
	char name[32];
	int64_t boundary;

	if (adm_store_begin(*store, &err))
		die("begin", &err);
	for (unsigned i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "b%u", i);
		add_lp(*store, cs, name, "* * * * *", 0);
	}
	if (adm_store_commit(*store, &err))
		die("commit", &err);
	cmp_session_free(cs);
	adm_store_set_clock(*store, manual_store_now, NULL);
	boundary = (real_ns() / (60 * NS) + 1) * 60 * NS;
	sch_manual_clock_init(clock, boundary - 30 * NS);
	memset(&opts, 0, sizeof(opts));
	opts.quiet = true;
	opts.fire_batch = fire_batch;
	if (sch_new(*store, &clock->clock, &opts, s, &err) || sch_step(*s, boundary - 30 * NS, NULL, &err))
		die("loading the scheduler", &err);
	return boundary;
}

/* A fresh store's burst, then `grow` - 1 more unmeasured, then `measure` measured bursts on the grown store. */
static void bench_burst_grown(const char *dir, unsigned n, unsigned grow, unsigned measure)
{
	struct sch_manual_clock clock;
	struct adm_store *store;
	struct fc_err err;
	struct sch *s;
	char path[512], aux[520], label[64];
	int64_t boundary;

	snprintf(path, sizeof(path), "%s/grown.db", dir);
	unlink(path);
	snprintf(aux, sizeof(aux), "%s-wal", path);
	unlink(aux);
	snprintf(aux, sizeof(aux), "%s-shm", path);
	unlink(aux);
	boundary = burst_setup(path, n, getenv("SCH_BENCH_FIRE_BATCH") ? /* fires per transaction (0: the default) */
				   (unsigned)strtoul(getenv("SCH_BENCH_FIRE_BATCH"), NULL, 10) : 0, &store, &clock, &s);
	burst_measure(s, store, &clock, boundary, n, "burst_fresh round=1");
	for (unsigned r = 1; r < grow; r++) {
		boundary += 60 * NS;
		sch_manual_clock_set(&clock, boundary);
		if (sch_step(s, boundary, NULL, &err))
			die("growing the store", &err);
	}
	for (unsigned r = 0; r < measure; r++) {
		boundary += 60 * NS;
		snprintf(label, sizeof(label), "burst_grown round=%u", grow + r + 1);
		burst_measure(s, store, &clock, boundary, n, label);
	}
	sch_free(s);
	sch_manual_clock_release(&clock);
	adm_store_free(store);
}

/* `rounds` bursts on one store, one a minute (the WAL grows from one to the next, so some passes checkpoint). */
static void bench_burst_once(const char *dir, unsigned n, unsigned fire_batch, unsigned rounds)
{
	struct sch_manual_clock clock;
	struct adm_store *store;
	struct sch *s;
	char path[512];
	int64_t boundary;

	snprintf(path, sizeof(path), "%s/burst%u.db", dir, fire_batch);
	boundary = burst_setup(path, n, fire_batch, &store, &clock, &s);
	for (unsigned r = 0; r < rounds; r++, boundary += 60 * NS) {
		struct burst_fig f;
		size_t k;

		burst_run(s, store, &clock, boundary, n, &f);
		k = f.k;
		if (k)
			printf("burst_%s%s%.0u slots=%zu created_p50_ms=%.2f created_p99_ms=%.2f created_max_ms=%.2f "
			       "all_committed_ms=%.2f per_fire_us=%.1f step_cpu_ms=%.2f\n",
			       fire_batch == 1 ? "one_tx_per_fire" : "batched", rounds > 1 ? " round=" : "",
			       rounds > 1 ? r + 1 : 0, k, (double)f.delays[k / 2] / 1e6,
			       (double)f.delays[(k * 99) / 100] / 1e6, (double)f.delays[k - 1] / 1e6, f.step_ms,
			       f.step_ms * 1e3 / (double)k, f.step_cpu_ms);
		free(f.delays);
	}
	sch_free(s);
	sch_manual_clock_release(&clock);
	adm_store_free(store);
}

int main(int argc, char **argv)
{
	if (argc >= 6 && argc <= 7 && !strcmp(argv[1], "burst") && !strcmp(argv[4], "grown")) {
		fc_log_set_level(FC_LOG_ERROR);
		bench_burst_grown(argv[2], (unsigned)strtoul(argv[3], NULL, 10), (unsigned)strtoul(argv[5], NULL, 10),
				  argc == 7 ? (unsigned)strtoul(argv[6], NULL, 10) : 3);
		return 0;
	}
	if (argc >= 4 && argc <= 6 && !strcmp(argv[1], "burst")) {
		const char *which = argc >= 5 ? argv[4] : "both";
		unsigned rounds = argc == 6 ? (unsigned)strtoul(argv[5], NULL, 10) : 1;

		fc_log_set_level(FC_LOG_ERROR);
		if (strcmp(which, "batched"))
			bench_burst_once(argv[2], (unsigned)strtoul(argv[3], NULL, 10), 1, rounds ? rounds : 1);
		if (strcmp(which, "single"))
			bench_burst_once(argv[2], (unsigned)strtoul(argv[3], NULL, 10), 0, rounds ? rounds : 1);
		return 0;
	}
	unsigned n, idle_s, latency_n;

	if (argc == 5 && !strcmp(argv[1], "jitter")) {
		fc_log_set_level(FC_LOG_ERROR);
		bench_jitter(argv[2], (unsigned)strtoul(argv[3], NULL, 10), (unsigned)strtoul(argv[4], NULL, 10));
		return 0;
	}
	if (argc != 5) {
		fprintf(stderr, "usage: bench_sch DIR N IDLE_S LATENCY_N\n       bench_sch jitter DIR N JITTER_S\n"
				"       bench_sch burst DIR N [both|batched|single [ROUNDS]]\n"
				"       bench_sch burst DIR N grown K [M]\n");
		return 2;
	}
	fc_log_set_level(FC_LOG_ERROR);
	n = (unsigned)strtoul(argv[2], NULL, 10);
	idle_s = (unsigned)strtoul(argv[3], NULL, 10);
	latency_n = (unsigned)strtoul(argv[4], NULL, 10);
	bench_load_idle(argv[1], n, idle_s);
	bench_latency(argv[1], latency_n);
	return 0;
}
