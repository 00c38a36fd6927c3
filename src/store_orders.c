/*
 * Orders, serials and certificates in the SQLite store (include/kakuin/store.h).
 * Issuance is crash-safe (DESIGN.md): reserve serial -> plan TBS -> sign -> issue, each
 * step one transaction, so a restart finds every order in a state it can resume.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include "kakuin/clock.h"
#include "kakuin/store_revoke.h"
#include "kakuin/util.h"
#include "store_internal.h"

void
kk_order_clear(kk_order *o)
{
	if (o == NULL)
		return;
	free(o->identifiers);
	free(o->error);
	free(o->cert_serial);
	free(o->account_uri);
	memset(o, 0, sizeof(*o));
}

void
kk_cert_clear(kk_cert *c)
{
	if (c == NULL)
		return;
	free(c->tbs);
	free(c->der);
	free(c->precert_tbs);
	free(c->precert_der);
	free(c->scts);
	memset(c, 0, sizeof(*c));
}

/* Links an existing authorization after checking it belongs to the order's account. */
static int
authz_existing(kk_store *st, int64_t account_id, int64_t authz_id, kk_err *err)
{
	int64_t owner = 0;
	int rc;

	rc = store_get_int64(st, &owner, err, "SELECT account_id FROM authorizations "
	    "WHERE id = ?", "I", authz_id);
	if (rc == 0)
		return kk_err_set(err, KK_ERR_NOT_FOUND, "authorization %lld not found",
		    (long long)authz_id);
	if (rc == 1 && owner != account_id)
		return kk_err_set(err, KK_ERR_UNAUTHORIZED, "authorization %lld belongs to "
		    "another account", (long long)authz_id);
	return rc < 0 ? -1 : 0;
}

static int
order_insert(kk_store *st, const kk_order *o, const char *status, time_t now,
    const kk_authz_spec *specs, size_t n, int64_t *order_id, int64_t *authz_ids, kk_err *err)
{
	size_t i;

	if (store_run(st, NULL, err, "INSERT INTO orders (account_id, status, created, "
	    "expires, not_before, not_after, identifiers, error, profile, replaces) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "IsTTZZssss", o->account_id, status, now,
	    o->expires, o->not_before, o->not_after, o->identifiers, o->error,
	    o->profile[0] ? o->profile : NULL, o->replaces[0] ? o->replaces : NULL) != 0)
		return -1;
	*order_id = sqlite3_last_insert_rowid(st->db);
	for (i = 0; i < n; i++) {
		if (specs[i].existing_id > 0) {
			if (authz_existing(st, o->account_id, specs[i].existing_id, err) != 0)
				return -1;
			authz_ids[i] = specs[i].existing_id;
		} else if (store_authz_insert(st, o->account_id, &specs[i], now,
		    &authz_ids[i], err) != 0)
			return -1;
		if (store_run(st, NULL, err, "INSERT INTO order_authorizations (order_id, "
		    "position, authz_id) VALUES (?, ?, ?)", "IiI", *order_id, (int)i,
		    authz_ids[i]) != 0)
			return -1;
	}
	return 0;
}

/* specs are borrowed; o->status defaults to "pending". On failure nothing is stored
 * and o is unchanged. */
int
kk_store_order_create(kk_store *st, kk_order *o, const kk_authz_spec *specs, size_t n,
    kk_err *err)
{
	const char *status = o->status[0] != '\0' ? o->status : "pending";
	int64_t ids[KK_MAX_ORDER_NAMES], order_id = 0;
	time_t now = kk_now();
	int rc;

	if (n == 0 || n > KK_MAX_ORDER_NAMES)
		return kk_err_set(err, KK_ERR_MALFORMED, "an order needs 1..%d identifiers",
		    KK_MAX_ORDER_NAMES);
	if (o->identifiers == NULL)
		return kk_err_set(err, KK_ERR_MALFORMED, "order without identifiers");
	store_lock(st);
	if ((rc = store_begin(st, err)) == 0)
		rc = store_end(st, order_insert(st, o, status, now, specs, n, &order_id, ids,
		    err), err);
	store_unlock(st);
	if (rc != 0)
		return -1;
	o->id = order_id;
	o->created = now;
	if (o->status[0] == '\0')
		snprintf(o->status, sizeof(o->status), "%s", status);
	memcpy(o->authz_ids, ids, n * sizeof(ids[0]));
	o->n_authz = n;
	return 0;
}

static int
order_get_locked(kk_store *st, int64_t id, kk_order *o, kk_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (store_prep(st, &s, err, "SELECT id, account_id, status, created, expires, "
	    "coalesce(not_before, 0), coalesce(not_after, 0), identifiers, error, cert_serial, "
	    "account_uri, profile, replaces FROM orders WHERE id = ?", "I", id) != 0)
		return -1;
	if ((rc = store_step(st, s, err, "order")) == 0)
		rc = kk_err_set(err, KK_ERR_NOT_FOUND, "order %lld not found", (long long)id);
	if (rc < 0)
		goto out;
	o->id = sqlite3_column_int64(s, 0);
	o->account_id = sqlite3_column_int64(s, 1);
	store_col_copy(s, 2, o->status, sizeof(o->status));
	o->created = (time_t)sqlite3_column_int64(s, 3);
	o->expires = (time_t)sqlite3_column_int64(s, 4);
	o->not_before = (time_t)sqlite3_column_int64(s, 5);
	o->not_after = (time_t)sqlite3_column_int64(s, 6);
	store_col_copy(s, 11, o->profile, sizeof(o->profile));
	store_col_copy(s, 12, o->replaces, sizeof(o->replaces));
	if (store_col_str(s, 7, &o->identifiers) != 0 || store_col_str(s, 8, &o->error) != 0 ||
	    store_col_str(s, 9, &o->cert_serial) != 0 || store_col_str(s, 10, &o->account_uri) != 0) {
		rc = kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	store_finish(st, s);
	if (store_prep(st, &s, err, "SELECT authz_id FROM order_authorizations WHERE "
	    "order_id = ? ORDER BY position", "I", id) != 0)
		return -1;
	while ((rc = store_step(st, s, err, "order authorizations")) == 1) {
		if (o->n_authz == KK_MAX_ORDER_NAMES) {
			rc = kk_err_set(err, KK_ERR_INTERNAL, "order %lld: too many "
			    "authorizations", (long long)id);
			break;
		}
		o->authz_ids[o->n_authz++] = sqlite3_column_int64(s, 0);
	}
out:
	store_finish(st, s);
	return rc;
}

/* Fills *out, authz_ids in identifier order (caller clears it with kk_order_clear). */
int
kk_store_order_get(kk_store *st, int64_t id, kk_order *out, kk_err *err)
{
	kk_order o;
	int rc;

	memset(&o, 0, sizeof(o));
	store_lock(st);
	if ((rc = store_begin(st, err)) == 0)
		rc = store_end(st, order_get_locked(st, id, &o, err), err);
	store_unlock(st);
	if (rc == 0)
		*out = o;
	else
		kk_order_clear(&o);
	return rc;
}

/* Caller frees *ids. */
int
kk_store_orders_by_account(kk_store *st, int64_t account_id, int64_t **ids, size_t *n,
    kk_err *err)
{
	int rc;

	store_lock(st);
	rc = store_get_ids(st, ids, n, err, "SELECT id FROM orders WHERE account_id = ? "
	    "ORDER BY id", "I", account_id);
	store_unlock(st);
	return rc;
}

/* RFC 8555 7.4: only one finalize request wins; the CSR (borrowed) is kept so a
 * restart can resume issuance. */
int
kk_store_order_begin_finalize(kk_store *st, int64_t id, const unsigned char *csr, size_t len,
    const char *account_uri, kk_err *err)
{
	char status[16];
	int rc, changes = 0;

	if (csr == NULL || len == 0)
		return kk_err_set(err, KK_ERR_BAD_CSR, "empty CSR");
	store_lock(st);
	if ((rc = store_begin(st, err)) != 0)
		goto out;
	rc = store_run(st, &changes, err, "UPDATE orders SET status = 'processing', csr = ?, "
	    "account_uri = ? WHERE id = ? AND status = 'pending'", "bsI", csr, len, account_uri,
	    id);
	if (rc == 0 && changes == 0) {
		rc = store_get_text(st, status, sizeof(status), err, "SELECT status FROM "
		    "orders WHERE id = ?", "I", id);
		if (rc == 0)
			kk_err_set(err, KK_ERR_NOT_FOUND, "order %lld not found", (long long)id);
		else if (rc == 1)
			kk_err_set(err, KK_ERR_ORDER_NOT_READY, "order %lld is %s",
			    (long long)id, status);
		rc = -1;
	}
	rc = store_end(st, rc, err);
out:
	store_unlock(st);
	return rc;
}

/* Caller frees *csr. */
int
kk_store_order_csr(kk_store *st, int64_t id, unsigned char **csr, size_t *len, kk_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	store_lock(st);
	if ((rc = store_prep(st, &s, err, "SELECT csr FROM orders WHERE id = ?", "I", id)) != 0)
		goto out;
	if ((rc = store_step(st, s, err, "order")) == 0 ||
	    (rc == 1 && sqlite3_column_type(s, 0) == SQLITE_NULL))
		rc = kk_err_set(err, KK_ERR_NOT_FOUND, "order %lld has no CSR", (long long)id);
	else if (rc == 1 && (rc = store_col_blob(s, 0, csr, len)) != 0)
		kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
out:
	store_finish(st, s);
	store_unlock(st);
	return rc;
}

/* RFC 8555 7.1.6: pending or processing -> invalid. A valid order keeps its
 * certificate; failing it is refused (KK_ERR_NOT_FOUND covers a missing order). */
int
kk_store_order_fail(kk_store *st, int64_t id, const char *error_json, kk_err *err)
{
	int64_t found;
	int rc, changes = 0;

	store_lock(st);
	if ((rc = store_begin(st, err)) != 0)
		goto out;
	rc = store_run(st, &changes, err, "UPDATE orders SET status = 'invalid', error = ? "
	    "WHERE id = ? AND status <> 'valid'", "sI", error_json, id);
	if (rc == 0 && changes == 0) {
		rc = store_get_int64(st, &found, err, "SELECT id FROM orders WHERE id = ?", "I",
		    id);
		if (rc == 0)
			kk_err_set(err, KK_ERR_NOT_FOUND, "order %lld not found", (long long)id);
		else if (rc == 1)
			kk_err_set(err, KK_ERR_MALFORMED, "order %lld is already valid",
			    (long long)id);
		rc = -1;
	}
	rc = store_end(st, rc, err);
out:
	store_unlock(st);
	return rc;
}

/* Caller frees *ids. */
int
kk_store_orders_processing(kk_store *st, int64_t **ids, size_t *n, kk_err *err)
{
	int rc;

	store_lock(st);
	rc = store_get_ids(st, ids, n, err, "SELECT id FROM orders WHERE "
	    "status = 'processing' ORDER BY id", "");
	store_unlock(st);
	return rc;
}

/* BR 7.1: serials are lower-case hex of at most 20 octets. */
int
store_serial_ok(const char *serial)
{
	size_t i, len;

	if (serial == NULL || (len = strlen(serial)) == 0 || len > 40)
		return 0;
	for (i = 0; i < len; i++)
		if (!((serial[i] >= '0' && serial[i] <= '9') ||
		    (serial[i] >= 'a' && serial[i] <= 'f')))
			return 0;
	return 1;
}

/* The primary key on serial makes any reuse, even of a long-issued serial, a
 * KK_ERR_CONFLICT. */
int
kk_store_serial_reserve(kk_store *st, const char *serial, int64_t order_id, int64_t account_id,
    kk_err *err)
{
	int rc;

	if (!store_serial_ok(serial))
		return kk_err_set(err, KK_ERR_MALFORMED, "bad serial");
	store_lock(st);
	if ((rc = store_begin(st, err)) == 0) {
		rc = store_run(st, NULL, err, "INSERT INTO certificates (serial, status, "
		    "order_id, account_id, created) VALUES (?, 'reserved', ?, ?, ?)", "sIIT",
		    serial, order_id, account_id, kk_now());
		rc = store_end(st, rc, err);
	}
	store_unlock(st);
	return rc;
}

/*
 * After a compare-and-set on a certificate row hit nothing: sql answers 'same' when
 * the row already holds exactly this content in the target state (a resumed step,
 * which succeeds), else the row's status (KK_ERR_CONFLICT).
 */
int
store_cert_retry(kk_store *st, const char *sql, const char *serial, const unsigned char *blob,
    size_t len, const char *step, kk_err *err)
{
	char got[16];
	int rc;

	rc = store_get_text(st, got, sizeof(got), err, sql, "bs", blob, len, serial);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return kk_err_set(err, KK_ERR_NOT_FOUND, "serial %s not found", serial);
	if (strcmp(got, "same") == 0)
		return 0;
	return kk_err_set(err, KK_ERR_CONFLICT, "cannot %s serial %s: it is %s with other "
	    "content", step, serial, got);
}

/* tbs is borrowed. Replanning with identical bytes succeeds, so a restart between
 * plan and sign is harmless; different bytes would mean two certificates with one
 * serial. */
int
kk_store_cert_plan(kk_store *st, const char *serial, const unsigned char *tbs, size_t len,
    time_t not_before, time_t not_after, kk_err *err)
{
	int rc, changes = 0;

	if (!store_serial_ok(serial) || tbs == NULL || len == 0)
		return kk_err_set(err, KK_ERR_MALFORMED, "plan needs a serial and a TBS");
	store_lock(st);
	if ((rc = store_begin_durable(st, err)) != 0)
		goto out;
	rc = store_run(st, &changes, err, "UPDATE certificates SET status = 'planned', "
	    "tbs = ?, not_before = ?, not_after = ? WHERE serial = ? AND status = 'reserved'",
	    "bTTs", tbs, len, not_before, not_after, serial);
	if (rc == 0 && changes == 0)
		rc = store_cert_retry(st, "SELECT CASE WHEN status = 'planned' AND tbs = ? THEN "
		    "'same' ELSE status END FROM certificates WHERE serial = ?", serial, tbs,
		    len, "plan", err);
	rc = store_end(st, rc, err);
out:
	store_unlock(st);
	return rc;
}

/* der is borrowed. The certificate and its order become valid together: a crash
 * leaves either a planned serial to resume or a finished order. */
int
kk_store_cert_issue(kk_store *st, const char *serial, const unsigned char *der, size_t len,
    kk_err *err)
{
	char spki[65];
	int rc, changes = 0, have_spki;

	if (!store_serial_ok(serial) || der == NULL || len == 0)
		return kk_err_set(err, KK_ERR_MALFORMED, "issue needs a serial and DER");
	have_spki = kk_spki_sha256_cert(der, len, spki) == 0;
	store_lock(st);
	if ((rc = store_begin_durable(st, err)) != 0)
		goto out;
	rc = store_run(st, &changes, err, "UPDATE certificates SET status = 'issued', der = ?, "
	    "spki_sha256 = ? WHERE serial = ? AND status = 'planned'", "bss", der, len,
	    have_spki ? spki : NULL, serial);
	if (rc == 0 && changes == 0)
		rc = store_cert_retry(st, "SELECT CASE WHEN status = 'issued' AND der = ? THEN "
		    "'same' ELSE status END FROM certificates WHERE serial = ?", serial, der,
		    len, "issue", err);
	if (rc == 0)
		rc = store_run(st, &changes, err, "UPDATE orders SET status = 'valid', "
		    "cert_serial = ?1, error = NULL WHERE id = (SELECT order_id FROM "
		    "certificates WHERE serial = ?1)", "s", serial);
	if (rc == 0 && changes != 1)
		rc = kk_err_set(err, KK_ERR_INTERNAL, "serial %s: order missing", serial);
	rc = store_end(st, rc, err);
out:
	store_unlock(st);
	return rc;
}

#define CERT_SELECT "SELECT serial, order_id, account_id, status, tbs, der, " \
	"coalesce(not_before, 0), coalesce(not_after, 0), created, precert_tbs, precert_der, " \
	"scts, coalesce(ct_since, 0), coalesce(ct_tried, 0) FROM certificates "

/* Runs a CERT_SELECT query bound with fmt's one argument and fills *out (caller
 * clears it with kk_cert_clear). */
static int
cert_query(kk_store *st, const char *sql, const char *fmt, const void *arg, kk_cert *out,
    kk_err *err)
{
	sqlite3_stmt *s = NULL;
	kk_cert c;
	int rc;

	memset(&c, 0, sizeof(c));
	store_lock(st);
	if (fmt[0] == 's')
		rc = store_prep(st, &s, err, sql, fmt, (const char *)arg);
	else
		rc = store_prep(st, &s, err, sql, fmt, *(const int64_t *)arg);
	if (rc != 0)
		goto out;
	if ((rc = store_step(st, s, err, "certificate")) == 0)
		rc = kk_err_set(err, KK_ERR_NOT_FOUND, "certificate not found");
	if (rc < 0)
		goto out;
	store_col_copy(s, 0, c.serial, sizeof(c.serial));
	c.order_id = sqlite3_column_int64(s, 1);
	c.account_id = sqlite3_column_int64(s, 2);
	store_col_copy(s, 3, c.status, sizeof(c.status));
	c.not_before = (time_t)sqlite3_column_int64(s, 6);
	c.not_after = (time_t)sqlite3_column_int64(s, 7);
	c.created = (time_t)sqlite3_column_int64(s, 8);
	c.ct_since = (time_t)sqlite3_column_int64(s, 12);
	c.ct_tried = (time_t)sqlite3_column_int64(s, 13);
	if (store_col_blob(s, 4, &c.tbs, &c.tbs_len) != 0 ||
	    store_col_blob(s, 5, &c.der, &c.der_len) != 0 ||
	    store_col_blob(s, 9, &c.precert_tbs, &c.precert_tbs_len) != 0 ||
	    store_col_blob(s, 10, &c.precert_der, &c.precert_der_len) != 0 ||
	    store_col_blob(s, 11, &c.scts, &c.scts_len) != 0) {
		rc = kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	*out = c;
	memset(&c, 0, sizeof(c));
	rc = 0;
out:
	store_finish(st, s);
	store_unlock(st);
	kk_cert_clear(&c);
	return rc;
}

int
kk_store_cert_get(kk_store *st, const char *serial, kk_cert *out, kk_err *err)
{
	if (serial == NULL)
		return kk_err_set(err, KK_ERR_MALFORMED, "no serial");
	return cert_query(st, CERT_SELECT "WHERE serial = ?", "s", serial, out, err);
}

/* A planned row wins over a reserved one: its TBS may already have been signed, so
 * resuming must sign exactly that again. */
int
kk_store_cert_by_order(kk_store *st, int64_t order_id, kk_cert *out, kk_err *err)
{
	return cert_query(st, CERT_SELECT "WHERE order_id = ? AND status IN ('reserved', "
	    "'planned') ORDER BY status = 'planned' DESC, rowid DESC LIMIT 1", "I",
	    &order_id, out, err);
}
