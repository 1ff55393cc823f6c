/* cmd_compile.c: placeholder until the compiler lands. */
#include "cli/cli.h"

#include <stdio.h>

int cmd_compile(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "flytec compile: not built yet\n");
	return CLI_EXIT_USAGE;
}
