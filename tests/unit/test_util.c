/* base64url (RFC 7515 2, RFC 4648 5), the allocation seam, atomic file writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "kakuin/util.h"

static void
test_b64url_vectors(void **state)
{
	/* RFC 4648 10 test vectors, without padding, in the url alphabet */
	static const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *out[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
	unsigned char *dec = NULL;
	size_t i, n;
	char *enc = NULL;

	(void)state;
	for (i = 0; i < 7; i++) {
		assert_int_equal(kk_b64url_encode((const unsigned char *)in[i], strlen(in[i]), &enc),
		    0);
		assert_string_equal(enc, out[i]);
		assert_int_equal(kk_b64url_decode(enc, strlen(enc), &dec, &n), 0);
		assert_int_equal(n, strlen(in[i]));
		assert_memory_equal(dec, in[i], n);
		free(enc);
		free(dec);
	}
	/* the url alphabet: 0xfb 0xff -> "-_8" */
	assert_int_equal(kk_b64url_encode((const unsigned char *)"\xfb\xff", 2, &enc), 0);
	assert_string_equal(enc, "-_8");
	free(enc);
}

static void
test_b64url_strict(void **state)
{
	static const char *bad[] = {"Zg==", "Zm9v+", "Zm9v/", "Zm 9v", "Z", "Zh", "Zm9=", "Zm9v\n"};
	unsigned char *dec = NULL;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(kk_b64url_decode(bad[i], strlen(bad[i]), &dec, &n), -1);
}

static void
test_random_token(void **state)
{
	char *a = kk_random_token(32), *b = kk_random_token(32);

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(strlen(a), 43); /* 256 bits */
	assert_string_not_equal(a, b);
	free(a);
	free(b);
	assert_null(kk_random_token(1000));
}

static void
test_alloc_seam(void **state)
{
	char *p;

	(void)state;
	kk_alloc_fail_after(1);
	p = kk_strdup("one");
	assert_non_null(p);
	free(p);
	assert_null(kk_strdup("two"));
	kk_alloc_fail_after(-1);
	p = kk_strdup("three");
	assert_non_null(p);
	free(p);
}

static void
test_file_write(void **state)
{
	char dir[] = "/tmp/kakuin-util-XXXXXX", path[256], *back = NULL;
	struct stat sb;
	size_t n;
	kk_err e;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a/b", dir);
	assert_int_equal(kk_mkdirs(path, 0700, &e), 0);
	assert_int_equal(kk_mkdirs(path, 0700, &e), 0); /* idempotent */
	strcat(path, "/secret");
	assert_int_equal(kk_file_write(path, "pin\n", 4, 0600, &e), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(kk_file_read(path, 100, &back, &n, &e), 0);
	assert_string_equal(back, "pin\n");
	free(back);
	assert_int_equal(kk_file_read(path, 2, &back, &n, &e), -1);
	assert_int_equal(e.kind, KK_ERR_TOO_LARGE);
	assert_int_equal(kk_file_read("/nonexistent/x", 2, &back, &n, &e), -1);
	assert_int_equal(e.kind, KK_ERR_NOT_FOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64url_vectors),
		cmocka_unit_test(test_b64url_strict),
		cmocka_unit_test(test_random_token),
		cmocka_unit_test(test_alloc_seam),
		cmocka_unit_test(test_file_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
