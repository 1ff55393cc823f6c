/* yamljson.c: YAML trees to JSON (YAML 1.2 core schema) and JSON to block YAML (libyaml's emitter). */
#include "yamljson.h"
#include "arena.h"
#include "buf.h"
#include "diag.h"
#include "err.h"
#include "pbjson.h"
#include "yaml.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YAMLJSON_MAX_DEPTH FC_LIMIT_YAMLJSON_DEPTH /* core/limits.h */
#define TAG_PREFIX "tag:yaml.org,2002:"

/* --- YAML -> JSON ------------------------------------------------------------------------------------------ */

struct ypos {
	const json_t *json;
	uint32_t line, col;
};

struct conv {
	struct ypos *pos; /* NULL unless positions are wanted */
	size_t npos, pos_alloc;
	bool track;
	struct fc_err *err;
};

static int conv_fail(struct conv *c, const struct fc_ynode *n, int code, const char *fmt, ...) FC_PRINTF(4, 5);
static int conv_fail(struct conv *c, const struct fc_ynode *n, int code, const char *fmt, ...)
{
	struct fc_buf msg = FC_BUF_INIT;
	va_list ap;

	fc_buf_addf(&msg, "%u:%u: ", (unsigned)n->line, (unsigned)n->col);
	va_start(ap, fmt);
	fc_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	fc_err_set(c->err, code, "%s", msg.buf);
	fc_buf_release(&msg);
	return code;
}

static bool all_in(const char *s, size_t len, const char *set)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!s[i] || !strchr(set, s[i]))
			return false;
	return true;
}

static bool text_is(const char *s, size_t len, const char *a, const char *b, const char *c)
{
	return (strlen(a) == len && !memcmp(s, a, len)) || (strlen(b) == len && !memcmp(s, b, len)) ||
	       (strlen(c) == len && !memcmp(s, c, len));
}

enum resolved { R_STRING, R_NULL, R_BOOL, R_INT, R_FLOAT, R_BAD };

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool is_core_float(const char *s, size_t len)
{
	size_t i = 0, mant = 0;

	if (i < len && (s[i] == '-' || s[i] == '+'))
		i++;
	while (i < len && s[i] >= '0' && s[i] <= '9') {
		i++;
		mant++;
	}
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			i++;
			mant++;
		}
	}
	if (!mant)
		return false;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		size_t digits = 0;

		i++;
		if (i < len && (s[i] == '-' || s[i] == '+'))
			i++;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			i++;
			digits++;
		}
		if (!digits)
			return false;
	}
	return i == len;
}

/* Accumulate digits of `base` into an int64 magnitude; false on overflow or a bad digit. */
static bool parse_digits(const char *s, size_t len, unsigned base, bool neg, int64_t *out)
{
	uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	size_t i;

	if (!len)
		return false;
	for (i = 0; i < len; i++) {
		unsigned d;
		char ch = s[i];

		if (ch >= '0' && ch <= '9')
			d = (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			d = (unsigned)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			d = (unsigned)(ch - 'A' + 10);
		else
			return false;
		if (d >= base || v > (limit - d) / base)
			return false;
		v = v * base + d;
	}
	*out = neg ? (int64_t)((uint64_t)0 - v) : (int64_t)v;
	return true;
}

/*
 * Resolve a scalar's text with the core schema. For R_INT/R_FLOAT/R_BOOL the value is in *i / *d / *b;
 * R_FLOAT with a non-finite *d is .inf/.nan; R_BAD is a number out of range.
 */
static enum resolved resolve(const char *s, size_t len, int64_t *i, double *d, bool *b)
{
	if (!len || text_is(s, len, "~", "null", "Null") || text_is(s, len, "NULL", "NULL", "NULL"))
		return R_NULL;
	if (text_is(s, len, "true", "True", "TRUE")) {
		*b = true;
		return R_BOOL;
	}
	if (text_is(s, len, "false", "False", "FALSE")) {
		*b = false;
		return R_BOOL;
	}
	if (len > 2 && s[0] == '0' && s[1] == 'o' && all_in(s + 2, len - 2, "01234567"))
		return parse_digits(s + 2, len - 2, 8, false, i) ? R_INT : R_BAD;
	if (len > 2 && s[0] == '0' && s[1] == 'x' && all_in(s + 2, len - 2, "0123456789abcdefABCDEF"))
		return parse_digits(s + 2, len - 2, 16, false, i) ? R_INT : R_BAD;
	if (all_in(s, len, "0123456789") ||
	    (len > 1 && (s[0] == '-' || s[0] == '+') && all_in(s + 1, len - 1, "0123456789"))) {
		bool neg = s[0] == '-', sign = s[0] == '-' || s[0] == '+';

		return parse_digits(s + sign, len - sign, 10, neg, i) ? R_INT : R_BAD;
	}
	if (is_core_float(s, len)) {
		char *text = fc_xstrndup(s, len);

		*d = strtod(text, NULL);
		free(text);
		return isfinite(*d) ? R_FLOAT : R_BAD;
	}
	{
		size_t sign = len && (s[0] == '-' || s[0] == '+');

		if (text_is(s + sign, len - sign, ".inf", ".Inf", ".INF")) {
			*d = s[0] == '-' ? -INFINITY : INFINITY;
			return R_FLOAT;
		}
	}
	if (text_is(s, len, ".nan", ".NaN", ".NAN")) {
		*d = NAN;
		return R_FLOAT;
	}
	return R_STRING;
}

static json_t *float_json(double d)
{
	if (isnan(d))
		return json_string("NaN");
	if (isinf(d))
		return json_string(d > 0 ? "Infinity" : "-Infinity");
	return json_real(d);
}

static void remember(struct conv *c, const json_t *j, const struct fc_ynode *n)
{
	if (!c->track || json_is_null(j) || json_is_boolean(j))
		return; /* shared singletons cannot be told apart */
	FC_ALLOC_GROW(c->pos, c->npos + 1, c->pos_alloc);
	c->pos[c->npos].json = j;
	c->pos[c->npos].line = n->line;
	c->pos[c->npos].col = n->col;
	c->npos++;
}

static int conv_scalar(struct conv *c, const struct fc_ynode *n, json_t **out)
{
	const char *s = n->u.scalar.str, *tag = n->tag, *want = NULL;
	size_t len = n->u.scalar.len;
	enum resolved r = R_STRING;
	int64_t i = 0;
	double d = 0;
	bool b = false;

	if (tag && !strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)))
		want = tag + strlen(TAG_PREFIX);
	if (tag && strcmp(tag, "!") && !(want && (!strcmp(want, "str") || !strcmp(want, "int") ||
						 !strcmp(want, "float") || !strcmp(want, "bool") ||
						 !strcmp(want, "null"))))
		return conv_fail(c, n, FC_EUNSUPPORTED, "unsupported tag \"%.60s\" on a scalar", tag);
	if ((!tag && n->style == FC_Y_PLAIN) || (want && strcmp(want, "str")))
		r = resolve(s, len, &i, &d, &b);
	if (r == R_BAD)
		return conv_fail(c, n, FC_EINVAL, "number \"%.60s\" is out of range (quote it to keep it as a string)",
				 s);
	if (want && strcmp(want, "str")) {
		bool ok = (!strcmp(want, "int") && r == R_INT) || (!strcmp(want, "bool") && r == R_BOOL) ||
			  (!strcmp(want, "null") && r == R_NULL) ||
			  (!strcmp(want, "float") && (r == R_FLOAT || r == R_INT));

		if (!ok)
			return conv_fail(c, n, FC_EINVAL, "\"%.60s\" is not a valid !!%s", s, want);
		if (!strcmp(want, "float") && r == R_INT) {
			d = (double)i;
			r = R_FLOAT;
		}
	}
	switch (r) {
	case R_NULL: *out = json_null(); break;
	case R_BOOL: *out = json_boolean(b); break;
	case R_INT: *out = json_integer(i); break;
	case R_FLOAT: *out = float_json(d); break;
	default:
		*out = json_stringn(s, len);
		if (!*out)
			return conv_fail(c, n, FC_EINVAL, "scalar is not valid UTF-8");
		break;
	}
	if (!*out)
		fc_die_oom(len);
	remember(c, *out, n);
	return FC_OK;
}

static int conv_node(struct conv *c, const struct fc_ynode *n, size_t depth, json_t **out);

static int conv_map(struct conv *c, const struct fc_ynode *n, size_t depth, json_t **out)
{
	json_t *obj = json_object();
	size_t i;
	int rc = FC_OK;

	if (!obj)
		fc_die_oom(0);
	for (i = 0; i < n->u.map.n; i++) {
		const struct fc_ynode *k = n->u.map.pairs[i].key, *v = n->u.map.pairs[i].value;
		json_t *val = NULL;

		if (!k || k->kind != FC_Y_SCALAR) {
			rc = conv_fail(c, k ? k : n, FC_EINVAL, "mapping keys must be scalars, not a %s",
				       k ? fc_ynode_kind_name(k) : "null");
			break;
		}
		if (json_object_getn(obj, k->u.scalar.str, k->u.scalar.len)) {
			rc = conv_fail(c, k, FC_EINVAL, "duplicate key \"%.60s\"", k->u.scalar.str);
			break;
		}
		if (v) {
			rc = conv_node(c, v, depth + 1, &val);
			if (rc)
				break;
		} else {
			val = json_null();
		}
		if (json_object_setn_new(obj, k->u.scalar.str, k->u.scalar.len, val)) {
			rc = conv_fail(c, k, FC_EINVAL, "key is not valid UTF-8");
			break;
		}
	}
	if (rc) {
		json_decref(obj);
		return rc;
	}
	remember(c, obj, n);
	*out = obj;
	return FC_OK;
}

static int conv_seq(struct conv *c, const struct fc_ynode *n, size_t depth, json_t **out)
{
	json_t *arr = json_array();
	size_t i;
	int rc = FC_OK;

	if (!arr)
		fc_die_oom(0);
	for (i = 0; i < n->u.seq.n; i++) {
		json_t *item = NULL;

		if (n->u.seq.items[i])
			rc = conv_node(c, n->u.seq.items[i], depth + 1, &item);
		else
			item = json_null();
		if (rc)
			break;
		json_array_append_new(arr, item);
	}
	if (rc) {
		json_decref(arr);
		return rc;
	}
	remember(c, arr, n);
	*out = arr;
	return FC_OK;
}

static int conv_node(struct conv *c, const struct fc_ynode *n, size_t depth, json_t **out)
{
	if (depth > YAMLJSON_MAX_DEPTH)
		return conv_fail(c, n, FC_ELIMIT, "nested deeper than %d levels", YAMLJSON_MAX_DEPTH);
	if (n->kind == FC_Y_SCALAR)
		return conv_scalar(c, n, out);
	if (n->tag && strcmp(n->tag, "!") &&
	    strcmp(n->tag, n->kind == FC_Y_MAP ? TAG_PREFIX "map" : TAG_PREFIX "seq"))
		return conv_fail(c, n, FC_EUNSUPPORTED, "unsupported tag \"%.60s\" on a %s", n->tag,
				 fc_ynode_kind_name(n));
	if (n->kind == FC_Y_MAP)
		return conv_map(c, n, depth, out);
	return conv_seq(c, n, depth, out);
}

static int yaml_to_json(struct conv *c, const struct fc_ynode *node, json_t **out)
{
	*out = NULL;
	if (!node) {
		*out = json_null();
		return FC_OK;
	}
	return conv_node(c, node, 0, out);
}

int fc_yaml_to_json(const struct fc_ynode *node, json_t **out, struct fc_err *err)
{
	struct conv c;

	memset(&c, 0, sizeof(c));
	c.err = err;
	return yaml_to_json(&c, node, out);
}

/* --- JSON -> YAML ------------------------------------------------------------------------------------------ */

static int write_to_buf(void *data, unsigned char *bytes, size_t size)
{
	fc_buf_add(data, bytes, size);
	return 1;
}

int fc_yaml_writer_open(struct fc_yaml_writer *w, struct fc_buf *out, int width, struct fc_err *err)
{
	yaml_event_t ev;

	memset(w, 0, sizeof(*w));
	w->out = out;
	w->err = err;
	if (!yaml_emitter_initialize(&w->em))
		fc_die_oom(sizeof(w->em));
	yaml_emitter_set_output(&w->em, write_to_buf, out);
	yaml_emitter_set_unicode(&w->em, 1);
	yaml_emitter_set_width(&w->em, width);
	yaml_emitter_set_indent(&w->em, 2);
	yaml_emitter_set_break(&w->em, YAML_LN_BREAK);
	return fc_yaml_writer_emit(w, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
}

int fc_yaml_writer_emit(struct fc_yaml_writer *w, yaml_event_t *ev, int ok)
{
	if (!ok)
		return fc_err_set(w->err, FC_EINVAL, "cannot write YAML: value too long or not valid UTF-8");
	if (!yaml_emitter_emit(&w->em, ev))
		return fc_err_set(w->err, FC_EINVAL, "cannot write YAML: %s",
				  w->em.problem ? w->em.problem : "emitter error");
	return FC_OK;
}

int fc_yaml_writer_close(struct fc_yaml_writer *w, int rc)
{
	yaml_event_t ev;

	if (!rc)
		rc = fc_yaml_writer_emit(w, &ev, yaml_stream_end_event_initialize(&ev));
	if (!rc && !yaml_emitter_flush(&w->em))
		rc = fc_err_set(w->err, FC_EIO, "cannot write YAML: flush failed");
	yaml_emitter_delete(&w->em);
	if (!rc && fc_buf_error(w->out))
		rc = fc_err_set(w->err, FC_ELIMIT, "YAML output larger than the buffer's cap of %zu bytes", w->out->cap);
	return rc;
}

/* Whether a plain scalar with this text would be read back as something other than this string. */
static bool needs_quotes(const char *s, size_t len)
{
	int64_t i;
	double d;
	bool b;

	if (resolve(s, len, &i, &d, &b) != R_STRING)
		return true;
	/* YAML 1.1 readers (PyYAML) also take these for booleans, numbers, dates or times. */
	if (text_is(s, len, "y", "Y", "yes") || text_is(s, len, "Yes", "YES", "n") ||
	    text_is(s, len, "N", "no", "No") || text_is(s, len, "NO", "on", "On") ||
	    text_is(s, len, "ON", "off", "Off") || text_is(s, len, "OFF", "=", "<<"))
		return true;
	if (len && strchr("0123456789+-.", s[0]) && all_in(s, len, "0123456789abcdefABCDEFoxX_.:+- tTzZ"))
		return true;
	return false;
}

static int emit_scalar(struct fc_yaml_writer *e, const char *s, size_t len, bool is_string)
{
	yaml_scalar_style_t style = YAML_PLAIN_SCALAR_STYLE;
	yaml_event_t ev;

	if (len > INT_MAX)
		return fc_err_set(e->err, FC_ELIMIT, "cannot write YAML: string of %zu bytes is too long", len);
	if (is_string && needs_quotes(s, len))
		style = YAML_SINGLE_QUOTED_SCALAR_STYLE;
	else if (is_string && memchr(s, '\n', len))
		style = YAML_LITERAL_SCALAR_STYLE;
	return fc_yaml_writer_emit(e, &ev,
			  yaml_scalar_event_initialize(&ev, NULL, NULL, (const yaml_char_t *)s, (int)len, 1, 1, style));
}

static int emit_json(struct fc_yaml_writer *e, const json_t *j, size_t depth)
{
	yaml_event_t ev;
	char num[40];
	int rc;

	if (depth > YAMLJSON_MAX_DEPTH)
		return fc_err_set(e->err, FC_ELIMIT, "cannot write YAML: nested deeper than %d levels",
				  YAMLJSON_MAX_DEPTH);
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		void *iter;

		rc = fc_yaml_writer_emit(e, &ev,
				yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE));
		for (iter = json_object_iter((json_t *)j); !rc && iter;
		     iter = json_object_iter_next((json_t *)j, iter)) {
			rc = emit_scalar(e, json_object_iter_key(iter), json_object_iter_key_len(iter), true);
			if (!rc)
				rc = emit_json(e, json_object_iter_value(iter), depth + 1);
		}
		if (!rc)
			rc = fc_yaml_writer_emit(e, &ev, yaml_mapping_end_event_initialize(&ev));
		return rc;
	}
	case JSON_ARRAY: {
		size_t i;

		rc = fc_yaml_writer_emit(e, &ev,
				yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE));
		for (i = 0; !rc && i < json_array_size(j); i++)
			rc = emit_json(e, json_array_get(j, i), depth + 1);
		if (!rc)
			rc = fc_yaml_writer_emit(e, &ev, yaml_sequence_end_event_initialize(&ev));
		return rc;
	}
	case JSON_STRING:
		return emit_scalar(e, json_string_value(j), json_string_length(j), true);
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
		return emit_scalar(e, num, strlen(num), false);
	case JSON_REAL: {
		size_t n;

		fc_pbjson_format_double(json_real_value(j), num);
		n = strlen(num);
		/* "1" would read back as an integer: keep reals recognisably floats. */
		if (!strpbrk(num, ".e"))
			snprintf(num + n, sizeof(num) - n, ".0");
		return emit_scalar(e, num, strlen(num), false);
	}
	case JSON_TRUE: return emit_scalar(e, "true", 4, false);
	case JSON_FALSE: return emit_scalar(e, "false", 5, false);
	case JSON_NULL: return emit_scalar(e, "null", 4, false);
	}
	return FC_OK;
}

int fc_json_to_yaml(const json_t *json, struct fc_buf *out, struct fc_err *err)
{
	struct fc_yaml_writer w;
	yaml_event_t ev;
	int rc = fc_yaml_writer_open(&w, out, -1, err);

	if (!rc)
		rc = fc_yaml_writer_emit(&w, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
	if (!rc)
		rc = emit_json(&w, json, 0);
	if (!rc)
		rc = fc_yaml_writer_emit(&w, &ev, yaml_document_end_event_initialize(&ev, 1));
	return fc_yaml_writer_close(&w, rc);
}

/* --- proto3 YAML ------------------------------------------------------------------------------------------- */

static void first_error(const struct fc_diags *diags, int rc, struct fc_err *err)
{
	size_t i;

	for (i = 0; i < diags->nr; i++) {
		const struct fc_diag *dg = &diags->items[i];

		if (dg->sev == FC_SEV_ERROR) {
			fc_err_set(err, rc, "%u:%u: %s", (unsigned)dg->loc.line, (unsigned)dg->loc.col, dg->msg);
			return;
		}
	}
	fc_err_set(err, rc, "invalid YAML");
}

int fc_pbjson_decode_yaml_text(const char *text, size_t len, const ProtobufCMessageDescriptor *desc,
			       ProtobufCAllocator *alloc, unsigned flags, ProtobufCMessage **out,
			       struct fc_err *err)
{
	struct fc_arena arena;
	struct fc_diags diags;
	struct fc_source *src;
	struct fc_ydoc *docs = NULL;
	struct conv c;
	size_t ndocs = 0, i;
	json_t *json = NULL;
	const json_t *bad = NULL;
	char *copy;
	int rc;

	*out = NULL;
	if (len > FC_PBJSON_MAX_TEXT)
		return fc_err_set(err, FC_ELIMIT, "YAML text of %zu bytes is larger than the limit of %zu bytes", len,
				  FC_PBJSON_MAX_TEXT);
	fc_arena_init(&arena, 0);
	fc_diags_init(&diags);
	memset(&c, 0, sizeof(c));
	c.track = true;
	c.err = err;
	copy = fc_xmalloc(len + 1);
	memcpy(copy, text, len);
	copy[len] = '\0';
	src = fc_source_new_take("<yaml>", copy, len);
	rc = fc_yaml_load(&arena, src, NULL, &docs, &ndocs, &diags);
	if (rc) {
		first_error(&diags, rc, err);
		goto out;
	}
	if (ndocs != 1) {
		rc = fc_err_set(err, FC_EINVAL, "expected one YAML document, found %zu", ndocs);
		goto out;
	}
	rc = yaml_to_json(&c, docs[0].root, &json);
	if (rc)
		goto out;
	rc = fc_pbjson_decode_at(json, desc, alloc, flags, out, &bad, err);
	if (rc && bad) {
		for (i = 0; i < c.npos; i++) {
			if (c.pos[i].json == bad) {
				fc_err_prefix(err, "%u:%u: ", (unsigned)c.pos[i].line, (unsigned)c.pos[i].col);
				break;
			}
		}
	}
out:
	json_decref(json);
	free(c.pos);
	fc_source_free(src);
	fc_diags_release(&diags);
	fc_arena_release(&arena);
	return rc;
}

int fc_pbjson_encode_yaml(const ProtobufCMessage *msg, unsigned flags, struct fc_buf *out, struct fc_err *err)
{
	json_t *json;
	int rc = fc_pbjson_encode(msg, flags, &json, err);

	if (rc)
		return rc;
	rc = fc_json_to_yaml(json, out, err);
	json_decref(json);
	return rc;
}
