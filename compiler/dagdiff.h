/*
 * dagdiff.h: what changed between two compiled forms, said in terms of the DAG (for `flytec golden` and
 * `flytec diff`).
 *
 * Both sides are the canonical text (cmp_render_text()) cut into one snapshot per entity, with versions taken out
 * of identifiers (content hashes would make every change ripple into every entity that refers to the changed one).
 * The text is an indented tree; the diff matches the trees by key (a node's id, an input's name, a binding's
 * variable, a branch case's position) and reports: entities added, removed or renamed (same content, new name);
 * nodes added, removed, renamed (same content, new id) or changed (task, bound inputs, retries, timeout,
 * resources, image...); edges added or removed; interface changes (input added or removed, type changed from X to
 * Y, default changed); branch cases; a launch plan's schedule and fixed inputs. Unchanged entities say nothing.
 *
 * Reading a snapshot back from its text means a diff works between any two sources of canonical text: a fresh
 * compile, a golden file, or what an admin serves. All memory belongs to the struct it is in; strings passed in
 * are copied.
 */
#ifndef CMP_DAGDIFF_H
#define CMP_DAGDIFF_H

#include "core/arena.h"
#include "core/fc.h"
#include "core/strmap.h"

#include <jansson.h>

struct cmp_session;
struct fc_buf;

/* One entity's snapshot: kind ("task", "workflow", "launch_plan"), its name, and its canonical text. */
struct cmp_snapshot {
	const char *kind;
	const char *name; /* the spec name (last part of the identifier) */
	const char *id;   /* project/domain/name */
	const char *text; /* the entity's block, versions removed, ending with one newline */
};

struct cmp_snapshots {
	struct fc_arena arena;
	struct cmp_snapshot *items;
	size_t nr, alloc;
	struct fc_strmap index; /* "kind/name" -> item number + 1, for cmp_snapshots_find() */
	size_t indexed;         /* items[0, indexed) are in the index */
};

void cmp_snapshots_init(struct cmp_snapshots *set);
void cmp_snapshots_release(struct cmp_snapshots *set);
/* Cut canonical text (any number of entities) into snapshots and add them. */
void cmp_snapshots_add_text(struct cmp_snapshots *set, const char *text, size_t len);
/* Every entity a compiled session holds. */
void cmp_snapshots_add_session(struct cmp_snapshots *set, struct cmp_session *s);
/* By kind and name (the first one added); NULL when absent. A hash lookup: the items added since the last call
 * are indexed first. */
const struct cmp_snapshot *cmp_snapshots_find(const struct cmp_snapshots *set, const char *kind, const char *name);
/* Remove `@version` from identifiers in canonical text (appended to `out`). */
void cmp_strip_versions(const char *text, size_t len, struct fc_buf *out);

enum cmp_change_op { CMP_CHANGE_ADDED, CMP_CHANGE_REMOVED, CMP_CHANGE_CHANGED, CMP_CHANGE_RENAMED };

struct cmp_change {
	const char *kind;   /* the entity's kind */
	const char *entity; /* the entity's identifier (the old one for a rename) */
	enum cmp_change_op op;
	const char *where;   /* inside the entity: "node m", "node b > case 1", or "" for the entity itself */
	const char *subject; /* "node x", "input 'a'", "edge a -> b", "task", "retries", ... ("" for the entity) */
	const char *old_value; /* NULL when not applicable */
	const char *new_value;
};

struct cmp_dag_diff {
	struct fc_arena arena;
	struct cmp_change *items;
	size_t nr, alloc;
	size_t entities_changed;
};

void cmp_dag_diff_init(struct cmp_dag_diff *d);
void cmp_dag_diff_release(struct cmp_dag_diff *d);
/* Add the changes between two snapshots of one entity (either may be NULL: the entity was added / removed). */
void cmp_dag_diff_entity(struct cmp_dag_diff *d, const struct cmp_snapshot *old_snap,
			 const struct cmp_snapshot *new_snap);
/* Add the changes between two whole sets (renames of identical entities found). */
void cmp_dag_diff_sets(struct cmp_dag_diff *d, const struct cmp_snapshots *old_set,
		       const struct cmp_snapshots *new_set);
/* "workflow p/d/w" headings, then one line per change ("  ~ node m: task changed from A to B"). */
void cmp_dag_diff_render_text(const struct cmp_dag_diff *d, struct fc_buf *out);
/* {"format_version": 1, "entities_changed": N, "changes": [{"kind", "entity", "op", "where", "subject", "old",
 * "new"}]} (absent values left out). */
json_t *cmp_dag_diff_to_json(const struct cmp_dag_diff *d);

#endif
