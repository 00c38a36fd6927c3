/* Unit tests for the SQLite store (include/kakuin/store.h): accounts, organizations,
 * orders, challenges, authorization reuse and issuance, each compare-and-set step
 * (fixture: store_fixture.h). */
#include "store_fixture.h"

static void
test_open_twice(void **state)
{
	fixture *f = *state;
	kk_store *bad = NULL;
	kk_err err;
	int64_t applied;
	int n;

	for (n = 0; kk_migrations[n].version != 0; n++)
		;
	assert_true(n >= 1);
	assert_int_equal(kk_store_schema_version(f->st), kk_migrations[n - 1].version);
	assert_int_equal(kk_store_check(f->st, &err), 0);
	applied = raw_count(f, "SELECT applied_at FROM schema_version WHERE version = 1");
	assert_int_equal(applied, T0);

	kk_store_close(f->st);
	kk_clock_set(T0 + 100);
	assert_int_equal(kk_store_open(&f->st, f->path, &err), 0);
	assert_int_equal(kk_store_schema_version(f->st), kk_migrations[n - 1].version);
	assert_int_equal(raw_count(f, "SELECT count(*) FROM schema_version"), n);
	assert_int_equal(raw_count(f, "SELECT applied_at FROM schema_version WHERE "
	    "version = 1"), T0);
	/* The data survived, the journal is WAL and foreign keys are enforced. */
	assert_int_equal(raw_count(f, "SELECT count(*) FROM accounts"), 2);
	assert_int_equal(raw_count(f, "SELECT journal_mode = 'wal' FROM "
	    "pragma_journal_mode"), 1);
	assert_int_equal(kk_store_org_update(f->st, &(kk_org){ .id = 1, .name = "x" }, &err),
	    -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);

	/* A database from a newer kakuin is refused rather than written to. */
	kk_store_close(f->st);
	f->st = NULL;
	raw_exec(f, "INSERT INTO schema_version VALUES (999, '999_future.sql', 0)");
	assert_int_equal(kk_store_open(&f->st, f->path, &err), -1);
	assert_null(f->st);
	assert_non_null(strstr(err.detail, "newer"));

	/* A path that cannot be created fails cleanly. */
	assert_int_equal(kk_store_open(&bad, "/nonexistent-dir/x/kakuin.db", &err), -1);
	assert_null(bad);
	assert_int_equal(err.kind, KK_ERR_INTERNAL);
}

static void
test_org(void **state)
{
	fixture *f = *state;
	kk_org o, d = { .name = (char *)"Example KK", .locality = (char *)"Minato-ku",
	    .state = (char *)"Tokyo" };
	kk_err err;

	memset(&o, 0, sizeof(o));
	assert_int_equal(kk_store_org_get(f->st, 1, &o, &err), -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);
	assert_int_equal(kk_store_org_ensure_default(f->st, &d, &err), 0);
	d.name = (char *)"Other";
	assert_int_equal(kk_store_org_ensure_default(f->st, &d, &err), 0);
	assert_int_equal(kk_store_org_get(f->st, 1, &o, &err), 0);
	assert_int_equal(o.id, 1);
	assert_string_equal(o.name, "Example KK");
	assert_null(o.unit);
	assert_string_equal(o.locality, "Minato-ku");
	assert_string_equal(o.state, "Tokyo");
	kk_org_clear(&o);
	kk_org_clear(&o); /* zeroed struct */

	assert_int_equal(kk_store_org_update(f->st, &(kk_org){ .id = 1, .unit = "Web" }, &err),
	    0);
	assert_int_equal(kk_store_org_get(f->st, 1, &o, &err), 0);
	assert_string_equal(o.name, "Example KK");
	assert_string_equal(o.unit, "Web");
	kk_org_clear(&o);
	assert_int_equal(kk_store_org_update(f->st, &(kk_org){ .id = 9, .unit = "x" }, &err),
	    -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);
	assert_int_equal(kk_store_org_ensure_default(f->st, &(kk_org){ 0 }, &err), -1);
	assert_int_equal(err.kind, KK_ERR_MALFORMED);
}

static void
test_account(void **state)
{
	fixture *f = *state;
	kk_account a, b;
	kk_err err;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_true(f->acct > 0 && f->other > f->acct);
	assert_int_equal(kk_store_account_get(f->st, f->acct, &a, &err), 0);
	assert_string_equal(a.jwk, "{\"kty\":\"EC\"}");
	assert_string_equal(a.thumbprint, "thumb-a");
	assert_null(a.contact);
	assert_string_equal(a.status, "valid");
	assert_int_equal(a.org_id, 0);
	assert_int_equal(a.created, T0);
	kk_account_clear(&a);

	b.jwk = (char *)"{}";
	b.thumbprint = (char *)"thumb-a";
	assert_int_equal(kk_store_account_create(f->st, &b, &err), -1);
	assert_int_equal(err.kind, KK_ERR_CONFLICT);
	assert_int_equal(b.id, 0);
	b.thumbprint = (char *)"thumb-c";
	b.org_id = 42; /* no such organization */
	assert_int_equal(kk_store_account_create(f->st, &b, &err), -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);

	assert_int_equal(kk_store_account_update(f->st, f->acct, "[\"mailto:a@example.jp\"]",
	    NULL, &err), 0);
	assert_int_equal(kk_store_account_update(f->st, f->acct, NULL, "bogus", &err), -1);
	assert_int_equal(err.kind, KK_ERR_INTERNAL);
	assert_int_equal(kk_store_account_update(f->st, 999, NULL, "deactivated", &err), -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);

	assert_int_equal(kk_store_account_rekey(f->st, f->acct, "{\"k\":2}", "thumb-b", &err),
	    -1);
	assert_int_equal(err.kind, KK_ERR_CONFLICT);
	assert_int_equal(kk_store_account_rekey(f->st, f->acct, "{\"k\":2}", "thumb-new",
	    &err), 0);
	assert_int_equal(kk_store_account_by_thumbprint(f->st, "thumb-a", &a, &err), -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);
	assert_int_equal(kk_store_account_by_thumbprint(f->st, "thumb-new", &a, &err), 0);
	assert_int_equal(a.id, f->acct);
	assert_string_equal(a.jwk, "{\"k\":2}");
	assert_string_equal(a.contact, "[\"mailto:a@example.jp\"]");
	assert_string_equal(a.status, "valid");
	kk_account_clear(&a);
	assert_int_equal(kk_store_account_get(f->st, 12345, &a, &err), -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);
}

static void
test_order_create(void **state)
{
	fixture *f = *state;
	const char *names[] = { "b.example.jp", "a.example.jp" };
	kk_authz_spec specs[2];
	kk_order o, o2, got;
	kk_authz a;
	kk_err err;
	int64_t *ids = NULL;
	size_t n = 0;

	memset(&got, 0, sizeof(got));
	memset(&a, 0, sizeof(a));
	assert_int_equal(make_order(f->st, f->acct, names, 2, &o, &err), 0);
	assert_true(o.id > 0);
	assert_int_equal(o.created, T0);
	assert_string_equal(o.status, "pending");
	assert_int_equal(o.n_authz, 2);
	assert_int_equal(kk_store_order_get(f->st, o.id, &got, &err), 0);
	assert_int_equal(got.account_id, f->acct);
	assert_string_equal(got.status, "pending");
	assert_int_equal(got.expires, T0 + 7 * 86400);
	assert_int_equal(got.not_before, 0);
	assert_null(got.error);
	assert_null(got.cert_serial);
	assert_string_equal(got.identifiers, o.identifiers);
	assert_int_equal(got.n_authz, 2);
	assert_int_equal(got.authz_ids[0], o.authz_ids[0]);
	assert_int_equal(got.authz_ids[1], o.authz_ids[1]);
	kk_order_clear(&got);

	assert_int_equal(kk_store_authz_get(f->st, o.authz_ids[0], &a, &err), 0);
	assert_string_equal(a.id_value, "b.example.jp");
	assert_string_equal(a.id_type, "dns");
	assert_string_equal(a.status, "pending");
	assert_int_equal(a.account_id, f->acct);
	assert_int_equal(a.validated, 0);
	assert_int_equal(a.n_chall, 2);
	assert_string_equal(a.chall[0].type, "http-01");
	assert_string_equal(a.chall[1].type, "dns-01");
	assert_string_equal(a.chall[0].token, "tok");
	assert_string_equal(a.chall[0].status, "pending");
	assert_int_equal(a.chall[0].authz_id, a.id);
	assert_int_equal(a.chall[0].created, T0);
	kk_authz_clear(&a);

	/* Second order: an existing authorization first, then a new one; order kept. */
	memset(&o2, 0, sizeof(o2));
	o2.account_id = f->acct;
	o2.expires = T0 + 86400;
	o2.not_before = T0 + 60;
	o2.identifiers = (char *)"[]";
	memset(&specs[0], 0, sizeof(specs[0]));
	specs[0].existing_id = o.authz_ids[1];
	specs[1] = new_spec("c.example.jp", 1, "tok2");
	assert_int_equal(kk_store_order_create(f->st, &o2, specs, 2, &err), 0);
	assert_int_equal(kk_store_order_get(f->st, o2.id, &got, &err), 0);
	assert_int_equal(got.authz_ids[0], o.authz_ids[1]);
	assert_int_equal(got.authz_ids[1], o2.authz_ids[1]);
	assert_true(got.authz_ids[1] > o.authz_ids[1]);
	assert_int_equal(got.not_before, T0 + 60);
	kk_order_clear(&got);
	assert_int_equal(kk_store_authz_get(f->st, o2.authz_ids[1], &a, &err), 0);
	assert_int_equal(a.wildcard, 1);
	kk_authz_clear(&a);

	/* Another account's authorization is refused and nothing is left behind. */
	memset(&o2, 0, sizeof(o2));
	o2.account_id = f->other;
	o2.expires = T0 + 86400;
	o2.identifiers = (char *)"[]";
	specs[0] = new_spec("d.example.jp", 0, "tok3");
	memset(&specs[1], 0, sizeof(specs[1]));
	specs[1].existing_id = o.authz_ids[0];
	assert_int_equal(kk_store_order_create(f->st, &o2, specs, 2, &err), -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
	assert_int_equal(o2.id, 0);
	specs[1].existing_id = 99999;
	assert_int_equal(kk_store_order_create(f->st, &o2, specs, 2, &err), -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);
	assert_int_equal(raw_count(f, "SELECT count(*) FROM authorizations WHERE "
	    "id_value = 'd.example.jp'"), 0);
	assert_int_equal(kk_store_orders_by_account(f->st, f->other, &ids, &n, &err), 0);
	assert_int_equal(n, 0);
	free(ids);
	assert_int_equal(kk_store_order_create(f->st, &o2, specs, 0, &err), -1);
	assert_int_equal(err.kind, KK_ERR_MALFORMED);

	assert_int_equal(kk_store_orders_by_account(f->st, f->acct, &ids, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], o.id);
	assert_true(ids[1] > ids[0]);
	free(ids);
	assert_int_equal(kk_store_order_get(f->st, 4242, &got, &err), -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);
	assert_int_equal(kk_store_check(f->st, &err), 0);
}

static void
test_challenge_cas(void **state)
{
	fixture *f = *state;
	kk_order o;
	kk_authz a;
	kk_challenge c;
	kk_err err;
	int64_t *ids = NULL, cid, sibling;
	size_t n = 0;
	const char *names[] = { "www.example.jp" };

	memset(&a, 0, sizeof(a));
	memset(&c, 0, sizeof(c));
	assert_int_equal(make_order(f->st, f->acct, names, 1, &o, &err), 0);
	assert_int_equal(kk_store_authz_get(f->st, o.authz_ids[0], &a, &err), 0);
	cid = a.chall[0].id;
	sibling = a.chall[1].id;
	kk_authz_clear(&a);

	assert_int_equal(kk_store_challenge_start(f->st, cid, NULL, &err), 0);
	assert_int_equal(kk_store_challenge_start(f->st, cid, NULL, &err), -1);
	assert_int_equal(err.kind, KK_ERR_MALFORMED);
	assert_non_null(strstr(err.detail, "processing"));
	assert_int_equal(kk_store_challenge_start(f->st, sibling, NULL, &err), -1);
	assert_int_equal(err.kind, KK_ERR_MALFORMED);
	assert_int_equal(kk_store_challenge_start(f->st, 777, NULL, &err), -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);
	assert_int_equal(kk_store_challenge_get(f->st, cid, &c, &err), 0);
	assert_string_equal(c.status, "processing");
	kk_challenge_clear(&c);
	assert_int_equal(kk_store_challenges_processing(f->st, &ids, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], cid);
	free(ids);
	assert_int_equal(kk_store_authz_set_status(f->st, o.authz_ids[0], "deactivated", &err),
	    -1);
	assert_int_equal(err.kind, KK_ERR_MALFORMED);
	assert_int_equal(kk_store_check(f->st, &err), 0);

	/* a valid result moves the authz's expiry to the end of the reuse period */
	assert_int_equal(kk_store_challenge_finish(f->st, cid, 1, T0 + 5, T0 + 200 * 86400, &TEST_REC, NULL, &err), 0);
	assert_int_equal(kk_store_challenge_get(f->st, cid, &c, &err), 0);
	assert_string_equal(c.status, "valid");
	assert_int_equal(c.validated, T0 + 5);
	assert_null(c.error);
	kk_challenge_clear(&c);
	assert_int_equal(kk_store_authz_get(f->st, o.authz_ids[0], &a, &err), 0);
	assert_string_equal(a.status, "valid");
	assert_int_equal(a.validated, T0 + 5);
	assert_int_equal(a.expires, T0 + 200 * 86400);
	assert_string_equal(a.chall[1].status, "pending");
	kk_authz_clear(&a);
	assert_int_equal(kk_store_challenges_processing(f->st, &ids, &n, &err), 0);
	assert_int_equal(n, 0);
	free(ids);

	/* Finished: neither challenge may start again, the first may not finish again. */
	assert_int_equal(kk_store_challenge_start(f->st, sibling, NULL, &err), -1);
	assert_int_equal(err.kind, KK_ERR_MALFORMED);
	assert_non_null(strstr(err.detail, "authorization is valid"));
	assert_int_equal(kk_store_challenge_finish(f->st, cid, 0, T0, 0, NULL, "{}", &err), -1);
	assert_int_equal(err.kind, KK_ERR_MALFORMED);
	assert_int_equal(kk_store_check(f->st, &err), 0);
}

static void
test_challenge_invalid(void **state)
{
	fixture *f = *state;
	const char *names[] = { "bad.example.jp" };
	const char *problem = "{\"type\":\"urn:ietf:params:acme:error:connection\"}";
	kk_order o;
	kk_authz a;
	kk_err err;
	int64_t id, first;

	memset(&a, 0, sizeof(a));
	assert_int_equal(make_order(f->st, f->acct, names, 1, &o, &err), 0);
	assert_int_equal(kk_store_authz_get(f->st, o.authz_ids[0], &a, &err), 0);
	first = a.chall[0].id;
	id = a.chall[1].id;
	kk_authz_clear(&a);
	assert_int_equal(kk_store_challenge_finish(f->st, id, 1, T0, 0, &TEST_REC, NULL, &err), -1);
	assert_int_equal(err.kind, KK_ERR_MALFORMED); /* never started */
	assert_int_equal(kk_store_challenge_start(f->st, id, NULL, &err), 0);
	assert_int_equal(kk_store_challenge_finish(f->st, id, 0, T0 + 9, 0, NULL, problem, &err), 0);
	assert_int_equal(kk_store_authz_get(f->st, o.authz_ids[0], &a, &err), 0);
	assert_string_equal(a.status, "invalid");
	assert_int_equal(a.validated, 0);
	assert_string_equal(a.chall[1].status, "invalid");
	assert_string_equal(a.chall[1].error, problem);
	assert_string_equal(a.chall[0].status, "pending");
	kk_authz_clear(&a);
	assert_int_equal(kk_store_challenge_start(f->st, first, NULL, &err), -1);
	assert_int_equal(err.kind, KK_ERR_MALFORMED);
	assert_int_equal(kk_store_check(f->st, &err), 0);
}

static void
test_authz_reuse(void **state)
{
	fixture *f = *state;
	const char *names[] = { "reuse.example.jp" };
	kk_order o1, o2;
	kk_err err;
	int64_t id = 0;

	assert_int_equal(make_order(f->st, f->acct, names, 1, &o1, &err), 0);
	assert_int_equal(kk_store_authz_find_reusable(f->st, f->acct, names[0], 0, T0, 0, &id,
	    &err), -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND); /* pending is not reusable */
	validate(f->st, o1.authz_ids[0], T0 - 1000);
	assert_int_equal(kk_store_authz_find_reusable(f->st, f->acct, names[0], 0, T0,
	    T0 - 1000, &id, &err), 0);
	assert_int_equal(id, o1.authz_ids[0]);
	assert_int_equal(kk_store_authz_find_reusable(f->st, f->acct, names[0], 0, T0,
	    T0 - 999, &id, &err), -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);
	assert_int_equal(kk_store_authz_find_reusable(f->st, f->acct, names[0], 0,
	    T0 + 30 * 86400, 0, &id, &err), -1); /* expired */
	assert_int_equal(kk_store_authz_find_reusable(f->st, f->acct, names[0], 1, T0, 0, &id,
	    &err), -1); /* wildcard differs */
	assert_int_equal(kk_store_authz_find_reusable(f->st, f->other, names[0], 0, T0, 0, &id,
	    &err), -1); /* other account */
	assert_int_equal(kk_store_authz_find_reusable(f->st, f->acct, "other.example.jp", 0, T0,
	    0, &id, &err), -1);

	/* The newest validation wins. */
	assert_int_equal(make_order(f->st, f->acct, names, 1, &o2, &err), 0);
	validate(f->st, o2.authz_ids[0], T0 - 10);
	assert_int_equal(kk_store_authz_find_reusable(f->st, f->acct, names[0], 0, T0, 0, &id,
	    &err), 0);
	assert_int_equal(id, o2.authz_ids[0]);
	assert_int_equal(kk_store_authz_set_status(f->st, o2.authz_ids[0], "deactivated", &err),
	    0);
	assert_int_equal(kk_store_authz_find_reusable(f->st, f->acct, names[0], 0, T0, 0, &id,
	    &err), 0);
	assert_int_equal(id, o1.authz_ids[0]);
	assert_int_equal(kk_store_authz_set_status(f->st, 5555, "deactivated", &err), -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);
}

static void
test_finalize_cas(void **state)
{
	fixture *f = *state;
	kk_order o;
	kk_err err;
	unsigned char *got = NULL;
	size_t len = 0, n = 0;
	int64_t id = one_order(f, "fin.example.jp"), *ids = NULL;

	memset(&o, 0, sizeof(o));
	assert_int_equal(kk_store_order_csr(f->st, id, &got, &len, &err), -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);
	assert_int_equal(kk_store_order_begin_finalize(f->st, id, csr, 0, NULL, &err), -1);
	assert_int_equal(kk_store_order_begin_finalize(f->st, id, csr, sizeof(csr), NULL, &err), 0);
	assert_int_equal(kk_store_order_begin_finalize(f->st, id, csr, sizeof(csr), NULL, &err), -1);
	assert_int_equal(err.kind, KK_ERR_ORDER_NOT_READY);
	assert_non_null(strstr(err.detail, "processing"));
	assert_int_equal(kk_store_order_begin_finalize(f->st, 999, csr, sizeof(csr), NULL, &err), -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);
	assert_int_equal(kk_store_order_csr(f->st, id, &got, &len, &err), 0);
	assert_int_equal(len, sizeof(csr));
	assert_memory_equal(got, csr, sizeof(csr));
	free(got);
	assert_int_equal(kk_store_orders_processing(f->st, &ids, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], id);
	free(ids);

	assert_int_equal(kk_store_order_fail(f->st, id, "{\"type\":\"x\"}", &err), 0);
	assert_int_equal(kk_store_order_get(f->st, id, &o, &err), 0);
	assert_string_equal(o.status, "invalid");
	assert_string_equal(o.error, "{\"type\":\"x\"}");
	kk_order_clear(&o);
	assert_int_equal(kk_store_order_begin_finalize(f->st, id, csr, sizeof(csr), NULL, &err), -1);
	assert_int_equal(err.kind, KK_ERR_ORDER_NOT_READY);
	assert_int_equal(kk_store_orders_processing(f->st, &ids, &n, &err), 0);
	assert_int_equal(n, 0);
	free(ids);
	assert_int_equal(kk_store_order_fail(f->st, 999, NULL, &err), -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);
}

static void
test_serial_plan_issue(void **state)
{
	fixture *f = *state;
	int64_t id = one_order(f, "cert.example.jp"), id2 = one_order(f, "two.example.jp");
	const char *serial = "7f00aa01";
	kk_order o;
	kk_cert c;
	kk_err err;

	memset(&o, 0, sizeof(o));
	memset(&c, 0, sizeof(c));
	assert_int_equal(kk_store_order_begin_finalize(f->st, id, csr, sizeof(csr), NULL, &err), 0);
	assert_int_equal(kk_store_cert_by_order(f->st, id, &c, &err), -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);
	assert_int_equal(kk_store_serial_reserve(f->st, serial, id, f->acct, &err), 0);
	assert_int_equal(kk_store_serial_reserve(f->st, serial, id2, f->acct, &err), -1);
	assert_int_equal(err.kind, KK_ERR_CONFLICT);
	assert_int_equal(kk_store_serial_reserve(f->st, "01", 31337, f->acct, &err), -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);
	assert_int_equal(kk_store_serial_reserve(f->st, "7F00", id, f->acct, &err), -1);
	assert_int_equal(err.kind, KK_ERR_MALFORMED);
	assert_int_equal(kk_store_cert_by_order(f->st, id, &c, &err), 0);
	assert_string_equal(c.serial, serial);
	assert_string_equal(c.status, "reserved");
	assert_null(c.tbs);
	kk_cert_clear(&c);
	assert_int_equal(kk_store_cert_issue(f->st, serial, der, sizeof(der), &err), -1);
	assert_int_equal(err.kind, KK_ERR_CONFLICT); /* not planned yet */

	assert_int_equal(kk_store_cert_plan(f->st, serial, tbs_a, sizeof(tbs_a), T0, T0 + 100,
	    &err), 0);
	assert_int_equal(kk_store_cert_plan(f->st, serial, tbs_a, sizeof(tbs_a), T0, T0 + 100,
	    &err), 0);
	assert_int_equal(kk_store_cert_plan(f->st, serial, tbs_b, sizeof(tbs_b), T0, T0 + 100,
	    &err), -1);
	assert_int_equal(err.kind, KK_ERR_CONFLICT);
	assert_int_equal(kk_store_cert_plan(f->st, "0bad", tbs_a, sizeof(tbs_a), T0, T0, &err),
	    -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);
	assert_int_equal(kk_store_cert_by_order(f->st, id, &c, &err), 0);
	assert_string_equal(c.status, "planned");
	assert_int_equal(c.tbs_len, sizeof(tbs_a));
	assert_memory_equal(c.tbs, tbs_a, sizeof(tbs_a));
	assert_int_equal(c.not_after, T0 + 100);
	kk_cert_clear(&c);

	assert_int_equal(kk_store_cert_issue(f->st, serial, der, sizeof(der), &err), 0);
	assert_int_equal(kk_store_cert_issue(f->st, serial, der, sizeof(der), &err), 0);
	assert_int_equal(kk_store_cert_issue(f->st, serial, tbs_b, sizeof(tbs_b), &err), -1);
	assert_int_equal(err.kind, KK_ERR_CONFLICT);
	assert_int_equal(kk_store_cert_plan(f->st, serial, tbs_a, sizeof(tbs_a), T0, T0 + 100,
	    &err), -1);
	assert_int_equal(err.kind, KK_ERR_CONFLICT);
	assert_int_equal(kk_store_cert_get(f->st, serial, &c, &err), 0);
	assert_string_equal(c.status, "issued");
	assert_int_equal(c.order_id, id);
	assert_int_equal(c.account_id, f->acct);
	assert_int_equal(c.der_len, sizeof(der));
	assert_memory_equal(c.der, der, sizeof(der));
	assert_int_equal(c.created, T0);
	kk_cert_clear(&c);
	assert_int_equal(kk_store_cert_by_order(f->st, id, &c, &err), -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);

	assert_int_equal(kk_store_order_get(f->st, id, &o, &err), 0);
	assert_string_equal(o.status, "valid");
	assert_string_equal(o.cert_serial, serial);
	kk_order_clear(&o);
	assert_int_equal(kk_store_order_fail(f->st, id, "{}", &err), -1);
	assert_int_equal(err.kind, KK_ERR_MALFORMED);
	/* A serial is never reused, even after issuance. */
	assert_int_equal(kk_store_serial_reserve(f->st, serial, id2, f->acct, &err), -1);
	assert_int_equal(err.kind, KK_ERR_CONFLICT);
	assert_int_equal(kk_store_cert_get(f->st, "abcdef", &c, &err), -1);
	assert_int_equal(err.kind, KK_ERR_NOT_FOUND);
	assert_int_equal(kk_store_check(f->st, &err), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_org, setup, teardown),
		cmocka_unit_test_setup_teardown(test_account, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_challenge_cas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_challenge_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_authz_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finalize_cas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_serial_plan_issue, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
