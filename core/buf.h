/*
 * buf.h: the project's one growable byte buffer (after git's strbuf).
 *
 * `buf` is never NULL and always NUL-terminated, so `b.buf` can be printed at any time. A buffer may carry a size
 * cap: growing past it sets the sticky `err` flag (FC_ELIMIT) and further appends are dropped, so a caller can
 * append freely and check `fc_buf_error()` once at the end. fc_buf_detach() is the only way to take the memory.
 */
#ifndef FC_BUF_H
#define FC_BUF_H

#include "fc.h"

struct fc_buf {
	char *buf;
	size_t len;
	size_t alloc;
	size_t cap; /* 0: unlimited */
	int err;    /* sticky: FC_ELIMIT once the cap was hit */
};

extern char fc_buf_empty[];
#define FC_BUF_INIT {fc_buf_empty, 0, 0, 0, 0}

void fc_buf_init(struct fc_buf *b, size_t hint);
void fc_buf_set_cap(struct fc_buf *b, size_t cap);
void fc_buf_release(struct fc_buf *b);
char *fc_buf_detach(struct fc_buf *b, size_t *len);
void fc_buf_reset(struct fc_buf *b);
void fc_buf_truncate(struct fc_buf *b, size_t len);
/* Make room for `extra` more bytes; returns false (and sets the sticky error) when that would pass the cap. */
bool fc_buf_grow(struct fc_buf *b, size_t extra);
void fc_buf_add(struct fc_buf *b, const void *data, size_t len);
void fc_buf_adds(struct fc_buf *b, const char *s);
void fc_buf_addch(struct fc_buf *b, int c);
void fc_buf_addf(struct fc_buf *b, const char *fmt, ...) FC_PRINTF(2, 3);
void fc_buf_vaddf(struct fc_buf *b, const char *fmt, va_list ap) FC_PRINTF(2, 0);
/* Append `n` copies of `c`. */
void fc_buf_addchars(struct fc_buf *b, int c, size_t n);
/* Append `s` as a JSON string literal with quotes and escapes. */
void fc_buf_add_json_string(struct fc_buf *b, const char *s, size_t len);
int fc_buf_error(const struct fc_buf *b);
/* Replace each byte that does not start or belong to a valid UTF-8 sequence (stray continuation bytes, truncated or
 * overlong sequences, surrogates, past U+10FFFF) with U+FFFD, in place. Returns how many were replaced. */
size_t fc_buf_fix_utf8(struct fc_buf *b);

struct fc_err;
/* Read a whole file into `b`, refusing files larger than `max_size` bytes (0: no limit) with FC_ELIMIT. */
int fc_buf_read_file(struct fc_buf *b, const char *path, size_t max_size, struct fc_err *err);
/* Write `len` bytes to `path` atomically (temp file + rename): readers see the old content or the new, never a part.
 * `durable` also fsyncs the file and its directory, so the new content survives a crash once this returns. A full
 * disk or quota is FC_EUNAVAILABLE (worth retrying), other failures FC_EIO; the temp file never stays behind. */
int fc_write_file_atomic(const char *path, const void *data, size_t len, bool durable, struct fc_err *err);
/* The same for content in pieces, written in order (e.g. a packed protobuf message's chunks, never gathered). */
struct fc_piece {
	const void *data;
	size_t len;
};
int fc_write_file_atomicv(const char *path, const struct fc_piece *pieces, size_t npieces, bool durable,
			  struct fc_err *err);

#endif
