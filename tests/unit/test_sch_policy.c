/*
 * test_sch_policy.c: concurrency policies (skip keeps a visible record, replace terminates the previous run),
 * isolation of broken schedules (failing, backoff, the others on time), deactivation and new versions with and
 * without a notify, execution-name clashes, and the scheduler thread on a manual clock.
 */
#include "test_sch_fixture.h"

#include <jansson.h>

enum {
	QUEUED = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__QUEUED,
	RUNNING = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__RUNNING,
	SUCCEEDED = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDED,
	ABORTED = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTED,
	ABORTING = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTING,
};

/* --- concurrency: skip ------------------------------------------------------------------------------------------ */
static void test_concurrency_skip(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 3, 1, 0, 0, 30));
	struct adm_execution *x;
	struct sch_status *st;
	struct sch_stats stats;
	size_t n;

	(void)state;
	sfx_register(f, SFX_PREAMBLE SFX_LP("sk", "cron: \"0 * * * *\", kickoff_input: day, concurrency: skip"));
	sfx_run_until(f, utc(2024, 3, 1, 1, 0, 0));
	assert_int_equal(sfx_execs(f, "sk", &x), 1);
	assert_int_equal(x[0].phase, QUEUED);
	sfx_set_phase(f, x[0].id.name, RUNNING);

	/* 02:00: the 01:00 run is still going: the slot is recorded as an aborted execution saying why */
	sfx_step(f, utc(2024, 3, 1, 2, 0, 0));
	n = sfx_execs(f, "sk", &x);
	assert_int_equal(n, 2);
	assert_int_equal(x[0].phase, RUNNING);
	assert_int_equal(x[1].phase, ABORTED);
	assert_int_equal(x[1].scheduled_at, utc(2024, 3, 1, 2, 0, 0));
	assert_non_null(x[1].abort_cause);
	assert_non_null(strstr(x[1].abort_cause, "skipped"));
	assert_non_null(strstr(x[1].abort_cause, x[0].id.name));
	assert_string_equal(x[1].abort_principal, "flytec-scheduler");
	st = sfx_status(f, "sk");
	assert_int_equal(st->skipped, 1);
	assert_int_equal(st->last_slot_ns, utc(2024, 3, 1, 2, 0, 0)); /* not fired again after a restart */

	/* the 01:00 run finishes; 03:00 runs normally */
	sfx_set_phase(f, x[0].id.name, SUCCEEDED);
	sfx_step(f, utc(2024, 3, 1, 3, 0, 0));
	n = sfx_execs(f, "sk", &x);
	assert_int_equal(n, 3);
	assert_int_equal(x[2].phase, QUEUED);
	assert_int_equal(sfx_kickoff_s(f, &x[2]), utc(2024, 3, 1, 3, 0, 0) / NS);

	/* a restart in the middle changes nothing: the running 03:00 run makes 04:00 a skip */
	sfx_restart(f);
	sfx_step(f, utc(2024, 3, 1, 4, 0, 0));
	n = sfx_execs(f, "sk", &x);
	assert_int_equal(n, 4);
	assert_int_equal(x[3].phase, ABORTED);
	assert_int_equal(x[2].phase, QUEUED);
	sch_get_stats(f->sch, &stats);
	assert_int_equal(stats.skipped, 1);
	sfx_free(f);
}

/* --- concurrency: replace --------------------------------------------------------------------------------------- */
static void test_concurrency_replace(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 3, 1, 0, 0, 30));
	struct adm_execution *x;
	struct adm_claim claim;
	struct fc_err err;
	size_t n;

	(void)state;
	sfx_register(f, SFX_PREAMBLE
		     SFX_LP("rp", "cron: \"0 * * * *\", kickoff_input: day, concurrency: replace")
		     SFX_LP("al", "cron: \"0 * * * *\", kickoff_input: day"));
	sfx_run_until(f, utc(2024, 3, 1, 1, 0, 0));
	/* a propeller claims the rp run and starts it */
	n = sfx_execs(f, "rp", &x);
	assert_int_equal(n, 1);
	while (adm_queue_claim(f->store, "prop-1", &f->a, &claim, &err) == 0)
		if (!strcmp(claim.exec.id.name, x[0].id.name))
			break;
	assert_string_equal(claim.exec.id.name, x[0].id.name);
	sfx_set_phase(f, x[0].id.name, RUNNING);

	/* 02:00: the running one is asked to abort (ABORTING: the propeller stops it), the new one is queued */
	sfx_step(f, utc(2024, 3, 1, 2, 0, 0));
	n = sfx_execs(f, "rp", &x);
	assert_int_equal(n, 2);
	assert_int_equal(x[0].phase, ABORTING);
	assert_non_null(strstr(x[0].abort_cause, "replaced"));
	assert_non_null(strstr(x[0].abort_cause, "2024-03-01T02:00:00Z"));
	assert_int_equal(x[1].phase, QUEUED);
	assert_int_equal(sfx_kickoff_s(f, &x[1]), utc(2024, 3, 1, 2, 0, 0) / NS);

	/* 03:00 while the 01:00 run is still stopping: the unclaimed 02:00 run is aborted at once and replaced; the
	 * stopping one is left to stop */
	sfx_step(f, utc(2024, 3, 1, 3, 0, 0));
	n = sfx_execs(f, "rp", &x);
	assert_int_equal(n, 3);
	assert_int_equal(x[0].phase, ABORTING);
	assert_non_null(strstr(x[0].abort_cause, "2024-03-01T02:00:00Z")); /* not terminated again */
	assert_int_equal(x[1].phase, ABORTED);
	assert_non_null(strstr(x[1].abort_cause, "2024-03-01T03:00:00Z"));
	assert_int_equal(x[2].phase, QUEUED);
	assert_int_equal(sfx_status(f, "rp")->replaced, 2);
	sfx_set_phase(f, x[0].id.name, ABORTED);

	/* allow: overlapping runs are left alone */
	n = sfx_execs(f, "al", &x);
	assert_int_equal(n, 3);
	assert_int_equal(x[0].phase, QUEUED);
	assert_int_equal(x[1].phase, QUEUED);
	sfx_free(f);
}

/* --- isolation: broken schedules beside a good one --------------------------------------------------------------- */

/* Register a variant of launch plan `from` of session `cs` under `name`@`version`, with another cron text, kickoff
 * input or deprecated cron_expression: things the compiler would refuse, as another client could register them. */
static void register_variant(struct sfx *f, struct cmp_session *cs, const char *from, const char *name,
			     const char *version, const char *cron, const char *kickoff, const char *legacy_cron)
{
	const struct cmp_launch_plan_result *r = cmp_find_launch_plan(cs, from);
	Flyteidl__Admin__LaunchPlan lp;
	Flyteidl__Core__Identifier id;
	Flyteidl__Admin__LaunchPlanSpec spec;
	Flyteidl__Admin__LaunchPlanMetadata md;
	Flyteidl__Admin__Schedule sched;
	Flyteidl__Admin__CronSchedule cron_sched = FLYTEIDL__ADMIN__CRON_SCHEDULE__INIT;
	struct fc_err err;
	bool created;

	assert_non_null(r);
	lp = *r->launch_plan;
	id = *lp.id;
	spec = *lp.spec;
	md = *spec.entity_metadata;
	sched = *md.schedule;
	id.name = (char *)name;
	id.version = (char *)version;
	lp.id = &id;
	lp.spec = &spec;
	spec.entity_metadata = &md;
	md.schedule = &sched;
	if (cron) {
		cron_sched.schedule = (char *)cron;
		sched.schedule_expression_case = FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_CRON_SCHEDULE;
		sched.cron_schedule = &cron_sched;
	}
	if (legacy_cron) {
		sched.schedule_expression_case = FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_CRON_EXPRESSION;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
		sched.cron_expression = (char *)legacy_cron;
#pragma GCC diagnostic pop
	}
	if (kickoff)
		sched.kickoff_time_input_arg = (char *)kickoff;
	if (adm_register_launch_plan(f->store, &lp, &r->policy, NULL, &created, NULL, &err))
		fail_msg("registering %s: %s", name, err.msg);
	if (adm_launch_plan_set_state(f->store, &(struct adm_id){id.project, id.domain, name, version}, 1, &err))
		fail_msg("activating %s: %s", name, err.msg);
}

#define ISOLATION_SPEC SFX_PREAMBLE SFX_LP("good", "cron: \"0 * * * *\", kickoff_input: day")

static void test_broken_beside_good(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 3, 1, 0, 0, 30));
	struct cmp_session *cs = sfx_compile(ISOLATION_SPEC);
	struct adm_execution *x;
	struct sch_status *st;
	struct sch_stats stats;
	int64_t due;
	size_t n, i;

	(void)state;
	sfx_register(f, ISOLATION_SPEC);
	register_variant(f, cs, "good", "badinput", "v1", NULL, "nosuch", NULL);   /* launch refused: bad inputs */
	register_variant(f, cs, "good", "badcron", "v1", "61 * * * *", NULL, NULL); /* unparsable */
	register_variant(f, cs, "good", "aws", "v1", NULL, NULL, "0 12 * * ? *");  /* AWS six fields, deprecated field */
	register_variant(f, cs, "good", "badzone", "v1", "CRON_TZ=Mars/Olympus 0 * * * *", NULL, NULL);

	sfx_run_until(f, utc(2024, 3, 1, 6, 30, 0));

	/* the good one fired every hour at the exact slot time */
	n = sfx_execs(f, "good", &x);
	assert_int_equal(n, 6);
	for (i = 0; i < n; i++) {
		assert_int_equal(x[i].scheduled_at, utc(2024, 3, 1, 1, 0, 0) + (int64_t)i * HOUR);
		assert_int_equal(x[i].created_at, x[i].scheduled_at);
	}
	assert_false(sfx_status(f, "good")->failing);

	/* the broken ones are failing with their error, retried with growing delays, and created nothing */
	st = sfx_status(f, "badinput");
	assert_true(st->failing);
	assert_non_null(strstr(st->error, "nosuch"));
	assert_true(st->failures >= 5);
	assert_int_equal(sfx_execs(f, "badinput", &x), 0);
	due = st->due_ns;
	assert_true(due > utc(2024, 3, 1, 6, 30, 0));
	st = sfx_status(f, "badcron");
	assert_true(st->failing);
	assert_null(st->expression);
	assert_non_null(strstr(st->error, "column"));
	assert_int_equal(st->next_fire_ns, SCH_NEVER);
	assert_true(st->failures >= 5);
	st = sfx_status(f, "aws");
	assert_true(st->failing);
	assert_non_null(strstr(st->error, "0 12 * * ? *"));
	st = sfx_status(f, "badzone");
	assert_true(st->failing);
	assert_non_null(strstr(st->error, "Mars/Olympus"));
	sch_get_stats(f->sch, &stats);
	assert_int_equal(stats.schedules, 5);
	assert_int_equal(stats.failing, 4);
	{
		/* the same as JSON for the API */
		struct sch_status *list;
		struct fc_buf json = FC_BUF_INIT;
		struct fc_err err;
		json_error_t jerr;
		json_t *root, *items, *bad;
		size_t nst;

		assert_int_equal(sch_status_list(f->sch, &f->a, &list, &nst, &err), 0);
		sch_status_render_json(list, nst, &json);
		root = json_loads(json.buf, 0, &jerr);
		assert_non_null(root);
		items = json_object_get(root, "schedules");
		assert_int_equal(json_array_size(items), 5);
		bad = json_array_get(items, 1); /* sorted by name: aws, badcron, badinput, badzone, good */
		assert_string_equal(json_string_value(json_object_get(bad, "name")), "badcron");
		assert_true(json_is_true(json_object_get(bad, "failing")));
		assert_non_null(strstr(json_string_value(json_object_get(bad, "error")), "minute 61"));
		assert_true(json_is_null(json_object_get(bad, "nextFire")));
		assert_string_equal(json_string_value(json_object_get(json_array_get(items, 4), "nextFire")),
				    "2024-03-01T07:00:00Z");
		assert_string_equal(json_string_value(json_object_get(json_array_get(items, 4), "catchUp")), "latest");
		json_decref(root);
		fc_buf_release(&json);
	}

	/* backoff: 10 s, 20 s, 40 s ... up to an hour: attempts at 0, 10, 30, 70 ... 5110, 8710 ... 23110 s, so 15 in
	 * the six and a half hours, then one an hour */
	assert_int_equal(sfx_status(f, "badcron")->failures, 15);
	assert_int_equal(sfx_status(f, "badcron")->due_ns, utc(2024, 3, 1, 0, 0, 30) + (23110 + 3600) * NS);

	/* a fixed version is registered and activated; the scheduler is told; the fix runs at the next slot */
	register_variant(f, cs, "good", "badinput", "v2", NULL, "day", NULL);
	sch_notify(f->sch);
	sfx_step(f, utc(2024, 3, 1, 6, 30, 1));
	st = sfx_status(f, "badinput");
	assert_false(st->failing);
	assert_string_equal(st->version, "v2");
	assert_int_equal(st->next_fire_ns, utc(2024, 3, 1, 7, 0, 0));
	/* a fix nobody told the scheduler about is found at the next retry */
	register_variant(f, cs, "good", "badcron", "v2", "0 * * * *", NULL, NULL);
	sfx_run_until(f, utc(2024, 3, 1, 8, 0, 0));
	assert_false(sfx_status(f, "badcron")->failing);
	assert_int_equal(sfx_execs(f, "badinput", &x), 2);
	assert_int_equal(x[0].scheduled_at, utc(2024, 3, 1, 7, 0, 0));
	assert_true(sfx_execs(f, "badcron", &x) >= 1);
	assert_int_equal(x[sfx_execs(f, "badcron", &x) - 1].scheduled_at, utc(2024, 3, 1, 8, 0, 0));
	assert_int_equal(sfx_execs(f, "good", &x), 8);
	cmp_session_free(cs);
	sfx_free(f);
}

/* --- deactivation and new versions ------------------------------------------------------------------------------- */
static void test_deactivate_and_new_version(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 3, 1, 0, 0, 30));
	const struct adm_id name = {"sched", "development", "hourly", NULL};
	struct adm_execution *x;
	struct cmp_session *cs;
	struct adm_entity lp;
	struct fc_err err;
	size_t n;

	(void)state;
	sfx_register(f, SFX_PREAMBLE SFX_LP("hourly", "cron: \"0 * * * *\", kickoff_input: day"));
	sfx_run_until(f, utc(2024, 3, 1, 1, 30, 0));
	assert_int_equal(sfx_execs(f, "hourly", &x), 1);

	/* deactivated without telling the scheduler: it checks before firing and drops the schedule */
	assert_int_equal(adm_launch_plan_get_active(f->store, &name, &f->a, &lp, &err), 0);
	assert_int_equal(adm_launch_plan_set_state(f->store, &lp.id, 0, &err), 0);
	sfx_step(f, utc(2024, 3, 1, 2, 0, 0));
	assert_int_equal(sfx_execs(f, "hourly", &x), 1);
	assert_false(sfx_scheduled(f, "hourly"));

	/* a new version with another expression, activated and notified */
	sfx_set_now(f, utc(2024, 3, 1, 2, 10, 0));
	sfx_register(f, SFX_PREAMBLE SFX_LP("hourly", "cron: \"30 * * * *\", kickoff_input: day"));
	sch_notify(f->sch);
	sfx_run_until(f, utc(2024, 3, 1, 4, 0, 0));
	n = sfx_execs(f, "hourly", &x);
	assert_int_equal(n, 3);
	assert_int_equal(x[1].scheduled_at, utc(2024, 3, 1, 2, 30, 0));
	assert_int_equal(x[2].scheduled_at, utc(2024, 3, 1, 3, 30, 0));
	assert_string_not_equal(x[2].launch_plan.version, x[0].launch_plan.version);

	/* a new version activated without a notify: the fire notices, rearms on the new expression */
	sfx_set_now(f, utc(2024, 3, 1, 4, 5, 0));
	sfx_register(f, SFX_PREAMBLE SFX_LP("hourly", "cron: \"45 * * * *\", kickoff_input: day"));
	sfx_run_until(f, utc(2024, 3, 1, 5, 50, 0));
	n = sfx_execs(f, "hourly", &x);
	assert_int_equal(n, 5);
	assert_int_equal(x[3].scheduled_at, utc(2024, 3, 1, 4, 45, 0)); /* 04:30 belonged to the old version */
	assert_int_equal(x[4].scheduled_at, utc(2024, 3, 1, 5, 45, 0));
	assert_string_equal(sfx_status(f, "hourly")->expression, "45 * * * *");

	/* the same schedule under a new version, activated without a notify: the fire's check (the row without its
	 * blobs) sees another version, and the execution names it: the entry's decoded plan of the old one is dropped */
	cs = sfx_compile(SFX_PREAMBLE SFX_LP("hourly", "cron: \"45 * * * *\", kickoff_input: day"));
	register_variant(f, cs, "hourly", "hourly", "v9", "45 * * * *", "day", NULL);
	cmp_session_free(cs);
	sfx_run_until(f, utc(2024, 3, 1, 7, 50, 0));
	n = sfx_execs(f, "hourly", &x);
	assert_int_equal(n, 7);
	assert_string_equal(x[4].launch_plan.version, x[3].launch_plan.version);
	assert_string_equal(x[5].launch_plan.version, "v9");
	assert_string_equal(x[6].launch_plan.version, "v9"); /* and the next fire reuses the new one's */
	assert_int_equal(x[6].scheduled_at, utc(2024, 3, 1, 7, 45, 0));
	sfx_free(f);
}

/* --- an execution name already taken ------------------------------------------------------------------------------ */
static void test_name_taken(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 3, 1, 0, 0, 30));
	Flyteidl__Admin__ExecutionCreateRequest req = FLYTEIDL__ADMIN__EXECUTION_CREATE_REQUEST__INIT;
	Flyteidl__Admin__ExecutionSpec spec = FLYTEIDL__ADMIN__EXECUTION_SPEC__INIT;
	Flyteidl__Core__Identifier lpid = FLYTEIDL__CORE__IDENTIFIER__INIT;
	char taken[SCH_EXEC_NAME_LEN + 1], alt[SCH_EXEC_NAME_LEN + 1];
	struct adm_execution *x;
	struct adm_exec_id id;
	struct fc_err err;
	size_t n;

	(void)state;
	sfx_register(f, SFX_PREAMBLE SFX_LP("hourly", "cron: \"0 * * * *\", kickoff_input: day"));
	/* someone launched by hand under the name the 01:00 slot will use */
	sch_execution_name("sched", "development", "hourly", utc(2024, 3, 1, 1, 0, 0) / NS, 0, taken);
	sch_execution_name("sched", "development", "hourly", utc(2024, 3, 1, 1, 0, 0) / NS, 1, alt);
	lpid.resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__LAUNCH_PLAN;
	lpid.project = (char *)"sched";
	lpid.domain = (char *)"development";
	lpid.name = (char *)"hourly";
	spec.launch_plan = &lpid;
	req.project = (char *)"sched";
	req.domain = (char *)"development";
	req.name = taken;
	req.spec = &spec;
	req.inputs = NULL;
	{
		/* the manual launch needs its `day` input */
		Flyteidl__Core__LiteralMap m = FLYTEIDL__CORE__LITERAL_MAP__INIT;
		Flyteidl__Core__LiteralMap__LiteralsEntry e = FLYTEIDL__CORE__LITERAL_MAP__LITERALS_ENTRY__INIT;
		Flyteidl__Core__LiteralMap__LiteralsEntry *ep = &e;
		Flyteidl__Core__Literal l = FLYTEIDL__CORE__LITERAL__INIT;
		Flyteidl__Core__Scalar sc = FLYTEIDL__CORE__SCALAR__INIT;
		Flyteidl__Core__Primitive p = FLYTEIDL__CORE__PRIMITIVE__INIT;
		Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;

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
		req.inputs = &m;
		assert_int_equal(adm_launch(f->store, &req, 0, &f->a, &id, &err), 0);
	}
	sfx_run_until(f, utc(2024, 3, 1, 1, 30, 0));
	n = sfx_execs(f, "hourly", &x);
	assert_int_equal(n, 2);
	/* the slot fired once, under the alternate name */
	assert_int_equal(x[1].scheduled_at, utc(2024, 3, 1, 1, 0, 0));
	assert_string_equal(x[1].id.name, alt);
	assert_false(sfx_status(f, "hourly")->failing);
	/* under a derived name, so no slot-log row; the view shows the slot once, the manual run is not a slot */
	{
		const struct adm_id lp = {"sched", "development", "hourly", NULL};
		struct sch_status *st = sfx_status(f, "hourly");
		struct adm_slot row;

		assert_int_equal(adm_schedule_slot_get(f->store, &lp, utc(2024, 3, 1, 1, 0, 0), &f->a, &row, &err),
				 FC_ENOENT);
		assert_int_equal(st->nslots, 1);
		assert_string_equal(st->slots[0].execution, alt);
		assert_string_equal(st->slots[0].outcome, "fired");
	}
	sfx_free(f);
}

/* --- the thread, on the manual clock ------------------------------------------------------------------------------ */

/* Wait (real time, briefly) until the scheduler thread sleeps with `deadline` or `cond` holds. */
static void wait_sleeping(struct sfx *f, int64_t deadline)
{
	int i;

	for (i = 0; i < 5000; i++) {
		int64_t d;

		pthread_mutex_lock(&f->clock.mu);
		d = f->clock.deadline_ns;
		pthread_mutex_unlock(&f->clock.mu);
		if (d == deadline)
			return;
		usleep(1000);
	}
	fail_msg("the scheduler thread did not go to sleep until %" PRId64, deadline);
}

static void test_thread(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 3, 1, 0, 0, 30));
	struct adm_execution *x;
	struct fc_err err;
	uint64_t waits;

	(void)state;
	sfx_register(f, SFX_PREAMBLE SFX_LP("hourly", "cron: \"0 * * * *\", kickoff_input: day"));
	assert_int_equal(sch_start(f->sch, &err), 0);
	assert_int_equal(sch_start(f->sch, &err), FC_ECONFLICT);
	wait_sleeping(f, utc(2024, 3, 1, 1, 0, 0));
	waits = sch_manual_clock_waits(&f->clock);

	/* a new schedule: the notify wakes the thread, which reloads and sleeps until the earlier deadline */
	sfx_register(f, SFX_PREAMBLE SFX_LP("hourly", "cron: \"0 * * * *\", kickoff_input: day")
				      SFX_LP("half", "cron: \"30 0 * * *\", kickoff_input: day"));
	sch_notify(f->sch);
	wait_sleeping(f, utc(2024, 3, 1, 0, 30, 0));
	assert_true(sch_manual_clock_waits(&f->clock) > waits);

	/* time passes: each slot fires when the clock reaches it */
	sfx_set_now(f, utc(2024, 3, 1, 0, 30, 0));
	wait_sleeping(f, utc(2024, 3, 1, 1, 0, 0));
	assert_int_equal(sfx_execs(f, "half", &x), 1);
	sfx_set_now(f, utc(2024, 3, 1, 1, 0, 0));
	wait_sleeping(f, utc(2024, 3, 1, 2, 0, 0));
	assert_int_equal(sfx_execs(f, "hourly", &x), 1);
	assert_int_equal(x[0].scheduled_at, utc(2024, 3, 1, 1, 0, 0));
	/* a jump of a day: catch-up (latest) on the thread too */
	sfx_set_now(f, utc(2024, 3, 2, 1, 20, 0));
	wait_sleeping(f, utc(2024, 3, 2, 2, 0, 0));
	assert_int_equal(sfx_execs(f, "hourly", &x), 2);
	assert_int_equal(x[1].scheduled_at, utc(2024, 3, 2, 1, 0, 0));
	sch_stop(f->sch);
	sch_stop(f->sch); /* twice is fine */
	/* and it can start again */
	assert_int_equal(sch_start(f->sch, &err), 0);
	wait_sleeping(f, utc(2024, 3, 2, 2, 0, 0));
	sfx_free(f);
}

/* The real clock's thread starts, sleeps until a far slot and stops at once. */
static void test_real_clock_stop(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 3, 1, 0, 0, 30));
	struct sch *s;
	struct fc_err err;
	struct sch_stats stats;

	(void)state;
	sfx_register(f, SFX_PREAMBLE SFX_LP("yearly", "cron: \"0 0 1 1 *\", kickoff_input: day"));
	assert_int_equal(sch_new(f->store, NULL, NULL, &s, &err), 0);
	assert_int_equal(sch_start(s, &err), 0);
	usleep(20000);
	sch_notify(s);
	usleep(20000);
	sch_get_stats(s, &stats);
	assert_int_equal(stats.schedules, 1);
	assert_true(stats.passes <= 4); /* it sleeps; it does not poll */
	sch_free(s);
	sfx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrency_skip),
		cmocka_unit_test(test_concurrency_replace),
		cmocka_unit_test(test_broken_beside_good),
		cmocka_unit_test(test_deactivate_and_new_version),
		cmocka_unit_test(test_name_taken),
		cmocka_unit_test(test_thread),
		cmocka_unit_test(test_real_clock_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
