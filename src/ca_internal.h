/* Shared between src/ca.c (planning, lint), src/ca_sign.c (everything the token signs)
 * and src/lint_status.c (the throwaway key that lints CRLs before signing) only. */
#ifndef KAKUIN_CA_INTERNAL_H
#define KAKUIN_CA_INTERNAL_H

#include "kakuin/ca.h"

/* Largest to-be-signed structure the token is asked to sign: a CRL grows by about 45
 * octets per revoked certificate (1,000,000 entries: 45 MB; docs/performance.md). */
#define TBS_MAX (256 * 1024 * 1024)

struct kk_ca {
	kk_policy pol;
	kk_signer *signer;
	X509 *issuing;
	time_t issuing_not_after;
	char *chain_pem;
	unsigned faults;   /* test seam, KK_CA_FAULT_*: always 0 outside unit tests */
};

/* Test seam (issue #6): deliberate builder mistakes, so unit tests can show that the
 * pre-issuance lint (src/lint_cert.c) stops a broken certificate before the token is
 * asked to sign. kk_ca_open leaves ca->faults at 0 and nothing in kakuin sets it; only
 * tests/unit/test_lint_cert.c does, through this header. Each flag breaks one rule. */
#define KK_CA_FAULT_NO_AIA           (1u << 0)  /* authorityInfoAccess dropped */
#define KK_CA_FAULT_KU_NOT_CRITICAL  (1u << 1)  /* keyUsage re-added non-critical */
#define KK_CA_FAULT_LONG_VALIDITY    (1u << 2)  /* notAfter one day past 398 days */
#define KK_CA_FAULT_DUP_EXTENSION    (1u << 3)  /* a second subjectKeyIdentifier */
#define KK_CA_FAULT_INTERNAL_NAME    (1u << 4)  /* "server.local" added to the SAN */
#define KK_CA_FAULT_BAD_POLICY_OID   (1u << 5)  /* DV OID instead of the OV OID */
#define KK_CA_FAULT_NO_POISON        (1u << 6)  /* precertificate poison removed */
#define KK_CA_FAULT_CA_TRUE          (1u << 7)  /* basicConstraints cA=TRUE added */
#define KK_CA_FAULT_ANY_EKU          (1u << 8)  /* anyExtendedKeyUsage in the EKU */
#define KK_CA_FAULT_UNKNOWN_CRITICAL (1u << 9)  /* a critical private extension */
#define KK_CA_FAULT_ISSUER_BYTES     (1u << 10) /* issuer DN re-encoded as UTF8String */
#define KK_CA_FAULT_GENERALIZED_TIME (1u << 11) /* notAfter as GeneralizedTime */

/* Applies ca->faults to the built, not yet signed certificate x (src/ca_faults.c).
 * A no-op when faults is 0. x stays owned by the caller. */
int ca_apply_faults(const kk_ca *ca, X509 *x, kk_err *err);

/* The per-process throwaway RSA key for linting and for setting a TBS's algorithm
 * identifiers before the token signs the same bytes. Borrowed for the life of the
 * process; NULL if generation failed. */
EVP_PKEY *ca_throwaway_key(void);

/* The DER AlgorithmIdentifier sha256WithRSAEncryption with NULL parameters (RFC 4055
 * 5, RFC 5280 4.1.1.2): what the token's signatures are, in src/ca_sign.c. */
#define SHA256_RSA_ALGID_LEN 15
extern const unsigned char sha256_rsa_algid[SHA256_RSA_ALGID_LEN];

/* Certificate ::= SEQUENCE { tbsCertificate, sha256WithRSAEncryption, signatureValue
 * BIT STRING } (RFC 5280 4.1) around tbs and sig. Caller frees *der. */
int ca_assemble(const unsigned char *tbs, size_t tbs_len, const unsigned char *sig,
    size_t sig_len, unsigned char **der, size_t *der_len, kk_err *err);

/* certificatePolicies with the first n policy OIDs: the CP OID with the CPS URI
 * qualifier, the others (the CA/B Forum OV OID) bare. Subscribers get all of them (CP
 * table 7.1-1), the OCSP responder the CP OID alone (table 7.1-2). */
int ca_add_policies(X509 *x, const kk_policy *pol, size_t n, kk_err *err);

#endif
