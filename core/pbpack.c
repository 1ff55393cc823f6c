/* pbpack.c: protobuf wire bytes written back to front, each message visited once (pbpack.h). */
#include "core/pbpack.h"

#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

/*
 * The bytes grow downwards, back to front: a message's fields go in last to first, each value before its tag (so
 * the tag lands in front of it), a nested message before its length, which is then simply how far the writing
 * moved. Each message and string is visited once; protobuf-c visits a nested message again at every level above
 * it to size it, and once more to write it.
 *
 * The bytes go into a list of chunks, each filled from its end, the newest first in the output; at the end they
 * are copied, newest first, to the caller's buffer at the exact size, each chunk freed once copied (fc_pb_pack),
 * or handed over in order without a copy (fc_pb_pack_each), or kept and listed in order for a file writer that
 * takes pieces (fc_pb_pack_pieces). Growing one buffer instead and moving the bytes to
 * its front at the end was measured: the buffer doubles as it grows and the move touches all of it, up to twice
 * the message's size (30 MB more peak memory for a 100,000-node workflow).
 */
struct pbchunk {
	struct pbchunk *older;
	size_t size;
	size_t top; /* data[top, size) is written */
	uint8_t data[];
};

struct pbw {
	struct pbchunk *cur; /* the newest chunk */
	size_t done;         /* bytes written in the older chunks */
	size_t next_size;    /* size of the next chunk */
	struct fc_pb_ahead *ahead; /* bytes packed ahead, spliced in when its message is met (then emptied) */
};

#define PBW_FIRST_CHUNK 4096
#define PBW_MAX_CHUNK (1u << 20)

/* The most a tag (field numbers are below 2^29) and a varint take together. */
#define PBW_TAG_VARINT_MAX 15

/* A new newest chunk of at least n bytes (a long string or bytes value gets one of its own size). */
static void pbw_new_chunk(struct pbw *w, size_t n)
{
	size_t size = n > w->next_size ? n : w->next_size;
	struct pbchunk *c;

	if (size > SIZE_MAX - sizeof(*c))
		fc_die_oom(SIZE_MAX);
	c = fc_xmalloc(sizeof(*c) + size);
	c->older = w->cur;
	c->size = c->top = size;
	if (w->cur)
		w->done += w->cur->size - w->cur->top;
	w->cur = c;
	if (w->next_size < PBW_MAX_CHUNK)
		w->next_size *= 2;
}

/* Make room for n more contiguous bytes: the rest of a chunk too small is left unused. */
static inline void pbw_room(struct pbw *w, size_t n)
{
	if (w->cur->top < n)
		pbw_new_chunk(w, n);
}

static inline size_t pbw_used(const struct pbw *w)
{
	return w->done + (w->cur->size - w->cur->top);
}

static inline size_t varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* The put_* helpers write below top into room already made. */
static inline void put_varint(struct pbw *w, uint64_t v)
{
	uint8_t *p;

	w->cur->top -= varint_size(v);
	p = w->cur->data + w->cur->top;
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p = (uint8_t)v;
}

static inline void put_bytes(struct pbw *w, const void *data, size_t len)
{
	w->cur->top -= len;
	if (len)
		memcpy(w->cur->data + w->cur->top, data, len);
}

static inline void put_fixed(struct pbw *w, uint64_t v, unsigned width)
{
	uint8_t *p;
	unsigned i;

	w->cur->top -= width;
	p = w->cur->data + w->cur->top;
	for (i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t zigzag32(int32_t v)
{
	uint32_t u = (uint32_t)v;

	return (uint32_t)((u << 1) ^ (0u - (u >> 31)));
}

static inline uint64_t zigzag64(int64_t v)
{
	uint64_t u = (uint64_t)v;

	return (u << 1) ^ (0u - (u >> 63));
}

static inline uint32_t load32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t load64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void put_message(struct pbw *w, const ProtobufCMessage *m);

/* A varint value of a scalar field or packed element (int32 and enums sign-extend to ten bytes, as protobuf-c). */
static inline uint64_t varint_of(ProtobufCType type, const void *member)
{
	switch (type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_ENUM:
		return (uint64_t)(int64_t)(int32_t)load32(member);
	case PROTOBUF_C_TYPE_SINT32:
		return zigzag32((int32_t)load32(member));
	case PROTOBUF_C_TYPE_UINT32:
		return load32(member);
	case PROTOBUF_C_TYPE_SINT64:
		return zigzag64((int64_t)load64(member));
	case PROTOBUF_C_TYPE_BOOL:
		return *(const protobuf_c_boolean *)member ? 1 : 0;
	default: /* INT64, UINT64 */
		return load64(member);
	}
}

/* One value with its tag: what protobuf-c writes for a required field. */
static void put_value(struct pbw *w, const ProtobufCFieldDescriptor *f, const void *member)
{
	uint64_t tag = (uint64_t)f->id << 3;

	switch (f->type) {
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		pbw_room(w, PBW_TAG_VARINT_MAX);
		put_fixed(w, load32(member), 4);
		tag |= PROTOBUF_C_WIRE_TYPE_32BIT;
		break;
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		pbw_room(w, PBW_TAG_VARINT_MAX);
		put_fixed(w, load64(member), 8);
		tag |= PROTOBUF_C_WIRE_TYPE_64BIT;
		break;
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(const char *const *)member;
		size_t len = s ? strlen(s) : 0;

		pbw_room(w, len + 2 * PBW_TAG_VARINT_MAX);
		put_bytes(w, s, len);
		put_varint(w, len);
		tag |= PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
		break;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *bd = member;

		pbw_room(w, bd->len + 2 * PBW_TAG_VARINT_MAX);
		put_bytes(w, bd->data, bd->len);
		put_varint(w, bd->len);
		tag |= PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)member;
		size_t before = pbw_used(w);

		if (sub)
			put_message(w, sub);
		pbw_room(w, 2 * PBW_TAG_VARINT_MAX);
		put_varint(w, pbw_used(w) - before);
		tag |= PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
		break;
	}
	default:
		pbw_room(w, 2 * PBW_TAG_VARINT_MAX);
		put_varint(w, varint_of(f->type, member));
		tag |= PROTOBUF_C_WIRE_TYPE_VARINT;
		break;
	}
	put_varint(w, tag);
}

size_t fc_pb_elem_size(ProtobufCType type)
{
	switch (type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return sizeof(int32_t);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return sizeof(int64_t);
	case PROTOBUF_C_TYPE_FLOAT: return sizeof(float);
	case PROTOBUF_C_TYPE_DOUBLE: return sizeof(double);
	case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_ENUM: return sizeof(int);
	case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE: return sizeof(ProtobufCMessage *);
	}
	FC_BUG("unknown protobuf-c type %d", (int)type);
}

/* A packed repeated scalar: one tag, the payload's length, the elements without tags. */
static void put_packed(struct pbw *w, const ProtobufCFieldDescriptor *f, const char *array, size_t count)
{
	size_t before = pbw_used(w), step = fc_pb_elem_size(f->type), i;

	switch (f->type) {
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		for (i = count; i-- > 0;) {
			pbw_room(w, step);
			put_fixed(w, step == 4 ? load32(array + i * 4) : load64(array + i * 8), (unsigned)step);
		}
		break;
	default:
		for (i = count; i-- > 0;) {
			pbw_room(w, PBW_TAG_VARINT_MAX);
			put_varint(w, varint_of(f->type, array + i * step));
		}
		break;
	}
	pbw_room(w, 2 * PBW_TAG_VARINT_MAX);
	put_varint(w, pbw_used(w) - before);
	put_varint(w, ((uint64_t)f->id << 3) | PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
}

/* protobuf-c's test for an unlabeled (proto3) field it leaves out. */
static bool is_zeroish(const ProtobufCFieldDescriptor *f, const void *member)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_BOOL:
		return !*(const protobuf_c_boolean *)member;
	case PROTOBUF_C_TYPE_ENUM:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
		return !load32(member);
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
		return !load64(member);
	case PROTOBUF_C_TYPE_FLOAT:
		return *(const float *)member == 0; /* -0.0 too, as protobuf-c */
	case PROTOBUF_C_TYPE_DOUBLE:
		return *(const double *)member == 0;
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(const char *const *)member;

		return !s || !*s;
	}
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
		return !*(const void *const *)member;
	}
	return true;
}

static void put_field(struct pbw *w, const ProtobufCFieldDescriptor *f, const ProtobufCMessage *m)
{
	const void *member = (const char *)m + f->offset;
	const void *quantifier = (const char *)m + f->quantifier_offset;
	bool pointer = f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING;

	switch (f->label) {
	case PROTOBUF_C_LABEL_REQUIRED:
		put_value(w, f, member);
		return;
	case PROTOBUF_C_LABEL_OPTIONAL:
	case PROTOBUF_C_LABEL_NONE:
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			const void *p = pointer ? *(const void *const *)member : NULL;

			if (*(const uint32_t *)quantifier != f->id || (pointer && (!p || p == f->default_value)))
				return;
		} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL) {
			if (pointer) {
				const void *p = *(const void *const *)member;

				if (!p || p == f->default_value)
					return;
			} else if (!*(const protobuf_c_boolean *)quantifier) {
				return;
			}
		} else if (is_zeroish(f, member)) {
			return;
		}
		put_value(w, f, member);
		return;
	case PROTOBUF_C_LABEL_REPEATED: {
		size_t count = *(const size_t *)quantifier, step = fc_pb_elem_size(f->type), i;
		const char *array = *(const char *const *)member;

		if (!count)
			return;
		if (f->flags & PROTOBUF_C_FIELD_FLAG_PACKED) {
			put_packed(w, f, array, count);
			return;
		}
		for (i = count; i-- > 0;)
			put_value(w, f, array + i * step);
		return;
	}
	}
}

/* Put the chunks packed ahead in front of what is written: they become the newest, the writing goes on below the
 * top of the first of them. */
static void pbw_splice(struct pbw *w, struct fc_pb_ahead *a)
{
	struct pbchunk *newest = a->chunks, *c;

	w->done += w->cur->size - w->cur->top;
	for (c = newest; c->older; c = c->older)
		w->done += c->older->size - c->older->top;
	c->older = w->cur;
	w->cur = newest;
	a->chunks = NULL;
}

/* Its unknown fields, which protobuf-c writes after the known ones. */
static void put_unknown(struct pbw *w, const ProtobufCMessage *m)
{
	size_t i;

	for (i = m->n_unknown_fields; i-- > 0;) {
		const ProtobufCMessageUnknownField *u = &m->unknown_fields[i];

		pbw_room(w, u->len + PBW_TAG_VARINT_MAX);
		put_bytes(w, u->data, u->len);
		put_varint(w, ((uint64_t)u->tag << 3) | u->wire_type);
	}
}

/* Its fields [from, to) of the descriptor, in order (so written last to first). */
static void put_fields(struct pbw *w, const ProtobufCMessage *m, size_t from, size_t to)
{
	while (to-- > from)
		put_field(w, &m->descriptor->fields[to], m);
}

static void put_message(struct pbw *w, const ProtobufCMessage *m)
{
	if (w->ahead && w->ahead->msg == m && w->ahead->chunks) {
		/* its fields from `from` on and its unknown fields are already bytes */
		size_t from = w->ahead->from;

		pbw_splice(w, w->ahead);
		put_fields(w, m, 0, from);
		return;
	}
	put_unknown(w, m);
	put_fields(w, m, 0, m->descriptor->n_fields);
}

/* A writer with its first chunk; `ahead` (NULL: none) is spliced in where its message is met. */
static void pbw_init(struct pbw *w, struct fc_pb_ahead *ahead)
{
	*w = (struct pbw){NULL, 0, PBW_FIRST_CHUNK, ahead};
	pbw_new_chunk(w, 0);
}

/* Pack `msg` into chunks; *used gets the length. The newest chunk holds the first bytes. */
static struct pbchunk *pack_chunks(const ProtobufCMessage *msg, struct fc_pb_ahead *ahead, size_t *used)
{
	struct pbw w;

	pbw_init(&w, ahead);
	put_message(&w, msg);
	*used = pbw_used(&w);
	return w.cur;
}

/* Hand the bytes of chunks `c` (newest first) to `fn` in order, freeing each once handed. */
static void hand_over(struct pbchunk *c, fc_pb_bytes_fn *fn, void *ctx)
{
	struct pbchunk *older;

	for (; c; c = older) {
		older = c->older;
		if (c->size > c->top)
			fn(ctx, c->data + c->top, c->size - c->top);
		free(c);
	}
}

static void free_chunks(struct pbchunk *c)
{
	struct pbchunk *older;

	for (; c; c = older) {
		older = c->older;
		free(c);
	}
}

size_t fc_pb_pack(const ProtobufCMessage *msg, struct fc_buf *out)
{
	struct pbchunk *c, *older;
	size_t used;
	char *p;

	c = pack_chunks(msg, NULL, &used);
	/* over the buffer's cap: nothing appended, the sticky error set */
	p = used && fc_buf_grow(out, used) ? out->buf + out->len : NULL;
	for (; c; c = older) {
		older = c->older;
		if (p) {
			memcpy(p, c->data + c->top, c->size - c->top);
			p += c->size - c->top;
		}
		free(c);
	}
	if (!p)
		return 0;
	out->len += used;
	out->buf[out->len] = '\0';
	return used;
}

size_t fc_pb_pack_each(const ProtobufCMessage *msg, fc_pb_bytes_fn *fn, void *ctx)
{
	size_t used;

	hand_over(pack_chunks(msg, NULL, &used), fn, ctx);
	return used;
}

/* List the chunks of `c` (newest first), `used` bytes in all, as pieces in order. */
static void list_pieces(struct pbchunk *c, size_t used, struct fc_pb_pieces *out)
{
	size_t n = 0;

	out->len = used;
	out->chunks = c;
	for (; c; c = c->older)
		n++;
	out->pieces = fc_xmalloc(n * sizeof(*out->pieces));
	out->npieces = 0;
	for (c = out->chunks; c; c = c->older)
		if (c->size > c->top) {
			out->pieces[out->npieces].data = c->data + c->top;
			out->pieces[out->npieces++].len = c->size - c->top;
		}
}

void fc_pb_pack_pieces(const ProtobufCMessage *msg, struct fc_pb_pieces *out)
{
	fc_pb_pack_pieces_with(msg, NULL, out);
}

void fc_pb_pieces_release(struct fc_pb_pieces *p)
{
	free_chunks(p->chunks);
	free(p->pieces);
	memset(p, 0, sizeof(*p));
}

void fc_pb_pack_ahead(const ProtobufCMessage *msg, unsigned from, struct fc_pb_ahead *out)
{
	struct pbw w;

	if (from > msg->descriptor->n_fields)
		FC_BUG("fc_pb_pack_ahead: field index %u of %u", from, msg->descriptor->n_fields);
	pbw_init(&w, NULL);
	put_unknown(&w, msg);
	put_fields(&w, msg, from, msg->descriptor->n_fields);
	out->msg = msg;
	out->from = from;
	out->len = pbw_used(&w);
	out->chunks = w.cur;
}

size_t fc_pb_ahead_each(const struct fc_pb_ahead *a, fc_pb_bytes_fn *fn, void *ctx)
{
	struct pbchunk *c;
	struct pbw w;
	size_t used;

	pbw_init(&w, NULL);
	put_fields(&w, a->msg, 0, a->from);
	used = pbw_used(&w);
	hand_over(w.cur, fn, ctx);
	for (c = a->chunks; c; c = c->older)
		if (c->size > c->top)
			fn(ctx, c->data + c->top, c->size - c->top);
	return used + a->len;
}

void fc_pb_pack_pieces_with(const ProtobufCMessage *msg, struct fc_pb_ahead *a, struct fc_pb_pieces *out)
{
	size_t used;
	struct pbchunk *c = pack_chunks(msg, a, &used);

	list_pieces(c, used, out);
}

void fc_pb_ahead_release(struct fc_pb_ahead *a)
{
	free_chunks(a->chunks);
	memset(a, 0, sizeof(*a));
}
