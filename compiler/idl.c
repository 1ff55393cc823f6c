/*
 * idl.c: the IDL front ends. flytekit's `pyflyte package` archives and files (admin.TaskSpec, admin.WorkflowSpec,
 * admin.LaunchPlan as binary protobuf), core.WorkflowClosure and CompiledWorkflowClosure as protobuf, proto3
 * JSON or YAML. They become the same entities the YAML specs make, so references resolve across both and every
 * check runs on them. Registration placeholders and empty identifier fields are filled from the session's
 * project, domain and version.
 */
#include "compiler/cmp_int.h"
#include "core/pbdepth.h"
#include "core/pbjson.h"
#include "core/pbpack.h"
#include "core/yamljson.h"

#include "flyteidl/admin/task.pb-c.h"
#include "flyteidl/admin/workflow.pb-c.h"
#include "flyteidl/core/workflow_closure.pb-c.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

/* Archive limits and their reasons: core/limits.h. */
#define IDL_MAX_ENTRIES FC_LIMIT_CMP_ARCHIVE_ENTRIES
#define IDL_MAX_ENTRY_SIZE FC_LIMIT_CMP_ARCHIVE_ENTRY_SIZE
#define IDL_MAX_ARCHIVE_TOTAL FC_LIMIT_CMP_ARCHIVE_TOTAL

static struct fc_loc file_loc(struct fc_source *src)
{
	struct fc_loc loc = {src, 0, 0};

	return loc;
}

/* --- identifiers ------------------------------------------------------------------------------------------- */
static bool is_placeholder(const char *s, const char *what)
{
	/* "{{ registration.project }}", tolerant of spacing */
	const char *p = s;
	size_t n = strlen(what);

	if (!s || strncmp(p, "{{", 2))
		return false;
	p += 2;
	while (*p == ' ')
		p++;
	if (strncmp(p, "registration.", 13))
		return false;
	p += 13;
	if (strncmp(p, what, n))
		return false;
	p += n;
	while (*p == ' ')
		p++;
	return !strcmp(p, "}}");
}

static void fill_identifier(struct cmp_session *s, Flyteidl__Core__Identifier *id)
{
	const char *project = s->opts.project ? s->opts.project : CMP_DEFAULT_PROJECT;
	const char *domain = s->opts.domain ? s->opts.domain : CMP_DEFAULT_DOMAIN;

	if (!id->project || !*id->project || is_placeholder(id->project, "project"))
		id->project = (char *)project;
	if (!id->domain || !*id->domain || is_placeholder(id->domain, "domain"))
		id->domain = (char *)domain;
	/* Versions are assigned after compiling (content hash, or --version). */
	if (!id->version || is_placeholder(id->version, "version"))
		id->version = (char *)"";
}

/* Fill every Identifier inside a message (node references, launch plan workflow ids, sub-workflows...). */
static enum cmp_visit fill_one_identifier(void *ctx, ProtobufCMessage *m)
{
	if (m->descriptor != &flyteidl__core__identifier__descriptor)
		return CMP_VISIT_CHILDREN;
	fill_identifier(ctx, (Flyteidl__Core__Identifier *)m);
	return CMP_VISIT_SKIP;
}

static void walk_identifiers(struct cmp_session *s, ProtobufCMessage *m)
{
	const struct cmp_visitor v = {fill_one_identifier, NULL, s, 200};

	cmp_visit_messages(m, &v);
}

/* --- entities ---------------------------------------------------------------------------------------------- */
/* A map entry message (protobuf-c represents `map<K, V>` as repeated `...Entry {key = 1; value = 2}`). */
static bool is_map_entry(const ProtobufCMessageDescriptor *d)
{
	size_t n = strlen(d->name);

	return d->n_fields == 2 && n > 5 && !strcmp(d->name + n - 5, "Entry") && !strcmp(d->fields[0].name, "key") &&
	       !strcmp(d->fields[1].name, "value");
}

/* Map keys in a deterministic order: strings by bytes; other key types (none in Flyte's IDL) by their stored bytes,
 * which is all canonical bytes need. */
static int entry_key_cmp(const void *a, const void *b, void *arg)
{
	const ProtobufCFieldDescriptor *key = arg;
	const char *x = (const char *)*(ProtobufCMessage *const *)a + key->offset;
	const char *y = (const char *)*(ProtobufCMessage *const *)b + key->offset;
	size_t size;

	if (key->type == PROTOBUF_C_TYPE_STRING) {
		const char *sx = *(char *const *)x, *sy = *(char *const *)y;

		return strcmp(sx ? sx : "", sy ? sy : "");
	}
	switch (key->type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: size = 8; break;
	case PROTOBUF_C_TYPE_BOOL: size = sizeof(protobuf_c_boolean); break;
	default: size = 4; break;
	}
	return memcmp(x, y, size);
}

static enum cmp_visit visit_all(void *ctx, ProtobufCMessage *m)
{
	(void)ctx;
	(void)m;
	return CMP_VISIT_CHILDREN;
}

static void sort_map(void *ctx, const ProtobufCFieldDescriptor *f, ProtobufCMessage **items, size_t n)
{
	const ProtobufCMessageDescriptor *entry = f->descriptor;

	(void)ctx;
	if (n > 1 && is_map_entry(entry))
		qsort_r(items, n, sizeof(*items), entry_key_cmp, (void *)&entry->fields[0]);
}

/* Put every map (google.protobuf.Struct's fields included) in key order, so that equal messages pack to equal
 * bytes. Protobuf leaves the order of map entries on the wire unspecified, and flytekit writes them in whatever
 * order a Python dict had. */
static void canonicalize(ProtobufCMessage *m)
{
	const struct cmp_visitor v = {visit_all, sort_map, NULL, 200};

	cmp_visit_messages(m, &v);
}

/* The canonical bytes of a message: a copy with its maps sorted, packed (deterministic packing). */
static uint8_t *canonical_bytes(const ProtobufCMessage *m, struct fc_arena *scratch, size_t *len)
{
	struct fc_buf raw = FC_BUF_INIT, out = FC_BUF_INIT;
	ProtobufCMessage *copy;

	fc_pb_pack(m, &raw);
	copy = protobuf_c_message_unpack(m->descriptor, fc_arena_pb_allocator(scratch), raw.len,
					 (const uint8_t *)raw.buf);
	if (!copy) {
		/* cannot happen for a message we packed; compare the raw bytes then */
		return (uint8_t *)fc_buf_detach(&raw, len);
	}
	fc_buf_release(&raw);
	canonicalize(copy);
	fc_pb_pack(copy, &out);
	return (uint8_t *)fc_buf_detach(&out, len);
}

/* Equal messages, whatever the order of their map entries and Struct keys. */
static bool same_message(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	struct fc_arena scratch;
	uint8_t *x, *y;
	size_t la, lb;
	bool same;

	if (a->descriptor != b->descriptor)
		return false;
	fc_arena_init(&scratch, 64 * 1024);
	x = canonical_bytes(a, &scratch, &la);
	y = canonical_bytes(b, &scratch, &lb);
	same = la == lb && !memcmp(x, y, la);
	free(x);
	free(y);
	fc_arena_release(&scratch);
	return same;
}

/* The nodes of a template without the start-node and end-node a compiled template carries. */
static void strip_start_end(struct cmp_session *s, Flyteidl__Core__WorkflowTemplate *w)
{
	Flyteidl__Core__Node **nodes = fc_arena_array(&s->arena, w->n_nodes ? w->n_nodes : 1, sizeof(*nodes));
	size_t i, n = 0;

	for (i = 0; i < w->n_nodes; i++)
		if (!w->nodes[i]->id || (strcmp(w->nodes[i]->id, CMP_START_NODE) && strcmp(w->nodes[i]->id, CMP_END_NODE)))
			nodes[n++] = w->nodes[i];
	w->nodes = nodes;
	w->n_nodes = n;
}

static void add_task(struct cmp_session *s, struct fc_source *src, Flyteidl__Core__TaskTemplate *t)
{
	struct cmp_entity *e, *prev;

	if (!t || !t->id || !t->id->name || !*t->id->name) {
		fc_diag_add(&s->diags, FC_SEV_ERROR, "ValueRequired", file_loc(src), "a task template has no id or name");
		return;
	}
	walk_identifiers(s, &t->base);
	s->entities_seen++;
	prev = fc_strmap_get(&s->tasks, t->id->name);
	if (prev && prev->task && prev->state == CMP_NEW_ENTITY && same_message(&prev->task->base, &t->base))
		return; /* the same task shipped twice (in several closures, or maps written in another order) */
	e = cmp_entity_new(s, CMP_KIND_TASK, t->id->name, file_loc(src));
	if (!e)
		return;
	e->project = t->id->project;
	e->domain = t->id->domain;
	e->task = t;
	e->from_idl = true;
	cmp_set_loc(s, t, e->loc);
	cmp_set_loc(s, e, e->loc);
}

static void add_workflow(struct cmp_session *s, struct fc_source *src, Flyteidl__Core__WorkflowTemplate *w)
{
	struct cmp_entity *e, *prev;

	if (!w || !w->id || !w->id->name || !*w->id->name) {
		fc_diag_add(&s->diags, FC_SEV_ERROR, "ValueRequired", file_loc(src), "a workflow template has no id or name");
		return;
	}
	walk_identifiers(s, &w->base);
	s->entities_seen++;
	/* A compiled template already has start-node and end-node: compile from the user's nodes only. */
	strip_start_end(s, w);
	/* pyflyte ships a sub-workflow in its parent's sub_workflows and as its own _2.pb: the same workflow */
	prev = fc_strmap_get(&s->workflows, w->id->name);
	if (prev && prev->workflow && prev->state == CMP_NEW_ENTITY && same_message(&prev->workflow->base, &w->base))
		return;
	e = cmp_entity_new(s, CMP_KIND_WORKFLOW, w->id->name, file_loc(src));
	if (!e)
		return;
	e->project = w->id->project;
	e->domain = w->id->domain;
	e->workflow = w;
	e->from_idl = true;
	cmp_set_loc(s, w, e->loc);
	cmp_set_loc(s, e, e->loc);
}

static void add_launch_plan(struct cmp_session *s, struct fc_source *src, Flyteidl__Admin__LaunchPlan *lp)
{
	struct cmp_entity *e, *prev;

	if (!lp || !lp->id || !lp->id->name || !*lp->id->name || !lp->spec) {
		fc_diag_add(&s->diags, FC_SEV_ERROR, "ValueRequired", file_loc(src),
			    "a launch plan has no id, name or spec");
		return;
	}
	walk_identifiers(s, &lp->base);
	s->entities_seen++;
	prev = fc_strmap_get(&s->launch_plans, lp->id->name);
	if (prev && prev->launch_plan && prev->from_idl && prev->state == CMP_NEW_ENTITY &&
	    prev->lp_active == (lp->closure && lp->closure->state == FLYTEIDL__ADMIN__LAUNCH_PLAN_STATE__ACTIVE)) {
		Flyteidl__Admin__LaunchPlanClosure *closure = lp->closure;
		bool same;

		lp->closure = NULL;
		same = same_message(&prev->launch_plan->base, &lp->base);
		lp->closure = closure;
		if (same)
			return;
	}
	e = cmp_entity_new(s, CMP_KIND_LAUNCH_PLAN, lp->id->name, file_loc(src));
	if (!e)
		return;
	e->project = lp->id->project;
	e->domain = lp->id->domain;
	e->launch_plan = lp;
	e->from_idl = true;
	e->lp_workflow_name = lp->spec->workflow_id ? lp->spec->workflow_id->name : "";
	e->lp_active = lp->closure && lp->closure->state == FLYTEIDL__ADMIN__LAUNCH_PLAN_STATE__ACTIVE;
	lp->closure = NULL; /* recomputed */
	cmp_set_loc(s, lp, e->loc);
	cmp_set_loc(s, e, e->loc);
}

/* A map entry whose message value is missing (protobuf allows it; the checks assume every entry has one): the
 * walk stops at the first and keeps its key. */
static enum cmp_visit find_empty_map_value(void *ctx, ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char **bad_key = ctx;

	if (d->n_fields == 2 && !strcmp(d->fields[0].name, "key") && !strcmp(d->fields[1].name, "value") &&
	    d->fields[1].type == PROTOBUF_C_TYPE_MESSAGE && !*(ProtobufCMessage *const *)((const char *)m + d->fields[1].offset)) {
		*bad_key = d->fields[0].type == PROTOBUF_C_TYPE_STRING ? *(char *const *)((const char *)m + d->fields[0].offset)
								       : "?";
		return CMP_VISIT_STOP;
	}
	return CMP_VISIT_CHILDREN;
}

/* The key of a map entry without its value, or NULL when every entry has one. */
static const char *empty_map_value(ProtobufCMessage *m)
{
	const char *bad_key = NULL;
	const struct cmp_visitor v = {find_empty_map_value, NULL, &bad_key, 200};

	cmp_visit_messages(m, &v);
	return bad_key;
}

/* A TaskSpec's or WorkflowSpec's description (its short_description) goes with the entity of that name, also when
 * the template itself came first from elsewhere (pyflyte ships a sub-workflow twice). */
static void describe(struct fc_strmap *entities, const Flyteidl__Core__Identifier *id,
		     const Flyteidl__Admin__DescriptionEntity *d)
{
	struct cmp_entity *e = id && id->name ? fc_strmap_get(entities, id->name) : NULL;

	if (e && d && d->short_description && *d->short_description && !e->description)
		e->description = d->short_description;
}

static void add_message(struct cmp_session *s, struct fc_source *src, ProtobufCMessage *m)
{
	const char *bad_key = empty_map_value(m);
	size_t i;

	if (bad_key) {
		fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidProtobuf", file_loc(src),
			    "%s: the map entry '%s' has no value (truncated or corrupt)", m->descriptor->name,
			    bad_key ? bad_key : "?");
		return;
	}
	if (m->descriptor == &flyteidl__admin__task_spec__descriptor) {
		Flyteidl__Admin__TaskSpec *ts = (Flyteidl__Admin__TaskSpec *)m;

		add_task(s, src, ts->template_);
		describe(&s->tasks, ts->template_ ? ts->template_->id : NULL, ts->description);
	} else if (m->descriptor == &flyteidl__admin__workflow_spec__descriptor) {
		Flyteidl__Admin__WorkflowSpec *ws = (Flyteidl__Admin__WorkflowSpec *)m;

		for (i = 0; i < ws->n_sub_workflows; i++)
			add_workflow(s, src, ws->sub_workflows[i]);
		add_workflow(s, src, ws->template_);
		describe(&s->workflows, ws->template_ ? ws->template_->id : NULL, ws->description);
	} else if (m->descriptor == &flyteidl__admin__launch_plan__descriptor) {
		add_launch_plan(s, src, (Flyteidl__Admin__LaunchPlan *)m);
	} else if (m->descriptor == &flyteidl__core__workflow_closure__descriptor) {
		Flyteidl__Core__WorkflowClosure *wc = (Flyteidl__Core__WorkflowClosure *)m;

		for (i = 0; i < wc->n_tasks; i++)
			add_task(s, src, wc->tasks[i]);
		add_workflow(s, src, wc->workflow);
	} else if (m->descriptor == &flyteidl__core__compiled_workflow_closure__descriptor) {
		Flyteidl__Core__CompiledWorkflowClosure *cc = (Flyteidl__Core__CompiledWorkflowClosure *)m;

		for (i = 0; i < cc->n_tasks; i++)
			if (cc->tasks[i])
				add_task(s, src, cc->tasks[i]->template_);
		for (i = 0; i < cc->n_sub_workflows; i++)
			if (cc->sub_workflows[i])
				add_workflow(s, src, cc->sub_workflows[i]->template_);
		if (cc->primary)
			add_workflow(s, src, cc->primary->template_);
	} else if (m->descriptor == &flyteidl__core__compiled_task__descriptor) {
		add_task(s, src, ((Flyteidl__Core__CompiledTask *)m)->template_);
	} else if (m->descriptor == &flyteidl__core__task_template__descriptor) {
		add_task(s, src, (Flyteidl__Core__TaskTemplate *)m);
	} else if (m->descriptor == &flyteidl__core__workflow_template__descriptor) {
		add_workflow(s, src, (Flyteidl__Core__WorkflowTemplate *)m);
	}
}

/* --- binary protobuf --------------------------------------------------------------------------------------- */
static enum cmp_visit find_unknown_fields(void *ctx, ProtobufCMessage *m)
{
	(void)ctx;
	return m->n_unknown_fields ? CMP_VISIT_STOP : CMP_VISIT_CHILDREN;
}

static bool has_unknown_fields(ProtobufCMessage *m)
{
	const struct cmp_visitor v = {find_unknown_fields, NULL, NULL, 100};

	return !cmp_visit_messages(m, &v);
}

/* Which message a `.pb` holds: pyflyte's `<idx>_<name>_<1|2|3>.pb` says so; otherwise try the forms in turn. */
static const ProtobufCMessageDescriptor *descriptor_for_name(const char *path)
{
	size_t n = strlen(path);

	if (n > 5 && !strcmp(path + n - 5, "_1.pb"))
		return &flyteidl__admin__task_spec__descriptor;
	if (n > 5 && !strcmp(path + n - 5, "_2.pb"))
		return &flyteidl__admin__workflow_spec__descriptor;
	if (n > 5 && !strcmp(path + n - 5, "_3.pb"))
		return &flyteidl__admin__launch_plan__descriptor;
	return NULL;
}

static void load_pb(struct cmp_session *s, struct fc_source *src)
{
	static const ProtobufCMessageDescriptor *const candidates[] = {
		&flyteidl__core__compiled_workflow_closure__descriptor,
		&flyteidl__core__workflow_closure__descriptor,
		&flyteidl__admin__workflow_spec__descriptor,
		&flyteidl__admin__task_spec__descriptor,
		&flyteidl__admin__launch_plan__descriptor,
	};
	const ProtobufCMessageDescriptor *want = descriptor_for_name(src->path);
	ProtobufCMessage *m = NULL;
	size_t i;

	/* protobuf-c recurses without limit: refuse what nests deeper than any Flyte message before unpacking. */
	for (i = 0; i < (want ? 1 : FC_ARRAY_LEN(candidates)); i++) {
		if (!fc_pb_nesting_ok(want ? want : candidates[i], (const uint8_t *)src->text, src->len, FC_PB_MAX_DEPTH)) {
			fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidProtobuf", file_loc(src),
				    "messages nested more than %u levels deep; refused", FC_PB_MAX_DEPTH);
			return;
		}
	}
	if (want) {
		m = protobuf_c_message_unpack(want, fc_arena_pb_allocator(&s->arena), src->len, (const uint8_t *)src->text);
		if (!m) {
			fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidProtobuf", file_loc(src),
				    "not a valid %s protobuf (truncated or corrupt; the _%c.pb suffix says what it "
				    "should hold)",
				    want->name, src->path[strlen(src->path) - 4]);
			return;
		}
		if (has_unknown_fields(m))
			fc_diag_add(&s->diags, FC_SEV_WARNING, "UnknownFields", file_loc(src),
				    "%s has fields this flytec does not know; they are ignored", want->name);
		add_message(s, src, m);
		return;
	}
	for (i = 0; i < FC_ARRAY_LEN(candidates); i++) {
		m = protobuf_c_message_unpack(candidates[i], fc_arena_pb_allocator(&s->arena), src->len,
					      (const uint8_t *)src->text);
		if (m && !has_unknown_fields(m) && (candidates[i] != &flyteidl__core__compiled_workflow_closure__descriptor ||
						       ((Flyteidl__Core__CompiledWorkflowClosure *)m)->primary)) {
			add_message(s, src, m);
			return;
		}
	}
	fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidProtobuf", file_loc(src),
		    "cannot tell which Flyte message this protobuf holds (name it like pyflyte does: "
		    "NNN_name_1.pb for a TaskSpec, _2.pb for a WorkflowSpec, _3.pb for a LaunchPlan)");
}

/* --- JSON and YAML ----------------------------------------------------------------------------------------- */
static const ProtobufCMessageDescriptor *descriptor_for_json(const json_t *j)
{
	const json_t *tpl;

	if (!json_is_object(j))
		return NULL;
	if (json_object_get(j, "primary"))
		return &flyteidl__core__compiled_workflow_closure__descriptor;
	if (json_object_get(j, "workflow"))
		return &flyteidl__core__workflow_closure__descriptor;
	if (json_object_get(j, "spec") && json_object_get(j, "id"))
		return &flyteidl__admin__launch_plan__descriptor;
	if ((tpl = json_object_get(j, "template"))) {
		if (json_object_get(tpl, "nodes"))
			return &flyteidl__admin__workflow_spec__descriptor;
		return &flyteidl__admin__task_spec__descriptor;
	}
	if (json_object_get(j, "nodes") && json_object_get(j, "id"))
		return &flyteidl__core__workflow_template__descriptor;
	if (json_object_get(j, "type") && json_object_get(j, "id"))
		return &flyteidl__core__task_template__descriptor;
	return NULL;
}

static void load_json_value(struct cmp_session *s, struct fc_source *src, const json_t *j)
{
	const ProtobufCMessageDescriptor *d = descriptor_for_json(j);
	ProtobufCMessage *m = NULL;
	struct fc_err err;

	if (!d && s->walking)
		return; /* some other JSON file in the repository (package.json, ...) */
	if (!d) {
		fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidValue", file_loc(src),
			    "cannot tell which Flyte message this holds (expected a WorkflowClosure {workflow, tasks}, "
			    "a CompiledWorkflowClosure {primary, ...}, a TaskSpec or WorkflowSpec {template}, or a "
			    "LaunchPlan {id, spec})");
		return;
	}
	if (fc_pbjson_decode(j, d, fc_arena_pb_allocator(&s->arena), 0, &m, &err)) {
		fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidValue", file_loc(src), "%s: %s", d->name, err.msg);
		return;
	}
	add_message(s, src, m);
}

static void load_json(struct cmp_session *s, struct fc_source *src)
{
	json_error_t jerr;
	json_t *j = json_loadb(src->text, src->len, JSON_REJECT_DUPLICATES, &jerr);

	if (!j) {
		struct fc_loc loc = {src, (uint32_t)(jerr.line > 0 ? jerr.line : 0), (uint32_t)(jerr.column > 0 ? jerr.column : 0)};

		fc_diag_add(&s->diags, FC_SEV_ERROR, "JsonSyntax", loc, "%s", jerr.text);
		return;
	}
	load_json_value(s, src, j);
	json_decref(j);
}

static bool is_map(const struct fc_ynode *n)
{
	return n && n->kind == FC_Y_MAP;
}

bool cmp_idl_yaml_doc(struct cmp_session *s, struct fc_source *src, const struct fc_ynode *root)
{
	json_t *j = NULL;
	struct fc_err err;

	if (!root || root->kind != FC_Y_MAP)
		return false;
	/* IDL messages hold mappings there; a spec that says `workflow: [...]` (for workflows) is a spec typo */
	if (!is_map(fc_ymap_get(root, "workflow")) && !is_map(fc_ymap_get(root, "primary")) &&
	    !is_map(fc_ymap_get(root, "template")) && !(is_map(fc_ymap_get(root, "spec")) && fc_ymap_get(root, "id")))
		return false;
	if (fc_yaml_to_json(root, &j, &err)) {
		fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidValue", file_loc(src), "%s", err.msg);
		return true;
	}
	load_json_value(s, src, j);
	json_decref(j);
	return true;
}

/* --- pyflyte package archives ------------------------------------------------------------------------------ */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/'), *colon = strrchr(path, ':');

	if (colon && (!slash || colon > slash))
		slash = colon;
	return slash ? slash + 1 : path;
}

/* `pyflyte package --fast` puts the code in the package as fast<digest>.tar.gz (flytectl uploads it and points
 * the tasks' {{ .remote_package_path }} argument at it). */
static bool is_fast_bundle_name(const char *path)
{
	const char *base = base_name(path);
	size_t n = strlen(base);

	return !strncmp(base, "fast", 4) && n > 11 && !strcmp(base + n - 7, ".tar.gz");
}

/* Keep a code bundle as it is: it is not ours to read, only to carry (flytec package writes it again). */
static void add_fast_bundle(struct cmp_session *s, struct fc_source *src)
{
	const char *name = base_name(src->path);
	size_t i;

	if (src->len > FC_LIMIT_CMP_FAST_BUNDLE_SIZE) {
		fc_diag_add(&s->diags, FC_SEV_ERROR, "FileTooLarge", file_loc(src),
			    "fast-register code bundle of %zu bytes is larger than the limit of %u bytes", src->len,
			    FC_LIMIT_CMP_FAST_BUNDLE_SIZE);
		return;
	}
	for (i = 0; i < s->nfast; i++) {
		if (strcmp(s->fast[i].name, name))
			continue;
		if (s->fast[i].len != src->len || memcmp(s->fast[i].data, src->text, src->len))
			fc_diag_add(&s->diags, FC_SEV_ERROR, "DuplicateDefinition", file_loc(src),
				    "two different code bundles are both named %s (the name carries their digest)", name);
		return;
	}
	FC_ALLOC_GROW(s->fast, s->nfast + 1, s->fast_alloc);
	s->fast[s->nfast].name = fc_arena_strdup(&s->arena, name);
	s->fast[s->nfast].source = src->path;
	s->fast[s->nfast].data = src->text;
	s->fast[s->nfast].len = src->len;
	s->nfast++;
}

static bool safe_entry_name(const char *name)
{
	const char *base;

	if (!*name || name[0] == '/' || strstr(name, ".."))
		return false;
	base = strrchr(name, '/');
	base = base ? base + 1 : name;
	return *base != '\0';
}

static int entry_cmp(const void *a, const void *b)
{
	const struct fc_source *const *x = a, *const *y = b;

	return strcmp((*x)->path, (*y)->path);
}

static void load_archive(struct cmp_session *s, struct fc_source *archive_src)
{
	struct archive *ar = archive_read_new();
	struct archive_entry *ent;
	struct fc_source **entries = NULL;
	size_t nentries = 0, alloc = 0, total = 0, i;
	int r;

	archive_read_support_filter_gzip(ar);
	archive_read_support_filter_none(ar);
	archive_read_support_format_tar(ar);
	archive_read_support_format_gnutar(ar);
	if (archive_read_open_memory(ar, archive_src->text, archive_src->len) != ARCHIVE_OK) {
		fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidArchive", file_loc(archive_src), "not a tar or tar.gz archive: %s",
			    archive_error_string(ar));
		goto out;
	}
	while ((r = archive_read_next_header(ar, &ent)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(ent);
		la_int64_t size = archive_entry_size(ent);
		struct fc_buf path = FC_BUF_INIT, data = FC_BUF_INIT;
		ssize_t n;

		if (archive_entry_filetype(ent) == AE_IFDIR)
			continue;
		if (!name || !safe_entry_name(name)) {
			fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidArchive", file_loc(archive_src),
				    "archive entry '%s' has an unsafe path (absolute or with '..'); nothing was read",
				    name ? name : "");
			goto out;
		}
		if (archive_entry_filetype(ent) != AE_IFREG) {
			fc_diag_add(&s->diags, FC_SEV_WARNING, "InvalidArchive", file_loc(archive_src),
				    "archive entry '%s' is not a regular file; skipped", name);
			continue;
		}
		if (++nentries > IDL_MAX_ENTRIES || size < 0 || (size_t)size > IDL_MAX_ENTRY_SIZE ||
		    total + (size_t)size > IDL_MAX_ARCHIVE_TOTAL) {
			fc_diag_add(&s->diags, FC_SEV_ERROR, "FileTooLarge", file_loc(archive_src),
				    "archive is too large (entry '%s'); limits: %u entries, %u bytes each, %u in all", name,
				    IDL_MAX_ENTRIES, IDL_MAX_ENTRY_SIZE, IDL_MAX_ARCHIVE_TOTAL);
			nentries--;
			goto out;
		}
		nentries--;
		total += (size_t)size;
		fc_buf_grow(&data, (size_t)size);
		while ((n = archive_read_data(ar, data.buf + data.len, data.alloc - data.len - 1)) > 0) {
			data.len += (size_t)n;
			if (data.len > IDL_MAX_ENTRY_SIZE)
				break;
			fc_buf_grow(&data, 65536);
		}
		if (n < 0 || data.len > IDL_MAX_ENTRY_SIZE) {
			fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidArchive", file_loc(archive_src),
				    "cannot read archive entry '%s': %s", name, n < 0 ? archive_error_string(ar) : "too large");
			fc_buf_release(&data);
			goto out;
		}
		data.buf[data.len] = '\0';
		fc_buf_addf(&path, "%s:%s", archive_src->path, name);
		FC_ALLOC_GROW(entries, nentries + 1, alloc);
		{
			size_t len;
			char *text = fc_buf_detach(&data, &len);

			entries[nentries++] = fc_source_new_take(path.buf, text, len);
		}
		fc_buf_release(&path);
	}
	if (r != ARCHIVE_EOF) {
		fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidArchive", file_loc(archive_src), "corrupt archive: %s",
			    archive_error_string(ar));
		goto out;
	}
	/* Index order, as flytectl registers them. */
	if (nentries > 1)
		qsort(entries, nentries, sizeof(*entries), entry_cmp);
	for (i = 0; i < nentries; i++) {
		const char *p = entries[i]->path;
		size_t n = strlen(p);

		cmp_add_source(s, entries[i]);
		if (n > 3 && !strcmp(p + n - 3, ".pb")) {
			load_pb(s, entries[i]);
		} else if (is_fast_bundle_name(p)) {
			add_fast_bundle(s, entries[i]);
		} else if ((n > 4 && !strcmp(p + n - 4, ".tgz")) || (n > 7 && !strcmp(p + n - 7, ".tar.gz")) ||
			   (n > 4 && !strcmp(p + n - 4, ".tar"))) {
			fc_diag_add(&s->diags, FC_SEV_WARNING, "InvalidArchive", file_loc(entries[i]),
				    "an archive inside the package that is not a fast-register code bundle "
				    "(fast<digest>.tar.gz); skipped");
		} else {
			fc_diag_add(&s->diags, FC_SEV_WARNING, "InvalidArchive", file_loc(entries[i]),
				    "not a .pb file; skipped");
		}
		entries[i] = NULL;
	}
out:
	for (i = 0; i < nentries; i++)
		fc_source_free(entries[i]);
	free(entries);
	archive_read_free(ar);
}

/* --- what a file holds ------------------------------------------------------------------------------------ */
enum content_kind { CONTENT_TEXT, CONTENT_BINARY, CONTENT_GZIP, CONTENT_TAR, CONTENT_ZIP };
enum suffix_kind { SUFFIX_NONE, SUFFIX_YAML, SUFFIX_JSON, SUFFIX_PB, SUFFIX_ARCHIVE };

static bool has_suffix(const char *p, const char *suffix)
{
	size_t n = strlen(p), m = strlen(suffix);

	return n > m && !strcmp(p + n - m, suffix);
}

static enum suffix_kind suffix_of(const char *p)
{
	if (has_suffix(p, ".yaml") || has_suffix(p, ".yml"))
		return SUFFIX_YAML;
	if (has_suffix(p, ".json"))
		return SUFFIX_JSON;
	if (has_suffix(p, ".pb"))
		return SUFFIX_PB;
	if (has_suffix(p, ".tgz") || has_suffix(p, ".tar.gz") || has_suffix(p, ".tar"))
		return SUFFIX_ARCHIVE;
	return SUFFIX_NONE;
}

/* Magic numbers first (gzip, tar's "ustar" at 257, zip), then text: UTF-8 with no control bytes but tab, CR and
 * LF in the first 8 KB (protobuf's tags and lengths are control bytes within the first few). */
static enum content_kind content_of(const struct fc_source *src)
{
	const unsigned char *t = (const unsigned char *)src->text;
	size_t n = src->len < 8192 ? src->len : 8192, i;

	if (src->len >= 2 && t[0] == 0x1f && t[1] == 0x8b)
		return CONTENT_GZIP;
	if (src->len >= 262 && !memcmp(t + 257, "ustar", 5))
		return CONTENT_TAR;
	if (src->len >= 4 && !memcmp(t, "PK\003\004", 4))
		return CONTENT_ZIP;
	for (i = 0; i < n; i++) {
		size_t more = 0, k;

		if ((t[i] < 0x20 && t[i] != '\t' && t[i] != '\n' && t[i] != '\r') || t[i] == 0x7f)
			return CONTENT_BINARY;
		if (t[i] < 0x80)
			continue;
		/* UTF-8: a lead byte and its continuation bytes (a sequence cut by the 8 KB window counts as text) */
		if (t[i] >= 0xc2 && t[i] <= 0xdf)
			more = 1;
		else if (t[i] >= 0xe0 && t[i] <= 0xef)
			more = 2;
		else if (t[i] >= 0xf0 && t[i] <= 0xf4)
			more = 3;
		else
			return CONTENT_BINARY;
		for (k = 1; k <= more && i + k < n; k++)
			if ((t[i + k] & 0xc0) != 0x80)
				return CONTENT_BINARY;
		i += more;
	}
	return CONTENT_TEXT;
}

static const char *const content_names[] = {"text", "binary (protobuf)", "a gzip'd archive", "a tar archive",
					    "a zip archive"};
static const char *const suffix_expects[] = {"", "YAML", "JSON", "protobuf", "a tar or tar.gz archive"};

static void load_text(struct cmp_session *s, struct fc_source *src, bool *yaml)
{
	const char *p = src->text;

	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p == '{')
		load_json(s, src);
	else
		*yaml = true;
}

/*
 * Read a file by what it holds, not only by its name: `workflow.pb.golden` is protobuf, a package renamed `.bin` is
 * still a package. The suffix says what is expected; when the content is clearly something else it is read as
 * what it is, with a warning saying both. Returns false when the file is for the YAML spec front end.
 */
bool cmp_idl_load(struct cmp_session *s, struct fc_source *src)
{
	enum suffix_kind suffix = suffix_of(src->path);
	enum content_kind content = content_of(src);
	bool yaml = false;

	if (is_fast_bundle_name(src->path) && content == CONTENT_GZIP) {
		add_fast_bundle(s, src);
		return true;
	}
	if (content == CONTENT_ZIP) {
		fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidArchive", file_loc(src),
			    "this is a zip archive; packages are read as tar or tar.gz (what `pyflyte package` "
			    "writes)%s%s",
			    suffix != SUFFIX_NONE ? ", and the name promised " : "",
			    suffix != SUFFIX_NONE ? suffix_expects[suffix] : "");
		return true;
	}
	if (content == CONTENT_GZIP || content == CONTENT_TAR) {
		if (suffix != SUFFIX_ARCHIVE && suffix != SUFFIX_NONE)
			fc_diag_add(&s->diags, FC_SEV_WARNING, "FileKind", file_loc(src),
				    "the name says %s but the content is %s; read as a package", suffix_expects[suffix],
				    content_names[content]);
		load_archive(s, src);
		return true;
	}
	switch (suffix) {
	case SUFFIX_ARCHIVE:
		fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidArchive", file_loc(src),
			    "expected a tar or tar.gz archive (the name says so) but the content is %s",
			    content_names[content]);
		return true;
	case SUFFIX_PB:
		if (content == CONTENT_TEXT && src->len) {
			fc_diag_add(&s->diags, FC_SEV_WARNING, "FileKind", file_loc(src),
				    "the name says protobuf but the content is text; read as JSON or YAML");
			load_text(s, src, &yaml);
			return !yaml;
		}
		load_pb(s, src);
		return true;
	case SUFFIX_JSON:
		if (content == CONTENT_BINARY) {
			fc_diag_add(&s->diags, FC_SEV_ERROR, "FileKind", file_loc(src),
				    "expected JSON (the name says so) but the content is binary");
			return true;
		}
		load_json(s, src);
		return true;
	case SUFFIX_YAML:
		return false; /* binary content gets the YAML reader's error, with the offending byte */
	case SUFFIX_NONE:
		break;
	}
	if (content == CONTENT_BINARY) {
		load_pb(s, src);
		return true;
	}
	load_text(s, src, &yaml);
	return !yaml;
}
