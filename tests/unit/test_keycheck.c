/* Key quality checks (src/keycheck.c): CP 6.1.5, BR 6.1.1.3, 6.1.5, 6.1.6. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include "kakuin/keycheck.h"

static kk_policy pol;
static EVP_PKEY *rsa2048;

/* crocs-muni/roca roca/tests/data/mod03.txt: a 2048-bit RSALib (ROCA) modulus. */
static const char roca_mod03[] =
    "9dcd7420e420c270a68060eb8b5aa7457a9f6648f86fafed2775cc1f79ae962f1e63f1b9e51c55f9"
    "ea6fdc7332e9b0058c9ff2eb1fc89855029cf6aafe21e689feb38ac9ffb12f1ce371bb5d0e9aae64"
    "161abce74b4244bf68f1edb4411f756a097c8929c14740245ea355f8332d1aa36bb50c7dcb4505da"
    "8de02e4e53d38f8df06097da7524df0df93db48eac8cc4af2d3a16257eb2b2adca6ba464e5974fa9"
    "2550d31b1babf161e7692d00b86e3dd886ecab4abfbe1a8f8cc263ff4af55cdb45f4249a5193925f"
    "5e983d762f0b6800943eb0267b08f42ed311ce1f5c86eacbc8ce4d3cb7a2fee1ef5641423a1cf411"
    "4e5ecf50034a60a412523af9e6f4aa11";

/* mod04.txt from the same set: a 2048-bit modulus without the fingerprint. */
static const char plain_mod04[] =
    "af659676197f1db06da7ac111a0a0ec175b8b7ef07192ffcd1f6b854c327785f1a7fd3db7da45cd4"
    "a31b2b2e5ce0d823a68e28c8adf1747316becce1fe5768064039ad2062260c8d1a34e0586dce9bc1"
    "3090fcc9fb8b8b2c08ed3ae8d61b29818a669689a7d9c1dab053b557fb8d3f9c44faad3e18c55e73"
    "9b00d3c9126558bc8e980cd2af377126ef5b1374136774b8bd370e3c1c149db395c8f99696b628b1"
    "05946fea20106fe24d103ac062661a9248e8c3f628e00b308d33953aabe555132e218e74ef4b5787"
    "16b4fe7cf340e8e604a319bf6e9951e1942601d34291032db54999d09e5d036dde3544ad35256bbb"
    "97d5e3fffd38166c21eae9199548853b";

static int
group_setup(void **state)
{
	(void)state;
	pol.rsa_min_bits = 2048;
	rsa2048 = EVP_RSA_gen(2048);
	return rsa2048 != NULL ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(rsa2048);
	return 0;
}

/* A public RSA key from n and e; the test owns the result. */
static EVP_PKEY *
rsa_from(const BIGNUM *n, const BIGNUM *e)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *pk = NULL;

	assert_non_null(bld);
	assert_non_null(ctx);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e), 1);
	assert_non_null(params = OSSL_PARAM_BLD_to_param(bld));
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

/* n with e = ew; the test owns the result. */
static EVP_PKEY *
rsa_from_word(const BIGNUM *n, unsigned long ew)
{
	BIGNUM *e = BN_new();
	EVP_PKEY *pk;

	assert_non_null(e);
	assert_int_equal(BN_set_word(e, ew), 1);
	pk = rsa_from(n, e);
	BN_free(e);
	return pk;
}

/* A random prime of exactly bits bits (top two bits set); caller frees. */
static BIGNUM *
prime(int bits)
{
	BIGNUM *p = BN_new();

	assert_non_null(p);
	assert_int_equal(BN_generate_prime_ex(p, bits, 0, NULL, NULL, NULL), 1);
	return p;
}

static BIGNUM *
modulus_of(EVP_PKEY *pk)
{
	BIGNUM *n = NULL;

	assert_int_equal(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	return n;
}

/* Expects kk_key_check to refuse pk with badPublicKey and needle in the detail;
 * frees pk. */
static void
expect_refused(EVP_PKEY *pk, const char *needle)
{
	kk_err err;

	kk_err_clear(&err);
	assert_int_equal(kk_key_check(pk, &pol, &err), -1);
	assert_int_equal(err.kind, KK_ERR_BAD_PUBLIC_KEY);
	if (strstr(err.detail, needle) == NULL)
		fail_msg("detail \"%s\" lacks \"%s\"", err.detail, needle);
	EVP_PKEY_free(pk);
}

static void
expect_ok(EVP_PKEY *pk, const kk_policy *p)
{
	kk_err err;

	kk_err_clear(&err);
	if (kk_key_check(pk, p, &err) != 0)
		fail_msg("refused: %s", err.detail);
}

static void
test_good_keys(void **state)
{
	EVP_PKEY *ec;

	(void)state;
	expect_ok(rsa2048, &pol);
	expect_ok(rsa2048, NULL);       /* NULL policy: 2048-bit minimum */
	ec = EVP_EC_gen("P-256");
	assert_non_null(ec);
	expect_ok(ec, NULL);
	EVP_PKEY_free(ec);
	ec = EVP_EC_gen("P-384");
	assert_non_null(ec);
	expect_ok(ec, NULL);
	EVP_PKEY_free(ec);
}

static void
test_size(void **state)
{
	EVP_PKEY *small = EVP_RSA_gen(1024);
	kk_policy big = { 0 };
	kk_err err;

	(void)state;
	assert_non_null(small);
	expect_refused(small, "1024 bits is too small: at least 2048 bits");
	/* The minimum comes from the policy. */
	big.rsa_min_bits = 3072;
	kk_err_clear(&err);
	assert_int_equal(kk_key_check(rsa2048, &big, &err), -1);
	assert_non_null(strstr(err.detail, "at least 3072 bits"));
}

/* BR 6.1.5: 2052 = 2 * 1026 bits is not a whole number of octets. */
static void
test_not_octets(void **state)
{
	BIGNUM *p = prime(1026), *q = prime(1026), *n = BN_new();
	BN_CTX *ctx = BN_CTX_new();

	(void)state;
	assert_int_equal(BN_mul(n, p, q, ctx), 1);
	assert_int_equal(BN_num_bits(n), 2052);
	expect_refused(rsa_from_word(n, 65537), "2052 bits is not a multiple of 8");
	BN_free(p);
	BN_free(q);
	BN_free(n);
	BN_CTX_free(ctx);
}

/* BR 6.1.6: e odd, 2^16+1 <= e <= 2^256-1. */
static void
test_exponent(void **state)
{
	BIGNUM *n = modulus_of(rsa2048), *e = BN_new();
	EVP_PKEY *pk;

	(void)state;
	expect_refused(rsa_from_word(n, 3), "exponent");
	expect_refused(rsa_from_word(n, 65535), "exponent");
	expect_refused(rsa_from_word(n, 65538), "exponent");
	pk = rsa_from_word(n, 65539);                   /* odd, above 2^16+1: allowed */
	expect_ok(pk, &pol);
	EVP_PKEY_free(pk);
	assert_non_null(e);
	assert_int_equal(BN_set_bit(e, 256), 1);        /* 2^256 + 1: too large */
	assert_int_equal(BN_add_word(e, 1), 1);
	expect_refused(rsa_from(n, e), "2^256-1");
	BN_free(e);
	BN_free(n);
}

/* BR 6.1.6: no prime factor below 752; the detail names the factor. */
static void
test_small_factor(void **state)
{
	BIGNUM *p = prime(2046), *q = prime(2038), *n = BN_new();

	(void)state;
	assert_int_equal(BN_mul_word(BN_copy(n, p), 3), 1);
	assert_int_equal(BN_num_bits(n), 2048);
	expect_refused(rsa_from_word(n, 65537), "divisible by 3:");
	assert_int_equal(BN_mul_word(BN_copy(n, q), 751), 1);   /* the largest prime < 752 */
	assert_int_equal(BN_num_bits(n), 2048);
	expect_refused(rsa_from_word(n, 65537), "divisible by 751:");
	BN_free(p);
	BN_free(q);
	BN_free(n);
}

/* BR 6.1.1.3: p and the next prime after it fall to Fermat's method at once. */
static void
test_close_primes(void **state)
{
	BIGNUM *p = prime(1024), *q = BN_dup(p), *n = BN_new();
	BN_CTX *ctx = BN_CTX_new();

	(void)state;
	assert_non_null(q);
	do
		assert_int_equal(BN_add_word(q, 2), 1);
	while (BN_check_prime(q, ctx, NULL) != 1);
	assert_int_equal(BN_mul(n, p, q, ctx), 1);
	assert_int_equal(BN_num_bits(n), 2048);
	expect_refused(rsa_from_word(n, 65537), "Fermat's method in 1 rounds");
	BN_free(p);
	BN_free(q);
	BN_free(n);
	BN_CTX_free(ctx);
}

/* BR 6.1.1.3: CVE-2017-15361, published test moduli with and without the print. */
static void
test_roca(void **state)
{
	BIGNUM *n = NULL;
	EVP_PKEY *pk;

	(void)state;
	assert_int_equal(BN_hex2bn(&n, roca_mod03), (int)strlen(roca_mod03));
	assert_int_equal(BN_num_bits(n), 2048);
	expect_refused(rsa_from_word(n, 65537), "ROCA fingerprint (CVE-2017-15361");
	assert_int_equal(BN_hex2bn(&n, plain_mod04), (int)strlen(plain_mod04));
	pk = rsa_from_word(n, 65537);
	expect_ok(pk, &pol);
	EVP_PKEY_free(pk);
	BN_free(n);
}

static void
test_other_types(void **state)
{
	EVP_PKEY *pk;
	kk_err err;

	(void)state;
	pk = EVP_EC_gen("P-521");
	assert_non_null(pk);
	expect_refused(pk, "use P-256 or P-384");
	pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(pk);
	expect_refused(pk, "ED25519 is not supported");
	kk_err_clear(&err);
	assert_int_equal(kk_key_check(NULL, &pol, &err), -1);
	assert_int_equal(err.kind, KK_ERR_BAD_PUBLIC_KEY);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_keys),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_not_octets),
		cmocka_unit_test(test_exponent),
		cmocka_unit_test(test_small_factor),
		cmocka_unit_test(test_close_primes),
		cmocka_unit_test(test_roca),
		cmocka_unit_test(test_other_types),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
