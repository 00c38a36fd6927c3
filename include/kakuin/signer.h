/*
 * The signer: the only module that talks PKCS#11 (libp11). CA private keys are
 * generated inside the token as sensitive, non-extractable objects and never leave it;
 * this module hands out public keys and signatures only.
 */
#ifndef KAKUIN_SIGNER_H
#define KAKUIN_SIGNER_H

#include <stddef.h>
#include <openssl/evp.h>
#include "kakuin/err.h"

typedef struct kk_signer_cfg {
	const char *module;       /* PKCS#11 module path; NULL = SoftHSMv2 */
	const char *softhsm_conf; /* exported as SOFTHSM2_CONF before loading, or NULL */
	const char *token_label;
	const char *user_pin;
	const char *so_pin;       /* only needed to initialise the token */
} kk_signer_cfg;

typedef struct kk_signer kk_signer;

/* Initialises a token with token_label in the first free slot if none exists yet
 * (idempotent). */
int kk_signer_init_token(const kk_signer_cfg *cfg, kk_err *err);
/* Loads the module, finds the token, logs in as user. */
int kk_signer_open(kk_signer **out, const kk_signer_cfg *cfg, kk_err *err);
void kk_signer_close(kk_signer *s);
/* Generates an RSA key pair in the token under label unless one exists (idempotent).
 * *pub_out (caller frees) receives the public key. */
int kk_signer_ensure_rsa_key(kk_signer *s, const char *label, unsigned bits, EVP_PKEY **pub_out,
    kk_err *err);
/* Public key of the key under label. Caller frees. KK_ERR_NOT_FOUND if absent. */
int kk_signer_public_key(kk_signer *s, const char *label, EVP_PKEY **pub_out, kk_err *err);
/* RSASSA-PKCS1-v1_5 with SHA-256 over data (sha256WithRSAEncryption) by the key under
 * label. Caller frees *sig. Thread-safe (serialised inside). */
int kk_signer_sign(kk_signer *s, const char *label, const unsigned char *data, size_t len,
    unsigned char **sig, size_t *siglen, kk_err *err);
/* Test seam (issue #8): after `after` more signing attempts (process-wide), the next
 * `count` fail as if the token were gone (CKR_TOKEN_NOT_PRESENT); count 0 turns it off.
 * kk_signer_sign tries twice (the second time with the key looked up afresh), so one
 * injected failure is absorbed and two make it fail. */
void kk_signer_fault(long after, long count);

#endif
