/* cli.h: subcommands of the flytec command. Each takes argv with argv[0] the subcommand name. */
#ifndef FC_CLI_H
#define FC_CLI_H

#include "core/fc.h"

#define FLYTEC_VERSION "0.1.0"

/* Exit statuses shared by every subcommand. */
enum { CLI_EXIT_OK = 0, CLI_EXIT_SPEC = 1, CLI_EXIT_USAGE = 2 };

struct cli_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

int cmd_compile(int argc, char **argv);

#endif
