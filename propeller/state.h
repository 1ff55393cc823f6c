/*
 * state.h: the propeller's persisted state, in sqlite (WAL) at <data_dir>/propeller.db: one row per execution
 * (its FlyteWorkflow resource and phase), one row per node execution (phase, attempts, plugin state, error) and an
 * outbox of events not yet accepted by the sink. The engine writes every change of one loop round in one
 * transaction. Rows handed to callbacks are valid only during the callback.
 */
#ifndef PROP_STATE_H
#define PROP_STATE_H

#include "core/fc.h"

struct fc_err;
struct prop_state;

struct prop_exec_row {
	const char *key; /* "<project>-<domain>-<name>" */
	const char *project, *domain, *name;
	const void *closure; /* packed CompiledWorkflowClosure */
	size_t closure_len;
	const void *inputs; /* packed LiteralMap */
	size_t inputs_len;
	const char *config; /* "key=value\n" lines */
	int phase;          /* Flyteidl__Core__WorkflowExecution__Phase */
	const char *abort_reason; /* non-NULL: abort requested */
	const char *error;        /* error message of a failed execution */
	int64_t created_ns;
	uint64_t event_seq; /* last event sequence number produced */
};

struct prop_node_row {
	const char *uid;
	int phase; /* enum prop_node_phase (engine_int.h) */
	uint32_t attempts, user_failures, sys_failures;
	int64_t started_ns, attempt_started_ns;
	int64_t aux; /* per kind: branch case taken, array successes... */
	const void *pstate;
	size_t pstate_len;
	const char *error_code, *error_msg;
	int error_kind;
	int cache_status;
	uint32_t task_phase;
};

int prop_state_open(const char *path, bool durable, struct prop_state **out, struct fc_err *err);
void prop_state_free(struct prop_state *s);

int prop_state_begin(struct prop_state *s, struct fc_err *err);
int prop_state_commit(struct prop_state *s, struct fc_err *err);
void prop_state_rollback(struct prop_state *s);

/* FC_EEXIST when the key is taken. */
int prop_state_exec_insert(struct prop_state *s, const struct prop_exec_row *row, struct fc_err *err);
int prop_state_exec_update(struct prop_state *s, const char *key, int phase, const char *abort_reason,
			   const char *error, uint64_t event_seq, struct fc_err *err);
/* FC_ENOENT when absent. */
int prop_state_exec_get(struct prop_state *s, const char *key,
			void (*cb)(void *data, const struct prop_exec_row *row), void *data, struct fc_err *err);
/* Every execution whose phase is not terminal. */
int prop_state_exec_each_active(struct prop_state *s, void (*cb)(void *data, const struct prop_exec_row *row),
				void *data, struct fc_err *err);

int prop_state_node_put(struct prop_state *s, const char *exec_key, const struct prop_node_row *row,
			struct fc_err *err);
int prop_state_node_each(struct prop_state *s, const char *exec_key,
			 void (*cb)(void *data, const struct prop_node_row *row), void *data, struct fc_err *err);

int prop_state_event_add(struct prop_state *s, const char *exec_key, uint64_t seq, int kind, const void *payload,
			 size_t len, struct fc_err *err);
int prop_state_event_each(struct prop_state *s, const char *exec_key,
			  void (*cb)(void *data, uint64_t seq, int kind, const void *payload, size_t len), void *data,
			  struct fc_err *err);
int prop_state_event_delete_upto(struct prop_state *s, const char *exec_key, uint64_t seq, struct fc_err *err);

#endif
