/*
 * state_k8s.h: a state backend (propeller/backend.h) whose node states live in FlyteWorkflow statuses, in Flyte's
 * shape (flytepropeller's v1alpha1 WorkflowStatus / NodeStatus), instead of sqlite. docs/kubernetes.md, "State and
 * crash safety", has the encoding and what stays outside the status.
 *
 * The backend holds one record per execution: what the resource's spec gives (closure, inputs, config: handed in by
 * exec_insert() or prop_k8s_state_load()), the engine's execution fields and node rows, and the events not yet
 * acknowledged. Changes between begin() and commit() are buffered; commit() hands the status of every execution
 * the round changed to the `write` callback (the operator's one status PUT per workflow per round) and, before
 * that, the outbox of every execution whose events changed to `save_outbox` (optional). rollback() restores the
 * records as they were at begin().
 *
 * Status encoding (round-trips every prop_node_row field):
 *   status.phase          Flyte's WorkflowPhase;  status.message  the execution's error
 *   status.nodeStatus     node id -> NodeStatus; a node whose uid is "<parent uid>-0-<id>" (subworkflow, branch
 *                         and array children) sits in its parent's subNodeStatus under <id>
 *   NodeStatus            phase (Flyte's NodePhase), attempts, systemFailures, message, startedAt, laStartedAt
 *                         (RFC 3339 with nanoseconds), cached, error {code, message, kind},
 *                         TaskNodeStatus {phase, pState (base64 of the plugin state bytes), psv}
 *   status.flytec / NodeStatus.flytec   what Flyte's shape has no field for: the engine's exact phases, event
 *                         sequence, abort reason, execution config, user failures, per-kind aux value, cache status
 */
#ifndef PROP_STATE_K8S_H
#define PROP_STATE_K8S_H

#include "propeller/backend.h"

#include <jansson.h>

struct fc_err;
struct prop_k8s_state;

/* Layout version of the engine's plugin state bytes, written as TaskNodeStatus.psv. */
#define PROP_K8S_PSV 1

struct prop_k8s_event {
	uint64_t seq;
	int kind;
	void *payload;
	size_t len;
};

struct prop_k8s_state_hooks {
	/* The one status write of the round for `exec_key`; `status` is borrowed. Non-zero: commit fails. */
	int (*write)(void *data, const char *exec_key, const json_t *status, struct fc_err *err);
	/* Persist the whole outbox of `exec_key` (NULL: kept in memory only). Called before write(). */
	int (*save_outbox)(void *data, const char *exec_key, const struct prop_k8s_event *events, size_t n,
			   struct fc_err *err);
	void *data;
};

void prop_k8s_state_new(const struct prop_k8s_state_hooks *hooks, struct prop_k8s_state **out);
void prop_k8s_state_free(struct prop_k8s_state *s);
void prop_k8s_state_backend(struct prop_k8s_state *s, struct prop_state_backend *out);

/*
 * Adopt an execution from its resource (a restart): `row` gives key, names, closure, inputs, config and created_ns
 * (copied); `status` (borrowed, may be NULL) the rest. A status written by this backend restores phase, event
 * sequence and every node row; a status without our fields (fresh resource) leaves the row's phase. Bad shapes give
 * FC_EINVAL with the JSON path. FC_EEXIST when the key is already held.
 */
int prop_k8s_state_load(struct prop_k8s_state *s, const struct prop_exec_row *row, const json_t *status,
			struct fc_err *err);
/* Add one event to a loaded execution's outbox (restored from where save_outbox put it). An event numbered past
 * the loaded status's eventSeq is dropped: its round's status write never landed, so it was never sent. */
int prop_k8s_state_load_event(struct prop_k8s_state *s, const char *exec_key, uint64_t seq, int kind,
			      const void *payload, size_t len, struct fc_err *err);
/* Forget an execution (its resource is gone and nothing is left to send); later updates of it are ignored. */
void prop_k8s_state_drop(struct prop_k8s_state *s, const char *exec_key);

/* The status as the backend would write it now (new reference), or NULL for an unknown key. */
json_t *prop_k8s_state_status(struct prop_k8s_state *s, const char *exec_key);

/* The codec on its own: one node row as a Flyte NodeStatus (new reference; no subNodeStatus) and back. */
json_t *prop_k8s_node_encode(const struct prop_node_row *row);
/* Every node of `status.nodeStatus` (nested included), depth first, parents before children. */
int prop_k8s_nodes_decode(const json_t *status, void (*cb)(void *data, const struct prop_node_row *row), void *data,
			  struct fc_err *err);

#endif
