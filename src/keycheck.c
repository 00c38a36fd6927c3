/*
 * Public key quality (include/kakuin/keycheck.h). CP 6.1.6 leaves subscriber key
 * checks to the BR, so these follow BR 6.1.5 (sizes), BR 6.1.6 (RSA exponent and
 * "no factors smaller than 752") and BR 6.1.1.3 (refuse industry-demonstrated weak
 * keys: close primes found by Fermat's method, the ROCA fingerprint, Debian weak
 * keys on the lists src/weakkeys.c loaded). Each refusal
 * says what is wrong with the key so the subscriber knows to generate a new one.
 */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include "kakuin/keycheck.h"

#define RSA_MIN_BITS_DEFAULT 2048
#define SMALL_FACTOR_BOUND 752          /* BR 6.1.6 */
#define FERMAT_ROUNDS 100
#define ROCA_GENERATOR 65537UL

/*
 * Nemec et al., "The Return of Coppersmith's Attack" (CCS 2017), and the roca-detect
 * tool (crocs-muni/roca, detect.py): RSALib primes are 65537^a mod M (M the primorial
 * of these primes, times k), so N mod p lies in the subgroup 65537 generates mod p for
 * every p here. A random modulus does so for all of them with negligible probability.
 */
static const unsigned int roca_primes[] = {
	3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73,
	79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157,
	163, 167,
};

static int
internal(kk_err *err, const char *what)
{
	kk_err_set(err, KK_ERR_INTERNAL, "key check: %s: ", what);
	kk_err_append_openssl(err);
	return -1;
}

static int
small_prime(unsigned int p)
{
	unsigned int d;

	if (p < 2)
		return 0;
	for (d = 2; d * d <= p; d++)
		if (p % d == 0)
			return 0;
	return 1;
}

/* BR 6.1.6: "the modulus ... SHOULD also have no factors smaller than 752". */
static int
rsa_small_factors(const BIGNUM *n, kk_err *err)
{
	unsigned int p;
	BN_ULONG r;

	for (p = 2; p < SMALL_FACTOR_BOUND; p++) {
		if (!small_prime(p))
			continue;
		if ((r = BN_mod_word(n, p)) == (BN_ULONG)-1)
			return internal(err, "BN_mod_word");
		if (r == 0)
			return kk_err_set(err, KK_ERR_BAD_PUBLIC_KEY,
			    "RSA modulus is divisible by %u: it must have no prime factor "
			    "below %d (BR 6.1.6)", p, SMALL_FACTOR_BOUND);
	}
	return 0;
}

/* r = floor(sqrt(x)) for x >= 0, by Newton's method from above. */
static int
bn_isqrt(BIGNUM *r, const BIGNUM *x, BN_CTX *ctx)
{
	BIGNUM *y, *z;
	int rc = -1;

	BN_CTX_start(ctx);
	y = BN_CTX_get(ctx);
	if ((z = BN_CTX_get(ctx)) == NULL)
		goto out;
	if (BN_is_zero(x)) {
		BN_zero(r);
		rc = 0;
		goto out;
	}
	/* 2^ceil(bits/2) >= sqrt(x): the iterates fall to the floor, then stop. */
	BN_zero(y);
	if (!BN_set_bit(y, (BN_num_bits(x) + 1) / 2))
		goto out;
	for (;;) {
		if (!BN_div(z, NULL, x, y, ctx) || !BN_add(z, z, y) || !BN_rshift1(z, z))
			goto out;
		if (BN_cmp(z, y) >= 0)
			break;
		if (!BN_copy(y, z))
			goto out;
	}
	rc = BN_copy(r, y) ? 0 : -1;
out:
	BN_CTX_end(ctx);
	return rc;
}

/* 1 unless r is a quadratic non-residue modulo m: then no square has remainder r. */
static int
residue_ok(unsigned long r, unsigned long m)
{
	unsigned long k;

	for (k = 0; k < m; k++)
		if (k * k % m == r % m)
			return 1;
	return 0;
}

/* 0 if x is certainly not a square (its remainders modulo 64, 63, 65 and 11 rule out
 * all but about 0.5% of non-squares), 1 if it may be one, -1 on error. */
static int
maybe_square(const BIGNUM *x)
{
	BN_ULONG r = BN_mod_word(x, 64UL * 63 * 65 * 11);

	if (r == (BN_ULONG)-1)
		return -1;
	return residue_ok(r, 64) && residue_ok(r, 63) && residue_ok(r, 65) &&
	    residue_ok(r, 11);
}

/*
 * BR 6.1.1.3: N = p q with |p - q| small falls to Fermat's method: from
 * a = ceil(sqrt(N)), a^2 - N is a square b^2 after few steps, and N = (a-b)(a+b).
 * The square root is taken only when the remainders allow a square.
 */
static int
rsa_fermat(const BIGNUM *n, kk_err *err)
{
	BN_CTX *ctx = NULL;
	BIGNUM *a, *b2, *b, *sq;
	int i, sqr, rc = -1;

	if ((ctx = BN_CTX_new()) == NULL)
		return internal(err, "BN_CTX_new");
	BN_CTX_start(ctx);
	a = BN_CTX_get(ctx);
	b2 = BN_CTX_get(ctx);
	b = BN_CTX_get(ctx);
	if ((sq = BN_CTX_get(ctx)) == NULL || bn_isqrt(a, n, ctx) != 0 ||
	    !BN_sqr(sq, a, ctx)) {
		internal(err, "Fermat setup");
		goto out;
	}
	if (BN_cmp(sq, n) < 0 && !BN_add_word(a, 1)) {
		internal(err, "BN_add_word");
		goto out;
	}
	for (i = 0; i < FERMAT_ROUNDS; i++) {
		if (!BN_sqr(b2, a, ctx) || !BN_sub(b2, b2, n) || (sqr = maybe_square(b2)) < 0 ||
		    (sqr == 1 && (bn_isqrt(b, b2, ctx) != 0 || !BN_sqr(sq, b, ctx)))) {
			internal(err, "Fermat round");
			goto out;
		}
		if (sqr == 1 && BN_cmp(sq, b2) == 0) {
			kk_err_set(err, KK_ERR_BAD_PUBLIC_KEY,
			    "RSA modulus was factored by Fermat's method in %d rounds: its two "
			    "primes are too close together (BR 6.1.1.3)", i + 1);
			goto out;
		}
		if (!BN_add_word(a, 1)) {
			internal(err, "BN_add_word");
			goto out;
		}
	}
	rc = 0;
out:
	BN_CTX_end(ctx);
	BN_CTX_free(ctx);
	return rc;
}

/* Is r in the subgroup of (Z/pZ)* that 65537 generates? */
static int
roca_in_subgroup(unsigned long r, unsigned long p)
{
	unsigned long g = ROCA_GENERATOR % p, x = 1;

	do {
		if (x == r)
			return 1;
		x = x * g % p;
	} while (x != 1);
	return 0;
}

/* BR 6.1.1.3: CVE-2017-15361 (Infineon RSALib keys can be factored). */
static int
rsa_roca(const BIGNUM *n, kk_err *err)
{
	size_t i;
	BN_ULONG r;

	for (i = 0; i < sizeof(roca_primes) / sizeof(roca_primes[0]); i++) {
		if ((r = BN_mod_word(n, roca_primes[i])) == (BN_ULONG)-1)
			return internal(err, "BN_mod_word");
		if (!roca_in_subgroup((unsigned long)r, roca_primes[i]))
			return 0;
	}
	return kk_err_set(err, KK_ERR_BAD_PUBLIC_KEY,
	    "RSA key has the ROCA fingerprint (CVE-2017-15361, Infineon RSALib) and can be "
	    "factored: generate a new key outside the affected device (BR 6.1.1.3)");
}

/* BR 6.1.6: e odd and 2^16+1 <= e <= 2^256-1. */
static int
rsa_exponent(const BIGNUM *e, kk_err *err)
{
	if (!BN_is_odd(e) || BN_num_bits(e) > 256 ||
	    (BN_num_bits(e) <= 17 && BN_get_word(e) < 65537))
		return kk_err_set(err, KK_ERR_BAD_PUBLIC_KEY,
		    "RSA public exponent must be odd and between 2^16+1 and 2^256-1, "
		    "usually 65537 (BR 6.1.6)");
	return 0;
}

static int
rsa_check(EVP_PKEY *pk, const kk_policy *pol, kk_err *err)
{
	BIGNUM *n = NULL, *e = NULL;
	int bits, min = pol != NULL ? pol->rsa_min_bits : RSA_MIN_BITS_DEFAULT;
	int rc = -1;

	if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
	    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
		internal(err, "RSA parameters");
		goto out;
	}
	/* CP 6.1.5, BR 6.1.5 */
	if ((bits = BN_num_bits(n)) < min) {
		kk_err_set(err, KK_ERR_BAD_PUBLIC_KEY, "RSA key of %d bits is too small: "
		    "at least %d bits are required (CP 6.1.5)", bits, min);
		goto out;
	}
	/* BR 6.1.5: "the modulus size, when encoded, is at least 2048 bits, and ... is
	 * evenly divisible by 8" */
	if (bits % 8 != 0) {
		kk_err_set(err, KK_ERR_BAD_PUBLIC_KEY,
		    "RSA modulus of %d bits is not a multiple of 8 bits (BR 6.1.5)", bits);
		goto out;
	}
	/* BR 6.1.1.3: Debian weak keys (CVE-2008-0166), src/weakkeys.c */
	if (rsa_exponent(e, err) != 0 || rsa_small_factors(n, err) != 0 ||
	    rsa_fermat(n, err) != 0 || rsa_roca(n, err) != 0 ||
	    kk_weakkeys_check(n, err) != 0)
		goto out;
	rc = 0;
out:
	BN_free(n);
	BN_free(e);
	return rc;
}

/* BR 6.1.5: NIST P-256 or P-384; the point must be valid (SEC 1 3.2.2.1). */
static int
ec_check(EVP_PKEY *pk, kk_err *err)
{
	char group[64];
	EVP_PKEY_CTX *ctx = NULL;
	int nid, rc = -1;

	if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group,
	    sizeof(group), NULL) != 1) {
		ERR_clear_error();
		return kk_err_set(err, KK_ERR_BAD_PUBLIC_KEY, "EC key has no named curve");
	}
	nid = OBJ_txt2nid(group);
	if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1)
		return kk_err_set(err, KK_ERR_BAD_PUBLIC_KEY,
		    "EC curve %.32s is not supported; use P-256 or P-384", group);
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL)
		return internal(err, "EVP_PKEY_CTX_new_from_pkey");
	if (EVP_PKEY_public_check(ctx) != 1) {
		ERR_clear_error();
		kk_err_set(err, KK_ERR_BAD_PUBLIC_KEY, "EC point is not on curve %s", group);
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

int
kk_key_check(EVP_PKEY *pk, const kk_policy *pol, kk_err *err)
{
	if (pk == NULL)
		return kk_err_set(err, KK_ERR_BAD_PUBLIC_KEY, "no public key");
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		return rsa_check(pk, pol, err);
	case EVP_PKEY_EC:
		return ec_check(pk, err);
	default:
		return kk_err_set(err, KK_ERR_BAD_PUBLIC_KEY,
		    "key type %.32s is not supported; use RSA or EC",
		    EVP_PKEY_get0_type_name(pk) ? EVP_PKEY_get0_type_name(pk) : "(unknown)");
	}
}
