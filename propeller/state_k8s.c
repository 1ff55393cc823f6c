/* state_k8s.c: the engine's state in FlyteWorkflow statuses (state_k8s.h). */
#include "propeller/state_k8s.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/pbjson.h"
#include "core/strmap.h"
#include "propeller/engine_int.h"

#include <stdlib.h>
#include <string.h>

#include "flyteidl/core/execution.pb-c.h"

/* Flyte's v1alpha1 WorkflowPhase and NodePhase (flytepropeller/pkg/apis/flyteworkflow/v1alpha1/iface.go). */
enum {
	KW_READY = 0,
	KW_RUNNING = 1,
	KW_SUCCEEDING = 2,
	KW_SUCCESS = 3,
	KW_FAILING = 4,
	KW_FAILED = 5,
	KW_ABORTED = 6,
};
enum {
	KN_NOT_YET_STARTED = 0,
	KN_QUEUED = 1,
	KN_RUNNING = 2,
	KN_SUCCEEDED = 5,
	KN_FAILED = 6,
	KN_SKIPPED = 7,
	KN_TIMED_OUT = 10,
};
#define CACHE_HIT 2 /* flyteidl.core.CatalogCacheStatus.CACHE_HIT */
#define EXT "flytec"
#define SEP "-0-" /* between a parent's uid and its child's id (node.c, node_branch.c, node_array.c) */

/* One execution's record; `undo` holds its state at begin() while a round touches it. */
struct kexec {
	char *key, *project, *domain, *name, *config, *abort_reason, *error;
	void *closure, *inputs;
	size_t closure_len, inputs_len;
	int phase;
	int64_t created_ns;
	uint64_t event_seq;
	json_t *nodes; /* uid -> encoded NodeStatus (flat) */
	struct prop_k8s_event *events;
	size_t nevents, cap;
	bool dirty, outbox_dirty, touched, inserted;
	struct kexec_undo {
		char *abort_reason, *error;
		int phase;
		uint64_t event_seq;
		json_t *nodes;
		struct prop_k8s_event *events;
		size_t nevents;
	} undo;
};

struct prop_k8s_state {
	struct prop_k8s_state_hooks hooks;
	struct fc_strmap by_key;
	struct kexec **list;
	size_t n, cap;
	bool in_round;
};

static char *dup_or_null(const char *s)
{
	return s ? fc_xstrdup(s) : NULL;
}

static void *dup_bytes(const void *p, size_t len)
{
	void *q = fc_xmalloc(len ? len : 1);

	if (len)
		memcpy(q, p, len);
	return q;
}

static int fw_phase_of(int exec_phase)
{
	switch (exec_phase) {
	case FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDING: return KW_SUCCEEDING;
	case FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDED: return KW_SUCCESS;
	case FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILING:
	case FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTING: return KW_FAILING;
	case FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED:
	case FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__TIMED_OUT: return KW_FAILED;
	case FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTED: return KW_ABORTED;
	case FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__UNDEFINED:
	case FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__QUEUED: return KW_READY;
	default: return KW_RUNNING;
	}
}

static int node_phase_to_fw(int np)
{
	switch (np) {
	case NP_QUEUED: return KN_QUEUED;
	case NP_RUNNING: return KN_RUNNING;
	case NP_SUCCEEDED: return KN_SUCCEEDED;
	case NP_FAILED:
	case NP_ABORTED: return KN_FAILED;
	case NP_SKIPPED: return KN_SKIPPED;
	case NP_TIMED_OUT: return KN_TIMED_OUT;
	default: return KN_NOT_YET_STARTED;
	}
}

static int node_phase_from_fw(int fw)
{
	switch (fw) {
	case KN_QUEUED: return NP_QUEUED;
	case KN_RUNNING: return NP_RUNNING;
	case KN_SUCCEEDED: return NP_SUCCEEDED;
	case KN_FAILED: return NP_FAILED;
	case KN_SKIPPED: return NP_SKIPPED;
	case KN_TIMED_OUT: return NP_TIMED_OUT;
	default: return NP_NOT_YET_STARTED;
	}
}

static const char *const error_kinds[] = {"UNKNOWN", "USER", "SYSTEM"}; /* flyteidl.core.ExecutionError.ErrorKind */

static void set_time(json_t *o, const char *field, int64_t ns)
{
	char text[FC_PBJSON_TIME_TEXT_MAX];

	if (ns > 0 && fc_pbjson_timestamp_format(ns / 1000000000, (int32_t)(ns % 1000000000), text, NULL) == FC_OK)
		json_object_set_new(o, field, json_string(text));
}

json_t *prop_k8s_node_encode(const struct prop_node_row *row)
{
	json_t *ns = json_object(), *ext = json_object();

	json_object_set_new(ns, "phase", json_integer(node_phase_to_fw(row->phase)));
	if (row->phase == NP_ABORTED)
		json_object_set_new(ext, "phase", json_integer(row->phase));
	set_time(ns, "startedAt", row->started_ns);
	set_time(ns, "laStartedAt", row->attempt_started_ns);
	if (row->error_msg && *row->error_msg)
		json_object_set_new(ns, "message", json_string(row->error_msg));
	if (row->attempts)
		json_object_set_new(ns, "attempts", json_integer(row->attempts));
	if (row->sys_failures)
		json_object_set_new(ns, "systemFailures", json_integer(row->sys_failures));
	if (row->cache_status == CACHE_HIT)
		json_object_set_new(ns, "cached", json_true());
	if ((row->error_code && *row->error_code) || row->error_kind) {
		json_t *e = json_object();
		int k = row->error_kind;

		json_object_set_new(e, "code", json_string(row->error_code ? row->error_code : ""));
		json_object_set_new(e, "message", json_string(row->error_msg ? row->error_msg : ""));
		if (k >= 0 && (size_t)k < FC_ARRAY_LEN(error_kinds))
			json_object_set_new(e, "kind", json_string(error_kinds[k]));
		else
			json_object_set_new(e, "kind", json_integer(k));
		json_object_set_new(ns, "error", e);
	}
	if (row->task_phase || row->pstate_len) {
		json_t *t = json_object();

		json_object_set_new(t, "phase", json_integer(row->task_phase));
		if (row->pstate_len) {
			struct fc_buf b64 = FC_BUF_INIT;

			fc_pbjson_base64_encode(row->pstate, row->pstate_len, &b64);
			json_object_set_new(t, "pState", json_stringn(b64.buf, b64.len));
			json_object_set_new(t, "psv", json_integer(PROP_K8S_PSV));
			fc_buf_release(&b64);
		}
		/* Flyte's TaskNodeStatus has no json name of its own: Go writes the field name */
		json_object_set_new(ns, "TaskNodeStatus", t);
	}
	if (row->user_failures)
		json_object_set_new(ext, "userFailures", json_integer(row->user_failures));
	if (row->aux)
		json_object_set_new(ext, "aux", json_integer(row->aux));
	if (row->cache_status)
		json_object_set_new(ext, "cacheStatus", json_integer(row->cache_status));
	if (json_object_size(ext))
		json_object_set_new(ns, EXT, ext);
	else
		json_decref(ext);
	return ns;
}

/* --- decoding ------------------------------------------------------------------------------------------------ */

struct decode {
	void (*cb)(void *data, const struct prop_node_row *row);
	void *data;
	size_t count;
	struct fc_buf path;
	struct fc_err *err;
};

static int bad(struct decode *d, const char *what)
{
	return fc_err_set(d->err, FC_EINVAL, "status%s: %s", d->path.buf ? d->path.buf : "", what);
}

static int get_uint(struct decode *d, const json_t *o, const char *field, int64_t max, int64_t *out)
{
	const json_t *v = json_object_get(o, field);

	*out = 0;
	if (!v)
		return FC_OK;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max) {
		size_t mark = d->path.len;
		int rc;

		fc_buf_addf(&d->path, ".%s", field);
		rc = bad(d, "expected a non-negative integer in range");
		fc_buf_truncate(&d->path, mark);
		return rc;
	}
	*out = json_integer_value(v);
	return FC_OK;
}

static int get_time(struct decode *d, const json_t *o, const char *field, int64_t *ns)
{
	const json_t *v = json_object_get(o, field);
	int64_t sec;
	int32_t nanos;

	*ns = 0;
	if (!v)
		return FC_OK;
	if (!json_is_string(v) || fc_pbjson_timestamp_parse(json_string_value(v), &sec, &nanos, NULL) ||
	    sec < 0 || sec > INT64_MAX / 1000000000 - 1)
		return bad(d, "startedAt/laStartedAt: expected an RFC 3339 time");
	*ns = sec * 1000000000 + nanos;
	return FC_OK;
}

static const char *get_str(const json_t *o, const char *field)
{
	const json_t *v = json_object_get(o, field);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int decode_nodes(struct decode *d, const json_t *map, const char *prefix, unsigned depth);

static int decode_node(struct decode *d, const char *uid, const json_t *ns, unsigned depth)
{
	struct prop_node_row row;
	const json_t *ext, *err, *task, *v;
	int64_t n;
	uint8_t *pstate = NULL;
	int rc;

	if (!json_is_object(ns))
		return bad(d, "expected an object");
	if (++d->count > FC_K8S_READ_MAX_NODES)
		return fc_err_set(d->err, FC_ELIMIT, "status: more than %u node statuses", FC_K8S_READ_MAX_NODES);
	memset(&row, 0, sizeof(row));
	row.uid = uid;
	ext = json_object_get(ns, EXT);
	if (ext && !json_is_object(ext))
		return bad(d, EXT ": expected an object");
	if ((rc = get_uint(d, ns, "phase", 100, &n)))
		return rc;
	row.phase = node_phase_from_fw((int)n);
	if ((rc = get_uint(d, ext, "phase", NP_ABORTED, &n)))
		return rc;
	if (n)
		row.phase = (int)n;
	if ((rc = get_uint(d, ns, "attempts", UINT32_MAX, &n)))
		return rc;
	row.attempts = (uint32_t)n;
	if ((rc = get_uint(d, ns, "systemFailures", UINT32_MAX, &n)))
		return rc;
	row.sys_failures = (uint32_t)n;
	if ((rc = get_uint(d, ext, "userFailures", UINT32_MAX, &n)))
		return rc;
	row.user_failures = (uint32_t)n;
	if ((rc = get_uint(d, ext, "aux", INT64_MAX, &n)))
		return rc;
	row.aux = n;
	if ((rc = get_uint(d, ext, "cacheStatus", 100, &n)))
		return rc;
	row.cache_status = (int)n;
	if ((rc = get_time(d, ns, "startedAt", &row.started_ns)) ||
	    (rc = get_time(d, ns, "laStartedAt", &row.attempt_started_ns)))
		return rc;
	row.error_msg = get_str(ns, "message");
	if ((err = json_object_get(ns, "error"))) {
		if (!json_is_object(err))
			return bad(d, "error: expected an object");
		row.error_code = get_str(err, "code");
		if (!row.error_msg)
			row.error_msg = get_str(err, "message");
		v = json_object_get(err, "kind");
		for (size_t i = 0; json_is_string(v) && i < FC_ARRAY_LEN(error_kinds); i++)
			if (!strcmp(json_string_value(v), error_kinds[i]))
				row.error_kind = (int)i;
		if (json_is_integer(v))
			row.error_kind = (int)json_integer_value(v);
	}
	if ((task = json_object_get(ns, "TaskNodeStatus"))) {
		const char *b64;

		if (!json_is_object(task))
			return bad(d, "TaskNodeStatus: expected an object");
		if ((rc = get_uint(d, task, "phase", UINT32_MAX, &n)))
			return rc;
		row.task_phase = (uint32_t)n;
		if ((rc = get_uint(d, task, "psv", UINT32_MAX, &n)))
			return rc;
		if ((b64 = get_str(task, "pState"))) {
			size_t len = strlen(b64);

			if (n != PROP_K8S_PSV)
				return bad(d, "TaskNodeStatus.psv: not a plugin state layout this engine knows");
			if (len > FC_K8S_STATE_MAX_PSTATE_BYTES)
				return fc_err_set(d->err, FC_ELIMIT, "status%s: TaskNodeStatus.pState over %zu bytes",
						  d->path.buf, (size_t)FC_K8S_STATE_MAX_PSTATE_BYTES);
			pstate = fc_xmalloc(fc_pbjson_base64_decoded_max(len) + 1);
			if (!fc_pbjson_base64_decode(b64, len, pstate, &row.pstate_len)) {
				free(pstate);
				return bad(d, "TaskNodeStatus.pState: bad base64");
			}
			row.pstate = pstate;
		}
	}
	d->cb(d->data, &row);
	free(pstate);
	if ((v = json_object_get(ns, "subNodeStatus"))) {
		struct fc_buf prefix = FC_BUF_INIT;

		if (depth >= FC_K8S_READ_MAX_DEPTH)
			return fc_err_set(d->err, FC_ELIMIT, "status%s: node statuses nested deeper than %d", d->path.buf,
					  FC_K8S_READ_MAX_DEPTH);
		fc_buf_addf(&prefix, "%s" SEP, uid);
		rc = decode_nodes(d, v, prefix.buf, depth + 1);
		fc_buf_release(&prefix);
		if (rc)
			return rc;
	}
	return FC_OK;
}

static int decode_nodes(struct decode *d, const json_t *map, const char *prefix, unsigned depth)
{
	const char *id;
	json_t *ns;
	size_t mark = d->path.len;
	struct fc_buf uid = FC_BUF_INIT;
	int rc = FC_OK;

	if (!json_is_object(map))
		return bad(d, "expected an object keyed by node id");
	json_object_foreach((json_t *)map, id, ns) {
		fc_buf_addf(&d->path, depth ? ".subNodeStatus[\"%s\"]" : ".nodeStatus[\"%s\"]", id);
		fc_buf_reset(&uid);
		fc_buf_addf(&uid, "%s%s", prefix, id);
		rc = decode_node(d, uid.buf, ns, depth);
		fc_buf_truncate(&d->path, mark);
		if (rc)
			break;
	}
	fc_buf_release(&uid);
	return rc;
}

int prop_k8s_nodes_decode(const json_t *status, void (*cb)(void *data, const struct prop_node_row *row), void *data,
			  struct fc_err *err)
{
	struct decode d = {cb, data, 0, FC_BUF_INIT, err};
	const json_t *map = json_object_get(status, "nodeStatus");
	int rc = FC_OK;

	fc_buf_adds(&d.path, "");
	if (map)
		rc = decode_nodes(&d, map, "", 0);
	fc_buf_release(&d.path);
	return rc;
}

/* --- the status of one execution --------------------------------------------------------------------------- */

static int uid_len_cmp(const void *a, const void *b)
{
	size_t la = strlen(*(const char *const *)a), lb = strlen(*(const char *const *)b);

	return la < lb ? -1 : la > lb ? 1 : strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The flat uid -> NodeStatus map nested: each child under the longest placed uid it extends with "-0-". */
static json_t *nest_nodes(const json_t *flat)
{
	size_t n = json_object_size(flat), i = 0;
	const char **uids = fc_xcalloc(n ? n : 1, sizeof(*uids));
	struct fc_strmap placed = FC_STRMAP_INIT;
	json_t *top = json_object(), *v;
	const char *k;

	json_object_foreach((json_t *)flat, k, v)
		uids[i++] = k;
	qsort(uids, n, sizeof(*uids), uid_len_cmp);
	for (i = 0; i < n; i++) {
		const char *uid = uids[i], *p, *child = uid;
		json_t *parent = NULL, *copy = json_deep_copy(json_object_get(flat, uid)), *subs;

		for (p = strstr(uid, SEP); p; p = strstr(p + 1, SEP)) {
			json_t *cand = fc_strmap_getn(&placed, uid, (size_t)(p - uid));

			if (cand) {
				parent = cand;
				child = p + strlen(SEP);
			}
		}
		if (parent) {
			if (!(subs = json_object_get(parent, "subNodeStatus"))) {
				subs = json_object();
				json_object_set_new(parent, "subNodeStatus", subs);
			}
			json_object_set_new(subs, child, copy);
		} else {
			json_object_set_new(top, uid, copy);
		}
		fc_strmap_put(&placed, uid, copy);
	}
	fc_strmap_release(&placed);
	free(uids);
	return top;
}

static json_t *build_status(const struct kexec *x)
{
	json_t *st = json_object(), *ext = json_object();

	json_object_set_new(st, "phase", json_integer(fw_phase_of(x->phase)));
	if (x->error && *x->error)
		json_object_set_new(st, "message", json_string(x->error));
	if (json_object_size(x->nodes))
		json_object_set_new(st, "nodeStatus", nest_nodes(x->nodes));
	json_object_set_new(ext, "phase", json_integer(x->phase));
	json_object_set_new(ext, "eventSeq", json_integer((json_int_t)x->event_seq));
	if (x->abort_reason)
		json_object_set_new(ext, "abortReason", json_string(x->abort_reason));
	if (x->config && *x->config)
		json_object_set_new(ext, "config", json_string(x->config));
	json_object_set_new(st, EXT, ext);
	return st;
}

/* --- records and rounds -------------------------------------------------------------------------------------- */

static void events_free(struct prop_k8s_event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ev[i].payload);
}

static void kexec_free(struct kexec *x)
{
	if (!x)
		return;
	free(x->key);
	free(x->project);
	free(x->domain);
	free(x->name);
	free(x->config);
	free(x->abort_reason);
	free(x->error);
	free(x->closure);
	free(x->inputs);
	json_decref(x->nodes);
	events_free(x->events, x->nevents);
	free(x->events);
	free(x);
}

/* Remember `x` as it was at begin(), once per round. */
static void touch(struct prop_k8s_state *s, struct kexec *x)
{
	if (!s->in_round || x->touched)
		return;
	x->touched = true;
	x->undo.abort_reason = dup_or_null(x->abort_reason);
	x->undo.error = dup_or_null(x->error);
	x->undo.phase = x->phase;
	x->undo.event_seq = x->event_seq;
	x->undo.nodes = json_deep_copy(x->nodes);
	x->undo.events = dup_bytes(x->events, x->nevents * sizeof(*x->events));
	x->undo.nevents = x->nevents;
}

static bool has_payload(const struct prop_k8s_event *ev, size_t n, const void *payload)
{
	for (size_t i = 0; i < n; i++)
		if (ev[i].payload == payload)
			return true;
	return false;
}

/* End the round for `x`: keep (commit) or restore (rollback) its state; frees what the other side no longer holds. */
static void settle(struct kexec *x, bool keep)
{
	struct kexec_undo *u = &x->undo;
	size_t i;

	if (!x->touched)
		return;
	if (keep) {
		for (i = 0; i < u->nevents; i++)
			if (!has_payload(x->events, x->nevents, u->events[i].payload))
				free(u->events[i].payload);
		free(u->abort_reason);
		free(u->error);
		json_decref(u->nodes);
		free(u->events);
	} else {
		for (i = 0; i < x->nevents; i++)
			if (!has_payload(u->events, u->nevents, x->events[i].payload))
				free(x->events[i].payload);
		free(x->events);
		x->events = u->events;
		x->nevents = x->cap = u->nevents;
		free(x->abort_reason);
		free(x->error);
		x->abort_reason = u->abort_reason;
		x->error = u->error;
		x->phase = u->phase;
		x->event_seq = u->event_seq;
		json_decref(x->nodes);
		x->nodes = u->nodes;
	}
	memset(u, 0, sizeof(*u));
	x->touched = false;
}

static struct kexec *find(struct prop_k8s_state *s, const char *key)
{
	return fc_strmap_get(&s->by_key, key);
}

static void unlink_exec(struct prop_k8s_state *s, struct kexec *x)
{
	size_t i;

	for (i = 0; i < s->n && s->list[i] != x; i++)
		;
	if (i < s->n)
		memmove(&s->list[i], &s->list[i + 1], (s->n - i - 1) * sizeof(*s->list));
	s->n--;
	/* fc_strmap has no delete: rebuild it */
	fc_strmap_release(&s->by_key);
	fc_strmap_init(&s->by_key);
	for (i = 0; i < s->n; i++)
		fc_strmap_put(&s->by_key, s->list[i]->key, s->list[i]);
}

static struct kexec *add_exec(struct prop_k8s_state *s, const struct prop_exec_row *row)
{
	struct kexec *x = fc_xcalloc(1, sizeof(*x));

	x->key = fc_xstrdup(row->key);
	x->project = dup_or_null(row->project);
	x->domain = dup_or_null(row->domain);
	x->name = dup_or_null(row->name);
	x->config = dup_or_null(row->config);
	x->abort_reason = dup_or_null(row->abort_reason);
	x->error = dup_or_null(row->error);
	x->closure = dup_bytes(row->closure, row->closure_len);
	x->closure_len = row->closure_len;
	x->inputs = dup_bytes(row->inputs, row->inputs_len);
	x->inputs_len = row->inputs_len;
	x->phase = row->phase;
	x->created_ns = row->created_ns;
	x->event_seq = row->event_seq;
	x->nodes = json_object();
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 8;
		s->list = fc_xrealloc(s->list, s->cap * sizeof(*s->list));
	}
	s->list[s->n++] = x;
	fc_strmap_put(&s->by_key, x->key, x);
	return x;
}

static int k_begin(void *ctx, struct fc_err *err)
{
	struct prop_k8s_state *s = ctx;

	(void)err;
	s->in_round = true;
	return FC_OK;
}

static void k_rollback(void *ctx)
{
	struct prop_k8s_state *s = ctx;
	size_t i = 0;

	while (i < s->n) {
		struct kexec *x = s->list[i];

		if (x->inserted) {
			settle(x, true);
			unlink_exec(s, x);
			kexec_free(x);
			continue;
		}
		/* an outbox saved before a failed write must be saved again as restored */
		if (x->touched)
			x->outbox_dirty = true;
		settle(x, false);
		x->dirty = false;
		i++;
	}
	s->in_round = false;
}

static int k_commit(void *ctx, struct fc_err *err)
{
	struct prop_k8s_state *s = ctx;
	size_t i;
	int rc;

	/* outboxes first: an event must be on the volume before the status that records its change is written */
	for (i = 0; i < s->n; i++) {
		struct kexec *x = s->list[i];

		if (x->outbox_dirty && s->hooks.save_outbox &&
		    (rc = s->hooks.save_outbox(s->hooks.data, x->key, x->events, x->nevents, err)))
			return rc;
	}
	for (i = 0; i < s->n; i++) {
		struct kexec *x = s->list[i];

		if (x->dirty && s->hooks.write) {
			json_t *st = build_status(x);

			rc = s->hooks.write(s->hooks.data, x->key, st, err);
			json_decref(st);
			if (rc)
				return rc;
		}
	}
	for (i = 0; i < s->n; i++) {
		settle(s->list[i], true);
		s->list[i]->dirty = s->list[i]->outbox_dirty = s->list[i]->inserted = false;
	}
	s->in_round = false;
	return FC_OK;
}

static int k_exec_insert(void *ctx, const struct prop_exec_row *row, struct fc_err *err)
{
	struct prop_k8s_state *s = ctx;
	struct kexec *x;

	if (find(s, row->key))
		return fc_err_set(err, FC_EEXIST, "execution %s exists", row->key);
	x = add_exec(s, row);
	x->inserted = s->in_round;
	x->dirty = true;
	return FC_OK;
}

static int k_exec_update(void *ctx, const char *key, int phase, const char *abort_reason, const char *error,
			 uint64_t event_seq, struct fc_err *err)
{
	struct prop_k8s_state *s = ctx;
	struct kexec *x = find(s, key);

	(void)err;
	if (!x) /* dropped (prop_k8s_state_drop): its resource is gone; nothing to keep */
		return FC_OK;
	touch(s, x);
	x->phase = phase;
	free(x->abort_reason);
	free(x->error);
	x->abort_reason = dup_or_null(abort_reason);
	x->error = dup_or_null(error);
	x->event_seq = event_seq;
	x->dirty = true;
	return FC_OK;
}

static void row_of(const struct kexec *x, struct prop_exec_row *row)
{
	memset(row, 0, sizeof(*row));
	row->key = x->key;
	row->project = x->project;
	row->domain = x->domain;
	row->name = x->name;
	row->closure = x->closure;
	row->closure_len = x->closure_len;
	row->inputs = x->inputs;
	row->inputs_len = x->inputs_len;
	row->config = x->config;
	row->phase = x->phase;
	row->abort_reason = x->abort_reason;
	row->error = x->error;
	row->created_ns = x->created_ns;
	row->event_seq = x->event_seq;
}

static int k_exec_get(void *ctx, const char *key, void (*cb)(void *data, const struct prop_exec_row *row),
		      void *data, struct fc_err *err)
{
	struct prop_k8s_state *s = ctx;
	struct kexec *x = find(s, key);
	struct prop_exec_row row;

	if (!x)
		return fc_err_set(err, FC_ENOENT, "no execution %s", key);
	row_of(x, &row);
	cb(data, &row);
	return FC_OK;
}

static int k_exec_each_active(void *ctx, void (*cb)(void *data, const struct prop_exec_row *row), void *data,
			      struct fc_err *err)
{
	struct prop_k8s_state *s = ctx;
	struct prop_exec_row row;

	(void)err;
	for (size_t i = 0; i < s->n; i++)
		if (!prop_exec_phase_terminal(s->list[i]->phase) || s->list[i]->nevents) {
			row_of(s->list[i], &row);
			cb(data, &row);
		}
	return FC_OK;
}

static int k_node_put(void *ctx, const char *exec_key, const struct prop_node_row *row, struct fc_err *err)
{
	struct prop_k8s_state *s = ctx;
	struct kexec *x = find(s, exec_key);

	if (!x)
		return FC_OK; /* dropped: see k_exec_update */
	if (!json_object_get(x->nodes, row->uid) && json_object_size(x->nodes) >= FC_K8S_READ_MAX_NODES)
		return fc_err_set(err, FC_ELIMIT, "execution %s: more than %u node statuses", exec_key,
				  FC_K8S_READ_MAX_NODES);
	touch(s, x);
	json_object_set_new(x->nodes, row->uid, prop_k8s_node_encode(row));
	x->dirty = true;
	return FC_OK;
}

static int k_node_each(void *ctx, const char *exec_key, void (*cb)(void *data, const struct prop_node_row *row),
		       void *data, struct fc_err *err)
{
	struct prop_k8s_state *s = ctx;
	struct kexec *x = find(s, exec_key);
	json_t *st;
	int rc;

	if (!x)
		return fc_err_set(err, FC_ENOENT, "no execution %s", exec_key);
	st = json_object();
	json_object_set_new(st, "nodeStatus", nest_nodes(x->nodes));
	rc = prop_k8s_nodes_decode(st, cb, data, err);
	json_decref(st);
	return rc;
}

static void add_event(struct prop_k8s_state *s, struct kexec *x, uint64_t seq, int kind, const void *payload,
		      size_t len)
{
	if (x->nevents == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 8;
		x->events = fc_xrealloc(x->events, x->cap * sizeof(*x->events));
	}
	x->events[x->nevents].seq = seq;
	x->events[x->nevents].kind = kind;
	x->events[x->nevents].payload = dup_bytes(payload, len);
	x->events[x->nevents].len = len;
	x->nevents++;
	x->outbox_dirty = s->in_round;
}

static int k_event_add(void *ctx, const char *exec_key, uint64_t seq, int kind, const void *payload, size_t len,
		       struct fc_err *err)
{
	struct prop_k8s_state *s = ctx;
	struct kexec *x = find(s, exec_key);

	if (!x)
		return fc_err_set(err, FC_ENOENT, "no execution %s", exec_key);
	touch(s, x);
	add_event(s, x, seq, kind, payload, len);
	return FC_OK;
}

static int k_event_each(void *ctx, const char *exec_key,
			void (*cb)(void *data, uint64_t seq, int kind, const void *payload, size_t len), void *data,
			struct fc_err *err)
{
	struct prop_k8s_state *s = ctx;
	struct kexec *x = find(s, exec_key);

	if (!x)
		return fc_err_set(err, FC_ENOENT, "no execution %s", exec_key);
	for (size_t i = 0; i < x->nevents; i++)
		cb(data, x->events[i].seq, x->events[i].kind, x->events[i].payload, x->events[i].len);
	return FC_OK;
}

static int k_event_delete_upto(void *ctx, const char *exec_key, uint64_t seq, struct fc_err *err)
{
	struct prop_k8s_state *s = ctx;
	struct kexec *x = find(s, exec_key);
	size_t i, j = 0;

	(void)err;
	if (!x)
		return FC_OK; /* dropped: see k_exec_update */
	touch(s, x);
	for (i = 0; i < x->nevents; i++) {
		if (x->events[i].seq <= seq) {
			if (!x->touched)
				free(x->events[i].payload);
			/* else the undo copy holds it until the round settles */
			continue;
		}
		x->events[j++] = x->events[i];
	}
	if (j != x->nevents)
		x->outbox_dirty = true;
	x->nevents = j;
	return FC_OK;
}

static const struct prop_state_backend_ops k8s_ops = {
	.name = "status",
	.begin = k_begin,
	.commit = k_commit,
	.rollback = k_rollback,
	.exec_insert = k_exec_insert,
	.exec_update = k_exec_update,
	.exec_get = k_exec_get,
	.exec_each_active = k_exec_each_active,
	.node_put = k_node_put,
	.node_each = k_node_each,
	.event_add = k_event_add,
	.event_each = k_event_each,
	.event_delete_upto = k_event_delete_upto,
};

void prop_k8s_state_new(const struct prop_k8s_state_hooks *hooks, struct prop_k8s_state **out)
{
	struct prop_k8s_state *s = fc_xcalloc(1, sizeof(*s));

	if (hooks)
		s->hooks = *hooks;
	fc_strmap_init(&s->by_key);
	*out = s;
}

void prop_k8s_state_free(struct prop_k8s_state *s)
{
	if (!s)
		return;
	if (s->in_round)
		k_rollback(s);
	for (size_t i = 0; i < s->n; i++)
		kexec_free(s->list[i]);
	free(s->list);
	fc_strmap_release(&s->by_key);
	free(s);
}

void prop_k8s_state_backend(struct prop_k8s_state *s, struct prop_state_backend *out)
{
	out->ops = &k8s_ops;
	out->ctx = s;
}

static void load_node_cb(void *data, const struct prop_node_row *row)
{
	json_object_set_new(data, row->uid, prop_k8s_node_encode(row));
}

int prop_k8s_state_load(struct prop_k8s_state *s, const struct prop_exec_row *row, const json_t *status,
			struct fc_err *err)
{
	const json_t *ext = json_object_get(status, EXT), *v;
	json_t *nodes = json_object();
	struct kexec *x;
	int rc;

	if (find(s, row->key)) {
		json_decref(nodes);
		return fc_err_set(err, FC_EEXIST, "execution %s is already loaded", row->key);
	}
	if (status && (rc = prop_k8s_nodes_decode(status, load_node_cb, nodes, err))) {
		json_decref(nodes);
		return rc;
	}
	if (ext && !json_is_object(ext)) {
		json_decref(nodes);
		return fc_err_set(err, FC_EINVAL, "status." EXT ": expected an object");
	}
	x = add_exec(s, row);
	json_decref(x->nodes);
	x->nodes = nodes;
	if (json_is_integer(v = json_object_get(ext, "phase")))
		x->phase = (int)json_integer_value(v);
	if (json_is_integer(v = json_object_get(ext, "eventSeq")) && json_integer_value(v) > 0)
		x->event_seq = (uint64_t)json_integer_value(v);
	if (json_is_string(v = json_object_get(ext, "abortReason"))) {
		free(x->abort_reason);
		x->abort_reason = fc_xstrdup(json_string_value(v));
	}
	if (json_is_string(v = json_object_get(ext, "config"))) {
		free(x->config);
		x->config = fc_xstrdup(json_string_value(v));
	}
	if (ext && json_is_string(v = json_object_get(status, "message"))) {
		free(x->error);
		x->error = fc_xstrdup(json_string_value(v));
	}
	return FC_OK;
}

int prop_k8s_state_load_event(struct prop_k8s_state *s, const char *exec_key, uint64_t seq, int kind,
			      const void *payload, size_t len, struct fc_err *err)
{
	struct kexec *x = find(s, exec_key);

	if (!x)
		return fc_err_set(err, FC_ENOENT, "no execution %s", exec_key);
	/*
	 * Past the status's eventSeq: saved by a round whose status PUT never landed (killed in between). The engine
	 * sends an event only after its round committed, so it was never sent; the change it describes is not in the
	 * status and will be made again, producing its own event under the same number. Keeping this one would send
	 * two different bodies under one request id.
	 */
	if (seq > x->event_seq)
		return FC_OK;
	add_event(s, x, seq, kind, payload, len);
	return FC_OK;
}

void prop_k8s_state_drop(struct prop_k8s_state *s, const char *exec_key)
{
	struct kexec *x = find(s, exec_key);

	if (!x)
		return;
	settle(x, true);
	unlink_exec(s, x);
	kexec_free(x);
}

json_t *prop_k8s_state_status(struct prop_k8s_state *s, const char *exec_key)
{
	struct kexec *x = find(s, exec_key);

	return x ? build_status(x) : NULL;
}
