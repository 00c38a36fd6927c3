/*
 * Lint before sign for CRLs and OCSP responses (BR 4.3.1.2, ballot SC-075: every
 * to-be-signed CRL and OCSP response is checked before the CA key signs it). A CRL is
 * checked against CP table 7.2 and RFC 5280 5, an OCSP response against CP 7.3, RFC
 * 6960 4.2 and BR 4.9.10. Certificates are linted in src/ca.c.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/x509v3.h>
#include "kakuin/util.h"
#include "ca_internal.h"
#include "lint_status.h"
#include "status_internal.h"

#define TEN_DAYS (10 * 86400)   /* BR 4.9.7 (CRL), BR 4.9.10 (OCSP) maximum */
#define EIGHT_HOURS (8 * 3600)  /* BR 4.9.10 OCSP minimum */

/* sha256WithRSAEncryption with NULL parameters (RFC 4055 5) */
static const unsigned char sha256_rsa_algid[] = {
	0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00
};

/* One failed profile rule of what (CRL or OCSP): logged, and nothing is signed. */
static int
lint_fail(kk_err *err, const char *what, const char *rule)
{
	kk_log("error", "lint", "%s refused: %s", what, rule);
	return kk_err_set(err, KK_ERR_INTERNAL, "lint: %s: %s", what, rule);
}

/* to - from in seconds into *secs; -1 if either time is unreadable. */
static int
time_diff(const ASN1_TIME *from, const ASN1_TIME *to, long long *secs)
{
	int days = 0, s = 0;

	if (from == NULL || to == NULL || ASN1_TIME_diff(&days, &s, from, to) != 1)
		return -1;
	*secs = (long long)days * 86400 + s;
	return 0;
}

/* 1 if t is readable and not after now + KK_LINT_SKEW. */
static int
not_future(const ASN1_TIME *t, time_t now)
{
	int c = t == NULL ? -2 : ASN1_TIME_cmp_time_t(t, now + KK_LINT_SKEW);

	return c == -1 || c == 0;
}

/* 1 if the DER of a and b are byte-equal (RFC 5280 7.1 asks for no less of the issuer). */
static int
name_der_equal(const X509_NAME *a, const X509_NAME *b)
{
	unsigned char *da = NULL, *db = NULL;
	int la = i2d_X509_NAME(a, &da), lb = i2d_X509_NAME(b, &db);
	int eq = la > 0 && la == lb && memcmp(da, db, (size_t)la) == 0;

	OPENSSL_free(da);
	OPENSSL_free(db);
	return eq;
}

/* 1 if n is a positive INTEGER of at most max DER content octets (RFC 5280 4.1.2.2,
 * 5.2.3). */
static int
positive_int(const ASN1_INTEGER *n, int max)
{
	BIGNUM *bn = n == NULL ? NULL : ASN1_INTEGER_to_BN(n, NULL);
	int ok;

	ok = bn != NULL && !BN_is_negative(bn) && !BN_is_zero(bn) &&
	    BN_num_bytes(bn) + (BN_num_bits(bn) % 8 == 0) <= max;
	BN_free(bn);
	return ok;
}

/* BR 7.2.2 / CP 7.2: keyCompromise, affiliationChanged, superseded, cessationOfOperation,
 * privilegeWithdrawn; unspecified (0) is expressed by leaving the reason out. */
static int
reason_allowed(long r)
{
	return r == 1 || r == 3 || r == 4 || r == 5 || r == 9;
}

static int
revoked_cmp(const X509_REVOKED *const *a, const X509_REVOKED *const *b)
{
	return ASN1_INTEGER_cmp(X509_REVOKED_get0_serialNumber(*a),
	    X509_REVOKED_get0_serialNumber(*b));
}

/* One revokedCertificates entry (RFC 5280 5.3): positive serial, revoked no later than
 * thisUpdate, at most a non-critical reasonCode of the allowed ones. */
static const char *
crl_entry(const X509_REVOKED *r, const ASN1_TIME *tu)
{
	X509_EXTENSION *x;
	ASN1_ENUMERATED *reason = NULL;
	long code;
	int n = X509_REVOKED_get_ext_count(r), crit = 0;

	if (!positive_int(X509_REVOKED_get0_serialNumber(r), 20))
		return "an entry's serial is not a positive integer of at most 20 octets";
	if (ASN1_TIME_compare(X509_REVOKED_get0_revocationDate(r), tu) > 0)
		return "an entry's revocationDate is after thisUpdate";
	if (n == 0)
		return NULL;
	x = X509_REVOKED_get_ext(r, 0);
	if (n != 1 || OBJ_obj2nid(X509_EXTENSION_get_object(x)) != NID_crl_reason)
		return "an entry has an extension other than reasonCode";
	if (X509_EXTENSION_get_critical(x))
		return "an entry's reasonCode is critical";
	if ((reason = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, NULL)) == NULL)
		return "an entry's reasonCode does not parse";
	code = ASN1_ENUMERATED_get(reason);
	ASN1_ENUMERATED_free(reason);
	return reason_allowed(code) ? NULL : "an entry's reasonCode is not 1, 3, 4, 5 or 9";
}

/* Entries one by one, then no serial twice. */
static const char *
crl_entries(X509_CRL *c)
{
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(c), *sorted = NULL;
	const char *bad = NULL;
	int i;

	for (i = 0; i < sk_X509_REVOKED_num(revs) && bad == NULL; i++)
		bad = crl_entry(sk_X509_REVOKED_value(revs, i), X509_CRL_get0_lastUpdate(c));
	if (bad != NULL || sk_X509_REVOKED_num(revs) < 2)
		return bad;
	if ((sorted = sk_X509_REVOKED_dup(revs)) == NULL)
		return "out of memory";
	(void)sk_X509_REVOKED_set_cmp_func(sorted, revoked_cmp);
	sk_X509_REVOKED_sort(sorted);
	for (i = 1; i < sk_X509_REVOKED_num(sorted) && bad == NULL; i++)
		if (ASN1_INTEGER_cmp(
		    X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(sorted, i - 1)),
		    X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(sorted, i))) == 0)
			bad = "a serial is listed twice";
	sk_X509_REVOKED_free(sorted);
	return bad;
}

/* CRL extensions of table 7.2: CRL Number and AKI (key id only), each once, both
 * non-critical, nothing else (RFC 5280 5.2.1, 5.2.3). */
static const char *
crl_extensions(X509_CRL *c, const X509 *issuing)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id((X509 *)issuing);
	AUTHORITY_KEYID *akid = NULL;
	ASN1_INTEGER *num = NULL;
	const char *bad = NULL;
	int i, nid, crit = 0, seen_num = 0, seen_aki = 0;

	for (i = 0; i < X509_CRL_get_ext_count(c) && bad == NULL; i++) {
		X509_EXTENSION *x = X509_CRL_get_ext(c, i);

		nid = OBJ_obj2nid(X509_EXTENSION_get_object(x));
		if (nid == NID_crl_number)
			seen_num++;
		else if (nid == NID_authority_key_identifier)
			seen_aki++;
		else
			bad = "an extension other than CRL Number and AKI";
		if (bad == NULL && X509_EXTENSION_get_critical(x))
			bad = "a critical CRL extension";
	}
	if (bad != NULL)
		return bad;
	if (seen_num != 1)
		return "CRL Number missing or repeated";
	if (seen_aki != 1)
		return "authorityKeyIdentifier missing or repeated";
	if ((num = X509_CRL_get_ext_d2i(c, NID_crl_number, &crit, NULL)) == NULL ||
	    !positive_int(num, 20))
		bad = "CRL Number is not a positive integer of at most 20 octets";
	else if ((akid = X509_CRL_get_ext_d2i(c, NID_authority_key_identifier, &crit,
	    NULL)) == NULL || akid->keyid == NULL || akid->issuer != NULL ||
	    akid->serial != NULL || ski == NULL || ASN1_OCTET_STRING_cmp(akid->keyid, ski) != 0)
		bad = "authorityKeyIdentifier is not the issuing CA's key id";
	ASN1_INTEGER_free(num);
	AUTHORITY_KEYID_free(akid);
	return bad;
}

/* The parsed CRL c (signed by tk) at now. */
static const char *
crl_rules(X509_CRL *c, EVP_PKEY *tk, const X509 *issuing, time_t now)
{
	const ASN1_TIME *tu = X509_CRL_get0_lastUpdate(c), *nu = X509_CRL_get0_nextUpdate(c);
	long long validity = 0;

	if (X509_CRL_get_version(c) != X509_CRL_VERSION_2)
		return "not version 2";
	/* X509_CRL_verify also requires the inner and outer algorithms to match */
	if (X509_CRL_get_signature_nid(c) != NID_sha256WithRSAEncryption ||
	    X509_CRL_verify(c, tk) != 1)
		return "signature algorithm is not sha256WithRSAEncryption";
	if (!name_der_equal(X509_CRL_get_issuer(c), X509_get_subject_name(issuing)))
		return "issuer is not the issuing CA's subject";
	if (!not_future(tu, now))
		return "thisUpdate is in the future";
	if (nu == NULL)
		return "nextUpdate is missing";
	if (time_diff(tu, nu, &validity) != 0 || validity <= 0)
		return "nextUpdate is not after thisUpdate";
	if (validity > TEN_DAYS)
		return "nextUpdate is more than 10 days after thisUpdate (BR 4.9.7)";
	if (validity != KK_CRL_VALIDITY)
		return "nextUpdate is not 96 h after thisUpdate";
	return NULL;
}

int
lint_crl(X509_CRL *crl, const X509 *issuing, time_t now, kk_err *err)
{
	EVP_PKEY *tk = ca_throwaway_key();
	unsigned char *der = NULL;
	const unsigned char *p;
	X509_CRL *c = NULL;
	const char *bad = NULL;
	int len;

	if (tk == NULL || X509_CRL_sign(crl, tk, EVP_sha256()) <= 0 ||
	    (len = i2d_X509_CRL(crl, &der)) <= 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "lint: CRL: cannot encode");
		kk_err_append_openssl(err);
		return -1;
	}
	p = der;
	if ((c = d2i_X509_CRL(NULL, &p, len)) == NULL || p != der + len)
		bad = "the encoding does not parse";
	else if ((bad = crl_rules(c, tk, issuing, now)) == NULL &&
	    (bad = crl_extensions(c, issuing)) == NULL)
		bad = crl_entries(c);
	OPENSSL_free(der);
	X509_CRL_free(c);
	return bad == NULL ? 0 : lint_fail(err, "CRL", bad);
}

/* The responder: named by key hash (RFC 6960 4.2.2.3), the one certificate included,
 * issued by the issuing CA for id-kp-OCSPSigning (RFC 6960 4.2.2.2, CP table 7.1-2). */
static const char *
ocsp_responder(OCSP_BASICRESP *bs, const X509 *responder, const X509 *issuing)
{
	const ASN1_OCTET_STRING *keyid = NULL;
	const X509_NAME *name = NULL;
	const STACK_OF(X509) *certs = OCSP_resp_get0_certs(bs);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (OCSP_resp_get0_id(bs, &keyid, &name) != 1 || keyid == NULL)
		return "responderID is not byKey";
	if (X509_pubkey_digest(responder, EVP_sha1(), md, &mdlen) != 1 ||
	    (unsigned int)ASN1_STRING_length(keyid) != mdlen ||
	    memcmp(ASN1_STRING_get0_data(keyid), md, mdlen) != 0)
		return "responderID is not the SHA-1 of the responder's key";
	if (sk_X509_num(certs) != 1 || X509_cmp(sk_X509_value(certs, 0), responder) != 0)
		return "the included certificate is not the responder certificate";
	if (X509_check_issued((X509 *)issuing, (X509 *)responder) != X509_V_OK ||
	    (X509_get_extended_key_usage((X509 *)responder) & XKU_OCSP_SIGN) == 0)
		return "the responder is not an OCSP signer of the issuing CA";
	return NULL;
}

/* One SingleResponse (RFC 6960 4.2.1): a CertID of the issuing CA under SHA-1 or
 * SHA-256, the validity of BR 4.9.10, a revocation time and allowed reason when
 * revoked, no extensions. */
static const char *
ocsp_single(OCSP_SINGLERESP *sr, const X509 *issuing, time_t now)
{
	const OCSP_CERTID *id = OCSP_SINGLERESP_get0_id(sr);
	ASN1_OBJECT *alg = NULL;
	ASN1_INTEGER *sn = NULL;
	ASN1_GENERALIZEDTIME *rt = NULL, *tu = NULL, *nu = NULL;
	OCSP_CERTID *want = NULL;
	long long validity = 0;
	int nid, status, reason = 0, same;

	if (OCSP_id_get0_info(NULL, &alg, NULL, &sn, (OCSP_CERTID *)id) != 1)
		return "a CertID does not parse";
	nid = OBJ_obj2nid(alg);
	if (nid != NID_sha1 && nid != NID_sha256)
		return "a CertID hash algorithm is not SHA-1 or SHA-256";
	if ((want = OCSP_cert_id_new(EVP_get_digestbynid(nid), X509_get_subject_name(issuing),
	    X509_get0_pubkey_bitstr(issuing), sn)) == NULL)
		return "out of memory";
	same = OCSP_id_issuer_cmp(want, id) == 0;
	OCSP_CERTID_free(want);
	if (!same)
		return "a CertID's issuer hashes are not the issuing CA's";
	status = OCSP_single_get0_status(sr, &reason, &rt, &tu, &nu);
	if (tu == NULL || nu == NULL)
		return "thisUpdate or nextUpdate is missing";
	if (!not_future(tu, now))
		return "thisUpdate is in the future";
	if (time_diff(tu, nu, &validity) != 0 || validity < EIGHT_HOURS ||
	    validity > TEN_DAYS)
		return "nextUpdate - thisUpdate is not within 8 h .. 10 days (BR 4.9.10)";
	if (status == V_OCSP_CERTSTATUS_REVOKED) {
		if (rt == NULL || ASN1_TIME_compare(rt, tu) > 0)
			return "a revoked status has no revocation time before thisUpdate";
		if (reason != OCSP_REVOKED_STATUS_NOSTATUS && !reason_allowed(reason))
			return "a revocation reason is not 1, 3, 4, 5 or 9";
	} else if (status != V_OCSP_CERTSTATUS_GOOD && status != V_OCSP_CERTSTATUS_UNKNOWN) {
		return "a certificate status is not good, revoked or unknown";
	}
	if (OCSP_SINGLERESP_get_ext_count(sr) != 0)
		return "a SingleResponse has extensions";
	return NULL;
}

int
lint_ocsp_response(OCSP_RESPONSE *resp, const X509 *responder, const X509 *issuing,
    time_t now, kk_err *err)
{
	OCSP_BASICRESP *bs = NULL;
	const ASN1_GENERALIZEDTIME *produced;
	const char *bad = NULL;
	int i;

	if (OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    (bs = OCSP_response_get1_basic(resp)) == NULL)
		bad = "not a successful basic response";
	else if (OBJ_obj2nid(OCSP_resp_get0_tbs_sigalg(bs)->algorithm) !=
	    NID_sha256WithRSAEncryption)
		bad = "signature algorithm is not sha256WithRSAEncryption";
	else if ((bad = ocsp_responder(bs, responder, issuing)) != NULL)
		;
	else if ((produced = OCSP_resp_get0_produced_at(bs)) == NULL || !not_future(produced, now))
		bad = "producedAt is missing or in the future";
	else if (OCSP_resp_count(bs) < 1)
		bad = "no SingleResponse";
	else if (OCSP_BASICRESP_get_ext_count(bs) != 0)
		bad = "the response has extensions";
	for (i = 0; bad == NULL && i < OCSP_resp_count(bs); i++)
		bad = ocsp_single(OCSP_resp_get0(bs, i), issuing, now);
	OCSP_BASICRESP_free(bs);
	return bad == NULL ? 0 : lint_fail(err, "OCSP response", bad);
}

/* BasicOCSPResponse ::= SEQUENCE { tbs, sha256WithRSAEncryption, BIT STRING '' }
 * (RFC 6960 4.2.1), the signature left empty. Caller frees *out. */
static int
unsigned_basic(const unsigned char *tbs, size_t tbs_len, unsigned char **out, long *out_len)
{
	static const unsigned char empty_bits[] = { 0x03, 0x01, 0x00 };
	size_t body = tbs_len + sizeof(sha256_rsa_algid) + sizeof(empty_bits);
	int total = ASN1_object_size(1, (int)body, V_ASN1_SEQUENCE);
	unsigned char *buf, *p;

	if (tbs_len > INT_MAX / 2 || total <= 0 || (buf = kk_malloc((size_t)total)) == NULL)
		return -1;
	p = buf;
	ASN1_put_object(&p, 1, (int)body, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	memcpy(p, tbs, tbs_len);
	p += tbs_len;
	memcpy(p, sha256_rsa_algid, sizeof(sha256_rsa_algid));
	p += sizeof(sha256_rsa_algid);
	memcpy(p, empty_bits, sizeof(empty_bits));
	*out = buf;
	*out_len = total;
	return 0;
}

int
lint_ocsp_tbs(const unsigned char *tbs, size_t tbs_len, X509 *responder,
    const X509 *issuing, time_t now, kk_err *err)
{
	unsigned char *basic = NULL, *der = NULL;
	const unsigned char *p;
	long basic_len = 0;
	OCSP_BASICRESP *bs = NULL;
	OCSP_RESPONSE *r = NULL, *parsed = NULL;
	int len, rc = -1;

	if (unsigned_basic(tbs, tbs_len, &basic, &basic_len) != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "lint: OCSP response: cannot encode");
		goto out;
	}
	/* the same steps as src/ocsp.c after signing, so the whole response is linted */
	p = basic;
	if ((bs = d2i_OCSP_BASICRESP(NULL, &p, basic_len)) == NULL || p != basic + basic_len ||
	    OCSP_basic_add1_cert(bs, responder) != 1 ||
	    (r = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs)) == NULL ||
	    (len = i2d_OCSP_RESPONSE(r, &der)) <= 0) {
		lint_fail(err, "OCSP response", "the ResponseData does not parse");
		goto out;
	}
	p = der;
	if ((parsed = d2i_OCSP_RESPONSE(NULL, &p, len)) == NULL) {
		lint_fail(err, "OCSP response", "the response does not parse");
		goto out;
	}
	rc = lint_ocsp_response(parsed, responder, issuing, now, err);
out:
	free(basic);
	OPENSSL_free(der);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	OCSP_RESPONSE_free(parsed);
	return rc;
}
