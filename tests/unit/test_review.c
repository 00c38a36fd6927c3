/* Unit tests for the OV vetting service (include/kakuin/review.h) and its store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "kakuin/clock.h"
#include "kakuin/review.h"
#include "kakuin/store.h"
#include "kakuin/util.h"

#define T0 1750000000 /* 2025-06-15 */
#define PW "correct horse battery"

/* One store for the whole group: scrypt costs ~0.1 s per hash, so the reviewers are
 * created once. Every test makes its own organizations. */
typedef struct fixture {
	char dir[64], path[96], docs[96];
	kk_policy pol;
	kk_store *st;
	kk_review *rv;
	int64_t alice;  /* reviewer */
	int64_t bob;    /* approver */
	int64_t carol;  /* approver */
	int64_t root;   /* admin */
	int64_t dave;   /* reviewer, disabled */
} fixture;

static fixture *F;

static int64_t
add_user(const char *name, kk_role role)
{
	int64_t id = 0;
	kk_err err;

	assert_int_equal(kk_review_user_add(F->rv, 0, name, role, PW, &id, &err), 0);
	assert_true(id > 0);
	return id;
}

static int
group_setup(void **state)
{
	kk_err err;

	(void)state;
	F = calloc(1, sizeof(*F));
	assert_non_null(F);
	kk_clock_set(T0);
	snprintf(F->dir, sizeof(F->dir), "/tmp/kk_review_XXXXXX");
	assert_non_null(mkdtemp(F->dir));
	snprintf(F->path, sizeof(F->path), "%s/kakuin.db", F->dir);
	snprintf(F->docs, sizeof(F->docs), "%s/documents", F->dir);
	assert_int_equal(kk_policy_load(NULL, &F->pol, &err), 0);
	assert_int_equal(kk_store_open(&F->st, F->path, &err), 0);
	assert_int_equal(kk_review_open(&F->rv, F->st, &F->pol, F->docs, &err), 0);
	F->alice = add_user("alice", KK_ROLE_REVIEWER);
	F->bob = add_user("bob", KK_ROLE_APPROVER);
	F->carol = add_user("carol", KK_ROLE_APPROVER);
	F->root = add_user("root", KK_ROLE_ADMIN);
	F->dave = add_user("dave", KK_ROLE_REVIEWER);
	assert_int_equal(kk_review_user_disable(F->rv, F->root, "dave", &err), 0);
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	kk_review_close(F->rv);
	kk_store_close(F->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", F->dir);
	assert_int_equal(system(cmd), 0);
	free(F);
	kk_clock_set(0);
	return 0;
}

static int
test_teardown(void **state)
{
	(void)state;
	kk_clock_set(T0);
	return 0;
}

static int64_t
raw_count(const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t n;

	assert_int_equal(sqlite3_open(F->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

static void
raw_exec(const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(F->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static kk_orgrec
org_in(const char *name)
{
	kk_orgrec o;

	memset(&o, 0, sizeof(o));
	snprintf(o.name, sizeof(o.name), "%s", name);
	snprintf(o.locality, sizeof(o.locality), "Shibuya-ku");
	snprintf(o.state, sizeof(o.state), "Tokyo");
	snprintf(o.reg_number, sizeof(o.reg_number), "1234567890123");
	snprintf(o.applicant_name, sizeof(o.applicant_name), "Taro Yamada");
	return o;
}

static int64_t
new_org(const char *name)
{
	kk_orgrec o = org_in(name);
	int64_t id = 0;
	kk_err err;

	assert_int_equal(kk_review_org_create(F->rv, F->alice, &o, &id, &err), 0);
	return id;
}

static int64_t
add_evidence(int64_t org, const char *kind)
{
	kk_evidence e;
	int64_t id = 0;
	kk_err err;

	memset(&e, 0, sizeof(e));
	snprintf(e.kind, sizeof(e.kind), "%s", kind);
	snprintf(e.source, sizeof(e.source), "National Tax Agency corporate number site");
	snprintf(e.reference, sizeof(e.reference), "record 1234567890123");
	assert_int_equal(kk_review_evidence_add(F->rv, F->alice, org, &e, NULL, 0, &id, &err), 0);
	return id;
}

static kk_orgrec
get_org(int64_t id)
{
	kk_orgrec o;
	kk_err err;

	assert_int_equal(kk_review_org_get(F->rv, id, &o, &err), 0);
	return o;
}

typedef enum { S_SUBMITTED, S_IN_REVIEW, S_VERIFIED, S_APPROVED, S_EXPIRED, S_REJECTED,
    S_N } org_state;

/* An organization brought to state s (for S_EXPIRED the clock moves past its expiry). */
static int64_t
org_in_state(org_state s)
{
	int64_t id = new_org("Example K.K.");
	kk_err err;

	if (s == S_SUBMITTED)
		return id;
	if (s == S_REJECTED) {
		assert_int_equal(kk_review_org_reject(F->rv, F->alice, id, "no registry record",
		    &err), 0);
		return id;
	}
	add_evidence(id, "registry");
	add_evidence(id, "authority");
	if (s == S_IN_REVIEW)
		return id;
	assert_int_equal(kk_review_org_verify(F->rv, F->alice, id, NULL, &err), 0);
	if (s == S_VERIFIED)
		return id;
	assert_int_equal(kk_review_org_approve(F->rv, F->bob, id, "ok", &err), 0);
	if (s == S_EXPIRED)
		kk_clock_set(T0 + 826 * 86400);
	return id;
}

static void
test_roles(void **state)
{
	kk_role r;

	(void)state;
	assert_int_equal(kk_role_parse("approver", &r), 0);
	assert_int_equal(r, KK_ROLE_APPROVER);
	assert_string_equal(kk_role_name(KK_ROLE_ADMIN), "admin");
	assert_int_equal(kk_role_parse("root", &r), -1);
	assert_int_equal(kk_role_parse(NULL, &r), -1);
}

static void
test_user_add_checks(void **state)
{
	char long_name[80];
	int64_t id = 0;
	kk_err err;

	(void)state;
	memset(long_name, 'a', 64);
	long_name[64] = '\0';
	assert_int_equal(kk_review_user_add(F->rv, 0, "Eve", KK_ROLE_REVIEWER, PW, &id, &err), -1);
	assert_int_equal(err.kind, KK_ERR_MALFORMED);
	assert_int_equal(kk_review_user_add(F->rv, 0, long_name, KK_ROLE_REVIEWER, PW, &id, &err),
	    -1);
	assert_int_equal(kk_review_user_add(F->rv, 0, "eve", KK_ROLE_REVIEWER, "short", &id,
	    &err), -1);
	assert_int_equal(err.kind, KK_ERR_MALFORMED);
	assert_non_null(strstr(err.detail, "12"));
	/* only the operator or an admin adds reviewers */
	assert_int_equal(kk_review_user_add(F->rv, F->bob, "eve", KK_ROLE_REVIEWER, PW, &id,
	    &err), -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
	assert_int_equal(kk_review_user_add(F->rv, 0, "alice", KK_ROLE_REVIEWER, PW, &id, &err),
	    -1);
	assert_int_equal(err.kind, KK_ERR_CONFLICT);
	assert_int_equal(raw_count("SELECT count(*) FROM reviewers"), 5);
	assert_int_equal(raw_count("SELECT count(*) FROM reviewers WHERE password_hash LIKE "
	    "'scrypt$32768$8$1$%'"), 5);
	assert_int_equal(kk_review_user_disable(F->rv, F->root, "nobody", &err), -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);
}

static void
test_login(void **state)
{
	kk_reviewer r;
	char detail[512];
	kk_err err;

	(void)state;
	assert_int_equal(kk_review_login(F->rv, "bob", PW, &r, &err), 0);
	assert_int_equal(r.id, F->bob);
	assert_int_equal(r.role, KK_ROLE_APPROVER);
	assert_string_equal(r.name, "bob");
	assert_int_equal(kk_review_login(F->rv, "bob", "wrong password!", &r, &err), -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
	snprintf(detail, sizeof(detail), "%s", err.detail);
	assert_int_equal(kk_review_login(F->rv, "nobody", PW, &r, &err), -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
	assert_string_equal(err.detail, detail);
	assert_int_equal(kk_review_login(F->rv, "dave", PW, &r, &err), -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
	assert_string_equal(err.detail, detail);
	/* a disabled reviewer cannot act either */
	assert_int_equal(kk_review_org_reject(F->rv, F->dave, new_org("X"), "r", &err), -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
	assert_non_null(strstr(err.detail, "disabled"));
	/* a new password replaces the old one */
	assert_int_equal(kk_review_user_password(F->rv, 0, "carol", "another long password",
	    &err), 0);
	assert_int_equal(kk_review_login(F->rv, "carol", PW, &r, &err), -1);
	assert_int_equal(kk_review_login(F->rv, "carol", "another long password", &r, &err), 0);
	assert_int_equal(kk_review_user_password(F->rv, 0, "carol", PW, &err), 0);
	assert_int_equal(raw_count("SELECT count(*) FROM audit_log WHERE action = 'user.passwd' "
	    "AND object = 'user carol'"), 2);
}

static void
test_sessions(void **state)
{
	char token[65], csrf[65], csrf2[65], token2[65];
	kk_reviewer r;
	kk_err err;

	(void)state;
	assert_int_equal(kk_review_session_new(F->rv, F->alice, token, csrf, &err), 0);
	assert_int_equal(strlen(token), 64);
	assert_int_equal(strlen(csrf), 64);
	assert_string_not_equal(token, csrf);
	/* only the hash of the cookie is stored */
	assert_int_equal(raw_count("SELECT count(*) FROM sessions WHERE length(token_hash) = 64"),
	    1);
	assert_int_equal(kk_review_session_get(F->rv, token, &r, csrf2, &err), 0);
	assert_int_equal(r.id, F->alice);
	assert_string_equal(csrf, csrf2);
	assert_int_equal(kk_review_session_get(F->rv, token, &r, csrf2, &err), 0);
	assert_string_equal(csrf, csrf2);
	assert_int_equal(kk_review_session_get(F->rv, "00", &r, csrf2, &err), -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
	/* ends after session_minutes */
	kk_clock_set(T0 + F->pol.session_minutes * 60 - 1);
	assert_int_equal(kk_review_session_get(F->rv, token, &r, csrf2, &err), 0);
	kk_clock_set(T0 + F->pol.session_minutes * 60);
	assert_int_equal(kk_review_session_get(F->rv, token, &r, csrf2, &err), -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
	/* logout ends a session at once */
	assert_int_equal(kk_review_session_new(F->rv, F->bob, token2, csrf, &err), 0);
	assert_int_equal(kk_review_session_end(F->rv, token2, &err), 0);
	assert_int_equal(kk_review_session_get(F->rv, token2, &r, csrf2, &err), -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
	/* no sessions for disabled reviewers */
	assert_int_equal(kk_review_session_new(F->rv, F->dave, token2, csrf, &err), -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
}

static void
test_org_input(void **state)
{
	int64_t before, id = 0;
	kk_orgrec o, got;
	kk_err err;

	(void)state;
	before = raw_count("SELECT count(*) FROM organizations");
	o = org_in("Evil\nCorp");
	assert_int_equal(kk_review_org_create(F->rv, F->alice, &o, &id, &err), -1);
	assert_int_equal(err.kind, KK_ERR_MALFORMED);
	assert_non_null(strstr(err.detail, "control"));
	o = org_in("Del\x7f");
	assert_int_equal(kk_review_org_create(F->rv, F->alice, &o, &id, &err), -1);
	o = org_in("Fine");
	o.locality[0] = '\0';
	assert_int_equal(kk_review_org_create(F->rv, F->alice, &o, &id, &err), -1);
	assert_non_null(strstr(err.detail, "locality"));
	o = org_in("Fine");
	memset(o.phone, '1', sizeof(o.phone)); /* not terminated: too long */
	assert_int_equal(kk_review_org_create(F->rv, F->alice, &o, &id, &err), -1);
	assert_non_null(strstr(err.detail, "too long"));
	assert_int_equal(raw_count("SELECT count(*) FROM organizations"), before);
	/* HTML is data, stored as is; C comes from the policy */
	o = org_in("<b>A&B</b> \"K.K.\"");
	snprintf(o.country, sizeof(o.country), "US");
	assert_int_equal(kk_review_org_create(F->rv, 0, &o, &id, &err), 0);
	got = get_org(id);
	assert_string_equal(got.name, "<b>A&B</b> \"K.K.\"");
	assert_string_equal(got.country, "JP");
	assert_string_equal(got.status, "submitted");
	assert_int_equal(got.created, T0);
	assert_int_equal(got.dev, 0);
	assert_int_equal(kk_review_org_get(F->rv, 99999, &got, &err), -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);
}

static void
test_two_person_rule(void **state)
{
	int64_t id = org_in_state(S_IN_REVIEW);
	kk_orgrec o;
	kk_err err;

	(void)state;
	assert_string_equal(get_org(id).status, "in_review");
	/* approval needs the verification first */
	assert_int_equal(kk_review_org_approve(F->rv, F->carol, id, NULL, &err), -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
	assert_int_equal(kk_review_org_verify(F->rv, F->bob, id, "registry checked", &err), 0);
	o = get_org(id);
	assert_int_equal(o.verified_by, F->bob);
	assert_string_equal(o.verified_by_name, "bob");
	assert_int_equal(o.verified_at, T0);
	/* the verifier cannot approve */
	assert_int_equal(kk_review_org_approve(F->rv, F->bob, id, NULL, &err), -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
	assert_non_null(strstr(err.detail, "two-person"));
	/* a reviewer cannot approve */
	assert_int_equal(kk_review_org_approve(F->rv, F->alice, id, NULL, &err), -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
	assert_non_null(strstr(err.detail, "approver"));
	o = get_org(id);
	assert_string_equal(o.status, "in_review");
	assert_int_equal(o.approved_by, 0);
	assert_int_equal(raw_count("SELECT count(*) FROM audit_log WHERE action = 'org.approve'"),
	    0);
	assert_int_equal(kk_review_org_approve(F->rv, F->carol, id, "fine", &err), 0);
	o = get_org(id);
	assert_string_equal(o.status, "approved");
	assert_string_equal(o.verified_by_name, "bob");
	assert_string_equal(o.approved_by_name, "carol");
	assert_int_equal(kk_review_org_issuable(F->rv, id, kk_now(), &err), 1);
}

static void
test_verify_needs_evidence(void **state)
{
	int64_t a = new_org("No Authority K.K."), b = new_org("No Identity K.K.");
	kk_err err;

	(void)state;
	/* submitted: nothing to verify yet */
	assert_int_equal(kk_review_org_verify(F->rv, F->alice, a, NULL, &err), -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
	add_evidence(a, "registry");
	assert_int_equal(kk_review_org_verify(F->rv, F->alice, a, NULL, &err), -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
	assert_non_null(strstr(err.detail, "authority"));
	add_evidence(b, "authority");
	assert_int_equal(kk_review_org_verify(F->rv, F->alice, b, NULL, &err), -1);
	assert_non_null(strstr(err.detail, "identity"));
	assert_int_equal(get_org(a).verified_by, 0);
	assert_int_equal(get_org(b).verified_by, 0);
	add_evidence(b, "database");
	assert_int_equal(kk_review_org_verify(F->rv, F->alice, b, NULL, &err), 0);
}

/* Every decision from every state: the legal ones succeed, the others are
 * KK_ERR_UNAUTHORIZED and change nothing. */
static void
test_state_machine(void **state)
{
	/* verify, approve, reject, revet */
	static const int legal[S_N][4] = {
		[S_SUBMITTED] = { 0, 0, 1, 0 },
		[S_IN_REVIEW] = { 1, 0, 1, 0 },
		[S_VERIFIED] = { 0, 1, 1, 0 },
		[S_APPROVED] = { 0, 0, 0, 1 },
		[S_EXPIRED] = { 0, 0, 0, 1 },
		[S_REJECTED] = { 0, 0, 0, 1 },
	};
	static const char *const after[4] = { "in_review", "approved", "rejected", "in_review" };
	int s, op, rc;
	int64_t id, audits;
	kk_orgrec before, now;
	kk_err err;

	(void)state;
	for (s = 0; s < S_N; s++) {
		for (op = 0; op < 4; op++) {
			kk_clock_set(T0);
			id = org_in_state((org_state)s);
			before = get_org(id);
			audits = raw_count("SELECT count(*) FROM audit_log");
			switch (op) {
			case 0: rc = kk_review_org_verify(F->rv, F->carol, id, NULL, &err); break;
			case 1: rc = kk_review_org_approve(F->rv, F->carol, id, NULL, &err); break;
			case 2: rc = kk_review_org_reject(F->rv, F->carol, id, "bad", &err); break;
			default: rc = kk_review_org_revet(F->rv, F->carol, id, NULL, &err); break;
			}
			now = get_org(id);
			if (legal[s][op]) {
				assert_int_equal(rc, 0);
				assert_string_equal(now.status, after[op]);
				assert_int_equal(raw_count("SELECT count(*) FROM audit_log"),
				    audits + 1);
				continue;
			}
			assert_int_equal(rc, -1);
			assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
			assert_string_equal(now.status, before.status);
			assert_int_equal(now.verified_by, before.verified_by);
			assert_int_equal(now.approved_by, before.approved_by);
			assert_int_equal(raw_count("SELECT count(*) FROM audit_log"), audits);
		}
	}
	/* a reviewer may reject but not revet; a rejection needs a reason */
	id = org_in_state(S_REJECTED);
	assert_int_equal(kk_review_org_revet(F->rv, F->alice, id, NULL, &err), -1);
	assert_non_null(strstr(err.detail, "approver"));
	id = org_in_state(S_IN_REVIEW);
	assert_int_equal(kk_review_org_reject(F->rv, F->alice, id, "", &err), -1);
	assert_int_equal(err.kind, KK_ERR_MALFORMED);
	assert_int_equal(kk_review_org_reject(F->rv, F->alice, id, "bad\x01", &err), -1);
	assert_int_equal(err.kind, KK_ERR_MALFORMED);
	assert_string_equal(get_org(id).status, "in_review");
}

static time_t
at(const char *day)
{
	time_t t;

	assert_int_equal(kk_time_parse(day, &t), 0);
	return t;
}

/* BR 4.2.1: 825 days before 2026-03-15, 398 from then on; then re-vetting. */
static void
test_expiry_and_revet(void **state)
{
	int64_t a, b;
	kk_orgrec o, *list = NULL;
	size_t n = 0;
	kk_err err;

	(void)state;
	kk_clock_set(at("2026-03-14"));
	a = org_in_state(S_VERIFIED);
	assert_int_equal(kk_review_org_approve(F->rv, F->bob, a, NULL, &err), 0);
	assert_int_equal(get_org(a).expires, at("2026-03-14") + 825 * 86400);
	kk_clock_set(at("2026-03-15"));
	b = org_in_state(S_VERIFIED);
	assert_int_equal(kk_review_org_approve(F->rv, F->bob, b, NULL, &err), 0);
	o = get_org(b);
	assert_int_equal(o.expires, at("2026-03-15") + 398 * 86400);
	assert_int_equal(kk_review_org_issuable(F->rv, b, o.expires - 1, &err), 1);
	assert_int_equal(kk_review_org_issuable(F->rv, b, o.expires, &err), 0);
	assert_non_null(strstr(err.detail, "expired"));
	kk_clock_set(o.expires);
	assert_string_equal(get_org(b).status, "expired");
	assert_int_equal(kk_review_org_list(F->rv, "expired", NULL, &list, &n, &err), 0);
	assert_true(n >= 1);
	assert_int_equal(list[0].id, b);
	free(list);
	assert_int_equal(kk_review_org_revet(F->rv, F->carol, b, "yearly", &err), 0);
	o = get_org(b);
	assert_string_equal(o.status, "in_review");
	assert_int_equal(o.verified_by, 0);
	assert_int_equal(o.approved_by, 0);
	assert_int_equal(o.expires, 0);
	assert_int_equal(kk_review_org_issuable(F->rv, b, kk_now(), &err), 0);
	assert_non_null(strstr(err.detail, "waiting for two reviewers"));
	assert_int_equal(kk_review_org_verify(F->rv, F->alice, b, NULL, &err), 0);
	assert_int_equal(kk_review_org_issuable(F->rv, b, kk_now(), &err), 0);
	assert_non_null(strstr(err.detail, "alice"));
	assert_int_equal(kk_review_org_reject(F->rv, F->alice, b, "closed down", &err), 0);
	assert_int_equal(kk_review_org_issuable(F->rv, b, kk_now(), &err), -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
	assert_non_null(strstr(err.detail, "closed down"));
}

static void
test_list(void **state)
{
	int64_t id = new_org("Zebra Searchable K.K.");
	kk_orgrec *list = NULL;
	size_t n = 0, i;
	kk_err err;

	(void)state;
	assert_int_equal(kk_review_org_list(F->rv, NULL, "zebra search", &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].id, id);
	free(list);
	assert_int_equal(kk_review_org_list(F->rv, NULL, "%", &list, &n, &err), 0);
	assert_int_equal(n, 0);
	free(list);
	assert_int_equal(kk_review_org_list(F->rv, "submitted", NULL, &list, &n, &err), 0);
	assert_true(n >= 1);
	assert_int_equal(list[0].id, id); /* newest first */
	for (i = 0; i < n; i++)
		assert_string_equal(list[i].status, "submitted");
	free(list);
	assert_int_equal(kk_review_org_list(F->rv, "bogus", NULL, &list, &n, &err), -1);
	assert_int_equal(err.kind, KK_ERR_MALFORMED);
}

static void
test_update_resets(void **state)
{
	int64_t id = org_in_state(S_APPROVED);
	kk_orgrec o;
	kk_err err;

	(void)state;
	o = get_org(id);
	snprintf(o.address, sizeof(o.address), "1-2-3 Jingumae");
	assert_int_equal(kk_review_org_update(F->rv, F->alice, &o, &err), 0);
	o = get_org(id);
	assert_string_equal(o.status, "approved");
	assert_string_equal(o.address, "1-2-3 Jingumae");
	snprintf(o.locality, sizeof(o.locality), "Bad\tPlace");
	assert_int_equal(kk_review_org_update(F->rv, F->alice, &o, &err), -1);
	assert_int_equal(err.kind, KK_ERR_MALFORMED);
	assert_string_equal(get_org(id).locality, "Shibuya-ku");
	o = get_org(id);
	snprintf(o.reg_number, sizeof(o.reg_number), "9999999999999");
	assert_int_equal(kk_review_org_update(F->rv, F->alice, &o, &err), 0);
	o = get_org(id);
	assert_string_equal(o.status, "in_review");
	assert_int_equal(o.verified_by, 0);
	assert_int_equal(o.approved_by, 0);
	assert_int_equal(raw_count("SELECT count(*) FROM audit_log WHERE action = 'org.update' "
	    "AND detail LIKE '%corporate number%re-vetting'"), 1);
	/* a verified (not yet approved) organization is sent back as well */
	id = org_in_state(S_VERIFIED);
	o = get_org(id);
	snprintf(o.name, sizeof(o.name), "Renamed K.K.");
	assert_int_equal(kk_review_org_update(F->rv, F->alice, &o, &err), 0);
	assert_int_equal(get_org(id).verified_by, 0);
}

static void
test_evidence_document(void **state)
{
	static const unsigned char doc[] = "%PDF-1.4 certificate of registered matters";
	int64_t org = new_org("Docs K.K."), id = 0;
	unsigned char *big = NULL;
	kk_evidence e, *list = NULL;
	char path[256], *data = NULL;
	size_t n = 0, len = 0;
	struct stat sb;
	kk_err err;

	(void)state;
	memset(&e, 0, sizeof(e));
	snprintf(e.kind, sizeof(e.kind), "document");
	snprintf(e.source, sizeof(e.source), "Legal Affairs Bureau");
	snprintf(e.doc_name, sizeof(e.doc_name), "touki.pdf");
	assert_int_equal(kk_review_evidence_add(F->rv, F->alice, org, &e, NULL, 0, &id, &err),
	    -1);
	assert_int_equal(err.kind, KK_ERR_MALFORMED);
	big = calloc(1, 10 * 1024 * 1024 + 1);
	assert_non_null(big);
	assert_int_equal(kk_review_evidence_add(F->rv, F->alice, org, &e, big,
	    10 * 1024 * 1024 + 1, &id, &err), -1);
	assert_int_equal(err.kind, KK_ERR_TOO_LARGE);
	free(big);
	/* the operator is not a reviewer: evidence names who looked at it */
	assert_int_equal(kk_review_evidence_add(F->rv, 0, org, &e, doc, sizeof(doc), &id, &err),
	    -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
	assert_string_equal(get_org(org).status, "submitted");
	assert_int_equal(kk_review_evidence_add(F->rv, F->bob, org, &e, doc, sizeof(doc), &id,
	    &err), 0);
	assert_string_equal(get_org(org).status, "in_review");
	assert_int_equal(kk_review_evidence_list(F->rv, org, &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].id, id);
	assert_string_equal(list[0].added_by_name, "bob");
	assert_string_equal(list[0].doc_name, "touki.pdf");
	assert_int_equal(strlen(list[0].doc_sha256), 64);
	snprintf(path, sizeof(path), "%s/%s", F->docs, list[0].doc_sha256);
	assert_int_equal(kk_file_read(path, 1 << 20, &data, &len, &err), 0);
	assert_int_equal(len, sizeof(doc));
	assert_memory_equal(data, doc, len);
	assert_int_equal(stat(F->docs, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	free(data);
	free(list);
	/* a registry record has no document; kinds are closed */
	snprintf(e.kind, sizeof(e.kind), "registry");
	assert_int_equal(kk_review_evidence_add(F->rv, F->bob, org, &e, doc, sizeof(doc), &id,
	    &err), -1);
	snprintf(e.kind, sizeof(e.kind), "rumour");
	assert_int_equal(kk_review_evidence_add(F->rv, F->bob, org, &e, NULL, 0, &id, &err), -1);
	assert_int_equal(err.kind, KK_ERR_MALFORMED);
}

static void
test_eab(void **state)
{
	int64_t org = org_in_state(S_APPROVED), got_org = 0;
	unsigned char key[64], *want = NULL;
	char kid[40], hmac[64];
	size_t len = 0, wlen = 0, n = 0;
	kk_eab *list = NULL;
	kk_err err;

	(void)state;
	assert_int_equal(kk_review_eab_create(F->rv, F->bob, org, kid, hmac, &err), -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
	assert_int_equal(kk_review_eab_create(F->rv, F->root, 99999, kid, hmac, &err), -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);
	assert_int_equal(kk_review_eab_create(F->rv, F->root, org, kid, hmac, &err), 0);
	assert_int_equal(strlen(kid), 24);
	assert_int_equal(strlen(hmac), 43);
	kk_clock_set(T0 + 100);
	assert_int_equal(kk_review_eab_key(F->rv, kid, key, &len, &got_org, &err), 0);
	assert_int_equal(kk_b64url_decode(hmac, strlen(hmac), &want, &wlen), 0);
	assert_int_equal(len, 32);
	assert_int_equal(wlen, 32);
	assert_memory_equal(key, want, 32);
	free(want);
	assert_int_equal(got_org, org);
	assert_int_equal(kk_review_eab_list(F->rv, org, &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].kid, kid);
	assert_string_equal(list[0].created_by, "root");
	assert_int_equal(list[0].last_used, T0 + 100);
	free(list);
	assert_int_equal(kk_review_eab_key(F->rv, "AAAAAAAAAAAAAAAAAAAAAAAA", key, &len, &got_org,
	    &err), -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
	assert_int_equal(kk_review_eab_key(F->rv, "bad kid!", key, &len, &got_org, &err), -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
	assert_int_equal(kk_review_eab_revoke(F->rv, F->alice, kid, &err), -1);
	assert_int_equal(kk_review_eab_revoke(F->rv, F->root, kid, &err), 0);
	assert_int_equal(kk_review_eab_key(F->rv, kid, key, &len, &got_org, &err), -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
	assert_non_null(strstr(err.detail, "revoked"));
	assert_int_equal(kk_review_eab_revoke(F->rv, F->root, kid, &err), -1);
	assert_int_equal(err.kind, KK_ERR_CONFLICT);
	assert_int_equal(raw_count("SELECT count(*) FROM audit_log WHERE action IN "
	    "('eab.create', 'eab.revoke') AND actor = 'root'"), 2);
	assert_int_equal(raw_count("SELECT count(*) FROM eab_keys WHERE revoked IS NOT NULL"), 1);
}

/* A processing challenge of a new order of an account of org: its id. */
static int64_t
processing_challenge(int64_t org, const char *name, int start)
{
	static int n;
	char thumb[32];
	kk_authz_spec spec;
	kk_account acct;
	kk_authz a;
	kk_order o;
	int64_t cid;
	kk_err err;

	memset(&acct, 0, sizeof(acct));
	snprintf(thumb, sizeof(thumb), "thumb-%d", ++n);
	acct.jwk = (char *)"{\"kty\":\"EC\"}";
	acct.thumbprint = thumb;
	acct.org_id = org;
	assert_int_equal(kk_store_account_create(F->st, &acct, &err), 0);
	memset(&spec, 0, sizeof(spec));
	spec.value = name;
	spec.expires = kk_now() + 30 * 86400;
	spec.chall_types[0] = "dns-01";
	spec.chall_tokens[0] = "tok";
	spec.n_chall = 1;
	memset(&o, 0, sizeof(o));
	o.account_id = acct.id;
	o.expires = kk_now() + 7 * 86400;
	o.identifiers = (char *)"[{\"type\":\"dns\",\"value\":\"x\"}]";
	assert_int_equal(kk_store_order_create(F->st, &o, &spec, 1, &err), 0);
	memset(&a, 0, sizeof(a));
	assert_int_equal(kk_store_authz_get(F->st, o.authz_ids[0], &a, &err), 0);
	cid = a.chall[0].id;
	kk_authz_clear(&a);
	if (start)
		assert_int_equal(kk_store_challenge_start(F->st, cid, NULL, &err), 0);
	return cid;
}

static void
test_task_phone(void **state)
{
	int64_t org = org_in_state(S_APPROVED), cid, cid2, tid = 0, again = 0, t2 = 0;
	kk_challenge c;
	kk_task t, *list = NULL;
	kk_authz a;
	size_t n = 0;
	kk_err err;

	(void)state;
	cid = processing_challenge(org, "www.example.jp", 1);
	assert_int_equal(kk_review_task_phone(F->rv, cid, "www.example.jp", "+81-3-1234-5678",
	    "rnd123", "3.2.2.4.16", &tid, &err), 0);
	assert_int_equal(kk_review_task_phone(F->rv, cid, "www.example.jp", "+81-3-1234-5678",
	    "rnd123", "3.2.2.4.16", &again, &err), 0);
	assert_int_equal(again, tid);
	assert_int_equal(kk_review_task_list(F->rv, "open", &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].org_id, org);
	assert_string_equal(list[0].kind, "phone");
	free(list);
	assert_int_equal(kk_review_task_phone(F->rv, 99999, "x.jp", "1", "r", "3.2.2.4.16", &again,
	    &err), -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);
	/* failure needs a note; the operator cannot complete tasks */
	assert_int_equal(kk_review_task_complete(F->rv, F->alice, tid, 0, NULL, &err), -1);
	assert_int_equal(err.kind, KK_ERR_MALFORMED);
	assert_int_equal(kk_review_task_complete(F->rv, 0, tid, 1, NULL, &err), -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
	kk_clock_set(T0 + 60);
	assert_int_equal(kk_review_task_complete(F->rv, F->alice, tid, 1, "owner confirmed", &err),
	    0);
	assert_int_equal(kk_review_task_get(F->rv, tid, &t, &err), 0);
	assert_string_equal(t.status, "done");
	assert_string_equal(t.outcome, "success");
	assert_string_equal(t.done_by_name, "alice");
	assert_int_equal(t.done_at, T0 + 60);
	memset(&c, 0, sizeof(c));
	assert_int_equal(kk_store_challenge_get(F->st, cid, &c, &err), 0);
	assert_string_equal(c.status, "valid");
	assert_string_equal(c.br_method, "3.2.2.4.16");
	assert_string_equal(c.br_version, F->pol.br_version);
	assert_string_equal(c.checked, "phone +81-3-1234-5678 (called by alice)");
	memset(&a, 0, sizeof(a));
	assert_int_equal(kk_store_authz_get(F->st, c.authz_id, &a, &err), 0);
	assert_string_equal(a.status, "valid");
	assert_int_equal(a.expires, T0 + 60 + (time_t)kk_schedule_days(&F->pol.authz_reuse,
	    T0 + 60) * 86400);
	kk_authz_clear(&a);
	kk_challenge_clear(&c);
	assert_int_equal(kk_review_task_complete(F->rv, F->bob, tid, 1, NULL, &err), -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);

	/* a failed call: the challenge is invalid with an unauthorized problem */
	cid2 = processing_challenge(org, "mail.example.jp", 1);
	assert_int_equal(kk_review_task_phone(F->rv, cid2, "mail.example.jp", "+81-3-0000-0000",
	    "rnd456", "3.2.2.4.17", &t2, &err), 0);
	assert_int_equal(kk_review_task_complete(F->rv, F->bob, t2, 0, "no answer \"x\"", &err),
	    0);
	memset(&c, 0, sizeof(c));
	assert_int_equal(kk_store_challenge_get(F->st, cid2, &c, &err), 0);
	assert_string_equal(c.status, "invalid");
	assert_string_equal(c.error, "{\"type\":\"urn:ietf:params:acme:error:unauthorized\","
	    "\"detail\":\"phone validation failed: no answer \\\"x\\\"\",\"status\":403}");
	kk_challenge_clear(&c);
	assert_int_equal(raw_count("SELECT count(*) FROM audit_log WHERE action = "
	    "'task.complete'"), 2);
}

static void
test_task_challenge_state(void **state)
{
	int64_t org = org_in_state(S_APPROVED), cid, tid = 0, again = 0;
	kk_challenge c;
	kk_task t;
	char sql[256];
	kk_err err;

	(void)state;
	/* the challenge is not processing: refused, the task stays open */
	cid = processing_challenge(org, "pending.example.jp", 0);
	assert_int_equal(kk_review_task_phone(F->rv, cid, "pending.example.jp", "+81-3-1",
	    "rnd", "3.2.2.4.16", &tid, &err), 0);
	assert_int_equal(kk_review_task_complete(F->rv, F->alice, tid, 1, NULL, &err), -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
	assert_int_equal(kk_review_task_get(F->rv, tid, &t, &err), 0);
	assert_string_equal(t.status, "open");
	/* a crash between the two steps: the task is done, the challenge still processing;
	 * the worker's next kk_review_task_phone finishes it from the recorded outcome */
	assert_int_equal(kk_store_challenge_start(F->st, cid, NULL, &err), 0);
	snprintf(sql, sizeof(sql), "UPDATE review_tasks SET status = 'done', outcome = "
	    "'success', done_by = %lld, done_at = %lld WHERE id = %lld", (long long)F->bob,
	    (long long)T0, (long long)tid);
	raw_exec(sql);
	assert_int_equal(kk_review_task_phone(F->rv, cid, "pending.example.jp", "+81-3-1", "rnd",
	    "3.2.2.4.16", &again, &err), 0);
	assert_int_equal(again, tid);
	memset(&c, 0, sizeof(c));
	assert_int_equal(kk_store_challenge_get(F->st, cid, &c, &err), 0);
	assert_string_equal(c.status, "valid");
	assert_string_equal(c.checked, "phone +81-3-1 (called by bob)");
	kk_challenge_clear(&c);
}

static void
test_audit_trail(void **state)
{
	int64_t id = org_in_state(S_APPROVED);
	char obj[32];
	kk_audit *list = NULL;
	size_t n = 0;
	kk_err err;

	(void)state;
	snprintf(obj, sizeof(obj), "org %lld", (long long)id);
	assert_int_equal(kk_review_audit_list(F->rv, obj, 10, &list, &n, &err), 0);
	/* create, 2 evidence, verify, approve; newest first */
	assert_int_equal(n, 5);
	assert_string_equal(list[0].action, "org.approve");
	assert_string_equal(list[0].actor, "bob");
	assert_non_null(strstr(list[0].detail, "verified by alice"));
	assert_string_equal(list[1].action, "org.verify");
	assert_string_equal(list[1].actor, "alice");
	assert_non_null(strstr(list[1].detail, "evidence "));
	assert_string_equal(list[2].action, "evidence.add");
	assert_string_equal(list[4].action, "org.create");
	free(list);
	assert_int_equal(kk_review_audit_list(F->rv, obj, 2, &list, &n, &err), 0);
	assert_int_equal(n, 2);
	free(list);
}

static void
test_store_check(void **state)
{
	kk_err err;

	(void)state;
	assert_int_equal(kk_store_check(F->st, &err), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_roles, test_teardown),
		cmocka_unit_test_teardown(test_user_add_checks, test_teardown),
		cmocka_unit_test_teardown(test_login, test_teardown),
		cmocka_unit_test_teardown(test_sessions, test_teardown),
		cmocka_unit_test_teardown(test_org_input, test_teardown),
		cmocka_unit_test_teardown(test_two_person_rule, test_teardown),
		cmocka_unit_test_teardown(test_verify_needs_evidence, test_teardown),
		cmocka_unit_test_teardown(test_state_machine, test_teardown),
		cmocka_unit_test_teardown(test_expiry_and_revet, test_teardown),
		cmocka_unit_test_teardown(test_list, test_teardown),
		cmocka_unit_test_teardown(test_update_resets, test_teardown),
		cmocka_unit_test_teardown(test_evidence_document, test_teardown),
		cmocka_unit_test_teardown(test_eab, test_teardown),
		cmocka_unit_test_teardown(test_task_phone, test_teardown),
		cmocka_unit_test_teardown(test_task_challenge_state, test_teardown),
		cmocka_unit_test_teardown(test_audit_trail, test_teardown),
		cmocka_unit_test_teardown(test_store_check, test_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
