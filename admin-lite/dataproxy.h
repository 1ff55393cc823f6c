/*
 * dataproxy.h: signed, expiring URLs into `flytec serve`'s data directory (flyteidl DataProxyService's
 * CreateUploadLocation and CreateDownloadLocation). The gRPC door hands the URLs out; the HTTP listener serves them
 * (PUT and GET /api/v1/dataproxy/files/PROJECT/DOMAIN/MD5HEX/FILENAME?expires=UNIX&signature=HEX): the signature
 * (HMAC-SHA256 with a key drawn at start, so URLs die with the process) is the only credential they need.
 */
#ifndef ADM_DATAPROXY_H
#define ADM_DATAPROXY_H

#include "core/fc.h"

struct fc_buf;
struct fc_err;
struct adm_dataproxy;

#define ADM_DATAPROXY_PREFIX "/api/v1/dataproxy/files/"

/* `dir` is where files go (created when needed). */
int adm_dataproxy_new(const char *dir, struct adm_dataproxy **out, struct fc_err *err);
void adm_dataproxy_free(struct adm_dataproxy *dp);
const char *adm_dataproxy_dir(const struct adm_dataproxy *dp);
/* Append "PREFIX + key?expires=N&signature=HEX" for `method` ("PUT" or "GET") to `out`. `key` is
 * "project/domain/md5hex/filename" (checked by adm_dataproxy_check_key). */
void adm_dataproxy_sign(const struct adm_dataproxy *dp, const char *method, const char *key, int64_t expires,
			struct fc_buf *out);
/* Whether the signature is right for method + key + expires and `now` (seconds since the epoch) is before it. */
bool adm_dataproxy_verify(const struct adm_dataproxy *dp, const char *method, const char *key, const char *expires,
			  const char *signature, int64_t now);
/* A file name is one path segment: 1..255 bytes of [A-Za-z0-9._-], not starting with '.'. */
bool adm_dataproxy_name_ok(const char *name);

#endif
