/*
 * scheduler.c: entries, the timer heap, catch-up, concurrency, firing, reloads and the thread.
 *
 * State of one entry (a launch plan name with an active scheduled version):
 *   last_slot   the last slot recorded in the store (seconds; SCH_NEVER before the first fire)
 *   pending     the slot to fire when the entry comes up (SCH_NEVER: none, e.g. the expression is unparsable)
 *   retry_ns    while failing, the earliest time of the next attempt
 *   due_ns      the heap key: max(pending, retry_ns), and "now" for a slot already in the past, so that a catch-up
 *               of many slots takes turns with the others instead of running ahead of them (ties go in FIFO order)
 *   episode     after downtime: the slots a catch-up policy chose, (ep_floor, ep_end]; slots in it fire even though
 *               they are late, every other late slot goes back through the policy.
 *
 * Locks: `mu` guards all state and is held for a whole pass; `wake_mu` guards only the flags the thread sleeps on,
 * so sch_notify() never waits for a pass. Lock order: mu, then the store's lock (inside adm_* calls), then
 * wake_mu (briefly, to read the flags).
 */
#include "scheduler/scheduler.h"

#include "admin-lite/query.h"
#include "admin-lite/service.h"
#include "admin-lite/store.h"
#include "compiler/lit.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/cron.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/sha256.h"
#include "core/strmap.h"
#include "core/tz.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS_PER_S INT64_C(1000000000)
#define NOT_IN_HEAP SIZE_MAX
#define NAME_ATTEMPTS 3
#define RUNNING_LIMIT 100

/* enum cmp_catchup and enum cmp_concurrency (compiler.h), as the store keeps them. */

/*
 * A parsed expression, shared by every entry that uses the same text. A "CRON_TZ=Zone rest" expression is kept as
 * the parsed `rest` plus the entry's zone, and zones are loaded once per name, so plans in one zone share its
 * transition table and "30 2 * * *" is parsed once whatever its zone.
 */
struct sch_expr {
	char *key;      /* "cron:<expression>" or "rate:<seconds>" */
	char *display;  /* normalised form (without the zone) */
	struct fc_cron *cron;
	size_t refs;
};

struct sch_zone {
	char *name;
	struct fc_tz *tz;
};

struct sch_entry {
	char *key;            /* "project/domain/name"; project, domain and name point into the same block */
	const char *project, *domain, *name;
	char *vblock;         /* version and kickoff input, replaced when the version changes */
	const char *version, *kickoff;
	char name_hash[8];    /* the first 8 characters of its executions' names (attempt 0; "" until first needed) */
	uint64_t digest_hash; /* of the spec's digest (a registered version never changes; this is a second check) */
	int64_t updated_ns;   /* the row's updated_at: any change (activation, policy) rebuilds the entry */
	int64_t activated_ns; /* when this version was activated (adm_launch_plan_activated_at) */
	struct cmp_schedule_policy policy; /* as stored, to see changes */
	struct fc_cron_dst dst;            /* the policy's DST rules */
	int64_t jitter_ns;                 /* this plan's fixed offset from each slot (sch_jitter_ns()) */
	bool paused;                       /* paused: out of the heap, nothing fires */
	char *pause_note;
	int64_t pause_changed_ns;
	int64_t resume_from_s;             /* slots at or before it do not fire (unpaused without catch-up) */
	uint32_t max_catchup;
	int64_t window_s;
	struct sch_expr *expr;
	const struct fc_tz *zone; /* the CRON_TZ= zone (shared, owned by the scheduler), NULL: UTC */
	int64_t anchor_s;
	int64_t last_slot;
	int64_t pending;
	int64_t retry_ns;
	int64_t due_ns;
	uint64_t seq;
	size_t heap_idx;
	int64_t ep_floor, ep_end;
	bool ep_active;
	char *error;
	uint32_t failures;
	uint64_t fired, skipped, replaced, missed, buffered, cancelled;
	size_t waiting_live;  /* slots in the store's buffer (buffer_one, buffer_all, cancel_other) */
	size_t waiting_bf;    /* slots in the store's backfill queue */
	unsigned gen;
	bool dead;            /* deactivated: out of the heap, freed by purge_dead() */
	/* The active version decoded at its first fire, reused by the next ones while the fire's check (a read of the
	 * row without its blobs) finds the entry unchanged; dropped when the entry is rebuilt. NULL: not cached (yet,
	 * or the scheduler's SCH_LP_CACHE_BYTES are spent). */
	struct fc_arena *lp_arena;
	struct adm_lp_decoded lp_dec;
	size_t lp_bytes;
	/* The store's entities epoch (adm_store_entities_epoch()) when this version was last read and found active and
	 * unchanged; while the store's is the same, a fire needs no read to know it still is. 0: not known. */
	uint64_t lp_epoch;
};

struct sch {
	struct adm_store *store;
	struct sch_clock clock;
	struct sch_options opts;
	const char *principal;

	pthread_mutex_t mu;
	struct fc_strmap entries; /* key -> entry */
	struct fc_strmap exprs;   /* expression key -> sch_expr */
	struct fc_strmap zones;   /* zone name -> sch_zone, kept until the scheduler is freed */
	struct sch_entry **heap;
	size_t heap_nr, heap_alloc;
	uint64_t seq;
	unsigned gen;
	size_t dead;              /* dead entries still in the map */
	bool loaded;
	struct sch_stats totals;  /* counters only; sizes are computed */
	size_t lp_cache_bytes;    /* held by the entries' decoded launch plans (at most SCH_LP_CACHE_BYTES) */
	/* A pass's fires share a store transaction (the batch); a plain fire runs in it without a savepoint, so one
	 * that fails after writing spoils the batch: it is rolled back whole and the entries reloaded (step_locked) */
	bool batch_open;
	bool batch_spoiled;
	/* Batch commits failed in a row (a full or failing disk), and the time before which no pass fires again: a
	 * failed commit ends its pass, and the reloaded entries, still due, wait for it (0: no failure) */
	uint32_t commit_failures;
	int64_t commit_retry_ns;
	char *spoiled_key;        /* the entry whose fire spoiled the batch (its failure is kept across the reload) */

	pthread_mutex_t wake_mu;
	pthread_cond_t wake_cond;
	bool notified, stopping, running;
	pthread_t thread;
};

/* ------------------------------------------------------------------------------------------------------------
 * Time helpers. Slots are seconds; the heap, the clock and the store speak nanoseconds.
 */
static int64_t slot_ns(int64_t slot)
{
	if (slot == SCH_NEVER)
		return SCH_NEVER;
	if (slot > INT64_MAX / NS_PER_S - 1)
		return INT64_MAX - 1; /* after 2262: never reached */
	if (slot < INT64_MIN / NS_PER_S + 1)
		return INT64_MIN + 1;
	return slot * NS_PER_S;
}

static int64_t ns_to_s(int64_t ns)
{
	if (ns == SCH_NEVER)
		return SCH_NEVER;
	return ns >= 0 ? ns / NS_PER_S : -((-ns + NS_PER_S - 1) / NS_PER_S);
}

static int64_t sat_add(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

static void format_slot(int64_t slot, char out[FC_RFC3339_MAX])
{
	fc_time_format_rfc3339(slot, 0, out);
}

/* ------------------------------------------------------------------------------------------------------------
 * Execution names.
 */
void sch_format_time(int64_t ns, char out[SCH_TIME_MAX])
{
	int64_t sec = ns_to_s(ns), ms = (ns - sec * NS_PER_S) / 1000000;
	size_t n = fc_time_format_rfc3339(sec, 0, out); /* fits: SCH_TIME_MAX > FC_RFC3339_MAX */

	if (ms && n && out[n - 1] == 'Z')
		snprintf(out + n - 1, SCH_TIME_MAX - (n - 1), ".%03dZ", (int)ms);
}

int64_t sch_jitter_ns(const char *project, const char *domain, const char *name, int64_t jitter_ms)
{
	unsigned char sum[FC_SHA256_LEN];
	struct fc_sha256 h;
	uint64_t v = 0;

	if (jitter_ms <= 0)
		return 0;
	fc_sha256_init(&h);
	fc_sha256_update(&h, "jitter:", 7);
	fc_sha256_update(&h, project, strlen(project));
	fc_sha256_update(&h, "/", 1);
	fc_sha256_update(&h, domain, strlen(domain));
	fc_sha256_update(&h, "/", 1);
	fc_sha256_update(&h, name, strlen(name));
	fc_sha256_final(&h, sum);
	for (int i = 0; i < 8; i++)
		v = v << 8 | sum[i];
	return (int64_t)(v % (uint64_t)jitter_ms) * 1000000; /* [0, jitter) in whole milliseconds */
}

/* The 12 characters of an execution name after its hash part: the slot's UTC time, YYMMDDhhmmss. */
static void name_time(int64_t slot_s, char out[SCH_EXEC_NAME_LEN + 1])
{
	struct fc_civil c;
	int parts[6], i;

	fc_time_to_civil(slot_s, 0, &c);
	parts[0] = c.year % 100;
	parts[1] = c.month;
	parts[2] = c.day;
	parts[3] = c.hour;
	parts[4] = c.minute;
	parts[5] = c.second;
	/* two digits each, by hand: snprintf parsing its format was about 2% of a fire */
	for (i = 0; i < 6; i++) {
		out[8 + 2 * i] = (char)('0' + parts[i] / 10 % 10);
		out[9 + 2 * i] = (char)('0' + parts[i] % 10);
	}
	out[SCH_EXEC_NAME_LEN] = '\0';
}

void sch_execution_name(const char *project, const char *domain, const char *name, int64_t slot_s,
			unsigned attempt, char out[SCH_EXEC_NAME_LEN + 1])
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	unsigned char sum[FC_SHA256_LEN];
	struct fc_sha256 h;
	uint64_t v = 0;
	int i;

	fc_sha256_init(&h);
	fc_sha256_update(&h, project, strlen(project));
	fc_sha256_update(&h, "/", 1);
	fc_sha256_update(&h, domain, strlen(domain));
	fc_sha256_update(&h, "/", 1);
	fc_sha256_update(&h, name, strlen(name));
	if (attempt) {
		char extra[32];
		int n = snprintf(extra, sizeof(extra), "#%u", attempt);

		fc_sha256_update(&h, extra, (size_t)n);
	}
	fc_sha256_final(&h, sum);
	for (i = 0; i < 8; i++)
		v = v << 8 | sum[i];
	out[0] = 's';
	for (i = 7; i >= 1; i--) {
		out[i] = digits[v % 36];
		v /= 36;
	}
	name_time(slot_s, out);
}

/* sch_execution_name() of entry `e`: the hash part of attempt 0 depends on the name alone, so it is computed once
 * per entry, when the entry is made (a SHA-256 per fire was a twentieth of a fire's CPU). */
static void entry_execution_name(struct sch_entry *e, int64_t slot_s, unsigned attempt,
				 char out[SCH_EXEC_NAME_LEN + 1])
{
	if (attempt) {
		sch_execution_name(e->project, e->domain, e->name, slot_s, attempt, out);
		return;
	}
	if (!e->name_hash[0]) {
		sch_execution_name(e->project, e->domain, e->name, slot_s, 0, out);
		memcpy(e->name_hash, out, sizeof(e->name_hash));
		return;
	}
	memcpy(out, e->name_hash, sizeof(e->name_hash));
	name_time(slot_s, out);
}

/* ------------------------------------------------------------------------------------------------------------
 * The heap: a binary min-heap on (due_ns, seq).
 */
static bool heap_less(const struct sch_entry *a, const struct sch_entry *b)
{
	return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && a->seq < b->seq);
}

static void heap_set(struct sch *s, size_t i, struct sch_entry *e)
{
	s->heap[i] = e;
	e->heap_idx = i;
}

static void heap_up(struct sch *s, size_t i)
{
	struct sch_entry *e = s->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!heap_less(e, s->heap[parent]))
			break;
		heap_set(s, i, s->heap[parent]);
		i = parent;
	}
	heap_set(s, i, e);
}

static void heap_down(struct sch *s, size_t i)
{
	struct sch_entry *e = s->heap[i];

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct sch_entry *best = e;

		if (l < s->heap_nr && heap_less(s->heap[l], best)) {
			m = l;
			best = s->heap[l];
		}
		if (r < s->heap_nr && heap_less(s->heap[r], best))
			m = r;
		if (m == i)
			break;
		heap_set(s, i, s->heap[m]);
		i = m;
	}
	heap_set(s, i, e);
}

static void heap_remove(struct sch *s, struct sch_entry *e)
{
	size_t i = e->heap_idx;
	struct sch_entry *last;

	if (i == NOT_IN_HEAP)
		return;
	e->heap_idx = NOT_IN_HEAP;
	last = s->heap[--s->heap_nr];
	if (i == s->heap_nr)
		return;
	heap_set(s, i, last);
	heap_up(s, i);
	heap_down(s, last->heap_idx);
}

/* Put `e` in the heap at its due_ns (or take it out when it has nothing due). */
static void heap_place(struct sch *s, struct sch_entry *e)
{
	heap_remove(s, e);
	if (e->due_ns == SCH_NEVER)
		return;
	e->seq = s->seq++;
	FC_ALLOC_GROW(s->heap, s->heap_nr + 1, s->heap_alloc);
	heap_set(s, s->heap_nr++, e);
	heap_up(s, e->heap_idx);
}

static struct sch_entry *heap_pop_due(struct sch *s, int64_t now_ns)
{
	struct sch_entry *e;

	if (!s->heap_nr || s->heap[0]->due_ns > now_ns)
		return NULL;
	e = s->heap[0];
	heap_remove(s, e);
	return e;
}

/* ------------------------------------------------------------------------------------------------------------
 * Shared expressions.
 */
static struct sch_expr *expr_get(struct sch *s, const char *key, const char *cron_text, int64_t rate_s,
				 struct fc_err *err)
{
	struct sch_expr *x = fc_strmap_get(&s->exprs, key);
	struct fc_cron *cron = NULL;
	struct fc_buf norm = FC_BUF_INIT;
	size_t column = 0;
	int rc;

	if (x) {
		x->refs++;
		return x;
	}
	rc = cron_text ? fc_cron_parse(cron_text, &cron, &column, err) : fc_cron_every(rate_s, &cron, err);
	if (rc)
		return NULL;
	x = fc_xcalloc(1, sizeof(*x));
	x->key = fc_xstrdup(key);
	x->cron = cron;
	fc_cron_normalise(cron, &norm);
	x->display = fc_buf_detach(&norm, NULL);
	x->refs = 1;
	fc_strmap_put(&s->exprs, x->key, x);
	return x;
}

static void expr_put(struct sch_expr *x)
{
	if (x)
		x->refs--; /* freed by exprs_compact() once unused */
}

static void expr_free(struct sch_expr *x)
{
	fc_cron_free(x->cron);
	free(x->display);
	free(x->key);
	free(x);
}

/* Free expressions nobody uses any more (the map has no delete: rebuild it). */
static void exprs_compact(struct sch *s)
{
	struct fc_strmap kept = FC_STRMAP_INIT;
	size_t i, unused = 0;

	for (i = 0; i < s->exprs.cap; i++)
		if (s->exprs.slots[i].key && !((struct sch_expr *)s->exprs.slots[i].value)->refs)
			unused++;
	if (!unused)
		return;
	for (i = 0; i < s->exprs.cap; i++) {
		struct sch_expr *x;

		if (!s->exprs.slots[i].key)
			continue;
		x = s->exprs.slots[i].value;
		if (x->refs)
			fc_strmap_put(&kept, x->key, x);
		else
			expr_free(x);
	}
	fc_strmap_release(&s->exprs);
	s->exprs = kept;
}

/* ------------------------------------------------------------------------------------------------------------
 * Entries.
 */
static struct sch_entry *entry_new(const struct adm_id *id)
{
	struct sch_entry *e = fc_xcalloc(1, sizeof(*e));
	size_t lp = strlen(id->project), ld = strlen(id->domain), ln = strlen(id->name);
	char *b = fc_xmalloc(2 * (lp + ld + ln) + 6);

	/* "p/d/n\0p\0d\0n\0" */
	memcpy(b, id->project, lp);
	b[lp] = '/';
	memcpy(b + lp + 1, id->domain, ld);
	b[lp + 1 + ld] = '/';
	memcpy(b + lp + ld + 2, id->name, ln + 1);
	e->key = b;
	b += lp + ld + ln + 3;
	memcpy(b, id->project, lp + 1);
	e->project = b;
	b += lp + 1;
	memcpy(b, id->domain, ld + 1);
	e->domain = b;
	b += ld + 1;
	memcpy(b, id->name, ln + 1);
	e->name = b;
	/* the name hash now, off the fire's path: a burst fires each entry once (about 2 us each at load) */
	{
		char first[SCH_EXEC_NAME_LEN + 1];

		sch_execution_name(e->project, e->domain, e->name, 0, 0, first);
		memcpy(e->name_hash, first, sizeof(e->name_hash));
	}
	e->last_slot = SCH_NEVER;
	e->pending = SCH_NEVER;
	e->retry_ns = SCH_NEVER;
	e->due_ns = SCH_NEVER;
	e->heap_idx = NOT_IN_HEAP;
	return e;
}

/* The first block of an entry's decoded launch plan (a plan with a few inputs decodes to about 1 KB). */
#define LP_ARENA_BLOCK 1024

/* Forget the entry's decoded launch plan (its version changed, or the entry goes). */
static void entry_lp_drop(struct sch *s, struct sch_entry *e)
{
	if (!e->lp_arena)
		return;
	fc_arena_release(e->lp_arena);
	free(e->lp_arena);
	e->lp_arena = NULL;
	e->lp_epoch = 0;
	s->lp_cache_bytes -= e->lp_bytes;
	e->lp_bytes = 0;
}

/*
 * The decoded launch plan of the entry's version `lp` (just checked active in the fire's transaction): the cached
 * one, or decoded now and kept when the cache has room, or decoded into the fire's arena `a` when it has not
 * (`a` NULL: only cache it).
 */
static const struct adm_lp_decoded *entry_lp(struct sch *s, struct sch_entry *e, const struct adm_entity *lp,
					     struct fc_arena *a, struct adm_lp_decoded *tmp, struct fc_err *err)
{
	struct fc_arena *own;
	size_t need = lp->spec_len + lp->closure_len;

	if (e->lp_arena)
		return &e->lp_dec;
	if (s->lp_cache_bytes + 8 * need > SCH_LP_CACHE_BYTES)
		return !a || adm_lp_decode(lp, a, tmp, err) ? NULL : tmp;
	own = fc_xmalloc(sizeof(*own));
	fc_arena_init(own, LP_ARENA_BLOCK);
	if (adm_lp_decode(lp, own, &e->lp_dec, err)) {
		fc_arena_release(own);
		free(own);
		return NULL;
	}
	e->lp_arena = own;
	/* what the arena holds, from above: its regular blocks (the block size doubles after each, so they add up to
	 * the size now less the first one) plus everything handed out (which counts the large blocks) */
	e->lp_bytes = own->block_size - LP_ARENA_BLOCK + own->total + sizeof(*own);
	s->lp_cache_bytes += e->lp_bytes;
	return &e->lp_dec;
}

static void entry_free(struct sch_entry *e)
{
	if (!e)
		return;
	if (e->lp_arena) {
		fc_arena_release(e->lp_arena);
		free(e->lp_arena);
	}
	expr_put(e->expr);
	free(e->vblock);
	free(e->error);
	free(e->pause_note);
	free(e->key);
	free(e);
}

static void entry_set_error(struct sch_entry *e, const char *msg)
{
	char *copy = fc_xstrdup(msg); /* `msg` may be e->error itself */

	free(e->error);
	e->error = copy;
}

static bool policy_equal(const struct cmp_schedule_policy *a, const struct cmp_schedule_policy *b)
{
	return a->catchup == b->catchup && a->max_catchup == b->max_catchup &&
	       a->catchup_window_seconds == b->catchup_window_seconds && a->concurrency == b->concurrency &&
	       a->max_buffered == b->max_buffered && a->pause_on_failure == b->pause_on_failure;
}

/* The active version differs from what the entry was built from. */
static bool entry_changed(const struct sch_entry *e, const struct adm_entity *lp)
{
	return !e->version || strcmp(e->version, lp->id.version ? lp->id.version : "") ||
	       e->digest_hash != fc_hash_bytes(lp->digest, strlen(lp->digest)) || e->updated_ns != lp->updated_at ||
	       !policy_equal(&e->policy, &lp->policy);
}

/* The schedule of a launch plan spec: a cron text or a rate in seconds, and the kickoff input. */
static int read_schedule(const struct adm_entity *lp, const Flyteidl__Admin__LaunchPlanSpec *decoded,
			 struct fc_arena *a, const char **cron_text, int64_t *rate_s, const char **kickoff,
			 struct fc_err *err)
{
	const Flyteidl__Admin__LaunchPlanSpec *spec = decoded;
	Flyteidl__Admin__Schedule *sched;

	*cron_text = NULL;
	*rate_s = 0;
	*kickoff = NULL;
	if (!spec)
		spec = flyteidl__admin__launch_plan_spec__unpack(fc_arena_pb_allocator(a), lp->spec_len, lp->spec);
	if (!spec)
		return fc_err_set(err, FC_EPARSE, "launch plan spec does not decode");
	sched = spec->entity_metadata ? spec->entity_metadata->schedule : NULL;
	if (!sched)
		return fc_err_set(err, FC_EINVAL, "launch plan has no schedule");
	if (sched->kickoff_time_input_arg && *sched->kickoff_time_input_arg)
		*kickoff = sched->kickoff_time_input_arg;
	switch (sched->schedule_expression_case) {
	case FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_CRON_SCHEDULE:
		*cron_text = sched->cron_schedule && sched->cron_schedule->schedule ? sched->cron_schedule->schedule : "";
		return 0;
	case FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_CRON_EXPRESSION:
		/* Flyte's deprecated field (AWS's six-field syntax there): parsed like the others, so an AWS form is
		 * reported as unparsable rather than guessed at. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
		*cron_text = sched->cron_expression ? sched->cron_expression : "";
#pragma GCC diagnostic pop
		return 0;
	case FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_RATE:
		if (!sched->rate)
			return fc_err_set(err, FC_EINVAL, "schedule: rate without a value");
		if (fc_fixed_rate_seconds(sched->rate->value, (int)sched->rate->unit, rate_s, err))
			return fc_err_prefix(err, "schedule: rate: ");
		return 0;
	default:
		return fc_err_set(err, FC_EINVAL, "schedule has neither a cron expression nor a rate");
	}
}

/* A zone by name, loaded once. */
static const struct fc_tz *zone_get(struct sch *s, const char *name)
{
	struct sch_zone *z = fc_strmap_get(&s->zones, name);
	struct fc_tz *tz;

	if (z)
		return z->tz;
	if (fc_tz_load(name, &tz, NULL))
		return NULL;
	z = fc_xcalloc(1, sizeof(*z));
	z->name = fc_xstrdup(name);
	z->tz = tz;
	fc_strmap_put(&s->zones, z->name, z);
	return tz;
}

/* "CRON_TZ=Zone rest" (or "TZ=Zone rest"): copy the zone name and point at the rest; false without a prefix. */
static bool split_zone(const char *text, char *zone, size_t size, const char **rest)
{
	const char *p = text, *z, *end;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!strncmp(p, "CRON_TZ=", 8))
		z = p + 8;
	else if (!strncmp(p, "TZ=", 3))
		z = p + 3;
	else
		return false;
	for (end = z; *end && *end != ' ' && *end != '\t'; end++)
		;
	if (end == z || (size_t)(end - z) >= size || !*end)
		return false;
	memcpy(zone, z, (size_t)(end - z));
	zone[end - z] = '\0';
	*rest = end;
	return true;
}

/*
 * The expression of a cron text, sharing zones: the zone-less rest is parsed and the zone loaded by name. Whenever
 * that does not work, the whole text is parsed as written, so what is accepted and every error message are
 * exactly fc_cron_parse()'s.
 */
static struct sch_expr *cron_expr_get(struct sch *s, const char *text, const struct fc_tz **zone, struct fc_err *err)
{
	char name[FC_TZ_NAME_MAX + 1];
	const char *rest;
	struct fc_buf key = FC_BUF_INIT;
	struct sch_expr *x = NULL;

	*zone = NULL;
	if (split_zone(text, name, sizeof(name), &rest) && (*zone = zone_get(s, name))) {
		fc_buf_addf(&key, "cron:%s", rest);
		x = expr_get(s, key.buf, rest, 0, NULL);
		if (x && fc_cron_zone(x->cron)) { /* "CRON_TZ=a CRON_TZ=b ...": let the full parse judge */
			expr_put(x);
			x = NULL;
		}
		if (!x)
			*zone = NULL;
	}
	if (!x) {
		fc_buf_reset(&key);
		fc_buf_addf(&key, "cron:%s", text);
		x = expr_get(s, key.buf, text, 0, err);
	}
	fc_buf_release(&key);
	return x;
}

/*
 * (Re)build an entry from its launch plan row. On an unusable schedule the entry keeps no expression and carries
 * the error; the caller marks it failing.
 */
static int entry_configure(struct sch *s, struct sch_entry *e, const struct adm_entity *lp, struct fc_err *err)
{
	const char *cron_text, *kickoff, *version = lp->id.version ? lp->id.version : "";
	struct fc_arena a;
	int64_t rate_s;
	size_t lv, lk;
	char *b;
	int rc;

	fc_arena_init(&a, 0);
	entry_lp_drop(s, e);
	expr_put(e->expr);
	e->expr = NULL;
	e->zone = NULL;
	/* decoded once for the schedule and the fires, when the cache has room (a fire's first read of its version
	 * would decode it anyway) */
	if (lp->spec && s->lp_cache_bytes + 8 * (lp->spec_len + lp->closure_len) <= SCH_LP_CACHE_BYTES)
		entry_lp(s, e, lp, NULL, NULL, NULL);
	rc = read_schedule(lp, e->lp_arena ? e->lp_dec.spec : NULL, &a, &cron_text, &rate_s, &kickoff, err);
	lv = strlen(version);
	lk = !rc && kickoff ? strlen(kickoff) : 0;
	free(e->vblock);
	e->vblock = b = fc_xmalloc(lv + lk + 2);
	memcpy(b, version, lv + 1);
	e->version = b;
	e->kickoff = NULL;
	if (!rc && kickoff) {
		memcpy(b + lv + 1, kickoff, lk + 1);
		e->kickoff = b + lv + 1;
	}
	e->digest_hash = fc_hash_bytes(lp->digest, strlen(lp->digest));
	e->updated_ns = lp->updated_at;
	/* the activation time, which a policy update does not move (updated_at when the store has none) */
	e->activated_ns = adm_launch_plan_activated_at(s->store, &lp->id);
	if (!e->activated_ns)
		e->activated_ns = lp->updated_at;
	e->anchor_s = ns_to_s(e->activated_ns);
	e->policy = lp->policy;
	e->dst.repeat = (enum fc_cron_dst_repeat)lp->policy.dst_repeat;
	e->dst.skip = (enum fc_cron_dst_skip)lp->policy.dst_skip;
	e->jitter_ns = sch_jitter_ns(e->project, e->domain, e->name, lp->policy.jitter_ms);
	e->max_catchup = lp->policy.max_catchup ? lp->policy.max_catchup : SCH_DEFAULT_MAX_CATCHUP;
	e->window_s = lp->policy.catchup_window_seconds > 0 ? lp->policy.catchup_window_seconds
							     : SCH_DEFAULT_CATCHUP_WINDOW_S;
	e->ep_active = false;
	if (!rc && cron_text) {
		e->expr = cron_expr_get(s, cron_text, &e->zone, err);
		if (!e->expr)
			rc = fc_err_prefix(err, "schedule '%s': ", cron_text);
	} else if (!rc) {
		struct fc_buf key = FC_BUF_INIT;

		fc_buf_addf(&key, "rate:%" PRId64, rate_s);
		e->expr = expr_get(s, key.buf, NULL, rate_s, err);
		if (!e->expr)
			rc = fc_err_prefix(err, "schedule: ");
		fc_buf_release(&key);
	}
	fc_arena_release(&a);
	return rc;
}

/* ------------------------------------------------------------------------------------------------------------
 * Arming: which slot an entry fires next, and when it comes up.
 */
static int64_t next_slot(const struct sch_entry *e, int64_t after_s)
{
	/* FC_CRON_NONE == SCH_NEVER */
	return fc_cron_next_dst(e->expr->cron, e->zone, after_s, e->anchor_s, &e->dst, NULL);
}

/* Late: the slot comes up more than the grace period after its (jittered) fire time. */
static bool is_late(const struct sch *s, const struct sch_entry *e, int64_t slot, int64_t now_ns)
{
	return sat_add(sat_add(slot_ns(slot), e->jitter_ns), s->opts.grace_s * NS_PER_S) < now_ns;
}

static bool in_episode(const struct sch_entry *e, int64_t slot)
{
	return e->ep_active && slot > e->ep_floor && slot <= e->ep_end;
}

static const char *catchup_name(int c)
{
	return c == CMP_CATCHUP_ALL ? "all" : c == CMP_CATCHUP_NONE ? "none" : "latest";
}

/*
 * The entry's next slot is late (after downtime, a long failure or a stalled process): choose the slots to fire
 * among those in the catch-up window, (max(after, now - window), now], by the policy. The chosen ones are always
 * the last k candidates: all -> k = min(max_catchup, n); latest -> k = min(1, n); none -> the candidates that are
 * not late (within the grace period). The others count as missed.
 */
static void start_episode(struct sch *s, struct sch_entry *e, int64_t after, int64_t now_ns)
{
	int64_t now_s = ns_to_s(now_ns), lo = after, t, first = SCH_NEVER;
	uint64_t n = 0, on_time = 0, k, i;
	bool older;

	if (now_s - e->window_s - 1 > lo)
		lo = now_s - e->window_s - 1;
	older = lo > after && (t = next_slot(e, after)) != SCH_NEVER && t <= lo;
	for (t = next_slot(e, lo); t != SCH_NEVER && t <= now_s; t = next_slot(e, t)) {
		n++;
		if (!is_late(s, e, t, now_ns))
			on_time++;
	}
	switch (e->policy.catchup) {
	case CMP_CATCHUP_ALL:
		k = n < e->max_catchup ? n : e->max_catchup;
		break;
	case CMP_CATCHUP_NONE:
		k = on_time;
		break;
	default:
		k = n ? 1 : 0;
		break;
	}
	if (k) {
		for (i = 0, t = next_slot(e, lo); i < n - k; i++)
			t = next_slot(e, t);
		first = t;
		e->ep_active = true;
		e->ep_floor = first - 1;
		e->ep_end = now_s;
		e->pending = first;
	} else {
		e->ep_active = false;
		e->pending = next_slot(e, now_s);
	}
	e->missed += n - k;
	s->totals.missed += n - k;
	if (n - k) {
		/* the newest missed slots go to the slot log (a backfill may still run them) */
		const struct adm_id name_id = {e->project, e->domain, e->name, NULL};
		uint64_t skip = n - k > SCH_MISSED_SLOTS_LOGGED ? n - k - SCH_MISSED_SLOTS_LOGGED : 0;
		char *detail = NULL;
		struct fc_buf d = FC_BUF_INIT;

		fc_buf_addf(&d, "catch_up %s, window %" PRId64 "s, max %u", catchup_name(e->policy.catchup), e->window_s,
			    e->max_catchup);
		detail = d.buf;
		for (i = 0, t = next_slot(e, lo); i < n - k && t != SCH_NEVER; i++, t = next_slot(e, t)) {
			struct adm_slot row = {slot_ns(t), ADM_SLOT_MISSED, false, NULL, detail, 0, 0}, old;
			struct fc_arena oa;
			struct fc_err err;
			int orc;

			if (i < skip)
				continue;
			/* A slot a backfill queued (or ran) keeps its row: writing "missed" over it would drop it from the
			 * backfill queue, and a second backfill of the range would queue it again. */
			fc_arena_init(&oa, 0);
			orc = adm_schedule_slot_get(s->store, &name_id, slot_ns(t), &oa, &old, &err);
			fc_arena_release(&oa);
			if (!orc && old.outcome != ADM_SLOT_MISSED)
				continue;
			if (adm_schedule_slot_put(s->store, &name_id, &row, &err) && !s->opts.quiet)
				fc_warn("scheduler: %s: cannot record a missed slot: %s", e->key, err.msg);
		}
		fc_buf_release(&d);
	}
	if (n - k && !s->opts.quiet) {
		/* one line per missed slot (the oldest SCH_MISSED_LOG_MAX of one catch-up, then a count) */
		uint64_t logged = 0;

		for (i = 0, t = next_slot(e, lo); i < n - k && t != SCH_NEVER; i++, t = next_slot(e, t)) {
			char at[FC_RFC3339_MAX];

			if (logged == SCH_MISSED_LOG_MAX) {
				fc_warn("scheduler: %s: and %" PRIu64 " more missed slots", e->key, n - k - logged);
				break;
			}
			format_slot(t, at);
			fc_warn("scheduler: %s: missed slot %s (catch_up %s, window %" PRId64 "s, max %u)", e->key, at,
				catchup_name(e->policy.catchup), e->window_s, e->max_catchup);
			logged++;
		}
	}
	if ((n - k || older) && !s->opts.quiet) {
		char from[FC_RFC3339_MAX];

		format_slot(first != SCH_NEVER ? first : now_s, from);
		fc_info("scheduler: %s: catch-up (%s, window %" PRId64 "s, max %u): %" PRIu64 " of %" PRIu64
			" missed slots in the window fire%s%s%s", e->key, catchup_name(e->policy.catchup), e->window_s,
			e->max_catchup, k, n, k ? " from " : "", k ? from : "",
			older ? "; older slots are outside the window" : "");
	}
}

/* Choose the entry's pending slot after its last slot and compute when it comes up; place it in the heap. */
static void entry_arm(struct sch *s, struct sch_entry *e, int64_t now_ns)
{
	int64_t after, cand;

	if (!e->expr) {
		e->pending = SCH_NEVER;
		e->due_ns = e->retry_ns;
		heap_place(s, e);
		return;
	}
	if (e->paused) {
		e->pending = SCH_NEVER;
		e->due_ns = SCH_NEVER;
		e->ep_active = false;
		heap_place(s, e);
		return;
	}
	/* Never before the activation: slots of a time the plan was inactive do not fire. */
	after = e->last_slot != SCH_NEVER && e->last_slot > e->anchor_s ? e->last_slot : e->anchor_s;
	/* Nor those that fell in a pause, unless the unpause asked to catch up. */
	if (e->resume_from_s > after)
		after = e->resume_from_s;
	cand = next_slot(e, after);
	if (cand == SCH_NEVER) {
		e->pending = SCH_NEVER;
	} else if (!is_late(s, e, cand, now_ns) || in_episode(e, cand)) {
		if (e->ep_active && cand > e->ep_end)
			e->ep_active = false;
		e->pending = cand;
	} else {
		start_episode(s, e, after, now_ns);
	}
	if (e->pending == SCH_NEVER) {
		e->due_ns = SCH_NEVER; /* never fires again */
	} else {
		int64_t at = sat_add(slot_ns(e->pending), e->jitter_ns);

		if (at < now_ns)
			at = now_ns;
		if (e->retry_ns != SCH_NEVER && e->retry_ns > at)
			at = e->retry_ns;
		e->due_ns = at;
	}
	if (e->waiting_live || e->waiting_bf) {
		/* waiting slots: look again at the next poll (they start when what they wait for has ended) */
		int64_t poll = sat_add(now_ns, s->opts.poll_ms * 1000000);

		if (e->due_ns == SCH_NEVER || poll < e->due_ns)
			e->due_ns = poll;
	}
	heap_place(s, e);
}

/* ------------------------------------------------------------------------------------------------------------
 * Failures.
 */
static int64_t backoff_ns(const struct sch *s, uint32_t failures)
{
	int64_t d = s->opts.backoff_min_s;
	uint32_t i;

	for (i = 1; i < failures && d < s->opts.backoff_max_s; i++)
		d *= 2;
	if (d > s->opts.backoff_max_s)
		d = s->opts.backoff_max_s;
	return d * NS_PER_S;
}

static void entry_fail(struct sch *s, struct sch_entry *e, const char *msg, int64_t now_ns)
{
	bool first = !e->failures || !e->error || (msg != e->error && strcmp(e->error, msg));

	e->failures++;
	s->totals.failures++;
	entry_set_error(e, msg);
	e->retry_ns = sat_add(now_ns, backoff_ns(s, e->failures));
	e->ep_active = false; /* a retry that comes late asks the catch-up policy again */
	if (!s->opts.quiet) {
		if (first)
			fc_warn("scheduler: %s: failing: %s (retry in %" PRId64 "s)", e->key, msg,
				(e->retry_ns - now_ns) / NS_PER_S);
		else
			fc_debug("scheduler: %s: still failing (%u): %s", e->key, e->failures, msg);
	}
}

static void entry_recover(struct sch *s, struct sch_entry *e)
{
	if (e->failures && !s->opts.quiet)
		fc_info("scheduler: %s: recovered after %u failure(s)", e->key, e->failures);
	e->failures = 0;
	e->retry_ns = SCH_NEVER;
	free(e->error);
	e->error = NULL;
}

/* Configure from a row and arm; an unusable schedule fails at once (retried with backoff). */
static void entry_load(struct sch *s, struct sch_entry *e, const struct adm_entity *lp, int64_t now_ns)
{
	struct fc_err err;

	entry_recover(s, e);
	if (entry_configure(s, e, lp, &err))
		entry_fail(s, e, err.msg, now_ns);
	entry_arm(s, e, now_ns);
}

/* ------------------------------------------------------------------------------------------------------------
 * Firing.
 */
static Flyteidl__Core__LiteralMap *kickoff_inputs(struct fc_arena *a, const char *input, int64_t slot)
{
	Flyteidl__Core__LiteralMap *m = cmp_litmap_new(a);

	cmp_litmap_put(a, m, input, cmp_lit_datetime(a, slot, 0));
	return m;
}

static Flyteidl__Admin__ExecutionCreateRequest *build_request(struct fc_arena *a, const struct sch *s,
							      const struct sch_entry *e, int64_t slot)
{
	Flyteidl__Admin__ExecutionCreateRequest *req = fc_arena_alloc(a, sizeof(*req));
	Flyteidl__Admin__ExecutionSpec *spec = fc_arena_alloc(a, sizeof(*spec));
	Flyteidl__Admin__ExecutionMetadata *md = fc_arena_alloc(a, sizeof(*md));
	Flyteidl__Core__Identifier *lp = fc_arena_alloc(a, sizeof(*lp));
	Google__Protobuf__Timestamp *ts = fc_arena_alloc(a, sizeof(*ts));

	flyteidl__admin__execution_create_request__init(req);
	flyteidl__admin__execution_spec__init(spec);
	flyteidl__admin__execution_metadata__init(md);
	flyteidl__core__identifier__init(lp);
	google__protobuf__timestamp__init(ts);
	lp->resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__LAUNCH_PLAN;
	lp->project = (char *)e->project;
	lp->domain = (char *)e->domain;
	lp->name = (char *)e->name;
	lp->version = (char *)e->version;
	ts->seconds = slot;
	md->mode = FLYTEIDL__ADMIN__EXECUTION_METADATA__EXECUTION_MODE__SCHEDULED;
	md->principal = (char *)s->principal;
	md->scheduled_at = ts;
	spec->launch_plan = lp;
	spec->metadata = md;
	req->project = (char *)e->project;
	req->domain = (char *)e->domain;
	req->spec = spec;
	if (e->kickoff)
		req->inputs = kickoff_inputs(a, e->kickoff, slot);
	return req;
}

/* Scheduled executions of this launch plan name that have not finished (for skip and replace). */
static int running_executions(struct sch *s, const struct sch_entry *e, struct fc_arena *a,
			      struct adm_execution **out, size_t *nr, struct fc_err *err)
{
	struct adm_query q;
	char *filters, *token = NULL;

	memset(&q, 0, sizeof(q));
	q.project = e->project;
	q.domain = e->domain;
	filters = fc_arena_printf(a, "eq(launch_plan.name,%s)+eq(mode,%d)+value_not_in(phase,SUCCEEDED;FAILED;ABORTED;"
				  "TIMED_OUT)", e->name, FLYTEIDL__ADMIN__EXECUTION_METADATA__EXECUTION_MODE__SCHEDULED);
	q.filters = filters;
	q.limit = RUNNING_LIMIT;
	return adm_execution_list(s->store, &q, a, out, nr, &token, err);
}

enum fire_result { FIRE_OK, FIRE_ALREADY, FIRE_CHANGED, FIRE_GONE, FIRE_FAILED, FIRE_BUFFERED, FIRE_PAUSED };

static const char *concurrency_name(int c)
{
	static const char *const names[] = {"allow", "skip", "replace", "buffer_one", "buffer_all", "cancel_other"};

	return c >= 0 && (size_t)c < FC_ARRAY_LEN(names) ? names[c] : "allow";
}

/* Record the scheduler's decision on the execution it creates (an annotation: visible in the API and the CLI). */
static void set_decision(struct fc_arena *a, Flyteidl__Admin__ExecutionCreateRequest *req, const char *decision)
{
	Flyteidl__Admin__Annotations *ann = fc_arena_alloc(a, sizeof(*ann));
	Flyteidl__Admin__Annotations__ValuesEntry **entries = fc_arena_alloc(a, sizeof(*entries));
	Flyteidl__Admin__Annotations__ValuesEntry *v = fc_arena_alloc(a, sizeof(*v));

	flyteidl__admin__annotations__init(ann);
	flyteidl__admin__annotations__values_entry__init(v);
	v->key = (char *)SCH_DECISION_ANNOTATION;
	v->value = (char *)decision;
	entries[0] = v;
	ann->n_values = 1;
	ann->values = entries;
	req->spec->annotations = ann;
}

/*
 * Create the execution of `slot` (the derived name, or an alternate when another execution holds it) inside the
 * caller's transaction. `record_slot`: also record the slot as the last fired one (the live path); a slot that
 * leaves the buffer or the backfill queue was recorded when it entered. FIRE_ALREADY when the slot record says a
 * previous life of this scheduler fired it. `lp`: the active version read in this transaction, decoded (or NULL).
 */
static enum fire_result create_slot_execution(struct sch *s, struct sch_entry *e, int64_t slot,
					      Flyteidl__Admin__ExecutionCreateRequest *req, bool record_slot,
					      const struct adm_lp_decoded *lp, struct fc_arena *a, struct adm_exec_id *created,
					      char *name, struct fc_err *err)
{
	const struct adm_id name_id = {e->project, e->domain, e->name, NULL};
	unsigned attempt;
	int rc;

	for (attempt = 0;; attempt++) {
		if (attempt < NAME_ATTEMPTS) {
			entry_execution_name(e, slot, attempt, name);
			req->name = name;
		} else {
			req->name = (char *)""; /* the admin generates one */
		}
		rc = record_slot ? adm_launch_scheduled_lp(s->store, req, lp, slot_ns(slot), a, created, err)
				 : adm_launch(s->store, req, FLYTEIDL__ADMIN__EXECUTION_METADATA__EXECUTION_MODE__SCHEDULED,
					      a, created, err);
		if (rc != FC_EEXIST || attempt >= NAME_ATTEMPTS)
			break;
		/* Already fired (a previous life of this scheduler), or the name is another execution's. */
		if (record_slot && adm_schedule_last_slot(s->store, &name_id) >= slot_ns(slot))
			return FIRE_ALREADY;
	}
	return rc ? FIRE_FAILED : FIRE_OK;
}

/* Write the slot log row of a decision (inside the caller's transaction). */
static int log_slot(struct sch *s, const struct sch_entry *e, int64_t slot, enum adm_slot_outcome outcome,
		    bool waiting, const char *execution, const char *detail, uint32_t parallel, struct fc_err *err)
{
	const struct adm_id name_id = {e->project, e->domain, e->name, NULL};
	struct adm_slot row = {slot_ns(slot), outcome, waiting, execution, detail, parallel, 0};

	return adm_schedule_slot_put(s->store, &name_id, &row, err);
}

/*
 * pause_on_failure: the newest N finished scheduled runs since the last pause or unpause all failed. The note says
 * why, in the caller's arena.
 */
static int failure_streak(struct sch *s, const struct sch_entry *e, struct fc_arena *a, const char **note,
			  struct fc_err *err)
{
	const struct adm_id name_id = {e->project, e->domain, e->name, NULL};
	uint32_t want = e->policy.pause_on_failure;
	int *phases = fc_arena_array(a, want, sizeof(*phases));
	const char *last;
	size_t n, i;
	int rc;

	*note = NULL;
	rc = adm_schedule_recent_results(s->store, &name_id, e->pause_changed_ns > 0 ? e->pause_changed_ns : 0, want,
					 a, phases, &n, &last, err);
	if (rc || n < want)
		return rc;
	for (i = 0; i < n; i++)
		if (phases[i] != FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED &&
		    phases[i] != FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__TIMED_OUT)
			return 0;
	*note = fc_arena_printf(a, "paused after %u consecutive failed scheduled runs (pause_on_failure: %u; the last: %s)",
				want, want, last ? last : "?");
	return 0;
}

/*
 * Launch `slot` in one store transaction: check the entry is still the active version, apply pause_on_failure and
 * the overlap policy, create the execution (or put the slot in the durable buffer) and record the slot and the
 * decision. Nothing is written unless all of it is.
 */
static enum fire_result fire_level(struct sch *s, struct sch_entry *e, int64_t slot, struct fc_arena *a,
				   struct adm_entity *active, struct fc_err *err)
{
	const struct adm_id name_id = {e->project, e->domain, e->name, NULL};
	Flyteidl__Admin__ExecutionCreateRequest *req;
	struct adm_execution *running = NULL;
	struct adm_exec_id created;
	struct adm_slot taken;
	size_t nrunning = 0, i, cancelled = 0, superseded = 0;
	char name[SCH_EXEC_NAME_LEN + 1], when[FC_RFC3339_MAX];
	enum fire_result result = FIRE_FAILED;
	enum adm_slot_outcome outcome = ADM_SLOT_FIRED;
	int conc = e->policy.concurrency;
	const char *decision = "fired", *skip_cause = NULL, *note;
	const struct adm_lp_decoded *dec;
	struct adm_lp_decoded dec_tmp;
	uint64_t epoch;
	int rc;

	if (adm_store_begin(s->store, err))
		return FIRE_FAILED;
	/* Is the entry's version still the active one, unchanged? Known without a read while no entity row was
	 * written since it was last seen so; else read the row (only its head when the version is decoded already). */
	epoch = adm_store_entities_epoch(s->store);
	if (!e->lp_arena || e->lp_epoch != epoch) {
		rc = e->lp_arena ? adm_launch_plan_get_active_head(s->store, &name_id, a, active, err)
				 : adm_launch_plan_get_active(s->store, &name_id, a, active, err);
		if (rc == FC_ENOENT) {
			result = FIRE_GONE;
			goto rollback;
		}
		if (rc)
			goto rollback;
		if (!active->has_schedule) {
			result = FIRE_GONE;
			goto rollback;
		}
		if (entry_changed(e, active)) {
			/* the caller rebuilds the entry from `active`: that needs the whole row */
			if (!active->spec && adm_launch_plan_get_active(s->store, &name_id, a, active, err))
				goto rollback;
			result = FIRE_CHANGED;
			goto rollback;
		}
		if (e->lp_arena)
			e->lp_epoch = epoch;
	}
	/* the slot's time as text is for the messages of the other policies (a plain fire only logs it in debug) */
	if (conc != CMP_CONCURRENCY_ALLOW || e->policy.pause_on_failure)
		format_slot(slot, when);
	else
		when[0] = '\0';
	/* A backfill took this slot first: it is not fired again, only recorded as passed. */
	rc = adm_schedule_slot_get(s->store, &name_id, slot_ns(slot), a, &taken, err);
	if (rc && rc != FC_ENOENT)
		goto rollback;
	if (!rc && taken.outcome != ADM_SLOT_MISSED) {
		if (adm_schedule_advance(s->store, &name_id, slot_ns(slot), err))
			goto rollback;
		if (adm_store_commit(s->store, err))
			return FIRE_FAILED;
		return FIRE_ALREADY;
	}
	if (e->policy.pause_on_failure) {
		if (failure_streak(s, e, a, &note, err))
			goto rollback;
		if (note) {
			if (adm_schedule_set_paused(s->store, &name_id, true, note, false, err) ||
			    adm_schedule_advance(s->store, &name_id, slot_ns(slot), err) ||
			    log_slot(s, e, slot, ADM_SLOT_PAUSED, false, NULL, note, 0, err))
				goto rollback;
			if (adm_store_commit(s->store, err))
				return FIRE_FAILED;
			free(e->pause_note);
			e->pause_note = fc_xstrdup(note);
			e->paused = true;
			if (!s->opts.quiet)
				fc_warn("scheduler: %s: %s; slot %s does not run", e->key, note, when);
			return FIRE_PAUSED;
		}
	}
	if (conc != CMP_CONCURRENCY_ALLOW) {
		if (running_executions(s, e, a, &running, &nrunning, err))
			goto rollback;
	}
	req = build_request(a, s, e, slot);
	switch (conc) {
	case CMP_CONCURRENCY_REPLACE: {
		char *cause = fc_arena_printf(a, "replaced by the scheduled run of %s (concurrency: replace)", when);
		size_t kept = 0;

		for (i = 0; i < nrunning; i++) {
			if (running[i].phase == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTING)
				continue; /* already being stopped */
			rc = adm_execution_terminate(s->store, &running[i].id, cause, s->principal, err);
			if (rc == FC_ECONFLICT)
				continue; /* finished meanwhile */
			if (rc)
				goto rollback;
			running[kept++] = running[i];
		}
		nrunning = kept;
		if (nrunning) {
			outcome = ADM_SLOT_REPLACED;
			decision = fc_arena_printf(a, "replaced: terminated %s (concurrency: replace)", running[0].id.name);
		}
		break;
	}
	case CMP_CONCURRENCY_SKIP:
		if (nrunning) {
			skip_cause = fc_arena_printf(a, "skipped: the previous scheduled run %s is still %s (concurrency: skip)",
						     running[0].id.name, running[0].phase == 1 ? "QUEUED" : "running");
			decision = skip_cause;
		}
		break;
	case CMP_CONCURRENCY_BUFFER_ONE:
	case CMP_CONCURRENCY_BUFFER_ALL: {
		uint32_t bound = conc == CMP_CONCURRENCY_BUFFER_ONE ? 1 : e->policy.max_buffered ? e->policy.max_buffered
													: SCH_DEFAULT_MAX_BUFFERED;
		const char *what = nrunning ? running[0].id.name : "the slots before it";

		if (!nrunning && !e->waiting_live)
			break;
		if (e->waiting_live >= bound) {
			skip_cause = fc_arena_printf(a, "skipped: %zu slot(s) already wait for %s (concurrency: %s, "
						     "max_buffered %u)", e->waiting_live, what, concurrency_name(conc), bound);
			decision = skip_cause;
			break;
		}
		/* Into the durable buffer: recorded as passed, with no execution until the running one ends. */
		note = fc_arena_printf(a, "waits for %s (concurrency: %s)", what, concurrency_name(conc));
		if (adm_schedule_advance(s->store, &name_id, slot_ns(slot), err) ||
		    log_slot(s, e, slot, ADM_SLOT_BUFFERED, true, NULL, note, 0, err))
			goto rollback;
		if (adm_store_commit(s->store, err))
			return FIRE_FAILED;
		e->waiting_live++;
		e->buffered++;
		s->totals.buffered++;
		if (!s->opts.quiet)
			fc_info("scheduler: %s: slot %s buffered: %s", e->key, when, note);
		return FIRE_BUFFERED;
	}
	case CMP_CONCURRENCY_CANCEL_OTHER: {
		char *cause = fc_arena_printf(a, "cancelled by the scheduled run of %s (concurrency: cancel_other)", when);
		struct adm_slot *older;
		size_t nolder, still = 0;

		if (!nrunning && !e->waiting_live)
			break;
		for (i = 0; i < nrunning; i++) {
			if (running[i].phase != FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTING) {
				rc = adm_execution_terminate(s->store, &running[i].id, cause, s->principal, err);
				if (rc == FC_ECONFLICT)
					continue; /* finished meanwhile */
				if (rc)
					goto rollback;
				cancelled++;
			}
		}
		/* An older slot that was waiting for the same runs to end is superseded by this one. */
		if (e->waiting_live) {
			if (adm_schedule_slot_list(s->store, &name_id, true, CMP_MAX_BUFFERED, a, &older, &nolder, err))
				goto rollback;
			for (i = 0; i < nolder; i++) {
				if (older[i].outcome == ADM_SLOT_BACKFILL)
					continue;
				note = fc_arena_printf(a, "superseded by the slot of %s (concurrency: cancel_other)", when);
				if (log_slot(s, e, ns_to_s(older[i].slot), ADM_SLOT_SKIPPED, false, NULL, note, 0, err))
					goto rollback;
				superseded++;
			}
		}
		/* What is still unfinished now (a queued run nobody claimed became ABORTED at once). */
		if (running_executions(s, e, a, &running, &still, err))
			goto rollback;
		if (!still) {
			outcome = ADM_SLOT_CANCELLED_OTHER;
			decision = fc_arena_printf(a, "cancelled_other: terminated %zu run(s), none left running "
						   "(concurrency: cancel_other)", cancelled);
			e->waiting_live -= superseded;
			break;
		}
		note = fc_arena_printf(a, "terminated %s; waits for it to end (concurrency: cancel_other)",
				       running[0].id.name);
		if (adm_schedule_advance(s->store, &name_id, slot_ns(slot), err) ||
		    log_slot(s, e, slot, ADM_SLOT_CANCELLED_OTHER, true, NULL, note, 0, err))
			goto rollback;
		if (adm_store_commit(s->store, err))
			return FIRE_FAILED;
		e->waiting_live = e->waiting_live - superseded + 1;
		e->skipped += superseded;
		s->totals.skipped += superseded;
		e->cancelled += cancelled;
		s->totals.cancelled += cancelled;
		e->buffered++;
		s->totals.buffered++;
		if (!s->opts.quiet)
			fc_info("scheduler: %s: slot %s: %s", e->key, when, note);
		return FIRE_BUFFERED;
	}
	default:
		break;
	}
	if (skip_cause)
		outcome = ADM_SLOT_SKIPPED;
	set_decision(a, req, decision);
	/* Every failure below rolls the whole fire back, and the one that is retried (a name already taken) wrote
	 * nothing: the store's calls need no savepoints of their own. */
	adm_store_flat(s->store, true);
	dec = entry_lp(s, e, active, a, &dec_tmp, err);
	if (!dec)
		goto rollback;
	result = create_slot_execution(s, e, slot, req, true, dec, a, &created, name, err);
	if (result != FIRE_OK)
		goto rollback;
	result = FIRE_FAILED;
	if (skip_cause) {
		/* The slot is kept, visibly: its execution is created and aborted at once, with the reason. */
		rc = adm_execution_terminate(s->store, &created, skip_cause, s->principal, err);
		if (rc)
			goto rollback;
	}
	/* A slot fired plainly under its derived name needs no row: its execution (that name, this plan, scheduled_at
	 * the slot) is the record, which the slot view reads in its place and slot_taken() finds (docs/schedules.md,
	 * "The slot view"). A row per fire was a third of the pages a burst wrote on a grown store. */
	if ((outcome != ADM_SLOT_FIRED || skip_cause || strcmp(created.name, name)) &&
	    log_slot(s, e, slot, outcome, false, created.name, decision == skip_cause || outcome != ADM_SLOT_FIRED ?
		     decision : "", 0, err))
		goto rollback;
	if (adm_store_commit(s->store, err))
		return FIRE_FAILED;
	e->fired++;
	s->totals.fired++;
	if (skip_cause) {
		e->skipped++;
		s->totals.skipped++;
		if (!s->opts.quiet)
			fc_info("scheduler: %s: slot %s recorded as %s: %s", e->key, when, created.name, skip_cause);
	} else if (conc == CMP_CONCURRENCY_REPLACE && nrunning) { /* the ones terminated now */
		e->replaced += nrunning;
		s->totals.replaced += nrunning;
		if (!s->opts.quiet)
			fc_info("scheduler: %s: slot %s replaced %zu running execution(s) (%s first)", e->key, when,
				nrunning, running[0].id.name);
	} else if (outcome == ADM_SLOT_CANCELLED_OTHER) {
		e->cancelled += cancelled;
		s->totals.cancelled += cancelled;
		e->skipped += superseded;
		s->totals.skipped += superseded;
		if (!s->opts.quiet)
			fc_info("scheduler: %s: slot %s: %s", e->key, when, decision);
	} else if (!s->opts.quiet && fc_log_enabled(FC_LOG_DEBUG)) {
		format_slot(slot, when);
		fc_debug("scheduler: %s: fired slot %s as %s", e->key, when, created.name);
	}
	return FIRE_OK;
rollback:
	adm_store_rollback(s->store);
	if (outcome == ADM_SLOT_CANCELLED_OTHER)
		e->waiting_live += superseded; /* nothing of it was written */
	return result;
}

/*
 * One fire (fire_level). Inside a batch, a plain fire (overlap policy `allow`, no pause_on_failure: it writes the
 * execution, the last slot and the slot's row, and can fail after writing only when the store does) runs without
 * a savepoint of its own: the savepoint's page copies were about a seventh of a fire (bench/RESULTS.md,
 * 2026-12-07 h4F). When such a fire fails after it wrote something, the batch is spoiled; step_locked() rolls it
 * back whole and reloads, as after a failed batch commit. The other policies write (terminations, the buffer)
 * before steps that can refuse, so their fires keep a savepoint and fail alone.
 */
static enum fire_result fire(struct sch *s, struct sch_entry *e, int64_t slot, struct fc_arena *a,
			     struct adm_entity *active, struct fc_err *err)
{
	bool flat = s->batch_open && e->policy.concurrency == CMP_CONCURRENCY_ALLOW && !e->policy.pause_on_failure;
	int64_t written = 0;
	enum fire_result r;

	if (flat) {
		written = adm_store_total_changes(s->store);
		adm_store_flat(s->store, true);
	}
	r = fire_level(s, e, slot, a, active, err);
	if (flat) {
		adm_store_flat(s->store, false);
		if (r == FIRE_FAILED && adm_store_total_changes(s->store) != written) {
			s->batch_spoiled = true;
			free(s->spoiled_key);
			s->spoiled_key = fc_xstrdup(e->key);
		}
	}
	return r;
}

/*
 * Start the slots that wait, oldest first: a buffered (or cancel_other) slot when no scheduled run of the plan is
 * unfinished, one at a time; a backfill slot while fewer than its `parallel` backfill runs are unfinished. Each start
 * is one transaction: the execution and the row leaving the queue.
 */
static void entry_drain(struct sch *s, struct sch_entry *e, int64_t now_ns)
{
	const struct adm_id name_id = {e->project, e->domain, e->name, NULL};
	struct adm_slot *rows;
	struct fc_arena a;
	struct fc_err err;
	size_t n, i, bf_running = 0;
	bool live_blocked = false, bf_blocked = false, bf_counted = false;

	(void)now_ns;
	fc_arena_init(&a, 0);
	if (adm_schedule_slot_list(s->store, &name_id, true, CMP_MAX_BUFFERED + SCH_BACKFILL_MAX, &a, &rows, &n,
				   &err)) {
		if (!s->opts.quiet)
			fc_warn("scheduler: %s: cannot read the waiting slots: %s", e->key, err.msg);
		goto out;
	}
	/* what the store says is authoritative (a restart, a backfill queued meanwhile) */
	e->waiting_live = e->waiting_bf = 0;
	for (i = 0; i < n; i++) {
		if (rows[i].outcome == ADM_SLOT_BACKFILL)
			e->waiting_bf++;
		else
			e->waiting_live++;
	}
	for (i = 0; i < n && !(live_blocked && bf_blocked); i++) {
		struct adm_slot *r = &rows[i];
		bool bf = r->outcome == ADM_SLOT_BACKFILL;
		Flyteidl__Admin__ExecutionCreateRequest *req;
		struct adm_execution *running;
		struct adm_exec_id created;
		char name[SCH_EXEC_NAME_LEN + 1], when[FC_RFC3339_MAX];
		const char *decision, *detail;
		int64_t slot = ns_to_s(r->slot);
		size_t nrunning = 0;

		if (bf ? bf_blocked : live_blocked)
			continue;
		if (bf) {
			if (!bf_counted && adm_schedule_backfill_running(s->store, &name_id, &bf_running, &err))
				break;
			bf_counted = true;
			if (bf_running >= (r->parallel ? r->parallel : 1)) {
				bf_blocked = true;
				continue;
			}
		} else {
			if (running_executions(s, e, &a, &running, &nrunning, &err))
				break;
			if (nrunning) {
				live_blocked = true;
				continue;
			}
		}
		format_slot(slot, when);
		req = build_request(&a, s, e, slot);
		decision = bf ? fc_arena_printf(&a, "backfill: %s", r->detail)
			      : fc_arena_printf(&a, "%s: waited from %s; %s", adm_slot_outcome_name(r->outcome), when,
						r->detail);
		set_decision(&a, req, decision);
		if (adm_store_begin(s->store, &err))
			break;
		if (create_slot_execution(s, e, slot, req, false, NULL, &a, &created, name, &err) != FIRE_OK) {
			adm_store_rollback(s->store);
			if (!s->opts.quiet)
				fc_warn("scheduler: %s: slot %s cannot start: %s", e->key, when, err.msg);
			if (bf)
				bf_blocked = true;
			else
				live_blocked = true;
			continue;
		}
		detail = r->detail;
		if (log_slot(s, e, slot, r->outcome, false, created.name, detail, r->parallel, &err) ||
		    adm_store_commit(s->store, &err)) {
			adm_store_rollback(s->store);
			break;
		}
		e->fired++;
		s->totals.fired++;
		if (bf) {
			e->waiting_bf--;
			bf_running++;
		} else {
			e->waiting_live--;
			live_blocked = true; /* it runs now: the next one waits for it */
		}
		if (!s->opts.quiet)
			fc_info("scheduler: %s: slot %s started as %s (%s)", e->key, when, created.name,
				adm_slot_outcome_name(r->outcome));
	}
out:
	fc_arena_release(&a);
}

static void entry_remove(struct sch *s, struct sch_entry *e);

/* An entry came up at `now_ns`. */
static void entry_process(struct sch *s, struct sch_entry *e, int64_t now_ns)
{
	struct adm_entity active;
	struct fc_arena a;
	struct fc_err err;
	enum fire_result r;
	int64_t slot;

	if (!e->expr) {
		/* Unparsable: look at the active version again (a fix may have been registered without a notify). */
		const struct adm_id name_id = {e->project, e->domain, e->name, NULL};
		int rc;

		fc_arena_init(&a, 0);
		rc = adm_launch_plan_get_active(s->store, &name_id, &a, &active, &err);
		if (rc == FC_ENOENT || (!rc && !active.has_schedule)) {
			entry_remove(s, e);
		} else if (rc) {
			entry_fail(s, e, err.msg, now_ns);
			entry_arm(s, e, now_ns);
		} else if (entry_changed(e, &active)) {
			entry_load(s, e, &active, now_ns);
		} else {
			entry_fail(s, e, e->error ? e->error : "unusable schedule", now_ns);
			entry_arm(s, e, now_ns);
		}
		fc_arena_release(&a);
		return;
	}
	if (e->waiting_live || e->waiting_bf)
		entry_drain(s, e, now_ns);
	slot = e->pending;
	if (slot == SCH_NEVER || sat_add(slot_ns(slot), e->jitter_ns) > now_ns ||
	    (e->retry_ns != SCH_NEVER && e->retry_ns > now_ns)) {
		/* it came up to look at its waiting slots; its own slot is not due yet */
		entry_arm(s, e, now_ns);
		return;
	}
	if (is_late(s, e, slot, now_ns) && !in_episode(e, slot)) {
		/* Late without the policy having chosen it (a stalled process, a retry after a failure). */
		e->retry_ns = SCH_NEVER;
		entry_arm(s, e, now_ns);
		if (e->due_ns > now_ns || e->pending == SCH_NEVER)
			return;
		heap_remove(s, e);
		slot = e->pending;
	}
	fc_arena_init(&a, 0);
	r = fire(s, e, slot, &a, &active, &err);
	switch (r) {
	case FIRE_OK:
	case FIRE_BUFFERED:
		e->last_slot = slot;
		entry_recover(s, e);
		entry_arm(s, e, now_ns);
		break;
	case FIRE_PAUSED:
		e->last_slot = slot;
		e->pause_changed_ns = adm_store_now(s->store);
		entry_recover(s, e);
		entry_arm(s, e, now_ns);
		break;
	case FIRE_ALREADY:
		e->last_slot = ns_to_s(adm_schedule_last_slot(s->store, &(struct adm_id){e->project, e->domain, e->name,
											      NULL}));
		entry_recover(s, e);
		entry_arm(s, e, now_ns);
		break;
	case FIRE_CHANGED:
		entry_load(s, e, &active, now_ns);
		break;
	case FIRE_GONE:
		entry_remove(s, e);
		break;
	case FIRE_FAILED: {
		char when[FC_RFC3339_MAX], *msg;

		format_slot(slot, when);
		msg = fc_arena_printf(&a, "slot %s: %s", when, err.msg);
		entry_fail(s, e, msg, now_ns);
		entry_arm(s, e, now_ns);
		break;
	}
	}
	fc_arena_release(&a);
}

/* ------------------------------------------------------------------------------------------------------------
 * Reloading. The entries map has no delete, so removals rebuild it (reloads are O(n) anyway).
 */
static void entries_rebuild(struct sch *s, bool drop_unseen)
{
	struct fc_strmap kept = FC_STRMAP_INIT;
	size_t i;

	for (i = 0; i < s->entries.cap; i++) {
		struct sch_entry *e = s->entries.slots[i].value;

		if (!s->entries.slots[i].key)
			continue;
		if (e->dead || (drop_unseen && e->gen != s->gen)) {
			heap_remove(s, e);
			entry_lp_drop(s, e);
			entry_free(e);
			continue;
		}
		fc_strmap_put(&kept, e->key, e);
	}
	fc_strmap_release(&s->entries);
	s->entries = kept;
	s->dead = 0;
}

/* Take an entry out (its launch plan was deactivated). It stays in the map, which borrows its key, until
 * purge_dead() rebuilds the map at the end of the pass. */
static void entry_remove(struct sch *s, struct sch_entry *e)
{
	if (!s->opts.quiet)
		fc_info("scheduler: %s: no longer scheduled (deactivated)", e->key);
	heap_remove(s, e);
	e->dead = true;
	s->dead++;
}

static void purge_dead(struct sch *s)
{
	if (s->dead)
		entries_rebuild(s, false);
}

static bool pause_changed(const struct sch_entry *e, const struct adm_scheduled_lp *row)
{
	return e->paused != row->paused || e->pause_changed_ns != row->pause_changed_at ||
	       e->resume_from_s != (row->resume_from > 0 ? ns_to_s(row->resume_from) : SCH_NEVER);
}

static void pause_apply(struct sch_entry *e, const struct adm_scheduled_lp *row)
{
	if (row->waiting && !e->waiting_live && !e->waiting_bf)
		e->waiting_live = row->waiting; /* a restart: entry_drain() reads which kind they are */
	e->paused = row->paused;
	e->resume_from_s = row->resume_from > 0 ? ns_to_s(row->resume_from) : SCH_NEVER;
	e->pause_changed_ns = row->pause_changed_at;
	free(e->pause_note);
	e->pause_note = row->paused && row->pause_note ? fc_xstrdup(row->pause_note) : NULL;
}

static int reload_locked(struct sch *s, int64_t now_ns, struct fc_err *err)
{
	struct adm_scheduled_lp *rows;
	struct fc_arena a;
	size_t n, i, added = 0, changed = 0, before;
	/* taken before the list is read: a change after it moves the epoch, so no entry is trusted past a change */
	uint64_t epoch = adm_store_entities_epoch(s->store);
	int rc;

	fc_arena_init(&a, 1 << 20);
	rc = adm_schedule_list(s->store, &a, &rows, &n, err);
	if (rc) {
		fc_arena_release(&a);
		return rc;
	}
	purge_dead(s);
	s->gen++;
	before = s->entries.size;
	for (i = 0; i < n; i++) {
		const struct adm_entity *lp = &rows[i].lp;
		int64_t last = ns_to_s(rows[i].last_slot);
		struct sch_entry *e;
		char *key = fc_arena_printf(&a, "%s/%s/%s", lp->id.project, lp->id.domain, lp->id.name);

		e = fc_strmap_get(&s->entries, key);
		if (e && !entry_changed(e, lp) && pause_changed(e, &rows[i])) {
			pause_apply(e, &rows[i]);
			e->ep_active = false;
			if (last != SCH_NEVER && (e->last_slot == SCH_NEVER || last > e->last_slot))
				e->last_slot = last;
			entry_arm(s, e, now_ns);
			changed++;
			e->gen = s->gen;
			if (e->lp_arena)
				e->lp_epoch = epoch;
			continue;
		}
		if (e)
			pause_apply(e, &rows[i]);
		if (!e) {
			e = entry_new(&lp->id);
			e->last_slot = last;
			pause_apply(e, &rows[i]);
			fc_strmap_put(&s->entries, e->key, e);
			entry_load(s, e, lp, now_ns);
			if (e->waiting_live && e->expr && !e->paused && e->due_ns > now_ns) {
				e->due_ns = now_ns; /* slots waited before a restart: look at them now */
				heap_place(s, e);
			}
			added++;
		} else if (entry_changed(e, lp)) {
			if (last != SCH_NEVER && (e->last_slot == SCH_NEVER || last > e->last_slot))
				e->last_slot = last;
			entry_load(s, e, lp, now_ns);
			changed++;
		} else if (last != SCH_NEVER && (e->last_slot == SCH_NEVER || last > e->last_slot)) {
			e->last_slot = last; /* fired elsewhere: move on */
			if (e->expr)
				entry_arm(s, e, now_ns);
		}
		e->gen = s->gen;
		if (e->lp_arena)
			e->lp_epoch = epoch; /* its decoded version is this row's (made from it, or checked equal) */
	}
	entries_rebuild(s, true);
	exprs_compact(s);
	s->loaded = true;
	s->totals.reloads++;
	if (!s->opts.quiet && (added || changed || before + added != s->entries.size))
		fc_info("scheduler: %zu schedule(s) armed (%zu new, %zu changed, %zu removed)", s->entries.size, added,
			changed, before + added - s->entries.size);
	fc_arena_release(&a);
	return 0;
}

/* ------------------------------------------------------------------------------------------------------------
 * Passes and the thread.
 */
static bool take_notified(struct sch *s)
{
	bool notified;

	pthread_mutex_lock(&s->wake_mu);
	notified = s->notified;
	s->notified = false;
	pthread_mutex_unlock(&s->wake_mu);
	return notified;
}

static bool stop_requested(struct sch *s)
{
	bool stop;

	pthread_mutex_lock(&s->wake_mu);
	stop = s->stopping;
	pthread_mutex_unlock(&s->wake_mu);
	return stop;
}

static int64_t next_deadline(const struct sch *s)
{
	return s->heap_nr ? s->heap[0]->due_ns : SCH_FOREVER;
}

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/*
 * End a batch of fires (one store transaction). When the commit fails, none of the batch's fires exist, but the
 * entries moved past them: drop every entry and load them again from what the store kept.
 */
static int batch_end(struct sch *s, int64_t now_ns, struct fc_err *err)
{
	struct fc_err cerr;

	s->batch_open = false;
	if (!adm_store_commit(s->store, &cerr)) {
		s->commit_failures = 0;
		s->commit_retry_ns = 0;
		return 0;
	}
	s->commit_failures++;
	s->commit_retry_ns = sat_add(now_ns, backoff_ns(s, s->commit_failures));
	if (!s->opts.quiet)
		fc_error("scheduler: a batch of fires was not committed (%s): reloading every schedule, firing again in "
			 "%" PRId64 " s",
			 cerr.msg, backoff_ns(s, s->commit_failures) / NS_PER_S);
	s->gen++;
	entries_rebuild(s, true); /* every entry is of an older generation: all go */
	s->loaded = false;
	return reload_locked(s, now_ns, err);
}

/*
 * A fire without a savepoint failed after writing (fire()): roll the batch back and load every entry again, as
 * after a failed commit. The entry that failed keeps its failure and backoff (it would otherwise be due again at
 * once and spoil the next batch); the others fire again, in the same pass.
 */
static int batch_spoiled(struct sch *s, int64_t now_ns, struct fc_err *err)
{
	struct sch_entry *e = fc_strmap_get(&s->entries, s->spoiled_key);
	char *msg = e && e->error ? fc_xstrdup(e->error) : NULL;
	uint32_t failures = e ? e->failures : 0;
	int64_t retry_ns = e ? e->retry_ns : SCH_NEVER;
	int rc;

	s->batch_open = false;
	s->batch_spoiled = false;
	adm_store_rollback(s->store);
	if (!s->opts.quiet)
		fc_error("scheduler: %s: a fire failed after writing (%s): its batch is rolled back, reloading every "
			 "schedule", s->spoiled_key, msg ? msg : "?");
	s->gen++;
	entries_rebuild(s, true);
	s->loaded = false;
	rc = reload_locked(s, now_ns, err);
	e = rc ? NULL : fc_strmap_get(&s->entries, s->spoiled_key);
	if (e && msg && e->expr) {
		entry_set_error(e, msg);
		e->failures = failures;
		e->retry_ns = retry_ns;
		e->ep_active = false;
		entry_arm(s, e, now_ns);
	}
	free(msg);
	free(s->spoiled_key);
	s->spoiled_key = NULL;
	return rc;
}

static int step_locked(struct sch *s, int64_t now_ns, int64_t *next_ns, struct fc_err *err)
{
	struct sch_entry *e;
	size_t in_batch = 0;
	bool batch = false;
	double batch_start = 0;
	int rc = 0;

	if (take_notified(s) || !s->loaded)
		rc = reload_locked(s, now_ns, err);
	s->totals.passes++;
	/* `now_ns` is fixed for the pass: what was due when it began is judged on time or late against it. A stop
	 * ends a long pass (a big catch-up) between two fires; what was not fired stays due for the next start. The
	 * fires share store transactions of up to SCH_FIRE_BATCH fires or SCH_FIRE_BATCH_MS (a fire is undone alone by
	 * its savepoint, or, a plain one without, by rolling the batch back: fire()). The store's checkpoint waits for
	 * the end of the pass: in the middle of a burst it would delay the fires after it by its writes and
	 * fdatasyncs. */
	adm_store_defer_checkpoints(s->store, true);
	/* after a failed batch commit nothing fires before its retry time, or the same slots would be fired and
	 * refused again at once, for ever, while the disk stays full */
	while (now_ns >= s->commit_retry_ns && !stop_requested(s) && (e = heap_pop_due(s, now_ns))) {
		if (!batch && s->opts.fire_batch > 1 && !adm_store_begin(s->store, NULL)) {
			batch = true;
			s->batch_open = true;
			in_batch = 0;
			batch_start = mono_ms();
		}
		entry_process(s, e, now_ns);
		if (s->batch_spoiled) {
			int brc = batch_spoiled(s, now_ns, err);

			batch = false;
			if (brc && !rc)
				rc = brc;
			continue;
		}
		if (batch && (++in_batch >= s->opts.fire_batch || mono_ms() - batch_start >= SCH_FIRE_BATCH_MS)) {
			batch = false;
			int brc = batch_end(s, now_ns, err);

			if (brc && !rc)
				rc = brc;
		}
	}
	if (batch) {
		int brc = batch_end(s, now_ns, err);

		if (brc && !rc)
			rc = brc;
	}
	adm_store_defer_checkpoints(s->store, false);
	purge_dead(s);
	if (next_ns) {
		*next_ns = next_deadline(s);
		if (*next_ns < s->commit_retry_ns)
			*next_ns = s->commit_retry_ns;
	}
	return rc;
}

int sch_step(struct sch *s, int64_t now_ns, int64_t *next_ns, struct fc_err *err)
{
	int rc;

	pthread_mutex_lock(&s->mu);
	rc = step_locked(s, now_ns, next_ns, err);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int sch_reload(struct sch *s, struct fc_err *err)
{
	int rc;

	pthread_mutex_lock(&s->mu);
	rc = reload_locked(s, s->clock.now(s->clock.ctx), err);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static void *thread_main(void *arg)
{
	struct sch *s = arg;

	for (;;) {
		int64_t now = s->clock.now(s->clock.ctx), next = SCH_FOREVER;
		struct fc_err err;
		bool failed = false;

		if (sch_step(s, now, &next, &err)) {
			int64_t retry = sat_add(now, s->opts.backoff_min_s * NS_PER_S);

			/* the store failed to list the schedules: reload again at the retry time (or earlier if due) */
			if (!s->opts.quiet)
				fc_error("scheduler: %s (reloading in %" PRId64 "s)", err.msg, s->opts.backoff_min_s);
			if (retry < next)
				next = retry;
			failed = true;
		}
		pthread_mutex_lock(&s->wake_mu);
		if (s->stopping) {
			pthread_mutex_unlock(&s->wake_mu);
			break;
		}
		if (failed || !s->notified)
			s->clock.wait(s->clock.ctx, &s->wake_cond, &s->wake_mu, next);
		if (failed)
			s->notified = true;
		pthread_mutex_unlock(&s->wake_mu);
	}
	return NULL;
}

int sch_start(struct sch *s, struct fc_err *err)
{
	int rc;

	pthread_mutex_lock(&s->wake_mu);
	if (s->running) {
		pthread_mutex_unlock(&s->wake_mu);
		return fc_err_set(err, FC_ECONFLICT, "scheduler: already running");
	}
	s->stopping = false;
	rc = pthread_create(&s->thread, NULL, thread_main, s);
	if (!rc)
		s->running = true;
	pthread_mutex_unlock(&s->wake_mu);
	if (rc)
		return fc_err_set(err, FC_EINTERNAL, "scheduler: cannot start its thread: %s", strerror(rc));
	return 0;
}

void sch_stop(struct sch *s)
{
	bool running;

	if (!s)
		return;
	pthread_mutex_lock(&s->wake_mu);
	running = s->running;
	s->stopping = true;
	pthread_cond_broadcast(&s->wake_cond);
	pthread_mutex_unlock(&s->wake_mu);
	if (running)
		pthread_join(s->thread, NULL);
	pthread_mutex_lock(&s->wake_mu);
	s->running = false;
	s->stopping = false; /* sch_step() works again, and so does sch_start() */
	pthread_mutex_unlock(&s->wake_mu);
}

void sch_notify(struct sch *s)
{
	pthread_mutex_lock(&s->wake_mu);
	s->notified = true;
	pthread_cond_broadcast(&s->wake_cond);
	pthread_mutex_unlock(&s->wake_mu);
}

/* ------------------------------------------------------------------------------------------------------------
 * Construction and status.
 */
int sch_new(struct adm_store *store, const struct sch_clock *clock, const struct sch_options *opts,
	    struct sch **out, struct fc_err *err)
{
	struct sch *s;

	*out = NULL;
	if (!store)
		return fc_err_set(err, FC_EINVAL, "scheduler: no store");
	if (clock && (!clock->now || !clock->wait))
		return fc_err_set(err, FC_EINVAL, "scheduler: the clock needs now() and wait()");
	s = fc_xcalloc(1, sizeof(*s));
	s->store = store;
	s->clock = clock ? *clock : *sch_clock_real();
	if (opts)
		s->opts = *opts;
	if (s->opts.grace_s <= 0)
		s->opts.grace_s = SCH_DEFAULT_GRACE_S;
	if (s->opts.backoff_min_s <= 0)
		s->opts.backoff_min_s = SCH_DEFAULT_BACKOFF_MIN_S;
	if (s->opts.backoff_max_s <= 0)
		s->opts.backoff_max_s = SCH_DEFAULT_BACKOFF_MAX_S;
	if (s->opts.poll_ms <= 0)
		s->opts.poll_ms = SCH_DEFAULT_POLL_MS;
	if (!s->opts.fire_batch)
		s->opts.fire_batch = SCH_FIRE_BATCH;
	if (s->opts.backoff_max_s < s->opts.backoff_min_s)
		s->opts.backoff_max_s = s->opts.backoff_min_s;
	s->principal = fc_xstrdup(s->opts.principal && *s->opts.principal ? s->opts.principal : "flytec-scheduler");
	s->opts.principal = NULL;
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->wake_mu, NULL);
	pthread_cond_init(&s->wake_cond, NULL);
	*out = s;
	return 0;
}

void sch_free(struct sch *s)
{
	size_t i;

	if (!s)
		return;
	sch_stop(s);
	for (i = 0; i < s->entries.cap; i++)
		if (s->entries.slots[i].key)
			entry_free(s->entries.slots[i].value);
	fc_strmap_release(&s->entries);
	exprs_compact(s);
	for (i = 0; i < s->exprs.cap; i++)
		if (s->exprs.slots[i].key)
			expr_free(s->exprs.slots[i].value);
	fc_strmap_release(&s->exprs);
	for (i = 0; i < s->zones.cap; i++) {
		struct sch_zone *z = s->zones.slots[i].value;

		if (!s->zones.slots[i].key)
			continue;
		fc_tz_free(z->tz);
		free(z->name);
		free(z);
	}
	fc_strmap_release(&s->zones);
	free(s->heap);
	free(s->spoiled_key);
	free((char *)s->principal);
	pthread_cond_destroy(&s->wake_cond);
	pthread_mutex_destroy(&s->wake_mu);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static int status_cmp(const void *pa, const void *pb)
{
	const struct sch_status *a = pa, *b = pb;
	int c = strcmp(a->project, b->project);

	if (!c)
		c = strcmp(a->domain, b->domain);
	return c ? c : strcmp(a->name, b->name);
}

static int slot_desc_cmp(const void *pa, const void *pb)
{
	const struct adm_slot *a = pa, *b = pb;

	return a->slot > b->slot ? -1 : a->slot < b->slot;
}

int sch_status_list(struct sch *s, struct fc_arena *a, struct sch_status **out, size_t *nr, struct fc_err *err)
{
	struct sch_status *list;
	size_t i, n = 0;

	pthread_mutex_lock(&s->mu);
	list = fc_arena_array(a, s->entries.size + 1, sizeof(*list));
	for (i = 0; i < s->entries.cap; i++) {
		const struct sch_entry *e = s->entries.slots[i].value;
		struct sch_status *st;

		if (!s->entries.slots[i].key || e->dead)
			continue;
		st = &list[n++];
		st->project = fc_arena_strdup(a, e->project);
		st->domain = fc_arena_strdup(a, e->domain);
		st->name = fc_arena_strdup(a, e->name);
		st->version = fc_arena_strdup(a, e->version ? e->version : "");
		if (e->expr && e->zone)
			st->expression = fc_arena_printf(a, "CRON_TZ=%s %s", fc_tz_name(e->zone), e->expr->display);
		else
			st->expression = e->expr ? fc_arena_strdup(a, e->expr->display) : NULL;
		st->kickoff_input = e->kickoff ? fc_arena_strdup(a, e->kickoff) : NULL;
		st->catchup = e->policy.catchup;
		st->max_catchup = e->max_catchup;
		st->catchup_window_s = e->window_s;
		st->concurrency = e->policy.concurrency;
		st->anchor_ns = e->activated_ns;
		st->next_fire_ns = slot_ns(e->pending);
		st->due_ns = e->due_ns;
		st->last_slot_ns = slot_ns(e->last_slot);
		st->failing = e->failures > 0;
		st->error = e->failures && e->error ? fc_arena_strdup(a, e->error) : NULL;
		st->failures = e->failures;
		st->fired = e->fired;
		st->skipped = e->skipped;
		st->replaced = e->replaced;
		st->missed = e->missed;
		st->paused = e->paused;
		st->pause_note = e->pause_note ? fc_arena_strdup(a, e->pause_note) : NULL;
		st->pause_changed_ns = e->pause_changed_ns ? e->pause_changed_ns : SCH_NEVER;
		st->dst_repeat = e->dst.repeat;
		st->dst_skip = e->dst.skip;
		st->jitter_ns = e->jitter_ns;
		st->max_buffered = e->policy.max_buffered ? e->policy.max_buffered : SCH_DEFAULT_MAX_BUFFERED;
		st->pause_on_failure = e->policy.pause_on_failure;
		st->buffered = e->buffered;
		st->cancelled = e->cancelled;
		st->waiting = e->waiting_live + e->waiting_bf;
		for (int k = 0; k < SCH_STATUS_NEXT; k++) {
			int64_t slot = !e->expr ? SCH_NEVER : k == 0 ? e->pending : ns_to_s(st->next_slots_ns[k - 1]);

			if (k && slot != SCH_NEVER)
				slot = next_slot(e, slot);
			st->next_slots_ns[k] = slot_ns(slot);
			st->next_fires_ns[k] = slot == SCH_NEVER ? SCH_NEVER : sat_add(slot_ns(slot), e->jitter_ns);
		}
	}
	pthread_mutex_unlock(&s->mu);
	qsort(list, n, sizeof(*list), status_cmp);
	/* the slot log, read outside the scheduler's lock (the store has its own) */
	for (i = 0; i < n; i++) {
		struct sch_status *st = &list[i];
		const struct adm_id name_id = {st->project, st->domain, st->name, NULL};
		struct adm_slot *rows;
		size_t nrows, k;

		struct adm_slot *wait;
		size_t nwait, w, m;

		if (adm_schedule_slot_list(s->store, &name_id, false, SCH_STATUS_SLOTS, a, &rows, &nrows, err) ||
		    (st->waiting && adm_schedule_slot_list(s->store, &name_id, true, SCH_STATUS_SLOTS, a, &wait, &nwait,
							   err)))
			return FC_EIO;
		/* the waiting slots always show (older than the newest 10 when later slots were skipped): each takes
		 * the place of the oldest slot that does not wait */
		for (w = 0; st->waiting && w < nwait; w++) {
			for (m = 0; m < nrows && rows[m].slot != wait[w].slot; m++)
				;
			if (m < nrows)
				continue;
			for (m = nrows; m > 0 && rows[m - 1].waiting; m--)
				;
			if (!m)
				break;
			memmove(&rows[m - 1], &rows[m], (nrows - m) * sizeof(*rows));
			rows[nrows - 1] = wait[w];
			qsort(rows, nrows, sizeof(*rows), slot_desc_cmp);
		}
		for (k = 0; k < nrows && k < SCH_STATUS_SLOTS; k++) {
			st->slots[k].slot_ns = rows[k].slot;
			st->slots[k].outcome = adm_slot_outcome_name(rows[k].outcome);
			st->slots[k].waiting = rows[k].waiting;
			st->slots[k].execution = rows[k].execution;
			st->slots[k].detail = rows[k].detail;
		}
		st->nslots = k;
	}
	*out = list;
	*nr = n;
	return 0;
}

void sch_get_stats(struct sch *s, struct sch_stats *out)
{
	size_t i;

	pthread_mutex_lock(&s->mu);
	*out = s->totals;
	out->schedules = 0;
	out->failing = 0;
	for (i = 0; i < s->entries.cap; i++) {
		const struct sch_entry *e = s->entries.slots[i].value;

		if (!s->entries.slots[i].key || e->dead)
			continue;
		out->schedules++;
		if (e->failures)
			out->failing++;
	}
	out->shared_expressions = s->exprs.size;
	pthread_mutex_unlock(&s->mu);
}

/* ------------------------------------------------------------------------------------------------------------
 * JSON for the API and the console.
 */
static void json_time(struct fc_buf *out, const char *key, int64_t ns)
{
	char t[SCH_TIME_MAX];

	fc_buf_addf(out, ",\"%s\":", key);
	if (ns == SCH_NEVER || ns == SCH_FOREVER) {
		fc_buf_adds(out, "null");
		return;
	}
	sch_format_time(ns, t);
	fc_buf_add_json_string(out, t, strlen(t));
}

static void json_str(struct fc_buf *out, const char *key, const char *v, bool first)
{
	fc_buf_addf(out, "%s\"%s\":", first ? "" : ",", key);
	if (v)
		fc_buf_add_json_string(out, v, strlen(v));
	else
		fc_buf_adds(out, "null");
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static void prom_label(struct fc_buf *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fc_buf_addch(out, '\\');
		if (*v == '\n')
			fc_buf_adds(out, "\\n");
		else
			fc_buf_addch(out, *v);
	}
}

void sch_metrics_render(struct sch *s, struct fc_buf *out)
{
	struct sch_stats st;
	bool header = false;

	sch_get_stats(s, &st);
	fc_buf_addf(out,
		    "# HELP flytec_scheduler_slots_total Slots by outcome since the scheduler started.\n"
		    "# TYPE flytec_scheduler_slots_total counter\n"
		    "flytec_scheduler_slots_total{outcome=\"fired\"} %" PRIu64 "\n"
		    "flytec_scheduler_slots_total{outcome=\"skipped\"} %" PRIu64 "\n"
		    "flytec_scheduler_slots_total{outcome=\"replaced\"} %" PRIu64 "\n"
		    "flytec_scheduler_slots_total{outcome=\"missed\"} %" PRIu64 "\n"
		    "flytec_scheduler_slots_total{outcome=\"buffered\"} %" PRIu64 "\n"
		    "flytec_scheduler_slots_total{outcome=\"cancelled_other\"} %" PRIu64 "\n"
		    "# HELP flytec_scheduler_schedules Schedules armed, by state.\n"
		    "# TYPE flytec_scheduler_schedules gauge\n"
		    "flytec_scheduler_schedules{state=\"ok\"} %zu\n"
		    "flytec_scheduler_schedules{state=\"failing\"} %zu\n",
		    st.fired, st.skipped, st.replaced, st.missed, st.buffered, st.cancelled, st.schedules - st.failing, st.failing);
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->entries.cap; i++) {
		const struct sch_entry *e = s->entries.slots[i].value;

		if (!s->entries.slots[i].key || e->dead || !e->missed)
			continue;
		if (!header) {
			fc_buf_adds(out, "# HELP flytec_scheduler_missed_slots_total Slots the catch-up policy did not fire, "
					 "per schedule.\n# TYPE flytec_scheduler_missed_slots_total counter\n");
			header = true;
		}
		fc_buf_adds(out, "flytec_scheduler_missed_slots_total{project=\"");
		prom_label(out, e->project);
		fc_buf_adds(out, "\",domain=\"");
		prom_label(out, e->domain);
		fc_buf_adds(out, "\",launch_plan=\"");
		prom_label(out, e->name);
		fc_buf_addf(out, "\"} %" PRIu64 "\n", e->missed);
	}
	pthread_mutex_unlock(&s->mu);
}

void sch_status_render_json(const struct sch_status *list, size_t n, struct fc_buf *out)
{
	static const char *const catchups[] = {"latest", "all", "none"};
	size_t i;

	fc_buf_adds(out, "{\"schedules\":[");
	for (i = 0; i < n; i++) {
		const struct sch_status *st = &list[i];

		fc_buf_adds(out, i ? ",{" : "{");
		json_str(out, "project", st->project, true);
		json_str(out, "domain", st->domain, false);
		json_str(out, "name", st->name, false);
		json_str(out, "version", st->version, false);
		json_str(out, "expression", st->expression, false);
		json_str(out, "kickoffInput", st->kickoff_input, false);
		json_str(out, "catchUp", st->catchup >= 0 && st->catchup < 3 ? catchups[st->catchup] : "latest", false);
		fc_buf_addf(out, ",\"maxCatchUp\":%u,\"catchUpWindowSeconds\":%" PRId64, st->max_catchup,
			    st->catchup_window_s);
		json_str(out, "concurrency", concurrency_name(st->concurrency), false);
		json_time(out, "activatedAt", st->anchor_ns);
		json_time(out, "nextFire", st->next_fire_ns);
		json_time(out, "due", st->due_ns);
		json_time(out, "lastSlot", st->last_slot_ns);
		fc_buf_addf(out, ",\"failing\":%s", st->failing ? "true" : "false");
		json_str(out, "error", st->error, false);
		fc_buf_addf(out,
			    ",\"failures\":%u,\"fired\":%" PRIu64 ",\"skipped\":%" PRIu64 ",\"replaced\":%" PRIu64
			    ",\"missed\":%" PRIu64,
			    st->failures, st->fired, st->skipped, st->replaced, st->missed);
		fc_buf_addf(out, ",\"paused\":%s", st->paused ? "true" : "false");
		json_str(out, "pauseNote", st->pause_note, false);
		json_time(out, "pauseChangedAt", st->pause_changed_ns);
		json_str(out, "dstRepeat", fc_cron_dst_repeat_name((enum fc_cron_dst_repeat)st->dst_repeat), false);
		json_str(out, "dstSkip", fc_cron_dst_skip_name((enum fc_cron_dst_skip)st->dst_skip), false);
		fc_buf_addf(out, ",\"jitterMs\":%" PRId64 ",\"nextFires\":[", st->jitter_ns / 1000000);
		for (int k = 0, m = 0; k < SCH_STATUS_NEXT; k++) {
			if (st->next_fires_ns[k] == SCH_NEVER)
				continue;
			char t[SCH_TIME_MAX];

			sch_format_time(st->next_slots_ns[k], t);
			fc_buf_addf(out, "%s{\"slot\":\"%s\"", m++ ? "," : "", t); /* RFC 3339: nothing to escape */
			json_time(out, "firesAt", st->next_fires_ns[k]);
			fc_buf_addch(out, '}');
		}
		fc_buf_addf(out, "],\"maxBuffered\":%u,\"pauseOnFailure\":%u,\"buffered\":%" PRIu64 ",\"cancelled\":%" PRIu64
			    ",\"waiting\":%zu,\"slots\":[", st->max_buffered, st->pause_on_failure, st->buffered, st->cancelled,
			    st->waiting);
		for (size_t k = 0; k < st->nslots; k++) {
			const struct sch_slot_view *v = &st->slots[k];
			char t[SCH_TIME_MAX];

			sch_format_time(v->slot_ns, t);
			fc_buf_addf(out, "%s{\"slot\":\"%s\"", k ? "," : "", t);
			json_str(out, "outcome", v->outcome, false);
			fc_buf_addf(out, ",\"waiting\":%s", v->waiting ? "true" : "false");
			json_str(out, "execution", v->execution, false);
			json_str(out, "detail", v->detail, false);
			fc_buf_addch(out, '}');
		}
		fc_buf_adds(out, "]}");
	}
	fc_buf_adds(out, "]}");
}

/* ------------------------------------------------------------------------------------------------------------
 * Backfill.
 */

/* The slot was run already: the slot log has it (other than missed), or its execution exists. */
static bool slot_taken(struct sch *s, const struct sch_entry *e, int64_t slot, struct fc_arena *a,
		       const char **execution, struct fc_err *err, int *rc)
{
	const struct adm_id name_id = {e->project, e->domain, e->name, NULL};
	struct adm_slot row;
	unsigned attempt;

	*execution = NULL;
	*rc = adm_schedule_slot_get(s->store, &name_id, slot_ns(slot), a, &row, err);
	if (!*rc && row.outcome != ADM_SLOT_MISSED) {
		*execution = row.execution;
		return true;
	}
	if (*rc && *rc != FC_ENOENT)
		return false;
	*rc = 0;
	for (attempt = 0; attempt < NAME_ATTEMPTS; attempt++) {
		char name[SCH_EXEC_NAME_LEN + 1];
		struct adm_execution x;
		struct adm_exec_id id;
		struct fc_err ignored;

		sch_execution_name(e->project, e->domain, e->name, slot, attempt, name);
		id = (struct adm_exec_id){e->project, e->domain, name};
		if (adm_execution_get(s->store, &id, a, &x, &ignored))
			continue;
		if (x.launch_plan.name && !strcmp(x.launch_plan.name, e->name) && x.scheduled_at == slot_ns(slot)) {
			*execution = fc_arena_strdup(a, name);
			return true;
		}
	}
	return false;
}

int sch_backfill(struct sch *s, const char *project, const char *domain, const char *name, int64_t from_ns,
		 int64_t *to_io, uint32_t parallel, bool dry_run, struct fc_arena *a, struct sch_backfill_slot **out,
		 size_t *nr, struct fc_err *err)
{
	int64_t to_ns = *to_io;
	struct sch_backfill_slot *list = NULL;
	struct sch_entry *e;
	char *key = fc_arena_printf(a, "%s/%s/%s", project, domain, name), *detail;
	char from_s[SCH_TIME_MAX], to_s[SCH_TIME_MAX];
	int64_t now_ns, t, last;
	size_t n = 0, alloc = 0, queued = 0;
	bool in_tx = false;
	int rc = 0;

	*out = NULL;
	*nr = 0;
	if (parallel < 1 || parallel > SCH_BACKFILL_MAX_PARALLEL)
		return fc_err_set(err, FC_EINVAL, "parallel is a whole number from 1 to %d", SCH_BACKFILL_MAX_PARALLEL);
	if (from_ns > to_ns)
		return fc_err_set(err, FC_EINVAL, "the range ends before it starts");
	pthread_mutex_lock(&s->mu);
	now_ns = s->clock.now(s->clock.ctx);
	if (!s->loaded && (rc = reload_locked(s, now_ns, err)))
		goto out;
	e = fc_strmap_get(&s->entries, key);
	if (!e || e->dead) {
		rc = fc_err_set(err, FC_ENOENT, "launch plan %s has no active schedule", key);
		goto out;
	}
	if (!e->expr) {
		rc = fc_err_set(err, FC_EINVAL, "launch plan %s: the schedule cannot be used: %s", key,
				e->error ? e->error : "unparsable");
		goto out;
	}
	if (from_ns > now_ns) {
		rc = fc_err_set(err, FC_EINVAL, "the range starts after now: slots to come are the scheduler's");
		goto out;
	}
	if (to_ns > now_ns)
		*to_io = to_ns = now_ns;
	sch_format_time(from_ns, from_s);
	sch_format_time(to_ns, to_s);
	detail = fc_arena_printf(a, "%s to %s, parallel %u", from_s, to_s, parallel);
	last = ns_to_s(to_ns);
	/* the first slot at or after from_ns (slots are whole seconds) */
	for (t = next_slot(e, ns_to_s(from_ns) + (from_ns % NS_PER_S ? 1 : 0) - 1); t != SCH_NEVER && t <= last; t = next_slot(e, t)) {
		if (n == SCH_BACKFILL_MAX) {
			rc = fc_err_set(err, FC_EINVAL, "the range has more than %d slots; split it", SCH_BACKFILL_MAX);
			goto out;
		}
		FC_ALLOC_GROW(list, n + 1, alloc);
		list[n].slot_ns = slot_ns(t);
		list[n].state = NULL;
		list[n].execution = NULL;
		n++;
	}
	if (!dry_run && e->waiting_bf + n > SCH_BACKFILL_MAX) {
		/* the queue is read whole at each look (entry_drain()): keep it bounded across requests too */
		rc = fc_err_set(err, FC_EINVAL, "%zu slot(s) of earlier backfills still wait; with these %zu the queue "
				"would pass %d slots: wait for them or split the range", e->waiting_bf, n, SCH_BACKFILL_MAX);
		goto out;
	}
	if (!dry_run) {
		if ((rc = adm_store_begin(s->store, err)))
			goto out;
		in_tx = true;
	}
	for (size_t i = 0; i < n; i++) {
		const char *x;
		int64_t slot = ns_to_s(list[i].slot_ns);

		if (slot_taken(s, e, slot, a, &x, err, &rc)) {
			list[i].state = "already run";
			list[i].execution = x;
			continue;
		}
		if (rc)
			goto out;
		list[i].state = dry_run ? "would run" : "queued";
		if (!dry_run) {
			rc = log_slot(s, e, slot, ADM_SLOT_BACKFILL, true, NULL, detail, parallel, err);
			if (rc)
				goto out;
			queued++;
		}
	}
	if (in_tx) {
		in_tx = false;
		if ((rc = adm_store_commit(s->store, err)))
			goto out;
	}
	if (queued) {
		e->waiting_bf += queued;
		if (!s->opts.quiet)
			fc_info("scheduler: %s: backfill %s: %zu slot(s) queued, %zu already run", key, detail, queued,
				n - queued);
		if (!e->paused)
			entry_arm(s, e, now_ns);
		pthread_mutex_lock(&s->wake_mu);
		pthread_cond_broadcast(&s->wake_cond); /* the thread looks at the heap again */
		pthread_mutex_unlock(&s->wake_mu);
	}
out:
	if (in_tx)
		adm_store_rollback(s->store);
	pthread_mutex_unlock(&s->mu);
	if (!rc) {
		*out = fc_arena_array(a, n + 1, sizeof(**out));
		if (n)
			memcpy(*out, list, n * sizeof(*list));
		*nr = n;
	}
	free(list);
	return rc;
}

void sch_backfill_render_json(const char *name, int64_t from_ns, int64_t to_ns, uint32_t parallel, bool dry_run,
			      const struct sch_backfill_slot *slots, size_t n, struct fc_buf *out)
{
	size_t queued = 0, done = 0, i;

	for (i = 0; i < n; i++) {
		if (!strcmp(slots[i].state, "already run"))
			done++;
		else
			queued++;
	}
	fc_buf_addch(out, '{');
	json_str(out, "launchPlan", name, true);
	json_time(out, "from", from_ns);
	json_time(out, "to", to_ns);
	fc_buf_addf(out, ",\"parallel\":%u,\"dryRun\":%s,\"%s\":%zu,\"alreadyRun\":%zu,\"slots\":[", parallel,
		    dry_run ? "true" : "false", dry_run ? "wouldRun" : "queued", queued, done);
	for (i = 0; i < n; i++) {
		char t[SCH_TIME_MAX];

		sch_format_time(slots[i].slot_ns, t);
		fc_buf_addf(out, "%s{\"slot\":\"%s\"", i ? "," : "", t);
		json_str(out, "state", slots[i].state, false);
		json_str(out, "execution", slots[i].execution, false);
		fc_buf_addch(out, '}');
	}
	fc_buf_adds(out, "]}");
}
