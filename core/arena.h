/*
 * arena.h: a bump allocator (after git's mem-pool). Everything allocated from an arena is freed at once by
 * fc_arena_release(); single allocations are never freed. A compilation owns one arena for its IR, its interned
 * strings and the protobuf-c messages it builds (fc_arena_pb_allocator()).
 */
#ifndef FC_ARENA_H
#define FC_ARENA_H

#include "fc.h"

#include <protobuf-c/protobuf-c.h>

struct fc_arena_block;

struct fc_arena {
	struct fc_arena_block *head;
	size_t block_size;
	size_t total; /* bytes handed out, for memory reports */
	ProtobufCAllocator pb;
};

void fc_arena_init(struct fc_arena *a, size_t block_size);
void fc_arena_release(struct fc_arena *a);
/* Zeroed memory, aligned for any type. */
void *fc_arena_alloc(struct fc_arena *a, size_t size);
/* The same without zeroing, for memory the caller fills at once. */
void *fc_arena_alloc_raw(struct fc_arena *a, size_t size);
/* Not zeroed and aligned only for pointers and 64-bit integers (what protobuf-c messages hold): less padding.
 * Strings from fc_arena_strdup/strndup/printf are not aligned at all. */
void *fc_arena_alloc_words(struct fc_arena *a, size_t size);
void *fc_arena_array(struct fc_arena *a, size_t nmemb, size_t size);
char *fc_arena_strdup(struct fc_arena *a, const char *s);
char *fc_arena_strndup(struct fc_arena *a, const char *s, size_t n);
char *fc_arena_printf(struct fc_arena *a, const char *fmt, ...) FC_PRINTF(2, 3);
void *fc_arena_memdup(struct fc_arena *a, const void *p, size_t n);
/* A protobuf-c allocator whose frees are no-ops: unpacked messages live as long as the arena. */
ProtobufCAllocator *fc_arena_pb_allocator(struct fc_arena *a);

#endif
