/*
 * bench_pbjson.c: the proto3 JSON mapping's text output, written straight from the message
 * (fc_pbjson_encode_buf) beside the jansson-tree path it replaced (fc_pbjson_encode + fc_pbjson_dump), which
 * stays in the library and is the baseline of the same run.
 *
 *   bench_pbjson NODES CLOSURE_NODES SAMPLES COMPILED_JSON
 *
 * 1. a NodeExecutionList of NODES node executions (the answer of GET /api/v1/node_executions/...?limit=NODES),
 *    each with an id, input and output URIs, four timestamps/durations, task node metadata and metadata;
 * 2. a CompiledWorkflowClosure: COMPILED_JSON (a compiled workflow of the test data) with its nodes repeated to
 *    CLOSURE_NODES nodes and its connections left as they are.
 * Each is rendered SAMPLES times both ways; the bytes are compared once. Prints key=value lines: ms of this
 * thread's CPU time (min, p50), so that other processes on a loaded machine do not count; and wall ms (min).
 */
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/pbjson.h"

#include "flyteidl/admin/node_execution.pb-c.h"
#include "flyteidl/core/compiler.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void die(const char *what, const struct fc_err *err)
{
	fprintf(stderr, "bench_pbjson: %s: %s\n", what, err->msg);
	exit(1);
}

static void render_tree(const ProtobufCMessage *m, struct fc_buf *out)
{
	struct fc_err err;
	json_t *j;

	fc_err_clear(&err);
	if (fc_pbjson_encode(m, 0, &j, &err) || fc_pbjson_dump(j, 0, out, &err))
		die("tree", &err);
	json_decref(j);
}

static void render_direct(const ProtobufCMessage *m, struct fc_buf *out)
{
	struct fc_err err;

	fc_err_clear(&err);
	if (fc_pbjson_encode_buf(m, 0, out, &err))
		die("direct", &err);
}

/* Times `samples` renderings each way (alternating), checks the bytes agree, prints the figures as `name_*`. */
static void measure(const char *name, const ProtobufCMessage *m, int samples, size_t count)
{
	double *t_tree = calloc((size_t)samples, sizeof(double)), *t_direct = calloc((size_t)samples, sizeof(double));
	double wall_tree = 1e300, wall_direct = 1e300;
	struct fc_buf a = FC_BUF_INIT, b = FC_BUF_INIT;
	int i;

	for (i = 0; i < samples; i++) {
		double t0;

		double w0;

		fc_buf_reset(&a);
		w0 = now_ms(CLOCK_MONOTONIC);
		t0 = now_ms(CLOCK_THREAD_CPUTIME_ID);
		render_tree(m, &a);
		t_tree[i] = now_ms(CLOCK_THREAD_CPUTIME_ID) - t0;
		w0 = now_ms(CLOCK_MONOTONIC) - w0;
		wall_tree = w0 < wall_tree ? w0 : wall_tree;
		fc_buf_reset(&b);
		w0 = now_ms(CLOCK_MONOTONIC);
		t0 = now_ms(CLOCK_THREAD_CPUTIME_ID);
		render_direct(m, &b);
		t_direct[i] = now_ms(CLOCK_THREAD_CPUTIME_ID) - t0;
		w0 = now_ms(CLOCK_MONOTONIC) - w0;
		wall_direct = w0 < wall_direct ? w0 : wall_direct;
	}
	if (a.len != b.len || memcmp(a.buf, b.buf, a.len)) {
		fprintf(stderr, "bench_pbjson: %s: the two paths differ\n", name);
		exit(1);
	}
	qsort(t_tree, (size_t)samples, sizeof(double), cmp_double);
	qsort(t_direct, (size_t)samples, sizeof(double), cmp_double);
	printf("%s_bytes=%zu\n", name, b.len);
	printf("%s_tree_cpu_ms_min=%.2f\n%s_tree_cpu_ms_p50=%.2f\n", name, t_tree[0], name, t_tree[samples / 2]);
	printf("%s_direct_cpu_ms_min=%.2f\n%s_direct_cpu_ms_p50=%.2f\n", name, t_direct[0], name,
	       t_direct[samples / 2]);
	printf("%s_tree_wall_ms_min=%.2f\n%s_direct_wall_ms_min=%.2f\n", name, wall_tree, name, wall_direct);
	printf("%s_tree_us_per_item_p50=%.2f\n", name, t_tree[samples / 2] * 1e3 / (double)count);
	printf("%s_direct_us_per_item_p50=%.2f\n", name, t_direct[samples / 2] * 1e3 / (double)count);
	printf("%s_speedup_p50=%.1f\n", name, t_tree[samples / 2] / t_direct[samples / 2]);
	fc_buf_release(&a);
	fc_buf_release(&b);
	free(t_tree);
	free(t_direct);
}

static const char node_template[] =
	"{\"id\":{\"nodeId\":\"n%d\",\"executionId\":{\"project\":\"bench\",\"domain\":\"development\",\"name\":\"big\"}},"
	"\"inputUri\":\"s3://flytec-bench/metadata/bench/development/big/n%d/data/inputs.pb\","
	"\"closure\":{\"phase\":\"SUCCEEDED\",\"startedAt\":\"2026-01-01T00:00:%02d.123456Z\",\"duration\":\"%d.250s\","
	"\"createdAt\":\"2026-01-01T00:00:00Z\",\"updatedAt\":\"2026-01-01T00:01:%02d.5Z\","
	"\"outputUri\":\"s3://flytec-bench/metadata/bench/development/big/n%d/data/0/outputs.pb\","
	"\"taskNodeMetadata\":{\"cacheStatus\":\"CACHE_DISABLED\",\"catalogKey\":{\"datasetId\":{\"resourceType\":"
	"\"DATASET\",\"project\":\"bench\",\"domain\":\"development\",\"name\":\"flyte_task-t%d\",\"version\":\"v1\"}}}},"
	"\"metadata\":{\"retryGroup\":\"0\",\"specNodeId\":\"n%d\"}}";

int main(int argc, char **argv)
{
	struct fc_arena arena;
	struct fc_err err;
	struct fc_buf text = FC_BUF_INIT, raw = FC_BUF_INIT;
	Flyteidl__Admin__NodeExecutionList list = FLYTEIDL__ADMIN__NODE_EXECUTION_LIST__INIT;
	ProtobufCMessage *closure_msg = NULL;
	Flyteidl__Core__CompiledWorkflowClosure *closure;
	Flyteidl__Core__Node **nodes;
	int nodes_n, closure_n, samples, i;

	if (argc != 5) {
		fprintf(stderr, "usage: bench_pbjson NODES CLOSURE_NODES SAMPLES COMPILED_JSON\n");
		return 2;
	}
	nodes_n = atoi(argv[1]);
	closure_n = atoi(argv[2]);
	samples = atoi(argv[3]);
	if (nodes_n < 1 || closure_n < 1 || samples < 1)
		return 2;
	fc_arena_init(&arena, 0);
	fc_err_clear(&err);

	list.n_node_executions = (size_t)nodes_n;
	list.node_executions = fc_arena_array(&arena, (size_t)nodes_n, sizeof(*list.node_executions));
	for (i = 0; i < nodes_n; i++) {
		ProtobufCMessage *m;

		fc_buf_reset(&text);
		fc_buf_addf(&text, node_template, i, i, i % 60, i % 100, i % 60, i, i % 50, i);
		if (fc_pbjson_decode_text(text.buf, text.len, &flyteidl__admin__node_execution__descriptor,
					  fc_arena_pb_allocator(&arena), 0, &m, &err))
			die("node template", &err);
		list.node_executions[i] = (Flyteidl__Admin__NodeExecution *)m;
	}
	measure("node_executions", &list.base, samples, (size_t)nodes_n);

	if (fc_buf_read_file(&raw, argv[4], 0, &err) ||
	    fc_pbjson_decode_text(raw.buf, raw.len, &flyteidl__core__compiled_workflow_closure__descriptor,
				  fc_arena_pb_allocator(&arena), 0, &closure_msg, &err))
		die(argv[4], &err);
	closure = (Flyteidl__Core__CompiledWorkflowClosure *)closure_msg;
	if (!closure->primary || !closure->primary->template_ || !closure->primary->template_->n_nodes) {
		fprintf(stderr, "bench_pbjson: %s: no nodes\n", argv[4]);
		return 1;
	}
	nodes = fc_arena_array(&arena, (size_t)closure_n, sizeof(*nodes));
	for (i = 0; i < closure_n; i++)
		nodes[i] = closure->primary->template_->nodes[(size_t)i % closure->primary->template_->n_nodes];
	closure->primary->template_->nodes = nodes;
	closure->primary->template_->n_nodes = (size_t)closure_n;
	measure("closure", closure_msg, samples, (size_t)closure_n);

	fc_buf_release(&text);
	fc_buf_release(&raw);
	fc_arena_release(&arena);
	return 0;
}
