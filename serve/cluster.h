/*
 * cluster.h: `flytec serve --cluster KUBECONFIG`: the admin hands its executions to Kubernetes instead of the local
 * executor (docs/kubernetes.md, "Serving with --cluster").
 *
 * One thread claims the admin's queued executions (launches, relaunches, scheduled ones alike), builds each one's
 * FlyteWorkflow with compiler/flyteworkflow.h (Flyte's labels and annotations, the admin's event URL, the inputs
 * carried in the resource) and creates it in the namespace the template names (creating the namespace when
 * missing; AlreadyExists adopts, so a restart is idempotent). The operator (`flytec propeller`) runs it and its
 * events update the execution. Terminating an execution deletes its resource; once the operator's finalizer has let
 * it go, the execution is recorded ABORTED. A create that fails is retried with backoff while the API server is
 * unreachable or answers 5xx (SRV_CLUSTER_CREATE_TRIES rounds), then, as at once for a refusal (403, invalid), the
 * execution is recorded FAILED with the API's message. Nothing is lost: an execution whose outcome the admin could
 * not store goes back to the queue.
 *
 * Ownership: option strings are borrowed for srv_cluster_new() only; `store` must outlive the srv_cluster.
 */
#ifndef SRV_CLUSTER_H
#define SRV_CLUSTER_H

struct adm_store;
struct fc_err;
struct kube_client;
struct srv_cluster;

struct srv_cluster_options {
	const char *kubeconfig;         /* the cluster's kubeconfig (NULL: client-go's default order) */
	const char *namespace_template; /* "{{project}}-{{domain}}" when NULL (Flyte's default) */
	const char *service_account;    /* the resource's service account; NULL: none */
	/* The operator's data volume (its --data-dir) as this process sees it: a resource over the inline limit has its
	 * closure written there (closures/<namespace>/<name>.pb, referenced relative to the volume) instead of failing
	 * its execution. NULL: no offloading. */
	const char *data_dir;
};

/* Load the kubeconfig and make the client (no request is sent yet). */
int srv_cluster_new(struct adm_store *store, const struct srv_cluster_options *o, struct srv_cluster **out,
		    struct fc_err *err);
/* The client, for the logs endpoint's pod logs. */
struct kube_client *srv_cluster_kube(struct srv_cluster *c);
/* Start the thread; events are to reach the admin at `admin_url` ("http://127.0.0.1:8089"). */
int srv_cluster_start(struct srv_cluster *c, const char *admin_url, struct fc_err *err);
/* Something changed in the admin (a launch, a termination): look at the queue now. Any thread; NULL does nothing. */
void srv_cluster_notify(struct srv_cluster *c);
/* Stop the thread and free. Resources already created stay (the operator runs them); NULL does nothing. */
void srv_cluster_free(struct srv_cluster *c);

#endif
