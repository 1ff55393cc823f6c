/*
 * compiler.h: the flytec compiler's public interface.
 *
 * A session collects inputs (YAML specs, and IDL files), compiles everything together so that references resolve
 * across files, and exposes the results as IDL messages: a CompiledTask per task, a CompiledWorkflowClosure per
 * workflow and an admin.LaunchPlan per launch plan. Every problem is a diagnostic in cmp_diags(); compilation never
 * stops at the first error. All result memory belongs to the session and is freed by cmp_session_free().
 */
#ifndef CMP_COMPILER_H
#define CMP_COMPILER_H

#include "core/fc.h"
#include "core/limits.h"
#include "core/yaml.h"

#include "flyteidl/admin/launch_plan.pb-c.h"
#include "flyteidl/core/compiler.pb-c.h"
#include "flyteidl/core/literals.pb-c.h"
#include "flyteidl/core/types.pb-c.h"

struct fc_arena;
struct fc_buf;
struct fc_diags;
struct fc_err;
struct fc_source;

#define CMP_DEFAULT_PROJECT "flytesnacks"
#define CMP_DEFAULT_DOMAIN "development"
#define CMP_MAX_FILE_SIZE FC_LIMIT_CMP_FILE_SIZE /* core/limits.h */

struct cmp_options {
	const char *project; /* default project for specs that name none (CMP_DEFAULT_PROJECT when NULL) */
	const char *domain;  /* default domain (CMP_DEFAULT_DOMAIN when NULL) */
	const char *version; /* force every version; NULL: content hash */
	/* Entities whose identifier already carries a version keep it, and so do references to them (the admin's API
	 * registers what the client named); entities without one get `version` or the content hash. */
	bool keep_versions;
	size_t max_file_size;               /* 0: CMP_MAX_FILE_SIZE */
	struct fc_yaml_limits yaml_limits;  /* zeros: defaults */
	bool warnings_as_errors;
	bool walk_outside; /* directory inputs: read files that symbolic links lead to outside the directory */
	/* Keep each workflow template's bytes from its content hash for cmp_workflow_pack_pieces (a 100k-node
	 * template is ~19 MB, held until the session is freed or the closure packed): for a caller that writes every
	 * closure once, as `flytec compile -o` does. */
	bool keep_template_bytes;
	/* More names offered as did-you-mean hints when a reference does not resolve, besides the session's own,
	 * indexed by enum cmp_name_kind (an editor that re-checks part of a workspace passes the names the rest of it
	 * defines, so the hint is the one a whole compile gives). Borrowed; may repeat the session's names. */
	struct cmp_name_list {
		const char *const *names;
		size_t n;
	} extra_hints[3];
};

/* What cmp_each_name() reports, and the index of cmp_options.extra_hints. A workflow's default launch plan is
 * named like the workflow (its hints are the launch plans' and the workflows' names). */
enum cmp_name_kind { CMP_NAME_TASK, CMP_NAME_WORKFLOW, CMP_NAME_LAUNCH_PLAN };

/* What a launch plan's schedule does after downtime and while a previous run is still going (flytec's own
 * additions; Flyte's IDL has no place for them, see docs/schedules.md). */
enum cmp_catchup { CMP_CATCHUP_LATEST = 0, CMP_CATCHUP_ALL, CMP_CATCHUP_NONE };
enum cmp_concurrency {
	CMP_CONCURRENCY_ALLOW = 0,
	CMP_CONCURRENCY_SKIP,
	CMP_CONCURRENCY_REPLACE,
	CMP_CONCURRENCY_BUFFER_ONE,   /* one slot waits for the running execution; later ones are skipped */
	CMP_CONCURRENCY_BUFFER_ALL,   /* every slot waits, in order, up to max_buffered; the rest are skipped */
	CMP_CONCURRENCY_CANCEL_OTHER, /* terminate the running execution, wait for it to end, then start */
};

struct cmp_schedule_policy {
	enum cmp_catchup catchup;
	uint32_t max_catchup;          /* most slots fired at once after downtime (0: default 100) */
	int64_t catchup_window_seconds; /* slots older than this are not caught up (0: default 1 day) */
	enum cmp_concurrency concurrency;
	int dst_repeat;                 /* enum fc_cron_dst_repeat: 0 auto (cron users' default), first, last, both */
	int dst_skip;                   /* enum fc_cron_dst_skip: 0 shift (fire at the transition), skip */
	int64_t jitter_ms;              /* fire up to this much after each slot, per plan (0: none) */
	uint32_t max_buffered;          /* buffer_all: most slots waiting at once (0: default SCH_DEFAULT_MAX_BUFFERED) */
	uint32_t pause_on_failure;      /* pause after this many consecutive failed scheduled runs (0: never) */
};

struct cmp_task_result {
	const char *name;                 /* spec name */
	const char *file;                 /* source file */
	Flyteidl__Core__CompiledTask *compiled;
	const char *description; /* the spec's `description:` (or a TaskSpec's short_description); NULL if none */
};

struct cmp_workflow_result {
	const char *name;
	const char *file;
	Flyteidl__Core__CompiledWorkflowClosure *closure;
	const char *description; /* as for a task */
};

struct cmp_launch_plan_result {
	const char *name;
	const char *file;
	Flyteidl__Admin__LaunchPlan *launch_plan; /* id + spec (+ closure with expected inputs/outputs) */
	bool active;                              /* the spec asks to be activated on registration */
	bool implicit;                            /* the default plan every workflow gets (named like it) */
	struct cmp_schedule_policy policy;
};

/* A fast-register code bundle (`pyflyte package --fast` puts the code in the package as fast<digest>.tar.gz). The
 * compiler does not read it; it keeps it so that `flytec package` writes it again and a registration can store it
 * (flytectl uploads it and substitutes {{ .remote_package_path }} in the tasks' arguments with where it went). */
struct cmp_fast_bundle {
	const char *name;   /* fast<digest>.tar.gz */
	const char *source; /* where it was found ("pkg.tgz:fastabc.tar.gz") */
	const char *data;
	size_t len;
};

struct cmp_session;

struct cmp_session *cmp_session_new(const struct cmp_options *opts);
void cmp_session_free(struct cmp_session *s);

/* Add a file, or a directory (recursively: *.yaml, *.yml, and the IDL forms). I/O errors become diagnostics too;
 * the return value is FC_EIO / FC_ENOENT for them so a CLI can exit 2. */
int cmp_add_path(struct cmp_session *s, const char *path);
/* Whether a file of this name is one the compiler reads in a directory: YAML specs, protobuf files, pyflyte archives
 * (.tgz, .tar.gz, .tar) and, `with_json`, JSON IDL files. The watched repository uses the same rule without JSON. */
bool cmp_is_source_name(const char *name, bool with_json);
/* Add an in-memory source; takes ownership of `text` (malloc'd, NUL-terminated, `len` bytes). */
int cmp_add_source_take(struct cmp_session *s, const char *path, char *text, size_t len);

/*
 * For incremental checking (the language server): call `fn` for every entity the sources added so far define
 * (`defines` true) and every entity name they refer to (node targets, a launch plan's workflow), with the path of
 * the source. Call it before cmp_compile(): the default launch plans are not there yet (they are named like
 * their workflow).
 */
typedef void (*cmp_name_fn)(void *ctx, const char *path, bool defines, enum cmp_name_kind kind, const char *name);
void cmp_each_name(struct cmp_session *s, cmp_name_fn fn, void *ctx);

/*
 * After cmp_compile(): call `fn` for every source with a digest (SHA-256) of what other files can see of the
 * entities it defines: their names, whether each compiled, their interfaces and declared defaults, a launch plan's
 * expected inputs and outputs. When an edit leaves a file's digest as it was, the files that use it compile as
 * before (an editor re-checks only the edited file then).
 */
typedef void (*cmp_digest_fn)(void *ctx, const char *path, const unsigned char digest[32]);
void cmp_each_file_digest(struct cmp_session *s, cmp_digest_fn fn, void *ctx);

/* Compile everything added. Returns FC_OK, or FC_ESPEC when there are errors (see cmp_diags()). */
int cmp_compile(struct cmp_session *s);

struct fc_diags *cmp_diags(struct cmp_session *s);
struct fc_arena *cmp_arena(struct cmp_session *s);

size_t cmp_task_count(const struct cmp_session *s);
const struct cmp_task_result *cmp_task_at(const struct cmp_session *s, size_t i);
size_t cmp_workflow_count(const struct cmp_session *s);
const struct cmp_workflow_result *cmp_workflow_at(const struct cmp_session *s, size_t i);
struct fc_pb_pieces;
/* Pack workflow i's closure into pieces (core/pbpack.h), with its template's bytes kept from the content hash
 * spliced in when cmp_options.keep_template_bytes was set: the same bytes as fc_pb_pack_pieces, the template not
 * packed again. The kept bytes are used once; packing the closure again packs everything. */
void cmp_workflow_pack_pieces(struct cmp_session *s, size_t i, struct fc_pb_pieces *out);
size_t cmp_launch_plan_count(const struct cmp_session *s);
const struct cmp_launch_plan_result *cmp_launch_plan_at(const struct cmp_session *s, size_t i);
size_t cmp_fast_bundle_count(const struct cmp_session *s);
const struct cmp_fast_bundle *cmp_fast_bundle_at(const struct cmp_session *s, size_t i);
/* Find by spec name (NULL when absent). */
const struct cmp_workflow_result *cmp_find_workflow(const struct cmp_session *s, const char *name);
const struct cmp_launch_plan_result *cmp_find_launch_plan(const struct cmp_session *s, const char *name);

/* The canonical text rendering of every result (deterministic; made for golden files), and Graphviz DOT. */
void cmp_render_text(struct cmp_session *s, struct fc_buf *out);
void cmp_render_dot(struct cmp_session *s, struct fc_buf *out);

/* Render a type compactly ("list<integer>", "blob<csv>", "optional<string>"). */
void cmp_type_render(const Flyteidl__Core__LiteralType *type, struct fc_buf *out);

#endif
