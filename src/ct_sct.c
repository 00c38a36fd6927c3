/*
 * Certificate Transparency: the SCT wire format and its signature (RFC 6962 3.2, 3.3),
 * and the check of the SCTs embedded in a final certificate.
 *
 * A log signs, for a precertificate, the precert_entry: the SHA-256 of the issuer's
 * SubjectPublicKeyInfo and the TBSCertificate without the poison extension. The final
 * certificate's TBS without the SCT list extension is the same octets, which is how a TLS
 * client checks an embedded SCT and how kk_ct_verify_cert does. Everything here is
 * written by hand from the RFC (OpenSSL's CT API has no public way to add a log to a
 * CTLOG_STORE); OpenSSL only re-encodes the TBS and checks the signature.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include "kakuin/clock.h"
#include "kakuin/ct.h"
#include "kakuin/util.h"
#include "ct_internal.h"

#define SCT_VERSION_V1		0
#define SCT_SIG_TYPE_CT		0	/* certificate_timestamp */
#define SCT_ENTRY_PRECERT	1	/* precert_entry */
#define TLS_HASH_SHA256		4
#define TLS_SIG_RSA		1
#define TLS_SIG_ECDSA		3

/* A reader over TLS-encoded octets (RFC 5246 4): big-endian integers and opaque vectors
 * with a length prefix. Reading past the end sets bad and yields zeros. */
typedef struct tls_rd {
	const unsigned char *p;
	size_t left;
	int bad;
} tls_rd;

static uint64_t
tls_uint(tls_rd *r, size_t n)
{
	uint64_t v = 0;

	if (r->bad || r->left < n) {
		r->bad = 1;
		return 0;
	}
	while (n-- > 0) {
		v = v << 8 | *r->p++;
		r->left--;
	}
	return v;
}

/* n octets, borrowed from the reader's octets; NULL past the end. */
static const unsigned char *
tls_fixed(tls_rd *r, size_t n)
{
	const unsigned char *v = r->p;

	if (r->bad || r->left < n) {
		r->bad = 1;
		return NULL;
	}
	r->p += n;
	r->left -= n;
	return v;
}

/* An opaque<0..2^(8*n)-1>, borrowed from the reader's octets. */
static const unsigned char *
tls_opaque(tls_rd *r, size_t n, size_t *len)
{
	const unsigned char *v;

	*len = (size_t)tls_uint(r, n);
	if ((v = tls_fixed(r, *len)) == NULL)
		*len = 0;
	return v;
}

static unsigned char *
tls_put(unsigned char *p, uint64_t v, size_t n)
{
	while (n-- > 0)
		*p++ = (unsigned char)(v >> (8 * n));
	return p;
}

void
ct_entry_free(ct_entry *e)
{
	if (e == NULL)
		return;
	OPENSSL_free(e->tbs);
	memset(e, 0, sizeof(*e));
}

int
ct_entry_init(ct_entry *e, const X509 *cert, const X509 *issuer, int nid, kk_err *err)
{
	X509 *dup = NULL;
	unsigned char *spki = NULL;
	int idx, n, rv = -1;

	memset(e, 0, sizeof(*e));
	idx = X509_get_ext_by_NID(cert, nid, -1);
	if (idx < 0 || X509_get_ext_by_NID(cert, nid, idx) >= 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "CT: the certificate must carry exactly one %s "
		    "extension", OBJ_nid2sn(nid));
		goto out;
	}
	/* RFC 6962 3.2: tbs_certificate without the extension, re-encoded in DER */
	if ((dup = X509_dup(cert)) == NULL)
		goto ossl;
	X509_EXTENSION_free(X509_delete_ext(dup, idx));
	if ((n = i2d_re_X509_tbs(dup, &e->tbs)) <= 0)
		goto ossl;
	e->tbs_len = (size_t)n;
	/* issuer_key_hash: SHA-256 of the issuer's DER SubjectPublicKeyInfo */
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(issuer), &spki);
	if (n <= 0 || EVP_Digest(spki, (size_t)n, e->issuer_key_hash, NULL, EVP_sha256(),
	    NULL) != 1)
		goto ossl;
	rv = 0;
	goto out;
ossl:
	kk_err_set(err, KK_ERR_INTERNAL, "CT: cannot re-encode the TBSCertificate: ");
	kk_err_append_openssl(err);
out:
	OPENSSL_free(spki);
	X509_free(dup);
	if (rv == -1)
		ct_entry_free(e);
	return rv;
}

const char *
ct_sct_parse(const unsigned char *der, size_t len, ct_sct *out)
{
	tls_rd r = { der, len, 0 };
	const unsigned char *id;

	memset(out, 0, sizeof(*out));
	if (tls_uint(&r, 1) != SCT_VERSION_V1)
		return r.bad ? "empty SCT" : "not an SCT v1";
	if ((id = tls_fixed(&r, 32)) == NULL)
		return "truncated SCT";
	memcpy(out->log_id, id, 32);
	out->timestamp = tls_uint(&r, 8);
	out->ext = tls_opaque(&r, 2, &out->ext_len);
	/* digitally-signed struct (RFC 5246 4.7) */
	out->hash_alg = (unsigned char)tls_uint(&r, 1);
	out->sig_alg = (unsigned char)tls_uint(&r, 1);
	out->sig = tls_opaque(&r, 2, &out->sig_len);
	if (r.bad || r.left != 0)
		return "malformed SCT";
	if (out->hash_alg != TLS_HASH_SHA256 || (out->sig_alg != TLS_SIG_ECDSA &&
	    out->sig_alg != TLS_SIG_RSA))
		return "SCT signature is not sha256 with ECDSA or RSA";
	return NULL;
}

/* The digitally-signed content of RFC 6962 3.2 for a precert_entry. Caller frees. */
static unsigned char *
sct_signed_data(const ct_sct *sct, const ct_entry *e, size_t *len)
{
	unsigned char *buf, *p;

	*len = 1 + 1 + 8 + 2 + 32 + 3 + e->tbs_len + 2 + sct->ext_len;
	if ((buf = kk_malloc(*len)) == NULL)
		return NULL;
	p = tls_put(buf, SCT_VERSION_V1, 1);
	p = tls_put(p, SCT_SIG_TYPE_CT, 1);
	p = tls_put(p, sct->timestamp, 8);
	p = tls_put(p, SCT_ENTRY_PRECERT, 2);
	memcpy(p, e->issuer_key_hash, 32);
	p = tls_put(p + 32, e->tbs_len, 3);
	memcpy(p, e->tbs, e->tbs_len);
	p = tls_put(p + e->tbs_len, sct->ext_len, 2);
	if (sct->ext_len > 0)
		memcpy(p, sct->ext, sct->ext_len);
	return buf;
}

const char *
ct_sct_check(const kk_ct_log *log, const ct_sct *sct, const ct_entry *e)
{
	const unsigned char *p = log->key;
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *md = NULL;
	unsigned char *data = NULL;
	const char *why = NULL;
	size_t len;
	int type;

	if (memcmp(sct->log_id, log->log_id, sizeof(sct->log_id)) != 0)
		return "SCT log ID is not the log's";
	if (sct->timestamp / 1000 > (uint64_t)kk_now() + CT_MAX_SKEW_SECONDS)
		return "SCT timestamp is in the future";
	if (e->tbs_len >= 1 << 24)
		return "TBSCertificate too large for an SCT";
	if ((key = d2i_PUBKEY(NULL, &p, (long)log->key_len)) == NULL) {
		why = "log key does not parse";
		goto out;
	}
	type = EVP_PKEY_get_base_id(key);
	if ((sct->sig_alg == TLS_SIG_ECDSA && type != EVP_PKEY_EC) ||
	    (sct->sig_alg == TLS_SIG_RSA && type != EVP_PKEY_RSA)) {
		why = "SCT signature algorithm does not match the log key";
		goto out;
	}
	if ((data = sct_signed_data(sct, e, &len)) == NULL || (md = EVP_MD_CTX_new()) == NULL) {
		why = "out of memory";
		goto out;
	}
	if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestVerify(md, sct->sig, sct->sig_len, data, len) != 1)
		why = "SCT signature does not verify";
out:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	free(data);
	return why;
}

/* Strict standard base64 (RFC 4648 4) of a JSON string member. Caller frees *out. */
static const char *
sct_b64(const json_t *o, const char *key, unsigned char **out, size_t *len)
{
	const char *s = json_string_value(json_object_get(o, key));
	size_t n, pad;
	int got;

	*out = NULL;
	if (s == NULL)
		return "SCT field is not base64";
	n = strlen(s);
	pad = n - strcspn(s, "=");	/* '=' only as the last one or two characters */
	if (n % 4 != 0 || pad > 2 || strspn(s + n - pad, "=") != pad || strspn(s,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") != n - pad)
		return "SCT field is not base64";
	if ((*out = kk_malloc(n / 4 * 3 + 1)) == NULL)
		return "out of memory";
	got = n == 0 ? 0 : EVP_DecodeBlock(*out, (const unsigned char *)s, (int)n);
	if (got < 0) {
		free(*out);
		*out = NULL;
		return "SCT field is not base64";
	}
	/* EVP_DecodeBlock counts the padding as zero octets */
	*len = (size_t)got - pad;
	return NULL;
}

const char *
ct_sct_from_json(const json_t *answer, unsigned char **der, size_t *len)
{
	const json_t *ver = json_object_get(answer, "sct_version");
	const json_t *ts = json_object_get(answer, "timestamp");
	unsigned char *id = NULL, *ext = NULL, *sig = NULL, *p;
	size_t id_len = 0, ext_len = 0, sig_len = 0;
	const char *why = NULL;

	*der = NULL;
	if (!json_is_object(answer) || !json_is_integer(ver) || !json_is_integer(ts) ||
	    json_integer_value(ts) < 0) {
		why = "answer is not an SCT (RFC 6962 4.1)";
		goto out;
	}
	if (json_integer_value(ver) != SCT_VERSION_V1) {
		why = "not an SCT v1";
		goto out;
	}
	if ((why = sct_b64(answer, "id", &id, &id_len)) != NULL ||
	    (why = sct_b64(answer, "extensions", &ext, &ext_len)) != NULL ||
	    (why = sct_b64(answer, "signature", &sig, &sig_len)) != NULL)
		goto out;
	if (id_len != 32 || ext_len > 0xffff) {
		why = "SCT log ID or extensions malformed";
		goto out;
	}
	/* SerializedSCT: version, id, timestamp, extensions<0..2^16-1>, digitally-signed */
	*len = 1 + 32 + 8 + 2 + ext_len + sig_len;
	if (*len > CT_LIST_MAX - 2 || (*der = kk_malloc(*len)) == NULL) {
		why = *len > CT_LIST_MAX - 2 ? "SCT too large" : "out of memory";
		goto out;
	}
	p = tls_put(*der, SCT_VERSION_V1, 1);
	memcpy(p, id, 32);
	p = tls_put(p + 32, (uint64_t)json_integer_value(ts), 8);
	p = tls_put(p, ext_len, 2);
	if (ext_len > 0)
		memcpy(p, ext, ext_len);
	memcpy(p + ext_len, sig, sig_len);
out:
	free(id);
	free(ext);
	free(sig);
	if (why != NULL) {
		free(*der);
		*der = NULL;
	}
	return why;
}

/* The TLS SignedCertificateTimestampList inside the certificate's extension: an OCTET
 * STRING (RFC 6962 3.3) in the extension's own OCTET STRING. *list borrows from *os,
 * which the caller frees. */
static int
verify_list(const X509 *cert, ASN1_OCTET_STRING **os, tls_rd *list, kk_err *err)
{
	const ASN1_OCTET_STRING *v;
	const unsigned char *p;
	size_t total;
	int idx;

	*os = NULL;
	if ((idx = X509_get_ext_by_NID(cert, NID_ct_precert_scts, -1)) < 0)
		return kk_err_set(err, KK_ERR_INTERNAL, "CT: the certificate has no SCT list");
	v = X509_EXTENSION_get_data(X509_get_ext(cert, idx));
	p = ASN1_STRING_get0_data(v);
	if ((*os = d2i_ASN1_OCTET_STRING(NULL, &p, ASN1_STRING_length(v))) == NULL ||
	    p != ASN1_STRING_get0_data(v) + ASN1_STRING_length(v))
		return kk_err_set(err, KK_ERR_INTERNAL, "CT: the SCT list extension is not an "
		    "OCTET STRING");
	list->p = ASN1_STRING_get0_data(*os);
	list->left = (size_t)ASN1_STRING_length(*os);
	list->bad = 0;
	total = (size_t)tls_uint(list, 2);
	if (list->bad || total != list->left || total == 0)
		return kk_err_set(err, KK_ERR_INTERNAL, "CT: malformed SCT list");
	return 0;
}

static const kk_ct_log *
verify_find_log(const kk_ct_policy *ct, const unsigned char *log_id)
{
	size_t i;

	for (i = 0; i < ct->n_logs; i++)
		if (memcmp(ct->logs[i].log_id, log_id, 32) == 0)
			return &ct->logs[i];
	return NULL;
}

int
kk_ct_verify_cert(const kk_ct_policy *ct, const X509 *cert, const X509 *issuer,
    int *n_valid, int *n_operators, kk_err *err)
{
	const char *ops[KK_CT_MAX_LOGS], *why;
	ASN1_OCTET_STRING *os = NULL;
	const unsigned char *der;
	const kk_ct_log *log;
	ct_entry e = { { 0 }, NULL, 0 };
	tls_rd list = { NULL, 0, 0 };
	ct_sct sct;
	char hex[17];
	size_t len, i, n_ops = 0;
	int n = 0, rv = -1;

	*n_valid = *n_operators = 0;
	if (verify_list(cert, &os, &list, err) != 0 ||
	    ct_entry_init(&e, cert, issuer, NID_ct_precert_scts, err) != 0)
		goto out;
	while (list.left > 0) {
		der = tls_opaque(&list, 2, &len);
		n++;
		if (list.bad || len == 0) {
			kk_err_set(err, KK_ERR_INTERNAL, "CT: malformed SCT list at SCT %d", n);
			goto out;
		}
		if ((why = ct_sct_parse(der, len, &sct)) != NULL) {
			kk_err_set(err, KK_ERR_INTERNAL, "CT: SCT %d: %s", n, why);
			goto out;
		}
		if ((log = verify_find_log(ct, sct.log_id)) == NULL) {
			kk_hex(sct.log_id, 8, hex);
			kk_err_set(err, KK_ERR_INTERNAL, "CT: SCT %d: unknown log ID %s...", n,
			    hex);
			goto out;
		}
		if ((why = ct_sct_check(log, &sct, &e)) != NULL) {
			kk_err_set(err, KK_ERR_INTERNAL, "CT: SCT %d (%s): %s", n, log->name, why);
			goto out;
		}
		for (i = 0; i < n_ops && strcmp(ops[i], log->operator_name) != 0; i++)
			;
		if (i == n_ops)
			ops[n_ops++] = log->operator_name;
	}
	*n_valid = n;
	*n_operators = (int)n_ops;
	rv = 0;
out:
	ct_entry_free(&e);
	ASN1_OCTET_STRING_free(os);
	return rv;
}
