/* engine_int.h: the propeller engine's internals, shared by engine.c (loop, persistence, API) and node.c (the
 * node state machine) and events building (emit.c). Not for other components. */
#ifndef PROP_ENGINE_INT_H
#define PROP_ENGINE_INT_H

#include "core/arena.h"
#include "core/buf.h"
#include "core/strmap.h"
#include "plugins/plugin.h"
#include "propeller/backend.h"
#include "propeller/catalog.h"
#include "propeller/engine.h"
#include "propeller/state.h"

#include "flyteidl/core/workflow.pb-c.h"

/* Node phases as in Flyte's propeller (v1alpha1.NodePhase); transient ones are not stored. */
enum prop_node_phase {
	NP_NOT_YET_STARTED = 0,
	NP_QUEUED,
	NP_RUNNING,
	NP_SUCCEEDED,
	NP_FAILED,
	NP_SKIPPED,
	NP_TIMED_OUT,
	NP_ABORTED,
};

enum prop_node_kind { NK_TASK, NK_SUBWORKFLOW, NK_LAUNCHPLAN, NK_BRANCH, NK_GATE, NK_ARRAY };

struct prop_catalog;
struct prop_exec;
struct prop_store;
struct prop_wf;

struct prop_node {
	struct prop_wf *wf;       /* scope for bindings */
	struct prop_node *parent; /* composite parent (branch, array), or NULL: a node of wf */
	/* The node's Node message: read it through prop_node_spec(). A node of a closure's workflow keeps only its
	 * packed bytes (`spec_pb`, in the execution's struct prop_packed_nodes) and `spec` is decoded while it is
	 * needed: during a step, and from a composite kind's (branch, array) first step to its end, since its
	 * children's specs point into it (spec_owned: `spec` is ours to free). Children of composites, failure
	 * nodes and a launch plan's nodes point into a message that lives as long as the execution (no spec_pb). */
	Flyteidl__Core__Node *spec;
	const uint8_t *spec_pb;
	uint32_t spec_pb_len;
	char *uid;
	uint8_t kind, phase;
	bool in_runq, dirty, holds_slot, waiting_slot, blocked, upstream_skipped, is_failure_node, has_row;
	bool cache_reserved, cache_waiting; /* cache serialization: holds the key's reservation / waits for it */
	bool spec_owned, in_step;           /* see spec; in_step: prop_node_step() is running for this node */
	uint8_t cache_polls;                /* waits on another process's reservation so far (back-off) */
	uint8_t store_retries;              /* blob writes of this node that failed in a row (back-off) */
	uint32_t attempts, user_failures, sys_failures;
	uint32_t pending_up;
	struct prop_node **down;
	uint32_t ndown;
	uint32_t task_phase, task_version; /* last task phase reported (events) */
	int64_t started_ns, attempt_started_ns;
	int64_t wake_ns; /* realtime; 0: none */
	int64_t aux;     /* branch: case taken + 1; gate: deadline */
	int watch_fd;
	int cache_status;
	const char *cache_key; /* computed once the inputs are known (cached tasks) */
	const Flyteidl__Core__TaskTemplate *task;
	const struct plg_plugin *plugin;
	void *pstate;
	size_t pstate_len;
	Flyteidl__Core__LiteralMap *inputs, *outputs, *set_outputs;
	const Flyteidl__Core__LiteralMap *given_inputs; /* array children */
	char *error_code, *error_msg;
	int error_kind;
	struct prop_wf *sub;
	struct prop_node *children;
	uint32_t nchildren, nchild_done, nchild_ok, nchild_started, nchild_running;
};

struct prop_wf {
	struct prop_exec *ex;
	const Flyteidl__Core__WorkflowTemplate *tmpl;
	char *prefix; /* uid prefix of its nodes: "" or "n1-0-" */
	struct prop_node *nodes;
	size_t n;
	struct fc_strmap by_id;
	struct prop_node *owner; /* the subworkflow node running it; NULL: the execution's workflow */
	struct prop_node *failure_node;
	Flyteidl__Core__LiteralMap *inputs, *outputs;
	size_t n_settled; /* terminal or blocked */
	int phase;        /* NP_NOT_YET_STARTED/NP_RUNNING while going, then a terminal node phase */
	bool failing;
	char *error_code, *error_msg;
};

/* The Node messages of one workflow template of the execution's closure, kept packed (engine.c, exec_build):
 * unpacked, each was its own tree of C structs (the Node, its metadata, the task reference and its strings, the
 * bindings), about 600 bytes a task node for the whole run; packed it is about 60. Node i is `len[i]` bytes at
 * `buf + off[i]`; start-node and end-node included, as in the template. */
struct prop_packed_nodes {
	const Flyteidl__Core__WorkflowTemplate *tmpl;
	const uint8_t *buf;
	uint32_t *off, *len;
	size_t n;
};

struct prop_pending_event {
	uint64_t seq;
	int kind;
	void *data;
	size_t len;
	bool persisted;
};

struct prop_exec {
	struct prop_engine *e;
	char *key, *project, *domain, *name;
	struct fc_arena arena;
	Flyteidl__Core__CompiledWorkflowClosure *closure; /* without connections, nor its templates' nodes: */
	struct prop_packed_nodes *packed;                  /* the nodes of the primary workflow, then subworkflows */
	size_t npacked;
	uint8_t *packed_buf;                               /* the bytes `packed` points into */
	struct prop_node **spec_owners;                    /* nodes holding a decoded spec (freed with ex) */
	size_t nspec_owners, spec_owners_alloc;
	Flyteidl__Core__LiteralMap *inputs;
	struct prop_exec_config cfg;
	char *raw_prefix;
	struct fc_strmap tasks, subwfs; /* "project/domain/name/version" -> template */
	struct fc_strmap rows;          /* uid -> struct prop_node_row * (loaded at resume; each one malloc'd, */
	size_t rows_left;               /* freed when its node applies it; the map goes with the last one) */
	struct prop_wf *top;
	int phase; /* Flyteidl__Core__WorkflowExecution__Phase */
	bool dirty, done, abort_handled;
	char *abort_reason, *error_msg;
	char *fail_code, *fail_msg; /* prop_engine_fail(): end FAILED with this error (not persisted) */
	int64_t created_ns, deadline_ns;
	uint64_t event_seq, delivered_seq, deleted_seq;
	struct prop_pending_event *events;
	size_t nevents, events_alloc, events_head;
	int64_t event_retry_ns;
	unsigned event_failures;
	uint32_t running_tasks;
	struct prop_node **waiting;
	size_t nwaiting, waiting_alloc, waiting_head;
	struct prop_exec *next;
};

int prop_exec_index_closure(struct prop_exec *ex, const Flyteidl__Core__CompiledWorkflowClosure *c, struct fc_err *err);

struct prop_engine {
	struct prop_config cfg;
	char *data_dir, *raw_prefix, *producer;
	struct prop_store *store;
	struct prop_state *state;           /* the sqlite state when the engine made it (no cfg.state), else NULL */
	struct prop_state_backend sb;       /* where state goes: cfg.state, or the sqlite state */
	struct prop_task_runtime runtime;   /* where attempts run: cfg.runtime, or the local-process runtime */
	struct prop_catalog *catalog;
	struct plg_registry *plugins;
	bool own_plugins;
	int epfd, timerfd, wakefd;
	struct prop_exec *execs;
	struct prop_node **runq;
	size_t runq_head, runq_len, runq_alloc;
	struct prop_node **dirty;
	size_t ndirty, dirty_alloc;
	struct prop_node **timed;
	size_t ntimed, timed_alloc;
	/* Cache serialization: this engine's identity in the catalog's reservations, and the nodes waiting for a
	 * reservation held by another node of this engine (woken when it is released). */
	struct prop_catalog_owner cache_owner;
	char cache_engine_id[96];
	struct prop_node **cache_waiters;
	size_t ncache_waiters, cache_waiters_alloc;
	struct prop_stats stats;
	/* What plugins copy through the host's strdup (log URIs, error texts of a transition) lives here for one
	 * plugin call: the engine copies what it keeps, and run_plugin empties it when the outermost call ends. Kept
	 * in the execution's arena it was two log paths per attempt for the whole run. */
	struct fc_arena scratch;
	unsigned scratch_depth;
	/* Storage trouble (a full disk, a failing state db): state commits are retried with a bounded exponential
	 * back-off (core/limits.h) and no node is stepped meanwhile; dirty state and events stay in memory. */
	unsigned store_failures;
	int64_t store_retry_ns; /* realtime; 0: the last commit succeeded */
};

/* engine.c */
int64_t prop_now_ns(void);
void prop_enqueue(struct prop_node *n);
void prop_mark_dirty(struct prop_node *n);
void prop_set_wake(struct prop_node *n, int64_t realtime_ns);
void prop_exec_dirty(struct prop_exec *ex);
void prop_release_slot(struct prop_node *n);
bool prop_take_slot(struct prop_node *n);
/* A blob write of node `n` failed (`err`): log it (rate-limited) and step the node again after a back-off,
 * instead of failing it. */
void prop_node_store_retry(struct prop_node *n, const struct fc_err *err);

/* node.c */
void prop_node_step(struct prop_node *n);
/* The node's Node message, decoded from its packed bytes when it is not in memory (see struct prop_node). The
 * pointer is good until the node's step ends, or for a branch or array node until it ends. */
const Flyteidl__Core__Node *prop_node_spec(struct prop_node *n);
/* Free the node's decoded spec when nothing needs it any more (a no-op for a spec it does not own, and for a
 * branch or array node still going). */
void prop_node_spec_release(struct prop_node *n);
/* Free every decoded spec of `ex` (the execution is being freed). */
void prop_exec_free_specs(struct prop_exec *ex);
/* A packed Node message decoded on the heap (NULL: the bytes are not a Node message), and its free. */
Flyteidl__Core__Node *prop_spec_decode(const uint8_t *pb, size_t len);
void prop_spec_free(Flyteidl__Core__Node *spec);
void prop_cache_forget_exec(struct prop_engine *e, struct prop_exec *ex);
struct prop_wf *prop_wf_new(struct prop_exec *ex, const Flyteidl__Core__WorkflowTemplate *tmpl, const char *prefix,
			    struct prop_node *owner, Flyteidl__Core__LiteralMap *inputs);
void prop_wf_start(struct prop_wf *wf);
void prop_exec_abort_all(struct prop_exec *ex, int final_node_phase);
void prop_node_close_watch(struct prop_node *n);
void prop_node_init_task_ctx(struct prop_node *n, struct plg_task_ctx *ctx, struct fc_buf *paths);

/* emit.c */
void prop_emit_workflow(struct prop_exec *ex, int phase, const char *error_code, const char *error_msg);
void prop_emit_node(struct prop_node *n, int event_phase);
void prop_emit_task(struct prop_node *n, const struct plg_transition *t, int task_phase);
void prop_exec_add_event(struct prop_exec *ex, int kind, const ProtobufCMessage *msg);

#endif
