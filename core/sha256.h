/* sha256.h: SHA-256 over libcrypto, one-shot and incremental, with hex output. */
#ifndef FC_SHA256_H
#define FC_SHA256_H

#include "fc.h"

#define FC_SHA256_LEN 32
#define FC_SHA256_HEX_LEN 64

struct fc_sha256 {
	void *ctx; /* EVP_MD_CTX */
};

void fc_sha256_init(struct fc_sha256 *h);
void fc_sha256_update(struct fc_sha256 *h, const void *data, size_t len);
/* Finish and release the context. */
void fc_sha256_final(struct fc_sha256 *h, unsigned char out[FC_SHA256_LEN]);
void fc_sha256(const void *data, size_t len, unsigned char out[FC_SHA256_LEN]);
/* Writes 2*len hex digits and a NUL to `hex`. */
void fc_hex(const unsigned char *bytes, size_t len, char *hex);

#endif
