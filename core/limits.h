/*
 * limits.h: the project's configured limits, one section per component, each with its reason.
 * Exceeding one is an ordinary error (FC_ELIMIT), never a crash.
 */
#ifndef FC_LIMITS_H
#define FC_LIMITS_H

/* --- compiler/flyteworkflow.c: the FlyteWorkflow custom resource ------------------------------------------- */

/* Largest FlyteWorkflow (compact JSON) created with its spec, tasks and subworkflows inline; past it the static part
 * is offloaded to the data store (workflowClosureReference), as Flyte's admin does. etcd refuses requests over
 * 1.5 MiB by default (--max-request-bytes 1572864) and the API server adds metadata; the operator then writes node
 * statuses into the same object, which grows with every node. 1 MiB leaves a third of etcd's limit for them. */
#define FC_K8S_RESOURCE_MAX_INLINE_BYTES (1024u * 1024)

/* --- compiler/flyteworkflow_read.c: reading a FlyteWorkflow back (the operator's input) ---------------------- */

/* Branch arms and array sub-nodes nest by reference; a hand-written resource can make a cycle of arms. Flyte's own
 * compiler never nests deeper than a few levels; 64 is far past any real workflow and keeps the C stack small. */
#define FC_K8S_READ_MAX_DEPTH 64
/* Nodes in one workflow spec of a resource: ten times the largest fan-out the benchmarks use (1,000 tasks). */
#define FC_K8S_READ_MAX_NODES 10000u
/* An offloaded closure (workflowClosureReference) read back: 16 times the inline limit. */
#define FC_K8S_READ_MAX_CLOSURE_BYTES ((size_t)16 * 1024 * 1024)

/* --- plugins/k8s_runtime.c and propeller/operator.c: the operator ------------------------------------------ */

/* One text output file a pod writes (sandbox/outputs/<name>): as large as the local plugin reads, 16 MiB; bigger
 * values belong in blobs. */
#define FC_K8S_POD_MAX_OUTPUT_FILE ((size_t)16 * 1024 * 1024)
/* The status the operator writes into one FlyteWorkflow: past this the node statuses are summarised (counts by
 * phase) so the object stays under etcd's request limit next to an inline closure of up to 1 MiB. */
#define FC_K8S_STATUS_MAX_BYTES ((size_t)400 * 1024)

/* --- kube/: the Kubernetes client ------------------------------------------------------------------------ */

/* A kubeconfig, token, CA or certificate file: real ones are a few KiB; 4 MiB refuses a wrong file early. */
#define KUBE_MAX_CONFIG_FILE (4u * 1024 * 1024)
/* One API response body (a LIST page, an object): etcd refuses objects over 1.5 MiB by default, and lists are read
 * in pages (limit=500), so 64 MiB is generous and still bounds memory against a broken server. */
#define KUBE_MAX_RESPONSE (64u * 1024 * 1024)
/* One line (one event) of a watch stream: an event carries one object (<= 1.5 MiB in etcd) plus framing. */
#define KUBE_MAX_WATCH_EVENT (8u * 1024 * 1024)
/* Easy handles kept for reuse (each holds keep-alive connections through the shared connection cache). */
#define KUBE_POOL_MAX 16
/* Retries of one request on 429 / 5xx / connection errors before giving up; the backoff doubles from 100 ms and
 * is capped at 10 s (Retry-After is honoured up to that cap), so one request waits at most about a minute. */
#define KUBE_MAX_RETRIES_CAP 10
#define KUBE_BACKOFF_CAP_MS 10000
/* Keys waiting in one work queue: a queue is per resource kind of one operator; a million keys means a bug. */
#define KUBE_QUEUE_MAX 1000000
/* A pod name may be a DNS-1123 subdomain (253), but task pod names are kept to a DNS-1123 label (63) so that they
 * can double as label values and host names, as Flyte does. */
#define KUBE_POD_NAME_MAX 63

#endif
