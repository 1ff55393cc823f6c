/* session.c: a compilation session: inputs, the entity registry, dependency order, versions and results. */
#include "compiler/cmp_int.h"
#include "compiler/explain.h"
#include "core/pbpack.h"
#include "core/sha256.h"
#include "core/walk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *cmp_kind_name(enum cmp_kind kind)
{
	switch (kind) {
	case CMP_KIND_TASK: return "task";
	case CMP_KIND_WORKFLOW: return "workflow";
	case CMP_KIND_LAUNCH_PLAN: return "launch plan";
	}
	return "entity";
}

static struct fc_strmap *kind_map(struct cmp_session *s, enum cmp_kind kind)
{
	return kind == CMP_KIND_TASK ? &s->tasks : kind == CMP_KIND_WORKFLOW ? &s->workflows : &s->launch_plans;
}

struct cmp_session *cmp_session_new(const struct cmp_options *opts)
{
	struct cmp_session *s = fc_xcalloc(1, sizeof(*s));

	if (opts)
		s->opts = *opts;
	if (!s->opts.max_file_size)
		s->opts.max_file_size = CMP_MAX_FILE_SIZE;
	fc_arena_init(&s->arena, 256 * 1024);
	fc_diags_init(&s->diags);
	s->diags.rule_help = cmp_explain_summary;
	return s;
}

void cmp_session_free(struct cmp_session *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nentities; i++) {
		free(s->entities[i]->defaults);
		fc_pb_ahead_release(&s->entities[i]->template_bytes);
	}
	free(s->entities);
	free(s->duplicates);
	free(s->fast);
	for (i = 0; i < s->nsources; i++)
		fc_source_free(s->sources[i]);
	free(s->sources);
	fc_strmap_release(&s->tasks);
	fc_strmap_release(&s->workflows);
	fc_strmap_release(&s->launch_plans);
	cmp_locs_release(&s->locs);
	cmp_pending_release(&s->pending);
	free(s->task_results);
	free(s->workflow_results);
	free(s->lp_results);
	fc_diags_release(&s->diags);
	fc_arena_release(&s->arena);
	free(s);
}

struct cmp_entity *cmp_entity_new(struct cmp_session *s, enum cmp_kind kind, const char *name, struct fc_loc loc)
{
	struct fc_strmap *m = kind_map(s, kind);
	struct cmp_entity *prev = fc_strmap_get(m, name);
	struct cmp_entity *e;

	if (prev) {
		s->entities_seen++;
		struct fc_diag *dg = fc_diag_add(&s->diags, FC_SEV_ERROR, "DuplicateDefinition", loc,
						 "%s '%s' is defined twice", cmp_kind_name(kind), name);

		fc_diag_note(dg, prev->loc, "'%s' is first defined here", name);
		FC_ALLOC_GROW(s->duplicates, s->nduplicates + 1, s->duplicates_alloc);
		s->duplicates[s->nduplicates++] = (struct cmp_duplicate){kind, fc_arena_strdup(&s->arena, name),
									 loc.src ? loc.src->path : ""};
		return NULL;
	}
	s->entities_seen++;
	e = fc_arena_alloc(&s->arena, sizeof(*e));
	e->kind = kind;
	e->name = fc_arena_strdup(&s->arena, name);
	e->loc = loc;
	e->file = loc.src ? loc.src->path : "";
	fc_strmap_put(m, e->name, e);
	FC_ALLOC_GROW(s->entities, s->nentities + 1, s->entities_alloc);
	s->entities[s->nentities++] = e;
	return e;
}

const char *cmp_entity_hint(struct cmp_session *s, enum cmp_kind kind, const char *word)
{
	const struct fc_strmap *m = kind_map(s, kind);
	const struct cmp_name_list *extra = &s->opts.extra_hints[kind];
	const char **names = fc_xmalloc((m->size + extra->n + 1) * sizeof(*names));
	const char *hint;
	size_t i, n = 0;

	for (i = 0; i < m->cap; i++)
		if (m->slots[i].key)
			names[n++] = m->slots[i].key;
	for (i = 0; i < extra->n; i++)
		names[n++] = extra->names[i];
	hint = cmp_did_you_mean(word, names, n);
	free(names);
	return hint;
}

/* Identifiers inside an entity's template are the names it refers to. */
struct name_walk {
	cmp_name_fn fn;
	void *ctx;
	const struct cmp_entity *e;
};

static enum cmp_visit name_visit(void *ctx, ProtobufCMessage *m)
{
	struct name_walk *nw = ctx;
	const Flyteidl__Core__Identifier *id;

	if (m->descriptor != &flyteidl__core__identifier__descriptor)
		return CMP_VISIT_CHILDREN;
	id = (const Flyteidl__Core__Identifier *)m;
	if (!id->name || !*id->name)
		return CMP_VISIT_SKIP;
	switch (id->resource_type) {
	case FLYTEIDL__CORE__RESOURCE_TYPE__TASK: nw->fn(nw->ctx, nw->e->file, false, CMP_NAME_TASK, id->name); break;
	case FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW:
		nw->fn(nw->ctx, nw->e->file, false, CMP_NAME_WORKFLOW, id->name);
		break;
	case FLYTEIDL__CORE__RESOURCE_TYPE__LAUNCH_PLAN:
		nw->fn(nw->ctx, nw->e->file, false, CMP_NAME_LAUNCH_PLAN, id->name);
		break;
	default: break;
	}
	return CMP_VISIT_SKIP;
}

void cmp_each_name(struct cmp_session *s, cmp_name_fn fn, void *ctx)
{
	struct name_walk nw = {fn, ctx, NULL};
	struct cmp_visitor v = {name_visit, NULL, &nw, 1000};
	size_t i;

	for (i = 0; i < s->nentities; i++) {
		const struct cmp_entity *e = s->entities[i];

		nw.e = e;
		fn(ctx, e->file, true, (enum cmp_name_kind)e->kind, e->name);
		if (e->kind == CMP_KIND_WORKFLOW && e->workflow)
			cmp_visit_messages(&e->workflow->base, &v);
		else if (e->kind == CMP_KIND_LAUNCH_PLAN && e->launch_plan && e->launch_plan->spec)
			cmp_visit_messages(&e->launch_plan->spec->base, &v);
		else if (e->kind == CMP_KIND_LAUNCH_PLAN && e->lp_workflow_name)
			fn(ctx, e->file, false, CMP_NAME_WORKFLOW, e->lp_workflow_name);
	}
	for (i = 0; i < s->nduplicates; i++)
		fn(ctx, s->duplicates[i].file, true, (enum cmp_name_kind)s->duplicates[i].kind, s->duplicates[i].name);
}

static void digest_msg(struct fc_sha256 *h, const ProtobufCMessage *msg)
{
	struct fc_buf packed = FC_BUF_INIT;
	uint64_t len = msg ? fc_pb_pack(msg, &packed) : 0;

	fc_sha256_update(h, &len, sizeof(len));
	fc_sha256_update(h, packed.buf, len);
	fc_buf_release(&packed);
}

void cmp_each_file_digest(struct cmp_session *s, cmp_digest_fn fn, void *ctx)
{
	struct fc_strmap by_file = FC_STRMAP_INIT;
	unsigned char digest[FC_SHA256_LEN];
	size_t i, j;

	for (i = 0; i < s->nentities; i++) {
		const struct cmp_entity *e = s->entities[i];
		struct fc_sha256 *h = fc_strmap_get(&by_file, e->file);
		unsigned char head[2] = {(unsigned char)e->kind, e->state == CMP_DONE};

		if (!h) {
			h = fc_xmalloc(sizeof(*h));
			fc_sha256_init(h);
			fc_strmap_put(&by_file, e->file, h);
		}
		fc_sha256_update(h, head, sizeof(head));
		fc_sha256_update(h, e->name, strlen(e->name) + 1);
		if (e->kind == CMP_KIND_TASK && e->task)
			digest_msg(h, e->task->interface ? &e->task->interface->base : NULL);
		else if (e->kind == CMP_KIND_WORKFLOW && e->workflow)
			digest_msg(h, e->workflow->interface ? &e->workflow->interface->base : NULL);
		else if (e->kind == CMP_KIND_LAUNCH_PLAN && e->launch_plan && e->launch_plan->closure) {
			const Flyteidl__Admin__LaunchPlanClosure *c = e->launch_plan->closure;

			digest_msg(h, c->expected_inputs ? &c->expected_inputs->base : NULL);
			digest_msg(h, c->expected_outputs ? &c->expected_outputs->base : NULL);
		}
		for (j = 0; j < e->ndefaults; j++) {
			fc_sha256_update(h, e->defaults[j].var, strlen(e->defaults[j].var) + 1);
			digest_msg(h, e->defaults[j].literal ? &e->defaults[j].literal->base : NULL);
		}
	}
	for (i = 0; i < s->nsources; i++) {
		struct fc_sha256 *h = fc_strmap_get(&by_file, s->sources[i]->path);
		struct fc_sha256 empty;

		if (!h) {
			fc_sha256_init(&empty);
			h = &empty;
		}
		fc_sha256_final(h, digest);
		fn(ctx, s->sources[i]->path, digest);
		if (h != &empty) {
			fc_strmap_put(&by_file, s->sources[i]->path, NULL);
			free(h);
		}
	}
	for (i = 0; i < by_file.cap; i++) /* entities of no source (none today) */
		free(by_file.slots[i].value);
	fc_strmap_release(&by_file);
}

struct cmp_entity *cmp_lookup(struct cmp_session *s, enum cmp_kind kind, const Flyteidl__Core__Identifier *id)
{
	if (!id || !id->name)
		return NULL;
	return fc_strmap_get(kind_map(s, kind), id->name);
}

/* --- inputs ------------------------------------------------------------------------------------------------ */
void cmp_add_source(struct cmp_session *s, struct fc_source *src)
{
	FC_ALLOC_GROW(s->sources, s->nsources + 1, s->sources_alloc);
	src->index = (uint32_t)s->nsources;
	s->sources[s->nsources++] = src;
}

static bool has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), m = strlen(suffix);

	return n > m && !strcmp(name + n - m, suffix);
}

int cmp_add_source_take(struct cmp_session *s, const char *path, char *text, size_t len)
{
	struct fc_source *src = fc_source_new_take(path, text, len);
	size_t seen = s->entities_seen, errors = s->diags.nerrors, bundles = s->nfast;

	cmp_add_source(s, src);
	if (!cmp_idl_load(s, src))
		cmp_spec_load(s, src);
	/* A file that defines nothing is worth a word (an empty spec, tasks the front end could not see...); unrelated
	 * JSON in a walked directory is skipped quietly. */
	if (s->entities_seen == seen && s->diags.nerrors == errors && s->nfast == bundles &&
	    !(s->walking && has_suffix(path, ".json"))) {
		struct fc_loc loc = {src, 0, 0};

		fc_diag_add(&s->diags, FC_SEV_WARNING, "NoEntities", loc,
			    "defines no task, workflow or launch plan");
	}
	return FC_OK;
}

bool cmp_is_source_name(const char *name, bool with_json)
{
	return has_suffix(name, ".yaml") || has_suffix(name, ".yml") || has_suffix(name, ".pb") ||
	       has_suffix(name, ".tgz") || has_suffix(name, ".tar.gz") || has_suffix(name, ".tar") ||
	       (with_json && has_suffix(name, ".json"));
}

/* What a directory walk reads: specs, and the IDL forms (JSON only as *.json holding a Flyte message). */
static bool is_spec_file(const char *name)
{
	return cmp_is_source_name(name, true);
}

static int add_file(struct cmp_session *s, const char *path)
{
	struct fc_buf buf = FC_BUF_INIT;
	struct fc_err err;
	struct fc_loc loc = {NULL, 0, 0};
	char *text;
	size_t len;
	int rc;

	rc = fc_buf_read_file(&buf, path, s->opts.max_file_size, &err);
	if (rc) {
		fc_diag_add(&s->diags, FC_SEV_ERROR, rc == FC_ELIMIT ? "FileTooLarge" : "IOError", loc, "%s", err.msg);
		fc_buf_release(&buf);
		return rc == FC_ELIMIT ? FC_OK : rc;
	}
	text = fc_buf_detach(&buf, &len);
	return cmp_add_source_take(s, path, text, len);
}

struct dir_walk {
	struct cmp_session *s;
	const char *root;
	int rc; /* the first I/O error */
};

static int walk_file(void *ctx, const char *path, const char *rel, const struct stat *st)
{
	struct dir_walk *dw = ctx;
	const char *base = strrchr(rel, '/');
	int rc;

	(void)st;
	if (!is_spec_file(base ? base + 1 : rel))
		return FC_OK;
	rc = add_file(dw->s, path);
	if (rc && !dw->rc)
		dw->rc = rc;
	return FC_OK;
}

static void walk_warn(void *ctx, const char *rel, const char *why)
{
	struct dir_walk *dw = ctx;
	struct fc_loc loc = {NULL, 0, 0};

	fc_diag_add(&dw->s->diags, FC_SEV_WARNING, "SkippedPath", loc, "%s%s%s: %s", dw->root,
		    dw->root[strlen(dw->root) - 1] == '/' ? "" : "/", rel, why);
}

/* A directory input: the shared walker (core/walk.h) enters each directory once and, unless the options say
 * otherwise, reads nothing whose real path is outside the directory given. */
static int add_dir(struct cmp_session *s, const char *path)
{
	struct dir_walk dw = {s, path, FC_OK};
	struct fc_walk_options wo = {!s->opts.walk_outside, walk_file, walk_warn, &dw};
	struct fc_loc loc = {NULL, 0, 0};
	struct fc_err err;
	int rc;

	rc = fc_walk(path, "", &wo, &err);
	if (rc) {
		fc_diag_add(&s->diags, FC_SEV_ERROR, "IOError", loc, "%s", err.msg);
		return rc == FC_ENOENT ? FC_ENOENT : FC_EIO;
	}
	return dw.rc;
}

int cmp_add_path(struct cmp_session *s, const char *path)
{
	struct stat st;
	struct fc_loc loc = {NULL, 0, 0};

	if (stat(path, &st) < 0) {
		fc_diag_add(&s->diags, FC_SEV_ERROR, "IOError", loc, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? FC_ENOENT : FC_EIO;
	}
	if (S_ISDIR(st.st_mode)) {
		int rc;

		s->walking++;
		rc = add_dir(s, path);
		s->walking--;
		return rc;
	}
	return add_file(s, path);
}

/* --- dependency order and versions ------------------------------------------------------------------------- */
/* `hash` (NULL when wants_hash() said no) holds the content hash as entity_size_ok() began it, over the bytes with
 * the identifier's version as it was: finished as it is when that version was empty (an empty version packs to
 * nothing), discarded and begun again without the version otherwise. */
static void set_version(struct cmp_session *s, struct cmp_entity *e, Flyteidl__Core__Identifier *id,
			const ProtobufCMessage *content, struct fc_sha256 *hash)
{
	if (!hash) {
		if (!(s->opts.keep_versions && id->version && *id->version))
			id->version = (char *)s->opts.version; /* else kept as given */
	} else if (!id->version || !*id->version) {
		id->version = (char *)cmp_hash_end(&s->arena, hash);
	} else {
		cmp_hash_discard(hash);
		id->version = (char *)"";
		id->version = (char *)cmp_hash_msg(&s->arena, content, cmp_kind_name(e->kind));
	}
	e->version = id->version;
}

/* Whether set_version() will hash the content. */
static bool wants_hash(const struct cmp_session *s, const Flyteidl__Core__Identifier *id)
{
	return !(s->opts.keep_versions && id->version && *id->version) && !s->opts.version;
}

/* A compiled entity is stored, sent and copied whole: refuse one larger than the limit (core/limits.h). Its bytes
 * are packed once, streamed into its content hash (`hash`; NULL: none wanted) as they are measured. */
static bool entity_size_ok(struct cmp_session *s, struct cmp_entity *e, const ProtobufCMessage *content,
			   struct fc_sha256 *hash)
{
	const ProtobufCFieldDescriptor *first = content->descriptor->n_fields ? &content->descriptor->fields[0] : NULL;
	size_t size;

	/* A workflow template's fields after its identifier (the one thing set_version changes) are kept for the
	 * output, packed once */
	if (s->opts.keep_template_bytes && e->kind == CMP_KIND_WORKFLOW && first && first->id == 1 &&
	    first->type == PROTOBUF_C_TYPE_MESSAGE && first->descriptor == &flyteidl__core__identifier__descriptor) {
		fc_pb_pack_ahead(content, 1, &e->template_bytes);
		size = cmp_hash_begin_ahead(hash, cmp_kind_name(e->kind), &e->template_bytes);
	} else {
		size = cmp_hash_begin(hash, cmp_kind_name(e->kind), content);
	}
	if (size <= FC_LIMIT_CMP_ENTITY_SIZE)
		return true;
	fc_pb_ahead_release(&e->template_bytes);
	cmp_hash_discard(hash);
	cmp_error_at(s, e, NULL, "EntityTooLarge",
		     "%s '%s' compiles to %zu bytes, more than the limit of %u bytes for one entity (it is stored, "
		     "sent and run as one message; large data belongs in inputs or blobs, not in defaults or fixed "
		     "inputs)",
		     cmp_kind_name(e->kind), e->name, size, FC_LIMIT_CMP_ENTITY_SIZE);
	return false;
}

bool cmp_ensure(struct cmp_session *s, struct cmp_entity *e)
{
	struct fc_sha256 hash, *h;
	bool ok = false;

	switch (e->state) {
	case CMP_DONE:
		return true;
	case CMP_FAILED:
		return false;
	case CMP_RESOLVING:
		cmp_error_at(s, e, NULL, "RecursiveReference",
			     "%s '%s' refers back to itself through its nodes (directly or through other workflows or "
			     "launch plans)",
			     cmp_kind_name(e->kind), e->name);
		return false;
	case CMP_NEW_ENTITY:
		break;
	}
	e->state = CMP_RESOLVING;
	switch (e->kind) {
	case CMP_KIND_TASK:
		ok = cmp_compile_task(s, e);
		h = ok && wants_hash(s, e->task->id) ? &hash : NULL;
		ok = ok && entity_size_ok(s, e, &e->task->base, h);
		if (ok)
			set_version(s, e, e->task->id, &e->task->base, h);
		break;
	case CMP_KIND_WORKFLOW:
		ok = cmp_compile_workflow(s, e);
		h = ok && wants_hash(s, e->workflow->id) ? &hash : NULL;
		ok = ok && entity_size_ok(s, e, &e->workflow->base, h);
		if (ok)
			set_version(s, e, e->workflow->id, &e->workflow->base, h);
		break;
	case CMP_KIND_LAUNCH_PLAN:
		ok = cmp_compile_launch_plan(s, e);
		h = ok && wants_hash(s, e->launch_plan->id) ? &hash : NULL;
		ok = ok && entity_size_ok(s, e, &e->launch_plan->spec->base, h);
		if (ok)
			set_version(s, e, e->launch_plan->id, &e->launch_plan->spec->base, h);
		break;
	}
	e->state = ok ? CMP_DONE : CMP_FAILED;
	return ok;
}

/* --- closures ---------------------------------------------------------------------------------------------- */
struct closure_acc {
	struct cmp_session *s;
	struct fc_strmap seen_tasks, seen_wfs, seen_lps;
	Flyteidl__Core__CompiledWorkflowClosure *c;
};

static void collect_node(struct closure_acc *acc, const Flyteidl__Core__Node *n, unsigned depth);

static void collect_workflow(struct closure_acc *acc, struct cmp_entity *wf, bool primary, unsigned depth)
{
	size_t i;

	if (!primary) {
		if (fc_strmap_has(&acc->seen_wfs, wf->name))
			return;
		fc_strmap_put(&acc->seen_wfs, wf->name, wf);
		CMP_PUSH(&acc->s->arena, acc->c->sub_workflows, acc->c->n_sub_workflows, wf->compiled_workflow);
	}
	for (i = 0; i < wf->workflow->n_nodes; i++)
		collect_node(acc, wf->workflow->nodes[i], depth + 1);
	if (wf->workflow->failure_node)
		collect_node(acc, wf->workflow->failure_node, depth + 1);
}

static void collect_node(struct closure_acc *acc, const Flyteidl__Core__Node *n, unsigned depth)
{
	struct cmp_session *s = acc->s;
	struct cmp_entity *t;
	size_t i;

	if (!n || depth > 1000)
		return;
	switch (n->target_case) {
	case FLYTEIDL__CORE__NODE__TARGET_TASK_NODE:
		t = cmp_lookup(s, CMP_KIND_TASK, n->task_node->reference_id);
		if (t && t->compiled_task && !fc_strmap_has(&acc->seen_tasks, t->name)) {
			fc_strmap_put(&acc->seen_tasks, t->name, t);
			CMP_PUSH(&s->arena, acc->c->tasks, acc->c->n_tasks, t->compiled_task);
		}
		break;
	case FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE:
		if (n->workflow_node->reference_case == FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_SUB_WORKFLOW_REF) {
			t = cmp_lookup(s, CMP_KIND_WORKFLOW, n->workflow_node->sub_workflow_ref);
			if (t && t->compiled_workflow)
				collect_workflow(acc, t, false, depth);
		} else {
			t = cmp_lookup(s, CMP_KIND_LAUNCH_PLAN, n->workflow_node->launchplan_ref);
			if (t && t->launch_plan && t->lp_workflow && !fc_strmap_has(&acc->seen_lps, t->name)) {
				Flyteidl__Core__CompiledLaunchPlan *clp = CMP_NEW(&s->arena, Flyteidl__Core__CompiledLaunchPlan,
										  flyteidl__core__compiled_launch_plan__descriptor);

				fc_strmap_put(&acc->seen_lps, t->name, t);
				clp->template_ = CMP_NEW(&s->arena, Flyteidl__Core__LaunchPlanTemplate,
							 flyteidl__core__launch_plan_template__descriptor);
				clp->template_->id = t->launch_plan->id;
				clp->template_->interface = CMP_NEW(&s->arena, Flyteidl__Core__TypedInterface,
								    flyteidl__core__typed_interface__descriptor);
				clp->template_->interface->inputs = t->lp_workflow->workflow->interface->inputs;
				clp->template_->interface->outputs = t->lp_workflow->workflow->interface->outputs;
				clp->template_->fixed_inputs = t->launch_plan->spec->fixed_inputs;
				CMP_PUSH(&s->arena, acc->c->launch_plans, acc->c->n_launch_plans, clp);
			}
		}
		break;
	case FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE:
		if (n->branch_node->if_else) {
			const Flyteidl__Core__IfElseBlock *ie = n->branch_node->if_else;

			if (ie->case_)
				collect_node(acc, ie->case_->then_node, depth + 1);
			for (i = 0; i < ie->n_other; i++)
				collect_node(acc, ie->other[i]->then_node, depth + 1);
			if (ie->default_case == FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ELSE_NODE)
				collect_node(acc, ie->else_node, depth + 1);
		}
		break;
	case FLYTEIDL__CORE__NODE__TARGET_ARRAY_NODE:
		collect_node(acc, n->array_node->node, depth + 1);
		break;
	default:
		break;
	}
}

static int by_task_name(const void *a, const void *b)
{
	const Flyteidl__Core__CompiledTask *const *x = a, *const *y = b;

	return strcmp((*x)->template_->id->name, (*y)->template_->id->name);
}

static int by_wf_name(const void *a, const void *b)
{
	const Flyteidl__Core__CompiledWorkflow *const *x = a, *const *y = b;

	return strcmp((*x)->template_->id->name, (*y)->template_->id->name);
}

static Flyteidl__Core__CompiledWorkflowClosure *make_closure(struct cmp_session *s, struct cmp_entity *wf)
{
	struct closure_acc acc;

	memset(&acc, 0, sizeof(acc));
	acc.s = s;
	acc.c = CMP_NEW(&s->arena, Flyteidl__Core__CompiledWorkflowClosure, flyteidl__core__compiled_workflow_closure__descriptor);
	acc.c->primary = wf->compiled_workflow;
	fc_strmap_put(&acc.seen_wfs, wf->name, wf);
	collect_workflow(&acc, wf, true, 0);
	if (acc.c->n_tasks > 1)
		qsort(acc.c->tasks, acc.c->n_tasks, sizeof(acc.c->tasks[0]), by_task_name);
	if (acc.c->n_sub_workflows > 1)
		qsort(acc.c->sub_workflows, acc.c->n_sub_workflows, sizeof(acc.c->sub_workflows[0]), by_wf_name);
	fc_strmap_release(&acc.seen_tasks);
	fc_strmap_release(&acc.seen_wfs);
	fc_strmap_release(&acc.seen_lps);
	return acc.c;
}

/* Every workflow gets a default launch plan of the same name, as flytekit registers one. */
static void add_default_launch_plans(struct cmp_session *s)
{
	size_t i, n = s->nentities;

	for (i = 0; i < n; i++) {
		struct cmp_entity *wf = s->entities[i], *lp;

		if (wf->kind != CMP_KIND_WORKFLOW || fc_strmap_has(&s->launch_plans, wf->name))
			continue;
		lp = cmp_entity_new(s, CMP_KIND_LAUNCH_PLAN, wf->name, wf->loc);
		lp->project = wf->project;
		lp->domain = wf->domain;
		lp->lp_implicit = true;
		lp->lp_workflow_name = wf->name;
		lp->launch_plan = CMP_NEW(&s->arena, Flyteidl__Admin__LaunchPlan, flyteidl__admin__launch_plan__descriptor);
		lp->launch_plan->id = cmp_ident(&s->arena, FLYTEIDL__CORE__RESOURCE_TYPE__LAUNCH_PLAN, wf->project,
						wf->domain, wf->name, "");
		lp->launch_plan->spec = CMP_NEW(&s->arena, Flyteidl__Admin__LaunchPlanSpec, flyteidl__admin__launch_plan_spec__descriptor);
		lp->launch_plan->spec->workflow_id = cmp_ident(&s->arena, FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW,
							       wf->project, wf->domain, wf->name, "");
		cmp_set_loc(s, lp, cmp_loc_of(s, wf, NULL));
	}
}

int cmp_compile(struct cmp_session *s)
{
	size_t i;

	if (s->compiled)
		return s->diags.nerrors ? FC_ESPEC : FC_OK;
	s->compiled = true;
	add_default_launch_plans(s);
	for (i = 0; i < s->nentities; i++)
		cmp_ensure(s, s->entities[i]);
	s->task_results = fc_xcalloc(s->nentities + 1, sizeof(*s->task_results));
	s->workflow_results = fc_xcalloc(s->nentities + 1, sizeof(*s->workflow_results));
	s->lp_results = fc_xcalloc(s->nentities + 1, sizeof(*s->lp_results));
	for (i = 0; i < s->nentities; i++) {
		struct cmp_entity *e = s->entities[i];

		if (e->state != CMP_DONE)
			continue;
		switch (e->kind) {
		case CMP_KIND_TASK:
			s->task_results[s->ntask_results++] = (struct cmp_task_result){e->name, e->file, e->compiled_task,
											 e->description};
			break;
		case CMP_KIND_WORKFLOW:
			e->closure = make_closure(s, e);
			s->workflow_results[s->nworkflow_results++] =
				(struct cmp_workflow_result){e->name, e->file, e->closure, e->description};
			break;
		case CMP_KIND_LAUNCH_PLAN: {
			struct cmp_launch_plan_result *r = &s->lp_results[s->nlp_results++];

			r->name = e->name;
			r->file = e->file;
			r->launch_plan = e->launch_plan;
			r->active = e->lp_active;
			r->policy = e->lp_policy;
			r->implicit = e->lp_implicit;
			break;
		}
		}
	}
	fc_diags_sort(&s->diags);
	if (s->opts.warnings_as_errors && s->diags.nwarnings)
		return FC_ESPEC;
	return s->diags.nerrors ? FC_ESPEC : FC_OK;
}

struct fc_diags *cmp_diags(struct cmp_session *s)
{
	return &s->diags;
}

struct fc_arena *cmp_arena(struct cmp_session *s)
{
	return &s->arena;
}

size_t cmp_task_count(const struct cmp_session *s)
{
	return s->ntask_results;
}

const struct cmp_task_result *cmp_task_at(const struct cmp_session *s, size_t i)
{
	return i < s->ntask_results ? &s->task_results[i] : NULL;
}

size_t cmp_workflow_count(const struct cmp_session *s)
{
	return s->nworkflow_results;
}

const struct cmp_workflow_result *cmp_workflow_at(const struct cmp_session *s, size_t i)
{
	return i < s->nworkflow_results ? &s->workflow_results[i] : NULL;
}

void cmp_workflow_pack_pieces(struct cmp_session *s, size_t i, struct fc_pb_pieces *out)
{
	const struct cmp_workflow_result *r = cmp_workflow_at(s, i);
	struct cmp_entity *e = r ? fc_strmap_get(&s->workflows, r->name) : NULL;

	if (!r)
		FC_BUG("cmp_workflow_pack_pieces: no workflow %zu", i);
	if (e && e->template_bytes.chunks && r->closure->primary && r->closure->primary->template_ == e->workflow &&
	    &e->workflow->base == e->template_bytes.msg)
		fc_pb_pack_pieces_with(&r->closure->base, &e->template_bytes, out);
	else
		fc_pb_pack_pieces(&r->closure->base, out);
	if (e)
		fc_pb_ahead_release(&e->template_bytes); /* used, or not wanted any more */
}

size_t cmp_launch_plan_count(const struct cmp_session *s)
{
	return s->nlp_results;
}

const struct cmp_launch_plan_result *cmp_launch_plan_at(const struct cmp_session *s, size_t i)
{
	return i < s->nlp_results ? &s->lp_results[i] : NULL;
}

size_t cmp_fast_bundle_count(const struct cmp_session *s)
{
	return s->nfast;
}

const struct cmp_fast_bundle *cmp_fast_bundle_at(const struct cmp_session *s, size_t i)
{
	return i < s->nfast ? &s->fast[i] : NULL;
}

const struct cmp_workflow_result *cmp_find_workflow(const struct cmp_session *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nworkflow_results; i++)
		if (!strcmp(s->workflow_results[i].name, name))
			return &s->workflow_results[i];
	return NULL;
}

const struct cmp_launch_plan_result *cmp_find_launch_plan(const struct cmp_session *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nlp_results; i++)
		if (!strcmp(s->lp_results[i].name, name))
			return &s->lp_results[i];
	return NULL;
}
