/*
 * client.h: requests to a Kubernetes API server.
 *
 * One kube_client per server: libcurl easy handles kept in a small pool (KUBE_POOL_MAX) over one shared connection
 * cache, DNS cache and TLS session cache (a CURLSH), so requests reuse keep-alive connections. Requests are JSON in,
 * JSON out. A client-side token bucket limits the request rate (qps, burst: client-go's names and meaning); a request
 * that finds the bucket empty sleeps until a token is there. 429 (honouring Retry-After), 500/502/503/504 and
 * connection errors are retried with exponential backoff, at most `max_retries` times.
 *
 * Errors: a failed request returns an fc_err code and fills `struct kube_status` (when given) with the HTTP code and
 * the API's Status reason, so a caller can tell NotFound / AlreadyExists / Conflict / Gone / Invalid apart:
 *   NotFound -> FC_ENOENT, AlreadyExists -> FC_EEXIST, Conflict -> FC_ECONFLICT, Gone / Expired -> FC_EUNAVAILABLE
 *   (re-list), Invalid / BadRequest -> FC_EINVAL, Unauthorized / Forbidden -> FC_EPERM, TooManyRequests and 5xx after
 *   the retries -> FC_EUNAVAILABLE, a connection that never answered -> FC_EIO.
 * The message is the API's Status message ("pods \"x\" not found"), prefixed by the reason.
 *
 * Thread-safety: a kube_client may be used from any number of threads at once (the pool, the bucket and the curl
 * share are locked); a single request is synchronous in the calling thread. Watches (kube_client_stream) hold a
 * handle of their own for as long as they run.
 *
 * Ownership: JSON bodies passed in are borrowed; `json_t **out` results belong to the caller (json_decref).
 */
#ifndef KUBE_CLIENT_H
#define KUBE_CLIENT_H

#include "core/fc.h"

#include <jansson.h>

struct fc_err;
struct kube_config;
struct kube_client;

#define KUBE_REASON_LIST(X)                                                                                \
	X(KUBE_REASON_NONE, "")                                                                            \
	X(KUBE_REASON_UNKNOWN, "Unknown")                                                                  \
	X(KUBE_REASON_BAD_REQUEST, "BadRequest")                                                           \
	X(KUBE_REASON_UNAUTHORIZED, "Unauthorized")                                                        \
	X(KUBE_REASON_FORBIDDEN, "Forbidden")                                                              \
	X(KUBE_REASON_NOT_FOUND, "NotFound")                                                               \
	X(KUBE_REASON_ALREADY_EXISTS, "AlreadyExists")                                                     \
	X(KUBE_REASON_CONFLICT, "Conflict")                                                                \
	X(KUBE_REASON_GONE, "Gone")                                                                        \
	X(KUBE_REASON_EXPIRED, "Expired")                                                                  \
	X(KUBE_REASON_INVALID, "Invalid")                                                                  \
	X(KUBE_REASON_METHOD_NOT_ALLOWED, "MethodNotAllowed")                                              \
	X(KUBE_REASON_UNSUPPORTED_MEDIA_TYPE, "UnsupportedMediaType")                                      \
	X(KUBE_REASON_TOO_MANY_REQUESTS, "TooManyRequests")                                                \
	X(KUBE_REASON_INTERNAL_ERROR, "InternalError")                                                     \
	X(KUBE_REASON_SERVICE_UNAVAILABLE, "ServiceUnavailable")                                           \
	X(KUBE_REASON_TIMEOUT, "Timeout")                                                                  \
	X(KUBE_REASON_CONNECTION, "ConnectionError") /* no HTTP answer at all (client side) */

enum kube_reason {
#define KUBE_X_ENUM(code, name) code,
	KUBE_REASON_LIST(KUBE_X_ENUM)
#undef KUBE_X_ENUM
};

const char *kube_reason_name(enum kube_reason r);

/* What the server said about a request (also filled on success: code 200/201, reason NONE). */
struct kube_status {
	long http_code; /* 0: no answer */
	enum kube_reason reason;
};

struct kube_client_opts {
	double qps;             /* requests per second sustained (0: 5, client-go's default; <0: unlimited) */
	int burst;              /* bucket size (0: 10) */
	int max_retries;        /* 0: 5; capped at KUBE_MAX_RETRIES_CAP; -1: none */
	long backoff_base_ms;   /* first retry delay (0: 100) */
	long timeout_ms;        /* whole-request timeout for non-watch requests (0: 30 s) */
	long connect_timeout_ms; /* 0: 10 s */
};

/* Requests by verb, for the per-task request budget (bench/k8s/run.sh): the HTTP method, with a GET of a
 * collection (no object name after the resource) a LIST and a streamed GET a WATCH, as the API server's audit log
 * names them. */
enum kube_verb {
	KUBE_VERB_GET,
	KUBE_VERB_LIST,
	KUBE_VERB_WATCH,
	KUBE_VERB_CREATE,
	KUBE_VERB_UPDATE,
	KUBE_VERB_PATCH,
	KUBE_VERB_DELETE,
	KUBE_VERB_OTHER,
	KUBE_VERB_N
};
const char *kube_verb_name(enum kube_verb v);

struct kube_client_stats {
	uint64_t requests;      /* HTTP requests sent, retries included */
	uint64_t by_verb[KUBE_VERB_N]; /* the same requests by verb */
	uint64_t retries;
	uint64_t throttled;     /* requests that waited for a token */
	uint64_t throttle_ns;   /* time spent waiting for tokens */
	uint64_t connections;   /* new TCP connections libcurl opened (keep-alive reuse keeps this low) */
};

int kube_client_new(const struct kube_config *cfg, const struct kube_client_opts *opts, struct kube_client **out,
		    struct fc_err *err);
void kube_client_free(struct kube_client *c);
void kube_client_stats(struct kube_client *c, struct kube_client_stats *out);
/* The config's namespace ("default" unless the kubeconfig said otherwise). */
const char *kube_client_namespace(const struct kube_client *c);

/* Content types of PATCH. */
#define KUBE_MERGE_PATCH "application/merge-patch+json"
#define KUBE_JSON_PATCH "application/json-patch+json"

/*
 * One request: `method` GET/POST/PUT/PATCH/DELETE, `path` from the server root with its query
 * ("/api/v1/namespaces/ns/pods?labelSelector=a%3Db"), `body` NULL or JSON sent with `content_type` (NULL:
 * application/json). On 2xx returns 0 and, if `out` is given, the parsed JSON body. Otherwise an error as described
 * at the top.
 */
int kube_request(struct kube_client *c, const char *method, const char *path, const json_t *body,
		 const char *content_type, json_t **out, struct kube_status *st, struct fc_err *err);

/* The same with a whole-request timeout of its own (0: the client's `timeout_ms`), for a request known to be slow on
 * the server (the operator's status writes). */
int kube_request_timeout(struct kube_client *c, const char *method, const char *path, const json_t *body,
			 const char *content_type, long timeout_ms, json_t **out, struct kube_status *st,
			 struct fc_err *err);

/* Shorthands. `out` may be NULL. */
int kube_get(struct kube_client *c, const char *path, json_t **out, struct kube_status *st, struct fc_err *err);
int kube_create(struct kube_client *c, const char *path, const json_t *obj, json_t **out, struct kube_status *st,
		struct fc_err *err);
int kube_update(struct kube_client *c, const char *path, const json_t *obj, json_t **out, struct kube_status *st,
		struct fc_err *err);
int kube_patch(struct kube_client *c, const char *path, const char *patch_type, const json_t *patch, json_t **out,
	       struct kube_status *st, struct fc_err *err);
int kube_delete(struct kube_client *c, const char *path, json_t **out, struct kube_status *st, struct fc_err *err);

/*
 * A streaming GET (watch): `on_data` gets the body bytes as they arrive (return non-zero to stop). `stop`, when not
 * NULL, is polled a few times a second; once it reads non-zero the transfer is aborted. Returns 0 when the server
 * ended the stream normally (also after `stop` or on_data stopped it: check them), FC_EIO when the connection
 * dropped, or an API error (with `st`) when the server answered non-2xx; then the error body is parsed as for
 * kube_request. The request counts against the QPS limit; it is not retried (the caller's loop resumes watches).
 */
typedef int (*kube_stream_fn)(void *ud, const char *data, size_t len);
int kube_client_stream(struct kube_client *c, const char *path, long timeout_ms, kube_stream_fn on_data, void *ud,
		       const volatile int *stop, struct kube_status *st, struct fc_err *err);

/* Percent-encode a query value (label selectors, field selectors) into `out`. */
struct fc_buf;
void kube_query_escape(struct fc_buf *out, const char *value);

#endif
