/*
 * The JWS request parser (acme/jws.c, RFC 8555 6.2, RFC 7515 7.2.2 flattened JSON): every
 * POST body the ACME listener accepts goes through kk_jws_parse first. The input is the
 * body, in a buffer of exactly its length (no NUL after it, as the listener's buffer may
 * have none). Parsed headers then go through the JWK checks (kk_jwk_canonical,
 * kk_jwk_thumbprint) and, when the key is acceptable, the signature check, as
 * acme/wfe.c does for newAccount.
 */
#include "fuzz.h"
#include "jws.h"

static void
one(const uint8_t *data, size_t size, int flags)
{
	kk_jws *j = NULL;
	char *body = NULL, *jwk = NULL, *thumb = NULL;
	kk_err e;

	/* exactly size bytes: ASan sees any read past the body */
	if ((body = malloc(size > 0 ? size : 1)) == NULL)
		fuzz_die("malloc", NULL);
	memcpy(body, data, size);
	if (kk_jws_parse(body, size, flags, &j, &e) != 0)
		goto out;
	if (j->alg == NULL || j->compact == NULL || (j->kid == NULL) == (j->jwk == NULL))
		fuzz_die("kk_jws_parse", "accepted a JWS without alg or with not one of kid/jwk");
	if ((flags & KK_JWS_INNER) == 0 && (j->nonce == NULL || j->url == NULL))
		fuzz_die("kk_jws_parse", "accepted an outer JWS without nonce or url");
	if (j->jwk != NULL && kk_jwk_canonical(j->jwk, &jwk, &e) == 0) {
		if (kk_jwk_thumbprint(j->jwk, &thumb, &e) != 0)
			fuzz_die("kk_jwk_thumbprint", "failed on a key kk_jwk_canonical accepted");
		(void)kk_jws_verify(j, jwk, &e);
	}
out:
	free(thumb);
	free(jwk);
	kk_jws_free(j);
	free(body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one(data, size, KK_JWS_OUTER);
	one(data, size, KK_JWS_INNER);
	return 0;
}
