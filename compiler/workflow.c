/*
 * workflow.c: the checks Flyte's compiler makes (flytepropeller/pkg/compiler), done on the IDL, plus the ones it
 * misses, and the compiled forms: CompiledTask, CompiledWorkflowClosure (start-node and end-node added, upstream
 * and downstream connection sets filled) and admin.LaunchPlan.
 */
#include "compiler/cmp_int.h"
#include "core/cron.h"
#include "core/duration.h"
#include "core/limits.h"
#include "core/tz.h"

#include <stdlib.h>
#include <string.h>

#define NODE_CASE(n, c) ((n)->target_case == FLYTEIDL__CORE__NODE__TARGET_##c)

/* One node of the workflow being compiled: its computed interface and whether it is top level. */
struct wnode {
	Flyteidl__Core__Node *node;
	Flyteidl__Core__TypedInterface *iface;
	bool top_level;
	bool has_up, has_down;
	bool validated; /* validate_node has begun on it */
	size_t index; /* in the builder's node list */
};

/* An edge between two nodes, by their index in the builder's list. */
struct edge {
	uint32_t from, to;
	bool downstream; /* also a downstream edge (false: upstream-only, for inner and failure nodes) */
};

struct wf_builder {
	struct cmp_session *s;
	struct cmp_entity *e;
	Flyteidl__Core__WorkflowTemplate *tpl;
	struct fc_strmap nodes; /* id -> wnode (top level, start, end, inner) */
	struct wnode **list;
	size_t nlist, list_alloc;
	struct edge *edges;
	size_t nedges, edges_alloc;
	/* By index in the node list, filled by rank_nodes() for the graph passes, which go through a 100k-node
	 * workflow's nodes in id order, not in the order they were allocated: a dense array costs one cache miss per
	 * edge where list[i]->node->id costs three. */
	char **ids;
	uint32_t *rank; /* position in id order, for sorting connection sets without comparing strings */
	/* references to nodes not validated yet (listed later), checked once every node has its interface */
	struct deferred_ref *deferred;
	size_t ndeferred, deferred_alloc;
	const char *wf_name;
	bool dependency_failed; /* a task, workflow or launch plan it uses failed (reported with it) */
};

static struct fc_arena *WA(struct wf_builder *w)
{
	return &w->s->arena;
}

static struct fc_diag *werr(struct wf_builder *w, const void *obj, const void *fallback, const char *code,
			    const char *node, const char *var, const char *fmt, ...) FC_PRINTF(7, 8);
static struct fc_diag *werr(struct wf_builder *w, const void *obj, const void *fallback, const char *code,
			    const char *node, const char *var, const char *fmt, ...)
{
	struct fc_diag *dg;
	va_list ap;

	va_start(ap, fmt);
	dg = fc_diag_vadd(&w->s->diags, FC_SEV_ERROR, code,
			  cmp_loc_of(w->s, obj, fallback ? fallback : (const void *)w->tpl), fmt, ap);
	va_end(ap);
	if (dg && !dg->loc.src) {
		struct fc_loc l = w->e->loc;

		dg->loc = l;
	}
	/* The end node's inputs are the workflow's outputs: say so in words people wrote. */
	if (dg && node && var && !strcmp(node, CMP_END_NODE)) {
		char *internal = fc_arena_printf(WA(w), "input '%s' of node '%s'", var, CMP_END_NODE);
		char *at = strstr(dg->msg, internal);

		if (at) {
			char *msg = fc_xstrdup(fc_arena_printf(WA(w), "%.*sworkflow output '%s'%s", (int)(at - dg->msg),
								dg->msg, var, at + strlen(internal)));

			free(dg->msg);
			dg->msg = msg;
		}
		node = NULL;
	}
	return fc_diag_about(dg, w->wf_name, node, var);
}

static struct wnode *add_wnode(struct wf_builder *w, Flyteidl__Core__Node *node, bool top_level)
{
	struct wnode *wn = fc_arena_alloc(WA(w), sizeof(*wn));
	struct wnode *prev;

	wn->node = node;
	wn->top_level = top_level;
	/* one hash lookup: put, and put the first one back when the id was taken (duplicates are rare) */
	prev = fc_strmap_put(&w->nodes, node->id, wn);
	if (prev) {
		struct fc_diag *dg;

		fc_strmap_put(&w->nodes, node->id, prev);
		dg = werr(w, node, NULL, "DuplicateId", node->id, NULL, "node id '%s' is used twice in workflow '%s'",
			  node->id, w->wf_name);
		fc_diag_note(dg, cmp_loc_of(w->s, prev->node, NULL), "'%s' is first defined here", node->id);
		return NULL;
	}
	FC_ALLOC_GROW(w->list, w->nlist + 1, w->list_alloc);
	wn->index = w->nlist;
	w->list[w->nlist++] = wn;
	return wn;
}

static void add_edge(struct wf_builder *w, struct wnode *from, struct wnode *to, bool downstream)
{
	FC_ALLOC_GROW(w->edges, w->nedges + 1, w->edges_alloc);
	w->edges[w->nedges].from = (uint32_t)from->index;
	w->edges[w->nedges].to = (uint32_t)to->index;
	w->edges[w->nedges].downstream = downstream;
	w->nedges++;
	to->has_up = true;
	if (downstream)
		from->has_down = true;
}

/* --- interfaces of referenced entities --------------------------------------------------------------------- */
static Flyteidl__Core__TypedInterface *empty_iface(struct fc_arena *a)
{
	Flyteidl__Core__TypedInterface *i = CMP_NEW(a, Flyteidl__Core__TypedInterface, flyteidl__core__typed_interface__descriptor);

	i->inputs = cmp_varmap_new(a);
	i->outputs = cmp_varmap_new(a);
	return i;
}

static Flyteidl__Core__TypedInterface *normalize_iface(struct fc_arena *a, Flyteidl__Core__TypedInterface *i)
{
	if (!i)
		return empty_iface(a);
	if (!i->inputs)
		i->inputs = cmp_varmap_new(a);
	if (!i->outputs)
		i->outputs = cmp_varmap_new(a);
	return i;
}

static const char *kind_word(enum cmp_kind k)
{
	return k == CMP_KIND_TASK ? "task" : k == CMP_KIND_WORKFLOW ? "workflow" : "launch plan";
}

/* Resolve a reference; reports TaskReferenceNotFound / WorkflowReferenceNotFound with a did-you-mean. */
static struct cmp_entity *resolve_ref(struct wf_builder *w, const Flyteidl__Core__Identifier *id, enum cmp_kind kind,
				      const Flyteidl__Core__Node *node)
{
	struct cmp_entity *target = id ? cmp_lookup(w->s, kind, id) : NULL;
	const char *code = kind == CMP_KIND_TASK ? "TaskReferenceNotFound" : "WorkflowReferenceNotFound";

	if (!id) {
		werr(w, node, NULL, "ValueRequired", node->id, NULL, "node '%s' names no %s", node->id, kind_word(kind));
		return NULL;
	}
	if (!target) {
		const char *hint = cmp_entity_hint(w->s, kind, id->name);

		fc_diag_fix_word(werr(w, id, node, code, node->id, NULL, "%s '%s' is not defined%s%s%s", kind_word(kind),
				      id->name, hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : ""),
				 id->name, hint);
		return NULL;
	}
	if (!cmp_ensure(w->s, target)) {
		w->dependency_failed = true;
		return NULL;
	}
	return target;
}

/* --- bindings ---------------------------------------------------------------------------------------------- */
static Flyteidl__Core__BindingData *binding_from_literal(struct fc_arena *a, const cmp_literal *lit)
{
	Flyteidl__Core__BindingData *bd = CMP_NEW(a, Flyteidl__Core__BindingData, flyteidl__core__binding_data__descriptor);
	size_t i;

	switch (lit->value_case) {
	case FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION:
		bd->value_case = FLYTEIDL__CORE__BINDING_DATA__VALUE_COLLECTION;
		bd->collection = CMP_NEW(a, Flyteidl__Core__BindingDataCollection, flyteidl__core__binding_data_collection__descriptor);
		for (i = 0; i < lit->collection->n_literals; i++)
			CMP_PUSH(a, bd->collection->bindings, bd->collection->n_bindings,
				 binding_from_literal(a, lit->collection->literals[i]));
		break;
	case FLYTEIDL__CORE__LITERAL__VALUE_MAP:
		bd->value_case = FLYTEIDL__CORE__BINDING_DATA__VALUE_MAP;
		bd->map = CMP_NEW(a, Flyteidl__Core__BindingDataMap, flyteidl__core__binding_data_map__descriptor);
		for (i = 0; i < lit->map->n_literals; i++) {
			Flyteidl__Core__BindingDataMap__BindingsEntry *e =
				CMP_NEW(a, Flyteidl__Core__BindingDataMap__BindingsEntry,
					flyteidl__core__binding_data_map__bindings_entry__descriptor);

			e->key = lit->map->literals[i]->key;
			e->value = binding_from_literal(a, lit->map->literals[i]->value);
			CMP_PUSH(a, bd->map->bindings, bd->map->n_bindings, e);
		}
		break;
	default:
		bd->value_case = FLYTEIDL__CORE__BINDING_DATA__VALUE_SCALAR;
		bd->scalar = lit->scalar;
		break;
	}
	return bd;
}

struct bind_ctx {
	struct wf_builder *w;
	Flyteidl__Core__Node *node; /* the node whose inputs these are */
	struct wnode *self;         /* its place in the graph (NULL: not in it) */
	const char *param;
	bool upstream_only;
	bool check_types;
};

struct deferred_ref {
	struct bind_ctx bc;
	Flyteidl__Core__BindingData *bd;
	const cmp_type *expected;
};

static const char *output_names(struct wf_builder *w, const Flyteidl__Core__VariableMap *vm)
{
	struct fc_buf b = FC_BUF_INIT;
	const char *res;
	size_t i;

	for (i = 0; vm && i < vm->n_variables; i++)
		fc_buf_addf(&b, "%s%s", i ? ", " : "", vm->variables[i]->key);
	res = fc_arena_strdup(WA(w), vm && vm->n_variables ? b.buf : "none");
	fc_buf_release(&b);
	return res;
}

static const cmp_type *validate_binding(struct bind_ctx *bc, Flyteidl__Core__BindingData *bd, const cmp_type *expected,
					unsigned depth);

/*
 * A data reference of a top-level node yields its edge in validate_promise, not again by looking up the same id
 * among the node's upstream ids (the spec front end lists each reference's own node_id string there). Both sides
 * decide by pointer comparisons, for nodes with few inputs and upstream ids only (a fan-in of thousands is left
 * to the lookups), and the edges come out the same as with a lookup for every upstream id.
 */
static bool few_refs(const Flyteidl__Core__Node *n)
{
	return n->n_inputs <= 8 && n->n_upstream_node_ids <= 16;
}

/* Whether `id` is the very string a data reference among n's own bindings names. */
static bool bound_by_reference(const Flyteidl__Core__Node *n, const char *id)
{
	size_t k;

	if (!few_refs(n))
		return false;
	for (k = 0; k < n->n_inputs; k++) {
		const Flyteidl__Core__BindingData *bd = n->inputs[k]->binding;

		if (bd && bd->value_case == FLYTEIDL__CORE__BINDING_DATA__VALUE_PROMISE && bd->promise &&
		    bd->promise->node_id == id)
			return true;
	}
	return false;
}

/* Whether `id` is the very string listed among n's upstream ids. */
static bool listed_upstream(const Flyteidl__Core__Node *n, const char *id)
{
	size_t k;

	if (!few_refs(n))
		return false;
	for (k = 0; k < n->n_upstream_node_ids; k++)
		if (n->upstream_node_ids[k] == id)
			return true;
	return false;
}

static const cmp_type *validate_promise(struct bind_ctx *bc, Flyteidl__Core__BindingData *bd, const cmp_type *expected)
{
	struct wf_builder *w = bc->w;
	Flyteidl__Core__OutputReference *p = bd->promise;
	struct wnode *up;
	Flyteidl__Core__Variable *var;
	const cmp_type *src_type;

	if (!p) {
		werr(w, bd, bc->node, "ParameterNotBound", bc->node->id, bc->param, "input '%s' of node '%s' is not bound",
		     bc->param, bc->node->id);
		return NULL;
	}
	if (!*p->node_id)
		p->node_id = (char *)CMP_START_NODE; /* flytekit writes workflow inputs with an empty node id */
	up = fc_strmap_get(&w->nodes, p->node_id);
	if (!up || (!up->top_level && strcmp(p->node_id, CMP_START_NODE))) {
		const char **ids = fc_xmalloc((w->nlist + 1) * sizeof(*ids));
		const char *hint;
		size_t i, n = 0;

		for (i = 0; i < w->nlist; i++)
			if (w->list[i]->top_level)
				ids[n++] = w->list[i]->node->id;
		hint = cmp_did_you_mean(p->node_id, ids, n);
		fc_diag_fix_word(werr(w, p, bd, "NodeReferenceNotFound", bc->node->id, bc->param,
				      "input '%s' of node '%s' refers to node '%s', which is not in workflow '%s'%s%s%s",
				      bc->param, bc->node->id, p->node_id, w->wf_name, hint ? "; did you mean '" : "",
				      hint ? hint : "", hint ? "'?" : ""),
				 p->node_id, hint);
		free(ids);
		return NULL;
	}
	if (!up->iface) {
		/* Its own errors were reported, or it comes later in the list: then a top-level node gets here the edge
		 * its upstream id gives, which the explicit-edge pass skips for a data reference (bound_by_reference).
		 * Inner nodes keep no edge to a later node, as before. */
		if (bc->self && bc->self->top_level && !bc->upstream_only && up != bc->self &&
		    strcmp(up->node->id, CMP_END_NODE) && listed_upstream(bc->node, p->node_id))
			add_edge(w, up, bc->self, true);
		/* A node listed later: its output and type are checked once it has its interface (the edges stay as
		 * they are: the check is made without `self`). */
		if (!up->validated && strcmp(up->node->id, CMP_END_NODE)) {
			FC_ALLOC_GROW(w->deferred, w->ndeferred + 1, w->deferred_alloc);
			w->deferred[w->ndeferred++] = (struct deferred_ref){*bc, bd, expected};
		}
		return NULL;
	}
	if (!*p->var) {
		/* "!ref node" with a single output */
		if (up->iface->outputs->n_variables != 1) {
			werr(w, p, bd, "VariableNameNotFound", bc->node->id, bc->param,
			     "node '%s' has %zu outputs (%s): name one, as in !ref %s.OUTPUT", p->node_id,
			     up->iface->outputs->n_variables, output_names(w, up->iface->outputs), p->node_id);
			return NULL;
		}
		p->var = up->iface->outputs->variables[0]->key;
	}
	var = cmp_var_find(up->iface->outputs, p->var);
	if (!var) {
		const char **names = fc_xmalloc((up->iface->outputs->n_variables + 1) * sizeof(*names));
		const char *hint;
		size_t i;

		for (i = 0; i < up->iface->outputs->n_variables; i++)
			names[i] = up->iface->outputs->variables[i]->key;
		hint = cmp_did_you_mean(p->var, names, up->iface->outputs->n_variables);
		if (!strcmp(p->node_id, CMP_START_NODE))
			werr(w, p, bd, "VariableNameNotFound", bc->node->id, bc->param,
			     "workflow '%s' has no input '%s'%s%s%s", w->wf_name, p->var, hint ? "; did you mean '" : " (inputs: ",
			     hint ? hint : output_names(w, up->iface->outputs), hint ? "'?" : ")");
		else
			werr(w, p, bd, "VariableNameNotFound", bc->node->id, bc->param,
			     "node '%s' has no output '%s'%s%s%s", p->node_id, p->var, hint ? "; did you mean '" : " (outputs: ",
			     hint ? hint : output_names(w, up->iface->outputs), hint ? "'?" : ")");
		free(names);
		return NULL;
	}
	src_type = var->type;
	if (bc->check_types && expected && !cmp_types_castable(src_type, expected)) {
		werr(w, p, bd, "MismatchingTypes", bc->node->id, bc->param,
		     "%s '%s%s%s' has type %s, but it is bound to input '%s' of node '%s', which has type %s",
		     strcmp(p->node_id, CMP_START_NODE) ? "the output" : "the workflow input",
		     strcmp(p->node_id, CMP_START_NODE) ? p->node_id : "", strcmp(p->node_id, CMP_START_NODE) ? "." : "",
		     p->var, cmp_type_str(WA(w), src_type), bc->param, bc->node->id, cmp_type_str(WA(w), expected));
		return NULL;
	}
	if (bc->self && (up != bc->self || !bc->upstream_only))
		add_edge(w, up, bc->self, !bc->upstream_only);
	return src_type;
}

static const cmp_type *validate_binding(struct bind_ctx *bc, Flyteidl__Core__BindingData *bd, const cmp_type *expected,
					unsigned depth)
{
	struct wf_builder *w = bc->w;
	/* only a binding with no value yet can be a literal awaiting its type: references skip the lookup */
	const struct fc_ynode *pending =
		bd->value_case == FLYTEIDL__CORE__BINDING_DATA__VALUE__NOT_SET ? cmp_get_pending(w->s, bd) : NULL;
	size_t i;

	if (depth > FC_LIMIT_CMP_VALUE_DEPTH) {
		werr(w, bd, bc->node, "InvalidValue", bc->node->id, bc->param, "binding nested too deeply");
		return NULL;
	}
	if (pending) {
		struct fc_buf why = FC_BUF_INIT;
		const struct fc_ynode *bad = NULL;
		cmp_literal *lit;

		if (!expected) {
			werr(w, bd, bc->node, "InvalidValue", bc->node->id, bc->param,
			     "a literal value needs a declared type here");
			return NULL;
		}
		lit = cmp_literal_from_ynode(WA(w), expected, pending, &why, &bad);
		if (!lit) {
			struct fc_loc loc = cmp_loc_of(w->s, bd, bc->node);
			struct fc_diag *dg;

			if (bad)
				loc = cmp_ynode_loc(loc.src, bad);
			dg = fc_diag_add(&w->s->diags, FC_SEV_ERROR,
					 strstr(why.buf, "enum's values") ? "IllegalEnumValue" : "MismatchingTypes", loc,
					 "input '%s' of node '%s' has type %s: %s", bc->param, bc->node->id,
					 cmp_type_str(WA(w), expected), why.buf);
			fc_diag_about(dg, w->wf_name, bc->node->id, bc->param);
			fc_buf_release(&why);
			return NULL;
		}
		fc_buf_release(&why);
		{
			Flyteidl__Core__BindingData *conv = binding_from_literal(WA(w), lit);

			bd->value_case = conv->value_case;
			bd->scalar = conv->scalar; /* the union members share storage */
		}
		cmp_clear_pending(w->s, bd);
		return expected;
	}
	switch (bd->value_case) {
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_PROMISE:
		return validate_promise(bc, bd, expected);
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_COLLECTION:
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_MAP: {
		bool coll = bd->value_case == FLYTEIDL__CORE__BINDING_DATA__VALUE_COLLECTION;
		const cmp_type *elem = NULL, *resolved = NULL;
		bool ok = true;

		if (expected && expected->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_UNION_TYPE && bc->check_types) {
			/* Try each variant; exactly one must fit. */
			const cmp_type *match = NULL;
			size_t ndiag = w->s->diags.nr, nerr = w->s->diags.nerrors, nedges = w->nedges;

			for (i = 0; i < expected->union_type->n_variants; i++) {
				const cmp_type *v = expected->union_type->variants[i];
				const cmp_type *r;

				r = validate_binding(bc, bd, v, depth + 1);
				/* discard trial diagnostics */
				while (w->s->diags.nr > ndiag) {
					struct fc_diag *dg = &w->s->diags.items[--w->s->diags.nr];

					free(dg->msg);
					free(dg->workflow);
					free(dg->node);
					free(dg->var);
					free(dg->note);
				}
				w->s->diags.nerrors = nerr;
				if (r) {
					if (match) {
						werr(w, bd, bc->node, "AmbiguousBindingUnionValue", bc->node->id, bc->param,
						     "input '%s' of node '%s' has type %s; the value matches both %s and %s",
						     bc->param, bc->node->id, cmp_type_str(WA(w), expected),
						     cmp_type_str(WA(w), match), cmp_type_str(WA(w), v));
						return NULL;
					}
					match = v;
				}
				w->nedges = nedges;
			}
			if (!match) {
				werr(w, bd, bc->node, "IncompatibleBindingUnionValue", bc->node->id, bc->param,
				     "input '%s' of node '%s' has type %s; the value matches none of its variants",
				     bc->param, bc->node->id, cmp_type_str(WA(w), expected));
				return NULL;
			}
			return validate_binding(bc, bd, match, depth + 1);
		}
		if (expected && bc->check_types) {
			if (coll && expected->type_case != FLYTEIDL__CORE__LITERAL_TYPE__TYPE_COLLECTION_TYPE) {
				werr(w, bd, bc->node, "MismatchingBindings", bc->node->id, bc->param,
				     "input '%s' of node '%s' has type %s, but a list is bound to it", bc->param,
				     bc->node->id, cmp_type_str(WA(w), expected));
				return NULL;
			}
			if (!coll && expected->type_case != FLYTEIDL__CORE__LITERAL_TYPE__TYPE_MAP_VALUE_TYPE) {
				werr(w, bd, bc->node, "MismatchingBindings", bc->node->id, bc->param,
				     "input '%s' of node '%s' has type %s, but a mapping is bound to it", bc->param,
				     bc->node->id, cmp_type_str(WA(w), expected));
				return NULL;
			}
			elem = coll ? expected->collection_type : expected->map_value_type;
		}
		if (coll) {
			for (i = 0; i < bd->collection->n_bindings; i++) {
				const cmp_type *r = validate_binding(bc, bd->collection->bindings[i], elem, depth + 1);

				if (!r)
					ok = false;
				else
					resolved = r;
			}
		} else {
			for (i = 0; i < bd->map->n_bindings; i++) {
				const cmp_type *r = validate_binding(bc, bd->map->bindings[i]->value, elem, depth + 1);

				if (!r)
					ok = false;
				else
					resolved = r;
			}
		}
		if (!ok)
			return NULL;
		if (!resolved)
			resolved = cmp_type_simple(WA(w), FLYTEIDL__CORE__SIMPLE_TYPE__NONE);
		return coll ? cmp_type_collection(WA(w), (cmp_type *)resolved) : expected;
	}
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_SCALAR: {
		const cmp_type *t = cmp_type_of_scalar(WA(w), bd->scalar);

		if (!t) {
			werr(w, bd, bc->node, "UnrecognizedValue", bc->node->id, bc->param,
			     "input '%s' of node '%s' is bound to a value of unknown kind", bc->param, bc->node->id);
			return NULL;
		}
		if (bc->check_types && expected && !cmp_types_castable(t, expected)) {
			werr(w, bd, bc->node, "MismatchingTypes", bc->node->id, bc->param,
			     "input '%s' of node '%s' has type %s, but a %s value is bound to it", bc->param, bc->node->id,
			     cmp_type_str(WA(w), expected), cmp_type_str(WA(w), t));
			return NULL;
		}
		if (expected && expected->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_ENUM_TYPE) {
			const char *v = bd->scalar->value_case == FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE &&
							bd->scalar->primitive->value_case ==
								FLYTEIDL__CORE__PRIMITIVE__VALUE_STRING_VALUE
						? bd->scalar->primitive->string_value
						: "";
			bool found = false;

			for (i = 0; i < expected->enum_type->n_values && !found; i++)
				found = !strcmp(expected->enum_type->values[i], v);
			if (!found) {
				werr(w, bd, bc->node, "IllegalEnumValue", bc->node->id, bc->param,
				     "input '%s' of node '%s' is an enum %s; '%s' is not one of its values", bc->param,
				     bc->node->id, cmp_type_str(WA(w), expected), v);
				return NULL;
			}
		}
		return t;
	}
	default:
		werr(w, bd, bc->node, "ParameterNotBound", bc->node->id, bc->param, "input '%s' of node '%s' is not bound",
		     bc->param, bc->node->id);
		return NULL;
	}
}

/* What a message calls the bound thing: `what`, or "node 'ID'" when NULL (formatted only for a message: a
 * 100k-node workflow would otherwise print it 100k times). */
static const char *what_str(struct wf_builder *w, const Flyteidl__Core__Node *node, const char *what)
{
	return what ? what : fc_arena_printf(WA(w), "node '%s'", node->id);
}

/*
 * Flyte's ValidateBindings: every binding names a parameter, none twice, every required parameter is bound.
 * `what` names the bound thing in messages (NULL: the node).
 * With `params` NULL the types are taken from the bindings (gate and branch nodes), returned as a VariableMap;
 * with `params` it returns NULL.
 */
static Flyteidl__Core__VariableMap *validate_bindings(struct wf_builder *w, Flyteidl__Core__Node *node,
						      struct wnode *self, Flyteidl__Core__Binding **bindings,
						      size_t nbindings, const Flyteidl__Core__VariableMap *params,
						      bool upstream_only, const char *what)
{
	/* the types the bindings resolve to, for nodes whose inputs are their bindings (branches, approve gates);
	 * checked against `params`, nodes with an interface need no copy of it (a Variable and an entry per input) */
	Flyteidl__Core__VariableMap *resolved = params ? NULL : cmp_varmap_new(WA(w));
	struct fc_strmap seen = FC_STRMAP_INIT;
	size_t i;

	if (!self) /* the caller does not have the node's entry at hand */
		self = fc_strmap_get(&w->nodes, node->id);
	if (self && self->node != node)
		self = NULL;
	for (i = 0; i < nbindings; i++) {
		Flyteidl__Core__Binding *b = bindings[i];
		Flyteidl__Core__Variable *param = params ? cmp_var_find(params, b->var) : NULL;
		struct bind_ctx bc = {w, node, self, b->var, upstream_only, params != NULL};
		const cmp_type *t;
		Flyteidl__Core__Binding *first;

		if (params && !param) {
			const char **names = fc_xmalloc((params->n_variables + 1) * sizeof(*names));
			const char *hint;
			size_t j;

			for (j = 0; j < params->n_variables; j++)
				names[j] = params->variables[j]->key;
			hint = cmp_did_you_mean(b->var, names, params->n_variables);
			werr(w, b, node, "VariableNameNotFound", node->id, b->var, "%s has no input '%s'%s%s%s",
			     what_str(w, node, what), b->var, hint ? "; did you mean '" : " (inputs: ",
			     hint ? hint : output_names(w, params), hint ? "'?" : ")");
			free(names);
			continue;
		}
		if (!b->binding) {
			/* a spec binding that failed to parse has a position and was reported then */
			if (!cmp_has_loc(w->s, b))
				werr(w, b, node, "ValueRequired", node->id, b->var, "binding of '%s' has no value", b->var);
			if (nbindings > 16)
				fc_strmap_put(&seen, b->var, b);
			continue;
		}
		first = NULL;
		if (nbindings <= 16) {
			size_t k;

			for (k = 0; k < i && !first; k++)
				if (bindings[k]->binding && !strcmp(bindings[k]->var, b->var))
					first = bindings[k];
		} else {
			first = fc_strmap_get(&seen, b->var);
		}
		if (first) {
			struct fc_diag *dg = werr(w, b, node, "ParameterBoundMoreThanOnce", node->id, b->var,
						  "input '%s' of node '%s' is bound more than once", b->var, node->id);

			fc_diag_note(dg, cmp_loc_of(w->s, first, NULL), "first bound here");
			continue;
		}
		if (nbindings > 16)
			fc_strmap_put(&seen, b->var, b);
		t = validate_binding(&bc, b->binding, param ? param->type : NULL, 0);
		if (t && resolved) {
			Flyteidl__Core__Variable *v = CMP_NEW(WA(w), Flyteidl__Core__Variable, flyteidl__core__variable__descriptor);

			v->type = (cmp_type *)t;
			cmp_var_add(WA(w), resolved, b->var, v);
		}
	}
	for (i = 0; params && i < params->n_variables; i++) {
		const char *name = params->variables[i]->key;

		bool bound = false;

		if (nbindings > 16) {
			bound = fc_strmap_has(&seen, name);
		} else {
			size_t k;

			for (k = 0; k < nbindings && !bound; k++)
				bound = !strcmp(bindings[k]->var, name);
		}
		if (!bound && !cmp_type_is_optional(params->variables[i]->value->type))
			werr(w, node, NULL, "ParameterNotBound", node->id, name, "%s needs input '%s' (%s), which is not bound",
			     what_str(w, node, what), name, cmp_type_str(WA(w), params->variables[i]->value->type));
	}
	fc_strmap_release(&seen);
	return resolved;
}

/* --- node interfaces --------------------------------------------------------------------------------------- */
static void validate_node(struct wf_builder *w, struct wnode *wn);

/* YAML task inputs with defaults: bind the default where the node binds nothing. */
static int binding_var_order(const void *a, const void *b)
{
	const Flyteidl__Core__Binding *const *x = a, *const *y = b;

	return strcmp((*x)->var, (*y)->var);
}

static void bind_task_defaults(struct wf_builder *w, Flyteidl__Core__Node *node, struct cmp_entity *task)
{
	bool added = false;
	size_t i, j;

	for (i = 0; i < task->ndefaults; i++) {
		struct cmp_default *d = &task->defaults[i];
		Flyteidl__Core__Binding *b;
		bool bound = false;

		if (!d->literal)
			continue;
		for (j = 0; j < node->n_inputs && !bound; j++)
			bound = !strcmp(node->inputs[j]->var, d->var);
		if (bound)
			continue;
		b = CMP_NEW(WA(w), Flyteidl__Core__Binding, flyteidl__core__binding__descriptor);
		b->var = (char *)d->var;
		b->binding = binding_from_literal(WA(w), d->literal);
		CMP_PUSH(WA(w), node->inputs, node->n_inputs, b);
		added = true;
	}
	if (added && node->n_inputs > 1)
		qsort(node->inputs, node->n_inputs, sizeof(node->inputs[0]), binding_var_order);
}

static Flyteidl__Core__TypedInterface *target_iface(struct wf_builder *w, Flyteidl__Core__Node *node)
{
	struct cmp_entity *t;

	if (NODE_CASE(node, TASK_NODE)) {
		t = resolve_ref(w, node->task_node->reference_id, CMP_KIND_TASK, node);
		if (!t)
			return NULL;
		node->task_node->reference_id = t->task->id;
		bind_task_defaults(w, node, t);
		return normalize_iface(WA(w), t->task->interface);
	}
	if (NODE_CASE(node, WORKFLOW_NODE)) {
		Flyteidl__Core__WorkflowNode *wfn = node->workflow_node;

		if (wfn->reference_case == FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_SUB_WORKFLOW_REF) {
			t = resolve_ref(w, wfn->sub_workflow_ref, CMP_KIND_WORKFLOW, node);
			if (!t)
				return NULL;
			wfn->sub_workflow_ref = t->workflow->id;
			return normalize_iface(WA(w), t->workflow->interface);
		}
		if (wfn->reference_case == FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_LAUNCHPLAN_REF) {
			Flyteidl__Core__TypedInterface *iface;
			const Flyteidl__Core__ParameterMap *pm;
			size_t i, j;

			t = resolve_ref(w, wfn->launchplan_ref, CMP_KIND_LAUNCH_PLAN, node);
			if (!t)
				return NULL;
			wfn->launchplan_ref = t->launch_plan->id;
			/* Required inputs, plus defaulted ones the node overrides (Flyte's rule). */
			iface = empty_iface(WA(w));
			pm = t->launch_plan->closure ? t->launch_plan->closure->expected_inputs : NULL;
			for (i = 0; pm && i < pm->n_parameters; i++) {
				const Flyteidl__Core__Parameter *p = pm->parameters[i]->value;
				bool bound = false;

				for (j = 0; j < node->n_inputs && !bound; j++)
					bound = !strcmp(node->inputs[j]->var, pm->parameters[i]->key);
				if ((p->behavior_case == FLYTEIDL__CORE__PARAMETER__BEHAVIOR_REQUIRED && p->required) || bound ||
				    p->behavior_case == FLYTEIDL__CORE__PARAMETER__BEHAVIOR__NOT_SET)
					cmp_var_add(WA(w), iface->inputs, pm->parameters[i]->key, p->var);
			}
			if (t->launch_plan->closure && t->launch_plan->closure->expected_outputs)
				iface->outputs = t->launch_plan->closure->expected_outputs;
			return iface;
		}
		werr(w, node, NULL, "WorkflowReferenceNotFound", node->id, NULL, "node '%s' names no workflow", node->id);
		return NULL;
	}
	werr(w, node, NULL, "ValueRequired", node->id, NULL, "node '%s' has no target", node->id);
	return NULL;
}

static bool operand_type(struct wf_builder *w, struct wnode *branch, const Flyteidl__Core__Operand *op,
			 const Flyteidl__Core__VariableMap *inputs, const cmp_type **out)
{
	*out = NULL;
	switch (op->val_case) {
	case FLYTEIDL__CORE__OPERAND__VAL_VAR: {
		Flyteidl__Core__Variable *v = cmp_var_find(inputs, op->var);

		if (!v) {
			size_t i;

			for (i = 0; i < branch->node->n_inputs; i++)
				if (!strcmp(branch->node->inputs[i]->var, op->var))
					return false; /* its binding was reported already */
			werr(w, op, branch->node, "VariableNameNotFound", branch->node->id, op->var,
			     "condition of branch '%s' uses '%s', which is not one of the branch's inputs (%s)",
			     branch->node->id, op->var, output_names(w, inputs));
			return false;
		}
		*out = v->type;
		return true;
	}
	case FLYTEIDL__CORE__OPERAND__VAL_PRIMITIVE: {
		Flyteidl__Core__Scalar sc = FLYTEIDL__CORE__SCALAR__INIT;

		sc.value_case = FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE;
		/* flytekit still writes the deprecated primitive operand */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
		sc.primitive = op->primitive;
#pragma GCC diagnostic pop
		*out = cmp_type_of_scalar(WA(w), &sc);
		return *out != NULL;
	}
	case FLYTEIDL__CORE__OPERAND__VAL_SCALAR:
		*out = cmp_type_of_scalar(WA(w), op->scalar);
		return *out != NULL;
	default:
		werr(w, op, branch->node, "ValueRequired", branch->node->id, NULL, "a comparison operand is empty");
		return false;
	}
}

/* Unwrap optional<T> to T for comparisons; anything that is not a simple scalar cannot be compared. */
static const cmp_type *comparable(const cmp_type *t)
{
	if (t && t->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_UNION_TYPE && t->union_type->n_variants == 2 &&
	    cmp_type_is_none(t->union_type->variants[1]))
		t = t->union_type->variants[0];
	if (t && t->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_ENUM_TYPE)
		return t;
	if (!t || t->type_case != FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE)
		return NULL;
	switch (t->simple) {
	case FLYTEIDL__CORE__SIMPLE_TYPE__INTEGER:
	case FLYTEIDL__CORE__SIMPLE_TYPE__FLOAT:
	case FLYTEIDL__CORE__SIMPLE_TYPE__STRING:
	case FLYTEIDL__CORE__SIMPLE_TYPE__BOOLEAN:
	case FLYTEIDL__CORE__SIMPLE_TYPE__DATETIME:
	case FLYTEIDL__CORE__SIMPLE_TYPE__DURATION:
		return t;
	default:
		return NULL;
	}
}

static bool numeric(const cmp_type *t)
{
	return t->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE &&
	       (t->simple == FLYTEIDL__CORE__SIMPLE_TYPE__INTEGER || t->simple == FLYTEIDL__CORE__SIMPLE_TYPE__FLOAT);
}

static bool stringish(const cmp_type *t)
{
	return t->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_ENUM_TYPE ||
	       (t->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE && t->simple == FLYTEIDL__CORE__SIMPLE_TYPE__STRING);
}

static void validate_condition(struct wf_builder *w, struct wnode *branch, const Flyteidl__Core__BooleanExpression *be,
			       const Flyteidl__Core__VariableMap *inputs, unsigned depth)
{
	if (!be || depth > 200) {
		werr(w, branch->node, NULL, "BranchNodeHasNoCondition", branch->node->id, NULL,
		     "a case of branch '%s' has no condition", branch->node->id);
		return;
	}
	if (be->expr_case == FLYTEIDL__CORE__BOOLEAN_EXPRESSION__EXPR_CONJUNCTION) {
		validate_condition(w, branch, be->conjunction->left_expression, inputs, depth + 1);
		validate_condition(w, branch, be->conjunction->right_expression, inputs, depth + 1);
		return;
	}
	if (be->expr_case == FLYTEIDL__CORE__BOOLEAN_EXPRESSION__EXPR_COMPARISON && be->comparison) {
		const Flyteidl__Core__ComparisonExpression *c = be->comparison;
		const cmp_type *lt, *rt, *l, *r;

		if (!c->left_value || !c->right_value) {
			werr(w, c, branch->node, "ValueRequired", branch->node->id, NULL, "a comparison needs two operands");
			return;
		}
		if (!operand_type(w, branch, c->left_value, inputs, &lt) ||
		    !operand_type(w, branch, c->right_value, inputs, &rt))
			return;
		l = comparable(lt);
		r = comparable(rt);
		if (!l || !r) {
			const Flyteidl__Core__Operand *bad = !l ? c->left_value : c->right_value;

			werr(w, bad, c, "InvalidCondition", branch->node->id,
			     bad->val_case == FLYTEIDL__CORE__OPERAND__VAL_VAR ? bad->var : NULL,
			     "conditions compare scalars (numbers, strings, booleans, datetimes, durations); '%s' is %s",
			     bad->val_case == FLYTEIDL__CORE__OPERAND__VAL_VAR ? bad->var : "this value",
			     cmp_type_str(WA(w), !l ? lt : rt));
			return;
		}
		if (!(numeric(l) && numeric(r)) && !(stringish(l) && stringish(r)) && !cmp_types_equal(l, r)) {
			werr(w, c, branch->node, "MismatchingTypes", branch->node->id, NULL,
			     "condition of branch '%s' compares %s with %s", branch->node->id, cmp_type_str(WA(w), l),
			     cmp_type_str(WA(w), r));
			return;
		}
		if (l->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE &&
		    l->simple == FLYTEIDL__CORE__SIMPLE_TYPE__BOOLEAN &&
		    c->operator_ != FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__EQ &&
		    c->operator_ != FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__NEQ)
			werr(w, c, branch->node, "InvalidCondition", branch->node->id, NULL,
			     "booleans are compared with == or != only");
		return;
	}
	werr(w, be, branch->node, "BranchNodeHasNoCondition", branch->node->id, NULL,
	     "a case of branch '%s' has an empty condition", branch->node->id);
}

static Flyteidl__Core__TypedInterface *branch_iface(struct wf_builder *w, struct wnode *wn)
{
	Flyteidl__Core__Node *node = wn->node;
	Flyteidl__Core__IfElseBlock *ie = node->branch_node ? node->branch_node->if_else : NULL;
	Flyteidl__Core__TypedInterface *iface = empty_iface(WA(w));
	Flyteidl__Core__Node *cases[1024];
	const Flyteidl__Core__BooleanExpression *conds[1024];
	size_t ncases = 0, i, j;
	const Flyteidl__Core__Node *first = NULL;
	bool ok = true;

	if (!ie || !ie->case_) {
		werr(w, node, NULL, "BranchNodeIdNotFound", node->id, NULL, "branch '%s' has no 'if' case", node->id);
		return NULL;
	}
	/* The branch node's own inputs are what its conditions read; their types come from upstream. */
	iface->inputs = validate_bindings(w, node, wn, node->inputs, node->n_inputs, NULL, !wn->top_level, "the branch");
	conds[ncases] = ie->case_->condition;
	cases[ncases++] = ie->case_->then_node;
	for (i = 0; i < ie->n_other && ncases < 1023; i++) {
		conds[ncases] = ie->other[i]->condition;
		cases[ncases++] = ie->other[i]->then_node;
	}
	if (ie->default_case == FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ELSE_NODE) {
		conds[ncases] = NULL;
		cases[ncases++] = ie->else_node;
	} else if (ie->default_case != FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ERROR) {
		werr(w, node, NULL, "BranchNodeHasNoDefault", node->id, NULL,
		     "branch '%s' must have an else node or an else error", node->id);
		ok = false;
	}
	for (i = 0; i < ncases; i++) {
		struct wnode *inner;

		if (i < ncases && conds[i])
			validate_condition(w, wn, conds[i], iface->inputs, 0);
		else if (!(ie->default_case == FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ELSE_NODE && i == ncases - 1))
			validate_condition(w, wn, NULL, iface->inputs, 0);
		if (!cases[i]) {
			werr(w, node, NULL, "ValueRequired", node->id, NULL, "a case of branch '%s' has no node to run",
			     node->id);
			ok = false;
			continue;
		}
		/* Inner nodes are named "<branch>-<inner>", as Flyte's compiler names them. */
		{
			size_t plen = strlen(node->id);

			if (strncmp(cases[i]->id, node->id, plen) || cases[i]->id[plen] != '-')
				cases[i]->id = fc_arena_printf(WA(w), "%s-%s", node->id, cases[i]->id);
		}
		inner = add_wnode(w, cases[i], false);
		if (!inner) {
			ok = false;
			continue;
		}
		validate_node(w, inner);
		if (!inner->iface) {
			ok = false;
			continue;
		}
		/* The branch exposes the outputs every case produces; shared names must agree on their type. */
		if (!first) {
			first = cases[i];
			iface->outputs = cmp_varmap_new(WA(w));
			for (j = 0; j < inner->iface->outputs->n_variables; j++)
				cmp_var_add(WA(w), iface->outputs, inner->iface->outputs->variables[j]->key,
					    inner->iface->outputs->variables[j]->value);
			continue;
		}
		{
			Flyteidl__Core__VariableMap *kept = cmp_varmap_new(WA(w));

			for (j = 0; j < iface->outputs->n_variables; j++) {
				const char *name = iface->outputs->variables[j]->key;
				Flyteidl__Core__Variable *v = cmp_var_find(inner->iface->outputs, name);

				if (!v)
					continue;
				if (!cmp_types_equal(v->type, iface->outputs->variables[j]->value->type)) {
					werr(w, cases[i], node, "MismatchingTypes", node->id, name,
					     "the cases of branch '%s' disagree on output '%s': '%s' produces %s, '%s' %s",
					     node->id, name, first->id,
					     cmp_type_str(WA(w), iface->outputs->variables[j]->value->type), cases[i]->id,
					     cmp_type_str(WA(w), v->type));
					ok = false;
				}
				cmp_var_add(WA(w), kept, name, iface->outputs->variables[j]->value);
			}
			iface->outputs = kept;
		}
	}
	return ok ? iface : NULL;
}

static Flyteidl__Core__TypedInterface *gate_iface(struct wf_builder *w, Flyteidl__Core__Node *node, bool upstream_only)
{
	Flyteidl__Core__GateNode *g = node->gate_node;
	Flyteidl__Core__TypedInterface *iface = empty_iface(WA(w));

	switch (g ? g->condition_case : FLYTEIDL__CORE__GATE_NODE__CONDITION__NOT_SET) {
	case FLYTEIDL__CORE__GATE_NODE__CONDITION_APPROVE:
		/* Approve passes its inputs through: outputs are the inputs. */
		iface->inputs = validate_bindings(w, node, NULL, node->inputs, node->n_inputs, NULL, upstream_only, "the gate");
		iface->outputs = iface->inputs;
		return iface;
	case FLYTEIDL__CORE__GATE_NODE__CONDITION_SIGNAL:
		if (!g->signal->type) {
			werr(w, node, NULL, "ValueRequired", node->id, NULL, "signal gate '%s' needs a type", node->id);
			return NULL;
		}
		if (!*g->signal->output_variable_name) {
			werr(w, node, NULL, "ValueRequired", node->id, NULL, "signal gate '%s' needs an output variable name",
			     node->id);
			return NULL;
		}
		{
			Flyteidl__Core__Variable *v = CMP_NEW(WA(w), Flyteidl__Core__Variable, flyteidl__core__variable__descriptor);

			v->type = g->signal->type;
			cmp_var_add(WA(w), iface->outputs, g->signal->output_variable_name, v);
		}
		return iface;
	case FLYTEIDL__CORE__GATE_NODE__CONDITION_SLEEP:
		if (!g->sleep->duration ||
		    (g->sleep->duration->seconds <= 0 && g->sleep->duration->nanos <= 0)) {
			werr(w, node, NULL, "InvalidValue", node->id, NULL, "sleep gate '%s' needs a positive duration",
			     node->id);
			return NULL;
		}
		return iface;
	default:
		werr(w, node, NULL, "NoConditionFound", node->id, NULL, "gate node '%s' has no condition", node->id);
		return NULL;
	}
}

static Flyteidl__Core__TypedInterface *array_iface(struct wf_builder *w, Flyteidl__Core__Node *node)
{
	Flyteidl__Core__ArrayNode *an = node->array_node;
	Flyteidl__Core__TypedInterface *sub, *iface;
	size_t i, j;

	if (!an->node) {
		werr(w, node, NULL, "ValueRequired", node->id, NULL, "map node '%s' has nothing to run", node->id);
		return NULL;
	}
	sub = target_iface(w, an->node);
	if (!sub)
		return NULL;
	if (!an->is_original_sub_node_interface || !an->is_original_sub_node_interface->value)
		return sub; /* flytekit already wrapped the interface in lists */
	for (i = 0; i < an->n_bound_inputs; i++) {
		if (!cmp_var_find(sub->inputs, an->bound_inputs[i]))
			werr(w, an, node, "VariableNameNotFound", node->id, an->bound_inputs[i],
			     "map node '%s' broadcasts '%s', which is not an input of what it runs (%s)", node->id,
			     an->bound_inputs[i], output_names(w, sub->inputs));
	}
	if (an->success_criteria_case == FLYTEIDL__CORE__ARRAY_NODE__SUCCESS_CRITERIA_MIN_SUCCESS_RATIO &&
	    (an->min_success_ratio <= 0 || an->min_success_ratio > 1))
		werr(w, an, node, "InvalidValue", node->id, NULL, "min_success_ratio of map node '%s' must be in (0, 1]",
		     node->id);
	iface = empty_iface(WA(w));
	for (i = 0; i < sub->inputs->n_variables; i++) {
		Flyteidl__Core__Variable *v = CMP_NEW(WA(w), Flyteidl__Core__Variable, flyteidl__core__variable__descriptor);
		bool broadcast = false;

		for (j = 0; j < an->n_bound_inputs && !broadcast; j++)
			broadcast = !strcmp(an->bound_inputs[j], sub->inputs->variables[i]->key);
		v->type = broadcast ? sub->inputs->variables[i]->value->type
				    : cmp_type_collection(WA(w), sub->inputs->variables[i]->value->type);
		cmp_var_add(WA(w), iface->inputs, sub->inputs->variables[i]->key, v);
	}
	for (i = 0; i < sub->outputs->n_variables; i++) {
		Flyteidl__Core__Variable *v = CMP_NEW(WA(w), Flyteidl__Core__Variable, flyteidl__core__variable__descriptor);

		v->type = cmp_type_collection(WA(w), sub->outputs->variables[i]->value->type);
		cmp_var_add(WA(w), iface->outputs, sub->outputs->variables[i]->key, v);
	}
	return iface;
}

/* Flyte's ValidateNode: compute the node's interface, check its bindings and aliases. */
static void validate_node(struct wf_builder *w, struct wnode *wn)
{
	Flyteidl__Core__Node *node = wn->node;
	Flyteidl__Core__TypedInterface *iface = NULL;
	size_t i, j;
	bool bindings_done = false;

	wn->validated = true;
	switch (node->target_case) {
	case FLYTEIDL__CORE__NODE__TARGET_TASK_NODE:
	case FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE:
		iface = target_iface(w, node);
		break;
	case FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE:
		iface = branch_iface(w, wn);
		bindings_done = true;
		break;
	case FLYTEIDL__CORE__NODE__TARGET_GATE_NODE:
		iface = gate_iface(w, node, !wn->top_level);
		bindings_done = node->gate_node && node->gate_node->condition_case == FLYTEIDL__CORE__GATE_NODE__CONDITION_APPROVE;
		break;
	case FLYTEIDL__CORE__NODE__TARGET_ARRAY_NODE:
		iface = array_iface(w, node);
		break;
	default:
		werr(w, node, NULL, "ValueRequired", node->id, NULL, "node '%s' has no target", node->id);
		return;
	}
	if (!iface)
		return;
	wn->iface = iface;
	if (!bindings_done)
		validate_bindings(w, node, wn, node->inputs, node->n_inputs, iface->inputs, !wn->top_level, NULL);
	/* Aliases rename outputs: the var must exist, an alias is used once. */
	for (i = 0; i < node->n_output_aliases; i++) {
		const Flyteidl__Core__Alias *al = node->output_aliases[i];

		if (!cmp_var_find(iface->outputs, al->var))
			werr(w, al, node, "VariableNameNotFound", node->id, al->var,
			     "output alias names '%s', which is not an output of node '%s' (%s)", al->var, node->id,
			     output_names(w, iface->outputs));
		for (j = 0; j < i; j++)
			if (!strcmp(node->output_aliases[j]->alias, al->alias))
				werr(w, al, node, "DuplicateAlias", node->id, al->alias,
				     "alias '%s' is used twice on node '%s'", al->alias, node->id);
	}
}

/* --- the graph --------------------------------------------------------------------------------------------- */
struct ranked_id {
	const char *id;
	uint32_t index;
};

static int ranked_id_cmp(const void *a, const void *b)
{
	const struct ranked_id *x = a, *y = b;

	return strcmp(x->id, y->id);
}

/* Note every node's id by index and rank the nodes by id once, so that edges sort by integers. */
static void rank_nodes(struct wf_builder *w)
{
	struct ranked_id *sorted = fc_xmalloc((w->nlist + 1) * sizeof(*sorted));
	size_t i;

	w->ids = fc_xmalloc((w->nlist + 1) * sizeof(*w->ids));
	w->rank = fc_xmalloc((w->nlist + 1) * sizeof(*w->rank));
	for (i = 0; i < w->nlist; i++) {
		w->ids[i] = w->list[i]->node->id;
		sorted[i].id = w->ids[i];
		sorted[i].index = (uint32_t)i;
	}
	qsort(sorted, w->nlist, sizeof(*sorted), ranked_id_cmp);
	for (i = 0; i < w->nlist; i++)
		w->rank[sorted[i].index] = (uint32_t)i;
	free(sorted);
}

/*
 * Sort the edges by (key rank, other rank): by source for the downstream side, by target for the upstream side.
 * Each edge becomes one integer (the two ranks and the downstream flag) and the integers are radix-sorted a byte
 * at a time (bytes that are the same in every key are skipped): a 100k-node workflow sorts its edges in a few
 * linear passes over 8 bytes an edge, instead of n log n comparisons that each chase two node pointers. Edges
 * with equal ranks join the same two nodes, so the connection sets and the graph check see what a comparison
 * sort would give them.
 */
static void sort_edges(struct wf_builder *w, bool upstream)
{
	size_t n = w->nedges, i, shift;
	uint64_t *a, *b;
	uint32_t *by_rank;

	if (n < 2)
		return;
	a = fc_xmalloc(n * sizeof(*a));
	b = fc_xmalloc(n * sizeof(*b));
	by_rank = fc_xmalloc(w->nlist * sizeof(*by_rank));
	for (i = 0; i < w->nlist; i++)
		by_rank[w->rank[i]] = (uint32_t)i;
	for (i = 0; i < n; i++) {
		uint64_t to = w->rank[w->edges[i].to], from = w->rank[w->edges[i].from];

		a[i] = (upstream ? to << 32 | from << 1 : from << 32 | to << 1) | w->edges[i].downstream;
	}
	for (shift = 0; shift < 64; shift += 8) {
		size_t count[256] = {0}, pos[256], sum = 0, d;
		uint64_t *t;

		for (i = 0; i < n; i++)
			count[(a[i] >> shift) & 0xff]++;
		if (count[(a[0] >> shift) & 0xff] == n)
			continue; /* every key has this byte */
		for (d = 0; d < 256; d++) {
			pos[d] = sum;
			sum += count[d];
		}
		for (i = 0; i < n; i++)
			b[pos[(a[i] >> shift) & 0xff]++] = a[i];
		t = a;
		a = b;
		b = t;
	}
	for (i = 0; i < n; i++) {
		uint32_t hi = by_rank[a[i] >> 32], lo = by_rank[(a[i] & 0xffffffffu) >> 1];

		w->edges[i].from = upstream ? lo : hi;
		w->edges[i].to = upstream ? hi : lo;
		w->edges[i].downstream = a[i] & 1;
	}
	free(a);
	free(b);
	free(by_rank);
}

static Flyteidl__Core__ConnectionSet__IdList *id_list(struct fc_arena *a)
{
	return CMP_NEW(a, Flyteidl__Core__ConnectionSet__IdList, flyteidl__core__connection_set__id_list__descriptor);
}

/* Build one side of the connection set: keys and ids in id order, duplicates dropped. */
static void build_connections(struct wf_builder *w, Flyteidl__Core__ConnectionSet *cs, bool upstream)
{
	struct edge *edges = w->edges;
	size_t i = 0;

	sort_edges(w, upstream);
	while (i < w->nedges) {
		uint32_t key = upstream ? edges[i].to : edges[i].from;
		Flyteidl__Core__ConnectionSet__IdList *ids = NULL;
		uint32_t last = UINT32_MAX;

		for (; i < w->nedges && (upstream ? edges[i].to : edges[i].from) == key; i++) {
			uint32_t other = upstream ? edges[i].from : edges[i].to;

			if ((!upstream && !edges[i].downstream) || other == last)
				continue;
			if (!ids)
				ids = id_list(WA(w));
			CMP_PUSH(WA(w), ids->ids, ids->n_ids, w->ids[other]);
			last = other;
		}
		if (!ids)
			continue;
		if (upstream) {
			Flyteidl__Core__ConnectionSet__UpstreamEntry *e =
				CMP_NEW(WA(w), Flyteidl__Core__ConnectionSet__UpstreamEntry,
					flyteidl__core__connection_set__upstream_entry__descriptor);

			e->key = w->ids[key];
			e->value = ids;
			CMP_PUSH(WA(w), cs->upstream, cs->n_upstream, e);
		} else {
			Flyteidl__Core__ConnectionSet__DownstreamEntry *e =
				CMP_NEW(WA(w), Flyteidl__Core__ConnectionSet__DownstreamEntry,
					flyteidl__core__connection_set__downstream_entry__descriptor);

			e->key = w->ids[key];
			e->value = ids;
			CMP_PUSH(WA(w), cs->downstream, cs->n_downstream, e);
		}
	}
}

/* Cycles and reachability over downstream edges from start-node (iterative: chains may be 100k long). */
static void check_graph(struct wf_builder *w)
{
	size_t i, *stack_node, *stack_pos, depth = 0, *off, *adj;
	unsigned char *color; /* 0 new, 1 on stack, 2 done */
	struct wnode *start = fc_strmap_get(&w->nodes, CMP_START_NODE);
	bool cycle = false;

	/* Downstream adjacency in compressed rows, in id order (the edges are sorted that way). */
	off = fc_xcalloc(w->nlist + 1, sizeof(*off));
	adj = fc_xmalloc((w->nedges + 1) * sizeof(*adj));
	for (i = 0; i < w->nedges; i++)
		if (w->edges[i].downstream)
			off[w->edges[i].from + 1]++;
	for (i = 0; i < w->nlist; i++)
		off[i + 1] += off[i];
	{
		size_t *fill = fc_xmalloc((w->nlist + 1) * sizeof(*fill));

		memcpy(fill, off, (w->nlist + 1) * sizeof(*fill));
		for (i = 0; i < w->nedges; i++)
			if (w->edges[i].downstream)
				adj[fill[w->edges[i].from]++] = w->edges[i].to;
		free(fill);
	}
	color = fc_xcalloc(w->nlist, 1);
	stack_node = fc_xmalloc(w->nlist * sizeof(*stack_node));
	stack_pos = fc_xmalloc(w->nlist * sizeof(*stack_pos));
	stack_node[0] = start->index;
	stack_pos[0] = 0;
	color[start->index] = 1;
	depth = 1;
	while (depth && !cycle) {
		size_t cur = stack_node[depth - 1];

		if (off[cur] + stack_pos[depth - 1] < off[cur + 1]) {
			size_t to = adj[off[cur] + stack_pos[depth - 1]++];

			if (color[to] == 1) {
				/* Report the cycle as the path on the stack from `to` back to `to`. */
				const Flyteidl__Core__Node *to_node = w->list[to]->node;
				struct fc_buf path = FC_BUF_INIT;
				size_t k = depth, shown = 0;

				while (k > 0 && stack_node[k - 1] != to)
					k--;
				for (; k > 0 && k <= depth; k++) {
					if (++shown == 11 && depth - k > 1) { /* a long ring: 10 nodes, then the way back */
						fc_buf_addf(&path, "... (%zu more) -> ", depth - k);
						k = depth;
					}
					fc_buf_addf(&path, "%s -> ", w->list[stack_node[k - 1]]->node->id);
				}
				fc_buf_adds(&path, to_node->id);
				werr(w, to_node, NULL, "CycleDetected", to_node->id, NULL,
				     "workflow '%s' has a cycle: %s", w->wf_name, path.buf);
				fc_buf_release(&path);
				cycle = true;
				break;
			}
			if (color[to] == 0) {
				color[to] = 1;
				stack_node[depth] = to;
				stack_pos[depth] = 0;
				depth++;
			}
			continue;
		}
		color[cur] = 2;
		depth--;
	}
	if (!cycle) {
		struct fc_buf list = FC_BUF_INIT;
		const Flyteidl__Core__Node *first = NULL;
		size_t count = 0;

		for (i = 0; i < w->nlist; i++) {
			struct wnode *wn = w->list[i];

			if (!wn->top_level || color[i] || !strcmp(wn->node->id, CMP_END_NODE))
				continue;
			if (!first)
				first = wn->node;
			if (count++ < 10)
				fc_buf_addf(&list, "%s%s", count > 1 ? ", " : "", wn->node->id);
		}
		if (count)
			werr(w, first, NULL, "UnreachableNodes", first->id, NULL,
			     "workflow '%s' has nodes that can never run (they wait on each other): %s%s", w->wf_name,
			     list.buf, count > 10 ? ", ..." : "");
		fc_buf_release(&list);
	}
	free(color);
	free(stack_node);
	free(stack_pos);
	free(off);
	free(adj);
}

/* Workflow outputs declared without a type take the type of what they are bound to. */
static void infer_output_types(struct wf_builder *w)
{
	Flyteidl__Core__WorkflowTemplate *tpl = w->tpl;
	size_t i;

	for (i = 0; i < tpl->n_outputs; i++) {
		Flyteidl__Core__Binding *b = tpl->outputs[i];
		Flyteidl__Core__Variable *v = cmp_var_find(tpl->interface->outputs, b->var);
		struct wnode *up;
		Flyteidl__Core__Variable *src;

		if (!v || v->type || !b->binding)
			continue;
		if (b->binding->value_case != FLYTEIDL__CORE__BINDING_DATA__VALUE_PROMISE) {
			werr(w, b, NULL, "InvalidValue", CMP_END_NODE, b->var,
			     "workflow output '%s' needs a 'type' when it is not a reference", b->var);
			b->binding = NULL; /* reported: no second error for the value */
			continue;
		}
		up = fc_strmap_get(&w->nodes, b->binding->promise->node_id);
		if (!up || !up->iface)
			continue; /* reported when the binding is validated */
		if (!*b->binding->promise->var && up->iface->outputs->n_variables == 1)
			b->binding->promise->var = up->iface->outputs->variables[0]->key;
		src = cmp_var_find(up->iface->outputs, b->binding->promise->var);
		if (src)
			v->type = src->type;
	}
	for (i = 0; i < tpl->interface->outputs->n_variables; i++)
		if (!tpl->interface->outputs->variables[i]->value->type)
			tpl->interface->outputs->variables[i]->value->type =
				cmp_type_simple(WA(w), FLYTEIDL__CORE__SIMPLE_TYPE__NONE);
}

static void convert_defaults(struct cmp_session *s, struct cmp_entity *e, const Flyteidl__Core__VariableMap *inputs)
{
	size_t i;

	for (i = 0; i < e->ndefaults; i++) {
		struct cmp_default *d = &e->defaults[i];
		Flyteidl__Core__Variable *v = cmp_var_find(inputs, d->var);
		struct fc_buf why = FC_BUF_INIT;
		const struct fc_ynode *bad = NULL;
		struct fc_loc where = cmp_loc_of(s, v, e);

		if (!v || !v->type)
			continue;
		d->literal = cmp_literal_from_ynode(&s->arena, v->type, d->value, &why, &bad);
		if (!d->literal) {
			struct fc_diag *dg = fc_diag_add(&s->diags, FC_SEV_ERROR,
							 strstr(why.buf, "enum's values") ? "IllegalEnumValue"
											  : "MismatchingTypes",
							 cmp_ynode_loc(where.src, bad ? bad : d->value),
							 "default of input '%s' (%s): %s", d->var,
							 cmp_type_str(&s->arena, v->type), why.buf);

			fc_diag_about(dg, e->kind == CMP_KIND_WORKFLOW ? e->name : NULL, NULL, d->var);
		}
		fc_buf_release(&why);
	}
}

static int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool cmp_compile_workflow(struct cmp_session *s, struct cmp_entity *e)
{
	struct wf_builder w;
	Flyteidl__Core__WorkflowTemplate *tpl = e->workflow;
	Flyteidl__Core__Node *start, *end;
	Flyteidl__Core__Node **original;
	size_t noriginal, i;
	size_t errors_before = s->diags.nerrors;
	struct wnode *start_wn, *end_wn, **own;
	Flyteidl__Core__ConnectionSet *cs;
	bool ok;

	memset(&w, 0, sizeof(w));
	w.s = s;
	w.e = e;
	w.tpl = tpl;
	w.wf_name = e->name;
	if (!tpl->n_nodes) {
		if (e->state != CMP_FAILED)
			werr(&w, tpl, NULL, "NoNodesFound", NULL, NULL, "workflow '%s' has no nodes", e->name);
		return false;
	}
	tpl->interface = normalize_iface(&s->arena, tpl->interface);
	convert_defaults(s, e, tpl->interface->inputs);
	cmp_varmap_sort(tpl->interface->inputs);

	/* The start node outputs the workflow inputs; the end node takes its outputs. */
	start = CMP_NEW(&s->arena, Flyteidl__Core__Node, flyteidl__core__node__descriptor);
	start->id = (char *)CMP_START_NODE;
	end = CMP_NEW(&s->arena, Flyteidl__Core__Node, flyteidl__core__node__descriptor);
	end->id = (char *)CMP_END_NODE;
	original = tpl->nodes;
	noriginal = tpl->n_nodes;
	start_wn = add_wnode(&w, start, true);
	start_wn->iface = empty_iface(&s->arena);
	start_wn->iface->outputs = tpl->interface->inputs;
	end_wn = add_wnode(&w, end, true);
	/* each node's own entry (NULL for a duplicate id), so the passes below need no lookup by its id */
	own = fc_xmalloc((noriginal ? noriginal : 1) * sizeof(*own));
	for (i = 0; i < noriginal; i++)
		own[i] = add_wnode(&w, original[i], true);
	for (i = 0; i < noriginal; i++)
		if (own[i])
			validate_node(&w, own[i]);
	for (i = 0; i < w.ndeferred; i++) {
		w.deferred[i].bc.self = NULL;
		validate_promise(&w.deferred[i].bc, w.deferred[i].bd, w.deferred[i].expected);
	}
	/* Explicit ordering edges. */
	for (i = 0; i < noriginal; i++) {
		Flyteidl__Core__Node *n = original[i];
		size_t j;

		for (j = 0; j < n->n_upstream_node_ids; j++) {
			const char *up = n->upstream_node_ids[j];
			struct wnode *u;

			if (own[i] && bound_by_reference(n, up))
				continue;
			u = fc_strmap_get(&w.nodes, up);

			if (!u || !u->top_level || u == end_wn) {
				/* ids taken from data references were reported with their binding; only 'after' here */
				if (cmp_has_loc(s, up))
					werr(&w, up, n, "NodeReferenceNotFound", n->id, NULL,
					     "node '%s' waits for '%s', which is not a node of workflow '%s'", n->id, up,
					     e->name);
				continue;
			}
			add_edge(&w, u, own[i] ? own[i] : fc_strmap_get(&w.nodes, n->id), true);
		}
	}
	if (tpl->failure_node) {
		struct wnode *fw = add_wnode(&w, tpl->failure_node, false);

		if (fw)
			validate_node(&w, fw);
	}
	/* Nodes with nothing upstream start from start-node; nodes nothing depends on feed end-node. */
	for (i = 0; i < noriginal; i++) {
		struct wnode *wn = own[i];

		if (!wn)
			continue;
		if (!wn->has_up)
			add_edge(&w, start_wn, wn, true);
		if (!wn->has_down)
			add_edge(&w, wn, end_wn, true);
	}
	infer_output_types(&w);
	end->inputs = tpl->outputs;
	end->n_inputs = tpl->n_outputs;
	end_wn->iface = empty_iface(&s->arena);
	end_wn->iface->inputs = tpl->interface->outputs;
	validate_bindings(&w, end, end_wn, tpl->outputs, tpl->n_outputs, tpl->interface->outputs, false,
			  fc_arena_printf(&s->arena, "workflow '%s' outputs", e->name));
	cmp_varmap_sort(tpl->interface->outputs);

	ok = s->diags.nerrors == errors_before && !w.dependency_failed;
	cs = CMP_NEW(&s->arena, Flyteidl__Core__ConnectionSet, flyteidl__core__connection_set__descriptor);
	if (ok) {
		rank_nodes(&w);
		build_connections(&w, cs, false);
		check_graph(&w);
		build_connections(&w, cs, true);
		ok = s->diags.nerrors == errors_before;
	}
	if (ok) {
		Flyteidl__Core__Node **nodes = fc_arena_array(&s->arena, noriginal + 2, sizeof(*nodes));

		/* Explicit dependencies are a set: Flyte keeps them sorted. */
		for (i = 0; i < w.nlist; i++) {
			Flyteidl__Core__Node *n = w.list[i]->node;

			if (n->n_upstream_node_ids > 1)
				qsort(n->upstream_node_ids, n->n_upstream_node_ids, sizeof(char *), str_ptr_cmp);
		}

		nodes[0] = start;
		nodes[1] = end;
		memcpy(nodes + 2, original, noriginal * sizeof(*nodes));
		tpl->nodes = nodes;
		tpl->n_nodes = noriginal + 2;
		e->compiled_workflow = CMP_NEW(&s->arena, Flyteidl__Core__CompiledWorkflow, flyteidl__core__compiled_workflow__descriptor);
		e->compiled_workflow->template_ = tpl;
		e->compiled_workflow->connections = cs;
	}
	fc_strmap_release(&w.nodes);
	free(own);
	free(w.list);
	free(w.edges);
	free(w.ids);
	free(w.rank);
	free(w.deferred);
	return ok;
}

/* --- tasks ------------------------------------------------------------------------------------------------- */
bool cmp_compile_task(struct cmp_session *s, struct cmp_entity *e)
{
	Flyteidl__Core__TaskTemplate *t = e->task;
	size_t before = s->diags.nerrors;
	const char *type;

	t->interface = normalize_iface(&s->arena, t->interface);
	if (!t->id || !*t->id->name)
		cmp_error_at(s, t, e, "ValueRequired", "task has no id");
	if (!t->type || !*t->type) {
		if (!e->from_idl)
			return false; /* reported by the front end */
		/* Flyte's IDL: a task without a type runs on the default plugin, the container one; the template keeps
		 * its empty type as Flyte's admin would store it. */
		if (t->target_case != FLYTEIDL__CORE__TASK_TEMPLATE__TARGET_CONTAINER &&
		    t->target_case != FLYTEIDL__CORE__TASK_TEMPLATE__TARGET_K8S_POD) {
			cmp_error_at(s, t, e, "ValueRequired",
				     "task '%s' has no type, so it runs as a container task (as in Flyte), but it has no "
				     "container or pod to run",
				     e->name);
			return false;
		}
	}
	type = t->type && *t->type ? t->type : "container";
	if ((!strcmp(type, "container") || !strcmp(type, "raw-container")) &&
	    t->target_case != FLYTEIDL__CORE__TASK_TEMPLATE__TARGET_CONTAINER &&
	    !(type != t->type && t->target_case == FLYTEIDL__CORE__TASK_TEMPLATE__TARGET_K8S_POD))
		fc_diag_about(cmp_error_at(s, t, e, "ValueRequired", "task '%s' of type %s needs a 'container'", e->name,
					   type),
			      NULL, NULL, NULL);
	if (t->target_case == FLYTEIDL__CORE__TASK_TEMPLATE__TARGET_CONTAINER && t->container &&
	    (!t->container->image || !*t->container->image) && !strcmp(type, "container"))
		(void)0; /* reported by the front end */
	convert_defaults(s, e, t->interface->inputs);
	if (s->diags.nerrors != before)
		return false;
	e->compiled_task = CMP_NEW(&s->arena, Flyteidl__Core__CompiledTask, flyteidl__core__compiled_task__descriptor);
	e->compiled_task->template_ = t;
	return true;
}

/* --- launch plans ------------------------------------------------------------------------------------------ */
static Flyteidl__Core__Parameter *param_for(struct cmp_session *s, Flyteidl__Core__Variable *var, cmp_literal *def)
{
	Flyteidl__Core__Parameter *p = CMP_NEW(&s->arena, Flyteidl__Core__Parameter, flyteidl__core__parameter__descriptor);

	p->var = var;
	if (def) {
		p->behavior_case = FLYTEIDL__CORE__PARAMETER__BEHAVIOR_DEFAULT;
		p->default_ = def;
	} else if (cmp_type_is_optional(var->type)) {
		Flyteidl__Core__Literal *none = CMP_NEW(&s->arena, Flyteidl__Core__Literal, flyteidl__core__literal__descriptor);

		none->value_case = FLYTEIDL__CORE__LITERAL__VALUE_SCALAR;
		none->scalar = CMP_NEW(&s->arena, Flyteidl__Core__Scalar, flyteidl__core__scalar__descriptor);
		none->scalar->value_case = FLYTEIDL__CORE__SCALAR__VALUE_NONE_TYPE;
		none->scalar->none_type = CMP_NEW(&s->arena, Flyteidl__Core__Void, flyteidl__core__void__descriptor);
		p->behavior_case = FLYTEIDL__CORE__PARAMETER__BEHAVIOR_DEFAULT;
		p->default_ = none;
	} else {
		p->behavior_case = FLYTEIDL__CORE__PARAMETER__BEHAVIOR_REQUIRED;
		p->required = true;
	}
	return p;
}

static void check_input_names(struct cmp_session *s, struct cmp_entity *e, const struct fc_ynode *map,
			      const Flyteidl__Core__VariableMap *inputs, const char *what)
{
	struct fc_loc where = cmp_loc_of(s, e, NULL);
	size_t i;

	if (!map || fc_ynode_is_null(map))
		return;
	if (map->kind != FC_Y_MAP) {
		fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidValue", cmp_ynode_loc(where.src, map),
			    "%s is a mapping of input name to value", what);
		return;
	}
	for (i = 0; i < map->u.map.n; i++) {
		const struct fc_ynode *k = map->u.map.pairs[i].key;

		if (k->kind == FC_Y_SCALAR && !cmp_var_find(inputs, k->u.scalar.str))
			fc_diag_add(&s->diags, FC_SEV_ERROR, "VariableNameNotFound", cmp_ynode_loc(where.src, k),
				    "%s names '%s', which is not an input of workflow '%s'", what, k->u.scalar.str,
				    e->lp_workflow_name);
	}
}

static cmp_literal *lp_value(struct cmp_session *s, struct cmp_entity *e, const struct fc_ynode *map, const char *name,
			     const cmp_type *type)
{
	const struct fc_ynode *v = map && map->kind == FC_Y_MAP ? fc_ymap_get(map, name) : NULL;
	struct fc_loc where = cmp_loc_of(s, e, NULL);
	struct fc_buf why = FC_BUF_INIT;
	const struct fc_ynode *bad = NULL;
	cmp_literal *lit;

	if (!v)
		return NULL;
	lit = cmp_literal_from_ynode(&s->arena, type, v, &why, &bad);
	if (!lit)
		fc_diag_add(&s->diags, FC_SEV_ERROR,
			    strstr(why.buf, "enum's values") ? "IllegalEnumValue" : "MismatchingTypes",
			    cmp_ynode_loc(where.src, bad ? bad : v), "input '%s' of launch plan '%s' has type %s: %s", name, e->name, cmp_type_str(&s->arena, type),
			    why.buf);
	fc_buf_release(&why);
	return lit;
}

static const char *const schedule_keys[] = {"cron",         "rate",  "timezone",        "kickoff_input",
					    "catch_up",     "max_catch_up", "catch_up_window", "concurrency",
					    "dst_repeat",   "dst_skip",     "jitter",          "max_buffered",
					    "pause_on_failure"};

/* The overlap policies (the `concurrency` key), by name. */
static const struct {
	const char *name;
	enum cmp_concurrency value;
} concurrency_names[] = {
	{"allow", CMP_CONCURRENCY_ALLOW},           {"skip", CMP_CONCURRENCY_SKIP},
	{"replace", CMP_CONCURRENCY_REPLACE},       {"buffer_one", CMP_CONCURRENCY_BUFFER_ONE},
	{"buffer_all", CMP_CONCURRENCY_BUFFER_ALL}, {"cancel_other", CMP_CONCURRENCY_CANCEL_OTHER},
};

/* A whole-number key from 1 to `max` (max_catch_up, max_buffered, pause_on_failure). */
static bool schedule_count(struct cmp_session *s, struct fc_source *src, const struct fc_ynode *x, const char *key,
			   long long max, uint32_t *out)
{
	char *end = NULL;
	long long v = x->kind == FC_Y_SCALAR ? strtoll(x->u.scalar.str, &end, 10) : -1;

	if (!end || *end || v < 1 || v > max) {
		fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidSchedule", cmp_ynode_loc(src, x),
			    "%s is a whole number from 1 to %lld", key, max);
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

static void compile_schedule(struct cmp_session *s, struct cmp_entity *e, const Flyteidl__Core__VariableMap *inputs,
			     bool *kickoff_ok, const char **kickoff_name)
{
	const struct fc_ynode *sc = e->lp_schedule, *x;
	struct fc_source *src = cmp_loc_of(s, e, NULL).src;
	Flyteidl__Admin__Schedule *sched;
	Flyteidl__Admin__LaunchPlanSpec *spec = e->launch_plan->spec;
	const char *tz = NULL;
	size_t i, j;

	*kickoff_ok = true;
	*kickoff_name = NULL;
	if (!sc || fc_ynode_is_null(sc))
		return;
	if (sc->kind != FC_Y_MAP) {
		fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidSchedule", cmp_ynode_loc(src, sc),
			    "schedule is a mapping: {cron: \"0 3 * * *\", timezone: Europe/Berlin} or {rate: 10m}");
		return;
	}
	for (i = 0; i < sc->u.map.n; i++) {
		const char *k = sc->u.map.pairs[i].key->kind == FC_Y_SCALAR ? sc->u.map.pairs[i].key->u.scalar.str : "";
		bool known = false;

		for (j = 0; j < FC_ARRAY_LEN(schedule_keys) && !known; j++)
			known = !strcmp(k, schedule_keys[j]);
		if (!known) {
			const char *hint = cmp_did_you_mean(k, schedule_keys, FC_ARRAY_LEN(schedule_keys));

			fc_diag_add(&s->diags, FC_SEV_ERROR, "UnknownKey", cmp_ynode_loc(src, sc->u.map.pairs[i].key),
				    "unknown key '%s' in a schedule%s%s%s", k, hint ? "; did you mean '" : "",
				    hint ? hint : "", hint ? "'?" : "");
		}
	}
	sched = CMP_NEW(&s->arena, Flyteidl__Admin__Schedule, flyteidl__admin__schedule__descriptor);
	if ((x = fc_ymap_get(sc, "timezone"))) {
		struct fc_tz *zone = NULL;
		struct fc_err err;

		if (x->kind != FC_Y_SCALAR || fc_tz_load(x->u.scalar.str, &zone, &err))
			fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidSchedule", cmp_ynode_loc(src, x), "timezone: %s",
				    x->kind == FC_Y_SCALAR ? err.msg : "an IANA zone name such as Europe/Berlin");
		else
			tz = x->u.scalar.str;
		fc_tz_free(zone);
	}
	if ((x = fc_ymap_get(sc, "cron"))) {
		struct fc_cron *cron = NULL;
		struct fc_err err;
		size_t column = 0;
		const char *expr;

		if (fc_ymap_get(sc, "rate"))
			fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidSchedule", cmp_ynode_loc(src, x),
				    "a schedule has either 'cron' or 'rate', not both");
		if (x->kind != FC_Y_SCALAR || fc_ynode_is_null(x)) {
			fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidSchedule", cmp_ynode_loc(src, x),
				    "cron takes an expression such as \"0 3 * * *\"");
			return;
		}
		if (tz && (!strncmp(x->u.scalar.str, "CRON_TZ=", 8) || !strncmp(x->u.scalar.str, "TZ=", 3))) {
			fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidSchedule", cmp_ynode_loc(src, x),
				    "the time zone is given twice: drop 'timezone' or the expression's CRON_TZ= prefix");
			return;
		}
		expr = tz ? fc_arena_printf(&s->arena, "CRON_TZ=%s %s", tz, x->u.scalar.str) : x->u.scalar.str;
		if (fc_cron_parse(expr, &cron, &column, &err)) {
			struct fc_loc loc = cmp_ynode_loc(src, x);
			const char *why = err.msg;

			/* the position is in `loc`; drop the parser's own "column N: " */
			if (!strncmp(why, "column ", 7) && strstr(why, ": "))
				why = strstr(why, ": ") + 2;

			if (tz)
				column = column > strlen(tz) + 9 ? column - strlen(tz) - 9 : 1;
			if (column && x->style != FC_Y_BLOCK)
				loc.col += (uint32_t)(column - 1) + (x->style == FC_Y_QUOTED ? 1 : 0);
			fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidSchedule", loc, "cron: %s", why);
			return;
		}
		fc_cron_free(cron);
		sched->schedule_expression_case = FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_CRON_SCHEDULE;
		sched->cron_schedule = CMP_NEW(&s->arena, Flyteidl__Admin__CronSchedule, flyteidl__admin__cron_schedule__descriptor);
		sched->cron_schedule->schedule = (char *)expr;
	} else if ((x = fc_ymap_get(sc, "rate"))) {
		int64_t nanos, secs;

		if (x->kind != FC_Y_SCALAR || fc_duration_parse(x->u.scalar.str, &nanos, NULL, NULL) || nanos <= 0) {
			fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidSchedule", cmp_ynode_loc(src, x),
				    "rate takes a duration in whole minutes, hours or days, such as 10m, 2h or 1d");
			return;
		}
		secs = nanos / 1000000000LL;
		sched->schedule_expression_case = FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_RATE;
		sched->rate = CMP_NEW(&s->arena, Flyteidl__Admin__FixedRate, flyteidl__admin__fixed_rate__descriptor);
		if (nanos % 60000000000LL) {
			fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidSchedule", cmp_ynode_loc(src, x),
				    "rate must be whole minutes, hours or days (Flyte's FixedRate); '%s' is not",
				    x->u.scalar.str);
			return;
		}
		if (secs % 86400 == 0) {
			sched->rate->value = (uint32_t)(secs / 86400);
			sched->rate->unit = FLYTEIDL__ADMIN__FIXED_RATE_UNIT__DAY;
		} else if (secs % 3600 == 0) {
			sched->rate->value = (uint32_t)(secs / 3600);
			sched->rate->unit = FLYTEIDL__ADMIN__FIXED_RATE_UNIT__HOUR;
		} else {
			sched->rate->value = (uint32_t)(secs / 60);
			sched->rate->unit = FLYTEIDL__ADMIN__FIXED_RATE_UNIT__MINUTE;
		}
		if (tz)
			fc_diag_add(&s->diags, s->opts.warnings_as_errors ? FC_SEV_ERROR : FC_SEV_WARNING, "InvalidSchedule",
				    cmp_ynode_loc(src, fc_ymap_get(sc, "timezone")),
				    "a fixed rate does not depend on the time zone; 'timezone' is ignored");
	} else {
		fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidSchedule", cmp_ynode_loc(src, sc),
			    "a schedule needs 'cron' or 'rate'");
		return;
	}
	if ((x = fc_ymap_get(sc, "kickoff_input"))) {
		Flyteidl__Core__Variable *v = x->kind == FC_Y_SCALAR ? cmp_var_find(inputs, x->u.scalar.str) : NULL;

		if (!v) {
			fc_diag_add(&s->diags, FC_SEV_ERROR, "VariableNameNotFound", cmp_ynode_loc(src, x),
				    "kickoff_input names '%s', which is not an input of workflow '%s'",
				    x->kind == FC_Y_SCALAR ? x->u.scalar.str : "?", e->lp_workflow_name);
			*kickoff_ok = false;
		} else if (!(v->type->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE &&
			     v->type->simple == FLYTEIDL__CORE__SIMPLE_TYPE__DATETIME)) {
			fc_diag_add(&s->diags, FC_SEV_ERROR, "MismatchingTypes", cmp_ynode_loc(src, x),
				    "kickoff_input '%s' receives the scheduled time, so it must be a datetime, not %s",
				    x->u.scalar.str, cmp_type_str(&s->arena, v->type));
			*kickoff_ok = false;
		} else {
			sched->kickoff_time_input_arg = (char *)x->u.scalar.str;
			*kickoff_name = x->u.scalar.str;
		}
	}
	if ((x = fc_ymap_get(sc, "catch_up"))) {
		const char *v = x->kind == FC_Y_SCALAR ? x->u.scalar.str : "";

		if (!strcmp(v, "latest"))
			e->lp_policy.catchup = CMP_CATCHUP_LATEST;
		else if (!strcmp(v, "all"))
			e->lp_policy.catchup = CMP_CATCHUP_ALL;
		else if (!strcmp(v, "none"))
			e->lp_policy.catchup = CMP_CATCHUP_NONE;
		else
			fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidSchedule", cmp_ynode_loc(src, x),
				    "catch_up is 'latest', 'all' or 'none'");
	}
	if ((x = fc_ymap_get(sc, "max_catch_up"))) {
		char *end = NULL;
		long long v = x->kind == FC_Y_SCALAR ? strtoll(x->u.scalar.str, &end, 10) : -1;

		if (!end || *end || v < 1 || v > 100000)
			fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidSchedule", cmp_ynode_loc(src, x),
				    "max_catch_up is a whole number from 1 to 100000");
		else
			e->lp_policy.max_catchup = (uint32_t)v;
	}
	if ((x = fc_ymap_get(sc, "catch_up_window"))) {
		int64_t nanos;

		if (x->kind != FC_Y_SCALAR || fc_duration_parse(x->u.scalar.str, &nanos, NULL, NULL) || nanos <= 0)
			fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidSchedule", cmp_ynode_loc(src, x),
				    "catch_up_window is a duration such as 6h or 7d");
		else
			e->lp_policy.catchup_window_seconds = nanos / 1000000000LL;
	}
	if ((x = fc_ymap_get(sc, "concurrency"))) {
		const char *v = x->kind == FC_Y_SCALAR ? x->u.scalar.str : "";

		for (i = 0; i < FC_ARRAY_LEN(concurrency_names) && strcmp(v, concurrency_names[i].name); i++)
			;
		if (i == FC_ARRAY_LEN(concurrency_names)) {
			fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidSchedule", cmp_ynode_loc(src, x),
				    "concurrency is 'allow', 'skip', 'replace', 'buffer_one', 'buffer_all' or "
				    "'cancel_other'");
		} else {
			e->lp_policy.concurrency = concurrency_names[i].value;
			if (e->lp_policy.concurrency != CMP_CONCURRENCY_ALLOW) {
				/* Flyte's own field says "one at a time"; the other policies are flytec's on top. */
				spec->concurrency_policy = CMP_NEW(&s->arena, Flyteidl__Admin__ConcurrencyPolicy,
								   flyteidl__admin__concurrency_policy__descriptor);
				spec->concurrency_policy->max = 1;
				spec->concurrency_policy->behavior =
					FLYTEIDL__ADMIN__CONCURRENCY_LIMIT_BEHAVIOR__CONCURRENCY_LIMIT_BEHAVIOR_SKIP;
			}
		}
	}
	if ((x = fc_ymap_get(sc, "max_buffered")))
		schedule_count(s, src, x, "max_buffered", CMP_MAX_BUFFERED, &e->lp_policy.max_buffered);
	if ((x = fc_ymap_get(sc, "pause_on_failure")))
		schedule_count(s, src, x, "pause_on_failure", CMP_MAX_PAUSE_ON_FAILURE, &e->lp_policy.pause_on_failure);
	if ((x = fc_ymap_get(sc, "dst_repeat"))) {
		enum fc_cron_dst_repeat r;

		if (x->kind != FC_Y_SCALAR || fc_cron_dst_repeat_parse(x->u.scalar.str, &r, NULL))
			fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidSchedule", cmp_ynode_loc(src, x),
				    "dst_repeat is 'first', 'last', 'both' or 'auto'");
		else
			e->lp_policy.dst_repeat = (int)r;
	}
	if ((x = fc_ymap_get(sc, "dst_skip"))) {
		enum fc_cron_dst_skip k;

		if (x->kind != FC_Y_SCALAR || fc_cron_dst_skip_parse(x->u.scalar.str, &k, NULL))
			fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidSchedule", cmp_ynode_loc(src, x),
				    "dst_skip is 'shift' or 'skip'");
		else
			e->lp_policy.dst_skip = (int)k;
	}
	if ((x = fc_ymap_get(sc, "jitter"))) {
		int64_t nanos;

		if (x->kind != FC_Y_SCALAR || fc_duration_parse(x->u.scalar.str, &nanos, NULL, NULL) || nanos < 0 ||
		    nanos > CMP_MAX_JITTER_S * INT64_C(1000000000))
			fc_diag_add(&s->diags, FC_SEV_ERROR, "InvalidSchedule", cmp_ynode_loc(src, x),
				    "jitter is a duration from 0s to 1h, such as 30s or 5m");
		else
			e->lp_policy.jitter_ms = nanos / 1000000;
	}
	spec->entity_metadata = CMP_NEW(&s->arena, Flyteidl__Admin__LaunchPlanMetadata, flyteidl__admin__launch_plan_metadata__descriptor);
	spec->entity_metadata->schedule = sched;
}

/* Launch plans read from the IDL carry their inputs as IDL already: check them against the workflow. */
static void check_idl_launch_plan(struct cmp_session *s, struct cmp_entity *e, const Flyteidl__Core__VariableMap *inputs)
{
	Flyteidl__Admin__LaunchPlanSpec *spec = e->launch_plan->spec;
	const Flyteidl__Admin__Schedule *sched = spec->entity_metadata ? spec->entity_metadata->schedule : NULL;
	size_t i;

	if (!spec->default_inputs)
		spec->default_inputs = CMP_NEW(&s->arena, Flyteidl__Core__ParameterMap, flyteidl__core__parameter_map__descriptor);
	for (i = 0; i < spec->default_inputs->n_parameters; i++) {
		const char *name = spec->default_inputs->parameters[i]->key;
		Flyteidl__Core__Parameter *p = spec->default_inputs->parameters[i]->value;
		Flyteidl__Core__Variable *v = cmp_var_find(inputs, name);

		if (!v) {
			cmp_error_at(s, e, NULL, "VariableNameNotFound",
				     "launch plan '%s' has a default for '%s', which is not an input of workflow '%s'",
				     e->name, name, e->lp_workflow_name);
			continue;
		}
		if (p && p->var && p->var->type && !cmp_types_castable(p->var->type, v->type))
			cmp_error_at(s, e, NULL, "MismatchingTypes",
				     "launch plan '%s' declares input '%s' as %s, but workflow '%s' takes %s", e->name, name,
				     cmp_type_str(&s->arena, p->var->type), e->lp_workflow_name, cmp_type_str(&s->arena, v->type));
	}
	for (i = 0; spec->fixed_inputs && i < spec->fixed_inputs->n_literals; i++)
		if (!cmp_var_find(inputs, spec->fixed_inputs->literals[i]->key))
			cmp_error_at(s, e, NULL, "VariableNameNotFound",
				     "launch plan '%s' fixes '%s', which is not an input of workflow '%s'", e->name,
				     spec->fixed_inputs->literals[i]->key, e->lp_workflow_name);
	if (!sched)
		return;
	if (sched->schedule_expression_case == FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_CRON_SCHEDULE ||
	    sched->schedule_expression_case == FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_CRON_EXPRESSION) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
		const char *expr = sched->schedule_expression_case == FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_CRON_SCHEDULE
					   ? sched->cron_schedule->schedule
					   : sched->cron_expression;
#pragma GCC diagnostic pop
		struct fc_cron *cron = NULL;
		struct fc_err err;
		size_t column = 0;

		if (fc_cron_parse(expr ? expr : "", &cron, &column, &err))
			cmp_error_at(s, e, NULL, "InvalidSchedule", "launch plan '%s': cron '%s': %s", e->name,
				     expr ? expr : "", err.msg);
		fc_cron_free(cron);
	} else if (sched->schedule_expression_case == FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_RATE) {
		if (!sched->rate || !sched->rate->value)
			cmp_error_at(s, e, NULL, "InvalidSchedule", "launch plan '%s': a fixed rate must be positive",
				     e->name);
	}
	if (sched->kickoff_time_input_arg && *sched->kickoff_time_input_arg) {
		Flyteidl__Core__Variable *v = cmp_var_find(inputs, sched->kickoff_time_input_arg);

		if (!v || !(v->type->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE &&
			    v->type->simple == FLYTEIDL__CORE__SIMPLE_TYPE__DATETIME))
			cmp_error_at(s, e, NULL, "MismatchingTypes",
				     "launch plan '%s': kickoff input '%s' must be a datetime input of workflow '%s'",
				     e->name, sched->kickoff_time_input_arg, e->lp_workflow_name);
	}
}

bool cmp_compile_launch_plan(struct cmp_session *s, struct cmp_entity *e)
{
	Flyteidl__Admin__LaunchPlanSpec *spec = e->launch_plan->spec;
	struct cmp_entity *wf;
	const Flyteidl__Core__VariableMap *inputs;
	size_t before = s->diags.nerrors, i;
	bool kickoff_ok;
	const char *kickoff = NULL;

	wf = cmp_lookup(s, CMP_KIND_WORKFLOW, spec->workflow_id);
	if (!wf) {
		const char *hint = spec->workflow_id && spec->workflow_id->name
					   ? cmp_entity_hint(s, CMP_KIND_WORKFLOW, spec->workflow_id->name)
					   : NULL;

		cmp_error_at(s, spec->workflow_id, e, "WorkflowReferenceNotFound",
			     "launch plan '%s' launches workflow '%s', which is not defined%s%s%s", e->name,
			     spec->workflow_id ? spec->workflow_id->name : "?", hint ? "; did you mean '" : "",
			     hint ? hint : "", hint ? "'?" : "");
		return false;
	}
	if (!cmp_ensure(s, wf))
		return false;
	e->lp_workflow = wf;
	spec->workflow_id = wf->workflow->id;
	inputs = wf->workflow->interface->inputs;
	if (e->from_idl) {
		check_idl_launch_plan(s, e, inputs);
		e->launch_plan->closure = CMP_NEW(&s->arena, Flyteidl__Admin__LaunchPlanClosure,
						  flyteidl__admin__launch_plan_closure__descriptor);
		e->launch_plan->closure->expected_inputs = spec->default_inputs;
		e->launch_plan->closure->expected_outputs = wf->workflow->interface->outputs;
		return s->diags.nerrors == before;
	}
	check_input_names(s, e, e->lp_defaults, inputs, "inputs");
	check_input_names(s, e, e->lp_fixed, inputs, "fixed_inputs");
	compile_schedule(s, e, inputs, &kickoff_ok, &kickoff);
	spec->default_inputs = CMP_NEW(&s->arena, Flyteidl__Core__ParameterMap, flyteidl__core__parameter_map__descriptor);
	spec->fixed_inputs = CMP_NEW(&s->arena, Flyteidl__Core__LiteralMap, flyteidl__core__literal_map__descriptor);
	for (i = 0; i < inputs->n_variables; i++) {
		const char *name = inputs->variables[i]->key;
		Flyteidl__Core__Variable *var = inputs->variables[i]->value;
		cmp_literal *fixed = lp_value(s, e, e->lp_fixed, name, var->type);
		cmp_literal *def = lp_value(s, e, e->lp_defaults, name, var->type);
		size_t k;

		if (fixed) {
			Flyteidl__Core__LiteralMap__LiteralsEntry *le =
				CMP_NEW(&s->arena, Flyteidl__Core__LiteralMap__LiteralsEntry,
					flyteidl__core__literal_map__literals_entry__descriptor);

			le->key = (char *)name;
			le->value = fixed;
			CMP_PUSH(&s->arena, spec->fixed_inputs->literals, spec->fixed_inputs->n_literals, le);
			continue;
		}
		for (k = 0; !def && k < wf->ndefaults; k++)
			if (!strcmp(wf->defaults[k].var, name))
				def = wf->defaults[k].literal;
		{
			Flyteidl__Core__ParameterMap__ParametersEntry *pe =
				CMP_NEW(&s->arena, Flyteidl__Core__ParameterMap__ParametersEntry,
					flyteidl__core__parameter_map__parameters_entry__descriptor);

			pe->key = (char *)name;
			pe->value = param_for(s, var, def);
			CMP_PUSH(&s->arena, spec->default_inputs->parameters, spec->default_inputs->n_parameters, pe);
			/* A scheduled plan runs unattended: every required input must have a value. */
			if (spec->entity_metadata && pe->value->behavior_case == FLYTEIDL__CORE__PARAMETER__BEHAVIOR_REQUIRED &&
			    !(kickoff && !strcmp(kickoff, name)) && kickoff_ok /* else reported with kickoff_input */)
				cmp_error_at(s, e, NULL, "ParameterNotBound",
					     "launch plan '%s' runs on a schedule, but workflow input '%s' (%s) has no "
					     "default, fixed value or kickoff_input",
					     e->name, name, cmp_type_str(&s->arena, var->type));
		}
	}
	e->launch_plan->closure = CMP_NEW(&s->arena, Flyteidl__Admin__LaunchPlanClosure, flyteidl__admin__launch_plan_closure__descriptor);
	e->launch_plan->closure->expected_inputs = spec->default_inputs;
	e->launch_plan->closure->expected_outputs = wf->workflow->interface->outputs;
	return s->diags.nerrors == before && kickoff_ok;
}
