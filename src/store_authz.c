/* Authorizations and challenges in the SQLite store (include/kakuin/store.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kakuin/clock.h"
#include "kakuin/util.h"
#include "store_internal.h"

void
kk_challenge_clear(kk_challenge *c)
{
	if (c == NULL)
		return;
	free(c->token);
	free(c->error);
	free(c->account_uri);
	free(c->checked);
	memset(c, 0, sizeof(*c));
}

void
kk_authz_clear(kk_authz *a)
{
	size_t i;

	if (a == NULL)
		return;
	free(a->id_value);
	for (i = 0; i < KK_MAX_CHALLENGES; i++)
		kk_challenge_clear(&a->chall[i]);
	memset(a, 0, sizeof(*a));
}

#define CHALLENGE_SELECT "SELECT id, authz_id, type, token, status, created, " \
	"coalesce(validated, 0), error, account_uri, br_method, br_version, dnssec, checked " \
	"FROM challenges "

/* Reads one CHALLENGE_SELECT row into *c (strings kk_malloc'd). */
static int
challenge_row(sqlite3_stmt *s, kk_challenge *c, kk_err *err)
{
	c->id = sqlite3_column_int64(s, 0);
	c->authz_id = sqlite3_column_int64(s, 1);
	store_col_copy(s, 2, c->type, sizeof(c->type));
	store_col_copy(s, 4, c->status, sizeof(c->status));
	c->created = (time_t)sqlite3_column_int64(s, 5);
	c->validated = (time_t)sqlite3_column_int64(s, 6);
	store_col_copy(s, 9, c->br_method, sizeof(c->br_method));
	store_col_copy(s, 10, c->br_version, sizeof(c->br_version));
	store_col_copy(s, 11, c->dnssec, sizeof(c->dnssec));
	if (store_col_str(s, 3, &c->token) != 0 || store_col_str(s, 7, &c->error) != 0 ||
	    store_col_str(s, 8, &c->account_uri) != 0 || store_col_str(s, 12, &c->checked) != 0)
		return kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
	return 0;
}

/* Fills a->chall from the database, oldest first. */
static int
authz_challenges(kk_store *st, kk_authz *a, kk_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (store_prep(st, &s, err, CHALLENGE_SELECT "WHERE authz_id = ? ORDER BY id",
	    "I", a->id) != 0)
		return -1;
	while ((rc = store_step(st, s, err, "challenges")) == 1) {
		if (a->n_chall == KK_MAX_CHALLENGES) {
			rc = kk_err_set(err, KK_ERR_INTERNAL, "authorization %lld has too many "
			    "challenges", (long long)a->id);
			break;
		}
		if ((rc = challenge_row(s, &a->chall[a->n_chall++], err)) != 0)
			break;
	}
	store_finish(st, s);
	return rc;
}

static int
authz_get_locked(kk_store *st, int64_t id, kk_authz *a, kk_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = store_prep(st, &s, err, "SELECT id, account_id, id_type, id_value, "
	    "wildcard, status, expires, coalesce(validated, 0), covers_subdomains, "
	    "coalesce(covered_by, 0) FROM authorizations "
	    "WHERE id = ?", "I", id)) != 0)
		return -1;
	if ((rc = store_step(st, s, err, "authorization")) <= 0) {
		if (rc == 0)
			rc = kk_err_set(err, KK_ERR_NOT_FOUND, "authorization %lld not found",
			    (long long)id);
		goto out;
	}
	a->id = sqlite3_column_int64(s, 0);
	a->account_id = sqlite3_column_int64(s, 1);
	store_col_copy(s, 2, a->id_type, sizeof(a->id_type));
	a->wildcard = sqlite3_column_int(s, 4);
	store_col_copy(s, 5, a->status, sizeof(a->status));
	a->expires = (time_t)sqlite3_column_int64(s, 6);
	a->validated = (time_t)sqlite3_column_int64(s, 7);
	a->covers_subdomains = sqlite3_column_int(s, 8);
	a->covered_by = sqlite3_column_int64(s, 9);
	if (store_col_str(s, 3, &a->id_value) != 0) {
		rc = kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	rc = authz_challenges(st, a, err);
out:
	store_finish(st, s);
	return rc;
}

/* Fills *out with the authorization and its challenges (caller clears it with
 * kk_authz_clear). */
int
kk_store_authz_get(kk_store *st, int64_t id, kk_authz *out, kk_err *err)
{
	kk_authz a;
	int rc;

	memset(&a, 0, sizeof(a));
	store_lock(st);
	if ((rc = store_begin(st, err)) == 0)
		rc = store_end(st, authz_get_locked(st, id, &a, err), err);
	store_unlock(st);
	if (rc == 0)
		*out = a;
	else
		kk_authz_clear(&a);
	return rc;
}

/* The newest authorization id sql (binding "IsiTT": account, value, wildcard, now,
 * validated_after) finds; KK_ERR_NOT_FOUND "<none> <value>" when there is none. */
static int
authz_find(kk_store *st, const char *sql, const char *none, int64_t account_id,
    const char *value, int wildcard, time_t now, time_t validated_after, int64_t *authz_id,
    kk_err *err)
{
	int rc;

	if (value == NULL)
		return kk_err_set(err, KK_ERR_MALFORMED, "no identifier value");
	store_lock(st);
	rc = store_get_int64(st, authz_id, err, sql, "IsiTT", account_id, value,
	    wildcard ? 1 : 0, now, validated_after);
	store_unlock(st);
	if (rc == 0)
		return kk_err_set(err, KK_ERR_NOT_FOUND, "%s %s", none, value);
	return rc < 0 ? -1 : 0;
}

/* BR 4.2.1 data reuse: the caller passes the oldest validation time its policy
 * still accepts; expiry is compared with the caller's now (kk_now). */
int
kk_store_authz_find_reusable(kk_store *st, int64_t account_id, const char *value, int wildcard,
    time_t now, time_t validated_after, int64_t *authz_id, kk_err *err)
{
	return authz_find(st, "SELECT id FROM authorizations WHERE account_id = ?1 AND "
	    "id_value = ?2 AND wildcard = ?3 AND status = 'valid' AND expires > ?4 AND "
	    "validated >= ?5 ORDER BY validated DESC, id DESC LIMIT 1",
	    "no reusable authorization for", account_id, value, wildcard, now,
	    validated_after, authz_id, err);
}

/* BR 3.2.2.4.7: "the CA MAY also issue Certificates for other FQDNs that end with all
 * the labels of the validated FQDN". Names are lower-case LDH (checked by the RA), so
 * neither '%' nor '_' can appear in the LIKE pattern built from id_value. */
int
kk_store_authz_find_covering(kk_store *st, int64_t account_id, const char *value, int wildcard,
    time_t now, time_t validated_after, int64_t *authz_id, kk_err *err)
{
	return authz_find(st, "SELECT id FROM authorizations WHERE account_id = ?1 AND "
	    "covers_subdomains = 1 AND status = 'valid' AND wildcard = 0 AND expires > ?4 AND "
	    "validated >= ?5 AND (?2 LIKE '%.' || id_value OR (?3 = 1 AND id_value = ?2)) "
	    "ORDER BY validated DESC, id DESC LIMIT 1", "no authorization covers", account_id,
	    value, wildcard, now, validated_after, authz_id, err);
}

/* An authorization with a challenge in flight keeps its status until the validation
 * finishes, so "a processing challenge's authorization is pending" always holds. */
int
kk_store_authz_set_status(kk_store *st, int64_t id, const char *status, kk_err *err)
{
	int64_t busy;
	int rc;

	if (status == NULL)
		return kk_err_set(err, KK_ERR_MALFORMED, "no status");
	store_lock(st);
	if ((rc = store_begin(st, err)) != 0)
		goto out;
	rc = store_get_int64(st, &busy, err, "SELECT id FROM challenges WHERE "
	    "authz_id = ? AND status = 'processing'", "I", id);
	if (rc == 1)
		rc = kk_err_set(err, KK_ERR_MALFORMED, "authorization %lld is being validated",
		    (long long)id);
	if (rc == 0) {
		int changes = 0;

		rc = store_run(st, &changes, err, "UPDATE authorizations SET status = ? "
		    "WHERE id = ?", "sI", status, id);
		if (rc == 0 && changes == 0)
			rc = kk_err_set(err, KK_ERR_NOT_FOUND, "authorization %lld not found",
			    (long long)id);
	}
	rc = store_end(st, rc, err);
out:
	store_unlock(st);
	return rc;
}

/* Fills *out (caller clears it with kk_challenge_clear). */
int
kk_store_challenge_get(kk_store *st, int64_t id, kk_challenge *out, kk_err *err)
{
	sqlite3_stmt *s = NULL;
	kk_challenge c;
	int rc;

	memset(&c, 0, sizeof(c));
	store_lock(st);
	if ((rc = store_prep(st, &s, err, CHALLENGE_SELECT "WHERE id = ?", "I", id)) != 0)
		goto out;
	if ((rc = store_step(st, s, err, "challenge")) == 0)
		rc = kk_err_set(err, KK_ERR_NOT_FOUND, "challenge %lld not found", (long long)id);
	if (rc == 1)
		rc = challenge_row(s, &c, err);
out:
	store_finish(st, s);
	store_unlock(st);
	if (rc == 0)
		*out = c;
	else
		kk_challenge_clear(&c);
	return rc;
}

/* After a failed compare-and-set: says why (missing row or which status). */
static int
explain_challenge(kk_store *st, int64_t id, const char *want, kk_err *err)
{
	char why[96];
	int rc;

	rc = store_get_text(st, why, sizeof(why), err, "SELECT CASE "
	    "WHEN c.status <> ? THEN 'challenge is ' || c.status "
	    "WHEN a.status <> 'pending' THEN 'authorization is ' || a.status "
	    "ELSE 'another challenge of the authorization is processing' END "
	    "FROM challenges c JOIN authorizations a ON a.id = c.authz_id WHERE c.id = ?",
	    "sI", want, id);
	if (rc == 0)
		return kk_err_set(err, KK_ERR_NOT_FOUND, "challenge %lld not found",
		    (long long)id);
	if (rc == 1)
		kk_err_set(err, KK_ERR_MALFORMED, "challenge %lld: %s", (long long)id, why);
	return -1;
}

/* RFC 8555 7.5.1. One challenge per authorization is validated at a time, so two
 * validations can never race to decide the same authorization. */
int
kk_store_challenge_start(kk_store *st, int64_t id, const char *account_uri, kk_err *err)
{
	int rc, changes = 0;

	store_lock(st);
	if ((rc = store_begin(st, err)) != 0)
		goto out;
	rc = store_run(st, &changes, err, "UPDATE challenges SET status = 'processing', "
	    "account_uri = ?2 WHERE id = ?1 AND status = 'pending' AND authz_id IN (SELECT a.id "
	    "FROM authorizations a WHERE a.status = 'pending' AND NOT EXISTS (SELECT 1 FROM "
	    "challenges o WHERE o.authz_id = a.id AND o.status = 'processing'))", "Is", id,
	    account_uri);
	if (rc == 0 && changes == 0)
		rc = explain_challenge(st, id, "pending", err);
	rc = store_end(st, rc, err);
out:
	store_unlock(st);
	return rc;
}

/* RFC 8555 7.1.6: a challenge's result decides its authorization. error_json and rec
 * are borrowed; error_json is stored only for a failed validation, rec only for a
 * successful one. */
int
kk_store_challenge_finish(kk_store *st, int64_t id, int ok, time_t when, time_t valid_until,
    const kk_valrec *rec, const char *error_json, kk_err *err)
{
	static const kk_valrec none;
	const char *status = ok ? "valid" : "invalid";
	time_t validated = ok ? when : 0;
	int rc, changes = 0;

	if (!ok || rec == NULL)
		rec = &none;
	store_lock(st);
	if ((rc = store_begin(st, err)) != 0)
		goto out;
	rc = store_run(st, &changes, err, "UPDATE challenges SET status = ?, validated = ?, "
	    "error = ?, br_method = ?, br_version = ?, checked = ?, dnssec = ? "
	    "WHERE id = ? AND status = 'processing'", "sZsssssI", status, validated,
	    ok ? NULL : error_json, rec->br_method, rec->br_version, rec->checked, rec->dnssec,
	    id);
	if (rc == 0 && changes == 0)
		rc = explain_challenge(st, id, "processing", err);
	if (rc == 0)
		rc = store_run(st, &changes, err, "UPDATE authorizations SET status = ?, "
		    "validated = ?, expires = COALESCE(?, expires), covers_subdomains = ? "
		    "WHERE status = 'pending' AND id = (SELECT authz_id FROM challenges WHERE "
		    "id = ?)", "sZZiI", status, validated, ok ? valid_until : 0,
		    rec->covers_subdomains ? 1 : 0, id);
	if (rc == 0 && changes != 1)
		rc = kk_err_set(err, KK_ERR_INTERNAL, "challenge %lld: authorization is not "
		    "pending", (long long)id);
	rc = store_end(st, rc, err);
out:
	store_unlock(st);
	return rc;
}

/* Caller frees *ids. */
int
kk_store_challenges_processing(kk_store *st, int64_t **ids, size_t *n, kk_err *err)
{
	int rc;

	store_lock(st);
	rc = store_get_ids(st, ids, n, err, "SELECT id FROM challenges WHERE "
	    "status = 'processing' ORDER BY id", "");
	store_unlock(st);
	return rc;
}

/* The ADN grant: a valid authorization for spec->value copied from the valid parent
 * spec->covered_by of the same account, with one valid challenge whose validation record
 * says where it came from. The caller holds the lock and a transaction. */
static int
authz_insert_covered(kk_store *st, int64_t account_id, const kk_authz_spec *spec, time_t now,
    int64_t *id, kk_err *err)
{
	int changes = 0;

	if (spec->value == NULL)
		return kk_err_set(err, KK_ERR_MALFORMED, "authorization needs a name");
	if (store_run(st, &changes, err, "INSERT INTO authorizations (account_id, id_type, "
	    "id_value, wildcard, status, expires, validated, created, covered_by) SELECT ?1, "
	    "'dns', ?2, ?3, 'valid', expires, validated, ?4, id FROM authorizations WHERE "
	    "id = ?5 AND account_id = ?1 AND status = 'valid' AND covers_subdomains = 1",
	    "IsiTI", account_id, spec->value, spec->wildcard ? 1 : 0, now, spec->covered_by) != 0)
		return -1;
	if (changes != 1)
		return kk_err_set(err, KK_ERR_CONFLICT, "authorization %lld no longer covers %s",
		    (long long)spec->covered_by, spec->value);
	*id = sqlite3_last_insert_rowid(st->db);
	if (store_run(st, &changes, err, "INSERT INTO challenges (authz_id, type, token, status, "
	    "created, validated, br_method, br_version, dnssec, checked) SELECT ?1, c.type, "
	    "c.token, 'valid', c.created, c.validated, c.br_method, c.br_version, c.dnssec, "
	    "'covered by authorization ' || a.id || ' (' || a.id_value || '): ' || "
	    "coalesce(c.checked, '') FROM challenges c JOIN authorizations a ON a.id = "
	    "c.authz_id WHERE a.id = ?2 AND c.status = 'valid' ORDER BY c.id LIMIT 1", "II",
	    *id, spec->covered_by) != 0)
		return -1;
	if (changes != 1)
		return kk_err_set(err, KK_ERR_INTERNAL, "authorization %lld has no valid challenge",
		    (long long)spec->covered_by);
	return 0;
}

/* Inserts a pending authorization for spec with its challenges; the caller holds the
 * lock and a transaction. */
int
store_authz_insert(kk_store *st, int64_t account_id, const kk_authz_spec *spec, time_t now,
    int64_t *id, kk_err *err)
{
	size_t i;

	if (spec->covered_by > 0)
		return authz_insert_covered(st, account_id, spec, now, id, err);
	if (spec->value == NULL || spec->n_chall == 0 || spec->n_chall > KK_MAX_CHALLENGES)
		return kk_err_set(err, KK_ERR_MALFORMED, "authorization needs a name and 1..%d "
		    "challenges", KK_MAX_CHALLENGES);
	if (store_run(st, NULL, err, "INSERT INTO authorizations (account_id, id_type, "
	    "id_value, wildcard, status, expires, created) VALUES (?, 'dns', ?, ?, "
	    "'pending', ?, ?)", "IsiTT", account_id, spec->value, spec->wildcard ? 1 : 0,
	    spec->expires, now) != 0)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	for (i = 0; i < spec->n_chall; i++) {
		if (spec->chall_types[i] == NULL || spec->chall_tokens[i] == NULL)
			return kk_err_set(err, KK_ERR_MALFORMED, "challenge %zu incomplete", i);
		if (store_run(st, NULL, err, "INSERT INTO challenges (authz_id, type, token, "
		    "status, created) VALUES (?, ?, ?, 'pending', ?)", "IssT", *id,
		    spec->chall_types[i], spec->chall_tokens[i], now) != 0)
			return -1;
	}
	return 0;
}
