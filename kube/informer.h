/*
 * informer.h: list-then-watch of one resource kind into a store and a work queue (client-go's informer).
 *
 * Concurrency model: each informer runs one thread of its own that does blocking I/O (LIST, then a streaming
 * WATCH from the list's resourceVersion). It updates the store (store.h) and adds the key of every object that
 * changed to the work queue (queue.h). The caller's loop never blocks on the network: it polls the queue's eventfd
 * (kube_queue_fd) next to its other fds, takes keys with kube_queue_get() and reads objects from the store. So the
 * propeller's single epoll loop stays single-threaded; the only shared state is the store and the queue, both
 * locked.
 *
 * The watch: `?watch=1&resourceVersion=RV&allowWatchBookmarks=true&timeoutSeconds=T`, the body read as it arrives,
 * one JSON event per line (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR). Every event moves RV forward. When the stream
 * ends (the server's timeout, a dropped connection, an API server restart) the watch resumes from RV after a short
 * backoff; when the server says the RV is too old (HTTP 410, or an ERROR event with code 410: "Gone"/"Expired"),
 * the informer lists again and replaces the store, queueing the keys of objects that were added, changed or
 * deleted meanwhile. A resync period re-queues every key in the store (T is capped at the resync period so a quiet
 * stream does not delay it).
 */
#ifndef KUBE_INFORMER_H
#define KUBE_INFORMER_H

#include "core/fc.h"

#include <jansson.h>

struct fc_err;
struct kube_client;
struct kube_queue;
struct kube_store;
struct kube_informer;

enum kube_event_type { KUBE_EV_ADDED, KUBE_EV_MODIFIED, KUBE_EV_DELETED };

/* Called from the informer's thread for every change applied to the store (after the store was updated). */
typedef void (*kube_event_fn)(void *ud, enum kube_event_type type, const char *key, const json_t *obj);

struct kube_informer_opts {
	const char *path;           /* collection: "/api/v1/namespaces/ns/pods", "/apis/g/v/namespaces/ns/things" */
	const char *label_selector; /* server-side filter, or NULL */
	const char *field_selector; /* or NULL */
	long resync_ms;             /* 0: no periodic resync */
	long watch_timeout_s;       /* 0: 300 */
	long list_page;             /* LIST page size (limit=); 0: 500 */
	struct kube_queue *queue;   /* borrowed; NULL: keys are not queued (use on_event) */
	kube_event_fn on_event;
	void *ud;
};

struct kube_informer_stats {
	uint64_t lists;       /* complete LISTs */
	uint64_t relists_gone; /* LISTs because the server answered 410 */
	uint64_t watches;     /* watch requests started */
	uint64_t resumes;     /* watches restarted from the last RV after the stream ended or dropped */
	uint64_t added, modified, deleted, bookmarks;
	uint64_t errors;      /* failed LIST/WATCH requests (retried) */
	uint64_t resyncs;
};

int kube_informer_start(struct kube_client *c, const struct kube_informer_opts *opts, struct kube_informer **out,
			struct fc_err *err);
/* Stop the thread (within about a second) and free. NULL does nothing. */
void kube_informer_free(struct kube_informer *inf);
struct kube_store *kube_informer_store(struct kube_informer *inf);
/* Wait until the first LIST is in the store. false on timeout. */
bool kube_informer_wait_synced(struct kube_informer *inf, long timeout_ms);
void kube_informer_stats(struct kube_informer *inf, struct kube_informer_stats *out);
/* The resourceVersion the next watch starts from (a copy in `buf`). */
void kube_informer_rv(struct kube_informer *inf, char *buf, size_t size);

/*
 * For tests and operators' fault handling: cut the current watch stream as a dropped connection would, and, when
 * `rv` is not NULL, resume from that resourceVersion instead of the last one seen (an old one forces a 410).
 */
void kube_informer_drop_watch(struct kube_informer *inf, const char *rv);

#endif
