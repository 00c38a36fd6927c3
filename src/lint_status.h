/* Lint before sign for CRLs and OCSP responses (BR 4.3.1.2 as amended by SC-075): shared
 * between src/lint_status.c, src/crl.c and src/ocsp.c only. Each returns 0 when the
 * structure conforms, else -1 with KK_ERR_INTERNAL "lint: ..." in err and a kk_log
 * error line; the caller must then not ask the token to sign. */
#ifndef KAKUIN_LINT_STATUS_H
#define KAKUIN_LINT_STATUS_H

#include <time.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include "kakuin/err.h"

/* Clock skew tolerated between a thisUpdate/producedAt and now. */
#define KK_LINT_SKEW 300

/* The DER TBSCertList tbs about to be signed by issuing's key (kk_ca_crl_tbs), against
 * CP table 7.2 and RFC 5280 5 at now. The header (everything but the entries) is wrapped
 * as kk_ca_sign_crl_tbs will (sha256WithRSAEncryption, here with the throwaway key),
 * parsed with OpenSSL and checked; the revokedCertificates entries are walked in place,
 * so a million cost a linear pass rather than a million X509_REVOKED objects. */
int lint_crl_tbs(const unsigned char *tbs, size_t tbs_len, const X509 *issuing,
    time_t now, kk_err *err);

/* A successful OCSPResponse against CP 7.3, RFC 6960 and BR 4.9.10 at now: signed by
 * responder (which it includes), for certificates of issuing. The signature value
 * itself is not looked at. All arguments are borrowed. */
int lint_ocsp_response(OCSP_RESPONSE *resp, const X509 *responder, const X509 *issuing,
    time_t now, kk_err *err);

/* The DER ResponseData tbs (RFC 6960 4.2.1) about to be signed by responder's key:
 * wraps it exactly as src/ocsp.c will (sha256WithRSAEncryption, the responder
 * certificate, a successful OCSPResponse) with an empty signature and lints that. */
int lint_ocsp_tbs(const unsigned char *tbs, size_t tbs_len, X509 *responder,
    const X509 *issuing, time_t now, kk_err *err);

#endif
