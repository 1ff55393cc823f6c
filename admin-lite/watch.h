/*
 * watch.h: the watched repository directory.
 *
 * A watcher compiles a directory of specs with the compiler (references resolve across files) and registers every
 * result in the store as a new version (content-hash versions: unchanged entities register as "already exists").
 * It records each spec file's compile status and diagnostics (adm_file_status_*), so a broken file is visible while
 * the last good versions of its entities stay registered and active. Deleting a file deactivates its launch plans.
 *
 * adm_watch_scan() compiles everything (run it at start: it catches up with changes made while nobody watched).
 * adm_watch_start() adds recursive inotify watches (plain inotify, one instance per watcher, never through a
 * symbolic link); adm_watch_poll() then waits for events and,
 * once a batch of changes has been quiet for `debounce_ms` (or pending for `max_delay_ms`), compiles the changed
 * files with every file that depends on them and every file they depend on, and registers the results. When that
 * incremental compile reports errors, or the batch is large, or a directory moved, the whole repository is compiled
 * instead, so results never depend on what the incremental set happened to contain.
 *
 * When the store cannot write (disk full or failing), the files of the batch are shown as failed with the reason
 * (error[StoreUnavailable]) and the whole repository is compiled and registered again after a backoff delay
 * (ADM_WATCH_RETRY_MIN_MS doubling to ADM_WATCH_RETRY_MAX_MS, core/limits.h) until it is stored: no change is lost.
 *
 * Watchers are independent: several may run in one process.
 */
#ifndef ADM_WATCH_H
#define ADM_WATCH_H

#include "core/fc.h"

struct adm_store;
struct fc_err;

struct adm_watch_options {
	const char *repo;          /* directory */
	const char *project;       /* default project for specs naming none (NULL: the compiler's) */
	const char *domain;        /* default domain (NULL: the compiler's) */
	unsigned debounce_ms;      /* quiet period before a batch is compiled; 0: 30 */
	unsigned max_delay_ms;     /* compile a pending batch after this long even if events continue; 0: 1000 */
	size_t full_threshold;     /* batches of more changed files compile the whole repository; 0: 256 */
	/* Read spec files whose real path is outside the repository (through symbolic links). Off: such a file is not
	 * read, and its status names the link with error[ExternalLink]. */
	bool follow_external_links;
	/* Which spec files the repository holds, as PCRE2 regular expressions matched against each file's path
	 * relative to the repository ("dir/file.yaml"): with `include`, only matching files; with `exclude`, never
	 * matching ones (exclude wins). NULL: every .yaml and .yml file. An invalid expression fails adm_watch_new(). */
	const char *include;
	const char *exclude;
	/* Called after every compile that may have registered, activated or deactivated something (NULL: none). */
	void (*on_change)(void *ctx);
	void *on_change_ctx;
};

struct adm_watch_stats {
	uint64_t batches;          /* compiles run (scans included) */
	uint64_t full_compiles;
	uint64_t files_compiled;
	uint64_t registered;       /* entities newly registered */
	uint64_t last_batch_us;
};

struct adm_watch;

int adm_watch_new(struct adm_store *store, const struct adm_watch_options *opts, struct adm_watch **out,
		  struct fc_err *err);
void adm_watch_free(struct adm_watch *w);
/* Compile and register the whole repository. Spec errors are recorded, not returned. */
int adm_watch_scan(struct adm_watch *w, struct fc_err *err);
int adm_watch_start(struct adm_watch *w, struct fc_err *err);
/* Wait up to about `timeout_ms` for changes and process every batch that is due. */
int adm_watch_poll(struct adm_watch *w, unsigned timeout_ms, struct fc_err *err);
void adm_watch_get_stats(const struct adm_watch *w, struct adm_watch_stats *out);

#endif
