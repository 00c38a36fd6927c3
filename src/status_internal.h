/* Shared between src/status.c, src/crl.c and src/ocsp.c only. */
#ifndef KAKUIN_STATUS_INTERNAL_H
#define KAKUIN_STATUS_INTERNAL_H

#include <pthread.h>
#include "kakuin/status.h"
#include "kakuin/store_status.h"

/* CP table 7.2: a new CRL every 24 h, each valid for 96 h (BR 4.9.7: at most 10 days) */
#define KK_CRL_INTERVAL (24 * 3600)
#define KK_CRL_VALIDITY (96 * 3600)
/* OCSP responses: BR 4.9.10 allows 8 h .. 10 days of validity; they are re-signed at
 * half their validity (RFC 5019 6), and CP 4.9.9 wants a refresh every 24 h, so 2 days */
#define KK_OCSP_VALIDITY (2 * 86400)

struct kk_status {
	kk_store *st;
	kk_ca *ca;
	const kk_policy *pol;
	X509 *responder;        /* DATA/ca/ocsp.pem, CP table 7.1-2 */
	pthread_mutex_t mu;
	pthread_cond_t cv;      /* woken by kk_status_changed and kk_status_close */
	pthread_t thread;
	int started, stopping;
	int crl_due;            /* a revocation is not on the current CRL yet */
	/* newly issued serials whose OCSP response the publisher signs next (under mu); when
	 * full, the next scan for missing responses finds the rest */
	char ocsp_queue[256][41];
	size_t ocsp_nqueue;
	int ocsp_scan_due;      /* scan for missing or stale responses at the next wake */
	time_t ocsp_scanned;    /* last scan */
	time_t crl_next;        /* when the next scheduled CRL is due */
	int64_t crl_count;      /* revoked, unexpired certificates on the last CRL; -1 unknown */
};

/* Builds, signs and stores a new CRL at now (CP 4.9.7, table 7.2). out (may be NULL):
 * the stored CRL, kk_signed_clear. */
int status_crl_issue(kk_status *s, time_t now, kk_signed *out, kk_err *err);

/* Signs and caches the pre-signed OCSP response of an issued serial at now (RFC 5019:
 * SHA-1 CertID, one SingleResponse). out (may be NULL): the response. */
int status_ocsp_presign(kk_status *s, const char *serial, time_t now, kk_signed *out,
    kk_err *err);

/* The OCSPResponse for a DER OCSPRequest (RFC 6960 4.1, 4.2): a cached or fresh signed
 * response, or an unsigned malformedRequest / unauthorized / internalError one. Fills
 * out (caller clears); *cacheable = 1 for a successful response. -1 only when not even
 * an error response could be encoded. */
int status_ocsp_answer(kk_status *s, const unsigned char *req, size_t len, time_t now,
    kk_signed *out, int *cacheable, kk_err *err);

#endif
