/*
 * run.h: `flytec run` put together: compile a spec, convert the inputs given as text, and drive the propeller in
 * this process until the execution ends, printing progress and the outputs. cli/cmd_run.c parses the arguments
 * and installs the signal handler; this module owns the assembly (docs/architecture.md, "The serve module").
 *
 * Store failures while running (a full disk, an I/O error, a busy database) do not end the run: the engine keeps
 * what it has not committed, the run waits out the engine's back-off and tries again, saying so once per episode,
 * as `flytec serve`'s executor does. Only an interrupt or an error retrying cannot fix stops it.
 *
 * Ownership: option strings are borrowed.
 */
#ifndef SRV_RUN_H
#define SRV_RUN_H

#include "core/fc.h"

#include <signal.h>
#include <stdio.h>

/* Exit statuses: the execution succeeded; it failed, was aborted or the spec has errors; the request is wrong
 * (unknown workflow or input, a value that does not convert, a missing input). */
enum srv_run_status { SRV_RUN_OK = 0, SRV_RUN_FAILED = 1, SRV_RUN_BAD_REQUEST = 2 };

struct srv_run_options {
	const char *data_dir;   /* state, blobs and logs */
	const char *plugin_dir; /* external task-type plugins (*.so); NULL: none */
	const char *target;     /* FILE[:WORKFLOW] */
	bool resume;            /* continue the data directory's unfinished executions instead of `target` */
	const char *const *inputs;  /* NAME=VALUE, converted by the input's declared type */
	size_t n_inputs;
	const char *const *signals; /* ID=VALUE for signal and approve gates */
	size_t n_signals;
	const char *name;                 /* NULL: generated */
	const char *project, *domain;     /* NULL: the workflow's own */
	uint32_t max_parallelism;         /* 0: the engine's default */
	bool overwrite_cache, verbose, stats;
	/* Set (by a signal handler) to abort the execution and end the run. */
	volatile sig_atomic_t *interrupted;
	FILE *out;  /* the result and outputs (stdout) */
	FILE *log;  /* events, diagnostics and problems (stderr) */
};

enum srv_run_status srv_run(const struct srv_run_options *o);

#endif
