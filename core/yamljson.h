/*
 * yamljson.h: YAML <-> JSON, so that every proto3 JSON form (pbjson.h) has a YAML twin.
 *
 * fc_yaml_to_json() resolves plain scalars with the YAML 1.2 core schema: null/Null/NULL/~/empty, true/false in
 * three spellings, integers (decimal, 0o octal, 0x hex; outside int64 an error), floats (including .inf and .nan,
 * which become the proto3 JSON strings "Infinity", "-Infinity" and "NaN", as JSON numbers cannot hold them).
 * Quoted and block scalars are strings; "!!str"/"!" force a string, "!!int", "!!float", "!!bool", "!!null" a
 * type; other tags are errors. Mapping keys must be scalars and become their text. Errors read "line:col: ...".
 *
 * fc_json_to_yaml() writes block-style YAML with libyaml's emitter: keys in the JSON object's order, strings that
 * a YAML reader would take for something else (numbers, booleans including YAML 1.1's yes/no/on/off, null, dates)
 * quoted, multi-line strings as literal blocks, so the output is deterministic and reads back to the same JSON.
 *
 * Ownership (fc.h): arguments are borrowed; `*out` JSON is a new reference for the caller to json_decref().
 */
#ifndef FC_YAMLJSON_H
#define FC_YAMLJSON_H

#include "fc.h"

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include <yaml.h>

struct fc_buf;
struct fc_err;
struct fc_ynode;

/* Convert a YAML tree (core/yaml.h) to JSON. A NULL node (empty document) is JSON null. */
int fc_yaml_to_json(const struct fc_ynode *node, json_t **out, struct fc_err *err);
/* Append `json` as a YAML document to `out`. */
int fc_json_to_yaml(const json_t *json, struct fc_buf *out, struct fc_err *err);

/*
 * The one YAML writer under every YAML output (fc_json_to_yaml, `flytec convert --to yaml-spec`): libyaml's emitter
 * writing UTF-8 block YAML into `out` (indent 2, "\n" line breaks, lines folded past `width` columns, -1: never),
 * every event checked with one wording of the errors ("cannot write YAML: ..."). open() starts the stream;
 * close() ends it when rc is still 0, flushes, frees the emitter and returns rc or the flush's error.
 */
struct fc_yaml_writer {
	yaml_emitter_t em;
	struct fc_buf *out;
	struct fc_err *err;
};
int fc_yaml_writer_open(struct fc_yaml_writer *w, struct fc_buf *out, int width, struct fc_err *err);
/* Emit `ev`; `ok` is what its yaml_*_event_initialize() returned (0: the value was refused). */
int fc_yaml_writer_emit(struct fc_yaml_writer *w, yaml_event_t *ev, int ok);
int fc_yaml_writer_close(struct fc_yaml_writer *w, int rc);

/*
 * Decode `len` bytes of YAML text (exactly one document) as a message of type `desc`, as fc_pbjson_decode()
 * would its JSON twin. Errors carry the position and the path: "12:7: $.spec.template.type: expected a string".
 */
int fc_pbjson_decode_yaml_text(const char *text, size_t len, const ProtobufCMessageDescriptor *desc,
			       ProtobufCAllocator *alloc, unsigned flags, ProtobufCMessage **out,
			       struct fc_err *err);
/* Encode `msg` through fc_pbjson_encode() (FC_PBJSON_EMIT_DEFAULTS honoured) and append it as YAML to `out`. */
int fc_pbjson_encode_yaml(const ProtobufCMessage *msg, unsigned flags, struct fc_buf *out, struct fc_err *err);

#endif
