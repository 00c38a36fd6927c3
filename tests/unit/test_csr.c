/* CSR checks (src/csr.c): CP 3.2.1, CP 6.1.5, BR 6.1.6, names == order identifiers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include "kakuin/ca.h"
#include "kk_test_csr.h"

static kk_policy pol;
static EVP_PKEY *rsa2048, *rsa1024, *p256;

static const char *const order[] = { "example.jp", "www.example.jp" };

static int
group_setup(void **state)
{
	kk_err err;

	(void)state;
	unsetenv("KAKUIN_POLICY");
	if (kk_policy_load(NULL, &pol, &err) != 0)
		return -1;
	rsa2048 = EVP_RSA_gen(2048);
	rsa1024 = EVP_RSA_gen(1024);
	p256 = EVP_EC_gen("P-256");
	return rsa2048 && rsa1024 && p256 ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(rsa2048);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(p256);
	return 0;
}

/* Runs kk_csr_check and expects badCSR with needle in the detail. */
static void
expect_bad(const unsigned char *der, int len, const char *needle)
{
	X509_REQ *out = NULL;
	kk_err err;

	kk_err_clear(&err);
	assert_int_equal(kk_csr_check(der, (size_t)len, &pol, order, 2, &out, &err), -1);
	assert_int_equal(err.kind, KK_ERR_BAD_CSR);
	assert_null(out);
	if (strstr(err.detail, needle) == NULL)
		fail_msg("detail \"%s\" lacks \"%s\"", err.detail, needle);
}

static void
test_valid(void **state)
{
	static const char *const mixed_case[] = { "WWW.Example.JP", "example.jp" };
	X509_REQ *out = NULL;
	unsigned char *der;
	int len;
	kk_err err;

	(void)state;
	der = kk_test_csr_der(rsa2048, "www.example.jp", order, 2, &len);
	assert_int_equal(kk_csr_check(der, (size_t)len, &pol, order, 2, &out, &err), 0);
	assert_non_null(out);
	assert_int_equal(EVP_PKEY_eq(X509_REQ_get0_pubkey(out), rsa2048), 1);
	X509_REQ_free(out);
	OPENSSL_free(der);
	/* no CN, names in another order and case */
	der = kk_test_csr_der(rsa2048, NULL, mixed_case, 2, &len);
	out = NULL;
	assert_int_equal(kk_csr_check(der, (size_t)len, &pol, order, 2, &out, &err), 0);
	X509_REQ_free(out);
	OPENSSL_free(der);
}

static void
test_small_rsa(void **state)
{
	unsigned char *der;
	int len;

	(void)state;
	der = kk_test_csr_der(rsa1024, NULL, order, 2, &len);
	expect_bad(der, len, "1024");
	expect_bad(der, len, "at least 2048 bits");
	OPENSSL_free(der);
}

/* BR 6.1.6 via kk_key_check: its badPublicKey refusal reaches the client as badCSR. */
static void
test_weak_exponent(void **state)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *e3 = NULL;
	BIGNUM *three = BN_new();
	unsigned char *der;
	int len;

	(void)state;
	assert_non_null(ctx);
	assert_non_null(three);
	assert_int_equal(BN_set_word(three, 3), 1);
	assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048), 1);
	assert_int_equal(EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, three), 1);
	assert_int_equal(EVP_PKEY_keygen(ctx, &e3), 1);
	der = kk_test_csr_der(e3, NULL, order, 2, &len);
	expect_bad(der, len, "exponent must be odd and between 2^16+1 and 2^256-1");
	OPENSSL_free(der);
	EVP_PKEY_free(e3);
	BN_free(three);
	EVP_PKEY_CTX_free(ctx);
}

static void
test_ec_key(void **state)
{
	unsigned char *der;
	int len;

	(void)state;
	der = kk_test_csr_der(p256, NULL, order, 2, &len);
	expect_bad(der, len, "--key-type rsa");
	expect_bad(der, len, "RSA certificates only (CP 6.1.5)");
	OPENSSL_free(der);
}

static void
test_extra_name(void **state)
{
	static const char *const more[] = { "example.jp", "www.example.jp", "evil.example" };
	unsigned char *der;
	int len;

	(void)state;
	der = kk_test_csr_der(rsa2048, NULL, more, 3, &len);
	expect_bad(der, len, "evil.example");
	OPENSSL_free(der);
}

static void
test_missing_name(void **state)
{
	unsigned char *der;
	int len;

	(void)state;
	der = kk_test_csr_der(rsa2048, NULL, order, 1, &len);
	expect_bad(der, len, "does not name www.example.jp");
	OPENSSL_free(der);
	/* no SAN at all, CN only */
	der = kk_test_csr_der(rsa2048, "example.jp", NULL, 0, &len);
	expect_bad(der, len, "commonName example.jp");
	OPENSSL_free(der);
}

static void
test_cn_not_in_san(void **state)
{
	unsigned char *der;
	int len;

	(void)state;
	der = kk_test_csr_der(rsa2048, "mail.example.jp", order, 2, &len);
	expect_bad(der, len, "mail.example.jp");
	OPENSSL_free(der);
}

static void
test_non_dns_san(void **state)
{
	X509_REQ *req = X509_REQ_new();
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_EXTENSION *ext;
	unsigned char *der = NULL;
	int len;

	(void)state;
	ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
	    "DNS:example.jp,DNS:www.example.jp,IP:192.0.2.1");
	assert_non_null(ext);
	X509v3_add_ext(&exts, ext, -1);
	X509_REQ_add_extensions(req, exts);
	X509_REQ_set_pubkey(req, rsa2048);
	assert_true(X509_REQ_sign(req, rsa2048, EVP_sha256()) > 0);
	len = i2d_X509_REQ(req, &der);
	expect_bad(der, len, "DNS names only");
	OPENSSL_free(der);
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
}

static void
test_bad_signature(void **state)
{
	unsigned char *der;
	int len;

	(void)state;
	der = kk_test_csr_der(rsa2048, NULL, order, 2, &len);
	/* the signature BIT STRING is last: flip a bit in it */
	der[len - 10] ^= 0x01;
	expect_bad(der, len, "signature does not verify");
	OPENSSL_free(der);
}

static void
test_garbage(void **state)
{
	static const unsigned char junk[] = { 0x30, 0x82, 0x01, 0x00, 0x02, 0x01 };
	unsigned char *der;
	int len;

	(void)state;
	expect_bad(junk, sizeof(junk), "could not parse CSR");
	expect_bad(junk, 0, "could not parse CSR");
	/* a valid CSR followed by trailing bytes */
	der = kk_test_csr_der(rsa2048, NULL, order, 2, &len);
	der = OPENSSL_realloc(der, (size_t)len + 1);
	der[len] = 0;
	expect_bad(der, len + 1, "could not parse CSR");
	/* truncated */
	expect_bad(der, len - 1, "could not parse CSR");
	OPENSSL_free(der);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_small_rsa),
		cmocka_unit_test(test_weak_exponent),
		cmocka_unit_test(test_ec_key),
		cmocka_unit_test(test_extra_name),
		cmocka_unit_test(test_missing_name),
		cmocka_unit_test(test_cn_not_in_san),
		cmocka_unit_test(test_non_dns_san),
		cmocka_unit_test(test_bad_signature),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
