/*
 * test_conformance.c: flytec's compiler against Flyte's, on real flytekit output.
 *
 * ../shared/flyte-testdata/snacks-core holds what `pyflyte package` wrote for flytesnacks (TaskSpec _1.pb,
 * WorkflowSpec _2.pb, LaunchPlan _3.pb) and, in compiled/, what Flyte's Go compiler made of them. Every task and
 * workflow must compile, and each compiled workflow's `primary` must equal Flyte's: template nodes (start-node and
 * end-node included), bindings, and upstream/downstream connection sets.
 *
 * Deliberate differences, normalised before comparing (docs/interop.md explains them):
 *  - identifiers: flytec fills project, domain and version (registration placeholders and empty fields get the
 *    session's project/domain and a content-hash version); Flyte's test left them empty. Both sides drop them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_data.h"

#include "compiler/compiler.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/diag.h"
#include "core/err.h"
#include "core/pbjson.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNACKS SNACKS_DIR


static void print_diags(struct cmp_session *s)
{
	struct fc_buf out = FC_BUF_INIT;

	fc_diags_render(cmp_diags(s), FC_DIAG_TEXT, false, &out);
	fputs(out.buf, stderr);
	fc_buf_release(&out);
}

static struct cmp_session *compile_snacks(bool with_launch_plans)
{
	struct cmp_session *s = cmp_session_new(NULL);
	char **files;
	size_t n, i;

	n = data_list_files(SNACKS, ".pb", &files);
	assert_true(n > 100);
	for (i = 0; i < n; i++) {
		if (!with_launch_plans && data_has_suffix(files[i], "_3.pb"))
			continue;
		assert_int_equal(cmp_add_path(s, files[i]), FC_OK);
	}
	data_free_list(files, n);
	cmp_compile(s);
	return s;
}

static void test_every_task_and_workflow_compiles_run(void **state)
{
	struct cmp_session *s = compile_snacks(false);
	char **tasks, **wfs;
	size_t nt = data_list_files(SNACKS, "_1.pb", &tasks), nw = data_list_files(SNACKS, "_2.pb", &wfs);

	(void)state;
	if (cmp_diags(s)->nerrors)
		print_diags(s);
	assert_int_equal(cmp_diags(s)->nerrors, 0);
	assert_int_equal(cmp_task_count(s), nt);
	/* A WorkflowSpec may carry subworkflows too, so there are at least as many workflows as files. */
	assert_true(cmp_workflow_count(s) >= nw);
	fprintf(stderr, "conformance: %zu tasks and %zu workflows compiled from %zu + %zu files\n", cmp_task_count(s),
		cmp_workflow_count(s), nt, nw);
	data_free_list(tasks, nt);
	data_free_list(wfs, nw);
	cmp_session_free(s);
}

static void test_every_task_and_workflow_compiles(void **state)
{
	if (!have_shared_data(SNACKS))
		skip();
	test_every_task_and_workflow_compiles_run(state);
}

/* Launch plans compile when the workflow they launch is in the folder (some workflows were withheld). */
static void test_launch_plans_run(void **state)
{
	struct cmp_session *s = compile_snacks(true);
	const struct fc_diags *d = cmp_diags(s);
	size_t i, scheduled = 0, declared = 0;

	(void)state;
	for (i = 0; i < d->nr; i++) {
		if (d->items[i].sev != FC_SEV_ERROR)
			continue;
		if (strcmp(d->items[i].code, "WorkflowReferenceNotFound") || !data_has_suffix(d->items[i].loc.src->path, "_3.pb")) {
			print_diags(s);
			fail_msg("unexpected error: %s", d->items[i].msg);
		}
	}
	for (i = 0; i < cmp_launch_plan_count(s); i++) {
		const struct cmp_launch_plan_result *r = cmp_launch_plan_at(s, i);
		const Flyteidl__Admin__LaunchPlanSpec *spec = r->launch_plan->spec;

		if (!r->implicit)
			declared++;
		if (spec->entity_metadata && spec->entity_metadata->schedule) {
			scheduled++;
			assert_true(spec->entity_metadata->schedule->kickoff_time_input_arg != NULL);
		}
	}
	/* 153 is a cron schedule, 157 a fixed rate. */
	assert_int_equal(scheduled, 2);
	assert_true(declared > 30);
	{
		const struct cmp_launch_plan_result *cron = cmp_find_launch_plan(s, "my_cron_scheduled_lp");
		const struct cmp_launch_plan_result *rate = cmp_find_launch_plan(s, "my_fixed_rate_lp");

		assert_non_null(cron);
		assert_non_null(rate);
		assert_int_equal(cron->launch_plan->spec->entity_metadata->schedule->schedule_expression_case,
				 FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_CRON_SCHEDULE);
		assert_int_equal(rate->launch_plan->spec->entity_metadata->schedule->schedule_expression_case,
				 FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_RATE);
	}
	cmp_session_free(s);
}

static void test_launch_plans(void **state)
{
	if (!have_shared_data(SNACKS))
		skip();
	test_launch_plans_run(state);
}

/* Drop project/domain/version from every Identifier-shaped object (see the header comment). */
static void strip_ids(json_t *j)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_object(j)) {
		if (json_object_get(j, "resourceType") && json_object_get(j, "name")) {
			json_object_del(j, "project");
			json_object_del(j, "domain");
			json_object_del(j, "version");
		}
		json_object_foreach(j, key, v)
			strip_ids(v);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			strip_ids(v);
	}
}

static json_t *load_json_file(const char *path)
{
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);

	if (!j)
		fail_msg("%s: %s", path, e.text);
	return j;
}

static void report_mismatch(const char *what, json_t *ours, json_t *theirs)
{
	char *a = json_dumps(ours, JSON_INDENT(1) | JSON_SORT_KEYS);
	char *b = json_dumps(theirs, JSON_INDENT(1) | JSON_SORT_KEYS);
	const char *base = strrchr(what, '/') ? strrchr(what, '/') + 1 : what;
	char pa[512], pb[512];
	FILE *fa, *fb;

	snprintf(pa, sizeof(pa), "build/conformance.%s.ours", base);
	snprintf(pb, sizeof(pb), "build/conformance.%s.flyte", base);
	fa = fopen(pa, "w");
	fb = fopen(pb, "w");

	if (fa) {
		fputs(a, fa);
		fclose(fa);
	}
	if (fb) {
		fputs(b, fb);
		fclose(fb);
	}
	fprintf(stderr, "MISMATCH %s: diff %s %s\n", what, pa, pb);
	free(a);
	free(b);
}

static void test_compiled_workflows_equal_flyte_run(void **state)
{
	struct cmp_session *s = compile_snacks(false);
	char **goldens;
	size_t n = data_list_files(SNACKS "/compiled", "_wf.json", &goldens), i, matched = 0, mismatched = 0;

	(void)state;
	assert_true(n > 20);
	for (i = 0; i < n; i++) {
		json_t *theirs = load_json_file(goldens[i]);
		json_t *their_primary = json_object_get(theirs, "primary");
		const char *name = json_string_value(
			json_object_get(json_object_get(json_object_get(their_primary, "template"), "id"), "name"));
		const struct cmp_workflow_result *r = name ? cmp_find_workflow(s, name) : NULL;
		json_t *ours = NULL;
		struct fc_err err;

		assert_non_null(name);
		if (!r)
			fail_msg("%s: workflow %s did not compile", goldens[i], name);
		assert_int_equal(fc_pbjson_encode(&r->closure->primary->base, 0, &ours, &err), FC_OK);
		strip_ids(ours);
		strip_ids(their_primary);
		if (json_equal(ours, their_primary)) {
			matched++;
		} else {
			mismatched++;
			report_mismatch(goldens[i], ours, their_primary);
		}
		json_decref(ours);
		json_decref(theirs);
	}
	fprintf(stderr, "conformance: %zu of %zu compiled workflows equal Flyte's\n", matched, n);
	data_free_list(goldens, n);
	cmp_session_free(s);
	assert_int_equal(mismatched, 0);
}

static void test_compiled_workflows_equal_flyte(void **state)
{
	if (!have_shared_data(SNACKS))
		skip();
	test_compiled_workflows_equal_flyte_run(state);
}

/* Tasks compile to Flyte's CompiledTask (Flyte's harness added a test config map, which we drop). */
static void test_compiled_tasks_equal_flyte_run(void **state)
{
	struct cmp_session *s = compile_snacks(false);
	char **goldens;
	size_t n = data_list_files(SNACKS "/compiled", "_task.json", &goldens), i, matched = 0;

	(void)state;
	assert_true(n > 50);
	for (i = 0; i < n; i++) {
		json_t *theirs = load_json_file(goldens[i]);
		json_t *tpl = json_object_get(theirs, "template");
		const char *name = json_string_value(json_object_get(json_object_get(tpl, "id"), "name"));
		const struct cmp_task_result *r = NULL;
		json_t *ours = NULL;
		struct fc_err err;
		size_t k;

		for (k = 0; name && k < cmp_task_count(s); k++)
			if (!strcmp(cmp_task_at(s, k)->name, name))
				r = cmp_task_at(s, k);
		if (!r)
			fail_msg("%s: task %s did not compile", goldens[i], name ? name : "?");
		json_object_del(tpl, "config");
		json_object_del(json_object_get(tpl, "container"), "config");
		assert_int_equal(fc_pbjson_encode(&r->compiled->base, 0, &ours, &err), FC_OK);
		json_object_del(json_object_get(ours, "template"), "config");
		strip_ids(ours);
		strip_ids(theirs);
		if (!json_equal(ours, theirs)) {
			report_mismatch(goldens[i], ours, theirs);
			fail_msg("task %s differs from Flyte's", name);
		}
		matched++;
		json_decref(ours);
		json_decref(theirs);
	}
	fprintf(stderr, "conformance: %zu of %zu compiled tasks equal Flyte's\n", matched, n);
	data_free_list(goldens, n);
	cmp_session_free(s);
}

static void test_compiled_tasks_equal_flyte(void **state)
{
	if (!have_shared_data(SNACKS))
		skip();
	test_compiled_tasks_equal_flyte_run(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_task_and_workflow_compiles),
		cmocka_unit_test(test_launch_plans),
		cmocka_unit_test(test_compiled_workflows_equal_flyte),
		cmocka_unit_test(test_compiled_tasks_equal_flyte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
