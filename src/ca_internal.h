/* Shared between src/ca.c (planning, lint), src/ca_sign.c (everything the token signs)
 * and src/lint_status.c (the throwaway key that lints CRLs before signing) only. */
#ifndef KAKUIN_CA_INTERNAL_H
#define KAKUIN_CA_INTERNAL_H

#include "kakuin/ca.h"

#define TBS_MAX (512 * 1024)

struct kk_ca {
	kk_policy pol;
	kk_signer *signer;
	X509 *issuing;
	time_t issuing_not_after;
	char *chain_pem;
};

/* The per-process throwaway RSA key for linting and for setting a TBS's algorithm
 * identifiers before the token signs the same bytes. Borrowed for the life of the
 * process; NULL if generation failed. */
EVP_PKEY *ca_throwaway_key(void);

/* Certificate ::= SEQUENCE { tbsCertificate, sha256WithRSAEncryption, signatureValue
 * BIT STRING } (RFC 5280 4.1) around tbs and sig. Caller frees *der. */
int ca_assemble(const unsigned char *tbs, size_t tbs_len, const unsigned char *sig,
    size_t sig_len, unsigned char **der, size_t *der_len, kk_err *err);

/* certificatePolicies with the first n policy OIDs: the CP OID with the CPS URI
 * qualifier, the others (the CA/B Forum OV OID) bare. Subscribers get all of them (CP
 * table 7.1-1), the OCSP responder the CP OID alone (table 7.1-2). */
int ca_add_policies(X509 *x, const kk_policy *pol, size_t n, kk_err *err);

#endif
