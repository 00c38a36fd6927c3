/* Pre-issuance lint (issue #6, BR 4.3.1.2): deliberately broken profiles are stopped by
 * kk_ca_plan before any TBS exists for the token to sign, and lint_cert refuses each
 * broken hand-made certificate with the rule and its source while the good one passes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/x509v3.h>
#include "kakuin/util.h"
#include "kk_test_csr.h"
#include "ca_fixture.h"
#include "../../src/ca_internal.h"
#include "../../src/lint_cert.h"

static const char *const names[] = { "www.example.jp", "example.jp", "*.shop.example.jp" };
static const kk_subject subj = { "Example Co., Ltd.", "Minato-ku", "Tokyo", 0 };
static kk_ca *ca;
static X509_REQ *csr;
static X509 *good;      /* signed by the token through kk_ca_plan and kk_ca_sign */
static EVP_PKEY *tkey;  /* re-signs the hand-made variants */

static int
group_setup(void **state)
{
	char serial[41];
	unsigned char *tbs = NULL, *der = NULL;
	const unsigned char *p;
	size_t tl = 0, dl = 0;
	time_t nb, na;
	kk_err err;

	if (ca_fixture_setup(state) != 0 || kk_ca_init(&paths, &pol, &err) != 0)
		return -1;
	kk_clock_set(t_init + 86400);
	if (kk_ca_open(&ca, &paths, &pol, &err) != 0 ||
	    (csr = kk_test_csr(csr_key, names[0], names, 3)) == NULL ||
	    kk_ca_new_serial(&pol, serial, &err) != 0 ||
	    kk_ca_plan(ca, serial, &subj, names, 3, csr, kk_now(), &tbs, &tl, &nb, &na,
	    &err) != 0 || kk_ca_sign(ca, tbs, tl, &der, &dl, &err) != 0)
		return -1;
	p = der;
	good = d2i_X509(NULL, &p, (long)dl);
	free(tbs);
	free(der);
	return good != NULL && (tkey = EVP_RSA_gen(2048)) != NULL ? 0 : -1;
}

static int
group_teardown(void **state)
{
	X509_free(good);
	X509_REQ_free(csr);
	EVP_PKEY_free(tkey);
	kk_ca_free(ca);
	return ca_fixture_teardown(state);
}

/* Each fault of the builder seam is refused by kk_ca_plan with serverInternal, a
 * "lint:" detail naming the rule, and no TBS: the token is never asked to sign. */
static void
test_faults_stop_issuance(void **state)
{
	static const struct {
		unsigned fault;
		const char *detail;
	} cases[] = {
		{ KK_CA_FAULT_NO_AIA, "authorityInfoAccess is missing (CP table 7.1-1)" },
		{ KK_CA_FAULT_KU_NOT_CRITICAL, "keyUsage must be critical (CP table 7.1-1)" },
		{ KK_CA_FAULT_LONG_VALIDITY, "validity exceeds the policy's 398 days (BR 6.3.2)" },
		{ KK_CA_FAULT_DUP_EXTENSION, "Subject Key Identifier appears twice (RFC 5280 4.2)" },
		{ KK_CA_FAULT_INTERNAL_NAME, "\"server.local\" is under a reserved top-level "
		    "domain: an internal name (RFC 6761, BR 4.2.2)" },
		{ KK_CA_FAULT_BAD_POLICY_OID, "certificatePolicies are not the policy's OIDs with "
		    "the CPS qualifier (CP table 7.1-1, BR 7.1.2.7.9)" },
		{ KK_CA_FAULT_CA_TRUE, "cA is TRUE in a subscriber certificate (BR 7.1.2.7.8)" },
		{ KK_CA_FAULT_ANY_EKU, "anyExtendedKeyUsage (BR 7.1.2.7.10)" },
		{ KK_CA_FAULT_UNKNOWN_CRITICAL, "critical extension 1.3.6.1.4.1.99999.1 is not "
		    "understood (RFC 5280 4.2)" },
		{ KK_CA_FAULT_ISSUER_BYTES, "issuer is not byte for byte the issuing CA's subject "
		    "(BR 7.1.4.1" },
		{ KK_CA_FAULT_GENERALIZED_TIME, "(RFC 5280 4.1.2.5)" },
	};
	char serial[41];
	unsigned char *tbs = NULL;
	size_t tl = 0, i;
	time_t nb = 0, na = 0;
	kk_err err;

	(void)state;
	assert_int_equal(kk_ca_new_serial(&pol, serial, &err), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ca->faults = cases[i].fault;
		assert_int_equal(kk_ca_plan(ca, serial, &subj, names, 3, csr, kk_now(), &tbs, &tl,
		    &nb, &na, &err), -1);
		assert_int_equal(err.kind, KK_ERR_INTERNAL);
		assert_int_equal(strncmp(err.detail, "lint: ", 6), 0);
		if (strstr(err.detail, cases[i].detail) == NULL)
			fail_msg("fault %#x: \"%s\" lacks \"%s\"", cases[i].fault, err.detail,
			    cases[i].detail);
		assert_null(tbs);
		assert_int_equal(tl, 0);
	}
	/* the same plan without a fault goes through: the refusals came from the faults */
	ca->faults = 0;
	assert_int_equal(kk_ca_plan(ca, serial, &subj, names, 3, csr, kk_now(), &tbs, &tl, &nb,
	    &na, &err), 0);
	assert_non_null(tbs);
	free(tbs);
}

/* Re-signs x with the throwaway test key and lints it as kind for nm. */
static int
relint(X509 *x, kk_lint_kind kind, const char *const *nm, size_t n, const kk_policy *p,
    kk_err *err)
{
	kk_lint_ctx ctx;
	unsigned char *der = NULL;
	int len, rc;

	assert_true(X509_sign(x, tkey, EVP_sha256()) > 0);
	assert_true((len = i2d_X509(x, &der)) > 0);
	ctx.pol = p;
	ctx.issuing = (X509 *)kk_ca_issuing_cert(ca);
	assert_int_equal(lint_asn1_time(X509_get0_notAfter(ctx.issuing),
	    &ctx.issuing_not_after), 0);
	ctx.names = nm;
	ctx.n_names = n;
	assert_int_equal(lint_asn1_time(X509_get0_notBefore(good), &ctx.not_before), 0);
	ctx.kind = kind;
	rc = lint_cert(&ctx, der, len, err);
	OPENSSL_free(der);
	return rc;
}

/* Lints x (freed here) and expects a refusal whose detail contains want, or success
 * when want is NULL. */
static void
expect(X509 *x, kk_lint_kind kind, const char *const *nm, size_t n, const char *want)
{
	kk_err err;
	int rc = relint(x, kind, nm, n, &pol, &err);

	X509_free(x);
	if (want == NULL) {
		if (rc != 0)
			fail_msg("expected a pass: %s", err.detail);
		return;
	}
	assert_int_equal(rc, -1);
	assert_int_equal(err.kind, KK_ERR_INTERNAL);
	assert_int_equal(strncmp(err.detail, "lint: ", 6), 0);
	if (strstr(err.detail, want) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err.detail, want);
}

static void
drop(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	assert_true(i >= 0);
	X509_EXTENSION_free(X509_delete_ext(x, i));
}

static void
add_ext(X509 *x, int nid, const char *value)
{
	kk_err err;

	if (kk_ca_add_ext(x, (X509 *)kk_ca_issuing_cert(ca), nid, value, &err) != 0)
		fail_msg("%s", err.detail);
}

/* An extension with a raw DER value, for what kk_ca_add_ext cannot write. */
static void
add_raw(X509 *x, const char *oid, int critical, const unsigned char *der, int len)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 0);
	ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e = NULL;

	assert_true(o != NULL && v != NULL && ASN1_OCTET_STRING_set(v, der, len));
	assert_non_null(e = X509_EXTENSION_create_by_OBJ(NULL, o, critical, v));
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(v);
	ASN1_OBJECT_free(o);
	/* X509_add_ext leaves the cached TBS encoding; X509_dup must see the change */
	assert_true(i2d_re_X509_tbs(x, NULL) > 0);
}

/* Replaces the subject attribute nid (in place) with raw bytes of an ASN.1 string type;
 * no OpenSSL string table, so no length or type limits apply. */
static void
set_attr(X509 *x, int nid, int type, const void *v, int len)
{
	X509_NAME *n = X509_get_subject_name(x);
	int i = X509_NAME_get_index_by_NID(n, nid, -1);

	assert_true(i >= 0);
	X509_NAME_ENTRY_free(X509_NAME_delete_entry(n, i));
	assert_int_equal(X509_NAME_add_entry_by_NID(n, nid, type, v, len, i, 0), 1);
}

/* The good certificate with SAN = { name } and CN = name. */
static X509 *
with_name(const char *name)
{
	X509 *x = X509_dup(good);
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_IA5STRING *s = ASN1_IA5STRING_new();

	assert_true(ASN1_STRING_set(s, name, -1));
	GENERAL_NAME_set0_value(g, GEN_DNS, s);
	sk_GENERAL_NAME_push(gens, g);
	assert_int_equal(X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0,
	    X509V3_ADD_REPLACE), 1);
	GENERAL_NAMES_free(gens);
	set_attr(x, NID_commonName, V_ASN1_UTF8STRING, name, -1);
	return x;
}

static void
expect_name(const char *name, const char *want)
{
	const char *nm[] = { name };

	expect(with_name(name), KK_LINT_PLAIN, nm, 1, want);
}

/* BR 4.2.2, 7.1.2.7.12, 3.2.2.6 and RFC 1035 syntax on the SAN. */
static void
test_names(void **state)
{
	char long_label[80], long_name[300];
	size_t i;

	(void)state;
	expect(X509_dup(good), KK_LINT_PLAIN, names, 3, NULL);
	expect_name("www.example.jp", NULL);
	expect_name("*.example.jp", NULL);
	expect_name("xn--r8jz45g.jp", NULL);
	expect_name("city.kawasaki.jp", NULL);   /* an exception to *.kawasaki.jp */
	expect_name("server.local", "\"server.local\" is under a reserved top-level domain: "
	    "an internal name (RFC 6761, BR 4.2.2)");
	expect_name("localhost", "is under a reserved top-level domain");
	expect_name("www.kakuin.test", "is under a reserved top-level domain");
	expect_name("db.corp.internal", "is under a reserved top-level domain");
	expect_name("intranet", "is not under a public suffix: an internal name (BR 4.2.2");
	expect_name("mail.corp", "is not under a public suffix");
	expect_name("10.0.0.1", "\"10.0.0.1\" is an IP address or has a numeric top-level "
	    "label, not a dNSName (BR 7.1.2.7.12)");
	expect_name("com", "\"com\" is itself a public suffix");
	expect_name("co.jp", "is itself a public suffix");
	expect_name("kawasaki.jp", "is itself a public suffix");
	expect_name("WWW.example.jp", "is not lower case (BR 7.1.2.7.12");
	expect_name("www.*.example.jp", "has a wildcard that is not the whole leftmost label "
	    "(BR 7.1.2.7.12)");
	expect_name("w*.example.jp", "wildcard that is not the whole leftmost label");
	expect_name("*.*.example.jp", "wildcard that is not the whole leftmost label");
	expect_name("*.co.jp", "is a wildcard directly over a public suffix (BR 3.2.2.6)");
	expect_name("*.jp", "wildcard directly over a public suffix");
	expect_name("*.github.io", "wildcard directly over a public suffix");
	expect_name("a_b.example.jp", "outside letters, digits and hyphen (RFC 5280 4.2.1.6");
	expect_name("-a.example.jp", "label starting with a hyphen");
	expect_name("a-.example.jp", "label ending in a hyphen");
	expect_name("a..example.jp", "has an empty label");
	expect_name("example.jp.", "has an empty label");
	memset(long_label, 'a', 64);
	snprintf(long_label + 64, sizeof(long_label) - 64, ".jp");
	expect_name(long_label, "label longer than 63 octets");
	/* 254 octets in labels of 49 */
	for (i = 0; i < 5; i++)
		memcpy(long_name + i * 50, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.", 50);
	snprintf(long_name + 250, sizeof(long_name) - 250, "a.jp");
	assert_int_equal(strlen(long_name), 254);
	expect_name(long_name, "is not 1 to 253 octets");
}

/* SAN content beyond the name syntax: types, the CN among the names, the order's names. */
static void
test_san_and_cn(void **state)
{
	static const char *const other[] = { "www.example.jp", "example.jp", "other.example.jp" };
	X509 *x;

	(void)state;
	expect(X509_dup(good), KK_LINT_PLAIN, other, 3, "subjectAltName does not list the "
	    "order's names (CP table 7.1-1 Subject Alt Name)");
	expect(X509_dup(good), KK_LINT_PLAIN, names, 2, "does not list the order's names");
	/* a CN outside the SAN: both the CN and the SAN rule see it; the CN rule first */
	x = X509_dup(good);
	set_attr(x, NID_commonName, V_ASN1_UTF8STRING, "other.example.jp", -1);
	expect(x, KK_LINT_PLAIN, names, 3, "subject CN is not the first name (CP table 7.1-1");
	x = X509_dup(good);
	set_attr(x, NID_commonName, V_ASN1_UTF8STRING, "other.example.jp", -1);
	{
		const char *nm[] = { "other.example.jp", "www.example.jp", "example.jp",
			"*.shop.example.jp" };

		expect(x, KK_LINT_PLAIN, nm, 4, "the CN is not one of the subjectAltName names "
		    "(BR 7.1.2.7.4)");
	}
	x = X509_dup(good);
	drop(x, NID_subject_alt_name);
	add_ext(x, NID_subject_alt_name, "DNS:www.example.jp,IP:192.0.2.1");
	expect(x, KK_LINT_PLAIN, names, 3, "a name that is not a dNSName (CP table 7.1-1, "
	    "BR 7.1.2.7.12)");
}

/* BR 7.1.4.2 string types and RFC 5280 upper bounds; table 7.1-1's attribute set. */
static void
test_subject(void **state)
{
	static const unsigned char bmp[] = { 0, 'E', 0, 'x', 0, 'a' };
	char cn65[70];
	const char *nm[] = { cn65 };
	X509 *x;

	(void)state;
	x = X509_dup(good);
	set_attr(x, NID_organizationName, V_ASN1_BMPSTRING, bmp, sizeof(bmp));
	expect(x, KK_LINT_PLAIN, names, 3, "subject O is neither UTF8String nor "
	    "PrintableString (BR 7.1.4.2");
	x = X509_dup(good);
	set_attr(x, NID_organizationName, V_ASN1_PRINTABLESTRING, "Example Co., Ltd.", -1);
	expect(x, KK_LINT_PLAIN, names, 3, NULL);
	x = X509_dup(good);
	set_attr(x, NID_organizationName, V_ASN1_PRINTABLESTRING, "Example & Co", -1);
	expect(x, KK_LINT_PLAIN, names, 3, "subject O has a character PrintableString does "
	    "not allow");
	x = X509_dup(good);
	set_attr(x, NID_countryName, V_ASN1_UTF8STRING, "JP", -1);
	expect(x, KK_LINT_PLAIN, names, 3, "subject C is not a PrintableString of two letters");
	x = X509_dup(good);
	set_attr(x, NID_countryName, V_ASN1_PRINTABLESTRING, "US", -1);
	expect(x, KK_LINT_PLAIN, names, 3, "subject C is not the policy's JP");
	/* 64 characters of UTF-8 (192 octets) are fine for O; 65 are not */
	x = X509_dup(good);
	{
		char o[200];
		int i;

		for (i = 0; i < 64; i++)
			memcpy(o + 3 * i, "\xe6\xa0\xaa", 3);
		o[192] = '\0';
		set_attr(x, NID_organizationName, V_ASN1_UTF8STRING, o, -1);
		expect(x, KK_LINT_PLAIN, names, 3, NULL);
		x = X509_dup(good);
		memcpy(o + 192, "x", 2);
		set_attr(x, NID_organizationName, V_ASN1_UTF8STRING, o, -1);
		expect(x, KK_LINT_PLAIN, names, 3, "subject O is longer than its upper bound");
	}
	/* a 65-character CN that is a valid dNSName */
	memset(cn65, 'a', 54);
	snprintf(cn65 + 54, sizeof(cn65) - 54, ".example.jp");
	assert_int_equal(strlen(cn65), 65);
	expect(with_name(cn65), KK_LINT_PLAIN, nm, 1, "subject CN is longer than its upper "
	    "bound (BR 7.1.4.2, RFC 5280 Appendix A ub-64)");
	x = X509_dup(good);
	set_attr(x, NID_localityName, V_ASN1_UTF8STRING, "", 0);
	expect(x, KK_LINT_PLAIN, names, 3, "subject L is empty");
	x = X509_dup(good);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "emailAddress", MBSTRING_UTF8,
	    (const unsigned char *)"a@example.jp", -1, -1, 0);
	expect(x, KK_LINT_PLAIN, names, 3, "subject has an attribute outside C, ST, L, O, CN "
	    "(CP table 7.1-1 Subject)");
	x = X509_dup(good);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "OU", MBSTRING_UTF8,
	    (const unsigned char *)"Second Unit", -1,
	    X509_NAME_get_index_by_NID(X509_get_subject_name(x), NID_commonName, -1), 0);
	expect(x, KK_LINT_PLAIN, names, 3, "subject has organizationalUnitName, which BR "
	    "7.1.2.7.4 prohibits");
	x = X509_dup(good);
	X509_NAME_ENTRY_free(X509_NAME_delete_entry(X509_get_subject_name(x),
	    X509_NAME_get_index_by_NID(X509_get_subject_name(x), NID_stateOrProvinceName, -1)));
	expect(x, KK_LINT_PLAIN, names, 3, "subject ST is missing (CP table 7.1-1 Subject)");
	/* CN moved in front of C */
	x = X509_dup(good);
	{
		X509_NAME *n = X509_get_subject_name(x);
		X509_NAME_ENTRY *e = X509_NAME_delete_entry(n,
		    X509_NAME_get_index_by_NID(n, NID_commonName, -1));

		assert_int_equal(X509_NAME_add_entry(n, e, 0, 0), 1);
		X509_NAME_ENTRY_free(e);
	}
	expect(x, KK_LINT_PLAIN, names, 3, "subject attributes are out of order (BR 7.1.4.2)");
}

/* RFC 5280 4.2 and the BR on the extension list itself. */
static void
test_extensions(void **state)
{
	X509 *x;

	(void)state;
	x = X509_dup(good);
	add_ext(x, NID_ext_key_usage, "serverAuth");
	expect(x, KK_LINT_PLAIN, names, 3, "extension X509v3 Extended Key Usage appears twice "
	    "(RFC 5280 4.2)");
	x = X509_dup(good);
	add_raw(x, "1.3.6.1.4.1.99999.1", 1, (const unsigned char *)"\x05\x00", 2);
	expect(x, KK_LINT_PLAIN, names, 3, "critical extension 1.3.6.1.4.1.99999.1 is not "
	    "understood (RFC 5280 4.2)");
	x = X509_dup(good);
	add_ext(x, NID_basic_constraints, "critical,CA:TRUE");
	expect(x, KK_LINT_PLAIN, names, 3, "basicConstraints cA is TRUE in a subscriber "
	    "certificate (BR 7.1.2.7.8)");
	x = X509_dup(good);
	add_ext(x, NID_basic_constraints, "CA:FALSE");
	expect(x, KK_LINT_PLAIN, names, 3, "extension X509v3 Basic Constraints is not in the "
	    "profile for this kind of certificate (CP table 7.1-1, BR 7.1.2.7.6)");
	x = X509_dup(good);
	drop(x, NID_ext_key_usage);
	add_ext(x, NID_ext_key_usage, "serverAuth,anyExtendedKeyUsage");
	expect(x, KK_LINT_PLAIN, names, 3, "extendedKeyUsage has anyExtendedKeyUsage "
	    "(BR 7.1.2.7.10)");
	x = X509_dup(good);
	drop(x, NID_ext_key_usage);
	add_ext(x, NID_ext_key_usage, "serverAuth,clientAuth");
	expect(x, KK_LINT_PLAIN, names, 3, "extendedKeyUsage is not serverAuth alone");
	x = X509_dup(good);
	drop(x, NID_key_usage);
	add_ext(x, NID_key_usage, "critical,digitalSignature");
	expect(x, KK_LINT_PLAIN, names, 3, "keyUsage is not digitalSignature, keyEncipherment");
	x = X509_dup(good);
	drop(x, NID_ext_key_usage);
	expect(x, KK_LINT_PLAIN, names, 3, "extendedKeyUsage is missing (CP table 7.1-1)");
	x = X509_dup(good);
	drop(x, NID_crl_distribution_points);
	add_ext(x, NID_crl_distribution_points, "URI:http://crl.example.jp/x.crl");
	expect(x, KK_LINT_PLAIN, names, 3, "cRLDistributionPoints is not the policy's CRL URL "
	    "(CP table 7.1-1, BR 7.1.2.11.2)");
	x = X509_dup(good);
	drop(x, NID_info_access);
	add_ext(x, NID_info_access, "caIssuers;URI:http://example.jp/ca.cer");
	expect(x, KK_LINT_PLAIN, names, 3, "authorityInfoAccess is not the policy's OCSP URL");
	x = X509_dup(good);
	drop(x, NID_authority_key_identifier);
	add_ext(x, NID_authority_key_identifier, "keyid:always,issuer:always");
	expect(x, KK_LINT_PLAIN, names, 3, "authorityKeyIdentifier is not a keyIdentifier "
	    "alone (BR 7.1.2.11.1)");
	x = X509_dup(good);
	drop(x, NID_subject_key_identifier);
	add_ext(x, NID_subject_key_identifier, "00112233445566778899");
	expect(x, KK_LINT_PLAIN, names, 3, "subjectKeyIdentifier is not 20 octets");
}

/* Precertificates and logged certificates (RFC 6962 3.1, 3.3). */
static void
test_ct_kinds(void **state)
{
	static const unsigned char null_der[] = { 0x05, 0x00 };
	static const unsigned char sct_list[] = { 0x04, 0x02, 0x00, 0x00 };
	X509 *x;
	kk_err err;

	(void)state;
	x = X509_dup(good);
	add_raw(x, SN_ct_precert_poison, 1, null_der, sizeof(null_der));
	expect(X509_dup(x), KK_LINT_PRECERT, names, 3, NULL);
	expect(X509_dup(x), KK_LINT_PLAIN, names, 3, "is not in the profile for this kind");
	/* the seam's NO_POISON fault turns it back into a plain certificate */
	ca->faults = KK_CA_FAULT_NO_POISON;
	assert_int_equal(ca_apply_faults(ca, x, &err), 0);
	ca->faults = 0;
	expect(x, KK_LINT_PRECERT, names, 3, "precertificate poison (RFC 6962 3.1) is missing");
	x = X509_dup(good);
	add_raw(x, SN_ct_precert_poison, 0, null_der, sizeof(null_der));
	expect(x, KK_LINT_PRECERT, names, 3, "precertificate poison (RFC 6962 3.1) must be "
	    "critical");
	expect(X509_dup(good), KK_LINT_FINAL_CT, names, 3, "SCT list (RFC 6962 3.3) is missing");
	x = X509_dup(good);
	add_raw(x, SN_ct_precert_scts, 0, sct_list, sizeof(sct_list));
	expect(X509_dup(x), KK_LINT_FINAL_CT, names, 3, NULL);
	expect(X509_dup(x), KK_LINT_PLAIN, names, 3, "is not in the profile for this kind");
	X509_free(x);
	x = X509_dup(good);
	add_raw(x, SN_ct_precert_scts, 1, sct_list, sizeof(sct_list));
	expect(x, KK_LINT_FINAL_CT, names, 3, "critical extension");
}

/* Serial, validity encoding and cap, algorithm identifiers. */
static void
test_fields(void **state)
{
	static const unsigned char serial21[21] = { 0x11, 0x22 };
	kk_policy wrong = pol;
	ASN1_INTEGER *sn = ASN1_INTEGER_new();
	unsigned char *der = NULL;
	const X509_ALGOR *outer = NULL;
	time_t nb;
	kk_lint_ctx ctx;
	X509 *x;
	kk_err err;
	int len;

	(void)state;
	assert_int_equal(lint_asn1_time(X509_get0_notBefore(good), &nb), 0);
	x = X509_dup(good);
	ASN1_STRING_set(sn, serial21, sizeof(serial21));
	X509_set_serialNumber(x, sn);
	expect(x, KK_LINT_PLAIN, names, 3, "serial is longer than 20 octets (RFC 5280 4.1.2.2)");
	ASN1_INTEGER_free(sn);
	x = X509_dup(good);
	ASN1_GENERALIZEDTIME_set(X509_getm_notAfter(x), nb + 86400);
	expect(x, KK_LINT_PLAIN, names, 3, "validity is not UTCTime through 2049 and "
	    "GeneralizedTime from 2050 (RFC 5280 4.1.2.5)");
	x = X509_dup(good);
	ASN1_TIME_set(X509_getm_notBefore(x), nb + 1);
	expect(x, KK_LINT_PLAIN, names, 3, "does not start at the planned notBefore");
	/* a policy allowing 800 days is still capped at BR 6.3.2's 398 */
	wrong.cp_max_validity_days = 800;
	wrong.br_validity.n = 0;
	wrong.br_validity.before_first = 800;
	x = X509_dup(good);
	ASN1_TIME_set(X509_getm_notAfter(x), nb + 399 * 86400 - 1);
	assert_int_equal(relint(x, KK_LINT_PLAIN, names, 3, &wrong, &err), -1);
	assert_string_equal(err.detail, "lint: validity exceeds 398 days (BR 6.3.2)");
	X509_free(x);
	x = X509_dup(good);
	ASN1_TIME_set(X509_getm_notAfter(x), nb + 398 * 86400 - 1);
	assert_int_equal(relint(x, KK_LINT_PLAIN, names, 3, &wrong, &err), 0);
	X509_free(x);
	/* the outer signature algorithm differs from the TBS one */
	x = X509_dup(good);
	assert_true(X509_sign(x, tkey, EVP_sha256()) > 0);
	X509_get0_signature(NULL, &outer, x);
	X509_ALGOR_set0((X509_ALGOR *)outer, OBJ_nid2obj(NID_sha384WithRSAEncryption),
	    V_ASN1_NULL, NULL);
	assert_true((len = i2d_X509(x, &der)) > 0);
	ctx.pol = &pol;
	ctx.issuing = (X509 *)kk_ca_issuing_cert(ca);
	lint_asn1_time(X509_get0_notAfter(ctx.issuing), &ctx.issuing_not_after);
	ctx.names = names;
	ctx.n_names = 3;
	ctx.not_before = nb;
	ctx.kind = KK_LINT_PLAIN;
	assert_int_equal(lint_cert(&ctx, der, len, &err), -1);
	assert_string_equal(err.detail, "lint: the TBS signature algorithm differs from the "
	    "outer one (RFC 5280 4.1.1.2)");
	/* and a sha384 certificate throughout is not the profile's */
	X509_free(x);
	OPENSSL_free(der);
	der = NULL;
	x = X509_dup(good);
	assert_true(X509_sign(x, tkey, EVP_sha384()) > 0);
	assert_true((len = i2d_X509(x, &der)) > 0);
	assert_int_equal(lint_cert(&ctx, der, len, &err), -1);
	assert_non_null(strstr(err.detail, "not sha256WithRSAEncryption with NULL parameters "
	    "(CP table 7.1-1, BR 7.1.3.2.1)"));
	OPENSSL_free(der);
	X509_free(x);
	/* trailing bytes and garbage */
	assert_int_equal(lint_cert(&ctx, (const unsigned char *)"\x30\x00", 2, &err), -1);
	assert_non_null(strstr(err.detail, "does not parse"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_faults_stop_issuance),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_san_and_cn),
		cmocka_unit_test(test_subject),
		cmocka_unit_test(test_extensions),
		cmocka_unit_test(test_ct_kinds),
		cmocka_unit_test(test_fields),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
