/*
 * Revocation in the SQLite store (include/kakuin/store_revoke.h, schema 5): one
 * transaction per revocation, so a certificate, its key-compromise siblings, the blocked
 * key, the closed requests and the audit row change together or not at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include "kakuin/store_revoke.h"
#include "kakuin/util.h"
#include "store_internal.h"

int
kk_spki_sha256(EVP_PKEY *key, char out[65])
{
	unsigned char *der = NULL, h[SHA256_DIGEST_LENGTH];
	int len;

	if (key == NULL || (len = i2d_PUBKEY(key, &der)) <= 0)
		return -1;
	SHA256(der, (size_t)len, h);
	OPENSSL_free(der);
	kk_hex(h, sizeof(h), out);
	return 0;
}

int
kk_spki_sha256_der(const unsigned char *spki, size_t len, char out[65])
{
	unsigned char h[SHA256_DIGEST_LENGTH];

	if (spki == NULL || len == 0)
		return -1;
	SHA256(spki, len, h);
	kk_hex(h, sizeof(h), out);
	return 0;
}

int
kk_spki_sha256_pub(const X509_PUBKEY *pk, char out[65])
{
	unsigned char *der = NULL;
	int len, rc;

	if (pk == NULL || (len = i2d_X509_PUBKEY(pk, &der)) <= 0)
		return -1;
	rc = kk_spki_sha256_der(der, (size_t)len, out);
	OPENSSL_free(der);
	return rc;
}

/* RFC 5280 4.1: Certificate ::= SEQUENCE { TBSCertificate ::= SEQUENCE { [0] version
 * OPTIONAL, serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo,
 * ... } ... } */
int
kk_spki_sha256_cert(const unsigned char *der, size_t len, char out[65])
{
	const unsigned char *p = der, *end = der + len, *start;
	size_t n;
	int tag, i;

	if (der == NULL || kk_der_tlv(&p, end, &tag, &n) != 0 || tag != 0x30 ||
	    kk_der_tlv(&p, end, &tag, &n) != 0 || tag != 0x30)
		return -1;
	end = p + n;
	for (i = 0; i < 7; i++) {
		start = p;
		if (kk_der_tlv(&p, end, &tag, &n) != 0)
			return -1;
		if (i == 0 && tag != 0xa0)
			i++;    /* no version: v1, the serial comes first */
		if (i == 6)
			return tag == 0x30 ? kk_spki_sha256_der(start, (size_t)(p - start) + n,
			    out) : -1;
		p += n;
	}
	return -1;
}

int
kk_store_cert_revstate(kk_store *st, const char *serial, kk_certrev *out, kk_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	store_lock(st);
	/* a signed precertificate makes its serial assigned (BR 4.9.10): "precert" */
	if ((rc = store_prep(st, &s, err, "SELECT serial, account_id, CASE WHEN status IN "
	    "('reserved', 'planned') AND precert_der IS NOT NULL THEN 'precert' ELSE status END, "
	    "coalesce(not_after, 0), coalesce(revoked_at, 0), coalesce(revoked_reason, 0), "
	    "coalesce(revoked_by, ''), coalesce(spki_sha256, '') FROM certificates "
	    "WHERE serial = ?", "s", serial)) != 0)
		goto out;
	if ((rc = store_step(st, s, err, "certificate")) == 0)
		rc = kk_err_set(err, KK_ERR_NOT_FOUND, "certificate %.40s not found", serial);
	if (rc < 0)
		goto out;
	store_col_copy(s, 0, out->serial, sizeof(out->serial));
	out->account_id = sqlite3_column_int64(s, 1);
	store_col_copy(s, 2, out->status, sizeof(out->status));
	out->not_after = (time_t)sqlite3_column_int64(s, 3);
	out->revoked_at = (time_t)sqlite3_column_int64(s, 4);
	out->reason = sqlite3_column_int(s, 5);
	store_col_copy(s, 6, out->revoked_by, sizeof(out->revoked_by));
	store_col_copy(s, 7, out->spki_sha256, sizeof(out->spki_sha256));
	rc = 0;
out:
	store_finish(st, s);
	store_unlock(st);
	return rc;
}

void
kk_serials_free(char **serials, size_t n)
{
	size_t i;

	for (i = 0; serials != NULL && i < n; i++)
		free(serials[i]);
	free(serials);
}

/* Appends a copy of serial to *list. */
static int
serials_add(char ***list, size_t *n, const char *serial, kk_err *err)
{
	char **nl;

	if ((nl = kk_realloc(*list, (*n + 1) * sizeof(*nl))) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
	*list = nl;
	if ((nl[*n] = kk_strdup(serial)) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
	(*n)++;
	return 0;
}

/* One certificate issued -> revoked, its open requests closed. The caller holds the lock
 * and a transaction. */
static int
revoke_one(kk_store *st, const char *serial, int reason, const char *by, time_t when,
    kk_err *err)
{
	int changes = 0;

	if (store_run(st, &changes, err, "UPDATE certificates SET status = 'revoked', "
	    "revoked_at = ?, revoked_reason = ?, revoked_by = ? WHERE serial = ? AND "
	    "status = 'issued'", "TNss", when, (int64_t)reason, by, serial) != 0)
		return -1;
	if (changes != 1)
		return kk_err_set(err, KK_ERR_INTERNAL, "certificate %s changed underneath", serial);
	return store_run(st, NULL, err, "UPDATE revocation_requests SET status = 'done', "
	    "done_at = ? WHERE serial = ? AND status = 'open'", "Ts", when, serial);
}

/* CP 4.9.12: every other unexpired issued certificate of the key, and the key itself. */
static int
revoke_key(kk_store *st, const kk_revocation *r, char ***serials, size_t *n, kk_err *err)
{
	sqlite3_stmt *s = NULL;
	char **sib = NULL;
	size_t nsib = 0, i;
	int rc;

	if ((rc = store_prep(st, &s, err, "SELECT serial FROM certificates WHERE "
	    "spki_sha256 = ? AND status = 'issued' AND not_after > ? AND serial <> ? "
	    "ORDER BY serial", "sTs", r->block_spki, r->when, r->serial)) != 0)
		return -1;
	while ((rc = store_step(st, s, err, "key siblings")) == 1)
		if ((rc = serials_add(&sib, &nsib, (const char *)sqlite3_column_text(s, 0),
		    err)) != 0)
			break;
	store_finish(st, s);
	for (i = 0; rc == 0 && i < nsib; i++)
		if ((rc = revoke_one(st, sib[i], 1, r->by, r->when, err)) == 0)
			rc = serials_add(serials, n, sib[i], err);
	if (rc == 0)
		rc = store_run(st, NULL, err, "INSERT OR IGNORE INTO blocked_keys (spki_sha256, "
		    "reason, source, created) VALUES (?, 'keyCompromise', ?, ?)", "ssT",
		    r->block_spki, r->by, r->when);
	kk_serials_free(sib, nsib);
	return rc;
}

int
kk_store_cert_revoke(kk_store *st, const kk_revocation *r, char ***serials, size_t *n,
    kk_err *err)
{
	char status[16] = "", obj[64];
	kk_auditrec a;
	int rc;

	*serials = NULL;
	*n = 0;
	store_lock(st);
	if ((rc = store_begin_durable(st, err)) != 0)
		goto out;
	rc = store_get_text(st, status, sizeof(status), err, "SELECT status FROM certificates "
	    "WHERE serial = ?", "s", r->serial);
	if (rc == 1 && strcmp(status, "revoked") == 0)
		rc = kk_err_set(err, KK_ERR_ALREADY_REVOKED, "certificate %s is already revoked",
		    r->serial);
	else if (rc == 0 || (rc == 1 && strcmp(status, "issued") != 0))
		rc = kk_err_set(err, KK_ERR_NOT_FOUND, "certificate %.40s was not issued by this CA",
		    r->serial);
	else if (rc == 1)
		rc = revoke_one(st, r->serial, r->reason, r->by, r->when, err);
	if (rc == 0)
		rc = serials_add(serials, n, r->serial, err);
	if (rc == 0 && r->block_spki != NULL)
		rc = revoke_key(st, r, serials, n, err);
	if (rc == 0 && r->audit != NULL) {
		a = *r->audit;
		if (a.object == NULL) {
			snprintf(obj, sizeof(obj), "certificate %s", r->serial);
			a.object = obj;
		}
		rc = store_audit_insert(st, &a, "certificate", 0, err);
	}
	rc = store_end(st, rc, err);
out:
	store_unlock(st);
	if (rc != 0) {
		kk_serials_free(*serials, *n);
		*serials = NULL;
		*n = 0;
	}
	return rc;
}

int
kk_store_key_blocked(kk_store *st, const char *spki_sha256, kk_err *err)
{
	int64_t one = 0;
	int rc;

	store_lock(st);
	rc = store_get_int64(st, &one, err, "SELECT 1 FROM blocked_keys WHERE spki_sha256 = ?",
	    "s", spki_sha256);
	store_unlock(st);
	return rc;
}


int
kk_store_revreq_create(kk_store *st, const kk_revreq *r, const kk_auditrec *a, int64_t *id,
    kk_err *err)
{
	int rc;

	store_lock(st);
	if ((rc = store_begin_durable(st, err)) != 0)
		goto out;
	rc = store_run(st, NULL, err, "INSERT INTO revocation_requests (serial, reason, "
	    "requested_by, detail, deadline_class, deadline, status, created) SELECT serial, "
	    "?, ?, ?, ?, ?, 'open', ? FROM certificates WHERE serial = ? AND status IN "
	    "('issued', 'revoked')", "NsssTTs", (int64_t)r->reason, r->requested_by,
	    r->detail[0] ? r->detail : NULL, r->deadline_class, r->deadline, r->created,
	    r->serial);
	if (rc == 0 && sqlite3_changes(st->db) != 1)
		rc = kk_err_set(err, KK_ERR_NOT_FOUND, "certificate %.40s was not issued by this CA",
		    r->serial);
	if (rc == 0) {
		*id = sqlite3_last_insert_rowid(st->db);
		rc = store_audit_insert(st, a, "revocation request", *id, err);
	}
	rc = store_end(st, rc, err);
out:
	store_unlock(st);
	return rc;
}

static void
revreq_row(sqlite3_stmt *s, void *p)
{
	kk_revreq *r = p;

	r->id = sqlite3_column_int64(s, 0);
	store_col_copy(s, 1, r->serial, sizeof(r->serial));
	r->reason = sqlite3_column_int(s, 2);
	store_col_copy(s, 3, r->requested_by, sizeof(r->requested_by));
	store_col_copy(s, 4, r->detail, sizeof(r->detail));
	store_col_copy(s, 5, r->deadline_class, sizeof(r->deadline_class));
	r->deadline = (time_t)sqlite3_column_int64(s, 6);
	store_col_copy(s, 7, r->status, sizeof(r->status));
	r->created = (time_t)sqlite3_column_int64(s, 8);
	r->done_at = (time_t)sqlite3_column_int64(s, 9);
}

int
kk_store_revreq_open(kk_store *st, kk_revreq **out, size_t *n, kk_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	*out = NULL;
	*n = 0;
	store_lock(st);
	if ((rc = store_prep(st, &s, err, "SELECT id, serial, coalesce(reason, 0), "
	    "requested_by, coalesce(detail, ''), deadline_class, deadline, status, created, "
	    "coalesce(done_at, 0) FROM revocation_requests WHERE status = 'open' "
	    "ORDER BY deadline, id", "")) == 0)
		rc = store_read_rows(st, s, sizeof(**out), revreq_row, (void **)out, n, err);
	store_unlock(st);
	return rc;
}

int
kk_store_certs_live(kk_store *st, time_t now, char (**serials)[41], size_t *n, kk_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	*serials = NULL;
	*n = 0;
	store_lock(st);
	if ((rc = store_prep(st, &s, err, "SELECT serial FROM certificates WHERE status = "
	    "'issued' AND not_after >= ? ORDER BY rowid", "T", now)) == 0)
		rc = store_read_rows(st, s, sizeof(**serials), store_serial_row,
		    (void **)serials, n, err);
	store_unlock(st);
	return rc;
}

int
kk_store_order_replacing(kk_store *st, const char *serial, int64_t *order_id, kk_err *err)
{
	int rc;

	store_lock(st);
	rc = store_get_int64(st, order_id, err, "SELECT id FROM orders WHERE replaces = ? AND "
	    "status <> 'invalid' ORDER BY id LIMIT 1", "s", serial);
	store_unlock(st);
	return rc;
}
