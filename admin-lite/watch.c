/* watch.c: compile the repository directory into the store, then follow inotify events. */
#include "admin-lite/watch.h"
#include "admin-lite/register.h"
#include "admin-lite/service.h"
#include "admin-lite/store.h"
#include "compiler/compiler.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/diag.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/strmap.h"
#include "core/walk.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <sys/inotify.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* What one spec file defined and referenced at its last successful compile ("T:project/domain/name" keys). */
struct file_info {
	char *rel;
	char **defines;
	size_t ndefines, adefines;
	char **refs;
	size_t nrefs, arefs;
	bool known; /* compiled without errors at least once */
	bool gone;  /* deleted */
};

struct str_list {
	char **items;
	size_t nr, alloc;
};

struct adm_watch {
	struct adm_store *store;
	char *repo; /* absolute, no trailing '/' */
	char *project, *domain;
	unsigned debounce_ms, max_delay_ms;
	size_t full_threshold;
	void (*on_change)(void *ctx);
	void *on_change_ctx;
	struct fc_strmap files; /* rel -> struct file_info (key: info->rel) */
	struct file_info **infos;
	size_t ninfos, ainfos;
	bool started;
	int fd;              /* our inotify instance (-1 before adm_watch_start) */
	char **dir_of_wd;    /* watch descriptor -> the watched directory's absolute path (owned), NULL when free */
	size_t ndir_of_wd;
	/* the pending batch */
	struct fc_strmap pending_set;
	struct str_list pending;
	bool pending_full;
	bool rewatch; /* a directory moved: the wd -> path map is stale, watch everything again */
	int64_t first_event_ns, last_event_ns;
	/* the store could not write: the batch stays pending and is tried again at retry_at_ns (backoff) */
	int64_t retry_at_ns;
	unsigned retry_ms;
	bool follow_external_links;
	pcre2_code *include, *exclude; /* the selection of spec files, or NULL */
	struct adm_watch_stats stats;
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void list_add(struct str_list *l, char *s)
{
	FC_ALLOC_GROW(l->items, l->nr + 1, l->alloc);
	l->items[l->nr++] = s;
}

static void list_free(struct str_list *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		free(l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static bool is_spec_name(const char *name)
{
	if (name[0] == '.')
		return false;
	/* YAML specs, protobuf files and pyflyte archives; JSON files in a repository are more often configuration than
	 * Flyte messages, so the watcher leaves them to `flytec compile` (docs/api.md, watched repository) */
	return cmp_is_source_name(name, false);
}

static struct file_info *file_get(struct adm_watch *w, const char *rel, bool create)
{
	struct file_info *fi = fc_strmap_get(&w->files, rel);

	if (fi || !create)
		return fi;
	fi = fc_xcalloc(1, sizeof(*fi));
	fi->rel = fc_xstrdup(rel);
	fc_strmap_put(&w->files, fi->rel, fi);
	FC_ALLOC_GROW(w->infos, w->ninfos + 1, w->ainfos);
	w->infos[w->ninfos++] = fi;
	return fi;
}

static void strs_free(char ***v, size_t *n, size_t *alloc)
{
	size_t i;

	for (i = 0; i < *n; i++)
		free((*v)[i]);
	free(*v);
	*v = NULL;
	*n = *alloc = 0;
}

static void strs_add_unique(char ***v, size_t *n, size_t *alloc, const char *s)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*v)[i], s))
			return;
	FC_ALLOC_GROW(*v, *n + 1, *alloc);
	(*v)[(*n)++] = fc_xstrdup(s);
}

/* Compile `pattern` (NULL: none) for --include / --exclude. */
static int compile_pattern(const char *what, const char *pattern, pcre2_code **out, struct fc_err *err)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE offset;
	int code;

	*out = NULL;
	if (!pattern)
		return 0;
	*out = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &offset, NULL);
	if (*out)
		return 0;
	pcre2_get_error_message(code, msg, sizeof(msg));
	return fc_err_set(err, FC_EINVAL, "watch: --%s '%s': %s at offset %zu", what, pattern, (const char *)msg,
			  (size_t)offset);
}

static bool pattern_matches(pcre2_code *re, const char *rel)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	int rc = pcre2_match(re, (PCRE2_SPTR)rel, PCRE2_ZERO_TERMINATED, 0, 0, md, NULL);

	pcre2_match_data_free(md);
	return rc >= 0;
}

/* Is `rel` one of the repository's spec files (--include / --exclude)? */
static bool selected(const struct adm_watch *w, const char *rel)
{
	if (w->exclude && pattern_matches(w->exclude, rel))
		return false;
	return !w->include || pattern_matches(w->include, rel);
}

int adm_watch_new(struct adm_store *store, const struct adm_watch_options *opts, struct adm_watch **out,
		  struct fc_err *err)
{
	pcre2_code *include = NULL, *exclude = NULL;
	struct adm_watch *w;
	char real[PATH_MAX];
	struct stat st;

	*out = NULL;
	if (!opts || !opts->repo)
		return fc_err_set(err, FC_EINVAL, "watch: a repository directory is required");
	if (!realpath(opts->repo, real) || stat(real, &st) < 0)
		return fc_err_set(err, FC_ENOENT, "watch: %s: %s", opts->repo, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fc_err_set(err, FC_EINVAL, "watch: %s is not a directory", opts->repo);
	if (compile_pattern("include", opts->include, &include, err) ||
	    compile_pattern("exclude", opts->exclude, &exclude, err)) {
		pcre2_code_free(include);
		return FC_EINVAL;
	}
	w = fc_xcalloc(1, sizeof(*w));
	w->include = include;
	w->exclude = exclude;
	w->store = store;
	w->repo = fc_xstrdup(real);
	w->project = opts->project ? fc_xstrdup(opts->project) : NULL;
	w->domain = opts->domain ? fc_xstrdup(opts->domain) : NULL;
	w->debounce_ms = opts->debounce_ms ? opts->debounce_ms : 30;
	w->max_delay_ms = opts->max_delay_ms ? opts->max_delay_ms : 1000;
	w->full_threshold = opts->full_threshold ? opts->full_threshold : 256;
	w->on_change = opts->on_change;
	w->on_change_ctx = opts->on_change_ctx;
	w->fd = -1;
	w->follow_external_links = opts->follow_external_links;
	fc_strmap_init(&w->files);
	fc_strmap_init(&w->pending_set);
	*out = w;
	return 0;
}

static void inotify_close(struct adm_watch *w);

static void pending_clear(struct adm_watch *w)
{
	fc_strmap_release(&w->pending_set);
	fc_strmap_init(&w->pending_set);
	list_free(&w->pending);
	w->pending_full = false;
	w->first_event_ns = w->last_event_ns = 0;
}

void adm_watch_free(struct adm_watch *w)
{
	size_t i;

	if (!w)
		return;
	inotify_close(w);
	for (i = 0; i < w->ninfos; i++) {
		struct file_info *fi = w->infos[i];

		strs_free(&fi->defines, &fi->ndefines, &fi->adefines);
		strs_free(&fi->refs, &fi->nrefs, &fi->arefs);
		free(fi->rel);
		free(fi);
	}
	free(w->infos);
	fc_strmap_release(&w->files);
	pending_clear(w);
	fc_strmap_release(&w->pending_set);
	pcre2_code_free(w->include);
	pcre2_code_free(w->exclude);
	free(w->repo);
	free(w->project);
	free(w->domain);
	free(w);
}

void adm_watch_get_stats(const struct adm_watch *w, struct adm_watch_stats *out)
{
	*out = w->stats;
}

/* ------------------------------------------------------------------------------------------------------------
 * Walking the repository.
 */
static int walk_file(void *ctx, const char *path, const char *rel, const struct stat *st)
{
	const char *base = strrchr(rel, '/');

	(void)path;
	(void)st;
	if (is_spec_name(base ? base + 1 : rel))
		list_add(ctx, fc_xstrdup(rel));
	return 0;
}

static void walk_warn(void *ctx, const char *rel, const char *why)
{
	const char *base = strrchr(rel, '/');

	fc_warn("watch: %s: %s", rel, why);
	/* A spec-named link leading outside the repository is listed all the same: compiling the set names it as an
	 * ExternalLink error in the repository status (without reading it), so a person sees why it is not used. */
	if (strstr(why, "outside") && is_spec_name(base ? base + 1 : rel))
		list_add(ctx, fc_xstrdup(rel));
}

/* The spec files under `rel`, through the shared walker (core/walk.h): each directory once whatever the links, and
 * nothing whose real path is outside the repository unless --follow-external-links. */
static void walk(const struct adm_watch *w, const char *rel, struct str_list *out)
{
	struct fc_walk_options wo = {!w->follow_external_links, walk_file, walk_warn, out};
	struct fc_err err;

	if (fc_walk(w->repo, rel, &wo, &err))
		fc_warn("watch: %s", err.msg);
}

/* ------------------------------------------------------------------------------------------------------------
 * Compiling a set of files and registering the results.
 */
static char *entity_key(char kind, const Flyteidl__Core__Identifier *id)
{
	struct fc_buf b = FC_BUF_INIT;

	fc_buf_addf(&b, "%c:%s/%s/%s", kind, id ? id->project : "", id ? id->domain : "", id ? id->name : "");
	return fc_buf_detach(&b, NULL);
}

/* Per-file results of one compile. */
struct file_result {
	const char *rel;
	struct str_list defines, refs;
	size_t nerrors, nwarnings;
	struct fc_buf extra; /* registration problems */
};

static struct file_result *result_for(struct file_result *res, size_t n, const char *rel)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(res[i].rel, rel))
			return &res[i];
	return NULL;
}

static const char *rel_of(const struct adm_watch *w, const char *path)
{
	size_t n = strlen(w->repo);

	if (path && !strncmp(path, w->repo, n) && path[n] == '/')
		return path + n + 1;
	return path;
}

static void render_file_diags(struct fc_diags *all, const char *full, enum fc_diag_format fmt, struct fc_buf *out,
			      size_t *nerrors, size_t *nwarnings)
{
	struct fc_diags sub = *all;
	size_t i;

	sub.items = fc_xcalloc(all->nr + 1, sizeof(*sub.items));
	sub.nr = 0;
	sub.nerrors = sub.nwarnings = 0;
	sub.dropped = 0;
	for (i = 0; i < all->nr; i++) {
		const struct fc_diag *d = &all->items[i];

		if (!d->loc.src || strcmp(d->loc.src->path, full))
			continue;
		sub.items[sub.nr++] = *d;
		if (d->sev == FC_SEV_ERROR)
			sub.nerrors++;
		else if (d->sev == FC_SEV_WARNING)
			sub.nwarnings++;
	}
	if (sub.nr)
		fc_diags_render(&sub, fmt, false, out);
	if (nerrors)
		*nerrors = sub.nerrors;
	if (nwarnings)
		*nwarnings = sub.nwarnings;
	free(sub.items);
}


struct reg_ctx {
	struct adm_watch *w;
	struct file_result *res;
	size_t nres;
};

static const char *source_of(void *ctx, const char *file)
{
	return rel_of(((struct reg_ctx *)ctx)->w, file);
}

/* Note what each file defines and references, and registration problems, for the file's status. */
static void on_registered(void *ctx, const struct adm_reg_result *r)
{
	struct reg_ctx *c = ctx;
	struct file_result *fr = result_for(c->res, c->nres, rel_of(c->w, r->file));
	static const char kind_letter[] = {'?', 'T', 'W', 'L'};
	size_t j;

	if (!fr || r->skipped)
		return; /* its file's own errors say why */
	if (r->rc) {
		fr->nerrors++;
		fc_buf_addf(&fr->extra, "%s: error[Registration]: %s\n", fr->rel, r->message);
		if (r->diff)
			fc_buf_adds(&fr->extra, r->diff);
		fc_warn("watch: registering %s from %s: %s", r->name, fr->rel, r->message);
		return;
	}
	c->w->stats.registered += r->created;
	list_add(&fr->defines, entity_key(kind_letter[r->kind], r->id));
	if (r->closure) {
		for (j = 0; j < r->closure->n_tasks; j++)
			if (r->closure->tasks[j]->template_)
				list_add(&fr->refs, entity_key('T', r->closure->tasks[j]->template_->id));
		for (j = 0; j < r->closure->n_sub_workflows; j++)
			if (r->closure->sub_workflows[j]->template_)
				list_add(&fr->refs, entity_key('W', r->closure->sub_workflows[j]->template_->id));
	}
	if (r->launch_plan && r->launch_plan->spec && r->launch_plan->spec->workflow_id)
		list_add(&fr->refs, entity_key('W', r->launch_plan->spec->workflow_id));
}

/*
 * Compile `rels` (relative paths of existing files) in one session. With `allow_fallback`, errors make the caller
 * compile the whole repository instead: *fallback is set and nothing is registered.
 */
/* The store could not write the results of compiling `rels`: show each file as failed with the reason until a
 * retry stores it (the store keeps such statuses in memory when it cannot write them either). */
static void put_unstored(struct adm_watch *w, const struct str_list *rels, const struct fc_err *why)
{
	size_t i;

	for (i = 0; i < rels->nr; i++) {
		struct fc_buf text = FC_BUF_INIT;
		struct adm_file_status st;
		struct file_info *fi = file_get(w, rels->items[i], false);

		/* a retry compiles everything: a file registered before and not changed since stays as it was */
		if (fi && fi->known && w->pending.nr && !fc_strmap_has(&w->pending_set, rels->items[i]))
			continue;
		fc_buf_addf(&text, "%s: error[StoreUnavailable]: not registered yet: %s; the watcher tries again until "
			    "it is stored\n", rels->items[i], why->msg);
		memset(&st, 0, sizeof(st));
		st.path = rels->items[i];
		st.nerrors = 1;
		st.diagnostics_text = text.buf;
		adm_file_status_put(w->store, &st, NULL);
		fc_buf_release(&text);
	}
}

/* True when `path` resolves to a file inside the repository; *real receives the resolved path (owned). */
static bool inside_repo(const struct adm_watch *w, const char *path, char **real)
{
	char buf[PATH_MAX];
	size_t n = strlen(w->repo);

	*real = NULL;
	if (!realpath(path, buf))
		return true; /* does not exist (any more): reading it reports that */
	*real = fc_xstrdup(buf);
	return !strncmp(buf, w->repo, n) && buf[n] == '/';
}

static int compile_set(struct adm_watch *w, struct str_list *rels, bool allow_fallback, bool *fallback,
		       struct fc_err *err)
{
	struct cmp_options copts;
	struct cmp_session *cs;
	struct file_result *res;
	struct fc_diags *diags;
	struct fc_buf path = FC_BUF_INIT;
	char **read_errors;
	size_t i, j;
	int rc = 0, crc;
	int64_t t0 = mono_ns();

	*fallback = false;
	memset(&copts, 0, sizeof(copts));
	copts.project = w->project;
	copts.domain = w->domain;
	cs = cmp_session_new(&copts);
	read_errors = fc_xcalloc(rels->nr + 1, sizeof(*read_errors));
	/* sources are named by their path in the repository, so diagnostics read "dir/file.yaml:3:5: ..." */
	for (i = 0; i < rels->nr; i++) {
		struct fc_buf text = FC_BUF_INIT;
		struct fc_err rerr;
		char *real = NULL;

		fc_buf_reset(&path);
		fc_buf_addf(&path, "%s/%s", w->repo, rels->items[i]);
		if (!w->follow_external_links && !inside_repo(w, path.buf, &real)) {
			/* name the link, never read what it points to */
			read_errors[i] = fc_xstrdup("error[ExternalLink]: a symbolic link to a file outside the repository; "
						    "not read (serve/watch --follow-external-links allows it)");
			free(real);
			continue;
		}
		if (fc_buf_read_file(&text, real ? real : path.buf, CMP_MAX_FILE_SIZE, &rerr)) {
			struct fc_buf msg = FC_BUF_INIT;

			fc_buf_addf(&msg, "error[IOError]: %s", rerr.msg);
			read_errors[i] = fc_buf_detach(&msg, NULL);
			fc_buf_release(&text);
			free(real);
			continue;
		}
		free(real);
		{
			size_t len;
			char *bytes = fc_buf_detach(&text, &len);

			cmp_add_source_take(cs, rels->items[i], bytes, len);
		}
	}
	crc = cmp_compile(cs);
	diags = cmp_diags(cs);
	if (crc && allow_fallback) {
		*fallback = true;
		goto out;
	}
	res = fc_xcalloc(rels->nr + 1, sizeof(*res));
	for (i = 0; i < rels->nr; i++) {
		res[i].rel = rels->items[i];
		fc_buf_init(&res[i].extra, 0);
		if (read_errors[i]) {
			res[i].nerrors++;
			fc_buf_addf(&res[i].extra, "%s: %s\n", res[i].rel, read_errors[i]);
		}
	}
	rc = adm_store_begin(w->store, err);
	if (rc)
		goto out_res;
	{
		struct reg_ctx rctx = {w, res, rels->nr};

		rc = adm_register_session(w->store, cs, source_of, on_registered, &rctx, err);
	}
	/* statuses, and what each file now defines and references */
	for (i = 0; i < rels->nr && !rc; i++) {
		struct file_result *fr = &res[i];
		struct adm_file_status st;
		struct fc_buf text = FC_BUF_INIT, json = FC_BUF_INIT;
		struct file_info *fi = file_get(w, fr->rel, true);
		size_t ne = 0, nw = 0;

		render_file_diags(diags, fr->rel, FC_DIAG_TEXT, &text, &ne, &nw);
		render_file_diags(diags, fr->rel, FC_DIAG_JSON, &json, NULL, NULL);
		fc_buf_add(&text, fr->extra.buf, fr->extra.len);
		memset(&st, 0, sizeof(st));
		st.path = fr->rel;
		st.nerrors = ne + fr->nerrors;
		st.nwarnings = nw;
		st.ok = st.nerrors == 0;
		st.diagnostics_text = text.buf;
		st.diagnostics_json = json.len ? json.buf : NULL;
		rc = adm_file_status_put(w->store, &st, err);
		fi->gone = false;
		if (st.ok) {
			strs_free(&fi->defines, &fi->ndefines, &fi->adefines);
			strs_free(&fi->refs, &fi->nrefs, &fi->arefs);
			for (j = 0; j < fr->defines.nr; j++)
				strs_add_unique(&fi->defines, &fi->ndefines, &fi->adefines, fr->defines.items[j]);
			for (j = 0; j < fr->refs.nr; j++)
				strs_add_unique(&fi->refs, &fi->nrefs, &fi->arefs, fr->refs.items[j]);
			fi->known = true;
		} else {
			fc_info("watch: %s: %zu error(s)", fr->rel, st.nerrors);
		}
		fc_buf_release(&text);
		fc_buf_release(&json);
	}
	if (rc)
		adm_store_rollback(w->store);
	else
		rc = adm_store_commit(w->store, err);
	if (adm_store_retryable(rc))
		put_unstored(w, rels, err);
out_res:
	for (i = 0; i < rels->nr; i++) {
		list_free(&res[i].defines);
		list_free(&res[i].refs);
		fc_buf_release(&res[i].extra);
	}
	free(res);
out:
	for (i = 0; i < rels->nr; i++)
		free(read_errors[i]);
	free(read_errors);
	cmp_session_free(cs);
	fc_buf_release(&path);
	if (!*fallback) {
		w->stats.batches++;
		w->stats.files_compiled += rels->nr;
		w->stats.last_batch_us = (uint64_t)(mono_ns() - t0) / 1000;
	}
	return rc;
}

static int file_deleted(struct adm_watch *w, const char *rel, struct fc_err *err)
{
	struct file_info *fi = file_get(w, rel, false);
	struct adm_file_status st;
	size_t n = 0;
	int rc;

	rc = adm_launch_plan_deactivate_source(w->store, rel, &n, err);
	if (rc)
		return rc;
	if (n)
		fc_info("watch: %s deleted: %zu launch plan(s) deactivated", rel, n);
	memset(&st, 0, sizeof(st));
	st.path = rel;
	st.ok = true;
	st.deleted = true;
	rc = adm_file_status_put(w->store, &st, err);
	if (fi) {
		fi->gone = true;
		fi->known = false;
		strs_free(&fi->defines, &fi->ndefines, &fi->adefines);
		strs_free(&fi->refs, &fi->nrefs, &fi->arefs);
	}
	return rc;
}

static int full_compile(struct adm_watch *w, struct fc_err *err)
{
	struct str_list rels = {0};
	struct fc_strmap present;
	bool fallback;
	size_t i;
	int rc = 0;

	walk(w, "", &rels);
	if (w->include || w->exclude) {
		size_t kept = 0;

		for (i = 0; i < rels.nr; i++) {
			if (selected(w, rels.items[i]))
				rels.items[kept++] = rels.items[i];
			else
				free(rels.items[i]);
		}
		rels.nr = kept;
	}
	fc_strmap_init(&present);
	for (i = 0; i < rels.nr; i++)
		fc_strmap_put(&present, rels.items[i], rels.items[i]);
	/* files we knew that are gone (deleted while nobody watched, or in a moved directory) */
	for (i = 0; i < w->ninfos && !rc; i++)
		if (!w->infos[i]->gone && !fc_strmap_has(&present, w->infos[i]->rel))
			rc = file_deleted(w, w->infos[i]->rel, err);
	/* ... and files the store lists as present that are gone (the watcher restarted) */
	if (!rc) {
		struct fc_arena a;
		struct adm_file_status *list;
		size_t n;

		fc_arena_init(&a, 0);
		if (!adm_file_status_list(w->store, false, &a, &list, &n, NULL)) {
			for (i = 0; i < n && !rc; i++)
				if (!list[i].deleted && !fc_strmap_has(&present, list[i].path))
					rc = file_deleted(w, list[i].path, err);
		}
		fc_arena_release(&a);
	}
	if (!rc)
		rc = compile_set(w, &rels, false, &fallback, err);
	w->stats.full_compiles++;
	fc_strmap_release(&present);
	list_free(&rels);
	return rc;
}

/*
 * After a batch: a store that could not write (disk full or failing) leaves the batch pending as a full rescan,
 * tried again after a backoff delay, so no change is lost; any other outcome clears it.
 */
static int batch_done(struct adm_watch *w, int rc, struct fc_err *err)
{
	if (adm_store_retryable(rc)) {
		w->retry_ms = w->retry_ms ? w->retry_ms * 2 : ADM_WATCH_RETRY_MIN_MS;
		if (w->retry_ms > ADM_WATCH_RETRY_MAX_MS)
			w->retry_ms = ADM_WATCH_RETRY_MAX_MS;
		w->retry_at_ns = mono_ns() + (int64_t)w->retry_ms * 1000000;
		fc_warn("watch: %s; trying again in %u ms", err ? err->msg : "the store cannot write", w->retry_ms);
		w->pending_full = true;
		if (!w->first_event_ns)
			w->first_event_ns = w->last_event_ns = mono_ns();
		return 0;
	}
	if (w->retry_ms && !rc)
		fc_info("watch: the store writes again; the repository is registered");
	w->retry_ms = 0;
	w->retry_at_ns = 0;
	pending_clear(w);
	return rc;
}

int adm_watch_scan(struct adm_watch *w, struct fc_err *err)
{
	return batch_done(w, full_compile(w, err), err);
}

/* The changed files plus every file depending on them and every file they depend on, transitively. */
static void closure_of(struct adm_watch *w, struct str_list *changed, struct str_list *out)
{
	struct fc_strmap in_set, defined, owner;
	size_t i, j, done = 0;
	bool grew = true;

	fc_strmap_init(&in_set);
	fc_strmap_init(&defined);
	fc_strmap_init(&owner);
	for (i = 0; i < w->ninfos; i++)
		for (j = 0; j < w->infos[i]->ndefines; j++)
			fc_strmap_put(&owner, w->infos[i]->defines[j], w->infos[i]);
	for (i = 0; i < changed->nr; i++) {
		if (fc_strmap_has(&in_set, changed->items[i]))
			continue;
		fc_strmap_put(&in_set, changed->items[i], (void *)1);
		list_add(out, fc_xstrdup(changed->items[i]));
	}
	while (grew) {
		grew = false;
		/* what the set defines, and what it needs */
		for (; done < out->nr; done++) {
			struct file_info *fi = file_get(w, out->items[done], false);

			if (!fi)
				continue;
			for (j = 0; j < fi->ndefines; j++)
				fc_strmap_put(&defined, fi->defines[j], (void *)1);
			for (j = 0; j < fi->nrefs; j++) {
				struct file_info *dep = fc_strmap_get(&owner, fi->refs[j]);

				if (dep && !dep->gone && !fc_strmap_has(&in_set, dep->rel)) {
					fc_strmap_put(&in_set, dep->rel, (void *)1);
					list_add(out, fc_xstrdup(dep->rel));
					grew = true;
				}
			}
		}
		/* dependants */
		for (i = 0; i < w->ninfos; i++) {
			struct file_info *fi = w->infos[i];

			if (fi->gone || fc_strmap_has(&in_set, fi->rel))
				continue;
			for (j = 0; j < fi->nrefs; j++) {
				if (fc_strmap_has(&defined, fi->refs[j])) {
					fc_strmap_put(&in_set, fi->rel, (void *)1);
					list_add(out, fc_xstrdup(fi->rel));
					grew = true;
					break;
				}
			}
		}
	}
	fc_strmap_release(&in_set);
	fc_strmap_release(&defined);
	fc_strmap_release(&owner);
}

static int inotify_setup(struct adm_watch *w, struct fc_err *err);

static int process_batch(struct adm_watch *w, struct fc_err *err)
{
	struct str_list existing = {0}, set = {0};
	struct fc_buf full = FC_BUF_INIT;
	bool fallback = false;
	size_t i;
	int rc = 0;

	fc_debug("watch: batch of %zu file(s)%s", w->pending.nr, w->pending_full ? ", full rescan" : "");
	if (w->rewatch) {
		/* watch again first: the full compile then sees everything that happened before, events the rest */
		w->rewatch = false;
		rc = inotify_setup(w, err);
		if (rc)
			goto out;
	}
	if (w->pending_full || w->pending.nr > w->full_threshold) {
		rc = full_compile(w, err);
		goto out;
	}
	/* deletions first: they change what depends on what */
	for (i = 0; i < w->pending.nr && !rc; i++) {
		struct stat st;

		fc_buf_reset(&full);
		fc_buf_addf(&full, "%s/%s", w->repo, w->pending.items[i]);
		if (stat(full.buf, &st) == 0 && S_ISREG(st.st_mode))
			list_add(&existing, fc_xstrdup(w->pending.items[i]));
	}
	closure_of(w, &w->pending, &set);
	for (i = 0; i < w->pending.nr && !rc; i++) {
		struct file_info *fi = file_get(w, w->pending.items[i], false);
		bool exists = false;
		size_t k;

		for (k = 0; k < existing.nr; k++)
			exists |= !strcmp(existing.items[k], w->pending.items[i]);
		if (!exists && (!fi || !fi->gone))
			rc = file_deleted(w, w->pending.items[i], err);
	}
	if (rc)
		goto out;
	/* compile the files of the set that exist */
	{
		struct str_list present = {0};

		for (i = 0; i < set.nr; i++) {
			struct stat st;

			fc_buf_reset(&full);
			fc_buf_addf(&full, "%s/%s", w->repo, set.items[i]);
			if (stat(full.buf, &st) == 0 && S_ISREG(st.st_mode))
				list_add(&present, fc_xstrdup(set.items[i]));
		}
		if (present.nr)
			rc = compile_set(w, &present, true, &fallback, err);
		list_free(&present);
	}
	if (!rc && fallback)
		rc = full_compile(w, err);
out:
	list_free(&existing);
	list_free(&set);
	fc_buf_release(&full);
	rc = batch_done(w, rc, err);
	if (w->on_change)
		w->on_change(w->on_change_ctx);
	return rc;
}

/* ------------------------------------------------------------------------------------------------------------
 * inotify.
 */
#define WATCH_EVENTS                                                                                       \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF)

/*
 * Plain inotify with our own watch-descriptor map (libinotifytools keeps one global instance per process and does
 * not hand out its descriptor; see docs/architecture.md). Directories are watched with IN_DONT_FOLLOW and the walk
 * below does not enter symbolic links, so no watch reaches outside the repository through a link.
 */
static void inotify_close(struct adm_watch *w)
{
	size_t i;

	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	for (i = 0; i < w->ndir_of_wd; i++)
		free(w->dir_of_wd[i]);
	free(w->dir_of_wd);
	w->dir_of_wd = NULL;
	w->ndir_of_wd = 0;
	w->started = false;
}

static void wd_set(struct adm_watch *w, int wd, const char *dir)
{
	size_t n = w->ndir_of_wd;

	if (wd < 0)
		return;
	if ((size_t)wd >= n) {
		size_t grown = n ? n : 16;

		while (grown <= (size_t)wd)
			grown *= 2;
		w->dir_of_wd = fc_xrealloc(w->dir_of_wd, grown * sizeof(*w->dir_of_wd));
		memset(w->dir_of_wd + n, 0, (grown - n) * sizeof(*w->dir_of_wd));
		w->ndir_of_wd = grown;
	}
	free(w->dir_of_wd[wd]);
	w->dir_of_wd[wd] = dir ? fc_xstrdup(dir) : NULL;
}

static const char *wd_dir(const struct adm_watch *w, int wd)
{
	return wd >= 0 && (size_t)wd < w->ndir_of_wd ? w->dir_of_wd[wd] : NULL;
}

/* Watch `dir` (absolute) and the directories below it, not entering dot directories or symbolic links. */
static int watch_dir(struct adm_watch *w, const char *dir, unsigned depth, struct fc_err *err)
{
	DIR *d;
	struct dirent *de;
	int wd, rc = 0;

	if (depth > 64)
		return 0;
	wd = inotify_add_watch(w->fd, dir, WATCH_EVENTS | IN_ONLYDIR | IN_DONT_FOLLOW);
	if (wd < 0) {
		int e = errno;

		if (e == ENOENT || e == ENOTDIR)
			return 0; /* gone meanwhile: its parent's event says so */
		return fc_err_set(err, FC_EIO, "watch: cannot watch %s: %s%s", dir, strerror(e),
				  e == ENOSPC ? " (raise fs.inotify.max_user_watches)" : "");
	}
	wd_set(w, wd, dir);
	d = opendir(dir);
	if (!d)
		return 0;
	while (!rc && (de = readdir(d))) {
		struct fc_buf child = FC_BUF_INIT;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		fc_buf_addf(&child, "%s/%s", dir, de->d_name);
		if (lstat(child.buf, &st) == 0 && S_ISDIR(st.st_mode))
			rc = watch_dir(w, child.buf, depth + 1, err);
		fc_buf_release(&child);
	}
	closedir(d);
	return rc;
}

/* (Re)create the inotify instance and watch the repository recursively. */
static int inotify_setup(struct adm_watch *w, struct fc_err *err)
{
	inotify_close(w);
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0)
		return fc_err_set(err, FC_EIO, "watch: inotify: %s", strerror(errno));
	w->started = true;
	return watch_dir(w, w->repo, 0, err);
}

int adm_watch_start(struct adm_watch *w, struct fc_err *err)
{
	if (w->started)
		return 0;
	return inotify_setup(w, err);
}

static void pending_add(struct adm_watch *w, const char *rel)
{
	char *copy;

	if (!selected(w, rel))
		return;
	if (fc_strmap_has(&w->pending_set, rel))
		return;
	copy = fc_xstrdup(rel);
	list_add(&w->pending, copy);
	fc_strmap_put(&w->pending_set, copy, (void *)1);
}

static void handle_event(struct adm_watch *w, const struct inotify_event *ev)
{
	const char *dir = wd_dir(w, ev->wd);
	struct fc_buf full = FC_BUF_INIT;
	const char *rel;

	if (ev->mask & IN_IGNORED) {
		wd_set(w, ev->wd, NULL); /* the directory's watch is gone (deleted, or unmounted) */
		return;
	}
	if (w->first_event_ns == 0)
		w->first_event_ns = mono_ns();
	w->last_event_ns = mono_ns();
	if (ev->mask & IN_Q_OVERFLOW) {
		fc_warn("watch: inotify queue overflowed; rescanning the repository");
		w->pending_full = true;
		return;
	}
	if (!dir || !ev->len) {
		if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF))
			w->pending_full = true;
		return;
	}
	fc_buf_addf(&full, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", ev->name);
	rel = rel_of(w, full.buf);
	if (ev->name[0] == '.')
		goto out;
	if (ev->mask & IN_ISDIR) {
		if (ev->mask & IN_CREATE) {
			struct str_list found = {0};
			size_t i;

			if (watch_dir(w, full.buf, 0, NULL))
				fc_warn("watch: cannot watch new directory %s", full.buf);
			/* files created before the watch was in place */
			walk(w, rel, &found);
			for (i = 0; i < found.nr; i++)
				pending_add(w, found.items[i]);
			list_free(&found);
		}
		if (ev->mask & (IN_MOVED_FROM | IN_MOVED_TO)) {
			/* the kernel's watches follow the moved directories, our wd -> path map does not (and a directory
			 * moved in may hold watched inodes): watch everything again, then compile everything */
			w->rewatch = true;
			w->pending_full = true;
		} else if (ev->mask & IN_DELETE) {
			w->pending_full = true;
		}
		goto out;
	}
	/* a file's IN_CREATE is followed by its IN_CLOSE_WRITE once written: waiting for that one spares a compile of
	 * a half-written file */
	if ((ev->mask & IN_CREATE) && !(ev->mask & IN_CLOSE_WRITE)) {
		struct stat lst;

		/* ... except a symbolic link, which is complete when created (and never written through here) */
		if (!(lstat(full.buf, &lst) == 0 && S_ISLNK(lst.st_mode)))
			goto out;
	}
	if (is_spec_name(ev->name)) {
		fc_debug("watch: %s changed (mask 0x%x)", rel, (unsigned)ev->mask);
		pending_add(w, rel);
	}
out:
	fc_buf_release(&full);
}

static bool batch_due(const struct adm_watch *w, int64_t now)
{
	if (!w->pending.nr && !w->pending_full)
		return false;
	if (w->retry_at_ns && now < w->retry_at_ns)
		return false;
	return now - w->last_event_ns >= (int64_t)w->debounce_ms * 1000000 ||
	       now - w->first_event_ns >= (int64_t)w->max_delay_ms * 1000000;
}

/* Read every event available now (waiting up to `wait_ms` for the first). */
static void read_events(struct adm_watch *w, int wait_ms)
{
	char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct pollfd pfd = {w->fd, POLLIN, 0};

	while (poll(&pfd, 1, wait_ms) > 0 && (pfd.revents & POLLIN)) {
		ssize_t n = read(w->fd, buf, sizeof(buf));
		ssize_t off = 0;

		if (n <= 0)
			return;
		while (off + (ssize_t)sizeof(struct inotify_event) <= n) {
			const struct inotify_event *ev = (const struct inotify_event *)(buf + off);

			handle_event(w, ev);
			off += (ssize_t)sizeof(struct inotify_event) + ev->len;
		}
		wait_ms = 0;
	}
}

int adm_watch_poll(struct adm_watch *w, unsigned timeout_ms, struct fc_err *err)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
	int rc;

	if (!w->started)
		return fc_err_set(err, FC_EINVAL, "watch: not started");
	for (;;) {
		int64_t now = mono_ns();
		int wait_ms;

		if (batch_due(w, now)) {
			rc = process_batch(w, err);
			if (rc)
				return rc;
			continue;
		}
		if (w->pending.nr || w->pending_full) {
			int64_t due = w->last_event_ns + (int64_t)w->debounce_ms * 1000000;
			int64_t latest = w->first_event_ns + (int64_t)w->max_delay_ms * 1000000;

			if (latest < due)
				due = latest;
			if (w->retry_at_ns > due)
				due = w->retry_at_ns;
			/* a batch waiting for a retry returns to the caller at its deadline (it may want to stop) */
			if (w->retry_at_ns && due > deadline) {
				if (now >= deadline)
					return 0;
				due = deadline;
			}
			wait_ms = (int)((due - now) / 1000000) + 1;
		} else if (now >= deadline) {
			return 0;
		} else {
			wait_ms = (int)((deadline - now) / 1000000) + 1;
		}
		read_events(w, wait_ms);
	}
}
