/*
 * pbdepth.h: a nesting check for protobuf bytes before protobuf-c unpacks them.
 *
 * protobuf_c_message_unpack() recurses once per nested message with no limit, so a few hundred kilobytes of
 * nested length-delimited fields (a LiteralType inside a LiteralType inside ...) overflow the stack. This walks the
 * wire format with the message's descriptor, iteratively within a message and recursing only into fields the
 * schema says are messages, at most `max_depth` levels deep, and says whether the bytes stay within it. Malformed
 * bytes are not its business: it answers true and lets the unpacker reject them.
 */
#ifndef FC_PBDEPTH_H
#define FC_PBDEPTH_H

#include "fc.h"

#include <protobuf-c/protobuf-c.h>

/* Deep enough for any real Flyte message (the compiler allows 64 levels of types and 32 of nodes). */
#define FC_PB_MAX_DEPTH 512

bool fc_pb_nesting_ok(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len, unsigned max_depth);

#endif
