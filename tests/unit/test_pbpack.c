/*
 * test_pbpack.c: the protobuf writer (core/pbpack.h) against protobuf-c, byte for byte.
 *
 * A message type built here by hand holds every field type in every shape protobuf-c knows (required, optional
 * with a has flag, proto3 unlabeled, oneof member, repeated, packed repeated), nested in itself, with unknown
 * fields; thousands of random values of it (zeros, negatives, -0.0, NaN, long strings, large field numbers) must
 * pack to the bytes protobuf_c_message_pack() gives. Then Flyte's own test data and the buffer's contract
 * (appending after what is there, the size cap).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/unit/test_data.h"

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/pbpack.h"

#include "flyteidl/admin/launch_plan.pb-c.h"
#include "flyteidl/admin/task.pb-c.h"
#include "flyteidl/admin/workflow.pb-c.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- a message type with every kind of field ------------------------------------------------------------- */

enum shape { SHAPE_REQUIRED, SHAPE_OPTIONAL, SHAPE_NONE, SHAPE_ONEOF, SHAPE_REPEATED, SHAPE_PACKED, NSHAPES };

#define NTYPES (PROTOBUF_C_TYPE_MESSAGE + 1)
#define NFIELDS (NTYPES * NSHAPES)
#define SLOT 32 /* each field's value at the start of its slot, its has flag / case / count at QUANT */
#define QUANT 24

struct every {
	ProtobufCMessage base;
	_Alignas(8) unsigned char slots[NFIELDS * SLOT];
};

static ProtobufCFieldDescriptor every_fields[NFIELDS];
static ProtobufCMessageDescriptor every_desc;
static size_t every_nfields;

static void every_init(void)
{
	size_t k = 0;
	int t, s;

	if (every_nfields)
		return;
	for (t = 0; t < NTYPES; t++) {
		for (s = 0; s < NSHAPES; s++) {
			ProtobufCFieldDescriptor *f = &every_fields[k];
			size_t at = offsetof(struct every, slots) + (size_t)(t * NSHAPES + s) * SLOT;

			if (s == SHAPE_PACKED && t >= PROTOBUF_C_TYPE_STRING)
				continue;
			f->name = "f";
			/* small numbers and some that need 3, 4 and 5 bytes of tag */
			f->id = (uint32_t)(k + 1) << (k % 5 == 4 ? 22 : k % 5 == 3 ? 12 : 0);
			f->label = s == SHAPE_REQUIRED   ? PROTOBUF_C_LABEL_REQUIRED
				   : s == SHAPE_OPTIONAL ? PROTOBUF_C_LABEL_OPTIONAL
				   : s == SHAPE_NONE     ? PROTOBUF_C_LABEL_NONE
				   : s == SHAPE_ONEOF    ? (k % 2 ? PROTOBUF_C_LABEL_NONE : PROTOBUF_C_LABEL_OPTIONAL)
							 : PROTOBUF_C_LABEL_REPEATED;
			f->type = (ProtobufCType)t;
			f->offset = (unsigned)at;
			f->quantifier_offset = (unsigned)(at + QUANT);
			f->descriptor = t == PROTOBUF_C_TYPE_MESSAGE ? &every_desc : NULL;
			f->flags = s == SHAPE_PACKED ? PROTOBUF_C_FIELD_FLAG_PACKED
				   : s == SHAPE_ONEOF ? PROTOBUF_C_FIELD_FLAG_ONEOF
						      : 0;
			k++;
		}
	}
	every_nfields = k;
	every_desc.magic = PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC;
	every_desc.name = every_desc.short_name = every_desc.c_name = "Every";
	every_desc.package_name = "";
	every_desc.sizeof_message = sizeof(struct every);
	every_desc.n_fields = (unsigned)k;
	every_desc.fields = every_fields;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Integers with the edges that change an encoding's length: zero, one-byte, multi-byte, negative, all ones. */
static uint64_t rnd_int(void)
{
	static const uint64_t edges[] = {0, 1, 127, 128, 16383, 16384, 0x7fffffff, 0x80000000u, 0xffffffffu,
					 (uint64_t)-1, (uint64_t)-2, (uint64_t)1 << 63, 0xffffffff00000000u};

	switch (rnd() % 4) {
	case 0:
		return edges[rnd() % FC_ARRAY_LEN(edges)];
	case 1:
		return rnd() % 300;
	default:
		return rnd() >> (rnd() % 64);
	}
}

static void fill_scalar(ProtobufCType t, void *member)
{
	static const float floats[] = {0.0f, -0.0f, 1.5f, -3e38f, 1e-40f};
	static const double doubles[] = {0.0, -0.0, 2.25, -1e308, 5e-324};
	uint64_t v = rnd_int();
	uint32_t v32 = (uint32_t)v;

	switch (t) {
	case PROTOBUF_C_TYPE_FLOAT: {
		float x = rnd() % 6 ? floats[rnd() % FC_ARRAY_LEN(floats)] : NAN;

		memcpy(member, &x, sizeof(x));
		break;
	}
	case PROTOBUF_C_TYPE_DOUBLE: {
		double x = rnd() % 6 ? doubles[rnd() % FC_ARRAY_LEN(doubles)] : NAN;

		memcpy(member, &x, sizeof(x));
		break;
	}
	case PROTOBUF_C_TYPE_BOOL: {
		protobuf_c_boolean b = (protobuf_c_boolean)(rnd() % 3); /* 2 must be written as 1 */

		memcpy(member, &b, sizeof(b));
		break;
	}
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		memcpy(member, &v, sizeof(v));
		break;
	default:
		memcpy(member, &v32, sizeof(v32));
		break;
	}
}

static char *rnd_string(struct fc_arena *a)
{
	size_t len = rnd() % 4 ? rnd() % 20 : rnd() % 400, i;
	char *s = fc_arena_alloc(a, len + 1);

	for (i = 0; i < len; i++)
		s[i] = (char)('a' + rnd() % 26);
	return s;
}

static struct every *rnd_every(struct fc_arena *a, unsigned depth);

/* One value of type t at member; repeated elements are never NULL (protobuf-c would crash sizing them). */
static void fill_value(struct fc_arena *a, ProtobufCType t, void *member, unsigned depth, bool element)
{
	switch (t) {
	case PROTOBUF_C_TYPE_STRING: {
		char *s = !element && rnd() % 5 == 0 ? NULL : rnd_string(a);

		memcpy(member, &s, sizeof(s));
		break;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData bd = {0, NULL};

		if (rnd() % 4) {
			bd.len = rnd() % 2 ? rnd() % 10 : rnd() % 300;
			bd.data = fc_arena_alloc(a, bd.len + 1);
			for (size_t i = 0; i < bd.len; i++)
				bd.data[i] = (uint8_t)rnd();
		}
		memcpy(member, &bd, sizeof(bd));
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		struct every *sub = (element || depth < 3) && (element || rnd() % 3) ? rnd_every(a, depth + 1) : NULL;

		memcpy(member, &sub, sizeof(sub));
		break;
	}
	default:
		fill_scalar(t, member);
		break;
	}
}

static struct every *rnd_every(struct fc_arena *a, unsigned depth)
{
	struct every *m = fc_arena_alloc(a, sizeof(*m));
	size_t k;

	m->base.descriptor = &every_desc;
	for (k = 0; k < every_nfields; k++) {
		const ProtobufCFieldDescriptor *f = &every_fields[k];
		char *member = (char *)m + f->offset, *quant = (char *)m + f->quantifier_offset;

		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t count = depth >= 3 && f->type == PROTOBUF_C_TYPE_MESSAGE ? 0
				       : rnd() % 3			      ? rnd() % 4
				       : f->flags & PROTOBUF_C_FIELD_FLAG_PACKED ? rnd() % 200
										  : rnd() % 8;
			char *array = count ? fc_arena_alloc(a, count * fc_pb_elem_size(f->type)) : NULL;

			for (size_t i = 0; i < count; i++)
				fill_value(a, f->type, array + i * fc_pb_elem_size(f->type), depth, true);
			memcpy(member, &array, sizeof(array));
			memcpy(quant, &count, sizeof(count));
			continue;
		}
		if (f->type == PROTOBUF_C_TYPE_MESSAGE && depth >= 3 && f->label == PROTOBUF_C_LABEL_REQUIRED)
			continue; /* a NULL required message: written as an empty one */
		if (rnd() % 4)
			fill_value(a, f->type, member, depth, false);
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t c = rnd() % 2 ? f->id : (uint32_t)(rnd() % 3);

			memcpy(quant, &c, sizeof(c));
		} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL) {
			protobuf_c_boolean has = (protobuf_c_boolean)(rnd() % 2);

			memcpy(quant, &has, sizeof(has));
		}
	}
	if (rnd() % 3 == 0) {
		static const ProtobufCWireType wires[] = {PROTOBUF_C_WIRE_TYPE_VARINT, PROTOBUF_C_WIRE_TYPE_64BIT,
							  PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
							  PROTOBUF_C_WIRE_TYPE_32BIT};

		m->base.n_unknown_fields = 1 + rnd() % 3;
		m->base.unknown_fields = fc_arena_alloc(a, m->base.n_unknown_fields * sizeof(*m->base.unknown_fields));
		for (size_t i = 0; i < m->base.n_unknown_fields; i++) {
			ProtobufCMessageUnknownField *u = &m->base.unknown_fields[i];

			u->tag = 1000 + (uint32_t)(rnd() % 100000);
			u->wire_type = wires[rnd() % 4];
			u->len = rnd() % 200;
			u->data = fc_arena_alloc(a, u->len + 1);
			for (size_t j = 0; j < u->len; j++)
				u->data[j] = (uint8_t)rnd();
		}
	}
	return m;
}

static void gather(void *ctx, const void *data, size_t len)
{
	assert_true(len > 0);
	fc_buf_add(ctx, data, len);
}

/* `inner` (inside `outer`, or `outer` itself) packed ahead from field index `from`: fc_pb_ahead_each must give
 * inner's bytes, and `outer` packed with them spliced in must be `want` (`size` bytes). */
static bool ahead_same(const ProtobufCMessage *outer, const ProtobufCMessage *inner, unsigned from, const uint8_t *want,
		       size_t size, const char *what)
{
	struct fc_pb_ahead ahead;
	struct fc_pb_pieces kept;
	struct fc_buf inner_bytes = FC_BUF_INIT, each = FC_BUF_INIT, joined = FC_BUF_INIT;
	size_t k, n;
	bool ok;

	fc_pb_pack(inner, &inner_bytes);
	fc_pb_pack_ahead(inner, from, &ahead);
	n = fc_pb_ahead_each(&ahead, gather, &each);
	ok = n == inner_bytes.len && each.len == n && !memcmp(each.buf, inner_bytes.buf, n);
	fc_pb_pack_pieces_with(outer, &ahead, &kept);
	assert_null(ahead.chunks);
	for (k = 0; k < kept.npieces; k++)
		fc_buf_add(&joined, kept.pieces[k].data, kept.pieces[k].len);
	ok = ok && kept.len == size && joined.len == size && !memcmp(joined.buf, want, size);
	if (!ok)
		print_message("%s: packed ahead from field %u: %zu bytes handed over (want %zu), %zu spliced (want %zu)\n",
			      what, from, each.len, inner_bytes.len, joined.len, size);
	fc_pb_pieces_release(&kept);
	fc_pb_ahead_release(&ahead);
	fc_buf_release(&inner_bytes);
	fc_buf_release(&each);
	fc_buf_release(&joined);
	return ok;
}

/* fc_pb_pack appended after `prefix`, and fc_pb_pack_each's pieces joined, must equal protobuf-c's bytes; returns
 * false after printing where not. */
static bool same_as_protobuf_c(const ProtobufCMessage *m, const char *what)
{
	size_t size = protobuf_c_message_get_packed_size(m), n, i = 0;
	uint8_t *want = malloc(size ? size : 1);
	struct fc_buf out = FC_BUF_INIT;
	bool ok;

	assert_non_null(want);
	assert_int_equal(protobuf_c_message_pack(m, want), size);
	fc_buf_adds(&out, "prefix");
	n = fc_pb_pack(m, &out);
	ok = n == size && out.len == 6 + size && !memcmp(out.buf, "prefix", 6) && !memcmp(out.buf + 6, want, size) &&
	     out.buf[out.len] == '\0';
	if (ok) {
		struct fc_buf pieces = FC_BUF_INIT;

		ok = fc_pb_pack_each(m, gather, &pieces) == size && pieces.len == size && !memcmp(pieces.buf, want, size);
		if (!ok)
			print_message("%s: fc_pb_pack_each gave %zu bytes, protobuf-c %zu\n", what, pieces.len, size);
		fc_buf_release(&pieces);
		if (!ok)
			goto out;
	}
	if (ok) {
		struct fc_pb_pieces kept;
		struct fc_buf joined = FC_BUF_INIT;
		size_t k;

		fc_pb_pack_pieces(m, &kept);
		for (k = 0; k < kept.npieces; k++) {
			ok = ok && kept.pieces[k].len > 0;
			fc_buf_add(&joined, kept.pieces[k].data, kept.pieces[k].len);
		}
		ok = ok && kept.len == size && joined.len == size && !memcmp(joined.buf, want, size);
		if (!ok)
			print_message("%s: fc_pb_pack_pieces gave %zu bytes in %zu pieces, protobuf-c %zu\n", what,
				      joined.len, kept.npieces, size);
		fc_buf_release(&joined);
		fc_pb_pieces_release(&kept);
		if (!ok)
			goto out;
	}
	if (ok) {
		/* the fields from `from` on packed ahead: handed over with the rest, and spliced in at the top */
		unsigned from;

		for (from = 0; from <= m->descriptor->n_fields && ok; from += m->descriptor->n_fields / 2 + 1)
			ok = ahead_same(m, m, from, want, size, what);
	}
	if (!ok) {
		while (i < size && i < n && (uint8_t)out.buf[6 + i] == want[i])
			i++;
		print_message("%s: %zu bytes, protobuf-c %zu; first difference at %zu\n", what, n, size, i);
	}
out:
	fc_buf_release(&out);
	free(want);
	return ok;
}

static void test_every_field_kind(void **state)
{
	struct fc_arena a;
	size_t bytes = 0;
	int i;

	(void)state;
	every_init();
	assert_true(every_nfields == NTYPES * NSHAPES - (PROTOBUF_C_TYPE_MESSAGE + 1 - PROTOBUF_C_TYPE_STRING));
	fc_arena_init(&a, 0);
	for (i = 0; i < 3000; i++) {
		struct every *m = rnd_every(&a, i % 4);
		char what[64];

		snprintf(what, sizeof(what), "random message %d", i);
		bytes += protobuf_c_message_get_packed_size(&m->base);
		assert_true(same_as_protobuf_c(&m->base, what));
		if (i % 100 == 99) {
			fc_arena_release(&a);
			fc_arena_init(&a, 0);
		}
	}
	print_message("3000 random messages, %zu bytes, identical to protobuf-c\n", bytes);
	fc_arena_release(&a);
}

static void test_empty_and_into_empty_buffer(void **state)
{
	struct every m;
	struct fc_buf out = FC_BUF_INIT;

	(void)state;
	every_init();
	memset(&m, 0, sizeof(m));
	m.base.descriptor = &every_desc;
	/* only the required fields are written: zeros, empty strings and empty messages */
	assert_true(same_as_protobuf_c(&m.base, "all zero"));
	/* a message with no bytes at all leaves the buffer as it was */
	{
		Flyteidl__Admin__TaskSpec spec = FLYTEIDL__ADMIN__TASK_SPEC__INIT;

		assert_int_equal(fc_pb_pack(&spec.base, &out), 0);
		assert_int_equal(out.len, 0);
		assert_string_equal(out.buf, "");
	}
	fc_buf_release(&out);
}

static void test_size_cap(void **state)
{
	struct fc_arena a;
	struct every *m;
	struct fc_buf out = FC_BUF_INIT;
	size_t size;

	(void)state;
	every_init();
	fc_arena_init(&a, 0);
	do
		m = rnd_every(&a, 0);
	while ((size = protobuf_c_message_get_packed_size(&m->base)) < 1000);
	fc_buf_adds(&out, "abc");
	fc_buf_set_cap(&out, 3 + size - 1);
	assert_int_equal(fc_pb_pack(&m->base, &out), 0);
	assert_int_equal(fc_buf_error(&out), FC_ELIMIT);
	assert_int_equal(out.len, 3);
	assert_string_equal(out.buf, "abc");
	/* once the error is cleared, a cap the message fits takes it */
	fc_buf_reset(&out);
	fc_buf_set_cap(&out, 3 + size);
	fc_buf_adds(&out, "abc");
	assert_int_equal(fc_pb_pack(&m->base, &out), size);
	assert_int_equal(out.len, 3 + size);
	fc_buf_release(&out);
	fc_arena_release(&a);
}

/* Values larger than the writer's chunks (1 MiB) and many chunks' worth of small ones. */
static void test_large_values(void **state)
{
	struct fc_arena a;
	struct every *m;
	size_t k, big = (3u << 20) + 7;

	(void)state;
	every_init();
	fc_arena_init(&a, 0);
	m = rnd_every(&a, 0);
	for (k = 0; k < every_nfields; k++) {
		const ProtobufCFieldDescriptor *f = &every_fields[k];

		if (f->label == PROTOBUF_C_LABEL_REQUIRED && f->type == PROTOBUF_C_TYPE_BYTES) {
			ProtobufCBinaryData bd = {big, fc_arena_alloc(&a, big)};

			memset(bd.data, 0xab, big);
			memcpy((char *)m + f->offset, &bd, sizeof(bd));
		} else if (f->label == PROTOBUF_C_LABEL_REQUIRED && f->type == PROTOBUF_C_TYPE_STRING) {
			char *s = fc_arena_alloc(&a, big + 1);

			memset(s, 'x', big);
			memcpy((char *)m + f->offset, &s, sizeof(s));
		}
	}
	assert_true(same_as_protobuf_c(&m->base, "3 MiB string and bytes"));
	{
		/* the pieces of a message over several chunks, written as one file */
		char dir[] = "/tmp/test_pbpack.XXXXXX", path[64];
		struct fc_pb_pieces kept;
		struct fc_buf packed = FC_BUF_INIT, read = FC_BUF_INIT;
		struct fc_err err = {0};

		assert_non_null(mkdtemp(dir));
		snprintf(path, sizeof(path), "%s/m.pb", dir);
		fc_pb_pack_pieces(&m->base, &kept);
		assert_true(kept.npieces > 2);
		assert_int_equal(fc_write_file_atomicv(path, kept.pieces, kept.npieces, false, &err), FC_OK);
		assert_int_equal(fc_buf_read_file(&read, path, 0, &err), FC_OK);
		fc_pb_pack(&m->base, &packed);
		assert_int_equal(read.len, packed.len);
		assert_memory_equal(read.buf, packed.buf, packed.len);
		fc_pb_pieces_release(&kept);
		fc_buf_release(&packed);
		fc_buf_release(&read);
		unlink(path);
		rmdir(dir);
	}
	fc_arena_release(&a);
}

/* Flyte's own messages: every TaskSpec, WorkflowSpec and LaunchPlan `pyflyte package` wrote. */
static void test_flyte_test_data(void **state)
{
	char **paths;
	size_t n, i, done = 0, spliced = 0;

	(void)state;
	if (!have_shared_data(SNACKS_DIR))
		skip();
	n = data_list_files(SNACKS_DIR, ".pb", &paths);
	for (i = 0; i < n; i++) {
		const ProtobufCMessageDescriptor *d = data_has_suffix(paths[i], "_1.pb")   ? &flyteidl__admin__task_spec__descriptor
						      : data_has_suffix(paths[i], "_2.pb") ? &flyteidl__admin__workflow_spec__descriptor
						      : data_has_suffix(paths[i], "_3.pb") ? &flyteidl__admin__launch_plan__descriptor
											    : NULL;
		struct fc_buf raw = FC_BUF_INIT;
		struct fc_err err;
		ProtobufCMessage *m;

		if (!d)
			continue;
		assert_int_equal(fc_buf_read_file(&raw, paths[i], 0, &err), 0);
		m = protobuf_c_message_unpack(d, NULL, raw.len, (const uint8_t *)raw.buf);
		assert_non_null(m);
		assert_true(same_as_protobuf_c(m, paths[i]));
		if (d == &flyteidl__admin__workflow_spec__descriptor) {
			/* a workflow template packed ahead from its second field (as the compiler does for its hash) and
			 * spliced into the spec that holds it */
			const Flyteidl__Admin__WorkflowSpec *spec = (const Flyteidl__Admin__WorkflowSpec *)m;

			if (spec->template_) {
				assert_true(ahead_same(m, &spec->template_->base, 1, (const uint8_t *)raw.buf, raw.len,
						       paths[i]));
				spliced++;
			}
		}
		protobuf_c_message_free_unpacked(m, NULL);
		fc_buf_release(&raw);
		done++;
	}
	print_message("%zu of Flyte's messages identical to protobuf-c, %zu workflow templates spliced\n", done,
		      spliced);
	assert_true(done > 100);
	assert_true(spliced > 20);
	data_free_list(paths, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_field_kind),
		cmocka_unit_test(test_empty_and_into_empty_buffer),
		cmocka_unit_test(test_size_cap),
		cmocka_unit_test(test_large_values),
		cmocka_unit_test(test_flyte_test_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
