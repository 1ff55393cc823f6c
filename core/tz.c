/*
 * tz.c: TZif files (RFC 8536), POSIX TZ strings, civil-time arithmetic and RFC 3339.
 *
 * A zone is a table of transitions (instant -> local time type) followed, for instants at or after the last
 * transition, by the rules of the footer's POSIX TZ string. Everything is computed from the immutable zone, so any
 * number of threads may share one. Civil-date arithmetic follows Howard Hinnant's days_from_civil algorithms.
 */
#include "tz.h"

#include "buf.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TZIF_MAX_SIZE (1024 * 1024)
#define TZIF_MAX_TYPES 256
/* Offsets are accepted within +-26 hours; from_local() looks that far around a wall time. */
#define OFFSET_LIMIT (26 * 3600)
#define DEFAULT_TZDIR "/usr/share/zoneinfo"

struct tz_type {
	int32_t utoff;
	bool isdst;
	char abbr[FC_TZ_ABBR_MAX];
};

enum rule_kind { RULE_JULIAN1, RULE_JULIAN0, RULE_MONTH };

/* One date rule of a POSIX TZ string: "Jn", "n" or "Mm.w.d", with the local time of the change. */
struct tz_rule {
	enum rule_kind kind;
	int day; /* Jn: 1..365, n: 0..365 */
	int month, week, wday;
	int32_t time; /* seconds after local midnight, -167h..167h */
};

struct tz_posix {
	struct tz_type std, dst;
	bool has_dst;
	struct tz_rule start, end;
};

struct fc_tz {
	char name[FC_TZ_NAME_MAX + 1];
	int64_t *times;
	uint8_t *idx;
	size_t ntimes;
	struct tz_type *types;
	size_t ntypes;
	bool has_posix;
	struct tz_posix posix;
	bool builtin;
};

static const struct fc_tz utc_zone = {
	.name = "UTC",
	.has_posix = true,
	.posix = {.std = {0, false, "UTC"}},
	.builtin = true,
};

const struct fc_tz *fc_tz_utc(void)
{
	return &utc_zone;
}

const char *fc_tz_name(const struct fc_tz *tz)
{
	return tz ? tz->name : "UTC";
}

void fc_tz_free(struct fc_tz *tz)
{
	if (!tz || tz->builtin)
		return;
	free(tz->times);
	free(tz->idx);
	free(tz->types);
	free(tz);
}

/* --- civil arithmetic ---------------------------------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

bool fc_is_leap_year(int64_t year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int fc_days_in_month(int64_t year, int month)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (month < 1 || month > 12)
		return 0;
	if (month == 2 && fc_is_leap_year(year))
		return 29;
	return days[month - 1];
}

int64_t fc_days_from_civil(int64_t year, int month, int day)
{
	int64_t y = year - (month <= 2);
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void fc_civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
	int64_t z = days + 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int m = (int)(mp < 10 ? mp + 3 : mp - 9);

	*day = (int)(doy - (153 * mp + 2) / 5 + 1);
	*month = m;
	*year = yoe + era * 400 + (m <= 2);
}

int fc_weekday_from_days(int64_t days)
{
	int64_t w = (days + 4) % 7;

	return (int)(w < 0 ? w + 7 : w);
}

static int64_t clamp_time(int64_t t)
{
	if (t < FC_TIME_MIN)
		return FC_TIME_MIN;
	if (t > FC_TIME_MAX)
		return FC_TIME_MAX;
	return t;
}

void fc_time_to_civil(int64_t utc, int32_t utc_offset, struct fc_civil *out)
{
	int64_t local = clamp_time(utc) + utc_offset;
	int64_t days = floor_div(local, 86400);
	int64_t secs = local - days * 86400;
	int64_t year;

	memset(out, 0, sizeof(*out));
	fc_civil_from_days(days, &year, &out->month, &out->day);
	out->year = (int)year;
	out->hour = (int)(secs / 3600);
	out->minute = (int)(secs / 60 % 60);
	out->second = (int)(secs % 60);
	out->wday = fc_weekday_from_days(days);
	out->yday = (int)(days - fc_days_from_civil(year, 1, 1));
	out->utc_offset = utc_offset;
}

int64_t fc_civil_to_seconds(const struct fc_civil *c)
{
	int64_t month0 = (int64_t)c->month - 1;
	int64_t year = (int64_t)c->year + floor_div(month0, 12);
	int month = (int)(month0 - floor_div(month0, 12) * 12) + 1;
	int64_t days = fc_days_from_civil(year, month, 1) + ((int64_t)c->day - 1);

	return days * 86400 + (int64_t)c->hour * 3600 + (int64_t)c->minute * 60 + c->second;
}

/* --- POSIX TZ strings -------------------------------------------------------------------------------------------- */

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* An abbreviation: three or more letters, or <...> with letters, digits, '+' and '-'. */
static bool posix_abbr(const char **ps, char out[FC_TZ_ABBR_MAX])
{
	const char *s = *ps;
	size_t n = 0;

	if (*s == '<') {
		s++;
		while (is_alpha(*s) || is_digit(*s) || *s == '+' || *s == '-') {
			if (n >= FC_TZ_ABBR_MAX - 1)
				return false;
			out[n++] = *s++;
		}
		if (*s != '>')
			return false;
		s++;
	} else {
		while (is_alpha(*s)) {
			if (n >= FC_TZ_ABBR_MAX - 1)
				return false;
			out[n++] = *s++;
		}
	}
	if (n < 3)
		return false;
	out[n] = '\0';
	*ps = s;
	return true;
}

/* A number of 1..max_digits digits no larger than `max`. */
static bool posix_num(const char **ps, int max_digits, int max, int *out)
{
	const char *s = *ps;
	int v = 0, n = 0;

	while (is_digit(*s) && n < max_digits) {
		v = v * 10 + (*s++ - '0');
		n++;
	}
	if (!n || is_digit(*s) || v > max)
		return false;
	*out = v;
	*ps = s;
	return true;
}

/* [+-]hh[:mm[:ss]] with hh at most `max_hours`; returns seconds. */
static bool posix_hms(const char **ps, int max_hours, int32_t *out)
{
	const char *s = *ps;
	int sign = 1, h, m = 0, sec = 0;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (!posix_num(&s, 3, max_hours, &h))
		return false;
	if (*s == ':') {
		s++;
		if (!posix_num(&s, 2, 59, &m))
			return false;
		if (*s == ':') {
			s++;
			if (!posix_num(&s, 2, 59, &sec))
				return false;
		}
	}
	*out = sign * (h * 3600 + m * 60 + sec);
	*ps = s;
	return true;
}

static bool posix_rule(const char **ps, struct tz_rule *r)
{
	const char *s = *ps;

	memset(r, 0, sizeof(*r));
	if (*s == 'J') {
		s++;
		r->kind = RULE_JULIAN1;
		if (!posix_num(&s, 3, 365, &r->day) || r->day < 1)
			return false;
	} else if (*s == 'M') {
		s++;
		r->kind = RULE_MONTH;
		if (!posix_num(&s, 2, 12, &r->month) || r->month < 1 || *s++ != '.')
			return false;
		if (!posix_num(&s, 1, 5, &r->week) || r->week < 1 || *s++ != '.')
			return false;
		if (!posix_num(&s, 1, 6, &r->wday))
			return false;
	} else {
		r->kind = RULE_JULIAN0;
		if (!posix_num(&s, 3, 365, &r->day))
			return false;
	}
	r->time = 2 * 3600;
	if (*s == '/') {
		s++;
		if (!posix_hms(&s, 167, &r->time))
			return false;
	}
	*ps = s;
	return true;
}

static bool valid_offset(int32_t utoff)
{
	return utoff > -OFFSET_LIMIT && utoff < OFFSET_LIMIT;
}

static bool posix_parse(const char *spec, struct tz_posix *p)
{
	const char *s = spec;
	int32_t off;

	memset(p, 0, sizeof(*p));
	if (!posix_abbr(&s, p->std.abbr) || !posix_hms(&s, 24, &off))
		return false;
	p->std.utoff = -off;
	if (!*s)
		return valid_offset(p->std.utoff);
	if (!posix_abbr(&s, p->dst.abbr))
		return false;
	p->has_dst = true;
	p->dst.isdst = true;
	p->dst.utoff = p->std.utoff + 3600;
	if (*s && *s != ',') {
		if (!posix_hms(&s, 24, &off))
			return false;
		p->dst.utoff = -off;
	}
	if (*s == ',') {
		s++;
		if (!posix_rule(&s, &p->start) || *s++ != ',' || !posix_rule(&s, &p->end))
			return false;
	} else {
		/* No rule: glibc's default, the US rules since 2007. */
		p->start = (struct tz_rule){RULE_MONTH, 0, 3, 2, 0, 2 * 3600};
		p->end = (struct tz_rule){RULE_MONTH, 0, 11, 1, 0, 2 * 3600};
	}
	return !*s && valid_offset(p->std.utoff) && valid_offset(p->dst.utoff);
}

/* Days since the epoch of the day a rule names in `year`. */
static int64_t rule_day(const struct tz_rule *r, int64_t year)
{
	int64_t jan1 = fc_days_from_civil(year, 1, 1);
	int64_t first, day;
	int dim;

	switch (r->kind) {
	case RULE_JULIAN1: /* 1..365, February 29 never counted */
		return jan1 + r->day - 1 + (fc_is_leap_year(year) && r->day >= 60);
	case RULE_JULIAN0:
		return jan1 + r->day;
	case RULE_MONTH:
		break;
	}
	first = fc_days_from_civil(year, r->month, 1);
	dim = fc_days_in_month(year, r->month);
	day = (r->wday - fc_weekday_from_days(first) + 7) % 7 + (int64_t)(r->week - 1) * 7;
	while (day >= dim)
		day -= 7;
	return first + day;
}

struct tz_event {
	int64_t at;
	bool dst; /* state from `at` on */
};

/* What a lookup finds: the span [start, end) of one local time type, with its neighbours. */
struct tz_lookup {
	const struct tz_type *cur, *prev, *next;
	int64_t start, end;
};

static void posix_lookup(const struct tz_posix *p, int64_t t, struct tz_lookup *lk)
{
	struct tz_event ev[10];
	int64_t year, days = floor_div(clamp_time(t) + p->std.utoff, 86400);
	size_t n = 0, i, k;
	int month, day;

	if (!p->has_dst) {
		lk->cur = lk->prev = lk->next = &p->std;
		lk->start = INT64_MIN;
		lk->end = INT64_MAX;
		return;
	}
	fc_civil_from_days(days, &year, &month, &day);
	/* The changes of five years around t, sorted; at equal instants an end sorts before a start. */
	for (int64_t y = year - 2; y <= year + 2; y++) {
		ev[n].at = rule_day(&p->end, y) * 86400 + p->end.time - p->dst.utoff;
		ev[n++].dst = false;
		ev[n].at = rule_day(&p->start, y) * 86400 + p->start.time - p->std.utoff;
		ev[n++].dst = true;
	}
	for (i = 1; i < n; i++) {
		struct tz_event e = ev[i];

		for (k = i; k > 0 && (ev[k - 1].at > e.at || (ev[k - 1].at == e.at && ev[k - 1].dst && !e.dst));
		     k--)
			ev[k] = ev[k - 1];
		ev[k] = e;
	}
	for (k = 0; k + 1 < n && ev[k + 1].at <= t; k++)
		;
	lk->start = ev[k].at;
	lk->cur = ev[k].dst ? &p->dst : &p->std;
	lk->prev = ev[k].dst ? &p->std : &p->dst;
	for (i = k; i > 0; i--) {
		if (ev[i - 1].at < ev[k].at) {
			lk->prev = ev[i - 1].dst ? &p->dst : &p->std;
			break;
		}
	}
	lk->end = k + 1 < n ? ev[k + 1].at : INT64_MAX;
	lk->next = lk->cur;
	for (i = k + 1; i < n && ev[i].at == lk->end; i++)
		lk->next = ev[i].dst ? &p->dst : &p->std;
}

static void tz_lookup(const struct fc_tz *tz, int64_t t, struct tz_lookup *lk)
{
	size_t lo, hi, i;

	if (!tz)
		tz = &utc_zone;
	if (tz->ntimes == 0) {
		if (tz->has_posix) {
			posix_lookup(&tz->posix, t, lk);
		} else {
			lk->cur = lk->prev = lk->next = &tz->types[0];
			lk->start = INT64_MIN;
			lk->end = INT64_MAX;
		}
		return;
	}
	if (t < tz->times[0]) {
		/* RFC 8536: time type 0 before the first transition. */
		lk->cur = lk->prev = &tz->types[0];
		lk->next = &tz->types[tz->idx[0]];
		lk->start = INT64_MIN;
		lk->end = tz->times[0];
		return;
	}
	/* The last transition at or before t. */
	lo = 0;
	hi = tz->ntimes;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (tz->times[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	i = lo;
	lk->start = tz->times[i];
	lk->cur = &tz->types[tz->idx[i]];
	lk->prev = i > 0 ? &tz->types[tz->idx[i - 1]] : &tz->types[0];
	if (i + 1 < tz->ntimes) {
		lk->end = tz->times[i + 1];
		lk->next = &tz->types[tz->idx[i + 1]];
	} else if (tz->has_posix) {
		struct tz_lookup pl;

		posix_lookup(&tz->posix, t, &pl);
		lk->cur = pl.cur;
		lk->next = pl.next;
		lk->end = pl.end;
		if (pl.start > lk->start) {
			lk->start = pl.start;
			lk->prev = pl.prev;
		}
	} else {
		lk->end = INT64_MAX;
		lk->next = lk->cur;
	}
}

void fc_tz_span(const struct fc_tz *tz, int64_t utc, struct fc_tz_span *out)
{
	struct tz_lookup lk;

	tz_lookup(tz, utc, &lk);
	out->start = lk.start;
	out->end = lk.end;
	out->utc_offset = lk.cur->utoff;
	out->prev_offset = lk.prev->utoff;
	out->next_offset = lk.next->utoff;
}

void fc_tz_to_local(const struct fc_tz *tz, int64_t utc, struct fc_civil *out)
{
	struct tz_lookup lk;

	utc = clamp_time(utc);
	tz_lookup(tz, utc, &lk);
	fc_time_to_civil(utc, lk.cur->utoff, out);
	out->is_dst = lk.cur->isdst;
	memcpy(out->abbr, lk.cur->abbr, sizeof(out->abbr));
}

int fc_tz_from_local(const struct fc_tz *tz, const struct fc_civil *local, int64_t candidates[2])
{
	int64_t wall = fc_civil_to_seconds(local);
	int64_t t, gap = INT64_MIN, fallback;
	int found = 0;
	struct tz_lookup lk;
	size_t guard;

	if (wall < FC_TIME_MIN - 2 * 86400)
		wall = FC_TIME_MIN - 2 * 86400;
	if (wall > FC_TIME_MAX + 2 * 86400)
		wall = FC_TIME_MAX + 2 * 86400;
	/* Every instant whose wall time can be `wall` lies within OFFSET_LIMIT of it: walk those spans. */
	t = wall - OFFSET_LIMIT;
	tz_lookup(tz, wall, &lk);
	fallback = wall - lk.cur->utoff;
	for (guard = 0; guard < 1000000; guard++) {
		int64_t c;

		tz_lookup(tz, t, &lk);
		c = wall - lk.cur->utoff;
		if (c >= lk.start && c < lk.end) {
			if (found < 2)
				candidates[found] = c;
			else
				candidates[1] = c;
			found++;
		}
		if (gap == INT64_MIN && lk.start != INT64_MIN && lk.start + lk.prev->utoff <= wall &&
		    wall < lk.start + lk.cur->utoff)
			gap = lk.start;
		if (lk.end == INT64_MAX || lk.end > wall + OFFSET_LIMIT)
			break;
		t = lk.end;
	}
	if (!found) {
		candidates[0] = candidates[1] = gap != INT64_MIN ? gap : fallback;
		return 0;
	}
	if (found == 1)
		candidates[1] = candidates[0];
	return found > 2 ? 2 : found;
}

/* --- loading ----------------------------------------------------------------------------------------------------- */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_header {
	int version;
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static int tzif_header(const char *name, const unsigned char *p, size_t len, size_t time_size,
		       struct tzif_header *h, size_t *data_len, struct fc_err *err)
{
	uint64_t n;

	if (len < 44 || memcmp(p, "TZif", 4))
		return fc_err_set(err, FC_EPARSE, "time zone '%s': not a TZif file", name);
	if (p[4] != 0 && (p[4] < '2' || p[4] > '4'))
		return fc_err_set(err, FC_EPARSE, "time zone '%s': unsupported TZif version '%c'", name, p[4]);
	h->version = p[4] ? p[4] - '0' : 1;
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	if (h->typecnt == 0 || h->typecnt > TZIF_MAX_TYPES || h->charcnt == 0 ||
	    (h->isutcnt && h->isutcnt != h->typecnt) || (h->isstdcnt && h->isstdcnt != h->typecnt))
		return fc_err_set(err, FC_EPARSE, "time zone '%s': TZif header has inconsistent counts", name);
	n = (uint64_t)h->timecnt * (time_size + 1) + (uint64_t)h->typecnt * 6 + h->charcnt +
	    (uint64_t)h->leapcnt * (time_size + 4) + h->isstdcnt + h->isutcnt;
	if (n > len - 44)
		return fc_err_set(err, FC_EPARSE, "time zone '%s': TZif file is truncated", name);
	*data_len = (size_t)n;
	return FC_OK;
}

static int tzif_data(const char *name, const unsigned char *p, const struct tzif_header *h, size_t time_size,
		     struct fc_tz *tz, struct fc_err *err)
{
	const unsigned char *idx = p + (size_t)h->timecnt * time_size;
	const unsigned char *types = idx + h->timecnt;
	const unsigned char *chars = types + (size_t)h->typecnt * 6;
	size_t i;

	if (h->leapcnt)
		return fc_err_set(err, FC_EUNSUPPORTED,
				  "time zone '%s': zone files with leap seconds (right/...) are not supported", name);
	tz->ntimes = h->timecnt;
	tz->times = fc_xcalloc(h->timecnt ? h->timecnt : 1, sizeof(*tz->times));
	tz->idx = fc_xcalloc(h->timecnt ? h->timecnt : 1, 1);
	tz->ntypes = h->typecnt;
	tz->types = fc_xcalloc(h->typecnt, sizeof(*tz->types));
	for (i = 0; i < h->timecnt; i++) {
		tz->times[i] = time_size == 8 ? be64(p + i * 8) : (int32_t)be32(p + i * 4);
		if (i > 0 && tz->times[i] <= tz->times[i - 1])
			return fc_err_set(err, FC_EPARSE, "time zone '%s': transition times are not ascending", name);
		tz->idx[i] = idx[i];
		if (idx[i] >= h->typecnt)
			return fc_err_set(err, FC_EPARSE, "time zone '%s': bad local time type index", name);
	}
	for (i = 0; i < h->typecnt; i++) {
		const unsigned char *tp = types + i * 6;
		struct tz_type *ty = &tz->types[i];
		size_t desig = tp[5], n;

		ty->utoff = (int32_t)be32(tp);
		ty->isdst = tp[4] != 0;
		if (!valid_offset(ty->utoff) || tp[4] > 1 || desig >= h->charcnt)
			return fc_err_set(err, FC_EPARSE, "time zone '%s': bad local time type", name);
		n = strnlen((const char *)chars + desig, h->charcnt - desig);
		if (desig + n >= h->charcnt)
			return fc_err_set(err, FC_EPARSE, "time zone '%s': unterminated abbreviation", name);
		if (n >= FC_TZ_ABBR_MAX)
			n = FC_TZ_ABBR_MAX - 1;
		memcpy(ty->abbr, chars + desig, n);
		ty->abbr[n] = '\0';
	}
	return FC_OK;
}

int fc_tz_load_tzif(const char *name, const unsigned char *data, size_t len, struct fc_tz **out,
		    struct fc_err *err)
{
	struct fc_tz *tz = fc_xcalloc(1, sizeof(*tz));
	struct tzif_header h;
	size_t data_len, time_size = 4;
	const unsigned char *p = data;
	int rc;

	*out = NULL;
	snprintf(tz->name, sizeof(tz->name), "%s", name ? name : "");
	rc = tzif_header(tz->name, p, len, 4, &h, &data_len, err);
	if (rc)
		goto out;
	if (h.version >= 2) {
		/* Skip the 32-bit block: the 64-bit one follows with its own header, then the footer. */
		p += 44 + data_len;
		len -= 44 + data_len;
		time_size = 8;
		rc = tzif_header(tz->name, p, len, 8, &h, &data_len, err);
		if (rc)
			goto out;
	}
	rc = tzif_data(tz->name, p + 44, &h, time_size, tz, err);
	if (rc)
		goto out;
	if (h.version >= 2) {
		const char *foot = (const char *)p + 44 + data_len;
		size_t rest = len - 44 - data_len, flen;
		char spec[256];

		if (rest < 2 || foot[0] != '\n') {
			rc = fc_err_set(err, FC_EPARSE, "time zone '%s': TZif footer is missing", tz->name);
			goto out;
		}
		for (flen = 0; flen + 1 < rest && foot[1 + flen] != '\n'; flen++)
			;
		if (flen + 1 >= rest || flen >= sizeof(spec) || memchr(foot + 1, '\0', flen)) {
			rc = fc_err_set(err, FC_EPARSE, "time zone '%s': bad TZif footer", tz->name);
			goto out;
		}
		memcpy(spec, foot + 1, flen);
		spec[flen] = '\0';
		if (flen) {
			if (!posix_parse(spec, &tz->posix)) {
				rc = fc_err_set(err, FC_EPARSE, "time zone '%s': bad TZ string '%s' in the footer",
						tz->name, spec);
				goto out;
			}
			tz->has_posix = true;
		}
	}
	*out = tz;
	tz = NULL;
out:
	fc_tz_free(tz);
	return rc;
}

int fc_tz_parse_posix(const char *spec, struct fc_tz **out, struct fc_err *err)
{
	struct fc_tz *tz;

	*out = NULL;
	if (!spec || strlen(spec) > FC_TZ_NAME_MAX)
		return fc_err_set(err, FC_EINVAL, "bad POSIX TZ string");
	tz = fc_xcalloc(1, sizeof(*tz));
	if (!posix_parse(spec, &tz->posix)) {
		fc_tz_free(tz);
		return fc_err_set(err, FC_EPARSE, "bad POSIX TZ string '%s'", spec);
	}
	tz->has_posix = true;
	snprintf(tz->name, sizeof(tz->name), "%s", spec);
	*out = tz;
	return FC_OK;
}

int fc_tz_name_check(const char *name, size_t *bad_offset, struct fc_err *err)
{
	size_t i, comp = 0, len = strlen(name);

	for (i = 0; i <= len; i++) {
		char c = name[i];

		if (c == '/' || c == '\0') {
			size_t clen = i - comp;

			if (clen == 0) {
				if (bad_offset)
					*bad_offset = i;
				if (!len)
					return fc_err_set(err, FC_EINVAL, "empty time zone name");
				return fc_err_set(err, FC_EINVAL, "invalid time zone name '%s': empty path component",
						  name);
			}
			comp = i + 1;
			continue;
		}
		if (!is_alpha(c) && !is_digit(c) && c != '_' && c != '+' && c != '-') {
			if (bad_offset)
				*bad_offset = i;
			return fc_err_set(err, FC_EINVAL,
					  "invalid time zone name '%s': only letters, digits and _+-/ are allowed",
					  name);
		}
		if (i >= FC_TZ_NAME_MAX) {
			if (bad_offset)
				*bad_offset = i;
			return fc_err_set(err, FC_EINVAL, "time zone name is longer than %d bytes", FC_TZ_NAME_MAX);
		}
	}
	return FC_OK;
}

int fc_tz_load(const char *name, struct fc_tz **out, struct fc_err *err)
{
	struct fc_buf path = FC_BUF_INIT, data = FC_BUF_INIT;
	const char *dir;
	struct fc_err read_err;
	int rc;

	*out = NULL;
	if (!name)
		return fc_err_set(err, FC_EINVAL, "no time zone name");
	if (!*name || !strcmp(name, "UTC")) {
		struct fc_tz *tz = fc_xmalloc(sizeof(*tz));

		*tz = utc_zone;
		tz->builtin = false;
		*out = tz;
		return FC_OK;
	}
	rc = fc_tz_name_check(name, NULL, err);
	if (rc)
		return rc;
	dir = getenv("TZDIR");
	if (!dir || !*dir)
		dir = DEFAULT_TZDIR;
	fc_buf_addf(&path, "%s/%s", dir, name);
	rc = fc_buf_read_file(&data, path.buf, TZIF_MAX_SIZE, &read_err);
	if (rc == FC_ENOENT || (rc == FC_EINVAL && data.len == 0)) {
		rc = fc_err_set(err, FC_ENOENT, "unknown time zone '%s' (no zone file %s)", name, path.buf);
		goto out;
	}
	if (rc) {
		rc = fc_err_set(err, rc, "time zone '%s': %s", name, read_err.msg);
		goto out;
	}
	rc = fc_tz_load_tzif(name, (const unsigned char *)data.buf, data.len, out, err);
out:
	fc_buf_release(&path);
	fc_buf_release(&data);
	return rc;
}

/* --- RFC 3339 ---------------------------------------------------------------------------------------------------- */

size_t fc_time_format_rfc3339(int64_t utc, int32_t utc_offset, char out[FC_RFC3339_MAX])
{
	struct fc_civil c;
	int32_t off = utc_offset / 60 * 60;
	int n;

	if (off >= 24 * 3600)
		off = 24 * 3600 - 60;
	if (off <= -24 * 3600)
		off = -(24 * 3600 - 60);
	fc_time_to_civil(utc, off, &c);
	n = snprintf(out, FC_RFC3339_MAX, "%04d-%02d-%02dT%02d:%02d:%02d", c.year, c.month, c.day, c.hour,
		     c.minute, c.second);
	if (n < 0)
		n = 0;
	if (off == 0)
		n += snprintf(out + n, FC_RFC3339_MAX - (size_t)n, "Z");
	else
		n += snprintf(out + n, FC_RFC3339_MAX - (size_t)n, "%c%02d:%02d", off < 0 ? '-' : '+',
			      abs(off) / 3600, abs(off) / 60 % 60);
	return (size_t)n;
}

/* Exactly `ndigits` digits at s[*pos]. */
static bool rfc_digits(const char *s, size_t *pos, int ndigits, int *out)
{
	int v = 0;

	for (int i = 0; i < ndigits; i++) {
		if (!is_digit(s[*pos]))
			return false;
		v = v * 10 + (s[(*pos)++] - '0');
	}
	*out = v;
	return true;
}

int fc_time_parse_rfc3339(const char *s, int64_t *out, int32_t *utc_offset, struct fc_err *err)
{
	static const char form[] = "expected a time like 2024-03-10T02:30:00Z or 2024-03-10T02:30:00-05:00";
	struct fc_civil c;
	size_t pos = 0, field;
	int32_t off = 0;
	int64_t t;
	int oh, om;

	memset(&c, 0, sizeof(c));
#define EXPECT_DIGITS(n, var)                                                                                \
	do {                                                                                                 \
		field = pos;                                                                                 \
		if (!rfc_digits(s, &pos, (n), &(var)))                                                       \
			return fc_err_set(err, FC_EPARSE, "column %zu: %s", pos + 1, form);                  \
	} while (0)
#define EXPECT_CHAR(cond)                                                                                    \
	do {                                                                                                 \
		if (!(cond))                                                                                 \
			return fc_err_set(err, FC_EPARSE, "column %zu: %s", pos + 1, form);                  \
		pos++;                                                                                       \
	} while (0)

	EXPECT_DIGITS(4, c.year);
	EXPECT_CHAR(s[pos] == '-');
	EXPECT_DIGITS(2, c.month);
	if (c.month < 1 || c.month > 12)
		return fc_err_set(err, FC_EPARSE, "column %zu: month %02d is out of range 01-12", field + 1, c.month);
	EXPECT_CHAR(s[pos] == '-');
	EXPECT_DIGITS(2, c.day);
	if (c.day < 1 || c.day > fc_days_in_month(c.year, c.month))
		return fc_err_set(err, FC_EPARSE, "column %zu: day %02d does not exist in %04d-%02d", field + 1,
				  c.day, c.year, c.month);
	EXPECT_CHAR(s[pos] == 'T' || s[pos] == 't' || s[pos] == ' ');
	EXPECT_DIGITS(2, c.hour);
	if (c.hour > 23)
		return fc_err_set(err, FC_EPARSE, "column %zu: hour %02d is out of range 00-23", field + 1, c.hour);
	EXPECT_CHAR(s[pos] == ':');
	EXPECT_DIGITS(2, c.minute);
	if (c.minute > 59)
		return fc_err_set(err, FC_EPARSE, "column %zu: minute %02d is out of range 00-59", field + 1,
				  c.minute);
	EXPECT_CHAR(s[pos] == ':');
	EXPECT_DIGITS(2, c.second);
	if (c.second == 60)
		return fc_err_set(err, FC_EPARSE, "column %zu: leap seconds are not supported", field + 1);
	if (c.second > 59)
		return fc_err_set(err, FC_EPARSE, "column %zu: second %02d is out of range 00-59", field + 1,
				  c.second);
	if (s[pos] == '.') {
		pos++;
		if (!is_digit(s[pos]))
			return fc_err_set(err, FC_EPARSE, "column %zu: expected digits after '.'", pos + 1);
		while (is_digit(s[pos]))
			pos++;
	}
	if (s[pos] == 'Z' || s[pos] == 'z') {
		pos++;
	} else if (s[pos] == '+' || s[pos] == '-') {
		int sign = s[pos++] == '-' ? -1 : 1;

		EXPECT_DIGITS(2, oh);
		if (oh > 23)
			return fc_err_set(err, FC_EPARSE, "column %zu: offset hour %02d is out of range 00-23",
					  field + 1, oh);
		EXPECT_CHAR(s[pos] == ':');
		EXPECT_DIGITS(2, om);
		if (om > 59)
			return fc_err_set(err, FC_EPARSE, "column %zu: offset minute %02d is out of range 00-59",
					  field + 1, om);
		off = sign * (oh * 3600 + om * 60);
	} else if (!s[pos]) {
		return fc_err_set(err, FC_EPARSE, "column %zu: missing UTC offset: add Z or an offset like +01:00",
				  pos + 1);
	} else {
		return fc_err_set(err, FC_EPARSE, "column %zu: expected Z or an offset like +01:00", pos + 1);
	}
	if (s[pos])
		return fc_err_set(err, FC_EPARSE, "column %zu: unexpected text after the time", pos + 1);
#undef EXPECT_DIGITS
#undef EXPECT_CHAR
	t = fc_civil_to_seconds(&c) - off;
	if (t < FC_TIME_MIN || t > FC_TIME_MAX)
		return fc_err_set(err, FC_EPARSE, "column 1: time is outside the supported range (years 0001-9999 UTC)");
	*out = t;
	if (utc_offset)
		*utc_offset = off;
	return FC_OK;
}
