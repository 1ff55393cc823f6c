/* test_core.c: the core library: buffer, arena, hash maps, durations, quantities and the YAML loader's limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/diag.h"
#include "core/duration.h"
#include "core/err.h"
#include "core/sha256.h"
#include "core/strmap.h"
#include "core/yaml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_buf_basics(void **state)
{
	struct fc_buf b = FC_BUF_INIT;
	char *p;
	size_t len;

	(void)state;
	assert_non_null(b.buf);
	assert_string_equal(b.buf, "");
	fc_buf_adds(&b, "hello");
	fc_buf_addch(&b, ' ');
	fc_buf_addf(&b, "%d-%s", 42, "x");
	assert_string_equal(b.buf, "hello 42-x");
	fc_buf_truncate(&b, 5);
	assert_string_equal(b.buf, "hello");
	fc_buf_add_json_string(&b, "a\"\n\x01", 4);
	assert_string_equal(b.buf, "hello\"a\\\"\\n\\u0001\"");
	p = fc_buf_detach(&b, &len);
	assert_int_equal(len, strlen(p));
	assert_string_equal(b.buf, "");
	free(p);
	fc_buf_release(&b);
}

static void test_buf_cap_is_sticky(void **state)
{
	struct fc_buf b = FC_BUF_INIT;
	int i;

	(void)state;
	fc_buf_set_cap(&b, 10);
	for (i = 0; i < 5; i++)
		fc_buf_adds(&b, "abc");
	assert_int_equal(fc_buf_error(&b), FC_ELIMIT);
	assert_true(b.len <= 10);
	assert_int_equal(b.buf[b.len], '\0');
	fc_buf_release(&b);
}

static void test_arena(void **state)
{
	struct fc_arena a;
	char *s;
	int *big;
	size_t i;

	(void)state;
	fc_arena_init(&a, 1024);
	for (i = 0; i < 10000; i++) {
		int *x = fc_arena_alloc(&a, sizeof(int) * 3);

		assert_int_equal(((uintptr_t)x) % 16, 0);
		assert_int_equal(x[0] | x[1] | x[2], 0);
		x[0] = (int)i;
	}
	big = fc_arena_alloc(&a, 1 << 20); /* larger than a block */
	big[(1 << 18) - 1] = 7;
	s = fc_arena_printf(&a, "%s-%d", "n", 5);
	assert_string_equal(s, "n-5");
	assert_string_equal(fc_arena_strndup(&a, "abcdef", 3), "abc");
	assert_true(a.total >= (1 << 20));
	fc_arena_release(&a);

	/* strings are packed end to end; words and fc_arena_alloc keep their alignment after them */
	fc_arena_init(&a, 1024);
	for (i = 0; i < 1000; i++) {
		char *s1 = fc_arena_strdup(&a, "ab"), *s2 = fc_arena_strndup(&a, "xyz", 1);
		void **w = fc_arena_alloc_words(&a, 3 * sizeof(void *));
		int *x = fc_arena_alloc(&a, sizeof(int));

		if (s2 == s1 + 3) /* same block */
			assert_string_equal(s1, "ab");
		assert_string_equal(s2, "x");
		assert_int_equal(((uintptr_t)w) % sizeof(void *), 0);
		w[0] = w[1] = w[2] = NULL;
		assert_int_equal(((uintptr_t)x) % 16, 0);
		assert_int_equal(*x, 0);
	}
	s = fc_arena_strdup(&a, "p");
	assert_ptr_equal(fc_arena_strdup(&a, "q"), s + 2);
	assert_true(a.total < 1000 * 64); /* 2 + 3 + 24 bytes and a 16-aligned int: no 16-byte rounding of each */
	fc_arena_release(&a);
}

static void test_strmap(void **state)
{
	struct fc_strmap m = FC_STRMAP_INIT;
	char keys[2000][16];
	size_t i;

	(void)state;
	for (i = 0; i < 2000; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%zu", i);
		assert_null(fc_strmap_put(&m, keys[i], (void *)(uintptr_t)(i + 1)));
	}
	assert_int_equal(m.size, 2000);
	for (i = 0; i < 2000; i++)
		assert_int_equal((uintptr_t)fc_strmap_get(&m, keys[i]), i + 1);
	assert_null(fc_strmap_get(&m, "nope"));
	assert_int_equal((uintptr_t)fc_strmap_put(&m, keys[3], (void *)9), 4);
	assert_int_equal(m.size, 2000);
	fc_strmap_release(&m);
}

static void test_durations(void **state)
{
	static const struct {
		const char *text;
		int64_t nanos;
	} good[] = {
		{"0", 0},
		{"30s", 30000000000LL},
		{"5m", 300000000000LL},
		{"1h30m", 5400000000000LL},
		{"1.5h", 5400000000000LL},
		{"250ms", 250000000LL},
		{"2d", 172800000000000LL},
		{"1m30s", 90000000000LL},
		{"10us", 10000LL},
	};
	static const char *const bad[] = {"", "5", "m", "5x", "1h-", "-5s", "1.s5", "99999999999999999999h"};
	struct fc_buf out = FC_BUF_INIT;
	size_t i, off;
	int64_t n;

	(void)state;
	for (i = 0; i < FC_ARRAY_LEN(good); i++) {
		assert_int_equal(fc_duration_parse(good[i].text, &n, NULL, NULL), FC_OK);
		assert_true(n == good[i].nanos);
		/* canonical form parses back to the same value */
		fc_buf_reset(&out);
		fc_duration_format(n, &out);
		assert_int_equal(fc_duration_parse(out.buf, &n, NULL, NULL), FC_OK);
		assert_true(n == good[i].nanos);
	}
	for (i = 0; i < FC_ARRAY_LEN(bad); i++)
		assert_int_not_equal(fc_duration_parse(bad[i], &n, &off, NULL), FC_OK);
	fc_buf_reset(&out);
	fc_duration_format(5400000000000LL, &out);
	assert_string_equal(out.buf, "1h30m");
	fc_buf_release(&out);
}

static void test_quantities(void **state)
{
	int64_t m;

	(void)state;
	assert_int_equal(fc_quantity_parse("500m", &m, NULL), FC_OK);
	assert_true(m == 500);
	assert_int_equal(fc_quantity_parse("2", &m, NULL), FC_OK);
	assert_true(m == 2000);
	assert_int_equal(fc_quantity_parse("1Gi", &m, NULL), FC_OK);
	assert_true(m == 1073741824000LL);
	assert_int_equal(fc_quantity_parse("1.5Ki", &m, NULL), FC_OK);
	assert_true(m == 1536000);
	assert_int_not_equal(fc_quantity_parse("1GB", &m, NULL), FC_OK);
	assert_int_not_equal(fc_quantity_parse("-1", &m, NULL), FC_OK);
	assert_int_not_equal(fc_quantity_parse("abc", &m, NULL), FC_OK);
	assert_int_not_equal(fc_quantity_parse("", &m, NULL), FC_OK);
}

static void test_sha256(void **state)
{
	unsigned char d[FC_SHA256_LEN];
	char hex[FC_SHA256_HEX_LEN + 1];

	(void)state;
	fc_sha256("abc", 3, d);
	fc_hex(d, sizeof(d), hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* Load `text` and return the error count; `first_code` gets the first diagnostic's code. */
static size_t load(const char *text, size_t len, const struct fc_yaml_limits *limits, const char **first_code,
		   uint32_t *line, uint32_t *col, struct fc_ydoc **docs_out, size_t *ndocs_out, struct fc_arena *a)
{
	struct fc_diags d;
	struct fc_source *src = fc_source_new_take("t.yaml", fc_xstrndup(text, len), len);
	struct fc_ydoc *docs = NULL;
	size_t ndocs = 0, nerr;

	fc_diags_init(&d);
	fc_yaml_load(a, src, limits, &docs, &ndocs, &d);
	nerr = d.nerrors;
	if (first_code)
		*first_code = d.nr ? d.items[0].code : "";
	if (line)
		*line = d.nr ? d.items[0].loc.line : 0;
	if (col)
		*col = d.nr ? d.items[0].loc.col : 0;
	if (docs_out)
		*docs_out = docs;
	if (ndocs_out)
		*ndocs_out = ndocs;
	fc_diags_release(&d);
	fc_source_free(src);
	return nerr;
}

/* Nodes in one arena, strings in another: a copy of a subtree outlives the nodes' arena (ASan checks no pointer
 * into it is left), aliases included; tags written twice are stored once. */
static void test_yaml_split_and_copy(void **state)
{
	static const char text[] = "base: &b {x: [1, 2], y: !ref n.o}\nuse: *b\ntags: [!ref a.b, !ref c.d]\n";
	struct fc_arena nodes, strings;
	struct fc_diags d;
	struct fc_source *src = fc_source_new_take("t.yaml", fc_xstrdup(text), sizeof(text) - 1);
	struct fc_ydoc *docs = NULL;
	size_t ndocs = 0;
	struct fc_ynode *use, *tags, *x;

	(void)state;
	fc_arena_init(&nodes, 0);
	fc_arena_init(&strings, 0);
	fc_diags_init(&d);
	assert_int_equal(fc_yaml_load_split(&nodes, &strings, src, NULL, &docs, &ndocs, &d), FC_OK);
	assert_int_equal(ndocs, 1);
	use = fc_ynode_copy(&strings, fc_ymap_get(docs[0].root, "use"));
	tags = fc_ynode_copy(&strings, fc_ymap_get(docs[0].root, "tags"));
	assert_null(fc_ynode_copy(&strings, NULL));
	assert_ptr_equal(tags->u.seq.items[0]->tag, tags->u.seq.items[1]->tag);
	fc_arena_release(&nodes);
	assert_int_equal(use->kind, FC_Y_MAP);
	assert_int_equal(use->line, 1);
	assert_int_equal(use->col, 7);
	x = fc_ymap_get(use, "x");
	assert_int_equal(x->u.seq.n, 2);
	assert_string_equal(x->u.seq.items[1]->u.scalar.str, "2");
	assert_int_equal(x->u.seq.items[1]->col, 18);
	assert_string_equal(fc_ymap_get(use, "y")->tag, "!ref");
	assert_string_equal(fc_ymap_get(use, "y")->u.scalar.str, "n.o");
	assert_string_equal(tags->u.seq.items[1]->u.scalar.str, "c.d");
	assert_int_equal(tags->u.seq.items[1]->line, 3);
	fc_arena_release(&strings);
	fc_diags_release(&d);
	fc_source_free(src);
}

static void test_yaml_positions(void **state)
{
	struct fc_arena a;
	struct fc_ydoc *docs;
	size_t n;
	const struct fc_ynode *root, *v;

	(void)state;
	fc_arena_init(&a, 0);
	assert_int_equal(load("a: 1\nb:\n  - x\n  - !ref y.z\n", 27, NULL, NULL, NULL, NULL, &docs, &n, &a), 0);
	assert_int_equal(n, 1);
	root = docs[0].root;
	assert_int_equal(root->kind, FC_Y_MAP);
	v = fc_ymap_get(root, "b");
	assert_non_null(v);
	assert_int_equal(v->kind, FC_Y_SEQ);
	assert_int_equal(v->u.seq.n, 2);
	assert_int_equal(v->u.seq.items[1]->line, 4);
	assert_int_equal(v->u.seq.items[1]->col, 5);
	assert_string_equal(v->u.seq.items[1]->tag, "!ref");
	assert_string_equal(v->u.seq.items[1]->u.scalar.str, "y.z");
	fc_arena_release(&a);
}

static void test_yaml_rejects(void **state)
{
	struct fc_arena a;
	const char *code;
	uint32_t line, col;
	struct fc_yaml_limits small = {5, 1000, 100, 0};
	char deep[40000];
	size_t i;

	(void)state;
	fc_arena_init(&a, 0);
	/* duplicate keys, reported at the second one */
	assert_int_equal(load("a: 1\nb: 2\na: 3\n", 15, NULL, &code, &line, &col, NULL, NULL, &a), 1);
	assert_string_equal(code, "DuplicateKey");
	assert_int_equal(line, 3);
	/* tabs for indentation */
	assert_true(load("a:\n\t- 1\n", 8, NULL, &code, &line, &col, NULL, NULL, &a) >= 1);
	assert_string_equal(code, "YamlSyntax");
	/* invalid UTF-8 */
	assert_true(load("a: \xff\xfe\n", 6, NULL, &code, NULL, NULL, NULL, NULL, &a) >= 1);
	assert_string_equal(code, "YamlSyntax");
	/* NUL bytes / binary garbage */
	assert_true(load("a: b\0\x01\x02", 7, NULL, &code, NULL, NULL, NULL, NULL, &a) >= 1);
	/* unterminated quote */
	assert_true(load("a: \"abc\n", 8, NULL, &code, &line, NULL, NULL, NULL, &a) >= 1);
	/* undefined alias */
	assert_true(load("a: *nope\n", 9, NULL, &code, NULL, NULL, NULL, NULL, &a) >= 1);
	/* nesting past the limit, without recursion in the loader */
	memcpy(deep, "a: ", 3);
	for (i = 3; i < 20000; i++)
		deep[i] = '[';
	for (i = 0; i < 20000; i++)
		deep[20000 + i] = ']';
	assert_true(load(deep, 40000, NULL, &code, NULL, NULL, NULL, NULL, &a) >= 1);
	assert_string_equal(code, "YamlLimit");
	assert_true(load("a: [[[[[[[1]]]]]]]\n", 19, &small, &code, NULL, NULL, NULL, NULL, &a) >= 1);
	assert_string_equal(code, "YamlLimit");
	/* scalar too large */
	{
		char longscalar[300];

		memset(longscalar, 'x', sizeof(longscalar));
		memcpy(longscalar, "a: ", 3);
		longscalar[sizeof(longscalar) - 1] = '\n';
		assert_true(load(longscalar, sizeof(longscalar), &small, &code, NULL, NULL, NULL, NULL, &a) >= 1);
	}
	assert_string_equal(code, "YamlLimit");
	fc_arena_release(&a);
}

/* "Billion laughs": each level repeats the previous one ten times; expansion is counted, not performed. */
static void test_yaml_alias_bomb(void **state)
{
	static const char bomb[] = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
				   "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
				   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
				   "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
				   "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
				   "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
				   "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
				   "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
				   "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
	struct fc_arena a;
	const char *code;

	(void)state;
	fc_arena_init(&a, 0);
	assert_true(load(bomb, sizeof(bomb) - 1, NULL, &code, NULL, NULL, NULL, NULL, &a) >= 1);
	assert_string_equal(code, "YamlLimit");
	assert_true(a.total < 16 * 1024 * 1024);
	fc_arena_release(&a);
}

/* Aliases under the node limit: a few hundred bytes that would expand to a million nodes (a 37 MB literal once
 * converted) are refused by the allowance relative to the file's size; sharing a block a few times is fine. */
static void test_yaml_alias_allowance(void **state)
{
	static const char small_bomb[] = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
					 "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
					 "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
					 "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
					 "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
					 "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
	static const char shared[] = "res: &r {cpu: 1, mem: 1Gi, gpu: 0}\n"
				     "t1: *r\nt2: *r\nt3: *r\nt4: *r\nt5: *r\n";
	struct fc_yaml_limits only_nodes = {256, 4000000, 1024, 0};
	struct fc_arena a;
	const char *code;

	(void)state;
	fc_arena_init(&a, 0);
	/* 1.1 million nodes: under the node limit, over what aliases may add to a 300-byte file */
	assert_true(load(small_bomb, sizeof(small_bomb) - 1, &only_nodes, &code, NULL, NULL, NULL, NULL, &a) >= 1);
	assert_string_equal(code, "YamlLimit");
	assert_int_equal(load(shared, sizeof(shared) - 1, &only_nodes, &code, NULL, NULL, NULL, NULL, &a), 0);
	assert_int_equal(fc_yaml_alias_allowance(100), FC_LIMIT_YAML_ALIAS_NODES_FLOOR);
	assert_int_equal(fc_yaml_alias_allowance(100000), 100000 * FC_LIMIT_YAML_ALIAS_NODES_PER_BYTE);
	assert_int_equal(fc_yaml_alias_allowance(64u * 1024 * 1024), FC_LIMIT_YAML_ALIAS_NODES_ABSOLUTE);
	fc_arena_release(&a);
}

static void test_yaml_multi_document(void **state)
{
	struct fc_arena a;
	struct fc_ydoc *docs;
	size_t n;

	(void)state;
	fc_arena_init(&a, 0);
	assert_int_equal(load("a: 1\n---\nb: 2\n---\n", 18, NULL, NULL, NULL, NULL, &docs, &n, &a), 0);
	assert_int_equal(n, 3);
	assert_non_null(fc_ymap_get(docs[1].root, "b"));
	assert_true(docs[2].root == NULL || fc_ynode_is_null(docs[2].root));
	/* an empty file is no document at all */
	assert_int_equal(load("", 0, NULL, NULL, NULL, NULL, &docs, &n, &a), 0);
	assert_int_equal(n, 0);
	fc_arena_release(&a);
}

static void test_diag_render(void **state)
{
	struct fc_diags d;
	struct fc_buf out = FC_BUF_INIT;
	struct fc_source *src = fc_source_new_take("w.yaml", fc_xstrdup("one\n  two three\n"), 16);
	struct fc_loc loc = {src, 2, 7};
	struct fc_diag *dg;

	(void)state;
	fc_diags_init(&d);
	dg = fc_diag_add(&d, FC_SEV_ERROR, "MismatchingTypes", loc, "bad %s", "thing");
	fc_diag_about(dg, "wf", "n1", "x");
	fc_diags_render(&d, FC_DIAG_TEXT, false, &out);
	assert_non_null(strstr(out.buf, "w.yaml:2:7: error[MismatchingTypes]: bad thing\n"));
	assert_non_null(strstr(out.buf, "    2 |   two three\n      |       ^\n"));
	assert_non_null(strstr(out.buf, "in workflow 'wf', node 'n1', variable 'x'"));
	fc_buf_reset(&out);
	fc_diags_render(&d, FC_DIAG_JSON, false, &out);
	assert_non_null(strstr(out.buf, "\"line\":2,\"column\":7"));
	assert_non_null(strstr(out.buf, "\"code\":\"MismatchingTypes\""));
	fc_buf_release(&out);
	fc_diags_release(&d);
	fc_source_free(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_basics),      cmocka_unit_test(test_buf_cap_is_sticky),
		cmocka_unit_test(test_arena),           cmocka_unit_test(test_strmap),
		cmocka_unit_test(test_durations),       cmocka_unit_test(test_quantities),
		cmocka_unit_test(test_sha256),          cmocka_unit_test(test_yaml_positions),
		cmocka_unit_test(test_yaml_split_and_copy),
		cmocka_unit_test(test_yaml_rejects),    cmocka_unit_test(test_yaml_alias_bomb),
		cmocka_unit_test(test_yaml_alias_allowance),
		cmocka_unit_test(test_yaml_multi_document), cmocka_unit_test(test_diag_render),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
