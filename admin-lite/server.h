/*
 * server.h: admin-lite's REST API on libmicrohttpd (routes and their JSON shapes: docs/api.md).
 *
 * The server answers on its own threads (a small pool) and shares the store, which serialises access. It listens on
 * 127.0.0.1 unless told otherwise. With a token, every request that changes state (POST, PUT, DELETE, PATCH) must
 * carry "Authorization: Bearer <token>". Request bodies are capped (413 past the cap), header space too (431).
 */
#ifndef ADM_SERVER_H
#define ADM_SERVER_H

#include "core/fc.h"

struct adm_store;
struct fc_err;

#define ADM_DEFAULT_LISTEN "127.0.0.1:8089"
#define ADM_DEFAULT_MAX_BODY (8u * 1024 * 1024)
#define ADM_DEFAULT_MAX_HEADER (32u * 1024)

struct fc_buf;
struct fc_err;

struct adm_server_options {
	const char *listen;    /* "HOST:PORT" (IPv4 literal, or "localhost"); PORT 0 picks a free port. NULL: default */
	const char *token;     /* bearer token for mutations; NULL or "": none */
	size_t max_body;       /* bytes; 0: ADM_DEFAULT_MAX_BODY */
	size_t max_header;     /* bytes of request line + headers; 0: ADM_DEFAULT_MAX_HEADER */
	unsigned threads;      /* 0: 2 */
	const char *version;   /* reported by /api/v1/version */
	/* Called (on a server thread) after every state-changing request that succeeded, e.g. to tell the scheduler
	 * that launch plans may have changed. NULL: none. */
	void (*on_change)(void *ctx);
	void *on_change_ctx;
	/* Renders GET /api/v1/schedules (the scheduler's view: next fire, last slot, failing state and error) as
	 * JSON into `out`; returns an error code for a 500. NULL: the endpoint answers 404 (no scheduler running). */
	int (*schedules_json)(void *ctx, struct fc_buf *out, struct fc_err *err);
	void *schedules_ctx;
};

struct adm_server;

int adm_server_start(struct adm_store *store, const struct adm_server_options *opts, struct adm_server **out,
		     struct fc_err *err);
/* The port actually bound (useful with port 0). */
unsigned adm_server_port(const struct adm_server *srv);
/* Stop accepting, finish in-flight requests, free. NULL does nothing. */
void adm_server_stop(struct adm_server *srv);

#endif
