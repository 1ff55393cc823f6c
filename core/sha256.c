/* sha256.c: SHA-256 through OpenSSL's EVP interface. */
#include "sha256.h"

#include <openssl/evp.h>
#include <pthread.h>

/*
 * The digest's implementation, fetched once: EVP_sha256() names the algorithm only, and every
 * EVP_DigestInit_ex() with it looks the provider's implementation up again (OpenSSL 3: a locked
 * search of the provider's method store per call). Kept for the life of the process.
 */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void fc_sha256_init(struct fc_sha256 *h)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx)
		fc_die_oom(sizeof(void *));
	pthread_once(&sha256_once, sha256_fetch);
	if (EVP_DigestInit_ex(ctx, sha256_md ? sha256_md : EVP_sha256(), NULL) != 1)
		FC_BUG("EVP_DigestInit_ex(sha256) failed");
	h->ctx = ctx;
}

void fc_sha256_update(struct fc_sha256 *h, const void *data, size_t len)
{
	if (len && EVP_DigestUpdate(h->ctx, data, len) != 1)
		FC_BUG("EVP_DigestUpdate failed");
}

void fc_sha256_final(struct fc_sha256 *h, unsigned char out[FC_SHA256_LEN])
{
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(h->ctx, out, &n) != 1 || n != FC_SHA256_LEN)
		FC_BUG("EVP_DigestFinal_ex failed");
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

void fc_sha256(const void *data, size_t len, unsigned char out[FC_SHA256_LEN])
{
	struct fc_sha256 h;

	fc_sha256_init(&h);
	fc_sha256_update(&h, data, len);
	fc_sha256_final(&h, out);
}

void fc_hex(const unsigned char *bytes, size_t len, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		hex[2 * i] = digits[bytes[i] >> 4];
		hex[2 * i + 1] = digits[bytes[i] & 15];
	}
	hex[2 * len] = '\0';
}
