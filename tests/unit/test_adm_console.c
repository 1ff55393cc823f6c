/* test_adm_console.c: what Flyte's console needs from the admin, below HTTP: gRPC codes of HTTP errors, resource
 * types in paths, the console's filter keys (query.c), launch plans filtered on their workflow, named entities
 * (list, state filter, update), and protobuf through adm_serve_offline's routing (the route table's messages). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "admin-lite/query.h"
#include "admin-lite/server_int.h"
#include "admin-lite/service_entities.h"
#include "admin-lite/store.h"
#include "admin-lite/store_named.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"

#include <string.h>

static void test_grpc_codes(void **state)
{
	(void)state;
	assert_int_equal(adm_grpc_code(400), 3);
	assert_int_equal(adm_grpc_code(401), 16);
	assert_int_equal(adm_grpc_code(403), 7);
	assert_int_equal(adm_grpc_code(404), 5);
	assert_int_equal(adm_grpc_code(405), 12);
	assert_int_equal(adm_grpc_code(409), 6);
	assert_int_equal(adm_grpc_code(413), 8);
	assert_int_equal(adm_grpc_code(500), 13);
	assert_int_equal(adm_grpc_code(503), 14);
}

static void test_resource_types(void **state)
{
	enum adm_kind k;
	struct fc_err err;

	(void)state;
	assert_int_equal(adm_resource_type_parse("1", &k, &err), 0);
	assert_int_equal(k, ADM_TASK);
	assert_int_equal(adm_resource_type_parse("LAUNCH_PLAN", &k, &err), 0);
	assert_int_equal(k, ADM_LAUNCH_PLAN);
	assert_int_equal(adm_resource_type_parse("0", &k, &err), FC_EINVAL);
	assert_int_equal(adm_resource_type_parse("4", &k, &err), FC_EINVAL);
	assert_int_equal(adm_resource_type_parse("22", &k, &err), FC_EINVAL);
	assert_non_null(strstr(err.msg, "1 (TASK)"));
}

static const struct adm_field versions[] = {
	{"name", "name", ADM_FIELD_TEXT, NULL},
	{"version", "version", ADM_FIELD_TEXT, NULL},
	{"state", "state", ADM_FIELD_INT, NULL},
};
static const struct adm_field execs[] = {
	{"name", "name", ADM_FIELD_TEXT, NULL},
	{"workflow.name", "wf_name", ADM_FIELD_TEXT, NULL},
};

/* The SQL text adm_query_where() appends for `filters`, or the error code. */
static int where(const struct adm_field *f, size_t n, const char *filters, struct fc_buf *sql, size_t *nbinds)
{
	struct adm_query q = {.project = "p", .domain = "development", .filters = filters};
	struct adm_binds b;
	struct fc_err err;
	int rc;

	adm_binds_init(&b);
	fc_buf_reset(sql);
	rc = adm_query_where(&q, f, n, sql, &b, &err);
	*nbinds = b.nr;
	adm_binds_release(&b);
	return rc;
}

static void test_console_filters(void **state)
{
	struct fc_buf sql = FC_BUF_INIT;
	size_t nb;

	(void)state;
	/* the workflow page's filters on workflows: the name is the row's, project and domain are the path's */
	assert_int_equal(where(versions, 3, "eq(workflow.name,hello)+eq(workflow.project,p)+eq(workflow.domain,development)",
			       &sql, &nb), 0);
	assert_string_equal(sql.buf, " AND name = ? AND 1 AND 1");
	assert_int_equal(nb, 1);
	assert_int_equal(where(versions, 3, "eq(task.project,other)", &sql, &nb), 0);
	assert_string_equal(sql.buf, " AND 0");
	assert_int_equal(where(versions, 3, "ne(launch_plan.domain,staging)", &sql, &nb), 0);
	assert_string_equal(sql.buf, " AND 1");
	/* executions have workflow.name as a column, and no task.name: eq matches nothing */
	assert_int_equal(where(execs, 2, "eq(workflow.name,hello)+eq(task.name,t)", &sql, &nb), 0);
	assert_string_equal(sql.buf, " AND wf_name = ? AND 0");
	assert_int_equal(where(execs, 2, "ne(task.name,t)", &sql, &nb), 0);
	assert_string_equal(sql.buf, " AND 1");
	/* schedules on launch plans */
	assert_int_equal(where(versions, 3, "ne(schedule_type,NONE)", &sql, &nb), 0);
	assert_string_equal(sql.buf, " AND has_schedule <> 0");
	assert_int_equal(where(versions, 3, "eq(schedule_type,NONE)", &sql, &nb), 0);
	assert_string_equal(sql.buf, " AND has_schedule = 0");
	assert_int_equal(where(versions, 3, "eq(schedule_type,WEEKLY)", &sql, &nb), FC_EINVAL);
	/* still refused: unknown fields, other functions on project scope, schedules where there are none */
	assert_int_equal(where(versions, 3, "eq(nosuch,1)", &sql, &nb), FC_EINVAL);
	assert_int_equal(where(execs, 2, "eq(schedule_type,NONE)", &sql, &nb), FC_EINVAL);
	assert_int_equal(where(versions, 3, "gt(workflow.project,a)", &sql, &nb), FC_EINVAL);
	assert_int_equal(where(versions, 3, "eq(workflow.name", &sql, &nb), FC_EINVAL);
	fc_buf_release(&sql);
}

static void test_workflow_filters(void **state)
{
	struct fc_arena a;
	struct adm_wf_match m;
	const char *rest;
	bool found;
	struct fc_err err;
	Flyteidl__Admin__LaunchPlan lp = FLYTEIDL__ADMIN__LAUNCH_PLAN__INIT;
	Flyteidl__Admin__LaunchPlanSpec spec = FLYTEIDL__ADMIN__LAUNCH_PLAN_SPEC__INIT;
	Flyteidl__Core__Identifier wid = FLYTEIDL__CORE__IDENTIFIER__INIT;

	(void)state;
	fc_arena_init(&a, 1024);
	assert_int_equal(adm_split_workflow_filters("eq(state,1)+eq(workflow.name,hello)+eq(workflow.version,v2)", &a,
						    &rest, &m, &found, &err), 0);
	assert_true(found);
	assert_string_equal(rest, "eq(state,1)");
	assert_string_equal(m.name, "hello");
	assert_string_equal(m.version, "v2");
	assert_null(m.project);
	wid.project = (char *)"p";
	wid.domain = (char *)"development";
	wid.name = (char *)"hello";
	wid.version = (char *)"v2";
	spec.workflow_id = &wid;
	lp.spec = &spec;
	assert_true(adm_wf_match_launch_plan(&m, &lp));
	wid.version = (char *)"v1";
	assert_false(adm_wf_match_launch_plan(&m, &lp));
	lp.spec = NULL;
	assert_false(adm_wf_match_launch_plan(&m, &lp));
	assert_int_equal(adm_split_workflow_filters("eq(name,x)", &a, &rest, &m, &found, &err), 0);
	assert_false(found);
	assert_string_equal(rest, "eq(name,x)");
	assert_int_equal(adm_split_workflow_filters("eq(workflow.name,w)", &a, &rest, &m, &found, &err), 0);
	assert_true(found);
	assert_null(rest);
	fc_arena_release(&a);
}

#define TASK_JSON(name)                                                                                             \
	"{\"id\":{\"resourceType\":\"TASK\",\"project\":\"p\",\"domain\":\"development\",\"name\":\"" name            \
	"\",\"version\":\"v1\"},\"spec\":{\"template\":{\"id\":{\"resourceType\":\"TASK\",\"project\":\"p\","        \
	"\"domain\":\"development\",\"name\":\"" name "\",\"version\":\"v1\"},\"type\":\"container\","                \
	"\"container\":{\"image\":\"alpine\"}}}}"

static void test_named_entities(void **state)
{
	struct adm_store *store;
	struct fc_buf out = FC_BUF_INIT;
	struct fc_arena a;
	struct fc_err err;
	Flyteidl__Admin__NamedEntityList *l;
	Flyteidl__Admin__NamedEntity *e;
	Flyteidl__Admin__NamedEntityMetadata md = FLYTEIDL__ADMIN__NAMED_ENTITY_METADATA__INIT;
	struct adm_query q = {.project = "p", .domain = "development"};
	struct adm_id id = {"p", "development", "beta", NULL};
	const char *archive = "{\"metadata\":{\"state\":\"NAMED_ENTITY_ARCHIVED\"}}";
	unsigned status;

	(void)state;
	fc_arena_init(&a, 4096);
	assert_int_equal(adm_store_open(":memory:", &store, &err), 0);
	adm_serve_offline(store, "POST", "/api/v1/tasks", TASK_JSON("beta"), strlen(TASK_JSON("beta")), &status, &out);
	assert_int_equal(status, 200);
	adm_serve_offline(store, "POST", "/api/v1/tasks", TASK_JSON("alpha"), strlen(TASK_JSON("alpha")), &status,
			  &out);
	assert_int_equal(status, 200);

	assert_int_equal(adm_named_entity_list(store, ADM_TASK, &q, &a, &l, &err), 0);
	assert_int_equal(l->n_entities, 2);
	assert_string_equal(l->entities[0]->id->name, "alpha"); /* by name */
	assert_int_equal(l->entities[0]->resource_type, FLYTEIDL__CORE__RESOURCE_TYPE__TASK);
	assert_int_equal(adm_named_entity_list(store, ADM_WORKFLOW, &q, &a, &l, &err), 0);
	assert_int_equal(l->n_entities, 0);

	md.state = FLYTEIDL__ADMIN__NAMED_ENTITY_STATE__NAMED_ENTITY_ARCHIVED;
	md.description = (char *)"old";
	assert_int_equal(adm_named_entity_update(store, ADM_TASK, &id, &md, &err), 0);
	q.filters = "eq(state,NAMED_ENTITY_ACTIVE)";
	assert_int_equal(adm_named_entity_list(store, ADM_TASK, &q, &a, &l, &err), 0);
	assert_int_equal(l->n_entities, 1);
	assert_string_equal(l->entities[0]->id->name, "alpha");
	q.filters = "eq(state,1)";
	assert_int_equal(adm_named_entity_list(store, ADM_TASK, &q, &a, &l, &err), 0);
	assert_int_equal(l->n_entities, 1);
	assert_string_equal(l->entities[0]->metadata->description, "old");
	assert_int_equal(adm_named_entity_get(store, ADM_TASK, &id, &a, &e, &err), 0);
	assert_int_equal(e->metadata->state, FLYTEIDL__ADMIN__NAMED_ENTITY_STATE__NAMED_ENTITY_ARCHIVED);

	id.name = "gamma";
	assert_int_equal(adm_named_entity_get(store, ADM_TASK, &id, &a, &e, &err), FC_ENOENT);
	assert_int_equal(adm_named_entity_update(store, ADM_TASK, &id, &md, &err), FC_ENOENT);
	id.name = "beta";
	md.state = 7;
	assert_int_equal(adm_named_entity_update(store, ADM_TASK, &id, &md, &err), FC_EINVAL);
	assert_int_equal(adm_named_entity_update(store, ADM_TASK, &id, NULL, &err), FC_EINVAL);

	/* through the routes (JSON, offline): the path's number picks the kind */
	adm_serve_offline(store, "GET", "/api/v1/named_entities/1/p/development/alpha", NULL, 0, &status, &out);
	assert_int_equal(status, 200);
	assert_non_null(strstr(out.buf, "\"resourceType\":\"TASK\""));
	adm_serve_offline(store, "GET", "/api/v1/named_entities/2/p/development/alpha", NULL, 0, &status, &out);
	assert_int_equal(status, 404);
	adm_serve_offline(store, "GET", "/api/v1/description_entities/1/p/development/alpha", NULL, 0, &status, &out);
	assert_int_equal(status, 200);
	assert_string_equal(out.buf, "{}\n");
	adm_serve_offline(store, "GET", "/api/v1/description_entities/1/p/development/alpha/v1", NULL, 0, &status,
			  &out);
	assert_int_equal(status, 404);
	/* a registration's description: kept for its version, and the named entity's description follows it */
	assert_int_equal(adm_description_put(store, ADM_TASK, &(struct adm_id){"p", "development", "alpha", "v1"},
					     "Alpha <i>task</i>", &err),
			 0);
	adm_serve_offline(store, "GET", "/api/v1/description_entities/1/p/development/alpha", NULL, 0, &status, &out);
	assert_int_equal(status, 200);
	assert_non_null(strstr(out.buf, "\"shortDescription\":\"Alpha <i>task</i>\""));
	assert_non_null(strstr(out.buf, "\"version\":\"v1\""));
	adm_serve_offline(store, "GET", "/api/v1/description_entities/1/p/development/alpha/v1", NULL, 0, &status,
			  &out);
	assert_int_equal(status, 200);
	assert_non_null(strstr(out.buf, "Alpha <i>task</i>"));
	adm_serve_offline(store, "GET", "/api/v1/named_entities/1/p/development/alpha", NULL, 0, &status, &out);
	assert_non_null(strstr(out.buf, "\"description\":\"Alpha <i>task</i>\""));
	adm_serve_offline(store, "PUT", "/api/v1/named_entities/1/p/development/alpha", archive, strlen(archive),
			  &status, &out);
	assert_int_equal(status, 200);
	assert_int_equal(adm_named_entity_get(store, ADM_TASK, &(struct adm_id){"p", "development", "alpha", NULL}, &a,
					      &e, &err), 0);
	assert_int_equal(e->metadata->state, FLYTEIDL__ADMIN__NAMED_ENTITY_STATE__NAMED_ENTITY_ARCHIVED);

	adm_store_free(store);
	fc_buf_release(&out);
	fc_arena_release(&a);
}

/* Every route's messages: a request message only where there is a body to read, and the answer the handler gives
 * is the one the table names (adm_reply_msg checks; here: the table itself is complete for the console's paths). */
static void test_route_table(void **state)
{
	size_t i, with_response = 0;

	(void)state;
	for (i = 0; i < adm_nroutes; i++) {
		const struct adm_route *rt = &adm_routes[i];

		if (!strcmp(rt->method, "GET"))
			assert_null(rt->request);
		if (rt->response)
			with_response++;
		if (!strncmp(rt->pattern, "/api/v1/named_entities", 22) || !strncmp(rt->pattern, "/api/v1/data/", 13))
			assert_non_null(rt->response);
	}
	assert_true(with_response > 40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grpc_codes),
		cmocka_unit_test(test_resource_types),
		cmocka_unit_test(test_console_filters),
		cmocka_unit_test(test_workflow_filters),
		cmocka_unit_test(test_named_entities),
		cmocka_unit_test(test_route_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
