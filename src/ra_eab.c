/* RA: External Account Binding (RFC 8555 7.3.4) to a vetted organization. */
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "ra_internal.h"

int
ra_eab_bind(kk_ra *ra, const kk_eab_req *eab, int64_t *org_id, kk_err *err)
{
	unsigned char key[64], mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	size_t key_len = 0;
	const EVP_MD *md;
	int ok;

	if (strcmp(eab->alg, "HS256") == 0)
		md = EVP_sha256();
	else if (strcmp(eab->alg, "HS384") == 0)
		md = EVP_sha384();
	else if (strcmp(eab->alg, "HS512") == 0)
		md = EVP_sha512();
	else
		return kk_err_set(err, KK_ERR_BAD_SIGNATURE_ALG, "externalAccountBinding alg must "
		    "be HS256, HS384 or HS512");
	if (kk_review_eab_key(ra->review, eab->kid, key, &key_len, org_id, err) != 0)
		return -1;
	ok = HMAC(md, key, (int)key_len, (const unsigned char *)eab->signing_input,
	    strlen(eab->signing_input), mac, &mac_len) != NULL && mac_len == eab->mac_len &&
	    CRYPTO_memcmp(mac, eab->mac, mac_len) == 0;
	OPENSSL_cleanse(key, sizeof(key));
	if (!ok)
		return kk_err_set(err, KK_ERR_UNAUTHORIZED, "externalAccountBinding: the MAC does "
		    "not verify with EAB key %.64s", eab->kid);
	return 0;
}
