/* stream.c: the watch streams (server-sent events) over libmicrohttpd's suspend/resume; see stream.h. */
#include "admin-lite/stream.h"
#include "admin-lite/park.h"
#include "admin-lite/server_int.h"
#include "admin-lite/service.h"
#include "admin-lite/store.h"
#include "admin-lite/store_int.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/pbjson.h"
#include "core/strmap.h"

#include <microhttpd.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS_PER_MS 1000000LL
#define NS_PER_S 1000000000LL
#define STREAM_BLOCK (16u * 1024) /* bytes libmicrohttpd asks the callback for at most */

enum stream_kind {
	STREAM_EXECUTION, /* one execution's state and nodes, until it is terminal */
	STREAM_PROJECT,   /* names of a project/domain's executions that were created or changed phase */
};

/*
 * One stream. Everything but `closed` and `park` is under the hub's lock; `park` is the park's (park.h). While the
 * stream is parked libmicrohttpd holds its connection suspended and never closes it, so the stream is alive.
 */
struct adm_stream {
	struct adm_stream *prev, *next;
	struct adm_stream_hub *hub;
	struct MHD_Connection *conn;
	enum stream_kind kind;
	char *project, *domain, *name;
	uint64_t seq; /* id of the last event sent */
	bool started, dirty, ending;
	struct adm_parked park;
	int closed; /* atomic: libmicrohttpd freed the response; the hub unlinks and frees the stream */
	int64_t last_render_ns, last_write_ns;
	int64_t render_gap_ns; /* time between renderings: the coalescing interval, or twice the last rendering's cost */
	struct fc_buf out; /* the rendering being sent */
	size_t sent;
	/* STREAM_EXECUTION: what each node looked like when it was last sent (or, for the nodes past the first page,
	 * when the first page was: the client reads those from the list endpoint), node id -> struct node_seen;
	 * keys and values in seen_arena. unsent_changes: more nodes changed than one event carries. */
	struct fc_strmap seen;
	struct fc_arena seen_arena;
	bool unsent_changes;
	/* STREAM_PROJECT: executions changed since the last event (owned), capped at ADM_STREAM_NAMES_MAX */
	char **names;
	size_t nnames, anames;
	bool truncated;
};

struct adm_stream_hub {
	struct adm_store *store;
	struct adm_park *park;
	pthread_mutex_t lock;
	bool listening, closing;
	struct adm_stream list; /* sentinel of a circular list */
	size_t nstreams, max_streams, max_answer;
	uint64_t refused;
};

static int64_t mono_ns(void)
{
	return adm_park_now_ns();
}

static void names_clear(struct adm_stream *st)
{
	size_t i;

	for (i = 0; i < st->nnames; i++)
		free(st->names[i]);
	st->nnames = 0;
	st->truncated = false;
}

static void stream_free(struct adm_stream *st)
{
	names_clear(st);
	free(st->names);
	fc_strmap_release(&st->seen);
	fc_arena_release(&st->seen_arena);
	free(st->project);
	free(st->domain);
	free(st->name);
	fc_buf_release(&st->out);
	free(st);
}

/* Unlink and free the streams libmicrohttpd is done with. Under the lock. */
static void hub_reap(struct adm_stream_hub *hub)
{
	struct adm_stream *st, *next;

	for (st = hub->list.next; st != &hub->list; st = next) {
		next = st->next;
		if (!__atomic_load_n(&st->closed, __ATOMIC_ACQUIRE))
			continue;
		st->prev->next = st->next;
		st->next->prev = st->prev;
		hub->nstreams--;
		stream_free(st);
	}
}

/* ------------------------------------------------------------------------------------------------------------
 * Change notices (the store's listener): mark the streams they concern; the hub thread resumes them when due.
 */
static bool same_scope(const struct adm_stream *st, const struct adm_exec_id *id)
{
	return !strcmp(st->project, id->project) && !strcmp(st->domain, id->domain);
}

static void project_note(struct adm_stream *st, const char *name)
{
	size_t i;

	for (i = 0; i < st->nnames; i++)
		if (!strcmp(st->names[i], name))
			return;
	if (st->nnames >= ADM_STREAM_NAMES_MAX) {
		st->truncated = true;
		return;
	}
	FC_ALLOC_GROW(st->names, st->nnames + 1, st->anames);
	st->names[st->nnames++] = fc_xstrdup(name);
}

/*
 * The store's one listener serves both waiters: streams are marked dirty and their parking deadline brought forward
 * to when their next rendering is due (coalesced); log followers of a changed execution (a task event: a new
 * attempt, a phase, new log links) are woken at once (adm_stream_exec_key()).
 */
static void on_store_change(void *ctx, const struct adm_change *changes, size_t n, bool overflow)
{
	struct adm_stream_hub *hub = ctx;
	struct adm_stream *st;
	size_t i;

	pthread_mutex_lock(&hub->lock);
	hub_reap(hub);
	for (st = hub->list.next; st != &hub->list; st = st->next) {
		bool touched = overflow && st->kind == STREAM_EXECUTION;

		if (overflow && st->kind == STREAM_PROJECT) {
			st->truncated = true;
			touched = true;
		}
		for (i = 0; i < n; i++) {
			if (!same_scope(st, &changes[i].id))
				continue;
			if (st->kind == STREAM_EXECUTION && !strcmp(st->name, changes[i].id.name)) {
				touched = true;
			} else if (st->kind == STREAM_PROJECT && changes[i].phase) {
				project_note(st, changes[i].id.name);
				touched = true;
			}
		}
		if (touched) {
			st->dirty = true;
			adm_park_until(hub->park, &st->park, st->last_render_ns + st->render_gap_ns);
		}
	}
	pthread_mutex_unlock(&hub->lock);
	for (i = 0; i < n; i++) {
		char key[ADM_STREAM_KEY_MAX];

		if (adm_stream_exec_key(&changes[i].id, key, sizeof(key)))
			adm_park_wake_key(hub->park, key);
	}
}

bool adm_stream_exec_key(const struct adm_exec_id *id, char *key, size_t size)
{
	int n = snprintf(key, size, "%s/%s/%s", id->project, id->domain, id->name);

	return n > 0 && (size_t)n < size;
}

int adm_stream_hub_start(struct adm_store *store, struct adm_park *park, size_t max_streams, size_t max_answer,
			 struct adm_stream_hub **out, struct fc_err *err)
{
	struct adm_stream_hub *hub = fc_xcalloc(1, sizeof(*hub));

	(void)err;
	hub->store = store;
	hub->park = park;
	hub->max_streams = max_streams ? max_streams : ADM_STREAM_MAX;
	hub->max_answer = max_answer ? max_answer : ADM_MAX_ANSWER;
	hub->list.next = hub->list.prev = &hub->list;
	pthread_mutex_init(&hub->lock, NULL);
	adm_store_set_listener(store, on_store_change, hub);
	hub->listening = true;
	*out = hub;
	return 0;
}

void adm_stream_hub_close(struct adm_stream_hub *hub)
{
	struct adm_stream *st;

	if (!hub)
		return;
	if (hub->listening)
		adm_store_set_listener(hub->store, NULL, NULL);
	hub->listening = false;
	/* every parked stream is resumed once more (now, or by adm_park_close()): its callback sees `closing` and ends */
	pthread_mutex_lock(&hub->lock);
	hub->closing = true;
	for (st = hub->list.next; st != &hub->list; st = st->next)
		adm_park_until(hub->park, &st->park, 0);
	pthread_mutex_unlock(&hub->lock);
}

void adm_stream_hub_free(struct adm_stream_hub *hub)
{
	struct adm_stream *st, *next;

	if (!hub)
		return;
	adm_stream_hub_close(hub);
	for (st = hub->list.next; st != &hub->list; st = next) {
		next = st->next;
		stream_free(st);
	}
	pthread_mutex_destroy(&hub->lock);
	free(hub);
}

void adm_stream_hub_metrics(struct adm_stream_hub *hub, struct fc_buf *out)
{
	struct adm_stream *st;
	size_t open_streams, buffered = 0;
	uint64_t refused;

	if (!hub)
		return;
	pthread_mutex_lock(&hub->lock);
	hub_reap(hub);
	open_streams = hub->nstreams;
	refused = hub->refused;
	for (st = hub->list.next; st != &hub->list; st = st->next)
		buffered += st->out.len - st->sent;
	pthread_mutex_unlock(&hub->lock);
	fc_buf_addf(out,
		    "# HELP flytec_watch_streams Watch streams (server-sent events) open now.\n"
		    "# TYPE flytec_watch_streams gauge\n"
		    "flytec_watch_streams %zu\n"
		    "# HELP flytec_watch_streams_refused_total Watch streams refused at the limit (503).\n"
		    "# TYPE flytec_watch_streams_refused_total counter\n"
		    "flytec_watch_streams_refused_total %llu\n"
		    "# HELP flytec_watch_streams_buffered_bytes Rendered event bytes the streams' clients have not taken yet.\n"
		    "# TYPE flytec_watch_streams_buffered_bytes gauge\n"
		    "flytec_watch_streams_buffered_bytes %zu\n",
		    open_streams, (unsigned long long)refused, buffered);
}

/* ------------------------------------------------------------------------------------------------------------
 * Rendering: events in the text/event-stream format. Data is one JSON document; should it hold line breaks (it
 * does not: proto3 JSON is written on one line), each line would go out as its own data: field.
 */
static void add_data(struct fc_buf *out, const char *text, size_t len)
{
	while (len && text[len - 1] == '\n')
		len--;
	for (;;) {
		const char *nl = memchr(text, '\n', len);
		size_t line = nl ? (size_t)(nl - text) : len;

		fc_buf_adds(out, "data: ");
		fc_buf_add(out, text, line);
		fc_buf_addch(out, '\n');
		if (!nl)
			break;
		text += line + 1;
		len -= line + 1;
	}
	fc_buf_addch(out, '\n');
}

static int add_msg_event(struct adm_stream *st, struct fc_buf *out, const char *event, const ProtobufCMessage *msg,
			 struct fc_err *err)
{
	struct fc_buf json = FC_BUF_INIT;
	int rc;

	fc_buf_set_cap(&json, st->hub->max_answer);
	rc = fc_pbjson_encode_buf(msg, 0, &json, err);
	if (rc && fc_buf_error(&json))
		rc = fc_err_set(err, FC_ELIMIT, "the %s event would pass the answer limit of %zu bytes", event,
				st->hub->max_answer);
	if (!rc) {
		fc_buf_fix_utf8(&json);
		fc_buf_addf(out, "id: %llu\nevent: %s\n", (unsigned long long)++st->seq, event);
		add_data(out, json.buf, json.len);
	}
	fc_buf_release(&json);
	return rc;
}

/* An `error` event: the stream could not render its state (the store failed, a limit). */
static void add_error_event(struct adm_stream *st, struct fc_buf *out, const struct fc_err *err)
{
	struct fc_buf json = FC_BUF_INIT;

	fc_buf_addf(&json, "{\"code\":\"%s\",\"message\":", fc_strerror_name(err->code));
	fc_buf_add_json_string(&json, err->msg, strlen(err->msg));
	fc_buf_addch(&json, '}');
	fc_buf_fix_utf8(&json);
	fc_buf_addf(out, "id: %llu\nevent: error\n", (unsigned long long)++st->seq);
	add_data(out, json.buf, json.len);
	fc_buf_release(&json);
}

struct node_seen {
	uint64_t fingerprint;
};

/* What a client shows of a node: when it differs, the node goes out in the next `nodes-changed`. */
static uint64_t node_fingerprint(const struct adm_node_execution *n)
{
	int64_t v[6] = {n->phase, n->updated_at, n->started_at, n->duration_ns, (int64_t)n->outputs_len,
			(int64_t)n->error_len};

	return fc_hash_bytes(v, sizeof(v));
}

/* Remember that the client has (or reads) node n as it is now. */
static void node_remember(struct adm_stream *st, const struct adm_node_execution *n, uint64_t fingerprint)
{
	struct node_seen *seen = fc_strmap_get(&st->seen, n->node_id);

	if (!seen) {
		seen = fc_arena_alloc(&st->seen_arena, sizeof(*seen));
		fc_strmap_put(&st->seen, fc_arena_strdup(&st->seen_arena, n->node_id), seen);
	}
	seen->fingerprint = fingerprint;
}

/*
 * The execution and its nodes, read under the store's lock so that both are of the same moment. The first
 * rendering sends `nodes`: the first page of the list (ADM_STREAM_NODES_PAGE, the list endpoint's order, with its
 * `token` for the rest); later ones send `nodes-changed`: the nodes that changed since, at most a page of them (the
 * rest are due in the next rendering: *more).
 */
static int render_execution(struct adm_stream *st, bool first, struct fc_buf *out, bool *terminal, bool *more,
			    struct fc_err *err)
{
	Flyteidl__Admin__NodeExecutionList l = FLYTEIDL__ADMIN__NODE_EXECUTION_LIST__INIT;
	struct adm_exec_id id = {st->project, st->domain, st->name};
	struct adm_query q = {.limit = ADM_STREAM_NODES_MAX};
	struct adm_query page = {.limit = ADM_STREAM_NODES_PAGE};
	struct adm_store *store = st->hub->store;
	Flyteidl__Admin__Execution *m;
	struct adm_node_execution *nodes, *first_page = NULL, **send;
	struct adm_execution x;
	struct fc_arena a;
	char *next = NULL, *all_next;
	size_t n, nfirst = 0, nsend = 0, i;
	int rc;

	*more = false;
	fc_arena_init(&a, 16384);
	adm_store_lock(store);
	rc = adm_execution_get(store, &id, &a, &x, err);
	if (!rc && first)
		rc = adm_node_execution_list(store, &id, NULL, &page, &a, &first_page, &nfirst, &next, err);
	if (!rc)
		rc = adm_node_execution_list(store, &id, NULL, &q, &a, &nodes, &n, &all_next, err);
	adm_store_unlock(store);
	if (rc)
		goto out;
	*terminal = adm_wf_phase_terminal(x.phase);
	rc = adm_execution_msg(&x, &a, &m, err);
	if (rc)
		goto out;
	send = fc_arena_array(&a, (first ? nfirst : n) + 1, sizeof(*send));
	if (first) {
		for (i = 0; i < nfirst; i++)
			send[nsend++] = &first_page[i];
		for (i = 0; i < n; i++)
			node_remember(st, &nodes[i], node_fingerprint(&nodes[i]));
	} else {
		for (i = 0; i < n; i++) {
			const struct node_seen *seen = fc_strmap_get(&st->seen, nodes[i].node_id);
			uint64_t fp = node_fingerprint(&nodes[i]);

			if (seen && seen->fingerprint == fp)
				continue;
			if (nsend == ADM_STREAM_NODES_PAGE) {
				*more = true;
				break;
			}
			node_remember(st, &nodes[i], fp);
			send[nsend++] = &nodes[i];
		}
	}
	l.n_node_executions = nsend;
	l.node_executions = fc_arena_array(&a, nsend + 1, sizeof(*l.node_executions));
	for (i = 0; i < nsend && !rc; i++)
		rc = adm_node_execution_msg(send[i], &a, &l.node_executions[i], err);
	if (rc)
		goto out;
	l.token = next ? next : (char *)protobuf_c_empty_string;
	rc = add_msg_event(st, out, "execution", &m->base, err);
	if (!rc)
		rc = add_msg_event(st, out, first ? "nodes" : "nodes-changed", &l.base, err);
out:
	fc_arena_release(&a);
	return rc;
}

/* `changed` with the names taken from the stream (owned; freed here). */
static void render_changed(struct adm_stream *st, struct fc_buf *out, char **names, size_t n, bool truncated)
{
	struct fc_buf json = FC_BUF_INIT;
	size_t i;

	fc_buf_adds(&json, "{\"executions\":[");
	for (i = 0; i < n; i++) {
		if (i)
			fc_buf_addch(&json, ',');
		fc_buf_add_json_string(&json, names[i], strlen(names[i]));
		free(names[i]);
	}
	fc_buf_addf(&json, "]%s}", truncated ? ",\"truncated\":true" : "");
	fc_buf_fix_utf8(&json);
	fc_buf_addf(out, "id: %llu\nevent: changed\n", (unsigned long long)++st->seq);
	add_data(out, json.buf, json.len);
	fc_buf_release(&json);
	free(names);
}

/*
 * libmicrohttpd's content reader: hand out what is rendered; when that is sent, render the next state if one is
 * due, a ping if that is due, or suspend until the hub resumes the connection. Returns the bytes copied, 0 after
 * suspending, or the end of the stream (terminal execution, hub closing).
 */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct adm_stream *st = cls;
	struct adm_stream_hub *hub = st->hub;

	(void)pos;
	pthread_mutex_lock(&hub->lock);
	for (;;) {
		int64_t now;
		bool render, ping;

		if (st->sent < st->out.len) {
			size_t n = st->out.len - st->sent < max ? st->out.len - st->sent : max;

			memcpy(buf, st->out.buf + st->sent, n);
			st->sent += n;
			pthread_mutex_unlock(&hub->lock);
			return (ssize_t)n;
		}
		fc_buf_reset(&st->out);
		st->sent = 0;
		if (hub->closing || st->ending) {
			pthread_mutex_unlock(&hub->lock);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		now = mono_ns();
		render = !st->started || (st->dirty && now - st->last_render_ns >= st->render_gap_ns);
		ping = now - st->last_write_ns >= ADM_STREAM_PING_S * NS_PER_S;
		if (!render && !ping) {
			int64_t due = st->last_write_ns + ADM_STREAM_PING_S * NS_PER_S;
			bool parked;

			if (st->dirty && st->last_render_ns + st->render_gap_ns < due)
				due = st->last_render_ns + st->render_gap_ns;
			parked = adm_park_conn(hub->park, &st->park, st->conn, due, NULL, NULL, 0);
			pthread_mutex_unlock(&hub->lock);
			/* not parked: the server is stopping */
			return parked ? 0 : MHD_CONTENT_READER_END_OF_STREAM;
		}
		if (render) {
			struct fc_buf rendered = FC_BUF_INIT;
			bool first = !st->started;

			st->started = true;
			st->dirty = false;
			st->last_render_ns = now;
			if (st->kind == STREAM_EXECUTION) {
				struct fc_err err;
				bool terminal = false, more = false;
				int rc;

				/* unlocked: reads the store (whose lock comes first); the stream is this thread's (its `seen`
				 * too: only this callback touches it) */
				pthread_mutex_unlock(&hub->lock);
				rc = render_execution(st, first, &rendered, &terminal, &more, &err);
				if (rc)
					add_error_event(st, &rendered, &err);
				pthread_mutex_lock(&hub->lock);
				/* a large execution (thousands of nodes) costs a while to render: space its renderings out so
				 * that one stream never takes more than a third of a thread */
				st->render_gap_ns = 2 * (mono_ns() - now);
				if (st->render_gap_ns < ADM_STREAM_COALESCE_MS * NS_PER_MS)
					st->render_gap_ns = ADM_STREAM_COALESCE_MS * NS_PER_MS;
				if (more) /* the rest of the changed nodes: in the next rendering, coalescing as usual */
					st->dirty = true;
				if ((terminal && !more) || rc == FC_ENOENT)
					st->ending = true;
			} else if (first) {
				fc_buf_addf(&rendered, ": watching executions of %s/%s\n\n", st->project, st->domain);
			} else {
				char **names = st->names;
				size_t n = st->nnames;
				bool truncated = st->truncated;

				st->names = NULL;
				st->nnames = st->anames = 0;
				st->truncated = false;
				render_changed(st, &rendered, names, n, truncated);
			}
			fc_buf_add(&st->out, rendered.buf, rendered.len);
			fc_buf_release(&rendered);
		} else {
			fc_buf_adds(&st->out, ": ping\n\n");
		}
		st->last_write_ns = now;
	}
}

static void stream_response_freed(void *cls)
{
	struct adm_stream *st = cls;

	__atomic_store_n(&st->closed, 1, __ATOMIC_RELEASE);
}

void *adm_stream_response(struct adm_stream *st)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_read, st,
						 stream_response_freed);
	if (!resp) {
		stream_response_freed(st);
		return NULL;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no"); /* proxies: pass events on at once */
	return resp;
}

/* ------------------------------------------------------------------------------------------------------------
 * The handlers.
 */
static void open_stream(struct adm_req *r, enum stream_kind kind, const struct adm_exec_id *id)
{
	struct adm_stream_hub *hub = r->srv ? adm_server_streams(r->srv) : NULL;
	struct adm_stream *st;
	const char *last;

	if (!hub || !r->conn) {
		adm_reply_error(r, FC_EUNSUPPORTED, "watch streams need a connection");
		return;
	}
	pthread_mutex_lock(&hub->lock);
	hub_reap(hub);
	if (hub->closing || hub->nstreams >= hub->max_streams) {
		size_t limit = hub->max_streams;

		hub->refused++;
		pthread_mutex_unlock(&hub->lock);
		adm_reply_error(r, FC_EUNAVAILABLE, "%zu watch streams are open, the server's limit; retry later", limit);
		return;
	}
	st = fc_xcalloc(1, sizeof(*st));
	st->hub = hub;
	st->conn = r->conn;
	st->kind = kind;
	st->project = fc_xstrdup(id->project);
	st->domain = fc_xstrdup(id->domain);
	st->name = id->name ? fc_xstrdup(id->name) : NULL;
	fc_buf_init(&st->out, 0);
	fc_strmap_init(&st->seen);
	fc_arena_init(&st->seen_arena, 0);
	/* the client's Last-Event-ID: ids go on from it (the stream still starts with the whole current state) */
	last = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Last-Event-ID");
	if (last) {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(last, &end, 10);
		if (!errno && !*end && end != last)
			st->seq = v;
	}
	st->last_write_ns = mono_ns();
	st->render_gap_ns = ADM_STREAM_COALESCE_MS * NS_PER_MS;
	st->prev = hub->list.prev;
	st->next = &hub->list;
	hub->list.prev->next = st;
	hub->list.prev = st;
	hub->nstreams++;
	pthread_mutex_unlock(&hub->lock);
	r->stream = st;
	r->status = 200;
	r->content_type = "text/event-stream";
}

void adm_watch_execution(struct adm_req *r)
{
	struct adm_exec_id id = {adm_req_param(r, 0), adm_req_param(r, 1), adm_req_param(r, 2)};
	struct adm_execution x;
	struct fc_err err;

	if (adm_check_project(id.project, &err) || adm_check_name("execution name", id.name, &err) ||
	    adm_execution_get(r->store, &id, &r->arena, &x, &err)) {
		adm_reply_err(r, &err);
		return;
	}
	open_stream(r, STREAM_EXECUTION, &id);
}

void adm_watch_project(struct adm_req *r)
{
	struct adm_exec_id id = {adm_req_param(r, 0), adm_req_param(r, 1), NULL};
	struct fc_err err;

	if (adm_check_project(id.project, &err) || adm_check_scope(r->store, id.project, id.domain, false, &err)) {
		adm_reply_err(r, &err);
		return;
	}
	open_stream(r, STREAM_PROJECT, &id);
}
