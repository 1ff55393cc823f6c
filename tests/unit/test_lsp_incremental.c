/*
 * test_lsp_incremental.c: the language server's incremental re-check gives the diagnostics a whole compile gives.
 * A generated workspace (tasks, workflows and launch plans that refer to each other across files, with duplicate
 * names, names that resolve nowhere or almost resolve, cycles, type mismatches and broken YAML) is opened by two
 * servers, one re-checking only what an edit can affect and one re-checking everything; after each of a few
 * hundred random edits the diagnostics each client holds, per file, must be the same.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "lsp/lsp.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NFILES 24
#define NEDITS 150

static uint64_t rng_state;

static unsigned rnd(unsigned n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((rng_state >> 33) % n);
}

/* A name from a small pool, sometimes one that is one letter off (a did-you-mean) or not there at all. */
static void pick_name(struct fc_buf *b, char prefix)
{
	unsigned r = rnd(20);

	if (r < 16)
		fc_buf_addf(b, "%c%u", prefix, rnd(8));
	else if (r < 19)
		fc_buf_addf(b, "%c%ux", prefix, rnd(8));
	else
		fc_buf_addf(b, "zz%c%u", prefix, rnd(3));
}

static void gen_file(struct fc_buf *b)
{
	unsigned i, j, ntasks = rnd(3), nwfs = rnd(3), nlps = rnd(4) == 0;

	fc_buf_reset(b);
	if (rnd(12) == 0) {
		fc_buf_adds(b, "tasks: [ {name: broken\n");
		return;
	}
	if (ntasks) {
		fc_buf_adds(b, "tasks:\n");
		for (i = 0; i < ntasks; i++) {
			const char *type = rnd(8) ? "integer" : "string";

			fc_buf_adds(b, "  - {name: ");
			pick_name(b, 't');
			fc_buf_addf(b, ", type: echo, inputs: {x: %s}, outputs: {x: integer}%s}\n", type,
				    rnd(10) ? "" : ", retires: 2");
		}
	}
	if (nwfs) {
		fc_buf_adds(b, "workflows:\n");
		for (i = 0; i < nwfs; i++) {
			unsigned nnodes = 1 + rnd(3);

			fc_buf_adds(b, "  - name: ");
			pick_name(b, 'w');
			fc_buf_adds(b, "\n    inputs: {x: integer}\n    nodes:\n");
			for (j = 0; j < nnodes; j++) {
				unsigned kind = rnd(6);

				fc_buf_addf(b, "      - {id: n%u, %s: ", j,
					    kind < 4 ? "task" : kind == 4 ? "workflow" : "launch_plan");
				pick_name(b, kind < 4 ? 't' : kind == 4 ? 'w' : (rnd(2) ? 'l' : 'w'));
				if (j)
					fc_buf_addf(b, ", inputs: {x: !ref n%u.x}}\n", j - 1);
				else
					fc_buf_adds(b, ", inputs: {x: !ref inputs.x}}\n");
			}
			fc_buf_addf(b, "    outputs: {x: !ref n%u.x}\n", nnodes - 1);
		}
	}
	if (nlps) {
		fc_buf_adds(b, "launch_plans:\n  - {name: ");
		pick_name(b, 'l');
		fc_buf_adds(b, ", workflow: ");
		pick_name(b, 'w');
		fc_buf_adds(b, "}\n");
	}
}

/* Read the server's output; keep each file's latest diagnostics in `state` (uri -> compact JSON; gone when
 * empty). */
static void absorb(const struct fc_buf *out, json_t *state)
{
	const char *p = out->buf, *end = out->buf + out->len;

	while (p < end) {
		size_t len;
		const char *body = strstr(p, "\r\n\r\n");
		json_t *msg, *params;

		assert_non_null(body);
		assert_int_equal(sscanf(p, "Content-Length: %zu", &len), 1);
		body += 4;
		msg = json_loadb(body, len, 0, NULL);
		assert_non_null(msg);
		params = json_object_get(msg, "params");
		if (!strcmp(json_string_value(json_object_get(msg, "method")) ?: "", "textDocument/publishDiagnostics")) {
			const char *uri = json_string_value(json_object_get(params, "uri"));
			json_t *list = json_object_get(params, "diagnostics");

			if (json_array_size(list)) {
				char *text = json_dumps(list, JSON_COMPACT | JSON_SORT_KEYS);

				json_object_set_new(state, uri, json_string_nocheck(text));
				free(text);
			} else
				json_object_del(state, uri);
		}
		json_decref(msg);
		p = body + len;
	}
}

static void send_both(struct lsp_server *inc, struct lsp_server *full, const char *body, json_t *s_inc,
		      json_t *s_full)
{
	struct fc_buf out = FC_BUF_INIT;

	lsp_server_handle(inc, body, strlen(body), &out);
	absorb(&out, s_inc);
	fc_buf_reset(&out);
	lsp_server_handle(full, body, strlen(body), &out);
	absorb(&out, s_full);
	fc_buf_release(&out);
}

static void assert_same(json_t *s_inc, json_t *s_full, unsigned edit)
{
	const char *uri;
	json_t *v;
	bool same = true;

	json_object_foreach(s_full, uri, v) {
		json_t *w = json_object_get(s_inc, uri);

		if (!w || strcmp(json_string_value(v), json_string_value(w))) {
			fprintf(stderr, "after edit %u, %s:\n  incremental: %s\n  full:        %s\n", edit, uri,
				w ? json_string_value(w) : "[]", json_string_value(v));
			same = false;
		}
	}
	json_object_foreach(s_inc, uri, v)
		if (!json_object_get(s_full, uri)) {
			fprintf(stderr, "after edit %u, %s:\n  incremental: %s\n  full:        []\n", edit, uri,
				json_string_value(v));
			same = false;
		}
	if (!same)
		fail();
}

static void run_seed(uint64_t seed)
{
	char dir[] = "/tmp/flytec-lspinc-XXXXXX";
	struct lsp_server *inc = lsp_server_new(), *full = lsp_server_new();
	json_t *s_inc = json_object(), *s_full = json_object();
	struct fc_buf text = FC_BUF_INIT, path = FC_BUF_INIT, msg = FC_BUF_INIT;
	unsigned i, edit, changed_files = 0;
	json_t *m;
	char *body;

	rng_state = seed;
	assert_non_null(mkdtemp(dir));
	lsp_server_set_full_checks(full, true);
	for (i = 0; i < NFILES; i++) {
		FILE *fp;

		gen_file(&text);
		fc_buf_reset(&path);
		fc_buf_addf(&path, "%s/f%02u.yaml", dir, i);
		fp = fopen(path.buf, "w");
		assert_non_null(fp);
		fwrite(text.buf, 1, text.len, fp);
		fclose(fp);
	}
	fc_buf_addf(&msg, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"rootUri\":\"file://%s\"}}", dir);
	send_both(inc, full, msg.buf, s_inc, s_full);
	send_both(inc, full, "{\"jsonrpc\":\"2.0\",\"method\":\"initialized\",\"params\":{}}", s_inc, s_full);
	assert_same(s_inc, s_full, 0);
	for (edit = 1; edit <= NEDITS; edit++) {
		size_t before = json_object_size(s_inc);

		gen_file(&text);
		fc_buf_reset(&path);
		fc_buf_addf(&path, "file://%s/f%02u.yaml", dir, rnd(NFILES + 2)); /* two files only the editor has */
		m = json_pack("{s:s,s:s,s:{s:{s:s,s:i},s:[{s:s}]}}", "jsonrpc", "2.0", "method", "textDocument/didChange",
			      "params", "textDocument", "uri", path.buf, "version", (int)edit, "contentChanges", "text",
			      text.buf);
		if (rnd(10) == 0) { /* open it instead */
			json_decref(m);
			m = json_pack("{s:s,s:s,s:{s:{s:s,s:i,s:s,s:s}}}", "jsonrpc", "2.0", "method",
				      "textDocument/didOpen", "params", "textDocument", "uri", path.buf, "version", (int)edit,
				      "languageId", "yaml", "text", text.buf);
		}
		body = json_dumps(m, JSON_COMPACT);
		send_both(inc, full, body, s_inc, s_full);
		free(body);
		json_decref(m);
		assert_same(s_inc, s_full, edit);
		changed_files += json_object_size(s_inc) != before;
	}
	/* the generator must reach both states often: files with diagnostics and files without */
	assert_true(json_object_size(s_inc) > 0);
	assert_true(changed_files > 0);
	lsp_server_free(inc);
	lsp_server_free(full);
	json_decref(s_inc);
	json_decref(s_full);
	fc_buf_reset(&msg);
	fc_buf_addf(&msg, "rm -rf '%s'", dir);
	assert_int_equal(system(msg.buf), 0);
	fc_buf_release(&text);
	fc_buf_release(&path);
	fc_buf_release(&msg);
}

static void test_random_edits(void **state)
{
	/* FLYTEC_TEST_SEEDS=N runs more workspaces */
	uint64_t seed, nseeds = getenv("FLYTEC_TEST_SEEDS") ? strtoull(getenv("FLYTEC_TEST_SEEDS"), NULL, 10) : 6;

	(void)state;
	for (seed = 1; seed <= nseeds; seed++)
		run_seed(seed * 7919);
}

/* An edit in a file nothing refers to compiles that file and what it uses, not the workspace. */
static void test_leaf_edit_is_small(void **state)
{
	char dir[] = "/tmp/flytec-lspinc-XXXXXX";
	struct lsp_server *srv = lsp_server_new();
	struct fc_buf out = FC_BUF_INIT, msg = FC_BUF_INIT;
	json_t *st = json_object();
	size_t files = 0;
	unsigned i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (i = 0; i < 50; i++) {
		FILE *fp;

		fc_buf_reset(&msg);
		fc_buf_addf(&msg, "%s/s%u.yaml", dir, i);
		fp = fopen(msg.buf, "w");
		assert_non_null(fp);
		fprintf(fp, "tasks:\n  - {name: t%u, type: echo, inputs: {x: integer}, outputs: {x: integer}}\n"
			    "workflows:\n  - name: w%u\n    inputs: {x: integer}\n    nodes:\n"
			    "      - {id: a, task: t%u, inputs: {x: !ref inputs.x}}\n    outputs: {x: !ref a.x}\n",
			i, i, i ? 0 : 1);
		fclose(fp);
	}
	fc_buf_reset(&msg);
	fc_buf_addf(&msg, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"rootUri\":\"file://%s\"}}", dir);
	lsp_server_handle(srv, msg.buf, msg.len, &out);
	fc_buf_reset(&out);
	fc_buf_reset(&msg);
	fc_buf_adds(&msg, "{\"jsonrpc\":\"2.0\",\"method\":\"initialized\",\"params\":{}}");
	lsp_server_handle(srv, msg.buf, msg.len, &out);
	absorb(&out, st);
	assert_int_equal(json_object_size(st), 0);
	/* s7 is a leaf: only it (and s0, whose task it uses... it uses its own) is compiled */
	fc_buf_reset(&out);
	fc_buf_reset(&msg);
	fc_buf_addf(&msg, "{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/didChange\",\"params\":{\"textDocument\":{\"uri\":"
			  "\"file://%s/s7.yaml\",\"version\":2},\"contentChanges\":[{\"text\":\"tasks:\\n  - {name: t7, "
			  "type: echo, retires: 1}\\n\"}]}}", dir);
	lsp_server_handle(srv, msg.buf, msg.len, &out);
	absorb(&out, st);
	lsp_server_last_check_us(srv, &files);
	assert_int_equal(files, 1);
	assert_int_equal(json_object_size(st), 1);
	/* t0 is used by every workflow; an edit that keeps what they see of it re-checks s0 alone */
	fc_buf_reset(&out);
	fc_buf_reset(&msg);
	fc_buf_addf(&msg, "{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/didChange\",\"params\":{\"textDocument\":{\"uri\":"
			  "\"file://%s/s0.yaml\",\"version\":2},\"contentChanges\":[{\"text\":\"tasks:\\n  - {name: t0, "
			  "type: echo, retries: 3, inputs: {x: integer}, outputs: {x: integer}}\\nworkflows:\\n  - name: w0\\n"
			  "    inputs: {x: integer}\\n    nodes:\\n      - {id: a, task: t1, inputs: {x: !ref inputs.x}}\\n"
			  "    outputs: {x: !ref a.x}\\n\"}]}}", dir);
	lsp_server_handle(srv, msg.buf, msg.len, &out);
	absorb(&out, st);
	lsp_server_last_check_us(srv, &files);
	assert_int_equal(files, 2); /* s0 and s1, whose task w0 uses */
	assert_int_equal(json_object_size(st), 1);
	/* a changed input type: every file is re-checked, and the ones whose diagnostics changed published */
	fc_buf_reset(&out);
	fc_buf_reset(&msg);
	fc_buf_addf(&msg, "{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/didChange\",\"params\":{\"textDocument\":{\"uri\":"
			  "\"file://%s/s0.yaml\",\"version\":3},\"contentChanges\":[{\"text\":\"tasks:\\n  - {name: t0, "
			  "type: echo, inputs: {x: string}, outputs: {x: integer}}\\n\"}]}}", dir);
	lsp_server_handle(srv, msg.buf, msg.len, &out);
	absorb(&out, st);
	lsp_server_last_check_us(srv, &files);
	assert_true(files >= 49);
	assert_int_equal(json_object_size(st), 49); /* s1..s49 bind an integer to t0's string (s7 had its own) */
	lsp_server_free(srv);
	json_decref(st);
	fc_buf_reset(&msg);
	fc_buf_addf(&msg, "rm -rf '%s'", dir);
	assert_int_equal(system(msg.buf), 0);
	fc_buf_release(&out);
	fc_buf_release(&msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_edits),
		cmocka_unit_test(test_leaf_edit_is_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
