/*
 * register.h: register everything a compiler session produced (the watcher and POST /api/v1/repository/register
 * share it, so a spec registers the same bytes whichever way it arrives).
 */
#ifndef ADM_REGISTER_H
#define ADM_REGISTER_H

#include "admin-lite/store.h"

#include "flyteidl/admin/launch_plan.pb-c.h"
#include "flyteidl/core/compiler.pb-c.h"

struct cmp_session;
struct fc_err;

/* One registration's outcome, handed to the callback (everything is borrowed for the call). */
struct adm_reg_result {
	enum adm_kind kind;
	const char *name;                      /* the spec name */
	const Flyteidl__Core__Identifier *id;  /* as registered (version = content hash) */
	const char *file;                      /* the source file as the compiler saw it */
	int rc;                                /* 0, or the error (FC_ECONFLICT: same version, other bytes) */
	bool created;                          /* false: identical content was already registered */
	bool activated;                        /* a launch plan activated because its spec says active */
	bool skipped;                          /* not attempted: its file has errors (rc FC_ESPEC) */
	const char *message;                   /* the error, when rc != 0 */
	const char *diff;                      /* for FC_ECONFLICT: what changed */
	const Flyteidl__Core__CompiledWorkflowClosure *closure; /* workflows */
	const Flyteidl__Admin__LaunchPlan *launch_plan;         /* launch plans */
};

typedef void (*adm_reg_callback)(void *ctx, const struct adm_reg_result *r);

/*
 * Register the tasks, then the workflows, then the launch plans of a compiled session, in one transaction. A file
 * registers all of its entities or none: the entities of a file with compile errors, or of a file one of whose
 * entities fails to register, are not registered (reported with `skipped` and FC_ESPEC, or with their own error).
 * `source_of` maps a compiler file path to the source recorded in the store (NULL: record none). The callback
 * runs once per entity after the transaction committed. Returns a store error only (then nothing was registered
 * and the callback was not called; adm_store_retryable() tells whether trying again later can help).
 */
int adm_register_session(struct adm_store *s, struct cmp_session *cs,
			 const char *(*source_of)(void *ctx, const char *file), adm_reg_callback cb, void *ctx,
			 struct fc_err *err);

#endif
