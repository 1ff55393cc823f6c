/* test_console_files.c: the console's files through the route table (admin-lite/console.c), below HTTP: the
 * embedded table holds console/'s files byte for byte, /console and /console/ answer index.html, and names that
 * are not console files (unknown, hidden, other kinds, too long) are 404 JSON, never read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "admin-lite/console.h"
#include "admin-lite/server_int.h"
#include "admin-lite/store.h"
#include "core/buf.h"
#include "core/err.h"

#include <stdio.h>
#include <string.h>

static struct adm_store *store;

static int setup(void **state)
{
	struct fc_err err;

	(void)state;
	return adm_store_open(":memory:", &store, &err);
}

static int teardown(void **state)
{
	(void)state;
	adm_store_free(store);
	return 0;
}

static unsigned get(const char *url, struct fc_buf *out)
{
	unsigned status = 0;

	adm_serve_offline(store, "GET", url, NULL, 0, &status, out);
	return status;
}

static void test_embedded_match_the_tree(void **state)
{
	struct fc_buf want = FC_BUF_INIT, got = FC_BUF_INIT;
	struct fc_err err;
	size_t i;

	(void)state;
	assert_true(adm_console_nfiles >= 5); /* index.html, app.js, api.js, dom.js, style.css at least */
	for (i = 0; i < adm_console_nfiles; i++) {
		char path[256], url[256];

		snprintf(path, sizeof(path), "console/%s", adm_console_files[i].name);
		snprintf(url, sizeof(url), "/console/%s", adm_console_files[i].name);
		fc_buf_reset(&want);
		assert_int_equal(fc_buf_read_file(&want, path, 0, &err), 0);
		assert_int_equal(get(url, &got), 200);
		assert_int_equal(got.len, want.len);
		assert_memory_equal(got.buf, want.buf, want.len);
	}
	fc_buf_release(&want);
	fc_buf_release(&got);
}

static void test_index(void **state)
{
	struct fc_buf out = FC_BUF_INIT;

	(void)state;
	assert_int_equal(get("/console", &out), 200);
	assert_non_null(strstr(out.buf, "/console/app.js"));
	assert_int_equal(get("/console/", &out), 200);
	assert_non_null(strstr(out.buf, "<!doctype html>"));
	fc_buf_release(&out);
}

static void test_refused_names(void **state)
{
	static const char *const bad[] = {
		"/console/nope.js", "/console/.hidden.js", "/console/app.exe", "/console/app", "/console/a%20b.js",
		"/console/index.html.bak", "/console/app.js/x",
		"/console/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.js",
	};
	struct fc_buf out = FC_BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(get(bad[i], &out), 404);
		assert_non_null(strstr(out.buf, "\"code\":\"not_found\""));
	}
	fc_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_embedded_match_the_tree),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_refused_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
