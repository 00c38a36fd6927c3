/*
 * Public key quality checks (CP 6.1.5, 6.1.6; BR 6.1.1.3, 6.1.5, 6.1.6) shared by
 * the CSR check at finalize and the ACME account key (JWK) check.
 */
#ifndef KAKUIN_KEYCHECK_H
#define KAKUIN_KEYCHECK_H

#include <openssl/evp.h>
#include "kakuin/err.h"
#include "kakuin/policy.h"

/*
 * Checks a public key: RSA of at least pol->rsa_min_bits (2048 when pol is NULL),
 * a whole number of octets, exponent odd in [2^16+1, 2^256-1], no prime factor
 * below 752, not two close primes (Fermat), no ROCA fingerprint (CVE-2017-15361);
 * EC only on P-256 or P-384 with a valid point. pk is borrowed. Returns 0, or -1
 * with KK_ERR_BAD_PUBLIC_KEY and a detail naming the defect (KK_ERR_INTERNAL when
 * OpenSSL fails).
 */
int kk_key_check(EVP_PKEY *pk, const kk_policy *pol, kk_err *err);

#endif
