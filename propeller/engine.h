/*
 * engine.h: the propeller, FlytePropeller's role on one machine. It takes FlyteWorkflow resources (a compiled
 * workflow closure + inputs + an execution id + an execution config), drives every node to completion through the
 * task-type plugins, stores inputs and outputs as IDL LiteralMaps under the data directory, persists its state at
 * every transition (sqlite, WAL) and reports flyteidl.event messages to an event sink.
 *
 * One engine serves many executions in one loop. The loop never polls: a finished task process (pidfd), a timer
 * (timerfd: timeouts, gate sleeps, retry of events) or a request (eventfd) wakes it. To embed it in another event
 * loop, watch prop_engine_fd() and call prop_engine_step(e, 0) when it is readable.
 *
 * Crash safety: killing the process at any point and opening the same data directory again (prop_engine_open +
 * prop_engine_resume_all) continues every execution that was not finished: succeeded nodes are not run again,
 * running local tasks are found again (or restarted as a new attempt when their process is gone), no event is
 * lost. See docs/propeller.md.
 *
 * Ownership: arguments are borrowed; prop_engine_submit() copies what it needs.
 */
#ifndef PROP_ENGINE_H
#define PROP_ENGINE_H

#include "core/fc.h"

#include "flyteidl/core/compiler.pb-c.h"
#include "flyteidl/core/execution.pb-c.h"
#include "flyteidl/core/identifier.pb-c.h"
#include "flyteidl/core/literals.pb-c.h"

struct fc_arena;
struct fc_err;
struct plg_registry;
struct prop_engine;
struct prop_event_sink;
struct prop_state_backend;
struct prop_task_runtime;

/*
 * Where approve and signal gates get their values. `get` sets *value (allocated in `arena`) when the signal has
 * one, leaves it NULL while it is pending (the gate asks again a little later), and returns an error code to
 * fail the gate. An approve gate asks for a boolean signal: true lets the values through, false fails the node.
 */
struct prop_signal_source {
	int (*get)(void *ctx, const char *project, const char *domain, const char *exec_name, const char *signal_id,
		   const Flyteidl__Core__LiteralType *type, struct fc_arena *arena, Flyteidl__Core__Literal **value,
		   struct fc_err *err);
	void *ctx;
};

/*
 * Where launch-plan nodes find what they launch. `get` returns the compiled closure of the launch plan's
 * workflow and its inputs: `defaults` (overridable by the node's bindings) and `fixed` (not), all allocated in
 * `arena`. The engine runs that workflow inside the calling execution, like a subworkflow.
 */
struct prop_launch_plan_source {
	int (*get)(void *ctx, const Flyteidl__Core__Identifier *launch_plan, struct fc_arena *arena,
		   const Flyteidl__Core__CompiledWorkflowClosure **closure, Flyteidl__Core__LiteralMap **defaults,
		   Flyteidl__Core__LiteralMap **fixed, struct fc_err *err);
	void *ctx;
};

struct prop_config {
	const char *data_dir;          /* required: state db, catalog and blob store live here */
	const struct prop_launch_plan_source *launch_plans; /* borrowed; NULL: launch-plan nodes fail clearly */
	const struct prop_signal_source *signals; /* borrowed; NULL: approve/signal gates fail with a clear error */
	const char *raw_output_prefix; /* NULL: <data_dir>/raw */
	const char *plugin_dir;        /* external plugins (*.so); NULL: none */
	struct plg_registry *plugins;  /* NULL: the engine makes one with the built-ins (+ plugin_dir) */
	struct prop_event_sink *sink;  /* borrowed; NULL: events are dropped (still counted) */
	const char *producer_id;       /* NULL: "flytec-propeller" */
	uint32_t system_retries;       /* attempts allowed to fail with system errors (0: default 3) */
	bool durable;                  /* fsync blobs, synchronous=FULL: survive power loss, not only kills */
	bool no_events;                /* do not build or persist events at all (benchmarks of the bare engine) */
	/* The engine's two interfaces (propeller/backend.h), borrowed. NULL: the local ones: the sqlite state at
	 * <data_dir>/propeller.db, and tasks as local processes through `plugins`. */
	const struct prop_state_backend *state;
	const struct prop_task_runtime *runtime;
};

/* The execution config of one FlyteWorkflow resource. */
struct prop_exec_config {
	uint32_t max_parallelism;       /* task attempts running at once in this execution (0: 25, like Flyte) */
	bool interruptible;             /* recorded on task attempts */
	int64_t deadline_seconds;       /* overall deadline of the execution (0: none) */
	const char *raw_output_prefix;  /* NULL: the engine's */
	bool overwrite_cache;           /* run cached tasks again and replace their cache entries */
};

/* The FlyteWorkflow resource. */
struct prop_workflow_resource {
	const char *project, *domain, *name; /* the execution id; names are [a-z0-9_-], at most 63 bytes */
	const Flyteidl__Core__CompiledWorkflowClosure *closure;
	/* Or, when closure is NULL, the closure already packed (its bytes are copied; `flytec run` packs it and
	 * frees the compiler's session before the engine builds the execution, so the two do not peak together). */
	const void *closure_pb;
	size_t closure_pb_len;
	const Flyteidl__Core__LiteralMap *inputs; /* NULL: none; defaults must already be applied */
	struct prop_exec_config config;
};

int prop_engine_open(const struct prop_config *cfg, struct prop_engine **out, struct fc_err *err);
void prop_engine_free(struct prop_engine *e);

/* Persist a new execution and start it. FC_EEXIST when the id is taken (a finished one included). The closure
 * is checked for what the engine needs (a primary workflow, resolvable task and subworkflow references);
 * problems are FC_EINVAL. */
int prop_engine_submit(struct prop_engine *e, const struct prop_workflow_resource *res, struct fc_err *err);
/* Whether a flyteidl.core.WorkflowExecution.Phase is final (SUCCEEDED, FAILED, ABORTED, TIMED_OUT). */
bool prop_exec_phase_terminal(int phase);
/* Load every unfinished execution from the state store and continue it. `*count` (may be NULL) gets how many.
 * A finished execution whose events were not all acknowledged before the process went is loaded too, to deliver
 * them only (nothing of it runs; not counted); it is let go once they are. */
int prop_engine_resume_all(struct prop_engine *e, size_t *count, struct fc_err *err);
/* Ask an execution to stop: running tasks are killed, nodes and the execution end Aborted. Persisted, so it
 * holds across restarts. FC_ENOENT for unknown executions; finished ones are left alone. */
int prop_engine_abort(struct prop_engine *e, const char *project, const char *domain, const char *name,
		      const char *reason, struct fc_err *err);
/* Make an execution fail with the error `code`/`message` when it cannot go on for a reason outside the workflow (the
 * operator: its state no longer fits in the resource): running tasks are killed, unfinished nodes end Aborted and the
 * execution ends FAILED with that error (the workflow event carries it). Taken at the next round, also while the
 * engine waits to retry a failed commit (that commit may be what cannot succeed). Not persisted: a restart that
 * resumes the execution meets its cause again. FC_ENOENT for unknown executions; finished ones are left alone. */
int prop_engine_fail(struct prop_engine *e, const char *project, const char *domain, const char *name,
		     const char *code, const char *message, struct fc_err *err);

/* Run one round: handle everything that is ready, commit, deliver events, and wait up to `timeout_ms` (-1: until
 * something happens) when nothing was ready, whether or not executions are loaded: an idle engine sleeps. Returns
 * FC_OK; store errors are returned, after which the engine backs off (core/limits.h): later calls wait out the
 * back-off (within their timeout), then retry the commit; no node runs and nothing is lost until it succeeds. */
int prop_engine_step(struct prop_engine *e, int timeout_ms, struct fc_err *err);
/* Step until no execution is left running (and every event was delivered, or the sink keeps refusing). */
int prop_engine_run(struct prop_engine *e, struct fc_err *err);
/* Executions loaded and not finished. */
size_t prop_engine_active(const struct prop_engine *e);
/* An fd that becomes readable when the engine has work (for embedding). */
int prop_engine_fd(const struct prop_engine *e);
/* The back-off delay after the `failures`-th storage failure in a row (>= 1): PROP_STORE_BACKOFF_MIN_MS doubling
 * up to PROP_STORE_BACKOFF_MAX_MS (core/limits.h). For callers that back off the same way (the serve executor). */
int64_t prop_store_backoff_ns(unsigned failures);
/* Wake a prop_engine_step() waiting in another thread (it returns early). Safe from any thread. */
void prop_engine_wake(struct prop_engine *e);

/* The outcome of an execution, from the state store (finished or not). `*phase` is a
 * Flyteidl__Core__WorkflowExecution__Phase. `outputs` (may be NULL) gets the outputs LiteralMap of a succeeded
 * execution, allocated in `arena`; `error` (may be NULL) a copy of the error message of a failed one (free()). */
struct fc_arena;
int prop_engine_result(struct prop_engine *e, const char *project, const char *domain, const char *name,
		       int *phase, struct fc_arena *arena, Flyteidl__Core__LiteralMap **outputs, char **error,
		       struct fc_err *err);

/* Statistics for benchmarks and tests. */
struct prop_stats {
	uint64_t tasks_started;   /* task attempts started */
	uint64_t cache_hits, cache_misses;
	uint64_t events;          /* events produced */
	uint64_t commits;         /* state transactions */
	size_t node_bytes;        /* memory held for node state, all executions */
	size_t nodes;
	/* Nodes' Node messages decoded from their packed bytes (docs/propeller.md, "Memory"): now, and the most at
	 * once. A node holds its own while it is stepped, a branch or array node until it ends. */
	size_t specs_decoded, specs_peak;
};
void prop_engine_stats(const struct prop_engine *e, struct prop_stats *out);

/* The directory name of an execution: "<project>-<domain>-<name>". Appended to `out`. */
struct fc_buf;
void prop_exec_key(const char *project, const char *domain, const char *name, struct fc_buf *out);

/* Where the log `stream` ("stdout" or "stderr") of attempt `attempt` of node `node_id` of an execution is, in the
 * local data directory `data_dir`: the bytes [offset, offset + length) of the file `path` (owned: free() it).
 * Each attempt has its own file today (offset 0), made when the task first wrote to that stream; a stream the
 * task never wrote to (or an attempt that has not run) has length 0 and a path that may not exist. FC_EINVAL for
 * a bad stream or a node id or execution that is not a valid store key (nothing outside `data_dir` can be named).
 * The file may still grow while the attempt runs: read at most `length` bytes, or call again. */
struct prop_log_span {
	char *path;
	uint64_t offset, length;
};
int prop_attempt_log(const char *data_dir, const char *project, const char *domain, const char *name,
		     const char *node_id, uint32_t attempt, const char *stream, struct prop_log_span *out,
		     struct fc_err *err);

#endif
