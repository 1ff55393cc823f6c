/* emit.c: building flyteidl.event messages for phase changes and queueing them in the execution's outbox. */
#include "propeller/engine_int.h"

#include "propeller/events.h"
#include "compiler/lit.h"
#include "propeller/store.h"

#include <stdlib.h>
#include <string.h>

static void timestamp_now(Google__Protobuf__Timestamp *ts)
{
	int64_t now = prop_now_ns();

	google__protobuf__timestamp__init(ts);
	ts->seconds = now / 1000000000;
	ts->nanos = (int32_t)(now % 1000000000);
}

void prop_exec_add_event(struct prop_exec *ex, int kind, const ProtobufCMessage *msg)
{
	struct prop_pending_event *ev;
	struct fc_buf b = FC_BUF_INIT;

	if (ex->e->cfg.no_events)
		return;
	cmp_pb_pack(msg, &b);
	FC_ALLOC_GROW(ex->events, ex->nevents + 1, ex->events_alloc);
	ev = &ex->events[ex->nevents++];
	ev->seq = ++ex->event_seq;
	ev->kind = kind;
	ev->data = fc_buf_detach(&b, &ev->len);
	ev->persisted = false;
	ex->e->stats.events++;
	prop_exec_dirty(ex);
}

static void exec_id(struct prop_exec *ex, Flyteidl__Core__WorkflowExecutionIdentifier *id)
{
	flyteidl__core__workflow_execution_identifier__init(id);
	id->project = ex->project;
	id->domain = ex->domain;
	id->name = ex->name;
}

void prop_emit_workflow(struct prop_exec *ex, int phase, const char *error_code, const char *error_msg)
{
	Flyteidl__Event__WorkflowExecutionEvent ev = FLYTEIDL__EVENT__WORKFLOW_EXECUTION_EVENT__INIT;
	Flyteidl__Core__WorkflowExecutionIdentifier id;
	Google__Protobuf__Timestamp ts;
	Flyteidl__Core__ExecutionError error = FLYTEIDL__CORE__EXECUTION_ERROR__INIT;
	struct fc_buf uri = FC_BUF_INIT;

	if (ex->e->cfg.no_events)
		return;
	exec_id(ex, &id);
	timestamp_now(&ts);
	ev.execution_id = &id;
	ev.producer_id = ex->e->producer;
	ev.phase = phase;
	ev.occurred_at = &ts;
	if (error_code) {
		error.code = (char *)error_code;
		error.message = (char *)(error_msg ? error_msg : "");
		error.kind = FLYTEIDL__CORE__EXECUTION_ERROR__ERROR_KIND__USER;
		ev.output_result_case = FLYTEIDL__EVENT__WORKFLOW_EXECUTION_EVENT__OUTPUT_RESULT_ERROR;
		ev.error = &error;
	} else if (phase == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDED) {
		ex->e->store->ops->uri(ex->e->store, ex->key, &uri);
		fc_buf_adds(&uri, "/end-node/data/0/outputs.pb");
		ev.output_result_case = FLYTEIDL__EVENT__WORKFLOW_EXECUTION_EVENT__OUTPUT_RESULT_OUTPUT_URI;
		ev.output_uri = uri.buf;
	}
	prop_exec_add_event(ex, PROP_EVENT_WORKFLOW, &ev.base);
	fc_buf_release(&uri);
}

static Flyteidl__Core__ExecutionError__ErrorKind error_kind(int kind)
{
	return kind == PLG_ERROR_SYSTEM ? FLYTEIDL__CORE__EXECUTION_ERROR__ERROR_KIND__SYSTEM
					: FLYTEIDL__CORE__EXECUTION_ERROR__ERROR_KIND__USER;
}

void prop_emit_node(struct prop_node *n, int event_phase)
{
	struct prop_exec *ex = n->wf->ex;
	Flyteidl__Event__NodeExecutionEvent ev = FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__INIT;
	Flyteidl__Core__NodeExecutionIdentifier nid = FLYTEIDL__CORE__NODE_EXECUTION_IDENTIFIER__INIT;
	Flyteidl__Core__WorkflowExecutionIdentifier id;
	Google__Protobuf__Timestamp ts;
	Flyteidl__Core__ExecutionError error = FLYTEIDL__CORE__EXECUTION_ERROR__INIT;
	Flyteidl__Event__TaskNodeMetadata tmd = FLYTEIDL__EVENT__TASK_NODE_METADATA__INIT;
	Flyteidl__Event__ParentNodeExecutionMetadata parent = FLYTEIDL__EVENT__PARENT_NODE_EXECUTION_METADATA__INIT;
	struct fc_buf in_uri = FC_BUF_INIT, out_uri = FC_BUF_INIT;
	const Flyteidl__Core__Node *spec;

	if (ex->e->cfg.no_events)
		return;
	spec = prop_node_spec(n);
	exec_id(ex, &id);
	timestamp_now(&ts);
	nid.node_id = n->uid;
	nid.execution_id = &id;
	ev.id = &nid;
	ev.producer_id = ex->e->producer;
	ev.phase = event_phase;
	ev.occurred_at = &ts;
	ev.reported_at = &ts;
	ev.spec_node_id = spec->id;
	ev.node_name = spec->metadata && *spec->metadata->name ? spec->metadata->name : spec->id;
	ev.event_version = 1;
	ev.is_parent = n->kind == NK_SUBWORKFLOW || n->kind == NK_BRANCH || n->kind == NK_ARRAY;
	ev.is_array = n->kind == NK_ARRAY;
	if (n->inputs && n->inputs->n_literals) {
		ex->e->store->ops->uri(ex->e->store, ex->key, &in_uri);
		fc_buf_addf(&in_uri, "/%s/data/inputs.pb", n->uid);
		ev.input_value_case = FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__INPUT_VALUE_INPUT_URI;
		ev.input_uri = in_uri.buf;
	}
	if (n->parent) {
		parent.node_id = n->parent->uid;
		ev.parent_node_metadata = &parent;
	} else if (n->wf->owner) {
		parent.node_id = n->wf->owner->uid;
		ev.parent_node_metadata = &parent;
	}
	if (n->task) {
		ev.target_entity = n->task->id;
		tmd.cache_status = n->cache_status;
		ev.target_metadata_case = FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__TARGET_METADATA_TASK_NODE_METADATA;
		ev.task_node_metadata = &tmd;
	}
	if (event_phase == FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED ||
	    event_phase == FLYTEIDL__CORE__NODE_EXECUTION__PHASE__TIMED_OUT ||
	    event_phase == FLYTEIDL__CORE__NODE_EXECUTION__PHASE__ABORTED) {
		error.code = n->error_code ? n->error_code : (char *)"Failed";
		error.message = n->error_msg ? n->error_msg : (char *)"";
		error.kind = error_kind(n->error_kind);
		ev.output_result_case = FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__OUTPUT_RESULT_ERROR;
		ev.error = &error;
	} else if (event_phase == FLYTEIDL__CORE__NODE_EXECUTION__PHASE__SUCCEEDED && n->outputs &&
		   n->outputs->n_literals) {
		ex->e->store->ops->uri(ex->e->store, ex->key, &out_uri);
		fc_buf_addf(&out_uri, "/%s/data/%u/outputs.pb", n->uid, n->attempts ? n->attempts - 1 : 0);
		ev.output_result_case = FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__OUTPUT_RESULT_OUTPUT_URI;
		ev.output_uri = out_uri.buf;
	}
	prop_exec_add_event(ex, PROP_EVENT_NODE, &ev.base);
	fc_buf_release(&in_uri);
	fc_buf_release(&out_uri);
}

void prop_emit_task(struct prop_node *n, const struct plg_transition *t, int task_phase)
{
	struct prop_exec *ex = n->wf->ex;
	Flyteidl__Event__TaskExecutionEvent ev = FLYTEIDL__EVENT__TASK_EXECUTION_EVENT__INIT;
	Flyteidl__Core__NodeExecutionIdentifier nid = FLYTEIDL__CORE__NODE_EXECUTION_IDENTIFIER__INIT;
	Flyteidl__Core__WorkflowExecutionIdentifier id;
	Google__Protobuf__Timestamp ts;
	Flyteidl__Core__ExecutionError error = FLYTEIDL__CORE__EXECUTION_ERROR__INIT;
	Flyteidl__Core__TaskLog logs[PLG_MAX_LOGS];
	Flyteidl__Core__TaskLog *log_ptrs[PLG_MAX_LOGS];
	Flyteidl__Event__TaskExecutionMetadata md = FLYTEIDL__EVENT__TASK_EXECUTION_METADATA__INIT;
	struct fc_buf gen = FC_BUF_INIT;
	unsigned i;

	if (ex->e->cfg.no_events)
		return;
	exec_id(ex, &id);
	timestamp_now(&ts);
	nid.node_id = n->uid;
	nid.execution_id = &id;
	ev.task_id = n->task ? n->task->id : NULL;
	ev.parent_node_execution_id = &nid;
	ev.retry_attempt = n->attempts ? n->attempts - 1 : 0;
	ev.phase = task_phase;
	ev.producer_id = ex->e->producer;
	ev.occurred_at = &ts;
	ev.reported_at = &ts;
	ev.phase_version = t->version;
	ev.task_type = n->task ? n->task->type : (char *)"";
	ev.event_version = 1;
	fc_buf_addf(&gen, "%s-%s-%u", ex->name, n->uid, ev.retry_attempt);
	md.generated_name = gen.buf;
	md.plugin_identifier = (char *)(n->plugin ? n->plugin->name : "");
	md.instance_class = ex->cfg.interruptible ? FLYTEIDL__EVENT__TASK_EXECUTION_METADATA__INSTANCE_CLASS__INTERRUPTIBLE
						  : FLYTEIDL__EVENT__TASK_EXECUTION_METADATA__INSTANCE_CLASS__DEFAULT;
	ev.metadata = &md;
	for (i = 0; i < t->nlogs && i < PLG_MAX_LOGS; i++) {
		flyteidl__core__task_log__init(&logs[i]);
		logs[i].name = (char *)t->logs[i].name;
		logs[i].uri = (char *)t->logs[i].uri;
		log_ptrs[i] = &logs[i];
	}
	ev.n_logs = i;
	ev.logs = log_ptrs;
	if (t->error_code || t->error_message) {
		error.code = (char *)(t->error_code ? t->error_code : "Failed");
		error.message = (char *)(t->error_message ? t->error_message : "");
		error.kind = error_kind(t->error_kind);
		ev.output_result_case = FLYTEIDL__EVENT__TASK_EXECUTION_EVENT__OUTPUT_RESULT_ERROR;
		ev.error = &error;
	}
	prop_exec_add_event(ex, PROP_EVENT_TASK, &ev.base);
	fc_buf_release(&gen);
}
