/* engine.c: the propeller's loop, its persistence and its public API (engine.h). */
#include "propeller/engine_int.h"

#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"
#include "plugins/registry.h"
#include "propeller/catalog.h"
#include "propeller/events.h"
#include "compiler/lit.h"
#include "propeller/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_PARALLELISM 25

int64_t prop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void prop_exec_key(const char *project, const char *domain, const char *name, struct fc_buf *out)
{
	fc_buf_addf(out, "%s-%s-%s", project, domain, name);
}

int prop_attempt_log(const char *data_dir, const char *project, const char *domain, const char *name,
		     const char *node_id, uint32_t attempt, const char *stream, struct prop_log_span *out,
		     struct fc_err *err)
{
	struct fc_buf key = FC_BUF_INIT, path = FC_BUF_INIT;
	struct stat st;
	int rc = FC_OK;

	memset(out, 0, sizeof(*out));
	prop_exec_key(project, domain, name, &key);
	if (strcmp(stream, "stdout") && strcmp(stream, "stderr")) {
		rc = fc_err_set(err, FC_EINVAL, "no log stream '%s' (stdout or stderr)", stream);
		goto out;
	}
	if (!prop_store_key_valid(key.buf) || !prop_store_key_valid(node_id) || strchr(key.buf, '/') ||
	    strchr(node_id, '/')) {
		rc = fc_err_set(err, FC_EINVAL, "not an execution and node of this data directory: %s, %s", key.buf,
				node_id);
		goto out;
	}
	/* The layout of the container plugin (plugins/launcher.h): <exec>/<node>/data/<attempt>/<stream>.log. */
	fc_buf_addf(&path, "%s/%s/%s/data/%u/%s.log", data_dir, key.buf, node_id, attempt, stream);
	if (stat(path.buf, &st) == 0 && S_ISREG(st.st_mode))
		out->length = (uint64_t)st.st_size;
	out->path = fc_buf_detach(&path, NULL);
out:
	fc_buf_release(&key);
	fc_buf_release(&path);
	return rc;
}

/* --- queues ------------------------------------------------------------------------------------------------ */

void prop_enqueue(struct prop_node *n)
{
	struct prop_engine *e = n->wf->ex->e;

	if (n->in_runq)
		return;
	n->in_runq = true;
	if (e->runq_len == e->runq_alloc) {
		size_t alloc = e->runq_alloc ? e->runq_alloc * 2 : 256, i;
		struct prop_node **q = fc_xmalloc(alloc * sizeof(*q));

		for (i = 0; i < e->runq_len; i++)
			q[i] = e->runq[(e->runq_head + i) % e->runq_alloc];
		free(e->runq);
		e->runq = q;
		e->runq_alloc = alloc;
		e->runq_head = 0;
	}
	e->runq[(e->runq_head + e->runq_len++) % e->runq_alloc] = n;
}

static struct prop_node *dequeue(struct prop_engine *e)
{
	struct prop_node *n;

	if (!e->runq_len)
		return NULL;
	n = e->runq[e->runq_head];
	e->runq_head = (e->runq_head + 1) % e->runq_alloc;
	e->runq_len--;
	n->in_runq = false;
	return n;
}

void prop_mark_dirty(struct prop_node *n)
{
	struct prop_engine *e = n->wf->ex->e;

	if (n->dirty)
		return;
	n->dirty = true;
	FC_ALLOC_GROW(e->dirty, e->ndirty + 1, e->dirty_alloc);
	e->dirty[e->ndirty++] = n;
}

void prop_exec_dirty(struct prop_exec *ex)
{
	ex->dirty = true;
}

void prop_set_wake(struct prop_node *n, int64_t realtime_ns)
{
	struct prop_engine *e = n->wf->ex->e;

	if (!n->wake_ns) {
		FC_ALLOC_GROW(e->timed, e->ntimed + 1, e->timed_alloc);
		e->timed[e->ntimed++] = n;
	}
	if (!n->wake_ns || realtime_ns < n->wake_ns)
		n->wake_ns = realtime_ns ? realtime_ns : 1;
}

bool prop_take_slot(struct prop_node *n)
{
	struct prop_exec *ex = n->wf->ex;
	uint32_t max = ex->cfg.max_parallelism ? ex->cfg.max_parallelism : DEFAULT_PARALLELISM;

	if (n->holds_slot)
		return true;
	if (ex->running_tasks >= max) {
		if (!n->waiting_slot) {
			n->waiting_slot = true;
			FC_ALLOC_GROW(ex->waiting, ex->nwaiting + 1, ex->waiting_alloc);
			ex->waiting[ex->nwaiting++] = n;
		}
		return false;
	}
	n->waiting_slot = false;
	n->holds_slot = true;
	ex->running_tasks++;
	return true;
}

int64_t prop_store_backoff_ns(unsigned failures)
{
	int64_t ms = PROP_STORE_BACKOFF_MIN_MS;

	while (failures-- > 1 && ms < PROP_STORE_BACKOFF_MAX_MS)
		ms *= 2;
	return (ms < PROP_STORE_BACKOFF_MAX_MS ? ms : PROP_STORE_BACKOFF_MAX_MS) * 1000000;
}

void prop_node_store_retry(struct prop_node *n, const struct fc_err *err)
{
	if (n->store_retries < UINT8_MAX)
		n->store_retries++;
	fc_warn("%s: storage write failed, retrying: %s", n->wf->ex->key, err ? err->msg : "?");
	prop_set_wake(n, prop_now_ns() + prop_store_backoff_ns(n->store_retries));
}

void prop_release_slot(struct prop_node *n)
{
	struct prop_exec *ex = n->wf->ex;

	if (!n->holds_slot)
		return;
	n->holds_slot = false;
	ex->running_tasks--;
	while (ex->waiting_head < ex->nwaiting) {
		struct prop_node *w = ex->waiting[ex->waiting_head++];

		if (w->waiting_slot && !(w->phase >= NP_SUCCEEDED)) {
			/* It asks again when stepped; another ready node may take the slot first. */
			w->waiting_slot = false;
			prop_enqueue(w);
			break;
		}
	}
	if (ex->waiting_head == ex->nwaiting)
		ex->waiting_head = ex->nwaiting = 0;
}

void prop_node_close_watch(struct prop_node *n)
{
	if (n->watch_fd >= 0) {
		epoll_ctl(n->wf->ex->e->epfd, EPOLL_CTL_DEL, n->watch_fd, NULL);
		close(n->watch_fd);
		n->watch_fd = -1;
	}
}

/* --- the plugin host --------------------------------------------------------------------------------------- */

static struct prop_node *ctx_node(const struct plg_task_ctx *ctx)
{
	return ctx->host_data;
}

static int host_watch_fd(const struct plg_task_ctx *ctx, int fd)
{
	struct prop_node *n = ctx_node(ctx);
	struct epoll_event ev;

	prop_node_close_watch(n);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = n;
	if (epoll_ctl(n->wf->ex->e->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		return -1;
	}
	n->watch_fd = fd;
	return 0;
}

static void host_wake_at(const struct plg_task_ctx *ctx, int64_t realtime_ns)
{
	prop_set_wake(ctx_node(ctx), realtime_ns);
}

static void host_set_state(const struct plg_task_ctx *ctx, const void *data, size_t len)
{
	struct prop_node *n = ctx_node(ctx);

	if (len > 65536)
		len = 65536;
	free(n->pstate);
	n->pstate = len ? fc_xmalloc(len) : NULL;
	if (len)
		memcpy(n->pstate, data, len);
	n->pstate_len = len;
	prop_mark_dirty(n);
}

static const char *host_input_text(const struct plg_task_ctx *ctx, const char *var)
{
	struct prop_node *n = ctx_node(ctx);
	const Flyteidl__Core__Literal *lit = cmp_litmap_get(n->inputs, var);
	struct fc_buf b = FC_BUF_INIT;
	const char *s;

	if (!lit)
		return NULL;
	cmp_lit_render(lit, CMP_LIT_SHOW_PLAIN, &b);
	s = fc_arena_strdup(&n->wf->ex->arena, b.buf);
	fc_buf_release(&b);
	return s;
}

static const Flyteidl__Core__LiteralType *output_type(const struct prop_node *n, const char *var)
{
	const Flyteidl__Core__VariableMap *outs = n->task->interface ? n->task->interface->outputs : NULL;
	size_t i;

	for (i = 0; outs && i < outs->n_variables; i++)
		if (!strcmp(outs->variables[i]->key, var))
			return outs->variables[i]->value ? outs->variables[i]->value->type : NULL;
	return NULL;
}

static int host_set_output_text(const struct plg_task_ctx *ctx, const char *var, const char *text, char *errbuf,
				size_t errlen)
{
	struct prop_node *n = ctx_node(ctx);
	struct prop_exec *ex = n->wf->ex;
	const Flyteidl__Core__LiteralType *type = output_type(n, var);
	Flyteidl__Core__Literal *lit;
	struct fc_err err;

	if (!type) {
		snprintf(errbuf, errlen, "the task declares no output '%s'", var);
		return -1;
	}
	if (cmp_lit_from_text(&ex->arena, type, text, CMP_LIT_TEXT_FILE, &lit, &err)) {
		snprintf(errbuf, errlen, "%s", err.msg);
		return -1;
	}
	if (!n->set_outputs)
		n->set_outputs = cmp_litmap_new(&ex->arena);
	cmp_litmap_put(&ex->arena, n->set_outputs, var, lit);
	return 0;
}

static int host_set_output_from_input(const struct plg_task_ctx *ctx, const char *var, const char *input_var)
{
	struct prop_node *n = ctx_node(ctx);
	Flyteidl__Core__Literal *lit = cmp_litmap_get(n->inputs, input_var);

	if (!lit)
		return -1;
	if (!n->set_outputs)
		n->set_outputs = cmp_litmap_new(&n->wf->ex->arena);
	cmp_litmap_put(&n->wf->ex->arena, n->set_outputs, var, lit);
	return 0;
}

static const char *host_task_config(const struct plg_task_ctx *ctx, const char *key)
{
	const Flyteidl__Core__TaskTemplate *t = ctx_node(ctx)->task;
	size_t i;

	for (i = 0; i < t->n_config; i++)
		if (!strcmp(t->config[i]->key, key))
			return t->config[i]->value;
	return NULL;
}

static const char *host_strdup(const struct plg_task_ctx *ctx, const char *s)
{
	return fc_arena_strdup(&ctx_node(ctx)->wf->ex->e->scratch, s ? s : "");
}

static void host_log(const struct plg_task_ctx *ctx, int level, const char *msg)
{
	fc_log((enum fc_log_level)(level < 0 ? 0 : level > 3 ? 3 : level), "%s: %s", ctx_node(ctx)->uid, msg);
}

const struct plg_host prop_plugin_host = {
	.abi_version = PLG_ABI_VERSION,
	.watch_fd = host_watch_fd,
	.wake_at = host_wake_at,
	.set_state = host_set_state,
	.input_text = host_input_text,
	.set_output_text = host_set_output_text,
	.set_output_from_input = host_set_output_from_input,
	.task_config = host_task_config,
	.strdup = host_strdup,
	.log = host_log,
};

/* --- the local-process task runtime (backend.h) ------------------------------------------------------------ */

static const struct plg_plugin *local_plugin_for(void *ctx, const char *task_type)
{
	return plg_registry_find(ctx, task_type);
}

static int local_prepare_attempt(void *ctx, const char *sandbox_dir, size_t existing_len, struct fc_err *err)
{
	(void)ctx;
	return prop_mkdirs_below(sandbox_dir, existing_len, err);
}

static const struct prop_task_runtime_ops local_runtime_ops = {
	.name = "local",
	.plugin_for = local_plugin_for,
	.prepare_attempt = local_prepare_attempt,
};

/* --- open / free ------------------------------------------------------------------------------------------- */

int prop_engine_open(const struct prop_config *cfg, struct prop_engine **out, struct fc_err *err)
{
	struct prop_engine *e = fc_xcalloc(1, sizeof(*e));

	fc_arena_init(&e->scratch, 4096);
	struct fc_buf path = FC_BUF_INIT;
	struct epoll_event ev;
	int rc;

	*out = NULL;
	plg_container_prefork();
	e->epfd = e->timerfd = e->wakefd = -1;
	if (!cfg->data_dir) {
		rc = fc_err_set(err, FC_EINVAL, "the propeller needs a data directory");
		goto out;
	}
	e->cfg = *cfg;
	e->data_dir = fc_xstrdup(cfg->data_dir);
	e->producer = fc_xstrdup(cfg->producer_id ? cfg->producer_id : "flytec-propeller");
	rc = prop_store_local_open(cfg->data_dir, cfg->durable, &e->store, err);
	if (rc)
		goto out;
	if (cfg->raw_output_prefix) {
		e->raw_prefix = fc_xstrdup(cfg->raw_output_prefix);
	} else {
		prop_store_local_path(e->store, "raw", &path, NULL);
		e->raw_prefix = fc_buf_detach(&path, NULL);
	}
	if (cfg->state) {
		e->sb = *cfg->state;
	} else {
		fc_buf_reset(&path);
		prop_store_local_path(e->store, "propeller.db", &path, NULL);
		rc = prop_state_open(path.buf, cfg->durable, &e->state, err);
		if (rc)
			goto out;
		prop_state_sqlite_backend(e->state, &e->sb);
	}
	fc_buf_reset(&path);
	prop_store_local_path(e->store, "catalog.db", &path, NULL);
	rc = prop_catalog_open(path.buf, &e->catalog, err);
	if (rc)
		goto out;
	if (cfg->plugins) {
		e->plugins = cfg->plugins;
	} else {
		e->plugins = plg_registry_new();
		e->own_plugins = true;
		if (cfg->plugin_dir && (rc = plg_registry_load_dir(e->plugins, cfg->plugin_dir, err)))
			goto out;
	}
	if (cfg->runtime) {
		e->runtime = *cfg->runtime;
	} else {
		e->runtime.ops = &local_runtime_ops;
		e->runtime.ctx = e->plugins;
	}
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	e->timerfd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK);
	e->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (e->epfd < 0 || e->timerfd < 0 || e->wakefd < 0) {
		rc = fc_err_set(err, FC_EIO, "epoll/timerfd/eventfd: %s", strerror(errno));
		goto out;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = &e->timerfd;
	epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->timerfd, &ev);
	ev.data.ptr = &e->wakefd;
	epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->wakefd, &ev);
	prop_catalog_owner_init(&e->cache_owner, e->cache_engine_id, sizeof(e->cache_engine_id));
	*out = e;
	e = NULL;
out:
	fc_buf_release(&path);
	prop_engine_free(e);
	return rc;
}

static void exec_free(struct prop_exec *ex);

/* Make a closure's tasks and subworkflows findable by id in an execution (its own, and a launch plan's). */
int prop_exec_index_closure(struct prop_exec *ex, const Flyteidl__Core__CompiledWorkflowClosure *c, struct fc_err *err)
{
	struct fc_buf b = FC_BUF_INIT;
	size_t i;
	int rc = FC_OK;

	for (i = 0; i < c->n_tasks && !rc; i++) {
		const Flyteidl__Core__TaskTemplate *t = c->tasks[i]->template_;

		if (!t || !t->id) {
			rc = fc_err_set(err, FC_EINVAL, "task %zu of the closure has no template or id", i);
			break;
		}
		fc_buf_reset(&b);
		fc_buf_addf(&b, "%s/%s/%s/%s", t->id->project, t->id->domain, t->id->name, t->id->version);
		if (!fc_strmap_has(&ex->tasks, b.buf))
			fc_strmap_put(&ex->tasks, fc_arena_strdup(&ex->arena, b.buf), (void *)t);
	}
	for (i = 0; i < c->n_sub_workflows && !rc; i++) {
		const Flyteidl__Core__CompiledWorkflow *w = c->sub_workflows[i];

		if (!w->template_ || !w->template_->id) {
			rc = fc_err_set(err, FC_EINVAL, "subworkflow %zu of the closure has no template or id", i);
			break;
		}
		fc_buf_reset(&b);
		fc_buf_addf(&b, "%s/%s/%s/%s", w->template_->id->project, w->template_->id->domain,
			    w->template_->id->name, w->template_->id->version);
		if (!fc_strmap_has(&ex->subwfs, b.buf))
			fc_strmap_put(&ex->subwfs, fc_arena_strdup(&ex->arena, b.buf), (void *)w);
	}
	fc_buf_release(&b);
	return rc;
}

void prop_engine_free(struct prop_engine *e)
{
	if (!e)
		return;
	while (e->execs) {
		struct prop_exec *next = e->execs->next;

		exec_free(e->execs);
		e->execs = next;
	}
	if (e->own_plugins)
		plg_registry_free(e->plugins);
	if (e->catalog && e->cache_owner.engine)
		prop_catalog_release_all(e->catalog, e->cache_owner.engine, NULL);
	prop_catalog_free(e->catalog);
	prop_state_free(e->state);
	prop_store_free(e->store);
	if (e->epfd >= 0)
		close(e->epfd);
	if (e->timerfd >= 0)
		close(e->timerfd);
	if (e->wakefd >= 0)
		close(e->wakefd);
	fc_arena_release(&e->scratch);
	free(e->cache_waiters);
	free(e->runq);
	free(e->dirty);
	free(e->timed);
	free(e->data_dir);
	free(e->raw_prefix);
	free(e->producer);
	free(e);
}

/* --- executions -------------------------------------------------------------------------------------------- */

static void free_nodes_of(struct prop_wf *wf);

static void free_node(struct prop_node *n)
{
	uint32_t i;

	free(n->pstate);
	n->pstate = NULL;
	if (n->watch_fd >= 0) {
		close(n->watch_fd);
		n->watch_fd = -1;
	}
	if (n->sub)
		free_nodes_of(n->sub);
	for (i = 0; i < n->nchildren && n->children; i++)
		free_node(&n->children[i]);
}

static void free_nodes_of(struct prop_wf *wf)
{
	size_t i;

	for (i = 0; i < wf->n; i++)
		free_node(&wf->nodes[i]);
	if (wf->failure_node)
		free_node(wf->failure_node);
	fc_strmap_release(&wf->by_id);
}

static void exec_free(struct prop_exec *ex)
{
	size_t i;

	if (!ex)
		return;
	prop_cache_forget_exec(ex->e, ex);
	if (ex->top)
		free_nodes_of(ex->top);
	prop_exec_free_specs(ex);
	free(ex->packed_buf);
	for (i = ex->events_head; i < ex->nevents; i++)
		free(ex->events[i].data);
	free(ex->events);
	free(ex->waiting);
	fc_strmap_release(&ex->tasks);
	fc_strmap_release(&ex->subwfs);
	for (i = 0; i < ex->rows.cap; i++)
		if (ex->rows.slots[i].key)
			free(ex->rows.slots[i].value); /* rows of nodes never made */
	fc_strmap_release(&ex->rows);
	fc_arena_release(&ex->arena);
	free(ex);
}

static bool name_ok(const char *s, size_t max)
{
	size_t n = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '-'))
			return false;
	return n <= max;
}

static void config_render(const struct prop_exec_config *c, struct fc_buf *out)
{
	fc_buf_addf(out, "max_parallelism=%u\ninterruptible=%d\ndeadline_seconds=%lld\noverwrite_cache=%d\n",
		    c->max_parallelism, c->interruptible, (long long)c->deadline_seconds, c->overwrite_cache);
	if (c->raw_output_prefix)
		fc_buf_addf(out, "raw_output_prefix=%s\n", c->raw_output_prefix);
}

static void config_parse(struct fc_arena *a, const char *text, struct prop_exec_config *c)
{
	const char *p = text;

	memset(c, 0, sizeof(*c));
	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char *line = fc_arena_strndup(a, p, len);
		char *eq = strchr(line, '=');

		if (eq) {
			*eq++ = '\0';
			if (!strcmp(line, "max_parallelism"))
				c->max_parallelism = (uint32_t)strtoul(eq, NULL, 10);
			else if (!strcmp(line, "interruptible"))
				c->interruptible = atoi(eq) != 0;
			else if (!strcmp(line, "deadline_seconds"))
				c->deadline_seconds = strtoll(eq, NULL, 10);
			else if (!strcmp(line, "overwrite_cache"))
				c->overwrite_cache = atoi(eq) != 0;
			else if (!strcmp(line, "raw_output_prefix"))
				c->raw_output_prefix = eq;
		}
		p = eol ? eol + 1 : NULL;
	}
}

/* The closure the engine keeps in memory leaves out each compiled workflow's `connections` (CompiledWorkflow field
 * 2: the compiler's upstream and downstream maps). The engine makes its edges from every node's upstream ids and
 * bindings (prop_wf_new) and never reads them, and unpacked they cost a map entry, an id list and a string per
 * edge in both directions: about a third of the unpacked closure of a DAG with two edges per node. The stored
 * closure keeps them (the store's row is written from the resource as given). */
static bool wire_field(const uint8_t *p, size_t len, size_t *off, uint64_t *key, size_t *body, size_t *end)
{
	uint64_t v = 0, n = 0;
	size_t o = *off;
	unsigned shift = 0;

	for (;;) { /* the key */
		if (o >= len || shift > 63)
			return false;
		v |= (uint64_t)(p[o] & 0x7f) << shift;
		shift += 7;
		if (!(p[o++] & 0x80))
			break;
	}
	*key = v;
	*body = o;
	switch (v & 7) {
	case 0:
		while (o < len && (p[o] & 0x80))
			o++;
		if (o++ >= len)
			return false;
		break;
	case 1:
	case 5:
		if (len - o < ((v & 7) == 1 ? 8u : 4u))
			return false;
		o += (v & 7) == 1 ? 8 : 4;
		break;
	case 2:
		for (shift = 0;;) {
			if (o >= len || shift > 63)
				return false;
			n |= (uint64_t)(p[o] & 0x7f) << shift;
			shift += 7;
			if (!(p[o++] & 0x80))
				break;
		}
		if (n > len - o)
			return false;
		*body = o;
		o += n;
		break;
	default: /* groups: not in flyteidl */
		return false;
	}
	*off = *end = o;
	return true;
}

static void wire_add_varint(struct fc_buf *b, uint64_t v)
{
	do {
		fc_buf_addch(b, (int)((v & 0x7f) | (v > 0x7f ? 0x80 : 0)));
		v >>= 7;
	} while (v);
}

/* Where the filter puts the nodes it takes out of the templates: their bytes, and one span list per compiled
 * workflow (0: the primary, i: sub_workflows[i - 1], in the order of the wire, which is the order protobuf-c
 * unpacks them in; a repeated primary or template merges, its nodes appended, as protobuf-c does). */
struct packed_out {
	struct fc_buf nodes;
	struct packed_span {
		size_t wf;
		uint32_t off, len;
	} *spans;
	size_t nspans, spans_alloc, nwf;
};

/* A WorkflowTemplate's bytes without its nodes (field 4), into `out`; the nodes' spans go to `po`. */
static bool template_without_nodes(const uint8_t *p, size_t len, size_t wf, struct fc_buf *out,
				   struct packed_out *po)
{
	size_t off = 0, start, body, end;
	uint64_t key;

	while (off < len) {
		start = off;
		if (!wire_field(p, len, &off, &key, &body, &end))
			return false;
		if (key != (4 << 3 | 2)) {
			fc_buf_add(out, p + start, end - start);
			continue;
		}
		if (po->nodes.len > UINT32_MAX - (end - body))
			return false;
		FC_ALLOC_GROW(po->spans, po->nspans + 1, po->spans_alloc);
		po->spans[po->nspans++] = (struct packed_span){wf, (uint32_t)po->nodes.len, (uint32_t)(end - body)};
		fc_buf_add(&po->nodes, p + body, end - body);
	}
	return true;
}

/* `closure` without the connections of its primary workflow (field 1) and subworkflows (field 2), and without
 * their templates' nodes (CompiledWorkflow field 1, WorkflowTemplate field 4: they go to `po`), into `out`; false
 * when the bytes are not well-formed (the caller then unpacks them as they are, which reports it). */
static bool closure_for_engine(const uint8_t *p, size_t len, struct fc_buf *out, struct packed_out *po)
{
	struct fc_buf wf = FC_BUF_INIT, tmpl = FC_BUF_INIT;
	size_t off = 0, start, body, end, woff, wstart, wbody, wend, idx;
	uint64_t key, wkey;
	bool ok = true;

	po->nwf = 1;
	while (ok && off < len) {
		start = off;
		if (!(ok = wire_field(p, len, &off, &key, &body, &end)))
			break;
		if (key != (1 << 3 | 2) && key != (2 << 3 | 2)) {
			fc_buf_add(out, p + start, end - start);
			continue;
		}
		idx = key == (1 << 3 | 2) ? 0 : po->nwf++;
		fc_buf_reset(&wf);
		for (woff = body; ok && woff < end;) {
			wstart = woff;
			if (!(ok = wire_field(p, end, &woff, &wkey, &wbody, &wend)))
				break;
			if (wkey == (1 << 3 | 2)) {
				fc_buf_reset(&tmpl);
				if (!(ok = template_without_nodes(p + wbody, wend - wbody, idx, &tmpl, po)))
					break;
				wire_add_varint(&wf, wkey);
				wire_add_varint(&wf, tmpl.len);
				fc_buf_add(&wf, tmpl.buf, tmpl.len);
			} else if (wkey != (2 << 3 | 2)) {
				fc_buf_add(&wf, p + wstart, wend - wstart);
			}
		}
		wire_add_varint(out, key);
		wire_add_varint(out, wf.len);
		fc_buf_add(out, wf.buf, wf.len);
	}
	fc_buf_release(&wf);
	fc_buf_release(&tmpl);
	return ok && !fc_buf_error(out) && !fc_buf_error(&po->nodes);
}

/* Give the unpacked closure's templates their packed nodes (`po`, from closure_for_engine), each checked once by
 * decoding it: the rest of the engine decodes them again when it needs them and takes them for well-formed. */
static int exec_keep_packed(struct prop_exec *ex, struct packed_out *po, struct fc_err *err)
{
	const Flyteidl__Core__CompiledWorkflowClosure *c = ex->closure;
	size_t *fill, i, total;
	int rc = FC_OK;

	ex->npacked = po->nwf;
	ex->packed = fc_arena_array(&ex->arena, po->nwf, sizeof(*ex->packed));
	ex->packed_buf = (uint8_t *)fc_buf_detach(&po->nodes, &total);
	ex->packed_buf = fc_xrealloc(ex->packed_buf, total ? total : 1); /* the buffer's doubling slack */
	fill = fc_xcalloc(po->nwf, sizeof(*fill));
	for (i = 0; i < po->nspans; i++)
		ex->packed[po->spans[i].wf].n++;
	for (i = 0; i < po->nwf; i++) {
		struct prop_packed_nodes *pn = &ex->packed[i];
		const Flyteidl__Core__CompiledWorkflow *cw = i == 0 ? c->primary
						       : i - 1 < c->n_sub_workflows ? c->sub_workflows[i - 1] : NULL;

		pn->tmpl = cw ? cw->template_ : NULL;
		pn->buf = ex->packed_buf;
		pn->off = fc_arena_array(&ex->arena, pn->n ? pn->n : 1, sizeof(*pn->off));
		pn->len = fc_arena_array(&ex->arena, pn->n ? pn->n : 1, sizeof(*pn->len));
	}
	for (i = 0; i < po->nspans; i++) {
		const struct packed_span *sp = &po->spans[i];
		struct prop_packed_nodes *pn = &ex->packed[sp->wf];
		Flyteidl__Core__Node *node;

		node = prop_spec_decode(ex->packed_buf + sp->off, sp->len);
		if (!node || !node->id || !*node->id) {
			rc = fc_err_set(err, FC_EINVAL, "node %zu of workflow %zu of the closure is %s", fill[sp->wf],
					sp->wf, node ? "without an id" : "not a valid Node message");
			prop_spec_free(node);
			break;
		}
		prop_spec_free(node);
		pn->off[fill[sp->wf]] = sp->off;
		pn->len[fill[sp->wf]++] = sp->len;
	}
	ex->e->stats.node_bytes += total;
	free(fill);
	return rc;
}

/* Build the in-memory execution from its (packed) resource. */
static int exec_build(struct prop_engine *e, const char *project, const char *domain, const char *name,
		      const void *closure, size_t closure_len, const void *inputs, size_t inputs_len,
		      const char *config_text, struct prop_exec **out, struct fc_err *err)
{
	struct prop_exec *ex = fc_xcalloc(1, sizeof(*ex));
	struct fc_buf b = FC_BUF_INIT;
	struct packed_out po = {FC_BUF_INIT, NULL, 0, 0, 0};
	bool packed;
	void *msg;
	int rc;

	*out = NULL;
	fc_arena_init(&ex->arena, 0);
	fc_strmap_init(&ex->tasks);
	fc_strmap_init(&ex->subwfs);
	fc_strmap_init(&ex->rows);
	ex->e = e;
	ex->project = fc_arena_strdup(&ex->arena, project);
	ex->domain = fc_arena_strdup(&ex->arena, domain);
	ex->name = fc_arena_strdup(&ex->arena, name);
	prop_exec_key(project, domain, name, &b);
	ex->key = fc_arena_strdup(&ex->arena, b.buf);
	fc_buf_reset(&b);
	packed = closure_for_engine(closure, closure_len, &b, &po);
	if (packed) {
		closure = b.buf;
		closure_len = b.len;
	}
	rc = cmp_pb_unpack(&ex->arena, &flyteidl__core__compiled_workflow_closure__descriptor, closure, closure_len,
			    &msg, err);
	if (rc)
		goto out;
	ex->closure = msg;
	fc_buf_release(&b);
	if (packed && (rc = exec_keep_packed(ex, &po, err)))
		goto out;
	if (inputs && inputs_len) {
		rc = cmp_pb_unpack(&ex->arena, &flyteidl__core__literal_map__descriptor, inputs, inputs_len, &msg, err);
		if (rc)
			goto out;
		ex->inputs = msg;
	} else {
		ex->inputs = cmp_litmap_new(&ex->arena);
	}
	config_parse(&ex->arena, config_text, &ex->cfg);
	ex->raw_prefix = fc_arena_strdup(&ex->arena, ex->cfg.raw_output_prefix ? ex->cfg.raw_output_prefix
									      : e->raw_prefix);
	if (!ex->closure->primary || !ex->closure->primary->template_) {
		rc = fc_err_set(err, FC_EINVAL, "the closure has no primary workflow");
		goto out;
	}
	rc = prop_exec_index_closure(ex, ex->closure, err);
	if (rc)
		goto out;
	*out = ex;
	ex = NULL;
out:
	fc_buf_release(&b);
	fc_buf_release(&po.nodes);
	free(po.spans);
	exec_free(ex);
	return rc;
}

static void exec_activate(struct prop_engine *e, struct prop_exec *ex)
{
	ex->top = prop_wf_new(ex, ex->closure->primary->template_, "", NULL, ex->inputs);
	if (ex->cfg.deadline_seconds > 0)
		ex->deadline_ns = ex->created_ns + ex->cfg.deadline_seconds * 1000000000;
	ex->next = e->execs;
	e->execs = ex;
	if (ex->phase < FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__RUNNING) {
		ex->phase = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__RUNNING;
		prop_emit_workflow(ex, ex->phase, NULL, NULL);
		prop_exec_dirty(ex);
	}
	prop_wf_start(ex->top);
}

int prop_engine_submit(struct prop_engine *e, const struct prop_workflow_resource *res, struct fc_err *err)
{
	struct fc_buf closure = FC_BUF_INIT, inputs = FC_BUF_INIT, config = FC_BUF_INIT, key = FC_BUF_INIT;
	struct prop_exec_row row;
	struct prop_exec *ex = NULL;
	int rc;

	if (!name_ok(res->project, 63) || !name_ok(res->domain, 63) || !name_ok(res->name, 63))
		return fc_err_set(err, FC_EINVAL, "execution ids are [A-Za-z0-9_-], 1 to 63 characters");
	if (!res->closure && !res->closure_pb_len)
		return fc_err_set(err, FC_EINVAL, "no workflow closure");
	if (res->closure)
		cmp_pb_pack(&res->closure->base, &closure);
	else
		fc_buf_add(&closure, res->closure_pb, res->closure_pb_len);
	if (res->inputs)
		cmp_pb_pack(&res->inputs->base, &inputs);
	config_render(&res->config, &config);
	prop_exec_key(res->project, res->domain, res->name, &key);
	rc = exec_build(e, res->project, res->domain, res->name, closure.buf, closure.len, inputs.buf, inputs.len,
			config.buf, &ex, err);
	if (rc)
		goto out;
	ex->created_ns = prop_now_ns();
	ex->phase = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__QUEUED;
	memset(&row, 0, sizeof(row));
	row.key = key.buf;
	row.project = res->project;
	row.domain = res->domain;
	row.name = res->name;
	row.closure = closure.buf;
	row.closure_len = closure.len;
	row.inputs = inputs.buf;
	row.inputs_len = inputs.len;
	row.config = config.buf;
	row.phase = ex->phase;
	row.created_ns = ex->created_ns;
	rc = e->sb.ops->exec_insert(e->sb.ctx, &row, err);
	if (rc)
		goto out;
	/* Workflow inputs are the start node's outputs, as in Flyte. */
	fc_buf_reset(&key);
	fc_buf_addf(&key, "%s/start-node/data/0/outputs.pb", ex->key);
	rc = prop_store_put_msg(e->store, key.buf, &ex->inputs->base, err);
	if (rc)
		goto out;
	prop_emit_workflow(ex, FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__QUEUED, NULL, NULL);
	exec_activate(e, ex);
	ex = NULL;
out:
	exec_free(ex);
	fc_buf_release(&closure);
	fc_buf_release(&inputs);
	fc_buf_release(&config);
	fc_buf_release(&key);
	return rc;
}

/* --- resume ------------------------------------------------------------------------------------------------ */

bool prop_exec_phase_terminal(int phase)
{
	return phase == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDED ||
	       phase == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED ||
	       phase == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTED ||
	       phase == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__TIMED_OUT;
}

struct resume_ctx {
	struct prop_engine *e;
	struct prop_exec **list;
	size_t n, alloc;
	struct fc_err *err;
	int rc;
};

static void resume_exec_cb(void *data, const struct prop_exec_row *row)
{
	struct resume_ctx *rc = data;
	struct prop_exec *ex;

	if (rc->rc)
		return;
	for (ex = rc->e->execs; ex; ex = ex->next)
		if (!strcmp(ex->key, row->key))
			return; /* already running in this engine */
	rc->rc = exec_build(rc->e, row->project, row->domain, row->name, row->closure, row->closure_len, row->inputs,
			    row->inputs_len, row->config, &ex, rc->err);
	if (rc->rc)
		return;
	ex->phase = row->phase;
	ex->done = prop_exec_phase_terminal(row->phase); /* loaded for its undelivered events only */
	ex->created_ns = row->created_ns;
	ex->event_seq = ex->delivered_seq = ex->deleted_seq = row->event_seq;
	if (row->abort_reason)
		ex->abort_reason = fc_arena_strdup(&ex->arena, row->abort_reason);
	FC_ALLOC_GROW(rc->list, rc->n + 1, rc->alloc);
	rc->list[rc->n++] = ex;
}

/* A node row of a resumed execution, kept until its node is made (prop_node_apply_row) and freed then: one
 * block for the row and its bytes, so a resume late in a large run does not keep every finished node's row for
 * the rest of it. The map's key (the uid) lives in the execution's arena. */
static void resume_node_cb(void *data, const struct prop_node_row *row)
{
	struct prop_exec *ex = data;
	size_t clen = row->error_code ? strlen(row->error_code) + 1 : 0;
	size_t mlen = row->error_msg ? strlen(row->error_msg) + 1 : 0;
	struct prop_node_row *copy = fc_xmalloc(sizeof(*copy) + row->pstate_len + clen + mlen);
	char *p = (char *)(copy + 1);

	*copy = *row;
	copy->uid = fc_arena_strdup(&ex->arena, row->uid);
	copy->pstate = NULL;
	if (row->pstate_len) {
		memcpy(p, row->pstate, row->pstate_len);
		copy->pstate = p;
		p += row->pstate_len;
	}
	if (clen) {
		memcpy(p, row->error_code, clen);
		copy->error_code = p;
		p += clen;
	}
	if (mlen)
		copy->error_msg = memcpy(p, row->error_msg, mlen);
	copy = fc_strmap_put(&ex->rows, copy->uid, copy);
	if (copy)
		free(copy); /* the same uid twice: the last row counts */
	else
		ex->rows_left++;
}

static void resume_event_cb(void *data, uint64_t seq, int kind, const void *payload, size_t len)
{
	struct prop_exec *ex = data;
	struct prop_pending_event *ev;

	FC_ALLOC_GROW(ex->events, ex->nevents + 1, ex->events_alloc);
	ev = &ex->events[ex->nevents++];
	ev->seq = seq;
	ev->kind = kind;
	ev->len = len;
	ev->data = fc_xmalloc(len ? len : 1);
	memcpy(ev->data, payload, len);
	ev->persisted = true;
	if (ex->delivered_seq >= seq)
		ex->delivered_seq = ex->deleted_seq = seq - 1;
}

int prop_engine_resume_all(struct prop_engine *e, size_t *count, struct fc_err *err)
{
	struct resume_ctx rc = {e, NULL, 0, 0, err, 0};
	size_t i;
	int res;

	if (count)
		*count = 0;
	res = e->sb.ops->exec_each_active(e->sb.ctx, resume_exec_cb, &rc, err);
	if (!res)
		res = rc.rc;
	for (i = 0; i < rc.n; i++) {
		struct prop_exec *ex = rc.list[i];

		if (res) {
			exec_free(ex);
			continue;
		}
		if (!ex->done)
			res = e->sb.ops->node_each(e->sb.ctx, ex->key, resume_node_cb, ex, err);
		if (!res)
			res = e->sb.ops->event_each(e->sb.ctx, ex->key, resume_event_cb, ex, err);
		if (res) {
			exec_free(ex);
			continue;
		}
		if (ex->done) {
			/* nothing to run: kept in the list until deliver() has sent the rest (exec_finished) */
			fc_info("execution %s finished with %zu event(s) not delivered: sending them", ex->key,
				ex->nevents);
			ex->next = e->execs;
			e->execs = ex;
			continue;
		}
		fc_info("resuming execution %s (%zu node records)", ex->key, ex->rows.size);
		exec_activate(e, ex);
		if (count)
			(*count)++;
	}
	free(rc.list);
	return res;
}

/* --- abort ------------------------------------------------------------------------------------------------- */

/* The loaded execution project/domain/name (its key left in `key`), or NULL. */
static struct prop_exec *exec_named(struct prop_engine *e, const char *project, const char *domain, const char *name,
				    struct fc_buf *key)
{
	struct prop_exec *ex;

	prop_exec_key(project, domain, name, key);
	for (ex = e->execs; ex; ex = ex->next)
		if (!strcmp(ex->key, key->buf))
			break;
	return ex;
}

int prop_engine_abort(struct prop_engine *e, const char *project, const char *domain, const char *name,
		      const char *reason, struct fc_err *err)
{
	struct fc_buf key = FC_BUF_INIT;
	struct prop_exec *ex = exec_named(e, project, domain, name, &key);
	int rc = FC_OK;

	if (!ex) {
		rc = fc_err_set(err, FC_ENOENT, "no running execution %s", key.buf);
		goto out;
	}
	if (!ex->done && !ex->abort_reason) {
		ex->abort_reason = fc_arena_strdup(&ex->arena, reason && *reason ? reason : "aborted");
		prop_exec_dirty(ex);
		prop_engine_wake(e);
	}
out:
	fc_buf_release(&key);
	return rc;
}

int prop_engine_fail(struct prop_engine *e, const char *project, const char *domain, const char *name,
		     const char *code, const char *message, struct fc_err *err)
{
	struct fc_buf key = FC_BUF_INIT;
	struct prop_exec *ex = exec_named(e, project, domain, name, &key);
	int rc = FC_OK;

	if (!ex) {
		rc = fc_err_set(err, FC_ENOENT, "no running execution %s", key.buf);
		goto out;
	}
	if (!ex->done && !ex->fail_msg) {
		ex->fail_code = fc_arena_strdup(&ex->arena, code && *code ? code : "Failed");
		ex->fail_msg = fc_arena_strdup(&ex->arena, message ? message : "");
		prop_engine_wake(e);
	}
out:
	fc_buf_release(&key);
	return rc;
}

/* --- the loop ---------------------------------------------------------------------------------------------- */

static void node_row(const struct prop_node *n, struct prop_node_row *row)
{
	memset(row, 0, sizeof(*row));
	row->uid = n->uid;
	row->phase = n->phase;
	row->attempts = n->attempts;
	row->user_failures = n->user_failures;
	row->sys_failures = n->sys_failures;
	row->started_ns = n->started_ns;
	row->attempt_started_ns = n->attempt_started_ns;
	row->aux = n->aux;
	row->pstate = n->pstate;
	row->pstate_len = n->pstate_len;
	row->error_code = n->error_code;
	row->error_msg = n->error_msg;
	row->error_kind = n->error_kind;
	row->cache_status = n->cache_status;
	row->task_phase = n->task_phase;
}

static int commit(struct prop_engine *e, struct fc_err *err)
{
	struct prop_exec *ex;
	struct prop_node_row row;
	size_t i;
	bool any = e->ndirty > 0;
	int rc;

	for (ex = e->execs; ex && !any; ex = ex->next)
		any = ex->dirty || ex->deleted_seq < ex->delivered_seq;
	if (!any)
		return FC_OK;
	rc = e->sb.ops->begin(e->sb.ctx, err);
	if (rc)
		return rc;
	for (i = 0; i < e->ndirty && !rc; i++) {
		struct prop_node *n = e->dirty[i];

		node_row(n, &row);
		rc = e->sb.ops->node_put(e->sb.ctx, n->wf->ex->key, &row, err);
	}
	for (ex = e->execs; ex && !rc; ex = ex->next) {
		for (i = ex->events_head; i < ex->nevents && !rc; i++) {
			struct prop_pending_event *ev = &ex->events[i];

			if (!ev->persisted)
				rc = e->sb.ops->event_add(e->sb.ctx, ex->key, ev->seq, ev->kind, ev->data, ev->len, err);
		}
		if (!rc && ex->deleted_seq < ex->delivered_seq)
			rc = e->sb.ops->event_delete_upto(e->sb.ctx, ex->key, ex->delivered_seq, err);
		if (!rc && ex->dirty)
			rc = e->sb.ops->exec_update(e->sb.ctx, ex->key, ex->phase, ex->abort_reason, ex->error_msg,
						    ex->event_seq, err);
	}
	if (!rc)
		rc = e->sb.ops->commit(e->sb.ctx, err);
	if (rc) {
		e->sb.ops->rollback(e->sb.ctx);
		return rc;
	}
	e->stats.commits++;
	for (i = 0; i < e->ndirty; i++)
		e->dirty[i]->dirty = false;
	e->ndirty = 0;
	for (ex = e->execs; ex; ex = ex->next) {
		for (i = ex->events_head; i < ex->nevents; i++)
			ex->events[i].persisted = true;
		ex->deleted_seq = ex->delivered_seq;
		ex->dirty = false;
	}
	return FC_OK;
}

static const ProtobufCMessageDescriptor *event_descriptor(int kind)
{
	switch (kind) {
	case PROP_EVENT_WORKFLOW: return &flyteidl__event__workflow_execution_event__descriptor;
	case PROP_EVENT_NODE: return &flyteidl__event__node_execution_event__descriptor;
	default: return &flyteidl__event__task_execution_event__descriptor;
	}
}

static void deliver(struct prop_engine *e, struct prop_exec *ex)
{
	int64_t now = prop_now_ns();

	if (ex->event_retry_ns && now < ex->event_retry_ns)
		return;
	ex->event_retry_ns = 0;
	while (ex->events_head < ex->nevents && ex->events[ex->events_head].persisted) {
		struct prop_pending_event *pe = &ex->events[ex->events_head];
		struct prop_event ev;
		struct fc_err err;
		ProtobufCMessage *msg = NULL;
		int rc = FC_OK;

		if (e->cfg.sink) {
			msg = protobuf_c_message_unpack(event_descriptor(pe->kind), NULL, pe->len, pe->data);
			ev.kind = (enum prop_event_kind)pe->kind;
			ev.exec_key = ex->key;
			ev.seq = pe->seq;
			ev.data = pe->data;
			ev.len = pe->len;
			ev.msg = msg;
			if (msg)
				rc = e->cfg.sink->send(e->cfg.sink, &ev, &err);
			if (msg)
				protobuf_c_message_free_unpacked(msg, NULL);
		}
		if (rc) {
			ex->event_failures++;
			ex->event_retry_ns = now + (int64_t)(ex->event_failures < 10 ? 1 << ex->event_failures : 1024) *
							   10000000;
			fc_debug("event sink refused %s #%llu: %s", ex->key, (unsigned long long)pe->seq, err.msg);
			return;
		}
		ex->event_failures = 0;
		ex->delivered_seq = pe->seq;
		free(pe->data);
		pe->data = NULL;
		ex->events_head++;
	}
	if (ex->events_head == ex->nevents)
		ex->events_head = ex->nevents = 0;
}

static bool exec_finished(const struct prop_exec *ex)
{
	return ex->done && ex->events_head == ex->nevents && ex->deleted_seq == ex->delivered_seq && !ex->dirty;
}

/* prop_engine_fail() requests: the execution ends FAILED with the given error. */
static void take_fail_requests(struct prop_engine *e)
{
	struct prop_exec *ex;

	for (ex = e->execs; ex; ex = ex->next) {
		if (ex->done || !ex->fail_msg)
			continue;
		ex->phase = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED;
		prop_exec_abort_all(ex, NP_ABORTED);
		ex->error_msg = ex->fail_msg;
		prop_emit_workflow(ex, ex->phase, ex->fail_code, ex->fail_msg);
		ex->done = true;
		prop_exec_dirty(ex);
	}
}

static void check_exec_requests(struct prop_engine *e)
{
	struct prop_exec *ex;
	int64_t now = prop_now_ns();

	take_fail_requests(e);
	for (ex = e->execs; ex; ex = ex->next) {
		if (ex->done)
			continue;
		if (ex->abort_reason && !ex->abort_handled) {
			ex->abort_handled = true;
			ex->phase = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTED;
			prop_exec_abort_all(ex, NP_ABORTED);
			ex->error_msg = ex->abort_reason;
			prop_emit_workflow(ex, ex->phase, "Aborted", ex->abort_reason);
			ex->done = true;
			prop_exec_dirty(ex);
		} else if (ex->deadline_ns && now >= ex->deadline_ns) {
			ex->phase = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__TIMED_OUT;
			prop_exec_abort_all(ex, NP_TIMED_OUT);
			ex->error_msg = fc_arena_strdup(&ex->arena, "the execution ran past its deadline");
			prop_emit_workflow(ex, ex->phase, "Timeout", ex->error_msg);
			ex->done = true;
			prop_exec_dirty(ex);
		}
	}
}

static int64_t next_wake(struct prop_engine *e)
{
	struct prop_exec *ex;
	int64_t best = 0;
	size_t i = 0;

	while (i < e->ntimed) {
		struct prop_node *n = e->timed[i];

		if (!n->wake_ns) {
			e->timed[i] = e->timed[--e->ntimed];
			continue;
		}
		if (!best || n->wake_ns < best)
			best = n->wake_ns;
		i++;
	}
	for (ex = e->execs; ex; ex = ex->next) {
		if (ex->deadline_ns && !ex->done && (!best || ex->deadline_ns < best))
			best = ex->deadline_ns;
		if (ex->event_retry_ns && (!best || ex->event_retry_ns < best))
			best = ex->event_retry_ns;
	}
	return best;
}

static void fire_timers(struct prop_engine *e)
{
	int64_t now = prop_now_ns();
	size_t i = 0;

	while (i < e->ntimed) {
		struct prop_node *n = e->timed[i];

		if (n->wake_ns && n->wake_ns <= now) {
			n->wake_ns = 0;
			prop_enqueue(n);
		}
		if (!n->wake_ns) {
			e->timed[i] = e->timed[--e->ntimed];
			continue;
		}
		i++;
	}
}

static void poll_events(struct prop_engine *e, int timeout_ms)
{
	struct epoll_event evs[64];
	int n, i;
	uint64_t junk;

	n = epoll_wait(e->epfd, evs, FC_ARRAY_LEN(evs), timeout_ms);
	for (i = 0; i < n; i++) {
		void *p = evs[i].data.ptr;

		if (p == &e->timerfd || p == &e->wakefd) {
			if (read(p == &e->timerfd ? e->timerfd : e->wakefd, &junk, sizeof(junk)) < 0)
				junk = 0;
			continue;
		}
		prop_node_close_watch(p);
		prop_enqueue(p);
	}
}

/* A finished execution's nodes may still sit in the timer list (a deadline or a retry that no longer matters):
 * drop them before the execution's memory goes. */
static void forget_timers_of(struct prop_engine *e, const struct prop_exec *ex)
{
	size_t i = 0;

	while (i < e->ntimed) {
		if (e->timed[i]->wf && e->timed[i]->wf->ex == ex)
			e->timed[i] = e->timed[--e->ntimed];
		else
			i++;
	}
}

/* A state commit failed: back off (bounded, exponential) before the next try. Returns `rc`. */
static int store_trouble(struct prop_engine *e, int rc, const struct fc_err *err)
{
	e->store_failures++;
	e->store_retry_ns = prop_now_ns() + prop_store_backoff_ns(e->store_failures);
	fc_warn("propeller: saving state failed, retrying in %lld ms: %s",
		(long long)(prop_store_backoff_ns(e->store_failures) / 1000000), err ? err->msg : "?");
	return rc;
}

/* While backing off after a failed commit: wait (at most `timeout_ms`, -1: the whole back-off) and tell whether
 * the back-off is over. Nodes woken meanwhile stay queued; nothing runs until state is saved again. */
static bool store_backoff_over(struct prop_engine *e, int timeout_ms)
{
	int64_t left_ms = (e->store_retry_ns - prop_now_ns() + 999999) / 1000000;

	if (left_ms <= 0)
		return true;
	if (timeout_ms == 0)
		return false;
	poll_events(e, timeout_ms < 0 || left_ms < timeout_ms ? (int)left_ms : timeout_ms);
	return prop_now_ns() >= e->store_retry_ns;
}

int prop_engine_step(struct prop_engine *e, int timeout_ms, struct fc_err *err)
{
	struct prop_exec *ex, **link;
	struct prop_node *n;
	bool finishing = false, released = false;
	int rc;

	if (e->store_retry_ns) {
		if (!store_backoff_over(e, timeout_ms))
			return FC_OK;
		take_fail_requests(e);
		rc = commit(e, err);
		if (rc)
			return store_trouble(e, rc, err);
		fc_info("propeller: saving state works again after %u failure(s)", e->store_failures);
		e->store_failures = 0;
		e->store_retry_ns = 0;
	}
	poll_events(e, 0);
	fire_timers(e);
	check_exec_requests(e);
	while ((n = dequeue(e)))
		prop_node_step(n);
	rc = commit(e, err);
	if (rc)
		return store_trouble(e, rc, err);
	for (ex = e->execs; ex; ex = ex->next) {
		deliver(e, ex);
		finishing |= ex->done;
	}
	/* Deliveries are recorded (their events deleted from the outbox) with the next round's changes, which saves
	 * a transaction per round; right away only when an execution is over, so that it can be let go. A kill in
	 * between sends those events again: delivery is at least once. */
	if (finishing) {
		rc = commit(e, err);
		if (rc)
			return store_trouble(e, rc, err);
	}
	for (link = &e->execs; *link;) {
		ex = *link;
		if (exec_finished(ex)) {
			*link = ex->next;
			forget_timers_of(e, ex);
			exec_free(ex);
			released = true;
			continue;
		}
		link = &ex->next;
	}
	/* Idle means asleep: with nothing queued, wait for a task, a timer or a request, also when no execution is
	 * loaded if the caller bounds the wait (an embedding loop waiting for new work). Not when an execution just
	 * ended: the caller may be waiting for that. */
	if (!e->runq_len && timeout_ms != 0 && !released && (e->execs || timeout_ms > 0)) {
		int64_t wake = next_wake(e);
		struct itimerspec its;

		memset(&its, 0, sizeof(its));
		if (wake) {
			its.it_value.tv_sec = wake / 1000000000;
			its.it_value.tv_nsec = wake % 1000000000;
		}
		timerfd_settime(e->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
		if (wake && wake <= prop_now_ns())
			return FC_OK;
		poll_events(e, timeout_ms);
	}
	return FC_OK;
}

size_t prop_engine_active(const struct prop_engine *e)
{
	const struct prop_exec *ex;
	size_t n = 0;

	for (ex = e->execs; ex; ex = ex->next)
		n += !ex->done;
	return n;
}

int prop_engine_run(struct prop_engine *e, struct fc_err *err)
{
	unsigned idle_rounds = 0;
	int rc;

	while (e->execs) {
		rc = prop_engine_step(e, prop_engine_active(e) ? -1 : 200, err);
		if (rc)
			return rc;
		/* Finished executions whose events the sink keeps refusing stay in the outbox for later. */
		if (!prop_engine_active(e) && ++idle_rounds > 20)
			break;
	}
	return FC_OK;
}

int prop_engine_fd(const struct prop_engine *e)
{
	return e->epfd;
}

void prop_engine_wake(struct prop_engine *e)
{
	uint64_t one = 1;

	if (write(e->wakefd, &one, sizeof(one)) < 0)
		fc_debug("eventfd write: %s", strerror(errno));
}

void prop_engine_stats(const struct prop_engine *e, struct prop_stats *out)
{
	*out = e->stats;
}

/* --- results ----------------------------------------------------------------------------------------------- */

struct result_ctx {
	int phase;
	char *error;
};

static void result_cb(void *data, const struct prop_exec_row *row)
{
	struct result_ctx *r = data;

	r->phase = row->phase;
	r->error = row->error ? fc_xstrdup(row->error) : NULL;
}

int prop_engine_result(struct prop_engine *e, const char *project, const char *domain, const char *name,
		       int *phase, struct fc_arena *arena, Flyteidl__Core__LiteralMap **outputs, char **error,
		       struct fc_err *err)
{
	struct fc_buf key = FC_BUF_INIT;
	struct result_ctx r = {0, NULL};
	int rc;

	if (outputs)
		*outputs = NULL;
	if (error)
		*error = NULL;
	prop_exec_key(project, domain, name, &key);
	rc = e->sb.ops->exec_get(e->sb.ctx, key.buf, result_cb, &r, err);
	if (rc)
		goto out;
	*phase = r.phase;
	if (outputs && r.phase == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDED) {
		void *msg;

		fc_buf_adds(&key, "/end-node/data/0/outputs.pb");
		rc = prop_store_get_msg(e->store, key.buf, arena, &flyteidl__core__literal_map__descriptor, &msg, err);
		if (rc)
			goto out;
		*outputs = msg;
	}
	if (error) {
		*error = r.error;
		r.error = NULL;
	}
out:
	free(r.error);
	fc_buf_release(&key);
	return rc;
}
