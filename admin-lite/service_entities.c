/* service_entities.c: named entities, description entities, node and task data (see service_entities.h). */
#include "admin-lite/service_entities.h"
#include "admin-lite/query.h"
#include "admin-lite/store_named.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "compiler/lit.h"
#include "core/pbdepth.h"

#include <stdlib.h>
#include <string.h>

int adm_resource_type_parse(const char *s, enum adm_kind *out, struct fc_err *err)
{
	static const struct {
		const char *number, *name;
		enum adm_kind kind;
	} types[] = {
		{"1", "TASK", ADM_TASK},
		{"2", "WORKFLOW", ADM_WORKFLOW},
		{"3", "LAUNCH_PLAN", ADM_LAUNCH_PLAN},
	};
	size_t i;

	for (i = 0; s && i < sizeof(types) / sizeof(types[0]); i++) {
		if (!strcmp(s, types[i].number) || !strcmp(s, types[i].name)) {
			*out = types[i].kind;
			return 0;
		}
	}
	return fc_err_set(err, FC_EINVAL,
			  "resource type '%s' has no named entities here: use 1 (TASK), 2 (WORKFLOW) or 3 (LAUNCH_PLAN)",
			  s ? s : "");
}

static Flyteidl__Admin__NamedEntity *named_entity(struct fc_arena *a, enum adm_kind kind, const char *project,
						   const char *domain, const struct adm_named *row)
{
	Flyteidl__Admin__NamedEntity *e = fc_arena_alloc(a, sizeof(*e));
	Flyteidl__Admin__NamedEntityIdentifier *id = fc_arena_alloc(a, sizeof(*id));
	Flyteidl__Admin__NamedEntityMetadata *md = fc_arena_alloc(a, sizeof(*md));

	flyteidl__admin__named_entity__init(e);
	flyteidl__admin__named_entity_identifier__init(id);
	flyteidl__admin__named_entity_metadata__init(md);
	id->project = fc_arena_strdup(a, project);
	id->domain = fc_arena_strdup(a, domain);
	id->name = (char *)row->name;
	md->description = (char *)(row->description ? row->description : protobuf_c_empty_string);
	md->state = (Flyteidl__Admin__NamedEntityState)row->state;
	e->resource_type = (Flyteidl__Core__ResourceType)kind;
	e->id = id;
	e->metadata = md;
	return e;
}

int adm_named_entity_list(struct adm_store *s, enum adm_kind kind, const struct adm_query *q, struct fc_arena *a,
			  Flyteidl__Admin__NamedEntityList **out, struct fc_err *err)
{
	Flyteidl__Admin__NamedEntityList *l = fc_arena_alloc(a, sizeof(*l));
	struct adm_named *rows = NULL;
	char *next = NULL;
	size_t n = 0, i;
	int rc;

	flyteidl__admin__named_entity_list__init(l);
	*out = NULL;
	rc = adm_check_project(q->project, err);
	if (!rc)
		rc = adm_named_list(s, kind, q, a, &rows, &n, &next, err);
	if (rc)
		return rc;
	l->n_entities = n;
	l->entities = fc_arena_array(a, n + 1, sizeof(*l->entities));
	for (i = 0; i < n; i++)
		l->entities[i] = named_entity(a, kind, q->project, q->domain, &rows[i]);
	l->token = next ? next : (char *)protobuf_c_empty_string;
	*out = l;
	return 0;
}

/* The named entity's row, after checking the id's parts; FC_ENOENT when no version of it is registered. */
static int named_row_get(struct adm_store *s, enum adm_kind kind, const struct adm_id *id, struct fc_arena *a,
			 struct adm_named *row, struct fc_err *err)
{
	struct adm_id name_id = {id->project, id->domain, id->name, NULL};
	int rc = adm_check_id(&name_id, false, err);

	return rc ? rc : adm_named_get(s, kind, &name_id, a, row, err);
}

int adm_named_entity_get(struct adm_store *s, enum adm_kind kind, const struct adm_id *id, struct fc_arena *a,
			 Flyteidl__Admin__NamedEntity **out, struct fc_err *err)
{
	struct adm_named row;
	int rc = named_row_get(s, kind, id, a, &row, err);

	*out = rc ? NULL : named_entity(a, kind, id->project, id->domain, &row);
	return rc;
}

int adm_named_entity_update(struct adm_store *s, enum adm_kind kind, const struct adm_id *id,
			    const Flyteidl__Admin__NamedEntityMetadata *md, struct fc_err *err)
{
	struct adm_id name_id = {id->project, id->domain, id->name, NULL};
	int rc = adm_check_id(&name_id, false, err);

	if (rc)
		return rc;
	if (!md)
		return fc_err_set(err, FC_EINVAL, "'metadata' is required");
	if (md->state < 0 || md->state > FLYTEIDL__ADMIN__NAMED_ENTITY_STATE__SYSTEM_GENERATED)
		return fc_err_set(err, FC_EINVAL, "unknown named entity state %d", (int)md->state);
	if (md->description && strlen(md->description) > ADM_NAMED_DESCRIPTION_MAX)
		return fc_err_set(err, FC_ELIMIT, "description longer than %d bytes", ADM_NAMED_DESCRIPTION_MAX);
	return adm_named_set(s, kind, &name_id, md->description, (int)md->state, err);
}

static Flyteidl__Admin__DescriptionEntity *description_msg(struct fc_arena *a, enum adm_kind kind,
							   const struct adm_id *id, const struct adm_description *row)
{
	Flyteidl__Admin__DescriptionEntity *d = fc_arena_alloc(a, sizeof(*d));
	Flyteidl__Core__Identifier *ident = fc_arena_alloc(a, sizeof(*ident));

	flyteidl__admin__description_entity__init(d);
	flyteidl__core__identifier__init(ident);
	ident->resource_type = (Flyteidl__Core__ResourceType)kind;
	ident->project = fc_arena_strdup(a, id->project);
	ident->domain = fc_arena_strdup(a, id->domain);
	ident->name = (char *)row->name;
	ident->version = (char *)row->version;
	d->id = ident;
	d->short_description = (char *)row->short_description;
	/* always present, if empty, as FlyteAdmin answers it: Flyte's console reads longDescription.value unguarded */
	d->long_description = fc_arena_alloc(a, sizeof(*d->long_description));
	flyteidl__admin__description__init(d->long_description);
	return d;
}

int adm_description_entity_list(struct adm_store *s, enum adm_kind kind, const struct adm_id *id, struct fc_arena *a,
				Flyteidl__Admin__DescriptionEntityList **out, struct fc_err *err)
{
	Flyteidl__Admin__DescriptionEntityList *l = fc_arena_alloc(a, sizeof(*l));
	struct adm_named row;
	int rc = id->name ? named_row_get(s, kind, id, a, &row, err) : adm_check_project(id->project, err);

	struct adm_description *rows;
	size_t n, i;

	*out = NULL;
	if (rc)
		return rc;
	rc = adm_description_list(s, kind, &(struct adm_id){id->project, id->domain, id->name, NULL},
				  ADM_DESCRIPTION_LIST_MAX, a, &rows, &n, err);
	if (rc)
		return rc;
	flyteidl__admin__description_entity_list__init(l);
	l->descriptionentities = fc_arena_array(a, n + 1, sizeof(*l->descriptionentities));
	for (i = 0; i < n; i++)
		l->descriptionentities[i] = description_msg(a, kind, id, &rows[i]);
	l->n_descriptionentities = n;
	*out = l;
	return 0;
}

int adm_description_entity_get(struct adm_store *s, enum adm_kind kind, const struct adm_id *id, struct fc_arena *a,
			       Flyteidl__Admin__DescriptionEntity **out, struct fc_err *err)
{
	struct adm_description *rows;
	size_t n;
	int rc = adm_check_id(id, true, err);

	*out = NULL;
	if (rc)
		return rc;
	rc = adm_description_list(s, kind, id, 1, a, &rows, &n, err);
	if (rc)
		return rc;
	if (!n)
		return fc_err_set(err, FC_ENOENT, "no description entity for %s %s/%s/%s version %s", adm_kind_name(kind),
				  id->project, id->domain, id->name, id->version);
	*out = description_msg(a, kind, id, &rows[0]);
	return 0;
}

int adm_split_workflow_filters(const char *filters, struct fc_arena *a, const char **rest, struct adm_wf_match *m,
			       bool *found, struct fc_err *err)
{
	static const char *const attrs[] = {"project", "domain", "name", "version"};
	struct fc_buf kept = FC_BUF_INIT;
	const char *p, *start;
	int depth = 0;

	memset(m, 0, sizeof(*m));
	*rest = filters;
	*found = false;
	if (!filters || !*filters)
		return 0;
	if (strlen(filters) > 4096)
		return fc_err_set(err, FC_ELIMIT, "filters longer than 4096 characters");
	for (p = start = filters;; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		if ((*p == '+' && depth == 0) || !*p) {
			size_t len = (size_t)(p - start), i, alen = 0;
			const char *attr = len > 13 && !strncmp(start, "eq(workflow.", 12) && start[len - 1] == ')'
						   ? start + 12
						   : NULL;

			for (i = 0; attr && i < FC_ARRAY_LEN(attrs); i++) {
				alen = strlen(attrs[i]);
				if (!strncmp(attr, attrs[i], alen) && attr[alen] == ',')
					break;
			}
			if (attr && i < FC_ARRAY_LEN(attrs)) {
				const char **slot[] = {&m->project, &m->domain, &m->name, &m->version};

				*slot[i] = fc_arena_strndup(a, attr + alen + 1, len - 12 - alen - 2);
				*found = true;
			} else if (len) {
				if (kept.len)
					fc_buf_addch(&kept, '+');
				fc_buf_add(&kept, start, len);
			}
			start = p + 1;
		}
		if (!*p)
			break;
	}
	*rest = kept.len ? fc_arena_strndup(a, kept.buf, kept.len) : NULL;
	fc_buf_release(&kept);
	return 0;
}

bool adm_wf_match_launch_plan(const struct adm_wf_match *m, const Flyteidl__Admin__LaunchPlan *lp)
{
	const Flyteidl__Core__Identifier *w = lp->spec ? lp->spec->workflow_id : NULL;

	if (!w)
		return false;
	return (!m->project || !strcmp(m->project, w->project)) && (!m->domain || !strcmp(m->domain, w->domain)) &&
	       (!m->name || !strcmp(m->name, w->name)) && (!m->version || !strcmp(m->version, w->version));
}

/* Stored output bytes as a LiteralMap in `a` (checked for nesting first); NULL when absent or unreadable. */
static Flyteidl__Core__LiteralMap *stored_literals(struct fc_arena *a, const uint8_t *data, size_t len)
{
	void *m = NULL;

	if (!data || cmp_pb_unpack(a, &flyteidl__core__literal_map__descriptor, data, len, &m, NULL))
		return NULL;
	return m;
}

/*
 * A LiteralMap the propeller wrote next to the store (an input_uri / output_uri of a local run: an absolute path,
 * or file://). Only files named inputs.pb or outputs.pb are read, with no ".." in the path, at most
 * ADM_DATA_FILE_MAX bytes: a URI in an event cannot make the admin serve another file. NULL when absent or
 * unreadable (blob-store URIs such as s3:// are left to the client, as their URI is in the closure).
 */
static Flyteidl__Core__LiteralMap *local_literals(struct fc_arena *a, const char *uri)
{
	struct fc_buf b = FC_BUF_INIT;
	Flyteidl__Core__LiteralMap *m = NULL;
	struct fc_err err;
	size_t len;

	if (!uri)
		return NULL;
	if (!strncmp(uri, "file://", 7))
		uri += 7;
	len = strlen(uri);
	if (uri[0] != '/' || strstr(uri, "/../") || !((len > 10 && !strcmp(uri + len - 10, "/inputs.pb")) ||
						       (len > 11 && !strcmp(uri + len - 11, "/outputs.pb"))))
		return NULL;
	if (!fc_buf_read_file(&b, uri, ADM_DATA_FILE_MAX, &err))
		m = stored_literals(a, (const uint8_t *)b.buf, b.len);
	fc_buf_release(&b);
	return m;
}

int adm_node_execution_data(struct adm_store *s, const struct adm_exec_id *exec, const char *node_id,
			    struct fc_arena *a, Flyteidl__Admin__NodeExecutionGetDataResponse **out, struct fc_err *err)
{
	Flyteidl__Admin__NodeExecutionGetDataResponse *resp = fc_arena_alloc(a, sizeof(*resp));
	struct adm_node_execution n;
	int rc = adm_node_execution_get(s, exec, node_id, a, &n, err);

	*out = NULL;
	if (rc)
		return rc;
	flyteidl__admin__node_execution_get_data_response__init(resp);
	resp->full_inputs = local_literals(a, n.input_uri);
	resp->full_outputs = n.outputs ? stored_literals(a, n.outputs, n.outputs_len) : local_literals(a, n.output_uri);
	*out = resp;
	return 0;
}

int adm_task_execution_data(struct adm_store *s, const struct adm_exec_id *exec, const char *node_id,
			    const struct adm_id *task, uint32_t retry_attempt, struct fc_arena *a,
			    Flyteidl__Admin__TaskExecutionGetDataResponse **out, struct fc_err *err)
{
	Flyteidl__Admin__TaskExecutionGetDataResponse *resp = fc_arena_alloc(a, sizeof(*resp));
	struct adm_task_execution t;
	int rc = adm_task_execution_get(s, exec, node_id, task, retry_attempt, a, &t, err);

	*out = NULL;
	if (rc)
		return rc;
	flyteidl__admin__task_execution_get_data_response__init(resp);
	resp->full_inputs = local_literals(a, t.input_uri);
	resp->full_outputs = t.outputs ? stored_literals(a, t.outputs, t.outputs_len) : local_literals(a, t.output_uri);
	*out = resp;
	return 0;
}
