/* test_lit.c: the one literal module (compiler/lit.c): text in both forms and back, castability, the type check of
 * given inputs, comparison, canonical hashing, and messages packed and unpacked in an arena. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "compiler/lit.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/pbjson.h"
#include "core/sha256.h"

#include <string.h>

/* The digest of the integer literal 42 as the propeller's cache keys have always computed it. */
#define HASH_OF_42 "f39be770a0e1aa417d63c3a79c76bba5de6533bc344bf559076437cb3c6fb069"

/* A type or a literal from its proto3 JSON (the tests read like Flyte's own JSON). */
static void *from_json(struct fc_arena *a, const ProtobufCMessageDescriptor *d, const char *json)
{
	ProtobufCMessage *m = NULL;
	struct fc_err err;

	if (fc_pbjson_decode_text(json, strlen(json), d, fc_arena_pb_allocator(a), 0, &m, &err))
		fail_msg("bad test JSON %s: %s", json, err.msg);
	return m;
}

static Flyteidl__Core__LiteralType *type(struct fc_arena *a, const char *json)
{
	return from_json(a, &flyteidl__core__literal_type__descriptor, json);
}

static Flyteidl__Core__Literal *literal(struct fc_arena *a, const char *json)
{
	return from_json(a, &flyteidl__core__literal__descriptor, json);
}

static const char *show(struct fc_arena *a, const Flyteidl__Core__Literal *l, enum cmp_lit_style style)
{
	struct fc_buf b = FC_BUF_INIT;
	const char *s;

	cmp_lit_render(l, style, &b);
	s = fc_arena_strdup(a, b.buf ? b.buf : "");
	fc_buf_release(&b);
	return s;
}

/* Text -> literal -> text, typed for values a person types, plain for output files. */
static void test_text_round_trips(void **state)
{
	static const struct {
		const char *type, *text, *typed;
	} values[] = {
		{"{\"simple\":\"INTEGER\"}", "42", "42"},
		{"{\"simple\":\"INTEGER\"}", "-7", "-7"},
		{"{\"simple\":\"FLOAT\"}", "2.5", "2.5"},
		{"{\"simple\":\"FLOAT\"}", "10", "10.0"},
		{"{\"simple\":\"FLOAT\"}", "0.92", "0.92"},
		{"{\"simple\":\"STRING\"}", "two words", "\"two words\""},
		{"{\"simple\":\"BOOLEAN\"}", "true", "true"},
		{"{\"simple\":\"DATETIME\"}", "2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"},
		{"{\"simple\":\"DURATION\"}", "1h30m", "1h30m"},
		{"{\"collectionType\":{\"simple\":\"INTEGER\"}}", "[1, 2, 3]", "[1, 2, 3]"},
		{"{\"mapValueType\":{\"simple\":\"STRING\"}}", "{a: x, b: y}", "{a: \"x\", b: \"y\"}"},
		{"{\"collectionType\":{\"mapValueType\":{\"simple\":\"FLOAT\"}}}", "[{a: 1.5}]", "[{a: 1.5}]"},
		{"{\"blob\":{\"format\":\"csv\"}}", "s3://b/k.csv", "file(s3://b/k.csv)"},
		{"{\"blob\":{\"dimensionality\":\"MULTIPART\"}}", "/data/dir", "directory(/data/dir)"},
		{"{\"structuredDatasetType\":{\"format\":\"parquet\"}}", "s3://b/d", "dataset(s3://b/d)"},
		{"{\"enumType\":{\"values\":[\"red\",\"green\"]}}", "green", "\"green\""},
		{"{\"unionType\":{\"variants\":[{\"simple\":\"INTEGER\"},{\"simple\":\"NONE\"}]}}", "5", "5"},
	};
	struct fc_arena a;
	size_t i;

	(void)state;
	fc_arena_init(&a, 0);
	for (i = 0; i < FC_ARRAY_LEN(values); i++) {
		const Flyteidl__Core__LiteralType *t = type(&a, values[i].type);
		Flyteidl__Core__Literal *l = NULL, *again = NULL;
		struct fc_err err;
		const char *typed;

		if (cmp_lit_from_text(&a, t, values[i].text, CMP_LIT_TEXT_VALUE, &l, &err))
			fail_msg("%s as %s: %s", values[i].text, values[i].type, err.msg);
		typed = show(&a, l, CMP_LIT_SHOW_TYPED);
		if (strcmp(typed, values[i].typed))
			fail_msg("%s as %s shows as %s, not %s", values[i].text, values[i].type, typed, values[i].typed);
		assert_true(cmp_lit_matches(t, l));
		/* the plain form of a scalar is what an output file holds: it reads back to an equal literal */
		if (l->value_case == FLYTEIDL__CORE__LITERAL__VALUE_SCALAR) {
			int c = -1;

			if (cmp_lit_from_text(&a, t, show(&a, l, CMP_LIT_SHOW_PLAIN), CMP_LIT_TEXT_FILE, &again, &err))
				fail_msg("%s read back: %s", show(&a, l, CMP_LIT_SHOW_PLAIN), err.msg);
			assert_int_equal(cmp_lit_compare(l, again, false, &c, &err), FC_OK);
			if (c && !strstr(values[i].type, "blob") && !strstr(values[i].type, "structured"))
				fail_msg("%s does not read back equal", values[i].text);
		}
	}
	fc_arena_release(&a);
}

static void test_text_errors(void **state)
{
	struct fc_arena a;
	Flyteidl__Core__Literal *l;
	struct fc_err err;

	(void)state;
	fc_arena_init(&a, 0);
	assert_int_equal(cmp_lit_from_text(&a, type(&a, "{\"simple\":\"INTEGER\"}"), "4x", CMP_LIT_TEXT_VALUE, &l,
					   &err),
			 FC_EINVAL);
	assert_non_null(strstr(err.msg, "4x"));
	assert_int_equal(cmp_lit_from_text(&a, type(&a, "{\"simple\":\"INTEGER\"}"), "4x", CMP_LIT_TEXT_FILE, &l, &err),
			 FC_EINVAL);
	assert_int_equal(cmp_lit_from_text(&a, type(&a, "{\"collectionType\":{\"simple\":\"INTEGER\"}}"), "[1]",
					   CMP_LIT_TEXT_FILE, &l, &err),
			 FC_EUNSUPPORTED);
	assert_int_equal(cmp_lit_from_text(&a, type(&a, "{\"enumType\":{\"values\":[\"a\"]}}"), "b", CMP_LIT_TEXT_FILE,
					   &l, &err),
			 FC_EINVAL);
	assert_int_equal(cmp_lit_from_text(&a, NULL, "1", CMP_LIT_TEXT_VALUE, &l, &err), FC_EINVAL);
	/* empty text is none for an optional read from a file */
	assert_int_equal(cmp_lit_from_text(&a,
					   type(&a, "{\"unionType\":{\"variants\":[{\"simple\":\"INTEGER\"},"
						    "{\"simple\":\"NONE\"}]}}"),
					   "\n", CMP_LIT_TEXT_FILE, &l, &err),
			 FC_OK);
	assert_string_equal(show(&a, l, CMP_LIT_SHOW_PLAIN), "null");
	fc_arena_release(&a);
}

/* Flyte's castability (flytepropeller's type checkers): each row says whether a value of the first type may be
 * bound to the second. */
static void test_castability_matrix(void **state)
{
	static const char *const I = "{\"simple\":\"INTEGER\"}", *const F = "{\"simple\":\"FLOAT\"}",
			  *const S = "{\"simple\":\"STRING\"}", *const N = "{\"simple\":\"NONE\"}",
			  *const OPT_I = "{\"unionType\":{\"variants\":[{\"simple\":\"INTEGER\"},{\"simple\":\"NONE\"}]}}",
			  *const U_IS = "{\"unionType\":{\"variants\":[{\"simple\":\"INTEGER\"},{\"simple\":\"STRING\"}]}}",
			  *const L_I = "{\"collectionType\":{\"simple\":\"INTEGER\"}}",
			  *const L_F = "{\"collectionType\":{\"simple\":\"FLOAT\"}}",
			  *const M_I = "{\"mapValueType\":{\"simple\":\"INTEGER\"}}",
			  *const B_CSV = "{\"blob\":{\"format\":\"csv\"}}", *const B_ANY = "{\"blob\":{}}",
			  *const B_DIR = "{\"blob\":{\"dimensionality\":\"MULTIPART\"}}",
			  *const B_PQ = "{\"blob\":{\"format\":\"parquet\"}}",
			  *const SD_PQ = "{\"structuredDatasetType\":{\"format\":\"parquet\"}}",
			  *const SD_ANY = "{\"structuredDatasetType\":{}}",
			  *const SD_CSV = "{\"structuredDatasetType\":{\"format\":\"csv\"}}";
	static const struct {
		const char *up, *down;
		bool ok;
	} rows[] = {
		{I, I, true},         {I, F, false},        {F, I, false},         {I, S, false},
		{I, OPT_I, true},     {N, OPT_I, true},     {OPT_I, I, false},     {S, OPT_I, false},
		{I, U_IS, true},      {S, U_IS, true},      {U_IS, U_IS, true},    {U_IS, I, false},
		{L_I, L_I, true},     {L_I, L_F, false},    {I, L_I, false},       {L_I, M_I, false},
		{M_I, M_I, true},     {B_CSV, B_CSV, true}, {B_CSV, B_ANY, true},  {B_ANY, B_CSV, true},
		{B_CSV, B_DIR, true}, {B_CSV, B_PQ, false}, {SD_PQ, SD_PQ, true}, {SD_PQ, SD_ANY, true}, {SD_PQ, SD_CSV, false},
	};
	struct fc_arena a;
	size_t i;

	(void)state;
	fc_arena_init(&a, 0);
	for (i = 0; i < FC_ARRAY_LEN(rows); i++)
		if (cmp_lit_castable(type(&a, rows[i].up), type(&a, rows[i].down)) != rows[i].ok)
			fail_msg("row %zu: %s -> %s should be %s", i, rows[i].up, rows[i].down,
				 rows[i].ok ? "castable" : "refused");
	fc_arena_release(&a);
}

/* The check of given inputs against declared types (the admin's launch). */
static void test_matches(void **state)
{
	static const char *const one = "{\"scalar\":{\"primitive\":{\"integer\":\"1\"}}}",
			  *const str = "{\"scalar\":{\"primitive\":{\"stringValue\":\"x\"}}}",
			  *const none = "{\"scalar\":{\"noneType\":{}}}",
			  *const ints = "{\"collection\":{\"literals\":[{\"scalar\":{\"primitive\":{\"integer\":\"1\"}}}]}}",
			  *const mixed = "{\"collection\":{\"literals\":[{\"scalar\":{\"primitive\":{\"integer\":\"1\"}}},"
					 "{\"scalar\":{\"primitive\":{\"stringValue\":\"x\"}}}]}}";
	static const struct {
		const char *type, *lit;
		bool ok;
	} rows[] = {
		{"{\"simple\":\"INTEGER\"}", one, true},
		{"{\"simple\":\"FLOAT\"}", one, true},
		{"{\"simple\":\"STRING\"}", one, false},
		{"{\"collectionType\":{\"simple\":\"INTEGER\"}}", ints, true},
		{"{\"collectionType\":{\"simple\":\"INTEGER\"}}", mixed, false},
		{"{\"collectionType\":{\"simple\":\"INTEGER\"}}", one, false},
		{"{\"mapValueType\":{\"simple\":\"INTEGER\"}}", ints, false},
		{"{\"unionType\":{\"variants\":[{\"simple\":\"INTEGER\"},{\"simple\":\"NONE\"}]}}", one, true},
		{"{\"unionType\":{\"variants\":[{\"simple\":\"INTEGER\"},{\"simple\":\"NONE\"}]}}", none, true},
		{"{\"unionType\":{\"variants\":[{\"simple\":\"INTEGER\"},{\"simple\":\"NONE\"}]}}", str, false},
		{"{\"simple\":\"STRUCT\"}", str, true},
	};
	struct fc_arena a;
	size_t i;

	(void)state;
	fc_arena_init(&a, 0);
	for (i = 0; i < FC_ARRAY_LEN(rows); i++)
		if (cmp_lit_matches(type(&a, rows[i].type), literal(&a, rows[i].lit)) != rows[i].ok)
			fail_msg("row %zu: %s as %s should be %s", i, rows[i].lit, rows[i].type,
				 rows[i].ok ? "accepted" : "refused");
	fc_arena_release(&a);
}

static void digest(const Flyteidl__Core__Literal *l, unsigned char out[FC_SHA256_LEN])
{
	struct fc_sha256 h;

	fc_sha256_init(&h);
	cmp_lit_hash(l, &h);
	fc_sha256_final(&h, out);
}

/* Map order does not change a hash; values do; the digest of a fixed literal never changes (cache keys on disk
 * depend on it). */
static void test_hash_stable(void **state)
{
	struct fc_arena a;
	unsigned char x[FC_SHA256_LEN], y[FC_SHA256_LEN];
	char hex[2 * FC_SHA256_LEN + 1];
	size_t i;
	Flyteidl__Core__Literal *m1;

	(void)state;
	fc_arena_init(&a, 0);
	m1 = literal(&a, "{\"map\":{\"literals\":{\"a\":{\"scalar\":{\"primitive\":{\"integer\":\"1\"}}},"
			 "\"b\":{\"scalar\":{\"primitive\":{\"stringValue\":\"x\"}}}}}}");
	digest(m1, x);
	digest(literal(&a, "{\"map\":{\"literals\":{\"b\":{\"scalar\":{\"primitive\":{\"stringValue\":\"x\"}}},"
			   "\"a\":{\"scalar\":{\"primitive\":{\"integer\":\"1\"}}}}}}"),
	       y);
	assert_memory_equal(x, y, sizeof(x));
	digest(literal(&a, "{\"map\":{\"literals\":{\"a\":{\"scalar\":{\"primitive\":{\"integer\":\"2\"}}},"
			   "\"b\":{\"scalar\":{\"primitive\":{\"stringValue\":\"x\"}}}}}}"),
	       y);
	assert_memory_not_equal(x, y, sizeof(x));
	/* a literal's own hash field stands for its value */
	digest(literal(&a, "{\"hash\":\"abc\",\"scalar\":{\"primitive\":{\"integer\":\"1\"}}}"), x);
	digest(literal(&a, "{\"hash\":\"abc\",\"scalar\":{\"primitive\":{\"integer\":\"2\"}}}"), y);
	assert_memory_equal(x, y, sizeof(x));
	digest(cmp_lit_int(&a, 42), x);
	for (i = 0; i < FC_SHA256_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", x[i]);
	assert_string_equal(hex, HASH_OF_42);
	fc_arena_release(&a);
}

static void test_compare(void **state)
{
	struct fc_arena a;
	struct fc_err err;
	int c;

	(void)state;
	fc_arena_init(&a, 0);
	assert_int_equal(cmp_lit_compare(cmp_lit_int(&a, 2), cmp_lit_float(&a, 2.5), true, &c, &err), FC_OK);
	assert_int_equal(c, -1);
	assert_int_equal(cmp_lit_compare(cmp_lit_float(&a, 3), cmp_lit_int(&a, 3), true, &c, &err), FC_OK);
	assert_int_equal(c, 0);
	assert_int_equal(cmp_lit_compare(cmp_lit_str(&a, "b"), cmp_lit_str(&a, "a"), true, &c, &err), FC_OK);
	assert_int_equal(c, 1);
	assert_int_equal(cmp_lit_compare(cmp_lit_bool(&a, false), cmp_lit_bool(&a, true), true, &c, &err), FC_OK);
	assert_int_equal(c, -1);
	assert_int_equal(cmp_lit_compare(cmp_lit_datetime(&a, 10, 5), cmp_lit_datetime(&a, 10, 4), true, &c, &err),
			 FC_OK);
	assert_int_equal(c, 1);
	assert_int_equal(cmp_lit_compare(cmp_lit_str(&a, "1"), cmp_lit_int(&a, 1), true, &c, &err), FC_EINVAL);
	/* collections compare for equality only */
	{
		Flyteidl__Core__Literal *items[2] = {cmp_lit_int(&a, 1), cmp_lit_int(&a, 2)};
		Flyteidl__Core__Literal *x = cmp_lit_collection(&a, items, 2), *y = cmp_lit_collection(&a, items, 2);

		assert_int_equal(cmp_lit_compare(x, y, false, &c, &err), FC_OK);
		assert_int_equal(c, 0);
		assert_int_equal(cmp_lit_compare(x, cmp_lit_collection(&a, items, 1), false, &c, &err), FC_OK);
		assert_int_not_equal(c, 0);
		assert_int_equal(cmp_lit_compare(x, y, true, &c, &err), FC_EINVAL);
	}
	fc_arena_release(&a);
}

static void test_maps_and_messages(void **state)
{
	struct fc_arena a;
	struct fc_err err;
	Flyteidl__Core__LiteralMap *m, *back;
	Flyteidl__Core__ParameterMap *params;
	struct fc_buf b = FC_BUF_INIT;
	uint8_t *bytes;
	size_t len, i;
	void *out;

	(void)state;
	fc_arena_init(&a, 0);
	m = cmp_litmap_new(&a);
	cmp_litmap_put(&a, m, "x", cmp_lit_int(&a, 1));
	cmp_litmap_put(&a, m, "y", cmp_lit_str(&a, "s"));
	cmp_litmap_put(&a, m, "x", cmp_lit_int(&a, 3));
	assert_int_equal(m->n_literals, 2);
	assert_int_equal(cmp_litmap_get(m, "x")->scalar->primitive->integer, 3);
	assert_null(cmp_litmap_get(m, "z"));
	params = from_json(&a, &flyteidl__core__parameter_map__descriptor,
			   "{\"parameters\":{\"x\":{\"default\":{\"scalar\":{\"primitive\":{\"integer\":\"9\"}}}},"
			   "\"z\":{\"default\":{\"scalar\":{\"primitive\":{\"integer\":\"7\"}}}},\"w\":{\"required\":true}}}");
	cmp_litmap_put_defaults(&a, m, params, true);
	cmp_litmap_render(m, CMP_LIT_SHOW_PLAIN, &b);
	assert_string_equal(b.buf, "{x: 3, y: s, z: 7}");
	fc_buf_reset(&b);

	bytes = cmp_pb_pack_arena(&a, &m->base, &len);
	assert_int_equal(cmp_pb_unpack(&a, &flyteidl__core__literal_map__descriptor, bytes, len, &out, &err), FC_OK);
	back = out;
	cmp_litmap_render(back, CMP_LIT_SHOW_TYPED, &b);
	assert_string_equal(b.buf, "{x: 3, y: \"s\", z: 7}");
	back = cmp_pb_copy(&a, &m->base);
	assert_int_equal(back->n_literals, 3);
	assert_int_equal(cmp_pb_unpack(&a, &flyteidl__core__literal_map__descriptor, "\x0a\xff", 2, &out, &err),
			 FC_EPARSE);
	/* nesting beyond FC_PB_MAX_DEPTH is refused before protobuf-c recurses */
	fc_buf_reset(&b);
	{
		struct fc_buf nested = FC_BUF_INIT;

		/* LiteralType.collection_type (field 3) inside itself, 2000 deep */
		for (i = 0; i < 2000; i++) {
			struct fc_buf outer = FC_BUF_INIT;
			size_t n = nested.len;

			fc_buf_addch(&outer, 0x1a);
			do {
				fc_buf_addch(&outer, (char)((n & 0x7f) | (n > 0x7f ? 0x80 : 0)));
				n >>= 7;
			} while (n);
			fc_buf_add(&outer, nested.buf ? nested.buf : "", nested.len);
			fc_buf_release(&nested);
			nested = outer;
		}
		assert_int_equal(cmp_pb_unpack(&a, &flyteidl__core__literal_type__descriptor, nested.buf, nested.len, &out,
					       &err),
				 FC_EPARSE);
		fc_buf_release(&nested);
	}
	fc_buf_release(&b);
	fc_arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_round_trips), cmocka_unit_test(test_text_errors),
		cmocka_unit_test(test_castability_matrix), cmocka_unit_test(test_matches),
		cmocka_unit_test(test_hash_stable),       cmocka_unit_test(test_compare),
		cmocka_unit_test(test_maps_and_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
