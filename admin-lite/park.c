/* park.c: parked connections and the thread that resumes them (park.h). */
#include "admin-lite/park.h"

#include "core/err.h"

#include <microhttpd.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS_PER_S 1000000000LL

struct adm_park {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool thread_started, closed, stopping;
	struct adm_parked list; /* sentinel of a circular list of the parked entries */
	size_t nparked;
	int64_t next_ns; /* the earliest deadline the thread sleeps until (0: none) */
};

int64_t adm_park_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* Unlink and resume one entry. Under the lock. */
static void resume(struct adm_park *p, struct adm_parked *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	e->prev = e->next = NULL;
	e->parked = false;
	p->nparked--;
	if (e->count)
		(*e->count)--;
	MHD_resume_connection(e->conn);
}

static void *park_main(void *arg)
{
	struct adm_park *p = arg;

	pthread_mutex_lock(&p->lock);
	while (!p->stopping) {
		struct adm_parked *e, *next_e;
		int64_t now = adm_park_now_ns(), next = 0;

		for (e = p->list.next; e != &p->list; e = next_e) {
			next_e = e->next;
			if (e->deadline_ns <= now)
				resume(p, e);
			else if (!next || e->deadline_ns < next)
				next = e->deadline_ns;
		}
		p->next_ns = next;
		if (!next) {
			pthread_cond_wait(&p->wake, &p->lock);
		} else {
			struct timespec ts;

			ts.tv_sec = (time_t)(next / NS_PER_S);
			ts.tv_nsec = (long)(next % NS_PER_S);
			pthread_cond_timedwait(&p->wake, &p->lock, &ts);
		}
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int adm_park_start(struct adm_park **out, struct fc_err *err)
{
	struct adm_park *p = fc_xcalloc(1, sizeof(*p));
	pthread_condattr_t ca;

	*out = NULL;
	p->list.next = p->list.prev = &p->list;
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&p->thread, NULL, park_main, p)) {
		int e = errno;

		adm_park_free(p);
		return fc_err_set(err, FC_EINTERNAL, "cannot start the parked connections' thread: %s", strerror(e));
	}
	p->thread_started = true;
	*out = p;
	return 0;
}

void adm_park_close(struct adm_park *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->closed = true;
	while (p->list.next != &p->list)
		resume(p, p->list.next);
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
}

void adm_park_free(struct adm_park *p)
{
	if (!p)
		return;
	adm_park_close(p);
	if (p->thread_started) {
		pthread_mutex_lock(&p->lock);
		p->stopping = true;
		pthread_cond_signal(&p->wake);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->thread, NULL);
	}
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

bool adm_park_conn(struct adm_park *p, struct adm_parked *e, void *conn, int64_t deadline_ns, const char *key,
		   size_t *count, size_t max)
{
	pthread_mutex_lock(&p->lock);
	if (p->closed || e->parked || (count && *count >= max)) {
		pthread_mutex_unlock(&p->lock);
		return false;
	}
	e->conn = conn;
	e->deadline_ns = deadline_ns;
	e->key = key;
	e->count = count;
	e->parked = true;
	if (count)
		(*count)++;
	/* suspended under the lock: the thread cannot resume it before it is suspended */
	MHD_suspend_connection(conn);
	e->prev = p->list.prev;
	e->next = &p->list;
	p->list.prev->next = e;
	p->list.prev = e;
	p->nparked++;
	if (!p->next_ns || deadline_ns < p->next_ns)
		pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	return true;
}

void adm_park_until(struct adm_park *p, struct adm_parked *e, int64_t deadline_ns)
{
	pthread_mutex_lock(&p->lock);
	if (e->parked && deadline_ns < e->deadline_ns) {
		e->deadline_ns = deadline_ns;
		if (!p->next_ns || deadline_ns < p->next_ns)
			pthread_cond_signal(&p->wake);
	}
	pthread_mutex_unlock(&p->lock);
}

void adm_park_wake_key(struct adm_park *p, const char *key)
{
	struct adm_parked *e, *next_e;

	pthread_mutex_lock(&p->lock);
	for (e = p->list.next; e != &p->list; e = next_e) {
		next_e = e->next;
		if (e->key && !strcmp(e->key, key))
			resume(p, e);
	}
	pthread_mutex_unlock(&p->lock);
}

size_t adm_park_count(struct adm_park *p)
{
	size_t n;

	if (!p)
		return 0;
	pthread_mutex_lock(&p->lock);
	n = p->nparked;
	pthread_mutex_unlock(&p->lock);
	return n;
}
