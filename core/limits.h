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

#endif
