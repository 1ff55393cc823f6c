/*
 * test_sch_overlap.c: the overlap policies that make a slot wait (buffer_one, buffer_all with max_buffered,
 * cancel_other) at each phase of the running execution (QUEUED and unclaimed, RUNNING, ABORTING), the durable buffer
 * across a restart, pause_on_failure, the slot log, and backfill (ordered, the parallelism bound, idempotent with the
 * scheduler's own slots, a dry run), all on the manual clock.
 */
#include "test_sch_fixture.h"

enum {
	QUEUED = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__QUEUED,
	RUNNING = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__RUNNING,
	SUCCEEDED = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDED,
	FAILED = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED,
	ABORTED = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTED,
	ABORTING = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTING,
};

/* The scheduler's decision recorded on an execution ("" when none). */
static const char *decision_of(struct sfx *f, const struct adm_execution *x)
{
	Flyteidl__Admin__ExecutionSpec *spec =
		flyteidl__admin__execution_spec__unpack(fc_arena_pb_allocator(&f->a), x->spec_len, x->spec);
	size_t i;

	assert_non_null(spec);
	if (!spec->annotations)
		return "";
	for (i = 0; i < spec->annotations->n_values; i++)
		if (!strcmp(spec->annotations->values[i]->key, SCH_DECISION_ANNOTATION))
			return spec->annotations->values[i]->value;
	return "";
}

/* Claim execution `name` as a propeller would, so that terminating it makes it ABORTING. */
static void claim(struct sfx *f, const char *name)
{
	struct adm_claim c;
	struct fc_err err;

	while (adm_queue_claim(f->store, "prop-1", &f->a, &c, &err) == 0)
		if (!strcmp(c.exec.id.name, name))
			return;
	fail_msg("could not claim %s", name);
}

/* The execution of slot `slot_ns` of `lp`, or NULL. */
static struct adm_execution *exec_of(struct sfx *f, const char *lp, int64_t slot_ns)
{
	struct adm_execution *x;
	size_t n = sfx_execs(f, lp, &x), i;

	for (i = 0; i < n; i++)
		if (x[i].scheduled_at == slot_ns)
			return &x[i];
	return NULL;
}

/* The slot log row of `slot_ns` in the status of `lp`, or NULL. */
static const struct sch_slot_view *slot_of(struct sfx *f, const char *lp, int64_t slot_ns)
{
	struct sch_status *st = sfx_status(f, lp);
	size_t i;

	for (i = 0; i < st->nslots; i++)
		if (st->slots[i].slot_ns == slot_ns)
			return &st->slots[i];
	return NULL;
}

#define T(h) utc(2024, 3, 1, (h), 0, 0)

/* buffer_one with the running execution in `phase` (QUEUED: unclaimed; RUNNING: claimed and running). */
static void buffer_one_with(int phase)
{
	struct sfx *f = sfx_new(utc(2024, 3, 1, 0, 0, 30));
	struct adm_execution *x;
	const struct sch_slot_view *v;

	sfx_register(f, SFX_PREAMBLE SFX_LP("b1", "cron: \"0 * * * *\", kickoff_input: day, concurrency: buffer_one"));
	sfx_run_until(f, T(1));
	x = exec_of(f, "b1", T(1));
	assert_non_null(x);
	assert_string_equal(decision_of(f, x), "fired");
	if (phase == RUNNING) {
		claim(f, x->id.name);
		sfx_set_phase(f, x->id.name, RUNNING);
	}
	/* 02:00 waits: no execution yet, the slot is in the buffer */
	sfx_step(f, T(2));
	assert_null(exec_of(f, "b1", T(2)));
	v = slot_of(f, "b1", T(2));
	assert_non_null(v);
	assert_string_equal(v->outcome, "buffered");
	assert_true(v->waiting);
	assert_int_equal(sfx_status(f, "b1")->waiting, 1);
	assert_int_equal(sfx_status(f, "b1")->last_slot_ns, T(2));
	/* 03:00: one slot waits already: this one is skipped (recorded as an aborted execution) */
	sfx_step(f, T(3));
	x = exec_of(f, "b1", T(3));
	assert_non_null(x);
	assert_int_equal(x->phase, ABORTED);
	assert_non_null(strstr(x->abort_cause, "buffer_one"));
	assert_string_equal(slot_of(f, "b1", T(3))->outcome, "skipped");
	/* polls while the 01:00 run goes on start nothing */
	sfx_step(f, T(3) + 5 * NS);
	assert_null(exec_of(f, "b1", T(2)));
	/* the 01:00 run ends: at the next poll the 02:00 slot starts, with its own time as the kickoff input */
	sfx_set_phase(f, exec_of(f, "b1", T(1))->id.name, SUCCEEDED);
	sfx_step(f, T(3) + 6 * NS);
	x = exec_of(f, "b1", T(2));
	assert_non_null(x);
	assert_int_equal(x->phase, QUEUED);
	assert_int_equal(sfx_kickoff_s(f, x), T(2) / NS);
	assert_non_null(strstr(decision_of(f, x), "buffered"));
	v = slot_of(f, "b1", T(2));
	assert_false(v->waiting);
	assert_string_equal(v->execution, x->id.name);
	assert_int_equal(sfx_status(f, "b1")->waiting, 0);
	assert_int_equal(sfx_status(f, "b1")->buffered, 1);
	/* one execution per slot, nothing twice */
	assert_int_equal(sfx_execs(f, "b1", &x), 3);
	sfx_free(f);
}

static void test_buffer_one_queued(void **state)
{
	(void)state;
	buffer_one_with(QUEUED);
}

static void test_buffer_one_running(void **state)
{
	(void)state;
	buffer_one_with(RUNNING);
}

/* buffer_all: every slot waits in order up to max_buffered; the rest are skipped; they run one after the other. */
static void test_buffer_all_bound_and_order(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 3, 1, 0, 0, 30));
	struct adm_execution *x;

	(void)state;
	sfx_register(f, SFX_PREAMBLE SFX_LP("ba", "cron: \"0 * * * *\", kickoff_input: day, concurrency: buffer_all, "
						    "max_buffered: 2"));
	sfx_run_until(f, T(1));
	sfx_step(f, T(2));
	sfx_step(f, T(3));
	sfx_step(f, T(4));
	assert_null(exec_of(f, "ba", T(2)));
	assert_null(exec_of(f, "ba", T(3)));
	x = exec_of(f, "ba", T(4));
	assert_non_null(x);
	assert_int_equal(x->phase, ABORTED);
	assert_non_null(strstr(x->abort_cause, "max_buffered 2"));
	assert_int_equal(sfx_status(f, "ba")->waiting, 2);
	/* 01:00 ends: 02:00 starts, 03:00 still waits (for 02:00 now) */
	sfx_set_phase(f, exec_of(f, "ba", T(1))->id.name, FAILED);
	sfx_step(f, T(4) + 1 * NS);
	assert_non_null(exec_of(f, "ba", T(2)));
	assert_null(exec_of(f, "ba", T(3)));
	sfx_step(f, T(4) + 2 * NS);
	assert_null(exec_of(f, "ba", T(3)));
	/* 02:00 ends: 03:00 starts */
	sfx_set_phase(f, exec_of(f, "ba", T(2))->id.name, SUCCEEDED);
	sfx_step(f, T(4) + 3 * NS);
	x = exec_of(f, "ba", T(3));
	assert_non_null(x);
	assert_int_equal(sfx_kickoff_s(f, x), T(3) / NS);
	assert_int_equal(sfx_status(f, "ba")->waiting, 0);
	/* nothing waits and nothing runs at 05:00 except 03:00: 05:00 waits for it */
	sfx_step(f, T(5));
	assert_null(exec_of(f, "ba", T(5)));
	assert_int_equal(sfx_execs(f, "ba", &x), 4);
	sfx_free(f);
}

/* cancel_other against an unclaimed QUEUED run: it is aborted at once and the new slot starts at once. */
static void test_cancel_other_queued(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 3, 1, 0, 0, 30));
	struct adm_execution *x;

	(void)state;
	sfx_register(f, SFX_PREAMBLE SFX_LP("co", "cron: \"0 * * * *\", kickoff_input: day, concurrency: cancel_other"));
	sfx_run_until(f, T(1));
	sfx_step(f, T(2));
	x = exec_of(f, "co", T(1));
	assert_int_equal(x->phase, ABORTED);
	assert_non_null(strstr(x->abort_cause, "cancel_other"));
	x = exec_of(f, "co", T(2));
	assert_non_null(x);
	assert_int_equal(x->phase, QUEUED);
	assert_non_null(strstr(decision_of(f, x), "cancelled_other"));
	assert_string_equal(slot_of(f, "co", T(2))->outcome, "cancelled_other");
	assert_int_equal(sfx_status(f, "co")->cancelled, 1);
	sfx_free(f);
}

/* cancel_other against a RUNNING run: it becomes ABORTING, the slot waits until it is ABORTED, then starts. A slot
 * that comes while it still stops supersedes the waiting one; an ABORTING run is not terminated twice. */
static void test_cancel_other_running_and_aborting(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 3, 1, 0, 0, 30));
	struct adm_execution *x;
	char first[64];

	(void)state;
	sfx_register(f, SFX_PREAMBLE SFX_LP("co", "cron: \"0 * * * *\", kickoff_input: day, concurrency: cancel_other"));
	sfx_run_until(f, T(1));
	x = exec_of(f, "co", T(1));
	snprintf(first, sizeof(first), "%s", x->id.name);
	claim(f, first);
	sfx_set_phase(f, first, RUNNING);
	sfx_step(f, T(2));
	x = exec_of(f, "co", T(1));
	assert_int_equal(x->phase, ABORTING);
	assert_non_null(strstr(x->abort_cause, "2024-03-01T02:00:00Z"));
	assert_null(exec_of(f, "co", T(2)));
	assert_true(slot_of(f, "co", T(2))->waiting);
	sfx_step(f, T(2) + 1 * NS);
	assert_null(exec_of(f, "co", T(2))); /* still stopping */
	/* 03:00 while 01:00 is ABORTING: not terminated again; 02:00 is superseded, 03:00 waits */
	sfx_step(f, T(3));
	x = exec_of(f, "co", T(1));
	assert_int_equal(x->phase, ABORTING);
	assert_non_null(strstr(x->abort_cause, "2024-03-01T02:00:00Z"));
	assert_string_equal(slot_of(f, "co", T(2))->outcome, "skipped");
	assert_false(slot_of(f, "co", T(2))->waiting);
	assert_true(slot_of(f, "co", T(3))->waiting);
	/* the propeller reports it stopped: 03:00 starts at the next poll */
	sfx_set_phase(f, first, ABORTED);
	sfx_step(f, T(3) + 1 * NS);
	x = exec_of(f, "co", T(3));
	assert_non_null(x);
	assert_int_equal(x->phase, QUEUED);
	assert_null(exec_of(f, "co", T(2)));
	assert_int_equal(sfx_status(f, "co")->waiting, 0);
	sfx_free(f);
}

/* The buffer is in the store: a restart (a new scheduler on the reopened file) neither loses nor repeats a slot. */
static void test_buffer_survives_restart(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 3, 1, 0, 0, 30));
	struct adm_execution *x;

	(void)state;
	sfx_register(f, SFX_PREAMBLE SFX_LP("ba", "cron: \"0 * * * *\", kickoff_input: day, concurrency: buffer_all"));
	sfx_run_until(f, T(1));
	sfx_step(f, T(2));
	sfx_step(f, T(3));
	assert_int_equal(sfx_execs(f, "ba", &x), 1);
	sfx_restart(f);
	sfx_step(f, T(3) + 1 * NS);
	assert_int_equal(sfx_execs(f, "ba", &x), 1); /* 01:00 still runs: nothing starts */
	assert_int_equal(sfx_status(f, "ba")->waiting, 2);
	sfx_set_phase(f, exec_of(f, "ba", T(1))->id.name, SUCCEEDED);
	sfx_restart(f);
	sfx_step(f, T(3) + 2 * NS);
	assert_non_null(exec_of(f, "ba", T(2)));
	assert_null(exec_of(f, "ba", T(3)));
	sfx_set_phase(f, exec_of(f, "ba", T(2))->id.name, SUCCEEDED);
	sfx_restart(f);
	sfx_step(f, T(3) + 3 * NS);
	assert_non_null(exec_of(f, "ba", T(3)));
	assert_int_equal(sfx_execs(f, "ba", &x), 3);
	sfx_free(f);
}

/* pause_on_failure: 2 consecutive failed runs pause the schedule with the reason; unpausing starts a new count. */
static void test_pause_on_failure(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 3, 1, 0, 0, 30));
	struct adm_execution *x;
	struct sch_status *st;
	struct fc_err err;

	(void)state;
	sfx_register(f, SFX_PREAMBLE SFX_LP("pf", "cron: \"0 * * * *\", kickoff_input: day, pause_on_failure: 2"));
	sfx_run_until(f, T(1));
	sfx_set_phase(f, exec_of(f, "pf", T(1))->id.name, FAILED);
	sfx_step(f, T(2));
	sfx_set_phase(f, exec_of(f, "pf", T(2))->id.name, SUCCEEDED);
	sfx_step(f, T(3));
	sfx_set_phase(f, exec_of(f, "pf", T(3))->id.name, FAILED);
	sfx_step(f, T(4)); /* one failure since the success: runs */
	assert_non_null(exec_of(f, "pf", T(4)));
	sfx_set_phase(f, exec_of(f, "pf", T(4))->id.name, FAILED);
	sfx_step(f, T(5)); /* two in a row: paused, 05:00 does not run */
	assert_null(exec_of(f, "pf", T(5)));
	st = sfx_status(f, "pf");
	assert_true(st->paused);
	assert_non_null(st->pause_note);
	assert_non_null(strstr(st->pause_note, "2 consecutive failed"));
	assert_non_null(strstr(st->pause_note, exec_of(f, "pf", T(4))->id.name));
	assert_string_equal(slot_of(f, "pf", T(5))->outcome, "paused");
	/* the pause holds across a restart and until unpaused */
	sfx_restart(f);
	sfx_step(f, T(6));
	assert_null(exec_of(f, "pf", T(6)));
	assert_true(sfx_status(f, "pf")->paused);
	assert_int_equal(adm_schedule_set_paused(f->store, &(struct adm_id){"sched", "development", "pf", NULL}, false,
						 NULL, false, &err), 0);
	sch_notify(f->sch);
	sfx_step(f, T(6) + 60 * NS);
	sfx_step(f, T(7)); /* the old failures do not count any more */
	assert_non_null(exec_of(f, "pf", T(7)));
	assert_int_equal(sfx_execs(f, "pf", &x), 5);
	sfx_free(f);
}

/* Backfill: the slots of the range in order, at most `parallel` at once, the ones already run left alone; a dry run
 * lists without writing; a second backfill of the same range runs nothing. */
static void test_backfill(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 3, 1, 0, 0, 30));
	struct sch_backfill_slot *slots;
	struct adm_execution *x;
	struct fc_err err;
	int64_t to;
	size_t n, i;

	(void)state;
	sfx_register(f, SFX_PREAMBLE SFX_LP("bf", "cron: \"0 * * * *\", kickoff_input: day"));
	sfx_run_until(f, utc(2024, 3, 1, 2, 30, 0)); /* 01:00 and 02:00 fired */
	assert_int_equal(sfx_execs(f, "bf", &x), 2);
	to = T(3); /* after now: cut at now */
	assert_int_equal(sch_backfill(f->sch, "sched", "development", "bf", utc(2024, 2, 29, 20, 0, 0), &to, 2, true,
				      &f->a, &slots, &n, &err), 0);
	assert_int_equal(to, utc(2024, 3, 1, 2, 30, 0));
	assert_int_equal(n, 7);
	for (i = 0; i < 5; i++)
		assert_string_equal(slots[i].state, "would run");
	assert_string_equal(slots[5].state, "already run");
	assert_string_equal(slots[5].execution, exec_of(f, "bf", T(1))->id.name);
	assert_int_equal(sfx_execs(f, "bf", &x), 2); /* a dry run writes nothing */
	to = T(3);
	assert_int_equal(sch_backfill(f->sch, "sched", "development", "bf", utc(2024, 2, 29, 20, 0, 0), &to, 2, false,
				      &f->a, &slots, &n, &err), 0);
	assert_string_equal(slots[0].state, "queued");
	assert_int_equal(slots[0].slot_ns, utc(2024, 2, 29, 20, 0, 0));
	sfx_step(f, utc(2024, 3, 1, 2, 30, 1));
	/* the two oldest start, the rest wait */
	assert_non_null(exec_of(f, "bf", utc(2024, 2, 29, 20, 0, 0)));
	assert_non_null(exec_of(f, "bf", utc(2024, 2, 29, 21, 0, 0)));
	assert_null(exec_of(f, "bf", utc(2024, 2, 29, 22, 0, 0)));
	assert_non_null(strstr(decision_of(f, exec_of(f, "bf", utc(2024, 2, 29, 20, 0, 0))), "backfill"));
	sfx_step(f, utc(2024, 3, 1, 2, 30, 2));
	assert_null(exec_of(f, "bf", utc(2024, 2, 29, 22, 0, 0)));
	/* one ends: exactly one more starts, the next in order */
	sfx_set_phase(f, exec_of(f, "bf", utc(2024, 2, 29, 21, 0, 0))->id.name, SUCCEEDED);
	sfx_step(f, utc(2024, 3, 1, 2, 30, 3));
	assert_non_null(exec_of(f, "bf", utc(2024, 2, 29, 22, 0, 0)));
	assert_null(exec_of(f, "bf", utc(2024, 2, 29, 23, 0, 0)));
	/* the live schedule is not held up by the backfill's queue (allow) */
	sfx_step(f, T(3));
	assert_non_null(exec_of(f, "bf", T(3)));
	/* all end: the rest start */
	for (i = 0; i < 4; i++) {
		sfx_execs(f, "bf", &x);
		n = sfx_execs(f, "bf", &x);
		for (size_t k = 0; k < n; k++)
			if (x[k].phase == QUEUED)
				sfx_set_phase(f, x[k].id.name, SUCCEEDED);
		sfx_step(f, T(3) + (int64_t)(i + 1) * NS);
	}
	assert_int_equal(sfx_execs(f, "bf", &x), 8); /* 20..00 backfilled, 01, 02, 03 live: each once */
	/* again: nothing to run */
	to = T(3);
	assert_int_equal(sch_backfill(f->sch, "sched", "development", "bf", utc(2024, 2, 29, 20, 0, 0), &to, 2, false,
				      &f->a, &slots, &n, &err), 0);
	for (i = 0; i < n; i++)
		assert_string_equal(slots[i].state, "already run");
	/* bad requests */
	to = T(3);
	assert_int_equal(sch_backfill(f->sch, "sched", "development", "nope", T(1), &to, 2, false, &f->a, &slots, &n,
				      &err), FC_ENOENT);
	assert_int_equal(sch_backfill(f->sch, "sched", "development", "bf", T(2), &to, 0, false, &f->a, &slots, &n,
				      &err), FC_EINVAL);
	to = utc(2024, 3, 20, 0, 0, 0);
	assert_int_equal(sch_backfill(f->sch, "sched", "development", "bf", utc(2024, 3, 10, 0, 0, 0), &to, 2, false,
				      &f->a, &slots, &n, &err), FC_EINVAL); /* starts after now */
	sfx_free(f);
}

/* A backfill that takes a live slot the scheduler has not fired yet: the scheduler does not fire it again. */
static void test_backfill_overlapping_live_slot(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 3, 1, 0, 0, 30));
	struct sch_backfill_slot *slots;
	struct adm_execution *x;
	struct fc_err err;
	int64_t to;
	size_t n;

	(void)state;
	sfx_register(f, SFX_PREAMBLE SFX_LP("ov", "cron: \"0 * * * *\", kickoff_input: day"));
	sfx_run_until(f, T(1));
	/* 02:00:00.5: the 02:00 slot is due but the scheduler has not passed yet; a backfill takes 01:00..02:00 */
	sfx_set_now(f, T(2) + NS / 2);
	to = T(2);
	assert_int_equal(sch_backfill(f->sch, "sched", "development", "ov", T(1), &to, 1, false, &f->a, &slots, &n,
				      &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(slots[0].state, "already run");
	assert_string_equal(slots[1].state, "queued");
	sfx_step(f, T(2) + NS / 2);
	sfx_step(f, T(2) + 2 * NS);
	assert_int_equal(sfx_execs(f, "ov", &x), 2);
	assert_non_null(strstr(decision_of(f, exec_of(f, "ov", T(2))), "backfill"));
	assert_int_equal(sfx_status(f, "ov")->last_slot_ns, T(2));
	sfx_step(f, T(3));
	assert_int_equal(sfx_execs(f, "ov", &x), 3);
	sfx_free(f);
}

/*
 * A backfill queues a slot the stalled scheduler has not reached; when it catches up, `latest` fires only the newest
 * slot and records the others as missed. The queued slot keeps its backfill row (before the fix "missed" was
 * written over it: it never ran, and a second backfill of the range queued it again).
 */
static void test_backfill_survives_catch_up(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 3, 1, 0, 0, 30));
	struct sch_backfill_slot *slots;
	struct adm_execution *x;
	struct fc_err err;
	int64_t to;
	size_t n;

	(void)state;
	sfx_register(f, SFX_PREAMBLE SFX_LP("cu", "cron: \"0 * * * *\", kickoff_input: day"));
	sfx_run_until(f, T(1));
	assert_int_equal(sfx_execs(f, "cu", &x), 1);
	/* 04:30: 02:00, 03:00 and 04:00 are due and late; a backfill takes 02:00 before the scheduler passes */
	sfx_set_now(f, T(4) + 30 * MIN);
	to = T(2);
	assert_int_equal(sch_backfill(f->sch, "sched", "development", "cu", T(2), &to, 1, false, &f->a, &slots, &n,
				      &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(slots[0].state, "queued");
	sfx_step(f, T(4) + 30 * MIN);
	sfx_step(f, T(4) + 30 * MIN + NS);
	assert_non_null(exec_of(f, "cu", T(4)));              /* latest: the newest slot fires */
	assert_null(exec_of(f, "cu", T(3)));                  /* missed */
	assert_non_null(exec_of(f, "cu", T(2)));              /* the backfill's slot ran */
	assert_non_null(strstr(decision_of(f, exec_of(f, "cu", T(2))), "backfill"));
	to = T(3);
	assert_int_equal(sch_backfill(f->sch, "sched", "development", "cu", T(2), &to, 1, true, &f->a, &slots, &n,
				      &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(slots[0].state, "already run"); /* 02:00: not queued again */
	assert_string_equal(slots[1].state, "would run");   /* 03:00 was missed: a backfill may still run it */
	assert_int_equal(sfx_execs(f, "cu", &x), 3);
	sfx_free(f);
}

/* The slot log view: the newest slots with their outcome, missed ones included. */
static void test_slot_view(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 3, 1, 0, 0, 30));
	struct sch_status *st;
	struct fc_buf out = FC_BUF_INIT;

	(void)state;
	sfx_register(f, SFX_PREAMBLE SFX_LP("sv", "cron: \"0 * * * *\", kickoff_input: day, catch_up: latest"));
	sfx_run_until(f, T(1));
	/* down from 01:00 to 05:30: 02..04 missed, 05 fired (latest) */
	sfx_step(f, utc(2024, 3, 1, 5, 30, 0));
	st = sfx_status(f, "sv");
	assert_int_equal(st->nslots, 5);
	assert_int_equal(st->slots[0].slot_ns, T(5));
	assert_string_equal(st->slots[0].outcome, "fired");
	assert_string_equal(st->slots[1].outcome, "missed");
	assert_string_equal(st->slots[3].outcome, "missed");
	assert_int_equal(st->slots[3].slot_ns, T(2));
	assert_string_equal(st->slots[4].outcome, "fired");
	sch_status_render_json(st, 1, &out);
	assert_non_null(strstr(out.buf, "\"slots\":[{\"slot\":\"2024-03-01T05:00:00Z\",\"outcome\":\"fired\""));
	assert_non_null(strstr(out.buf, "\"outcome\":\"missed\""));
	fc_buf_release(&out);
	sfx_free(f);
}

/*
 * A slot fired plainly has no slot-log row (its execution is the record, issue 12 fifth round): the view still shows
 * it as fired with its execution, newest first among rows of other outcomes; a backfill finds it run; a restart
 * does not fire it again; a manual execution of the same plan is not taken for a slot.
 */
static void test_plain_fire_no_row(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 3, 1, 0, 0, 30));
	const struct adm_id lp = {"sched", "development", "pf", NULL};
	struct sch_backfill_slot *slots;
	struct adm_execution *x;
	struct sch_status *st;
	struct adm_slot row;
	struct fc_err err;
	int64_t to;
	size_t n;

	(void)state;
	sfx_register(f, SFX_PREAMBLE SFX_LP("pf", "cron: \"0 * * * *\", kickoff_input: day, catch_up: latest"));
	sfx_run_until(f, T(2));
	assert_int_equal(sfx_execs(f, "pf", &x), 2);
	assert_int_equal(adm_schedule_slot_get(f->store, &lp, T(1), &f->a, &row, &err), FC_ENOENT);
	assert_int_equal(adm_schedule_slot_get(f->store, &lp, T(2), &f->a, &row, &err), FC_ENOENT);
	/* down from 02:00 to 05:30: 03 and 04 missed (rows), 05 fired (none) */
	sfx_step(f, utc(2024, 3, 1, 5, 30, 0));
	st = sfx_status(f, "pf");
	assert_int_equal(st->nslots, 5);
	assert_int_equal(st->slots[0].slot_ns, T(5));
	assert_string_equal(st->slots[0].outcome, "fired");
	assert_string_equal(st->slots[0].execution, exec_of(f, "pf", T(5))->id.name);
	assert_string_equal(st->slots[0].detail, "");
	assert_false(st->slots[0].waiting);
	assert_string_equal(st->slots[1].outcome, "missed");
	assert_string_equal(st->slots[2].outcome, "missed");
	assert_int_equal(st->slots[3].slot_ns, T(2));
	assert_string_equal(st->slots[3].outcome, "fired");
	assert_string_equal(st->slots[3].execution, exec_of(f, "pf", T(2))->id.name);
	assert_int_equal(st->slots[4].slot_ns, T(1));
	/* a store written before this change has a row for the fired slot too: the slot shows once, from its row */
	{
		struct adm_slot old = {T(2), ADM_SLOT_FIRED, false, exec_of(f, "pf", T(2))->id.name, "", 0, 0};

		assert_int_equal(adm_schedule_slot_put(f->store, &lp, &old, &err), 0);
		st = sfx_status(f, "pf");
		assert_int_equal(st->nslots, 5);
		assert_int_equal(st->slots[3].slot_ns, T(2));
		assert_string_equal(st->slots[3].execution, exec_of(f, "pf", T(2))->id.name);
		assert_int_equal(st->slots[4].slot_ns, T(1));
	}
	/* a backfill finds the fired slots run and would run the missed ones */
	to = T(5);
	assert_int_equal(sch_backfill(f->sch, "sched", "development", "pf", T(1), &to, 1, true, &f->a, &slots, &n,
				      &err), 0);
	assert_int_equal(n, 5);
	assert_string_equal(slots[0].state, "already run");
	assert_string_equal(slots[1].state, "already run");
	assert_string_equal(slots[2].state, "would run");
	assert_string_equal(slots[3].state, "would run");
	assert_string_equal(slots[4].state, "already run");
	/* a restart fires nothing twice */
	sfx_restart(f);
	sfx_step(f, utc(2024, 3, 1, 5, 30, 1));
	assert_int_equal(sfx_execs(f, "pf", &x), 3);
	sfx_run_until(f, T(6));
	assert_int_equal(sfx_execs(f, "pf", &x), 4);
	assert_string_equal(sfx_status(f, "pf")->slots[0].execution, exec_of(f, "pf", T(6))->id.name);
	sfx_free(f);
}

/* The spec keys: bad values are errors at their position; good ones reach the store and the status. */
static void test_spec_keys(void **state)
{
	static const char bad[] = SFX_PREAMBLE SFX_LP("a", "cron: \"0 * * * *\", kickoff_input: day, concurrency: buffer_al, "
							   "max_buffered: 0, pause_on_failure: x");
	struct sfx *f = sfx_new(utc(2024, 3, 1, 0, 0, 30));
	struct cmp_options opts;
	struct cmp_session *cs;
	struct fc_buf out = FC_BUF_INIT;
	struct sch_status *st;

	(void)state;
	memset(&opts, 0, sizeof(opts));
	cs = cmp_session_new(&opts);
	assert_int_equal(cmp_add_source_take(cs, "sched.yaml", strdup(bad), strlen(bad)), 0);
	assert_int_not_equal(cmp_compile(cs), 0);
	fc_diags_render(cmp_diags(cs), FC_DIAG_TEXT, false, &out);
	assert_non_null(strstr(out.buf, "sched.yaml:19:")); /* line of the launch plan's schedule */
	assert_non_null(strstr(out.buf, "'buffer_one', 'buffer_all' or 'cancel_other'"));
	assert_non_null(strstr(out.buf, "max_buffered is a whole number from 1 to 10000"));
	assert_non_null(strstr(out.buf, "pause_on_failure is a whole number from 1 to 1000"));
	fc_buf_release(&out);
	cmp_session_free(cs);
	sfx_register(f, SFX_PREAMBLE SFX_LP("g", "cron: \"0 * * * *\", kickoff_input: day, concurrency: buffer_all, "
						   "max_buffered: 7, pause_on_failure: 3"));
	sfx_step(f, sfx_now(f));
	st = sfx_status(f, "g");
	assert_int_equal(st->concurrency, CMP_CONCURRENCY_BUFFER_ALL);
	assert_int_equal(st->max_buffered, 7);
	assert_int_equal(st->pause_on_failure, 3);
	sfx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buffer_one_queued),
		cmocka_unit_test(test_buffer_one_running),
		cmocka_unit_test(test_buffer_all_bound_and_order),
		cmocka_unit_test(test_cancel_other_queued),
		cmocka_unit_test(test_cancel_other_running_and_aborting),
		cmocka_unit_test(test_buffer_survives_restart),
		cmocka_unit_test(test_pause_on_failure),
		cmocka_unit_test(test_backfill),
		cmocka_unit_test(test_backfill_overlapping_live_slot),
		cmocka_unit_test(test_backfill_survives_catch_up),
		cmocka_unit_test(test_slot_view),
		cmocka_unit_test(test_plain_fire_no_row),
		cmocka_unit_test(test_spec_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
