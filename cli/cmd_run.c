/*
 * cmd_run.c: `flytec run FILE[:WORKFLOW] [--input k=v]...`: compile the file with the compiler, hand the workflow
 * to the propeller in this process, print progress and the outputs. Exit 0 when the execution succeeded, 1 when it
 * failed or the spec has errors, 2 for usage errors. SIGINT/SIGTERM abort the execution (tasks are stopped).
 * `--resume` continues the unfinished executions of the data directory instead (after a crash).
 */
#include "cli/cmd_run.h"

#include "cli/cli.h"
#include "compiler/compiler.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/diag.h"
#include "core/err.h"
#include "propeller/engine.h"
#include "propeller/events.h"
#include "compiler/lit.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: flytec run FILE[:WORKFLOW] [--input NAME=VALUE]... [options]\n"
		"       flytec run --resume [--data-dir DIR]\n\n"
		"  --input NAME=VALUE     a workflow input, converted by its declared type\n"
		"  --approve ID           approve the approve gate waiting on signal ID\n"
		"  --signal ID=VALUE      the value of signal ID for a signal gate, converted by its declared type\n"
		"  --data-dir DIR         state, blobs and logs (default: .flytec/data)\n"
		"  --name NAME            execution name (default: generated)\n"
		"  --project P --domain D execution id (defaults: the workflow's own)\n"
		"  --max-parallelism N    task attempts at once (default 25)\n"
		"  --plugin-dir DIR       load external task-type plugins (*.so) from DIR\n"
		"  --overwrite-cache      run cached tasks again\n"
		"  --resume               continue unfinished executions of the data directory\n"
		"  --stats                print the engine's counters at the end (tasks, events, commits, node memory)\n"
		"  -v, --verbose          print every event\n");
}

/* Signals given on the command line (--approve ID, --signal ID=VALUE), for approve and signal gates. */
struct cli_signals {
	const char **given; /* "ID=VALUE" */
	size_t n;
};

static int cli_signal_get(void *ctx, const char *project, const char *domain, const char *exec_name,
			  const char *signal_id, const Flyteidl__Core__LiteralType *type, struct fc_arena *arena,
			  Flyteidl__Core__Literal **value, struct fc_err *err)
{
	const struct cli_signals *sigs = ctx;
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
static int cli_launch_plan_get(void *ctx, const Flyteidl__Core__Identifier *lp_id, struct fc_arena *arena,
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

static const Flyteidl__Core__LiteralType *input_type(const Flyteidl__Core__WorkflowTemplate *wf, const char *name)
{
	const Flyteidl__Core__VariableMap *vm = wf->interface ? wf->interface->inputs : NULL;
	size_t i;

	for (i = 0; vm && i < vm->n_variables; i++)
		if (!strcmp(vm->variables[i]->key, name))
			return vm->variables[i]->value ? vm->variables[i]->value->type : NULL;
	return NULL;
}

static int run_loop(struct prop_engine *e, const char *project, const char *domain, const char *name)
{
	struct fc_err err;
	bool aborted = false;

	while (prop_engine_active(e)) {
		if (interrupted && !aborted && name) {
			fprintf(stderr, "flytec run: interrupted, aborting the execution\n");
			prop_engine_abort(e, project, domain, name, "interrupted", NULL);
			aborted = true;
		}
		if (prop_engine_step(e, 500, &err)) {
			fprintf(stderr, "flytec run: %s\n", err.msg);
			return 1;
		}
	}
	return prop_engine_run(e, &err) ? 1 : 0;
}

static int print_result(struct prop_engine *e, const char *project, const char *domain, const char *name)
{
	struct fc_arena arena;
	Flyteidl__Core__LiteralMap *outputs = NULL;
	struct fc_err err;
	char *error = NULL;
	int phase = 0, rc = 1;
	size_t i;

	fc_arena_init(&arena, 0);
	if (prop_engine_result(e, project, domain, name, &phase, &arena, &outputs, &error, &err)) {
		fprintf(stderr, "flytec run: %s\n", err.msg);
		goto out;
	}
	if (phase == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDED) {
		printf("execution %s-%s-%s succeeded\n", project, domain, name);
		if (outputs && outputs->n_literals)
			printf("outputs:\n");
		for (i = 0; outputs && i < outputs->n_literals; i++) {
			struct fc_buf text = FC_BUF_INIT;

			cmp_lit_render(outputs->literals[i]->value, CMP_LIT_SHOW_TYPED, &text);
			printf("  %s: %s\n", outputs->literals[i]->key, text.buf);
			fc_buf_release(&text);
		}
		rc = 0;
	} else {
		printf("execution %s-%s-%s %s%s%s\n", project, domain, name, prop_wf_phase_name(phase),
		       error ? ": " : "", error ? error : "");
	}
out:
	free(error);
	fc_arena_release(&arena);
	return rc;
}

static void print_stats(const struct prop_engine *e)
{
	struct prop_stats st;

	prop_engine_stats(e, &st);
	fprintf(stderr,
		"stats: nodes=%zu node_bytes=%zu tasks_started=%llu cache_hits=%llu cache_misses=%llu events=%llu "
		"commits=%llu\n",
		st.nodes, st.node_bytes, (unsigned long long)st.tasks_started, (unsigned long long)st.cache_hits,
		(unsigned long long)st.cache_misses, (unsigned long long)st.events, (unsigned long long)st.commits);
}

int cmd_run(int argc, char **argv)
{
	const char *data_dir = ".flytec/data", *name = NULL, *project = CMP_DEFAULT_PROJECT;
	const char *domain = CMP_DEFAULT_DOMAIN, *plugin_dir = NULL, *target = NULL;
	bool project_given = false, domain_given = false;
	const char **inputs = NULL;
	struct cli_signals signals = {NULL, 0};
	struct prop_signal_source signal_source;
	struct prop_launch_plan_source lp_source;
	size_t ninputs = 0, i;
	bool verbose = false, resume = false, overwrite_cache = false, stats = false;
	unsigned long parallelism = 0;
	struct cmp_session *s = NULL;
	struct prop_engine *e = NULL;
	struct prop_event_sink *sink = NULL;
	struct prop_config cfg;
	struct prop_workflow_resource res;
	struct fc_arena arena;
	struct fc_err err;
	char *file = NULL, *wf_name = NULL, gen_name[32];
	struct sigaction sa;
	int rc = CLI_EXIT_USAGE;

	fc_arena_init(&arena, 0);
	inputs = fc_xcalloc((size_t)argc + 1, sizeof(*inputs));
	signals.given = fc_xcalloc((size_t)argc + 1, sizeof(*signals.given));
	for (i = 1; i < (size_t)argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < (size_t)argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			rc = 0;
			goto out;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			verbose = true;
		} else if (!strcmp(a, "--resume")) {
			resume = true;
		} else if (!strcmp(a, "--stats")) {
			stats = true;
		} else if (!strcmp(a, "--overwrite-cache")) {
			overwrite_cache = true;
		} else if ((!strcmp(a, "--input") || !strcmp(a, "-i")) && val) {
			inputs[ninputs++] = val;
			i++;
		} else if (!strcmp(a, "--signal") && val) {
			if (!strchr(val, '=')) {
				fprintf(stderr, "flytec run: --signal takes ID=VALUE, not '%s'\n", val);
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			signals.given[signals.n++] = val;
			i++;
		} else if (!strcmp(a, "--approve") && val) {
			signals.given[signals.n++] = fc_arena_printf(&arena, "%s=true", val);
			i++;
		} else if (!strcmp(a, "--data-dir") && val) {
			data_dir = val;
			i++;
		} else if (!strcmp(a, "--name") && val) {
			name = val;
			i++;
		} else if (!strcmp(a, "--project") && val) {
			project = val;
			project_given = true;
			i++;
		} else if (!strcmp(a, "--domain") && val) {
			domain = val;
			domain_given = true;
			i++;
		} else if (!strcmp(a, "--plugin-dir") && val) {
			plugin_dir = val;
			i++;
		} else if (!strcmp(a, "--max-parallelism") && val) {
			parallelism = strtoul(val, NULL, 10);
			i++;
		} else if (a[0] != '-' && !target) {
			target = a;
		} else {
			fprintf(stderr, "flytec run: unexpected argument '%s'\n", a);
			usage(stderr);
			goto out;
		}
	}
	if (!target && !resume) {
		usage(stderr);
		goto out;
	}

	memset(&cfg, 0, sizeof(cfg));
	sink = prop_print_sink_new(stderr, verbose);
	cfg.data_dir = data_dir;
	cfg.plugin_dir = plugin_dir;
	cfg.sink = sink;
	signal_source.get = cli_signal_get;
	signal_source.ctx = &signals;
	cfg.signals = &signal_source;
	lp_source.get = cli_launch_plan_get;
	lp_source.ctx = &s; /* the session is made below, before anything runs */
	cfg.launch_plans = &lp_source;
	cfg.producer_id = "flytec-run";
	rc = 1;
	if (prop_engine_open(&cfg, &e, &err)) {
		fprintf(stderr, "flytec run: %s\n", err.msg);
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (resume) {
		size_t n = 0;

		if (prop_engine_resume_all(e, &n, &err)) {
			fprintf(stderr, "flytec run: %s\n", err.msg);
			goto out;
		}
		fprintf(stderr, "flytec run: resuming %zu execution(s)\n", n);
		rc = run_loop(e, NULL, NULL, NULL);
		goto out;
	}

	file = fc_xstrdup(target);
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

			fc_diags_render(cmp_diags(s), FC_DIAG_TEXT, isatty(2), &diags);
			fputs(diags.buf, stderr);
			fc_buf_release(&diags);
			goto out;
		}
		if (wf_name) {
			wr = cmp_find_workflow(s, wf_name);
		} else if (cmp_workflow_count(s) == 1) {
			wr = cmp_workflow_at(s, 0);
		} else {
			fprintf(stderr, "flytec run: %s has %zu workflows; name one as FILE:WORKFLOW\n", file,
				cmp_workflow_count(s));
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		if (!wr || !wr->closure) {
			fprintf(stderr, "flytec run: no workflow '%s' in %s\n", wf_name ? wf_name : "", file);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		tmpl = wr->closure->primary->template_;
		in = cmp_litmap_new(&arena);
		for (i = 0; i < ninputs; i++) {
			char *kv = fc_arena_strdup(&arena, inputs[i]);
			char *eq = strchr(kv, '=');
			const Flyteidl__Core__LiteralType *type;
			Flyteidl__Core__Literal *lit;

			if (!eq) {
				fprintf(stderr, "flytec run: --input takes NAME=VALUE, not '%s'\n", kv);
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			*eq = '\0';
			type = input_type(tmpl, kv);
			if (!type) {
				fprintf(stderr, "flytec run: the workflow has no input '%s'\n", kv);
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			if (cmp_lit_from_text(&arena, type, eq + 1, CMP_LIT_TEXT_VALUE, &lit, &err)) {
				fprintf(stderr, "flytec run: input '%s': %s\n", kv, err.msg);
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			cmp_litmap_put(&arena, in, kv, lit);
		}
		/* Inputs not given take the workflow's defaults (its default launch plan carries them). */
		{
			const struct cmp_launch_plan_result *lp = cmp_find_launch_plan(s, wr->name);

			cmp_litmap_put_defaults(&arena, in,
						 lp && lp->launch_plan->spec ? lp->launch_plan->spec->default_inputs : NULL,
						 true);
		}
		/* The execution lives in the workflow's project and domain unless told otherwise. */
		if (!project_given && tmpl->id && tmpl->id->project && *tmpl->id->project)
			project = tmpl->id->project;
		if (!domain_given && tmpl->id && tmpl->id->domain && *tmpl->id->domain)
			domain = tmpl->id->domain;
		if (tmpl->interface && tmpl->interface->inputs) {
			const Flyteidl__Core__VariableMap *vm = tmpl->interface->inputs;
			size_t missing = 0;

			/* Name every missing input at once, with its type. */
			for (i = 0; i < vm->n_variables; i++) {
				const Flyteidl__Core__Variable *v = vm->variables[i]->value;
				struct fc_buf type = FC_BUF_INIT;

				if (cmp_litmap_get(in, vm->variables[i]->key))
					continue;
				if (v && v->type)
					cmp_type_render(v->type, &type);
				fprintf(stderr, "flytec run: missing input '%s'%s%s (--input %s=VALUE)\n",
					vm->variables[i]->key, type.len ? " of type " : "", type.buf, vm->variables[i]->key);
				fc_buf_release(&type);
				missing++;
			}
			if (missing) {
				rc = CLI_EXIT_USAGE;
				goto out;
			}
		}
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
		res.config.max_parallelism = (uint32_t)parallelism;
		res.config.overwrite_cache = overwrite_cache;
		if (prop_engine_submit(e, &res, &err)) {
			fprintf(stderr, "flytec run: %s\n", err.msg);
			goto out;
		}
	}
	if (run_loop(e, project, domain, name))
		goto out;
	rc = print_result(e, project, domain, name);
out:
	if (stats && e)
		print_stats(e);
	prop_engine_free(e);
	prop_event_sink_free(sink);
	cmp_session_free(s);
	free(file);
	free(inputs);
	free(signals.given);
	fc_arena_release(&arena);
	return rc;
}
