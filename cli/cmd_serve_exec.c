/*
 * cmd_serve_exec.c: the executor inside `flytec serve`: admin-lite's queue feeding the propeller, and the
 * propeller's events feeding admin-lite's events intake. The planes meet only through IDL messages: the
 * execution's compiled closure, inputs and spec go in; flyteidl.event messages come out.
 *
 * One thread: claim queued executions (adm_queue_claim) and submit them (prop_engine_submit), pass abort requests
 * on (adm_queue_aborting -> prop_engine_abort), and step the engine, which delivers events to the sink below
 * (adm_intake_event, Flyte's transition rules). After a crash, the engine resumes what it had (its own state
 * under DATA_DIR/propeller), and executions claimed but never submitted are claimed again.
 */
#include "admin-lite/service.h"
#include "admin-lite/store.h"
#include "cli/cmd_admin.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "propeller/engine.h"
#include "propeller/events.h"
#include "propeller/lit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define EXEC_OWNER "flytec-serve"
#define CLAIMS_PER_ROUND 16
#define STEP_MS 50

struct admin_sink {
	struct prop_event_sink base;
	struct adm_store *store;
};

/* Approve and signal gates read the admin's signals: the gate creates its signal (so it is listed and can be set
 * with POST /api/v1/signals) and waits until it has a value. */
static int signal_get(void *ctx, const char *project, const char *domain, const char *exec_name, const char *signal_id,
		      const Flyteidl__Core__LiteralType *type, struct fc_arena *arena, Flyteidl__Core__Literal **value,
		      struct fc_err *err)
{
	struct adm_store *store = ctx;
	struct adm_signal want, got;
	size_t len = protobuf_c_message_get_packed_size(&type->base);
	uint8_t *type_bytes = fc_arena_alloc(arena, len + 1);
	int rc;

	*value = NULL;
	protobuf_c_message_pack(&type->base, type_bytes);
	memset(&want, 0, sizeof(want));
	want.exec.project = project;
	want.exec.domain = domain;
	want.exec.name = exec_name;
	want.signal_id = signal_id;
	want.type = type_bytes;
	want.type_len = len;
	rc = adm_signal_get_or_create(store, &want, arena, &got, err);
	if (rc)
		return rc;
	if (!got.value || !got.value_len)
		return FC_OK;
	*value = flyteidl__core__literal__unpack(fc_arena_pb_allocator(arena), got.value_len, got.value);
	if (!*value)
		return fc_err_set(err, FC_EINVAL, "signal '%s' holds a value that is not a literal", signal_id);
	return FC_OK;
}

/* Launch-plan nodes run the plan's registered workflow inside the calling execution (see docs/propeller.md). */
static int launch_plan_get(void *ctx, const Flyteidl__Core__Identifier *lp_id, struct fc_arena *arena,
			   const Flyteidl__Core__CompiledWorkflowClosure **closure, Flyteidl__Core__LiteralMap **defaults,
			   Flyteidl__Core__LiteralMap **fixed, struct fc_err *err)
{
	struct adm_store *store = ctx;
	struct adm_entity lpe, wfe;
	struct adm_id id = {lp_id->project, lp_id->domain, lp_id->name, lp_id->version};
	Flyteidl__Admin__LaunchPlanSpec *spec;
	const Flyteidl__Core__ParameterMap *pm;
	size_t i;
	int rc;

	rc = adm_entity_get(store, ADM_LAUNCH_PLAN, &id, arena, &lpe, err);
	if (rc)
		return rc;
	spec = flyteidl__admin__launch_plan_spec__unpack(fc_arena_pb_allocator(arena), lpe.spec_len, lpe.spec);
	if (!spec || !spec->workflow_id)
		return fc_err_set(err, FC_EINVAL, "launch plan '%s' is stored unreadable", lp_id->name);
	id.project = spec->workflow_id->project;
	id.domain = spec->workflow_id->domain;
	id.name = spec->workflow_id->name;
	id.version = spec->workflow_id->version;
	rc = adm_entity_get(store, ADM_WORKFLOW, &id, arena, &wfe, err);
	if (rc)
		return rc;
	*closure = flyteidl__core__compiled_workflow_closure__unpack(fc_arena_pb_allocator(arena), wfe.spec_len, wfe.spec);
	if (!*closure || !(*closure)->primary)
		return fc_err_set(err, FC_EINVAL, "workflow '%s' is stored unreadable", id.name);
	*fixed = spec->fixed_inputs;
	*defaults = prop_litmap_new(arena, 4);
	pm = spec->default_inputs;
	for (i = 0; pm && i < pm->n_parameters; i++)
		if (pm->parameters[i]->value->behavior_case == FLYTEIDL__CORE__PARAMETER__BEHAVIOR_DEFAULT)
			prop_litmap_put(arena, *defaults, pm->parameters[i]->key, pm->parameters[i]->value->default_);
	return FC_OK;
}

struct serve_exec {
	struct adm_store *store;
	struct admin_sink sink;
	struct prop_signal_source signals;
	struct prop_launch_plan_source launch_plans;
	struct prop_engine *engine;
	pthread_t thread;
	bool started;
	int stop; /* atomic */
};

/* Hand one propeller event to the admin. Refusals that retrying cannot fix (an event out of a terminal phase, an
 * execution the admin does not know) are accepted and logged, or the engine would retry them forever. */
static int sink_send(struct prop_event_sink *base, const struct prop_event *ev, struct fc_err *err)
{
	struct admin_sink *sink = (struct admin_sink *)base;
	struct fc_err e;
	bool applied = false;
	int rc;

	switch (ev->kind) {
	case PROP_EVENT_WORKFLOW:
	case PROP_EVENT_NODE:
	case PROP_EVENT_TASK:
		rc = adm_intake_event(sink->store, ev->msg, &applied, &e);
		break;
	default:
		return 0;
	}
	if (!rc)
		return 0;
	if (adm_store_retryable(rc) || rc == FC_EIO) {
		if (err)
			*err = e;
		return rc; /* the store is busy, full or failing: nothing was stored, the engine sends it again later */
	}
	fc_warn("serve: event %s #%llu not applied: %s", ev->exec_key, (unsigned long long)ev->seq, e.msg);
	return 0;
}

/* The execution could not start at all: record it as FAILED with the reason. */
static void report_failed(struct adm_store *store, const struct adm_exec_id *id, const char *code, const char *msg)
{
	Flyteidl__Event__WorkflowExecutionEvent ev = FLYTEIDL__EVENT__WORKFLOW_EXECUTION_EVENT__INIT;
	Flyteidl__Core__ExecutionError error = FLYTEIDL__CORE__EXECUTION_ERROR__INIT;
	struct fc_arena a;
	struct fc_err err;
	bool applied;

	fc_arena_init(&a, 0);
	ev.execution_id = adm_exec_id_msg(&a, id);
	ev.producer_id = (char *)EXEC_OWNER;
	ev.phase = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED;
	ev.occurred_at = adm_timestamp_msg(&a, adm_store_now(store));
	error.code = (char *)code;
	error.message = (char *)msg;
	error.kind = FLYTEIDL__CORE__EXECUTION_ERROR__ERROR_KIND__SYSTEM;
	ev.output_result_case = FLYTEIDL__EVENT__WORKFLOW_EXECUTION_EVENT__OUTPUT_RESULT_ERROR;
	ev.error = &error;
	if (adm_intake_event(store, &ev.base, &applied, &err))
		fc_warn("serve: recording the failure of %s: %s", id->name, err.msg);
	fc_arena_release(&a);
}

static void submit(struct serve_exec *x, const struct adm_claim *c)
{
	struct prop_workflow_resource res;
	Flyteidl__Admin__ExecutionSpec *spec = NULL;
	struct fc_arena a;
	struct fc_err err;
	int rc;

	fc_arena_init(&a, 0);
	memset(&res, 0, sizeof(res));
	res.project = c->exec.id.project;
	res.domain = c->exec.id.domain;
	res.name = c->exec.id.name;
	if (!c->closure) {
		report_failed(x->store, &c->exec.id, "SYSTEM:NoWorkflow", "the execution's workflow is not registered");
		goto out;
	}
	res.closure = flyteidl__core__compiled_workflow_closure__unpack(fc_arena_pb_allocator(&a), c->closure_len,
									c->closure);
	if (c->exec.inputs)
		res.inputs = flyteidl__core__literal_map__unpack(fc_arena_pb_allocator(&a), c->exec.inputs_len,
								  c->exec.inputs);
	if (c->exec.spec)
		spec = flyteidl__admin__execution_spec__unpack(fc_arena_pb_allocator(&a), c->exec.spec_len, c->exec.spec);
	if (!res.closure || (c->exec.inputs && !res.inputs)) {
		report_failed(x->store, &c->exec.id, "SYSTEM:CorruptRecord", "the stored workflow or inputs do not decode");
		goto out;
	}
	if (spec) {
		res.config.max_parallelism = spec->max_parallelism > 0 ? (uint32_t)spec->max_parallelism : 0;
		res.config.interruptible = spec->interruptible && spec->interruptible->value;
		res.config.overwrite_cache = spec->overwrite_cache;
	}
	rc = prop_engine_submit(x->engine, &res, &err);
	if (rc == FC_EEXIST) {
		fc_debug("serve: %s was already submitted (resumed)", res.name);
	} else if (rc == FC_EINVAL) {
		report_failed(x->store, &c->exec.id, "SYSTEM:Rejected", err.msg);
	} else if (rc) {
		size_t n;

		fc_warn("serve: submitting %s: %s (retrying later)", res.name, err.msg);
		adm_queue_recover(x->store, EXEC_OWNER, &n, NULL);
	}
out:
	fc_arena_release(&a);
}

static void pass_aborts(struct serve_exec *x)
{
	struct adm_exec_id *ids;
	struct fc_arena a;
	struct fc_err err;
	size_t n, i;

	fc_arena_init(&a, 0);
	if (!adm_queue_aborting(x->store, EXEC_OWNER, &a, &ids, &n, &err)) {
		for (i = 0; i < n; i++) {
			int rc = prop_engine_abort(x->engine, ids[i].project, ids[i].domain, ids[i].name,
						   "terminated through the admin", &err);

			/* never submitted (or finished): no engine will report ABORTED, so record it here */
			if (rc == FC_ENOENT) {
				Flyteidl__Event__WorkflowExecutionEvent ev = FLYTEIDL__EVENT__WORKFLOW_EXECUTION_EVENT__INIT;
				bool applied;

				ev.execution_id = adm_exec_id_msg(&a, &ids[i]);
				ev.phase = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTED;
				ev.producer_id = (char *)EXEC_OWNER;
				adm_intake_event(x->store, &ev.base, &applied, NULL);
			}
		}
	}
	fc_arena_release(&a);
}

static void *exec_main(void *arg)
{
	struct serve_exec *x = arg;
	struct fc_err err;

	while (!__atomic_load_n(&x->stop, __ATOMIC_ACQUIRE)) {
		int claimed;

		for (claimed = 0; claimed < CLAIMS_PER_ROUND; claimed++) {
			struct adm_claim c;
			struct fc_arena a;
			int rc;

			fc_arena_init(&a, 0);
			rc = adm_queue_claim(x->store, EXEC_OWNER, &a, &c, &err);
			/* one terminated while nobody ran it (given back after a crash) is not started: pass_aborts()
			 * stops it in the engine or records it ABORTED */
			if (!rc && c.exec.phase != FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTING)
				submit(x, &c);
			else if (rc != FC_ENOENT)
				fc_warn("serve: claiming: %s", err.msg);
			fc_arena_release(&a);
			if (rc)
				break;
		}
		pass_aborts(x);
		if (prop_engine_step(x->engine, claimed == CLAIMS_PER_ROUND ? 0 : STEP_MS, &err))
			fc_warn("serve: executor: %s", err.msg);
	}
	return NULL;
}

int serve_exec_start(struct adm_store *store, const char *data_dir, struct serve_exec **out, struct fc_err *err)
{
	struct serve_exec *x = fc_xcalloc(1, sizeof(*x));
	struct prop_config cfg;
	struct fc_buf dir = FC_BUF_INIT;
	size_t resumed = 0, reclaimed = 0;
	int rc;

	*out = NULL;
	x->store = store;
	x->sink.base.send = sink_send;
	x->sink.store = store;
	memset(&cfg, 0, sizeof(cfg));
	fc_buf_addf(&dir, "%s/propeller", data_dir);
	cfg.data_dir = dir.buf;
	cfg.sink = &x->sink.base;
	cfg.producer_id = EXEC_OWNER;
	x->signals.get = signal_get;
	x->signals.ctx = store;
	cfg.signals = &x->signals;
	x->launch_plans.get = launch_plan_get;
	x->launch_plans.ctx = store;
	cfg.launch_plans = &x->launch_plans;
	rc = prop_engine_open(&cfg, &x->engine, err);
	if (!rc)
		rc = prop_engine_resume_all(x->engine, &resumed, err);
	/* claimed before a crash but maybe never submitted: claim them again (submit says EEXIST for the others) */
	if (!rc)
		rc = adm_queue_recover(store, EXEC_OWNER, &reclaimed, err);
	if (!rc && pthread_create(&x->thread, NULL, exec_main, x))
		rc = fc_err_set(err, FC_EIO, "serve: cannot start the executor thread");
	fc_buf_release(&dir);
	if (rc) {
		serve_exec_stop(x);
		return rc;
	}
	x->started = true;
	if (resumed || reclaimed)
		fc_info("serve: executor resumed %zu execution(s), %zu queued again", resumed, reclaimed);
	*out = x;
	return 0;
}

void serve_exec_stop(struct serve_exec *x)
{
	if (!x)
		return;
	if (x->started) {
		__atomic_store_n(&x->stop, 1, __ATOMIC_RELEASE);
		pthread_join(x->thread, NULL);
	}
	prop_engine_free(x->engine);
	free(x);
}
