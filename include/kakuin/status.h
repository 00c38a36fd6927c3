/*
 * Certificate status for relying parties (CP 4.9.7, 4.9.9, 7.2, 7.3): the CRL publisher
 * and the OCSP responder, served over plain HTTP (`kakuin serve --http-listen`). Both sign
 * through the CA's signer: the CRL with the issuing CA key, OCSP responses with the
 * delegated responder key (CP table 7.1-2) — both keys stay in the token.
 */
#ifndef KAKUIN_STATUS_H
#define KAKUIN_STATUS_H

#include "kakuin/ca.h"
#include "kakuin/err.h"
#include "kakuin/policy.h"
#include "kakuin/store.h"

struct kk_http_req;
struct kk_http_resp;

typedef struct kk_status kk_status;

/* st, ca, pol, paths are borrowed. Loads the OCSP responder certificate (made by
 * `kakuin init`, DATA/ca/ocsp.pem), makes sure a current CRL exists, and starts the
 * publisher thread: a new CRL every 24 h and within seconds of a revocation
 * (kk_status_changed); OCSP responses re-signed well before they expire. */
int kk_status_open(kk_status **out, kk_store *st, kk_ca *ca, const kk_policy *pol,
    const kk_paths *paths, kk_err *err);
/* Stops the publisher thread. NULL ok. */
void kk_status_close(kk_status *s);
/* A certificate was issued or revoked. A revocation re-signs its OCSP response now and
 * has the publisher issue a new CRL within seconds; an issued certificate's response is
 * pre-signed by the publisher thread right after (until then a request for it is
 * answered by signing on demand), so issuance does not wait for a second signature. */
int kk_status_changed(kk_status *s, const char *serial, kk_err *err);
/* The plain-HTTP handler (kk_http_handler, ctx = the kk_status): GET /ocsp/<base64 DER>,
 * POST /ocsp (application/ocsp-request), GET /crl/issuing.crl; 404 otherwise. A malformed
 * OCSP request gets a malformedRequest OCSP response. */
void kk_status_http(void *ctx, const struct kk_http_req *req, struct kk_http_resp *resp);

#endif
