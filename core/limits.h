/*
 * limits.h: the project's limits, each with its value and the reason for it, in one place (sqlite's sqliteLimit.h
 * is the model). Exceeding a limit is an ordinary error with a clear message, never a crash. One section per
 * component; a limit lives here, not as a literal where it is used.
 */
#ifndef FC_LIMITS_H
#define FC_LIMITS_H

/* --- compiler/flyteworkflow.c: the FlyteWorkflow custom resource ------------------------------------------- */

/* Largest FlyteWorkflow (compact JSON) created with its spec, tasks and subworkflows inline; past it the static part
 * is offloaded to the data store (workflowClosureReference), as Flyte's admin does. etcd refuses requests over
 * 1.5 MiB by default (--max-request-bytes 1572864) and the API server adds metadata; the operator then writes node
 * statuses into the same object, which grows with every node. 1 MiB leaves a third of etcd's limit for them. */
#define FC_K8S_RESOURCE_MAX_INLINE_BYTES (1024u * 1024)

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

/* ---- admin-lite: the HTTP front door (admin-lite/server.c) -------------------------------------------------- */

/* Seconds a connection has to deliver a whole request head (request line and headers), counted from the accept
 * and again from the end of the previous request on a kept-alive connection. A real client sends its head in one
 * packet; a client that trickles a header line every few seconds ("slowloris") holds a slot for nothing and is
 * cut when the deadline passes, however active it looks. `flytec serve --head-timeout`. */
#define ADM_HEAD_TIMEOUT_S 5

/* Seconds a connection may stay silent once its head has arrived (a body being uploaded, an answer being read).
 * libmicrohttpd's own idle timeout; generous, since the head deadline already stops the cheap attack. */
#define ADM_IDLE_TIMEOUT_S 30

/* Connections the server holds at once (libmicrohttpd's limit; each costs a socket and a small memory pool).
 * `flytec serve --max-conns`. */
#define ADM_MAX_CONNS 1024

/* Of those, slots kept free for newcomers: once fewer remain, each new connection pushes out the connection that
 * has waited longest for its head, so clients that send a request at once always find a slot while slow ones are
 * being cut. */
#define ADM_CONN_RESERVE 64

/* Connections from one client address (IPv4) at once. A CLI command uses one, a browser six, a console a handful;
 * past the limit a new connection from that address pushes out that address's oldest connection still waiting for
 * its head, or is refused when all of them are busy with requests. `flytec serve --max-conns-per-ip` (0: no
 * limit, for a server behind a proxy that all clients share). */
#define ADM_MAX_CONNS_PER_IP 128

/* Bytes of a request URL (path and query). Flyte's longest real URLs (filters on a list) are under 2 KiB. Longer
 * URLs get 414 with a JSON error. */
#define ADM_MAX_URL 8192

/* Bytes of one answer. Lists are paged (at most ADM_LIMIT_MAX items) and a compiled workflow of thousands of
 * nodes renders to a few megabytes; an answer past this is refused with 500 {"code":"limit"} before it is
 * rendered, instead of costing the server several times its size in memory. `flytec serve --max-answer`. */
#define ADM_MAX_ANSWER (32u * 1024 * 1024)

/* Seconds a client is told to wait (Retry-After) when the store cannot write (disk full, I/O errors): long enough
 * not to hammer a failing disk, short enough that work resumes soon after space returns. */
#define ADM_RETRY_AFTER_S 5
/* Origins named with --cors-origin: a console or two per team; each request compares its Origin with every one. */
#define ADM_MAX_CORS_ORIGINS 16
/* How long a browser may cache a CORS preflight answer (seconds). */
#define ADM_CORS_MAX_AGE_S 600
/* Bytes of a named entity's description (PUT /api/v1/named_entities/...): a paragraph for a list page. */
#define ADM_NAMED_DESCRIPTION_MAX 4096
/* Bytes of a local inputs.pb / outputs.pb read for /api/v1/data/...: literal maps of a few values; 16 MiB leaves
 * room for inline blobs and stays under the answer cap. */
#define ADM_DATA_FILE_MAX (16u * 1024 * 1024)

#endif
