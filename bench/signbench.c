/*
 * kakuin-bench-signer (issue #7): signatures per second through kakuin's signer
 * (kk_signer_sign with the issuing CA key) against the same key used raw through libp11
 * (the key object and its EVP_PKEY looked up once, EVP_DigestSign per signature), for 1
 * and 2 threads, in one run so the figures can be compared side by side.
 *
 * Each measurement runs in a child process of its own: libp11 ties C_Initialize and the
 * login to one context, and kakuin's signer is shared per process (src/signer_p11.c), so
 * the two ways of signing never share a module instance. The rounds alternate kakuin and
 * raw so drift on a shared machine hits both alike; the best round of each is reported.
 *
 * Usage: kakuin-bench-signer --data-dir DIR [--seconds S] [--rounds N]
 * DIR is made by `kakuin init`. Prints one line per measurement and the overhead.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <libp11.h>
#include <openssl/evp.h>
#include "kakuin/ca.h"
#include "kakuin/signer.h"
#include "bench_clock.h"

#define TBS_LEN 1200 /* about the size of a subscriber certificate's TBS */

typedef struct bench {
	kk_signer_setup setup;
	double seconds;
	unsigned char tbs[TBS_LEN];
	/* one of the two, by mode */
	kk_signer *signer;
	EVP_PKEY *raw;
} bench;

typedef struct worker {
	bench *b;
	int raw;
	long count;
	int failed;
	pthread_t t;
} worker;

/* One signature with the raw libp11 key: what kk_signer_sign does minus the key lookup,
 * the EVP_PKEY made per call and the signer's lock. */
static int
raw_sign(EVP_PKEY *pk, const unsigned char *data, size_t len)
{
	EVP_MD_CTX *md = NULL;
	unsigned char sig[1024];
	size_t n = sizeof(sig);
	int rc = -1;

	if ((md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk) == 1 &&
	    EVP_DigestSign(md, sig, &n, data, len) == 1)
		rc = 0;
	EVP_MD_CTX_free(md);
	return rc;
}

static void *
worker_main(void *arg)
{
	worker *w = arg;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	double end = now_s() + w->b->seconds;
	kk_err e;

	while (now_s() < end) {
		if (w->raw) {
			if (raw_sign(w->b->raw, w->b->tbs, sizeof(w->b->tbs)) != 0) {
				w->failed = 1;
				break;
			}
		} else {
			if (kk_signer_sign(w->b->signer, KK_KEY_ISSUING, w->b->tbs,
			    sizeof(w->b->tbs), &sig, &siglen, &e) != 0) {
				fprintf(stderr, "kk_signer_sign: %s\n", e.detail);
				w->failed = 1;
				break;
			}
			free(sig);
			sig = NULL;
		}
		w->count++;
	}
	return NULL;
}

/* Raw libp11: loads the module, logs in on kakuin's token and finds the issuing key.
 * On success b->raw is the key; *ctx, *slots are the caller's to release. */
static int
raw_open(bench *b, PKCS11_CTX **ctx, PKCS11_SLOT **slots, unsigned int *nslots)
{
	PKCS11_SLOT *slot = NULL;
	PKCS11_KEY *keys = NULL;
	unsigned int i, nkeys = 0;

	setenv("SOFTHSM2_CONF", b->setup.cfg.softhsm_conf, 1);
	if ((*ctx = PKCS11_CTX_new()) == NULL ||
	    PKCS11_CTX_load(*ctx, KAKUIN_SOFTHSM_MODULE) != 0 ||
	    PKCS11_enumerate_slots(*ctx, slots, nslots) != 0)
		return -1;
	for (i = 0; i < *nslots; i++)
		if ((*slots)[i].token != NULL &&
		    strcmp((*slots)[i].token->label, b->setup.cfg.token_label) == 0)
			slot = &(*slots)[i];
	if (slot == NULL || PKCS11_open_session(slot, 0) != 0 ||
	    PKCS11_login(slot, 0, b->setup.cfg.user_pin) != 0 ||
	    PKCS11_enumerate_keys(slot->token, &keys, &nkeys) != 0)
		return -1;
	for (i = 0; i < nkeys; i++)
		if (keys[i].label != NULL && strcmp(keys[i].label, KK_KEY_ISSUING) == 0)
			b->raw = PKCS11_get_private_key(&keys[i]);
	return b->raw != NULL ? 0 : -1;
}

/* In a child: signs with nthreads threads for b->seconds; writes signatures/s to fd. */
static int
measure(bench *b, int raw, int nthreads, int fd)
{
	PKCS11_CTX *ctx = NULL;
	PKCS11_SLOT *slots = NULL;
	unsigned int nslots = 0;
	worker w[2];
	double t0, rate;
	long total = 0;
	int i, rc = -1;
	kk_err e;

	memset(w, 0, sizeof(w));
	if (raw) {
		if (raw_open(b, &ctx, &slots, &nslots) != 0) {
			fprintf(stderr, "raw libp11: cannot open the token or find %s\n",
			    KK_KEY_ISSUING);
			goto out;
		}
	} else if (kk_signer_open(&b->signer, &b->setup.cfg, &e) != 0) {
		fprintf(stderr, "kk_signer_open: %s\n", e.detail);
		goto out;
	}
	t0 = now_s();
	for (i = 0; i < nthreads; i++) {
		w[i].b = b;
		w[i].raw = raw;
		pthread_create(&w[i].t, NULL, worker_main, &w[i]);
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(w[i].t, NULL);
		total += w[i].count;
		if (w[i].failed)
			goto out;
	}
	rate = (double)total / (now_s() - t0);
	if (write(fd, &rate, sizeof(rate)) != (ssize_t)sizeof(rate))
		goto out;
	rc = 0;
out:
	EVP_PKEY_free(b->raw);
	kk_signer_close(b->signer);
	if (slots != NULL)
		PKCS11_release_all_slots(ctx, slots, nslots);
	if (ctx != NULL) {
		PKCS11_CTX_unload(ctx);
		PKCS11_CTX_free(ctx);
	}
	return rc;
}

/* Runs measure() in a child process. -1 if it failed. */
static double
run_child(bench *b, int raw, int nthreads)
{
	int fds[2], status;
	double rate = -1;
	pid_t pid;

	if (pipe(fds) != 0)
		return -1;
	fflush(NULL);
	if ((pid = fork()) == 0) {
		close(fds[0]);
		_exit(measure(b, raw, nthreads, fds[1]) == 0 ? 0 : 1);
	}
	close(fds[1]);
	if (pid < 0 || read(fds[0], &rate, sizeof(rate)) != (ssize_t)sizeof(rate))
		rate = -1;
	close(fds[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	return rate;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"data-dir", required_argument, 0, 'd'}, {"seconds", required_argument, 0, 's'},
		{"rounds", required_argument, 0, 'r'}, {0, 0, 0, 0}};
	static bench b;
	const char *dir = NULL;
	double best[2][2] = {{0, 0}, {0, 0}}, r;
	int ch, rounds = 2, i, raw, th;
	kk_paths paths;
	kk_err e;

	b.seconds = 3;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 's': b.seconds = atof(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		default: return 2;
		}
	}
	if (dir == NULL || b.seconds <= 0 || rounds < 1) {
		fprintf(stderr, "usage: kakuin-bench-signer --data-dir DIR [--seconds S] "
		    "[--rounds N]\n");
		return 2;
	}
	kk_paths_init(&paths, dir);
	if (kk_signer_setup_load(&b.setup, &paths, 0, &e) != 0) {
		fprintf(stderr, "kakuin-bench-signer: %s\n", e.detail);
		return 1;
	}
	memset(b.tbs, 0x5a, sizeof(b.tbs));
	for (i = 0; i < rounds; i++)
		for (th = 1; th <= 2; th++)
			for (raw = 0; raw <= 1; raw++) {
				if ((r = run_child(&b, raw, th)) < 0) {
					fprintf(stderr, "kakuin-bench-signer: %s, %d thread(s) "
					    "failed\n", raw ? "raw libp11" : "kk_signer_sign", th);
					return 1;
				}
				printf("round %d  %-15s %d thread(s): %8.1f signatures/s\n", i + 1,
				    raw ? "raw libp11" : "kk_signer_sign", th, r);
				if (r > best[raw][th - 1])
					best[raw][th - 1] = r;
			}
	for (th = 1; th <= 2; th++)
		printf("best of %d, %d thread(s): kk_signer_sign %.1f/s, raw libp11 %.1f/s, "
		    "kakuin overhead %.1f%%\n", rounds, th, best[0][th - 1], best[1][th - 1],
		    100.0 * (1.0 - best[0][th - 1] / best[1][th - 1]));
	return 0;
}
