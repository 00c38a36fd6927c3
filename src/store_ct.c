/*
 * Certificate Transparency steps of a serial in the SQLite store (include/kakuin/store.h,
 * migration 006): precertificate planned, signed, SCTs collected. Each step is a
 * compare-and-set on the reserved row, so a resumed step with the same bytes succeeds
 * and different bytes (two precertificates for one serial) are refused.
 */
#include "kakuin/clock.h"
#include "kakuin/store_revoke.h"
#include "store_internal.h"

int
kk_store_precert_plan(kk_store *st, const char *serial, const unsigned char *tbs, size_t len,
    time_t not_before, time_t not_after, kk_err *err)
{
	int rc, changes = 0;

	if (!store_serial_ok(serial) || tbs == NULL || len == 0)
		return kk_err_set(err, KK_ERR_MALFORMED, "precert plan needs a serial and a TBS");
	store_lock(st);
	if ((rc = store_begin_durable(st, err)) != 0)
		goto out;
	rc = store_run(st, &changes, err, "UPDATE certificates SET precert_tbs = ?, "
	    "not_before = ?, not_after = ? WHERE serial = ? AND status = 'reserved' AND "
	    "precert_tbs IS NULL", "bTTs", tbs, len, not_before, not_after, serial);
	if (rc == 0 && changes == 0)
		rc = store_cert_retry(st, "SELECT CASE WHEN precert_tbs = ? THEN 'same' ELSE "
		    "status END FROM certificates WHERE serial = ?", serial, tbs, len,
		    "plan a precertificate for", err);
	rc = store_end(st, rc, err);
out:
	store_unlock(st);
	return rc;
}

/* The SPKI hash is recorded with the precertificate, so a key compromise (CP 4.9.12)
 * also finds a serial whose final certificate never came. */
int
kk_store_precert_issue(kk_store *st, const char *serial, const unsigned char *der, size_t len,
    kk_err *err)
{
	char spki[65];
	int rc, changes = 0, have_spki;

	if (!store_serial_ok(serial) || der == NULL || len == 0)
		return kk_err_set(err, KK_ERR_MALFORMED, "precert issue needs a serial and DER");
	have_spki = kk_spki_sha256_cert(der, len, spki) == 0;
	store_lock(st);
	if ((rc = store_begin_durable(st, err)) != 0)
		goto out;
	rc = store_run(st, &changes, err, "UPDATE certificates SET precert_der = ?, "
	    "spki_sha256 = ?, ct_since = ? WHERE serial = ? AND status = 'reserved' AND "
	    "precert_tbs IS NOT NULL AND precert_der IS NULL", "bsTs", der, len,
	    have_spki ? spki : NULL, kk_now(), serial);
	if (rc == 0 && changes == 0)
		rc = store_cert_retry(st, "SELECT CASE WHEN precert_der = ? THEN 'same' ELSE "
		    "status END FROM certificates WHERE serial = ?", serial, der, len,
		    "store the precertificate of", err);
	rc = store_end(st, rc, err);
out:
	store_unlock(st);
	return rc;
}

int
kk_store_ct_attempt(kk_store *st, const char *serial, const char *why, kk_err *err)
{
	int rc, changes = 0;

	store_lock(st);
	rc = store_run(st, &changes, err, "UPDATE certificates SET ct_tried = ?, ct_error = ? "
	    "WHERE serial = ? AND precert_der IS NOT NULL", "Tss", kk_now(), why, serial);
	store_unlock(st);
	if (rc == 0 && changes == 0)
		rc = kk_err_set(err, KK_ERR_NOT_FOUND, "serial %s has no precertificate", serial);
	return rc;
}

int
kk_store_cert_scts(kk_store *st, const char *serial, const unsigned char *scts, size_t len,
    kk_err *err)
{
	int rc, changes = 0;

	if (!store_serial_ok(serial) || scts == NULL || len == 0)
		return kk_err_set(err, KK_ERR_MALFORMED, "SCTs need a serial and a list");
	store_lock(st);
	if ((rc = store_begin_durable(st, err)) != 0)
		goto out;
	rc = store_run(st, &changes, err, "UPDATE certificates SET scts = ?, ct_error = NULL "
	    "WHERE serial = ? AND status = 'reserved' AND precert_der IS NOT NULL AND "
	    "scts IS NULL", "bs", scts, len, serial);
	if (rc == 0 && changes == 0)
		rc = store_cert_retry(st, "SELECT CASE WHEN scts = ? THEN 'same' ELSE status END "
		    "FROM certificates WHERE serial = ?", serial, scts, len, "store the SCTs of",
		    err);
	rc = store_end(st, rc, err);
out:
	store_unlock(st);
	return rc;
}
