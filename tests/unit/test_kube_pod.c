/*
 * test_kube_pod.c: the pod builder (plugins/k8s_pod.c) and the Pod status -> task phase mapping, without a cluster.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Fixtures point protobuf-c char * fields at string literals; the builder never writes through them. */
#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"

#include "core/buf.h"
#include "core/err.h"
#include "flyteidl/core/tasks.pb-c.h"
#include "plugins/k8s_pod.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A container task template on the stack. */
struct tmpl {
	Flyteidl__Core__TaskTemplate t;
	Flyteidl__Core__Identifier id;
	Flyteidl__Core__Container c;
	Flyteidl__Core__TaskMetadata md;
	Google__Protobuf__Duration timeout;
	Flyteidl__Core__Resources res;
	Flyteidl__Core__Resources__ResourceEntry req_cpu, req_mem, lim_mem;
	Flyteidl__Core__Resources__ResourceEntry *reqs[2], *lims[1];
	Flyteidl__Core__KeyValuePair env0;
	Flyteidl__Core__KeyValuePair *envs[1];
};

static char *cmd[] = {"sh", "-c"};
static char *args[] = {"echo {{ .inputs.x }} > {{$outputPrefix}}/x; cat {{.Input}} {{.inputPrefix}}",
		       "{{.rawOutputDataPrefix}}|{{.checkpointOutputPrefix}}|{{.prevCheckpointPrefix}}|"
		       "{{.perRetryUniqueKey}}|{{.unknown}}|{{ notvar }}"};

static void tmpl_init(struct tmpl *m)
{
	flyteidl__core__task_template__init(&m->t);
	flyteidl__core__identifier__init(&m->id);
	flyteidl__core__container__init(&m->c);
	flyteidl__core__task_metadata__init(&m->md);
	google__protobuf__duration__init(&m->timeout);
	flyteidl__core__resources__init(&m->res);
	flyteidl__core__resources__resource_entry__init(&m->req_cpu);
	flyteidl__core__resources__resource_entry__init(&m->req_mem);
	flyteidl__core__resources__resource_entry__init(&m->lim_mem);
	flyteidl__core__key_value_pair__init(&m->env0);
	m->id.project = "p";
	m->id.domain = "d";
	m->id.name = "wf.say";
	m->id.version = "v1";
	m->t.id = &m->id;
	m->t.type = "container";
	m->t.target_case = FLYTEIDL__CORE__TASK_TEMPLATE__TARGET_CONTAINER;
	m->t.container = &m->c;
	m->c.image = "busybox:1.36";
	m->c.n_command = 2;
	m->c.command = cmd;
	m->c.n_args = 2;
	m->c.args = args;
	m->env0.key = "GREETING";
	m->env0.value = "hi";
	m->envs[0] = &m->env0;
	m->c.n_env = 1;
	m->c.env = m->envs;
	m->req_cpu.name = FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__CPU;
	m->req_cpu.value = "8";
	m->req_mem.name = FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__MEMORY;
	m->req_mem.value = "100Mi";
	m->lim_mem.name = FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__MEMORY;
	m->lim_mem.value = "64Mi"; /* below the request: the request follows the limit */
	m->reqs[0] = &m->req_cpu;
	m->reqs[1] = &m->req_mem;
	m->lims[0] = &m->lim_mem;
	m->res.n_requests = 2;
	m->res.requests = m->reqs;
	m->res.n_limits = 1;
	m->res.limits = m->lims;
	m->c.resources = &m->res;
	m->timeout.seconds = 90;
	m->timeout.nanos = 1;
	m->md.timeout = &m->timeout;
	m->t.metadata = &m->md;
}

static const char *inputs(void *ud, const char *name)
{
	(void)ud;
	return strcmp(name, "x") ? NULL : "42";
}

static void task_init(struct plg_k8s_pod_task *t)
{
	memset(t, 0, sizeof(*t));
	t->namespace = "flytesnacks-development";
	t->project = "flytesnacks";
	t->domain = "development";
	t->exec_name = "f3a9c1";
	t->node_id = "n0";
	t->attempt = 1;
	t->inputs_path = "/data/n0/inputs.pb";
	t->input_prefix = "/data/n0";
	t->output_prefix = "/data/n0/1";
	t->raw_output_prefix = "/data/raw";
	t->input_text = inputs;
	t->owner_name = "f3a9c1";
	t->owner_uid = "1234-uid";
}

static const char *jstr(const json_t *root, const char *path)
{
	json_t *v = json_object_get(root, path);

	return json_string_value(v);
}

static void test_build(void **state)
{
	struct tmpl m;
	struct plg_k8s_pod_task task;
	struct plg_k8s_pod_config cfg;
	json_t *pod = NULL, *spec, *c, *md, *tol;
	struct fc_err err;
	char *dump;

	(void)state;
	tmpl_init(&m);
	task_init(&task);
	memset(&cfg, 0, sizeof(cfg));
	cfg.default_requests.cpu = "500m";
	cfg.default_requests.memory = "128Mi";
	cfg.max_limits.cpu = "2";
	cfg.max_limits.memory = "1Gi";
	cfg.service_account = "flyte-worker";
	cfg.data_host_path = "/srv/flytec";
	cfg.data_mount_path = "/data";
	tol = json_pack("[{s:s, s:s, s:s}]", "key", "spot", "operator", "Exists", "effect", "NoSchedule");
	cfg.interruptible_tolerations = tol;
	assert_int_equal(plg_k8s_pod_build(&m.t, &task, &cfg, &pod, &err), 0);
	dump = json_dumps(pod, JSON_INDENT(1) | JSON_SORT_KEYS);
	print_message("%s\n", dump);
	free(dump);
	md = json_object_get(pod, "metadata");
	spec = json_object_get(pod, "spec");
	c = json_array_get(json_object_get(spec, "containers"), 0);
	assert_string_equal(jstr(md, "name"), "f3a9c1-n0-1");
	assert_string_equal(jstr(md, "namespace"), "flytesnacks-development");
	assert_string_equal(jstr(json_object_get(md, "labels"), "execution-id"), "f3a9c1");
	assert_string_equal(jstr(json_object_get(md, "labels"), "node-id"), "n0");
	assert_string_equal(jstr(json_object_get(md, "labels"), "attempt"), "1");
	assert_string_equal(jstr(json_object_get(md, "labels"), "task-name"), "wf.say");
	assert_string_equal(jstr(json_object_get(md, "annotations"), "flytec/execution"),
			    "flytesnacks:development:f3a9c1");
	assert_string_equal(jstr(json_array_get(json_object_get(md, "ownerReferences"), 0), "uid"), "1234-uid");
	assert_string_equal(jstr(json_array_get(json_object_get(md, "ownerReferences"), 0), "kind"), "FlyteWorkflow");
	assert_string_equal(jstr(spec, "restartPolicy"), "Never");
	assert_string_equal(jstr(spec, "serviceAccountName"), "flyte-worker");
	assert_int_equal(json_integer_value(json_object_get(spec, "activeDeadlineSeconds")), 91); /* 90 s + 1 ns */
	assert_null(json_object_get(spec, "tolerations")); /* not interruptible */
	assert_string_equal(jstr(c, "image"), "busybox:1.36");
	assert_string_equal(json_string_value(json_array_get(json_object_get(c, "command"), 0)), "sh");
	assert_string_equal(json_string_value(json_array_get(json_object_get(c, "args"), 0)),
			    "echo 42 > /data/n0/1/x; cat /data/n0/inputs.pb /data/n0");
	assert_string_equal(json_string_value(json_array_get(json_object_get(c, "args"), 1)),
			    "/data/raw|/data/n0/1/checkpoint||f3a9c1-n0-1|{{.unknown}}|{{ notvar }}");
	/* resources: cpu 8 clamped to 2 (request and limit), memory request follows the lower limit 64Mi */
	assert_string_equal(jstr(json_object_get(json_object_get(c, "resources"), "requests"), "cpu"), "2");
	assert_string_equal(jstr(json_object_get(json_object_get(c, "resources"), "limits"), "cpu"), "2");
	assert_string_equal(jstr(json_object_get(json_object_get(c, "resources"), "requests"), "memory"), "64Mi");
	assert_string_equal(jstr(json_object_get(json_object_get(c, "resources"), "limits"), "memory"), "64Mi");
	assert_string_equal(
		jstr(json_object_get(json_array_get(json_object_get(spec, "volumes"), 0), "hostPath"), "path"),
		"/srv/flytec");
	assert_string_equal(jstr(json_array_get(json_object_get(c, "volumeMounts"), 0), "mountPath"), "/data");
	{
		json_t *env = json_object_get(c, "env"), *e;
		size_t i;
		int seen = 0;

		json_array_foreach(env, i, e)
		{
			if (!strcmp(jstr(e, "name"), "GREETING") && !strcmp(jstr(e, "value"), "hi"))
				seen |= 1;
			if (!strcmp(jstr(e, "name"), "FLYTE_ATTEMPT_NUMBER") && !strcmp(jstr(e, "value"), "1"))
				seen |= 2;
			if (!strcmp(jstr(e, "name"), "FLYTE_INTERNAL_EXECUTION_ID") && !strcmp(jstr(e, "value"), "f3a9c1"))
				seen |= 4;
		}
		assert_int_equal(seen, 7);
	}
	json_decref(pod);

	/* interruptible: tolerations; defaults when the task asks for nothing; PVC volume */
	task.interruptible = true;
	m.c.resources = NULL;
	cfg.data_host_path = NULL;
	cfg.data_pvc = "flytec-data";
	assert_int_equal(plg_k8s_pod_build(&m.t, &task, &cfg, &pod, &err), 0);
	spec = json_object_get(pod, "spec");
	c = json_array_get(json_object_get(spec, "containers"), 0);
	assert_true(json_equal(json_object_get(spec, "tolerations"), tol));
	assert_string_equal(jstr(json_object_get(json_object_get(c, "resources"), "requests"), "cpu"), "500m");
	assert_string_equal(jstr(json_object_get(json_object_get(c, "resources"), "limits"), "memory"), "128Mi");
	assert_string_equal(jstr(json_object_get(json_array_get(json_object_get(spec, "volumes"), 0),
						 "persistentVolumeClaim"),
				 "claimName"),
			    "flytec-data");
	json_decref(pod);

	/* errors */
	args[0] = "{{.inputs.y}}";
	assert_int_equal(plg_k8s_pod_build(&m.t, &task, &cfg, &pod, &err), FC_EINVAL);
	assert_non_null(strstr(err.msg, "the task has no input 'y'"));
	assert_null(pod);
	args[0] = "ok";
	m.c.image = "";
	assert_int_equal(plg_k8s_pod_build(&m.t, &task, &cfg, &pod, &err), FC_EINVAL);
	assert_non_null(strstr(err.msg, "no image"));
	m.c.image = "busybox";
	m.t.target_case = FLYTEIDL__CORE__TASK_TEMPLATE__TARGET__NOT_SET;
	assert_int_equal(plg_k8s_pod_build(&m.t, &task, &cfg, &pod, &err), FC_EINVAL);
	m.t.target_case = FLYTEIDL__CORE__TASK_TEMPLATE__TARGET_CONTAINER;
	m.c.resources = &m.res;
	m.req_cpu.value = "lots";
	assert_int_equal(plg_k8s_pod_build(&m.t, &task, &cfg, &pod, &err), FC_EINVAL);
	assert_non_null(strstr(err.msg, "resource request cpu"));
	m.req_cpu.value = "8";
	json_decref(tol);
}

static void test_names(void **state)
{
	struct fc_buf b = FC_BUF_INIT, b2 = FC_BUF_INIT;
	char longname[200];

	(void)state;
	plg_k8s_pod_name("abc", "n0", 0, &b);
	assert_string_equal(b.buf, "abc-n0-0");
	assert_true(plg_k8s_dns1123_label(b.buf));
	/* upper case folds without a hash; other characters get one */
	plg_k8s_pod_name("ABC", "N0", 2, &b);
	assert_string_equal(b.buf, "abc-n0-2");
	plg_k8s_pod_name("abc", "n1-0_n0", 0, &b);
	assert_true(plg_k8s_dns1123_label(b.buf));
	assert_int_equal(strncmp(b.buf, "abc-n1-0-n0-0-", 14), 0);
	assert_int_equal(strlen(b.buf), 24);
	plg_k8s_pod_name("abc", "n1-0-n0", 0, &b2);
	assert_string_not_equal(b.buf, b2.buf);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	plg_k8s_pod_name(longname, "n0", 0, &b);
	plg_k8s_pod_name(longname, "n0", 1, &b2);
	assert_int_equal(strlen(b.buf), 63);
	assert_true(plg_k8s_dns1123_label(b.buf));
	assert_string_not_equal(b.buf, b2.buf);
	plg_k8s_pod_name("-é-", "_", 0, &b);
	assert_true(plg_k8s_dns1123_label(b.buf));
	assert_false(plg_k8s_dns1123_label(""));
	assert_false(plg_k8s_dns1123_label("-a"));
	assert_false(plg_k8s_dns1123_label("a-"));
	assert_false(plg_k8s_dns1123_label("A"));
	assert_false(plg_k8s_dns1123_label(longname));
	fc_buf_release(&b);
	fc_buf_release(&b2);
}

/* --- status mapping ---------------------------------------------------------------------------------------- */

#define NOW_MS 1796515200000LL /* 2026-12-06T00:00:00Z */

static void phase_of(const char *pod_json, struct plg_k8s_pod_status *st)
{
	struct plg_k8s_pod_config cfg;
	json_error_t je;
	json_t *pod = json_loads(pod_json, 0, &je);

	if (!pod)
		fail_msg("bad fixture: %s", je.text);
	memset(&cfg, 0, sizeof(cfg));
	cfg.image_pull_grace_ms = 60000;
	cfg.unschedulable_timeout_ms = 120000;
	plg_k8s_pod_phase(pod, NOW_MS, &cfg, st);
	json_decref(pod);
}

static void test_phases(void **state)
{
	struct plg_k8s_pod_status st;

	(void)state;
	plg_k8s_pod_phase(NULL, NOW_MS, NULL, &st);
	assert_int_equal(st.phase, PLG_PHASE_RETRYABLE_FAILURE);
	assert_int_equal(st.error_kind, PLG_ERROR_SYSTEM);
	assert_string_equal(st.code, "ResourceDeletedExternally");

	phase_of("{\"status\":{}}", &st);
	assert_int_equal(st.phase, PLG_PHASE_QUEUED);
	phase_of("{\"status\":{\"phase\":\"Succeeded\"}}", &st);
	assert_int_equal(st.phase, PLG_PHASE_SUCCESS);
	phase_of("{\"status\":{\"phase\":\"Running\"}}", &st);
	assert_int_equal(st.phase, PLG_PHASE_RUNNING);
	phase_of("{\"metadata\":{\"deletionTimestamp\":\"2026-12-05T23:59:00Z\"},\"status\":{\"phase\":\"Running\"}}",
		 &st);
	assert_int_equal(st.phase, PLG_PHASE_RETRYABLE_FAILURE);
	assert_string_equal(st.code, "ResourceDeletedExternally");

	/* exit 3 */
	phase_of("{\"status\":{\"phase\":\"Failed\",\"containerStatuses\":[{\"name\":\"main\",\"state\":{\"terminated\":"
		 "{\"exitCode\":3,\"reason\":\"Error\"}}}]}}",
		 &st);
	assert_int_equal(st.phase, PLG_PHASE_RETRYABLE_FAILURE);
	assert_int_equal(st.error_kind, PLG_ERROR_USER);
	assert_int_equal(st.exit_code, 3);
	assert_string_equal(st.code, "Error");
	assert_non_null(strstr(st.message, "[main] terminated with exit code (3)"));
	/* OOMKilled, Evicted: retryable system errors */
	phase_of("{\"status\":{\"phase\":\"Failed\",\"containerStatuses\":[{\"name\":\"main\",\"state\":{\"terminated\":"
		 "{\"exitCode\":137,\"reason\":\"OOMKilled\"}}}]}}",
		 &st);
	assert_int_equal(st.phase, PLG_PHASE_RETRYABLE_FAILURE);
	assert_int_equal(st.error_kind, PLG_ERROR_SYSTEM);
	assert_string_equal(st.code, "OOMKilled");
	assert_int_equal(st.exit_code, 137);
	phase_of("{\"status\":{\"phase\":\"Failed\",\"reason\":\"Evicted\",\"message\":\"low on memory\"}}", &st);
	assert_int_equal(st.phase, PLG_PHASE_RETRYABLE_FAILURE);
	assert_int_equal(st.error_kind, PLG_ERROR_SYSTEM);
	assert_string_equal(st.code, "Evicted");
	assert_non_null(strstr(st.message, "low on memory"));
	phase_of("{\"status\":{\"phase\":\"Failed\",\"reason\":\"DeadlineExceeded\"}}", &st);
	assert_string_equal(st.code, "DeadlineExceeded");

	/* Unschedulable: waits up to the timeout (120 s) */
	phase_of("{\"status\":{\"phase\":\"Pending\",\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"False\","
		 "\"reason\":\"Unschedulable\",\"message\":\"0/1 nodes\",\"lastTransitionTime\":\"2026-12-05T23:59:00Z\"}]}}",
		 &st);
	assert_int_equal(st.phase, PLG_PHASE_WAITING_FOR_RESOURCES);
	phase_of("{\"status\":{\"phase\":\"Pending\",\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"False\","
		 "\"reason\":\"Unschedulable\",\"message\":\"0/1 nodes\",\"lastTransitionTime\":\"2026-12-05T23:57:00Z\"}]}}",
		 &st);
	assert_int_equal(st.phase, PLG_PHASE_RETRYABLE_FAILURE);
	assert_int_equal(st.error_kind, PLG_ERROR_SYSTEM);
	assert_string_equal(st.code, "Unschedulable");

	/* image pull errors: initializing within the grace period (60 s), then a failure */
	phase_of("{\"status\":{\"phase\":\"Pending\",\"startTime\":\"2026-12-05T23:59:30Z\",\"containerStatuses\":[{"
		 "\"name\":\"main\",\"state\":{\"waiting\":{\"reason\":\"ImagePullBackOff\",\"message\":\"no such image\"}}}]}}",
		 &st);
	assert_int_equal(st.phase, PLG_PHASE_INITIALIZING);
	phase_of("{\"status\":{\"phase\":\"Pending\",\"startTime\":\"2026-12-05T23:58:30Z\",\"containerStatuses\":[{"
		 "\"name\":\"main\",\"state\":{\"waiting\":{\"reason\":\"ErrImagePull\",\"message\":\"no such image\"}}}]}}",
		 &st);
	assert_int_equal(st.phase, PLG_PHASE_RETRYABLE_FAILURE);
	assert_string_equal(st.code, "ErrImagePull");
	assert_non_null(strstr(st.message, "no such image"));
	phase_of("{\"status\":{\"phase\":\"Pending\",\"containerStatuses\":[{\"name\":\"main\",\"state\":{\"waiting\":{"
		 "\"reason\":\"InvalidImageName\"}}}]}}",
		 &st);
	assert_int_equal(st.phase, PLG_PHASE_PERMANENT_FAILURE);
	phase_of("{\"status\":{\"phase\":\"Pending\",\"containerStatuses\":[{\"name\":\"main\",\"state\":{\"waiting\":{"
		 "\"reason\":\"ContainerCreating\"}}}]}}",
		 &st);
	assert_int_equal(st.phase, PLG_PHASE_INITIALIZING);
	assert_string_equal(plg_k8s_phase_name(PLG_PHASE_SUCCESS), "Success");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_phases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
