/*
 * kakuin-bench-crl (issue #7): how long kakuin's own CRL path takes on a large store.
 * It opens the store and the CA as `kakuin serve` does and calls status_crl_issue, the
 * function the CRL publisher calls (src/status.c publish_crl: read the revoked entries,
 * build, lint, sign in the token, store), --runs times. It also times the two store
 * queries the publisher makes around it: the entry list alone and the revoked count
 * (crl_behind asks it every few seconds). No publisher thread is started, so nothing
 * else (OCSP pre-signing) competes.
 *
 * status_crl_issue logs where the time went (query, encode, lint, sign, store) on
 * stderr; this prints the total, the CPU time (a fairer figure on a busy machine) and
 * the peak RSS after each run.
 *
 * kakuin refuses to sign more than TBS_MAX bytes (src/ca_internal.h, 256 MiB), about
 * 5.6 million entries. When status_crl_issue stops there, the time it took up to that
 * point is reported, and the step it never reached, the token signature over a
 * TBSCertList of that size, is timed on its own through kk_signer_sign, so the sum
 * estimates what the CRL would cost without the limit (the verification and the store
 * write left out).
 *
 * Usage: kakuin-bench-crl --data-dir DIR [--runs N]
 * Exit status 0: every CRL was issued; 3: kakuin refused the CRL's size (the estimate
 * printed); 1: another error.
 */
#include <getopt.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>
#include "kakuin/ca.h"
#include "kakuin/clock.h"
#include "kakuin/policy.h"
#include "kakuin/store.h"
#include "ca_internal.h"
#include "status_internal.h"
#include "bench_clock.h"

/* User + system CPU seconds in ru: on a shared machine the wall time says less. */
static double
cpu_s(const struct rusage *ru)
{
	return (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) +
	    (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e6;
}

/* The two store queries on their own. */
static int
time_queries(kk_store *st, size_t *entries, kk_err *err)
{
	kk_revoked *rev = NULL;
	size_t n = 0;
	int64_t count = 0;
	double t0, t1, t2;

	t0 = now_s();
	if (kk_store_crl_entries(st, kk_now(), &rev, &n, err) != 0)
		return -1;
	t1 = now_s();
	free(rev);
	*entries = n;
	if (kk_store_revoked_count(st, kk_now(), &count, err) != 0)
		return -1;
	t2 = now_s();
	printf("kk_store_crl_entries: %zu entries in %.2f s\n", n, t1 - t0);
	printf("kk_store_revoked_count: %lld in %.3f s\n", (long long)count, t2 - t1);
	return 0;
}

/* After status_crl_issue failed with detail: if it stopped at the size check, times
 * kk_signer_sign over a buffer of the size it refused, on the same (shared) signer, and
 * returns 1; 0 (err untouched) for any other failure; -1 on error. */
static int
time_token_sign(const kk_paths *paths, const char *detail, double before, size_t entries,
    kk_err *err)
{
	kk_signer_setup setup;
	kk_signer *sg = NULL;
	unsigned char *tbs = NULL, *sig = NULL;
	size_t n = 0, siglen = 0;
	double t0, t1;
	int rc = -1;

	if (sscanf(detail, "to-be-signed data of %zu bytes", &n) != 1)
		return 0;
	memset(&setup, 0, sizeof(setup));
	if ((tbs = calloc(1, n)) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
	if (kk_signer_setup_load(&setup, paths, 0, err) != 0 ||
	    kk_signer_open(&sg, &setup.cfg, err) != 0)
		goto out;
	t0 = now_s();
	if (kk_signer_sign(sg, KK_KEY_ISSUING, tbs, n, &sig, &siglen, err) != 0)
		goto out;
	t1 = now_s();
	printf("kk_signer_sign over the refused %zu-byte TBSCertList: %.2f s\n", n, t1 - t0);
	printf("estimate without the size limit: %.2f s (+ verify and store)\n",
	    before + t1 - t0);
	if (entries > 0)
		printf("TBS_MAX (%d MiB) fits about %zu entries of this store's size (%.1f "
		    "bytes each)\n", TBS_MAX >> 20, (size_t)(TBS_MAX / ((double)n /
		    (double)entries)), (double)n / (double)entries);
	rc = 1;
out:
	OPENSSL_cleanse(&setup, sizeof(setup));
	free(tbs);
	free(sig);
	kk_signer_close(sg);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"data-dir", required_argument, 0, 'd'}, {"runs", required_argument, 0, 'r'},
		{0, 0, 0, 0}};
	const char *dir = NULL;
	kk_paths paths;
	kk_policy pol;
	kk_store *st = NULL;
	kk_ca *ca = NULL;
	kk_status s;
	kk_signed c;
	struct rusage ru;
	double t0, t1, c0;
	size_t entries = 0;
	int ch, runs = 3, i, rc = 1;
	kk_err e;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 'r': runs = atoi(optarg); break;
		default: return 2;
		}
	}
	if (dir == NULL || runs < 1) {
		fprintf(stderr, "usage: kakuin-bench-crl --data-dir DIR [--runs N]\n");
		return 2;
	}
	memset(&s, 0, sizeof(s));
	memset(&c, 0, sizeof(c));
	kk_paths_init(&paths, dir);
	if (kk_policy_load(NULL, &pol, &e) != 0 || kk_store_open(&st, paths.db, &e) != 0 ||
	    kk_ca_open(&ca, &paths, &pol, &e) != 0 || time_queries(st, &entries, &e) != 0)
		goto out;
	/* only the fields status_crl_issue reads (src/crl.c) */
	s.st = st;
	s.ca = ca;
	s.pol = &pol;
	for (i = 0; i < runs; i++) {
		getrusage(RUSAGE_SELF, &ru);
		c0 = cpu_s(&ru);
		t0 = now_s();
		if (status_crl_issue(&s, kk_now(), &c, &e) != 0) {
			t1 = now_s();
			printf("status_crl_issue: failed after %.2f s: %s\n", t1 - t0, e.detail);
			if (time_token_sign(&paths, e.detail, t1 - t0, entries, &e) == 1)
				rc = 3;
			goto out;
		}
		t1 = now_s();
		getrusage(RUSAGE_SELF, &ru);
		printf("status_crl_issue: CRL %lld, %zu bytes, in %.2f s (CPU %.2f s, peak RSS "
		    "%ld MB)\n", (long long)c.number, c.der_len, t1 - t0, cpu_s(&ru) - c0,
		    ru.ru_maxrss / 1024);
		kk_signed_clear(&c);
	}
	rc = 0;
out:
	if (rc == 1)
		fprintf(stderr, "kakuin-bench-crl: %s\n", e.detail);
	kk_ca_free(ca);
	kk_store_close(st);
	return rc;
}
