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

/* Where a client command talks to. cli_conn_load() fills it from, lowest precedence first: the defaults
 * (http://127.0.0.1:8089, the default project and domain), $FLYTEC_ADMIN, $FLYTEC_TOKEN_FILE and $FLYTEC_CA_FILE,
 * then the config file: `--config FILE` (or `--config=FILE`) found in argv, else $FLYTEC_CONFIG, else
 * ~/.config/flytec/config when it exists ('key = value' lines: admin, token_file, ca_file, project, domain). The
 * command's own options then override fields with cli_conn_set(); cli_conn_finish() drops the admin URL's trailing
 * '/'. Every field is malloc'd (token_file and ca_file NULL when unset); cli_conn_release() frees them. */
struct cli_conn {
	char *admin, *token_file, *ca_file, *project, *domain;
	bool project_given; /* by an option or the config file, not the default */
};
int cli_conn_load(struct cli_conn *c, int argc, char **argv);
void cli_conn_set(char **field, const char *value);
void cli_conn_finish(struct cli_conn *c);
void cli_conn_release(struct cli_conn *c);

/* Read a bearer token from FILE (one non-empty line; surrounding blanks dropped) into *out (malloc'd; an old value
 * is freed). Prints the reason and returns CLI_EXIT_USAGE when the file cannot be read or holds no single line. */
int cli_read_token(const char *file, char **out);

#endif
