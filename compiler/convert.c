/*
 * convert.c: Flyte IDL -> flytec's YAML spec language (`flytec convert --to yaml-spec`).
 *
 * The session compiles the IDL first: that resolves every reference, so a literal bound to a node input can be
 * written by the type of the input it feeds, and branch conditions can be written with the references their
 * operands stand for. Each entity becomes a small YAML tree (struct yn, in an arena), and the trees are emitted with
 * libyaml's emitter; a reference is a scalar tagged `!ref`. Strings that the spec loader would read as something else
 * (numbers, booleans, null) are quoted.
 *
 * The spec language cannot say everything the IDL can (flytekit's runtime metadata, type metadata, pod specs,
 * ...). Rather than list such fields by hand and miss some, the output is compiled again and every compiled task,
 * workflow and launch plan is compared, as proto3 JSON, with the one compiled from the IDL: each difference becomes
 * a "NotConvertible" warning naming the entity and the field path. Content-hash versions are ignored (they differ
 * by construction), and so are a message that is absent on one side and empty on the other.
 */
#include "compiler/cmp_int.h"
#include "compiler/convert.h"
#include "core/duration.h"
#include "core/pbjson.h"
#include "core/pbpack.h"
#include "core/tz.h"
#include "core/yamljson.h"

#include "flyteidl/admin/common.pb-c.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define CONV_MAX_DEPTH 200
#define CONV_MAX_EMIT_DEPTH 1000 /* the tree adds a few levels above the deepest value */
#define CONV_MAX_PATHS 8

/* --- a small YAML tree ------------------------------------------------------------------------------------- */
enum yk { YK_STR, YK_RAW, YK_REF, YK_SEQ, YK_MAP };

struct yn {
	enum yk kind;
	bool flow;
	const char *text; /* scalars */
	struct yn **kids; /* sequence items; for mappings key, value, key, value, ... */
	size_t n;
};

struct conv {
	struct cmp_session *s;
	struct fc_arena a;         /* the YAML trees and scratch types */
	struct cmp_entity *e;      /* the entity being written, for warnings */
	struct fc_strmap said;     /* warnings already given for `e` */
	struct fc_strmap folded;   /* workflow name -> its default launch plan, folded into input defaults */
	struct cmp_convert_stats *stats;
};

static struct yn *yn_new(struct conv *c, enum yk kind, const char *text)
{
	struct yn *n = fc_arena_alloc(&c->a, sizeof(*n));

	n->kind = kind;
	n->text = text;
	return n;
}

static void yn_push(struct conv *c, struct yn *parent, struct yn *kid)
{
	cmp_push(&c->a, (void ***)&parent->kids, &parent->n, kid);
}

/* YAML cannot hold invalid UTF-8 or NUL: such bytes become U+FFFD (reported by the caller's verification). */
static const char *utf8_clean(struct conv *c, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	struct fc_buf b = FC_BUF_INIT;
	const char *res;
	bool dirty = false;

	while (*p) {
		size_t len = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
		size_t i;
		bool ok = len > 0 && !(len == 2 && *p < 0xc2);

		for (i = 1; ok && i < len; i++)
			ok = (p[i] & 0xc0) == 0x80;
		if (ok && len == 3 && ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0)))
			ok = false;
		if (ok && len == 4 && ((p[0] == 0xf0 && p[1] < 0x90) || p[0] > 0xf4 || (p[0] == 0xf4 && p[1] >= 0x90)))
			ok = false;
		if (!ok) {
			dirty = true;
			fc_buf_adds(&b, "\xef\xbf\xbd");
			p++;
			continue;
		}
		fc_buf_add(&b, p, len);
		p += len;
	}
	res = dirty ? fc_arena_strdup(&c->a, b.buf) : s;
	fc_buf_release(&b);
	return res;
}

/* Scalars copy their text: it may come from a buffer the caller releases. */
static struct yn *yn_str(struct conv *c, const char *s)
{
	return yn_new(c, YK_STR, fc_arena_strdup(&c->a, utf8_clean(c, s ? s : "")));
}

static struct yn *yn_raw(struct conv *c, const char *s)
{
	return yn_new(c, YK_RAW, s);
}

static struct yn *yn_rawf(struct conv *c, const char *fmt, ...) FC_PRINTF(2, 3);
static struct yn *yn_rawf(struct conv *c, const char *fmt, ...)
{
	struct fc_buf b = FC_BUF_INIT;
	struct yn *n;
	va_list ap;

	va_start(ap, fmt);
	fc_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	n = yn_raw(c, fc_arena_strdup(&c->a, b.buf));
	fc_buf_release(&b);
	return n;
}

static struct yn *yn_ref(struct conv *c, const char *s)
{
	return yn_new(c, YK_REF, fc_arena_strdup(&c->a, utf8_clean(c, s)));
}

static struct yn *yn_seq(struct conv *c, bool flow)
{
	struct yn *n = yn_new(c, YK_SEQ, NULL);

	n->flow = flow;
	return n;
}

static struct yn *yn_map(struct conv *c, bool flow)
{
	struct yn *n = yn_new(c, YK_MAP, NULL);

	n->flow = flow;
	return n;
}

static bool yn_has(const struct yn *map, const char *key)
{
	size_t i;

	for (i = 0; i + 1 < map->n; i += 2)
		if (!strcmp(map->kids[i]->text, key))
			return true;
	return false;
}

/* Add `key: value` (value NULL: nothing). Returns false when the key is already there (YAML forbids that). */
static bool yn_put(struct conv *c, struct yn *map, const char *key, struct yn *value)
{
	if (!value)
		return true;
	if (yn_has(map, key))
		return false;
	yn_push(c, map, yn_str(c, key));
	yn_push(c, map, value);
	return true;
}

static bool yn_is_scalar(const struct yn *n)
{
	return n->kind == YK_STR || n->kind == YK_RAW || n->kind == YK_REF;
}

/* Short collections of scalars read best on one line. */
static void yn_flow_if_small(struct yn *n)
{
	size_t i, len = 0;

	for (i = 0; i < n->n; i++) {
		if (!yn_is_scalar(n->kids[i]) || strchr(n->kids[i]->text, '\n'))
			return;
		len += strlen(n->kids[i]->text) + 4;
	}
	n->flow = len < 90;
}

/* --- emitting ---------------------------------------------------------------------------------------------- */
/* Whether the spec loader reads this text, written plain, as the same string (and YAML 1.1 readers agree). */
static bool plain_reads_as_string(const char *s)
{
	static const char *const yaml11[] = {"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
					     "on", "On", "ON", "off", "Off", "OFF", "=", "<<"};
	struct fc_ynode tmp;
	size_t i;

	memset(&tmp, 0, sizeof(tmp));
	tmp.kind = FC_Y_SCALAR;
	tmp.style = FC_Y_PLAIN;
	tmp.u.scalar.str = s;
	tmp.u.scalar.len = strlen(s);
	if (!*s || strcmp(cmp_yaml_scalar_kind(&tmp), "str"))
		return false;
	for (i = 0; i < FC_ARRAY_LEN(yaml11); i++)
		if (!strcmp(s, yaml11[i]))
			return false;
	return true;
}

static int emit_yn(struct fc_yaml_writer *e, const struct yn *n, bool in_flow, unsigned depth)
{
	yaml_event_t ev;
	size_t i;
	int rc = FC_OK;

	if (depth > CONV_MAX_EMIT_DEPTH)
		return fc_err_set(e->err, FC_ELIMIT, "cannot write YAML: nested deeper than %d levels",
				  CONV_MAX_EMIT_DEPTH);
	switch (n->kind) {
	case YK_STR: {
		yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;

		if (!plain_reads_as_string(n->text))
			style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		else if (strchr(n->text, '\n'))
			style = in_flow ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_LITERAL_SCALAR_STYLE;
		return fc_yaml_writer_emit(e, &ev,
				  yaml_scalar_event_initialize(&ev, NULL, NULL, (const yaml_char_t *)n->text,
							       (int)strlen(n->text), 1, 1, style));
	}
	case YK_RAW:
		return fc_yaml_writer_emit(e, &ev,
				  yaml_scalar_event_initialize(&ev, NULL, NULL, (const yaml_char_t *)n->text,
							       (int)strlen(n->text), 1, 0, YAML_PLAIN_SCALAR_STYLE));
	case YK_REF:
		return fc_yaml_writer_emit(e, &ev,
				  yaml_scalar_event_initialize(&ev, NULL, (const yaml_char_t *)"!ref",
							       (const yaml_char_t *)n->text, (int)strlen(n->text), 0, 0,
							       YAML_PLAIN_SCALAR_STYLE));
	case YK_SEQ:
		rc = fc_yaml_writer_emit(e, &ev,
				yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
								     n->flow || in_flow ? YAML_FLOW_SEQUENCE_STYLE
											: YAML_BLOCK_SEQUENCE_STYLE));
		for (i = 0; !rc && i < n->n; i++)
			rc = emit_yn(e, n->kids[i], in_flow || n->flow, depth + 1);
		if (!rc)
			rc = fc_yaml_writer_emit(e, &ev, yaml_sequence_end_event_initialize(&ev));
		return rc;
	case YK_MAP:
		rc = fc_yaml_writer_emit(e, &ev,
				yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
								    n->flow || in_flow ? YAML_FLOW_MAPPING_STYLE
										       : YAML_BLOCK_MAPPING_STYLE));
		for (i = 0; !rc && i < n->n; i++)
			rc = emit_yn(e, n->kids[i], in_flow || n->flow, depth + 1);
		if (!rc)
			rc = fc_yaml_writer_emit(e, &ev, yaml_mapping_end_event_initialize(&ev));
		return rc;
	}
	return rc;
}

/* Emit each tree as one YAML document. */
static int emit_documents(struct yn **docs, size_t ndocs, struct fc_buf *out, struct fc_err *err)
{
	struct fc_yaml_writer w;
	yaml_event_t ev;
	size_t i;
	int rc = fc_yaml_writer_open(&w, out, 120, err);

	for (i = 0; !rc && i < ndocs; i++) {
		rc = fc_yaml_writer_emit(&w, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, i == 0));
		if (!rc)
			rc = emit_yn(&w, docs[i], false, 0);
		if (!rc)
			rc = fc_yaml_writer_emit(&w, &ev, yaml_document_end_event_initialize(&ev, 1));
	}
	return fc_yaml_writer_close(&w, rc);
}

/* --- warnings ---------------------------------------------------------------------------------------------- */
static void warn(struct conv *c, const char *fmt, ...) FC_PRINTF(2, 3);
static void warn(struct conv *c, const char *fmt, ...)
{
	struct fc_buf msg = FC_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	fc_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	if (!fc_strmap_has(&c->said, msg.buf)) {
		fc_strmap_put(&c->said, fc_arena_strdup(&c->a, msg.buf), NULL);
		fc_diag_add(&c->s->diags, c->s->opts.warnings_as_errors ? FC_SEV_ERROR : FC_SEV_WARNING, "NotConvertible",
			    c->e->loc, "%s '%s': %s", cmp_kind_name(c->e->kind), c->e->name, msg.buf);
		c->stats->not_convertible++;
	}
	fc_buf_release(&msg);
}

static void begin_entity(struct conv *c, struct cmp_entity *e)
{
	c->e = e;
	fc_strmap_release(&c->said);
	fc_strmap_init(&c->said);
}

/* --- scalars as text --------------------------------------------------------------------------------------- */
/* Shortest text that reads back as the same double, always recognisably a float ("3.0", not "3"). */
static const char *float_text(struct conv *c, double d)
{
	char num[40];

	if (isnan(d))
		return ".nan";
	if (isinf(d))
		return d > 0 ? ".inf" : "-.inf";
	fc_pbjson_format_double(d, num);
	if (!strpbrk(num, ".eE"))
		return fc_arena_printf(&c->a, "%s.0", num);
	return fc_arena_strdup(&c->a, num);
}

static const char *duration_text(struct conv *c, const Google__Protobuf__Duration *d, const char *where)
{
	struct fc_buf b = FC_BUF_INIT;
	const char *res;

	if (!d)
		return NULL;
	if (d->seconds > INT64_MAX / 1000000000LL - 1 || d->seconds < -(INT64_MAX / 1000000000LL - 1)) {
		warn(c, "%s: a duration of %lld seconds is too long for the spec", where, (long long)d->seconds);
		return NULL;
	}
	fc_duration_format(d->seconds * 1000000000LL + d->nanos, &b);
	res = fc_arena_strdup(&c->a, b.buf);
	fc_buf_release(&b);
	return res;
}

static bool word_ok(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr("_-.", *s)))
			return false;
	return true;
}

/* --- types ------------------------------------------------------------------------------------------------- */
static const char *simple_type_name(Flyteidl__Core__SimpleType t)
{
	switch (t) {
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
	default: return NULL;
	}
}

static const char *schema_column_name(Flyteidl__Core__SchemaType__SchemaColumn__SchemaColumnType t)
{
	static const char *const names[] = {"integer", "float", "string", "boolean", "datetime", "duration"};

	return (unsigned)t < FC_ARRAY_LEN(names) ? names[t] : NULL;
}

static struct yn *type_yaml(struct conv *c, const cmp_type *t, const char *where, unsigned depth);

/* Wrap one inner type: "list<T>" when T has a string form, {list: T} when it needs the mapping form. */
static struct yn *wrap_type(struct conv *c, const char *form, struct yn *inner)
{
	struct yn *m;

	if (inner->kind == YK_STR)
		return yn_str(c, fc_arena_printf(&c->a, "%s<%s>", form, inner->text));
	m = yn_map(c, false);
	yn_put(c, m, form, inner);
	return m;
}

static struct yn *type_yaml(struct conv *c, const cmp_type *t, const char *where, unsigned depth)
{
	struct yn *res = NULL;
	size_t i;

	if (!t || depth > 64) {
		warn(c, "%s: a variable without a type (written as none)", where);
		return yn_str(c, "none");
	}
	switch (t->type_case) {
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE: {
		const char *name = simple_type_name(t->simple);

		if (!name) {
			warn(c, "%s: simple type %d is unknown (written as none)", where, (int)t->simple);
			name = "none";
		}
		res = yn_str(c, name);
		break;
	}
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_COLLECTION_TYPE:
		res = wrap_type(c, "list", type_yaml(c, t->collection_type, where, depth + 1));
		break;
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_MAP_VALUE_TYPE:
		res = wrap_type(c, "map", type_yaml(c, t->map_value_type, where, depth + 1));
		break;
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_BLOB: {
		const char *kw = t->blob->dimensionality == FLYTEIDL__CORE__BLOB_TYPE__BLOB_DIMENSIONALITY__MULTIPART
					 ? "directory"
					 : "file";
		const char *fmt = t->blob->format ? t->blob->format : "";

		if (!*fmt) {
			res = yn_str(c, kw);
		} else if (word_ok(fmt)) {
			res = yn_str(c, fc_arena_printf(&c->a, "%s<%s>", kw, fmt));
		} else {
			struct yn *inner = yn_map(c, true);

			yn_put(c, inner, "format", yn_str(c, fmt));
			res = yn_map(c, false);
			yn_put(c, res, kw, inner);
		}
		break;
	}
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_ENUM_TYPE: {
		bool words = t->enum_type->n_values > 0;
		struct yn *vals = yn_seq(c, true);

		for (i = 0; i < t->enum_type->n_values; i++) {
			words = words && word_ok(t->enum_type->values[i]);
			yn_push(c, vals, yn_str(c, t->enum_type->values[i]));
		}
		if (!t->enum_type->n_values)
			warn(c, "%s: an enum type without values", where);
		if (words) {
			struct fc_buf b = FC_BUF_INIT;

			fc_buf_adds(&b, "enum<");
			for (i = 0; i < t->enum_type->n_values; i++)
				fc_buf_addf(&b, "%s%s", i ? ", " : "", t->enum_type->values[i]);
			fc_buf_addch(&b, '>');
			res = yn_str(c, fc_arena_strdup(&c->a, b.buf));
			fc_buf_release(&b);
		} else {
			res = yn_map(c, false);
			yn_put(c, res, "enum", vals);
		}
		break;
	}
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_UNION_TYPE: {
		const Flyteidl__Core__UnionType *u = t->union_type;
		struct yn **kids;
		bool all_str = true;

		if (!u->n_variants) {
			warn(c, "%s: a union type without variants", where);
			res = yn_str(c, "none");
			break;
		}
		if (u->n_variants == 2 && cmp_type_is_none(u->variants[1])) {
			if (u->variants[1]->metadata || u->variants[1]->annotation || u->variants[1]->structure)
				(void)type_yaml(c, u->variants[1], where, depth + 1); /* reports what is lost */
			res = wrap_type(c, "optional", type_yaml(c, u->variants[0], where, depth + 1));
			break;
		}
		kids = fc_arena_array(&c->a, u->n_variants, sizeof(*kids));
		for (i = 0; i < u->n_variants; i++) {
			kids[i] = type_yaml(c, u->variants[i], where, depth + 1);
			all_str = all_str && kids[i]->kind == YK_STR;
		}
		if (all_str) {
			struct fc_buf b = FC_BUF_INIT;

			fc_buf_adds(&b, "union<");
			for (i = 0; i < u->n_variants; i++)
				fc_buf_addf(&b, "%s%s", i ? ", " : "", kids[i]->text);
			fc_buf_addch(&b, '>');
			res = yn_str(c, fc_arena_strdup(&c->a, b.buf));
			fc_buf_release(&b);
		} else {
			struct yn *seq = yn_seq(c, false);

			for (i = 0; i < u->n_variants; i++)
				yn_push(c, seq, kids[i]);
			res = yn_map(c, false);
			yn_put(c, res, "union", seq);
		}
		break;
	}
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_STRUCTURED_DATASET_TYPE: {
		const Flyteidl__Core__StructuredDatasetType *sd = t->structured_dataset_type;
		const char *fmt = sd->format ? sd->format : "";

		if (sd->external_schema_type && *sd->external_schema_type)
			warn(c, "%s: a dataset's external schema type cannot be written", where);
		if (sd->external_schema_bytes.len)
			warn(c, "%s: a dataset's external schema bytes cannot be written", where);
		if (!sd->n_columns && (!*fmt || word_ok(fmt))) {
			res = yn_str(c, *fmt ? fc_arena_printf(&c->a, "dataset<%s>", fmt) : "dataset");
			break;
		}
		{
			struct yn *inner = yn_map(c, false), *cols = yn_map(c, false);

			if (*fmt)
				yn_put(c, inner, "format", yn_str(c, fmt));
			for (i = 0; i < sd->n_columns; i++) {
				const char *name = sd->columns[i]->name ? sd->columns[i]->name : "";

				if (!yn_put(c, cols, name, type_yaml(c, sd->columns[i]->literal_type, where, depth + 1)))
					warn(c, "%s: dataset column '%s' is listed twice; the second is dropped", where, name);
			}
			if (sd->n_columns)
				yn_put(c, inner, "columns", cols);
			res = yn_map(c, false);
			yn_put(c, res, "dataset", inner);
		}
		break;
	}
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SCHEMA: {
		struct yn *inner, *cols;

		if (!t->schema->n_columns) {
			res = yn_str(c, "schema");
			break;
		}
		inner = yn_map(c, false);
		cols = yn_map(c, false);
		for (i = 0; i < t->schema->n_columns; i++) {
			const char *name = t->schema->columns[i]->name ? t->schema->columns[i]->name : "";
			const char *ct = schema_column_name(t->schema->columns[i]->type);

			if (!ct) {
				warn(c, "%s: schema column '%s' has an unknown type", where, name);
				continue;
			}
			if (!yn_put(c, cols, name, yn_str(c, ct)))
				warn(c, "%s: schema column '%s' is listed twice; the second is dropped", where, name);
		}
		yn_put(c, inner, "columns", cols);
		res = yn_map(c, false);
		yn_put(c, res, "schema", inner);
		break;
	}
	default:
		warn(c, "%s: a type with no kind (written as none)", where);
		res = yn_str(c, "none");
	}
	return res;
}

/* --- literals ---------------------------------------------------------------------------------------------- */
static struct yn *literal_yaml(struct conv *c, const cmp_literal *lit, const cmp_type *type, const char *where,
			       unsigned depth);

static struct yn *value_yaml(struct conv *c, const Google__Protobuf__Value *v, unsigned depth);

static struct yn *struct_yaml(struct conv *c, const Google__Protobuf__Struct *st, unsigned depth)
{
	struct yn *m = yn_map(c, false);
	size_t i;

	for (i = 0; st && i < st->n_fields; i++)
		yn_put(c, m, st->fields[i]->key ? st->fields[i]->key : "", value_yaml(c, st->fields[i]->value, depth + 1));
	if (!m->n)
		m->flow = true;
	return m;
}

static struct yn *value_yaml(struct conv *c, const Google__Protobuf__Value *v, unsigned depth)
{
	size_t i;

	if (!v || depth > CONV_MAX_DEPTH)
		return yn_raw(c, "null");
	switch (v->kind_case) {
	case GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE: {
		double d = v->number_value;

		/* Whole numbers as integers (they read back as the same double), the rest as floats. */
		if (isfinite(d) && d == floor(d) && fabs(d) < 9007199254740992.0 && !(d == 0 && signbit(d)))
			return yn_rawf(c, "%.0f", d);
		return yn_raw(c, float_text(c, d));
	}
	case GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE:
		return yn_str(c, v->string_value);
	case GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE:
		return yn_raw(c, v->bool_value ? "true" : "false");
	case GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE:
		return struct_yaml(c, v->struct_value, depth + 1);
	case GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE: {
		struct yn *seq = yn_seq(c, false);

		for (i = 0; v->list_value && i < v->list_value->n_values; i++)
			yn_push(c, seq, value_yaml(c, v->list_value->values[i], depth + 1));
		yn_flow_if_small(seq);
		return seq;
	}
	default:
		return yn_raw(c, "null");
	}
}

static struct yn *scalar_yaml(struct conv *c, const Flyteidl__Core__Scalar *sc, const cmp_type *type, const char *where,
			      unsigned depth)
{
	if (!sc)
		return yn_raw(c, "null");
	switch (sc->value_case) {
	case FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE: {
		const Flyteidl__Core__Primitive *p = sc->primitive;

		switch (p ? p->value_case : FLYTEIDL__CORE__PRIMITIVE__VALUE__NOT_SET) {
		case FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER:
			return yn_rawf(c, "%lld", (long long)p->integer);
		case FLYTEIDL__CORE__PRIMITIVE__VALUE_FLOAT_VALUE:
			return yn_raw(c, float_text(c, p->float_value));
		case FLYTEIDL__CORE__PRIMITIVE__VALUE_STRING_VALUE:
			return yn_str(c, p->string_value);
		case FLYTEIDL__CORE__PRIMITIVE__VALUE_BOOLEAN:
			return yn_raw(c, p->boolean ? "true" : "false");
		case FLYTEIDL__CORE__PRIMITIVE__VALUE_DATETIME: {
			char ts[FC_RFC3339_MAX];

			if (p->datetime && p->datetime->nanos)
				warn(c, "%s: the fraction of a second of a datetime value is dropped", where);
			fc_time_format_rfc3339(p->datetime ? p->datetime->seconds : 0, 0, ts);
			return yn_str(c, fc_arena_strdup(&c->a, ts));
		}
		case FLYTEIDL__CORE__PRIMITIVE__VALUE_DURATION: {
			Google__Protobuf__Duration zero = GOOGLE__PROTOBUF__DURATION__INIT;
			const char *d = duration_text(c, p->duration ? p->duration : &zero, where);

			return d ? yn_str(c, d) : yn_raw(c, "null");
		}
		default:
			warn(c, "%s: an empty primitive value", where);
			return yn_raw(c, "null");
		}
	}
	case FLYTEIDL__CORE__SCALAR__VALUE_BLOB:
		return yn_str(c, sc->blob->uri);
	case FLYTEIDL__CORE__SCALAR__VALUE_STRUCTURED_DATASET:
		return yn_str(c, sc->structured_dataset->uri);
	case FLYTEIDL__CORE__SCALAR__VALUE_SCHEMA:
		return yn_str(c, sc->schema->uri);
	case FLYTEIDL__CORE__SCALAR__VALUE_NONE_TYPE:
		return yn_raw(c, "null");
	case FLYTEIDL__CORE__SCALAR__VALUE_GENERIC:
		return struct_yaml(c, sc->generic, depth + 1);
	case FLYTEIDL__CORE__SCALAR__VALUE_BINARY: {
		const Flyteidl__Core__Binary *b = sc->binary;
		char *text;

		if (b->tag && *b->tag)
			warn(c, "%s: the tag '%s' of a binary value cannot be written", where, b->tag);
		if (!b->value.len || !b->value.data)
			return yn_str(c, "");
		if (memchr(b->value.data, 0, b->value.len)) {
			warn(c, "%s: binary data with NUL bytes cannot be written in YAML (written as empty)", where);
			return yn_str(c, "");
		}
		text = fc_arena_strndup(&c->a, (const char *)b->value.data, b->value.len);
		if (strcmp(utf8_clean(c, text), text))
			warn(c, "%s: binary data that is not UTF-8 text cannot be written exactly", where);
		return yn_str(c, text);
	}
	case FLYTEIDL__CORE__SCALAR__VALUE_UNION:
		if (!sc->union_ || !sc->union_->value)
			return yn_raw(c, "null");
		return literal_yaml(c, sc->union_->value, sc->union_->type, where, depth + 1);
	case FLYTEIDL__CORE__SCALAR__VALUE_ERROR:
		warn(c, "%s: an error value cannot be written as a literal", where);
		return yn_raw(c, "null");
	default:
		(void)type;
		warn(c, "%s: an empty scalar value", where);
		return yn_raw(c, "null");
	}
}

static struct yn *literal_yaml(struct conv *c, const cmp_literal *lit, const cmp_type *type, const char *where,
			       unsigned depth)
{
	size_t i;

	if (!lit || depth > CONV_MAX_DEPTH)
		return yn_raw(c, "null");
	if (type && type->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_UNION_TYPE &&
	    lit->value_case != FLYTEIDL__CORE__LITERAL__VALUE_SCALAR)
		type = NULL;
	switch (lit->value_case) {
	case FLYTEIDL__CORE__LITERAL__VALUE_SCALAR:
		return scalar_yaml(c, lit->scalar, type, where, depth + 1);
	case FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION: {
		struct yn *seq = yn_seq(c, false);
		const cmp_type *elem = type && type->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_COLLECTION_TYPE
					       ? type->collection_type
					       : NULL;

		for (i = 0; i < lit->collection->n_literals; i++)
			yn_push(c, seq, literal_yaml(c, lit->collection->literals[i], elem, where, depth + 1));
		yn_flow_if_small(seq);
		if (!seq->n)
			seq->flow = true;
		return seq;
	}
	case FLYTEIDL__CORE__LITERAL__VALUE_MAP: {
		struct yn *m = yn_map(c, false);
		const cmp_type *elem = type && type->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_MAP_VALUE_TYPE
					       ? type->map_value_type
					       : NULL;

		for (i = 0; i < lit->map->n_literals; i++)
			yn_put(c, m, lit->map->literals[i]->key,
			       literal_yaml(c, lit->map->literals[i]->value, elem, where, depth + 1));
		yn_flow_if_small(m);
		if (!m->n)
			m->flow = true;
		return m;
	}
	default:
		warn(c, "%s: an offloaded literal cannot be written", where);
		return yn_raw(c, "null");
	}
}

/* --- bindings ---------------------------------------------------------------------------------------------- */
static const char *ref_text(struct conv *c, const Flyteidl__Core__OutputReference *p)
{
	const char *node = p->node_id && *p->node_id && strcmp(p->node_id, CMP_START_NODE) ? p->node_id : "inputs";

	if (!p->var || !*p->var)
		return node;
	return fc_arena_printf(&c->a, "%s.%s", node, p->var);
}

static struct yn *binding_yaml(struct conv *c, const Flyteidl__Core__BindingData *bd, const cmp_type *type,
			       const char *where, unsigned depth)
{
	size_t i;

	if (!bd || depth > CONV_MAX_DEPTH)
		return yn_raw(c, "null");
	if (bd->union_)
		warn(c, "%s: a binding's union target type cannot be written", where);
	if (type && type->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_UNION_TYPE &&
	    bd->value_case != FLYTEIDL__CORE__BINDING_DATA__VALUE_SCALAR)
		type = NULL;
	switch (bd->value_case) {
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_PROMISE:
		if (bd->promise->n_attr_path)
			warn(c, "%s: a reference into an attribute of an output cannot be written", where);
		return yn_ref(c, ref_text(c, bd->promise));
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_SCALAR:
		return scalar_yaml(c, bd->scalar, type, where, depth + 1);
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_COLLECTION: {
		struct yn *seq = yn_seq(c, false);
		const cmp_type *elem = type && type->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_COLLECTION_TYPE
					       ? type->collection_type
					       : NULL;

		for (i = 0; i < bd->collection->n_bindings; i++)
			yn_push(c, seq, binding_yaml(c, bd->collection->bindings[i], elem, where, depth + 1));
		yn_flow_if_small(seq);
		if (!seq->n)
			seq->flow = true;
		return seq;
	}
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_MAP: {
		struct yn *m = yn_map(c, false);
		const cmp_type *elem = type && type->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_MAP_VALUE_TYPE
					       ? type->map_value_type
					       : NULL;

		for (i = 0; i < bd->map->n_bindings; i++)
			yn_put(c, m, bd->map->bindings[i]->key,
			       binding_yaml(c, bd->map->bindings[i]->value, elem, where, depth + 1));
		yn_flow_if_small(m);
		if (!m->n)
			m->flow = true;
		return m;
	}
	default:
		warn(c, "%s: an offloaded or empty binding cannot be written", where);
		return yn_raw(c, "null");
	}
}

/* --- interfaces of what nodes run -------------------------------------------------------------------------- */
static const Flyteidl__Core__TypedInterface *lp_iface(struct conv *c, struct cmp_entity *lp)
{
	struct cmp_entity *wf;

	if (!lp || !lp->launch_plan || !lp->launch_plan->spec)
		return NULL;
	wf = lp->lp_workflow ? lp->lp_workflow : cmp_lookup(c->s, CMP_KIND_WORKFLOW, lp->launch_plan->spec->workflow_id);
	return wf && wf->workflow ? wf->workflow->interface : NULL;
}

static const Flyteidl__Core__TypedInterface *target_iface(struct conv *c, const Flyteidl__Core__Node *n)
{
	struct cmp_entity *t;

	if (n->target_case == FLYTEIDL__CORE__NODE__TARGET_TASK_NODE && n->task_node) {
		t = cmp_lookup(c->s, CMP_KIND_TASK, n->task_node->reference_id);
		return t && t->task ? t->task->interface : NULL;
	}
	if (n->target_case == FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE && n->workflow_node) {
		if (n->workflow_node->reference_case == FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_SUB_WORKFLOW_REF) {
			t = cmp_lookup(c->s, CMP_KIND_WORKFLOW, n->workflow_node->sub_workflow_ref);
			return t && t->workflow ? t->workflow->interface : NULL;
		}
		return lp_iface(c, cmp_lookup(c->s, CMP_KIND_LAUNCH_PLAN, n->workflow_node->launchplan_ref));
	}
	return NULL;
}

static const cmp_type *var_type(const Flyteidl__Core__VariableMap *vm, const char *name)
{
	const Flyteidl__Core__Variable *v = cmp_var_find(vm, name);

	return v ? v->type : NULL;
}

/* The declared type of input `var` of node `n` (NULL when the node declares none: branches, gates). */
static const cmp_type *node_input_type(struct conv *c, const Flyteidl__Core__Node *n, const char *var)
{
	const Flyteidl__Core__TypedInterface *iface;

	if (n->target_case == FLYTEIDL__CORE__NODE__TARGET_ARRAY_NODE && n->array_node && n->array_node->node) {
		const Flyteidl__Core__ArrayNode *an = n->array_node;
		const cmp_type *t = node_input_type(c, an->node, var);
		size_t i;

		if (!t || !an->is_original_sub_node_interface || !an->is_original_sub_node_interface->value)
			return t;
		for (i = 0; i < an->n_bound_inputs; i++)
			if (!strcmp(an->bound_inputs[i], var))
				return t;
		return cmp_type_collection(&c->a, (cmp_type *)t);
	}
	iface = target_iface(c, n);
	return iface ? var_type(iface->inputs, var) : NULL;
}

/* The type of output `var` of top-level node `node_id` when it is simple to know (NULL otherwise). */
static const cmp_type *node_output_type(struct conv *c, const Flyteidl__Core__WorkflowTemplate *wf,
					const char *node_id, const char *var)
{
	size_t i;

	if (!node_id || !*node_id || !strcmp(node_id, CMP_START_NODE))
		return wf->interface ? var_type(wf->interface->inputs, var) : NULL;
	for (i = 0; i < wf->n_nodes; i++) {
		const Flyteidl__Core__Node *n = wf->nodes[i];
		const Flyteidl__Core__TypedInterface *iface;

		if (strcmp(n->id, node_id))
			continue;
		iface = target_iface(c, n);
		return iface ? var_type(iface->outputs, var) : NULL;
	}
	return NULL;
}

static bool same_msg(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	struct fc_buf x = FC_BUF_INIT, y = FC_BUF_INIT;
	bool same;

	if (!a || !b)
		return a == b;
	fc_pb_pack(a, &x);
	fc_pb_pack(b, &y);
	same = x.len == y.len && !memcmp(x.buf, y.buf, x.len);
	fc_buf_release(&x);
	fc_buf_release(&y);
	return same;
}

/* The default the spec gives an optional input on its own (a bare none): writing it would make a union value. */
static bool implied_default(const cmp_literal *def, const cmp_type *type)
{
	return def && cmp_type_is_optional(type) && def->value_case == FLYTEIDL__CORE__LITERAL__VALUE_SCALAR &&
	       def->scalar && def->scalar->value_case == FLYTEIDL__CORE__SCALAR__VALUE_NONE_TYPE;
}

/* --- interfaces -------------------------------------------------------------------------------------------- */
/* name: type, or {type, description, default}. `defaults` (may be NULL) holds default values by name. */
static struct yn *vars_yaml(struct conv *c, const Flyteidl__Core__VariableMap *vm,
			    const Flyteidl__Core__ParameterMap *defaults, const char *what)
{
	struct yn *m = yn_map(c, false);
	size_t i, j;

	for (i = 0; vm && i < vm->n_variables; i++) {
		const char *name = vm->variables[i]->key;
		const Flyteidl__Core__Variable *v = vm->variables[i]->value;
		const char *where = fc_arena_printf(&c->a, "%s '%s'", what, name);
		struct yn *type = type_yaml(c, v ? v->type : NULL, where, 0);
		const cmp_literal *def = NULL;

		for (j = 0; defaults && j < defaults->n_parameters; j++) {
			const Flyteidl__Core__Parameter *p = defaults->parameters[j]->value;

			if (!strcmp(defaults->parameters[j]->key, name) && p &&
			    p->behavior_case == FLYTEIDL__CORE__PARAMETER__BEHAVIOR_DEFAULT)
				def = p->default_;
		}
		if (v && implied_default(def, v->type))
			def = NULL;
		if (v && (v->artifact_partial_id || v->artifact_tag))
			warn(c, "%s: artifact ids and tags cannot be written", where);
		if ((v && v->description && *v->description) || def || type->kind == YK_MAP) {
			struct yn *full = yn_map(c, true);

			yn_put(c, full, "type", type);
			if (v && v->description && *v->description)
				yn_put(c, full, "description", yn_str(c, v->description));
			if (def)
				yn_put(c, full, "default", literal_yaml(c, def, v ? v->type : NULL, where, 0));
			full->flow = type->kind != YK_MAP && (!def || yn_is_scalar(full->kids[full->n - 1]));
			type = full;
		}
		if (!cmp_valid_var_name(name))
			warn(c, "%s: '%s' is not a valid variable name in the spec", what, name);
		if (!yn_put(c, m, name, type))
			warn(c, "%s '%s' is declared twice; the second is dropped", what, name);
	}
	if (!m->n)
		m->flow = true;
	return m;
}

/* --- tasks ------------------------------------------------------------------------------------------------- */
static const char *resource_name(Flyteidl__Core__Resources__ResourceName n)
{
	static const char *const names[] = {NULL, "cpu", "gpu", "memory", "storage", "ephemeral_storage"};

	return (unsigned)n < FC_ARRAY_LEN(names) ? names[n] : NULL;
}

static struct yn *resources_yaml(struct conv *c, const Flyteidl__Core__Resources *r, const char *where)
{
	struct yn *m = yn_map(c, false);
	size_t side, i;

	if (!r)
		return NULL;
	for (side = 0; side < 2; side++) {
		Flyteidl__Core__Resources__ResourceEntry **list = side ? r->limits : r->requests;
		size_t n = side ? r->n_limits : r->n_requests;
		struct yn *entries = yn_map(c, true);

		for (i = 0; i < n; i++) {
			const char *name = resource_name(list[i]->name);
			int64_t milli;

			if (!name) {
				warn(c, "%s: resource %d has no name in the spec", where, (int)list[i]->name);
				continue;
			}
			if (fc_quantity_parse(list[i]->value ? list[i]->value : "", &milli, NULL))
				warn(c, "%s: '%s' is not a quantity the spec accepts for %s", where,
				     list[i]->value ? list[i]->value : "", name);
			if (!yn_put(c, entries, name, yn_str(c, list[i]->value)))
				warn(c, "%s: %s is given twice; the second is dropped", where, name);
		}
		if (entries->n)
			yn_put(c, m, side ? "limits" : "requests", entries);
	}
	if (!m->n)
		return NULL;
	return m;
}

static struct yn *strings_yaml(struct conv *c, char **items, size_t n)
{
	struct yn *seq = yn_seq(c, false);
	size_t i;

	for (i = 0; i < n; i++)
		yn_push(c, seq, yn_str(c, items[i]));
	yn_flow_if_small(seq);
	return seq;
}

static struct yn *container_yaml(struct conv *c, const Flyteidl__Core__Container *ct)
{
	struct yn *m = yn_map(c, false);
	size_t i;

	yn_put(c, m, "image", yn_str(c, ct->image));
	if (ct->n_command)
		yn_put(c, m, "command", strings_yaml(c, ct->command, ct->n_command));
	if (ct->n_args)
		yn_put(c, m, "args", strings_yaml(c, ct->args, ct->n_args));
	if (ct->n_env) {
		struct yn *env = yn_map(c, false);

		for (i = 0; i < ct->n_env; i++)
			if (!yn_put(c, env, ct->env[i]->key ? ct->env[i]->key : "", yn_str(c, ct->env[i]->value)))
				warn(c, "environment variable '%s' is set twice; the second is dropped", ct->env[i]->key);
		yn_put(c, m, "env", env);
	}
	yn_put(c, m, "resources", resources_yaml(c, ct->resources, "container resources"));
	return m;
}

static struct yn *task_yaml(struct conv *c, struct cmp_entity *e)
{
	const Flyteidl__Core__TaskTemplate *t = e->task;
	const Flyteidl__Core__TaskMetadata *md = t->metadata;
	struct yn *m = yn_map(c, false);
	size_t i;

	yn_put(c, m, "name", yn_str(c, e->name));
	yn_put(c, m, "type", yn_str(c, t->type));
	if (t->interface && t->interface->inputs && t->interface->inputs->n_variables)
		yn_put(c, m, "inputs", vars_yaml(c, t->interface->inputs, NULL, "input"));
	if (t->interface && t->interface->outputs && t->interface->outputs->n_variables)
		yn_put(c, m, "outputs", vars_yaml(c, t->interface->outputs, NULL, "output"));
	if (t->target_case == FLYTEIDL__CORE__TASK_TEMPLATE__TARGET_CONTAINER && t->container)
		yn_put(c, m, "container", container_yaml(c, t->container));
	if (md && md->retries && md->retries->retries) {
		uint32_t r = md->retries->retries;

		if (r > 100) {
			warn(c, "retries %u is more than the spec's 100 (written as 100)", r);
			r = 100;
		}
		yn_put(c, m, "retries", yn_rawf(c, "%u", r));
	}
	if (md && md->timeout) {
		const char *d = duration_text(c, md->timeout, "timeout");

		if (d && (md->timeout->seconds > 0 || (md->timeout->seconds == 0 && md->timeout->nanos > 0)))
			yn_put(c, m, "timeout", yn_str(c, d));
	}
	if (md && (md->discoverable || md->cache_serializable || md->n_cache_ignore_input_vars)) {
		if (!md->cache_serializable && !md->n_cache_ignore_input_vars && md->discovery_version &&
		    *md->discovery_version) {
			yn_put(c, m, "cache", yn_str(c, md->discovery_version));
		} else {
			struct yn *cache = yn_map(c, true);

			yn_put(c, cache, "version", yn_str(c, md->discovery_version));
			if (md->cache_serializable)
				yn_put(c, cache, "serializable", yn_raw(c, "true"));
			if (md->n_cache_ignore_input_vars)
				yn_put(c, cache, "ignore_inputs",
				       strings_yaml(c, md->cache_ignore_input_vars, md->n_cache_ignore_input_vars));
			yn_put(c, m, "cache", cache);
		}
	}
	if (md && md->interruptible_value_case == FLYTEIDL__CORE__TASK_METADATA__INTERRUPTIBLE_VALUE_INTERRUPTIBLE)
		yn_put(c, m, "interruptible", yn_raw(c, md->interruptible ? "true" : "false"));
	if (t->n_config) {
		struct yn *cfg = yn_map(c, false);

		for (i = 0; i < t->n_config; i++)
			yn_put(c, cfg, t->config[i]->key, yn_str(c, t->config[i]->value));
		yn_put(c, m, "config", cfg);
	}
	if (t->custom)
		yn_put(c, m, "custom", struct_yaml(c, t->custom, 0));
	if (t->task_type_version)
		yn_put(c, m, "type_version", yn_rawf(c, "%d", t->task_type_version));
	return m;
}

/* --- conditions -------------------------------------------------------------------------------------------- */
struct branch_refs {
	const Flyteidl__Core__Node *branch;
	const char **names; /* branch-input names in the order the spec's parser creates them */
	size_t n;
};

static const char *primitive_text(struct conv *c, const Flyteidl__Core__Primitive *p, const char *where)
{
	switch (p ? p->value_case : FLYTEIDL__CORE__PRIMITIVE__VALUE__NOT_SET) {
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER:
		return fc_arena_printf(&c->a, "%lld", (long long)p->integer);
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_FLOAT_VALUE:
		if (!isfinite(p->float_value)) {
			warn(c, "%s: conditions cannot compare with NaN or infinity", where);
			return "0.0";
		}
		return float_text(c, p->float_value);
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_BOOLEAN:
		return p->boolean ? "true" : "false";
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_STRING_VALUE: {
		struct fc_buf b = FC_BUF_INIT;
		const char *s, *res;

		fc_buf_addch(&b, '\'');
		for (s = p->string_value; *s; s++) {
			if (*s == '\'' || *s == '\\')
				fc_buf_addch(&b, '\\');
			fc_buf_addch(&b, *s);
		}
		fc_buf_addch(&b, '\'');
		res = fc_arena_strdup(&c->a, b.buf);
		fc_buf_release(&b);
		return res;
	}
	default:
		warn(c, "%s: conditions compare numbers, strings and booleans; a datetime, duration or empty value "
			"cannot be written", where);
		return "0";
	}
}

static const char *operand_text(struct conv *c, const Flyteidl__Core__Operand *op, struct branch_refs *refs,
				const char *where)
{
	size_t i;

	if (!op) {
		warn(c, "%s: a comparison without an operand", where);
		return "0";
	}
	switch (op->val_case) {
	case FLYTEIDL__CORE__OPERAND__VAL_VAR: {
		const Flyteidl__Core__Node *br = refs->branch;
		const Flyteidl__Core__OutputReference *p = NULL;
		const char *text, *name;

		for (i = 0; i < br->n_inputs; i++)
			if (!strcmp(br->inputs[i]->var, op->var) && br->inputs[i]->binding &&
			    br->inputs[i]->binding->value_case == FLYTEIDL__CORE__BINDING_DATA__VALUE_PROMISE)
				p = br->inputs[i]->binding->promise;
		if (!p) {
			warn(c, "%s: the condition reads '%s', which is no reference among the branch's inputs", where,
			     op->var);
			return fc_arena_printf(&c->a, "inputs.%s", op->var);
		}
		text = ref_text(c, p);
		if (!p->var || !*p->var)
			text = fc_arena_printf(&c->a, "%s.%s", text, op->var);
		/* What the spec's parser will name this branch input (".x" for workflow inputs, "n0.o0" else). */
		name = !p->node_id || !*p->node_id || !strcmp(p->node_id, CMP_START_NODE)
			       ? fc_arena_printf(&c->a, ".%s", p->var)
			       : fc_arena_printf(&c->a, "%s.%s", p->node_id, p->var);
		if (strcmp(name, op->var))
			warn(c, "%s: the branch input '%s' will be named '%s' (the spec names condition inputs after "
				"what they read)",
			     where, op->var, name);
		for (i = 0; i < refs->n && strcmp(refs->names[i], name); i++)
			;
		if (i == refs->n)
			cmp_push(&c->a, (void ***)&refs->names, &refs->n, (void *)name);
		return text;
	}
	case FLYTEIDL__CORE__OPERAND__VAL_PRIMITIVE:
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
		return primitive_text(c, op->primitive, where);
#pragma GCC diagnostic pop
	case FLYTEIDL__CORE__OPERAND__VAL_SCALAR:
		if (op->scalar && op->scalar->value_case == FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE)
			return primitive_text(c, op->scalar->primitive, where);
		warn(c, "%s: conditions compare numbers, strings and booleans; this operand cannot be written", where);
		return "0";
	default:
		warn(c, "%s: an empty operand", where);
		return "0";
	}
}

/* Precedence: or 1, and 2; a right operand of the same operator keeps its parentheses (the tree is kept). */
static void condition_text(struct conv *c, const Flyteidl__Core__BooleanExpression *be, struct branch_refs *refs,
			   int parent_prec, bool right, const char *where, struct fc_buf *out, unsigned depth)
{
	static const char *const ops[] = {"==", "!=", ">", ">=", "<", "<="};

	if (!be || depth > CONV_MAX_DEPTH) {
		warn(c, "%s: an empty condition", where);
		fc_buf_adds(out, "inputs.missing == 0");
		return;
	}
	if (be->expr_case == FLYTEIDL__CORE__BOOLEAN_EXPRESSION__EXPR_CONJUNCTION && be->conjunction) {
		bool is_or = be->conjunction->operator_ == FLYTEIDL__CORE__CONJUNCTION_EXPRESSION__LOGICAL_OPERATOR__OR;
		int prec = is_or ? 1 : 2;
		bool parens = prec < parent_prec || (prec == parent_prec && right);

		if (parens)
			fc_buf_addch(out, '(');
		condition_text(c, be->conjunction->left_expression, refs, prec, false, where, out, depth + 1);
		fc_buf_adds(out, is_or ? " or " : " and ");
		condition_text(c, be->conjunction->right_expression, refs, prec, true, where, out, depth + 1);
		if (parens)
			fc_buf_addch(out, ')');
		return;
	}
	if (be->expr_case == FLYTEIDL__CORE__BOOLEAN_EXPRESSION__EXPR_COMPARISON && be->comparison) {
		const Flyteidl__Core__ComparisonExpression *cmp = be->comparison;
		const char *l = operand_text(c, cmp->left_value, refs, where);
		const char *r = operand_text(c, cmp->right_value, refs, where);

		if ((!cmp->left_value || cmp->left_value->val_case != FLYTEIDL__CORE__OPERAND__VAL_VAR) &&
		    (!cmp->right_value || cmp->right_value->val_case != FLYTEIDL__CORE__OPERAND__VAL_VAR))
			warn(c, "%s: a comparison of two constants cannot be written (the spec requires a reference)",
			     where);
		fc_buf_addf(out, "%s %s %s", l, (unsigned)cmp->operator_ < FC_ARRAY_LEN(ops) ? ops[cmp->operator_] : "==",
			    r);
		return;
	}
	warn(c, "%s: an empty condition", where);
	fc_buf_adds(out, "inputs.missing == 0");
}

/* --- nodes ------------------------------------------------------------------------------------------------- */
static struct yn *node_yaml(struct conv *c, const Flyteidl__Core__WorkflowTemplate *wf, const Flyteidl__Core__Node *n,
			    const char *parent_id, size_t case_index, unsigned depth);

static const char *target_name(const Flyteidl__Core__Node *n)
{
	if (n->target_case == FLYTEIDL__CORE__NODE__TARGET_TASK_NODE && n->task_node && n->task_node->reference_id)
		return n->task_node->reference_id->name;
	if (n->target_case == FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE && n->workflow_node) {
		const Flyteidl__Core__Identifier *id =
			n->workflow_node->reference_case == FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_SUB_WORKFLOW_REF
				? n->workflow_node->sub_workflow_ref
				: n->workflow_node->launchplan_ref;

		return id ? id->name : NULL;
	}
	return NULL;
}

static void add_id(struct conv *c, const char ***ids, size_t *n, const char *id)
{
	size_t i;

	if (!id || !*id || !strcmp(id, CMP_START_NODE))
		return;
	for (i = 0; i < *n; i++)
		if (!strcmp((*ids)[i], id))
			return;
	cmp_push(&c->a, (void ***)ids, n, (void *)id);
}

static void promise_ids(struct conv *c, const Flyteidl__Core__BindingData *bd, const char ***ids, size_t *n,
			unsigned depth)
{
	size_t i;

	if (!bd || depth > CONV_MAX_DEPTH)
		return;
	if (bd->value_case == FLYTEIDL__CORE__BINDING_DATA__VALUE_PROMISE)
		add_id(c, ids, n, bd->promise->node_id);
	else if (bd->value_case == FLYTEIDL__CORE__BINDING_DATA__VALUE_COLLECTION)
		for (i = 0; i < bd->collection->n_bindings; i++)
			promise_ids(c, bd->collection->bindings[i], ids, n, depth + 1);
	else if (bd->value_case == FLYTEIDL__CORE__BINDING_DATA__VALUE_MAP)
		for (i = 0; i < bd->map->n_bindings; i++)
			promise_ids(c, bd->map->bindings[i]->value, ids, n, depth + 1);
}

/* What the spec derives on its own for a node's upstream ids: its data dependencies, and for a branch what its
 * cases depend on. */
static void derived_upstream(struct conv *c, const Flyteidl__Core__Node *n, const char ***ids, size_t *nids,
			     unsigned depth)
{
	size_t i;

	if (depth > CONV_MAX_DEPTH)
		return;
	for (i = 0; i < n->n_inputs; i++)
		promise_ids(c, n->inputs[i]->binding, ids, nids, 0);
	if (depth > 0)
		for (i = 0; i < n->n_upstream_node_ids; i++)
			add_id(c, ids, nids, n->upstream_node_ids[i]);
	if (n->target_case == FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE && n->branch_node && n->branch_node->if_else) {
		const Flyteidl__Core__IfElseBlock *ie = n->branch_node->if_else;

		if (ie->case_ && ie->case_->then_node)
			derived_upstream(c, ie->case_->then_node, ids, nids, depth + 1);
		for (i = 0; i < ie->n_other; i++)
			if (ie->other[i] && ie->other[i]->then_node)
				derived_upstream(c, ie->other[i]->then_node, ids, nids, depth + 1);
		if (ie->default_case == FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ELSE_NODE && ie->else_node)
			derived_upstream(c, ie->else_node, ids, nids, depth + 1);
	}
}

static struct yn *branch_yaml(struct conv *c, const Flyteidl__Core__WorkflowTemplate *wf, const Flyteidl__Core__Node *n,
			      const char *local_id, struct branch_refs *refs, unsigned depth)
{
	const Flyteidl__Core__IfElseBlock *ie = n->branch_node ? n->branch_node->if_else : NULL;
	struct yn *cases = yn_seq(c, false);
	const char *where = fc_arena_printf(&c->a, "branch '%s'", n->id);
	size_t i, ncases = 0;

	if (!ie || !ie->case_) {
		warn(c, "%s has no 'if' case", where);
		return cases;
	}
	for (i = 0; i <= ie->n_other; i++) {
		const Flyteidl__Core__IfBlock *blk = i == 0 ? ie->case_ : ie->other[i - 1];
		struct yn *cs = yn_map(c, false);
		struct fc_buf cond = FC_BUF_INIT;

		if (!blk)
			continue;
		condition_text(c, blk->condition, refs, 0, false, where, &cond, 0);
		yn_put(c, cs, ncases == 0 ? "if" : "elif", yn_str(c, cond.buf));
		fc_buf_release(&cond);
		if (blk->then_node)
			yn_put(c, cs, "then", node_yaml(c, wf, blk->then_node, n->id, ncases, depth + 1));
		else
			warn(c, "%s: a case has no node to run", where);
		yn_push(c, cases, cs);
		ncases++;
	}
	if (ie->default_case == FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ELSE_NODE && ie->else_node) {
		struct yn *cs = yn_map(c, false);

		yn_put(c, cs, "else", node_yaml(c, wf, ie->else_node, n->id, ncases, depth + 1));
		yn_push(c, cases, cs);
	} else if (ie->default_case == FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ERROR && ie->error) {
		struct yn *cs = yn_map(c, false);

		yn_put(c, cs, "else_fail", yn_str(c, ie->error->message && *ie->error->message ? ie->error->message
											     : "failed"));
		yn_push(c, cases, cs);
		if (!ie->error->message || !*ie->error->message)
			warn(c, "%s: the else error has no message (written as 'failed')", where);
		if (ie->error->failed_node_id && strcmp(ie->error->failed_node_id, local_id))
			warn(c, "%s: else_fail always names the branch node ('%s') as the failed node; Flyte's '%s' is "
				"not kept",
			     where, local_id, ie->error->failed_node_id);
	} else {
		warn(c, "%s has no else case (the spec requires 'else' or 'else_fail')", where);
	}
	return cases;
}

static struct yn *gate_yaml(struct conv *c, const Flyteidl__Core__GateNode *g, const char *where)
{
	struct yn *m = yn_map(c, false);

	switch (g ? g->condition_case : FLYTEIDL__CORE__GATE_NODE__CONDITION__NOT_SET) {
	case FLYTEIDL__CORE__GATE_NODE__CONDITION_APPROVE:
		yn_put(c, m, "approve", yn_str(c, g->approve->signal_id));
		break;
	case FLYTEIDL__CORE__GATE_NODE__CONDITION_SIGNAL: {
		struct yn *sig = yn_map(c, true);
		struct yn *type = type_yaml(c, g->signal->type, where, 0);

		yn_put(c, sig, "id", yn_str(c, g->signal->signal_id));
		yn_put(c, sig, "type", type);
		if (g->signal->output_variable_name && strcmp(g->signal->output_variable_name, "o0"))
			yn_put(c, sig, "output", yn_str(c, g->signal->output_variable_name));
		sig->flow = type->kind == YK_STR;
		yn_put(c, m, "signal", sig);
		break;
	}
	case FLYTEIDL__CORE__GATE_NODE__CONDITION_SLEEP: {
		const char *d = duration_text(c, g->sleep->duration, where);

		if (!d) {
			warn(c, "%s: a sleep without a duration", where);
			d = "0s";
		}
		yn_put(c, m, "sleep", yn_str(c, d));
		break;
	}
	default:
		warn(c, "%s: a gate without a condition", where);
	}
	m->flow = true;
	return m;
}

static struct yn *map_yaml(struct conv *c, const Flyteidl__Core__ArrayNode *an, const char *where)
{
	struct yn *m = yn_map(c, false);
	const Flyteidl__Core__Node *sub = an->node;
	const char *target = sub ? target_name(sub) : NULL;

	if (!sub || !target) {
		warn(c, "%s: a map node runs a task, workflow or launch plan; this one runs something else", where);
	} else if (sub->target_case == FLYTEIDL__CORE__NODE__TARGET_TASK_NODE) {
		yn_put(c, m, "task", yn_str(c, target));
	} else if (sub->workflow_node->reference_case == FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_SUB_WORKFLOW_REF) {
		yn_put(c, m, "workflow", yn_str(c, target));
	} else {
		yn_put(c, m, "launch_plan", yn_str(c, target));
	}
	if (an->parallelism_option_case == FLYTEIDL__CORE__ARRAY_NODE__PARALLELISM_OPTION_PARALLELISM)
		yn_put(c, m, "parallelism", yn_rawf(c, "%u", an->parallelism));
	if (an->success_criteria_case == FLYTEIDL__CORE__ARRAY_NODE__SUCCESS_CRITERIA_MIN_SUCCESSES) {
		yn_put(c, m, "min_successes", yn_rawf(c, "%u", an->min_successes));
	} else if (an->success_criteria_case == FLYTEIDL__CORE__ARRAY_NODE__SUCCESS_CRITERIA_MIN_SUCCESS_RATIO) {
		char num[32];

		fc_pbjson_format_float(an->min_success_ratio, num);
		yn_put(c, m, "min_success_ratio", yn_raw(c, fc_arena_strdup(&c->a, num)));
	}
	if (an->n_bound_inputs)
		yn_put(c, m, "broadcast", strings_yaml(c, an->bound_inputs, an->n_bound_inputs));
	yn_flow_if_small(m);
	return m;
}

static struct yn *node_yaml(struct conv *c, const Flyteidl__Core__WorkflowTemplate *wf, const Flyteidl__Core__Node *n,
			    const char *parent_id, size_t case_index, unsigned depth)
{
	struct yn *m = yn_map(c, false), *target = NULL, *inputs;
	const Flyteidl__Core__NodeMetadata *md = n->metadata;
	const char *local_id = n->id ? n->id : "";
	const char *where, *default_name, *tname = target_name(n), *kind = NULL;
	struct branch_refs refs = {n, NULL, 0};
	size_t i, j;

	if (depth > 32) {
		warn(c, "nodes nested more than 32 levels deep cannot be written");
		return m;
	}
	if (parent_id) {
		size_t plen = strlen(parent_id);

		if (!strncmp(local_id, parent_id, plen) && local_id[plen] == '-')
			local_id += plen + 1;
		if (strcmp(local_id, fc_arena_printf(&c->a, "n%zu", case_index)))
			yn_put(c, m, "id", yn_str(c, local_id));
	} else {
		yn_put(c, m, "id", yn_str(c, local_id));
	}
	where = fc_arena_printf(&c->a, "node '%s'", n->id);
	if (!cmp_valid_node_id(local_id) || !strcmp(local_id, "inputs"))
		warn(c, "%s: '%s' is not a valid node id in the spec (letters, digits, '_' and '-', at most 63)", where,
		     local_id);
	default_name = tname ? tname : local_id;
	if (md && md->name && strcmp(md->name, default_name))
		yn_put(c, m, "name", yn_str(c, md->name));

	switch (n->target_case) {
	case FLYTEIDL__CORE__NODE__TARGET_TASK_NODE:
		kind = "task";
		target = yn_str(c, tname);
		break;
	case FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE:
		kind = n->workflow_node->reference_case == FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_SUB_WORKFLOW_REF
			       ? "workflow"
			       : "launch_plan";
		target = yn_str(c, tname);
		break;
	case FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE:
		kind = "branch";
		target = branch_yaml(c, wf, n, local_id, &refs, depth);
		break;
	case FLYTEIDL__CORE__NODE__TARGET_GATE_NODE:
		kind = "gate";
		target = gate_yaml(c, n->gate_node, where);
		break;
	case FLYTEIDL__CORE__NODE__TARGET_ARRAY_NODE:
		kind = "map";
		target = map_yaml(c, n->array_node, where);
		break;
	default:
		warn(c, "%s runs nothing (no task, workflow, launch plan, branch, gate or map)", where);
		break;
	}
	if (kind && !tname && (n->target_case == FLYTEIDL__CORE__NODE__TARGET_TASK_NODE ||
			       n->target_case == FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE)) {
		warn(c, "%s names no %s", where, kind);
		target = yn_str(c, "");
	}
	if (kind)
		yn_put(c, m, kind, target);

	/* Inputs. A branch's inputs come from its conditions, unless their names or order need them spelled out. */
	inputs = yn_map(c, false);
	if (n->target_case == FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE) {
		bool same = refs.n == n->n_inputs;

		for (i = 0; same && i < refs.n; i++)
			same = !strcmp(refs.names[i], n->inputs[i]->var);
		if (!same)
			for (i = 0; i < n->n_inputs; i++)
				yn_put(c, inputs, n->inputs[i]->var,
				       binding_yaml(c, n->inputs[i]->binding, NULL,
						    fc_arena_printf(&c->a, "%s input '%s'", where, n->inputs[i]->var), 0));
	} else {
		for (i = 0; i < n->n_inputs; i++) {
			const char *var = n->inputs[i]->var ? n->inputs[i]->var : "";
			const char *w = fc_arena_printf(&c->a, "%s input '%s'", where, var);
			const cmp_type *t = node_input_type(c, n, var);

			if (!t && n->inputs[i]->binding &&
			    n->inputs[i]->binding->value_case != FLYTEIDL__CORE__BINDING_DATA__VALUE_PROMISE)
				warn(c, "%s: a literal value where no type is declared (the spec needs one)", w);
			if (!yn_put(c, inputs, var, binding_yaml(c, n->inputs[i]->binding, t, w, 0)))
				warn(c, "%s is bound twice; the second binding is dropped", w);
		}
	}
	if (inputs->n) {
		yn_flow_if_small(inputs);
		yn_put(c, m, "inputs", inputs);
	}

	/* Explicit ordering: what the spec does not derive from the data flow. */
	{
		const char **derived = NULL;
		size_t nderived = 0;
		struct yn *after = yn_seq(c, true);

		derived_upstream(c, n, &derived, &nderived, 0);
		for (i = 0; i < n->n_upstream_node_ids; i++) {
			for (j = 0; j < nderived && strcmp(derived[j], n->upstream_node_ids[i]); j++)
				;
			if (j == nderived)
				yn_push(c, after, yn_str(c, n->upstream_node_ids[i]));
		}
		if (after->n)
			yn_put(c, m, "after", after);
	}

	if (md) {
		if (md->retries) {
			uint32_t r = md->retries->retries;

			if (r > 100) {
				warn(c, "%s: retries %u is more than the spec's 100 (written as 100)", where, r);
				r = 100;
			}
			yn_put(c, m, "retries", yn_rawf(c, "%u", r));
		}
		if (md->timeout) {
			const char *d = duration_text(c, md->timeout, where);

			if (d && (md->timeout->seconds > 0 || (md->timeout->seconds == 0 && md->timeout->nanos > 0)))
				yn_put(c, m, "timeout", yn_str(c, d));
		}
		if (md->interruptible_value_case == FLYTEIDL__CORE__NODE_METADATA__INTERRUPTIBLE_VALUE_INTERRUPTIBLE)
			yn_put(c, m, "interruptible", yn_raw(c, md->interruptible ? "true" : "false"));
		if (md->cacheable_value_case == FLYTEIDL__CORE__NODE_METADATA__CACHEABLE_VALUE_CACHEABLE) {
			bool has_version =
				md->cache_version_value_case == FLYTEIDL__CORE__NODE_METADATA__CACHE_VERSION_VALUE_CACHE_VERSION;
			bool has_serial = md->cache_serializable_value_case ==
					  FLYTEIDL__CORE__NODE_METADATA__CACHE_SERIALIZABLE_VALUE_CACHE_SERIALIZABLE;

			if (!has_serial && !has_version) {
				yn_put(c, m, "cache", yn_raw(c, md->cacheable ? "true" : "false"));
			} else if (!has_serial && md->cacheable) {
				yn_put(c, m, "cache", yn_str(c, md->cache_version));
			} else {
				struct yn *cache = yn_map(c, true);

				if (has_version)
					yn_put(c, cache, "version", yn_str(c, md->cache_version));
				if (has_serial)
					yn_put(c, cache, "serializable", yn_raw(c, md->cache_serializable ? "true" : "false"));
				yn_put(c, m, "cache", cache);
			}
		}
	}
	if (n->target_case == FLYTEIDL__CORE__NODE__TARGET_TASK_NODE && n->task_node && n->task_node->overrides) {
		const Flyteidl__Core__TaskNodeOverrides *o = n->task_node->overrides;

		yn_put(c, m, "resources", resources_yaml(c, o->resources, where));
		if (o->container_image && *o->container_image)
			yn_put(c, m, "image", yn_str(c, o->container_image));
	}
	if (n->n_output_aliases) {
		struct yn *al = yn_map(c, true);

		for (i = 0; i < n->n_output_aliases; i++)
			yn_put(c, al, n->output_aliases[i]->var, yn_str(c, n->output_aliases[i]->alias));
		yn_put(c, m, "output_aliases", al);
	}
	(void)wf;
	return m;
}

/* --- workflows --------------------------------------------------------------------------------------------- */
static struct yn *workflow_yaml(struct conv *c, struct cmp_entity *e)
{
	const Flyteidl__Core__WorkflowTemplate *wf = e->workflow;
	struct cmp_entity *lp = fc_strmap_get(&c->folded, e->name);
	struct yn *m = yn_map(c, false), *nodes = yn_seq(c, false);
	size_t i;

	yn_put(c, m, "name", yn_str(c, e->name));
	if (wf->metadata) {
		if (wf->metadata->on_failure ==
		    FLYTEIDL__CORE__WORKFLOW_METADATA__ON_FAILURE_POLICY__FAIL_AFTER_EXECUTABLE_NODES_COMPLETE)
			yn_put(c, m, "failure_policy", yn_str(c, "fail-after-executable-nodes-complete"));
		if (wf->metadata->n_tags) {
			struct yn *tags = yn_map(c, false);

			for (i = 0; i < wf->metadata->n_tags; i++)
				yn_put(c, tags, wf->metadata->tags[i]->key, yn_str(c, wf->metadata->tags[i]->value));
			yn_put(c, m, "tags", tags);
		}
	}
	if (wf->metadata_defaults && wf->metadata_defaults->interruptible)
		yn_put(c, m, "interruptible", yn_raw(c, "true"));
	if (wf->interface && wf->interface->inputs && wf->interface->inputs->n_variables)
		yn_put(c, m, "inputs",
		       vars_yaml(c, wf->interface->inputs, lp ? lp->launch_plan->spec->default_inputs : NULL, "input"));
	for (i = 0; i < wf->n_nodes; i++) {
		const Flyteidl__Core__Node *n = wf->nodes[i];

		if (!strcmp(n->id, CMP_START_NODE) || !strcmp(n->id, CMP_END_NODE))
			continue;
		yn_push(c, nodes, node_yaml(c, wf, n, NULL, 0, 0));
	}
	yn_put(c, m, "nodes", nodes);
	if (wf->n_outputs) {
		struct yn *outs = yn_map(c, false);

		for (i = 0; i < wf->n_outputs; i++) {
			const Flyteidl__Core__Binding *b = wf->outputs[i];
			const Flyteidl__Core__Variable *v =
				wf->interface ? cmp_var_find(wf->interface->outputs, b->var) : NULL;
			const char *where = fc_arena_printf(&c->a, "output '%s'", b->var);
			struct yn *value = binding_yaml(c, b->binding, v ? v->type : NULL, where, 0);
			bool simple = value->kind == YK_REF && v && v->type && (!v->description || !*v->description);

			if (simple) {
				const Flyteidl__Core__OutputReference *p = b->binding->promise;

				simple = same_msg(&v->type->base,
						  (const ProtobufCMessage *)node_output_type(c, wf, p->node_id, p->var));
			}
			if (!simple) {
				struct yn *full = yn_map(c, false);

				if (v)
					yn_put(c, full, "type", type_yaml(c, v->type, where, 0));
				yn_put(c, full, "value", value);
				if (v && v->description && *v->description)
					yn_put(c, full, "description", yn_str(c, v->description));
				yn_flow_if_small(full);
				value = full;
			}
			if (!yn_put(c, outs, b->var, value))
				warn(c, "%s is bound twice; the second binding is dropped", where);
		}
		yn_put(c, m, "outputs", outs);
	}
	if (wf->failure_node)
		yn_put(c, m, "on_failure", node_yaml(c, wf, wf->failure_node, NULL, 0, 0));
	return m;
}

/* --- launch plans ------------------------------------------------------------------------------------------ */
static const char *cron_split(struct conv *c, const char *expr, const char **tz)
{
	const char *sp;

	*tz = NULL;
	if (!strncmp(expr, "CRON_TZ=", 8) || !strncmp(expr, "TZ=", 3)) {
		const char *zone = strchr(expr, '=') + 1;

		sp = strchr(zone, ' ');
		if (sp) {
			*tz = fc_arena_strndup(&c->a, zone, (size_t)(sp - zone));
			while (*sp == ' ')
				sp++;
			return sp;
		}
	}
	return expr;
}

static struct yn *schedule_yaml(struct conv *c, const Flyteidl__Admin__LaunchPlanSpec *spec)
{
	const Flyteidl__Admin__Schedule *sch = spec->entity_metadata ? spec->entity_metadata->schedule : NULL;
	struct yn *m;

	if (!sch)
		return NULL;
	m = yn_map(c, true);
	switch (sch->schedule_expression_case) {
	case FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_CRON_SCHEDULE: {
		const char *tz, *expr = cron_split(c, sch->cron_schedule->schedule ? sch->cron_schedule->schedule : "", &tz);

		yn_put(c, m, "cron", yn_str(c, expr));
		if (tz)
			yn_put(c, m, "timezone", yn_str(c, tz));
		if (sch->cron_schedule->offset && *sch->cron_schedule->offset)
			warn(c, "the schedule's offset '%s' cannot be written", sch->cron_schedule->offset);
		break;
	}
	case FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_CRON_EXPRESSION: {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
		const char *expr = sch->cron_expression ? sch->cron_expression : "";
#pragma GCC diagnostic pop

		warn(c, "the deprecated cron_expression '%s' is written as a cron schedule (check the syntax: "
			"cron_expression used AWS's six-field form)",
		     expr);
		yn_put(c, m, "cron", yn_str(c, expr));
		break;
	}
	case FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_RATE: {
		static const char *const units[] = {"m", "h", "d"};
		unsigned u = (unsigned)sch->rate->unit;

		if (u >= FC_ARRAY_LEN(units)) {
			warn(c, "the fixed rate has an unknown unit");
			u = 0;
		}
		yn_put(c, m, "rate", yn_str(c, fc_arena_printf(&c->a, "%u%s", sch->rate->value, units[u])));
		break;
	}
	default:
		warn(c, "a schedule without an expression");
		return NULL;
	}
	if (sch->kickoff_time_input_arg && *sch->kickoff_time_input_arg)
		yn_put(c, m, "kickoff_input", yn_str(c, sch->kickoff_time_input_arg));
	if (spec->concurrency_policy) {
		if (spec->concurrency_policy->max == 1 &&
		    spec->concurrency_policy->behavior == FLYTEIDL__ADMIN__CONCURRENCY_LIMIT_BEHAVIOR__CONCURRENCY_LIMIT_BEHAVIOR_SKIP)
			yn_put(c, m, "concurrency", yn_str(c, "skip"));
		else
			warn(c, "a concurrency policy other than one-at-a-time-skip cannot be written");
	}
	if (m->n > 2)
		m->flow = false;
	return m;
}


static struct yn *launch_plan_yaml(struct conv *c, struct cmp_entity *e)
{
	const Flyteidl__Admin__LaunchPlanSpec *spec = e->launch_plan->spec;
	struct cmp_entity *wf = e->lp_workflow ? e->lp_workflow : cmp_lookup(c->s, CMP_KIND_WORKFLOW, spec->workflow_id);
	const Flyteidl__Core__VariableMap *inputs = wf && wf->workflow && wf->workflow->interface
							    ? wf->workflow->interface->inputs
							    : NULL;
	struct yn *m = yn_map(c, false), *defs = yn_map(c, false), *fixed = yn_map(c, false);
	size_t i;

	yn_put(c, m, "name", yn_str(c, e->name));
	yn_put(c, m, "workflow", yn_str(c, spec->workflow_id ? spec->workflow_id->name : e->lp_workflow_name));
	for (i = 0; spec->default_inputs && i < spec->default_inputs->n_parameters; i++) {
		const char *name = spec->default_inputs->parameters[i]->key;
		const Flyteidl__Core__Parameter *p = spec->default_inputs->parameters[i]->value;
		const char *where = fc_arena_printf(&c->a, "input '%s'", name);

		if (!p)
			continue;
		if (p->behavior_case == FLYTEIDL__CORE__PARAMETER__BEHAVIOR_DEFAULT) {
			if (!implied_default(p->default_, var_type(inputs, name)))
				yn_put(c, defs, name, literal_yaml(c, p->default_, var_type(inputs, name), where, 0));
		}
		else if (p->behavior_case == FLYTEIDL__CORE__PARAMETER__BEHAVIOR_ARTIFACT_QUERY ||
			 p->behavior_case == FLYTEIDL__CORE__PARAMETER__BEHAVIOR_ARTIFACT_ID)
			warn(c, "%s: artifact queries cannot be written", where);
	}
	for (i = 0; spec->fixed_inputs && i < spec->fixed_inputs->n_literals; i++) {
		const char *name = spec->fixed_inputs->literals[i]->key;

		yn_put(c, fixed, name,
		       literal_yaml(c, spec->fixed_inputs->literals[i]->value, var_type(inputs, name),
				    fc_arena_printf(&c->a, "fixed input '%s'", name), 0));
	}
	if (defs->n) {
		yn_flow_if_small(defs);
		yn_put(c, m, "inputs", defs);
	}
	if (fixed->n) {
		yn_flow_if_small(fixed);
		yn_put(c, m, "fixed_inputs", fixed);
	}
	yn_put(c, m, "schedule", schedule_yaml(c, spec));
	if (e->lp_active)
		yn_put(c, m, "active", yn_raw(c, "true"));
	if (spec->max_parallelism)
		yn_put(c, m, "max_parallelism", yn_rawf(c, "%d", spec->max_parallelism));
	if (spec->interruptible)
		yn_put(c, m, "interruptible", yn_raw(c, spec->interruptible->value ? "true" : "false"));
	if (spec->labels && spec->labels->n_values) {
		struct yn *labels = yn_map(c, false);

		for (i = 0; i < spec->labels->n_values; i++)
			yn_put(c, labels, spec->labels->values[i]->key, yn_str(c, spec->labels->values[i]->value));
		yn_put(c, m, "labels", labels);
	}
	if (spec->annotations && spec->annotations->n_values) {
		struct yn *ann = yn_map(c, false);

		for (i = 0; i < spec->annotations->n_values; i++)
			yn_put(c, ann, spec->annotations->values[i]->key, yn_str(c, spec->annotations->values[i]->value));
		yn_put(c, m, "annotations", ann);
	}
	return m;
}

/* flytekit's default launch plan (named like its workflow, nothing but defaults) becomes input defaults. */
static bool foldable(struct cmp_session *s, struct cmp_entity *lp)
{
	const Flyteidl__Admin__LaunchPlanSpec *spec = lp->launch_plan ? lp->launch_plan->spec : NULL;
	struct cmp_entity *wf;
	size_t i;

	if (!spec || !spec->workflow_id || strcmp(lp->name, spec->workflow_id->name) || lp->lp_active)
		return false;
	wf = cmp_lookup(s, CMP_KIND_WORKFLOW, spec->workflow_id);
	if (!wf || !wf->from_idl || !wf->workflow || !wf->workflow->interface)
		return false;
	if (spec->entity_metadata && (spec->entity_metadata->schedule || spec->entity_metadata->n_notifications ||
				      spec->entity_metadata->launch_conditions))
		return false;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	if ((spec->fixed_inputs && spec->fixed_inputs->n_literals) || (spec->labels && spec->labels->n_values) ||
	    (spec->annotations && spec->annotations->n_values) || spec->security_context || spec->quality_of_service ||
	    spec->max_parallelism || spec->interruptible || spec->overwrite_cache || spec->auth_role || spec->auth ||
	    (spec->role && *spec->role) || (spec->envs && spec->envs->n_values) || spec->n_execution_env_assignments ||
	    spec->cluster_assignment || spec->concurrency_policy ||
	    (spec->raw_output_data_config && spec->raw_output_data_config->output_location_prefix &&
	     *spec->raw_output_data_config->output_location_prefix))
		return false;
#pragma GCC diagnostic pop
	for (i = 0; spec->default_inputs && i < spec->default_inputs->n_parameters; i++) {
		const Flyteidl__Core__Parameter *p = spec->default_inputs->parameters[i]->value;
		const Flyteidl__Core__Variable *v = cmp_var_find(wf->workflow->interface->inputs,
								 spec->default_inputs->parameters[i]->key);

		if (!p || !v || !same_msg(p->var ? &p->var->base : NULL, &v->base))
			return false;
		if (p->behavior_case != FLYTEIDL__CORE__PARAMETER__BEHAVIOR_DEFAULT &&
		    !(p->behavior_case == FLYTEIDL__CORE__PARAMETER__BEHAVIOR_REQUIRED && p->required))
			return false;
	}
	return true;
}

/* --- verification: compile the output again and compare ----------------------------------------------------- */
static void normalise_json(json_t *j, unsigned depth)
{
	const char *key;
	json_t *v;
	size_t i;

	if (depth > 1000)
		return;
	if (json_is_object(j)) {
		if (json_object_get(j, "resourceType") && json_object_get(j, "name"))
			json_object_del(j, "version");
		/* flytekit writes the deprecated Operand.primitive; the spec writes Operand.scalar.primitive. */
		json_object_foreach(j, key, v) {
			if ((!strcmp(key, "leftValue") || !strcmp(key, "rightValue")) && json_is_object(v) &&
			    json_object_get(v, "primitive")) {
				json_t *sc = json_object();

				json_object_set(sc, "primitive", json_object_get(v, "primitive"));
				json_object_del(v, "primitive");
				json_object_set_new(v, "scalar", sc);
			}
			normalise_json(v, depth + 1);
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			normalise_json(v, depth + 1);
	}
}

struct diff {
	struct fc_buf text;
	size_t count;
};

static bool empty_object(const json_t *j)
{
	return json_is_object(j) && json_object_size(j) == 0;
}

static void diff_note(struct diff *d, const char *what, const char *path, const json_t *a, const json_t *b)
{
	d->count++;
	if (d->count > CONV_MAX_PATHS)
		return;
	fc_buf_addf(&d->text, "%s%s %s", d->count > 1 ? "; " : "", what, *path ? path : "(everything)");
	if (a && b && !json_is_object(a) && !json_is_array(a) && !json_is_object(b) && !json_is_array(b)) {
		char *x = json_dumps(a, JSON_ENCODE_ANY | JSON_COMPACT), *y = json_dumps(b, JSON_ENCODE_ANY | JSON_COMPACT);

		fc_buf_addf(&d->text, " (%.40s becomes %.40s)", x ? x : "?", y ? y : "?");
		free(x);
		free(y);
	}
	if (strstr(path, "type.metadata"))
		fc_buf_adds(&d->text, " [type metadata: flytekit's JSON schema or Python class]");
	else if (strstr(path, "structure"))
		fc_buf_adds(&d->text, " [type structure tags]");
}

/* An array element's name in a path: a node's id or a binding's variable when it has one. */
static void elem_label(struct fc_buf *path, const json_t *elem, size_t index)
{
	const json_t *id = json_object_get(elem, "id"), *var = json_object_get(elem, "var");

	if (json_is_string(id))
		fc_buf_addf(path, "[%s]", json_string_value(id));
	else if (json_is_string(var))
		fc_buf_addf(path, "[%s]", json_string_value(var));
	else
		fc_buf_addf(path, "[%zu]", index);
}

static void json_diff(const json_t *a, const json_t *b, struct fc_buf *path, struct diff *d, unsigned depth)
{
	size_t len = path->len, i;
	const char *key;
	json_t *v;

	if (depth > 1000 || json_equal((json_t *)a, (json_t *)b))
		return;
	if (json_is_object(a) && json_is_object(b)) {
		json_object_foreach((json_t *)a, key, v) {
			json_t *w = json_object_get(b, key);

			fc_buf_addf(path, "%s%s", len ? "." : "", key);
			if (!w) {
				if (!empty_object(v))
					diff_note(d, "dropped", path->buf, NULL, NULL);
			} else {
				json_diff(v, w, path, d, depth + 1);
			}
			fc_buf_truncate(path, len);
		}
		json_object_foreach((json_t *)b, key, v) {
			if (json_object_get(a, key) || empty_object(v))
				continue;
			fc_buf_addf(path, "%s%s", len ? "." : "", key);
			diff_note(d, "added", path->buf, NULL, NULL);
			fc_buf_truncate(path, len);
		}
		return;
	}
	if (json_is_array(a) && json_is_array(b) && json_array_size(a) == json_array_size(b)) {
		for (i = 0; i < json_array_size(a); i++) {
			elem_label(path, json_array_get(a, i), i);
			json_diff(json_array_get(a, i), json_array_get(b, i), path, d, depth + 1);
			fc_buf_truncate(path, len);
		}
		return;
	}
	diff_note(d, "changed", path->buf, a, b);
}

/* Compare two messages as normalised proto3 JSON; warn with every difference. Returns true when equal. */
static bool compare_msgs(struct conv *c, const ProtobufCMessage *orig, const ProtobufCMessage *conv, const char *root)
{
	json_t *a = NULL, *b = NULL;
	struct fc_buf path = FC_BUF_INIT;
	struct diff d = {FC_BUF_INIT, 0};
	bool same;

	if (fc_pbjson_encode(orig, 0, &a, NULL) || fc_pbjson_encode(conv, 0, &b, NULL)) {
		json_decref(a);
		json_decref(b);
		warn(c, "cannot compare the converted form (not encodable as JSON)");
		return false;
	}
	normalise_json(a, 0);
	normalise_json(b, 0);
	fc_buf_adds(&path, root);
	json_diff(a, b, &path, &d, 0);
	same = d.count == 0;
	if (!same)
		warn(c, "the YAML spec cannot express all of it: %s%s", d.text.buf,
		     d.count > CONV_MAX_PATHS ? fc_arena_printf(&c->a, "; and %zu more", d.count - CONV_MAX_PATHS) : "");
	fc_buf_release(&path);
	fc_buf_release(&d.text);
	json_decref(a);
	json_decref(b);
	return same;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static void verify(struct conv *c, struct cmp_entity **ents, size_t nents, const struct fc_buf *yaml)
{
	struct cmp_session *s = c->s, *v;
	struct cmp_options opts = s->opts;
	struct fc_strmap idl_sources = FC_STRMAP_INIT;
	size_t i;

	opts.warnings_as_errors = false;
	v = cmp_session_new(&opts);
	/* The YAML specs the IDL may refer to, then the converted text. */
	for (i = 0; i < s->nentities; i++)
		if (s->entities[i]->from_idl && s->entities[i]->loc.src)
			fc_strmap_put(&idl_sources, s->entities[i]->loc.src->path, NULL);
	for (i = 0; i < s->nsources; i++) {
		const struct fc_source *src = s->sources[i];

		if ((has_suffix(src->path, ".yaml") || has_suffix(src->path, ".yml")) &&
		    !fc_strmap_has(&idl_sources, src->path))
			cmp_add_source_take(v, src->path, fc_xstrndup(src->text, src->len), src->len);
	}
	cmp_add_source_take(v, "<converted spec>", fc_xstrndup(yaml->buf, yaml->len), yaml->len);
	cmp_compile(v);
	for (i = 0; i < v->diags.nr; i++) {
		const struct fc_diag *dg = &v->diags.items[i];

		struct cmp_entity *about = ents[0];
		size_t k;

		if (dg->sev != FC_SEV_ERROR)
			continue;
		/* Attribute the error to the entity it is about, when the diagnostic says. */
		for (k = 0; dg->workflow && k < nents; k++)
			if (ents[k]->kind == CMP_KIND_WORKFLOW && !strcmp(ents[k]->name, dg->workflow))
				about = ents[k];
		fc_diag_add(&s->diags, s->opts.warnings_as_errors ? FC_SEV_ERROR : FC_SEV_WARNING, "NotConvertible",
			    dg->loc.src && !strcmp(dg->loc.src->path, "<converted spec>") ? about->loc : dg->loc,
			    "the converted spec does not compile (converted line %u): error[%s]: %s", dg->loc.line,
			    dg->code, dg->msg);
		c->stats->not_convertible++;
	}
	for (i = 0; i < nents; i++) {
		struct cmp_entity *e = ents[i], *o;
		struct fc_strmap *m = e->kind == CMP_KIND_TASK ? &v->tasks
				      : e->kind == CMP_KIND_WORKFLOW ? &v->workflows
								     : &v->launch_plans;

		if (e->state != CMP_DONE)
			continue;
		begin_entity(c, e);
		o = fc_strmap_get(m, e->name);
		if (!o || o->state != CMP_DONE) {
			warn(c, "its converted form did not compile (see above)");
			continue;
		}
		switch (e->kind) {
		case CMP_KIND_TASK:
			if (compare_msgs(c, &e->compiled_task->template_->base, &o->compiled_task->template_->base, ""))
				c->stats->verified++;
			break;
		case CMP_KIND_WORKFLOW:
			if (compare_msgs(c, &e->compiled_workflow->base, &o->compiled_workflow->base, ""))
				c->stats->verified++;
			break;
		case CMP_KIND_LAUNCH_PLAN: {
			bool same = compare_msgs(c, &e->launch_plan->spec->base, &o->launch_plan->spec->base, "spec");

			if (e->lp_active != o->lp_active) {
				warn(c, "its activation state is not kept");
				same = false;
			}
			if (same)
				c->stats->verified++;
			break;
		}
		}
	}
	fc_strmap_release(&idl_sources);
	cmp_session_free(v);
}

/* --- the whole conversion ---------------------------------------------------------------------------------- */
struct doc {
	const char *project, *domain;
	struct yn *tasks, *workflows, *launch_plans;
};

static struct doc *doc_for(struct conv *c, struct doc **docs, size_t *ndocs, const struct cmp_entity *e)
{
	size_t i;
	struct doc *d;

	for (i = 0; i < *ndocs; i++)
		if (!strcmp((*docs)[i].project, e->project ? e->project : "") &&
		    !strcmp((*docs)[i].domain, e->domain ? e->domain : ""))
			return &(*docs)[i];
	*docs = fc_xrealloc(*docs, (*ndocs + 1) * sizeof(**docs));
	d = &(*docs)[(*ndocs)++];
	d->project = e->project ? e->project : "";
	d->domain = e->domain ? e->domain : "";
	d->tasks = yn_seq(c, false);
	d->workflows = yn_seq(c, false);
	d->launch_plans = yn_seq(c, false);
	return d;
}

int cmp_convert_to_spec(struct cmp_session *s, const struct cmp_convert_options *opts, struct fc_buf *out,
			struct cmp_convert_stats *stats, struct fc_err *err)
{
	static const struct cmp_convert_options defaults = {false, true};
	struct cmp_convert_stats local;
	struct conv c;
	struct doc *docs = NULL;
	struct yn **roots;
	struct cmp_entity **ents = NULL;
	struct fc_buf yaml = FC_BUF_INIT;
	const char *def_project = s->opts.project ? s->opts.project : CMP_DEFAULT_PROJECT;
	const char *def_domain = s->opts.domain ? s->opts.domain : CMP_DEFAULT_DOMAIN;
	size_t ndocs = 0, nents = 0, i;
	int rc, compile_rc;

	if (!opts)
		opts = &defaults;
	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	compile_rc = cmp_compile(s);
	for (i = 0; i < s->nfast; i++) {
		struct fc_loc loc = {NULL, 0, 0};

		fc_diag_add(&s->diags, FC_SEV_WARNING, "NotConvertible", loc,
			    "%s: the fast-register code bundle %s has no place in a YAML spec; the tasks' "
			    "{{ .remote_package_path }} arguments need it at registration (package the archive, not the "
			    "spec, to fast-register)",
			    s->fast[i].source, s->fast[i].name);
		stats->not_convertible++;
	}
	memset(&c, 0, sizeof(c));
	c.s = s;
	c.stats = stats;
	fc_arena_init(&c.a, 64 * 1024);
	fc_strmap_init(&c.said);
	fc_strmap_init(&c.folded);

	ents = fc_xcalloc(s->nentities + 1, sizeof(*ents));
	for (i = 0; i < s->nentities; i++) {
		struct cmp_entity *e = s->entities[i];

		if (!e->from_idl || e->lp_implicit)
			continue;
		if ((e->kind == CMP_KIND_TASK && !e->task) || (e->kind == CMP_KIND_WORKFLOW && !e->workflow) ||
		    (e->kind == CMP_KIND_LAUNCH_PLAN && (!e->launch_plan || !e->launch_plan->spec)))
			continue;
		ents[nents++] = e;
		if (e->kind == CMP_KIND_LAUNCH_PLAN && foldable(s, e)) {
			fc_strmap_put(&c.folded, e->name, e);
			stats->folded++;
		}
	}
	if (!nents) {
		rc = fc_err_set(err, FC_EINVAL, "nothing to convert: no Flyte IDL input (TaskSpec, WorkflowSpec, "
						"LaunchPlan, closures or pyflyte packages) was read");
		goto out;
	}
	for (i = 0; i < nents; i++) {
		struct cmp_entity *e = ents[i];
		struct doc *d = doc_for(&c, &docs, &ndocs, e);

		begin_entity(&c, e);
		if (e->state != CMP_DONE)
			warn(&c, "it does not compile (see the errors above); converted as it is");
		switch (e->kind) {
		case CMP_KIND_TASK:
			yn_push(&c, d->tasks, task_yaml(&c, e));
			stats->tasks++;
			break;
		case CMP_KIND_WORKFLOW:
			yn_push(&c, d->workflows, workflow_yaml(&c, e));
			stats->workflows++;
			break;
		case CMP_KIND_LAUNCH_PLAN:
			if (fc_strmap_get(&c.folded, e->name) == e)
				break;
			yn_push(&c, d->launch_plans, launch_plan_yaml(&c, e));
			stats->launch_plans++;
			break;
		}
	}
	roots = fc_arena_array(&c.a, ndocs + 1, sizeof(*roots));
	for (i = 0; i < ndocs; i++) {
		struct yn *root = yn_map(&c, false);

		if (opts->explicit_project || strcmp(docs[i].project, def_project))
			yn_put(&c, root, "project", yn_str(&c, docs[i].project));
		if (opts->explicit_project || strcmp(docs[i].domain, def_domain))
			yn_put(&c, root, "domain", yn_str(&c, docs[i].domain));
		if (docs[i].tasks->n)
			yn_put(&c, root, "tasks", docs[i].tasks);
		if (docs[i].workflows->n)
			yn_put(&c, root, "workflows", docs[i].workflows);
		if (docs[i].launch_plans->n)
			yn_put(&c, root, "launch_plans", docs[i].launch_plans);
		roots[i] = root;
	}
	fc_buf_adds(&yaml, "# flytec YAML spec, converted from Flyte IDL by `flytec convert` (see docs/interop.md)\n");
	rc = emit_documents(roots, ndocs, &yaml, err);
	if (rc)
		goto out;
	if (yaml.len && yaml.buf[yaml.len - 1] != '\n')
		fc_buf_addch(&yaml, '\n');
	if (opts->verify)
		verify(&c, ents, nents, &yaml);
	fc_buf_add(out, yaml.buf, yaml.len);
	fc_diags_sort(&s->diags);
	rc = compile_rc ? FC_ESPEC : FC_OK;
	if (rc)
		fc_err_set(err, FC_ESPEC, "the input has errors; what could be converted was");
out:
	fc_buf_release(&yaml);
	free(ents);
	free(docs);
	fc_strmap_release(&c.said);
	fc_strmap_release(&c.folded);
	fc_arena_release(&c.a);
	return rc;
}
