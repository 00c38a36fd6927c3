/*
 * Pre-issuance lint (src/lint_cert.h): CP table 7.1-1 row by row, RFC 5280 and BR
 * basics, for every certificate and precertificate before the token signs it. The rules
 * are written from the CP, independently of the builder in src/ca.c, so a builder or
 * policy mistake is caught here instead of being signed. Every message names the rule
 * and its source: "lint: <what> (<CP/RFC/BR section>)".
 *
 * Table 7.1-1 row -> rule:
 *   Version -> lint_basics; Serial Number -> lint_serial; Signature Algorithm ->
 *   lint_signature; Issuer -> lint_basics (bytes of the issuing CA's subject);
 *   Validity -> lint_validity; Subject C/ST/L/O/CN (no OU) -> lint_subject; Subject Public
 *   Key Info -> lint_key; keyUsage, extendedKeyUsage -> lint_usage; Subject Alt Name ->
 *   lint_san; CertificatePolicies -> lint_policies; CRL Distribution Points, Authority
 *   Information Access -> lint_urls; Authority/Subject Key Identifier -> lint_key_ids;
 *   Certificate Transparency -> lint_extension_set (by kind). Criticality of every row
 *   and "nothing else" -> lint_extension_set.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <openssl/x509v3.h>
#include "kakuin/names.h"
#include "lint_cert.h"

#define DAY 86400
#define BR_MAX_VALIDITY_DAYS 398 /* BR 6.3.2: the cap, whatever the policy says */
#define SERIAL_MAX_OCTETS 20     /* RFC 5280 4.1.2.2 */

int
lint_asn1_time(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*out = timegm(&tm);
	return 0;
}

/* One failed rule: the TBS must not be signed. fmt names the rule and its source. */
static int __attribute__((format(printf, 2, 3)))
lint_fail(kk_err *err, const char *fmt, ...)
{
	char why[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return kk_err_set(err, KK_ERR_INTERNAL, "lint: %s", why);
}

static int
ia5_equals(const ASN1_IA5STRING *s, const char *want)
{
	return (size_t)ASN1_STRING_length(s) == strlen(want) &&
	    memcmp(ASN1_STRING_get0_data(s), want, strlen(want)) == 0;
}

/* A dNSName we may certify (src/names.c, the rule the RA's newOrder also applies): an
 * IA5String of 1..253 octets without a NUL, then kk_dns_name_problem. NULL = fine. */
static const char *
dns_name_problem(const ASN1_IA5STRING *s)
{
	char name[256];
	int len = ASN1_STRING_length(s);

	if (len <= 0 || len >= (int)sizeof(name) ||
	    memchr(ASN1_STRING_get0_data(s), '\0', (size_t)len) != NULL)
		return "is not 1 to 253 octets (RFC 1035 2.3.4)";
	memcpy(name, ASN1_STRING_get0_data(s), (size_t)len);
	name[len] = '\0';
	return kk_dns_name_problem(name);
}

/* RFC 5280 4.1.2.2 and BR 7.1: positive, at most 20 octets, and (CP table 7.1-1) the
 * policy's random serial_bytes with no pad octet. */
static int
lint_serial(const kk_lint_ctx *ctx, X509 *c, kk_err *err)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(c);
	int octets = sn->length + (sn->length > 0 && (sn->data[0] & 0x80) != 0);

	if (sn->type != V_ASN1_INTEGER || sn->length == 0 || sn->data[0] == 0)
		return lint_fail(err, "serial is not a positive integer (RFC 5280 4.1.2.2)");
	if (octets > SERIAL_MAX_OCTETS)
		return lint_fail(err, "serial is longer than 20 octets (RFC 5280 4.1.2.2)");
	if (octets != ctx->pol->serial_bytes)
		return lint_fail(err, "serial is not %d octets of randomness (CP table 7.1-1 "
		    "Serial Number, BR 7.1)", ctx->pol->serial_bytes);
	return 0;
}

/* Both algorithm identifiers are exactly sha256WithRSAEncryption with NULL parameters
 * (CP 7.1.3, BR 7.1.3.2.1) and equal (RFC 5280 4.1.1.2). */
static int
lint_signature(X509 *c, kk_err *err)
{
	static const unsigned char sha256_rsa[] = {
		0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
		0x05, 0x00,
	};
	const X509_ALGOR *outer = NULL;
	unsigned char *enc = NULL;
	int n, ok;

	X509_get0_signature(NULL, &outer, c);
	if (X509_ALGOR_cmp(outer, X509_get0_tbs_sigalg(c)) != 0)
		return lint_fail(err, "the TBS signature algorithm differs from the outer one "
		    "(RFC 5280 4.1.1.2)");
	n = i2d_X509_ALGOR(X509_get0_tbs_sigalg(c), &enc);
	ok = n == (int)sizeof(sha256_rsa) && memcmp(enc, sha256_rsa, sizeof(sha256_rsa)) == 0;
	OPENSSL_free(enc);
	return ok ? 0 : lint_fail(err, "signature algorithm is not sha256WithRSAEncryption "
	    "with NULL parameters (CP table 7.1-1, BR 7.1.3.2.1)");
}

/* Version, issuer bytes, serial, signature (CP table 7.1-1 basic fields). */
static int
lint_basics(const kk_lint_ctx *ctx, X509 *c, kk_err *err)
{
	const unsigned char *ib = NULL, *sb = NULL;
	size_t il = 0, sl = 0;

	if (X509_get_version(c) != X509_VERSION_3)
		return lint_fail(err, "not version 3 (CP table 7.1-1 Version)");
	if (lint_serial(ctx, c, err) != 0 || lint_signature(c, err) != 0)
		return -1;
	if (X509_NAME_get0_der(X509_get_issuer_name(c), &ib, &il) != 1 ||
	    X509_NAME_get0_der(X509_get_subject_name(ctx->issuing), &sb, &sl) != 1 ||
	    il != sl || memcmp(ib, sb, il) != 0)
		return lint_fail(err, "issuer is not byte for byte the issuing CA's subject "
		    "(BR 7.1.4.1, CP table 7.1-1 Issuer)");
	return 0;
}

/* RFC 5280 4.1.2.5: UTCTime YYMMDDHHMMSSZ through 2049, GeneralizedTime
 * YYYYMMDDHHMMSSZ from 2050. */
static int
time_encoding_ok(const ASN1_TIME *t, time_t when)
{
	struct tm tm;
	int len = ASN1_STRING_length(t);
	const unsigned char *d = ASN1_STRING_get0_data(t);

	if (gmtime_r(&when, &tm) == NULL || len < 1 || d[len - 1] != 'Z')
		return 0;
	if (tm.tm_year + 1900 < 2050)
		return ASN1_STRING_type(t) == V_ASN1_UTCTIME && len == 13;
	return ASN1_STRING_type(t) == V_ASN1_GENERALIZEDTIME && len == 15;
}

/* Validity: from the planned notBefore, within the policy's days for that date
 * (BR 6.3.2 as the policy has it), never past 398 days even if the policy says more,
 * and not past the issuing CA's notAfter. Both ends count (RFC 5280 4.1.2.5). */
static int
lint_validity(const kk_lint_ctx *ctx, X509 *c, kk_err *err)
{
	time_t nb, na;
	int days;

	if (lint_asn1_time(X509_get0_notBefore(c), &nb) != 0 ||
	    lint_asn1_time(X509_get0_notAfter(c), &na) != 0 ||
	    !time_encoding_ok(X509_get0_notBefore(c), nb) ||
	    !time_encoding_ok(X509_get0_notAfter(c), na))
		return lint_fail(err, "validity is not UTCTime through 2049 and GeneralizedTime "
		    "from 2050 (RFC 5280 4.1.2.5)");
	if (nb != ctx->not_before || na < nb)
		return lint_fail(err, "validity does not start at the planned notBefore (CP "
		    "table 7.1-1 Validity)");
	days = kk_policy_validity_days(ctx->pol, nb);
	if (na - nb + 1 > (time_t)days * DAY)
		return lint_fail(err, "validity exceeds the policy's %d days (BR 6.3.2)", days);
	if (na - nb + 1 > (time_t)BR_MAX_VALIDITY_DAYS * DAY)
		return lint_fail(err, "validity exceeds %d days (BR 6.3.2)", BR_MAX_VALIDITY_DAYS);
	if (na > ctx->issuing_not_after)
		return lint_fail(err, "validity ends after the issuing CA's (RFC 5280 6.1.3)");
	return 0;
}

/* A subject attribute value: countryName a PrintableString of two capital letters, the
 * others UTF8String or PrintableString of 1..max characters (BR 7.1.4.2, RFC 5280
 * Appendix A upper bounds). NULL = fine. */
static const char *
attr_problem(int nid, const ASN1_STRING *v, int max)
{
	const unsigned char *d = ASN1_STRING_get0_data(v);
	unsigned char *u = NULL;
	int type = ASN1_STRING_type(v), len = ASN1_STRING_length(v), chars = 0, i;

	if (nid == NID_countryName)
		return type == V_ASN1_PRINTABLESTRING && len == 2 && d[0] >= 'A' && d[0] <= 'Z' &&
		    d[1] >= 'A' && d[1] <= 'Z' ? NULL : "is not a PrintableString of two letters";
	if (type == V_ASN1_PRINTABLESTRING) {
		for (i = 0; i < len; i++)
			if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789 '()+,-./:=?", d[i]) == NULL || d[i] == '\0')
				return "has a character PrintableString does not allow";
	} else if (type != V_ASN1_UTF8STRING)
		return "is neither UTF8String nor PrintableString";
	/* ASN1_STRING_to_UTF8 refuses malformed UTF-8 */
	if ((len = ASN1_STRING_to_UTF8(&u, v)) < 0)
		return "is not valid UTF-8";
	for (i = 0; i < len; i++)
		chars += (u[i] & 0xc0) != 0x80;
	OPENSSL_free(u);
	if (chars == 0)
		return "is empty";
	return chars > max ? "is longer than its upper bound" : NULL;
}

/* Subject (CP table 7.1-1): C fixed by policy, ST, L, O, CN once each, nothing else, in
 * that order; CN = the first name (names[0]). The table's optional OU is refused: BR
 * 7.1.2.7.4 (SC-47v2) prohibits it since 2022-09-01, and the stricter rule wins. */
static int
lint_subject(const kk_lint_ctx *ctx, X509 *c, kk_err *err)
{
	static const struct {
		int nid, max, required;
		const char *name;
	} attrs[] = {
		{ NID_countryName, 2, 1, "C" }, { NID_stateOrProvinceName, 128, 1, "ST" },
		{ NID_localityName, 128, 1, "L" }, { NID_organizationName, 64, 1, "O" },
		{ NID_commonName, 64, 1, "CN" },
	};
	const X509_NAME *subj = X509_get_subject_name(c);
	const ASN1_STRING *v;
	const char *why;
	size_t i, prev = 0;
	int at, n;

	/* attrs is in BR 7.1.4.2's relative order, which the subject must keep */
	for (n = 0; n < X509_NAME_entry_count(subj); n++) {
		at = OBJ_obj2nid(X509_NAME_ENTRY_get_object(X509_NAME_get_entry(subj, n)));
		for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]) && attrs[i].nid != at; i++)
			;
		if (at == NID_organizationalUnitName)
			return lint_fail(err, "subject has organizationalUnitName, which BR "
			    "7.1.2.7.4 prohibits (SC-47v2)");
		if (i == sizeof(attrs) / sizeof(attrs[0]))
			return lint_fail(err, "subject has an attribute outside C, ST, L, O, CN "
			    "(CP table 7.1-1 Subject)");
		if (i < prev)
			return lint_fail(err, "subject attributes are out of order (BR 7.1.4.2)");
		prev = i;
	}
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		if ((at = X509_NAME_get_index_by_NID(subj, attrs[i].nid, -1)) < 0) {
			if (attrs[i].required)
				return lint_fail(err, "subject %s is missing (CP table 7.1-1 Subject)",
				    attrs[i].name);
			continue;
		}
		if (X509_NAME_get_index_by_NID(subj, attrs[i].nid, at) >= 0)
			return lint_fail(err, "subject %s appears twice (CP table 7.1-1 Subject)",
			    attrs[i].name);
		v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, at));
		if ((why = attr_problem(attrs[i].nid, v, attrs[i].max)) != NULL)
			return lint_fail(err, "subject %s %s (BR 7.1.4.2, RFC 5280 Appendix A "
			    "ub-%d)", attrs[i].name, why, attrs[i].max);
	}
	v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj,
	    X509_NAME_get_index_by_NID(subj, NID_countryName, -1)));
	if (!ia5_equals(v, ctx->pol->subject_country))
		return lint_fail(err, "subject C is not the policy's %s (CP table 7.1-1 Subject)",
		    ctx->pol->subject_country);
	v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj,
	    X509_NAME_get_index_by_NID(subj, NID_commonName, -1)));
	if (!ia5_equals(v, ctx->names[0]))
		return lint_fail(err, "subject CN is not the first name (CP table 7.1-1 Subject)");
	return 0;
}

/* RSA of at least the policy's size (CP 6.1.5, table 7.1-1 Subject Public Key Info) with
 * an odd public exponent in [2^16+1, 2^256-1] (BR 6.1.6, as src/keycheck.c checks). */
static int
lint_key(const kk_lint_ctx *ctx, X509 *c, kk_err *err)
{
	EVP_PKEY *pk = X509_get0_pubkey(c);
	BIGNUM *e = NULL;
	int ok;

	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA ||
	    EVP_PKEY_get_bits(pk) < ctx->pol->rsa_min_bits)
		return lint_fail(err, "subject key is not RSA of at least %d bits (CP 6.1.5, CP "
		    "table 7.1-1)", ctx->pol->rsa_min_bits);
	ok = EVP_PKEY_get_bn_param(pk, "e", &e) == 1 && BN_is_odd(e) &&
	    BN_num_bits(e) >= 17 && BN_num_bits(e) <= 256;
	BN_free(e);
	return ok ? 0 : lint_fail(err, "RSA public exponent is not odd in [2^16+1, 2^256-1] "
	    "(BR 6.1.6)");
}

/* RFC 5280 4.2 and BR 7.1.2.7.8 for any certificate: no extension twice, no cA=TRUE,
 * no critical extension kakuin does not understand (only keyUsage and the precertificate
 * poison are critical in the profile). */
static int
lint_extensions_generic(X509 *c, kk_err *err)
{
	const ASN1_OBJECT *o;
	BASIC_CONSTRAINTS *bc;
	X509_EXTENSION *e;
	char oid[80];
	int i, j, n = X509_get_ext_count(c), nid, is_ca;

	for (i = 0; i < n; i++) {
		o = X509_EXTENSION_get_object(X509_get_ext(c, i));
		for (j = i + 1; j < n; j++)
			if (OBJ_cmp(o, X509_EXTENSION_get_object(X509_get_ext(c, j))) == 0) {
				OBJ_obj2txt(oid, sizeof(oid), o, 0);
				return lint_fail(err, "extension %s appears twice (RFC 5280 4.2)", oid);
			}
	}
	if ((bc = X509_get_ext_d2i(c, NID_basic_constraints, NULL, NULL)) != NULL) {
		is_ca = bc->ca != 0;
		BASIC_CONSTRAINTS_free(bc);
		if (is_ca)
			return lint_fail(err, "basicConstraints cA is TRUE in a subscriber "
			    "certificate (BR 7.1.2.7.8)");
	}
	for (i = 0; i < n; i++) {
		e = X509_get_ext(c, i);
		nid = OBJ_obj2nid(X509_EXTENSION_get_object(e));
		if (X509_EXTENSION_get_critical(e) && nid != NID_key_usage &&
		    nid != NID_ct_precert_poison) {
			OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(e), 0);
			return lint_fail(err, "critical extension %s is not understood (RFC 5280 "
			    "4.2)", oid);
		}
	}
	return 0;
}

/* Each extension row of table 7.1-1 once with its criticality and nothing else; a
 * precertificate adds the critical poison (RFC 6962 3.1), a logged certificate the
 * non-critical SCT list (RFC 6962 3.3, the table's last row). */
static int
lint_extension_set(X509 *c, kk_lint_kind kind, kk_err *err)
{
	static const struct {
		int nid, critical;
		const char *row;
	} rows[] = {
		{ NID_key_usage, 1, "keyUsage" }, { NID_ext_key_usage, 0, "extendedKeyUsage" },
		{ NID_subject_alt_name, 0, "subjectAltName" },
		{ NID_certificate_policies, 0, "certificatePolicies" },
		{ NID_crl_distribution_points, 0, "cRLDistributionPoints" },
		{ NID_info_access, 0, "authorityInfoAccess" },
		{ NID_authority_key_identifier, 0, "authorityKeyIdentifier" },
		{ NID_subject_key_identifier, 0, "subjectKeyIdentifier" },
		{ NID_ct_precert_poison, 1, "precertificate poison (RFC 6962 3.1)" },
		{ NID_ct_precert_scts, 0, "SCT list (RFC 6962 3.3)" },
	};
	size_t i, n_rows = sizeof(rows) / sizeof(rows[0]);
	char oid[80];
	int at, nid, want;

	for (at = 0; at < X509_get_ext_count(c); at++) {
		nid = OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(c, at)));
		for (i = 0; i < n_rows && rows[i].nid != nid; i++)
			;
		if (i == n_rows || (nid == NID_ct_precert_poison && kind != KK_LINT_PRECERT) ||
		    (nid == NID_ct_precert_scts && kind != KK_LINT_FINAL_CT)) {
			OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(X509_get_ext(c, at)),
			    0);
			return lint_fail(err, "extension %s is not in the profile for this kind of "
			    "certificate (CP table 7.1-1, BR 7.1.2.7.6)", oid);
		}
	}
	for (i = 0; i < n_rows; i++) {
		want = rows[i].nid == NID_ct_precert_poison ? kind == KK_LINT_PRECERT :
		    rows[i].nid == NID_ct_precert_scts ? kind == KK_LINT_FINAL_CT : 1;
		if (!want)
			continue;
		if ((at = X509_get_ext_by_NID(c, rows[i].nid, -1)) < 0)
			return lint_fail(err, "%s is missing (CP table 7.1-1)", rows[i].row);
		if (X509_EXTENSION_get_critical(X509_get_ext(c, at)) != rows[i].critical)
			return lint_fail(err, "%s must %sbe critical (CP table 7.1-1)", rows[i].row,
			    rows[i].critical ? "" : "not ");
	}
	return 0;
}

/* keyUsage digitalSignature + keyEncipherment (BR 7.1.2.7.11); extendedKeyUsage
 * serverAuth alone, never anyExtendedKeyUsage (BR 7.1.2.7.10). */
static int
lint_usage(X509 *c, kk_err *err)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(c, NID_ext_key_usage, NULL, NULL);
	int i, any = 0, n = eku != NULL ? sk_ASN1_OBJECT_num(eku) : 0, server = 0;

	for (i = 0; i < n; i++) {
		any |= OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == NID_anyExtendedKeyUsage;
		server += OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == NID_server_auth;
	}
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	if (any)
		return lint_fail(err, "extendedKeyUsage has anyExtendedKeyUsage (BR 7.1.2.7.10)");
	if (n != 1 || server != 1)
		return lint_fail(err, "extendedKeyUsage is not serverAuth alone (CP table 7.1-1, "
		    "BR 7.1.2.7.10)");
	if (X509_get_key_usage(c) != (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT))
		return lint_fail(err, "keyUsage is not digitalSignature, keyEncipherment (CP "
		    "table 7.1-1, BR 7.1.2.7.11)");
	return 0;
}

/* subjectAltName (BR 7.1.2.7.12): dNSNames only, each a name we may certify, the CN
 * among them (BR 7.1.2.7.4), and exactly the order's names in order. */
static int
lint_san(const kk_lint_ctx *ctx, X509 *c, kk_err *err)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(c, NID_subject_alt_name, NULL, NULL);
	GENERAL_NAME *g;
	const char *why;
	int i, n = gens != NULL ? sk_GENERAL_NAME_num(gens) : 0, cn_in = 0, rc = -1;

	if (n == 0) {
		lint_fail(err, "subjectAltName is empty (BR 7.1.2.7.12)");
		goto out;
	}
	for (i = 0; i < n; i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type != GEN_DNS) {
			lint_fail(err, "subjectAltName has a name that is not a dNSName "
			    "(CP table 7.1-1, BR 7.1.2.7.12)");
			goto out;
		}
		if ((why = dns_name_problem(g->d.dNSName)) != NULL) {
			lint_fail(err, "subjectAltName \"%.*s\" %s",
			    ASN1_STRING_length(g->d.dNSName) > 80 ? 80 :
			    ASN1_STRING_length(g->d.dNSName),
			    (const char *)ASN1_STRING_get0_data(g->d.dNSName), why);
			goto out;
		}
		cn_in |= ia5_equals(g->d.dNSName, ctx->names[0]);
	}
	if (!cn_in) {
		lint_fail(err, "the CN is not one of the subjectAltName names (BR 7.1.2.7.4)");
		goto out;
	}
	for (i = 0; (size_t)n == ctx->n_names && i < n; i++)
		if (!ia5_equals(sk_GENERAL_NAME_value(gens, i)->d.dNSName, ctx->names[i]))
			break;
	if ((size_t)n != ctx->n_names || i < n) {
		lint_fail(err, "subjectAltName does not list the order's names (CP table 7.1-1 "
		    "Subject Alt Name)");
		goto out;
	}
	rc = 0;
out:
	GENERAL_NAMES_free(gens);
	return rc;
}

/* Policy OIDs in policy order; the first carries exactly the CPS URI qualifier (CP
 * table 7.1-1 CertificatePolicies, BR 7.1.2.7.9). */
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
	return ok ? 0 : lint_fail(err, "certificatePolicies are not the policy's OIDs with "
	    "the CPS qualifier (CP table 7.1-1, BR 7.1.2.7.9)");
}

/* CRL DP: one fullName URI (BR 7.1.2.11.2); AIA: one OCSP URI (BR 7.1.2.7.7). */
static int
lint_urls(X509 *c, const kk_policy *pol, kk_err *err)
{
	CRL_DIST_POINTS *dps = X509_get_ext_d2i(c, NID_crl_distribution_points, NULL, NULL);
	AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(c, NID_info_access, NULL, NULL);
	DIST_POINT *dp;
	GENERAL_NAME *g;
	ACCESS_DESCRIPTION *ad;
	int ok, rc = -1;

	ok = dps != NULL && sk_DIST_POINT_num(dps) == 1;
	if (ok) {
		dp = sk_DIST_POINT_value(dps, 0);
		ok = dp->distpoint != NULL && dp->distpoint->type == 0 && dp->reasons == NULL &&
		    dp->CRLissuer == NULL && sk_GENERAL_NAME_num(dp->distpoint->name.fullname) == 1;
	}
	if (ok) {
		g = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, 0);
		ok = g->type == GEN_URI && ia5_equals(g->d.uniformResourceIdentifier, pol->crl_url);
	}
	if (!ok) {
		lint_fail(err, "cRLDistributionPoints is not the policy's CRL URL (CP table 7.1-1, "
		    "BR 7.1.2.11.2)");
		goto out;
	}
	ok = aia != NULL && sk_ACCESS_DESCRIPTION_num(aia) == 1;
	if (ok) {
		ad = sk_ACCESS_DESCRIPTION_value(aia, 0);
		ok = OBJ_obj2nid(ad->method) == NID_ad_OCSP && ad->location->type == GEN_URI &&
		    ia5_equals(ad->location->d.uniformResourceIdentifier, pol->ocsp_url);
	}
	if (!ok) {
		lint_fail(err, "authorityInfoAccess is not the policy's OCSP URL (CP table 7.1-1, "
		    "BR 7.1.2.7.7)");
		goto out;
	}
	rc = 0;
out:
	CRL_DIST_POINTS_free(dps);
	AUTHORITY_INFO_ACCESS_free(aia);
	return rc;
}

/* AKI: keyIdentifier only (BR 7.1.2.11.1), the issuer's SKI; SKI: the 20-octet SHA-1 of
 * the subject public key (CP table 7.1-1, RFC 5280 4.2.1.2 (1)). */
static int
lint_key_ids(X509 *c, X509 *issuing, kk_err *err)
{
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(c);
	const ASN1_OCTET_STRING *iski = X509_get0_subject_key_id(issuing);
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(c);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (aki == NULL || X509_get0_authority_issuer(c) != NULL ||
	    X509_get0_authority_serial(c) != NULL)
		return lint_fail(err, "authorityKeyIdentifier is not a keyIdentifier alone "
		    "(BR 7.1.2.11.1)");
	if (iski == NULL || ASN1_OCTET_STRING_cmp(aki, iski) != 0)
		return lint_fail(err, "authorityKeyIdentifier is not the issuer's key id (CP "
		    "table 7.1-1)");
	if (ski == NULL || ASN1_STRING_length(ski) != 20)
		return lint_fail(err, "subjectKeyIdentifier is not 20 octets (CP table 7.1-1)");
	if (X509_pubkey_digest(c, EVP_sha1(), md, &mdlen) != 1 || mdlen != 20 ||
	    memcmp(ASN1_STRING_get0_data(ski), md, 20) != 0)
		return lint_fail(err, "subjectKeyIdentifier is not the SHA-1 of the key (CP "
		    "table 7.1-1, RFC 5280 4.2.1.2)");
	return 0;
}

int
lint_cert(const kk_lint_ctx *ctx, const unsigned char *der, long len, kk_err *err)
{
	const unsigned char *p = der;
	X509 *c = NULL;
	int rc = -1;

	if ((c = d2i_X509(NULL, &p, len)) == NULL || p != der + len) {
		lint_fail(err, "the certificate does not parse (RFC 5280 4.1)");
		goto out;
	}
	if (ctx->n_names == 0) {
		lint_fail(err, "no names (CP table 7.1-1 Subject Alt Name)");
		goto out;
	}
	/* the generic extension rules first: OpenSSL's decoded views of the extensions
	 * (keyUsage, key ids) are unreliable once an extension is repeated */
	if (lint_extensions_generic(c, err) != 0 || lint_basics(ctx, c, err) != 0 ||
	    lint_validity(ctx, c, err) != 0 || lint_san(ctx, c, err) != 0 ||
	    lint_subject(ctx, c, err) != 0 || lint_key(ctx, c, err) != 0 ||
	    lint_extension_set(c, ctx->kind, err) != 0 || lint_usage(c, err) != 0 ||
	    lint_policies(c, ctx->pol, err) != 0 || lint_urls(c, ctx->pol, err) != 0 ||
	    lint_key_ids(c, ctx->issuing, err) != 0)
		goto out;
	rc = 0;
out:
	X509_free(c);
	return rc;
}
