/* Small helpers shared by every module: base64url, randomness, files, strings. */
#ifndef KAKUIN_UTIL_H
#define KAKUIN_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include "kakuin/err.h"

/* base64url without padding (RFC 7515 2). Caller frees *out. */
int kk_b64url_encode(const unsigned char *in, size_t len, char **out);
/* Strict decode: rejects padding, '+', '/', whitespace and bad tails. Caller frees *out
 * (NUL-terminated for convenience; *outlen excludes the NUL). */
int kk_b64url_decode(const char *in, size_t len, unsigned char **out, size_t *outlen);

/* Fills buf with n bytes from the OS CSPRNG (OpenSSL RAND_bytes). 0 ok, -1 error. */
int kk_random(unsigned char *buf, size_t n);
/* A random base64url string from nbytes of entropy. Caller frees. */
char *kk_random_token(size_t nbytes);

/* Reads a whole file (at most max bytes). Caller frees *out (NUL-terminated). */
int kk_file_read(const char *path, size_t max, char **out, size_t *len, kk_err *err);
/* Writes atomically (temp file + fsync + rename) with the given mode. */
int kk_file_write(const char *path, const void *data, size_t len, int mode, kk_err *err);
/* mkdir -p with mode. */
int kk_mkdirs(const char *path, int mode, kk_err *err);
int kk_file_exists(const char *path);

/* malloc seam: every allocation in kakuin goes through these so unit tests can fail
 * the Nth one (kk_alloc_fail_after). They never return NULL for n == 0. */
void *kk_malloc(size_t n);
void *kk_calloc(size_t n, size_t m);
/* realloc through the same seam; on failure p is untouched (still the caller's). */
void *kk_realloc(void *p, size_t n);
char *kk_strdup(const char *s);
char *kk_strndup(const char *s, size_t n);
/* After n more successful allocations, every later one fails ("out of memory from here
 * on") until kk_alloc_fail_after(-1) resets it. */
void kk_alloc_fail_after(long n);
/* The countdown of a fault seam (kk_store_fault_after, kk_signer_fault): *c < 0 is off;
 * each call takes one from it, and the call that finds it at 0 gets 1 (and leaves it
 * at -1, off again). Atomic: exactly one caller gets the fault. */
int kk_countdown_hit(_Atomic long *c);
/* asprintf through kk_malloc. Returns NULL on failure. */
char *kk_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Lower-cases ASCII in place. */
void kk_str_lower(char *s);
/* Hex-encodes n bytes into out (2n+1 bytes). */
void kk_hex(const unsigned char *in, size_t n, char *out);
/* The value of one hex digit (either case), or -1. */
int kk_hexval(int c);
/* One DER TLV at *p (X.690 8.1 and 10.1: a one-octet tag, a definite length in its
 * shortest form of at most 4 octets): *tag, *len the content length, *p moved past the
 * header. -1 if it is not DER or runs past end. */
int kk_der_tlv(const unsigned char **p, const unsigned char *end, int *tag, size_t *len);

/* Log line to stderr: "time level module: message". */
void kk_log(const char *level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
