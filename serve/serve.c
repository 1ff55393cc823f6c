/* serve.c: the assembly of `flytec serve` (serve.h). */
#include "serve/serve.h"

#include "admin-lite/dataproxy.h"
#include "admin-lite/grpc.h"
#include "admin-lite/store.h"
#include "admin-lite/watch.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "scheduler/scheduler.h"
#include "serve/cluster.h"
#include "serve/exec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct srv {
	struct adm_store *store;
	struct adm_server *server;
	struct adm_grpc *grpc;
	struct adm_dataproxy *dataproxy;
	struct adm_watch *watch;
	struct sch *sch;
	struct srv_exec *exec;
	struct srv_cluster *cluster;
	char *logs_root;
};

int srv_store_open(const char *data_dir, const char *db, struct adm_store **out, struct fc_err *err)
{
	struct fc_buf path = FC_BUF_INIT;
	int rc;

	*out = NULL;
	if (db) {
		fc_buf_adds(&path, db);
	} else {
		const char *dir = data_dir ? data_dir : ".flytec";

		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			rc = fc_err_set(err, FC_EIO, "%s: %s", dir, strerror(errno));
			goto out;
		}
		fc_buf_addf(&path, "%s/admin.db", dir);
	}
	rc = adm_store_open(path.buf, out, err);
out:
	fc_buf_release(&path);
	return rc;
}

int srv_watch_open(struct adm_store *store, const struct srv_options *o, const char *repo, bool scan_only,
		   void (*on_change)(void *ctx), void *on_change_ctx, struct adm_watch **out, struct fc_err *err)
{
	struct adm_watch_options wo;
	struct adm_watch *w;
	int rc;

	*out = NULL;
	memset(&wo, 0, sizeof(wo));
	wo.repo = repo;
	wo.project = o->project;
	wo.domain = o->domain;
	wo.debounce_ms = o->debounce_ms;
	wo.follow_external_links = o->follow_external_links;
	wo.include = o->include;
	wo.exclude = o->exclude;
	wo.on_change = on_change;
	wo.on_change_ctx = on_change_ctx;
	rc = adm_watch_new(store, &wo, &w, err);
	if (rc)
		return rc;
	/* watch first, then scan: a change made during the scan is seen as an event */
	rc = scan_only ? 0 : adm_watch_start(w, err);
	if (!rc)
		rc = adm_watch_scan(w, err);
	if (rc) {
		adm_watch_free(w);
		return rc;
	}
	*out = w;
	return FC_OK;
}

/* GET /api/v1/schedules: the scheduler's own view of every schedule. */
static int schedules_json(void *ctx, struct fc_buf *out, struct fc_err *err)
{
	struct fc_arena a;
	struct sch_status *list;
	size_t n;
	int rc;

	fc_arena_init(&a, 0);
	rc = sch_status_list(ctx, &a, &list, &n, err);
	if (!rc)
		sch_status_render_json(list, n, out);
	fc_arena_release(&a);
	return rc;
}

/* GET /metrics: the scheduler's counters, missed slots per schedule included. */
static void schedules_metrics(void *ctx, struct fc_buf *out)
{
	sch_metrics_render(ctx, out);
}

/* POST .../backfill: the scheduler's backfill, answered as JSON. */
static int schedules_backfill(void *ctx, const char *project, const char *domain, const char *name, int64_t from_ns,
			      int64_t to_ns, uint32_t parallel, bool dry_run, struct fc_buf *out, struct fc_err *err)
{
	struct sch_backfill_slot *slots;
	struct fc_arena a;
	size_t n;
	int rc;

	fc_arena_init(&a, 0);
	rc = sch_backfill(ctx, project, domain, name, from_ns, &to_ns, parallel, dry_run, &a, &slots, &n, err);
	if (!rc)
		sch_backfill_render_json(name, from_ns, to_ns, parallel, dry_run, slots, n, out);
	fc_arena_release(&a);
	return rc;
}

/* Registrations changed (the watcher): the scheduler reloads its launch plans. */
static void watch_changed(void *ctx)
{
	struct srv *s = ctx;

	if (s->sch)
		sch_notify(s->sch);
}

/* A request changed something: launch plans (the scheduler reloads), or the execution queue, an abort request, a
 * signal (the executor looks now instead of at its next idle check). */
static void request_changed(void *ctx)
{
	struct srv *s = ctx;

	if (s->sch)
		sch_notify(s->sch);
	srv_exec_notify(s->exec);
	srv_cluster_notify(s->cluster);
}

/* The executor's state lives with the store: DATA_DIR, else next to the db, else .flytec. */
static void exec_dir(const struct srv_options *o, struct fc_buf *dir)
{
	if (o->data_dir)
		fc_buf_adds(dir, o->data_dir);
	else if (o->db && strrchr(o->db, '/'))
		fc_buf_add(dir, o->db, (size_t)(strrchr(o->db, '/') - o->db));
	else
		fc_buf_adds(dir, o->db ? "." : ".flytec");
	if (!dir->len)
		fc_buf_adds(dir, "/");
}

/* The gRPC door, after the REST server: the signed URLs it hands out point at the REST listener, by the host it was
 * given (0.0.0.0 or none: loopback). */
static void listen_base(const struct srv_options *o, unsigned port, char *base, size_t size)
{
	const char *listen = o->server.listen ? o->server.listen : ADM_DEFAULT_LISTEN, *colon = strrchr(listen, ':');
	int hostlen = colon && colon > listen ? (int)(colon - listen) : 0;
	const char *scheme = o->server.tls_cert ? "https" : "http";

	if (!hostlen || (hostlen == 7 && !strncmp(listen, "0.0.0.0", 7)))
		snprintf(base, size, "%s://127.0.0.1:%u", scheme, port);
	else
		snprintf(base, size, "%s://%.*s:%u", scheme, hostlen, listen, port);
}

static int grpc_start(struct srv *s, const struct srv_options *o, struct fc_err *err)
{
	struct adm_grpc_options go;
	char base[300];

	listen_base(o, adm_server_port(s->server), base, sizeof(base));
	memset(&go, 0, sizeof(go));
	go.dataproxy = s->dataproxy;
	go.http_base = base;
	go.listen = o->grpc_listen;
	go.token = o->server.token;
	go.public_reads = o->server.public_reads;
	go.max_message = o->server.max_body;
	go.max_answer = o->server.max_answer;
	go.version = o->server.version;
	go.on_change = request_changed;
	go.on_change_ctx = s;
	return adm_grpc_start(s->store, &go, &s->grpc, err);
}

int srv_start(const struct srv_options *o, struct srv **out, struct fc_err *err)
{
	struct srv *s = fc_xcalloc(1, sizeof(*s));
	struct adm_server_options so = o->server;
	int rc;

	*out = NULL;
	rc = srv_store_open(o->data_dir, o->db, &s->store, err);
	if (rc)
		goto out;
	if (!o->no_scheduler && (rc = sch_new(s->store, NULL, NULL, &s->sch, err)) != 0) {
		fc_err_prefix(err, "scheduler: ");
		goto out;
	}
	if (o->repo && (rc = srv_watch_open(s->store, o, o->repo, false, watch_changed, s, &s->watch, err)) != 0)
		goto out;
	so.repo_dir = o->repo;
	so.on_change = request_changed;
	so.on_change_ctx = s;
	if (s->sch) {
		so.schedules_json = schedules_json;
		so.schedules_ctx = s->sch;
		so.schedules_metrics = schedules_metrics;
		so.schedules_backfill = schedules_backfill;
	}
	/* the executor (or the cluster) before the server, so that every request's notification finds it */
	if (o->cluster && !o->no_executor) {
		struct srv_cluster_options co;

		memset(&co, 0, sizeof(co));
		co.kubeconfig = o->cluster;
		co.namespace_template = o->namespace_template;
		co.service_account = o->cluster_service_account;
		co.data_dir = o->cluster_data_dir;
		rc = srv_cluster_new(s->store, &co, &s->cluster, err);
		if (rc) {
			fc_err_prefix(err, "cluster: ");
			goto out;
		}
		so.logs_kube = srv_cluster_kube(s->cluster);
	} else if (!o->no_executor) {
		struct fc_buf dir = FC_BUF_INIT;

		exec_dir(o, &dir);
		rc = srv_exec_start(s->store, dir.buf, &s->exec, err);
		/* GET /api/v1/logs reads the attempts' log files the executor keeps there, and nothing else */
		fc_buf_adds(&dir, "/propeller");
		s->logs_root = fc_buf_detach(&dir, NULL);
		so.logs_root = s->logs_root;
		if (rc) {
			fc_err_prefix(err, "executor: ");
			goto out;
		}
	}
	if (o->grpc_listen) {
		/* DataProxyService uploads live with the store, as the executor's state does */
		struct fc_buf dir = FC_BUF_INIT;

		exec_dir(o, &dir);
		fc_buf_adds(&dir, "/uploads");
		rc = adm_dataproxy_new(dir.buf, &s->dataproxy, err);
		fc_buf_release(&dir);
		if (rc) {
			fc_err_prefix(err, "data proxy: ");
			goto out;
		}
		so.dataproxy = s->dataproxy;
	}
	rc = adm_server_start(s->store, &so, &s->server, err);
	if (rc)
		goto out;
	if (o->grpc_listen && (rc = grpc_start(s, o, err)) != 0)
		goto out;
	if (s->cluster) {
		char url[300];

		if (o->cluster_admin_url)
			snprintf(url, sizeof(url), "%s", o->cluster_admin_url);
		else
			listen_base(o, adm_server_port(s->server), url, sizeof(url));
		rc = srv_cluster_start(s->cluster, url, err);
		if (rc) {
			fc_err_prefix(err, "cluster: ");
			goto out;
		}
	}
	if (s->sch && (rc = sch_start(s->sch, err)) != 0) {
		fc_err_prefix(err, "scheduler: ");
		goto out;
	}
	*out = s;
	s = NULL;
out:
	srv_free(s);
	return rc;
}

unsigned srv_port(const struct srv *s)
{
	return adm_server_port(s->server);
}

unsigned srv_grpc_port(const struct srv *s)
{
	return s->grpc ? adm_grpc_port(s->grpc) : 0;
}

bool srv_watching(const struct srv *s)
{
	return s->watch != NULL;
}

int srv_poll(struct srv *s, unsigned timeout_ms, struct fc_err *err)
{
	return s->watch ? adm_watch_poll(s->watch, timeout_ms, err) : FC_OK;
}

void srv_free(struct srv *s)
{
	if (!s)
		return;
	adm_grpc_stop(s->grpc); /* drains its calls first: they may still use the store and notify the scheduler */
	adm_server_stop(s->server);
	adm_dataproxy_free(s->dataproxy);
	srv_exec_stop(s->exec);
	srv_cluster_free(s->cluster); /* after the server: the logs endpoint reads pod logs through its client */
	sch_free(s->sch); /* stops its thread; after the server, so no request notifies a freed scheduler */
	adm_watch_free(s->watch);
	adm_store_free(s->store);
	free(s->logs_root);
	free(s);
}
