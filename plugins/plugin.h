/*
 * plugin.h: the task-type plugin interface (after Flyte's pluginmachinery core.Plugin).
 *
 * A plugin is one `const struct plg_plugin` of function pointers (NULL means "use the default"). The engine calls
 * handle() whenever something may have changed for a task attempt: when it is first ready, when a file descriptor
 * the plugin asked to watch becomes readable, when a time it asked for arrives, and again after a restart of the
 * propeller. handle() must be non-blocking and idempotent: it looks at the world (the attempt's sandbox directory,
 * its own persisted state) and returns the phase the attempt is in now. Everything a plugin may need from the
 * engine goes through `ctx->host` (a table of callbacks), so an external plugin built as a shared object needs no
 * symbol from the flytec binary; it only needs this header.
 *
 * Ownership: everything in a ctx is borrowed for the duration of the call. Strings a plugin puts into a
 * plg_transition must stay valid until the call returns to the engine's loop: use static strings, or
 * ctx->host->strdup() (freed by the engine with the attempt).
 */
#ifndef PLG_PLUGIN_H
#define PLG_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PLG_ABI_VERSION 1

/* Flyte's pluginsCore.Phase. */
enum plg_phase {
	PLG_PHASE_UNDEFINED = 0,
	PLG_PHASE_NOT_READY,             /* cannot start yet (e.g. a resource quota); handle() again later */
	PLG_PHASE_WAITING_FOR_RESOURCES, /* started, waiting */
	PLG_PHASE_QUEUED,
	PLG_PHASE_INITIALIZING,
	PLG_PHASE_RUNNING,
	PLG_PHASE_SUCCESS,           /* outputs are final */
	PLG_PHASE_RETRYABLE_FAILURE, /* the attempt failed; the engine may retry */
	PLG_PHASE_PERMANENT_FAILURE, /* the task failed; no retry */
};

enum plg_error_kind { PLG_ERROR_USER = 1, PLG_ERROR_SYSTEM = 2 };

struct plg_log {
	const char *name; /* "stdout" */
	const char *uri;  /* a local path or URL */
};

#define PLG_MAX_LOGS 4

struct plg_transition {
	enum plg_phase phase;
	uint32_t version;       /* bump to report a change within the same phase (new logs, a reason) */
	const char *reason;     /* for people; may be NULL */
	/* Failures: */
	const char *error_code; /* "NonZeroExit", "OOMKilled", ... */
	const char *error_message;
	enum plg_error_kind error_kind;
	struct plg_log logs[PLG_MAX_LOGS];
	unsigned nlogs;
};

struct plg_task_ctx;

/* Log levels for host->log, matching core/log.h. */
enum { PLG_LOG_ERROR = 0, PLG_LOG_WARN, PLG_LOG_INFO, PLG_LOG_DEBUG };

/* The engine's side. Every function takes the ctx it was handed. */
struct plg_host {
	unsigned abi_version;
	/* Call handle() again once `fd` is readable. The engine takes the fd: it closes it after it fired, when the
	 * attempt ends, or on error. Returns 0, or -1 (the fd is closed). */
	int (*watch_fd)(const struct plg_task_ctx *ctx, int fd);
	/* Call handle() again at (or soon after) `realtime_ns` (CLOCK_REALTIME nanoseconds). */
	void (*wake_at)(const struct plg_task_ctx *ctx, int64_t realtime_ns);
	/* Replace the plugin's persisted state for this attempt (bytes, at most 64 KiB). It is saved with the node's
	 * state at the end of the loop iteration and handed back in ctx->state on every later call, across
	 * restarts of the propeller. */
	void (*set_state)(const struct plg_task_ctx *ctx, const void *data, size_t len);
	/* An input rendered as text (integers "3", strings as they are, blobs as their path, lists "[1, 2]"), or
	 * NULL when the task has no such input. Valid until the attempt ends. */
	const char *(*input_text)(const struct plg_task_ctx *ctx, const char *var);
	/* Set an output from text, converted by the output's declared type (see compiler/lit.h). Returns 0, or -1
	 * with a message in errbuf. */
	int (*set_output_text)(const struct plg_task_ctx *ctx, const char *var, const char *text, char *errbuf,
			       size_t errlen);
	/* Set an output to a copy of an input literal (echo); `input_var` must exist. Returns 0 or -1. */
	int (*set_output_from_input)(const struct plg_task_ctx *ctx, const char *var, const char *input_var);
	/* The task template's config map (TaskTemplate.config), or NULL. */
	const char *(*task_config)(const struct plg_task_ctx *ctx, const char *key);
	/* A copy of `s` that lives as long as the attempt. */
	const char *(*strdup)(const struct plg_task_ctx *ctx, const char *s);
	void (*log)(const struct plg_task_ctx *ctx, int level, const char *msg);
};

/*
 * What the engine hands to a plugin for one task attempt. Paths are local directories that exist when handle()
 * is called (the local-directory store; a remote store will add URIs alongside).
 */
struct plg_task_ctx {
	const struct plg_host *host;
	void *host_data; /* the engine's; do not touch */

	const char *task_type;
	const char *task_name; /* TaskTemplate id name */
	/* For built-in plugins, which link against the generated IDL code: the TaskTemplate and the inputs
	 * LiteralMap (Flyteidl__Core__TaskTemplate / Flyteidl__Core__LiteralMap). External plugins should use the
	 * host callbacks instead. */
	const void *task_template;
	const void *inputs;

	const char *project, *domain, *exec_name;
	const char *node_id; /* unique within the execution ("n0", "n1-0-n0" for nested nodes) */
	uint32_t attempt;
	bool interruptible;

	const char *inputs_path;       /* <node>/data/inputs.pb (present when the task has inputs) */
	const char *output_prefix;     /* <node>/data/<attempt>/: outputs.pb and error.pb go here */
	const char *raw_output_prefix; /* where large outputs (blobs, datasets) should be written */
	const char *sandbox_dir;       /* <node>/data/<attempt>/sandbox: scratch space (made before handle() when
					* plg_needs_sandbox() says so, see registry.h) */
	int64_t timeout_ns;            /* per-attempt timeout the engine enforces (0: none) */

	const void *state; /* persisted plugin state (see host->set_state); NULL/0 on the first call */
	size_t state_len;
	const char *exec_dir; /* the execution's local directory (exists); appended: older plugins ignore it */
};

struct plg_plugin {
	unsigned abi_version; /* PLG_ABI_VERSION */
	const char *name;
	/* NULL-terminated list of task types this plugin handles by default. */
	const char *const *task_types;

	/* Drive the attempt one step; must not block. Returns 0 and fills `out`, or -1 for an error of the plugin
	 * itself (a system error: out->error_message should say why). */
	int (*handle)(const struct plg_task_ctx *ctx, struct plg_transition *out);
	/* Stop a running attempt (timeout, abort, failure policy). Must not block for long; idempotent. NULL: the
	 * engine only forgets the attempt. */
	int (*abort)(const struct plg_task_ctx *ctx);
	/* Release whatever the attempt holds, after it ended in any phase. NULL: nothing to release. */
	int (*finalize)(const struct plg_task_ctx *ctx);

	/* Properties. */
	bool disable_node_level_caching; /* the plugin caches by itself */
};

/* External plugins: a shared object exports `const struct plg_plugin *flytec_plugin_entry(void)`. */
#define PLG_ENTRY_SYMBOL "flytec_plugin_entry"
typedef const struct plg_plugin *(*plg_entry_fn)(void);

#endif
