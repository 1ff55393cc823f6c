/* logs.c: the logs endpoint (logs.h). */
#include "admin-lite/logs.h"

#include "admin-lite/park.h"
#include "admin-lite/server_int.h"
#include "admin-lite/stream.h"
#include "admin-lite/store.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/pbdepth.h"
#include "kube/client.h"

#include "flyteidl/event/event.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define POD_LOG_PREFIX "/api/v1/namespaces/"

struct adm_logs {
	char *local_root; /* realpath, or NULL */
	struct kube_client *kube;
	size_t nwaiters; /* followers parked now: the park's (its lock) */
};

int adm_logs_new(const char *local_root, struct kube_client *kube, struct adm_logs **out, struct fc_err *err)
{
	struct adm_logs *l = fc_xcalloc(1, sizeof(*l));

	*out = NULL;
	if (local_root) {
		char *real = realpath(local_root, NULL);

		/* a root that does not exist yet (the executor makes it) is taken as given, made absolute */
		if (!real && local_root[0] == '/')
			real = strdup(local_root);
		if (!real) {
			free(l);
			return fc_err_set(err, FC_EIO, "%s: %s", local_root, strerror(errno));
		}
		l->local_root = fc_xstrdup(real);
		free(real);
	}
	l->kube = kube;
	*out = l;
	return FC_OK;
}

void adm_logs_free(struct adm_logs *l)
{
	if (!l)
		return;
	free(l->local_root);
	free(l);
}

/* ------------------------------------------------------------------------------------------------------------
 * Reading: local files (concatenated in the event's order) and pod logs.
 */
struct piece {
	uint64_t next_offset; /* offset + bytes answered */
	bool more;            /* bytes remain after the answer */
};

/* The file a task event names, when it lies under the root (no link or ".." leads out); NULL otherwise. */
static char *file_under_root(const struct adm_logs *l, const char *uri)
{
	size_t n;
	char *real;

	if (!l || !l->local_root)
		return NULL;
	if (!strncmp(uri, "file://", 7))
		uri += 7;
	if (uri[0] != '/')
		return NULL;
	real = realpath(uri, NULL);
	if (!real)
		return NULL;
	n = strlen(l->local_root);
	if (strncmp(real, l->local_root, n) || (real[n] != '/' && strcmp(l->local_root, "/"))) {
		free(real);
		return NULL;
	}
	return real;
}

/* Bytes [offset, offset+limit) of the files one after the other (a missing file counts as empty). */
static int read_files(char *const *paths, size_t n, uint64_t offset, size_t limit, struct fc_buf *out,
		      struct piece *pc, struct fc_err *err)
{
	uint64_t base = 0, total = 0;
	size_t i;
	int rc = FC_OK;

	for (i = 0; i < n; i++) {
		struct stat st;
		int fd = open(paths[i], O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		uint64_t size;

		if (fd < 0)
			continue;
		if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
			close(fd);
			continue;
		}
		size = (uint64_t)st.st_size;
		total = base + size;
		while (out->len < limit && offset + out->len < base + size) {
			uint64_t at = offset + out->len - base;
			size_t want = limit - out->len;
			ssize_t got;

			if (want > base + size - (offset + out->len))
				want = (size_t)(base + size - (offset + out->len));
			fc_buf_grow(out, want);
			got = pread(fd, out->buf + out->len, want, (off_t)at);
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0) {
				rc = fc_err_set(err, FC_EIO, "reading the log: %s", strerror(errno));
				close(fd);
				goto out;
			}
			if (got == 0) /* truncated meanwhile */
				break;
			out->len += (size_t)got;
			out->buf[out->len] = '\0';
		}
		close(fd);
		base += size;
	}
out:
	pc->next_offset = offset + out->len;
	pc->more = pc->next_offset < total;
	return rc;
}

struct pod_read {
	uint64_t skip;  /* bytes before the offset still to drop */
	size_t limit;
	struct fc_buf *out;
	bool more;
};

static int pod_chunk(void *ud, const char *data, size_t len)
{
	struct pod_read *p = ud;
	size_t room;

	if (p->skip) {
		size_t drop = len < p->skip ? len : (size_t)p->skip;

		p->skip -= drop;
		data += drop;
		len -= drop;
	}
	room = p->limit - p->out->len;
	if (len > room) {
		p->more = true;
		len = room;
	}
	fc_buf_add(p->out, data, len);
	return p->more;
}

/* The pod log API has no offset: ask for offset + limit + 1 bytes, drop the first `offset`, and the extra byte
 * tells whether more remains. A pod not there (yet, or any more) or a container not started reads as empty. */
static int read_pod(struct adm_logs *l, const char *uri, uint64_t offset, size_t limit, struct fc_buf *out,
		    struct piece *pc, struct fc_err *err)
{
	struct fc_buf path = FC_BUF_INIT;
	struct pod_read p = {offset, limit, out, false};
	struct kube_status st;
	const char *pod = strstr(uri, "/pods/");
	const char *end = pod ? strstr(pod + 6, "/log") : NULL;
	int rc;

	fc_buf_adds(&path, uri);
	if (end && end > pod + 6)
		fc_buf_addf(&path, "?container=%.*s&", (int)(end - pod - 6), pod + 6);
	else
		fc_buf_adds(&path, "?");
	fc_buf_addf(&path, "limitBytes=%llu", (unsigned long long)(offset + limit + 1));
	memset(&st, 0, sizeof(st));
	rc = kube_client_stream(l->kube, path.buf, 20000, pod_chunk, &p, NULL, &st, err);
	if (rc == FC_ENOENT || rc == FC_EINVAL) { /* gone, or "container ... is waiting to start" */
		fc_buf_reset(out);
		p.more = false;
		rc = FC_OK;
	} else if (rc) {
		fc_err_prefix(err, "the pod log API: ");
	}
	fc_buf_release(&path);
	pc->next_offset = offset + out->len;
	pc->more = p.more;
	return rc;
}

/* ------------------------------------------------------------------------------------------------------------
 * The handler.
 */
static int arg_u64(struct adm_req *r, const char *name, uint64_t max, uint64_t dflt, uint64_t *out)
{
	const char *v = adm_req_arg(r, name);
	unsigned long long n;
	char *end;

	*out = dflt;
	if (!v)
		return FC_OK;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (!*v || *end || errno || v[0] == '-' || v[0] == '+' || n > max) {
		adm_reply_error(r, FC_EINVAL, "%s must be an integer from 0 to %llu, not '%s'", name,
				(unsigned long long)max, v);
		return FC_EINVAL;
	}
	*out = n;
	return FC_OK;
}

/* The attempt the request names (its `attempt`, else the latest): 404 when the execution, the node or the attempt
 * is unknown. */
static int find_attempt(struct adm_req *r, const struct adm_exec_id *id, const char *node_id, bool want_latest,
			uint32_t attempt, struct fc_arena *a, struct adm_execution *x, struct adm_task_execution *t)
{
	struct adm_task_execution *list;
	struct adm_node_execution node;
	struct adm_query q;
	struct fc_err err;
	size_t n, i;
	char *next;

	fc_err_clear(&err);
	if (adm_execution_get(r->store, id, a, x, &err) ||
	    adm_node_execution_get(r->store, id, node_id, a, &node, &err)) {
		adm_reply_err(r, &err);
		return err.code ? err.code : FC_EINTERNAL;
	}
	memset(&q, 0, sizeof(q));
	q.limit = ADM_LIMIT_MAX;
	q.sort_key = "retry_attempt";
	q.sort_asc = true;
	if (adm_task_execution_list(r->store, id, node_id, &q, a, &list, &n, &next, &err)) {
		adm_reply_err(r, &err);
		return err.code ? err.code : FC_EINTERNAL;
	}
	for (i = n; i-- > 0;) {
		if (want_latest || list[i].retry_attempt == attempt) {
			*t = list[i];
			return FC_OK;
		}
	}
	if (want_latest)
		adm_reply_error(r, FC_ENOENT, "node '%s' of execution '%s' has no attempt yet", node_id, id->name);
	else
		adm_reply_error(r, FC_ENOENT, "node '%s' of execution '%s' has no attempt %u", node_id, id->name,
				(unsigned)attempt);
	return FC_ENOENT;
}

void adm_reply_logs(struct adm_req *r)
{
	struct adm_logs *l = r->srv ? adm_server_logs(r->srv) : NULL;
	struct adm_exec_id id = {adm_req_param(r, 0), adm_req_param(r, 1), adm_req_param(r, 2)};
	const char *node_id = adm_req_param(r, 3), *stream = adm_req_arg(r, "stream"), *pod_uri = NULL;
	const char *attempt_arg = adm_req_arg(r, "attempt"), *follow_arg = adm_req_arg(r, "follow");
	Flyteidl__Event__TaskExecutionEvent *ev = NULL;
	struct adm_task_execution t;
	struct adm_execution x;
	struct fc_arena a;
	struct fc_err err;
	const char **hdrs;
	struct piece pc = {0, false};
	uint64_t attempt, offset, limit;
	char *files[8];
	size_t nfiles = 0, i;
	bool ended, follow = follow_arg && (!strcmp(follow_arg, "1") || !strcmp(follow_arg, "true"));
	int rc;

	fc_arena_init(&a, 0);
	fc_err_clear(&err);
	r->suspended = false;
	if (adm_check_project(id.project, &err) || adm_check_name("execution name", id.name, &err)) {
		adm_reply_err(r, &err);
		goto out;
	}
	if (arg_u64(r, "attempt", UINT32_MAX, 0, &attempt) || arg_u64(r, "offset", INT64_MAX, 0, &offset) ||
	    arg_u64(r, "limit", ADM_LOGS_LIMIT_MAX, ADM_LOGS_LIMIT_DEFAULT, &limit))
		goto out;
	if (!limit) {
		adm_reply_error(r, FC_EINVAL, "limit must be an integer from 1 to %u, not '0'", ADM_LOGS_LIMIT_MAX);
		goto out;
	}
	if (follow_arg && !follow && strcmp(follow_arg, "0") && strcmp(follow_arg, "false")) {
		adm_reply_error(r, FC_EINVAL, "follow must be 1 or 0, not '%s'", follow_arg);
		goto out;
	}
	if (find_attempt(r, &id, node_id, !attempt_arg, (uint32_t)attempt, &a, &x, &t))
		goto out;
	ended = adm_task_phase_terminal(t.phase) || adm_wf_phase_terminal(x.phase);
	if (t.last_event && fc_pb_nesting_ok(&flyteidl__event__task_execution_event__descriptor, t.last_event,
					      t.last_event_len, FC_PB_MAX_DEPTH))
		ev = (Flyteidl__Event__TaskExecutionEvent *)protobuf_c_message_unpack(
			&flyteidl__event__task_execution_event__descriptor, fc_arena_pb_allocator(&a), t.last_event_len,
			t.last_event);
	/* the attempt's logs: files (stdout, then stderr once the attempt ended, so offsets never move) or a pod */
	for (i = 0; ev && i < ev->n_logs; i++) {
		const Flyteidl__Core__TaskLog *log = ev->logs[i];
		char *path;

		if (!log->uri || (stream && (!log->name || strcmp(log->name, stream))))
			continue;
		if (!strncmp(log->uri, POD_LOG_PREFIX, strlen(POD_LOG_PREFIX)) && strstr(log->uri, "/pods/")) {
			if (!pod_uri)
				pod_uri = log->uri;
			continue;
		}
		if (nfiles == FC_ARRAY_LEN(files) || (nfiles && !ended && !stream))
			continue;
		path = file_under_root(l, log->uri);
		if (path)
			files[nfiles++] = path;
	}
	if (nfiles) {
		rc = read_files(files, nfiles, offset, (size_t)limit, &r->out, &pc, &err);
	} else if (pod_uri && l && l->kube) {
		rc = read_pod(l, pod_uri, offset, (size_t)limit, &r->out, &pc, &err);
	} else {
		pc.next_offset = offset;
		rc = FC_OK;
	}
	if (rc) {
		fc_buf_reset(&r->out);
		adm_reply_err(r, &err);
		goto out;
	}
	if (!r->out.len && follow && !ended && l && r->conn && adm_server_park(r->srv)) {
		int64_t now = adm_park_now_ns();
		char key[ADM_STREAM_KEY_MAX];

		if (!r->wait_until_ns)
			r->wait_until_ns = now + (int64_t)ADM_LOGS_FOLLOW_MS * 1000000;
		if (now < r->wait_until_ns) {
			int64_t at = now + (int64_t)ADM_LOGS_RECHECK_MS * 1000000;

			/* parked until the recheck, or woken sooner by the execution's change notices (a task event: the
			 * attempt ended, or a new one began); a file that grows without events is seen at the recheck */
			if (adm_stream_exec_key(&id, key, sizeof(key)))
				r->park_key = fc_arena_strdup(&r->arena, key);
			if (adm_park_conn(adm_server_park(r->srv), &r->park, r->conn,
					  at < r->wait_until_ns ? at : r->wait_until_ns, r->park_key, &l->nwaiters,
					  ADM_LOGS_MAX_WAITERS)) {
				r->suspended = true;
				goto out;
			}
		}
	}
	r->status = 200;
	r->content_type = "text/plain; charset=utf-8";
	hdrs = fc_arena_alloc(&r->arena, 5 * sizeof(*hdrs));
	hdrs[0] = "X-Log-Next-Offset";
	hdrs[1] = fc_arena_printf(&r->arena, "%llu", (unsigned long long)pc.next_offset);
	hdrs[2] = "X-Log-Complete";
	hdrs[3] = ended && !pc.more ? "true" : "false";
	hdrs[4] = NULL;
	r->headers = hdrs;
out:
	for (i = 0; i < nfiles; i++)
		free(files[i]);
	fc_arena_release(&a);
}
