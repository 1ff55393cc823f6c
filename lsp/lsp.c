/* lsp.c: the language server (lsp.h). */
#include "lsp/lsp.h"
#include "compiler/compiler.h"
#include "compiler/dagdiff.h"
#include "compiler/explain.h"
#include "core/buf.h"
#include "core/cron.h"
#include "core/diag.h"
#include "core/err.h"
#include "core/strmap.h"
#include "core/walk.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* JSON-RPC and LSP error codes */
enum {
	RPC_PARSE_ERROR = -32700,
	RPC_INVALID_REQUEST = -32600,
	RPC_METHOD_NOT_FOUND = -32601,
	RPC_INVALID_PARAMS = -32602,
	RPC_SERVER_NOT_INITIALIZED = -32002,
};

/* An entity name a document defines or refers to. */
struct lsp_name {
	char *name;
	enum cmp_name_kind kind;
};

struct lsp_names {
	struct lsp_name *items;
	size_t n, alloc;
};

struct lsp_doc {
	char *path; /* as the compiler names it */
	char *uri;
	char *text;
	size_t len;
	bool open;
	char *published; /* the diagnostics last published (compact JSON), NULL when none */
	struct lsp_names defs, refs; /* entity names the text defines and refers to */
	bool names_known;            /* defs and refs are those of the text */
	unsigned char digest[32];    /* what other files see of it (cmp_each_file_digest()), when digest_known */
	bool digest_known;
};

struct lsp_server {
	struct lsp_doc *docs;
	size_t ndocs, alloc;
	char *root;
	bool initialized, shutdown, exited;
	struct cmp_session *session; /* the whole workspace, for hover, completion and definition */
	bool session_stale;          /* edits came after it: rebuilt when asked for */
	bool full_checks;            /* every edit re-checks the whole workspace (tests compare with this) */
	struct cmp_snapshots snaps;
	int64_t last_check_us;
	size_t last_check_files;
};

/* --- framing -------------------------------------------------------------------------------------------------- */

void lsp_frame(struct fc_buf *out, const char *body, size_t len)
{
	fc_buf_addf(out, "Content-Length: %zu\r\n\r\n", len);
	fc_buf_add(out, body, len);
}

static void send_json(struct fc_buf *out, json_t *msg)
{
	char *text;

	json_object_set_new(msg, "jsonrpc", json_string("2.0"));
	text = json_dumps(msg, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (text)
		lsp_frame(out, text, strlen(text));
	free(text);
	json_decref(msg);
}

void lsp_reader_init(struct lsp_reader *r, int fd)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
}

void lsp_reader_release(struct lsp_reader *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

/* Read more bytes into the buffer; false at end of input. */
static bool reader_fill(struct lsp_reader *r)
{
	ssize_t n;

	if (r->eof)
		return false;
	if (r->cap - r->len < 65536) {
		r->cap = r->len + 65536 * 2;
		r->buf = fc_xrealloc(r->buf, r->cap);
	}
	do
		n = read(r->fd, r->buf + r->len, r->cap - r->len);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		r->eof = true;
		return false;
	}
	r->len += (size_t)n;
	return true;
}

static void reader_drop(struct lsp_reader *r, size_t n)
{
	memmove(r->buf, r->buf + n, r->len - n);
	r->len -= n;
}

static const char *find_header_end(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i + 3 < len; i++)
		if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n')
			return buf + i;
	return NULL;
}

/* The Content-Length of a header block; -1 when missing or not a number. Other headers (Content-Type) are fine. */
static long long header_length(const char *h, size_t len)
{
	const char *p = h, *end = h + len;
	long long value = -1;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);

		if (n >= 15 && !strncasecmp(p, "Content-Length:", 15)) {
			const char *q = p + 15;
			long long v = 0;
			bool digits = false;

			while (q < p + n && *q == ' ')
				q++;
			while (q < p + n && *q >= '0' && *q <= '9') {
				if (v > (1LL << 40))
					return -1;
				v = v * 10 + (*q++ - '0');
				digits = true;
			}
			while (q < p + n && (*q == ' ' || *q == '\r'))
				q++;
			if (!digits || q != p + n)
				return -1;
			value = v;
		}
		p += n + 1;
	}
	return value;
}

int lsp_reader_next(struct lsp_reader *r, struct fc_buf *body, struct fc_err *err)
{
	const char *hend;
	long long length;
	size_t hlen;

	fc_buf_reset(body);
	for (;;) {
		hend = find_header_end(r->buf, r->len);
		if (hend)
			break;
		if (r->len > LSP_MAX_HEADER) {
			r->len = 0;
			return fc_err_set(err, FC_EPARSE, "a header block longer than %u bytes without its blank line; "
					  "dropped", LSP_MAX_HEADER);
		}
		if (!reader_fill(r)) {
			if (r->len) {
				r->len = 0;
				return fc_err_set(err, FC_EPARSE, "the input ended inside a header");
			}
			return FC_ENOENT;
		}
	}
	hlen = (size_t)(hend - r->buf) + 4;
	length = header_length(r->buf, hlen - 4);
	if (length < 0) {
		reader_drop(r, hlen);
		return fc_err_set(err, FC_EPARSE, "a header without a valid Content-Length; dropped");
	}
	reader_drop(r, hlen);
	if (length > (long long)LSP_MAX_MESSAGE) {
		/* skip the body as it arrives, never holding it */
		unsigned long long left = (unsigned long long)length;

		while (left) {
			size_t take;

			if (!r->len && !reader_fill(r))
				break;
			take = r->len < left ? r->len : (size_t)left;
			reader_drop(r, take);
			left -= take;
		}
		return fc_err_set(err, FC_ELIMIT, "a message of %lld bytes, more than the limit of %u; skipped", length,
				  LSP_MAX_MESSAGE);
	}
	while (r->len < (size_t)length)
		if (!reader_fill(r)) {
			r->len = 0;
			return fc_err_set(err, FC_EPARSE, "the input ended inside a message body");
		}
	fc_buf_add(body, r->buf, (size_t)length);
	reader_drop(r, (size_t)length);
	return FC_OK;
}

/* --- answers -------------------------------------------------------------------------------------------------- */

static void reply(struct fc_buf *out, const json_t *id, json_t *result)
{
	json_t *msg = json_object();

	json_object_set_new(msg, "id", id ? json_deep_copy(id) : json_null());
	json_object_set_new(msg, "result", result ? result : json_null());
	send_json(out, msg);
}

static void reply_error(struct fc_buf *out, const json_t *id, int code, const char *message)
{
	json_t *msg = json_object();

	json_object_set_new(msg, "id", id ? json_deep_copy(id) : json_null());
	json_object_set_new(msg, "error", json_pack("{s:i,s:s}", "code", code, "message", message));
	send_json(out, msg);
}

static void notify(struct fc_buf *out, const char *method, json_t *params)
{
	json_t *msg = json_object();

	json_object_set_new(msg, "method", json_string(method));
	json_object_set_new(msg, "params", params);
	send_json(out, msg);
}

static void log_message(struct fc_buf *out, int type, const char *text)
{
	notify(out, "window/logMessage", json_pack("{s:i,s:s}", "type", type, "message", text));
}

/* --- documents ------------------------------------------------------------------------------------------------ */

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* file:///a%20b/c.yaml -> /a b/c.yaml; NULL for other schemes */
static char *uri_to_path(const char *uri)
{
	struct fc_buf path = FC_BUF_INIT;
	const char *p;

	if (!uri || strncmp(uri, "file://", 7))
		return NULL;
	for (p = uri + 7; *p; p++) {
		if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			fc_buf_addch(&path, hexval(p[1]) * 16 + hexval(p[2]));
			p += 2;
		} else {
			fc_buf_addch(&path, *p);
		}
	}
	return fc_buf_detach(&path, NULL);
}

static char *path_to_uri(const char *path)
{
	struct fc_buf uri = FC_BUF_INIT;
	const unsigned char *p;

	fc_buf_adds(&uri, "file://");
	for (p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._~/", *p))
			fc_buf_addch(&uri, *p);
		else
			fc_buf_addf(&uri, "%%%02X", *p);
	}
	return fc_buf_detach(&uri, NULL);
}

static struct lsp_doc *doc_find(struct lsp_server *srv, const char *path)
{
	size_t i;

	for (i = 0; i < srv->ndocs; i++)
		if (!strcmp(srv->docs[i].path, path))
			return &srv->docs[i];
	return NULL;
}

static struct lsp_doc *doc_set(struct lsp_server *srv, const char *path, const char *text, size_t len)
{
	struct lsp_doc *doc = doc_find(srv, path);

	if (!doc) {
		FC_ALLOC_GROW(srv->docs, srv->ndocs + 1, srv->alloc);
		doc = &srv->docs[srv->ndocs++];
		memset(doc, 0, sizeof(*doc));
		doc->path = fc_xstrdup(path);
		doc->uri = path_to_uri(path);
	}
	free(doc->text);
	doc->text = fc_xmalloc(len + 1);
	memcpy(doc->text, text, len);
	doc->text[len] = '\0';
	doc->len = len;
	doc->names_known = false; /* the digest stays: it is what the last check saw, compared after the next */
	return doc;
}

static bool spec_name(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && !strcmp(name + n - 5, ".yaml")) || (n > 4 && !strcmp(name + n - 4, ".yml"));
}

static int load_file(void *ctx, const char *path, const char *rel, const struct stat *st)
{
	struct lsp_server *srv = ctx;
	struct fc_buf text = FC_BUF_INIT;
	struct fc_err err;

	(void)rel;
	if (!spec_name(path) || st->st_size > (off_t)LSP_MAX_MESSAGE)
		return 0;
	if (!fc_buf_read_file(&text, path, LSP_MAX_MESSAGE, &err))
		doc_set(srv, path, text.buf, text.len);
	fc_buf_release(&text);
	return 0;
}

/* --- checking ------------------------------------------------------------------------------------------------- */

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static json_t *position(uint32_t line, uint32_t col)
{
	return json_pack("{s:i,s:i}", "line", line ? (int)line - 1 : 0, "character", col ? (int)col - 1 : 0);
}

static json_t *range(uint32_t line, uint32_t col, uint32_t end_line, uint32_t end_col)
{
	return json_pack("{s:o,s:o}", "start", position(line, col), "end", position(end_line, end_col));
}

/*
 * Checking is incremental. Each document remembers the entity names it defines and refers to (kind aside: a
 * workflow's default launch plan shares its name) and the diagnostics last published for it. After an edit the
 * edited file is read alone for its new names, and the files whose diagnostics can change are found from those
 * names: the files that refer to or also define a name the file defined before or defines now, then everything
 * that refers to what those define (transitively); when the set of names changed, also every file with a
 * reference that resolves nowhere (its did-you-mean hint may change). Those files are compiled together with what
 * they need (the definers of the names they use and define, transitively) in document order, with the names of
 * the whole workspace as hints, which gives them the diagnostics a full compile gives; a list is published only
 * when it changed. The full session that hover and completion read is rebuilt when one of them asks.
 */
static void names_add(struct lsp_names *l, enum cmp_name_kind kind, const char *name)
{
	FC_ALLOC_GROW(l->items, l->n + 1, l->alloc);
	l->items[l->n].name = fc_xstrdup(name);
	l->items[l->n].kind = kind;
	l->n++;
}

static void names_release(struct lsp_names *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->items[i].name);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static void collect_name(void *ctx, const char *path, bool defines, enum cmp_name_kind kind, const char *name)
{
	struct lsp_doc *doc = ctx;

	(void)path;
	names_add(defines ? &doc->defs : &doc->refs, kind, name);
}

static void add_doc_source(struct cmp_session *s, const struct lsp_doc *doc);

/* A document's names, from the document alone: in a whole compile a definition that repeats another file's is no
 * entity, so what it refers to would be missing when the other one goes away. */
static void doc_names(struct lsp_doc *doc)
{
	struct cmp_options opts;
	struct cmp_session *s;

	names_release(&doc->defs);
	names_release(&doc->refs);
	memset(&opts, 0, sizeof(opts));
	s = cmp_session_new(&opts);
	add_doc_source(s, doc);
	cmp_each_name(s, collect_name, doc);
	cmp_session_free(s);
	doc->names_known = true;
}

static void add_doc_source(struct cmp_session *s, const struct lsp_doc *doc)
{
	char *copy = fc_xmalloc(doc->len + 1);

	memcpy(copy, doc->text, doc->len + 1);
	cmp_add_source_take(s, doc->path, copy, doc->len);
}

static int diag_order(const void *a, const void *b)
{
	const struct fc_diag *x = *(const struct fc_diag *const *)a, *y = *(const struct fc_diag *const *)b;
	int c;

	if (x->loc.line != y->loc.line)
		return x->loc.line < y->loc.line ? -1 : 1;
	if (x->loc.col != y->loc.col)
		return x->loc.col < y->loc.col ? -1 : 1;
	if ((c = strcmp(x->code, y->code)))
		return c;
	if ((c = strcmp(x->msg, y->msg)))
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static json_t *diag_json(const struct fc_diag *dg)
{
	uint32_t end_line, end_col;
	json_t *item;

	fc_diag_end(dg, &end_line, &end_col);
	item = json_pack("{s:o,s:i,s:s,s:s,s:s}", "range",
			 range(dg->loc.line, dg->loc.col, dg->loc.line ? end_line : 0, dg->loc.line ? end_col : 0),
			 "severity", dg->sev == FC_SEV_ERROR ? 1 : dg->sev == FC_SEV_WARNING ? 2 : 3, "code", dg->code,
			 "source", "flytec", "message", dg->msg);
	if (dg->note && dg->note_loc.src && dg->note_loc.line) {
		char *uri = path_to_uri(dg->note_loc.src->path);

		json_object_set_new(item, "relatedInformation",
				    json_pack("[{s:{s:s,s:o},s:s}]", "location", "uri", uri, "range",
					      range(dg->note_loc.line, dg->note_loc.col, dg->note_loc.line,
						    dg->note_loc.col + 1),
					      "message", dg->note));
		free(uri);
	}
	return item;
}

/* Publish the diagnostics of the documents marked in `publish` (all when NULL) from session `s`, each list in
 * position order and only when it differs from what the client has. */
static void publish(struct lsp_server *srv, struct cmp_session *s, const unsigned char *publish_doc,
		    struct fc_buf *out)
{
	const struct fc_diags *d = cmp_diags(s);
	struct fc_strmap by_path;
	struct lsp_doc_diags {
		const struct fc_diag **items;
		size_t n, alloc;
	} *lists = fc_xcalloc(srv->ndocs + 1, sizeof(*lists));
	size_t i, j;

	fc_strmap_init(&by_path);
	for (j = 0; j < srv->ndocs; j++)
		if (!publish_doc || publish_doc[j])
			fc_strmap_put(&by_path, srv->docs[j].path, &lists[j]);
	for (i = 0; i < d->nr; i++) {
		struct lsp_doc_diags *l = d->items[i].loc.src ? fc_strmap_get(&by_path, d->items[i].loc.src->path) : NULL;

		if (!l)
			continue;
		FC_ALLOC_GROW(l->items, l->n + 1, l->alloc);
		l->items[l->n++] = &d->items[i];
	}
	for (j = 0; j < srv->ndocs; j++) {
		struct lsp_doc *doc = &srv->docs[j];
		json_t *list;
		char *text;

		if (publish_doc && !publish_doc[j])
			continue;
		if (!lists[j].n && !doc->published)
			continue;
		list = json_array();
		if (lists[j].n > 1)
			qsort(lists[j].items, lists[j].n, sizeof(lists[j].items[0]), diag_order);
		for (i = 0; i < lists[j].n; i++)
			json_array_append_new(list, diag_json(lists[j].items[i]));
		text = json_dumps(list, JSON_COMPACT | JSON_SORT_KEYS);
		if (doc->published && !strcmp(doc->published, text)) {
			free(text);
			json_decref(list);
			continue;
		}
		free(doc->published);
		doc->published = lists[j].n ? text : NULL;
		if (!lists[j].n)
			free(text);
		notify(out, "textDocument/publishDiagnostics",
		       json_pack("{s:s,s:o}", "uri", doc->uri, "diagnostics", list));
	}
	for (j = 0; j < srv->ndocs; j++)
		free(lists[j].items);
	free(lists);
	fc_strmap_release(&by_path);
}

struct digest_sink {
	struct fc_strmap by_path; /* path -> struct lsp_doc *, the documents whose digest to keep */
};

static void keep_digest(void *ctx, const char *path, const unsigned char digest[32])
{
	struct digest_sink *ds = ctx;
	struct lsp_doc *doc = fc_strmap_get(&ds->by_path, path);

	if (doc) {
		memcpy(doc->digest, digest, sizeof(doc->digest));
		doc->digest_known = true;
	}
}

/* Keep the digests of the documents marked in `mark` (all when NULL) from a compiled session. */
static void keep_digests(struct lsp_server *srv, struct cmp_session *s, const unsigned char *mark)
{
	struct digest_sink ds = {FC_STRMAP_INIT};
	size_t i;

	for (i = 0; i < srv->ndocs; i++)
		if (!mark || mark[i])
			fc_strmap_put(&ds.by_path, srv->docs[i].path, &srv->docs[i]);
	cmp_each_file_digest(s, keep_digest, &ds);
	fc_strmap_release(&ds.by_path);
}

/* The whole workspace as one session (what hover and completion read). */
static void full_session(struct lsp_server *srv)
{
	struct cmp_options opts;
	size_t i;

	memset(&opts, 0, sizeof(opts));
	if (srv->session)
		cmp_session_free(srv->session);
	cmp_snapshots_release(&srv->snaps);
	cmp_snapshots_init(&srv->snaps);
	srv->session = cmp_session_new(&opts);
	for (i = 0; i < srv->ndocs; i++)
		add_doc_source(srv->session, &srv->docs[i]);
	if (!cmp_compile(srv->session))
		cmp_snapshots_add_session(&srv->snaps, srv->session);
	if (!srv->full_checks)
		keep_digests(srv, srv->session, NULL);
	srv->session_stale = false;
}

/* Hover and completion read the whole workspace's session: rebuild it if edits made it old. */
static void ensure_session(struct lsp_server *srv)
{
	if (srv->session_stale || !srv->session)
		full_session(srv);
}

static void recheck_all(struct lsp_server *srv, struct fc_buf *out)
{
	int64_t start = now_us();

	size_t i;

	full_session(srv);
	publish(srv, srv->session, NULL, out);
	if (!srv->full_checks)
		for (i = 0; i < srv->ndocs; i++)
			if (!srv->docs[i].names_known)
				doc_names(&srv->docs[i]);
	srv->last_check_us = now_us() - start;
	srv->last_check_files = srv->ndocs;
}

/* name -> the documents that define it / refer to it (indexes into srv->docs) */
struct doc_set {
	size_t *docs;
	size_t n, alloc;
};

static void index_names(struct fc_strmap *m, const struct lsp_names *l, size_t doc)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		struct doc_set *ds = fc_strmap_get(m, l->items[i].name);

		if (!ds) {
			ds = fc_xcalloc(1, sizeof(*ds));
			fc_strmap_put(m, l->items[i].name, ds);
		}
		if (ds->n && ds->docs[ds->n - 1] == doc)
			continue;
		FC_ALLOC_GROW(ds->docs, ds->n + 1, ds->alloc);
		ds->docs[ds->n++] = doc;
	}
}

static void index_free(struct fc_strmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		if (m->slots[i].key) {
			struct doc_set *ds = m->slots[i].value;

			free(ds->docs);
			free(ds);
		}
	fc_strmap_release(m);
}

struct mark_queue {
	unsigned char *in;
	size_t *queue;
	size_t n;
};

static void mark(struct mark_queue *q, const struct doc_set *ds)
{
	size_t i;

	for (i = 0; ds && i < ds->n; i++)
		if (!q->in[ds->docs[i]]) {
			q->in[ds->docs[i]] = 1;
			q->queue[q->n++] = ds->docs[i];
		}
}

static int name_cmp(const void *a, const void *b)
{
	const struct lsp_name *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (int)x->kind - (int)y->kind;
}

static bool same_names(struct lsp_names *a, struct lsp_names *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	if (!a->n)
		return true;
	qsort(a->items, a->n, sizeof(a->items[0]), name_cmp);
	qsort(b->items, b->n, sizeof(b->items[0]), name_cmp);
	for (i = 0; i < a->n; i++)
		if (name_cmp(&a->items[i], &b->items[i]))
			return false;
	return true;
}

/* What a re-check after an edit works with: who defines and refers to each name, and every name as a hint. */
struct check_index {
	struct fc_strmap definers, referrers; /* name -> struct doc_set * */
	struct {
		const char **names;
		size_t n, alloc;
	} hints[3];
};

static void hint_add(struct check_index *ix, enum cmp_name_kind kind, const char *name)
{
	FC_ALLOC_GROW(ix->hints[kind].names, ix->hints[kind].n + 1, ix->hints[kind].alloc);
	ix->hints[kind].names[ix->hints[kind].n++] = name;
}

static void check_index_build(struct check_index *ix, const struct lsp_server *srv)
{
	size_t i, j;

	memset(ix, 0, sizeof(*ix));
	fc_strmap_init(&ix->definers);
	fc_strmap_init(&ix->referrers);
	for (j = 0; j < srv->ndocs; j++) {
		const struct lsp_names *defs = &srv->docs[j].defs;

		index_names(&ix->definers, defs, j);
		index_names(&ix->referrers, &srv->docs[j].refs, j);
		for (i = 0; i < defs->n; i++) {
			hint_add(ix, defs->items[i].kind, defs->items[i].name);
			if (defs->items[i].kind == CMP_NAME_WORKFLOW) /* its default launch plan */
				hint_add(ix, CMP_NAME_LAUNCH_PLAN, defs->items[i].name);
		}
	}
}

static void check_index_release(struct check_index *ix)
{
	size_t k;

	for (k = 0; k < 3; k++)
		free(ix->hints[k].names);
	index_free(&ix->definers);
	index_free(&ix->referrers);
}

static void queue_init(struct mark_queue *q, size_t n)
{
	q->in = fc_xcalloc(n + 1, 1);
	q->queue = fc_xcalloc(n + 1, sizeof(*q->queue));
	q->n = 0;
}

static void queue_release(struct mark_queue *q)
{
	free(q->in);
	free(q->queue);
}

static void mark_one(struct mark_queue *q, size_t doc)
{
	if (!q->in[doc]) {
		q->in[doc] = 1;
		q->queue[q->n++] = doc;
	}
}

/* a: the edited file and the files that define a name it defined before or defines now (their "defined twice"
 * may change); unless `cutoff`, also the files that refer to such a name, every file with a reference that
 * resolves nowhere when the names changed, and then whatever refers to what a marked file defines. */
static void affected(const struct lsp_server *srv, const struct check_index *ix, size_t f,
		     const struct lsp_names *old_defs, bool cutoff, struct mark_queue *a)
{
	const struct lsp_names *new_defs = &srv->docs[f].defs;
	size_t i, j, head;

	mark_one(a, f);
	for (i = 0; i < old_defs->n; i++) {
		mark(a, fc_strmap_get(&ix->definers, old_defs->items[i].name));
		if (!cutoff)
			mark(a, fc_strmap_get(&ix->referrers, old_defs->items[i].name));
	}
	for (i = 0; i < new_defs->n; i++) {
		mark(a, fc_strmap_get(&ix->definers, new_defs->items[i].name));
		if (!cutoff)
			mark(a, fc_strmap_get(&ix->referrers, new_defs->items[i].name));
	}
	if (cutoff)
		return;
	for (j = 0; j < srv->ndocs; j++)
		for (i = 0; i < srv->docs[j].refs.n && !a->in[j]; i++)
			if (!fc_strmap_has(&ix->definers, srv->docs[j].refs.items[i].name))
				mark_one(a, j);
	for (head = 0; head < a->n; head++) {
		const struct lsp_names *defs = &srv->docs[a->queue[head]].defs;

		for (i = 0; i < defs->n; i++)
			mark(a, fc_strmap_get(&ix->referrers, defs->items[i].name));
	}
}

/* Compile the files of `a` with what they need (the definers of the names they define and use, transitively), in
 * document order, with every name of the workspace as a hint. */
static struct cmp_session *compile_affected(const struct lsp_server *srv, const struct check_index *ix,
					    const struct mark_queue *a, size_t *nfiles)
{
	struct mark_queue c;
	struct cmp_options opts;
	struct cmp_session *s;
	size_t i, j, k, head;

	queue_init(&c, srv->ndocs);
	for (head = 0; head < a->n; head++) {
		const struct lsp_names *defs = &srv->docs[a->queue[head]].defs;

		mark_one(&c, a->queue[head]);
		for (i = 0; i < defs->n; i++)
			mark(&c, fc_strmap_get(&ix->definers, defs->items[i].name));
	}
	for (head = 0; head < c.n; head++) {
		const struct lsp_names *refs = &srv->docs[c.queue[head]].refs;

		for (i = 0; i < refs->n; i++)
			mark(&c, fc_strmap_get(&ix->definers, refs->items[i].name));
	}
	memset(&opts, 0, sizeof(opts));
	for (k = 0; k < 3; k++) {
		opts.extra_hints[k].names = ix->hints[k].names;
		opts.extra_hints[k].n = ix->hints[k].n;
	}
	s = cmp_session_new(&opts);
	for (j = 0; j < srv->ndocs; j++)
		if (c.in[j])
			add_doc_source(s, &srv->docs[j]);
	cmp_compile(s);
	*nfiles = c.n;
	queue_release(&c);
	return s;
}

static void recheck_doc(struct lsp_server *srv, struct lsp_doc *changed, struct fc_buf *out)
{
	int64_t start = now_us();
	size_t f = (size_t)(changed - srv->docs), nfiles = 0;
	struct lsp_names old_defs = changed->defs;
	unsigned char old_digest[32];
	bool cutoff = changed->digest_known;
	struct check_index ix;
	struct mark_queue a;
	struct cmp_session *s;

	memcpy(old_digest, changed->digest, sizeof(old_digest));
	memset(&changed->defs, 0, sizeof(changed->defs));
	doc_names(changed);
	cutoff = cutoff && same_names(&old_defs, &changed->defs);
	check_index_build(&ix, srv);
	queue_init(&a, srv->ndocs);
	/* First the edited file alone: when what others see of it stayed the same, nothing else can change. */
	affected(srv, &ix, f, &old_defs, cutoff, &a);
	s = compile_affected(srv, &ix, &a, &nfiles);
	keep_digests(srv, s, a.in);
	if (cutoff && memcmp(old_digest, changed->digest, sizeof(old_digest))) {
		cmp_session_free(s);
		queue_release(&a);
		queue_init(&a, srv->ndocs);
		affected(srv, &ix, f, &old_defs, false, &a);
		s = compile_affected(srv, &ix, &a, &nfiles);
		keep_digests(srv, s, a.in);
	}
	publish(srv, s, a.in, out);
	cmp_session_free(s);
	srv->session_stale = true;
	queue_release(&a);
	check_index_release(&ix);
	names_release(&old_defs);
	srv->last_check_us = now_us() - start;
	srv->last_check_files = nfiles;
}

/* --- requests about a position -------------------------------------------------------------------------------- */

struct doc_pos {
	struct lsp_doc *doc;
	const char *line; /* start of the line */
	size_t line_len;
	uint32_t line_no; /* 0-based */
	size_t offset;    /* byte offset of the cursor in the line */
};

static bool word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
	       c == '.' || (unsigned char)c >= 0x80;
}

static bool locate(struct lsp_server *srv, const json_t *params, struct doc_pos *pos)
{
	const char *uri = json_string_value(json_object_get(json_object_get(params, "textDocument"), "uri"));
	const json_t *p = json_object_get(params, "position");
	json_int_t line = json_integer_value(json_object_get(p, "line"));
	json_int_t character = json_integer_value(json_object_get(p, "character"));
	char *path = uri_to_path(uri);
	const char *s, *end;
	json_int_t i;

	memset(pos, 0, sizeof(*pos));
	pos->doc = path ? doc_find(srv, path) : NULL;
	free(path);
	if (!pos->doc || line < 0 || character < 0)
		return false;
	s = pos->doc->text;
	end = s + pos->doc->len;
	for (i = 0; i < line && s < end; i++) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));

		if (!nl)
			return false;
		s = nl + 1;
	}
	pos->line = s;
	pos->line_len = (size_t)((memchr(s, '\n', (size_t)(end - s)) ? (const char *)memchr(s, '\n', (size_t)(end - s)) : end) - s);
	pos->line_no = (uint32_t)line;
	/* characters (UTF-16 units; the same as code points outside the astral planes) to a byte offset */
	for (i = 0; i < character && pos->offset < pos->line_len; i++) {
		pos->offset++;
		while (pos->offset < pos->line_len && ((unsigned char)s[pos->offset] & 0xc0) == 0x80)
			pos->offset++;
	}
	return true;
}

static char *word_at(const struct doc_pos *pos)
{
	size_t b = pos->offset, e = pos->offset;

	while (b > 0 && word_char(pos->line[b - 1]))
		b--;
	while (e < pos->line_len && word_char(pos->line[e]))
		e++;
	return b < e ? fc_xstrndup(pos->line + b, e - b) : NULL;
}

static const char *const entity_kinds[] = {"task", "workflow", "launch_plan"};

static json_t *markdown(const char *text)
{
	return json_pack("{s:{s:s,s:s}}", "contents", "kind", "markdown", "value", text);
}

static json_t *hover_cron(const struct doc_pos *pos)
{
	const char *c = memmem(pos->line, pos->line_len, "cron:", 5);
	struct fc_buf expr = FC_BUF_INIT, text = FC_BUF_INIT;
	struct fc_cron *cron = NULL;
	struct fc_err err;
	const char *p, *end = pos->line + pos->line_len;
	json_t *result = NULL;
	size_t column;

	if (!c)
		return NULL;
	for (p = c + 5; p < end && (*p == ' ' || *p == '\'' || *p == '"'); p++)
		;
	while (p < end && *p != '\'' && *p != '"' && *p != ',' && *p != '}' && *p != '#')
		fc_buf_addch(&expr, *p++);
	while (expr.len && expr.buf[expr.len - 1] == ' ')
		fc_buf_truncate(&expr, expr.len - 1);
	if (!fc_cron_parse(expr.buf, &cron, &column, &err)) {
		int64_t t = (int64_t)time(NULL);
		int k;

		fc_buf_addf(&text, "**cron** `%s`: next fire times (UTC unless the expression names a zone)\n\n", expr.buf);
		for (k = 0; k < 5; k++) {
			struct tm tm;
			time_t tt;
			char when[64];

			t = fc_cron_next(cron, NULL, t, t);
			if (t == FC_CRON_NONE)
				break;
			tt = (time_t)t;
			gmtime_r(&tt, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC (%a)", &tm);
			fc_buf_addf(&text, "- %s\n", when);
		}
		result = markdown(text.buf);
	} else {
		fc_buf_addf(&text, "**cron** `%s`: %s", expr.buf, err.msg);
		result = markdown(text.buf);
	}
	fc_cron_free(cron);
	fc_buf_release(&expr);
	fc_buf_release(&text);
	return result;
}

static json_t *find_definition(struct lsp_server *srv, const char *word);

static json_t *do_hover(struct lsp_server *srv, const json_t *params)
{
	struct doc_pos pos;
	char *word;
	json_t *result = NULL;
	size_t k;

	if (!locate(srv, params, &pos))
		return NULL;
	if ((result = hover_cron(&pos)))
		return result;
	word = word_at(&pos);
	if (!word)
		return NULL;
	ensure_session(srv);
	for (k = 0; k < FC_ARRAY_LEN(entity_kinds) && !result; k++) {
		const struct cmp_snapshot *snap = cmp_snapshots_find(&srv->snaps, entity_kinds[k], word);

		if (snap) {
			struct fc_buf text = FC_BUF_INIT;

			fc_buf_addf(&text, "```\n%s```", snap->text);
			result = markdown(text.buf);
			fc_buf_release(&text);
		}
	}
	if (!result) { /* the workspace does not compile: say where the name is defined */
		json_t *def = find_definition(srv, word);

		if (def) {
			struct fc_buf text = FC_BUF_INIT;

			fc_buf_addf(&text, "`%s` is defined in %s, line %d (its compiled form shows once the workspace "
					   "compiles)", word, json_string_value(json_object_get(def, "uri")),
				    (int)json_integer_value(json_object_get(json_object_get(json_object_get(def, "range"),
											    "start"), "line")) + 1);
			result = markdown(text.buf);
			fc_buf_release(&text);
			json_decref(def);
		}
	}
	if (!result && cmp_explain_find(word)) {
		const struct cmp_explanation *e = cmp_explain_find(word);
		struct fc_buf text = FC_BUF_INIT;

		fc_buf_addf(&text, "**%s**: %s\n\n%s", e->code, e->summary, e->text);
		result = markdown(text.buf);
		fc_buf_release(&text);
	}
	free(word);
	return result;
}

/* Where `name: WORD` defines WORD in some document. */
static json_t *find_definition(struct lsp_server *srv, const char *word)
{
	size_t i, wlen = strlen(word);

	for (i = 0; i < srv->ndocs; i++) {
		const char *text = srv->docs[i].text, *p = text;
		uint32_t line = 1;

		while ((p = strstr(p, "name:"))) {
			const char *q = p + 5, *ls;

			while (*q == ' ')
				q++;
			if (*q == '"' || *q == '\'')
				q++;
			if (!strncmp(q, word, wlen) && !word_char(q[wlen])) {
				uint32_t col = 1;

				for (ls = text; ls < q; ls++) /* the line and column of q */
					if (*ls == '\n')
						line++, col = 1;
					else if (((unsigned char)*ls & 0xc0) != 0x80)
						col++;
				return json_pack("{s:s,s:o}", "uri", srv->docs[i].uri, "range",
						 range(line, col, line, col + (uint32_t)wlen));
			}
			p += 5;
		}
	}
	return NULL;
}

static json_t *do_definition(struct lsp_server *srv, const json_t *params)
{
	struct doc_pos pos;
	json_t *result = NULL;
	char *word;

	if (!locate(srv, params, &pos) || !(word = word_at(&pos)))
		return NULL;
	if (strchr(word, '.')) /* !ref NODE.OUTPUT: the node */
		*strchr(word, '.') = '\0';
	result = find_definition(srv, word);
	if (!result) { /* a node id: `id: WORD` in the same document */
		const char *p = strstr(pos.doc->text, "id:");

		while (p && !result) {
			const char *q = p + 3;

			while (*q == ' ')
				q++;
			if (!strncmp(q, word, strlen(word)) && !word_char(q[strlen(word)])) {
				uint32_t line = 1, col = 1;
				const char *s;

				for (s = pos.doc->text; s < q; s++)
					if (*s == '\n')
						line++, col = 1;
					else if (((unsigned char)*s & 0xc0) != 0x80)
						col++;
				result = json_pack("{s:s,s:o}", "uri", pos.doc->uri, "range",
						   range(line, col, line, col + (uint32_t)strlen(word)));
			}
			p = strstr(p + 3, "id:");
		}
	}
	free(word);
	return result;
}

static const char *const spec_keys[] = {
	"project", "domain", "tasks", "workflows", "launch_plans", "name", "type", "inputs", "outputs", "image",
	"command", "args", "env", "retries", "timeout", "cache", "requests", "limits", "nodes", "id", "task",
	"workflow", "launch_plan", "branch", "if", "elif", "then", "else", "else_fail", "gate", "sleep", "approve",
	"signal", "map", "parallelism", "min_successes", "min_success_ratio", "after", "aliases", "schedule", "cron",
	"rate", "timezone", "kickoff_input", "catch_up", "concurrency", "fixed_inputs", "active", "description",
};
static const char *const type_names[] = {
	"integer", "float", "string", "boolean", "datetime", "duration", "binary", "struct", "none", "file",
	"directory", "dataset", "schema", "list<", "map<", "optional<", "union<", "enum<",
};

static void add_item(json_t *items, const char *label, int kind, const char *detail)
{
	json_array_append_new(items, json_pack("{s:s,s:i,s:s}", "label", label, "kind", kind, "detail", detail));
}

static json_t *do_completion(struct lsp_server *srv, const json_t *params)
{
	json_t *items = json_array();
	struct doc_pos pos;
	size_t i;

	ensure_session(srv);
	if (srv->session) {
		for (i = 0; i < cmp_task_count(srv->session); i++)
			add_item(items, cmp_task_at(srv->session, i)->name, 3, "task");
		for (i = 0; i < cmp_workflow_count(srv->session); i++)
			add_item(items, cmp_workflow_at(srv->session, i)->name, 7, "workflow");
		for (i = 0; i < cmp_launch_plan_count(srv->session); i++)
			if (!cmp_launch_plan_at(srv->session, i)->implicit)
				add_item(items, cmp_launch_plan_at(srv->session, i)->name, 23, "launch plan");
	}
	if (locate(srv, params, &pos)) { /* node ids of this document, for !ref and after */
		const char *p = pos.doc->text;

		while ((p = strstr(p, "id:"))) {
			const char *q = p + 3, *e;

			if (p > pos.doc->text && word_char(p[-1])) {
				p += 3;
				continue;
			}
			while (*q == ' ')
				q++;
			for (e = q; word_char(*e) && *e != '.'; e++)
				;
			if (e > q) {
				char *id = fc_xstrndup(q, (size_t)(e - q));

				add_item(items, id, 6, "node");
				free(id);
			}
			p = e;
		}
	}
	add_item(items, "inputs.", 9, "!ref inputs.NAME: a workflow input");
	for (i = 0; i < FC_ARRAY_LEN(type_names); i++)
		add_item(items, type_names[i], 25, "type");
	for (i = 0; i < FC_ARRAY_LEN(spec_keys); i++)
		add_item(items, spec_keys[i], 10, "key of the spec language");
	return json_pack("{s:b,s:o}", "isIncomplete", 0, "items", items);
}

static json_t *do_symbols(struct lsp_server *srv, const json_t *params)
{
	const char *uri = json_string_value(json_object_get(json_object_get(params, "textDocument"), "uri"));
	char *path = uri_to_path(uri);
	struct lsp_doc *doc = path ? doc_find(srv, path) : NULL;
	json_t *list = json_array();
	const char *s, *end;
	uint32_t line = 1;
	int section_kind = 12; /* function for tasks, class for workflows, event for launch plans */

	free(path);
	if (!doc)
		return list;
	for (s = doc->text, end = s + doc->len; s < end; line++) {
		const char *nl = memchr(s, '\n', (size_t)(end - s)), *eol = nl ? nl : end;
		const char *key = s;
		bool is_name, is_id;

		if (!strncmp(s, "tasks:", 6))
			section_kind = 12;
		else if (!strncmp(s, "workflows:", 10))
			section_kind = 5;
		else if (!strncmp(s, "launch_plans:", 13))
			section_kind = 24;
		while (key < eol) {
			const char *q;
			uint32_t col;

			is_name = !strncmp(key, "name:", 5) && (key == s || !word_char(key[-1]));
			is_id = !strncmp(key, "id:", 3) && (key == s || !word_char(key[-1]));
			if (!is_name && !is_id) {
				key++;
				continue;
			}
			q = key + (is_name ? 5 : 3);
			while (q < eol && *q == ' ')
				q++;
			{
				const char *e = q;

				while (e < eol && word_char(*e))
					e++;
				if (e > q && e - q < 256) {
					char name[256];
					const char *c;

					memcpy(name, q, (size_t)(e - q));
					name[e - q] = '\0';
					col = 1;
					for (c = s; c < q; c++)
						if (((unsigned char)*c & 0xc0) != 0x80)
							col++;
					json_array_append_new(list, json_pack("{s:s,s:i,s:o,s:o}", "name", name, "kind",
									      is_name ? section_kind : 8, "range",
									      range(line, 1, line, col + (uint32_t)(e - q)),
									      "selectionRange",
									      range(line, col, line, col + (uint32_t)(e - q))));
				}
				key = e;
			}
		}
		s = nl ? nl + 1 : end;
	}
	return list;
}

/* --- dispatch ------------------------------------------------------------------------------------------------- */

struct lsp_method {
	const char *name;
	/* a request's answer (NULL: null); notifications return NULL and are not answered */
	json_t *(*fn)(struct lsp_server *srv, const json_t *params, struct fc_buf *out);
	bool before_init; /* allowed before initialize */
};

static json_t *m_initialize(struct lsp_server *srv, const json_t *params, struct fc_buf *out)
{
	const char *root_uri = json_string_value(json_object_get(params, "rootUri"));
	const char *root_path = json_string_value(json_object_get(params, "rootPath"));
	char *root = root_uri ? uri_to_path(root_uri) : root_path ? fc_xstrdup(root_path) : NULL;

	(void)out;
	srv->initialized = true;
	free(srv->root);
	srv->root = root;
	if (root) {
		struct fc_walk_options opts;
		struct fc_err err;

		memset(&opts, 0, sizeof(opts));
		opts.confine = true;
		opts.on_file = load_file;
		opts.ctx = srv;
		if (fc_walk(root, "", &opts, &err))
			log_message(out, 2, err.msg);
	}
	return json_pack("{s:{s:{s:b,s:i,s:{s:b}},s:b,s:{s:[s,s,s]},s:b,s:b},s:{s:s,s:s}}", "capabilities",
			 "textDocumentSync", "openClose", 1, "change", 1, "save", "includeText", 1, "hoverProvider", 1,
			 "completionProvider", "triggerCharacters", ".", " ", ":", "definitionProvider", 1,
			 "documentSymbolProvider", 1, "serverInfo", "name", "flytec", "version", "0.1.0");
}

static json_t *m_initialized(struct lsp_server *srv, const json_t *params, struct fc_buf *out)
{
	(void)params;
	recheck_all(srv, out);
	return NULL;
}

static json_t *m_shutdown(struct lsp_server *srv, const json_t *params, struct fc_buf *out)
{
	(void)params;
	(void)out;
	srv->shutdown = true;
	return NULL;
}

static json_t *m_exit(struct lsp_server *srv, const json_t *params, struct fc_buf *out)
{
	(void)params;
	(void)out;
	srv->exited = true;
	return NULL;
}

/* didOpen / didChange / didSave / didClose: the document's text, then a re-check */
static json_t *text_changed(struct lsp_server *srv, const json_t *params, struct fc_buf *out, const char *text,
			    int open)
{
	const char *uri = json_string_value(json_object_get(json_object_get(params, "textDocument"), "uri"));
	char *path = uri_to_path(uri);
	struct lsp_doc *doc;

	if (!path) {
		log_message(out, 1, "flytec lsp: a document notification without a file:// uri; ignored");
		return NULL;
	}
	doc = doc_find(srv, path);
	if (text) {
		doc = doc_set(srv, path, text, strlen(text));
	} else if (!doc) {
		log_message(out, 2, "flytec lsp: a change for a document that was never opened, without its text; "
				    "ignored");
		free(path);
		return NULL;
	}
	if (open >= 0)
		doc->open = open;
	free(path);
	if (srv->full_checks || !srv->session)
		recheck_all(srv, out);
	else
		recheck_doc(srv, doc, out);
	return NULL;
}

static json_t *m_did_open(struct lsp_server *srv, const json_t *params, struct fc_buf *out)
{
	const char *text = json_string_value(json_object_get(json_object_get(params, "textDocument"), "text"));

	if (!text) {
		log_message(out, 1, "flytec lsp: didOpen without the document's text; ignored");
		return NULL;
	}
	return text_changed(srv, params, out, text, 1);
}

static json_t *m_did_change(struct lsp_server *srv, const json_t *params, struct fc_buf *out)
{
	const json_t *changes = json_object_get(params, "contentChanges");
	const json_t *last = json_array_size(changes) ? json_array_get(changes, json_array_size(changes) - 1) : NULL;
	const char *text = json_string_value(json_object_get(last, "text"));

	if (!text || json_object_get(last, "range")) {
		log_message(out, 1, "flytec lsp: didChange needs the whole text (the server asks for full sync); "
				    "ignored");
		return NULL;
	}
	return text_changed(srv, params, out, text, -1);
}

static json_t *m_did_save(struct lsp_server *srv, const json_t *params, struct fc_buf *out)
{
	return text_changed(srv, params, out, json_string_value(json_object_get(params, "text")), -1);
}

static json_t *m_did_close(struct lsp_server *srv, const json_t *params, struct fc_buf *out)
{
	return text_changed(srv, params, out, NULL, 0);
}

static json_t *m_hover(struct lsp_server *srv, const json_t *params, struct fc_buf *out)
{
	(void)out;
	return do_hover(srv, params);
}

static json_t *m_completion(struct lsp_server *srv, const json_t *params, struct fc_buf *out)
{
	(void)out;
	return do_completion(srv, params);
}

static json_t *m_definition(struct lsp_server *srv, const json_t *params, struct fc_buf *out)
{
	(void)out;
	return do_definition(srv, params);
}

static json_t *m_symbols(struct lsp_server *srv, const json_t *params, struct fc_buf *out)
{
	(void)out;
	return do_symbols(srv, params);
}

/* Sorted by name: looked up with bsearch. */
static const struct lsp_method methods[] = {
	{"exit", m_exit, true},
	{"initialize", m_initialize, true},
	{"initialized", m_initialized, false},
	{"shutdown", m_shutdown, false},
	{"textDocument/completion", m_completion, false},
	{"textDocument/definition", m_definition, false},
	{"textDocument/didChange", m_did_change, false},
	{"textDocument/didClose", m_did_close, false},
	{"textDocument/didOpen", m_did_open, false},
	{"textDocument/didSave", m_did_save, false},
	{"textDocument/documentSymbol", m_symbols, false},
	{"textDocument/hover", m_hover, false},
};

static int method_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct lsp_method *)elem)->name);
}

struct lsp_server *lsp_server_new(void)
{
	struct lsp_server *srv = fc_xcalloc(1, sizeof(*srv));

	cmp_snapshots_init(&srv->snaps);
	return srv;
}

void lsp_server_free(struct lsp_server *srv)
{
	size_t i;

	if (!srv)
		return;
	for (i = 0; i < srv->ndocs; i++) {
		free(srv->docs[i].path);
		free(srv->docs[i].uri);
		free(srv->docs[i].text);
		free(srv->docs[i].published);
		names_release(&srv->docs[i].defs);
		names_release(&srv->docs[i].refs);
	}
	free(srv->docs);
	free(srv->root);
	if (srv->session)
		cmp_session_free(srv->session);
	cmp_snapshots_release(&srv->snaps);
	free(srv);
}

void lsp_server_handle(struct lsp_server *srv, const char *body, size_t len, struct fc_buf *out)
{
	json_error_t jerr;
	json_t *msg = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	const json_t *id, *params;
	const struct lsp_method *m;
	const char *method;
	json_t *result;

	if (!msg) {
		struct fc_buf text = FC_BUF_INIT;

		fc_buf_addf(&text, "the message is not JSON: %s (at byte %d)", jerr.text, jerr.position);
		reply_error(out, NULL, RPC_PARSE_ERROR, text.buf);
		fc_buf_release(&text);
		return;
	}
	id = json_object_get(msg, "id");
	method = json_string_value(json_object_get(msg, "method"));
	params = json_object_get(msg, "params");
	if (!json_is_object(msg) || !method) {
		if (json_is_object(msg) && (json_object_get(msg, "result") || json_object_get(msg, "error")))
			goto out; /* an answer to a request we never send */
		reply_error(out, id, RPC_INVALID_REQUEST, "a request needs a string 'method'");
		goto out;
	}
	m = bsearch(method, methods, FC_ARRAY_LEN(methods), sizeof(methods[0]), method_cmp);
	if (!m) {
		if (id) {
			struct fc_buf text = FC_BUF_INIT;

			fc_buf_addf(&text, "flytec lsp does not handle '%s'", method);
			reply_error(out, id, RPC_METHOD_NOT_FOUND, text.buf);
			fc_buf_release(&text);
		}
		goto out; /* unknown notifications ($/cancelRequest, ...) are ignored, as the protocol says */
	}
	if (!srv->initialized && !m->before_init) {
		if (id)
			reply_error(out, id, RPC_SERVER_NOT_INITIALIZED, "the server is not initialized yet");
		else
			log_message(out, 2, "flytec lsp: a notification before initialize; ignored");
		goto out;
	}
	if (srv->shutdown && strcmp(method, "exit")) {
		if (id)
			reply_error(out, id, RPC_INVALID_REQUEST, "the server is shutting down");
		goto out;
	}
	if (params && !json_is_object(params) && !json_is_array(params)) {
		if (id)
			reply_error(out, id, RPC_INVALID_PARAMS, "params must be an object");
		goto out;
	}
	result = m->fn(srv, params, out);
	if (id)
		reply(out, id, result);
	else
		json_decref(result);
out:
	json_decref(msg);
}

bool lsp_server_done(const struct lsp_server *srv, int *status)
{
	if (srv->exited && status)
		*status = srv->shutdown ? 0 : 1;
	return srv->exited;
}

void lsp_server_set_full_checks(struct lsp_server *srv, bool full)
{
	srv->full_checks = full;
}

int64_t lsp_server_last_check_us(const struct lsp_server *srv, size_t *files)
{
	if (files)
		*files = srv->last_check_files;
	return srv->last_check_us;
}

static bool write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

int lsp_run(int in_fd, int out_fd)
{
	struct lsp_server *srv = lsp_server_new();
	struct lsp_reader reader;
	struct fc_buf body = FC_BUF_INIT, out = FC_BUF_INIT;
	int status = 1;

	lsp_reader_init(&reader, in_fd);
	for (;;) {
		struct fc_err err;
		int rc = lsp_reader_next(&reader, &body, &err);

		fc_buf_reset(&out);
		if (rc == FC_ENOENT)
			break;
		if (rc) {
			struct fc_buf text = FC_BUF_INIT;

			fc_buf_addf(&text, "flytec lsp: %s", err.msg);
			reply_error(&out, NULL, rc == FC_ELIMIT ? RPC_INVALID_REQUEST : RPC_PARSE_ERROR, text.buf);
			log_message(&out, 1, text.buf);
			fc_buf_release(&text);
		} else {
			lsp_server_handle(srv, body.buf, body.len, &out);
		}
		if (out.len && !write_all(out_fd, out.buf, out.len))
			break;
		if (lsp_server_done(srv, &status))
			break;
	}
	fc_buf_release(&body);
	fc_buf_release(&out);
	lsp_reader_release(&reader);
	lsp_server_free(srv);
	return status;
}
