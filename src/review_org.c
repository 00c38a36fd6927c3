/*
 * Organizations, their evidence and the two-person vetting (CP 3.2.2 identity, CP 3.2.5
 * authority, CP 4.2.1/4.2.2 approval or rejection; BR 4.2.1 reuse of verified data).
 *
 *   submitted --evidence--> in_review --verify (1st person)--> in_review, verified
 *     --approve (2nd person, approver/admin)--> approved --(org_reuse days)--> expired
 *   submitted | in_review --reject--> rejected
 *   approved | expired | rejected --revet--> in_review (vetting cleared)
 */
#include <openssl/sha.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kakuin/clock.h"
#include "kakuin/store_review.h"
#include "kakuin/util.h"
#include "review_internal.h"

#define DOC_MAX (10 * 1024 * 1024)
#define F(field) offsetof(kk_orgrec, field), sizeof(((kk_orgrec *)0)->field)

/* The editable fields; subject: part of the certificate subject or the corporate number,
 * whose change needs re-vetting (CP 3.2.2). */
static const struct {
	const char *what;
	size_t off, size;
	int required, subject;
} org_fields[] = {
	{ "name (O)", F(name), 1, 1 },
	{ "unit (OU)", F(unit), 0, 1 },
	{ "locality (L)", F(locality), 1, 1 },
	{ "state (ST)", F(state), 1, 1 },
	{ "corporate number", F(reg_number), 0, 1 },
	{ "address", F(address), 0, 0 },
	{ "phone", F(phone), 0, 0 },
	{ "applicant name", F(applicant_name), 0, 0 },
	{ "applicant e-mail", F(applicant_email), 0, 0 },
	{ "authorizer name", F(authorizer_name), 0, 0 },
	{ "authorizer e-mail", F(authorizer_email), 0, 0 },
};
#define N_FIELDS (sizeof(org_fields) / sizeof(org_fields[0]))

static const char *
field(const kk_orgrec *o, size_t i)
{
	return (const char *)o + org_fields[i].off;
}

static int
check_org(const kk_orgrec *o, kk_err *err)
{
	size_t i;

	if (o == NULL)
		return kk_err_set(err, KK_ERR_MALFORMED, "no organization");
	for (i = 0; i < N_FIELDS; i++)
		if (review_text(org_fields[i].what, field(o, i), org_fields[i].size,
		    org_fields[i].required, err) != 0)
			return -1;
	return 0;
}

int
kk_review_org_create(kk_review *rv, int64_t actor, const kk_orgrec *in, int64_t *id,
    kk_err *err)
{
	char who[64], detail[512];
	kk_orgrec o;
	kk_auditrec a;

	if (review_actor(rv, actor, 1, KK_ROLE_REVIEWER, who, err) != 0 ||
	    check_org(in, err) != 0)
		return -1;
	o = *in;
	if (strlen(rv->pol->subject_country) >= sizeof(o.country))
		return kk_err_set(err, KK_ERR_INTERNAL, "policy subject_country too long");
	memcpy(o.country, rv->pol->subject_country, strlen(rv->pol->subject_country) + 1);
	snprintf(detail, sizeof(detail), "O=%.200s, L=%.127s, ST=%.127s", o.name, o.locality,
	    o.state);
	a = (kk_auditrec){ kk_now(), who, "org.create", NULL, detail };
	return kk_store_orgrec_create(rv->st, &o, &a, id, err);
}

int
kk_review_org_get(kk_review *rv, int64_t id, kk_orgrec *out, kk_err *err)
{
	return kk_store_orgrec_get(rv->st, id, kk_now(), out, err);
}

static int
status_known(const char *s)
{
	static const char *const all[] = { "submitted", "in_review", "approved", "rejected",
	    "expired" };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, all[i]) == 0)
			return 1;
	return 0;
}

/* Caller frees *out. */
int
kk_review_org_list(kk_review *rv, const char *status, const char *query, kk_orgrec **out,
    size_t *n, kk_err *err)
{
	if (status != NULL && !status_known(status))
		return kk_err_set(err, KK_ERR_MALFORMED, "unknown organization status %s", status);
	if (query != NULL && (review_text("search", query, 256, 0, err) != 0))
		return -1;
	if (query != NULL && *query == '\0')
		query = NULL;
	return kk_store_orgrec_list(rv->st, kk_now(), status, query, out, n, err);
}

/* Verified (first step done) or approved, possibly expired: data a person confirmed. */
static int
vetted(const kk_orgrec *o)
{
	return o->verified_by != 0 || strcmp(o->status, "approved") == 0 ||
	    strcmp(o->status, "expired") == 0;
}

int
kk_review_org_update(kk_review *rv, int64_t actor, const kk_orgrec *in, kk_err *err)
{
	char who[64], obj[32], detail[512];
	size_t i, len = 0;
	int subject = 0, revet;
	kk_orgrec old;
	kk_auditrec a;

	if (review_actor(rv, actor, 1, KK_ROLE_REVIEWER, who, err) != 0 ||
	    check_org(in, err) != 0 || kk_review_org_get(rv, in->id, &old, err) != 0)
		return -1;
	detail[0] = '\0';
	for (i = 0; i < N_FIELDS; i++) {
		if (strcmp(field(in, i), field(&old, i)) == 0)
			continue;
		subject |= org_fields[i].subject;
		len += (size_t)snprintf(detail + len, sizeof(detail) - len, "%s%s",
		    len ? ", " : "changed ", org_fields[i].what);
		if (len >= sizeof(detail))
			len = sizeof(detail) - 1;
	}
	if (len == 0)
		return 0;
	revet = subject && vetted(&old);
	if (revet)
		snprintf(detail + len, sizeof(detail) - len, "; back to in_review for re-vetting");
	snprintf(obj, sizeof(obj), "org %lld", (long long)in->id);
	a = (kk_auditrec){ kk_now(), who, "org.update", obj, detail };
	return kk_store_orgrec_update(rv->st, &old, in, revet, &a, err);
}

/* ---- evidence ---- */

static int
check_evidence(const kk_evidence *in, const unsigned char *doc, size_t doc_len, kk_err *err)
{
	static const char *const kinds[] = { "registry", "database", "document", "authority" };
	size_t i;

	for (i = 0; i < 4 && strcmp(in->kind, kinds[i]) != 0; i++)
		;
	if (i == 4)
		return kk_err_set(err, KK_ERR_MALFORMED, "evidence kind must be registry, database, "
		    "document or authority");
	if (review_text("source", in->source, sizeof(in->source), 1, err) != 0 ||
	    review_text("reference", in->reference, sizeof(in->reference), 0, err) != 0 ||
	    review_text("document name", in->doc_name, sizeof(in->doc_name), 0, err) != 0)
		return -1;
	if ((strcmp(in->kind, "document") == 0) != (doc != NULL && doc_len > 0))
		return kk_err_set(err, KK_ERR_MALFORMED, "evidence of kind document needs a "
		    "document, and only it may have one");
	if (doc_len > DOC_MAX)
		return kk_err_set(err, KK_ERR_TOO_LARGE, "documents are at most 10 MiB");
	return 0;
}

/* Stores doc as docs_dir/<sha256 hex> (atomically, 0600) and sets out->doc_sha256. A file
 * that exists already has this content: it is kept. The file is written before the row
 * that names it, so no row ever points at a missing file (an orphan file is harmless). */
static int
store_document(kk_review *rv, const unsigned char *doc, size_t len, kk_evidence *out,
    kk_err *err)
{
	unsigned char h[SHA256_DIGEST_LENGTH];
	char path[600];

	SHA256(doc, len, h);
	kk_hex(h, sizeof(h), out->doc_sha256);
	if (snprintf(path, sizeof(path), "%s/%s", rv->docs_dir, out->doc_sha256) >=
	    (int)sizeof(path))
		return kk_err_set(err, KK_ERR_INTERNAL, "documents path too long");
	if (kk_file_exists(path))
		return 0;
	return kk_file_write(path, doc, len, 0600, err);
}

int
kk_review_evidence_add(kk_review *rv, int64_t actor, int64_t org_id, const kk_evidence *in,
    const unsigned char *doc, size_t doc_len, int64_t *id, kk_err *err)
{
	char who[64], obj[32];
	kk_evidence e;
	kk_orgrec o;
	kk_auditrec a;

	if (review_actor(rv, actor, 0, KK_ROLE_REVIEWER, who, err) != 0)
		return -1;
	if (in == NULL)
		return kk_err_set(err, KK_ERR_MALFORMED, "no evidence");
	if (check_evidence(in, doc, doc_len, err) != 0 ||
	    kk_review_org_get(rv, org_id, &o, err) != 0)
		return -1;
	e = *in;
	e.org_id = org_id;
	e.doc_sha256[0] = '\0';
	if (doc != NULL && store_document(rv, doc, doc_len, &e, err) != 0)
		return -1;
	if (doc != NULL && e.doc_name[0] == '\0')
		snprintf(e.doc_name, sizeof(e.doc_name), "document");
	snprintf(obj, sizeof(obj), "org %lld", (long long)org_id);
	a = (kk_auditrec){ kk_now(), who, "evidence.add", obj, e.source };
	return kk_store_evidence_add(rv->st, &e, actor, &a, id, err);
}

/* Caller frees *out. */
int
kk_review_evidence_list(kk_review *rv, int64_t org_id, kk_evidence **out, size_t *n,
    kk_err *err)
{
	return kk_store_evidence_list(rv->st, org_id, out, n, err);
}

/* ---- decisions ---- */

/* note: optional (must_have 0) or required, at most 255 bytes, no control characters. */
static int
check_note(const char *what, const char *note, int must_have, kk_err *err)
{
	return review_text(what, note, 256, must_have, err);
}

/* The evidence ids the verifier confirms ("evidence 1,2: note"), and whether identity
 * (registry, database, document) and authority evidence are among them (CP 3.2.2, 3.2.5). */
static int
evidence_summary(kk_review *rv, int64_t org_id, const char *note, char detail[512],
    int *identity, int *authority, kk_err *err)
{
	kk_evidence *ev = NULL;
	size_t i, n = 0, len;

	if (kk_store_evidence_list(rv->st, org_id, &ev, &n, err) != 0)
		return -1;
	*identity = *authority = 0;
	len = (size_t)snprintf(detail, 512, "evidence");
	for (i = 0; i < n; i++) {
		if (strcmp(ev[i].kind, "authority") == 0)
			(*authority)++;
		else
			(*identity)++;
		if (len < 400)
			len += (size_t)snprintf(detail + len, 512 - len, "%s%lld", i ? "," : " ",
			    (long long)ev[i].id);
	}
	if (note != NULL && *note != '\0')
		snprintf(detail + len, 512 - len, "; note: %s", note);
	free(ev);
	return 0;
}

/* Common start of every decision: who acts (role at least min), the organization as it
 * is now, the note checked. */
static int
decision(kk_review *rv, int64_t actor, kk_role min, int64_t org_id, char who[64],
    kk_orgrec *o, kk_err *err)
{
	if (review_actor(rv, actor, 0, min, who, err) != 0)
		return -1;
	return kk_review_org_get(rv, org_id, o, err);
}

static int
refuse_state(const kk_orgrec *o, const char *what, kk_err *err)
{
	return kk_err_set(err, KK_ERR_UNAUTHORIZED, "organization %lld is %s: %s",
	    (long long)o->id, o->status, what);
}

static int
decide(kk_review *rv, int64_t org_id, kk_org_op op, int64_t actor, time_t now,
    time_t expires, const char *reason, const char *who, const char *action,
    const char *detail, kk_err *err)
{
	char obj[32];
	kk_auditrec a;

	snprintf(obj, sizeof(obj), "org %lld", (long long)org_id);
	a = (kk_auditrec){ now, who, action, obj, detail };
	return kk_store_org_decide(rv->st, org_id, op, actor, expires, reason, &a, err);
}

int
kk_review_org_verify(kk_review *rv, int64_t actor, int64_t org_id, const char *note,
    kk_err *err)
{
	char who[64], detail[512];
	int identity, authority;
	kk_orgrec o;

	if (check_note("note", note, 0, err) != 0 ||
	    decision(rv, actor, KK_ROLE_REVIEWER, org_id, who, &o, err) != 0)
		return -1;
	if (strcmp(o.status, "in_review") != 0)
		return refuse_state(&o, "only an organization in review can be verified", err);
	if (o.verified_by != 0)
		return kk_err_set(err, KK_ERR_UNAUTHORIZED, "organization %lld was verified by "
		    "%s already", (long long)org_id, o.verified_by_name);
	if (evidence_summary(rv, org_id, note, detail, &identity, &authority, err) != 0)
		return -1;
	if (identity == 0)
		return kk_err_set(err, KK_ERR_UNAUTHORIZED, "organization %lld has no evidence "
		    "of identity (registry, database or document; CP 3.2.2)", (long long)org_id);
	if (authority == 0)
		return kk_err_set(err, KK_ERR_UNAUTHORIZED, "organization %lld has no evidence "
		    "of the applicant's authority (CP 3.2.5)", (long long)org_id);
	return decide(rv, org_id, KK_ORG_VERIFY, actor, kk_now(), 0, NULL, who, "org.verify",
	    detail, err);
}

/* BR 4.2.1: the verified data may be reused for org_reuse days from approval. */
int
kk_review_org_approve(kk_review *rv, int64_t actor, int64_t org_id, const char *note,
    kk_err *err)
{
	char who[64], detail[512], until[21];
	time_t now = kk_now(), expires;
	kk_orgrec o;

	if (check_note("note", note, 0, err) != 0 ||
	    decision(rv, actor, KK_ROLE_APPROVER, org_id, who, &o, err) != 0)
		return -1;
	if (strcmp(o.status, "in_review") != 0)
		return refuse_state(&o, "only an organization in review can be approved", err);
	if (o.verified_by == 0)
		return kk_err_set(err, KK_ERR_UNAUTHORIZED, "organization %lld is not verified "
		    "yet: a first reviewer verifies, a second approves", (long long)org_id);
	if (o.verified_by == actor)
		return kk_err_set(err, KK_ERR_UNAUTHORIZED, "two-person rule: %s verified "
		    "organization %lld, so another approver must approve it", who,
		    (long long)org_id);
	expires = now + (time_t)kk_schedule_days(&rv->pol->org_reuse, now) * 86400;
	kk_time_format(expires, until);
	snprintf(detail, sizeof(detail), "verified by %s; expires %s%s%s", o.verified_by_name,
	    until, note && *note ? "; note: " : "", note ? note : "");
	return decide(rv, org_id, KK_ORG_APPROVE, actor, now, expires, NULL, who,
	    "org.approve", detail, err);
}

int
kk_review_org_reject(kk_review *rv, int64_t actor, int64_t org_id, const char *reason,
    kk_err *err)
{
	char who[64], detail[512];
	kk_orgrec o;

	if (check_note("reason", reason, 1, err) != 0 ||
	    decision(rv, actor, KK_ROLE_REVIEWER, org_id, who, &o, err) != 0)
		return -1;
	if (strcmp(o.status, "submitted") != 0 && strcmp(o.status, "in_review") != 0)
		return refuse_state(&o, "only a submitted organization or one in review can be "
		    "rejected (revet an approved one first)", err);
	snprintf(detail, sizeof(detail), "reason: %s", reason);
	return decide(rv, org_id, KK_ORG_REJECT, actor, kk_now(), 0, reason, who, "org.reject",
	    detail, err);
}

int
kk_review_org_revet(kk_review *rv, int64_t actor, int64_t org_id, const char *note,
    kk_err *err)
{
	char who[64], detail[512];
	kk_orgrec o;

	if (check_note("note", note, 0, err) != 0 ||
	    decision(rv, actor, KK_ROLE_APPROVER, org_id, who, &o, err) != 0)
		return -1;
	if (strcmp(o.status, "approved") != 0 && strcmp(o.status, "expired") != 0 &&
	    strcmp(o.status, "rejected") != 0)
		return refuse_state(&o, "only an approved, expired or rejected organization can "
		    "be re-vetted", err);
	snprintf(detail, sizeof(detail), "was %s%s%s", o.status, note && *note ? "; note: " : "",
	    note ? note : "");
	return decide(rv, org_id, KK_ORG_REVET, actor, kk_now(), 0, NULL, who, "org.revet",
	    detail, err);
}

int
kk_review_org_issuable(kk_review *rv, int64_t org_id, time_t now, kk_err *why)
{
	char until[21];
	kk_orgrec o;

	if (kk_store_orgrec_get(rv->st, org_id, now, &o, why) != 0)
		return -1;
	if (strcmp(o.status, "approved") == 0)
		return 1;
	if (strcmp(o.status, "rejected") == 0)
		return kk_err_set(why, KK_ERR_UNAUTHORIZED, "organization %lld was rejected: %s",
		    (long long)org_id, o.reason);
	if (strcmp(o.status, "expired") == 0) {
		kk_time_format(o.expires, until);
		kk_err_set(why, KK_ERR_USER_ACTION_REQUIRED, "organization %lld: its vetting "
		    "expired %s and must be redone (BR 4.2.1)", (long long)org_id, until);
	} else if (o.verified_by != 0) {
		kk_err_set(why, KK_ERR_USER_ACTION_REQUIRED, "organization %lld is in_review: "
		    "verified by %s, waiting for a second reviewer", (long long)org_id,
		    o.verified_by_name);
	} else {
		kk_err_set(why, KK_ERR_USER_ACTION_REQUIRED, "organization %lld is %s: waiting "
		    "for two reviewers", (long long)org_id, o.status);
	}
	return 0;
}
