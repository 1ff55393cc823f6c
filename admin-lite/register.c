/*
 * register.c: register a compiler session's results, a file at a time all or nothing.
 *
 * A file registers every entity it defines or none: a file with compile errors registers nothing, and when one of
 * a file's entities cannot be registered (a conflict, a launch plan whose workflow is missing), its other entities
 * are rolled back too. Registration runs in passes inside one savepoint: a pass that finds a newly failing file is
 * rolled back and run again without that file, until no new file fails (at most one pass per file). Results are
 * kept and handed to the callback once, for the pass that commits.
 */
#include "admin-lite/register.h"
#include "admin-lite/service.h"
#include "admin-lite/store_named.h"
#include "compiler/compiler.h"
#include "core/buf.h"
#include "core/diag.h"
#include "core/err.h"
#include "core/limits.h"

#include <stdlib.h>
#include <string.h>

struct file_set {
	const char **files;
	size_t nr, alloc;
};

static bool set_has(const struct file_set *fs, const char *file)
{
	size_t i;

	if (!file)
		return false;
	for (i = 0; i < fs->nr; i++)
		if (!strcmp(fs->files[i], file))
			return true;
	return false;
}

static void set_add(struct file_set *fs, const char *file)
{
	if (!file || set_has(fs, file))
		return;
	FC_ALLOC_GROW(fs->files, fs->nr + 1, fs->alloc);
	fs->files[fs->nr++] = file;
}

/* One pass's results (messages and diffs owned). */
struct results {
	struct adm_reg_result *items;
	size_t nr, alloc;
};

static void results_clear(struct results *rs)
{
	size_t i;

	for (i = 0; i < rs->nr; i++) {
		free((char *)rs->items[i].message);
		free((char *)rs->items[i].diff);
	}
	rs->nr = 0;
}

static void keep(struct results *rs, struct adm_reg_result *r, int rc, const struct fc_err *err,
		 const struct fc_buf *diff)
{
	r->rc = rc;
	r->message = rc ? fc_xstrdup(err->msg) : NULL;
	r->diff = rc == FC_ECONFLICT && diff->len ? fc_xstrdup(diff->buf) : NULL;
	FC_ALLOC_GROW(rs->items, rs->nr + 1, rs->alloc);
	rs->items[rs->nr++] = *r;
}

/* An entity of an excluded file: not registered, reported as skipped. */
static void keep_skipped(struct results *rs, struct adm_reg_result *r)
{
	struct fc_err e;

	fc_err_set(&e, FC_ESPEC, "not registered: %s has errors, and a file registers all of its entities or none",
		   r->file ? r->file : "its file");
	r->skipped = true;
	keep(rs, r, FC_ESPEC, &e, &(struct fc_buf)FC_BUF_INIT);
}

/* Keep the description a task or workflow was registered with (at most ADM_NAMED_DESCRIPTION_MAX bytes, cut at a
 * character boundary). */
static int keep_description(struct adm_store *s, enum adm_kind kind, const Flyteidl__Core__Identifier *id,
			    const char *description, struct fc_err *err)
{
	char cut[ADM_NAMED_DESCRIPTION_MAX + 1];
	size_t n;

	if (!id || !description || !*description)
		return 0;
	n = strlen(description);
	if (n > ADM_NAMED_DESCRIPTION_MAX) {
		n = ADM_NAMED_DESCRIPTION_MAX;
		while (n && ((unsigned char)description[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(cut, description, n);
	cut[n] = '\0';
	return adm_description_put(s, kind, &(struct adm_id){id->project, id->domain, id->name, id->version}, cut,
				   err);
}

/*
 * One pass. Returns a store error that must stop registration (adm_store_retryable(), or a failing savepoint);
 * per-entity failures go to `rs` and their files to `failed`.
 */
static int register_pass(struct adm_store *s, struct cmp_session *cs,
			 const char *(*source_of)(void *ctx, const char *file), void *ctx, const struct file_set *skip,
			 struct results *rs, struct file_set *failed, struct fc_err *err)
{
	struct fc_buf diff = FC_BUF_INIT;
	struct fc_err rerr;
	size_t i;
	int one = 0;

	for (i = 0; i < cmp_task_count(cs) && !adm_store_retryable(one); i++) {
		const struct cmp_task_result *t = cmp_task_at(cs, i);
		struct adm_reg_result r;

		memset(&r, 0, sizeof(r));
		r.kind = ADM_TASK;
		r.name = t->name;
		r.file = t->file;
		r.id = t->compiled && t->compiled->template_ ? t->compiled->template_->id : NULL;
		if (set_has(skip, r.file)) {
			keep_skipped(rs, &r);
			continue;
		}
		fc_buf_reset(&diff);
		one = adm_register_task(s, r.id, t->compiled, source_of ? source_of(ctx, t->file) : NULL, &r.created,
					&diff, &rerr);
		if (!one)
			one = keep_description(s, ADM_TASK, r.id, t->description, &rerr);
		keep(rs, &r, one, &rerr, &diff);
	}
	for (i = 0; i < cmp_workflow_count(cs) && !adm_store_retryable(one); i++) {
		const struct cmp_workflow_result *wf = cmp_workflow_at(cs, i);
		const Flyteidl__Core__CompiledWorkflowClosure *c = wf->closure;
		struct adm_reg_result r;

		memset(&r, 0, sizeof(r));
		r.kind = ADM_WORKFLOW;
		r.name = wf->name;
		r.file = wf->file;
		r.closure = c;
		r.id = c && c->primary && c->primary->template_ ? c->primary->template_->id : NULL;
		if (set_has(skip, r.file)) {
			keep_skipped(rs, &r);
			continue;
		}
		fc_buf_reset(&diff);
		one = adm_register_workflow(s, r.id, c, source_of ? source_of(ctx, wf->file) : NULL, &r.created, &diff,
					    &rerr);
		if (!one)
			one = keep_description(s, ADM_WORKFLOW, r.id, wf->description, &rerr);
		keep(rs, &r, one, &rerr, &diff);
	}
	for (i = 0; i < cmp_launch_plan_count(cs) && !adm_store_retryable(one); i++) {
		const struct cmp_launch_plan_result *lp = cmp_launch_plan_at(cs, i);
		struct adm_reg_result r;

		memset(&r, 0, sizeof(r));
		r.kind = ADM_LAUNCH_PLAN;
		r.name = lp->name;
		r.file = lp->file;
		r.launch_plan = lp->launch_plan;
		r.id = lp->launch_plan ? lp->launch_plan->id : NULL;
		if (set_has(skip, r.file)) {
			keep_skipped(rs, &r);
			continue;
		}
		fc_buf_reset(&diff);
		one = adm_register_launch_plan(s, lp->launch_plan, &lp->policy, source_of ? source_of(ctx, lp->file) : NULL,
					       &r.created, &diff, &rerr);
		if (!one && lp->active && r.id) {
			struct adm_id id = {r.id->project, r.id->domain, r.id->name, r.id->version};

			one = adm_launch_plan_set_state(s, &id, 1, &rerr);
			r.activated = !one;
		}
		keep(rs, &r, one, &rerr, &diff);
	}
	fc_buf_release(&diff);
	if (adm_store_retryable(one)) {
		if (err)
			*err = rerr;
		return one;
	}
	for (i = 0; i < rs->nr; i++)
		if (rs->items[i].rc && !rs->items[i].skipped)
			set_add(failed, rs->items[i].file);
	return 0;
}

int adm_register_session(struct adm_store *s, struct cmp_session *cs,
			 const char *(*source_of)(void *ctx, const char *file), adm_reg_callback cb, void *ctx,
			 struct fc_err *err)
{
	struct file_set skip = {0}, failed = {0};
	struct results rs = {0};
	struct fc_diags *diags = cmp_diags(cs);
	size_t i;
	int rc;

	/* files with compile errors register nothing */
	for (i = 0; diags && i < diags->nr; i++)
		if (diags->items[i].sev == FC_SEV_ERROR && diags->items[i].loc.src)
			set_add(&skip, diags->items[i].loc.src->path);
	rc = adm_store_begin(s, err);
	if (rc)
		goto out;
	for (;;) {
		bool grew = false;

		rc = adm_store_begin(s, err); /* a savepoint: one pass */
		if (rc)
			break;
		results_clear(&rs);
		failed.nr = 0;
		rc = register_pass(s, cs, source_of, ctx, &skip, &rs, &failed, err);
		if (rc) {
			adm_store_rollback(s);
			break;
		}
		for (i = 0; i < failed.nr; i++) {
			if (!set_has(&skip, failed.files[i])) {
				set_add(&skip, failed.files[i]);
				grew = true;
			}
		}
		if (!grew) {
			rc = adm_store_commit(s, err);
			break;
		}
		adm_store_rollback(s); /* again, without the files that just failed */
	}
	if (rc) {
		adm_store_rollback(s);
		goto out;
	}
	rc = adm_store_commit(s, err);
	if (rc)
		goto out;
	/* only now, when it is stored, tell the caller what happened */
	for (i = 0; cb && i < rs.nr; i++)
		cb(ctx, &rs.items[i]);
out:
	results_clear(&rs);
	free(rs.items);
	free(skip.files);
	free(failed.files);
	return rc;
}
