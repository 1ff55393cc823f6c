/*
 * fc.h: the one header every flytec source includes first.
 *
 * Ownership rule for the whole project: arguments are borrowed unless the function name says otherwise
 * (`_take` consumes its argument, `_detach` hands ownership to the caller). Functions that can fail return an
 * `int` error code from err.h (0 is success) and take `struct fc_err *` as their last argument.
 */
#ifndef FC_H
#define FC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FC_PRINTF(fmt_idx, arg_idx) __attribute__((format(printf, fmt_idx, arg_idx)))
#define FC_NORETURN __attribute__((noreturn))
#define FC_UNUSED __attribute__((unused))
#define FC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A broken internal invariant: never a user's mistake. Prints where and aborts. */
#define FC_BUG(...) fc_bug_fl(__FILE__, __LINE__, __VA_ARGS__)
FC_NORETURN void fc_bug_fl(const char *file, int line, const char *fmt, ...) FC_PRINTF(3, 4);

/* Out of memory is the only allocation failure we do not recover from: these never return NULL. */
void *fc_xmalloc(size_t size);
void *fc_xcalloc(size_t nmemb, size_t size);
void *fc_xrealloc(void *ptr, size_t size);
char *fc_xstrdup(const char *s);
char *fc_xstrndup(const char *s, size_t n);
FC_NORETURN void fc_die_oom(size_t size);

/* Grow an array `arr` of `nr` used elements and `alloc` slots to hold at least `need` elements. */
#define FC_ALLOC_GROW(arr, need, alloc)                                                                    \
	do {                                                                                                 \
		if ((need) > (alloc)) {                                                                          \
			size_t fc_new_alloc_ = (alloc) ? (alloc) * 2 : 8;                                        \
			if (fc_new_alloc_ < (need))                                                              \
				fc_new_alloc_ = (need);                                                          \
			(arr) = fc_xrealloc((arr), fc_new_alloc_ * sizeof(*(arr)));                              \
			(alloc) = fc_new_alloc_;                                                                 \
		}                                                                                                \
	} while (0)

#include "banned.h"

#endif
