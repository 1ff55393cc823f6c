/* pbdepth.c: how deep protobuf bytes nest, by their schema, before anything recurses over them (pbdepth.h). */
#include "core/pbdepth.h"

static bool read_varint(const uint8_t *p, size_t len, size_t *off, uint64_t *out)
{
	uint64_t v = 0;
	unsigned shift = 0;

	while (*off < len && shift < 64) {
		uint8_t b = p[(*off)++];

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return true;
		}
		shift += 7;
	}
	return false;
}

static bool nesting_ok(const ProtobufCMessageDescriptor *desc, const uint8_t *p, size_t len, unsigned depth,
		       unsigned max_depth)
{
	size_t off = 0;

	if (depth > max_depth)
		return false;
	while (off < len) {
		uint64_t key, n;
		const ProtobufCFieldDescriptor *f;

		if (!read_varint(p, len, &off, &key))
			return true;
		switch (key & 7) {
		case 0:
			if (!read_varint(p, len, &off, &n))
				return true;
			break;
		case 1:
			if (len - off < 8)
				return true;
			off += 8;
			break;
		case 5:
			if (len - off < 4)
				return true;
			off += 4;
			break;
		case 2:
			if (!read_varint(p, len, &off, &n) || n > len - off)
				return true;
			f = key >> 3 <= UINT32_MAX ? protobuf_c_message_descriptor_get_field(desc, (unsigned)(key >> 3)) : NULL;
			if (f && f->type == PROTOBUF_C_TYPE_MESSAGE &&
			    !nesting_ok(f->descriptor, p + off, (size_t)n, depth + 1, max_depth))
				return false;
			off += (size_t)n;
			break;
		default:
			return true; /* groups and bad wire types: the unpacker refuses them */
		}
	}
	return true;
}

bool fc_pb_nesting_ok(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len, unsigned max_depth)
{
	if (!desc || (!data && len))
		return true;
	return nesting_ok(desc, data, len, 0, max_depth);
}
