/* cmd_compile.c: `flytec compile` checks specs, reports every error, and writes or prints compiled IDL. */
#include "cli/cli.h"
#include "cli/cmd_k8s.h"
#include "compiler/compiler.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/diag.h"
#include "core/err.h"
#include "core/pbjson.h"
#include "core/pbpack.h"
#include "core/walk.h"
#include "core/yamljson.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char compile_usage[] =
	"usage: flytec compile [options] PATH...\n"
	"\n"
	"Compile YAML specs (files or directories, recursively) into Flyte IDL, reporting every error.\n"
	"\n"
	"  -o, --output DIR          write DIR/{tasks,workflows,launch_plans}/NAME.pb\n"
	"      --emit FORMAT         print text (default with no -o), json, yaml, dot, pb or flyteworkflow\n"
	"      --workflow NAME       with --emit: only this workflow's compiled closure\n"
	"      --error-format FMT    text (default), json or sarif (SARIF 2.1.0, for CI code scanning)\n"
	"      --project NAME        default project (default " CMP_DEFAULT_PROJECT ")\n"
	"      --domain NAME         default domain (default " CMP_DEFAULT_DOMAIN ")\n"
	"      --version V           use V as every version instead of content hashes\n"
	"      --max-file-size BYTES refuse larger files (default 64 MiB)\n"
	"      --follow-outside-links  in directories, read files that symbolic links lead to outside the\n"
	"                            directory given (skipped with a SkippedPath warning by default)\n"
	"  -W, --warnings-as-errors  fail on warnings too\n"
	"      --color WHEN          auto, always or never\n"
	"  -q, --quiet               no summary line\n"
	"\n"
	CLI_FW_USAGE
	"\n"
	"Exit status: 0 no errors, 1 errors in the specs, 2 usage or I/O errors.\n";

enum emit_format { EMIT_NONE, EMIT_TEXT, EMIT_JSON, EMIT_YAML, EMIT_DOT, EMIT_PB, EMIT_FLYTEWORKFLOW };

/* Write `msg` (or, with msg NULL, workflow `workflow` of the session, its template's bytes reused from the content
 * hash) to DIR/KIND/NAME.pb, from the packer's chunks: a 100k-node closure is ~19 MB, not held twice. */
static int write_pb(const char *dir, const char *kind, const char *name, const ProtobufCMessage *msg,
		    struct cmp_session *s, size_t workflow, struct fc_err *err)
{
	struct fc_buf path = FC_BUF_INIT;
	struct fc_pb_pieces bytes = {0};
	int rc;

	fc_buf_addf(&path, "%s/%s", dir, kind);
	rc = fc_mkdir_p(path.buf, err);
	if (rc)
		goto out;
	fc_buf_addf(&path, "/%s.pb", name);
	if (msg)
		fc_pb_pack_pieces(msg, &bytes);
	else
		cmp_workflow_pack_pieces(s, workflow, &bytes);
	rc = fc_write_file_atomicv(path.buf, bytes.pieces, bytes.npieces, false, err);
out:
	fc_pb_pieces_release(&bytes);
	fc_buf_release(&path);
	return rc;
}

static int write_outputs(struct cmp_session *s, const char *dir, struct fc_err *err)
{
	size_t i;
	int rc;

	for (i = 0; i < cmp_task_count(s); i++) {
		const struct cmp_task_result *r = cmp_task_at(s, i);

		if ((rc = write_pb(dir, "tasks", r->name, &r->compiled->base, s, 0, err)))
			return rc;
	}
	for (i = 0; i < cmp_workflow_count(s); i++) {
		const struct cmp_workflow_result *r = cmp_workflow_at(s, i);

		if ((rc = write_pb(dir, "workflows", r->name, NULL, s, i, err)))
			return rc;
	}
	for (i = 0; i < cmp_launch_plan_count(s); i++) {
		const struct cmp_launch_plan_result *r = cmp_launch_plan_at(s, i);

		if ((rc = write_pb(dir, "launch_plans", r->name, &r->launch_plan->base, s, 0, err)))
			return rc;
	}
	return FC_OK;
}

/* JSON of everything: {"tasks": {name: CompiledTask}, "workflows": {...}, "launchPlans": {...}}. */
static int all_json(struct cmp_session *s, json_t **out, struct fc_err *err)
{
	json_t *root = json_object(), *tasks = json_object(), *wfs = json_object(), *lps = json_object();
	size_t i;
	int rc = FC_OK;

	json_object_set_new(root, "tasks", tasks);
	json_object_set_new(root, "workflows", wfs);
	json_object_set_new(root, "launchPlans", lps);
	for (i = 0; i < cmp_task_count(s) && !rc; i++) {
		json_t *j = NULL;

		rc = fc_pbjson_encode(&cmp_task_at(s, i)->compiled->base, 0, &j, err);
		if (!rc)
			json_object_set_new(tasks, cmp_task_at(s, i)->name, j);
	}
	for (i = 0; i < cmp_workflow_count(s) && !rc; i++) {
		json_t *j = NULL;

		rc = fc_pbjson_encode(&cmp_workflow_at(s, i)->closure->base, 0, &j, err);
		if (!rc)
			json_object_set_new(wfs, cmp_workflow_at(s, i)->name, j);
	}
	for (i = 0; i < cmp_launch_plan_count(s) && !rc; i++) {
		json_t *j = NULL;

		rc = fc_pbjson_encode(&cmp_launch_plan_at(s, i)->launch_plan->base, 0, &j, err);
		if (!rc)
			json_object_set_new(lps, cmp_launch_plan_at(s, i)->name, j);
	}
	if (rc)
		json_decref(root);
	else
		*out = root;
	return rc;
}

static int emit(struct cmp_session *s, enum emit_format fmt, const char *workflow, struct fc_err *err)
{
	struct fc_buf out = FC_BUF_INIT;
	const ProtobufCMessage *one = NULL;
	json_t *json = NULL;
	int rc = FC_OK;

	if (workflow) {
		const struct cmp_workflow_result *r = cmp_find_workflow(s, workflow);

		if (!r)
			return fc_err_set(err, FC_ENOENT, "no workflow named '%s' compiled", workflow);
		one = &r->closure->base;
	}
	switch (fmt) {
	case EMIT_TEXT:
		cmp_render_text(s, &out);
		break;
	case EMIT_DOT:
		cmp_render_dot(s, &out);
		break;
	case EMIT_PB:
		if (!one && cmp_workflow_count(s) == 1)
			one = &cmp_workflow_at(s, 0)->closure->base;
		if (!one) {
			rc = fc_err_set(err, FC_EINVAL,
					"--emit pb prints one message: choose a workflow with --workflow NAME, or write "
					"everything with -o DIR");
			break;
		}
		fc_pb_pack(one, &out);
		break;
	case EMIT_JSON:
	case EMIT_YAML:
		if (one)
			rc = fc_pbjson_encode(one, 0, &json, err);
		else
			rc = all_json(s, &json, err);
		if (rc)
			break;
		if (fmt == EMIT_JSON) {
			rc = fc_pbjson_dump(json, FC_PBJSON_PRETTY, &out, err);
			fc_buf_addch(&out, '\n');
		} else {
			rc = fc_json_to_yaml(json, &out, err);
		}
		break;
	case EMIT_NONE:
	case EMIT_FLYTEWORKFLOW: /* cli_fw_emit() */
		break;
	}
	if (!rc && fwrite(out.buf, 1, out.len, stdout) != out.len)
		rc = fc_err_set(err, FC_EIO, "writing output: %s", strerror(errno));
	json_decref(json);
	fc_buf_release(&out);
	return rc;
}

int cmd_compile(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"emit", required_argument, NULL, 'e'},
		{"workflow", required_argument, NULL, 'w'},
		{"error-format", required_argument, NULL, 'f'},
		{"project", required_argument, NULL, 'P'},
		{"domain", required_argument, NULL, 'D'},
		{"version", required_argument, NULL, 'V'},
		{"max-file-size", required_argument, NULL, 'M'},
		{"follow-outside-links", no_argument, NULL, 'L'},
		{"warnings-as-errors", no_argument, NULL, 'W'},
		{"color", required_argument, NULL, 'c'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		CLI_FW_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	struct cli_fw_args fw;
	struct cmp_options opts;
	enum emit_format fmt = EMIT_NONE;
	enum fc_diag_format diag_fmt = FC_DIAG_TEXT;
	const char *outdir = NULL, *workflow = NULL, *color = "auto";
	struct cmp_session *s;
	struct fc_buf diag_text = FC_BUF_INIT;
	struct fc_err err;
	bool quiet = false, io_error = false;
	int c, i, rc, status;

	memset(&opts, 0, sizeof(opts));
	cli_fw_args_init(&fw);
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:Wqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': outdir = optarg; break;
		case 'e':
			if (!strcmp(optarg, "text")) fmt = EMIT_TEXT;
			else if (!strcmp(optarg, "json")) fmt = EMIT_JSON;
			else if (!strcmp(optarg, "yaml")) fmt = EMIT_YAML;
			else if (!strcmp(optarg, "dot")) fmt = EMIT_DOT;
			else if (!strcmp(optarg, "pb")) fmt = EMIT_PB;
			else if (!strcmp(optarg, "flyteworkflow")) fmt = EMIT_FLYTEWORKFLOW;
			else {
				fprintf(stderr, "flytec compile: --emit takes text, json, yaml, dot, pb or flyteworkflow, not '%s'\n", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'w': workflow = optarg; break;
		case 'f':
			if (!fc_diag_format_parse(optarg, &diag_fmt)) {
				fprintf(stderr, "flytec compile: --error-format takes text, json or sarif\n");
				return CLI_EXIT_USAGE;
			}
			break;
		case 'P': opts.project = optarg; break;
		case 'D': opts.domain = optarg; break;
		case 'V': opts.version = optarg; break;
		case 'L': opts.walk_outside = true; break;
		case 'M': {
			char *end;
			unsigned long long v = strtoull(optarg, &end, 10);

			if (*end || !v) {
				fprintf(stderr, "flytec compile: --max-file-size takes a number of bytes\n");
				return CLI_EXIT_USAGE;
			}
			opts.max_file_size = (size_t)v;
			break;
		}
		case 'W': opts.warnings_as_errors = true; break;
		case 'c': color = optarg; break;
		case 'q': quiet = true; break;
		case 'h':
			fputs(compile_usage, stdout);
			cli_fw_args_release(&fw);
			return CLI_EXIT_OK;
		default:
			if (c >= CLI_FW_OPT_EXECUTION && !cli_fw_option(&fw, c, optarg))
				break;
			if (c < CLI_FW_OPT_EXECUTION)
				fputs(compile_usage, stderr);
			cli_fw_args_release(&fw);
			return CLI_EXIT_USAGE;
		}
	}
	if (fw.used && fmt != EMIT_FLYTEWORKFLOW) {
		fputs("flytec compile: --execution, --namespace, --input, ... go with --emit flyteworkflow\n", stderr);
		cli_fw_args_release(&fw);
		return CLI_EXIT_USAGE;
	}
	if (optind >= argc) {
		fputs("flytec compile: give at least one file or directory\n\n", stderr);
		fputs(compile_usage, stderr);
		cli_fw_args_release(&fw);
		return CLI_EXIT_USAGE;
	}
	if (fmt == EMIT_NONE && !outdir)
		fmt = EMIT_TEXT;
	opts.keep_template_bytes = outdir != NULL; /* each closure is written once */
	s = cmp_session_new(&opts);
	cmp_diags(s)->tool_version = FLYTEC_VERSION;
	for (i = optind; i < argc; i++)
		if (cmp_add_path(s, argv[i]))
			io_error = true;
	rc = cmp_compile(s);
	{
		bool use_color = !strcmp(color, "always") || (!strcmp(color, "auto") && isatty(2) && !getenv("NO_COLOR"));

		fc_diags_render(cmp_diags(s), diag_fmt, use_color && diag_fmt == FC_DIAG_TEXT, &diag_text);
		if (diag_fmt != FC_DIAG_TEXT || diag_text.len)
			fwrite(diag_text.buf, 1, diag_text.len, stderr);
	}
	status = io_error ? CLI_EXIT_USAGE : rc ? CLI_EXIT_SPEC : CLI_EXIT_OK;
	if (status == CLI_EXIT_OK) {
		if (outdir && write_outputs(s, outdir, &err)) {
			fprintf(stderr, "flytec compile: %s\n", err.msg);
			status = CLI_EXIT_USAGE;
		}
		if (status == CLI_EXIT_OK && fmt == EMIT_FLYTEWORKFLOW) {
			if (cli_fw_emit(s, workflow, &fw, &err)) {
				fprintf(stderr, "flytec compile: %s\n", err.msg);
				status = CLI_EXIT_USAGE;
			}
		} else if (status == CLI_EXIT_OK && fmt != EMIT_NONE && emit(s, fmt, workflow, &err)) {
			fprintf(stderr, "flytec compile: %s\n", err.msg);
			status = err.code == FC_EIO ? CLI_EXIT_USAGE : CLI_EXIT_USAGE;
		}
	}
	if (!quiet && diag_fmt == FC_DIAG_TEXT) {
		const struct fc_diags *d = cmp_diags(s);

		if (d->nerrors || d->nwarnings)
			fprintf(stderr, "flytec: %zu error%s, %zu warning%s\n", d->nerrors, d->nerrors == 1 ? "" : "s",
				d->nwarnings, d->nwarnings == 1 ? "" : "s");
		else if (outdir || fmt != EMIT_TEXT)
			fprintf(stderr, "flytec: compiled %zu tasks, %zu workflows, %zu launch plans\n", cmp_task_count(s),
				cmp_workflow_count(s), cmp_launch_plan_count(s));
	}
	fc_buf_release(&diag_text);
	cmp_session_free(s);
	cli_fw_args_release(&fw);
	return status;
}
