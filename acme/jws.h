/*
 * JWS for ACME (RFC 8555 6.2-6.5, RFC 7515 flattened JSON serialization), verified
 * with cjose. Allowed algorithms: RS256, PS256, ES256, ES384.
 */
#ifndef KAKUIN_JWS_H
#define KAKUIN_JWS_H

#include <stddef.h>
#include <jansson.h>
#include "kakuin/err.h"

#define KK_JWS_ALGS "RS256 PS256 ES256 ES384"

typedef struct kk_jws {
	json_t *protected_hdr;  /* decoded protected header (owned) */
	const char *alg;        /* borrowed from protected_hdr */
	const char *nonce;      /* NULL when absent (allowed for inner JWS) */
	const char *url;
	const char *kid;        /* exactly one of kid/jwk is set */
	json_t *jwk;            /* borrowed from protected_hdr */
	unsigned char *payload; /* decoded payload, NUL-terminated (owned) */
	size_t payload_len;
	int post_as_get;        /* payload was the empty string */
	char *compact;          /* "protected.payload.signature" for cjose (owned) */
} kk_jws;

/* Flags for kk_jws_parse */
#define KK_JWS_OUTER 0      /* nonce, url required */
#define KK_JWS_INNER 1      /* keyChange inner JWS: jwk required, nonce must be absent */

/* Parses and checks the structure: JSON object with exactly protected/payload/signature
 * strings in strict base64url; protected header JSON with alg in the allowlist
 * (else KK_ERR_BAD_SIGNATURE_ALG naming the list), url, nonce (outer), exactly one of
 * kid/jwk. Does not verify the signature or consume the nonce. Caller frees *out. */
int kk_jws_parse(const char *body, size_t len, int flags, kk_jws **out, kk_err *err);
void kk_jws_free(kk_jws *j);

/* Verifies the signature with the public JWK given as JSON text (an account's stored
 * key or the jwk from the header). The key type must suit alg (RSA for RS256/PS256,
 * EC P-256 for ES256, P-384 for ES384). KK_ERR_UNAUTHORIZED/KK_ERR_MALFORMED on failure. */
int kk_jws_verify(const kk_jws *j, const char *jwk_json, kk_err *err);

/* Canonical public JWK (only the RFC 7638 required members, sorted) as JSON text, after
 * checking the key: RSA >= 2048 bits (modulus) with a sane exponent, or EC P-256/P-384
 * with the point on the curve. KK_ERR_BAD_PUBLIC_KEY otherwise. Caller frees. */
int kk_jwk_canonical(const json_t *jwk, char **out, kk_err *err);
/* RFC 7638 thumbprint (SHA-256, base64url) of a JWK. Caller frees. */
int kk_jwk_thumbprint(const json_t *jwk, char **out, kk_err *err);

#endif
