/* Organizations and ACME accounts in the SQLite store (include/kakuin/store.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kakuin/clock.h"
#include "kakuin/util.h"
#include "store_internal.h"

void
kk_org_clear(kk_org *o)
{
	if (o == NULL)
		return;
	free(o->name);
	free(o->unit);
	free(o->locality);
	free(o->state);
	memset(o, 0, sizeof(*o));
}

void
kk_account_clear(kk_account *a)
{
	if (a == NULL)
		return;
	free(a->jwk);
	free(a->thumbprint);
	free(a->contact);
	memset(a, 0, sizeof(*a));
}

/* Subject fields come from the defaults only when no organization exists at all, so
 * an operator's later edits are never overwritten at start-up. The dev organization is
 * approved by policy (dev mode), not by reviewers: dev = 1 marks it wherever it is shown
 * (migration 003 marks an org 1 that existed before the vetting schema the same way). */
int
kk_store_org_ensure_default(kk_store *st, const kk_org *defaults, kk_err *err)
{
	int rc;

	if (defaults == NULL || defaults->name == NULL)
		return kk_err_set(err, KK_ERR_MALFORMED, "default organization needs a name");
	store_lock(st);
	if ((rc = store_begin(st, err)) == 0) {
		rc = store_run(st, NULL, err, "INSERT INTO organizations (id, name, unit, "
		    "locality, state, status, dev, created) SELECT 1, ?, ?, ?, ?, 'approved', 1, "
		    "? WHERE NOT EXISTS (SELECT 1 FROM organizations)", "ssssT", defaults->name,
		    defaults->unit, defaults->locality, defaults->state, kk_now());
		rc = store_end(st, rc, err);
	}
	store_unlock(st);
	return rc;
}

/* Fills *out (caller clears it with kk_org_clear). */
int
kk_store_org_get(kk_store *st, int64_t id, kk_org *out, kk_err *err)
{
	sqlite3_stmt *s = NULL;
	kk_org o;
	int rc;

	memset(&o, 0, sizeof(o));
	store_lock(st);
	if ((rc = store_prep(st, &s, err, "SELECT id, name, unit, locality, state FROM "
	    "organizations WHERE id = ?", "I", id)) != 0)
		goto out;
	if ((rc = store_step(st, s, err, "organization")) <= 0) {
		if (rc == 0)
			rc = kk_err_set(err, KK_ERR_NOT_FOUND, "organization %lld not found",
			    (long long)id);
		goto out;
	}
	o.id = sqlite3_column_int64(s, 0);
	if (store_col_str(s, 1, &o.name) != 0 || store_col_str(s, 2, &o.unit) != 0 ||
	    store_col_str(s, 3, &o.locality) != 0 || store_col_str(s, 4, &o.state) != 0) {
		rc = kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	*out = o;
	memset(&o, 0, sizeof(o));
	rc = 0;
out:
	store_finish(st, s);
	store_unlock(st);
	kk_org_clear(&o);
	return rc;
}

int
kk_store_org_update(kk_store *st, const kk_org *o, kk_err *err)
{
	if (o == NULL)
		return kk_err_set(err, KK_ERR_MALFORMED, "no organization");
	return store_write_one(st, err, "organization", "UPDATE organizations SET "
	    "name = coalesce(?, name), unit = coalesce(?, unit), "
	    "locality = coalesce(?, locality), state = coalesce(?, state) WHERE id = ?",
	    "ssssI", o->name, o->unit, o->locality, o->state, o->id);
}

/* a is borrowed; a->status defaults to "valid" and org_id 0 means none. */
int
kk_store_account_create(kk_store *st, kk_account *a, kk_err *err)
{
	const char *status = a->status[0] != '\0' ? a->status : "valid";
	time_t now = kk_now();
	int rc;

	if (a->jwk == NULL || a->thumbprint == NULL)
		return kk_err_set(err, KK_ERR_MALFORMED, "account needs a key and thumbprint");
	store_lock(st);
	if ((rc = store_begin(st, err)) == 0) {
		rc = store_run(st, NULL, err, "INSERT INTO accounts (jwk, thumbprint, contact, "
		    "status, org_id, eab_kid, created) VALUES (?, ?, ?, ?, ?, ?, ?)", "ssssNsT",
		    a->jwk, a->thumbprint, a->contact, status, a->org_id,
		    a->eab_kid[0] != '\0' ? a->eab_kid : NULL, now);
		if (rc == 0)
			a->id = sqlite3_last_insert_rowid(st->db);
		rc = store_end(st, rc, err);
	}
	store_unlock(st);
	if (rc == 0) {
		a->created = now;
		if (a->status[0] == '\0')
			snprintf(a->status, sizeof(a->status), "%s", status);
	} else {
		a->id = 0;
	}
	return rc;
}

#define ACCOUNT_SELECT "SELECT id, jwk, thumbprint, contact, status, " \
	"coalesce(org_id, 0), created, eab_kid FROM accounts WHERE "

/* By thumbprint when thumb is non-NULL, else by id. */
static int
account_get(kk_store *st, const char *sql, int64_t id, const char *thumb, kk_account *out,
    kk_err *err)
{
	sqlite3_stmt *s = NULL;
	kk_account a;
	int rc;

	memset(&a, 0, sizeof(a));
	store_lock(st);
	if (thumb != NULL)
		rc = store_prep(st, &s, err, sql, "s", thumb);
	else
		rc = store_prep(st, &s, err, sql, "I", id);
	if (rc != 0)
		goto out;
	if ((rc = store_step(st, s, err, "account")) <= 0) {
		if (rc == 0)
			rc = kk_err_set(err, KK_ERR_NOT_FOUND, "account not found");
		goto out;
	}
	a.id = sqlite3_column_int64(s, 0);
	store_col_copy(s, 4, a.status, sizeof(a.status));
	a.org_id = sqlite3_column_int64(s, 5);
	a.created = (time_t)sqlite3_column_int64(s, 6);
	store_col_copy(s, 7, a.eab_kid, sizeof(a.eab_kid));
	if (store_col_str(s, 1, &a.jwk) != 0 || store_col_str(s, 2, &a.thumbprint) != 0 ||
	    store_col_str(s, 3, &a.contact) != 0) {
		rc = kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	*out = a;
	memset(&a, 0, sizeof(a));
	rc = 0;
out:
	store_finish(st, s);
	store_unlock(st);
	kk_account_clear(&a);
	return rc;
}

/* Fills *out (caller clears it with kk_account_clear). */
int
kk_store_account_get(kk_store *st, int64_t id, kk_account *out, kk_err *err)
{
	return account_get(st, ACCOUNT_SELECT "id = ?", id, NULL, out, err);
}

/* Fills *out (caller clears it with kk_account_clear); thumb is borrowed. */
int
kk_store_account_by_thumbprint(kk_store *st, const char *thumb, kk_account *out, kk_err *err)
{
	if (thumb == NULL)
		return kk_err_set(err, KK_ERR_MALFORMED, "no thumbprint");
	return account_get(st, ACCOUNT_SELECT "thumbprint = ?", 0, thumb, out, err);
}

int
kk_store_account_update(kk_store *st, int64_t id, const char *contact, const char *status,
    kk_err *err)
{
	return store_write_one(st, err, "account", "UPDATE accounts SET "
	    "contact = coalesce(?, contact), status = coalesce(?, status) WHERE id = ?",
	    "ssI", contact, status, id);
}

/* RFC 8555 7.3.5: the unique thumbprint column turns a key already in use into
 * KK_ERR_CONFLICT. */
int
kk_store_account_rekey(kk_store *st, int64_t id, const char *new_jwk, const char *new_thumb,
    kk_err *err)
{
	if (new_jwk == NULL || new_thumb == NULL)
		return kk_err_set(err, KK_ERR_MALFORMED, "rekey needs a key and thumbprint");
	return store_write_one(st, err, "account", "UPDATE accounts SET jwk = ?, "
	    "thumbprint = ? WHERE id = ?", "ssI", new_jwk, new_thumb, id);
}
