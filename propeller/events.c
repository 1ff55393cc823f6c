/* events.c: event sinks (printing for `flytec run`, in-memory for tests) and phase names. */
#include "propeller/events.h"

#include "core/err.h"

#include <stdlib.h>
#include <string.h>

const char *prop_wf_phase_name(int phase)
{
	static const char *const names[] = {"UNDEFINED", "QUEUED", "RUNNING", "SUCCEEDING", "SUCCEEDED",
					    "FAILING", "FAILED", "ABORTED", "TIMED_OUT", "ABORTING"};

	return phase >= 0 && (size_t)phase < FC_ARRAY_LEN(names) ? names[phase] : "?";
}

const char *prop_node_phase_name(int phase)
{
	static const char *const names[] = {"UNDEFINED", "QUEUED", "RUNNING",  "SUCCEEDED", "FAILING",
					    "FAILED",    "ABORTED", "SKIPPED", "TIMED_OUT", "DYNAMIC_RUNNING",
					    "RECOVERED"};

	return phase >= 0 && (size_t)phase < FC_ARRAY_LEN(names) ? names[phase] : "?";
}

const char *prop_task_phase_name(int phase)
{
	static const char *const names[] = {"UNDEFINED", "QUEUED", "RUNNING", "SUCCEEDED", "ABORTED",
					    "FAILED", "INITIALIZING", "WAITING_FOR_RESOURCES", "RETRYABLE_FAILED"};

	return phase >= 0 && (size_t)phase < FC_ARRAY_LEN(names) ? names[phase] : "?";
}

void prop_event_sink_free(struct prop_event_sink *sink)
{
	if (sink && sink->free)
		sink->free(sink);
}

/* --- printing -------------------------------------------------------------------------------------------- */

struct print_sink {
	struct prop_event_sink base;
	FILE *out;
	bool verbose;
};

static int print_send(struct prop_event_sink *sink, const struct prop_event *ev, struct fc_err *err)
{
	struct print_sink *ps = (struct print_sink *)sink;

	(void)err;
	switch (ev->kind) {
	case PROP_EVENT_WORKFLOW: {
		const Flyteidl__Event__WorkflowExecutionEvent *w = (const void *)ev->msg;

		fprintf(ps->out, "[%s] workflow %s", ev->exec_key, prop_wf_phase_name(w->phase));
		if (w->output_result_case == FLYTEIDL__EVENT__WORKFLOW_EXECUTION_EVENT__OUTPUT_RESULT_ERROR)
			fprintf(ps->out, ": %s: %s", w->error->code, w->error->message);
		fputc('\n', ps->out);
		break;
	}
	case PROP_EVENT_NODE: {
		const Flyteidl__Event__NodeExecutionEvent *n = (const void *)ev->msg;

		if (!ps->verbose && n->phase == FLYTEIDL__CORE__NODE_EXECUTION__PHASE__QUEUED)
			break;
		fprintf(ps->out, "[%s] node %s %s", ev->exec_key, n->id ? n->id->node_id : "?",
			prop_node_phase_name(n->phase));
		if (n->target_metadata_case == FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__TARGET_METADATA_TASK_NODE_METADATA &&
		    n->task_node_metadata->cache_status == FLYTEIDL__CORE__CATALOG_CACHE_STATUS__CACHE_HIT)
			fputs(" (cache hit)", ps->out);
		if (n->output_result_case == FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__OUTPUT_RESULT_ERROR)
			fprintf(ps->out, ": %s: %s", n->error->code, n->error->message);
		fputc('\n', ps->out);
		break;
	}
	case PROP_EVENT_TASK: {
		const Flyteidl__Event__TaskExecutionEvent *t = (const void *)ev->msg;

		if (!ps->verbose && t->phase != FLYTEIDL__CORE__TASK_EXECUTION__PHASE__RETRYABLE_FAILED)
			break;
		fprintf(ps->out, "[%s] task %s attempt %u %s",
			ev->exec_key, t->parent_node_execution_id ? t->parent_node_execution_id->node_id : "?",
			t->retry_attempt, prop_task_phase_name(t->phase));
		if (t->output_result_case == FLYTEIDL__EVENT__TASK_EXECUTION_EVENT__OUTPUT_RESULT_ERROR)
			fprintf(ps->out, ": %s: %s", t->error->code, t->error->message);
		fputc('\n', ps->out);
		break;
	}
	}
	fflush(ps->out);
	return FC_OK;
}

static void print_free(struct prop_event_sink *sink)
{
	free(sink);
}

struct prop_event_sink *prop_print_sink_new(FILE *out, bool verbose)
{
	struct print_sink *ps = fc_xcalloc(1, sizeof(*ps));

	ps->base.send = print_send;
	ps->base.free = print_free;
	ps->out = out;
	ps->verbose = verbose;
	return &ps->base;
}

/* --- memory ---------------------------------------------------------------------------------------------- */

static int memory_send(struct prop_event_sink *sink, const struct prop_event *ev, struct fc_err *err)
{
	struct prop_memory_sink *ms = (struct prop_memory_sink *)sink;
	struct prop_event *copy;

	if (ms->fail_next) {
		ms->fail_next--;
		return fc_err_set(err, FC_EUNAVAILABLE, "memory sink: refusing on purpose");
	}
	FC_ALLOC_GROW(ms->events, ms->n + 1, ms->alloc);
	copy = &ms->events[ms->n++];
	*copy = *ev;
	copy->exec_key = fc_xstrdup(ev->exec_key);
	copy->data = ev->len ? memcpy(fc_xmalloc(ev->len), ev->data, ev->len) : NULL;
	copy->msg = NULL;
	return FC_OK;
}

static void memory_free(struct prop_event_sink *sink)
{
	struct prop_memory_sink *ms = (struct prop_memory_sink *)sink;
	size_t i;

	for (i = 0; i < ms->n; i++) {
		free((void *)ms->events[i].exec_key);
		free((void *)ms->events[i].data);
	}
	free(ms->events);
	free(ms);
}

struct prop_memory_sink *prop_memory_sink_new(void)
{
	struct prop_memory_sink *ms = fc_xcalloc(1, sizeof(*ms));

	ms->base.send = memory_send;
	ms->base.free = memory_free;
	return ms;
}
