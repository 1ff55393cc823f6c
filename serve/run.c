/*
 * run.c: `flytec run` put together (serve/run.h): the compiler session, the inputs from text, the engine with the
 * run's signal and launch-plan sources and a printing event sink, the loop until the execution ends, and the
 * result. Store failures are waited out with the engine's back-off instead of ending the run.
 */
#include "serve/run.h"

#include "admin-lite/store.h"
#include "compiler/compiler.h"
#include "compiler/lit.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/diag.h"
#include "core/err.h"
#include "propeller/engine.h"
#include "propeller/events.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Signals given with the run (--approve ID, --signal ID=VALUE), for approve and signal gates. */
struct run_signals {
	const char *const *given; /* "ID=VALUE" */
	size_t n;
};

static int run_signal_get(void *ctx, const char *project, const char *domain, const char *exec_name,
			  const char *signal_id, const Flyteidl__Core__LiteralType *type, struct fc_arena *arena,
			  Flyteidl__Core__Literal **value, struct fc_err *err)
{
	const struct run_signals *sigs = ctx;
	size_t i, idlen = strlen(signal_id);
	int rc;

	(void)project;
	(void)domain;
	(void)exec_name;
	for (i = 0; i < sigs->n; i++) {
		const char *g = sigs->given[i];

		if (strncmp(g, signal_id, idlen) || g[idlen] != '=')
			continue;
		rc = cmp_lit_from_text(arena, type, g + idlen + 1, CMP_LIT_TEXT_VALUE, value, err);
		if (rc)
			return fc_err_prefix(err, "--signal %s: ", signal_id);
		return FC_OK;
	}
	return fc_err_set(err, FC_EINVAL,
			  "the workflow waits for signal '%s': give it with --signal %s=VALUE (or --approve %s for an "
			  "approval)",
			  signal_id, signal_id, signal_id);
}

/* Launch-plan nodes run the plan's workflow from the same compile session. */
static int run_launch_plan_get(void *ctx, const Flyteidl__Core__Identifier *lp_id, struct fc_arena *arena,
			       const Flyteidl__Core__CompiledWorkflowClosure **closure, Flyteidl__Core__LiteralMap **defaults,
			       Flyteidl__Core__LiteralMap **fixed, struct fc_err *err)
{
	struct cmp_session *s = *(struct cmp_session **)ctx;
	const struct cmp_launch_plan_result *lp = s && lp_id ? cmp_find_launch_plan(s, lp_id->name) : NULL;
	const struct cmp_workflow_result *wf;

	if (!lp)
		return fc_err_set(err, FC_ENOENT, "launch plan '%s' is not among the compiled specs",
				  lp_id ? lp_id->name : "?");
	wf = cmp_find_workflow(s, lp->launch_plan->spec->workflow_id->name);
	if (!wf)
		return fc_err_set(err, FC_ENOENT, "the workflow of launch plan '%s' did not compile", lp_id->name);
	*closure = wf->closure;
	*fixed = lp->launch_plan->spec->fixed_inputs;
	*defaults = cmp_litmap_new(arena);
	cmp_litmap_put_defaults(arena, *defaults, lp->launch_plan->spec->default_inputs, false);
	return FC_OK;
}

/* Does a node (or one nested in it) run a launch plan? Those find the plan's workflow in the compile session. */
static bool node_uses_launch_plan(const Flyteidl__Core__Node *n)
{
	const Flyteidl__Core__IfElseBlock *ie;
	size_t i;

	if (!n)
		return false;
	switch (n->target_case) {
	case FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE:
		return n->workflow_node &&
		       n->workflow_node->reference_case == FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_LAUNCHPLAN_REF;
	case FLYTEIDL__CORE__NODE__TARGET_ARRAY_NODE:
		return n->array_node && node_uses_launch_plan(n->array_node->node);
	case FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE:
		ie = n->branch_node ? n->branch_node->if_else : NULL;
		if (!ie)
			return false;
		if (ie->case_ && node_uses_launch_plan(ie->case_->then_node))
			return true;
		for (i = 0; i < ie->n_other; i++)
			if (ie->other[i] && node_uses_launch_plan(ie->other[i]->then_node))
				return true;
		return ie->default_case == FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ELSE_NODE &&
		       node_uses_launch_plan(ie->else_node);
	default:
		return false;
	}
}

static bool template_uses_launch_plan(const Flyteidl__Core__WorkflowTemplate *t)
{
	size_t i;

	for (i = 0; t && i < t->n_nodes; i++)
		if (node_uses_launch_plan(t->nodes[i]))
			return true;
	return t && node_uses_launch_plan(t->failure_node);
}

static bool closure_uses_launch_plan(const Flyteidl__Core__CompiledWorkflowClosure *c)
{
	size_t i;

	if (c->primary && template_uses_launch_plan(c->primary->template_))
		return true;
	for (i = 0; i < c->n_sub_workflows; i++)
		if (c->sub_workflows[i] && template_uses_launch_plan(c->sub_workflows[i]->template_))
			return true;
	return false;
}

/* May waiting help? The propeller's state store reports sqlite's failures as FC_EIO; a busy or full store may
 * recover. Everything else is final. */
static bool retryable(int code)
{
	return adm_store_retryable(code) || code == FC_EIO;
}

/* Sleep `ns` in short naps, returning early when interrupted. */
static void nap(const struct srv_run_options *o, int64_t ns)
{
	while (ns > 0 && !(o->interrupted && *o->interrupted)) {
		int64_t step = ns < 50000000 ? ns : 50000000;
		struct timespec ts = {0, (long)step};

		nanosleep(&ts, NULL);
		ns -= step;
	}
}

/* After a failure `rc`: true when it is worth trying again (retryable, not interrupted), having said so once per
 * episode and waited out the engine's back-off. */
static bool again(const struct srv_run_options *o, int rc, unsigned *failures, const struct fc_err *err)
{
	if (!rc || !retryable(rc) || (o->interrupted && *o->interrupted))
		return false;
	if (!(*failures)++)
		fprintf(o->log, "flytec run: %s (retrying)\n", err->msg[0] ? err->msg : fc_strerror(rc));
	nap(o, prop_store_backoff_ns(*failures));
	return true;
}

static int open_engine(const struct srv_run_options *o, const struct prop_config *cfg, struct prop_engine **e)
{
	unsigned failures = 0;
	struct fc_err err;
	int rc;

	while (again(o, rc = prop_engine_open(cfg, e, &err), &failures, &err))
		;
	if (rc)
		fprintf(o->log, "flytec run: %s\n", err.msg);
	return rc;
}

static int resume_all(const struct srv_run_options *o, struct prop_engine *e, size_t *n)
{
	unsigned failures = 0;
	struct fc_err err;
	int rc;

	while (again(o, rc = prop_engine_resume_all(e, n, &err), &failures, &err))
		;
	if (rc)
		fprintf(o->log, "flytec run: %s\n", err.msg);
	return rc;
}

/* A submission the store refused was not kept (the insert's transaction is rolled back), so it can be repeated. */
static int submit(const struct srv_run_options *o, struct prop_engine *e, const struct prop_workflow_resource *res)
{
	unsigned failures = 0;
	struct fc_err err;
	int rc;

	while (again(o, rc = prop_engine_submit(e, res, &err), &failures, &err))
		;
	if (rc)
		fprintf(o->log, "flytec run: %s\n", err.msg);
	return rc;
}

/* Step until nothing runs. A store failure in a round is waited out: the engine keeps what it could not commit
 * and retries it after its back-off, so the run goes on (as `flytec serve`'s executor does). */
static int run_loop(const struct srv_run_options *o, struct prop_engine *e, const char *project, const char *domain,
		    const char *name)
{
	struct fc_err err;
	bool aborted = false;
	unsigned failures = 0;
	int rc;

	while (prop_engine_active(e)) {
		if (o->interrupted && *o->interrupted && !aborted && name) {
			fprintf(o->log, "flytec run: interrupted, aborting the execution\n");
			prop_engine_abort(e, project, domain, name, "interrupted", NULL);
			aborted = true;
		}
		fc_err_clear(&err);
		rc = prop_engine_step(e, 500, &err);
		if (!rc) {
			if (failures)
				fprintf(o->log, "flytec run: the store works again\n");
			failures = 0;
			continue;
		}
		if (!retryable(rc) || (failures && o->interrupted && *o->interrupted)) {
			fprintf(o->log, "flytec run: %s\n", err.msg);
			return 1;
		}
		if (!failures++)
			fprintf(o->log, "flytec run: %s (retrying)\n", err.msg[0] ? err.msg : fc_strerror(rc));
	}
	return prop_engine_run(e, &err) ? 1 : 0;
}

static int print_result(const struct srv_run_options *o, struct prop_engine *e, const char *project,
			const char *domain, const char *name)
{
	struct fc_arena arena;
	Flyteidl__Core__LiteralMap *outputs = NULL;
	struct fc_err err;
	char *error = NULL;
	int phase = 0, rc = 1;
	size_t i;

	fc_arena_init(&arena, 0);
	if (prop_engine_result(e, project, domain, name, &phase, &arena, &outputs, &error, &err)) {
		fprintf(o->log, "flytec run: %s\n", err.msg);
		goto out;
	}
	if (phase == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDED) {
		fprintf(o->out, "execution %s-%s-%s succeeded\n", project, domain, name);
		if (outputs && outputs->n_literals)
			fprintf(o->out, "outputs:\n");
		for (i = 0; outputs && i < outputs->n_literals; i++) {
			struct fc_buf text = FC_BUF_INIT;

			cmp_lit_render(outputs->literals[i]->value, CMP_LIT_SHOW_TYPED, &text);
			fprintf(o->out, "  %s: %s\n", outputs->literals[i]->key, text.buf);
			fc_buf_release(&text);
		}
		rc = 0;
	} else {
		fprintf(o->out, "execution %s-%s-%s %s%s%s\n", project, domain, name, prop_wf_phase_name(phase),
		       error ? ": " : "", error ? error : "");
	}
out:
	free(error);
	fc_arena_release(&arena);
	return rc;
}

static void print_stats(const struct srv_run_options *o, const struct prop_engine *e)
{
	struct prop_stats st;

	prop_engine_stats(e, &st);
	fprintf(o->log,
		"stats: nodes=%zu node_bytes=%zu tasks_started=%llu cache_hits=%llu cache_misses=%llu events=%llu "
		"commits=%llu\n",
		st.nodes, st.node_bytes, (unsigned long long)st.tasks_started, (unsigned long long)st.cache_hits,
		(unsigned long long)st.cache_misses, (unsigned long long)st.events, (unsigned long long)st.commits);
}

enum srv_run_status srv_run(const struct srv_run_options *o)
{
	const char *name = o->name, *project = o->project ? o->project : CMP_DEFAULT_PROJECT;
	const char *domain = o->domain ? o->domain : CMP_DEFAULT_DOMAIN;
	bool project_given = o->project != NULL, domain_given = o->domain != NULL;
	struct run_signals signals = {o->signals, o->n_signals};
	struct prop_signal_source signal_source;
	struct prop_launch_plan_source lp_source;
	struct cmp_session *s = NULL;
	struct prop_engine *e = NULL;
	struct prop_event_sink *sink = NULL;
	struct prop_config cfg;
	struct prop_workflow_resource res;
	struct fc_arena arena;
	struct fc_err err;
	struct fc_buf packed = FC_BUF_INIT;
	char *file = NULL, *wf_name = NULL, gen_name[32];
	enum srv_run_status rc;

	fc_arena_init(&arena, 0);
	adm_store_fault_everywhere();
	rc = SRV_RUN_BAD_REQUEST;
	if (!o->target && !o->resume)
		goto out;
	memset(&cfg, 0, sizeof(cfg));
	sink = prop_print_sink_new(o->log, o->verbose);
	cfg.data_dir = o->data_dir;
	cfg.plugin_dir = o->plugin_dir;
	cfg.sink = sink;
	signal_source.get = run_signal_get;
	signal_source.ctx = &signals;
	cfg.signals = &signal_source;
	lp_source.get = run_launch_plan_get;
	lp_source.ctx = &s; /* the session is made below, before anything runs */
	cfg.launch_plans = &lp_source;
	cfg.producer_id = "flytec-run";
	rc = SRV_RUN_FAILED;
	if (open_engine(o, &cfg, &e))
		goto out;
	if (o->resume) {
		size_t n = 0;

		if (resume_all(o, e, &n))
			goto out;
		fprintf(o->log, "flytec run: resuming %zu execution(s)\n", n);
		rc = run_loop(o, e, NULL, NULL, NULL) ? SRV_RUN_FAILED : SRV_RUN_OK;
		goto out;
	}

	file = fc_xstrdup(o->target);
	{
		char *colon = strrchr(file, ':');

		if (colon && colon != file) {
			*colon = '\0';
			wf_name = colon + 1;
		}
	}
	{
		struct cmp_options opts;
		const struct cmp_workflow_result *wr = NULL;
		const Flyteidl__Core__WorkflowTemplate *tmpl;
		Flyteidl__Core__LiteralMap *in;

		memset(&opts, 0, sizeof(opts));
		s = cmp_session_new(&opts);
		if (cmp_add_path(s, file) || cmp_compile(s)) {
			struct fc_buf diags = FC_BUF_INIT;

			fc_diags_render(cmp_diags(s), FC_DIAG_TEXT, isatty(fileno(o->log)), &diags);
			fputs(diags.buf, o->log);
			fc_buf_release(&diags);
			goto out;
		}
		if (wf_name) {
			wr = cmp_find_workflow(s, wf_name);
		} else if (cmp_workflow_count(s) == 1) {
			wr = cmp_workflow_at(s, 0);
		} else {
			fprintf(o->log, "flytec run: %s has %zu workflows; name one as FILE:WORKFLOW\n", file,
				cmp_workflow_count(s));
			rc = SRV_RUN_BAD_REQUEST;
			goto out;
		}
		if (!wr || !wr->closure) {
			fprintf(o->log, "flytec run: no workflow '%s' in %s\n", wf_name ? wf_name : "", file);
			rc = SRV_RUN_BAD_REQUEST;
			goto out;
		}
		tmpl = wr->closure->primary->template_;
		/* Inputs not given take the workflow's defaults (its default launch plan carries them). */
		{
			const struct cmp_launch_plan_result *lp = cmp_find_launch_plan(s, wr->name);
			struct fc_buf missing = FC_BUF_INIT;

			if (cmp_lit_inputs_from_text(&arena, tmpl->interface ? tmpl->interface->inputs : NULL,
						     lp && lp->launch_plan->spec ? lp->launch_plan->spec->default_inputs : NULL,
						     o->inputs, o->n_inputs, &in, &missing, &err)) {
				const char *line = missing.len ? missing.buf : NULL;

				/* every missing input on a line of its own; other problems as they are */
				while (line && *line) {
					const char *nl = strchr(line, '\n');

					fprintf(o->log, "flytec run: %.*s\n", (int)(nl - line), line);
					line = nl + 1;
				}
				if (!missing.len)
					fprintf(o->log, "flytec run: %s\n", err.msg);
				fc_buf_release(&missing);
				rc = SRV_RUN_BAD_REQUEST;
				goto out;
			}
		}
		/* The execution lives in the workflow's project and domain unless told otherwise. */
		if (!project_given && tmpl->id && tmpl->id->project && *tmpl->id->project)
			project = tmpl->id->project;
		if (!domain_given && tmpl->id && tmpl->id->domain && *tmpl->id->domain)
			domain = tmpl->id->domain;
		if (!name) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			snprintf(gen_name, sizeof(gen_name), "r%lx%04lx", (unsigned long)ts.tv_sec,
				 (unsigned long)(ts.tv_nsec / 1000) & 0xffff);
			name = gen_name;
		}
		memset(&res, 0, sizeof(res));
		res.project = project;
		res.domain = domain;
		res.name = name;
		res.closure = wr->closure;
		res.inputs = in;
		res.config.max_parallelism = o->max_parallelism;
		res.config.overwrite_cache = o->overwrite_cache;
		/* Without launch-plan nodes nothing needs the session once the closure is packed: free it before the
		 * engine builds the execution, so the compiler's memory and the engine's do not add up. */
		if (!closure_uses_launch_plan(wr->closure)) {
			cmp_pb_pack(&wr->closure->base, &packed);
			res.project = project = fc_arena_strdup(&arena, project);
			res.domain = domain = fc_arena_strdup(&arena, domain);
			res.closure = NULL;
			res.closure_pb = packed.buf;
			res.closure_pb_len = packed.len;
			res.inputs = in = in ? cmp_pb_copy(&arena, &in->base) : NULL; /* defaults point into the session */
			cmp_session_free(s);
			s = NULL;
		}
		if (submit(o, e, &res))
			goto out;
		fc_buf_release(&packed);
	}
	if (run_loop(o, e, project, domain, name))
		goto out;
	rc = print_result(o, e, project, domain, name) ? SRV_RUN_FAILED : SRV_RUN_OK;
out:
	if (o->stats && e)
		print_stats(o, e);
	prop_engine_free(e);
	prop_event_sink_free(sink);
	cmp_session_free(s);
	fc_buf_release(&packed);
	free(file);
	fc_arena_release(&arena);
	return rc;
}
