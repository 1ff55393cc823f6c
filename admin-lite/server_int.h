/* server_int.h: what server.c (HTTP plumbing) and routes.c (handlers) share. */
#ifndef ADM_SERVER_INT_H
#define ADM_SERVER_INT_H

#include "admin-lite/park.h"
#include "admin-lite/query.h"
#include "admin-lite/server.h"
#include "core/arena.h"
#include "core/buf.h"

#include <protobuf-c/protobuf-c.h>

#define ADM_MAX_PARAMS 10

struct adm_req;
struct adm_stream;
struct adm_stream_hub;
struct adm_exec_id;
typedef void (*adm_handler)(struct adm_req *r);

/* What a route needs when the server has a token. */
enum adm_access {
	ADM_READ,  /* the token, unless the server allows public reads */
	ADM_WRITE, /* changes state: the token, always */
	ADM_OPEN,  /* nothing (/healthz, for load balancers and probes) */
};

struct adm_route {
	const char *method;
	const char *pattern; /* "/api/v1/tasks/{project}/{domain}": {x} matches one non-empty segment */
	adm_handler handler;
	enum adm_access access;
	/* the path's request message (its body) and response message (its answer), in both encodings; NULL: not a
	 * message (flytec's own JSON endpoints, events) */
	const ProtobufCMessageDescriptor *request;
	const ProtobufCMessageDescriptor *response;
};

extern const struct adm_route adm_routes[];
extern const size_t adm_nroutes;

struct adm_req {
	struct adm_server *srv;
	struct adm_store *store;
	void *conn; /* struct MHD_Connection */
	const char *method;
	const struct adm_route *route;
	size_t route_index;
	char *path;
	const char *params[ADM_MAX_PARAMS];
	size_t nparams;
	struct fc_buf body;
	bool body_too_big;
	/* content negotiation (docs/api.md, "Encodings"): the body is protobuf (Content-Type: application/octet-stream)
	 * and the answer is wanted as protobuf (Accept: application/octet-stream); JSON otherwise */
	bool pb_in, pb_out;
	struct fc_arena arena;
	/* the answer */
	unsigned status;
	struct fc_buf out;
	const char *content_type;
	const char *extra_header, *extra_value;
	bool utf8_done; /* `out` already went through fc_buf_fix_utf8 (a cached answer): send_reply skips the pass */
	/* more answer headers: name, value, name, value, ..., NULL (arena or static; NULL: none) */
	const char **headers;
	int64_t started_ns;
	/* a handler that waits (logs.c, follow=1) parks the connection (park.h) and sets `suspended`: no answer is sent
	 * now, and the handler is called again when the connection is resumed; wait_until_ns is its own deadline, kept
	 * across calls */
	bool suspended;
	int64_t wait_until_ns;
	struct adm_parked park;
	const char *park_key; /* arena */
	struct adm_stream *stream; /* a watch stream to answer with instead of `out` (stream.h) */
};

struct adm_server_opts_copy {
	char *token;
	char *version;
	size_t max_body;
	size_t max_answer;
	bool public_reads;
	char **cors_origins;
	size_t n_cors_origins;
	const struct adm_dataproxy *dataproxy;
	char *console_dir;
	char *repo_dir;
};

const struct adm_server_opts_copy *adm_server_opts(const struct adm_server *srv);
/* The logs endpoint's state (logs.h). */
struct adm_logs *adm_server_logs(struct adm_server *srv);
/* The server's parked connections (park.h). */
struct adm_park *adm_server_park(struct adm_server *srv);
/* The server's watch streams (stream.h). */
struct adm_stream_hub *adm_server_streams(struct adm_server *srv);
/* One request through routing and its handler without a connection or server (fuzz targets and tests): no token
 * check, no query string, no cache. The answer's status and body go to *status and `out`. */
void adm_serve_offline(struct adm_store *store, const char *method, const char *url, const void *body, size_t len,
		       unsigned *status, struct fc_buf *out);
/* Prometheus text of the request counters. */
void adm_server_metrics(struct adm_server *srv, struct fc_buf *out);

/* Path parameter i (0-based, in pattern order). */
/* GET /api/v1/schedules through the server's schedules_json hook. */
void adm_reply_schedules(struct adm_req *r);
/* The scheduler's lines of GET /metrics (nothing when no scheduler runs). */
void adm_server_schedule_metrics(struct adm_server *srv, struct fc_buf *out);
/* The scheduler's backfill (server.h, schedules_backfill); FC_ENOENT when no scheduler runs. */
int adm_server_schedule_backfill(struct adm_server *srv, const char *project, const char *domain, const char *name,
				 int64_t from_ns, int64_t to_ns, uint32_t parallel, bool dry_run, struct fc_buf *out,
				 struct fc_err *err);

/* Answers of immutable resources, by a key naming them: reply from the cache (true when it did), or remember the
 * answer just made. */
bool adm_cache_reply(struct adm_req *r, const char *key);
void adm_cache_store(struct adm_req *r, const char *key);
/* The same for an answer about execution `id` (`what` names the answer: "execution"), which changes: a reply only
 * while no change notice of the store came for it since it was read. *gen: the notice count now, to give
 * adm_cache_store_exec() after reading the store (0: not cached in this server). */
bool adm_cache_reply_exec(struct adm_req *r, const char *what, const struct adm_exec_id *id, uint64_t *gen);
void adm_cache_store_exec(struct adm_req *r, const char *what, const struct adm_exec_id *id, uint64_t gen);

const char *adm_req_param(const struct adm_req *r, size_t i);
/* Whether the request carries 'Authorization: Bearer <the server's token>' (false without a token or connection). */
bool adm_req_bearer_ok(struct adm_req *r);
/* A request header's value, or NULL (always NULL without a connection). */
const char *adm_req_header(const struct adm_req *r, const char *name);
/* A query-string argument, or NULL. */
const char *adm_req_arg(const struct adm_req *r, const char *name);
/* Fill q from limit, token, filters, sort_by.key / sort_by.direction (Flyte's REST names). 400 on bad values. */
int adm_req_query(struct adm_req *r, struct adm_query *q);
/* Decode the body as the route's request message: proto3 JSON (strict: unknown fields are errors), or protobuf
 * when the request said Content-Type: application/octet-stream (same size and nesting limits); on failure the 400
 * answer is set. */
int adm_req_decode(struct adm_req *r, ProtobufCMessage **out);

/* Answer with `msg`, which must be the route's response message (a mismatch is a 500: the table is the contract),
 * as proto3 JSON or, when the client accepts application/octet-stream, packed protobuf. */
void adm_reply_msg(struct adm_req *r, unsigned status, const ProtobufCMessage *msg);
/* A fixed JSON answer. "{}" (an empty message) is an empty body when protobuf is asked for. */
void adm_reply_json_text(struct adm_req *r, unsigned status, const char *json);
/* An error answer {"code": name, "message": msg}, status from the code (see adm_http_status()); with protobuf
 * asked for, a google.rpc.Status message (gRPC code from the HTTP status, adm_grpc_code()) with the same status. */
void adm_reply_error(struct adm_req *r, int code, const char *fmt, ...) FC_PRINTF(3, 4);
struct fc_err;
void adm_reply_err(struct adm_req *r, const struct fc_err *err);
unsigned adm_http_status(int code);
/* The gRPC code (google.rpc.Code) of an HTTP error status, the inverse of grpc-gateway's mapping. */
int adm_grpc_code(unsigned http_status);

#endif
