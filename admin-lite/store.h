/*
 * store.h: admin-lite's control-plane state in one sqlite file.
 *
 * The store keeps IDL messages as serialized protobuf blobs and the columns needed to find and order them; it
 * knows nothing of JSON or HTTP. The file is opened in WAL mode and its schema is brought up to date by numbered
 * migrations (PRAGMA user_version) when it is opened. Every state change runs in a transaction; SQL is always
 * prepared (and cached per connection).
 *
 * Threads: one `struct adm_store` may be shared by threads (the HTTP server, the watcher, an in-process
 * propeller); every call takes the store's recursive lock. adm_store_begin()/adm_store_commit() group several
 * calls in one transaction (they nest; the outermost commit writes).
 *
 * Memory: results ("out" structs and lists) are allocated in the arena passed by the caller, so one
 * fc_arena_release() frees a whole answer. Inputs are borrowed.
 *
 * Times are nanoseconds since the Unix epoch (int64), as in google.protobuf.Timestamp.
 */
#ifndef ADM_STORE_H
#define ADM_STORE_H

#include "compiler/compiler.h"
#include "core/fc.h"

struct fc_arena;
struct fc_buf;
struct fc_err;
struct adm_store;
struct adm_query;

/* Kinds of registered entity; the values are core.ResourceType's. */
enum adm_kind { ADM_TASK = 1, ADM_WORKFLOW = 2, ADM_LAUNCH_PLAN = 3 };

const char *adm_kind_name(enum adm_kind kind); /* "task", "workflow", "launch_plan" */

/* (project, domain, name, version); version may be NULL / "" where "latest" or "any" is meant. */
struct adm_id {
	const char *project;
	const char *domain;
	const char *name;
	const char *version;
};

/* Store schema version after all migrations. */
#define ADM_SCHEMA_VERSION 7

/*
 * Write failures. A write the store cannot make because the disk is full or failing (sqlite's SQLITE_FULL,
 * SQLITE_IOERR*, SQLITE_CANTOPEN, a read-only file) is FC_ESTORAGE, and the transaction it was part of is rolled
 * back whole: nothing is half-written. FC_ESTORAGE and FC_EUNAVAILABLE (the database is busy) mean "not done, try
 * again later"; adm_store_retryable() says so. Every other error is final for that request.
 */
bool adm_store_retryable(int code);

int adm_store_open(const char *path, struct adm_store **out, struct fc_err *err);
void adm_store_free(struct adm_store *s);
int adm_store_schema_version(struct adm_store *s);
/* Current time in ns (CLOCK_REALTIME); tests may pin it with adm_store_set_clock(). */
int64_t adm_store_now(struct adm_store *s);
void adm_store_set_clock(struct adm_store *s, int64_t (*now)(void *ctx), void *ctx);

/* Group calls in one transaction. Nests. On error, call adm_store_rollback() instead of commit. */
int adm_store_begin(struct adm_store *s, struct fc_err *err);
int adm_store_commit(struct adm_store *s, struct fc_err *err);
void adm_store_rollback(struct adm_store *s);
/*
 * Inside a level opened by adm_store_begin(): the calls made until that level ends (or adm_store_flat(s, false))
 * nest without savepoints of their own (each costs two statements, and a scheduled fire nested four). A call that
 * fails then leaves what it wrote before failing: the caller must roll its whole level back on any failure,
 * except one it knows wrote nothing (a launch's FC_EEXIST: the name check and the INSERT ... DO NOTHING).
 */
void adm_store_flat(struct adm_store *s, bool on);
/* Rows written by this connection so far (sqlite3_total_changes64): a level entered flat that failed wrote nothing
 * when the count did not move (a failed statement undoes itself). */
int64_t adm_store_total_changes(struct adm_store *s);
/*
 * What the store's connection did with its page cache since it opened (sqlite3_db_status: CACHE_HIT, CACHE_MISS,
 * CACHE_WRITE: pages written to the WAL) and the database's size in pages (PRAGMA page_count), for benchmarks
 * (bench/scheduler: pages written per burst on a grown store).
 */
struct adm_store_pages {
	int64_t hit, miss, written, count;
};
void adm_store_pages(struct adm_store *s, struct adm_store_pages *out);
/*
 * A number that changes whenever a row of `entities` (tasks, workflows, launch plans and their state and policy)
 * may have changed: written by this connection (counted at each row by sqlite's update hook, committed or not) or
 * by any other connection or process (sqlite's `PRAGMA data_version`, read once per outermost transaction). Equal
 * values taken at two moments mean no entity row changed between them, so what was read at the first still holds
 * (the scheduler's check that a launch plan is still the active, unchanged version). Never 0.
 */
uint64_t adm_store_entities_epoch(struct adm_store *s);
/*
 * Checkpoints (copying the WAL into the database file, with its fdatasyncs) happen after the commit that takes the
 * WAL past ADM_WAL_CHECKPOINT_FRAMES, on the committing thread. Between adm_store_defer_checkpoints(s, true) and
 * (s, false), commits only count (up to ADM_WAL_DEFERRED_MAX_FRAMES); the call that ends the deferral checkpoints
 * when the WAL is past the mark (the scheduler defers during a pass of fires). Durability is the same either way:
 * commits are in the WAL.
 */
void adm_store_defer_checkpoints(struct adm_store *s, bool on);

/* ------------------------------------------------------------------------------------------------------------
 * Names. Projects are DNS-1123 labels; domains too; names and versions are 1..255 printable characters without
 * '/', whitespace, or a leading '.'; no ".." anywhere. Violations are FC_EINVAL with a message naming the field.
 */
int adm_check_project(const char *s, struct fc_err *err);
int adm_check_name(const char *what, const char *s, struct fc_err *err);
int adm_check_id(const struct adm_id *id, bool need_version, struct fc_err *err);

/* ---------------------------------------------------------------------------------------------------------- */
/* Projects and domains. Domains are global (development, staging, production by default). */

struct adm_project {
	const char *id;
	const char *name;
	const char *description;
	int state; /* admin.Project.ProjectState */
	int64_t created_at;
};

/* Create, or return FC_EEXIST when the id exists (the existing row is untouched). */
int adm_project_create(struct adm_store *s, const struct adm_project *p, struct fc_err *err);
/* Create if absent (used by registration so a repository does not need a separate step). */
int adm_project_ensure(struct adm_store *s, const char *project, struct fc_err *err);
int adm_project_update(struct adm_store *s, const struct adm_project *p, struct fc_err *err);
int adm_project_get(struct adm_store *s, const char *id, struct fc_arena *a, struct adm_project *out,
		    struct fc_err *err);
int adm_project_list(struct adm_store *s, const struct adm_query *q, struct fc_arena *a, struct adm_project **out,
		     size_t *nr, char **next_token, struct fc_err *err);
/* A request's project and domain: valid names, an existing domain and (with project_must_exist) an existing
 * project. FC_EINVAL otherwise, with the domains (or projects) that do exist in the message: a request naming an
 * unknown one is a bad request, as Flyte's admin answers InvalidArgument. Launches need the project to exist (they
 * never create one); listings in a project nobody created are empty; registration creates its project
 * (adm_project_ensure()). */
int adm_check_scope(struct adm_store *s, const char *project, const char *domain, bool project_must_exist,
		    struct fc_err *err);
int adm_domain_list(struct adm_store *s, struct fc_arena *a, const char ***ids, size_t *nr, struct fc_err *err);
bool adm_domain_exists(struct adm_store *s, const char *domain);

/* ---------------------------------------------------------------------------------------------------------- */
/* Tasks, workflows and launch plans. */

struct adm_entity {
	enum adm_kind kind;
	struct adm_id id;
	/* The compiled IDL: core.CompiledTask, core.CompiledWorkflowClosure or admin.LaunchPlanSpec. Registration
	 * compares these bytes. */
	const uint8_t *spec;
	size_t spec_len;
	/* Launch plans: admin.LaunchPlanClosure holding expected inputs/outputs (state and times are columns). */
	const uint8_t *closure;
	size_t closure_len;
	char digest[65];     /* sha256 hex of spec */
	const char *source;  /* repository file it came from, or NULL */
	int state;           /* launch plans: admin.LaunchPlanState (0 inactive, 1 active) */
	bool has_schedule;   /* launch plans: spec.entity_metadata.schedule is set */
	struct cmp_schedule_policy policy; /* flytec's schedule policy, the compiler's one struct */
	/* Registration: the caller knows the policy (the compiler does, the REST API does not). The policy is not
	 * part of the immutable spec: an identical re-registration with policy_set updates it. */
	bool policy_set;
	int64_t created_at, updated_at;
};

/*
 * Register an entity (immutable, idempotent). `e->digest`, `created_at`, `updated_at` and `state` are ignored
 * (launch plans are created inactive; call adm_launch_plan_set_state()). Returns:
 *   FC_OK with *created = true: new row;  FC_OK with *created = false: identical bytes already registered;
 *   FC_ECONFLICT: the id exists with different bytes; when `existing` is not NULL it receives that entity
 *   (allocated in `a`) so the caller can show a diff.
 * The project is created when absent; the domain must exist.
 */
int adm_entity_register(struct adm_store *s, const struct adm_entity *e, bool *created, struct fc_arena *a,
			struct adm_entity *existing, struct fc_err *err);
/* Get one version; when id->version is NULL or "", the most recently registered one. FC_ENOENT when absent. */
int adm_entity_get(struct adm_store *s, enum adm_kind kind, const struct adm_id *id, struct fc_arena *a,
		   struct adm_entity *out, struct fc_err *err);
/* List versions matching q (project/domain required, name optional, filters, sort, limit, token). */
int adm_entity_list(struct adm_store *s, enum adm_kind kind, const struct adm_query *q, struct fc_arena *a,
		    struct adm_entity **out, size_t *nr, char **next_token, struct fc_err *err);
/* Distinct names in project/domain, sorted by name (the `*_ids` listings). */
int adm_entity_names(struct adm_store *s, enum adm_kind kind, const struct adm_query *q, struct fc_arena *a,
		     const char ***names, size_t *nr, char **next_token, struct fc_err *err);

/* Activate a launch plan version (deactivating every other version of that name, in the same transaction) or
 * deactivate it. FC_ENOENT when the version does not exist. */
int adm_launch_plan_set_state(struct adm_store *s, const struct adm_id *id, int state, struct fc_err *err);
/* The active version of a launch plan name; FC_ENOENT when none is active. */
int adm_launch_plan_get_active(struct adm_store *s, const struct adm_id *name_id, struct fc_arena *a,
			       struct adm_entity *out, struct fc_err *err);
/* The same row without its spec and closure (NULL, length 0): what a caller holding that version decoded needs to
 * see it is still the active one, for a fraction of the read (the blobs are most of the row's pages). */
int adm_launch_plan_get_active_head(struct adm_store *s, const struct adm_id *name_id, struct fc_arena *a,
				    struct adm_entity *out, struct fc_err *err);
/* Deactivate every launch plan registered from `source` (a deleted repository file). */
int adm_launch_plan_deactivate_source(struct adm_store *s, const char *source, size_t *count, struct fc_err *err);

/* ---------------------------------------------------------------------------------------------------------- */
/* Executions. Phases are core.WorkflowExecution.Phase / NodeExecution.Phase / TaskExecution.Phase values. */

struct adm_exec_id {
	const char *project;
	const char *domain;
	const char *name;
};

/*
 * Change notices: who follows executions (admin-lite/stream.c, the watch streams) is told after each commit which
 * executions it touched. A notice names the execution; `phase` is true when it was created or its phase changed
 * (node and task events, claims leave it false). `overflow` says one transaction touched more than
 * ADM_STORE_CHANGES_MAX executions: the list holds the first ones and anything may have changed. The callback
 * runs on the committing thread, with the store's lock possibly held: it must not call the store. The strings
 * are borrowed for the call. One listener per store; NULL removes it. Nothing is recorded without a listener.
 */
struct adm_change {
	struct adm_exec_id id;
	bool phase;
};
typedef void (*adm_change_fn)(void *ctx, const struct adm_change *changes, size_t n, bool overflow);
void adm_store_set_listener(struct adm_store *s, adm_change_fn fn, void *ctx);
/* A second listener for the same notices, told before the first one: a cache of answers, which must forget an
 * execution before anything the first listener wakes (a watch stream's client) can ask for it again. One at a
 * time: false (nothing set) when another is set already; `fn` NULL removes the observer whose context is `ctx`. */
bool adm_store_set_observer(struct adm_store *s, adm_change_fn fn, void *ctx);


struct adm_execution {
	struct adm_exec_id id;
	struct adm_id launch_plan;
	struct adm_id workflow;
	const uint8_t *spec;    /* admin.ExecutionSpec */
	size_t spec_len;
	const uint8_t *inputs;  /* core.LiteralMap (resolved: defaults + fixed + given) */
	size_t inputs_len;
	int phase;
	int mode;               /* admin.ExecutionMetadata.ExecutionMode */
	int64_t created_at, started_at, updated_at, scheduled_at;
	int64_t duration_ns;    /* set when terminal */
	const uint8_t *error;   /* core.ExecutionError, or NULL */
	size_t error_len;
	const char *output_uri;
	const uint8_t *outputs; /* core.LiteralMap inline outputs, or NULL */
	size_t outputs_len;
	const char *abort_cause;
	const char *abort_principal;
	const char *claimed_by; /* propeller owner that claimed it, or NULL */
};

bool adm_wf_phase_terminal(int phase);
bool adm_node_phase_terminal(int phase);
bool adm_task_phase_terminal(int phase);

/* Create an execution in phase QUEUED. FC_EEXIST when the name is taken. Only id, launch_plan, workflow, spec,
 * inputs, mode and scheduled_at are read. */
int adm_execution_create(struct adm_store *s, const struct adm_execution *x, struct fc_err *err);
int adm_execution_get(struct adm_store *s, const struct adm_exec_id *id, struct fc_arena *a,
		      struct adm_execution *out, struct fc_err *err);
int adm_execution_list(struct adm_store *s, const struct adm_query *q, struct fc_arena *a,
		       struct adm_execution **out, size_t *nr, char **next_token, struct fc_err *err);
/* The query plan of that listing (sqlite's EXPLAIN QUERY PLAN lines), for tests that it uses an index. */
int adm_execution_list_plan(struct adm_store *s, const struct adm_query *q, struct fc_buf *plan,
			    struct fc_err *err);
/*
 * Terminate: an unclaimed QUEUED execution becomes ABORTED at once; a claimed running one becomes ABORTING (the
 * propeller sees it, stops the work and reports ABORTED). FC_ECONFLICT when already terminal.
 */
int adm_execution_terminate(struct adm_store *s, const struct adm_exec_id *id, const char *cause,
			    const char *principal, struct fc_err *err);

/* ---------------------------------------------------------------------------------------------------------- */
/*
 * The propeller's queue (in-process API).
 *
 *   adm_queue_claim():   atomically take the oldest QUEUED execution nobody has claimed and mark it claimed by
 *                        `owner`; FC_ENOENT when the queue is empty. The answer carries the execution and the
 *                        compiled workflow closure (core.CompiledWorkflowClosure bytes) to run.
 *   adm_queue_recover(): on start, give back every non-terminal execution claimed by `owner` (or by anyone when
 *                        owner is NULL) to the queue; running ones keep their phase and are claimable again, so a
 *                        restarted propeller resumes them (it must skip tasks whose events say they succeeded).
 *   phase and outputs:   reported as events through adm_event_workflow() etc. below (the same intake as
 *                        POST /api/v1/events/...).
 */
struct adm_claim {
	struct adm_execution exec;
	const uint8_t *closure; /* core.CompiledWorkflowClosure */
	size_t closure_len;
};

int adm_queue_claim(struct adm_store *s, const char *owner, struct fc_arena *a, struct adm_claim *out,
		    struct fc_err *err);
int adm_queue_recover(struct adm_store *s, const char *owner, size_t *count, struct fc_err *err);
/* The executions claimed by `owner` that were asked to stop (phase ABORTING), oldest first; ids in `a`. */
int adm_queue_aborting(struct adm_store *s, const char *owner, struct fc_arena *a, struct adm_exec_id **out,
		       size_t *nr, struct fc_err *err);

/* ---------------------------------------------------------------------------------------------------------- */
/*
 * Events (Flyte's transition rules). Each call applies one event in one transaction and keeps it in the history:
 *   - the same phase again is a no-op (*applied = false, FC_OK);
 *   - nothing leaves a terminal phase (FC_ECONFLICT, "already in terminal phase");
 *   - task events with the same phase and a phase_version not above the stored one are no-ops;
 *   - node and task events for an execution that is terminal are refused (FC_ECONFLICT);
 *   - the execution (node, task) must exist: FC_ENOENT otherwise (node/task rows are created by their first
 *     event).
 * The event structs are the decoded flyteidl.event messages' essentials, filled by the caller (events.c turns
 * the protobuf messages into these), plus the serialized event for the history.
 */
struct adm_wf_event {
	struct adm_exec_id exec;
	int phase;
	int64_t occurred_at;
	const char *output_uri;
	const uint8_t *outputs; size_t outputs_len; /* core.LiteralMap */
	const uint8_t *error; size_t error_len;     /* core.ExecutionError */
	const char *producer_id;
	const uint8_t *raw; size_t raw_len;         /* the serialized event, kept in the history */
};

struct adm_node_event {
	struct adm_exec_id exec;
	const char *node_id;
	int phase;
	int64_t occurred_at;
	const char *input_uri;
	const char *output_uri;
	const uint8_t *outputs; size_t outputs_len;
	const uint8_t *error; size_t error_len;
	const char *spec_node_id;
	const char *retry_group;
	const char *parent_node_id; /* from parent_node_metadata, or NULL */
	const char *node_name;
	bool is_parent, is_dynamic, is_array;
	const uint8_t *raw; size_t raw_len;
};

struct adm_task_event {
	struct adm_exec_id exec;
	const char *node_id;
	struct adm_id task;
	uint32_t retry_attempt;
	int phase;
	uint32_t phase_version;
	int64_t occurred_at;
	const char *input_uri;
	const char *output_uri;
	const uint8_t *outputs; size_t outputs_len;
	const uint8_t *error; size_t error_len;
	const uint8_t *logs; size_t logs_len;   /* the event itself carries logs; the store keeps the last event */
	const char *task_type;
	const char *reason;
	const uint8_t *raw; size_t raw_len;
};

int adm_event_workflow(struct adm_store *s, const struct adm_wf_event *ev, bool *applied, struct fc_err *err);
int adm_event_node(struct adm_store *s, const struct adm_node_event *ev, bool *applied, struct fc_err *err);
int adm_event_task(struct adm_store *s, const struct adm_task_event *ev, bool *applied, struct fc_err *err);

struct adm_node_execution {
	struct adm_exec_id exec;
	const char *node_id;
	int phase;
	int64_t created_at, started_at, updated_at;
	int64_t duration_ns;
	const char *input_uri, *output_uri;
	const uint8_t *outputs; size_t outputs_len;
	const uint8_t *error; size_t error_len;
	const char *spec_node_id, *retry_group, *parent_node_id, *node_name;
	bool is_parent, is_dynamic, is_array;
};

struct adm_task_execution {
	struct adm_exec_id exec;
	const char *node_id;
	struct adm_id task;
	uint32_t retry_attempt;
	int phase;
	uint32_t phase_version;
	int64_t created_at, started_at, updated_at;
	int64_t duration_ns;
	const char *input_uri, *output_uri;
	const uint8_t *outputs; size_t outputs_len;
	const uint8_t *error; size_t error_len;
	const uint8_t *last_event; size_t last_event_len; /* event.TaskExecutionEvent: logs, reasons, metadata */
	const char *task_type;
	const char *reason;
};

/* One row of an entity's history (the events received, in order). */
struct adm_event_row {
	int kind; /* 1 workflow, 2 node, 3 task */
	const char *node_id;
	uint32_t retry_attempt;
	int phase;
	uint32_t phase_version;
	int64_t occurred_at, recorded_at;
	const uint8_t *raw; size_t raw_len;
};

int adm_node_execution_get(struct adm_store *s, const struct adm_exec_id *exec, const char *node_id,
			   struct fc_arena *a, struct adm_node_execution *out, struct fc_err *err);
/* q->filters may use phase, node_id, created_at, updated_at; parent_node_id narrows to children (NULL: top level
 * and children alike). */
int adm_node_execution_list(struct adm_store *s, const struct adm_exec_id *exec, const char *parent_node_id,
			    const struct adm_query *q, struct fc_arena *a, struct adm_node_execution **out,
			    size_t *nr, char **next_token, struct fc_err *err);
int adm_node_execution_list_plan(struct adm_store *s, const struct adm_exec_id *exec, const char *parent_node_id,
				 const struct adm_query *q, struct fc_buf *plan, struct fc_err *err);
int adm_task_execution_list(struct adm_store *s, const struct adm_exec_id *exec, const char *node_id,
			    const struct adm_query *q, struct fc_arena *a, struct adm_task_execution **out,
			    size_t *nr, char **next_token, struct fc_err *err);
int adm_task_execution_get(struct adm_store *s, const struct adm_exec_id *exec, const char *node_id,
			   const struct adm_id *task, uint32_t retry_attempt, struct fc_arena *a,
			   struct adm_task_execution *out, struct fc_err *err);
/* The event history of an execution (kind 0: all kinds), oldest first. */
int adm_event_history(struct adm_store *s, const struct adm_exec_id *exec, int kind, struct fc_arena *a,
		      struct adm_event_row **out, size_t *nr, struct fc_err *err);

/* ---------------------------------------------------------------------------------------------------------- */
/* Signals (gate nodes). `type` is core.LiteralType bytes, `value` core.Literal bytes (NULL until set). */

struct adm_signal {
	struct adm_exec_id exec;
	const char *signal_id;
	const uint8_t *type; size_t type_len;
	const uint8_t *value; size_t value_len;
	int64_t created_at, updated_at;
};

/* Create with `type` when absent; return the stored signal either way. FC_ECONFLICT when it exists with a
 * different type. */
int adm_signal_get_or_create(struct adm_store *s, const struct adm_signal *sig, struct fc_arena *a,
			     struct adm_signal *out, struct fc_err *err);
/* Set the value once: FC_ENOENT when the signal does not exist, FC_ECONFLICT when already set to another value. */
int adm_signal_set(struct adm_store *s, const struct adm_exec_id *exec, const char *signal_id,
		   const uint8_t *value, size_t value_len, struct fc_err *err);
int adm_signal_list(struct adm_store *s, const struct adm_exec_id *exec, const struct adm_query *q,
		    struct fc_arena *a, struct adm_signal **out, size_t *nr, char **next_token, struct fc_err *err);

/* ---------------------------------------------------------------------------------------------------------- */
/*
 * The scheduler's hooks.
 *   adm_schedule_list(): every ACTIVE launch plan with a schedule, with its policy and its last fired slot
 *                        (INT64_MIN when it never fired).
 *   adm_schedule_fire(): create execution `x` (mode SCHEDULED, caller-chosen name) and record `slot` as the last
 *                        fired slot of the launch plan's name, in one transaction. A slot at or before the recorded
 *                        one is FC_EEXIST and creates nothing, so each slot fires at most once even across crashes.
 */
struct adm_scheduled_lp {
	struct adm_entity lp;
	int64_t last_slot;
	bool paused;              /* `flytec schedule pause`: no slot fires while paused */
	const char *pause_note;   /* the note given with the pause (NULL when not paused) */
	int64_t pause_changed_at; /* when it was last paused or unpaused (ns; 0: never) */
	int64_t resume_from;      /* ns: slots at or before it do not fire (an unpause without catch-up); 0: none */
	size_t waiting;           /* slots in the durable buffer (schedule_slots rows with waiting = 1) */
};

int adm_schedule_list(struct adm_store *s, struct fc_arena *a, struct adm_scheduled_lp **out, size_t *nr,
		      struct fc_err *err);
int adm_schedule_fire(struct adm_store *s, const struct adm_id *lp_name, int64_t slot,
		      const struct adm_execution *x, struct fc_err *err);
/*
 * Pause or unpause the schedule of launch plan name `lp_name` (any version; the pause belongs to the name, like the
 * slot record). `note` says why (at most ADM_PAUSE_NOTE_MAX bytes). Unpausing with catch_up false records the
 * current time as resume_from, so the slots that fell in the pause never fire; with catch_up true they go through
 * the plan's catch-up policy. FC_ENOENT when no such launch plan exists.
 */
#define ADM_PAUSE_NOTE_MAX 1024
int adm_schedule_set_paused(struct adm_store *s, const struct adm_id *lp_name, bool paused, const char *note,
			    bool catch_up, struct fc_err *err);
/* The last fired slot (INT64_MIN when none). */
int64_t adm_schedule_last_slot(struct adm_store *s, const struct adm_id *lp_name);

/*
 * The slot log (table schedule_slots, migration 5): one row per slot of a launch plan name that the scheduler or a
 * backfill took a decision on, keyed by (launch plan name, slot). It is three things at once: the "last 10 slots"
 * view, the durable buffer of the overlap policies (rows with `waiting`: the slot has no execution yet and starts
 * when the running one ends), and the backfill queue (outcome BACKFILL, waiting until its parallelism bound allows).
 * A row other than MISSED means the slot was taken: a backfill does not run it again and the live scheduler does
 * not fire it. Finished rows beyond the newest ADM_SLOT_LOG_KEEP of a name are pruned (backfill rows and waiting
 * rows are kept: they are the queue and its parallelism count).
 * A slot the live scheduler fired plainly (outcome fired, no detail, its execution under the name derived from the
 * plan and the slot) has no row since the fifth round of issue 12: the execution (that name, scheduled_at the
 * slot, mode SCHEDULED) proves it, and a row per fire was a third of the pages a burst of 1,000 wrote on a grown
 * store. adm_schedule_slot_list() shows such executions as "fired" rows in their place; adm_schedule_slot_get()
 * reads rows only (the scheduler's slot_taken() looks for the execution by its derived names). Rows written before
 * stay and are read as before.
 */
enum adm_slot_outcome {
	ADM_SLOT_FIRED = 0,      /* an execution started at its time */
	ADM_SLOT_SKIPPED,        /* skipped by the overlap policy (skip, buffer_one/buffer_all over their bound, or a
				  * cancel_other slot superseded by a newer one) */
	ADM_SLOT_MISSED,         /* left out by the catch-up policy or window */
	ADM_SLOT_BUFFERED,       /* waited for the running execution (buffer_one, buffer_all) */
	ADM_SLOT_CANCELLED_OTHER,/* terminated the running execution and started after it ended (cancel_other) */
	ADM_SLOT_BACKFILL,       /* run by a backfill */
	ADM_SLOT_PAUSED,         /* not run: the schedule paused itself on failures (pause_on_failure) */
	ADM_SLOT_REPLACED,       /* started after terminating the running execution without waiting (replace) */
};
#define ADM_SLOT_LOG_KEEP 64
const char *adm_slot_outcome_name(enum adm_slot_outcome o);

struct adm_slot {
	int64_t slot;            /* ns */
	enum adm_slot_outcome outcome;
	bool waiting;            /* no execution yet: in the buffer or the backfill queue */
	const char *execution;   /* the execution's name (NULL while waiting, and for missed slots) */
	const char *detail;      /* why, in words ("" when nothing to add) */
	uint32_t parallel;       /* backfill rows: the parallelism bound the backfill asked for */
	int64_t recorded_at;     /* ns: when the decision was last written */
};

/* Insert or overwrite the row of `slot->slot` (joins the caller's transaction, if any). */
int adm_schedule_slot_put(struct adm_store *s, const struct adm_id *lp_name, const struct adm_slot *slot,
			  struct fc_err *err);
/* The row of slot `slot_ns`: FC_ENOENT when none. */
int adm_schedule_slot_get(struct adm_store *s, const struct adm_id *lp_name, int64_t slot_ns, struct fc_arena *a,
			  struct adm_slot *out, struct fc_err *err);
/* The newest `limit` rows, newest slot first, with the plainly fired slots that have no row read from their
 * executions (waiting ones only when `waiting_only`, then oldest first). */
int adm_schedule_slot_list(struct adm_store *s, const struct adm_id *lp_name, bool waiting_only, size_t limit,
			   struct fc_arena *a, struct adm_slot **out, size_t *nr, struct fc_err *err);
/* Record `slot` as the last fired slot without creating an execution (a slot that went into the buffer, or that a
 * backfill took first). FC_EEXIST when the recorded slot is already at or after it. */
int adm_schedule_advance(struct adm_store *s, const struct adm_id *lp_name, int64_t slot, struct fc_err *err);
/* Executions started by backfill rows of `lp_name` that have not finished. */
int adm_schedule_backfill_running(struct adm_store *s, const struct adm_id *lp_name, size_t *n, struct fc_err *err);
/*
 * pause_on_failure: the phases of the newest `limit` finished scheduled executions of `lp_name` (SUCCEEDED, FAILED or
 * TIMED_OUT; aborted ones are neither a success nor a failure) created after `after_ns`, newest first, with the
 * newest one's name in *last (in `a`).
 */
int adm_schedule_recent_results(struct adm_store *s, const struct adm_id *lp_name, int64_t after_ns, size_t limit,
				struct fc_arena *a, int *phases, size_t *nr, const char **last, struct fc_err *err);
/* When launch plan version `id` was last activated (ns; adm_launch_plan_set_state() records it when the version
 * was not active), 0 when never or unknown. The scheduler's fixed-rate anchor: unlike updated_at, it does not move
 * when an identical re-registration updates the policy. */
int64_t adm_launch_plan_activated_at(struct adm_store *s, const struct adm_id *id);

/* ---------------------------------------------------------------------------------------------------------- */
/* Repository compile status, one row per spec file, written by the watcher. */

struct adm_file_status {
	const char *path;
	bool ok;
	size_t nerrors, nwarnings;
	const char *diagnostics_text; /* rendered file:line:col text */
	const char *diagnostics_json; /* fc_diags_render JSON */
	int64_t updated_at;
	bool deleted;
};

int adm_file_status_put(struct adm_store *s, const struct adm_file_status *st, struct fc_err *err);
int adm_file_status_list(struct adm_store *s, bool errors_only, struct fc_arena *a, struct adm_file_status **out,
			 size_t *nr, struct fc_err *err);

/*
 * A file status that could not be written (the store was failing) is kept in memory and shown by
 * adm_file_status_list() in its place, so `flytec status` shows the file as failed with the reason until the
 * watcher's retry writes it. adm_file_status_put() keeps it there itself when its write fails; a later successful
 * put of the same path replaces it.
 */

/*
 * Test hook: make the store's writes fail (see store_fault.c). After `after` more writes (sqlite's xWrite, xTruncate
 * and xSync on the database, WAL or journal), the next one fails as a full disk would (SQLITE_FULL); with
 * `persistent`, every later one fails too until adm_store_fault_disarm(). Process-wide, inert unless armed; the
 * environment variables FLYTEC_FAULT_WRITE_AFTER=N and FLYTEC_FAULT_PERSIST=1 arm it when the first store opens.
 * adm_store_fault_hits() counts the writes failed since the last arm.
 */
void adm_store_fault_arm(long after, bool persistent);
void adm_store_fault_disarm(void);
unsigned long adm_store_fault_hits(void);
/* When FLYTEC_FAULT_WRITE_AFTER is set, make the shim sqlite's default VFS, so every database the process opens
 * (in `flytec run`, the propeller's state) meets the fault, not only the admin's stores. */
void adm_store_fault_everywhere(void);

/* A cheap query: 0 when the database answers (for /healthz). */
int adm_store_ping(struct adm_store *s, struct fc_err *err);

/* Row counts for /metrics. */
struct adm_store_counts {
	int64_t projects, tasks, workflows, launch_plans, executions, node_executions, task_executions, events,
		files_failed;
};
int adm_store_counts(struct adm_store *s, struct adm_store_counts *out, struct fc_err *err);

#endif
