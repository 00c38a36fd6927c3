/*
 * ACME request authentication (acme/jws.h): RFC 8555 6.2-6.4 over RFC 7515
 * flattened JSON JWS, with JWK checks and RFC 7638 thumbprints.
 *
 * Parsing is ours and strict (jansson with duplicate keys refused, strict base64url);
 * the signature check is cjose's, on the compact form "protected.payload.signature",
 * which is exactly the JWS Signing Input plus the signature (RFC 7515 5.2), so an
 * empty POST-as-GET payload ("prot..sig", RFC 8555 6.3) verifies unchanged.
 * Before cjose sees a key, kk_jwk_canonical has checked it and reduced it to the
 * RFC 7638 members, and we check that the key suits alg ourselves: cjose picks the
 * digest from alg alone and would verify "ES256" with a P-384 key.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <cjose/cjose.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include "kakuin/keycheck.h"
#include "kakuin/util.h"
#include "jws.h"

/* RFC 8555 6.2: no "none", no MAC; kakuin accepts only these (KK_JWS_ALGS). */
static const struct jws_alg {
	const char *name;
	const char *kty;
	const char *crv;        /* required curve for EC, NULL for RSA */
} jws_algs[] = {
	{ "RS256", "RSA", NULL },
	{ "PS256", "RSA", NULL },
	{ "ES256", "EC", "P-256" },
	{ "ES384", "EC", "P-384" },
};

/* Curves accepted in account keys, with the OpenSSL group name and the coordinate
 * length RFC 7518 6.2.1.2 requires (full length, leading zeros kept). */
static const struct ec_curve {
	const char *crv;
	const char *group;
	size_t len;
} ec_curves[] = {
	{ "P-256", "prime256v1", 32 },
	{ "P-384", "secp384r1", 48 },
};

#define RSA_MAX_BITS 8192

static const struct jws_alg *
alg_find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < sizeof(jws_algs) / sizeof(jws_algs[0]); i++)
		if (strcmp(jws_algs[i].name, name) == 0)
			return &jws_algs[i];
	return NULL;
}

static const struct ec_curve *
curve_find(const char *crv)
{
	size_t i;

	for (i = 0; crv != NULL && i < sizeof(ec_curves) / sizeof(ec_curves[0]); i++)
		if (strcmp(ec_curves[i].crv, crv) == 0)
			return &ec_curves[i];
	return NULL;
}

/*
 * Optional string member `name` of obj: *out borrowed from obj, NULL when absent;
 * a non-string is an error of kind `kind`. Our json_loadb calls omit JSON_ALLOW_NUL,
 * so jansson has already refused strings with an embedded NUL.
 */
static int
member_string(const json_t *obj, const char *name, const char **out, kk_errkind kind,
    kk_err *err)
{
	const json_t *v = json_object_get(obj, name);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return kk_err_set(err, kind, "%s must be a string", name);
	*out = json_string_value(v);
	return 0;
}

/* Strictly decodes a required base64url string member of a JWK. Caller frees *out. */
static int
jwk_b64_member(const json_t *jwk, const char *name, const char **text, unsigned char **out,
    size_t *outlen, kk_err *err)
{
	if (member_string(jwk, name, text, KK_ERR_BAD_PUBLIC_KEY, err) != 0)
		return -1;
	if (*text == NULL)
		return kk_err_set(err, KK_ERR_BAD_PUBLIC_KEY, "JWK lacks %s", name);
	if (kk_b64url_decode(*text, strlen(*text), out, outlen) != 0)
		return kk_err_set(err, KK_ERR_BAD_PUBLIC_KEY, "JWK %s is not base64url", name);
	return 0;
}

/* The JWK's n and e as an OpenSSL public key. Caller frees *out. */
static int
rsa_pkey(const unsigned char *n, size_t nlen, const unsigned char *e, size_t elen,
    EVP_PKEY **out, kk_err *err)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *bn = NULL, *be = NULL;
	int rc = -1;

	if ((bn = BN_bin2bn(n, (int)nlen, NULL)) == NULL ||
	    (be = BN_bin2bn(e, (int)elen, NULL)) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		kk_err_set(err, KK_ERR_INTERNAL, "RSA key from JWK: ");
		kk_err_append_openssl(err);
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return rc;
}

/*
 * RSA key rules: minimal encoding (RFC 7518 6.3.1.1, so one key has one
 * thumbprint), at most 8192 bits and a 32-bit exponent so verification stays
 * cheap; the rest (size, exponent, weak moduli) is kk_key_check's.
 */
static int
rsa_check(const unsigned char *n, size_t nlen, const unsigned char *e, size_t elen,
    kk_err *err)
{
	EVP_PKEY *pk = NULL;
	int rc;

	if (nlen == 0 || n[0] == 0 || elen == 0 || e[0] == 0)
		return kk_err_set(err, KK_ERR_BAD_PUBLIC_KEY,
		    "RSA n and e must be minimal unsigned big-endian integers (RFC 7518 6.3.1)");
	if (nlen > RSA_MAX_BITS / 8)
		return kk_err_set(err, KK_ERR_BAD_PUBLIC_KEY,
		    "RSA key is larger than %d bits", RSA_MAX_BITS);
	if (elen > 4)
		return kk_err_set(err, KK_ERR_BAD_PUBLIC_KEY,
		    "RSA exponent is larger than 32 bits; use 65537");
	if (rsa_pkey(n, nlen, e, elen, &pk, err) != 0)
		return -1;
	rc = kk_key_check(pk, NULL, err);
	EVP_PKEY_free(pk);
	return rc;
}

/* Canonical RSA JWK: {"e","kty","n"} (RFC 7638 3.2). Caller frees *out. */
static int
rsa_canonical(const json_t *jwk, char **out, kk_err *err)
{
	const char *ntext = NULL, *etext = NULL;
	unsigned char *n = NULL, *e = NULL;
	size_t nlen = 0, elen = 0;
	int rc = -1;

	if (jwk_b64_member(jwk, "n", &ntext, &n, &nlen, err) != 0 ||
	    jwk_b64_member(jwk, "e", &etext, &e, &elen, err) != 0 ||
	    rsa_check(n, nlen, e, elen, err) != 0)
		goto out;
	/* Both texts are strict base64url, so they need no JSON escaping. */
	if ((*out = kk_printf("{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", etext,
	    ntext)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(n);
	free(e);
	return rc;
}

/* The point (x, y) must lie on the curve: SEC 1 3.2.2.1 public key validation. */
static int
ec_point_check(const struct ec_curve *c, const unsigned char *x, const unsigned char *y,
    kk_err *err)
{
	unsigned char pub[1 + 2 * 48];
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	int rc = -1;

	pub[0] = 0x04;          /* uncompressed point */
	memcpy(pub + 1, x, c->len);
	memcpy(pub + 1 + c->len, y, c->len);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
	    (char *)c->group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub,
	    1 + 2 * c->len);
	params[2] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1) {
		kk_err_set(err, KK_ERR_INTERNAL, "EC key context: ");
		kk_err_append_openssl(err);
		goto out;
	}
	/* fromdata already refuses most bad points; kk_key_check runs the full test. */
	if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		ERR_clear_error();
		kk_err_set(err, KK_ERR_BAD_PUBLIC_KEY, "EC point is not on curve %s", c->crv);
		goto out;
	}
	if (kk_key_check(pkey, NULL, err) != 0)
		goto out;
	rc = 0;
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* Canonical EC JWK: {"crv","kty","x","y"} (RFC 7638 3.2). Caller frees *out. */
static int
ec_canonical(const json_t *jwk, char **out, kk_err *err)
{
	const char *crv = NULL, *xtext = NULL, *ytext = NULL;
	const struct ec_curve *c;
	unsigned char *x = NULL, *y = NULL;
	size_t xlen = 0, ylen = 0;
	int rc = -1;

	if (member_string(jwk, "crv", &crv, KK_ERR_BAD_PUBLIC_KEY, err) != 0)
		goto out;
	if ((c = curve_find(crv)) == NULL) {
		kk_err_set(err, KK_ERR_BAD_PUBLIC_KEY,
		    "EC curve %.32s is not supported; use P-256 or P-384", crv ? crv : "(none)");
		goto out;
	}
	if (jwk_b64_member(jwk, "x", &xtext, &x, &xlen, err) != 0 ||
	    jwk_b64_member(jwk, "y", &ytext, &y, &ylen, err) != 0)
		goto out;
	if (xlen != c->len || ylen != c->len) {
		kk_err_set(err, KK_ERR_BAD_PUBLIC_KEY,
		    "EC %s coordinates must be %zu octets (RFC 7518 6.2.1.2)", c->crv, c->len);
		goto out;
	}
	if (ec_point_check(c, x, y, err) != 0)
		goto out;
	if ((*out = kk_printf("{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
	    c->crv, xtext, ytext)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(x);
	free(y);
	return rc;
}

/*
 * Checks the public key and writes its RFC 7638 canonical JSON to *out (caller
 * frees). A JWK carrying the private exponent "d" is refused: the client leaked it.
 */
int
kk_jwk_canonical(const json_t *jwk, char **out, kk_err *err)
{
	const char *kty = NULL;

	*out = NULL;
	if (!json_is_object(jwk))
		return kk_err_set(err, KK_ERR_BAD_PUBLIC_KEY, "JWK must be a JSON object");
	if (json_object_get(jwk, "d") != NULL)
		return kk_err_set(err, KK_ERR_BAD_PUBLIC_KEY,
		    "JWK contains private key material");
	if (member_string(jwk, "kty", &kty, KK_ERR_BAD_PUBLIC_KEY, err) != 0)
		return -1;
	if (kty != NULL && strcmp(kty, "RSA") == 0)
		return rsa_canonical(jwk, out, err);
	if (kty != NULL && strcmp(kty, "EC") == 0)
		return ec_canonical(jwk, out, err);
	return kk_err_set(err, KK_ERR_BAD_PUBLIC_KEY,
	    "JWK key type %.32s is not supported; use RSA or EC", kty ? kty : "(none)");
}

/* RFC 7638 3: base64url(SHA-256(canonical JWK)). Caller frees *out. */
int
kk_jwk_thumbprint(const json_t *jwk, char **out, kk_err *err)
{
	unsigned char md[32];
	char *canon = NULL;
	int rc = -1;

	*out = NULL;
	if (kk_jwk_canonical(jwk, &canon, err) != 0)
		goto out;
	if (EVP_Digest(canon, strlen(canon), md, NULL, EVP_sha256(), NULL) != 1 ||
	    kk_b64url_encode(md, sizeof(md), out) != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "thumbprint digest failed");
		goto out;
	}
	rc = 0;
out:
	free(canon);
	return rc;
}

void
kk_jws_free(kk_jws *j)
{
	if (j == NULL)
		return;
	json_decref(j->protected_hdr);
	free(j->payload);
	free(j->compact);
	free(j);
}

/*
 * The flattened serialization (RFC 7515 7.2.2) with exactly protected, payload and
 * signature, all strings. An unprotected "header" is refused (RFC 8555 6.2), and so
 * is "signatures": ACME requests carry one signature.
 */
static int
check_members(const json_t *root, kk_err *err)
{
	static const char *const need[] = { "protected", "payload", "signature" };
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)root, key, v) {
		if (strcmp(key, "header") == 0)
			return kk_err_set(err, KK_ERR_MALFORMED,
			    "JWS must not have an unprotected header (RFC 8555 6.2)");
		if (strcmp(key, "signatures") == 0)
			return kk_err_set(err, KK_ERR_MALFORMED,
			    "JWS must use the flattened JSON serialization (RFC 8555 6.2)");
		for (i = 0; i < 3 && strcmp(key, need[i]) != 0; i++)
			;
		if (i == 3)
			return kk_err_set(err, KK_ERR_MALFORMED, "unexpected JWS member %.32s",
			    key);
		if (!json_is_string(v))
			return kk_err_set(err, KK_ERR_MALFORMED, "JWS %s must be a string", key);
	}
	for (i = 0; i < 3; i++)
		if (json_object_get(root, need[i]) == NULL)
			return kk_err_set(err, KK_ERR_MALFORMED, "JWS lacks %s", need[i]);
	return 0;
}

/* RFC 8555 6.5: no nonce is badNonce; one that is not base64url is malformed. */
static int
check_nonce(kk_jws *j, int flags, kk_err *err)
{
	unsigned char *raw = NULL;
	size_t rawlen = 0;

	if (member_string(j->protected_hdr, "nonce", &j->nonce, KK_ERR_MALFORMED, err) != 0)
		return -1;
	if (flags == KK_JWS_INNER) {
		if (j->nonce != NULL)
			return kk_err_set(err, KK_ERR_MALFORMED,
			    "inner JWS must not have a nonce (RFC 8555 7.3.5)");
		return 0;
	}
	if (j->nonce == NULL || j->nonce[0] == '\0')
		return kk_err_set(err, KK_ERR_BAD_NONCE, "JWS has no nonce (RFC 8555 6.5)");
	if (kk_b64url_decode(j->nonce, strlen(j->nonce), &raw, &rawlen) != 0)
		return kk_err_set(err, KK_ERR_MALFORMED,
		    "JWS nonce is not base64url (RFC 8555 6.5.2)");
	free(raw);
	return 0;
}

/* Decodes and checks the protected header (RFC 8555 6.2-6.5) into j. */
static int
parse_protected(kk_jws *j, const char *b64, int flags, kk_err *err)
{
	unsigned char *raw = NULL;
	size_t rawlen = 0;
	int rc = -1;

	if (b64[0] == '\0' || kk_b64url_decode(b64, strlen(b64), &raw, &rawlen) != 0) {
		kk_err_set(err, KK_ERR_MALFORMED, "JWS protected header is not base64url");
		goto out;
	}
	j->protected_hdr = json_loadb((const char *)raw, rawlen, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(j->protected_hdr)) {
		kk_err_set(err, KK_ERR_MALFORMED, "JWS protected header is not a JSON object");
		goto out;
	}
	if (member_string(j->protected_hdr, "alg", &j->alg, KK_ERR_MALFORMED, err) != 0)
		goto out;
	if (alg_find(j->alg) == NULL) {
		kk_err_set(err, KK_ERR_BAD_SIGNATURE_ALG,
		    "JWS algorithm %.32s is not supported; use one of " KK_JWS_ALGS,
		    j->alg ? j->alg : "(none)");
		goto out;
	}
	/* RFC 7515 4.1.11: we understand no extension, so any "crit" must be refused. */
	if (json_object_get(j->protected_hdr, "crit") != NULL) {
		kk_err_set(err, KK_ERR_MALFORMED, "JWS crit extensions are not supported");
		goto out;
	}
	if (member_string(j->protected_hdr, "url", &j->url, KK_ERR_MALFORMED, err) != 0)
		goto out;
	if (j->url == NULL || j->url[0] == '\0') {
		kk_err_set(err, KK_ERR_MALFORMED, "JWS protected header lacks url (RFC 8555 6.4)");
		goto out;
	}
	if (check_nonce(j, flags, err) != 0 ||
	    member_string(j->protected_hdr, "kid", &j->kid, KK_ERR_MALFORMED, err) != 0)
		goto out;
	j->jwk = json_object_get(j->protected_hdr, "jwk");
	if (j->jwk != NULL && !json_is_object(j->jwk)) {
		kk_err_set(err, KK_ERR_MALFORMED, "JWS jwk must be a JSON object");
		goto out;
	}
	/* RFC 8555 6.2 */
	if ((j->kid == NULL) == (j->jwk == NULL)) {
		kk_err_set(err, KK_ERR_MALFORMED, "JWS must have exactly one of jwk and kid");
		goto out;
	}
	if (flags == KK_JWS_INNER && j->jwk == NULL) {
		kk_err_set(err, KK_ERR_MALFORMED, "inner JWS must have a jwk (RFC 8555 7.3.5)");
		goto out;
	}
	rc = 0;
out:
	free(raw);
	return rc;
}

/*
 * Parses a request body; on success *out (caller frees with kk_jws_free) holds the
 * checked header, the decoded payload and the compact form for kk_jws_verify.
 */
int
kk_jws_parse(const char *body, size_t len, int flags, kk_jws **out, kk_err *err)
{
	json_t *root = NULL;
	json_error_t jerr;
	kk_jws *j = NULL;
	const char *prot, *payload, *sig;
	unsigned char *sigraw = NULL;
	size_t siglen = 0;
	int rc = -1;

	*out = NULL;
	if (flags != KK_JWS_OUTER && flags != KK_JWS_INNER)
		return kk_err_set(err, KK_ERR_INTERNAL, "bad kk_jws_parse flags %d", flags);
	if ((root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		kk_err_set(err, KK_ERR_MALFORMED, "JWS is not valid JSON: %s", jerr.text);
		goto out;
	}
	if (!json_is_object(root)) {
		kk_err_set(err, KK_ERR_MALFORMED, "JWS must be a JSON object");
		goto out;
	}
	if (check_members(root, err) != 0)
		goto out;
	prot = json_string_value(json_object_get(root, "protected"));
	payload = json_string_value(json_object_get(root, "payload"));
	sig = json_string_value(json_object_get(root, "signature"));
	if ((j = kk_calloc(1, sizeof(*j))) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (parse_protected(j, prot, flags, err) != 0)
		goto out;
	if (kk_b64url_decode(payload, strlen(payload), &j->payload, &j->payload_len) != 0) {
		kk_err_set(err, KK_ERR_MALFORMED, "JWS payload is not base64url");
		goto out;
	}
	j->post_as_get = payload[0] == '\0';
	if (sig[0] == '\0' || kk_b64url_decode(sig, strlen(sig), &sigraw, &siglen) != 0) {
		kk_err_set(err, KK_ERR_MALFORMED, "JWS signature is not base64url");
		goto out;
	}
	if ((j->compact = kk_printf("%s.%s.%s", prot, payload, sig)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	*out = j;
	j = NULL;
	rc = 0;
out:
	free(sigraw);
	kk_jws_free(j);
	json_decref(root);
	return rc;
}

/*
 * The key must suit the algorithm (RFC 7518 3.1): RSA for RS256/PS256, the named
 * curve for ES256/ES384; a JWK "alg" member, when present, must agree too.
 */
static int
key_suits_alg(const json_t *jwk, const struct jws_alg *a, kk_err *err)
{
	const char *kty, *crv, *alg;

	kty = json_string_value(json_object_get(jwk, "kty"));
	crv = json_string_value(json_object_get(jwk, "crv"));
	alg = json_string_value(json_object_get(jwk, "alg"));
	if (strcmp(kty, a->kty) != 0 || (a->crv != NULL && strcmp(crv, a->crv) != 0))
		return kk_err_set(err, KK_ERR_BAD_SIGNATURE_ALG,
		    "JWS algorithm %s does not suit the %s%s%s key; use one of " KK_JWS_ALGS,
		    a->name, kty, crv ? " " : "", crv ? crv : "");
	if (alg != NULL && strcmp(alg, a->name) != 0)
		return kk_err_set(err, KK_ERR_BAD_SIGNATURE_ALG,
		    "JWS algorithm %s differs from the JWK's alg %.32s", a->name, alg);
	return 0;
}

/*
 * The signature must be exactly as long as the key demands: the RSA modulus length
 * (RFC 8017 8.1.2, 8.2.2) or R||S for ECDSA (RFC 7518 3.4). cjose splits an ECDSA
 * signature at half its length whatever that is, so this is checked first.
 */
static int
check_sig_len(const kk_jws *j, const cjose_jwk_t *key, kk_err *err)
{
	const char *sig = strrchr(j->compact, '.') + 1;
	unsigned char *raw = NULL;
	size_t rawlen = 0, bytes, want;
	cjose_err cerr;

	bytes = (cjose_jwk_get_keysize(key, &cerr) + 7) / 8;
	want = cjose_jwk_get_kty(key, &cerr) == CJOSE_JWK_KTY_EC ? 2 * bytes : bytes;
	if (kk_b64url_decode(sig, strlen(sig), &raw, &rawlen) != 0)
		return kk_err_set(err, KK_ERR_MALFORMED, "JWS signature is not base64url");
	free(raw);
	if (rawlen != want)
		return kk_err_set(err, KK_ERR_MALFORMED,
		    "JWS verification error: signature is %zu octets, expected %zu", rawlen, want);
	return 0;
}

/*
 * Account keys that passed kk_jwk_canonical, by SHA-256 of their stored JSON: every
 * request of an account verifies with the same key, and the full check (an EC point
 * validated, an RSA modulus against small factors, Fermat, ROCA) cost more than the
 * signature. An entry is good while the weak-key lists are unchanged (a list loaded
 * later may refuse an RSA key that passed before).
 */
#define JWK_CACHE 256
static struct {
	unsigned char id[32];
	char *canon;
	size_t weak_count;
} jwk_cache[JWK_CACHE];
static size_t jwk_cache_next;
static pthread_mutex_t jwk_cache_mu = PTHREAD_MUTEX_INITIALIZER;

/* *canon (caller frees) for a key checked before, or NULL. */
static void
jwk_cache_get(const unsigned char id[32], char **canon)
{
	size_t i;

	*canon = NULL;
	pthread_mutex_lock(&jwk_cache_mu);
	for (i = 0; i < JWK_CACHE && *canon == NULL; i++)
		if (jwk_cache[i].canon != NULL && memcmp(jwk_cache[i].id, id, 32) == 0 &&
		    jwk_cache[i].weak_count == kk_weakkeys_count())
			*canon = kk_strdup(jwk_cache[i].canon);
	pthread_mutex_unlock(&jwk_cache_mu);
}

static void
jwk_cache_put(const unsigned char id[32], const char *canon)
{
	char *copy = kk_strdup(canon);

	if (copy == NULL)
		return;
	pthread_mutex_lock(&jwk_cache_mu);
	free(jwk_cache[jwk_cache_next].canon);
	memcpy(jwk_cache[jwk_cache_next].id, id, 32);
	jwk_cache[jwk_cache_next].canon = copy;
	jwk_cache[jwk_cache_next].weak_count = kk_weakkeys_count();
	jwk_cache_next = (jwk_cache_next + 1) % JWK_CACHE;
	pthread_mutex_unlock(&jwk_cache_mu);
}

/*
 * Verifies j's signature with jwk_json (borrowed). The key is checked and reduced to
 * its canonical members before cjose imports it, so cjose never sees private parts.
 */
int
kk_jws_verify(const kk_jws *j, const char *jwk_json, kk_err *err)
{
	const struct jws_alg *a;
	json_t *jwk = NULL;
	char *canon = NULL;
	cjose_jwk_t *key = NULL;
	cjose_jws_t *jws = NULL;
	cjose_err cerr;
	unsigned char id[32];
	int rc = -1, known;

	if ((a = alg_find(j->alg)) == NULL)
		return kk_err_set(err, KK_ERR_BAD_SIGNATURE_ALG,
		    "JWS algorithm is not supported; use one of " KK_JWS_ALGS);
	if ((jwk = json_loads(jwk_json, JSON_REJECT_DUPLICATES, NULL)) == NULL) {
		kk_err_set(err, KK_ERR_MALFORMED, "JWK is not valid JSON");
		goto out;
	}
	if (EVP_Digest(jwk_json, strlen(jwk_json), id, NULL, EVP_sha256(), NULL) != 1) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot hash the JWK");
		goto out;
	}
	jwk_cache_get(id, &canon);
	if ((known = canon != NULL) == 0 && kk_jwk_canonical(jwk, &canon, err) != 0)
		goto out;
	if (key_suits_alg(jwk, a, err) != 0)
		goto out;
	if (!known)
		jwk_cache_put(id, canon);
	if ((key = cjose_jwk_import(canon, strlen(canon), &cerr)) == NULL) {
		kk_err_set(err, KK_ERR_BAD_PUBLIC_KEY, "JWK import failed: %s", cerr.message);
		goto out;
	}
	if (check_sig_len(j, key, err) != 0)
		goto out;
	if ((jws = cjose_jws_import(j->compact, strlen(j->compact), &cerr)) == NULL ||
	    !cjose_jws_verify(jws, key, &cerr)) {
		ERR_clear_error();
		kk_err_set(err, KK_ERR_MALFORMED, "JWS verification error");
		goto out;
	}
	rc = 0;
out:
	cjose_jws_release(jws);
	cjose_jwk_release(key);
	free(canon);
	json_decref(jwk);
	return rc;
}
