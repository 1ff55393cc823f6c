/*
 * cmd_golden.c: `flytec golden check|update|review` keeps one snapshot per compiled entity beside a user's specs
 * (DIR/tasks/NAME.dag, DIR/workflows/NAME.dag, DIR/launch_plans/NAME.dag: the canonical text without versions)
 * and reports differences as a DAG diff (compiler/dagdiff.h). docs/golden.md has the details and a CI job.
 */
#include "cli/cli.h"
#include "compiler/compiler.h"
#include "compiler/dagdiff.h"
#include "core/buf.h"
#include "core/diag.h"
#include "core/err.h"
#include "core/walk.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A snapshot file is one entity's canonical text: a few KiB; 16 MiB is the compiler's limit for one entity. */
#define GOLDEN_MAX_SNAPSHOT (16u * 1024 * 1024)

static const char golden_usage[] =
	"usage: flytec golden check [options] SPECS...\n"
	"       flytec golden update [options] SPECS...\n"
	"       flytec golden review [options] SPECS...\n"
	"\n"
	"Keep a snapshot of every compiled task, workflow and launch plan (DIR/tasks/NAME.dag, DIR/workflows/NAME.dag,\n"
	"DIR/launch_plans/NAME.dag: the canonical text without versions) and compare them with what the specs compile\n"
	"to. Differences are reported as a DAG diff.\n"
	"\n"
	"  check    exit 0 when every snapshot matches, 1 with a report of what differs\n"
	"  update   write new and changed snapshots and say which\n"
	"  review   show each change and ask accept/skip (needs a terminal)\n"
	"\n"
	"      --dir DIR             where the snapshots are (default tests/dags)\n"
	"      --prune               update/review: delete snapshots whose entity no longer exists\n"
	"      --error-format FMT    text (default) or json (the report as data; diagnostics as JSON)\n"
	"      --project NAME        default project (default " CMP_DEFAULT_PROJECT ")\n"
	"      --domain NAME         default domain (default " CMP_DEFAULT_DOMAIN ")\n"
	"\n"
	"Exit status: 0 all match (or updated), 1 differences or spec errors, 2 usage or I/O errors.\n";

static const char *const golden_kinds[][2] = {
	{"launch_plan", "launch_plans"},
	{"task", "tasks"},
	{"workflow", "workflows"},
};

enum golden_mode { GOLDEN_CHECK, GOLDEN_UPDATE, GOLDEN_REVIEW };

static const char *kind_dir(const char *kind)
{
	size_t i;

	for (i = 0; i < FC_ARRAY_LEN(golden_kinds); i++)
		if (!strcmp(golden_kinds[i][0], kind))
			return golden_kinds[i][1];
	return "other";
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

/* Read every DIR/KIND/NAME.dag; a file that does not hold the entity its path names is reported and counts as
 * a difference (its snapshot is treated as missing, so `update` rewrites it). */
static int read_snapshots(const char *dir, struct cmp_snapshots *set, size_t *malformed)
{
	size_t k;

	for (k = 0; k < FC_ARRAY_LEN(golden_kinds); k++) {
		struct fc_buf path = FC_BUF_INIT;
		struct dirent *de;
		DIR *dh;

		fc_buf_addf(&path, "%s/%s", dir, golden_kinds[k][1]);
		dh = opendir(path.buf);
		if (!dh) {
			int e = errno;

			fc_buf_release(&path);
			if (e == ENOENT)
				continue;
			fprintf(stderr, "flytec golden: %s/%s: %s\n", dir, golden_kinds[k][1], strerror(e));
			return CLI_EXIT_USAGE;
		}
		while ((de = readdir(dh))) {
			struct fc_buf file = FC_BUF_INIT, text = FC_BUF_INIT;
			struct fc_err err;
			size_t before = set->nr;
			char *name;

			if (de->d_name[0] == '.' || !has_suffix(de->d_name, ".dag"))
				continue;
			fc_buf_addf(&file, "%s/%s", path.buf, de->d_name);
			if (fc_buf_read_file(&text, file.buf, GOLDEN_MAX_SNAPSHOT, &err)) {
				fprintf(stderr, "flytec golden: %s\n", err.msg);
				fc_buf_release(&file);
				fc_buf_release(&text);
				closedir(dh);
				fc_buf_release(&path);
				return CLI_EXIT_USAGE;
			}
			name = fc_xstrdup(de->d_name);
			name[strlen(name) - 4] = '\0';
			cmp_snapshots_add_text(set, text.buf, text.len);
			if (set->nr != before + 1 || strcmp(set->items[before].kind, golden_kinds[k][0]) ||
			    strcmp(set->items[before].name, name)) {
				fprintf(stderr, "flytec golden: %s does not hold the snapshot of %s '%s'; it is treated as "
						"missing\n", file.buf, golden_kinds[k][0], name);
				set->nr = before;
				(*malformed)++;
			}
			free(name);
			fc_buf_release(&file);
			fc_buf_release(&text);
		}
		closedir(dh);
		fc_buf_release(&path);
	}
	return CLI_EXIT_OK;
}

static void snapshot_path(const char *dir, const struct cmp_snapshot *snap, struct fc_buf *out)
{
	fc_buf_reset(out);
	fc_buf_addf(out, "%s/%s/%s.dag", dir, kind_dir(snap->kind), snap->name);
}

static int write_snapshot(const char *dir, const struct cmp_snapshot *snap)
{
	struct fc_buf path = FC_BUF_INIT;
	struct fc_err err;
	int rc;

	fc_buf_addf(&path, "%s/%s", dir, kind_dir(snap->kind));
	rc = fc_mkdir_p(path.buf, &err);
	if (!rc) {
		snapshot_path(dir, snap, &path);
		rc = fc_write_file_atomic(path.buf, snap->text, strlen(snap->text), false, &err);
	}
	if (rc)
		fprintf(stderr, "flytec golden: %s\n", err.msg);
	fc_buf_release(&path);
	return rc ? CLI_EXIT_USAGE : CLI_EXIT_OK;
}

/* Ask on the terminal; true for accept. *quit is set on 'q' or end of input. */
static bool ask(const char *what, bool *quit)
{
	char line[64];

	for (;;) {
		printf("%s? [a]ccept, [s]kip, [q]uit: ", what);
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin)) {
			*quit = true;
			return false;
		}
		if (line[0] == 'a' || line[0] == 'y')
			return true;
		if (line[0] == 's' || line[0] == 'n')
			return false;
		if (line[0] == 'q') {
			*quit = true;
			return false;
		}
	}
}

static int run_golden(enum golden_mode mode, const char *dir, bool prune, bool json, const char *const *paths,
		      size_t npaths, const struct cmp_options *opts, enum fc_diag_format diag_fmt)
{
	struct cmp_snapshots have, want;
	struct cmp_dag_diff all;
	struct fc_buf path = FC_BUF_INIT;
	size_t i, malformed = 0, written = 0, stale = 0, differing = 0;
	bool quit = false;
	int status;

	cmp_snapshots_init(&have);
	cmp_snapshots_init(&want);
	cmp_dag_diff_init(&all);
	status = cli_compile_snapshots(paths, npaths, opts, diag_fmt, &want);
	if (status)
		goto out;
	status = read_snapshots(dir, &have, &malformed);
	if (status)
		goto out;
	/* one entity at a time, so that update and review can act on each */
	for (i = 0; i < want.nr && !quit; i++) {
		const struct cmp_snapshot *n = &want.items[i];
		const struct cmp_snapshot *o = cmp_snapshots_find(&have, n->kind, n->name);
		struct cmp_dag_diff one;
		bool accept = mode == GOLDEN_UPDATE;

		if (o && !strcmp(o->text, n->text))
			continue;
		differing++;
		cmp_dag_diff_init(&one);
		cmp_dag_diff_entity(&one, o, n);
		cmp_dag_diff_entity(&all, o, n);
		snapshot_path(dir, n, &path);
		if (mode == GOLDEN_REVIEW) {
			cli_print_dag_diff(&one, false);
			accept = ask(o ? "update the snapshot" : "create the snapshot", &quit);
		}
		if (accept) {
			status = write_snapshot(dir, n);
			if (status) {
				cmp_dag_diff_release(&one);
				goto out;
			}
			written++;
			printf("%s %s\n", o ? "updated" : "created", path.buf);
		}
		cmp_dag_diff_release(&one);
	}
	for (i = 0; i < have.nr && !quit; i++) {
		const struct cmp_snapshot *o = &have.items[i];
		bool remove = prune && mode == GOLDEN_UPDATE;

		if (cmp_snapshots_find(&want, o->kind, o->name))
			continue;
		stale++;
		snapshot_path(dir, o, &path);
		cmp_dag_diff_entity(&all, o, NULL);
		if (prune && mode == GOLDEN_REVIEW) {
			printf("%s: the %s '%s' no longer exists\n", path.buf, o->kind, o->name);
			remove = ask("delete the snapshot", &quit);
		}
		if (remove) {
			if (unlink(path.buf)) {
				fprintf(stderr, "flytec golden: %s: %s\n", path.buf, strerror(errno));
				status = CLI_EXIT_USAGE;
				goto out;
			}
			printf("deleted %s\n", path.buf);
		} else if (mode != GOLDEN_CHECK) {
			printf("stale %s (its %s no longer exists; --prune deletes it)\n", path.buf, o->kind);
		}
	}
	if (mode == GOLDEN_CHECK) {
		if (json || all.nr)
			cli_print_dag_diff(&all, json);
		if (all.nr || malformed) {
			if (!json)
				fprintf(stderr, "flytec golden: %zu entit%s differ from the snapshots in %s%s; run 'flytec "
						"golden update' (or 'review') to accept the changes%s\n",
					all.entities_changed, all.entities_changed == 1 ? "y" : "ies", dir,
					stale ? " (snapshots of entities that no longer exist count)" : "",
					stale ? ", with --prune to delete stale snapshots" : "");
			status = CLI_EXIT_SPEC;
		} else if (!json) {
			fprintf(stderr, "flytec golden: %zu snapshots match\n", want.nr);
		}
	} else if (!json) {
		fprintf(stderr, "flytec golden: %zu snapshot%s written, %zu unchanged\n", written, written == 1 ? "" : "s",
			want.nr - differing);
	}
out:
	fc_buf_release(&path);
	cmp_dag_diff_release(&all);
	cmp_snapshots_release(&have);
	cmp_snapshots_release(&want);
	return status;
}

int cmd_golden(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"prune", no_argument, NULL, 'p'},
		{"error-format", required_argument, NULL, 'f'},
		{"project", required_argument, NULL, 'P'},
		{"domain", required_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct cmp_options opts;
	enum fc_diag_format diag_fmt = FC_DIAG_TEXT;
	enum golden_mode mode;
	const char *dir = "tests/dags";
	bool prune = false;
	int c;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(golden_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "check"))
		mode = GOLDEN_CHECK;
	else if (!strcmp(argv[1], "update"))
		mode = GOLDEN_UPDATE;
	else if (!strcmp(argv[1], "review"))
		mode = GOLDEN_REVIEW;
	else {
		fprintf(stderr, "flytec golden: '%s' is not check, update or review\n", argv[1]);
		return CLI_EXIT_USAGE;
	}
	memset(&opts, 0, sizeof(opts));
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'p': prune = true; break;
		case 'f':
			if (!fc_diag_format_parse(optarg, &diag_fmt) || diag_fmt == FC_DIAG_SARIF) {
				fputs("flytec golden: --error-format takes text or json\n", stderr);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'P': opts.project = optarg; break;
		case 'D': opts.domain = optarg; break;
		case 'h': fputs(golden_usage, stdout); return CLI_EXIT_OK;
		default: fputs(golden_usage, stderr); return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs("flytec golden: give the spec files or directories to compile\n", stderr);
		return CLI_EXIT_USAGE;
	}
	if (mode == GOLDEN_REVIEW && (!isatty(0) || !isatty(1))) {
		fputs("flytec golden review: asks on a terminal, and stdin/stdout are not one; run 'flytec golden check' "
		      "to see the changes or 'flytec golden update' to accept them all\n", stderr);
		return CLI_EXIT_USAGE;
	}
	return run_golden(mode, dir, prune, diag_fmt == FC_DIAG_JSON, (const char *const *)argv + optind,
			  (size_t)(argc - optind), &opts, diag_fmt);
}
