/* log.h: leveled logging to stderr. The level comes from FLYTEC_LOG (error, warn, info, debug), default info.
 * Thread-safe. A line repeated with the same level and text is printed FC_LOG_BURST times per FC_LOG_WINDOW_S
 * seconds, then summarised ("... repeated K more time(s)"); see core/limits.h. */
#ifndef FC_LOG_H
#define FC_LOG_H

#include "fc.h"

enum fc_log_level { FC_LOG_ERROR, FC_LOG_WARN, FC_LOG_INFO, FC_LOG_DEBUG };

void fc_log_set_level(enum fc_log_level level);
bool fc_log_enabled(enum fc_log_level level);
void fc_log(enum fc_log_level level, const char *fmt, ...) FC_PRINTF(2, 3);
/* Print the summaries of suppressed repeats now and forget what was seen (at exit, so no count is lost and no
 * memory is held). */
void fc_log_flush(void);

#define fc_error(...) fc_log(FC_LOG_ERROR, __VA_ARGS__)
#define fc_warn(...) fc_log(FC_LOG_WARN, __VA_ARGS__)
#define fc_info(...) fc_log(FC_LOG_INFO, __VA_ARGS__)
#define fc_debug(...) fc_log(FC_LOG_DEBUG, __VA_ARGS__)

#endif
