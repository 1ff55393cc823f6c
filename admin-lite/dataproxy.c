/* dataproxy.c: signed, expiring URLs into the data directory (dataproxy.h). */
#include "admin-lite/dataproxy.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/walk.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

struct adm_dataproxy {
	char *dir;
	unsigned char key[32];
};

int adm_dataproxy_new(const char *dir, struct adm_dataproxy **out, struct fc_err *err)
{
	struct adm_dataproxy *dp;

	*out = NULL;
	if (fc_mkdir_p(dir, err))
		return err->code;
	dp = fc_xcalloc(1, sizeof(*dp));
	if (RAND_bytes(dp->key, sizeof(dp->key)) != 1) {
		free(dp);
		return fc_err_set(err, FC_EINTERNAL, "no random bytes for the data proxy's signing key");
	}
	dp->dir = fc_xstrdup(dir);
	*out = dp;
	return 0;
}

void adm_dataproxy_free(struct adm_dataproxy *dp)
{
	if (!dp)
		return;
	OPENSSL_cleanse(dp->key, sizeof(dp->key));
	free(dp->dir);
	free(dp);
}

const char *adm_dataproxy_dir(const struct adm_dataproxy *dp)
{
	return dp->dir;
}

bool adm_dataproxy_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (!n || n > 255 || name[0] == '.')
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* HMAC-SHA256 over "METHOD\nKEY\nEXPIRES", in hex. */
static void mac_hex(const struct adm_dataproxy *dp, const char *method, const char *key, const char *expires,
		    char out[65])
{
	struct fc_buf msg = FC_BUF_INIT;
	unsigned char mac[32];
	unsigned int len = 0;
	size_t i;

	fc_buf_addf(&msg, "%s\n%s\n%s", method, key, expires);
	HMAC(EVP_sha256(), dp->key, (int)sizeof(dp->key), (const unsigned char *)msg.buf, msg.len, mac, &len);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
	out[64] = 0;
	fc_buf_release(&msg);
}

void adm_dataproxy_sign(const struct adm_dataproxy *dp, const char *method, const char *key, int64_t expires,
			struct fc_buf *out)
{
	char exp[32], sig[65];

	snprintf(exp, sizeof(exp), "%lld", (long long)expires);
	mac_hex(dp, method, key, exp, sig);
	fc_buf_addf(out, "%s%s?expires=%s&signature=%s", ADM_DATAPROXY_PREFIX, key, exp, sig);
}

bool adm_dataproxy_verify(const struct adm_dataproxy *dp, const char *method, const char *key, const char *expires,
			  const char *signature, int64_t now)
{
	char sig[65], *end;
	long long when;

	if (!expires || !signature || strlen(signature) != 64)
		return false;
	when = strtoll(expires, &end, 10);
	if (*end || end == expires || when <= now)
		return false;
	mac_hex(dp, method, key, expires, sig);
	return CRYPTO_memcmp(sig, signature, 64) == 0;
}
