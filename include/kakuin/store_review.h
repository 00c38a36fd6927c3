/*
 * The store side of OV vetting (include/kakuin/review.h): reviewers, sessions,
 * organizations with their vetting state, evidence, the audit log, EAB keys and reviewer
 * tasks. Only src/store_review.c runs this SQL; src/review*.c decides who may do what.
 *
 * Every change that an auditor must be able to reconstruct takes a kk_auditrec and writes
 * the audit_log row in the same transaction as the change, so a change without its audit
 * row (or the reverse) cannot be committed. State changes are compare-and-set on the
 * stored state: of two concurrent decisions on one organization or task only one wins,
 * the other gets KK_ERR_UNAUTHORIZED (organizations) or KK_ERR_CONFLICT (tasks, EAB keys)
 * with the state it found. Conventions otherwise as in store.h.
 */
#ifndef KAKUIN_STORE_REVIEW_H
#define KAKUIN_STORE_REVIEW_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "kakuin/err.h"
#include "kakuin/review.h"
#include "kakuin/store.h"

/* One audit_log row; strings borrowed. object NULL: the store names the row the call
 * creates ("org N", "task N"). */
typedef struct kk_auditrec {
	time_t at;
	const char *actor, *action, *object, *detail;
} kk_auditrec;

/* An audit_log row for an event that changes nothing else (e.g. a certificate the
 * lint refused to have signed, BR 4.3.1.2). a->object must be set. */
int kk_store_audit_add(kk_store *st, const kk_auditrec *a, kk_err *err);

/* ---- reviewers ---- */
/* role: "reviewer" | "approver" | "admin"; hash: the encoded scrypt hash.
 * KK_ERR_CONFLICT when the name exists. */
int kk_store_reviewer_add(kk_store *st, const char *name, const char *role, const char *hash,
    const kk_auditrec *a, int64_t *id, kk_err *err);
/* By name when name is non-NULL, else by id. hash (may be NULL) gets the stored password
 * hash. KK_ERR_NOT_FOUND when there is no such reviewer. */
int kk_store_reviewer_get(kk_store *st, int64_t id, const char *name, kk_reviewer *out,
    char *hash, size_t hash_size, kk_err *err);
/* New password hash (hash non-NULL) and/or disable (disable != 0; also ends the
 * reviewer's sessions). KK_ERR_NOT_FOUND when there is no such reviewer. */
int kk_store_reviewer_update(kk_store *st, const char *name, const char *hash, int disable,
    const kk_auditrec *a, kk_err *err);
/* By name. Caller frees *out. */
int kk_store_reviewer_list(kk_store *st, kk_reviewer **out, size_t *n, kk_err *err);

/* ---- sessions (token_hash: SHA-256 hex of the cookie value) ---- */
/* Also removes sessions that ended before now. */
int kk_store_session_add(kk_store *st, const char *token_hash, int64_t reviewer_id,
    const char *csrf, time_t now, time_t expires, kk_err *err);
/* A session that has not ended at now, of a reviewer who is not disabled;
 * KK_ERR_NOT_FOUND otherwise. */
int kk_store_session_get(kk_store *st, const char *token_hash, time_t now,
    int64_t *reviewer_id, char csrf[65], kk_err *err);
int kk_store_session_delete(kk_store *st, const char *token_hash, kk_err *err);

/* ---- organizations ---- */
/* Inserts in "submitted" (created = a->at) with the fields of in. */
int kk_store_orgrec_create(kk_store *st, const kk_orgrec *in, const kk_auditrec *a,
    int64_t *id, kk_err *err);
/* status of out is the effective one at now ("expired": approved, expires <= now). */
int kk_store_orgrec_get(kk_store *st, int64_t id, time_t now, kk_orgrec *out, kk_err *err);
/* Newest first; status: NULL or an effective status; query: NULL or a case-insensitive
 * substring of name, reg_number, applicant name or e-mail. Caller frees *out. */
int kk_store_orgrec_list(kk_store *st, time_t now, const char *status, const char *query,
    kk_orgrec **out, size_t *n, kk_err *err);
/* Writes the editable fields of in, compare-and-set on old (as read by
 * kk_store_orgrec_get: subject fields, corporate number, both vetting steps). revet: back
 * to in_review with both vetting steps and the expiry cleared. */
int kk_store_orgrec_update(kk_store *st, const kk_orgrec *old, const kk_orgrec *in, int revet,
    const kk_auditrec *a, kk_err *err);

/* Vetting decisions (CP 3.2.2, 3.2.5, 4.2.2). The SQL repeats every rule the service
 * checks (state, role, not disabled, verifier != approver), so the rule holds even when
 * the state changed between the service's read and this write. */
typedef enum kk_org_op {
	KK_ORG_VERIFY = 1,  /* in_review, not verified -> verified_by = actor */
	KK_ORG_APPROVE,     /* in_review, verified by another -> approved until expires */
	KK_ORG_REJECT,      /* submitted | in_review -> rejected with reason */
	KK_ORG_REVET        /* approved | rejected -> in_review, vetting cleared */
} kk_org_op;
int kk_store_org_decide(kk_store *st, int64_t id, kk_org_op op, int64_t actor, time_t expires,
    const char *reason, const kk_auditrec *a, kk_err *err);

/* ---- evidence ---- */
/* Inserts in (added_by = actor, created = a->at) and moves a submitted organization to
 * in_review. */
int kk_store_evidence_add(kk_store *st, const kk_evidence *in, int64_t actor,
    const kk_auditrec *a, int64_t *id, kk_err *err);
/* Oldest first. Caller frees *out. */
int kk_store_evidence_list(kk_store *st, int64_t org_id, kk_evidence **out, size_t *n,
    kk_err *err);

/* ---- audit log ---- */
/* Newest first, at most limit; object NULL for all. Caller frees *out. */
int kk_store_audit_list(kk_store *st, const char *object, size_t limit, kk_audit **out,
    size_t *n, kk_err *err);

/* ---- EAB keys (RFC 8555 7.3.4); hmac_key base64url ---- */
int kk_store_eab_add(kk_store *st, const char *kid, const char *hmac_key, int64_t org_id,
    const kk_auditrec *a, kk_err *err);
/* KK_ERR_NOT_FOUND unknown kid, KK_ERR_CONFLICT already revoked. */
int kk_store_eab_revoke(kk_store *st, const char *kid, const kk_auditrec *a, kk_err *err);
/* Newest first; org_id 0 for all. Caller frees *out. */
int kk_store_eab_list(kk_store *st, int64_t org_id, kk_eab **out, size_t *n, kk_err *err);
/* The key of an unrevoked kid, marking last_used = now. KK_ERR_NOT_FOUND unknown,
 * KK_ERR_CONFLICT revoked. */
int kk_store_eab_use(kk_store *st, const char *kid, time_t now, char hmac_key[64],
    int64_t *org_id, kk_err *err);

/* ---- tasks ---- */
/* One phone task per challenge: inserts it (org_id from the challenge's account) unless
 * the challenge has one; *id gets the task's id either way, *created whether it was new.
 * a->object NULL names the new task. */
int kk_store_task_phone(kk_store *st, const kk_task *in, const kk_auditrec *a, int64_t *id,
    int *created, kk_err *err);
/* status NULL, "open" or "done"; oldest first. Caller frees *out. */
int kk_store_task_list(kk_store *st, const char *status, kk_task **out, size_t *n,
    kk_err *err);
int kk_store_task_get(kk_store *st, int64_t id, kk_task *out, kk_err *err);
/* Compare-and-set open -> done with outcome ("success" | "failure"), note, done_by = actor,
 * done_at = a->at. KK_ERR_CONFLICT when the task is not open. */
int kk_store_task_complete(kk_store *st, int64_t id, int64_t actor, const char *outcome,
    const char *note, const kk_auditrec *a, kk_err *err);
/* Undoes kk_store_task_complete (done -> open) when the step after it failed. */
int kk_store_task_reopen(kk_store *st, int64_t id, const kk_auditrec *a, kk_err *err);

/* ---- orders held for review (src/store_review_orders.c) ---- */
/* Which of domains (registrable domains) were never accepted for org_id: written space-
 * separated into missing, counted in *n_missing. */
int kk_store_org_domains_missing(kk_store *st, int64_t org_id, const char *const *domains,
    size_t n, char *missing, size_t missing_len, size_t *n_missing, kk_err *err);
/* Accepts the space-separated domains for org_id (idempotent). */
int kk_store_org_domains_add(kk_store *st, int64_t org_id, const char *domains,
    int64_t task_id, time_t now, kk_err *err);
/* The order's review task, created open for domains (with a's audit row, a->object NULL)
 * unless the order has one. */
int kk_store_task_order(kk_store *st, int64_t order_id, int64_t org_id, const char *domains,
    const kk_auditrec *a, kk_task *out, kk_err *err);

#endif
