/* Unit tests for the OV vetting service (include/kakuin/review.h): evidence documents,
 * EAB keys, tasks and the audit trail (fixture: review_fixture.h). */
#include "review_fixture.h"

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

/* No kid or HMAC key begins with '-', which certbot and lego would take for an option
 * (one in 64 base64url strings would). */
static void
test_eab_no_leading_dash(void **state)
{
	int64_t org = org_in_state(S_APPROVED);
	char kid[40], hmac[64];
	kk_err err;
	int i;

	(void)state;
	for (i = 0; i < 300; i++) {
		assert_int_equal(kk_review_eab_create(F->rv, F->root, org, kid, hmac, &err), 0);
		assert_true(kid[0] != '-');
		assert_true(hmac[0] != '-');
	}
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_evidence_document, test_teardown),
		cmocka_unit_test_teardown(test_eab, test_teardown),
		cmocka_unit_test_teardown(test_eab_no_leading_dash, test_teardown),
		cmocka_unit_test_teardown(test_task_phone, test_teardown),
		cmocka_unit_test_teardown(test_task_challenge_state, test_teardown),
		cmocka_unit_test_teardown(test_audit_trail, test_teardown),
		cmocka_unit_test_teardown(test_store_check, test_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
