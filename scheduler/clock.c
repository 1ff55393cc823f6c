/* clock.c: the scheduler's clocks: the real one (CLOCK_REALTIME) and a manual one for tests and benchmarks. */
#include "scheduler/scheduler.h"

#include <errno.h>
#include <time.h>

#define NS_PER_S INT64_C(1000000000)

static int64_t real_now(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* The condition variable uses the default clock (CLOCK_REALTIME), so the absolute deadline follows wall-clock
 * changes: slots are wall-clock instants. */
static void real_wait(void *ctx, pthread_cond_t *cond, pthread_mutex_t *mutex, int64_t deadline_ns)
{
	struct timespec ts;

	(void)ctx;
	if (deadline_ns == SCH_FOREVER) {
		pthread_cond_wait(cond, mutex);
		return;
	}
	if (deadline_ns < 0)
		deadline_ns = 0;
	ts.tv_sec = (time_t)(deadline_ns / NS_PER_S);
	ts.tv_nsec = (long)(deadline_ns % NS_PER_S);
	pthread_cond_timedwait(cond, mutex, &ts);
}

static const struct sch_clock real_clock = {real_now, real_wait, NULL};

const struct sch_clock *sch_clock_real(void)
{
	return &real_clock;
}

/* ------------------------------------------------------------------------------------------------------------
 * The manual clock. Lock order: the scheduler's wake mutex (held by wait()) before c->mu; set() never holds c->mu
 * while it takes the wake mutex.
 */
static int64_t manual_now(void *ctx)
{
	return sch_manual_clock_now(ctx);
}

static void manual_wait(void *ctx, pthread_cond_t *cond, pthread_mutex_t *mutex, int64_t deadline_ns)
{
	struct sch_manual_clock *c = ctx;
	bool sleep;

	pthread_mutex_lock(&c->mu);
	c->cond = cond;
	c->cond_mu = mutex;
	c->deadline_ns = deadline_ns;
	c->waits++;
	sleep = c->now_ns < deadline_ns;
	pthread_mutex_unlock(&c->mu);
	/* `mutex` is held from the check to the wait, and set() signals under it: no wake-up is lost. */
	if (sleep)
		pthread_cond_wait(cond, mutex);
	/* Forget the condition: set() signals only a thread inside wait(), so a freed scheduler is never touched. */
	pthread_mutex_lock(&c->mu);
	c->deadline_ns = SCH_FOREVER;
	c->cond = NULL;
	c->cond_mu = NULL;
	pthread_mutex_unlock(&c->mu);
}

void sch_manual_clock_init(struct sch_manual_clock *c, int64_t now_ns)
{
	c->clock.now = manual_now;
	c->clock.wait = manual_wait;
	c->clock.ctx = c;
	pthread_mutex_init(&c->mu, NULL);
	c->now_ns = now_ns;
	c->deadline_ns = SCH_FOREVER;
	c->waits = 0;
	c->cond = NULL;
	c->cond_mu = NULL;
}

void sch_manual_clock_release(struct sch_manual_clock *c)
{
	pthread_mutex_destroy(&c->mu);
}

void sch_manual_clock_set(struct sch_manual_clock *c, int64_t now_ns)
{
	pthread_cond_t *cond;
	pthread_mutex_t *mu;

	pthread_mutex_lock(&c->mu);
	c->now_ns = now_ns;
	cond = c->cond;
	mu = c->cond_mu;
	pthread_mutex_unlock(&c->mu);
	if (mu) {
		pthread_mutex_lock(mu);
		pthread_cond_broadcast(cond);
		pthread_mutex_unlock(mu);
	}
}

int64_t sch_manual_clock_now(struct sch_manual_clock *c)
{
	int64_t now;

	pthread_mutex_lock(&c->mu);
	now = c->now_ns;
	pthread_mutex_unlock(&c->mu);
	return now;
}

uint64_t sch_manual_clock_waits(struct sch_manual_clock *c)
{
	uint64_t n;

	pthread_mutex_lock(&c->mu);
	n = c->waits;
	pthread_mutex_unlock(&c->mu);
	return n;
}
