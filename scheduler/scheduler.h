/*
 * scheduler.h: the scheduler daemon. It turns active launch plans with a cron or fixed-rate schedule into
 * executions, each slot exactly once, with catch-up and concurrency policies (docs/schedules.md, "Catch-up,
 * concurrency, isolation and exactly-once" is the user's side of this header).
 *
 * How it works:
 *   - Every active scheduled launch plan is one entry in a min-heap keyed by the time it is next due (its next
 *     slot, or the time of its next retry when it is failing). A thread sleeps until the top of the heap is due
 *     (one timed wait on a condition variable, through the injectable clock), fires what is due and sleeps again.
 *     Nothing walks all schedules except a reload.
 *   - sch_notify() wakes the thread early and makes it reload the list of schedules from the store (call it after
 *     registering, activating or deactivating launch plans). A reload diffs the list against the heap: unchanged
 *     entries keep their state, changed ones are rebuilt, deactivated ones leave.
 *   - A slot fires through adm_launch_scheduled(): the execution (name derived from the launch plan and the slot,
 *     sch_execution_name()) and the slot record are written in one transaction, and the store refuses a slot at or
 *     before the recorded one, so a slot never fires twice, even across crashes and restarts.
 *   - Before firing, the entry is checked against the launch plan's active version (one indexed read in the same
 *     transaction), so a version change or a deactivation the scheduler was not told about is still obeyed.
 *   - A slot that comes up more than the grace period late goes through the launch plan's catch-up policy: of
 *     the slots in the catch-up window, `all` fires the last max_catchup, `latest` the last one, `none` only
 *     those not late. The others are counted as missed.
 *   - Concurrency `skip` records the skipped slot as its execution, created and aborted at once with the reason
 *     (visible in the API, counted); `replace` terminates the previous runs and launches, in one transaction.
 *   - A schedule that cannot launch (unparsable expression, bad inputs, store refusal) is marked failing with its
 *     error and retried with exponential backoff; other entries are not delayed by it.
 *
 * Slots are whole seconds since the epoch (the cron code's unit); everything that crosses this API is in
 * nanoseconds since the epoch, like the store (an adm_execution's scheduled_at, last_slot, next_fire...).
 *
 * Threads: all functions may be called from any thread; sch_status_list() and sch_get_stats() wait for a pass
 * in progress to finish. One scheduler per store (two would both fire; the store still keeps each slot once).
 *
 * Ownership: the store and the clock are borrowed and must outlive the scheduler. sch_status_list() answers in
 * the caller's arena.
 */
#ifndef SCH_SCHEDULER_H
#define SCH_SCHEDULER_H

#include "core/fc.h"

#include <pthread.h>

struct adm_store;
struct fc_arena;
struct fc_buf;
struct fc_err;

/* No time: a schedule that will never fire again, a launch plan that never fired. */
#define SCH_NEVER INT64_MIN
/* No deadline (sch_step()'s answer when nothing is armed). */
#define SCH_FOREVER INT64_MAX

/* Defaults, also documented in docs/schedules.md. */
#define SCH_DEFAULT_MAX_CATCHUP 100u
#define SCH_DEFAULT_CATCHUP_WINDOW_S INT64_C(86400)
#define SCH_DEFAULT_GRACE_S INT64_C(60)
#define SCH_DEFAULT_BACKOFF_MIN_S INT64_C(10)
#define SCH_DEFAULT_BACKOFF_MAX_S INT64_C(3600)
#define SCH_DEFAULT_MAX_BUFFERED 100u
#define SCH_DEFAULT_POLL_MS INT64_C(1000)
/* The slots a status shows (the newest rows of the slot log). */
#define SCH_STATUS_SLOTS 10
/* The annotation that records the scheduler's decision on an execution it created or started. */
#define SCH_DECISION_ANNOTATION "flytec.io/schedule-decision"

/*
 * The clock. now() returns nanoseconds since the epoch (wall time: slots are wall-clock instants). wait() is
 * called with `mutex` held; it returns when `deadline_ns` (SCH_FOREVER: none) has been reached by now() or when
 * `cond` is signalled, like pthread_cond_timedwait(), and may return early for no reason (the caller checks
 * again). The real clock is sch_clock_real(); tests use the manual clock below.
 */
struct sch_clock {
	int64_t (*now)(void *ctx);
	void (*wait)(void *ctx, pthread_cond_t *cond, pthread_mutex_t *mutex, int64_t deadline_ns);
	void *ctx;
};

/* CLOCK_REALTIME and pthread_cond_timedwait() (an absolute deadline, so a wall-clock change is followed). */
const struct sch_clock *sch_clock_real(void);

/*
 * A manual clock: time moves only when sch_manual_clock_set() says so, which also wakes a scheduler thread
 * waiting on it. Lets tests and benchmarks run a threaded scheduler through days in microseconds.
 */
struct sch_manual_clock {
	struct sch_clock clock; /* pass &c->clock to sch_new() */
	pthread_mutex_t mu;
	int64_t now_ns;
	int64_t deadline_ns;    /* what the waiting thread waits for (SCH_FOREVER when it is not waiting) */
	uint64_t waits;         /* calls to wait() so far: a test sees the thread went back to sleep */
	pthread_cond_t *cond;   /* the condition a thread inside wait() waits on, else NULL */
	pthread_mutex_t *cond_mu;
};

void sch_manual_clock_init(struct sch_manual_clock *c, int64_t now_ns);
void sch_manual_clock_release(struct sch_manual_clock *c);
void sch_manual_clock_set(struct sch_manual_clock *c, int64_t now_ns);
int64_t sch_manual_clock_now(struct sch_manual_clock *c);
uint64_t sch_manual_clock_waits(struct sch_manual_clock *c);

struct sch_options {
	int64_t grace_s;          /* a slot later than this when it comes up is "missed": catch-up policy (0: 60) */
	int64_t backoff_min_s;    /* first retry of a failing schedule (0: 10) */
	int64_t backoff_max_s;    /* retries double up to this (0: 3600) */
	const char *principal;    /* the principal of scheduled executions and of the terminations the scheduler makes
				   * (NULL: "flytec-scheduler") */
	bool quiet;               /* no log lines (benchmarks) */
	int64_t poll_ms;          /* how often a schedule with waiting slots (buffer, cancel_other, backfill) looks
				   * whether they may start (0: 1000) */
	unsigned fire_batch;      /* most fires per store transaction (0: SCH_FIRE_BATCH; 1: one each, the old way) */
};

/* How many upcoming fire times a status lists. */
#define SCH_STATUS_NEXT 5

/* One row of a schedule's slot log, as a status shows it. */
struct sch_slot_view {
	int64_t slot_ns;
	const char *outcome;      /* adm_slot_outcome_name() */
	bool waiting;             /* no execution yet (buffered, cancel_other or backfill, waiting its turn) */
	const char *execution;    /* NULL while waiting and for missed slots */
	const char *detail;
};

/* A snapshot of one schedule for `flytec serve`'s API and console. */
struct sch_status {
	const char *project, *domain, *name, *version;
	const char *expression;   /* normalised cron, "@every 1h" for a rate; NULL when unparsable */
	const char *kickoff_input;/* NULL when none */
	int catchup;              /* enum cmp_catchup: 0 latest, 1 all, 2 none */
	uint32_t max_catchup;     /* effective (defaults applied) */
	int64_t catchup_window_s; /* effective */
	int concurrency;          /* enum cmp_concurrency: 0 allow, 1 skip, 2 replace */
	int64_t anchor_ns;        /* activation time: fixed rates count from it, cron starts after it */
	int64_t next_fire_ns;     /* next slot to fire (SCH_NEVER: none) */
	int64_t due_ns;           /* when the entry comes up: next_fire_ns, or the retry time while failing */
	int64_t last_slot_ns;     /* last slot recorded in the store (SCH_NEVER: none) */
	bool failing;
	const char *error;        /* the last error while failing, else NULL */
	uint32_t failures;        /* consecutive failures */
	uint64_t fired;           /* executions created since load (skip records included) */
	uint64_t skipped;         /* slots recorded as skipped (concurrency skip) */
	uint64_t replaced;        /* executions terminated by concurrency replace */
	uint64_t missed;          /* slots in the catch-up window the policy did not fire */
	bool paused;              /* paused (flytec schedule pause): nothing fires */
	const char *pause_note;   /* why, as given with the pause; NULL when not paused */
	int64_t pause_changed_ns; /* when it was last paused or unpaused (SCH_NEVER: never) */
	int dst_repeat;           /* enum fc_cron_dst_repeat */
	int dst_skip;             /* enum fc_cron_dst_skip */
	int64_t jitter_ns;        /* this plan's offset from each slot */
	int64_t next_slots_ns[SCH_STATUS_NEXT]; /* the next slots (SCH_NEVER past the last one) */
	int64_t next_fires_ns[SCH_STATUS_NEXT]; /* when each of them fires: slot + jitter */
	uint32_t max_buffered;    /* buffer_all's bound (effective) */
	uint32_t pause_on_failure;/* 0: never pauses itself */
	uint64_t buffered;        /* slots put in the buffer since load (buffer_one, buffer_all, cancel_other) */
	uint64_t cancelled;       /* executions terminated by cancel_other since load */
	size_t waiting;           /* slots waiting now (the durable buffer and the backfill queue) */
	struct sch_slot_view slots[SCH_STATUS_SLOTS]; /* the newest slots, newest first */
	size_t nslots;
};

struct sch_stats {
	size_t schedules;         /* entries armed */
	size_t failing;
	uint64_t fired, skipped, replaced, missed, failures;
	uint64_t buffered, cancelled;
	uint64_t passes;          /* sch_step() passes */
	uint64_t reloads;
	size_t shared_expressions;/* distinct parsed expressions (entries share them) */
};

struct sch;

/* A scheduler over `store`. `clock` NULL: the real clock; `opts` NULL: defaults. Loads nothing yet. */
int sch_new(struct adm_store *store, const struct sch_clock *clock, const struct sch_options *opts,
	    struct sch **out, struct fc_err *err);
/* Stops the thread if running and frees. NULL does nothing. */
void sch_free(struct sch *s);

/* Run the scheduler on its own thread (loads the schedules first). */
int sch_start(struct sch *s, struct fc_err *err);
/* Stop and join the thread; a fire in progress completes. Safe when not started. */
void sch_stop(struct sch *s);
/* Schedules changed: wake the thread, which reloads them before its next pass. Cheap; never blocks on a pass. */
void sch_notify(struct sch *s);

/* Reload the schedules from the store now, on the caller's thread. */
int sch_reload(struct sch *s, struct fc_err *err);
/*
 * One synchronous pass at time `now_ns`: reload first if never loaded or notified, then fire everything due by
 * `now_ns` (catch-up slots included) and arm the next slots. *next_ns (may be NULL) receives the next deadline
 * (SCH_FOREVER when nothing is armed). Errors are the store's (a schedule's own failure is not an error here).
 */
int sch_step(struct sch *s, int64_t now_ns, int64_t *next_ns, struct fc_err *err);

/* Every schedule, sorted by project, domain, name; allocated in `a`. */
int sch_status_list(struct sch *s, struct fc_arena *a, struct sch_status **out, size_t *nr, struct fc_err *err);
void sch_get_stats(struct sch *s, struct sch_stats *out);
/*
 * Backfill: every slot of launch plan name `lp` (which must have an active schedule) in [from_ns, to_ns], oldest
 * first. A slot is "already run" when the slot log has it (other than missed) or its execution exists; the others
 * are queued in the store (durable, started in order by the scheduler with at most `parallel` unfinished at once) or,
 * with `dry_run`, only listed. Slots after now are left to the scheduler (to_ns is cut at now). FC_EINVAL for a
 * range of more than SCH_BACKFILL_MAX slots or a bad parallel (*to_ns receives the end used); FC_ENOENT when the plan has no active schedule.
 */
struct sch_backfill_slot {
	int64_t slot_ns;
	const char *state;        /* "queued", "would run", "already run" */
	const char *execution;    /* the existing execution of an already run slot (NULL when unknown or waiting) */
};
int sch_backfill(struct sch *s, const char *project, const char *domain, const char *name, int64_t from_ns,
		 int64_t *to_ns, uint32_t parallel, bool dry_run, struct fc_arena *a, struct sch_backfill_slot **out,
		 size_t *nr, struct fc_err *err);
/* The answer of the backfill endpoint: {"launchPlan","from","to","parallel","dryRun","queued","alreadyRun",
 * "slots":[{"slot","state","execution"}]}. */
void sch_backfill_render_json(const char *name, int64_t from_ns, int64_t to_ns, uint32_t parallel, bool dry_run,
			      const struct sch_backfill_slot *slots, size_t n, struct fc_buf *out);

/*
 * The list as JSON for the API: {"schedules":[{"project","domain","name","version","expression","kickoffInput",
 * "catchUp","maxCatchUp","catchUpWindowSeconds","concurrency","activatedAt","nextFire","due","lastSlot","failing",
 * "error","failures","fired","skipped","replaced","missed","dstRepeat","dstSkip","jitterMs",
 * "nextFires":[{"slot","firesAt"}],"maxBuffered","pauseOnFailure","buffered","cancelled","waiting",
 * "slots":[{"slot","outcome","waiting","execution","detail"}]}]}; times are RFC 3339 UTC (with milliseconds when jittered) or null.
 */
void sch_status_render_json(const struct sch_status *list, size_t n, struct fc_buf *out);
/*
 * Prometheus text for /metrics: flytec_scheduler_slots_total{outcome="fired|skipped|replaced|missed"},
 * flytec_scheduler_schedules{state="ok|failing"} and flytec_scheduler_missed_slots_total{project,domain,
 * launch_plan} for every schedule that missed a slot (the missed-catch-up alert: a slot the catch-up policy or
 * window did not fire). Each missed slot is also one log line ("scheduler: P/D/N: missed slot TIME (...)").
 */
void sch_metrics_render(struct sch *s, struct fc_buf *out);

/*
 * The execution name of a slot: 's', 7 base-36 characters of SHA-256("project/domain/name") and the slot's UTC
 * time as yymmddhhmmss, 20 characters in all, e.g. "s0k3x9qa240310073000". Lower case, starts with a letter, a
 * valid Flyte execution name. `attempt` > 0 gives the alternates used when the name is already taken by another
 * execution (a hash clash between two launch plans of one project and domain): the slot record, not the name, is
 * what keeps a slot from firing twice.
 */
#define SCH_EXEC_NAME_LEN 20
void sch_execution_name(const char *project, const char *domain, const char *name, int64_t slot_s,
			unsigned attempt, char out[SCH_EXEC_NAME_LEN + 1]);

/*
 * A launch plan's jitter: a fixed offset in [0, jitter) in whole milliseconds, from SHA-256 of "project/domain/name",
 * so plans that share an expression spread over the window and each one always fires at the same offset. Every
 * slot fires at slot + offset; the slot (the execution's name and scheduled_at) is unchanged. 0 when jitter_ms <= 0.
 */
int64_t sch_jitter_ns(const char *project, const char *domain, const char *name, int64_t jitter_ms);

/* An instant as RFC 3339 UTC, with ".mmm" when it is not a whole second. */
#define SCH_TIME_MAX 40
void sch_format_time(int64_t ns, char out[SCH_TIME_MAX]);

#endif
