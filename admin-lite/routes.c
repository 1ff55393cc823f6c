/* routes.c: the REST API's route table and handlers (shapes: docs/api.md). */
#include "admin-lite/console.h"
#include "admin-lite/dataproxy.h"
#include "admin-lite/logs.h"
#include "admin-lite/register.h"
#include "admin-lite/server_int.h"
#include "admin-lite/service.h"
#include "admin-lite/service_entities.h"
#include "compiler/compiler.h"
#include "compiler/lit.h"
#include "core/diag.h"
#include "admin-lite/store.h"
#include "admin-lite/stream.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/pbdepth.h"
#include "core/pbjson.h"
#include "core/tz.h"

#include "flyteidl/admin/common.pb-c.h"
#include "flyteidl/admin/version.pb-c.h"

#include "core/walk.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* Answer with the store/service error in `err` (rc != 0). */
static void fail(struct adm_req *r, const struct fc_err *err)
{
	adm_reply_err(r, err);
}

/*
 * Unpack stored bytes that began as a request body (inputs, outputs, events). Request bodies are JSON, decoded
 * by core/pbjson.c within FC_PBJSON_MAX_DEPTH; the nesting is checked again before protobuf-c recurses through
 * the bytes, so a store written by anything else (an older flytec, a hand edit) cannot exhaust the stack. NULL
 * when the bytes are too deep or not a valid message.
 */
static ProtobufCMessage *unpack_stored(struct adm_req *r, const ProtobufCMessageDescriptor *desc, const uint8_t *data,
				       size_t len)
{
	if (!fc_pb_nesting_ok(desc, data, len, FC_PB_MAX_DEPTH))
		return NULL;
	return protobuf_c_message_unpack(desc, fc_arena_pb_allocator(&r->arena), len, data);
}

/* ------------------------------------------------------------------------------------------------------------
 * Tasks, workflows, launch plans.
 */
static void reply_registered(struct adm_req *r, int rc, bool created, const struct fc_err *err, struct fc_buf *diff)
{
	if (rc == FC_ECONFLICT && r->pb_out) {
		/* a google.rpc.Status has no diff member: the diff follows the message */
		adm_reply_error(r, FC_ECONFLICT, "%s\n%.*s", err->msg, (int)(diff->len > 2048 ? 2048 : diff->len),
				diff->buf);
		return;
	}
	if (rc == FC_ECONFLICT) {
		fc_buf_reset(&r->out);
		fc_buf_adds(&r->out, "{\"code\":\"conflict\",\"message\":");
		fc_buf_add_json_string(&r->out, err->msg, strlen(err->msg));
		fc_buf_adds(&r->out, ",\"diff\":");
		fc_buf_add_json_string(&r->out, diff->buf, diff->len);
		fc_buf_adds(&r->out, "}\n");
		r->status = 409;
		r->content_type = "application/json";
		return;
	}
	if (rc) {
		fail(r, err);
		return;
	}
	r->extra_header = "Flytec-Registration";
	r->extra_value = created ? "created" : "exists";
	adm_reply_json_text(r, 200, "{}\n");
}

/* POST of a task, workflow or launch plan: decode the create request, register, answer (with a diff on conflict). */
static void create_entity(struct adm_req *r, const ProtobufCMessageDescriptor *desc)
{
	ProtobufCMessage *m;
	struct fc_buf diff = FC_BUF_INIT;
	struct fc_err err;
	bool created = false;
	int rc;

	if (adm_req_decode(r, &m))
		return;
	if (desc == &flyteidl__admin__task_create_request__descriptor)
		rc = adm_create_task(r->store, (Flyteidl__Admin__TaskCreateRequest *)m, &created, &diff, &err);
	else if (desc == &flyteidl__admin__workflow_create_request__descriptor)
		rc = adm_create_workflow(r->store, (Flyteidl__Admin__WorkflowCreateRequest *)m, &created, &diff, &err);
	else
		rc = adm_create_launch_plan(r->store, (Flyteidl__Admin__LaunchPlanCreateRequest *)m, &created, &diff,
					    &err);
	reply_registered(r, rc, created, &err, &diff);
	fc_buf_release(&diff);
}

static void create_task(struct adm_req *r) { create_entity(r, &flyteidl__admin__task_create_request__descriptor); }
static void create_workflow(struct adm_req *r) { create_entity(r, &flyteidl__admin__workflow_create_request__descriptor); }
static void create_launch_plan(struct adm_req *r)
{
	create_entity(r, &flyteidl__admin__launch_plan_create_request__descriptor);
}

static void get_entity(struct adm_req *r, enum adm_kind kind)
{
	struct adm_id id = {adm_req_param(r, 0), adm_req_param(r, 1), adm_req_param(r, 2), adm_req_param(r, 3)};
	struct adm_entity e;
	ProtobufCMessage *m;
	struct fc_err err;
	/* a task or workflow version never changes: its answer is rendered once (launch plans carry their state) */
	const char *key = kind == ADM_LAUNCH_PLAN || !id.project || !id.domain || !id.name || !id.version
				  ? NULL
				  : fc_arena_printf(&r->arena, "%d\n%s\n%s\n%s\n%s", (int)kind, id.project, id.domain,
						    id.name, id.version);

	if (key && adm_cache_reply(r, key))
		return;
	if (adm_check_id(&id, true, &err) || adm_entity_get(r->store, kind, &id, &r->arena, &e, &err) ||
	    adm_entity_msg(&e, &r->arena, &m, &err)) {
		fail(r, &err);
		return;
	}
	adm_reply_msg(r, 200, m);
	adm_cache_store(r, key);
}

static void list_entities(struct adm_req *r, enum adm_kind kind)
{
	struct adm_query q;
	ProtobufCMessage **items;
	size_t n, i;
	char *next;
	struct fc_err err;
	struct adm_wf_match wf;
	bool by_workflow = false;
	uint32_t want;

	if (adm_req_query(r, &q))
		return;
	q.project = adm_req_param(r, 0);
	q.domain = adm_req_param(r, 1);
	q.name = adm_req_param(r, 2);
	want = q.limit ? q.limit : ADM_LIMIT_DEFAULT;
	/* launch plans of a workflow: matched on their specs over the first ADM_LIMIT_MAX versions, one page */
	if (kind == ADM_LAUNCH_PLAN &&
	    adm_split_workflow_filters(q.filters, &r->arena, &q.filters, &wf, &by_workflow, &err)) {
		fail(r, &err);
		return;
	}
	if (by_workflow) {
		q.limit = ADM_LIMIT_MAX;
		q.token = NULL;
	}
	if (adm_entity_items(r->store, kind, &q, &r->arena, &items, &n, &next, &err)) {
		fail(r, &err);
		return;
	}
	if (by_workflow) {
		size_t kept = 0;

		for (i = 0; i < n && kept < want; i++)
			if (adm_wf_match_launch_plan(&wf, (Flyteidl__Admin__LaunchPlan *)items[i]))
				items[kept++] = items[i];
		n = kept;
		next = NULL;
	}
	adm_reply_msg(r, 200, adm_entity_list_msg(kind, &r->arena, items, n, next));
}

static void list_ids(struct adm_req *r, enum adm_kind kind)
{
	Flyteidl__Admin__NamedEntityIdentifierList *l;
	struct adm_query q;
	struct fc_err err;

	if (adm_req_query(r, &q))
		return;
	q.project = adm_req_param(r, 0);
	q.domain = adm_req_param(r, 1);
	if (adm_entity_ids_msg(r->store, kind, &q, &r->arena, &l, &err)) {
		fail(r, &err);
		return;
	}
	adm_reply_msg(r, 200, &l->base);
}

static void h_get_task(struct adm_req *r) { get_entity(r, ADM_TASK); }
static void h_get_workflow(struct adm_req *r) { get_entity(r, ADM_WORKFLOW); }
static void h_get_launch_plan(struct adm_req *r) { get_entity(r, ADM_LAUNCH_PLAN); }
static void h_list_tasks(struct adm_req *r) { list_entities(r, ADM_TASK); }
static void h_list_workflows(struct adm_req *r) { list_entities(r, ADM_WORKFLOW); }
static void h_list_launch_plans(struct adm_req *r) { list_entities(r, ADM_LAUNCH_PLAN); }
static void h_task_ids(struct adm_req *r) { list_ids(r, ADM_TASK); }
static void h_workflow_ids(struct adm_req *r) { list_ids(r, ADM_WORKFLOW); }
static void h_launch_plan_ids(struct adm_req *r) { list_ids(r, ADM_LAUNCH_PLAN); }

static void h_update_launch_plan(struct adm_req *r)
{
	struct adm_id id = {adm_req_param(r, 0), adm_req_param(r, 1), adm_req_param(r, 2), adm_req_param(r, 3)};
	Flyteidl__Admin__LaunchPlanUpdateRequest *req;
	struct fc_err err;

	if (adm_req_decode(r, (ProtobufCMessage **)&req))
		return;
	if (req->id && ((*req->id->project && strcmp(req->id->project, id.project)) ||
			(*req->id->domain && strcmp(req->id->domain, id.domain)) ||
			(*req->id->name && strcmp(req->id->name, id.name)) ||
			(*req->id->version && strcmp(req->id->version, id.version)))) {
		adm_reply_error(r, FC_EINVAL, "the body's id does not match the path");
		return;
	}
	if (adm_launch_plan_set_state(r->store, &id, (int)req->state, &err)) {
		fail(r, &err);
		return;
	}
	adm_reply_json_text(r, 200, "{}\n");
}

static void h_active_launch_plan(struct adm_req *r)
{
	struct adm_id id = {adm_req_param(r, 0), adm_req_param(r, 1), adm_req_param(r, 2), NULL};
	Flyteidl__Admin__LaunchPlan *m;
	struct adm_entity e;
	struct fc_err err;

	if (adm_check_id(&id, false, &err) || adm_launch_plan_get_active(r->store, &id, &r->arena, &e, &err) ||
	    adm_launch_plan_msg(&e, &r->arena, &m, &err)) {
		fail(r, &err);
		return;
	}
	adm_reply_msg(r, 200, &m->base);
}

static void h_active_launch_plans(struct adm_req *r)
{
	struct adm_query q;
	ProtobufCMessage **items;
	size_t n;
	char *next;
	struct fc_err err;

	if (adm_req_query(r, &q))
		return;
	if (q.filters && *q.filters) {
		adm_reply_error(r, FC_EINVAL, "active_launch_plans takes no filters");
		return;
	}
	q.project = adm_req_param(r, 0);
	q.domain = adm_req_param(r, 1);
	q.filters = "eq(state,1)";
	if (adm_entity_items(r->store, ADM_LAUNCH_PLAN, &q, &r->arena, &items, &n, &next, &err)) {
		fail(r, &err);
		return;
	}
	adm_reply_msg(r, 200, adm_entity_list_msg(ADM_LAUNCH_PLAN, &r->arena, items, n, next));
}

/* ------------------------------------------------------------------------------------------------------------
 * Executions.
 */
static void reply_exec_id(struct adm_req *r, const struct adm_exec_id *id)
{
	Flyteidl__Admin__ExecutionCreateResponse resp = FLYTEIDL__ADMIN__EXECUTION_CREATE_RESPONSE__INIT;

	resp.id = adm_exec_id_msg(&r->arena, id);
	adm_reply_msg(r, 200, &resp.base);
}

static void h_create_execution(struct adm_req *r)
{
	Flyteidl__Admin__ExecutionCreateRequest *req;
	struct adm_exec_id id;
	struct fc_err err;

	if (adm_req_decode(r, (ProtobufCMessage **)&req))
		return;
	if (adm_launch(r->store, req, FLYTEIDL__ADMIN__EXECUTION_METADATA__EXECUTION_MODE__MANUAL, &r->arena, &id,
		       &err)) {
		fail(r, &err);
		return;
	}
	reply_exec_id(r, &id);
}

static void h_relaunch_execution(struct adm_req *r)
{
	Flyteidl__Admin__ExecutionRelaunchRequest *req;
	struct adm_exec_id id;
	struct fc_err err;

	if (adm_req_decode(r, (ProtobufCMessage **)&req))
		return;
	if (adm_relaunch(r->store, req, &r->arena, &id, &err)) {
		fail(r, &err);
		return;
	}
	reply_exec_id(r, &id);
}

static int path_exec_id(struct adm_req *r, struct adm_exec_id *id, struct fc_err *err)
{
	id->project = adm_req_param(r, 0);
	id->domain = adm_req_param(r, 1);
	id->name = adm_req_param(r, 2);
	if (adm_check_project(id->project, err))
		return FC_EINVAL;
	return adm_check_name("execution name", id->name, err);
}

static void h_get_execution(struct adm_req *r)
{
	Flyteidl__Admin__Execution *m;
	struct adm_exec_id id;
	struct adm_execution x;
	struct fc_err err;
	uint64_t gen = 0;

	if (path_exec_id(r, &id, &err)) {
		fail(r, &err);
		return;
	}
	if (adm_cache_reply_exec(r, "execution", &id, &gen))
		return;
	if (adm_execution_get(r->store, &id, &r->arena, &x, &err) || adm_execution_msg(&x, &r->arena, &m, &err)) {
		fail(r, &err);
		return;
	}
	adm_reply_msg(r, 200, &m->base);
	adm_cache_store_exec(r, "execution", &id, gen);
}

static void h_execution_data(struct adm_req *r)
{
	Flyteidl__Admin__WorkflowExecutionGetDataResponse resp = FLYTEIDL__ADMIN__WORKFLOW_EXECUTION_GET_DATA_RESPONSE__INIT;
	struct adm_exec_id id;
	struct adm_execution x;
	struct fc_err err;

	if (path_exec_id(r, &id, &err) || adm_execution_get(r->store, &id, &r->arena, &x, &err)) {
		fail(r, &err);
		return;
	}
	if (x.inputs)
		resp.full_inputs = (Flyteidl__Core__LiteralMap *)unpack_stored(
			r, &flyteidl__core__literal_map__descriptor, x.inputs, x.inputs_len);
	if (x.outputs)
		resp.full_outputs = (Flyteidl__Core__LiteralMap *)unpack_stored(
			r, &flyteidl__core__literal_map__descriptor, x.outputs, x.outputs_len);
	adm_reply_msg(r, 200, &resp.base);
}

static void h_list_executions(struct adm_req *r)
{
	Flyteidl__Admin__ExecutionList *l;
	struct adm_query q;
	struct fc_err err;

	if (adm_req_query(r, &q))
		return;
	q.project = adm_req_param(r, 0);
	q.domain = adm_req_param(r, 1);
	if (adm_execution_list_msg(r->store, &q, &r->arena, &l, &err)) {
		fail(r, &err);
		return;
	}
	adm_reply_msg(r, 200, &l->base);
}

static void h_terminate_execution(struct adm_req *r)
{
	Flyteidl__Admin__ExecutionTerminateRequest *req = NULL;
	struct adm_exec_id id;
	struct fc_err err;

	if (r->body.len && adm_req_decode(r, (ProtobufCMessage **)&req))
		return;
	if (path_exec_id(r, &id, &err) ||
	    adm_execution_terminate(r->store, &id, req ? req->cause : NULL, "api", &err)) {
		fail(r, &err);
		return;
	}
	adm_reply_json_text(r, 200, "{}\n");
}

static void h_list_node_executions(struct adm_req *r)
{
	Flyteidl__Admin__NodeExecutionList *l;
	struct adm_query q;
	struct adm_exec_id id;
	struct fc_err err;

	if (adm_req_query(r, &q))
		return;
	if (path_exec_id(r, &id, &err) ||
	    adm_node_execution_list_msg(r->store, &id, adm_req_arg(r, "unique_parent_id"), &q, &r->arena, &l, &err)) {
		fail(r, &err);
		return;
	}
	adm_reply_msg(r, 200, &l->base);
}

static void h_get_node_execution(struct adm_req *r)
{
	Flyteidl__Admin__NodeExecution *m;
	struct adm_exec_id id;
	struct adm_node_execution n;
	struct fc_err err;
	/* cached like the execution's answer: a change to any of its nodes is a notice for the execution */
	const char *what = fc_arena_printf(&r->arena, "node\n%s", adm_req_param(r, 3));
	uint64_t gen = 0;

	if (path_exec_id(r, &id, &err)) {
		fail(r, &err);
		return;
	}
	if (adm_cache_reply_exec(r, what, &id, &gen))
		return;
	if (adm_node_execution_get(r->store, &id, adm_req_param(r, 3), &r->arena, &n, &err) ||
	    adm_node_execution_msg(&n, &r->arena, &m, &err)) {
		fail(r, &err);
		return;
	}
	adm_reply_msg(r, 200, &m->base);
	adm_cache_store_exec(r, what, &id, gen);
}

static void h_list_task_executions(struct adm_req *r)
{
	Flyteidl__Admin__TaskExecutionList *l;
	struct adm_query q;
	struct adm_exec_id id;
	struct fc_err err;

	if (adm_req_query(r, &q))
		return;
	if (path_exec_id(r, &id, &err) ||
	    adm_task_execution_list_msg(r->store, &id, adm_req_param(r, 3), &q, &r->arena, &l, &err)) {
		fail(r, &err);
		return;
	}
	adm_reply_msg(r, 200, &l->base);
}

static void h_get_task_execution(struct adm_req *r)
{
	struct adm_id task = {adm_req_param(r, 4), adm_req_param(r, 5), adm_req_param(r, 6), adm_req_param(r, 7)};
	Flyteidl__Admin__TaskExecution *m;
	struct adm_exec_id id;
	struct adm_task_execution t;
	struct fc_err err;
	const char *attempt = adm_req_param(r, 8);
	char *end;
	unsigned long retry = strtoul(attempt, &end, 10);

	if (*end || attempt[0] == '-' || retry > UINT32_MAX) {
		adm_reply_error(r, FC_EINVAL, "retry attempt '%s' is not a number", attempt);
		return;
	}
	if (path_exec_id(r, &id, &err) ||
	    adm_task_execution_get(r->store, &id, adm_req_param(r, 3), &task, (uint32_t)retry, &r->arena, &t, &err) ||
	    adm_task_execution_msg(&t, &r->arena, &m, &err)) {
		fail(r, &err);
		return;
	}
	adm_reply_msg(r, 200, &m->base);
}

/* ------------------------------------------------------------------------------------------------------------
 * Events: Flyte's {"requestId": "...", "event": {...}} wrappers (the admin.*EventRequest messages).
 */
static int decode_event(struct adm_req *r, const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out)
{
	json_error_t jerr;
	json_t *root, *event = NULL;
	const char *key;
	json_t *value;
	struct fc_err err;
	int rc = FC_EINVAL;

	if (r->pb_in) {
		adm_reply_error(r, FC_EINVAL, "event bodies are JSON ({\"requestId\", \"event\"}) on this server; "
					     "the protobuf encoding is not accepted here");
		return FC_EINVAL;
	}
	*out = NULL;
	root = json_loadb(r->body.buf, r->body.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root || !json_is_object(root)) {
		adm_reply_error(r, FC_EINVAL, "body is not a JSON object%s%s", root ? "" : ": ", root ? "" : jerr.text);
		goto out;
	}
	json_object_foreach(root, key, value) {
		if (!strcmp(key, "event"))
			event = value;
		else if (strcmp(key, "requestId") && strcmp(key, "request_id")) {
			adm_reply_error(r, FC_EINVAL, "unknown field '%s' (expected requestId and event)", key);
			goto out;
		}
	}
	if (!event) {
		adm_reply_error(r, FC_EINVAL, "'event' is required");
		goto out;
	}
	if (fc_pbjson_decode(event, desc, fc_arena_pb_allocator(&r->arena), 0, out, &err)) {
		adm_reply_error(r, FC_EINVAL, "event is not a valid %s: %s", desc->name, err.msg);
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

static void reply_event(struct adm_req *r, int rc, bool applied, const struct fc_err *err)
{
	if (rc) {
		fail(r, err);
		return;
	}
	r->extra_header = "Flytec-Event";
	r->extra_value = applied ? "applied" : "already-in-phase";
	adm_reply_json_text(r, 200, "{}\n");
}

/* POST /api/v1/events/{workflows,nodes,tasks}: one intake (adm_intake_event) for the three kinds of event. */
static void h_event(struct adm_req *r, const ProtobufCMessageDescriptor *desc)
{
	ProtobufCMessage *ev;
	struct fc_err err;
	bool applied = false;
	int rc;

	if (decode_event(r, desc, &ev))
		return;
	rc = adm_intake_event(r->store, ev, &applied, &err);
	reply_event(r, rc, applied, &err);
}

static void h_event_workflow(struct adm_req *r)
{
	h_event(r, &flyteidl__event__workflow_execution_event__descriptor);
}

static void h_event_node(struct adm_req *r)
{
	h_event(r, &flyteidl__event__node_execution_event__descriptor);
}

static void h_event_task(struct adm_req *r)
{
	h_event(r, &flyteidl__event__task_execution_event__descriptor);
}

/* flytec's own: GET /api/v1/events/{project}/{domain}/{name}: the execution's event history, oldest first. */
static void h_event_history(struct adm_req *r)
{
	static const char *const kinds[] = {"", "workflow", "node", "task"};
	static const ProtobufCEnumDescriptor *const phases[] = {
		NULL, &flyteidl__core__workflow_execution__phase__descriptor,
		&flyteidl__core__node_execution__phase__descriptor, &flyteidl__core__task_execution__phase__descriptor};
	static const ProtobufCMessageDescriptor *const msgs[] = {
		NULL, &flyteidl__event__workflow_execution_event__descriptor,
		&flyteidl__event__node_execution_event__descriptor, &flyteidl__event__task_execution_event__descriptor};
	struct adm_exec_id id;
	struct adm_event_row *rows;
	json_t *list = NULL, *root = NULL;
	size_t n, i;
	struct fc_err err;

	if (path_exec_id(r, &id, &err) || adm_event_history(r->store, &id, 0, &r->arena, &rows, &n, &err)) {
		fail(r, &err);
		return;
	}
	list = json_array();
	for (i = 0; i < n; i++) {
		const struct adm_event_row *e = &rows[i];
		int k = e->kind >= 1 && e->kind <= 3 ? e->kind : 0;
		const ProtobufCEnumValue *ph = k ? protobuf_c_enum_descriptor_get_value(phases[k], e->phase) : NULL;
		struct fc_buf t1 = FC_BUF_INIT, t2 = FC_BUF_INIT;
		json_t *o = json_object(), *ev = NULL;

		adm_format_time(e->occurred_at, &t1);
		adm_format_time(e->recorded_at, &t2);
		json_object_set_new(o, "kind", json_string(kinds[k]));
		if (e->node_id)
			json_object_set_new(o, "nodeId", json_string(e->node_id));
		if (k == 3)
			json_object_set_new(o, "retryAttempt", json_integer(e->retry_attempt));
		json_object_set_new(o, "phase", json_string(ph ? ph->name : "UNDEFINED"));
		if (e->phase_version)
			json_object_set_new(o, "phaseVersion", json_integer(e->phase_version));
		json_object_set_new(o, "occurredAt", json_string(t1.buf));
		json_object_set_new(o, "recordedAt", json_string(t2.buf));
		if (k && e->raw) {
			ProtobufCMessage *m = unpack_stored(r, msgs[k], e->raw, e->raw_len);

			if (m && !fc_pbjson_encode(m, 0, &ev, NULL))
				json_object_set_new(o, "event", ev);
		}
		json_array_append_new(list, o);
		fc_buf_release(&t1);
		fc_buf_release(&t2);
	}
	root = json_object();
	json_object_set_new(root, "events", list);
	fc_buf_reset(&r->out);
	if (fc_pbjson_dump(root, 0, &r->out, &err)) {
		adm_reply_err(r, &err);
	} else {
		fc_buf_addch(&r->out, '\n');
		r->status = 200;
		r->content_type = "application/json";
	}
	json_decref(root);
}

/* ------------------------------------------------------------------------------------------------------------
 * Projects, domains, signals, version, health, metrics, repository status.
 */

static void h_list_projects(struct adm_req *r)
{
	Flyteidl__Admin__Projects *l;
	struct adm_query q;
	struct fc_err err;

	if (adm_req_query(r, &q))
		return;
	if (adm_project_list_msg(r->store, &q, &r->arena, &l, &err)) {
		fail(r, &err);
		return;
	}
	adm_reply_msg(r, 200, &l->base);
}

static void h_register_project(struct adm_req *r)
{
	Flyteidl__Admin__ProjectRegisterRequest *req;
	struct adm_project p;
	struct fc_err err;

	if (adm_req_decode(r, (ProtobufCMessage **)&req))
		return;
	if (!req->project) {
		adm_reply_error(r, FC_EINVAL, "'project' is required");
		return;
	}
	memset(&p, 0, sizeof(p));
	p.id = req->project->id;
	p.name = req->project->name;
	p.description = req->project->description;
	p.state = (int)req->project->state;
	if (adm_project_create(r->store, &p, &err)) {
		fail(r, &err);
		return;
	}
	adm_reply_json_text(r, 200, "{}\n");
}

static void h_update_project(struct adm_req *r)
{
	Flyteidl__Admin__Project *req;
	struct adm_project p;
	struct fc_err err;

	if (adm_req_decode(r, (ProtobufCMessage **)&req))
		return;
	if (*req->id && strcmp(req->id, adm_req_param(r, 0))) {
		adm_reply_error(r, FC_EINVAL, "the body's id does not match the path");
		return;
	}
	memset(&p, 0, sizeof(p));
	p.id = adm_req_param(r, 0);
	p.name = req->name;
	p.description = req->description;
	p.state = (int)req->state;
	if (adm_check_project(p.id, &err) || adm_project_update(r->store, &p, &err)) {
		fail(r, &err);
		return;
	}
	adm_reply_json_text(r, 200, "{}\n");
}

static void h_list_domains(struct adm_req *r)
{
	Flyteidl__Admin__GetDomainsResponse resp = FLYTEIDL__ADMIN__GET_DOMAINS_RESPONSE__INIT;
	struct fc_err err;

	resp.domains = adm_domain_msgs(r->store, &r->arena, &resp.n_domains, &err);
	if (!resp.domains) {
		fail(r, &err);
		return;
	}
	adm_reply_msg(r, 200, &resp.base);
}

static void h_list_signals(struct adm_req *r)
{
	Flyteidl__Admin__SignalList *l;
	struct adm_query q;
	struct adm_exec_id id;
	struct fc_err err;

	if (adm_req_query(r, &q))
		return;
	if (path_exec_id(r, &id, &err) || adm_signal_list_msg(r->store, &id, &q, &r->arena, &l, &err)) {
		fail(r, &err);
		return;
	}
	adm_reply_msg(r, 200, &l->base);
}

static void h_set_signal(struct adm_req *r)
{
	Flyteidl__Admin__SignalSetRequest *req;
	struct adm_exec_id id;
	uint8_t *value;
	size_t len;
	struct fc_err err;

	if (adm_req_decode(r, (ProtobufCMessage **)&req))
		return;
	if (!req->id || !req->id->execution_id || !req->value) {
		adm_reply_error(r, FC_EINVAL, "id (with executionId) and value are required");
		return;
	}
	id.project = req->id->execution_id->project;
	id.domain = req->id->execution_id->domain;
	id.name = req->id->execution_id->name;
	value = cmp_pb_pack_arena(&r->arena, &req->value->base, &len);
	if (adm_signal_set(r->store, &id, req->id->signal_id, value, len, &err)) {
		fail(r, &err);
		return;
	}
	adm_reply_json_text(r, 200, "{}\n");
}

static void h_version(struct adm_req *r)
{
	Flyteidl__Admin__GetVersionResponse resp = FLYTEIDL__ADMIN__GET_VERSION_RESPONSE__INIT;
	Flyteidl__Admin__Version v = FLYTEIDL__ADMIN__VERSION__INIT;

	v.version = adm_server_opts(r->srv)->version;
	v.build = (char *)"flytec admin-lite";
	resp.control_plane_version = &v;
	adm_reply_msg(r, 200, &resp.base);
}

static void h_healthz(struct adm_req *r)
{
	struct fc_err err;

	if (adm_store_ping(r->store, &err)) {
		adm_reply_error(r, FC_EUNAVAILABLE, "store: %s", err.msg);
		return;
	}
	adm_reply_json_text(r, 200, "{\"status\":\"ok\"}\n");
}

static void h_metrics(struct adm_req *r)
{
	struct adm_store_counts c;
	struct fc_err err;

	fc_buf_reset(&r->out);
	if (!adm_store_counts(r->store, &c, &err)) {
		fc_buf_addf(&r->out,
			    "# HELP flytec_store_entities Rows in the admin store, by kind.\n"
			    "# TYPE flytec_store_entities gauge\n"
			    "flytec_store_entities{kind=\"project\"} %lld\n"
			    "flytec_store_entities{kind=\"task\"} %lld\n"
			    "flytec_store_entities{kind=\"workflow\"} %lld\n"
			    "flytec_store_entities{kind=\"launch_plan\"} %lld\n"
			    "flytec_store_entities{kind=\"execution\"} %lld\n"
			    "flytec_store_entities{kind=\"node_execution\"} %lld\n"
			    "flytec_store_entities{kind=\"task_execution\"} %lld\n"
			    "flytec_store_entities{kind=\"event\"} %lld\n"
			    "# HELP flytec_repository_files_failed Repository files whose last compile failed.\n"
			    "# TYPE flytec_repository_files_failed gauge\n"
			    "flytec_repository_files_failed %lld\n",
			    (long long)c.projects, (long long)c.tasks, (long long)c.workflows, (long long)c.launch_plans,
			    (long long)c.executions, (long long)c.node_executions, (long long)c.task_executions,
			    (long long)c.events, (long long)c.files_failed);
	}
	adm_server_metrics(r->srv, &r->out);
	adm_server_schedule_metrics(r->srv, &r->out);
	r->status = 200;
	r->content_type = "text/plain; version=0.0.4";
}

/*
 * flytec's own: pause or unpause a launch plan's schedule. Body (optional): {"note": "why"} for a pause,
 * {"note": "...", "catchUp": true} for an unpause (without catchUp the slots that fell in the pause never fire).
 */
static void schedule_pause(struct adm_req *r, bool paused)
{
	struct adm_id id = {adm_req_param(r, 0), adm_req_param(r, 1), adm_req_param(r, 2), NULL};
	const char *note = NULL;
	bool catch_up = false;
	json_t *root = NULL, *v;
	json_error_t jerr;
	struct fc_err err;

	if (r->body.len) {
		root = json_loadb(r->body.buf, r->body.len, JSON_REJECT_DUPLICATES, &jerr);
		if (!root || !json_is_object(root)) {
			adm_reply_error(r, FC_EINVAL, "body: expected a JSON object such as {\"note\": \"...\"}%s%s",
					root ? "" : ": ", root ? "" : jerr.text);
			goto out;
		}
		if ((v = json_object_get(root, "note")) && !json_is_null(v)) {
			if (!json_is_string(v)) {
				adm_reply_error(r, FC_EINVAL, "note must be a string");
				goto out;
			}
			note = json_string_value(v);
		}
		if ((v = json_object_get(root, "catchUp")) && !json_is_null(v)) {
			if (!json_is_boolean(v) || paused) {
				adm_reply_error(r, FC_EINVAL, "catchUp is a boolean, and only for unpause");
				goto out;
			}
			catch_up = json_is_true(v);
		}
	}
	if (adm_schedule_set_paused(r->store, &id, paused, note, catch_up, &err)) {
		adm_reply_err(r, &err);
		goto out;
	}
	fc_buf_reset(&r->out);
	fc_buf_addf(&r->out, "{\"paused\":%s,\"catchUp\":%s}\n", paused ? "true" : "false", catch_up ? "true" : "false");
	r->status = 200;
	r->content_type = "application/json";
out:
	json_decref(root);
}

static void h_schedule_pause(struct adm_req *r)
{
	schedule_pause(r, true);
}

static void h_schedule_unpause(struct adm_req *r)
{
	schedule_pause(r, false);
}

/*
 * flytec's own: backfill a launch plan's schedule. Body: {"from": RFC 3339, "to": RFC 3339, "parallel": N (default
 * 1), "dryRun": bool}. Answers the slots of the range, each queued, already run, or (dry run) would run.
 */
static void h_schedule_backfill(struct adm_req *r)
{
	const char *from_s = NULL, *to_s = NULL;
	int64_t from, to;
	json_int_t parallel = 1;
	bool dry_run = false;
	json_t *root = NULL, *v;
	json_error_t jerr;
	struct fc_err err;

	root = r->body.len ? json_loadb(r->body.buf, r->body.len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
	if (!root || !json_is_object(root)) {
		adm_reply_error(r, FC_EINVAL, "body: expected a JSON object such as {\"from\": \"2024-03-01T00:00:00Z\", "
				"\"to\": \"2024-03-02T00:00:00Z\"}%s%s", root || !r->body.len ? "" : ": ",
				root || !r->body.len ? "" : jerr.text);
		goto out;
	}
	if ((v = json_object_get(root, "from")) && json_is_string(v))
		from_s = json_string_value(v);
	if ((v = json_object_get(root, "to")) && json_is_string(v))
		to_s = json_string_value(v);
	if (!from_s || !to_s) {
		adm_reply_error(r, FC_EINVAL, "from and to are RFC 3339 times (strings), both required");
		goto out;
	}
	if (fc_time_parse_rfc3339(from_s, &from, NULL, &err) || fc_time_parse_rfc3339(to_s, &to, NULL, &err)) {
		adm_reply_error(r, FC_EINVAL, "from/to: %s", err.msg);
		goto out;
	}
	if ((v = json_object_get(root, "parallel")) && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > SCH_BACKFILL_MAX_PARALLEL) {
			adm_reply_error(r, FC_EINVAL, "parallel is a whole number from 1 to %d", SCH_BACKFILL_MAX_PARALLEL);
			goto out;
		}
		parallel = json_integer_value(v);
	}
	if ((v = json_object_get(root, "dryRun")) && !json_is_null(v)) {
		if (!json_is_boolean(v)) {
			adm_reply_error(r, FC_EINVAL, "dryRun is a boolean");
			goto out;
		}
		dry_run = json_is_true(v);
	}
	if (from > INT64_MAX / 1000000000 || from < INT64_MIN / 1000000000 || to > INT64_MAX / 1000000000 ||
	    to < INT64_MIN / 1000000000) {
		adm_reply_error(r, FC_EINVAL, "from/to: out of range");
		goto out;
	}
	fc_buf_reset(&r->out);
	if (adm_server_schedule_backfill(r->srv, adm_req_param(r, 0), adm_req_param(r, 1), adm_req_param(r, 2),
					 from * 1000000000, to * 1000000000, (uint32_t)parallel, dry_run, &r->out, &err)) {
		adm_reply_err(r, &err);
		goto out;
	}
	fc_buf_addch(&r->out, '\n');
	r->status = 200;
	r->content_type = "application/json";
out:
	json_decref(root);
}

/* flytec's own: the compile status of the watched repository's files. */
static void h_repository_status(struct adm_req *r)
{
	struct adm_file_status *list;
	const char *errors = adm_req_arg(r, "errors_only");
	size_t n, i;
	struct fc_err err;

	if (adm_file_status_list(r->store, errors && !strcmp(errors, "true"), &r->arena, &list, &n, &err)) {
		fail(r, &err);
		return;
	}
	fc_buf_reset(&r->out);
	fc_buf_adds(&r->out, "{\"files\":[");
	for (i = 0; i < n; i++) {
		const struct adm_file_status *f = &list[i];
		struct fc_buf when = FC_BUF_INIT;

		adm_format_time(f->updated_at, &when);
		fc_buf_adds(&r->out, i ? ",{\"path\":" : "{\"path\":");
		fc_buf_add_json_string(&r->out, f->path, strlen(f->path));
		fc_buf_addf(&r->out, ",\"ok\":%s,\"deleted\":%s,\"errors\":%zu,\"warnings\":%zu,\"updatedAt\":\"%s\"",
			    f->ok ? "true" : "false", f->deleted ? "true" : "false", f->nerrors, f->nwarnings, when.buf);
		if (f->diagnostics_text && *f->diagnostics_text) {
			fc_buf_adds(&r->out, ",\"diagnostics\":");
			fc_buf_add_json_string(&r->out, f->diagnostics_text, strlen(f->diagnostics_text));
		}
		if (f->diagnostics_json && *f->diagnostics_json) {
			fc_buf_adds(&r->out, ",\"diagnosticsJson\":");
			fc_buf_adds(&r->out, f->diagnostics_json);
		}
		fc_buf_addch(&r->out, '}');
		fc_buf_release(&when);
	}
	fc_buf_adds(&r->out, "]}\n");
	r->status = 200;
	r->content_type = "application/json";
}

/* Whether `b` is text a page can show: valid UTF-8 without NUL bytes (a .pb file or an archive is not). */
static bool is_text(const struct fc_buf *b)
{
	struct fc_buf copy = FC_BUF_INIT;
	bool text;

	if (memchr(b->buf, '\0', b->len))
		return false;
	fc_buf_add(&copy, b->buf, b->len);
	text = fc_buf_fix_utf8(&copy) == 0;
	fc_buf_release(&copy);
	return text;
}

/*
 * flytec's own: GET /api/v1/repository/file?path=P, one spec file of the watched repository with its compile
 * status, for the console's repository page. Only files the watcher lists (GET /api/v1/repository/status) are
 * read, and only inside the repository: a path with "..", an absolute path, or a file whose real path leaves the
 * repository (a link) is refused.
 */
static void h_repository_file(struct adm_req *r)
{
	const struct adm_server_opts_copy *o = r->srv ? adm_server_opts(r->srv) : NULL;
	const char *path = adm_req_arg(r, "path");
	struct adm_file_status *list, *f = NULL;
	struct fc_buf full = FC_BUF_INIT, text = FC_BUF_INIT;
	char *root = NULL, *real = NULL;
	size_t n, i, rootlen;
	struct fc_err err;

	if (!o || !o->repo_dir) {
		adm_reply_error(r, FC_ENOENT, "no repository is watched (flytec serve --repo DIR)");
		return;
	}
	if (!path || !*path || path[0] == '/' || strstr(path, "..")) {
		adm_reply_error(r, FC_EINVAL, "path=P names a spec file of the repository, relative to it, without '..'");
		return;
	}
	if (adm_file_status_list(r->store, false, &r->arena, &list, &n, &err)) {
		fail(r, &err);
		return;
	}
	for (i = 0; i < n && !f; i++)
		if (!strcmp(list[i].path, path) && !list[i].deleted)
			f = &list[i];
	if (!f) {
		adm_reply_error(r, FC_ENOENT, "%s is not a spec file of the repository", path);
		return;
	}
	fc_buf_addf(&full, "%s/%s", o->repo_dir, path);
	root = realpath(o->repo_dir, NULL);
	real = realpath(full.buf, NULL);
	if (!root || !real) {
		adm_reply_error(r, FC_ENOENT, "%s: %s", path, strerror(errno));
		goto out;
	}
	rootlen = strlen(root);
	if (strncmp(real, root, rootlen) || real[rootlen] != '/') {
		adm_reply_error(r, FC_EPERM, "%s leads outside the repository", path);
		goto out;
	}
	if (fc_buf_read_file(&text, real, ADM_REPO_FILE_MAX, &err)) {
		fail(r, &err);
		goto out;
	}
	fc_buf_reset(&r->out);
	fc_buf_adds(&r->out, "{\"path\":");
	fc_buf_add_json_string(&r->out, f->path, strlen(f->path));
	fc_buf_addf(&r->out, ",\"ok\":%s,\"errors\":%zu,\"warnings\":%zu,\"size\":%zu", f->ok ? "true" : "false",
		    f->nerrors, f->nwarnings, text.len);
	if (is_text(&text)) {
		fc_buf_adds(&r->out, ",\"content\":");
		fc_buf_add_json_string(&r->out, text.buf, text.len);
	} else {
		fc_buf_adds(&r->out, ",\"binary\":true");
	}
	if (f->diagnostics_text && *f->diagnostics_text) {
		fc_buf_adds(&r->out, ",\"diagnostics\":");
		fc_buf_add_json_string(&r->out, f->diagnostics_text, strlen(f->diagnostics_text));
	}
	if (f->diagnostics_json && *f->diagnostics_json) {
		fc_buf_adds(&r->out, ",\"diagnosticsJson\":");
		fc_buf_adds(&r->out, f->diagnostics_json);
	}
	fc_buf_adds(&r->out, "}\n");
	r->status = 200;
	r->content_type = "application/json";
out:
	free(root);
	free(real);
	fc_buf_release(&full);
	fc_buf_release(&text);
}

/*
 * flytec's own: POST /api/v1/repository/register {"project", "domain", "files": [{"path", "content"}]} compiles the
 * files together (as the watcher compiles a repository) and registers the results. Spec errors: 400 with the
 * diagnostics and nothing registered.
 */
#define REGISTER_MAX_FILES 10000

struct reg_report {
	json_t *results;
	size_t conflicts, failures;
};

static void on_reg_result(void *ctx, const struct adm_reg_result *r)
{
	struct reg_report *rep = ctx;
	json_t *o = json_object();

	json_object_set_new(o, "kind", json_string(adm_kind_name(r->kind)));
	json_object_set_new(o, "name", json_string(r->name ? r->name : ""));
	if (r->id) {
		json_object_set_new(o, "project", json_string(r->id->project));
		json_object_set_new(o, "domain", json_string(r->id->domain));
		json_object_set_new(o, "version", json_string(r->id->version));
	}
	json_object_set_new(o, "file", json_string(r->file ? r->file : ""));
	json_object_set_new(o, "status", json_string(r->rc == FC_ECONFLICT ? "conflict"
						     : r->rc		 ? "error"
						     : r->created	 ? "created"
									 : "exists"));
	if (r->activated)
		json_object_set_new(o, "activated", json_true());
	if (r->message)
		json_object_set_new(o, "message", json_string(r->message));
	if (r->diff)
		json_object_set_new(o, "diff", json_string(r->diff));
	rep->conflicts += r->rc == FC_ECONFLICT;
	rep->failures += r->rc && r->rc != FC_ECONFLICT;
	json_array_append_new(rep->results, o);
}

static bool safe_rel_path(const char *p)
{
	size_t n = strlen(p);

	if (!n || n > 1024 || p[0] == '/' || strstr(p, "..") || strchr(p, '\\'))
		return false;
	return (n > 5 && !strcmp(p + n - 5, ".yaml")) || (n > 4 && !strcmp(p + n - 4, ".yml")) ||
	       (n > 5 && !strcmp(p + n - 5, ".json"));
}

static void h_repository_register(struct adm_req *r)
{
	struct cmp_options copts;
	struct cmp_session *cs = NULL;
	struct reg_report rep = {NULL, 0, 0};
	json_error_t jerr;
	json_t *root, *files, *f, *out = NULL;
	const char *project = NULL, *domain = NULL;
	struct fc_err err;
	size_t i;

	root = json_loadb(r->body.buf, r->body.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root || !json_is_object(root)) {
		adm_reply_error(r, FC_EINVAL, "body is not a JSON object%s%s", root ? "" : ": ", root ? "" : jerr.text);
		goto out;
	}
	{
		const char *key;
		json_t *v;

		json_object_foreach(root, key, v) {
			if (strcmp(key, "files") && strcmp(key, "project") && strcmp(key, "domain")) {
				adm_reply_error(r, FC_EINVAL, "unknown field '%s' (expected project, domain, files)", key);
				goto out;
			}
			if (strcmp(key, "files") && !json_is_string(v)) {
				adm_reply_error(r, FC_EINVAL, "'%s' must be a string", key);
				goto out;
			}
		}
	}
	project = json_string_value(json_object_get(root, "project"));
	domain = json_string_value(json_object_get(root, "domain"));
	if ((project && adm_check_project(project, &err)) || (domain && adm_check_project(domain, &err))) {
		adm_reply_err(r, &err);
		goto out;
	}
	files = json_object_get(root, "files");
	if (!json_is_array(files) || !json_array_size(files) || json_array_size(files) > REGISTER_MAX_FILES) {
		adm_reply_error(r, FC_EINVAL, "'files' must be an array of 1 to %d {path, content} objects",
				REGISTER_MAX_FILES);
		goto out;
	}
	memset(&copts, 0, sizeof(copts));
	copts.project = project;
	copts.domain = domain;
	cs = cmp_session_new(&copts);
	json_array_foreach(files, i, f) {
		const char *path = json_string_value(json_object_get(f, "path"));
		json_t *content = json_object_get(f, "content");

		if (!json_is_object(f) || json_object_size(f) != 2 || !path || !json_is_string(content)) {
			adm_reply_error(r, FC_EINVAL, "files[%zu] must be {\"path\": string, \"content\": string}", i);
			goto out;
		}
		if (!safe_rel_path(path)) {
			adm_reply_error(r, FC_EINVAL, "files[%zu].path '%s' must be a relative .yaml, .yml or .json path "
				       "without '..'", i, path);
			goto out;
		}
		cmp_add_source_take(cs, path, fc_xstrndup(json_string_value(content), json_string_length(content)),
				    json_string_length(content));
	}
	if (cmp_compile(cs)) {
		struct fc_buf text = FC_BUF_INIT;

		fc_diags_render(cmp_diags(cs), FC_DIAG_TEXT, false, &text);
		fc_buf_reset(&r->out);
		fc_buf_addf(&r->out, "{\"code\":\"spec\",\"message\":\"the specs have %zu error(s); nothing was registered\","
			    "\"diagnostics\":", cmp_diags(cs)->nerrors);
		fc_buf_add_json_string(&r->out, text.buf, text.len);
		fc_buf_adds(&r->out, ",\"diagnosticsJson\":");
		fc_diags_render(cmp_diags(cs), FC_DIAG_JSON, false, &r->out);
		while (r->out.len && r->out.buf[r->out.len - 1] == '\n')
			fc_buf_truncate(&r->out, r->out.len - 1);
		fc_buf_adds(&r->out, "}\n");
		r->status = 400;
		r->content_type = "application/json";
		fc_buf_release(&text);
		goto out;
	}
	rep.results = json_array();
	if (adm_register_session(r->store, cs, NULL, on_reg_result, &rep, &err)) {
		adm_reply_err(r, &err);
		goto out;
	}
	out = json_object();
	if (rep.conflicts || rep.failures) {
		/* an error answer carries a code and a message like every other, the results beside them */
		char msg[128];

		snprintf(msg, sizeof(msg), "%zu of %zu results %s", rep.conflicts ? rep.conflicts : rep.failures,
			 json_array_size(rep.results), rep.conflicts ? "conflict with registered versions" : "failed");
		json_object_set_new(out, "code", json_string(rep.conflicts ? "conflict" : "invalid"));
		json_object_set_new(out, "message", json_string(msg));
	}
	json_object_set(out, "results", rep.results);
	fc_buf_reset(&r->out);
	if (fc_pbjson_dump(out, 0, &r->out, &err)) {
		adm_reply_err(r, &err);
		goto out;
	}
	fc_buf_addch(&r->out, '\n');
	r->status = rep.conflicts ? 409 : rep.failures ? 400 : 200;
	r->content_type = "application/json";
out:
	json_decref(out);
	json_decref(rep.results);
	json_decref(root);
	cmp_session_free(cs);
}

/* ------------------------------------------------------------------------------------------------------------
 * What Flyte's console reads besides the above (service_entities.c): named entities, description entities, the
 * data panels, the caller and the authentication settings.
 */
static int path_kind(struct adm_req *r, enum adm_kind *kind)
{
	struct fc_err err;

	if (adm_resource_type_parse(adm_req_param(r, 0), kind, &err)) {
		fail(r, &err);
		return -1;
	}
	return 0;
}

static void h_list_named_entities(struct adm_req *r)
{
	Flyteidl__Admin__NamedEntityList *l;
	enum adm_kind kind;
	struct adm_query q;
	struct fc_err err;

	if (path_kind(r, &kind) || adm_req_query(r, &q))
		return;
	q.project = adm_req_param(r, 1);
	q.domain = adm_req_param(r, 2);
	if (adm_named_entity_list(r->store, kind, &q, &r->arena, &l, &err)) {
		fail(r, &err);
		return;
	}
	adm_reply_msg(r, 200, &l->base);
}

static void h_get_named_entity(struct adm_req *r)
{
	struct adm_id id = {adm_req_param(r, 1), adm_req_param(r, 2), adm_req_param(r, 3), NULL};
	Flyteidl__Admin__NamedEntity *e;
	enum adm_kind kind;
	struct fc_err err;

	if (path_kind(r, &kind))
		return;
	if (adm_named_entity_get(r->store, kind, &id, &r->arena, &e, &err)) {
		fail(r, &err);
		return;
	}
	adm_reply_msg(r, 200, &e->base);
}

static void h_update_named_entity(struct adm_req *r)
{
	struct adm_id id = {adm_req_param(r, 1), adm_req_param(r, 2), adm_req_param(r, 3), NULL};
	Flyteidl__Admin__NamedEntityUpdateRequest *req;
	Flyteidl__Admin__NamedEntityUpdateResponse resp = FLYTEIDL__ADMIN__NAMED_ENTITY_UPDATE_RESPONSE__INIT;
	enum adm_kind kind;
	struct fc_err err;

	if (path_kind(r, &kind) ||
	    adm_req_decode(r, (ProtobufCMessage **)&req))
		return;
	if (adm_named_entity_update(r->store, kind, &id, req->metadata, &err)) {
		fail(r, &err);
		return;
	}
	adm_reply_msg(r, 200, &resp.base);
}

static void h_list_description_entities(struct adm_req *r)
{
	struct adm_id id = {adm_req_param(r, 1), adm_req_param(r, 2), adm_req_param(r, 3), NULL};
	Flyteidl__Admin__DescriptionEntityList *l;
	enum adm_kind kind;
	struct adm_query q;
	struct fc_err err;

	if (path_kind(r, &kind) || adm_req_query(r, &q))
		return;
	if (adm_description_entity_list(r->store, kind, &id, &r->arena, &l, &err)) {
		fail(r, &err);
		return;
	}
	adm_reply_msg(r, 200, &l->base);
}

static void h_get_description_entity(struct adm_req *r)
{
	struct adm_id id = {adm_req_param(r, 1), adm_req_param(r, 2), adm_req_param(r, 3), adm_req_param(r, 4)};
	Flyteidl__Admin__DescriptionEntity *d;
	enum adm_kind kind;
	struct fc_err err;

	if (path_kind(r, &kind))
		return;
	if (adm_description_entity_get(r->store, kind, &id, &r->arena, &d, &err)) {
		fail(r, &err);
		return;
	}
	adm_reply_msg(r, 200, &d->base);
}

static void h_node_execution_data(struct adm_req *r)
{
	Flyteidl__Admin__NodeExecutionGetDataResponse *resp;
	struct adm_exec_id id;
	struct fc_err err;

	if (path_exec_id(r, &id, &err) ||
	    adm_node_execution_data(r->store, &id, adm_req_param(r, 3), &r->arena, &resp, &err)) {
		fail(r, &err);
		return;
	}
	adm_reply_msg(r, 200, &resp->base);
}

static void h_task_execution_data(struct adm_req *r)
{
	struct adm_id task = {adm_req_param(r, 4), adm_req_param(r, 5), adm_req_param(r, 6), adm_req_param(r, 7)};
	Flyteidl__Admin__TaskExecutionGetDataResponse *resp;
	struct adm_exec_id id;
	struct fc_err err;
	const char *attempt = adm_req_param(r, 8);
	char *end;
	unsigned long retry = strtoul(attempt, &end, 10);

	if (*end || attempt[0] == '-' || retry > UINT32_MAX) {
		adm_reply_error(r, FC_EINVAL, "retry attempt '%s' is not a number", attempt);
		return;
	}
	if (path_exec_id(r, &id, &err) || adm_task_execution_data(r->store, &id, adm_req_param(r, 3), &task,
								   (uint32_t)retry, &r->arena, &resp, &err)) {
		fail(r, &err);
		return;
	}
	adm_reply_msg(r, 200, &resp->base);
}

/* The server's token, or NULL (also without a server: adm_serve_offline). */
static const char *server_token(const struct adm_req *r)
{
	return r->srv ? adm_server_opts(r->srv)->token : NULL;
}

/* The caller (Flyte's UserInfoResponse as JSON, the console's /me). Without a token there is no user: 404, as
 * Flyte's admin answers with authentication off; the console then offers "Login". */
static void h_me(struct adm_req *r)
{
	if (!server_token(r)) {
		adm_reply_error(r, FC_ENOENT, "authentication is off on this server: there is no user");
		return;
	}
	if (!adm_req_bearer_ok(r)) {
		adm_reply_error(r, FC_EPERM, "no valid 'Authorization: Bearer <token>' on this request");
		r->status = 401;
		return;
	}
	adm_reply_json_text(r, 200, "{\"subject\":\"flytec-token\",\"name\":\"token holder\","
				    "\"preferred_username\":\"flytec-token\"}\n");
}

/* Flyte clients' auth discovery (PublicClientAuthConfigResponse, and RFC 8414 server metadata). flytec has no
 * OAuth server: with authentication off both are 404 (as Flyte's admin); with --token-file the client config
 * names the header a static bearer token goes in, and there are no OAuth flows to describe. */
static void h_flyte_client_config(struct adm_req *r)
{
	if (!server_token(r)) {
		adm_reply_error(r, FC_ENOENT, "authentication is off on this server");
		return;
	}
	adm_reply_json_text(r, 200, "{\"client_id\":\"flytec\",\"redirect_uri\":\"\",\"scopes\":[],"
				    "\"authorization_metadata_key\":\"authorization\",\"service_http_endpoint\":\"\","
				    "\"audience\":\"\"}\n");
}

static void h_oauth_metadata(struct adm_req *r)
{
	adm_reply_error(r, FC_ENOENT, "%s",
			server_token(r)
				? "flytec has no OAuth authorization server: send the static token from --token-file as "
				  "'Authorization: Bearer <token>'"
				: "authentication is off on this server");
}

/*
 * Files behind the DataProxyService's signed URLs (dataproxy.h): PUT stores the body when its MD5 is the one signed
 * for, GET gives it back. A wrong or expired signature is 403.
 */
static const struct adm_dataproxy *dataproxy_key(struct adm_req *r, const char *method, struct fc_buf *key)
{
	const struct adm_dataproxy *dp = adm_server_opts(r->srv)->dataproxy;
	size_t i;

	if (!dp) {
		adm_reply_error(r, FC_ENOENT, "this server has no data proxy");
		return NULL;
	}
	for (i = 0; i < 4; i++) {
		if (!adm_dataproxy_name_ok(adm_req_param(r, i))) {
			adm_reply_error(r, FC_EINVAL, "'%s' is not a valid path segment", adm_req_param(r, i));
			return NULL;
		}
		fc_buf_addf(key, "%s%s", i ? "/" : "", adm_req_param(r, i));
	}
	if (!adm_dataproxy_verify(dp, method, key->buf, adm_req_arg(r, "expires"), adm_req_arg(r, "signature"),
				  adm_store_now(r->store) / 1000000000)) {
		adm_reply_error(r, FC_EPERM, "the URL's signature is wrong or has expired");
		return NULL;
	}
	return dp;
}

static void h_dataproxy_put(struct adm_req *r)
{
	struct fc_buf key = FC_BUF_INIT, path = FC_BUF_INIT;
	const struct adm_dataproxy *dp = dataproxy_key(r, "PUT", &key);
	unsigned char md5[16];
	char hex[33];
	struct fc_err err;
	size_t i;

	if (!dp)
		goto out;
	EVP_Digest(r->body.buf, r->body.len, md5, NULL, EVP_md5(), NULL);
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md5[i]);
	if (strcmp(hex, adm_req_param(r, 2))) {
		adm_reply_error(r, FC_EINVAL, "the body's MD5 is %s, not the %s this URL was signed for", hex,
				adm_req_param(r, 2));
		goto out;
	}
	fc_buf_addf(&path, "%s/%s/%s/%s", adm_dataproxy_dir(dp), adm_req_param(r, 0), adm_req_param(r, 1),
		    adm_req_param(r, 2));
	if (fc_mkdir_p(path.buf, &err)) {
		adm_reply_err(r, &err);
		goto out;
	}
	fc_buf_addf(&path, "/%s", adm_req_param(r, 3));
	if (fc_write_file_atomic(path.buf, r->body.buf, r->body.len, false, &err)) {
		adm_reply_error(r, FC_ESTORAGE, "%s", err.msg);
		goto out;
	}
	adm_reply_json_text(r, 200, "{}\n");
out:
	fc_buf_release(&key);
	fc_buf_release(&path);
}

static void h_dataproxy_get(struct adm_req *r)
{
	struct fc_buf key = FC_BUF_INIT, path = FC_BUF_INIT;
	const struct adm_dataproxy *dp = dataproxy_key(r, "GET", &key);
	struct fc_err err;

	if (!dp)
		goto out;
	fc_buf_addf(&path, "%s/%s", adm_dataproxy_dir(dp), key.buf);
	fc_buf_reset(&r->out);
	if (fc_buf_read_file(&r->out, path.buf, adm_server_opts(r->srv)->max_answer, &err)) {
		adm_reply_error(r, err.code == FC_ELIMIT ? FC_ELIMIT : FC_ENOENT, "%s", err.msg);
		goto out;
	}
	r->status = 200;
	r->content_type = "application/octet-stream";
out:
	fc_buf_release(&key);
	fc_buf_release(&path);
}

/* ------------------------------------------------------------------------------------------------------------ */
#define P "/api/v1"
#define MSG(name) &flyteidl__admin__##name##__descriptor
const struct adm_route adm_routes[] = {
	/* request message (the body) and response message (the answer) of each path: the one mapping that both
	 * encodings use (adm_req_decode(), adm_reply_msg()); NULL: not a message (flytec's own JSON, or events) */
	{"GET", "/healthz", h_healthz, ADM_OPEN, NULL, NULL},
	{"GET", "/metrics", h_metrics, ADM_READ, NULL, NULL},
	{"GET", P "/version", h_version, ADM_READ, NULL, MSG(get_version_response)},
	{"GET", P "/projects", h_list_projects, ADM_READ, NULL, MSG(projects)},
	{"POST", P "/projects",
	 h_register_project, ADM_WRITE, MSG(project_register_request), MSG(project_register_response)},
	{"PUT", P "/projects/{id}", h_update_project, ADM_WRITE, MSG(project), MSG(project_update_response)},
	{"GET", P "/domains", h_list_domains, ADM_READ, NULL, MSG(get_domains_response)},

	{"POST", P "/tasks", create_task, ADM_WRITE, MSG(task_create_request), MSG(task_create_response)},
	{"GET", P "/tasks/{project}/{domain}", h_list_tasks, ADM_READ, NULL, MSG(task_list)},
	{"GET", P "/tasks/{project}/{domain}/{name}", h_list_tasks, ADM_READ, NULL, MSG(task_list)},
	{"GET", P "/tasks/{project}/{domain}/{name}/{version}", h_get_task, ADM_READ, NULL, MSG(task)},
	{"GET", P "/task_ids/{project}/{domain}", h_task_ids, ADM_READ, NULL, MSG(named_entity_identifier_list)},

	{"POST", P "/workflows",
	 create_workflow, ADM_WRITE, MSG(workflow_create_request), MSG(workflow_create_response)},
	{"GET", P "/workflows/{project}/{domain}", h_list_workflows, ADM_READ, NULL, MSG(workflow_list)},
	{"GET", P "/workflows/{project}/{domain}/{name}", h_list_workflows, ADM_READ, NULL, MSG(workflow_list)},
	{"GET", P "/workflows/{project}/{domain}/{name}/{version}", h_get_workflow, ADM_READ, NULL, MSG(workflow)},
	{"GET", P "/workflow_ids/{project}/{domain}",
	 h_workflow_ids, ADM_READ, NULL, MSG(named_entity_identifier_list)},

	{"POST", P "/launch_plans",
	 create_launch_plan, ADM_WRITE, MSG(launch_plan_create_request), MSG(launch_plan_create_response)},
	{"GET", P "/launch_plans/{project}/{domain}", h_list_launch_plans, ADM_READ, NULL, MSG(launch_plan_list)},
	{"GET", P "/launch_plans/{project}/{domain}/{name}",
	 h_list_launch_plans, ADM_READ, NULL, MSG(launch_plan_list)},
	{"GET", P "/launch_plans/{project}/{domain}/{name}/{version}",
	 h_get_launch_plan, ADM_READ, NULL, MSG(launch_plan)},
	{"PUT", P "/launch_plans/{project}/{domain}/{name}/{version}",
	 h_update_launch_plan, ADM_WRITE, MSG(launch_plan_update_request), MSG(launch_plan_update_response)},
	{"GET", P "/launch_plan_ids/{project}/{domain}",
	 h_launch_plan_ids, ADM_READ, NULL, MSG(named_entity_identifier_list)},
	{"GET", P "/active_launch_plans/{project}/{domain}",
	 h_active_launch_plans, ADM_READ, NULL, MSG(launch_plan_list)},
	{"GET", P "/active_launch_plans/{project}/{domain}/{name}",
	 h_active_launch_plan, ADM_READ, NULL, MSG(launch_plan)},

	{"POST", P "/executions",
	 h_create_execution, ADM_WRITE, MSG(execution_create_request), MSG(execution_create_response)},
	{"POST", P "/executions/relaunch",
	 h_relaunch_execution, ADM_WRITE, MSG(execution_relaunch_request), MSG(execution_create_response)},
	{"GET", P "/executions/{project}/{domain}", h_list_executions, ADM_READ, NULL, MSG(execution_list)},
	{"GET", P "/executions/{project}/{domain}/{name}", h_get_execution, ADM_READ, NULL, MSG(execution)},
	{"DELETE", P "/executions/{project}/{domain}/{name}",
	 h_terminate_execution, ADM_WRITE, MSG(execution_terminate_request), MSG(execution_terminate_response)},
	{"GET", P "/data/executions/{project}/{domain}/{name}",
	 h_execution_data, ADM_READ, NULL, MSG(workflow_execution_get_data_response)},
	{"GET", P "/node_executions/{project}/{domain}/{name}",
	 h_list_node_executions, ADM_READ, NULL, MSG(node_execution_list)},
	{"GET", P "/node_executions/{project}/{domain}/{name}/{node_id}",
	 h_get_node_execution, ADM_READ, NULL, MSG(node_execution)},
	{"GET", P "/node_execution/{project}/{domain}/{name}/{node_id}",
	 h_get_node_execution, ADM_READ, NULL, MSG(node_execution)},
	{"GET", P "/task_executions/{project}/{domain}/{name}/{node_id}",
	 h_list_task_executions, ADM_READ, NULL, MSG(task_execution_list)},
	{"GET", P "/task_executions/{project}/{domain}/{name}/{node_id}/{tproject}/{tdomain}/{tname}/{tversion}/{retry}",
	 h_get_task_execution, ADM_READ, NULL, MSG(task_execution)},
	{"GET", P "/data/node_executions/{project}/{domain}/{name}/{node_id}",
	 h_node_execution_data, ADM_READ, NULL, MSG(node_execution_get_data_response)},
	{"GET",
	 P "/data/task_executions/{project}/{domain}/{name}/{node_id}/{tproject}/{tdomain}/{tname}/{tversion}/{retry}",
	 h_task_execution_data, ADM_READ, NULL, MSG(task_execution_get_data_response)},

	{"GET", P "/named_entities/{resource_type}/{project}/{domain}",
	 h_list_named_entities, ADM_READ, NULL, MSG(named_entity_list)},
	{"GET", P "/named_entities/{resource_type}/{project}/{domain}/{name}",
	 h_get_named_entity, ADM_READ, NULL, MSG(named_entity)},
	{"PUT", P "/named_entities/{resource_type}/{project}/{domain}/{name}",
	 h_update_named_entity, ADM_WRITE, MSG(named_entity_update_request), MSG(named_entity_update_response)},
	{"GET", P "/description_entities/{resource_type}/{project}/{domain}",
	 h_list_description_entities, ADM_READ, NULL, MSG(description_entity_list)},
	{"GET", P "/description_entities/{resource_type}/{project}/{domain}/{name}",
	 h_list_description_entities, ADM_READ, NULL, MSG(description_entity_list)},
	{"GET", P "/description_entities/{resource_type}/{project}/{domain}/{name}/{version}",
	 h_get_description_entity, ADM_READ, NULL, MSG(description_entity)},

	{"GET", "/me", h_me, ADM_OPEN, NULL, NULL},
	{"GET", "/config/v1/flyte_client", h_flyte_client_config, ADM_OPEN, NULL, NULL},
	{"GET", "/.well-known/oauth-authorization-server", h_oauth_metadata, ADM_OPEN, NULL, NULL},

	{"POST", P "/events/workflows", h_event_workflow, ADM_WRITE, NULL, NULL},
	{"POST", P "/events/nodes", h_event_node, ADM_WRITE, NULL, NULL},
	{"POST", P "/events/tasks", h_event_task, ADM_WRITE, NULL, NULL},
	{"GET", P "/events/{project}/{domain}/{name}", h_event_history, ADM_READ, NULL, NULL},
	/* the log of a node's attempt as text (admin-lite/logs.h) */
	{"GET", P "/logs/{project}/{domain}/{name}/{node_id}", adm_reply_logs, ADM_READ, NULL, NULL},

	{"GET", P "/schedules", adm_reply_schedules, ADM_READ, NULL, NULL},
	{"POST", P "/schedules/{project}/{domain}/{name}/pause", h_schedule_pause, ADM_WRITE, NULL, NULL},
	{"POST", P "/schedules/{project}/{domain}/{name}/unpause", h_schedule_unpause, ADM_WRITE, NULL, NULL},
	{"POST", P "/schedules/{project}/{domain}/{name}/backfill", h_schedule_backfill, ADM_WRITE, NULL, NULL},
	{"GET", P "/signals/{project}/{domain}/{name}", h_list_signals, ADM_READ, NULL, MSG(signal_list)},
	{"POST", P "/signals", h_set_signal, ADM_WRITE, MSG(signal_set_request), MSG(signal_set_response)},

	/* signed URLs of the gRPC door's DataProxyService: the signature is the credential */
	{"PUT", P "/dataproxy/files/{project}/{domain}/{digest}/{filename}", h_dataproxy_put, ADM_OPEN, NULL, NULL},
	{"GET", P "/dataproxy/files/{project}/{domain}/{digest}/{filename}", h_dataproxy_get, ADM_OPEN, NULL, NULL},

	{"GET", P "/repository/status", h_repository_status, ADM_READ, NULL, NULL},
	/* the web console's static files (console.c): open, since the page asks for the token itself */
	{"GET", "/console", adm_console_get, ADM_OPEN, NULL, NULL},
	{"GET", "/console/{file}", adm_console_get, ADM_OPEN, NULL, NULL},
	{"GET", P "/repository/file", h_repository_file, ADM_READ, NULL, NULL},

	/* watch streams (server-sent events, stream.c): text/event-stream answers, whatever Accept says */
	{"GET", P "/watch/executions/{project}/{domain}", adm_watch_project, ADM_READ, NULL, NULL},
	{"GET", P "/watch/executions/{project}/{domain}/{name}", adm_watch_execution, ADM_READ, NULL, NULL},
	{"POST", P "/repository/register", h_repository_register, ADM_WRITE, NULL, NULL},
};
#undef MSG
#undef P
const size_t adm_nroutes = FC_ARRAY_LEN(adm_routes);
