/* test_types.c: the type syntax and Flyte's castability rules, as a table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "compiler/cmp_int.h"

#include <stdio.h>
#include <string.h>

static struct cmp_session *session;

/* Parse a type written in the spec language. */
static cmp_type *T(const char *text)
{
	struct fc_buf doc = FC_BUF_INIT;
	struct fc_source *src;
	struct fc_ydoc *docs;
	size_t n;
	cmp_type *t;

	fc_buf_addf(&doc, "t: %s\n", text);
	src = fc_source_new_take("type.yaml", fc_buf_detach(&doc, NULL), strlen(text) + 4);
	cmp_add_source(session, src);
	assert_int_equal(fc_yaml_load(cmp_arena(session), src, NULL, &docs, &n, cmp_diags(session)), FC_OK);
	t = cmp_type_parse(session, src, fc_ymap_get(docs[0].root, "t"));
	if (!t)
		fail_msg("type '%s' did not parse", text);
	return t;
}

static int setup(void **state)
{
	(void)state;
	session = cmp_session_new(NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cmp_session_free(session);
	return 0;
}

/* The position table against a plain array: remembered in bursts, replaced, asked for in between (util.c). */
static void test_position_table(void **state)
{
	enum { N = 20000 };
	struct cmp_session *s = cmp_session_new(NULL);
	struct fc_source *src = fc_source_new_take("pos.yaml", fc_xstrdup("x"), 1);
	static char objs[N];
	static uint32_t want[N]; /* 0: never remembered */
	uint32_t seed = 12345;
	size_t round, i;

	(void)state;
	cmp_add_source(s, src);
	for (round = 0; round < 200; round++) {
		/* bursts of every size: one huge first (a whole file), then small ones and single entries */
		size_t burst = round == 0 ? N / 2 : round % 10 == 0 ? 3000 : round % 3;

		for (i = 0; i < burst; i++) {
			struct fc_loc loc = {src, 0, 0};
			size_t k;

			seed = seed * 1103515245u + 12345u;
			k = (seed >> 8) % N;
			loc.line = (uint32_t)(round + 1);
			loc.col = (uint32_t)(i % 1000 + 1);
			cmp_set_loc(s, &objs[k], loc);
			want[k] = (uint32_t)((round + 1) << 10 | (i % 1000 + 1));
		}
		for (i = 0; i < 50; i++) {
			size_t k;
			struct fc_loc got;

			seed = seed * 1103515245u + 12345u;
			k = (seed >> 8) % N;
			got = cmp_loc_of(s, &objs[k], NULL);
			assert_int_equal(cmp_has_loc(s, &objs[k]), want[k] != 0);
			if (want[k]) {
				assert_ptr_equal(got.src, src);
				assert_int_equal(got.line << 10 | got.col, want[k]);
			} else {
				assert_null(got.src);
			}
		}
	}
	for (i = 0; i < N; i++) {
		struct fc_loc got = cmp_loc_of(s, &objs[i], NULL);

		assert_int_equal(want[i] ? got.line << 10 | got.col : 0, want[i]);
	}
	cmp_session_free(s);
}

static void test_castability_table(void **state)
{
	static const struct {
		const char *up, *down;
		bool castable;
	} table[] = {
		{"integer", "integer", true},
		{"integer", "float", false}, /* Flyte does not widen */
		{"string", "integer", false},
		{"list<integer>", "list<integer>", true},
		{"list<integer>", "list<float>", false},
		{"list<none>", "list<string>", true}, /* an empty list fits any list */
		{"map<string>", "map<string>", true},
		{"map<none>", "map<integer>", true},
		{"list<integer>", "map<integer>", false},
		{"enum<a, b>", "string", true}, /* enums are strings */
		{"string", "enum<a, b>", true},
		{"enum<a, b>", "enum<a, b>", true},
		{"enum<a, b>", "enum<a, c>", false},
		{"integer", "optional<integer>", true},
		{"none", "optional<integer>", true},
		{"optional<integer>", "integer", false},
		{"union<integer, string>", "union<string, integer, float>", true},
		{"union<integer, string>", "union<integer>", false},
		{"integer", "union<integer, float>", true},
		{"file<csv>", "file<csv>", true},
		{"file<csv>", "file", true}, /* a generic blob takes any format */
		{"file", "file<csv>", true},
		{"file<csv>", "file<json>", false},
		{"directory<csv>", "directory", true},
		{"integer", "file", false},
		{"dataset<parquet>", "dataset", true},
		{"dataset<parquet>", "dataset<csv>", false},
		{"dataset", "schema", true},
		{"dataset<csv>", "schema", false}, /* a schema is parquet */
		{"none", "dataset", true},
		{"none", "none", true},
		{"integer", "none", false},
		{"struct", "struct", true},
		{"datetime", "duration", false},
		{"binary", "binary", true},
	};
	size_t i;

	(void)state;
	for (i = 0; i < FC_ARRAY_LEN(table); i++) {
		bool got = cmp_types_castable(T(table[i].up), T(table[i].down));

		if (got != table[i].castable)
			fail_msg("%s -> %s: expected %s", table[i].up, table[i].down,
				 table[i].castable ? "castable" : "not castable");
	}
}

static void test_dataset_columns(void **state)
{
	(void)state;
	/* downstream columns must be a subset of upstream ones, with matching types */
	assert_true(cmp_types_castable(T("{dataset: {columns: {a: integer, b: string}}}"),
				       T("{dataset: {columns: {a: integer}}}")));
	assert_false(cmp_types_castable(T("{dataset: {columns: {a: integer}}}"),
					T("{dataset: {columns: {a: integer, b: string}}}")));
	assert_false(cmp_types_castable(T("{dataset: {columns: {a: integer}}}"), T("{dataset: {columns: {a: float}}}")));
	assert_true(cmp_types_castable(T("{schema: {columns: {a: integer}}}"), T("{dataset: {columns: {a: integer}}}")));
}

static void test_rendering_round_trips(void **state)
{
	static const char *const types[] = {
		"integer", "list<map<float>>", "optional<string>", "union<integer, string, none>", "enum<red, green>",
		"file<csv>", "directory", "dataset<parquet>", "struct", "list<optional<datetime>>",
	};
	size_t i;

	(void)state;
	for (i = 0; i < FC_ARRAY_LEN(types); i++) {
		cmp_type *t = T(types[i]);
		const char *text = cmp_type_str(cmp_arena(session), t);

		assert_true(cmp_types_equal(t, T(text)));
	}
	assert_string_equal(cmp_type_str(cmp_arena(session), T("int?")), "optional<integer>");
	assert_string_equal(cmp_type_str(cmp_arena(session), T("map<string, bool>")), "map<boolean>");
}

static void test_bad_types_report_columns(void **state)
{
	static const struct {
		const char *text;
		uint32_t col;
	} bad[] = {
		{"intger", 4}, {"list<integer", 16}, {"list<>", 9}, {"map<integer, string>", 8}, {"enum<a, a>", 12},
		{"list<integer>>", 17},
	};
	size_t i;

	(void)state;
	for (i = 0; i < FC_ARRAY_LEN(bad); i++) {
		struct cmp_session *s = cmp_session_new(NULL);
		struct fc_diags *d = cmp_diags(s);
		struct fc_buf doc = FC_BUF_INIT;
		struct fc_source *src;
		struct fc_ydoc *docs;
		size_t n;

		fc_buf_addf(&doc, "t: %s\n", bad[i].text);
		src = fc_source_new_take("bad.yaml", fc_buf_detach(&doc, NULL), strlen(bad[i].text) + 4);
		cmp_add_source(s, src);
		assert_int_equal(fc_yaml_load(cmp_arena(s), src, NULL, &docs, &n, d), FC_OK);
		assert_null(cmp_type_parse(s, src, fc_ymap_get(docs[0].root, "t")));
		assert_true(d->nr >= 1);
		if (d->items[0].loc.col != bad[i].col)
			fail_msg("'%s': error at column %u, expected %u (%s)", bad[i].text, d->items[0].loc.col,
				 bad[i].col, d->items[0].msg);
		cmp_session_free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_position_table),
		cmocka_unit_test(test_castability_table),
		cmocka_unit_test(test_dataset_columns),
		cmocka_unit_test(test_rendering_round_trips),
		cmocka_unit_test(test_bad_types_report_columns),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
