/*
 * The store for certificate status (include/kakuin/store_status.h): revoked and issued
 * certificates as the CRL publisher and the OCSP responder see them, and the CRLs and
 * pre-signed OCSP responses they keep (CP 4.9.7, 4.9.9; schema 5).
 */
#include <stdlib.h>
#include <string.h>
#include "kakuin/store_status.h"
#include "kakuin/util.h"
#include "store_internal.h"

void
kk_signed_clear(kk_signed *s)
{
	if (s == NULL)
		return;
	free(s->der);
	memset(s, 0, sizeof(*s));
}

/* One kk_revoked from (serial, revoked_at, revoked_reason): called a million times for
 * a million revocations, so the serial is copied by length, not through snprintf. */
static void
revoked_row(sqlite3_stmt *s, void *p)
{
	kk_revoked *r = p;
	const unsigned char *t = sqlite3_column_text(s, 0);
	size_t n = (size_t)sqlite3_column_bytes(s, 0);

	if (t == NULL || n >= sizeof(r->serial))
		n = 0; /* "": an entry kakuin cannot encode, so no CRL rather than a wrong one */
	else
		memcpy(r->serial, t, n);
	r->serial[n] = '\0';
	r->revoked_at = (time_t)sqlite3_column_int64(s, 1);
	r->reason = sqlite3_column_int(s, 2);
}

/* Oldest revocation first, then by serial. */
static int
revoked_cmp(const void *a, const void *b)
{
	const kk_revoked *x = a, *y = b;

	if (x->revoked_at != y->revoked_at)
		return x->revoked_at < y->revoked_at ? -1 : 1;
	return strcmp(x->serial, y->serial);
}

/* Sorted here rather than by ORDER BY: on a million rows SQLite's sorter added about a
 * second to the query, qsort adds about 0.2 s, and outside the store lock, which OCSP
 * and ACME requests wait on. */
int
kk_store_crl_entries(kk_store *st, time_t now, kk_revoked **out, size_t *n, kk_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	*out = NULL;
	*n = 0;
	store_lock(st);
	if ((rc = store_prep(st, &s, err, "SELECT serial, revoked_at, revoked_reason FROM "
	    "certificates WHERE status = 'revoked' AND not_after >= ?", "T", now)) == 0)
		rc = store_read_rows(st, s, sizeof(**out), revoked_row, (void **)out, n, err);
	store_unlock(st);
	if (rc == 0 && *n > 1)
		qsort(*out, *n, sizeof(**out), revoked_cmp);
	return rc;
}

int
kk_store_crl_next_number(kk_store *st, int64_t *number, kk_err *err)
{
	int rc;

	store_lock(st);
	rc = store_get_int64(st, number, err, "SELECT COALESCE(MAX(number), 0) + 1 FROM crls",
	    "");
	store_unlock(st);
	return rc < 0 ? -1 : 0;
}

int
kk_store_crl_save(kk_store *st, const kk_signed *crl, kk_err *err)
{
	int rc;

	store_lock(st);
	rc = store_run(st, NULL, err, "INSERT INTO crls (number, shard, this_update, "
	    "next_update, der) VALUES (?, 0, ?, ?, ?)", "ITTb", crl->number, crl->this_update,
	    crl->next_update, (const void *)crl->der, crl->der_len);
	store_unlock(st);
	return rc;
}

/* The first row of sql (columns number, this_update, next_update, der) into out. */
static int
signed_query(kk_store *st, const char *sql, const char *serial, kk_signed *out, kk_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	store_lock(st);
	if ((rc = store_prep(st, &s, err, sql, serial != NULL ? "s" : "", serial)) == 0 &&
	    (rc = store_step(st, s, err, "signed status")) == 0)
		rc = kk_err_set(err, KK_ERR_NOT_FOUND, "%s not found",
		    serial != NULL ? "OCSP response" : "CRL");
	if (rc == 1) {
		out->number = sqlite3_column_int64(s, 0);
		out->this_update = (time_t)sqlite3_column_int64(s, 1);
		out->next_update = (time_t)sqlite3_column_int64(s, 2);
		rc = store_col_blob(s, 3, &out->der, &out->der_len) != 0 || out->der == NULL ?
		    kk_err_set(err, KK_ERR_INTERNAL, "out of memory") : 0;
	}
	store_finish(st, s);
	store_unlock(st);
	return rc;
}

int
kk_store_crl_latest(kk_store *st, kk_signed *out, kk_err *err)
{
	return signed_query(st, "SELECT number, this_update, next_update, der FROM crls "
	    "WHERE shard = 0 ORDER BY number DESC LIMIT 1", NULL, out, err);
}

int
kk_store_ocsp_get(kk_store *st, const char *serial, kk_signed *out, kk_err *err)
{
	return signed_query(st, "SELECT 0, this_update, next_update, der FROM ocsp_responses "
	    "WHERE serial = ?", serial, out, err);
}

int
kk_store_ocsp_put(kk_store *st, const char *serial, const kk_signed *resp, kk_err *err)
{
	int rc;

	store_lock(st);
	rc = store_run(st, NULL, err, "INSERT INTO ocsp_responses (serial, this_update, "
	    "next_update, der) VALUES (?, ?, ?, ?) ON CONFLICT (serial) DO UPDATE SET "
	    "this_update = excluded.this_update, next_update = excluded.next_update, "
	    "der = excluded.der", "sTTb", serial, resp->this_update, resp->next_update,
	    (const void *)resp->der, resp->der_len);
	store_unlock(st);
	return rc;
}

void
store_serial_row(sqlite3_stmt *s, void *p)
{
	store_col_copy(s, 0, p, 41);
}

/* A response signed before a revocation is at least as old as the revocation, so
 * once the revocation is older than half the response's validity the response is in
 * the refresh range anyway; BR 4.9.10 caps the validity at 10 days. Revocations of the
 * last 5 days are searched by themselves, about a microsecond each. */
#define REVOKED_WINDOW (5 * 86400)

/* Reads the rows of s (serial, 1 if the certificate still needs a response) into
 * serials (at most max) and the others into prune. */
static int
read_due(kk_store *st, sqlite3_stmt *s, size_t max, char (*serials)[41], size_t *n,
    char (*prune)[41], size_t *np, kk_err *err)
{
	int rc;

	while (*n < max && (rc = store_step(st, s, err, "stale OCSP responses")) == 1) {
		if (sqlite3_column_int(s, 1))
			store_col_copy(s, 0, serials[(*n)++], 41);
		else
			store_col_copy(s, 0, prune[(*np)++], 41);
	}
	store_finish(st, s);
	return rc < 0 ? -1 : 0;
}

/* Two index ranges, no scan of certificates (docs/performance.md "Scale"): responses
 * past their refresh time (ocsp_responses_refresh, oldest first), and responses older
 * than a recent revocation (certificates_revoked_at). Responses of expired certificates
 * are deleted on the way: nothing re-signs them, and they would stay at the head of the
 * refresh range. One short transaction. */
int
kk_store_ocsp_stale(kk_store *st, time_t now, size_t max, char (**serials)[41], size_t *n,
    kk_err *err)
{
	sqlite3_stmt *s = NULL;
	char (*out)[41] = NULL, (*prune)[41] = NULL;
	size_t nout = 0, np = 0, i;
	int rc = -1;

	*serials = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	if ((out = kk_calloc(max, sizeof(*out))) == NULL ||
	    (prune = kk_calloc(max, sizeof(*prune))) == NULL) {
		free(out);
		return kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
	}
	store_lock(st);
	if (store_begin(st, err) != 0)
		goto out;
	/* without statistics the planner would walk every revoked certificate
	 * (certificates_revoked) */
	rc = store_prep(st, &s, err, "SELECT c.serial, c.not_after >= ?1 AND (c.status IN "
	    "('issued', 'revoked') OR c.precert_der IS NOT NULL) FROM certificates c INDEXED "
	    "BY certificates_revoked_at JOIN ocsp_responses o ON o.serial = c.serial WHERE "
	    "c.status = 'revoked' AND c.revoked_at >= ?1 - ?3 AND o.this_update <= "
	    "c.revoked_at LIMIT ?2", "TII", now, (int64_t)max, (int64_t)REVOKED_WINDOW);
	if (rc == 0)
		rc = read_due(st, s, max, out, &nout, prune, &np, err);
	if (rc == 0 && nout + np < max &&
	    (rc = store_prep(st, &s, err, "SELECT o.serial, c.not_after >= ?1 AND (c.status "
	    "IN ('issued', 'revoked') OR c.precert_der IS NOT NULL) FROM ocsp_responses o "
	    "INDEXED BY ocsp_responses_refresh JOIN certificates c ON c.serial = o.serial "
	    "WHERE o.refresh_at <= ?1 AND NOT (c.status = 'revoked' AND "
	    "coalesce(c.revoked_at, 0) >= ?1 - ?3 AND o.this_update <= c.revoked_at) "
	    "ORDER BY o.refresh_at LIMIT ?2", "TII", now, (int64_t)(max - nout - np),
	    (int64_t)REVOKED_WINDOW)) == 0)
		rc = read_due(st, s, max, out, &nout, prune, &np, err);
	for (i = 0; rc == 0 && i < np; i++)
		rc = store_run(st, NULL, err, "DELETE FROM ocsp_responses WHERE serial = ?", "s",
		    prune[i]);
	rc = store_end(st, rc, err);
out:
	store_unlock(st);
	free(prune);
	if (rc != 0 || nout == 0) {
		free(out);
		return rc;
	}
	*serials = out;
	*n = nout;
	return 0;
}

/* certificates rows examined per call: a few milliseconds under the lock */
#define MISSING_CHUNK 4096

/* Walks certificates in serial order from *cursor, a chunk at a time, in index
 * certificates_walk alone (migration 008: never the rows with their TBS and DER). */
int
kk_store_ocsp_missing(kk_store *st, time_t now, char cursor[41], size_t max,
    char (**serials)[41], size_t *n, kk_err *err)
{
	sqlite3_stmt *s = NULL;
	char (*out)[41] = NULL;
	size_t seen = 0;
	int rc;

	*serials = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	if ((out = kk_calloc(max, sizeof(*out))) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
	store_lock(st);
	rc = store_prep(st, &s, err, "SELECT c.serial, c.not_after >= ?1 AND (c.status IN "
	    "('issued', 'revoked') OR c.precert_der IS NOT NULL) AND NOT EXISTS (SELECT 1 "
	    "FROM ocsp_responses o WHERE o.serial = c.serial) FROM certificates c INDEXED BY "
	    "certificates_walk WHERE c.serial > ?2 ORDER BY c.serial LIMIT ?3", "TsI", now, cursor,
	    (int64_t)MISSING_CHUNK);
	while (rc == 0 && *n < max &&
	    (rc = store_step(st, s, err, "missing OCSP responses")) == 1) {
		rc = 0;
		seen++;
		store_col_copy(s, 0, cursor, 41);
		if (sqlite3_column_int(s, 1))
			memcpy(out[(*n)++], cursor, 41);
	}
	store_finish(st, s);
	store_unlock(st);
	if (rc < 0) {
		free(out);
		*n = 0;
		return -1;
	}
	/* the end of the table: the walk is over */
	if (*n < max && seen < MISSING_CHUNK)
		cursor[0] = '\0';
	if (*n == 0)
		free(out);
	else
		*serials = out;
	return 0;
}

/* Revocations made by another process (`kakuin revoke do`) change this count. */
int
kk_store_revoked_count(kk_store *st, time_t now, int64_t *n, kk_err *err)
{
	int rc;

	store_lock(st);
	rc = store_get_int64(st, n, err, "SELECT count(*) FROM certificates WHERE "
	    "status = 'revoked' AND not_after >= ?", "T", now);
	store_unlock(st);
	return rc < 0 ? -1 : 0;
}
