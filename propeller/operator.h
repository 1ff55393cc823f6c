/*
 * operator.h: the propeller as a Kubernetes operator over FlyteWorkflow custom resources (`flytec propeller`).
 *
 * One process, one loop (poll over the work queue's eventfd and the engine's fd):
 *   - an informer lists and watches FlyteWorkflows (one namespace or all) into a store and a work queue (dedup,
 *     periodic resync); another watches the task pods by label (app.kubernetes.io/managed-by=flytec), read by the
 *     pod runtime (plugins/k8s_runtime.h) from its store: no GET per node per round;
 *   - with a lease name, leader election over a coordination.k8s.io/v1 Lease: only the leader opens the engine and
 *     handles keys; a leader that loses the lease stops (prop_operator_step returns FC_EUNAVAILABLE, the command
 *     exits and its Deployment restarts it as a follower), so two replicas never drive one workflow;
 *   - a key's resource is read and validated (compiler/flyteworkflow_read.h); an invalid one is marked Failed in
 *     its status with the reader's message and left alone; a valid one gets the finalizer, then is submitted to the
 *     shared engine (propeller/engine.h), whose container tasks run as pods on the shared data volume;
 *   - statuses: the engine's node states are written into the resource's status in Flyte's shape (phase,
 *     nodeStatus keyed by node id with phase, attempts, message, dataDir/outputDir, taskNodeStatus), only when they
 *     changed, at most one write per workflow per round, a PUT of the status subresource carrying the
 *     resourceVersion read (on 409 the object is read again and the status applied to it again);
 *   - events (workflow, node, task) are POSTed to the admin (the resource's flytec.io/admin-url annotation, else
 *     opts.admin_url) in order per execution; the engine keeps them in its outbox until accepted, so a restart
 *     re-sends what was not acknowledged and the admin's rules make a resend a no-op;
 *   - deleting a resource aborts its execution: the engine aborts its nodes (the pod runtime deletes their pods),
 *     then the finalizer is removed and the API server deletes the object.
 *
 * State: the engine keeps its state (sqlite, WAL) in the data directory, which is on the volume shared with the
 * pods; killing the operator at any point and starting it again resumes every execution from there (see
 * docs/propeller.md "Crash safety"; pods are found again by their deterministic names), and the resource status is
 * rewritten from it.
 *
 * Ownership: options are borrowed for the operator's lifetime (the client too).
 */
#ifndef PROP_OPERATOR_H
#define PROP_OPERATOR_H

#include "core/fc.h"
#include "plugins/k8s_pod.h"

#include <signal.h>

struct fc_err;
struct kube_client;
struct prop_operator;

struct prop_operator_opts {
	struct kube_client *client;
	const char *k8s_namespace; /* NULL or "": all namespaces */
	const char *data_dir;      /* the shared data volume as this process sees it (engine state + data) */
	const char *pod_data_dir;  /* the same volume inside task pods (NULL: data_dir) */
	struct plg_k8s_pod_config pod; /* pod defaults; data_host_path / data_pvc say how pods mount the volume */
	/* Leader election (NULL lease_name: none, a single replica). */
	const char *lease_name;
	const char *lease_namespace; /* NULL: the client's namespace */
	const char *identity;        /* NULL: host name + pid */
	long lease_duration_ms, renew_deadline_ms, retry_period_ms; /* 0: 15 s, 10 s, 2 s */
	long resync_ms;        /* periodic resync of every FlyteWorkflow (0: 30 s) */
	long status_period_ms; /* how often running workflows' statuses are compared and written (0: 250 ms) */
	unsigned max_parallelism; /* per execution when the resource says 0 (0: the engine's 25) */
	const char *admin_url;    /* events go here unless the resource's flytec.io/admin-url says otherwise; NULL:
				   * events of resources without the annotation are dropped */
	const char *admin_token;  /* sent as "Authorization: Bearer" with every event (an admin run with --token-file
				   * refuses events without it); NULL: none. Borrowed. */
	/* Where the engine's state lives: "status" (the FlyteWorkflow status itself, propeller/state_k8s.c; the volume
	 * keeps only data and each execution's unsent events; `flytec propeller`'s default) or "volume" (NULL here:
	 * sqlite at <data_dir>/propeller.db, the status written from it). docs/kubernetes.md, "State and crash
	 * safety". */
	const char *state;
	/* --state status: the largest FlyteWorkflow (compact JSON, spec and status) the operator writes (0:
	 * FC_K8S_OBJECT_MAX_BYTES); a running workflow whose status would pass it is failed with a message. */
	size_t max_object_bytes;
};

struct prop_operator_stats {
	bool leader;
	uint64_t reconciles;     /* keys handled */
	uint64_t submitted;      /* executions handed to the engine */
	uint64_t invalid;        /* resources marked Failed as invalid */
	uint64_t status_writes;  /* successful status writes (PUT or merge patch) */
	uint64_t status_patches; /* of those, merge patches (only what changed since the acknowledged base) */
	uint64_t status_bytes;   /* bytes of status write bodies sent (compact JSON), retries by the client not counted */
	uint64_t conflicts;      /* 409 answers to status or finalizer writes (then re-read and re-applied) */
	uint64_t finalizers_added, finalizers_removed;
	uint64_t aborted;        /* executions aborted because their resource was deleted */
	uint64_t echoes;         /* watch events that were only the echo of our own write (skipped) */
	uint64_t records;        /* workflows held in memory now (running, or finished with events unsent) */
	uint64_t records_freed;  /* records freed after their workflow ended */
};

int prop_operator_new(const struct prop_operator_opts *opts, struct prop_operator **out, struct fc_err *err);
void prop_operator_free(struct prop_operator *op);
/* One round: election tick when due, keys ready in the queue, an engine step, status writes; waits up to
 * `timeout_ms` for something to do. FC_EUNAVAILABLE when leadership was lost (stop the process). */
int prop_operator_step(struct prop_operator *op, int timeout_ms, struct fc_err *err);
/* Step until *stop becomes non-zero (SIGTERM) or leadership is lost; then give the lease up. */
int prop_operator_run(struct prop_operator *op, const volatile sig_atomic_t *stop, struct fc_err *err);
void prop_operator_stats(struct prop_operator *op, struct prop_operator_stats *out);

#endif
