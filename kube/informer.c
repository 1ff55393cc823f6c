/*
 * informer.c: list-then-watch (see informer.h).
 */
#include "kube/informer.h"
#include "kube/client.h"
#include "kube/queue.h"
#include "kube/store.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RV_MAX 64

struct kube_informer {
	struct kube_client *client;
	struct kube_informer_opts opts;
	char *path, *label_selector, *field_selector;
	struct kube_store *store;
	pthread_t thread;

	pthread_mutex_t lock; /* everything below */
	pthread_cond_t cond;
	char rv[RV_MAX];
	bool synced, need_list, stopping;
	volatile int abort_stream; /* polled by the curl transfer */
	struct kube_informer_stats stats;
	int64_t next_resync_ns;

	/* The watch stream being parsed (thread only). */
	struct fc_buf line;
	bool gone;         /* the server said 410: list again */
	bool stream_error; /* an ERROR event other than 410: back off before watching again */
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Sleep up to `ms` unless stopped; returns false when stopping. */
static bool nap(struct kube_informer *inf, long ms)
{
	struct timespec ts;
	bool go_on;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&inf->lock);
	while (!inf->stopping && pthread_cond_timedwait(&inf->cond, &inf->lock, &ts) != ETIMEDOUT)
		;
	go_on = !inf->stopping;
	pthread_mutex_unlock(&inf->lock);
	return go_on;
}

static void set_rv(struct kube_informer *inf, const char *rv)
{
	if (!rv || !*rv)
		return;
	pthread_mutex_lock(&inf->lock);
	snprintf(inf->rv, sizeof(inf->rv), "%s", rv);
	pthread_mutex_unlock(&inf->lock);
}

static const char *rv_of(const json_t *obj)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
}

static void notify(struct kube_informer *inf, enum kube_event_type type, const char *key, const json_t *obj)
{
	if (inf->opts.queue)
		kube_queue_add(inf->opts.queue, key);
	if (inf->opts.on_event)
		inf->opts.on_event(inf->opts.ud, type, key, obj);
}

static void add_selectors(struct kube_informer *inf, struct fc_buf *url)
{
	if (inf->label_selector) {
		fc_buf_adds(url, "&labelSelector=");
		kube_query_escape(url, inf->label_selector);
	}
	if (inf->field_selector) {
		fc_buf_adds(url, "&fieldSelector=");
		kube_query_escape(url, inf->field_selector);
	}
}

/* LIST every page, then replace the store, queueing what changed. */
static int do_list(struct kube_informer *inf, struct fc_err *err)
{
	json_t *fresh = json_object(), *page = NULL;
	struct fc_buf url = FC_BUF_INIT, key = FC_BUF_INIT;
	char *cont = NULL, *list_rv = NULL;
	json_t *old_keys = NULL;
	int rc = 0;
	size_t i;

	for (;;) {
		json_t *items, *item;

		fc_buf_reset(&url);
		fc_buf_addf(&url, "%s?limit=%ld", inf->path, inf->opts.list_page);
		add_selectors(inf, &url);
		if (cont) {
			fc_buf_adds(&url, "&continue=");
			kube_query_escape(&url, cont);
		}
		rc = kube_get(inf->client, url.buf, &page, NULL, err);
		if (rc)
			goto out;
		items = json_object_get(page, "items");
		json_array_foreach(items, i, item)
		{
			if (kube_object_key(item, &key))
				json_object_set(fresh, key.buf, item);
		}
		free(cont);
		cont = NULL;
		{
			const json_t *md = json_object_get(page, "metadata");
			const char *c = json_string_value(json_object_get(md, "continue"));

			if (!list_rv && json_string_value(json_object_get(md, "resourceVersion")))
				list_rv = fc_xstrdup(json_string_value(json_object_get(md, "resourceVersion")));
			if (c && *c)
				cont = fc_xstrdup(c);
		}
		json_decref(page);
		page = NULL;
		if (!cont)
			break;
	}
	/* Replace: deletions first, then additions and changes. */
	old_keys = kube_store_keys(inf->store);
	for (i = 0; i < json_array_size(old_keys); i++) {
		const char *k = json_string_value(json_array_get(old_keys, i));

		if (!json_object_get(fresh, k)) {
			json_t *gone = kube_store_get(inf->store, k);

			kube_store_delete(inf->store, k);
			notify(inf, KUBE_EV_DELETED, k, gone);
			json_decref(gone);
			pthread_mutex_lock(&inf->lock);
			inf->stats.deleted++;
			pthread_mutex_unlock(&inf->lock);
		}
	}
	{
		const char *k;
		json_t *obj;

		json_object_foreach(fresh, k, obj)
		{
			json_t *prev = kube_store_get(inf->store, k);
			const char *prv = prev ? rv_of(prev) : NULL, *nrv = rv_of(obj);

			if (!prev || !prv || !nrv || strcmp(prv, nrv)) {
				kube_store_put(inf->store, k, obj);
				notify(inf, prev ? KUBE_EV_MODIFIED : KUBE_EV_ADDED, k, obj);
				pthread_mutex_lock(&inf->lock);
				if (prev)
					inf->stats.modified++;
				else
					inf->stats.added++;
				pthread_mutex_unlock(&inf->lock);
			}
			json_decref(prev);
		}
	}
	set_rv(inf, list_rv);
	pthread_mutex_lock(&inf->lock);
	inf->stats.lists++;
	inf->synced = true;
	inf->need_list = false;
	pthread_cond_broadcast(&inf->cond);
	pthread_mutex_unlock(&inf->lock);
out:
	json_decref(old_keys);
	json_decref(page);
	json_decref(fresh);
	free(cont);
	free(list_rv);
	fc_buf_release(&url);
	fc_buf_release(&key);
	return rc;
}

static void apply_event(struct kube_informer *inf, const char *line, size_t len)
{
	json_t *ev = json_loadb(line, len, 0, NULL);
	const char *type = json_string_value(json_object_get(ev, "type"));
	json_t *obj = json_object_get(ev, "object");
	struct fc_buf key = FC_BUF_INIT;

	if (!ev || !type || !json_is_object(obj)) {
		fc_warn("kube informer %s: ignoring a malformed watch event (%zu bytes)", inf->path, len);
		goto out;
	}
	if (!strcmp(type, "ERROR")) {
		json_int_t code = json_integer_value(json_object_get(obj, "code"));
		const char *msg = json_string_value(json_object_get(obj, "message"));

		fc_info("kube informer %s: watch error %lld: %s", inf->path, (long long)code, msg ? msg : "");
		if (code == 410)
			inf->gone = true;
		else
			inf->stream_error = true;
		inf->abort_stream = 1;
		goto out;
	}
	set_rv(inf, rv_of(obj));
	if (!strcmp(type, "BOOKMARK")) {
		pthread_mutex_lock(&inf->lock);
		inf->stats.bookmarks++;
		pthread_mutex_unlock(&inf->lock);
		goto out;
	}
	if (!kube_object_key(obj, &key))
		goto out;
	if (!strcmp(type, "DELETED")) {
		kube_store_delete(inf->store, key.buf);
		notify(inf, KUBE_EV_DELETED, key.buf, obj);
		pthread_mutex_lock(&inf->lock);
		inf->stats.deleted++;
		pthread_mutex_unlock(&inf->lock);
	} else if (!strcmp(type, "ADDED") || !strcmp(type, "MODIFIED")) {
		bool added = type[0] == 'A';

		kube_store_put(inf->store, key.buf, obj);
		notify(inf, added ? KUBE_EV_ADDED : KUBE_EV_MODIFIED, key.buf, obj);
		pthread_mutex_lock(&inf->lock);
		if (added)
			inf->stats.added++;
		else
			inf->stats.modified++;
		pthread_mutex_unlock(&inf->lock);
	}
out:
	fc_buf_release(&key);
	json_decref(ev);
}

static void maybe_resync(struct kube_informer *inf)
{
	json_t *keys;
	size_t i;

	if (inf->opts.resync_ms <= 0 || mono_ns() < inf->next_resync_ns)
		return;
	inf->next_resync_ns = mono_ns() + (int64_t)inf->opts.resync_ms * 1000000;
	keys = kube_store_keys(inf->store);
	for (i = 0; i < json_array_size(keys); i++)
		if (inf->opts.queue)
			kube_queue_add(inf->opts.queue, json_string_value(json_array_get(keys, i)));
	json_decref(keys);
	pthread_mutex_lock(&inf->lock);
	inf->stats.resyncs++;
	pthread_mutex_unlock(&inf->lock);
}

/* Watch body bytes: split into lines, one event each. */
static int on_watch_data(void *ud, const char *data, size_t len)
{
	struct kube_informer *inf = ud;
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		if (data[i] != '\n')
			continue;
		if (inf->abort_stream)
			return 1; /* dropped: what follows is read again by the next watch from the RV we had */
		fc_buf_add(&inf->line, data + start, i - start);
		if (fc_buf_error(&inf->line)) {
			fc_warn("kube informer %s: a watch event is larger than %u bytes; listing again", inf->path,
				KUBE_MAX_WATCH_EVENT);
			inf->gone = true;
			return 1;
		}
		if (inf->line.len)
			apply_event(inf, inf->line.buf, inf->line.len);
		fc_buf_reset(&inf->line);
		start = i + 1;
		if (inf->abort_stream)
			return 1;
	}
	fc_buf_add(&inf->line, data + start, len - start);
	if (fc_buf_error(&inf->line)) {
		inf->gone = true;
		return 1;
	}
	maybe_resync(inf);
	return 0;
}

static int do_watch(struct kube_informer *inf, struct fc_err *err)
{
	struct fc_buf url = FC_BUF_INIT;
	struct kube_status st;
	char rv[RV_MAX];
	long timeout_s = inf->opts.watch_timeout_s;
	int rc;

	if (inf->opts.resync_ms > 0 && timeout_s * 1000 > inf->opts.resync_ms)
		timeout_s = inf->opts.resync_ms / 1000 > 0 ? inf->opts.resync_ms / 1000 : 1;
	kube_informer_rv(inf, rv, sizeof(rv));
	fc_buf_addf(&url, "%s?watch=1&allowWatchBookmarks=true&timeoutSeconds=%ld&resourceVersion=", inf->path,
		    timeout_s);
	kube_query_escape(&url, rv);
	add_selectors(inf, &url);
	fc_buf_reset(&inf->line);
	inf->line.err = 0;
	inf->gone = false;
	inf->stream_error = false;
	pthread_mutex_lock(&inf->lock);
	inf->stats.watches++;
	pthread_mutex_unlock(&inf->lock);
	rc = kube_client_stream(inf->client, url.buf, (timeout_s + 30) * 1000, on_watch_data, inf, &inf->abort_stream,
				&st, err);
	if (rc && (st.reason == KUBE_REASON_GONE || st.reason == KUBE_REASON_EXPIRED || st.http_code == 410))
		inf->gone = true;
	if (!rc && inf->stream_error)
		rc = fc_err_set(err, FC_EUNAVAILABLE, "the watch reported an error");
	fc_buf_release(&url);
	return rc;
}

static void *run(void *arg)
{
	struct kube_informer *inf = arg;
	long backoff_ms = 0;

	for (;;) {
		struct fc_err err;
		bool list, stop;
		int rc;

		pthread_mutex_lock(&inf->lock);
		stop = inf->stopping;
		list = inf->need_list;
		inf->abort_stream = 0;
		pthread_mutex_unlock(&inf->lock);
		if (stop)
			break;
		if (list) {
			rc = do_list(inf, &err);
			if (rc) {
				fc_warn("kube informer %s: list: %s", inf->path, err.msg);
				pthread_mutex_lock(&inf->lock);
				inf->stats.errors++;
				pthread_mutex_unlock(&inf->lock);
				backoff_ms = backoff_ms ? backoff_ms * 2 : 200;
				if (backoff_ms > 5000)
					backoff_ms = 5000;
				if (!nap(inf, backoff_ms))
					break;
				continue;
			}
			backoff_ms = 0;
		}
		maybe_resync(inf);
		rc = do_watch(inf, &err);
		pthread_mutex_lock(&inf->lock);
		stop = inf->stopping;
		if (inf->gone) {
			inf->need_list = true;
			inf->stats.relists_gone++;
		} else if (rc) {
			inf->stats.errors++;
		} else {
			inf->stats.resumes++;
		}
		pthread_mutex_unlock(&inf->lock);
		if (stop)
			break;
		if (rc && !inf->gone) {
			fc_info("kube informer %s: watch: %s; resuming", inf->path, err.msg);
			backoff_ms = backoff_ms ? backoff_ms * 2 : 200;
			if (backoff_ms > 5000)
				backoff_ms = 5000;
			if (!nap(inf, backoff_ms))
				break;
		} else if (!rc) {
			backoff_ms = 0;
		}
	}
	return NULL;
}

int kube_informer_start(struct kube_client *c, const struct kube_informer_opts *opts, struct kube_informer **out,
			struct fc_err *err)
{
	struct kube_informer *inf;
	int e;

	*out = NULL;
	if (!opts->path || opts->path[0] != '/' || strchr(opts->path, '?'))
		return fc_err_set(err, FC_EINVAL, "kube informer: the path must be a collection path without a query");
	if (opts->label_selector) {
		struct kube_selector sel;
		int rc;

		kube_selector_init(&sel);
		rc = kube_selector_parse(&sel, opts->label_selector, err);
		kube_selector_release(&sel);
		if (rc)
			return rc;
	}
	inf = fc_xcalloc(1, sizeof(*inf));
	inf->client = c;
	inf->opts = *opts;
	inf->path = fc_xstrdup(opts->path);
	inf->label_selector = opts->label_selector && *opts->label_selector ? fc_xstrdup(opts->label_selector) : NULL;
	inf->field_selector = opts->field_selector && *opts->field_selector ? fc_xstrdup(opts->field_selector) : NULL;
	if (inf->opts.watch_timeout_s <= 0)
		inf->opts.watch_timeout_s = 300;
	if (inf->opts.list_page <= 0)
		inf->opts.list_page = 500;
	inf->store = kube_store_new();
	inf->need_list = true;
	inf->next_resync_ns = mono_ns() + (int64_t)inf->opts.resync_ms * 1000000;
	fc_buf_init(&inf->line, 0);
	fc_buf_set_cap(&inf->line, KUBE_MAX_WATCH_EVENT);
	pthread_mutex_init(&inf->lock, NULL);
	pthread_cond_init(&inf->cond, NULL);
	e = pthread_create(&inf->thread, NULL, run, inf);
	if (e) {
		kube_store_free(inf->store);
		free(inf->path);
		free(inf->label_selector);
		free(inf->field_selector);
		fc_buf_release(&inf->line);
		free(inf);
		return fc_err_set(err, FC_EINTERNAL, "kube informer: cannot start a thread: %s", strerror(e));
	}
	*out = inf;
	return 0;
}

void kube_informer_free(struct kube_informer *inf)
{
	if (!inf)
		return;
	pthread_mutex_lock(&inf->lock);
	inf->stopping = true;
	inf->abort_stream = 1;
	pthread_cond_broadcast(&inf->cond);
	pthread_mutex_unlock(&inf->lock);
	pthread_join(inf->thread, NULL);
	kube_store_free(inf->store);
	pthread_cond_destroy(&inf->cond);
	pthread_mutex_destroy(&inf->lock);
	fc_buf_release(&inf->line);
	free(inf->path);
	free(inf->label_selector);
	free(inf->field_selector);
	free(inf);
}

struct kube_store *kube_informer_store(struct kube_informer *inf)
{
	return inf->store;
}

bool kube_informer_wait_synced(struct kube_informer *inf, long timeout_ms)
{
	struct timespec ts;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (timeout_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&inf->lock);
	while (!inf->synced && !inf->stopping)
		if (pthread_cond_timedwait(&inf->cond, &inf->lock, &ts) == ETIMEDOUT)
			break;
	ok = inf->synced;
	pthread_mutex_unlock(&inf->lock);
	return ok;
}

void kube_informer_stats(struct kube_informer *inf, struct kube_informer_stats *out)
{
	pthread_mutex_lock(&inf->lock);
	*out = inf->stats;
	pthread_mutex_unlock(&inf->lock);
}

void kube_informer_rv(struct kube_informer *inf, char *buf, size_t size)
{
	pthread_mutex_lock(&inf->lock);
	snprintf(buf, size, "%s", inf->rv);
	pthread_mutex_unlock(&inf->lock);
}

void kube_informer_drop_watch(struct kube_informer *inf, const char *rv)
{
	pthread_mutex_lock(&inf->lock);
	if (rv)
		snprintf(inf->rv, sizeof(inf->rv), "%s", rv);
	inf->abort_stream = 1;
	pthread_mutex_unlock(&inf->lock);
}
