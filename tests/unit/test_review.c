/* Unit tests for the OV vetting service (include/kakuin/review.h): reviewers, sessions,
 * organizations and their two-person vetting (fixture: review_fixture.h). */
#include "review_fixture.h"

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
		cmocka_unit_test_teardown(test_store_check, test_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
