/*
 * cron.h: cron schedules as Flyte users write them, and their fire times.
 *
 * Syntax (docs/schedules.md has the full story):
 *   [CRON_TZ=Zone |TZ=Zone ] minute hour day-of-month month day-of-week
 *   [CRON_TZ=Zone |TZ=Zone ] @yearly|@annually|@monthly|@weekly|@daily|@midnight|@hourly
 *   [CRON_TZ=Zone |TZ=Zone ] @every <Go duration, whole seconds, at least 1s>
 * Fields take numbers, names (JAN-DEC, SUN-SAT, any case), ranges (1-5), steps (1-30/2, 5/10, and '*' with a
 * step), lists (1,15), '*', and '?' in the two day fields; day-of-week 7 is Sunday. Errors name the 1-based column of the offending character.
 *
 * Fire times: field schedules fire on whole minutes of the wall clock of their zone (the CRON_TZ= zone when the
 * expression has one, otherwise the zone the caller passes, otherwise UTC). Day rule as in Vixie cron: when both
 * day fields are restricted (neither starts with '*' or '?') a day matches if either matches. DST:
 *   - a wall time skipped by a forward jump fires once, at the transition (the first instant after the gap);
 *   - schedules whose hour field covers all 24 hours fire at every instant whose wall time matches, so in a
 *     repeated hour they fire in both occurrences (every 15 minutes stays every 15 minutes);
 *   - all other schedules fire once per wall time, at its first occurrence.
 * These are the defaults; fc_cron_next_dst() takes an explicit policy (dst_repeat, dst_skip).
 * @every fires at anchor + k * period for k >= 1; zones do not matter to it.
 *
 * Ownership: fc_cron_parse() and fc_cron_every() hand over a schedule to fc_cron_free(); a schedule is immutable
 * and may be shared by threads.
 */
#ifndef FC_CRON_H
#define FC_CRON_H

#include "fc.h"

struct fc_buf;
struct fc_err;
struct fc_tz;

/* fc_cron_next() found no fire time (none before year 10000, or none at all). */
#define FC_CRON_NONE INT64_MIN

/* Longest expression accepted, in bytes. */
#define FC_CRON_MAX_LEN 1024

struct fc_cron;

/*
 * Parse `expr`. On error returns FC_EPARSE (FC_ELIMIT when longer than FC_CRON_MAX_LEN) with the message
 * "column N: ..." in `err`, and sets *column (may be NULL) to N (1-based, in bytes; one past the end when
 * something is missing). A CRON_TZ= zone is loaded here, so an unknown zone is a parse error.
 */
int fc_cron_parse(const char *expr, struct fc_cron **out, size_t *column, struct fc_err *err);
/* A schedule that fires every `seconds` (>= 1), like "@every 90s"; for Flyte's FixedRate. */
int fc_cron_every(int64_t seconds, struct fc_cron **out, struct fc_err *err);
void fc_cron_free(struct fc_cron *cron);

/* Same schedule (same fields, day rule, period and zone name). */
bool fc_cron_equal(const struct fc_cron *a, const struct fc_cron *b);

/*
 * Append the canonical form: "CRON_TZ=Zone " when the expression carries a zone, then five numeric fields
 * (descriptors are expanded, names become numbers, Sunday is 0) or "@every 1h30m". parse(normalised) equals the
 * original and normalising is idempotent.
 */
void fc_cron_normalise(const struct fc_cron *cron, struct fc_buf *out);

/* The zone of the expression's CRON_TZ=/TZ= prefix, NULL when it has none. */
const struct fc_tz *fc_cron_zone(const struct fc_cron *cron);
/* True for "@every" schedules (which need an anchor). */
bool fc_cron_is_every(const struct fc_cron *cron);
/* The period of an "@every" schedule in seconds, 0 for field schedules. */
int64_t fc_cron_period(const struct fc_cron *cron);

/*
 * The first fire time strictly after `after_utc`, or FC_CRON_NONE. `tz` is the zone for expressions without
 * CRON_TZ= (NULL: UTC). `anchor_utc` is used by "@every" only (fires at anchor + k * period, k >= 1; the
 * scheduler passes the launch plan's activation time). O(months searched), never minute by minute; the search
 * stops after 400 years (one full Gregorian cycle, so a schedule that ever fires is found) or at year 9999.
 */
int64_t fc_cron_next(const struct fc_cron *cron, const struct fc_tz *tz, int64_t after_utc, int64_t anchor_utc);

/*
 * An explicit DST policy (a schedule's `dst_repeat` and `dst_skip` keys, docs/schedules.md "DST policy").
 * dst_repeat says which occurrence of a wall time that happens twice (clocks go back) fires: AUTO is the rule above
 * (both when the hour field covers all 24 hours, else the first), FIRST, LAST or BOTH. dst_skip says what happens
 * to a wall time that does not occur (clocks go forward): SHIFT fires it at the first instant after the gap (the
 * transition), SKIP does not fire it. The zero value is the default ({AUTO, SHIFT}), which is fc_cron_next().
 */
enum fc_cron_dst_repeat { FC_DST_REPEAT_AUTO = 0, FC_DST_REPEAT_FIRST, FC_DST_REPEAT_LAST, FC_DST_REPEAT_BOTH };
enum fc_cron_dst_skip { FC_DST_SKIP_SHIFT = 0, FC_DST_SKIP_SKIP };
struct fc_cron_dst {
	enum fc_cron_dst_repeat repeat;
	enum fc_cron_dst_skip skip;
};
/* Which rule gave a fire time (fc_cron_next_dst()'s *rule). */
enum fc_cron_rule {
	FC_CRON_RULE_PLAIN = 0,   /* the wall time occurs once: no DST rule involved */
	FC_CRON_RULE_SHIFTED,     /* the wall time was skipped by a forward jump; fired at the transition */
	FC_CRON_RULE_REPEAT_FIRST,/* the first occurrence of a repeated wall time */
	FC_CRON_RULE_REPEAT_LAST, /* the second occurrence of a repeated wall time */
};
/*
 * fc_cron_next() under `dst` (NULL: the default). *rule (may be NULL) receives the rule that gave the answer.
 * With dst_skip SKIP a schedule can still fire at every wall time it names that exists; the search bound is the
 * same 400 years.
 */
int64_t fc_cron_next_dst(const struct fc_cron *cron, const struct fc_tz *tz, int64_t after_utc, int64_t anchor_utc,
			 const struct fc_cron_dst *dst, enum fc_cron_rule *rule);
/* "first", "last", "both", "auto" / "shift", "skip" and back. */
int fc_cron_dst_repeat_parse(const char *text, enum fc_cron_dst_repeat *out, struct fc_err *err);
int fc_cron_dst_skip_parse(const char *text, enum fc_cron_dst_skip *out, struct fc_err *err);
const char *fc_cron_dst_repeat_name(enum fc_cron_dst_repeat r);
const char *fc_cron_dst_skip_name(enum fc_cron_dst_skip s);
/* "plain", "dst_skip: shift", "dst_repeat: first" ... for `flytec schedule next`. */
const char *fc_cron_rule_name(enum fc_cron_rule rule);

/* Flyte's FixedRate: value and unit (numbered as flyteidl.admin.FixedRateUnit). */
enum fc_fixed_rate_unit { FC_RATE_MINUTE = 0, FC_RATE_HOUR = 1, FC_RATE_DAY = 2 };

/* value * unit in seconds; value must be at least 1. */
int fc_fixed_rate_seconds(uint32_t value, int unit, int64_t *seconds, struct fc_err *err);
/* "MINUTE", "HOUR", "DAY" (any case, plural accepted) to the unit. */
int fc_fixed_rate_unit_parse(const char *name, int *unit, struct fc_err *err);

#endif
