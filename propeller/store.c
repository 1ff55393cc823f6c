/* store.c: the blob store interface and its local-directory backend. */
#include "propeller/store.h"

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "compiler/lit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct local_store {
	struct prop_store base;
	char *root; /* absolute, no trailing slash */
	bool durable;
};

bool prop_store_key_valid(const char *key)
{
	const char *p = key;

	if (!key || !*key || *key == '/')
		return false;
	while (*p) {
		const char *start = p;
		size_t len;

		while (*p && *p != '/') {
			unsigned char c = (unsigned char)*p;

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
			      c == '_' || c == '-'))
				return false;
			p++;
		}
		len = (size_t)(p - start);
		if (!len || (len == 1 && start[0] == '.') || (len == 2 && start[0] == '.' && start[1] == '.'))
			return false;
		if (*p == '/')
			p++;
		if (!*p && p[-1] == '/')
			return false;
	}
	return true;
}

/* The error code for a failed write: a full file system (or quota) is temporary, anything else is I/O. */
static int write_errno_code(int e)
{
	return e == ENOSPC || e == EDQUOT ? FC_EUNAVAILABLE : FC_EIO;
}

int prop_mkdirs(const char *path, struct fc_err *err)
{
	char *parent, *slash;
	int rc;

	/* Usually only the last levels are missing: make the path, and its parent first only when that is
	 * missing too (a few system calls per missing level, none for the levels that exist). */
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return FC_OK;
	if (errno != ENOENT)
		return fc_err_set(err, write_errno_code(errno), "mkdir %s: %s", path, strerror(errno));
	parent = fc_xstrdup(path);
	slash = strrchr(parent, '/');
	while (slash && slash > parent && slash[-1] == '/')
		slash--;
	if (!slash || slash == parent) {
		free(parent);
		return fc_err_set(err, FC_EIO, "mkdir %s: %s", path, strerror(ENOENT));
	}
	*slash = '\0';
	rc = prop_mkdirs(parent, err);
	free(parent);
	if (rc)
		return rc;
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return fc_err_set(err, write_errno_code(errno), "mkdir %s: %s", path, strerror(errno));
	return FC_OK;
}

int prop_mkdirs_below(const char *path, size_t base_len, struct fc_err *err)
{
	char *copy = fc_xstrdup(path), *base = fc_xstrndup(path, base_len);
	char *rel = copy + base_len, *p;
	int dirfd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int rc = FC_OK;

	/* Top down from a directory known to exist, each level relative to it (short lookups): one mkdirat per
	 * level, no failed lookups. */
	while (*rel == '/')
		rel++;
	p = rel;
	if (dirfd < 0)
		goto slow;
	for (; *p; p++) {
		if (p[1] != '/' && p[1] != '\0')
			continue;
		if (p[1] == '/') {
			p[1] = '\0';
			if (mkdirat(dirfd, rel, 0755) < 0 && errno != EEXIST)
				break;
			p[1] = '/';
		} else if (mkdirat(dirfd, rel, 0755) < 0 && errno != EEXIST) {
			break;
		}
	}
	close(dirfd);
	if (!*p)
		goto out;
slow:
	rc = prop_mkdirs(path, err); /* the base was missing after all, or a real error: the slow way */
out:
	free(copy);
	free(base);
	return rc;
}

int prop_read_file(const char *path, struct fc_buf *out, size_t max, struct fc_err *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = FC_OK;

	if (fd < 0)
		return fc_err_set(err, errno == ENOENT ? FC_ENOENT : FC_EIO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		rc = fc_err_set(err, FC_EIO, "%s: %s", path, S_ISDIR(st.st_mode) ? "is a directory" : strerror(errno));
		goto out;
	}
	if (max && (uint64_t)st.st_size > max) {
		rc = fc_err_set(err, FC_ELIMIT, "%s: file is %lld bytes, more than the limit of %zu bytes", path,
				(long long)st.st_size, max);
		goto out;
	}
	/* One allocation sized by the file (+1: the read that sees the end), more only if it grows meanwhile. */
	fc_buf_grow(out, (size_t)st.st_size + 1);
	for (;;) {
		ssize_t n;

		if (out->alloc <= out->len + 1)
			fc_buf_grow(out, out->len < 4096 ? 4096 : out->len);
		if (fc_buf_error(out)) {
			rc = fc_err_set(err, FC_ELIMIT, "%s: file is too large", path);
			goto out;
		}
		n = read(fd, out->buf + out->len, out->alloc - out->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = fc_err_set(err, FC_EIO, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->buf[out->len] = '\0';
		if (max && out->len > max) {
			rc = fc_err_set(err, FC_ELIMIT, "%s: file is larger than the limit of %zu bytes", path, max);
			goto out;
		}
	}
out:
	close(fd);
	return rc;
}

static void local_key_path(struct local_store *ls, const char *key, struct fc_buf *out)
{
	fc_buf_addf(out, "%s/%s", ls->root, key);
}

static int local_put(struct prop_store *s, const char *key, const void *data, size_t len, struct fc_err *err)
{
	struct local_store *ls = (struct local_store *)s;
	struct fc_buf path = FC_BUF_INIT;
	char *slash;
	int rc;

	local_key_path(ls, key, &path);
	rc = fc_write_file_atomic(path.buf, data, len, ls->durable, NULL);
	if (rc) {
		/* Most often the directory is missing: create it and try once more. */
		slash = strrchr(path.buf, '/');
		*slash = '\0';
		rc = prop_mkdirs(path.buf, err);
		*slash = '/';
		if (!rc)
			rc = fc_write_file_atomic(path.buf, data, len, ls->durable, err);
	}
	fc_buf_release(&path);
	return rc;
}

static int local_get(struct prop_store *s, const char *key, struct fc_buf *out, size_t max, struct fc_err *err)
{
	struct local_store *ls = (struct local_store *)s;
	struct fc_buf path = FC_BUF_INIT;
	int rc;

	local_key_path(ls, key, &path);
	rc = prop_read_file(path.buf, out, max, err);
	if (rc == FC_ENOENT)
		rc = fc_err_set(err, FC_ENOENT, "%s: no such blob", key);
	fc_buf_release(&path);
	return rc;
}

static bool local_exists(struct prop_store *s, const char *key)
{
	struct local_store *ls = (struct local_store *)s;
	struct fc_buf path = FC_BUF_INIT;
	bool ok;

	local_key_path(ls, key, &path);
	ok = access(path.buf, F_OK) == 0;
	fc_buf_release(&path);
	return ok;
}

static void local_uri(struct prop_store *s, const char *key, struct fc_buf *out)
{
	local_key_path((struct local_store *)s, key, out);
}

static void local_free(struct prop_store *s)
{
	struct local_store *ls = (struct local_store *)s;

	free(ls->root);
	free(ls);
}

static const struct prop_store_ops local_ops = {
	.scheme = "file",
	.put = local_put,
	.get = local_get,
	.exists = local_exists,
	.uri = local_uri,
	.free = local_free,
};

int prop_store_local_open(const char *root, bool durable, struct prop_store **out, struct fc_err *err)
{
	struct local_store *ls;
	char *abs;
	int rc;

	*out = NULL;
	rc = prop_mkdirs(root, err);
	if (rc)
		return rc;
	abs = realpath(root, NULL);
	if (!abs)
		return fc_err_set(err, FC_EIO, "%s: %s", root, strerror(errno));
	ls = fc_xcalloc(1, sizeof(*ls));
	ls->base.ops = &local_ops;
	ls->root = abs;
	ls->durable = durable;
	*out = &ls->base;
	return FC_OK;
}

int prop_store_local_path(struct prop_store *s, const char *key, struct fc_buf *out, struct fc_err *err)
{
	if (s->ops != &local_ops)
		return fc_err_set(err, FC_EUNSUPPORTED, "the %s store has no local paths", s->ops->scheme);
	if (!prop_store_key_valid(key))
		return fc_err_set(err, FC_EINVAL, "invalid store key '%s'", key);
	local_key_path((struct local_store *)s, key, out);
	return FC_OK;
}

void prop_store_free(struct prop_store *s)
{
	if (s)
		s->ops->free(s);
}

int prop_store_put(struct prop_store *s, const char *key, const void *data, size_t len, struct fc_err *err)
{
	if (!prop_store_key_valid(key))
		return fc_err_set(err, FC_EINVAL, "invalid store key '%s'", key);
	return s->ops->put(s, key, data, len, err);
}

int prop_store_get(struct prop_store *s, const char *key, struct fc_buf *out, size_t max, struct fc_err *err)
{
	if (!prop_store_key_valid(key))
		return fc_err_set(err, FC_EINVAL, "invalid store key '%s'", key);
	return s->ops->get(s, key, out, max, err);
}

bool prop_store_exists(struct prop_store *s, const char *key)
{
	return prop_store_key_valid(key) && s->ops->exists(s, key);
}

int prop_store_put_msg(struct prop_store *s, const char *key, const ProtobufCMessage *msg, struct fc_err *err)
{
	struct fc_buf b = FC_BUF_INIT;
	int rc;

	cmp_pb_pack(msg, &b);
	rc = prop_store_put(s, key, b.buf, b.len, err);
	fc_buf_release(&b);
	return rc;
}

int prop_store_get_msg(struct prop_store *s, const char *key, struct fc_arena *arena,
		       const ProtobufCMessageDescriptor *desc, void **out, struct fc_err *err)
{
	struct fc_buf b = FC_BUF_INIT;
	int rc;

	*out = NULL;
	rc = prop_store_get(s, key, &b, PROP_STORE_MAX_BLOB, err);
	if (!rc) {
		rc = cmp_pb_unpack(arena, desc, b.buf, b.len, out, err);
		if (rc)
			fc_err_prefix(err, "%s: ", key);
	}
	fc_buf_release(&b);
	return rc;
}
