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

#include "compiler/compiler.h"
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

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static size_t list_files(const char *dir, const char *suffix, char ***out)
{
	struct dirent **entries;
	int n = scandir(dir, &entries, NULL, alphasort), i;
	size_t count = 0;

	*out = calloc((size_t)(n > 0 ? n : 1), sizeof(char *));
	for (i = 0; i < n; i++) {
		if (has_suffix(entries[i]->d_name, suffix)) {
			char path[1024];

			snprintf(path, sizeof(path), "%s/%s", dir, entries[i]->d_name);
			(*out)[count++] = strdup(path);
		}
		free(entries[i]);
	}
	free(entries);
	return count;
}

static void free_list(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

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

/* Flyte's makeDefaultInputs / MakeDefaultLiteralForType, as proto3 JSON of a Literal for a LiteralType's JSON. */
static json_t *default_literal(const json_t *type)
{
	const char *simple = json_string_value(json_object_get(type, "simple"));
	json_t *j;

	if (json_object_get(type, "structuredDatasetType"))
		return json_pack("{s:{s:{s:{s:O}}}}", "scalar", "structuredDataset", "metadata", "structuredDatasetType",
				 json_object_get(type, "structuredDatasetType"));
	if (json_object_get(type, "blob"))
		return json_pack("{s:{s:{s:{s:O}, s:s}}}", "scalar", "blob", "metadata", "type",
				 json_object_get(type, "blob"), "uri", "/tmp/somepath");
	if (json_object_get(type, "collectionType")) {
		j = default_literal(json_object_get(type, "collectionType"));
		return j ? json_pack("{s:{s:[o]}}", "collection", "literals", j) : NULL;
	}
	if (json_object_get(type, "mapValueType")) {
		j = default_literal(json_object_get(type, "mapValueType"));
		return j ? json_pack("{s:{s:{s:o}}}", "map", "literals", "itemKey", j) : NULL;
	}
	if (!simple)
		simple = "NONE"; /* the enum's zero value is omitted in JSON */
	if (!strcmp(simple, "INTEGER"))
		return json_pack("{s:{s:{s:s}}}", "scalar", "primitive", "integer", "0");
	if (!strcmp(simple, "FLOAT"))
		return json_pack("{s:{s:{s:i}}}", "scalar", "primitive", "floatValue", 0);
	if (!strcmp(simple, "STRING"))
		return json_pack("{s:{s:{s:s}}}", "scalar", "primitive", "stringValue", "");
	if (!strcmp(simple, "BOOLEAN"))
		return json_pack("{s:{s:{s:b}}}", "scalar", "primitive", "boolean", 0);
	if (!strcmp(simple, "DATETIME")) /* the harness's time.UnixMicro(10) */
		return json_pack("{s:{s:{s:s}}}", "scalar", "primitive", "datetime", "1970-01-01T00:00:00.000010Z");
	if (!strcmp(simple, "DURATION"))
		return json_pack("{s:{s:{s:s}}}", "scalar", "primitive", "duration", "1s");
	if (!strcmp(simple, "STRUCT"))
		return json_pack("{s:{s:{}}}", "scalar", "generic");
	if (!strcmp(simple, "NONE"))
		return json_pack("{s:{s:{}}}", "scalar", "noneType");
	return NULL;
}

static Flyteidl__Core__LiteralMap *default_inputs(struct fc_arena *a, const Flyteidl__Core__WorkflowTemplate *t)
{
	json_t *iface = NULL, *map = json_object(), *lits = json_object(), *v;
	ProtobufCMessage *msg = NULL;
	const char *key;
	struct fc_err err;

	json_object_set_new(map, "literals", lits);
	if (t->interface && t->interface->inputs) {
		assert_int_equal(fc_pbjson_encode(&t->interface->inputs->base, 0, &iface, &err), FC_OK);
		json_object_foreach(json_object_get(iface, "variables"), key, v) {
			json_t *lit = default_literal(json_object_get(v, "type"));

			if (!lit)
				fail_msg("no default literal for input %s", key);
			json_object_set_new(lits, key, lit);
		}
	}
	if (fc_pbjson_decode(map, &flyteidl__core__literal_map__descriptor, fc_arena_pb_allocator(a), 0, &msg, &err))
		fail_msg("default inputs: %s", err.msg);
	json_decref(iface);
	json_decref(map);
	return (Flyteidl__Core__LiteralMap *)msg;
}

/* --- normalisation and reporting ----------------------------------------------------------------------------- */

static char *collapse_ws(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;
	bool space = false;

	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n') {
			if (!space)
				*o++ = ' ';
			space = true;
		} else {
			*o++ = *s;
			space = false;
		}
	}
	*o = '\0';
	return out;
}

/* A copy with identifier texts' white space collapsed: object keys, and "task"/"subWorkflowRef" values. */
static json_t *normalise(json_t *j)
{
	if (json_is_object(j)) {
		json_t *res = json_object(), *v;
		const char *key;

		json_object_foreach(j, key, v) {
			char *k = collapse_ws(key);

			if ((!strcmp(key, "task") || !strcmp(key, "subWorkflowRef")) && json_is_string(v)) {
				char *s = collapse_ws(json_string_value(v));

				json_object_set_new(res, k, json_string(s));
				free(s);
			} else {
				json_object_set_new(res, k, normalise(v));
			}
			free(k);
		}
		return res;
	}
	if (json_is_array(j)) {
		json_t *res = json_array(), *v;
		size_t i;

		json_array_foreach(j, i, v)
			json_array_append_new(res, normalise(v));
		return res;
	}
	return json_incref(j);
}

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

	n = list_files(SNACKS, ".pb", &files);
	for (i = 0; i < n; i++)
		if (!has_suffix(files[i], "_3.pb"))
			assert_int_equal(cmp_add_path(s, files[i]), FC_OK);
	free_list(files, n);
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
	n = list_files(SNACKS "/k8s", "_wf_crd.json", &goldens);
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
	free_list(goldens, n);
	fc_arena_release(&arena);
	cmp_session_free(s);
	assert_int_equal(matched, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conformance_with_flyte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
