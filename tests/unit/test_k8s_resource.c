/*
 * test_k8s_resource.c: the FlyteWorkflow custom resource (compiler/flyteworkflow.c).
 *
 * Conformance: ../shared/flyte-testdata/snacks-core/k8s/NNN_<name>_2_wf_crd.json are the resources Flyte's BuildFlyteWorkflow
 * made for the snacks-core workflows (execution hello:domain:name, namespace "namespace", Flyte's test harness's
 * default inputs, three test config pairs added to every container). The same inputs are given here and every
 * resource must be JSON-equal to Flyte's, after two normalisations only: `kind` is dropped (Flyte's Go constant is
 * "flyteworkflow", which the API server refuses), and runs of white space inside identifier texts (Go randomises
 * them) are collapsed. Skipped with a message when ../shared is absent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_data.h"

#include "compiler/compiler.h"
#include "compiler/lit.h"
#include "compiler/flyteworkflow.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/diag.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/pbjson.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SNACKS "../shared/flyte-testdata/snacks-core"

/* --- Flyte's test harness, redone: container config pairs and default inputs ------------------------------- */

/* Container.config is deprecated in flyteidl; Flyte's harness still fills it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static void add_test_config(struct fc_arena *a, Flyteidl__Core__TaskTemplate *t)
{
	Flyteidl__Core__Container *ct;
	Flyteidl__Core__KeyValuePair **cfg;
	size_t i;

	if (t->target_case != FLYTEIDL__CORE__TASK_TEMPLATE__TARGET_CONTAINER || !t->container)
		return;
	ct = t->container;
	if (ct->n_config >= 3 && !strcmp(ct->config[ct->n_config - 1]->key, "testKey3"))
		return; /* shared by several closures: once is enough */
	cfg = fc_arena_array(a, ct->n_config + 3, sizeof(*cfg));
	for (i = 0; i < ct->n_config; i++)
		cfg[i] = ct->config[i];
	for (i = 0; i < 3; i++) {
		Flyteidl__Core__KeyValuePair *kv = fc_arena_alloc(a, sizeof(*kv));

		flyteidl__core__key_value_pair__init(kv);
		kv->key = fc_arena_printf(a, "testKey%zu", i + 1);
		kv->value = fc_arena_printf(a, "testValue%zu", i + 1);
		cfg[ct->n_config + i] = kv;
	}
	ct->config = cfg;
	ct->n_config += 3;
}
#pragma GCC diagnostic pop

#include "tests/unit/test_flyteworkflow.h"

static void report_mismatch(const char *path, json_t *ours, json_t *theirs)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char pa[512], pb[512];
	FILE *f;

	mkdir("build", 0755);
	snprintf(pa, sizeof(pa), "build/k8s-conformance.%s.ours", base);
	snprintf(pb, sizeof(pb), "build/k8s-conformance.%s.flyte", base);
	if ((f = fopen(pa, "w"))) {
		json_dumpf(ours, f, JSON_INDENT(1) | JSON_SORT_KEYS);
		fclose(f);
	}
	if ((f = fopen(pb, "w"))) {
		json_dumpf(theirs, f, JSON_INDENT(1) | JSON_SORT_KEYS);
		fclose(f);
	}
	fprintf(stderr, "MISMATCH %s: diff %s %s\n", base, pa, pb);
}

static json_t *load_json_file(const char *path)
{
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);

	if (!j)
		fail_msg("%s: %s", path, e.text);
	return j;
}

static struct cmp_session *compile_snacks(void)
{
	/* Empty project, domain and version, as `pyflyte package` leaves them and Flyte's test compiled them. */
	struct cmp_options opts = {.project = "", .domain = "", .version = ""};
	struct cmp_session *s = cmp_session_new(&opts);
	char **files;
	size_t n, i;

	n = data_list_files(SNACKS, ".pb", &files);
	for (i = 0; i < n; i++)
		if (!data_has_suffix(files[i], "_3.pb"))
			assert_int_equal(cmp_add_path(s, files[i]), FC_OK);
	data_free_list(files, n);
	cmp_compile(s);
	if (cmp_diags(s)->nerrors) {
		struct fc_buf out = FC_BUF_INIT;

		fc_diags_render(cmp_diags(s), FC_DIAG_TEXT, false, &out);
		fputs(out.buf, stderr);
		fc_buf_release(&out);
	}
	assert_int_equal(cmp_diags(s)->nerrors, 0);
	return s;
}

static void test_conformance_with_flyte(void **state)
{
	struct cmp_session *s;
	struct fc_arena arena;
	char **goldens;
	size_t n, i, k, matched = 0;

	(void)state;
	if (access(SNACKS "/k8s", R_OK) != 0) {
		fprintf(stderr, "k8s conformance: skipped (%s absent)\n", SNACKS "/k8s");
		skip();
	}
	s = compile_snacks();
	fc_arena_init(&arena, 0);
	for (i = 0; i < cmp_workflow_count(s); i++) {
		const Flyteidl__Core__CompiledWorkflowClosure *cl = cmp_workflow_at(s, i)->closure;

		for (k = 0; cl && k < cl->n_tasks; k++)
			add_test_config(&arena, cl->tasks[k]->template_);
	}
	n = data_list_files(SNACKS "/k8s", "_wf_crd.json", &goldens);
	assert_int_equal(n, 31);
	for (i = 0; i < n; i++) {
		json_t *theirs = load_json_file(goldens[i]), *ours = NULL, *a, *b;
		const char *id = json_string_value(json_object_get(json_object_get(theirs, "spec"), "id"));
		const char *name = id ? strrchr(id, ':') + 1 : NULL;
		const struct cmp_workflow_result *r = name ? cmp_find_workflow(s, name) : NULL;
		struct cmp_fw_options o = {.exec_project = "hello", .exec_domain = "domain", .exec_name = "name",
					   .k8s_namespace = "namespace"};
		struct fc_err err;

		if (!r)
			fail_msg("%s: workflow %s did not compile", goldens[i], name ? name : "?");
		if (cmp_flyteworkflow_build(r->closure, default_inputs(&arena, r->closure->primary->template_), &o,
					    &ours, NULL, &err))
			fail_msg("%s: %s", goldens[i], err.msg);
		assert_string_equal(json_string_value(json_object_get(ours, "kind")), "FlyteWorkflow");
		json_object_del(ours, "kind");
		json_object_del(theirs, "kind");
		a = normalise(ours);
		b = normalise(theirs);
		if (json_equal(a, b))
			matched++;
		else
			report_mismatch(goldens[i], a, b);
		json_decref(a);
		json_decref(b);
		json_decref(ours);
		json_decref(theirs);
	}
	fprintf(stderr, "k8s conformance: %zu of %zu FlyteWorkflow resources equal Flyte's\n", matched, n);
	data_free_list(goldens, n);
	fc_arena_release(&arena);
	cmp_session_free(s);
	assert_int_equal(matched, n);
}

/* The harness's default inputs cover every kind of type (checked on the golden type cases), so workflows beyond
 * the 31 can be compared the same way. */
static void test_default_inputs_every_type(void **state)
{
	static const char *const files[] = {
		"tests/golden/cases/type_simple/input.yaml",         "tests/golden/cases/type_enum/input.yaml",
		"tests/golden/cases/type_union_optional/input.yaml", "tests/golden/cases/type_dataset_schema/input.yaml",
		"tests/golden/cases/type_list_map_nested/input.yaml", "tests/golden/cases/type_file_directory/input.yaml",
	};
	struct fc_arena arena;
	size_t f, i, built = 0;

	(void)state;
	fc_arena_init(&arena, 0);
	for (f = 0; f < FC_ARRAY_LEN(files); f++) {
		/* one session per file: the cases reuse names */
		struct cmp_session *s = cmp_session_new(NULL);

		assert_int_equal(cmp_add_path(s, files[f]), FC_OK);
		if (cmp_compile(s)) {
			cmp_session_free(s);
			fc_arena_release(&arena);
			fail_msg("%s does not compile", files[f]);
		}
		for (i = 0; i < cmp_workflow_count(s); i++) {
			const Flyteidl__Core__CompiledWorkflowClosure *cl = cmp_workflow_at(s, i)->closure;
			const Flyteidl__Core__WorkflowTemplate *t = cl->primary->template_;
			struct cmp_fw_options o = {.exec_project = "p", .exec_domain = "d", .exec_name = "n"};
			Flyteidl__Core__LiteralMap *in = default_inputs(&arena, t);
			struct fc_err err;
			json_t *res = NULL;

			if (cmp_flyteworkflow_build(cl, in, &o, &res, NULL, &err))
				fail_msg("%s: %s", cmp_workflow_at(s, i)->name, err.msg);
			assert_int_equal(json_object_size(json_object_get(json_object_get(res, "inputs"), "literals")),
					 t->interface && t->interface->inputs ? t->interface->inputs->n_variables : 0);
			json_decref(res);
			built++;
		}
		cmp_session_free(s);
	}
	assert_true(built >= 6);
	fc_arena_release(&arena);
}

/* --- the builder on specs written here -------------------------------------------------------------------- */

static const char spec_text[] =
	"project: demo\n"
	"tasks:\n"
	"  - name: step\n"
	"    type: echo\n"
	"    inputs: {x: integer}\n"
	"    outputs: {x: integer}\n"
	"    retries: 2\n"
	"workflows:\n"
	"  - name: Demo_Flow\n"
	"    inputs:\n"
	"      x: {type: integer, default: 1}\n"
	"      label: string\n"
	"    nodes:\n"
	"      - {id: a, task: step, inputs: {x: !ref inputs.x}, timeout: 45m}\n"
	"      - {id: b, task: step, inputs: {x: !ref a.x}, timeout: 1.5s, retries: 4}\n"
	"      - {id: c, task: step, inputs: {x: !ref b.x}, timeout: 250ms}\n"
	"      - {id: d, task: step, inputs: {x: !ref c.x}, timeout: 26h}\n"
	"    outputs:\n"
	"      x: !ref d.x\n";

struct built {
	struct cmp_session *s;
	struct fc_arena arena;
	const Flyteidl__Core__CompiledWorkflowClosure *closure;
	Flyteidl__Core__LiteralMap *inputs;
};

static void build_fixture(struct built *b, const char *text)
{
	struct fc_err err;
	const struct cmp_workflow_result *r;
	Flyteidl__Core__Literal *lit;
	Flyteidl__Core__LiteralMap *m;
	const char *names[2] = {"x", "label"};
	const char *values[2] = {"7", "hello"};
	size_t i;

	b->s = cmp_session_new(NULL);
	assert_int_equal(cmp_add_source_take(b->s, "demo.yaml", strdup(text), strlen(text)), FC_OK);
	if (cmp_compile(b->s)) {
		struct fc_buf out = FC_BUF_INIT;

		fc_diags_render(cmp_diags(b->s), FC_DIAG_TEXT, false, &out);
		fail_msg("%s", out.buf);
	}
	r = cmp_find_workflow(b->s, "Demo_Flow");
	assert_non_null(r);
	b->closure = r->closure;
	fc_arena_init(&b->arena, 0);
	m = fc_arena_alloc(&b->arena, sizeof(*m));
	flyteidl__core__literal_map__init(m);
	m->literals = fc_arena_array(&b->arena, 2, sizeof(*m->literals));
	for (i = 0; i < 2; i++) {
		const Flyteidl__Core__VariableMap *vm = r->closure->primary->template_->interface->inputs;
		const Flyteidl__Core__LiteralType *type = NULL;
		Flyteidl__Core__LiteralMap__LiteralsEntry *e = fc_arena_alloc(&b->arena, sizeof(*e));
		size_t k;

		for (k = 0; k < vm->n_variables; k++)
			if (!strcmp(vm->variables[k]->key, names[i]))
				type = vm->variables[k]->value->type;
		assert_non_null(type);
		assert_int_equal(cmp_lit_from_text(&b->arena, type, values[i], CMP_LIT_TEXT_VALUE, &lit, &err), FC_OK);
		flyteidl__core__literal_map__literals_entry__init(e);
		e->key = (char *)names[i];
		e->value = lit;
		m->literals[m->n_literals++] = e;
	}
	b->inputs = m;
}

static void built_release(struct built *b)
{
	fc_arena_release(&b->arena);
	cmp_session_free(b->s);
}

static const char *node_str(json_t *res, const char *node, const char *key)
{
	return json_string_value(json_object_get(
		json_object_get(json_object_get(json_object_get(res, "spec"), "nodes"), node), key));
}

static void test_node_fields(void **state)
{
	struct cmp_fw_options o = {.exec_project = "demo", .exec_domain = "development", .exec_name = "run-1",
				   .k8s_namespace = "demo-development"};
	struct built b;
	struct fc_err err;
	json_t *res = NULL, *labels, *nodes;

	(void)state;
	build_fixture(&b, spec_text);
	assert_int_equal(cmp_flyteworkflow_build(b.closure, b.inputs, &o, &res, NULL, &err), FC_OK);
	/* Go's time.Duration text, and twice the timeout as the active deadline. */
	assert_string_equal(node_str(res, "a", "executionDeadline"), "45m0s");
	assert_string_equal(node_str(res, "a", "activeDeadline"), "1h30m0s");
	assert_string_equal(node_str(res, "b", "executionDeadline"), "1.5s");
	assert_string_equal(node_str(res, "b", "activeDeadline"), "3s");
	assert_string_equal(node_str(res, "c", "executionDeadline"), "250ms");
	assert_string_equal(node_str(res, "c", "activeDeadline"), "500ms");
	assert_string_equal(node_str(res, "d", "executionDeadline"), "26h0m0s");
	nodes = json_object_get(json_object_get(res, "spec"), "nodes");
	/* Retries: the node's (4 -> 5 attempts), else the task's (2 -> 3). */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(nodes, "b"), "retry"),
							    "minAttempts")), 5);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(nodes, "a"), "retry"),
							    "minAttempts")), 3);
	assert_string_equal(json_string_value(json_object_get(json_object_get(nodes, "start-node"), "kind")), "start");
	assert_string_equal(json_string_value(json_object_get(json_object_get(res, "spec"), "id")),
			    "demo:development:Demo_Flow");
	labels = json_object_get(json_object_get(res, "metadata"), "labels");
	assert_string_equal(json_string_value(json_object_get(labels, "workflow-name")), "demo-flow");
	assert_string_equal(json_string_value(json_object_get(labels, "execution-id")), "run-1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(res, "metadata"), "name")), "run-1");
	assert_null(json_object_get(json_object_get(res, "metadata"), "finalizers"));
	assert_int_equal(json_object_size(json_object_get(res, "executionId")), 0);
	{
		json_t *x = json_object_get(json_object_get(json_object_get(res, "inputs"), "literals"), "x");

		x = json_object_get(json_object_get(json_object_get(x, "scalar"), "primitive"), "integer");
		assert_string_equal(json_string_value(x), "7");
	}
	/* Deterministic: the same build gives the same bytes. */
	{
		json_t *again = NULL;
		char *x, *y;

		assert_int_equal(cmp_flyteworkflow_build(b.closure, b.inputs, &o, &again, NULL, &err), FC_OK);
		x = json_dumps(res, JSON_COMPACT);
		y = json_dumps(again, JSON_COMPACT);
		assert_string_equal(x, y);
		free(x);
		free(y);
		json_decref(again);
	}
	json_decref(res);
	built_release(&b);
}

static void test_prepare_and_generate_name(void **state)
{
	const struct cmp_fw_pair labels[] = {{"team", "data"}, {"project", "override"}};
	const struct cmp_fw_pair ann[] = {{"note", "n"}};
	struct cmp_fw_options o = {.exec_project = "demo", .exec_domain = "development", .exec_name = "run-2",
				   .prepare = true, .labels = labels, .n_labels = 2, .annotations = ann,
				   .n_annotations = 1, .service_account = "runner", .raw_output_prefix = "/data/raw",
				   .admin_url = "http://127.0.0.1:8089", .max_parallelism = 3};
	struct cmp_fw_options g = {0};
	struct built b;
	struct fc_err err;
	json_t *res = NULL, *md;
	const char *gen;

	(void)state;
	build_fixture(&b, spec_text);
	assert_int_equal(cmp_flyteworkflow_build(b.closure, b.inputs, &o, &res, NULL, &err), FC_OK);
	md = json_object_get(res, "metadata");
	assert_string_equal(json_string_value(json_object_get(json_object_get(md, "labels"), "team")), "data");
	assert_string_equal(json_string_value(json_object_get(json_object_get(md, "labels"), "project")), "override");
	assert_string_equal(json_string_value(json_object_get(json_object_get(md, "annotations"), CMP_FW_ADMIN_URL_ANNOTATION)),
			    "http://127.0.0.1:8089");
	assert_string_equal(json_string_value(json_array_get(json_object_get(md, "finalizers"), 0)), CMP_FW_FINALIZER);
	assert_string_equal(json_string_value(json_object_get(json_object_get(res, "executionId"), "name")), "run-2");
	assert_string_equal(json_string_value(json_object_get(res, "serviceAccountName")), "runner");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(res, "securityContext"),
									      "run_as"), "k8s_service_account")), "runner");
	assert_string_equal(json_string_value(json_object_get(json_object_get(res, "rawOutputDataConfig"),
							      "output_location_prefix")), "/data/raw");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "executionConfig"), "MaxParallelism")), 3);
	json_decref(res);
	/* No execution: Flyte's generateName, "project-domain-name" cut to 32 characters plus "-". */
	assert_int_equal(cmp_flyteworkflow_build(b.closure, b.inputs, &g, &res, NULL, &err), FC_OK);
	md = json_object_get(res, "metadata");
	assert_null(json_object_get(md, "name"));
	gen = json_string_value(json_object_get(md, "generateName"));
	assert_string_equal(gen, "demo-development-Demo_Flow-");
	json_decref(res);
	built_release(&b);
}

static void test_bad_input_is_an_error(void **state)
{
	struct cmp_fw_options o = {.exec_project = "demo", .exec_domain = "development", .exec_name = "run-3"};
	struct built b;
	struct fc_err err;
	json_t *res = NULL;
	size_t n;

	(void)state;
	build_fixture(&b, spec_text);
	/* A missing input. */
	n = b.inputs->n_literals;
	b.inputs->n_literals = 1;
	assert_int_equal(cmp_flyteworkflow_build(b.closure, b.inputs, &o, &res, NULL, &err), FC_EINVAL);
	assert_non_null(strstr(err.msg, "'label'"));
	assert_int_equal(cmp_flyteworkflow_build(b.closure, NULL, &o, &res, NULL, &err), FC_EINVAL);
	/* An unknown input. */
	b.inputs->n_literals = n;
	b.inputs->literals[1]->key = (char *)"nope";
	assert_int_equal(cmp_flyteworkflow_build(b.closure, b.inputs, &o, &res, NULL, &err), FC_EINVAL);
	assert_non_null(strstr(err.msg, "'nope'"));
	b.inputs->literals[1]->key = (char *)"label";
	/* Names the API server would refuse. */
	o.exec_name = "Run_3";
	assert_int_equal(cmp_flyteworkflow_build(b.closure, b.inputs, &o, &res, NULL, &err), FC_EINVAL);
	assert_non_null(strstr(err.msg, "Run_3"));
	o.exec_name = "run-3";
	o.k8s_namespace = "bad.namespace";
	assert_int_equal(cmp_flyteworkflow_build(b.closure, b.inputs, &o, &res, NULL, &err), FC_EINVAL);
	o.k8s_namespace = NULL;
	/* A closure without a primary workflow. */
	{
		Flyteidl__Core__CompiledWorkflowClosure empty_closure = FLYTEIDL__CORE__COMPILED_WORKFLOW_CLOSURE__INIT;

		assert_int_equal(cmp_flyteworkflow_build(&empty_closure, NULL, &o, &res, NULL, &err), FC_EINVAL);
	}
	assert_int_equal(cmp_flyteworkflow_build(b.closure, b.inputs, &o, &res, NULL, &err), FC_OK);
	json_decref(res);
	built_release(&b);
}

/* A generated workflow of 4000 chained nodes is over the limit: its closure is offloaded. */
static void test_offload_large_workflow(void **state)
{
	struct fc_buf text = FC_BUF_INIT, path = FC_BUF_INIT, bytes = FC_BUF_INIT;
	char dir[] = "/tmp/test_k8s_resource.XXXXXX";
	struct cmp_fw_options o = {.exec_project = "demo", .exec_domain = "development", .exec_name = "big"};
	struct built b;
	struct fc_err err;
	json_t *res = NULL;
	bool offloaded = true;
	char *compact;
	size_t i;

	(void)state;
	fc_buf_adds(&text, "project: demo\ntasks:\n  - {name: step, type: echo, inputs: {x: integer}, outputs: {x: integer}}\n"
			   "workflows:\n  - name: Demo_Flow\n    inputs: {x: integer, label: string}\n    nodes:\n");
	for (i = 0; i < 4000; i++)
		fc_buf_addf(&text, "      - {id: node-%zu, task: step, inputs: {x: !ref %s%zu.x}}\n", i,
			    i ? "node-" : "inputs", i ? i - 1 : 0);
	/* the first node reads inputs.x: rewrite "inputs0.x" */
	{
		char *p = strstr(text.buf, "inputs0.x");

		assert_non_null(p);
		memmove(p + 6, p + 7, strlen(p + 7) + 1);
		text.len--;
	}
	fc_buf_adds(&text, "    outputs: {x: !ref node-3999.x}\n");
	build_fixture(&b, text.buf);
	assert_non_null(mkdtemp(dir));
	fc_buf_addf(&path, "%s/closure.pb", dir);

	/* Over the limit without a place for the closure: a clear error. */
	assert_int_equal(cmp_flyteworkflow_build(b.closure, b.inputs, &o, &res, &offloaded, &err), FC_ELIMIT);
	assert_non_null(strstr(err.msg, "over the"));
	assert_false(offloaded);

	o.closure_path = path.buf;
	assert_int_equal(cmp_flyteworkflow_build(b.closure, b.inputs, &o, &res, &offloaded, &err), FC_OK);
	assert_true(offloaded);
	assert_true(json_is_null(json_object_get(res, "spec")));
	assert_true(json_is_null(json_object_get(res, "tasks")));
	assert_null(json_object_get(res, "subWorkflows"));
	assert_string_equal(json_string_value(json_object_get(res, "workflowClosureReference")), path.buf);
	assert_non_null(json_object_get(json_object_get(json_object_get(res, "inputs"), "literals"), "x"));
	compact = json_dumps(res, JSON_COMPACT);
	assert_true(strlen(compact) < 4096);
	free(compact);
	json_decref(res);
	/* The file is the closure, byte for byte. */
	assert_int_equal(fc_buf_read_file(&bytes, path.buf, 64u << 20, &err), FC_OK);
	{
		size_t len = protobuf_c_message_get_packed_size(&b.closure->base);
		uint8_t *want = malloc(len);

		protobuf_c_message_pack(&b.closure->base, want);
		assert_int_equal(bytes.len, len);
		assert_memory_equal(bytes.buf, want, len);
		free(want);
	}
	/* The same workflow with a large enough limit stays inline, and is indeed over 1 MiB. */
	o.max_inline_bytes = 64u << 20;
	assert_int_equal(cmp_flyteworkflow_build(b.closure, b.inputs, &o, &res, &offloaded, &err), FC_OK);
	assert_false(offloaded);
	compact = json_dumps(res, JSON_COMPACT);
	assert_true(strlen(compact) > FC_K8S_RESOURCE_MAX_INLINE_BYTES);
	free(compact);
	json_decref(res);
	/* Inputs that are too large even when the closure is offloaded. */
	o.max_inline_bytes = 64;
	assert_int_equal(cmp_flyteworkflow_build(b.closure, b.inputs, &o, &res, &offloaded, &err), FC_ELIMIT);
	assert_non_null(strstr(err.msg, "inputs"));
	unlink(path.buf);
	rmdir(dir);
	fc_buf_release(&bytes);
	fc_buf_release(&path);
	fc_buf_release(&text);
	built_release(&b);
}

static void test_identifier_text_and_labels(void **state)
{
	Flyteidl__Core__Identifier id = FLYTEIDL__CORE__IDENTIFIER__INIT;
	struct fc_buf b = FC_BUF_INIT;

	(void)state;
	id.resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__TASK;
	id.name = (char *)"a\"b\\c\n";
	cmp_fw_identifier_text(&id, &b);
	assert_string_equal(b.buf, "resource_type:TASK name:\"a\\\"b\\\\c\\n\"");
	fc_buf_reset(&b);
	id.project = (char *)"p";
	id.version = (char *)"v1";
	id.name = (char *)"n";
	cmp_fw_identifier_text(&id, &b);
	assert_string_equal(b.buf, "resource_type:TASK project:\"p\" name:\"n\" version:\"v1\"");
	fc_buf_reset(&b);
	cmp_fw_sanitize_label("Core.Flyte_Basics..Hello", &b);
	assert_string_equal(b.buf, "core-flyte-basics-hello");
	fc_buf_reset(&b);
	cmp_fw_sanitize_label("__x__", &b);
	assert_string_equal(b.buf, "x");
	fc_buf_reset(&b);
	cmp_fw_sanitize_label("abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijab-cdef", &b);
	assert_int_equal(b.len, 62); /* cut to 63, then the trailing '-' trimmed */
	fc_buf_release(&b);
}

/* Resource overrides in Kubernetes' canonical quantity text, as Flyte's resource.Quantity writes them. */
static void test_resource_quantities(void **state)
{
	static const char text[] =
		"project: q\n"
		"tasks:\n"
		"  - {name: t, inputs: {n: integer}, outputs: {n: integer}, container: {image: \"x:1\", command: [x]}}\n"
		"workflows:\n"
		"  - name: w\n"
		"    nodes:\n"
		"      - id: a\n"
		"        task: t\n"
		"        inputs: {n: 1}\n"
		"        resources: {requests: {cpu: \"0.5\", memory: 1.5Gi}, limits: {cpu: 1000m, memory: 2048Mi, gpu: \"1e3\"}}\n"
		"      - id: b\n"
		"        task: t\n"
		"        inputs: {n: 1}\n"
		"        resources: {requests: {cpu: 1500m, memory: 0.5Ki}, limits: {cpu: \"2000\", memory: \"1e6\", gpu: \"0\"}}\n";
	static const struct {
		const char *node, *list, *name, *want;
	} cases[] = {
		{"a", "requests", "cpu", "500m"},    {"a", "requests", "memory", "1536Mi"},
		{"a", "limits", "cpu", "1"},         {"a", "limits", "memory", "2Gi"},
		{"a", "limits", "nvidia.com/gpu", "1e3"}, {"b", "requests", "cpu", "1500m"},
		{"b", "requests", "memory", "512"},  {"b", "limits", "cpu", "2k"},
		{"b", "limits", "memory", "1e6"},
	};
	struct cmp_fw_options o = {.exec_project = "q", .exec_domain = "d", .exec_name = "n"};
	struct cmp_session *s = cmp_session_new(NULL);
	struct fc_err err;
	json_t *res = NULL, *nodes;
	size_t i;

	(void)state;
	assert_int_equal(cmp_add_source_take(s, "q.yaml", strdup(text), strlen(text)), FC_OK);
	assert_int_equal(cmp_compile(s), FC_OK);
	assert_int_equal(cmp_flyteworkflow_build(cmp_find_workflow(s, "w")->closure, NULL, &o, &res, NULL, &err), FC_OK);
	nodes = json_object_get(json_object_get(res, "spec"), "nodes");
	for (i = 0; i < FC_ARRAY_LEN(cases); i++) {
		json_t *r = json_object_get(json_object_get(nodes, cases[i].node), "resources");
		const char *got = json_string_value(json_object_get(json_object_get(r, cases[i].list), cases[i].name));

		if (!got || strcmp(got, cases[i].want))
			fail_msg("%s %s %s: got %s, want %s", cases[i].node, cases[i].list, cases[i].name,
				 got ? got : "(none)", cases[i].want);
	}
	/* a zero quantity is left out, as Flyte does */
	assert_null(json_object_get(json_object_get(json_object_get(json_object_get(nodes, "b"), "resources"), "limits"),
				    "nvidia.com/gpu"));
	json_decref(res);
	cmp_session_free(s);
}

/* Hand-written or corrupt closures get an error naming the node, never a crash. */
static void test_corrupt_closures(void **state)
{
	static const struct {
		const char *json;
		const char *want;
	} cases[] = {
		{"{\"primary\": {\"template\": {\"id\": {\"name\": \"w\"}, \"nodes\": [{\"id\": \"start-node\"}, {\"id\": \"x\"}]}}}",
		 "node x: no target"},
		{"{\"primary\": {\"template\": {\"id\": {\"name\": \"w\"}, \"nodes\": [{\"id\": \"start-node\"}, {\"id\": \"t\", "
		 "\"taskNode\": {\"referenceId\": {\"resourceType\": \"TASK\", \"name\": \"missing\"}}}]}}}",
		 "node t: task resource_type:TASK name:\"missing\" is not in the closure"},
		{"{\"primary\": {\"template\": {\"id\": {\"name\": \"w\"}, \"nodes\": [{\"id\": \"b\", \"branchNode\": {}}]}}}",
		 "node b: branch without if_else"},
		{"{\"primary\": {\"template\": {\"id\": {\"name\": \"w\"}, \"nodes\": [{\"id\": \"b\", \"branchNode\": {\"ifElse\": "
		 "{\"case\": {\"thenNode\": {\"id\": \"x\", \"gateNode\": {}}}}}}]}}}",
		 "node b: a branch arm needs a condition and a then-node"},
		{"{\"primary\": {\"template\": {\"id\": {\"name\": \"w\"}, \"nodes\": [{\"id\": \"a\", \"arrayNode\": {}}]}}}",
		 "node a: array node without a sub-node"},
		{"{\"primary\": {\"template\": {\"id\": {\"name\": \"w\"}, \"nodes\": [{\"id\": \"a\", \"workflowNode\": {}}]}}}",
		 "node a: workflow node without a reference"},
		{"{\"primary\": {\"template\": {\"id\": {\"name\": \"w\"}, \"nodes\": [{\"id\": \"a\", \"gateNode\": {}}]}}}",
		 "has no start-node"},
		{"{\"primary\": {\"template\": {\"id\": {\"name\": \"w\"}, \"nodes\": [{\"id\": \"start-node\"}, {\"id\": \"a\", "
		 "\"gateNode\": {}, \"metadata\": {\"timeout\": \"315576000000s\"}}]}}}",
		 "node a: timeout out of range"},
		{"{\"primary\": {\"template\": {\"id\": {\"name\": \"w\"}, \"nodes\": [{\"id\": \"start-node\"}, {\"id\": \"a\", "
		 "\"gateNode\": {}}, {\"id\": \"a\", \"gateNode\": {\"sleep\": {\"duration\": \"1s\"}}}]}}}",
		 "node id 'a' is used twice"},
		{"{\"primary\": {\"template\": {\"id\": {\"name\": \"w\"}, \"nodes\": [{\"id\": \"start-node\"}, {\"id\": \"a\", "
		 "\"taskNode\": {\"referenceId\": {\"resourceType\": \"TASK\", \"name\": \"t\"}, \"overrides\": {\"resources\": "
		 "{\"limits\": [{\"name\": \"CPU\", \"value\": \"lots\"}]}}}}]}}, \"tasks\": [{\"template\": {\"id\": "
		 "{\"resourceType\": \"TASK\", \"name\": \"t\"}}}]}",
		 "node a: resource override 'lots'"},
		{"{\"primary\": {\"template\": {\"id\": {\"name\": \"w\"}, \"nodes\": [{\"id\": \"start-node\"}]}}, \"tasks\": "
		 "[{\"template\": {\"id\": {\"name\": \"t\"}}}, {\"template\": {\"id\": {\"name\": \"t\"}}}]}",
		 "is twice in the closure"},
		{"{}", "no primary workflow"},
	};
	struct cmp_fw_options o = {.exec_project = "p", .exec_domain = "d", .exec_name = "n"};
	size_t i;

	(void)state;
	for (i = 0; i < FC_ARRAY_LEN(cases); i++) {
		ProtobufCMessage *msg = NULL;
		json_t *res = NULL;
		struct fc_err err;

		if (fc_pbjson_decode_text(cases[i].json, strlen(cases[i].json),
					  &flyteidl__core__compiled_workflow_closure__descriptor, NULL, 0, &msg, &err))
			fail_msg("case %zu does not decode: %s", i, err.msg);
		err.msg[0] = '\0';
		if (cmp_flyteworkflow_build((Flyteidl__Core__CompiledWorkflowClosure *)msg, NULL, &o, &res, NULL, &err) ==
		    FC_OK)
			fail_msg("case %zu was accepted", i);
		if (!strstr(err.msg, cases[i].want))
			fail_msg("case %zu: got '%s', want '%s'", i, err.msg, cases[i].want);
		assert_null(res);
		protobuf_c_message_free_unpacked(msg, NULL);
	}
}

/* Text that is not UTF-8 (protobuf-c does not check it; argv may hold anything) is an error, not a lost field. */
static void test_invalid_utf8(void **state)
{
	static const char json_text[] =
		"{\"primary\": {\"template\": {\"id\": {\"name\": \"w\"}, \"nodes\": [{\"id\": \"start-node\"}, "
		"{\"id\": \"g\", \"gateNode\": {\"sleep\": {\"duration\": \"1s\"}}, \"metadata\": {\"name\": \"x\"}}]}}}";
	const struct cmp_fw_pair bad_label[] = {{"team", "\xff\xfe"}};
	struct cmp_fw_options o = {.exec_project = "p", .exec_domain = "d", .exec_name = "n"};
	Flyteidl__Core__CompiledWorkflowClosure *cl;
	ProtobufCMessage *msg = NULL;
	json_t *res = NULL;
	struct fc_err err;
	char *saved;

	(void)state;
	assert_int_equal(fc_pbjson_decode_text(json_text, strlen(json_text),
					       &flyteidl__core__compiled_workflow_closure__descriptor, NULL, 0, &msg, &err),
			 FC_OK);
	cl = (Flyteidl__Core__CompiledWorkflowClosure *)msg;
	assert_int_equal(cmp_flyteworkflow_build(cl, NULL, &o, &res, NULL, &err), FC_OK);
	json_decref(res);
	res = NULL;
	/* a display name */
	saved = cl->primary->template_->nodes[1]->metadata->name;
	cl->primary->template_->nodes[1]->metadata->name = (char *)"bad \xc3\x28 name";
	assert_int_equal(cmp_flyteworkflow_build(cl, NULL, &o, &res, NULL, &err), FC_EINVAL);
	assert_non_null(strstr(err.msg, "UTF-8"));
	assert_null(res);
	cl->primary->template_->nodes[1]->metadata->name = saved;
	/* a node id, which is also a key */
	saved = cl->primary->template_->nodes[1]->id;
	cl->primary->template_->nodes[1]->id = (char *)"g\xff";
	assert_int_equal(cmp_flyteworkflow_build(cl, NULL, &o, &res, NULL, &err), FC_EINVAL);
	assert_non_null(strstr(err.msg, "UTF-8"));
	cl->primary->template_->nodes[1]->id = saved;
	/* a label from the caller */
	o.prepare = true;
	o.labels = bad_label;
	o.n_labels = 1;
	assert_int_equal(cmp_flyteworkflow_build(cl, NULL, &o, &res, NULL, &err), FC_EINVAL);
	assert_non_null(strstr(err.msg, "UTF-8"));
	protobuf_c_message_free_unpacked(msg, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conformance_with_flyte),
		cmocka_unit_test(test_default_inputs_every_type),
		cmocka_unit_test(test_node_fields),
		cmocka_unit_test(test_prepare_and_generate_name),
		cmocka_unit_test(test_bad_input_is_an_error),
		cmocka_unit_test(test_offload_large_workflow),
		cmocka_unit_test(test_identifier_text_and_labels),
		cmocka_unit_test(test_resource_quantities),
		cmocka_unit_test(test_corrupt_closures),
		cmocka_unit_test(test_invalid_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
