/*
 * k8s_runtime.h: the pod runtime of the container plugin: task attempts run as Kubernetes Pods.
 *
 * plg_k8s_runtime_plugin handles the container task types ("container", "raw-container", "python-task") like the
 * local container plugin, with a pod where the local one has a process; the operator routes those types to it.
 * Per attempt, handle():
 *   1. writes the input files (sandbox/inputs/<name>, one per input, as the local plugin does) on the shared data
 *      volume, then creates the Pod built by plg_k8s_pod_build() under its deterministic name; AlreadyExists means
 *      a create from before a restart got through: the pod is adopted, never created twice;
 *   2. maps the Pod, read from the pods informer's store (no GET per attempt per round), with plg_k8s_pod_phase();
 *   3. on success reads the outputs as the local plugin does: outputs.pb under the output prefix wins, else one
 *      text file per output in sandbox/outputs/; error.pb (an ErrorDocument) decides a failure's kind.
 * abort() deletes the pod (idempotent). Logs are reported as the pod log API path.
 *
 * The data volume: the operator sees the data directory at `local_data_dir`, the pods at `pod_data_dir` (the
 * mount path of the PVC or hostPath volume); every path handed to a pod is the local path with that prefix
 * swapped, and a path outside the data directory is an error. Pods get FLYTE_INPUT_DIR, FLYTE_OUTPUT_DIR,
 * FLYTE_OUTPUT_PREFIX, FLYTE_RAW_OUTPUT_PREFIX and FLYTE_SANDBOX as the local plugin's processes do.
 *
 * The runtime is process-wide (a plugin has no context pointer of its own): plg_k8s_runtime_init() configures it,
 * plg_k8s_runtime_shutdown() ends it. Everything in the config is borrowed until shutdown.
 */
#ifndef PLG_K8S_RUNTIME_H
#define PLG_K8S_RUNTIME_H

#include "core/fc.h"
#include "plugins/k8s_pod.h"
#include "plugins/plugin.h"

struct fc_err;
struct kube_client;
struct kube_store;

/* The FlyteWorkflow an execution belongs to (for the pod's namespace and ownerReference). */
struct plg_k8s_owner {
	char k8s_namespace[64];
	char name[254];
	char uid[64];
};
typedef bool (*plg_k8s_owner_fn)(void *ud, const char *project, const char *domain, const char *exec_name,
				 struct plg_k8s_owner *out);

struct plg_k8s_runtime_config {
	struct kube_client *client;
	struct kube_store *pods; /* the pods informer's store (label app.kubernetes.io/managed-by=flytec) */
	const char *local_data_dir;
	const char *pod_data_dir;
	struct plg_k8s_pod_config pod;
	plg_k8s_owner_fn owner;
	void *owner_ud;
	long poll_ms;          /* how often a running attempt looks at the store again (0: 250) */
	long missing_grace_ms; /* a created pod not yet in the store: wait this long before one GET (0: 5000) */
};

struct plg_k8s_runtime_stats {
	uint64_t pods_created; /* 201 answers */
	uint64_t pods_adopted; /* 409 AlreadyExists answers */
	uint64_t pods_deleted;
	uint64_t gets;         /* GETs of pods missing from the store */
};

extern const struct plg_plugin plg_k8s_runtime_plugin; /* name "k8s-pod" */

int plg_k8s_runtime_init(const struct plg_k8s_runtime_config *cfg, struct fc_err *err);
void plg_k8s_runtime_shutdown(void);
void plg_k8s_runtime_stats(struct plg_k8s_runtime_stats *out);

#endif
