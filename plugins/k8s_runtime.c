/* k8s_runtime.c: task attempts as Kubernetes Pods (see k8s_runtime.h). */
#include "plugins/k8s_runtime.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "kube/client.h"
#include "kube/store.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "flyteidl/core/errors.pb-c.h"
#include "flyteidl/core/tasks.pb-c.h"

/* Persisted per attempt (host->set_state): whether our create was answered, and when. */
struct pod_state {
	uint32_t magic;
	uint32_t created;
	int64_t created_ms;
};
#define POD_STATE_MAGIC 0x6b38706fu

static struct {
	bool ready;
	struct plg_k8s_runtime_config cfg;
	char *local_dir, *pod_dir;
	pthread_mutex_t lock;
	struct plg_k8s_runtime_stats stats;
} rt = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void count(uint64_t *field)
{
	pthread_mutex_lock(&rt.lock);
	(*field)++;
	pthread_mutex_unlock(&rt.lock);
}

int plg_k8s_runtime_init(const struct plg_k8s_runtime_config *cfg, struct fc_err *err)
{
	size_t n;

	if (!cfg->client || !cfg->pods || !cfg->local_data_dir || !cfg->pod_data_dir || !cfg->owner)
		return fc_err_set(err, FC_EINVAL, "the pod runtime needs a client, a pods store, both data paths and an "
				  "owner lookup");
	plg_k8s_runtime_shutdown();
	rt.cfg = *cfg;
	rt.local_dir = fc_xstrdup(cfg->local_data_dir);
	rt.pod_dir = fc_xstrdup(cfg->pod_data_dir);
	/* no trailing slashes: prefixes are compared component-wise */
	for (n = strlen(rt.local_dir); n > 1 && rt.local_dir[n - 1] == '/'; n--)
		rt.local_dir[n - 1] = '\0';
	for (n = strlen(rt.pod_dir); n > 1 && rt.pod_dir[n - 1] == '/'; n--)
		rt.pod_dir[n - 1] = '\0';
	if (!rt.cfg.poll_ms)
		rt.cfg.poll_ms = 250;
	if (!rt.cfg.missing_grace_ms)
		rt.cfg.missing_grace_ms = 5000;
	memset(&rt.stats, 0, sizeof(rt.stats));
	rt.ready = true;
	return FC_OK;
}

void plg_k8s_runtime_shutdown(void)
{
	free(rt.local_dir);
	free(rt.pod_dir);
	rt.local_dir = rt.pod_dir = NULL;
	rt.ready = false;
}

void plg_k8s_runtime_stats(struct plg_k8s_runtime_stats *out)
{
	pthread_mutex_lock(&rt.lock);
	*out = rt.stats;
	pthread_mutex_unlock(&rt.lock);
}

/* The pod's view of a local path under the data directory; NULL when it is outside. Caller frees. */
static char *pod_path(const char *local)
{
	size_t n = strlen(rt.local_dir);
	struct fc_buf b = FC_BUF_INIT;

	if (!local || strncmp(local, rt.local_dir, n) || (local[n] && local[n] != '/'))
		return NULL;
	fc_buf_addf(&b, "%s%s", rt.pod_dir, local + n);
	return fc_buf_detach(&b, NULL);
}

static char *path_join(const char *dir, const char *name)
{
	struct fc_buf b = FC_BUF_INIT;

	fc_buf_addf(&b, "%s/%s", dir, name);
	return fc_buf_detach(&b, NULL);
}

static bool var_name_ok(const char *s)
{
	const char *p;

	if (!*s || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
			return false;
	return true;
}

static void fail(const struct plg_task_ctx *ctx, struct plg_transition *out, enum plg_phase phase,
		 enum plg_error_kind kind, const char *code, const char *msg)
{
	out->phase = phase;
	out->error_kind = kind;
	out->error_code = code;
	out->error_message = ctx->host->strdup(ctx, msg);
}

static const char *input_text_cb(void *ud, const char *name)
{
	const struct plg_task_ctx *ctx = ud;

	return ctx->host->input_text(ctx, name);
}

/* sandbox/inputs/<name> for every input, sandbox/outputs/ when the task has outputs (the local convention). */
static int write_inputs(const struct plg_task_ctx *ctx, struct fc_buf *msg)
{
	const Flyteidl__Core__TaskTemplate *t = ctx->task_template;
	const Flyteidl__Core__VariableMap *in = t->interface ? t->interface->inputs : NULL;
	const Flyteidl__Core__VariableMap *outv = t->interface ? t->interface->outputs : NULL;
	char *in_dir = path_join(ctx->sandbox_dir, "inputs"), *out_dir = path_join(ctx->sandbox_dir, "outputs");
	struct fc_err err;
	size_t i;
	int rc = -1;

	if (mkdir(ctx->sandbox_dir, 0755) < 0 && errno != EEXIST) {
		fc_buf_addf(msg, "cannot create %s: %s", ctx->sandbox_dir, strerror(errno));
		goto out;
	}
	if (mkdir(in_dir, 0755) < 0 && errno != EEXIST) {
		fc_buf_addf(msg, "cannot create %s: %s", in_dir, strerror(errno));
		goto out;
	}
	/* the pod may run as another user than the operator: let it write its outputs */
	if (mkdir(out_dir, 0777) < 0 && errno != EEXIST) {
		fc_buf_addf(msg, "cannot create %s: %s", out_dir, strerror(errno));
		goto out;
	}
	chmod(out_dir, 0777);
	chmod(ctx->output_prefix, 0777);
	(void)outv;
	for (i = 0; in && i < in->n_variables; i++) {
		const char *var = in->variables[i]->key, *text = ctx->host->input_text(ctx, var);
		char *path;

		if (!var_name_ok(var) || !text)
			continue;
		path = path_join(in_dir, var);
		if (fc_write_file_atomic(path, text, strlen(text), false, &err)) {
			fc_buf_addf(msg, "%s", err.msg);
			free(path);
			goto out;
		}
		free(path);
	}
	rc = 0;
out:
	free(in_dir);
	free(out_dir);
	return rc;
}

static void add_env(json_t *env, const char *name, const char *value)
{
	if (value)
		json_array_append_new(env, json_pack("{s:s, s:s}", "name", name, "value", value));
}

static int create_pod(const struct plg_task_ctx *ctx, const struct plg_k8s_owner *owner, const char *name,
		      struct plg_transition *out)
{
	char *p_inputs = pod_path(ctx->inputs_path), *p_out = pod_path(ctx->output_prefix);
	char *p_raw = pod_path(ctx->raw_output_prefix), *p_sandbox = pod_path(ctx->sandbox_dir);
	char *p_prefix = NULL, *slash, *p_in_dir = NULL, *p_out_dir = NULL;
	struct plg_k8s_pod_task task = {0};
	struct fc_buf msg = FC_BUF_INIT, path = FC_BUF_INIT;
	struct kube_status st;
	struct fc_err err;
	json_t *pod = NULL, *container, *env;
	int rc;

	if (!p_inputs || !p_out || !p_sandbox) {
		fc_buf_addf(&msg, "the attempt's data (%s) is outside the data directory %s shared with pods",
			    ctx->output_prefix, rt.local_dir);
		fail(ctx, out, PLG_PHASE_PERMANENT_FAILURE, PLG_ERROR_SYSTEM, "DataVolume", msg.buf);
		goto out;
	}
	if (write_inputs(ctx, &msg) < 0) {
		fail(ctx, out, PLG_PHASE_RETRYABLE_FAILURE, PLG_ERROR_SYSTEM, "DataVolume", msg.buf);
		goto out;
	}
	p_prefix = fc_xstrdup(p_inputs);
	if ((slash = strrchr(p_prefix, '/')))
		*slash = '\0';
	p_in_dir = path_join(p_sandbox, "inputs");
	p_out_dir = path_join(p_sandbox, "outputs");
	task.namespace = owner->k8s_namespace;
	task.project = ctx->project;
	task.domain = ctx->domain;
	task.exec_name = ctx->exec_name;
	task.node_id = ctx->node_id;
	task.attempt = ctx->attempt;
	task.interruptible = ctx->interruptible;
	task.timeout_ns = ctx->timeout_ns;
	task.inputs_path = p_inputs;
	task.input_prefix = p_prefix;
	task.output_prefix = p_out;
	task.raw_output_prefix = p_raw ? p_raw : p_out;
	task.input_text = input_text_cb;
	task.ud = (void *)ctx;
	task.owner_api_version = "flyte.lyft.com/v1alpha1";
	task.owner_kind = "FlyteWorkflow";
	task.owner_name = owner->name;
	task.owner_uid = owner->uid[0] ? owner->uid : NULL;
	if (plg_k8s_pod_build(ctx->task_template, &task, &rt.cfg.pod, &pod, &err)) {
		fail(ctx, out, PLG_PHASE_PERMANENT_FAILURE, PLG_ERROR_USER, "BadTaskSpecification", err.msg);
		goto out;
	}
	container = json_array_get(json_object_get(json_object_get(pod, "spec"), "containers"), 0);
	env = json_object_get(container, "env");
	if (!json_is_array(env)) {
		env = json_array();
		json_object_set_new(container, "env", env);
	}
	add_env(env, "FLYTE_INPUT_DIR", p_in_dir);
	add_env(env, "FLYTE_OUTPUT_DIR", p_out_dir);
	add_env(env, "FLYTE_OUTPUT_PREFIX", p_out);
	add_env(env, "FLYTE_RAW_OUTPUT_PREFIX", task.raw_output_prefix);
	add_env(env, "FLYTE_SANDBOX", p_sandbox);
	add_env(env, "FLYTE_INTERNAL_NODE_ID", ctx->node_id);
	fc_buf_addf(&path, "/api/v1/namespaces/%s/pods", owner->k8s_namespace);
	rc = kube_create(rt.cfg.client, path.buf, pod, NULL, &st, &err);
	if (rc == FC_OK || rc == FC_EEXIST) {
		struct pod_state ps = {POD_STATE_MAGIC, 1, now_ms()};

		count(rc == FC_OK ? &rt.stats.pods_created : &rt.stats.pods_adopted);
		ctx->host->set_state(ctx, &ps, sizeof(ps));
		out->phase = PLG_PHASE_QUEUED;
		out->reason = rc == FC_OK ? "pod created" : "pod adopted";
		ctx->host->wake_at(ctx, (now_ms() + rt.cfg.poll_ms) * 1000000LL);
	} else if (rc == FC_EINVAL || rc == FC_EPERM) {
		fc_buf_addf(&msg, "creating pod %s: %s", name, err.msg);
		fail(ctx, out, PLG_PHASE_PERMANENT_FAILURE, PLG_ERROR_SYSTEM, "PodCreateFailed", msg.buf);
	} else {
		/* the API server is away (restart, overload): try again in a moment, the name keeps it exactly once */
		out->phase = PLG_PHASE_NOT_READY;
		out->reason = "API server unavailable; creating the pod again shortly";
		ctx->host->wake_at(ctx, (now_ms() + 1000) * 1000000LL);
	}
out:
	json_decref(pod);
	fc_buf_release(&msg);
	fc_buf_release(&path);
	free(p_inputs);
	free(p_out);
	free(p_raw);
	free(p_sandbox);
	free(p_prefix);
	free(p_in_dir);
	free(p_out_dir);
	return 0;
}

static bool error_document(const struct plg_task_ctx *ctx, struct plg_transition *out)
{
	char *path = path_join(ctx->output_prefix, "error.pb");
	struct fc_buf b = FC_BUF_INIT;
	struct fc_err err;
	Flyteidl__Core__ErrorDocument *doc = NULL;
	bool found = false;

	if (access(path, F_OK) == 0 && fc_buf_read_file(&b, path, 1 << 20, &err) == FC_OK)
		doc = flyteidl__core__error_document__unpack(NULL, b.len, (const uint8_t *)b.buf);
	if (doc && doc->error) {
		const Flyteidl__Core__ContainerError *ce = doc->error;

		fail(ctx, out,
		     ce->kind == FLYTEIDL__CORE__CONTAINER_ERROR__KIND__RECOVERABLE ? PLG_PHASE_RETRYABLE_FAILURE
										     : PLG_PHASE_PERMANENT_FAILURE,
		     ce->origin == FLYTEIDL__CORE__EXECUTION_ERROR__ERROR_KIND__SYSTEM ? PLG_ERROR_SYSTEM : PLG_ERROR_USER,
		     ctx->host->strdup(ctx, ce->code && ce->code[0] ? ce->code : "UserError"), ce->message ? ce->message : "");
		found = true;
	}
	if (doc)
		flyteidl__core__error_document__free_unpacked(doc, NULL);
	fc_buf_release(&b);
	free(path);
	return found;
}

static void collect_outputs(const struct plg_task_ctx *ctx, struct plg_transition *out)
{
	const Flyteidl__Core__TaskTemplate *t = ctx->task_template;
	const Flyteidl__Core__VariableMap *outv = t->interface ? t->interface->outputs : NULL;
	char *pb = path_join(ctx->output_prefix, "outputs.pb"), *dir = path_join(ctx->sandbox_dir, "outputs");
	size_t i;

	out->phase = PLG_PHASE_SUCCESS;
	if (!outv || !outv->n_variables || access(pb, F_OK) == 0)
		goto out; /* outputs.pb written by the task wins; the engine reads it */
	for (i = 0; i < outv->n_variables && out->phase == PLG_PHASE_SUCCESS; i++) {
		const char *var = outv->variables[i]->key;
		char *path, errbuf[512];
		struct fc_buf text = FC_BUF_INIT, msg = FC_BUF_INIT;
		struct fc_err err;

		if (!var_name_ok(var))
			continue;
		path = path_join(dir, var);
		if (access(path, F_OK) != 0 || fc_buf_read_file(&text, path, FC_K8S_POD_MAX_OUTPUT_FILE, &err)) {
			fc_buf_addf(&msg, "the pod wrote no output '%s' (expected the file %s on the data volume)", var, path);
			fail(ctx, out, PLG_PHASE_RETRYABLE_FAILURE, PLG_ERROR_USER, "MissingOutput", msg.buf);
		} else if (ctx->host->set_output_text(ctx, var, text.buf, errbuf, sizeof(errbuf)) < 0) {
			fc_buf_addf(&msg, "output '%s': %s", var, errbuf);
			fail(ctx, out, PLG_PHASE_PERMANENT_FAILURE, PLG_ERROR_USER, "BadOutput", msg.buf);
		}
		fc_buf_release(&text);
		fc_buf_release(&msg);
		free(path);
	}
out:
	free(pb);
	free(dir);
}

static int k8s_handle(const struct plg_task_ctx *ctx, struct plg_transition *out)
{
	struct plg_k8s_owner owner;
	struct pod_state ps = {0};
	struct plg_k8s_pod_status st;
	struct fc_buf name = FC_BUF_INIT, key = FC_BUF_INIT, logs = FC_BUF_INIT;
	json_t *pod = NULL;
	int64_t now = now_ms();

	memset(out, 0, sizeof(*out));
	if (!rt.ready) {
		fail(ctx, out, PLG_PHASE_PERMANENT_FAILURE, PLG_ERROR_SYSTEM, "NoCluster",
		     "the pod runtime is not configured (run under `flytec propeller`)");
		return 0;
	}
	memset(&owner, 0, sizeof(owner));
	if (!rt.cfg.owner(rt.cfg.owner_ud, ctx->project, ctx->domain, ctx->exec_name, &owner)) {
		fail(ctx, out, PLG_PHASE_PERMANENT_FAILURE, PLG_ERROR_SYSTEM, "NoOwner",
		     "no FlyteWorkflow resource is known for this execution");
		return 0;
	}
	if (ctx->state && ctx->state_len == sizeof(ps))
		memcpy(&ps, ctx->state, sizeof(ps));
	if (ps.magic != POD_STATE_MAGIC)
		memset(&ps, 0, sizeof(ps));
	plg_k8s_pod_name(ctx->exec_name, ctx->node_id, ctx->attempt, &name);
	fc_buf_addf(&key, "%s/%s", owner.k8s_namespace, name.buf);
	pod = kube_store_get(rt.cfg.pods, key.buf);
	if (!pod && !ps.created) {
		create_pod(ctx, &owner, name.buf, out);
		goto out;
	}
	if (!pod && now - ps.created_ms < rt.cfg.missing_grace_ms) {
		/* created, not yet seen by the informer */
		out->phase = PLG_PHASE_QUEUED;
		ctx->host->wake_at(ctx, (now + rt.cfg.poll_ms) * 1000000LL);
		goto out;
	}
	if (!pod) {
		struct fc_buf path = FC_BUF_INIT;
		struct kube_status ks;
		struct fc_err err;
		int rc;

		count(&rt.stats.gets);
		fc_buf_addf(&path, "/api/v1/namespaces/%s/pods/%s", owner.k8s_namespace, name.buf);
		rc = kube_get(rt.cfg.client, path.buf, &pod, &ks, &err);
		fc_buf_release(&path);
		if (rc && rc != FC_ENOENT) {
			out->phase = PLG_PHASE_RUNNING;
			ctx->host->wake_at(ctx, (now + 1000) * 1000000LL);
			goto out;
		}
	}
	plg_k8s_pod_phase(pod, now, &rt.cfg.pod, &st);
	fc_buf_addf(&logs, "/api/v1/namespaces/%s/pods/%s/log", owner.k8s_namespace, name.buf);
	out->logs[0].name = "pod";
	out->logs[0].uri = ctx->host->strdup(ctx, logs.buf);
	out->nlogs = 1;
	switch (st.phase) {
	case PLG_PHASE_SUCCESS:
		if (!error_document(ctx, out))
			collect_outputs(ctx, out);
		break;
	case PLG_PHASE_RETRYABLE_FAILURE:
	case PLG_PHASE_PERMANENT_FAILURE:
		if (!error_document(ctx, out))
			fail(ctx, out, st.phase, st.error_kind ? st.error_kind : PLG_ERROR_USER,
			     ctx->host->strdup(ctx, st.code[0] ? st.code : "PodFailed"), st.message);
		break;
	default:
		out->phase = st.phase;
		if (st.message[0])
			out->reason = ctx->host->strdup(ctx, st.message);
		ctx->host->wake_at(ctx, (now + rt.cfg.poll_ms) * 1000000LL);
		break;
	}
out:
	json_decref(pod);
	fc_buf_release(&name);
	fc_buf_release(&key);
	fc_buf_release(&logs);
	return 0;
}

static int k8s_abort(const struct plg_task_ctx *ctx)
{
	struct plg_k8s_owner owner;
	struct fc_buf name = FC_BUF_INIT, path = FC_BUF_INIT;
	struct kube_status st;
	struct fc_err err;
	int rc;

	if (!rt.ready)
		return 0;
	memset(&owner, 0, sizeof(owner));
	if (!rt.cfg.owner(rt.cfg.owner_ud, ctx->project, ctx->domain, ctx->exec_name, &owner))
		return 0; /* the resource is gone: its pods go with it (ownerReference) */
	plg_k8s_pod_name(ctx->exec_name, ctx->node_id, ctx->attempt, &name);
	fc_buf_addf(&path, "/api/v1/namespaces/%s/pods/%s", owner.k8s_namespace, name.buf);
	rc = kube_delete(rt.cfg.client, path.buf, NULL, &st, &err);
	if (rc == FC_OK)
		count(&rt.stats.pods_deleted);
	fc_buf_release(&name);
	fc_buf_release(&path);
	return rc == FC_OK || rc == FC_ENOENT ? 0 : -1;
}

static const char *const k8s_task_types[] = {"container", "raw-container", "python-task", NULL};

const struct plg_plugin plg_k8s_runtime_plugin = {
	.abi_version = PLG_ABI_VERSION,
	.name = "k8s-pod",
	.task_types = k8s_task_types,
	.handle = k8s_handle,
	.abort = k8s_abort,
};
