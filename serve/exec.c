/*
 * exec.c: the executor inside `flytec serve`: admin-lite's queue feeding the propeller, and the
 * propeller's events feeding admin-lite's events intake. The planes meet only through IDL messages: the
 * execution's compiled closure, inputs and spec go in; flyteidl.event messages come out.
 *
 * One thread: claim queued executions (adm_queue_claim) and submit them (prop_engine_submit), pass abort requests
 * on (adm_queue_aborting -> prop_engine_abort), and step the engine, which delivers events to the sink below
 * (adm_intake_event, Flyte's transition rules). After a crash, the engine resumes what it had (its own state
 * under DATA_DIR/propeller), and executions claimed but never submitted are claimed again.
 *
 * Idle means asleep: the thread waits in prop_engine_step() until the engine has work, srv_exec_notify() wakes it
 * (after every mutating API request), or SRV_EXEC_IDLE_MS pass (core/limits.h). Store failures (a full disk) back
 * off instead of spinning, and an event the admin could not store is sent again until it is stored.
 */
#include "serve/exec.h"

#include "admin-lite/service.h"
#include "admin-lite/store.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/pbpack.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"
#include "propeller/engine.h"
#include "propeller/events.h"
#include "compiler/lit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXEC_OWNER "flytec-serve"
#define CLAIMS_PER_ROUND 16

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
	struct fc_buf b = FC_BUF_INIT;
	size_t len = fc_pb_pack(&type->base, &b);
	uint8_t *type_bytes = fc_arena_memdup(arena, b.buf ? b.buf : "", len);
	int rc;

	fc_buf_release(&b);
	*value = NULL;
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
	if (cmp_pb_unpack(arena, &flyteidl__core__literal__descriptor, got.value, got.value_len, (void **)value, err))
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
	Flyteidl__Admin__LaunchPlanSpec *spec = NULL;
	void *msg;
	int rc;

	rc = adm_entity_get(store, ADM_LAUNCH_PLAN, &id, arena, &lpe, err);
	if (rc)
		return rc;
	if (!cmp_pb_unpack(arena, &flyteidl__admin__launch_plan_spec__descriptor, lpe.spec, lpe.spec_len, &msg, NULL))
		spec = msg;
	if (!spec || !spec->workflow_id)
		return fc_err_set(err, FC_EINVAL, "launch plan '%s' is stored unreadable", lp_id->name);
	id.project = spec->workflow_id->project;
	id.domain = spec->workflow_id->domain;
	id.name = spec->workflow_id->name;
	id.version = spec->workflow_id->version;
	rc = adm_entity_get(store, ADM_WORKFLOW, &id, arena, &wfe, err);
	if (rc)
		return rc;
	if (cmp_pb_unpack(arena, &flyteidl__core__compiled_workflow_closure__descriptor, wfe.spec, wfe.spec_len, &msg,
			   NULL) ||
	    !((Flyteidl__Core__CompiledWorkflowClosure *)msg)->primary)
		return fc_err_set(err, FC_EINVAL, "workflow '%s' is stored unreadable", id.name);
	*closure = msg;
	*fixed = spec->fixed_inputs;
	*defaults = cmp_litmap_new(arena);
	cmp_litmap_put_defaults(arena, *defaults, spec->default_inputs, false);
	return FC_OK;
}

struct srv_exec {
	struct adm_store *store;
	struct admin_sink sink;
	struct prop_signal_source signals;
	struct prop_launch_plan_source launch_plans;
	struct prop_engine *engine;
	pthread_t thread;
	bool started;
	int stop; /* atomic */
	/* the admin's queue failing (a full disk): claims wait until retry_ns, backing off like the engine */
	unsigned queue_failures;
	int64_t queue_retry_ns;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* May retrying help? A store that is busy or failing (I/O, a full disk) may recover; a refusal on the event's
 * merits (an event out of a terminal phase, an execution the admin does not know, a malformed message) will not. */
/* The admin's contract (admin-lite/service.h): a busy, full or failing store stored nothing and asks to be tried
 * again; every other refusal is final. */
static bool retryable(int rc)
{
	return adm_store_retryable(rc) || rc == FC_EIO;
}

/* Hand one propeller event to the admin. Refusals that retrying cannot fix are accepted and logged, or the engine
 * would retry them forever; everything else is refused, so the engine keeps the event and sends it again (with
 * back-off) until the admin has stored it: no event is dropped. */
static int sink_send(struct prop_event_sink *base, const struct prop_event *ev, struct fc_err *err)
{
	struct admin_sink *sink = (struct admin_sink *)base;
	struct fc_err e;
	bool applied = false;
	int rc;

	e.code = FC_OK;
	e.msg[0] = '\0';
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
	if (retryable(rc)) {
		fc_warn("serve: storing event %s #%llu failed (sent again later): %s", ev->exec_key,
			(unsigned long long)ev->seq, e.msg[0] ? e.msg : fc_strerror(rc));
		if (err)
			*err = e;
		return rc;
	}
	fc_warn("serve: event %s #%llu not applied: %s", ev->exec_key, (unsigned long long)ev->seq,
		e.msg[0] ? e.msg : fc_strerror(rc));
	return 0;
}

bool srv_record_phase(struct adm_store *store, const char *owner, const struct adm_exec_id *id, int phase,
		      const char *code, const char *msg)
{
	Flyteidl__Event__WorkflowExecutionEvent ev = FLYTEIDL__EVENT__WORKFLOW_EXECUTION_EVENT__INIT;
	Flyteidl__Core__ExecutionError error = FLYTEIDL__CORE__EXECUTION_ERROR__INIT;
	struct fc_arena a;
	struct fc_err err;
	bool applied, stored = true;

	fc_arena_init(&a, 0);
	ev.execution_id = adm_exec_id_msg(&a, id);
	ev.producer_id = (char *)owner;
	ev.phase = phase;
	ev.occurred_at = adm_timestamp_msg(&a, adm_store_now(store));
	if (code) {
		error.code = (char *)code;
		error.message = (char *)msg;
		error.kind = FLYTEIDL__CORE__EXECUTION_ERROR__ERROR_KIND__SYSTEM;
		ev.output_result_case = FLYTEIDL__EVENT__WORKFLOW_EXECUTION_EVENT__OUTPUT_RESULT_ERROR;
		ev.error = &error;
	}
	fc_err_clear(&err);
	/* a conflict means the execution already reached a terminal phase: nothing left to record */
	if (adm_intake_event(store, &ev.base, &applied, &err) && err.code != FC_ECONFLICT) {
		fc_warn("serve: recording %s of %s: %s",
			phase == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED ? "the failure" : "the end", id->name,
			err.msg);
		stored = !retryable(err.code);
	}
	fc_arena_release(&a);
	return stored;
}

/* The execution could not start at all: record it as FAILED with the reason. Returns false when the admin could
 * not store that (the execution is then given back to the queue and tried again later). */
static bool report_failed(struct adm_store *store, const struct adm_exec_id *id, const char *code, const char *msg)
{
	return srv_record_phase(store, EXEC_OWNER, id, FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED, code, msg);
}

/* The admin's queue or the engine's store failed: claim nothing for a while (bounded exponential back-off). */
static void queue_trouble(struct srv_exec *x)
{
	x->queue_failures++;
	x->queue_retry_ns = now_ns() + prop_store_backoff_ns(x->queue_failures);
}

/* Submit one claimed execution. Returns false when it must be claimed again later (a store failure). */
static bool submit(struct srv_exec *x, const struct adm_claim *c)
{
	struct prop_workflow_resource res;
	Flyteidl__Admin__ExecutionSpec *spec = NULL;
	struct fc_arena a;
	struct fc_err err;
	void *msg;
	bool ok = true;
	int rc;

	fc_arena_init(&a, 0);
	memset(&res, 0, sizeof(res));
	res.project = c->exec.id.project;
	res.domain = c->exec.id.domain;
	res.name = c->exec.id.name;
	if (!c->closure) {
		ok = report_failed(x->store, &c->exec.id, "SYSTEM:NoWorkflow", "the execution's workflow is not registered");
		goto out;
	}
	if (!cmp_pb_unpack(&a, &flyteidl__core__compiled_workflow_closure__descriptor, c->closure, c->closure_len,
			    &msg, NULL))
		res.closure = msg;
	if (c->exec.inputs && !cmp_pb_unpack(&a, &flyteidl__core__literal_map__descriptor, c->exec.inputs,
					      c->exec.inputs_len, &msg, NULL))
		res.inputs = msg;
	if (c->exec.spec && !cmp_pb_unpack(&a, &flyteidl__admin__execution_spec__descriptor, c->exec.spec,
					    c->exec.spec_len, &msg, NULL))
		spec = msg;
	if (!res.closure || (c->exec.inputs && !res.inputs)) {
		ok = report_failed(x->store, &c->exec.id, "SYSTEM:CorruptRecord",
				   "the stored workflow or inputs do not decode");
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
		ok = report_failed(x->store, &c->exec.id, "SYSTEM:Rejected", err.msg);
	} else if (rc) {
		fc_warn("serve: submitting %s: %s (retrying later)", res.name, err.msg);
		ok = false;
	}
out:
	fc_arena_release(&a);
	return ok;
}

static void pass_aborts(struct srv_exec *x)
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

/* Claim what is queued (a few per round) and submit it. Returns true when the round's quota was used up (more may
 * be waiting). */
static bool claim_round(struct srv_exec *x)
{
	struct fc_err err;
	int claimed;

	if (x->queue_retry_ns && now_ns() < x->queue_retry_ns)
		return false;
	for (claimed = 0; claimed < CLAIMS_PER_ROUND; claimed++) {
		struct adm_claim c;
		struct fc_arena a;
		bool ok = true;
		int rc;

		fc_arena_init(&a, 0);
		err.code = FC_OK;
		err.msg[0] = '\0';
		rc = adm_queue_claim(x->store, EXEC_OWNER, &a, &c, &err);
		/* one terminated while nobody ran it (given back after a crash) is not started: pass_aborts() stops
		 * it in the engine or records it ABORTED */
		if (!rc && c.exec.phase != FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTING)
			ok = submit(x, &c);
		else if (rc && rc != FC_ENOENT)
			fc_warn("serve: claiming: %s", err.msg[0] ? err.msg : fc_strerror(rc));
		fc_arena_release(&a);
		if (!ok) {
			size_t n;

			/* give it back: claimed again once the back-off is over */
			adm_queue_recover(x->store, EXEC_OWNER, &n, NULL);
		}
		if ((rc && rc != FC_ENOENT) || !ok) {
			queue_trouble(x);
			return false;
		}
		if (rc)
			break;
	}
	x->queue_failures = 0;
	x->queue_retry_ns = 0;
	return claimed == CLAIMS_PER_ROUND;
}

static void *exec_main(void *arg)
{
	struct srv_exec *x = arg;
	struct fc_err err;

	while (!__atomic_load_n(&x->stop, __ATOMIC_ACQUIRE)) {
		bool more = claim_round(x);
		int wait_ms;

		pass_aborts(x);
		if (__atomic_load_n(&x->stop, __ATOMIC_ACQUIRE))
			break;
		wait_ms = more ? 0 : prop_engine_active(x->engine) ? SRV_EXEC_BUSY_MS : SRV_EXEC_IDLE_MS;
		fc_err_clear(&err);
		if (prop_engine_step(x->engine, wait_ms, &err))
			fc_warn("serve: executor: %s", err.msg[0] ? err.msg : fc_strerror(err.code));
	}
	return NULL;
}

int srv_exec_start(struct adm_store *store, const char *data_dir, struct srv_exec **out, struct fc_err *err)
{
	struct srv_exec *x = fc_xcalloc(1, sizeof(*x));
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
		srv_exec_stop(x);
		return rc;
	}
	x->started = true;
	if (resumed || reclaimed)
		fc_info("serve: executor resumed %zu execution(s), %zu queued again", resumed, reclaimed);
	*out = x;
	return 0;
}

void srv_exec_notify(struct srv_exec *x)
{
	if (x && x->engine)
		prop_engine_wake(x->engine);
}

void srv_exec_stop(struct srv_exec *x)
{
	if (!x)
		return;
	if (x->started) {
		__atomic_store_n(&x->stop, 1, __ATOMIC_RELEASE);
		prop_engine_wake(x->engine);
		pthread_join(x->thread, NULL);
	}
	prop_engine_free(x->engine);
	free(x);
}
