/* cmd_explain.c: `flytec explain CODE` prints the long explanation of a diagnostic code (compiler/explain.h). */
#include "cli/cli.h"
#include "compiler/explain.h"

#include <stdio.h>
#include <string.h>

static const char explain_usage[] =
	"usage: flytec explain CODE\n"
	"       flytec explain --list\n"
	"\n"
	"Explain a diagnostic code (the word in error[Code]) with a wrong and a fixed example.\n"
	"\n"
	"Exit status: 0 explained, 2 unknown code or usage error.\n";

static void print_indented(const char *text)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		printf("    %.*s\n", (int)n, p);
		p += n + (nl ? 1 : 0);
	}
}

int cmd_explain(int argc, char **argv)
{
	const struct cmp_explanation *e;
	size_t i;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(explain_usage, stdout);
		return CLI_EXIT_OK;
	}
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (i = 0; i < cmp_explain_count(); i++)
			printf("%-30s %s\n", cmp_explain_at(i)->code, cmp_explain_at(i)->summary);
		return CLI_EXIT_OK;
	}
	if (argc != 2) {
		fputs(explain_usage, stderr);
		return CLI_EXIT_USAGE;
	}
	e = cmp_explain_find(argv[1]);
	if (!e) {
		fprintf(stderr, "flytec explain: no diagnostic code '%s'; 'flytec explain --list' lists them\n", argv[1]);
		return CLI_EXIT_USAGE;
	}
	printf("%s: %s\n\n%s\n\nWrong:\n\n", e->code, e->summary, e->text);
	print_indented(e->wrong);
	printf("\nFixed:\n\n");
	print_indented(e->fixed);
	return CLI_EXIT_OK;
}
