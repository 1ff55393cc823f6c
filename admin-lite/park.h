/*
 * park.h: the one way an admin request waits. A handler with nothing to answer yet parks its connection
 * (libmicrohttpd's suspend: no server thread is held) until a deadline or a wake-up, whichever comes first; then
 * the connection is resumed and libmicrohttpd calls its handler (or content reader) again, which looks once more.
 *
 * Users: the logs endpoint's followers (logs.c, follow=1: woken by their execution's changes, rechecked on a short
 * deadline for log files that grow without events) and the watch streams (stream.c: woken by the store's change
 * notices, or at their coalescing/ping deadline).
 *
 * One thread, one lock. Lock order: a caller's own lock (the stream hub's) may be held while calling in here, never
 * the other way round; the thread only resumes connections. adm_park_close() resumes every parked connection and
 * refuses to park more: the server calls it before MHD_stop_daemon(), which must not stop with suspended
 * connections.
 *
 * Ownership: a struct adm_parked is the caller's (embedded in its request or stream) and must stay valid while it
 * is parked; libmicrohttpd never frees a suspended connection, so a handler's own state is alive until it runs
 * again. `key` and `count` are borrowed likewise.
 */
#ifndef ADM_PARK_H
#define ADM_PARK_H

#include "core/fc.h"

struct adm_park;
struct fc_err;

struct adm_parked {
	struct adm_parked *prev, *next; /* in the park's list while parked */
	void *conn;                     /* struct MHD_Connection */
	int64_t deadline_ns;            /* CLOCK_MONOTONIC */
	const char *key;                /* what adm_park_wake_key() wakes it by, or NULL */
	size_t *count;                  /* the caller's count of its parked connections, or NULL */
	bool parked;
};

int adm_park_start(struct adm_park **out, struct fc_err *err);
/* Resume every parked connection and park no more. */
void adm_park_close(struct adm_park *p);
/* Close, stop the thread, free. NULL does nothing. */
void adm_park_free(struct adm_park *p);

/* Suspend `conn` until `deadline_ns` or a wake-up. False (nothing done: answer now) when the park is closed or the
 * caller's *count has reached `max` (with a count). */
bool adm_park_conn(struct adm_park *p, struct adm_parked *e, void *conn, int64_t deadline_ns, const char *key,
		   size_t *count, size_t max);
/* Bring a parked entry's deadline forward to `deadline_ns` (no later); nothing when it is not parked. */
void adm_park_until(struct adm_park *p, struct adm_parked *e, int64_t deadline_ns);
/* Resume the parked entries whose key is `key` now. */
void adm_park_wake_key(struct adm_park *p, const char *key);
/* Parked connections now (for the metrics). */
size_t adm_park_count(struct adm_park *p);
/* CLOCK_MONOTONIC in nanoseconds. */
int64_t adm_park_now_ns(void);

#endif
