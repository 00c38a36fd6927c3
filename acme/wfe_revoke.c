/* ACME revocation (RFC 8555 7.6): the request payload and who signed it; ACME Renewal
 * Information (RFC 9773). */
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "kakuin/clock.h"
#include "kakuin/util.h"
#include "wfe_internal.h"

/* Adds member name = base64url of bn in len octets (0: minimal) to o. */
static int
jwk_bn(json_t *o, const char *name, const BIGNUM *bn, int len)
{
	unsigned char buf[1024];
	char *b64 = NULL;
	int n, rc;

	if (len == 0)
		len = BN_num_bytes(bn);
	if (len <= 0 || len > (int)sizeof(buf) || (n = BN_bn2binpad(bn, buf, len)) < 0 ||
	    kk_b64url_encode(buf, (size_t)n, &b64) != 0)
		return -1;
	rc = json_object_set_new(o, name, json_string(b64));
	free(b64);
	return rc;
}

/* The public JWK (RFC 7518 6.2, 6.3) of a certificate key. Caller json_decrefs. */
static json_t *
pkey_jwk(EVP_PKEY *pk)
{
	BIGNUM *a = NULL, *b = NULL;
	char group[32];
	json_t *o = json_object();
	int ok = 0, len;

	if (o != NULL && EVP_PKEY_is_a(pk, "RSA")) {
		ok = json_object_set_new(o, "kty", json_string("RSA")) == 0 &&
		    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &a) == 1 &&
		    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &b) == 1 &&
		    jwk_bn(o, "n", a, 0) == 0 && jwk_bn(o, "e", b, 0) == 0;
	} else if (o != NULL && EVP_PKEY_is_a(pk, "EC") &&
	    EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group,
	    sizeof(group), NULL) == 1) {
		len = strcmp(group, "prime256v1") == 0 ? 32 :
		    strcmp(group, "secp384r1") == 0 ? 48 : 0;
		ok = len != 0 && json_object_set_new(o, "kty", json_string("EC")) == 0 &&
		    json_object_set_new(o, "crv", json_string(len == 32 ? "P-256" : "P-384")) == 0 &&
		    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, &a) == 1 &&
		    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_Y, &b) == 1 &&
		    jwk_bn(o, "x", a, len) == 0 && jwk_bn(o, "y", b, len) == 0;
	}
	BN_free(a);
	BN_free(b);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* RFC 8555 7.6: a jwk request must be signed by the certificate's own key (the JWS
 * signature was verified with that jwk already). */
static int
signed_by_cert_key(const kk_jws *jws, const unsigned char *der, size_t len, kk_err *err)
{
	const unsigned char *p = der;
	char *want = NULL, *got = NULL;
	json_t *jwk = NULL;
	X509 *x = NULL;
	int rc = -1;

	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL) {
		kk_err_set(err, KK_ERR_MALFORMED, "\"certificate\" is not a DER certificate");
		goto out;
	}
	if ((jwk = pkey_jwk(X509_get0_pubkey(x))) == NULL ||
	    kk_jwk_canonical(jwk, &want, err) != 0 ||
	    kk_jwk_canonical(jws->jwk, &got, err) != 0 || strcmp(want, got) != 0) {
		kk_err_set(err, KK_ERR_UNAUTHORIZED, "a revocation signed with a jwk must be "
		    "signed by the certificate's key; otherwise sign with your account (kid)");
		goto out;
	}
	rc = 0;
out:
	free(want);
	free(got);
	json_decref(jwk);
	X509_free(x);
	return rc;
}

int
kk_wfe_revoke_cert(kk_wfe_ctx *c, kk_err *err)
{
	json_t *cert, *reason;
	unsigned char *der = NULL;
	size_t len = 0;
	kk_revoke_req rq;
	int rc = -1;

	memset(&rq, 0, sizeof(rq));
	if (c->payload == NULL)
		return kk_err_set(err, KK_ERR_MALFORMED, "revokeCert needs a JSON payload");
	cert = json_object_get(c->payload, "certificate");
	reason = json_object_get(c->payload, "reason");
	if (!json_is_string(cert) || kk_b64url_decode(json_string_value(cert),
	    json_string_length(cert), &der, &len) != 0 || len == 0)
		return kk_err_set(err, KK_ERR_MALFORMED, "\"certificate\" must be the base64url "
		    "DER of the certificate");
	rq.reason = -1;
	if (reason != NULL) {
		if (!json_is_integer(reason) || json_integer_value(reason) < 0 ||
		    json_integer_value(reason) > 10) {
			kk_err_set(err, KK_ERR_BAD_REVOCATION_REASON, "\"reason\" must be a CRLReason "
			    "code: 1, 3, 4, 5 or 9 (or none)");
			goto out;
		}
		rq.reason = (int)json_integer_value(reason);
	}
	rq.der = der;
	rq.der_len = len;
	if (c->jws->jwk != NULL) {
		if (signed_by_cert_key(c->jws, der, len, err) != 0)
			goto out;
		rq.cert_key = 1;
	} else
		rq.acct = &c->acct;
	if (kk_ra_revoke(c->w->ra, &rq, err) != 0)
		goto out;
	/* RFC 8555 7.6: 200 with no content */
	c->resp->status = 200;
	rc = 0;
out:
	free(der);
	return rc;
}

/* RFC 9773 4.2: clients poll again after Retry-After */
#define ARI_RETRY_AFTER "21600"

int
kk_wfe_renewal_info(kk_wfe_ctx *c, const char *cert_id, kk_err *err)
{
	char start[21], end[21];
	time_t s, e;

	if (kk_ra_renewal_info(c->w->ra, cert_id, &s, &e, err) != 0)
		return -1;
	kk_time_format(s, start);
	kk_time_format(e, end);
	kk_wfe_json(c->resp, 200, json_pack("{s:{s:s,s:s}}", "suggestedWindow", "start", start,
	    "end", end));
	kk_wfe_header(c->resp, "Retry-After", kk_strdup(ARI_RETRY_AFTER));
	return 0;
}
