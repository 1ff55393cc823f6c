/*
 * cmp_int.h: what the compiler's modules share. Not for use outside compiler/.
 *
 * The compiler's IR is the IDL itself: front ends build TaskTemplate / WorkflowTemplate / LaunchPlanSpec messages
 * in the session's arena, and a side table (the locmap) remembers where in which file each message came from, so
 * that checks written against the IDL can still report file:line:col.
 */
#ifndef CMP_INT_H
#define CMP_INT_H

#include "compiler/compiler.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/diag.h"
#include "core/err.h"
#include "core/pbpack.h"
#include "core/strmap.h"
#include "core/yaml.h"

#include "flyteidl/admin/launch_plan.pb-c.h"
#include "flyteidl/admin/schedule.pb-c.h"
#include "flyteidl/core/compiler.pb-c.h"
#include "flyteidl/core/condition.pb-c.h"
#include "flyteidl/core/identifier.pb-c.h"
#include "flyteidl/core/interface.pb-c.h"
#include "flyteidl/core/literals.pb-c.h"
#include "flyteidl/core/tasks.pb-c.h"
#include "flyteidl/core/types.pb-c.h"
#include "flyteidl/core/workflow.pb-c.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"

typedef Flyteidl__Core__LiteralType cmp_type;
typedef Flyteidl__Core__Literal cmp_literal;

#define CMP_START_NODE "start-node"
#define CMP_END_NODE "end-node"

/* Allocate and initialise an IDL message in the arena. */
void *cmp_new_msg(struct fc_arena *a, const ProtobufCMessageDescriptor *desc);
#define CMP_NEW(a, T, desc) ((T *)cmp_new_msg((a), &(desc)))
/* Append to a protobuf-c repeated field (n_field + field): grows by copying into the arena (doubling). */
void cmp_push(struct fc_arena *a, void ***items, size_t *n, void *item);
#define CMP_PUSH(a, arr, n, item) cmp_push((a), (void ***)&(arr), &(n), (item))

/* --- positions --------------------------------------------------------------------------------------------- */
/* Pointer-keyed map: IR message -> its position (struct fc_loc *) or its pending YAML literal. */
struct cmp_ptrmap {
	const void **keys;
	void **values;
	size_t cap, size;
};
void cmp_ptrmap_put(struct cmp_ptrmap *m, const void *key, void *value);
void *cmp_ptrmap_get(const struct cmp_ptrmap *m, const void *key);
void cmp_ptrmap_release(struct cmp_ptrmap *m);

/* Literals awaiting their type, in the order the front end met them. Validation asks for them in about that order,
 * so a cursor finds each with one comparison (a pointer map cost a cache miss for each put and get: ~4% of a
 * 100k-node compile with one literal per node); a map by BindingData is built for the first question out of
 * order and answers the rest. */
struct cmp_pending {
	struct cmp_pending_item {
		const void *bd;
		const struct fc_ynode *value; /* NULL once converted */
	} *items;
	size_t n, alloc, cursor;
	struct cmp_ptrmap index; /* bd -> item number + 1, when built */
	bool indexed;
};

/*
 * Positions of IR objects (util.c): (object, packed position) pairs appended as the front ends remember them and
 * sorted by address only when a position is asked for. A compile remembers ~7 positions per node and asks for a
 * handful unless it reports errors, so remembering is an append (16 bytes, no hashing, no rehash) and the table
 * is sorted about once. Three levels keep lookups and merges bounded when questions and new positions alternate
 * (a file full of errors): the unsorted tail (scanned, at most CMP_LOCS_TAIL), a sorted side run of at most
 * about sqrt(n) entries, and the sorted main run; a later position for the same object replaces the earlier.
 */
struct cmp_locs {
	struct cmp_loc_entry {
		const void *key;
		uint64_t packed;
	} *main, *side, *tail;
	size_t nmain, nside, ntail;
	size_t main_alloc, side_alloc, tail_alloc;
};

/* --- entities ---------------------------------------------------------------------------------------------- */
enum cmp_kind { CMP_KIND_TASK, CMP_KIND_WORKFLOW, CMP_KIND_LAUNCH_PLAN };
enum cmp_state { CMP_NEW_ENTITY, CMP_RESOLVING, CMP_DONE, CMP_FAILED };

/* A default value declared in a YAML interface, converted once the type is known. */
struct cmp_default {
	const char *var;
	const struct fc_ynode *value;
	cmp_literal *literal;
};

struct cmp_entity {
	enum cmp_kind kind;
	const char *name;
	const char *project;
	const char *domain;
	const char *file;
	struct fc_loc loc;
	enum cmp_state state;
	const char *version;
	bool from_idl; /* read from protobuf / JSON IDL rather than a YAML spec */
	const char *description; /* task or workflow: the spec's `description:` or the IDL's short_description */

	/* task */
	Flyteidl__Core__TaskTemplate *task;
	Flyteidl__Core__CompiledTask *compiled_task;

	/* workflow */
	Flyteidl__Core__WorkflowTemplate *workflow;
	Flyteidl__Core__CompiledWorkflow *compiled_workflow;
	Flyteidl__Core__CompiledWorkflowClosure *closure;
	/* the template's fields after its identifier, packed for the content hash and kept for the output when
	 * cmp_options.keep_template_bytes (cmp_workflow_pack_pieces splices them in) */
	struct fc_pb_ahead template_bytes;

	/* task and workflow interfaces may carry defaults (YAML specs only) */
	struct cmp_default *defaults;
	size_t ndefaults;

	/* launch plan */
	Flyteidl__Admin__LaunchPlan *launch_plan;
	const char *lp_workflow_name;         /* workflow the plan launches */
	const struct fc_ynode *lp_fixed;      /* mapping of fixed inputs */
	const struct fc_ynode *lp_defaults;   /* mapping of default inputs */
	const struct fc_ynode *lp_schedule;   /* schedule mapping */
	bool lp_active;
	bool lp_implicit;                     /* the default plan made for a workflow */
	struct cmp_schedule_policy lp_policy;
	struct cmp_entity *lp_workflow;
};

struct cmp_session {
	struct cmp_options opts;
	struct fc_arena arena;
	struct fc_diags diags;
	struct fc_source **sources;
	size_t nsources, sources_alloc;
	struct cmp_locs locs;      /* message -> its position (util.c) */
	struct cmp_pending pending; /* BindingData -> const struct fc_ynode * (YAML literal awaiting its type) */

	struct cmp_entity **entities;
	size_t nentities, entities_alloc;
	struct fc_strmap tasks, workflows, launch_plans; /* name -> entity */

	struct cmp_task_result *task_results;
	size_t ntask_results;
	struct cmp_workflow_result *workflow_results;
	size_t nworkflow_results;
	struct cmp_launch_plan_result *lp_results;
	size_t nlp_results;
	bool compiled;
	unsigned walking; /* inside a directory walk: unrelated JSON files are skipped, not errors */
	struct cmp_fast_bundle *fast; /* code bundles found in packages (data: the source's text) */
	size_t nfast, fast_alloc;
	struct cmp_duplicate {   /* definitions of a name defined before (not entities; cmp_each_name() lists them) */
		enum cmp_kind kind;
		const char *name, *file;
	} *duplicates;
	size_t nduplicates, duplicates_alloc;
	size_t entities_seen; /* definitions read, duplicates of earlier ones included (a file that adds none is
			       * reported) */
};

struct cmp_entity *cmp_entity_new(struct cmp_session *s, enum cmp_kind kind, const char *name, struct fc_loc loc);
const char *cmp_kind_name(enum cmp_kind kind);
/* The did-you-mean hint for an entity name that does not resolve: the closest name of that kind in the session
 * or in the options' extra_hints (NULL when nothing is close). */
const char *cmp_entity_hint(struct cmp_session *s, enum cmp_kind kind, const char *word);

/* Diagnostics at the position recorded for `obj` (or `fallback` when it has none). */
struct fc_diag *cmp_error_at(struct cmp_session *s, const void *obj, const void *fallback, const char *code,
			     const char *fmt, ...) FC_PRINTF(5, 6);
struct fc_diag *cmp_warn_at(struct cmp_session *s, const void *obj, const void *fallback, const char *code,
			    const char *fmt, ...) FC_PRINTF(5, 6);
struct fc_loc cmp_loc_of(struct cmp_session *s, const void *obj, const void *fallback);
/* Whether a position was remembered for `obj`. */
bool cmp_has_loc(struct cmp_session *s, const void *obj);
void cmp_locs_release(struct cmp_locs *l);
struct fc_loc cmp_ynode_loc(struct fc_source *src, const struct fc_ynode *n);
void cmp_remember(struct cmp_session *s, const void *obj, struct fc_source *src, const struct fc_ynode *n);
void cmp_set_loc(struct cmp_session *s, const void *obj, struct fc_loc loc);
/* Register a source with the session (owned by it from now on). */
void cmp_add_source(struct cmp_session *s, struct fc_source *src);

/* Pending YAML literals attached to BindingData. */
/* A binding's YAML literal awaiting its type (set once per BindingData, by the front end), and forgetting it once
 * converted. */
void cmp_set_pending(struct cmp_session *s, Flyteidl__Core__BindingData *bd, const struct fc_ynode *value);
const struct fc_ynode *cmp_get_pending(struct cmp_session *s, const Flyteidl__Core__BindingData *bd);
void cmp_clear_pending(struct cmp_session *s, const Flyteidl__Core__BindingData *bd);
void cmp_pending_release(struct cmp_pending *p);

/* --- front ends -------------------------------------------------------------------------------------------- */
/* YAML specs: adds entities for every task, workflow and launch plan in the file. */
void cmp_spec_load(struct cmp_session *s, struct fc_source *src);
/* IDL files (protobuf, JSON, tar/tar.gz packages, fast-register bundles), told by content as well as by name:
 * false when the file is for the YAML front end. */
bool cmp_idl_load(struct cmp_session *s, struct fc_source *src);
/* A YAML document holding an IDL message (a WorkflowClosure etc.): loads it and returns true. */
bool cmp_idl_yaml_doc(struct cmp_session *s, struct fc_source *src, const struct fc_ynode *root);

/* --- types (types.c) --------------------------------------------------------------------------------------- */
/* Parse a type written in a spec ("list<integer>", {blob: {format: csv}}, ...). Reports errors; NULL on error. */
cmp_type *cmp_type_parse(struct cmp_session *s, struct fc_source *src, const struct fc_ynode *n);
cmp_type *cmp_type_simple(struct fc_arena *a, Flyteidl__Core__SimpleType simple);
cmp_type *cmp_type_collection(struct fc_arena *a, cmp_type *elem);
bool cmp_types_castable(const cmp_type *upstream, const cmp_type *downstream);
bool cmp_types_equal(const cmp_type *a, const cmp_type *b);
bool cmp_type_is_none(const cmp_type *t);
bool cmp_type_is_optional(const cmp_type *t);
/* The type of a scalar value (Flyte's literalTypeForScalar); NULL when it has none. */
cmp_type *cmp_type_of_scalar(struct fc_arena *a, const Flyteidl__Core__Scalar *scalar);
/* The type name in a compact form, in the arena (for messages). */
const char *cmp_type_str(struct fc_arena *a, const cmp_type *t);

/* --- literals (literal.c) ---------------------------------------------------------------------------------- */
/* Convert a YAML value to a literal of `type`. On error fills `why` (a message) and sets *bad to the node at
 * fault; returns NULL. */
cmp_literal *cmp_literal_from_ynode(struct fc_arena *a, const cmp_type *type, const struct fc_ynode *n,
				    struct fc_buf *why, const struct fc_ynode **bad);
Flyteidl__Core__Scalar *cmp_scalar_from_ynode(struct fc_arena *a, const cmp_type *type, const struct fc_ynode *n,
					      struct fc_buf *why, const struct fc_ynode **bad);
Google__Protobuf__Struct *cmp_struct_from_ynode(struct fc_arena *a, const struct fc_ynode *n, struct fc_buf *why,
						const struct fc_ynode **bad);
Google__Protobuf__Duration *cmp_duration_msg(struct fc_arena *a, int64_t nanos);
/* The YAML core-schema type of a plain scalar: "null", "bool", "int", "float" or "str". */
const char *cmp_yaml_scalar_kind(const struct fc_ynode *n);

/* --- workflows (workflow.c) -------------------------------------------------------------------------------- */
bool cmp_compile_task(struct cmp_session *s, struct cmp_entity *e);
bool cmp_compile_workflow(struct cmp_session *s, struct cmp_entity *e);
bool cmp_compile_launch_plan(struct cmp_session *s, struct cmp_entity *e);
/* Make sure an entity is compiled (dependencies first); false if it failed. */
bool cmp_ensure(struct cmp_session *s, struct cmp_entity *e);
struct cmp_entity *cmp_lookup(struct cmp_session *s, enum cmp_kind kind, const Flyteidl__Core__Identifier *id);

/* --- conditions (expr.c) ----------------------------------------------------------------------------------- */
/*
 * Parse a branch condition ("inputs.x > 5 and (n0.o0 == 'a' or inputs.b == true)"). Operand references become
 * Operand.var names registered through `add_ref(ctx, node_id, var, loc)`, which returns the branch-input name
 * to use. NULL on error (reported).
 */
typedef const char *(*cmp_ref_fn)(void *ctx, const char *node_id, const char *var, struct fc_loc loc);
Flyteidl__Core__BooleanExpression *cmp_expr_parse(struct cmp_session *s, struct fc_source *src,
						  const struct fc_ynode *n, cmp_ref_fn add_ref, void *ctx);

/* --- helpers (util.c) --------------------------------------------------------------------------------------- */
bool cmp_valid_name(const char *s);     /* task / workflow / launch plan names */
bool cmp_valid_node_id(const char *s);
bool cmp_valid_var_name(const char *s);
/* Closest candidate by edit distance, or NULL when nothing is close. */
const char *cmp_did_you_mean(const char *word, const char *const *candidates, size_t n);
Flyteidl__Core__Variable *cmp_var_find(const Flyteidl__Core__VariableMap *vm, const char *name);
void cmp_var_add(struct fc_arena *a, Flyteidl__Core__VariableMap *vm, const char *name, Flyteidl__Core__Variable *v);
Flyteidl__Core__VariableMap *cmp_varmap_new(struct fc_arena *a);
Flyteidl__Core__Identifier *cmp_ident(struct fc_arena *a, Flyteidl__Core__ResourceType rt, const char *project,
				      const char *domain, const char *name, const char *version);
const char *cmp_ident_str(struct fc_arena *a, const Flyteidl__Core__Identifier *id);
/* Sort a VariableMap's entries by key (for deterministic output). */
void cmp_varmap_sort(Flyteidl__Core__VariableMap *vm);
/* Walk an IDL message and every message inside it (repeated elements, the set member of a oneof) through the
 * descriptors, so no field of a newer IDL is missed. `message` is called for each, parents first; `repeated`
 * (optional) for each repeated message field after its elements were walked. */
enum cmp_visit { CMP_VISIT_CHILDREN, CMP_VISIT_SKIP, CMP_VISIT_STOP };
struct cmp_visitor {
	enum cmp_visit (*message)(void *ctx, ProtobufCMessage *m); /* SKIP: not its sub-messages; STOP: end */
	void (*repeated)(void *ctx, const ProtobufCFieldDescriptor *f, ProtobufCMessage **items, size_t n);
	void *ctx;
	unsigned max_depth; /* messages nested deeper are not visited */
};
/* false when a visit said CMP_VISIT_STOP. */
bool cmp_visit_messages(ProtobufCMessage *m, const struct cmp_visitor *v);
/* Content hash of a message: the first 20 hex digits of SHA-256 over `salt` and its packed bytes. */
const char *cmp_hash_msg(struct fc_arena *a, const ProtobufCMessage *msg, const char *salt);
/* The same in two steps: the first packs (streamed, never in one buffer) and returns the packed size, which the
 * caller may check before it asks for the hash; with `h` NULL it only measures. */
struct fc_sha256;
size_t cmp_hash_begin(struct fc_sha256 *h, const char *salt, const ProtobufCMessage *msg);
/* The same over a message whose later fields were packed ahead (the same bytes). */
size_t cmp_hash_begin_ahead(struct fc_sha256 *h, const char *salt, const struct fc_pb_ahead *a);
const char *cmp_hash_end(struct fc_arena *a, struct fc_sha256 *h);
/* Ends a hash begun and not wanted after all (its state holds memory until it is finished). NULL: nothing. */
void cmp_hash_discard(struct fc_sha256 *h);

#endif
