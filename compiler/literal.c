/* literal.c: YAML values to IDL literals, converted by their declared type; text input; rendering. */
#include "compiler/cmp_int.h"
#include "core/duration.h"
#include "core/tz.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LIT_TYPE_CASE(t, c) ((t)->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_##c)

static bool parse_yaml_int(const char *s, int64_t *out)
{
	const char *p = s;
	int base = 10;
	bool neg = false;
	char *end;
	unsigned long long v;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (p[0] == '0' && p[1] == 'o') {
		base = 8;
		p += 2;
	}
	if (!*p || !((*p >= '0' && *p <= '9') || (base == 16 && strchr("abcdefABCDEF", *p))))
		return false;
	errno = 0;
	v = strtoull(p, &end, base);
	if (*end || errno)
		return false;
	if (neg) {
		if (v > (unsigned long long)INT64_MAX + 1)
			return false;
		*out = (int64_t)(0 - v);
	} else {
		if (v > (unsigned long long)INT64_MAX)
			return false;
		*out = (int64_t)v;
	}
	return true;
}

static bool parse_yaml_float(const char *s, double *out)
{
	char *end;

	if (!strcmp(s, ".inf") || !strcmp(s, ".Inf") || !strcmp(s, ".INF") || !strcmp(s, "+.inf")) {
		*out = INFINITY;
		return true;
	}
	if (!strcmp(s, "-.inf") || !strcmp(s, "-.Inf") || !strcmp(s, "-.INF")) {
		*out = -INFINITY;
		return true;
	}
	if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN")) {
		*out = NAN;
		return true;
	}
	if (!*s || strchr("0123456789-+.", *s) == NULL)
		return false;
	errno = 0;
	*out = strtod(s, &end);
	return !*end && errno == 0 && strpbrk(s, "xXnN") == NULL;
}

static int yaml_bool(const char *s)
{
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return 1;
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return 0;
	return -1;
}

const char *cmp_yaml_scalar_kind(const struct fc_ynode *n)
{
	int64_t i;
	double d;

	if (n->kind != FC_Y_SCALAR)
		return n->kind == FC_Y_SEQ ? "list" : "mapping";
	if (n->tag) {
		if (!strcmp(n->tag, "tag:yaml.org,2002:str") || !strcmp(n->tag, "!"))
			return "str";
		if (!strcmp(n->tag, "tag:yaml.org,2002:int"))
			return "int";
		if (!strcmp(n->tag, "tag:yaml.org,2002:float"))
			return "float";
		if (!strcmp(n->tag, "tag:yaml.org,2002:bool"))
			return "bool";
		if (!strcmp(n->tag, "tag:yaml.org,2002:null"))
			return "null";
		return "str";
	}
	if (n->style != FC_Y_PLAIN)
		return "str";
	if (fc_ynode_is_null(n))
		return "null";
	if (yaml_bool(n->u.scalar.str) >= 0)
		return "bool";
	if (parse_yaml_int(n->u.scalar.str, &i))
		return "int";
	if (parse_yaml_float(n->u.scalar.str, &d))
		return "float";
	return "str";
}

static Flyteidl__Core__Scalar *new_scalar(struct fc_arena *a)
{
	return CMP_NEW(a, Flyteidl__Core__Scalar, flyteidl__core__scalar__descriptor);
}

static Flyteidl__Core__Scalar *primitive_scalar(struct fc_arena *a, Flyteidl__Core__Primitive **prim)
{
	Flyteidl__Core__Scalar *sc = new_scalar(a);

	sc->value_case = FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE;
	sc->primitive = CMP_NEW(a, Flyteidl__Core__Primitive, flyteidl__core__primitive__descriptor);
	*prim = sc->primitive;
	return sc;
}

Google__Protobuf__Duration *cmp_duration_msg(struct fc_arena *a, int64_t nanos)
{
	Google__Protobuf__Duration *d = CMP_NEW(a, Google__Protobuf__Duration, google__protobuf__duration__descriptor);

	d->seconds = nanos / 1000000000LL;
	d->nanos = (int32_t)(nanos % 1000000000LL);
	return d;
}

static Flyteidl__Core__Scalar *fail(struct fc_buf *why, const struct fc_ynode **bad, const struct fc_ynode *n,
				    const char *fmt, ...) FC_PRINTF(4, 5);
static Flyteidl__Core__Scalar *fail(struct fc_buf *why, const struct fc_ynode **bad, const struct fc_ynode *n,
				    const char *fmt, ...)
{
	va_list ap;

	if (bad && !*bad)
		*bad = n;
	if (why && !why->len) {
		va_start(ap, fmt);
		fc_buf_vaddf(why, fmt, ap);
		va_end(ap);
	}
	return NULL;
}

static const char *describe(const struct fc_ynode *n)
{
	const char *k = cmp_yaml_scalar_kind(n);

	if (!strcmp(k, "str"))
		return "a string";
	if (!strcmp(k, "int"))
		return "an integer";
	if (!strcmp(k, "float"))
		return "a float";
	if (!strcmp(k, "bool"))
		return "a boolean";
	if (!strcmp(k, "null"))
		return "null";
	return n->kind == FC_Y_SEQ ? "a list" : "a mapping";
}

/* --- google.protobuf.Struct from YAML ---------------------------------------------------------------------- */
static Google__Protobuf__Value *value_from_ynode(struct fc_arena *a, const struct fc_ynode *n, struct fc_buf *why,
						const struct fc_ynode **bad, unsigned depth);

Google__Protobuf__Struct *cmp_struct_from_ynode(struct fc_arena *a, const struct fc_ynode *n, struct fc_buf *why,
						const struct fc_ynode **bad)
{
	Google__Protobuf__Struct *st;
	size_t i;

	if (n->kind != FC_Y_MAP) {
		fail(why, bad, n, "expected a mapping for a struct, got %s", describe(n));
		return NULL;
	}
	st = CMP_NEW(a, Google__Protobuf__Struct, google__protobuf__struct__descriptor);
	for (i = 0; i < n->u.map.n; i++) {
		const struct fc_ynode *k = n->u.map.pairs[i].key;
		Google__Protobuf__Struct__FieldsEntry *e;

		if (k->kind != FC_Y_SCALAR) {
			fail(why, bad, k, "struct keys are strings");
			return NULL;
		}
		e = CMP_NEW(a, Google__Protobuf__Struct__FieldsEntry, google__protobuf__struct__fields_entry__descriptor);
		e->key = (char *)k->u.scalar.str;
		e->value = value_from_ynode(a, n->u.map.pairs[i].value, why, bad, 1);
		if (!e->value)
			return NULL;
		CMP_PUSH(a, st->fields, st->n_fields, e);
	}
	return st;
}

static Google__Protobuf__Value *value_from_ynode(struct fc_arena *a, const struct fc_ynode *n, struct fc_buf *why,
						const struct fc_ynode **bad, unsigned depth)
{
	Google__Protobuf__Value *v = CMP_NEW(a, Google__Protobuf__Value, google__protobuf__value__descriptor);
	const char *k;
	size_t i;

	if (depth > FC_LIMIT_CMP_VALUE_DEPTH) {
		fail(why, bad, n, "value nested too deeply");
		return NULL;
	}
	if (n->kind == FC_Y_MAP) {
		v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE;
		v->struct_value = cmp_struct_from_ynode(a, n, why, bad);
		return v->struct_value ? v : NULL;
	}
	if (n->kind == FC_Y_SEQ) {
		v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE;
		v->list_value = CMP_NEW(a, Google__Protobuf__ListValue, google__protobuf__list_value__descriptor);
		for (i = 0; i < n->u.seq.n; i++) {
			Google__Protobuf__Value *item = value_from_ynode(a, n->u.seq.items[i], why, bad, depth + 1);

			if (!item)
				return NULL;
			CMP_PUSH(a, v->list_value->values, v->list_value->n_values, item);
		}
		return v;
	}
	k = cmp_yaml_scalar_kind(n);
	if (!strcmp(k, "null")) {
		v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
	} else if (!strcmp(k, "bool")) {
		v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE;
		v->bool_value = yaml_bool(n->u.scalar.str) == 1;
	} else if (!strcmp(k, "int") || !strcmp(k, "float")) {
		int64_t iv;
		double d = 0;

		v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE;
		if (parse_yaml_int(n->u.scalar.str, &iv))
			d = (double)iv;
		else
			parse_yaml_float(n->u.scalar.str, &d);
		v->number_value = d;
	} else {
		v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
		v->string_value = (char *)n->u.scalar.str;
	}
	return v;
}

/* --- scalars by declared type ------------------------------------------------------------------------------ */
static Flyteidl__Core__Scalar *simple_scalar(struct fc_arena *a, Flyteidl__Core__SimpleType st,
					     const struct fc_ynode *n, struct fc_buf *why, const struct fc_ynode **bad)
{
	Flyteidl__Core__Primitive *p;
	Flyteidl__Core__Scalar *sc;
	const char *kind = cmp_yaml_scalar_kind(n);
	const char *text = n->kind == FC_Y_SCALAR ? n->u.scalar.str : "";

	switch (st) {
	case FLYTEIDL__CORE__SIMPLE_TYPE__INTEGER: {
		int64_t v;

		if (strcmp(kind, "int") || !parse_yaml_int(text, &v))
			return fail(why, bad, n, "expected an integer, got %s", describe(n));
		sc = primitive_scalar(a, &p);
		p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER;
		p->integer = v;
		return sc;
	}
	case FLYTEIDL__CORE__SIMPLE_TYPE__FLOAT: {
		double d;
		int64_t v;

		if (!strcmp(kind, "int") && parse_yaml_int(text, &v))
			d = (double)v;
		else if (strcmp(kind, "float") || !parse_yaml_float(text, &d))
			return fail(why, bad, n, "expected a float, got %s", describe(n));
		sc = primitive_scalar(a, &p);
		p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_FLOAT_VALUE;
		p->float_value = d;
		return sc;
	}
	case FLYTEIDL__CORE__SIMPLE_TYPE__BOOLEAN: {
		int b = n->kind == FC_Y_SCALAR && !strcmp(kind, "bool") ? yaml_bool(text) : -1;

		if (b < 0) {
			if (n->kind == FC_Y_SCALAR && (!strcmp(text, "yes") || !strcmp(text, "no") ||
						      !strcmp(text, "on") || !strcmp(text, "off")))
				return fail(why, bad, n, "expected a boolean (true or false), got '%s': YAML 1.2 "
							 "reads yes/no/on/off as strings", text);
			return fail(why, bad, n, "expected a boolean (true or false), got %s", describe(n));
		}
		sc = primitive_scalar(a, &p);
		p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_BOOLEAN;
		p->boolean = b == 1;
		return sc;
	}
	case FLYTEIDL__CORE__SIMPLE_TYPE__STRING:
		if (n->kind != FC_Y_SCALAR || fc_ynode_is_null(n))
			return fail(why, bad, n, "expected a string, got %s", describe(n));
		sc = primitive_scalar(a, &p);
		p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_STRING_VALUE;
		p->string_value = (char *)text;
		return sc;
	case FLYTEIDL__CORE__SIMPLE_TYPE__DATETIME: {
		int64_t secs;
		int32_t off;

		if (n->kind != FC_Y_SCALAR || fc_time_parse_rfc3339(text, &secs, &off, NULL))
			return fail(why, bad, n,
				    "expected a datetime in RFC 3339 form (e.g. 2024-05-01T12:00:00Z), got %s",
				    n->kind == FC_Y_SCALAR ? fc_arena_printf(a, "'%s'", text) : describe(n));
		sc = primitive_scalar(a, &p);
		p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_DATETIME;
		p->datetime = CMP_NEW(a, Google__Protobuf__Timestamp, google__protobuf__timestamp__descriptor);
		p->datetime->seconds = secs;
		return sc;
	}
	case FLYTEIDL__CORE__SIMPLE_TYPE__DURATION: {
		int64_t nanos;

		if (n->kind != FC_Y_SCALAR || fc_duration_parse(text, &nanos, NULL, NULL))
			return fail(why, bad, n, "expected a duration such as 30s, 5m or 1h30m, got %s",
				    n->kind == FC_Y_SCALAR ? fc_arena_printf(a, "'%s'", text) : describe(n));
		sc = primitive_scalar(a, &p);
		p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_DURATION;
		p->duration = cmp_duration_msg(a, nanos);
		return sc;
	}
	case FLYTEIDL__CORE__SIMPLE_TYPE__NONE:
		if (!fc_ynode_is_null(n))
			return fail(why, bad, n, "expected null, got %s", describe(n));
		sc = new_scalar(a);
		sc->value_case = FLYTEIDL__CORE__SCALAR__VALUE_NONE_TYPE;
		sc->none_type = CMP_NEW(a, Flyteidl__Core__Void, flyteidl__core__void__descriptor);
		return sc;
	case FLYTEIDL__CORE__SIMPLE_TYPE__STRUCT: {
		Google__Protobuf__Struct *st_msg = cmp_struct_from_ynode(a, n, why, bad);

		if (!st_msg)
			return NULL;
		sc = new_scalar(a);
		sc->value_case = FLYTEIDL__CORE__SCALAR__VALUE_GENERIC;
		sc->generic = st_msg;
		return sc;
	}
	case FLYTEIDL__CORE__SIMPLE_TYPE__BINARY:
		if (n->kind != FC_Y_SCALAR || fc_ynode_is_null(n))
			return fail(why, bad, n, "expected binary data as a string, got %s", describe(n));
		sc = new_scalar(a);
		sc->value_case = FLYTEIDL__CORE__SCALAR__VALUE_BINARY;
		sc->binary = CMP_NEW(a, Flyteidl__Core__Binary, flyteidl__core__binary__descriptor);
		sc->binary->value.data = (uint8_t *)text;
		sc->binary->value.len = n->u.scalar.len;
		return sc;
	default:
		return fail(why, bad, n, "values of this type cannot be written as literals");
	}
}

static const char *uri_of(const struct fc_ynode *n)
{
	if (n->kind == FC_Y_SCALAR && !fc_ynode_is_null(n))
		return n->u.scalar.str;
	if (n->kind == FC_Y_MAP) {
		const struct fc_ynode *u = fc_ymap_get(n, "uri");

		if (u && u->kind == FC_Y_SCALAR)
			return u->u.scalar.str;
	}
	return NULL;
}

Flyteidl__Core__Scalar *cmp_scalar_from_ynode(struct fc_arena *a, const cmp_type *type, const struct fc_ynode *n,
					      struct fc_buf *why, const struct fc_ynode **bad)
{
	Flyteidl__Core__Scalar *sc;
	const char *uri;
	size_t i;

	switch (type->type_case) {
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE:
		return simple_scalar(a, type->simple, n, why, bad);
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_ENUM_TYPE:
		if (n->kind != FC_Y_SCALAR || fc_ynode_is_null(n))
			return fail(why, bad, n, "expected one of the enum's values, got %s", describe(n));
		for (i = 0; i < type->enum_type->n_values; i++) {
			if (!strcmp(type->enum_type->values[i], n->u.scalar.str)) {
				Flyteidl__Core__Primitive *p;

				sc = primitive_scalar(a, &p);
				p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_STRING_VALUE;
				p->string_value = (char *)n->u.scalar.str;
				return sc;
			}
		}
		{
			struct fc_buf vals = FC_BUF_INIT;

			for (i = 0; i < type->enum_type->n_values; i++)
				fc_buf_addf(&vals, "%s%s", i ? ", " : "", type->enum_type->values[i]);
			fail(why, bad, n, "'%s' is not one of the enum's values [%s]", n->u.scalar.str, vals.buf);
			fc_buf_release(&vals);
		}
		return NULL;
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_BLOB:
		uri = uri_of(n);
		if (!uri)
			return fail(why, bad, n, "expected a file or directory URI (a path or s3://...), got %s",
				    describe(n));
		sc = new_scalar(a);
		sc->value_case = FLYTEIDL__CORE__SCALAR__VALUE_BLOB;
		sc->blob = CMP_NEW(a, Flyteidl__Core__Blob, flyteidl__core__blob__descriptor);
		sc->blob->uri = (char *)uri;
		sc->blob->metadata = CMP_NEW(a, Flyteidl__Core__BlobMetadata, flyteidl__core__blob_metadata__descriptor);
		sc->blob->metadata->type = type->blob;
		return sc;
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_STRUCTURED_DATASET_TYPE:
		uri = uri_of(n);
		if (!uri)
			return fail(why, bad, n, "expected a dataset URI, got %s", describe(n));
		sc = new_scalar(a);
		sc->value_case = FLYTEIDL__CORE__SCALAR__VALUE_STRUCTURED_DATASET;
		sc->structured_dataset =
			CMP_NEW(a, Flyteidl__Core__StructuredDataset, flyteidl__core__structured_dataset__descriptor);
		sc->structured_dataset->uri = (char *)uri;
		sc->structured_dataset->metadata = CMP_NEW(a, Flyteidl__Core__StructuredDatasetMetadata,
							   flyteidl__core__structured_dataset_metadata__descriptor);
		sc->structured_dataset->metadata->structured_dataset_type = type->structured_dataset_type;
		return sc;
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SCHEMA:
		uri = uri_of(n);
		if (!uri)
			return fail(why, bad, n, "expected a schema URI, got %s", describe(n));
		sc = new_scalar(a);
		sc->value_case = FLYTEIDL__CORE__SCALAR__VALUE_SCHEMA;
		sc->schema = CMP_NEW(a, Flyteidl__Core__Schema, flyteidl__core__schema__descriptor);
		sc->schema->uri = (char *)uri;
		sc->schema->type = type->schema;
		return sc;
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_UNION_TYPE: {
		/* Exactly one variant must accept the value, by the YAML type it was written as. */
		Flyteidl__Core__Scalar *found = NULL;
		const cmp_type *found_type = NULL;

		for (i = 0; i < type->union_type->n_variants; i++) {
			const cmp_type *v = type->union_type->variants[i];
			cmp_literal *lit;

			/* Strings only match values written as strings, so 3 never becomes "3" in a union. */
			if (LIT_TYPE_CASE(v, SIMPLE) && v->simple == FLYTEIDL__CORE__SIMPLE_TYPE__STRING &&
			    strcmp(cmp_yaml_scalar_kind(n), "str"))
				continue;
			lit = cmp_literal_from_ynode(a, v, n, NULL, NULL);
			if (!lit)
				continue;
			if (found)
				return fail(why, bad, n, "value matches more than one variant of %s (%s and %s)",
					    cmp_type_str(a, type), cmp_type_str(a, found_type), cmp_type_str(a, v));
			found_type = v;
			found = new_scalar(a);
			found->value_case = FLYTEIDL__CORE__SCALAR__VALUE_UNION;
			found->union_ = CMP_NEW(a, Flyteidl__Core__Union, flyteidl__core__union__descriptor);
			found->union_->value = lit;
			found->union_->type = (cmp_type *)v;
		}
		if (!found)
			return fail(why, bad, n, "%s matches no variant of %s", describe(n), cmp_type_str(a, type));
		return found;
	}
	default:
		return fail(why, bad, n, "expected a single value of type %s, got %s", cmp_type_str(a, type),
			    describe(n));
	}
}

cmp_literal *cmp_literal_from_ynode(struct fc_arena *a, const cmp_type *type, const struct fc_ynode *n,
				    struct fc_buf *why, const struct fc_ynode **bad)
{
	cmp_literal *lit = CMP_NEW(a, cmp_literal, flyteidl__core__literal__descriptor);
	size_t i;

	if (n->tag && !strcmp(n->tag, "!ref")) {
		fail(why, bad, n, "a reference (!ref) cannot be used here: a literal value is needed");
		return NULL;
	}
	if (LIT_TYPE_CASE(type, COLLECTION_TYPE)) {
		if (n->kind != FC_Y_SEQ) {
			fail(why, bad, n, "expected a list (%s), got %s", cmp_type_str(a, type), describe(n));
			return NULL;
		}
		lit->value_case = FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION;
		lit->collection = CMP_NEW(a, Flyteidl__Core__LiteralCollection, flyteidl__core__literal_collection__descriptor);
		for (i = 0; i < n->u.seq.n; i++) {
			cmp_literal *item = cmp_literal_from_ynode(a, type->collection_type, n->u.seq.items[i], why, bad);

			if (!item)
				return NULL;
			CMP_PUSH(a, lit->collection->literals, lit->collection->n_literals, item);
		}
		return lit;
	}
	if (LIT_TYPE_CASE(type, MAP_VALUE_TYPE)) {
		if (n->kind != FC_Y_MAP) {
			fail(why, bad, n, "expected a mapping (%s), got %s", cmp_type_str(a, type), describe(n));
			return NULL;
		}
		lit->value_case = FLYTEIDL__CORE__LITERAL__VALUE_MAP;
		lit->map = CMP_NEW(a, Flyteidl__Core__LiteralMap, flyteidl__core__literal_map__descriptor);
		for (i = 0; i < n->u.map.n; i++) {
			const struct fc_ynode *k = n->u.map.pairs[i].key;
			Flyteidl__Core__LiteralMap__LiteralsEntry *e;

			if (k->kind != FC_Y_SCALAR) {
				fail(why, bad, k, "map keys are strings");
				return NULL;
			}
			e = CMP_NEW(a, Flyteidl__Core__LiteralMap__LiteralsEntry,
				    flyteidl__core__literal_map__literals_entry__descriptor);
			e->key = (char *)k->u.scalar.str;
			e->value = cmp_literal_from_ynode(a, type->map_value_type, n->u.map.pairs[i].value, why, bad);
			if (!e->value)
				return NULL;
			CMP_PUSH(a, lit->map->literals, lit->map->n_literals, e);
		}
		return lit;
	}
	if (LIT_TYPE_CASE(type, UNION_TYPE)) {
		/* Collections and maps inside unions: try each variant whole. */
		if (n->kind != FC_Y_SCALAR) {
			cmp_literal *found = NULL;

			for (i = 0; i < type->union_type->n_variants; i++) {
				cmp_literal *v = cmp_literal_from_ynode(a, type->union_type->variants[i], n, NULL, NULL);

				if (!v)
					continue;
				if (found) {
					fail(why, bad, n, "value matches more than one variant of %s", cmp_type_str(a, type));
					return NULL;
				}
				found = CMP_NEW(a, cmp_literal, flyteidl__core__literal__descriptor);
				found->value_case = FLYTEIDL__CORE__LITERAL__VALUE_SCALAR;
				found->scalar = new_scalar(a);
				found->scalar->value_case = FLYTEIDL__CORE__SCALAR__VALUE_UNION;
				found->scalar->union_ = CMP_NEW(a, Flyteidl__Core__Union, flyteidl__core__union__descriptor);
				found->scalar->union_->value = v;
				found->scalar->union_->type = type->union_type->variants[i];
			}
			if (!found)
				fail(why, bad, n, "%s matches no variant of %s", describe(n), cmp_type_str(a, type));
			return found;
		}
	}
	lit->value_case = FLYTEIDL__CORE__LITERAL__VALUE_SCALAR;
	lit->scalar = cmp_scalar_from_ynode(a, type, n, why, bad);
	return lit->scalar ? lit : NULL;
}
