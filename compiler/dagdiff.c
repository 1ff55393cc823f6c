/* dagdiff.c: DAG diffs between snapshots of canonical text (dagdiff.h). */
#include "compiler/dagdiff.h"
#include "compiler/compiler.h"
#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

/* --- snapshots ------------------------------------------------------------------------------------------------ */

void cmp_snapshots_init(struct cmp_snapshots *set)
{
	memset(set, 0, sizeof(*set));
	fc_arena_init(&set->arena, 64 * 1024);
}

void cmp_snapshots_release(struct cmp_snapshots *set)
{
	fc_arena_release(&set->arena);
	free(set->items);
	fc_strmap_release(&set->index);
	memset(set, 0, sizeof(*set));
}

static bool id_delim(char c)
{
	return c == ' ' || c == '"' || c == ',' || c == '[' || c == ']' || c == '(' || c == ')' || c == '\n' || !c;
}

/*
 * An identifier is written project/domain/name@version (emit.c); a token with two '/' before its '@' is one, and
 * loses everything from the '@' to the end of the token. Quoted strings are left alone.
 */
void cmp_strip_versions(const char *text, size_t len, struct fc_buf *out)
{
	size_t i = 0, token = 0, slashes = 0, run = 0; /* text[run, i) is still to be copied */
	bool quoted = false;

	fc_buf_grow(out, len);
	while (i < len) {
		char c = text[i];

		if (quoted) {
			if (c == '\\' && i + 1 < len)
				i++;
			else if (c == '"' || c == '\n')
				quoted = false;
			i++;
			continue;
		}
		if (c == '"') {
			quoted = true;
			slashes = 0;
			i++;
			token = i;
			continue;
		}
		if (id_delim(c)) {
			slashes = 0;
			token = i + 1;
		} else if (c == '/') {
			slashes++;
		} else if (c == '@' && slashes == 2 && i > token) {
			fc_buf_add(out, text + run, i - run);
			while (i < len && !id_delim(text[i]))
				i++;
			run = i;
			continue;
		}
		i++;
	}
	fc_buf_add(out, text + run, len - run);
}

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static void snapshot_add(struct cmp_snapshots *set, const char *block, size_t len)
{
	struct cmp_snapshot *snap;
	const char *sp = memchr(block, ' ', len), *eol = memchr(block, '\n', len);
	const char *id_end, *name;
	struct fc_buf text = FC_BUF_INIT;

	if (!sp || !eol || sp > eol)
		return;
	id_end = sp + 1;
	while (id_end < eol && *id_end != ' ')
		id_end++;
	FC_ALLOC_GROW(set->items, set->nr + 1, set->alloc);
	snap = &set->items[set->nr++];
	snap->kind = fc_arena_strndup(&set->arena, block, (size_t)(sp - block));
	snap->id = fc_arena_strndup(&set->arena, sp + 1, (size_t)(id_end - sp - 1));
	name = strrchr(snap->id, '/');
	snap->name = name ? name + 1 : snap->id;
	fc_buf_add(&text, block, len);
	while (text.len && text.buf[text.len - 1] == '\n')
		fc_buf_truncate(&text, text.len - 1);
	fc_buf_addch(&text, '\n');
	snap->text = fc_arena_strndup(&set->arena, text.buf, text.len);
	fc_buf_release(&text);
}

void cmp_snapshots_add_text(struct cmp_snapshots *set, const char *text, size_t len)
{
	struct fc_buf stripped = FC_BUF_INIT;
	size_t i = 0, start = 0;
	bool in_entity = false;

	cmp_strip_versions(text, len, &stripped);
	while (i <= stripped.len) {
		const char *line = stripped.buf + i;
		const char *eol = memchr(line, '\n', stripped.len - i);
		size_t next = eol ? (size_t)(eol - stripped.buf) + 1 : stripped.len + 1;

		if (i < stripped.len && (starts_with(line, "task ") || starts_with(line, "workflow ") ||
					 starts_with(line, "launch_plan "))) {
			if (in_entity)
				snapshot_add(set, stripped.buf + start, i - start);
			start = i;
			in_entity = true;
		}
		i = next;
	}
	if (in_entity)
		snapshot_add(set, stripped.buf + start, stripped.len - start);
	fc_buf_release(&stripped);
}

void cmp_snapshots_add_session(struct cmp_snapshots *set, struct cmp_session *s)
{
	struct fc_buf text = FC_BUF_INIT;

	cmp_render_text(s, &text);
	cmp_snapshots_add_text(set, text.buf, text.len);
	fc_buf_release(&text);
}

const struct cmp_snapshot *cmp_snapshots_find(const struct cmp_snapshots *set, const char *kind, const char *name)
{
	struct cmp_snapshots *index_owner = (struct cmp_snapshots *)set; /* the index is a cache of the items */
	struct fc_buf key = FC_BUF_INIT;
	uintptr_t at;

	if (set->indexed > set->nr) { /* items were dropped: index again */
		fc_strmap_release(&index_owner->index);
		index_owner->indexed = 0;
	}
	for (; index_owner->indexed < set->nr; index_owner->indexed++) {
		const struct cmp_snapshot *snap = &set->items[set->indexed];
		const char *k = fc_arena_printf(&index_owner->arena, "%s/%s", snap->kind, snap->name);

		if (!fc_strmap_has(&set->index, k))
			fc_strmap_put(&index_owner->index, k, (void *)(uintptr_t)(set->indexed + 1));
	}
	fc_buf_addf(&key, "%s/%s", kind, name);
	at = (uintptr_t)fc_strmap_get(&set->index, key.buf);
	fc_buf_release(&key);
	return at ? &set->items[at - 1] : NULL;
}

/* --- the indented tree ---------------------------------------------------------------------------------------- */

struct tnode {
	const char *line;  /* without its indentation */
	const char *key;   /* what matches it with its counterpart (unique among its siblings) */
	const char *value; /* what is compared once matched */
	struct tnode **kids;
	size_t nkids, alloc;
	size_t depth;
	bool is_node, is_case;
};

struct differ {
	struct cmp_dag_diff *d;
	struct fc_arena *a; /* the trees' memory */
	const char *kind, *entity;
	size_t before; /* d->nr when this entity started */
};

static void tnode_push(struct fc_arena *a, struct tnode *parent, struct tnode *kid)
{
	if (parent->nkids == parent->alloc) {
		size_t alloc = parent->alloc ? parent->alloc * 2 : 4;
		struct tnode **kids = fc_arena_array(a, alloc, sizeof(*kids));

		if (parent->nkids)
			memcpy(kids, parent->kids, parent->nkids * sizeof(*kids));
		parent->kids = kids;
		parent->alloc = alloc;
	}
	parent->kids[parent->nkids++] = kid;
}

/* The key of a line: "node ID", the word before ": ", " <- " or " = ", or the whole line. */
static void line_key(struct fc_arena *a, struct tnode *t)
{
	const char *l = t->line, *best = NULL;
	static const char *const seps[] = {": ", " <- ", " = "};
	size_t i, seplen = 0;

	if (starts_with(l, "node ")) {
		const char *end = l + 5;

		while (*end && *end != ':')
			end++;
		t->is_node = true;
		t->key = fc_arena_strndup(a, l, (size_t)(end - l));
		t->value = *end ? end + (end[1] == ' ' ? 2 : 1) : "";
		return;
	}
	if (starts_with(l, "if ") || starts_with(l, "elif ") || starts_with(l, "else:") || starts_with(l, "else_fail")) {
		t->is_case = true;
		t->key = l; /* numbered by the caller */
		t->value = l;
		return;
	}
	for (i = 0; i < FC_ARRAY_LEN(seps); i++) {
		const char *p = strstr(l, seps[i]);

		if (p && (!best || p < best)) {
			best = p;
			seplen = strlen(seps[i]);
		}
	}
	if (best) {
		t->key = fc_arena_strndup(a, l, (size_t)(best - l));
		t->value = best + seplen;
		return;
	}
	t->key = l;
	t->value = "";
}

/* Make the keys of one node's children unique: cases by position, repeats numbered. */
static void number_keys(struct fc_arena *a, struct tnode *t)
{
	size_t i, j, cases = 0;

	for (i = 0; i < t->nkids; i++) {
		size_t seen = 0;

		if (t->kids[i]->is_case) {
			t->kids[i]->key = fc_arena_printf(a, "case %zu", ++cases);
			continue;
		}
		for (j = 0; j < i; j++)
			if (!strcmp(t->kids[j]->key, t->kids[i]->key) ||
			    (starts_with(t->kids[j]->key, t->kids[i]->key) &&
			     t->kids[j]->key[strlen(t->kids[i]->key)] == '#'))
				seen++;
		if (seen)
			t->kids[i]->key = fc_arena_printf(a, "%s#%zu", t->kids[i]->key, seen + 1);
	}
	for (i = 0; i < t->nkids; i++)
		number_keys(a, t->kids[i]);
}

static struct tnode *parse_tree(struct fc_arena *a, const char *text)
{
	struct tnode *root = fc_arena_alloc(a, sizeof(*root));
	struct tnode *stack[64];
	size_t top = 0;
	const char *p = text;

	stack[0] = root;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p), ind = 0, depth;
		struct tnode *t;

		while (ind < len && p[ind] == ' ')
			ind++;
		if (ind < len) {
			depth = ind / 2 + 1;
			if (depth > 63)
				depth = 63;
			while (top && stack[top]->depth >= depth)
				top--;
			t = fc_arena_alloc(a, sizeof(*t));
			t->line = fc_arena_strndup(a, p + ind, len - ind);
			t->depth = depth;
			line_key(a, t);
			tnode_push(a, stack[top], t);
			stack[++top] = t;
		}
		p += len + (eol ? 1 : 0);
	}
	number_keys(a, root);
	return root;
}

/* --- recording changes ---------------------------------------------------------------------------------------- */

static void record(struct differ *df, enum cmp_change_op op, const char *where, const char *subject,
		   const char *old_value, const char *new_value)
{
	struct cmp_dag_diff *d = df->d;
	struct cmp_change *c;

	FC_ALLOC_GROW(d->items, d->nr + 1, d->alloc);
	c = &d->items[d->nr++];
	c->kind = fc_arena_strdup(&d->arena, df->kind);
	c->entity = fc_arena_strdup(&d->arena, df->entity);
	c->op = op;
	c->where = fc_arena_strdup(&d->arena, where);
	c->subject = fc_arena_strdup(&d->arena, subject);
	c->old_value = old_value ? fc_arena_strdup(&d->arena, old_value) : NULL;
	c->new_value = new_value ? fc_arena_strdup(&d->arena, new_value) : NULL;
}

static bool skipped_line(const struct tnode *t)
{
	/* Edges are compared as a set over the whole workflow; "uses" lines repeat what the nodes say. */
	return !strcmp(t->key, "upstream") || !strcmp(t->key, "downstream") || starts_with(t->line, "uses ");
}

/* What a line is called inside its section. */
static const char *subject_of(struct differ *df, const struct tnode *section, const struct tnode *t)
{
	const char *key = t->key;

	if (section && !strcmp(section->line, "inputs:"))
		return fc_arena_printf(df->a, "input '%s'", key);
	if (section && !strcmp(section->line, "outputs:"))
		return fc_arena_printf(df->a, "output '%s'", key);
	if (section && !strcmp(section->line, "fixed_inputs:"))
		return fc_arena_printf(df->a, "fixed input '%s'", key);
	if (strstr(t->line, " <- ") && !strcmp(t->value, t->line + strlen(key) + 4))
		return fc_arena_printf(df->a, "input '%s' binding", key);
	if (!strcmp(key, "container"))
		return "image";
	return key;
}

/* Split "TYPE = DEFAULT  # description" / "TYPE (required)" into its type and default. */
static void split_variable(struct fc_arena *a, const char *value, const char **type, const char **def)
{
	const char *eq = strstr(value, " = "), *hash = strstr(value, "  # "), *req = strstr(value, " (required)");
	const char *type_end = eq ? eq : req ? req : hash ? hash : value + strlen(value);

	*type = fc_arena_strndup(a, value, (size_t)(type_end - value));
	*def = NULL;
	if (eq) {
		const char *def_end = hash && hash > eq ? hash : eq + strlen(eq);

		*def = fc_arena_strndup(a, eq + 3, (size_t)(def_end - eq - 3));
	}
}

static void signature(const struct tnode *t, bool header, struct fc_buf *out)
{
	size_t i;

	fc_buf_adds(out, header ? t->value : t->line);
	fc_buf_addch(out, '\n');
	for (i = 0; i < t->nkids; i++)
		if (!skipped_line(t->kids[i]))
			signature(t->kids[i], false, out);
}

static bool same_content(const struct tnode *x, const struct tnode *y)
{
	struct fc_buf a = FC_BUF_INIT, b = FC_BUF_INIT;
	bool same;

	signature(x, true, &a);
	signature(y, true, &b);
	same = a.len == b.len && !memcmp(a.buf, b.buf, a.len);
	fc_buf_release(&a);
	fc_buf_release(&b);
	return same;
}

static const char *join_where(struct differ *df, const char *where, const char *key)
{
	return *where ? fc_arena_printf(df->a, "%s > %s", where, key) : key;
}

static void diff_kids(struct differ *df, const struct tnode *x, const struct tnode *y, const char *where);

static void report_one(struct differ *df, enum cmp_change_op op, const struct tnode *section, const struct tnode *t,
		       const char *where)
{
	const char *subject = subject_of(df, section, t);
	const char *value = *t->value ? t->value : NULL;
	size_t i;

	if (skipped_line(t))
		return;
	if (!t->is_node && !value && t->nkids && t->line[strlen(t->line) - 1] == ':') {
		/* a whole section ("inputs:"): each of its lines */
		for (i = 0; i < t->nkids; i++)
			report_one(df, op, t, t->kids[i], where);
		return;
	}
	if (t->is_case)
		subject = fc_arena_printf(df->a, "%s (%s)", t->key, t->line);
	record(df, op, where, subject, op == CMP_CHANGE_REMOVED ? value : NULL, op == CMP_CHANGE_ADDED ? value : NULL);
}

static void diff_pair(struct differ *df, const struct tnode *section, const struct tnode *x, const struct tnode *y,
		      const char *where)
{
	const char *inner = where;

	if (skipped_line(x))
		return;
	if (strcmp(x->value, y->value)) {
		if (section && (!strcmp(section->line, "inputs:") || !strcmp(section->line, "outputs:"))) {
			const char *tx, *dx, *ty, *dy, *subject = subject_of(df, section, x);

			split_variable(df->a, x->value, &tx, &dx);
			split_variable(df->a, y->value, &ty, &dy);
			if (strcmp(tx, ty))
				record(df, CMP_CHANGE_CHANGED, where, fc_arena_printf(df->a, "%s type", subject), tx, ty);
			if (dx && dy && strcmp(dx, dy))
				record(df, CMP_CHANGE_CHANGED, where, fc_arena_printf(df->a, "%s default", subject), dx,
				       dy);
			else if (dx && !dy)
				record(df, CMP_CHANGE_REMOVED, where, fc_arena_printf(df->a, "%s default", subject), dx,
				       NULL);
			else if (!dx && dy)
				record(df, CMP_CHANGE_ADDED, where, fc_arena_printf(df->a, "%s default", subject), NULL, dy);
			else if (!strcmp(tx, ty))
				record(df, CMP_CHANGE_CHANGED, where, subject, x->value, y->value);
		} else if (x->is_node) {
			const char *sx = strchr(x->value, ' '), *sy = strchr(y->value, ' ');

			if (sx && sy && sx - x->value == sy - y->value && !strncmp(x->value, y->value, (size_t)(sx - x->value)))
				record(df, CMP_CHANGE_CHANGED, join_where(df, where, x->key),
				       fc_arena_strndup(df->a, x->value, (size_t)(sx - x->value)), sx + 1, sy + 1);
			else
				record(df, CMP_CHANGE_CHANGED, join_where(df, where, x->key), "kind", x->value,
				       y->value);
		} else if (x->is_case) {
			record(df, CMP_CHANGE_CHANGED, where, x->key, x->line, y->line);
		} else {
			record(df, CMP_CHANGE_CHANGED, where, subject_of(df, section, x), x->value, y->value);
		}
	}
	if (x->is_node || x->is_case)
		inner = join_where(df, where, x->key);
	diff_kids(df, x, y, inner);
}

static void diff_kids(struct differ *df, const struct tnode *x, const struct tnode *y, const char *where)
{
	bool *matched_y = fc_arena_array(df->a, y->nkids + 1, sizeof(bool));
	bool *renamed_y = fc_arena_array(df->a, y->nkids + 1, sizeof(bool));
	const struct tnode *section = x->line && x->line[0] && x->line[strlen(x->line) - 1] == ':' ? x : NULL;
	size_t i, j;

	for (i = 0; i < x->nkids; i++) {
		for (j = 0; j < y->nkids; j++)
			if (!matched_y[j] && !strcmp(x->kids[i]->key, y->kids[j]->key))
				break;
		if (j < y->nkids) {
			matched_y[j] = true;
			diff_pair(df, section, x->kids[i], y->kids[j], where);
			continue;
		}
		/* removed, unless a new node has the same content under another id */
		if (x->kids[i]->is_node) {
			for (j = 0; j < y->nkids; j++) {
				bool taken = false;
				size_t k;

				if (matched_y[j] || renamed_y[j] || !y->kids[j]->is_node)
					continue;
				for (k = 0; k < x->nkids && !taken; k++)
					taken = !strcmp(x->kids[k]->key, y->kids[j]->key);
				if (!taken && same_content(x->kids[i], y->kids[j]))
					break;
			}
			if (j < y->nkids) {
				renamed_y[j] = true;
				record(df, CMP_CHANGE_RENAMED, where, x->kids[i]->key, x->kids[i]->key + 5,
				       y->kids[j]->key + 5);
				continue;
			}
		}
		report_one(df, CMP_CHANGE_REMOVED, section, x->kids[i], where);
	}
	for (j = 0; j < y->nkids; j++)
		if (!matched_y[j] && !renamed_y[j])
			report_one(df, CMP_CHANGE_ADDED, section, y->kids[j], where);
}

/* --- edges ---------------------------------------------------------------------------------------------------- */

static void collect_edges(struct fc_arena *a, const struct tnode *t, const char *node, char ***edges, size_t *n,
			  size_t *alloc)
{
	size_t i;

	if (t->is_node)
		node = t->key + 5;
	if (node && !strcmp(t->key, "downstream")) {
		const char *p = t->value;

		while ((p = strchr(p, '"'))) {
			const char *end = strchr(p + 1, '"');

			if (!end)
				break;
			FC_ALLOC_GROW(*edges, *n + 1, *alloc);
			(*edges)[(*n)++] = fc_arena_printf(a, "%s -> %.*s", node, (int)(end - p - 1), p + 1);
			p = end + 1;
		}
	}
	for (i = 0; i < t->nkids; i++)
		collect_edges(a, t->kids[i], node, edges, n, alloc);
}

static int str_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Old edges with renamed nodes given their new ids, so that a rename is not also reported as edges. */
static const char *renamed_edge(struct differ *df, const char *edge)
{
	const char *arrow = strstr(edge, " -> ");
	const char *from, *to;
	size_t i;

	if (!arrow)
		return edge;
	from = fc_arena_strndup(df->a, edge, (size_t)(arrow - edge));
	to = arrow + 4;
	for (i = df->before; i < df->d->nr; i++) {
		const struct cmp_change *c = &df->d->items[i];

		if (c->op != CMP_CHANGE_RENAMED || *c->where)
			continue;
		if (!strcmp(from, c->old_value))
			from = c->new_value;
		if (!strcmp(to, c->old_value))
			to = c->new_value;
	}
	return fc_arena_printf(df->a, "%s -> %s", from, to);
}

static void diff_edges(struct differ *df, const struct tnode *x, const struct tnode *y)
{
	char **ex = NULL, **ey = NULL;
	size_t nx = 0, ny = 0, ax = 0, ay = 0, i = 0, j = 0;

	collect_edges(df->a, x, NULL, &ex, &nx, &ax);
	collect_edges(df->a, y, NULL, &ey, &ny, &ay);
	for (i = 0; i < nx; i++)
		ex[i] = (char *)renamed_edge(df, ex[i]);
	if (nx)
		qsort(ex, nx, sizeof(*ex), str_cmp);
	if (ny)
		qsort(ey, ny, sizeof(*ey), str_cmp);
	i = 0;
	while (i < nx || j < ny) {
		int c = i >= nx ? 1 : j >= ny ? -1 : strcmp(ex[i], ey[j]);

		if (c < 0)
			record(df, CMP_CHANGE_REMOVED, "", fc_arena_printf(df->a, "edge %s", ex[i++]), NULL, NULL);
		else if (c > 0)
			record(df, CMP_CHANGE_ADDED, "", fc_arena_printf(df->a, "edge %s", ey[j++]), NULL, NULL);
		else
			i++, j++;
	}
	free(ex);
	free(ey);
}

/* --- entities and sets ---------------------------------------------------------------------------------------- */

void cmp_dag_diff_init(struct cmp_dag_diff *d)
{
	memset(d, 0, sizeof(*d));
	fc_arena_init(&d->arena, 16 * 1024);
}

void cmp_dag_diff_release(struct cmp_dag_diff *d)
{
	fc_arena_release(&d->arena);
	free(d->items);
	memset(d, 0, sizeof(*d));
}

void cmp_dag_diff_entity(struct cmp_dag_diff *d, const struct cmp_snapshot *old_snap,
			 const struct cmp_snapshot *new_snap)
{
	struct differ df;
	struct fc_arena a;
	struct tnode *x, *y;

	if (!old_snap && !new_snap)
		return;
	memset(&df, 0, sizeof(df));
	df.d = d;
	df.before = d->nr;
	df.kind = old_snap ? old_snap->kind : new_snap->kind;
	df.entity = old_snap ? old_snap->id : new_snap->id;
	if (!old_snap || !new_snap) {
		record(&df, old_snap ? CMP_CHANGE_REMOVED : CMP_CHANGE_ADDED, "", "", NULL, NULL);
		d->entities_changed++;
		return;
	}
	/* the header line is the entity's name (matched already) and markers such as "(default)" that do not
	 * survive every form (an -o directory does not say which plan was the implicit one) */
	if (!strcmp(strchr(old_snap->text, '\n') ? strchr(old_snap->text, '\n') : "",
		    strchr(new_snap->text, '\n') ? strchr(new_snap->text, '\n') : ""))
		return;
	fc_arena_init(&a, 16 * 1024);
	df.a = &a;
	x = parse_tree(&a, old_snap->text);
	y = parse_tree(&a, new_snap->text);
	if (x->nkids && y->nkids)
		diff_kids(&df, x->kids[0], y->kids[0], "");
	diff_edges(&df, x, y);
	if (d->nr == df.before) /* the text differs in something the DAG view does not show (order, spacing) */
		record(&df, CMP_CHANGE_CHANGED, "", "text", NULL, NULL);
	d->entities_changed++;
	fc_arena_release(&a);
}

static const char *body_of(const char *text)
{
	const char *nl = strchr(text, '\n');

	return nl ? nl + 1 : "";
}

void cmp_dag_diff_sets(struct cmp_dag_diff *d, const struct cmp_snapshots *old_set,
		       const struct cmp_snapshots *new_set)
{
	bool *renamed_new = fc_xcalloc(new_set->nr + 1, sizeof(bool));
	size_t i, j;

	for (i = 0; i < old_set->nr; i++) {
		const struct cmp_snapshot *o = &old_set->items[i];
		const struct cmp_snapshot *n = cmp_snapshots_find(new_set, o->kind, o->name);

		if (n) {
			cmp_dag_diff_entity(d, o, n);
			continue;
		}
		for (j = 0; j < new_set->nr; j++) {
			const struct cmp_snapshot *cand = &new_set->items[j];

			if (!renamed_new[j] && !strcmp(cand->kind, o->kind) &&
			    !cmp_snapshots_find(old_set, cand->kind, cand->name) && !strcmp(body_of(o->text), body_of(cand->text)))
				break;
		}
		if (j < new_set->nr) {
			struct differ df;

			memset(&df, 0, sizeof(df));
			df.d = d;
			df.kind = o->kind;
			df.entity = o->id;
			renamed_new[j] = true;
			record(&df, CMP_CHANGE_RENAMED, "", "", o->id, new_set->items[j].id);
			d->entities_changed++;
			continue;
		}
		cmp_dag_diff_entity(d, o, NULL);
	}
	for (j = 0; j < new_set->nr; j++)
		if (!renamed_new[j] && !cmp_snapshots_find(old_set, new_set->items[j].kind, new_set->items[j].name))
			cmp_dag_diff_entity(d, NULL, &new_set->items[j]);
	free(renamed_new);
}

/* --- rendering ------------------------------------------------------------------------------------------------ */

static const char *op_name(enum cmp_change_op op)
{
	switch (op) {
	case CMP_CHANGE_ADDED: return "added";
	case CMP_CHANGE_REMOVED: return "removed";
	case CMP_CHANGE_CHANGED: return "changed";
	case CMP_CHANGE_RENAMED: return "renamed";
	}
	return "changed";
}

void cmp_dag_diff_render_text(const struct cmp_dag_diff *d, struct fc_buf *out)
{
	static const char marks[] = {'+', '-', '~', '>'};
	const struct cmp_change *prev = NULL;
	size_t i;

	for (i = 0; i < d->nr; i++) {
		const struct cmp_change *c = &d->items[i];

		if (!*c->subject && !*c->where) {
			if (c->op == CMP_CHANGE_RENAMED)
				fc_buf_addf(out, "%s %s: renamed to %s (same content)\n", c->kind, c->entity, c->new_value);
			else if (c->op == CMP_CHANGE_ADDED)
				fc_buf_addf(out, "%s %s: new\n", c->kind, c->entity);
			else
				fc_buf_addf(out, "%s %s: removed\n", c->kind, c->entity);
			prev = NULL;
			continue;
		}
		if (!prev || strcmp(prev->kind, c->kind) || strcmp(prev->entity, c->entity))
			fc_buf_addf(out, "%s %s: changed\n", c->kind, c->entity);
		prev = c;
		fc_buf_addf(out, "  %c ", marks[c->op]);
		if (*c->where)
			fc_buf_addf(out, "%s: ", c->where);
		switch (c->op) {
		case CMP_CHANGE_ADDED:
			fc_buf_addf(out, "%s added", c->subject);
			if (c->new_value)
				fc_buf_addf(out, " (%s)", c->new_value);
			break;
		case CMP_CHANGE_REMOVED:
			fc_buf_addf(out, "%s removed", c->subject);
			if (c->old_value)
				fc_buf_addf(out, " (was %s)", c->old_value);
			break;
		case CMP_CHANGE_CHANGED:
			if (c->old_value && c->new_value)
				fc_buf_addf(out, "%s changed from %s to %s", c->subject, c->old_value, c->new_value);
			else
				fc_buf_addf(out, "%s changed (layout only; see the snapshot)", c->subject);
			break;
		case CMP_CHANGE_RENAMED:
			fc_buf_addf(out, "node %s renamed to %s (same content)", c->old_value, c->new_value);
			break;
		}
		fc_buf_addch(out, '\n');
	}
}

json_t *cmp_dag_diff_to_json(const struct cmp_dag_diff *d)
{
	json_t *root = json_object(), *list = json_array();
	size_t i;

	json_object_set_new(root, "format_version", json_integer(1));
	json_object_set_new(root, "entities_changed", json_integer((json_int_t)d->entities_changed));
	for (i = 0; i < d->nr; i++) {
		const struct cmp_change *c = &d->items[i];
		json_t *o = json_object();

		json_object_set_new(o, "kind", json_string(c->kind));
		json_object_set_new(o, "entity", json_string(c->entity));
		json_object_set_new(o, "op", json_string(op_name(c->op)));
		json_object_set_new(o, "where", json_string(c->where));
		json_object_set_new(o, "subject", json_string(c->subject));
		if (c->old_value)
			json_object_set_new(o, "old", json_string(c->old_value));
		if (c->new_value)
			json_object_set_new(o, "new", json_string(c->new_value));
		json_array_append_new(list, o);
	}
	json_object_set_new(root, "changes", list);
	return root;
}
