/*
 * limits.h: the project's fixed limits, each with its reason (sqlite's sqliteLimit.h is the model). Limits that a
 * user may change are options; these are the ones we chose for them. Sections are per component.
 */
#ifndef FC_LIMITS_H
#define FC_LIMITS_H

/* --- core/log.c: repeated log lines --------------------------------------------------------------------------
 * A fault that repeats (a full disk, a store that keeps failing) must not flood the log: a full disk once wrote
 * 300k identical lines in 40 s. The same message (same level, same text) is printed FC_LOG_BURST times per
 * FC_LOG_WINDOW_S seconds; further copies are counted and summarised as "... repeated K times" when the window
 * ends (at the message's next occurrence, or at fc_log_flush()). FC_LOG_SLOTS distinct messages are tracked at
 * once; the oldest is summarised and forgotten to make room. */
#define FC_LOG_BURST 5
#define FC_LOG_WINDOW_S 10
#define FC_LOG_SLOTS 32

/* --- propeller/: backing off when storage fails ----------------------------------------------------------------
 * A failed state commit (sqlite) or blob write is retried after PROP_STORE_BACKOFF_MIN_MS, doubling up to
 * PROP_STORE_BACKOFF_MAX_MS: bounded so that the engine notices within seconds that space came back, long
 * enough that a full disk costs almost no CPU. Nothing is dropped meanwhile: changes stay dirty in memory and
 * events stay in the outbox until a commit succeeds. */
#define PROP_STORE_BACKOFF_MIN_MS 20
#define PROP_STORE_BACKOFF_MAX_MS 2000

/* --- serve/: the executor inside `flytec serve` ----------------------------------------------------------------
 * When nothing runs the executor sleeps; a mutating API request wakes it at once, and it looks at the admin's
 * queue on its own every SRV_EXEC_IDLE_MS (for executions created without a request: the scheduler's). One
 * indexed query per second costs well under 0.1% of a core. While executions run it looks every
 * SRV_EXEC_BUSY_MS (claims and abort requests). */
#define SRV_EXEC_IDLE_MS 1000
#define SRV_EXEC_BUSY_MS 50

#endif
