/* yaml.c: an iterative tree builder over libyaml events, with limits and positions. */
#include "yaml.h"
#include "arena.h"
#include "diag.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct anchor {
	char *name;
	struct fc_ynode *node;
};

/* One open collection: its node and where its children start on the shared child stack. */
struct frame {
	struct fc_ynode *node;
	size_t first_child;
	char *anchor;
};

struct loader {
	struct fc_arena *arena;   /* nodes and their arrays */
	struct fc_arena *strings; /* scalars' text and tags */
	const char *last_tag;     /* the tag last written: "!ref" after "!ref" is not copied again */
	struct fc_source *src;
	const struct fc_yaml_limits *limits;
	struct fc_diags *diags;
	struct frame *frames;
	size_t nframes, frames_alloc;
	struct fc_ynode **children;
	size_t nchildren, children_alloc;
	struct anchor *anchors;
	size_t nanchors, anchors_alloc;
	size_t nodes;       /* weighted node count */
	size_t alias_nodes; /* what aliases added to it */
	size_t max_alias_nodes;
	struct fc_ynode *root;
};

static struct fc_loc mark_loc(struct loader *ld, yaml_mark_t m)
{
	struct fc_loc loc = {ld->src, (uint32_t)m.line + 1, (uint32_t)m.column + 1};

	return loc;
}

static void clear_anchors(struct loader *ld)
{
	size_t i;

	for (i = 0; i < ld->nanchors; i++)
		free(ld->anchors[i].name);
	ld->nanchors = 0;
}

static int add_node_weight(struct loader *ld, size_t weight, yaml_mark_t mark)
{
	ld->nodes += weight;
	if (ld->nodes > ld->limits->max_nodes) {
		fc_diag_add(ld->diags, FC_SEV_ERROR, "YamlLimit", mark_loc(ld, mark),
			    "document too large: more than %zu nodes (aliases count as the nodes they repeat)",
			    ld->limits->max_nodes);
		return FC_ELIMIT;
	}
	return FC_OK;
}

static int remember_anchor(struct loader *ld, const char *name, struct fc_ynode *node)
{
	FC_ALLOC_GROW(ld->anchors, ld->nanchors + 1, ld->anchors_alloc);
	ld->anchors[ld->nanchors].name = fc_xstrdup(name);
	ld->anchors[ld->nanchors].node = node;
	ld->nanchors++;
	return FC_OK;
}

static struct fc_ynode *find_anchor(struct loader *ld, const char *name)
{
	size_t i = ld->nanchors;

	/* Latest definition wins, as YAML allows anchors to be redefined. */
	while (i--)
		if (!strcmp(ld->anchors[i].name, name))
			return ld->anchors[i].node;
	return NULL;
}

static const char *resolve_tag(struct loader *ld, const yaml_char_t *tag)
{
	if (!tag)
		return NULL;
	/* Non-specific "!" means "a string"; keep it so front ends can tell. */
	if (!ld->last_tag || strcmp(ld->last_tag, (const char *)tag))
		ld->last_tag = fc_arena_strdup(ld->strings, (const char *)tag);
	return ld->last_tag;
}

static int push_child(struct loader *ld, struct fc_ynode *node)
{
	if (!ld->nframes) {
		ld->root = node;
		return FC_OK;
	}
	FC_ALLOC_GROW(ld->children, ld->nchildren + 1, ld->children_alloc);
	ld->children[ld->nchildren++] = node;
	return FC_OK;
}

static struct fc_ynode *new_node(struct loader *ld, enum fc_ynode_kind kind, yaml_mark_t mark, const yaml_char_t *tag)
{
	struct fc_ynode *n = fc_arena_alloc(ld->arena, sizeof(*n));

	n->kind = kind;
	n->line = (uint32_t)mark.line + 1;
	n->col = (uint32_t)mark.column + 1;
	n->tag = resolve_tag(ld, tag);
	n->weight = 1;
	return n;
}

static bool scalar_equal(const struct fc_ynode *a, const struct fc_ynode *b)
{
	return a->kind == FC_Y_SCALAR && b->kind == FC_Y_SCALAR && a->u.scalar.len == b->u.scalar.len &&
	       !memcmp(a->u.scalar.str, b->u.scalar.str, a->u.scalar.len);
}

static int cmp_keys(const void *va, const void *vb)
{
	const struct fc_ypair *a = va, *b = vb;
	const struct fc_ynode *ka = a->key, *kb = b->key;
	size_t n;
	int c;

	if (ka->kind != FC_Y_SCALAR || kb->kind != FC_Y_SCALAR)
		return (int)ka->kind - (int)kb->kind;
	n = ka->u.scalar.len < kb->u.scalar.len ? ka->u.scalar.len : kb->u.scalar.len;
	c = memcmp(ka->u.scalar.str, kb->u.scalar.str, n);
	if (c)
		return c;
	return ka->u.scalar.len < kb->u.scalar.len ? -1 : ka->u.scalar.len > kb->u.scalar.len;
}

static void report_duplicate(struct loader *ld, const struct fc_ynode *a, const struct fc_ynode *b)
{
	struct fc_loc first = {ld->src, a->line, a->col};
	struct fc_loc here = {ld->src, b->line, b->col};
	struct fc_diag *dg;

	if (a->line > b->line || (a->line == b->line && a->col > b->col)) {
		const struct fc_ynode *t = a;

		a = b;
		b = t;
		first.line = a->line;
		first.col = a->col;
		here.line = b->line;
		here.col = b->col;
	}
	dg = fc_diag_add(ld->diags, FC_SEV_ERROR, "DuplicateKey", here, "duplicate key '%s' in mapping",
			 b->u.scalar.str);
	fc_diag_note(dg, first, "'%s' first appears here", a->u.scalar.str);
}

/* Duplicate keys: pairwise for small mappings, by sorting a copy for large ones (a hostile file may hold one
 * huge mapping). */
static int check_duplicate_keys(struct loader *ld, const struct fc_ynode *n)
{
	size_t npairs = n->u.map.n, i, j;
	struct fc_ypair *copy;
	int rc = FC_OK;

	if (npairs <= 32) {
		for (i = 1; i < npairs; i++) {
			for (j = 0; j < i; j++) {
				if (scalar_equal(n->u.map.pairs[j].key, n->u.map.pairs[i].key)) {
					report_duplicate(ld, n->u.map.pairs[j].key, n->u.map.pairs[i].key);
					rc = FC_EPARSE;
					break;
				}
			}
		}
		return rc;
	}
	copy = fc_xmalloc(npairs * sizeof(*copy));
	memcpy(copy, n->u.map.pairs, npairs * sizeof(*copy));
	qsort(copy, npairs, sizeof(*copy), cmp_keys);
	for (i = 1; i < npairs; i++) {
		if (scalar_equal(copy[i - 1].key, copy[i].key)) {
			report_duplicate(ld, copy[i - 1].key, copy[i].key);
			rc = FC_EPARSE;
		}
	}
	free(copy);
	return rc;
}

/* Close the innermost collection: move its children from the shared stack into the arena. */
static int close_collection(struct loader *ld)
{
	struct frame *f = &ld->frames[ld->nframes - 1];
	struct fc_ynode *n = f->node;
	size_t count = ld->nchildren - f->first_child;
	struct fc_ynode **kids = ld->children ? ld->children + f->first_child : NULL; /* NULL: none yet */
	size_t i;
	uint64_t weight = 1, bytes = 0;
	int rc = FC_OK;

	/* 32 bits keep the node small (a 100k-node spec holds over a million nodes); no file within the loader's
	 * limits comes near them, and saturating keeps an over-limit count over the limit */
	for (i = 0; i < count; i++) {
		weight += kids[i]->weight;
		bytes += kids[i]->bytes;
	}
	n->weight = weight > UINT32_MAX ? UINT32_MAX : (uint32_t)weight;
	n->bytes = bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)bytes;
	if (n->kind == FC_Y_SEQ) {
		n->u.seq.items = fc_arena_array(ld->arena, count, sizeof(*n->u.seq.items));
		if (count)
			memcpy(n->u.seq.items, kids, count * sizeof(*kids));
		n->u.seq.n = count;
	} else {
		size_t npairs = count / 2;

		if (count % 2)
			FC_BUG("mapping with an odd number of children");
		n->u.map.pairs = fc_arena_array(ld->arena, npairs, sizeof(*n->u.map.pairs));
		for (i = 0; i < npairs; i++) {
			n->u.map.pairs[i].key = kids[2 * i];
			n->u.map.pairs[i].value = kids[2 * i + 1];
		}
		n->u.map.n = npairs;
		rc = check_duplicate_keys(ld, n);
	}
	ld->nchildren = f->first_child;
	if (f->anchor) {
		remember_anchor(ld, f->anchor, n);
		free(f->anchor);
		f->anchor = NULL;
	}
	ld->nframes--;
	return rc;
}

static int open_collection(struct loader *ld, struct fc_ynode *n, const yaml_char_t *anchor, yaml_mark_t mark)
{
	int rc = push_child(ld, n);

	if (rc)
		return rc;
	if (ld->nframes >= ld->limits->max_depth) {
		fc_diag_add(ld->diags, FC_SEV_ERROR, "YamlLimit", mark_loc(ld, mark),
			    "nesting deeper than %zu levels", ld->limits->max_depth);
		return FC_ELIMIT;
	}
	FC_ALLOC_GROW(ld->frames, ld->nframes + 1, ld->frames_alloc);
	ld->frames[ld->nframes].node = n;
	ld->frames[ld->nframes].first_child = ld->nchildren;
	ld->frames[ld->nframes].anchor = anchor ? fc_xstrdup((const char *)anchor) : NULL;
	ld->nframes++;
	return add_node_weight(ld, 1, mark);
}

static int on_scalar(struct loader *ld, const yaml_event_t *ev)
{
	const yaml_char_t *tag = ev->data.scalar.tag;
	struct fc_ynode *n;
	int rc;

	if (ev->data.scalar.length > ld->limits->max_scalar) {
		fc_diag_add(ld->diags, FC_SEV_ERROR, "YamlLimit", mark_loc(ld, ev->start_mark),
			    "scalar of %zu bytes is larger than the limit of %zu bytes", ev->data.scalar.length,
			    ld->limits->max_scalar);
		return FC_ELIMIT;
	}
	n = new_node(ld, FC_Y_SCALAR, ev->start_mark, tag);
	switch (ev->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		n->style = FC_Y_QUOTED;
		break;
	case YAML_LITERAL_SCALAR_STYLE:
	case YAML_FOLDED_SCALAR_STYLE:
		n->style = FC_Y_BLOCK;
		break;
	default:
		n->style = FC_Y_PLAIN;
	}
	n->u.scalar.str = fc_arena_strndup(ld->strings, (const char *)ev->data.scalar.value, ev->data.scalar.length);
	n->u.scalar.len = ev->data.scalar.length;
	n->bytes = ev->data.scalar.length > UINT32_MAX ? UINT32_MAX : (uint32_t)ev->data.scalar.length;
	rc = add_node_weight(ld, 1, ev->start_mark);
	if (rc)
		return rc;
	if (ev->data.scalar.anchor)
		remember_anchor(ld, (const char *)ev->data.scalar.anchor, n);
	return push_child(ld, n);
}

static int on_alias(struct loader *ld, const yaml_event_t *ev)
{
	struct fc_ynode *target = find_anchor(ld, (const char *)ev->data.alias.anchor);
	int rc;

	if (!target) {
		fc_diag_add(ld->diags, FC_SEV_ERROR, "YamlSyntax", mark_loc(ld, ev->start_mark),
			    "alias '*%s' names no anchor defined before it", ev->data.alias.anchor);
		return FC_EPARSE;
	}
	/* The alias shares the anchored subtree; count it as if it were copied (its scalars' bytes too: whoever
	 * converts the tree copies them once per alias). */
	ld->alias_nodes += (size_t)target->weight + target->bytes / FC_LIMIT_YAML_ALIAS_BYTES_PER_NODE;
	if (ld->alias_nodes > ld->max_alias_nodes) {
		fc_diag_add(ld->diags, FC_SEV_ERROR, "YamlLimit", mark_loc(ld, ev->start_mark),
			    "aliases expand this %zu-byte file by more than %zu nodes (alias '*%s' repeats %zu nodes "
			    "and %zu bytes); aliases may add a few nodes per byte of the file, at most %u",
			    ld->src->len, ld->max_alias_nodes, ev->data.alias.anchor, (size_t)target->weight, (size_t)target->bytes,
			    FC_LIMIT_YAML_ALIAS_NODES_ABSOLUTE);
		return FC_ELIMIT;
	}
	rc = add_node_weight(ld, target->weight, ev->start_mark);
	if (rc)
		return rc;
	return push_child(ld, target);
}

static void report_parser_error(struct loader *ld, yaml_parser_t *p)
{
	struct fc_loc loc = mark_loc(ld, p->problem_mark);
	const char *what = p->problem ? p->problem : "malformed YAML";

	if (p->error == YAML_READER_ERROR) {
		/* The reader reports a byte offset, not a line: find the line ourselves. */
		size_t off = p->problem_offset, i, line = 1, col = 1;

		for (i = 0; i < off && i < ld->src->len; i++) {
			if (ld->src->text[i] == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		loc.line = (uint32_t)line;
		loc.col = (uint32_t)col;
		fc_diag_add(ld->diags, FC_SEV_ERROR, "YamlSyntax", loc, "%s (byte 0x%02x at offset %zu)", what,
			    (unsigned)(p->problem_value & 0xff), off);
		return;
	}
	if (strstr(what, "depth"))
		fc_diag_add(ld->diags, FC_SEV_ERROR, "YamlLimit", loc, "nesting too deep: %s", what);
	else if (p->context)
		fc_diag_add(ld->diags, FC_SEV_ERROR, "YamlSyntax", loc, "%s %s", what, p->context);
	else
		fc_diag_add(ld->diags, FC_SEV_ERROR, "YamlSyntax", loc, "%s", what);
}

int fc_yaml_load(struct fc_arena *arena, struct fc_source *src, const struct fc_yaml_limits *limits,
		 struct fc_ydoc **docs_out, size_t *ndocs_out, struct fc_diags *diags)
{
	return fc_yaml_load_split(arena, arena, src, limits, docs_out, ndocs_out, diags);
}

int fc_yaml_load_split(struct fc_arena *arena, struct fc_arena *strings, struct fc_source *src,
		       const struct fc_yaml_limits *limits, struct fc_ydoc **docs_out, size_t *ndocs_out,
		       struct fc_diags *diags)
{
	static const struct fc_yaml_limits default_limits = FC_YAML_LIMITS_DEFAULT;
	struct loader ld;
	yaml_parser_t parser;
	yaml_event_t ev;
	struct fc_ydoc *docs = NULL;
	size_t ndocs = 0, docs_alloc = 0, i;
	int rc = FC_OK;
	bool done = false, duplicates = false;
	size_t errors_before = diags->nerrors; /* the session's diagnostics hold other files' errors too */

	memset(&ld, 0, sizeof(ld));
	ld.arena = arena;
	ld.strings = strings;
	ld.src = src;
	ld.limits = limits ? limits : &default_limits;
	ld.diags = diags;
	ld.max_alias_nodes = ld.limits->max_alias_nodes ? ld.limits->max_alias_nodes : fc_yaml_alias_allowance(src->len);
	if (!yaml_parser_initialize(&parser))
		fc_die_oom(sizeof(parser));
	yaml_parser_set_input_string(&parser, (const unsigned char *)src->text, src->len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			report_parser_error(&ld, &parser);
			rc = FC_EPARSE;
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			ld.root = NULL;
			clear_anchors(&ld);
			break;
		case YAML_DOCUMENT_END_EVENT:
			FC_ALLOC_GROW(docs, ndocs + 1, docs_alloc);
			docs[ndocs++].root = ld.root;
			break;
		case YAML_SCALAR_EVENT:
			rc = on_scalar(&ld, &ev);
			break;
		case YAML_ALIAS_EVENT:
			rc = on_alias(&ld, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			rc = open_collection(&ld, new_node(&ld, FC_Y_SEQ, ev.start_mark, ev.data.sequence_start.tag),
					     ev.data.sequence_start.anchor, ev.start_mark);
			break;
		case YAML_MAPPING_START_EVENT:
			rc = open_collection(&ld, new_node(&ld, FC_Y_MAP, ev.start_mark, ev.data.mapping_start.tag),
					     ev.data.mapping_start.anchor, ev.start_mark);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (close_collection(&ld) != FC_OK)
				duplicates = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		/* Duplicate keys are reported but parsing goes on, to find every one of them. */
		if (rc)
			break;
	}
	if (!rc && duplicates)
		rc = FC_EPARSE;
	yaml_parser_delete(&parser);
	for (i = 0; i < ld.nframes; i++)
		free(ld.frames[i].anchor);
	clear_anchors(&ld);
	free(ld.anchors);
	free(ld.frames);
	free(ld.children);
	if (!rc && diags->nerrors == errors_before) {
		*docs_out = fc_arena_array(arena, ndocs, sizeof(*docs));
		if (ndocs)
			memcpy(*docs_out, docs, ndocs * sizeof(*docs));
		*ndocs_out = ndocs;
	} else {
		rc = rc ? rc : FC_EPARSE;
		*docs_out = NULL;
		*ndocs_out = 0;
	}
	free(docs);
	return rc;
}

size_t fc_yaml_alias_allowance(size_t size)
{
	size_t allowance = FC_LIMIT_YAML_ALIAS_NODES_FLOOR;

	if (size < FC_LIMIT_YAML_ALIAS_NODES_ABSOLUTE / FC_LIMIT_YAML_ALIAS_NODES_PER_BYTE &&
	    size * FC_LIMIT_YAML_ALIAS_NODES_PER_BYTE > allowance)
		allowance = size * FC_LIMIT_YAML_ALIAS_NODES_PER_BYTE;
	else if (size >= FC_LIMIT_YAML_ALIAS_NODES_ABSOLUTE / FC_LIMIT_YAML_ALIAS_NODES_PER_BYTE)
		allowance = FC_LIMIT_YAML_ALIAS_NODES_ABSOLUTE;
	return allowance;
}

bool fc_ynode_is_null(const struct fc_ynode *n)
{
	const char *s;

	if (!n)
		return true;
	if (n->kind != FC_Y_SCALAR || n->style != FC_Y_PLAIN)
		return false;
	if (n->tag && strcmp(n->tag, "tag:yaml.org,2002:null"))
		return false;
	s = n->u.scalar.str;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

const char *fc_ynode_kind_name(const struct fc_ynode *n)
{
	if (!n || fc_ynode_is_null(n))
		return "null";
	switch (n->kind) {
	case FC_Y_SCALAR: return "scalar";
	case FC_Y_SEQ: return "list";
	case FC_Y_MAP: return "mapping";
	}
	return "node";
}

struct fc_ynode *fc_ymap_get(const struct fc_ynode *map, const char *key)
{
	size_t i, len = strlen(key);

	if (!map || map->kind != FC_Y_MAP)
		return NULL;
	for (i = 0; i < map->u.map.n; i++) {
		const struct fc_ynode *k = map->u.map.pairs[i].key;

		if (k->kind == FC_Y_SCALAR && k->u.scalar.len == len && !memcmp(k->u.scalar.str, key, len))
			return map->u.map.pairs[i].value;
	}
	return NULL;
}

struct fc_ynode *fc_ynode_copy(struct fc_arena *arena, const struct fc_ynode *n)
{
	struct fc_ynode *c;
	size_t i;

	if (!n)
		return NULL;
	c = fc_arena_alloc_words(arena, sizeof(*c));
	*c = *n;
	switch (n->kind) {
	case FC_Y_SCALAR:
		break;
	case FC_Y_SEQ:
		c->u.seq.items = fc_arena_array(arena, n->u.seq.n, sizeof(*c->u.seq.items));
		for (i = 0; i < n->u.seq.n; i++)
			c->u.seq.items[i] = fc_ynode_copy(arena, n->u.seq.items[i]);
		break;
	case FC_Y_MAP:
		c->u.map.pairs = fc_arena_array(arena, n->u.map.n, sizeof(*c->u.map.pairs));
		for (i = 0; i < n->u.map.n; i++) {
			c->u.map.pairs[i].key = fc_ynode_copy(arena, n->u.map.pairs[i].key);
			c->u.map.pairs[i].value = fc_ynode_copy(arena, n->u.map.pairs[i].value);
		}
		break;
	}
	return c;
}
