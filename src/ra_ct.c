/*
 * RA: the Certificate Transparency steps of an issuance (RFC 6962; CP table 7.1-1 SCT
 * list), between the precertificate plan and the final plan of kk_ra_issue. Each step
 * is stored before the next begins (migration 006), so a restart signs no second
 * precertificate and a submission that already succeeded is not repeated:
 * precertificate planned -> signed by the issuing CA itself (BR SC-092) -> SCTs from
 * the policy's logs (verified) -> final TBS (poison replaced by the SCT list) planned.
 */
#include <stdlib.h>
#include <string.h>
#include "kakuin/clock.h"
#include "kakuin/ct.h"
#include "kakuin/util.h"
#include "ra_internal.h"

/* Signs and stores the planned precertificate. */
static int
sign_precert(kk_ra *ra, kk_cert *cert, kk_err *err)
{
	unsigned char *der = NULL;
	size_t len = 0;

	if (kk_ca_sign(ra->ca, cert->precert_tbs, cert->precert_tbs_len, &der, &len, err) != 0)
		return -1;
	if (kk_store_precert_issue(ra->store, cert->serial, der, len, err) != 0) {
		free(der);
		return -1;
	}
	kk_log("info", "ca", "precertificate serial %s signed for order %lld", cert->serial,
	    (long long)cert->order_id);
	cert->precert_der = der;
	cert->precert_der_len = len;
	cert->ct_since = kk_now();
	/* the serial is assigned now: OCSP answers for it (BR 4.9.10) */
	ra_status_changed(ra, cert->serial);
	return 0;
}

/* Submits the precertificate and stores the verified SCT list. Too few SCTs: with
 * policy ct.wait the order is held and retried every retry_after_seconds until
 * ct.max_wait_seconds have passed since the precertificate; then, or without
 * ct.wait, the order fails with the logs' reasons. */
static int
collect(kk_ra *ra, kk_cert *cert, kk_err *err)
{
	const kk_ct_policy *ct = &ra->cfg.policy.ct;
	unsigned char *scts = NULL;
	size_t len = 0;
	time_t now = kk_now();
	kk_err e;

	if (cert->ct_tried != 0 && now - cert->ct_tried < ra->cfg.policy.retry_after_seconds)
		return KK_RA_HELD;
	if (kk_ct_collect(ct, cert->precert_der, cert->precert_der_len,
	    kk_ca_issuing_cert(ra->ca), kk_ca_chain_pem(ra->ca), &scts, &len, err) != 0) {
		if (kk_store_ct_attempt(ra->store, cert->serial, err->detail, &e) != 0)
			kk_log("error", "ra", "serial %s: %s", cert->serial, e.detail);
		if (ct->wait && now - cert->ct_since < ct->max_wait_seconds) {
			kk_log("warning", "ct", "serial %s waits for SCTs: %s", cert->serial,
			    err->detail);
			return KK_RA_HELD;
		}
		err->kind = KK_ERR_INTERNAL;
		return -1;
	}
	if (kk_store_cert_scts(ra->store, cert->serial, scts, len, err) != 0) {
		free(scts);
		return -1;
	}
	cert->scts = scts;
	cert->scts_len = len;
	return 0;
}

int
ra_ct_finish(kk_ra *ra, const char *const *names, size_t n, kk_cert *cert, kk_err *err)
{
	unsigned char *tbs = NULL;
	size_t tbs_len = 0;
	int rc;

	if (cert->precert_der == NULL && sign_precert(ra, cert, err) != 0)
		return -1;
	if (cert->scts == NULL && (rc = collect(ra, cert, err)) != 0)
		return rc;
	if (kk_ca_plan_final(ra->ca, cert->precert_tbs, cert->precert_tbs_len, names, n,
	    cert->scts, cert->scts_len, &tbs, &tbs_len, err) != 0 ||
	    kk_store_cert_plan(ra->store, cert->serial, tbs, tbs_len, cert->not_before,
	    cert->not_after, err) != 0) {
		free(tbs);
		return -1;
	}
	cert->tbs = tbs;
	cert->tbs_len = tbs_len;
	return 0;
}

void
ra_ct_check_issued(kk_ra *ra, const char *serial, const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	int nv = 0, nop = 0;
	kk_err e;

	kk_err_clear(&e);
	if (x == NULL || kk_ct_verify_cert(&ra->cfg.policy.ct, x, kk_ca_issuing_cert(ra->ca),
	    &nv, &nop, &e) != 0 || nv < ra->cfg.policy.ct.min_scts ||
	    nop < ra->cfg.policy.ct.min_operators)
		kk_log("error", "ct", "serial %s: embedded SCTs do not verify (%d valid, %d "
		    "operators): %s", serial, nv, nop, e.detail);
	X509_free(x);
}
