/*
 * pbpack.h: the project's protobuf writer.
 *
 * protobuf_c_message_pack() needs the message's size first, and learns the size of a nested message by walking it
 * again at every level it is nested in (a workflow's node is sized for the closure, the compiled workflow, the
 * template, the node list, and once more to be written), measuring every string with strlen() each time. This
 * writer fills its output back to front, so a nested message is written before its length prefix and its length
 * is how far the writing moved: each message and string is visited once. The bytes are protobuf-c's, byte for
 * byte (same field order, same rules for unset, zero, oneof and optional fields, packed repeated scalars, unknown
 * fields kept at the end), which tests/unit/test_pbpack.c checks against protobuf-c on every kind of field.
 */
#ifndef FC_PBPACK_H
#define FC_PBPACK_H

#include "fc.h"

#include <protobuf-c/protobuf-c.h>

struct fc_buf;
struct fc_piece;

/* How far apart the elements of a repeated field of this type are in a protobuf-c message's array. */
size_t fc_pb_elem_size(ProtobufCType type);

/* Append the wire bytes of `msg` to `out` and return how many were appended. A buffer with a size cap that the
 * message does not fit gets its sticky error (fc_buf_error()) and nothing appended; 0 is returned. Memory: the
 * bytes are packed into chunks, then copied into `out` and each chunk freed once copied. */
size_t fc_pb_pack(const ProtobufCMessage *msg, struct fc_buf *out);

/* The same bytes handed to `fn` in order, a piece at a time, and never gathered in one buffer: for hashing or
 * measuring a message (a 100,000-node workflow is ~15 MB of bytes). Returns their total length. */
typedef void fc_pb_bytes_fn(void *ctx, const void *data, size_t len);
size_t fc_pb_pack_each(const ProtobufCMessage *msg, fc_pb_bytes_fn *fn, void *ctx);

/* The bytes of `msg` kept as they were packed, in pieces in order, for writing them out without gathering them in
 * one buffer (fc_write_file_atomicv): fc_pb_pack holds a message's bytes twice while it copies them, which is ~19 MB
 * more at the peak of a 100,000-node compile. fc_pb_pieces_release frees the pieces. */
struct fc_pb_pieces {
	struct fc_piece *pieces;
	size_t npieces;
	size_t len; /* of all the pieces */
	void *chunks;
};
void fc_pb_pack_pieces(const ProtobufCMessage *msg, struct fc_pb_pieces *out);
void fc_pb_pieces_release(struct fc_pb_pieces *p);

/* A message's fields from index `from` on (and its unknown fields) packed ahead and kept, so that the message
 * packed again later inside another (fc_pb_pack_pieces_with) takes these bytes instead of packing the fields
 * again: the compiler packs a workflow template for its content hash, sets the version in its identifier (field
 * index 0), then writes it inside the closure. The kept fields must not change in between. */
struct fc_pb_ahead {
	const ProtobufCMessage *msg;
	unsigned from;
	size_t len; /* of the kept bytes */
	void *chunks;
};
void fc_pb_pack_ahead(const ProtobufCMessage *msg, unsigned from, struct fc_pb_ahead *out);
/* The bytes of a->msg as fc_pb_pack_each gives them (the fields before `from` packed now, then the kept bytes),
 * handed to `fn` in order; `a` keeps its bytes. Returns their total length. */
size_t fc_pb_ahead_each(const struct fc_pb_ahead *a, fc_pb_bytes_fn *fn, void *ctx);
/* fc_pb_pack_pieces, with a's kept bytes spliced in where a->msg is met; they then belong to `out` and `a` is
 * left empty (a second packing packs the fields again). */
void fc_pb_pack_pieces_with(const ProtobufCMessage *msg, struct fc_pb_ahead *a, struct fc_pb_pieces *out);
void fc_pb_ahead_release(struct fc_pb_ahead *a);

#endif
