/*
 * limits.h: the project's limits, each with its reason (sqlite's sqliteLimit.h is the model). One section per
 * component; a limit lives here, not as a literal where it is used.
 */
#ifndef FC_LIMITS_H
#define FC_LIMITS_H

/* ---- admin-lite: the watched repository --------------------------------------------------------------------- */

/* When the store cannot write (disk full or failing), the watcher keeps the changed files pending and tries
 * again after a delay that starts here and doubles up to the maximum: soon enough that a freed disk is noticed
 * within seconds, rare enough that a full disk costs no CPU and few log lines. */
#define ADM_WATCH_RETRY_MIN_MS 100
#define ADM_WATCH_RETRY_MAX_MS 30000

#endif
