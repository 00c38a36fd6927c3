/* CA hierarchy (kakuin init) and the subscriber profile of CP table 7.1-1, end to end
 * through a SoftHSM token in a temporary data directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include "kakuin/ca.h"
#include "kakuin/clock.h"
#include "kakuin/store_revoke.h"
#include "kakuin/util.h"
#include "kk_test_csr.h"
#include "ca_fixture.h"

static const char *const names[] = { "www.example.jp", "example.jp", "*.shop.example.jp" };
static const kk_subject subj = { "Example Co., Ltd.", "Minato-ku", "Tokyo", 0 };

static char *
slurp(const char *path)
{
	char *s = NULL;
	kk_err err;

	assert_int_equal(kk_file_read(path, 1 << 20, &s, NULL, &err), 0);
	return s;
}

/* Plans and signs a subscriber certificate at the clock's time. */
static X509 *
issue(kk_ca *ca, X509_REQ *csr, const char *const *dns, size_t n, time_t *nb, time_t *na)
{
	char serial[41];
	unsigned char *tbs = NULL, *der = NULL;
	const unsigned char *p;
	size_t tbs_len = 0, der_len = 0;
	X509 *x;
	kk_err err;

	assert_int_equal(kk_ca_new_serial(&pol, serial, &err), 0);
	if (kk_ca_plan(ca, serial, &subj, dns, n, csr, kk_now(), &tbs, &tbs_len, nb, na,
	    &err) != 0)
		fail_msg("plan: %s", err.detail);
	assert_int_equal(kk_ca_sign(ca, tbs, tbs_len, &der, &der_len, &err), 0);
	p = der;
	x = d2i_X509(NULL, &p, (long)der_len);
	assert_non_null(x);
	assert_ptr_equal(p, der + der_len);
	free(tbs);
	free(der);
	return x;
}

static time_t
asn1_to_time(const ASN1_TIME *t)
{
	struct tm tm;

	assert_int_equal(ASN1_TIME_to_tm(t, &tm), 1);
	return timegm(&tm);
}

static void
test_init_idempotent(void **state)
{
	char *root1, *iss1, *chain1, *key1, *root2, *iss2, *chain2, *key2;
	struct stat sb;
	kk_err err;

	(void)state;
	if (kk_ca_init(&paths, &pol, &err) != 0)
		fail_msg("init: %s", err.detail);
	root1 = slurp(paths.root_pem);
	iss1 = slurp(paths.issuing_pem);
	chain1 = slurp(paths.chain_pem);
	key1 = slurp(paths.tls_key_pem);
	assert_int_equal(stat(paths.tls_key_pem, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_true(kk_file_exists(paths.tls_cert_pem));
	assert_true(kk_file_exists(paths.tls_ca_pem));
	/* chain.pem = issuing then root */
	assert_int_equal(strncmp(chain1, iss1, strlen(iss1)), 0);
	assert_string_equal(chain1 + strlen(iss1), root1);

	kk_clock_set(t_init + 3600);
	assert_int_equal(kk_ca_init(&paths, &pol, &err), 0);
	kk_clock_set(t_init);
	root2 = slurp(paths.root_pem);
	iss2 = slurp(paths.issuing_pem);
	chain2 = slurp(paths.chain_pem);
	key2 = slurp(paths.tls_key_pem);
	assert_string_equal(root1, root2);
	assert_string_equal(iss1, iss2);
	assert_string_equal(chain1, chain2);
	assert_string_equal(key1, key2);
	free(root1), free(iss1), free(chain1), free(key1);
	free(root2), free(iss2), free(chain2), free(key2);
}

static void
assert_verifies(X509 *leaf, X509 *trust, X509 *untrusted, int purpose)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *chain = sk_X509_new_null();

	X509_STORE_add_cert(st, trust);
	if (untrusted != NULL)
		sk_X509_push(chain, untrusted);
	assert_int_equal(X509_STORE_CTX_init(ctx, st, leaf, chain), 1);
	X509_STORE_CTX_set_time(ctx, 0, kk_now() + 60);
	if (purpose != 0)
		X509_STORE_CTX_set_purpose(ctx, purpose);
	if (X509_verify_cert(ctx) != 1)
		fail_msg("verify: %s",
		    X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	sk_X509_free(chain);
}

static int
ext_critical(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	assert_true(i >= 0);
	assert_true(X509_get_ext_by_NID(x, nid, i) < 0);
	return X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

static void
test_hierarchy(void **state)
{
	X509 *root = read_pem(paths.root_pem), *iss = read_pem(paths.issuing_pem);
	X509 *tca = read_pem(paths.tls_ca_pem), *srv = read_pem(paths.tls_cert_pem);
	GENERAL_NAMES *san;
	FILE *f;
	EVP_PKEY *k;
	char buf[256];

	(void)state;
	assert_verifies(iss, root, NULL, 0);
	assert_verifies(srv, tca, NULL, X509_PURPOSE_SSL_SERVER);

	/* root: CA:TRUE critical, keyCertSign+cRLSign critical, SKI */
	assert_true(X509_check_ca(root) > 0);
	assert_int_equal(ext_critical(root, NID_basic_constraints), 1);
	assert_int_equal(ext_critical(root, NID_key_usage), 1);
	assert_int_equal(X509_get_key_usage(root), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_non_null(X509_get0_subject_key_id(root));
	X509_NAME_oneline(X509_get_subject_name(root), buf, sizeof(buf));
	assert_non_null(strstr(buf, pol.root_dn.cn));
	assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(root)), pol.root_key_bits);

	/* issuing: pathlen 0, serverAuth, policies, CRL DP, AKI = root SKI */
	assert_int_equal(ext_critical(iss, NID_basic_constraints), 1);
	assert_int_equal(X509_get_pathlen(iss), 0);
	assert_int_equal(X509_get_key_usage(iss),
	    KU_DIGITAL_SIGNATURE | KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_int_equal(X509_get_extended_key_usage(iss), XKU_SSL_SERVER);
	assert_true(X509_get_ext_by_NID(iss, NID_certificate_policies, -1) >= 0);
	assert_true(X509_get_ext_by_NID(iss, NID_crl_distribution_points, -1) >= 0);
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(iss),
	    X509_get0_subject_key_id(root)), 0);
	X509_NAME_oneline(X509_get_subject_name(iss), buf, sizeof(buf));
	assert_string_equal(buf,
	    "/C=JP/O=SECOM Trust Systems CO.,LTD./CN=SECOM Passport for Web SR 3.0 CA");
	/* issuing CA life: issuing_validity_days, both ends inclusive */
	assert_int_equal(asn1_to_time(X509_get0_notAfter(iss)) -
	    asn1_to_time(X509_get0_notBefore(iss)) + 1,
	    (time_t)pol.issuing_validity_days * 86400);

	/* the listener: localhost, 127.0.0.1, ::1, and its key file matches */
	assert_int_equal(X509_check_host(srv, "localhost", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(srv, "127.0.0.1", 0), 1);
	assert_int_equal(X509_check_ip_asc(srv, "::1", 0), 1);
	san = X509_get_ext_d2i(srv, NID_subject_alt_name, NULL, NULL);
	assert_int_equal(sk_GENERAL_NAME_num(san), 3);
	GENERAL_NAMES_free(san);
	assert_non_null(f = fopen(paths.tls_key_pem, "r"));
	assert_non_null(k = PEM_read_PrivateKey(f, NULL, NULL, NULL));
	fclose(f);
	assert_int_equal(X509_check_private_key(srv, k), 1);
	EVP_PKEY_free(k);
	X509_free(root), X509_free(iss), X509_free(tca), X509_free(srv);
}

/* Every field of CP table 7.1-1 in a certificate issued through kk_ca_plan/kk_ca_sign. */
/* The key identity (CP 4.9.12) is the same however it is taken: from the key, from the
 * parsed SubjectPublicKeyInfo, or by walking the certificate's DER; a DER cut short, or
 * not a certificate, has none. */
static void
spki_hashes_agree(X509 *x)
{
	char a[65], b[65], c[65];
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);

	assert_true(len > 0);
	assert_int_equal(kk_spki_sha256(X509_get0_pubkey(x), a), 0);
	assert_int_equal(kk_spki_sha256_pub(X509_get_X509_PUBKEY(x), b), 0);
	assert_int_equal(kk_spki_sha256_cert(der, (size_t)len, c), 0);
	assert_string_equal(a, b);
	assert_string_equal(a, c);
	assert_int_equal(kk_spki_sha256_cert(der, (size_t)len / 2, c), -1);
	assert_int_equal(kk_spki_sha256_cert(der + 4, (size_t)len - 4, c), -1);
	assert_int_equal(kk_spki_sha256_cert(NULL, 0, c), -1);
	OPENSSL_free(der);
}

static void
test_subscriber_profile(void **state)
{
	kk_ca *ca = NULL;
	X509_REQ *csr = kk_test_csr(csr_key, names[0], names, 3);
	X509 *x, *root = read_pem(paths.root_pem), *iss = read_pem(paths.issuing_pem);
	const ASN1_INTEGER *sn;
	GENERAL_NAMES *san;
	CERTIFICATEPOLICIES *pols;
	POLICYINFO *pi;
	POLICYQUALINFO *q;
	CRL_DIST_POINTS *dps;
	GENERAL_NAME *g;
	STACK_OF(OPENSSL_STRING) *ocsp;
	unsigned char md[20];
	unsigned int mdlen;
	char buf[512];
	time_t nb, na;
	int i;
	kk_err err;

	(void)state;
	kk_clock_set(t_init + 86400);
	assert_int_equal(kk_ca_open(&ca, &paths, &pol, &err), 0);
	assert_int_equal(X509_cmp(kk_ca_issuing_cert(ca), iss), 0);
	assert_non_null(strstr(kk_ca_chain_pem(ca), "BEGIN CERTIFICATE"));
	x = issue(ca, csr, names, 3, &nb, &na);

	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	sn = X509_get0_serialNumber(x);
	assert_int_equal(sn->type, V_ASN1_INTEGER);
	assert_int_equal(sn->length, pol.serial_bytes);
	assert_true(sn->data[0] != 0 && sn->data[0] < 0x80);
	assert_int_equal(X509_get_signature_nid(x), NID_sha256WithRSAEncryption);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(iss)), 0);
	X509_NAME_oneline(X509_get_subject_name(x), buf, sizeof(buf));
	assert_string_equal(buf, "/C=JP/ST=Tokyo/L=Minato-ku/O=Example Co., Ltd."
	    "/CN=www.example.jp");
	assert_int_equal(asn1_to_time(X509_get0_notBefore(x)), nb);
	assert_int_equal(asn1_to_time(X509_get0_notAfter(x)), na);
	assert_int_equal(nb, kk_now());
	assert_int_equal(na - nb + 1, 398 * 86400);
	assert_int_equal(EVP_PKEY_get_base_id(X509_get0_pubkey(x)), EVP_PKEY_RSA);
	assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(x)), 2048);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), csr_key), 1);
	spki_hashes_agree(x);

	assert_int_equal(X509_get_ext_count(x), 8);
	assert_int_equal(ext_critical(x, NID_key_usage), 1);
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
	assert_int_equal(ext_critical(x, NID_ext_key_usage), 0);
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_SERVER);
	assert_int_equal(ext_critical(x, NID_subject_alt_name), 0);
	san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	assert_int_equal(sk_GENERAL_NAME_num(san), 3);
	for (i = 0; i < 3; i++) {
		g = sk_GENERAL_NAME_value(san, i);
		assert_int_equal(g->type, GEN_DNS);
		assert_string_equal((const char *)ASN1_STRING_get0_data(g->d.dNSName), names[i]);
	}
	GENERAL_NAMES_free(san);

	assert_int_equal(ext_critical(x, NID_certificate_policies), 0);
	pols = X509_get_ext_d2i(x, NID_certificate_policies, NULL, NULL);
	assert_int_equal(sk_POLICYINFO_num(pols), 2);
	pi = sk_POLICYINFO_value(pols, 0);
	OBJ_obj2txt(buf, sizeof(buf), pi->policyid, 1);
	assert_string_equal(buf, "1.2.392.200091.100.751.1");
	assert_int_equal(sk_POLICYQUALINFO_num(pi->qualifiers), 1);
	q = sk_POLICYQUALINFO_value(pi->qualifiers, 0);
	assert_int_equal(OBJ_obj2nid(q->pqualid), NID_id_qt_cps);
	assert_string_equal((const char *)ASN1_STRING_get0_data(q->d.cpsuri),
	    "https://repo1.secomtrust.net/spcpp/pfw/pfwsr3ca/");
	pi = sk_POLICYINFO_value(pols, 1);
	OBJ_obj2txt(buf, sizeof(buf), pi->policyid, 1);
	assert_string_equal(buf, "2.23.140.1.2.2");
	assert_null(pi->qualifiers);
	CERTIFICATEPOLICIES_free(pols);

	assert_int_equal(ext_critical(x, NID_crl_distribution_points), 0);
	dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	assert_int_equal(sk_DIST_POINT_num(dps), 1);
	g = sk_GENERAL_NAME_value(sk_DIST_POINT_value(dps, 0)->distpoint->name.fullname, 0);
	assert_int_equal(g->type, GEN_URI);
	assert_string_equal((const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier),
	    "http://repo1.secomtrust.net/spcpp/pfw/pfwsr3ca/fullcrl2.crl");
	CRL_DIST_POINTS_free(dps);
	assert_int_equal(ext_critical(x, NID_info_access), 0);
	ocsp = X509_get1_ocsp(x);
	assert_int_equal(sk_OPENSSL_STRING_num(ocsp), 1);
	assert_string_equal(sk_OPENSSL_STRING_value(ocsp, 0), "http://sr30.ocsp.secomtrust.net");
	X509_email_free(ocsp);

	assert_int_equal(ext_critical(x, NID_authority_key_identifier), 0);
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x),
	    X509_get0_subject_key_id(iss)), 0);
	assert_int_equal(ASN1_STRING_length(X509_get0_authority_key_id(x)), 20);
	assert_int_equal(ext_critical(x, NID_subject_key_identifier), 0);
	assert_int_equal(X509_pubkey_digest(x, EVP_sha1(), md, &mdlen), 1);
	assert_int_equal(ASN1_STRING_length(X509_get0_subject_key_id(x)), 20);
	assert_memory_equal(ASN1_STRING_get0_data(X509_get0_subject_key_id(x)), md, 20);

	assert_verifies(x, root, iss, X509_PURPOSE_SSL_SERVER);
	X509_free(x);

	X509_REQ_free(csr);
	X509_free(root), X509_free(iss);
	kk_ca_free(ca);
	kk_ca_free(NULL);
}

/* BR 6.3.2 steps (SC-081): the day before and the day of each step. */
static void
test_validity_schedule(void **state)
{
	static const struct {
		const char *date;
		int days;
	} steps[] = {
		{ "2026-03-14T12:00:00Z", 398 }, { "2026-03-15T00:00:00Z", 200 },
		{ "2027-03-14T23:59:59Z", 200 }, { "2027-03-15T00:00:00Z", 100 },
		{ "2029-03-14T08:00:00Z", 100 }, { "2029-03-15T00:00:00Z", 47 },
	};
	kk_ca *ca = NULL;
	X509_REQ *csr = kk_test_csr(csr_key, names[0], names, 1);
	X509 *x;
	time_t t, nb, na;
	size_t i;
	kk_err err;

	(void)state;
	assert_int_equal(kk_ca_open(&ca, &paths, &pol, &err), 0);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		assert_int_equal(kk_time_parse(steps[i].date, &t), 0);
		kk_clock_set(t);
		x = issue(ca, csr, names, 1, &nb, &na);
		assert_int_equal(asn1_to_time(X509_get0_notBefore(x)), t);
		if (asn1_to_time(X509_get0_notAfter(x)) - t + 1 != (time_t)steps[i].days * 86400)
			fail_msg("%s: expected %d days", steps[i].date, steps[i].days);
		X509_free(x);
	}
	X509_REQ_free(csr);
	kk_ca_free(ca);
	kk_clock_set(t_init);
}

/* Never past the issuing CA's notAfter; nothing at all once it has expired. */
static void
test_validity_cap(void **state)
{
	kk_ca *ca = NULL;
	X509_REQ *csr = kk_test_csr(csr_key, NULL, names, 1);
	X509 *x;
	time_t ca_na, nb, na;
	char serial[41];
	unsigned char *tbs = NULL;
	size_t tl = 0;
	kk_err err;

	(void)state;
	assert_int_equal(kk_ca_open(&ca, &paths, &pol, &err), 0);
	ca_na = asn1_to_time(X509_get0_notAfter(kk_ca_issuing_cert(ca)));
	kk_clock_set(ca_na - 10 * 86400);
	x = issue(ca, csr, names, 1, &nb, &na);
	assert_int_equal(na, ca_na);
	assert_int_equal(asn1_to_time(X509_get0_notAfter(x)), ca_na);
	X509_free(x);

	kk_clock_set(ca_na);
	assert_int_equal(kk_ca_new_serial(&pol, serial, &err), 0);
	assert_int_equal(kk_ca_plan(ca, serial, &subj, names, 1, csr, kk_now(), &tbs, &tl, &nb,
	    &na, &err), -1);
	assert_int_equal(err.kind, KK_ERR_INTERNAL);
	assert_null(tbs);
	X509_REQ_free(csr);
	kk_ca_free(ca);
	kk_clock_set(t_init);
}

static void
test_serial(void **state)
{
	char s[41];
	kk_policy p = pol;
	int i;
	kk_err err;

	(void)state;
	for (i = 0; i < 200; i++) {
		assert_int_equal(kk_ca_new_serial(&pol, s, &err), 0);
		assert_int_equal(strlen(s), 2 * (size_t)pol.serial_bytes);
		assert_true(s[0] >= '0' && s[0] <= '7');
		assert_false(s[0] == '0' && s[1] == '0');
	}
	p.serial_bytes = 8; /* below BR 7.1's 64 bits of entropy plus sign */
	assert_int_equal(kk_ca_new_serial(&p, s, &err), -1);
	p.serial_bytes = 21;
	assert_int_equal(kk_ca_new_serial(&p, s, &err), -1);
}

/* Whatever breaks the profile is refused before the token sees it. */
static void
test_plan_refuses(void **state)
{
	kk_ca *ca = NULL;
	EVP_PKEY *ec = EVP_EC_gen("P-256");
	X509_REQ *csr = kk_test_csr(csr_key, NULL, names, 1), *eccsr = kk_test_csr(ec, NULL, names, 1);
	kk_subject no_org = { "", "Minato-ku", "Tokyo", 0 };
	unsigned char *tbs = NULL, *der = NULL;
	unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	unsigned char *rtbs = NULL;
	X509 *root;
	size_t tl = 0, dl = 0;
	int rtl;
	time_t nb, na;
	kk_err err;
	static const char *const bad_serials[] = {
		"00112233445566778899aabbccddeeff", /* leading zero octet: 15 octets */
		"8f112233445566778899aabbccddeeff", /* top bit set: 17 DER octets */
		"1122334455667788",                 /* 8 octets */
		"zz",
	};
	size_t i;

	(void)state;
	kk_clock_set(t_init + 86400);
	assert_int_equal(kk_ca_open(&ca, &paths, &pol, &err), 0);
	for (i = 0; i < sizeof(bad_serials) / sizeof(bad_serials[0]); i++) {
		assert_int_equal(kk_ca_plan(ca, bad_serials[i], &subj, names, 1, csr, kk_now(),
		    &tbs, &tl, &nb, &na, &err), -1);
		assert_int_equal(err.kind, KK_ERR_INTERNAL);
		assert_null(tbs);
	}
	/* CP 6.1.5: an EC key never reaches a certificate even if the CSR check is skipped */
	assert_int_equal(kk_ca_plan(ca, "1122334455667788990011223344556f", &subj, names, 1,
	    eccsr, kk_now(), &tbs, &tl, &nb, &na, &err), -1);
	assert_non_null(strstr(err.detail, "lint"));
	assert_int_equal(kk_ca_plan(ca, "1122334455667788990011223344556f", &no_org, names, 1,
	    csr, kk_now(), &tbs, &tl, &nb, &na, &err), -1);
	assert_int_equal(kk_ca_plan(ca, "1122334455667788990011223344556f", &subj, names, 0,
	    csr, kk_now(), &tbs, &tl, &nb, &na, &err), -1);
	assert_null(tbs);
	/* the signer refuses to produce something that is not a certificate */
	assert_int_equal(kk_ca_sign(ca, junk, sizeof(junk), &der, &dl, &err), -1);
	assert_null(der);
	/* nor a certificate of another issuer: the root's own TBS names the root */
	root = read_pem(paths.root_pem);
	assert_true((rtl = i2d_re_X509_tbs(root, &rtbs)) > 0);
	assert_int_equal(kk_ca_sign(ca, rtbs, (size_t)rtl, &der, &dl, &err), -1);
	assert_non_null(strstr(err.detail, "refusing to sign"));
	assert_null(der);
	OPENSSL_free(rtbs);
	X509_free(root);
	EVP_PKEY_free(ec);
	X509_REQ_free(csr);
	X509_REQ_free(eccsr);
	kk_ca_free(ca);
	kk_clock_set(t_init);
}

/* Certificates on disk must belong to the token's keys. */
static void
test_mismatch_refused(void **state)
{
	char *chain = slurp(paths.chain_pem), *root = slurp(paths.root_pem);
	char *tls_ca = slurp(paths.tls_ca_pem);
	kk_ca *ca = NULL;
	kk_err err;

	(void)state;
	/* chain.pem starting with the root: not the issuing key */
	assert_int_equal(kk_file_write(paths.chain_pem, root, strlen(root), 0644, &err), 0);
	assert_int_equal(kk_ca_open(&ca, &paths, &pol, &err), -1);
	assert_int_equal(err.kind, KK_ERR_INTERNAL);
	assert_non_null(strstr(err.detail, "does not match"));
	assert_null(ca);
	assert_int_equal(kk_file_write(paths.chain_pem, chain, strlen(chain), 0644, &err), 0);
	/* init keeps files, so a foreign TLS CA certificate is an error, not overwritten */
	assert_int_equal(kk_file_write(paths.tls_ca_pem, root, strlen(root), 0644, &err), 0);
	assert_int_equal(kk_ca_init(&paths, &pol, &err), -1);
	assert_non_null(strstr(err.detail, "does not match its key"));
	assert_int_equal(kk_file_write(paths.tls_ca_pem, tls_ca, strlen(tls_ca), 0644, &err), 0);
	assert_int_equal(kk_ca_init(&paths, &pol, &err), 0);
	assert_int_equal(kk_ca_open(&ca, &paths, &pol, &err), 0);
	kk_ca_free(ca);
	free(chain), free(root), free(tls_ca);
}

static void
test_open_without_init(void **state)
{
	char empty[] = "/tmp/kk_ca_empty_XXXXXX";
	kk_paths p;
	kk_ca *ca = NULL;
	kk_err err;

	(void)state;
	assert_non_null(mkdtemp(empty));
	kk_paths_init(&p, empty);
	assert_int_equal(kk_ca_open(&ca, &p, &pol, &err), -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);
	assert_null(ca);
	rmdir(empty);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_idempotent),
		cmocka_unit_test(test_hierarchy),
		cmocka_unit_test(test_subscriber_profile),
		cmocka_unit_test(test_validity_schedule),
		cmocka_unit_test(test_validity_cap),
		cmocka_unit_test(test_serial),
		cmocka_unit_test(test_plan_refuses),
		cmocka_unit_test(test_mismatch_refused),
		cmocka_unit_test(test_open_without_init),
	};

	return cmocka_run_group_tests(tests, ca_fixture_setup, ca_fixture_teardown);
}
