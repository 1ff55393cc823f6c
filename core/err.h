/*
 * err.h: the project's one error type.
 *
 * A failing function returns one of the FC_E* codes below and, when given a non-NULL `struct fc_err *`, fills it
 * with the code and a message for people. Codes and their names come from one list; text from fc_strerror().
 */
#ifndef FC_ERR_H
#define FC_ERR_H

#include "fc.h"

/* X(code, name, description) */
#define FC_ERROR_LIST(X)                                                                                   \
	X(FC_OK, "ok", "success")                                                                          \
	X(FC_EINVAL, "invalid", "invalid argument or input")                                               \
	X(FC_EIO, "io", "input/output error")                                                              \
	X(FC_ENOENT, "not_found", "not found")                                                             \
	X(FC_EEXIST, "already_exists", "already exists")                                                   \
	X(FC_ECONFLICT, "conflict", "conflicts with existing state")                                       \
	X(FC_ELIMIT, "limit", "a configured limit was exceeded")                                           \
	X(FC_EPARSE, "parse", "malformed input")                                                           \
	X(FC_ESPEC, "spec", "the spec has errors")                                                         \
	X(FC_EUNSUPPORTED, "unsupported", "not supported")                                                 \
	X(FC_EPERM, "permission", "permission denied")                                                     \
	X(FC_EUNAVAILABLE, "unavailable", "temporarily unavailable")                                       \
	X(FC_EINTERNAL, "internal", "internal error")                                                      \
	X(FC_ESTORAGE, "storage", "the store cannot write (disk full or I/O error); retry later")

enum fc_error_code {
#define FC_X_ENUM(code, name, desc) code,
	FC_ERROR_LIST(FC_X_ENUM)
#undef FC_X_ENUM
	FC_ERROR_COUNT
};

#define FC_ERR_MSG_MAX 1024

struct fc_err {
	int code;
	char msg[FC_ERR_MSG_MAX];
};

/* Stable short name of a code ("not_found"), for JSON error bodies and logs. */
const char *fc_strerror_name(int code);
/* Description of a code, for people. */
const char *fc_strerror(int code);

/* Record an error in `err` (which may be NULL) and return `code`, so callers can write `return fc_err_set(...)`. */
int fc_err_set(struct fc_err *err, int code, const char *fmt, ...) FC_PRINTF(3, 4);
/* Prefix the message already in `err` with more context ("file.yaml: ..."). Returns err->code. */
int fc_err_prefix(struct fc_err *err, const char *fmt, ...) FC_PRINTF(2, 3);
void fc_err_clear(struct fc_err *err);

#endif
