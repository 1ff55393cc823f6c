/* server.c: HTTP plumbing on libmicrohttpd: routing, limits, auth, JSON replies, request metrics. */
#include "admin-lite/server_int.h"
#include "admin-lite/store.h"
#include "core/err.h"
#include "core/log.h"
#include "core/pbjson.h"
#include "core/strmap.h"

#include <microhttpd.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { STATUS_CLASSES = 5 }; /* 1xx..5xx */

struct route_stats {
	uint64_t by_class[STATUS_CLASSES];
	uint64_t duration_us;
};

/*
 * Rendered answers of immutable resources (a task or workflow version never changes once registered), keyed by
 * what they are (kind and full id). Bounded: when it would pass ADM_CACHE_MAX_BYTES it is emptied and fills again.
 */
#define ADM_CACHE_MAX_BYTES (64u * 1024 * 1024)

struct adm_server {
	struct MHD_Daemon *daemon;
	struct adm_store *store;
	pthread_mutex_t cache_lock;
	struct fc_strmap cache; /* owned path -> owned JSON text */
	size_t cache_bytes;
	struct adm_server_opts_copy opts;
	unsigned port;
	struct route_stats *stats; /* adm_nroutes + 1 (the last: unrouted) */
	void (*on_change)(void *ctx);
	void *on_change_ctx;
	int (*schedules_json)(void *ctx, struct fc_buf *out, struct fc_err *err);
	void *schedules_ctx;
};

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
		return 503;
	default:
		return 500;
	}
}

static void reply_error_status(struct adm_req *r, unsigned status, const char *name, const char *msg)
{
	fc_buf_reset(&r->out);
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

void adm_reply_msg(struct adm_req *r, unsigned status, const ProtobufCMessage *msg)
{
	struct fc_err err;

	fc_buf_reset(&r->out);
	if (fc_pbjson_encode_buf(msg, 0, &r->out, &err)) {
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
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
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

int adm_req_decode(struct adm_req *r, const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out)
{
	struct fc_err err;

	*out = NULL;
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

static void route(struct adm_req *r, const char *url)
{
	bool path_known = false;
	size_t i, len = strlen(url);

	r->path = fc_arena_alloc(&r->arena, len + 1);
	r->route_index = adm_nroutes;
	for (i = 0; i < adm_nroutes; i++) {
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

static bool token_ok(struct adm_req *r)
{
	const char *tok = r->srv->opts.token;
	const char *auth;
	size_t i, n;
	unsigned char diff = 0;

	if (!tok || !*tok)
		return true;
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

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct adm_req *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t len;
	char *body;

	if (!r->status)
		adm_reply_error(r, FC_EINTERNAL, "the handler gave no answer");
	len = r->out.len;
	body = fc_buf_detach(&r->out, NULL);
	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type ? r->content_type : "text/plain");
	if (r->extra_header)
		MHD_add_response_header(resp, r->extra_header, r->extra_value);
	if (r->status == 401)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	ret = MHD_queue_response(conn, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
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

		r = fc_xcalloc(1, sizeof(*r));
		r->srv = srv;
		r->store = srv->store;
		r->conn = conn;
		r->method = method;
		r->started_ns = mono_ns();
		fc_buf_init(&r->body, 0);
		fc_buf_set_cap(&r->body, srv->opts.max_body);
		fc_buf_init(&r->out, 0);
		fc_arena_init(&r->arena, 8192);
		*con_cls = r;
		route(r, url);
		if (r->route && r->route->mutates && !token_ok(r)) {
			reply_error_status(r, 401, "unauthenticated",
					   "this request changes state and needs 'Authorization: Bearer <token>'");
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
		if (r->route->mutates && r->status / 100 == 2 && srv->on_change)
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

	(void)conn;
	(void)toe;
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

void adm_server_metrics(struct adm_server *srv, struct fc_buf *out)
{
	size_t i, k;

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

int adm_server_start(struct adm_store *store, const struct adm_server_options *opts, struct adm_server **out,
		     struct fc_err *err)
{
	struct adm_server *srv;
	struct sockaddr_in sin;
	const union MHD_DaemonInfo *info;
	const char *listen = opts && opts->listen ? opts->listen : ADM_DEFAULT_LISTEN;
	unsigned threads = opts && opts->threads ? opts->threads : 2;
	int rc;

	*out = NULL;
	rc = parse_listen(listen, &sin, err);
	if (rc)
		return rc;
	srv = fc_xcalloc(1, sizeof(*srv));
	srv->store = store;
	pthread_mutex_init(&srv->cache_lock, NULL);
	srv->opts.token = opts && opts->token && *opts->token ? fc_xstrdup(opts->token) : NULL;
	srv->opts.version = fc_xstrdup(opts && opts->version ? opts->version : "unknown");
	srv->opts.max_body = opts && opts->max_body ? opts->max_body : ADM_DEFAULT_MAX_BODY;
	srv->stats = fc_xcalloc(adm_nroutes + 1, sizeof(*srv->stats));
	srv->on_change = opts ? opts->on_change : NULL;
	srv->on_change_ctx = opts ? opts->on_change_ctx : NULL;
	srv->schedules_json = opts ? opts->schedules_json : NULL;
	srv->schedules_ctx = opts ? opts->schedules_ctx : NULL;
	srv->daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO, ntohs(sin.sin_port), NULL, NULL,
		on_request, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin, MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)(opts && opts->max_header ? opts->max_header : ADM_DEFAULT_MAX_HEADER),
		MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_CONNECTION_LIMIT, 1000u,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_END);
	if (!srv->daemon) {
		adm_server_stop(srv);
		return fc_err_set(err, FC_EIO, "cannot listen on %s (address in use, or not allowed)", listen);
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

bool adm_cache_reply(struct adm_req *r, const char *key)
{
	struct adm_server *srv = r->srv;
	const char *json;
	bool hit = false;

	if (!srv || !key)
		return false;
	pthread_mutex_lock(&srv->cache_lock);
	json = fc_strmap_get(&srv->cache, key);
	if (json) {
		fc_buf_reset(&r->out);
		fc_buf_adds(&r->out, json);
		r->status = 200;
		r->content_type = "application/json";
		hit = true;
	}
	pthread_mutex_unlock(&srv->cache_lock);
	return hit;
}

void adm_cache_store(struct adm_req *r, const char *key)
{
	struct adm_server *srv = r->srv;
	size_t size;

	if (!srv || !key || r->status != 200)
		return;
	size = strlen(key) + r->out.len + 2;
	pthread_mutex_lock(&srv->cache_lock);
	if (!fc_strmap_has(&srv->cache, key)) {
		if (srv->cache_bytes + size > ADM_CACHE_MAX_BYTES)
			cache_clear(srv);
		fc_strmap_put(&srv->cache, fc_xstrdup(key), fc_xstrdup(r->out.buf));
		srv->cache_bytes += size;
	}
	pthread_mutex_unlock(&srv->cache_lock);
}

void adm_server_stop(struct adm_server *srv)
{
	if (!srv)
		return;
	if (srv->daemon)
		MHD_stop_daemon(srv->daemon);
	cache_clear(srv);
	pthread_mutex_destroy(&srv->cache_lock);
	free(srv->opts.token);
	free(srv->opts.version);
	free(srv->stats);
	free(srv);
}
