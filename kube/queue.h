/*
 * queue.h: a work queue of object keys ("namespace/name"), after client-go's workqueue.
 *
 * - A key is in the queue at most once: adding a key that is already waiting does nothing (dedup), and adding a key
 *   that a worker is processing marks it dirty, so it comes out again once the worker calls kube_queue_done().
 *   One key is therefore never processed twice at the same time.
 * - kube_queue_add_after() adds a key later; kube_queue_add_rate_limited() adds it after a per-key exponential
 *   backoff (base_ms * 2^failures, capped at max_ms) and kube_queue_forget() resets that key's failures.
 * - Thread-safe: producers (an informer's watch thread) and the consumer may be different threads.
 * - For an epoll loop: kube_queue_fd() is an eventfd that is readable while keys are ready; kube_queue_timeout_ms()
 *   says when the next delayed key is due (use it as the epoll timeout). kube_queue_get() never blocks;
 *   kube_queue_wait() blocks (poll) for callers without a loop of their own.
 */
#ifndef KUBE_QUEUE_H
#define KUBE_QUEUE_H

#include "core/fc.h"

struct kube_queue;

/* base_ms/max_ms: the rate limiter's backoff (0/0: 5 ms and 1000 s, client-go's defaults). */
struct kube_queue *kube_queue_new(long base_ms, long max_ms);
/* Frees everything, keys still queued included. NULL does nothing. */
void kube_queue_free(struct kube_queue *q);

void kube_queue_add(struct kube_queue *q, const char *key);
void kube_queue_add_after(struct kube_queue *q, const char *key, long delay_ms);
void kube_queue_add_rate_limited(struct kube_queue *q, const char *key);
void kube_queue_forget(struct kube_queue *q, const char *key);
/* How many times the key was re-added rate-limited since its last forget. */
unsigned kube_queue_failures(struct kube_queue *q, const char *key);

/* Take the next ready key (the caller owns the string: free() it after kube_queue_done()). false: none ready. */
bool kube_queue_get(struct kube_queue *q, char **key);
void kube_queue_done(struct kube_queue *q, const char *key);

/* Ready keys (not counting delayed ones or ones being processed). */
size_t kube_queue_len(struct kube_queue *q);
int kube_queue_fd(struct kube_queue *q);
/* Milliseconds until the next delayed key is due: -1 none, 0 one is due now. */
long kube_queue_timeout_ms(struct kube_queue *q);
/* Block until a key is ready or `timeout_ms` passed (-1: forever). true when a key is ready. */
bool kube_queue_wait(struct kube_queue *q, long timeout_ms);

#endif
