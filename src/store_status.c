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

int
kk_store_ocsp_stale(kk_store *st, time_t now, size_t max, char (**serials)[41], size_t *n,
    kk_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	*serials = NULL;
	*n = 0;
	store_lock(st);
	if ((rc = store_prep(st, &s, err, "SELECT c.serial FROM certificates c LEFT JOIN "
	    "ocsp_responses o ON o.serial = c.serial WHERE (c.status IN ('issued', 'revoked') OR "
	    "c.precert_der IS NOT NULL) "
	    "AND c.not_after >= ?1 AND (o.serial IS NULL OR "
	    "o.this_update + (o.next_update - o.this_update) / 2 <= ?1 OR "
	    "(c.status = 'revoked' AND o.this_update <= c.revoked_at)) "
	    "ORDER BY o.next_update LIMIT ?2", "TI", now, (int64_t)max)) == 0)
		rc = store_read_rows(st, s, sizeof(**serials), store_serial_row,
		    (void **)serials, n, err);
	store_unlock(st);
	return rc;
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
