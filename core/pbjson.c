/*
 * pbjson.c: proto3 JSON <-> protobuf-c messages, driven by the descriptors.
 *
 * One walker serves both directions: it keeps the JSON path of the value being worked on (for error messages
 * and the nesting limit) and the caller's options. Decoding builds the message in place through the caller's
 * allocator and keeps it consistent at every step (arrays zeroed and counted, oneof cases set before their
 * member), so a failed decode can hand the partial message to protobuf_c_message_free_unpacked().
 */
#include "pbjson.h"
#include "buf.h"
#include "err.h"
#include "pbpack.h"

#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/empty.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Returned by value decoders for an unknown enum name under FC_PBJSON_IGNORE_UNKNOWN: leave the field unset. */
#define SKIPPED (-1)
#define DUMP_MAX_DEPTH 2048
#define SHOW_MAX 48      /* bytes of a user's string quoted in a message */
#define PATH_SHOW_HEAD 8 /* path segments kept at each end of a long path */
#define PATH_SHOW_TAIL 12
/* Each nested Any packs (decode) or unpacks (encode) everything inside it again: cap the copies. */
#define ANY_MAX_DEPTH 8

struct seg {
	const char *key; /* NULL: an array index */
	size_t keylen;
	size_t index;
	const json_t *node; /* decode: the value at this step */
};

struct walk {
	unsigned flags;
	ProtobufCAllocator *alloc;
	struct fc_err *err;
	const json_t *bad; /* decode: the value an error is about (see distinct_node()) */
	size_t depth;
	size_t any_depth; /* Any messages being worked on: each level copies its contents once more */
	struct seg path[FC_PBJSON_MAX_DEPTH + 1];
	char show[2][SHOW_MAX * 6 + 16]; /* quoted user strings for messages */
	int show_next;
};

enum wkt {
	WKT_NONE,
	WKT_TIMESTAMP,
	WKT_DURATION,
	WKT_STRUCT,
	WKT_VALUE,
	WKT_LIST,
	WKT_EMPTY,
	WKT_ANY,
	WKT_WRAPPER,
};

static const struct {
	const ProtobufCMessageDescriptor *desc;
	enum wkt kind;
} wkt_table[] = {
	{&google__protobuf__timestamp__descriptor, WKT_TIMESTAMP},
	{&google__protobuf__duration__descriptor, WKT_DURATION},
	{&google__protobuf__struct__descriptor, WKT_STRUCT},
	{&google__protobuf__value__descriptor, WKT_VALUE},
	{&google__protobuf__list_value__descriptor, WKT_LIST},
	{&google__protobuf__empty__descriptor, WKT_EMPTY},
	{&google__protobuf__any__descriptor, WKT_ANY},
	{&google__protobuf__double_value__descriptor, WKT_WRAPPER},
	{&google__protobuf__float_value__descriptor, WKT_WRAPPER},
	{&google__protobuf__int64_value__descriptor, WKT_WRAPPER},
	{&google__protobuf__uint64_value__descriptor, WKT_WRAPPER},
	{&google__protobuf__int32_value__descriptor, WKT_WRAPPER},
	{&google__protobuf__uint32_value__descriptor, WKT_WRAPPER},
	{&google__protobuf__bool_value__descriptor, WKT_WRAPPER},
	{&google__protobuf__string_value__descriptor, WKT_WRAPPER},
	{&google__protobuf__bytes_value__descriptor, WKT_WRAPPER},
};

static enum wkt wkt_of(const ProtobufCMessageDescriptor *d)
{
	size_t i;

	for (i = 0; i < FC_ARRAY_LEN(wkt_table); i++)
		if (wkt_table[i].desc == d)
			return wkt_table[i].kind;
	return WKT_NONE;
}

/* --- the Any registry -------------------------------------------------------------------------------------- */

#define REGISTRY_MAX 1024
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static const ProtobufCMessageDescriptor *registry[REGISTRY_MAX];
static size_t registry_len;

int fc_pbjson_register(const ProtobufCMessageDescriptor *desc)
{
	int rc = FC_OK;
	size_t i;

	if (!desc || desc->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
		return FC_EINVAL;
	pthread_mutex_lock(&registry_lock);
	for (i = 0; i < registry_len; i++)
		if (registry[i] == desc || !strcmp(registry[i]->name, desc->name))
			goto out;
	if (registry_len == REGISTRY_MAX) {
		rc = FC_ELIMIT;
		goto out;
	}
	registry[registry_len++] = desc;
out:
	pthread_mutex_unlock(&registry_lock);
	return rc;
}

const ProtobufCMessageDescriptor *fc_pbjson_lookup(const char *full_name)
{
	const ProtobufCMessageDescriptor *found = NULL;
	size_t i;

	for (i = 0; i < FC_ARRAY_LEN(wkt_table); i++)
		if (!strcmp(wkt_table[i].desc->name, full_name))
			return wkt_table[i].desc;
	pthread_mutex_lock(&registry_lock);
	for (i = 0; i < registry_len && !found; i++)
		if (!strcmp(registry[i]->name, full_name))
			found = registry[i];
	pthread_mutex_unlock(&registry_lock);
	return found;
}

/* --- paths and errors -------------------------------------------------------------------------------------- */

static bool is_ident(const char *s, size_t len)
{
	size_t i;

	if (!len || len > SHOW_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (i && c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

/* Cut `len` to at most `max` bytes without splitting a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

/* `s` as a JSON string literal, cut to SHOW_MAX bytes with "..." marking the cut. */
static void add_shown(struct fc_buf *b, const char *s, size_t len)
{
	size_t cut = utf8_cut(s, len, SHOW_MAX);

	if (cut == len) {
		fc_buf_add_json_string(b, s, len);
		return;
	}
	fc_buf_add_json_string(b, s, cut);
	fc_buf_truncate(b, b->len - 1);
	fc_buf_adds(b, "...\"");
}

/* A quoted user string for an error message; valid until the second next call. */
static const char *show(struct walk *w, const char *s, size_t len)
{
	struct fc_buf b = FC_BUF_INIT;
	char *slot = w->show[w->show_next];

	w->show_next ^= 1;
	add_shown(&b, s, len);
	snprintf(slot, sizeof(w->show[0]), "%s", b.buf);
	fc_buf_release(&b);
	return slot;
}

static void add_seg(struct fc_buf *b, const struct seg *s)
{
	if (!s->key) {
		fc_buf_addf(b, "[%zu]", s->index);
	} else if (is_ident(s->key, s->keylen)) {
		fc_buf_addch(b, '.');
		fc_buf_add(b, s->key, s->keylen);
	} else {
		fc_buf_addch(b, '[');
		add_shown(b, s->key, s->keylen);
		fc_buf_addch(b, ']');
	}
}

static void format_path(const struct walk *w, struct fc_buf *b)
{
	size_t i;

	fc_buf_addch(b, '$');
	for (i = 0; i < w->depth; i++) {
		if (w->depth > PATH_SHOW_HEAD + PATH_SHOW_TAIL + 1 && i == PATH_SHOW_HEAD) {
			fc_buf_addf(b, "...(%zu levels)...", w->depth - PATH_SHOW_HEAD - PATH_SHOW_TAIL);
			i = w->depth - PATH_SHOW_TAIL - 1;
			continue;
		}
		add_seg(b, &w->path[i]);
	}
}

/*
 * The value an error is about, for callers that map values back to source positions: jansson shares one null,
 * true and false among all documents, so for those the innermost enclosing value is the best we can name.
 */
static const json_t *distinct_node(const struct walk *w, const json_t *at)
{
	size_t i = w->depth;

	if (at && !json_is_null(at) && !json_is_boolean(at))
		return at;
	while (i--) {
		const json_t *n = w->path[i].node;

		if (n && !json_is_null(n) && !json_is_boolean(n))
			return n;
	}
	return NULL;
}

static int fail(struct walk *w, const json_t *at, int code, const char *fmt, ...) FC_PRINTF(4, 5);
static int fail(struct walk *w, const json_t *at, int code, const char *fmt, ...)
{
	struct fc_buf msg = FC_BUF_INIT;
	va_list ap;

	format_path(w, &msg);
	fc_buf_adds(&msg, ": ");
	va_start(ap, fmt);
	fc_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	fc_err_set(w->err, code, "%s", msg.buf);
	fc_buf_release(&msg);
	w->bad = distinct_node(w, at);
	return code;
}

static int push_key(struct walk *w, const json_t *at, const char *key, size_t keylen)
{
	if (w->depth >= FC_PBJSON_MAX_DEPTH)
		return fail(w, at, FC_ELIMIT, "nesting deeper than %d levels", FC_PBJSON_MAX_DEPTH);
	w->path[w->depth].key = key;
	w->path[w->depth].keylen = keylen;
	w->path[w->depth].index = 0;
	w->path[w->depth].node = at;
	w->depth++;
	return FC_OK;
}

static int push_index(struct walk *w, const json_t *at, size_t index)
{
	if (w->depth >= FC_PBJSON_MAX_DEPTH)
		return fail(w, at, FC_ELIMIT, "nesting deeper than %d levels", FC_PBJSON_MAX_DEPTH);
	w->path[w->depth].key = NULL;
	w->path[w->depth].keylen = 0;
	w->path[w->depth].index = index;
	w->path[w->depth].node = at;
	w->depth++;
	return FC_OK;
}

static void pop(struct walk *w)
{
	w->depth--;
}

static const char *json_kind(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER:
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "a value";
}

static const char *type_name(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32: return "int32";
	case PROTOBUF_C_TYPE_SINT32: return "sint32";
	case PROTOBUF_C_TYPE_SFIXED32: return "sfixed32";
	case PROTOBUF_C_TYPE_INT64: return "int64";
	case PROTOBUF_C_TYPE_SINT64: return "sint64";
	case PROTOBUF_C_TYPE_SFIXED64: return "sfixed64";
	case PROTOBUF_C_TYPE_UINT32: return "uint32";
	case PROTOBUF_C_TYPE_FIXED32: return "fixed32";
	case PROTOBUF_C_TYPE_UINT64: return "uint64";
	case PROTOBUF_C_TYPE_FIXED64: return "fixed64";
	case PROTOBUF_C_TYPE_FLOAT: return "float";
	case PROTOBUF_C_TYPE_DOUBLE: return "double";
	case PROTOBUF_C_TYPE_BOOL: return "bool";
	case PROTOBUF_C_TYPE_ENUM: return ((const ProtobufCEnumDescriptor *)f->descriptor)->name;
	case PROTOBUF_C_TYPE_STRING: return "string";
	case PROTOBUF_C_TYPE_BYTES: return "bytes";
	case PROTOBUF_C_TYPE_MESSAGE: return ((const ProtobufCMessageDescriptor *)f->descriptor)->name;
	}
	return "value";
}

/* --- descriptors ------------------------------------------------------------------------------------------- */

static char ascii_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* protoc's ToJsonName: drop underscores, upper-case the letter after each. */
static void json_name(const char *proto_name, struct fc_buf *out)
{
	bool cap = false;

	fc_buf_reset(out);
	for (; *proto_name; proto_name++) {
		if (*proto_name == '_') {
			cap = true;
			continue;
		}
		fc_buf_addch(out, cap ? ascii_upper(*proto_name) : *proto_name);
		cap = false;
	}
}

static bool json_name_equals(const char *proto_name, const char *key, size_t keylen)
{
	bool cap = false;
	size_t i = 0;

	for (; *proto_name; proto_name++) {
		char c;

		if (*proto_name == '_') {
			cap = true;
			continue;
		}
		c = cap ? ascii_upper(*proto_name) : *proto_name;
		cap = false;
		if (i >= keylen || key[i] != c)
			return false;
		i++;
	}
	return i == keylen;
}

static const ProtobufCFieldDescriptor *find_field(const ProtobufCMessageDescriptor *d, const char *key,
						  size_t keylen)
{
	const ProtobufCFieldDescriptor *f;
	unsigned i;

	if (strlen(key) != keylen)
		return NULL;
	for (i = 0; i < d->n_fields; i++)
		if (json_name_equals(d->fields[i].name, key, keylen))
			return &d->fields[i];
	f = protobuf_c_message_descriptor_get_field_by_name(d, key);
	return f;
}

/*
 * A map field is a repeated message field whose type is the nested "<FieldName>Entry" message protoc generates,
 * with key = 1 and value = 2 (protobuf-c keeps no map_entry option, so this is what we can see).
 */
static bool is_map_field(const ProtobufCMessageDescriptor *parent, const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *e;
	size_t plen;
	const char *p, *n;
	bool cap = true;

	if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE)
		return false;
	e = f->descriptor;
	if (e->n_fields != 2 || e->fields[0].id != 1 || e->fields[1].id != 2 || strcmp(e->fields[0].name, "key") ||
	    strcmp(e->fields[1].name, "value") || e->fields[0].label == PROTOBUF_C_LABEL_REPEATED ||
	    e->fields[1].label == PROTOBUF_C_LABEL_REPEATED)
		return false;
	plen = strlen(parent->name);
	if (strncmp(e->name, parent->name, plen) || e->name[plen] != '.')
		return false;
	n = e->name + plen + 1;
	for (p = f->name; *p; p++) {
		if (*p == '_') {
			cap = true;
			continue;
		}
		if (*n++ != (cap ? ascii_upper(*p) : *p))
			return false;
		cap = false;
	}
	return !strcmp(n, "Entry");
}

static bool is_value_type(const ProtobufCFieldDescriptor *f)
{
	return f->type == PROTOBUF_C_TYPE_MESSAGE && f->descriptor == &google__protobuf__value__descriptor;
}

static bool is_null_enum(const ProtobufCFieldDescriptor *f)
{
	return f->type == PROTOBUF_C_TYPE_ENUM && f->descriptor == &google__protobuf__null_value__descriptor;
}

static void *member_at(const ProtobufCMessage *m, unsigned offset)
{
	return (char *)m + offset;
}

/* --- allocation -------------------------------------------------------------------------------------------- */

static void *sys_alloc(void *data, size_t size)
{
	(void)data;
	return malloc(size ? size : 1);
}

static void sys_free(void *data, void *ptr)
{
	(void)data;
	free(ptr);
}

/* Compatible with protobuf-c's own default, so protobuf_c_message_free_unpacked(msg, NULL) works too. */
static ProtobufCAllocator sys_allocator = {sys_alloc, sys_free, NULL};

static int alloc_zeroed(struct walk *w, const json_t *at, size_t size, void **out)
{
	void *p = w->alloc->alloc(w->alloc->allocator_data, size ? size : 1);

	*out = p;
	if (!p)
		return fail(w, at, FC_ELIMIT, "out of memory allocating %zu bytes", size);
	memset(p, 0, size ? size : 1);
	return FC_OK;
}

static int new_message(struct walk *w, const json_t *at, const ProtobufCMessageDescriptor *d,
		       ProtobufCMessage **out)
{
	void *p;
	int rc = alloc_zeroed(w, at, d->sizeof_message, &p);

	if (rc)
		return rc;
	protobuf_c_message_init(d, p);
	*out = p;
	return FC_OK;
}

static int copy_string(struct walk *w, const json_t *at, const char *s, size_t len, char **out)
{
	void *p;
	int rc = alloc_zeroed(w, at, len + 1, &p);

	if (rc)
		return rc;
	memcpy(p, s, len);
	*out = p;
	return FC_OK;
}

/* --- decoding: numbers ------------------------------------------------------------------------------------- */

/* JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?; `*integral` when no fraction/exponent. */
static bool is_json_number(const char *s, size_t len, bool *integral)
{
	size_t i = 0;

	*integral = true;
	if (i < len && s[i] == '-')
		i++;
	if (i >= len || s[i] < '0' || s[i] > '9')
		return false;
	if (s[i] == '0')
		i++;
	else
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
	if (i < len && s[i] == '.') {
		*integral = false;
		if (++i >= len || s[i] < '0' || s[i] > '9')
			return false;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		*integral = false;
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= len || s[i] < '0' || s[i] > '9')
			return false;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return i == len;
}

/* An integer as sign and magnitude, so that the whole int64 and uint64 ranges fit. */
struct bigint {
	bool neg;
	uint64_t mag;
};

static bool bigint_from_double(double d, struct bigint *out)
{
	if (!isfinite(d) || d != trunc(d) || fabs(d) >= 18446744073709551616.0)
		return false;
	out->neg = d < 0;
	out->mag = (uint64_t)fabs(d);
	if (!out->mag)
		out->neg = false;
	return true;
}

/* Parse an integer given as a JSON number or a string. Returns false with `*why` set. */
static bool get_bigint(const json_t *v, bool allow_string, struct bigint *out, const char **why)
{
	*why = "not an integer";
	if (json_is_integer(v)) {
		json_int_t x = json_integer_value(v);

		out->neg = x < 0;
		out->mag = x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
		return true;
	}
	if (json_is_real(v))
		return bigint_from_double(json_real_value(v), out);
	if (allow_string && json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t len = json_string_length(v), i;
		bool integral;

		if (!is_json_number(s, len, &integral))
			return false;
		if (!integral) {
			char *end;
			double d = strtod(s, &end);

			return bigint_from_double(d, out);
		}
		out->neg = s[0] == '-';
		out->mag = 0;
		for (i = out->neg; i < len; i++) {
			unsigned digit = (unsigned)(s[i] - '0');

			if (out->mag > (UINT64_MAX - digit) / 10) {
				*why = "out of range";
				return false;
			}
			out->mag = out->mag * 10 + digit;
		}
		if (!out->mag)
			out->neg = false;
		return true;
	}
	return false;
}

/* Short text of a JSON scalar for messages. */
static const char *show_json(struct walk *w, const json_t *v)
{
	char tmp[40];

	char *slot = w->show[w->show_next];

	switch (json_typeof(v)) {
	case JSON_STRING: return show(w, json_string_value(v), json_string_length(v));
	case JSON_INTEGER: snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT, json_integer_value(v)); break;
	case JSON_REAL: fc_pbjson_format_double(json_real_value(v), tmp); break;
	default: snprintf(tmp, sizeof(tmp), "%s", json_kind(v)); break;
	}
	w->show_next ^= 1;
	snprintf(slot, sizeof(w->show[0]), "%s", tmp);
	return slot;
}

static int dec_int(struct walk *w, const json_t *v, const ProtobufCFieldDescriptor *f, bool allow_string,
		   int64_t min, uint64_t max, struct bigint *out)
{
	const char *why;

	if (!json_is_number(v) && !(allow_string && json_is_string(v)))
		return fail(w, v, FC_EINVAL, "expected a number for %s, got %s", type_name(f), json_kind(v));
	if (!get_bigint(v, allow_string, out, &why))
		return fail(w, v, FC_EINVAL, "%s: %s for %s", show_json(w, v), why, type_name(f));
	if (out->neg ? out->mag > (uint64_t)0 - (uint64_t)min : out->mag > max)
		return fail(w, v, FC_EINVAL, "%s is out of range for %s", show_json(w, v), type_name(f));
	return FC_OK;
}

static int64_t bigint_signed(const struct bigint *b)
{
	return b->neg ? (int64_t)((uint64_t)0 - b->mag) : (int64_t)b->mag;
}

static int dec_double(struct walk *w, const json_t *v, const ProtobufCFieldDescriptor *f, double *out)
{
	if (json_is_integer(v)) {
		*out = (double)json_integer_value(v);
		return FC_OK;
	}
	if (json_is_real(v)) {
		*out = json_real_value(v);
		return FC_OK;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t len = json_string_length(v);
		bool integral;

		if (!strcmp(s, "NaN")) {
			*out = NAN;
		} else if (!strcmp(s, "Infinity")) {
			*out = INFINITY;
		} else if (!strcmp(s, "-Infinity")) {
			*out = -INFINITY;
		} else if (is_json_number(s, len, &integral)) {
			*out = strtod(s, NULL);
			if (!isfinite(*out))
				return fail(w, v, FC_EINVAL, "%s is out of range for %s", show(w, s, len),
					    type_name(f));
		} else {
			return fail(w, v, FC_EINVAL, "%s is not a number (nor \"NaN\", \"Infinity\", \"-Infinity\")",
				    show(w, s, len));
		}
		return FC_OK;
	}
	return fail(w, v, FC_EINVAL, "expected a number for %s, got %s", type_name(f), json_kind(v));
}

/* --- decoding: values -------------------------------------------------------------------------------------- */

static int dec_message(struct walk *w, const json_t *j, const ProtobufCMessageDescriptor *d,
		       ProtobufCMessage **slot);
static int dec_fields(struct walk *w, const json_t *obj, ProtobufCMessage *msg, const char *skip_key);

static int dec_enum(struct walk *w, const json_t *v, const ProtobufCFieldDescriptor *f, int *out)
{
	const ProtobufCEnumDescriptor *ed = f->descriptor;

	if (is_null_enum(f) && json_is_null(v)) {
		*out = 0;
		return FC_OK;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		const ProtobufCEnumValue *ev = NULL;

		if (strlen(s) == json_string_length(v))
			ev = protobuf_c_enum_descriptor_get_value_by_name(ed, s);
		if (ev) {
			*out = ev->value;
			return FC_OK;
		}
		if (w->flags & FC_PBJSON_IGNORE_UNKNOWN)
			return SKIPPED;
		return fail(w, v, FC_EINVAL, "unknown enum value %s for %s", show(w, s, json_string_length(v)),
			    ed->name);
	}
	if (json_is_number(v)) {
		struct bigint b;
		int rc = dec_int(w, v, f, false, INT32_MIN, INT32_MAX, &b);

		if (rc)
			return rc;
		*out = (int)bigint_signed(&b);
		return FC_OK;
	}
	return fail(w, v, FC_EINVAL, "expected an enum name (string) for %s, got %s", ed->name, json_kind(v));
}

static int dec_bytes(struct walk *w, const json_t *v, ProtobufCBinaryData *out)
{
	const char *s;
	size_t len, n;
	void *p;
	int rc;

	if (!json_is_string(v))
		return fail(w, v, FC_EINVAL, "expected a base64 string for bytes, got %s", json_kind(v));
	s = json_string_value(v);
	len = json_string_length(v);
	if (!len) {
		out->len = 0;
		out->data = NULL;
		return FC_OK;
	}
	rc = alloc_zeroed(w, v, fc_pbjson_base64_decoded_max(len), &p);
	if (rc)
		return rc;
	out->data = p; /* owned by the message from here on, even if the text turns out bad */
	out->len = 0;
	if (!fc_pbjson_base64_decode(s, len, p, &n))
		return fail(w, v, FC_EINVAL, "invalid base64 %s", show(w, s, len));
	out->len = n;
	return FC_OK;
}

/* Decode one JSON value into the storage of a singular value of field `f` (also used for list elements). */
static int dec_value(struct walk *w, const json_t *v, const ProtobufCFieldDescriptor *f, void *member)
{
	struct bigint b;
	double d;
	int rc;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		rc = dec_int(w, v, f, true, INT32_MIN, INT32_MAX, &b);
		if (!rc)
			*(int32_t *)member = (int32_t)bigint_signed(&b);
		return rc;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		rc = dec_int(w, v, f, true, 0, UINT32_MAX, &b);
		if (!rc)
			*(uint32_t *)member = (uint32_t)b.mag;
		return rc;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		rc = dec_int(w, v, f, true, INT64_MIN, INT64_MAX, &b);
		if (!rc)
			*(int64_t *)member = bigint_signed(&b);
		return rc;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		rc = dec_int(w, v, f, true, 0, UINT64_MAX, &b);
		if (!rc)
			*(uint64_t *)member = b.mag;
		return rc;
	case PROTOBUF_C_TYPE_FLOAT:
		rc = dec_double(w, v, f, &d);
		if (rc)
			return rc;
		if (isfinite(d) && fabs(d) > FLT_MAX)
			return fail(w, v, FC_EINVAL, "%s is out of range for float", show_json(w, v));
		*(float *)member = (float)d;
		return FC_OK;
	case PROTOBUF_C_TYPE_DOUBLE:
		return dec_double(w, v, f, (double *)member);
	case PROTOBUF_C_TYPE_BOOL:
		if (!json_is_boolean(v))
			return fail(w, v, FC_EINVAL, "expected true or false, got %s", json_kind(v));
		*(protobuf_c_boolean *)member = json_is_true(v);
		return FC_OK;
	case PROTOBUF_C_TYPE_ENUM:
		return dec_enum(w, v, f, (int *)member);
	case PROTOBUF_C_TYPE_STRING:
		if (!json_is_string(v))
			return fail(w, v, FC_EINVAL, "expected a string, got %s", json_kind(v));
		if (strlen(json_string_value(v)) != json_string_length(v))
			return fail(w, v, FC_EINVAL, "string contains a NUL character");
		return copy_string(w, v, json_string_value(v), json_string_length(v), (char **)member);
	case PROTOBUF_C_TYPE_BYTES:
		return dec_bytes(w, v, (ProtobufCBinaryData *)member);
	case PROTOBUF_C_TYPE_MESSAGE:
		return dec_message(w, v, f->descriptor, (ProtobufCMessage **)member);
	}
	FC_BUG("unknown protobuf-c type %d", (int)f->type);
}

static int dec_repeated(struct walk *w, const json_t *v, ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
	size_t *count = member_at(msg, f->quantifier_offset);
	void **arrp = member_at(msg, f->offset);
	size_t n, esz = fc_pb_elem_size(f->type), i, kept = 0;
	char *arr;
	int rc;

	if (!json_is_array(v))
		return fail(w, v, FC_EINVAL, "expected an array for repeated %s, got %s", type_name(f), json_kind(v));
	n = json_array_size(v);
	if (!n)
		return FC_OK;
	if (n > SIZE_MAX / esz)
		return fail(w, v, FC_ELIMIT, "array too long");
	rc = alloc_zeroed(w, v, n * esz, (void **)&arr);
	if (rc)
		return rc;
	*arrp = arr;
	*count = n; /* zeroed elements are safe to free */
	for (i = 0; i < n; i++) {
		const json_t *item = json_array_get(v, i);

		rc = push_index(w, item, i);
		if (rc)
			return rc;
		if (json_is_null(item) && !is_value_type(f) && !is_null_enum(f)) {
			rc = fail(w, item, FC_EINVAL, "null is not allowed in a list of %s", type_name(f));
			goto out;
		}
		rc = dec_value(w, item, f, arr + kept * esz);
		if (rc == SKIPPED) {
			memset(arr + kept * esz, 0, esz);
			rc = FC_OK;
		} else if (!rc) {
			kept++;
		}
		pop(w);
		if (rc)
			return rc;
	}
	*count = kept;
	return FC_OK;
out:
	pop(w);
	return rc;
}

/* Map keys are JSON strings holding the key's text form. */
static int dec_map_key(struct walk *w, const json_t *at, const char *key, size_t keylen,
		       const ProtobufCFieldDescriptor *kf, void *member)
{
	bool integral;
	json_t *num;
	int rc;

	switch (kf->type) {
	case PROTOBUF_C_TYPE_STRING:
		if (strlen(key) != keylen)
			return fail(w, at, FC_EINVAL, "map key contains a NUL character");
		return copy_string(w, at, key, keylen, (char **)member);
	case PROTOBUF_C_TYPE_BOOL:
		if (keylen == 4 && !memcmp(key, "true", 4))
			*(protobuf_c_boolean *)member = 1;
		else if (keylen == 5 && !memcmp(key, "false", 5))
			*(protobuf_c_boolean *)member = 0;
		else
			return fail(w, at, FC_EINVAL, "map key %s is not \"true\" or \"false\"", show(w, key, keylen));
		return FC_OK;
	case PROTOBUF_C_TYPE_ENUM:
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
		return fail(w, at, FC_EUNSUPPORTED, "map keys of type %s are not supported", type_name(kf));
	default:
		break;
	}
	if (!is_json_number(key, keylen, &integral) || !integral)
		return fail(w, at, FC_EINVAL, "map key %s is not an integer", show(w, key, keylen));
	num = json_stringn(key, keylen);
	if (!num)
		fc_die_oom(keylen);
	rc = dec_value(w, num, kf, member);
	if (rc)
		w->bad = distinct_node(w, at); /* not `num`, which is gone below */
	json_decref(num);
	return rc;
}

static int dec_map(struct walk *w, const json_t *v, ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *ed = f->descriptor;
	const ProtobufCFieldDescriptor *kf = &ed->fields[0], *vf = &ed->fields[1];
	size_t *count = member_at(msg, f->quantifier_offset);
	ProtobufCMessage ***arrp = member_at(msg, f->offset);
	ProtobufCMessage **arr;
	size_t n, kept = 0;
	void *iter;
	int rc;

	if (!json_is_object(v))
		return fail(w, v, FC_EINVAL, "expected an object for map<%s, %s>, got %s", type_name(kf),
			    type_name(vf), json_kind(v));
	n = json_object_size(v);
	if (!n)
		return FC_OK;
	rc = alloc_zeroed(w, v, n * sizeof(*arr), (void **)&arr);
	if (rc)
		return rc;
	*arrp = arr;
	*count = n;
	for (iter = json_object_iter((json_t *)v); iter; iter = json_object_iter_next((json_t *)v, iter)) {
		const char *key = json_object_iter_key(iter);
		size_t keylen = json_object_iter_key_len(iter);
		const json_t *item = json_object_iter_value(iter);

		rc = push_key(w, item, key, keylen);
		if (rc)
			return rc;
		rc = new_message(w, item, ed, &arr[kept]);
		if (!rc)
			rc = dec_map_key(w, item, key, keylen, kf, member_at(arr[kept], kf->offset));
		if (!rc && json_is_null(item) && !is_value_type(vf) && !is_null_enum(vf))
			rc = fail(w, item, FC_EINVAL, "null is not allowed as a map value");
		if (!rc)
			rc = dec_value(w, item, vf, member_at(arr[kept], vf->offset));
		pop(w);
		if (rc == SKIPPED) {
			protobuf_c_message_free_unpacked(arr[kept], w->alloc);
			arr[kept] = NULL;
			continue;
		}
		if (rc)
			return rc;
		kept++;
	}
	*count = kept;
	return FC_OK;
}

static int dec_field(struct walk *w, const json_t *v, ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
	void *member = member_at(msg, f->offset);
	int rc;

	if (json_is_null(v) && !is_value_type(f) && !is_null_enum(f))
		return FC_OK; /* null means "not set" */
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		if (is_map_field(msg->descriptor, f))
			return dec_map(w, v, msg, f);
		return dec_repeated(w, v, msg, f);
	}
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		uint32_t *oneof_case = member_at(msg, f->quantifier_offset);

		if (*oneof_case && *oneof_case != f->id) {
			const ProtobufCFieldDescriptor *other =
				protobuf_c_message_descriptor_get_field(msg->descriptor, *oneof_case);

			return fail(w, v, FC_EINVAL, "\"%s\" and \"%s\" are members of one oneof: set only one",
				    other ? other->name : "?", f->name);
		}
		*oneof_case = f->id; /* before the member, so a partial member is freed */
		rc = dec_value(w, v, f, member);
		if (rc == SKIPPED) {
			*oneof_case = 0;
			rc = FC_OK;
		}
		return rc;
	}
	rc = dec_value(w, v, f, member);
	if (rc == SKIPPED)
		return FC_OK;
	if (!rc && f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_STRING &&
	    f->type != PROTOBUF_C_TYPE_MESSAGE)
		*(protobuf_c_boolean *)member_at(msg, f->quantifier_offset) = 1;
	return rc;
}

/* Decode the members of JSON object `obj` into `msg`, skipping key `skip_key` (Any's "@type"). */
static int dec_fields(struct walk *w, const json_t *obj, ProtobufCMessage *msg, const char *skip_key)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	uint64_t seen_small[8] = {0};
	uint64_t *seen = seen_small;
	void *iter;
	unsigned i;
	int rc = FC_OK;

	if (d->n_fields > 64 * FC_ARRAY_LEN(seen_small))
		seen = fc_xcalloc((d->n_fields + 63) / 64, sizeof(*seen));
	for (iter = json_object_iter((json_t *)obj); iter; iter = json_object_iter_next((json_t *)obj, iter)) {
		const char *key = json_object_iter_key(iter);
		size_t keylen = json_object_iter_key_len(iter);
		const json_t *v = json_object_iter_value(iter);
		const ProtobufCFieldDescriptor *f;
		size_t idx;

		if (skip_key && !strcmp(key, skip_key))
			continue;
		rc = push_key(w, v, key, keylen);
		if (rc)
			goto out;
		f = find_field(d, key, keylen);
		if (!f) {
			if (!(w->flags & FC_PBJSON_IGNORE_UNKNOWN)) {
				rc = fail(w, v, FC_EINVAL, "unknown field %s in %s", show(w, key, keylen), d->name);
				goto out;
			}
			pop(w);
			continue;
		}
		idx = (size_t)(f - d->fields);
		if (seen[idx / 64] >> (idx % 64) & 1) {
			rc = fail(w, v, FC_EINVAL, "field \"%s\" given twice (under its JSON and its proto name)",
				  f->name);
			goto out;
		}
		seen[idx / 64] |= (uint64_t)1 << (idx % 64);
		rc = dec_field(w, v, msg, f);
		pop(w);
		if (rc)
			goto out;
	}
	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];

		if (f->label == PROTOBUF_C_LABEL_REQUIRED && !(seen[i / 64] >> (i % 64) & 1) && !f->default_value) {
			rc = fail(w, obj, FC_EINVAL, "missing required field \"%s\" of %s", f->name, d->name);
			goto out;
		}
	}
out:
	if (seen != seen_small)
		free(seen);
	return rc;
}

/* --- decoding: well-known types ---------------------------------------------------------------------------- */

static int dec_time_text(struct walk *w, const json_t *v, ProtobufCMessage *msg, bool is_timestamp)
{
	struct fc_err e;
	int64_t seconds;
	int32_t nanos;
	int rc;

	if (!json_is_string(v))
		return fail(w, v, FC_EINVAL, "expected a string for %s, got %s", msg->descriptor->name,
			    json_kind(v));
	fc_err_clear(&e);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail(w, v, FC_EINVAL, "%s contains a NUL character", msg->descriptor->name);
	if (is_timestamp)
		rc = fc_pbjson_timestamp_parse(json_string_value(v), &seconds, &nanos, &e);
	else
		rc = fc_pbjson_duration_parse(json_string_value(v), &seconds, &nanos, &e);
	if (rc)
		return fail(w, v, rc, "%s", e.msg);
	if (is_timestamp) {
		((Google__Protobuf__Timestamp *)msg)->seconds = seconds;
		((Google__Protobuf__Timestamp *)msg)->nanos = nanos;
	} else {
		((Google__Protobuf__Duration *)msg)->seconds = seconds;
		((Google__Protobuf__Duration *)msg)->nanos = nanos;
	}
	return FC_OK;
}

static int dec_value_wkt(struct walk *w, const json_t *v, Google__Protobuf__Value *val)
{
	switch (json_typeof(v)) {
	case JSON_NULL:
		val->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
		val->null_value = GOOGLE__PROTOBUF__NULL_VALUE__NULL_VALUE;
		return FC_OK;
	case JSON_TRUE:
	case JSON_FALSE:
		val->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE;
		val->bool_value = json_is_true(v);
		return FC_OK;
	case JSON_INTEGER:
	case JSON_REAL:
		val->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE;
		val->number_value = json_number_value(v);
		return FC_OK;
	case JSON_STRING:
		if (strlen(json_string_value(v)) != json_string_length(v))
			return fail(w, v, FC_EINVAL, "string contains a NUL character");
		val->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
		val->string_value = NULL;
		return copy_string(w, v, json_string_value(v), json_string_length(v), &val->string_value);
	case JSON_OBJECT:
		val->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE;
		val->struct_value = NULL;
		return dec_message(w, v, &google__protobuf__struct__descriptor,
				   (ProtobufCMessage **)&val->struct_value);
	case JSON_ARRAY:
		val->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE;
		val->list_value = NULL;
		return dec_message(w, v, &google__protobuf__list_value__descriptor,
				   (ProtobufCMessage **)&val->list_value);
	}
	return fail(w, v, FC_EINVAL, "unexpected JSON value");
}

/* Unknown members of a JSON object standing for a well-known type (other than `a` and `b`). */
static int check_only_keys(struct walk *w, const json_t *obj, const char *what, const char *a, const char *b)
{
	void *iter;

	if (w->flags & FC_PBJSON_IGNORE_UNKNOWN)
		return FC_OK;
	for (iter = json_object_iter((json_t *)obj); iter; iter = json_object_iter_next((json_t *)obj, iter)) {
		const char *key = json_object_iter_key(iter);
		size_t keylen = json_object_iter_key_len(iter);
		int rc;

		if ((a && !strcmp(key, a)) || (b && !strcmp(key, b)))
			continue;
		rc = push_key(w, json_object_iter_value(iter), key, keylen);
		if (rc)
			return rc;
		return fail(w, json_object_iter_value(iter), FC_EINVAL, "unknown field %s in %s", show(w, key, keylen),
			    what);
	}
	return FC_OK;
}

static int dec_any(struct walk *w, const json_t *v, Google__Protobuf__Any *any)
{
	const ProtobufCMessageDescriptor *d;
	const json_t *type, *inner_json;
	ProtobufCMessage *inner = NULL;
	const char *url, *name;
	size_t size;
	struct fc_buf bytes = FC_BUF_INIT;
	void *packed;
	int rc;

	if (!json_is_object(v))
		return fail(w, v, FC_EINVAL, "expected an object for google.protobuf.Any, got %s", json_kind(v));
	type = json_object_get(v, "@type");
	if (!type) {
		if (!json_object_size(v))
			return FC_OK;
		return fail(w, v, FC_EINVAL, "google.protobuf.Any without \"@type\"");
	}
	if (!json_is_string(type) || strlen(json_string_value(type)) != json_string_length(type))
		return fail(w, type, FC_EINVAL, "\"@type\" of google.protobuf.Any must be a string");
	url = json_string_value(type);
	name = strrchr(url, '/');
	name = name ? name + 1 : url;
	d = fc_pbjson_lookup(name);
	if (!d)
		return fail(w, type, FC_EINVAL,
			    "google.protobuf.Any: message type %s is unknown (not registered with fc_pbjson_register)",
			    show(w, name, strlen(name)));
	if (w->any_depth >= ANY_MAX_DEPTH)
		return fail(w, v, FC_ELIMIT, "google.protobuf.Any nested deeper than %d levels", ANY_MAX_DEPTH);
	w->any_depth++;
	rc = copy_string(w, type, url, strlen(url), &any->type_url);
	if (rc)
		goto out;
	if (wkt_of(d) != WKT_NONE) {
		rc = check_only_keys(w, v, "google.protobuf.Any", "@type", "value");
		if (rc)
			goto out;
		inner_json = json_object_get(v, "value");
		if (!inner_json) {
			rc = new_message(w, v, d, &inner);
		} else {
			rc = push_key(w, inner_json, "value", 5);
			if (rc)
				goto out;
			rc = dec_message(w, inner_json, d, &inner);
			if (!rc)
				pop(w);
		}
	} else {
		rc = new_message(w, v, d, &inner);
		if (!rc)
			rc = dec_fields(w, v, inner, "@type");
	}
	if (rc)
		goto out;
	size = fc_pb_pack(inner, &bytes);
	rc = alloc_zeroed(w, v, size, &packed);
	if (rc)
		goto out;
	if (size)
		memcpy(packed, bytes.buf, size);
	any->value.data = packed;
	any->value.len = size;
out:
	fc_buf_release(&bytes);
	w->any_depth--;
	if (inner)
		protobuf_c_message_free_unpacked(inner, w->alloc);
	return rc;
}

static int dec_wkt(struct walk *w, const json_t *v, enum wkt kind, ProtobufCMessage *msg)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;

	switch (kind) {
	case WKT_TIMESTAMP:
		return dec_time_text(w, v, msg, true);
	case WKT_DURATION:
		return dec_time_text(w, v, msg, false);
	case WKT_WRAPPER:
		if (json_is_null(v))
			return fail(w, v, FC_EINVAL, "null is not a %s", d->name);
		return dec_value(w, v, &d->fields[0], member_at(msg, d->fields[0].offset));
	case WKT_EMPTY:
		if (!json_is_object(v))
			return fail(w, v, FC_EINVAL, "expected an object for %s, got %s", d->name, json_kind(v));
		return check_only_keys(w, v, d->name, NULL, NULL);
	case WKT_STRUCT:
		if (!json_is_object(v))
			return fail(w, v, FC_EINVAL, "expected an object for %s, got %s", d->name, json_kind(v));
		return dec_map(w, v, msg, &d->fields[0]);
	case WKT_LIST:
		if (!json_is_array(v))
			return fail(w, v, FC_EINVAL, "expected an array for %s, got %s", d->name, json_kind(v));
		return dec_repeated(w, v, msg, &d->fields[0]);
	case WKT_VALUE:
		return dec_value_wkt(w, v, (Google__Protobuf__Value *)msg);
	case WKT_ANY:
		return dec_any(w, v, (Google__Protobuf__Any *)msg);
	case WKT_NONE:
		break;
	}
	FC_BUG("not a well-known type: %s", d->name);
}

static int dec_message(struct walk *w, const json_t *j, const ProtobufCMessageDescriptor *d,
		       ProtobufCMessage **slot)
{
	enum wkt kind = wkt_of(d);
	int rc = new_message(w, j, d, slot);

	if (rc)
		return rc;
	if (kind != WKT_NONE)
		return dec_wkt(w, j, kind, *slot);
	if (!json_is_object(j))
		return fail(w, j, FC_EINVAL, "expected an object for %s, got %s", d->name, json_kind(j));
	return dec_fields(w, j, *slot, NULL);
}

int fc_pbjson_decode_at(const json_t *json, const ProtobufCMessageDescriptor *desc, ProtobufCAllocator *alloc,
			unsigned flags, ProtobufCMessage **out, const json_t **bad, struct fc_err *err)
{
	struct walk *w = fc_xcalloc(1, sizeof(*w));
	ProtobufCMessage *msg = NULL;
	int rc;

	*out = NULL;
	if (bad)
		*bad = NULL;
	w->flags = flags;
	w->alloc = alloc ? alloc : &sys_allocator;
	w->err = err;
	if (!json || !desc || desc->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC) {
		rc = fc_err_set(err, FC_EINVAL, "fc_pbjson_decode: no JSON or no message descriptor");
		goto out;
	}
	rc = dec_message(w, json, desc, &msg);
	if (rc) {
		if (msg)
			protobuf_c_message_free_unpacked(msg, w->alloc);
		if (bad)
			*bad = w->bad;
		goto out;
	}
	*out = msg;
out:
	free(w);
	return rc;
}

int fc_pbjson_decode(const json_t *json, const ProtobufCMessageDescriptor *desc, ProtobufCAllocator *alloc,
		     unsigned flags, ProtobufCMessage **out, struct fc_err *err)
{
	return fc_pbjson_decode_at(json, desc, alloc, flags, out, NULL, err);
}

int fc_pbjson_decode_text(const char *text, size_t len, const ProtobufCMessageDescriptor *desc,
			  ProtobufCAllocator *alloc, unsigned flags, ProtobufCMessage **out, struct fc_err *err)
{
	json_error_t jerr;
	json_t *json;
	int rc;

	*out = NULL;
	if (len > FC_PBJSON_MAX_TEXT)
		return fc_err_set(err, FC_ELIMIT, "$: JSON text of %zu bytes is larger than the limit of %zu bytes",
				  len, FC_PBJSON_MAX_TEXT);
	json = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!json)
		return fc_err_set(err, FC_EPARSE, "$: invalid JSON at line %d, column %d: %s", jerr.line, jerr.column,
				  jerr.text);
	rc = fc_pbjson_decode(json, desc, alloc, flags, out, err);
	json_decref(json);
	return rc;
}

/* --- encoding ---------------------------------------------------------------------------------------------- */

static json_t *must(json_t *j)
{
	if (!j)
		fc_die_oom(0);
	return j;
}

static int enc_message(struct walk *w, const ProtobufCMessage *m, json_t **out);

static int enc_string(struct walk *w, const char *s, json_t **out)
{
	if (!s)
		s = "";
	*out = json_stringn(s, strlen(s));
	if (!*out)
		return fail(w, NULL, FC_EINVAL, "string is not valid UTF-8");
	return FC_OK;
}

/* A default instance of `d`, encoded: for NULL elements of lists and maps. */
static int enc_default(struct walk *w, const ProtobufCMessageDescriptor *d, json_t **out)
{
	ProtobufCMessage *m = fc_xcalloc(1, d->sizeof_message);
	int rc;

	protobuf_c_message_init(d, m);
	rc = enc_message(w, m, out);
	free(m);
	return rc;
}

/*
 * A finite number as the JSON value a reader of our text gets back: integral values that print without an
 * exponent are integers (Go writes 1.0 as "1", which jansson reads as an integer), so the value compares equal
 * (json_equal) to Go's output parsed by jansson, and jansson's own dump prints it as Go does.
 */
static json_t *number_json(double v)
{
	if (v == trunc(v) && fabs(v) < 9223372036854775808.0 && !(v == 0 && signbit(v)))
		return must(json_integer((json_int_t)v));
	return must(json_real(v));
}

static json_t *enc_floating(double v, bool single)
{
	char text[32];

	if (isnan(v))
		return must(json_string("NaN"));
	if (isinf(v))
		return must(json_string(v > 0 ? "Infinity" : "-Infinity"));
	if (!single)
		return number_json(v);
	/* Store the float's shortest text as a double, so that it prints as Go prints a float32. */
	fc_pbjson_format_float((float)v, text);
	return number_json(strtod(text, NULL));
}

static int enc_value(struct walk *w, const ProtobufCFieldDescriptor *f, const void *member, json_t **out)
{
	char num[32];

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		*out = must(json_integer(*(const int32_t *)member));
		return FC_OK;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		*out = must(json_integer(*(const uint32_t *)member));
		return FC_OK;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		snprintf(num, sizeof(num), "%" PRId64, *(const int64_t *)member);
		*out = must(json_string(num));
		return FC_OK;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		snprintf(num, sizeof(num), "%" PRIu64, *(const uint64_t *)member);
		*out = must(json_string(num));
		return FC_OK;
	case PROTOBUF_C_TYPE_FLOAT:
		*out = enc_floating(*(const float *)member, true);
		return FC_OK;
	case PROTOBUF_C_TYPE_DOUBLE:
		*out = enc_floating(*(const double *)member, false);
		return FC_OK;
	case PROTOBUF_C_TYPE_BOOL:
		*out = must(json_boolean(*(const protobuf_c_boolean *)member));
		return FC_OK;
	case PROTOBUF_C_TYPE_ENUM: {
		int value = *(const int *)member;
		const ProtobufCEnumValue *ev;

		if (is_null_enum(f)) {
			*out = must(json_null());
			return FC_OK;
		}
		ev = protobuf_c_enum_descriptor_get_value(f->descriptor, value);
		*out = must(ev ? json_string(ev->name) : json_integer(value));
		return FC_OK;
	}
	case PROTOBUF_C_TYPE_STRING:
		return enc_string(w, *(char *const *)member, out);
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *bd = member;
		struct fc_buf b = FC_BUF_INIT;

		if (bd->len)
			fc_pbjson_base64_encode(bd->data, bd->len, &b);
		*out = must(json_stringn(b.buf, b.len));
		fc_buf_release(&b);
		return FC_OK;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *)member;

		if (!sub)
			return enc_default(w, f->descriptor, out);
		return enc_message(w, sub, out);
	}
	}
	FC_BUG("unknown protobuf-c type %d", (int)f->type);
}

static int enc_repeated(struct walk *w, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, json_t **out)
{
	size_t n = *(const size_t *)member_at(m, f->quantifier_offset), i, esz = fc_pb_elem_size(f->type);
	const char *arr = *(char *const *)member_at(m, f->offset);
	json_t *list = must(json_array());
	int rc = FC_OK;

	for (i = 0; i < n && arr; i++) {
		json_t *item;

		rc = push_index(w, NULL, i);
		if (rc)
			break;
		rc = enc_value(w, f, arr + i * esz, &item);
		pop(w);
		if (rc)
			break;
		json_array_append_new(list, item);
	}
	if (rc) {
		json_decref(list);
		return rc;
	}
	*out = list;
	return FC_OK;
}

struct map_item {
	const ProtobufCMessage *entry;
	size_t index; /* sorting keeps later entries after earlier ones with the same key: the last one wins */
	int kind;     /* 0 string, 1 signed, 2 unsigned, 3 bool */
	const char *s;
	int64_t i;
	uint64_t u;
};

static int map_item_cmp(const void *pa, const void *pb)
{
	const struct map_item *a = pa, *b = pb;
	int c = 0;

	switch (a->kind) {
	case 0: c = strcmp(a->s, b->s); break;
	case 1: c = (a->i > b->i) - (a->i < b->i); break;
	default: c = (a->u > b->u) - (a->u < b->u); break;
	}
	if (c)
		return c;
	return (a->index > b->index) - (a->index < b->index);
}

static int enc_map(struct walk *w, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, json_t **out)
{
	const ProtobufCMessageDescriptor *ed = f->descriptor;
	const ProtobufCFieldDescriptor *kf = &ed->fields[0], *vf = &ed->fields[1];
	size_t n = *(const size_t *)member_at(m, f->quantifier_offset), i, k = 0;
	ProtobufCMessage *const *entries = *(ProtobufCMessage *const *const *)member_at(m, f->offset);
	struct map_item *items = NULL;
	json_t *obj = must(json_object());
	int rc = FC_OK;

	if (n && entries)
		items = fc_xcalloc(n, sizeof(*items));
	for (i = 0; i < n && entries; i++) {
		const ProtobufCMessage *e = entries[i];
		const void *key;
		struct map_item *it = &items[k];

		if (!e)
			continue;
		key = member_at(e, kf->offset);
		it->entry = e;
		it->index = i;
		switch (kf->type) {
		case PROTOBUF_C_TYPE_STRING:
			it->kind = 0;
			it->s = *(char *const *)key ? *(char *const *)key : "";
			break;
		case PROTOBUF_C_TYPE_INT32:
		case PROTOBUF_C_TYPE_SINT32:
		case PROTOBUF_C_TYPE_SFIXED32:
			it->kind = 1;
			it->i = *(const int32_t *)key;
			break;
		case PROTOBUF_C_TYPE_INT64:
		case PROTOBUF_C_TYPE_SINT64:
		case PROTOBUF_C_TYPE_SFIXED64:
			it->kind = 1;
			it->i = *(const int64_t *)key;
			break;
		case PROTOBUF_C_TYPE_UINT32:
		case PROTOBUF_C_TYPE_FIXED32:
			it->kind = 2;
			it->u = *(const uint32_t *)key;
			break;
		case PROTOBUF_C_TYPE_UINT64:
		case PROTOBUF_C_TYPE_FIXED64:
			it->kind = 2;
			it->u = *(const uint64_t *)key;
			break;
		case PROTOBUF_C_TYPE_BOOL:
			it->kind = 3;
			it->u = *(const protobuf_c_boolean *)key != 0;
			break;
		default:
			rc = fail(w, NULL, FC_EUNSUPPORTED, "map keys of type %s are not supported", type_name(kf));
			goto out;
		}
		k++;
	}
	if (k > 1 && (w->flags & FC_PBJSON_SORT_MAPS))
		qsort(items, k, sizeof(*items), map_item_cmp);
	for (i = 0; i < k; i++) {
		const struct map_item *it = &items[i];
		char text[32];
		const char *keytext = text;
		json_t *val;

		switch (it->kind) {
		case 0: keytext = it->s; break;
		case 1: snprintf(text, sizeof(text), "%" PRId64, it->i); break;
		case 2: snprintf(text, sizeof(text), "%" PRIu64, it->u); break;
		default: snprintf(text, sizeof(text), "%s", it->u ? "true" : "false"); break;
		}
		rc = push_key(w, NULL, keytext, strlen(keytext));
		if (rc)
			goto out;
		rc = enc_value(w, vf, member_at(it->entry, vf->offset), &val);
		if (!rc && json_object_set_new(obj, keytext, val))
			rc = fail(w, NULL, FC_EINVAL, "map key is not valid UTF-8");
		pop(w);
		if (rc)
			goto out;
	}
out:
	free(items);
	if (rc) {
		json_decref(obj);
		return rc;
	}
	*out = obj;
	return FC_OK;
}

static bool is_zeroish(const ProtobufCFieldDescriptor *f, const void *member)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return *(const uint32_t *)member == 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return *(const uint64_t *)member == 0;
	case PROTOBUF_C_TYPE_FLOAT: return *(const float *)member == 0;
	case PROTOBUF_C_TYPE_DOUBLE: return *(const double *)member == 0;
	case PROTOBUF_C_TYPE_BOOL: return !*(const protobuf_c_boolean *)member;
	case PROTOBUF_C_TYPE_ENUM: return *(const int *)member == 0;
	case PROTOBUF_C_TYPE_STRING: return !*(char *const *)member || !**(char *const *)member;
	case PROTOBUF_C_TYPE_BYTES: return ((const ProtobufCBinaryData *)member)->len == 0;
	case PROTOBUF_C_TYPE_MESSAGE: return !*(ProtobufCMessage *const *)member;
	}
	return false;
}

enum presence { ABSENT, PRESENT, EMIT_NULL };

/* Whether field `f` of `m` is written, following protobuf-c's own rules for what it would serialize. */
static enum presence field_presence(const struct walk *w, const ProtobufCMessage *m,
				    const ProtobufCFieldDescriptor *f)
{
	const void *member = member_at(m, f->offset);
	bool emit_defaults = w->flags & FC_PBJSON_EMIT_DEFAULTS;

	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const size_t *)member_at(m, f->quantifier_offset) || emit_defaults ? PRESENT : ABSENT;
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		if (*(const uint32_t *)member_at(m, f->quantifier_offset) != f->id)
			return ABSENT;
		if ((f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING) &&
		    !*(void *const *)member)
			return ABSENT;
		return PRESENT;
	}
	if (f->label == PROTOBUF_C_LABEL_REQUIRED)
		return PRESENT;
	if (f->type == PROTOBUF_C_TYPE_MESSAGE)
		return *(void *const *)member ? PRESENT : emit_defaults ? EMIT_NULL : ABSENT;
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL) {
		if (f->type == PROTOBUF_C_TYPE_STRING) {
			const void *s = *(void *const *)member;

			return s && s != f->default_value ? PRESENT : emit_defaults ? EMIT_NULL : ABSENT;
		}
		return *(const protobuf_c_boolean *)member_at(m, f->quantifier_offset) ? PRESENT
		       : emit_defaults ? EMIT_NULL : ABSENT;
	}
	return !is_zeroish(f, member) || emit_defaults ? PRESENT : ABSENT;
}

static int enc_fields(struct walk *w, const ProtobufCMessage *m, json_t **out)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	struct fc_buf name = FC_BUF_INIT;
	json_t *obj = must(json_object());
	unsigned i;
	int rc = FC_OK;

	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		enum presence p = field_presence(w, m, f);
		json_t *val = NULL;

		if (p == ABSENT)
			continue;
		json_name(f->name, &name);
		rc = push_key(w, NULL, name.buf, name.len);
		if (rc)
			break;
		if (p == EMIT_NULL)
			val = must(json_null());
		else if (f->label != PROTOBUF_C_LABEL_REPEATED)
			rc = enc_value(w, f, member_at(m, f->offset), &val);
		else if (is_map_field(d, f))
			rc = enc_map(w, m, f, &val);
		else
			rc = enc_repeated(w, m, f, &val);
		pop(w);
		if (rc)
			break;
		json_object_set_new(obj, name.buf, val);
	}
	fc_buf_release(&name);
	if (rc) {
		json_decref(obj);
		return rc;
	}
	*out = obj;
	return FC_OK;
}

/*
 * Whether `len` bytes are a message of type `d` nested no deeper than `depth_left`: protobuf-c's unpacker
 * recurses once per level, so bytes from an Any are checked before it sees them.
 */
static bool wire_depth_ok(const uint8_t *data, size_t len, const ProtobufCMessageDescriptor *d, size_t depth_left)
{
	size_t at = 0;

	if (!depth_left)
		return false;
	while (at < len) {
		uint64_t key = 0, n = 0;
		unsigned shift = 0;
		const ProtobufCFieldDescriptor *f;

		do {
			if (at >= len || shift > 63)
				return false;
			key |= (uint64_t)(data[at] & 0x7f) << shift;
			shift += 7;
		} while (data[at++] & 0x80);
		switch (key & 7) {
		case 0:
			do {
				if (at >= len)
					return false;
			} while (data[at++] & 0x80);
			break;
		case 1:
			if (len - at < 8)
				return false;
			at += 8;
			break;
		case 5:
			if (len - at < 4)
				return false;
			at += 4;
			break;
		case 2:
			shift = 0;
			do {
				if (at >= len || shift > 63)
					return false;
				n |= (uint64_t)(data[at] & 0x7f) << shift;
				shift += 7;
			} while (data[at++] & 0x80);
			if (n > len - at)
				return false;
			f = key >> 3 <= UINT32_MAX ? protobuf_c_message_descriptor_get_field(d, (unsigned)(key >> 3))
						   : NULL;
			if (f && f->type == PROTOBUF_C_TYPE_MESSAGE &&
			    !wire_depth_ok(data + at, (size_t)n, f->descriptor, depth_left - 1))
				return false;
			at += (size_t)n;
			break;
		default:
			return false;
		}
	}
	return true;
}

static int enc_any(struct walk *w, const Google__Protobuf__Any *any, json_t **out)
{
	const char *url = any->type_url ? any->type_url : "", *name;
	const ProtobufCMessageDescriptor *d;
	ProtobufCMessage *inner;
	json_t *inner_json = NULL, *obj;
	int rc;

	if (!*url && !any->value.len) {
		*out = must(json_object());
		return FC_OK;
	}
	name = strrchr(url, '/');
	name = name ? name + 1 : url;
	d = fc_pbjson_lookup(name);
	if (!d)
		return fail(w, NULL, FC_EINVAL,
			    "google.protobuf.Any: message type %s is unknown (not registered with fc_pbjson_register)",
			    show(w, name, strlen(name)));
	if (w->any_depth >= ANY_MAX_DEPTH)
		return fail(w, NULL, FC_ELIMIT, "google.protobuf.Any nested deeper than %d levels", ANY_MAX_DEPTH);
	if (!wire_depth_ok(any->value.data, any->value.len, d, FC_PBJSON_MAX_DEPTH - w->depth))
		return fail(w, NULL, FC_EINVAL, "google.protobuf.Any: value is not a valid %s (or nested too deep)",
			    d->name);
	inner = protobuf_c_message_unpack(d, NULL, any->value.len, any->value.data);
	if (!inner)
		return fail(w, NULL, FC_EINVAL, "google.protobuf.Any: value is not a valid %s", d->name);
	w->any_depth++;
	rc = enc_message(w, inner, &inner_json);
	w->any_depth--;
	protobuf_c_message_free_unpacked(inner, NULL);
	if (rc)
		return rc;
	obj = must(json_object());
	if ((wkt_of(d) == WKT_NONE && !json_is_object(inner_json)) ||
	    json_object_set_new(obj, "@type", json_string(url))) {
		json_decref(obj);
		json_decref(inner_json);
		return fail(w, NULL, FC_EINVAL, "google.protobuf.Any: type URL is not valid UTF-8");
	}
	if (wkt_of(d) != WKT_NONE) {
		json_object_set_new(obj, "value", inner_json);
	} else {
		json_object_update(obj, inner_json);
		json_decref(inner_json);
	}
	*out = obj;
	return FC_OK;
}

static int enc_value_wkt(struct walk *w, const Google__Protobuf__Value *val, json_t **out)
{
	switch (val->kind_case) {
	case GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE:
		*out = must(json_null());
		return FC_OK;
	case GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE:
		if (!isfinite(val->number_value))
			return fail(w, NULL, FC_EINVAL, "google.protobuf.Value cannot hold NaN or Infinity in JSON");
		*out = number_json(val->number_value);
		return FC_OK;
	case GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE:
		return enc_string(w, val->string_value, out);
	case GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE:
		*out = must(json_boolean(val->bool_value));
		return FC_OK;
	case GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE:
		if (!val->struct_value)
			return enc_default(w, &google__protobuf__struct__descriptor, out);
		return enc_message(w, &val->struct_value->base, out);
	case GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE:
		if (!val->list_value)
			return enc_default(w, &google__protobuf__list_value__descriptor, out);
		return enc_message(w, &val->list_value->base, out);
	default:
		break;
	}
	return fail(w, NULL, FC_EINVAL, "google.protobuf.Value has no kind set");
}

static int enc_wkt(struct walk *w, const ProtobufCMessage *m, enum wkt kind, json_t **out)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	char text[FC_PBJSON_TIME_TEXT_MAX];
	struct fc_err e;
	int rc;

	fc_err_clear(&e);
	switch (kind) {
	case WKT_TIMESTAMP: {
		const Google__Protobuf__Timestamp *ts = (const Google__Protobuf__Timestamp *)m;

		rc = fc_pbjson_timestamp_format(ts->seconds, ts->nanos, text, &e);
		if (rc)
			return fail(w, NULL, rc, "%s", e.msg);
		*out = must(json_string(text));
		return FC_OK;
	}
	case WKT_DURATION: {
		const Google__Protobuf__Duration *du = (const Google__Protobuf__Duration *)m;

		rc = fc_pbjson_duration_format(du->seconds, du->nanos, text, &e);
		if (rc)
			return fail(w, NULL, rc, "%s", e.msg);
		*out = must(json_string(text));
		return FC_OK;
	}
	case WKT_WRAPPER:
		return enc_value(w, &d->fields[0], member_at(m, d->fields[0].offset), out);
	case WKT_EMPTY:
		*out = must(json_object());
		return FC_OK;
	case WKT_STRUCT:
		return enc_map(w, m, &d->fields[0], out);
	case WKT_LIST:
		return enc_repeated(w, m, &d->fields[0], out);
	case WKT_VALUE:
		return enc_value_wkt(w, (const Google__Protobuf__Value *)m, out);
	case WKT_ANY:
		return enc_any(w, (const Google__Protobuf__Any *)m, out);
	case WKT_NONE:
		break;
	}
	FC_BUG("not a well-known type: %s", d->name);
}

static int enc_message(struct walk *w, const ProtobufCMessage *m, json_t **out)
{
	enum wkt kind = wkt_of(m->descriptor);

	if (kind != WKT_NONE)
		return enc_wkt(w, m, kind, out);
	return enc_fields(w, m, out);
}

int fc_pbjson_encode(const ProtobufCMessage *msg, unsigned flags, json_t **out, struct fc_err *err)
{
	struct walk *w;
	int rc;

	*out = NULL;
	if (!msg || !msg->descriptor || msg->descriptor->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
		return fc_err_set(err, FC_EINVAL, "fc_pbjson_encode: not a protobuf-c message");
	w = fc_xcalloc(1, sizeof(*w));
	w->flags = flags;
	w->err = err;
	rc = enc_message(w, msg, out);
	free(w);
	return rc;
}

/*
 * --- encoding straight into text ---------------------------------------------------------------------------
 *
 * fc_pbjson_encode_buf() writes the text as it walks the message instead of building a jansson tree and dumping
 * it: the tree cost a hash insert and an allocation per value, most of the time for a list of 10,000 node
 * executions. Ordinary messages, repeated fields, scalars, Timestamp and Duration are written here; the rarer
 * shapes (maps, Struct/Value/ListValue, Any, wrappers, Empty, null elements) are still built by the tree encoder
 * above and dumped in place by the same dump() the tree path uses, so both paths give the same bytes
 * (test_pbjson checks them against each other on every message of the test data).
 */

static int dump(const json_t *j, bool pretty, size_t depth, struct fc_buf *b, struct fc_err *err);
static void dump_newline(struct fc_buf *b, bool pretty, size_t depth);

/* JSON string literal of `len` bytes (as fc_buf_add_json_string writes it), copying runs of plain bytes at once. */
static void put_json_string(struct fc_buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	fc_buf_addch(b, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		fc_buf_add(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': fc_buf_add(b, "\\\"", 2); break;
		case '\\': fc_buf_add(b, "\\\\", 2); break;
		case '\n': fc_buf_add(b, "\\n", 2); break;
		case '\r': fc_buf_add(b, "\\r", 2); break;
		case '\t': fc_buf_add(b, "\\t", 2); break;
		default: fc_buf_add(b, esc, 6); break;
		}
	}
	fc_buf_add(b, s + run, len - run);
	fc_buf_addch(b, '"');
}

/* Decimal text of `v` (negative when `neg`), without printf. */
static void put_uint(struct fc_buf *b, uint64_t v, bool neg)
{
	char text[24];
	size_t at = sizeof(text);

	do {
		text[--at] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (neg)
		text[--at] = '-';
	fc_buf_add(b, text + at, sizeof(text) - at);
}

static void put_int(struct fc_buf *b, int64_t v)
{
	put_uint(b, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, v < 0);
}

/* A value the tree encoder built, written at `depth` as the tree path would, and released. */
static int put_tree(struct walk *w, int rc, json_t *const *j, size_t depth, struct fc_buf *b)
{
	if (rc)
		return rc;
	rc = dump(*j, w->flags & FC_PBJSON_PRETTY, depth, b, w->err);
	json_decref(*j);
	return rc;
}

static int put_message(struct walk *w, const ProtobufCMessage *m, size_t depth, struct fc_buf *b);

static int put_string(struct walk *w, const char *s, struct fc_buf *b)
{
	size_t len, i;

	if (!s)
		s = "";
	len = strlen(s);
	for (i = 0; i < len && !((unsigned char)s[i] & 0x80); i++)
		;
	if (i < len) { /* not all ASCII: let jansson judge the UTF-8, as the tree path does */
		json_t *check = json_stringn(s, len);

		if (!check)
			return fail(w, NULL, FC_EINVAL, "string is not valid UTF-8");
		json_decref(check);
	}
	put_json_string(b, s, len);
	return FC_OK;
}

/* A finite double as dump(number_json(v)) writes it. */
static void put_number(struct fc_buf *b, double v)
{
	char text[32];

	if (v == trunc(v) && fabs(v) < 9223372036854775808.0 && !(v == 0 && signbit(v))) {
		put_int(b, (int64_t)v);
		return;
	}
	fc_pbjson_format_double(v, text);
	fc_buf_adds(b, text);
}

static int put_value(struct walk *w, const ProtobufCFieldDescriptor *f, const void *member, size_t depth,
		     struct fc_buf *b)
{
	json_t *tree = NULL;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		put_int(b, *(const int32_t *)member);
		return FC_OK;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		put_uint(b, *(const uint32_t *)member, false);
		return FC_OK;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		fc_buf_addch(b, '"');
		put_int(b, *(const int64_t *)member);
		fc_buf_addch(b, '"');
		return FC_OK;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		fc_buf_addch(b, '"');
		put_uint(b, *(const uint64_t *)member, false);
		fc_buf_addch(b, '"');
		return FC_OK;
	case PROTOBUF_C_TYPE_DOUBLE: {
		double v = *(const double *)member;

		if (isfinite(v)) {
			put_number(b, v);
			return FC_OK;
		}
		break;
	}
	case PROTOBUF_C_TYPE_BOOL:
		fc_buf_adds(b, *(const protobuf_c_boolean *)member ? "true" : "false");
		return FC_OK;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumValue *ev;

		if (is_null_enum(f)) {
			fc_buf_adds(b, "null");
			return FC_OK;
		}
		ev = protobuf_c_enum_descriptor_get_value(f->descriptor, *(const int *)member);
		if (ev)
			put_json_string(b, ev->name, strlen(ev->name));
		else
			put_int(b, *(const int *)member);
		return FC_OK;
	}
	case PROTOBUF_C_TYPE_STRING:
		return put_string(w, *(char *const *)member, b);
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *bd = member;

		fc_buf_addch(b, '"');
		if (bd->len)
			fc_pbjson_base64_encode(bd->data, bd->len, b);
		fc_buf_addch(b, '"');
		return FC_OK;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *)member;

		if (sub)
			return put_message(w, sub, depth, b);
		break;
	}
	case PROTOBUF_C_TYPE_FLOAT:
		break;
	}
	/* floats, NaN/Infinity and null messages: the tree encoder's rules */
	return put_tree(w, enc_value(w, f, member, &tree), &tree, depth, b);
}

static int put_repeated(struct walk *w, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, size_t depth,
			struct fc_buf *b)
{
	size_t n = *(const size_t *)member_at(m, f->quantifier_offset), i, esz = fc_pb_elem_size(f->type);
	const char *arr = *(char *const *)member_at(m, f->offset);
	bool pretty = w->flags & FC_PBJSON_PRETTY;
	int rc;

	if (!arr)
		n = 0;
	if (!n) {
		fc_buf_adds(b, "[]");
		return FC_OK;
	}
	fc_buf_addch(b, '[');
	for (i = 0; i < n; i++) {
		if (i)
			fc_buf_addch(b, ',');
		dump_newline(b, pretty, depth + 1);
		rc = push_index(w, NULL, i);
		if (rc)
			return rc;
		rc = put_value(w, f, arr + i * esz, depth + 1, b);
		pop(w);
		if (rc)
			return rc;
	}
	dump_newline(b, pretty, depth);
	fc_buf_addch(b, ']');
	return FC_OK;
}

/* Field names this long or longer are built in a buffer instead of on the stack. */
#define NAME_SHORT 64

/* json_name() of `proto_name` into `out` when it fits (then `out`, and its length in `*len`), else NULL. */
static const char *json_name_short(const char *proto_name, char out[NAME_SHORT], size_t *len)
{
	bool cap = false;
	size_t n = 0;

	for (; *proto_name; proto_name++) {
		if (*proto_name == '_') {
			cap = true;
			continue;
		}
		if (n == NAME_SHORT - 1)
			return NULL;
		out[n++] = cap ? ascii_upper(*proto_name) : *proto_name;
		cap = false;
	}
	out[n] = '\0';
	*len = n;
	return out;
}

static int put_fields(struct walk *w, const ProtobufCMessage *m, size_t depth, struct fc_buf *b)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	bool pretty = w->flags & FC_PBJSON_PRETTY, first = true;
	struct fc_buf name = FC_BUF_INIT;
	char short_name[NAME_SHORT];
	unsigned i;
	int rc = FC_OK;

	fc_buf_addch(b, '{');
	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		enum presence p = field_presence(w, m, f);
		json_t *tree = NULL;
		const char *key;
		size_t keylen;

		if (p == ABSENT)
			continue;
		key = json_name_short(f->name, short_name, &keylen);
		if (!key) {
			json_name(f->name, &name);
			key = name.buf;
			keylen = name.len;
		}
		rc = push_key(w, NULL, key, keylen);
		if (rc)
			break;
		if (!first)
			fc_buf_addch(b, ',');
		first = false;
		dump_newline(b, pretty, depth + 1);
		put_json_string(b, key, keylen);
		fc_buf_adds(b, pretty ? ": " : ":");
		if (p == EMIT_NULL)
			fc_buf_adds(b, "null");
		else if (f->label != PROTOBUF_C_LABEL_REPEATED)
			rc = put_value(w, f, member_at(m, f->offset), depth + 1, b);
		else if (is_map_field(d, f))
			rc = put_tree(w, enc_map(w, m, f, &tree), &tree, depth + 1, b);
		else
			rc = put_repeated(w, m, f, depth + 1, b);
		pop(w);
		if (rc)
			break;
	}
	fc_buf_release(&name);
	if (rc)
		return rc;
	if (first) {
		fc_buf_addch(b, '}');
		return FC_OK;
	}
	dump_newline(b, pretty, depth);
	fc_buf_addch(b, '}');
	return FC_OK;
}

static int put_message(struct walk *w, const ProtobufCMessage *m, size_t depth, struct fc_buf *b)
{
	enum wkt kind = wkt_of(m->descriptor);
	char text[FC_PBJSON_TIME_TEXT_MAX];
	struct fc_err e;
	json_t *tree = NULL;
	int rc;

	if (kind == WKT_NONE)
		return put_fields(w, m, depth, b);
	if (kind == WKT_TIMESTAMP || kind == WKT_DURATION) {
		fc_err_clear(&e);
		if (kind == WKT_TIMESTAMP)
			rc = fc_pbjson_timestamp_format(((const Google__Protobuf__Timestamp *)m)->seconds,
							((const Google__Protobuf__Timestamp *)m)->nanos, text, &e);
		else
			rc = fc_pbjson_duration_format(((const Google__Protobuf__Duration *)m)->seconds,
						       ((const Google__Protobuf__Duration *)m)->nanos, text, &e);
		if (rc)
			return fail(w, NULL, rc, "%s", e.msg);
		put_json_string(b, text, strlen(text));
		return FC_OK;
	}
	return put_tree(w, enc_wkt(w, m, kind, &tree), &tree, depth, b);
}

int fc_pbjson_encode_buf(const ProtobufCMessage *msg, unsigned flags, struct fc_buf *out, struct fc_err *err)
{
	size_t start = out->len;
	struct walk *w;
	int rc;

	if (!msg || !msg->descriptor || msg->descriptor->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
		return fc_err_set(err, FC_EINVAL, "fc_pbjson_encode: not a protobuf-c message");
	w = fc_xcalloc(1, sizeof(*w));
	w->flags = flags;
	w->err = err;
	rc = put_message(w, msg, 0, out);
	free(w);
	if (!rc && fc_buf_error(out))
		rc = fc_err_set(err, FC_ELIMIT, "JSON output larger than the buffer's cap of %zu bytes", out->cap);
	if (rc)
		fc_buf_truncate(out, start);
	return rc;
}

/* --- JSON text --------------------------------------------------------------------------------------------- */

static void dump_newline(struct fc_buf *b, bool pretty, size_t depth)
{
	if (!pretty)
		return;
	fc_buf_addch(b, '\n');
	fc_buf_addchars(b, ' ', depth * 2);
}

static int dump(const json_t *j, bool pretty, size_t depth, struct fc_buf *b, struct fc_err *err)
{
	char num[32];
	int rc;

	if (depth > DUMP_MAX_DEPTH)
		return fc_err_set(err, FC_ELIMIT, "JSON nested deeper than %d levels", DUMP_MAX_DEPTH);
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		void *iter = json_object_iter((json_t *)j);
		bool first = true;

		if (!iter) {
			fc_buf_adds(b, "{}");
			return FC_OK;
		}
		fc_buf_addch(b, '{');
		for (; iter; iter = json_object_iter_next((json_t *)j, iter)) {
			if (!first)
				fc_buf_addch(b, ',');
			first = false;
			dump_newline(b, pretty, depth + 1);
			put_json_string(b, json_object_iter_key(iter), json_object_iter_key_len(iter));
			fc_buf_adds(b, pretty ? ": " : ":");
			rc = dump(json_object_iter_value(iter), pretty, depth + 1, b, err);
			if (rc)
				return rc;
		}
		dump_newline(b, pretty, depth);
		fc_buf_addch(b, '}');
		return FC_OK;
	}
	case JSON_ARRAY: {
		size_t i, n = json_array_size(j);

		if (!n) {
			fc_buf_adds(b, "[]");
			return FC_OK;
		}
		fc_buf_addch(b, '[');
		for (i = 0; i < n; i++) {
			if (i)
				fc_buf_addch(b, ',');
			dump_newline(b, pretty, depth + 1);
			rc = dump(json_array_get(j, i), pretty, depth + 1, b, err);
			if (rc)
				return rc;
		}
		dump_newline(b, pretty, depth);
		fc_buf_addch(b, ']');
		return FC_OK;
	}
	case JSON_STRING:
		put_json_string(b, json_string_value(j), json_string_length(j));
		return FC_OK;
	case JSON_INTEGER:
		put_int(b, json_integer_value(j));
		return FC_OK;
	case JSON_REAL:
		fc_pbjson_format_double(json_real_value(j), num);
		fc_buf_adds(b, num);
		return FC_OK;
	case JSON_TRUE: fc_buf_adds(b, "true"); return FC_OK;
	case JSON_FALSE: fc_buf_adds(b, "false"); return FC_OK;
	case JSON_NULL: fc_buf_adds(b, "null"); return FC_OK;
	}
	return FC_OK;
}

int fc_pbjson_dump(const json_t *json, unsigned flags, struct fc_buf *out, struct fc_err *err)
{
	int rc = dump(json, flags & FC_PBJSON_PRETTY, 0, out, err);

	if (!rc && fc_buf_error(out))
		rc = fc_err_set(err, FC_ELIMIT, "JSON output larger than the buffer's cap of %zu bytes", out->cap);
	return rc;
}
