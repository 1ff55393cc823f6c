/*
 * strmap.h: a string-keyed hash map (open addressing, linear probing). Keys are borrowed: the map stores the
 * pointer, so keys must outlive the map (arena strings, usually). Values are opaque pointers the map does not own.
 */
#ifndef FC_STRMAP_H
#define FC_STRMAP_H

#include "fc.h"

struct fc_strmap_slot {
	const char *key;
	size_t keylen;
	uint64_t hash;
	void *value;
};

struct fc_strmap {
	struct fc_strmap_slot *slots;
	size_t cap; /* power of two, or 0 */
	size_t size;
};

#define FC_STRMAP_INIT {NULL, 0, 0}

void fc_strmap_init(struct fc_strmap *m);
void fc_strmap_release(struct fc_strmap *m);
/* Insert or replace; returns the previous value or NULL. */
void *fc_strmap_put(struct fc_strmap *m, const char *key, void *value);
void *fc_strmap_putn(struct fc_strmap *m, const char *key, size_t keylen, void *value);
void *fc_strmap_get(const struct fc_strmap *m, const char *key);
void *fc_strmap_getn(const struct fc_strmap *m, const char *key, size_t keylen);
bool fc_strmap_has(const struct fc_strmap *m, const char *key);
uint64_t fc_hash_bytes(const void *data, size_t len);

/* Iterate: for (i = 0; i < m.cap; i++) if (m.slots[i].key) ... */

#endif
