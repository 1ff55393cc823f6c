/* log.c: leveled logging with timestamps, one line per call. */
#include "log.h"
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int log_level = -1;

void fc_log_set_level(enum fc_log_level level)
{
	log_level = (int)level;
}

static void log_level_from_env(void)
{
	const char *v = getenv("FLYTEC_LOG");

	log_level = FC_LOG_INFO;
	if (!v)
		return;
	if (!strcmp(v, "error"))
		log_level = FC_LOG_ERROR;
	else if (!strcmp(v, "warn"))
		log_level = FC_LOG_WARN;
	else if (!strcmp(v, "debug"))
		log_level = FC_LOG_DEBUG;
}

bool fc_log_enabled(enum fc_log_level level)
{
	if (log_level < 0)
		log_level_from_env();
	return (int)level <= log_level;
}

void fc_log(enum fc_log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	struct fc_buf line = FC_BUF_INIT;
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (!fc_log_enabled(level))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	fc_buf_addf(&line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		    tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, names[level]);
	va_start(ap, fmt);
	fc_buf_vaddf(&line, fmt, ap);
	va_end(ap);
	fc_buf_addch(&line, '\n');
	fwrite(line.buf, 1, line.len, stderr);
	fc_buf_release(&line);
}
