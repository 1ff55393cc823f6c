/*
 * cmd_convert.c: `flytec convert` turns Flyte IDL (pyflyte packages, protobufs, closures) into flytec's YAML spec
 * language; `flytec package` writes compiled specs as the archive `pyflyte package` makes, for
 * `flytectl register files`. The work is in compiler/convert.c and compiler/package.c.
 */
#include "cli/cli.h"
#include "cli/cmd_convert.h"
#include "compiler/compiler.h"
#include "compiler/convert.h"
#include "core/buf.h"
#include "core/diag.h"
#include "core/err.h"
#include "core/walk.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char convert_usage[] =
	"usage: flytec convert [options] PATH... [--to yaml-spec] [-o FILE|DIR/]\n"
	"\n"
	"Turn Flyte IDL into flytec's YAML spec language: `pyflyte package` archives (.tgz, .tar.gz, .tar),\n"
	"admin TaskSpec / WorkflowSpec / LaunchPlan protobufs (NNN_name_1|2|3.pb), and workflow closures as\n"
	"protobuf, JSON or YAML. YAML specs among the inputs may be referenced; they are not rewritten.\n"
	"The result is compiled again and compared with the input: whatever the spec language cannot express\n"
	"is reported as a NotConvertible warning naming the entity and the field.\n"
	"\n"
	"      --to FORMAT           yaml-spec (the default and only format)\n"
	"  -o, --output FILE|DIR/    write the spec to FILE, or into DIR as NAME.yaml (NAME: the first PATH's\n"
	"                            name without its suffix); a path ending in '/' or naming a directory is a\n"
	"                            directory, made when missing (default: standard output)\n"
	"      --project NAME        fill {{ registration.project }} and empty projects (default " CMP_DEFAULT_PROJECT ")\n"
	"      --domain NAME         the same for domains (default " CMP_DEFAULT_DOMAIN ")\n"
	"      --error-format FMT    diagnostics as text (default) or json\n"
	"  -W, --warnings-as-errors  exit 1 when anything could not be converted exactly\n"
	"      --color WHEN          auto, always or never\n"
	"  -q, --quiet               no summary line\n"
	"\n"
	"Exit status: 0 converted, 1 the input has errors (what could be converted is still written) or -W and\n"
	"warnings, 2 usage or I/O errors.\n";

static const char package_usage[] =
	"usage: flytec package [options] PATH... -o PKG.tgz\n"
	"\n"
	"Compile specs (and any Flyte IDL among them) and write the archive `pyflyte package` makes, for\n"
	"`flytectl register files PKG.tgz`: flat NNN_name_1.pb (TaskSpec), _2.pb (WorkflowSpec with its\n"
	"sub-workflows), _3.pb (LaunchPlan) files, in an order that lets references resolve. The same input\n"
	"always gives the same bytes.\n"
	"\n"
	"  -o, --output FILE         the archive to write (required)\n"
	"      --placeholders        write {{ registration.project }}, {{ registration.domain }} and\n"
	"                            {{ registration.version }} in every identifier, as pyflyte does\n"
	"      --project NAME        default project (default " CMP_DEFAULT_PROJECT ")\n"
	"      --domain NAME         default domain (default " CMP_DEFAULT_DOMAIN ")\n"
	"      --version V           use V as every version instead of content hashes\n"
	"      --error-format FMT    diagnostics as text (default) or json\n"
	"  -W, --warnings-as-errors  fail on warnings too\n"
	"      --color WHEN          auto, always or never\n"
	"  -q, --quiet               no summary line\n"
	"\n"
	"Exit status: 0 written, 1 errors in the specs (nothing written), 2 usage or I/O errors.\n";

struct common {
	struct cmp_options opts;
	enum fc_diag_format diag_fmt;
	const char *output, *color;
	bool quiet, placeholders;
};

/* Options shared by both commands; returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, const char *cmd, const char *usage, bool package, struct common *o)
{
	static const struct option longopts[] = {
		{"to", required_argument, NULL, 't'},
		{"output", required_argument, NULL, 'o'},
		{"project", required_argument, NULL, 'P'},
		{"domain", required_argument, NULL, 'D'},
		{"version", required_argument, NULL, 'V'},
		{"placeholders", no_argument, NULL, 'p'},
		{"error-format", required_argument, NULL, 'f'},
		{"warnings-as-errors", no_argument, NULL, 'W'},
		{"color", required_argument, NULL, 'c'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->color = "auto";
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:Wqh", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (package || strcmp(optarg, "yaml-spec")) {
				fprintf(stderr, "flytec %s: %s\n", cmd,
					package ? "--to belongs to 'flytec convert'"
						: "--to takes yaml-spec (the only format so far)");
				return CLI_EXIT_USAGE;
			}
			break;
		case 'o': o->output = optarg; break;
		case 'P': o->opts.project = optarg; break;
		case 'D': o->opts.domain = optarg; break;
		case 'V':
			if (!package) {
				fprintf(stderr, "flytec %s: --version belongs to 'flytec package'\n", cmd);
				return CLI_EXIT_USAGE;
			}
			o->opts.version = optarg;
			break;
		case 'p':
			if (!package) {
				fprintf(stderr, "flytec %s: --placeholders belongs to 'flytec package'\n", cmd);
				return CLI_EXIT_USAGE;
			}
			o->placeholders = true;
			break;
		case 'f':
			if (!strcmp(optarg, "json")) {
				o->diag_fmt = FC_DIAG_JSON;
			} else if (!strcmp(optarg, "text")) {
				o->diag_fmt = FC_DIAG_TEXT;
			} else {
				fprintf(stderr, "flytec %s: --error-format takes text or json\n", cmd);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'W': o->opts.warnings_as_errors = true; break;
		case 'c': o->color = optarg; break;
		case 'q': o->quiet = true; break;
		case 'h':
			fputs(usage, stdout);
			return CLI_EXIT_OK;
		default:
			fputs(usage, stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "flytec %s: give at least one file or directory\n\n", cmd);
		fputs(usage, stderr);
		return CLI_EXIT_USAGE;
	}
	if (package && !o->output) {
		fprintf(stderr, "flytec %s: say where the archive goes with -o PKG.tgz\n", cmd);
		return CLI_EXIT_USAGE;
	}
	return -1;
}

static void print_diags(struct cmp_session *s, const struct common *o)
{
	struct fc_buf text = FC_BUF_INIT;
	bool color = !strcmp(o->color, "always") || (!strcmp(o->color, "auto") && isatty(2) && !getenv("NO_COLOR"));

	fc_diags_render(cmp_diags(s), o->diag_fmt, color && o->diag_fmt == FC_DIAG_TEXT, &text);
	if (o->diag_fmt == FC_DIAG_JSON || text.len)
		fwrite(text.buf, 1, text.len, stderr);
	fc_buf_release(&text);
}

/* Add every PATH; false when one could not be read. */
static bool add_paths(struct cmp_session *s, int argc, char **argv)
{
	bool ok = true;
	int i;

	for (i = optind; i < argc; i++)
		if (cmp_add_path(s, argv[i]))
			ok = false;
	return ok;
}

static int write_output(const char *path, const struct fc_buf *data, const char *cmd)
{
	struct fc_err err;

	if (!path) {
		if (fwrite(data->buf, 1, data->len, stdout) != data->len || fflush(stdout)) {
			fprintf(stderr, "flytec %s: writing standard output: %s\n", cmd, strerror(errno));
			return CLI_EXIT_USAGE;
		}
		return CLI_EXIT_OK;
	}
	if (fc_write_file_atomic(path, data->buf, data->len, false, &err)) {
		fprintf(stderr, "flytec %s: %s\n", cmd, err.msg);
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

/* `-o DIR/` or `-o DIR` (an existing directory): DIR/NAME.yaml, NAME from the first input ("my-project.tgz" ->
 * "my-project"); the directory is made when missing. Otherwise `output` itself. NULL (with `err`) on failure. */
static char *convert_output_path(const char *output, const char *first_input, struct fc_err *err)
{
	static const char *const suffixes[] = {".tar.gz", ".tgz", ".tar", ".pb", ".json", ".yaml", ".yml"};
	struct fc_buf path = FC_BUF_INIT;
	struct stat st;
	size_t n = strlen(output), i;
	const char *base;
	bool dir = n && output[n - 1] == '/';

	if (!dir && stat(output, &st) == 0 && S_ISDIR(st.st_mode))
		dir = true;
	if (!dir)
		return fc_xstrdup(output);
	if (fc_mkdir_p(output, err))
		return NULL;
	while (n > 1 && output[n - 1] == '/')
		n--;
	fc_buf_add(&path, output, n);
	fc_buf_addch(&path, '/');
	n = strlen(first_input);
	while (n > 1 && first_input[n - 1] == '/')
		n--;
	for (base = first_input + n; base > first_input && base[-1] != '/'; base--)
		;
	n -= (size_t)(base - first_input);
	for (i = 0; i < FC_ARRAY_LEN(suffixes); i++) {
		size_t m = strlen(suffixes[i]);

		if (n > m && !strncmp(base + n - m, suffixes[i], m)) {
			n -= m;
			break;
		}
	}
	if (!n || (n == 1 && *base == '.'))
		fc_buf_adds(&path, "converted");
	else
		fc_buf_add(&path, base, n);
	fc_buf_adds(&path, ".yaml");
	return fc_buf_detach(&path, NULL);
}

int cmd_convert(int argc, char **argv)
{
	struct common o;
	struct cmp_convert_options copts = {false, true};
	struct cmp_convert_stats stats;
	struct cmp_session *s;
	struct fc_buf out = FC_BUF_INIT;
	struct fc_err err;
	char *path = NULL;
	int status, rc;
	bool read_ok;

	if ((status = parse_args(argc, argv, "convert", convert_usage, false, &o)) >= 0)
		return status;
	copts.explicit_project = o.opts.project || o.opts.domain;
	s = cmp_session_new(&o.opts);
	read_ok = add_paths(s, argc, argv);
	rc = cmp_convert_to_spec(s, &copts, &out, &stats, &err);
	print_diags(s, &o);
	if (rc == FC_EINVAL) {
		fprintf(stderr, "flytec convert: %s\n", err.msg);
		status = read_ok ? CLI_EXIT_SPEC : CLI_EXIT_USAGE;
		goto done;
	}
	if (rc && rc != FC_ESPEC) {
		fprintf(stderr, "flytec convert: %s\n", err.msg);
		status = CLI_EXIT_USAGE;
		goto done;
	}
	if (o.output && !(path = convert_output_path(o.output, argv[optind], &err))) {
		fprintf(stderr, "flytec convert: %s\n", err.msg);
		status = CLI_EXIT_USAGE;
		goto done;
	}
	status = write_output(path, &out, "convert");
	if (status != CLI_EXIT_OK)
		goto done; /* nothing was written: no summary */
	if (!read_ok)
		status = CLI_EXIT_USAGE;
	else if (rc == FC_ESPEC || cmp_diags(s)->nerrors)
		status = CLI_EXIT_SPEC;
	if (!o.quiet && o.diag_fmt == FC_DIAG_TEXT)
		fprintf(stderr,
			"flytec: %s%s%sconverted %zu tasks, %zu workflows, %zu launch plans (%zu folded into workflow "
			"defaults); %zu of %zu compile back to the same IDL; %zu not convertible exactly\n",
			path ? "wrote " : "", path ? path : "", path ? ": " : "", stats.tasks, stats.workflows,
			stats.launch_plans, stats.folded, stats.verified,
			stats.tasks + stats.workflows + stats.launch_plans + stats.folded, stats.not_convertible);
done:
	free(path);
	fc_buf_release(&out);
	cmp_session_free(s);
	return status;
}

int cmd_package(int argc, char **argv)
{
	struct common o;
	struct cmp_package_options popts = {false};
	struct cmp_package_stats stats;
	struct cmp_session *s;
	struct fc_buf out = FC_BUF_INIT;
	struct fc_err err;
	int status, rc;
	bool read_ok;

	if ((status = parse_args(argc, argv, "package", package_usage, true, &o)) >= 0)
		return status;
	popts.placeholders = o.placeholders;
	s = cmp_session_new(&o.opts);
	read_ok = add_paths(s, argc, argv);
	rc = read_ok ? cmp_package_write(s, &popts, &out, &stats, &err) : FC_EIO;
	print_diags(s, &o);
	if (!read_ok) {
		status = CLI_EXIT_USAGE;
	} else if (rc == FC_ESPEC) {
		fprintf(stderr, "flytec package: %s\n", err.msg);
		status = CLI_EXIT_SPEC;
	} else if (rc) {
		fprintf(stderr, "flytec package: %s\n", err.msg);
		status = CLI_EXIT_USAGE;
	} else {
		status = write_output(o.output, &out, "package");
		if (status == CLI_EXIT_OK && !o.quiet && o.diag_fmt == FC_DIAG_TEXT)
			fprintf(stderr, "flytec: wrote %s: %zu tasks, %zu workflows, %zu launch plans%s\n", o.output,
				stats.tasks, stats.workflows, stats.launch_plans,
				stats.fast_bundles ? ", and the fast-register code bundle" : "");
	}
	fc_buf_release(&out);
	cmp_session_free(s);
	return status;
}
