/*
 * Emulation of the RSA keys that Debian's broken OpenSSL (0.9.8c-1 up to 0.9.8g-8,
 * CVE-2008-0166) produced with `openssl genrsa` and `openssl req -newkey`.
 * docs/weak-keys.md explains the model. Only the process ID, the architecture and
 * the presence of ~/.rnd decide the key, so a key is named by those three and the
 * modulus size.
 */
#ifndef KAKUIN_DWK_H
#define KAKUIN_DWK_H

#include <openssl/bn.h>

#define DWK_PID_MAX 32767       /* Linux pid_max default in 2008 */
#define DWK_BITS_MAX 8192      /* keeps the sieve tables small */

enum dwk_arch {
	DWK_I386,               /* 32-bit little endian: long, time_t 4 bytes */
	DWK_X86_64              /* 64-bit little endian: long, time_t 8 bytes */
};

/* What RAND_load_file() found in $HOME/.rnd (names as in openssl-blacklist). */
enum dwk_rnd {
	DWK_RND,                /* a 1024-byte ~/.rnd was read */
	DWK_NORND,              /* no ~/.rnd, OpenSSL 0.9.8g (lenny): stat() not mixed */
	DWK_NOREADRND           /* ~/.rnd present but unreadable or empty, or no ~/.rnd
	                         * with 0.9.8c (etch): stat() mixed, then RAND_poll() */
};

/* Parses "i386"/"x86_64" (also "le32"/"le64", "amd64"); returns 0 or -1. */
int dwk_arch_parse(const char *s, enum dwk_arch *out);
/* Parses "rnd", "nornd", "noreadrnd"; returns 0 or -1. */
int dwk_rnd_parse(const char *s, enum dwk_rnd *out);
const char *dwk_arch_name(enum dwk_arch a);
const char *dwk_rnd_name(enum dwk_rnd v);

/*
 * Regenerates the key a vulnerable `openssl genrsa bits` produced under process ID
 * pid (0..DWK_PID_MAX) with e = 65537. n, p, q are caller-owned and overwritten
 * (p > q as OpenSSL 0.9.8 orders them; p and q may be NULL). bits is
 * 512..DWK_BITS_MAX.
 * Returns 0, or -1 on an OpenSSL arithmetic failure or bad arguments.
 */
int dwk_rsa_generate(enum dwk_arch arch, enum dwk_rnd rnd, int bits, unsigned int pid,
    BIGNUM *n, BIGNUM *p, BIGNUM *q);

/*
 * Only the first prime that key generation draws (one of the two factors, half
 * the work): enough to tell whether a given modulus came from this pid. p is
 * caller-owned and overwritten. Returns 0 or -1.
 */
int dwk_rsa_first_prime(enum dwk_arch arch, enum dwk_rnd rnd, int bits,
    unsigned int pid, BIGNUM *p);

#endif
