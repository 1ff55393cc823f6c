/*
 * flyteworkflow_read.h: a FlyteWorkflow custom resource read back into IDL messages (the inverse of
 * flyteworkflow.h).
 *
 * cmp_flyteworkflow_read() takes the resource JSON as the API server returns it (written by flytec's admin, by
 * Flyte's FlyteAdmin, or by hand) and gives the compiled closure, the inputs, the execution identifier and the
 * object's coordinates. The resource keeps less than a closure (node interfaces, the workflow's input types and
 * type metadata are not in it), so "the same closure" means: building the resource again from what was read gives
 * the same resource (tests/unit/test_operator_read.c checks it for every example and every Flyte resource).
 *
 * Validation happens here, once: every problem is an FC_EINVAL with the JSON path of the bad part
 * ("spec.nodes.n2.task: task resource_type:TASK name:\"x\" is not in tasks"), so the operator can mark the
 * resource Failed with a message a person can act on. Nothing in the input can crash the reader or make it
 * recurse without bound (FC_K8S_READ_MAX_DEPTH).
 *
 * Ownership: `res` is borrowed; everything in `struct cmp_fw_resource` lives in its arena and is freed by
 * cmp_fw_resource_release().
 */
#ifndef CMP_FLYTEWORKFLOW_READ_H
#define CMP_FLYTEWORKFLOW_READ_H

#include "core/arena.h"
#include "core/fc.h"

#include <jansson.h>

#include "flyteidl/core/compiler.pb-c.h"
#include "flyteidl/core/identifier.pb-c.h"
#include "flyteidl/core/literals.pb-c.h"

struct fc_err;

struct cmp_fw_resource {
	struct fc_arena arena;
	Flyteidl__Core__CompiledWorkflowClosure *closure;
	Flyteidl__Core__LiteralMap *inputs; /* never NULL after a successful cmp_flyteworkflow_read() */
	Flyteidl__Core__WorkflowExecutionIdentifier *exec_id;
	/* metadata (arena strings, "" when absent) */
	const char *k8s_namespace;
	const char *name;
	const char *uid;
	const char *resource_version;
	const char *admin_url;          /* the CMP_FW_ADMIN_URL_ANNOTATION, or "" */
	const char *closure_reference;  /* workflowClosureReference, or "" */
	bool has_finalizer;             /* metadata.finalizers holds CMP_FW_FINALIZER */
	bool deleting;                  /* metadata.deletionTimestamp is set */
};

void cmp_fw_resource_init(struct cmp_fw_resource *r);
void cmp_fw_resource_release(struct cmp_fw_resource *r);

/*
 * Read `res` into `out` (initialised by the caller; released and re-filled). An offloaded resource
 * (workflowClosureReference, spec null) has its closure read from that path, a binary CompiledWorkflowClosure
 * as cmp_flyteworkflow_build() writes it; `base_dir` (NULL: none) is where relative references are looked up,
 * and a reference must not leave it.
 */
int cmp_flyteworkflow_read(const json_t *res, const char *base_dir, struct cmp_fw_resource *out, struct fc_err *err);

/*
 * Only what identifies the resource: its metadata, execution id and closure reference (closure and inputs stay
 * NULL). Cheap whatever the size of the spec: for deciding whether a resource needs reading at all.
 */
int cmp_flyteworkflow_read_head(const json_t *res, struct cmp_fw_resource *out, struct fc_err *err);

/* Go's text form of an identifier back to an identifier (the keys of tasks and subWorkflows). */
int cmp_fw_identifier_parse(struct fc_arena *a, const char *text, Flyteidl__Core__Identifier **out,
			    struct fc_err *err);

/* Go's time.Duration text ("1h0m0s", "1.5s", "250ms") to nanoseconds. */
int cmp_fw_go_duration_parse(const char *text, int64_t *nanos, struct fc_err *err);

#endif
