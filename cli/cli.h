/* cli.h: subcommands of the flytec command. Each takes argv with argv[0] the subcommand name. */
#ifndef FC_CLI_H
#define FC_CLI_H

#include "core/fc.h"

#define FLYTEC_VERSION "0.1.0"

/* Exit statuses shared by every subcommand. */
enum { CLI_EXIT_OK = 0, CLI_EXIT_SPEC = 1, CLI_EXIT_USAGE = 2 };

/* What a command needs beyond the light core (libyaml, protobuf-c, jansson, sqlite, libcrypto; libarchive is loaded
 * on first use, cli/lazy_archive.c). A command that needs any of these runs in flytec-full; `flytec` hands its
 * command line over with exec (docs/architecture.md, "Process start"). */
enum cli_needs {
	CLI_NEEDS_HTTP_CLIENT = 1 << 0, /* libcurl: the admin API client, the Kubernetes client */
	CLI_NEEDS_HTTP_SERVER = 1 << 1, /* libmicrohttpd: the admin API */
	CLI_NEEDS_GRPC = 1 << 2,	/* gRPC core (C++: absl, re2, c-ares, libstdc++) */
	CLI_NEEDS_REGEX = 1 << 3,	/* PCRE2: the repository watcher's and the pod plugin's patterns */
};

struct cli_command {
	const char *name;
	int (*fn)(int argc, char **argv); /* NULL in the light flytec when `needs` is not 0 */
	unsigned needs;			  /* enum cli_needs bits */
	const char *summary;
};

/* The program the light `flytec` hands heavy commands to: the same directory as /proc/self/exe. */
#define CLI_FULL_NAME "flytec-full"

/* Replace this process with flytec-full, next to the running program, given the command line main() got (so a
 * command that finds out after parsing its options that it needs a heavy library calls this before doing anything
 * else). Returns only on failure: prints why, naming the file and WHAT needed it, and returns CLI_EXIT_USAGE. Never
 * called in flytec-full itself. */
int cli_handover(const char *what);

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

/* Functions of flytec-full that light commands call in some modes: all NULL in the light flytec, where the command
 * calls cli_handover() instead. */
struct cli_full_fns {
	/* cli_admin_snapshot() below */
	int (*admin_snapshot)(const char *admin, const char *entity, const char *version,
			      const struct cmp_options *opts, struct cmp_snapshots *out);
	/* cmd_schedule_pause() (cmd_admin.h) */
	int (*schedule_pause)(int argc, char **argv, bool pause);
};
extern const struct cli_full_fns cli_full;

#endif
