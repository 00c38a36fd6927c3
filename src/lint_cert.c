/*
 * Pre-issuance lint (src/lint_cert.h): CP table 7.1-1 row by row, RFC 5280 and BR
 * basics, for every certificate and precertificate before the token signs it. The rules
 * are written from the CP, independently of the builder in src/ca.c, so a builder or
 * policy mistake is caught here instead of being signed.
 */
#include <string.h>
#include <openssl/x509v3.h>
#include "lint_cert.h"

int
lint_asn1_time(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*out = timegm(&tm);
	return 0;
}

/* One failed profile rule: the TBS must not be signed. */
static int
lint_fail(kk_err *err, const char *rule)
{
	return kk_err_set(err, KK_ERR_INTERNAL, "lint: %s (CP table 7.1-1)", rule);
}

/* 1 if the name has exactly one attribute nid and it equals want. */
static int
name_has(const X509_NAME *n, int nid, const char *want)
{
	int i = X509_NAME_get_index_by_NID(n, nid, -1);
	const ASN1_STRING *v;

	if (i < 0 || X509_NAME_get_index_by_NID(n, nid, i) >= 0)
		return 0;
	v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i));
	return want == NULL ? ASN1_STRING_length(v) > 0 :
	    (size_t)ASN1_STRING_length(v) == strlen(want) &&
	    memcmp(ASN1_STRING_get0_data(v), want, strlen(want)) == 0;
}

static int
ia5_equals(const ASN1_IA5STRING *s, const char *want)
{
	return (size_t)ASN1_STRING_length(s) == strlen(want) &&
	    memcmp(ASN1_STRING_get0_data(s), want, strlen(want)) == 0;
}

/* Each extension of the table exactly once with its criticality, nothing else; a
 * precertificate adds the critical poison, a logged certificate the SCT list (RFC 6962
 * 3.1, 3.3). */
static int
lint_extension_set(X509 *c, kk_lint_kind kind, kk_err *err)
{
	static const struct {
		int nid, critical;
	} want[] = {
		{ NID_key_usage, 1 }, { NID_ext_key_usage, 0 }, { NID_subject_alt_name, 0 },
		{ NID_certificate_policies, 0 }, { NID_crl_distribution_points, 0 },
		{ NID_info_access, 0 }, { NID_authority_key_identifier, 0 },
		{ NID_subject_key_identifier, 0 },
	};
	size_t i;
	int at, extra = kind == KK_LINT_PLAIN ? 0 : 1;

	if (X509_get_ext_count(c) != (int)(sizeof(want) / sizeof(want[0])) + extra)
		return lint_fail(err, "unexpected extension count");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if ((at = X509_get_ext_by_NID(c, want[i].nid, -1)) < 0 ||
		    X509_get_ext_by_NID(c, want[i].nid, at) >= 0)
			return lint_fail(err, "a required extension is missing or repeated");
		if (X509_EXTENSION_get_critical(X509_get_ext(c, at)) != want[i].critical)
			return lint_fail(err, "wrong extension criticality");
	}
	if (kind == KK_LINT_PRECERT && ((at = X509_get_ext_by_NID(c, NID_ct_precert_poison,
	    -1)) < 0 || X509_get_ext_by_NID(c, NID_ct_precert_poison, at) >= 0 ||
	    X509_EXTENSION_get_critical(X509_get_ext(c, at)) != 1))
		return lint_fail(err, "a precertificate needs exactly one critical poison "
		    "extension (RFC 6962 3.1)");
	if (kind == KK_LINT_FINAL_CT && ((at = X509_get_ext_by_NID(c, NID_ct_precert_scts,
	    -1)) < 0 || X509_get_ext_by_NID(c, NID_ct_precert_scts, at) >= 0 ||
	    X509_EXTENSION_get_critical(X509_get_ext(c, at)) != 0))
		return lint_fail(err, "the certificate needs exactly one non-critical SCT list "
		    "(RFC 6962 3.3)");
	return 0;
}

/* subjectAltName == names, in order, dNSName only. */
static int
lint_san(X509 *c, const char *const *names, size_t n, kk_err *err)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(c, NID_subject_alt_name, NULL, NULL);
	GENERAL_NAME *g;
	size_t i;
	int rc = -1;

	if (gens == NULL || (size_t)sk_GENERAL_NAME_num(gens) != n) {
		lint_fail(err, "subjectAltName does not list the order names");
		goto out;
	}
	for (i = 0; i < n; i++) {
		g = sk_GENERAL_NAME_value(gens, (int)i);
		if (g->type != GEN_DNS || !ia5_equals(g->d.dNSName, names[i])) {
			lint_fail(err, "subjectAltName does not list the order names");
			goto out;
		}
	}
	rc = 0;
out:
	GENERAL_NAMES_free(gens);
	return rc;
}

/* Policy OIDs in policy order; the first carries exactly the CPS URI qualifier. */
static int
lint_policies(X509 *c, const kk_policy *pol, kk_err *err)
{
	CERTIFICATEPOLICIES *pols = X509_get_ext_d2i(c, NID_certificate_policies, NULL, NULL);
	POLICYINFO *pi;
	POLICYQUALINFO *q;
	char oid[80];
	size_t i;
	int ok = pols != NULL && (size_t)sk_POLICYINFO_num(pols) == pol->n_policy_oids;

	for (i = 0; ok && i < pol->n_policy_oids; i++) {
		pi = sk_POLICYINFO_value(pols, (int)i);
		OBJ_obj2txt(oid, sizeof(oid), pi->policyid, 1);
		/* sk_*_num(NULL) is -1: no qualifiers is an absent sequence */
		ok = strcmp(oid, pol->policy_oids[i]) == 0 &&
		    (pi->qualifiers == NULL ? 0 : sk_POLICYQUALINFO_num(pi->qualifiers)) ==
		    (i == 0 ? 1 : 0);
		if (ok && i == 0) {
			q = sk_POLICYQUALINFO_value(pi->qualifiers, 0);
			ok = OBJ_obj2nid(q->pqualid) == NID_id_qt_cps &&
			    ia5_equals(q->d.cpsuri, pol->cps_uri);
		}
	}
	CERTIFICATEPOLICIES_free(pols);
	return ok ? 0 : lint_fail(err, "certificatePolicies do not match the policy");
}

/* CRL DP: one fullName URI; AIA: one OCSP URI (CP table 7.1-1). */
static int
lint_urls(X509 *c, const kk_policy *pol, kk_err *err)
{
	CRL_DIST_POINTS *dps = X509_get_ext_d2i(c, NID_crl_distribution_points, NULL, NULL);
	AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(c, NID_info_access, NULL, NULL);
	DIST_POINT *dp;
	GENERAL_NAME *g;
	ACCESS_DESCRIPTION *ad;
	int ok;

	ok = dps != NULL && sk_DIST_POINT_num(dps) == 1;
	if (ok) {
		dp = sk_DIST_POINT_value(dps, 0);
		ok = dp->distpoint != NULL && dp->distpoint->type == 0 &&
		    sk_GENERAL_NAME_num(dp->distpoint->name.fullname) == 1;
	}
	if (ok) {
		g = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, 0);
		ok = g->type == GEN_URI && ia5_equals(g->d.uniformResourceIdentifier, pol->crl_url);
	}
	ok = ok && aia != NULL && sk_ACCESS_DESCRIPTION_num(aia) == 1;
	if (ok) {
		ad = sk_ACCESS_DESCRIPTION_value(aia, 0);
		ok = OBJ_obj2nid(ad->method) == NID_ad_OCSP && ad->location->type == GEN_URI &&
		    ia5_equals(ad->location->d.uniformResourceIdentifier, pol->ocsp_url);
	}
	CRL_DIST_POINTS_free(dps);
	AUTHORITY_INFO_ACCESS_free(aia);
	return ok ? 0 : lint_fail(err, "CRL distribution point or OCSP URL wrong");
}

/* AKI == issuer's SKI; SKI == SHA-1 of the subject public key (RFC 5280 4.2.1.2 (1)). */
static int
lint_key_ids(X509 *c, X509 *issuing, kk_err *err)
{
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(c);
	const ASN1_OCTET_STRING *iski = X509_get0_subject_key_id(issuing);
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(c);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (aki == NULL || iski == NULL || ASN1_OCTET_STRING_cmp(aki, iski) != 0)
		return lint_fail(err, "authorityKeyIdentifier is not the issuer's key id");
	if (ski == NULL || X509_pubkey_digest(c, EVP_sha1(), md, &mdlen) != 1 || mdlen != 20 ||
	    ASN1_STRING_length(ski) != 20 || memcmp(ASN1_STRING_get0_data(ski), md, 20) != 0)
		return lint_fail(err, "subjectKeyIdentifier is not the SHA-1 of the key");
	return 0;
}

/* The basic fields of CP table 7.1-1; the validity limit is the policy's for the
 * certificate's own notBefore. */
static int
lint_fields(const kk_lint_ctx *ctx, X509 *c, kk_err *err)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(c);
	const X509_NAME *subj = X509_get_subject_name(c);
	EVP_PKEY *pk = X509_get0_pubkey(c);
	const char *cn = ctx->names[0];
	time_t cnb, cna, nb = ctx->not_before;

	if (X509_get_version(c) != X509_VERSION_3)
		return lint_fail(err, "not version 3");
	if (sn->type != V_ASN1_INTEGER || sn->length != ctx->pol->serial_bytes ||
	    sn->data[0] == 0 || (sn->data[0] & 0x80) != 0)
		return lint_fail(err, "serial is not a positive integer of serial_bytes octets");
	if (X509_get_signature_nid(c) != NID_sha256WithRSAEncryption)
		return lint_fail(err, "signature algorithm is not sha256WithRSAEncryption");
	if (X509_NAME_cmp(X509_get_issuer_name(c), X509_get_subject_name(ctx->issuing)) != 0)
		return lint_fail(err, "issuer is not the issuing CA's subject");
	if (!name_has(subj, NID_countryName, ctx->pol->subject_country) ||
	    !name_has(subj, NID_stateOrProvinceName, NULL) ||
	    !name_has(subj, NID_localityName, NULL) ||
	    !name_has(subj, NID_organizationName, NULL) ||
	    !name_has(subj, NID_commonName, cn))
		return lint_fail(err, "subject C/ST/L/O/CN missing or wrong");
	if (lint_asn1_time(X509_get0_notBefore(c), &cnb) != 0 ||
	    lint_asn1_time(X509_get0_notAfter(c), &cna) != 0 || cnb != nb || cna < cnb ||
	    cna - cnb + 1 > (time_t)kk_policy_validity_days(ctx->pol, cnb) * 86400 ||
	    cna > ctx->issuing_not_after)
		return lint_fail(err, "validity exceeds the maximum (BR 6.3.2)");
	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA ||
	    EVP_PKEY_get_bits(pk) < ctx->pol->rsa_min_bits)
		return lint_fail(err, "subject key is not RSA of the minimum size (CP 6.1.5)");
	if (X509_get_key_usage(c) != (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT) ||
	    X509_get_extended_key_usage(c) != XKU_SSL_SERVER)
		return lint_fail(err, "keyUsage or extendedKeyUsage wrong");
	return 0;
}

int
lint_cert(const kk_lint_ctx *ctx, const unsigned char *der, long len, kk_err *err)
{
	const unsigned char *p = der;
	X509 *c = NULL;
	int rc = -1;

	if ((c = d2i_X509(NULL, &p, len)) == NULL || p != der + len) {
		kk_err_set(err, KK_ERR_INTERNAL, "lint: the certificate does not parse");
		goto out;
	}
	if (ctx->n_names == 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "lint: no names");
		goto out;
	}
	if (lint_fields(ctx, c, err) != 0 ||
	    lint_extension_set(c, ctx->kind, err) != 0 ||
	    lint_san(c, ctx->names, ctx->n_names, err) != 0 ||
	    lint_policies(c, ctx->pol, err) != 0 || lint_urls(c, ctx->pol, err) != 0 ||
	    lint_key_ids(c, ctx->issuing, err) != 0)
		goto out;
	rc = 0;
out:
	X509_free(c);
	return rc;
}

