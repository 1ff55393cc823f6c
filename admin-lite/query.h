/*
 * query.h: listing parameters (Flyte's limit / token / filters / sort_by) and their translation into a prepared
 * SQL fragment.
 *
 * Filters use Flyte's syntax: `eq(phase,SUCCEEDED)+gte(created_at,2024-01-01T00:00:00Z)`, functions eq ne gt gte
 * lt lte contains value_in value_not_in (value_in takes values separated by ';'). Each resource lists the fields
 * it can be filtered and sorted by (struct adm_field); anything else is FC_EINVAL with a message naming it. Field
 * names and operators never reach SQL text: only whitelisted column names do, and every value is a bound
 * parameter. The token is the offset of the next page as a decimal string (as in Flyte).
 */
#ifndef ADM_QUERY_H
#define ADM_QUERY_H

#include "core/fc.h"

struct fc_buf;
struct fc_err;
struct ProtobufCEnumDescriptor;

#define ADM_LIMIT_DEFAULT 100
#define ADM_LIMIT_MAX 10000
#define ADM_FILTERS_MAX 32

struct adm_query {
	const char *project;
	const char *domain;
	const char *name;    /* narrows to one name when set */
	const char *filters; /* Flyte filter expression, or NULL */
	const char *sort_key; /* field name, or NULL for the resource's default (created_at, newest first) */
	bool sort_asc;
	uint32_t limit;       /* 0: ADM_LIMIT_DEFAULT */
	const char *token;    /* NULL / "": first page */
};

enum adm_field_type {
	ADM_FIELD_TEXT,
	ADM_FIELD_INT,
	ADM_FIELD_TIME, /* RFC 3339 in filters, int64 ns in the column */
	ADM_FIELD_ENUM, /* enum value name (or number) in filters, int in the column */
};

struct adm_field {
	const char *name;   /* as written in filters / sort_by */
	const char *column; /* SQL column (trusted, from this table only) */
	enum adm_field_type type;
	const struct ProtobufCEnumDescriptor *enum_desc; /* ADM_FIELD_ENUM */
};

/* One bound value. */
struct adm_bind {
	bool is_int;
	int64_t i;
	const char *s; /* owned by struct adm_binds */
};

struct adm_binds {
	struct adm_bind *items;
	size_t nr, alloc;
	char **strings; /* owned copies */
	size_t nstrings, astrings;
};

void adm_binds_init(struct adm_binds *b);
void adm_binds_release(struct adm_binds *b);
void adm_binds_add_text(struct adm_binds *b, const char *s);
void adm_binds_add_int(struct adm_binds *b, int64_t v);

/* Append " AND (...)" for each filter of q to `sql`, and their values to `binds`. */
int adm_query_where(const struct adm_query *q, const struct adm_field *fields, size_t nfields, struct fc_buf *sql,
		    struct adm_binds *binds, struct fc_err *err);
/* Append " ORDER BY ... LIMIT ? OFFSET ?" (limit + 1 rows are fetched to know whether a next page exists). */
int adm_query_order_limit(const struct adm_query *q, const struct adm_field *fields, size_t nfields,
			  const char *default_column, struct fc_buf *sql, struct adm_binds *binds,
			  uint32_t *limit, int64_t *offset, struct fc_err *err);

/*
 * Keyset paging. When a listing is sorted by an integer column (times, phases, durations: every default order),
 * its next-page token names the last row instead of an offset: "k:FIELD:a|d:VALUE:ROWID". The next page is then
 * found by the index ("(col, rowid) < (VALUE, ROWID)"), as fast at row 90,000 as at row 100, and rows created
 * meanwhile do not shift pages. Offset tokens (a decimal number, Flyte's own) are still accepted; a keyset token
 * used with another sort field or direction is a 400.
 */
struct adm_keyset {
	bool on;               /* the sort column is an integer: the next token is a keyset token */
	const char *field;     /* the sort field's name (in the token) */
	const char *column;    /* its SQL column */
	int alias_len;         /* "n." of "n.created_at": the table alias rowid needs */
	const char *alias;
	bool asc;
};

/* Decide the listing's keyset (ks) and, for a keyset token, append its " AND (col, rowid) < (?, ?)" to `sql`;
 * `rest` is q without that token, for adm_query_order_limit(). */
int adm_query_keyset(const struct adm_query *q, const struct adm_field *fields, size_t nfields,
		     const char *default_column, struct fc_buf *sql, struct adm_binds *binds, struct adm_keyset *ks,
		     struct adm_query *rest, struct fc_err *err);

/* RFC 3339 ("2024-01-02T03:04:05.123Z", "...+02:00") to ns since the epoch. */
int adm_parse_time(const char *s, int64_t *ns, struct fc_err *err);
/* Format ns since the epoch as RFC 3339 UTC with nanoseconds trimmed of trailing zeros. */
void adm_format_time(int64_t ns, struct fc_buf *out);

#endif
