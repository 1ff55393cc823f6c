/*
 * server.h: admin-lite's REST API on libmicrohttpd (routes and their JSON shapes: docs/api.md).
 *
 * The server answers on its own threads (a small pool) and shares the store, which serialises access. It listens on
 * 127.0.0.1 unless told otherwise. With a token, every request but GET /healthz must carry "Authorization: Bearer
 * <token>" (with `public_reads`, only requests that change state). Request bodies are capped (413 past the cap),
 * header space too (431), URLs (414) and answers (500 "limit"). A connection must send its whole request head within
 * a deadline; connections per client address are limited and slots are kept free for newcomers (docs/api.md,
 * "Connections"). Every answer, errors included, is JSON in valid UTF-8. With a certificate and key it speaks TLS.
 */
#ifndef ADM_SERVER_H
#define ADM_SERVER_H

#include "core/fc.h"

struct adm_store;
struct fc_err;
struct kube_client;

#define ADM_DEFAULT_LISTEN "127.0.0.1:8089"
#define ADM_DEFAULT_MAX_BODY (8u * 1024 * 1024)
#define ADM_DEFAULT_MAX_HEADER (32u * 1024)

struct fc_buf;
struct fc_err;

struct adm_server_options {
	const char *listen;    /* "HOST:PORT" (IPv4 literal, or "localhost"); PORT 0 picks a free port. NULL: default */
	const char *token;     /* bearer token; NULL or "": none */
	bool public_reads;     /* with a token: GET and HEAD need none */
	const char *tls_cert;  /* PEM certificate (chain) file; with tls_key: HTTPS. NULL: plain HTTP */
	const char *tls_key;   /* PEM private key file */
	unsigned head_timeout; /* seconds for a whole request head; 0: ADM_HEAD_TIMEOUT_S */
	unsigned max_conns;    /* 0: ADM_MAX_CONNS */
	int max_conns_per_ip;  /* per client address; 0: no limit; -1: ADM_MAX_CONNS_PER_IP */
	size_t max_answer;     /* bytes of one answer; 0: ADM_MAX_ANSWER */
	size_t max_body;       /* bytes; 0: ADM_DEFAULT_MAX_BODY */
	size_t max_header;     /* bytes of request line + headers; 0: ADM_DEFAULT_MAX_HEADER */
	unsigned threads;      /* 0: 2 */
	const char *version;   /* reported by /api/v1/version */
	/* Browser origins ("https://console.example.com:8080", exact) allowed to call with credentials (CORS); at most
	 * ADM_MAX_CORS_ORIGINS. None: no CORS headers, OPTIONS is not answered. */
	const char *const *cors_origins;
	size_t n_cors_origins;
	/* Serves the signed upload/download URLs the gRPC door's DataProxyService hands out (dataproxy.h). NULL: the
	 * /api/v1/dataproxy/files/ paths answer 404. Borrowed: must outlive the server. */
	const struct adm_dataproxy *dataproxy;
	/* GET /api/v1/logs/... (admin-lite/logs.h): log files named by task events are read only under this directory
	 * (NULL: none are read), pod logs through this Kubernetes client (NULL: none; borrowed, must outlive the
	 * server). */
	const char *logs_root;
	struct kube_client *logs_kube;
	/* The watched repository (`serve --repo DIR`): GET /api/v1/repository/file reads the spec files it lists from
	 * there. NULL: that endpoint answers 404. */
	const char *repo_dir;
	/* Called (on a server thread) after every state-changing request that succeeded, e.g. to tell the scheduler
	 * that launch plans may have changed. NULL: none. */
	void (*on_change)(void *ctx);
	void *on_change_ctx;
	/* Renders GET /api/v1/schedules (the scheduler's view: next fire, last slot, failing state and error) as
	 * JSON into `out`; returns an error code for a 500. NULL: the endpoint answers 404 (no scheduler running). */
	int (*schedules_json)(void *ctx, struct fc_buf *out, struct fc_err *err);
	void *schedules_ctx;
	/* Appends the scheduler's Prometheus text to GET /metrics (called with schedules_ctx). NULL: none. */
	void (*schedules_metrics)(void *ctx, struct fc_buf *out);
	/* Serve the web console's files (/console/) from this directory instead of the copies embedded in the binary
	 * (for working on the console without rebuilding). NULL: embedded. */
	const char *console_dir;
	/* POST /api/v1/schedules/{project}/{domain}/{name}/backfill (called with schedules_ctx): queue (or, dry_run,
	 * list) the slots of [from_ns, to_ns] and render the answer JSON into `out`. NULL: the endpoint answers 404. */
	int (*schedules_backfill)(void *ctx, const char *project, const char *domain, const char *name, int64_t from_ns,
				  int64_t to_ns, uint32_t parallel, bool dry_run, struct fc_buf *out, struct fc_err *err);
};

struct adm_server;

int adm_server_start(struct adm_store *store, const struct adm_server_options *opts, struct adm_server **out,
		     struct fc_err *err);
/* Whether this libmicrohttpd can serve HTTPS (Debian's links GnuTLS). */
bool adm_server_tls_supported(void);
/* The port actually bound (useful with port 0). */
unsigned adm_server_port(const struct adm_server *srv);
/* Stop accepting, finish in-flight requests, free. NULL does nothing. */
void adm_server_stop(struct adm_server *srv);

#endif
