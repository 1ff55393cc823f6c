/*
 * test_lsp.c: protocol edge cases of the language server (lsp/lsp.h): malformed frames, a message over the limit
 * (a 50 MB document), JSON that does not parse, unknown methods, requests before initialize and after shutdown,
 * notifications out of order; after each the server answers the next message as usual. Plus the checks an editor
 * sees: diagnostics with ranges that clear after an edit.
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

/* Split framed output into JSON messages. */
static size_t parse_out(const struct fc_buf *out, json_t **msgs, size_t max)
{
	const char *p = out->buf, *end = out->buf + out->len;
	size_t n = 0;

	while (p < end && n < max) {
		size_t len;
		const char *body = strstr(p, "\r\n\r\n");

		assert_non_null(body);
		assert_int_equal(sscanf(p, "Content-Length: %zu", &len), 1);
		body += 4;
		msgs[n] = json_loadb(body, len, 0, NULL);
		assert_non_null(msgs[n]);
		n++;
		p = body + len;
	}
	return n;
}

static void handle(struct lsp_server *srv, const char *body, struct fc_buf *out)
{
	fc_buf_reset(out);
	lsp_server_handle(srv, body, strlen(body), out);
}

static json_t *one(struct lsp_server *srv, const char *body, struct fc_buf *out)
{
	json_t *msgs[4];
	size_t n;

	handle(srv, body, out);
	n = parse_out(out, msgs, 4);
	assert_int_equal(n, 1);
	return msgs[0];
}

static int error_code(const json_t *m)
{
	return (int)json_integer_value(json_object_get(json_object_get(m, "error"), "code"));
}

static void test_requests_before_initialize_and_unknown_methods(void **state)
{
	struct lsp_server *srv = lsp_server_new();
	struct fc_buf out = FC_BUF_INIT;
	json_t *m;

	(void)state;
	m = one(srv, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"textDocument/hover\",\"params\":{}}", &out);
	assert_int_equal(error_code(m), -32002);
	json_decref(m);
	m = one(srv, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\",\"params\":{}}", &out);
	assert_non_null(json_object_get(json_object_get(m, "result"), "capabilities"));
	json_decref(m);
	m = one(srv, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"workspace/frobnicate\",\"params\":{}}", &out);
	assert_int_equal(error_code(m), -32601);
	json_decref(m);
	/* unknown notifications are ignored without an answer */
	handle(srv, "{\"jsonrpc\":\"2.0\",\"method\":\"$/cancelRequest\",\"params\":{\"id\":3}}", &out);
	assert_int_equal(out.len, 0);
	/* not JSON, not an object, no method */
	m = one(srv, "{\"jsonrpc\":\"2.0\",\"id\":", &out);
	assert_int_equal(error_code(m), -32700);
	assert_true(json_is_null(json_object_get(m, "id")));
	json_decref(m);
	m = one(srv, "[1,2]", &out);
	assert_int_equal(error_code(m), -32600);
	json_decref(m);
	m = one(srv, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":7}", &out);
	assert_int_equal(error_code(m), -32600);
	json_decref(m);
	m = one(srv, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"textDocument/hover\",\"params\":\"x\"}", &out);
	assert_int_equal(error_code(m), -32602);
	json_decref(m);
	/* a change for a document never opened, without text: a log message, no crash */
	handle(srv, "{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/didClose\",\"params\":{\"textDocument\":{\"uri\":"
		    "\"file:///nowhere/x.yaml\"}}}", &out);
	assert_non_null(strstr(out.buf, "window/logMessage"));
	/* shutdown, then requests are refused, exit ends with status 0 */
	m = one(srv, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"shutdown\"}", &out);
	assert_true(json_is_null(json_object_get(m, "result")));
	json_decref(m);
	m = one(srv, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"textDocument/hover\",\"params\":{}}", &out);
	assert_int_equal(error_code(m), -32600);
	json_decref(m);
	handle(srv, "{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}", &out);
	{
		int status = -1;

		assert_true(lsp_server_done(srv, &status));
		assert_int_equal(status, 0);
	}
	fc_buf_release(&out);
	lsp_server_free(srv);
}

static void test_diagnostics_then_cleared(void **state)
{
	struct lsp_server *srv = lsp_server_new();
	struct fc_buf out = FC_BUF_INIT, body = FC_BUF_INIT;
	json_t *msgs[8], *d;
	size_t n, i;

	(void)state;
	handle(srv, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}", &out);
	fc_buf_adds(&body, "{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/didOpen\",\"params\":{\"textDocument\":{\"uri\":"
			   "\"file:///ws/a.yaml\",\"languageId\":\"yaml\",\"version\":1,\"text\":\"tasks:\\n  - {name: t, "
			   "type: echo, retires: 1}\\n\"}}}");
	handle(srv, body.buf, &out);
	n = parse_out(&out, msgs, 8);
	assert_int_equal(n, 1);
	d = json_array_get(json_object_get(json_object_get(msgs[0], "params"), "diagnostics"), 0);
	assert_string_equal(json_string_value(json_object_get(d, "code")), "UnknownKey");
	/* the range covers the misspelt key: line 1 (0-based), characters 26..33 */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(d, "range"), "start"),
							    "line")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(d, "range"), "start"),
							    "character")), 26);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(d, "range"), "end"),
							    "character")), 33);
	for (i = 0; i < n; i++)
		json_decref(msgs[i]);
	/* an edit that fixes it publishes an empty list */
	handle(srv, "{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/didChange\",\"params\":{\"textDocument\":{\"uri\":"
		    "\"file:///ws/a.yaml\",\"version\":2},\"contentChanges\":[{\"text\":\"tasks:\\n  - {name: t, "
		    "type: echo, retries: 1}\\n\"}]}}", &out);
	n = parse_out(&out, msgs, 8);
	assert_int_equal(n, 1);
	assert_int_equal(json_array_size(json_object_get(json_object_get(msgs[0], "params"), "diagnostics")), 0);
	json_decref(msgs[0]);
	/* and a change nothing new to say about publishes nothing */
	handle(srv, "{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/didSave\",\"params\":{\"textDocument\":{\"uri\":"
		    "\"file:///ws/a.yaml\"}}}", &out);
	assert_int_equal(out.len, 0);
	/* a range edit (incremental sync, which the server did not offer) is refused with a log message */
	handle(srv, "{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/didChange\",\"params\":{\"textDocument\":{\"uri\":"
		    "\"file:///ws/a.yaml\"},\"contentChanges\":[{\"range\":{},\"text\":\"x\"}]}}", &out);
	assert_non_null(strstr(out.buf, "full sync"));
	fc_buf_release(&out);
	fc_buf_release(&body);
	lsp_server_free(srv);
}

/* Write `data` to a temp file and read frames from it. */
static int reader_on(const char *data, size_t len, struct lsp_reader *r)
{
	char path[] = "/tmp/flytec-test-lsp-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	lseek(fd, 0, SEEK_SET);
	lsp_reader_init(r, fd);
	return fd;
}

static void test_malformed_frames(void **state)
{
	static const char input[] = "Content-Length: x\r\n\r\n"                /* not a number */
				    "Content-Type: application/json\r\n\r\n"    /* no length */
				    "Content-Length: 2\r\nContent-Type: a\r\n\r\n{}" /* fine */
				    "Content-Length: 10\r\n\r\n{\"a\":";          /* cut short */
	struct fc_buf body = FC_BUF_INIT;
	struct lsp_reader r;
	struct fc_err err;
	int fd = reader_on(input, sizeof(input) - 1, &r);

	(void)state;
	assert_int_equal(lsp_reader_next(&r, &body, &err), FC_EPARSE);
	assert_non_null(strstr(err.msg, "Content-Length"));
	assert_int_equal(lsp_reader_next(&r, &body, &err), FC_EPARSE);
	assert_int_equal(lsp_reader_next(&r, &body, &err), FC_OK);
	assert_string_equal(body.buf, "{}");
	assert_int_equal(lsp_reader_next(&r, &body, &err), FC_EPARSE);
	assert_int_equal(lsp_reader_next(&r, &body, &err), FC_ENOENT);
	lsp_reader_release(&r);
	close(fd);
	fc_buf_release(&body);
}

static void test_fifty_megabyte_document(void **state)
{
	size_t big = 50u * 1024 * 1024;
	struct fc_buf data = FC_BUF_INIT, body = FC_BUF_INIT;
	struct lsp_reader r;
	struct fc_err err;
	int fd;

	(void)state;
	fc_buf_addf(&data, "Content-Length: %zu\r\n\r\n", big);
	fc_buf_addchars(&data, 'x', big);
	fc_buf_adds(&data, "Content-Length: 2\r\n\r\n{}");
	fd = reader_on(data.buf, data.len, &r);
	fc_buf_release(&data);
	assert_int_equal(lsp_reader_next(&r, &body, &err), FC_ELIMIT);
	assert_non_null(strstr(err.msg, "limit"));
	assert_true(r.cap < 1024 * 1024); /* skipped as it came, never held */
	assert_int_equal(lsp_reader_next(&r, &body, &err), FC_OK);
	assert_string_equal(body.buf, "{}");
	lsp_reader_release(&r);
	close(fd);
	fc_buf_release(&body);
}

static void test_header_without_end(void **state)
{
	struct fc_buf data = FC_BUF_INIT, body = FC_BUF_INIT;
	struct lsp_reader r;
	struct fc_err err;
	int fd;

	(void)state;
	fc_buf_addchars(&data, 'h', LSP_MAX_HEADER + 100);
	fd = reader_on(data.buf, data.len, &r);
	assert_int_equal(lsp_reader_next(&r, &body, &err), FC_EPARSE);
	assert_int_equal(lsp_reader_next(&r, &body, &err), FC_ENOENT);
	lsp_reader_release(&r);
	close(fd);
	fc_buf_release(&data);
	fc_buf_release(&body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests_before_initialize_and_unknown_methods),
		cmocka_unit_test(test_diagnostics_then_cleared),
		cmocka_unit_test(test_malformed_frames),
		cmocka_unit_test(test_fifty_megabyte_document),
		cmocka_unit_test(test_header_without_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
