/*
 * lit.h: the one module for IDL literals and their types, shared by the compiler, the admin, the scheduler, the
 * propeller and the CLI: build, look up, convert from text by declared type, render, check against a type
 * (castability), compare, hash canonically, and pack/unpack/copy messages in an arena.
 *
 * It lives in compiler/ because it needs only core/ and the IDL and its castability rules are the compiler's
 * (compiler/types.c); every component above the compiler may use it (docs/architecture.md). The compiler's spec
 * front end keeps its YAML-node conversion (compiler/literal.c) and this module reads text through it.
 *
 * Everything built here is allocated in the given arena; arguments are borrowed.
 */
#ifndef CMP_LIT_H
#define CMP_LIT_H

#include "core/fc.h"

#include "flyteidl/core/interface.pb-c.h"
#include "flyteidl/core/literals.pb-c.h"
#include "flyteidl/core/types.pb-c.h"

struct fc_arena;
struct fc_buf;
struct fc_err;
struct fc_sha256;

/* --- building and looking up --------------------------------------------------------------------------------- */
Flyteidl__Core__Literal *cmp_lit_int(struct fc_arena *a, int64_t v);
Flyteidl__Core__Literal *cmp_lit_float(struct fc_arena *a, double v);
Flyteidl__Core__Literal *cmp_lit_str(struct fc_arena *a, const char *s);
Flyteidl__Core__Literal *cmp_lit_bool(struct fc_arena *a, bool v);
Flyteidl__Core__Literal *cmp_lit_none(struct fc_arena *a);
/* A datetime (seconds since the epoch, UTC, and nanoseconds). */
Flyteidl__Core__Literal *cmp_lit_datetime(struct fc_arena *a, int64_t secs, int32_t nanos);
/* A collection of `n` literals (the array is copied, the literals are not). */
Flyteidl__Core__Literal *cmp_lit_collection(struct fc_arena *a, Flyteidl__Core__Literal **items, size_t n);

Flyteidl__Core__LiteralMap *cmp_litmap_new(struct fc_arena *a);
/* Set an entry (the key is copied into the arena; an entry with the same key gets the new value). Each new key
 * copies the entry array: for the handful of entries maps of inputs hold. */
void cmp_litmap_put(struct fc_arena *a, Flyteidl__Core__LiteralMap *m, const char *key, Flyteidl__Core__Literal *v);
Flyteidl__Core__Literal *cmp_litmap_get(const Flyteidl__Core__LiteralMap *m, const char *key);
/* Put the default value of every parameter of `params` (a launch plan's default inputs) that has one into `m`;
 * `keep` true: an entry already in `m` is kept (given inputs win over defaults). `params` may be NULL. */
void cmp_litmap_put_defaults(struct fc_arena *a, Flyteidl__Core__LiteralMap *m,
			     const Flyteidl__Core__ParameterMap *params, bool keep);

/* --- messages in an arena ------------------------------------------------------------------------------------ */
/* Deep copy of any message into `a` (pack + unpack). Returns NULL only when `msg` is NULL. */
void *cmp_pb_copy(struct fc_arena *a, const ProtobufCMessage *msg);
/* Unpack `len` bytes as `desc` into `a`, after checking their nesting (FC_PB_MAX_DEPTH): FC_EPARSE when
 * malformed or too deep. */
int cmp_pb_unpack(struct fc_arena *a, const ProtobufCMessageDescriptor *desc, const void *data, size_t len,
		  void **out, struct fc_err *err);
/* Pack into `out` (appended). */
void cmp_pb_pack(const ProtobufCMessage *msg, struct fc_buf *out);
/* Pack into a new array in `a` (one spare byte after the message); *len gets its size. */
uint8_t *cmp_pb_pack_arena(struct fc_arena *a, const ProtobufCMessage *msg, size_t *len);

/* --- text ---------------------------------------------------------------------------------------------------- */
/* The two places text comes from: */
enum cmp_lit_text {
	/*
	 * A value a person typed (`flytec run --input k=v`, `--signal`, the CLI's launch): "3" for an integer,
	 * "2024-01-01T00:00:00Z" for a datetime, "1h30m" for a duration, YAML/JSON flow syntax ("[1, 2]", "{a: 1}")
	 * for collections, maps and structs; strings, datetimes, durations, URIs and enum values as written.
	 */
	CMP_LIT_TEXT_VALUE,
	/*
	 * A raw-container output file: integer, float, string, boolean ("true/1/yes", "false/0/no"), datetime (RFC
	 * 3339 with nanoseconds, or a date), duration ("90s", "1h30m", "250ms" or plain seconds), enum (one of the
	 * values), blob and structured dataset (the text is the URI or path), none, and unions/optionals (first
	 * variant that converts; empty text is none for optionals). Surrounding white space is trimmed except for
	 * strings, where one trailing newline is dropped. Collections and maps are FC_EUNSUPPORTED.
	 */
	CMP_LIT_TEXT_FILE,
};
int cmp_lit_from_text(struct fc_arena *a, const Flyteidl__Core__LiteralType *type, const char *text,
		      enum cmp_lit_text form, Flyteidl__Core__Literal **out, struct fc_err *err);

/*
 * The inputs of a run from text (`flytec run --input`, `flytec compile --emit flyteworkflow --input`): each
 * "NAME=VALUE" of `given` converted by the declared type of input NAME in `vars` (CMP_LIT_TEXT_VALUE), then the
 * defaults of `defaults` (a launch plan's default inputs; may be NULL) for inputs not given. FC_EINVAL for a
 * malformed pair, an unknown name or a value that does not convert; then, if inputs are still missing, a line
 * "missing input 'NAME' of type T (--input NAME=VALUE)" for each appended to `missing` (may be NULL) and FC_EINVAL
 * with the first as the message. The map is allocated in `a`.
 */
int cmp_lit_inputs_from_text(struct fc_arena *a, const Flyteidl__Core__VariableMap *vars,
			     const Flyteidl__Core__ParameterMap *defaults, const char *const *given, size_t n,
			     Flyteidl__Core__LiteralMap **out, struct fc_buf *missing, struct fc_err *err);

/* The two ways a literal is shown: */
enum cmp_lit_style {
	/* For people and golden text, typed: strings quoted ("a"), floats with a point (1.0, .inf), datetimes to the
	 * second, durations as "1h30m", blobs as file(URI) / directory(URI), structs in full. */
	CMP_LIT_SHOW_TYPED,
	/* For `{{.inputs.x}}` in commands: strings, URIs and numbers as plain text, datetimes with nanoseconds,
	 * durations in seconds ("90s"). */
	CMP_LIT_SHOW_PLAIN,
};
/* Appended to `out`; collections as `[a, b]`, maps as `{k: v}` in both styles. */
void cmp_lit_render(const Flyteidl__Core__Literal *lit, enum cmp_lit_style style, struct fc_buf *out);
/* A scalar alone (a binding's or a condition operand's value), as in a literal. */
void cmp_lit_render_scalar(const Flyteidl__Core__Scalar *sc, enum cmp_lit_style style, struct fc_buf *out);
void cmp_litmap_render(const Flyteidl__Core__LiteralMap *m, enum cmp_lit_style style, struct fc_buf *out);

/* --- types --------------------------------------------------------------------------------------------------- */
/* Flyte's castability (a value of type `up` may be bound to `down`): unions, optionals, collections, maps, blobs,
 * schemas and structured datasets by Flyte's rules (compiler/types.c). */
bool cmp_lit_castable(const Flyteidl__Core__LiteralType *up, const Flyteidl__Core__LiteralType *down);
/*
 * Whether a given value fits its declared type (an execution's inputs): primitives by kind (an integer fits a
 * float), collections and maps element by element, a union or optional when the value is a union or fits one
 * variant (none fits an optional); other types (structs, blobs, datasets, ...) are not checked.
 */
bool cmp_lit_matches(const Flyteidl__Core__LiteralType *type, const Flyteidl__Core__Literal *lit);

/* --- comparison and hashing ---------------------------------------------------------------------------------- */
/*
 * Compare two scalar literals for branch conditions: integers and floats compare numerically with each other,
 * strings, booleans, datetimes and durations with their own kind; `*cmp` gets <0, 0 or >0. Other kinds (or
 * mismatched kinds) only compare for equality by canonical hash; then FC_EINVAL is returned for ordering.
 */
int cmp_lit_compare(const Flyteidl__Core__Literal *x, const Flyteidl__Core__Literal *y, bool need_order, int *cmp,
		    struct fc_err *err);

/* Feed a canonical encoding (map keys sorted, the literal's `hash` field used when set) into `h`. */
void cmp_lit_hash(const Flyteidl__Core__Literal *lit, struct fc_sha256 *h);

#endif
