/* Shared between src/ra*.c only. */
#ifndef KAKUIN_RA_INTERNAL_H
#define KAKUIN_RA_INTERNAL_H

#include <pthread.h>
#include "kakuin/ra.h"

#define KK_RA_MAX_WORKERS 16

struct kk_ra {
	kk_ra_cfg cfg;
	kk_store *store;
	kk_ca *ca;

	/* validation queue: challenge ids, handed to the workers */
	pthread_mutex_t qmu;
	pthread_cond_t qcv;
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
/* Issues the certificate of a processing order (or resumes a planned one). req is the
 * order's CSR already checked by the caller (borrowed), or NULL to read and check the
 * stored one (start-up recovery). Marks the order invalid on failure. */
int kk_ra_issue(kk_ra *ra, int64_t order_id, X509_REQ *req, kk_err *err);

#endif
