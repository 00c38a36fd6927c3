/*
 * One closed set of error kinds that travels up unchanged from any module.
 * acme/problem.c maps each kind to an RFC 8555 problem type and HTTP status in
 * exactly one place; KK_ERR_INTERNAL (and anything unmapped) is serverInternal.
 */
#ifndef KAKUIN_ERR_H
#define KAKUIN_ERR_H

#include <stddef.h>

typedef enum kk_errkind {
	KK_OK = 0,
	KK_ERR_MALFORMED,            /* malformed request / bad JSON / bad JWS */
	KK_ERR_UNAUTHORIZED,         /* signature or ownership does not match */
	KK_ERR_BAD_NONCE,
	KK_ERR_BAD_SIGNATURE_ALG,
	KK_ERR_BAD_CSR,
	KK_ERR_BAD_PUBLIC_KEY,
	KK_ERR_ACCOUNT_DOES_NOT_EXIST,
	KK_ERR_NOT_FOUND,            /* HTTP 404 with malformed type */
	KK_ERR_ORDER_NOT_READY,
	KK_ERR_REJECTED_IDENTIFIER,
	KK_ERR_UNSUPPORTED_IDENTIFIER,
	KK_ERR_INVALID_CONTACT,
	KK_ERR_UNSUPPORTED_CONTACT,
	KK_ERR_CONNECTION,           /* validation: could not connect */
	KK_ERR_INCORRECT_RESPONSE,   /* validation: wrong content */
	KK_ERR_DNS,
	KK_ERR_CAA,
	KK_ERR_TLS,
	KK_ERR_RATE_LIMITED,
	KK_ERR_CONFLICT,             /* e.g. keyChange to a key already in use (409) */
	KK_ERR_METHOD_NOT_ALLOWED,   /* 405 */
	KK_ERR_UNSUPPORTED_MEDIA,    /* 415 */
	KK_ERR_TOO_LARGE,            /* 413 */
	KK_ERR_ALREADY_REVOKED,
	KK_ERR_BAD_REVOCATION_REASON,
	KK_ERR_EXTERNAL_ACCOUNT_REQUIRED,
	KK_ERR_USER_ACTION_REQUIRED,
	KK_ERR_INVALID_PROFILE,      /* draft-aaron-acme-profiles: no such profile (400) */
	KK_ERR_ALREADY_REPLACED,     /* RFC 9773 7.4: another order replaces it (409) */
	KK_ERR_UNAVAILABLE,          /* a transient fault (store busy or full, I/O error,
	                              * token unavailable): serverInternal, 503 with
	                              * Retry-After; the same request may succeed later */
	KK_ERR_INTERNAL
} kk_errkind;

typedef struct kk_err {
	kk_errkind kind;
	char detail[512];
} kk_err;

/* Sets kind and a printf-style detail; err may be NULL. Returns -1 so callers can
 * write `return kk_err_set(err, KK_ERR_MALFORMED, "...")`. */
int kk_err_set(kk_err *err, kk_errkind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Resets to KK_OK with an empty detail. */
void kk_err_clear(kk_err *err);
/* Short stable name of a kind ("malformed", "badNonce", ...) for logs. */
const char *kk_err_name(kk_errkind kind);
/* Appends the current OpenSSL error queue text to err->detail (and clears the queue). */
void kk_err_append_openssl(kk_err *err);

#endif
