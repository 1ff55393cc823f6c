/*
 * catalog.h: the cache of task outputs (Flyte's DataCatalog, local). An entry maps a cache key to the store key of
 * an outputs.pb. The key is Flyte's: task identifier (project, domain, name), cache version, a hash of the task's
 * typed interface and a hash of the inputs without the ignored ones (prop_catalog_key). Kept in sqlite at
 * <data_dir>/catalog.db, shared by every execution of the data directory.
 */
#ifndef PROP_CATALOG_H
#define PROP_CATALOG_H

#include "core/fc.h"

#include "flyteidl/core/literals.pb-c.h"
#include "flyteidl/core/tasks.pb-c.h"

struct fc_buf;
struct fc_err;
struct prop_catalog;

int prop_catalog_open(const char *path, struct prop_catalog **out, struct fc_err *err);
void prop_catalog_free(struct prop_catalog *c);

/* The hex cache key (64 digits) of a task with `inputs`, appended to `out`. `cache_version` overrides the task's
 * discovery_version when non-NULL. */
void prop_catalog_key(const Flyteidl__Core__TaskTemplate *task, const char *cache_version,
		      const Flyteidl__Core__LiteralMap *inputs, struct fc_buf *out);
/* FC_ENOENT on a miss; otherwise `outputs_key` gets the store key. */
int prop_catalog_get(struct prop_catalog *c, const char *key, struct fc_buf *outputs_key, struct fc_err *err);
int prop_catalog_put(struct prop_catalog *c, const char *key, const char *task_name, const char *version,
		     const char *outputs_key, const char *source_exec, struct fc_err *err);
int prop_catalog_delete(struct prop_catalog *c, const char *key, struct fc_err *err);

/*
 * Cache serialization (Flyte's cache_serializable): a reservation of a key lets one computation of it run at a
 * time, across the engines and processes that share the catalog; the others wait for its entry. A reservation
 * names its owner: an engine id (unique per engine instance), and the pid and start time of the owner's process,
 * so that a reservation whose process is gone (killed) counts as released.
 */
struct prop_catalog_owner {
	const char *engine; /* unique per engine instance: prop_catalog_owner_init() */
	int64_t pid, start; /* its process and that process's start time (clock ticks since boot, /proc) */
};
/* An owner for this process; `engine` (at least 64 bytes) receives the engine id. */
void prop_catalog_owner_init(struct prop_catalog_owner *o, char *engine, size_t len);
/* Take the reservation of `key` for `what` (what computes it, e.g. "<execution>/<node>"). `*got`: true when it
 * holds it now (it was free, held by the same engine for the same `what` already, or its owner's process is
 * gone); false when something else holds it: another `what` of the same engine, or another live engine, whose id
 * is then copied to `holder` (may be NULL). */
int prop_catalog_reserve(struct prop_catalog *c, const char *key, const struct prop_catalog_owner *o,
			 const char *what, bool *got, struct fc_buf *holder, struct fc_err *err);
/* Give it back (only if `engine` holds it). */
int prop_catalog_release(struct prop_catalog *c, const char *key, const char *engine, struct fc_err *err);
/* Give back every reservation of `engine`. */
int prop_catalog_release_all(struct prop_catalog *c, const char *engine, struct fc_err *err);

#endif
