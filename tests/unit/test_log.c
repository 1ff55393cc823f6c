/*
 * test_log.c: core/log.c's rate limit of repeated lines. A fault that repeats (a full disk) once wrote 300k
 * identical lines in 40 s; now a line is printed FC_LOG_BURST times per window, then summarised.
 */
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* Run `fn` with stderr going to a temp file; return what it wrote (free()). */
static char *capture(void (*fn)(void))
{
	char path[] = "/tmp/flytec-log-XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	struct fc_buf out = FC_BUF_INIT;
	struct fc_err err;

	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	assert_int_equal(fc_buf_read_file(&out, path, 1 << 20, &err), 0);
	unlink(path);
	return fc_buf_detach(&out, NULL);
}

static size_t count(const char *text, const char *needle)
{
	size_t n = 0;

	for (; (text = strstr(text, needle)); text++)
		n++;
	return n;
}

static void repeat_one_line(void)
{
	int i;

	fc_log_set_level(FC_LOG_INFO);
	for (i = 0; i < 1000; i++)
		fc_warn("disk full: %s", "no space left on device");
	fc_info("something else");
	fc_log_flush();
}

static void test_repeats_are_summarised(void **state)
{
	char *text = capture(repeat_one_line);

	(void)state;
	/* FC_LOG_BURST copies, the other line, and one summary of the rest */
	assert_int_equal(count(text, "warn disk full: no space left on device"), FC_LOG_BURST);
	assert_int_equal(count(text, "something else"), 1);
	assert_int_equal(count(text, "repeated 995 more time(s)"), 1);
	assert_int_equal(count(text, "\n"), FC_LOG_BURST + 2);
	free(text);
}

static void distinct_lines(void)
{
	int i;

	for (i = 0; i < 100; i++)
		fc_warn("line %d", i);
	fc_log_flush();
}

static void test_distinct_lines_all_printed(void **state)
{
	char *text = capture(distinct_lines);

	(void)state;
	assert_int_equal(count(text, "\n"), 100);
	assert_int_equal(count(text, "repeated"), 0);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_repeats_are_summarised),
		cmocka_unit_test(test_distinct_lines_all_printed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
