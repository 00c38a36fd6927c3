/*
 * Certificate Transparency client (RFC 6962): submits a precertificate to the policy's
 * logs and returns the verified SCTs for the SignedCertificateTimestampList extension
 * (1.3.6.1.4.1.11129.2.4.2) of CP table 7.1-1. Network and SCT checks only: it never
 * signs, never touches the store, and takes the time from kk_now().
 */
#ifndef KAKUIN_CT_H
#define KAKUIN_CT_H

#include <stddef.h>
#include <openssl/x509.h>
#include "kakuin/err.h"
#include "kakuin/policy.h"

/* Submits precert (DER, carrying the critical poison extension 1.3.6.1.4.1.11129.2.4.3,
 * signed by the issuing CA itself, BR SC-092) with its chain (chain_pem: the issuing CA
 * certificate, then the root, as in DATA/ca/chain.pem) to every log of ct whose
 * temporal interval holds the precertificate's notAfter, in parallel (libcurl multi,
 * POST <url>ct/v1/add-pre-chain, RFC 6962 4.1), each bounded by ct->timeout_seconds.
 * Every answer is checked: SCT v1, log ID = the log's, timestamp not in the future
 * beyond a small skew, signature valid with the log's key over the precert_entry
 * (RFC 6962 3.2: issuer_key_hash of issuer's SPKI, the TBS without the poison).
 * On success *sct_list (caller frees) is the TLS-encoded SignedCertificateTimestampList
 * (RFC 6962 3.3), one SCT per answering log, holding at least ct->min_scts SCTs from at
 * least ct->min_operators operators. Otherwise -1, KK_ERR_INTERNAL, and a detail that
 * names every log and why it gave no usable SCT ("log X: connection refused", "log Y:
 * SCT signature does not verify", "only 1 of 2 required SCTs"). */
int kk_ct_collect(const kk_ct_policy *ct, const unsigned char *precert, size_t precert_len,
    const X509 *issuer, const char *chain_pem, unsigned char **sct_list, size_t *sct_len,
    kk_err *err);

/* Verifies the SCTs embedded in a final certificate (its SCT list extension) with the
 * keys of ct's logs against issuer: *n_valid = SCTs that verify, *n_operators = distinct
 * operators among them. -1 with err if the extension is missing or malformed, or an SCT
 * comes from an unknown log or does not verify. */
int kk_ct_verify_cert(const kk_ct_policy *ct, const X509 *cert, const X509 *issuer,
    int *n_valid, int *n_operators, kk_err *err);

#endif
