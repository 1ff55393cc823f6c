/*
 * stream.h: the watch streams (server-sent events) a console follows executions with (docs/api.md, "Watch
 * streams"):
 *
 *   GET /api/v1/watch/executions/{project}/{domain}/{name}  `execution` and `nodes` events (the JSON of GET
 *       /api/v1/executions/... and of GET /api/v1/node_executions/...), at the start and after every change
 *       (coalesced), until the execution is terminal;
 *   GET /api/v1/watch/executions/{project}/{domain}         `changed` events naming the executions created or
 *       whose phase changed; never ends by itself.
 *
 * How: a stream is a libmicrohttpd response with a content-reader callback. When the callback has nothing to send
 * it parks its connection (park.h) until its next ping is due (ADM_STREAM_PING_S); the store's change notices
 * (adm_store_set_listener) mark streams dirty and bring that deadline forward to when the next rendering is due (at
 * most one per ADM_STREAM_COALESCE_MS). No thread waits per stream, and the streams have no thread of their own. A stream holds at most one rendering: changes that arrive while
 * the client has not read the last one are folded into the next rendering instead of queued, so a client that
 * never reads costs one rendering and is dropped by libmicrohttpd's idle timeout (ADM_IDLE_TIMEOUT_S).
 *
 * Locking: the hub's lock is taken after the store's (change notices arrive with the store's lock possibly held)
 * and never the other way round: renderings run without it. The park's lock comes after the hub's.
 */
#ifndef ADM_STREAM_H
#define ADM_STREAM_H

#include "core/fc.h"

struct adm_exec_id;
struct adm_park;
struct adm_req;
struct adm_store;
struct adm_stream;
struct adm_stream_hub;
struct fc_buf;
struct fc_err;

/* Start the hub for `store` (it becomes the store's change listener, which also wakes the log followers parked
 * under an execution's key in `park`) with at most `max_streams` streams open at once (0: ADM_STREAM_MAX), each
 * rendering at most `max_answer` bytes. `park` is borrowed and must outlive the hub. */
int adm_stream_hub_start(struct adm_store *store, struct adm_park *park, size_t max_streams, size_t max_answer,
			 struct adm_stream_hub **out, struct fc_err *err);
/* End every stream (each finishes what it is sending and closes) and stop the store's notices. Call before
 * adm_park_close() and stopping the HTTP daemon; the hub stays valid for the daemon's last callbacks. */
void adm_stream_hub_close(struct adm_stream_hub *hub);
/* Free the hub after the daemon has stopped. NULL does nothing. */
void adm_stream_hub_free(struct adm_stream_hub *hub);
/* Prometheus lines: streams open now and streams refused at the limit. */
void adm_stream_hub_metrics(struct adm_stream_hub *hub, struct fc_buf *out);

/* The key a waiter parks under to be woken by changes of execution `id` ("project/domain/name"); false when it
 * does not fit `size` (ADM_STREAM_KEY_MAX is enough for any valid id). */
bool adm_stream_exec_key(const struct adm_exec_id *id, char *key, size_t size);

/* The two route handlers. On success the request carries a stream (r->stream), answered by send_reply() with
 * adm_stream_response(); otherwise an ordinary JSON error (404, 400, 503 with Retry-After at the limit). */
void adm_watch_execution(struct adm_req *r);
void adm_watch_project(struct adm_req *r);

/* The libmicrohttpd response (struct MHD_Response *) of a request's stream, with its headers; the response owns the
 * stream from then on. NULL when out of memory (the stream is then freed). */
void *adm_stream_response(struct adm_stream *st);

#endif
