/* types.c: LiteralTypes as written in specs, Flyte's castability rules, and rendering. */
#include "compiler/cmp_int.h"

#include <ctype.h>
#include <strings.h>
#include <string.h>

cmp_type *cmp_type_simple(struct fc_arena *a, Flyteidl__Core__SimpleType simple)
{
	cmp_type *t = CMP_NEW(a, cmp_type, flyteidl__core__literal_type__descriptor);

	t->type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE;
	t->simple = simple;
	return t;
}

cmp_type *cmp_type_collection(struct fc_arena *a, cmp_type *elem)
{
	cmp_type *t = CMP_NEW(a, cmp_type, flyteidl__core__literal_type__descriptor);

	t->type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_COLLECTION_TYPE;
	t->collection_type = elem;
	return t;
}

static cmp_type *type_map(struct fc_arena *a, cmp_type *value)
{
	cmp_type *t = CMP_NEW(a, cmp_type, flyteidl__core__literal_type__descriptor);

	t->type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_MAP_VALUE_TYPE;
	t->map_value_type = value;
	return t;
}

static cmp_type *type_blob(struct fc_arena *a, const char *format, bool multipart)
{
	cmp_type *t = CMP_NEW(a, cmp_type, flyteidl__core__literal_type__descriptor);

	t->type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_BLOB;
	t->blob = CMP_NEW(a, Flyteidl__Core__BlobType, flyteidl__core__blob_type__descriptor);
	t->blob->format = fc_arena_strdup(a, format ? format : "");
	t->blob->dimensionality = multipart ? FLYTEIDL__CORE__BLOB_TYPE__BLOB_DIMENSIONALITY__MULTIPART
					    : FLYTEIDL__CORE__BLOB_TYPE__BLOB_DIMENSIONALITY__SINGLE;
	return t;
}

static cmp_type *type_dataset(struct fc_arena *a, const char *format)
{
	cmp_type *t = CMP_NEW(a, cmp_type, flyteidl__core__literal_type__descriptor);

	t->type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_STRUCTURED_DATASET_TYPE;
	t->structured_dataset_type =
		CMP_NEW(a, Flyteidl__Core__StructuredDatasetType, flyteidl__core__structured_dataset_type__descriptor);
	t->structured_dataset_type->format = fc_arena_strdup(a, format ? format : "");
	return t;
}

static cmp_type *type_union(struct fc_arena *a)
{
	cmp_type *t = CMP_NEW(a, cmp_type, flyteidl__core__literal_type__descriptor);

	t->type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_UNION_TYPE;
	t->union_type = CMP_NEW(a, Flyteidl__Core__UnionType, flyteidl__core__union_type__descriptor);
	return t;
}

static cmp_type *type_enum(struct fc_arena *a)
{
	cmp_type *t = CMP_NEW(a, cmp_type, flyteidl__core__literal_type__descriptor);

	t->type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_ENUM_TYPE;
	t->enum_type = CMP_NEW(a, Flyteidl__Core__EnumType, flyteidl__core__enum_type__descriptor);
	return t;
}

static const struct {
	const char *name;
	Flyteidl__Core__SimpleType simple;
} simple_names[] = {
	{"integer", FLYTEIDL__CORE__SIMPLE_TYPE__INTEGER},   {"int", FLYTEIDL__CORE__SIMPLE_TYPE__INTEGER},
	{"float", FLYTEIDL__CORE__SIMPLE_TYPE__FLOAT},       {"string", FLYTEIDL__CORE__SIMPLE_TYPE__STRING},
	{"str", FLYTEIDL__CORE__SIMPLE_TYPE__STRING},        {"boolean", FLYTEIDL__CORE__SIMPLE_TYPE__BOOLEAN},
	{"bool", FLYTEIDL__CORE__SIMPLE_TYPE__BOOLEAN},      {"datetime", FLYTEIDL__CORE__SIMPLE_TYPE__DATETIME},
	{"duration", FLYTEIDL__CORE__SIMPLE_TYPE__DURATION}, {"binary", FLYTEIDL__CORE__SIMPLE_TYPE__BINARY},
	{"struct", FLYTEIDL__CORE__SIMPLE_TYPE__STRUCT},     {"none", FLYTEIDL__CORE__SIMPLE_TYPE__NONE},
	{"error", FLYTEIDL__CORE__SIMPLE_TYPE__ERROR},
};

static const char *const type_words[] = {
	"integer", "int",  "float",    "string",  "str",   "boolean", "bool",  "datetime", "duration", "binary",
	"struct",  "none", "error",    "list",    "map",   "optional", "union", "enum",     "file",     "directory",
	"blob",    "dataset", "schema",
};

/* --- the string form: a tiny recursive-descent parser over "list<map<integer>>?" ------------------------ */
struct type_lexer {
	struct cmp_session *s;
	struct fc_source *src;
	const struct fc_ynode *node;
	const char *text;
	size_t pos;
	unsigned depth;
	bool failed;
};

static void type_error(struct type_lexer *lx, size_t offset, const char *fmt, ...) FC_PRINTF(3, 4);
static void type_error(struct type_lexer *lx, size_t offset, const char *fmt, ...)
{
	struct fc_loc loc = cmp_ynode_loc(lx->src, lx->node);
	va_list ap;

	if (lx->failed)
		return;
	lx->failed = true;
	/* Columns inside a single-line scalar are exact; quoted scalars start one column later. */
	if (lx->node && lx->node->style != FC_Y_BLOCK && !strchr(lx->text, '\n'))
		loc.col += (uint32_t)offset + (lx->node->style == FC_Y_QUOTED ? 1 : 0);
	va_start(ap, fmt);
	fc_diag_vadd(&lx->s->diags, FC_SEV_ERROR, "InvalidType", loc, fmt, ap);
	va_end(ap);
}

static void skip_space(struct type_lexer *lx)
{
	while (lx->text[lx->pos] == ' ')
		lx->pos++;
}

static size_t read_word(struct type_lexer *lx, const char **word)
{
	size_t start;

	skip_space(lx);
	start = lx->pos;
	while (isalnum((unsigned char)lx->text[lx->pos]) ||
	       (lx->text[lx->pos] && strchr("_-.", lx->text[lx->pos])))
		lx->pos++;
	*word = lx->text + start;
	return lx->pos - start;
}

static bool expect_char(struct type_lexer *lx, char c)
{
	skip_space(lx);
	if (lx->text[lx->pos] != c) {
		if (lx->text[lx->pos])
			type_error(lx, lx->pos, "expected '%c' in type, found '%c'", c, lx->text[lx->pos]);
		else
			type_error(lx, lx->pos, "expected '%c' in type, found the end%s", c,
				   c == '>' && lx->node && lx->node->style == FC_Y_PLAIN
					   ? " (inside {...} or [...], quote a type that contains commas)"
					   : "");
		return false;
	}
	lx->pos++;
	return true;
}

static cmp_type *parse_type_expr(struct type_lexer *lx);

static bool word_is(const char *w, size_t n, const char *name)
{
	return strlen(name) == n && !strncmp(w, name, n);
}

static cmp_type *parse_type_primary(struct type_lexer *lx)
{
	struct fc_arena *a = &lx->s->arena;
	const char *w;
	size_t start, n, i;
	cmp_type *t = NULL;

	skip_space(lx);
	start = lx->pos;
	n = read_word(lx, &w);
	if (n == 0) {
		if (lx->text[lx->pos])
			type_error(lx, lx->pos, "expected a type name, found '%c'", lx->text[lx->pos]);
		else
			type_error(lx, lx->pos, "expected a type name");
		return NULL;
	}
	if (++lx->depth > FC_LIMIT_CMP_TYPE_DEPTH) {
		type_error(lx, start, "type nested more than %d levels deep", FC_LIMIT_CMP_TYPE_DEPTH);
		return NULL;
	}
	for (i = 0; i < FC_ARRAY_LEN(simple_names); i++)
		if (word_is(w, n, simple_names[i].name))
			return cmp_type_simple(a, simple_names[i].simple);
	if (word_is(w, n, "list") || word_is(w, n, "optional")) {
		cmp_type *elem;

		if (!expect_char(lx, '<') || !(elem = parse_type_expr(lx)) || !expect_char(lx, '>'))
			return NULL;
		if (word_is(w, n, "list"))
			return cmp_type_collection(a, elem);
		t = type_union(a);
		CMP_PUSH(a, t->union_type->variants, t->union_type->n_variants, elem);
		CMP_PUSH(a, t->union_type->variants, t->union_type->n_variants,
			 cmp_type_simple(a, FLYTEIDL__CORE__SIMPLE_TYPE__NONE));
		return t;
	}
	if (word_is(w, n, "map")) {
		cmp_type *value;
		size_t save;

		if (!expect_char(lx, '<'))
			return NULL;
		save = lx->pos;
		value = parse_type_expr(lx);
		if (!value)
			return NULL;
		skip_space(lx);
		if (lx->text[lx->pos] == ',') {
			/* map<string, T>: keys are always strings in Flyte. */
			if (!(value->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE &&
			      value->simple == FLYTEIDL__CORE__SIMPLE_TYPE__STRING)) {
				type_error(lx, save, "map keys are always strings: write map<T> or map<string, T>");
				return NULL;
			}
			lx->pos++;
			value = parse_type_expr(lx);
			if (!value)
				return NULL;
		}
		if (!expect_char(lx, '>'))
			return NULL;
		return type_map(a, value);
	}
	if (word_is(w, n, "union")) {
		t = type_union(a);
		if (!expect_char(lx, '<'))
			return NULL;
		for (;;) {
			cmp_type *v = parse_type_expr(lx);

			if (!v)
				return NULL;
			CMP_PUSH(a, t->union_type->variants, t->union_type->n_variants, v);
			skip_space(lx);
			if (lx->text[lx->pos] != ',')
				break;
			lx->pos++;
		}
		if (!expect_char(lx, '>'))
			return NULL;
		return t;
	}
	if (word_is(w, n, "enum")) {
		t = type_enum(a);
		if (!expect_char(lx, '<'))
			return NULL;
		for (;;) {
			const char *v;
			size_t vn, vstart;

			skip_space(lx);
			vstart = lx->pos;
			vn = read_word(lx, &v);
			if (!vn) {
				type_error(lx, vstart, "expected an enum value");
				return NULL;
			}
			for (i = 0; i < t->enum_type->n_values; i++) {
				if (word_is(v, vn, t->enum_type->values[i])) {
					type_error(lx, vstart, "enum value '%.*s' is listed twice", (int)vn, v);
					return NULL;
				}
			}
			CMP_PUSH(a, t->enum_type->values, t->enum_type->n_values, fc_arena_strndup(a, v, vn));
			skip_space(lx);
			if (lx->text[lx->pos] != ',')
				break;
			lx->pos++;
		}
		if (!expect_char(lx, '>'))
			return NULL;
		return t;
	}
	if (word_is(w, n, "file") || word_is(w, n, "blob") || word_is(w, n, "directory") ||
	    word_is(w, n, "dataset") || word_is(w, n, "schema")) {
		const char *fmt = "";
		size_t fn = 0;

		skip_space(lx);
		if (lx->text[lx->pos] == '<') {
			size_t fstart;

			lx->pos++;
			skip_space(lx);
			fstart = lx->pos;
			fn = read_word(lx, &fmt);
			if (!fn) {
				type_error(lx, fstart, "expected a format name such as csv or parquet");
				return NULL;
			}
			if (!expect_char(lx, '>'))
				return NULL;
		}
		if (word_is(w, n, "dataset"))
			return type_dataset(a, fc_arena_strndup(a, fmt, fn));
		if (word_is(w, n, "schema")) {
			t = CMP_NEW(a, cmp_type, flyteidl__core__literal_type__descriptor);
			t->type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SCHEMA;
			t->schema = CMP_NEW(a, Flyteidl__Core__SchemaType, flyteidl__core__schema_type__descriptor);
			return t;
		}
		return type_blob(a, fc_arena_strndup(a, fmt, fn), word_is(w, n, "directory"));
	}
	{
		char *word = fc_arena_strndup(a, w, n);
		const char *hint = cmp_did_you_mean(word, type_words, FC_ARRAY_LEN(type_words));

		if (hint)
			type_error(lx, start, "unknown type '%s'; did you mean '%s'?", word, hint);
		else
			type_error(lx, start,
				   "unknown type '%s' (types: integer, float, string, boolean, datetime, duration, "
				   "binary, struct, none, file, directory, dataset, list<T>, map<T>, optional<T>, "
				   "union<A, B>, enum<a, b>)",
				   word);
	}
	return NULL;
}

static cmp_type *parse_type_expr(struct type_lexer *lx)
{
	cmp_type *t = parse_type_primary(lx);

	if (!t)
		return NULL;
	skip_space(lx);
	while (lx->text[lx->pos] == '?') {
		cmp_type *u = type_union(&lx->s->arena);

		lx->pos++;
		CMP_PUSH(&lx->s->arena, u->union_type->variants, u->union_type->n_variants, t);
		CMP_PUSH(&lx->s->arena, u->union_type->variants, u->union_type->n_variants,
			 cmp_type_simple(&lx->s->arena, FLYTEIDL__CORE__SIMPLE_TYPE__NONE));
		t = u;
		skip_space(lx);
	}
	return t;
}

/* The legacy schema's column types and the simple types they stand for: one table, read both ways. */
static const struct {
	Flyteidl__Core__SimpleType simple;
	Flyteidl__Core__SchemaType__SchemaColumn__SchemaColumnType column;
} schema_columns[] = {
	{FLYTEIDL__CORE__SIMPLE_TYPE__INTEGER, FLYTEIDL__CORE__SCHEMA_TYPE__SCHEMA_COLUMN__SCHEMA_COLUMN_TYPE__INTEGER},
	{FLYTEIDL__CORE__SIMPLE_TYPE__FLOAT, FLYTEIDL__CORE__SCHEMA_TYPE__SCHEMA_COLUMN__SCHEMA_COLUMN_TYPE__FLOAT},
	{FLYTEIDL__CORE__SIMPLE_TYPE__STRING, FLYTEIDL__CORE__SCHEMA_TYPE__SCHEMA_COLUMN__SCHEMA_COLUMN_TYPE__STRING},
	{FLYTEIDL__CORE__SIMPLE_TYPE__BOOLEAN, FLYTEIDL__CORE__SCHEMA_TYPE__SCHEMA_COLUMN__SCHEMA_COLUMN_TYPE__BOOLEAN},
	{FLYTEIDL__CORE__SIMPLE_TYPE__DATETIME, FLYTEIDL__CORE__SCHEMA_TYPE__SCHEMA_COLUMN__SCHEMA_COLUMN_TYPE__DATETIME},
	{FLYTEIDL__CORE__SIMPLE_TYPE__DURATION, FLYTEIDL__CORE__SCHEMA_TYPE__SCHEMA_COLUMN__SCHEMA_COLUMN_TYPE__DURATION},
};

/* The schema column type of a simple type; false when a schema cannot hold it. */
static bool schema_column_of(const cmp_type *t, Flyteidl__Core__SchemaType__SchemaColumn__SchemaColumnType *out)
{
	size_t i;

	if (!t || t->type_case != FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE)
		return false;
	for (i = 0; i < FC_ARRAY_LEN(schema_columns); i++) {
		if (schema_columns[i].simple == t->simple) {
			*out = schema_columns[i].column;
			return true;
		}
	}
	return false;
}

/* --- the mapping form: {list: T}, {blob: {format: csv}}, {dataset: {format: parquet, columns: {...}}} ------ */
static cmp_type *parse_type_map(struct cmp_session *s, struct fc_source *src, const struct fc_ynode *n, unsigned depth);

static cmp_type *parse_type_node(struct cmp_session *s, struct fc_source *src, const struct fc_ynode *n,
				 unsigned depth)
{
	if (depth > FC_LIMIT_CMP_TYPE_DEPTH) {
		fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidType", cmp_ynode_loc(src, n), "type nested too deeply");
		return NULL;
	}
	if (!n || fc_ynode_is_null(n)) {
		fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidType", cmp_ynode_loc(src, n),
			    "a type is required here (e.g. integer, string, list<float>)");
		return NULL;
	}
	if (n->kind == FC_Y_SCALAR) {
		struct type_lexer lx = {s, src, n, n->u.scalar.str, 0, 0, false};
		cmp_type *t = parse_type_expr(&lx);

		if (t && !lx.failed) {
			skip_space(&lx);
			if (lx.text[lx.pos]) {
				type_error(&lx, lx.pos, "unexpected '%c' after the type", lx.text[lx.pos]);
				return NULL;
			}
		}
		return lx.failed ? NULL : t;
	}
	if (n->kind == FC_Y_MAP)
		return parse_type_map(s, src, n, depth + 1);
	fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidType", cmp_ynode_loc(src, n),
		    "a type is a name such as 'integer' or 'list<string>', or a mapping such as {list: integer}; "
		    "found a %s",
		    fc_ynode_kind_name(n));
	return NULL;
}

static const char *scalar_or_null(const struct fc_ynode *n)
{
	return n && n->kind == FC_Y_SCALAR ? n->u.scalar.str : NULL;
}

static cmp_type *parse_type_map(struct cmp_session *s, struct fc_source *src, const struct fc_ynode *n, unsigned depth)
{
	static const char *const forms[] = {"list", "map", "optional", "union", "enum", "blob", "file", "directory",
					    "dataset", "schema"};
	struct fc_arena *a = &s->arena;
	const struct fc_ynode *key, *val;
	const char *k;
	size_t i;

	if (n->u.map.n != 1) {
		fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidType", cmp_ynode_loc(src, n),
			    "a type mapping has exactly one key (list, map, optional, union, enum, blob, file, "
			    "directory, dataset or schema)");
		return NULL;
	}
	key = n->u.map.pairs[0].key;
	val = n->u.map.pairs[0].value;
	k = scalar_or_null(key);
	if (!k)
		k = "";
	if (!strcmp(k, "list") || !strcmp(k, "map") || !strcmp(k, "optional")) {
		cmp_type *elem = parse_type_node(s, src, val, depth);

		if (!elem)
			return NULL;
		if (!strcmp(k, "list"))
			return cmp_type_collection(a, elem);
		if (!strcmp(k, "map"))
			return type_map(a, elem);
		{
			cmp_type *u = type_union(a);

			CMP_PUSH(a, u->union_type->variants, u->union_type->n_variants, elem);
			CMP_PUSH(a, u->union_type->variants, u->union_type->n_variants,
				 cmp_type_simple(a, FLYTEIDL__CORE__SIMPLE_TYPE__NONE));
			return u;
		}
	}
	if (!strcmp(k, "union") || !strcmp(k, "enum")) {
		cmp_type *t = !strcmp(k, "union") ? type_union(a) : type_enum(a);

		if (val->kind != FC_Y_SEQ || val->u.seq.n == 0) {
			fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidType", cmp_ynode_loc(src, val),
				    "%s needs a non-empty list", k);
			return NULL;
		}
		for (i = 0; i < val->u.seq.n; i++) {
			const struct fc_ynode *item = val->u.seq.items[i];

			if (t->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_UNION_TYPE) {
				cmp_type *v = parse_type_node(s, src, item, depth);

				if (!v)
					return NULL;
				CMP_PUSH(a, t->union_type->variants, t->union_type->n_variants, v);
			} else {
				const char *v = scalar_or_null(item);
				size_t j;

				if (!v || !*v) {
					fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidType", cmp_ynode_loc(src, item),
						    "enum values are non-empty strings");
					return NULL;
				}
				for (j = 0; j < t->enum_type->n_values; j++) {
					if (!strcmp(t->enum_type->values[j], v)) {
						fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidType",
							    cmp_ynode_loc(src, item), "enum value '%s' is listed twice",
							    v);
						return NULL;
					}
				}
				CMP_PUSH(a, t->enum_type->values, t->enum_type->n_values, (char *)v);
			}
		}
		return t;
	}
	if (!strcmp(k, "blob") || !strcmp(k, "file") || !strcmp(k, "directory") || !strcmp(k, "dataset") ||
	    !strcmp(k, "schema")) {
		const char *format = "";
		bool multipart = !strcmp(k, "directory");
		const struct fc_ynode *columns = NULL;
		cmp_type *t;

		if (val->kind == FC_Y_SCALAR && !fc_ynode_is_null(val)) {
			format = val->u.scalar.str;
		} else if (val->kind == FC_Y_MAP) {
			for (i = 0; i < val->u.map.n; i++) {
				const char *pk = scalar_or_null(val->u.map.pairs[i].key);
				const struct fc_ynode *pv = val->u.map.pairs[i].value;

				if (pk && !strcmp(pk, "format") && scalar_or_null(pv)) {
					format = pv->u.scalar.str;
				} else if (pk && !strcmp(pk, "dimensionality") && scalar_or_null(pv) &&
					   strcmp(k, "dataset") && strcmp(k, "schema")) {
					if (!strcmp(pv->u.scalar.str, "multipart")) {
						multipart = true;
					} else if (!strcmp(pv->u.scalar.str, "single")) {
						multipart = false;
					} else {
						fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidType",
							    cmp_ynode_loc(src, pv),
							    "dimensionality is 'single' or 'multipart'");
						return NULL;
					}
				} else if (pk && !strcmp(pk, "columns") && (!strcmp(k, "dataset") || !strcmp(k, "schema"))) {
					columns = pv;
				} else {
					fc_diag_add(&s->diags, FC_SEV_ERROR, "UnknownKey",
						    cmp_ynode_loc(src, val->u.map.pairs[i].key),
						    "unknown key '%s' in %s type (keys: format%s)", pk ? pk : "?", k,
						    !strcmp(k, "dataset") || !strcmp(k, "schema") ? ", columns"
												  : ", dimensionality");
					return NULL;
				}
			}
		} else if (!fc_ynode_is_null(val)) {
			fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidType", cmp_ynode_loc(src, val),
				    "%s takes a format name or a mapping", k);
			return NULL;
		}
		if (!strcmp(k, "dataset") || !strcmp(k, "schema")) {
			bool schema = !strcmp(k, "schema");

			if (schema) {
				t = CMP_NEW(a, cmp_type, flyteidl__core__literal_type__descriptor);
				t->type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SCHEMA;
				t->schema = CMP_NEW(a, Flyteidl__Core__SchemaType, flyteidl__core__schema_type__descriptor);
			} else {
				t = type_dataset(a, format);
			}
			if (columns && columns->kind != FC_Y_MAP) {
				fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidType", cmp_ynode_loc(src, columns),
					    "columns is a mapping of column name to type");
				return NULL;
			}
			for (i = 0; columns && i < columns->u.map.n; i++) {
				const char *cname = scalar_or_null(columns->u.map.pairs[i].key);
				cmp_type *ct = parse_type_node(s, src, columns->u.map.pairs[i].value, depth);

				if (!ct || !cname)
					return NULL;
				if (schema) {
					Flyteidl__Core__SchemaType__SchemaColumn *c =
						CMP_NEW(a, Flyteidl__Core__SchemaType__SchemaColumn,
							flyteidl__core__schema_type__schema_column__descriptor);

					c->name = (char *)cname;
					if (!schema_column_of(ct, &c->type)) {
						fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidType",
							    cmp_ynode_loc(src, columns->u.map.pairs[i].value),
							    "schema columns are integer, float, string, boolean, datetime "
							    "or duration");
						return NULL;
					}
					CMP_PUSH(a, t->schema->columns, t->schema->n_columns, c);
				} else {
					Flyteidl__Core__StructuredDatasetType__DatasetColumn *c =
						CMP_NEW(a, Flyteidl__Core__StructuredDatasetType__DatasetColumn,
							flyteidl__core__structured_dataset_type__dataset_column__descriptor);

					c->name = (char *)cname;
					c->literal_type = ct;
					CMP_PUSH(a, t->structured_dataset_type->columns,
						 t->structured_dataset_type->n_columns, c);
				}
			}
			return t;
		}
		return type_blob(a, format, multipart);
	}
	{
		const char *hint = cmp_did_you_mean(k, forms, FC_ARRAY_LEN(forms));

		fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidType", cmp_ynode_loc(src, key),
			    "unknown type form '%s'%s%s%s", k, hint ? "; did you mean '" : "", hint ? hint : "",
			    hint ? "'?" : " (list, map, optional, union, enum, blob, file, directory, dataset, schema)");
	}
	return NULL;
}

cmp_type *cmp_type_parse(struct cmp_session *s, struct fc_source *src, const struct fc_ynode *n)
{
	cmp_type *t = parse_type_node(s, src, n, 0);

	if (t)
		cmp_remember(s, t, src, n);
	return t;
}

/* --- castability (Flyte's AreTypesCastable) ---------------------------------------------------------------- */
bool cmp_type_is_none(const cmp_type *t)
{
	return t && t->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE && t->simple == FLYTEIDL__CORE__SIMPLE_TYPE__NONE;
}

bool cmp_type_is_optional(const cmp_type *t)
{
	size_t i;

	if (!t || t->type_case != FLYTEIDL__CORE__LITERAL_TYPE__TYPE_UNION_TYPE)
		return false;
	for (i = 0; i < t->union_type->n_variants; i++)
		if (cmp_type_is_none(t->union_type->variants[i]))
			return true;
	return false;
}

static const char *type_tag(const cmp_type *t)
{
	return t->structure && t->structure->tag ? t->structure->tag : "";
}

/* Structural equality ignoring metadata, annotations and structure (as Flyte's trivial checker does). */
bool cmp_types_equal(const cmp_type *a, const cmp_type *b)
{
	size_t i;

	if (!a || !b)
		return a == b;
	if (a->type_case != b->type_case)
		return false;
	switch (a->type_case) {
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE:
		return a->simple == b->simple;
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_COLLECTION_TYPE:
		return cmp_types_equal(a->collection_type, b->collection_type);
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_MAP_VALUE_TYPE:
		return cmp_types_equal(a->map_value_type, b->map_value_type);
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_BLOB:
		return !strcmp(a->blob->format, b->blob->format) && a->blob->dimensionality == b->blob->dimensionality;
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_ENUM_TYPE:
		if (a->enum_type->n_values != b->enum_type->n_values)
			return false;
		for (i = 0; i < a->enum_type->n_values; i++)
			if (strcmp(a->enum_type->values[i], b->enum_type->values[i]))
				return false;
		return true;
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_UNION_TYPE:
		if (a->union_type->n_variants != b->union_type->n_variants)
			return false;
		for (i = 0; i < a->union_type->n_variants; i++)
			if (!cmp_types_equal(a->union_type->variants[i], b->union_type->variants[i]))
				return false;
		return true;
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_STRUCTURED_DATASET_TYPE: {
		const Flyteidl__Core__StructuredDatasetType *x = a->structured_dataset_type, *y = b->structured_dataset_type;

		if (strcmp(x->format, y->format) || x->n_columns != y->n_columns)
			return false;
		for (i = 0; i < x->n_columns; i++)
			if (strcmp(x->columns[i]->name, y->columns[i]->name) ||
			    !cmp_types_equal(x->columns[i]->literal_type, y->columns[i]->literal_type))
				return false;
		return true;
	}
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SCHEMA:
		if (a->schema->n_columns != b->schema->n_columns)
			return false;
		for (i = 0; i < a->schema->n_columns; i++)
			if (strcmp(a->schema->columns[i]->name, b->schema->columns[i]->name) ||
			    a->schema->columns[i]->type != b->schema->columns[i]->type)
				return false;
		return true;
	default:
		return true;
	}
}

static bool castable(const cmp_type *up, const cmp_type *down);

static bool schema_col_matches(Flyteidl__Core__SchemaType__SchemaColumn__SchemaColumnType ct, const cmp_type *t)
{
	Flyteidl__Core__SchemaType__SchemaColumn__SchemaColumnType want;

	return schema_column_of(t, &want) && want == ct;
}

/* Downstream columns must be a subset of upstream columns with matching types (either side may have none). */
static bool dataset_columns_castable(const cmp_type *up, const cmp_type *down)
{
	size_t ucols, dcols, i, j;

	ucols = up->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SCHEMA ? up->schema->n_columns
									   : up->structured_dataset_type->n_columns;
	dcols = down->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SCHEMA ? down->schema->n_columns
									     : down->structured_dataset_type->n_columns;
	if (!ucols || !dcols)
		return true;
	for (i = 0; i < dcols; i++) {
		bool found = false;
		const char *dname = down->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SCHEMA
					    ? down->schema->columns[i]->name
					    : down->structured_dataset_type->columns[i]->name;

		for (j = 0; j < ucols && !found; j++) {
			const char *uname = up->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SCHEMA
						    ? up->schema->columns[j]->name
						    : up->structured_dataset_type->columns[j]->name;
			bool ok;

			if (strcmp(uname, dname))
				continue;
			found = true;
			if (up->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SCHEMA &&
			    down->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SCHEMA)
				ok = up->schema->columns[j]->type == down->schema->columns[i]->type;
			else if (up->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SCHEMA)
				ok = schema_col_matches(up->schema->columns[j]->type,
							down->structured_dataset_type->columns[i]->literal_type);
			else if (down->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SCHEMA)
				ok = schema_col_matches(down->schema->columns[i]->type,
							up->structured_dataset_type->columns[j]->literal_type);
			else
				ok = castable(up->structured_dataset_type->columns[j]->literal_type,
					      down->structured_dataset_type->columns[i]->literal_type);
			if (!ok)
				return false;
		}
		if (!found)
			return false;
	}
	return true;
}

static bool castable(const cmp_type *up, const cmp_type *down)
{
	size_t i, j;

	if (!up || !down)
		return false;
	switch (down->type_case) {
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_COLLECTION_TYPE:
		if (up->type_case != FLYTEIDL__CORE__LITERAL_TYPE__TYPE_COLLECTION_TYPE)
			return false;
		return cmp_type_is_none(up->collection_type) || castable(up->collection_type, down->collection_type);
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_MAP_VALUE_TYPE:
		if (up->type_case != FLYTEIDL__CORE__LITERAL_TYPE__TYPE_MAP_VALUE_TYPE)
			return false;
		return cmp_type_is_none(up->map_value_type) || castable(up->map_value_type, down->map_value_type);
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_BLOB:
		if (up->type_case != FLYTEIDL__CORE__LITERAL_TYPE__TYPE_BLOB)
			return false;
		return !*up->blob->format || !*down->blob->format || !strcmp(up->blob->format, down->blob->format);
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SCHEMA:
		if (up->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_STRUCTURED_DATASET_TYPE) {
			const char *f = up->structured_dataset_type->format;

			if (*f && strcasecmp(f, "parquet"))
				return false;
		} else if (up->type_case != FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SCHEMA) {
			return false;
		}
		return dataset_columns_castable(up, down);
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_STRUCTURED_DATASET_TYPE:
		if (cmp_type_is_none(up))
			return true;
		if (up->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SCHEMA) {
			const char *f = down->structured_dataset_type->format;

			if (*f && strcasecmp(f, "parquet"))
				return false;
			return dataset_columns_castable(up, down);
		}
		if (up->type_case != FLYTEIDL__CORE__LITERAL_TYPE__TYPE_STRUCTURED_DATASET_TYPE)
			return false;
		if (*up->structured_dataset_type->format && *down->structured_dataset_type->format &&
		    strcasecmp(up->structured_dataset_type->format, down->structured_dataset_type->format))
			return false;
		return dataset_columns_castable(up, down);
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_UNION_TYPE: {
		bool found_one = false;

		if (up->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_UNION_TYPE) {
			/* Every upstream variant needs a downstream variant it casts to. */
			for (i = 0; i < up->union_type->n_variants; i++) {
				bool found = false;

				for (j = 0; j < down->union_type->n_variants && !found; j++)
					found = cmp_types_castable(up->union_type->variants[i], down->union_type->variants[j]);
				if (!found)
					return false;
			}
			return true;
		}
		/* Otherwise exactly one variant must accept it. */
		for (i = 0; i < down->union_type->n_variants; i++) {
			if (cmp_types_castable(up, down->union_type->variants[i])) {
				if (found_one)
					return false;
				found_one = true;
			}
		}
		return found_one;
	}
	default:
		break;
	}
	if (cmp_type_is_none(down))
		return cmp_type_is_none(up);
	/* Enums and strings convert into each other. */
	if (up->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_ENUM_TYPE &&
	    down->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE && down->simple == FLYTEIDL__CORE__SIMPLE_TYPE__STRING)
		return true;
	if (down->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_ENUM_TYPE &&
	    up->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE && up->simple == FLYTEIDL__CORE__SIMPLE_TYPE__STRING)
		return true;
	if (*type_tag(up) && strcmp(type_tag(up), type_tag(down)))
		return false;
	return cmp_types_equal(up, down);
}

bool cmp_types_castable(const cmp_type *upstream, const cmp_type *downstream)
{
	/* A single-variant union upstream may cast through its variant. */
	if (upstream && upstream->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_UNION_TYPE &&
	    upstream->union_type->n_variants == 1 && castable(upstream->union_type->variants[0], downstream))
		return true;
	return castable(upstream, downstream);
}

/* Flyte's literalTypeForScalar. */
cmp_type *cmp_type_of_scalar(struct fc_arena *a, const Flyteidl__Core__Scalar *scalar)
{
	cmp_type *t;

	if (!scalar)
		return NULL;
	switch (scalar->value_case) {
	case FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE:
		if (!scalar->primitive)
			return NULL;
		switch (scalar->primitive->value_case) {
		case FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER:
			return cmp_type_simple(a, FLYTEIDL__CORE__SIMPLE_TYPE__INTEGER);
		case FLYTEIDL__CORE__PRIMITIVE__VALUE_FLOAT_VALUE:
			return cmp_type_simple(a, FLYTEIDL__CORE__SIMPLE_TYPE__FLOAT);
		case FLYTEIDL__CORE__PRIMITIVE__VALUE_STRING_VALUE:
			return cmp_type_simple(a, FLYTEIDL__CORE__SIMPLE_TYPE__STRING);
		case FLYTEIDL__CORE__PRIMITIVE__VALUE_BOOLEAN:
			return cmp_type_simple(a, FLYTEIDL__CORE__SIMPLE_TYPE__BOOLEAN);
		case FLYTEIDL__CORE__PRIMITIVE__VALUE_DATETIME:
			return cmp_type_simple(a, FLYTEIDL__CORE__SIMPLE_TYPE__DATETIME);
		case FLYTEIDL__CORE__PRIMITIVE__VALUE_DURATION:
			return cmp_type_simple(a, FLYTEIDL__CORE__SIMPLE_TYPE__DURATION);
		default:
			return NULL;
		}
	case FLYTEIDL__CORE__SCALAR__VALUE_BLOB:
		t = CMP_NEW(a, cmp_type, flyteidl__core__literal_type__descriptor);
		t->type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_BLOB;
		t->blob = scalar->blob && scalar->blob->metadata && scalar->blob->metadata->type
				  ? scalar->blob->metadata->type
				  : CMP_NEW(a, Flyteidl__Core__BlobType, flyteidl__core__blob_type__descriptor);
		return t;
	case FLYTEIDL__CORE__SCALAR__VALUE_BINARY:
		return cmp_type_simple(a, FLYTEIDL__CORE__SIMPLE_TYPE__BINARY);
	case FLYTEIDL__CORE__SCALAR__VALUE_SCHEMA:
		t = CMP_NEW(a, cmp_type, flyteidl__core__literal_type__descriptor);
		t->type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SCHEMA;
		t->schema = scalar->schema && scalar->schema->type
				    ? scalar->schema->type
				    : CMP_NEW(a, Flyteidl__Core__SchemaType, flyteidl__core__schema_type__descriptor);
		return t;
	case FLYTEIDL__CORE__SCALAR__VALUE_NONE_TYPE:
		return cmp_type_simple(a, FLYTEIDL__CORE__SIMPLE_TYPE__NONE);
	case FLYTEIDL__CORE__SCALAR__VALUE_ERROR:
		return cmp_type_simple(a, FLYTEIDL__CORE__SIMPLE_TYPE__ERROR);
	case FLYTEIDL__CORE__SCALAR__VALUE_GENERIC:
		return cmp_type_simple(a, FLYTEIDL__CORE__SIMPLE_TYPE__STRUCT);
	case FLYTEIDL__CORE__SCALAR__VALUE_STRUCTURED_DATASET:
		t = CMP_NEW(a, cmp_type, flyteidl__core__literal_type__descriptor);
		t->type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_STRUCTURED_DATASET_TYPE;
		t->structured_dataset_type =
			scalar->structured_dataset && scalar->structured_dataset->metadata &&
					scalar->structured_dataset->metadata->structured_dataset_type
				? scalar->structured_dataset->metadata->structured_dataset_type
				: CMP_NEW(a, Flyteidl__Core__StructuredDatasetType,
					  flyteidl__core__structured_dataset_type__descriptor);
		return t;
	case FLYTEIDL__CORE__SCALAR__VALUE_UNION:
		return scalar->union_ ? scalar->union_->type : NULL;
	default:
		return NULL;
	}
}

/* --- rendering --------------------------------------------------------------------------------------------- */
static const char *simple_name(Flyteidl__Core__SimpleType s)
{
	switch (s) {
	case FLYTEIDL__CORE__SIMPLE_TYPE__NONE: return "none";
	case FLYTEIDL__CORE__SIMPLE_TYPE__INTEGER: return "integer";
	case FLYTEIDL__CORE__SIMPLE_TYPE__FLOAT: return "float";
	case FLYTEIDL__CORE__SIMPLE_TYPE__STRING: return "string";
	case FLYTEIDL__CORE__SIMPLE_TYPE__BOOLEAN: return "boolean";
	case FLYTEIDL__CORE__SIMPLE_TYPE__DATETIME: return "datetime";
	case FLYTEIDL__CORE__SIMPLE_TYPE__DURATION: return "duration";
	case FLYTEIDL__CORE__SIMPLE_TYPE__BINARY: return "binary";
	case FLYTEIDL__CORE__SIMPLE_TYPE__ERROR: return "error";
	case FLYTEIDL__CORE__SIMPLE_TYPE__STRUCT: return "struct";
	default: return "unknown";
	}
}

void cmp_type_render(const cmp_type *t, struct fc_buf *out)
{
	size_t i;

	if (!t) {
		fc_buf_adds(out, "?");
		return;
	}
	switch (t->type_case) {
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE:
		fc_buf_adds(out, simple_name(t->simple));
		break;
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_COLLECTION_TYPE:
		fc_buf_adds(out, "list<");
		cmp_type_render(t->collection_type, out);
		fc_buf_addch(out, '>');
		break;
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_MAP_VALUE_TYPE:
		fc_buf_adds(out, "map<");
		cmp_type_render(t->map_value_type, out);
		fc_buf_addch(out, '>');
		break;
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_BLOB:
		fc_buf_adds(out, t->blob->dimensionality == FLYTEIDL__CORE__BLOB_TYPE__BLOB_DIMENSIONALITY__MULTIPART
					 ? "directory"
					 : "file");
		if (*t->blob->format)
			fc_buf_addf(out, "<%s>", t->blob->format);
		break;
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_ENUM_TYPE:
		fc_buf_adds(out, "enum<");
		for (i = 0; i < t->enum_type->n_values; i++)
			fc_buf_addf(out, "%s%s", i ? ", " : "", t->enum_type->values[i]);
		fc_buf_addch(out, '>');
		break;
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_UNION_TYPE:
		if (t->union_type->n_variants == 2 && cmp_type_is_none(t->union_type->variants[1])) {
			fc_buf_adds(out, "optional<");
			cmp_type_render(t->union_type->variants[0], out);
			fc_buf_addch(out, '>');
			break;
		}
		fc_buf_adds(out, "union<");
		for (i = 0; i < t->union_type->n_variants; i++) {
			if (i)
				fc_buf_adds(out, ", ");
			cmp_type_render(t->union_type->variants[i], out);
		}
		fc_buf_addch(out, '>');
		break;
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_STRUCTURED_DATASET_TYPE:
		fc_buf_adds(out, "dataset");
		if (*t->structured_dataset_type->format)
			fc_buf_addf(out, "<%s>", t->structured_dataset_type->format);
		if (t->structured_dataset_type->n_columns) {
			fc_buf_adds(out, "{");
			for (i = 0; i < t->structured_dataset_type->n_columns; i++) {
				fc_buf_addf(out, "%s%s: ", i ? ", " : "", t->structured_dataset_type->columns[i]->name);
				cmp_type_render(t->structured_dataset_type->columns[i]->literal_type, out);
			}
			fc_buf_adds(out, "}");
		}
		break;
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SCHEMA:
		fc_buf_adds(out, "schema");
		if (t->schema->n_columns) {
			static const char *const col_names[] = {"integer", "float", "string", "boolean", "datetime", "duration"};

			fc_buf_adds(out, "{");
			for (i = 0; i < t->schema->n_columns; i++) {
				unsigned ct = (unsigned)t->schema->columns[i]->type;

				fc_buf_addf(out, "%s%s: %s", i ? ", " : "", t->schema->columns[i]->name,
					    ct < FC_ARRAY_LEN(col_names) ? col_names[ct] : "?");
			}
			fc_buf_adds(out, "}");
		}
		break;
	default:
		fc_buf_adds(out, "unset");
	}
	if (t->structure && t->structure->tag && *t->structure->tag)
		fc_buf_addf(out, "[%s]", t->structure->tag);
}

const char *cmp_type_str(struct fc_arena *a, const cmp_type *t)
{
	struct fc_buf b = FC_BUF_INIT;
	const char *res;

	cmp_type_render(t, &b);
	res = fc_arena_strdup(a, b.buf);
	fc_buf_release(&b);
	return res;
}
