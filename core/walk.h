/*
 * walk.h: the project's one directory walker (the compiler's directory inputs, the watched repository's scans), and
 * `mkdir -p` for the commands that write directories.
 *
 * A walk visits the regular files under a directory in a stable order (names sorted bytewise, depth first),
 * following symbolic links, and is safe on hostile trees:
 * - it remembers every directory it entered by device and inode and never enters one twice, so `loop -> .` or
 *   `sub/up -> ..` cost one warning naming the link, not an endless walk;
 * - it can be confined to a root: a file or directory whose real path is outside the root (a link to /etc/passwd,
 *   to the parent of the repository...) is skipped with a warning naming the link, and is never opened;
 * - it stops descending at FC_LIMIT_WALK_DEPTH levels and after FC_LIMIT_WALK_DIRS directories (core/limits.h).
 * Names starting with '.' (., .., .git, editor swap files) are skipped. Problems are warnings through `on_warn`:
 * the walk goes on and visits everything else.
 */
#ifndef FC_WALK_H
#define FC_WALK_H

#include "fc.h"

#include <sys/stat.h>

struct fc_err;

/* Called for each regular file: `path` is root + "/" + `rel` as it can be opened, `rel` is relative to the root.
 * A non-zero return stops the walk and is returned by fc_walk(). */
typedef int (*fc_walk_file_fn)(void *ctx, const char *path, const char *rel, const struct stat *st);
/* Called for each problem: `rel` names the entry (the link, not its target), `why` says what happened. */
typedef void (*fc_walk_warn_fn)(void *ctx, const char *rel, const char *why);

struct fc_walk_options {
	bool confine;          /* skip anything whose real path is outside the root */
	fc_walk_file_fn on_file;
	fc_walk_warn_fn on_warn; /* NULL: problems are not reported */
	void *ctx;
};

/*
 * Walk `root`, starting at `start` (a path relative to the root, "" for the root itself). Returns FC_OK, the first
 * non-zero value `on_file` returned, or FC_ENOENT / FC_EIO when the root or the start cannot be read (with `err`).
 */
int fc_walk(const char *root, const char *start, const struct fc_walk_options *opts, struct fc_err *err);

/* Make a directory and its missing parents (mode 0755), as `mkdir -p` does. FC_EIO with the path that failed. */
int fc_mkdir_p(const char *path, struct fc_err *err);

#endif
