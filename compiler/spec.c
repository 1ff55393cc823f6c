/*
 * spec.c: the YAML front end. Turns spec files into IDL messages (TaskTemplate, WorkflowTemplate, LaunchPlan)
 * and records where each came from. Literal values whose type is not known yet (node inputs) are kept as
 * pending YAML and converted during validation, once the target's interface is known.
 */
#include "compiler/cmp_int.h"
#include "core/duration.h"

#include <stdlib.h>
#include <string.h>

struct spec_ctx {
	struct cmp_session *s;
	struct fc_source *src;
	const char *project;
	const char *domain;
};

#define REF_TAG "!ref"

static struct fc_arena *A(struct spec_ctx *c)
{
	return &c->s->arena;
}

static struct fc_diag *err_at(struct spec_ctx *c, const struct fc_ynode *n, const char *code, const char *fmt, ...)
	FC_PRINTF(4, 5);
static struct fc_diag *err_at(struct spec_ctx *c, const struct fc_ynode *n, const char *code, const char *fmt, ...)
{
	struct fc_diag *dg;
	va_list ap;

	va_start(ap, fmt);
	dg = fc_diag_vadd(&c->s->diags, FC_SEV_ERROR, code, cmp_ynode_loc(c->src, n), fmt, ap);
	va_end(ap);
	return dg;
}

static const char *key_str(const struct fc_ynode *k)
{
	return k->kind == FC_Y_SCALAR ? k->u.scalar.str : "";
}

/* Every key of `map` must be in `allowed`; unknown keys get a did-you-mean. Returns false on any error. */
static bool check_keys(struct spec_ctx *c, const struct fc_ynode *map, const char *const *allowed, size_t nallowed,
		       const char *what)
{
	bool ok = true;
	size_t i, j;

	for (i = 0; i < map->u.map.n; i++) {
		const struct fc_ynode *k = map->u.map.pairs[i].key;
		const char *name = key_str(k);
		bool found = false;

		if (k->kind != FC_Y_SCALAR) {
			err_at(c, k, "InvalidValue", "keys in %s are plain names", what);
			ok = false;
			continue;
		}
		for (j = 0; j < nallowed && !found; j++)
			found = !strcmp(allowed[j], name);
		if (!found) {
			const char *hint = cmp_did_you_mean(name, allowed, nallowed);
			struct fc_buf keys = FC_BUF_INIT;

			for (j = 0; j < nallowed; j++)
				fc_buf_addf(&keys, "%s%s", j ? ", " : "", allowed[j]);
			if (hint)
				fc_diag_fix_word(err_at(c, k, "UnknownKey", "unknown key '%s' in %s; did you mean '%s'?",
							name, what, hint),
						 name, hint);
			else
				err_at(c, k, "UnknownKey", "unknown key '%s' in %s (known keys: %s)", name, what, keys.buf);
			fc_buf_release(&keys);
			ok = false;
		}
	}
	return ok;
}

static bool expect_kind(struct spec_ctx *c, const struct fc_ynode *n, enum fc_ynode_kind kind, const char *what)
{
	static const char *const names[] = {"a scalar", "a list", "a mapping"};

	if (n && n->kind == kind && !(kind == FC_Y_SCALAR && fc_ynode_is_null(n)))
		return true;
	err_at(c, n, "InvalidValue", "%s must be %s, found %s", what, names[kind],
	       !n || fc_ynode_is_null(n) ? "nothing" : names[n->kind]);
	return false;
}

static const char *get_string(struct spec_ctx *c, const struct fc_ynode *map, const char *key, bool required,
			      const char *what)
{
	const struct fc_ynode *v = fc_ymap_get(map, key);

	if (!v) {
		if (required)
			err_at(c, map, "ValueRequired", "%s needs '%s'", what, key);
		return NULL;
	}
	if (v->kind != FC_Y_SCALAR || fc_ynode_is_null(v) || (v->tag && !strcmp(v->tag, REF_TAG))) {
		err_at(c, v, "InvalidValue", "'%s' of %s must be a string", key, what);
		return NULL;
	}
	return v->u.scalar.str;
}

static bool get_bool(struct spec_ctx *c, const struct fc_ynode *v, const char *what, bool *out)
{
	const char *k = cmp_yaml_scalar_kind(v);

	if (strcmp(k, "bool")) {
		err_at(c, v, "InvalidValue", "%s must be true or false", what);
		return false;
	}
	*out = v->u.scalar.str[0] == 't' || v->u.scalar.str[0] == 'T';
	return true;
}

static bool get_uint(struct spec_ctx *c, const struct fc_ynode *v, const char *what, uint64_t max, uint64_t *out)
{
	const char *k = cmp_yaml_scalar_kind(v);
	char *end;
	unsigned long long x;

	if (strcmp(k, "int") || v->u.scalar.str[0] == '-') {
		err_at(c, v, "InvalidValue", "%s must be a non-negative integer", what);
		return false;
	}
	x = strtoull(v->u.scalar.str, &end, 0);
	if (*end || x > max) {
		err_at(c, v, "InvalidValue", "%s must be at most %llu", what, (unsigned long long)max);
		return false;
	}
	*out = x;
	return true;
}

static bool get_duration(struct spec_ctx *c, const struct fc_ynode *v, const char *what, int64_t *nanos)
{
	struct fc_err e;
	size_t off = 0;

	if (v->kind != FC_Y_SCALAR || fc_ynode_is_null(v)) {
		err_at(c, v, "InvalidValue", "%s must be a duration such as 30s, 5m or 1h30m", what);
		return false;
	}
	if (fc_duration_parse(v->u.scalar.str, nanos, &off, &e)) {
		struct fc_loc loc = cmp_ynode_loc(c->src, v);

		if (v->style == FC_Y_PLAIN)
			loc.col += (uint32_t)off;
		fc_diag_add(&c->s->diags, FC_SEV_ERROR, "InvalidValue", loc, "%s: %s", what, e.msg);
		return false;
	}
	if (*nanos <= 0) {
		err_at(c, v, "InvalidValue", "%s must be longer than zero", what);
		return false;
	}
	return true;
}

static char **string_list(struct spec_ctx *c, const struct fc_ynode *v, const char *what, size_t *n)
{
	char **items;
	size_t i;

	*n = 0;
	if (v->kind == FC_Y_SCALAR && !fc_ynode_is_null(v)) {
		items = fc_arena_array(A(c), 1, sizeof(char *));
		items[0] = (char *)v->u.scalar.str;
		*n = 1;
		return items;
	}
	if (!expect_kind(c, v, FC_Y_SEQ, what))
		return NULL;
	items = fc_arena_array(A(c), v->u.seq.n ? v->u.seq.n : 1, sizeof(char *));
	for (i = 0; i < v->u.seq.n; i++) {
		const struct fc_ynode *item = v->u.seq.items[i];

		if (item->kind != FC_Y_SCALAR || fc_ynode_is_null(item)) {
			err_at(c, item, "InvalidValue", "items of %s must be strings", what);
			return NULL;
		}
		items[i] = (char *)item->u.scalar.str;
	}
	*n = v->u.seq.n;
	return items;
}

/* --- interfaces -------------------------------------------------------------------------------------------- */
static const char *const var_keys[] = {"type", "description", "default"}; /* outputs: the first two */

/* inputs:/outputs: mapping of name -> type, or name -> {type, default, description}. */
static Flyteidl__Core__VariableMap *parse_vars(struct spec_ctx *c, const struct fc_ynode *map, const char *what,
					       struct cmp_entity *owner, bool allow_defaults)
{
	Flyteidl__Core__VariableMap *vm = cmp_varmap_new(A(c));
	size_t i;

	if (!map || fc_ynode_is_null(map))
		return vm;
	if (!expect_kind(c, map, FC_Y_MAP, what))
		return vm;
	for (i = 0; i < map->u.map.n; i++) {
		const struct fc_ynode *k = map->u.map.pairs[i].key, *v = map->u.map.pairs[i].value;
		const char *name = key_str(k);
		Flyteidl__Core__Variable *var = CMP_NEW(A(c), Flyteidl__Core__Variable, flyteidl__core__variable__descriptor);
		const struct fc_ynode *type_node = v;

		if (!cmp_valid_var_name(name)) {
			err_at(c, k, "InvalidName",
			       "'%s' is not a valid variable name (letters, digits and _, not starting with a digit)",
			       name);
			continue;
		}
		if (v->kind == FC_Y_MAP && fc_ymap_get(v, "type")) {
			const struct fc_ynode *def = fc_ymap_get(v, "default");
			const char *desc;

			check_keys(c, v, var_keys, allow_defaults ? 3 : 2, what); /* reported; keep the variable */
			type_node = fc_ymap_get(v, "type");
			desc = get_string(c, v, "description", false, what);
			if (desc)
				var->description = (char *)desc;
			if (def && owner) {
				owner->defaults = fc_xrealloc(owner->defaults, (owner->ndefaults + 1) * sizeof(*owner->defaults));
				owner->defaults[owner->ndefaults].var = name;
				owner->defaults[owner->ndefaults].value = fc_ynode_copy(A(c), def);
				owner->defaults[owner->ndefaults].literal = NULL;
				owner->ndefaults++;
			}
		}
		var->type = cmp_type_parse(c->s, c->src, type_node);
		if (!var->type)
			continue;
		cmp_remember(c->s, var, c->src, k);
		cmp_var_add(A(c), vm, name, var);
	}
	cmp_varmap_sort(vm);
	return vm;
}

/* --- tasks ------------------------------------------------------------------------------------------------- */
static const char *const task_keys[] = {"name",    "type",   "description", "inputs", "outputs", "container",
					"retries", "timeout", "cache",      "interruptible", "config", "custom",
					"type_version"};
static const char *const container_keys[] = {"image", "command", "args", "env", "resources"};
static const char *const resource_keys[] = {"requests", "limits"};
static const char *const resource_names[] = {"cpu", "gpu", "memory", "storage", "ephemeral_storage"};
static const char *const cache_keys[] = {"version", "serializable", "ignore_inputs"};

static Flyteidl__Core__Resources *parse_resources(struct spec_ctx *c, const struct fc_ynode *v)
{
	Flyteidl__Core__Resources *res = CMP_NEW(A(c), Flyteidl__Core__Resources, flyteidl__core__resources__descriptor);
	int64_t requests[6] = {0}, limits[6] = {0};
	const struct fc_ynode *nodes[2][6] = {{0}};
	size_t side, i, j;

	if (!expect_kind(c, v, FC_Y_MAP, "resources") ||
	    !check_keys(c, v, resource_keys, FC_ARRAY_LEN(resource_keys), "resources"))
		return NULL;
	for (side = 0; side < 2; side++) {
		const struct fc_ynode *m = fc_ymap_get(v, side ? "limits" : "requests");

		if (!m)
			continue;
		if (!expect_kind(c, m, FC_Y_MAP, side ? "resources.limits" : "resources.requests") ||
		    !check_keys(c, m, resource_names, FC_ARRAY_LEN(resource_names), "resources"))
			return NULL;
		for (i = 0; i < m->u.map.n; i++) {
			const char *name = key_str(m->u.map.pairs[i].key);
			const struct fc_ynode *q = m->u.map.pairs[i].value;
			Flyteidl__Core__Resources__ResourceEntry *e;
			struct fc_err qe;
			int64_t milli;

			if (q->kind != FC_Y_SCALAR || fc_ynode_is_null(q) ||
			    fc_quantity_parse(q->u.scalar.str, &milli, &qe)) {
				err_at(c, q, "InvalidValue", "%s",
				       q->kind == FC_Y_SCALAR && !fc_ynode_is_null(q)
					       ? qe.msg
					       : "a resource quantity such as 500m, 2 or 1Gi is needed");
				continue;
			}
			e = CMP_NEW(A(c), Flyteidl__Core__Resources__ResourceEntry,
				    flyteidl__core__resources__resource_entry__descriptor);
			for (j = 0; j < FC_ARRAY_LEN(resource_names); j++)
				if (!strcmp(resource_names[j], name))
					break;
			/* cpu=1, gpu=2, memory=3, storage=4, ephemeral_storage=5 */
			e->name = (Flyteidl__Core__Resources__ResourceName)(j + 1);
			e->value = (char *)q->u.scalar.str;
			if (side) {
				limits[j + 1] = milli;
				nodes[1][j + 1] = q;
				CMP_PUSH(A(c), res->limits, res->n_limits, e);
			} else {
				requests[j + 1] = milli;
				nodes[0][j + 1] = q;
				CMP_PUSH(A(c), res->requests, res->n_requests, e);
			}
		}
	}
	for (j = 1; j < 6; j++) {
		if (nodes[0][j] && nodes[1][j] && requests[j] > limits[j]) {
			struct fc_diag *dg = err_at(c, nodes[0][j], "InvalidValue",
						    "%s request %s is larger than its limit %s", resource_names[j - 1],
						    nodes[0][j]->u.scalar.str, nodes[1][j]->u.scalar.str);

			fc_diag_note(dg, cmp_ynode_loc(c->src, nodes[1][j]), "the limit is set here");
		}
	}
	return res;
}

static Flyteidl__Core__Container *parse_container(struct spec_ctx *c, const struct fc_ynode *v)
{
	Flyteidl__Core__Container *ct = CMP_NEW(A(c), Flyteidl__Core__Container, flyteidl__core__container__descriptor);
	const struct fc_ynode *x;
	size_t i;

	if (!expect_kind(c, v, FC_Y_MAP, "container"))
		return NULL;
	check_keys(c, v, container_keys, FC_ARRAY_LEN(container_keys), "container"); /* reported; keep the rest */
	ct->image = (char *)get_string(c, v, "image", true, "a container");
	if (!ct->image)
		ct->image = (char *)"";
	if ((x = fc_ymap_get(v, "command")))
		ct->command = string_list(c, x, "command", &ct->n_command);
	if ((x = fc_ymap_get(v, "args")))
		ct->args = string_list(c, x, "args", &ct->n_args);
	if ((x = fc_ymap_get(v, "env")) && expect_kind(c, x, FC_Y_MAP, "env")) {
		for (i = 0; i < x->u.map.n; i++) {
			const struct fc_ynode *ev = x->u.map.pairs[i].value;
			Flyteidl__Core__KeyValuePair *kv;

			if (ev->kind != FC_Y_SCALAR) {
				err_at(c, ev, "InvalidValue", "environment values are strings");
				continue;
			}
			kv = CMP_NEW(A(c), Flyteidl__Core__KeyValuePair, flyteidl__core__key_value_pair__descriptor);
			kv->key = (char *)key_str(x->u.map.pairs[i].key);
			kv->value = (char *)(fc_ynode_is_null(ev) ? "" : ev->u.scalar.str);
			CMP_PUSH(A(c), ct->env, ct->n_env, kv);
		}
	}
	if ((x = fc_ymap_get(v, "resources")))
		ct->resources = parse_resources(c, x);
	if (!ct->resources)
		ct->resources = CMP_NEW(A(c), Flyteidl__Core__Resources, flyteidl__core__resources__descriptor);
	return ct;
}

static Flyteidl__Core__RetryStrategy *retry_strategy(struct spec_ctx *c, uint32_t n)
{
	Flyteidl__Core__RetryStrategy *r = CMP_NEW(A(c), Flyteidl__Core__RetryStrategy, flyteidl__core__retry_strategy__descriptor);

	r->retries = n;
	return r;
}

static void parse_task(struct spec_ctx *c, const struct fc_ynode *t)
{
	struct cmp_entity *e;
	Flyteidl__Core__TaskTemplate *tpl;
	Flyteidl__Core__TaskMetadata *md;
	const struct fc_ynode *x;
	const char *name, *type;

	if (!expect_kind(c, t, FC_Y_MAP, "a task"))
		return;
	check_keys(c, t, task_keys, FC_ARRAY_LEN(task_keys), "a task");
	name = get_string(c, t, "name", true, "a task");
	if (!name)
		return;
	if (!cmp_valid_name(name)) {
		err_at(c, fc_ymap_get(t, "name"), "InvalidName",
		       "'%s' is not a valid task name (letters, digits, '_', '.', '-'; starting with a letter)", name);
		return;
	}
	e = cmp_entity_new(c->s, CMP_KIND_TASK, name, cmp_ynode_loc(c->src, t));
	if (!e)
		return;
	e->project = c->project;
	e->domain = c->domain;
	e->description = get_string(c, t, "description", false, "a task");
	tpl = CMP_NEW(A(c), Flyteidl__Core__TaskTemplate, flyteidl__core__task_template__descriptor);
	e->task = tpl;
	cmp_remember(c->s, tpl, c->src, t);
	cmp_remember(c->s, e, c->src, fc_ymap_get(t, "name"));
	tpl->id = cmp_ident(A(c), FLYTEIDL__CORE__RESOURCE_TYPE__TASK, c->project, c->domain, name, "");
	type = get_string(c, t, "type", false, "a task");
	tpl->type = (char *)(type ? type : fc_ymap_get(t, "container") ? "container" : "");
	if (!*tpl->type)
		err_at(c, t, "ValueRequired", "task '%s' needs a 'type' (container, raw-container, echo, sleep, ...) "
					       "or a 'container'", name);
	tpl->interface = CMP_NEW(A(c), Flyteidl__Core__TypedInterface, flyteidl__core__typed_interface__descriptor);
	tpl->interface->inputs = parse_vars(c, fc_ymap_get(t, "inputs"), "task inputs", e, true);
	tpl->interface->outputs = parse_vars(c, fc_ymap_get(t, "outputs"), "task outputs", NULL, false);
	md = CMP_NEW(A(c), Flyteidl__Core__TaskMetadata, flyteidl__core__task_metadata__descriptor);
	tpl->metadata = md;
	md->retries = retry_strategy(c, 0);
	if ((x = fc_ymap_get(t, "container"))) {
		tpl->target_case = FLYTEIDL__CORE__TASK_TEMPLATE__TARGET_CONTAINER;
		tpl->container = parse_container(c, x);
		if (!tpl->container)
			tpl->target_case = FLYTEIDL__CORE__TASK_TEMPLATE__TARGET__NOT_SET;
		else
			cmp_remember(c->s, tpl->container, c->src, x);
	}
	if ((x = fc_ymap_get(t, "retries"))) {
		uint64_t n;

		if (get_uint(c, x, "retries", 100, &n))
			md->retries->retries = (uint32_t)n;
	}
	if ((x = fc_ymap_get(t, "timeout"))) {
		int64_t nanos;

		if (get_duration(c, x, "timeout", &nanos))
			md->timeout = cmp_duration_msg(A(c), nanos);
	}
	if ((x = fc_ymap_get(t, "interruptible"))) {
		bool b;

		if (get_bool(c, x, "interruptible", &b)) {
			md->interruptible_value_case = FLYTEIDL__CORE__TASK_METADATA__INTERRUPTIBLE_VALUE_INTERRUPTIBLE;
			md->interruptible = b;
		}
	}
	if ((x = fc_ymap_get(t, "cache"))) {
		md->discoverable = true;
		if (x->kind == FC_Y_SCALAR && !fc_ynode_is_null(x)) {
			md->discovery_version = (char *)x->u.scalar.str;
		} else if (expect_kind(c, x, FC_Y_MAP, "cache") &&
			   check_keys(c, x, cache_keys, FC_ARRAY_LEN(cache_keys), "cache")) {
			const struct fc_ynode *y;

			md->discovery_version = (char *)get_string(c, x, "version", true, "cache");
			if (!md->discovery_version)
				md->discovery_version = (char *)"";
			if ((y = fc_ymap_get(x, "serializable"))) {
				bool b;

				if (get_bool(c, y, "cache.serializable", &b))
					md->cache_serializable = b;
			}
			if ((y = fc_ymap_get(x, "ignore_inputs"))) {
				size_t i;

				md->cache_ignore_input_vars = string_list(c, y, "cache.ignore_inputs",
									  &md->n_cache_ignore_input_vars);
				for (i = 0; i < md->n_cache_ignore_input_vars; i++) {
					if (!cmp_var_find(tpl->interface->inputs, md->cache_ignore_input_vars[i]))
						err_at(c, y, "VariableNameNotFound",
						       "cache.ignore_inputs names '%s', which is not an input of task '%s'",
						       md->cache_ignore_input_vars[i], name);
				}
			}
		}
	}
	if ((x = fc_ymap_get(t, "config")) && expect_kind(c, x, FC_Y_MAP, "config")) {
		size_t i;

		for (i = 0; i < x->u.map.n; i++) {
			const struct fc_ynode *cv = x->u.map.pairs[i].value;
			Flyteidl__Core__TaskTemplate__ConfigEntry *ce;

			if (cv->kind != FC_Y_SCALAR) {
				err_at(c, cv, "InvalidValue", "config values are strings");
				continue;
			}
			ce = CMP_NEW(A(c), Flyteidl__Core__TaskTemplate__ConfigEntry,
				     flyteidl__core__task_template__config_entry__descriptor);
			ce->key = (char *)key_str(x->u.map.pairs[i].key);
			ce->value = (char *)cv->u.scalar.str;
			CMP_PUSH(A(c), tpl->config, tpl->n_config, ce);
		}
	}
	if ((x = fc_ymap_get(t, "custom"))) {
		struct fc_buf why = FC_BUF_INIT;
		const struct fc_ynode *bad = NULL;

		tpl->custom = cmp_struct_from_ynode(A(c), x, &why, &bad);
		if (!tpl->custom)
			err_at(c, bad ? bad : x, "InvalidValue", "custom: %s", why.buf);
		fc_buf_release(&why);
	}
	if ((x = fc_ymap_get(t, "type_version"))) {
		uint64_t v;

		if (get_uint(c, x, "type_version", INT32_MAX, &v))
			tpl->task_type_version = (int32_t)v;
	}
}

/* --- bindings ---------------------------------------------------------------------------------------------- */
static bool has_ref(const struct fc_ynode *n, unsigned depth)
{
	size_t i;

	if (depth > 200)
		return false;
	if (n->tag && !strcmp(n->tag, REF_TAG))
		return true;
	if (n->kind == FC_Y_SEQ) {
		for (i = 0; i < n->u.seq.n; i++)
			if (has_ref(n->u.seq.items[i], depth + 1))
				return true;
	} else if (n->kind == FC_Y_MAP) {
		for (i = 0; i < n->u.map.n; i++)
			if (has_ref(n->u.map.pairs[i].value, depth + 1))
				return true;
	}
	return false;
}

/* "inputs.x" -> (start-node, x); "n1.o0" -> (n1, o0); "n1" -> (n1, "") resolved to the single output later. */
static Flyteidl__Core__OutputReference *parse_ref(struct spec_ctx *c, const struct fc_ynode *n)
{
	Flyteidl__Core__OutputReference *ref;
	const char *text, *dot;

	if (n->kind != FC_Y_SCALAR || fc_ynode_is_null(n)) {
		err_at(c, n, "InvalidReference", "!ref takes 'inputs.NAME' or 'NODE.OUTPUT'");
		return NULL;
	}
	text = n->u.scalar.str;
	ref = CMP_NEW(A(c), Flyteidl__Core__OutputReference, flyteidl__core__output_reference__descriptor);
	dot = strchr(text, '.');
	if (dot && strchr(dot + 1, '.')) {
		err_at(c, n, "InvalidReference", "'%s' has more than one '.': write 'inputs.NAME' or 'NODE.OUTPUT'", text);
		return NULL;
	}
	if (dot) {
		ref->node_id = fc_arena_strndup(A(c), text, (size_t)(dot - text));
		ref->var = fc_arena_strdup(A(c), dot + 1);
	} else {
		ref->node_id = fc_arena_strdup(A(c), text);
		ref->var = (char *)"";
	}
	if (!strcmp(ref->node_id, "inputs")) {
		if (!*ref->var) {
			err_at(c, n, "InvalidReference", "'!ref inputs' needs a name: '!ref inputs.NAME'");
			return NULL;
		}
		ref->node_id = (char *)CMP_START_NODE;
	}
	if (!*ref->node_id || (*ref->var && !cmp_valid_var_name(ref->var))) {
		err_at(c, n, "InvalidReference", "'%s' is not a reference: write 'inputs.NAME' or 'NODE.OUTPUT'", text);
		return NULL;
	}
	cmp_remember(c->s, ref, c->src, n);
	return ref;
}

static Flyteidl__Core__BindingData *parse_binding_data(struct spec_ctx *c, const struct fc_ynode *v, unsigned depth)
{
	Flyteidl__Core__BindingData *bd = CMP_NEW(A(c), Flyteidl__Core__BindingData, flyteidl__core__binding_data__descriptor);
	size_t i;

	cmp_remember(c->s, bd, c->src, v);
	if (v->tag && !strcmp(v->tag, REF_TAG)) {
		bd->value_case = FLYTEIDL__CORE__BINDING_DATA__VALUE_PROMISE;
		bd->promise = parse_ref(c, v);
		return bd->promise ? bd : NULL;
	}
	if (depth < 100 && has_ref(v, 0)) {
		if (v->kind == FC_Y_SEQ) {
			bd->value_case = FLYTEIDL__CORE__BINDING_DATA__VALUE_COLLECTION;
			bd->collection = CMP_NEW(A(c), Flyteidl__Core__BindingDataCollection,
						 flyteidl__core__binding_data_collection__descriptor);
			for (i = 0; i < v->u.seq.n; i++) {
				Flyteidl__Core__BindingData *item = parse_binding_data(c, v->u.seq.items[i], depth + 1);

				if (!item)
					return NULL;
				CMP_PUSH(A(c), bd->collection->bindings, bd->collection->n_bindings, item);
			}
			return bd;
		}
		if (v->kind == FC_Y_MAP) {
			bd->value_case = FLYTEIDL__CORE__BINDING_DATA__VALUE_MAP;
			bd->map = CMP_NEW(A(c), Flyteidl__Core__BindingDataMap, flyteidl__core__binding_data_map__descriptor);
			for (i = 0; i < v->u.map.n; i++) {
				Flyteidl__Core__BindingDataMap__BindingsEntry *e =
					CMP_NEW(A(c), Flyteidl__Core__BindingDataMap__BindingsEntry,
						flyteidl__core__binding_data_map__bindings_entry__descriptor);

				e->key = (char *)key_str(v->u.map.pairs[i].key);
				e->value = parse_binding_data(c, v->u.map.pairs[i].value, depth + 1);
				if (!e->value)
					return NULL;
				CMP_PUSH(A(c), bd->map->bindings, bd->map->n_bindings, e);
			}
			return bd;
		}
	}
	/* A plain value: converted when the expected type is known (a copy: the file's tree is gone by then). */
	cmp_set_pending(c->s, bd, fc_ynode_copy(A(c), v));
	return bd;
}

static void add_binding(struct spec_ctx *c, Flyteidl__Core__Binding ***list, size_t *n, const struct fc_ynode *key,
			const struct fc_ynode *value)
{
	Flyteidl__Core__Binding *b = CMP_NEW(A(c), Flyteidl__Core__Binding, flyteidl__core__binding__descriptor);

	b->var = (char *)key_str(key);
	b->binding = parse_binding_data(c, value, 0);
	/* kept when it failed (reported), so the input does not also read as unbound */
	cmp_remember(c->s, b, c->src, key);
	cmp_push(A(c), (void ***)list, n, b);
}

/* Node ids a binding depends on, added to `node`'s upstream ids (flytekit fills these the same way). */
static void collect_promises(const Flyteidl__Core__BindingData *bd, struct fc_arena *a, char ***ids, size_t *n)
{
	size_t i;

	if (!bd)
		return;
	switch (bd->value_case) {
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_PROMISE:
		/* duplicates are removed when the ids are added to the node (add_upstreams) */
		if (strcmp(bd->promise->node_id, CMP_START_NODE))
			cmp_push(a, (void ***)ids, n, bd->promise->node_id);
		break;
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_COLLECTION:
		for (i = 0; i < bd->collection->n_bindings; i++)
			collect_promises(bd->collection->bindings[i], a, ids, n);
		break;
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_MAP:
		for (i = 0; i < bd->map->n_bindings; i++)
			collect_promises(bd->map->bindings[i]->value, a, ids, n);
		break;
	default:
		break;
	}
}

/* --- nodes ------------------------------------------------------------------------------------------------- */
static int binding_var_cmp(const void *a, const void *b)
{
	const Flyteidl__Core__Binding *const *x = a, *const *y = b;

	return strcmp((*x)->var, (*y)->var);
}

static const char *const node_keys[] = {"id",      "name",    "task",     "workflow", "launch_plan", "branch",
					"gate",    "map",     "inputs",   "after",    "retries",     "timeout",
					"interruptible", "cache", "resources", "image", "output_aliases"};
static const char *const body_keys[] = {"id",      "name",    "task",     "workflow",      "launch_plan",
					"inputs",  "after",   "retries",  "timeout",       "interruptible",
					"cache",   "resources", "image",  "output_aliases", "branch", "gate", "map"};
static const char *const map_keys[] = {"task", "workflow", "launch_plan", "parallelism", "min_successes",
				       "min_success_ratio", "broadcast"};
static const char *const gate_keys[] = {"sleep", "approve", "signal"};
static const char *const signal_keys[] = {"id", "type", "output"};
static const char *const case_keys[] = {"if", "elif", "then", "else", "else_fail"};

struct node_ctx {
	const char *workflow;
	/* condition references of the branch being parsed */
	Flyteidl__Core__Node *branch;
	struct spec_ctx *c;
};

static Flyteidl__Core__Node *parse_node(struct spec_ctx *c, const struct fc_ynode *n, const char *default_id,
					const char *workflow, unsigned depth);

static Flyteidl__Core__Identifier *target_ref(struct spec_ctx *c, const struct fc_ynode *v,
					      Flyteidl__Core__ResourceType rt)
{
	Flyteidl__Core__Identifier *id;
	const char *text;

	if (v->kind != FC_Y_SCALAR || fc_ynode_is_null(v)) {
		err_at(c, v, "InvalidValue", "a reference to a %s is its name",
		       rt == FLYTEIDL__CORE__RESOURCE_TYPE__TASK ? "task"
		       : rt == FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW ? "workflow"
								      : "launch plan");
		return NULL;
	}
	text = v->u.scalar.str;
	id = cmp_ident(A(c), rt, c->project, c->domain, text, "");
	cmp_remember(c->s, id, c->src, v);
	return id;
}

static void parse_node_metadata(struct spec_ctx *c, const struct fc_ynode *n, Flyteidl__Core__Node *node,
				const char *target_name)
{
	Flyteidl__Core__NodeMetadata *md = CMP_NEW(A(c), Flyteidl__Core__NodeMetadata, flyteidl__core__node_metadata__descriptor);
	const struct fc_ynode *x;
	const char *name = get_string(c, n, "name", false, "a node");

	md->name = (char *)(name ? name : target_name ? target_name : node->id);
	if ((x = fc_ymap_get(n, "retries"))) {
		uint64_t v;

		if (get_uint(c, x, "retries", 100, &v))
			md->retries = retry_strategy(c, (uint32_t)v);
	}
	if ((x = fc_ymap_get(n, "timeout"))) {
		int64_t nanos;

		if (get_duration(c, x, "timeout", &nanos))
			md->timeout = cmp_duration_msg(A(c), nanos);
	}
	if ((x = fc_ymap_get(n, "interruptible"))) {
		bool b;

		if (get_bool(c, x, "interruptible", &b)) {
			md->interruptible_value_case = FLYTEIDL__CORE__NODE_METADATA__INTERRUPTIBLE_VALUE_INTERRUPTIBLE;
			md->interruptible = b;
		}
	}
	if ((x = fc_ymap_get(n, "cache"))) {
		bool b = false;

		if (x->kind == FC_Y_SCALAR && !strcmp(cmp_yaml_scalar_kind(x), "bool")) {
			get_bool(c, x, "cache", &b);
			md->cacheable_value_case = FLYTEIDL__CORE__NODE_METADATA__CACHEABLE_VALUE_CACHEABLE;
			md->cacheable = b;
		} else if (x->kind == FC_Y_MAP && check_keys(c, x, cache_keys, 2, "a node's cache")) {
			const struct fc_ynode *y;

			md->cacheable_value_case = FLYTEIDL__CORE__NODE_METADATA__CACHEABLE_VALUE_CACHEABLE;
			md->cacheable = true;
			if ((y = fc_ymap_get(x, "version")) && y->kind == FC_Y_SCALAR) {
				md->cache_version_value_case = FLYTEIDL__CORE__NODE_METADATA__CACHE_VERSION_VALUE_CACHE_VERSION;
				md->cache_version = (char *)y->u.scalar.str;
			}
			if ((y = fc_ymap_get(x, "serializable")) && get_bool(c, y, "cache.serializable", &b)) {
				md->cache_serializable_value_case =
					FLYTEIDL__CORE__NODE_METADATA__CACHE_SERIALIZABLE_VALUE_CACHE_SERIALIZABLE;
				md->cache_serializable = b;
			}
		} else if (x->kind == FC_Y_SCALAR && !fc_ynode_is_null(x)) {
			md->cacheable_value_case = FLYTEIDL__CORE__NODE_METADATA__CACHEABLE_VALUE_CACHEABLE;
			md->cacheable = true;
			md->cache_version_value_case = FLYTEIDL__CORE__NODE_METADATA__CACHE_VERSION_VALUE_CACHE_VERSION;
			md->cache_version = (char *)x->u.scalar.str;
		} else {
			err_at(c, x, "InvalidValue", "a node's cache is true/false, a version, or {version, serializable}");
		}
	}
	node->metadata = md;
}

/* Collect the condition references of a branch into the branch node's inputs (".x" for workflow inputs,
 * "n0.o0" for node outputs, as flytekit names them). */
static const char *branch_ref(void *ctx, const char *node_id, const char *var, struct fc_loc loc)
{
	struct node_ctx *nc = ctx;
	struct spec_ctx *c = nc->c;
	Flyteidl__Core__Node *br = nc->branch;
	bool is_input = !strcmp(node_id, CMP_START_NODE);
	const char *name = fc_arena_printf(A(c), "%s.%s", is_input ? "" : node_id, var);
	Flyteidl__Core__Binding *b;
	size_t i;

	for (i = 0; i < br->n_inputs; i++)
		if (!strcmp(br->inputs[i]->var, name))
			return name;
	b = CMP_NEW(A(c), Flyteidl__Core__Binding, flyteidl__core__binding__descriptor);
	b->var = (char *)name;
	b->binding = CMP_NEW(A(c), Flyteidl__Core__BindingData, flyteidl__core__binding_data__descriptor);
	b->binding->value_case = FLYTEIDL__CORE__BINDING_DATA__VALUE_PROMISE;
	b->binding->promise = CMP_NEW(A(c), Flyteidl__Core__OutputReference, flyteidl__core__output_reference__descriptor);
	b->binding->promise->node_id = (char *)node_id;
	b->binding->promise->var = (char *)var;
	{
		struct fc_loc l = loc;

		cmp_set_loc(c->s, b, l);
		cmp_set_loc(c->s, b->binding, l);
		cmp_set_loc(c->s, b->binding->promise, l);
	}
	CMP_PUSH(A(c), br->inputs, br->n_inputs, b);
	return name;
}

/* Add ids to a node's upstream set, keeping first-seen order and dropping duplicates: linear for the usual
 * handful, a hash set for fan-ins of thousands. */
/* Add upstream ids, once each, leaving out the start node and `self` (the node's own id: a top-level node reading
 * its own output is a cycle reported elsewhere). A branch case's node passes NULL: its id is local ("n0", given the
 * branch's prefix later), so an outer node of the same name is a real upstream (Flyte's ids never collide). */
static void add_upstreams(struct spec_ctx *c, Flyteidl__Core__Node *node, char **ids, size_t n, const char *self)
{
	struct fc_strmap seen = FC_STRMAP_INIT;
	bool large = node->n_upstream_node_ids + n > 32;
	size_t i, j;

	if (large)
		for (i = 0; i < node->n_upstream_node_ids; i++)
			fc_strmap_put(&seen, node->upstream_node_ids[i], node);
	for (i = 0; i < n; i++) {
		const char *id = ids[i];
		bool dup = false;

		if (!strcmp(id, CMP_START_NODE) || (self && !strcmp(id, self)))
			continue;
		if (large) {
			dup = fc_strmap_has(&seen, id);
			if (!dup)
				fc_strmap_put(&seen, id, node);
		} else {
			for (j = 0; j < node->n_upstream_node_ids && !dup; j++)
				dup = !strcmp(node->upstream_node_ids[j], id);
		}
		if (!dup)
			CMP_PUSH(A(c), node->upstream_node_ids, node->n_upstream_node_ids, (char *)id);
	}
	fc_strmap_release(&seen);
}

/* Inner nodes of a branch depend on outer nodes; the branch node must wait for them too. */
static void lift_dependencies(struct spec_ctx *c, Flyteidl__Core__Node *outer, const Flyteidl__Core__Node *inner,
			      bool outer_is_inner)
{
	const char *self = outer_is_inner ? NULL : outer->id;
	char **ids = NULL;
	size_t n = 0, i;

	if (!inner)
		return;
	for (i = 0; i < inner->n_inputs; i++)
		collect_promises(inner->inputs[i]->binding, A(c), &ids, &n);
	add_upstreams(c, outer, ids, n, self);
	add_upstreams(c, outer, inner->upstream_node_ids, inner->n_upstream_node_ids, self);
	if (inner->target_case == FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE && inner->branch_node->if_else) {
		const Flyteidl__Core__IfElseBlock *ie = inner->branch_node->if_else;

		for (i = 0; i < ie->n_other; i++)
			lift_dependencies(c, outer, ie->other[i]->then_node, outer_is_inner);
	}
}

static bool parse_branch(struct spec_ctx *c, const struct fc_ynode *v, Flyteidl__Core__Node *node,
			 const char *workflow, unsigned depth)
{
	Flyteidl__Core__BranchNode *bn = CMP_NEW(A(c), Flyteidl__Core__BranchNode, flyteidl__core__branch_node__descriptor);
	Flyteidl__Core__IfElseBlock *ie = CMP_NEW(A(c), Flyteidl__Core__IfElseBlock, flyteidl__core__if_else_block__descriptor);
	struct node_ctx nc = {workflow, node, c};
	size_t i;
	bool ok = true, closed = false;

	node->target_case = FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE;
	node->branch_node = bn;
	bn->if_else = ie;
	cmp_remember(c->s, bn, c->src, v);
	cmp_remember(c->s, ie, c->src, v);
	if (!expect_kind(c, v, FC_Y_SEQ, "branch"))
		return false;
	if (v->u.seq.n == 0) {
		err_at(c, v, "BranchNodeHasNoCondition", "branch '%s' has no cases: start with '- if: CONDITION'",
		       node->id);
		return false;
	}
	for (i = 0; i < v->u.seq.n; i++) {
		const struct fc_ynode *cs = v->u.seq.items[i];
		const struct fc_ynode *cond, *then, *els, *fail_msg;
		/* Flyte names inner nodes "<branch>-<inner>"; the compiler adds the prefix. */
		const char *inner_id = fc_arena_printf(A(c), "n%zu", i);

		if (!expect_kind(c, cs, FC_Y_MAP, "a branch case") ||
		    !check_keys(c, cs, case_keys, FC_ARRAY_LEN(case_keys), "a branch case")) {
			ok = false;
			continue;
		}
		if (closed) {
			err_at(c, cs, "InvalidValue", "no case can follow 'else' or 'else_fail'");
			ok = false;
			continue;
		}
		cond = fc_ymap_get(cs, i == 0 ? "if" : "elif");
		if (i > 0 && fc_ymap_get(cs, "if")) {
			err_at(c, fc_ymap_get(cs, "if"), "InvalidValue", "only the first case is 'if'; use 'elif' here");
			ok = false;
			continue;
		}
		if (i == 0 && fc_ymap_get(cs, "elif")) {
			err_at(c, fc_ymap_get(cs, "elif"), "InvalidValue", "the first case is 'if', not 'elif'");
			ok = false;
			continue;
		}
		els = fc_ymap_get(cs, "else");
		fail_msg = fc_ymap_get(cs, "else_fail");
		then = fc_ymap_get(cs, "then");
		if (els || fail_msg) {
			if (i == 0 || cond || then || (els && fail_msg)) {
				err_at(c, cs, "InvalidValue",
				       "'else' and 'else_fail' stand alone as the last case, after an 'if'");
				ok = false;
				continue;
			}
			closed = true;
			if (els) {
				ie->default_case = FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ELSE_NODE;
				ie->else_node = parse_node(c, els, inner_id, workflow, depth + 1);
				if (!ie->else_node)
					ok = false;
				else
					lift_dependencies(c, node, ie->else_node, depth > 0);
			} else {
				ie->default_case = FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ERROR;
				ie->error = CMP_NEW(A(c), Flyteidl__Core__Error, flyteidl__core__error__descriptor);
				ie->error->failed_node_id = (char *)node->id;
				if (fail_msg->kind != FC_Y_SCALAR || fc_ynode_is_null(fail_msg)) {
					err_at(c, fail_msg, "InvalidValue", "else_fail takes the error message");
					ok = false;
				} else {
					ie->error->message = (char *)fail_msg->u.scalar.str;
				}
			}
			continue;
		}
		{
			Flyteidl__Core__IfBlock *blk = CMP_NEW(A(c), Flyteidl__Core__IfBlock, flyteidl__core__if_block__descriptor);

			cmp_remember(c->s, blk, c->src, cs);
			if (!cond) {
				err_at(c, cs, "BranchNodeHasNoCondition", "case %zu of branch '%s' has no '%s' condition",
				       i + 1, node->id, i == 0 ? "if" : "elif");
				ok = false;
			} else {
				blk->condition = cmp_expr_parse(c->s, c->src, cond, branch_ref, &nc);
				if (!blk->condition)
					ok = false;
			}
			if (!then) {
				err_at(c, cs, "ValueRequired", "case %zu of branch '%s' needs 'then': the node to run",
				       i + 1, node->id);
				ok = false;
			} else {
				blk->then_node = parse_node(c, then, inner_id, workflow, depth + 1);
				if (!blk->then_node)
					ok = false;
				else
					lift_dependencies(c, node, blk->then_node, depth > 0);
			}
			if (i == 0)
				ie->case_ = blk;
			else
				CMP_PUSH(A(c), ie->other, ie->n_other, blk);
		}
	}
	if (ok && !closed) {
		err_at(c, v, "BranchNodeHasNoDefault",
		       "branch '%s' must end with '- else: NODE' or '- else_fail: MESSAGE'", node->id);
		ok = false;
	}
	return ok;
}

static bool parse_gate(struct spec_ctx *c, const struct fc_ynode *v, Flyteidl__Core__Node *node)
{
	Flyteidl__Core__GateNode *g = CMP_NEW(A(c), Flyteidl__Core__GateNode, flyteidl__core__gate_node__descriptor);
	const struct fc_ynode *x;

	node->target_case = FLYTEIDL__CORE__NODE__TARGET_GATE_NODE;
	node->gate_node = g;
	cmp_remember(c->s, g, c->src, v);
	if (!expect_kind(c, v, FC_Y_MAP, "gate") || !check_keys(c, v, gate_keys, FC_ARRAY_LEN(gate_keys), "a gate"))
		return false;
	if (v->u.map.n != 1) {
		err_at(c, v, "NoConditionFound", "gate '%s' needs exactly one of sleep, approve or signal", node->id);
		return false;
	}
	if ((x = fc_ymap_get(v, "sleep"))) {
		int64_t nanos;

		if (!get_duration(c, x, "gate sleep", &nanos))
			return false;
		g->condition_case = FLYTEIDL__CORE__GATE_NODE__CONDITION_SLEEP;
		g->sleep = CMP_NEW(A(c), Flyteidl__Core__SleepCondition, flyteidl__core__sleep_condition__descriptor);
		g->sleep->duration = cmp_duration_msg(A(c), nanos);
	} else if ((x = fc_ymap_get(v, "approve"))) {
		if (x->kind != FC_Y_SCALAR || fc_ynode_is_null(x)) {
			err_at(c, x, "InvalidValue", "approve takes the signal id people approve with");
			return false;
		}
		g->condition_case = FLYTEIDL__CORE__GATE_NODE__CONDITION_APPROVE;
		g->approve = CMP_NEW(A(c), Flyteidl__Core__ApproveCondition, flyteidl__core__approve_condition__descriptor);
		g->approve->signal_id = (char *)x->u.scalar.str;
	} else if ((x = fc_ymap_get(v, "signal"))) {
		const char *id, *output;

		if (!expect_kind(c, x, FC_Y_MAP, "signal") ||
		    !check_keys(c, x, signal_keys, FC_ARRAY_LEN(signal_keys), "a signal"))
			return false;
		g->condition_case = FLYTEIDL__CORE__GATE_NODE__CONDITION_SIGNAL;
		g->signal = CMP_NEW(A(c), Flyteidl__Core__SignalCondition, flyteidl__core__signal_condition__descriptor);
		id = get_string(c, x, "id", true, "a signal");
		output = get_string(c, x, "output", false, "a signal");
		g->signal->signal_id = (char *)(id ? id : "");
		g->signal->output_variable_name = (char *)(output ? output : "o0");
		if (!fc_ymap_get(x, "type")) {
			err_at(c, x, "ValueRequired", "a signal needs the 'type' of the value it waits for");
			return false;
		}
		g->signal->type = cmp_type_parse(c->s, c->src, fc_ymap_get(x, "type"));
		if (!g->signal->type || !id)
			return false;
	}
	return true;
}

static bool parse_map(struct spec_ctx *c, const struct fc_ynode *v, Flyteidl__Core__Node *node, const char *workflow,
		      unsigned depth)
{
	Flyteidl__Core__ArrayNode *an = CMP_NEW(A(c), Flyteidl__Core__ArrayNode, flyteidl__core__array_node__descriptor);
	Flyteidl__Core__Node *sub = CMP_NEW(A(c), Flyteidl__Core__Node, flyteidl__core__node__descriptor);
	const struct fc_ynode *x;
	int targets = 0;

	(void)workflow;
	(void)depth;
	node->target_case = FLYTEIDL__CORE__NODE__TARGET_ARRAY_NODE;
	node->array_node = an;
	cmp_remember(c->s, an, c->src, v);
	if (!expect_kind(c, v, FC_Y_MAP, "map") || !check_keys(c, v, map_keys, FC_ARRAY_LEN(map_keys), "a map node"))
		return false;
	sub->id = fc_arena_printf(A(c), "%s-sub", node->id);
	cmp_remember(c->s, sub, c->src, v);
	an->node = sub;
	if ((x = fc_ymap_get(v, "task"))) {
		targets++;
		sub->target_case = FLYTEIDL__CORE__NODE__TARGET_TASK_NODE;
		sub->task_node = CMP_NEW(A(c), Flyteidl__Core__TaskNode, flyteidl__core__task_node__descriptor);
		sub->task_node->reference_case = FLYTEIDL__CORE__TASK_NODE__REFERENCE_REFERENCE_ID;
		sub->task_node->reference_id = target_ref(c, x, FLYTEIDL__CORE__RESOURCE_TYPE__TASK);
		sub->task_node->overrides = CMP_NEW(A(c), Flyteidl__Core__TaskNodeOverrides, flyteidl__core__task_node_overrides__descriptor);
	}
	if ((x = fc_ymap_get(v, "workflow"))) {
		targets++;
		sub->target_case = FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE;
		sub->workflow_node = CMP_NEW(A(c), Flyteidl__Core__WorkflowNode, flyteidl__core__workflow_node__descriptor);
		sub->workflow_node->reference_case = FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_SUB_WORKFLOW_REF;
		sub->workflow_node->sub_workflow_ref = target_ref(c, x, FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW);
	}
	if ((x = fc_ymap_get(v, "launch_plan"))) {
		targets++;
		sub->target_case = FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE;
		sub->workflow_node = CMP_NEW(A(c), Flyteidl__Core__WorkflowNode, flyteidl__core__workflow_node__descriptor);
		sub->workflow_node->reference_case = FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_LAUNCHPLAN_REF;
		sub->workflow_node->launchplan_ref = target_ref(c, x, FLYTEIDL__CORE__RESOURCE_TYPE__LAUNCH_PLAN);
	}
	if (targets != 1) {
		err_at(c, v, "ValueRequired", "map node '%s' needs exactly one of task, workflow or launch_plan", node->id);
		return false;
	}
	sub->metadata = CMP_NEW(A(c), Flyteidl__Core__NodeMetadata, flyteidl__core__node_metadata__descriptor);
	sub->metadata->name = (char *)(x ? x->u.scalar.str : "");
	if ((x = fc_ymap_get(v, "parallelism"))) {
		uint64_t p;

		if (get_uint(c, x, "parallelism", UINT32_MAX, &p)) {
			an->parallelism_option_case = FLYTEIDL__CORE__ARRAY_NODE__PARALLELISM_OPTION_PARALLELISM;
			an->parallelism = (uint32_t)p;
		}
	}
	if ((x = fc_ymap_get(v, "min_successes"))) {
		uint64_t m;

		if (fc_ymap_get(v, "min_success_ratio"))
			err_at(c, x, "InvalidValue", "give min_successes or min_success_ratio, not both");
		else if (get_uint(c, x, "min_successes", UINT32_MAX, &m)) {
			an->success_criteria_case = FLYTEIDL__CORE__ARRAY_NODE__SUCCESS_CRITERIA_MIN_SUCCESSES;
			an->min_successes = (uint32_t)m;
		}
	} else if ((x = fc_ymap_get(v, "min_success_ratio"))) {
		const char *k = cmp_yaml_scalar_kind(x);
		double r = -1;

		if (!strcmp(k, "float") || !strcmp(k, "int"))
			r = strtod(x->u.scalar.str, NULL);
		if (r <= 0 || r > 1) {
			err_at(c, x, "InvalidValue", "min_success_ratio is a number in (0, 1]");
		} else {
			an->success_criteria_case = FLYTEIDL__CORE__ARRAY_NODE__SUCCESS_CRITERIA_MIN_SUCCESS_RATIO;
			an->min_success_ratio = (float)r;
		}
	}
	if ((x = fc_ymap_get(v, "broadcast")))
		an->bound_inputs = string_list(c, x, "broadcast", &an->n_bound_inputs);
	an->is_original_sub_node_interface = CMP_NEW(A(c), Google__Protobuf__BoolValue, google__protobuf__bool_value__descriptor);
	an->is_original_sub_node_interface->value = true;
	an->data_mode = FLYTEIDL__CORE__ARRAY_NODE__DATA_MODE__INDIVIDUAL_INPUT_FILES;
	return true;
}

static Flyteidl__Core__Node *parse_node(struct spec_ctx *c, const struct fc_ynode *n, const char *default_id,
					const char *workflow, unsigned depth)
{
	Flyteidl__Core__Node *node;
	const struct fc_ynode *x, *target = NULL;
	const char *target_kind = NULL, *id;
	const char *target_name = NULL;
	size_t i, ntargets = 0;
	static const char *const kinds[] = {"task", "workflow", "launch_plan", "branch", "gate", "map"};

	if (depth > FC_LIMIT_CMP_NODE_DEPTH) {
		err_at(c, n, "InvalidValue", "nodes nested more than %d levels deep", FC_LIMIT_CMP_NODE_DEPTH);
		return NULL;
	}
	if (!expect_kind(c, n, FC_Y_MAP, "a node"))
		return NULL;
	if (!check_keys(c, n, default_id ? body_keys : node_keys,
			default_id ? FC_ARRAY_LEN(body_keys) : FC_ARRAY_LEN(node_keys), "a node"))
		return NULL;
	id = get_string(c, n, "id", !default_id, "a node");
	if (!id && !default_id)
		return NULL;
	if (!id)
		id = default_id;
	if (!cmp_valid_node_id(id)) {
		err_at(c, fc_ymap_get(n, "id"), "InvalidName",
		       "'%s' is not a valid node id (letters, digits, '_' and '-', at most 63, starting with a letter)",
		       id);
		return NULL;
	}
	if (!strcmp(id, CMP_START_NODE) || !strcmp(id, CMP_END_NODE) || !strcmp(id, "inputs")) {
		err_at(c, fc_ymap_get(n, "id"), "ReservedId", "'%s' is reserved and cannot be a node id", id);
		return NULL;
	}
	node = CMP_NEW(A(c), Flyteidl__Core__Node, flyteidl__core__node__descriptor);
	node->id = (char *)id;
	cmp_remember(c->s, node, c->src, fc_ymap_get(n, "id") ? fc_ymap_get(n, "id") : n);
	for (i = 0; i < FC_ARRAY_LEN(kinds); i++) {
		if ((x = fc_ymap_get(n, kinds[i]))) {
			ntargets++;
			target = x;
			target_kind = kinds[i];
		}
	}
	if (ntargets != 1) {
		err_at(c, ntargets ? fc_ymap_get(n, "id") : n, "ValueRequired",
		       ntargets ? "node '%s' has more than one of task, workflow, launch_plan, branch, gate, map"
				: "node '%s' needs one of task, workflow, launch_plan, branch, gate or map",
		       id);
		return NULL;
	}
	/* Inputs first: branches add their condition bindings after them. */
	if ((x = fc_ymap_get(n, "inputs")) && expect_kind(c, x, FC_Y_MAP, "inputs")) {
		for (i = 0; i < x->u.map.n; i++)
			add_binding(c, &node->inputs, &node->n_inputs, x->u.map.pairs[i].key, x->u.map.pairs[i].value);
		/* A mapping has no order: sort, so that reordering the keys does not change the version. */
		if (node->n_inputs > 1)
			qsort(node->inputs, node->n_inputs, sizeof(node->inputs[0]), binding_var_cmp);
	}
	if (!strcmp(target_kind, "task")) {
		node->target_case = FLYTEIDL__CORE__NODE__TARGET_TASK_NODE;
		node->task_node = CMP_NEW(A(c), Flyteidl__Core__TaskNode, flyteidl__core__task_node__descriptor);
		node->task_node->reference_case = FLYTEIDL__CORE__TASK_NODE__REFERENCE_REFERENCE_ID;
		node->task_node->reference_id = target_ref(c, target, FLYTEIDL__CORE__RESOURCE_TYPE__TASK);
		node->task_node->overrides = CMP_NEW(A(c), Flyteidl__Core__TaskNodeOverrides, flyteidl__core__task_node_overrides__descriptor);
		if ((x = fc_ymap_get(n, "resources")))
			node->task_node->overrides->resources = parse_resources(c, x);
		if ((x = fc_ymap_get(n, "image"))) {
			if (x->kind == FC_Y_SCALAR && !fc_ynode_is_null(x))
				node->task_node->overrides->container_image = (char *)x->u.scalar.str;
			else
				err_at(c, x, "InvalidValue", "image is a container image name");
		}
		if (!node->task_node->reference_id)
			return NULL;
		target_name = target->u.scalar.str;
	} else {
		if (fc_ymap_get(n, "resources"))
			err_at(c, fc_ymap_get(n, "resources"), "InvalidValue", "resource overrides apply to task nodes only");
		if (fc_ymap_get(n, "image"))
			err_at(c, fc_ymap_get(n, "image"), "InvalidValue", "image overrides apply to task nodes only");
	}
	if (!strcmp(target_kind, "workflow") || !strcmp(target_kind, "launch_plan")) {
		bool lp = !strcmp(target_kind, "launch_plan");

		node->target_case = FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE;
		node->workflow_node = CMP_NEW(A(c), Flyteidl__Core__WorkflowNode, flyteidl__core__workflow_node__descriptor);
		if (lp) {
			node->workflow_node->reference_case = FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_LAUNCHPLAN_REF;
			node->workflow_node->launchplan_ref = target_ref(c, target, FLYTEIDL__CORE__RESOURCE_TYPE__LAUNCH_PLAN);
			if (!node->workflow_node->launchplan_ref)
				return NULL;
		} else {
			node->workflow_node->reference_case = FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_SUB_WORKFLOW_REF;
			node->workflow_node->sub_workflow_ref = target_ref(c, target, FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW);
			if (!node->workflow_node->sub_workflow_ref)
				return NULL;
		}
		target_name = target->u.scalar.str;
	} else if (!strcmp(target_kind, "branch")) {
		if (!parse_branch(c, target, node, workflow, depth))
			return NULL;
	} else if (!strcmp(target_kind, "gate")) {
		if (!parse_gate(c, target, node))
			return NULL;
	} else if (!strcmp(target_kind, "map")) {
		if (!parse_map(c, target, node, workflow, depth))
			return NULL;
	}
	parse_node_metadata(c, n, node, target_name);
	/* Data dependencies, then explicit ordering. */
	{
		char **ids = NULL;
		size_t nids = 0;

		for (i = 0; i < node->n_inputs; i++)
			collect_promises(node->inputs[i]->binding, A(c), &ids, &nids);
		add_upstreams(c, node, ids, nids, depth ? NULL : node->id);
	}
	if ((x = fc_ymap_get(n, "after"))) {
		size_t nafter = 0;
		char **after = string_list(c, x, "after", &nafter);

		for (i = 0; i < nafter; i++) {
			size_t j, before = node->n_upstream_node_ids;

			for (j = 0; j < before; j++)
				if (!strcmp(node->upstream_node_ids[j], after[i]))
					break;
			if (j == before) {
				CMP_PUSH(A(c), node->upstream_node_ids, node->n_upstream_node_ids, after[i]);
				cmp_remember(c->s, after[i], c->src, x->kind == FC_Y_SEQ ? x->u.seq.items[i] : x);
			}
		}
	}
	if ((x = fc_ymap_get(n, "output_aliases")) && expect_kind(c, x, FC_Y_MAP, "output_aliases")) {
		for (i = 0; i < x->u.map.n; i++) {
			Flyteidl__Core__Alias *al = CMP_NEW(A(c), Flyteidl__Core__Alias, flyteidl__core__alias__descriptor);
			const struct fc_ynode *av = x->u.map.pairs[i].value;

			al->var = (char *)key_str(x->u.map.pairs[i].key);
			if (av->kind != FC_Y_SCALAR || !cmp_valid_var_name(av->u.scalar.str)) {
				err_at(c, av, "InvalidName", "an output alias is a variable name");
				continue;
			}
			al->alias = (char *)av->u.scalar.str;
			cmp_remember(c->s, al, c->src, av);
			CMP_PUSH(A(c), node->output_aliases, node->n_output_aliases, al);
		}
	}
	return node;
}

/* --- workflows --------------------------------------------------------------------------------------------- */
static const char *const workflow_keys[] = {"name", "description", "inputs", "outputs", "nodes", "failure_policy",
					    "interruptible", "on_failure", "tags"};
static const char *const output_keys[] = {"type", "value", "description"};

static void parse_workflow(struct spec_ctx *c, const struct fc_ynode *w)
{
	struct cmp_entity *e;
	Flyteidl__Core__WorkflowTemplate *tpl;
	const struct fc_ynode *x;
	const char *name;
	size_t i;

	if (!expect_kind(c, w, FC_Y_MAP, "a workflow"))
		return;
	check_keys(c, w, workflow_keys, FC_ARRAY_LEN(workflow_keys), "a workflow");
	name = get_string(c, w, "name", true, "a workflow");
	if (!name)
		return;
	if (!cmp_valid_name(name)) {
		err_at(c, fc_ymap_get(w, "name"), "InvalidName",
		       "'%s' is not a valid workflow name (letters, digits, '_', '.', '-'; starting with a letter)",
		       name);
		return;
	}
	e = cmp_entity_new(c->s, CMP_KIND_WORKFLOW, name, cmp_ynode_loc(c->src, fc_ymap_get(w, "name")));
	if (!e)
		return;
	e->project = c->project;
	e->domain = c->domain;
	e->description = get_string(c, w, "description", false, "a workflow");
	tpl = CMP_NEW(A(c), Flyteidl__Core__WorkflowTemplate, flyteidl__core__workflow_template__descriptor);
	e->workflow = tpl;
	cmp_remember(c->s, tpl, c->src, fc_ymap_get(w, "name"));
	cmp_remember(c->s, e, c->src, fc_ymap_get(w, "name"));
	tpl->id = cmp_ident(A(c), FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW, c->project, c->domain, name, "");
	tpl->metadata = CMP_NEW(A(c), Flyteidl__Core__WorkflowMetadata, flyteidl__core__workflow_metadata__descriptor);
	tpl->metadata_defaults = CMP_NEW(A(c), Flyteidl__Core__WorkflowMetadataDefaults, flyteidl__core__workflow_metadata_defaults__descriptor);
	tpl->interface = CMP_NEW(A(c), Flyteidl__Core__TypedInterface, flyteidl__core__typed_interface__descriptor);
	tpl->interface->inputs = parse_vars(c, fc_ymap_get(w, "inputs"), "workflow inputs", e, true);
	tpl->interface->outputs = cmp_varmap_new(A(c));
	if ((x = fc_ymap_get(w, "failure_policy"))) {
		if (x->kind == FC_Y_SCALAR && !strcmp(x->u.scalar.str, "fail-immediately"))
			tpl->metadata->on_failure = FLYTEIDL__CORE__WORKFLOW_METADATA__ON_FAILURE_POLICY__FAIL_IMMEDIATELY;
		else if (x->kind == FC_Y_SCALAR && !strcmp(x->u.scalar.str, "fail-after-executable-nodes-complete"))
			tpl->metadata->on_failure =
				FLYTEIDL__CORE__WORKFLOW_METADATA__ON_FAILURE_POLICY__FAIL_AFTER_EXECUTABLE_NODES_COMPLETE;
		else
			err_at(c, x, "InvalidValue",
			       "failure_policy is 'fail-immediately' or 'fail-after-executable-nodes-complete'");
	}
	if ((x = fc_ymap_get(w, "interruptible"))) {
		bool b;

		if (get_bool(c, x, "interruptible", &b))
			tpl->metadata_defaults->interruptible = b;
	}
	if ((x = fc_ymap_get(w, "tags")) && expect_kind(c, x, FC_Y_MAP, "tags")) {
		for (i = 0; i < x->u.map.n; i++) {
			Flyteidl__Core__WorkflowMetadata__TagsEntry *t =
				CMP_NEW(A(c), Flyteidl__Core__WorkflowMetadata__TagsEntry,
					flyteidl__core__workflow_metadata__tags_entry__descriptor);

			t->key = (char *)key_str(x->u.map.pairs[i].key);
			t->value = (char *)(x->u.map.pairs[i].value->kind == FC_Y_SCALAR ? x->u.map.pairs[i].value->u.scalar.str : "");
			CMP_PUSH(A(c), tpl->metadata->tags, tpl->metadata->n_tags, t);
		}
	}
	x = fc_ymap_get(w, "nodes");
	if (!x || fc_ynode_is_null(x) || (x->kind == FC_Y_SEQ && x->u.seq.n == 0)) {
		err_at(c, x ? x : w, "NoNodesFound", "workflow '%s' has no nodes", name);
		e->state = CMP_FAILED; /* reported here, not again when compiling */
	} else if (expect_kind(c, x, FC_Y_SEQ, "nodes")) {
		for (i = 0; i < x->u.seq.n; i++) {
			Flyteidl__Core__Node *node = parse_node(c, x->u.seq.items[i], NULL, name, 0);

			if (node)
				CMP_PUSH(A(c), tpl->nodes, tpl->n_nodes, node);
			else
				e->state = CMP_FAILED;
		}
	}
	if ((x = fc_ymap_get(w, "outputs")) && !fc_ynode_is_null(x) && expect_kind(c, x, FC_Y_MAP, "outputs")) {
		for (i = 0; i < x->u.map.n; i++) {
			const struct fc_ynode *k = x->u.map.pairs[i].key, *v = x->u.map.pairs[i].value;
			const char *oname = key_str(k);
			Flyteidl__Core__Variable *var = CMP_NEW(A(c), Flyteidl__Core__Variable, flyteidl__core__variable__descriptor);
			const struct fc_ynode *value = v;

			if (!cmp_valid_var_name(oname)) {
				err_at(c, k, "InvalidName", "'%s' is not a valid variable name", oname);
				continue;
			}
			if (v->kind == FC_Y_MAP && !(v->tag && !strcmp(v->tag, REF_TAG))) {
				if (!check_keys(c, v, output_keys, FC_ARRAY_LEN(output_keys), "a workflow output"))
					continue;
				value = fc_ymap_get(v, "value");
				if (fc_ymap_get(v, "type")) {
					var->type = cmp_type_parse(c->s, c->src, fc_ymap_get(v, "type"));
					if (!var->type)
						continue;
				}
				if (fc_ymap_get(v, "description"))
					var->description = (char *)get_string(c, v, "description", false, "an output");
				if (!value) {
					err_at(c, v, "ParameterNotBound",
					       "workflow output '%s' needs a 'value' (e.g. value: !ref NODE.OUTPUT)", oname);
					continue;
				}
			}
			cmp_remember(c->s, var, c->src, k);
			cmp_var_add(A(c), tpl->interface->outputs, oname, var);
			add_binding(c, &tpl->outputs, &tpl->n_outputs, k, value);
		}
	}
	if ((x = fc_ymap_get(w, "on_failure"))) {
		tpl->failure_node = parse_node(c, x, NULL, name, 0);
		if (!tpl->failure_node)
			e->state = CMP_FAILED;
	}
}

/* --- launch plans ------------------------------------------------------------------------------------------ */
static const char *const lp_keys[] = {"name",        "workflow",    "inputs",          "fixed_inputs",
				      "schedule",    "active",      "max_parallelism", "labels",
				      "annotations", "interruptible", "description"};

static void parse_launch_plan(struct spec_ctx *c, const struct fc_ynode *l)
{
	struct cmp_entity *e;
	Flyteidl__Admin__LaunchPlan *lp;
	const struct fc_ynode *x;
	const char *name, *wf;

	if (!expect_kind(c, l, FC_Y_MAP, "a launch plan"))
		return;
	check_keys(c, l, lp_keys, FC_ARRAY_LEN(lp_keys), "a launch plan");
	name = get_string(c, l, "name", true, "a launch plan");
	wf = get_string(c, l, "workflow", true, "a launch plan");
	if (!name || !wf)
		return;
	if (!cmp_valid_name(name)) {
		err_at(c, fc_ymap_get(l, "name"), "InvalidName", "'%s' is not a valid launch plan name", name);
		return;
	}
	e = cmp_entity_new(c->s, CMP_KIND_LAUNCH_PLAN, name, cmp_ynode_loc(c->src, fc_ymap_get(l, "name")));
	if (!e)
		return;
	e->project = c->project;
	e->domain = c->domain;
	lp = CMP_NEW(A(c), Flyteidl__Admin__LaunchPlan, flyteidl__admin__launch_plan__descriptor);
	e->launch_plan = lp;
	cmp_remember(c->s, e, c->src, fc_ymap_get(l, "name"));
	cmp_remember(c->s, lp, c->src, fc_ymap_get(l, "name"));
	lp->id = cmp_ident(A(c), FLYTEIDL__CORE__RESOURCE_TYPE__LAUNCH_PLAN, c->project, c->domain, name, "");
	lp->spec = CMP_NEW(A(c), Flyteidl__Admin__LaunchPlanSpec, flyteidl__admin__launch_plan_spec__descriptor);
	lp->spec->workflow_id = target_ref(c, fc_ymap_get(l, "workflow"), FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW);
	e->lp_workflow_name = wf;
	/* copies: the file's tree is released after its front end, these are read when the launch plan compiles */
	e->lp_defaults = fc_ynode_copy(A(c), fc_ymap_get(l, "inputs"));
	e->lp_fixed = fc_ynode_copy(A(c), fc_ymap_get(l, "fixed_inputs"));
	e->lp_schedule = fc_ynode_copy(A(c), fc_ymap_get(l, "schedule"));
	if ((x = fc_ymap_get(l, "active"))) {
		bool b;

		if (get_bool(c, x, "active", &b))
			e->lp_active = b;
	}
	if ((x = fc_ymap_get(l, "max_parallelism"))) {
		uint64_t v;

		if (get_uint(c, x, "max_parallelism", INT32_MAX, &v))
			lp->spec->max_parallelism = (int32_t)v;
	}
	if ((x = fc_ymap_get(l, "interruptible"))) {
		bool b;

		if (get_bool(c, x, "interruptible", &b)) {
			lp->spec->interruptible = CMP_NEW(A(c), Google__Protobuf__BoolValue, google__protobuf__bool_value__descriptor);
			lp->spec->interruptible->value = b;
		}
	}
	if ((x = fc_ymap_get(l, "labels")) && expect_kind(c, x, FC_Y_MAP, "labels")) {
		size_t i;

		lp->spec->labels = CMP_NEW(A(c), Flyteidl__Admin__Labels, flyteidl__admin__labels__descriptor);
		for (i = 0; i < x->u.map.n; i++) {
			Flyteidl__Admin__Labels__ValuesEntry *v = CMP_NEW(A(c), Flyteidl__Admin__Labels__ValuesEntry,
									  flyteidl__admin__labels__values_entry__descriptor);

			v->key = (char *)key_str(x->u.map.pairs[i].key);
			v->value = (char *)(x->u.map.pairs[i].value->kind == FC_Y_SCALAR ? x->u.map.pairs[i].value->u.scalar.str : "");
			CMP_PUSH(A(c), lp->spec->labels->values, lp->spec->labels->n_values, v);
		}
	}
	if ((x = fc_ymap_get(l, "annotations")) && expect_kind(c, x, FC_Y_MAP, "annotations")) {
		size_t i;

		lp->spec->annotations = CMP_NEW(A(c), Flyteidl__Admin__Annotations, flyteidl__admin__annotations__descriptor);
		for (i = 0; i < x->u.map.n; i++) {
			Flyteidl__Admin__Annotations__ValuesEntry *v =
				CMP_NEW(A(c), Flyteidl__Admin__Annotations__ValuesEntry,
					flyteidl__admin__annotations__values_entry__descriptor);

			v->key = (char *)key_str(x->u.map.pairs[i].key);
			v->value = (char *)(x->u.map.pairs[i].value->kind == FC_Y_SCALAR ? x->u.map.pairs[i].value->u.scalar.str : "");
			CMP_PUSH(A(c), lp->spec->annotations->values, lp->spec->annotations->n_values, v);
		}
	}
}

/* --- documents --------------------------------------------------------------------------------------------- */
static const char *const doc_keys[] = {"project", "domain", "tasks", "workflows", "launch_plans"};

static bool valid_project(const char *s)
{
	size_t i, len = strlen(s);

	if (!len || len > 63 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')) || s[len - 1] == '-')
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

static void load_document(struct spec_ctx *c, const struct fc_ynode *root)
{
	const struct fc_ynode *x;
	const char *p;
	size_t i;

	if (!root || fc_ynode_is_null(root))
		return;
	if (root->kind != FC_Y_MAP) {
		err_at(c, root, "InvalidValue",
		       "a spec file is a mapping with 'tasks', 'workflows' and/or 'launch_plans' lists");
		return;
	}
	check_keys(c, root, doc_keys, FC_ARRAY_LEN(doc_keys), "a spec file");
	if ((p = get_string(c, root, "project", false, "a spec file"))) {
		if (!valid_project(p))
			err_at(c, fc_ymap_get(root, "project"), "InvalidName",
			       "project '%s' is not a DNS-1123 label (lowercase letters, digits and '-')", p);
		else
			c->project = p;
	}
	if ((p = get_string(c, root, "domain", false, "a spec file"))) {
		if (!valid_project(p))
			err_at(c, fc_ymap_get(root, "domain"), "InvalidName",
			       "domain '%s' is not a DNS-1123 label (lowercase letters, digits and '-')", p);
		else
			c->domain = p;
	}
	if ((x = fc_ymap_get(root, "tasks")) && !fc_ynode_is_null(x) && expect_kind(c, x, FC_Y_SEQ, "tasks"))
		for (i = 0; i < x->u.seq.n; i++)
			parse_task(c, x->u.seq.items[i]);
	if ((x = fc_ymap_get(root, "workflows")) && !fc_ynode_is_null(x) && expect_kind(c, x, FC_Y_SEQ, "workflows"))
		for (i = 0; i < x->u.seq.n; i++)
			parse_workflow(c, x->u.seq.items[i]);
	if ((x = fc_ymap_get(root, "launch_plans")) && !fc_ynode_is_null(x) &&
	    expect_kind(c, x, FC_Y_SEQ, "launch_plans"))
		for (i = 0; i < x->u.seq.n; i++)
			parse_launch_plan(c, x->u.seq.items[i]);
}

/*
 * The file's YAML nodes live in an arena of their own, released once its documents are read: the IR keeps the
 * scalars' text (in the session's arena), positions as numbers, and copies of the few subtrees read later
 * (literals awaiting their type, defaults, launch plans' inputs and schedule).
 */
void cmp_spec_load(struct cmp_session *s, struct fc_source *src)
{
	struct fc_arena tree;
	struct fc_ydoc *docs = NULL;
	size_t ndocs = 0, i;
	struct fc_yaml_limits limits = s->opts.yaml_limits;
	static const struct fc_yaml_limits defaults = FC_YAML_LIMITS_DEFAULT;

	if (!limits.max_depth)
		limits = defaults;
	fc_arena_init(&tree, 0);
	if (fc_yaml_load_split(&tree, &s->arena, src, &limits, &docs, &ndocs, &s->diags))
		goto out;
	for (i = 0; i < ndocs; i++) {
		struct spec_ctx c = {s, src, s->opts.project ? s->opts.project : CMP_DEFAULT_PROJECT,
				     s->opts.domain ? s->opts.domain : CMP_DEFAULT_DOMAIN};

		if (!cmp_idl_yaml_doc(s, src, docs[i].root))
			load_document(&c, docs[i].root);
	}
out:
	fc_arena_release(&tree);
}
