/* strmap.c: open-addressing string hash map with FNV-1a hashing. */
#include "strmap.h"

#include <stdlib.h>
#include <string.h>

uint64_t fc_hash_bytes(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h ? h : 1;
}

void fc_strmap_init(struct fc_strmap *m)
{
	m->slots = NULL;
	m->cap = 0;
	m->size = 0;
}

void fc_strmap_release(struct fc_strmap *m)
{
	free(m->slots);
	fc_strmap_init(m);
}

static struct fc_strmap_slot *find_slot(struct fc_strmap_slot *slots, size_t cap, const char *key, size_t keylen,
					uint64_t hash)
{
	size_t i = (size_t)hash & (cap - 1);

	for (;;) {
		struct fc_strmap_slot *s = &slots[i];

		if (!s->key)
			return s;
		if (s->hash == hash && s->keylen == keylen && !memcmp(s->key, key, keylen))
			return s;
		i = (i + 1) & (cap - 1);
	}
}

static void grow(struct fc_strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 16, i;
	struct fc_strmap_slot *slots = fc_xcalloc(cap, sizeof(*slots));

	for (i = 0; i < m->cap; i++) {
		struct fc_strmap_slot *old = &m->slots[i];

		if (old->key)
			*find_slot(slots, cap, old->key, old->keylen, old->hash) = *old;
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
}

void *fc_strmap_putn(struct fc_strmap *m, const char *key, size_t keylen, void *value)
{
	uint64_t hash = fc_hash_bytes(key, keylen);
	struct fc_strmap_slot *s;
	void *old;

	if ((m->size + 1) * 4 > m->cap * 3)
		grow(m);
	s = find_slot(m->slots, m->cap, key, keylen, hash);
	if (!s->key) {
		s->key = key;
		s->keylen = keylen;
		s->hash = hash;
		s->value = value;
		m->size++;
		return NULL;
	}
	old = s->value;
	s->value = value;
	return old;
}

void *fc_strmap_put(struct fc_strmap *m, const char *key, void *value)
{
	return fc_strmap_putn(m, key, strlen(key), value);
}

void *fc_strmap_getn(const struct fc_strmap *m, const char *key, size_t keylen)
{
	struct fc_strmap_slot *s;

	if (!m->cap)
		return NULL;
	s = find_slot(m->slots, m->cap, key, keylen, fc_hash_bytes(key, keylen));
	return s->key ? s->value : NULL;
}

void *fc_strmap_get(const struct fc_strmap *m, const char *key)
{
	return fc_strmap_getn(m, key, strlen(key));
}

bool fc_strmap_has(const struct fc_strmap *m, const char *key)
{
	struct fc_strmap_slot *s;
	size_t keylen = strlen(key);

	if (!m->cap)
		return false;
	s = find_slot(m->slots, m->cap, key, keylen, fc_hash_bytes(key, keylen));
	return s->key != NULL;
}
