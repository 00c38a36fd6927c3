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

struct ocsp_cache;

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
	int ocsp_scan_due;      /* walk the certificates for missing responses again */
	time_t ocsp_scanned;    /* last periodic round (CLOCK_MONOTONIC seconds), 0 none */
	time_t crl_next;        /* when the next scheduled CRL is due */
	int64_t crl_count;      /* revoked, unexpired certificates on the last CRL; -1 unknown */
	/* publisher thread only: the walk for certificates without a response (at start
	 * and when ocsp_scan_due was set), where it is */
	int ocsp_walking;
	char ocsp_cursor[41];
	/* the OCSP hot path (src/ocsp.c): set up by status_ocsp_init */
	pthread_mutex_t sign_mu;   /* one pre-signature at a time, so a revocation's is last */
	int sign_mu_ok;
	/* our issuing CA's CertID issuerNameHash and issuerKeyHash (RFC 6960 4.1.1) */
	unsigned char name_sha1[20], key_sha1[20], name_sha256[32], key_sha256[32];
	struct ocsp_cache *cache;  /* recent pre-signed responses by serial */
};

/* Builds, signs and stores a new CRL at now (CP 4.9.7, table 7.2). out (may be NULL):
 * the stored CRL, kk_signed_clear. */
int status_crl_issue(kk_status *s, time_t now, kk_signed *out, kk_err *err);

/* The issuer hashes and the response cache. status_ocsp_fini undoes it (and accepts a
 * status it never ran on). */
int status_ocsp_init(kk_status *s, kk_err *err);
void status_ocsp_fini(kk_status *s);

/* Signs and caches the pre-signed OCSP response of an issued serial at now (RFC 5019:
 * SHA-1 CertID, one SingleResponse); replaces the one in memory. out (may be NULL): the
 * response. */
int status_ocsp_presign(kk_status *s, const char *serial, time_t now, kk_signed *out,
    kk_err *err);
/* Drops serial's response from memory (its certificate was just revoked): until the
 * revoked one is signed, answers come from the store, which never gives a response
 * that contradicts the certificate's status. */
void status_ocsp_forget(kk_status *s, const char *serial);

/* An IMF-fixdate (RFC 9110 5.6.7) into buf; "" when t cannot be represented. */
void status_http_date(time_t t, char buf[32]);

/* An answer to an OCSP request. */
typedef struct status_answer {
	kk_signed r;            /* the DER OCSPResponse (r.der owned) */
	int cacheable;          /* a successful response, with the RFC 5019 6.2 headers: */
	char etag[68];          /* "\"<hex SHA-256 of r.der>\"" */
	char last_modified[32]; /* thisUpdate */
	char expires[32];       /* nextUpdate */
} status_answer;
void status_answer_clear(status_answer *a);

/* The OCSPResponse for a DER OCSPRequest (RFC 6960 4.1, 4.2): a pre-signed or fresh
 * signed response, or an unsigned malformedRequest / unauthorized / internalError one.
 * Fills out (caller clears). -1 only when not even an error response could be
 * encoded. */
int status_ocsp_answer(kk_status *s, const unsigned char *req, size_t len, time_t now,
    status_answer *out, kk_err *err);

#endif
