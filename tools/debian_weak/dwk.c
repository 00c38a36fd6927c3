/*
 * CVE-2008-0166 key regeneration (dwk.h). Written from a reading of OpenSSL 0.9.8
 * crypto/rand/md_rand.c, rand_unix.c, randfile.c, crypto/bn/bn_rand.c,
 * bn_prime.c, crypto/rsa/rsa_gen.c and apps/genrsa.c, app_rand.c, with Debian's
 * patch that dropped the two MD_Update(&m,buf,j) lines from md_rand.c. Without
 * them nothing an application feeds to RAND_add()/RAND_seed() reaches the pool:
 * only the *length* of each call moves the pool's index and counters. What is
 * left is getpid(), hashed into the first block of every RAND_bytes() call. The
 * SHA-1 and big-number arithmetic come from the system OpenSSL; its random
 * generator and prime search are never used.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "dwk.h"

#define MD_LEN 20               /* SHA-1, MD_DIGEST_LENGTH in md_rand.c */
#define STATE_SIZE 1023
#define ENTROPY_NEEDED 32       /* bytes RAND_poll() reads from /dev/urandom */
#define RAND_FILE_CHUNK 1024    /* randfile.c BUFSIZE = RAND_DATA: one read of ~/.rnd */
#define NUMPRIMES 2048          /* bn_prime.h: 2, 3, ..., 17863 */
#define RSA_F4 65537UL

/* Sizes the host C library gave the buffers handed to RAND_add(). */
struct dwk_abi {
	int long_size;          /* md_count[2] is long[2]; RAND_poll's l is unsigned long */
	int time_size;          /* bnrand() adds its time_t */
	int stat_size;          /* RAND_load_file() adds its struct stat */
};

static const struct dwk_abi abis[] = {
	[DWK_I386] = { 4, 4, 88 },      /* glibc i386 struct stat without LFS */
	[DWK_X86_64] = { 8, 8, 144 },
};

/* md_rand.c's globals for one emulated process. */
struct prng {
	EVP_MD_CTX *ctx;
	EVP_MD *sha1;
	const struct dwk_abi *abi;
	unsigned char state[STATE_SIZE + MD_LEN];
	unsigned char md[MD_LEN];
	unsigned long long md_count[2];
	int state_num, state_index;
	int initialized, stirred;
	unsigned int pid;
};

#define SIEVE_LIMBS (DWK_BITS_MAX / 2 / 32)     /* 32-bit limbs of the largest prime */

static unsigned short primes[NUMPRIMES];
/* limb_mod[i][k] = 2^(32 k) mod primes[i]: residues by multiply-add, not division */
static unsigned short limb_mod[NUMPRIMES][SIEVE_LIMBS];
static pthread_once_t primes_once = PTHREAD_ONCE_INIT;

static void
primes_init(void)
{
	unsigned int c, d;
	int i, k, n = 0;

	for (c = 2; n < NUMPRIMES; c++) {
		for (d = 2; d * d <= c; d++)
			if (c % d == 0)
				break;
		if (d * d > c)
			primes[n++] = (unsigned short)c;
	}
	for (i = 0; i < NUMPRIMES; i++) {
		limb_mod[i][0] = 1;
		for (k = 1; k < SIEVE_LIMBS; k++)
			limb_mod[i][k] = (unsigned short)(((unsigned long long)limb_mod[i][k - 1] <<
			    32) % primes[i]);
	}
}

/* mods[i] = rnd mod primes[i] for i >= 1, as BN_mod_word() gives them. */
static int
sieve_residues(const BIGNUM *rnd, BN_ULONG mods[NUMPRIMES])
{
	unsigned char le[SIEVE_LIMBS * 4];
	uint32_t limb[SIEVE_LIMBS];
	unsigned long long acc;
	int i, k, nl = (BN_num_bits(rnd) + 31) / 32;

	if (nl > SIEVE_LIMBS || BN_bn2lebinpad(rnd, le, nl * 4) != nl * 4)
		return -1;
	for (k = 0; k < nl; k++)
		limb[k] = (uint32_t)le[4 * k] | (uint32_t)le[4 * k + 1] << 8 |
		    (uint32_t)le[4 * k + 2] << 16 | (uint32_t)le[4 * k + 3] << 24;
	for (i = 1; i < NUMPRIMES; i++) {
		/* each term < 2^47, at most 2^7 of them: no overflow */
		for (acc = 0, k = 0; k < nl; k++)
			acc += (unsigned long long)limb[k] * limb_mod[i][k];
		mods[i] = (BN_ULONG)(acc % primes[i]);
	}
	return 0;
}

/* md_c as the bytes of a little-endian long[2] of the target ABI. */
static int
hash_counters(struct prng *r, const unsigned long long md_c[2])
{
	unsigned char b[16];
	int i, w = r->abi->long_size;

	if (w < 1 || w > 8)
		return -1;
	for (i = 0; i < w; i++) {
		b[i] = (unsigned char)(md_c[0] >> (8 * i));
		b[w + i] = (unsigned char)(md_c[1] >> (8 * i));
	}
	return EVP_DigestUpdate(r->ctx, b, (size_t)(2 * w)) == 1 ? 0 : -1;
}

/* Hashes len bytes of the pool from idx, wrapping at wrap. */
static int
hash_state(struct prng *r, int idx, int len, int wrap)
{
	int over = idx + len - wrap;

	if (over > 0)
		return EVP_DigestUpdate(r->ctx, r->state + idx, (size_t)(len - over)) == 1 &&
		    EVP_DigestUpdate(r->ctx, r->state, (size_t)over) == 1 ? 0 : -1;
	return EVP_DigestUpdate(r->ctx, r->state + idx, (size_t)len) == 1 ? 0 : -1;
}

/* ssleay_rand_add(buf, num, x) with the buffer's contents ignored. */
static int
rand_add(struct prng *r, int num)
{
	unsigned long long md_c[2] = { r->md_count[0], r->md_count[1] };
	unsigned char local_md[MD_LEN];
	int i, j, k, st_idx = r->state_index;

	memcpy(local_md, r->md, MD_LEN);
	r->state_index += num;
	if (r->state_index >= STATE_SIZE) {
		r->state_index %= STATE_SIZE;
		r->state_num = STATE_SIZE;
	} else if (r->state_num < STATE_SIZE && r->state_index > r->state_num)
		r->state_num = r->state_index;
	r->md_count[1] += (unsigned long long)(num / MD_LEN + (num % MD_LEN > 0));
	for (i = 0; i < num; i += MD_LEN) {
		j = num - i < MD_LEN ? num - i : MD_LEN;
		if (EVP_DigestInit_ex(r->ctx, r->sha1, NULL) != 1 ||
		    EVP_DigestUpdate(r->ctx, local_md, MD_LEN) != 1 ||
		    hash_state(r, st_idx, j, STATE_SIZE) != 0 ||
		    /* Debian removed MD_Update(&m,buf,j) here */
		    hash_counters(r, md_c) != 0 ||
		    EVP_DigestFinal_ex(r->ctx, local_md, NULL) != 1)
			return -1;
		md_c[1]++;
		for (k = 0; k < j; k++) {
			r->state[st_idx++] ^= local_md[k];
			if (st_idx >= STATE_SIZE)
				st_idx = 0;
		}
	}
	for (k = 0; k < MD_LEN; k++)
		r->md[k] ^= local_md[k];
	return 0;
}

/*
 * rand_unix.c RAND_poll(): 32 bytes of /dev/urandom, then getpid(), getuid() and
 * time() each as an unsigned long; only the four lengths matter.
 */
static int
rand_poll(struct prng *r)
{
	r->initialized = 1;
	return rand_add(r, ENTROPY_NEEDED) != 0 || rand_add(r, r->abi->long_size) != 0 ||
	    rand_add(r, r->abi->long_size) != 0 || rand_add(r, r->abi->long_size) != 0 ?
	    -1 : 0;
}

/*
 * ssleay_rand_bytes(buf, num): the first call polls (if nothing did) and stirs the
 * whole pool; every call hashes the PID into its first 10-byte block.
 */
static int
rand_bytes(struct prng *r, unsigned char *buf, int num)
{
	unsigned long long md_c[2];
	unsigned char local_md[MD_LEN], pid[4];
	int i, j, n, st_idx, st_num, num_ceil, first = r->pid != 0;

	if (num <= 0)
		return 0;
	num_ceil = (1 + (num - 1) / (MD_LEN / 2)) * (MD_LEN / 2);
	if (!r->initialized && rand_poll(r) != 0)
		return -1;
	if (!r->stirred) {
		for (n = STATE_SIZE; n > 0; n -= MD_LEN)
			if (rand_add(r, MD_LEN) != 0)
				return -1;
		r->stirred = 1;
	}
	st_idx = r->state_index;
	st_num = r->state_num;
	md_c[0] = r->md_count[0];
	md_c[1] = r->md_count[1];
	memcpy(local_md, r->md, MD_LEN);
	r->state_index += num_ceil;
	if (r->state_index > r->state_num)
		r->state_index %= r->state_num;
	r->md_count[0]++;
	for (i = 0; i < 4; i++)         /* pid_t: 4 bytes, little endian */
		pid[i] = (unsigned char)(r->pid >> (8 * i));
	while (num > 0) {
		j = num >= MD_LEN / 2 ? MD_LEN / 2 : num;
		num -= j;
		if (EVP_DigestInit_ex(r->ctx, r->sha1, NULL) != 1 ||
		    (first && EVP_DigestUpdate(r->ctx, pid, sizeof(pid)) != 1) ||
		    EVP_DigestUpdate(r->ctx, local_md, MD_LEN) != 1 ||
		    hash_counters(r, md_c) != 0 ||
		    /* Debian removed MD_Update(&m,buf,j) here */
		    hash_state(r, st_idx, MD_LEN / 2, st_num) != 0 ||
		    EVP_DigestFinal_ex(r->ctx, local_md, NULL) != 1)
			return -1;
		first = 0;
		for (i = 0; i < MD_LEN / 2; i++) {
			r->state[st_idx++] ^= local_md[i];
			if (st_idx >= st_num)
				st_idx = 0;
			if (i < j)
				*buf++ = local_md[i + MD_LEN / 2];
		}
	}
	if (EVP_DigestInit_ex(r->ctx, r->sha1, NULL) != 1 ||
	    hash_counters(r, md_c) != 0 ||
	    EVP_DigestUpdate(r->ctx, local_md, MD_LEN) != 1 ||
	    EVP_DigestUpdate(r->ctx, r->md, MD_LEN) != 1 ||
	    EVP_DigestFinal_ex(r->ctx, r->md, NULL) != 1)
		return -1;
	return 0;
}

/*
 * apps/app_rand.c app_RAND_load_file() -> randfile.c RAND_load_file($HOME/.rnd),
 * and RAND_status() (which polls) when that read nothing.
 */
static int
load_rand_file(struct prng *r, enum dwk_rnd rnd)
{
	switch (rnd) {
	case DWK_RND:
		return rand_add(r, r->abi->stat_size) != 0 ||
		    rand_add(r, RAND_FILE_CHUNK) != 0 ? -1 : 0;
	case DWK_NOREADRND:
		return rand_add(r, r->abi->stat_size) != 0 ? -1 : rand_poll(r);
	case DWK_NORND:
		return rand_poll(r);
	}
	return -1;
}

/* bn_rand.c bnrand(): time_t added, then RAND_bytes; top -1 leaves the top alone. */
static int
bn_rand(struct prng *r, BIGNUM *rnd, int bits, int top, int bottom)
{
	unsigned char buf[2048];
	int bytes = (bits + 7) / 8, bit = (bits - 1) % 8;

	if (bytes > (int)sizeof(buf) || rand_add(r, r->abi->time_size) != 0 ||
	    rand_bytes(r, buf, bytes) != 0)
		return -1;
	if (top == 1) {
		if (bit == 0) {
			buf[0] = 1;
			buf[1] |= 0x80;
		} else
			buf[0] |= (unsigned char)(3 << (bit - 1));
	} else if (top == 0)
		buf[0] |= (unsigned char)(1 << bit);
	buf[0] &= (unsigned char)~(0xff << (bit + 1));
	if (bottom)
		buf[bytes - 1] |= 1;
	return BN_bin2bn(buf, bytes, rnd) != NULL ? 0 : -1;
}

/* bn_rand.c BN_pseudo_rand_range(r, range). */
static int
bn_rand_range(struct prng *pr, BIGNUM *r, const BIGNUM *range)
{
	int n = BN_num_bits(range), count = 100;

	if (n == 1) {
		BN_zero(r);
		return 0;
	}
	do {
		if (!BN_is_bit_set(range, n - 2) && !BN_is_bit_set(range, n - 3)) {
			/* range = 100xxx...: draw one bit more, fold twice */
			if (bn_rand(pr, r, n + 1, -1, 0) != 0)
				return -1;
			if (BN_cmp(r, range) >= 0 && (!BN_sub(r, r, range) ||
			    (BN_cmp(r, range) >= 0 && !BN_sub(r, r, range))))
				return -1;
		} else if (bn_rand(pr, r, n, -1, 0) != 0)
			return -1;
		if (--count == 0)
			return -1;
	} while (BN_cmp(r, range) >= 0);
	return 0;
}

/* bn.h BN_prime_checks_for_size(): Miller-Rabin rounds by size. */
static int
prime_checks(int bits)
{
	static const int tab[][2] = {
		{ 1300, 2 }, { 850, 3 }, { 650, 4 }, { 550, 5 }, { 450, 6 },
		{ 400, 7 }, { 350, 8 }, { 300, 9 }, { 250, 12 }, { 200, 15 }, { 150, 18 },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (bits >= tab[i][0])
			return tab[i][1];
	return 27;
}

/*
 * bn_prime.c BN_is_prime_fasttest_ex(a, checks, ctx, 0, NULL): each round draws
 * a witness in [1, a-1] and stops at the first that proves a composite.
 * Returns 1 (probably prime), 0 (composite) or -1.
 */
static int
miller_rabin(struct prng *r, const BIGNUM *a, int checks, BN_CTX *ctx)
{
	BN_MONT_CTX *mont = NULL;
	BIGNUM *a1, *a1_odd, *w;
	int i, k, j, rc = -1;

	BN_CTX_start(ctx);
	a1 = BN_CTX_get(ctx);
	a1_odd = BN_CTX_get(ctx);
	if ((w = BN_CTX_get(ctx)) == NULL || !BN_sub(a1, a, BN_value_one()))
		goto out;
	for (k = 1; !BN_is_bit_set(a1, k); k++)
		;
	if (!BN_rshift(a1_odd, a1, k) || (mont = BN_MONT_CTX_new()) == NULL ||
	    !BN_MONT_CTX_set(mont, a, ctx))
		goto out;
	for (i = 0; i < checks; i++) {
		if (bn_rand_range(r, w, a1) != 0 || !BN_add_word(w, 1) ||
		    !BN_mod_exp_mont(w, w, a1_odd, a, ctx, mont))
			goto out;
		if (BN_is_one(w) || BN_cmp(w, a1) == 0)
			continue;
		for (j = 1; j < k; j++) {
			if (!BN_mod_mul(w, w, w, a, ctx))
				goto out;
			if (BN_is_one(w) || BN_cmp(w, a1) == 0)
				break;
		}
		if (j == k || BN_is_one(w)) {
			rc = 0;
			goto out;
		}
	}
	rc = 1;
out:
	BN_MONT_CTX_free(mont);
	BN_CTX_end(ctx);
	return rc;
}

/*
 * bn_prime.c probable_prime(): a random odd number with the top two bits set,
 * moved up by the smallest even delta after which neither it nor it minus one is
 * divisible by any of primes[1..NUMPRIMES-1].
 */
static int
probable_prime(struct prng *r, BIGNUM *rnd, int bits)
{
	BN_ULONG mods[NUMPRIMES], delta;
	int i;

again:
	if (bn_rand(r, rnd, bits, 1, 1) != 0 || sieve_residues(rnd, mods) != 0)
		return -1;
	delta = 0;
loop:
	for (i = 1; i < NUMPRIMES; i++) {
		if ((mods[i] + delta) % primes[i] <= 1) {
			delta += 2;
			if (delta < 2)
				goto again;
			goto loop;
		}
	}
	return BN_add_word(rnd, delta) ? 0 : -1;
}

/* bn_prime.c BN_generate_prime_ex(ret, bits, 0, NULL, NULL, NULL). */
static int
generate_prime(struct prng *r, BIGNUM *ret, int bits, BN_CTX *ctx)
{
	int rc;

	do {
		if (probable_prime(r, ret, bits) != 0)
			return -1;
		if ((rc = miller_rabin(r, ret, prime_checks(bits), ctx)) < 0)
			return -1;
	} while (rc == 0);
	return 0;
}

/* rsa_gen.c: a prime of `bits` bits with gcd(prime - 1, e) = 1. */
static int
generate_rsa_prime(struct prng *r, BIGNUM *ret, int bits, const BIGNUM *other,
    BN_CTX *ctx)
{
	BIGNUM *t, *g;
	int rc = -1, degenerate;

	BN_CTX_start(ctx);
	t = BN_CTX_get(ctx);
	if ((g = BN_CTX_get(ctx)) == NULL)
		goto out;
	for (;;) {
		degenerate = 0;
		do {
			if (generate_prime(r, ret, bits, ctx) != 0)
				goto out;
		} while (other != NULL && BN_cmp(ret, other) == 0 && ++degenerate < 3);
		if (degenerate == 3 || !BN_sub(t, ret, BN_value_one()) ||
		    !BN_set_word(g, RSA_F4) || !BN_gcd(g, t, g, ctx))
			goto out;
		if (BN_is_one(g))
			break;
	}
	rc = 0;
out:
	BN_CTX_end(ctx);
	return rc;
}

/*
 * Runs RSA_generate_key_ex() for one emulated process. With n NULL it stops after
 * the first prime (a factor of the modulus, for searching). p and q are the primes
 * in generation order.
 */
static int
generate(enum dwk_arch arch, enum dwk_rnd rnd, int bits, unsigned int pid,
    BIGNUM *n, BIGNUM *p, BIGNUM *q)
{
	struct prng *r = NULL;
	BN_CTX *ctx = NULL;
	int rc = -1;

	if ((arch != DWK_I386 && arch != DWK_X86_64) || bits < 512 || bits > DWK_BITS_MAX ||
	    pid > DWK_PID_MAX)
		return -1;
	pthread_once(&primes_once, primes_init);
	if ((r = calloc(1, sizeof(*r))) == NULL || (r->ctx = EVP_MD_CTX_new()) == NULL ||
	    (r->sha1 = EVP_MD_fetch(NULL, "SHA1", NULL)) == NULL ||
	    (ctx = BN_CTX_new()) == NULL)
		goto out;
	r->abi = &abis[arch];
	r->pid = pid;
	if (load_rand_file(r, rnd) != 0 ||
	    generate_rsa_prime(r, p, (bits + 1) / 2, NULL, ctx) != 0)
		goto out;
	if (n != NULL && (generate_rsa_prime(r, q, bits - (bits + 1) / 2, p, ctx) != 0 ||
	    !BN_mul(n, p, q, ctx)))
		goto out;
	rc = 0;
out:
	BN_CTX_free(ctx);
	if (r != NULL) {
		EVP_MD_CTX_free(r->ctx);
		EVP_MD_free(r->sha1);
	}
	free(r);
	return rc;
}

int
dwk_rsa_generate(enum dwk_arch arch, enum dwk_rnd rnd, int bits, unsigned int pid,
    BIGNUM *n, BIGNUM *p_out, BIGNUM *q_out)
{
	BIGNUM *p = NULL, *q = NULL;
	int rc = -1;

	if (n == NULL || (p = BN_new()) == NULL || (q = BN_new()) == NULL ||
	    generate(arch, rnd, bits, pid, n, p, q) != 0)
		goto out;
	if (BN_cmp(p, q) < 0)           /* rsa_gen.c keeps p > q */
		BN_swap(p, q);
	if ((p_out != NULL && !BN_copy(p_out, p)) || (q_out != NULL && !BN_copy(q_out, q)))
		goto out;
	rc = 0;
out:
	BN_free(p);
	BN_free(q);
	return rc;
}

int
dwk_rsa_first_prime(enum dwk_arch arch, enum dwk_rnd rnd, int bits, unsigned int pid,
    BIGNUM *p)
{
	if (p == NULL)
		return -1;
	return generate(arch, rnd, bits, pid, NULL, p, NULL);
}

int
dwk_arch_parse(const char *s, enum dwk_arch *out)
{
	if (strcmp(s, "i386") == 0 || strcmp(s, "le32") == 0)
		*out = DWK_I386;
	else if (strcmp(s, "x86_64") == 0 || strcmp(s, "amd64") == 0 ||
	    strcmp(s, "le64") == 0)
		*out = DWK_X86_64;
	else
		return -1;
	return 0;
}

int
dwk_rnd_parse(const char *s, enum dwk_rnd *out)
{
	if (strcmp(s, "rnd") == 0)
		*out = DWK_RND;
	else if (strcmp(s, "nornd") == 0)
		*out = DWK_NORND;
	else if (strcmp(s, "noreadrnd") == 0)
		*out = DWK_NOREADRND;
	else
		return -1;
	return 0;
}

const char *
dwk_arch_name(enum dwk_arch a)
{
	return a == DWK_I386 ? "i386" : "x86_64";
}

const char *
dwk_rnd_name(enum dwk_rnd v)
{
	return v == DWK_RND ? "rnd" : v == DWK_NORND ? "nornd" : "noreadrnd";
}
