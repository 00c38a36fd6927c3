/* Shared between src/ra*.c only. */
#ifndef KAKUIN_RA_INTERNAL_H
#define KAKUIN_RA_INTERNAL_H

#include <pthread.h>
#include "kakuin/ra.h"
#include "kakuin/review.h"
#include "kakuin/status.h"

#define KK_RA_MAX_WORKERS 16

struct kk_ra {
	kk_ra_cfg cfg;
	kk_store *store;
	kk_ca *ca;
	kk_review *review;
	kk_status *status;  /* CRL publisher and OCSP responder (CP 4.9.7, 4.9.9) */

	/* orders being issued now (kk_ra_issue), under issue_mu: one thread per order, so
	 * finalize and the sweeper never issue the same order twice, while different orders
	 * are issued in parallel */
	pthread_mutex_t issue_mu;
	pthread_cond_t issue_cv;
	int64_t issuing[32];
	size_t n_issuing;
	/* the sweeper: issues orders held for OV review once their organization is approved
	 * (a reviewer may approve from another process: the CLI) */
	pthread_t sweeper;
	int sweeper_started;
	pthread_cond_t sweep_cv;

	/* validation queue: challenge ids, handed to the workers */
	pthread_mutex_t qmu;
	pthread_cond_t qcv;
	pthread_cond_t done_cv;  /* under qmu: a validation finished (kk_ra_await) */
	unsigned done_seq;       /* validations finished so far */
	int awaiting;            /* request threads in kk_ra_await */
	int64_t *queue;
	size_t qhead, qlen, qcap;
	int stopping;
	pthread_t workers[KK_RA_MAX_WORKERS];
	int n_workers;
};

/* Queues a challenge id for validation. */
int kk_ra_enqueue(kk_ra *ra, int64_t chall_id, kk_err *err);
/* Runs one validation to its end (worker threads, and start-up recovery). */
void kk_ra_validate(kk_ra *ra, int64_t chall_id);
/* Serialises a problem document for the store. Caller frees. */
char *kk_ra_problem_json(const kk_err *e);
/* Checks the EAB MAC with the key of eab->kid (RFC 8555 7.3.4); *org_id gets the key's
 * organization. KK_ERR_UNAUTHORIZED for an unknown or revoked key or a wrong MAC. */
int ra_eab_bind(kk_ra *ra, const kk_eab_req *eab, int64_t *org_id, kk_err *err);
/* CP 3.2.2 / 4.2, for order o of an account of org_id at now: 1 issue; 0 wait (the
 * organization is not approved, or with policy ov.review_new_domains a reviewer has not
 * accepted a new domain of the order yet; why says which); -1 refused
 * (KK_ERR_UNAUTHORIZED with the reason) or a store failure. */
int ra_gate(kk_ra *ra, const kk_order *o, int64_t org_id, time_t now, kk_err *why);
/* The sweeper thread's loop (src/ra_issue.c). */
void *ra_sweeper_main(void *arg);
/* Issues the certificate of a processing order (or resumes a planned one). req is the
 * order's CSR already checked by the caller (borrowed), or NULL to read and check the
 * stored one (start-up recovery, held orders). Marks the order invalid on failure.
 * An order whose organization is not (yet) approved, or that waits for CT logs, stays
 * processing: KK_RA_HELD.
 * 0 issued (or nothing to do), KK_RA_HELD, -1 failed with err. */
#define KK_RA_HELD 1
/* A certificate was issued or revoked: kk_status_changed (its OCSP response re-signed,
 * after a revocation a new CRL within seconds); a failure is logged, not returned (the
 * publisher re-signs on its next round). */
void ra_status_changed(kk_ra *ra, const char *serial);
int kk_ra_issue(kk_ra *ra, int64_t order_id, X509_REQ *req, kk_err *err);

/* CP 4.9.12: 0 if the CSR's key is not blocked; KK_ERR_BAD_PUBLIC_KEY if it is. */
int ra_key_allowed(kk_ra *ra, X509_REQ *req, kk_err *err);
/* RFC 9773 5, CP 4.7: the certificate a newOrder "replaces" (certID) must be acct's,
 * issued (not revoked), unexpired and in its last 90 days; *serial gets its serial.
 * KK_ERR_MALFORMED with a detail otherwise. */
int ra_replaces(kk_ra *ra, const kk_account *acct, const char *cert_id, char serial[41],
    kk_err *err);
/* Loads the Debian weak-key lists added to DATA/weakkeys since the last call
 * (kk_weakkeys_load_dir) and, when there were any, runs kk_keys_scan so that issued
 * certificates with keys on them get revocation requests. Called at open and every
 * minute by the sweeper; failures are logged. */
void ra_weakkeys_refresh(kk_ra *ra);
/* Certificate Transparency (src/ra_ct.c): from a planned precertificate (cert from
 * the store, updated in place) to a planned final certificate: signs and stores the
 * precertificate, collects and stores the SCTs, plans the final TBS. names as for the
 * precertificate. 0 planned, KK_RA_HELD waiting for SCTs (policy ct.wait), -1 with err. */
int ra_ct_finish(kk_ra *ra, const char *const *names, size_t n, kk_cert *cert, kk_err *err);
/* After the final certificate is signed: its embedded SCTs are verified again as a
 * relying party would; a failure is logged (the certificate exists and is kept). */
void ra_ct_check_issued(kk_ra *ra, const char *serial, const unsigned char *der, size_t len);

#endif
