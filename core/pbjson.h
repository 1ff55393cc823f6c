/*
 * pbjson.h: the project's one proto3 JSON mapping, for any protobuf-c message.
 *
 * Encoding and decoding walk the protobuf-c descriptors (no generated code per message) and follow the proto3
 * JSON mapping: lowerCamelCase field names on output (both lowerCamelCase and the proto name accepted on input),
 * enums by name, 64-bit integers as strings, bytes as base64, NaN/Infinity as strings, maps as objects, and the
 * well-known types (Timestamp, Duration, Struct/Value/ListValue/NullValue, the wrappers, Empty, Any) in their
 * JSON forms. Output matches Go's jsonpb/protojson: scalars at their default value and empty repeated fields and
 * maps are omitted (unless FC_PBJSON_EMIT_DEFAULTS), a present sub-message is emitted even when empty, and fields
 * come in field-number order, so the same message always encodes to the same bytes.
 *
 * Map entries are written in the message's own order by default and read back in the JSON text's order, so
 * binary -> JSON -> binary is byte-identical (flytekit writes maps in insertion order, not sorted).
 * FC_PBJSON_SORT_MAPS sorts keys the way Go does (strings bytewise, integers numerically), for a canonical text
 * that does not depend on how a map was filled.
 *
 * Decoding is strict: unknown fields (unless FC_PBJSON_IGNORE_UNKNOWN), wrong JSON types, unknown enum names,
 * out-of-range integers, bad base64, two members of one oneof, nesting deeper than FC_PBJSON_MAX_DEPTH and Any
 * inside Any more than 8 deep (each level copies its contents again) are errors, and every message starts with
 * the JSON path of the offending value:
 *   $.primary.template.nodes[3].taskNode.referenceId.resourceType: unknown enum value "TASKX" for ...
 *
 * Ownership (see fc.h): arguments are borrowed. fc_pbjson_encode() returns a new reference the caller must
 * json_decref(). Decoded messages are allocated with the caller's ProtobufCAllocator (usually an arena's,
 * fc_arena_pb_allocator()); with a freeing allocator (or NULL for protobuf-c's malloc one) release them with
 * protobuf_c_message_free_unpacked(msg, alloc). On failure nothing is returned and nothing is leaked.
 *
 * Limits and known deviations from the proto3 JSON mapping:
 *  - uint64/fixed64 values above INT64_MAX must be given as JSON strings (jansson cannot hold larger numbers).
 *  - `json_name` options are not visible in protobuf-c descriptors; names are derived from the proto names.
 *  - unknown fields kept by protobuf-c's unpacker are not encoded (as in Go's protojson).
 *  - proto3 `optional` fields are supported through their has_ members, but protoc-c 1.4 cannot generate them.
 *  - numbers: see fc_pbjson_format_double() for the two places where the text differs from Go's. In a json_t
 *    from fc_pbjson_encode(), integral float/double values are JSON integers, as jansson would read Go's text.
 *  - Value.number_value NaN/Infinity and Value without a kind cannot be encoded (as in Go): an error.
 */
#ifndef FC_PBJSON_H
#define FC_PBJSON_H

#include "fc.h"

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

struct fc_buf;
struct fc_err;

enum {
	FC_PBJSON_PRETTY = 1,         /* encode: 2-space indentation (text output only) */
	FC_PBJSON_EMIT_DEFAULTS = 2,  /* encode: emit scalars at their default, empty lists/maps, null messages */
	FC_PBJSON_IGNORE_UNKNOWN = 4, /* decode: skip unknown fields and unknown enum names instead of failing */
	FC_PBJSON_SORT_MAPS = 8,      /* encode: map keys (and Struct keys) sorted, as Go writes them */
};

/* Deepest JSON nesting accepted or produced (objects and arrays, the document root being depth 0). */
#define FC_PBJSON_MAX_DEPTH 200
/* Largest text fc_pbjson_decode_text() accepts; callers with their own cap may check before. */
#define FC_PBJSON_MAX_TEXT ((size_t)256 * 1024 * 1024)

/* Encode `msg` as a new JSON value (an object, or a string/number/... for some well-known types). */
int fc_pbjson_encode(const ProtobufCMessage *msg, unsigned flags, json_t **out, struct fc_err *err);
/* Encode `msg` as JSON text appended to `out` (compact, or pretty with FC_PBJSON_PRETTY); no trailing newline. */
int fc_pbjson_encode_buf(const ProtobufCMessage *msg, unsigned flags, struct fc_buf *out, struct fc_err *err);

/* Decode `json` as a message of type `desc`. `alloc` NULL means protobuf-c's default (malloc) allocator. */
int fc_pbjson_decode(const json_t *json, const ProtobufCMessageDescriptor *desc, ProtobufCAllocator *alloc,
		     unsigned flags, ProtobufCMessage **out, struct fc_err *err);
/*
 * The same, and on failure `*bad` (if `bad` is not NULL) is the JSON value the error is about (borrowed from
 * `json`), or the innermost value enclosing it when it is null/true/false (jansson shares those), or NULL.
 */
int fc_pbjson_decode_at(const json_t *json, const ProtobufCMessageDescriptor *desc, ProtobufCAllocator *alloc,
			unsigned flags, ProtobufCMessage **out, const json_t **bad, struct fc_err *err);
/* Parse `len` bytes of JSON text (no NUL needed; duplicate keys rejected) and decode them. */
int fc_pbjson_decode_text(const char *text, size_t len, const ProtobufCMessageDescriptor *desc,
			  ProtobufCAllocator *alloc, unsigned flags, ProtobufCMessage **out, struct fc_err *err);

/*
 * google.protobuf.Any support: message types that may appear inside an Any, looked up by the full name at the end
 * of its type URL ("type.googleapis.com/flyteidl.core.Literal"). The well-known types are always known.
 * Registering twice is harmless; fails with FC_ELIMIT when the registry (1024 types) is full. Thread-safe.
 */
int fc_pbjson_register(const ProtobufCMessageDescriptor *desc);
/* A registered (or well-known) descriptor by full name ("flyteidl.core.Literal"), or NULL. */
const ProtobufCMessageDescriptor *fc_pbjson_lookup(const char *full_name);

/*
 * JSON text output shared with other modules: jansson's dump, but numbers are written the way Go writes them
 * (shortest text that reads back to the same double, exponent only below 1e-6 or from 1e21 on), so output is
 * stable and matches Go's. FC_PBJSON_PRETTY indents by 2 spaces. Fails (FC_ELIMIT) past 2048 levels of nesting.
 */
int fc_pbjson_dump(const json_t *json, unsigned flags, struct fc_buf *out, struct fc_err *err);
/*
 * Shortest round-trip text of finite `v` in Go's style ("0.1", "1e-7", "1e+21"), except that integral values
 * beyond the int64 range always get an exponent ("9.223372036854776e+18", where Go writes all 19 digits) and
 * negative zero is "-0.0" (Go: "-0"), so that readers with 64-bit integers (jansson) read them back unchanged.
 */
void fc_pbjson_format_double(double v, char out[32]);
/* The same for a float32 value (shortest text that reads back to the same float). */
void fc_pbjson_format_float(float v, char out[32]);

/* Text forms of the well-known types (pbjson_wkt.c), usable on their own. */
#define FC_PBJSON_TIME_TEXT_MAX 40
/* RFC 3339 in UTC with 0, 3, 6 or 9 fractional digits; years 0001..9999. */
int fc_pbjson_timestamp_format(int64_t seconds, int32_t nanos, char out[FC_PBJSON_TIME_TEXT_MAX],
			       struct fc_err *err);
/* RFC 3339 with "Z" or a numeric offset and up to 9 fractional digits. `s` is NUL-terminated. */
int fc_pbjson_timestamp_parse(const char *s, int64_t *seconds, int32_t *nanos, struct fc_err *err);
/* "1.5s", "-0.001s", "3s": 0, 3, 6 or 9 fractional digits; +-315576000000 seconds. */
int fc_pbjson_duration_format(int64_t seconds, int32_t nanos, char out[FC_PBJSON_TIME_TEXT_MAX],
			      struct fc_err *err);
int fc_pbjson_duration_parse(const char *s, int64_t *seconds, int32_t *nanos, struct fc_err *err);
/* Standard base64 with padding. */
void fc_pbjson_base64_encode(const uint8_t *data, size_t len, struct fc_buf *out);
/*
 * Decode standard or URL-safe base64, padding optional. `out` must hold fc_pbjson_base64_decoded_max(len) bytes.
 * Returns false on a bad character or length; `*outlen` gets the decoded size.
 */
size_t fc_pbjson_base64_decoded_max(size_t len);
bool fc_pbjson_base64_decode(const char *s, size_t len, uint8_t *out, size_t *outlen);

#endif
