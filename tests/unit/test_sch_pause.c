/*
 * test_sch_pause.c: pausing and unpausing a schedule on the manual clock. Nothing fires while paused; unpausing
 * does not fire the slots that fell in the pause (Airflow's unpause bug) unless asked to catch up, and then the
 * catch-up policy chooses; the pause survives a restart; a pause across a DST change leaves no shifted slot behind.
 */
#include "test_sch_fixture.h"

static void set_paused(struct sfx *f, const char *name, bool paused, const char *note, bool catch_up)
{
	struct adm_id id = {"sched", "development", name, NULL};
	struct fc_err err;

	if (adm_schedule_set_paused(f->store, &id, paused, note, catch_up, &err))
		fail_msg("pausing %s: %s", name, err.msg);
	sch_notify(f->sch);
}

static void test_pause_and_unpause(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 5, 1, 0, 0, 10));
	struct adm_execution *x;
	struct sch_status *st;
	size_t n;

	(void)state;
	sfx_register(f, SFX_PREAMBLE SFX_LP("hourly", "cron: \"0 * * * *\", kickoff_input: day, catch_up: all"));
	sfx_run_until(f, utc(2024, 5, 1, 1, 30, 0));
	assert_int_equal(sfx_execs(f, "hourly", &x), 1); /* 01:00 */
	set_paused(f, "hourly", true, "warehouse maintenance", false);
	sfx_run_until(f, utc(2024, 5, 1, 6, 10, 0));
	assert_int_equal(sfx_execs(f, "hourly", &x), 1); /* nothing while paused */
	st = sfx_status(f, "hourly");
	assert_true(st->paused);
	assert_string_equal(st->pause_note, "warehouse maintenance");
	assert_int_equal(st->next_fire_ns, SCH_NEVER);
	/* a restart keeps the pause */
	sfx_restart(f);
	sfx_run_until(f, utc(2024, 5, 1, 6, 20, 0));
	assert_int_equal(sfx_execs(f, "hourly", &x), 1);
	assert_true(sfx_status(f, "hourly")->paused);
	/* unpause at 06:20 without catch-up: 02:00 ... 06:00 never fire, even with catch_up: all */
	set_paused(f, "hourly", false, NULL, false);
	sfx_run_until(f, utc(2024, 5, 1, 8, 30, 0));
	n = sfx_execs(f, "hourly", &x);
	assert_int_equal(n, 3);
	assert_int_equal(x[1].scheduled_at, utc(2024, 5, 1, 7, 0, 0));
	assert_int_equal(x[2].scheduled_at, utc(2024, 5, 1, 8, 0, 0));
	st = sfx_status(f, "hourly");
	assert_false(st->paused);
	assert_null(st->pause_note);
	assert_int_equal(st->missed, 0); /* not missed: paused */
	sfx_free(f);
}

static void test_unpause_with_catch_up(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 5, 1, 0, 0, 10));
	struct adm_execution *x;
	size_t n;

	(void)state;
	sfx_register(f, SFX_PREAMBLE SFX_LP("latest", "cron: \"0 * * * *\", kickoff_input: day, catch_up: latest")
				 SFX_LP("all", "cron: \"0 * * * *\", kickoff_input: day, catch_up: all"));
	sfx_run_until(f, utc(2024, 5, 1, 1, 30, 0));
	set_paused(f, "latest", true, "", false);
	set_paused(f, "all", true, "", false);
	sfx_run_until(f, utc(2024, 5, 1, 4, 10, 0));
	set_paused(f, "latest", false, NULL, true);
	set_paused(f, "all", false, NULL, true);
	sfx_step(f, utc(2024, 5, 1, 4, 10, 0));
	n = sfx_execs(f, "latest", &x);
	assert_int_equal(n, 2); /* 01:00, then the catch-up's latest: 04:00 */
	assert_int_equal(x[1].scheduled_at, utc(2024, 5, 1, 4, 0, 0));
	assert_int_equal(sfx_execs(f, "all", &x), 4); /* 01:00, 02:00, 03:00, 04:00 */
	sfx_free(f);
}

/* Paused over Berlin's spring-forward night: the shifted 03:00 slot of 2024-03-31 does not fire on unpause. */
static void test_pause_across_dst(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 3, 29, 12, 0, 0));
	struct adm_execution *x;
	size_t n;

	(void)state;
	sfx_register(f, SFX_PREAMBLE SFX_LP("nightly", "cron: \"30 2 * * *\", timezone: Europe/Berlin, "
						      "kickoff_input: day, catch_up: all"));
	sfx_run_until(f, utc(2024, 3, 30, 12, 0, 0));
	assert_int_equal(sfx_execs(f, "nightly", &x), 1); /* 2024-03-30 02:30+01:00 */
	set_paused(f, "nightly", true, "DST night", false);
	sfx_run_until(f, utc(2024, 3, 31, 12, 0, 0));
	set_paused(f, "nightly", false, NULL, false);
	sfx_run_until(f, utc(2024, 4, 1, 12, 0, 0));
	n = sfx_execs(f, "nightly", &x);
	assert_int_equal(n, 2);
	assert_int_equal(x[1].scheduled_at, utc(2024, 4, 1, 0, 30, 0)); /* 02:30+02:00, not the 31st's 03:00 */
	sfx_free(f);
}

static void test_pause_errors(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 5, 1, 0, 0, 10));
	struct adm_id id = {"sched", "development", "nope", NULL};
	char note[ADM_PAUSE_NOTE_MAX + 2];
	struct fc_err err;

	(void)state;
	sfx_register(f, SFX_PREAMBLE SFX_LP("hourly", "cron: \"0 * * * *\", kickoff_input: day"));
	assert_int_equal(adm_schedule_set_paused(f->store, &id, true, "x", false, &err), FC_ENOENT);
	memset(note, 'n', sizeof(note) - 1);
	note[sizeof(note) - 1] = '\0';
	id.name = "hourly";
	assert_int_equal(adm_schedule_set_paused(f->store, &id, true, note, false, &err), FC_EINVAL);
	id.name = "../x";
	assert_int_equal(adm_schedule_set_paused(f->store, &id, true, "x", false, &err), FC_EINVAL);
	sfx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pause_and_unpause),
		cmocka_unit_test(test_unpause_with_catch_up),
		cmocka_unit_test(test_pause_across_dst),
		cmocka_unit_test(test_pause_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
