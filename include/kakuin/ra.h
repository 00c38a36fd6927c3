/*
 * The registration authority: drives account, order, authorization and challenge state,
 * applies policy/, hands validations to the VA (on worker threads, off the request path)
 * and finalization to the CA in the crash-safe order of DESIGN.md. It never dials the
 * internet itself and never parses HTTP.
 */
#ifndef KAKUIN_RA_H
#define KAKUIN_RA_H

#include <stdint.h>
#include <jansson.h>
#include "kakuin/ca.h"
#include "kakuin/err.h"
#include "kakuin/policy.h"
#include "kakuin/review.h"
#include "kakuin/store.h"
#include "kakuin/store_revoke.h"
#include "kakuin/va.h"

typedef struct kk_ra_cfg {
	kk_paths paths;
	kk_policy policy;
	kk_va_cfg va;
	int workers; /* validation worker threads */
} kk_ra_cfg;

typedef struct kk_ra kk_ra;

/* Opens the store and the CA, starts the validation workers, and resumes or fails any
 * validation or finalization that a crash left in processing. The ra keeps a copy of cfg. */
int kk_ra_open(kk_ra **out, const kk_ra_cfg *cfg, kk_err *err);
/* Stops the workers (finishing the validation in hand) and closes everything. NULL ok. */
void kk_ra_close(kk_ra *ra);
const kk_policy *kk_ra_policy(const kk_ra *ra);
kk_store *kk_ra_store(kk_ra *ra);
const kk_ca *kk_ra_ca(const kk_ra *ra);
/* The CRL publisher and OCSP responder (for the plain-HTTP listener). Borrowed. */
struct kk_status *kk_ra_status(kk_ra *ra);

/* ---- accounts (RFC 8555 7.3) ---- */
/* An External Account Binding (RFC 8555 7.3.4) as the WFE parsed and checked it (JWS
 * structure, url, no nonce, payload = the account key); the RA checks the MAC with the
 * EAB key it looks up. Strings borrowed. */
typedef struct kk_eab_req {
	const char *kid;
	const char *alg;            /* HS256 | HS384 | HS512 */
	const char *signing_input;  /* protected "." payload, as sent */
	const unsigned char *mac;
	size_t mac_len;
} kk_eab_req;

/* contact: JSON array or NULL. Checks every contact (mailto: only, one address, no
 * hfields). *created = 1 when a new account was made, 0 when the key had one already.
 * only_existing: KK_ERR_ACCOUNT_DOES_NOT_EXIST instead of creating. eab (NULL = none):
 * a new account is bound to the EAB key's organization; without one, production mode
 * refuses with KK_ERR_EXTERNAL_ACCOUNT_REQUIRED and dev mode uses the dev organization.
 * A wrong MAC, an unknown or revoked key: KK_ERR_UNAUTHORIZED, nothing created. */
int kk_ra_new_account(kk_ra *ra, const char *jwk, const char *thumb, json_t *contact,
    int only_existing, const kk_eab_req *eab, kk_account *out, int *created, kk_err *err);
/* The account for a kid's id, which must be valid (KK_ERR_UNAUTHORIZED if deactivated,
 * KK_ERR_ACCOUNT_DOES_NOT_EXIST if unknown). */
int kk_ra_account(kk_ra *ra, int64_t id, kk_account *out, kk_err *err);
/* Account update: contact and/or status ("deactivated" only). Refreshes *acct. */
int kk_ra_update_account(kk_ra *ra, kk_account *acct, json_t *contact, const char *status,
    kk_err *err);
/* Key rollover (7.3.5); KK_ERR_CONFLICT if the new key has an account (*other_id set). */
int kk_ra_key_change(kk_ra *ra, kk_account *acct, const char *new_jwk, const char *new_thumb,
    int64_t *other_id, kk_err *err);

/* ---- orders, authorizations, challenges (7.4, 7.5) ---- */
/* payload: the newOrder request object. */
int kk_ra_new_order(kk_ra *ra, const kk_account *acct, json_t *payload, kk_order *out,
    kk_err *err);
/* Order owned by acct (KK_ERR_UNAUTHORIZED otherwise) with its effective status
 * (pending/ready/processing/valid/invalid) written into out->status. */
int kk_ra_order(kk_ra *ra, const kk_account *acct, int64_t id, kk_order *out, kk_err *err);
/* Authorization owned by acct with effective status (expired when past expires). */
int kk_ra_authz(kk_ra *ra, const kk_account *acct, int64_t id, kk_authz *out, kk_err *err);
int kk_ra_deactivate_authz(kk_ra *ra, const kk_account *acct, int64_t id, kk_err *err);
/* For a request that found a validation in progress: waits up to max_ms for the next
 * validation to finish, so the client gets the outcome without sleeping for a
 * Retry-After. Start with *seq = 0 (returns 1 at once and records the count); then 1
 * if a validation finished since *seq (read again), 0 on timeout or when
 * KK_RA_MAX_AWAITING requests are waiting already (answer as is). */
#define KK_RA_MAX_AWAITING 2
int kk_ra_await(kk_ra *ra, unsigned *seq, int max_ms);
/* A challenge of an authorization owned by acct. acct_uri is the account URL the client
 * uses (its kid; dns-account-01, dns-persist-01). respond (RFC 8555 7.5.1): start its
 * validation first (pending -> processing, queued to a worker); a challenge already
 * processing/valid/invalid is returned unchanged. */
int kk_ra_challenge(kk_ra *ra, const kk_account *acct, const char *acct_uri, int64_t id,
    int respond, kk_challenge *out, kk_err *err);
/* Ids of acct's orders, oldest first (7.1.2.1). Caller frees *ids. */
int kk_ra_orders(kk_ra *ra, const kk_account *acct, int64_t **ids, size_t *n, kk_err *err);
/* Finalize (7.4): CSR checks, CAA for every name (RFC 8657 accounturi compared with
 * acct_uri), then the CA issues in the crash-safe order. On return the order is valid or
 * invalid (or ready with err for a badCSR the client can fix); a CAA refusal or failed
 * CAA lookup makes it invalid with a caa or dns problem. */
int kk_ra_finalize(kk_ra *ra, const kk_account *acct, const char *acct_uri, int64_t order_id,
    const unsigned char *csr, size_t csr_len, kk_err *err);
/* Certificate chain PEM (leaf, issuing, root) for a serial owned by acct. Caller frees. */
int kk_ra_cert_chain(kk_ra *ra, const kk_account *acct, const char *serial, char **pem,
    kk_err *err);

/* ---- revocation (RFC 8555 7.6, CP 4.9) ---- */
/* RFC 5280 CRLReason names kakuin accepts (BR 7.2.2): unspecified (0, never encoded),
 * keyCompromise 1, affiliationChanged 3, superseded 4, cessationOfOperation 5,
 * privilegeWithdrawn 9. -1 for any other name. */
int kk_revoke_reason_parse(const char *name, int *code);
/* The name of an accepted code, or NULL. */
const char *kk_revoke_reason_name(int code);

/* A revokeCert request as the WFE authenticated it. Borrowed. */
typedef struct kk_revoke_req {
	const unsigned char *der;  /* payload "certificate" */
	size_t der_len;
	int reason;                /* payload "reason", -1 when absent */
	const kk_account *acct;    /* the kid's account, or NULL for a jwk request */
	int cert_key;              /* the JWS was verified with the certificate's own key */
} kk_revoke_req;
/* RFC 8555 7.6: allowed for the account that ordered the certificate, an account with
 * valid authorizations for every name in it, or the certificate's key. Reason absent or
 * 0 is stored as unspecified (BR 7.2.2: no reasonCode); others but 1, 3, 4, 5, 9:
 * KK_ERR_BAD_REVOCATION_REASON. A certificate this CA did not issue: KK_ERR_NOT_FOUND;
 * revoked already: KK_ERR_ALREADY_REVOKED. Signed by the certificate key or with reason
 * keyCompromise (CP 4.9.12): every unexpired certificate of the key is revoked with
 * keyCompromise and the key is blocked. Calls ra_status_changed for each revocation. */
int kk_ra_revoke(kk_ra *ra, const kk_revoke_req *rq, kk_err *err);

/* ACME Renewal Information (RFC 9773 4): the suggested window of the certificate named
 * by cert_id (base64url(AKI) "." base64url(serial)): the last third of its validity
 * less a sixth; for a revoked certificate a window already past (renew now).
 * KK_ERR_MALFORMED for a malformed cert_id, KK_ERR_NOT_FOUND for an unknown one. */
int kk_ra_renewal_info(kk_ra *ra, const char *cert_id, time_t *start, time_t *end,
    kk_err *err);

/* CA-initiated revocation (CP 4.9.1, 4.9.3), from the command line: no ra, only the
 * store; who is the signed-in reviewer (kk_review_login), or NULL for the CA's own key
 * scan (kk_keys_scan: requested by "system"). The deadline class of a
 * request is "24h" for keyCompromise and unspecified (the subscriber's written request),
 * "5d" otherwise, unless deadline_class names one. *out (may be NULL) gets the request. */
int kk_revoke_request(kk_store *st, const kk_reviewer *who, const char *serial, int reason,
    const char *detail, const char *deadline_class, time_t now, kk_revreq *out, kk_err *err);
/* Revokes now (approver or admin only: KK_ERR_UNAUTHORIZED otherwise), closing the open
 * requests for the certificate; keyCompromise also revokes the key's other certificates
 * and blocks the key. serials and n as kk_store_cert_revoke (caller frees; the revoking
 * process publishes them). */
int kk_revoke_by_reviewer(kk_store *st, const kk_reviewer *who, const char *serial,
    int reason, const char *detail, char ***serials, size_t *n, kk_err *err);

/* CP 4.9.1, BR 4.9.1.1: every issued, unrevoked, unexpired certificate whose key
 * kk_key_check refuses now (a Debian weak-key list loaded after issuance, a key-quality
 * rule added since) gets a keyCompromise revocation request with the 24-hour deadline,
 * requested by "system", unless one is open already; reviewers revoke (kakuin revoke
 * do, the web UI). *n_found = such certificates, *n_filed = requests created now. */
int kk_keys_scan(kk_store *st, const kk_policy *pol, time_t now, size_t *n_found,
    size_t *n_filed, kk_err *err);

#endif
