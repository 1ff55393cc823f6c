/*
 * grpc.c: the admin API over gRPC (grpc.h), on gRPC core's completion-queue server API.
 *
 * How a call travels: every method of the table below is registered with gRPC core, which reads a call's request
 * message before it hands the call over, so a client that never sends one holds no worker. Each worker thread owns
 * a completion queue registered with the server, on which it keeps one request outstanding per method (and one
 * for unregistered methods, answered UNIMPLEMENTED), and a second queue for the operations of the call it serves.
 * A worker checks the token, unpacks the message with protobuf-c into the call's arena, runs the method's handler
 * (the service.c and store.c functions the REST routes call), packs the answer and sends it with the status in one
 * batch, waiting ADM_GRPC_SEND_TIMEOUT_S at most before it cancels the call. Calls beyond the workers wait inside
 * gRPC core. Errors become gRPC statuses through one table (grpc_status_of).
 */
#include "admin-lite/dataproxy.h"
#include "admin-lite/grpc.h"
#include "admin-lite/server_int.h"
#include "admin-lite/service.h"
#include "admin-lite/store.h"
#include "compiler/lit.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/pbdepth.h"
#include "core/pbpack.h"

#include "flyteidl/admin/common.pb-c.h"
#include "flyteidl/admin/event.pb-c.h"
#include "flyteidl/admin/version.pb-c.h"
#include "flyteidl/service/auth.pb-c.h"
#include "flyteidl/service/dataproxy.pb-c.h"
#include "flyteidl/service/identity.pb-c.h"

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct grpc_worker {
	struct adm_grpc *g;
	grpc_completion_queue *cq;      /* new calls (registered with the server) */
	grpc_completion_queue *call_cq; /* the operations of the call being served */
	pthread_t thread;
	bool started;
};

struct adm_grpc {
	struct adm_store *store;
	grpc_server *server;
	unsigned port;
	char *token;
	char *version;
	bool public_reads;
	size_t max_answer;
	void (*on_change)(void *ctx);
	void *on_change_ctx;
	struct grpc_worker *workers;
	unsigned nworkers;
	void **registered; /* per methods[] entry */
	const struct adm_dataproxy *dataproxy;
	char *http_base;
	bool initialised; /* grpc_init() was called */
};

/* One call being served. */
struct grpc_method;

struct gcall {
	struct adm_grpc *g;
	const struct grpc_method *m; /* the method being served */
	struct fc_arena arena;
	struct fc_buf details; /* the status message, when the handler wants more than err->msg (a diff) */
};

typedef int (*grpc_method_fn)(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp,
			      struct fc_err *err);

/* One row per method. Handlers shared by the task, workflow and launch plan methods read `kind` and `out` from
 * their row instead of having one wrapper per kind. */
struct grpc_method {
	const char *path; /* "/package.Service/Method" */
	const ProtobufCMessageDescriptor *in;
	grpc_method_fn fn;
	enum adm_access access;
	enum adm_kind kind;                     /* the entity kind, for the shared entity handlers */
	const ProtobufCMessageDescriptor *out;  /* the answer, for the shared handlers (NULL: the handler knows) */
};

/* ------------------------------------------------------------------------------------------------------------
 * Errors: fc_err codes to gRPC statuses, as Flyte's admin returns them.
 */
static grpc_status_code grpc_status_of(int code)
{
	switch (code) {
	case FC_OK:
		return GRPC_STATUS_OK;
	case FC_EINVAL:
	case FC_EPARSE:
	case FC_ESPEC:
		return GRPC_STATUS_INVALID_ARGUMENT;
	case FC_ENOENT:
		return GRPC_STATUS_NOT_FOUND;
	case FC_EEXIST:
	case FC_ECONFLICT:
		return GRPC_STATUS_ALREADY_EXISTS;
	case FC_ELIMIT:
		return GRPC_STATUS_RESOURCE_EXHAUSTED;
	case FC_EPERM:
		return GRPC_STATUS_PERMISSION_DENIED;
	case FC_EUNSUPPORTED:
		return GRPC_STATUS_UNIMPLEMENTED;
	case FC_EUNAVAILABLE:
	case FC_ESTORAGE:
	case FC_EIO:
		return GRPC_STATUS_UNAVAILABLE;
	default:
		return GRPC_STATUS_INTERNAL;
	}
}

/* ------------------------------------------------------------------------------------------------------------
 * Request fields to store arguments.
 */
static const char *opt_str(const char *s)
{
	return s && *s ? s : NULL;
}

static struct adm_id id_of(const Flyteidl__Core__Identifier *m)
{
	struct adm_id id = {NULL, NULL, NULL, NULL};

	if (m) {
		id.project = m->project;
		id.domain = m->domain;
		id.name = m->name;
		id.version = m->version;
	}
	return id;
}

static int exec_id_of(const Flyteidl__Core__WorkflowExecutionIdentifier *m, struct adm_exec_id *id,
		      struct fc_err *err)
{
	if (!m)
		return fc_err_set(err, FC_EINVAL, "the execution id is required");
	id->project = m->project;
	id->domain = m->domain;
	id->name = m->name;
	if (adm_check_project(id->project, err))
		return FC_EINVAL;
	return adm_check_name("execution name", id->name, err);
}

/* The paging, filter and sort fields every list request carries, as the REST query string gives them. */
static int query_of(struct adm_query *q, uint32_t limit, const char *token, const char *filters,
		    const Flyteidl__Admin__Sort *sort, struct fc_err *err)
{
	memset(q, 0, sizeof(*q));
	if (limit > ADM_LIMIT_MAX)
		return fc_err_set(err, FC_EINVAL, "limit must be an integer from 1 to %d, not %u", ADM_LIMIT_MAX,
				  limit);
	q->limit = limit;
	q->token = opt_str(token);
	q->filters = opt_str(filters);
	if (sort) {
		q->sort_key = opt_str(sort->key);
		q->sort_asc = sort->direction == FLYTEIDL__ADMIN__SORT__DIRECTION__ASCENDING;
	}
	return 0;
}

static void *new_msg(struct gcall *c, const ProtobufCMessageDescriptor *desc)
{
	ProtobufCMessage *m = fc_arena_alloc(&c->arena, desc->sizeof_message);

	desc->message_init(m);
	return m;
}

static void changed(struct gcall *c)
{
	if (c->g->on_change)
		c->g->on_change(c->g->on_change_ctx);
}

/* ------------------------------------------------------------------------------------------------------------
 * Tasks, workflows, launch plans.
 */
static int registered(struct gcall *c, int rc, const ProtobufCMessageDescriptor *out_desc, ProtobufCMessage **resp,
		      struct fc_buf *diff, struct fc_err *err)
{
	if (rc == FC_ECONFLICT) {
		/* ALREADY_EXISTS, with what differs in the message (Flyte's "different structure" error) */
		fc_buf_addf(&c->details, "%s\n%.*s", err->msg, (int)diff->len, diff->buf);
		return rc;
	}
	if (rc)
		return rc;
	*resp = new_msg(c, out_desc);
	changed(c);
	return 0;
}

/* CreateTask, CreateWorkflow, CreateLaunchPlan: compiled and registered by the service (adm_create_*). */
static int m_create_entity(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp, struct fc_err *err)
{
	struct fc_buf diff = FC_BUF_INIT;
	bool created = false;
	int rc;

	switch (c->m->kind) {
	case ADM_TASK:
		rc = adm_create_task(c->g->store, (const Flyteidl__Admin__TaskCreateRequest *)req, &created, &diff, err);
		break;
	case ADM_WORKFLOW:
		rc = adm_create_workflow(c->g->store, (const Flyteidl__Admin__WorkflowCreateRequest *)req, &created,
					 &diff, err);
		break;
	default:
		rc = adm_create_launch_plan(c->g->store, (const Flyteidl__Admin__LaunchPlanCreateRequest *)req, &created,
					    &diff, err);
		break;
	}
	rc = registered(c, rc, c->m->out, resp, &diff, err);
	fc_buf_release(&diff);
	return rc;
}

static int m_get_entity(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp, struct fc_err *err)
{
	const Flyteidl__Admin__ObjectGetRequest *r = (const Flyteidl__Admin__ObjectGetRequest *)req;
	struct adm_id id = id_of(r->id);
	struct adm_entity e;

	if (!r->id)
		return fc_err_set(err, FC_EINVAL, "id is required");
	if (adm_check_id(&id, true, err) || adm_entity_get(c->g->store, c->m->kind, &id, &c->arena, &e, err))
		return err->code;
	return adm_entity_msg(&e, &c->arena, resp, err);
}

static int entity_list(struct gcall *c, enum adm_kind kind, const struct adm_query *q, ProtobufCMessage **resp,
		       struct fc_err *err)
{
	ProtobufCMessage **items;
	size_t n;
	char *next;

	if (adm_entity_items(c->g->store, kind, q, &c->arena, &items, &n, &next, err))
		return err->code;
	*resp = adm_entity_list_msg(kind, &c->arena, items, n, next);
	return 0;
}

static int m_list_entities(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp, struct fc_err *err)
{
	const Flyteidl__Admin__ResourceListRequest *r = (const Flyteidl__Admin__ResourceListRequest *)req;
	struct adm_query q;

	if (!r->id)
		return fc_err_set(err, FC_EINVAL, "id (project, domain) is required");
	if (query_of(&q, r->limit, r->token, r->filters, r->sort_by, err))
		return err->code;
	q.project = r->id->project;
	q.domain = r->id->domain;
	q.name = opt_str(r->id->name);
	return entity_list(c, c->m->kind, &q, resp, err);
}

static int m_list_ids(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp, struct fc_err *err)
{
	const Flyteidl__Admin__NamedEntityIdentifierListRequest *r =
		(const Flyteidl__Admin__NamedEntityIdentifierListRequest *)req;
	struct adm_query q;

	if (query_of(&q, r->limit, r->token, r->filters, r->sort_by, err))
		return err->code;
	q.project = r->project;
	q.domain = r->domain;
	return adm_entity_ids_msg(c->g->store, c->m->kind, &q, &c->arena,
				  (Flyteidl__Admin__NamedEntityIdentifierList **)resp, err);
}

static int m_update_launch_plan(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp,
				struct fc_err *err)
{
	const Flyteidl__Admin__LaunchPlanUpdateRequest *r = (const Flyteidl__Admin__LaunchPlanUpdateRequest *)req;
	struct adm_id id = id_of(r->id);

	if (!r->id)
		return fc_err_set(err, FC_EINVAL, "id is required");
	if (adm_check_id(&id, true, err) || adm_launch_plan_set_state(c->g->store, &id, (int)r->state, err))
		return err->code;
	*resp = new_msg(c, &flyteidl__admin__launch_plan_update_response__descriptor);
	changed(c);
	return 0;
}

static int m_active_launch_plan(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp,
				struct fc_err *err)
{
	const Flyteidl__Admin__ActiveLaunchPlanRequest *r = (const Flyteidl__Admin__ActiveLaunchPlanRequest *)req;
	struct adm_id id = {NULL, NULL, NULL, NULL};
	struct adm_entity e;

	if (!r->id)
		return fc_err_set(err, FC_EINVAL, "id is required");
	id.project = r->id->project;
	id.domain = r->id->domain;
	id.name = r->id->name;
	if (adm_check_id(&id, false, err) || adm_launch_plan_get_active(c->g->store, &id, &c->arena, &e, err))
		return err->code;
	return adm_launch_plan_msg(&e, &c->arena, (Flyteidl__Admin__LaunchPlan **)resp, err);
}

static int m_active_launch_plans(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp,
				 struct fc_err *err)
{
	const Flyteidl__Admin__ActiveLaunchPlanListRequest *r =
		(const Flyteidl__Admin__ActiveLaunchPlanListRequest *)req;
	struct adm_query q;

	if (query_of(&q, r->limit, r->token, NULL, r->sort_by, err))
		return err->code;
	q.project = r->project;
	q.domain = r->domain;
	q.filters = "eq(state,1)";
	return entity_list(c, ADM_LAUNCH_PLAN, &q, resp, err);
}

/* ------------------------------------------------------------------------------------------------------------
 * Executions, node and task executions, events.
 */
static int exec_created(struct gcall *c, const struct adm_exec_id *id, ProtobufCMessage **resp)
{
	Flyteidl__Admin__ExecutionCreateResponse *r = new_msg(c, &flyteidl__admin__execution_create_response__descriptor);

	r->id = adm_exec_id_msg(&c->arena, id);
	*resp = &r->base;
	changed(c);
	return 0;
}

static int m_create_execution(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp,
			      struct fc_err *err)
{
	struct adm_exec_id id;

	if (adm_launch(c->g->store, (const Flyteidl__Admin__ExecutionCreateRequest *)req,
		       FLYTEIDL__ADMIN__EXECUTION_METADATA__EXECUTION_MODE__MANUAL, &c->arena, &id, err))
		return err->code;
	return exec_created(c, &id, resp);
}

static int m_relaunch_execution(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp,
				struct fc_err *err)
{
	struct adm_exec_id id;

	if (adm_relaunch(c->g->store, (const Flyteidl__Admin__ExecutionRelaunchRequest *)req, &c->arena, &id, err))
		return err->code;
	return exec_created(c, &id, resp);
}

static int m_get_execution(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp,
			   struct fc_err *err)
{
	const Flyteidl__Admin__WorkflowExecutionGetRequest *r = (const Flyteidl__Admin__WorkflowExecutionGetRequest *)req;
	struct adm_exec_id id;
	struct adm_execution x;

	if (exec_id_of(r->id, &id, err) || adm_execution_get(c->g->store, &id, &c->arena, &x, err))
		return err->code;
	return adm_execution_msg(&x, &c->arena, (Flyteidl__Admin__Execution **)resp, err);
}

/* Stored bytes that began as a request (inputs, outputs): nesting checked before protobuf-c recurses. */
static ProtobufCMessage *unpack_stored(struct gcall *c, const ProtobufCMessageDescriptor *desc, const uint8_t *data,
				       size_t len)
{
	if (!fc_pb_nesting_ok(desc, data, len, FC_PB_MAX_DEPTH))
		return NULL;
	return protobuf_c_message_unpack(desc, fc_arena_pb_allocator(&c->arena), len, data);
}

static int m_execution_data(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp,
			    struct fc_err *err)
{
	const Flyteidl__Admin__WorkflowExecutionGetDataRequest *r =
		(const Flyteidl__Admin__WorkflowExecutionGetDataRequest *)req;
	Flyteidl__Admin__WorkflowExecutionGetDataResponse *d =
		new_msg(c, &flyteidl__admin__workflow_execution_get_data_response__descriptor);
	struct adm_exec_id id;
	struct adm_execution x;

	if (exec_id_of(r->id, &id, err) || adm_execution_get(c->g->store, &id, &c->arena, &x, err))
		return err->code;
	if (x.inputs)
		d->full_inputs = (Flyteidl__Core__LiteralMap *)unpack_stored(c, &flyteidl__core__literal_map__descriptor,
									      x.inputs, x.inputs_len);
	if (x.outputs)
		d->full_outputs = (Flyteidl__Core__LiteralMap *)unpack_stored(
			c, &flyteidl__core__literal_map__descriptor, x.outputs, x.outputs_len);
	*resp = &d->base;
	return 0;
}

static int m_list_executions(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp,
			     struct fc_err *err)
{
	const Flyteidl__Admin__ResourceListRequest *r = (const Flyteidl__Admin__ResourceListRequest *)req;
	struct adm_query q;

	if (!r->id)
		return fc_err_set(err, FC_EINVAL, "id (project, domain) is required");
	if (query_of(&q, r->limit, r->token, r->filters, r->sort_by, err))
		return err->code;
	q.project = r->id->project;
	q.domain = r->id->domain;
	return adm_execution_list_msg(c->g->store, &q, &c->arena, (Flyteidl__Admin__ExecutionList **)resp, err);
}

static int m_terminate_execution(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp,
				 struct fc_err *err)
{
	const Flyteidl__Admin__ExecutionTerminateRequest *r = (const Flyteidl__Admin__ExecutionTerminateRequest *)req;
	struct adm_exec_id id;

	if (exec_id_of(r->id, &id, err) ||
	    adm_execution_terminate(c->g->store, &id, opt_str(r->cause), "api", err))
		return err->code;
	*resp = new_msg(c, &flyteidl__admin__execution_terminate_response__descriptor);
	changed(c);
	return 0;
}

static int m_get_node_execution(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp,
				struct fc_err *err)
{
	const Flyteidl__Admin__NodeExecutionGetRequest *r = (const Flyteidl__Admin__NodeExecutionGetRequest *)req;
	struct adm_exec_id id;
	struct adm_node_execution n;

	if (!r->id)
		return fc_err_set(err, FC_EINVAL, "id is required");
	if (exec_id_of(r->id->execution_id, &id, err) ||
	    adm_node_execution_get(c->g->store, &id, r->id->node_id, &c->arena, &n, err))
		return err->code;
	return adm_node_execution_msg(&n, &c->arena, (Flyteidl__Admin__NodeExecution **)resp, err);
}

static int m_list_node_executions(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp,
				  struct fc_err *err)
{
	const Flyteidl__Admin__NodeExecutionListRequest *r = (const Flyteidl__Admin__NodeExecutionListRequest *)req;
	struct adm_query q;
	struct adm_exec_id id;

	if (query_of(&q, r->limit, r->token, r->filters, r->sort_by, err) ||
	    exec_id_of(r->workflow_execution_id, &id, err))
		return err->code;
	return adm_node_execution_list_msg(c->g->store, &id, opt_str(r->unique_parent_id), &q, &c->arena,
					   (Flyteidl__Admin__NodeExecutionList **)resp, err);
}

static int m_get_task_execution(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp,
				struct fc_err *err)
{
	const Flyteidl__Admin__TaskExecutionGetRequest *r = (const Flyteidl__Admin__TaskExecutionGetRequest *)req;
	struct adm_exec_id id;
	struct adm_id task;
	struct adm_task_execution t;

	if (!r->id || !r->id->node_execution_id || !r->id->task_id)
		return fc_err_set(err, FC_EINVAL, "id (with node_execution_id and task_id) is required");
	task = id_of(r->id->task_id);
	if (exec_id_of(r->id->node_execution_id->execution_id, &id, err) ||
	    adm_task_execution_get(c->g->store, &id, r->id->node_execution_id->node_id, &task, r->id->retry_attempt,
				   &c->arena, &t, err))
		return err->code;
	return adm_task_execution_msg(&t, &c->arena, (Flyteidl__Admin__TaskExecution **)resp, err);
}

static int m_list_task_executions(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp,
				  struct fc_err *err)
{
	const Flyteidl__Admin__TaskExecutionListRequest *r = (const Flyteidl__Admin__TaskExecutionListRequest *)req;
	struct adm_query q;
	struct adm_exec_id id;

	if (!r->node_execution_id)
		return fc_err_set(err, FC_EINVAL, "node_execution_id is required");
	if (query_of(&q, r->limit, r->token, r->filters, r->sort_by, err) ||
	    exec_id_of(r->node_execution_id->execution_id, &id, err))
		return err->code;
	return adm_task_execution_list_msg(c->g->store, &id, r->node_execution_id->node_id, &q, &c->arena,
					   (Flyteidl__Admin__TaskExecutionList **)resp, err);
}

static int intake(struct gcall *c, const ProtobufCMessage *ev, const ProtobufCMessageDescriptor *out_desc,
		  ProtobufCMessage **resp, struct fc_err *err)
{
	bool applied = false;

	if (!ev)
		return fc_err_set(err, FC_EINVAL, "'event' is required");
	if (adm_intake_event(c->g->store, ev, &applied, err))
		return err->code;
	*resp = new_msg(c, out_desc);
	return 0;
}

/* CreateWorkflowEvent, CreateNodeEvent, CreateTaskEvent: each request holds its event in a field named "event". */
static int m_event(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp, struct fc_err *err)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(req->descriptor, "event");
	const ProtobufCMessage *ev = f ? *(ProtobufCMessage *const *)((const char *)req + f->offset) : NULL;

	return intake(c, ev, c->m->out, resp, err);
}

/* ------------------------------------------------------------------------------------------------------------
 * Projects, domains, version, signals.
 */

static int m_list_projects(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp,
			   struct fc_err *err)
{
	const Flyteidl__Admin__ProjectListRequest *r = (const Flyteidl__Admin__ProjectListRequest *)req;
	struct adm_query q;

	if (query_of(&q, r->limit, r->token, r->filters, r->sort_by, err))
		return err->code;
	return adm_project_list_msg(c->g->store, &q, &c->arena, (Flyteidl__Admin__Projects **)resp, err);
}

static int m_register_project(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp,
			      struct fc_err *err)
{
	const Flyteidl__Admin__ProjectRegisterRequest *r = (const Flyteidl__Admin__ProjectRegisterRequest *)req;
	struct adm_project p;

	if (!r->project)
		return fc_err_set(err, FC_EINVAL, "'project' is required");
	memset(&p, 0, sizeof(p));
	p.id = r->project->id;
	p.name = r->project->name;
	p.description = r->project->description;
	p.state = (int)r->project->state;
	if (adm_project_create(c->g->store, &p, err))
		return err->code;
	*resp = new_msg(c, &flyteidl__admin__project_register_response__descriptor);
	changed(c);
	return 0;
}

static int m_update_project(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp,
			    struct fc_err *err)
{
	const Flyteidl__Admin__Project *r = (const Flyteidl__Admin__Project *)req;
	struct adm_project p;

	memset(&p, 0, sizeof(p));
	p.id = r->id;
	p.name = r->name;
	p.description = r->description;
	p.state = (int)r->state;
	if (adm_check_project(p.id, err) || adm_project_update(c->g->store, &p, err))
		return err->code;
	*resp = new_msg(c, &flyteidl__admin__project_update_response__descriptor);
	changed(c);
	return 0;
}

static int m_get_domains(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp, struct fc_err *err)
{
	Flyteidl__Admin__GetDomainsResponse *d = new_msg(c, &flyteidl__admin__get_domains_response__descriptor);

	(void)req;
	d->domains = adm_domain_msgs(c->g->store, &c->arena, &d->n_domains, err);
	if (!d->domains)
		return err->code;
	*resp = &d->base;
	return 0;
}

static int m_version(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp, struct fc_err *err)
{
	Flyteidl__Admin__GetVersionResponse *v = new_msg(c, &flyteidl__admin__get_version_response__descriptor);

	(void)req;
	(void)err;
	v->control_plane_version = new_msg(c, &flyteidl__admin__version__descriptor);
	v->control_plane_version->version = c->g->version;
	v->control_plane_version->build = (char *)"flytec admin-lite";
	*resp = &v->base;
	return 0;
}

static int m_list_signals(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp, struct fc_err *err)
{
	const Flyteidl__Admin__SignalListRequest *r = (const Flyteidl__Admin__SignalListRequest *)req;
	struct adm_query q;
	struct adm_exec_id id;

	if (query_of(&q, r->limit, r->token, r->filters, r->sort_by, err) ||
	    exec_id_of(r->workflow_execution_id, &id, err))
		return err->code;
	return adm_signal_list_msg(c->g->store, &id, &q, &c->arena, (Flyteidl__Admin__SignalList **)resp, err);
}

static int m_set_signal(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp, struct fc_err *err)
{
	const Flyteidl__Admin__SignalSetRequest *r = (const Flyteidl__Admin__SignalSetRequest *)req;
	struct adm_exec_id id;
	uint8_t *value;
	size_t len;

	if (!r->id || !r->id->execution_id || !r->value)
		return fc_err_set(err, FC_EINVAL, "id (with execution_id) and value are required");
	if (exec_id_of(r->id->execution_id, &id, err))
		return err->code;
	value = cmp_pb_pack_arena(&c->arena, &r->value->base, &len);
	if (adm_signal_set(c->g->store, &id, r->id->signal_id, value, len, err))
		return err->code;
	*resp = new_msg(c, &flyteidl__admin__signal_set_response__descriptor);
	changed(c);
	return 0;
}

/* ------------------------------------------------------------------------------------------------------------
 * What clients ask first: the auth scheme and who they are. flytec has no OAuth2 server: with a token the client
 * sends it as "authorization: Bearer <token>" (authorization_metadata_key); without one, auth is off and the
 * metadata is empty.
 */
static int m_oauth2_metadata(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp,
			     struct fc_err *err)
{
	(void)req;
	(void)resp;
	if (!c->g->token)
		return fc_err_set(err, FC_ENOENT, "authentication is off on this server: no OAuth2 authorization server");
	return fc_err_set(err, FC_ENOENT, "this server takes a static bearer token ('authorization: Bearer <token>' "
			  "metadata), not OAuth2");
}

static int m_public_client_config(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp,
				  struct fc_err *err)
{
	Flyteidl__Service__PublicClientAuthConfigResponse *p =
		new_msg(c, &flyteidl__service__public_client_auth_config_response__descriptor);

	(void)req;
	(void)err;
	if (c->g->token)
		p->authorization_metadata_key = (char *)"authorization";
	*resp = &p->base;
	return 0;
}

static int m_user_info(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp, struct fc_err *err)
{
	Flyteidl__Service__UserInfoResponse *u = new_msg(c, &flyteidl__service__user_info_response__descriptor);

	(void)req;
	(void)err;
	/* the token check already ran: with a token the caller holds it */
	u->subject = (char *)(c->g->token ? "token-holder" : "anonymous");
	u->name = u->subject;
	*resp = &u->base;
	return 0;
}

/* ------------------------------------------------------------------------------------------------------------
 * DataProxyService: signed, expiring URLs served by the HTTP listener into the data directory.
 */
static int dataproxy_expiry(struct gcall *c, const Google__Protobuf__Duration *in, int64_t *expires,
			    struct fc_err *err)
{
	int64_t secs = in ? in->seconds : 0;

	if (!c->g->dataproxy)
		return fc_err_set(err, FC_EUNAVAILABLE, "this server has no data proxy");
	if (secs < 0 || secs > ADM_DATAPROXY_MAX_EXPIRY_S)
		return fc_err_set(err, FC_ELIMIT, "expires_in must be from 0 to %d seconds, not %lld",
				  ADM_DATAPROXY_MAX_EXPIRY_S, (long long)secs);
	*expires = adm_store_now(c->g->store) / 1000000000 + (secs ? secs : ADM_DATAPROXY_EXPIRY_S);
	return 0;
}

static int m_upload_location(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp,
			     struct fc_err *err)
{
	const Flyteidl__Service__CreateUploadLocationRequest *r =
		(const Flyteidl__Service__CreateUploadLocationRequest *)req;
	Flyteidl__Service__CreateUploadLocationResponse *u =
		new_msg(c, &flyteidl__service__create_upload_location_response__descriptor);
	const char *name = *r->filename ? r->filename : "upload";
	struct fc_buf key = FC_BUF_INIT, url = FC_BUF_INIT;
	int64_t expires;
	size_t i;

	if (dataproxy_expiry(c, r->expires_in, &expires, err) || adm_check_scope(c->g->store, r->project, r->domain,
										   false, err))
		return err->code;
	if (r->content_md5.len != 16)
		return fc_err_set(err, FC_EINVAL, "content_md5 (the 16 bytes of the file's MD5) is required");
	if (!adm_dataproxy_name_ok(name))
		return fc_err_set(err, FC_EINVAL, "filename '%s' must be one path segment of letters, digits, '.', '_' "
				  "and '-'", name);
	fc_buf_addf(&key, "%s/%s/", r->project, r->domain);
	for (i = 0; i < 16; i++)
		fc_buf_addf(&key, "%02x", r->content_md5.data[i]);
	fc_buf_addf(&key, "/%s", name);
	fc_buf_adds(&url, c->g->http_base);
	adm_dataproxy_sign(c->g->dataproxy, "PUT", key.buf, expires, &url);
	u->signed_url = fc_arena_strdup(&c->arena, url.buf);
	u->native_url = fc_arena_printf(&c->arena, "file://%s/%s", adm_dataproxy_dir(c->g->dataproxy), key.buf);
	u->expires_at = adm_timestamp_msg(&c->arena, expires * 1000000000);
	fc_buf_release(&key);
	fc_buf_release(&url);
	*resp = &u->base;
	return 0;
}

static int m_download_location(struct gcall *c, const ProtobufCMessage *req, ProtobufCMessage **resp,
			       struct fc_err *err)
{
	const Flyteidl__Service__CreateDownloadLocationRequest *r =
		(const Flyteidl__Service__CreateDownloadLocationRequest *)req;
	Flyteidl__Service__CreateDownloadLocationResponse *d =
		new_msg(c, &flyteidl__service__create_download_location_response__descriptor);
	struct fc_buf prefix = FC_BUF_INIT, url = FC_BUF_INIT;
	const char *key, *p;
	int64_t expires;
	int segs = 0;

	if (dataproxy_expiry(c, r->expires_in, &expires, err))
		return err->code;
	fc_buf_addf(&prefix, "file://%s/", adm_dataproxy_dir(c->g->dataproxy));
	if (strncmp(r->native_url, prefix.buf, prefix.len)) {
		fc_buf_release(&prefix);
		return fc_err_set(err, FC_EINVAL, "native_url must be one CreateUploadLocation gave (file://%s/...)",
				  adm_dataproxy_dir(c->g->dataproxy));
	}
	key = r->native_url + prefix.len;
	fc_buf_release(&prefix);
	for (p = key; *p; p++)
		segs += *p == '/';
	if (segs != 3 || strstr(key, "..") || strstr(key, "//"))
		return fc_err_set(err, FC_EINVAL, "native_url '%s' does not name an uploaded file", r->native_url);
	if (access(r->native_url + 7, R_OK))
		return fc_err_set(err, FC_ENOENT, "nothing was uploaded to %s", r->native_url);
	fc_buf_adds(&url, c->g->http_base);
	adm_dataproxy_sign(c->g->dataproxy, "GET", key, expires, &url);
	d->signed_url = fc_arena_strdup(&c->arena, url.buf);
	d->expires_at = adm_timestamp_msg(&c->arena, expires * 1000000000);
	fc_buf_release(&url);
	*resp = &d->base;
	return 0;
}

/* ------------------------------------------------------------------------------------------------------------ */
#define ADMIN "/flyteidl.service.AdminService/"
#define D(x) &flyteidl__admin__##x##__descriptor
static const struct grpc_method methods[] = {
	{ADMIN "CreateTask", D(task_create_request), m_create_entity, ADM_WRITE, ADM_TASK, D(task_create_response)},
	{ADMIN "GetTask", D(object_get_request), m_get_entity, ADM_READ, ADM_TASK, NULL},
	{ADMIN "ListTaskIds", D(named_entity_identifier_list_request), m_list_ids, ADM_READ, ADM_TASK, NULL},
	{ADMIN "ListTasks", D(resource_list_request), m_list_entities, ADM_READ, ADM_TASK, NULL},
	{ADMIN "CreateWorkflow", D(workflow_create_request), m_create_entity, ADM_WRITE, ADM_WORKFLOW,
	 D(workflow_create_response)},
	{ADMIN "GetWorkflow", D(object_get_request), m_get_entity, ADM_READ, ADM_WORKFLOW, NULL},
	{ADMIN "ListWorkflowIds", D(named_entity_identifier_list_request), m_list_ids, ADM_READ, ADM_WORKFLOW, NULL},
	{ADMIN "ListWorkflows", D(resource_list_request), m_list_entities, ADM_READ, ADM_WORKFLOW, NULL},
	{ADMIN "CreateLaunchPlan", D(launch_plan_create_request), m_create_entity, ADM_WRITE, ADM_LAUNCH_PLAN,
	 D(launch_plan_create_response)},
	{ADMIN "GetLaunchPlan", D(object_get_request), m_get_entity, ADM_READ, ADM_LAUNCH_PLAN, NULL},
	{ADMIN "GetActiveLaunchPlan", D(active_launch_plan_request), m_active_launch_plan, ADM_READ, 0, NULL},
	{ADMIN "ListActiveLaunchPlans", D(active_launch_plan_list_request), m_active_launch_plans, ADM_READ, 0, NULL},
	{ADMIN "ListLaunchPlanIds", D(named_entity_identifier_list_request), m_list_ids, ADM_READ, ADM_LAUNCH_PLAN,
	 NULL},
	{ADMIN "ListLaunchPlans", D(resource_list_request), m_list_entities, ADM_READ, ADM_LAUNCH_PLAN, NULL},
	{ADMIN "UpdateLaunchPlan", D(launch_plan_update_request), m_update_launch_plan, ADM_WRITE, 0, NULL},
	{ADMIN "CreateExecution", D(execution_create_request), m_create_execution, ADM_WRITE, 0, NULL},
	{ADMIN "RelaunchExecution", D(execution_relaunch_request), m_relaunch_execution, ADM_WRITE, 0, NULL},
	{ADMIN "GetExecution", D(workflow_execution_get_request), m_get_execution, ADM_READ, 0, NULL},
	{ADMIN "GetExecutionData", D(workflow_execution_get_data_request), m_execution_data, ADM_READ, 0, NULL},
	{ADMIN "ListExecutions", D(resource_list_request), m_list_executions, ADM_READ, 0, NULL},
	{ADMIN "TerminateExecution", D(execution_terminate_request), m_terminate_execution, ADM_WRITE, 0, NULL},
	{ADMIN "GetNodeExecution", D(node_execution_get_request), m_get_node_execution, ADM_READ, 0, NULL},
	{ADMIN "ListNodeExecutions", D(node_execution_list_request), m_list_node_executions, ADM_READ, 0, NULL},
	{ADMIN "GetTaskExecution", D(task_execution_get_request), m_get_task_execution, ADM_READ, 0, NULL},
	{ADMIN "ListTaskExecutions", D(task_execution_list_request), m_list_task_executions, ADM_READ, 0, NULL},
	{ADMIN "CreateWorkflowEvent", D(workflow_execution_event_request), m_event, ADM_WRITE, 0,
	 D(workflow_execution_event_response)},
	{ADMIN "CreateNodeEvent", D(node_execution_event_request), m_event, ADM_WRITE, 0,
	 D(node_execution_event_response)},
	{ADMIN "CreateTaskEvent", D(task_execution_event_request), m_event, ADM_WRITE, 0,
	 D(task_execution_event_response)},
	{ADMIN "RegisterProject", D(project_register_request), m_register_project, ADM_WRITE, 0, NULL},
	{ADMIN "UpdateProject", D(project), m_update_project, ADM_WRITE, 0, NULL},
	{ADMIN "ListProjects", D(project_list_request), m_list_projects, ADM_READ, 0, NULL},
	{ADMIN "GetDomains", D(get_domain_request), m_get_domains, ADM_READ, 0, NULL},
	{ADMIN "GetVersion", D(get_version_request), m_version, ADM_READ, 0, NULL},
	{"/flyteidl.service.SignalService/ListSignals", D(signal_list_request), m_list_signals, ADM_READ, 0, NULL},
	{"/flyteidl.service.SignalService/SetSignal", D(signal_set_request), m_set_signal, ADM_WRITE, 0, NULL},
	{"/flyteidl.service.AuthMetadataService/GetOAuth2Metadata",
	 &flyteidl__service__oauth2_metadata_request__descriptor, m_oauth2_metadata, ADM_OPEN, 0, NULL},
	{"/flyteidl.service.AuthMetadataService/GetPublicClientConfig",
	 &flyteidl__service__public_client_auth_config_request__descriptor, m_public_client_config, ADM_OPEN, 0, NULL},
	{"/flyteidl.service.DataProxyService/CreateUploadLocation",
	 &flyteidl__service__create_upload_location_request__descriptor, m_upload_location, ADM_WRITE, 0, NULL},
	{"/flyteidl.service.DataProxyService/CreateDownloadLocation",
	 &flyteidl__service__create_download_location_request__descriptor, m_download_location, ADM_READ, 0, NULL},
	{"/flyteidl.service.IdentityService/UserInfo", &flyteidl__service__user_info_request__descriptor, m_user_info,
	 ADM_READ, 0, NULL},
};
#undef D
#undef ADMIN

/* ------------------------------------------------------------------------------------------------------------
 * The call plumbing.
 */
static bool token_ok(const struct adm_grpc *g, const struct grpc_method *m, const grpc_metadata_array *md)
{
	size_t i, j, n;

	if (!g->token || m->access == ADM_OPEN || (m->access == ADM_READ && g->public_reads))
		return true;
	n = strlen(g->token);
	for (i = 0; i < md->count; i++) {
		const grpc_slice k = md->metadata[i].key, v = md->metadata[i].value;
		const char *val = (const char *)GRPC_SLICE_START_PTR(v);
		unsigned char diff = 0;

		if (GRPC_SLICE_LENGTH(k) != 13 || memcmp(GRPC_SLICE_START_PTR(k), "authorization", 13))
			continue;
		if (GRPC_SLICE_LENGTH(v) != n + 7 || strncmp(val, "Bearer ", 7))
			continue;
		for (j = 0; j < n; j++)
			diff |= (unsigned char)(val[7 + j] ^ g->token[j]);
		if (!diff)
			return true;
	}
	return false;
}

static gpr_timespec after_s(unsigned s)
{
	return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_seconds(s, GPR_TIMESPAN));
}

/* Run a batch and wait for it until `deadline`; past it the call is cancelled (which completes the batch). */
static bool run_batch(grpc_completion_queue *cq, grpc_call *call, const grpc_op *ops, size_t n, gpr_timespec deadline)
{
	grpc_event ev;
	int tag;

	if (grpc_call_start_batch(call, ops, n, &tag, NULL) != GRPC_CALL_OK)
		return false;
	ev = grpc_completion_queue_next(cq, deadline, NULL);
	if (ev.type == GRPC_QUEUE_TIMEOUT) {
		grpc_call_cancel_with_status(call, GRPC_STATUS_DEADLINE_EXCEEDED, "flytec: the client was too slow",
					     NULL);
		ev = grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
		return false;
	}
	return ev.type == GRPC_OP_COMPLETE && ev.success;
}

/* Send the answer (`resp` NULL: status only) and wait for the client's close. */
static void finish(grpc_completion_queue *cq, grpc_call *call, grpc_status_code status, const char *details,
		   const ProtobufCMessage *resp)
{
	static const char cut[] = "\n... (cut: the whole message is in the REST answer)";
	grpc_op ops[4];
	grpc_byte_buffer *bb = NULL;
	grpc_slice msg;
	int cancelled = 0;
	size_t n = 0, len = details ? strlen(details) : 0;

	if (len > ADM_GRPC_MAX_DETAILS) {
		len = ADM_GRPC_MAX_DETAILS - (sizeof(cut) - 1);
		while (len && ((unsigned char)details[len] & 0xC0) == 0x80)
			len--; /* not inside a UTF-8 sequence */
		msg = grpc_slice_malloc(len + sizeof(cut) - 1);
		memcpy(GRPC_SLICE_START_PTR(msg), details, len);
		memcpy(GRPC_SLICE_START_PTR(msg) + len, cut, sizeof(cut) - 1);
	} else {
		msg = grpc_slice_from_copied_buffer(details ? details : "", len);
	}
	memset(ops, 0, sizeof(ops));
	ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
	if (resp) {
		struct fc_buf packed = FC_BUF_INIT;
		size_t packed_len = fc_pb_pack(resp, &packed);
		/* the slice takes the buffer (freed with free() when gRPC is done with it) */
		grpc_slice s = packed_len ? grpc_slice_new(fc_buf_detach(&packed, NULL), packed_len, free)
					  : grpc_empty_slice();

		bb = grpc_raw_byte_buffer_create(&s, 1);
		grpc_slice_unref(s);
		ops[n].op = GRPC_OP_SEND_MESSAGE;
		ops[n++].data.send_message.send_message = bb;
	}
	ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
	ops[n].data.send_status_from_server.status = status;
	ops[n++].data.send_status_from_server.status_details = &msg;
	ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	ops[n++].data.recv_close_on_server.cancelled = &cancelled;
	run_batch(cq, call, ops, n, after_s(ADM_GRPC_SEND_TIMEOUT_S));
	if (bb)
		grpc_byte_buffer_destroy(bb);
	grpc_slice_unref(msg);
}

/* Run the method on the request `payload` and answer. */
static void serve_call(struct grpc_worker *w, const struct grpc_method *m, grpc_call *call,
		       const grpc_metadata_array *md, grpc_byte_buffer *payload)
{
	struct adm_grpc *g = w->g;
	struct gcall c;
	ProtobufCMessage *req = NULL, *resp = NULL;
	struct fc_err err;
	int rc = 0;

	if (!token_ok(g, m, md)) {
		finish(w->call_cq, call, GRPC_STATUS_UNAUTHENTICATED,
		       m->access == ADM_WRITE ? "this call changes state and needs 'authorization: Bearer <token>' metadata"
					      : "this server needs 'authorization: Bearer <token>' metadata",
		       NULL);
		return;
	}
	if (!payload) {
		finish(w->call_cq, call, GRPC_STATUS_INVALID_ARGUMENT, "the call carried no request message", NULL);
		return;
	}
	fc_arena_init(&c.arena, 0);
	fc_buf_init(&c.details, 0);
	c.g = g;
	c.m = m;
	fc_err_clear(&err);
	{
		grpc_byte_buffer_reader reader;
		grpc_slice all;

		if (!grpc_byte_buffer_reader_init(&reader, payload)) {
			rc = fc_err_set(&err, FC_EINVAL, "the request message cannot be read");
		} else {
			all = grpc_byte_buffer_reader_readall(&reader);
			grpc_byte_buffer_reader_destroy(&reader);
			if (fc_pb_nesting_ok(m->in, GRPC_SLICE_START_PTR(all), GRPC_SLICE_LENGTH(all), FC_PB_MAX_DEPTH))
				req = protobuf_c_message_unpack(m->in, fc_arena_pb_allocator(&c.arena),
								GRPC_SLICE_LENGTH(all), GRPC_SLICE_START_PTR(all));
			grpc_slice_unref(all);
			if (!req)
				rc = fc_err_set(&err, FC_EINVAL, "the request is not a valid %s (or nests deeper than %d)",
						m->in->name, FC_PB_MAX_DEPTH);
		}
	}
	if (!rc) {
		rc = m->fn(&c, req, &resp, &err);
		if (!rc && !resp)
			rc = fc_err_set(&err, FC_EINTERNAL, "no answer");
	}
	if (!rc && protobuf_c_message_get_packed_size(resp) > g->max_answer)
		rc = fc_err_set(&err, FC_ELIMIT, "the answer would be %zu bytes, over the server's limit of %zu: ask for "
				"fewer items (limit)", protobuf_c_message_get_packed_size(resp), g->max_answer);
	if (rc)
		finish(w->call_cq, call, grpc_status_of(rc),
		       c.details.len ? c.details.buf : err.msg[0] ? err.msg : fc_strerror(rc), NULL);
	else
		finish(w->call_cq, call, GRPC_STATUS_OK, NULL, resp);
	fc_buf_release(&c.details);
	fc_arena_release(&c.arena);
}

/*
 * One outstanding request for a call: of a registered method (the request message already read by gRPC core, so
 * a client that never sends it never reaches a worker), or of any other method (slot method NULL: answered
 * UNIMPLEMENTED without reading anything).
 */
struct grpc_slot {
	const struct grpc_method *method;
	void *registered; /* grpc_server_register_method's handle */
	grpc_call *call;
	gpr_timespec deadline;
	grpc_metadata_array md;
	grpc_call_details details; /* unregistered calls */
	grpc_byte_buffer *payload;
};

static bool slot_request(struct grpc_worker *w, struct grpc_slot *sl)
{
	grpc_call_error e;

	sl->call = NULL;
	sl->payload = NULL;
	grpc_metadata_array_init(&sl->md);
	if (sl->method) {
		e = grpc_server_request_registered_call(w->g->server, sl->registered, &sl->call, &sl->deadline, &sl->md,
							&sl->payload, w->call_cq, w->cq, sl);
	} else {
		grpc_call_details_init(&sl->details);
		e = grpc_server_request_call(w->g->server, &sl->call, &sl->details, &sl->md, w->call_cq, w->cq, sl);
	}
	return e == GRPC_CALL_OK;
}

static void slot_release(struct grpc_slot *sl)
{
	if (sl->call)
		grpc_call_unref(sl->call);
	if (sl->payload)
		grpc_byte_buffer_destroy(sl->payload);
	grpc_metadata_array_destroy(&sl->md);
	if (!sl->method)
		grpc_call_details_destroy(&sl->details);
	sl->call = NULL;
	sl->payload = NULL;
}

static void *worker_main(void *arg)
{
	struct grpc_worker *w = arg;
	size_t nslots = FC_ARRAY_LEN(methods) + 1, i, outstanding = 0;
	struct grpc_slot *slots = fc_xcalloc(nslots, sizeof(*slots));
	bool stopping = false;

	for (i = 0; i < nslots; i++) {
		slots[i].method = i < FC_ARRAY_LEN(methods) ? &methods[i] : NULL;
		slots[i].registered = i < FC_ARRAY_LEN(methods) ? w->g->registered[i] : NULL;
		if (slot_request(w, &slots[i]))
			outstanding++;
		else
			stopping = true;
	}
	/* until the server shuts down, each completed slot is served and asked for again; then the rest drain */
	while (outstanding) {
		grpc_event ev = grpc_completion_queue_next(w->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
		struct grpc_slot *sl = ev.tag;

		if (ev.type != GRPC_OP_COMPLETE)
			break;
		outstanding--;
		if (!ev.success || !sl->call) {
			stopping = true;
		} else if (sl->method) {
			serve_call(w, sl->method, sl->call, &sl->md, sl->payload);
		} else {
			char msg[512];

			snprintf(msg, sizeof(msg), "method %.*s is not implemented by flytec (docs/api.md lists what is)",
				 (int)GRPC_SLICE_LENGTH(sl->details.method),
				 (const char *)GRPC_SLICE_START_PTR(sl->details.method));
			finish(w->call_cq, sl->call, GRPC_STATUS_UNIMPLEMENTED, msg, NULL);
		}
		slot_release(sl);
		if (!stopping) {
			if (slot_request(w, sl))
				outstanding++;
			else
				stopping = true;
		}
	}
	free(slots);
	return NULL;
}

int adm_grpc_start(struct adm_store *store, const struct adm_grpc_options *opts, struct adm_grpc **out,
		   struct fc_err *err)
{
	struct adm_grpc *g = fc_xcalloc(1, sizeof(*g));
	grpc_server_credentials *creds;
	grpc_arg args[4];
	grpc_channel_args cargs;
	size_t max_message = opts->max_message ? opts->max_message : ADM_GRPC_MAX_MESSAGE;
	unsigned i;
	int port, rc = 0;

	*out = NULL;
	if (!opts->listen || !strchr(opts->listen, ':') || max_message > INT32_MAX) {
		fc_err_set(err, FC_EINVAL, "--grpc-listen wants HOST:PORT, not '%s'", opts->listen ? opts->listen : "");
		free(g);
		return FC_EINVAL;
	}
	g->store = store;
	g->token = opts->token && *opts->token ? fc_xstrdup(opts->token) : NULL;
	g->version = fc_xstrdup(opts->version ? opts->version : "");
	g->public_reads = opts->public_reads;
	g->max_answer = opts->max_answer ? opts->max_answer : ADM_MAX_ANSWER;
	g->on_change = opts->on_change;
	g->on_change_ctx = opts->on_change_ctx;
	g->nworkers = opts->threads ? opts->threads : ADM_GRPC_THREADS;
	g->dataproxy = opts->dataproxy;
	g->http_base = fc_xstrdup(opts->http_base ? opts->http_base : "");
	grpc_init();
	g->initialised = true;

	memset(args, 0, sizeof(args));
	args[0].type = GRPC_ARG_INTEGER;
	args[0].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
	args[0].value.integer = (int)max_message;
	args[1].type = GRPC_ARG_INTEGER;
	args[1].key = (char *)GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
	args[1].value.integer = (int)(g->max_answer > INT32_MAX ? INT32_MAX : g->max_answer);
	args[2].type = GRPC_ARG_INTEGER;
	args[2].key = (char *)GRPC_ARG_MAX_CONCURRENT_STREAMS;
	args[2].value.integer = ADM_GRPC_MAX_STREAMS;
	args[3].type = GRPC_ARG_INTEGER;
	args[3].key = (char *)GRPC_ARG_ALLOW_REUSEPORT;
	args[3].value.integer = 0;
	cargs.num_args = FC_ARRAY_LEN(args);
	cargs.args = args;
	g->server = grpc_server_create(&cargs, NULL);
	creds = grpc_insecure_server_credentials_create();
	port = grpc_server_add_http2_port(g->server, opts->listen, creds);
	grpc_server_credentials_release(creds);
	if (port <= 0) {
		rc = fc_err_set(err, FC_EIO, "gRPC cannot listen on %s", opts->listen);
		grpc_server_destroy(g->server);
		g->server = NULL;
		goto out;
	}
	g->port = (unsigned)port;
	g->registered = fc_xcalloc(FC_ARRAY_LEN(methods), sizeof(*g->registered));
	for (i = 0; i < FC_ARRAY_LEN(methods); i++)
		g->registered[i] = grpc_server_register_method(g->server, methods[i].path, NULL,
							       GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
	g->workers = fc_xcalloc(g->nworkers, sizeof(*g->workers));
	for (i = 0; i < g->nworkers; i++) {
		g->workers[i].g = g;
		g->workers[i].cq = grpc_completion_queue_create_for_next(NULL);
		g->workers[i].call_cq = grpc_completion_queue_create_for_next(NULL);
		grpc_server_register_completion_queue(g->server, g->workers[i].cq, NULL);
	}
	grpc_server_start(g->server);
	for (i = 0; i < g->nworkers; i++) {
		if (pthread_create(&g->workers[i].thread, NULL, worker_main, &g->workers[i])) {
			rc = fc_err_set(err, FC_EIO, "cannot start a gRPC worker thread");
			goto out;
		}
		g->workers[i].started = true;
	}
out:
	if (rc) {
		adm_grpc_stop(g);
		return rc;
	}
	*out = g;
	return 0;
}

unsigned adm_grpc_port(const struct adm_grpc *g)
{
	return g->port;
}

void adm_grpc_stop(struct adm_grpc *g)
{
	unsigned i;

	if (!g)
		return;
	if (g->server) {
		grpc_completion_queue *done = grpc_completion_queue_create_for_pluck(NULL);
		int tag;
		grpc_event ev;

		/* no new calls; calls in flight run to their end, for ADM_GRPC_DRAIN_S at most */
		grpc_server_shutdown_and_notify(g->server, done, &tag);
		ev = grpc_completion_queue_pluck(done, &tag, after_s(ADM_GRPC_DRAIN_S), NULL);
		if (ev.type == GRPC_QUEUE_TIMEOUT) {
			grpc_server_cancel_all_calls(g->server);
			grpc_completion_queue_pluck(done, &tag, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
		}
		grpc_completion_queue_shutdown(done);
		grpc_completion_queue_pluck(done, NULL, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
		grpc_completion_queue_destroy(done);
	}
	for (i = 0; g->workers && i < g->nworkers; i++)
		if (g->workers[i].started)
			pthread_join(g->workers[i].thread, NULL);
	if (g->server)
		grpc_server_destroy(g->server);
	for (i = 0; g->workers && i < 2 * g->nworkers; i++) {
		grpc_completion_queue *cq = i % 2 ? g->workers[i / 2].call_cq : g->workers[i / 2].cq;

		if (!cq)
			continue;
		grpc_completion_queue_shutdown(cq);
		while (grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL).type !=
		       GRPC_QUEUE_SHUTDOWN)
			;
		grpc_completion_queue_destroy(cq);
	}
	if (g->initialised)
		grpc_shutdown_blocking(); /* grpc_shutdown() may finish on a detached thread after exit */
	free(g->workers);
	free(g->registered);
	free(g->http_base);
	free(g->token);
	free(g->version);
	free(g);
}
