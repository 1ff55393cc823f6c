/* test_adm_http.c: the admin's HTTP layer without sockets: UTF-8 repair of answers, the status of each error code,
 * and requests run through adm_serve_offline() (routing, decoding, JSON errors). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "admin-lite/server_int.h"
#include "admin-lite/store.h"
#include "core/buf.h"
#include "core/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fix(const char *in, size_t len, const char *want, size_t want_bad)
{
	struct fc_buf b = FC_BUF_INIT;

	fc_buf_add(&b, in, len);
	assert_int_equal(fc_buf_fix_utf8(&b), want_bad);
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.buf, want, b.len);
	assert_int_equal(b.buf[b.len], '\0');
	fc_buf_release(&b);
}

#define FFFD "\xef\xbf\xbd"

static void test_utf8_fix(void **state)
{
	(void)state;
	fix("plain ascii", 11, "plain ascii", 0);
	fix("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 0);
	fix("a\x80z", 3, "a" FFFD "z", 1);		   /* lone continuation byte */
	fix("\xff\xfe", 2, FFFD FFFD, 2);		   /* never valid */
	fix("\xc0\xaf", 2, FFFD FFFD, 2);		   /* overlong '/' */
	fix("\xe0\x80\xaf", 3, FFFD FFFD FFFD, 3);	   /* overlong, 3 bytes */
	fix("\xed\xa0\x80", 3, FFFD FFFD FFFD, 3);	   /* a UTF-16 surrogate */
	fix("\xf4\x90\x80\x80", 4, FFFD FFFD FFFD FFFD, 4); /* past U+10FFFF */
	fix("ok\xe2\x82", 4, "ok" FFFD FFFD, 2);	   /* cut off at the end */
	fix("\xc3(", 2, FFFD "(", 1);			   /* a lead byte without its continuation */
	/* past the 8-bytes-at-a-time ASCII pass: a bad byte or a sequence at, across and after a word's end */
	fix("0123456789abcdef\xff", 17, "0123456789abcdef" FFFD, 1);
	fix("01234567\xc3\xa9" "89abcdefgh", 20, "01234567\xc3\xa9" "89abcdefgh", 0);
	fix("0123456\xc3\xa9" "89abcdefghi", 20, "0123456\xc3\xa9" "89abcdefghi", 0);
	fix("0123456\xc3" "x89abcdefghi", 20, "0123456" FFFD "x89abcdefghi", 1);
	fix("abcdefghijklmno\xe2\x82", 17, "abcdefghijklmno" FFFD FFFD, 2);
	fix("abcdefgh\x80ijklmnopqrstuvwx\xf0\x9f\x98\x80", 29, "abcdefgh" FFFD "ijklmnopqrstuvwx\xf0\x9f\x98\x80", 1);
}

static void test_utf8_fix_keeps_cap(void **state)
{
	struct fc_buf b = FC_BUF_INIT;

	(void)state;
	fc_buf_set_cap(&b, 100);
	fc_buf_adds(&b, "\xff");
	fc_buf_fix_utf8(&b);
	assert_int_equal(b.cap, 100);
	assert_string_equal(b.buf, FFFD);
	fc_buf_release(&b);
}

static void test_statuses(void **state)
{
	(void)state;
	assert_int_equal(adm_http_status(FC_ESTORAGE), 503);
	assert_int_equal(adm_http_status(FC_EUNAVAILABLE), 503);
	assert_int_equal(adm_http_status(FC_EIO), 503);
	assert_int_equal(adm_http_status(FC_ELIMIT), 400);
	assert_int_equal(adm_http_status(FC_EINVAL), 400);
	assert_int_equal(adm_http_status(FC_ENOENT), 404);
	assert_int_equal(adm_http_status(FC_ECONFLICT), 409);
	assert_int_equal(adm_http_status(FC_EINTERNAL), 500);
	assert_string_equal(fc_strerror_name(FC_ESTORAGE), "storage");
}

/* The answer parsed (which also proves it is valid UTF-8: jansson refuses anything else). */
static json_t *answer(struct adm_store *store, const char *method, const char *url, const char *body,
		      unsigned *status)
{
	struct fc_buf out = FC_BUF_INIT;
	json_t *j;

	adm_serve_offline(store, method, url, body, body ? strlen(body) : 0, status, &out);
	j = json_loadb(out.buf, out.len, 0, NULL);
	if (!j)
		fail_msg("answer %u is not JSON: %s", *status, out.buf);
	fc_buf_release(&out);
	return j;
}

static void test_offline_requests(void **state)
{
	struct adm_store *store;
	struct fc_err err;
	unsigned status;
	json_t *j;

	(void)state;
	assert_int_equal(adm_store_open(":memory:", &store, &err), 0);

	j = answer(store, "POST", "/api/v1/projects", "{\"project\":{\"id\":\"p1\",\"name\":\"p1\"}}", &status);
	assert_int_equal(status, 200);
	json_decref(j);
	j = answer(store, "POST", "/api/v1/projects", "{\"project\":{\"id\":\"p1\",\"name\":\"p1\"}}", &status);
	assert_int_equal(status, 409);
	json_decref(j);

	/* malformed and hostile bodies: 400 JSON errors with a code and a message */
	j = answer(store, "POST", "/api/v1/tasks", "{\"id\":", &status);
	assert_int_equal(status, 400);
	assert_string_equal(json_string_value(json_object_get(j, "code")), "invalid");
	assert_non_null(json_string_value(json_object_get(j, "message")));
	json_decref(j);
	j = answer(store, "POST", "/api/v1/events/workflows", "{\"event\":{\"executionId\":\"\xff\xfe\"}}", &status);
	assert_int_equal(status, 400);
	json_decref(j);

	/* invalid bytes in the URL come back as U+FFFD inside a valid answer */
	j = answer(store, "GET", "/api/v1/no\xff", NULL, &status);
	assert_int_equal(status, 404);
	assert_non_null(strstr(json_string_value(json_object_get(j, "message")), FFFD));
	json_decref(j);

	/* a method the path does not have */
	j = answer(store, "DELETE", "/api/v1/tasks", NULL, &status);
	assert_int_equal(status, 405);
	json_decref(j);
	adm_store_free(store);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_fix),
		cmocka_unit_test(test_utf8_fix_keeps_cap),
		cmocka_unit_test(test_statuses),
		cmocka_unit_test(test_offline_requests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
