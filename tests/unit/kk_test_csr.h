/* Test helper shared by the unit tests: a signed PKCS#10 request with a CN (or none)
 * and dNSName SANs (none when n == 0). Include after cmocka.h. */
#ifndef KK_TEST_CSR_H
#define KK_TEST_CSR_H

#include <openssl/x509v3.h>

/* Caller frees with X509_REQ_free. */
static inline X509_REQ *
kk_test_csr(EVP_PKEY *key, const char *cn, const char *const *dns, size_t n)
{
	X509_REQ *req = X509_REQ_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	size_t i;

	assert_non_null(req);
	for (i = 0; i < n; i++) {
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_IA5STRING *s = ASN1_IA5STRING_new();
		ASN1_STRING_set(s, dns[i], -1);
		GENERAL_NAME_set0_value(g, GEN_DNS, s);
		sk_GENERAL_NAME_push(gens, g);
	}
	if (cn != NULL)
		X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8,
		    (const unsigned char *)cn, -1, -1, 0);
	if (n > 0) {
		X509V3_add1_i2d(&exts, NID_subject_alt_name, gens, 0, 0);
		X509_REQ_add_extensions(req, exts);
	}
	X509_REQ_set_pubkey(req, key);
	assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	GENERAL_NAMES_free(gens);
	return req;
}

/* The same as DER. Caller frees. */
static inline unsigned char *
kk_test_csr_der(EVP_PKEY *key, const char *cn, const char *const *dns, size_t n, int *len)
{
	X509_REQ *req = kk_test_csr(key, cn, dns, n);
	unsigned char *der = NULL;

	*len = i2d_X509_REQ(req, &der);
	assert_true(*len > 0);
	X509_REQ_free(req);
	return der;
}

#endif
