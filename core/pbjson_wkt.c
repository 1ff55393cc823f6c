/*
 * pbjson_wkt.c: text forms used by the proto3 JSON mapping: RFC 3339 timestamps, durations, base64 and Go-style
 * shortest number formatting. No locale, no time zone database, no libc time functions.
 */
#include "pbjson.h"
#include "buf.h"
#include "err.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TS_MIN_SECONDS INT64_C(-62135596800) /* 0001-01-01T00:00:00Z */
#define TS_MAX_SECONDS INT64_C(253402300799) /* 9999-12-31T23:59:59Z */
#define DUR_MAX_SECONDS INT64_C(315576000000) /* 10,000 years */
#define NANOS_MAX 999999999

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : mdays[m - 1];
}

/* Write `v` as exactly `width` digits, zero-padded, at `out` (every JSON timestamp goes through here: no printf). */
static void put_digits(char *out, uint32_t v, size_t width)
{
	while (width--) {
		out[width] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* Append ".ddd", ".dddddd" or ".ddddddddd" for a positive `nanos`, nothing for 0. `out` has room for 10 bytes. */
static size_t format_fraction(int32_t nanos, char *out)
{
	if (nanos == 0)
		return 0;
	out[0] = '.';
	if (nanos % 1000000 == 0) {
		put_digits(out + 1, (uint32_t)(nanos / 1000000), 3);
		return 4;
	}
	if (nanos % 1000 == 0) {
		put_digits(out + 1, (uint32_t)(nanos / 1000), 6);
		return 7;
	}
	put_digits(out + 1, (uint32_t)nanos, 9);
	return 10;
}

int fc_pbjson_timestamp_format(int64_t seconds, int32_t nanos, char out[FC_PBJSON_TIME_TEXT_MAX], struct fc_err *err)
{
	int64_t days, secs_of_day, y;
	unsigned m, d;
	size_t n;

	out[0] = '\0';
	if (seconds < TS_MIN_SECONDS || seconds > TS_MAX_SECONDS)
		return fc_err_set(err, FC_EINVAL, "timestamp seconds %lld out of range (years 0001 to 9999)",
				  (long long)seconds);
	if (nanos < 0 || nanos > NANOS_MAX)
		return fc_err_set(err, FC_EINVAL, "timestamp nanos %d out of range", (int)nanos);
	days = seconds / 86400;
	secs_of_day = seconds % 86400;
	if (secs_of_day < 0) {
		secs_of_day += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	/* years 0001..9999 (checked above): "YYYY-MM-DDTHH:MM:SS" is 19 bytes */
	put_digits(out, (uint32_t)y, 4);
	out[4] = '-';
	put_digits(out + 5, m, 2);
	out[7] = '-';
	put_digits(out + 8, d, 2);
	out[10] = 'T';
	put_digits(out + 11, (uint32_t)(secs_of_day / 3600), 2);
	out[13] = ':';
	put_digits(out + 14, (uint32_t)(secs_of_day / 60 % 60), 2);
	out[16] = ':';
	put_digits(out + 17, (uint32_t)(secs_of_day % 60), 2);
	n = 19;
	n += format_fraction(nanos, out + n);
	out[n++] = 'Z';
	out[n] = '\0';
	return FC_OK;
}

/* Read exactly `width` digits at *p. */
static bool take_digits(const char **p, int width, unsigned *value)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < width; i++) {
		if (!is_digit((*p)[i]))
			return false;
		v = v * 10 + (unsigned)((*p)[i] - '0');
	}
	*p += width;
	*value = v;
	return true;
}

static bool take_char(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/* ".d{1,9}" at *p, if present: nanoseconds. Returns false on a dot without digits or more than 9 digits. */
static bool take_fraction(const char **p, int32_t *nanos)
{
	int32_t v = 0;
	int ndigits = 0;

	*nanos = 0;
	if (**p != '.')
		return true;
	(*p)++;
	while (is_digit(**p)) {
		if (ndigits == 9)
			return false;
		v = v * 10 + (**p - '0');
		ndigits++;
		(*p)++;
	}
	if (!ndigits)
		return false;
	while (ndigits++ < 9)
		v *= 10;
	*nanos = v;
	return true;
}

int fc_pbjson_timestamp_parse(const char *s, int64_t *seconds, int32_t *nanos, struct fc_err *err)
{
	const char *p = s;
	unsigned year, mon, day, hour, min, sec, oh = 0, om = 0;
	int32_t frac;
	int64_t total;
	int sign = 0;

	if (!take_digits(&p, 4, &year) || !take_char(&p, '-') || !take_digits(&p, 2, &mon) ||
	    !take_char(&p, '-') || !take_digits(&p, 2, &day) || !(take_char(&p, 'T') || take_char(&p, 't')) ||
	    !take_digits(&p, 2, &hour) || !take_char(&p, ':') || !take_digits(&p, 2, &min) ||
	    !take_char(&p, ':') || !take_digits(&p, 2, &sec) || !take_fraction(&p, &frac))
		goto bad;
	if (take_char(&p, 'Z') || take_char(&p, 'z')) {
		sign = 0;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		p++;
		if (!take_digits(&p, 2, &oh) || !take_char(&p, ':') || !take_digits(&p, 2, &om) || oh > 23 ||
		    om > 59)
			goto bad;
	} else {
		goto bad;
	}
	if (*p)
		goto bad;
	if (year < 1 || mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) || hour > 23 ||
	    min > 59 || sec > 59)
		return fc_err_set(err, FC_EINVAL, "invalid timestamp \"%.40s\": no such date or time", s);
	total = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec;
	total -= (int64_t)sign * (oh * 3600 + om * 60);
	if (total < TS_MIN_SECONDS || total > TS_MAX_SECONDS)
		return fc_err_set(err, FC_EINVAL, "invalid timestamp \"%.40s\": out of range (years 0001 to 9999)",
				  s);
	*seconds = total;
	*nanos = frac;
	return FC_OK;
bad:
	return fc_err_set(err, FC_EINVAL,
			  "invalid timestamp \"%.40s\": want RFC 3339 like \"2006-01-02T15:04:05.999Z\"", s);
}

int fc_pbjson_duration_format(int64_t seconds, int32_t nanos, char out[FC_PBJSON_TIME_TEXT_MAX], struct fc_err *err)
{
	bool neg = seconds < 0 || nanos < 0;
	size_t n;

	out[0] = '\0';
	if (seconds < -DUR_MAX_SECONDS || seconds > DUR_MAX_SECONDS)
		return fc_err_set(err, FC_EINVAL, "duration seconds %lld out of range", (long long)seconds);
	if (nanos < -NANOS_MAX || nanos > NANOS_MAX || (seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0))
		return fc_err_set(err, FC_EINVAL, "duration nanos %d out of range or of the wrong sign", (int)nanos);
	n = (size_t)snprintf(out, FC_PBJSON_TIME_TEXT_MAX, "%s%lld", neg ? "-" : "",
			     (long long)(seconds < 0 ? -seconds : seconds));
	n += format_fraction(nanos < 0 ? -nanos : nanos, out + n);
	out[n++] = 's';
	out[n] = '\0';
	return FC_OK;
}

int fc_pbjson_duration_parse(const char *s, int64_t *seconds, int32_t *nanos, struct fc_err *err)
{
	const char *p = s;
	bool neg = take_char(&p, '-');
	int64_t secs = 0;
	int32_t frac;

	if (!is_digit(*p))
		goto bad;
	while (is_digit(*p)) {
		secs = secs * 10 + (*p - '0');
		if (secs > DUR_MAX_SECONDS)
			return fc_err_set(err, FC_EINVAL, "invalid duration \"%.40s\": out of range", s);
		p++;
	}
	if (!take_fraction(&p, &frac) || !take_char(&p, 's') || *p)
		goto bad;
	*seconds = neg ? -secs : secs;
	*nanos = neg ? -frac : frac;
	return FC_OK;
bad:
	return fc_err_set(err, FC_EINVAL, "invalid duration \"%.40s\": want seconds like \"1.5s\"", s);
}

/* --- base64 ---------------------------------------------------------------------------------------------- */

void fc_pbjson_base64_encode(const uint8_t *data, size_t len, struct fc_buf *out)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
		char q[4] = {alphabet[v >> 18], alphabet[v >> 12 & 63], alphabet[v >> 6 & 63], alphabet[v & 63]};

		fc_buf_add(out, q, 4);
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)data[i] << 16;
		char q[4] = {alphabet[v >> 18], alphabet[v >> 12 & 63], '=', '='};

		fc_buf_add(out, q, 4);
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8;
		char q[4] = {alphabet[v >> 18], alphabet[v >> 12 & 63], alphabet[v >> 6 & 63], '='};

		fc_buf_add(out, q, 4);
	}
}

static int base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

size_t fc_pbjson_base64_decoded_max(size_t len)
{
	return len / 4 * 3 + 3;
}

bool fc_pbjson_base64_decode(const char *s, size_t len, uint8_t *out, size_t *outlen)
{
	size_t n = len, i, o = 0;
	uint32_t acc = 0;
	int bits = 0;

	*outlen = 0;
	if (n && s[n - 1] == '=') {
		n--;
		if (n && s[n - 1] == '=')
			n--;
		if (len % 4)
			return false; /* padding only on a complete last quantum */
	}
	if (n % 4 == 1)
		return false;
	for (i = 0; i < n; i++) {
		int v = base64_value((unsigned char)s[i]);

		if (v < 0)
			return false;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* Padding must not stand for whole characters: "QQ==" is fine, "QUJD====" is not. */
	if (len != n && (n % 4 == 0 || (len - n) != 4 - n % 4))
		return false;
	*outlen = o;
	return true;
}

/* --- numbers ----------------------------------------------------------------------------------------------- */

static void format_shortest(double v, bool single, char out[32])
{
	char tmp[40], digits[24];
	const char *p;
	double mag = fabs(v);
	bool neg = signbit(v) != 0, use_exp;
	int prec, nd = 0, exp10, i;
	size_t o = 0;

	if (v == 0) {
		/* Go writes "-0", which JSON readers take for the integer 0: keep the sign with a fraction. */
		snprintf(out, 32, "%s", neg ? "-0.0" : "0");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
		/* A float must read back both directly and through a double, as our decoder reads it. */
		if (single ? strtof(tmp, NULL) == (float)v && (float)strtod(tmp, NULL) == (float)v
			   : strtod(tmp, NULL) == v)
			break;
	}
	p = tmp + (neg ? 1 : 0);
	for (; *p && *p != 'e'; p++)
		if (is_digit(*p) && nd < (int)sizeof(digits))
			digits[nd++] = *p;
	exp10 = *p == 'e' ? (int)strtol(p + 1, NULL, 10) : 0;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	if (single)
		use_exp = (float)mag < 1e-6f || (float)mag >= 1e21f;
	else
		use_exp = mag < 1e-6 || mag >= 1e21;
	/*
	 * Go would write 2^63 as "9223372036854775808"; JSON readers with 64-bit integers (jansson) refuse that and
	 * YAML's core schema reads an integer out of range: beyond int64, integral values get an exponent.
	 */
	if (mag >= 9223372036854775808.0)
		use_exp = true; /* even -2^63, whose shortest digits print as -9223372036854776000 */
	if (neg)
		out[o++] = '-';
	if (use_exp) {
		out[o++] = digits[0];
		if (nd > 1) {
			out[o++] = '.';
			for (i = 1; i < nd; i++)
				out[o++] = digits[i];
		}
		snprintf(out + o, 32 - o, "e%c%d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
		return;
	}
	if (exp10 >= 0) {
		for (i = 0; i <= exp10; i++)
			out[o++] = i < nd ? digits[i] : '0';
		if (nd > exp10 + 1) {
			out[o++] = '.';
			for (i = exp10 + 1; i < nd; i++)
				out[o++] = digits[i];
		}
	} else {
		out[o++] = '0';
		out[o++] = '.';
		for (i = 0; i < -exp10 - 1; i++)
			out[o++] = '0';
		for (i = 0; i < nd; i++)
			out[o++] = digits[i];
	}
	out[o] = '\0';
}

void fc_pbjson_format_double(double v, char out[32])
{
	format_shortest(v, false, out);
}

void fc_pbjson_format_float(float v, char out[32])
{
	format_shortest((double)v, true, out);
}
