/*
 * serve.h: `flytec serve` put together: the admin's store, its REST server, the repository watcher, the scheduler
 * and the executor (serve/exec.h), each told about the others through callbacks. cli/ parses options and signals;
 * this module owns the wiring (docs/architecture.md, "The serve module").
 *
 * Threads: the server's pool, the scheduler's thread and the executor's thread run on their own; the watcher runs
 * on the caller's thread through srv_poll().
 *
 * Ownership: option strings are borrowed and must outlive the srv.
 */
#ifndef SRV_SERVE_H
#define SRV_SERVE_H

#include "core/fc.h"

#include "admin-lite/server.h"

struct adm_store;
struct adm_watch;
struct fc_err;
struct srv;

struct srv_options {
	const char *repo;        /* watch this directory of specs; NULL: none */
	const char *data_dir;    /* where state lives; NULL: .flytec (the executor's: next to `db` when that is given) */
	const char *db;          /* the admin's sqlite file; NULL: DATA_DIR/admin.db */
	const char *project, *domain; /* defaults for specs that name none */
	unsigned debounce_ms;    /* the watcher's quiet time (0: its default) */
	bool follow_external_links; /* the watcher reads specs through links leaving the repository */
	const char *include, *exclude; /* PCRE2 patterns over paths in the repository (NULL: none) */
	bool no_scheduler, no_executor;
	/* Hand executions to Kubernetes instead of the local executor (serve/cluster.h): this kubeconfig; NULL: local. */
	const char *cluster;
	const char *namespace_template; /* NULL: "{{project}}-{{domain}}" */
	const char *cluster_service_account; /* the resources' service account; NULL: none */
	/* Where the operator sends events: NULL: this server's REST listener as http(s)://HOST:PORT. */
	const char *cluster_admin_url;
	/* The operator's data volume as this process sees it: closures of resources over the inline limit are
	 * offloaded there (serve/cluster.h); NULL: such executions fail. */
	const char *cluster_data_dir;
	/* Also serve the admin API over gRPC on this address (admin-lite/grpc.h), with DataProxyService's signed URLs
	 * answered by the REST listener; NULL: no gRPC. */
	const char *grpc_listen;
	/* The REST server's own options (listen, token, limits, threads, version...). The wiring fields (on_change,
	 * schedules_json and their contexts) are filled in by srv_start(). */
	struct adm_server_options server;
};

/* Open (creating DATA_DIR if needed) the admin's store: `db`, else DATA_DIR/admin.db. */
int srv_store_open(const char *data_dir, const char *db, struct adm_store **out, struct fc_err *err);
/* A watcher of `repo` over `store`: watching starts before the first scan (a change during the scan is seen),
 * unless `scan_only`. `on_change` (may be NULL) is told when registrations changed. */
int srv_watch_open(struct adm_store *store, const struct srv_options *o, const char *repo, bool scan_only,
		   void (*on_change)(void *ctx), void *on_change_ctx, struct adm_watch **out, struct fc_err *err);

/* Start everything `o` asks for. */
int srv_start(const struct srv_options *o, struct srv **out, struct fc_err *err);
/* The port the server listens on; the gRPC port (0 without --grpc-listen). */
unsigned srv_port(const struct srv *s);
unsigned srv_grpc_port(const struct srv *s);
/* The caller thread's share of the work (the repository watcher) for up to about `timeout_ms`; without a watcher
 * it returns at once. */
int srv_poll(struct srv *s, unsigned timeout_ms, struct fc_err *err);
bool srv_watching(const struct srv *s);
/* Stop everything (server first, so no request reaches a stopped part) and free. NULL does nothing. */
void srv_free(struct srv *s);

#endif
