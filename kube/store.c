/*
 * store.c: the object cache and label selectors (see store.h).
 */
#include "kube/store.h"

#include "core/buf.h"
#include "core/err.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* --- label selectors ------------------------------------------------------------------------------------ */

void kube_selector_init(struct kube_selector *s)
{
	memset(s, 0, sizeof(*s));
}

void kube_selector_release(struct kube_selector *s)
{
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		free(s->reqs[i].key);
		for (j = 0; j < s->reqs[i].nvalues; j++)
			free(s->reqs[i].values[j]);
		free(s->reqs[i].values);
	}
	free(s->reqs);
	kube_selector_init(s);
}

struct sel_parser {
	const char *text, *p;
	struct fc_err *err;
};

static void skip_ws(struct sel_parser *sp)
{
	while (*sp->p == ' ' || *sp->p == '\t')
		sp->p++;
}

static int sel_fail(struct sel_parser *sp, const char *what)
{
	return fc_err_set(sp->err, FC_EINVAL, "label selector '%s': %s at column %zu", sp->text, what,
			  (size_t)(sp->p - sp->text) + 1);
}

/* Label keys and values: [A-Za-z0-9._/-]; keys must not be empty. */
static bool word_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-' || c == '/';
}

static char *word(struct sel_parser *sp)
{
	const char *start;

	skip_ws(sp);
	start = sp->p;
	while (word_char(*sp->p))
		sp->p++;
	return fc_xstrndup(start, (size_t)(sp->p - start));
}

static bool keyword(struct sel_parser *sp, const char *kw)
{
	size_t n = strlen(kw);

	if (strncmp(sp->p, kw, n) || word_char(sp->p[n]))
		return false;
	sp->p += n;
	return true;
}

int kube_selector_parse(struct kube_selector *s, const char *text, struct fc_err *err)
{
	struct sel_parser sp = {text, text, err};
	int rc = 0;

	kube_selector_release(s);
	skip_ws(&sp);
	if (!*sp.p)
		return 0;
	for (;;) {
		struct kube_sel_req r;
		bool notin;

		memset(&r, 0, sizeof(r));
		skip_ws(&sp);
		if (*sp.p == '!') {
			sp.p++;
			r.op = KUBE_SEL_NOT_EXISTS;
			r.key = word(&sp);
		} else {
			r.key = word(&sp);
			skip_ws(&sp);
			if (!strncmp(sp.p, "==", 2) || !strncmp(sp.p, "!=", 2) || *sp.p == '=') {
				r.op = *sp.p == '!' ? KUBE_SEL_NEQ : KUBE_SEL_EQ;
				sp.p += (*sp.p == '=' && sp.p[1] != '=') ? 1 : 2;
				r.values = fc_xmalloc(sizeof(char *));
				r.values[0] = word(&sp);
				r.nvalues = 1;
			} else if ((notin = keyword(&sp, "notin")) || keyword(&sp, "in")) {
				r.op = notin ? KUBE_SEL_NOTIN : KUBE_SEL_IN;
				skip_ws(&sp);
				if (*sp.p != '(') {
					rc = sel_fail(&sp, "expected '('");
				} else {
					sp.p++;
					for (;;) {
						char *v = word(&sp);
						size_t alloc = r.nvalues;

						FC_ALLOC_GROW(r.values, r.nvalues + 1, alloc);
						r.values[r.nvalues++] = v;
						skip_ws(&sp);
						if (*sp.p == ',') {
							sp.p++;
							continue;
						}
						if (*sp.p == ')') {
							sp.p++;
							break;
						}
						rc = sel_fail(&sp, "expected ',' or ')'");
						break;
					}
				}
			} else {
				r.op = KUBE_SEL_EXISTS;
			}
		}
		if (!rc && !*r.key)
			rc = sel_fail(&sp, "expected a label key");
		FC_ALLOC_GROW(s->reqs, s->n + 1, s->alloc);
		s->reqs[s->n++] = r;
		if (rc)
			break;
		skip_ws(&sp);
		if (!*sp.p)
			break;
		if (*sp.p != ',') {
			rc = sel_fail(&sp, "expected ','");
			break;
		}
		sp.p++;
	}
	if (rc)
		kube_selector_release(s);
	return rc;
}

bool kube_selector_matches(const struct kube_selector *s, const json_t *labels)
{
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		const struct kube_sel_req *r = &s->reqs[i];
		const char *v = json_string_value(json_object_get(labels, r->key));
		bool in = false;

		for (j = 0; v && j < r->nvalues; j++)
			in |= !strcmp(v, r->values[j]);
		switch (r->op) {
		case KUBE_SEL_EQ:
		case KUBE_SEL_IN:
			if (!in)
				return false;
			break;
		case KUBE_SEL_NEQ:
		case KUBE_SEL_NOTIN:
			if (in)
				return false;
			break;
		case KUBE_SEL_EXISTS:
			if (!v)
				return false;
			break;
		case KUBE_SEL_NOT_EXISTS:
			if (v)
				return false;
			break;
		}
	}
	return true;
}

bool kube_object_key(const json_t *obj, struct fc_buf *out)
{
	const json_t *md = json_object_get(obj, "metadata");
	const char *name = json_string_value(json_object_get(md, "name"));
	const char *ns = json_string_value(json_object_get(md, "namespace"));

	fc_buf_reset(out);
	if (!name || !*name)
		return false;
	if (ns && *ns)
		fc_buf_addf(out, "%s/%s", ns, name);
	else
		fc_buf_adds(out, name);
	return true;
}

/* --- the store ------------------------------------------------------------------------------------------ */

struct kube_store {
	pthread_mutex_t lock;
	json_t *objects; /* key -> object */
};

struct kube_store *kube_store_new(void)
{
	struct kube_store *s = fc_xcalloc(1, sizeof(*s));

	pthread_mutex_init(&s->lock, NULL);
	s->objects = json_object();
	if (!s->objects)
		fc_die_oom(0);
	return s;
}

void kube_store_free(struct kube_store *s)
{
	if (!s)
		return;
	json_decref(s->objects);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void kube_store_put(struct kube_store *s, const char *key, json_t *obj)
{
	pthread_mutex_lock(&s->lock);
	json_object_set(s->objects, key, obj);
	pthread_mutex_unlock(&s->lock);
}

void kube_store_delete(struct kube_store *s, const char *key)
{
	pthread_mutex_lock(&s->lock);
	json_object_del(s->objects, key);
	pthread_mutex_unlock(&s->lock);
}

json_t *kube_store_get(struct kube_store *s, const char *key)
{
	json_t *o;

	pthread_mutex_lock(&s->lock);
	o = json_incref(json_object_get(s->objects, key));
	pthread_mutex_unlock(&s->lock);
	return o;
}

size_t kube_store_len(struct kube_store *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = json_object_size(s->objects);
	pthread_mutex_unlock(&s->lock);
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted keys (borrowed from the object: only while the lock is held). */
static const char **sorted_keys_locked(struct kube_store *s, size_t *n)
{
	const char **keys = fc_xmalloc((json_object_size(s->objects) + 1) * sizeof(*keys));
	const char *k;
	json_t *v;

	*n = 0;
	json_object_foreach(s->objects, k, v)
		keys[(*n)++] = k;
	qsort(keys, *n, sizeof(*keys), cmp_str);
	return keys;
}

json_t *kube_store_list(struct kube_store *s, const struct kube_selector *sel)
{
	json_t *arr = json_array();
	const char **keys;
	size_t i, n;

	pthread_mutex_lock(&s->lock);
	keys = sorted_keys_locked(s, &n);
	for (i = 0; i < n; i++) {
		json_t *o = json_object_get(s->objects, keys[i]);

		if (!sel || kube_selector_matches(sel, json_object_get(json_object_get(o, "metadata"), "labels")))
			json_array_append(arr, o);
	}
	pthread_mutex_unlock(&s->lock);
	free(keys);
	return arr;
}

json_t *kube_store_keys(struct kube_store *s)
{
	json_t *arr = json_array();
	const char **keys;
	size_t i, n;

	pthread_mutex_lock(&s->lock);
	keys = sorted_keys_locked(s, &n);
	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_string(keys[i]));
	pthread_mutex_unlock(&s->lock);
	free(keys);
	return arr;
}
