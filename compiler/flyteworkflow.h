/*
 * flyteworkflow.h: the FlyteWorkflow custom resource (flyte.lyft.com/v1alpha1) built from a compiled workflow.
 *
 * cmp_flyteworkflow_build() makes, from a CompiledWorkflowClosure + inputs + execution identifier + namespace, the
 * JSON object Flyte's BuildFlyteWorkflow (flytepropeller/pkg/compiler/transformers/k8s) makes, in the shape Go's
 * json.Marshal gives Flyte's v1alpha1 structs: spec nodes keyed by id (branch arms flattened into the map), the
 * downstream map twice ("connections" and "edges"), tasks and subworkflows keyed by the Go text form of their
 * identifier, proto parts (bindings, conditions, task templates, inputs) in the project's one proto3 JSON mapping
 * (core/pbjson.h). Two differences from Flyte's bytes: `kind` is "FlyteWorkflow" (the API server refuses Flyte's Go
 * constant "flyteworkflow"), and identifier keys use single spaces where Go randomises them.
 *
 * With `prepare` it also fills what Flyte's admin adds before creating the resource (PrepareFlyteWorkflow):
 * executionId, the finalizer, labels and annotations, service account and security context, raw output prefix.
 *
 * A resource whose compact JSON is larger than `max_inline_bytes` has its static part offloaded as Flyte's admin
 * does with UseOffloadedWorkflowClosure: the closure (binary protobuf) is written to `closure_path`, the resource
 * says "workflowClosureReference": closure_path, and spec/tasks are null, subWorkflows absent.
 *
 * Ownership (see fc.h): arguments are borrowed and never modified; `*out` is a new reference (json_decref()).
 */
#ifndef CMP_FLYTEWORKFLOW_H
#define CMP_FLYTEWORKFLOW_H

#include "core/fc.h"

#include <jansson.h>

#include "flyteidl/core/compiler.pb-c.h"
#include "flyteidl/core/identifier.pb-c.h"
#include "flyteidl/core/literals.pb-c.h"

struct fc_buf;
struct fc_err;

#define CMP_FW_API_VERSION "flyte.lyft.com/v1alpha1"
#define CMP_FW_KIND "FlyteWorkflow"
#define CMP_FW_GROUP "flyte.lyft.com"
#define CMP_FW_PLURAL "flyteworkflows"
/* Flyte's propeller finalizer (flytepropeller/pkg/controller): the admin adds it, the operator removes it. */
#define CMP_FW_FINALIZER "flyte.org/finalizer"
/* Annotation carrying the admin's event URL (flytec's own; Flyte configures it in the propeller instead). */
#define CMP_FW_ADMIN_URL_ANNOTATION "flytec.io/admin-url"
/* Flyte's shard-key label is fnv32a(execution id label) modulo this. */
#define CMP_FW_SHARD_KEYSPACE 32u

struct cmp_fw_pair {
	const char *key;
	const char *value;
};

struct cmp_fw_options {
	/* Execution identifier. NULL name: none (metadata.generateName from the workflow id, as Flyte does). */
	const char *exec_project;
	const char *exec_domain;
	const char *exec_name;
	const char *k8s_namespace; /* NULL: "" */

	/* What Flyte's admin adds (PrepareFlyteWorkflow); everything below `prepare` is ignored without it. */
	bool prepare;
	const struct cmp_fw_pair *labels; /* merged over Flyte's, as the admin does */
	size_t n_labels;
	const struct cmp_fw_pair *annotations;
	size_t n_annotations;
	const char *service_account;   /* securityContext.run_as + serviceAccountName */
	const char *raw_output_prefix; /* rawOutputDataConfig.output_location_prefix */
	const char *admin_url;         /* CMP_FW_ADMIN_URL_ANNOTATION */
	const char *accepted_at;       /* RFC 3339 text, or NULL (then absent: output stays deterministic) */
	uint32_t max_parallelism;

	/* Offloading (see the header comment). */
	size_t max_inline_bytes; /* 0: FC_K8S_RESOURCE_MAX_INLINE_BYTES (core/limits.h) */
	const char *closure_path; /* NULL: a resource over the limit is an FC_ELIMIT error */
	bool force_offload;       /* offload whatever the size */
};

/*
 * Build the resource. `inputs` may be NULL when the workflow has no inputs; every input of the workflow must be
 * bound and no other. On error nothing is returned and `err` says what (node ids, input names).
 * `*offloaded` (if not NULL) tells whether the closure went to opts->closure_path.
 */
int cmp_flyteworkflow_build(const Flyteidl__Core__CompiledWorkflowClosure *closure,
			    const Flyteidl__Core__LiteralMap *inputs, const struct cmp_fw_options *opts, json_t **out,
			    bool *offloaded, struct fc_err *err);

/* Go's text form of an identifier ("resource_type:TASK name:\"x\""), the key of tasks and subworkflows. */
void cmp_fw_identifier_text(const Flyteidl__Core__Identifier *id, struct fc_buf *out);

/* Flyte's SanitizeLabelValue: lower case, runs outside [-a-z0-9] become '-', at most 63 chars, '-' trimmed. */
void cmp_fw_sanitize_label(const char *value, struct fc_buf *out);

#endif
