/*
 * fuzz_pbjson.c: libFuzzer target for the proto3 JSON / YAML mapping (core/pbjson.h, core/yamljson.h).
 *
 * Arbitrary bytes are decoded as JSON (and as YAML) into flyteidl.core.WorkflowClosure and
 * flyteidl.admin.LaunchPlan, with the arena allocator and with malloc (so leaks of partial messages show up).
 * Whatever decodes must re-encode, and the re-encoding must be a fixed point: decoding it again, or packing to
 * protobuf and unpacking, or going through YAML, gives the same JSON text again.
 *
 *   make build/fuzz/fuzz_pbjson && build/fuzz/fuzz_pbjson -max_total_time=300 -rss_limit_mb=2048 CORPUS_DIR
 */
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/pbjson.h"
#include "core/yamljson.h"

#include "flyteidl/admin/launch_plan.pb-c.h"
#include "flyteidl/core/identifier.pb-c.h"
#include "flyteidl/core/literals.pb-c.h"
#include "flyteidl/core/workflow_closure.pb-c.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT (1024 * 1024)

static void check_same(const char *what, const struct fc_buf *a, const struct fc_buf *b)
{
	if (a->len != b->len || memcmp(a->buf, b->buf, a->len))
		FC_BUG("%s changed the JSON:\n%s\n---\n%s", what, a->buf, b->buf);
}

/* `msg` decoded from fuzz input: its encoding must be stable through every way back. */
static void check_fixed_point(const ProtobufCMessage *msg)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	struct fc_buf first = FC_BUF_INIT, again = FC_BUF_INIT, yaml = FC_BUF_INIT;
	struct fc_arena arena;
	struct fc_err err;
	ProtobufCMessage *back = NULL, *unpacked;
	uint8_t *packed;
	size_t packed_len;

	fc_arena_init(&arena, 0);
	/* Whatever was decoded can be encoded: strings are UTF-8, times in range, Any types registered. */
	if (fc_pbjson_encode_buf(msg, 0, &first, &err))
		FC_BUG("encoding a decoded message failed: %s", err.msg);
	if (fc_pbjson_encode_buf(msg, FC_PBJSON_PRETTY | FC_PBJSON_EMIT_DEFAULTS | FC_PBJSON_SORT_MAPS, &again, &err))
		FC_BUG("pretty encoding failed after compact succeeded: %s", err.msg);

	/* JSON text -> message -> JSON text. */
	if (fc_pbjson_decode_text(first.buf, first.len, d, fc_arena_pb_allocator(&arena), 0, &back, &err))
		FC_BUG("our own JSON does not decode: %s\n%s", err.msg, first.buf);
	fc_buf_reset(&again);
	if (fc_pbjson_encode_buf(back, 0, &again, &err))
		FC_BUG("re-encoding failed: %s", err.msg);
	check_same("JSON round trip", &first, &again);

	/* Binary: pack, unpack, encode. */
	packed_len = protobuf_c_message_get_packed_size(msg);
	packed = malloc(packed_len ? packed_len : 1);
	protobuf_c_message_pack(msg, packed);
	unpacked = protobuf_c_message_unpack(d, NULL, packed_len, packed);
	free(packed);
	if (!unpacked)
		FC_BUG("protobuf-c cannot unpack what it packed");
	fc_buf_reset(&again);
	if (fc_pbjson_encode_buf(unpacked, 0, &again, &err))
		FC_BUG("encoding the unpacked message failed: %s", err.msg);
	protobuf_c_message_free_unpacked(unpacked, NULL);
	check_same("protobuf round trip", &first, &again);

	/* YAML. */
	if (fc_pbjson_encode_yaml(msg, 0, &yaml, &err))
		FC_BUG("YAML encoding failed: %s", err.msg);
	back = NULL;
	if (fc_pbjson_decode_yaml_text(yaml.buf, yaml.len, d, fc_arena_pb_allocator(&arena), 0, &back, &err))
		FC_BUG("our own YAML does not decode: %s\n%s", err.msg, yaml.buf);
	fc_buf_reset(&again);
	if (fc_pbjson_encode_buf(back, 0, &again, &err))
		FC_BUG("re-encoding from YAML failed: %s", err.msg);
	check_same("YAML round trip", &first, &again);
	fc_buf_release(&first);
	fc_buf_release(&again);
	fc_buf_release(&yaml);
	fc_arena_release(&arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const ProtobufCMessageDescriptor *const types[] = {
		&flyteidl__core__workflow_closure__descriptor,
		&flyteidl__admin__launch_plan__descriptor,
	};
	static bool registered;
	const char *text = (const char *)data;
	size_t i;

	if (size > MAX_INPUT)
		return 0;
	if (!registered) {
		fc_pbjson_register(&flyteidl__core__identifier__descriptor);
		fc_pbjson_register(&flyteidl__core__literal__descriptor);
		fc_pbjson_register(&flyteidl__admin__launch_plan__descriptor);
		registered = true;
	}
	for (i = 0; i < FC_ARRAY_LEN(types); i++) {
		struct fc_arena arena;
		struct fc_err err;
		ProtobufCMessage *msg = NULL;

		fc_arena_init(&arena, 0);
		if (!fc_pbjson_decode_text(text, size, types[i], fc_arena_pb_allocator(&arena), 0, &msg, &err))
			check_fixed_point(msg);
		/* malloc allocator: failures must free what they built, successes must be freeable. */
		if (!fc_pbjson_decode_text(text, size, types[i], NULL, FC_PBJSON_IGNORE_UNKNOWN, &msg, &err))
			protobuf_c_message_free_unpacked(msg, NULL);
		msg = NULL;
		if (!fc_pbjson_decode_yaml_text(text, size, types[i], fc_arena_pb_allocator(&arena), 0, &msg, &err))
			check_fixed_point(msg);
		fc_arena_release(&arena);
	}
	return 0;
}
