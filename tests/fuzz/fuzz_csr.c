/*
 * CSR parsing and checks at finalize (src/csr.c kk_csr_check) and the public key checks
 * behind them (src/keycheck.c kk_key_check: size, exponent, small factors, Fermat, ROCA,
 * EC point). The input is DER, tried three ways:
 *  - as the CSR of a finalize for example.com and www.example.com;
 *  - as a CSR whose content is kept but which is re-signed with a fixed RSA-2048 key, so
 *    that mutated names and extensions get past the proof of possession (CP 3.2.1) to the
 *    name checks;
 *  - as a SubjectPublicKeyInfo, through kk_key_check (RSA and EC keys of any shape).
 */
#include <openssl/err.h>
#include <openssl/x509.h>
#include "fuzz.h"
#include "kakuin/ca.h"
#include "kakuin/keycheck.h"

static kk_policy pol;
static EVP_PKEY *signer;	/* the fixed key that re-signs mutated CSRs */
static const char *const names[] = { "example.com", "www.example.com" };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	kk_err e;

	(void)argc;
	(void)argv;
	if (kk_policy_load(NULL, &pol, &e) != 0)
		fuzz_die("policy", e.detail);
	if ((signer = EVP_RSA_gen(2048)) == NULL)
		fuzz_die("EVP_RSA_gen", NULL);
	return 0;
}

static void
check(const unsigned char *der, size_t len)
{
	X509_REQ *req = NULL;
	kk_err e;

	if (kk_csr_check(der, len, &pol, names, 2, &req, &e) == 0) {
		if (req == NULL)
			fuzz_die("kk_csr_check", "0 without a CSR");
		X509_REQ_free(req);
	} else if (e.kind != KK_ERR_BAD_CSR && e.kind != KK_ERR_INTERNAL)
		fuzz_die("kk_csr_check", "refusal that is not badCSR");
}

/* The CSR in der with its key replaced by signer's and signed again. */
static void
resigned(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	unsigned char *out = NULL;
	X509_REQ *req = NULL;
	int n;

	if ((req = d2i_X509_REQ(NULL, &p, (long)len)) == NULL)
		goto out;
	if (X509_REQ_set_pubkey(req, signer) != 1 ||
	    X509_REQ_sign(req, signer, EVP_sha256()) <= 0 ||
	    (n = i2d_X509_REQ(req, &out)) <= 0)
		goto out;
	check(out, (size_t)n);
out:
	OPENSSL_free(out);
	X509_REQ_free(req);
	ERR_clear_error();
}

static void
spki(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *pk;
	kk_err e;

	if ((pk = d2i_PUBKEY(NULL, &p, (long)len)) != NULL)
		(void)kk_key_check(pk, &pol, &e);
	EVP_PKEY_free(pk);
	ERR_clear_error();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *der;

	/* exactly size bytes, so that ASan sees any read past the DER */
	if ((der = malloc(size > 0 ? size : 1)) == NULL)
		fuzz_die("malloc", NULL);
	memcpy(der, data, size);
	check(der, size);
	resigned(der, size);
	spki(der, size);
	free(der);
	return 0;
}
