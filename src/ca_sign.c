/*
 * Everything the token signs for the CA (include/kakuin/ca.h): certificates, CRLs and
 * OCSP responses. The token signs DER to-be-signed bytes (sha256WithRSAEncryption) and
 * this file wraps them as SEQUENCE { tbs, algorithm, BIT STRING } (RFC 5280 4.1 and
 * 5.1, RFC 6960 4.2.1); each result is parsed and verified before anyone sees it, but
 * for a CRL built from its TBS bytes, whose signature is verified over bytes the lint
 * has walked (a million entries would take longer to re-parse than to build).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/x509.h>
#include "kakuin/ca.h"
#include "kakuin/util.h"
#include "ca_internal.h"


const unsigned char sha256_rsa_algid[SHA256_RSA_ALGID_LEN] = {
	0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00
};

static pthread_once_t throwaway_once = PTHREAD_ONCE_INIT;
static EVP_PKEY *throwaway; /* per-process lint key, never trusted by anyone */

/* Its signature is thrown away and only its algorithm (sha256WithRSAEncryption, the
 * same for any RSA size) reaches the TBS, so a small key keeps the lint of every
 * certificate, CRL and OCSP response cheap. */
static void
throwaway_init(void)
{
	throwaway = EVP_RSA_gen(1024);
}

EVP_PKEY *
ca_throwaway_key(void)
{
	pthread_once(&throwaway_once, throwaway_init);
	return throwaway;
}

/* Octets of a DER length (X.690 8.1.3); n < 2^32 (TBS_MAX keeps every structure below:
 * a million-entry CRL is 45 MB, past the 3 length octets of 2^24). */
static size_t
der_len_size(size_t n)
{
	return n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x1000000 ? 4 : 5;
}

static unsigned char *
der_put_header(unsigned char *p, unsigned char tag, size_t n)
{
	size_t k = der_len_size(n);

	*p++ = tag;
	if (k == 1) {
		*p++ = (unsigned char)n;
		return p;
	}
	*p++ = (unsigned char)(0x80 | (k - 1));
	while (--k > 0)
		*p++ = (unsigned char)(n >> (8 * (k - 1)));
	return p;
}

int
ca_assemble(const unsigned char *tbs, size_t tbs_len, const unsigned char *sig, size_t sig_len,
    unsigned char **der, size_t *der_len, kk_err *err)
{
	size_t bits = 1 + der_len_size(sig_len + 1) + sig_len + 1;
	size_t body = tbs_len + sizeof(sha256_rsa_algid) + bits;
	unsigned char *buf, *p;

	if ((buf = kk_malloc(1 + der_len_size(body) + body)) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
	p = der_put_header(buf, 0x30, body);
	memcpy(p, tbs, tbs_len);
	p += tbs_len;
	memcpy(p, sha256_rsa_algid, sizeof(sha256_rsa_algid));
	p += sizeof(sha256_rsa_algid);
	p = der_put_header(p, 0x03, sig_len + 1);
	*p++ = 0; /* no unused bits */
	memcpy(p, sig, sig_len);
	p += sig_len;
	*der = buf;
	*der_len = (size_t)(p - buf);
	return 0;
}

/* Has the token sign tbs with label and wraps the result (RFC 5280 4.1 / 5.1, RFC 6960
 * 4.2.1). Caller frees *der. */
static int
sign_wrap(kk_signer *s, const char *label, const unsigned char *tbs, size_t tbs_len,
    unsigned char **der, size_t *der_len, kk_err *err)
{
	unsigned char *sig = NULL;
	size_t sig_len = 0;
	int rc;

	if (tbs_len == 0 || tbs_len > TBS_MAX)
		return kk_err_set(err, KK_ERR_INTERNAL, "to-be-signed data of %zu bytes", tbs_len);
	if ((rc = kk_signer_sign(s, label, tbs, tbs_len, &sig, &sig_len, err)) == 0)
		rc = ca_assemble(tbs, tbs_len, sig, sig_len, der, der_len, err);
	free(sig);
	return rc;
}

/* The token's signature sig over tbs verifies with pub (sha256WithRSAEncryption, the
 * algorithm the TBS names: lint checked it). */
static int
sig_verifies(EVP_PKEY *pub, const unsigned char *tbs, size_t tbs_len,
    const unsigned char *sig, size_t sig_len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok;

	ok = md != NULL && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) == 1 &&
	    EVP_DigestVerify(md, sig, sig_len, tbs, tbs_len) == 1;
	EVP_MD_CTX_free(md);
	return ok;
}

/* Has the token sign tbs with label, checks the signature verifies with pub and
 * assembles the certificate. With x_out (CA certificates, rare) the result is also
 * parsed back and verified as a whole; a leaf's TBS was linted before signing and the
 * assembly is fixed, so its signature check is enough (parsing costs more than the
 * signature check under OpenSSL 3.0). Caller frees *der and, if x_out is not NULL,
 * *x_out. */
static int
sign_tbs(kk_signer *s, const char *label, EVP_PKEY *pub, const unsigned char *tbs,
    size_t tbs_len, unsigned char **der, size_t *der_len, X509 **x_out, kk_err *err)
{
	unsigned char *buf = NULL, *sig = NULL;
	const unsigned char *p;
	size_t len = 0, sig_len = 0;
	X509 *x = NULL;
	int rc = -1;

	if (tbs_len == 0 || tbs_len > TBS_MAX)
		return kk_err_set(err, KK_ERR_INTERNAL, "to-be-signed data of %zu bytes", tbs_len);
	if (kk_signer_sign(s, label, tbs, tbs_len, &sig, &sig_len, err) != 0)
		goto out;
	if (!sig_verifies(pub, tbs, tbs_len, sig, sig_len)) {
		kk_err_set(err, KK_ERR_INTERNAL, "token signature by %s does not verify", label);
		goto out;
	}
	if (ca_assemble(tbs, tbs_len, sig, sig_len, &buf, &len, err) != 0)
		goto out;
	if (x_out != NULL) {
		p = buf;
		if ((x = d2i_X509(NULL, &p, (long)len)) == NULL || p != buf + len) {
			kk_err_set(err, KK_ERR_INTERNAL, "signed certificate does not parse");
			goto out;
		}
		/* X509_verify also requires the outer and inner algorithm identifiers to match */
		if (X509_verify(x, pub) != 1) {
			kk_err_set(err, KK_ERR_INTERNAL, "token signature by %s does not verify",
			    label);
			goto out;
		}
		*x_out = x;
		x = NULL;
	}
	*der = buf;
	*der_len = len;
	buf = NULL;
	rc = 0;
out:
	if (rc != 0)
		kk_err_append_openssl(err);
	free(buf);
	free(sig);
	X509_free(x);
	return rc;
}

int
kk_ca_sign_x509(kk_signer *s, const char *label, X509 *cert, X509 **out, kk_err *err)
{
	EVP_PKEY *pub = NULL, *tk = ca_throwaway_key();
	unsigned char *tbs = NULL, *der = NULL;
	size_t der_len = 0;
	int tbs_len, rc = -1;

	/* Signing with the throwaway key sets both algorithm identifiers exactly as the
	 * token's signature needs them; the token then signs the same TBS bytes. */
	if (tk == NULL || X509_sign(cert, tk, EVP_sha256()) <= 0 ||
	    (tbs_len = i2d_re_X509_tbs(cert, &tbs)) <= 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot encode the TBS certificate");
		kk_err_append_openssl(err);
		goto out;
	}
	if (kk_signer_public_key(s, label, &pub, err) != 0 ||
	    sign_tbs(s, label, pub, tbs, (size_t)tbs_len, &der, &der_len, out, err) != 0)
		goto out;
	rc = 0;
out:
	OPENSSL_free(tbs);
	free(der);
	EVP_PKEY_free(pub);
	return rc;
}

/* tbs is a v3 TBSCertificate of the issuing CA (RFC 5280 4.1.2): SEQUENCE { [0]
 * INTEGER 2, serialNumber INTEGER, signature = sha256WithRSAEncryption, issuer = the
 * issuing CA's subject (byte for byte), validity, subject, subjectPublicKeyInfo, [3]
 * extensions } and nothing more. Whatever else reaches the signer is refused. */
static int
tbs_shape_ok(const unsigned char *tbs, size_t len, const X509 *issuing)
{
	static const unsigned char v3[] = { 0x02, 0x01, 0x02 };
	static const int tags[] = { 0xa0, 0x02, 0x30, 0x30, 0x30, 0x30, 0x30, 0xa3 };
	const unsigned char *p = tbs, *end = tbs + len, *start;
	unsigned char *name = NULL;
	size_t n;
	int tag, name_len, ok = 0;
	unsigned i;

	if (kk_der_tlv(&p, end, &tag, &n) != 0 || tag != 0x30 || p + n != end ||
	    (name_len = i2d_X509_NAME(X509_get_subject_name(issuing), &name)) <= 0)
		goto out;
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		start = p;
		if (kk_der_tlv(&p, end, &tag, &n) != 0 || tag != tags[i])
			goto out;
		if ((i == 0 && (n != sizeof(v3) || memcmp(p, v3, n) != 0)) ||
		    (i == 2 && ((size_t)(p - start) + n != sizeof(sha256_rsa_algid) ||
		    memcmp(start, sha256_rsa_algid, sizeof(sha256_rsa_algid)) != 0)) ||
		    (i == 3 && ((size_t)(p - start) + n != (size_t)name_len ||
		    memcmp(start, name, (size_t)name_len) != 0)))
			goto out;
		p += n;
	}
	ok = p == end;
out:
	OPENSSL_free(name);
	return ok;
}

int
kk_ca_sign(kk_ca *ca, const unsigned char *tbs_der, size_t tbs_len, unsigned char **der,
    size_t *der_len, kk_err *err)
{
	if (!tbs_shape_ok(tbs_der, tbs_len, ca->issuing))
		return kk_err_set(err, KK_ERR_INTERNAL, "refusing to sign: not a v3 "
		    "TBSCertificate of the issuing CA");
	return sign_tbs(ca->signer, KK_KEY_ISSUING, X509_get0_pubkey(ca->issuing), tbs_der,
	    tbs_len, der, der_len, NULL, err);
}

int
kk_ca_sign_tbs(kk_ca *ca, const char *label, const unsigned char *tbs, size_t tbs_len,
    unsigned char **der, size_t *der_len, kk_err *err)
{
	return sign_wrap(ca->signer, label, tbs, tbs_len, der, der_len, err);
}

/* The offset in the DER TBSCertList tbs where revokedCertificates belongs: before
 * [0] crlExtensions, or at the end (RFC 5280 5.1). tbs comes from i2d (well-formed);
 * *content is the offset of the outer SEQUENCE's contents. -1 if it does not parse. */
static int
crl_splice_point(const unsigned char *tbs, size_t tbs_len, size_t *content, size_t *at)
{
	const unsigned char *p = tbs, *end;
	long len = 0;
	int tag = 0, cls = 0;

	if (ASN1_get_object(&p, &len, &tag, &cls, (long)tbs_len) & 0x80 ||
	    tag != V_ASN1_SEQUENCE || p + len != tbs + tbs_len)
		return -1;
	*content = (size_t)(p - tbs);
	end = p + len;
	while (p < end) {
		const unsigned char *el = p;

		if (ASN1_get_object(&p, &len, &tag, &cls, end - p) & 0x80)
			return -1;
		if (cls == V_ASN1_CONTEXT_SPECIFIC && tag == 0) {
			*at = (size_t)(el - tbs);
			return 0;
		}
		p += len;
	}
	*at = tbs_len;
	return 0;
}

int
kk_ca_crl_tbs(X509_CRL *crl, const unsigned char *entries, size_t entries_len,
    unsigned char **tbs, size_t *tbs_len, kk_err *err)
{
	EVP_PKEY *tk = ca_throwaway_key();
	unsigned char *t = NULL, *buf = NULL, *p;
	size_t content = 0, at = 0, list, body;
	int len, rc = -1;

	/* as for certificates: the throwaway signature sets both algorithm identifiers,
	 * then the token signs the same TBSCertList bytes (RFC 5280 5.1.1.2) */
	if (tk == NULL || X509_CRL_sign(crl, tk, EVP_sha256()) <= 0 ||
	    (len = i2d_re_X509_CRL_tbs(crl, &t)) <= 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot encode the TBSCertList");
		kk_err_append_openssl(err);
		goto out;
	}
	if (entries_len > 0 && (sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)) > 0 ||
	    crl_splice_point(t, (size_t)len, &content, &at) != 0)) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot splice entries into the TBSCertList");
		goto out;
	}
	if (entries_len > TBS_MAX) {
		kk_err_set(err, KK_ERR_INTERNAL, "to-be-signed data of %zu bytes", entries_len);
		goto out;
	}
	/* SEQUENCE { version .. nextUpdate, SEQUENCE OF entries, [0] crlExtensions } */
	list = entries_len == 0 ? 0 : 1 + der_len_size(entries_len) + entries_len;
	body = (size_t)len - content + list;
	if ((buf = kk_malloc(1 + der_len_size(body) + body)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (list == 0) {
		memcpy(buf, t, (size_t)len);
		p = buf + len;
	} else {
		p = der_put_header(buf, 0x30, body);
		memcpy(p, t + content, at - content);
		p = der_put_header(p + (at - content), 0x30, entries_len);
		memcpy(p, entries, entries_len);
		memcpy(p + entries_len, t + at, (size_t)len - at);
		p += entries_len + ((size_t)len - at);
	}
	*tbs = buf;
	*tbs_len = (size_t)(p - buf);
	buf = NULL;
	rc = 0;
out:
	OPENSSL_free(t);
	free(buf);
	return rc;
}

int
kk_ca_sign_crl_tbs(kk_ca *ca, const unsigned char *tbs, size_t tbs_len, unsigned char **der,
    size_t *der_len, kk_err *err)
{
	unsigned char *sig = NULL;
	size_t sig_len = 0;
	int rc = -1;

	if (tbs_len == 0 || tbs_len > TBS_MAX) {
		kk_err_set(err, KK_ERR_INTERNAL, "to-be-signed data of %zu bytes", tbs_len);
		goto out;
	}
	if (kk_signer_sign(ca->signer, KK_KEY_ISSUING, tbs, tbs_len, &sig, &sig_len, err) != 0)
		goto out;
	/* the signature, not a re-parse: d2i_X509_CRL of a million entries costs more than
	 * the rest of the CRL path, and lint_crl_tbs has walked these very bytes */
	if (!sig_verifies(X509_get0_pubkey(ca->issuing), tbs, tbs_len, sig,
	    sig_len)) {
		kk_err_set(err, KK_ERR_INTERNAL, "token signature over the CRL does not verify");
		kk_err_append_openssl(err);
		goto out;
	}
	rc = ca_assemble(tbs, tbs_len, sig, sig_len, der, der_len, err);
out:
	free(sig);
	return rc;
}

int
kk_ca_sign_crl(kk_ca *ca, X509_CRL *crl, X509_CRL **out, kk_err *err)
{
	unsigned char *tbs = NULL, *der = NULL;
	const unsigned char *p;
	size_t tbs_len = 0, der_len = 0;
	X509_CRL *c = NULL;
	int rc = -1;

	if (kk_ca_crl_tbs(crl, NULL, 0, &tbs, &tbs_len, err) != 0 ||
	    kk_ca_sign_crl_tbs(ca, tbs, tbs_len, &der, &der_len, err) != 0)
		goto out;
	p = der;
	if ((c = d2i_X509_CRL(NULL, &p, (long)der_len)) == NULL || p != der + der_len ||
	    X509_CRL_verify(c, X509_get0_pubkey(ca->issuing)) != 1) {
		kk_err_set(err, KK_ERR_INTERNAL, "signed CRL does not parse or verify");
		kk_err_append_openssl(err);
		goto out;
	}
	*out = c;
	c = NULL;
	rc = 0;
out:
	free(tbs);
	free(der);
	X509_CRL_free(c);
	return rc;
}
