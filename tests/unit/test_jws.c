/*
 * acme/jws.c: JWSs are built here by hand (OpenSSL keys and signatures, ECDSA DER
 * converted to R||S per RFC 7518 3.4) so the parser and cjose see what real ACME
 * clients send, and every malformed variant is checked for its error kind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include "kakuin/util.h"
#include "jws.h"

#define URL "https://acme.example/acme/new-order"
#define NONCE "bm9uY2UtMQ"
#define KID "https://acme.example/acme/acct/1"

static EVP_PKEY *rsa2048, *rsa2048b, *rsa1024, *p256, *p256b, *p384;

static char *
b64(const void *data, size_t len)
{
	char *out = NULL;

	assert_int_equal(kk_b64url_encode(data, len, &out), 0);
	return out;
}

static char *
bn_b64(const BIGNUM *bn, int pad)
{
	unsigned char buf[1024];
	int n = pad ? pad : BN_num_bytes(bn);

	assert_true(n > 0 && (size_t)n <= sizeof(buf));
	assert_int_equal(BN_bn2binpad(bn, buf, n), n);
	return b64(buf, (size_t)n);
}

/* Public JWK of pk, members deliberately not in RFC 7638 order. Caller frees. */
static char *
jwk_of(EVP_PKEY *pk)
{
	BIGNUM *a = NULL, *b = NULL;
	char *s1, *s2, *out;

	if (EVP_PKEY_is_a(pk, "RSA")) {
		assert_int_equal(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &a), 1);
		assert_int_equal(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &b), 1);
		s1 = bn_b64(a, 0);
		s2 = bn_b64(b, 0);
		out = kk_printf("{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"}", s1, s2);
	} else {
		int len = (EVP_PKEY_get_bits(pk) + 7) / 8;
		assert_int_equal(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, &a), 1);
		assert_int_equal(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_Y, &b), 1);
		s1 = bn_b64(a, len);
		s2 = bn_b64(b, len);
		out = kk_printf("{\"y\":\"%s\",\"x\":\"%s\",\"kty\":\"EC\",\"crv\":\"%s\"}", s2,
		    s1, len == 32 ? "P-256" : "P-384");
	}
	BN_free(a);
	BN_free(b);
	free(s1);
	free(s2);
	assert_non_null(out);
	return out;
}

/* base64url signature of input under alg (its hash; PSS for "PS*"). Caller frees. */
static char *
sign(EVP_PKEY *pk, const char *alg, const char *input)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *md = strstr(alg, "384") ? EVP_sha384() : EVP_sha256();
	unsigned char sig[1024], rs[96];
	size_t siglen = sizeof(sig);
	char *out;

	assert_int_equal(EVP_DigestSignInit(mctx, &pctx, md, NULL, pk), 1);
	if (alg[0] == 'P') {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST), 1);
	}
	assert_int_equal(EVP_DigestSign(mctx, sig, &siglen, (const unsigned char *)input,
	    strlen(input)), 1);
	EVP_MD_CTX_free(mctx);
	if (EVP_PKEY_is_a(pk, "EC")) {
		const unsigned char *p = sig;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)siglen);
		int n = (EVP_PKEY_get_bits(pk) + 7) / 8;
		assert_non_null(es);
		assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(es), rs, n), n);
		assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(es), rs + n, n), n);
		ECDSA_SIG_free(es);
		return b64(rs, 2 * (size_t)n);
	}
	out = b64(sig, siglen);
	return out;
}

/* The three base64url parts of a JWS over hdr (JSON text) and payload. */
struct parts {
	char *p, *y, *s;
};

static void
make_parts(EVP_PKEY *pk, const char *alg, const char *hdr, const char *payload,
    struct parts *out)
{
	char *input;

	out->p = b64(hdr, strlen(hdr));
	out->y = b64(payload, strlen(payload));
	input = kk_printf("%s.%s", out->p, out->y);
	out->s = sign(pk, alg, input);
	free(input);
}

static void
parts_free(struct parts *pt)
{
	free(pt->p);
	free(pt->y);
	free(pt->s);
}

static char *
body_of(const struct parts *pt)
{
	return kk_printf("{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}",
	    pt->p, pt->y, pt->s);
}

/* Outer header with an embedded jwk (as newAccount sends). Caller frees. */
static char *
hdr_jwk(const char *alg, const char *jwk)
{
	return kk_printf("{\"alg\":\"%s\",\"jwk\":%s,\"nonce\":\"" NONCE "\",\"url\":\"" URL
	    "\"}", alg, jwk);
}

/* A complete signed JWS body. Caller frees. */
static char *
make_jws(EVP_PKEY *pk, const char *alg, const char *hdr, const char *payload)
{
	struct parts pt;
	char *body;

	make_parts(pk, alg, hdr, payload, &pt);
	body = body_of(&pt);
	parts_free(&pt);
	return body;
}

/* Parses body and asserts it fails with kind and a detail containing what. */
static void
expect_parse_fail(const char *body, int flags, kk_errkind kind, const char *what)
{
	kk_jws *j = (kk_jws *)1;
	kk_err err;

	kk_err_clear(&err);
	assert_int_equal(kk_jws_parse(body, strlen(body), flags, &j, &err), -1);
	assert_null(j);
	assert_string_equal(kk_err_name(err.kind), kk_err_name(kind));
	if (strstr(err.detail, what) == NULL)
		fail_msg("detail \"%s\" lacks \"%s\"", err.detail, what);
}

/* Parses body (must succeed) and returns kk_jws_verify's result with jwk; sets *kind. */
static int
parse_verify(const char *body, int flags, const char *jwk, kk_err *err)
{
	kk_jws *j = NULL;
	int rc;

	kk_err_clear(err);
	assert_int_equal(kk_jws_parse(body, strlen(body), flags, &j, err), 0);
	rc = kk_jws_verify(j, jwk, err);
	kk_jws_free(j);
	return rc;
}

static void
expect_verify_fail(const char *body, const char *jwk, kk_errkind kind, const char *what)
{
	kk_err err;

	assert_int_equal(parse_verify(body, KK_JWS_OUTER, jwk, &err), -1);
	assert_string_equal(kk_err_name(err.kind), kk_err_name(kind));
	if (strstr(err.detail, what) == NULL)
		fail_msg("detail \"%s\" lacks \"%s\"", err.detail, what);
}

static int
keys_setup(void **state)
{
	(void)state;
	rsa2048 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	rsa2048b = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	p256b = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	return rsa2048 && rsa2048b && rsa1024 && p256 && p256b && p384 ? 0 : -1;
}

static int
keys_teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(rsa2048);
	EVP_PKEY_free(rsa2048b);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(p256b);
	EVP_PKEY_free(p384);
	return 0;
}

static const struct {
	const char *alg;
	EVP_PKEY **key;
} valid[] = {
	{ "RS256", &rsa2048 }, { "PS256", &rsa2048 }, { "ES256", &p256 }, { "ES384", &p384 },
};

/* Each allowed algorithm, with jwk and with an empty POST-as-GET payload. */
static void
test_valid_jwk(void **state)
{
	const char *payloads[] = { "{\"termsOfServiceAgreed\":true}", "" };
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		for (k = 0; k < 2; k++) {
			char *jwk = jwk_of(*valid[i].key), *hdr = hdr_jwk(valid[i].alg, jwk);
			char *body = make_jws(*valid[i].key, valid[i].alg, hdr, payloads[k]);
			char *hjwk;
			kk_jws *j = NULL;
			kk_err err;

			assert_int_equal(kk_jws_parse(body, strlen(body), KK_JWS_OUTER, &j, &err), 0);
			assert_string_equal(j->alg, valid[i].alg);
			assert_string_equal(j->url, URL);
			assert_string_equal(j->nonce, NONCE);
			assert_null(j->kid);
			assert_non_null(j->jwk);
			assert_string_equal((char *)j->payload, payloads[k]);
			assert_int_equal(j->payload_len, strlen(payloads[k]));
			assert_int_equal(j->post_as_get, k == 1);
			hjwk = json_dumps(j->jwk, JSON_COMPACT);
			if (kk_jws_verify(j, hjwk, &err) != 0)
				fail_msg("%s payload %zu: %s", valid[i].alg, k, err.detail);
			free(hjwk);
			kk_jws_free(j);
			free(body);
			free(hdr);
			free(jwk);
		}
	}
}

/* kid form: verified against the account's stored key. */
static void
test_valid_kid(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		char *jwk = jwk_of(*valid[i].key);
		char *hdr = kk_printf("{\"alg\":\"%s\",\"kid\":\"" KID "\",\"nonce\":\"" NONCE
		    "\",\"url\":\"" URL "\"}", valid[i].alg);
		char *body = make_jws(*valid[i].key, valid[i].alg, hdr, "");
		kk_jws *j = NULL;
		kk_err err;

		assert_int_equal(kk_jws_parse(body, strlen(body), KK_JWS_OUTER, &j, &err), 0);
		assert_string_equal(j->kid, KID);
		assert_null(j->jwk);
		assert_true(j->post_as_get);
		assert_int_equal(kk_jws_verify(j, jwk, &err), 0);
		kk_jws_free(j);
		free(body);
		free(hdr);
		free(jwk);
	}
}

/* A flipped signature bit, an altered payload and a stranger's key all fail. */
static void
test_bad_signatures(void **state)
{
	char *jwk = jwk_of(p256), *jwkb = jwk_of(p256b), *rjwk = jwk_of(rsa2048b);
	char *hdr = hdr_jwk("ES256", jwk), *rhdr = hdr_jwk("RS256", rjwk);
	char *body, *other, *sigraw;
	unsigned char *raw = NULL;
	size_t rawlen = 0;
	struct parts pt;

	(void)state;
	make_parts(p256, "ES256", hdr, "{\"a\":1}", &pt);
	assert_int_equal(kk_b64url_decode(pt.s, strlen(pt.s), &raw, &rawlen), 0);
	raw[5] ^= 0x01;
	sigraw = b64(raw, rawlen);
	free(raw);
	body = kk_printf("{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}",
	    pt.p, pt.y, sigraw);
	expect_verify_fail(body, jwk, KK_ERR_MALFORMED, "JWS verification error");
	free(body);

	other = b64("{\"a\":2}", 7);
	body = kk_printf("{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}",
	    pt.p, other, pt.s);
	expect_verify_fail(body, jwk, KK_ERR_MALFORMED, "JWS verification error");
	free(body);

	body = body_of(&pt);
	expect_verify_fail(body, jwkb, KK_ERR_MALFORMED, "JWS verification error");
	free(body);
	/* RSA: signed by rsa2048, verified with rsa2048b's key. */
	body = make_jws(rsa2048, "RS256", rhdr, "{}");
	expect_verify_fail(body, rjwk, KK_ERR_MALFORMED, "JWS verification error");
	free(body);
	parts_free(&pt);
	free(other);
	free(sigraw);
	free(hdr);
	free(rhdr);
	free(jwk);
	free(jwkb);
	free(rjwk);
}

/* ECDSA must be R||S of the curve's size; a DER signature is refused. */
static void
test_ecdsa_der_signature(void **state)
{
	char *jwk = jwk_of(p256), *hdr = hdr_jwk("ES256", jwk);
	char *p = b64(hdr, strlen(hdr)), *input = kk_printf("%s.", p), *sig, *body;
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	unsigned char der[128];
	size_t derlen = sizeof(der);

	(void)state;
	assert_int_equal(EVP_DigestSignInit(mctx, NULL, EVP_sha256(), NULL, p256), 1);
	assert_int_equal(EVP_DigestSign(mctx, der, &derlen, (unsigned char *)input,
	    strlen(input)), 1);
	sig = b64(der, derlen);
	body = kk_printf("{\"protected\":\"%s\",\"payload\":\"\",\"signature\":\"%s\"}", p,
	    sig);
	expect_verify_fail(body, jwk, KK_ERR_MALFORMED, "JWS verification error");
	EVP_MD_CTX_free(mctx);
	free(body);
	free(sig);
	free(input);
	free(p);
	free(hdr);
	free(jwk);
}

static void
test_kid_and_jwk(void **state)
{
	char *jwk = jwk_of(p256), *hdr, *body;

	(void)state;
	hdr = kk_printf("{\"alg\":\"ES256\",\"jwk\":%s,\"kid\":\"" KID "\",\"nonce\":\""
	    NONCE "\",\"url\":\"" URL "\"}", jwk);
	body = make_jws(p256, "ES256", hdr, "{}");
	expect_parse_fail(body, KK_JWS_OUTER, KK_ERR_MALFORMED,
	    "JWS must have exactly one of jwk and kid");
	free(body);
	free(hdr);
	hdr = kk_strdup("{\"alg\":\"ES256\",\"nonce\":\"" NONCE "\",\"url\":\"" URL "\"}");
	body = make_jws(p256, "ES256", hdr, "{}");
	expect_parse_fail(body, KK_JWS_OUTER, KK_ERR_MALFORMED,
	    "JWS must have exactly one of jwk and kid");
	free(body);
	free(hdr);
	free(jwk);
}

/* RFC 8555 6.2: none and MACs are refused, and so is anything off the allowlist. */
static void
test_bad_algs(void **state)
{
	const char *algs[] = { "none", "HS256", "RS1", "RS384", "ES512", "EdDSA", "rs256" };
	char *jwk = jwk_of(rsa2048), *hdr, *p, *body;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		hdr = hdr_jwk(algs[i], jwk);
		p = b64(hdr, strlen(hdr));
		/* "none" carries an empty signature; the others some bytes. */
		body = kk_printf("{\"protected\":\"%s\",\"payload\":\"e30\",\"signature\":\"%s\"}",
		    p, i == 0 ? "" : "c2lnbmF0dXJl");
		expect_parse_fail(body, KK_JWS_OUTER, KK_ERR_BAD_SIGNATURE_ALG, KK_JWS_ALGS);
		free(body);
		free(p);
		free(hdr);
	}
	free(jwk);
}

/* Header rules: url always, nonce outside and never inside (RFC 8555 6.4, 6.5, 7.3.5). */
static void
test_header_rules(void **state)
{
	char *jwk = jwk_of(p256), *hdr, *body;
	kk_jws *j = NULL;
	kk_err err;

	(void)state;
	hdr = kk_printf("{\"alg\":\"ES256\",\"jwk\":%s,\"nonce\":\"" NONCE "\"}", jwk);
	body = make_jws(p256, "ES256", hdr, "{}");
	expect_parse_fail(body, KK_JWS_OUTER, KK_ERR_MALFORMED, "url");
	free(body);
	free(hdr);

	hdr = kk_printf("{\"alg\":\"ES256\",\"jwk\":%s,\"url\":\"" URL "\"}", jwk);
	body = make_jws(p256, "ES256", hdr, "{}");
	expect_parse_fail(body, KK_JWS_OUTER, KK_ERR_BAD_NONCE, "nonce");
	/* The same header is a valid keyChange inner JWS. */
	assert_int_equal(kk_jws_parse(body, strlen(body), KK_JWS_INNER, &j, &err), 0);
	assert_null(j->nonce);
	assert_int_equal(kk_jws_verify(j, jwk, &err), 0);
	kk_jws_free(j);
	free(body);
	free(hdr);

	hdr = hdr_jwk("ES256", jwk);
	body = make_jws(p256, "ES256", hdr, "{}");
	expect_parse_fail(body, KK_JWS_INNER, KK_ERR_MALFORMED, "must not have a nonce");
	free(body);
	free(hdr);

	hdr = kk_strdup("{\"alg\":\"ES256\",\"kid\":\"" KID "\",\"url\":\"" URL "\"}");
	body = make_jws(p256, "ES256", hdr, "{}");
	expect_parse_fail(body, KK_JWS_INNER, KK_ERR_MALFORMED, "must have a jwk");
	free(body);
	free(hdr);

	hdr = kk_printf("{\"alg\":\"ES256\",\"jwk\":%s,\"nonce\":\"bad+nonce\",\"url\":\""
	    URL "\"}", jwk);
	body = make_jws(p256, "ES256", hdr, "{}");
	expect_parse_fail(body, KK_JWS_OUTER, KK_ERR_MALFORMED, "nonce is not base64url");
	free(body);
	free(hdr);

	hdr = kk_printf("{\"alg\":\"ES256\",\"jwk\":%s,\"nonce\":\"" NONCE "\",\"url\":\""
	    URL "\",\"crit\":[\"b64\"],\"b64\":false}", jwk);
	body = make_jws(p256, "ES256", hdr, "{}");
	expect_parse_fail(body, KK_JWS_OUTER, KK_ERR_MALFORMED, "crit");
	free(body);
	free(hdr);

	hdr = kk_strdup("{\"alg\":\"ES256\",\"jwk\":\"x\",\"nonce\":\"" NONCE "\",\"url\":\""
	    URL "\"}");
	body = make_jws(p256, "ES256", hdr, "{}");
	expect_parse_fail(body, KK_JWS_OUTER, KK_ERR_MALFORMED, "jwk must be a JSON object");
	free(body);
	free(hdr);
	free(jwk);
}

/* Strict base64url in every part: padding, '+', '/', bad tails, empty protected. */
static void
test_bad_base64url(void **state)
{
	char *jwk = jwk_of(p256), *hdr = hdr_jwk("ES256", jwk), *body, *tmp;
	struct parts pt;

	(void)state;
	make_parts(p256, "ES256", hdr, "{}", &pt);   /* payload "e30" */
	body = kk_printf("{\"protected\":\"%s\",\"payload\":\"e30=\",\"signature\":\"%s\"}",
	    pt.p, pt.s);
	expect_parse_fail(body, KK_JWS_OUTER, KK_ERR_MALFORMED, "payload is not base64url");
	free(body);
	body = kk_printf("{\"protected\":\"%s\",\"payload\":\"e3+\",\"signature\":\"%s\"}",
	    pt.p, pt.s);
	expect_parse_fail(body, KK_JWS_OUTER, KK_ERR_MALFORMED, "payload is not base64url");
	free(body);
	/* "e31" decodes to "{}" too but with a set leftover bit: not canonical. */
	body = kk_printf("{\"protected\":\"%s\",\"payload\":\"e31\",\"signature\":\"%s\"}",
	    pt.p, pt.s);
	expect_parse_fail(body, KK_JWS_OUTER, KK_ERR_MALFORMED, "payload is not base64url");
	free(body);
	body = kk_printf("{\"protected\":\"%s\",\"payload\":\"e30\",\"signature\":\"%s/\"}",
	    pt.p, pt.s);
	expect_parse_fail(body, KK_JWS_OUTER, KK_ERR_MALFORMED, "signature is not base64url");
	free(body);
	body = kk_printf("{\"protected\":\"%s\",\"payload\":\"e30\",\"signature\":\"\"}", pt.p);
	expect_parse_fail(body, KK_JWS_OUTER, KK_ERR_MALFORMED, "signature is not base64url");
	free(body);
	tmp = kk_printf("%s==", pt.p);
	body = kk_printf("{\"protected\":\"%s\",\"payload\":\"e30\",\"signature\":\"%s\"}",
	    tmp, pt.s);
	expect_parse_fail(body, KK_JWS_OUTER, KK_ERR_MALFORMED, "protected header is not base64url");
	free(body);
	free(tmp);
	body = kk_printf("{\"protected\":\"\",\"payload\":\"e30\",\"signature\":\"%s\"}", pt.s);
	expect_parse_fail(body, KK_JWS_OUTER, KK_ERR_MALFORMED, "protected header is not base64url");
	free(body);
	/* "e30" with an embedded NUL must not pass as "e30": jansson refuses \u0000. */
	body = kk_printf("{\"protected\":\"%s\",\"payload\":\"e30\\u0000\",\"signature\":\"%s\"}",
	    pt.p, pt.s);
	expect_parse_fail(body, KK_JWS_OUTER, KK_ERR_MALFORMED, "not valid JSON");
	free(body);
	parts_free(&pt);
	free(hdr);
	free(jwk);
}

/* Not JSON, not objects, duplicates, wrong members. */
static void
test_bad_json(void **state)
{
	char *jwk = jwk_of(p256), *hdr = hdr_jwk("ES256", jwk), *body, *p, *dup;
	struct parts pt;

	(void)state;
	expect_parse_fail("{\"protected\":", KK_JWS_OUTER, KK_ERR_MALFORMED, "not valid JSON");
	expect_parse_fail("[1,2]", KK_JWS_OUTER, KK_ERR_MALFORMED, "must be a JSON object");
	make_parts(p256, "ES256", hdr, "{}", &pt);

	p = b64("{\"alg\":\"ES256\",", 15);
	body = kk_printf("{\"protected\":\"%s\",\"payload\":\"e30\",\"signature\":\"%s\"}",
	    p, pt.s);
	expect_parse_fail(body, KK_JWS_OUTER, KK_ERR_MALFORMED, "not a JSON object");
	free(body);
	free(p);
	p = b64("[\"ES256\"]", 9);
	body = kk_printf("{\"protected\":\"%s\",\"payload\":\"e30\",\"signature\":\"%s\"}",
	    p, pt.s);
	expect_parse_fail(body, KK_JWS_OUTER, KK_ERR_MALFORMED, "not a JSON object");
	free(body);
	free(p);

	/* Duplicate "alg" in the header: one signer, two readings. */
	dup = kk_printf("{\"alg\":\"ES256\",\"alg\":\"none\",\"jwk\":%s,\"nonce\":\"" NONCE
	    "\",\"url\":\"" URL "\"}", jwk);
	body = make_jws(p256, "ES256", dup, "{}");
	expect_parse_fail(body, KK_JWS_OUTER, KK_ERR_MALFORMED, "not a JSON object");
	free(body);
	free(dup);
	body = kk_printf("{\"protected\":\"%s\",\"payload\":\"e30\",\"payload\":\"e30\","
	    "\"signature\":\"%s\"}", pt.p, pt.s);
	expect_parse_fail(body, KK_JWS_OUTER, KK_ERR_MALFORMED, "duplicate");
	free(body);

	body = kk_printf("{\"protected\":\"%s\",\"header\":{\"kid\":\"x\"},\"payload\":\"e30\","
	    "\"signature\":\"%s\"}", pt.p, pt.s);
	expect_parse_fail(body, KK_JWS_OUTER, KK_ERR_MALFORMED, "unprotected header");
	free(body);
	body = kk_printf("{\"protected\":\"%s\",\"payload\":\"e30\",\"signature\":\"%s\","
	    "\"extra\":1}", pt.p, pt.s);
	expect_parse_fail(body, KK_JWS_OUTER, KK_ERR_MALFORMED, "unexpected JWS member extra");
	free(body);
	body = kk_printf("{\"payload\":\"e30\",\"signatures\":[]}");
	expect_parse_fail(body, KK_JWS_OUTER, KK_ERR_MALFORMED, "flattened");
	free(body);
	body = kk_printf("{\"protected\":\"%s\",\"payload\":\"e30\"}", pt.p);
	expect_parse_fail(body, KK_JWS_OUTER, KK_ERR_MALFORMED, "lacks signature");
	free(body);
	body = kk_printf("{\"protected\":\"%s\",\"payload\":{},\"signature\":\"%s\"}",
	    pt.p, pt.s);
	expect_parse_fail(body, KK_JWS_OUTER, KK_ERR_MALFORMED, "payload must be a string");
	free(body);
	parts_free(&pt);
	free(hdr);
	free(jwk);
}

/* The key must suit alg: ES256 with a P-384 key, RS256 with an EC key, jwk "alg". */
static void
test_key_alg_mismatch(void **state)
{
	char *jwk384 = jwk_of(p384), *jwk256 = jwk_of(p256), *rjwk = jwk_of(rsa2048);
	char *hdr, *body, *tagged;

	(void)state;
	hdr = hdr_jwk("ES256", jwk384);
	body = make_jws(p384, "ES256", hdr, "{}");
	expect_verify_fail(body, jwk384, KK_ERR_BAD_SIGNATURE_ALG, "EC P-384");
	free(body);
	free(hdr);
	hdr = hdr_jwk("RS256", jwk256);
	body = make_jws(p256, "ES256", hdr, "{}");
	expect_verify_fail(body, jwk256, KK_ERR_BAD_SIGNATURE_ALG, KK_JWS_ALGS);
	free(body);
	free(hdr);
	hdr = hdr_jwk("ES256", rjwk);
	body = make_jws(rsa2048, "RS256", hdr, "{}");
	expect_verify_fail(body, rjwk, KK_ERR_BAD_SIGNATURE_ALG, "RSA");
	free(body);
	free(hdr);
	/* A JWK that names PS256 must not be used for RS256. */
	tagged = kk_printf("{\"alg\":\"PS256\",%s", rjwk + 1);
	hdr = hdr_jwk("RS256", tagged);
	body = make_jws(rsa2048, "RS256", hdr, "{}");
	expect_verify_fail(body, tagged, KK_ERR_BAD_SIGNATURE_ALG, "PS256");
	free(body);
	free(hdr);
	free(tagged);
	free(jwk384);
	free(jwk256);
	free(rjwk);
}

/* A weak key is badPublicKey both from kk_jwk_canonical and from verification. */
static void
test_weak_keys(void **state)
{
	char *rjwk = jwk_of(rsa1024), *ejwk = jwk_of(p256), *hdr, *body, *canon = NULL;
	json_t *k;
	kk_err err;
	char *ypos, *bad;

	(void)state;
	hdr = hdr_jwk("RS256", rjwk);
	body = make_jws(rsa1024, "RS256", hdr, "{}");
	expect_verify_fail(body, rjwk, KK_ERR_BAD_PUBLIC_KEY, "1024 bits");
	k = json_loads(rjwk, 0, NULL);
	assert_int_equal(kk_jwk_canonical(k, &canon, &err), -1);
	assert_int_equal(err.kind, KK_ERR_BAD_PUBLIC_KEY);
	assert_null(canon);
	json_decref(k);
	free(body);
	free(hdr);

	/* Off the curve: change one character of y. */
	bad = kk_strdup(ejwk);
	ypos = strstr(bad, "\"y\":\"") + 5;
	*ypos = *ypos == 'A' ? 'B' : 'A';
	hdr = hdr_jwk("ES256", bad);
	body = make_jws(p256, "ES256", hdr, "{}");
	expect_verify_fail(body, bad, KK_ERR_BAD_PUBLIC_KEY, "not on curve");
	free(body);
	free(hdr);
	free(bad);
	free(rjwk);
	free(ejwk);
}

#define RFC7638_N "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFx" \
	"uhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h" \
	"4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbI" \
	"SD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEg" \
	"U8awapJzKnqDKgw"

/* RFC 7638 3.1, with the optional members of the example present. */
static void
test_thumbprint_rfc7638(void **state)
{
	json_t *k = json_loads("{\"kty\":\"RSA\",\"n\":\"" RFC7638_N "\",\"e\":\"AQAB\","
	    "\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}", 0, NULL);
	char *out = NULL;
	kk_err err;

	(void)state;
	assert_non_null(k);
	assert_int_equal(kk_jwk_canonical(k, &out, &err), 0);
	assert_string_equal(out, "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"" RFC7638_N "\"}");
	free(out);
	assert_int_equal(kk_jwk_thumbprint(k, &out, &err), 0);
	assert_string_equal(out, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	free(out);
	json_decref(k);
}

/* EC canonical form is sorted and keeps only crv, kty, x, y. */
static void
test_canonical_ec(void **state)
{
	char *jwk = jwk_of(p384), *out = NULL, *want;
	json_t *k = json_loads(jwk, 0, NULL);
	kk_err err;

	(void)state;
	json_object_set_new(k, "use", json_string("sig"));
	assert_int_equal(kk_jwk_canonical(k, &out, &err), 0);
	want = kk_printf("{\"crv\":\"P-384\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
	    json_string_value(json_object_get(k, "x")), json_string_value(json_object_get(k, "y")));
	assert_string_equal(out, want);
	free(want);
	free(out);
	json_decref(k);
	free(jwk);
}

/* Each refused JWK shape, with a word its detail must contain. */
static void
test_bad_jwks(void **state)
{
	static const struct {
		const char *json;
		const char *what;
	} bad[] = {
		{ "{\"kty\":\"RSA\",\"n\":\"" RFC7638_N "\",\"e\":\"AQAA\"}", "exponent" },
		{ "{\"kty\":\"RSA\",\"n\":\"" RFC7638_N "\",\"e\":\"AQ\"}", "exponent" },
		{ "{\"kty\":\"RSA\",\"n\":\"AAAA" RFC7638_N "\",\"e\":\"AQAB\"}", "minimal" },
		{ "{\"kty\":\"RSA\",\"n\":\"" RFC7638_N "\"}", "lacks e" },
		{ "{\"kty\":\"RSA\",\"n\":\"" RFC7638_N "\",\"e\":\"AQAB\",\"d\":\"AQ\"}",
		  "private" },
		{ "{\"kty\":\"oct\",\"k\":\"AAAA\"}", "not supported" },
		{ "{\"n\":\"" RFC7638_N "\",\"e\":\"AQAB\"}", "not supported" },
		{ "{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":\"AA\",\"y\":\"AA\"}", "P-521" },
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\",\"y\":\"AAAA\"}", "32 octets" },
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		  "AAAAAAA\",\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", "not on curve" },
		{ "[1]", "JSON object" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *k = json_loads(bad[i].json, 0, NULL);
		char *out = NULL;
		kk_err err;

		assert_non_null(k);
		kk_err_clear(&err);
		assert_int_equal(kk_jwk_thumbprint(k, &out, &err), -1);
		assert_null(out);
		assert_int_equal(err.kind, KK_ERR_BAD_PUBLIC_KEY);
		if (strstr(err.detail, bad[i].what) == NULL)
			fail_msg("case %zu: detail \"%s\" lacks \"%s\"", i, err.detail, bad[i].what);
		json_decref(k);
	}
}

/* Failing each allocation in turn never crashes or leaks and never half-succeeds. */
static void
test_alloc_failures(void **state)
{
	char *jwk = jwk_of(p256), *hdr = hdr_jwk("ES256", jwk);
	char *body = make_jws(p256, "ES256", hdr, "{\"x\":1}");
	kk_jws *j = NULL;
	kk_err err;
	long n;
	int rc = -1;

	(void)state;
	for (n = 0; n < 50 && rc != 0; n++) {
		kk_alloc_fail_after(n);
		rc = kk_jws_parse(body, strlen(body), KK_JWS_OUTER, &j, &err);
		kk_alloc_fail_after(-1);
		if (rc != 0)
			assert_null(j);
	}
	assert_int_equal(rc, 0);
	assert_true(n > 1);
	assert_int_equal(kk_jws_verify(j, jwk, &err), 0);
	kk_jws_free(j);
	kk_jws_free(NULL);
	free(body);
	free(hdr);
	free(jwk);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_jwk),
		cmocka_unit_test(test_valid_kid),
		cmocka_unit_test(test_bad_signatures),
		cmocka_unit_test(test_ecdsa_der_signature),
		cmocka_unit_test(test_kid_and_jwk),
		cmocka_unit_test(test_bad_algs),
		cmocka_unit_test(test_header_rules),
		cmocka_unit_test(test_bad_base64url),
		cmocka_unit_test(test_bad_json),
		cmocka_unit_test(test_key_alg_mismatch),
		cmocka_unit_test(test_weak_keys),
		cmocka_unit_test(test_thumbprint_rfc7638),
		cmocka_unit_test(test_canonical_ec),
		cmocka_unit_test(test_bad_jwks),
		cmocka_unit_test(test_alloc_failures),
	};

	return cmocka_run_group_tests(tests, keys_setup, keys_teardown);
}
