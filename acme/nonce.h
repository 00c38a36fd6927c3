/*
 * Anti-replay nonces (RFC 8555 6.5): each is accepted exactly once. Nonces are
 * HMAC-authenticated counters (no database write); a bitmap window remembers which
 * recent counters were used, older ones are refused as stale. A restart rotates the
 * HMAC key, so earlier nonces become badNonce and clients retry.
 */
#ifndef KAKUIN_NONCE_H
#define KAKUIN_NONCE_H

#define KK_NONCE_LEN 64

/* Initialises the nonce service (random key). 0 ok, -1 on RNG failure. */
int kk_nonce_init(void);
/* Writes a fresh nonce (base64url, NUL-terminated) into out. 0 ok, -1 error. */
int kk_nonce_new(char out[KK_NONCE_LEN]);
/* 1 if the nonce is authentic, recent and unused (and marks it used), else 0.
 * Thread-safe. */
int kk_nonce_consume(const char *nonce);

#endif
