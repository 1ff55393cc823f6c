/* arena.c: bump allocator in growing blocks. */
#include "arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FC_ARENA_ALIGN 16

struct fc_arena_block {
	struct fc_arena_block *next;
	size_t used;
	size_t size;
	_Alignas(FC_ARENA_ALIGN) unsigned char data[];
};

void fc_arena_init(struct fc_arena *a, size_t block_size)
{
	memset(a, 0, sizeof(*a));
	a->block_size = block_size ? block_size : 64 * 1024;
}

void fc_arena_release(struct fc_arena *a)
{
	struct fc_arena_block *b = a->head;

	while (b) {
		struct fc_arena_block *next = b->next;

		free(b);
		b = next;
	}
	a->head = NULL;
	a->total = 0;
}

static void *arena_alloc(struct fc_arena *a, size_t size, size_t align, bool zero);

void *fc_arena_alloc(struct fc_arena *a, size_t size)
{
	return arena_alloc(a, size, FC_ARENA_ALIGN, true);
}

void *fc_arena_alloc_raw(struct fc_arena *a, size_t size)
{
	return arena_alloc(a, size, FC_ARENA_ALIGN, false);
}

void *fc_arena_alloc_words(struct fc_arena *a, size_t size)
{
	return arena_alloc(a, size, sizeof(void *), false);
}

/*
 * Each allocation starts at the next multiple of `align` in the current block: strings (align 1) are packed end
 * to end and protobuf-c messages (pointer alignment) are not rounded up to 16 bytes, which at a million small
 * strings and messages per 100k-node workflow is tens of megabytes.
 */
static void *arena_alloc(struct fc_arena *a, size_t size, size_t align, bool zero)
{
	struct fc_arena_block *b = a->head;
	size_t start = b ? (b->used + align - 1) & ~(align - 1) : 0;
	void *p;

	if (size > SIZE_MAX - FC_ARENA_ALIGN)
		fc_die_oom(size);
	if (!b || start > b->size || b->size - start < size) {
		size_t bsize = a->block_size;

		if (size > bsize / 4) {
			/* Large allocations get a block of their own, kept behind the current one. */
			size_t rounded = (size + FC_ARENA_ALIGN - 1) & ~(size_t)(FC_ARENA_ALIGN - 1);
			struct fc_arena_block *big = fc_xmalloc(sizeof(*big) + rounded);

			big->size = rounded;
			big->used = rounded;
			if (b) {
				big->next = b->next;
				b->next = big;
			} else {
				big->next = NULL;
				a->head = big;
			}
			a->total += rounded;
			if (zero)
				memset(big->data, 0, rounded);
			return big->data;
		}
		b = fc_xmalloc(sizeof(*b) + bsize);
		b->size = bsize;
		b->used = 0;
		b->next = a->head;
		a->head = b;
		start = 0;
		if (a->block_size < 8 * 1024 * 1024)
			a->block_size *= 2;
	}
	p = b->data + start;
	a->total += start + size - b->used;
	b->used = start + size;
	if (zero)
		memset(p, 0, size);
	return p;
}

void *fc_arena_array(struct fc_arena *a, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		fc_die_oom(SIZE_MAX);
	return fc_arena_alloc(a, nmemb * size);
}

char *fc_arena_strndup(struct fc_arena *a, const char *s, size_t n)
{
	char *p;

	if (n >= SIZE_MAX - FC_ARENA_ALIGN)
		fc_die_oom(n);
	p = arena_alloc(a, n + 1, 1, false);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *fc_arena_strdup(struct fc_arena *a, const char *s)
{
	return fc_arena_strndup(a, s, strlen(s));
}

void *fc_arena_memdup(struct fc_arena *a, const void *p, size_t n)
{
	void *q = fc_arena_alloc_raw(a, n);

	if (n)
		memcpy(q, p, n);
	return q;
}

char *fc_arena_printf(struct fc_arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		FC_BUG("vsnprintf failed");
	p = arena_alloc(a, (size_t)n + 1, 1, false);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

static void *arena_pb_alloc(void *data, size_t size)
{
	/* protobuf-c allocates messages, strings and arrays of pointers or scalars: none needs more than this */
	return arena_alloc(data, size, sizeof(void *), true);
}

static void arena_pb_free(void *data, void *ptr)
{
	(void)data;
	(void)ptr;
}

ProtobufCAllocator *fc_arena_pb_allocator(struct fc_arena *a)
{
	a->pb.alloc = arena_pb_alloc;
	a->pb.free = arena_pb_free;
	a->pb.allocator_data = a;
	return &a->pb;
}
