/*
 * kakuin-debian-weak: prints the openssl-blacklist lines (docs/weak-keys.md) of the
 * RSA keys Debian's broken OpenSSL generated for a range of process IDs, or one
 * such key as PEM for tests:
 *
 *   kakuin-debian-weak --bits 2048 --arch x86_64 --rnd rnd [--pids 0-32767]
 *   kakuin-debian-weak --bits 2048 --arch i386 --rnd nornd --pem 1234
 *   kakuin-debian-weak ... --modulus          (PID and hex modulus per line)
 *   kakuin-debian-weak ... --find HEX         (PIDs whose key has this modulus;
 *                                              exit 1 when none)
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include "dwk.h"
#include "kakuin/keycheck.h"

struct opts {
	int bits;
	enum dwk_arch arch;
	enum dwk_rnd rnd;
	unsigned int lo, hi;
	int pem, modulus;
	BIGNUM *find;
};

static void
usage(void)
{
	fprintf(stderr, "usage: kakuin-debian-weak --bits N --arch i386|x86_64 "
	    "--rnd rnd|nornd|noreadrnd [--pids A-B | --pem PID] [--modulus | --find HEX]\n");
	exit(2);
}

static int
parse_uint(const char *s, unsigned int max, unsigned int *out)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > max)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int
parse_range(char *s, struct opts *o)
{
	char *dash = strchr(s, '-');

	if (dash == NULL)
		return parse_uint(s, DWK_PID_MAX, &o->lo) != 0 ? -1 :
		    (o->hi = o->lo, 0);
	*dash = '\0';
	if (parse_uint(s, DWK_PID_MAX, &o->lo) != 0 ||
	    parse_uint(dash + 1, DWK_PID_MAX, &o->hi) != 0 || o->lo > o->hi)
		return -1;
	return 0;
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "bits", required_argument, NULL, 'b' },
		{ "arch", required_argument, NULL, 'a' },
		{ "rnd", required_argument, NULL, 'r' },
		{ "pids", required_argument, NULL, 'p' },
		{ "pem", required_argument, NULL, 'k' },
		{ "modulus", no_argument, NULL, 'm' },
		{ "find", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int bits = 0;
	int c, have_arch = 0, have_rnd = 0;

	o->lo = 0;
	o->hi = DWK_PID_MAX;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (parse_uint(optarg, DWK_BITS_MAX, &bits) != 0 || bits < 512)
				usage();
			o->bits = (int)bits;
			break;
		case 'a':
			if (dwk_arch_parse(optarg, &o->arch) != 0)
				usage();
			have_arch = 1;
			break;
		case 'r':
			if (dwk_rnd_parse(optarg, &o->rnd) != 0)
				usage();
			have_rnd = 1;
			break;
		case 'k':
			o->pem = 1;
			/* FALLTHROUGH */
		case 'p':
			if (parse_range(optarg, o) != 0)
				usage();
			break;
		case 'm':
			o->modulus = 1;
			break;
		case 'f':
			if (o->find != NULL || BN_hex2bn(&o->find, optarg) == 0)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc || o->bits == 0 || !have_arch || !have_rnd ||
	    (o->pem && o->lo != o->hi) || o->pem + o->modulus + (o->find != NULL) > 1)
		usage();
}

/* Writes the whole key (as genrsa wrote it) as PEM; n, p, q are borrowed. */
static int
print_pem(const BIGNUM *n, const BIGNUM *p, const BIGNUM *q)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_PKEY *pk = NULL;
	BN_CTX *ctx = NULL;
	BIGNUM *e, *d, *p1, *q1, *phi, *dp, *dq, *qinv;
	int rc = -1;

	if ((ctx = BN_CTX_new()) == NULL)
		goto out;
	BN_CTX_start(ctx);
	e = BN_CTX_get(ctx);
	d = BN_CTX_get(ctx);
	p1 = BN_CTX_get(ctx);
	q1 = BN_CTX_get(ctx);
	phi = BN_CTX_get(ctx);
	dp = BN_CTX_get(ctx);
	dq = BN_CTX_get(ctx);
	/* rsa_gen.c: d = e^-1 mod (p-1)(q-1) */
	if ((qinv = BN_CTX_get(ctx)) == NULL || !BN_set_word(e, 65537) ||
	    !BN_sub(p1, p, BN_value_one()) || !BN_sub(q1, q, BN_value_one()) ||
	    !BN_mul(phi, p1, q1, ctx) || !BN_mod_inverse(d, e, phi, ctx) ||
	    !BN_mod(dp, d, p1, ctx) || !BN_mod(dq, d, q1, ctx) ||
	    !BN_mod_inverse(qinv, q, p, ctx))
		goto out;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, p) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, q) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qinv) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(pctx) != 1 ||
	    EVP_PKEY_fromdata(pctx, &pk, EVP_PKEY_KEYPAIR, params) != 1 ||
	    PEM_write_PrivateKey(stdout, pk, NULL, NULL, 0, NULL, NULL) != 1)
		goto out;
	rc = 0;
out:
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(pctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	if (ctx != NULL)
		BN_CTX_end(ctx);
	BN_CTX_free(ctx);
	return rc;
}

/* Is the first prime pid's key generation draws a factor of o->find? */
static int
find_pid(const struct opts *o, unsigned int pid, BIGNUM *p, BN_CTX *ctx, int *found)
{
	BIGNUM *r;
	int rc = -1;

	BN_CTX_start(ctx);
	if ((r = BN_CTX_get(ctx)) == NULL ||
	    dwk_rsa_first_prime(o->arch, o->rnd, o->bits, pid, p) != 0 ||
	    !BN_mod(r, o->find, p, ctx))
		goto out;
	if (BN_is_zero(r)) {
		printf("%u %s %s\n", pid, dwk_arch_name(o->arch), dwk_rnd_name(o->rnd));
		*found = 1;
	}
	rc = 0;
out:
	BN_CTX_end(ctx);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	BIGNUM *n = NULL, *p = NULL, *q = NULL;
	BN_CTX *ctx = NULL;
	char fpr[KK_WEAKKEY_FPR_LEN + 1], *hex = NULL;
	unsigned int pid = 0;
	int rc = 1, found = 0;

	parse_args(argc, argv, &o);
	if ((n = BN_new()) == NULL || (p = BN_new()) == NULL || (q = BN_new()) == NULL ||
	    (ctx = BN_CTX_new()) == NULL)
		goto out;
	for (pid = o.lo; pid <= o.hi; pid++) {
		if (o.find != NULL) {
			if (find_pid(&o, pid, p, ctx, &found) != 0)
				goto out;
			continue;
		}
		if (dwk_rsa_generate(o.arch, o.rnd, o.bits, pid, n, p, q) != 0)
			goto out;
		if (o.pem) {
			if (print_pem(n, p, q) != 0)
				goto out;
		} else if (o.modulus) {
			if ((hex = BN_bn2hex(n)) == NULL)
				goto out;
			printf("%u %s\n", pid, hex);
			OPENSSL_free(hex);
			hex = NULL;
		} else {
			if (kk_weakkeys_fingerprint(n, fpr) != 0)
				goto out;
			printf("%s\n", fpr);
		}
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		goto out;
	rc = o.find != NULL && !found ? 1 : 0;
out:
	if (rc != 0 && (o.find == NULL || pid <= o.hi)) {
		fprintf(stderr, "kakuin-debian-weak: %s-%d %s pid %u: failed\n",
		    dwk_arch_name(o.arch), o.bits, dwk_rnd_name(o.rnd), pid);
		ERR_print_errors_fp(stderr);
	}
	BN_CTX_free(ctx);
	BN_free(o.find);
	BN_free(n);
	BN_free(p);
	BN_free(q);
	return rc;
}
