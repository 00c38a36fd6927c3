/*
 * OV vetting (CP 3.2.2, 3.2.5, 4.1-4.3): organizations verified by people, their
 * evidence, reviewers with roles, the two-person rule, the audit log, EAB keys bound to
 * organizations (RFC 8555 7.3.4) and reviewer tasks (phone methods BR 3.2.2.4.16/.17,
 * orders held for review). One service used by the CLI (`kakuin review ...`), the
 * reviewer web UI and the RA. It reaches SQL only through the store.
 *
 * Conventions as in store.h: 0 on success, -1 with err set. actor is the authenticated
 * reviewer's id (> 0) for decisions; every change writes an audit_log row in the same
 * transaction. Permission failures are KK_ERR_UNAUTHORIZED with a detail that says which
 * rule refused (role, two-person rule, state); bad input is KK_ERR_MALFORMED.
 */
#ifndef KAKUIN_REVIEW_H
#define KAKUIN_REVIEW_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "kakuin/err.h"
#include "kakuin/policy.h"
#include "kakuin/store.h"

typedef struct kk_review kk_review;

/* st and pol are borrowed and must outlive rv; docs_dir holds uploaded documents by
 * SHA-256 (created 0700 if missing). */
int kk_review_open(kk_review **out, kk_store *st, const kk_policy *pol, const char *docs_dir,
    kk_err *err);
void kk_review_close(kk_review *rv);
/* The store the service works on (borrowed): for callers that pair vetting with other
 * store-level services, e.g. CA-initiated revocation in the reviewer UI. */
kk_store *kk_review_store(kk_review *rv);

/* ---- reviewers ---- */
typedef enum kk_role { KK_ROLE_REVIEWER = 1, KK_ROLE_APPROVER = 2, KK_ROLE_ADMIN = 3 } kk_role;
typedef struct kk_reviewer {
	int64_t id;
	char name[64];
	kk_role role;
	int disabled;
	time_t created;
} kk_reviewer;
/* Names: 1..63 of [a-z0-9._-]. Passwords: >= 12 bytes, stored as scrypt (OpenSSL
 * EVP_PBE_scrypt, N=2^15 r=8 p=1, 16-byte random salt). actor 0 = the local operator
 * (CLI on the data directory, the only way to create the first admin); otherwise an admin. */
int kk_review_user_add(kk_review *rv, int64_t actor, const char *name, kk_role role,
    const char *password, int64_t *id, kk_err *err);
int kk_review_user_password(kk_review *rv, int64_t actor, const char *name,
    const char *password, kk_err *err);
int kk_review_user_disable(kk_review *rv, int64_t actor, const char *name, kk_err *err);
int kk_review_user_list(kk_review *rv, kk_reviewer **out, size_t *n, kk_err *err);
/* Checks a password in constant time. Unknown name, wrong password and disabled user all
 * give the same KK_ERR_UNAUTHORIZED "invalid name or password" (and take as long). */
int kk_review_login(kk_review *rv, const char *name, const char *password, kk_reviewer *out,
    kk_err *err);
const char *kk_role_name(kk_role r);
int kk_role_parse(const char *s, kk_role *out);

/* ---- web sessions: 256-bit random cookie token (only its SHA-256 is stored) and a
 * per-session CSRF token; both are 64 hex characters. Sessions end after
 * policy ov.session_minutes. ---- */
int kk_review_session_new(kk_review *rv, int64_t reviewer_id, char token[65], char csrf[65],
    kk_err *err);
/* KK_ERR_UNAUTHORIZED when unknown, expired or the reviewer is disabled. */
int kk_review_session_get(kk_review *rv, const char *token, kk_reviewer *out, char csrf[65],
    kk_err *err);
int kk_review_session_end(kk_review *rv, const char *token, kk_err *err);

/* ---- organizations ---- */
typedef struct kk_orgrec {
	int64_t id;
	char name[256];        /* subject O */
	char unit[128];        /* subject OU, may be empty */
	char locality[128];    /* subject L */
	char state[128];       /* subject ST (prefecture) */
	char country[4];       /* subject C: policy profile.subject_country (JP) */
	char reg_number[64];   /* corporate number */
	char address[256];
	char phone[40];
	char applicant_name[128], applicant_email[128];
	char authorizer_name[128], authorizer_email[128];
	char status[16];       /* effective: submitted | in_review | approved | rejected | expired */
	int64_t verified_by, approved_by;
	char verified_by_name[64], approved_by_name[64];
	time_t verified_at, approved_at, expires, created;
	char reason[256];      /* of the last rejection */
	int dev;               /* the dev-mode organization of `kakuin init` */
} kk_orgrec;

/* New organization in "submitted". name, locality, state required; country forced to
 * the policy's. Fields are checked for length and control characters (HTML is allowed
 * and stored as is: every output escapes). actor: a reviewer id, or 0 for the operator. */
int kk_review_org_create(kk_review *rv, int64_t actor, const kk_orgrec *in, int64_t *id,
    kk_err *err);
/* Effective status: approved with expires <= kk_now() reads "expired". */
int kk_review_org_get(kk_review *rv, int64_t id, kk_orgrec *out, kk_err *err);
/* Newest first. status: NULL for all or one effective status; query: NULL or a
 * case-insensitive substring of name, reg_number or applicant. Caller frees *out. */
int kk_review_org_list(kk_review *rv, const char *status, const char *query, kk_orgrec **out,
    size_t *n, kk_err *err);
/* Edits the fields of in (by id). A change of the subject fields (O, OU, L, ST) or the
 * corporate number of a verified or approved organization sends it back to in_review and
 * clears both verification steps (CP 3.2.2: re-vetting by two people). */
int kk_review_org_update(kk_review *rv, int64_t actor, const kk_orgrec *in, kk_err *err);

typedef struct kk_evidence {
	int64_t id, org_id;
	char kind[16];         /* registry | database | document | authority */
	char source[128];      /* e.g. "National Tax Agency corporate number site" */
	char reference[256];   /* what was looked at / confirmed, e.g. record id, call note */
	char doc_sha256[65];   /* kind document: SHA-256 of the stored file */
	char doc_name[128];
	char added_by_name[64];
	time_t created;
} kk_evidence;
/* Adds evidence (submitted -> in_review). doc/doc_len: the document's bytes (kind
 * document only; stored as docs_dir/<sha256>, at most 10 MiB). */
int kk_review_evidence_add(kk_review *rv, int64_t actor, int64_t org_id, const kk_evidence *in,
    const unsigned char *doc, size_t doc_len, int64_t *id, kk_err *err);
int kk_review_evidence_list(kk_review *rv, int64_t org_id, kk_evidence **out, size_t *n,
    kk_err *err);

/* Step 1 of 2 (CP 3.2.2, 3.2.5): a reviewer, approver or admin confirms identity and
 * authority: needs evidence of identity (registry, database or document) and of
 * authority. in_review -> in_review with verified_by set. */
int kk_review_org_verify(kk_review *rv, int64_t actor, int64_t org_id, const char *note,
    kk_err *err);
/* Step 2 of 2: an approver or admin OTHER than the verifier approves: -> approved, expires
 * = now + the BR 4.2.1 reuse period for organization data (policy ov.org_reuse). */
int kk_review_org_approve(kk_review *rv, int64_t actor, int64_t org_id, const char *note,
    kk_err *err);
/* Any reviewer: -> rejected with reason (required, <= 255 bytes). */
int kk_review_org_reject(kk_review *rv, int64_t actor, int64_t org_id, const char *reason,
    kk_err *err);
/* Approver or admin: an approved, expired or rejected organization goes back to
 * in_review for re-vetting (verification steps cleared). */
int kk_review_org_revet(kk_review *rv, int64_t actor, int64_t org_id, const char *note,
    kk_err *err);
/* For issuance at time now: 1 approved and unexpired; 0 not (yet) approved (why set:
 * "organization N is in_review: waiting for two reviewers"); -1 rejected (err
 * KK_ERR_UNAUTHORIZED with the reviewer's reason) or a store failure (other kinds). */
int kk_review_org_issuable(kk_review *rv, int64_t org_id, time_t now, kk_err *why);

/* Orders held for a reviewer's look (policy ov.review_new_domains; CP 4.2): 1 when
 * every registrable domain (Public Suffix List) of names (without "*.") was accepted for
 * org_id before; otherwise one "order" task per order decides: 0 while it is open (why
 * says what waits for whom), 1 once a reviewer accepted it (the domains are then
 * accepted for the organization), -1 KK_ERR_UNAUTHORIZED with the reviewer's note when
 * refused (other kinds: a store failure). */
int kk_review_order_check(kk_review *rv, int64_t order_id, int64_t org_id,
    const char *const *names, size_t n, kk_err *why);

/* ---- audit log ---- */
typedef struct kk_audit {
	int64_t id;
	time_t at;
	char actor[64], action[32], object[64], detail[512];
} kk_audit;
/* Newest first, at most limit; object NULL for all (e.g. "org 3"). Caller frees. */
int kk_review_audit_list(kk_review *rv, const char *object, size_t limit, kk_audit **out,
    size_t *n, kk_err *err);

/* ---- EAB keys (RFC 8555 7.3.4) ---- */
typedef struct kk_eab {
	char kid[40];
	int64_t org_id;
	time_t created, revoked, last_used;
	char created_by[64];
} kk_eab;
/* Admin only. kid: 24 random base64url characters; hmac_key: 32 random bytes as
 * base64url (43 characters), returned once and never shown again. */
int kk_review_eab_create(kk_review *rv, int64_t actor, int64_t org_id, char kid[40],
    char hmac_key[64], kk_err *err);
int kk_review_eab_revoke(kk_review *rv, int64_t actor, const char *kid, kk_err *err);
int kk_review_eab_list(kk_review *rv, int64_t org_id, kk_eab **out, size_t *n, kk_err *err);
/* For newAccount: the raw HMAC key (*key_len bytes into key[64]) and its organization.
 * KK_ERR_UNAUTHORIZED "unknown EAB key id" / "EAB key ... was revoked". Marks last_used. */
int kk_review_eab_key(kk_review *rv, const char *kid, unsigned char key[64], size_t *key_len,
    int64_t *org_id, kk_err *err);

/* ---- tasks ---- */
typedef struct kk_task {
	int64_t id;
	char kind[8];          /* phone | order */
	char status[8];        /* open | done */
	int64_t org_id, order_id, challenge_id;
	char domain[1024];     /* phone: the name; order: the registrable domains to accept */
	char phone[64], random_value[128], br_method[24];
	char outcome[8];       /* success | failure | "" */
	char note[256];
	char done_by_name[64];
	time_t created, done_at;
} kk_task;
/* A phone task for a challenge (idempotent: one per challenge; *id gets the existing
 * one). Called by the validation worker. */
int kk_review_task_phone(kk_review *rv, int64_t challenge_id, const char *domain,
    const char *phone, const char *random_value, const char *br_method, int64_t *id,
    kk_err *err);
/* status: NULL, "open" or "done". Oldest first. Caller frees. */
int kk_review_task_list(kk_review *rv, const char *status, kk_task **out, size_t *n,
    kk_err *err);
int kk_review_task_get(kk_review *rv, int64_t id, kk_task *out, kk_err *err);
/* Records the outcome of an open task. For a phone task this finishes its challenge (and
 * authorization) valid or invalid, with the validation record (BR method of the task,
 * what was checked: the number called); an accepted order task accepts its domains for
 * the organization. note is required for a failure. */
int kk_review_task_complete(kk_review *rv, int64_t actor, int64_t id, int success,
    const char *note, kk_err *err);

#endif
