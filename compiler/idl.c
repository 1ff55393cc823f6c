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

/* Visit every Identifier inside a message, through the descriptors (so nothing is missed in new IDL fields). */
static void walk_identifiers(struct cmp_session *s, ProtobufCMessage *m, unsigned depth)
{
	const ProtobufCMessageDescriptor *d;
	unsigned i;

	if (!m || depth > 200)
		return;
	d = m->descriptor;
	if (d == &flyteidl__core__identifier__descriptor) {
		fill_identifier(s, (Flyteidl__Core__Identifier *)m);
		return;
	}
	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		char *base = (char *)m;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(size_t *)(base + f->quantifier_offset), j;
			ProtobufCMessage **arr = *(ProtobufCMessage ***)(base + f->offset);

			for (j = 0; j < n; j++)
				walk_identifiers(s, arr[j], depth + 1);
			continue;
		}
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			if (*(uint32_t *)(base + f->quantifier_offset) != f->id)
				continue;
		}
		walk_identifiers(s, *(ProtobufCMessage **)(base + f->offset), depth + 1);
	}
}

/* --- entities ---------------------------------------------------------------------------------------------- */
static bool same_message(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	size_t la = protobuf_c_message_get_packed_size(a), lb = protobuf_c_message_get_packed_size(b);
	uint8_t *x, *y;
	bool same;

	if (la != lb)
		return false;
	x = fc_xmalloc(la + 1);
	y = fc_xmalloc(lb + 1);
	protobuf_c_message_pack(a, x);
	protobuf_c_message_pack(b, y);
	same = !memcmp(x, y, la);
	free(x);
	free(y);
	return same;
}

static void add_task(struct cmp_session *s, struct fc_source *src, Flyteidl__Core__TaskTemplate *t)
{
	struct cmp_entity *e, *prev;

	if (!t || !t->id || !t->id->name || !*t->id->name) {
		fc_diag_add(&s->diags, FC_SEV_ERROR, "ValueRequired", file_loc(src), "a task template has no id or name");
		return;
	}
	walk_identifiers(s, &t->base, 0);
	prev = fc_strmap_get(&s->tasks, t->id->name);
	if (prev && prev->task && same_message(&prev->task->base, &t->base))
		return; /* the same task shipped twice (e.g. in several closures) */
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
	Flyteidl__Core__Node **nodes;
	size_t i, n = 0;

	if (!w || !w->id || !w->id->name || !*w->id->name) {
		fc_diag_add(&s->diags, FC_SEV_ERROR, "ValueRequired", file_loc(src), "a workflow template has no id or name");
		return;
	}
	walk_identifiers(s, &w->base, 0);
	prev = fc_strmap_get(&s->workflows, w->id->name);
	if (prev && prev->workflow && prev->state == CMP_NEW_ENTITY && same_message(&prev->workflow->base, &w->base))
		return;
	e = cmp_entity_new(s, CMP_KIND_WORKFLOW, w->id->name, file_loc(src));
	if (!e)
		return;
	/* A compiled template already has start-node and end-node: compile from the user's nodes only. */
	nodes = fc_arena_array(&s->arena, w->n_nodes ? w->n_nodes : 1, sizeof(*nodes));
	for (i = 0; i < w->n_nodes; i++)
		if (strcmp(w->nodes[i]->id, CMP_START_NODE) && strcmp(w->nodes[i]->id, CMP_END_NODE))
			nodes[n++] = w->nodes[i];
	w->nodes = nodes;
	w->n_nodes = n;
	e->project = w->id->project;
	e->domain = w->id->domain;
	e->workflow = w;
	e->from_idl = true;
	cmp_set_loc(s, w, e->loc);
	cmp_set_loc(s, e, e->loc);
}

static void add_launch_plan(struct cmp_session *s, struct fc_source *src, Flyteidl__Admin__LaunchPlan *lp)
{
	struct cmp_entity *e;

	if (!lp || !lp->id || !lp->id->name || !*lp->id->name || !lp->spec) {
		fc_diag_add(&s->diags, FC_SEV_ERROR, "ValueRequired", file_loc(src),
			    "a launch plan has no id, name or spec");
		return;
	}
	walk_identifiers(s, &lp->base, 0);
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

/* A map entry whose message value is missing (protobuf allows it; the checks assume every entry has one). Returns
 * the entry's key, or NULL when every entry has its value. */
static const char *empty_map_value(const ProtobufCMessage *m, unsigned depth)
{
	const ProtobufCMessageDescriptor *d;
	unsigned i;

	if (!m || depth > 200)
		return NULL;
	d = m->descriptor;
	if (d->n_fields == 2 && !strcmp(d->fields[0].name, "key") && !strcmp(d->fields[1].name, "value") &&
	    d->fields[1].type == PROTOBUF_C_TYPE_MESSAGE && !*(ProtobufCMessage *const *)((const char *)m + d->fields[1].offset))
		return d->fields[0].type == PROTOBUF_C_TYPE_STRING ? *(char *const *)((const char *)m + d->fields[0].offset)
								    : "?";
	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *base = (const char *)m, *bad;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset), j;
			ProtobufCMessage *const *arr = *(ProtobufCMessage *const *const *)(base + f->offset);

			for (j = 0; j < n; j++)
				if ((bad = empty_map_value(arr[j], depth + 1)))
					return bad;
			continue;
		}
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && *(const uint32_t *)(base + f->quantifier_offset) != f->id)
			continue;
		if ((bad = empty_map_value(*(ProtobufCMessage *const *)(base + f->offset), depth + 1)))
			return bad;
	}
	return NULL;
}

static void add_message(struct cmp_session *s, struct fc_source *src, ProtobufCMessage *m)
{
	const char *bad_key = empty_map_value(m, 0);
	size_t i;

	if (bad_key) {
		fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidProtobuf", file_loc(src),
			    "%s: the map entry '%s' has no value (truncated or corrupt)", m->descriptor->name,
			    bad_key ? bad_key : "?");
		return;
	}
	if (m->descriptor == &flyteidl__admin__task_spec__descriptor) {
		add_task(s, src, ((Flyteidl__Admin__TaskSpec *)m)->template_);
	} else if (m->descriptor == &flyteidl__admin__workflow_spec__descriptor) {
		Flyteidl__Admin__WorkflowSpec *ws = (Flyteidl__Admin__WorkflowSpec *)m;

		for (i = 0; i < ws->n_sub_workflows; i++)
			add_workflow(s, src, ws->sub_workflows[i]);
		add_workflow(s, src, ws->template_);
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
static bool has_unknown_fields(const ProtobufCMessage *m, unsigned depth)
{
	const ProtobufCMessageDescriptor *d;
	unsigned i;

	if (!m || depth > 100)
		return false;
	if (m->n_unknown_fields)
		return true;
	d = m->descriptor;
	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *base = (const char *)m;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset), j;
			ProtobufCMessage *const *arr = *(ProtobufCMessage *const *const *)(base + f->offset);

			for (j = 0; j < n; j++)
				if (has_unknown_fields(arr[j], depth + 1))
					return true;
			continue;
		}
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && *(const uint32_t *)(base + f->quantifier_offset) != f->id)
			continue;
		if (has_unknown_fields(*(ProtobufCMessage *const *)(base + f->offset), depth + 1))
			return true;
	}
	return false;
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
		if (has_unknown_fields(m, 0))
			fc_diag_add(&s->diags, FC_SEV_WARNING, "UnknownFields", file_loc(src),
				    "%s has fields this flytec does not know; they are ignored", want->name);
		add_message(s, src, m);
		return;
	}
	for (i = 0; i < FC_ARRAY_LEN(candidates); i++) {
		m = protobuf_c_message_unpack(candidates[i], fc_arena_pb_allocator(&s->arena), src->len,
					      (const uint8_t *)src->text);
		if (m && !has_unknown_fields(m, 0) && (candidates[i] != &flyteidl__core__compiled_workflow_closure__descriptor ||
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
		} else if ((n > 4 && !strcmp(p + n - 4, ".tgz")) || (n > 7 && !strcmp(p + n - 7, ".tar.gz")) ||
			   (n > 4 && !strcmp(p + n - 4, ".tar"))) {
			fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidArchive", file_loc(entries[i]),
				    "archives inside archives are not read");
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

/* Called for files whose extension says IDL; returns false when the file is not one of ours. */
bool cmp_idl_load(struct cmp_session *s, struct fc_source *src)
{
	const char *p = src->path;
	size_t n = strlen(p);

	if (n > 3 && !strcmp(p + n - 3, ".pb")) {
		load_pb(s, src);
		return true;
	}
	if (n > 5 && !strcmp(p + n - 5, ".json")) {
		load_json(s, src);
		return true;
	}
	if ((n > 4 && !strcmp(p + n - 4, ".tgz")) || (n > 7 && !strcmp(p + n - 7, ".tar.gz")) ||
	    (n > 4 && !strcmp(p + n - 4, ".tar"))) {
		load_archive(s, src);
		return true;
	}
	return false;
}
