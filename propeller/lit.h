/*
 * lit.h: the propeller's helpers over IDL literals: build, copy, look up, convert from and to text by declared type
 * (raw-container input and output files), compare (branch conditions) and hash canonically (cache keys).
 *
 * Everything built here is allocated in the given arena; arguments are borrowed.
 */
#ifndef PROP_LIT_H
#define PROP_LIT_H

#include "core/fc.h"

#include "flyteidl/core/interface.pb-c.h"
#include "flyteidl/core/literals.pb-c.h"
#include "flyteidl/core/types.pb-c.h"

struct fc_arena;
struct fc_buf;
struct fc_err;
struct fc_sha256;

Flyteidl__Core__Literal *prop_lit_int(struct fc_arena *a, int64_t v);
Flyteidl__Core__Literal *prop_lit_float(struct fc_arena *a, double v);
Flyteidl__Core__Literal *prop_lit_str(struct fc_arena *a, const char *s);
Flyteidl__Core__Literal *prop_lit_bool(struct fc_arena *a, bool v);
Flyteidl__Core__Literal *prop_lit_none(struct fc_arena *a);
/* A collection of `n` literals (the array is copied, the literals are not). */
Flyteidl__Core__Literal *prop_lit_collection(struct fc_arena *a, Flyteidl__Core__Literal **items, size_t n);

Flyteidl__Core__LiteralMap *prop_litmap_new(struct fc_arena *a, size_t cap);
/* Append an entry (the key is copied into the arena; `cap` given to prop_litmap_new() is a hint only). */
void prop_litmap_put(struct fc_arena *a, Flyteidl__Core__LiteralMap *m, const char *key, Flyteidl__Core__Literal *v);
Flyteidl__Core__Literal *prop_litmap_get(const Flyteidl__Core__LiteralMap *m, const char *key);
/* Put the default value of every parameter of `params` (a launch plan's default inputs) that has one into `m`;
 * `keep` true: an entry already in `m` is kept (given inputs win over defaults). `params` may be NULL. */
void prop_litmap_put_defaults(struct fc_arena *a, Flyteidl__Core__LiteralMap *m,
			      const Flyteidl__Core__ParameterMap *params, bool keep);

/* Deep copy of any message into `a` (pack + unpack). Returns NULL only when `msg` is NULL. */
void *prop_pb_copy(struct fc_arena *a, const ProtobufCMessage *msg);
/* Unpack `len` bytes as `desc` into `a`; FC_EPARSE when malformed. */
int prop_pb_unpack(struct fc_arena *a, const ProtobufCMessageDescriptor *desc, const void *data, size_t len,
		   void **out, struct fc_err *err);
/* Pack into `out` (appended). */
void prop_pb_pack(const ProtobufCMessage *msg, struct fc_buf *out);

/*
 * Text conversion by declared type, for raw-container output files: integer, float, string, boolean, datetime
 * (RFC 3339, UTC "Z" or offset), duration ("90s", "1h30m", "250ms" or plain seconds), enum (must be one of the
 * values), blob and structured dataset (the text is the URI or path), none, and unions/optionals (first variant
 * that converts; empty text is none for optionals). Surrounding white space is trimmed except for strings, where
 * one trailing newline is dropped. Collections and maps are FC_EUNSUPPORTED.
 */
int prop_lit_from_text(struct fc_arena *a, const Flyteidl__Core__LiteralType *type, const char *text,
		       Flyteidl__Core__Literal **out, struct fc_err *err);
/* Render for people and for `{{.inputs.x}}`: primitives as plain text, blobs as their URI, collections as
 * `[a, b]`, maps as `{k: v}`. */
void prop_lit_render(const Flyteidl__Core__Literal *lit, struct fc_buf *out);
void prop_litmap_render(const Flyteidl__Core__LiteralMap *m, struct fc_buf *out);

/*
 * Compare two scalar literals for branch conditions: integers and floats compare numerically with each other,
 * strings, booleans, datetimes and durations with their own kind; `*cmp` gets <0, 0 or >0. Other kinds (or
 * mismatched kinds) only compare for equality by canonical hash; then FC_EINVAL is returned for ordering.
 */
int prop_lit_compare(const Flyteidl__Core__Literal *x, const Flyteidl__Core__Literal *y, bool need_order, int *cmp,
		     struct fc_err *err);

/* Feed a canonical encoding (map keys sorted, the literal's `hash` field used when set) into `h`. */
void prop_lit_hash(const Flyteidl__Core__Literal *lit, struct fc_sha256 *h);

#endif
