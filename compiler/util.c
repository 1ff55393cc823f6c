/* util.c: IR helpers shared by the compiler's passes. */
#include "compiler/cmp_int.h"
#include "core/pbpack.h"
#include "core/sha256.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void *cmp_new_msg(struct fc_arena *a, const ProtobufCMessageDescriptor *desc)
{
	/* init writes every byte from the descriptor's template: no need to zero first */
	void *m = fc_arena_alloc_words(a, desc->sizeof_message);

	protobuf_c_message_init(desc, m);
	return m;
}

/* Repeated fields grow in powers of two; the capacity is implied by the count, so no extra field is needed. */
void cmp_push(struct fc_arena *a, void ***items, size_t *n, void *item)
{
	size_t count = *n;

	if (count == 0 || (count & (count - 1)) == 0) {
		size_t cap = count ? count * 2 : 1;
		void **grown = fc_arena_alloc_raw(a, cap * sizeof(void *));

		if (count)
			memcpy(grown, *items, count * sizeof(void *));
		*items = grown;
	}
	(*items)[count] = item;
	*n = count + 1;
}

/* --- pointer map ------------------------------------------------------------------------------------------- */
static size_t ptr_hash(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x;
}

static void ptrmap_grow(struct cmp_ptrmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64, i;
	const void **keys = fc_xcalloc(cap, sizeof(*keys));
	void **values = fc_xcalloc(cap, sizeof(*values));

	for (i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->keys[i])
			continue;
		j = ptr_hash(m->keys[i]) & (cap - 1);
		while (keys[j])
			j = (j + 1) & (cap - 1);
		keys[j] = m->keys[i];
		values[j] = m->values[i];
	}
	free(m->keys);
	free(m->values);
	m->keys = keys;
	m->values = values;
	m->cap = cap;
}

void cmp_ptrmap_put(struct cmp_ptrmap *m, const void *key, void *value)
{
	size_t i;

	if ((m->size + 1) * 2 > m->cap)
		ptrmap_grow(m);
	i = ptr_hash(key) & (m->cap - 1);
	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	if (!m->keys[i])
		m->size++;
	m->keys[i] = key;
	m->values[i] = value;
}

void *cmp_ptrmap_get(const struct cmp_ptrmap *m, const void *key)
{
	size_t i;

	if (!m->cap || !key)
		return NULL;
	i = ptr_hash(key) & (m->cap - 1);
	while (m->keys[i]) {
		if (m->keys[i] == key)
			return m->values[i];
		i = (i + 1) & (m->cap - 1);
	}
	return NULL;
}

void cmp_ptrmap_release(struct cmp_ptrmap *m)
{
	free(m->keys);
	free(m->values);
	memset(m, 0, sizeof(*m));
}

/* --- positions and diagnostics ----------------------------------------------------------------------------- */
struct fc_loc cmp_ynode_loc(struct fc_source *src, const struct fc_ynode *n)
{
	struct fc_loc loc = {src, n ? n->line : 0, n ? n->col : 0};

	return loc;
}

/*
 * A position is packed into 64 bits (source index + 1, line, column), so remembering where an object came from
 * costs one 16-byte entry and no allocation: a 100k-node workflow remembers about 700,000 positions.
 */
#define LOC_LINE_BITS 24
#define LOC_COL_BITS 24
#define CMP_LOCS_TAIL 32

/* Stable LSD radix sort by address, a byte at a time (bytes every key shares are skipped); `tmp` holds n. */
static void locs_sort(struct cmp_loc_entry *e, struct cmp_loc_entry *tmp, size_t n)
{
	struct cmp_loc_entry *a = e, *b = tmp;
	size_t shift, i;

	for (shift = 0; shift < 64; shift += 8) {
		size_t count[256] = {0}, pos[256], sum = 0, d;
		struct cmp_loc_entry *t;

		for (i = 0; i < n; i++)
			count[((uintptr_t)a[i].key >> shift) & 0xff]++;
		if (count[((uintptr_t)a[0].key >> shift) & 0xff] == n)
			continue;
		for (d = 0; d < 256; d++) {
			pos[d] = sum;
			sum += count[d];
		}
		for (i = 0; i < n; i++)
			b[pos[((uintptr_t)a[i].key >> shift) & 0xff]++] = a[i];
		t = a;
		a = b;
		b = t;
	}
	if (a != e)
		memcpy(e, a, n * sizeof(*e));
}

/* Of entries with the same key (adjacent, oldest first), keep the newest. Returns the new count. */
static size_t locs_dedupe(struct cmp_loc_entry *e, size_t n)
{
	size_t i, out = 0;

	for (i = 0; i < n; i++) {
		if (i + 1 < n && e[i + 1].key == e[i].key)
			continue;
		e[out++] = e[i];
	}
	return out;
}

/* Merge the sorted run `src` (newer) into the sorted run `*dst` (older), from the back, in place. */
static void locs_merge(struct cmp_loc_entry **dst, size_t *ndst, size_t *alloc, const struct cmp_loc_entry *src,
		       size_t nsrc)
{
	size_t i = *ndst, j = nsrc, k = *ndst + nsrc;

	FC_ALLOC_GROW(*dst, *ndst + nsrc, *alloc);
	while (j > 0) {
		/* on equal keys the newer entry goes after the older one, where locs_dedupe keeps it */
		if (i > 0 && (uintptr_t)(*dst)[i - 1].key > (uintptr_t)src[j - 1].key)
			(*dst)[--k] = (*dst)[--i];
		else
			(*dst)[--k] = src[--j];
	}
	*ndst = locs_dedupe(*dst, *ndst + nsrc);
}

/* Move the tail into the side run, and the side run into the main one once it outgrows sqrt(main); a batch larger
 * than that (the first question after a whole file was read) goes straight to the main run. */
static void locs_flush(struct cmp_locs *l)
{
	struct cmp_loc_entry *tmp;
	size_t limit;

	for (limit = 64; limit * limit < l->nmain; limit *= 2)
		;
	tmp = fc_xmalloc(l->ntail * sizeof(*tmp));
	locs_sort(l->tail, tmp, l->ntail);
	free(tmp);
	l->ntail = locs_dedupe(l->tail, l->ntail);
	if (l->ntail <= limit) {
		locs_merge(&l->side, &l->nside, &l->side_alloc, l->tail, l->ntail);
		l->ntail = 0;
		if (l->nside <= limit)
			return;
	}
	if (l->nside) {
		locs_merge(&l->main, &l->nmain, &l->main_alloc, l->side, l->nside);
		l->nside = 0;
	}
	if (!l->ntail)
		return;
	if (l->nmain) {
		locs_merge(&l->main, &l->nmain, &l->main_alloc, l->tail, l->ntail);
		l->ntail = 0;
		return;
	}
	/* the tail becomes the main run, trimmed to its size */
	free(l->main);
	l->main = fc_xrealloc(l->tail, l->ntail * sizeof(*l->main));
	l->nmain = l->main_alloc = l->ntail;
	l->tail = NULL;
	l->ntail = l->tail_alloc = 0;
}

static const struct cmp_loc_entry *locs_search(const struct cmp_loc_entry *e, size_t n, const void *key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((uintptr_t)e[mid].key < (uintptr_t)key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && e[lo].key == key ? &e[lo] : NULL;
}

static uint64_t locs_get(struct cmp_locs *l, const void *key)
{
	const struct cmp_loc_entry *hit;
	size_t i;

	if (l->ntail > CMP_LOCS_TAIL)
		locs_flush(l);
	for (i = l->ntail; i > 0; i--)
		if (l->tail[i - 1].key == key)
			return l->tail[i - 1].packed;
	if ((hit = locs_search(l->side, l->nside, key)))
		return hit->packed;
	if ((hit = locs_search(l->main, l->nmain, key)))
		return hit->packed;
	return 0;
}

void cmp_locs_release(struct cmp_locs *l)
{
	free(l->main);
	free(l->side);
	free(l->tail);
	memset(l, 0, sizeof(*l));
}

void cmp_set_loc(struct cmp_session *s, const void *obj, struct fc_loc loc)
{
	struct cmp_locs *l = &s->locs;
	uint64_t packed;

	if (!loc.src || !obj)
		return;
	packed = ((uint64_t)(loc.src->index + 1) << (LOC_LINE_BITS + LOC_COL_BITS)) |
		 ((uint64_t)(loc.line & ((1u << LOC_LINE_BITS) - 1)) << LOC_COL_BITS) |
		 (uint64_t)(loc.col & ((1u << LOC_COL_BITS) - 1));
	FC_ALLOC_GROW(l->tail, l->ntail + 1, l->tail_alloc);
	l->tail[l->ntail].key = obj;
	l->tail[l->ntail].packed = packed;
	l->ntail++;
}

void cmp_remember(struct cmp_session *s, const void *obj, struct fc_source *src, const struct fc_ynode *n)
{
	cmp_set_loc(s, obj, cmp_ynode_loc(src, n));
}

static bool unpack_loc(struct cmp_session *s, const void *obj, struct fc_loc *loc)
{
	uint64_t packed = locs_get(&s->locs, obj);
	uint64_t index;

	if (!packed)
		return false;
	index = (packed >> (LOC_LINE_BITS + LOC_COL_BITS)) - 1;
	if (index >= s->nsources)
		return false;
	loc->src = s->sources[index];
	loc->line = (uint32_t)((packed >> LOC_COL_BITS) & ((1u << LOC_LINE_BITS) - 1));
	loc->col = (uint32_t)(packed & ((1u << LOC_COL_BITS) - 1));
	return true;
}

bool cmp_has_loc(struct cmp_session *s, const void *obj)
{
	return obj && locs_get(&s->locs, obj) != 0;
}

struct fc_loc cmp_loc_of(struct cmp_session *s, const void *obj, const void *fallback)
{
	struct fc_loc loc = {NULL, 0, 0};

	if (obj && unpack_loc(s, obj, &loc))
		return loc;
	if (fallback && unpack_loc(s, fallback, &loc))
		return loc;
	return loc;
}

struct fc_diag *cmp_error_at(struct cmp_session *s, const void *obj, const void *fallback, const char *code,
			     const char *fmt, ...)
{
	struct fc_diag *dg;
	va_list ap;

	va_start(ap, fmt);
	dg = fc_diag_vadd(&s->diags, FC_SEV_ERROR, code, cmp_loc_of(s, obj, fallback), fmt, ap);
	va_end(ap);
	return dg;
}

struct fc_diag *cmp_warn_at(struct cmp_session *s, const void *obj, const void *fallback, const char *code,
			    const char *fmt, ...)
{
	struct fc_diag *dg;
	va_list ap;

	va_start(ap, fmt);
	dg = fc_diag_vadd(&s->diags, s->opts.warnings_as_errors ? FC_SEV_ERROR : FC_SEV_WARNING, code,
			  cmp_loc_of(s, obj, fallback), fmt, ap);
	va_end(ap);
	return dg;
}

void cmp_set_pending(struct cmp_session *s, Flyteidl__Core__BindingData *bd, const struct fc_ynode *value)
{
	struct cmp_pending *p = &s->pending;

	FC_ALLOC_GROW(p->items, p->n + 1, p->alloc);
	p->items[p->n].bd = bd;
	p->items[p->n].value = value;
	p->n++;
	if (p->indexed)
		cmp_ptrmap_put(&p->index, bd, (void *)(uintptr_t)p->n);
}

/* The item of `bd`, or NULL: at the cursor when asked in order, else through the index. */
static struct cmp_pending_item *pending_find(struct cmp_pending *p, const void *bd)
{
	size_t i;

	if (p->cursor < p->n && p->items[p->cursor].bd == bd)
		return &p->items[p->cursor++];
	if (!p->indexed) {
		for (i = 0; i < p->n; i++)
			cmp_ptrmap_put(&p->index, p->items[i].bd, (void *)(uintptr_t)(i + 1));
		p->indexed = true;
	}
	i = (uintptr_t)cmp_ptrmap_get(&p->index, bd);
	if (!i)
		return NULL;
	p->cursor = i; /* the next one is probably asked for next */
	return &p->items[i - 1];
}

const struct fc_ynode *cmp_get_pending(struct cmp_session *s, const Flyteidl__Core__BindingData *bd)
{
	struct cmp_pending_item *it = pending_find(&s->pending, bd);

	return it ? it->value : NULL;
}

void cmp_clear_pending(struct cmp_session *s, const Flyteidl__Core__BindingData *bd)
{
	struct cmp_pending *p = &s->pending;
	struct cmp_pending_item *it;

	/* asked for just before, almost always: the item before the cursor */
	if (p->cursor && p->items[p->cursor - 1].bd == bd)
		it = &p->items[p->cursor - 1];
	else if (p->cursor < p->n && p->items[p->cursor].bd == bd)
		it = &p->items[p->cursor];
	else
		it = pending_find(p, bd);
	if (it)
		it->value = NULL;
}

void cmp_pending_release(struct cmp_pending *p)
{
	free(p->items);
	cmp_ptrmap_release(&p->index);
	memset(p, 0, sizeof(*p));
}

/* --- names ------------------------------------------------------------------------------------------------- */
bool cmp_valid_name(const char *s)
{
	size_t i, len = strlen(s);

	if (!len || len > 255 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

bool cmp_valid_node_id(const char *s)
{
	size_t i, len = strlen(s);

	if (!len || len > 63 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

bool cmp_valid_var_name(const char *s)
{
	size_t i, len = strlen(s);

	if (!len || len > 255 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[64];

	if (la >= 63 || lb >= 63)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t prev = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
			size_t best = prev + cost;

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

const char *cmp_did_you_mean(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1, i, limit;

	limit = strlen(word) / 3 + 1;
	if (limit > 3)
		limit = 3;
	for (i = 0; i < n; i++) {
		size_t d = edit_distance(word, candidates[i]);

		/* ties go to the smaller name, so the hint does not depend on the order the names come in */
		if (d < best_d || (d == best_d && best && strcmp(candidates[i], best) < 0)) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best_d <= limit ? best : NULL;
}

/* --- variables and identifiers ----------------------------------------------------------------------------- */
Flyteidl__Core__VariableMap *cmp_varmap_new(struct fc_arena *a)
{
	return CMP_NEW(a, Flyteidl__Core__VariableMap, flyteidl__core__variable_map__descriptor);
}

Flyteidl__Core__Variable *cmp_var_find(const Flyteidl__Core__VariableMap *vm, const char *name)
{
	size_t i;

	if (!vm)
		return NULL;
	for (i = 0; i < vm->n_variables; i++)
		if (!strcmp(vm->variables[i]->key, name))
			return vm->variables[i]->value;
	return NULL;
}

void cmp_var_add(struct fc_arena *a, Flyteidl__Core__VariableMap *vm, const char *name, Flyteidl__Core__Variable *v)
{
	Flyteidl__Core__VariableMap__VariablesEntry *e =
		CMP_NEW(a, Flyteidl__Core__VariableMap__VariablesEntry,
			flyteidl__core__variable_map__variables_entry__descriptor);

	e->key = (char *)name;
	e->value = v;
	CMP_PUSH(a, vm->variables, vm->n_variables, e);
}

static int cmp_var_entry(const void *a, const void *b)
{
	const Flyteidl__Core__VariableMap__VariablesEntry *const *x = a, *const *y = b;

	return strcmp((*x)->key, (*y)->key);
}

void cmp_varmap_sort(Flyteidl__Core__VariableMap *vm)
{
	if (vm && vm->n_variables > 1)
		qsort(vm->variables, vm->n_variables, sizeof(vm->variables[0]), cmp_var_entry);
}

Flyteidl__Core__Identifier *cmp_ident(struct fc_arena *a, Flyteidl__Core__ResourceType rt, const char *project,
				      const char *domain, const char *name, const char *version)
{
	Flyteidl__Core__Identifier *id = CMP_NEW(a, Flyteidl__Core__Identifier, flyteidl__core__identifier__descriptor);

	id->resource_type = rt;
	/* Borrowed: callers pass strings that live as long as the session (arena, spec text or constants). */
	(void)a;
	id->project = (char *)(project ? project : "");
	id->domain = (char *)(domain ? domain : "");
	id->name = (char *)(name ? name : "");
	id->version = (char *)(version ? version : "");
	return id;
}

const char *cmp_ident_str(struct fc_arena *a, const Flyteidl__Core__Identifier *id)
{
	if (!id)
		return "(none)";
	if (id->version && *id->version)
		return fc_arena_printf(a, "%s/%s/%s@%s", id->project, id->domain, id->name, id->version);
	if (id->project && *id->project)
		return fc_arena_printf(a, "%s/%s/%s", id->project, id->domain, id->name);
	return id->name;
}

static void hash_bytes(void *ctx, const void *data, size_t len)
{
	fc_sha256_update(ctx, data, len);
}

static void skip_bytes(void *ctx, const void *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
}

size_t cmp_hash_begin(struct fc_sha256 *h, const char *salt, const ProtobufCMessage *msg)
{
	if (!h)
		return fc_pb_pack_each(msg, skip_bytes, NULL);
	fc_sha256_init(h);
	if (salt)
		fc_sha256_update(h, salt, strlen(salt) + 1);
	return fc_pb_pack_each(msg, hash_bytes, h);
}

size_t cmp_hash_begin_ahead(struct fc_sha256 *h, const char *salt, const struct fc_pb_ahead *a)
{
	if (!h)
		return fc_pb_ahead_each(a, skip_bytes, NULL);
	fc_sha256_init(h);
	if (salt)
		fc_sha256_update(h, salt, strlen(salt) + 1);
	return fc_pb_ahead_each(a, hash_bytes, h);
}

const char *cmp_hash_end(struct fc_arena *a, struct fc_sha256 *h)
{
	unsigned char digest[FC_SHA256_LEN];
	char hex[FC_SHA256_HEX_LEN + 1];

	fc_sha256_final(h, digest);
	fc_hex(digest, 10, hex);
	return fc_arena_strdup(a, hex);
}

void cmp_hash_discard(struct fc_sha256 *h)
{
	unsigned char digest[FC_SHA256_LEN];

	if (h)
		fc_sha256_final(h, digest);
}

const char *cmp_hash_msg(struct fc_arena *a, const ProtobufCMessage *msg, const char *salt)
{
	struct fc_sha256 h;

	cmp_hash_begin(&h, salt, msg);
	return cmp_hash_end(a, &h);
}

static bool visit(ProtobufCMessage *m, const struct cmp_visitor *v, unsigned depth)
{
	const ProtobufCMessageDescriptor *d;
	unsigned i;

	if (!m || depth > v->max_depth)
		return true;
	switch (v->message(v->ctx, m)) {
	case CMP_VISIT_STOP: return false;
	case CMP_VISIT_SKIP: return true;
	case CMP_VISIT_CHILDREN: break;
	}
	d = m->descriptor;
	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		char *base = (char *)m;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(size_t *)(base + f->quantifier_offset), j;
			ProtobufCMessage **items = *(ProtobufCMessage ***)(base + f->offset);

			for (j = 0; j < n; j++)
				if (!visit(items[j], v, depth + 1))
					return false;
			if (v->repeated)
				v->repeated(v->ctx, f, items, n);
			continue;
		}
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && *(uint32_t *)(base + f->quantifier_offset) != f->id)
			continue;
		if (!visit(*(ProtobufCMessage **)(base + f->offset), v, depth + 1))
			return false;
	}
	return true;
}

bool cmp_visit_messages(ProtobufCMessage *m, const struct cmp_visitor *v)
{
	return visit(m, v, 0);
}
