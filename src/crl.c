/*
 * The CRL publisher's CRL (CP 4.9.7, table 7.2, RFC 5280 5): v2, sha256WithRSA by the
 * issuing CA key in the token, thisUpdate now, nextUpdate 96 h later, a strictly
 * increasing CRL Number and the AKI; one entry per revoked certificate that has not
 * expired (CP 4.9.6), with a reasonCode only when the reason is not unspecified (BR
 * 7.2.2).
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/x509v3.h>
#include "kakuin/util.h"
#include "lint_status.h"
#include "status_internal.h"

/* One CRL entry (RFC 5280 5.3.1). */
static int
add_entry(X509_CRL *crl, const kk_revoked *r, kk_err *err)
{
	X509_REVOKED *rev = NULL;
	ASN1_INTEGER *sn = NULL;
	ASN1_TIME *t = NULL;
	ASN1_ENUMERATED *reason = NULL;
	BIGNUM *bn = NULL;
	int rc = -1;

	if (BN_hex2bn(&bn, r->serial) != (int)strlen(r->serial) ||
	    (sn = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    (t = ASN1_TIME_set(NULL, r->revoked_at)) == NULL || (rev = X509_REVOKED_new()) == NULL ||
	    X509_REVOKED_set_serialNumber(rev, sn) != 1 ||
	    X509_REVOKED_set_revocationDate(rev, t) != 1)
		goto out;
	if (r->reason != 0 && ((reason = ASN1_ENUMERATED_new()) == NULL ||
	    ASN1_ENUMERATED_set(reason, r->reason) != 1 ||
	    X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, reason, 0, 0) != 1))
		goto out;
	if (X509_CRL_add0_revoked(crl, rev) != 1)
		goto out;
	rev = NULL;
	rc = 0;
out:
	if (rc != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot add CRL entry %s", r->serial);
		kk_err_append_openssl(err);
	}
	X509_REVOKED_free(rev);
	ASN1_INTEGER_free(sn);
	ASN1_TIME_free(t);
	ASN1_ENUMERATED_free(reason);
	BN_free(bn);
	return rc;
}

/* Version, issuer, dates and the CRL extensions of table 7.2 (CRL Number, AKI). */
static int
set_fields(X509_CRL *crl, const X509 *issuing, int64_t number, time_t now, kk_err *err)
{
	ASN1_TIME *tu = NULL, *nu = NULL;
	ASN1_INTEGER *num = NULL;
	AUTHORITY_KEYID *akid = NULL;
	/* X509_get0_subject_key_id only reads (the extensions are cached at load) */
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id((X509 *)issuing);
	int rc = -1;

	if (ski == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "the issuing CA has no subjectKeyIdentifier");
		goto out;
	}
	if ((tu = ASN1_TIME_set(NULL, now)) == NULL ||
	    (nu = ASN1_TIME_set(NULL, now + KK_CRL_VALIDITY)) == NULL ||
	    (num = ASN1_INTEGER_new()) == NULL || ASN1_INTEGER_set_int64(num, number) != 1 ||
	    (akid = AUTHORITY_KEYID_new()) == NULL ||
	    (akid->keyid = ASN1_OCTET_STRING_dup(ski)) == NULL ||
	    X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuing)) != 1 ||
	    X509_CRL_set1_lastUpdate(crl, tu) != 1 || X509_CRL_set1_nextUpdate(crl, nu) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid, 0, 0) != 1) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot build the CRL");
		kk_err_append_openssl(err);
		goto out;
	}
	rc = 0;
out:
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
	ASN1_INTEGER_free(num);
	AUTHORITY_KEYID_free(akid);
	return rc;
}

int
status_crl_issue(kk_status *s, time_t now, kk_signed *out, kk_err *err)
{
	kk_revoked *rev = NULL;
	X509_CRL *crl = NULL, *signed_crl = NULL;
	kk_signed c;
	unsigned char *der = NULL;
	size_t n = 0, i;
	int len, rc = -1;

	memset(&c, 0, sizeof(c));
	if (kk_store_crl_entries(s->st, now, &rev, &n, err) != 0 ||
	    kk_store_crl_next_number(s->st, &c.number, err) != 0)
		goto out;
	if ((crl = X509_CRL_new()) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (set_fields(crl, kk_ca_issuing_cert(s->ca), c.number, now, err) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if (add_entry(crl, &rev[i], err) != 0)
			goto out;
	/* lint before sign (BR 4.3.1.2): a nonconforming CRL never reaches the token */
	if (lint_crl(crl, kk_ca_issuing_cert(s->ca), now, err) != 0 ||
	    kk_ca_sign_crl(s->ca, crl, &signed_crl, err) != 0)
		goto out;
	if ((len = i2d_X509_CRL(signed_crl, &der)) <= 0 || (c.der = kk_malloc((size_t)len)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot encode the CRL");
		goto out;
	}
	memcpy(c.der, der, (size_t)len);
	c.der_len = (size_t)len;
	c.this_update = now;
	c.next_update = now + KK_CRL_VALIDITY;
	if (kk_store_crl_save(s->st, &c, err) != 0)
		goto out;
	kk_log("info", "crl", "CRL %lld issued with %zu entries", (long long)c.number, n);
	if (out != NULL) {
		*out = c;
		memset(&c, 0, sizeof(c));
	}
	rc = 0;
out:
	free(rev);
	OPENSSL_free(der);
	X509_CRL_free(crl);
	X509_CRL_free(signed_crl);
	kk_signed_clear(&c);
	return rc;
}
