/*
 * test_operator_read.c: a FlyteWorkflow read back (compiler/flyteworkflow_read.c), the operator's input.
 *
 * Round trip: building the resource again from what was read gives the same resource, for every workflow in
 * examples/workflows (built by flytec, with and without what the admin adds, inline and offloaded) and for the 31
 * resources Flyte's own BuildFlyteWorkflow wrote for snacks-core (so a resource from Flyte's admin reads as it
 * should). Must-reject: hand-written or corrupt resources give an FC_EINVAL/FC_ELIMIT error naming the JSON path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "compiler/compiler.h"
#include "compiler/flyteworkflow.h"
#include "compiler/flyteworkflow_read.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/diag.h"
#include "core/err.h"
#include "core/pbjson.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SNACKS "../shared/flyte-testdata/snacks-core"

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

#include "tests/unit/test_flyteworkflow.h"

static json_t *without_kind(json_t *res)
{
	json_t *n = normalise(res);

	json_object_del(n, "kind");
	return n;
}

static void expect_same(const char *what, json_t *want, json_t *got)
{
	json_t *a = without_kind(want), *b = without_kind(got);

	if (!json_equal(a, b)) {
		char *ta = json_dumps(a, JSON_SORT_KEYS | JSON_INDENT(1)), *tb = json_dumps(b, JSON_SORT_KEYS | JSON_INDENT(1));
		FILE *f;

		if ((f = fopen("build/operator-read.want.json", "w"))) {
			fputs(ta, f);
			fclose(f);
		}
		if ((f = fopen("build/operator-read.got.json", "w"))) {
			fputs(tb, f);
			fclose(f);
		}
		free(ta);
		free(tb);
		fail_msg("%s: the resource read back builds differently (diff build/operator-read.want.json "
			 "build/operator-read.got.json)", what);
	}
	json_decref(a);
	json_decref(b);
}

/* --- Flyte's resources ------------------------------------------------------------------------------------- */

static void test_flyte_resources_read_back(void **state)
{
	struct dirent **entries;
	int n, i;
	size_t checked = 0;

	(void)state;
	if (access(SNACKS "/k8s", R_OK) != 0) {
		fprintf(stderr, "operator read: skipped (%s absent)\n", SNACKS "/k8s");
		skip();
	}
	n = scandir(SNACKS "/k8s", &entries, NULL, alphasort);
	for (i = 0; i < n; i++) {
		char path[1024];
		json_t *theirs, *ours = NULL;
		json_error_t je;
		struct cmp_fw_resource r;
		struct fc_err err;
		struct cmp_fw_options o = {.exec_project = "hello", .exec_domain = "domain", .exec_name = "name",
					   .k8s_namespace = "namespace"};

		if (!has_suffix(entries[i]->d_name, "_wf_crd.json")) {
			free(entries[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/k8s/%s", SNACKS, entries[i]->d_name);
		free(entries[i]);
		theirs = json_load_file(path, 0, &je);
		assert_non_null(theirs);
		cmp_fw_resource_init(&r);
		if (cmp_flyteworkflow_read(theirs, NULL, &r, &err))
			fail_msg("%s: %s", path, err.msg);
		assert_string_equal(r.k8s_namespace, "namespace");
		assert_string_equal(r.name, "name");
		assert_string_equal(r.exec_id->project, "hello");
		if (cmp_flyteworkflow_build(r.closure, r.inputs, &o, &ours, NULL, &err))
			fail_msg("%s: rebuilding: %s", path, err.msg);
		expect_same(path, theirs, ours);
		json_decref(ours);
		json_decref(theirs);
		cmp_fw_resource_release(&r);
		checked++;
	}
	free(entries);
	assert_int_equal(checked, 31);
}

/* --- flytec's own resources -------------------------------------------------------------------------------- */

static void round_trip_examples(bool prepare, bool offload)
{
	struct cmp_session *s = cmp_session_new(NULL);
	struct fc_arena arena;
	const struct cmp_fw_pair labels[] = {{"team", "data"}};
	char dir[] = "/tmp/fc-opread-XXXXXX";
	size_t i, done = 0;

	assert_non_null(mkdtemp(dir));
	fc_arena_init(&arena, 0);
	assert_int_equal(cmp_add_path(s, "examples/workflows"), FC_OK);
	assert_int_equal(cmp_compile(s), 0);
	for (i = 0; i < cmp_workflow_count(s); i++) {
		const struct cmp_workflow_result *w = cmp_workflow_at(s, i);
		char closure_path[256];
		struct cmp_fw_options o = {.exec_project = "flytesnacks", .exec_domain = "development",
					   .exec_name = "run-7", .k8s_namespace = "flytesnacks-development",
					   .prepare = prepare, .labels = labels, .n_labels = 1,
					   .admin_url = "http://127.0.0.1:8089", .service_account = "default",
					   .closure_path = closure_path, .force_offload = offload};
		Flyteidl__Core__LiteralMap *in = default_inputs(&arena, w->closure->primary->template_);
		json_t *res = NULL, *again = NULL;
		struct cmp_fw_resource r;
		struct fc_err err;
		bool off = false;

		snprintf(closure_path, sizeof(closure_path), "%s/closure-%zu.pb", dir, i);
		if (cmp_flyteworkflow_build(w->closure, in, &o, &res, &off, &err))
			fail_msg("%s: %s", w->name, err.msg);
		assert_true(off == offload);
		cmp_fw_resource_init(&r);
		if (cmp_flyteworkflow_read(res, dir, &r, &err))
			fail_msg("%s: read: %s", w->name, err.msg);
		assert_string_equal(r.name, "run-7");
		assert_string_equal(r.k8s_namespace, "flytesnacks-development");
		assert_string_equal(r.exec_id->domain, "development");
		assert_true(r.has_finalizer == prepare);
		assert_string_equal(r.admin_url, prepare ? "http://127.0.0.1:8089" : "");
		if (offload) {
			/* The closure is the compiled one, byte for byte. */
			size_t la = protobuf_c_message_get_packed_size(&w->closure->base);
			size_t lb = protobuf_c_message_get_packed_size(&r.closure->base);
			uint8_t *ba = malloc(la + 1), *bb = malloc(lb + 1);

			assert_int_equal(la, lb);
			protobuf_c_message_pack(&w->closure->base, ba);
			protobuf_c_message_pack(&r.closure->base, bb);
			assert_memory_equal(ba, bb, la);
			free(ba);
			free(bb);
			unlink(closure_path);
		} else {
			if (cmp_flyteworkflow_build(r.closure, r.inputs, &o, &again, NULL, &err))
				fail_msg("%s: rebuilding: %s", w->name, err.msg);
			expect_same(w->name, res, again);
		}
		json_decref(res);
		json_decref(again);
		cmp_fw_resource_release(&r);
		done++;
	}
	assert_true(done >= 3);
	rmdir(dir);
	fc_arena_release(&arena);
	cmp_session_free(s);
}

static void test_examples_round_trip(void **state)
{
	(void)state;
	round_trip_examples(false, false);
	round_trip_examples(true, false);
}

static void test_examples_offloaded(void **state)
{
	(void)state;
	round_trip_examples(true, true);
}

/* --- must-reject ------------------------------------------------------------------------------------------- */

static const char base_resource[] =
	"{\"kind\":\"FlyteWorkflow\",\"apiVersion\":\"flyte.lyft.com/v1alpha1\","
	"\"metadata\":{\"name\":\"bad\",\"namespace\":\"ns\"},"
	"\"spec\":{\"id\":\"p:d:wf\",\"nodes\":{"
	"\"start-node\":{\"id\":\"start-node\",\"kind\":\"start\",\"resources\":{}},"
	"\"end-node\":{\"id\":\"end-node\",\"kind\":\"end\",\"resources\":{}},"
	"\"n0\":{\"id\":\"n0\",\"kind\":\"task\",\"resources\":{},\"task\":\"resource_type:TASK name:\\\"t\\\"\"}},"
	"\"edges\":{\"downstream\":{\"start-node\":[\"n0\"],\"n0\":[\"end-node\"]},"
	"\"upstream\":{\"n0\":[\"start-node\"],\"end-node\":[\"n0\"]}},\"outputs\":{}},"
	"\"inputs\":{},\"executionId\":{},"
	"\"tasks\":{\"resource_type:TASK name:\\\"t\\\"\":{\"id\":{\"resourceType\":\"TASK\",\"name\":\"t\"},"
	"\"type\":\"python-task\"}},\"status\":{}}";

static json_t *base(void)
{
	json_error_t je;
	json_t *j = json_loads(base_resource, 0, &je);

	if (!j)
		fail_msg("fixture: %s at %d", je.text, je.column);
	return j;
}

static json_t *at(json_t *root, const char *path)
{
	char buf[256], *save = NULL, *part;

	snprintf(buf, sizeof(buf), "%s", path);
	for (part = strtok_r(buf, "/", &save); part && root; part = strtok_r(NULL, "/", &save))
		root = json_object_get(root, part);
	return root;
}

struct reject_case {
	const char *parent; /* object to change, '/'-separated */
	const char *key;
	const char *value_json; /* NULL: delete the key */
	const char *want;       /* substring of the message */
};

static void test_invalid_resources_rejected(void **state)
{
	static const struct reject_case cases[] = {
		{"", "spec", NULL, "spec: missing"},
		{"", "spec", "[]", "spec: missing"},
		{"", "apiVersion", "\"v1\"", "apiVersion"},
		{"spec", "nodes", "{}", "spec.nodes: a workflow needs a map of nodes with a start-node"},
		{"spec/nodes/n0", "kind", "\"teleport\"", "spec.nodes.n0.kind: unknown node kind 'teleport'"},
		{"spec/nodes/n0", "kind", NULL, "spec.nodes.n0.kind: a node needs a kind"},
		{"spec/nodes/n0", "task", "\"resource_type:TASK name:\\\"nope\\\"\"", "spec.nodes.n0.task: task"},
		{"spec/nodes/n0", "task", "\"name:unquoted\"", "spec.nodes.n0.task"},
		{"spec/nodes/n0", "id", "\"n9\"", "differs from its key"},
		{"spec/nodes/n0", "inputBindings", "[{\"var\":1}]", "spec.nodes.n0.inputBindings[0]"},
		{"spec/nodes/n0", "inputBindings", "{}", "spec.nodes.n0.inputBindings: expected a list"},
		{"spec/nodes/n0", "executionDeadline", "\"10 parsecs\"", "spec.nodes.n0.executionDeadline"},
		{"spec/nodes/n0", "retry", "{\"minAttempts\":0}", "spec.nodes.n0.retry.minAttempts"},
		{"spec/nodes/n0", "resources", "{\"limits\":{\"cpu\":\"lots\"}}", "spec.nodes.n0.resources.limits.cpu"},
		{"spec/edges/downstream", "ghost", "[\"n0\"]", "spec.edges.downstream: unknown node 'ghost'"},
		{"spec/edges/upstream", "n0", "[\"ghost\"]", "spec.edges.upstream.n0[0]"},
		{"spec", "onFailurePolicy", "\"SOMETIMES\"", "spec.onFailurePolicy"},
		{"", "tasks", "[]", "tasks: expected a map"},
		{"", "inputs", "{\"literals\":{\"x\":{\"scalar\":7}}}", "inputs"},
		{"", "executionId", "7", "executionId"},
		{"", "workflowClosureReference", "\"../../etc/passwd\"", NULL},
		{"spec/nodes", "b0",
		 "{\"id\":\"b0\",\"kind\":\"branch\",\"branch\":{\"if\":{\"condition\":{},\"then\":\"b0\"}}}",
		 "cycle of arms"},
		{"spec", "nodes",
		 "{\"start-node\":{\"id\":\"start-node\",\"kind\":\"start\"},"
		 "\"b2\":{\"id\":\"b2\",\"kind\":\"branch\",\"branch\":{\"if\":{\"condition\":{},\"then\":\"b3\"}}},"
		 "\"b3\":{\"id\":\"b3\",\"kind\":\"branch\",\"branch\":{\"if\":{\"condition\":{},\"then\":\"b3\"}}}}",
		 "reached twice"},
		{"spec/nodes", "b1", "{\"id\":\"b1\",\"kind\":\"branch\",\"branch\":{\"if\":{\"then\":\"n0\"}}}",
		 "needs a condition"},
		{"spec/nodes", "g0", "{\"id\":\"g0\",\"kind\":\"gate\",\"gate\":{\"kind\":\"wait\",\"wait\":{}}}",
		 "unknown gate kind"},
		{"spec/nodes", "a0", "{\"id\":\"a0\",\"kind\":\"array\",\"array\":{}}", "SubNodeSpec"},
		{"spec/nodes", "w0", "{\"id\":\"w0\",\"kind\":\"workflow\",\"workflow\":{\"subWorkflowRef\":\"x\"}}",
		 "is not in subWorkflows"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *res = base(), *parent = *cases[i].parent ? at(res, cases[i].parent) : res;
		struct cmp_fw_resource r;
		struct fc_err err = {0};
		int rc;

		assert_non_null(parent);
		if (!strcmp(cases[i].key, "workflowClosureReference"))
			json_object_set_new(res, "spec", json_null());
		if (cases[i].value_json) {
			json_error_t je;
			json_t *v = json_loads(cases[i].value_json, JSON_DECODE_ANY, &je);

			assert_non_null(v);
			json_object_set_new(parent, cases[i].key, v);
		} else {
			json_object_del(parent, cases[i].key);
		}
		cmp_fw_resource_init(&r);
		rc = cmp_flyteworkflow_read(res, "/tmp", &r, &err);
		if (rc == FC_OK)
			fail_msg("case %zu (%s.%s) was accepted", i, cases[i].parent, cases[i].key);
		if (cases[i].want && !strstr(err.msg, cases[i].want))
			fail_msg("case %zu: message '%s' lacks '%s'", i, err.msg, cases[i].want);
		cmp_fw_resource_release(&r);
		json_decref(res);
	}
	/* and the fixture itself is fine */
	{
		json_t *res = base();
		struct cmp_fw_resource r;
		struct fc_err err;

		cmp_fw_resource_init(&r);
		if (cmp_flyteworkflow_read(res, NULL, &r, &err))
			fail_msg("fixture: %s", err.msg);
		assert_int_equal(r.closure->primary->template_->n_nodes, 3);
		cmp_fw_resource_release(&r);
		json_decref(res);
	}
}

/*
 * The head alone: the same coordinates and execution id as a whole read, and it needs neither the spec nor the
 * offloaded closure (the operator decides from it whether a finished resource needs reading at all).
 */
static void test_head_without_spec(void **state)
{
	json_t *res = base();
	struct cmp_fw_resource whole, head;
	struct fc_err err;

	(void)state;
	json_object_set_new(res, "executionId", json_pack("{s:s, s:s, s:s}", "project", "p", "domain", "d", "name", "e1"));
	json_object_set_new(json_object_get(res, "metadata"), "uid", json_string("u-1"));
	cmp_fw_resource_init(&whole);
	cmp_fw_resource_init(&head);
	if (cmp_flyteworkflow_read(res, NULL, &whole, &err))
		fail_msg("fixture: %s", err.msg);
	if (cmp_flyteworkflow_read_head(res, &head, &err))
		fail_msg("head: %s", err.msg);
	assert_string_equal(head.exec_id->project, whole.exec_id->project);
	assert_string_equal(head.exec_id->domain, whole.exec_id->domain);
	assert_string_equal(head.exec_id->name, "e1");
	assert_string_equal(head.k8s_namespace, "ns");
	assert_string_equal(head.name, "bad");
	assert_string_equal(head.uid, "u-1");
	assert_null(head.closure);
	assert_null(head.inputs);

	/* offloaded to a file that is not there: the whole read fails, the head does not */
	json_object_set_new(res, "spec", json_null());
	json_object_set_new(res, "workflowClosureReference", json_string("gone/closure.pb"));
	assert_int_not_equal(cmp_flyteworkflow_read(res, "/tmp", &whole, &err), FC_OK);
	assert_int_equal(cmp_flyteworkflow_read_head(res, &head, &err), FC_OK);
	assert_string_equal(head.closure_reference, "gone/closure.pb");
	assert_string_equal(head.exec_id->name, "e1");

	/* and what identifies it is still checked */
	json_object_set_new(res, "executionId", json_integer(7));
	assert_int_equal(cmp_flyteworkflow_read_head(res, &head, &err), FC_EINVAL);
	assert_non_null(strstr(err.msg, "executionId"));
	cmp_fw_resource_release(&whole);
	cmp_fw_resource_release(&head);
	json_decref(res);
}

static void test_go_durations(void **state)
{
	static const struct {
		const char *text;
		int64_t ns;
	} ok[] = {
		{"0s", 0}, {"0", 0}, {"1h0m0s", 3600000000000LL}, {"1m30s", 90000000000LL}, {"1.5s", 1500000000LL},
		{"250ms", 250000000LL}, {"3\xc2\xb5s", 3000}, {"7ns", 7}, {"-2s", -2000000000LL}, {"2h45m", 9900000000000LL},
	};
	static const char *const bad[] = {"", "s", "1", "1x", "1.s5", "--1s", "99999999999999999999h"};
	size_t i;
	int64_t ns;
	struct fc_err err;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (cmp_fw_go_duration_parse(ok[i].text, &ns, &err))
			fail_msg("%s: %s", ok[i].text, err.msg);
		assert_int_equal(ns, ok[i].ns);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cmp_fw_go_duration_parse(bad[i], &ns, &err) == FC_OK)
			fail_msg("'%s' accepted", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_go_durations),
		cmocka_unit_test(test_head_without_spec),
		cmocka_unit_test(test_invalid_resources_rejected),
		cmocka_unit_test(test_examples_round_trip),
		cmocka_unit_test(test_examples_offloaded),
		cmocka_unit_test(test_flyte_resources_read_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
