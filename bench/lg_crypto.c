/*
 * kakuin-loadgen crypto: base64url, the ES256 account key as a JWK and its
 * RFC 7638 thumbprint, flattened JWS (RFC 7515, ES256 per RFC 7518 3.4),
 * the HS256 External Account Binding (RFC 8555 7.3.4), CSRs with one dNSName
 * and the check that a downloaded certificate parses and names what we asked.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include "lg.h"

/* base64url without padding (RFC 7515 2). Caller frees *out. */
int
lg_b64url(const unsigned char *in, size_t len, char **out)
{
	char *s = NULL;
	int n, i;

	if ((s = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return -1;
	n = EVP_EncodeBlock((unsigned char *)s, in, (int)len);
	while (n > 0 && s[n - 1] == '=')
		n--;
	s[n] = '\0';
	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			s[i] = '-';
		else if (s[i] == '/')
			s[i] = '_';
	}
	*out = s;
	return 0;
}

/* Decodes base64url (padding optional). Caller frees *out. */
int
lg_b64url_decode(const char *in, unsigned char **out, size_t *outlen)
{
	size_t len = strlen(in), i, pad;
	char *s = NULL;
	unsigned char *d = NULL;
	int n, rc = -1;

	while (len > 0 && in[len - 1] == '=')
		len--;
	pad = (4 - len % 4) % 4;
	if (pad == 3 || (s = malloc(len + pad + 1)) == NULL)
		return -1;
	for (i = 0; i < len; i++)
		s[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
	memset(s + len, '=', pad);
	s[len + pad] = '\0';
	if ((d = malloc(len + pad)) == NULL)
		goto out;
	if ((n = EVP_DecodeBlock(d, (unsigned char *)s, (int)(len + pad))) < 0)
		goto out;
	*outlen = (size_t)n - pad;
	*out = d;
	d = NULL;
	rc = 0;
out:
	free(s);
	free(d);
	return rc;
}

/* A fresh P-256 account key (ES256). Caller frees with EVP_PKEY_free. */
EVP_PKEY *
lg_ec_key(void)
{
	return EVP_EC_gen("P-256");
}

/* A fresh RSA-2048 subscriber key: kakuin issues for RSA keys only. Caller frees. */
static EVP_PKEY *shared_rsa;

static void
shared_rsa_init(void)
{
	shared_rsa = EVP_RSA_gen(2048);
}

EVP_PKEY *
lg_rsa_key(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	/* one CSR key for the whole run (each client still has its own account key):
	 * 256 RSA key generations would delay the start by tens of seconds */
	pthread_once(&once, shared_rsa_init);
	if (shared_rsa == NULL || EVP_PKEY_up_ref(shared_rsa) != 1)
		return NULL;
	return shared_rsa;
}

/* base64url of bn as exactly n octets (RFC 7518 6.2.1.2). Caller frees *out. */
static int
b64u_bn(const BIGNUM *bn, int n, char **out)
{
	unsigned char buf[66];

	if (n > (int)sizeof(buf) || BN_bn2binpad(bn, buf, n) != n)
		return -1;
	return lg_b64url(buf, (size_t)n, out);
}

/* The canonical EC JWK of k ({"crv","kty","x","y"}, RFC 7638 3.2) and its
 * SHA-256 thumbprint in base64url. Caller frees *jwk and *thumb. */
int
lg_ec_jwk(EVP_PKEY *k, char **jwk, char **thumb)
{
	BIGNUM *x = NULL, *y = NULL;
	char *xs = NULL, *ys = NULL, *j = NULL;
	unsigned char md[32];
	int rc = -1, n;

	if (!EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, &x) ||
	    !EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, &y))
		goto out;
	if (b64u_bn(x, 32, &xs) != 0 || b64u_bn(y, 32, &ys) != 0)
		goto out;
	n = snprintf(NULL, 0, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
	    xs, ys);
	if ((j = malloc((size_t)n + 1)) == NULL)
		goto out;
	snprintf(j, (size_t)n + 1, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
	    xs, ys);
	if (EVP_Digest(j, strlen(j), md, NULL, EVP_sha256(), NULL) != 1 ||
	    lg_b64url(md, sizeof(md), thumb) != 0)
		goto out;
	*jwk = j;
	j = NULL;
	rc = 0;
out:
	BN_free(x);
	BN_free(y);
	free(xs);
	free(ys);
	free(j);
	return rc;
}

/* The ES256 signature of input: R || S, 32 octets each (RFC 7518 3.4), not DER. */
static int
es256_sign(EVP_PKEY *k, const char *input, unsigned char sig[64])
{
	EVP_MD_CTX *md = NULL;
	ECDSA_SIG *es = NULL;
	unsigned char der[80];
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	size_t dlen = sizeof(der);
	int rc = -1;

	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k) != 1 ||
	    EVP_DigestSign(md, der, &dlen, (const unsigned char *)input, strlen(input)) != 1)
		goto out;
	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)dlen)) == NULL)
		goto out;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, sig, 32) != 32 || BN_bn2binpad(s, sig + 32, 32) != 32)
		goto out;
	rc = 0;
out:
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	return rc;
}

/* "<b64u(a)>.<b64u(b)>" with b empty when NULL. Caller frees *out. */
static int
signing_input(const char *a, const char *b, char **pa, char **pb, char **out)
{
	size_t n;

	*pa = *pb = *out = NULL;
	if (lg_b64url((const unsigned char *)a, strlen(a), pa) != 0)
		return -1;
	if (b != NULL && lg_b64url((const unsigned char *)b, strlen(b), pb) != 0)
		return -1;
	if (b == NULL && (*pb = strdup("")) == NULL)
		return -1;
	n = strlen(*pa) + strlen(*pb) + 2;
	if ((*out = malloc(n)) == NULL)
		return -1;
	snprintf(*out, n, "%s.%s", *pa, *pb);
	return 0;
}

/* Flattened JWS JSON (RFC 7515 7.2.2) of payload (NULL: the empty payload
 * of a POST-as-GET, RFC 8555 6.3) under protected_json, signed ES256 by k.
 * Caller frees *out. */
int
lg_jws(EVP_PKEY *k, const char *protected_json, const char *payload, char **out)
{
	char *p64 = NULL, *b64 = NULL, *in = NULL, *s64 = NULL;
	unsigned char sig[64];
	size_t n;
	int rc = -1;

	if (signing_input(protected_json, payload, &p64, &b64, &in) != 0 ||
	    es256_sign(k, in, sig) != 0 || lg_b64url(sig, sizeof(sig), &s64) != 0)
		goto out;
	n = strlen(p64) + strlen(b64) + strlen(s64) + 64;
	if ((*out = malloc(n)) == NULL)
		goto out;
	snprintf(*out, n, "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}",
	    p64, b64, s64);
	rc = 0;
out:
	free(p64);
	free(b64);
	free(in);
	free(s64);
	return rc;
}

/* The externalAccountBinding member of a newAccount payload (RFC 8555 7.3.4):
 * a JWS over the account JWK, protected {"alg":"HS256","kid","url"} and MACed
 * with the CA-given key (base64url). Caller owns *out. */
int
lg_eab(const char *kid, const char *hmac_b64u, const char *url, const char *jwk,
    json_t **out)
{
	json_t *prot = NULL;
	char *pj = NULL, *p64 = NULL, *b64 = NULL, *in = NULL, *s64 = NULL;
	unsigned char *key = NULL, mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t keylen = 0;
	int rc = -1;

	if (lg_b64url_decode(hmac_b64u, &key, &keylen) != 0)
		goto out;
	if ((prot = json_pack("{s:s,s:s,s:s}", "alg", "HS256", "kid", kid, "url", url)) == NULL ||
	    (pj = json_dumps(prot, JSON_COMPACT)) == NULL)
		goto out;
	if (signing_input(pj, jwk, &p64, &b64, &in) != 0)
		goto out;
	if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)in, strlen(in),
	    mac, &maclen) == NULL || lg_b64url(mac, maclen, &s64) != 0)
		goto out;
	if ((*out = json_pack("{s:s,s:s,s:s}", "protected", p64, "payload", b64,
	    "signature", s64)) == NULL)
		goto out;
	rc = 0;
out:
	json_decref(prot);
	free(pj);
	free(p64);
	free(b64);
	free(in);
	free(s64);
	free(key);
	return rc;
}

/* subjectAltName with the one dNSName name, added to req's extension request. */
static int
csr_san(X509_REQ *req, const char *name)
{
	GENERAL_NAMES *gens = NULL;
	GENERAL_NAME *gn = NULL;
	ASN1_IA5STRING *ia5 = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_EXTENSION *ext = NULL;
	int rc = -1;

	if ((gens = sk_GENERAL_NAME_new_null()) == NULL || (gn = GENERAL_NAME_new()) == NULL ||
	    (ia5 = ASN1_IA5STRING_new()) == NULL || !ASN1_STRING_set(ia5, name, -1))
		goto out;
	GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
	ia5 = NULL;
	if (!sk_GENERAL_NAME_push(gens, gn))
		goto out;
	gn = NULL;
	if ((ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens)) == NULL ||
	    (exts = sk_X509_EXTENSION_new_null()) == NULL || !sk_X509_EXTENSION_push(exts, ext))
		goto out;
	ext = NULL;
	if (!X509_REQ_add_extensions(req, exts))
		goto out;
	rc = 0;
out:
	ASN1_IA5STRING_free(ia5);
	GENERAL_NAME_free(gn);
	GENERAL_NAMES_free(gens);
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

/* base64url DER of a CSR for name (CN and one dNSName SAN) with key k, signed
 * SHA-256, as finalize takes it (RFC 8555 7.4). Caller frees *out. */
int
lg_csr(EVP_PKEY *k, const char *name, char **out)
{
	X509_REQ *req = NULL;
	X509_NAME *subj = NULL;
	unsigned char *der = NULL;
	int len, rc = -1;

	if ((req = X509_REQ_new()) == NULL || !X509_REQ_set_version(req, 0) ||
	    (subj = X509_NAME_new()) == NULL ||
	    !X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC,
	    (const unsigned char *)name, -1, -1, 0) ||
	    !X509_REQ_set_subject_name(req, subj) || csr_san(req, name) != 0 ||
	    !X509_REQ_set_pubkey(req, k) || X509_REQ_sign(req, k, EVP_sha256()) <= 0)
		goto out;
	if ((len = i2d_X509_REQ(req, &der)) <= 0)
		goto out;
	rc = lg_b64url(der, (size_t)len, out);
out:
	OPENSSL_free(der);
	X509_NAME_free(subj);
	X509_REQ_free(req);
	return rc;
}

/* 0 if pem starts with a certificate that parses and is valid for name
 * (RFC 6125 matching of its SAN), -1 otherwise. */
int
lg_cert_check(const char *pem, size_t len, const char *name)
{
	BIO *b = NULL;
	X509 *x = NULL;
	int rc = -1;

	if ((b = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL)
		goto out;
	if (X509_check_host(x, name, 0, 0, NULL) == 1)
		rc = 0;
out:
	X509_free(x);
	BIO_free(b);
	return rc;
}
