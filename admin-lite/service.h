/*
 * service.h: admin-lite's operations on IDL messages, shared by the REST API, the repository watcher and an
 * in-process propeller. It turns IDL messages into store rows and store rows back into the admin API's messages
 * (admin.Task, admin.Execution, ...), checks requests, and renders registration conflicts as a diff.
 *
 * Memory: messages returned are allocated in the caller's arena (fc_arena_pb_allocator) and live as long as it.
 * Inputs are borrowed.
 */
#ifndef ADM_SERVICE_H
#define ADM_SERVICE_H

#include "admin-lite/store.h"

#include "flyteidl/admin/execution.pb-c.h"
#include "flyteidl/admin/launch_plan.pb-c.h"
#include "flyteidl/admin/node_execution.pb-c.h"
#include "flyteidl/admin/project.pb-c.h"
#include "flyteidl/admin/signal.pb-c.h"
#include "flyteidl/admin/task.pb-c.h"
#include "flyteidl/admin/task_execution.pb-c.h"
#include "flyteidl/admin/workflow.pb-c.h"
#include "flyteidl/core/compiler.pb-c.h"
#include "flyteidl/event/event.pb-c.h"

struct fc_arena;
struct fc_buf;
struct fc_err;

/* Registration. Each returns FC_OK (with *created false when identical content was already registered under the
 * id), or FC_ECONFLICT with a readable diff (existing -> new, both rendered as proto3 JSON) appended to `diff`
 * (may be NULL). `source` is the repository file, or NULL. */
int adm_register_task(struct adm_store *s, const Flyteidl__Core__Identifier *id,
		      const Flyteidl__Core__CompiledTask *task, const char *source, bool *created, struct fc_buf *diff,
		      struct fc_err *err);
int adm_register_workflow(struct adm_store *s, const Flyteidl__Core__Identifier *id,
			  const Flyteidl__Core__CompiledWorkflowClosure *closure, const char *source, bool *created,
			  struct fc_buf *diff, struct fc_err *err);
/* `lp` carries id + spec (its closure's expected inputs/outputs are kept when present, else derived from the
 * spec's default inputs and the registered workflow's outputs; the workflow must be registered). The launch plan
 * is stored inactive. */
int adm_register_launch_plan(struct adm_store *s, const Flyteidl__Admin__LaunchPlan *lp,
			     const struct cmp_schedule_policy *policy, const char *source, bool *created,
			     struct fc_buf *diff, struct fc_err *err);

/* The REST API's create requests: TaskCreateRequest (spec.template becomes the CompiledTask) and
 * WorkflowCreateRequest (the closure is assembled from the template, its sub-workflows, the registered tasks its
 * task nodes reference (all must exist) and connections derived from upstream_node_ids). */
int adm_create_task(struct adm_store *s, const Flyteidl__Admin__TaskCreateRequest *req, bool *created,
		    struct fc_buf *diff, struct fc_err *err);
int adm_create_workflow(struct adm_store *s, const Flyteidl__Admin__WorkflowCreateRequest *req, bool *created,
			struct fc_buf *diff, struct fc_err *err);
int adm_create_launch_plan(struct adm_store *s, const Flyteidl__Admin__LaunchPlanCreateRequest *req, bool *created,
			   struct fc_buf *diff, struct fc_err *err);

/* Store rows as admin API messages. */
int adm_task_msg(const struct adm_entity *e, struct fc_arena *a, Flyteidl__Admin__Task **out, struct fc_err *err);
int adm_workflow_msg(const struct adm_entity *e, struct fc_arena *a, Flyteidl__Admin__Workflow **out,
		     struct fc_err *err);
int adm_launch_plan_msg(const struct adm_entity *e, struct fc_arena *a, Flyteidl__Admin__LaunchPlan **out,
			struct fc_err *err);
/* Any of the three by the row's kind (an admin.Task, admin.Workflow or admin.LaunchPlan). */
int adm_entity_msg(const struct adm_entity *e, struct fc_arena *a, ProtobufCMessage **out, struct fc_err *err);
/* A page of them as a TaskList, WorkflowList or LaunchPlanList of `kind`: `items` (borrowed) and the next page's
 * token (NULL: the last page), in `a`. The REST and gRPC doors answer lists with it. */
ProtobufCMessage *adm_entity_list_msg(enum adm_kind kind, struct fc_arena *a, ProtobufCMessage **items, size_t n,
				      const char *next);
int adm_execution_msg(const struct adm_execution *x, struct fc_arena *a, Flyteidl__Admin__Execution **out,
		      struct fc_err *err);
int adm_node_execution_msg(const struct adm_node_execution *n, struct fc_arena *a,
			   Flyteidl__Admin__NodeExecution **out, struct fc_err *err);
int adm_task_execution_msg(const struct adm_task_execution *t, struct fc_arena *a,
			   Flyteidl__Admin__TaskExecution **out, struct fc_err *err);
int adm_signal_msg(const struct adm_signal *g, struct fc_arena *a, Flyteidl__Admin__Signal **out,
		   struct fc_err *err);
/*
 * Pages of the store as the API's list messages, in `a`, with the next page's token ("" on the last page). The
 * REST and gRPC doors answer their list calls with these. adm_entity_items() gives the page's entity messages
 * (for adm_entity_list_msg(), after any filtering the door does).
 */
int adm_entity_items(struct adm_store *s, enum adm_kind kind, const struct adm_query *q, struct fc_arena *a,
		     ProtobufCMessage ***items, size_t *n, char **next, struct fc_err *err);
int adm_entity_ids_msg(struct adm_store *s, enum adm_kind kind, const struct adm_query *q, struct fc_arena *a,
		       Flyteidl__Admin__NamedEntityIdentifierList **out, struct fc_err *err);
/* Every domain (the same for every project), NULL on error. */
Flyteidl__Admin__Domain **adm_domain_msgs(struct adm_store *s, struct fc_arena *a, size_t *n, struct fc_err *err);
int adm_project_list_msg(struct adm_store *s, const struct adm_query *q, struct fc_arena *a,
			 Flyteidl__Admin__Projects **out, struct fc_err *err);
int adm_execution_list_msg(struct adm_store *s, const struct adm_query *q, struct fc_arena *a,
			   Flyteidl__Admin__ExecutionList **out, struct fc_err *err);
int adm_node_execution_list_msg(struct adm_store *s, const struct adm_exec_id *id, const char *parent_node_id,
				const struct adm_query *q, struct fc_arena *a, Flyteidl__Admin__NodeExecutionList **out,
				struct fc_err *err);
int adm_task_execution_list_msg(struct adm_store *s, const struct adm_exec_id *id, const char *node_id,
				const struct adm_query *q, struct fc_arena *a, Flyteidl__Admin__TaskExecutionList **out,
				struct fc_err *err);
int adm_signal_list_msg(struct adm_store *s, const struct adm_exec_id *id, const struct adm_query *q,
			struct fc_arena *a, Flyteidl__Admin__SignalList **out, struct fc_err *err);
Flyteidl__Core__Identifier *adm_identifier_msg(struct fc_arena *a, enum adm_kind kind, const struct adm_id *id);
Flyteidl__Core__WorkflowExecutionIdentifier *adm_exec_id_msg(struct fc_arena *a, const struct adm_exec_id *id);

/*
 * Create an execution from a launch plan: ExecutionCreateRequest semantics. The launch plan is spec.launch_plan
 * (an empty version means the active version, else the latest); inputs are checked against its expected inputs
 * (unknown names and fixed inputs refused, required ones demanded) and completed with its defaults and fixed
 * inputs. An empty name gets a generated one. `mode` is admin.ExecutionMetadata.ExecutionMode. On success `out`
 * (may be NULL) receives the id, allocated in `a`.
 */
int adm_launch(struct adm_store *s, const Flyteidl__Admin__ExecutionCreateRequest *req, int mode,
	       struct fc_arena *a, struct adm_exec_id *out, struct fc_err *err);
/* The same, but the execution is created through adm_schedule_fire() for slot `slot` (the scheduler's hook). */
int adm_launch_scheduled(struct adm_store *s, const Flyteidl__Admin__ExecutionCreateRequest *req, int64_t slot,
			 struct fc_arena *a, struct adm_exec_id *out, struct fc_err *err);
/* A launch plan version decoded once for many launches (the scheduler keeps one per schedule): its id and its
 * spec and closure messages, all in the arena given to adm_lp_decode(). A registered version never changes, so it
 * stays right for as long as the caller checks that the version it names is the one it launches. */
struct adm_lp_decoded {
	struct adm_id id;
	Flyteidl__Admin__LaunchPlanSpec *spec;
	Flyteidl__Admin__LaunchPlanClosure *closure; /* NULL when the row has none */
};
int adm_lp_decode(const struct adm_entity *lp, struct fc_arena *a, struct adm_lp_decoded *out, struct fc_err *err);
/* adm_launch_scheduled with `lp` the launch plan version the caller read in its open transaction, decoded (NULL:
 * read it here); used only when the request names that version, so a scheduled fire neither reads nor decodes the
 * plan again. */
int adm_launch_scheduled_lp(struct adm_store *s, const Flyteidl__Admin__ExecutionCreateRequest *req,
			    const struct adm_lp_decoded *lp, int64_t slot, struct fc_arena *a, struct adm_exec_id *out,
			    struct fc_err *err);
/* ExecutionRelaunchRequest: a new execution with the same launch plan, spec and inputs (mode RELAUNCH). */
int adm_relaunch(struct adm_store *s, const Flyteidl__Admin__ExecutionRelaunchRequest *req, struct fc_arena *a,
		 struct adm_exec_id *out, struct fc_err *err);
/* A generated execution name: a letter then 19 letters/digits. */
void adm_generate_name(char out[21]);

/*
 * The one events intake: POST /api/v1/events/... and the in-process executor's sink both hand their message here.
 * `ev` is a flyteidl.event WorkflowExecutionEvent, NodeExecutionEvent or TaskExecutionEvent; it is applied with
 * Flyte's transition rules (see store.h) in one transaction, all or nothing: its row changes and its history entry
 * are stored together or not at all. A workflow event into a terminal phase also closes, in the same transaction,
 * the execution's nodes and task attempts still in a non-terminal phase (as ABORTED, with a history entry each), so
 * a terminal execution never keeps a running node.
 *
 * Contract for senders: FC_OK means stored (*applied false: it repeated the current phase, a no-op). When
 * adm_store_retryable(rc) (FC_ESTORAGE: disk full or failing; FC_EUNAVAILABLE: busy), nothing was stored and the
 * sender must send the same event again later (with backoff) until it is stored; events of one execution must be
 * retried in order, so a sender holds back that execution's later events meanwhile. Any other code is a final
 * refusal of this event (invalid, unknown execution, out of a terminal phase): retrying cannot change it.
 */
int adm_intake_event(struct adm_store *s, const ProtobufCMessage *ev, bool *applied, struct fc_err *err);

/* Conversions between ns since the epoch and google.protobuf messages. */
Google__Protobuf__Timestamp *adm_timestamp_msg(struct fc_arena *a, int64_t ns);
int64_t adm_timestamp_ns(const Google__Protobuf__Timestamp *ts);

#endif
