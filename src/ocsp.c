/*
 * The OCSP responder (CP 4.9.9, 7.3; RFC 6960, RFC 5019). Responses are signed by the
 * delegated responder key in the token (CP table 7.1-2), name the responder by key hash,
 * carry the responder certificate, and are valid KK_OCSP_VALIDITY from thisUpdate. The
 * response for one SHA-1 CertID (the RFC 5019 profile) is pre-signed and cached; any
 * other well-formed request for our issuing CA is signed on demand. Nonces are ignored
 * (RFC 5019 4). A CertID of another issuer gets "unauthorized" (RFC 5019 2.2.3).
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>
#include "kakuin/store_revoke.h"
#include "kakuin/util.h"
#include "lint_status.h"
#include "status_internal.h"

#define MAX_CERTIDS 20

/* An unsigned error response (RFC 6960 4.2.1) into out->der. */
static int
error_response(int status, kk_signed *out, kk_err *err)
{
	OCSP_RESPONSE *r = NULL;
	unsigned char *der = NULL;
	int len, rc = -1;

	if ((r = OCSP_response_create(status, NULL)) == NULL ||
	    (len = i2d_OCSP_RESPONSE(r, &der)) <= 0 ||
	    (out->der = kk_malloc((size_t)len)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot encode an OCSP error response");
		goto out;
	}
	memcpy(out->der, der, (size_t)len);
	out->der_len = (size_t)len;
	rc = 0;
out:
	OPENSSL_free(der);
	OCSP_RESPONSE_free(r);
	return rc;
}

/* The lower-case hex serial of a CertID (as the store keeps it), "" when negative. */
static int
certid_serial(OCSP_CERTID *id, char out[41])
{
	ASN1_INTEGER *sn = NULL;
	BIGNUM *bn = NULL;
	char *hex = NULL;
	int rc = -1;

	out[0] = '\0';
	if (OCSP_id_get0_info(NULL, NULL, NULL, &sn, id) != 1 ||
	    (bn = ASN1_INTEGER_to_BN(sn, NULL)) == NULL)
		goto out;
	if (!BN_is_negative(bn) && !BN_is_zero(bn)) {
		if ((hex = BN_bn2hex(bn)) == NULL)
			goto out;
		if (strlen(hex) < 41) {
			snprintf(out, 41, "%s", hex);
			kk_str_lower(out);
		}
	}
	rc = 0;
out:
	OPENSSL_free(hex);
	BN_free(bn);
	return rc;
}

/* Adds the SingleResponse for id (RFC 6960 4.2.1): good, revoked (with the reason when
 * not unspecified) or unknown (never issued by us). */
static int
add_single(kk_status *s, OCSP_BASICRESP *bs, OCSP_CERTID *id, ASN1_TIME *tu, ASN1_TIME *nu,
    kk_err *err)
{
	kk_certrev cs;
	ASN1_TIME *rt = NULL;
	char serial[41];
	int status = V_OCSP_CERTSTATUS_UNKNOWN, reason = OCSP_REVOKED_STATUS_NOSTATUS, rc = -1;
	kk_err e;

	kk_err_clear(&e);
	if (certid_serial(id, serial) != 0)
		return kk_err_set(err, KK_ERR_INTERNAL, "cannot read a CertID serial");
	/* reserved or planned serials are not certificates (yet): unknown; a signed
	 * precertificate assigns its serial (BR 4.9.10): good */
	if (serial[0] != '\0' && kk_store_cert_revstate(s->st, serial, &cs, &e) == 0 &&
	    (strcmp(cs.status, "issued") == 0 || strcmp(cs.status, "revoked") == 0 ||
	    strcmp(cs.status, "precert") == 0)) {
		status = V_OCSP_CERTSTATUS_GOOD;
		if (strcmp(cs.status, "revoked") == 0) {
			status = V_OCSP_CERTSTATUS_REVOKED;
			reason = cs.reason != 0 ? cs.reason : OCSP_REVOKED_STATUS_NOSTATUS;
			if ((rt = ASN1_GENERALIZEDTIME_set(NULL, cs.revoked_at)) == NULL)
				goto out;
		}
	} else if (serial[0] != '\0' && e.kind != KK_OK && e.kind != KK_ERR_NOT_FOUND) {
		*err = e;
		return -1;
	}
	if (OCSP_basic_add1_status(bs, id, status, reason, rt, tu, nu) == NULL)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		kk_err_set(err, KK_ERR_INTERNAL, "cannot add an OCSP SingleResponse");
	ASN1_TIME_free(rt);
	return rc;
}

/* Appends a DER encoding made by i2d (ret = its length) to buf. */
static int
append(unsigned char **buf, size_t *len, const unsigned char *der, int n)
{
	unsigned char *nb;

	if (n <= 0 || (nb = kk_realloc(*buf, *len + (size_t)n)) == NULL)
		return -1;
	memcpy(nb + *len, der, (size_t)n);
	*buf = nb;
	*len += (size_t)n;
	return 0;
}

/* Wraps content in a SEQUENCE (X.690 8.9). */
static int
wrap_sequence(unsigned char **buf, size_t *len)
{
	int total = ASN1_object_size(1, (int)*len, V_ASN1_SEQUENCE);
	unsigned char *nb, *p;

	if (total <= 0 || (nb = kk_malloc((size_t)total)) == NULL)
		return -1;
	p = nb;
	ASN1_put_object(&p, 1, (int)*len, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	memcpy(p, *buf, *len);
	free(*buf);
	*buf = nb;
	*len = (size_t)total;
	return 0;
}

/* ResponseData (RFC 6960 4.2.1): v1 (default, omitted), responderID byKey, producedAt,
 * the SingleResponses of singles. OpenSSL keeps ResponseData opaque and signs it only
 * with a private key in hand, so it is encoded here from its public parts. Caller frees
 * *tbs. */
static int
response_data(kk_status *s, OCSP_BASICRESP *singles, time_t now, unsigned char **tbs,
    size_t *tbs_len)
{
	OCSP_RESPID *rid = NULL;
	ASN1_GENERALIZEDTIME *produced = NULL;
	unsigned char *der = NULL, *list = NULL, *body = NULL;
	size_t list_len = 0, body_len = 0;
	int i, n, rc = -1;

	if ((rid = OCSP_RESPID_new()) == NULL || OCSP_RESPID_set_by_key(rid, s->responder) != 1 ||
	    (produced = ASN1_GENERALIZEDTIME_set(NULL, now)) == NULL)
		goto out;
	n = i2d_OCSP_RESPID(rid, &der);
	if (append(&body, &body_len, der, n) != 0)
		goto out;
	OPENSSL_free(der);
	der = NULL;
	n = i2d_ASN1_GENERALIZEDTIME(produced, &der);
	if (append(&body, &body_len, der, n) != 0)
		goto out;
	for (i = 0; i < OCSP_resp_count(singles); i++) {
		OPENSSL_free(der);
		der = NULL;
		n = i2d_OCSP_SINGLERESP(OCSP_resp_get0(singles, i), &der);
		if (append(&list, &list_len, der, n) != 0)
			goto out;
	}
	if (wrap_sequence(&list, &list_len) != 0 ||
	    append(&body, &body_len, list, (int)list_len) != 0 || wrap_sequence(&body, &body_len) != 0)
		goto out;
	*tbs = body;
	*tbs_len = body_len;
	body = NULL;
	rc = 0;
out:
	OCSP_RESPID_free(rid);
	ASN1_GENERALIZEDTIME_free(produced);
	OPENSSL_free(der);
	free(list);
	free(body);
	return rc;
}

/* Signs a BasicOCSPResponse with the responder key, adds the responder certificate,
 * checks the signature and wraps it as a successful OCSPResponse into out. */
static int
sign_response(kk_status *s, OCSP_BASICRESP *singles, time_t now, kk_signed *out, kk_err *err)
{
	unsigned char *tbs = NULL, *basic = NULL, *der = NULL;
	const unsigned char *p;
	size_t tbs_len = 0, basic_len = 0;
	OCSP_BASICRESP *bs = NULL;
	OCSP_RESPONSE *r = NULL;
	int len, rc = -1;

	if (response_data(s, singles, now, &tbs, &tbs_len) != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot encode the OCSP ResponseData");
		goto out;
	}
	/* lint before sign (BR 4.3.1.2): a nonconforming response never reaches the token */
	if (lint_ocsp_tbs(tbs, tbs_len, s->responder, kk_ca_issuing_cert(s->ca), now, err) != 0 ||
	    kk_ca_sign_tbs(s->ca, KK_KEY_OCSP, tbs, tbs_len, &basic, &basic_len, err) != 0)
		goto out;
	p = basic;
	/* OCSP_NOVERIFY: the signature is checked against the responder certificate we
	 * just added; its chain is ours by construction */
	if ((bs = d2i_OCSP_BASICRESP(NULL, &p, (long)basic_len)) == NULL ||
	    p != basic + basic_len || OCSP_basic_add1_cert(bs, s->responder) != 1 ||
	    OCSP_basic_verify(bs, NULL, NULL, OCSP_NOVERIFY) != 1) {
		kk_err_set(err, KK_ERR_INTERNAL, "signed OCSP response does not parse or verify");
		kk_err_append_openssl(err);
		goto out;
	}
	if ((r = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs)) == NULL ||
	    (len = i2d_OCSP_RESPONSE(r, &der)) <= 0 || (out->der = kk_malloc((size_t)len)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot encode the OCSP response");
		goto out;
	}
	memcpy(out->der, der, (size_t)len);
	out->der_len = (size_t)len;
	out->this_update = now;
	out->next_update = now + KK_OCSP_VALIDITY;
	rc = 0;
out:
	free(tbs);
	free(basic);
	OPENSSL_free(der);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	return rc;
}

/* A signed response for ids[0..n) at now into out. */
static int
sign_ids(kk_status *s, OCSP_CERTID *const *ids, size_t n, time_t now, kk_signed *out,
    kk_err *err)
{
	OCSP_BASICRESP *singles = NULL;
	ASN1_TIME *tu = NULL, *nu = NULL;
	size_t i;
	int rc = -1;

	if ((singles = OCSP_BASICRESP_new()) == NULL ||
	    (tu = ASN1_GENERALIZEDTIME_set(NULL, now)) == NULL ||
	    (nu = ASN1_GENERALIZEDTIME_set(NULL, now + KK_OCSP_VALIDITY)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (add_single(s, singles, ids[i], tu, nu, err) != 0)
			goto out;
	rc = sign_response(s, singles, now, out, err);
out:
	OCSP_BASICRESP_free(singles);
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
	return rc;
}

/* The CertID of serial under our issuing CA with hash md. Caller frees. */
static OCSP_CERTID *
our_certid(kk_status *s, const EVP_MD *md, const ASN1_INTEGER *sn)
{
	const X509 *issuing = kk_ca_issuing_cert(s->ca);

	return OCSP_cert_id_new(md, X509_get_subject_name(issuing),
	    X509_get0_pubkey_bitstr(issuing), sn);
}

int
status_ocsp_presign(kk_status *s, const char *serial, time_t now, kk_signed *out,
    kk_err *err)
{
	OCSP_CERTID *id = NULL;
	ASN1_INTEGER *sn = NULL;
	BIGNUM *bn = NULL;
	kk_signed r;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	if (BN_hex2bn(&bn, serial) != (int)strlen(serial) ||
	    (sn = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    (id = our_certid(s, EVP_sha1(), sn)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot make the CertID of %s", serial);
		goto out;
	}
	if (sign_ids(s, &id, 1, now, &r, err) != 0 ||
	    kk_store_ocsp_put(s->st, serial, &r, err) != 0)
		goto out;
	if (out != NULL) {
		*out = r;
		memset(&r, 0, sizeof(r));
	}
	rc = 0;
out:
	kk_signed_clear(&r);
	OCSP_CERTID_free(id);
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	return rc;
}

/* 1 if id names our issuing CA (name and key hashes under its own hash algorithm,
 * SHA-1 or SHA-256), else 0. */
static int
ours(kk_status *s, OCSP_CERTID *id)
{
	ASN1_OBJECT *alg = NULL;
	ASN1_INTEGER *sn = NULL;
	OCSP_CERTID *want = NULL;
	int nid, ok = 0;

	if (OCSP_id_get0_info(NULL, &alg, NULL, &sn, id) != 1)
		return 0;
	nid = OBJ_obj2nid(alg);
	if (nid != NID_sha1 && nid != NID_sha256)
		return 0;
	if ((want = our_certid(s, EVP_get_digestbynid(nid), sn)) != NULL)
		ok = OCSP_id_issuer_cmp(want, id) == 0;
	OCSP_CERTID_free(want);
	return ok;
}

/* A cached response still valid at now for a lone SHA-1 CertID, else 0 (out empty). */
static int
cached(kk_status *s, OCSP_CERTID *id, time_t now, kk_signed *out)
{
	ASN1_OBJECT *alg = NULL;
	char serial[41];
	kk_err e;

	if (OCSP_id_get0_info(NULL, &alg, NULL, NULL, id) != 1 || OBJ_obj2nid(alg) != NID_sha1 ||
	    certid_serial(id, serial) != 0 || serial[0] == '\0' ||
	    kk_store_ocsp_get(s->st, serial, out, &e) != 0)
		return 0;
	if (out->this_update <= now && now < out->next_update)
		return 1;
	kk_signed_clear(out);
	return 0;
}

int
status_ocsp_answer(kk_status *s, const unsigned char *der, size_t len, time_t now,
    kk_signed *out, int *cacheable, kk_err *err)
{
	const unsigned char *p = der;
	OCSP_REQUEST *req = NULL;
	OCSP_CERTID *ids[MAX_CERTIDS];
	int i, n = 0, rc = -1;
	kk_err e;

	memset(out, 0, sizeof(*out));
	*cacheable = 0;
	if (len == 0 || len > 64 * 1024 || (req = d2i_OCSP_REQUEST(NULL, &p, (long)len)) == NULL ||
	    p != der + len || (n = OCSP_request_onereq_count(req)) < 1 || n > MAX_CERTIDS) {
		rc = error_response(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, out, err);
		goto out;
	}
	for (i = 0; i < n; i++) {
		ids[i] = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i));
		if (!ours(s, ids[i])) {
			rc = error_response(OCSP_RESPONSE_STATUS_UNAUTHORIZED, out, err);
			goto out;
		}
	}
	if (n == 1 && cached(s, ids[0], now, out)) {
		*cacheable = 1;
		rc = 0;
		goto out;
	}
	if (sign_ids(s, ids, (size_t)n, now, out, &e) != 0) {
		kk_log("error", "ocsp", "cannot sign a response: %s", e.detail);
		kk_signed_clear(out);
		rc = error_response(OCSP_RESPONSE_STATUS_INTERNALERROR, out, err);
		goto out;
	}
	*cacheable = 1;
	rc = 0;
out:
	OCSP_REQUEST_free(req);
	return rc;
}
