/* RFC 8555 7.3.4 External Account Binding: the JWS a newAccount request carries. */
#ifndef KAKUIN_EAB_H
#define KAKUIN_EAB_H

#include <jansson.h>
#include "kakuin/err.h"
#include "kakuin/ra.h"

typedef struct kk_eab_parsed {
	kk_eab_req req;        /* points into the members below */
	json_t *hdr;           /* decoded protected header (owned) */
	char *signing_input;   /* owned */
	unsigned char *mac;    /* owned */
} kk_eab_parsed;

/* Checks the externalAccountBinding object eab of a newAccount request to url made with
 * the account key whose RFC 7638 thumbprint is thumb: a flattened JWS with exactly
 * protected/payload/signature in base64url, a protected header with alg HS256/HS384/
 * HS512, a kid, url equal to url and no nonce, and a payload that is the account's JWK.
 * KK_ERR_MALFORMED (or KK_ERR_BAD_SIGNATURE_ALG) with a detail otherwise. The MAC is
 * checked by the RA. Clear *out with kk_eab_parsed_clear (also after a failure). */
int kk_eab_parse(const json_t *eab, const char *url, const char *thumb, kk_eab_parsed *out,
    kk_err *err);
void kk_eab_parsed_clear(kk_eab_parsed *p);

#endif
