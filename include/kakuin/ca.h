/*
 * The CA: builds to-be-signed certificates from the policy profile (CP table 7.1-1),
 * checks them, and has the signer sign them. It never parses HTTP or touches SQL: the
 * RA orchestrates the crash-safe order (reserve serial -> plan TBS -> sign -> store).
 */
#ifndef KAKUIN_CA_H
#define KAKUIN_CA_H

#include <stddef.h>
#include <time.h>
#include <openssl/x509.h>
#include "kakuin/err.h"
#include "kakuin/policy.h"
#include "kakuin/signer.h"

/* Key labels in the token */
#define KK_KEY_ROOT "kakuin-root"
#define KK_KEY_ISSUING "kakuin-issuing"
#define KK_KEY_TLS_CA "kakuin-tls-ca"
#define KK_KEY_OCSP "kakuin-ocsp"   /* delegated OCSP responder, CP table 7.1-2 */

/* Where `kakuin init` keeps things under the data directory */
typedef struct kk_paths {
	char data_dir[512];
	char db[600];           /* DIR/kakuin.db */
	char hsm_dir[600];      /* DIR/hsm (softhsm2.conf, tokens/, pins) */
	char softhsm_conf[600]; /* DIR/hsm/softhsm2.conf */
	char root_pem[600];     /* DIR/ca/root.pem */
	char issuing_pem[600];  /* DIR/ca/issuing.pem */
	char chain_pem[600];    /* DIR/ca/chain.pem (issuing then root) */
	char ocsp_pem[600];     /* DIR/ca/ocsp.pem (OCSP responder, CP table 7.1-2) */
	char tls_ca_pem[600];   /* DIR/tls/ca.pem */
	char tls_cert_pem[600]; /* DIR/tls/server.pem */
	char tls_key_pem[600];  /* DIR/tls/server.key (the listener's key, not a CA key) */
} kk_paths;
void kk_paths_init(kk_paths *p, const char *data_dir);

/* Signer configuration for a data dir: SoftHSM conf under DIR/hsm, PINs from
 * $KAKUIN_HSM_PIN/$KAKUIN_HSM_SO_PIN or DIR/hsm/user.pin, so.pin (mode 0600), created on
 * first use by kk_ca_init. The strings live in *storage. */
typedef struct kk_signer_setup {
	kk_signer_cfg cfg;
	char user_pin[64], so_pin[64];
} kk_signer_setup;
int kk_signer_setup_load(kk_signer_setup *s, const kk_paths *p, int create, kk_err *err);

/* `kakuin init`: token, root + issuing keys in the token, their certificates, chain.pem,
 * the local TLS CA (key in the token) and the listener's TLS certificate for localhost
 * and 127.0.0.1. Idempotent: existing files and keys are kept. */
int kk_ca_init(const kk_paths *p, const kk_policy *pol, kk_err *err);

typedef struct kk_ca kk_ca;
/* Loads the issuing certificate and opens the signer. */
int kk_ca_open(kk_ca **out, const kk_paths *p, const kk_policy *pol, kk_err *err);
void kk_ca_free(kk_ca *ca);
/* PEM of issuing + root certificates, appended after the leaf on download. Borrowed. */
const char *kk_ca_chain_pem(const kk_ca *ca);
const X509 *kk_ca_issuing_cert(const kk_ca *ca);

/* Shared by `kakuin init` and the publishers (e.g. an OCSP responder certificate, CP
 * table 7.1-2): signs cert, whose fields and extensions are already set, with the token
 * key under label (sha256WithRSAEncryption), assembles the Certificate (RFC 5280 4.1)
 * and verifies it with that key's public half. *out (caller frees) is the result. */
int kk_ca_sign_x509(kk_signer *s, const char *label, X509 *cert, X509 **out, kk_err *err);
/* Adds one extension in OpenSSL's config syntax (e.g. NID_key_usage,
 * "critical,keyCertSign,cRLSign"); issuer may be cert itself (self-signed) for
 * authorityKeyIdentifier. */
int kk_ca_add_ext(X509 *cert, X509 *issuer, int nid, const char *value, kk_err *err);

/* Subject of a subscriber certificate: C from policy, the rest from the organization.
 * No OU: the CP's table lists it as optional, BR 7.1.2.7.4 (SC-47v2) has prohibited it
 * since 2022-09-01, and the stricter rule wins. validity_days: the order's profile
 * maximum (0 = the CP/BR maximum, which always caps). */
typedef struct kk_subject {
	const char *o, *l, *st;
	int validity_days;
} kk_subject;

/* A fresh random serial per policy (positive, serial_bytes long, top bit clear, non-zero
 * first octet), as lower-case hex. */
int kk_ca_new_serial(const kk_policy *pol, char out[41], kk_err *err);

/* Builds the TBS for a subscriber certificate: serial (hex), subject, SAN = names
 * (names[0] is also the CN), the key from csr, validity from now for
 * kk_policy_validity_days() but never past the issuing CA's notAfter, every extension of
 * table 7.1-1. The result is signed with a throwaway key and checked against the
 * profile (lint); *tbs_der receives the DER TBSCertificate to record before signing.
 * Caller frees *tbs_der. */
int kk_ca_plan(kk_ca *ca, const char *serial, const kk_subject *subj, const char *const *names,
    size_t n_names, X509_REQ *csr, time_t now, unsigned char **tbs_der, size_t *tbs_len,
    time_t *not_before, time_t *not_after, kk_err *err);
/* Certificate Transparency (RFC 6962 3.1). As kk_ca_plan, for a precertificate: the
 * same certificate with the critical poison extension after the table's extensions,
 * linted as a precertificate. The issuing CA signs it itself (kk_ca_sign; BR SC-092). */
int kk_ca_plan_precert(kk_ca *ca, const char *serial, const kk_subject *subj,
    const char *const *names, size_t n_names, X509_REQ *csr, time_t now,
    unsigned char **tbs_der, size_t *tbs_len, time_t *not_before, time_t *not_after,
    kk_err *err);
/* The final certificate's TBS from a planned precertificate TBS: the poison replaced, in
 * its place, by the SCT list extension holding sct_list (the TLS-encoded
 * SignedCertificateTimestampList), linted as a certificate with SCTs and checked to be
 * the precertificate exactly, apart from that extension (RFC 6962 3.2). Caller frees
 * *tbs_der. */
int kk_ca_plan_final(kk_ca *ca, const unsigned char *precert_tbs, size_t precert_len,
    const char *const *names, size_t n_names, const unsigned char *sct_list, size_t sct_len,
    unsigned char **tbs_der, size_t *tbs_len, kk_err *err);
/* Signs a planned TBS through the signer and returns the certificate DER (verified
 * against the issuing public key). Caller frees *der. */
int kk_ca_sign(kk_ca *ca, const unsigned char *tbs_der, size_t tbs_len, unsigned char **der,
    size_t *der_len, kk_err *err);

/* Signs any DER to-be-signed structure (e.g. an OCSP ResponseData, RFC 6960 4.2.1) with
 * the token key under label and returns SEQUENCE { tbs, sha256WithRSAEncryption,
 * signature BIT STRING }. Not verified here: the caller parses and verifies the
 * structure it asked for. Caller frees *der. */
int kk_ca_sign_tbs(kk_ca *ca, const char *label, const unsigned char *tbs, size_t tbs_len,
    unsigned char **der, size_t *der_len, kk_err *err);
/* Signs crl (fields, entries and extensions set) with the issuing CA key (RFC 5280 5.1,
 * sha256WithRSAEncryption) and verifies the result with the issuing certificate's key.
 * crl's algorithm fields are overwritten; *out (caller frees) is the signed CRL. */
int kk_ca_sign_crl(kk_ca *ca, X509_CRL *crl, X509_CRL **out, kk_err *err);
/* A large CRL without an X509_REVOKED per entry (issue #7.4: a million entries in
 * seconds). kk_ca_crl_tbs: the DER TBSCertList of crl (version, issuer, dates and
 * extensions set, no entries of its own) with its signature algorithm set to
 * sha256WithRSAEncryption and, when entries_len > 0, the revokedCertificates SEQUENCE OF
 * around the DER entries (their concatenation, borrowed) placed after nextUpdate (RFC
 * 5280 5.1.2.6). crl's algorithm fields are overwritten; caller frees *tbs. */
int kk_ca_crl_tbs(X509_CRL *crl, const unsigned char *entries, size_t entries_len,
    unsigned char **tbs, size_t *tbs_len, kk_err *err);
/* kk_ca_sign_crl_tbs: the issuing CA key signs the linted TBSCertList tbs; the signature
 * is verified with the issuing certificate's key and *der (caller frees) is the
 * CertificateList (RFC 5280 5.1). */
int kk_ca_sign_crl_tbs(kk_ca *ca, const unsigned char *tbs, size_t tbs_len,
    unsigned char **der, size_t *der_len, kk_err *err);

/* CSR checks (CP 3.2.1 proof of possession, 6.1.5 key size, names == order identifiers).
 * names are the order's identifiers, lower-case, wildcards as "*.example.com".
 * On success *out (caller frees) is the parsed request. Errors are KK_ERR_BAD_CSR with a
 * detail that says what to change (e.g. "request an RSA key: certbot --key-type rsa"). */
int kk_csr_check(const unsigned char *der, size_t len, const kk_policy *pol,
    const char *const *names, size_t n_names, X509_REQ **out, kk_err *err);

#endif
