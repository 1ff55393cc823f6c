/*
 * queue.c: the work queue (see queue.h). Sets are jansson objects (hash tables with owned string keys).
 */
#include "kube/queue.h"

#include "core/limits.h"
#include "core/log.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

struct delayed {
	int64_t due_ns;
	char *key;
};

struct kube_queue {
	pthread_mutex_t lock;
	/* Ready keys in FIFO order: ready[head..n). */
	char **ready;
	size_t head, n, alloc;
	json_t *dirty;      /* keys waiting or to be re-queued */
	json_t *processing; /* keys handed out and not done yet */
	json_t *failures;   /* key -> integer */
	struct delayed *later;
	size_t nlater, alloc_later;
	long base_ms, max_ms;
	int efd;
	bool signalled; /* efd holds a count */
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct kube_queue *kube_queue_new(long base_ms, long max_ms)
{
	struct kube_queue *q = fc_xcalloc(1, sizeof(*q));

	pthread_mutex_init(&q->lock, NULL);
	q->dirty = json_object();
	q->processing = json_object();
	q->failures = json_object();
	if (!q->dirty || !q->processing || !q->failures)
		fc_die_oom(0);
	q->base_ms = base_ms > 0 ? base_ms : 5;
	q->max_ms = max_ms > 0 ? max_ms : 1000 * 1000;
	q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->efd < 0)
		FC_BUG("eventfd: %s", strerror(errno));
	return q;
}

void kube_queue_free(struct kube_queue *q)
{
	size_t i;

	if (!q)
		return;
	for (i = q->head; i < q->n; i++)
		free(q->ready[i]);
	free(q->ready);
	for (i = 0; i < q->nlater; i++)
		free(q->later[i].key);
	free(q->later);
	json_decref(q->dirty);
	json_decref(q->processing);
	json_decref(q->failures);
	close(q->efd);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

static void signal_locked(struct kube_queue *q)
{
	uint64_t one = 1;

	if (q->signalled)
		return;
	if (write(q->efd, &one, sizeof(one)) == (ssize_t)sizeof(one))
		q->signalled = true;
}

static void unsignal_locked(struct kube_queue *q)
{
	uint64_t v;

	if (!q->signalled)
		return;
	if (read(q->efd, &v, sizeof(v)) == (ssize_t)sizeof(v) || errno == EAGAIN)
		q->signalled = false;
}

static void push_ready_locked(struct kube_queue *q, const char *key)
{
	if (q->head && q->head == q->n)
		q->head = q->n = 0;
	if (q->n == q->alloc && q->head > q->alloc / 2) {
		memmove(q->ready, q->ready + q->head, (q->n - q->head) * sizeof(*q->ready));
		q->n -= q->head;
		q->head = 0;
	}
	FC_ALLOC_GROW(q->ready, q->n + 1, q->alloc);
	q->ready[q->n++] = fc_xstrdup(key);
	signal_locked(q);
}

static void add_locked(struct kube_queue *q, const char *key)
{
	if (json_object_get(q->dirty, key))
		return;
	if (json_object_size(q->dirty) >= KUBE_QUEUE_MAX) {
		fc_warn("kube queue: more than %u keys waiting; dropping '%s'", KUBE_QUEUE_MAX, key);
		return;
	}
	json_object_set_new(q->dirty, key, json_true());
	if (json_object_get(q->processing, key))
		return; /* re-queued by kube_queue_done() */
	push_ready_locked(q, key);
}

void kube_queue_add(struct kube_queue *q, const char *key)
{
	pthread_mutex_lock(&q->lock);
	add_locked(q, key);
	pthread_mutex_unlock(&q->lock);
}

static void add_after_locked(struct kube_queue *q, const char *key, long delay_ms)
{
	size_t i;
	int64_t due;

	if (delay_ms <= 0) {
		add_locked(q, key);
		return;
	}
	due = mono_ns() + (int64_t)delay_ms * 1000000;
	/* One delayed entry per key: keep the earlier time. */
	for (i = 0; i < q->nlater; i++) {
		if (!strcmp(q->later[i].key, key)) {
			if (due < q->later[i].due_ns)
				q->later[i].due_ns = due;
			return;
		}
	}
	FC_ALLOC_GROW(q->later, q->nlater + 1, q->alloc_later);
	q->later[q->nlater].due_ns = due;
	q->later[q->nlater].key = fc_xstrdup(key);
	q->nlater++;
}

void kube_queue_add_after(struct kube_queue *q, const char *key, long delay_ms)
{
	pthread_mutex_lock(&q->lock);
	add_after_locked(q, key, delay_ms);
	pthread_mutex_unlock(&q->lock);
}

void kube_queue_add_rate_limited(struct kube_queue *q, const char *key)
{
	json_int_t n;
	long delay;

	pthread_mutex_lock(&q->lock);
	n = json_integer_value(json_object_get(q->failures, key));
	json_object_set_new(q->failures, key, json_integer(n + 1));
	delay = q->base_ms;
	while (n-- > 0 && delay < q->max_ms)
		delay *= 2;
	if (delay > q->max_ms)
		delay = q->max_ms;
	add_after_locked(q, key, delay);
	pthread_mutex_unlock(&q->lock);
}

void kube_queue_forget(struct kube_queue *q, const char *key)
{
	pthread_mutex_lock(&q->lock);
	json_object_del(q->failures, key);
	pthread_mutex_unlock(&q->lock);
}

unsigned kube_queue_failures(struct kube_queue *q, const char *key)
{
	unsigned n;

	pthread_mutex_lock(&q->lock);
	n = (unsigned)json_integer_value(json_object_get(q->failures, key));
	pthread_mutex_unlock(&q->lock);
	return n;
}

/* Move due delayed keys to the ready list; returns ms until the next one (-1 none). */
static long promote_locked(struct kube_queue *q)
{
	int64_t now = mono_ns(), next = -1;
	size_t i = 0;

	while (i < q->nlater) {
		if (q->later[i].due_ns <= now) {
			char *key = q->later[i].key;

			q->later[i] = q->later[--q->nlater];
			add_locked(q, key);
			free(key);
			continue;
		}
		if (next < 0 || q->later[i].due_ns - now < next)
			next = q->later[i].due_ns - now;
		i++;
	}
	return next < 0 ? -1 : (long)((next + 999999) / 1000000);
}

bool kube_queue_get(struct kube_queue *q, char **key)
{
	bool got = false;

	*key = NULL;
	pthread_mutex_lock(&q->lock);
	promote_locked(q);
	if (q->head < q->n) {
		*key = q->ready[q->head++];
		json_object_set_new(q->processing, *key, json_true());
		json_object_del(q->dirty, *key);
		got = true;
	}
	if (q->head == q->n)
		unsignal_locked(q);
	pthread_mutex_unlock(&q->lock);
	return got;
}

void kube_queue_done(struct kube_queue *q, const char *key)
{
	pthread_mutex_lock(&q->lock);
	json_object_del(q->processing, key);
	if (json_object_get(q->dirty, key))
		push_ready_locked(q, key);
	pthread_mutex_unlock(&q->lock);
}

size_t kube_queue_len(struct kube_queue *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	promote_locked(q);
	n = q->n - q->head;
	pthread_mutex_unlock(&q->lock);
	return n;
}

int kube_queue_fd(struct kube_queue *q)
{
	return q->efd;
}

long kube_queue_timeout_ms(struct kube_queue *q)
{
	long t;

	pthread_mutex_lock(&q->lock);
	t = promote_locked(q);
	if (q->head < q->n)
		t = 0;
	pthread_mutex_unlock(&q->lock);
	return t;
}

bool kube_queue_wait(struct kube_queue *q, long timeout_ms)
{
	int64_t deadline = timeout_ms >= 0 ? mono_ns() + (int64_t)timeout_ms * 1000000 : -1;

	for (;;) {
		long t = kube_queue_timeout_ms(q), left;
		struct pollfd pfd = {q->efd, POLLIN, 0};

		if (t == 0)
			return true;
		if (deadline >= 0) {
			left = (long)((deadline - mono_ns()) / 1000000);
			if (left <= 0)
				return false;
			if (t < 0 || left < t)
				t = left;
		}
		if (poll(&pfd, 1, (int)(t < 0 || t > 1000 ? 1000 : t)) < 0 && errno != EINTR)
			return false;
	}
}
