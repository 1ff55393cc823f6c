/* test_tz.c: time zones (TZif, POSIX TZ strings), civil arithmetic and RFC 3339, cross-checked against glibc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/tz.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ZONEINFO "/usr/share/zoneinfo"

static struct fc_tz *load(const char *name)
{
	struct fc_tz *tz = NULL;
	struct fc_err err;

	if (fc_tz_load(name, &tz, &err))
		fail_msg("loading %s: %s", name, err.msg);
	return tz;
}

static int64_t rfc(const char *s)
{
	int64_t t = 0;
	struct fc_err err;

	if (fc_time_parse_rfc3339(s, &t, NULL, &err))
		fail_msg("parsing %s: %s", s, err.msg);
	return t;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* --- glibc cross-check ---------------------------------------------------------------------------------------- */

/* Compare fc_tz_to_local with localtime_r under TZ=`tzspec` at `t`; returns false and describes a mismatch. */
static bool same_as_glibc(const struct fc_tz *tz, int64_t t, char *why, size_t why_len)
{
	struct fc_civil c;
	struct tm tm;
	time_t tt = (time_t)t;

	fc_tz_to_local(tz, t, &c);
	if (!localtime_r(&tt, &tm)) {
		snprintf(why, why_len, "localtime_r failed");
		return false;
	}
	if (c.year != tm.tm_year + 1900 || c.month != tm.tm_mon + 1 || c.day != tm.tm_mday ||
	    c.hour != tm.tm_hour || c.minute != tm.tm_min || c.second != tm.tm_sec || c.wday != tm.tm_wday ||
	    c.yday != tm.tm_yday || c.utc_offset != tm.tm_gmtoff || c.is_dst != (tm.tm_isdst > 0) ||
	    strcmp(c.abbr, tm.tm_zone)) {
		snprintf(why, why_len,
			 "%s at %lld: ours %04d-%02d-%02d %02d:%02d:%02d off %d dst %d %s wday %d yday %d, "
			 "glibc %04d-%02d-%02d %02d:%02d:%02d off %ld dst %d %s wday %d yday %d",
			 fc_tz_name(tz), (long long)t, c.year, c.month, c.day, c.hour, c.minute, c.second,
			 c.utc_offset, c.is_dst, c.abbr, c.wday, c.yday, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_gmtoff, tm.tm_isdst, tm.tm_zone, tm.tm_wday,
			 tm.tm_yday);
		return false;
	}
	return true;
}

static void set_tz_env(const char *value)
{
	setenv("TZ", value, 1);
	tzset();
}

/*
 * Sample 1970-2100: random instants, plus one second either side of every offset change that we find, plus the
 * from_local() round trip of every sampled instant.
 */
static void cross_check_zone(const struct fc_tz *tz, const char *tz_env, int samples)
{
	const int64_t lo = 0, hi = rfc("2100-12-31T23:59:59Z");
	char why[512];
	int64_t t;
	size_t transitions = 0;

	set_tz_env(tz_env);
	for (int i = 0; i < samples; i++) {
		struct fc_civil c;
		int64_t cand[2];
		int n;

		t = lo + (int64_t)(rnd() % (uint64_t)(hi - lo));
		if (!same_as_glibc(tz, t, why, sizeof(why)))
			fail_msg("%s", why);
		fc_tz_to_local(tz, t, &c);
		n = fc_tz_from_local(tz, &c, cand);
		if (n < 1 || (cand[0] != t && cand[1] != t))
			fail_msg("%s: from_local of %lld gave %d [%lld %lld]", fc_tz_name(tz), (long long)t, n,
				 (long long)cand[0], (long long)cand[1]);
	}
	/* Walk the spans and check both sides of each transition. */
	for (t = lo; t < hi && transitions < 2000;) {
		struct fc_tz_span sp;

		fc_tz_span(tz, t, &sp);
		if (sp.start > t || sp.end <= t)
			fail_msg("%s: span [%lld, %lld) does not contain %lld", fc_tz_name(tz), (long long)sp.start,
				 (long long)sp.end, (long long)t);
		if (sp.end >= hi)
			break;
		if (!same_as_glibc(tz, sp.end - 1, why, sizeof(why)) || !same_as_glibc(tz, sp.end, why, sizeof(why)))
			fail_msg("%s", why);
		t = sp.end;
		transitions++;
	}
}

static const char *const cross_zones[] = {
	"UTC",
	"America/New_York",
	"Europe/Berlin",
	"Australia/Lord_Howe",
	"Asia/Kolkata",
	"Pacific/Chatham",
	"America/Sao_Paulo",
	"Europe/London",
	"Europe/Dublin",       /* negative DST: winter is the "DST" type in tzdata */
	"Africa/Casablanca",   /* Ramadan transitions, listed far into the future */
	"Asia/Tehran",
	"America/St_Johns",
	"Pacific/Apia",        /* skipped a whole day in 2011 */
	"Pacific/Kiritimati",  /* +14 */
	"Asia/Kathmandu",      /* +05:45 */
	"America/Santiago",
	"Antarctica/Troll",    /* +2 hour DST */
	"Australia/Sydney",
	"America/Adak",
	"Asia/Gaza",
	"Europe/Moscow",
	"America/Godthab",
	"Etc/GMT+12",
	"Etc/GMT-14",
};

static void test_glibc_cross_check(void **state)
{
	(void)state;
	for (size_t i = 0; i < FC_ARRAY_LEN(cross_zones); i++) {
		struct fc_tz *tz = load(cross_zones[i]);

		cross_check_zone(tz, cross_zones[i], 20000);
		fc_tz_free(tz);
	}
	unsetenv("TZ");
	tzset();
}

/* Every zone file of the system loads (or is refused cleanly) and agrees with glibc on a sample. */
static size_t all_zones_loaded, all_zones_refused;

static int visit_zone(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	const char *name = path + strlen(ZONEINFO) + 1;
	struct fc_tz *tz = NULL;
	struct fc_err err;
	FILE *f;
	char magic[4];
	bool tzif;

	(void)st;
	(void)ftw;
	if (type != FTW_F || !strncmp(name, "right/", 6))
		return 0;
	f = fopen(path, "rb");
	if (!f)
		return 0;
	tzif = fread(magic, 1, 4, f) == 4 && !memcmp(magic, "TZif", 4);
	fclose(f);
	if (fc_tz_load(name, &tz, &err)) {
		if (tzif && strcmp(name, "localtime"))
			fail_msg("%s: %s", name, err.msg);
		all_zones_refused++;
		return 0;
	}
	if (!tzif && strcmp(name, "UTC"))
		fail_msg("%s: not TZif but loaded", name);
	cross_check_zone(tz, name, 300);
	fc_tz_free(tz);
	all_zones_loaded++;
	return 0;
}

static void test_all_system_zones(void **state)
{
	(void)state;
	assert_int_equal(nftw(ZONEINFO, visit_zone, 16, FTW_PHYS), 0);
	unsetenv("TZ");
	tzset();
	print_message("loaded and cross-checked %zu zones, refused %zu other files\n", all_zones_loaded,
		      all_zones_refused);
	assert_true(all_zones_loaded > 400);
}

/*
 * POSIX TZ strings, including J, n, negative and >24h rule times, checked against glibc's own parser. (Names
 * like EST5EDT would make glibc read the zone file of that name instead.)
 */
static void test_posix_strings(void **state)
{
	static const char *const specs[] = {
		"QST5QDT,M3.2.0,M11.1.0",
		"CET-1CEST,M3.5.0,M10.5.0/3",
		"QST5QDT,J60/2,J300/2",
		"QST5QDT,59/2,299/2",
		"<-03>3<-02>,M3.5.0/-2,M10.5.0/-1",
		"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
		"<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45",
		"AEST-10AEDT,M10.1.0,M4.1.0/3",
		"IST-1GMT0,M10.5.0,M3.5.0/1",
		"<+0530>-5:30",
		"XXX3:25:10YYY2:10,M4.1.3/26,M10.5.6/-3:30",
		"ABC-2DEF-3,J59/12,J60/12",
	};

	(void)state;
	for (size_t i = 0; i < FC_ARRAY_LEN(specs); i++) {
		struct fc_tz *tz = NULL;
		struct fc_err err;

		if (fc_tz_parse_posix(specs[i], &tz, &err))
			fail_msg("%s: %s", specs[i], err.msg);
		cross_check_zone(tz, specs[i], 5000);
		fc_tz_free(tz);
	}
	unsetenv("TZ");
	tzset();
	/*
	 * RFC 8536's encoding of DST all year round. glibc evaluates the rules per UTC year and so wrongly shows
	 * standard time for the first hours of each UTC year; we show DST throughout.
	 */
	{
		static const char *const always[] = {"QST5QDT,J1/0,J365/25", "WART4WARST,J1/0,J365/25",
						     "<-04>4<-03>,0/0,J365/25"};

		for (size_t i = 0; i < FC_ARRAY_LEN(always); i++) {
			struct fc_tz *tz = NULL;
			struct fc_err err;

			assert_int_equal(fc_tz_parse_posix(always[i], &tz, &err), 0);
			for (int64_t t = 0; t < rfc("2100-01-01T00:00:00Z"); t += 3600 * 7 + 13) {
				struct fc_civil c;

				fc_tz_to_local(tz, t, &c);
				if (!c.is_dst)
					fail_msg("%s: standard time at %lld", always[i], (long long)t);
			}
			fc_tz_free(tz);
		}
	}
	/* DST without rules: the US rules, like glibc without a posixrules file. */
	{
		struct fc_tz *tz = NULL;
		struct fc_civil c;
		struct fc_err err;

		assert_int_equal(fc_tz_parse_posix("QST5QDT", &tz, &err), 0);
		fc_tz_to_local(tz, rfc("2030-07-01T12:00:00Z"), &c);
		assert_int_equal(c.utc_offset, -4 * 3600);
		assert_string_equal(c.abbr, "QDT");
		fc_tz_to_local(tz, rfc("2030-03-10T06:59:59Z"), &c);
		assert_string_equal(c.abbr, "QST");
		fc_tz_to_local(tz, rfc("2030-03-10T07:00:00Z"), &c);
		assert_string_equal(c.abbr, "QDT");
		fc_tz_free(tz);
	}
}

static void test_posix_rejects(void **state)
{
	static const char *const bad[] = {
		"", "E", "EST", "EST5EDT,", "EST5EDT,M3.2.0", "EST5EDT,M13.1.0,M11.1.0", "EST5EDT,M3.6.0,M11.1.0",
		"EST5EDT,M3.2.7,M11.1.0", "EST5EDT,J0,J365", "EST5EDT,J366,J1", "EST5EDT,366,1", "EST25",
		"EST5EDT,M3.2.0/168,M11.1.0", "<AB>5", "<ABC5", "EST5:60", "EST5 ", "EST+", "1EST5",
		"ESTESTESTESTESTEST5",
	};

	(void)state;
	for (size_t i = 0; i < FC_ARRAY_LEN(bad); i++) {
		struct fc_tz *tz = NULL;
		struct fc_err err;

		if (!fc_tz_parse_posix(bad[i], &tz, &err))
			fail_msg("accepted bad TZ string '%s'", bad[i]);
		assert_null(tz);
	}
}

/* --- known conversions ------------------------------------------------------------------------------------------ */

struct local_case {
	const char *zone;
	const char *utc;
	const char *local; /* RFC 3339 in the zone's offset */
	const char *abbr;
	bool dst;
};

static const struct local_case local_cases[] = {
	{"UTC", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", "UTC", false},
	{"America/New_York", "2024-03-10T06:59:59Z", "2024-03-10T01:59:59-05:00", "EST", false},
	{"America/New_York", "2024-03-10T07:00:00Z", "2024-03-10T03:00:00-04:00", "EDT", true},
	{"America/New_York", "2024-11-03T05:59:59Z", "2024-11-03T01:59:59-04:00", "EDT", true},
	{"America/New_York", "2024-11-03T06:00:00Z", "2024-11-03T01:00:00-05:00", "EST", false},
	{"America/New_York", "2090-07-04T16:00:00Z", "2090-07-04T12:00:00-04:00", "EDT", true}, /* footer */
	{"Europe/Berlin", "2024-03-31T01:00:00Z", "2024-03-31T03:00:00+02:00", "CEST", true},
	{"Europe/Berlin", "2024-10-27T00:59:59Z", "2024-10-27T02:59:59+02:00", "CEST", true},
	{"Europe/Berlin", "2024-10-27T01:00:00Z", "2024-10-27T02:00:00+01:00", "CET", false},
	{"Australia/Lord_Howe", "2024-04-06T14:59:59Z", "2024-04-07T01:59:59+11:00", "+11", true},
	{"Australia/Lord_Howe", "2024-04-06T15:00:00Z", "2024-04-07T01:30:00+10:30", "+1030", false},
	{"Australia/Lord_Howe", "2024-10-05T15:30:00Z", "2024-10-06T02:30:00+11:00", "+11", true},
	{"Asia/Kolkata", "2024-06-01T00:00:00Z", "2024-06-01T05:30:00+05:30", "IST", false},
	{"Pacific/Chatham", "2024-01-15T00:00:00Z", "2024-01-15T13:45:00+13:45", "+1345", true},
	{"Pacific/Chatham", "2024-07-15T00:00:00Z", "2024-07-15T12:45:00+12:45", "+1245", false},
	{"America/Sao_Paulo", "2018-11-04T02:59:59Z", "2018-11-03T23:59:59-03:00", "-03", false},
	{"America/Sao_Paulo", "2018-11-04T03:00:00Z", "2018-11-04T01:00:00-02:00", "-02", true},
	{"America/Sao_Paulo", "2024-01-15T12:00:00Z", "2024-01-15T09:00:00-03:00", "-03", false},
	{"Pacific/Apia", "2011-12-30T10:00:00Z", "2011-12-31T00:00:00+14:00", "+14", true},
	{"Asia/Kathmandu", "2024-01-01T00:00:00Z", "2024-01-01T05:45:00+05:45", "+0545", false},
	{"Europe/Dublin", "2024-01-15T12:00:00Z", "2024-01-15T12:00:00Z", "GMT", true},
};

static void test_known_conversions(void **state)
{
	(void)state;
	for (size_t i = 0; i < FC_ARRAY_LEN(local_cases); i++) {
		const struct local_case *lc = &local_cases[i];
		struct fc_tz *tz = load(lc->zone);
		struct fc_civil c;
		char got[FC_RFC3339_MAX];
		int64_t t = rfc(lc->utc);

		fc_tz_to_local(tz, t, &c);
		fc_time_format_rfc3339(t, c.utc_offset, got);
		if (strcmp(got, lc->local) || strcmp(c.abbr, lc->abbr) || c.is_dst != lc->dst)
			fail_msg("%s %s: got %s %s dst=%d, want %s %s dst=%d", lc->zone, lc->utc, got, c.abbr,
				 c.is_dst, lc->local, lc->abbr, lc->dst);
		fc_tz_free(tz);
	}
}

/* --- from_local: gaps and overlaps ------------------------------------------------------------------------------ */

struct from_case {
	const char *zone;
	int y, mo, d, h, mi;
	int count;
	const char *first;  /* RFC 3339 of candidates[0] (the transition for a gap) */
	const char *second; /* candidates[1] for overlaps */
};

static const struct from_case from_cases[] = {
	{"America/New_York", 2024, 3, 10, 1, 59, 1, "2024-03-10T06:59:00Z", NULL},
	{"America/New_York", 2024, 3, 10, 2, 0, 0, "2024-03-10T07:00:00Z", NULL},
	{"America/New_York", 2024, 3, 10, 2, 30, 0, "2024-03-10T07:00:00Z", NULL},
	{"America/New_York", 2024, 3, 10, 3, 0, 1, "2024-03-10T07:00:00Z", NULL},
	{"America/New_York", 2024, 11, 3, 0, 59, 1, "2024-11-03T04:59:00Z", NULL},
	{"America/New_York", 2024, 11, 3, 1, 0, 2, "2024-11-03T05:00:00Z", "2024-11-03T06:00:00Z"},
	{"America/New_York", 2024, 11, 3, 1, 59, 2, "2024-11-03T05:59:00Z", "2024-11-03T06:59:00Z"},
	{"America/New_York", 2024, 11, 3, 2, 0, 1, "2024-11-03T07:00:00Z", NULL},
	{"Europe/Berlin", 2024, 3, 31, 2, 30, 0, "2024-03-31T01:00:00Z", NULL},
	{"Europe/Berlin", 2024, 10, 27, 2, 30, 2, "2024-10-27T00:30:00Z", "2024-10-27T01:30:00Z"},
	{"Europe/Berlin", 2024, 10, 27, 3, 0, 1, "2024-10-27T02:00:00Z", NULL},
	{"Australia/Lord_Howe", 2024, 10, 6, 2, 0, 0, "2024-10-05T15:30:00Z", NULL},
	{"Australia/Lord_Howe", 2024, 10, 6, 2, 29, 0, "2024-10-05T15:30:00Z", NULL},
	{"Australia/Lord_Howe", 2024, 10, 6, 2, 30, 1, "2024-10-05T15:30:00Z", NULL},
	{"Australia/Lord_Howe", 2024, 4, 7, 1, 30, 2, "2024-04-06T14:30:00Z", "2024-04-06T15:00:00Z"},
	{"Australia/Lord_Howe", 2024, 4, 7, 1, 59, 2, "2024-04-06T14:59:00Z", "2024-04-06T15:29:00Z"},
	{"Australia/Lord_Howe", 2024, 4, 7, 2, 0, 1, "2024-04-06T15:30:00Z", NULL},
	{"Pacific/Chatham", 2024, 9, 29, 2, 45, 0, "2024-09-28T14:00:00Z", NULL},
	{"Pacific/Chatham", 2024, 4, 7, 2, 45, 2, "2024-04-06T13:00:00Z", "2024-04-06T14:00:00Z"},
	{"America/Sao_Paulo", 2018, 11, 4, 0, 0, 0, "2018-11-04T03:00:00Z", NULL},
	{"America/Sao_Paulo", 2018, 11, 4, 0, 30, 0, "2018-11-04T03:00:00Z", NULL},
	{"America/Sao_Paulo", 2019, 2, 16, 23, 30, 2, "2019-02-17T01:30:00Z", "2019-02-17T02:30:00Z"},
	{"America/Sao_Paulo", 2024, 11, 3, 0, 0, 1, "2024-11-03T03:00:00Z", NULL},
	{"Asia/Kolkata", 2024, 3, 10, 2, 30, 1, "2024-03-09T21:00:00Z", NULL},
	{"Pacific/Apia", 2011, 12, 30, 12, 0, 0, "2011-12-30T10:00:00Z", NULL},
	{"UTC", 2100, 2, 28, 23, 59, 1, "2100-02-28T23:59:00Z", NULL},
};

static void test_from_local(void **state)
{
	(void)state;
	for (size_t i = 0; i < FC_ARRAY_LEN(from_cases); i++) {
		const struct from_case *fcase = &from_cases[i];
		struct fc_tz *tz = load(fcase->zone);
		struct fc_civil c = {.year = fcase->y, .month = fcase->mo, .day = fcase->d, .hour = fcase->h,
				     .minute = fcase->mi};
		int64_t cand[2];
		int n = fc_tz_from_local(tz, &c, cand);

		if (n != fcase->count || cand[0] != rfc(fcase->first) ||
		    (fcase->second && cand[1] != rfc(fcase->second)) || (!fcase->second && cand[1] != cand[0]))
			fail_msg("%s %04d-%02d-%02d %02d:%02d: got %d [%lld %lld], want %d %s %s", fcase->zone,
				 fcase->y, fcase->mo, fcase->d, fcase->h, fcase->mi, n, (long long)cand[0],
				 (long long)cand[1], fcase->count, fcase->first, fcase->second ? fcase->second : "");
		fc_tz_free(tz);
	}
}

/* --- spans ------------------------------------------------------------------------------------------------------ */

static void test_spans(void **state)
{
	struct fc_tz *ny = load("America/New_York"), *kolkata = load("Asia/Kolkata");
	struct fc_tz_span sp;

	(void)state;
	fc_tz_span(ny, rfc("2024-06-01T00:00:00Z"), &sp);
	assert_int_equal(sp.start, rfc("2024-03-10T07:00:00Z"));
	assert_int_equal(sp.end, rfc("2024-11-03T06:00:00Z"));
	assert_int_equal(sp.utc_offset, -4 * 3600);
	assert_int_equal(sp.prev_offset, -5 * 3600);
	assert_int_equal(sp.next_offset, -5 * 3600);
	/* Past the last transition of the file (2037): the footer's rules. */
	fc_tz_span(ny, rfc("2050-01-01T00:00:00Z"), &sp);
	assert_int_equal(sp.start, rfc("2049-11-07T06:00:00Z"));
	assert_int_equal(sp.end, rfc("2050-03-13T07:00:00Z"));
	assert_int_equal(sp.utc_offset, -5 * 3600);
	fc_tz_span(kolkata, rfc("2024-06-01T00:00:00Z"), &sp);
	assert_int_equal(sp.end, INT64_MAX);
	assert_int_equal(sp.utc_offset, 19800);
	fc_tz_span(fc_tz_utc(), 0, &sp);
	assert_int_equal(sp.start, INT64_MIN);
	assert_int_equal(sp.end, INT64_MAX);
	fc_tz_free(ny);
	fc_tz_free(kolkata);
}

/* --- names and loading ------------------------------------------------------------------------------------------- */

static void test_names(void **state)
{
	static const struct {
		const char *name;
		int code;
		size_t bad;
	} bad[] = {
		{"../etc/passwd", FC_EINVAL, 0},
		{"/etc/passwd", FC_EINVAL, 0},
		{"Europe/../../etc/passwd", FC_EINVAL, 7},
		{"America//New_York", FC_EINVAL, 8},
		{"America/New_York/", FC_EINVAL, 17},
		{"Europe/Berlin ", FC_EINVAL, 13},
		{"Europe/Berlin\n", FC_EINVAL, 13},
		{"Europe\\Berlin", FC_EINVAL, 6},
		{"Europe/Be*", FC_EINVAL, 9},
		{"./UTC", FC_EINVAL, 0},
	};
	struct fc_tz *tz = NULL;
	struct fc_err err;
	char longname[FC_TZ_NAME_MAX + 10];

	(void)state;
	for (size_t i = 0; i < FC_ARRAY_LEN(bad); i++) {
		size_t off = 999;

		assert_int_equal(fc_tz_name_check(bad[i].name, &off, &err), bad[i].code);
		if (off != bad[i].bad)
			fail_msg("%s: bad offset %zu, want %zu", bad[i].name, off, bad[i].bad);
		assert_int_equal(fc_tz_load(bad[i].name, &tz, &err), bad[i].code);
		assert_null(tz);
	}
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(fc_tz_load(longname, &tz, &err), FC_EINVAL);
	assert_int_equal(fc_tz_load("Mars/Olympus_Mons", &tz, &err), FC_ENOENT);
	assert_non_null(strstr(err.msg, "unknown time zone 'Mars/Olympus_Mons'"));
	assert_int_equal(fc_tz_load("America", &tz, &err), FC_ENOENT); /* a directory */
	assert_int_equal(fc_tz_load("leapseconds", &tz, &err), FC_EPARSE);
	assert_int_equal(fc_tz_load("right/UTC", &tz, &err), FC_EUNSUPPORTED);
	assert_null(tz);
	assert_int_equal(fc_tz_load("Etc/GMT+5", &tz, &err), 0);
	fc_tz_free(tz);
	assert_int_equal(fc_tz_load("America/Port-au-Prince", &tz, &err), 0);
	assert_string_equal(fc_tz_name(tz), "America/Port-au-Prince");
	fc_tz_free(tz);
	fc_tz_free(NULL);
	fc_tz_free((struct fc_tz *)fc_tz_utc()); /* ignored */
}

static void test_tzdir(void **state)
{
	struct fc_tz *tz = NULL;
	struct fc_err err;
	struct fc_civil c;

	(void)state;
	setenv("TZDIR", "/nonexistent-tzdir", 1);
	assert_int_equal(fc_tz_load("Europe/Berlin", &tz, &err), FC_ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent-tzdir/Europe/Berlin"));
	/* UTC works without tzdata. */
	assert_int_equal(fc_tz_load("UTC", &tz, &err), 0);
	fc_tz_to_local(tz, 86400, &c);
	assert_int_equal(c.day, 2);
	assert_string_equal(c.abbr, "UTC");
	fc_tz_free(tz);
	assert_int_equal(fc_tz_load("", &tz, &err), 0);
	assert_string_equal(fc_tz_name(tz), "UTC");
	fc_tz_free(tz);
	setenv("TZDIR", ZONEINFO "/America", 1);
	assert_int_equal(fc_tz_load("New_York", &tz, &err), 0);
	fc_tz_free(tz);
	unsetenv("TZDIR");
}

/* --- robustness of the TZif reader -------------------------------------------------------------------------------- */

static void read_zone_file(const char *name, struct fc_buf *b)
{
	struct fc_err err;
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", ZONEINFO, name);
	if (fc_buf_read_file(b, path, 0, &err))
		fail_msg("%s", err.msg);
}

static void test_tzif_truncated_and_corrupt(void **state)
{
	struct fc_buf b = FC_BUF_INIT;
	unsigned char *copy;

	(void)state;
	read_zone_file("America/New_York", &b);
	/* Every proper prefix is refused. */
	for (size_t len = 0; len < b.len; len++) {
		struct fc_tz *tz = NULL;
		struct fc_err err;

		copy = malloc(len ? len : 1);
		memcpy(copy, b.buf, len);
		if (!fc_tz_load_tzif("x", copy, len, &tz, &err)) {
			fc_tz_free(tz);
			fail_msg("prefix of %zu bytes accepted", len);
		}
		free(copy);
	}
	/* Random corruption never crashes, and whatever loads answers queries. */
	copy = malloc(b.len);
	for (int round = 0; round < 20000; round++) {
		struct fc_tz *tz = NULL;
		struct fc_err err;

		memcpy(copy, b.buf, b.len);
		for (int k = 0; k < 1 + (int)(rnd() % 4); k++)
			copy[rnd() % b.len] ^= (unsigned char)(1u << (rnd() % 8));
		if (!fc_tz_load_tzif("x", copy, b.len, &tz, &err)) {
			struct fc_civil c;
			int64_t cand[2];

			fc_tz_to_local(tz, (int64_t)(rnd() % 5000000000u), &c);
			fc_tz_from_local(tz, &c, cand);
			fc_tz_free(tz);
		}
	}
	free(copy);
	fc_buf_release(&b);
}

/* A version 1 file (the 32-bit block alone) gives the same answers within its range. */
static void test_tzif_v1(void **state)
{
	struct fc_buf b = FC_BUF_INIT;
	struct fc_tz *v1 = NULL, *v2 = load("Europe/Berlin");
	struct fc_err err;
	unsigned char *copy;

	(void)state;
	read_zone_file("Europe/Berlin", &b);
	copy = malloc(b.len);
	memcpy(copy, b.buf, b.len);
	copy[4] = 0;
	assert_int_equal(fc_tz_load_tzif("Europe/Berlin", copy, b.len, &v1, &err), 0);
	for (int64_t t = 0; t < rfc("2037-12-01T00:00:00Z"); t += 86400 * 3 + 3607) {
		struct fc_civil a, c;

		fc_tz_to_local(v1, t, &a);
		fc_tz_to_local(v2, t, &c);
		assert_int_equal(a.utc_offset, c.utc_offset);
		assert_string_equal(a.abbr, c.abbr);
	}
	fc_tz_free(v1);
	fc_tz_free(v2);
	free(copy);
	fc_buf_release(&b);
}

/* --- civil arithmetic -------------------------------------------------------------------------------------------- */

static void test_civil(void **state)
{
	int64_t y;
	int m, d;

	(void)state;
	assert_false(fc_is_leap_year(1900));
	assert_true(fc_is_leap_year(2000));
	assert_true(fc_is_leap_year(2024));
	assert_false(fc_is_leap_year(2100));
	assert_int_equal(fc_days_in_month(2100, 2), 28);
	assert_int_equal(fc_days_in_month(2000, 2), 29);
	assert_int_equal(fc_days_in_month(2024, 4), 30);
	assert_int_equal(fc_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(fc_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(fc_weekday_from_days(0), 4);  /* Thursday */
	assert_int_equal(fc_weekday_from_days(-1), 3); /* Wednesday */
	for (int64_t days = fc_days_from_civil(1, 1, 1); days <= fc_days_from_civil(9999, 12, 31); days += 997) {
		fc_civil_from_days(days, &y, &m, &d);
		assert_int_equal(fc_days_from_civil(y, m, d), days);
		assert_true(d >= 1 && d <= fc_days_in_month(y, m));
	}
	/* fc_civil_to_seconds carries over like timegm. */
	{
		struct fc_civil c = {.year = 2023, .month = 14, .day = 0, .hour = 24, .minute = 0, .second = -1};

		assert_int_equal(fc_civil_to_seconds(&c), rfc("2024-01-31T23:59:59Z"));
	}
}

/* --- RFC 3339 ------------------------------------------------------------------------------------------------------ */

static void test_rfc3339(void **state)
{
	static const struct {
		const char *in;
		const char *utc;
		int32_t off;
	} good[] = {
		{"1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z", 0},
		{"2024-03-10T02:30:00-05:00", "2024-03-10T07:30:00Z", -5 * 3600},
		{"2024-03-10t02:30:00z", "2024-03-10T02:30:00Z", 0},
		{"2024-03-10 02:30:00+05:30", "2024-03-09T21:00:00Z", 19800},
		{"2024-02-29T23:59:59.999999999Z", "2024-02-29T23:59:59Z", 0},
		{"0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z", 0},
		{"9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z", 0},
		{"1969-12-31T23:59:59.5Z", "1969-12-31T23:59:59Z", 0},
		{"2024-06-01T12:00:00-00:00", "2024-06-01T12:00:00Z", 0},
	};
	static const struct {
		const char *in;
		const char *msg;
	} bad[] = {
		{"", "column 1:"},
		{"2024-03-10", "column 11:"},
		{"2024-03-10T02:30:00", "column 20: missing UTC offset"},
		{"2024-13-01T00:00:00Z", "column 6: month 13"},
		{"2023-02-29T00:00:00Z", "column 9: day 29 does not exist in 2023-02"},
		{"2100-02-29T00:00:00Z", "column 9:"},
		{"2024-04-31T00:00:00Z", "column 9:"},
		{"2024-01-01T24:00:00Z", "column 12: hour 24"},
		{"2024-01-01T00:60:00Z", "column 15: minute 60"},
		{"2024-06-30T23:59:60Z", "column 18: leap seconds"},
		{"2024-01-01T00:00:00+24:00", "column 21: offset hour 24"},
		{"2024-01-01T00:00:00+01:60", "column 24: offset minute 60"},
		{"2024-01-01T00:00:00+0100", "column 23:"},
		{"2024-01-01T00:00:00.Z", "column 21: expected digits"},
		{"2024-01-01T00:00:00Zjunk", "column 21: unexpected text"},
		{"2024-1-01T00:00:00Z", "column 7:"},
		{"24-01-01T00:00:00Z", "column 3:"},
		{"0000-12-31T23:59:59Z", "outside the supported range"},
		{"9999-12-31T23:59:59-01:00", "outside the supported range"},
		{"2024-01-01X00:00:00Z", "column 11:"},
	};

	(void)state;
	for (size_t i = 0; i < FC_ARRAY_LEN(good); i++) {
		int64_t t;
		int32_t off;
		struct fc_err err;
		char out[FC_RFC3339_MAX], again[FC_RFC3339_MAX];

		if (fc_time_parse_rfc3339(good[i].in, &t, &off, &err))
			fail_msg("%s: %s", good[i].in, err.msg);
		fc_time_format_rfc3339(t, 0, out);
		assert_string_equal(out, good[i].utc);
		assert_int_equal(off, good[i].off);
		/* Formatting with the offset read gives a string for the same instant. */
		fc_time_format_rfc3339(t, off, again);
		assert_int_equal(rfc(again), t);
	}
	for (size_t i = 0; i < FC_ARRAY_LEN(bad); i++) {
		int64_t t;
		struct fc_err err;

		if (!fc_time_parse_rfc3339(bad[i].in, &t, NULL, &err))
			fail_msg("accepted '%s'", bad[i].in);
		assert_int_equal(err.code, FC_EPARSE);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("'%s': message '%s' lacks '%s'", bad[i].in, err.msg, bad[i].msg);
	}
	{
		char out[FC_RFC3339_MAX];

		/* Offsets with seconds (LMT) are shown in whole minutes and still name the same instant. */
		fc_time_format_rfc3339(0, -17762, out);
		assert_string_equal(out, "1969-12-31T19:04:00-04:56");
		assert_int_equal(rfc(out), 0);
		fc_time_format_rfc3339(rfc("2024-01-15T00:00:00Z"), 13 * 3600 + 45 * 60, out);
		assert_string_equal(out, "2024-01-15T13:45:00+13:45");
	}
}

/* A zone is immutable: several threads may use one. (Smoke test: concurrent queries give identical answers.) */
static void test_thread_shared(void **state)
{
	struct fc_tz *tz = load("Europe/Berlin");
	struct fc_civil a, b;

	(void)state;
	fc_tz_to_local(tz, 1700000000, &a);
	fc_tz_to_local(tz, 1700000000, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	fc_tz_free(tz);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_civil),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_tzdir),
		cmocka_unit_test(test_known_conversions),
		cmocka_unit_test(test_from_local),
		cmocka_unit_test(test_spans),
		cmocka_unit_test(test_posix_strings),
		cmocka_unit_test(test_posix_rejects),
		cmocka_unit_test(test_tzif_truncated_and_corrupt),
		cmocka_unit_test(test_tzif_v1),
		cmocka_unit_test(test_glibc_cross_check),
		cmocka_unit_test(test_all_system_zones),
		cmocka_unit_test(test_thread_shared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
