/*
 * test_sch_fixture.h: what the scheduler tests share: a temporary admin store, a manual clock that the store and
 * the scheduler both read, YAML specs compiled and registered as the watcher does, and helpers to run the
 * scheduler through simulated time and read back the executions it created.
 */
#ifndef TEST_SCH_FIXTURE_H
#define TEST_SCH_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "admin-lite/query.h"
#include "admin-lite/register.h"
#include "admin-lite/service.h"
#include "admin-lite/store.h"
#include "compiler/compiler.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/diag.h"
#include "core/err.h"
#include "core/log.h"
#include "core/tz.h"
#include "scheduler/scheduler.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NS INT64_C(1000000000)
#define MIN (60 * NS)
#define HOUR (3600 * NS)
#define DAY (86400 * NS)

/* A UTC instant in ns. */
static inline int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
	return ((fc_days_from_civil(y, mo, d) * 86400) + h * 3600 + mi * 60 + s) * NS;
}

struct sfx {
	char dir[64];
	char db[128];
	struct adm_store *store;
	struct sch_manual_clock clock;
	struct sch *sch;
	struct sch_options opts;
	struct fc_arena a;
};

static inline int64_t sfx_store_now(void *ctx)
{
	return sch_manual_clock_now(ctx);
}

static inline void sfx_open_store(struct sfx *f)
{
	struct fc_err err;

	assert_int_equal(adm_store_open(f->db, &f->store, &err), 0);
	adm_store_set_clock(f->store, sfx_store_now, &f->clock);
}

/* A new scheduler on the fixture's store (the old one, if any, is freed first: a restart). */
static inline void sfx_new_sch(struct sfx *f)
{
	struct fc_err err;

	sch_free(f->sch);
	f->sch = NULL;
	assert_int_equal(sch_new(f->store, &f->clock.clock, &f->opts, &f->sch, &err), 0);
}

/* A process restart: scheduler and store closed, the store file reopened, a new scheduler. */
static inline void sfx_restart(struct sfx *f)
{
	sch_free(f->sch);
	f->sch = NULL;
	adm_store_free(f->store);
	sfx_open_store(f);
	sfx_new_sch(f);
}

static inline struct sfx *sfx_new(int64_t now_ns)
{
	struct sfx *f = calloc(1, sizeof(*f));

	fc_log_set_level(getenv("SCH_TEST_LOG") ? FC_LOG_DEBUG : FC_LOG_ERROR);
	snprintf(f->dir, sizeof(f->dir), "/tmp/sch_test_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/admin.db", f->dir);
	sch_manual_clock_init(&f->clock, now_ns);
	sfx_open_store(f);
	fc_arena_init(&f->a, 0);
	sfx_new_sch(f);
	return f;
}

static inline void sfx_free(struct sfx *f)
{
	char cmd[128];

	sch_free(f->sch);
	adm_store_free(f->store);
	sch_manual_clock_release(&f->clock);
	fc_arena_release(&f->a);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
}

static inline void sfx_set_now(struct sfx *f, int64_t now_ns)
{
	sch_manual_clock_set(&f->clock, now_ns);
}

static inline int64_t sfx_now(struct sfx *f)
{
	return sch_manual_clock_now(&f->clock);
}

/* The tasks and the workflow every launch plan below uses: one datetime input `day` (the kickoff input). */
#define SFX_PREAMBLE                                                                                        \
	"project: sched\n"                                                                                  \
	"tasks:\n"                                                                                          \
	"  - name: t\n"                                                                                     \
	"    type: echo\n"                                                                                  \
	"    inputs: {day: datetime}\n"                                                                     \
	"    outputs: {day: datetime}\n"                                                                    \
	"workflows:\n"                                                                                      \
	"  - name: wf\n"                                                                                    \
	"    inputs: {day: datetime}\n"                                                                     \
	"    nodes:\n"                                                                                      \
	"      - id: n\n"                                                                                   \
	"        task: t\n"                                                                                 \
	"        inputs: {day: !ref inputs.day}\n"                                                          \
	"    outputs: {day: !ref n.day}\n"                                                                  \
	"launch_plans:\n"

/* A launch plan line: name and the schedule mapping's contents. */
#define SFX_LP(name, schedule)                                                                              \
	"  - name: " name "\n"                                                                              \
	"    workflow: wf\n"                                                                                \
	"    active: true\n"                                                                                \
	"    schedule: {" schedule "}\n"

static inline void sfx_reg_cb(void *ctx, const struct adm_reg_result *r)
{
	(void)ctx;
	if (r->rc)
		fail_msg("registering %s: %s", r->name, r->message ? r->message : "?");
}

/* Compile `yaml` and register everything (launch plans marked active are activated), as the watcher does. */
static inline struct cmp_session *sfx_compile(const char *yaml)
{
	struct cmp_options opts;
	struct cmp_session *cs;
	struct fc_buf out = FC_BUF_INIT;

	memset(&opts, 0, sizeof(opts));
	cs = cmp_session_new(&opts);
	assert_int_equal(cmp_add_source_take(cs, "sched.yaml", strdup(yaml), strlen(yaml)), 0);
	if (cmp_compile(cs)) {
		fc_diags_render(cmp_diags(cs), FC_DIAG_TEXT, false, &out);
		fail_msg("compile failed:\n%s", out.buf);
	}
	return cs;
}

static inline void sfx_register(struct sfx *f, const char *yaml)
{
	struct cmp_session *cs = sfx_compile(yaml);
	struct fc_err err;

	assert_int_equal(adm_register_session(f->store, cs, NULL, sfx_reg_cb, NULL, &err), 0);
	cmp_session_free(cs);
}

static inline void sfx_step(struct sfx *f, int64_t now_ns)
{
	struct fc_err err;

	sfx_set_now(f, now_ns);
	if (sch_step(f->sch, now_ns, NULL, &err))
		fail_msg("sch_step: %s", err.msg);
}

/*
 * Run the scheduler as its thread would, from the clock's time to `end_ns`: step, jump to the next deadline, step
 * again... then a last step at `end_ns`. Returns the number of passes.
 */
static inline int sfx_run_until(struct sfx *f, int64_t end_ns)
{
	int64_t now = sfx_now(f), next = 0;
	struct fc_err err;
	int passes = 0;

	for (;;) {
		sfx_set_now(f, now);
		if (sch_step(f->sch, now, &next, &err))
			fail_msg("sch_step: %s", err.msg);
		passes++;
		assert_true(passes < 100000);
		if (next > end_ns)
			break;
		assert_true(next > now); /* nothing is left due after a pass */
		now = next;
	}
	if (now != end_ns) {
		sfx_set_now(f, end_ns);
		assert_int_equal(sch_step(f->sch, end_ns, NULL, &err), 0);
	}
	return passes;
}

static inline int sfx_exec_cmp(const void *pa, const void *pb)
{
	const struct adm_execution *a = pa, *b = pb;

	if (a->scheduled_at != b->scheduled_at)
		return a->scheduled_at < b->scheduled_at ? -1 : 1;
	return strcmp(a->id.name, b->id.name);
}

/* The executions of launch plan `lp` (any mode), ordered by scheduled time; allocated in f->a. */
static inline size_t sfx_execs(struct sfx *f, const char *lp, struct adm_execution **out)
{
	struct adm_query q;
	struct fc_err err;
	char filters[128], *token = NULL;
	size_t n;

	memset(&q, 0, sizeof(q));
	q.project = "sched";
	q.domain = "development";
	snprintf(filters, sizeof(filters), "eq(launch_plan.name,%s)", lp);
	q.filters = filters;
	q.limit = ADM_LIMIT_MAX;
	if (adm_execution_list(f->store, &q, &f->a, out, &n, &token, &err))
		fail_msg("listing executions: %s", err.msg);
	qsort(*out, n, sizeof(**out), sfx_exec_cmp);
	return n;
}

/* The value of the datetime input `day` of an execution, in seconds (INT64_MIN when absent). */
static inline int64_t sfx_kickoff_s(struct sfx *f, const struct adm_execution *x)
{
	Flyteidl__Core__LiteralMap *m =
		flyteidl__core__literal_map__unpack(fc_arena_pb_allocator(&f->a), x->inputs_len, x->inputs);
	size_t i;

	assert_non_null(m);
	for (i = 0; i < m->n_literals; i++) {
		Flyteidl__Core__Literal *l = m->literals[i]->value;

		if (strcmp(m->literals[i]->key, "day"))
			continue;
		assert_int_equal(l->value_case, FLYTEIDL__CORE__LITERAL__VALUE_SCALAR);
		assert_int_equal(l->scalar->primitive->value_case, FLYTEIDL__CORE__PRIMITIVE__VALUE_DATETIME);
		return l->scalar->primitive->datetime->seconds;
	}
	return INT64_MIN;
}

/* The scheduler's status of launch plan `name` (fails the test when it is not scheduled). */
static inline struct sch_status *sfx_status(struct sfx *f, const char *name)
{
	struct sch_status *list;
	struct fc_err err;
	size_t n, i;

	assert_int_equal(sch_status_list(f->sch, &f->a, &list, &n, &err), 0);
	for (i = 0; i < n; i++)
		if (!strcmp(list[i].name, name))
			return &list[i];
	fail_msg("launch plan %s is not scheduled", name);
	return NULL;
}

static inline bool sfx_scheduled(struct sfx *f, const char *name)
{
	struct sch_status *list;
	struct fc_err err;
	size_t n, i;

	assert_int_equal(sch_status_list(f->sch, &f->a, &list, &n, &err), 0);
	for (i = 0; i < n; i++)
		if (!strcmp(list[i].name, name))
			return true;
	return false;
}

/* Set an execution's phase through the events intake, as the propeller would. */
static inline void sfx_set_phase(struct sfx *f, const char *exec_name, int phase)
{
	struct adm_wf_event ev;
	struct fc_err err;
	bool applied;

	memset(&ev, 0, sizeof(ev));
	ev.exec = (struct adm_exec_id){"sched", "development", exec_name};
	ev.phase = phase;
	ev.occurred_at = sfx_now(f);
	if (adm_event_workflow(f->store, &ev, &applied, &err))
		fail_msg("event for %s: %s", exec_name, err.msg);
}

#endif
