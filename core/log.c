/* log.c: leveled logging with timestamps, one line per call; repeated lines are rate-limited (core/limits.h). */
#include "log.h"
#include "buf.h"
#include "limits.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int log_level = -1;

/* One message seen recently: how often in its current window, and how many copies were not printed. */
struct log_slot {
	uint64_t hash;
	int level;
	int64_t window_start; /* seconds; 0: free slot */
	uint64_t seen, suppressed;
	char *text;
};

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static struct log_slot log_slots[FC_LOG_SLOTS];

static const char *const level_names[] = {"error", "warn", "info", "debug"};

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

static void write_line(int level, const char *text, size_t len, const char *prefix)
{
	struct fc_buf line = FC_BUF_INIT;
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	fc_buf_addf(&line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s", tm.tm_year + 1900, tm.tm_mon + 1,
		    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, level_names[level],
		    prefix ? prefix : "");
	fc_buf_add(&line, text, len);
	fc_buf_addch(&line, '\n');
	fwrite(line.buf, 1, line.len, stderr);
	fc_buf_release(&line);
}

/* Print the summary of a slot's suppressed copies, if any. Called with log_mu held. */
static void slot_summarise(struct log_slot *s)
{
	char prefix[96];

	if (!s->suppressed)
		return;
	snprintf(prefix, sizeof(prefix), "... repeated %llu more time(s) in %ds: ", (unsigned long long)s->suppressed,
		 FC_LOG_WINDOW_S);
	write_line(s->level, s->text, strlen(s->text), prefix);
	s->suppressed = 0;
}

/* FNV-1a over the level and the text. */
static uint64_t text_hash(int level, const char *text, size_t len)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)level;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)text[i]) * 1099511628211ULL;
	return h;
}

/* Should this copy of a message be printed? Counts it either way. Called with log_mu held. */
static bool log_admit(int level, const char *text, size_t len)
{
	uint64_t h = text_hash(level, text, len);
	int64_t now = (int64_t)time(NULL);
	struct log_slot *s = NULL, *oldest = &log_slots[0];
	size_t i;

	for (i = 0; i < FC_LOG_SLOTS; i++) {
		struct log_slot *c = &log_slots[i];

		if (c->window_start && c->hash == h && c->level == level && !strcmp(c->text, text)) {
			s = c;
			break;
		}
		if (!c->window_start || (oldest->window_start && c->window_start < oldest->window_start))
			oldest = c;
	}
	if (!s) {
		s = oldest;
		slot_summarise(s);
		free(s->text);
		s->text = fc_xstrdup(text);
		s->hash = h;
		s->level = level;
		s->window_start = now;
		s->seen = 0;
	} else if (now - s->window_start >= FC_LOG_WINDOW_S) {
		slot_summarise(s);
		s->window_start = now;
		s->seen = 0;
	}
	if (++s->seen <= FC_LOG_BURST)
		return true;
	s->suppressed++;
	return false;
}

void fc_log(enum fc_log_level level, const char *fmt, ...)
{
	struct fc_buf text = FC_BUF_INIT;
	va_list ap;

	if (!fc_log_enabled(level))
		return;
	va_start(ap, fmt);
	fc_buf_vaddf(&text, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&log_mu);
	if (log_admit((int)level, text.buf, text.len))
		write_line((int)level, text.buf, text.len, NULL);
	pthread_mutex_unlock(&log_mu);
	fc_buf_release(&text);
}

void fc_log_flush(void)
{
	size_t i;

	pthread_mutex_lock(&log_mu);
	for (i = 0; i < FC_LOG_SLOTS; i++) {
		slot_summarise(&log_slots[i]);
		free(log_slots[i].text);
		memset(&log_slots[i], 0, sizeof(log_slots[i]));
	}
	pthread_mutex_unlock(&log_mu);
}
