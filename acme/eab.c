/*
 * External Account Binding (RFC 8555 7.3.4): structure checks of the inner JWS. The
 * MAC key never reaches the front end: the RA looks it up and verifies the MAC.
 */
#include <stdlib.h>
#include <string.h>
#include "kakuin/util.h"
#include "eab.h"
#include "jws.h"

#define EAB_KID_MAX 64

/* Decodes member key of eab (a base64url string) into *out (NUL-terminated). */
static int
eab_member(const json_t *eab, const char *key, unsigned char **out, size_t *len, kk_err *err)
{
	const char *s = json_string_value(json_object_get(eab, key));

	if (s == NULL)
		return kk_err_set(err, KK_ERR_MALFORMED, "externalAccountBinding needs a %s string",
		    key);
	if (kk_b64url_decode(s, strlen(s), out, len) != 0)
		return kk_err_set(err, KK_ERR_MALFORMED, "externalAccountBinding %s is not "
		    "base64url", key);
	return 0;
}

void
kk_eab_parsed_clear(kk_eab_parsed *p)
{
	json_decref(p->hdr);
	free(p->signing_input);
	free(p->mac);
	memset(p, 0, sizeof(*p));
}

int
kk_eab_parse(const json_t *eab, const char *url, const char *thumb, kk_eab_parsed *out,
    kk_err *err)
{
	unsigned char *hdr = NULL, *payload = NULL;
	size_t hdr_len = 0, payload_len = 0;
	json_t *jwk = NULL;
	char *jthumb = NULL;
	const char *alg, *kid, *u;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(eab) || json_object_size(eab) != 3)
		return kk_err_set(err, KK_ERR_MALFORMED, "externalAccountBinding must be a JWS "
		    "object with exactly protected, payload and signature");
	if (eab_member(eab, "protected", &hdr, &hdr_len, err) != 0 ||
	    eab_member(eab, "payload", &payload, &payload_len, err) != 0 ||
	    eab_member(eab, "signature", &out->mac, &out->req.mac_len, err) != 0)
		goto out;
	if ((out->hdr = json_loadb((const char *)hdr, hdr_len, JSON_REJECT_DUPLICATES,
	    NULL)) == NULL || !json_is_object(out->hdr)) {
		kk_err_set(err, KK_ERR_MALFORMED, "externalAccountBinding protected header is not "
		    "a JSON object");
		goto out;
	}
	alg = json_string_value(json_object_get(out->hdr, "alg"));
	kid = json_string_value(json_object_get(out->hdr, "kid"));
	u = json_string_value(json_object_get(out->hdr, "url"));
	if (alg == NULL || (strcmp(alg, "HS256") != 0 && strcmp(alg, "HS384") != 0 &&
	    strcmp(alg, "HS512") != 0)) {
		kk_err_set(err, KK_ERR_BAD_SIGNATURE_ALG, "externalAccountBinding alg must be "
		    "HS256, HS384 or HS512");
		goto out;
	}
	if (kid == NULL || kid[0] == '\0' || strlen(kid) > EAB_KID_MAX) {
		kk_err_set(err, KK_ERR_MALFORMED, "externalAccountBinding needs the EAB key id "
		    "as kid");
		goto out;
	}
	/* RFC 8555 7.3.4: same url as the outer JWS, and no nonce */
	if (u == NULL || strcmp(u, url) != 0) {
		kk_err_set(err, KK_ERR_MALFORMED, "externalAccountBinding url must be %s", url);
		goto out;
	}
	if (json_object_get(out->hdr, "nonce") != NULL) {
		kk_err_set(err, KK_ERR_MALFORMED, "externalAccountBinding must not have a nonce");
		goto out;
	}
	if ((jwk = json_loadb((const char *)payload, payload_len, JSON_REJECT_DUPLICATES,
	    NULL)) == NULL || !json_is_object(jwk) || kk_jwk_thumbprint(jwk, &jthumb, err) != 0 ||
	    strcmp(jthumb, thumb) != 0) {
		kk_err_set(err, KK_ERR_MALFORMED, "externalAccountBinding payload must be the "
		    "account's public key (the jwk of the outer JWS)");
		goto out;
	}
	out->signing_input = kk_printf("%s.%s",
	    json_string_value(json_object_get(eab, "protected")),
	    json_string_value(json_object_get(eab, "payload")));
	if (out->signing_input == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	out->req.kid = kid;
	out->req.alg = alg;
	out->req.signing_input = out->signing_input;
	out->req.mac = out->mac;
	rc = 0;
out:
	free(hdr);
	free(payload);
	free(jthumb);
	json_decref(jwk);
	return rc;
}
