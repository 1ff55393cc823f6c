/* lit.c: the one literal module: building, converting, rendering, checking, comparing and hashing IDL literals. */
#include "compiler/lit.h"

#include "compiler/cmp_int.h"

#include "core/arena.h"
#include "core/buf.h"
#include "core/duration.h"
#include "core/err.h"
#include "core/pbdepth.h"
#include "core/pbpack.h"
#include "core/sha256.h"
#include "core/tz.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TYPE_IS(t, c) ((t)->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_##c)

static Flyteidl__Core__Literal *lit_scalar(struct fc_arena *a, Flyteidl__Core__Scalar **scalar_out)
{
	Flyteidl__Core__Literal *lit = fc_arena_alloc(a, sizeof(*lit));
	Flyteidl__Core__Scalar *sc = fc_arena_alloc(a, sizeof(*sc));

	flyteidl__core__literal__init(lit);
	flyteidl__core__scalar__init(sc);
	lit->value_case = FLYTEIDL__CORE__LITERAL__VALUE_SCALAR;
	lit->scalar = sc;
	*scalar_out = sc;
	return lit;
}

static Flyteidl__Core__Literal *lit_primitive(struct fc_arena *a, Flyteidl__Core__Primitive **prim_out)
{
	Flyteidl__Core__Scalar *sc;
	Flyteidl__Core__Literal *lit = lit_scalar(a, &sc);
	Flyteidl__Core__Primitive *p = fc_arena_alloc(a, sizeof(*p));

	flyteidl__core__primitive__init(p);
	sc->value_case = FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE;
	sc->primitive = p;
	*prim_out = p;
	return lit;
}

Flyteidl__Core__Literal *cmp_lit_int(struct fc_arena *a, int64_t v)
{
	Flyteidl__Core__Primitive *p;
	Flyteidl__Core__Literal *lit = lit_primitive(a, &p);

	p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER;
	p->integer = v;
	return lit;
}

Flyteidl__Core__Literal *cmp_lit_float(struct fc_arena *a, double v)
{
	Flyteidl__Core__Primitive *p;
	Flyteidl__Core__Literal *lit = lit_primitive(a, &p);

	p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_FLOAT_VALUE;
	p->float_value = v;
	return lit;
}

Flyteidl__Core__Literal *cmp_lit_str(struct fc_arena *a, const char *s)
{
	Flyteidl__Core__Primitive *p;
	Flyteidl__Core__Literal *lit = lit_primitive(a, &p);

	p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_STRING_VALUE;
	p->string_value = fc_arena_strdup(a, s);
	return lit;
}

Flyteidl__Core__Literal *cmp_lit_bool(struct fc_arena *a, bool v)
{
	Flyteidl__Core__Primitive *p;
	Flyteidl__Core__Literal *lit = lit_primitive(a, &p);

	p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_BOOLEAN;
	p->boolean = v;
	return lit;
}

Flyteidl__Core__Literal *cmp_lit_none(struct fc_arena *a)
{
	Flyteidl__Core__Scalar *sc;
	Flyteidl__Core__Literal *lit = lit_scalar(a, &sc);
	Flyteidl__Core__Void *v = fc_arena_alloc(a, sizeof(*v));

	flyteidl__core__void__init(v);
	sc->value_case = FLYTEIDL__CORE__SCALAR__VALUE_NONE_TYPE;
	sc->none_type = v;
	return lit;
}

Flyteidl__Core__Literal *cmp_lit_datetime(struct fc_arena *a, int64_t secs, int32_t nanos)
{
	Flyteidl__Core__Primitive *p;
	Flyteidl__Core__Literal *lit = lit_primitive(a, &p);
	Google__Protobuf__Timestamp *ts = fc_arena_alloc(a, sizeof(*ts));

	google__protobuf__timestamp__init(ts);
	ts->seconds = secs;
	ts->nanos = nanos;
	p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_DATETIME;
	p->datetime = ts;
	return lit;
}

Flyteidl__Core__Literal *cmp_lit_collection(struct fc_arena *a, Flyteidl__Core__Literal **items, size_t n)
{
	Flyteidl__Core__Literal *lit = fc_arena_alloc(a, sizeof(*lit));
	Flyteidl__Core__LiteralCollection *c = fc_arena_alloc(a, sizeof(*c));

	flyteidl__core__literal__init(lit);
	flyteidl__core__literal_collection__init(c);
	c->n_literals = n;
	c->literals = n ? fc_arena_memdup(a, items, n * sizeof(*items)) : NULL;
	lit->value_case = FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION;
	lit->collection = c;
	return lit;
}

Flyteidl__Core__LiteralMap *cmp_litmap_new(struct fc_arena *a)
{
	Flyteidl__Core__LiteralMap *m = fc_arena_alloc(a, sizeof(*m));

	flyteidl__core__literal_map__init(m);
	return m;
}

void cmp_litmap_put(struct fc_arena *a, Flyteidl__Core__LiteralMap *m, const char *key, Flyteidl__Core__Literal *v)
{
	Flyteidl__Core__LiteralMap__LiteralsEntry *e;
	Flyteidl__Core__LiteralMap__LiteralsEntry **grown;
	size_t i;

	for (i = 0; i < m->n_literals; i++) {
		if (!strcmp(m->literals[i]->key, key)) {
			m->literals[i]->value = v;
			return;
		}
	}
	e = fc_arena_alloc(a, sizeof(*e));
	flyteidl__core__literal_map__literals_entry__init(e);
	e->key = fc_arena_strdup(a, key);
	e->value = v;
	/* Arena arrays never shrink or move: copy into a new one (maps here are small). */
	grown = fc_arena_array(a, m->n_literals + 1, sizeof(*grown));
	if (m->n_literals)
		memcpy(grown, m->literals, m->n_literals * sizeof(*grown));
	grown[m->n_literals++] = e;
	m->literals = grown;
}

void cmp_litmap_put_defaults(struct fc_arena *a, Flyteidl__Core__LiteralMap *m,
			      const Flyteidl__Core__ParameterMap *params, bool keep)
{
	size_t i;

	for (i = 0; params && i < params->n_parameters; i++) {
		const Flyteidl__Core__Parameter *p = params->parameters[i]->value;
		const char *key = params->parameters[i]->key;

		if (!p || p->behavior_case != FLYTEIDL__CORE__PARAMETER__BEHAVIOR_DEFAULT || !p->default_)
			continue;
		if (keep && cmp_litmap_get(m, key))
			continue;
		cmp_litmap_put(a, m, key, p->default_);
	}
}

Flyteidl__Core__Literal *cmp_litmap_get(const Flyteidl__Core__LiteralMap *m, const char *key)
{
	size_t i;

	if (!m)
		return NULL;
	for (i = 0; i < m->n_literals; i++)
		if (!strcmp(m->literals[i]->key, key))
			return m->literals[i]->value;
	return NULL;
}

void cmp_pb_pack(const ProtobufCMessage *msg, struct fc_buf *out)
{
	fc_pb_pack(msg, out);
}

uint8_t *cmp_pb_pack_arena(struct fc_arena *a, const ProtobufCMessage *msg, size_t *len)
{
	struct fc_buf packed = FC_BUF_INIT;
	uint8_t *bytes;

	*len = fc_pb_pack(msg, &packed);
	bytes = fc_arena_alloc(a, *len + 1);
	if (*len)
		memcpy(bytes, packed.buf, *len);
	fc_buf_release(&packed);
	return bytes;
}

int cmp_pb_unpack(struct fc_arena *a, const ProtobufCMessageDescriptor *desc, const void *data, size_t len,
		  void **out, struct fc_err *err)
{
	ProtobufCMessage *msg;

	*out = NULL;
	if (!fc_pb_nesting_ok(desc, data, len, FC_PB_MAX_DEPTH))
		return fc_err_set(err, FC_EPARSE, "%s protobuf nested deeper than %d levels", desc->name,
				  FC_PB_MAX_DEPTH);
	msg = protobuf_c_message_unpack(desc, fc_arena_pb_allocator(a), len, data);
	*out = msg;
	if (!msg)
		return fc_err_set(err, FC_EPARSE, "malformed %s protobuf (%zu bytes)", desc->name, len);
	return FC_OK;
}

void *cmp_pb_copy(struct fc_arena *a, const ProtobufCMessage *msg)
{
	struct fc_buf b = FC_BUF_INIT;
	void *copy = NULL;

	if (!msg)
		return NULL;
	cmp_pb_pack(msg, &b);
	if (cmp_pb_unpack(a, msg->descriptor, b.buf, b.len, &copy, NULL))
		FC_BUG("could not unpack a message we packed (%s)", msg->descriptor->name);
	fc_buf_release(&b);
	return copy;
}

/* --- from text ------------------------------------------------------------------------------------------- */

static char *trimmed(struct fc_arena *a, const char *text)
{
	size_t len = strlen(text);

	while (len && isspace((unsigned char)text[len - 1]))
		len--;
	while (len && isspace((unsigned char)*text)) {
		text++;
		len--;
	}
	return fc_arena_strndup(a, text, len);
}

/* Plain seconds ("90", "1.5"): the propeller's own form, what a program writes most easily. Everything else is
 * core's duration grammar, the one specs use ("1h30m", "250ms", "1.5h", "2d"). */
static int parse_duration(const char *s, int64_t *secs, int32_t *nanos)
{
	long double total;
	int64_t ns;
	char *end;

	if (!*s)
		return -1;
	errno = 0;
	total = strtold(s, &end);
	if (end != s && !*end && !errno) {
		if (!(total >= -9.2e18L && total <= 9.2e18L))
			return -1;
		*secs = (int64_t)total;
		*nanos = (int32_t)llroundl((total - (long double)*secs) * 1e9L);
		return 0;
	}
	if (fc_duration_parse(s, &ns, NULL, NULL))
		return -1;
	*secs = ns / 1000000000;
	*nanos = (int32_t)(ns % 1000000000);
	return 0;
}

/* RFC 3339 with the fraction kept to the nanosecond (core's fc_time_parse_rfc3339 keeps whole seconds, all that
 * schedules need), and a bare date meaning midnight UTC. */
static int parse_datetime(const char *s, int64_t *secs, int32_t *nanos)
{
	struct tm tm;
	const char *p;
	long off = 0;
	int32_t frac = 0;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%d", &tm);
	if (!p)
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p = strptime(p + 1, "%H:%M:%S", &tm);
		if (!p)
			return -1;
		if (*p == '.') {
			int digits = 0;

			p++;
			while (isdigit((unsigned char)*p)) {
				if (digits < 9) {
					frac = frac * 10 + (*p - '0');
					digits++;
				}
				p++;
			}
			while (digits++ < 9)
				frac *= 10;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int hh, mm;

			if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
				return -1;
			off = (hh * 3600L + mm * 60L) * (*p == '-' ? -1 : 1);
			p += 6;
		} else {
			return -1;
		}
	}
	if (*p)
		return -1;
	*secs = (int64_t)timegm(&tm) - off;
	*nanos = frac;
	return 0;
}

static int simple_from_text(struct fc_arena *a, Flyteidl__Core__SimpleType st, const char *raw,
			    Flyteidl__Core__Literal **out, struct fc_err *err)
{
	char *t = trimmed(a, raw);
	char *end;
	Flyteidl__Core__Primitive *p;

	switch (st) {
	case FLYTEIDL__CORE__SIMPLE_TYPE__INTEGER: {
		long long v;

		errno = 0;
		v = strtoll(t, &end, 10);
		if (!*t || *end || errno)
			return fc_err_set(err, FC_EINVAL, "'%s' is not an integer", t);
		*out = cmp_lit_int(a, v);
		return FC_OK;
	}
	case FLYTEIDL__CORE__SIMPLE_TYPE__FLOAT: {
		double v;

		errno = 0;
		v = strtod(t, &end);
		if (!*t || *end || errno)
			return fc_err_set(err, FC_EINVAL, "'%s' is not a float", t);
		*out = cmp_lit_float(a, v);
		return FC_OK;
	}
	case FLYTEIDL__CORE__SIMPLE_TYPE__STRING: {
		size_t len = strlen(raw);

		if (len && raw[len - 1] == '\n')
			len--;
		if (len && raw[len - 1] == '\r')
			len--;
		*out = cmp_lit_str(a, fc_arena_strndup(a, raw, len));
		return FC_OK;
	}
	case FLYTEIDL__CORE__SIMPLE_TYPE__BOOLEAN:
		if (!strcasecmp(t, "true") || !strcmp(t, "1") || !strcasecmp(t, "yes"))
			*out = cmp_lit_bool(a, true);
		else if (!strcasecmp(t, "false") || !strcmp(t, "0") || !strcasecmp(t, "no"))
			*out = cmp_lit_bool(a, false);
		else
			return fc_err_set(err, FC_EINVAL, "'%s' is not a boolean", t);
		return FC_OK;
	case FLYTEIDL__CORE__SIMPLE_TYPE__DATETIME:
	case FLYTEIDL__CORE__SIMPLE_TYPE__DURATION: {
		int64_t secs;
		int32_t nanos;
		bool is_dt = st == FLYTEIDL__CORE__SIMPLE_TYPE__DATETIME;

		if ((is_dt ? parse_datetime(t, &secs, &nanos) : parse_duration(t, &secs, &nanos)) < 0)
			return fc_err_set(err, FC_EINVAL, "'%s' is not a %s", t, is_dt ? "datetime" : "duration");
		*out = lit_primitive(a, &p);
		if (is_dt) {
			Google__Protobuf__Timestamp *ts = fc_arena_alloc(a, sizeof(*ts));

			google__protobuf__timestamp__init(ts);
			ts->seconds = secs;
			ts->nanos = nanos;
			p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_DATETIME;
			p->datetime = ts;
		} else {
			Google__Protobuf__Duration *d = fc_arena_alloc(a, sizeof(*d));

			google__protobuf__duration__init(d);
			d->seconds = secs;
			d->nanos = nanos;
			p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_DURATION;
			p->duration = d;
		}
		return FC_OK;
	}
	case FLYTEIDL__CORE__SIMPLE_TYPE__NONE:
		*out = cmp_lit_none(a);
		return FC_OK;
	default:
		return fc_err_set(err, FC_EUNSUPPORTED, "values of simple type %d cannot be read from text", (int)st);
	}
}

static int file_text(struct fc_arena *a, const Flyteidl__Core__LiteralType *type, const char *text,
		     Flyteidl__Core__Literal **out, struct fc_err *err)
{
	Flyteidl__Core__Scalar *sc;
	size_t i;

	*out = NULL;
	if (!type)
		return fc_err_set(err, FC_EINVAL, "no type");
	switch (type->type_case) {
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE:
		return simple_from_text(a, type->simple, text, out, err);
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_ENUM_TYPE: {
		char *t = trimmed(a, text);

		for (i = 0; i < type->enum_type->n_values; i++) {
			if (!strcmp(type->enum_type->values[i], t)) {
				*out = cmp_lit_str(a, t);
				return FC_OK;
			}
		}
		return fc_err_set(err, FC_EINVAL, "'%s' is not one of the enum's values", t);
	}
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_BLOB: {
		Flyteidl__Core__Blob *blob = fc_arena_alloc(a, sizeof(*blob));
		Flyteidl__Core__BlobMetadata *md = fc_arena_alloc(a, sizeof(*md));

		flyteidl__core__blob__init(blob);
		flyteidl__core__blob_metadata__init(md);
		md->type = cmp_pb_copy(a, &type->blob->base);
		blob->metadata = md;
		blob->uri = trimmed(a, text);
		if (!*blob->uri)
			return fc_err_set(err, FC_EINVAL, "a blob needs a path or URI");
		*out = lit_scalar(a, &sc);
		sc->value_case = FLYTEIDL__CORE__SCALAR__VALUE_BLOB;
		sc->blob = blob;
		return FC_OK;
	}
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_STRUCTURED_DATASET_TYPE: {
		Flyteidl__Core__StructuredDataset *sd = fc_arena_alloc(a, sizeof(*sd));
		Flyteidl__Core__StructuredDatasetMetadata *md = fc_arena_alloc(a, sizeof(*md));

		flyteidl__core__structured_dataset__init(sd);
		flyteidl__core__structured_dataset_metadata__init(md);
		md->structured_dataset_type = cmp_pb_copy(a, &type->structured_dataset_type->base);
		sd->metadata = md;
		sd->uri = trimmed(a, text);
		*out = lit_scalar(a, &sc);
		sc->value_case = FLYTEIDL__CORE__SCALAR__VALUE_STRUCTURED_DATASET;
		sc->structured_dataset = sd;
		return FC_OK;
	}
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_UNION_TYPE: {
		const Flyteidl__Core__UnionType *u = type->union_type;
		char *t = trimmed(a, text);

		for (i = 0; i < u->n_variants; i++) {
			const Flyteidl__Core__LiteralType *v = u->variants[i];
			bool is_none = v->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE &&
				       v->simple == FLYTEIDL__CORE__SIMPLE_TYPE__NONE;
			Flyteidl__Core__Literal *inner = NULL;
			Flyteidl__Core__Union *un;

			if (is_none != !*t)
				continue;
			if (file_text(a, v, text, &inner, NULL))
				continue;
			un = fc_arena_alloc(a, sizeof(*un));
			flyteidl__core__union__init(un);
			un->value = inner;
			un->type = cmp_pb_copy(a, &v->base);
			*out = lit_scalar(a, &sc);
			sc->value_case = FLYTEIDL__CORE__SCALAR__VALUE_UNION;
			sc->union_ = un;
			return FC_OK;
		}
		return fc_err_set(err, FC_EINVAL, "'%s' matches no variant of the union", t);
	}
	default:
		return fc_err_set(err, FC_EUNSUPPORTED, "collections, maps and schemas cannot be read from a text file");
	}
}

/* A value a person typed: parsed as YAML flow unless its type takes text as written. */
static int value_text(struct fc_arena *arena, const Flyteidl__Core__LiteralType *type, const char *text,
		      Flyteidl__Core__Literal **out, struct fc_err *err)
{
	struct fc_buf why = FC_BUF_INIT;
	struct fc_diags diags;
	struct fc_source *src;
	struct fc_ydoc *docs = NULL;
	size_t ndocs = 0;
	const struct fc_ynode *bad = NULL;
	struct fc_ynode scalar;
	const struct fc_ynode *n;
	int rc = FC_OK;

	*out = NULL;
	fc_diags_init(&diags);
	src = fc_source_new_take("<input>", fc_xstrdup(text), strlen(text));
	/* Strings, datetimes, durations and URIs are taken as written; everything else is parsed as YAML flow. */
	memset(&scalar, 0, sizeof(scalar));
	scalar.kind = FC_Y_SCALAR;
	scalar.style = FC_Y_QUOTED;
	scalar.u.scalar.str = fc_arena_strdup(arena, text);
	scalar.u.scalar.len = strlen(text);
	n = &scalar;
	if (!(TYPE_IS(type, SIMPLE) && (type->simple == FLYTEIDL__CORE__SIMPLE_TYPE__STRING ||
					      type->simple == FLYTEIDL__CORE__SIMPLE_TYPE__DATETIME ||
					      type->simple == FLYTEIDL__CORE__SIMPLE_TYPE__DURATION ||
					      type->simple == FLYTEIDL__CORE__SIMPLE_TYPE__BINARY)) &&
	    !TYPE_IS(type, BLOB) && !TYPE_IS(type, STRUCTURED_DATASET_TYPE) &&
	    !TYPE_IS(type, SCHEMA) && !TYPE_IS(type, ENUM_TYPE)) {
		if (fc_yaml_load(arena, src, NULL, &docs, &ndocs, &diags) || ndocs != 1 || !docs[0].root) {
			rc = fc_err_set(err, FC_EINVAL, "cannot parse '%s' as a value of type %s", text,
					cmp_type_str(arena, type));
			goto out;
		}
		n = docs[0].root;
	}
	*out = cmp_literal_from_ynode(arena, type, n, &why, &bad);
	if (!*out)
		rc = fc_err_set(err, FC_EINVAL, "'%s' is not a valid %s: %s", text, cmp_type_str(arena, type), why.buf);
out:
	fc_source_free(src);
	fc_diags_release(&diags);
	fc_buf_release(&why);
	return rc;
}

int cmp_lit_from_text(struct fc_arena *a, const Flyteidl__Core__LiteralType *type, const char *text,
		      enum cmp_lit_text form, Flyteidl__Core__Literal **out, struct fc_err *err)
{
	*out = NULL;
	if (!type)
		return fc_err_set(err, FC_EINVAL, "no type");
	return form == CMP_LIT_TEXT_FILE ? file_text(a, type, text, out, err) : value_text(a, type, text, out, err);
}

static const Flyteidl__Core__LiteralType *declared_type(const Flyteidl__Core__VariableMap *vars, const char *name,
						     bool *known)
{
	size_t i;

	for (i = 0; vars && i < vars->n_variables; i++) {
		if (!strcmp(vars->variables[i]->key, name)) {
			*known = true;
			return vars->variables[i]->value ? vars->variables[i]->value->type : NULL;
		}
	}
	*known = false;
	return NULL;
}

int cmp_lit_inputs_from_text(struct fc_arena *a, const Flyteidl__Core__VariableMap *vars,
			     const Flyteidl__Core__ParameterMap *defaults, const char *const *given, size_t n,
			     Flyteidl__Core__LiteralMap **out, struct fc_buf *missing, struct fc_err *err)
{
	Flyteidl__Core__LiteralMap *in = cmp_litmap_new(a);
	size_t i, nmissing = 0;
	int rc = FC_OK;

	*out = NULL;
	for (i = 0; i < n; i++) {
		char *kv = fc_arena_strdup(a, given[i]), *eq = strchr(kv, '=');
		const Flyteidl__Core__LiteralType *type;
		Flyteidl__Core__Literal *lit;
		bool known;

		if (!eq || eq == kv)
			return fc_err_set(err, FC_EINVAL, "--input takes NAME=VALUE, not '%s'", kv);
		*eq = '\0';
		type = declared_type(vars, kv, &known);
		if (!known)
			return fc_err_set(err, FC_EINVAL, "the workflow has no input '%s'", kv);
		if (cmp_lit_from_text(a, type, eq + 1, CMP_LIT_TEXT_VALUE, &lit, err))
			return fc_err_prefix(err, "input '%s': ", kv);
		cmp_litmap_put(a, in, kv, lit);
	}
	cmp_litmap_put_defaults(a, in, defaults, true);
	/* every missing input at once, with its type */
	for (i = 0; vars && i < vars->n_variables; i++) {
		const Flyteidl__Core__Variable *v = vars->variables[i]->value;
		struct fc_buf line = FC_BUF_INIT;

		if (cmp_litmap_get(in, vars->variables[i]->key))
			continue;
		fc_buf_addf(&line, "missing input '%s'", vars->variables[i]->key);
		if (v && v->type) {
			fc_buf_adds(&line, " of type ");
			cmp_type_render(v->type, &line);
		}
		fc_buf_addf(&line, " (--input %s=VALUE)", vars->variables[i]->key);
		if (!nmissing++)
			rc = fc_err_set(err, FC_EINVAL, "%s", line.buf);
		if (missing)
			fc_buf_addf(missing, "%s\n", line.buf);
		fc_buf_release(&line);
	}
	if (!rc)
		*out = in;
	return rc;
}

/* --- rendering ------------------------------------------------------------------------------------------- */

static void render_value(const Google__Protobuf__Value *v, struct fc_buf *out);

static void render_struct(const Google__Protobuf__Struct *st, struct fc_buf *out)
{
	size_t i;

	fc_buf_addch(out, '{');
	for (i = 0; i < st->n_fields; i++) {
		fc_buf_addf(out, "%s%s: ", i ? ", " : "", st->fields[i]->key);
		render_value(st->fields[i]->value, out);
	}
	fc_buf_addch(out, '}');
}

static void render_value(const Google__Protobuf__Value *v, struct fc_buf *out)
{
	size_t i;

	if (!v) {
		fc_buf_adds(out, "null");
		return;
	}
	switch (v->kind_case) {
	case GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE:
		fc_buf_addf(out, "%.17g", v->number_value);
		break;
	case GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE:
		fc_buf_add_json_string(out, v->string_value, strlen(v->string_value));
		break;
	case GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE:
		fc_buf_adds(out, v->bool_value ? "true" : "false");
		break;
	case GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE:
		render_struct(v->struct_value, out);
		break;
	case GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE:
		fc_buf_addch(out, '[');
		for (i = 0; i < v->list_value->n_values; i++) {
			if (i)
				fc_buf_adds(out, ", ");
			render_value(v->list_value->values[i], out);
		}
		fc_buf_addch(out, ']');
		break;
	default:
		fc_buf_adds(out, "null");
	}
}

/* The shortest text that reads back as the same double (0.92, not 0.92000000000000004); typed: plain digits for
 * everyday magnitudes (10.0, not 1e+01), always a point or exponent, YAML's .nan/.inf. */
static void render_double(double d, enum cmp_lit_style style, struct fc_buf *out)
{
	char tmp[64];
	int prec;

	if (style == CMP_LIT_SHOW_TYPED && isnan(d)) {
		fc_buf_adds(out, ".nan");
		return;
	}
	if (style == CMP_LIT_SHOW_TYPED && isinf(d)) {
		fc_buf_adds(out, d > 0 ? ".inf" : "-.inf");
		return;
	}
	snprintf(tmp, sizeof(tmp), "%.17g", d);
	for (prec = 1; prec <= 17; prec++) {
		char shorter[64];

		snprintf(shorter, sizeof(shorter), "%.*g", prec, d);
		if (style == CMP_LIT_SHOW_PLAIN ? strtod(shorter, NULL) == d
						: strtod(shorter, NULL) == d &&
							  !(strchr(shorter, 'e') && fabs(d) >= 1e-4 && fabs(d) < 1e15)) {
			memcpy(tmp, shorter, sizeof(tmp));
			break;
		}
	}
	fc_buf_adds(out, tmp);
	if (style == CMP_LIT_SHOW_TYPED && !strpbrk(tmp, ".eE"))
		fc_buf_adds(out, ".0");
}

static void render_primitive(const Flyteidl__Core__Primitive *p, enum cmp_lit_style style, struct fc_buf *out)
{
	bool typed = style == CMP_LIT_SHOW_TYPED;

	switch (p->value_case) {
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER:
		fc_buf_addf(out, "%lld", (long long)p->integer);
		break;
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_FLOAT_VALUE:
		render_double(p->float_value, style, out);
		break;
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_STRING_VALUE:
		if (typed)
			fc_buf_add_json_string(out, p->string_value, strlen(p->string_value));
		else
			fc_buf_adds(out, p->string_value);
		break;
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_BOOLEAN:
		fc_buf_adds(out, p->boolean ? "true" : "false");
		break;
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_DATETIME: {
		int64_t secs = p->datetime ? p->datetime->seconds : 0;
		int32_t nanos = p->datetime ? p->datetime->nanos : 0;
		char ts[FC_RFC3339_MAX];

		if (typed) {
			fc_time_format_rfc3339(secs, 0, ts);
			fc_buf_adds(out, ts);
		} else {
			struct tm tm;
			time_t t = (time_t)secs;

			gmtime_r(&t, &tm);
			strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
			fc_buf_adds(out, ts);
			if (nanos)
				fc_buf_addf(out, ".%09d", (int)nanos);
			fc_buf_addch(out, 'Z');
		}
		break;
	}
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_DURATION: {
		int64_t secs = p->duration ? p->duration->seconds : 0;
		int32_t nanos = p->duration ? p->duration->nanos : 0;

		if (typed)
			fc_duration_format(secs * 1000000000LL + nanos, out);
		else if (nanos)
			fc_buf_addf(out, "%lld.%09ds", (long long)secs, (int)nanos);
		else
			fc_buf_addf(out, "%llds", (long long)secs);
		break;
	}
	default:
		if (typed)
			fc_buf_adds(out, "null");
		break;
	}
}

void cmp_lit_render_scalar(const Flyteidl__Core__Scalar *sc, enum cmp_lit_style style, struct fc_buf *out)
{
	bool typed = style == CMP_LIT_SHOW_TYPED;

	if (!sc) {
		if (typed)
			fc_buf_adds(out, "null");
		return;
	}
	switch (sc->value_case) {
	case FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE:
		render_primitive(sc->primitive, style, out);
		break;
	case FLYTEIDL__CORE__SCALAR__VALUE_BLOB:
		if (!typed)
			fc_buf_adds(out, sc->blob->uri);
		else
			fc_buf_addf(out, "%s(%s)",
				    sc->blob->metadata && sc->blob->metadata->type &&
						    sc->blob->metadata->type->dimensionality ==
							    FLYTEIDL__CORE__BLOB_TYPE__BLOB_DIMENSIONALITY__MULTIPART
					    ? "directory"
					    : "file",
				    sc->blob->uri);
		break;
	case FLYTEIDL__CORE__SCALAR__VALUE_STRUCTURED_DATASET:
		fc_buf_addf(out, typed ? "dataset(%s)" : "%s", sc->structured_dataset->uri);
		break;
	case FLYTEIDL__CORE__SCALAR__VALUE_SCHEMA:
		fc_buf_addf(out, typed ? "schema(%s)" : "%s", sc->schema->uri);
		break;
	case FLYTEIDL__CORE__SCALAR__VALUE_BINARY:
		fc_buf_addf(out, typed ? "binary(%zu bytes)" : "<%zu bytes>", sc->binary->value.len);
		break;
	case FLYTEIDL__CORE__SCALAR__VALUE_NONE_TYPE:
		fc_buf_adds(out, "null");
		break;
	case FLYTEIDL__CORE__SCALAR__VALUE_ERROR:
		if (typed)
			fc_buf_addf(out, "error(%s)", sc->error->message);
		else
			fc_buf_addf(out, "error(%s: %s)", sc->error->failed_node_id, sc->error->message);
		break;
	case FLYTEIDL__CORE__SCALAR__VALUE_GENERIC:
		if (typed)
			render_struct(sc->generic, out);
		else
			fc_buf_adds(out, "<struct>");
		break;
	case FLYTEIDL__CORE__SCALAR__VALUE_UNION:
		cmp_lit_render(sc->union_->value, style, out);
		break;
	default:
		if (typed)
			fc_buf_adds(out, "null");
		break;
	}
}

void cmp_lit_render(const Flyteidl__Core__Literal *lit, enum cmp_lit_style style, struct fc_buf *out)
{
	bool typed = style == CMP_LIT_SHOW_TYPED;
	size_t i;

	if (!lit) {
		if (typed)
			fc_buf_adds(out, "null");
		return;
	}
	switch (lit->value_case) {
	case FLYTEIDL__CORE__LITERAL__VALUE_SCALAR:
		cmp_lit_render_scalar(lit->scalar, style, out);
		break;
	case FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION:
		fc_buf_addch(out, '[');
		for (i = 0; i < lit->collection->n_literals; i++) {
			if (i)
				fc_buf_adds(out, ", ");
			cmp_lit_render(lit->collection->literals[i], style, out);
		}
		fc_buf_addch(out, ']');
		break;
	case FLYTEIDL__CORE__LITERAL__VALUE_MAP:
		cmp_litmap_render(lit->map, style, out);
		break;
	case FLYTEIDL__CORE__LITERAL__VALUE_OFFLOADED_METADATA:
		fc_buf_adds(out, typed ? "null" : lit->offloaded_metadata->uri);
		break;
	default:
		if (typed)
			fc_buf_adds(out, "null");
		break;
	}
}

void cmp_litmap_render(const Flyteidl__Core__LiteralMap *m, enum cmp_lit_style style, struct fc_buf *out)
{
	size_t i;

	fc_buf_addch(out, '{');
	for (i = 0; m && i < m->n_literals; i++) {
		if (i)
			fc_buf_adds(out, ", ");
		fc_buf_addf(out, "%s: ", m->literals[i]->key);
		cmp_lit_render(m->literals[i]->value, style, out);
	}
	fc_buf_addch(out, '}');
}

/* --- types ----------------------------------------------------------------------------------------------- */

bool cmp_lit_castable(const Flyteidl__Core__LiteralType *up, const Flyteidl__Core__LiteralType *down)
{
	return cmp_types_castable(up, down);
}

static bool is_none_literal(const Flyteidl__Core__Literal *l)
{
	return l->value_case == FLYTEIDL__CORE__LITERAL__VALUE_SCALAR && l->scalar &&
	       l->scalar->value_case == FLYTEIDL__CORE__SCALAR__VALUE_NONE_TYPE;
}

static bool matches(const Flyteidl__Core__LiteralType *t, const Flyteidl__Core__Literal *l, int depth)
{
	const Flyteidl__Core__Primitive *p;
	size_t i;

	if (!t || !l || depth > FC_LIMIT_LIT_MATCH_DEPTH)
		return true;
	switch (t->type_case) {
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE:
		if (t->simple == FLYTEIDL__CORE__SIMPLE_TYPE__NONE || t->simple == FLYTEIDL__CORE__SIMPLE_TYPE__STRUCT ||
		    t->simple == FLYTEIDL__CORE__SIMPLE_TYPE__BINARY || t->simple == FLYTEIDL__CORE__SIMPLE_TYPE__ERROR)
			return true;
		if (l->value_case != FLYTEIDL__CORE__LITERAL__VALUE_SCALAR || !l->scalar ||
		    l->scalar->value_case != FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE || !l->scalar->primitive)
			return false;
		p = l->scalar->primitive;
		switch (t->simple) {
		case FLYTEIDL__CORE__SIMPLE_TYPE__INTEGER:
			return p->value_case == FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER;
		case FLYTEIDL__CORE__SIMPLE_TYPE__FLOAT:
			return p->value_case == FLYTEIDL__CORE__PRIMITIVE__VALUE_FLOAT_VALUE ||
			       p->value_case == FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER;
		case FLYTEIDL__CORE__SIMPLE_TYPE__STRING:
			return p->value_case == FLYTEIDL__CORE__PRIMITIVE__VALUE_STRING_VALUE;
		case FLYTEIDL__CORE__SIMPLE_TYPE__BOOLEAN:
			return p->value_case == FLYTEIDL__CORE__PRIMITIVE__VALUE_BOOLEAN;
		case FLYTEIDL__CORE__SIMPLE_TYPE__DATETIME:
			return p->value_case == FLYTEIDL__CORE__PRIMITIVE__VALUE_DATETIME;
		case FLYTEIDL__CORE__SIMPLE_TYPE__DURATION:
			return p->value_case == FLYTEIDL__CORE__PRIMITIVE__VALUE_DURATION;
		default:
			return true;
		}
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_COLLECTION_TYPE:
		if (l->value_case != FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION || !l->collection)
			return false;
		for (i = 0; i < l->collection->n_literals; i++)
			if (!matches(t->collection_type, l->collection->literals[i], depth + 1))
				return false;
		return true;
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_MAP_VALUE_TYPE:
		if (l->value_case != FLYTEIDL__CORE__LITERAL__VALUE_MAP || !l->map)
			return false;
		for (i = 0; i < l->map->n_literals; i++)
			if (!matches(t->map_value_type, l->map->literals[i]->value, depth + 1))
				return false;
		return true;
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_UNION_TYPE:
		/* a union value carries its variant's type: the engine and Flyte's admin take it as given */
		if (l->value_case == FLYTEIDL__CORE__LITERAL__VALUE_SCALAR && l->scalar &&
		    l->scalar->value_case == FLYTEIDL__CORE__SCALAR__VALUE_UNION)
			return true;
		for (i = 0; t->union_type && i < t->union_type->n_variants; i++) {
			const Flyteidl__Core__LiteralType *v = t->union_type->variants[i];

			if (cmp_type_is_none(v) ? is_none_literal(l) : matches(v, l, depth + 1))
				return true;
		}
		return false;
	default:
		return true;
	}
}

bool cmp_lit_matches(const Flyteidl__Core__LiteralType *type, const Flyteidl__Core__Literal *lit)
{
	return matches(type, lit, 0);
}

/* --- comparison and hashing ------------------------------------------------------------------------------ */

static const Flyteidl__Core__Primitive *primitive_of(const Flyteidl__Core__Literal *l)
{
	if (!l || l->value_case != FLYTEIDL__CORE__LITERAL__VALUE_SCALAR)
		return NULL;
	if (l->scalar->value_case == FLYTEIDL__CORE__SCALAR__VALUE_UNION)
		return primitive_of(l->scalar->union_->value);
	if (l->scalar->value_case != FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE)
		return NULL;
	return l->scalar->primitive;
}

static int cmp_i64(int64_t x, int64_t y)
{
	return (x > y) - (x < y);
}

static int cmp_time(int64_t xs, int32_t xn, int64_t ys, int32_t yn)
{
	int c = cmp_i64(xs, ys);

	return c ? c : cmp_i64(xn, yn);
}

int cmp_lit_compare(const Flyteidl__Core__Literal *x, const Flyteidl__Core__Literal *y, bool need_order, int *cmp,
		     struct fc_err *err)
{
	const Flyteidl__Core__Primitive *px = primitive_of(x), *py = primitive_of(y);

	if (px && py) {
		int kx = px->value_case, ky = py->value_case;
		bool nx = kx == FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER || kx == FLYTEIDL__CORE__PRIMITIVE__VALUE_FLOAT_VALUE;
		bool ny = ky == FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER || ky == FLYTEIDL__CORE__PRIMITIVE__VALUE_FLOAT_VALUE;

		if (nx && ny) {
			if (kx == ky && kx == FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER) {
				*cmp = cmp_i64(px->integer, py->integer);
			} else {
				double dx = kx == FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER ? (double)px->integer
											     : px->float_value;
				double dy = ky == FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER ? (double)py->integer
											     : py->float_value;

				*cmp = (dx > dy) - (dx < dy);
			}
			return FC_OK;
		}
		if (kx != ky)
			return fc_err_set(err, FC_EINVAL, "cannot compare values of different kinds");
		switch (kx) {
		case FLYTEIDL__CORE__PRIMITIVE__VALUE_STRING_VALUE:
			*cmp = strcmp(px->string_value, py->string_value);
			*cmp = (*cmp > 0) - (*cmp < 0);
			return FC_OK;
		case FLYTEIDL__CORE__PRIMITIVE__VALUE_BOOLEAN:
			*cmp = (int)!!px->boolean - (int)!!py->boolean;
			return FC_OK;
		case FLYTEIDL__CORE__PRIMITIVE__VALUE_DATETIME:
			*cmp = cmp_time(px->datetime->seconds, px->datetime->nanos, py->datetime->seconds,
					py->datetime->nanos);
			return FC_OK;
		case FLYTEIDL__CORE__PRIMITIVE__VALUE_DURATION:
			*cmp = cmp_time(px->duration->seconds, px->duration->nanos, py->duration->seconds,
					py->duration->nanos);
			return FC_OK;
		default:
			return fc_err_set(err, FC_EINVAL, "cannot compare empty primitives");
		}
	}
	if (need_order)
		return fc_err_set(err, FC_EINVAL, "only primitive values can be ordered");
	{
		unsigned char hx[FC_SHA256_LEN], hy[FC_SHA256_LEN];
		struct fc_sha256 h;

		fc_sha256_init(&h);
		cmp_lit_hash(x, &h);
		fc_sha256_final(&h, hx);
		fc_sha256_init(&h);
		cmp_lit_hash(y, &h);
		fc_sha256_final(&h, hy);
		*cmp = memcmp(hx, hy, sizeof(hx)) ? 1 : 0;
	}
	return FC_OK;
}

static void hash_bytes(struct fc_sha256 *h, char tag, const void *data, size_t len)
{
	uint64_t n = len;

	fc_sha256_update(h, &tag, 1);
	fc_sha256_update(h, &n, sizeof(n));
	fc_sha256_update(h, data, len);
}

static int entry_cmp(const void *x, const void *y)
{
	const Flyteidl__Core__LiteralMap__LiteralsEntry *const *ex = x, *const *ey = y;

	return strcmp((*ex)->key, (*ey)->key);
}

void cmp_lit_hash(const Flyteidl__Core__Literal *lit, struct fc_sha256 *h)
{
	struct fc_buf b = FC_BUF_INIT;
	size_t i;

	if (!lit) {
		hash_bytes(h, 'z', "", 0);
		return;
	}
	if (lit->hash && *lit->hash) {
		hash_bytes(h, 'h', lit->hash, strlen(lit->hash));
		return;
	}
	switch (lit->value_case) {
	case FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION:
		hash_bytes(h, 'c', &lit->collection->n_literals, sizeof(lit->collection->n_literals));
		for (i = 0; i < lit->collection->n_literals; i++)
			cmp_lit_hash(lit->collection->literals[i], h);
		break;
	case FLYTEIDL__CORE__LITERAL__VALUE_MAP: {
		size_t n = lit->map->n_literals;
		Flyteidl__Core__LiteralMap__LiteralsEntry **sorted = fc_xmalloc((n ? n : 1) * sizeof(*sorted));

		if (n)
			memcpy(sorted, lit->map->literals, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), entry_cmp);
		hash_bytes(h, 'm', &n, sizeof(n));
		for (i = 0; i < n; i++) {
			hash_bytes(h, 'k', sorted[i]->key, strlen(sorted[i]->key));
			cmp_lit_hash(sorted[i]->value, h);
		}
		free(sorted);
		break;
	}
	case FLYTEIDL__CORE__LITERAL__VALUE_SCALAR:
		/* Scalars hold no maps of literals (struct fields are Google Struct maps, packed in field order). */
		cmp_pb_pack(&lit->scalar->base, &b);
		hash_bytes(h, 's', b.buf, b.len);
		break;
	default:
		if (lit->value_case == FLYTEIDL__CORE__LITERAL__VALUE_OFFLOADED_METADATA)
			hash_bytes(h, 'o', lit->offloaded_metadata->uri, strlen(lit->offloaded_metadata->uri));
		else
			hash_bytes(h, 'n', "", 0);
		break;
	}
	fc_buf_release(&b);
}
