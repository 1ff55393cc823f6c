/*
 * yaml.h: the project's one YAML loader, on libyaml's event parser.
 *
 * It builds a tree in an arena, keeps a 1-based line and column for every node, and enforces limits on nesting
 * depth, node count and alias expansion (a "billion laughs" document is refused, not expanded; what aliases may
 * add is bounded relative to the file's size as well as absolutely). Duplicate mapping
 * keys are errors. Problems become diagnostics with positions; the loader never aborts on user input.
 */
#ifndef FC_YAML_H
#define FC_YAML_H

#include "fc.h"
#include "limits.h"

struct fc_arena;
struct fc_diags;
struct fc_source;

enum fc_ynode_kind { FC_Y_SCALAR, FC_Y_SEQ, FC_Y_MAP };
enum fc_yscalar_style { FC_Y_PLAIN, FC_Y_QUOTED, FC_Y_BLOCK };

struct fc_ynode;

struct fc_ypair {
	struct fc_ynode *key;
	struct fc_ynode *value;
};

struct fc_ynode {
	enum fc_ynode_kind kind;
	enum fc_yscalar_style style; /* scalars only */
	uint32_t line, col;          /* 1-based */
	const char *tag;             /* NULL or the tag as written after resolution ("!ref") */
	uint32_t weight;             /* nodes in this subtree, for alias accounting (saturates at UINT32_MAX) */
	uint32_t bytes;              /* scalar bytes in this subtree, for alias accounting (saturates) */
	union {
		struct {
			const char *str; /* NUL-terminated; may contain NULs within len */
			size_t len;
		} scalar;
		struct {
			struct fc_ynode **items;
			size_t n;
		} seq;
		struct {
			struct fc_ypair *pairs;
			size_t n;
		} map;
	} u;
};

/* The limits and their reasons are in core/limits.h. */
struct fc_yaml_limits {
	size_t max_depth;       /* nesting of collections */
	size_t max_nodes;       /* nodes in one file, aliases counted by what they expand to */
	size_t max_scalar;      /* bytes in one scalar */
	size_t max_alias_nodes; /* nodes aliases may add in one file; 0: derived from the file's size (limits.h) */
};

#define FC_YAML_LIMITS_DEFAULT {FC_LIMIT_YAML_DEPTH, FC_LIMIT_YAML_NODES, FC_LIMIT_YAML_SCALAR, 0}

/* What aliases may add to a file of `size` bytes when the limits say 0: max(floor, per-byte * size), capped. */
size_t fc_yaml_alias_allowance(size_t size);

struct fc_ydoc {
	struct fc_ynode *root; /* NULL for an empty document */
};

/*
 * Parse every document in `src`. On success returns 0 with `*docs` (arena memory) holding `*ndocs` documents.
 * Errors are added to `diags` and FC_EPARSE or FC_ELIMIT is returned; no tree is returned then.
 */
int fc_yaml_load(struct fc_arena *arena, struct fc_source *src, const struct fc_yaml_limits *limits,
		 struct fc_ydoc **docs, size_t *ndocs, struct fc_diags *diags);

/*
 * The same with the nodes (and their arrays) in `arena` and the scalars' text and tags in `strings`: a front end
 * that keeps only strings can release the nodes' arena as soon as it has read the tree (fc_yaml_load is this with
 * one arena for both).
 */
int fc_yaml_load_split(struct fc_arena *arena, struct fc_arena *strings, struct fc_source *src,
		       const struct fc_yaml_limits *limits, struct fc_ydoc **docs, size_t *ndocs, struct fc_diags *diags);
/* A copy of the subtree at `n` (NULL: NULL) whose nodes are in `arena`; the strings are shared, not copied, so they
 * must outlive it. Aliased subtrees are copied once per use (the loader bounded what aliases add). */
struct fc_ynode *fc_ynode_copy(struct fc_arena *arena, const struct fc_ynode *n);

/* Helpers for front ends. */
bool fc_ynode_is_null(const struct fc_ynode *n);
const char *fc_ynode_kind_name(const struct fc_ynode *n);
/* Look up a key in a mapping (linear; mappings in specs are small). */
struct fc_ynode *fc_ymap_get(const struct fc_ynode *map, const char *key);

#endif
