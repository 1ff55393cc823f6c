/*
 * store.h: an in-memory cache of API objects of one kind, keyed "namespace/name" (or "name" for cluster-scoped
 * objects), with label-selector queries. Filled by an informer (informer.h); read by anyone.
 *
 * Thread-safe (one mutex). Objects in the store are never modified in place: an update replaces the object, so a
 * reference handed out by kube_store_get() stays valid and unchanged; treat it as read-only and json_decref() it.
 *
 * Label selectors use the API's syntax: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x)`, joined by
 * commas (all must hold).
 */
#ifndef KUBE_STORE_H
#define KUBE_STORE_H

#include "core/fc.h"

#include <jansson.h>

struct fc_err;
struct fc_buf;

enum kube_sel_op { KUBE_SEL_EQ, KUBE_SEL_NEQ, KUBE_SEL_EXISTS, KUBE_SEL_NOT_EXISTS, KUBE_SEL_IN, KUBE_SEL_NOTIN };

struct kube_sel_req {
	char *key;
	enum kube_sel_op op;
	char **values;
	size_t nvalues;
};

struct kube_selector {
	struct kube_sel_req *reqs;
	size_t n, alloc;
};

void kube_selector_init(struct kube_selector *s);
void kube_selector_release(struct kube_selector *s);
/* Parse; an empty string selects everything. Errors say where ("label selector 'a in x': ... at column 6"). */
int kube_selector_parse(struct kube_selector *s, const char *text, struct fc_err *err);
/* Does an object's metadata.labels (a JSON object or NULL) match? */
bool kube_selector_matches(const struct kube_selector *s, const json_t *labels);

/* "namespace/name" or "name" of an object into `out` (reset first); false when it has no metadata.name. */
bool kube_object_key(const json_t *obj, struct fc_buf *out);

struct kube_store;

struct kube_store *kube_store_new(void);
void kube_store_free(struct kube_store *s);
/* Insert or replace; takes a reference of its own. */
void kube_store_put(struct kube_store *s, const char *key, json_t *obj);
void kube_store_delete(struct kube_store *s, const char *key);
/* A new reference, or NULL. */
json_t *kube_store_get(struct kube_store *s, const char *key);
size_t kube_store_len(struct kube_store *s);
/* A new array of the objects whose labels match `sel` (NULL: all), sorted by key. */
json_t *kube_store_list(struct kube_store *s, const struct kube_selector *sel);
/* A new array of all keys, sorted. */
json_t *kube_store_keys(struct kube_store *s);

#endif
