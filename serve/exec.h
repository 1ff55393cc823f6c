/*
 * exec.h: the executor of `flytec serve`: admin-lite's execution queue feeding the propeller on its own thread,
 * the propeller's events going into admin-lite's events intake. Its state lives under DATA_DIR/propeller.
 *
 * Ownership: `store` is borrowed and must outlive the executor.
 */
#ifndef SRV_EXEC_H
#define SRV_EXEC_H

#include <stdbool.h>

struct adm_exec_id;
struct adm_store;
struct fc_err;
struct srv_exec;

/* Open the engine, resume what it had, give back claims that were never submitted, start the thread. */
int srv_exec_start(struct adm_store *store, const char *data_dir, struct srv_exec **out, struct fc_err *err);
/* Something changed in the admin (a launch, a termination, a signal): look at the queue now. Any thread. */
void srv_exec_notify(struct srv_exec *x);
/* Stop the thread (within a round: at once when idle) and free. Running executions are not aborted: a later
 * start resumes them. NULL does nothing. */
void srv_exec_stop(struct srv_exec *x);
/* Record a workflow phase for an execution nobody else will report it for (FAILED before it ran, with code and
 * message; ABORTED once its runner is gone, code NULL), as `owner` (the producer id of the event). Returns false when
 * the admin could not store it and it is worth trying again later (a store failure); true when stored, or when the
 * execution had already ended. */
bool srv_record_phase(struct adm_store *store, const char *owner, const struct adm_exec_id *id, int phase,
		      const char *code, const char *msg);

#endif
