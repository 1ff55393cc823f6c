/* cluster.c: executions handed to Kubernetes as FlyteWorkflow resources (cluster.h). */
#include "serve/cluster.h"
#include "serve/exec.h"

#include "admin-lite/service.h"
#include "admin-lite/store.h"
#include "compiler/flyteworkflow.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/walk.h"
#include "kube/client.h"
#include "kube/config.h"
#include "compiler/lit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CLUSTER_OWNER "flytec-cluster"
#define CLUSTER_CLAIMS_PER_ROUND 16
#define CLUSTER_DEFAULT_TEMPLATE "{{project}}-{{domain}}"

struct srv_cluster {
	struct adm_store *store;
	struct kube_client *kube;
	char *ns_template;
	char *service_account;
	char *admin_url;
	char *data_dir;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool started, stop, poked;
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Sleep up to `ms` or until notified; false when stopping. */
static bool nap(struct srv_cluster *c, int64_t ms)
{
	struct timespec ts;
	int64_t at = mono_ns() + ms * 1000000;
	bool go_on;

	ts.tv_sec = (time_t)(at / 1000000000);
	ts.tv_nsec = (long)(at % 1000000000);
	pthread_mutex_lock(&c->lock);
	while (!c->stop && !c->poked && mono_ns() < at)
		pthread_cond_timedwait(&c->wake, &c->lock, &ts);
	c->poked = false;
	go_on = !c->stop;
	pthread_mutex_unlock(&c->lock);
	return go_on;
}

static bool stopping(struct srv_cluster *c)
{
	bool s;

	pthread_mutex_lock(&c->lock);
	s = c->stop;
	pthread_mutex_unlock(&c->lock);
	return s;
}

/* The namespace of an execution: the template with {{project}} and {{domain}} replaced. */
static void namespace_of(const struct srv_cluster *c, const struct adm_exec_id *id, struct fc_buf *out)
{
	const char *p = c->ns_template;

	while (*p) {
		if (!strncmp(p, "{{project}}", 11)) {
			fc_buf_adds(out, id->project);
			p += 11;
		} else if (!strncmp(p, "{{domain}}", 10)) {
			fc_buf_adds(out, id->domain);
			p += 10;
		} else {
			fc_buf_addch(out, *p++);
		}
	}
}

static void resource_path(const char *ns, const char *name, struct fc_buf *out)
{
	fc_buf_addf(out, "/apis/%s/v1alpha1/namespaces/%s/%s", CMP_FW_GROUP, ns, CMP_FW_PLURAL);
	if (name)
		fc_buf_addf(out, "/%s", name);
}

/* Record a workflow phase the cluster will not report (FAILED before anything ran, ABORTED once the resource is
 * gone). Returns false when the admin could not store it and it is worth trying again later. */
static bool record_phase(struct srv_cluster *c, const struct adm_exec_id *id, int phase, const char *code,
			 const char *msg)
{
	return srv_record_phase(c->store, CLUSTER_OWNER, id, phase, code, msg);
}

/* The namespace exists afterwards (made now, or already there). */
static int ensure_namespace(struct srv_cluster *c, const char *ns, struct fc_err *err)
{
	json_t *obj = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "Namespace", "metadata", "name", ns);
	int rc = kube_create(c->kube, "/api/v1/namespaces", obj, NULL, NULL, err);

	json_decref(obj);
	if (rc == FC_EEXIST)
		rc = FC_OK;
	return rc;
}

/* Build and create one execution's resource. FC_OK when it exists in the cluster (made now or adopted). */
static int create_resource(struct srv_cluster *c, const struct adm_claim *cl, struct fc_buf *ns, struct fc_err *err)
{
	const Flyteidl__Core__CompiledWorkflowClosure *closure = NULL;
	const Flyteidl__Core__LiteralMap *inputs = NULL;
	Flyteidl__Admin__ExecutionSpec *spec = NULL;
	struct cmp_fw_options fo;
	struct fc_buf path = FC_BUF_INIT, ref = FC_BUF_INIT, file = FC_BUF_INIT;
	struct fc_arena a;
	json_t *res = NULL;
	bool offloaded = false;
	void *msg;
	int rc;

	fc_arena_init(&a, 0);
	if (!cl->closure || cmp_pb_unpack(&a, &flyteidl__core__compiled_workflow_closure__descriptor, cl->closure,
					   cl->closure_len, &msg, NULL)) {
		rc = fc_err_set(err, FC_EINVAL, "the execution's workflow is not registered or does not decode");
		goto out;
	}
	closure = msg;
	if (cl->exec.inputs) {
		if (cmp_pb_unpack(&a, &flyteidl__core__literal_map__descriptor, cl->exec.inputs, cl->exec.inputs_len,
				   &msg, NULL)) {
			rc = fc_err_set(err, FC_EINVAL, "the execution's stored inputs do not decode");
			goto out;
		}
		inputs = msg;
	}
	if (cl->exec.spec && !cmp_pb_unpack(&a, &flyteidl__admin__execution_spec__descriptor, cl->exec.spec,
					     cl->exec.spec_len, &msg, NULL))
		spec = msg;
	memset(&fo, 0, sizeof(fo));
	fo.exec_project = cl->exec.id.project;
	fo.exec_domain = cl->exec.id.domain;
	fo.exec_name = cl->exec.id.name;
	fo.k8s_namespace = ns->buf;
	fo.prepare = true;
	fo.admin_url = c->admin_url;
	fo.service_account = c->service_account;
	fo.max_parallelism = spec && spec->max_parallelism > 0 ? (uint32_t)spec->max_parallelism : 0;
	rc = cmp_flyteworkflow_build(closure, inputs, &fo, &res, NULL, err);
	if (rc == FC_ELIMIT && c->data_dir) {
		/* Past the inline limit the closure goes to the data volume, as Flyte's admin puts it in its data store.
		 * The reference is relative to the volume, which the operator resolves against its own --data-dir (the
		 * two processes may mount it at different paths). The write is atomic (a rename), so a restarted admin
		 * that writes it again never shows the operator a partial file. */
		fc_buf_addf(&ref, "closures/%s/%s.pb", ns->buf, cl->exec.id.name);
		fc_buf_addf(&file, "%s/closures/%s", c->data_dir, ns->buf);
		fc_err_clear(err);
		if ((rc = fc_mkdir_p(file.buf, err)))
			goto out;
		fc_buf_addf(&file, "/%s.pb", cl->exec.id.name);
		fo.closure_path = file.buf;
		rc = cmp_flyteworkflow_build(closure, inputs, &fo, &res, &offloaded, err);
	}
	if (rc)
		goto out;
	if (offloaded) {
		json_object_set_new(res, "workflowClosureReference", json_string(ref.buf));
		fc_info("serve: %s/%s: the closure is offloaded to %s", ns->buf, cl->exec.id.name, file.buf);
	}
	rc = ensure_namespace(c, ns->buf, err);
	if (rc) {
		fc_err_prefix(err, "creating namespace %s: ", ns->buf);
		goto out;
	}
	resource_path(ns->buf, NULL, &path);
	rc = kube_create(c->kube, path.buf, res, NULL, NULL, err);
	if (rc == FC_EEXIST) { /* made before a restart: adopt it */
		fc_debug("serve: %s/%s already exists: adopted", ns->buf, cl->exec.id.name);
		rc = FC_OK;
	} else if (rc) {
		fc_err_prefix(err, "creating FlyteWorkflow %s/%s: ", ns->buf, cl->exec.id.name);
	}
out:
	json_decref(res);
	fc_buf_release(&path);
	fc_buf_release(&ref);
	fc_buf_release(&file);
	fc_arena_release(&a);
	return rc;
}

/* Hand one claimed execution to the cluster, retrying while the API server is unreachable. Returns false when it
 * must go back to the queue (stopping, or the admin could not store the failure). */
static bool hand_over(struct srv_cluster *c, const struct adm_claim *cl)
{
	struct fc_buf ns = FC_BUF_INIT;
	struct fc_err err;
	int64_t backoff = SRV_CLUSTER_BACKOFF_MS;
	bool ok = true;
	int tries, rc = FC_OK;

	namespace_of(c, &cl->exec.id, &ns);
	for (tries = 1;; tries++) {
		fc_err_clear(&err);
		rc = create_resource(c, cl, &ns, &err);
		if (!rc || (rc != FC_EUNAVAILABLE && rc != FC_EIO) || tries >= SRV_CLUSTER_CREATE_TRIES)
			break;
		fc_warn("serve: %s (try %d of %d, again in %lld ms)", err.msg, tries, SRV_CLUSTER_CREATE_TRIES,
			(long long)backoff);
		if (!nap(c, backoff) || stopping(c)) {
			ok = false; /* stopping: claimed again after a restart */
			goto out;
		}
		backoff *= 2;
	}
	if (rc) {
		fc_warn("serve: execution %s failed to start on the cluster: %s", cl->exec.id.name, err.msg);
		ok = record_phase(c, &cl->exec.id, FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED,
				  "SYSTEM:ClusterCreate", err.msg);
	} else {
		fc_info("serve: execution %s handed to the cluster in namespace %s", cl->exec.id.name, ns.buf);
	}
out:
	fc_buf_release(&ns);
	return ok;
}

/* Claim what is queued and hand it over. */
static void claim_round(struct srv_cluster *c)
{
	int n;

	for (n = 0; n < CLUSTER_CLAIMS_PER_ROUND && !stopping(c); n++) {
		struct adm_claim cl;
		struct fc_arena a;
		struct fc_err err;
		bool ok = true;
		int rc;

		fc_arena_init(&a, 0);
		fc_err_clear(&err);
		rc = adm_queue_claim(c->store, CLUSTER_OWNER, &a, &cl, &err);
		if (!rc && cl.exec.phase != FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTING)
			ok = hand_over(c, &cl);
		else if (rc && rc != FC_ENOENT)
			fc_warn("serve: claiming: %s", err.msg[0] ? err.msg : fc_strerror(rc));
		fc_arena_release(&a);
		if (!ok) {
			size_t back;

			adm_queue_recover(c->store, CLUSTER_OWNER, &back, NULL);
			return;
		}
		if (rc)
			return;
	}
}

/* Executions asked to stop: delete their resource (the operator's finalizer aborts the pods first); once it is gone,
 * record ABORTED. Returns how many are still on their way out. */
static size_t abort_round(struct srv_cluster *c)
{
	struct adm_exec_id *ids;
	struct fc_arena a;
	struct fc_err err;
	size_t n = 0, i, pending = 0;

	fc_arena_init(&a, 0);
	if (adm_queue_aborting(c->store, CLUSTER_OWNER, &a, &ids, &n, &err))
		n = 0;
	for (i = 0; i < n && !stopping(c); i++) {
		struct fc_buf ns = FC_BUF_INIT, path = FC_BUF_INIT;
		json_t *obj = NULL;
		int rc;

		namespace_of(c, &ids[i], &ns);
		resource_path(ns.buf, ids[i].name, &path);
		fc_err_clear(&err);
		rc = kube_get(c->kube, path.buf, &obj, NULL, &err);
		if (rc == FC_ENOENT) {
			record_phase(c, &ids[i], FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTED, NULL, NULL);
		} else if (rc) {
			fc_warn("serve: terminating %s: %s", ids[i].name, err.msg);
			pending++;
		} else {
			if (!json_object_get(json_object_get(obj, "metadata"), "deletionTimestamp") &&
			    kube_delete(c->kube, path.buf, NULL, NULL, &err) && err.code != FC_ENOENT)
				fc_warn("serve: deleting %s: %s", path.buf, err.msg);
			pending++;
		}
		json_decref(obj);
		fc_buf_release(&ns);
		fc_buf_release(&path);
	}
	fc_arena_release(&a);
	return pending;
}

static void *cluster_main(void *arg)
{
	struct srv_cluster *c = arg;

	while (!stopping(c)) {
		size_t pending;

		claim_round(c);
		pending = abort_round(c);
		if (!nap(c, pending ? SRV_EXEC_BUSY_MS * 10 : SRV_EXEC_IDLE_MS))
			break;
	}
	return NULL;
}

int srv_cluster_new(struct adm_store *store, const struct srv_cluster_options *o, struct srv_cluster **out,
		    struct fc_err *err)
{
	struct srv_cluster *c = fc_xcalloc(1, sizeof(*c));
	struct kube_client_opts ko;
	struct kube_config cfg;
	pthread_condattr_t ca;
	int rc;

	*out = NULL;
	kube_config_init(&cfg);
	rc = o->kubeconfig ? kube_config_load_file(&cfg, o->kubeconfig, NULL, err)
			   : kube_config_load_default(&cfg, NULL, err);
	if (rc) {
		kube_config_release(&cfg);
		free(c);
		return rc;
	}
	memset(&ko, 0, sizeof(ko));
	/* creates, deletes and the logs endpoint's pod-log reads share it: more than client-go's 5/s default */
	ko.qps = 50;
	ko.burst = 100;
	rc = kube_client_new(&cfg, &ko, &c->kube, err);
	kube_config_release(&cfg);
	if (rc) {
		free(c);
		return rc;
	}
	c->store = store;
	c->ns_template = fc_xstrdup(o->namespace_template && *o->namespace_template ? o->namespace_template
										: CLUSTER_DEFAULT_TEMPLATE);
	c->service_account = o->service_account ? fc_xstrdup(o->service_account) : NULL;
	c->data_dir = o->data_dir && *o->data_dir ? fc_xstrdup(o->data_dir) : NULL;
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->wake, &ca);
	pthread_condattr_destroy(&ca);
	*out = c;
	return FC_OK;
}

struct kube_client *srv_cluster_kube(struct srv_cluster *c)
{
	return c->kube;
}

int srv_cluster_start(struct srv_cluster *c, const char *admin_url, struct fc_err *err)
{
	size_t back = 0;
	int rc;

	c->admin_url = fc_xstrdup(admin_url);
	/* claimed before a restart and maybe never created: claim them again (a create then adopts what exists) */
	rc = adm_queue_recover(c->store, CLUSTER_OWNER, &back, err);
	if (rc)
		return rc;
	if (back)
		fc_info("serve: %zu execution(s) handed to the cluster before a restart are looked at again", back);
	if (pthread_create(&c->thread, NULL, cluster_main, c))
		return fc_err_set(err, FC_EIO, "serve: cannot start the cluster thread");
	c->started = true;
	return FC_OK;
}

void srv_cluster_notify(struct srv_cluster *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->poked = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
}

void srv_cluster_free(struct srv_cluster *c)
{
	if (!c)
		return;
	if (c->started) {
		pthread_mutex_lock(&c->lock);
		c->stop = true;
		pthread_cond_signal(&c->wake);
		pthread_mutex_unlock(&c->lock);
		pthread_join(c->thread, NULL);
	}
	kube_client_free(c->kube);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	free(c->ns_template);
	free(c->service_account);
	free(c->admin_url);
	free(c->data_dir);
	free(c);
}
