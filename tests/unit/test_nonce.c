/*
 * acme/nonce.c: each nonce is accepted exactly once, forgeries and stale nonces never,
 * and concurrent consumers cannot both accept the same nonce.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>
#include "kakuin/util.h"
#include "nonce.h"

#define WINDOW 8192             /* NONCE_WINDOW in acme/nonce.c */

static int
setup(void **state)
{
	(void)state;
	return kk_nonce_init();
}

static void
test_fresh_once(void **state)
{
	char a[KK_NONCE_LEN], b[KK_NONCE_LEN];

	(void)state;
	assert_int_equal(kk_nonce_new(a), 0);
	assert_int_equal(kk_nonce_new(b), 0);
	assert_int_equal(strlen(a), 32);
	assert_string_not_equal(a, b);
	/* Out of order is fine; twice is not. */
	assert_int_equal(kk_nonce_consume(b), 1);
	assert_int_equal(kk_nonce_consume(a), 1);
	assert_int_equal(kk_nonce_consume(a), 0);
	assert_int_equal(kk_nonce_consume(b), 0);
}

static void
test_garbage(void **state)
{
	char a[KK_NONCE_LEN], longer[KK_NONCE_LEN + 2];

	(void)state;
	assert_int_equal(kk_nonce_consume(NULL), 0);
	assert_int_equal(kk_nonce_consume(""), 0);
	assert_int_equal(kk_nonce_consume("bm9uY2U"), 0);
	assert_int_equal(kk_nonce_consume("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 0);
	assert_int_equal(kk_nonce_consume("+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 0);
	assert_int_equal(kk_nonce_new(a), 0);
	/* A valid nonce with a suffix is a different string, not the nonce. */
	memcpy(longer, a, 32);
	memcpy(longer + 32, "AA", 3);
	assert_int_equal(kk_nonce_consume(longer), 0);
	assert_int_equal(kk_nonce_consume(a), 1);
}

/* Flipping any one character of the MAC or the counter part is refused. */
static void
test_tampered(void **state)
{
	char a[KK_NONCE_LEN], t[KK_NONCE_LEN];
	size_t i;

	(void)state;
	assert_int_equal(kk_nonce_new(a), 0);
	for (i = 0; i < 32; i++) {
		memcpy(t, a, sizeof(t));
		t[i] = t[i] == 'A' ? 'Q' : 'A';
		assert_int_equal(kk_nonce_consume(t), 0);
	}
	assert_int_equal(kk_nonce_consume(a), 1);
}

/* Window edge: the oldest nonce still inside is accepted, one older is not. */
static void
test_window(void **state)
{
	char old[KK_NONCE_LEN], edge[KK_NONCE_LEN], n[KK_NONCE_LEN];
	int i;

	(void)state;
	assert_int_equal(kk_nonce_init(), 0);
	assert_int_equal(kk_nonce_new(old), 0);
	assert_int_equal(kk_nonce_new(edge), 0);
	for (i = 0; i < WINDOW - 1; i++)
		assert_int_equal(kk_nonce_new(n), 0);
	assert_int_equal(kk_nonce_consume(old), 0);
	assert_int_equal(kk_nonce_consume(edge), 1);
	assert_int_equal(kk_nonce_consume(n), 1);
	assert_int_equal(kk_nonce_consume(edge), 0);
}

/* A restart (new key) invalidates every earlier nonce. */
static void
test_rekey(void **state)
{
	char a[KK_NONCE_LEN];

	(void)state;
	assert_int_equal(kk_nonce_new(a), 0);
	assert_int_equal(kk_nonce_init(), 0);
	assert_int_equal(kk_nonce_consume(a), 0);
}

#define THREADS 4
#define PER_THREAD 1000

static char pool[THREADS * PER_THREAD][KK_NONCE_LEN];
static atomic_int accepted[THREADS * PER_THREAD];
static atomic_int failures;

static void *
issuer(void *arg)
{
	size_t t = (size_t)(uintptr_t)arg, i;

	for (i = 0; i < PER_THREAD; i++)
		if (kk_nonce_new(pool[t * PER_THREAD + i]) != 0)
			atomic_fetch_add(&failures, 1);
	return NULL;
}

/* Every thread tries every nonce, each starting at a different place. */
static void *
consumer(void *arg)
{
	size_t t = (size_t)(uintptr_t)arg, i, total = THREADS * PER_THREAD;

	for (i = 0; i < total; i++) {
		size_t k = (i + t * total / THREADS) % total;
		if (kk_nonce_consume(pool[k]))
			atomic_fetch_add(&accepted[k], 1);
	}
	return NULL;
}

static void
run_threads(void *(*fn)(void *))
{
	pthread_t th[THREADS];
	size_t t;

	for (t = 0; t < THREADS; t++)
		assert_int_equal(pthread_create(&th[t], NULL, fn, (void *)(uintptr_t)t), 0);
	for (t = 0; t < THREADS; t++)
		assert_int_equal(pthread_join(th[t], NULL), 0);
}

static void
test_threads(void **state)
{
	size_t i, j;

	(void)state;
	assert_int_equal(kk_nonce_init(), 0);
	run_threads(issuer);
	assert_int_equal(atomic_load(&failures), 0);
	/* Concurrent issuers never hand out the same counter. */
	for (i = 0; i < THREADS * PER_THREAD; i++)
		for (j = i + 1; j < THREADS * PER_THREAD; j++)
			if (strcmp(pool[i], pool[j]) == 0)
				fail_msg("nonce %zu issued twice", i);
	run_threads(consumer);
	for (i = 0; i < THREADS * PER_THREAD; i++)
		if (atomic_load(&accepted[i]) != 1)
			fail_msg("nonce %zu accepted %d times", i, atomic_load(&accepted[i]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_once),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_rekey),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
