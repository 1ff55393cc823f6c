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
int cmd_diff(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_golden(int argc, char **argv);
int cmd_lsp(int argc, char **argv);

/* Shared by `flytec diff` and `flytec golden` (cmd_diff.c): compile paths and cut the result into snapshots
 * (diagnostics printed to stderr); print a DAG diff as text or JSON on stdout. Return exit statuses. */
enum fc_diag_format;
struct cmp_options;
struct cmp_snapshots;
struct cmp_dag_diff;
int cli_compile_snapshots(const char *const *paths, size_t npaths, const struct cmp_options *opts,
			  enum fc_diag_format diag_fmt, struct cmp_snapshots *out);
int cli_print_dag_diff(const struct cmp_dag_diff *d, bool json);
/* The snapshot of KIND/NAME at VERSION as registered on the admin at `admin` (cmd_client.c's HTTP client). */
int cli_admin_snapshot(const char *admin, const char *entity, const char *version, const struct cmp_options *opts,
		       struct cmp_snapshots *out);

/* Read a bearer token from FILE (one non-empty line; surrounding blanks dropped) into *out (malloc'd; an old value
 * is freed). Prints the reason and returns CLI_EXIT_USAGE when the file cannot be read or holds no single line. */
int cli_read_token(const char *file, char **out);

#endif
