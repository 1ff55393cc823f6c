/* walk.c: the one directory walker: each directory entered once (device + inode), optionally confined to a root. */
#include "walk.h"
#include "buf.h"
#include "err.h"
#include "limits.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* The directories entered so far: an open-addressing set of (device, inode). */
struct dir_id {
	dev_t dev;
	ino_t ino;
	bool used;
};

struct walker {
	const char *root;
	char *root_real; /* confine only */
	size_t root_real_len;
	const struct fc_walk_options *opts;
	struct dir_id *seen;
	size_t nseen, seen_cap;
	bool too_many_reported;
};

static size_t dir_hash(dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev * 0xc2b2ae3d27d4eb4full;

	return (size_t)(h ^ (h >> 29));
}

static void seen_insert(struct dir_id *set, size_t cap, dev_t dev, ino_t ino)
{
	size_t i = dir_hash(dev, ino) & (cap - 1);

	while (set[i].used)
		i = (i + 1) & (cap - 1);
	set[i].dev = dev;
	set[i].ino = ino;
	set[i].used = true;
}

/* Remember a directory; false when it was entered before. */
static bool seen_add(struct walker *w, const struct stat *st)
{
	size_t i;

	if (w->seen_cap) {
		for (i = dir_hash(st->st_dev, st->st_ino) & (w->seen_cap - 1); w->seen[i].used;
		     i = (i + 1) & (w->seen_cap - 1))
			if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino)
				return false;
	}
	if (2 * (w->nseen + 1) > w->seen_cap) {
		size_t cap = w->seen_cap ? 2 * w->seen_cap : 64;
		struct dir_id *set = fc_xcalloc(cap, sizeof(*set));

		for (i = 0; i < w->seen_cap; i++)
			if (w->seen[i].used)
				seen_insert(set, cap, w->seen[i].dev, w->seen[i].ino);
		free(w->seen);
		w->seen = set;
		w->seen_cap = cap;
	}
	seen_insert(w->seen, w->seen_cap, st->st_dev, st->st_ino);
	w->nseen++;
	return true;
}

static void warn(struct walker *w, const char *rel, const char *why)
{
	if (w->opts->on_warn)
		w->opts->on_warn(w->opts->ctx, *rel ? rel : ".", why);
}

/* Whether the real path of `path` is the root or inside it. */
static bool inside_root(struct walker *w, const char *path)
{
	char *real = realpath(path, NULL);
	bool inside;

	if (!real)
		return false;
	inside = !strncmp(real, w->root_real, w->root_real_len) &&
		 (real[w->root_real_len] == '\0' || real[w->root_real_len] == '/' || w->root_real_len == 1);
	free(real);
	return inside;
}

static void join(struct fc_buf *out, const char *a, const char *b)
{
	size_t n = strlen(a);

	fc_buf_addf(out, "%s%s%s", a, !*a || !*b || a[n - 1] == '/' ? "" : "/", b);
}

static int walk_dir(struct walker *w, const char *rel, unsigned depth)
{
	struct fc_buf dir = FC_BUF_INIT;
	struct dirent **entries = NULL;
	int n, i, rc = FC_OK;

	join(&dir, w->root, rel);
	n = scandir(dir.buf, &entries, NULL, alphasort);
	if (n < 0) {
		warn(w, rel, strerror(errno));
		fc_buf_release(&dir);
		return FC_OK;
	}
	for (i = 0; i < n; i++) {
		const char *name = entries[i]->d_name;
		struct fc_buf child = FC_BUF_INIT, full = FC_BUF_INIT;
		struct stat lst, st;
		bool link;

		if (rc || name[0] == '.')
			goto next; /* ., .., .git, editor swap files */
		join(&child, rel, name);
		join(&full, w->root, child.buf);
		if (lstat(full.buf, &lst) < 0)
			goto next; /* vanished while we looked: a later walk sees it */
		link = S_ISLNK(lst.st_mode);
		if (link && stat(full.buf, &st) < 0) {
			warn(w, child.buf, "symbolic link to nothing (or to itself); skipped");
			goto next;
		}
		if (!link)
			st = lst;
		if (link && w->root_real && !inside_root(w, full.buf)) {
			warn(w, child.buf, "symbolic link leading outside the root; skipped, not read");
			goto next;
		}
		if (S_ISDIR(st.st_mode)) {
			if (depth + 1 > FC_LIMIT_WALK_DEPTH) {
				warn(w, child.buf, "directory nested deeper than the walk goes (limit in core/limits.h); "
						   "not entered");
				goto next;
			}
			if (w->nseen >= FC_LIMIT_WALK_DIRS) {
				if (!w->too_many_reported)
					warn(w, child.buf, "more directories than one walk enters (limit in core/limits.h); "
							   "the rest are not entered");
				w->too_many_reported = true;
				goto next;
			}
			if (!seen_add(w, &st)) {
				warn(w, child.buf,
				     link ? "symbolic link to a directory already walked (a loop, or a second way in); "
					    "not entered again"
					  : "directory already walked (mounted twice?); not entered again");
				goto next;
			}
			rc = walk_dir(w, child.buf, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			rc = w->opts->on_file(w->opts->ctx, full.buf, child.buf, &st);
		}
	next:
		fc_buf_release(&child);
		fc_buf_release(&full);
		free(entries[i]);
	}
	free(entries);
	fc_buf_release(&dir);
	return rc;
}

int fc_walk(const char *root, const char *start, const struct fc_walk_options *opts, struct fc_err *err)
{
	struct walker w;
	struct fc_buf path = FC_BUF_INIT;
	struct stat st;
	int rc = FC_OK;

	memset(&w, 0, sizeof(w));
	w.root = root;
	w.opts = opts;
	if (!start)
		start = "";
	join(&path, root, start);
	if (stat(path.buf, &st) < 0) {
		rc = fc_err_set(err, errno == ENOENT ? FC_ENOENT : FC_EIO, "%s: %s", path.buf, strerror(errno));
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		rc = fc_err_set(err, FC_EINVAL, "%s: not a directory", path.buf);
		goto out;
	}
	if (opts->confine) {
		w.root_real = realpath(root, NULL);
		if (!w.root_real) {
			rc = fc_err_set(err, errno == ENOENT ? FC_ENOENT : FC_EIO, "%s: %s", root, strerror(errno));
			goto out;
		}
		w.root_real_len = strlen(w.root_real);
		if (*start && !inside_root(&w, path.buf)) {
			warn(&w, start, "leads outside the root; skipped, not read");
			goto out;
		}
	}
	seen_add(&w, &st);
	rc = walk_dir(&w, start, 0);
out:
	free(w.root_real);
	free(w.seen);
	fc_buf_release(&path);
	return rc;
}

int fc_mkdir_p(const char *path, struct fc_err *err)
{
	struct fc_buf tmp = FC_BUF_INIT;
	size_t i, len = strlen(path);
	int rc = FC_OK;

	fc_buf_add(&tmp, path, len);
	for (i = 1; i <= len && !rc; i++) {
		if (tmp.buf[i] == '/' || tmp.buf[i] == '\0') {
			char c = tmp.buf[i];
			struct stat st;

			tmp.buf[i] = '\0';
			if (mkdir(tmp.buf, 0755) < 0 && errno != EEXIST)
				rc = fc_err_set(err, FC_EIO, "%s: %s", tmp.buf, strerror(errno));
			else if (!c && (stat(tmp.buf, &st) < 0 || !S_ISDIR(st.st_mode)))
				rc = fc_err_set(err, FC_EIO, "%s: exists and is not a directory", tmp.buf);
			tmp.buf[i] = c;
		}
	}
	fc_buf_release(&tmp);
	return rc;
}
