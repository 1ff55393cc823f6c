/*
 * logs.h: GET /api/v1/logs/{project}/{domain}/{name}/{node_id}: the log of one attempt of one node, as text, in
 * pieces by byte offset, with a long poll for followers (the contract is in docs/api.md, "Logs").
 *
 * Where the bytes come from is what the attempt's last task event says (its `logs`): a file path (the local
 * executor's stdout.log and stderr.log in the attempt's sandbox) read only when it lies under `local_root`, or a
 * pod log path "/api/v1/namespaces/NS/pods/POD/log" (the operator's pods) read through the Kubernetes pod log API.
 * A log the admin is not configured for (no root, no cluster) is answered as empty.
 *
 * Followers: a request with follow=1 that finds no bytes while the attempt runs is parked (park.h: no server thread
 * waits) and looked at again when its execution changes (a task event wakes it at once) or ADM_LOGS_RECHECK_MS
 * pass (a log file grows without events), until bytes come, the attempt ends or ADM_LOGS_FOLLOW_MS pass
 * (core/limits.h). At most ADM_LOGS_MAX_WAITERS are parked at once; more answer at once.
 *
 * Ownership: `local_root` is copied; `kube` is borrowed and must outlive the adm_logs.
 */
#ifndef ADM_LOGS_H
#define ADM_LOGS_H

#include "core/fc.h"

struct adm_logs;
struct adm_req;
struct fc_err;
struct kube_client;

/* `local_root` NULL: local log files are never read. */
int adm_logs_new(const char *local_root, struct kube_client *kube, struct adm_logs **out, struct fc_err *err);
/* Free, after the daemon has stopped. NULL does nothing. */
void adm_logs_free(struct adm_logs *l);

/* The route's handler. */
void adm_reply_logs(struct adm_req *r);

#endif
