/* Test fixture shared by test_ca.c and test_lint_cert.c: a temporary data directory
 * for a SoftHSM-backed CA, the default policy, one RSA-2048 subscriber key and a clock
 * fixed before the first BR validity step. Include after cmocka.h. */
#ifndef KK_CA_FIXTURE_H
#define KK_CA_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <openssl/pem.h>
#include "kakuin/ca.h"
#include "kakuin/clock.h"

static char dir[] = "/tmp/kk_ca_XXXXXX";
static kk_paths paths;
static kk_policy pol;
static EVP_PKEY *csr_key; /* one RSA-2048 subscriber key for the whole file */
static time_t t_init;     /* when the hierarchy was made */

/* The directory and policy; the hierarchy itself is left to the test (kk_ca_init). */
static int
ca_fixture_setup(void **state)
{
	kk_err err;

	(void)state;
	unsetenv("KAKUIN_HSM_PIN");
	unsetenv("KAKUIN_HSM_SO_PIN");
	unsetenv("KAKUIN_POLICY");
	if (mkdtemp(dir) == NULL || kk_policy_load(NULL, &pol, &err) != 0)
		return -1;
	kk_paths_init(&paths, dir);
	/* before the first BR step, so every schedule date below is inside the CA's life */
	kk_time_parse("2026-01-01", &t_init);
	kk_clock_set(t_init);
	csr_key = EVP_RSA_gen(2048);
	return csr_key == NULL ? -1 : 0;
}

static int
ca_fixture_teardown(void **state)
{
	char cmd[600];

	(void)state;
	kk_clock_set(0);
	EVP_PKEY_free(csr_key);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Caller frees. */
static inline X509 *
read_pem(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

#endif
