/*
 * The CA (include/kakuin/ca.h): subscriber certificates per CP table 7.1-1. A TBS is
 * built from the policy, signed with a throwaway key and linted against the profile
 * before the RA stores it; only then does the token sign it. The token never sees a
 * TBS that was not linted, and no CA private key is ever in this process.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/conf.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include "kakuin/ca.h"
#include "kakuin/util.h"
#include "ca_internal.h"

#define PEM_MAX (1024 * 1024)

int
kk_ca_add_ext(X509 *cert, X509 *issuer, int nid, const char *value, kk_err *err)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext = NULL;
	CONF *conf = NULL;
	int rc = -1;

	/* An empty database: some handlers (certificatePolicies) refuse to run without one */
	if ((conf = NCONF_new(NULL)) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	X509V3_set_nconf(&ctx, conf);
	if ((ext = X509V3_EXT_nconf_nid(conf, &ctx, nid, value)) == NULL ||
	    X509_add_ext(cert, ext, -1) != 1) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot add %s = %s", OBJ_nid2sn(nid), value);
		kk_err_append_openssl(err);
		goto out;
	}
	rc = 0;
out:
	X509_EXTENSION_free(ext);
	NCONF_free(conf);
	return rc;
}

static int
asn1_time_to_time_t(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*out = timegm(&tm);
	return 0;
}

/* The first certificate of chain.pem is the issuing CA's (issuing then root), so the
 * chain served with every certificate is the one this CA signs under. */
static int
issuing_from_chain(kk_ca *ca, const char *path, kk_err *err)
{
	BIO *b = NULL;
	int rc = -1;

	if ((b = BIO_new_mem_buf(ca->chain_pem, -1)) == NULL ||
	    (ca->issuing = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "%s: no PEM certificate", path);
		kk_err_append_openssl(err);
		goto out;
	}
	if (asn1_time_to_time_t(X509_get0_notAfter(ca->issuing), &ca->issuing_not_after) != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "%s: bad notAfter", path);
		goto out;
	}
	rc = 0;
out:
	BIO_free(b);
	return rc;
}

/* The issuing certificate must belong to the token's issuing key. */
static int
check_issuing_key(kk_ca *ca, kk_err *err)
{
	EVP_PKEY *pub = NULL;
	int rc = -1;

	if (kk_signer_public_key(ca->signer, KK_KEY_ISSUING, &pub, err) != 0)
		return -1;
	if (EVP_PKEY_eq(pub, X509_get0_pubkey(ca->issuing)) != 1)
		kk_err_set(err, KK_ERR_INTERNAL, "issuing certificate does not match token key %s",
		    KK_KEY_ISSUING);
	else
		rc = 0;
	EVP_PKEY_free(pub);
	return rc;
}

int
kk_ca_open(kk_ca **out, const kk_paths *p, const kk_policy *pol, kk_err *err)
{
	kk_ca *ca = NULL;
	kk_signer_setup setup;

	if ((ca = kk_calloc(1, sizeof(*ca))) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
	ca->pol = *pol;
	if (kk_file_read(p->chain_pem, PEM_MAX, &ca->chain_pem, NULL, err) != 0 ||
	    issuing_from_chain(ca, p->chain_pem, err) != 0)
		goto fail;
	if (kk_signer_setup_load(&setup, p, 0, err) != 0 ||
	    kk_signer_open(&ca->signer, &setup.cfg, err) != 0)
		goto fail;
	OPENSSL_cleanse(&setup, sizeof(setup));
	if (check_issuing_key(ca, err) != 0)
		goto fail;
	*out = ca;
	return 0;
fail:
	OPENSSL_cleanse(&setup, sizeof(setup));
	kk_ca_free(ca);
	return -1;
}

void
kk_ca_free(kk_ca *ca)
{
	if (ca == NULL)
		return;
	kk_signer_close(ca->signer);
	X509_free(ca->issuing);
	free(ca->chain_pem);
	free(ca);
}

const char *
kk_ca_chain_pem(const kk_ca *ca)
{
	return ca->chain_pem;
}

const X509 *
kk_ca_issuing_cert(const kk_ca *ca)
{
	return ca->issuing;
}

int
kk_ca_new_serial(const kk_policy *pol, char out[41], kk_err *err)
{
	unsigned char buf[20];
	size_t n = (size_t)pol->serial_bytes;

	if (n < 9 || n > sizeof(buf))
		return kk_err_set(err, KK_ERR_INTERNAL, "policy serial_bytes %zu out of range", n);
	/* BR 7.1: >= 64 bits from a CSPRNG. Top bit clear keeps it positive without a pad
	 * octet and a non-zero first octet keeps the DER length exactly n (RFC 5280
	 * 4.1.2.2). */
	do {
		if (kk_random(buf, n) != 0)
			return kk_err_set(err, KK_ERR_INTERNAL, "no randomness for a serial");
		buf[0] &= 0x7f;
	} while (buf[0] == 0);
	kk_hex(buf, n, out);
	return 0;
}

/* subject: C (fixed by policy), ST, L, O, OU (optional), CN = the first name
 * (CP table 7.1-1). */
static int
set_subject(X509 *x, const kk_policy *pol, const kk_subject *subj, const char *cn, kk_err *err)
{
	X509_NAME *n = X509_get_subject_name(x);
	const struct {
		const char *field, *value;
	} rdn[] = {
		{ "C", pol->subject_country }, { "ST", subj->st }, { "L", subj->l },
		{ "O", subj->o }, { "OU", subj->ou }, { "CN", cn },
	};
	size_t i;

	for (i = 0; i < sizeof(rdn) / sizeof(rdn[0]); i++) {
		if (rdn[i].value == NULL || *rdn[i].value == '\0') {
			if (strcmp(rdn[i].field, "OU") == 0)
				continue;
			return kk_err_set(err, KK_ERR_INTERNAL, "subject %s is required", rdn[i].field);
		}
		if (X509_NAME_add_entry_by_txt(n, rdn[i].field, MBSTRING_UTF8,
		    (const unsigned char *)rdn[i].value, -1, -1, 0) != 1) {
			kk_err_set(err, KK_ERR_INTERNAL, "bad subject %s", rdn[i].field);
			kk_err_append_openssl(err);
			return -1;
		}
	}
	return 0;
}

/* subjectAltName: a dNSName per order identifier (BR 7.1.2.7.12). */
static int
add_san(X509 *x, const char *const *names, size_t n, kk_err *err)
{
	GENERAL_NAMES *gens = NULL;
	GENERAL_NAME *g = NULL;
	ASN1_IA5STRING *s = NULL;
	size_t i;
	int rc = -1;

	if ((gens = GENERAL_NAMES_new()) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if ((s = ASN1_IA5STRING_new()) == NULL || !ASN1_STRING_set(s, names[i], -1) ||
		    (g = GENERAL_NAME_new()) == NULL)
			goto out;
		GENERAL_NAME_set0_value(g, GEN_DNS, s);
		s = NULL;
		if (!sk_GENERAL_NAME_push(gens, g))
			goto out;
		g = NULL;
	}
	if (X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_APPEND) != 1)
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot build subjectAltName");
		kk_err_append_openssl(err);
	}
	ASN1_IA5STRING_free(s);
	GENERAL_NAME_free(g);
	GENERAL_NAMES_free(gens);
	return rc;
}

int
ca_add_policies(X509 *x, const kk_policy *pol, size_t n, kk_err *err)
{
	CERTIFICATEPOLICIES *pols = NULL;
	POLICYINFO *pi = NULL;
	POLICYQUALINFO *q = NULL;
	size_t i;
	int rc = -1;

	if ((pols = CERTIFICATEPOLICIES_new()) == NULL)
		goto out;
	for (i = 0; i < n && i < pol->n_policy_oids; i++) {
		if ((pi = POLICYINFO_new()) == NULL ||
		    (pi->policyid = OBJ_txt2obj(pol->policy_oids[i], 1)) == NULL)
			goto out;
		if (i == 0) {
			if ((q = POLICYQUALINFO_new()) == NULL ||
			    (q->d.cpsuri = ASN1_IA5STRING_new()) == NULL ||
			    !ASN1_STRING_set(q->d.cpsuri, pol->cps_uri, -1) ||
			    (pi->qualifiers = sk_POLICYQUALINFO_new_null()) == NULL)
				goto out;
			q->pqualid = OBJ_nid2obj(NID_id_qt_cps);
			if (!sk_POLICYQUALINFO_push(pi->qualifiers, q))
				goto out;
			q = NULL;
		}
		if (!sk_POLICYINFO_push(pols, pi))
			goto out;
		pi = NULL;
	}
	if (X509_add1_ext_i2d(x, NID_certificate_policies, pols, 0, X509V3_ADD_APPEND) != 1)
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot build certificatePolicies");
		kk_err_append_openssl(err);
	}
	POLICYQUALINFO_free(q);
	POLICYINFO_free(pi);
	CERTIFICATEPOLICIES_free(pols);
	return rc;
}

/* Every extension of CP table 7.1-1, in the table's order (CT comes with issue #CT). */
static int
add_extensions(kk_ca *ca, X509 *x, const char *const *names, size_t n, kk_err *err)
{
	char crl[300], ocsp[300];

	snprintf(crl, sizeof(crl), "URI:%s", ca->pol.crl_url);
	snprintf(ocsp, sizeof(ocsp), "OCSP;URI:%s", ca->pol.ocsp_url);
	if (kk_ca_add_ext(x, ca->issuing, NID_key_usage,
		"critical,digitalSignature,keyEncipherment", err) != 0 ||
	    kk_ca_add_ext(x, ca->issuing, NID_ext_key_usage, "serverAuth", err) != 0 ||
	    add_san(x, names, n, err) != 0 ||
	    ca_add_policies(x, &ca->pol, ca->pol.n_policy_oids, err) != 0 ||
	    kk_ca_add_ext(x, ca->issuing, NID_crl_distribution_points, crl, err) != 0 ||
	    kk_ca_add_ext(x, ca->issuing, NID_info_access, ocsp, err) != 0 ||
	    kk_ca_add_ext(x, ca->issuing, NID_authority_key_identifier, "keyid:always", err) != 0 ||
	    kk_ca_add_ext(x, ca->issuing, NID_subject_key_identifier, "hash", err) != 0)
		return -1;
	return 0;
}

/* Serial from lower-case hex as produced by kk_ca_new_serial. */
static int
set_serial(X509 *x, const char *hex, kk_err *err)
{
	BIGNUM *bn = NULL;
	int rc = -1;

	if (BN_hex2bn(&bn, hex) != (int)strlen(hex) || BN_is_zero(bn) ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		kk_err_set(err, KK_ERR_INTERNAL, "bad serial %s", hex);
	else
		rc = 0;
	BN_free(bn);
	return rc;
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

/* Each extension of the table exactly once with its criticality, nothing else. */
static int
lint_extension_set(X509 *c, kk_err *err)
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
	int at;

	if (X509_get_ext_count(c) != (int)(sizeof(want) / sizeof(want[0])))
		return lint_fail(err, "unexpected extension count");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if ((at = X509_get_ext_by_NID(c, want[i].nid, -1)) < 0 ||
		    X509_get_ext_by_NID(c, want[i].nid, at) >= 0)
			return lint_fail(err, "a required extension is missing or repeated");
		if (X509_EXTENSION_get_critical(X509_get_ext(c, at)) != want[i].critical)
			return lint_fail(err, "wrong extension criticality");
	}
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
lint_fields(kk_ca *ca, X509 *c, const char *cn, time_t nb, kk_err *err)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(c);
	const X509_NAME *subj = X509_get_subject_name(c);
	EVP_PKEY *pk = X509_get0_pubkey(c);
	time_t cnb, cna;

	if (X509_get_version(c) != X509_VERSION_3)
		return lint_fail(err, "not version 3");
	if (sn->type != V_ASN1_INTEGER || sn->length != ca->pol.serial_bytes ||
	    sn->data[0] == 0 || (sn->data[0] & 0x80) != 0)
		return lint_fail(err, "serial is not a positive integer of serial_bytes octets");
	if (X509_get_signature_nid(c) != NID_sha256WithRSAEncryption)
		return lint_fail(err, "signature algorithm is not sha256WithRSAEncryption");
	if (X509_NAME_cmp(X509_get_issuer_name(c), X509_get_subject_name(ca->issuing)) != 0)
		return lint_fail(err, "issuer is not the issuing CA's subject");
	if (!name_has(subj, NID_countryName, ca->pol.subject_country) ||
	    !name_has(subj, NID_stateOrProvinceName, NULL) ||
	    !name_has(subj, NID_localityName, NULL) ||
	    !name_has(subj, NID_organizationName, NULL) ||
	    !name_has(subj, NID_commonName, cn))
		return lint_fail(err, "subject C/ST/L/O/CN missing or wrong");
	if (asn1_time_to_time_t(X509_get0_notBefore(c), &cnb) != 0 ||
	    asn1_time_to_time_t(X509_get0_notAfter(c), &cna) != 0 || cnb != nb || cna < cnb ||
	    cna - cnb + 1 > (time_t)kk_policy_validity_days(&ca->pol, cnb) * 86400 ||
	    cna > ca->issuing_not_after)
		return lint_fail(err, "validity exceeds the maximum (BR 6.3.2)");
	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA ||
	    EVP_PKEY_get_bits(pk) < ca->pol.rsa_min_bits)
		return lint_fail(err, "subject key is not RSA of the minimum size (CP 6.1.5)");
	if (X509_get_key_usage(c) != (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT) ||
	    X509_get_extended_key_usage(c) != XKU_SSL_SERVER)
		return lint_fail(err, "keyUsage or extendedKeyUsage wrong");
	return 0;
}

/* Parses the throwaway-signed certificate DER and checks it against the profile. */
static int
lint(kk_ca *ca, const unsigned char *der, long len, const char *const *names, size_t n,
    time_t nb, kk_err *err)
{
	const unsigned char *p = der;
	X509 *c = NULL;
	int rc = -1;

	if ((c = d2i_X509(NULL, &p, len)) == NULL || p != der + len) {
		kk_err_set(err, KK_ERR_INTERNAL, "lint: the certificate does not parse");
		goto out;
	}
	if (lint_fields(ca, c, names[0], nb, err) != 0 ||
	    lint_extension_set(c, err) != 0 || lint_san(c, names, n, err) != 0 ||
	    lint_policies(c, &ca->pol, err) != 0 || lint_urls(c, &ca->pol, err) != 0 ||
	    lint_key_ids(c, ca->issuing, err) != 0)
		goto out;
	rc = 0;
out:
	X509_free(c);
	return rc;
}

/* The tbsCertificate TLV inside Certificate DER (RFC 5280 4.1). Borrowed from der. */
static int
tbs_of(const unsigned char *der, long len, const unsigned char **tbs, size_t *tbs_len)
{
	const unsigned char *p = der, *start;
	long n;
	int tag, cls;

	if (ASN1_get_object(&p, &n, &tag, &cls, len) & 0x80 || tag != V_ASN1_SEQUENCE)
		return -1;
	start = p;
	if (ASN1_get_object(&p, &n, &tag, &cls, len - (p - der)) & 0x80 ||
	    tag != V_ASN1_SEQUENCE)
		return -1;
	*tbs = start;
	*tbs_len = (size_t)(p - start) + (size_t)n;
	return 0;
}

/* Validity per BR 6.3.2 (kk_policy_validity_days counts both ends, RFC 5280
 * 4.1.2.5), never past the issuing CA's notAfter. */
static int
plan_validity(kk_ca *ca, X509 *x, time_t now, int days, time_t *na, kk_err *err)
{
	*na = now + (time_t)days * 86400 - 1;
	if (*na > ca->issuing_not_after)
		*na = ca->issuing_not_after;
	if (*na <= now)
		return kk_err_set(err, KK_ERR_INTERNAL, "the issuing CA certificate has expired");
	if (ASN1_TIME_set(X509_getm_notBefore(x), now) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), *na) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "cannot set the validity");
	return 0;
}

int
kk_ca_plan(kk_ca *ca, const char *serial, const kk_subject *subj, const char *const *names,
    size_t n_names, X509_REQ *csr, time_t now, unsigned char **tbs_der, size_t *tbs_len,
    time_t *not_before, time_t *not_after, kk_err *err)
{
	X509 *x = NULL;
	EVP_PKEY *tk = ca_throwaway_key();
	unsigned char *der = NULL;
	const unsigned char *tbs = NULL;
	size_t n = 0;
	int days = kk_policy_validity_days(&ca->pol, now), len, rc = -1;
	time_t na = 0;

	if (n_names == 0)
		return kk_err_set(err, KK_ERR_INTERNAL, "no names to certify");
	/* a profile may ask for less than the CP/BR maximum, never more */
	if (subj->validity_days > 0 && subj->validity_days < days)
		days = subj->validity_days;
	if (tk == NULL || (x = X509_new()) == NULL || X509_set_version(x, X509_VERSION_3) != 1 ||
	    X509_set_issuer_name(x, X509_get_subject_name(ca->issuing)) != 1 ||
	    X509_set_pubkey(x, X509_REQ_get0_pubkey(csr)) != 1) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot start a certificate");
		kk_err_append_openssl(err);
		goto out;
	}
	if (set_serial(x, serial, err) != 0 || set_subject(x, &ca->pol, subj, names[0], err) != 0 ||
	    plan_validity(ca, x, now, days, &na, err) != 0 ||
	    add_extensions(ca, x, names, n_names, err) != 0)
		goto out;
	if (X509_sign(x, tk, EVP_sha256()) <= 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "lint: throwaway signature failed");
		kk_err_append_openssl(err);
		goto out;
	}
	if ((len = i2d_X509(x, &der)) <= 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot encode the certificate");
		goto out;
	}
	if (lint(ca, der, len, names, n_names, now, err) != 0)
		goto out;
	/* the TBS bytes exactly as parsed and linted */
	if (tbs_of(der, len, &tbs, &n) != 0 || (*tbs_der = kk_malloc(n)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot extract the TBS certificate");
		goto out;
	}
	memcpy(*tbs_der, tbs, n);
	*tbs_len = n;
	*not_before = now;
	*not_after = na;
	rc = 0;
out:
	OPENSSL_free(der);
	X509_free(x);
	return rc;
}
