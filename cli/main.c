/* main.c: the flytec command. Subcommands are looked up in one sorted table (cli.h). */
#include "cli/cli.h"
#include "core/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

/* Sorted by name. */
static const struct cli_command commands[] = {
	{"compile", cmd_compile, "check specs, report every error, write compiled protobufs"},
	{"help", cmd_help, "show this help"},
	{"version", cmd_version, "print the version"},
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
