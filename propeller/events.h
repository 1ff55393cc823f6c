/*
 * events.h: how the propeller reports progress. Every phase change of a workflow execution, a node execution or a
 * task attempt becomes a `flyteidl.event` message (WorkflowExecutionEvent, NodeExecutionEvent,
 * TaskExecutionEvent). Events are written to the state store in the same transaction as the state change they
 * describe, then handed to a sink in order, one execution at a time; an event is deleted from the store only once
 * the sink accepted it. So a sink sees every event at least once, in order per execution, across crashes: it
 * deduplicates by (execution, seq), which grows by one per event of an execution.
 */
#ifndef PROP_EVENTS_H
#define PROP_EVENTS_H

#include "core/fc.h"

#include "flyteidl/event/event.pb-c.h"

#include <stdio.h>

struct fc_err;

enum prop_event_kind { PROP_EVENT_WORKFLOW = 1, PROP_EVENT_NODE = 2, PROP_EVENT_TASK = 3 };

struct prop_event {
	enum prop_event_kind kind;
	const char *exec_key; /* "<project>-<domain>-<name>" */
	uint64_t seq;         /* 1, 2, 3... per execution */
	const void *data;     /* the packed flyteidl.event message */
	size_t len;
	/* The same message unpacked (Flyteidl__Event__WorkflowExecutionEvent, ...NodeExecutionEvent or
	 * ...TaskExecutionEvent by `kind`). */
	const ProtobufCMessage *msg;
};

struct prop_event_sink {
	/* Accept one event. Return 0 once it is safely recorded; FC_EUNAVAILABLE (or any error) to have it sent
	 * again later (the engine retries with backoff and sends nothing newer for that execution meanwhile). */
	int (*send)(struct prop_event_sink *sink, const struct prop_event *ev, struct fc_err *err);
	void (*free)(struct prop_event_sink *sink); /* may be NULL */
};

/* A sink that prints one line per interesting event for people (`flytec run`), to `out`. `verbose`: task events
 * and queued phases too. */
struct prop_event_sink *prop_print_sink_new(FILE *out, bool verbose);
/* A sink that records every event in memory (tests). */
struct prop_memory_sink {
	struct prop_event_sink base;
	struct prop_event *events; /* data copied; msg NULL */
	size_t n, alloc;
	unsigned fail_next;        /* refuse the next N events with FC_EUNAVAILABLE */
};
struct prop_memory_sink *prop_memory_sink_new(void);
void prop_event_sink_free(struct prop_event_sink *sink);

const char *prop_wf_phase_name(int phase);   /* Flyteidl__Core__WorkflowExecution__Phase */
const char *prop_node_phase_name(int phase); /* Flyteidl__Core__NodeExecution__Phase */
const char *prop_task_phase_name(int phase); /* Flyteidl__Core__TaskExecution__Phase */

#endif
