/* query.c: Flyte's listing parameters as prepared SQL fragments. */
#include "admin-lite/query.h"
#include "core/buf.h"
#include "core/err.h"

#include <protobuf-c/protobuf-c.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void adm_binds_init(struct adm_binds *b)
{
	memset(b, 0, sizeof(*b));
}

void adm_binds_release(struct adm_binds *b)
{
	size_t i;

	for (i = 0; i < b->nstrings; i++)
		free(b->strings[i]);
	free(b->strings);
	free(b->items);
	adm_binds_init(b);
}

void adm_binds_add_text(struct adm_binds *b, const char *s)
{
	char *copy = fc_xstrdup(s);

	FC_ALLOC_GROW(b->strings, b->nstrings + 1, b->astrings);
	b->strings[b->nstrings++] = copy;
	FC_ALLOC_GROW(b->items, b->nr + 1, b->alloc);
	b->items[b->nr].is_int = false;
	b->items[b->nr].i = 0;
	b->items[b->nr].s = copy;
	b->nr++;
}

void adm_binds_add_int(struct adm_binds *b, int64_t v)
{
	FC_ALLOC_GROW(b->items, b->nr + 1, b->alloc);
	b->items[b->nr].is_int = true;
	b->items[b->nr].i = v;
	b->items[b->nr].s = NULL;
	b->nr++;
}

static int parse_digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

int adm_parse_time(const char *s, int64_t *ns, struct fc_err *err)
{
	const char *p = s;
	struct tm tm;
	int year, mon, day, hour, min, sec, oh, om;
	int64_t frac = 0, scale = 100000000, offset = 0;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (parse_digits(&p, 4, &year) || *p++ != '-' || parse_digits(&p, 2, &mon) || *p++ != '-' ||
	    parse_digits(&p, 2, &day) || (*p != 'T' && *p != 't' && *p != ' '))
		goto bad;
	p++;
	if (parse_digits(&p, 2, &hour) || *p++ != ':' || parse_digits(&p, 2, &min) || *p++ != ':' ||
	    parse_digits(&p, 2, &sec))
		goto bad;
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
		goto bad;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			goto bad;
		while (isdigit((unsigned char)*p)) {
			if (scale) {
				frac += (*p - '0') * scale;
				scale /= 10;
			}
			p++;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;

		p++;
		if (parse_digits(&p, 2, &oh) || *p++ != ':' || parse_digits(&p, 2, &om) || oh > 23 || om > 59)
			goto bad;
		offset = sign * (int64_t)(oh * 3600 + om * 60);
	} else {
		goto bad;
	}
	if (*p)
		goto bad;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = timegm(&tm);
	*ns = ((int64_t)t - offset) * 1000000000 + frac;
	return 0;
bad:
	return fc_err_set(err, FC_EINVAL, "'%s' is not an RFC 3339 time (like 2024-01-02T03:04:05Z)", s);
}

void adm_format_time(int64_t ns, struct fc_buf *out)
{
	time_t t = (time_t)(ns / 1000000000);
	int64_t frac = ns % 1000000000;
	struct tm tm;
	char tmp[64];
	int digits = 9;

	if (frac < 0) {
		frac += 1000000000;
		t -= 1;
	}
	gmtime_r(&t, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	fc_buf_adds(out, tmp);
	if (frac) {
		while (frac % 10 == 0) {
			frac /= 10;
			digits--;
		}
		fc_buf_addf(out, ".%0*" PRId64, digits, frac);
	}
	fc_buf_addch(out, 'Z');
}

static const struct adm_field *find_field(const struct adm_field *fields, size_t nfields, const char *name,
					  size_t len)
{
	size_t i;

	for (i = 0; i < nfields; i++)
		if (strlen(fields[i].name) == len && !memcmp(fields[i].name, name, len))
			return &fields[i];
	return NULL;
}

static int bind_value(const struct adm_field *f, const char *v, struct adm_binds *binds, struct fc_err *err)
{
	int64_t i;
	char *end;

	switch (f->type) {
	case ADM_FIELD_TEXT:
		adm_binds_add_text(binds, v);
		return 0;
	case ADM_FIELD_INT:
		errno = 0;
		i = strtoll(v, &end, 10);
		if (errno || end == v || *end)
			return fc_err_set(err, FC_EINVAL, "filter on %s: '%s' is not an integer", f->name, v);
		adm_binds_add_int(binds, i);
		return 0;
	case ADM_FIELD_TIME:
		if (adm_parse_time(v, &i, err))
			return fc_err_prefix(err, "filter on %s: ", f->name);
		adm_binds_add_int(binds, i);
		return 0;
	case ADM_FIELD_ENUM: {
		const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(f->enum_desc, v);

		if (!ev) {
			errno = 0;
			i = strtoll(v, &end, 10);
			if (errno || end == v || *end || !protobuf_c_enum_descriptor_get_value(f->enum_desc, (int)i))
				return fc_err_set(err, FC_EINVAL, "filter on %s: '%s' is not one of the values of %s",
						  f->name, v, f->enum_desc->name);
			adm_binds_add_int(binds, i);
			return 0;
		}
		adm_binds_add_int(binds, ev->value);
		return 0;
	}
	}
	FC_BUG("field type %d", (int)f->type);
}

/* contains(): LIKE with the user's % _ \ escaped. */
static void bind_like(const char *v, struct adm_binds *binds)
{
	struct fc_buf b = FC_BUF_INIT;

	fc_buf_addch(&b, '%');
	for (; *v; v++) {
		if (*v == '%' || *v == '_' || *v == '\\')
			fc_buf_addch(&b, '\\');
		fc_buf_addch(&b, *v);
	}
	fc_buf_addch(&b, '%');
	adm_binds_add_text(binds, b.buf);
	fc_buf_release(&b);
}

static const struct {
	const char *name;
	const char *sql; /* NULL: special */
} filter_ops[] = {
	{"eq", "="}, {"ne", "<>"}, {"gt", ">"}, {"gte", ">="}, {"lt", "<"}, {"lte", "<="},
	{"contains", NULL}, {"value_in", NULL}, {"value_not_in", NULL},
};

static int one_filter(const char *expr, size_t len, const struct adm_field *fields, size_t nfields,
		      struct fc_buf *sql, struct adm_binds *binds, struct fc_err *err)
{
	const char *open = memchr(expr, '(', len), *comma, *close = expr + len - 1;
	const struct adm_field *f;
	char *value = NULL;
	size_t i, oplen;
	int rc = 0;

	if (!open || *close != ')')
		return fc_err_set(err, FC_EINVAL, "filter '%.*s' is not of the form op(field,value)", (int)len, expr);
	oplen = (size_t)(open - expr);
	comma = memchr(open, ',', (size_t)(close - open));
	if (!comma)
		return fc_err_set(err, FC_EINVAL, "filter '%.*s' has no value", (int)len, expr);
	f = find_field(fields, nfields, open + 1, (size_t)(comma - open - 1));
	if (!f)
		return fc_err_set(err, FC_EINVAL, "cannot filter on '%.*s'", (int)(comma - open - 1), open + 1);
	for (i = 0; i < FC_ARRAY_LEN(filter_ops); i++)
		if (strlen(filter_ops[i].name) == oplen && !memcmp(filter_ops[i].name, expr, oplen))
			break;
	if (i == FC_ARRAY_LEN(filter_ops))
		return fc_err_set(err, FC_EINVAL, "unknown filter function '%.*s' (eq ne gt gte lt lte contains "
				  "value_in value_not_in)", (int)oplen, expr);
	value = fc_xstrndup(comma + 1, (size_t)(close - comma - 1));
	if (filter_ops[i].sql) {
		fc_buf_addf(sql, " AND %s %s ?", f->column, filter_ops[i].sql);
		rc = bind_value(f, value, binds, err);
	} else if (!strcmp(filter_ops[i].name, "contains")) {
		if (f->type != ADM_FIELD_TEXT) {
			rc = fc_err_set(err, FC_EINVAL, "contains() needs a text field, not %s", f->name);
			goto out;
		}
		fc_buf_addf(sql, " AND %s LIKE ? ESCAPE '\\'", f->column);
		bind_like(value, binds);
	} else {
		char *save = NULL, *tok;
		size_t n = 0;

		fc_buf_addf(sql, " AND %s %s (", f->column, !strcmp(filter_ops[i].name, "value_in") ? "IN" : "NOT IN");
		for (tok = strtok_r(value, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
			if (n++)
				fc_buf_addch(sql, ',');
			fc_buf_addch(sql, '?');
			rc = bind_value(f, tok, binds, err);
			if (rc)
				goto out;
		}
		if (!n) {
			rc = fc_err_set(err, FC_EINVAL, "%s() on %s needs at least one value", filter_ops[i].name,
					f->name);
			goto out;
		}
		fc_buf_addch(sql, ')');
	}
out:
	free(value);
	return rc;
}

/*
 * Flyte's console names fields by the entity they belong to (`workflow.name`, `task.project`, `launch_plan.domain`,
 * as flyteadmin joins tables) and filters launch plans on `schedule_type`. A resource whose table has no such field
 * still answers (docs/api.md, "Filters the console uses"):
 *  - `E.project` / `E.domain` (E: workflow, task, launch_plan): the list is already scoped to the path's project
 *    and domain, so eq/ne against them is a constant;
 *  - `E.name` on a table of versions (tasks, workflows, launch plans: their fields include "version") is the row's
 *    own `name`; elsewhere (no such column) eq matches nothing and ne everything;
 *  - `schedule_type` on a table of versions: NONE is "no schedule", CRON and RATE "a schedule" (has_schedule).
 * Sets *done when it wrote the term.
 */
static int entity_alias(const struct adm_query *q, const char *expr, size_t len, const struct adm_field *fields,
			size_t nfields, struct fc_buf *sql, struct adm_binds *binds, bool *done, struct fc_err *err)
{
	static const char *const entities[] = {"workflow.", "task.", "launch_plan."};
	const char *open = memchr(expr, '(', len), *comma, *close = expr + len - 1, *field, *attr = NULL;
	size_t flen, vlen, i;
	bool eq, ne, versions = find_field(fields, nfields, "version", 7) != NULL;

	*done = false;
	if (!open || *close != ')' || !(comma = memchr(open, ',', (size_t)(close - open))))
		return 0; /* one_filter() explains */
	field = open + 1;
	flen = (size_t)(comma - field);
	vlen = (size_t)(close - comma - 1);
	if (find_field(fields, nfields, field, flen))
		return 0;
	eq = open - expr == 2 && !memcmp(expr, "eq", 2);
	ne = open - expr == 2 && !memcmp(expr, "ne", 2);
	for (i = 0; i < FC_ARRAY_LEN(entities); i++)
		if (flen > strlen(entities[i]) && !memcmp(field, entities[i], strlen(entities[i])))
			attr = field + strlen(entities[i]);
	if (attr && (eq || ne)) {
		size_t alen = flen - (size_t)(attr - field);
		const char *scope = alen == 7 && !memcmp(attr, "project", 7)  ? q->project
				    : alen == 6 && !memcmp(attr, "domain", 6) ? q->domain
									      : NULL;

		if (scope) {
			bool same = strlen(scope) == vlen && !memcmp(scope, comma + 1, vlen);

			fc_buf_adds(sql, same == eq ? " AND 1" : " AND 0");
			*done = true;
			return 0;
		}
		if (alen == 4 && !memcmp(attr, "name", 4) && !versions) {
			fc_buf_adds(sql, eq ? " AND 0" : " AND 1");
			*done = true;
			return 0;
		}
	}
	if (attr && versions && flen - (size_t)(attr - field) == 4 && !memcmp(attr, "name", 4)) {
		/* the same term on the row's own name */
		struct fc_buf own = FC_BUF_INIT;
		int rc;

		fc_buf_addf(&own, "%.*s(name%.*s", (int)(open - expr), expr, (int)(len - (size_t)(comma - expr)), comma);
		rc = one_filter(own.buf, own.len, fields, nfields, sql, binds, err);
		fc_buf_release(&own);
		*done = true;
		return rc;
	}
	if (flen == 13 && !memcmp(field, "schedule_type", 13) && versions && (eq || ne)) {
		bool none = vlen == 4 && !memcmp(comma + 1, "NONE", 4);

		if (!none && !(vlen == 4 && !memcmp(comma + 1, "CRON", 4)) && !(vlen == 4 && !memcmp(comma + 1, "RATE", 4)))
			return fc_err_set(err, FC_EINVAL, "schedule_type is NONE, CRON or RATE, not '%.*s'", (int)vlen,
					  comma + 1);
		fc_buf_adds(sql, none == eq ? " AND has_schedule = 0" : " AND has_schedule <> 0");
		*done = true;
	}
	return 0;
}

int adm_query_where(const struct adm_query *q, const struct adm_field *fields, size_t nfields, struct fc_buf *sql,
		    struct adm_binds *binds, struct fc_err *err)
{
	const char *p, *start;
	size_t n = 0;
	int depth = 0, rc;
	bool done;

	if (!q || !q->filters || !*q->filters)
		return 0;
	if (strlen(q->filters) > 4096)
		return fc_err_set(err, FC_ELIMIT, "filters longer than 4096 characters");
	/* Split on '+' outside parentheses ('+' may appear inside a time offset). */
	for (p = start = q->filters;; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		if ((*p == '+' && depth == 0) || !*p) {
			if (p == start)
				return fc_err_set(err, FC_EINVAL, "empty filter in '%s'", q->filters);
			if (++n > ADM_FILTERS_MAX)
				return fc_err_set(err, FC_ELIMIT, "more than %d filters", ADM_FILTERS_MAX);
			rc = entity_alias(q, start, (size_t)(p - start), fields, nfields, sql, binds, &done, err);
			if (!rc && !done)
				rc = one_filter(start, (size_t)(p - start), fields, nfields, sql, binds, err);
			if (rc)
				return rc;
			start = p + 1;
		}
		if (!*p)
			break;
	}
	return 0;
}

int adm_query_order_limit(const struct adm_query *q, const struct adm_field *fields, size_t nfields,
			  const char *default_column, struct fc_buf *sql, struct adm_binds *binds,
			  uint32_t *limit, int64_t *offset, struct fc_err *err)
{
	const char *column = default_column, *dot;
	bool asc = false;
	char *end;

	*limit = q && q->limit ? q->limit : ADM_LIMIT_DEFAULT;
	if (*limit > ADM_LIMIT_MAX)
		return fc_err_set(err, FC_ELIMIT, "limit %u is above the maximum %d", *limit, ADM_LIMIT_MAX);
	*offset = 0;
	if (q && q->token && *q->token) {
		errno = 0;
		*offset = strtoll(q->token, &end, 10);
		if (errno || *end || *offset < 0)
			return fc_err_set(err, FC_EINVAL, "invalid page token '%s'", q->token);
	}
	if (q && q->sort_key && *q->sort_key) {
		const struct adm_field *f = find_field(fields, nfields, q->sort_key, strlen(q->sort_key));

		if (!f)
			return fc_err_set(err, FC_EINVAL, "cannot sort by '%s'", q->sort_key);
		column = f->column;
		asc = q->sort_asc;
	}
	/* rowid breaks ties so that pages never overlap; "t.col" defaults mean the table is aliased "t". */
	dot = strchr(default_column, '.');
	fc_buf_addf(sql, " ORDER BY %s %s, %.*srowid %s LIMIT ? OFFSET ?", column, asc ? "ASC" : "DESC",
		    dot ? (int)(dot - default_column + 1) : 0, default_column, asc ? "ASC" : "DESC");
	adm_binds_add_int(binds, (int64_t)*limit + 1);
	adm_binds_add_int(binds, *offset);
	return 0;
}

int adm_query_keyset(const struct adm_query *q, const struct adm_field *fields, size_t nfields,
		     const char *default_column, struct fc_buf *sql, struct adm_binds *binds, struct adm_keyset *ks,
		     struct adm_query *rest, struct fc_err *err)
{
	const struct adm_field *f = NULL;
	const char *dot = strchr(default_column, '.');
	size_t i;

	memset(ks, 0, sizeof(*ks));
	*rest = q ? *q : (struct adm_query){0};
	if (rest->sort_key && *rest->sort_key) {
		f = find_field(fields, nfields, rest->sort_key, strlen(rest->sort_key));
		ks->asc = rest->sort_asc;
	} else {
		for (i = 0; i < nfields && !f; i++)
			if (!strcmp(fields[i].column, default_column))
				f = &fields[i];
	}
	ks->on = f && f->type != ADM_FIELD_TEXT;
	if (ks->on) {
		ks->field = f->name;
		ks->column = f->column;
		ks->alias = default_column;
		ks->alias_len = dot ? (int)(dot - default_column + 1) : 0;
	}
	if (!rest->token || rest->token[0] != 'k')
		return 0;
	{
		const char *t = rest->token, *p;
		size_t flen;
		long long value, rowid;
		char dir, *end;

		if (t[1] != ':' || !(p = strchr(t + 2, ':')))
			return fc_err_set(err, FC_EINVAL, "invalid page token '%s'", t);
		flen = (size_t)(p - (t + 2));
		if (!ks->on || strlen(ks->field) != flen || memcmp(ks->field, t + 2, flen))
			return fc_err_set(err, FC_EINVAL, "page token '%s' belongs to another sort order", t);
		dir = p[1];
		if ((dir != 'a' && dir != 'd') || p[2] != ':')
			return fc_err_set(err, FC_EINVAL, "invalid page token '%s'", t);
		if ((dir == 'a') != ks->asc)
			return fc_err_set(err, FC_EINVAL, "page token '%s' belongs to another sort order", t);
		errno = 0;
		value = strtoll(p + 3, &end, 10);
		if (errno || *end != ':')
			return fc_err_set(err, FC_EINVAL, "invalid page token '%s'", t);
		rowid = strtoll(end + 1, &end, 10);
		if (errno || *end || rowid < 0)
			return fc_err_set(err, FC_EINVAL, "invalid page token '%s'", t);
		fc_buf_addf(sql, " AND (%s, %.*srowid) %s (?, ?)", ks->column, ks->alias_len, ks->alias,
			    ks->asc ? ">" : "<");
		adm_binds_add_int(binds, value);
		adm_binds_add_int(binds, rowid);
		rest->token = NULL;
	}
	return 0;
}
