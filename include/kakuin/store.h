/*
 * The store (SA): the only module that talks SQL. SQLite in WAL mode with foreign keys
 * and a busy timeout; every state change runs in one transaction so a crash or kill -9
 * never leaves anything half-written. A PostgreSQL backend would implement the same
 * functions.
 *
 * Conventions: functions return 0 on success, -1 with err set. Missing rows give
 * KK_ERR_NOT_FOUND; uniqueness violations give KK_ERR_CONFLICT; failed
 * compare-and-set state changes give the kind named in the comment. Strings in the
 * structs are owned by the struct; release them with the matching _clear().
 * All functions are safe to call from several threads on one kk_store.
 */
#ifndef KAKUIN_STORE_H
#define KAKUIN_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "kakuin/err.h"

typedef struct kk_migration {
	int version;
	const char *name;
	const char *sql;
} kk_migration;
/* Generated from migrations/NNN_*.sql at build time; ends with {0, 0, 0}. */
extern const kk_migration kk_migrations[];

typedef struct kk_store kk_store;

/* Opens (creating if needed) the database and applies pending migrations, each in its
 * own transaction, recording them in schema_version. */
int kk_store_open(kk_store **out, const char *path, kk_err *err);
void kk_store_close(kk_store *st);
/* Highest applied migration version. */
int kk_store_schema_version(kk_store *st);
/* PRAGMA integrity_check plus kakuin's own invariants (orders point at existing
 * authorizations, valid orders have a certificate, every certificate has DER, ...).
 * 0 if consistent; -1 with a description of the first problem. */
int kk_store_check(kk_store *st, kk_err *err);
/* Test seam (issue #8): after n more store steps, BEGINs and COMMITs (process-wide), the
 * next one fails with SQLite result code sqlite_code (SQLITE_FULL, SQLITE_IOERR,
 * SQLITE_BUSY, ...) without reaching SQLite; n = -1 turns it off. Busy, full, I/O and
 * memory errors are KK_ERR_UNAVAILABLE (transient), logged and counted. */
void kk_store_fault_after(long n, int sqlite_code);

/* ---- organizations (subject O/L/ST/OU; C is fixed by policy) ---- */
typedef struct kk_org {
	int64_t id;
	char *name, *unit, *locality, *state;
} kk_org;
void kk_org_clear(kk_org *o);
/* Creates org with id 1 if no org exists yet (idempotent). */
int kk_store_org_ensure_default(kk_store *st, const kk_org *defaults, kk_err *err);
int kk_store_org_get(kk_store *st, int64_t id, kk_org *out, kk_err *err);
/* Updates the fields that are non-NULL. */
int kk_store_org_update(kk_store *st, const kk_org *o, kk_err *err);

/* ---- accounts ---- */
typedef struct kk_account {
	int64_t id;
	char *jwk;        /* canonical public JWK JSON */
	char *thumbprint; /* RFC 7638 base64url SHA-256; unique */
	char *contact;    /* JSON array of URIs */
	char status[16];  /* valid | deactivated | revoked */
	int64_t org_id;
	char eab_kid[40];  /* the EAB key that bound it to org_id (RFC 8555 7.3.4), or "" */
	time_t created;
} kk_account;
void kk_account_clear(kk_account *a);
/* KK_ERR_CONFLICT if the thumbprint exists already. Sets a->id, a->created. */
int kk_store_account_create(kk_store *st, kk_account *a, kk_err *err);
int kk_store_account_get(kk_store *st, int64_t id, kk_account *out, kk_err *err);
int kk_store_account_by_thumbprint(kk_store *st, const char *thumb, kk_account *out, kk_err *err);
/* contact and/or status when non-NULL. */
int kk_store_account_update(kk_store *st, int64_t id, const char *contact, const char *status,
    kk_err *err);
/* Key rollover. KK_ERR_CONFLICT if new_thumb belongs to another account. */
int kk_store_account_rekey(kk_store *st, int64_t id, const char *new_jwk, const char *new_thumb,
    kk_err *err);

/* ---- challenges, authorizations ---- */
typedef struct kk_challenge {
	int64_t id;
	int64_t authz_id;
	char type[32];     /* http-01, ... */
	char *token;       /* >= 128 bits, base64url */
	char status[16];   /* pending | processing | valid | invalid */
	time_t created;    /* token generated (CP 3.2.7: usable <= 30 days) */
	time_t validated;  /* 0 if not yet */
	char *error;       /* problem document JSON or NULL */
	char *account_uri; /* account URL the client used when it responded, or NULL */
	/* the validation record (BR 3.2.2.4), once valid: */
	char br_method[24];  /* "3.2.2.4.7" */
	char br_version[16];
	char dnssec[12];     /* secure | insecure | "" */
	char *checked;       /* what the VA looked at, or NULL */
} kk_challenge;

/* What a successful validation records (BR 3.2.2.4). Strings borrowed. */
typedef struct kk_valrec {
	const char *br_method;
	const char *br_version;
	const char *checked;
	const char *dnssec;     /* "secure" | "insecure" | NULL */
	int covers_subdomains;  /* the authorization covers names beneath it (ADN rule) */
} kk_valrec;
void kk_challenge_clear(kk_challenge *c);

#define KK_MAX_CHALLENGES 8
typedef struct kk_authz {
	int64_t id;
	int64_t account_id;
	char id_type[8];   /* dns */
	char *id_value;    /* lower-case name without "*." */
	int wildcard;
	char status[16];   /* pending | valid | invalid | deactivated | expired | revoked */
	time_t expires;
	time_t validated;  /* when it became valid, 0 otherwise */
	int covers_subdomains; /* valid through a method that covers names beneath it */
	int64_t covered_by;    /* granted from this parent authorization (ADN), or 0 */
	kk_challenge chall[KK_MAX_CHALLENGES];
	size_t n_chall;
} kk_authz;
void kk_authz_clear(kk_authz *a);
int kk_store_authz_get(kk_store *st, int64_t id, kk_authz *out, kk_err *err);
/* Newest valid, unexpired authz of this account for (value, wildcard) whose validation
 * time is >= validated_after. KK_ERR_NOT_FOUND when none. */
int kk_store_authz_find_reusable(kk_store *st, int64_t account_id, const char *value, int wildcard,
    time_t now, time_t validated_after, int64_t *authz_id, kk_err *err);
/* The ADN rule (BR 3.2.2.4.7): newest valid, unexpired authz of this account, validated
 * >= validated_after with covers_subdomains, whose name is a proper parent of value (or
 * value itself when wildcard, for "*." + value). KK_ERR_NOT_FOUND when none. */
int kk_store_authz_find_covering(kk_store *st, int64_t account_id, const char *value,
    int wildcard, time_t now, time_t validated_after, int64_t *authz_id, kk_err *err);
/* Sets the authz status (deactivation). */
int kk_store_authz_set_status(kk_store *st, int64_t id, const char *status, kk_err *err);
int kk_store_challenge_get(kk_store *st, int64_t id, kk_challenge *out, kk_err *err);
/* Compare-and-set pending -> processing, only while the authz is pending, recording the
 * account URL the client used (may be NULL). KK_ERR_MALFORMED with a detail if the
 * challenge or authz is no longer pending. */
int kk_store_challenge_start(kk_store *st, int64_t id, const char *account_uri, kk_err *err);
/* Finishes a validation in one transaction: the challenge becomes valid (validated=when)
 * or invalid (error = problem JSON); its authz becomes valid (validated=when, expires =
 * valid_until, the end of the BR reuse period; 0 keeps the pending expiry) or invalid.
 * rec (may be NULL) is the validation record stored with a successful one. */
int kk_store_challenge_finish(kk_store *st, int64_t id, int ok, time_t when, time_t valid_until,
    const kk_valrec *rec, const char *error_json, kk_err *err);
/* Challenges left in processing by a crash (to resume or fail on start-up). Caller frees *ids. */
int kk_store_challenges_processing(kk_store *st, int64_t **ids, size_t *n, kk_err *err);

/* ---- orders ---- */
/* One authorization an order needs: an existing one (existing_id > 0) or a new one. */
/* covered_by > 0: a new authorization that is valid at once, granted from that parent
 * authorization under the ADN rule (its validation time and expiry are copied, and its
 * one challenge records the grant). */
typedef struct kk_authz_spec {
	int64_t existing_id;
	int64_t covered_by;
	const char *value;
	int wildcard;
	time_t expires;
	const char *chall_types[KK_MAX_CHALLENGES];
	const char *chall_tokens[KK_MAX_CHALLENGES];
	size_t n_chall;
} kk_authz_spec;

#define KK_MAX_ORDER_NAMES 100
typedef struct kk_order {
	int64_t id;
	int64_t account_id;
	char status[16];    /* stored: pending | processing | valid | invalid */
	time_t created;
	time_t expires;
	time_t not_before;  /* requested, 0 = none */
	time_t not_after;
	char *identifiers;  /* JSON array as in RFC 8555 7.1.3 */
	char *error;        /* problem JSON or NULL */
	char *cert_serial;  /* hex serial once valid, else NULL */
	char *account_uri;  /* the account URL at finalize (RFC 8657 accounturi), or NULL */
	int held;           /* derived by the RA: processing, waiting for OV approval */
	char profile[32];   /* the policy profile it was ordered with (draft-aaron-acme-profiles) */
	char replaces[41];  /* RFC 9773: serial of the certificate it renews, or "" */
	int64_t authz_ids[KK_MAX_ORDER_NAMES];
	size_t n_authz;
} kk_order;
void kk_order_clear(kk_order *o);
/* Creates the order, any new authorizations with their challenges, and the links, in
 * one transaction. Sets o->id, o->created and o->authz_ids. */
int kk_store_order_create(kk_store *st, kk_order *o, const kk_authz_spec *specs, size_t n,
    kk_err *err);
int kk_store_order_get(kk_store *st, int64_t id, kk_order *out, kk_err *err);
/* All order ids of an account, oldest first. Caller frees *ids. */
int kk_store_orders_by_account(kk_store *st, int64_t account_id, int64_t **ids, size_t *n,
    kk_err *err);
/* Finalize step 1: compare-and-set pending -> processing and store the CSR DER and the
 * account URL (may be NULL). KK_ERR_ORDER_NOT_READY when the stored status is not pending. */
int kk_store_order_begin_finalize(kk_store *st, int64_t id, const unsigned char *csr, size_t len,
    const char *account_uri, kk_err *err);
/* The stored CSR of a processing order. Caller frees *csr. */
int kk_store_order_csr(kk_store *st, int64_t id, unsigned char **csr, size_t *len, kk_err *err);
/* Marks the order invalid with a problem document (finalize failed). */
int kk_store_order_fail(kk_store *st, int64_t id, const char *error_json, kk_err *err);
/* Orders left in processing (to resume on start-up). Caller frees *ids. */
int kk_store_orders_processing(kk_store *st, int64_t **ids, size_t *n, kk_err *err);

/* ---- certificates and serials (crash-safe issuance, DESIGN.md) ---- */
typedef struct kk_cert {
	char serial[41];     /* lower-case hex, no leading zeros stripped: as reserved */
	int64_t order_id;
	int64_t account_id;
	char status[16];     /* reserved | planned | issued | revoked */
	unsigned char *tbs;  /* planned TBSCertificate DER (NULL before planned) */
	size_t tbs_len;
	unsigned char *der;  /* certificate DER (NULL until issued) */
	size_t der_len;
	time_t not_before, not_after;
	time_t created;
	/* Certificate Transparency (migration 006): NULL/0 until the step happened */
	unsigned char *precert_tbs;  /* planned precertificate TBS (poison extension) */
	size_t precert_tbs_len;
	unsigned char *precert_der;  /* signed precertificate */
	size_t precert_der_len;
	unsigned char *scts;         /* verified TLS SignedCertificateTimestampList */
	size_t scts_len;
	time_t ct_since, ct_tried;   /* precertificate signed; last submission */
} kk_cert;
void kk_cert_clear(kk_cert *c);
/* Reserves a serial for an order. KK_ERR_CONFLICT if it was ever used. */
int kk_store_serial_reserve(kk_store *st, const char *serial, int64_t order_id, int64_t account_id,
    kk_err *err);
/* Records the exact TBS about to be signed (reserved -> planned). A planned serial is
 * never planned again with different content: KK_ERR_CONFLICT. */
int kk_store_cert_plan(kk_store *st, const char *serial, const unsigned char *tbs, size_t len,
    time_t not_before, time_t not_after, kk_err *err);
/* Stores the signed certificate (planned -> issued) and marks its order valid with
 * cert_serial, in one transaction. */
int kk_store_cert_issue(kk_store *st, const char *serial, const unsigned char *der, size_t len,
    kk_err *err);
int kk_store_cert_get(kk_store *st, const char *serial, kk_cert *out, kk_err *err);
/* Certificate Transparency steps of a reserved serial (migration 006), each a
 * compare-and-set that succeeds again with identical bytes (a resumed step) and is
 * KK_ERR_CONFLICT with other bytes. Blobs are borrowed. */
/* Records the precertificate TBS about to be signed, with the validity it shares with
 * the final certificate. */
int kk_store_precert_plan(kk_store *st, const char *serial, const unsigned char *tbs,
    size_t len, time_t not_before, time_t not_after, kk_err *err);
/* Stores the signed precertificate; from now on the serial is assigned (OCSP answers). */
int kk_store_precert_issue(kk_store *st, const char *serial, const unsigned char *der,
    size_t len, kk_err *err);
/* Notes a submission attempt that fell short (why: the CT error detail). */
int kk_store_ct_attempt(kk_store *st, const char *serial, const char *why, kk_err *err);
/* Stores the verified SCT list to embed. */
int kk_store_cert_scts(kk_store *st, const char *serial, const unsigned char *scts,
    size_t len, kk_err *err);
/* The reserved/planned certificate row of a processing order, if any (KK_ERR_NOT_FOUND). */
int kk_store_cert_by_order(kk_store *st, int64_t order_id, kk_cert *out, kk_err *err);

#endif
