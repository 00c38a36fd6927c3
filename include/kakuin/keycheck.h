/*
 * Public key quality checks (CP 6.1.5, 6.1.6; BR 6.1.1.3, 6.1.5, 6.1.6) shared by
 * the CSR check at finalize and the ACME account key (JWK) check.
 */
#ifndef KAKUIN_KEYCHECK_H
#define KAKUIN_KEYCHECK_H

#include <stddef.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include "kakuin/err.h"
#include "kakuin/policy.h"

/*
 * Checks a public key: RSA of at least pol->rsa_min_bits (2048 when pol is NULL),
 * a whole number of octets, exponent odd in [2^16+1, 2^256-1], no prime factor
 * below 752, not two close primes (Fermat), no ROCA fingerprint (CVE-2017-15361),
 * not on a loaded Debian weak-key list (CVE-2008-0166, kk_weakkeys_load_dir); EC only on P-256 or P-384 with a valid point. pk is borrowed. Returns 0, or -1
 * with KK_ERR_BAD_PUBLIC_KEY and a detail naming the defect (KK_ERR_INTERNAL when
 * OpenSSL fails).
 */
int kk_key_check(EVP_PKEY *pk, const kk_policy *pol, kk_err *err);

/*
 * Debian weak keys (CVE-2008-0166; CP 4.9.1, BR 6.1.1.3), src/weakkeys.c. The lists
 * are process-global: load them once at start (docs/weak-keys.md); lookups from any
 * thread are safe, also while a load is running.
 */
#define KK_WEAKKEY_FPR_LEN 20   /* hex digits of one openssl-blacklist line */

/*
 * Loads every file named blacklist.* (not ending in .tmp) in dir, in the
 * openssl-blacklist format: one KK_WEAKKEY_FPR_LEN-hex-digit fingerprint a line,
 * '#' comments and empty lines allowed. A malformed line refuses its file with
 * "file:line" in the detail (files before it stay loaded). *n_loaded (may be
 * NULL) receives the number of files loaded. A list whose name is loaded already is
 * skipped, so calling it again loads only the lists added since (a running generator
 * finishes one file at a time); to reload changed files, kk_weakkeys_clear() first.
 * Returns 0, or -1 with KK_ERR_INTERNAL.
 */
int kk_weakkeys_load_dir(const char *dir, size_t *n_loaded, kk_err *err);
/* Loads one such file; the file's base name names the list in refusals. */
int kk_weakkeys_load_file(const char *path, kk_err *err);
/* Number of fingerprints loaded (all lists). */
size_t kk_weakkeys_count(void);
/* Forgets every list: kk_key_check behaves as with none loaded. */
void kk_weakkeys_clear(void);
/*
 * out (KK_WEAKKEY_FPR_LEN + 1 bytes) = the last KK_WEAKKEY_FPR_LEN hex digits of
 * SHA-1("Modulus=" + upper-case hex of n without leading zeros + "\n"), lower
 * case: what openssl-vulnkey and the lists use. Returns 0 or -1.
 */
int kk_weakkeys_fingerprint(const BIGNUM *n, char out[KK_WEAKKEY_FPR_LEN + 1]);
/* 0 when n is on no loaded list; -1 with KK_ERR_BAD_PUBLIC_KEY naming the list
 * when it is (KK_ERR_INTERNAL when hashing fails). */
int kk_weakkeys_check(const BIGNUM *n, kk_err *err);

#endif
