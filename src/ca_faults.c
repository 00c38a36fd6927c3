/*
 * Test seam (src/ca_internal.h): deliberate mistakes in a built certificate, applied by
 * kk_ca_plan just before the throwaway signature when a unit test sets ca->faults. Each
 * one breaks one rule of the pre-issuance lint (src/lint_cert.c), so the tests can show
 * that the rule stops issuance before the token is asked (issue #6, BR 4.3.1.2).
 * kk_ca_open leaves faults at 0, and then nothing here changes the certificate.
 */
#include <stdio.h>
#include <openssl/x509v3.h>
#include "ca_internal.h"
#include "lint_cert.h"

#define DAY 86400

/* Removes every extension nid (none is fine). */
static int
drop_ext(X509 *x, int nid)
{
	int i;

	while ((i = X509_get_ext_by_NID(x, nid, -1)) >= 0)
		X509_EXTENSION_free(X509_delete_ext(x, i));
	return 0;
}

static int
no_aia(const kk_ca *ca, X509 *x, kk_err *err)
{
	(void)ca, (void)err;
	return drop_ext(x, NID_info_access);
}

static int
ku_not_critical(const kk_ca *ca, X509 *x, kk_err *err)
{
	drop_ext(x, NID_key_usage);
	return kk_ca_add_ext(x, ca->issuing, NID_key_usage, "digitalSignature,keyEncipherment",
	    err);
}

/* 399 days counting both ends (RFC 5280 4.1.2.5): one past the BR 6.3.2 cap. */
static int
long_validity(const kk_ca *ca, X509 *x, kk_err *err)
{
	time_t nb;

	(void)ca;
	if (lint_asn1_time(X509_get0_notBefore(x), &nb) != 0 ||
	    ASN1_TIME_set(X509_getm_notAfter(x), nb + 399 * DAY - 1) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "fault: cannot set notAfter");
	return 0;
}

static int
dup_extension(const kk_ca *ca, X509 *x, kk_err *err)
{
	X509_EXTENSION *e = NULL;
	int i = X509_get_ext_by_NID(x, NID_subject_key_identifier, -1), rc = -1;

	(void)ca;
	if (i >= 0 && (e = X509_EXTENSION_dup(X509_get_ext(x, i))) != NULL &&
	    X509_add_ext(x, e, -1) == 1)
		rc = 0;
	else
		kk_err_set(err, KK_ERR_INTERNAL, "fault: cannot repeat subjectKeyIdentifier");
	X509_EXTENSION_free(e);
	return rc;
}

static int
internal_name(const kk_ca *ca, X509 *x, kk_err *err)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	GENERAL_NAME *g = NULL;
	ASN1_IA5STRING *s = NULL;
	int rc = -1;

	(void)ca;
	if (gens == NULL || (s = ASN1_IA5STRING_new()) == NULL ||
	    !ASN1_STRING_set(s, "server.local", -1) || (g = GENERAL_NAME_new()) == NULL)
		goto out;
	GENERAL_NAME_set0_value(g, GEN_DNS, s);
	s = NULL;
	if (!sk_GENERAL_NAME_push(gens, g))
		goto out;
	g = NULL;
	if (X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_REPLACE) == 1)
		rc = 0;
out:
	if (rc != 0)
		kk_err_set(err, KK_ERR_INTERNAL, "fault: cannot add an internal name");
	ASN1_IA5STRING_free(s);
	GENERAL_NAME_free(g);
	GENERAL_NAMES_free(gens);
	return rc;
}

/* The CA/B Forum DV OID (2.23.140.1.2.1) where table 7.1-1 has the OV one. */
static int
bad_policy_oid(const kk_ca *ca, X509 *x, kk_err *err)
{
	kk_policy p = ca->pol;

	if (p.n_policy_oids == 0)
		return kk_err_set(err, KK_ERR_INTERNAL, "fault: the policy has no OIDs");
	snprintf(p.policy_oids[p.n_policy_oids - 1], sizeof(p.policy_oids[0]), "2.23.140.1.2.1");
	drop_ext(x, NID_certificate_policies);
	return ca_add_policies(x, &p, p.n_policy_oids, err);
}

static int
no_poison(const kk_ca *ca, X509 *x, kk_err *err)
{
	(void)ca, (void)err;
	return drop_ext(x, NID_ct_precert_poison);
}

static int
ca_true(const kk_ca *ca, X509 *x, kk_err *err)
{
	return kk_ca_add_ext(x, ca->issuing, NID_basic_constraints, "critical,CA:TRUE", err);
}

static int
any_eku(const kk_ca *ca, X509 *x, kk_err *err)
{
	drop_ext(x, NID_ext_key_usage);
	return kk_ca_add_ext(x, ca->issuing, NID_ext_key_usage, "serverAuth,anyExtendedKeyUsage",
	    err);
}

/* A critical extension under a private arc nobody understands (value: NULL). */
static int
unknown_critical(const kk_ca *ca, X509 *x, kk_err *err)
{
	static const unsigned char null_der[] = { 0x05, 0x00 };
	ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.4.1.99999.1", 1);
	ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e = NULL;
	int rc = -1;

	(void)ca;
	if (oid != NULL && v != NULL && ASN1_OCTET_STRING_set(v, null_der, sizeof(null_der)) &&
	    (e = X509_EXTENSION_create_by_OBJ(NULL, oid, 1, v)) != NULL &&
	    X509_add_ext(x, e, -1) == 1)
		rc = 0;
	else
		kk_err_set(err, KK_ERR_INTERNAL, "fault: cannot add a private extension");
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(v);
	ASN1_OBJECT_free(oid);
	return rc;
}

/* The issuing CA's subject with every value re-encoded as UTF8String: equal under
 * X509_NAME_cmp's canonical form, different bytes (BR 7.1.4.1). */
static int
issuer_bytes(const kk_ca *ca, X509 *x, kk_err *err)
{
	const X509_NAME *subj = X509_get_subject_name(ca->issuing);
	X509_NAME *n = X509_NAME_new();
	const X509_NAME_ENTRY *e;
	const ASN1_STRING *v;
	int i, rc = -1;

	for (i = 0; n != NULL && i < X509_NAME_entry_count(subj); i++) {
		e = X509_NAME_get_entry(subj, i);
		v = X509_NAME_ENTRY_get_data(e);
		if (X509_NAME_add_entry_by_OBJ(n, X509_NAME_ENTRY_get_object(e), V_ASN1_UTF8STRING,
		    ASN1_STRING_get0_data(v), ASN1_STRING_length(v), -1, 0) != 1)
			goto out;
	}
	if (n != NULL && X509_set_issuer_name(x, n) == 1)
		rc = 0;
out:
	if (rc != 0)
		kk_err_set(err, KK_ERR_INTERNAL, "fault: cannot re-encode the issuer");
	X509_NAME_free(n);
	return rc;
}

/* The same instant, but GeneralizedTime before 2050 (RFC 5280 4.1.2.5). */
static int
generalized_time(const kk_ca *ca, X509 *x, kk_err *err)
{
	time_t na;

	(void)ca;
	if (lint_asn1_time(X509_get0_notAfter(x), &na) != 0 ||
	    ASN1_GENERALIZEDTIME_set(X509_getm_notAfter(x), na) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "fault: cannot set notAfter");
	return 0;
}

int
ca_apply_faults(const kk_ca *ca, X509 *x, kk_err *err)
{
	static const struct {
		unsigned flag;
		int (*apply)(const kk_ca *, X509 *, kk_err *);
	} faults[] = {
		{ KK_CA_FAULT_NO_AIA, no_aia },
		{ KK_CA_FAULT_KU_NOT_CRITICAL, ku_not_critical },
		{ KK_CA_FAULT_LONG_VALIDITY, long_validity },
		{ KK_CA_FAULT_DUP_EXTENSION, dup_extension },
		{ KK_CA_FAULT_INTERNAL_NAME, internal_name },
		{ KK_CA_FAULT_BAD_POLICY_OID, bad_policy_oid },
		{ KK_CA_FAULT_NO_POISON, no_poison },
		{ KK_CA_FAULT_CA_TRUE, ca_true },
		{ KK_CA_FAULT_ANY_EKU, any_eku },
		{ KK_CA_FAULT_UNKNOWN_CRITICAL, unknown_critical },
		{ KK_CA_FAULT_ISSUER_BYTES, issuer_bytes },
		{ KK_CA_FAULT_GENERALIZED_TIME, generalized_time },
	};
	size_t i;

	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		if ((ca->faults & faults[i].flag) != 0 && faults[i].apply(ca, x, err) != 0)
			return -1;
	return 0;
}
