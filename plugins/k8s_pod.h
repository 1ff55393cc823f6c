/*
 * k8s_pod.h: container / raw-container tasks as Kubernetes Pods, and Pod status back to a task phase.
 *
 * plg_k8s_pod_build() is pure: from a TaskTemplate, the attempt's identity and a configuration it builds the Pod
 * JSON (image, command/args with Flyte's template variables substituted, env, resources within the platform's
 * defaults and limits, service account, labels/annotations naming execution, node and attempt, an ownerReference,
 * restartPolicy Never, activeDeadlineSeconds from the timeout, interruptible tolerations / node selector, the data
 * volume) under a deterministic DNS-1123 name per attempt, so a retried create that finds AlreadyExists can adopt
 * the pod. plg_k8s_pod_phase() maps a Pod (or its absence) to a plugin phase the way Flyte's pod plugin does; see
 * docs/kubernetes.md "Pods" for the whole table.
 *
 * Everything passed in is borrowed; the returned JSON belongs to the caller.
 */
#ifndef PLG_K8S_POD_H
#define PLG_K8S_POD_H

#include "plugins/plugin.h"

#include <jansson.h>

struct fc_err;
struct fc_buf;

/* Kubernetes quantities as strings ("500m", "1Gi"); NULL: none. */
struct plg_k8s_resources {
	const char *cpu;
	const char *memory;
	const char *gpu; /* nvidia.com/gpu */
	const char *ephemeral_storage;
};

struct plg_k8s_pod_config {
	struct plg_k8s_resources default_requests; /* for what the task does not request (Flyte's default-cpus...) */
	struct plg_k8s_resources max_limits;       /* requests and limits are clamped to these */
	const char *service_account;               /* when the task's security context names none; NULL: none */
	const char *image_pull_policy;             /* NULL: the Kubernetes default */
	/* Interruptible tasks: tolerations (a JSON array) and node selector (a JSON object), both borrowed. */
	const json_t *interruptible_tolerations;
	const json_t *interruptible_node_selector;
	/* The data volume holding inputs and outputs: a PVC or (single node) a host path; mounted at mount_path. */
	const char *data_pvc;
	const char *data_host_path;
	const char *data_mount_path;
	/* Status mapping. */
	int64_t image_pull_grace_ms;       /* 0: 3 minutes (Flyte's ImagePullBackoffGracePeriod) */
	int64_t unschedulable_timeout_ms;  /* 0: wait as long as it takes */
};

/* What the pod runs for: one attempt of one node of one execution. */
struct plg_k8s_pod_task {
	const char *namespace;
	const char *project, *domain, *exec_name;
	const char *node_id;
	uint32_t attempt;
	bool interruptible;
	int64_t timeout_ns; /* 0: the template's metadata.timeout, if any */
	/* Paths as the pod sees them (under the data volume's mount path, typically). */
	const char *inputs_path;       /* {{.input}} */
	const char *input_prefix;      /* {{.inputPrefix}} */
	const char *output_prefix;     /* {{.outputPrefix}} */
	const char *raw_output_prefix; /* {{.rawOutputDataPrefix}} */
	const char *checkpoint_prefix; /* {{.checkpointOutputPrefix}}; NULL: "<output_prefix>/checkpoint" */
	const char *prev_checkpoint;   /* {{.prevCheckpointPrefix}}; NULL: "" */
	/* {{.inputs.x}}: the input rendered as text, or NULL when the task has no such input. */
	const char *(*input_text)(void *ud, const char *name);
	void *ud;
	/* The owner (the FlyteWorkflow): deleting it garbage-collects the pod. NULL uid: no ownerReference. */
	const char *owner_api_version, *owner_kind, *owner_name, *owner_uid;
};

/* The pod name of an attempt: "<exec>-<node>-<attempt>", lower-cased, characters outside [a-z0-9-] replaced by
 * '-', and when longer than KUBE_POD_NAME_MAX cut and suffixed with a hash of the whole so it stays unique. */
void plg_k8s_pod_name(const char *exec_name, const char *node_id, uint32_t attempt, struct fc_buf *out);
/* A DNS-1123 label (PCRE2): [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters. */
bool plg_k8s_dns1123_label(const char *s);

/* `tmpl` is a Flyteidl__Core__TaskTemplate with a container target. */
int plg_k8s_pod_build(const void *tmpl, const struct plg_k8s_pod_task *task, const struct plg_k8s_pod_config *cfg,
		      json_t **pod, struct fc_err *err);

struct plg_k8s_pod_status {
	enum plg_phase phase;
	enum plg_error_kind error_kind; /* failures only */
	char code[64];                  /* failures: "Evicted", "OOMKilled", "Error", "ImagePullBackOff", ... */
	char message[512];              /* failures and waiting reasons, for people */
	int exit_code;                  /* the failing container's exit code, or -1 */
};

/* Map a Pod (NULL: it does not exist any more) at wall time `now_ms` (ms since the epoch). */
void plg_k8s_pod_phase(const json_t *pod, int64_t now_ms, const struct plg_k8s_pod_config *cfg,
		       struct plg_k8s_pod_status *out);
const char *plg_k8s_phase_name(enum plg_phase p);

#endif
