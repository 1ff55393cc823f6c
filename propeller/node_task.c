/* node_task.c: task nodes: cache lookup and serialization, attempts through the plugin of the task's type,
 * retries (user and system budgets), timeouts. */
#include "propeller/node_int.h"

#include "core/err.h"
#include "core/log.h"
#include "plugins/registry.h"
#include "propeller/catalog.h"
#include "propeller/events.h"
#include "compiler/lit.h"
#include "propeller/store.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- tasks ------------------------------------------------------------------------------------------------- */

static uint32_t task_retries(struct prop_node *n)
{
	const Flyteidl__Core__NodeMetadata *md = prop_node_spec(n)->metadata;

	if (md && md->retries && md->retries->retries)
		return md->retries->retries;
	if (n->task && n->task->metadata && n->task->metadata->retries)
		return n->task->metadata->retries->retries;
	return 0;
}

static int64_t task_timeout_ns(struct prop_node *n)
{
	const Flyteidl__Core__NodeMetadata *md = prop_node_spec(n)->metadata;
	const Google__Protobuf__Duration *d = NULL;

	if (md && md->timeout)
		d = md->timeout;
	else if (n->task && n->task->metadata && n->task->metadata->timeout)
		d = n->task->metadata->timeout;
	if (!d)
		return 0;
	return d->seconds * 1000000000 + d->nanos;
}

/* The cache version of a cacheable task node, or NULL. */
static const char *cache_version(struct prop_node *n)
{
	const Flyteidl__Core__NodeMetadata *md = prop_node_spec(n)->metadata;

	if (md && md->cacheable_value_case == FLYTEIDL__CORE__NODE_METADATA__CACHEABLE_VALUE_CACHEABLE &&
	    !md->cacheable)
		return NULL;
	if (md && md->cache_version_value_case == FLYTEIDL__CORE__NODE_METADATA__CACHE_VERSION_VALUE_CACHE_VERSION &&
	    *md->cache_version)
		return md->cache_version;
	if (n->task && n->task->metadata && n->task->metadata->discoverable)
		return n->task->metadata->discovery_version;
	if (md && md->cacheable_value_case == FLYTEIDL__CORE__NODE_METADATA__CACHEABLE_VALUE_CACHEABLE && md->cacheable)
		return "";
	return NULL;
}

static const char *cache_key_of(struct prop_node *n)
{
	struct fc_buf key = FC_BUF_INIT;

	if (!n->cache_key) {
		prop_catalog_key(n->task, cache_version(n), n->inputs, &key);
		n->cache_key = fc_arena_strdup(&n->wf->ex->arena, key.buf);
		fc_buf_release(&key);
	}
	return n->cache_key;
}

/* Does the node serialize its cache (Flyte's cache_serializable, of the node's metadata or else the task's)? */
static bool cache_serializable(struct prop_node *n)
{
	const Flyteidl__Core__NodeMetadata *md = prop_node_spec(n)->metadata;

	if (md && md->cache_serializable_value_case ==
			  FLYTEIDL__CORE__NODE_METADATA__CACHE_SERIALIZABLE_VALUE_CACHE_SERIALIZABLE)
		return md->cache_serializable;
	return n->task && n->task->metadata && n->task->metadata->cache_serializable;
}

/* How long a node waits before looking again at a reservation held by another process (its release cannot wake
 * us): 50 ms, doubling up to 2 s. A reservation held in this engine wakes its waiters when released; they look
 * again after 2 s all the same, as a safety net. */
#define CACHE_POLL_FIRST_NS (50 * 1000000LL)
#define CACHE_POLL_MAX_NS (2000 * 1000000LL)

static void cache_wait(struct prop_node *n, bool in_this_engine)
{
	struct prop_engine *e = n->wf->ex->e;
	int64_t delay = CACHE_POLL_MAX_NS;

	if (!in_this_engine) {
		delay = CACHE_POLL_FIRST_NS << (n->cache_polls < 6 ? n->cache_polls : 6);
		if (delay > CACHE_POLL_MAX_NS)
			delay = CACHE_POLL_MAX_NS;
		if (n->cache_polls < 255)
			n->cache_polls++;
	}
	if (!n->cache_waiting) {
		n->cache_waiting = true;
		FC_ALLOC_GROW(e->cache_waiters, e->ncache_waiters + 1, e->cache_waiters_alloc);
		e->cache_waiters[e->ncache_waiters++] = n;
	}
	prop_set_wake(n, prop_now_ns() + delay);
}

/* Give back the reservation the node holds (it finished, failed or was aborted) and wake the nodes of this engine
 * that wait for it: one of them finds the entry (or takes the reservation and runs, when this one failed). */
void prop_cache_release(struct prop_node *n)
{
	struct prop_engine *e = n->wf->ex->e;
	struct fc_err err;
	size_t i, kept = 0;

	n->cache_waiting = false; /* dropped from the list below, or at the next release */
	if (!n->cache_reserved)
		return;
	n->cache_reserved = false;
	if (prop_catalog_release(e->catalog, n->cache_key, e->cache_owner.engine, &err))
		fc_warn("cache: %s", err.msg);
	for (i = 0; i < e->ncache_waiters; i++) {
		struct prop_node *w = e->cache_waiters[i];

		if (!w->cache_waiting)
			continue;
		if (!strcmp(w->cache_key, n->cache_key)) {
			w->cache_waiting = false;
			prop_enqueue(w);
			continue;
		}
		e->cache_waiters[kept++] = w;
	}
	e->ncache_waiters = kept;
}

void prop_cache_forget_exec(struct prop_engine *e, struct prop_exec *ex)
{
	size_t i, kept = 0;

	for (i = 0; i < e->ncache_waiters; i++)
		if (e->cache_waiters[i]->wf->ex != ex)
			e->cache_waiters[kept++] = e->cache_waiters[i];
	e->ncache_waiters = kept;
}

/* Read the catalog entry of the node's key. Returns true on a hit (the node's outputs are set). */
static bool cache_read(struct prop_node *n, const char *key)
{
	struct prop_exec *ex = n->wf->ex;
	struct fc_buf out_key = FC_BUF_INIT;
	void *msg = NULL;
	bool hit = false;

	if (!prop_catalog_get(ex->e->catalog, key, &out_key, NULL)) {
		if (!prop_store_get_msg(ex->e->store, out_key.buf, &ex->arena, &flyteidl__core__literal_map__descriptor,
					&msg, NULL)) {
			n->outputs = msg;
			hit = true;
		} else {
			/* The entry's data is gone: forget it and run the task. */
			fc_warn("cache entry %s points to missing data %s; running the task", key, out_key.buf);
			prop_catalog_delete(ex->e->catalog, key, NULL);
		}
	}
	fc_buf_release(&out_key);
	return hit;
}

enum cache_outcome { CACHE_RUN, CACHE_DONE, CACHE_WAIT };

/* Before the first attempt of a cached task: a hit ends the node (CACHE_DONE); a serializable task whose key
 * another node computes right now waits (CACHE_WAIT); otherwise the task runs. */
static enum cache_outcome cache_lookup(struct prop_node *n)
{
	struct prop_exec *ex = n->wf->ex;
	struct prop_engine *e = ex->e;
	struct fc_buf holder = FC_BUF_INIT;
	struct fc_err err;
	const char *key;
	bool got = false;

	n->cache_waiting = false; /* woken */
	if (!cache_version(n) || (n->plugin && n->plugin->disable_node_level_caching))
		return CACHE_RUN;
	key = cache_key_of(n);
	if (ex->cfg.overwrite_cache) {
		n->cache_status = FLYTEIDL__CORE__CATALOG_CACHE_STATUS__CACHE_SKIPPED;
		return CACHE_RUN;
	}
	if (cache_read(n, key))
		goto hit;
	if (cache_serializable(n) && !n->cache_reserved) {
		char *what = fc_arena_printf(&ex->arena, "%s/%s", ex->key, n->uid);

		if (prop_catalog_reserve(e->catalog, key, &e->cache_owner, what, &got, &holder, &err)) {
			fc_warn("cache: %s; running %s without waiting for identical tasks", err.msg, n->uid);
		} else if (!got) {
			fc_debug("%s: waiting for %s, which computes the same cache key", n->uid, holder.buf);
			cache_wait(n, !strcmp(holder.buf, e->cache_owner.engine));
			fc_buf_release(&holder);
			return CACHE_WAIT;
		} else {
			n->cache_reserved = true;
			/* The previous holder may have stored the entry just before giving the reservation back. */
			if (cache_read(n, key)) {
				prop_cache_release(n);
				goto hit;
			}
		}
		fc_buf_release(&holder);
	}
	n->cache_status = FLYTEIDL__CORE__CATALOG_CACHE_STATUS__CACHE_MISS;
	e->stats.cache_misses++;
	return CACHE_RUN;
hit:
	n->cache_status = FLYTEIDL__CORE__CATALOG_CACHE_STATUS__CACHE_HIT;
	e->stats.cache_hits++;
	return CACHE_DONE;
}

static void cache_store(struct prop_node *n)
{
	struct prop_exec *ex = n->wf->ex;
	struct fc_buf out_key = FC_BUF_INIT;
	struct fc_err err;
	const char *version = cache_version(n);

	if (!version || n->cache_status == FLYTEIDL__CORE__CATALOG_CACHE_STATUS__CACHE_HIT ||
	    (n->plugin && n->plugin->disable_node_level_caching))
		return;
	prop_attempt_key(n, prop_cur_attempt(n), "outputs.pb", &out_key);
	/* Empty outputs are not written by prop_save_outputs(); the cache needs the file. */
	if (!n->outputs->n_literals)
		prop_store_put_msg(ex->e->store, out_key.buf, &n->outputs->base, NULL);
	if (prop_catalog_put(ex->e->catalog, cache_key_of(n), n->task->id ? n->task->id->name : "", version,
			     out_key.buf, ex->key, &err))
		fc_warn("cache: %s", err.msg);
	else
		n->cache_status = FLYTEIDL__CORE__CATALOG_CACHE_STATUS__CACHE_POPULATED;
	fc_buf_release(&out_key);
}

void prop_node_init_task_ctx(struct prop_node *n, struct plg_task_ctx *ctx, struct fc_buf *paths)
{
	struct prop_exec *ex = n->wf->ex;
	size_t off_in, off_out, off_sb, off_ex;

	memset(ctx, 0, sizeof(*ctx));
	fc_buf_reset(paths);
	prop_store_local_path(ex->e->store, ex->key, paths, NULL);
	fc_buf_addf(paths, "/%s/data/inputs.pb", n->uid);
	off_in = 0;
	fc_buf_addch(paths, '\0');
	off_out = paths->len;
	prop_store_local_path(ex->e->store, ex->key, paths, NULL);
	fc_buf_addf(paths, "/%s/data/%u", n->uid, prop_cur_attempt(n));
	fc_buf_addch(paths, '\0');
	off_sb = paths->len;
	prop_store_local_path(ex->e->store, ex->key, paths, NULL);
	fc_buf_addf(paths, "/%s/data/%u/sandbox", n->uid, prop_cur_attempt(n));
	fc_buf_addch(paths, '\0');
	off_ex = paths->len;
	prop_store_local_path(ex->e->store, ex->key, paths, NULL);
	ctx->inputs_path = paths->buf + off_in;
	ctx->output_prefix = paths->buf + off_out;
	ctx->sandbox_dir = paths->buf + off_sb;
	ctx->exec_dir = paths->buf + off_ex;
	ctx->raw_output_prefix = ex->raw_prefix;
	ctx->host_data = n;
	ctx->task_type = n->task->type;
	ctx->task_name = n->task->id ? n->task->id->name : "";
	ctx->task_template = n->task;
	ctx->inputs = n->inputs;
	ctx->project = ex->project;
	ctx->domain = ex->domain;
	ctx->exec_name = ex->name;
	ctx->node_id = n->uid;
	ctx->attempt = prop_cur_attempt(n);
	ctx->interruptible = ex->cfg.interruptible;
	ctx->timeout_ns = task_timeout_ns(n);
	ctx->state = n->pstate;
	ctx->state_len = n->pstate_len;
}

extern const struct plg_host prop_plugin_host;

static void finish_attempt(struct prop_node *n, struct plg_task_ctx *ctx)
{
	if (n->plugin && n->plugin->finalize)
		n->plugin->finalize(ctx);
	free(n->pstate);
	n->pstate = NULL;
	n->pstate_len = 0;
	n->set_outputs = NULL;
	prop_node_close_watch(n);
	prop_release_slot(n);
	n->wake_ns = 0;
}

/* Read and check the outputs of a succeeded attempt. Returns 0 or an error with n->error_* set. */
static int take_outputs(struct prop_node *n)
{
	struct prop_exec *ex = n->wf->ex;
	const Flyteidl__Core__VariableMap *decl = prop_declared_outputs(n);
	struct fc_buf key = FC_BUF_INIT;
	struct fc_err err;
	void *msg = NULL;
	size_t i;
	int rc = 0;

	prop_attempt_key(n, prop_cur_attempt(n), "outputs.pb", &key);
	if (n->set_outputs) {
		n->outputs = n->set_outputs;
	} else {
		rc = prop_store_get_msg(ex->e->store, key.buf, &ex->arena, &flyteidl__core__literal_map__descriptor,
					&msg, &err);
		if (rc == FC_ENOENT) {
			rc = 0;
			msg = cmp_litmap_new(&ex->arena);
		} else if (rc) {
			prop_node_set_error(n, "BadOutputs", PLG_ERROR_USER, "%s", err.msg);
			goto out;
		}
		n->outputs = msg;
	}
	for (i = 0; decl && i < decl->n_variables; i++) {
		if (!cmp_litmap_get(n->outputs, decl->variables[i]->key)) {
			prop_node_set_error(n, "MissingOutput", PLG_ERROR_USER, "the task produced no output '%s'",
				  decl->variables[i]->key);
			rc = FC_EINVAL;
			goto out;
		}
	}
	if (n->set_outputs && (rc = prop_save_outputs(n, &err)) != 0) {
		if (rc == FC_EUNAVAILABLE) {
			/* a full disk: the caller asks the plugin again later (handle() is idempotent) */
			n->outputs = NULL;
			n->set_outputs = NULL;
			prop_node_store_retry(n, &err);
			goto out;
		}
		prop_node_set_error(n, "OutputsNotWritten", PLG_ERROR_SYSTEM, "%s", err.msg);
	}
out:
	fc_buf_release(&key);
	return rc;
}

static void start_attempt(struct prop_node *n);

/* An attempt failed: retry it or fail the node. */
static void attempt_failed(struct prop_node *n, const char *code, const char *msg, int kind, bool retryable,
			   int final_phase)
{
	struct prop_exec *ex = n->wf->ex;
	uint32_t sys_budget = ex->e->cfg.system_retries ? ex->e->cfg.system_retries : 3;
	bool retry;

	n->error_code = fc_arena_strdup(&ex->arena, code ? code : "Failed");
	n->error_msg = fc_arena_strdup(&ex->arena, msg ? msg : "");
	n->error_kind = kind;
	if (kind == PLG_ERROR_SYSTEM) {
		n->sys_failures++;
		retry = retryable && n->sys_failures <= sys_budget;
	} else {
		n->user_failures++;
		retry = retryable && n->user_failures <= task_retries(n);
	}
	prop_mark_dirty(n);
	if (retry && !ex->abort_reason) {
		fc_debug("%s: attempt %u failed (%s), retrying", n->uid, prop_cur_attempt(n), code);
		n->phase = NP_QUEUED;
		prop_emit_node(n, FLYTEIDL__CORE__NODE_EXECUTION__PHASE__RUNNING);
		start_attempt(n);
		return;
	}
	prop_node_complete(n, final_phase);
}

static void handle_transition(struct prop_node *n, struct plg_task_ctx *ctx, const struct plg_transition *t)
{
	int task_phase, outputs_rc = 0;

	switch (t->phase) {
	case PLG_PHASE_SUCCESS:
		task_phase = FLYTEIDL__CORE__TASK_EXECUTION__PHASE__SUCCEEDED;
		break;
	case PLG_PHASE_RETRYABLE_FAILURE:
		task_phase = FLYTEIDL__CORE__TASK_EXECUTION__PHASE__RETRYABLE_FAILED;
		break;
	case PLG_PHASE_PERMANENT_FAILURE:
		task_phase = FLYTEIDL__CORE__TASK_EXECUTION__PHASE__FAILED;
		break;
	case PLG_PHASE_QUEUED:
	case PLG_PHASE_NOT_READY:
		task_phase = FLYTEIDL__CORE__TASK_EXECUTION__PHASE__QUEUED;
		break;
	case PLG_PHASE_WAITING_FOR_RESOURCES:
		task_phase = FLYTEIDL__CORE__TASK_EXECUTION__PHASE__WAITING_FOR_RESOURCES;
		break;
	case PLG_PHASE_INITIALIZING:
		task_phase = FLYTEIDL__CORE__TASK_EXECUTION__PHASE__INITIALIZING;
		break;
	default:
		task_phase = FLYTEIDL__CORE__TASK_EXECUTION__PHASE__RUNNING;
		break;
	}
	if (t->phase == PLG_PHASE_SUCCESS && (outputs_rc = take_outputs(n)) == FC_EUNAVAILABLE)
		return; /* the attempt stays running; stepped again after a back-off */
	if (t->phase == PLG_PHASE_SUCCESS && outputs_rc) {
		struct plg_transition bad = *t;

		bad.phase = PLG_PHASE_PERMANENT_FAILURE;
		bad.error_code = n->error_code;
		bad.error_message = n->error_msg;
		bad.error_kind = PLG_ERROR_USER;
		prop_emit_task(n, &bad, FLYTEIDL__CORE__TASK_EXECUTION__PHASE__FAILED);
		finish_attempt(n, ctx);
		prop_node_complete(n, NP_FAILED);
		return;
	}
	if ((uint32_t)task_phase != n->task_phase || t->version != n->task_version) {
		n->task_phase = (uint32_t)task_phase;
		n->task_version = t->version;
		prop_emit_task(n, t, task_phase);
		prop_mark_dirty(n);
	}
	switch (t->phase) {
	case PLG_PHASE_SUCCESS:
		finish_attempt(n, ctx);
		cache_store(n);
		prop_node_complete(n, NP_SUCCEEDED);
		break;
	case PLG_PHASE_RETRYABLE_FAILURE:
	case PLG_PHASE_PERMANENT_FAILURE:
		finish_attempt(n, ctx);
		attempt_failed(n, t->error_code, t->error_message, t->error_kind ? (int)t->error_kind : PLG_ERROR_USER,
			       t->phase == PLG_PHASE_RETRYABLE_FAILURE, NP_FAILED);
		break;
	default:
		break;
	}
}

static void run_plugin(struct prop_node *n)
{
	struct prop_engine *e = n->wf->ex->e;
	struct plg_task_ctx ctx;
	struct plg_transition t;
	struct fc_buf paths = FC_BUF_INIT;
	int64_t timeout = task_timeout_ns(n);

	prop_node_init_task_ctx(n, &ctx, &paths);
	ctx.host = &prop_plugin_host;
	e->scratch_depth++;
	if (timeout && prop_now_ns() >= n->attempt_started_ns + timeout) {
		struct plg_transition to;

		if (n->plugin->abort)
			n->plugin->abort(&ctx);
		memset(&to, 0, sizeof(to));
		to.phase = PLG_PHASE_RETRYABLE_FAILURE;
		to.error_code = "Timeout";
		to.error_message = "the task attempt ran past its timeout";
		to.error_kind = PLG_ERROR_USER;
		prop_emit_task(n, &to, FLYTEIDL__CORE__TASK_EXECUTION__PHASE__FAILED);
		finish_attempt(n, &ctx);
		attempt_failed(n, "Timeout",
			       fc_arena_printf(&n->wf->ex->arena, "attempt %u ran past its timeout of %.3fs",
					       prop_cur_attempt(n), (double)timeout / 1e9),
			       PLG_ERROR_USER, true, NP_TIMED_OUT);
		goto out;
	}
	prop_node_close_watch(n);
	memset(&t, 0, sizeof(t));
	if (n->plugin->handle(&ctx, &t) < 0) {
		t.phase = PLG_PHASE_RETRYABLE_FAILURE;
		t.error_kind = PLG_ERROR_SYSTEM;
		if (!t.error_code)
			t.error_code = "PluginError";
	}
	if (timeout && !prop_phase_terminal(t.phase == PLG_PHASE_SUCCESS ? NP_SUCCEEDED : NP_RUNNING))
		prop_set_wake(n, n->attempt_started_ns + timeout);
	handle_transition(n, &ctx, &t);
out:
	fc_buf_release(&paths);
	if (!--e->scratch_depth) {
		fc_arena_release(&e->scratch);
		fc_arena_init(&e->scratch, 4096);
	}
}

static void start_attempt(struct prop_node *n)
{
	struct prop_exec *ex = n->wf->ex;
	struct fc_buf dir = FC_BUF_INIT;
	struct fc_err err;
	size_t base_len;

	if (!prop_take_slot(n))
		return; /* queued for a slot; stepped again when one frees */
	n->attempts++;
	n->attempt_started_ns = prop_now_ns();
	n->task_phase = 0;
	n->task_version = 0;
	free(n->pstate);
	n->pstate = NULL;
	n->pstate_len = 0;
	prop_store_local_path(ex->e->store, ex->key, &dir, NULL);
	base_len = dir.len; /* the execution's directory exists: start-node's outputs are in it */
	fc_buf_addf(&dir, "/%s/data/%u/sandbox", n->uid, prop_cur_attempt(n));
	/* The container plugin makes its sandbox itself, and only when the task needs one (no directory at all for a
	 * task that declares nothing: 4 file system entries less per attempt). */
	if (plg_needs_sandbox(n->plugin, n->task) &&
	    ex->e->runtime.ops->prepare_attempt(ex->e->runtime.ctx, dir.buf, base_len, &err)) {
		fc_buf_release(&dir);
		if (err.code == FC_EUNAVAILABLE) {
			/* a full disk: this attempt did not start; start it later */
			n->attempts--;
			prop_release_slot(n);
			prop_node_store_retry(n, &err);
			return;
		}
		attempt_failed(n, "SandboxFailed", err.msg, PLG_ERROR_SYSTEM, true, NP_FAILED);
		return;
	}
	n->store_retries = 0;
	fc_buf_release(&dir);
	ex->e->stats.tasks_started++;
	if (n->phase != NP_RUNNING) {
		n->phase = NP_RUNNING;
		prop_emit_node(n, FLYTEIDL__CORE__NODE_EXECUTION__PHASE__RUNNING);
	}
	prop_mark_dirty(n);
	run_plugin(n);
}

static void task_step(struct prop_node *n)
{
	struct prop_exec *ex = n->wf->ex;

	if (!n->task) {
		prop_node_fail(n, NP_FAILED, "TaskNotFound", PLG_ERROR_SYSTEM, "the closure has no template for this task");
		return;
	}
	if (!n->plugin) {
		n->plugin = ex->e->runtime.ops->plugin_for(ex->e->runtime.ctx, n->task->type);
		if (!n->plugin) {
			prop_node_fail(n, NP_FAILED, "NoPlugin", PLG_ERROR_SYSTEM,
				  fc_arena_printf(&ex->arena, "no plugin handles task type '%s'", n->task->type));
			return;
		}
	}
	if (n->phase == NP_QUEUED) {
		if (n->attempts == 0 && !n->waiting_slot) {
			switch (cache_lookup(n)) {
			case CACHE_DONE:
				prop_mark_dirty(n);
				prop_node_complete(n, NP_SUCCEEDED);
				return;
			case CACHE_WAIT:
				return;
			case CACHE_RUN:
				break;
			}
		}
		start_attempt(n);
		return;
	}
	/* Running: resume after a restart, or a wake-up. */
	if (!n->holds_slot && !prop_take_slot(n))
		return;
	if (!n->cache_reserved && n->cache_status == FLYTEIDL__CORE__CATALOG_CACHE_STATUS__CACHE_MISS &&
	    cache_version(n) && cache_serializable(n)) {
		/* After a restart: take back the reservation our dead process held, so that identical tasks keep
		 * waiting for this one (if another process took it over meanwhile, both run). */
		struct fc_err err;
		bool got = false;

		if (!prop_catalog_reserve(ex->e->catalog, cache_key_of(n), &ex->e->cache_owner,
					  fc_arena_printf(&ex->arena, "%s/%s", ex->key, n->uid), &got, NULL, &err) &&
		    got)
			n->cache_reserved = true;
	}
	run_plugin(n);
}

/* Stop a running attempt: the plugin aborts and releases it, and the attempt's event says ABORTED. */
static void task_abort(struct prop_node *n)
{
	struct plg_task_ctx ctx;
	struct fc_buf paths = FC_BUF_INIT;
	struct plg_transition t;

	if (n->phase != NP_RUNNING || !n->plugin || !n->holds_slot)
		return;
	prop_node_init_task_ctx(n, &ctx, &paths);
	ctx.host = &prop_plugin_host;
	if (n->plugin->abort)
		n->plugin->abort(&ctx);
	if (n->plugin->finalize)
		n->plugin->finalize(&ctx);
	fc_buf_release(&paths);
	memset(&t, 0, sizeof(t));
	t.phase = PLG_PHASE_PERMANENT_FAILURE;
	prop_emit_task(n, &t, FLYTEIDL__CORE__TASK_EXECUTION__PHASE__ABORTED);
}

const struct prop_node_handler prop_task_node_handler = {
	.name = "task",
	.starts_running = false,
	.step = task_step,
	.abort = task_abort,
};
