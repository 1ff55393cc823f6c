/* operator.c: FlyteWorkflow resources driven by the engine, task pods by the pod runtime (see operator.h). */
#include "propeller/operator.h"

#include "compiler/flyteworkflow.h"
#include "compiler/flyteworkflow_read.h"
#include "compiler/lit.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/pbjson.h"
#include "core/strmap.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "kube/lease.h"
#include "kube/mergepatch.h"
#include "kube/queue.h"
#include "kube/store.h"
#include "plugins/k8s_runtime.h"
#include "plugins/registry.h"
#include "propeller/engine.h"
#include "propeller/engine_int.h"
#include "propeller/events.h"
#include "propeller/state.h"
#include "propeller/state_k8s.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "flyteidl/core/execution.pb-c.h"

#define FW_BASE "/apis/" CMP_FW_GROUP "/v1alpha1"
#define POD_SELECTOR "app.kubernetes.io/managed-by=flytec"

/* Flyte's v1alpha1 WorkflowPhase and NodePhase (flytepropeller/pkg/apis/flyteworkflow/v1alpha1/iface.go). */
enum fw_phase {
	FW_READY = 0,
	FW_RUNNING = 1,
	FW_SUCCEEDING = 2,
	FW_SUCCESS = 3,
	FW_FAILING = 4,
	FW_FAILED = 5,
	FW_ABORTED = 6,
};
enum fw_node_phase {
	FWN_NOT_YET_STARTED = 0,
	FWN_QUEUED = 1,
	FWN_RUNNING = 2,
	FWN_SUCCEEDED = 5,
	FWN_FAILED = 6,
	FWN_SKIPPED = 7,
	FWN_TIMED_OUT = 10,
};

/*
 * One FlyteWorkflow the leader drives. Freed by sweep_done() once `done` and the engine holds no unsent event of it
 * (the event sink needs `admin_url` until then): the operator's memory follows the running workflows, not all the
 * workflows it ever saw.
 */
struct tracked {
	char *key;      /* "namespace/name" */
	char *exec_key; /* the engine's "<project>-<domain>-<name>" */
	char *project, *domain, *exec_name;
	struct plg_k8s_owner owner;
	char *admin_url; /* where its events go: the resource's annotation, else --admin-url; "" none */
	json_t *written; /* the status last written (without lastUpdatedAt), or NULL */
	/*
	 * The object as our last write (status PUT, finalizer patch) answered it, until the informer's store shows
	 * that resourceVersion (the watch echo of our own write): the next write is based on it, not on the store's
	 * older copy, so our own writes never conflict with each other. NULL: the store's copy is current.
	 */
	json_t *own;
	/*
	 * A status write of ours was acknowledged and no 409 came since: the base object (own answer or the store's
	 * copy, with its resourceVersion) holds a status the API server has, so the next write may be a merge patch
	 * against it. False: the next write is a full PUT (first write, after a conflict).
	 */
	bool acked;
	bool done;       /* terminal status written and finalizer removed */
	bool aborting;
	/* --state status: why the status cannot be written (the object would pass the size limit), until the engine
	 * was asked to fail the workflow with it (fail_asked); NULL: it fits */
	char *too_big;
	bool fail_asked;
	struct tracked *next;
};

/* Events to the admin over HTTP (docs/api.md "Events"): one POST per event, on one kept-alive handle. */
struct http_sink {
	struct prop_event_sink base;
	struct prop_operator *op;
	CURL *curl;
};

struct prop_operator {
	struct prop_operator_opts o;
	struct http_sink sink;
	char *identity;
	struct kube_queue *queue;
	struct kube_informer *fw_inf, *pod_inf;
	struct kube_elector *elector;
	bool leader, was_leader;
	int64_t next_tick_ms, next_status_ms;
	struct plg_registry *plugins;
	struct prop_engine *engine;
	struct prop_state *state; /* --state volume: a reading connection to the engine's database */
	struct prop_k8s_state *kstate; /* --state status: the engine's state, in the statuses */
	struct prop_state_backend rd;  /* the engine's state, for reading (either of the two) */
	struct fc_strmap by_exec; /* exec_key -> tracked */
	struct fc_strmap by_key;  /* "ns/name" -> tracked */
	struct tracked *all;
	size_t ntracked;
	int64_t next_stats_log_ms;
	char *last_stats; /* the last stats line logged */
	struct prop_operator_stats stats;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void rfc3339_now(char out[FC_PBJSON_TIME_TEXT_MAX])
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (fc_pbjson_timestamp_format(ts.tv_sec, 0, out, NULL))
		snprintf(out, FC_PBJSON_TIME_TEXT_MAX, "1970-01-01T00:00:00Z");
}

static void fw_path(struct fc_buf *b, const char *ns, const char *name, const char *sub)
{
	fc_buf_reset(b);
	fc_buf_addf(b, FW_BASE "/namespaces/%s/" CMP_FW_PLURAL "/%s%s", ns, name, sub ? sub : "");
}

static const char *rv_of(const json_t *obj)
{
	const char *rv = json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));

	return rv ? rv : "";
}

/*
 * Whether the store's copy `obj` has caught up with our own last write: the same resourceVersion, or a later one.
 * resourceVersions are opaque to clients in general; the API server's are etcd revisions, decimal integers, and
 * when both are, the larger is the later (a watch event that folded our echo and someone else's change into one
 * queue key then does not send our next write against our older copy). Otherwise only equality counts.
 */
static bool store_caught_up(const json_t *obj, const json_t *own)
{
	const char *a = rv_of(obj), *b = rv_of(own);
	char *ea, *eb;
	unsigned long long na, nb;

	if (!strcmp(a, b))
		return true;
	errno = 0;
	na = strtoull(a, &ea, 10);
	nb = strtoull(b, &eb, 10);
	return !errno && *a && *b && !*ea && !*eb && na > nb;
}

/*
 * The object a write to `key` is based on (a new reference, NULL when gone): our own last write's answer while the
 * store has not caught up with it, else the store's copy.
 */
static json_t *base_object(struct prop_operator *op, struct tracked *t, const char *key)
{
	json_t *obj = kube_store_get(kube_informer_store(op->fw_inf), key);

	if (t && !obj) { /* gone: nothing to write to */
		json_decref(t->own);
		t->own = NULL;
	}
	if (!t || !t->own || !obj)
		return obj;
	if (store_caught_up(obj, t->own)) {
		json_decref(t->own); /* the store has our write now */
		t->own = NULL;
		return obj;
	}
	json_decref(obj);
	return json_incref(t->own);
}

/* Keep what our write to `t`'s object answered (stolen). */
static void keep_own(struct tracked *t, json_t *answer)
{
	if (!t || !json_is_object(answer)) {
		json_decref(answer);
		return;
	}
	json_decref(t->own);
	t->own = answer;
}

/* --- the owner lookup for the pod runtime ------------------------------------------------------------------ */

static bool owner_of(void *ud, const char *project, const char *domain, const char *exec_name,
		     struct plg_k8s_owner *out)
{
	struct prop_operator *op = ud;
	struct fc_buf key = FC_BUF_INIT;
	struct tracked *t;

	prop_exec_key(project, domain, exec_name, &key);
	t = fc_strmap_get(&op->by_exec, key.buf);
	fc_buf_release(&key);
	if (!t)
		return false;
	*out = t->owner;
	return true;
}

/* --- events to the admin --------------------------------------------------------------------------------- */

static size_t discard(char *ptr, size_t size, size_t n, void *ud)
{
	(void)ptr;
	(void)ud;
	return size * n;
}

/*
 * POST {"requestId": "<exec>-<seq>", "event": {...}} to <admin>/api/v1/events/{workflows,nodes,tasks}. 2xx:
 * accepted (the admin answers 200 to an event already applied, so a resend after a restart is harmless). 4xx
 * other than 429: the admin's rules refuse it; resending would not change that, so it is dropped with a warning.
 * 429, 5xx or no answer: FC_EUNAVAILABLE, and the engine sends it again later, nothing newer of that execution
 * meanwhile.
 */
static int http_sink_send(struct prop_event_sink *base, const struct prop_event *ev, struct fc_err *err)
{
	struct http_sink *s = (struct http_sink *)base;
	struct tracked *t = fc_strmap_get(&s->op->by_exec, ev->exec_key);
	const char *admin = t ? t->admin_url : s->op->o.admin_url;
	static const char *const kinds[] = {"", "workflows", "nodes", "tasks"};
	struct fc_buf url = FC_BUF_INIT, id = FC_BUF_INIT;
	struct curl_slist *headers = NULL;
	json_t *body = NULL, *event = NULL;
	char *text = NULL;
	long status = 0;
	CURLcode cc;
	int rc = FC_OK;

	if (!admin || !*admin || ev->kind < PROP_EVENT_WORKFLOW || ev->kind > PROP_EVENT_TASK || !ev->msg)
		return FC_OK;
	if (!s->curl && !(s->curl = curl_easy_init()))
		return fc_err_set(err, FC_EUNAVAILABLE, "curl_easy_init failed");
	if ((rc = fc_pbjson_encode(ev->msg, 0, &event, err)))
		goto out;
	fc_buf_addf(&id, "%s-%llu", ev->exec_key, (unsigned long long)ev->seq);
	body = json_pack("{s:s, s:o}", "requestId", id.buf, "event", event);
	text = json_dumps(body, JSON_COMPACT);
	fc_buf_addf(&url, "%s/api/v1/events/%s", admin, kinds[ev->kind]);
	headers = curl_slist_append(headers, "Content-Type: application/json");
	if (s->op->o.admin_token) {
		struct fc_buf auth = FC_BUF_INIT;

		fc_buf_addf(&auth, "Authorization: Bearer %s", s->op->o.admin_token);
		headers = curl_slist_append(headers, auth.buf);
		fc_buf_release(&auth);
	}
	curl_easy_reset(s->curl);
	curl_easy_setopt(s->curl, CURLOPT_URL, url.buf);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, text);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(text));
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(s->curl, CURLOPT_TIMEOUT_MS, 5000L);
	cc = curl_easy_perform(s->curl);
	if (cc == CURLE_OK)
		curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK || status == 429 || status >= 500) {
		rc = fc_err_set(err, FC_EUNAVAILABLE, "POST %s: %s", url.buf,
				cc != CURLE_OK ? curl_easy_strerror(cc) : "the admin answered with an error");
	} else if (status >= 400) {
		fc_warn("operator: the admin refused event %s (HTTP %ld): dropped", id.buf, status);
	} else {
		fc_debug("operator: event %s sent", id.buf);
	}
out:
	curl_slist_free_all(headers);
	free(text);
	json_decref(body);
	fc_buf_release(&url);
	fc_buf_release(&id);
	return rc;
}

/* --- writes ------------------------------------------------------------------------------------------------ */

/*
 * The merge patch that turns the status of `obj` into `status` (docs/kubernetes.md "Status"): {"metadata":
 * {"resourceVersion": <obj's>}, "status": <changes>}, so the API server refuses it with 409 when the object changed
 * since (as a PUT with that resourceVersion). NULL when no merge patch can say it (a null in the new status).
 */
static json_t *status_patch(const json_t *obj, const json_t *status)
{
	struct fc_err perr;
	json_t *diff = NULL;

	if (kube_merge_patch_diff(json_object_get(obj, "status"), status, &diff, &perr)) {
		fc_debug("operator: status write as a full PUT: %s", perr.msg);
		return NULL;
	}
	return json_pack("{s:{s:s}, s:o}", "metadata", "resourceVersion", rv_of(obj), "status", diff);
}

/*
 * Write `status` (borrowed) as the status of `key` with optimistic concurrency, based on the object our last write
 * answered or the store's copy, with its resourceVersion. When a status write of ours was acknowledged (`t->acked`)
 * only what changed is sent, a merge patch against that object's status; otherwise (first write, after a 409) the
 * whole status, a PUT. Either way the API server then holds exactly `status`. On 409 the object is read again (one
 * GET) and the status PUT onto it. The size check measures the object as it will be after the write.
 */
static int write_status(struct prop_operator *op, struct tracked *t, const char *ns, const char *name,
			const json_t *status, struct fc_err *err)
{
	struct fc_buf key = FC_BUF_INIT, path = FC_BUF_INIT;
	json_t *obj, *copy = NULL, *answer = NULL, *patch = NULL;
	struct kube_status st;
	int attempt, rc = FC_OK;
	size_t size;

	fc_buf_addf(&key, "%s/%s", ns, name);
	obj = base_object(op, t, key.buf);
	fw_path(&path, ns, name, "/status");
	for (attempt = 0; attempt < 5; attempt++) {
		if (!obj) {
			rc = fc_err_set(err, FC_ENOENT, "FlyteWorkflow %s is gone", key.buf);
			break;
		}
		copy = json_deep_copy(obj);
		json_object_set(copy, "status", (json_t *)status);
		if (op->kstate && (size = json_dumpb(copy, NULL, 0, JSON_COMPACT)) > op->o.max_object_bytes) {
			/* etcd would refuse it (or, under its limit, the object only grows): say so instead of retrying */
			rc = fc_err_set(err, FC_ELIMIT,
					"the FlyteWorkflow with its status would be %zu bytes, over the limit of %zu bytes "
					"(etcd refuses larger objects; FC_K8S_OBJECT_MAX_BYTES, --max-object-bytes)",
					size, op->o.max_object_bytes);
			json_decref(copy);
			break;
		}
		patch = t && t->acked && attempt == 0 ? status_patch(obj, status) : NULL;
		if (patch) {
			op->stats.status_bytes += json_dumpb(patch, NULL, 0, JSON_COMPACT);
			rc = kube_request_timeout(op->o.client, "PATCH", path.buf, patch, KUBE_MERGE_PATCH,
						  FC_K8S_STATUS_WRITE_TIMEOUT_MS, &answer, &st, err);
		} else {
			op->stats.status_bytes += json_dumpb(copy, NULL, 0, JSON_COMPACT);
			rc = kube_request_timeout(op->o.client, "PUT", path.buf, copy, NULL, FC_K8S_STATUS_WRITE_TIMEOUT_MS,
						  &answer, &st, err);
		}
		json_decref(copy);
		if (rc == FC_OK) {
			if (patch)
				op->stats.status_patches++;
			keep_own(t, answer);
		}
		json_decref(patch);
		patch = NULL;
		/* a timeout or a 5xx keeps the base: had the write landed, its resourceVersion makes the next one a 409 */
		if (t && (rc == FC_OK || rc == FC_ECONFLICT))
			t->acked = rc == FC_OK;
		if (rc != FC_ECONFLICT)
			break;
		op->stats.conflicts++;
		json_decref(obj);
		obj = NULL;
		fw_path(&path, ns, name, "");
		rc = kube_get(op->o.client, path.buf, &obj, &st, err);
		fw_path(&path, ns, name, "/status");
		if (rc)
			break;
	}
	if (rc == FC_OK)
		op->stats.status_writes++;
	json_decref(obj);
	fc_buf_release(&key);
	fc_buf_release(&path);
	return rc;
}

/* Add or remove our finalizer: a JSON patch that tests the list it read, so a concurrent change is a conflict
 * (then the object is read again and the change made again). */
static int set_finalizer(struct prop_operator *op, struct tracked *t, const json_t *obj, bool present,
			 struct fc_err *err)
{
	const json_t *md = json_object_get(obj, "metadata");
	const char *ns = json_string_value(json_object_get(md, "namespace"));
	const char *name = json_string_value(json_object_get(md, "name"));
	struct fc_buf path = FC_BUF_INIT;
	json_t *cur = t ? base_object(op, t, t->key) : NULL, *answer = NULL;
	struct kube_status st;
	int attempt, rc = FC_OK;

	if (!cur)
		cur = json_incref((json_t *)obj);
	fw_path(&path, ns ? ns : "", name ? name : "", "");
	for (attempt = 0; attempt < 5; attempt++) {
		const json_t *fins = json_object_get(json_object_get(cur, "metadata"), "finalizers");
		json_t *list = json_array(), *patch, *v;
		bool has = false;
		size_t i;

		json_array_foreach(fins, i, v) {
			if (json_is_string(v) && !strcmp(json_string_value(v), CMP_FW_FINALIZER))
				has = true;
			else
				json_array_append(list, v);
		}
		if (has == present) {
			json_decref(list);
			break;
		}
		if (present)
			json_array_append_new(list, json_string(CMP_FW_FINALIZER));
		patch = json_pack("[{s:s, s:s, s:O}, {s:s, s:s, s:o}]", "op", "test", "path", "/metadata/resourceVersion",
				  "value", json_object_get(json_object_get(cur, "metadata"), "resourceVersion"), "op",
				  "replace", "path", "/metadata/finalizers", "value", list);
		if (!fins) /* "replace" needs the member; "add" creates it */
			json_object_set_new(json_array_get(patch, 1), "op", json_string("add"));
		rc = kube_patch(op->o.client, path.buf, KUBE_JSON_PATCH, patch, &answer, &st, err);
		json_decref(patch);
		if (rc == FC_OK) {
			keep_own(t, answer);
			if (present)
				op->stats.finalizers_added++;
			else
				op->stats.finalizers_removed++;
			break;
		}
		/* a failed "test" is 422 Invalid; a stale resourceVersion 409: both mean "read again" */
		if (rc != FC_ECONFLICT && rc != FC_EINVAL)
			break;
		op->stats.conflicts++;
		json_decref(cur);
		cur = NULL;
		if ((rc = kube_get(op->o.client, path.buf, &cur, &st, err)))
			break;
	}
	json_decref(cur);
	fc_buf_release(&path);
	return rc == FC_ENOENT ? FC_OK : rc;
}

/* --- statuses ---------------------------------------------------------------------------------------------- */

static int fw_phase_of(int exec_phase)
{
	switch (exec_phase) {
	case FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDING: return FW_SUCCEEDING;
	case FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDED: return FW_SUCCESS;
	case FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILING:
	case FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTING: return FW_FAILING;
	case FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED:
	case FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__TIMED_OUT: return FW_FAILED;
	case FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTED: return FW_ABORTED;
	default: return FW_RUNNING;
	}
}

static bool fw_terminal(int phase)
{
	return phase == FW_SUCCESS || phase == FW_FAILED || phase == FW_ABORTED;
}

static int node_phase_of(int np)
{
	switch (np) {
	case NP_QUEUED: return FWN_QUEUED;
	case NP_RUNNING: return FWN_RUNNING;
	case NP_SUCCEEDED: return FWN_SUCCEEDED;
	case NP_FAILED:
	case NP_ABORTED: return FWN_FAILED;
	case NP_SKIPPED: return FWN_SKIPPED;
	case NP_TIMED_OUT: return FWN_TIMED_OUT;
	default: return FWN_NOT_YET_STARTED;
	}
}

struct node_walk {
	struct prop_operator *op;
	const struct tracked *t;
	json_t *nodes;
};

static void node_status_cb(void *data, const struct prop_node_row *row)
{
	struct node_walk *w = data;
	json_t *ns = json_object(), *task;
	struct fc_buf dir = FC_BUF_INIT;

	json_object_set_new(ns, "phase", json_integer(node_phase_of(row->phase)));
	if (row->attempts)
		json_object_set_new(ns, "attempts", json_integer(row->attempts));
	if (row->sys_failures)
		json_object_set_new(ns, "systemFailures", json_integer(row->sys_failures));
	if (row->error_msg && *row->error_msg)
		json_object_set_new(ns, "message", json_string(row->error_msg));
	if (row->phase == NP_ABORTED)
		json_object_set_new(ns, "message", json_string("aborted"));
	/*
	 * Like Flyte (which clears most fields of a node that reached a terminal state, to keep the resource under
	 * etcd's limit), a succeeded or skipped node has no dataDir/outputDir: both follow from the workflow's dataDir
	 * (<dataDir>/<node>/data/<attempts - 1>), and a 1000-task fan-out's status is then 60 KB instead of 250 KB.
	 */
	if (row->phase != NP_SUCCEEDED && row->phase != NP_SKIPPED) {
		fc_buf_addf(&dir, "%s/%s/%s/data", w->op->o.data_dir, w->t->exec_key, row->uid);
		json_object_set_new(ns, "dataDir", json_string(dir.buf));
		fc_buf_addf(&dir, "/%u", row->attempts ? row->attempts - 1 : 0);
		json_object_set_new(ns, "outputDir", json_string(dir.buf));
	}
	if (row->cache_status)
		json_object_set_new(ns, "cached", json_true());
	if (row->task_phase || row->attempts) {
		task = json_object();
		json_object_set_new(task, "phase", json_integer(row->task_phase));
		json_object_set_new(ns, "taskNodeStatus", task);
	}
	json_object_set_new(w->nodes, row->uid, ns);
	fc_buf_release(&dir);
}

/* The status of `t` in Flyte's shape, from the engine's state; NULL when the engine does not know it (yet). */
static json_t *build_status(struct prop_operator *op, struct tracked *t, int *fw_phase)
{
	struct fc_err err;
	struct node_walk w = {op, t, json_object()};
	char *error = NULL;
	int phase = 0;
	json_t *st;
	struct fc_buf dir = FC_BUF_INIT;

	if (prop_engine_result(op->engine, t->project, t->domain, t->exec_name, &phase, NULL, NULL, &error, &err)) {
		json_decref(w.nodes);
		return NULL;
	}
	*fw_phase = fw_phase_of(phase);
	st = json_object();
	json_object_set_new(st, "phase", json_integer(*fw_phase));
	if (error && *error)
		json_object_set_new(st, "message", json_string(error));
	free(error);
	fc_buf_addf(&dir, "%s/%s", op->o.data_dir, t->exec_key);
	json_object_set_new(st, "dataDir", json_string(dir.buf));
	if (*fw_phase == FW_SUCCESS) {
		fc_buf_adds(&dir, "/end-node/data/0/outputs.pb");
		json_object_set_new(st, "outputRef", json_string(dir.buf));
	}
	fc_buf_release(&dir);
	if (prop_state_node_each(op->state, t->exec_key, node_status_cb, &w, &err) == FC_OK) {
		char *text = json_dumps(w.nodes, JSON_COMPACT);

		if (text && strlen(text) > FC_K8S_STATUS_MAX_BYTES) {
			/* too many nodes to list: counts by phase instead (the engine's state has the details) */
			json_t *counts = json_object(), *v;
			const char *k;

			json_object_foreach(w.nodes, k, v) {
				char ph[16];
				json_t *c;

				snprintf(ph, sizeof(ph), "%lld", (long long)json_integer_value(json_object_get(v, "phase")));
				c = json_object_get(counts, ph);
				json_object_set_new(counts, ph, json_integer(c ? json_integer_value(c) + 1 : 1));
			}
			json_object_set_new(st, "nodeCountsByPhase", counts);
		} else {
			json_object_set(st, "nodeStatus", w.nodes);
		}
		free(text);
	}
	json_decref(w.nodes);
	return st;
}

/* Write `t`'s status when it changed; once terminal, remove the finalizer. */
static void sync_status(struct prop_operator *op, struct tracked *t)
{
	struct fc_err err;
	int phase = FW_RUNNING;
	json_t *st, *obj;
	const char *slash = strchr(t->key, '/');
	char now[FC_PBJSON_TIME_TEXT_MAX];

	if (op->kstate) {
		/* --state status: the engine's commit wrote the status (status_write); only the finalizer is left */
		if (!(st = prop_k8s_state_status(op->kstate, t->exec_key)))
			return;
		phase = (int)json_integer_value(json_object_get(st, "phase"));
	} else if (!(st = build_status(op, t, &phase))) {
		return;
	}
	if (!op->kstate && (!t->written || !json_equal(st, t->written))) {
		json_t *out = json_deep_copy(st);
		char ns[64];

		snprintf(ns, sizeof(ns), "%.*s", (int)(slash - t->key), t->key);
		rfc3339_now(now);
		json_object_set_new(out, "lastUpdatedAt", json_string(now));
		if (write_status(op, t, ns, slash + 1, out, &err) == FC_OK) {
			json_decref(t->written);
			t->written = json_incref(st);
		} else if (err.code == FC_ENOENT) {
			t->done = true;
		} else {
			fc_warn("operator: status of %s: %s", t->key, err.msg);
		}
		json_decref(out);
	}
	if (fw_terminal(phase) && t->written && json_equal(st, t->written)) {
		obj = base_object(op, t, t->key);
		if (!obj || set_finalizer(op, t, obj, false, &err) == FC_OK)
			t->done = true;
		else
			fc_warn("operator: finalizer of %s: %s", t->key, err.msg);
		json_decref(obj);
	}
	json_decref(st);
}

/* --- --state status: the engine's state in the statuses ------------------------------------------------------- */

/* <data_dir>/<exec_key>/outbox: the execution's events not yet accepted by the admin (state_k8s.h). */
static void outbox_path(struct prop_operator *op, const char *exec_key, struct fc_buf *out)
{
	fc_buf_reset(out);
	fc_buf_addf(out, "%s/%s/outbox", op->o.data_dir, exec_key);
}

static void put_u64(struct fc_buf *b, uint64_t v)
{
	uint8_t le[8];

	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	fc_buf_add(b, le, sizeof(le));
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/*
 * The whole outbox of one execution, written to a temporary file, fsync'ed and renamed over the old one, before
 * the status PUT of the same round: records of 8-byte seq, 8-byte kind, 8-byte length (little-endian), payload.
 * No events: the file goes.
 */
static int outbox_save(void *data, const char *exec_key, const struct prop_k8s_event *ev, size_t n,
		       struct fc_err *err)
{
	struct prop_operator *op = data;
	struct fc_buf path = FC_BUF_INIT, tmp = FC_BUF_INIT, body = FC_BUF_INIT;
	int fd = -1, rc = FC_OK;
	size_t i, off;

	outbox_path(op, exec_key, &path);
	if (!n) {
		if (unlink(path.buf) < 0 && errno != ENOENT)
			rc = fc_err_set(err, FC_EUNAVAILABLE, "%s: %s", path.buf, strerror(errno));
		goto out;
	}
	for (i = 0; i < n; i++) {
		put_u64(&body, ev[i].seq);
		put_u64(&body, (uint64_t)(int64_t)ev[i].kind);
		put_u64(&body, ev[i].len);
		fc_buf_add(&body, ev[i].payload, ev[i].len);
	}
	fc_buf_addf(&tmp, "%s.tmp", path.buf);
	fc_buf_truncate(&path, path.len - strlen("/outbox"));
	if (mkdir(path.buf, 0755) < 0 && errno != EEXIST) {
		rc = fc_err_set(err, FC_EUNAVAILABLE, "%s: %s", path.buf, strerror(errno));
		goto out;
	}
	fc_buf_adds(&path, "/outbox");
	if ((fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		rc = fc_err_set(err, FC_EUNAVAILABLE, "%s: %s", tmp.buf, strerror(errno));
		goto out;
	}
	for (off = 0; off < body.len;) {
		ssize_t w = write(fd, body.buf + off, body.len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = fc_err_set(err, FC_EUNAVAILABLE, "%s: %s", tmp.buf, strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || rename(tmp.buf, path.buf) < 0)
		rc = fc_err_set(err, FC_EUNAVAILABLE, "%s: %s", path.buf, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	fc_buf_release(&path);
	fc_buf_release(&tmp);
	fc_buf_release(&body);
	return rc;
}

/* The saved outbox of `exec_key` back into the backend; a missing file is an empty outbox. */
static int outbox_load(struct prop_operator *op, const char *exec_key, struct fc_err *err)
{
	struct fc_buf path = FC_BUF_INIT;
	FILE *f;
	uint8_t head[24];
	int rc = FC_OK;

	outbox_path(op, exec_key, &path);
	if (!(f = fopen(path.buf, "rb"))) {
		fc_buf_release(&path);
		return FC_OK;
	}
	while (rc == FC_OK && fread(head, 1, sizeof(head), f) == sizeof(head)) {
		uint64_t len = get_u64(head + 16);
		void *payload;

		if (len > FC_K8S_STATE_MAX_EVENT_BYTES) {
			rc = fc_err_set(err, FC_EINVAL, "%s: an event of %llu bytes: not an outbox", path.buf,
					(unsigned long long)len);
			break;
		}
		payload = fc_xmalloc(len ? (size_t)len : 1);
		if (fread(payload, 1, (size_t)len, f) != len)
			rc = fc_err_set(err, FC_EINVAL, "%s: truncated", path.buf);
		else
			rc = prop_k8s_state_load_event(op->kstate, exec_key, get_u64(head), (int)(int64_t)get_u64(head + 8),
						       payload, (size_t)len, err);
		free(payload);
	}
	fclose(f);
	fc_buf_release(&path);
	return rc;
}

/* Whether a status this backend built is of a finished execution (flytec.phase terminal). */
static bool exec_terminal(const json_t *status)
{
	const json_t *p = json_object_get(json_object_get(status, "flytec"), "phase");
	int v = (int)json_integer_value(p);

	return json_is_integer(p) && (v == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDED ||
				      v == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED ||
				      v == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTED ||
				      v == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__TIMED_OUT);
}

/* Add the NodePhases of `nodes` (a nodeStatus map, nested subNodeStatus maps included) to `counts`. */
static void count_node_phases(const json_t *nodes, json_t *counts)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)nodes, k, v) {
		char ph[24];
		json_t *c;

		snprintf(ph, sizeof(ph), "%lld", (long long)json_integer_value(json_object_get(v, "phase")));
		c = json_object_get(counts, ph);
		json_object_set_new(counts, ph, json_integer(c ? json_integer_value(c) + 1 : 1));
		count_node_phases(json_object_get(v, "subNodeStatus"), counts);
	}
}

/* A finished workflow's status with counts by NodePhase (nodeCountsByPhase) in place of its node map. */
static void summarise_nodes(json_t *status)
{
	json_t *counts = json_object();

	count_node_phases(json_object_get(status, "nodeStatus"), counts);
	json_object_set_new(status, "nodeCountsByPhase", counts);
	json_object_del(status, "nodeStatus");
}

/* The one status PUT of an engine round for one execution (the backend's commit): Flyte's fields plus the data
 * references, based on our own last write so it does not conflict with itself. */
static int status_write(void *data, const char *exec_key, const json_t *status, struct fc_err *err)
{
	struct prop_operator *op = data;
	struct tracked *t = fc_strmap_get(&op->by_exec, exec_key);
	struct fc_buf dir = FC_BUF_INIT;
	char now[FC_PBJSON_TIME_TEXT_MAX], ns[64];
	const char *slash;
	json_t *out;
	int rc;

	if (!t || t->done || !(slash = strchr(t->key, '/')))
		return FC_OK; /* no resource to write to (gone): nothing to keep */
	out = json_deep_copy(status);
	fc_buf_addf(&dir, "%s/%s", op->o.data_dir, exec_key);
	json_object_set_new(out, "dataDir", json_string(dir.buf));
	if (json_integer_value(json_object_get(status, "phase")) == FW_SUCCESS) {
		fc_buf_adds(&dir, "/end-node/data/0/outputs.pb");
		json_object_set_new(out, "outputRef", json_string(dir.buf));
	}
	rfc3339_now(now);
	json_object_set_new(out, "lastUpdatedAt", json_string(now));
	snprintf(ns, sizeof(ns), "%.*s", (int)(slash - t->key), t->key);
	if (exec_terminal(status) &&
	    json_dumpb(json_object_get(status, "nodeStatus"), NULL, 0, JSON_COMPACT) > FC_K8S_STATUS_MAX_BYTES) {
		/* finished and large: as --state volume does past the same size, counts by phase (nothing resumes from
		 * a finished workflow's nodes, and the API server handles every later write of the object, such as
		 * the finalizer's removal, far faster without them) */
		summarise_nodes(out);
		fc_info("operator: %s: its final status lists node counts by phase instead of the nodes", t->key);
	}
	rc = write_status(op, t, ns, slash + 1, out, err);
	if (rc == FC_ELIMIT && exec_terminal(status) && json_object_get(out, "nodeStatus")) {
		/* finished: nothing resumes from the node map any more, so counts by phase take its place */
		summarise_nodes(out);
		fc_warn("operator: %s: %s; its final status lists node counts by phase instead of the nodes", t->key,
			err->msg);
		rc = write_status(op, t, ns, slash + 1, out, err);
	}
	if (rc == FC_ELIMIT && exec_terminal(status)) {
		/* even so the object would be too large (its spec and metadata fill it): a finished workflow must not hold
		 * the engine up, so its final status is given up (the admin still gets its events) */
		fc_error("operator: %s: %s: its final status is not written", t->key, err->msg);
		rc = FC_OK;
	} else if (rc == FC_ELIMIT) {
		/* the state cannot be saved: the round is rolled back and the workflow is made to fail (op_fail_too_big) */
		if (!t->too_big) {
			t->too_big = fc_xstrdup(err->msg);
			fc_warn("operator: %s: %s: the workflow fails", t->key, err->msg);
		}
		rc = fc_err_set(err, FC_EUNAVAILABLE, "%s", t->too_big);
		goto out;
	}
	if (rc == FC_OK) {
		json_decref(t->written);
		t->written = json_deep_copy(status);
	} else if (rc == FC_ENOENT) {
		t->done = true;
		rc = FC_OK;
	} else if (rc != FC_EUNAVAILABLE) {
		char why[FC_ERR_MSG_MAX];

		snprintf(why, sizeof(why), "%s", err->msg); /* err->msg cannot be an argument of its own fc_err_set */
		rc = fc_err_set(err, FC_EUNAVAILABLE, "status of %s: %s", t->key, why);
	}
out:
	json_decref(out);
	fc_buf_release(&dir);
	return rc;
}

/*
 * --state status: a workflow whose status no longer fits (status_write refused the round) is made to fail with that
 * message: the engine aborts its tasks and ends it FAILED (the workflow event carries the error to the admin); its
 * final status is written with node counts instead of the node map.
 */
static void fail_too_big(struct prop_operator *op)
{
	struct tracked *t;
	struct fc_err err;

	for (t = op->all; t; t = t->next) {
		if (!t->too_big || t->fail_asked)
			continue;
		t->fail_asked = true;
		if (prop_engine_fail(op->engine, t->project, t->domain, t->exec_name, "StatusTooLarge", t->too_big,
				     &err))
			fc_warn("operator: %s: %s", t->key, err.msg);
	}
}

static struct tracked *track(struct prop_operator *op, const char *key, const struct cmp_fw_resource *r,
			     const char *project, const char *domain);
static void exec_parts(const json_t *obj, const struct cmp_fw_resource *r, const char **project, const char **domain);

static void count_event(void *data, uint64_t seq, int kind, const void *payload, size_t len)
{
	(void)seq;
	(void)kind;
	(void)payload;
	(void)len;
	(*(size_t *)data)++;
}

/*
 * Whether the state backend may hold events of `exec_key` not yet acknowledged: a missing execution holds none;
 * a backend that cannot tell (an I/O error) is taken to hold some, so the record stays and is asked again later.
 */
static bool events_pending(struct prop_operator *op, const char *exec_key)
{
	size_t pending = 0;
	struct fc_err err;

	if (op->rd.ops->event_each(op->rd.ctx, exec_key, count_event, &pending, &err) && err.code != FC_ENOENT)
		return true;
	return pending > 0;
}

/* Whether the saved outbox of `exec_key` holds anything. */
static bool outbox_present(struct prop_operator *op, const char *exec_key)
{
	struct fc_buf path = FC_BUF_INIT;
	struct stat sb;
	bool present;

	outbox_path(op, exec_key, &path);
	present = stat(path.buf, &sb) == 0 && sb.st_size > 0;
	fc_buf_release(&path);
	return present;
}

/*
 * Before the engine resumes: every resource whose execution is not finished is loaded back with --state status
 * (closure and inputs from its spec, the rest from its status, unsent events from its outbox). A finished one is
 * tracked (done) when events of it were never acknowledged by the admin (killed after its final status write):
 * the engine loads it to send them only (prop_engine_resume_all), and its record goes once they are.
 */
static void load_statuses(struct prop_operator *op)
{
	json_t *keys = kube_store_keys(kube_informer_store(op->fw_inf));
	size_t i;

	for (i = 0; i < json_array_size(keys); i++) {
		const char *key = json_string_value(json_array_get(keys, i));
		json_t *obj = kube_store_get(kube_informer_store(op->fw_inf), key);
		const json_t *st = json_object_get(obj, "status");
		const json_t *ephase = json_object_get(json_object_get(st, "flytec"), "phase");
		struct cmp_fw_resource r;
		struct prop_exec_row row = {0};
		struct fc_buf closure = FC_BUF_INIT, inputs = FC_BUF_INIT;
		struct fc_buf ek = FC_BUF_INIT;
		const char *project, *domain;
		struct tracked *t;
		struct fc_err err;
		int p = (int)json_integer_value(ephase);
		/* with --state volume the status carries Flyte's phase only */
		bool finished = op->kstate ? prop_exec_phase_terminal(p)
					   : fw_terminal((int)json_integer_value(json_object_get(st, "phase")));

		cmp_fw_resource_init(&r);
		if (op->kstate ? !json_is_integer(ephase) : !finished)
			goto next; /* not written by this backend; or resumed from the sqlite file */
		if (finished) {
			/* most finished ones are left alone: decide from the execution id, without reading the spec */
			if (cmp_flyteworkflow_read_head(obj, &r, &err))
				goto next;
			exec_parts(obj, &r, &project, &domain);
			prop_exec_key(project, domain, r.exec_id->name, &ek);
			if (!op->kstate) {
				/* --state volume: the engine resumes from its sqlite file; it only needs the record */
				if (events_pending(op, ek.buf))
					track(op, key, &r, project, domain)->done = true;
				goto next;
			}
			if (!outbox_present(op, ek.buf))
				goto next;
		}
		if (cmp_flyteworkflow_read(obj, op->o.data_dir, &r, &err)) {
			if (!finished)
				fc_warn("operator: %s: cannot resume from its status: %s", key, err.msg);
			goto next;
		}
		exec_parts(obj, &r, &project, &domain);
		t = track(op, key, &r, project, domain);
		t->done = finished;
		cmp_pb_pack(&r.closure->base, &closure);
		cmp_pb_pack(&r.inputs->base, &inputs);
		row.key = t->exec_key;
		row.project = project;
		row.domain = domain;
		row.name = r.exec_id->name;
		row.closure = closure.buf;
		row.closure_len = closure.len;
		row.inputs = inputs.buf;
		row.inputs_len = inputs.len;
		row.config = "";
		row.phase = p;
		if (prop_k8s_state_load(op->kstate, &row, st, &err) || outbox_load(op, t->exec_key, &err))
			fc_warn("operator: %s: resuming from its status: %s", key, err.msg);
		else
			fc_debug("operator: %s: execution %s loaded from its status", key, t->exec_key);
	next:
		fc_buf_release(&ek);
		fc_buf_release(&closure);
		fc_buf_release(&inputs);
		cmp_fw_resource_release(&r);
		json_decref(obj);
	}
	json_decref(keys);
}

static void tracked_free(struct tracked *t)
{
	free(t->key);
	free(t->exec_key);
	free(t->project);
	free(t->domain);
	free(t->exec_name);
	free(t->admin_url);
	free(t->too_big);
	json_decref(t->written);
	json_decref(t->own);
	free(t);
}

/*
 * Free the records of finished workflows (terminal status written and finalizer removed, or the resource gone)
 * whose events have all been delivered; the two maps are rebuilt once when any went (they have no delete).
 */
static void sweep_done(struct prop_operator *op)
{
	struct tracked **pp = &op->all, *t;
	size_t freed = 0;

	while ((t = *pp)) {
		if (t->done && t->own)
			json_decref(base_object(op, t, t->key)); /* drops `own` once the store shows our last write */
		/* kept while the store lags behind our last write (a reconcile would write against the stale copy) */
		if (!t->done || t->own || events_pending(op, t->exec_key)) {
			pp = &t->next;
			continue;
		}
		*pp = t->next;
		if (op->kstate) {
			struct fc_buf path = FC_BUF_INIT;

			prop_k8s_state_drop(op->kstate, t->exec_key);
			outbox_path(op, t->exec_key, &path);
			unlink(path.buf);
			fc_buf_release(&path);
		}
		fc_debug("operator: %s finished: its record is freed", t->key);
		tracked_free(t);
		freed++;
	}
	if (!freed)
		return;
	op->ntracked -= freed;
	op->stats.records_freed += freed;
	fc_strmap_release(&op->by_exec);
	fc_strmap_release(&op->by_key);
	fc_strmap_init(&op->by_exec);
	fc_strmap_init(&op->by_key);
	for (t = op->all; t; t = t->next) {
		fc_strmap_put(&op->by_key, t->key, t);
		fc_strmap_put(&op->by_exec, t->exec_key, t);
	}
}

static void sync_statuses(struct prop_operator *op)
{
	struct tracked *t;

	for (t = op->all; t; t = t->next)
		if (!t->done)
			sync_status(op, t);
	sweep_done(op);
}

/* A stats line every FC_K8S_OPERATOR_STATS_LOG_MS while something changes: the records held, writes, 409s, requests
 * by verb (tests and the bench read it). */
static void log_stats(struct prop_operator *op, bool force)
{
	static const char *const verbs[] = {"get", "list", "watch", "create", "update", "patch", "delete"};
	struct kube_client_stats ks;
	struct kube_informer_stats fs, ps;
	struct fc_buf line = FC_BUF_INIT;
	int64_t now = mono_ms();
	size_t i;

	if (!force && now < op->next_stats_log_ms)
		return;
	op->next_stats_log_ms = now + FC_K8S_OPERATOR_STATS_LOG_MS;
	kube_client_stats(op->o.client, &ks);
	kube_informer_stats(op->fw_inf, &fs);
	kube_informer_stats(op->pod_inf, &ps);
	op->stats.records = op->ntracked;
	fc_buf_addf(&line,
		    "records=%zu records_freed=%llu status_writes=%llu status_patches=%llu status_bytes=%llu "
		    "conflicts=%llu echoes=%llu requests=%llu",
		    op->ntracked, (unsigned long long)op->stats.records_freed,
		    (unsigned long long)op->stats.status_writes, (unsigned long long)op->stats.status_patches,
		    (unsigned long long)op->stats.status_bytes, (unsigned long long)op->stats.conflicts,
		    (unsigned long long)op->stats.echoes, (unsigned long long)ks.requests);
	for (i = 0; i < FC_ARRAY_LEN(verbs); i++)
		fc_buf_addf(&line, " %s=%llu", verbs[i], (unsigned long long)ks.by_verb[i]);
	fc_buf_addf(&line, " relists_gone=%llu", (unsigned long long)(fs.relists_gone + ps.relists_gone));
	if (force || !op->last_stats || strcmp(op->last_stats, line.buf)) {
		fc_info("operator: stats: %s", line.buf);
		free(op->last_stats);
		op->last_stats = fc_buf_detach(&line, NULL);
	}
	fc_buf_release(&line);
}

/* --- reconcile one key ------------------------------------------------------------------------------------- */

static void mark_invalid(struct prop_operator *op, const json_t *obj, const char *ns, const char *name,
			 const char *why)
{
	const json_t *old = json_object_get(obj, "status");
	struct fc_buf msg = FC_BUF_INIT;
	struct fc_err err;
	char now[FC_PBJSON_TIME_TEXT_MAX];
	json_t *st;

	fc_buf_addf(&msg, "invalid FlyteWorkflow: %s", why);
	if (json_integer_value(json_object_get(old, "phase")) != FW_FAILED ||
	    !json_is_string(json_object_get(old, "message")) ||
	    strcmp(json_string_value(json_object_get(old, "message")), msg.buf)) {
		rfc3339_now(now);
		st = json_pack("{s:i, s:s, s:s, s:s}", "phase", FW_FAILED, "message", msg.buf, "lastUpdatedAt", now,
			       "stoppedAt", now);
		if (st && write_status(op, NULL, ns, name, st, &err) == FC_OK) {
			op->stats.invalid++;
			fc_warn("operator: %s/%s: %s", ns, name, msg.buf);
		} else if (st) {
			fc_warn("operator: marking %s/%s failed: %s", ns, name, err.msg);
		}
		json_decref(st);
	}
	if (set_finalizer(op, NULL, obj, false, &err))
		fc_warn("operator: finalizer of %s/%s: %s", ns, name, err.msg);
	fc_buf_release(&msg);
}

static struct tracked *track(struct prop_operator *op, const char *key, const struct cmp_fw_resource *r,
			     const char *project, const char *domain)
{
	struct tracked *t = fc_strmap_get(&op->by_key, key);
	struct fc_buf ek = FC_BUF_INIT;

	if (t)
		return t;
	t = fc_xcalloc(1, sizeof(*t));
	t->key = fc_xstrdup(key);
	t->project = fc_xstrdup(project);
	t->domain = fc_xstrdup(domain);
	t->exec_name = fc_xstrdup(r->exec_id->name);
	prop_exec_key(project, domain, t->exec_name, &ek);
	t->exec_key = fc_buf_detach(&ek, NULL);
	snprintf(t->owner.k8s_namespace, sizeof(t->owner.k8s_namespace), "%s", r->k8s_namespace);
	snprintf(t->owner.name, sizeof(t->owner.name), "%s", r->name);
	snprintf(t->owner.uid, sizeof(t->owner.uid), "%s", r->uid);
	t->admin_url = fc_xstrdup(*r->admin_url ? r->admin_url : op->o.admin_url ? op->o.admin_url : "");
	t->next = op->all;
	op->all = t;
	op->ntracked++;
	fc_strmap_put(&op->by_key, t->key, t);
	fc_strmap_put(&op->by_exec, t->exec_key, t);
	return t;
}

/* The execution id the engine uses: the resource's, with Flyte's labels (or the namespace) for what is empty. */
static void exec_parts(const json_t *obj, const struct cmp_fw_resource *r, const char **project, const char **domain)
{
	const json_t *labels = json_object_get(json_object_get(obj, "metadata"), "labels");
	const char *s;

	*project = r->exec_id->project && *r->exec_id->project ? r->exec_id->project
		   : (s = json_string_value(json_object_get(labels, "project"))) && *s ? s
										       : r->k8s_namespace;
	*domain = r->exec_id->domain && *r->exec_id->domain ? r->exec_id->domain
		  : (s = json_string_value(json_object_get(labels, "domain"))) && *s ? s
										      : "default";
}

static void reconcile(struct prop_operator *op, const char *key)
{
	json_t *obj = kube_store_get(kube_informer_store(op->fw_inf), key);
	struct cmp_fw_resource r;
	struct fc_err err;
	struct tracked *t = fc_strmap_get(&op->by_key, key);
	const char *ns, *name, *project, *domain;
	bool deleting;
	int phase;

	op->stats.reconciles++;
	cmp_fw_resource_init(&r);
	if (!obj) {
		/* gone: abort what still runs (its pods go with it by ownerReference) */
		if (t && !t->done) {
			prop_engine_abort(op->engine, t->project, t->domain, t->exec_name, "FlyteWorkflow deleted", &err);
			t->done = true;
		}
		goto out;
	}
	ns = json_string_value(json_object_get(json_object_get(obj, "metadata"), "namespace"));
	name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
	if (!ns || !name)
		goto out;
	deleting = json_object_get(json_object_get(obj, "metadata"), "deletionTimestamp") != NULL;
	if (t && t->own && store_caught_up(obj, t->own)) {
		bool echo = !strcmp(rv_of(obj), rv_of(t->own));

		json_decref(t->own); /* the store has caught up with our last write */
		t->own = NULL;
		if (echo && !deleting) {
			/* only the watch's echo of our own write: nothing to do */
			op->stats.echoes++;
			goto out;
		}
	}
	phase = (int)json_integer_value(json_object_get(json_object_get(obj, "status"), "phase"));
	if (cmp_flyteworkflow_read(obj, op->o.data_dir, &r, &err)) {
		if (deleting)
			set_finalizer(op, t, obj, false, &err);
		else
			mark_invalid(op, obj, ns, name, err.msg);
		goto out;
	}
	if (deleting) {
		int ephase = 0;

		if (!t || t->done) {
			set_finalizer(op, t, obj, false, &err);
			goto out;
		}
		if (!t->aborting) {
			prop_engine_abort(op->engine, t->project, t->domain, t->exec_name, "FlyteWorkflow deleted", &err);
			t->aborting = true;
			op->stats.aborted++;
		}
		/* the finalizer goes once the engine has aborted every node (their pods deleted) */
		if (prop_engine_result(op->engine, t->project, t->domain, t->exec_name, &ephase, NULL, NULL, NULL,
				       &err) == FC_OK &&
		    fw_terminal(fw_phase_of(ephase))) {
			if (set_finalizer(op, t, obj, false, &err) == FC_OK)
				t->done = true;
		} else {
			kube_queue_add_after(op->queue, key, 200);
		}
		goto out;
	}
	if (fw_terminal(phase) && (!t || t->done)) {
		set_finalizer(op, t, obj, false, &err);
		goto out;
	}
	if (!r.has_finalizer && !(t && t->done) && set_finalizer(op, t, obj, true, &err)) {
		fc_warn("operator: adding the finalizer to %s: %s", key, err.msg);
		kube_queue_add_rate_limited(op->queue, key);
		goto out;
	}
	if (!t) {
		struct prop_workflow_resource res = {0};
		int rc;

		exec_parts(obj, &r, &project, &domain);
		res.project = project;
		res.domain = domain;
		res.name = r.exec_id->name;
		res.closure = r.closure;
		res.inputs = r.inputs;
		res.config.max_parallelism = op->o.max_parallelism;
		t = track(op, key, &r, project, domain);
		rc = prop_engine_submit(op->engine, &res, &err);
		if (rc == FC_OK) {
			op->stats.submitted++;
			fc_info("operator: %s: execution %s started", key, t->exec_key);
		} else if (rc == FC_EEXIST) {
			fc_debug("operator: %s: execution %s resumed", key, t->exec_key);
		} else {
			t->done = true;
			mark_invalid(op, obj, ns, name, err.msg);
		}
	}
out:
	cmp_fw_resource_release(&r);
	json_decref(obj);
}

/* --- leadership and the loop ------------------------------------------------------------------------------- */

static int become_leader(struct prop_operator *op, struct fc_err *err)
{
	struct prop_config cfg = {0};
	struct plg_k8s_runtime_config rcfg = {0};
	struct fc_buf path = FC_BUF_INIT;
	json_t *keys;
	size_t i, resumed = 0;
	int rc;

	rcfg.client = op->o.client;
	rcfg.pods = kube_informer_store(op->pod_inf);
	rcfg.local_data_dir = op->o.data_dir;
	rcfg.pod_data_dir = op->o.pod_data_dir ? op->o.pod_data_dir : op->o.data_dir;
	rcfg.pod = op->o.pod;
	if (!rcfg.pod.data_mount_path)
		rcfg.pod.data_mount_path = rcfg.pod_data_dir;
	rcfg.owner = owner_of;
	rcfg.owner_ud = op;
	if ((rc = plg_k8s_runtime_init(&rcfg, err)))
		goto out;
	op->plugins = plg_registry_new();
	if ((rc = plg_registry_add(op->plugins, &plg_k8s_runtime_plugin, err)))
		goto out;
	cfg.data_dir = op->o.data_dir;
	cfg.plugins = op->plugins;
	cfg.producer_id = "flytec-operator";
	op->sink.base.send = http_sink_send;
	op->sink.op = op;
	cfg.sink = &op->sink.base;
	if (op->o.state && !strcmp(op->o.state, "status")) {
		struct prop_k8s_state_hooks hooks = {status_write, outbox_save, op};

		prop_k8s_state_new(&hooks, &op->kstate);
		prop_k8s_state_backend(op->kstate, &op->rd);
		cfg.state = &op->rd;
	}
	if ((rc = prop_engine_open(&cfg, &op->engine, err)))
		goto out;
	if (!op->kstate) {
		fc_buf_addf(&path, "%s/propeller.db", op->o.data_dir);
		if ((rc = prop_state_open(path.buf, false, &op->state, err)))
			goto out;
		prop_state_sqlite_backend(op->state, &op->rd);
	}
	kube_informer_wait_synced(op->pod_inf, 30000);
	kube_informer_wait_synced(op->fw_inf, 30000);
	load_statuses(op);
	/* Executions of resources still present are resumed by their keys; resume_all continues the rest too. */
	if ((rc = prop_engine_resume_all(op->engine, &resumed, err)))
		goto out;
	keys = kube_store_keys(kube_informer_store(op->fw_inf));
	for (i = 0; i < json_array_size(keys); i++)
		kube_queue_add(op->queue, json_string_value(json_array_get(keys, i)));
	json_decref(keys);
	fc_info("operator: leading (%s); %zu executions resumed", op->identity, resumed);
out:
	fc_buf_release(&path);
	return rc;
}

/*
 * One engine step. With --state status a failed commit (the API server down, a status PUT refused) is not fatal:
 * the engine keeps the round in memory, backs off and tries again (it logs each failure), so the operator stays up
 * through an API server restart instead of exiting.
 */
static int engine_step(struct prop_operator *op, struct fc_err *err)
{
	int rc = prop_engine_step(op->engine, 0, err);

	return rc == FC_EUNAVAILABLE && op->kstate ? FC_OK : rc;
}

int prop_operator_step(struct prop_operator *op, int timeout_ms, struct fc_err *err)
{
	struct pollfd pfd[2];
	int64_t now = mono_ms(), wait;
	int n = 0, rc = FC_OK, handled = 0;
	char *key;

	if (op->elector && now >= op->next_tick_ms) {
		bool leader = false;

		if (kube_elector_tick(op->elector, &leader, err))
			fc_debug("operator: lease: %s", err->msg);
		leader = kube_elector_is_leader(op->elector);
		op->next_tick_ms = now + kube_elector_retry_period_ms(op->elector);
		if (op->was_leader && !leader)
			return fc_err_set(err, FC_EUNAVAILABLE, "lost the lease %s: stopping so another replica leads",
					  op->o.lease_name);
		op->leader = leader;
	} else if (!op->elector) {
		op->leader = true;
	}
	if (op->leader && !op->was_leader) {
		if ((rc = become_leader(op, err)))
			return rc;
		op->was_leader = true;
	}
	op->stats.leader = op->leader;
	if (op->leader) {
		while (handled < 64 && kube_queue_get(op->queue, &key)) {
			reconcile(op, key);
			kube_queue_done(op->queue, key);
			free(key);
			handled++;
		}
		if ((rc = engine_step(op, err)))
			return rc;
		if (op->kstate)
			fail_too_big(op);
		if (mono_ms() >= op->next_status_ms) {
			sync_statuses(op);
			op->next_status_ms = mono_ms() + op->o.status_period_ms;
		}
		log_stats(op, false);
	}
	if (handled || timeout_ms == 0)
		return FC_OK;
	pfd[n].fd = kube_queue_fd(op->queue);
	pfd[n++].events = POLLIN;
	if (op->engine) {
		pfd[n].fd = prop_engine_fd(op->engine);
		pfd[n++].events = POLLIN;
	}
	wait = timeout_ms < 0 ? 1000 : timeout_ms;
	if (op->leader && wait > op->o.status_period_ms)
		wait = op->o.status_period_ms;
	if (op->elector && op->next_tick_ms - mono_ms() < wait)
		wait = op->next_tick_ms - mono_ms();
	{
		long q = kube_queue_timeout_ms(op->queue);

		if (q >= 0 && q < wait)
			wait = q;
	}
	if (wait < 0)
		wait = 0;
	if (poll(pfd, (nfds_t)n, (int)wait) < 0 && errno != EINTR)
		return fc_err_set(err, FC_EIO, "poll: %s", strerror(errno));
	if (op->engine && n > 1 && (pfd[1].revents & POLLIN))
		rc = engine_step(op, err);
	if (op->kstate)
		fail_too_big(op);
	return rc;
}

int prop_operator_run(struct prop_operator *op, const volatile sig_atomic_t *stop, struct fc_err *err)
{
	int rc = FC_OK;

	while (!*stop && (rc = prop_operator_step(op, 1000, err)) == FC_OK)
		;
	if (op->leader)
		log_stats(op, true);
	if (op->elector && op->leader) {
		struct fc_err rerr;

		kube_elector_release(op->elector, &rerr);
	}
	return rc;
}

void prop_operator_stats(struct prop_operator *op, struct prop_operator_stats *out)
{
	op->stats.records = op->ntracked;
	*out = op->stats;
}

int prop_operator_new(const struct prop_operator_opts *opts, struct prop_operator **out, struct fc_err *err)
{
	struct prop_operator *op = fc_xcalloc(1, sizeof(*op));
	struct kube_informer_opts fo = {0}, po = {0};
	struct fc_buf path = FC_BUF_INIT, ppath = FC_BUF_INIT;
	char host[128] = "flytec";
	int rc;

	op->o = *opts;
	fc_strmap_init(&op->by_exec);
	fc_strmap_init(&op->by_key);
	if (!op->o.client || !op->o.data_dir || !*op->o.data_dir) {
		rc = fc_err_set(err, FC_EINVAL, "the operator needs a Kubernetes client and a data directory");
		goto fail;
	}
	if (op->o.state && strcmp(op->o.state, "status") && strcmp(op->o.state, "volume")) {
		rc = fc_err_set(err, FC_EINVAL, "--state %s: expected status or volume", op->o.state);
		goto fail;
	}
	if (mkdir(op->o.data_dir, 0755) < 0 && errno != EEXIST) {
		rc = fc_err_set(err, FC_EIO, "cannot create the data directory %s: %s", op->o.data_dir, strerror(errno));
		goto fail;
	}
	if (!op->o.resync_ms)
		op->o.resync_ms = 30000;
	if (!op->o.status_period_ms)
		op->o.status_period_ms = 250;
	if (!op->o.max_object_bytes)
		op->o.max_object_bytes = FC_K8S_OBJECT_MAX_BYTES;
	gethostname(host, sizeof(host) - 1);
	if (opts->identity && *opts->identity) {
		op->identity = fc_xstrdup(opts->identity);
	} else {
		struct fc_buf id = FC_BUF_INIT;

		fc_buf_addf(&id, "%s-%ld", host, (long)getpid());
		op->identity = fc_buf_detach(&id, NULL);
	}
	op->queue = kube_queue_new(0, 0);
	if (op->o.k8s_namespace && *op->o.k8s_namespace) {
		fc_buf_addf(&path, FW_BASE "/namespaces/%s/" CMP_FW_PLURAL, op->o.k8s_namespace);
		fc_buf_addf(&ppath, "/api/v1/namespaces/%s/pods", op->o.k8s_namespace);
	} else {
		fc_buf_adds(&path, FW_BASE "/" CMP_FW_PLURAL);
		fc_buf_adds(&ppath, "/api/v1/pods");
	}
	fo.path = path.buf;
	fo.resync_ms = op->o.resync_ms;
	fo.queue = op->queue;
	if ((rc = kube_informer_start(op->o.client, &fo, &op->fw_inf, err)))
		goto fail;
	po.path = ppath.buf;
	po.label_selector = POD_SELECTOR;
	if ((rc = kube_informer_start(op->o.client, &po, &op->pod_inf, err)))
		goto fail;
	if (op->o.lease_name && *op->o.lease_name) {
		struct kube_elector_opts eo = {0};

		eo.namespace = op->o.lease_namespace && *op->o.lease_namespace ? op->o.lease_namespace
									       : kube_client_namespace(op->o.client);
		eo.name = op->o.lease_name;
		eo.identity = op->identity;
		eo.lease_duration_ms = op->o.lease_duration_ms;
		eo.renew_deadline_ms = op->o.renew_deadline_ms;
		eo.retry_period_ms = op->o.retry_period_ms;
		if ((rc = kube_elector_new(op->o.client, &eo, &op->elector, err)))
			goto fail;
	}
	fc_buf_release(&path);
	fc_buf_release(&ppath);
	*out = op;
	return FC_OK;
fail:
	fc_buf_release(&path);
	fc_buf_release(&ppath);
	prop_operator_free(op);
	return rc;
}

void prop_operator_free(struct prop_operator *op)
{
	struct tracked *t, *next;

	if (!op)
		return;
	kube_informer_free(op->fw_inf);
	kube_informer_free(op->pod_inf);
	prop_engine_free(op->engine);
	prop_state_free(op->state);
	prop_k8s_state_free(op->kstate);
	if (op->sink.curl)
		curl_easy_cleanup(op->sink.curl);
	if (op->plugins)
		plg_k8s_runtime_shutdown();
	plg_registry_free(op->plugins);
	kube_elector_free(op->elector);
	kube_queue_free(op->queue);
	for (t = op->all; t; t = next) {
		next = t->next;
		tracked_free(t);
	}
	free(op->last_stats);
	fc_strmap_release(&op->by_exec);
	fc_strmap_release(&op->by_key);
	free(op->identity);
	free(op);
}
