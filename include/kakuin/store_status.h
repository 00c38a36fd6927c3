/*
 * The store (include/kakuin/store.h conventions) for certificate status: what the CRL
 * publisher and the OCSP responder read (CP 4.9.7, 4.9.9) and the CRLs and pre-signed
 * OCSP responses they keep (schema 5: crls, ocsp_responses).
 */
#ifndef KAKUIN_STORE_STATUS_H
#define KAKUIN_STORE_STATUS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "kakuin/err.h"
#include "kakuin/store.h"

/* One revoked certificate. reason: RFC 5280 5.3.1 CRLReason, 0 = unspecified (stored
 * as NULL: no reasonCode entry extension, BR 7.2.2). */
typedef struct kk_revoked {
	char serial[41];
	time_t revoked_at;
	int reason;
} kk_revoked;

/* Revoked certificates whose notAfter is not before now, oldest revocation first (CP
 * 4.9.6: CRLs do not list expired certificates). Caller frees *out (NULL when *n == 0). */
int kk_store_crl_entries(kk_store *st, time_t now, kk_revoked **out, size_t *n, kk_err *err);

/* A signed status object: a CRL (number > 0) or an OCSP response (number 0). */
typedef struct kk_signed {
	int64_t number;
	time_t this_update, next_update;
	unsigned char *der;
	size_t der_len;
} kk_signed;
void kk_signed_clear(kk_signed *s);

/* The CRL number for the next CRL: one more than the highest ever stored, 1 for the
 * first (RFC 5280 5.2.3: strictly increasing). */
int kk_store_crl_next_number(kk_store *st, int64_t *number, kk_err *err);
/* Stores a CRL (shard 0, the full CRL). KK_ERR_CONFLICT if its number exists. */
int kk_store_crl_save(kk_store *st, const kk_signed *crl, kk_err *err);
/* The CRL with the highest number. KK_ERR_NOT_FOUND if none. out: kk_signed_clear. */
int kk_store_crl_latest(kk_store *st, kk_signed *out, kk_err *err);

/* The cached OCSP response of serial. KK_ERR_NOT_FOUND if none. */
int kk_store_ocsp_get(kk_store *st, const char *serial, kk_signed *out, kk_err *err);
/* Replaces the cached OCSP response of serial (which must be a certificate row). */
int kk_store_ocsp_put(kk_store *st, const char *serial, const kk_signed *resp, kk_err *err);
/* How many revoked certificates are unexpired at now (the entries a CRL at now has). */
int kk_store_revoked_count(kk_store *st, time_t now, int64_t *n, kk_err *err);
/* Serials whose cached OCSP response must be re-signed at now: past half its validity
 * (RFC 5019 6, BR 4.9.10), or signed no later than its certificate's revocation (made by
 * another process), at most max of them, revocations first. Responses of certificates
 * expired at now are deleted instead. Certificates without any response are not listed:
 * see kk_store_ocsp_missing. Caller frees *serials (NULL when *n == 0). */
int kk_store_ocsp_stale(kk_store *st, time_t now, size_t max, char (**serials)[41], size_t *n,
    kk_err *err);
/* One step of a walk over the certificates in serial order for issued or revoked
 * certificates (or signed precertificates) not yet expired at now that have no cached
 * response: those after cursor ("" to begin), at most max, from a bounded chunk of rows.
 * cursor advances to the last row read, and becomes "" when the walk is complete.
 * Caller frees *serials (NULL when *n == 0). */
int kk_store_ocsp_missing(kk_store *st, time_t now, char cursor[41], size_t max,
    char (**serials)[41], size_t *n, kk_err *err);

#endif
