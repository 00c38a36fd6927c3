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
#include "lint_cert.h"

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
	if (lint_asn1_time(X509_get0_notAfter(ca->issuing), &ca->issuing_not_after) != 0) {
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

/* subject: C (fixed by policy), ST, L, O, CN = the first name (CP table 7.1-1; no OU,
 * BR 7.1.2.7.4). */
static int
set_subject(X509 *x, const kk_policy *pol, const kk_subject *subj, const char *cn, kk_err *err)
{
	X509_NAME *n = X509_get_subject_name(x);
	const struct {
		const char *field, *value;
	} rdn[] = {
		{ "C", pol->subject_country }, { "ST", subj->st }, { "L", subj->l },
		{ "O", subj->o }, { "CN", cn },
	};
	size_t i;

	for (i = 0; i < sizeof(rdn) / sizeof(rdn[0]); i++) {
		if (rdn[i].value == NULL || *rdn[i].value == '\0')
			return kk_err_set(err, KK_ERR_INTERNAL, "subject %s is required", rdn[i].field);
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

/* Signs x with the throwaway key, lints it as kind and copies out its TBS bytes exactly
 * as parsed and linted (caller frees *tbs_der). */
static int
lint_and_extract(kk_ca *ca, X509 *x, const char *const *names, size_t n_names, time_t nb,
    kk_lint_kind kind, unsigned char **tbs_der, size_t *tbs_len, kk_err *err)
{
	EVP_PKEY *tk = ca_throwaway_key();
	unsigned char *der = NULL;
	const unsigned char *tbs = NULL;
	kk_lint_ctx ctx;
	size_t n = 0;
	int len, rc = -1;

	if (tk == NULL || X509_sign(x, tk, EVP_sha256()) <= 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "lint: throwaway signature failed");
		kk_err_append_openssl(err);
		goto out;
	}
	if ((len = i2d_X509(x, &der)) <= 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot encode the certificate");
		goto out;
	}
	ctx.pol = &ca->pol;
	ctx.issuing = ca->issuing;
	ctx.issuing_not_after = ca->issuing_not_after;
	ctx.names = names;
	ctx.n_names = n_names;
	ctx.not_before = nb;
	ctx.kind = kind;
	if (lint_cert(&ctx, der, len, err) != 0)
		goto out;
	if (tbs_of(der, len, &tbs, &n) != 0 || (*tbs_der = kk_malloc(n)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot extract the TBS certificate");
		goto out;
	}
	memcpy(*tbs_der, tbs, n);
	*tbs_len = n;
	rc = 0;
out:
	OPENSSL_free(der);
	return rc;
}

/* The CT poison (RFC 6962 3.1): critical, extnValue ASN.1 NULL. */
static int
add_poison(X509 *x, kk_err *err)
{
	static const unsigned char null_der[] = { 0x05, 0x00 };
	ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e = NULL;
	int rc = -1;

	if (v != NULL && ASN1_OCTET_STRING_set(v, null_der, sizeof(null_der)) &&
	    (e = X509_EXTENSION_create_by_NID(NULL, NID_ct_precert_poison, 1, v)) != NULL &&
	    X509_add_ext(x, e, -1) == 1)
		rc = 0;
	else
		kk_err_set(err, KK_ERR_INTERNAL, "cannot add the CT poison extension");
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(v);
	return rc;
}

/* kk_ca_plan and kk_ca_plan_precert: a precertificate is the same certificate with the
 * poison after the table's extensions. */
static int
plan_cert(kk_ca *ca, const char *serial, const kk_subject *subj, const char *const *names,
    size_t n_names, X509_REQ *csr, time_t now, kk_lint_kind kind, unsigned char **tbs_der,
    size_t *tbs_len, time_t *not_before, time_t *not_after, kk_err *err)
{
	X509 *x = NULL;
	int days = kk_policy_validity_days(&ca->pol, now), rc = -1;
	time_t na = 0;

	if (n_names == 0)
		return kk_err_set(err, KK_ERR_INTERNAL, "no names to certify");
	/* a profile may ask for less than the CP/BR maximum, never more */
	if (subj->validity_days > 0 && subj->validity_days < days)
		days = subj->validity_days;
	if ((x = X509_new()) == NULL || X509_set_version(x, X509_VERSION_3) != 1 ||
	    X509_set_issuer_name(x, X509_get_subject_name(ca->issuing)) != 1 ||
	    X509_set_pubkey(x, X509_REQ_get0_pubkey(csr)) != 1) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot start a certificate");
		kk_err_append_openssl(err);
		goto out;
	}
	if (set_serial(x, serial, err) != 0 || set_subject(x, &ca->pol, subj, names[0], err) != 0 ||
	    plan_validity(ca, x, now, days, &na, err) != 0 ||
	    add_extensions(ca, x, names, n_names, err) != 0 ||
	    (kind == KK_LINT_PRECERT && add_poison(x, err) != 0) ||
	    ca_apply_faults(ca, x, err) != 0)
		goto out;
	if (lint_and_extract(ca, x, names, n_names, now, kind, tbs_der, tbs_len, err) != 0)
		goto out;
	*not_before = now;
	*not_after = na;
	rc = 0;
out:
	X509_free(x);
	return rc;
}

int
kk_ca_plan(kk_ca *ca, const char *serial, const kk_subject *subj, const char *const *names,
    size_t n_names, X509_REQ *csr, time_t now, unsigned char **tbs_der, size_t *tbs_len,
    time_t *not_before, time_t *not_after, kk_err *err)
{
	return plan_cert(ca, serial, subj, names, n_names, csr, now, KK_LINT_PLAIN, tbs_der,
	    tbs_len, not_before, not_after, err);
}

int
kk_ca_plan_precert(kk_ca *ca, const char *serial, const kk_subject *subj,
    const char *const *names, size_t n_names, X509_REQ *csr, time_t now,
    unsigned char **tbs_der, size_t *tbs_len, time_t *not_before, time_t *not_after,
    kk_err *err)
{
	return plan_cert(ca, serial, subj, names, n_names, csr, now, KK_LINT_PRECERT, tbs_der,
	    tbs_len, not_before, not_after, err);
}

/* A certificate object around a bare TBS (a dummy signature), to edit or compare it.
 * Caller frees. */
static X509 *
x509_of_tbs(const unsigned char *tbs, size_t len, kk_err *err)
{
	static const unsigned char nosig[1] = { 0 };
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t dlen = 0;
	X509 *x = NULL;

	if (ca_assemble(tbs, len, nosig, sizeof(nosig), &der, &dlen, err) != 0)
		return NULL;
	p = der;
	if ((x = d2i_X509(NULL, &p, (long)dlen)) == NULL || p != der + dlen) {
		X509_free(x);
		x = NULL;
		kk_err_set(err, KK_ERR_INTERNAL, "the planned TBS does not parse");
	}
	free(der);
	return x;
}

/* The TBS of x without the extension nid, re-encoded (RFC 6962 3.2: what logs sign
 * for a precertificate and what clients rebuild from the final certificate). Caller
 * frees *out. */
static int
tbs_without(X509 *x, int nid, unsigned char **out, int *len)
{
	X509 *c = X509_dup(x);
	int at;

	*out = NULL;
	if (c == NULL || (at = X509_get_ext_by_NID(c, nid, -1)) < 0) {
		X509_free(c);
		return -1;
	}
	X509_EXTENSION_free(X509_delete_ext(c, at));
	*len = i2d_re_X509_tbs(c, out);
	X509_free(c);
	return *len > 0 ? 0 : -1;
}

/* The SCT list extension (RFC 6962 3.3): extnValue is an OCTET STRING holding the
 * TLS-encoded SignedCertificateTimestampList. Put where the poison was. */
static int
replace_poison(X509 *x, const unsigned char *sct_list, size_t sct_len, kk_err *err)
{
	ASN1_OCTET_STRING *inner = ASN1_OCTET_STRING_new(), *v = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e = NULL;
	unsigned char *der = NULL;
	int at, len, rc = -1;

	if ((at = X509_get_ext_by_NID(x, NID_ct_precert_poison, -1)) < 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "the precertificate has no poison extension");
		goto out;
	}
	if (inner == NULL || v == NULL || sct_len == 0 || sct_len > 65537 ||
	    !ASN1_OCTET_STRING_set(inner, sct_list, (int)sct_len) ||
	    (len = i2d_ASN1_OCTET_STRING(inner, &der)) <= 0 ||
	    !ASN1_OCTET_STRING_set(v, der, len) ||
	    (e = X509_EXTENSION_create_by_NID(NULL, NID_ct_precert_scts, 0, v)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot build the SCT list extension");
		goto out;
	}
	X509_EXTENSION_free(X509_delete_ext(x, at));
	if (X509_add_ext(x, e, at) != 1) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot add the SCT list extension");
		goto out;
	}
	rc = 0;
out:
	OPENSSL_free(der);
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(inner);
	ASN1_OCTET_STRING_free(v);
	return rc;
}

int
kk_ca_plan_final(kk_ca *ca, const unsigned char *precert_tbs, size_t precert_len,
    const char *const *names, size_t n_names, const unsigned char *sct_list, size_t sct_len,
    unsigned char **tbs_der, size_t *tbs_len, kk_err *err)
{
	X509 *pre = NULL, *fin = NULL, *linted = NULL;
	unsigned char *a = NULL, *b = NULL;
	int alen = 0, blen = 0, rc = -1;
	time_t nb;

	*tbs_der = NULL;
	if ((pre = x509_of_tbs(precert_tbs, precert_len, err)) == NULL ||
	    (fin = X509_dup(pre)) == NULL ||
	    lint_asn1_time(X509_get0_notBefore(pre), &nb) != 0) {
		if (err->kind == KK_OK)
			kk_err_set(err, KK_ERR_INTERNAL, "cannot read the precertificate");
		goto out;
	}
	if (replace_poison(fin, sct_list, sct_len, err) != 0 ||
	    lint_and_extract(ca, fin, names, n_names, nb, KK_LINT_FINAL_CT, tbs_der, tbs_len,
	    err) != 0)
		goto out;
	/* RFC 6962 3.2: the final TBS without the SCT list must be the precertificate TBS
	 * without the poison, or no client can verify the SCTs */
	if ((linted = x509_of_tbs(*tbs_der, *tbs_len, err)) == NULL)
		goto out;
	if (tbs_without(pre, NID_ct_precert_poison, &a, &alen) != 0 ||
	    tbs_without(linted, NID_ct_precert_scts, &b, &blen) != 0 || alen != blen ||
	    memcmp(a, b, (size_t)alen) != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "lint: the certificate does not match its "
		    "precertificate (RFC 6962 3.2)");
		goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		free(*tbs_der);
		*tbs_der = NULL;
	}
	OPENSSL_free(a);
	OPENSSL_free(b);
	X509_free(pre);
	X509_free(fin);
	X509_free(linted);
	return rc;
}
