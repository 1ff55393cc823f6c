/*
 * package.c: what a session compiled, as the archive `pyflyte package` writes and `flytectl register files` reads.
 *
 * The archive is a gzip'd tar of flat files `<idx>_<name>_<n>.pb`: n = 1 an admin.TaskSpec, 2 an admin.WorkflowSpec
 * (the workflow template plus the templates of every workflow it runs as a sub-workflow), 3 an admin.LaunchPlan.
 * flytectl registers them in index order, so the order lets every reference resolve: tasks first, then workflows and
 * launch plans so that a workflow follows the sub-workflows and launch plans it runs, and a launch plan follows its
 * workflow. Templates are written as Flyte's admin expects them: without the start-node and end-node the compiler
 * adds. The index is zero-padded to one width, so the names sort in index order.
 *
 * A fast-register code bundle read from an input package (fast<digest>.tar.gz, `pyflyte package --fast`) is written
 * again as it came, after the .pb files, so `flytectl register files` fast-registers the result as it would have
 * the input.
 *
 * Determinism: entities are ordered by name (then by dependency), every tar entry has mode 0644, uid/gid 0, no
 * owner names and mtime 0, and the gzip header carries no timestamp, so the same input gives the same bytes.
 */
#include "compiler/cmp_int.h"
#include "compiler/convert.h"
#include "core/pbpack.h"

#include "flyteidl/admin/task.pb-c.h"
#include "flyteidl/admin/workflow.pb-c.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

struct pkg_entry {
	const char *name;
	int kind; /* 1 task, 2 workflow, 3 launch plan */
	const ProtobufCMessage *msg;
};

struct pkg {
	struct cmp_session *s;
	struct fc_arena a;
	struct pkg_entry *entries;
	size_t n, alloc;
	struct fc_strmap done; /* "w:name" / "l:name" already placed */
};

static int entity_by_name(const void *x, const void *y)
{
	const struct cmp_entity *const *a = x, *const *b = y;

	return strcmp((*a)->name, (*b)->name);
}

static void add_entry(struct pkg *p, const char *name, int kind, const ProtobufCMessage *msg)
{
	FC_ALLOC_GROW(p->entries, p->n + 1, p->alloc);
	p->entries[p->n].name = name;
	p->entries[p->n].kind = kind;
	p->entries[p->n].msg = msg;
	p->n++;
}

/* The template as Flyte's admin takes it: the user's nodes, without start-node and end-node. */
static Flyteidl__Core__WorkflowTemplate *admin_template(struct pkg *p, const Flyteidl__Core__WorkflowTemplate *tpl)
{
	Flyteidl__Core__WorkflowTemplate *copy = fc_arena_memdup(&p->a, tpl, sizeof(*tpl));
	size_t i;

	copy->nodes = fc_arena_array(&p->a, tpl->n_nodes ? tpl->n_nodes : 1, sizeof(*copy->nodes));
	copy->n_nodes = 0;
	for (i = 0; i < tpl->n_nodes; i++)
		if (strcmp(tpl->nodes[i]->id, CMP_START_NODE) && strcmp(tpl->nodes[i]->id, CMP_END_NODE))
			copy->nodes[copy->n_nodes++] = tpl->nodes[i];
	return copy;
}

static void place_workflow(struct pkg *p, struct cmp_entity *e, unsigned depth);
static void place_launch_plan(struct pkg *p, struct cmp_entity *e, unsigned depth);

static void place_refs(struct pkg *p, const Flyteidl__Core__Node *n, unsigned depth)
{
	struct cmp_entity *t;
	size_t i;

	if (!n || depth > 1000)
		return;
	switch (n->target_case) {
	case FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE:
		if (n->workflow_node->reference_case == FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_SUB_WORKFLOW_REF) {
			t = cmp_lookup(p->s, CMP_KIND_WORKFLOW, n->workflow_node->sub_workflow_ref);
			if (t)
				place_workflow(p, t, depth + 1);
		} else {
			t = cmp_lookup(p->s, CMP_KIND_LAUNCH_PLAN, n->workflow_node->launchplan_ref);
			if (t)
				place_launch_plan(p, t, depth + 1);
		}
		break;
	case FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE:
		if (n->branch_node->if_else) {
			const Flyteidl__Core__IfElseBlock *ie = n->branch_node->if_else;

			if (ie->case_)
				place_refs(p, ie->case_->then_node, depth + 1);
			for (i = 0; i < ie->n_other; i++)
				place_refs(p, ie->other[i]->then_node, depth + 1);
			if (ie->default_case == FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ELSE_NODE)
				place_refs(p, ie->else_node, depth + 1);
		}
		break;
	case FLYTEIDL__CORE__NODE__TARGET_ARRAY_NODE:
		place_refs(p, n->array_node->node, depth + 1);
		break;
	default:
		break;
	}
}

static void place_workflow(struct pkg *p, struct cmp_entity *e, unsigned depth)
{
	const char *key = fc_arena_printf(&p->a, "w:%s", e->name);
	Flyteidl__Admin__WorkflowSpec *ws;
	size_t i;

	if (e->state != CMP_DONE || !e->closure || fc_strmap_has(&p->done, key) || depth > 1000)
		return;
	fc_strmap_put(&p->done, key, e);
	for (i = 0; i < e->workflow->n_nodes; i++)
		place_refs(p, e->workflow->nodes[i], depth + 1);
	if (e->workflow->failure_node)
		place_refs(p, e->workflow->failure_node, depth + 1);
	ws = CMP_NEW(&p->a, Flyteidl__Admin__WorkflowSpec, flyteidl__admin__workflow_spec__descriptor);
	ws->template_ = admin_template(p, e->workflow);
	ws->n_sub_workflows = e->closure->n_sub_workflows;
	ws->sub_workflows = fc_arena_array(&p->a, ws->n_sub_workflows + 1, sizeof(*ws->sub_workflows));
	for (i = 0; i < ws->n_sub_workflows; i++)
		ws->sub_workflows[i] = admin_template(p, e->closure->sub_workflows[i]->template_);
	add_entry(p, e->name, 2, &ws->base);
}

static void place_launch_plan(struct pkg *p, struct cmp_entity *e, unsigned depth)
{
	const char *key = fc_arena_printf(&p->a, "l:%s", e->name);
	Flyteidl__Admin__LaunchPlan *lp;

	if (e->state != CMP_DONE || fc_strmap_has(&p->done, key) || depth > 1000)
		return;
	fc_strmap_put(&p->done, key, e);
	if (e->lp_workflow)
		place_workflow(p, e->lp_workflow, depth + 1);
	lp = CMP_NEW(&p->a, Flyteidl__Admin__LaunchPlan, flyteidl__admin__launch_plan__descriptor);
	lp->id = e->launch_plan->id;
	lp->spec = e->launch_plan->spec;
	if (e->lp_active) {
		/* flytectl ignores the closure; flytec reads the state back from it. */
		lp->closure = CMP_NEW(&p->a, Flyteidl__Admin__LaunchPlanClosure, flyteidl__admin__launch_plan_closure__descriptor);
		lp->closure->state = FLYTEIDL__ADMIN__LAUNCH_PLAN_STATE__ACTIVE;
	}
	add_entry(p, e->name, 3, &lp->base);
}

/* --- placeholders ------------------------------------------------------------------------------------------ */
static enum cmp_visit set_placeholder(void *ctx, ProtobufCMessage *m)
{
	Flyteidl__Core__Identifier *id = (Flyteidl__Core__Identifier *)m;

	(void)ctx;
	if (m->descriptor != &flyteidl__core__identifier__descriptor)
		return CMP_VISIT_CHILDREN;
	id->project = (char *)CMP_PLACEHOLDER_PROJECT;
	id->domain = (char *)CMP_PLACEHOLDER_DOMAIN;
	id->version = (char *)CMP_PLACEHOLDER_VERSION;
	return CMP_VISIT_SKIP;
}

/* pyflyte's registration placeholders in every identifier of a message. */
static void set_placeholders(ProtobufCMessage *m)
{
	const struct cmp_visitor v = {set_placeholder, NULL, NULL, 200};

	cmp_visit_messages(m, &v);
}

/* --- the archive ------------------------------------------------------------------------------------------- */
static la_ssize_t write_cb(struct archive *ar, void *data, const void *bytes, size_t len)
{
	(void)ar;
	fc_buf_add(data, bytes, len);
	return (la_ssize_t)len;
}

static int write_archive(struct pkg *p, bool placeholders, struct fc_buf *out, struct fc_err *err)
{
	struct archive *ar = archive_write_new();
	size_t i, width = 3, total = p->n;
	int rc = FC_OK;

	while (total >= 1000) {
		width++;
		total /= 10;
	}
	if (archive_write_add_filter_gzip(ar) != ARCHIVE_OK ||
	    archive_write_set_filter_option(ar, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(ar) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(ar, 1) != ARCHIVE_OK ||
	    archive_write_open(ar, out, NULL, write_cb, NULL) != ARCHIVE_OK) {
		rc = fc_err_set(err, FC_EINTERNAL, "cannot start the archive: %s", archive_error_string(ar));
		goto out;
	}
	for (i = 0; i < p->n && !rc; i++) {
		const ProtobufCMessage *msg = p->entries[i].msg;
		struct archive_entry *ent = archive_entry_new();
		struct fc_buf packed = FC_BUF_INIT;
		uint8_t *bytes;
		size_t len;
		char *path = fc_arena_printf(&p->a, "%0*zu_%s_%d.pb", (int)width, i, p->entries[i].name,
					     p->entries[i].kind);

		fc_pb_pack(msg, &packed);
		if (placeholders) {
			ProtobufCMessage *copy = protobuf_c_message_unpack(msg->descriptor, fc_arena_pb_allocator(&p->a),
									     packed.len, (const uint8_t *)packed.buf);

			if (!copy) {
				fc_buf_release(&packed);
				archive_entry_free(ent);
				rc = fc_err_set(err, FC_EINTERNAL, "cannot copy %s", path);
				break;
			}
			set_placeholders(copy);
			fc_buf_reset(&packed);
			fc_pb_pack(copy, &packed);
		}
		bytes = (uint8_t *)fc_buf_detach(&packed, &len);
		archive_entry_set_pathname(ent, path);
		archive_entry_set_filetype(ent, AE_IFREG);
		archive_entry_set_perm(ent, 0644);
		archive_entry_set_size(ent, (la_int64_t)len);
		archive_entry_set_mtime(ent, 0, 0);
		archive_entry_set_uid(ent, 0);
		archive_entry_set_gid(ent, 0);
		if (archive_write_header(ar, ent) != ARCHIVE_OK ||
		    (len && archive_write_data(ar, bytes, len) != (la_ssize_t)len))
			rc = fc_err_set(err, FC_EIO, "cannot write %s into the archive: %s", path, archive_error_string(ar));
		free(bytes);
		archive_entry_free(ent);
	}
	/* Fast-register code bundles go in as they came, after the entities: flytectl finds them by name. */
	for (i = 0; i < cmp_fast_bundle_count(p->s) && !rc; i++) {
		const struct cmp_fast_bundle *fb = cmp_fast_bundle_at(p->s, i);
		struct archive_entry *ent = archive_entry_new();

		archive_entry_set_pathname(ent, fb->name);
		archive_entry_set_filetype(ent, AE_IFREG);
		archive_entry_set_perm(ent, 0644);
		archive_entry_set_size(ent, (la_int64_t)fb->len);
		archive_entry_set_mtime(ent, 0, 0);
		archive_entry_set_uid(ent, 0);
		archive_entry_set_gid(ent, 0);
		if (archive_write_header(ar, ent) != ARCHIVE_OK ||
		    (fb->len && archive_write_data(ar, fb->data, fb->len) != (la_ssize_t)fb->len))
			rc = fc_err_set(err, FC_EIO, "cannot write %s into the archive: %s", fb->name,
					archive_error_string(ar));
		archive_entry_free(ent);
	}
	if (!rc && archive_write_close(ar) != ARCHIVE_OK)
		rc = fc_err_set(err, FC_EIO, "cannot finish the archive: %s", archive_error_string(ar));
out:
	archive_write_free(ar);
	return rc;
}

int cmp_package_write(struct cmp_session *s, const struct cmp_package_options *opts, struct fc_buf *out,
		      struct cmp_package_stats *stats, struct fc_err *err)
{
	struct cmp_package_stats local;
	struct pkg p;
	struct cmp_entity **sorted;
	size_t i, nsorted = 0;
	int rc;

	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	if (cmp_compile(s) || s->diags.nerrors)
		return fc_err_set(err, FC_ESPEC, "the specs have errors; no archive was written");
	memset(&p, 0, sizeof(p));
	p.s = s;
	fc_arena_init(&p.a, 64 * 1024);
	fc_strmap_init(&p.done);
	sorted = fc_xcalloc(s->nentities + 1, sizeof(*sorted));
	for (i = 0; i < s->nentities; i++)
		if (s->entities[i]->state == CMP_DONE)
			sorted[nsorted++] = s->entities[i];
	if (nsorted > 1)
		qsort(sorted, nsorted, sizeof(*sorted), entity_by_name);
	for (i = 0; i < nsorted; i++) {
		if (sorted[i]->kind == CMP_KIND_TASK) {
			Flyteidl__Admin__TaskSpec *ts = CMP_NEW(&p.a, Flyteidl__Admin__TaskSpec, flyteidl__admin__task_spec__descriptor);

			ts->template_ = sorted[i]->compiled_task->template_;
			add_entry(&p, sorted[i]->name, 1, &ts->base);
			stats->tasks++;
		}
	}
	for (i = 0; i < nsorted; i++)
		if (sorted[i]->kind == CMP_KIND_WORKFLOW)
			place_workflow(&p, sorted[i], 0);
	for (i = 0; i < nsorted; i++)
		if (sorted[i]->kind == CMP_KIND_LAUNCH_PLAN)
			place_launch_plan(&p, sorted[i], 0);
	for (i = 0; i < p.n; i++) {
		if (p.entries[i].kind == 2)
			stats->workflows++;
		else if (p.entries[i].kind == 3)
			stats->launch_plans++;
	}
	/* flytec's schedule policies have no place in Flyte's IDL. */
	for (i = 0; i < nsorted; i++) {
		const struct cmp_entity *e = sorted[i];

		if (e->kind == CMP_KIND_LAUNCH_PLAN && !e->from_idl &&
		    (e->lp_policy.catchup != CMP_CATCHUP_LATEST || e->lp_policy.max_catchup ||
		     e->lp_policy.catchup_window_seconds || e->lp_policy.concurrency >= CMP_CONCURRENCY_REPLACE ||
		     e->lp_policy.dst_repeat || e->lp_policy.dst_skip || e->lp_policy.jitter_ms ||
		     e->lp_policy.max_buffered || e->lp_policy.pause_on_failure))
			fc_diag_add(&s->diags, s->opts.warnings_as_errors ? FC_SEV_ERROR : FC_SEV_WARNING, "NotInArchive",
				    e->loc,
				    "launch plan '%s': catch_up, max_catch_up, catch_up_window, dst_repeat, dst_skip, jitter, "
				    "max_buffered, pause_on_failure and concurrency other than allow and skip "
				    "are flytec's own; Flyte's LaunchPlan cannot carry them, so the archive leaves them out",
				    e->name);
	}
	stats->fast_bundles = cmp_fast_bundle_count(s);
	rc = write_archive(&p, opts && opts->placeholders, out, err);
	free(sorted);
	free(p.entries);
	fc_strmap_release(&p.done);
	fc_arena_release(&p.a);
	return rc;
}
