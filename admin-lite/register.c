/* register.c: register a compiler session's results. */
#include "admin-lite/register.h"
#include "admin-lite/service.h"
#include "compiler/compiler.h"
#include "core/buf.h"
#include "core/err.h"

#include <string.h>

static void report(adm_reg_callback cb, void *ctx, struct adm_reg_result *r, int rc, const struct fc_err *err,
		   const struct fc_buf *diff)
{
	r->rc = rc;
	r->message = rc ? err->msg : NULL;
	r->diff = rc == FC_ECONFLICT && diff->len ? diff->buf : NULL;
	if (cb)
		cb(ctx, r);
}

int adm_register_session(struct adm_store *s, struct cmp_session *cs,
			 const char *(*source_of)(void *ctx, const char *file), adm_reg_callback cb, void *ctx,
			 struct fc_err *err)
{
	struct fc_buf diff = FC_BUF_INIT;
	size_t i;
	int rc;

	rc = adm_store_begin(s, err);
	if (rc)
		return rc;
	for (i = 0; i < cmp_task_count(cs); i++) {
		const struct cmp_task_result *t = cmp_task_at(cs, i);
		struct adm_reg_result r;
		struct fc_err rerr;
		int one;

		memset(&r, 0, sizeof(r));
		r.kind = ADM_TASK;
		r.name = t->name;
		r.file = t->file;
		r.id = t->compiled && t->compiled->template_ ? t->compiled->template_->id : NULL;
		fc_buf_reset(&diff);
		one = adm_register_task(s, r.id, t->compiled, source_of ? source_of(ctx, t->file) : NULL, &r.created,
					&diff, &rerr);
		report(cb, ctx, &r, one, &rerr, &diff);
	}
	for (i = 0; i < cmp_workflow_count(cs); i++) {
		const struct cmp_workflow_result *wf = cmp_workflow_at(cs, i);
		const Flyteidl__Core__CompiledWorkflowClosure *c = wf->closure;
		struct adm_reg_result r;
		struct fc_err rerr;
		int one;

		memset(&r, 0, sizeof(r));
		r.kind = ADM_WORKFLOW;
		r.name = wf->name;
		r.file = wf->file;
		r.closure = c;
		r.id = c && c->primary && c->primary->template_ ? c->primary->template_->id : NULL;
		fc_buf_reset(&diff);
		one = adm_register_workflow(s, r.id, c, source_of ? source_of(ctx, wf->file) : NULL, &r.created, &diff,
					    &rerr);
		report(cb, ctx, &r, one, &rerr, &diff);
	}
	for (i = 0; i < cmp_launch_plan_count(cs); i++) {
		const struct cmp_launch_plan_result *lp = cmp_launch_plan_at(cs, i);
		struct adm_schedule_policy policy;
		struct adm_reg_result r;
		struct fc_err rerr;
		int one;

		memset(&r, 0, sizeof(r));
		r.kind = ADM_LAUNCH_PLAN;
		r.name = lp->name;
		r.file = lp->file;
		r.launch_plan = lp->launch_plan;
		r.id = lp->launch_plan ? lp->launch_plan->id : NULL;
		policy.catchup = (int)lp->policy.catchup;
		policy.max_catchup = lp->policy.max_catchup;
		policy.catchup_window_seconds = lp->policy.catchup_window_seconds;
		policy.concurrency = (int)lp->policy.concurrency;
		fc_buf_reset(&diff);
		one = adm_register_launch_plan(s, lp->launch_plan, &policy, source_of ? source_of(ctx, lp->file) : NULL,
					       &r.created, &diff, &rerr);
		if (!one && lp->active && r.id) {
			struct adm_id id = {r.id->project, r.id->domain, r.id->name, r.id->version};

			one = adm_launch_plan_set_state(s, &id, 1, &rerr);
			r.activated = !one;
		}
		report(cb, ctx, &r, one, &rerr, &diff);
	}
	fc_buf_release(&diff);
	return adm_store_commit(s, err);
}
