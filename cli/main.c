/*
 * main.c: the flytec command. Subcommands are looked up in one sorted table (cli.h); each entry says which heavy
 * libraries its command needs. This file is compiled twice (docs/architecture.md, "Process start"):
 *   - the light `flytec` (FLYTEC_FULL undefined): entries that need nothing heavy run here; the others have no
 *     function and hand the whole command line to flytec-full, found next to this program (cli_handover());
 *   - flytec-full (-DFLYTEC_FULL): every entry has its function; it links libcurl, libmicrohttpd and gRPC.
 */
#include "cli/cli.h"
#include "cli/cmd_admin.h"
#include "cli/cmd_convert.h"
#include "cli/cmd_k8s.h"
#include "cli/cmd_propeller.h"
#include "cli/cmd_run.h"
#include "cli/cmd_schedule.h"
#include "core/err.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

/* A command that needs a heavy library names its function with HEAVY(): in the light flytec the function is not
 * linked (so neither is the library) and the entry hands over to flytec-full. */
#ifdef FLYTEC_FULL
#define HEAVY(fn, needs) fn, needs
#else
#define HEAVY(fn, needs) NULL, needs
#endif
#define LIGHT(fn) fn, 0

/* Sorted by name: looked up with bsearch. */
static const struct cli_command commands[] = {
	{"activate", HEAVY(cmd_activate, CLI_NEEDS_HTTP_CLIENT),
	 "activate (or deactivate) a launch plan version on a running admin"},
	{"backfill", HEAVY(cmd_backfill, CLI_NEEDS_HTTP_CLIENT),
	 "run the scheduled slots of a time range of a launch plan (on a running admin)"},
	{"compile", LIGHT(cmd_compile), "check specs, report every error, write compiled protobufs"},
	{"convert", LIGHT(cmd_convert), "turn Flyte IDL (a pyflyte package, a closure) into YAML specs"},
	{"diff", LIGHT(cmd_diff), "show what changed between two compiled forms, as a DAG diff"},
	{"explain", LIGHT(cmd_explain), "explain a diagnostic code with a wrong and a fixed example"},
	{"get", HEAVY(cmd_get, CLI_NEEDS_HTTP_CLIENT),
	 "list or show tasks, workflows, launch plans, executions, nodes"},
	{"golden", LIGHT(cmd_golden), "check, update or review golden DAG snapshots of your specs"},
	{"help", LIGHT(cmd_help), "show this help"},
	{"k8s", LIGHT(cmd_k8s), "print the Kubernetes manifests (CRD, RBAC, operator Deployment)"},
	{"launch", HEAVY(cmd_launch, CLI_NEEDS_HTTP_CLIENT),
	 "launch an execution of a launch plan on a running admin"},
	{"logs", HEAVY(cmd_logs, CLI_NEEDS_HTTP_CLIENT),
	 "print (or follow with -f) the log of a node's attempt, local or on Kubernetes"},
	{"lsp", LIGHT(cmd_lsp), "the language server for editors (Language Server Protocol on stdio)"},
	{"package", LIGHT(cmd_package), "write a flytectl-compatible .tgz from specs"},
	{"propeller", HEAVY(cmd_propeller, CLI_NEEDS_HTTP_CLIENT | CLI_NEEDS_REGEX),
	 "the Kubernetes operator: FlyteWorkflow resources driven with task pods"},
	{"register", HEAVY(cmd_register, CLI_NEEDS_HTTP_CLIENT),
	 "register specs with a running admin"},
	{"run", LIGHT(cmd_run), "run a workflow locally, in-process, with no server"},
	{"schedule", LIGHT(cmd_schedule), "check a cron expression and print its next fire times"},
	{"serve", HEAVY(cmd_serve, CLI_NEEDS_HTTP_SERVER | CLI_NEEDS_GRPC | CLI_NEEDS_HTTP_CLIENT | CLI_NEEDS_REGEX),
	 "the admin API, the watched repository, the scheduler and the executor"},
	{"status", HEAVY(cmd_status, CLI_NEEDS_HTTP_CLIENT),
	 "compile status of the watched repository"},
	{"terminate", HEAVY(cmd_terminate, CLI_NEEDS_HTTP_CLIENT),
	 "terminate an execution"},
	{"version", LIGHT(cmd_version), "print the version"},
	{"watch", HEAVY(cmd_watch, CLI_NEEDS_REGEX),
	 "watch a repository directory and register what compiles (no API)"},
};

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("flytec %s\n", FLYTEC_VERSION);
	return 0;
}

static int cmd_help(int argc, char **argv)
{
	size_t i;

	(void)argc;
	(void)argv;
	printf("usage: flytec <command> [options]\n\ncommands:\n");
	for (i = 0; i < FC_ARRAY_LEN(commands); i++)
		printf("  %-10s %s\n", commands[i].name, commands[i].summary);
	printf("\nRun 'flytec <command> --help' for the options of a command.\n");
	return 0;
}

/* The functions of flytec-full that light commands call in some of their modes (cli.h). */
#ifdef FLYTEC_FULL
const struct cli_full_fns cli_full = {
	.admin_snapshot = cli_admin_snapshot,
	.schedule_pause = cmd_schedule_pause,
};
#else
const struct cli_full_fns cli_full = {NULL, NULL};
#endif

/* The command line as main() got it: what cli_handover() passes on. */
static char **main_argv;

#ifdef FLYTEC_FULL
int cli_handover(const char *what)
{
	FC_BUG("cli_handover(%s) in flytec-full", what);
}
#else
int cli_handover(const char *what)
{
	char self[PATH_MAX], full[PATH_MAX];
	ssize_t n;
	char *slash;

	n = readlink("/proc/self/exe", self, sizeof(self));
	if (n < 0) {
		fprintf(stderr, "flytec: %s needs flytec-full, but /proc/self/exe cannot be read to find it: %s\n", what,
			strerror(errno));
		return CLI_EXIT_USAGE;
	}
	self[(size_t)n < sizeof(self) ? (size_t)n : sizeof(self) - 1] = '\0';
	slash = strrchr(self, '/');
	if ((size_t)n >= sizeof(self) || !slash ||
	    snprintf(full, sizeof(full), "%.*s/%s", (int)(slash - self), self, CLI_FULL_NAME) >= (int)sizeof(full)) {
		fprintf(stderr, "flytec: %s needs flytec-full, but the path of this program is too long: %s\n", what, self);
		return CLI_EXIT_USAGE;
	}
	fflush(NULL);
	execv(full, main_argv);
	fprintf(stderr,
		"flytec: %s needs %s (the part of flytec linked with libcurl, libmicrohttpd and gRPC), which cannot be "
		"run: %s\n",
		what, full, strerror(errno));
	return CLI_EXIT_USAGE;
}
#endif

static int cmp_command(const void *key, const void *elem)
{
	return strcmp(key, ((const struct cli_command *)elem)->name);
}

int main(int argc, char **argv)
{
	const struct cli_command *cmd;

	main_argv = argv;
	if (argc < 2) {
		cmd_help(argc, argv);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(argc, argv);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(argc, argv);
	cmd = bsearch(argv[1], commands, FC_ARRAY_LEN(commands), sizeof(commands[0]), cmp_command);
	if (!cmd) {
		fprintf(stderr, "flytec: '%s' is not a flytec command; see 'flytec help'\n", argv[1]);
		return CLI_EXIT_USAGE;
	}
	if (!cmd->fn) {
		char what[64];

		snprintf(what, sizeof(what), "'flytec %s'", cmd->name);
		return cli_handover(what);
	}
	return cmd->fn(argc - 1, argv + 1);
}
