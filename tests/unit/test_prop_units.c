/* test_prop_units.c: the propeller's smaller pieces: store keys, literal text conversion and comparison, catalog
 * keys, and external plugins loaded from a shared object (plugins/examples/hello_plugin.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_prop_fixture.h"

#include "core/sha256.h"
#include "plugins/registry.h"
#include "propeller/catalog.h"
#include "propeller/store.h"

#include <stdio.h>

static void test_store_keys(void **state)
{
	static const char *const good[] = {"a", "p-d-e/n0/data/inputs.pb", "x/0/outputs.pb", "a.b_c-d/e"};
	static const char *const bad[] = {"", "/abs", "a/../b", "..", "a/./b", "a//b", "a/", "a b", "a/b\\c", "é"};
	size_t i;

	(void)state;
	for (i = 0; i < FC_ARRAY_LEN(good); i++)
		assert_true(prop_store_key_valid(good[i]));
	for (i = 0; i < FC_ARRAY_LEN(bad); i++)
		if (prop_store_key_valid(bad[i]))
			fail_msg("accepted bad key '%s'", bad[i]);
}

static void test_store_roundtrip(void **state)
{
	char *dir = fx_tmpdir();
	struct prop_store *s;
	struct fc_buf b = FC_BUF_INIT;
	struct fc_err err;

	(void)state;
	assert_int_equal(prop_store_local_open(dir, false, &s, &err), 0);
	assert_int_equal(prop_store_put(s, "x/y/z.bin", "abc", 3, &err), 0);
	assert_int_equal(prop_store_get(s, "x/y/z.bin", &b, 0, &err), 0);
	assert_string_equal(b.buf, "abc");
	assert_int_equal(prop_store_get(s, "x/y/missing", &b, 0, &err), FC_ENOENT);
	assert_int_equal(prop_store_put(s, "../escape", "x", 1, &err), FC_EINVAL);
	assert_false(prop_store_exists(s, "../escape"));
	fc_buf_release(&b);
	prop_store_free(s);
	fx_rmrf(dir);
	free(dir);
}

static void test_lit_text(void **state)
{
	struct fx fx;
	Flyteidl__Core__Literal *l;
	struct fc_err err;
	struct fc_buf b = FC_BUF_INIT;
	Flyteidl__Core__LiteralType dt = FLYTEIDL__CORE__LITERAL_TYPE__INIT;

	(void)state;
	fx_init(&fx);
	assert_int_equal(cmp_lit_from_text(&fx.a, fx_type(&fx, "int"), " 42\n", CMP_LIT_TEXT_FILE, &l, &err), 0);
	assert_int_equal(l->scalar->primitive->integer, 42);
	assert_int_equal(cmp_lit_from_text(&fx.a, fx_type(&fx, "int"), "4x", CMP_LIT_TEXT_FILE, &l, &err), FC_EINVAL);
	assert_int_equal(cmp_lit_from_text(&fx.a, fx_type(&fx, "float"), "2.5", CMP_LIT_TEXT_FILE, &l, &err), 0);
	assert_int_equal(cmp_lit_from_text(&fx.a, fx_type(&fx, "bool"), "true", CMP_LIT_TEXT_FILE, &l, &err), 0);
	assert_true(l->scalar->primitive->boolean);
	assert_int_equal(cmp_lit_from_text(&fx.a, fx_type(&fx, "str"), "two words\n", CMP_LIT_TEXT_FILE, &l, &err), 0);
	assert_string_equal(l->scalar->primitive->string_value, "two words");
	assert_int_equal(cmp_lit_from_text(&fx.a, fx_type(&fx, "list:int"), "[1]", CMP_LIT_TEXT_FILE, &l, &err), FC_EUNSUPPORTED);
	dt.type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE;
	dt.simple = FLYTEIDL__CORE__SIMPLE_TYPE__DURATION;
	assert_int_equal(cmp_lit_from_text(&fx.a, &dt, "1h30m", CMP_LIT_TEXT_FILE, &l, &err), 0);
	assert_int_equal(l->scalar->primitive->duration->seconds, 5400);
	/* Plain seconds (the propeller's own form), and core's grammar for the rest. */
	assert_int_equal(cmp_lit_from_text(&fx.a, &dt, "1.5\n", CMP_LIT_TEXT_FILE, &l, &err), 0);
	assert_int_equal(l->scalar->primitive->duration->seconds, 1);
	assert_int_equal(l->scalar->primitive->duration->nanos, 500000000);
	assert_int_equal(cmp_lit_from_text(&fx.a, &dt, "90", CMP_LIT_TEXT_FILE, &l, &err), 0);
	assert_int_equal(l->scalar->primitive->duration->seconds, 90);
	assert_int_equal(cmp_lit_from_text(&fx.a, &dt, "250ms", CMP_LIT_TEXT_FILE, &l, &err), 0);
	assert_int_equal(l->scalar->primitive->duration->seconds, 0);
	assert_int_equal(l->scalar->primitive->duration->nanos, 250000000);
	assert_int_equal(cmp_lit_from_text(&fx.a, &dt, "1.5h", CMP_LIT_TEXT_FILE, &l, &err), 0);
	assert_int_equal(l->scalar->primitive->duration->seconds, 5400);
	assert_int_equal(cmp_lit_from_text(&fx.a, &dt, "2d", CMP_LIT_TEXT_FILE, &l, &err), 0);
	assert_int_equal(l->scalar->primitive->duration->seconds, 172800);
	assert_int_equal(cmp_lit_from_text(&fx.a, &dt, "soon", CMP_LIT_TEXT_FILE, &l, &err), FC_EINVAL);
	assert_int_equal(cmp_lit_from_text(&fx.a, &dt, "5 parsecs", CMP_LIT_TEXT_FILE, &l, &err), FC_EINVAL);
	dt.simple = FLYTEIDL__CORE__SIMPLE_TYPE__DATETIME;
	assert_int_equal(cmp_lit_from_text(&fx.a, &dt, "2024-01-02T03:04:05+01:00", CMP_LIT_TEXT_FILE, &l, &err), 0);
	cmp_lit_render(l, CMP_LIT_SHOW_PLAIN, &b);
	assert_string_equal(b.buf, "2024-01-02T02:04:05Z");
	/* Fractions are kept to the nanosecond; a bare date is midnight UTC. */
	fc_buf_reset(&b);
	assert_int_equal(cmp_lit_from_text(&fx.a, &dt, "2024-01-02T03:04:05.25Z", CMP_LIT_TEXT_FILE, &l, &err), 0);
	assert_int_equal(l->scalar->primitive->datetime->nanos, 250000000);
	cmp_lit_render(l, CMP_LIT_SHOW_PLAIN, &b);
	assert_string_equal(b.buf, "2024-01-02T03:04:05.250000000Z");
	fc_buf_reset(&b);
	assert_int_equal(cmp_lit_from_text(&fx.a, &dt, "2024-01-02", CMP_LIT_TEXT_FILE, &l, &err), 0);
	cmp_lit_render(l, CMP_LIT_SHOW_PLAIN, &b);
	assert_string_equal(b.buf, "2024-01-02T00:00:00Z");
	fc_buf_release(&b);
	fx_release(&fx);
}

static void test_lit_compare_and_hash(void **state)
{
	struct fx fx;
	int cmp = 9;
	struct fc_err err;
	Flyteidl__Core__LiteralMap *m1, *m2;
	struct fc_buf k1 = FC_BUF_INIT, k2 = FC_BUF_INIT, k3 = FC_BUF_INIT;
	Flyteidl__Core__TaskTemplate *t;

	(void)state;
	fx_init(&fx);
	assert_int_equal(cmp_lit_compare(cmp_lit_int(&fx.a, 3), cmp_lit_float(&fx.a, 3.5), true, &cmp, &err), 0);
	assert_true(cmp < 0);
	assert_int_equal(cmp_lit_compare(cmp_lit_str(&fx.a, "b"), cmp_lit_str(&fx.a, "a"), true, &cmp, &err), 0);
	assert_true(cmp > 0);
	assert_int_equal(cmp_lit_compare(cmp_lit_str(&fx.a, "b"), cmp_lit_int(&fx.a, 1), true, &cmp, &err),
			 FC_EINVAL);
	/* Cache keys do not depend on the order of inputs, and do depend on values and versions. */
	t = fx_task(&fx, "t", "container", "a:int,b:int", "", NULL);
	fx_task_cache(t, "1");
	m1 = cmp_litmap_new(&fx.a);
	cmp_litmap_put(&fx.a, m1, "a", cmp_lit_int(&fx.a, 1));
	cmp_litmap_put(&fx.a, m1, "b", cmp_lit_int(&fx.a, 2));
	m2 = cmp_litmap_new(&fx.a);
	cmp_litmap_put(&fx.a, m2, "b", cmp_lit_int(&fx.a, 2));
	cmp_litmap_put(&fx.a, m2, "a", cmp_lit_int(&fx.a, 1));
	prop_catalog_key(t, NULL, m1, &k1);
	prop_catalog_key(t, NULL, m2, &k2);
	assert_string_equal(k1.buf, k2.buf);
	prop_catalog_key(t, "2", m2, &k3);
	assert_string_not_equal(k1.buf, k3.buf);
	/* Ignored inputs do not count. */
	t->metadata->n_cache_ignore_input_vars = 1;
	t->metadata->cache_ignore_input_vars = fc_arena_alloc(&fx.a, sizeof(char *));
	t->metadata->cache_ignore_input_vars[0] = fc_arena_strdup(&fx.a, "b");
	fc_buf_reset(&k1);
	fc_buf_reset(&k2);
	prop_catalog_key(t, NULL, m1, &k1);
	cmp_litmap_put(&fx.a, m2, "b", cmp_lit_int(&fx.a, 99));
	prop_catalog_key(t, NULL, m2, &k2);
	assert_string_equal(k1.buf, k2.buf);
	fc_buf_release(&k1);
	fc_buf_release(&k2);
	fc_buf_release(&k3);
	fx_release(&fx);
}

/* Build plugins/examples/hello_plugin.c into a shared object, load it and run a task through it. */
static void test_external_plugin(void **state)
{
	char *dir = fx_tmpdir();
	char cmd[2048], plugdir[256], data[256];
	struct plg_registry *reg = plg_registry_new();
	struct prop_config cfg;
	struct prop_engine *e;
	struct fx fx;
	struct fc_err err;
	Flyteidl__Core__Node *n;
	Flyteidl__Core__LiteralMap *out = NULL;
	FILE *f;

	(void)state;
	snprintf(plugdir, sizeof(plugdir), "%s/plugins", dir);
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s && cc -shared -fPIC -I. -o %s/hello.so plugins/examples/hello_plugin.c",
		 plugdir, plugdir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(plg_registry_load_dir(reg, plugdir, &err), 0);
	assert_non_null(plg_registry_find(reg, "hello"));
	assert_int_equal(plg_registry_load_dir(reg, plugdir, &err), FC_EEXIST);
	/* A shared object without the entry point is refused with its name. */
	snprintf(cmd, sizeof(cmd), "%s/bad.c", dir);
	f = fopen(cmd, "w");
	assert_non_null(f);
	fputs("int nothing_here(void) { return 0; }\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cc -shared -fPIC -o %s/bad.so %s/bad.c", dir, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/bad.so", dir);
	assert_int_equal(plg_registry_load_file(reg, cmd, &err), FC_EINVAL);
	assert_non_null(strstr(err.msg, "flytec_plugin_entry"));
	/* Route a type to a plugin by configuration. */
	assert_int_equal(plg_registry_set_default(reg, "greeting", "hello", &err), 0);
	assert_int_equal(plg_registry_set_default(reg, "x", "nope", &err), FC_ENOENT);

	fx_init(&fx);
	n = fx_task_node(&fx, "n0", fx_task(&fx, "hi", "greeting", "name:str", "greeting:str", NULL));
	fx_bind(&fx, n, "name", fx_bd_lit(&fx, cmp_lit_str(&fx.a, "flyte")));
	fx_wf_output(&fx, fx.wf, "g", fx_bd_promise(&fx, "n0", "greeting"));
	memset(&cfg, 0, sizeof(cfg));
	cfg.data_dir = data;
	cfg.plugins = reg;
	assert_int_equal(prop_engine_open(&cfg, &e, &err), 0);
	assert_int_equal(fx_run_exec(&fx, e, "ext", NULL, 0, &out, NULL), FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDED);
	assert_string_equal(fx_str(out, "g"), "hello, flyte");
	prop_engine_free(e);
	plg_registry_free(reg);
	fx_release(&fx);
	fx_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_keys),
		cmocka_unit_test(test_store_roundtrip),
		cmocka_unit_test(test_lit_text),
		cmocka_unit_test(test_lit_compare_and_hash),
		cmocka_unit_test(test_external_plugin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
