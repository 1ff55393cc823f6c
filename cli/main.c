/* main.c: the flytec command. Subcommands are looked up in one sorted table (cli.h). */
#include "cli/cli.h"
#include "cli/cmd_admin.h"
#include "cli/cmd_convert.h"
#include "cli/cmd_k8s.h"
#include "cli/cmd_propeller.h"
#include "cli/cmd_run.h"
#include "cli/cmd_schedule.h"
#include "core/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

/* Sorted by name: looked up with bsearch. */
static const struct cli_command commands[] = {
	{"activate", cmd_activate, "activate (or deactivate) a launch plan version on a running admin"},
	{"backfill", cmd_backfill, "run the scheduled slots of a time range of a launch plan (on a running admin)"},
	{"compile", cmd_compile, "check specs, report every error, write compiled protobufs"},
	{"convert", cmd_convert, "turn Flyte IDL (a pyflyte package, a closure) into YAML specs"},
	{"diff", cmd_diff, "show what changed between two compiled forms, as a DAG diff"},
	{"explain", cmd_explain, "explain a diagnostic code with a wrong and a fixed example"},
	{"get", cmd_get, "list or show tasks, workflows, launch plans, executions, nodes"},
	{"golden", cmd_golden, "check, update or review golden DAG snapshots of your specs"},
	{"help", cmd_help, "show this help"},
	{"k8s", cmd_k8s, "print the Kubernetes manifests (CRD, RBAC, operator Deployment)"},
	{"launch", cmd_launch, "launch an execution of a launch plan on a running admin"},
	{"logs", cmd_logs, "print (or follow with -f) the log of a node's attempt, local or on Kubernetes"},
	{"lsp", cmd_lsp, "the language server for editors (Language Server Protocol on stdio)"},
	{"package", cmd_package, "write a flytectl-compatible .tgz from specs"},
	{"propeller", cmd_propeller, "the Kubernetes operator: FlyteWorkflow resources driven with task pods"},
	{"register", cmd_register, "register specs with a running admin"},
	{"run", cmd_run, "run a workflow locally, in-process, with no server"},
	{"schedule", cmd_schedule, "check a cron expression and print its next fire times"},
	{"serve", cmd_serve, "the admin API, the watched repository, the scheduler and the executor"},
	{"status", cmd_status, "compile status of the watched repository"},
	{"terminate", cmd_terminate, "terminate an execution"},
	{"version", cmd_version, "print the version"},
	{"watch", cmd_watch, "watch a repository directory and register what compiles (no API)"},
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

static int cmp_command(const void *key, const void *elem)
{
	return strcmp(key, ((const struct cli_command *)elem)->name);
}

int main(int argc, char **argv)
{
	const struct cli_command *cmd;

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
	return cmd->fn(argc - 1, argv + 1);
}
