/* Signer (src/signer_p11.c) against a real SoftHSMv2 token in a temporary directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include "kakuin/ca.h"
#include "kakuin/signer.h"

static char dir[] = "/tmp/kk_signer_XXXXXX";
static kk_paths paths;
static kk_signer_setup setup;

static int
group_setup(void **state)
{
	kk_err err;

	(void)state;
	unsetenv("KAKUIN_HSM_PIN");
	unsetenv("KAKUIN_HSM_SO_PIN");
	if (mkdtemp(dir) == NULL)
		return -1;
	kk_paths_init(&paths, dir);
	return kk_signer_setup_load(&setup, &paths, 1, &err);
}

static int
group_teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_setup_files(void **state)
{
	kk_signer_setup again;
	kk_err err;

	(void)state;
	assert_true(strlen(setup.user_pin) >= 16);
	assert_string_not_equal(setup.user_pin, setup.so_pin);
	/* a second load reads the same PINs instead of making new ones */
	assert_int_equal(kk_signer_setup_load(&again, &paths, 1, &err), 0);
	assert_string_equal(again.user_pin, setup.user_pin);
	assert_string_equal(again.so_pin, setup.so_pin);
	/* serving (create = 0) needs the user PIN only: the SO PIN is not even read */
	assert_int_equal(kk_signer_setup_load(&again, &paths, 0, &err), 0);
	assert_string_equal(again.user_pin, setup.user_pin);
	assert_string_equal(again.so_pin, "");
	assert_string_equal(again.cfg.token_label, "kakuin");
	assert_ptr_equal(again.cfg.softhsm_conf, paths.softhsm_conf);
}

static void
test_init_token_idempotent(void **state)
{
	kk_err err;

	(void)state;
	assert_int_equal(kk_signer_init_token(&setup.cfg, &err), 0);
	assert_int_equal(kk_signer_init_token(&setup.cfg, &err), 0);
}

static void
test_open_missing_token(void **state)
{
	kk_signer_cfg cfg = setup.cfg;
	kk_signer *s = NULL;
	kk_err err;

	(void)state;
	cfg.token_label = "no-such-token";
	assert_int_equal(kk_signer_open(&s, &cfg, &err), -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);
	assert_null(s);
}

static void
test_wrong_pin(void **state)
{
	kk_signer_cfg cfg = setup.cfg;
	kk_signer *s = NULL, *t = NULL;
	kk_err err;

	(void)state;
	cfg.user_pin = "not-the-pin";
	/* nothing open: the token itself refuses the login */
	assert_int_equal(kk_signer_open(&t, &cfg, &err), -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
	/* already open and logged in: the shared handle must still check the PIN */
	assert_int_equal(kk_signer_open(&s, &setup.cfg, &err), 0);
	assert_int_equal(kk_signer_open(&t, &cfg, &err), -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
	assert_null(t);
	kk_signer_close(s);
}

static void
test_keys_and_signing(void **state)
{
	static const unsigned char msg[] = "to be signed";
	kk_signer *s = NULL, *s2 = NULL;
	EVP_PKEY *pub1 = NULL, *pub2 = NULL, *pub3 = NULL;
	EVP_MD_CTX *md = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	kk_err err;

	(void)state;
	assert_int_equal(kk_signer_open(&s, &setup.cfg, &err), 0);
	assert_int_equal(kk_signer_public_key(s, "k1", &pub1, &err), -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);
	assert_int_equal(kk_signer_sign(s, "k1", msg, sizeof(msg), &sig, &siglen, &err), -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);

	assert_int_equal(kk_signer_ensure_rsa_key(s, "k1", 2048, &pub1, &err), 0);
	assert_int_equal(EVP_PKEY_get_base_id(pub1), EVP_PKEY_RSA);
	assert_int_equal(EVP_PKEY_get_bits(pub1), 2048);
	/* idempotent: the same key, not a second one */
	assert_int_equal(kk_signer_ensure_rsa_key(s, "k1", 2048, &pub2, &err), 0);
	assert_int_equal(EVP_PKEY_eq(pub1, pub2), 1);

	/* a second open shares the session; the key is visible through it */
	assert_int_equal(kk_signer_open(&s2, &setup.cfg, &err), 0);
	assert_int_equal(kk_signer_public_key(s2, "k1", &pub3, &err), 0);
	assert_int_equal(EVP_PKEY_eq(pub1, pub3), 1);
	kk_signer_close(s2);

	/* still usable after the second handle is closed */
	assert_int_equal(kk_signer_sign(s, "k1", msg, sizeof(msg), &sig, &siglen, &err), 0);
	assert_int_equal(siglen, 256);
	md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub1), 1);
	assert_int_equal(EVP_DigestVerify(md, sig, siglen, msg, sizeof(msg)), 1);
	EVP_MD_CTX_free(md);
	/* a different message does not verify */
	md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub1), 1);
	assert_int_not_equal(EVP_DigestVerify(md, sig, siglen, msg, sizeof(msg) - 1), 1);
	EVP_MD_CTX_free(md);

	free(sig);
	EVP_PKEY_free(pub1);
	EVP_PKEY_free(pub2);
	EVP_PKEY_free(pub3);
	kk_signer_close(s);
	kk_signer_close(NULL);
}

/* The private key must be sensitive and never extractable (checked with OpenSC's
 * pkcs11-tool, an independent PKCS#11 client). */
static void
test_key_not_extractable(void **state)
{
	char cmd[1500], line[512];
	FILE *f;
	int in_k1 = 0, sensitive = 0, never_extractable = 0;

	(void)state;
	if (access("/usr/bin/pkcs11-tool", X_OK) != 0)
		skip();
	snprintf(cmd, sizeof(cmd),
	    "SOFTHSM2_CONF='%s' /usr/bin/pkcs11-tool --module %s --token-label kakuin "
	    "--login --pin '%s' --list-objects --type privkey 2>&1", paths.softhsm_conf,
	    KAKUIN_SOFTHSM_MODULE, setup.user_pin);
	assert_non_null(f = popen(cmd, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, "label:") != NULL)
			in_k1 = strstr(line, "k1") != NULL;
		if (in_k1 && strstr(line, "Access:") != NULL) {
			sensitive = strstr(line, "sensitive") != NULL;
			never_extractable = strstr(line, "never extractable") != NULL;
		}
	}
	assert_int_equal(pclose(f), 0);
	assert_true(sensitive);
	assert_true(never_extractable);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setup_files),
		cmocka_unit_test(test_init_token_idempotent),
		cmocka_unit_test(test_open_missing_token),
		cmocka_unit_test(test_wrong_pin),
		cmocka_unit_test(test_keys_and_signing),
		cmocka_unit_test(test_key_not_extractable),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
