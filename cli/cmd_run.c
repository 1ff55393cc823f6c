/*
 * cmd_run.c: `flytec run FILE[:WORKFLOW] [--input k=v]...`: the arguments of serve/run.h's srv_run(), which
 * compiles the file, hands the workflow to the propeller in this process and prints progress and the outputs.
 * Exit 0 when the execution succeeded, 1 when it failed or the spec has errors, 2 for usage errors. SIGINT/SIGTERM
 * abort the execution (tasks are stopped). `--resume` continues the unfinished executions of the data directory
 * instead (after a crash).
 */
#include "cli/cmd_run.h"

#include "cli/cli.h"
#include "core/arena.h"
#include "serve/run.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int cmd_run(int argc, char **argv)
{
	const char *data_dir = ".flytec/data", *name = NULL, *project = NULL;
	const char *domain = NULL, *plugin_dir = NULL, *target = NULL;
	const char **inputs = NULL, **signals = NULL;
	size_t ninputs = 0, nsignals = 0, i;
	bool verbose = false, resume = false, overwrite_cache = false, stats = false;
	unsigned long parallelism = 0;
	struct srv_run_options o;
	struct fc_arena arena;
	struct sigaction sa;
	int rc = CLI_EXIT_USAGE;

	fc_arena_init(&arena, 0);
	inputs = fc_xcalloc((size_t)argc + 1, sizeof(*inputs));
	signals = fc_xcalloc((size_t)argc + 1, sizeof(*signals));
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
			signals[nsignals++] = val;
			i++;
		} else if (!strcmp(a, "--approve") && val) {
			signals[nsignals++] = fc_arena_printf(&arena, "%s=true", val);
			i++;
		} else if (!strcmp(a, "--data-dir") && val) {
			data_dir = val;
			i++;
		} else if (!strcmp(a, "--name") && val) {
			name = val;
			i++;
		} else if (!strcmp(a, "--project") && val) {
			project = val;
			i++;
		} else if (!strcmp(a, "--domain") && val) {
			domain = val;
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
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	memset(&o, 0, sizeof(o));
	o.data_dir = data_dir;
	o.plugin_dir = plugin_dir;
	o.target = target;
	o.resume = resume;
	o.inputs = inputs;
	o.n_inputs = ninputs;
	o.signals = signals;
	o.n_signals = nsignals;
	o.name = name;
	o.project = project;
	o.domain = domain;
	o.max_parallelism = (uint32_t)parallelism;
	o.overwrite_cache = overwrite_cache;
	o.verbose = verbose;
	o.stats = stats;
	o.interrupted = &interrupted;
	o.out = stdout;
	o.log = stderr;
	rc = (int)srv_run(&o);
out:
	free(inputs);
	free(signals);
	fc_arena_release(&arena);
	return rc;
}
