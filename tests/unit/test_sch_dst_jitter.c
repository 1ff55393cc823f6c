/*
 * test_sch_dst_jitter.c: a schedule's DST policy (dst_repeat, dst_skip) and its jitter, through the scheduler on
 * the manual clock: which slots fire across the transitions, that a jittered slot fires at its plan's fixed
 * offset with the unjittered slot as its name and scheduled time, that lateness is judged from the jittered time,
 * and that the policy survives a restart (store migration 3).
 */
#include "test_sch_fixture.h"

#include "core/cron.h"

#include <fcntl.h>
#include <sqlite3.h>

/* The scheduled times of `lp`'s executions, in order, into want-compatible nanoseconds. */
static void expect_slots(struct sfx *f, const char *lp, const int64_t *want, size_t nwant)
{
	struct adm_execution *x;
	size_t n = sfx_execs(f, lp, &x);

	if (n != nwant)
		fail_msg("%s: %zu executions, want %zu", lp, n, nwant);
	for (size_t i = 0; i < n; i++)
		if (x[i].scheduled_at != want[i])
			fail_msg("%s: #%zu scheduled at %" PRId64 ", want %" PRId64, lp, i, x[i].scheduled_at / NS,
				 want[i] / NS);
}

/* Europe/Berlin falls back on 2024-10-27 (03:00 CEST -> 02:00 CET): 02:30 comes twice. */
static void test_dst_repeat_through_scheduler(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 10, 25, 12, 0, 0));
	const int64_t both[] = {utc(2024, 10, 26, 0, 30, 0), utc(2024, 10, 27, 0, 30, 0), utc(2024, 10, 27, 1, 30, 0),
				utc(2024, 10, 28, 1, 30, 0)};
	const int64_t first[] = {utc(2024, 10, 26, 0, 30, 0), utc(2024, 10, 27, 0, 30, 0), utc(2024, 10, 28, 1, 30, 0)};
	const int64_t last[] = {utc(2024, 10, 26, 0, 30, 0), utc(2024, 10, 27, 1, 30, 0), utc(2024, 10, 28, 1, 30, 0)};
	struct sch_status *st;

	(void)state;
	sfx_register(f, SFX_PREAMBLE
		     SFX_LP("both", "cron: \"30 2 * * *\", timezone: Europe/Berlin, kickoff_input: day, dst_repeat: both")
		     SFX_LP("first", "cron: \"30 2 * * *\", timezone: Europe/Berlin, kickoff_input: day")
		     SFX_LP("last", "cron: \"30 2 * * *\", timezone: Europe/Berlin, kickoff_input: day, dst_repeat: last"));
	sfx_step(f, sfx_now(f));
	st = sfx_status(f, "both");
	assert_int_equal(st->dst_repeat, FC_DST_REPEAT_BOTH);
	assert_int_equal(st->jitter_ns, 0);
	assert_int_equal(st->next_fires_ns[0], both[0]);
	assert_int_equal(st->next_fires_ns[1], both[1]);
	assert_int_equal(st->next_fires_ns[2], both[2]); /* the next five, the repeat included */
	assert_int_equal(st->next_fires_ns[3], both[3]);
	sfx_run_until(f, utc(2024, 10, 28, 12, 0, 0));
	expect_slots(f, "both", both, FC_ARRAY_LEN(both));
	expect_slots(f, "first", first, FC_ARRAY_LEN(first));
	expect_slots(f, "last", last, FC_ARRAY_LEN(last));
	sfx_free(f);
}

/* America/New_York springs forward on 2024-03-10: 02:30 does not occur. Pacific/Apia skipped 2011-12-30. */
static void test_dst_skip_through_scheduler(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 3, 9, 0, 0, 0));
	const int64_t shift[] = {utc(2024, 3, 9, 7, 30, 0), utc(2024, 3, 10, 7, 0, 0), utc(2024, 3, 11, 6, 30, 0)};
	const int64_t skip[] = {utc(2024, 3, 9, 7, 30, 0), utc(2024, 3, 11, 6, 30, 0)};

	(void)state;
	sfx_register(f, SFX_PREAMBLE
		     SFX_LP("shift", "cron: \"30 2 * * *\", timezone: America/New_York, kickoff_input: day")
		     SFX_LP("skip", "cron: \"30 2 * * *\", timezone: America/New_York, kickoff_input: day, dst_skip: skip"));
	sfx_run_until(f, utc(2024, 3, 11, 12, 0, 0));
	expect_slots(f, "shift", shift, FC_ARRAY_LEN(shift));
	expect_slots(f, "skip", skip, FC_ARRAY_LEN(skip));
	sfx_free(f);

	f = sfx_new(utc(2011, 12, 29, 0, 0, 0));
	{
		/* 09:00 -10 on the 29th is 19:00Z; the 30th's 09:00 does not exist; the 31st's is 19:00Z on the 30th */
		const int64_t apia_shift[] = {utc(2011, 12, 29, 19, 0, 0), utc(2011, 12, 30, 10, 0, 0),
					      utc(2011, 12, 30, 19, 0, 0)};
		const int64_t apia_skip[] = {utc(2011, 12, 29, 19, 0, 0), utc(2011, 12, 30, 19, 0, 0)};

		sfx_register(f, SFX_PREAMBLE
			     SFX_LP("apia", "cron: \"0 9 * * *\", timezone: Pacific/Apia, kickoff_input: day")
			     SFX_LP("apia_skip", "cron: \"0 9 * * *\", timezone: Pacific/Apia, kickoff_input: day, "
						 "dst_skip: skip"));
		sfx_run_until(f, utc(2011, 12, 31, 0, 0, 0));
		expect_slots(f, "apia", apia_shift, FC_ARRAY_LEN(apia_shift));
		expect_slots(f, "apia_skip", apia_skip, FC_ARRAY_LEN(apia_skip));
	}
	sfx_free(f);
}

static void test_jitter_fires_at_the_plan_offset(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 5, 1, 0, 0, 10));
	int64_t off = sch_jitter_ns("sched", "development", "spread", 30000), next, slot = utc(2024, 5, 1, 1, 0, 0);
	struct adm_execution *x;
	struct sch_status *st;
	struct fc_err err;

	(void)state;
	assert_true(off >= 0 && off < 30 * NS);
	assert_int_equal(off % 1000000, 0); /* whole milliseconds */
	assert_int_equal(off, sch_jitter_ns("sched", "development", "spread", 30000)); /* deterministic */
	assert_int_equal(sch_jitter_ns("sched", "development", "spread", 0), 0);
	sfx_register(f, SFX_PREAMBLE SFX_LP("spread", "cron: \"0 * * * *\", kickoff_input: day, jitter: 30s"));
	assert_int_equal(sch_step(f->sch, sfx_now(f), &next, &err), 0);
	assert_int_equal(next, slot + off); /* sleeps until the jittered time */
	st = sfx_status(f, "spread");
	assert_int_equal(st->jitter_ns, off);
	assert_int_equal(st->next_slots_ns[0], slot);
	assert_int_equal(st->next_fires_ns[0], slot + off);
	assert_int_equal(st->next_fires_ns[4], slot + 4 * HOUR + off);
	if (off > 0) {
		sfx_step(f, slot + off - 1); /* the slot has come, its jittered time not yet */
		assert_int_equal(sfx_execs(f, "spread", &x), 0);
	}
	sfx_step(f, slot + off);
	assert_int_equal(sfx_execs(f, "spread", &x), 1);
	assert_int_equal(x[0].scheduled_at, slot); /* the slot keeps its own time and name */
	assert_int_equal(x[0].created_at, slot + off);
	/* a restart reads the jitter back from the store (migration 3's columns) */
	sfx_restart(f);
	sfx_step(f, slot + HOUR + off);
	assert_int_equal(sfx_execs(f, "spread", &x), 2);
	assert_int_equal(x[1].created_at, slot + HOUR + off);
	st = sfx_status(f, "spread");
	assert_int_equal(st->jitter_ns, off);
	sfx_free(f);
}

/* A jitter longer than the grace period is not "late": the slot fires on its jittered time, not through catch-up. */
static void test_jitter_is_not_lateness(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 5, 1, 0, 0, 10));
	int64_t off = sch_jitter_ns("sched", "development", "wide", 3600000);
	struct adm_execution *x;
	size_t n;

	(void)state;
	sfx_register(f, SFX_PREAMBLE SFX_LP("wide", "cron: \"0 */2 * * *\", kickoff_input: day, catch_up: none, "
						   "jitter: 1h"));
	sfx_run_until(f, utc(2024, 5, 1, 12, 0, 0) + off);
	n = sfx_execs(f, "wide", &x);
	assert_int_equal(n, 6); /* 02:00 ... 12:00, none dropped by catch_up: none */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(x[i].created_at, x[i].scheduled_at + off);
	assert_int_equal(sfx_status(f, "wide")->missed, 0);
	sfx_free(f);
}

/* 10,000 plans at one expression with jitter 30s spread over the 30 seconds, none anywhere near all in one. */
static void test_jitter_spreads(void **state)
{
	unsigned buckets[30] = {0}, max = 0;
	char name[32];

	(void)state;
	for (int i = 0; i < 10000; i++) {
		int64_t off;

		snprintf(name, sizeof(name), "plan_%d", i);
		off = sch_jitter_ns("proj", "production", name, 30000);
		assert_true(off >= 0 && off < 30 * NS);
		buckets[off / NS]++;
	}
	for (int b = 0; b < 30; b++) {
		assert_true(buckets[b] > 0);
		if (buckets[b] > max)
			max = buckets[b];
	}
	assert_true(max < 2 * 10000 / 30); /* no second gets twice its share */
	print_message("10000 plans, jitter 30s: busiest second has %u (mean %u)\n", max, 10000 / 30);
}

static void test_status_json(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 5, 1, 0, 0, 10));
	struct sch_status *list;
	struct fc_buf out = FC_BUF_INIT;
	struct fc_err err;
	size_t n;

	(void)state;
	sfx_register(f, SFX_PREAMBLE SFX_LP("spread", "cron: \"0 * * * *\", kickoff_input: day, jitter: 30s, "
						     "dst_repeat: last, dst_skip: skip"));
	sfx_step(f, sfx_now(f));
	assert_int_equal(sch_status_list(f->sch, &f->a, &list, &n, &err), 0);
	sch_status_render_json(list, n, &out);
	if (!strstr(out.buf, "\"nextFires\":[{\"slot\":\"2024-05-01T01:00:00Z\",\"firesAt\":\"2024-05-01T01:00:"))
		fail_msg("%s", out.buf);
	assert_non_null(strstr(out.buf, "\"dstRepeat\":\"last\",\"dstSkip\":\"skip\",\"jitterMs\":"));
	assert_non_null(strstr(out.buf, "\"nextFires\":[{\"slot\":\"2024-05-01T01:00:00Z\",\"firesAt\":\"2024-05-01T01:00:"));
	fc_buf_release(&out);
	sfx_free(f);
}

/* Every missed slot is one log line and counts in /metrics, per schedule. */
static void test_missed_slots_metric_and_log(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 5, 1, 0, 0, 10));
	char path[160], *text;
	struct fc_buf m = FC_BUF_INIT;
	struct adm_execution *x;
	FILE *fp;
	long len;
	int saved, fd;

	(void)state;
	sfx_register(f, SFX_PREAMBLE SFX_LP("hourly", "cron: \"0 * * * *\", kickoff_input: day, catch_up: latest"));
	sfx_step(f, sfx_now(f));
	snprintf(path, sizeof(path), "%s/log", f->dir);
	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	fc_log_set_level(FC_LOG_WARN);
	sfx_step(f, utc(2024, 5, 1, 6, 10, 0)); /* down from 00:00:10 to 06:10: 01:00 ... 06:00 came and went */
	fc_log_set_level(FC_LOG_ERROR);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_int_equal(sfx_execs(f, "hourly", &x), 1); /* latest: 06:00 only */
	assert_int_equal(x[0].scheduled_at, utc(2024, 5, 1, 6, 0, 0));
	assert_int_equal(sfx_status(f, "hourly")->missed, 5);
	fp = fopen(path, "r");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	text = calloc(1, (size_t)len + 1);
	assert_int_equal(fread(text, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	{
		int lines = 0;

		for (const char *p = text; (p = strstr(p, "sched/development/hourly: missed slot ")); p++)
			lines++;
		if (lines != 5)
			fail_msg("%d missed-slot lines, want 5:\n%s", lines, text);
	}
	assert_non_null(strstr(text, "missed slot 2024-05-01T01:00:00Z"));
	assert_non_null(strstr(text, "missed slot 2024-05-01T05:00:00Z"));
	assert_null(strstr(text, "missed slot 2024-05-01T06:00:00Z"));
	free(text);
	sch_metrics_render(f->sch, &m);
	if (!strstr(m.buf, "flytec_scheduler_missed_slots_total{project=\"sched\",domain=\"development\","
			   "launch_plan=\"hourly\"} 5\n"))
		fail_msg("%s", m.buf);
	assert_non_null(strstr(m.buf, "flytec_scheduler_slots_total{outcome=\"missed\"} 5\n"));
	assert_non_null(strstr(m.buf, "flytec_scheduler_slots_total{outcome=\"fired\"} 1\n"));
	fc_buf_release(&m);
	sfx_free(f);
}

/* A store file from before migration 3 (no DST or jitter columns) is brought up to date when opened, and its launch
 * plans keep the old behaviour (dst auto/shift, no jitter). */
static void test_migration_3_from_an_old_file(void **state)
{
	struct sfx *f = sfx_new(utc(2024, 5, 1, 0, 0, 10));
	struct sch_status *st;
	sqlite3 *db;

	(void)state;
	sfx_register(f, SFX_PREAMBLE SFX_LP("old", "cron: \"0 * * * *\", kickoff_input: day"));
	sch_free(f->sch);
	f->sch = NULL;
	adm_store_free(f->store);
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "ALTER TABLE entities DROP COLUMN dst_repeat; ALTER TABLE entities DROP COLUMN "
					  "dst_skip; ALTER TABLE entities DROP COLUMN jitter_ms; DROP TABLE schedule_pause; "
					  "DROP TABLE schedule_slots; ALTER TABLE entities DROP COLUMN max_buffered; "
					  "ALTER TABLE entities DROP COLUMN pause_on_failure; "
					  "PRAGMA user_version = 2;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	sfx_open_store(f);
	assert_int_equal(adm_store_schema_version(f->store), ADM_SCHEMA_VERSION);
	assert_true(ADM_SCHEMA_VERSION >= 3);
	sfx_new_sch(f);
	sfx_step(f, sfx_now(f));
	st = sfx_status(f, "old");
	assert_int_equal(st->dst_repeat, FC_DST_REPEAT_AUTO);
	assert_int_equal(st->dst_skip, FC_DST_SKIP_SHIFT);
	assert_int_equal(st->jitter_ns, 0);
	/* and the new columns take a policy from then on */
	sfx_register(f, SFX_PREAMBLE SFX_LP("new", "cron: \"0 * * * *\", kickoff_input: day, jitter: 10s"));
	sfx_restart(f);
	sfx_step(f, sfx_now(f));
	assert_int_equal(sfx_status(f, "new")->jitter_ns, sch_jitter_ns("sched", "development", "new", 10000));
	sfx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dst_repeat_through_scheduler),
		cmocka_unit_test(test_dst_skip_through_scheduler),
		cmocka_unit_test(test_jitter_fires_at_the_plan_offset),
		cmocka_unit_test(test_jitter_is_not_lateness),
		cmocka_unit_test(test_jitter_spreads),
		cmocka_unit_test(test_status_json),
		cmocka_unit_test(test_missed_slots_metric_and_log),
		cmocka_unit_test(test_migration_3_from_an_old_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
