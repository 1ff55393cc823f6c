/* buf.c: growable buffer with a size cap and a sticky error. */
#include "buf.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char fc_buf_empty[1];

void fc_buf_init(struct fc_buf *b, size_t hint)
{
	b->buf = fc_buf_empty;
	b->len = 0;
	b->alloc = 0;
	b->cap = 0;
	b->err = 0;
	if (hint)
		fc_buf_grow(b, hint);
}

void fc_buf_set_cap(struct fc_buf *b, size_t cap)
{
	b->cap = cap;
}

void fc_buf_release(struct fc_buf *b)
{
	if (b->alloc)
		free(b->buf);
	fc_buf_init(b, 0);
}

char *fc_buf_detach(struct fc_buf *b, size_t *len)
{
	char *res;

	if (len)
		*len = b->len;
	res = b->alloc ? b->buf : fc_xstrdup("");
	fc_buf_init(b, 0);
	return res;
}

void fc_buf_reset(struct fc_buf *b)
{
	fc_buf_truncate(b, 0);
	b->err = 0;
}

void fc_buf_truncate(struct fc_buf *b, size_t len)
{
	if (len > b->len)
		FC_BUG("fc_buf_truncate beyond length (%zu > %zu)", len, b->len);
	b->len = len;
	if (b->alloc)
		b->buf[len] = '\0';
}

bool fc_buf_grow(struct fc_buf *b, size_t extra)
{
	size_t need;

	if (b->err)
		return false;
	if (extra > SIZE_MAX - b->len - 1)
		fc_die_oom(SIZE_MAX);
	need = b->len + extra + 1;
	if (b->cap && need > b->cap + 1) {
		b->err = FC_ELIMIT;
		return false;
	}
	if (need <= b->alloc)
		return true;
	if (!b->alloc) {
		size_t alloc = need < 64 ? 64 : need;

		b->buf = fc_xmalloc(alloc);
		b->buf[0] = '\0';
		b->alloc = alloc;
		return true;
	}
	{
		size_t alloc = b->alloc * 2;

		if (alloc < need)
			alloc = need;
		b->buf = fc_xrealloc(b->buf, alloc);
		b->alloc = alloc;
	}
	return true;
}

void fc_buf_add(struct fc_buf *b, const void *data, size_t len)
{
	if (!len || !fc_buf_grow(b, len))
		return;
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
}

void fc_buf_adds(struct fc_buf *b, const char *s)
{
	fc_buf_add(b, s, strlen(s));
}

void fc_buf_addch(struct fc_buf *b, int c)
{
	if (!fc_buf_grow(b, 1))
		return;
	b->buf[b->len++] = (char)c;
	b->buf[b->len] = '\0';
}

void fc_buf_addchars(struct fc_buf *b, int c, size_t n)
{
	if (!n || !fc_buf_grow(b, n))
		return;
	memset(b->buf + b->len, c, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

void fc_buf_vaddf(struct fc_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	if (b->err)
		return;
	if (!fc_buf_grow(b, 64))
		return;
	va_copy(cp, ap);
	n = vsnprintf(b->buf + b->len, b->alloc - b->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		FC_BUG("vsnprintf failed");
	if ((size_t)n >= b->alloc - b->len) {
		if (!fc_buf_grow(b, (size_t)n)) {
			b->buf[b->len] = '\0';
			return;
		}
		va_copy(cp, ap);
		n = vsnprintf(b->buf + b->len, b->alloc - b->len, fmt, cp);
		va_end(cp);
	}
	b->len += (size_t)n;
}

void fc_buf_addf(struct fc_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fc_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void fc_buf_add_json_string(struct fc_buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	fc_buf_addch(b, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"': fc_buf_add(b, "\\\"", 2); break;
		case '\\': fc_buf_add(b, "\\\\", 2); break;
		case '\n': fc_buf_add(b, "\\n", 2); break;
		case '\r': fc_buf_add(b, "\\r", 2); break;
		case '\t': fc_buf_add(b, "\\t", 2); break;
		default:
			if (c < 0x20) {
				char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

				fc_buf_add(b, esc, 6);
			} else {
				fc_buf_addch(b, c);
			}
		}
	}
	fc_buf_addch(b, '"');
}

int fc_buf_error(const struct fc_buf *b)
{
	return b->err;
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when it is not one (RFC 3629, as jansson checks it). */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

size_t fc_buf_fix_utf8(struct fc_buf *b)
{
	static const char replacement[] = "\xef\xbf\xbd";
	struct fc_buf fixed = FC_BUF_INIT;
	const unsigned char *s = (const unsigned char *)b->buf;
	size_t i = 0, bad = 0, len;

	/* the common case, all valid, costs one pass and no copy; ASCII (most of any JSON) is passed 8 bytes at a time */
	while (i < b->len) {
		uint64_t w;

		if (b->len - i >= 8) {
			memcpy(&w, s + i, 8);
			if (!(w & 0x8080808080808080ull)) {
				i += 8;
				continue;
			}
		}
		len = utf8_seq_len(s + i, b->len - i);
		if (!len)
			break;
		i += len;
	}
	if (i == b->len)
		return 0;
	fc_buf_add(&fixed, b->buf, i);
	while (i < b->len) {
		len = utf8_seq_len(s + i, b->len - i);
		if (len) {
			fc_buf_add(&fixed, s + i, len);
			i += len;
		} else {
			fc_buf_add(&fixed, replacement, 3);
			bad++;
			i++;
		}
	}
	fixed.cap = b->cap;
	fc_buf_release(b);
	*b = fixed;
	return bad;
}

int fc_buf_read_file(struct fc_buf *b, const char *path, size_t max_size, struct fc_err *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = FC_OK;

	if (fd < 0)
		return fc_err_set(err, errno == ENOENT ? FC_ENOENT : FC_EIO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = fc_err_set(err, FC_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = fc_err_set(err, FC_EINVAL, "%s: is a directory", path);
		goto out;
	}
	if (max_size && S_ISREG(st.st_mode) && (size_t)st.st_size > max_size) {
		rc = fc_err_set(err, FC_ELIMIT, "%s: file is %lld bytes, more than the limit of %zu bytes", path,
				(long long)st.st_size, max_size);
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (max_size && b->len > max_size) {
			rc = fc_err_set(err, FC_ELIMIT, "%s: file is larger than the limit of %zu bytes", path,
					max_size);
			goto out;
		}
		fc_buf_grow(b, 65536);
		if (b->err) {
			rc = fc_err_set(err, FC_ELIMIT, "%s: file is too large", path);
			goto out;
		}
		n = read(fd, b->buf + b->len, b->alloc - b->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = fc_err_set(err, FC_EIO, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
		b->buf[b->len] = '\0';
	}
	if (max_size && b->len > max_size)
		rc = fc_err_set(err, FC_ELIMIT, "%s: file is larger than the limit of %zu bytes", path, max_size);
out:
	close(fd);
	return rc;
}

/* A full disk or quota is worth retrying later; anything else is an I/O error. */
static int write_errno_code(int e)
{
	return e == ENOSPC || e == EDQUOT ? FC_EUNAVAILABLE : FC_EIO;
}

/* fsync the directory that holds `path`, so that a rename into it survives a crash. */
static int fsync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = !slash ? fc_xstrdup(".") : slash == path ? fc_xstrdup("/") : fc_xstrndup(path, (size_t)(slash - path));
	int fd, rc = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	free(dir);
	return rc;
}

int fc_write_file_atomic(const char *path, const void *data, size_t len, bool durable, struct fc_err *err)
{
	struct fc_piece one = {data, len};

	return fc_write_file_atomicv(path, &one, 1, durable, err);
}

int fc_write_file_atomicv(const char *path, const struct fc_piece *pieces, size_t npieces, bool durable,
			  struct fc_err *err)
{
	struct fc_buf tmp = FC_BUF_INIT;
	int rc = FC_OK;
	size_t i;
	int fd;

	fc_buf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = fc_err_set(err, write_errno_code(errno), "%s: %s", tmp.buf, strerror(errno));
		goto out;
	}
	for (i = 0; i < npieces; i++) {
		const char *p = pieces[i].data;
		size_t len = pieces[i].len;

		while (len) {
			ssize_t n = write(fd, p, len);

			if (n < 0) {
				if (errno == EINTR)
					continue;
				rc = fc_err_set(err, write_errno_code(errno), "%s: %s", tmp.buf, strerror(errno));
				goto out;
			}
			p += n;
			len -= (size_t)n;
		}
	}
	if (durable && fsync(fd) < 0) {
		rc = fc_err_set(err, write_errno_code(errno), "fsync %s: %s", tmp.buf, strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = fc_err_set(err, write_errno_code(errno), "%s: %s", tmp.buf, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp.buf, path) < 0) {
		rc = fc_err_set(err, write_errno_code(errno), "rename to %s: %s", path, strerror(errno));
		goto out;
	}
	if (durable && fsync_dir_of(path) < 0)
		rc = fc_err_set(err, write_errno_code(errno), "fsync directory of %s: %s", path, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (rc)
		unlink(tmp.buf);
	fc_buf_release(&tmp);
	return rc;
}
