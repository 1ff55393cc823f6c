/*
 * registry.h: which plugin runs which task type. The built-in plugins are listed in one table (registry.c);
 * external plugins are shared objects loaded from a directory; a configured default can be set per task type.
 * Lookup order: per-type override, then external plugins, then built-ins, then the fallback plugin (when set).
 */
#ifndef PLG_REGISTRY_H
#define PLG_REGISTRY_H

#include "core/fc.h"
#include "plugins/plugin.h"

struct fc_err;
struct plg_registry;

/* The built-in plugins. */
extern const struct plg_plugin plg_container_plugin; /* "container", "raw-container", "python-task" */
extern const struct plg_plugin plg_echo_plugin;      /* "echo" */
extern const struct plg_plugin plg_sleep_plugin;     /* "sleep" */

struct plg_registry *plg_registry_new(void);

/* Start the container plugin's spawner, the small helper process that forks its monitors, now: forking is cheap
 * while the process is still small (the engine calls it first thing). Optional: the plugin starts it on first use
 * otherwise. One per process; it exits when the process does. */
void plg_container_prefork(void);
/* Does an attempt of `task_template` (a Flyteidl__Core__TaskTemplate) run by `plugin` need its sandbox directory
 * made before the plugin is called? Every plugin's does but the container plugin's for a task that declares no
 * inputs, outputs, data config or templated arguments, and does not ask for one (task config `sandbox: "true"`):
 * that task runs in its execution's directory, and its attempt creates no directory (docs/propeller.md). */
bool plg_needs_sandbox(const struct plg_plugin *plugin, const void *task_template);
void plg_registry_free(struct plg_registry *r);

/* dlopen every *.so in `dir` (sorted by name) and register the plugin its entry point returns. A missing entry
 * point, a wrong ABI version or a plugin without handle() is an error naming the file; nothing is registered
 * from it. */
int plg_registry_load_dir(struct plg_registry *r, const char *dir, struct fc_err *err);
/* Load one shared object. */
int plg_registry_load_file(struct plg_registry *r, const char *path, struct fc_err *err);
/* Register an in-process plugin (borrowed; it must outlive the registry), looked up like an external one. Used by
 * the operator for its pod runtime. Same checks as for shared objects. */
int plg_registry_add(struct plg_registry *r, const struct plg_plugin *p, struct fc_err *err);
/* Route `task_type` to the plugin named `plugin_name` (built-in or loaded). */
int plg_registry_set_default(struct plg_registry *r, const char *task_type, const char *plugin_name,
			     struct fc_err *err);
/* Plugin for task types nobody claims (NULL: none, such tasks fail). */
int plg_registry_set_fallback(struct plg_registry *r, const char *plugin_name, struct fc_err *err);

const struct plg_plugin *plg_registry_find(const struct plg_registry *r, const char *task_type);
const struct plg_plugin *plg_registry_by_name(const struct plg_registry *r, const char *name);

#endif
