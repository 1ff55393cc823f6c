/*
 * test_cron.c: the cron parser (must-accept, must-reject with columns, round trip of the canonical form) and
 * next-fire times under pinned instants in several zones, DST edges included, checked against tables and against
 * a minute-by-minute reference implementation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/cron.h"
#include "core/err.h"
#include "core/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t rfc(const char *s)
{
	int64_t t = 0;
	struct fc_err err;

	if (fc_time_parse_rfc3339(s, &t, NULL, &err))
		fail_msg("parsing %s: %s", s, err.msg);
	return t;
}

static struct fc_tz *load(const char *name)
{
	struct fc_tz *tz = NULL;
	struct fc_err err;

	if (fc_tz_load(name, &tz, &err))
		fail_msg("loading %s: %s", name, err.msg);
	return tz;
}

static struct fc_cron *parse(const char *expr)
{
	struct fc_cron *c = NULL;
	struct fc_err err;
	size_t col;

	if (fc_cron_parse(expr, &c, &col, &err))
		fail_msg("'%s' refused: %s", expr, err.msg);
	return c;
}

static void normalise(const struct fc_cron *c, struct fc_buf *out)
{
	fc_buf_reset(out);
	fc_cron_normalise(c, out);
}

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int rnd_in(int lo, int hi)
{
	return lo + (int)(rnd() % (uint64_t)(hi - lo + 1));
}

/* --- next-fire tables ------------------------------------------------------------------------------------------ */

struct next_case {
	const char *zone; /* passed as the default zone; NULL: UTC */
	const char *expr;
	const char *from;
	const char *anchor; /* @every only */
	const char *want[9]; /* RFC 3339 in the schedule's zone, NULL-terminated */
};

static const struct next_case next_cases[] = {
	/* UTC basics */
	{NULL, "*/15 * * * *", "2024-01-01T00:07:00Z", NULL,
	 {"2024-01-01T00:15:00Z", "2024-01-01T00:30:00Z", "2024-01-01T00:45:00Z", "2024-01-01T01:00:00Z"}},
	{NULL, "* * * * *", "2024-01-01T00:00:30Z", NULL, {"2024-01-01T00:01:00Z", "2024-01-01T00:02:00Z"}},
	{NULL, "0 9 * * MON-FRI", "2024-03-08T09:00:00Z", NULL,
	 {"2024-03-11T09:00:00Z", "2024-03-12T09:00:00Z", "2024-03-13T09:00:00Z", "2024-03-14T09:00:00Z",
	  "2024-03-15T09:00:00Z", "2024-03-18T09:00:00Z"}},
	{NULL, "5/10 * * * *", "2024-01-01T00:00:00Z", NULL, {"2024-01-01T00:05:00Z", "2024-01-01T00:15:00Z"}},
	{NULL, "1-30/7 */6 * * *", "2024-01-01T00:29:00Z", NULL,
	 {"2024-01-01T06:01:00Z", "2024-01-01T06:08:00Z", "2024-01-01T06:15:00Z"}},
	{NULL, "59 23 31 12 *", "2024-12-31T23:59:00Z", NULL, {"2025-12-31T23:59:00Z", "2026-12-31T23:59:00Z"}},
	{NULL, "0 0 1 1 *", "1999-12-31T23:59:59Z", NULL, {"2000-01-01T00:00:00Z"}},
	{NULL, "0 0 1 1 *", "1969-06-01T00:00:00Z", NULL, {"1970-01-01T00:00:00Z"}},
	/* month ends: the 31st never fires in 30-day months */
	{NULL, "0 0 31 * *", "2024-01-31T00:00:00Z", NULL,
	 {"2024-03-31T00:00:00Z", "2024-05-31T00:00:00Z", "2024-07-31T00:00:00Z", "2024-08-31T00:00:00Z",
	  "2024-10-31T00:00:00Z", "2024-12-31T00:00:00Z", "2025-01-31T00:00:00Z"}},
	{NULL, "0 0 30 1,2,3 *", "2024-01-30T00:00:00Z", NULL, {"2024-03-30T00:00:00Z", "2025-01-30T00:00:00Z"}},
	{NULL, "0 12 29,30,31 * *", "2023-02-01T00:00:00Z", NULL,
	 {"2023-03-29T12:00:00Z", "2023-03-30T12:00:00Z", "2023-03-31T12:00:00Z", "2023-04-29T12:00:00Z"}},
	/* leap years */
	{NULL, "0 12 29 2 *", "2024-03-01T00:00:00Z", NULL,
	 {"2028-02-29T12:00:00Z", "2032-02-29T12:00:00Z", "2036-02-29T12:00:00Z"}},
	{NULL, "0 0 29 2 *", "2096-03-01T00:00:00Z", NULL, {"2104-02-29T00:00:00Z", "2108-02-29T00:00:00Z"}},
	{NULL, "0 0 29 2 *", "1896-03-01T00:00:00Z", NULL, {"1904-02-29T00:00:00Z"}},
	{NULL, "0 0 29 2 *", "1999-03-01T00:00:00Z", NULL, {"2000-02-29T00:00:00Z"}},
	/* Feb 29 on a Sunday (day-of-week starts with '*', so both must match): 40 years across 2100 */
	{NULL, "0 0 29 2 */7", "2089-01-01T00:00:00Z", NULL, {"2128-02-29T00:00:00Z", "2156-02-29T00:00:00Z"}},
	{NULL, "0 0 29 FEB ?", "2023-01-01T00:00:00Z", NULL, {"2024-02-29T00:00:00Z"}},
	/* Vixie day rule */
	{NULL, "0 0 13 * FRI", "2024-01-01T00:00:00Z", NULL,
	 {"2024-01-05T00:00:00Z", "2024-01-12T00:00:00Z", "2024-01-13T00:00:00Z", "2024-01-19T00:00:00Z",
	  "2024-01-26T00:00:00Z", "2024-02-02T00:00:00Z", "2024-02-09T00:00:00Z", "2024-02-13T00:00:00Z"}},
	{NULL, "0 0 */2 * FRI", "2024-01-01T00:00:00Z", NULL,
	 {"2024-01-05T00:00:00Z", "2024-01-19T00:00:00Z", "2024-02-09T00:00:00Z", "2024-02-23T00:00:00Z",
	  "2024-03-01T00:00:00Z"}},
	{NULL, "0 0 1-31 * FRI", "2024-01-01T00:00:00Z", NULL,
	 {"2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z", "2024-01-04T00:00:00Z"}},
	{NULL, "0 0 * * FRI", "2024-01-01T00:00:00Z", NULL, {"2024-01-05T00:00:00Z", "2024-01-12T00:00:00Z"}},
	{NULL, "0 0 ? * 7", "2024-01-01T00:00:00Z", NULL, {"2024-01-07T00:00:00Z", "2024-01-14T00:00:00Z"}},
	{NULL, "30 4 1,15 * 5", "2024-02-01T05:00:00Z", NULL,
	 {"2024-02-02T04:30:00Z", "2024-02-09T04:30:00Z", "2024-02-15T04:30:00Z", "2024-02-16T04:30:00Z",
	  "2024-02-23T04:30:00Z", "2024-03-01T04:30:00Z"}},
	{NULL, "0 0 29 2 1", "2024-01-01T00:00:00Z", NULL,
	 {"2024-02-05T00:00:00Z", "2024-02-12T00:00:00Z", "2024-02-19T00:00:00Z", "2024-02-26T00:00:00Z",
	  "2024-02-29T00:00:00Z", "2025-02-03T00:00:00Z"}},
	/* descriptors */
	{NULL, "@yearly", "2024-06-01T00:00:00Z", NULL, {"2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"}},
	{NULL, "@annually", "2024-12-31T23:59:59Z", NULL, {"2025-01-01T00:00:00Z"}},
	{NULL, "@monthly", "2024-06-01T00:00:00Z", NULL, {"2024-07-01T00:00:00Z", "2024-08-01T00:00:00Z"}},
	{NULL, "@weekly", "2024-06-01T00:00:00Z", NULL, {"2024-06-02T00:00:00Z", "2024-06-09T00:00:00Z"}},
	{NULL, "@daily", "2024-02-28T10:00:00Z", NULL, {"2024-02-29T00:00:00Z", "2024-03-01T00:00:00Z"}},
	{NULL, "@midnight", "2024-02-28T00:00:00Z", NULL, {"2024-02-29T00:00:00Z"}},
	{NULL, "@hourly", "2024-01-01T00:30:00Z", NULL, {"2024-01-01T01:00:00Z", "2024-01-01T02:00:00Z"}},
	/* zones in the expression win over the default */
	{NULL, "CRON_TZ=Asia/Kolkata 0 9 * * *", "2024-01-01T00:00:00Z", NULL,
	 {"2024-01-01T09:00:00+05:30", "2024-01-02T09:00:00+05:30"}},
	{"America/New_York", "TZ=Pacific/Chatham 0 9 * * *", "2024-01-01T00:00:00Z", NULL,
	 {"2024-01-02T09:00:00+13:45"}},
	{"Asia/Kolkata", "*/45 * * * *", "2024-01-01T00:00:00+05:30", NULL,
	 {"2024-01-01T00:45:00+05:30", "2024-01-01T01:00:00+05:30", "2024-01-01T01:45:00+05:30"}},
	{"Asia/Kolkata", "0 0 * * *", "2024-01-01T00:00:00Z", NULL, {"2024-01-02T00:00:00+05:30"}},

	/* America/New_York, spring forward 2024-03-10 02:00 -> 03:00 */
	{"America/New_York", "30 2 * * *", "2024-03-09T00:00:00-05:00", NULL,
	 {"2024-03-09T02:30:00-05:00", "2024-03-10T03:00:00-04:00", "2024-03-11T02:30:00-04:00"}},
	{"America/New_York", "30 2 * * *", "2024-03-10T01:59:59-05:00", NULL,
	 {"2024-03-10T03:00:00-04:00", "2024-03-11T02:30:00-04:00"}},
	{"America/New_York", "30 2 * * *", "2024-03-10T01:59:00-05:00", NULL, {"2024-03-10T03:00:00-04:00"}},
	{"America/New_York", "30 2 * * *", "2024-03-10T03:00:00-04:00", NULL, {"2024-03-11T02:30:00-04:00"}},
	{"America/New_York", "30 1 * * *", "2024-11-03T01:59:59-04:00", NULL, {"2024-11-04T01:30:00-05:00"}},
	{"America/New_York", "30 * * * *", "2024-11-03T01:59:59-04:00", NULL, {"2024-11-03T01:30:00-05:00"}},
	{"America/New_York", "0 2 * * *", "2024-03-09T12:00:00-05:00", NULL,
	 {"2024-03-10T03:00:00-04:00", "2024-03-11T02:00:00-04:00"}},
	{"America/New_York", "15 2 * * 0", "2024-03-01T00:00:00-05:00", NULL,
	 {"2024-03-03T02:15:00-05:00", "2024-03-10T03:00:00-04:00", "2024-03-17T02:15:00-04:00"}},
	{"America/New_York", "0 * * * *", "2024-03-10T00:30:00-05:00", NULL,
	 {"2024-03-10T01:00:00-05:00", "2024-03-10T03:00:00-04:00", "2024-03-10T04:00:00-04:00"}},
	{"America/New_York", "*/30 * * * *", "2024-03-10T01:00:00-05:00", NULL,
	 {"2024-03-10T01:30:00-05:00", "2024-03-10T03:00:00-04:00", "2024-03-10T03:30:00-04:00"}},
	{"America/New_York", "0 3 * * *", "2024-03-09T12:00:00-05:00", NULL,
	 {"2024-03-10T03:00:00-04:00", "2024-03-11T03:00:00-04:00"}},
	/* ... and fall back 2024-11-03 02:00 -> 01:00 */
	{"America/New_York", "30 1 * * *", "2024-11-02T12:00:00-04:00", NULL,
	 {"2024-11-03T01:30:00-04:00", "2024-11-04T01:30:00-05:00"}},
	{"America/New_York", "0 1 * * *", "2024-11-03T01:30:00-05:00", NULL, {"2024-11-04T01:00:00-05:00"}},
	{"America/New_York", "0 * * * *", "2024-11-03T00:30:00-04:00", NULL,
	 {"2024-11-03T01:00:00-04:00", "2024-11-03T01:00:00-05:00", "2024-11-03T02:00:00-05:00"}},
	{"America/New_York", "*/15 * * * *", "2024-11-03T01:20:00-04:00", NULL,
	 {"2024-11-03T01:30:00-04:00", "2024-11-03T01:45:00-04:00", "2024-11-03T01:00:00-05:00",
	  "2024-11-03T01:15:00-05:00", "2024-11-03T01:30:00-05:00", "2024-11-03T01:45:00-05:00",
	  "2024-11-03T02:00:00-05:00"}},
	{"America/New_York", "*/20 1 * * *", "2024-11-03T00:00:00-04:00", NULL,
	 {"2024-11-03T01:00:00-04:00", "2024-11-03T01:20:00-04:00", "2024-11-03T01:40:00-04:00",
	  "2024-11-04T01:00:00-05:00"}},
	/* past the zone file's last transition (2037): the footer's rules */
	{"America/New_York", "30 2 * * *", "2045-03-11T12:00:00-05:00", NULL,
	 {"2045-03-12T03:00:00-04:00", "2045-03-13T02:30:00-04:00"}},
	{"America/New_York", "30 1 * * *", "2052-11-02T12:00:00-04:00", NULL,
	 {"2052-11-03T01:30:00-04:00", "2052-11-04T01:30:00-05:00"}},

	/* Europe/Berlin: 2024-03-31 02:00 -> 03:00, 2024-10-27 03:00 -> 02:00 */
	{"Europe/Berlin", "30 2 * * *", "2024-03-30T12:00:00+01:00", NULL,
	 {"2024-03-31T03:00:00+02:00", "2024-04-01T02:30:00+02:00"}},
	{"Europe/Berlin", "30 2 * * *", "2024-10-26T12:00:00+02:00", NULL,
	 {"2024-10-27T02:30:00+02:00", "2024-10-28T02:30:00+01:00"}},
	{"Europe/Berlin", "0,30 * * * *", "2024-10-27T01:45:00+02:00", NULL,
	 {"2024-10-27T02:00:00+02:00", "2024-10-27T02:30:00+02:00", "2024-10-27T02:00:00+01:00",
	  "2024-10-27T02:30:00+01:00", "2024-10-27T03:00:00+01:00"}},
	{"Europe/Berlin", "*/15 2 * * *", "2024-03-30T12:00:00+01:00", NULL,
	 {"2024-03-31T03:00:00+02:00", "2024-04-01T02:00:00+02:00"}},
	{"Europe/Berlin", "0 3 * * *", "2024-10-26T12:00:00+02:00", NULL,
	 {"2024-10-27T03:00:00+01:00", "2024-10-28T03:00:00+01:00"}},
	{"Europe/Berlin", "0 9 * * MON-FRI", "2024-03-29T10:00:00+01:00", NULL,
	 {"2024-04-01T09:00:00+02:00", "2024-04-02T09:00:00+02:00"}},

	/* Australia/Lord_Howe: half-hour DST. 2024-10-06 02:00 -> 02:30, 2024-04-07 02:00 -> 01:30 */
	{"Australia/Lord_Howe", "0 2 * * *", "2024-10-05T12:00:00+10:30", NULL,
	 {"2024-10-06T02:30:00+11:00", "2024-10-07T02:00:00+11:00"}},
	{"Australia/Lord_Howe", "15 2 * * *", "2024-10-05T12:00:00+10:30", NULL, {"2024-10-06T02:30:00+11:00"}},
	{"Australia/Lord_Howe", "45 2 * * *", "2024-10-05T12:00:00+10:30", NULL, {"2024-10-06T02:45:00+11:00"}},
	{"Australia/Lord_Howe", "*/15 * * * *", "2024-10-06T01:40:00+10:30", NULL,
	 {"2024-10-06T01:45:00+10:30", "2024-10-06T02:30:00+11:00", "2024-10-06T02:45:00+11:00"}},
	{"Australia/Lord_Howe", "*/15 * * * *", "2024-04-07T01:40:00+11:00", NULL,
	 {"2024-04-07T01:45:00+11:00", "2024-04-07T01:30:00+10:30", "2024-04-07T01:45:00+10:30",
	  "2024-04-07T02:00:00+10:30"}},
	{"Australia/Lord_Howe", "45 1 * * *", "2024-04-06T12:00:00+11:00", NULL,
	 {"2024-04-07T01:45:00+11:00", "2024-04-08T01:45:00+10:30"}},

	/* Pacific/Chatham: +12:45 / +13:45, changes at 02:45 standard time */
	{"Pacific/Chatham", "0 3 * * *", "2024-09-28T12:00:00+12:45", NULL,
	 {"2024-09-29T03:45:00+13:45", "2024-09-30T03:00:00+13:45"}},
	{"Pacific/Chatham", "0 * * * *", "2024-09-29T01:30:00+12:45", NULL,
	 {"2024-09-29T02:00:00+12:45", "2024-09-29T03:45:00+13:45", "2024-09-29T04:00:00+13:45"}},
	{"Pacific/Chatham", "0 3 * * *", "2024-04-06T12:00:00+13:45", NULL,
	 {"2024-04-07T03:00:00+13:45", "2024-04-08T03:00:00+12:45"}},
	{"Pacific/Chatham", "0 9 * * *", "2024-07-01T00:00:00Z", NULL, {"2024-07-02T09:00:00+12:45"}},

	/* America/Sao_Paulo: DST until 2019, starting at midnight */
	{"America/Sao_Paulo", "@daily", "2018-11-03T12:00:00-03:00", NULL,
	 {"2018-11-04T01:00:00-02:00", "2018-11-05T00:00:00-02:00"}},
	{"America/Sao_Paulo", "30 23 * * *", "2019-02-16T12:00:00-02:00", NULL,
	 {"2019-02-16T23:30:00-02:00", "2019-02-17T23:30:00-03:00"}},
	{"America/Sao_Paulo", "0 0 * * *", "2024-11-02T12:00:00-03:00", NULL,
	 {"2024-11-03T00:00:00-03:00", "2024-11-04T00:00:00-03:00"}},

	/* @every: anchor + k * period, k >= 1 */
	{NULL, "@every 90s", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z",
	 {"2024-01-01T00:01:30Z", "2024-01-01T00:03:00Z", "2024-01-01T00:04:30Z"}},
	{NULL, "@every 1h", "2024-01-01T05:00:00Z", "2024-01-01T00:20:00Z",
	 {"2024-01-01T05:20:00Z", "2024-01-01T06:20:00Z"}},
	{NULL, "@every 1h", "2023-12-01T00:00:00Z", "2024-01-01T00:00:00Z", {"2024-01-01T01:00:00Z"}},
	{NULL, "@every 1h30m", "2024-01-01T01:29:59Z", "2024-01-01T00:00:00Z",
	 {"2024-01-01T01:30:00Z", "2024-01-01T03:00:00Z"}},
	{"America/New_York", "@every 24h", "2024-03-09T12:00:00-05:00", "2024-03-09T12:00:00-05:00",
	 {"2024-03-10T13:00:00-04:00", "2024-03-11T13:00:00-04:00"}},
};

static void check_next_case(const struct next_case *nc)
{
	struct fc_tz *zone = nc->zone ? load(nc->zone) : NULL;
	struct fc_cron *c = parse(nc->expr);
	const struct fc_tz *shown = fc_cron_zone(c) ? fc_cron_zone(c) : zone ? zone : fc_tz_utc();
	int64_t t = rfc(nc->from), anchor = nc->anchor ? rfc(nc->anchor) : 0;

	for (int i = 0; nc->want[i]; i++) {
		struct fc_civil civil;
		char got[FC_RFC3339_MAX];
		int64_t prev = t;

		t = fc_cron_next(c, zone, t, anchor);
		if (t == FC_CRON_NONE)
			fail_msg("%s [%s] from %s: #%d: no fire time, want %s", nc->expr, nc->zone ? nc->zone : "UTC",
				 nc->from, i, nc->want[i]);
		fc_tz_to_local(shown, t, &civil);
		fc_time_format_rfc3339(t, civil.utc_offset, got);
		if (strcmp(got, nc->want[i]))
			fail_msg("%s [%s] from %s: #%d: got %s, want %s", nc->expr, nc->zone ? nc->zone : "UTC",
				 nc->from, i, got, nc->want[i]);
		assert_true(t > prev);
	}
	fc_cron_free(c);
	fc_tz_free(zone);
}

/* Explicit DST policies: each want is a time and the rule that gave it (P plain, S shifted, F first, L last). */
struct dst_case {
	const char *zone, *expr, *repeat, *skip, *from;
	const char *want[6];
	const char *rules;
};

static const struct dst_case dst_cases[] = {
	/* Europe/Berlin: 2024-03-31 02:00 -> 03:00, 2024-10-27 03:00 -> 02:00 */
	{"Europe/Berlin", "30 2 * * *", "auto", "shift", "2024-03-30T12:00:00+01:00",
	 {"2024-03-31T03:00:00+02:00", "2024-04-01T02:30:00+02:00"}, "SP"},
	{"Europe/Berlin", "30 2 * * *", "auto", "skip", "2024-03-30T12:00:00+01:00",
	 {"2024-04-01T02:30:00+02:00"}, "P"},
	{"Europe/Berlin", "30 2 * * *", "first", "shift", "2024-10-26T12:00:00+02:00",
	 {"2024-10-27T02:30:00+02:00", "2024-10-28T02:30:00+01:00"}, "FP"},
	{"Europe/Berlin", "30 2 * * *", "last", "shift", "2024-10-26T12:00:00+02:00",
	 {"2024-10-27T02:30:00+01:00", "2024-10-28T02:30:00+01:00"}, "LP"},
	{"Europe/Berlin", "30 2 * * *", "both", "shift", "2024-10-26T12:00:00+02:00",
	 {"2024-10-27T02:30:00+02:00", "2024-10-27T02:30:00+01:00", "2024-10-28T02:30:00+01:00"}, "FLP"},
	{"Europe/Berlin", "0 * * * *", "first", "shift", "2024-10-27T01:30:00+02:00",
	 {"2024-10-27T02:00:00+02:00", "2024-10-27T03:00:00+01:00"}, "FP"},
	{"Europe/Berlin", "0 * * * *", "last", "shift", "2024-10-27T01:30:00+02:00",
	 {"2024-10-27T02:00:00+01:00", "2024-10-27T03:00:00+01:00"}, "LP"},
	{"Europe/Berlin", "0 * * * *", "auto", "shift", "2024-10-27T01:30:00+02:00",
	 {"2024-10-27T02:00:00+02:00", "2024-10-27T02:00:00+01:00", "2024-10-27T03:00:00+01:00"}, "FLP"},
	{"Europe/Berlin", "*/30 2 * * *", "auto", "skip", "2024-03-31T00:00:00+01:00",
	 {"2024-04-01T02:00:00+02:00"}, "P"},
	/* America/New_York: 2024-03-10 02:00 -> 03:00, 2024-11-03 02:00 -> 01:00 */
	{"America/New_York", "30 1 * * *", "last", "shift", "2024-11-02T12:00:00-04:00",
	 {"2024-11-03T01:30:00-05:00", "2024-11-04T01:30:00-05:00"}, "LP"},
	{"America/New_York", "30 1 * * *", "both", "skip", "2024-11-02T12:00:00-04:00",
	 {"2024-11-03T01:30:00-04:00", "2024-11-03T01:30:00-05:00"}, "FL"},
	{"America/New_York", "30 2 * * *", "both", "skip", "2024-03-09T12:00:00-05:00",
	 {"2024-03-11T02:30:00-04:00"}, "P"},
	/* Australia/Lord_Howe: 30-minute shifts, 2024-04-07 02:00 -> 01:30, 2024-10-06 02:00 -> 02:30 */
	{"Australia/Lord_Howe", "45 1 * * *", "last", "shift", "2024-04-06T12:00:00+11:00",
	 {"2024-04-07T01:45:00+10:30", "2024-04-08T01:45:00+10:30"}, "LP"},
	{"Australia/Lord_Howe", "45 1 * * *", "both", "shift", "2024-04-06T12:00:00+11:00",
	 {"2024-04-07T01:45:00+11:00", "2024-04-07T01:45:00+10:30"}, "FL"},
	{"Australia/Lord_Howe", "15 2 * * *", "auto", "skip", "2024-10-05T12:00:00+10:30",
	 {"2024-10-07T02:15:00+11:00"}, "P"},
	{"Australia/Lord_Howe", "15 2 * * *", "auto", "shift", "2024-10-05T12:00:00+10:30",
	 {"2024-10-06T02:30:00+11:00", "2024-10-07T02:15:00+11:00"}, "SP"},
	/* Pacific/Apia skipped 2011-12-30 altogether (-10 -> +14 at the end of the 29th) */
	{"Pacific/Apia", "0 9 * * *", "auto", "shift", "2011-12-29T12:00:00-10:00",
	 {"2011-12-31T00:00:00+14:00", "2011-12-31T09:00:00+14:00"}, "SP"},
	{"Pacific/Apia", "0 9 * * *", "auto", "skip", "2011-12-29T12:00:00-10:00",
	 {"2011-12-31T09:00:00+14:00"}, "P"},
};

static void test_dst_policies(void **state)
{
	(void)state;
	for (size_t k = 0; k < FC_ARRAY_LEN(dst_cases); k++) {
		const struct dst_case *dc = &dst_cases[k];
		struct fc_tz *zone = load(dc->zone);
		struct fc_cron *c = parse(dc->expr);
		struct fc_cron_dst dst;
		struct fc_err err;
		int64_t t = rfc(dc->from);

		assert_int_equal(fc_cron_dst_repeat_parse(dc->repeat, &dst.repeat, &err), FC_OK);
		assert_int_equal(fc_cron_dst_skip_parse(dc->skip, &dst.skip, &err), FC_OK);
		for (int i = 0; dc->want[i]; i++) {
			static const char letters[] = "PSFL";
			struct fc_civil civil;
			char got[FC_RFC3339_MAX];
			enum fc_cron_rule rule;

			t = fc_cron_next_dst(c, zone, t, 0, &dst, &rule);
			assert_true(t != FC_CRON_NONE);
			fc_tz_to_local(zone, t, &civil);
			fc_time_format_rfc3339(t, civil.utc_offset, got);
			if (strcmp(got, dc->want[i]) || letters[rule] != dc->rules[i])
				fail_msg("%s [%s] repeat %s skip %s from %s: #%d: got %s (%c), want %s (%c)", dc->expr,
					 dc->zone, dc->repeat, dc->skip, dc->from, i, got, letters[rule], dc->want[i],
					 dc->rules[i]);
		}
		fc_cron_free(c);
		fc_tz_free(zone);
	}
	{
		enum fc_cron_dst_repeat r;
		enum fc_cron_dst_skip sk;
		struct fc_err err;

		assert_int_equal(fc_cron_dst_repeat_parse("twice", &r, &err), FC_EINVAL);
		assert_non_null(strstr(err.msg, "first, last, both"));
		assert_int_equal(fc_cron_dst_skip_parse("", &sk, &err), FC_EINVAL);
	}
	print_message("%zu DST policy tables\n", FC_ARRAY_LEN(dst_cases));
}

static void test_next_tables(void **state)
{
	(void)state;
	for (size_t i = 0; i < FC_ARRAY_LEN(next_cases); i++)
		check_next_case(&next_cases[i]);
	print_message("%zu next-fire tables\n", FC_ARRAY_LEN(next_cases));
}

/* --- must reject ----------------------------------------------------------------------------------------------- */

struct reject_case {
	const char *expr;
	size_t column;
	const char *msg;
};

static const struct reject_case reject_cases[] = {
	{"", 1, "empty schedule"},
	{"   ", 4, "empty schedule"},
	{"* * * *", 8, "expected 5 fields (minute hour day-of-month month day-of-week), found 4"},
	{"0 0", 4, "missing day-of-month"},
	{"* * * * * *", 11, "too many fields"},
	{"0 0 1 1 * 2024", 11, "seconds and year fields are not supported"},
	{"60 * * * *", 1, "minute 60 is out of range 0-59"},
	{"* 24 * * *", 3, "hour 24 is out of range 0-23"},
	{"* * 0 * *", 5, "day-of-month 0 is out of range 1-31"},
	{"0 0 32 * *", 5, "day-of-month 32 is out of range 1-31"},
	{"0 0 1 13 *", 7, "month 13 is out of range 1-12"},
	{"0 0 1 0 *", 7, "month 0 is out of range 1-12"},
	{"0 0 * * 8", 9, "day-of-week 8 is out of range 0-7"},
	{"0 0 * * 0-8", 11, "day-of-week 8 is out of range 0-7"},
	{"1-60 * * * *", 3, "minute 60 is out of range"},
	{"*/0 * * * *", 3, "minute step 0 is out of range 1-60"},
	{"*/61 * * * *", 3, "minute step 61 is out of range 1-60"},
	{"0 */25 * * *", 5, "hour step 25 is out of range 1-24"},
	{"0 0 * * 0-7/0", 13, "day-of-week step 0"},
	{"5-1 * * * *", 1, "minute range 5-1 ends before it starts"},
	{"0 0 * * FRI-MON", 9, "range FRI-MON ends before it starts"},
	{"0 0 * * MON-SUN", 9, "Sunday is 0 or 7: write 1-7"},
	{"0 0 * * 7-1", 9, "ends before it starts"},
	{"a * * * *", 1, "unexpected 'a': minute takes numbers 0-59"},
	{"cron_tz=UTC 0 0 * *", 1, "the time zone prefix is upper-case: write CRON_TZ="},
	{"Tz=UTC 0 0 * * *", 1, "write TZ="},
	{"cron 0 0 * *", 1, "unexpected 'cron': minute takes numbers"},
	{"0 0 * JANUARY *", 7, "unknown month name 'JANUARY' (use JAN-DEC or 1-12)"},
	{"0 0 * * SUNDAY", 9, "unknown day-of-week name 'SUNDAY'"},
	{"0 0 * * MON-", 13, "missing end of the day-of-week range"},
	{"1,,2 * * * *", 3, "empty element in the minute list"},
	{"1, * * * *", 3, "empty element in the minute list"},
	{",1 * * * *", 1, "empty element"},
	{"? * * * *", 1, "'?' is only allowed in day-of-month and day-of-week"},
	{"0 0 ?/2 * *", 6, "'?' cannot take a step"},
	{"0 0 * * 1#2", 10, "'#' (nth weekday of the month) is not supported"},
	{"0 0 L * *", 5, "'L' (last day) is not supported"},
	{"0 0 15W * *", 7, "'W' (nearest weekday) is not supported"},
	{"0 0 * * 5L", 10, "'L' (last day) is not supported"},
	{"1-2-3 * * * *", 4, "unexpected '-' in minute"},
	{"1/2/3 * * * *", 4, "unexpected '/' in minute"},
	{"*/ * * * *", 3, "missing step after '/'"},
	{"/5 * * * *", 1, "unexpected '/' in minute"},
	{"*-5 * * * *", 2, "'*' cannot start a range"},
	{"1-* * * * *", 3, "'*' cannot end a range"},
	{"*/x * * * *", 3, "the step after '/' must be a number"},
	{"1234567 * * * *", 1, "too large"},
	{"+5 * * * *", 1, "unexpected '+' in minute"},
	{"0 0 * * *\n", 10, "unexpected byte 0x0a in day-of-week"},
	{"0 0 30 2 *", 5, "day-of-month 30 never occurs in February, so the schedule never fires"},
	{"0 0 31 4,6,9,11 *", 5, "day-of-month 31 never occurs in April, June, September or November"},
	{"0 0 30,31 FEB ?", 5, "never occurs in February"},
	{"@fortnightly", 1, "unknown descriptor '@fortnightly'"},
	{"@DAILY", 1, "descriptors are lower-case: write @daily"},
	{"@Every 5m", 1, "descriptors are lower-case: write @every"},
	{"@daily 0", 8, "unexpected text after the schedule"},
	{"@every", 7, "missing duration after @every"},
	{"@every 0s", 8, "the @every period must be at least 1s"},
	{"@every 0", 8, "at least 1s"},
	{"@every 500ms", 8, "whole number of seconds"},
	{"@every 1.5s", 8, "whole number of seconds"},
	{"@every 1d", 9, "unknown unit 'd' in the @every duration: write 24h for a day"},
	{"@every 10", 10, "missing unit after the number"},
	{"@every -5m", 8, "cannot have a sign"},
	{"@every 1h 30m", 11, "unexpected text after the schedule"},
	{"@every 3000000h", 8, "too large"},
	{"@every 1x", 9, "unknown unit 'x'"},
	{"@every .", 9, "expected a number"},
	{"CRON_TZ=Mars/Olympus 0 0 * * *", 9, "unknown time zone 'Mars/Olympus'"},
	{"CRON_TZ=../etc/passwd 0 0 * * *", 9, "invalid time zone name"},
	{"TZ=/etc/passwd 0 0 * * *", 4, "invalid time zone name"},
	{"CRON_TZ= 0 0 * * *", 9, "missing time zone name after 'CRON_TZ='"},
	{"CRON_TZ=UTC", 12, "expected a schedule after the time zone"},
	{"TZ=Europe/Berlin   ", 20, "expected a schedule after the time zone"},
	{"CRON_TZ=Europe/Berlin@daily", 22, "invalid time zone name"},
	{"CRON_TZ=Europe/Berlin 0 0 32 * *", 27, "day-of-month 32"},
	{"CRON_TZ=right/UTC 0 0 * * *", 9, "leap seconds"},
};

static void test_rejects(void **state)
{
	(void)state;
	for (size_t i = 0; i < FC_ARRAY_LEN(reject_cases); i++) {
		const struct reject_case *rc = &reject_cases[i];
		struct fc_cron *c = NULL;
		struct fc_err err;
		size_t col = 0;
		char prefix[32];

		if (!fc_cron_parse(rc->expr, &c, &col, &err)) {
			fc_cron_free(c);
			fail_msg("accepted '%s'", rc->expr);
		}
		assert_null(c);
		assert_int_equal(err.code, FC_EPARSE);
		snprintf(prefix, sizeof(prefix), "column %zu: ", rc->column);
		if (col != rc->column || strncmp(err.msg, prefix, strlen(prefix)) || !strstr(err.msg, rc->msg))
			fail_msg("'%s': got column %zu '%s', want column %zu '%s'", rc->expr, col, err.msg, rc->column,
				 rc->msg);
	}
	print_message("%zu must-reject cases\n", FC_ARRAY_LEN(reject_cases));
	/* Too long. */
	{
		char longexpr[FC_CRON_MAX_LEN + 20];
		struct fc_cron *c = NULL;
		struct fc_err err;
		size_t col;

		memset(longexpr, ' ', sizeof(longexpr) - 1);
		longexpr[sizeof(longexpr) - 1] = '\0';
		assert_int_equal(fc_cron_parse(longexpr, &c, &col, &err), FC_ELIMIT);
		assert_int_equal(col, FC_CRON_MAX_LEN + 1);
		assert_int_equal(fc_cron_parse(NULL, &c, &col, &err), FC_EINVAL);
	}
}

/* --- canonical form --------------------------------------------------------------------------------------------- */

static const struct {
	const char *in;
	const char *canon;
} canon_cases[] = {
	{"*/15 * * * *", "*/15 * * * *"},
	{"0,15,30,45 * * * *", "*/15 * * * *"},
	{"0-59/15 * * * *", "*/15 * * * *"},
	{"5/10 * * * *", "5-55/10 * * * *"},
	{"1,2,3,5 * * * *", "1-3,5 * * * *"},
	{"1,2 * * * *", "1,2 * * * *"},
	{"0 0,12 * * *", "0 0,12 * * *"},
	{"0 0-23/6 * * *", "0 */6 * * *"},
	{"0 1-23/2 * * *", "0 1-23/2 * * *"},
	{"0 0-23 * * *", "0 * * * *"},
	{"* * * * *", "* * * * *"},
	{"*/1 * * * *", "* * * * *"},
	{"  0   9\t* * *  ", "0 9 * * *"},
	{"0 9 * JAN-MAR MON-FRI", "0 9 * 1-3 1-5"},
	{"0 9 * jan-Mar mon-fri", "0 9 * 1-3 1-5"},
	{"0 0 1 */3 *", "0 0 1 */3 *"},
	{"0 0 * * 7", "0 0 * * 0"},
	{"0 0 * * 5-7", "0 0 * * 0,5,6"},
	{"0 0 * * 1,7", "0 0 * * 0,1"},
	{"0 0 ? * SUN", "0 0 * * 0"},
	{"0 0 1-31 * 1", "0 0 1-31 * 1"},
	{"0 0 */2 * 1", "0 0 */2 * 1"},
	{"0 0 1-31/2 * 1", "0 0 1-31/2 * 1"},
	{"0 0 */2,4 * *", "0 0 */2,4 * *"},
	{"0 0 */31 * 1", "0 0 */31 * 1"},
	{"0 0 * * */2", "0 0 * * */2"},
	{"0 0 * * */7", "0 0 * * */7"},
	{"0 0 * * 1-5/2", "0 0 * * 1-5/2"},
	{"0 0 * * 0-6", "0 0 * * 0-6"},
	{"0 0 * * 0-7", "0 0 * * 0-6"},
	{"0 0 * * ?", "0 0 * * *"},
	{"@daily", "0 0 * * *"},
	{"@midnight", "0 0 * * *"},
	{"@hourly", "0 * * * *"},
	{"@weekly", "0 0 * * 0"},
	{"@monthly", "0 0 1 * *"},
	{"@yearly", "0 0 1 1 *"},
	{"@annually", "0 0 1 1 *"},
	{"@every 90m", "@every 1h30m"},
	{"@every 3600s", "@every 1h"},
	{"@every 1.5h", "@every 1h30m"},
	{"@every 1h1h", "@every 2h"},
	{"@every 2000ms", "@every 2s"},
	{"@every 86400s", "@every 24h"},
	{"@every 1m30s", "@every 1m30s"},
	{"@every 0.5m", "@every 30s"},
	{"@every 3000000000us", "@every 50m"},
	{"@every 2562047h47m16s", "@every 2562047h47m16s"},
	{"TZ=Europe/Berlin 0 9 * * *", "CRON_TZ=Europe/Berlin 0 9 * * *"},
	{"CRON_TZ=UTC @daily", "CRON_TZ=UTC 0 0 * * *"},
	{"CRON_TZ=America/New_York @every 5m", "CRON_TZ=America/New_York @every 5m"},
	{"  TZ=Asia/Kolkata\t 30 5 * * *", "CRON_TZ=Asia/Kolkata 30 5 * * *"},
};

static void check_round_trip(const char *in, const char *want)
{
	struct fc_buf a = FC_BUF_INIT, b = FC_BUF_INIT;
	struct fc_cron *c1 = parse(in), *c2;

	normalise(c1, &a);
	if (want && strcmp(a.buf, want))
		fail_msg("normalise('%s') = '%s', want '%s'", in, a.buf, want);
	c2 = parse(a.buf);
	if (!fc_cron_equal(c1, c2))
		fail_msg("parse(normalise('%s')) = parse('%s') differs from the original", in, a.buf);
	normalise(c2, &b);
	if (strcmp(a.buf, b.buf))
		fail_msg("normalise is not idempotent: '%s' -> '%s' -> '%s'", in, a.buf, b.buf);
	fc_cron_free(c1);
	fc_cron_free(c2);
	fc_buf_release(&a);
	fc_buf_release(&b);
}

static void test_canonical(void **state)
{
	(void)state;
	for (size_t i = 0; i < FC_ARRAY_LEN(canon_cases); i++)
		check_round_trip(canon_cases[i].in, canon_cases[i].canon);
	print_message("%zu canonical forms\n", FC_ARRAY_LEN(canon_cases));
}

static void test_equal(void **state)
{
	struct fc_cron *a = parse("@daily"), *b = parse("0 0 * * *"), *c = parse("0 0 1-31 * *"),
		       *d = parse("CRON_TZ=UTC 0 0 * * *"), *e = parse("@every 60s"), *f = parse("@every 1m");

	(void)state;
	assert_true(fc_cron_equal(a, b));
	assert_false(fc_cron_equal(a, c)); /* same days, different day rule flag */
	assert_false(fc_cron_equal(a, d)); /* zone */
	assert_true(fc_cron_equal(e, f));
	assert_false(fc_cron_equal(a, e));
	assert_true(fc_cron_equal(NULL, NULL));
	assert_false(fc_cron_equal(a, NULL));
	assert_true(fc_cron_is_every(e));
	assert_int_equal(fc_cron_period(e), 60);
	assert_false(fc_cron_is_every(a));
	assert_int_equal(fc_cron_period(a), 0);
	assert_null(fc_cron_zone(a));
	assert_string_equal(fc_tz_name(fc_cron_zone(d)), "UTC");
	fc_cron_free(a);
	fc_cron_free(b);
	fc_cron_free(c);
	fc_cron_free(d);
	fc_cron_free(e);
	fc_cron_free(f);
	fc_cron_free(NULL);
}

/* --- random expressions: round trip, and next() against a minute-by-minute reference ---------------------------- */

struct ref {
	uint64_t sets[5];
	bool mday_star, wday_star;
};

static const struct {
	int lo, hi, star_hi;
	const char *const *names;
	int base;
} gen_fields[5] = {
	{0, 59, 59, NULL, 0},
	{0, 23, 23, NULL, 0},
	{1, 31, 31, NULL, 0},
	{1, 12, 12, (const char *const[]){"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT",
					  "NOV", "DEC"},
	 1},
	{0, 7, 6, (const char *const[]){"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}, 0},
};

static void gen_value(struct fc_buf *out, int f, int v)
{
	if (gen_fields[f].names && v - gen_fields[f].base < (f == 4 ? 7 : 12) && rnd() % 3 == 0) {
		const char *name = gen_fields[f].names[v - gen_fields[f].base];

		if (rnd() % 2)
			fc_buf_addf(out, "%c%c%c", name[0], name[1] + 32, name[2] + 32);
		else
			fc_buf_adds(out, name);
	} else {
		fc_buf_addf(out, "%d", v);
	}
}

static void ref_add(uint64_t *set, int f, int a, int b, int step)
{
	for (int v = a; v <= b; v += step)
		*set |= UINT64_C(1) << (f == 4 && v == 7 ? 0 : v);
}

/* One random field; `dense` keeps it likely to fire often. Returns whether it starts with '*' or '?'. */
static bool gen_field(struct fc_buf *out, int f, uint64_t *set, bool dense)
{
	int lo = gen_fields[f].lo, hi = gen_fields[f].hi, shi = gen_fields[f].star_hi, size = shi - lo + 1;
	int nelems = rnd() % 4 == 0 ? rnd_in(2, 3) : 1;
	bool star = false;

	*set = 0;
	for (int e = 0; e < nelems; e++) {
		int form = rnd_in(0, !dense ? 6 : f >= 2 ? 2 : 5), a = rnd_in(lo, hi), b = rnd_in(lo, hi), step = rnd_in(1, size);

		if (e)
			fc_buf_addch(out, ',');
		if (a > b) {
			int tmp = a;

			a = b;
			b = tmp;
		}
		switch (form) {
		case 0:
			if ((f == 2 || f == 4) && rnd() % 3 == 0)
				fc_buf_addch(out, '?');
			else
				fc_buf_addch(out, '*');
			ref_add(set, f, lo, shi, 1);
			star |= e == 0;
			break;
		case 1:
		case 2:
			step = rnd_in(1, dense ? 4 : size);
			fc_buf_addf(out, "*/%d", step);
			ref_add(set, f, lo, shi, step);
			star |= e == 0;
			break;
		case 3:
			gen_value(out, f, a);
			ref_add(set, f, a, a, 1);
			break;
		case 4:
			gen_value(out, f, a);
			fc_buf_addch(out, '-');
			gen_value(out, f, b);
			ref_add(set, f, a, b, 1);
			break;
		case 5:
			gen_value(out, f, a);
			fc_buf_addch(out, '-');
			gen_value(out, f, b);
			fc_buf_addf(out, "/%d", step);
			ref_add(set, f, a, b, step);
			break;
		default:
			fc_buf_addf(out, "%d/%d", a, step);
			ref_add(set, f, a, a > shi ? a : shi, step);
			break;
		}
	}
	return star;
}

/* A random valid field expression with its reference sets (retries until the day fields can ever match). */
static void gen_expr(struct fc_buf *out, struct ref *r, bool dense)
{
	for (;;) {
		bool fires = false;

		fc_buf_reset(out);
		memset(r, 0, sizeof(*r));
		for (int f = 0; f < 5; f++) {
			bool star;

			if (f)
				fc_buf_adds(out, rnd() % 5 ? " " : " \t ");
			star = gen_field(out, f, &r->sets[f], dense || f == 3);
			if (f == 2)
				r->mday_star = star;
			if (f == 4)
				r->wday_star = star;
		}
		if (!r->mday_star && !r->wday_star)
			return;
		for (int m = 1; m <= 12; m++)
			if (r->sets[3] >> m & 1 && __builtin_ctzll(r->sets[2]) <= fc_days_in_month(2000, m))
				fires = true;
		if (fires)
			return;
	}
}

static bool ref_matches(const struct ref *r, const struct fc_civil *c)
{
	bool dom = r->sets[2] >> c->day & 1, dow = r->sets[4] >> c->wday & 1;

	if (!(r->sets[0] >> c->minute & 1) || !(r->sets[1] >> c->hour & 1) || !(r->sets[3] >> c->month & 1))
		return false;
	return (r->mday_star || r->wday_star) ? dom && dow : dom || dow;
}

/* The documented rules, the slow way: look at every minute. */
static int64_t ref_next(const struct ref *r, const struct fc_tz *tz, int64_t after, int64_t limit)
{
	bool all_hours = r->sets[1] == (UINT64_C(1) << 24) - 1;

	for (int64_t t = (after / 60 + 1) * 60; t <= limit; t += 60) {
		struct fc_civil now, before;
		int64_t cand[2];

		fc_tz_to_local(tz, t, &now);
		fc_tz_to_local(tz, t - 1, &before);
		if (before.utc_offset < now.utc_offset) {
			/* t ends a gap: any skipped wall minute that matches fires now */
			for (int64_t w = t + before.utc_offset; w < t + now.utc_offset; w += 60) {
				struct fc_civil wall;

				fc_time_to_civil(w, 0, &wall);
				if (ref_matches(r, &wall))
					return t;
			}
		}
		if (!ref_matches(r, &now))
			continue;
		if (!all_hours && fc_tz_from_local(tz, &now, cand) == 2 && cand[0] != t)
			continue; /* second occurrence of a repeated wall time */
		return t;
	}
	return FC_CRON_NONE;
}

static void test_random_round_trip(void **state)
{
	struct fc_buf expr = FC_BUF_INIT;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		struct ref r;

		gen_expr(&expr, &r, false);
		check_round_trip(expr.buf, NULL);
	}
	fc_buf_release(&expr);
}

static void test_random_against_reference(void **state)
{
	static const struct {
		const char *zone;
		const char *center;
	} windows[] = {
		{"UTC", "2024-02-28T00:00:00Z"},
		{"America/New_York", "2024-03-10T07:00:00Z"},
		{"America/New_York", "2024-11-03T06:00:00Z"},
		{"Europe/Berlin", "2024-03-31T01:00:00Z"},
		{"Europe/Berlin", "2024-10-27T01:00:00Z"},
		{"Australia/Lord_Howe", "2024-04-06T15:00:00Z"},
		{"Australia/Lord_Howe", "2024-10-05T15:30:00Z"},
		{"Pacific/Chatham", "2024-04-06T14:00:00Z"},
		{"Pacific/Chatham", "2024-09-28T14:00:00Z"},
		{"America/Sao_Paulo", "2018-11-04T03:00:00Z"},
		{"America/Sao_Paulo", "2019-02-17T02:00:00Z"},
		{"Asia/Kolkata", "2024-06-01T00:00:00Z"},
		{"America/New_York", "2050-03-13T07:00:00Z"}, /* footer rules */
	};
	struct fc_buf expr = FC_BUF_INIT;
	size_t compared = 0;

	(void)state;
	for (size_t w = 0; w < FC_ARRAY_LEN(windows); w++) {
		struct fc_tz *tz = load(windows[w].zone);
		int64_t center = rfc(windows[w].center), start = center - 2 * 86400, end = center + 2 * 86400;

		for (int i = 0; i < 40; i++) {
			struct ref r;
			struct fc_cron *c;
			/* Start just before the transition, or somewhere in the first hour of the window. */
			int64_t t = i % 4 == 0 ? center - 1 - (int64_t)(rnd() % 3) * 60 : start + (int64_t)(rnd() % 3600);

			gen_expr(&expr, &r, true);
			c = parse(expr.buf);
			for (;;) {
				int64_t want = ref_next(&r, tz, t, end), got = fc_cron_next(c, tz, t, 0);

				if (want == FC_CRON_NONE) {
					if (got != FC_CRON_NONE && got <= end)
						fail_msg("%s [%s] after %lld: got %lld, reference has none before %lld",
							 expr.buf, windows[w].zone, (long long)t, (long long)got,
							 (long long)end);
					break;
				}
				if (got != want)
					fail_msg("%s [%s] after %lld: got %lld, reference %lld", expr.buf,
						 windows[w].zone, (long long)t, (long long)got, (long long)want);
				compared++;
				t = got;
			}
			fc_cron_free(c);
		}
		fc_tz_free(tz);
	}
	print_message("%zu fire times compared with the reference\n", compared);
	fc_buf_release(&expr);
}

/* --- limits, speed and odd inputs ------------------------------------------------------------------------------- */

static void test_limits(void **state)
{
	struct fc_cron *c = parse("0 0 1 1 *"), *every = parse("@every 1h");

	(void)state;
	/* Nothing after year 9999. */
	assert_int_equal(fc_cron_next(c, NULL, rfc("9999-06-01T00:00:00Z"), 0), FC_CRON_NONE);
	assert_int_equal(fc_cron_next(c, NULL, INT64_MAX, 0), FC_CRON_NONE);
	assert_int_equal(fc_cron_next(c, NULL, INT64_MIN, 0), rfc("0001-01-01T00:00:00Z"));
	assert_int_equal(fc_cron_next(c, NULL, rfc("9998-06-01T00:00:00Z"), 0), rfc("9999-01-01T00:00:00Z"));
	assert_int_equal(fc_cron_next(every, NULL, rfc("9999-12-31T23:30:00Z"), rfc("2024-01-01T00:00:00Z")),
			 FC_CRON_NONE);
	assert_int_equal(fc_cron_next(every, NULL, 0, INT64_MAX), FC_CRON_NONE);
	assert_int_equal(fc_cron_next(NULL, NULL, 0, 0), FC_CRON_NONE);
	fc_cron_free(c);
	fc_cron_free(every);
}

static void test_speed(void **state)
{
	static const char *const exprs[] = {"0 0 29 2 */7", "59 23 31 12 *", "0 0 29 2 1", "* * * * *",
					    "0 0 31 * *", "CRON_TZ=Australia/Lord_Howe */7 2 * * *"};
	struct fc_tz *ny = load("America/New_York");
	struct timespec t0, t1;
	double secs;
	long calls = 0;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < FC_ARRAY_LEN(exprs); i++) {
		struct fc_cron *c = parse(exprs[i]);
		int64_t t = rfc("2001-01-01T00:00:00Z");

		for (int k = 0; k < 2000; k++) {
			int64_t next = fc_cron_next(c, ny, t, 0);

			if (next == FC_CRON_NONE && t > rfc("9000-01-01T00:00:00Z"))
				break; /* the rare ones run out of years */
			assert_true(next > t);
			t = next;
			calls++;
		}
		fc_cron_free(c);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("%ld next() calls in %.3f s (%.1f us each)\n", calls, secs, secs / (double)calls * 1e6);
	/* A minute-by-minute scan would need minutes, not this; the bound is loose for sanitizer builds. */
	assert_true(secs < 20.0);
	fc_tz_free(ny);
}

static void test_every_and_fixed_rate(void **state)
{
	struct fc_cron *c = NULL;
	struct fc_err err;
	struct fc_buf out = FC_BUF_INIT;
	int64_t secs;
	int unit;

	(void)state;
	assert_int_equal(fc_fixed_rate_seconds(15, FC_RATE_MINUTE, &secs, &err), 0);
	assert_int_equal(secs, 900);
	assert_int_equal(fc_fixed_rate_seconds(2, FC_RATE_HOUR, &secs, &err), 0);
	assert_int_equal(secs, 7200);
	assert_int_equal(fc_fixed_rate_seconds(1, FC_RATE_DAY, &secs, &err), 0);
	assert_int_equal(secs, 86400);
	assert_int_equal(fc_fixed_rate_seconds(UINT32_MAX, FC_RATE_DAY, &secs, &err), 0);
	assert_int_equal(secs, (int64_t)UINT32_MAX * 86400);
	assert_int_equal(fc_fixed_rate_seconds(0, FC_RATE_DAY, &secs, &err), FC_EINVAL);
	assert_int_equal(fc_fixed_rate_seconds(1, 3, &secs, &err), FC_EINVAL);
	assert_int_equal(fc_fixed_rate_unit_parse("MINUTE", &unit, &err), 0);
	assert_int_equal(unit, FC_RATE_MINUTE);
	assert_int_equal(fc_fixed_rate_unit_parse("hours", &unit, &err), 0);
	assert_int_equal(unit, FC_RATE_HOUR);
	assert_int_equal(fc_fixed_rate_unit_parse("Day", &unit, &err), 0);
	assert_int_equal(unit, FC_RATE_DAY);
	assert_int_equal(fc_fixed_rate_unit_parse("WEEK", &unit, &err), FC_EINVAL);
	assert_int_equal(fc_fixed_rate_unit_parse("minutess", &unit, &err), FC_EINVAL);

	assert_int_equal(fc_cron_every(5400, &c, &err), 0);
	fc_cron_normalise(c, &out);
	assert_string_equal(out.buf, "@every 1h30m");
	assert_int_equal(fc_cron_next(c, NULL, 100, 0), 5400);
	assert_int_equal(fc_cron_next(c, NULL, 5400, 0), 10800);
	assert_int_equal(fc_cron_next(c, NULL, -1, 0), 5400);
	fc_cron_free(c);
	assert_int_equal(fc_cron_every(0, &c, &err), FC_EINVAL);
	assert_null(c);
	fc_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next_tables),
		cmocka_unit_test(test_dst_policies),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_every_and_fixed_rate),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_random_round_trip),
		cmocka_unit_test(test_random_against_reference),
		cmocka_unit_test(test_speed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
