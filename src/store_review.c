/* OV vetting in the SQLite store (include/kakuin/store_review.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kakuin/store_review.h"
#include "kakuin/util.h"
#include "store_internal.h"

/* Writes a's audit row; object NULL in a: "<kind> <id>" of the row just inserted.
 * The caller holds the lock and a transaction. */
int
store_audit_insert(kk_store *st, const kk_auditrec *a, const char *kind, int64_t id, kk_err *err)
{
	char obj[64];

	if (a == NULL || a->actor == NULL || a->action == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "change without an audit record");
	if (a->object != NULL)
		snprintf(obj, sizeof(obj), "%s", a->object);
	else
		snprintf(obj, sizeof(obj), "%s %lld", kind, (long long)id);
	return store_run(st, NULL, err, "INSERT INTO audit_log (at, actor, action, object, "
	    "detail) VALUES (?, ?, ?, ?, ?)", "Tssss", a->at, a->actor, a->action, obj,
	    a->detail);
}

int
kk_store_audit_add(kk_store *st, const kk_auditrec *a, kk_err *err)
{
	int rc;

	if (a == NULL || a->object == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "audit record without an object");
	store_lock(st);
	rc = store_audit_insert(st, a, "event", 0, err);
	store_unlock(st);
	return rc;
}

int
store_read_rows(kk_store *st, sqlite3_stmt *s, size_t size, void (*row)(sqlite3_stmt *, void *),
    void **out, size_t *n, kk_err *err)
{
	unsigned char *v = NULL, *nv;
	size_t used = 0, cap = 0;
	int rc;

	while ((rc = store_step(st, s, err, "read")) == 1) {
		if (used == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			if ((nv = kk_calloc(cap, size)) == NULL) {
				rc = kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
				break;
			}
			if (used > 0)
				memcpy(nv, v, used * size);
			free(v);
			v = nv;
		}
		row(s, v + used * size);
		used++;
	}
	store_finish(st, s);
	if (rc != 0) {
		free(v);
		return -1;
	}
	*out = v;
	*n = used;
	return 0;
}

/* ---- reviewers ---- */

int
kk_store_reviewer_add(kk_store *st, const char *name, const char *role, const char *hash,
    const kk_auditrec *a, int64_t *id, kk_err *err)
{
	int rc;

	store_lock(st);
	if ((rc = store_begin_durable(st, err)) == 0) {
		rc = store_run(st, NULL, err, "INSERT INTO reviewers (name, role, password_hash, "
		    "created) VALUES (?, ?, ?, ?)", "sssT", name, role, hash, a->at);
		if (rc == 0)
			*id = sqlite3_last_insert_rowid(st->db);
		if (rc == 0)
			rc = store_audit_insert(st, a, "user", *id, err);
		rc = store_end(st, rc, err);
	}
	store_unlock(st);
	return rc;
}

static void
reviewer_row(sqlite3_stmt *s, void *p)
{
	kk_reviewer *r = p;
	char role[16];

	r->id = sqlite3_column_int64(s, 0);
	store_col_copy(s, 1, r->name, sizeof(r->name));
	store_col_copy(s, 2, role, sizeof(role));
	if (kk_role_parse(role, &r->role) != 0)
		r->role = 0;
	r->disabled = sqlite3_column_int(s, 3);
	r->created = (time_t)sqlite3_column_int64(s, 4);
}

int
kk_store_reviewer_get(kk_store *st, int64_t id, const char *name, kk_reviewer *out,
    char *hash, size_t hash_size, kk_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	store_lock(st);
	rc = store_prep(st, &s, err, "SELECT id, name, role, disabled, created, password_hash "
	    "FROM reviewers WHERE (?1 IS NULL AND id = ?2) OR name = ?1", "sI", name, id);
	if (rc == 0 && (rc = store_step(st, s, err, "reviewer")) == 0)
		rc = kk_err_set(err, KK_ERR_NOT_FOUND, "no reviewer %s", name ? name : "with id");
	if (rc == 1) {
		memset(out, 0, sizeof(*out));
		reviewer_row(s, out);
		if (hash != NULL)
			store_col_copy(s, 5, hash, hash_size);
		rc = 0;
	}
	store_finish(st, s);
	store_unlock(st);
	return rc;
}

int
kk_store_reviewer_update(kk_store *st, const char *name, const char *hash, int disable,
    const kk_auditrec *a, kk_err *err)
{
	int rc, changes = 0;

	store_lock(st);
	if ((rc = store_begin_durable(st, err)) != 0)
		goto out;
	rc = store_run(st, &changes, err, "UPDATE reviewers SET password_hash = "
	    "coalesce(?, password_hash), disabled = max(disabled, ?) WHERE name = ?", "sis",
	    hash, disable ? 1 : 0, name);
	if (rc == 0 && changes == 0)
		rc = kk_err_set(err, KK_ERR_NOT_FOUND, "no reviewer %s", name);
	if (rc == 0 && disable)
		rc = store_run(st, NULL, err, "DELETE FROM sessions WHERE reviewer_id = "
		    "(SELECT id FROM reviewers WHERE name = ?)", "s", name);
	if (rc == 0)
		rc = store_audit_insert(st, a, "event", 0, err);
	rc = store_end(st, rc, err);
out:
	store_unlock(st);
	return rc;
}

int
kk_store_reviewer_list(kk_store *st, kk_reviewer **out, size_t *n, kk_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	store_lock(st);
	if ((rc = store_prep(st, &s, err, "SELECT id, name, role, disabled, created FROM "
	    "reviewers ORDER BY name", "")) == 0)
		rc = store_read_rows(st, s, sizeof(**out), reviewer_row, (void **)out, n, err);
	store_unlock(st);
	return rc;
}

/* ---- sessions ---- */

int
kk_store_session_add(kk_store *st, const char *token_hash, int64_t reviewer_id,
    const char *csrf, time_t now, time_t expires, kk_err *err)
{
	int rc;

	store_lock(st);
	if ((rc = store_begin_durable(st, err)) == 0) {
		rc = store_run(st, NULL, err, "DELETE FROM sessions WHERE expires <= ?", "T", now);
		if (rc == 0)
			rc = store_run(st, NULL, err, "INSERT INTO sessions (token_hash, "
			    "reviewer_id, csrf, created, expires) VALUES (?, ?, ?, ?, ?)", "sIsTT",
			    token_hash, reviewer_id, csrf, now, expires);
		rc = store_end(st, rc, err);
	}
	store_unlock(st);
	return rc;
}

int
kk_store_session_get(kk_store *st, const char *token_hash, time_t now,
    int64_t *reviewer_id, char csrf[65], kk_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	store_lock(st);
	rc = store_prep(st, &s, err, "SELECT s.reviewer_id, s.csrf FROM sessions s JOIN "
	    "reviewers r ON r.id = s.reviewer_id WHERE s.token_hash = ? AND s.expires > ? AND "
	    "r.disabled = 0", "sT", token_hash, now);
	if (rc == 0 && (rc = store_step(st, s, err, "session")) == 0)
		rc = kk_err_set(err, KK_ERR_NOT_FOUND, "no such session");
	if (rc == 1) {
		*reviewer_id = sqlite3_column_int64(s, 0);
		store_col_copy(s, 1, csrf, 65);
		rc = 0;
	}
	store_finish(st, s);
	store_unlock(st);
	return rc;
}

int
kk_store_session_delete(kk_store *st, const char *token_hash, kk_err *err)
{
	int rc;

	store_lock(st);
	rc = store_run(st, NULL, err, "DELETE FROM sessions WHERE token_hash = ?", "s",
	    token_hash);
	store_unlock(st);
	return rc;
}

/* ---- organizations ---- */

#define ORG_SELECT "SELECT o.id, o.name, o.unit, o.locality, o.state, o.country, " \
	"o.reg_number, o.address, o.phone, o.applicant_name, o.applicant_email, " \
	"o.authorizer_name, o.authorizer_email, CASE WHEN o.status = 'approved' AND " \
	"o.expires <= ?1 THEN 'expired' ELSE o.status END AS eff_status, " \
	"coalesce(o.verified_by, 0), coalesce(o.approved_by, 0), v.name AS vname, " \
	"p.name AS pname, coalesce(o.verified_at, 0), " \
	"coalesce(o.approved_at, 0), coalesce(o.expires, 0), o.created, o.reason, o.dev " \
	"FROM organizations o LEFT JOIN reviewers v ON v.id = o.verified_by " \
	"LEFT JOIN reviewers p ON p.id = o.approved_by "

static void
org_row(sqlite3_stmt *s, void *p)
{
	kk_orgrec *o = p;

	o->id = sqlite3_column_int64(s, 0);
	store_col_copy(s, 1, o->name, sizeof(o->name));
	store_col_copy(s, 2, o->unit, sizeof(o->unit));
	store_col_copy(s, 3, o->locality, sizeof(o->locality));
	store_col_copy(s, 4, o->state, sizeof(o->state));
	store_col_copy(s, 5, o->country, sizeof(o->country));
	store_col_copy(s, 6, o->reg_number, sizeof(o->reg_number));
	store_col_copy(s, 7, o->address, sizeof(o->address));
	store_col_copy(s, 8, o->phone, sizeof(o->phone));
	store_col_copy(s, 9, o->applicant_name, sizeof(o->applicant_name));
	store_col_copy(s, 10, o->applicant_email, sizeof(o->applicant_email));
	store_col_copy(s, 11, o->authorizer_name, sizeof(o->authorizer_name));
	store_col_copy(s, 12, o->authorizer_email, sizeof(o->authorizer_email));
	store_col_copy(s, 13, o->status, sizeof(o->status));
	o->verified_by = sqlite3_column_int64(s, 14);
	o->approved_by = sqlite3_column_int64(s, 15);
	store_col_copy(s, 16, o->verified_by_name, sizeof(o->verified_by_name));
	store_col_copy(s, 17, o->approved_by_name, sizeof(o->approved_by_name));
	o->verified_at = (time_t)sqlite3_column_int64(s, 18);
	o->approved_at = (time_t)sqlite3_column_int64(s, 19);
	o->expires = (time_t)sqlite3_column_int64(s, 20);
	o->created = (time_t)sqlite3_column_int64(s, 21);
	store_col_copy(s, 22, o->reason, sizeof(o->reason));
	o->dev = sqlite3_column_int(s, 23);
}

int
kk_store_orgrec_create(kk_store *st, const kk_orgrec *in, const kk_auditrec *a,
    int64_t *id, kk_err *err)
{
	int rc;

	store_lock(st);
	if ((rc = store_begin_durable(st, err)) == 0) {
		rc = store_run(st, NULL, err, "INSERT INTO organizations (name, unit, locality, "
		    "state, country, reg_number, address, phone, applicant_name, applicant_email, "
		    "authorizer_name, authorizer_email, status, created) VALUES (?, ?, ?, ?, ?, ?, "
		    "?, ?, ?, ?, ?, ?, 'submitted', ?)", "ssssssssssssT", in->name, in->unit,
		    in->locality, in->state, in->country, in->reg_number, in->address, in->phone,
		    in->applicant_name, in->applicant_email, in->authorizer_name,
		    in->authorizer_email, a->at);
		if (rc == 0) {
			*id = sqlite3_last_insert_rowid(st->db);
			rc = store_audit_insert(st, a, "org", *id, err);
		}
		rc = store_end(st, rc, err);
	}
	store_unlock(st);
	return rc;
}

int
kk_store_orgrec_get(kk_store *st, int64_t id, time_t now, kk_orgrec *out, kk_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	store_lock(st);
	rc = store_prep(st, &s, err, ORG_SELECT "WHERE o.id = ?2", "TI", now, id);
	if (rc == 0 && (rc = store_step(st, s, err, "organization")) == 0)
		rc = kk_err_set(err, KK_ERR_NOT_FOUND, "organization %lld not found",
		    (long long)id);
	if (rc == 1) {
		memset(out, 0, sizeof(*out));
		org_row(s, out);
		rc = 0;
	}
	store_finish(st, s);
	store_unlock(st);
	return rc;
}

int
kk_store_orgrec_list(kk_store *st, time_t now, const char *status, const char *query,
    kk_orgrec **out, size_t *n, kk_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	/* instr, not LIKE: the query is data, never a pattern */
	store_lock(st);
	if ((rc = store_prep(st, &s, err, "SELECT * FROM (" ORG_SELECT ") r WHERE "
	    "(?2 IS NULL OR r.eff_status = ?2) AND (?3 IS NULL OR instr(lower(r.name), lower(?3)) "
	    "OR instr(lower(coalesce(r.reg_number, '')), lower(?3)) OR "
	    "instr(lower(coalesce(r.applicant_name, '')), lower(?3)) OR "
	    "instr(lower(coalesce(r.applicant_email, '')), lower(?3))) "
	    "ORDER BY r.created DESC, r.id DESC", "Tss", now, status, query)) == 0)
		rc = store_read_rows(st, s, sizeof(**out), org_row, (void **)out, n, err);
	store_unlock(st);
	return rc;
}

/* After a failed compare-and-set on organization id: KK_ERR_UNAUTHORIZED naming the
 * state it is in now (or NOT_FOUND). */
static int
explain_org(kk_store *st, int64_t id, kk_err *err)
{
	char status[16];
	int rc;

	rc = store_get_text(st, status, sizeof(status), err, "SELECT status FROM "
	    "organizations WHERE id = ?", "I", id);
	if (rc == 0)
		return kk_err_set(err, KK_ERR_NOT_FOUND, "organization %lld not found",
		    (long long)id);
	if (rc == 1)
		kk_err_set(err, KK_ERR_UNAUTHORIZED, "organization %lld changed meanwhile (it is "
		    "%s): decision refused", (long long)id, status);
	return -1;
}

int
kk_store_orgrec_update(kk_store *st, const kk_orgrec *old, const kk_orgrec *in, int revet,
    const kk_auditrec *a, kk_err *err)
{
	int rc, changes = 0;

	store_lock(st);
	if ((rc = store_begin_durable(st, err)) != 0)
		goto out;
	rc = store_run(st, &changes, err, "UPDATE organizations SET name = ?2, unit = ?3, "
	    "locality = ?4, state = ?5, reg_number = ?6, address = ?7, phone = ?8, "
	    "applicant_name = ?9, applicant_email = ?10, authorizer_name = ?11, "
	    "authorizer_email = ?12 WHERE id = ?1 AND name = ?13 AND coalesce(unit, '') = ?14 "
	    "AND coalesce(locality, '') = ?15 AND coalesce(state, '') = ?16 AND "
	    "coalesce(reg_number, '') = ?17 AND coalesce(verified_by, 0) = ?18 AND "
	    "coalesce(approved_by, 0) = ?19", "IssssssssssssssssII", in->id, in->name,
	    in->unit, in->locality, in->state, in->reg_number, in->address, in->phone,
	    in->applicant_name, in->applicant_email, in->authorizer_name, in->authorizer_email,
	    old->name, old->unit, old->locality, old->state, old->reg_number, old->verified_by,
	    old->approved_by);
	if (rc == 0 && changes == 0)
		rc = explain_org(st, in->id, err);
	if (rc == 0 && revet)
		rc = store_run(st, NULL, err, "UPDATE organizations SET status = 'in_review', "
		    "verified_by = NULL, verified_at = NULL, approved_by = NULL, "
		    "approved_at = NULL, expires = NULL WHERE id = ?", "I", in->id);
	if (rc == 0)
		rc = store_audit_insert(st, a, "event", 0, err);
	rc = store_end(st, rc, err);
out:
	store_unlock(st);
	return rc;
}

/* The actor clauses below: an active reviewer of any role (?2), or an active approver
 * or admin. */
#define ACTIVE "EXISTS (SELECT 1 FROM reviewers r WHERE r.id = ?2 AND r.disabled = 0) "
#define APPROVER "EXISTS (SELECT 1 FROM reviewers r WHERE r.id = ?2 AND r.disabled = 0 " \
	"AND r.role IN ('approver', 'admin')) "

int
kk_store_org_decide(kk_store *st, int64_t id, kk_org_op op, int64_t actor, time_t expires,
    const char *reason, const kk_auditrec *a, kk_err *err)
{
	const char *sql, *fmt;
	int rc, changes = 0;

	/* parameters: ?1 id, ?2 actor, ?3 now, ?4 expires, ?5 reason; fmt binds those the
	 * statement uses (binding one past its last is an error) */
	switch (op) {
	case KK_ORG_VERIFY:
		fmt = "IIT";
		sql = "UPDATE organizations SET verified_by = ?2, verified_at = ?3 WHERE id = ?1 "
		    "AND status = 'in_review' AND verified_by IS NULL AND " ACTIVE;
		break;
	case KK_ORG_APPROVE:
		fmt = "IITT";
		sql = "UPDATE organizations SET status = 'approved', approved_by = ?2, "
		    "approved_at = ?3, expires = ?4, reason = NULL WHERE id = ?1 AND "
		    "status = 'in_review' AND verified_by IS NOT NULL AND verified_by <> ?2 AND "
		    APPROVER;
		break;
	case KK_ORG_REJECT:
		fmt = "IITTs";
		sql = "UPDATE organizations SET status = 'rejected', reason = ?5 WHERE id = ?1 "
		    "AND status IN ('submitted', 'in_review') AND " ACTIVE;
		break;
	case KK_ORG_REVET:
		fmt = "II";
		sql = "UPDATE organizations SET status = 'in_review', verified_by = NULL, "
		    "verified_at = NULL, approved_by = NULL, approved_at = NULL, expires = NULL "
		    "WHERE id = ?1 AND status IN ('approved', 'rejected') AND " APPROVER;
		break;
	default:
		return kk_err_set(err, KK_ERR_INTERNAL, "unknown organization decision %d", op);
	}
	store_lock(st);
	if ((rc = store_begin_durable(st, err)) != 0)
		goto out;
	rc = store_run(st, &changes, err, sql, fmt, id, actor, a->at, expires, reason);
	if (rc == 0 && changes == 0)
		rc = explain_org(st, id, err);
	if (rc == 0)
		rc = store_audit_insert(st, a, "event", 0, err);
	rc = store_end(st, rc, err);
out:
	store_unlock(st);
	return rc;
}

/* ---- evidence ---- */

int
kk_store_evidence_add(kk_store *st, const kk_evidence *in, int64_t actor,
    const kk_auditrec *a, int64_t *id, kk_err *err)
{
	kk_auditrec rec = *a;
	char detail[512];
	int rc;

	store_lock(st);
	if ((rc = store_begin_durable(st, err)) != 0)
		goto out;
	rc = store_run(st, NULL, err, "INSERT INTO org_evidence (org_id, kind, source, "
	    "reference, doc_sha256, doc_name, added_by, created) VALUES (?, ?, ?, ?, ?, ?, ?, "
	    "?)", "IsssssIT", in->org_id, in->kind, in->source, in->reference,
	    in->doc_sha256[0] ? in->doc_sha256 : NULL, in->doc_name[0] ? in->doc_name : NULL,
	    actor, a->at);
	if (rc == 0) {
		*id = sqlite3_last_insert_rowid(st->db);
		snprintf(detail, sizeof(detail), "evidence %lld (%s): %s", (long long)*id,
		    in->kind, a->detail ? a->detail : "");
		rec.detail = detail;
		rc = store_run(st, NULL, err, "UPDATE organizations SET status = 'in_review' "
		    "WHERE id = ? AND status = 'submitted'", "I", in->org_id);
	}
	if (rc == 0)
		rc = store_audit_insert(st, &rec, NULL, 0, err);
	rc = store_end(st, rc, err);
out:
	store_unlock(st);
	return rc;
}

static void
evidence_row(sqlite3_stmt *s, void *p)
{
	kk_evidence *e = p;

	e->id = sqlite3_column_int64(s, 0);
	e->org_id = sqlite3_column_int64(s, 1);
	store_col_copy(s, 2, e->kind, sizeof(e->kind));
	store_col_copy(s, 3, e->source, sizeof(e->source));
	store_col_copy(s, 4, e->reference, sizeof(e->reference));
	store_col_copy(s, 5, e->doc_sha256, sizeof(e->doc_sha256));
	store_col_copy(s, 6, e->doc_name, sizeof(e->doc_name));
	store_col_copy(s, 7, e->added_by_name, sizeof(e->added_by_name));
	e->created = (time_t)sqlite3_column_int64(s, 8);
}

int
kk_store_evidence_list(kk_store *st, int64_t org_id, kk_evidence **out, size_t *n,
    kk_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	store_lock(st);
	if ((rc = store_prep(st, &s, err, "SELECT e.id, e.org_id, e.kind, e.source, "
	    "e.reference, e.doc_sha256, e.doc_name, r.name, e.created FROM org_evidence e "
	    "JOIN reviewers r ON r.id = e.added_by WHERE e.org_id = ? ORDER BY e.id", "I",
	    org_id)) == 0)
		rc = store_read_rows(st, s, sizeof(**out), evidence_row, (void **)out, n, err);
	store_unlock(st);
	return rc;
}

/* ---- audit log ---- */

static void
audit_row(sqlite3_stmt *s, void *p)
{
	kk_audit *a = p;

	a->id = sqlite3_column_int64(s, 0);
	a->at = (time_t)sqlite3_column_int64(s, 1);
	store_col_copy(s, 2, a->actor, sizeof(a->actor));
	store_col_copy(s, 3, a->action, sizeof(a->action));
	store_col_copy(s, 4, a->object, sizeof(a->object));
	store_col_copy(s, 5, a->detail, sizeof(a->detail));
}

int
kk_store_audit_list(kk_store *st, const char *object, size_t limit, kk_audit **out,
    size_t *n, kk_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	store_lock(st);
	if ((rc = store_prep(st, &s, err, "SELECT id, at, actor, action, object, detail FROM "
	    "audit_log WHERE ?1 IS NULL OR object = ?1 ORDER BY id DESC LIMIT ?2", "sI", object,
	    (int64_t)(limit > INT32_MAX ? INT32_MAX : limit))) == 0)
		rc = store_read_rows(st, s, sizeof(**out), audit_row, (void **)out, n, err);
	store_unlock(st);
	return rc;
}

/* ---- EAB keys ---- */

int
kk_store_eab_add(kk_store *st, const char *kid, const char *hmac_key, int64_t org_id,
    const kk_auditrec *a, kk_err *err)
{
	int rc;

	store_lock(st);
	if ((rc = store_begin_durable(st, err)) == 0) {
		rc = store_run(st, NULL, err, "INSERT INTO eab_keys (kid, hmac_key, org_id, "
		    "created, created_by) VALUES (?, ?, ?, ?, ?)", "ssITs", kid, hmac_key, org_id,
		    a->at, a->actor);
		if (rc == 0)
			rc = store_audit_insert(st, a, "event", 0, err);
		rc = store_end(st, rc, err);
	}
	store_unlock(st);
	return rc;
}

/* After a failed compare-and-set on an EAB key: unknown or revoked. */
static int
explain_eab(kk_store *st, const char *kid, kk_err *err)
{
	int64_t v;
	int rc;

	rc = store_get_int64(st, &v, err, "SELECT 1 FROM eab_keys WHERE kid = ?", "s", kid);
	if (rc == 0)
		return kk_err_set(err, KK_ERR_NOT_FOUND, "unknown EAB key id %s", kid);
	if (rc == 1)
		kk_err_set(err, KK_ERR_CONFLICT, "EAB key %s was revoked", kid);
	return -1;
}

int
kk_store_eab_revoke(kk_store *st, const char *kid, const kk_auditrec *a, kk_err *err)
{
	int rc, changes = 0;

	store_lock(st);
	if ((rc = store_begin_durable(st, err)) != 0)
		goto out;
	rc = store_run(st, &changes, err, "UPDATE eab_keys SET revoked = ? WHERE kid = ? AND "
	    "revoked IS NULL", "Ts", a->at, kid);
	if (rc == 0 && changes == 0)
		rc = explain_eab(st, kid, err);
	if (rc == 0)
		rc = store_audit_insert(st, a, "event", 0, err);
	rc = store_end(st, rc, err);
out:
	store_unlock(st);
	return rc;
}

static void
eab_row(sqlite3_stmt *s, void *p)
{
	kk_eab *e = p;

	store_col_copy(s, 0, e->kid, sizeof(e->kid));
	e->org_id = sqlite3_column_int64(s, 1);
	e->created = (time_t)sqlite3_column_int64(s, 2);
	e->revoked = (time_t)sqlite3_column_int64(s, 3);
	e->last_used = (time_t)sqlite3_column_int64(s, 4);
	store_col_copy(s, 5, e->created_by, sizeof(e->created_by));
}

int
kk_store_eab_list(kk_store *st, int64_t org_id, kk_eab **out, size_t *n, kk_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	store_lock(st);
	if ((rc = store_prep(st, &s, err, "SELECT kid, org_id, created, coalesce(revoked, 0), "
	    "coalesce(last_used, 0), created_by FROM eab_keys WHERE ?1 = 0 OR org_id = ?1 "
	    "ORDER BY created DESC, rowid DESC", "I", org_id)) == 0)
		rc = store_read_rows(st, s, sizeof(**out), eab_row, (void **)out, n, err);
	store_unlock(st);
	return rc;
}

int
kk_store_eab_use(kk_store *st, const char *kid, time_t now, char hmac_key[64],
    int64_t *org_id, kk_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	store_lock(st);
	if ((rc = store_begin_durable(st, err)) != 0)
		goto out;
	rc = store_prep(st, &s, err, "SELECT hmac_key, org_id FROM eab_keys WHERE kid = ? AND "
	    "revoked IS NULL", "s", kid);
	if (rc == 0 && (rc = store_step(st, s, err, "EAB key")) == 0)
		rc = explain_eab(st, kid, err);
	if (rc == 1) {
		store_col_copy(s, 0, hmac_key, 64);
		*org_id = sqlite3_column_int64(s, 1);
		rc = store_run(st, NULL, err, "UPDATE eab_keys SET last_used = ? WHERE kid = ?",
		    "Ts", now, kid);
	}
	store_finish(st, s);
	rc = store_end(st, rc, err);
out:
	store_unlock(st);
	return rc;
}

/* ---- tasks ---- */

int
kk_store_task_phone(kk_store *st, const kk_task *in, const kk_auditrec *a, int64_t *id,
    int *created, kk_err *err)
{
	int rc, changes = 0;

	store_lock(st);
	if ((rc = store_begin_durable(st, err)) != 0)
		goto out;
	rc = store_run(st, &changes, err, "INSERT INTO review_tasks (kind, status, org_id, "
	    "challenge_id, domain, phone, random_value, br_method, created) SELECT 'phone', "
	    "'open', ac.org_id, c.id, ?2, ?3, ?4, ?5, ?6 FROM challenges c JOIN authorizations "
	    "z ON z.id = c.authz_id JOIN accounts ac ON ac.id = z.account_id WHERE c.id = ?1 "
	    "ON CONFLICT (challenge_id) DO NOTHING", "IssssT", in->challenge_id, in->domain,
	    in->phone, in->random_value, in->br_method, a->at);
	*created = rc == 0 && changes == 1;
	if (*created) {
		*id = sqlite3_last_insert_rowid(st->db);
		rc = store_audit_insert(st, a, "task", *id, err);
	} else if (rc == 0 &&
	    (rc = store_get_int64(st, id, err, "SELECT id FROM review_tasks WHERE "
	    "challenge_id = ?", "I", in->challenge_id)) == 0) {
		rc = kk_err_set(err, KK_ERR_NOT_FOUND, "challenge %lld not found",
		    (long long)in->challenge_id);
	} else if (rc == 1) {
		rc = 0;
	}
	rc = store_end(st, rc, err);
out:
	store_unlock(st);
	return rc;
}

#define TASK_SELECT "SELECT t.id, t.kind, t.status, coalesce(t.org_id, 0), " \
	"coalesce(t.order_id, 0), coalesce(t.challenge_id, 0), t.domain, t.phone, " \
	"t.random_value, t.br_method, t.outcome, t.note, r.name, t.created, " \
	"coalesce(t.done_at, 0) FROM review_tasks t LEFT JOIN reviewers r ON r.id = t.done_by "

static void
task_row(sqlite3_stmt *s, void *p)
{
	kk_task *t = p;

	t->id = sqlite3_column_int64(s, 0);
	store_col_copy(s, 1, t->kind, sizeof(t->kind));
	store_col_copy(s, 2, t->status, sizeof(t->status));
	t->org_id = sqlite3_column_int64(s, 3);
	t->order_id = sqlite3_column_int64(s, 4);
	t->challenge_id = sqlite3_column_int64(s, 5);
	store_col_copy(s, 6, t->domain, sizeof(t->domain));
	store_col_copy(s, 7, t->phone, sizeof(t->phone));
	store_col_copy(s, 8, t->random_value, sizeof(t->random_value));
	store_col_copy(s, 9, t->br_method, sizeof(t->br_method));
	store_col_copy(s, 10, t->outcome, sizeof(t->outcome));
	store_col_copy(s, 11, t->note, sizeof(t->note));
	store_col_copy(s, 12, t->done_by_name, sizeof(t->done_by_name));
	t->created = (time_t)sqlite3_column_int64(s, 13);
	t->done_at = (time_t)sqlite3_column_int64(s, 14);
}

int
kk_store_task_list(kk_store *st, const char *status, kk_task **out, size_t *n,
    kk_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	store_lock(st);
	if ((rc = store_prep(st, &s, err, TASK_SELECT "WHERE ?1 IS NULL OR t.status = ?1 "
	    "ORDER BY t.id", "s", status)) == 0)
		rc = store_read_rows(st, s, sizeof(**out), task_row, (void **)out, n, err);
	store_unlock(st);
	return rc;
}

int
kk_store_task_get(kk_store *st, int64_t id, kk_task *out, kk_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	store_lock(st);
	rc = store_prep(st, &s, err, TASK_SELECT "WHERE t.id = ?", "I", id);
	if (rc == 0 && (rc = store_step(st, s, err, "task")) == 0)
		rc = kk_err_set(err, KK_ERR_NOT_FOUND, "task %lld not found", (long long)id);
	if (rc == 1) {
		memset(out, 0, sizeof(*out));
		task_row(s, out);
		rc = 0;
	}
	store_finish(st, s);
	store_unlock(st);
	return rc;
}

/* Compare-and-set on the task's status; want is the status it must have. */
static int
task_set(kk_store *st, int64_t id, const char *want, int64_t actor, const char *outcome,
    const char *note, const kk_auditrec *a, kk_err *err)
{
	int rc, changes = 0;

	store_lock(st);
	if ((rc = store_begin_durable(st, err)) != 0)
		goto out;
	rc = store_run(st, &changes, err, "UPDATE review_tasks SET status = CASE ?2 WHEN "
	    "'open' THEN 'done' ELSE 'open' END, outcome = ?3, note = ?4, done_by = ?5, "
	    "done_at = ?6 WHERE id = ?1 AND status = ?2", "IsssNZ", id, want, outcome, note,
	    actor, outcome != NULL ? a->at : 0);
	if (rc == 0 && changes == 0)
		rc = kk_err_set(err, KK_ERR_CONFLICT, "task %lld is not %s", (long long)id, want);
	if (rc == 0)
		rc = store_audit_insert(st, a, "event", 0, err);
	rc = store_end(st, rc, err);
out:
	store_unlock(st);
	return rc;
}

int
kk_store_task_complete(kk_store *st, int64_t id, int64_t actor, const char *outcome,
    const char *note, const kk_auditrec *a, kk_err *err)
{
	if (outcome == NULL)
		return kk_err_set(err, KK_ERR_MALFORMED, "task %lld: no outcome", (long long)id);
	return task_set(st, id, "open", actor, outcome, note, a, err);
}

int
kk_store_task_reopen(kk_store *st, int64_t id, const kk_auditrec *a, kk_err *err)
{
	return task_set(st, id, "done", 0, NULL, NULL, a, err);
}
