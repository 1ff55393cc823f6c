/*
 * service_entities.h: the admin's named entities, description entities and the data of node and task executions
 * (what Flyte's console reads besides tasks, workflows, launch plans and executions), as IDL messages. The REST
 * routes (routes.c) call these; a gRPC front door would call the same functions.
 *
 * A named entity is a (resource type, project, domain, name) with at least one registered version, and its own
 * metadata (description, state: active or archived) kept in the store (store_named.h).
 *
 * Memory: messages returned are allocated in the caller's arena and live as long as it. Inputs are borrowed.
 */
#ifndef ADM_SERVICE_ENTITIES_H
#define ADM_SERVICE_ENTITIES_H

#include "admin-lite/store.h"

#include "flyteidl/admin/common.pb-c.h"
#include "flyteidl/admin/description_entity.pb-c.h"
#include "flyteidl/admin/launch_plan.pb-c.h"
#include "flyteidl/admin/node_execution.pb-c.h"
#include "flyteidl/admin/task_execution.pb-c.h"

struct fc_arena;
struct fc_err;
struct adm_query;

/* A resource type as written in a path: Flyte's number ("1", "2", "3") or its enum name ("TASK", "WORKFLOW",
 * "LAUNCH_PLAN"). Only those three name registered entities; anything else is FC_EINVAL. */
int adm_resource_type_parse(const char *s, enum adm_kind *out, struct fc_err *err);

/* Named entities of `kind` in q->project / q->domain, sorted by name unless q says otherwise, and paged. q->filters
 * may use name, description, created_at and state (0 or NAMED_ENTITY_ACTIVE, 1 or NAMED_ENTITY_ARCHIVED, ...). */
int adm_named_entity_list(struct adm_store *s, enum adm_kind kind, const struct adm_query *q, struct fc_arena *a,
			  Flyteidl__Admin__NamedEntityList **out, struct fc_err *err);
/* One named entity; FC_ENOENT when no version of it is registered. */
int adm_named_entity_get(struct adm_store *s, enum adm_kind kind, const struct adm_id *id, struct fc_arena *a,
			 Flyteidl__Admin__NamedEntity **out, struct fc_err *err);
/* Set a named entity's metadata (description and state); FC_ENOENT when it does not exist. */
int adm_named_entity_update(struct adm_store *s, enum adm_kind kind, const struct adm_id *id,
			    const Flyteidl__Admin__NamedEntityMetadata *md, struct fc_err *err);

/*
 * Launch plans filtered on the workflow they launch (the console's eq(workflow.name,W)+eq(workflow.version,V)):
 * the store keeps no column for it, so the terms eq(workflow.project|domain|name|version, X) are taken out of
 * `filters` into `m` (the rest, or NULL, goes to *rest) and matched against each launch plan's spec.
 * *found tells whether there was any.
 */
struct adm_wf_match {
	const char *project, *domain, *name, *version; /* NULL: any */
};
int adm_split_workflow_filters(const char *filters, struct fc_arena *a, const char **rest, struct adm_wf_match *m,
			       bool *found, struct fc_err *err);
bool adm_wf_match_launch_plan(const struct adm_wf_match *m, const Flyteidl__Admin__LaunchPlan *lp);

/* Description entities: the short description each task or workflow version was registered with (a spec's
 * `description:`, a TaskSpec's or WorkflowSpec's description.short_description; flytec keeps no long description).
 * A list names the project and domain and optionally the name (FC_ENOENT when no such named entity exists); newest
 * first, at most ADM_DESCRIPTION_LIST_MAX. A get names the version too; FC_ENOENT when that version has none. */
int adm_description_entity_list(struct adm_store *s, enum adm_kind kind, const struct adm_id *id, struct fc_arena *a,
				Flyteidl__Admin__DescriptionEntityList **out, struct fc_err *err);
int adm_description_entity_get(struct adm_store *s, enum adm_kind kind, const struct adm_id *id, struct fc_arena *a,
			       Flyteidl__Admin__DescriptionEntity **out, struct fc_err *err);

/* The data panels of a node and of a task attempt: inputs and outputs, from the store or, for a local run, from
 * the inputs.pb / outputs.pb files the propeller wrote (their URIs are in the closure). */
int adm_node_execution_data(struct adm_store *s, const struct adm_exec_id *exec, const char *node_id,
			    struct fc_arena *a, Flyteidl__Admin__NodeExecutionGetDataResponse **out, struct fc_err *err);
int adm_task_execution_data(struct adm_store *s, const struct adm_exec_id *exec, const char *node_id,
			    const struct adm_id *task, uint32_t retry_attempt, struct fc_arena *a,
			    Flyteidl__Admin__TaskExecutionGetDataResponse **out, struct fc_err *err);

#endif
