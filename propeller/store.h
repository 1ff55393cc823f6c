/*
 * store.h: the propeller's blob store. Keys are relative paths ("proj-dom-exec/n0/data/0/outputs.pb") made of
 * components of [A-Za-z0-9._-] that are never "." or ".."; nothing can escape the root. The store is an interface
 * (struct prop_store_ops) with a local-directory backend today; an S3-compatible backend fills the same table.
 */
#ifndef PROP_STORE_H
#define PROP_STORE_H

#include "core/fc.h"

#include <protobuf-c/protobuf-c.h>

struct fc_arena;
struct fc_buf;
struct fc_err;
struct prop_store;

struct prop_store_ops {
	const char *scheme; /* "file" */
	int (*put)(struct prop_store *s, const char *key, const void *data, size_t len, struct fc_err *err);
	/* FC_ENOENT when absent; FC_ELIMIT past `max` bytes (0: no limit). Appends to `out`. */
	int (*get)(struct prop_store *s, const char *key, struct fc_buf *out, size_t max, struct fc_err *err);
	bool (*exists)(struct prop_store *s, const char *key);
	/* The URI of a key, for events and literals ("/abs/root/key" for the local backend). Appended to `out`. */
	void (*uri)(struct prop_store *s, const char *key, struct fc_buf *out);
	void (*free)(struct prop_store *s);
};

struct prop_store {
	const struct prop_store_ops *ops;
};

/* Does `key` pass the rules above? */
bool prop_store_key_valid(const char *key);

/* A local-directory store rooted at `root` (created if missing). `durable`: fsync files and directories. */
int prop_store_local_open(const char *root, bool durable, struct prop_store **out, struct fc_err *err);
/* The local path of a key of a local store, appended to `out` (FC_EUNSUPPORTED for other backends). */
int prop_store_local_path(struct prop_store *s, const char *key, struct fc_buf *out, struct fc_err *err);
void prop_store_free(struct prop_store *s);

int prop_store_put(struct prop_store *s, const char *key, const void *data, size_t len, struct fc_err *err);
int prop_store_get(struct prop_store *s, const char *key, struct fc_buf *out, size_t max, struct fc_err *err);
bool prop_store_exists(struct prop_store *s, const char *key);
/* Protobuf helpers: pack and put; get and unpack into `arena`. */
int prop_store_put_msg(struct prop_store *s, const char *key, const ProtobufCMessage *msg, struct fc_err *err);
int prop_store_get_msg(struct prop_store *s, const char *key, struct fc_arena *arena,
		       const ProtobufCMessageDescriptor *desc, void **out, struct fc_err *err);

/* Create a directory and its parents (mode 0755); an existing directory is fine. */
int prop_mkdirs(const char *path, struct fc_err *err);
/* The same when the first `base_len` bytes of `path` name a directory that exists (cheaper). */
int prop_mkdirs_below(const char *path, size_t base_len, struct fc_err *err);
/* Read a whole file, appended to `out`, with one allocation sized by the file: FC_ENOENT when absent, FC_ELIMIT
 * past `max` bytes (0: no limit). Files are written with core/buf.h's fc_write_file_atomic. */
int prop_read_file(const char *path, struct fc_buf *out, size_t max, struct fc_err *err);

#define PROP_STORE_MAX_BLOB (256u * 1024 * 1024)

#endif
