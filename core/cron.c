/*
 * cron.c: a strict cron parser, its canonical printer, and next-fire computation.
 *
 * A field schedule is five bit sets (minutes, hours, days of the month, months, days of the week) plus the two
 * "starts with * or ?" flags of the day fields, which select Vixie's day rule. Next-fire search works on wall
 * times (local civil time counted as seconds as if UTC) inside spans of constant UTC offset (fc_tz_span), and
 * within a span skips by field: next matching month, then day (one bit-mask operation per month), hour, minute.
 */
#include "cron.h"

#include "buf.h"
#include "err.h"
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* 400 Gregorian years repeat dates and weekdays exactly; add slack for offsets. */
#define HORIZON ((INT64_C(146097) + 4) * 86400)
#define ALL_HOURS ((UINT32_C(1) << 24) - 1)
#define MAX_PERIOD_NS INT64_MAX

struct fc_cron {
	bool every;
	int64_t period; /* seconds, @every only */
	uint64_t minutes; /* bits 0..59 */
	uint32_t hours;   /* bits 0..23 */
	uint32_t mdays;   /* bits 1..31 */
	uint32_t months;  /* bits 1..12 */
	uint32_t wdays;   /* bits 0..6 */
	bool mday_star, wday_star; /* the field starts with '*' or '?' */
	uint32_t wday_days[7];     /* derived: days 1..31 matching wdays in a month whose 1st is weekday i */
	struct fc_tz *zone;        /* the CRON_TZ= zone, or NULL */
};

enum { F_MINUTE, F_HOUR, F_MDAY, F_MONTH, F_WDAY, NFIELDS };

struct field_def {
	const char *name;
	int lo, hi;   /* values accepted */
	int star_hi;  /* end of '*' and 'N/step' (6 for day-of-week: 7 is another Sunday) */
	const char *const *names; /* three-letter names of the values names_base.. */
	int names_base;
	const char *names_hint;
	bool question;
};

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
					  "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", NULL};
static const char *const wday_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL};

static const struct field_def field_defs[NFIELDS] = {
	{"minute", 0, 59, 59, NULL, 0, NULL, false},
	{"hour", 0, 23, 23, NULL, 0, NULL, false},
	{"day-of-month", 1, 31, 31, NULL, 0, NULL, true},
	{"month", 1, 12, 12, month_names, 1, "JAN-DEC or 1-12", false},
	{"day-of-week", 0, 7, 6, wday_names, 0, "SUN-SAT or 0-7", true},
};

static const struct {
	const char *name;
	const char *fields;
} descriptors[] = {
	{"@yearly", "0 0 1 1 *"},  {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
	{"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"}, {"@hourly", "0 * * * *"},
};

struct parser {
	const char *s;
	size_t len;
	size_t *column;
	struct fc_err *err;
};

static int perr(struct parser *p, size_t pos, const char *fmt, ...) FC_PRINTF(3, 4);

static int perr(struct parser *p, size_t pos, const char *fmt, ...)
{
	char msg[FC_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->column)
		*p->column = pos + 1;
	return fc_err_set(p->err, FC_EPARSE, "column %zu: %s", pos + 1, msg);
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_space(int c)
{
	return c == ' ' || c == '\t';
}

static int upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

/* "'x'" for printable characters, "byte 0x0a" for the rest. */
static const char *show_char(unsigned char c, char buf[16])
{
	if (c > 0x20 && c < 0x7f)
		snprintf(buf, 16, "'%c'", c);
	else
		snprintf(buf, 16, "byte 0x%02x", c);
	return buf;
}

static int unexpected(struct parser *p, const struct field_def *def, size_t pos)
{
	char cb[16];
	unsigned char c = (unsigned char)p->s[pos];

	if (def->question) {
		if (c == 'L')
			return perr(p, pos, "'L' (last day) is not supported in %s", def->name);
		if (c == 'W')
			return perr(p, pos, "'W' (nearest weekday) is not supported in %s", def->name);
		if (c == '#')
			return perr(p, pos, "'#' (nth weekday of the month) is not supported in %s", def->name);
	}
	return perr(p, pos, "unexpected %s in %s", show_char(c, cb), def->name);
}

/* One value: a number or, in month and day-of-week, a name. */
static int parse_value(struct parser *p, const struct field_def *def, size_t pos, size_t end, int *value,
		       size_t *next)
{
	const char *s = p->s;
	size_t i = pos;

	if (is_digit(s[i])) {
		long v = 0;

		while (i < end && is_digit(s[i])) {
			if (i - pos >= 6)
				return perr(p, pos, "%s number %.*s is too large", def->name, (int)(end - pos),
					    s + pos);
			v = v * 10 + (s[i++] - '0');
		}
		if (v < def->lo || v > def->hi)
			return perr(p, pos, "%s %ld is out of range %d-%d", def->name, v, def->lo, def->hi);
		*value = (int)v;
		*next = i;
		return FC_OK;
	}
	if (is_alpha(s[i])) {
		size_t n;

		while (i < end && is_alpha(s[i]))
			i++;
		n = i - pos;
		if (def->names && n == 3) {
			for (int k = 0; def->names[k]; k++) {
				if (upper(s[pos]) == def->names[k][0] && upper(s[pos + 1]) == def->names[k][1] &&
				    upper(s[pos + 2]) == def->names[k][2]) {
					*value = k + def->names_base;
					*next = i;
					return FC_OK;
				}
			}
		}
		if (def->question && (s[pos] == 'L' || s[pos] == 'W'))
			return unexpected(p, def, pos);
		if (def->names)
			return perr(p, pos, "unknown %s name '%.*s' (use %s)", def->name, (int)n, s + pos,
				    def->names_hint);
		return perr(p, pos, "unexpected '%.*s': %s takes numbers %d-%d", (int)n, s + pos, def->name, def->lo,
			    def->hi);
	}
	if (pos >= end)
		return perr(p, pos, "missing %s value", def->name);
	return unexpected(p, def, pos);
}

/* One list element: "*", "?", "v", "a-b", each optionally with "/step". */
static int parse_element(struct parser *p, const struct field_def *def, size_t pos, size_t end, uint64_t *bits,
			 size_t *next)
{
	const char *s = p->s;
	size_t start = pos;
	int a, b, step = 1, size = def->star_hi - def->lo + 1;
	bool star = false, ranged = false;
	int rc;

	if (s[pos] == '*' || s[pos] == '?') {
		if (s[pos] == '?' && !def->question)
			return perr(p, pos, "'?' is only allowed in day-of-month and day-of-week, not in %s",
				    def->name);
		star = true;
		a = def->lo;
		b = def->star_hi;
		pos++;
		if (pos < end && s[pos] == '-')
			return perr(p, pos, "'%c' cannot start a range", s[start]);
		if (s[start] == '?' && pos < end && s[pos] == '/')
			return perr(p, pos, "'?' cannot take a step");
	} else {
		rc = parse_value(p, def, pos, end, &a, &pos);
		if (rc)
			return rc;
		b = a;
		if (pos < end && s[pos] == '-') {
			pos++;
			if (pos >= end || s[pos] == ',' || s[pos] == '/')
				return perr(p, pos, "missing end of the %s range", def->name);
			if (s[pos] == '*')
				return perr(p, pos, "'*' cannot end a range");
			rc = parse_value(p, def, pos, end, &b, &pos);
			if (rc)
				return rc;
			if (a > b) {
				if (def->names == wday_names && b == 0 && a < 7)
					return perr(p, start,
						    "%s range %.*s ends before it starts (Sunday is 0 or 7: write %d-7)",
						    def->name, (int)(pos - start), s + start, a);
				return perr(p, start, "%s range %.*s ends before it starts", def->name,
					    (int)(pos - start), s + start);
			}
			ranged = true;
		}
	}
	if (pos < end && s[pos] == '/') {
		size_t step_pos = ++pos;
		long v = 0;

		if (pos >= end || s[pos] == ',')
			return perr(p, pos, "missing step after '/'");
		if (!is_digit(s[pos]))
			return perr(p, pos, "the step after '/' must be a number");
		while (pos < end && is_digit(s[pos])) {
			if (pos - step_pos >= 6)
				return perr(p, step_pos, "step is too large");
			v = v * 10 + (s[pos++] - '0');
		}
		if (v < 1 || v > size)
			return perr(p, step_pos, "%s step %ld is out of range 1-%d", def->name, v, size);
		step = (int)v;
		if (!star && !ranged)
			b = a > def->star_hi ? a : def->star_hi;
	}
	if (pos < end && s[pos] != ',')
		return unexpected(p, def, pos);
	for (int v = a; v <= b; v += step)
		*bits |= UINT64_C(1) << (def->names == wday_names && v == 7 ? 0 : v);
	*next = pos;
	return FC_OK;
}

static int parse_field(struct parser *p, int field, size_t pos, size_t end, uint64_t *bits)
{
	const struct field_def *def = &field_defs[field];
	int rc;

	*bits = 0;
	for (;;) {
		if (pos >= end || p->s[pos] == ',')
			return perr(p, pos, "empty element in the %s list", def->name);
		rc = parse_element(p, def, pos, end, bits, &pos);
		if (rc)
			return rc;
		if (pos >= end)
			return FC_OK;
		pos++; /* ',' */
	}
}

static void derive(struct fc_cron *c)
{
	for (int first = 0; first < 7; first++) {
		uint32_t days = 0;

		for (int d = 1; d <= 31; d++)
			if (c->wdays >> ((first + d - 1) % 7) & 1)
				days |= UINT32_C(1) << d;
		c->wday_days[first] = days;
	}
}

static const char *const month_long[] = {"January", "February", "March",     "April",   "May",      "June",
					 "July",    "August",   "September", "October", "November", "December"};

/* With the AND day rule a day-of-month that no selected month has never fires (the OR rule always fires). */
static int check_fires(struct parser *p, const struct fc_cron *c, size_t mday_pos)
{
	struct fc_buf months = FC_BUF_INIT;
	int first_day = __builtin_ctz(c->mdays), nmonths = 0, seen = 0, rc;

	if (!c->mday_star && !c->wday_star)
		return FC_OK;
	for (int m = 1; m <= 12; m++) {
		if (!(c->months >> m & 1))
			continue;
		if (first_day <= fc_days_in_month(2000, m)) /* 2000: leap, so February has 29 */
			return FC_OK;
		nmonths++;
	}
	for (int m = 1; m <= 12; m++) {
		if (!(c->months >> m & 1))
			continue;
		seen++;
		if (seen > 1)
			fc_buf_adds(&months, seen == nmonths ? " or " : ", ");
		fc_buf_adds(&months, month_long[m - 1]);
	}
	rc = perr(p, mday_pos, "day-of-month %d never occurs in %s, so the schedule never fires", first_day,
		  months.buf);
	fc_buf_release(&months);
	return rc;
}

static int parse_fields(struct parser *p, size_t pos, struct fc_cron *c)
{
	size_t starts[NFIELDS], ends[NFIELDS];
	uint64_t bits[NFIELDS];
	int n = 0, rc;

	for (;;) {
		while (pos < p->len && is_space(p->s[pos]))
			pos++;
		if (pos >= p->len)
			break;
		if (n == NFIELDS)
			return perr(p, pos,
				    "too many fields: expected 5 (minute hour day-of-month month day-of-week); "
				    "seconds and year fields are not supported");
		starts[n] = pos;
		while (pos < p->len && !is_space(p->s[pos]))
			pos++;
		ends[n++] = pos;
	}
	if (n < NFIELDS)
		return perr(p, p->len, "expected 5 fields (minute hour day-of-month month day-of-week), found %d: "
				       "missing %s",
			    n, field_defs[n].name);
	for (int f = 0; f < NFIELDS; f++) {
		rc = parse_field(p, f, starts[f], ends[f], &bits[f]);
		if (rc)
			return rc;
	}
	c->minutes = bits[F_MINUTE];
	c->hours = (uint32_t)bits[F_HOUR];
	c->mdays = (uint32_t)bits[F_MDAY];
	c->months = (uint32_t)bits[F_MONTH];
	c->wdays = (uint32_t)bits[F_WDAY];
	c->mday_star = p->s[starts[F_MDAY]] == '*' || p->s[starts[F_MDAY]] == '?';
	c->wday_star = p->s[starts[F_WDAY]] == '*' || p->s[starts[F_WDAY]] == '?';
	derive(c);
	return check_fires(p, c, starts[F_MDAY]);
}

/* --- @every durations (Go's time.ParseDuration grammar, whole seconds) ------------------------------------------ */

static const struct {
	const char *name;
	int64_t ns;
	int exact_digits; /* fraction digits that still give whole nanoseconds: ns = c * 10^exact_digits */
} units[] = {
	{"ns", 1, 0},
	{"us", 1000, 3},
	{"\xc2\xb5s", 1000, 3}, /* U+00B5 micro sign */
	{"\xce\xbcs", 1000, 3}, /* U+03BC Greek mu */
	{"ms", 1000000, 6},
	{"s", INT64_C(1000000000), 9},
	{"m", INT64_C(60000000000), 10},
	{"h", INT64_C(3600000000000), 11},
};

static int parse_duration(struct parser *p, size_t pos, size_t end, int64_t *seconds)
{
	const char *s = p->s;
	size_t start = pos;
	int64_t total = 0;

	if (pos >= end)
		return perr(p, pos, "missing duration after @every (for example @every 90s or @every 1h30m)");
	if (s[pos] == '+' || s[pos] == '-')
		return perr(p, pos, "the @every duration cannot have a sign");
	while (pos < end) {
		size_t num_pos = pos, unit_pos, u;
		int64_t whole = 0, frac_ns = 0, value;
		int ndigits = 0, fdigits = 0;
		char frac[32];

		while (pos < end && is_digit(s[pos])) {
			if (whole > (INT64_MAX - 9) / 10)
				return perr(p, num_pos, "the @every duration is too large");
			whole = whole * 10 + (s[pos++] - '0');
			ndigits++;
		}
		if (pos < end && s[pos] == '.') {
			pos++;
			while (pos < end && is_digit(s[pos])) {
				if (fdigits < (int)sizeof(frac))
					frac[fdigits] = s[pos];
				fdigits++;
				pos++;
			}
		}
		if (!ndigits && !fdigits) {
			char cb[16];

			return perr(p, pos, "expected a number in the @every duration, found %s",
				    show_char((unsigned char)s[pos], cb));
		}
		unit_pos = pos;
		while (pos < end && !is_digit(s[pos]) && s[pos] != '.')
			pos++;
		if (unit_pos == pos) {
			if (!whole && !fdigits && num_pos == start && pos == end)
				return perr(p, start, "the @every period must be at least 1s");
			return perr(p, unit_pos, "missing unit after the number (use h, m or s)");
		}
		for (u = 0; u < FC_ARRAY_LEN(units); u++)
			if (strlen(units[u].name) == pos - unit_pos &&
			    !memcmp(units[u].name, s + unit_pos, pos - unit_pos))
				break;
		if (u == FC_ARRAY_LEN(units)) {
			if (pos - unit_pos == 1 && (s[unit_pos] == 'd' || s[unit_pos] == 'D'))
				return perr(p, unit_pos, "unknown unit 'd' in the @every duration: write 24h for a day");
			return perr(p, unit_pos, "unknown unit '%.*s' in the @every duration (use h, m or s)",
				    (int)(pos - unit_pos), s + unit_pos);
		}
		if (whole > INT64_MAX / units[u].ns)
			return perr(p, num_pos, "the @every duration is too large");
		value = whole * units[u].ns;
		for (int i = 0; i < fdigits; i++) {
			int digit = i < (int)sizeof(frac) ? frac[i] - '0' : 0;
			int64_t scale = units[u].ns;

			if (!digit)
				continue;
			if (i >= units[u].exact_digits || i >= (int)sizeof(frac))
				return perr(p, num_pos, "the @every period must be a whole number of seconds");
			for (int k = 0; k <= i; k++)
				scale /= 10;
			frac_ns += digit * scale;
		}
		if (value > INT64_MAX - frac_ns || value + frac_ns > INT64_MAX - total)
			return perr(p, num_pos, "the @every duration is too large");
		total += value + frac_ns;
	}
	if (total % INT64_C(1000000000))
		return perr(p, start, "the @every period must be a whole number of seconds");
	if (total < INT64_C(1000000000))
		return perr(p, start, "the @every period must be at least 1s");
	*seconds = total / INT64_C(1000000000);
	return FC_OK;
}

/* --- parse ------------------------------------------------------------------------------------------------------- */

static int parse_descriptor(struct parser *p, size_t pos, struct fc_cron *c)
{
	const char *s = p->s;
	size_t end = pos, i;
	int rc;

	while (end < p->len && !is_space(s[end]))
		end++;
	if (end - pos == 6 && !memcmp(s + pos, "@every", 6)) {
		size_t dur = end, dur_end;

		while (dur < p->len && is_space(s[dur]))
			dur++;
		if (dur == end && dur < p->len)
			return perr(p, dur, "expected a space after @every");
		dur_end = dur;
		while (dur_end < p->len && !is_space(s[dur_end]))
			dur_end++;
		rc = parse_duration(p, dur, dur_end, &c->period);
		if (rc)
			return rc;
		c->every = true;
		end = dur_end;
	} else {
		for (i = 0; i < FC_ARRAY_LEN(descriptors); i++)
			if (strlen(descriptors[i].name) == end - pos && !memcmp(descriptors[i].name, s + pos, end - pos))
				break;
		if (i == FC_ARRAY_LEN(descriptors)) {
			for (i = 0; i < FC_ARRAY_LEN(descriptors); i++)
				if (strlen(descriptors[i].name) == end - pos &&
				    !strncasecmp(descriptors[i].name, s + pos, end - pos))
					return perr(p, pos, "descriptors are lower-case: write %s", descriptors[i].name);
			if (end - pos == 6 && !strncasecmp(s + pos, "@every", 6))
				return perr(p, pos, "descriptors are lower-case: write @every");
			return perr(p, pos,
				    "unknown descriptor '%.*s' (use @yearly, @annually, @monthly, @weekly, @daily, "
				    "@midnight, @hourly or @every <duration>)",
				    (int)(end - pos), s + pos);
		} else {
			struct parser sub = {descriptors[i].fields, strlen(descriptors[i].fields), NULL, NULL};

			if (parse_fields(&sub, 0, c))
				FC_BUG("descriptor %s does not parse", descriptors[i].name);
		}
	}
	while (end < p->len && is_space(s[end]))
		end++;
	if (end < p->len)
		return perr(p, end, "unexpected text after the schedule");
	return FC_OK;
}

static int parse_zone(struct parser *p, size_t *pos, struct fc_cron *c)
{
	const char *s = p->s;
	size_t start, end, bad;
	char name[FC_TZ_NAME_MAX + 1];
	struct fc_err zerr;
	int rc;

	if (!strncmp(s + *pos, "CRON_TZ=", 8))
		start = *pos + 8;
	else if (!strncmp(s + *pos, "TZ=", 3))
		start = *pos + 3;
	else if (!strncasecmp(s + *pos, "CRON_TZ=", 8) || !strncasecmp(s + *pos, "TZ=", 3))
		return perr(p, *pos, "the time zone prefix is upper-case: write %s",
			    upper(s[*pos]) == 'C' ? "CRON_TZ=" : "TZ=");
	else
		return FC_OK;
	end = start;
	while (end < p->len && !is_space(s[end]))
		end++;
	if (end == start)
		return perr(p, start, "missing time zone name after '%.*s'", (int)(start - *pos), s + *pos);
	if (end - start > FC_TZ_NAME_MAX)
		return perr(p, start + FC_TZ_NAME_MAX, "time zone name is longer than %d bytes", FC_TZ_NAME_MAX);
	memcpy(name, s + start, end - start);
	name[end - start] = '\0';
	if (fc_tz_name_check(name, &bad, &zerr))
		return perr(p, start + bad, "%s", zerr.msg);
	rc = fc_tz_load(name, &c->zone, &zerr);
	if (rc == FC_ENOENT)
		return perr(p, start, "unknown time zone '%s'", name);
	if (rc)
		return perr(p, start, "%s", zerr.msg);
	while (end < p->len && is_space(s[end]))
		end++;
	if (end >= p->len)
		return perr(p, end, "expected a schedule after the time zone");
	*pos = end;
	return FC_OK;
}

int fc_cron_parse(const char *expr, struct fc_cron **out, size_t *column, struct fc_err *err)
{
	struct parser p = {expr, 0, column, err};
	struct fc_cron *c;
	size_t pos = 0;
	int rc;

	*out = NULL;
	if (column)
		*column = 0;
	if (!expr)
		return fc_err_set(err, FC_EINVAL, "no schedule");
	p.len = strnlen(expr, FC_CRON_MAX_LEN + 1);
	if (p.len > FC_CRON_MAX_LEN) {
		if (column)
			*column = FC_CRON_MAX_LEN + 1;
		return fc_err_set(err, FC_ELIMIT, "column %d: schedule is longer than %d bytes", FC_CRON_MAX_LEN + 1,
				  FC_CRON_MAX_LEN);
	}
	c = fc_xcalloc(1, sizeof(*c));
	while (pos < p.len && is_space(expr[pos]))
		pos++;
	if (pos >= p.len) {
		rc = perr(&p, pos, "empty schedule");
		goto out;
	}
	rc = parse_zone(&p, &pos, c);
	if (rc)
		goto out;
	if (expr[pos] == '@')
		rc = parse_descriptor(&p, pos, c);
	else
		rc = parse_fields(&p, pos, c);
	if (rc)
		goto out;
	*out = c;
	c = NULL;
out:
	fc_cron_free(c);
	return rc;
}

int fc_cron_every(int64_t seconds, struct fc_cron **out, struct fc_err *err)
{
	struct fc_cron *c;

	*out = NULL;
	if (seconds < 1 || seconds > MAX_PERIOD_NS / INT64_C(1000000000))
		return fc_err_set(err, FC_EINVAL, "period of %lld seconds is out of range", (long long)seconds);
	c = fc_xcalloc(1, sizeof(*c));
	c->every = true;
	c->period = seconds;
	*out = c;
	return FC_OK;
}

void fc_cron_free(struct fc_cron *cron)
{
	if (!cron)
		return;
	fc_tz_free(cron->zone);
	free(cron);
}

const struct fc_tz *fc_cron_zone(const struct fc_cron *cron)
{
	return cron ? cron->zone : NULL;
}

bool fc_cron_is_every(const struct fc_cron *cron)
{
	return cron && cron->every;
}

int64_t fc_cron_period(const struct fc_cron *cron)
{
	return cron && cron->every ? cron->period : 0;
}

bool fc_cron_equal(const struct fc_cron *a, const struct fc_cron *b)
{
	if (!a || !b)
		return a == b;
	if (!a->zone != !b->zone || (a->zone && strcmp(fc_tz_name(a->zone), fc_tz_name(b->zone))))
		return false;
	return a->every == b->every && a->period == b->period && a->minutes == b->minutes && a->hours == b->hours &&
	       a->mdays == b->mdays && a->months == b->months && a->wdays == b->wdays &&
	       a->mday_star == b->mday_star && a->wday_star == b->wday_star;
}

/* --- normalise ---------------------------------------------------------------------------------------------------- */

/* `set` over [lo, hi] without a leading '*' unless star_ok: "*", "*\/N", "a-b/N", or runs "a-b" and singles. */
static void put_set(struct fc_buf *out, uint64_t set, int lo, int hi, bool star_ok)
{
	uint64_t full = ((UINT64_C(1) << (hi - lo + 1)) - 1) << lo;
	int vals[64], n = 0, step;
	bool progression;

	for (int v = lo; v <= hi; v++)
		if (set >> v & 1)
			vals[n++] = v;
	if (set == full && star_ok) {
		fc_buf_addch(out, '*');
		return;
	}
	progression = n >= 3 && vals[1] - vals[0] >= 2;
	step = n >= 2 ? vals[1] - vals[0] : 0;
	for (int i = 2; progression && i < n; i++)
		progression = vals[i] - vals[i - 1] == step;
	if (progression) {
		if (star_ok && vals[0] == lo && vals[n - 1] + step > hi)
			fc_buf_addf(out, "*/%d", step);
		else
			fc_buf_addf(out, "%d-%d/%d", vals[0], vals[n - 1], step);
		return;
	}
	for (int i = 0; i < n;) {
		int j = i;

		while (j + 1 < n && vals[j + 1] == vals[j] + 1)
			j++;
		if (i)
			fc_buf_addch(out, ',');
		if (j - i >= 2) {
			fc_buf_addf(out, "%d-%d", vals[i], vals[j]);
		} else {
			fc_buf_addf(out, "%d", vals[i]);
			for (int k = i + 1; k <= j; k++)
				fc_buf_addf(out, ",%d", vals[k]);
		}
		i = j + 1;
	}
}

/* A day field: keep whether it starts with '*' (it selects the day rule). */
static void put_day_field(struct fc_buf *out, uint64_t set, int lo, int hi, bool star)
{
	uint64_t full = ((UINT64_C(1) << (hi - lo + 1)) - 1) << lo;

	if (!star) {
		put_set(out, set, lo, hi, false);
		return;
	}
	if (set == full) {
		fc_buf_addch(out, '*');
		return;
	}
	/* The smallest step whose '*' pattern the set contains; the rest follows as a list. */
	for (int step = 2; step <= hi - lo + 1; step++) {
		uint64_t pattern = 0;

		for (int v = lo; v <= hi; v += step)
			pattern |= UINT64_C(1) << v;
		if ((set & pattern) != pattern)
			continue;
		fc_buf_addf(out, "*/%d", step);
		if (set & ~pattern) {
			fc_buf_addch(out, ',');
			put_set(out, set & ~pattern, lo, hi, false);
		}
		return;
	}
	FC_BUG("day field starting with '*' has no '*' pattern");
}

static void put_duration(struct fc_buf *out, int64_t seconds)
{
	if (seconds >= 3600)
		fc_buf_addf(out, "%lldh", (long long)(seconds / 3600));
	if (seconds % 3600 >= 60)
		fc_buf_addf(out, "%lldm", (long long)(seconds % 3600 / 60));
	if (seconds % 60)
		fc_buf_addf(out, "%llds", (long long)(seconds % 60));
}

void fc_cron_normalise(const struct fc_cron *c, struct fc_buf *out)
{
	if (c->zone)
		fc_buf_addf(out, "CRON_TZ=%s ", fc_tz_name(c->zone));
	if (c->every) {
		fc_buf_adds(out, "@every ");
		put_duration(out, c->period);
		return;
	}
	put_set(out, c->minutes, 0, 59, true);
	fc_buf_addch(out, ' ');
	put_set(out, c->hours, 0, 23, true);
	fc_buf_addch(out, ' ');
	put_day_field(out, c->mdays, 1, 31, c->mday_star);
	fc_buf_addch(out, ' ');
	put_set(out, c->months, 1, 12, true);
	fc_buf_addch(out, ' ');
	put_day_field(out, c->wdays, 0, 6, c->wday_star);
}

/* --- next fire time ----------------------------------------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Days 1..31 of (year, month) that match the day fields under the day rule. */
static uint32_t day_mask(const struct fc_cron *c, int64_t year, int month)
{
	int64_t first = fc_days_from_civil(year, month, 1);
	int dim = fc_days_in_month(year, month);
	uint32_t valid = ((UINT32_C(1) << dim) - 1) << 1;
	uint32_t dom = c->mdays & valid, dow = c->wday_days[fc_weekday_from_days(first)] & valid;

	if (c->mday_star || c->wday_star)
		return dom & dow;
	return dom | dow;
}

/* The first matching whole-minute wall time in [from, to), skipping by field. */
static bool search(const struct fc_cron *c, int64_t from, int64_t to, int64_t *out)
{
	int64_t wall, days, secs, year;
	int month, day, hour, minute;

	if (from >= to)
		return false;
	wall = floor_div(from, 60) * 60;
	if (wall < from)
		wall += 60;
	days = floor_div(wall, 86400);
	secs = wall - days * 86400;
	fc_civil_from_days(days, &year, &month, &day);
	hour = (int)(secs / 3600);
	minute = (int)(secs / 60 % 60);
	for (int guard = 0; guard < 1000000; guard++) {
		int64_t at = fc_days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60;
		uint32_t mask, hmask;
		uint64_t mmask;

		if (at >= to)
			return false;
		if (!(c->months >> month & 1) || day > fc_days_in_month(year, month)) {
			uint32_t later = c->months & ~((UINT32_C(2) << month) - 1); /* selected months after this */

			if (later) {
				month = __builtin_ctz(later);
			} else {
				year++;
				month = __builtin_ctz(c->months);
			}
			day = 1;
			hour = minute = 0;
			continue;
		}
		mask = day_mask(c, year, month) >> day << day;
		if (!mask) {
			day = 32; /* next month */
			continue;
		}
		if ((int)__builtin_ctz(mask) != day) {
			day = __builtin_ctz(mask);
			hour = minute = 0;
		}
		hmask = c->hours >> hour << hour;
		if (!hmask) {
			day++;
			hour = minute = 0;
			continue;
		}
		if ((int)__builtin_ctz(hmask) != hour) {
			hour = __builtin_ctz(hmask);
			minute = 0;
		}
		mmask = c->minutes >> minute << minute;
		if (!mmask) {
			hour++;
			minute = 0;
			if (hour == 24) {
				hour = 0;
				day++;
			}
			continue;
		}
		minute = __builtin_ctzll(mmask);
		at = fc_days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60;
		if (at >= to)
			return false;
		*out = at;
		return true;
	}
	return false;
}

static int64_t every_next(int64_t period, int64_t after, int64_t anchor)
{
	int64_t k, next;

	if (anchor < FC_TIME_MIN || anchor > FC_TIME_MAX || after >= FC_TIME_MAX)
		return FC_CRON_NONE;
	if (after < anchor)
		k = 1;
	else
		k = (after - anchor) / period + 1;
	if (k > (FC_TIME_MAX - anchor) / period)
		return FC_CRON_NONE;
	next = anchor + k * period;
	return next > FC_TIME_MAX ? FC_CRON_NONE : next;
}

int64_t fc_cron_next(const struct fc_cron *c, const struct fc_tz *tz, int64_t after_utc, int64_t anchor_utc)
{
	return fc_cron_next_dst(c, tz, after_utc, anchor_utc, NULL, NULL);
}

int64_t fc_cron_next_dst(const struct fc_cron *c, const struct fc_tz *tz, int64_t after_utc, int64_t anchor_utc,
			 const struct fc_cron_dst *dst, enum fc_cron_rule *rule)
{
	static const struct fc_cron_dst defaults = {FC_DST_REPEAT_AUTO, FC_DST_SKIP_SHIFT};
	const struct fc_tz *zone;
	enum fc_cron_dst_repeat repeat;
	int64_t limit, s, wall;

	if (rule)
		*rule = FC_CRON_RULE_PLAIN;
	if (!c)
		return FC_CRON_NONE;
	if (c->every)
		return every_next(c->period, after_utc, anchor_utc);
	if (!dst)
		dst = &defaults;
	zone = c->zone ? c->zone : tz ? tz : fc_tz_utc();
	if (after_utc >= FC_TIME_MAX)
		return FC_CRON_NONE;
	if (after_utc < FC_TIME_MIN - 1)
		after_utc = FC_TIME_MIN - 1;
	limit = after_utc > FC_TIME_MAX - HORIZON ? FC_TIME_MAX : after_utc + HORIZON;
	repeat = dst->repeat;
	if (repeat == FC_DST_REPEAT_AUTO)
		repeat = c->hours == ALL_HOURS ? FC_DST_REPEAT_BOTH : FC_DST_REPEAT_FIRST;
	s = after_utc + 1;
	for (int guard = 0; guard < 1000000 && s <= limit; guard++) {
		struct fc_tz_span sp;
		int64_t end, from, to, repeat_from = INT64_MAX;
		bool back_before, back_after;

		fc_tz_span(zone, s, &sp);
		/*
		 * A forward jump at the start of this span skipped the wall times [start + prev_offset, start +
		 * offset): under dst_skip shift a match there fires at the transition, the first instant after the gap.
		 */
		if (dst->skip == FC_DST_SKIP_SHIFT && sp.start == s && sp.prev_offset < sp.utc_offset &&
		    search(c, s + sp.prev_offset, s + sp.utc_offset, &wall)) {
			if (rule)
				*rule = FC_CRON_RULE_SHIFTED;
			return s;
		}
		end = sp.end > limit ? limit + 1 : sp.end;
		from = s + sp.utc_offset;
		to = end + sp.utc_offset;
		/* The span began with a backward jump: its wall times [start + offset, start + prev_offset) repeat. */
		back_before = sp.start != INT64_MIN && sp.prev_offset > sp.utc_offset;
		/* The span ends with a backward jump: its wall times from end + next_offset on come again next span. */
		back_after = sp.end != INT64_MAX && sp.next_offset < sp.utc_offset;
		if (back_before && repeat == FC_DST_REPEAT_FIRST && sp.start + sp.prev_offset > from)
			from = sp.start + sp.prev_offset; /* the second occurrence does not fire */
		if (back_after) {
			repeat_from = sp.end + sp.next_offset;
			if (repeat == FC_DST_REPEAT_LAST && repeat_from < to && sp.end <= limit)
				to = repeat_from; /* the first occurrence does not fire */
		}
		if (search(c, from, to, &wall)) {
			if (rule) {
				if (back_before && wall < sp.start + sp.prev_offset)
					*rule = FC_CRON_RULE_REPEAT_LAST;
				else if (back_after && wall >= repeat_from)
					*rule = FC_CRON_RULE_REPEAT_FIRST;
			}
			return wall - sp.utc_offset;
		}
		if (sp.end > limit)
			break;
		s = sp.end;
	}
	return FC_CRON_NONE;
}

static const char *const dst_repeat_names[] = {"auto", "first", "last", "both"};
static const char *const dst_skip_names[] = {"shift", "skip"};

int fc_cron_dst_repeat_parse(const char *text, enum fc_cron_dst_repeat *out, struct fc_err *err)
{
	for (size_t i = 0; i < FC_ARRAY_LEN(dst_repeat_names); i++)
		if (!strcmp(text, dst_repeat_names[i])) {
			*out = (enum fc_cron_dst_repeat)i;
			return FC_OK;
		}
	return fc_err_set(err, FC_EINVAL, "dst_repeat must be first, last, both or auto, not '%s'", text);
}

int fc_cron_dst_skip_parse(const char *text, enum fc_cron_dst_skip *out, struct fc_err *err)
{
	for (size_t i = 0; i < FC_ARRAY_LEN(dst_skip_names); i++)
		if (!strcmp(text, dst_skip_names[i])) {
			*out = (enum fc_cron_dst_skip)i;
			return FC_OK;
		}
	return fc_err_set(err, FC_EINVAL, "dst_skip must be shift or skip, not '%s'", text);
}

const char *fc_cron_dst_repeat_name(enum fc_cron_dst_repeat r)
{
	return (unsigned)r < FC_ARRAY_LEN(dst_repeat_names) ? dst_repeat_names[r] : "?";
}

const char *fc_cron_dst_skip_name(enum fc_cron_dst_skip sk)
{
	return (unsigned)sk < FC_ARRAY_LEN(dst_skip_names) ? dst_skip_names[sk] : "?";
}

const char *fc_cron_rule_name(enum fc_cron_rule rule)
{
	switch (rule) {
	case FC_CRON_RULE_SHIFTED:
		return "dst_skip: shift";
	case FC_CRON_RULE_REPEAT_FIRST:
		return "dst_repeat: first occurrence";
	case FC_CRON_RULE_REPEAT_LAST:
		return "dst_repeat: second occurrence";
	case FC_CRON_RULE_PLAIN:
		break;
	}
	return "";
}

/* --- Flyte FixedRate ------------------------------------------------------------------------------------------- */

int fc_fixed_rate_seconds(uint32_t value, int unit, int64_t *seconds, struct fc_err *err)
{
	static const int64_t unit_seconds[] = {60, 3600, 86400};

	if (unit < FC_RATE_MINUTE || unit > FC_RATE_DAY)
		return fc_err_set(err, FC_EINVAL, "unknown fixed rate unit %d (use MINUTE, HOUR or DAY)", unit);
	if (value < 1)
		return fc_err_set(err, FC_EINVAL, "fixed rate value must be at least 1");
	*seconds = (int64_t)value * unit_seconds[unit];
	return FC_OK;
}

int fc_fixed_rate_unit_parse(const char *name, int *unit, struct fc_err *err)
{
	static const char *const names[] = {"MINUTE", "HOUR", "DAY"};

	for (int u = 0; u < 3; u++) {
		size_t n = strlen(names[u]);

		if (!strncasecmp(name, names[u], n) &&
		    (!name[n] || ((name[n] == 's' || name[n] == 'S') && !name[n + 1]))) {
			*unit = u;
			return FC_OK;
		}
	}
	return fc_err_set(err, FC_EINVAL, "unknown fixed rate unit '%s' (use MINUTE, HOUR or DAY)", name);
}
