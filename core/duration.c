/* duration.c: duration and quantity parsing. */
#include "duration.h"
#include "buf.h"
#include "err.h"

#include <ctype.h>
#include <string.h>

static const struct {
	const char *name;
	int64_t nanos;
} duration_units[] = {
	{"ns", 1LL},
	{"us", 1000LL},
	{"µs", 1000LL},
	{"ms", 1000000LL},
	{"s", 1000000000LL},
	{"m", 60LL * 1000000000LL},
	{"h", 3600LL * 1000000000LL},
	{"d", 86400LL * 1000000000LL},
};

static int duration_fail(size_t *bad_offset, size_t off, struct fc_err *err, const char *text, const char *why)
{
	if (bad_offset)
		*bad_offset = off;
	return fc_err_set(err, FC_EINVAL, "invalid duration '%s': %s", text, why);
}

int fc_duration_parse(const char *text, int64_t *nanos, size_t *bad_offset, struct fc_err *err)
{
	const char *p = text;
	int64_t total = 0;

	if (!*p)
		return duration_fail(bad_offset, 0, err, text, "empty (write e.g. 30s, 5m, 1h30m)");
	if (!strcmp(text, "0")) {
		*nanos = 0;
		return FC_OK;
	}
	while (*p) {
		const char *start = p;
		int64_t whole = 0, frac = 0, frac_scale = 1;
		size_t i, best = FC_ARRAY_LEN(duration_units), best_len = 0;
		int64_t unit, add;

		if (!isdigit((unsigned char)*p) && *p != '.')
			return duration_fail(bad_offset, (size_t)(p - text), err, text,
					     "expected a number (write e.g. 30s, 5m, 1h30m)");
		while (isdigit((unsigned char)*p)) {
			if (whole > (INT64_MAX - 9) / 10)
				return duration_fail(bad_offset, (size_t)(start - text), err, text, "too large");
			whole = whole * 10 + (*p++ - '0');
		}
		if (*p == '.') {
			p++;
			if (!isdigit((unsigned char)*p) && p - 1 == start)
				return duration_fail(bad_offset, (size_t)(p - text), err, text, "expected digits");
			while (isdigit((unsigned char)*p)) {
				if (frac_scale < 1000000000000000LL) {
					frac = frac * 10 + (*p - '0');
					frac_scale *= 10;
				}
				p++;
			}
		}
		for (i = 0; i < FC_ARRAY_LEN(duration_units); i++) {
			size_t len = strlen(duration_units[i].name);

			if (!strncmp(p, duration_units[i].name, len) && len > best_len) {
				best = i;
				best_len = len;
			}
		}
		if (best == FC_ARRAY_LEN(duration_units))
			return duration_fail(bad_offset, (size_t)(p - text), err, text,
					     *p ? "unknown unit (use ns, us, ms, s, m, h or d)"
						: "missing unit (use ns, us, ms, s, m, h or d)");
		unit = duration_units[best].nanos;
		if (whole > INT64_MAX / unit)
			return duration_fail(bad_offset, (size_t)(start - text), err, text, "too large");
		add = whole * unit + (int64_t)((double)frac / (double)frac_scale * (double)unit);
		if (total > INT64_MAX - add)
			return duration_fail(bad_offset, (size_t)(start - text), err, text, "too large");
		total += add;
		p += best_len;
	}
	*nanos = total;
	return FC_OK;
}

void fc_duration_format(int64_t nanos, struct fc_buf *out)
{
	static const struct {
		const char *name;
		int64_t nanos;
	} parts[] = {
		{"h", 3600LL * 1000000000LL}, {"m", 60LL * 1000000000LL}, {"s", 1000000000LL},
		{"ms", 1000000LL},           {"us", 1000LL},            {"ns", 1LL},
	};
	size_t i;

	if (nanos == 0) {
		fc_buf_adds(out, "0s");
		return;
	}
	if (nanos < 0) {
		fc_buf_addch(out, '-');
		nanos = -nanos;
	}
	for (i = 0; i < FC_ARRAY_LEN(parts); i++) {
		if (nanos >= parts[i].nanos) {
			fc_buf_addf(out, "%lld%s", (long long)(nanos / parts[i].nanos), parts[i].name);
			nanos %= parts[i].nanos;
		}
	}
}

int fc_quantity_parse(const char *text, int64_t *milli, struct fc_err *err)
{
	static const struct {
		const char *suffix;
		double factor;
	} suffixes[] = {
		{"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
		{"Pi", 1125899906842624.0}, {"Ei", 1152921504606846976.0},
		{"n", 1e-9}, {"u", 1e-6}, {"m", 1e-3}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"P", 1e15},
		{"E", 1e18},
	};
	const char *p = text;
	double value = 0, scale = 1;
	bool digits = false;
	size_t i;

	if (*p == '+')
		p++;
	while (isdigit((unsigned char)*p)) {
		value = value * 10 + (*p++ - '0');
		digits = true;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			scale /= 10;
			value += (*p++ - '0') * scale;
			digits = true;
		}
	}
	if (!digits)
		return fc_err_set(err, FC_EINVAL,
				  "invalid quantity '%s': expected a number with an optional suffix (e.g. 500m, 2, 1.5Gi)",
				  text);
	if ((*p == 'e' || *p == 'E') && isdigit((unsigned char)p[1])) {
		int exp = 0;

		p++;
		while (isdigit((unsigned char)*p) && exp < 100)
			exp = exp * 10 + (*p++ - '0');
		while (exp-- > 0)
			value *= 10;
	}
	if (*p) {
		for (i = 0; i < FC_ARRAY_LEN(suffixes); i++) {
			if (!strcmp(p, suffixes[i].suffix)) {
				value *= suffixes[i].factor;
				break;
			}
		}
		if (i == FC_ARRAY_LEN(suffixes))
			return fc_err_set(err, FC_EINVAL,
					  "invalid quantity '%s': unknown suffix '%s' (use m, k, M, G, T, Ki, Mi, Gi, Ti)",
					  text, p);
	}
	if (value * 1000 > 9.2e18)
		return fc_err_set(err, FC_EINVAL, "invalid quantity '%s': too large", text);
	*milli = (int64_t)(value * 1000 + 0.5);
	return FC_OK;
}
