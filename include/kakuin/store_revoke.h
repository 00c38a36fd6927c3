/*
 * Revocation in the store (CP 4.9, schema 5): certificate status issued -> revoked,
 * blocked keys (CP 4.9.12) and the CA's own revocation requests with their deadlines
 * (CP 4.9.1). Only src/store_revoke.c runs this SQL; src/ra_revoke.c decides who may
 * revoke what. Conventions as in store.h.
 */
#ifndef KAKUIN_STORE_REVOKE_H
#define KAKUIN_STORE_REVOKE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "kakuin/store.h"
#include "kakuin/store_review.h"

/* SHA-256 (lower-case hex) of the DER SubjectPublicKeyInfo of key: the key's identity
 * in certificates.spki_sha256 and blocked_keys. 0, or -1 if key cannot be encoded. */
int kk_spki_sha256(EVP_PKEY *key, char out[65]);
/* The same from the SubjectPublicKeyInfo as it was parsed (a certificate's or CSR's):
 * re-encoded from its fields, without OpenSSL 3's key encoder (a costly lookup). */
int kk_spki_sha256_pub(const X509_PUBKEY *pk, char out[65]);
/* The same from DER SubjectPublicKeyInfo bytes, or from a DER certificate (its
 * SubjectPublicKeyInfo found by walking the TBS, nothing decoded). -1 if malformed. */
int kk_spki_sha256_der(const unsigned char *spki, size_t len, char out[65]);
int kk_spki_sha256_cert(const unsigned char *der, size_t len, char out[65]);

/* The revocation state of one certificate. */
typedef struct kk_certrev {
	char serial[41];
	int64_t account_id;
	char status[16];       /* reserved | planned | precert (a signed precertificate
	                        * without its final certificate yet) | issued | revoked */
	time_t not_after;
	time_t revoked_at;     /* 0 unless revoked */
	int reason;            /* RFC 5280 CRLReason; 0 = unspecified (stored NULL) */
	char revoked_by[80];
	char spki_sha256[65];  /* "" for certificates issued before schema 5 */
} kk_certrev;
int kk_store_cert_revstate(kk_store *st, const char *serial, kk_certrev *out, kk_err *err);

/* One revocation. Strings borrowed. */
typedef struct kk_revocation {
	const char *serial;
	int reason;             /* 0 (stored NULL), 1, 3, 4, 5, 9 */
	const char *by;         /* "account N", "certificate key", "reviewer NAME" */
	time_t when;
	/* key compromise (CP 4.9.12): non-NULL revokes, with reason 1, every unexpired
	 * issued certificate with this SPKI hash too and blocks the key */
	const char *block_spki;
	const kk_auditrec *audit; /* written with the change; NULL = no audit row */
} kk_revocation;

/* In one transaction: compare-and-set serial issued -> revoked (KK_ERR_ALREADY_REVOKED
 * when it is revoked already, KK_ERR_NOT_FOUND when it was never issued), the key
 * compromise siblings and blocked_keys row, closing the open revocation requests for
 * every certificate revoked (done_at = when), and the audit row. *serials (caller frees
 * with kk_serials_free) lists every serial revoked, the requested one first. */
int kk_store_cert_revoke(kk_store *st, const kk_revocation *r, char ***serials, size_t *n,
    kk_err *err);
void kk_serials_free(char **serials, size_t n);

/* 1 if the key (SPKI hash) is blocked, 0 if not, -1 on error. */
int kk_store_key_blocked(kk_store *st, const char *spki_sha256, kk_err *err);


/* ---- CA-initiated revocation requests (CP 4.9.1, 4.9.3) ---- */
typedef struct kk_revreq {
	int64_t id;
	char serial[41];
	int reason;             /* 0 = unspecified */
	char requested_by[64];
	char detail[256];
	char deadline_class[4]; /* "24h" | "5d" */
	time_t deadline;
	char status[12];        /* open | done | withdrawn */
	time_t created;
	time_t done_at;         /* 0 while open */
} kk_revreq;
/* Records an open request (created = r->created; the other fields of r as given) with
 * its audit row. KK_ERR_NOT_FOUND for a serial never issued. */
int kk_store_revreq_create(kk_store *st, const kk_revreq *r, const kk_auditrec *a,
    int64_t *id, kk_err *err);
/* Open requests, earliest deadline first. Caller frees *out. */
int kk_store_revreq_open(kk_store *st, kk_revreq **out, size_t *n, kk_err *err);
/* Serials of the issued, unrevoked certificates not expired at now (the key scan of CP
 * 4.9.1). Caller frees *serials. */
int kk_store_certs_live(kk_store *st, time_t now, char (**serials)[41], size_t *n,
    kk_err *err);
/* RFC 9773 7.4: the id of a live (not invalid) order that already names serial in
 * "replaces": 1 found (*order_id set), 0 none, -1 error. */
int kk_store_order_replacing(kk_store *st, const char *serial, int64_t *order_id,
    kk_err *err);

#endif
