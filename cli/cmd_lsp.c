/* cmd_lsp.c: `flytec lsp`, the language server on stdin/stdout (lsp/lsp.h). */
#include "cli/cli.h"
#include "lsp/lsp.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char lsp_usage[] =
	"usage: flytec lsp [--stdio]\n"
	"\n"
	"Run the flytec language server on stdin/stdout (Language Server Protocol, JSON-RPC with Content-Length\n"
	"framing). The workspace is the client's root directory: every *.yaml / *.yml under it is checked together.\n"
	"Editor set-up: docs/editors.md.\n";

int cmd_lsp(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(lsp_usage, stdout);
			return CLI_EXIT_OK;
		}
		if (strcmp(argv[i], "--stdio")) {
			fputs(lsp_usage, stderr);
			return CLI_EXIT_USAGE;
		}
	}
	return lsp_run(STDIN_FILENO, STDOUT_FILENO);
}
