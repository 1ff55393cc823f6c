/*
 * backend.h: the two small interfaces the engine drives workflows through, so that the same engine and the same
 * node handlers run a workflow whose state lives in sqlite (local: `flytec run`, `flytec serve`) or in a
 * FlyteWorkflow's status (Kubernetes), with tasks as local processes or as pods (DESIGN.md, "Operator"):
 *
 *   - a state backend keeps executions, node states and the event outbox (struct prop_state_backend);
 *   - a task runtime says which plugin runs a task type and prepares an attempt's working area
 *     (struct prop_task_runtime).
 *
 * Each is a table of function pointers plus an opaque pointer handed back to every call (the plugin table's
 * shape). The first implementations are the sqlite state (propeller/state.c: prop_state_sqlite_backend()) and the
 * local-process runtime (engine.c: the plugin registry + sandbox directories under the data directory). A
 * backend given in struct prop_config is borrowed; without one the engine makes the local ones. See
 * docs/propeller.md, "State backend and task runtime".
 *
 * Rows handed to callbacks are valid only during the callback; arguments are borrowed.
 */
#ifndef PROP_BACKEND_H
#define PROP_BACKEND_H

#include "core/fc.h"

#include "propeller/state.h"

struct fc_err;
struct plg_plugin;

/*
 * Everything the engine persists. The engine groups the changes of one loop round between begin() and commit()
 * (rollback() on failure: the engine keeps the changes in memory and tries again after a back-off). A backend
 * that cannot do transactions (a FlyteWorkflow status, written with one update per round) buffers from begin()
 * to commit() and writes then. Error codes: FC_EEXIST (exec_insert of a taken key), FC_ENOENT (exec_get of an
 * unknown key), FC_EUNAVAILABLE (busy or full: retried), anything else (retried as well, logged).
 */
struct prop_state_backend_ops {
	const char *name; /* "sqlite" */
	int (*begin)(void *ctx, struct fc_err *err);
	int (*commit)(void *ctx, struct fc_err *err);
	void (*rollback)(void *ctx);
	int (*exec_insert)(void *ctx, const struct prop_exec_row *row, struct fc_err *err);
	int (*exec_update)(void *ctx, const char *key, int phase, const char *abort_reason, const char *error,
			   uint64_t event_seq, struct fc_err *err);
	int (*exec_get)(void *ctx, const char *key, void (*cb)(void *data, const struct prop_exec_row *row), void *data,
			struct fc_err *err);
	/* Every execution the engine loads on resume: those whose phase is not terminal, and finished ones that still
	 * hold events (their final round committed, the sink had not acknowledged everything before the process
	 * went: they are loaded to deliver those events only). */
	int (*exec_each_active)(void *ctx, void (*cb)(void *data, const struct prop_exec_row *row), void *data,
				struct fc_err *err);
	int (*node_put)(void *ctx, const char *exec_key, const struct prop_node_row *row, struct fc_err *err);
	int (*node_each)(void *ctx, const char *exec_key, void (*cb)(void *data, const struct prop_node_row *row),
			 void *data, struct fc_err *err);
	int (*event_add)(void *ctx, const char *exec_key, uint64_t seq, int kind, const void *payload, size_t len,
			 struct fc_err *err);
	int (*event_each)(void *ctx, const char *exec_key,
			  void (*cb)(void *data, uint64_t seq, int kind, const void *payload, size_t len), void *data,
			  struct fc_err *err);
	int (*event_delete_upto)(void *ctx, const char *exec_key, uint64_t seq, struct fc_err *err);
};

struct prop_state_backend {
	const struct prop_state_backend_ops *ops;
	void *ctx;
};

/* The sqlite state (state.h) as a backend; `s` stays owned by the caller. */
void prop_state_sqlite_backend(struct prop_state *s, struct prop_state_backend *out);

/*
 * Where task attempts run. plugin_for() picks the plugin for a task type (NULL: none: the node fails with
 * NoPlugin); the local runtime looks in the plugin registry, a pod runtime answers its pod plugin for container
 * tasks. prepare_attempt() makes the attempt's working area ready before the plugin is first called: the local
 * runtime creates the sandbox directory `sandbox_dir`, whose first `existing_len` bytes name a directory that
 * exists. FC_EUNAVAILABLE: not now (a full disk): the attempt is started again after a back-off.
 */
struct prop_task_runtime_ops {
	const char *name; /* "local" */
	const struct plg_plugin *(*plugin_for)(void *ctx, const char *task_type);
	int (*prepare_attempt)(void *ctx, const char *sandbox_dir, size_t existing_len, struct fc_err *err);
};

struct prop_task_runtime {
	const struct prop_task_runtime_ops *ops;
	void *ctx;
};

#endif
