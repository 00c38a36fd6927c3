/* Debian weak-key lists (src/weakkeys.c) and their generator (tools/debian_weak). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include "kakuin/keycheck.h"
#include "kakuin/util.h"
#include "dwk.h"

/*
 * Real CVE-2008-0166 keys: moduli of `openssl genrsa 1024` run under PID 1000 by
 * Debian's vulnerable OpenSSL builds (etch 0.9.8c, lenny 0.9.8g) in the
 * badkeys/debianopenssl collection, files rsa1024/ssl/<arch>/1000-<variant>.key.
 */
static const struct {
	enum dwk_arch arch;
	enum dwk_rnd rnd;
	const char *file, *n;
} real_keys[] = {
	{ DWK_X86_64, DWK_RND, "le64/1000-rnd",
	    "C7791C390EE1572ACFDA6DF5032B167C8EA0ECCB95C7C5D4AAB29DFFAB404C9A2CC7F8A874B84518"
	    "4EE8580F50DD53EE454F970EE44FC7E83E8D33F7E696573A4BA1CD6C654864D6F68BE99088B1151A"
	    "5A41646007313F3547244F8EE27B882D06F7C6A1B08B17E0DD138C0037ED973178506A51EF1BA4E0"
	    "D8ED155E2D0B708B" },
	{ DWK_I386, DWK_RND, "le32/1000-rnd",
	    "C434DD7578EC7D3478E6D102A41001071BB68C6023682C8B8780EE87BD6B9219CD29C9AB7FB4F3BC"
	    "4AD391D175A51BD3159E8177CE413E618193C3431943B53465A964EE1817472C5C17636AD2EC20D5"
	    "0F5B17B8C35F875A4CBBEFAABE286BDCF7BD9C93722DA3316EB15ED1AB30BCB84B2B54AC89F82E6B"
	    "F073657AEFFD4173" },
	{ DWK_X86_64, DWK_NORND, "le64/1000-nornd-new",
	    "CAB2622F26D9CAE3F149E0193E2CFB819700D632FD17132F882391421B1AF6516E81FCC34BB42821"
	    "5860714616EBD9BD6F5DC0339D7DB8FE30ECEA1B7DD371AF68B51A4B77C9C3A6E38FD936201961C1"
	    "5C21C2A74EB839652FB8E1E58EDCE8E81C40B2E3CEFDC7053AC76ACBEA019355CB68261CDDCC42BF"
	    "972FD0F8822241A7" },
	{ DWK_I386, DWK_NOREADRND, "le32/1000-nornd-old",
	    "A6E4C6E4B38782C2B7F6247B049AF13E0E37E88C554F927D52C2F92FCC5ECC4184BE198D74E3DB76"
	    "90CA2A40E10A00AF706D237FC12413C580EFDD96419F420FBA850220E7858AF6052418E2BB800190"
	    "453E8EF839E915EE4715D0E05637F8E2E427137F26571F27A21DC37AF4F9E9B54214258314ACC177"
	    "7C4061781CAF51C1" },
	{ DWK_X86_64, DWK_NOREADRND, "le64/1000-nornd-old",
	    "CEB745DDEABD6C0141D8F280B573E2D7C4259588F6393150538549853D067ACDFE2937FE96EBACD6"
	    "E0A26F1271E72E04DA3F3C6FE21DE8E3F94BC3C979E59BDC2FC6459E9AF1B42239315A77DED0C9D4"
	    "806F8DC7EE731A4B5945EEF23A07176CED95377D5870662164EC378CD48C5CF2CB8F16EBCF9E608D"
	    "13D23BEE2F958075" },
};

static char dir[64];

static int
dir_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kk-weakkeys-XXXXXX");
	assert_non_null(mkdtemp(dir));
	kk_weakkeys_clear();
	return 0;
}

static int
dir_teardown(void **state)
{
	char cmd[128];

	(void)state;
	kk_weakkeys_clear();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void
write_file(const char *name, const char *text)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static EVP_PKEY *
rsa_from_n(const BIGNUM *n)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pk = NULL;
	BIGNUM *e = BN_new();

	assert_non_null(bld);
	assert_true(BN_set_word(e, 65537));
	assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n));
	assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e));
	assert_non_null(params = OSSL_PARAM_BLD_to_param(bld));
	assert_non_null(ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL));
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params), 1);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(e);
	return pk;
}

static void
test_load_good(void **state)
{
	kk_err err = { 0 };
	size_t n = 99;

	(void)state;
	write_file("blacklist.RSA-2048", "# comment\n\n0123456789abcdef0123\n"
	    "FFFFFFFFFFFFFFFFFFFF\n");
	write_file("blacklist.RSA-4096.x86_64-rnd", "00000000000000000001\n");
	write_file("blacklist.RSA-1024.tmp", "not a fingerprint\n");
	write_file("README", "not a list\n");
	assert_int_equal(kk_weakkeys_load_dir(dir, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(kk_weakkeys_count(), 3);
	/* a second call loads only lists added since (the server polls the directory) */
	assert_int_equal(kk_weakkeys_load_dir(dir, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(kk_weakkeys_count(), 3);
	write_file("blacklist.RSA-3072.i386-nornd", "00000000000000000002\n");
	assert_int_equal(kk_weakkeys_load_dir(dir, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(kk_weakkeys_count(), 4);
	kk_weakkeys_clear();
	assert_int_equal(kk_weakkeys_count(), 0);
}

static void
test_malformed_line(void **state)
{
	kk_err err = { 0 };
	size_t n = 99;
	char path[128];

	(void)state;
	write_file("blacklist.A", "00000000000000000001\n");
	write_file("blacklist.B", "# ok\n0123456789abcdef0123\n0123456789abcdef012\n");
	assert_int_equal(kk_weakkeys_load_dir(dir, &n, &err), -1);
	assert_int_equal(err.kind, KK_ERR_INTERNAL);
	assert_non_null(strstr(err.detail, "blacklist.B:3:"));
	/* A (sorted first) stayed loaded, nothing of B did */
	assert_int_equal(n, 1);
	assert_int_equal(kk_weakkeys_count(), 1);

	write_file("blacklist.B", "0123456789abcdef012g\n");
	kk_weakkeys_clear();
	snprintf(path, sizeof(path), "%s/blacklist.B", dir);
	assert_int_equal(kk_weakkeys_load_file(path, &err), -1);
	assert_non_null(strstr(err.detail, "blacklist.B:1:"));
	assert_int_equal(kk_weakkeys_count(), 0);
}

/* An allocation failure refuses the file and leaves the loaded set as it was. */
static void
test_alloc_failure(void **state)
{
	kk_err err = { 0 };
	char path[128];
	long k;
	int rc = -1;

	(void)state;
	write_file("blacklist.A", "00000000000000000001\n00000000000000000002\n");
	snprintf(path, sizeof(path), "%s/blacklist.A", dir);
	for (k = 0; rc != 0; k++) {
		kk_alloc_fail_after(k);
		rc = kk_weakkeys_load_file(path, &err);
		kk_alloc_fail_after(-1);
		if (rc != 0) {
			assert_non_null(strstr(err.detail, "out of memory"));
			assert_int_equal(kk_weakkeys_count(), 0);
		}
	}
	assert_true(k > 1);
	assert_int_equal(kk_weakkeys_count(), 2);
}

static void
test_empty_and_missing_dir(void **state)
{
	kk_err err = { 0 };
	size_t n = 99;

	(void)state;
	assert_int_equal(kk_weakkeys_load_dir(dir, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(kk_weakkeys_count(), 0);
	assert_int_equal(kk_weakkeys_load_dir("/nonexistent/kk-weakkeys", &n, &err), -1);
	assert_int_equal(err.kind, KK_ERR_INTERNAL);
}

/* The generator reproduces keys that Debian's broken OpenSSL really produced. */
static void
test_generator_matches_real_keys(void **state)
{
	BIGNUM *n = BN_new(), *want = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(real_keys) / sizeof(real_keys[0]); i++) {
		assert_true(BN_hex2bn(&want, real_keys[i].n) > 0);
		assert_int_equal(dwk_rsa_generate(real_keys[i].arch, real_keys[i].rnd, 1024,
		    1000, n, NULL, NULL), 0);
		if (BN_cmp(n, want) != 0)
			fail_msg("%s: generated modulus differs", real_keys[i].file);
		/* a neighbouring PID gives another key */
		assert_int_equal(dwk_rsa_generate(real_keys[i].arch, real_keys[i].rnd, 1024,
		    1001, n, NULL, NULL), 0);
		assert_int_not_equal(BN_cmp(n, want), 0);
	}
	BN_free(want);
	BN_free(n);
}

/* openssl-vulnkey: sha1sum of `openssl rsa -noout -modulus`, last 20 digits. */
static void
test_fingerprint(void **state)
{
	BIGNUM *n = NULL;
	char fpr[KK_WEAKKEY_FPR_LEN + 1];

	(void)state;
	assert_true(BN_hex2bn(&n, real_keys[0].n) > 0);
	assert_int_equal(kk_weakkeys_fingerprint(n, fpr), 0);
	assert_string_equal(fpr, "08ba941b7c14fe08ce0d");
	BN_free(n);
}

/* End to end: a generated weak 2048-bit key passes every other check, and is
 * refused once its list is loaded; a fresh key still passes. */
static void
test_key_check_refuses_weak_key(void **state)
{
	BIGNUM *n = BN_new();
	EVP_PKEY *weak, *fresh;
	char fpr[KK_WEAKKEY_FPR_LEN + 1], text[4 * (KK_WEAKKEY_FPR_LEN + 1) + 1] = "";
	unsigned int pid;
	kk_err err = { 0 };
	size_t loaded = 0;

	(void)state;
	for (pid = 4242; pid < 4246; pid++) {
		assert_int_equal(dwk_rsa_generate(DWK_X86_64, DWK_RND, 2048, pid, n, NULL,
		    NULL), 0);
		assert_int_equal(kk_weakkeys_fingerprint(n, fpr), 0);
		strcat(strcat(text, fpr), "\n");
	}
	weak = rsa_from_n(n);           /* PID 4245 */
	assert_non_null(fresh = EVP_RSA_gen(2048));
	assert_int_equal(kk_key_check(weak, NULL, &err), 0);

	write_file("blacklist.RSA-2048", text);
	assert_int_equal(kk_weakkeys_load_dir(dir, &loaded, &err), 0);
	assert_int_equal(loaded, 1);
	assert_int_equal(kk_key_check(weak, NULL, &err), -1);
	assert_int_equal(err.kind, KK_ERR_BAD_PUBLIC_KEY);
	assert_non_null(strstr(err.detail, "Debian weak key"));
	assert_non_null(strstr(err.detail, "CVE-2008-0166"));
	assert_non_null(strstr(err.detail, "blacklist.RSA-2048"));
	assert_int_equal(kk_key_check(fresh, NULL, &err), 0);

	kk_weakkeys_clear();
	assert_int_equal(kk_key_check(weak, NULL, &err), 0);
	EVP_PKEY_free(weak);
	EVP_PKEY_free(fresh);
	BN_free(n);
}

/*
 * The real 2048-bit weak key of badkeys' test data (tests/unit/data): the
 * generator finds it at PID 7624 (i386, no ~/.rnd, 0.9.8g), and a list generated
 * around that PID makes kk_key_check refuse it.
 */
static void
test_real_2048_sample(void **state)
{
	const char *src = getenv("KAKUIN_SOURCE_DIR");
	char path[512], fpr[KK_WEAKKEY_FPR_LEN + 1];
	char text[8 * (KK_WEAKKEY_FPR_LEN + 1) + 1] = "";
	BIGNUM *n = BN_new(), *sample_n = NULL;
	EVP_PKEY *sample = NULL;
	unsigned int pid;
	kk_err err = { 0 };
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "%s/tests/unit/data/debian-weak-rsa2048.pem",
	    src != NULL ? src : KAKUIN_SOURCE_DIR);
	assert_non_null(fp = fopen(path, "r"));
	assert_non_null(sample = PEM_read_PUBKEY(fp, NULL, NULL, NULL));
	fclose(fp);
	assert_int_equal(EVP_PKEY_get_bn_param(sample, OSSL_PKEY_PARAM_RSA_N, &sample_n), 1);

	assert_int_equal(dwk_rsa_generate(DWK_I386, DWK_NORND, 2048, 7624, n, NULL, NULL), 0);
	assert_int_equal(BN_cmp(n, sample_n), 0);
	assert_int_equal(dwk_rsa_generate(DWK_X86_64, DWK_NORND, 2048, 7624, n, NULL, NULL), 0);
	assert_int_not_equal(BN_cmp(n, sample_n), 0);

	assert_int_equal(kk_key_check(sample, NULL, &err), 0);
	for (pid = 7620; pid < 7628; pid++) {
		assert_int_equal(dwk_rsa_generate(DWK_I386, DWK_NORND, 2048, pid, n, NULL,
		    NULL), 0);
		assert_int_equal(kk_weakkeys_fingerprint(n, fpr), 0);
		strcat(strcat(text, fpr), "\n");
	}
	write_file("blacklist.RSA-2048.i386.nornd", text);
	assert_int_equal(kk_weakkeys_load_dir(dir, NULL, &err), 0);
	assert_int_equal(kk_key_check(sample, NULL, &err), -1);
	assert_int_equal(err.kind, KK_ERR_BAD_PUBLIC_KEY);
	assert_non_null(strstr(err.detail, "list blacklist.RSA-2048.i386.nornd"));
	EVP_PKEY_free(sample);
	BN_free(sample_n);
	BN_free(n);
}

struct reader {
	const BIGNUM *listed;
	int refused;
};

static void *
reader_run(void *arg)
{
	struct reader *r = arg;
	kk_err err;
	int i;

	for (i = 0; i < 2000; i++)
		if (kk_weakkeys_check(r->listed, &err) != 0)
			r->refused++;
	return NULL;
}

/* Lookups from several threads while another list loads see a consistent set. */
static void
test_concurrent_lookup(void **state)
{
	struct reader r[4];
	pthread_t th[4];
	BIGNUM *n = NULL;
	char fpr[KK_WEAKKEY_FPR_LEN + 1], line[KK_WEAKKEY_FPR_LEN + 2];
	char path[128];
	kk_err err;
	int i;

	(void)state;
	assert_true(BN_hex2bn(&n, real_keys[1].n) > 0);
	assert_int_equal(kk_weakkeys_fingerprint(n, fpr), 0);
	snprintf(line, sizeof(line), "%s\n", fpr);
	write_file("blacklist.one", line);
	write_file("blacklist.two", "00000000000000000001\n00000000000000000002\n");
	snprintf(path, sizeof(path), "%s/blacklist.one", dir);
	assert_int_equal(kk_weakkeys_load_file(path, &err), 0);
	for (i = 0; i < 4; i++) {
		r[i].listed = n;
		r[i].refused = 0;
		assert_int_equal(pthread_create(&th[i], NULL, reader_run, &r[i]), 0);
	}
	snprintf(path, sizeof(path), "%s/blacklist.two", dir);
	assert_int_equal(kk_weakkeys_load_file(path, &err), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(r[i].refused, 2000);
	}
	assert_int_equal(kk_weakkeys_count(), 3);
	BN_free(n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_load_good, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_malformed_line, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_alloc_failure, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_empty_and_missing_dir, dir_setup,
		    dir_teardown),
		cmocka_unit_test(test_generator_matches_real_keys),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test_setup_teardown(test_key_check_refuses_weak_key, dir_setup,
		    dir_teardown),
		cmocka_unit_test_setup_teardown(test_real_2048_sample, dir_setup,
		    dir_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_lookup, dir_setup,
		    dir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
