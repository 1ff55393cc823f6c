/* server.c: HTTP plumbing on libmicrohttpd: connections, routing, limits, auth, TLS, JSON replies, metrics. */
#include "admin-lite/server_int.h"
#include "admin-lite/logs.h"
#include "admin-lite/store.h"
#include "admin-lite/stream.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/pbdepth.h"
#include "core/pbjson.h"
#include "core/pbpack.h"
#include "core/strmap.h"

#include "google/rpc/status.pb-c.h"

#include <microhttpd.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

enum { STATUS_CLASSES = 5 }; /* 1xx..5xx */

struct route_stats {
	uint64_t by_class[STATUS_CLASSES];
	uint64_t duration_us;
};

/*
 * Rendered answers of immutable resources (a task or workflow version never changes once registered), keyed by
 * what they are (kind and full id), and of executions, good until the store's next change notice for them
 * (adm_cache_reply_exec). Bounded: when it would pass ADM_CACHE_MAX_BYTES it is emptied and fills again.
 * (Beside its sibling rather than in core/limits.h, where it has never been.)
 */
#define ADM_CACHE_MAX_BYTES (64u * 1024 * 1024)
/* Executions whose last change the cache remembers one by one (about 100 bytes each); past it, every execution
 * answer cached so far is dropped at once and the count starts again. A burst of changes to more executions than
 * this costs only misses. */
#define ADM_CACHE_EXEC_CHANGES_MAX 65536

/*
 * Connections, watched for slow clients (docs/api.md, "Connections"). libmicrohttpd's own timeout is an idle
 * timeout, which a client sending one header line every few seconds never meets; so each connection is tracked
 * from its accept with the time it started waiting for a request head (0 while a request is being served). A
 * reaper thread cuts (shutdown(2)) connections whose head is late; libmicrohttpd then sees the socket end and
 * closes it. The accept policy keeps per-address limits and a reserve of free slots the same way: a newcomer
 * pushes out the connection that has waited longest for its head. A node lives from MHD's STARTED notification to
 * its CLOSED one, which comes before the socket is closed, so a tracked fd is always the connection's own.
 */
struct adm_conn {
	struct adm_conn *prev, *next;
	int fd;
	bool has_ip;
	uint32_t ip;	      /* IPv4 address, network order */
	int64_t waiting_since; /* monotonic ns since the connection waits for a request head; 0: serving one */
	bool cut;	      /* shut down by us; closing */
};

struct conn_guard {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t reaper;
	bool reaper_started, reaper_idle, stopping;
	struct adm_conn list; /* sentinel of a circular list */
	size_t nconns, ncut;
	int64_t head_timeout_ns;
	size_t max_conns, reserve, max_per_ip;
	uint64_t cut_late, cut_pushed, refused; /* counters for /metrics */
};

struct adm_server {
	struct MHD_Daemon *daemon;
	struct conn_guard guard;
	char *tls_cert, *tls_key;
	struct adm_store *store;
	pthread_mutex_t cache_lock;
	struct fc_strmap cache; /* owned key (encoding + resource) -> owned struct cached_answer */
	size_t cache_bytes;
	/* Execution answers (adm_cache_reply_exec): valid while no change notice came for their execution since they
	 * were read. exec_gen counts notices; exec_changed maps "project\ndomain\nname" to the count at its last
	 * change; an answer read at count g is good if g >= exec_floor and g >= its execution's entry. */
	bool exec_cache;        /* this server is the store's observer (else executions are never cached) */
	uint64_t exec_gen, exec_floor;
	struct fc_strmap exec_changed; /* owned key -> (uintptr_t) count */
	struct adm_server_opts_copy opts;
	size_t max_header;
	unsigned port;
	struct route_stats *stats; /* adm_nroutes + 1 (the last: unrouted) */
	void (*on_change)(void *ctx);
	void *on_change_ctx;
	int (*schedules_json)(void *ctx, struct fc_buf *out, struct fc_err *err);
	void *schedules_ctx;
	void (*schedules_metrics)(void *ctx, struct fc_buf *out);
	struct adm_logs *logs;
	struct adm_stream_hub *streams;
	struct adm_park *park; /* every waiting request's connection (park.h) */
	int (*schedules_backfill)(void *ctx, const char *project, const char *domain, const char *name, int64_t from_ns,
				  int64_t to_ns, uint32_t parallel, bool dry_run, struct fc_buf *out, struct fc_err *err);
};

static void cache_on_change(void *ctx, const struct adm_change *changes, size_t n, bool overflow);

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

const struct adm_server_opts_copy *adm_server_opts(const struct adm_server *srv)
{
	return &srv->opts;
}

struct adm_logs *adm_server_logs(struct adm_server *srv)
{
	return srv->logs;
}

struct adm_park *adm_server_park(struct adm_server *srv)
{
	return srv->park;
}

struct adm_stream_hub *adm_server_streams(struct adm_server *srv)
{
	return srv->streams;
}

unsigned adm_http_status(int code)
{
	switch (code) {
	case FC_OK:
		return 200;
	case FC_EINVAL:
	case FC_EPARSE:
	case FC_ESPEC:
		return 400;
	case FC_ENOENT:
		return 404;
	case FC_EEXIST:
	case FC_ECONFLICT:
		return 409;
	case FC_ELIMIT:
		return 400;
	case FC_EPERM:
		return 403;
	case FC_EUNSUPPORTED:
		return 501;
	case FC_EUNAVAILABLE:
	case FC_ESTORAGE:
	case FC_EIO: /* in a handler, only the store's disk can fail this way: not the client's fault */
		return 503;
	default:
		return 500;
	}
}

int adm_grpc_code(unsigned http_status)
{
	switch (http_status) {
	case 400:
		return 3; /* INVALID_ARGUMENT */
	case 401:
		return 16; /* UNAUTHENTICATED */
	case 403:
		return 7; /* PERMISSION_DENIED */
	case 404:
		return 5; /* NOT_FOUND */
	case 409:
		return 6; /* ALREADY_EXISTS */
	case 412:
		return 9; /* FAILED_PRECONDITION */
	case 413:
	case 414:
	case 429:
	case 431:
		return 8; /* RESOURCE_EXHAUSTED */
	case 405:
	case 501:
		return 12; /* UNIMPLEMENTED */
	case 503:
		return 14; /* UNAVAILABLE */
	case 504:
		return 4; /* DEADLINE_EXCEEDED */
	default:
		return http_status / 100 == 2 ? 0 : 13; /* INTERNAL */
	}
}

static void reply_error_status(struct adm_req *r, unsigned status, const char *name, const char *msg)
{
	fc_buf_reset(&r->out);
	r->utf8_done = false;
	if (r->pb_out) {
		/* grpc-gateway's protobuf error body; a Status is a few hundred bytes, far below any answer cap */
		Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;

		st.code = adm_grpc_code(status);
		st.message = (char *)msg;
		fc_pb_pack(&st.base, &r->out);
		r->status = status;
		r->content_type = "application/octet-stream";
		return;
	}
	fc_buf_adds(&r->out, "{\"code\":");
	fc_buf_add_json_string(&r->out, name, strlen(name));
	fc_buf_adds(&r->out, ",\"message\":");
	fc_buf_add_json_string(&r->out, msg, strlen(msg));
	fc_buf_adds(&r->out, "}\n");
	r->status = status;
	r->content_type = "application/json";
}

void adm_reply_error(struct adm_req *r, int code, const char *fmt, ...)
{
	char msg[FC_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply_error_status(r, adm_http_status(code), fc_strerror_name(code), msg);
}

void adm_reply_err(struct adm_req *r, const struct fc_err *err)
{
	adm_reply_error(r, err->code ? err->code : FC_EINTERNAL, "%s", err->msg[0] ? err->msg : fc_strerror(err->code));
}

/* An answer past the limit: refused before (or instead of) rendering it. */
static void reply_too_large(struct adm_req *r, size_t size, bool estimated)
{
	size_t limit = r->out.cap;
	char msg[256];

	snprintf(msg, sizeof(msg),
		 "the answer %s %zu bytes, more than this server's limit of %zu bytes (flytec serve --max-answer)",
		 estimated ? "would be at least" : "is over", size, limit);
	fc_buf_reset(&r->out);
	fc_buf_set_cap(&r->out, 0);
	reply_error_status(r, 500, "limit", msg);
	fc_buf_set_cap(&r->out, limit);
}

void adm_reply_msg(struct adm_req *r, unsigned status, const ProtobufCMessage *msg)
{
	struct fc_err err;
	size_t packed;

	if (r->route && r->route->response != msg->descriptor) {
		adm_reply_error(r, FC_EINTERNAL, "the answer is a %s, but the route table says %s", msg->descriptor->name,
				r->route->response ? r->route->response->name : "no message");
		return;
	}
	packed = protobuf_c_message_get_packed_size(msg);

	/* proto3 JSON is never smaller than the wire form by much (bytes grow by a third in base64, names are longer
	 * than field numbers), so a message whose wire form alone passes the limit is refused before a JSON tree of
	 * several times its size is built */
	if (r->out.cap && packed > r->out.cap) {
		reply_too_large(r, packed, true);
		return;
	}
	fc_buf_reset(&r->out);
	r->utf8_done = false;
	if (r->pb_out) {
		fc_pb_pack(msg, &r->out);
		if (fc_buf_error(&r->out)) {
			reply_too_large(r, packed, false);
			return;
		}
		r->status = status;
		r->content_type = "application/octet-stream";
		return;
	}
	if (fc_pbjson_encode_buf(msg, 0, &r->out, &err)) {
		if (fc_buf_error(&r->out)) {
			reply_too_large(r, r->out.cap, false);
			return;
		}
		adm_reply_error(r, FC_EINTERNAL, "encoding the answer: %s", err.msg);
		return;
	}
	fc_buf_addch(&r->out, '\n');
	r->status = status;
	r->content_type = "application/json";
}

void adm_reply_json_text(struct adm_req *r, unsigned status, const char *json)
{
	fc_buf_reset(&r->out);
	r->utf8_done = false;
	if (r->pb_out && !strcmp(json, "{}\n")) {
		r->status = status;
		r->content_type = "application/octet-stream";
		return;
	}
	fc_buf_adds(&r->out, json);
	r->status = status;
	r->content_type = "application/json";
}

const char *adm_req_param(const struct adm_req *r, size_t i)
{
	return i < r->nparams ? r->params[i] : NULL;
}

const char *adm_req_arg(const struct adm_req *r, const char *name)
{
	return r->conn ? MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name) : NULL;
}

int adm_req_query(struct adm_req *r, struct adm_query *q)
{
	const char *limit = adm_req_arg(r, "limit"), *dir;
	char *end;
	unsigned long v;

	memset(q, 0, sizeof(*q));
	if (limit && *limit) {
		errno = 0;
		v = strtoul(limit, &end, 10);
		if (errno || *end || v == 0 || v > ADM_LIMIT_MAX || limit[0] == '-') {
			adm_reply_error(r, FC_EINVAL, "limit must be an integer from 1 to %d, not '%s'", ADM_LIMIT_MAX, limit);
			return FC_EINVAL;
		}
		q->limit = (uint32_t)v;
	}
	q->token = adm_req_arg(r, "token");
	q->filters = adm_req_arg(r, "filters");
	q->sort_key = adm_req_arg(r, "sort_by.key");
	if (!q->sort_key)
		q->sort_key = adm_req_arg(r, "sortBy.key");
	dir = adm_req_arg(r, "sort_by.direction");
	if (!dir)
		dir = adm_req_arg(r, "sortBy.direction");
	if (dir && strcmp(dir, "ASCENDING") && strcmp(dir, "DESCENDING")) {
		adm_reply_error(r, FC_EINVAL, "sort_by.direction must be ASCENDING or DESCENDING, not '%s'", dir);
		return FC_EINVAL;
	}
	q->sort_asc = dir && !strcmp(dir, "ASCENDING");
	return 0;
}

int adm_req_decode(struct adm_req *r, ProtobufCMessage **out)
{
	const ProtobufCMessageDescriptor *desc = r->route ? r->route->request : NULL;
	struct fc_err err;

	*out = NULL;
	if (!desc) {
		adm_reply_error(r, FC_EINTERNAL, "the route table names no request message for this path");
		return FC_EINTERNAL;
	}
	if (r->pb_in) {
		/* an empty body is a valid (empty) message in protobuf; the same nesting limit as the JSON side, checked
		 * before protobuf-c recurses; unknown fields are kept and ignored (a newer client's additions) */
		if (!fc_pb_nesting_ok(desc, (const uint8_t *)r->body.buf, r->body.len, FC_PBJSON_MAX_DEPTH)) {
			adm_reply_error(r, FC_ELIMIT, "body is not a valid %s: nested deeper than %d levels", desc->name,
					FC_PBJSON_MAX_DEPTH);
			return FC_ELIMIT;
		}
		*out = protobuf_c_message_unpack(desc, fc_arena_pb_allocator(&r->arena), r->body.len,
						 (const uint8_t *)(r->body.buf ? r->body.buf : ""));
		if (!*out) {
			adm_reply_error(r, FC_EINVAL, "body is not a valid %s in the protobuf encoding", desc->name);
			return FC_EINVAL;
		}
		return 0;
	}
	if (!r->body.len) {
		adm_reply_error(r, FC_EINVAL, "a JSON body (%s) is required", desc->name);
		return FC_EINVAL;
	}
	if (fc_pbjson_decode_text(r->body.buf, r->body.len, desc, fc_arena_pb_allocator(&r->arena), 0, out, &err)) {
		adm_reply_error(r, FC_EINVAL, "body is not a valid %s: %s", desc->name, err.msg);
		return FC_EINVAL;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------------------------
 * Routing.
 */

/* Match `path` against `pattern`; captures go to r->params (pointing into r->path, which is split in place only
 * on success: we match on a copy first). */
static bool match(const char *pattern, const char *path, const char **params, size_t *nparams, char *scratch)
{
	const char *p = pattern, *s = path;
	size_t n = 0;
	char *w = scratch;

	while (*p && *s) {
		if (*p != '/' || *s != '/')
			return false;
		p++;
		s++;
		if (*p == '{') {
			const char *seg_end = strchr(s, '/');
			size_t len = seg_end ? (size_t)(seg_end - s) : strlen(s);

			if (!len || n == ADM_MAX_PARAMS)
				return false;
			memcpy(w, s, len);
			w[len] = '\0';
			params[n++] = w;
			w += len + 1;
			s += len;
			p = strchr(p, '}');
			if (!p)
				return false;
			p++;
		} else {
			while (*p && *p != '/' && *s && *s != '/' && *p == *s) {
				p++;
				s++;
			}
			if ((*p && *p != '/') || (*s && *s != '/'))
				return false;
		}
	}
	if (*p || (*s && strcmp(s, "/")))
		return false;
	*nparams = n;
	return true;
}

/*
 * Bytes of each route's pattern before its first '{' (the whole pattern when it has none), up to
 * ADM_MAX_ROUTES routes: a path that does not begin with them cannot match, and one memcmp says so. Most of the
 * table is passed over that way (walking it segment by segment was about 2% of a cached GET's CPU).
 */
enum { ADM_MAX_ROUTES = 256 };
static uint16_t route_literal[ADM_MAX_ROUTES];
static pthread_once_t route_literal_once = PTHREAD_ONCE_INIT;

static void route_literal_init(void)
{
	size_t i;

	for (i = 0; i < adm_nroutes && i < ADM_MAX_ROUTES; i++)
		route_literal[i] = (uint16_t)strcspn(adm_routes[i].pattern, "{");
}

static void route(struct adm_req *r, const char *url)
{
	bool path_known = false;
	size_t i, len = strlen(url);

	pthread_once(&route_literal_once, route_literal_init);
	r->path = fc_arena_alloc(&r->arena, len + 1);
	r->route_index = adm_nroutes;
	for (i = 0; i < adm_nroutes; i++) {
		/* past the table's size (never so far) every route is matched in full. Byte 8 first, inline: every API
		 * path starts "/api/v1/", and the resource's first letter tells most routes apart without a call */
		if (i < ADM_MAX_ROUTES &&
		    (route_literal[i] > len || (route_literal[i] > 8 && adm_routes[i].pattern[8] != url[8]) ||
		     memcmp(adm_routes[i].pattern, url, route_literal[i])))
			continue;
		if (!match(adm_routes[i].pattern, url, r->params, &r->nparams, r->path))
			continue;
		path_known = true;
		if (!strcmp(adm_routes[i].method, r->method) ||
		    (!strcmp(r->method, "HEAD") && !strcmp(adm_routes[i].method, "GET"))) {
			r->route = &adm_routes[i];
			r->route_index = i;
			return;
		}
	}
	r->nparams = 0;
	if (path_known)
		adm_reply_error(r, FC_EUNSUPPORTED, "method %s is not allowed on %s", r->method, url);
	else
		adm_reply_error(r, FC_ENOENT, "no such endpoint: %s %s (see docs/api.md)", r->method, url);
	if (path_known)
		r->status = 405;
}

bool adm_req_bearer_ok(struct adm_req *r)
{
	const char *tok = r->srv ? r->srv->opts.token : NULL;
	const char *auth;
	size_t i, n;
	unsigned char diff = 0;

	if (!tok || !*tok || !r->conn)
		return false;
	auth = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!auth || strncmp(auth, "Bearer ", 7))
		return false;
	auth += 7;
	n = strlen(tok);
	if (strlen(auth) != n)
		return false;
	for (i = 0; i < n; i++)
		diff |= (unsigned char)(auth[i] ^ tok[i]);
	return diff == 0;
}

const char *adm_req_header(const struct adm_req *r, const char *name)
{
	return r->conn ? MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name) : NULL;
}

/* Whether the request may go on: no token configured, an open route, a read with public reads, or the right token. */
static bool token_ok(struct adm_req *r)
{
	const char *tok = r->srv->opts.token;

	if (!tok || !*tok || r->route->access == ADM_OPEN || (r->route->access == ADM_READ && r->srv->opts.public_reads))
		return true;
	return adm_req_bearer_ok(r);
}

/* The request's Origin when it is one of --cors-origin's (exact, case-sensitive as browsers send it), else NULL. */
static const char *cors_origin(struct adm_server *srv, struct MHD_Connection *conn)
{
	const char *origin;
	size_t i;

	if (!srv->opts.n_cors_origins)
		return NULL;
	origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	for (i = 0; origin && i < srv->opts.n_cors_origins; i++)
		if (!strcmp(origin, srv->opts.cors_origins[i]))
			return srv->opts.cors_origins[i];
	return NULL;
}

static void add_cors_headers(struct MHD_Response *resp, const char *origin)
{
	MHD_add_response_header(resp, "Access-Control-Allow-Origin", origin);
	MHD_add_response_header(resp, "Access-Control-Allow-Credentials", "true");
	MHD_add_response_header(resp, "Access-Control-Expose-Headers",
				"Content-Type, Flytec-Registration, Retry-After, X-Log-Next-Offset, X-Log-Complete");
	MHD_add_response_header(resp, "Vary", "Origin");
}

/* A CORS preflight from an allowed origin: 204 with what may follow (any of the admin's methods and the headers a
 * console sends). */
static enum MHD_Result send_preflight(struct MHD_Connection *conn, const char *origin)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	const char *want = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Access-Control-Request-Headers");
	enum MHD_Result ret;
	char age[16];

	if (!resp)
		return MHD_NO;
	snprintf(age, sizeof(age), "%d", ADM_CORS_MAX_AGE_S);
	add_cors_headers(resp, origin);
	MHD_add_response_header(resp, "Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE, OPTIONS");
	MHD_add_response_header(resp, "Access-Control-Allow-Headers",
				want && strlen(want) < 1024 ? want
							    : "Accept, Authorization, Content-Type, Flyte-Authorization");
	MHD_add_response_header(resp, "Access-Control-Max-Age", age);
	ret = MHD_queue_response(conn, 204, resp);
	MHD_destroy_response(resp);
	return ret;
}

static bool is_json(const char *content_type)
{
	return content_type && !strncmp(content_type, "application/json", 16);
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct adm_req *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t len;
	char *body;

	if (!r->status)
		adm_reply_error(r, FC_EINTERNAL, "the handler gave no answer");
	if (fc_buf_error(&r->out)) /* a handler rendered past the cap on its own */
		reply_too_large(r, r->out.cap, false);
	/* every JSON answer is valid UTF-8 whatever the store holds (a binary file's line in a diagnostic): invalid
	 * bytes can only sit inside strings, since the structure is ASCII, and become U+FFFD there */
	if (!r->utf8_done && is_json(r->content_type))
		fc_buf_fix_utf8(&r->out);
	if (r->stream) { /* a watch stream: its callback writes the body (stream.c) */
		resp = adm_stream_response(r->stream);
		r->stream = NULL;
		if (!resp)
			return MHD_NO;
	} else {
		len = r->out.len;
		body = fc_buf_detach(&r->out, NULL);
		resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
		if (!resp) {
			free(body);
			return MHD_NO;
		}
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type ? r->content_type : "text/plain");
	if (r->extra_header)
		MHD_add_response_header(resp, r->extra_header, r->extra_value);
	for (const char **h = r->headers; h && h[0]; h += 2)
		MHD_add_response_header(resp, h[0], h[1]);
	if (r->srv) {
		const char *origin = cors_origin(r->srv, conn);

		if (origin)
			add_cors_headers(resp, origin);
	}
	if (r->status == 401)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	if (r->status == 503) {
		char secs[16];

		snprintf(secs, sizeof(secs), "%d", ADM_RETRY_AFTER_S);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs);
	}
	ret = MHD_queue_response(conn, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* ------------------------------------------------------------------------------------------------------------
 * Connections: head deadline, per-address limit, reserve (see struct conn_guard).
 */
static void guard_cut(struct conn_guard *g, struct adm_conn *c)
{
	shutdown(c->fd, SHUT_RDWR);
	c->cut = true;
	g->ncut++;
}

/* The connection that has waited longest for its head, among those from `ip` when `by_ip`; NULL if none waits. */
static struct adm_conn *guard_oldest_waiting(struct conn_guard *g, bool by_ip, uint32_t ip)
{
	struct adm_conn *c, *best = NULL;

	for (c = g->list.next; c != &g->list; c = c->next) {
		if (c->cut || !c->waiting_since || (by_ip && (!c->has_ip || c->ip != ip)))
			continue;
		if (!best || c->waiting_since < best->waiting_since)
			best = c;
	}
	return best;
}

static void *guard_reaper(void *arg)
{
	struct conn_guard *g = arg;

	pthread_mutex_lock(&g->lock);
	while (!g->stopping) {
		int64_t now = mono_ns(), next = 0;
		struct adm_conn *c;

		for (c = g->list.next; c != &g->list; c = c->next) {
			int64_t deadline = c->waiting_since + g->head_timeout_ns;

			if (c->cut || !c->waiting_since)
				continue;
			if (deadline <= now) {
				guard_cut(g, c);
				g->cut_late++;
			} else if (!next || deadline < next) {
				next = deadline;
			}
		}
		if (!next) {
			/* nothing waits for a head: sleep until a connection comes (an idle server stays asleep) */
			g->reaper_idle = true;
			pthread_cond_wait(&g->wake, &g->lock);
			g->reaper_idle = false;
		} else {
			struct timespec ts;

			ts.tv_sec = (time_t)(next / 1000000000);
			ts.tv_nsec = (long)(next % 1000000000);
			pthread_cond_timedwait(&g->wake, &g->lock, &ts);
		}
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

static int guard_init(struct conn_guard *g, unsigned head_timeout_s, size_t max_conns, size_t max_per_ip,
		      struct fc_err *err)
{
	pthread_condattr_t ca;

	memset(g, 0, sizeof(*g));
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->wake, &ca);
	pthread_condattr_destroy(&ca);
	g->list.next = g->list.prev = &g->list;
	g->head_timeout_ns = (int64_t)head_timeout_s * 1000000000;
	g->max_conns = max_conns;
	g->reserve = max_conns > 4 * ADM_CONN_RESERVE ? ADM_CONN_RESERVE : max_conns / 4;
	g->max_per_ip = max_per_ip;
	if (pthread_create(&g->reaper, NULL, guard_reaper, g))
		return fc_err_set(err, FC_EINTERNAL, "cannot start the connection reaper thread");
	g->reaper_started = true;
	return 0;
}

static void guard_stop(struct conn_guard *g)
{
	if (!g->reaper_started)
		return;
	pthread_mutex_lock(&g->lock);
	g->stopping = true;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->reaper, NULL);
	g->reaper_started = false;
}

static void guard_release(struct conn_guard *g)
{
	guard_stop(g);
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
}

/* libmicrohttpd's accept policy: make room for a newcomer from `addr`, or refuse it when nothing can give way. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct conn_guard *g = &((struct adm_server *)cls)->guard;
	enum MHD_Result ok = MHD_YES;
	struct adm_conn *victim;
	bool has_ip = addr && addr->sa_family == AF_INET && addrlen >= (socklen_t)sizeof(struct sockaddr_in);
	uint32_t ip = has_ip ? ((const struct sockaddr_in *)(const void *)addr)->sin_addr.s_addr : 0;

	pthread_mutex_lock(&g->lock);
	if (has_ip && g->max_per_ip) {
		size_t from_ip = 0;
		struct adm_conn *c;

		for (c = g->list.next; c != &g->list; c = c->next)
			from_ip += !c->cut && c->has_ip && c->ip == ip;
		if (from_ip >= g->max_per_ip) {
			victim = guard_oldest_waiting(g, true, ip);
			if (!victim) {
				ok = MHD_NO;
				goto out;
			}
			guard_cut(g, victim);
			g->cut_pushed++;
		}
	}
	if (g->nconns - g->ncut >= g->max_conns - g->reserve) {
		victim = guard_oldest_waiting(g, false, 0);
		if (victim) {
			guard_cut(g, victim);
			g->cut_pushed++;
		} else if (g->nconns - g->ncut >= g->max_conns) {
			ok = MHD_NO;
		}
	}
out:
	if (ok == MHD_NO)
		g->refused++;
	pthread_mutex_unlock(&g->lock);
	return ok;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct conn_guard *g = &((struct adm_server *)cls)->guard;
	struct adm_conn *c = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *addr = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

		c = fc_xcalloc(1, sizeof(*c));
		c->fd = fd ? fd->connect_fd : -1;
		if (addr && addr->client_addr && addr->client_addr->sa_family == AF_INET) {
			c->has_ip = true;
			c->ip = ((const struct sockaddr_in *)(const void *)addr->client_addr)->sin_addr.s_addr;
		}
		c->waiting_since = mono_ns();
		pthread_mutex_lock(&g->lock);
		c->prev = g->list.prev;
		c->next = &g->list;
		g->list.prev->next = c;
		g->list.prev = c;
		g->nconns++;
		if (c->fd < 0) /* cannot be cut: never waits */
			c->waiting_since = 0;
		if (g->reaper_idle)
			pthread_cond_signal(&g->wake);
		pthread_mutex_unlock(&g->lock);
		*socket_context = c;
	} else if (c) {
		pthread_mutex_lock(&g->lock);
		c->prev->next = c->next;
		c->next->prev = c->prev;
		g->nconns--;
		if (c->cut)
			g->ncut--;
		pthread_mutex_unlock(&g->lock);
		free(c);
		*socket_context = NULL;
	}
}

static struct adm_conn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return info ? info->socket_context : NULL;
}

/* A request head is complete: the connection no longer races the deadline. */
static void conn_head_arrived(struct adm_server *srv, struct MHD_Connection *conn)
{
	struct adm_conn *c = conn_of(conn);

	if (!c)
		return;
	pthread_mutex_lock(&srv->guard.lock);
	c->waiting_since = 0;
	pthread_mutex_unlock(&srv->guard.lock);
}

/* A request is over: a kept-alive connection waits for the next head, with a new deadline. */
static void conn_wait_head(struct adm_server *srv, struct MHD_Connection *conn)
{
	struct adm_conn *c = conn_of(conn);

	if (!c || c->fd < 0)
		return;
	pthread_mutex_lock(&srv->guard.lock);
	c->waiting_since = mono_ns();
	if (srv->guard.reaper_idle)
		pthread_cond_signal(&srv->guard.wake);
	pthread_mutex_unlock(&srv->guard.lock);
}

static enum MHD_Result add_header_bytes(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	size_t *total = cls;

	(void)kind;
	*total += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": " and CRLF */
	return MHD_YES;
}

/* Bytes of the URL (path, and the query string that libmicrohttpd has already split off), near enough. */
static size_t request_url_bytes(struct MHD_Connection *conn, const char *url)
{
	size_t total = strlen(url);

	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_header_bytes, &total);
	return total;
}

/* Bytes of the request line and headers, as the client sent them (near enough). */
static size_t request_head_bytes(struct MHD_Connection *conn, const char *method, size_t url_bytes)
{
	size_t total = strlen(method) + url_bytes + 12; /* " HTTP/1.1\r\n" */

	MHD_get_connection_values(conn, MHD_HEADER_KIND, add_header_bytes, &total);
	return total;
}

/* Flyte's admin (grpc-gateway's ProtoMarshaller) speaks protobuf to a client that names application/octet-stream;
 * JSON stays the default. Parameters after ';' are ignored. */
static bool is_octet_stream(const char *v)
{
	return v && !strncasecmp(v, "application/octet-stream", 24) && (!v[24] || v[24] == ';' || v[24] == ' ');
}

static void negotiate(struct adm_req *r, struct MHD_Connection *conn)
{
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	const char *ctype = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);

	r->pb_in = is_octet_stream(ctype);
	/* "application/octet-stream" anywhere in the list, unless JSON is listed before it */
	if (accept) {
		const char *pb = strcasestr(accept, "application/octet-stream");
		const char *json = strcasestr(accept, "application/json");

		r->pb_out = pb && (!json || pb < json);
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct adm_server *srv = cls;
	struct adm_req *r = *con_cls;

	(void)version;
	if (!r) {
		const char *clen;
		size_t url_bytes, head_bytes;

		conn_head_arrived(srv, conn);
		r = fc_xcalloc(1, sizeof(*r));
		r->srv = srv;
		r->store = srv->store;
		r->conn = conn;
		r->method = method;
		r->started_ns = mono_ns();
		negotiate(r, conn);
		fc_buf_init(&r->body, 0);
		fc_buf_set_cap(&r->body, srv->opts.max_body);
		fc_buf_init(&r->out, 0);
		fc_buf_set_cap(&r->out, srv->opts.max_answer);
		fc_arena_init(&r->arena, 8192);
		*con_cls = r;
		r->route_index = adm_nroutes;
		url_bytes = request_url_bytes(conn, url);
		head_bytes = request_head_bytes(conn, method, url_bytes);
		if (url_bytes > ADM_MAX_URL || head_bytes > srv->max_header) {
			char msg[160];

			if (url_bytes > ADM_MAX_URL)
				snprintf(msg, sizeof(msg), "the URL has %zu bytes, more than the server's limit of %d",
					 url_bytes, ADM_MAX_URL);
			else
				snprintf(msg, sizeof(msg),
					 "the request line and headers have %zu bytes, more than the server's limit of %zu",
					 head_bytes, srv->max_header);
			reply_error_status(r, url_bytes > ADM_MAX_URL ? 414 : 431, "limit", msg);
			return send_reply(conn, r);
		}
		if (!strcmp(method, "OPTIONS")) {
			const char *origin = cors_origin(srv, conn);

			if (origin) {
				r->status = 204; /* for the request counters */
				return send_preflight(conn, origin);
			}
		}
		route(r, url);
		if (r->route && !token_ok(r)) {
			reply_error_status(r, 401, "unauthenticated",
					   r->route->access == ADM_WRITE ? "this request changes state and needs 'Authorization: Bearer <token>'"
							     : "this server needs 'Authorization: Bearer <token>' on every request");
			r->route = NULL;
		}
		clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (r->route && clen && strtoull(clen, NULL, 10) > srv->opts.max_body) {
			reply_error_status(r, 413, "limit", "request body is larger than the limit");
			r->route = NULL;
		}
		if (!r->route)
			return send_reply(conn, r); /* answer now; MHD discards any body */
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!r->body_too_big) {
			fc_buf_add(&r->body, upload_data, *upload_data_size);
			if (fc_buf_error(&r->body)) {
				r->body_too_big = true;
				fc_buf_release(&r->body);
			}
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->body_too_big) {
		reply_error_status(r, 413, "limit", "request body is larger than the limit");
	} else {
		r->route->handler(r);
		if (r->suspended)
			return MHD_YES; /* resumed later: this function is called again and so is the handler */
		if (r->route->access == ADM_WRITE && r->status / 100 == 2 && srv->on_change)
			srv->on_change(srv->on_change_ctx);
	}
	return send_reply(conn, r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct adm_server *srv = cls;
	struct adm_req *r = *con_cls;
	unsigned klass;

	(void)toe;
	conn_wait_head(srv, conn);
	if (!r)
		return;
	klass = r->status >= 100 && r->status < 600 ? r->status / 100 - 1 : 4;
	__atomic_add_fetch(&srv->stats[r->route_index].by_class[klass], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&srv->stats[r->route_index].duration_us, (uint64_t)(mono_ns() - r->started_ns) / 1000,
			   __ATOMIC_RELAXED);
	fc_buf_release(&r->body);
	fc_buf_release(&r->out);
	fc_arena_release(&r->arena);
	free(r);
	*con_cls = NULL;
}

void adm_serve_offline(struct adm_store *store, const char *method, const char *url, const void *body, size_t len,
		       unsigned *status, struct fc_buf *out)
{
	struct adm_req r;

	memset(&r, 0, sizeof(r));
	r.store = store;
	r.method = method;
	fc_buf_init(&r.body, 0);
	fc_buf_add(&r.body, body, len);
	fc_buf_init(&r.out, 0);
	fc_buf_set_cap(&r.out, ADM_MAX_ANSWER);
	fc_arena_init(&r.arena, 8192);
	r.route_index = adm_nroutes;
	route(&r, url);
	if (r.route)
		r.route->handler(&r);
	if (!r.status)
		adm_reply_error(&r, FC_EINTERNAL, "the handler gave no answer");
	if (is_json(r.content_type))
		fc_buf_fix_utf8(&r.out);
	*status = r.status;
	fc_buf_reset(out);
	fc_buf_add(out, r.out.buf, r.out.len);
	fc_buf_release(&r.body);
	fc_buf_release(&r.out);
	fc_arena_release(&r.arena);
}

void adm_server_metrics(struct adm_server *srv, struct fc_buf *out)
{
	struct conn_guard *g = &srv->guard;
	size_t i, k, open_conns;
	uint64_t late, pushed, refused;

	pthread_mutex_lock(&g->lock);
	open_conns = g->nconns;
	late = g->cut_late;
	pushed = g->cut_pushed;
	refused = g->refused;
	pthread_mutex_unlock(&g->lock);
	fc_buf_addf(out,
		    "# HELP flytec_http_connections Connections open now.\n"
		    "# TYPE flytec_http_connections gauge\n"
		    "flytec_http_connections %zu\n"
		    "# HELP flytec_http_connections_cut_total Connections cut before they sent a request head.\n"
		    "# TYPE flytec_http_connections_cut_total counter\n"
		    "flytec_http_connections_cut_total{reason=\"head_timeout\"} %llu\n"
		    "flytec_http_connections_cut_total{reason=\"pushed_out\"} %llu\n"
		    "# HELP flytec_http_connections_refused_total Connections refused at accept (limits full of busy ones).\n"
		    "# TYPE flytec_http_connections_refused_total counter\n"
		    "flytec_http_connections_refused_total %llu\n",
		    open_conns, (unsigned long long)late, (unsigned long long)pushed, (unsigned long long)refused);

	fc_buf_adds(out, "# HELP flytec_http_requests_total HTTP requests answered, by route and status class.\n"
			 "# TYPE flytec_http_requests_total counter\n");
	for (i = 0; i <= adm_nroutes; i++) {
		const char *m = i < adm_nroutes ? adm_routes[i].method : "ANY";
		const char *p = i < adm_nroutes ? adm_routes[i].pattern : "unrouted";

		for (k = 0; k < STATUS_CLASSES; k++) {
			uint64_t v = __atomic_load_n(&srv->stats[i].by_class[k], __ATOMIC_RELAXED);

			if (v)
				fc_buf_addf(out, "flytec_http_requests_total{method=\"%s\",route=\"%s\",code=\"%zuxx\"} %llu\n",
					    m, p, k + 1, (unsigned long long)v);
		}
	}
	fc_buf_adds(out, "# HELP flytec_http_request_seconds_sum Time spent answering, by route.\n"
			 "# TYPE flytec_http_request_seconds_sum counter\n");
	for (i = 0; i <= adm_nroutes; i++) {
		uint64_t us = __atomic_load_n(&srv->stats[i].duration_us, __ATOMIC_RELAXED);

		if (us)
			fc_buf_addf(out, "flytec_http_request_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n",
				    i < adm_nroutes ? adm_routes[i].method : "ANY",
				    i < adm_nroutes ? adm_routes[i].pattern : "unrouted", (double)us / 1e6);
	}
	adm_stream_hub_metrics(srv->streams, out);
	fc_buf_addf(out, "# HELP flytec_parked_connections Requests waiting with their connection suspended (watch streams "
			 "and log followers).\n"
			 "# TYPE flytec_parked_connections gauge\n"
			 "flytec_parked_connections %zu\n",
		    adm_park_count(srv->park));
}

/* ------------------------------------------------------------------------------------------------------------
 * Start / stop.
 */
static int parse_listen(const char *listen, struct sockaddr_in *sin, struct fc_err *err)
{
	const char *colon = strrchr(listen, ':');
	char host[64];
	char *end;
	unsigned long port;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	if (!colon || (size_t)(colon - listen) >= sizeof(host))
		return fc_err_set(err, FC_EINVAL, "--listen '%s' is not HOST:PORT", listen);
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || !colon[1] || port > 65535)
		return fc_err_set(err, FC_EINVAL, "--listen '%s': bad port", listen);
	sin->sin_port = htons((uint16_t)port);
	if (!*host || !strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return fc_err_set(err, FC_EINVAL, "--listen '%s': '%s' is not an IPv4 address", listen, host);
	return 0;
}

/*
 * Every connection is a descriptor: raise the soft limit on open files to what `max_conns` needs (plus room for the
 * store, the watcher and the executor), up to the hard limit; when even that is too low, serve fewer connections
 * rather than fail accepts at random. Returns the number of connections to allow.
 */
static unsigned fit_open_files(unsigned max_conns)
{
	const rlim_t spare = 128;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return max_conns;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)max_conns + spare) {
		rlim_t want = (rlim_t)max_conns + spare;

		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)max_conns + spare) {
		unsigned fit = rl.rlim_cur > 2 * spare ? (unsigned)(rl.rlim_cur - spare) : (unsigned)(rl.rlim_cur / 2);

		fc_warn("serve: the open-file limit (%llu) allows %u connections, not %u (raise ulimit -n)",
			(unsigned long long)rl.rlim_cur, fit, max_conns);
		return fit;
	}
	return max_conns;
}

bool adm_server_tls_supported(void)
{
	return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
}

static int read_pem(const char *path, const char *what, char **out, struct fc_err *err)
{
	struct fc_buf b = FC_BUF_INIT;
	int rc = fc_buf_read_file(&b, path, 1024 * 1024, err);

	if (rc) {
		fc_buf_release(&b);
		return fc_err_prefix(err, "TLS %s", what);
	}
	if (!strstr(b.buf, "-----BEGIN ")) {
		fc_buf_release(&b);
		return fc_err_set(err, FC_EINVAL, "TLS %s %s is not a PEM file (no '-----BEGIN' line)", what, path);
	}
	*out = fc_buf_detach(&b, NULL);
	return 0;
}

int adm_server_start(struct adm_store *store, const struct adm_server_options *opts, struct adm_server **out,
		     struct fc_err *err)
{
	struct adm_server *srv;
	struct sockaddr_in sin;
	const union MHD_DaemonInfo *info;
	const char *listen = opts && opts->listen ? opts->listen : ADM_DEFAULT_LISTEN;
	unsigned threads = opts && opts->threads ? opts->threads : 2;
	unsigned max_conns = opts && opts->max_conns ? opts->max_conns : ADM_MAX_CONNS;
	unsigned head_timeout = opts && opts->head_timeout ? opts->head_timeout : ADM_HEAD_TIMEOUT_S;
	int per_ip = opts && opts->max_conns_per_ip >= 0 ? opts->max_conns_per_ip : ADM_MAX_CONNS_PER_IP;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME;
	struct MHD_OptionItem tls[3];
	size_t pool;
	int rc;

	*out = NULL;
	rc = parse_listen(listen, &sin, err);
	if (rc)
		return rc;
	if (opts && (!opts->tls_cert != !opts->tls_key))
		return fc_err_set(err, FC_EINVAL, "TLS needs both a certificate (--tls-cert) and a key (--tls-key)");
	if (opts && opts->tls_cert && !adm_server_tls_supported())
		return fc_err_set(err, FC_EUNSUPPORTED,
				  "this libmicrohttpd was built without TLS support: HTTPS is not available (serve plain "
				  "HTTP behind a TLS proxy instead, see docs/api.md)");
	max_conns = fit_open_files(max_conns);
	srv = fc_xcalloc(1, sizeof(*srv));
	if (guard_init(&srv->guard, head_timeout, max_conns, (size_t)per_ip, err)) {
		free(srv);
		return FC_EINTERNAL;
	}
	memset(tls, 0, sizeof(tls));
	tls[0].option = tls[1].option = tls[2].option = MHD_OPTION_END;
	if (opts && opts->tls_cert) {
		rc = read_pem(opts->tls_cert, "certificate", &srv->tls_cert, err);
		if (!rc)
			rc = read_pem(opts->tls_key, "key", &srv->tls_key, err);
		if (rc) {
			adm_server_stop(srv);
			return rc;
		}
		flags |= MHD_USE_TLS;
		tls[0].option = MHD_OPTION_HTTPS_MEM_CERT;
		tls[0].ptr_value = srv->tls_cert;
		tls[1].option = MHD_OPTION_HTTPS_MEM_KEY;
		tls[1].ptr_value = srv->tls_key;
	}
	srv->store = store;
	pthread_mutex_init(&srv->cache_lock, NULL);
	srv->exec_gen = srv->exec_floor = 1;
	srv->exec_cache = store && adm_store_set_observer(store, cache_on_change, srv);
	srv->opts.token = opts && opts->token && *opts->token ? fc_xstrdup(opts->token) : NULL;
	srv->opts.version = fc_xstrdup(opts && opts->version ? opts->version : "unknown");
	srv->opts.max_body = opts && opts->max_body ? opts->max_body : ADM_DEFAULT_MAX_BODY;
	srv->opts.max_answer = opts && opts->max_answer ? opts->max_answer : ADM_MAX_ANSWER;
	srv->opts.public_reads = opts && opts->public_reads;
	if (opts && opts->n_cors_origins) {
		size_t i;

		if (opts->n_cors_origins > ADM_MAX_CORS_ORIGINS) {
			adm_server_stop(srv);
			return fc_err_set(err, FC_ELIMIT, "more than %d --cors-origin", ADM_MAX_CORS_ORIGINS);
		}
		srv->opts.cors_origins = fc_xcalloc(opts->n_cors_origins, sizeof(char *));
		srv->opts.n_cors_origins = opts->n_cors_origins;
		for (i = 0; i < opts->n_cors_origins; i++)
			srv->opts.cors_origins[i] = fc_xstrdup(opts->cors_origins[i]);
	}
	srv->opts.dataproxy = opts ? opts->dataproxy : NULL;
	srv->opts.console_dir = opts && opts->console_dir ? fc_xstrdup(opts->console_dir) : NULL;
	srv->opts.repo_dir = opts && opts->repo_dir ? fc_xstrdup(opts->repo_dir) : NULL;
	srv->max_header = opts && opts->max_header ? opts->max_header : ADM_DEFAULT_MAX_HEADER;
	/* libmicrohttpd answers a head that does not fit its connection's memory pool itself, with an HTML page; the
	 * pool holds heads past our own limits (the URL's and the headers' at once, plus room for its own
	 * bookkeeping), which answer in JSON (414, 431). Not more: libmicrohttpd clears the whole pool for every
	 * request of a keep-alive connection, and a 128 KiB pool cost a sixth of a GET's CPU (bench/RESULTS.md) */
	pool = srv->max_header + ADM_MAX_URL + 16 * 1024;
	srv->stats = fc_xcalloc(adm_nroutes + 1, sizeof(*srv->stats));
	srv->on_change = opts ? opts->on_change : NULL;
	srv->on_change_ctx = opts ? opts->on_change_ctx : NULL;
	srv->schedules_json = opts ? opts->schedules_json : NULL;
	srv->schedules_ctx = opts ? opts->schedules_ctx : NULL;
	srv->schedules_metrics = opts ? opts->schedules_metrics : NULL;
	rc = adm_park_start(&srv->park, err);
	if (!rc)
		rc = adm_logs_new(opts ? opts->logs_root : NULL, opts ? opts->logs_kube : NULL, &srv->logs, err);
	if (!rc)
		rc = adm_stream_hub_start(store, srv->park, 0, srv->opts.max_answer, &srv->streams, err);
	if (rc) {
		adm_server_stop(srv);
		return rc;
	}
	srv->schedules_backfill = opts ? opts->schedules_backfill : NULL;
	srv->daemon = MHD_start_daemon(
		flags, ntohs(sin.sin_port), on_accept, srv, on_request, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
		MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)ADM_IDLE_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT, max_conns,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv, MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
	if (!srv->daemon) {
		adm_server_stop(srv);
		return fc_err_set(err, FC_EIO, "cannot listen on %s (address in use, or not allowed%s)", listen,
				  opts && opts->tls_cert ? "; or the TLS certificate and key were refused: do they match?" : "");
	}
	info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : ntohs(sin.sin_port);
	*out = srv;
	return 0;
}

unsigned adm_server_port(const struct adm_server *srv)
{
	return srv->port;
}

static void exec_changed_clear(struct adm_server *srv)
{
	size_t i;

	for (i = 0; i < srv->exec_changed.cap; i++)
		free((char *)srv->exec_changed.slots[i].key);
	fc_strmap_release(&srv->exec_changed);
}

/* The store committed changes to these executions (store.h, adm_store_set_observer): their answers are stale. */
static void cache_on_change(void *ctx, const struct adm_change *changes, size_t n, bool overflow)
{
	struct adm_server *srv = ctx;
	struct fc_buf key = FC_BUF_INIT;
	size_t i;

	pthread_mutex_lock(&srv->cache_lock);
	srv->exec_gen++;
	if (overflow || srv->exec_changed.size + n > ADM_CACHE_EXEC_CHANGES_MAX) {
		/* too many to track one by one: every execution answer cached so far is stale */
		exec_changed_clear(srv);
		srv->exec_floor = srv->exec_gen;
		n = 0;
	}
	for (i = 0; i < n; i++) {
		const struct adm_exec_id *id = &changes[i].id;

		fc_buf_reset(&key);
		fc_buf_addf(&key, "%s\n%s\n%s", id->project, id->domain, id->name);
		if (fc_strmap_get(&srv->exec_changed, key.buf))
			fc_strmap_put(&srv->exec_changed, key.buf, (void *)(uintptr_t)srv->exec_gen); /* keeps its key */
		else
			fc_strmap_put(&srv->exec_changed, fc_xstrdup(key.buf), (void *)(uintptr_t)srv->exec_gen);
	}
	pthread_mutex_unlock(&srv->cache_lock);
	fc_buf_release(&key);
}

static void cache_clear(struct adm_server *srv)
{
	size_t i;

	for (i = 0; i < srv->cache.cap; i++) {
		if (srv->cache.slots[i].key) {
			free((char *)srv->cache.slots[i].key);
			free(srv->cache.slots[i].value);
		}
	}
	fc_strmap_release(&srv->cache);
	srv->cache_bytes = 0;
}

void adm_server_schedule_metrics(struct adm_server *srv, struct fc_buf *out)
{
	if (srv && srv->schedules_metrics)
		srv->schedules_metrics(srv->schedules_ctx, out);
}

int adm_server_schedule_backfill(struct adm_server *srv, const char *project, const char *domain, const char *name,
				 int64_t from_ns, int64_t to_ns, uint32_t parallel, bool dry_run, struct fc_buf *out,
				 struct fc_err *err)
{
	if (!srv || !srv->schedules_backfill)
		return fc_err_set(err, FC_ENOENT, "no scheduler runs in this server (started with --no-scheduler?)");
	return srv->schedules_backfill(srv->schedules_ctx, project, domain, name, from_ns, to_ns, parallel, dry_run,
				       out, err);
}

void adm_reply_schedules(struct adm_req *r)
{
	struct adm_server *srv = r->srv;
	struct fc_err err;

	if (!srv || !srv->schedules_json) {
		adm_reply_error(r, FC_ENOENT, "no scheduler runs in this server (started with --no-scheduler?)");
		return;
	}
	fc_buf_reset(&r->out);
	if (srv->schedules_json(srv->schedules_ctx, &r->out, &err)) {
		adm_reply_err(r, &err);
		return;
	}
	fc_buf_addch(&r->out, '\n');
	r->status = 200;
	r->content_type = "application/json";
}

/* A cached answer: its bytes (JSON text or packed protobuf), its encoding, and for an execution's answer the
 * notice count when it was read (0: an immutable resource's, always good). */
struct cached_answer {
	size_t len, size;
	uint64_t gen;
	bool pb;
	char data[];
};

/* "a\nb" or "a\nb\nc" (c NULL: the first), in `a`rena: the cache's keys, made on every GET (no printf). */
static char *join_lines(struct fc_arena *arena, const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = c ? strlen(c) : 0;
	char *out = fc_arena_alloc_raw(arena, la + lb + lc + 3), *w = out;

	memcpy(w, a, la);
	w += la;
	*w++ = '\n';
	memcpy(w, b, lb);
	w += lb;
	if (c) {
		*w++ = '\n';
		memcpy(w, c, lc);
		w += lc;
	}
	*w = '\0';
	return out;
}

/* The cache key of `key` in the request's answer encoding, in the request's arena. */
static const char *cache_key(struct adm_req *r, const char *key)
{
	return join_lines(&r->arena, r->pb_out ? "pb" : "json", key, NULL);
}

/* An execution answer read at notice count `gen` is still good (called with cache_lock held). */
static bool exec_answer_good(const struct adm_server *srv, const char *exec_key, uint64_t gen)
{
	return gen >= srv->exec_floor && gen >= (uint64_t)(uintptr_t)fc_strmap_get(&srv->exec_changed, exec_key);
}

static bool cache_reply(struct adm_req *r, const char *key, const char *exec_key, uint64_t *gen)
{
	struct adm_server *srv = r->srv;
	const struct cached_answer *c;
	bool hit = false;

	if (!srv || !key || (exec_key && !srv->exec_cache))
		return false;
	key = cache_key(r, key);
	pthread_mutex_lock(&srv->cache_lock);
	if (gen)
		*gen = srv->exec_gen;
	c = fc_strmap_get(&srv->cache, key);
	if (c && (!exec_key || exec_answer_good(srv, exec_key, c->gen))) {
		fc_buf_reset(&r->out);
		fc_buf_add(&r->out, c->data, c->len);
		r->status = 200;
		r->content_type = c->pb ? "application/octet-stream" : "application/json";
		r->utf8_done = true; /* cache_store kept it after the pass */
		hit = true;
	}
	pthread_mutex_unlock(&srv->cache_lock);
	return hit;
}

static void cache_store(struct adm_req *r, const char *key, bool exec, uint64_t gen)
{
	struct adm_server *srv = r->srv;
	struct cached_answer *c, *old;
	size_t size;

	if (!srv || !key || r->status != 200 || (exec && !srv->exec_cache))
		return;
	/* the answer is kept as it will leave (send_reply's UTF-8 pass done here once, not on every hit) */
	if (!r->utf8_done && is_json(r->content_type)) {
		fc_buf_fix_utf8(&r->out);
		r->utf8_done = true;
	}
	key = cache_key(r, key);
	size = strlen(key) + r->out.len + sizeof(struct cached_answer) + 1;
	pthread_mutex_lock(&srv->cache_lock);
	old = fc_strmap_get(&srv->cache, key);
	if (!old || (exec && old->gen < gen)) {
		c = fc_xmalloc(sizeof(*c) + r->out.len);
		c->len = r->out.len;
		c->size = size;
		c->gen = exec ? gen : 0;
		c->pb = r->pb_out;
		memcpy(c->data, r->out.buf, r->out.len);
		if (old) {
			/* a stale execution answer: the newer one takes its place (and keeps its key) */
			srv->cache_bytes -= old->size;
			free(old);
			fc_strmap_put(&srv->cache, key, c);
		} else {
			if (srv->cache_bytes + size > ADM_CACHE_MAX_BYTES)
				cache_clear(srv);
			fc_strmap_put(&srv->cache, fc_xstrdup(key), c);
		}
		srv->cache_bytes += size;
	}
	pthread_mutex_unlock(&srv->cache_lock);
}

bool adm_cache_reply(struct adm_req *r, const char *key)
{
	return cache_reply(r, key, NULL, NULL);
}

void adm_cache_store(struct adm_req *r, const char *key)
{
	cache_store(r, key, false, 0);
}

/* The execution's key in exec_changed, in the request's arena. */
static const char *exec_key(struct adm_req *r, const struct adm_exec_id *id)
{
	return join_lines(&r->arena, id->project, id->domain, id->name);
}

bool adm_cache_reply_exec(struct adm_req *r, const char *what, const struct adm_exec_id *id, uint64_t *gen)
{
	const char *ek = exec_key(r, id);

	*gen = 0;
	return cache_reply(r, join_lines(&r->arena, what, ek, NULL), ek, gen);
}

void adm_cache_store_exec(struct adm_req *r, const char *what, const struct adm_exec_id *id, uint64_t gen)
{
	if (gen)
		cache_store(r, join_lines(&r->arena, what, exec_key(r, id), NULL), true, gen);
}

void adm_server_stop(struct adm_server *srv)
{
	if (!srv)
		return;
	adm_stream_hub_close(srv->streams); /* streams end first: resumed, they finish instead of parking again */
	guard_stop(&srv->guard);
	/* a daemon must not stop with suspended connections: every parked one is resumed (a log follower answers with
	 * what there is, a stream ends) and no more are parked */
	adm_park_close(srv->park);
	if (srv->daemon)
		MHD_stop_daemon(srv->daemon);
	adm_logs_free(srv->logs);
	adm_stream_hub_free(srv->streams);
	adm_park_free(srv->park);
	guard_release(&srv->guard);
	free(srv->tls_cert);
	free(srv->tls_key);
	if (srv->exec_cache)
		adm_store_set_observer(srv->store, NULL, srv);
	cache_clear(srv);
	exec_changed_clear(srv);
	pthread_mutex_destroy(&srv->cache_lock);
	free(srv->opts.token);
	free(srv->opts.version);
	free(srv->opts.console_dir);
	free(srv->opts.repo_dir);
	for (size_t i = 0; i < srv->opts.n_cors_origins; i++)
		free(srv->opts.cors_origins[i]);
	free(srv->opts.cors_origins);
	free(srv->stats);
	free(srv);
}
