/*
 * CSR checks at finalize (include/kakuin/ca.h, kk_csr_check): proof of possession
 * (CP 3.2.1), key type, size and quality (CP 6.1.5, 6.1.6), and the names
 * (RFC 8555 7.4: the CSR asks for exactly the order's identifiers). Every refusal is badCSR with a detail that
 * tells the subscriber what to change.
 */
#include <string.h>
#include <strings.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include "kakuin/ca.h"
#include "kakuin/keycheck.h"

#define MAX_CSR_NAMES 100

/*
 * CP 6.1.5: RSA only; the size and quality rules are kk_key_check's (BR 6.1.1.3,
 * 6.1.5, 6.1.6), whose refusal becomes badCSR with the same detail.
 */
static int
check_key(X509_REQ *req, const kk_policy *pol, kk_err *err)
{
	EVP_PKEY *pk = X509_REQ_get0_pubkey(req);

	if (pk == NULL)
		return kk_err_set(err, KK_ERR_BAD_CSR, "CSR public key could not be parsed");
	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA)
		return kk_err_set(err, KK_ERR_BAD_CSR,
		    "kakuin issues RSA certificates only (CP 6.1.5): request an RSA key of at "
		    "least %d bits, e.g. certbot --key-type rsa, lego --key-type rsa%d",
		    pol->rsa_min_bits, pol->rsa_min_bits);
	if (kk_key_check(pk, pol, err) != 0) {
		if (err != NULL && err->kind == KK_ERR_BAD_PUBLIC_KEY)
			err->kind = KK_ERR_BAD_CSR;
		return -1;
	}
	return 0;
}

/* A CSR string as C text; embedded NULs are refused. Borrowed from s. */
static const char *
asn1_text(const ASN1_STRING *s)
{
	const char *p = (const char *)ASN1_STRING_get0_data(s);

	if (p == NULL || (size_t)ASN1_STRING_length(s) != strlen(p))
		return NULL;
	return p;
}

static int
listed(const char *name, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(name, list[i]) == 0)
			return 1;
	return 0;
}

/* The SAN dNSNames into san[] (borrowed from *gens, which the caller frees). */
static int
collect_sans(X509_REQ *req, GENERAL_NAMES **gens, const char **san, size_t *n, kk_err *err)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	GENERAL_NAME *g;
	int i, crit = -1;

	*n = 0;
	*gens = exts != NULL ? X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL) : NULL;
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	if (*gens == NULL)
		return crit == -2 ? kk_err_set(err, KK_ERR_BAD_CSR,
		    "CSR has more than one subjectAltName extension") : 0;
	if (sk_GENERAL_NAME_num(*gens) > MAX_CSR_NAMES)
		return kk_err_set(err, KK_ERR_BAD_CSR, "CSR lists more than %d names",
		    MAX_CSR_NAMES);
	for (i = 0; i < sk_GENERAL_NAME_num(*gens); i++) {
		g = sk_GENERAL_NAME_value(*gens, i);
		if (g->type != GEN_DNS)
			return kk_err_set(err, KK_ERR_BAD_CSR,
			    "CSR subjectAltName may contain DNS names only (CP 3.1.1)");
		if ((san[(*n)++] = asn1_text(g->d.dNSName)) == NULL)
			return kk_err_set(err, KK_ERR_BAD_CSR, "CSR has a malformed DNS name");
	}
	return 0;
}

/* SANs plus the CN must be exactly the order's names; the CN must be a SAN. */
static int
check_names(X509_REQ *req, const char *const *names, size_t n_names, kk_err *err)
{
	const char *san[MAX_CSR_NAMES], *cn = NULL;
	GENERAL_NAMES *gens = NULL;
	const X509_NAME *subj = X509_REQ_get_subject_name(req);
	size_t n_san = 0, i;
	int idx, rc = -1;

	if (collect_sans(req, &gens, san, &n_san, err) != 0)
		goto out;
	if ((idx = X509_NAME_get_index_by_NID(subj, NID_commonName, -1)) >= 0) {
		if (X509_NAME_get_index_by_NID(subj, NID_commonName, idx) >= 0) {
			kk_err_set(err, KK_ERR_BAD_CSR, "CSR has more than one commonName");
			goto out;
		}
		cn = asn1_text(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx)));
		if (cn == NULL) {
			kk_err_set(err, KK_ERR_BAD_CSR, "CSR has a malformed commonName");
			goto out;
		}
		if (!listed(cn, san, n_san)) {
			kk_err_set(err, KK_ERR_BAD_CSR,
			    "CSR commonName %s is not among its subjectAltName DNS names", cn);
			goto out;
		}
	}
	if (n_san == 0) {
		kk_err_set(err, KK_ERR_BAD_CSR, "CSR has no subjectAltName DNS names");
		goto out;
	}
	for (i = 0; i < n_san; i++)
		if (!listed(san[i], names, n_names)) {
			kk_err_set(err, KK_ERR_BAD_CSR,
			    "CSR names %s, which is not an identifier of this order", san[i]);
			goto out;
		}
	for (i = 0; i < n_names; i++)
		if (!listed(names[i], san, n_san)) {
			kk_err_set(err, KK_ERR_BAD_CSR,
			    "CSR does not name %s, an identifier of this order", names[i]);
			goto out;
		}
	rc = 0;
out:
	GENERAL_NAMES_free(gens);
	return rc;
}

int
kk_csr_check(const unsigned char *der, size_t len, const kk_policy *pol,
    const char *const *names, size_t n_names, X509_REQ **out, kk_err *err)
{
	const unsigned char *p = der;
	X509_REQ *req = NULL;
	EVP_PKEY *pk;

	if (len == 0 || len > 64 * 1024 || (req = d2i_X509_REQ(NULL, &p, (long)len)) == NULL ||
	    p != der + len) {
		ERR_clear_error();
		X509_REQ_free(req);
		return kk_err_set(err, KK_ERR_BAD_CSR, "could not parse CSR");
	}
	/* CP 3.2.1: the CSR signature proves possession of the private key */
	if ((pk = X509_REQ_get0_pubkey(req)) == NULL || X509_REQ_verify(req, pk) != 1) {
		ERR_clear_error();
		kk_err_set(err, KK_ERR_BAD_CSR, "CSR signature does not verify (CP 3.2.1)");
		goto fail;
	}
	if (check_key(req, pol, err) != 0 || check_names(req, names, n_names, err) != 0)
		goto fail;
	*out = req;
	return 0;
fail:
	X509_REQ_free(req);
	return -1;
}
