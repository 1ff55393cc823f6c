/* cmd_diff.c: `flytec diff OLD NEW` shows what changed between two compiled forms as a DAG diff
 * (compiler/dagdiff.h): spec directories, `-o` output directories, pyflyte packages, or a registered version on a
 * running admin. */
#include "cli/cli.h"
#include "compiler/compiler.h"
#include "compiler/dagdiff.h"
#include "core/buf.h"
#include "core/diag.h"
#include "core/err.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char diff_usage[] =
	"usage: flytec diff [options] OLD NEW\n"
	"       flytec diff [options] --admin URL KIND/NAME VERSION NEW\n"
	"\n"
	"Compile both sides and show what changed, in terms of the DAG: entities added, removed or renamed; nodes\n"
	"added, removed, renamed or changed (task, bound inputs, retries, timeout, resources, image); edges; interface\n"
	"changes; branch cases; launch plan schedules and fixed inputs. OLD and NEW are spec files or directories,\n"
	"`flytec compile -o` output directories or pyflyte packages (.tgz). With --admin, OLD is the version VERSION of\n"
	"the task, workflow or launch_plan NAME registered on the admin at URL.\n"
	"\n"
	"      --error-format FMT    text (default) or json (the diff as data; diagnostics as JSON)\n"
	"      --admin URL           take OLD from a running admin (then give KIND/NAME and VERSION before NEW)\n"
	"      --project NAME        default project (default " CMP_DEFAULT_PROJECT ")\n"
	"      --domain NAME         default domain (default " CMP_DEFAULT_DOMAIN ")\n"
	"\n"
	"Exit status: 0 no difference, 1 differences, 2 usage or I/O errors or a side that does not compile.\n";

int cli_compile_snapshots(const char *const *paths, size_t npaths, const struct cmp_options *opts,
			  enum fc_diag_format diag_fmt, struct cmp_snapshots *out)
{
	struct cmp_session *s = cmp_session_new(opts);
	struct fc_buf diag_text = FC_BUF_INIT;
	bool io_error = false;
	int rc, status;
	size_t i;

	for (i = 0; i < npaths; i++)
		if (cmp_add_path(s, paths[i]))
			io_error = true;
	rc = cmp_compile(s);
	fc_diags_render(cmp_diags(s), diag_fmt, diag_fmt == FC_DIAG_TEXT && isatty(2) && !getenv("NO_COLOR"),
			&diag_text);
	if (diag_fmt != FC_DIAG_TEXT ? rc || io_error : diag_text.len > 0)
		fwrite(diag_text.buf, 1, diag_text.len, stderr);
	status = io_error ? CLI_EXIT_USAGE : rc ? CLI_EXIT_SPEC : CLI_EXIT_OK;
	if (status == CLI_EXIT_OK)
		cmp_snapshots_add_session(out, s);
	fc_buf_release(&diag_text);
	cmp_session_free(s);
	return status;
}

int cli_print_dag_diff(const struct cmp_dag_diff *d, bool json)
{
	struct fc_buf out = FC_BUF_INIT;

	if (json) {
		json_t *j = cmp_dag_diff_to_json(d);
		char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		if (text)
			fc_buf_adds(&out, text);
		fc_buf_addch(&out, '\n');
		free(text);
		json_decref(j);
	} else {
		cmp_dag_diff_render_text(d, &out);
	}
	fwrite(out.buf, 1, out.len, stdout);
	fc_buf_release(&out);
	return fflush(stdout) ? CLI_EXIT_USAGE : CLI_EXIT_OK;
}

int cmd_diff(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"error-format", required_argument, NULL, 'f'},
		{"admin", required_argument, NULL, 'a'},
		{"project", required_argument, NULL, 'P'},
		{"domain", required_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct cmp_snapshots old_set, new_set;
	struct cmp_dag_diff d;
	struct cmp_options opts;
	enum fc_diag_format diag_fmt = FC_DIAG_TEXT;
	const char *admin = NULL;
	int c, status;

	memset(&opts, 0, sizeof(opts));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!fc_diag_format_parse(optarg, &diag_fmt) || diag_fmt == FC_DIAG_SARIF) {
				fputs("flytec diff: --error-format takes text or json\n", stderr);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'a': admin = optarg; break;
		case 'P': opts.project = optarg; break;
		case 'D': opts.domain = optarg; break;
		case 'h': fputs(diff_usage, stdout); return CLI_EXIT_OK;
		default: fputs(diff_usage, stderr); return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != (admin ? 3 : 2)) {
		fprintf(stderr, "flytec diff: give %s\n\n", admin ? "KIND/NAME, VERSION and NEW" : "OLD and NEW");
		fputs(diff_usage, stderr);
		return CLI_EXIT_USAGE;
	}
	/* --admin makes this a client of the admin API: libcurl, in flytec-full */
	if (admin && !cli_full.admin_snapshot)
		return cli_handover("'flytec diff --admin'");
	cmp_snapshots_init(&old_set);
	cmp_snapshots_init(&new_set);
	cmp_dag_diff_init(&d);
	if (admin)
		status = cli_full.admin_snapshot(admin, argv[optind], argv[optind + 1], &opts, &old_set);
	else
		status = cli_compile_snapshots((const char *const *)argv + optind, 1, &opts, diag_fmt, &old_set);
	if (status) {
		fprintf(stderr, "flytec diff: %s cannot be compared (see above)\n", admin ? "the admin's version" : argv[optind]);
		status = CLI_EXIT_USAGE;
		goto out;
	}
	status = cli_compile_snapshots((const char *const *)argv + argc - 1, 1, &opts, diag_fmt, &new_set);
	if (status) {
		fprintf(stderr, "flytec diff: %s cannot be compared (see above)\n", argv[argc - 1]);
		status = CLI_EXIT_USAGE;
		goto out;
	}
	if (admin) {
		/* only the entity asked for: keep NEW's entity of the same kind and name */
		const struct cmp_snapshot *o = old_set.nr ? &old_set.items[0] : NULL;

		cmp_dag_diff_entity(&d, o, o ? cmp_snapshots_find(&new_set, o->kind, o->name) : NULL);
	} else {
		cmp_dag_diff_sets(&d, &old_set, &new_set);
	}
	status = cli_print_dag_diff(&d, diag_fmt == FC_DIAG_JSON);
	if (!status && d.nr)
		status = CLI_EXIT_SPEC;
out:
	cmp_dag_diff_release(&d);
	cmp_snapshots_release(&old_set);
	cmp_snapshots_release(&new_set);
	return status;
}
