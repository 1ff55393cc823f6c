/*
 * tz.h: IANA time zones and civil time, without the C library's global TZ state.
 *
 * A zone is read from the TZif files of the system's tzdata (/usr/share/zoneinfo, or $TZDIR): versions 1 to 4,
 * 64-bit transition times, and the POSIX TZ string of the footer for instants after the last transition. A loaded
 * `struct fc_tz` is immutable, so it may be shared by any number of threads; nothing here calls setenv("TZ") or
 * tzset(), and nothing keeps global mutable state.
 *
 * Instants are `int64_t` seconds since 1970-01-01T00:00:00Z, leap seconds not counted (POSIX time). Supported
 * instants are those of the years 0001 to 9999 (FC_TIME_MIN..FC_TIME_MAX); conversions clamp anything outside.
 * A "wall time" is what a clock on the wall shows: civil fields, or those fields counted as seconds as if they
 * were UTC (fc_civil_to_seconds), which is how the cron code does its arithmetic.
 *
 * Ownership: arguments are borrowed; fc_tz_load() and fc_tz_parse_posix() hand over a zone to fc_tz_free().
 */
#ifndef FC_TZ_H
#define FC_TZ_H

#include "fc.h"

struct fc_err;

#define FC_TIME_MIN INT64_C(-62135596800) /* 0001-01-01T00:00:00Z */
#define FC_TIME_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

#define FC_TZ_NAME_MAX 255 /* longest zone name accepted */
#define FC_TZ_ABBR_MAX 16  /* abbreviation buffer, NUL included ("CEST", "+0545") */

/* Civil (broken-down) time. from_local() reads only year..second. */
struct fc_civil {
	int year;   /* 1..9999 for supported instants */
	int month;  /* 1..12 */
	int day;    /* 1..31 */
	int hour;   /* 0..23 */
	int minute; /* 0..59 */
	int second; /* 0..59 */
	int wday;   /* 0..6, 0 = Sunday */
	int yday;   /* 0..365 */
	int32_t utc_offset; /* seconds east of UTC */
	bool is_dst;
	char abbr[FC_TZ_ABBR_MAX];
};

struct fc_tz;

/* UTC, built in: works without tzdata. Never needs freeing (fc_tz_free() ignores it). */
const struct fc_tz *fc_tz_utc(void);

/*
 * Load the zone `name` ("Europe/Berlin") from $TZDIR or /usr/share/zoneinfo. "" and "UTC" give the built-in UTC
 * zone. Names are checked first (fc_tz_name_check): a name never reaches outside the zoneinfo directory.
 * Errors: FC_EINVAL bad name, FC_ENOENT no such zone, FC_EPARSE not a valid TZif file, FC_EUNSUPPORTED leap-second
 * ("right/") files.
 */
int fc_tz_load(const char *name, struct fc_tz **out, struct fc_err *err);
/* A zone from a POSIX TZ string ("CET-1CEST,M3.5.0,M10.5.0/3", "<+0530>-5:30", "EST5EDT,J60/2,300"). */
int fc_tz_parse_posix(const char *spec, struct fc_tz **out, struct fc_err *err);
/* A zone from TZif bytes in memory (`name` is only recorded). */
int fc_tz_load_tzif(const char *name, const unsigned char *data, size_t len, struct fc_tz **out,
		    struct fc_err *err);
void fc_tz_free(struct fc_tz *tz);
/* The name the zone was loaded under ("UTC" for the built-in zone). */
const char *fc_tz_name(const struct fc_tz *tz);

/*
 * Check a zone name: at most FC_TZ_NAME_MAX bytes of [A-Za-z0-9_+-/], no leading or trailing '/', no empty
 * component (so no "..", no absolute path). On failure returns FC_EINVAL and sets *bad_offset (may be NULL) to the 0-based offset of the
 * offending byte.
 */
int fc_tz_name_check(const char *name, size_t *bad_offset, struct fc_err *err);

/* The civil time, offset, DST flag and abbreviation in `tz` at instant `utc`. */
void fc_tz_to_local(const struct fc_tz *tz, int64_t utc, struct fc_civil *out);

/*
 * The instants whose wall time in `tz` is the civil time `local` (year..second; out-of-range fields are carried
 * over like timegm does). Returns 1 for an ordinary time, 2 in a repeated hour (candidates[0] is the first
 * occurrence, candidates[1] the second) and 0 in a skipped hour: then both candidates hold the transition instant
 * that skipped it, which is the first instant after the gap.
 */
int fc_tz_from_local(const struct fc_tz *tz, const struct fc_civil *local, int64_t candidates[2]);

/*
 * The span of constant UTC offset around `utc`: [start, end) (INT64_MIN / INT64_MAX when unbounded), the offset
 * in effect, the offset just before `start` and the offset from `end` on. Consecutive spans may have equal
 * offsets (a transition that only changes the abbreviation or the DST flag).
 */
struct fc_tz_span {
	int64_t start, end;
	int32_t utc_offset;
	int32_t prev_offset;
	int32_t next_offset;
};
void fc_tz_span(const struct fc_tz *tz, int64_t utc, struct fc_tz_span *out);

/* --- civil arithmetic, proleptic Gregorian calendar ------------------------------------------------------------ */

bool fc_is_leap_year(int64_t year);
int fc_days_in_month(int64_t year, int month);
/* Days since 1970-01-01 of a civil date (month 1..12, day 1..31). */
int64_t fc_days_from_civil(int64_t year, int month, int day);
void fc_civil_from_days(int64_t days, int64_t *year, int *month, int *day);
/* 0 = Sunday. */
int fc_weekday_from_days(int64_t days);
/* The civil fields of `utc + utc_offset` read as UTC (abbr is left empty, is_dst false). */
void fc_time_to_civil(int64_t utc, int32_t utc_offset, struct fc_civil *out);
/* year..second as seconds since the epoch as if UTC, carrying out-of-range fields over (like timegm). */
int64_t fc_civil_to_seconds(const struct fc_civil *c);

/* --- RFC 3339 ---------------------------------------------------------------------------------------------------- */

#define FC_RFC3339_MAX 32 /* "9999-12-31T23:59:59+23:59" and NUL, with room */

/*
 * Write `utc` as RFC 3339 in the offset `utc_offset` (seconds east; whole minutes are used, the local time shown
 * is adjusted so the string always denotes exactly `utc`); offset 0 prints "Z". Returns the length.
 */
size_t fc_time_format_rfc3339(int64_t utc, int32_t utc_offset, char out[FC_RFC3339_MAX]);
/*
 * Parse "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)" ('t', 'z' and a space separator are accepted too; fractions
 * are truncated toward the past; second 60 is refused). `utc_offset` (may be NULL) receives the offset written.
 * Errors are FC_EPARSE with "column N: ..." in the message.
 */
int fc_time_parse_rfc3339(const char *s, int64_t *out, int32_t *utc_offset, struct fc_err *err);

#endif
