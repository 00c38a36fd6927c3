/* Unit tests for the SQLite store (include/kakuin/store.h) under faults: deliberate
 * corruptions caught by kk_store_check, allocation failures with rollback, migration
 * under allocation failure, concurrent writers (fixture: store_fixture.h). */
#include "store_fixture.h"

/* Each corruption breaks one invariant that kk_store_check must name. */
static const struct {
	const char *sql;
	const char *expect;
} corruptions[] = {
	{ "UPDATE orders SET status = 'valid', cert_serial = NULL WHERE id = 2",
	  "CHECK constraint failed in orders" },
	{ "UPDATE orders SET status = 'valid', cert_serial = '0b0b' WHERE id = 2",
	  "valid order without" },
	{ "UPDATE certificates SET der = NULL WHERE serial = '0a0a'",
	  "CHECK constraint failed in certificates" },
	{ "UPDATE certificates SET der = x'' WHERE serial = '0a0a'", "without DER" },
	{ "UPDATE certificates SET tbs = x'' WHERE serial = '0b0b'", "without TBS" },
	{ "UPDATE challenges SET status = 'processing' WHERE status = 'pending' AND "
	  "authz_id = 1", "processing challenge" },
	{ "UPDATE challenges SET status = 'invalid' WHERE authz_id = 1", "valid authorization" },
	{ "INSERT INTO order_authorizations VALUES (2, 5, 4242)", "foreign key" },
	{ "DELETE FROM order_authorizations WHERE order_id = 2", "order without authorizations" },
	{ "UPDATE certificates SET account_id = 2 WHERE serial = '0b0b'", "certificate account" },
};

static void
test_check_corruption(void **state)
{
	fixture *f = *state;
	kk_err err;
	size_t i;
	int64_t id1, id2;

	for (i = 0; i < sizeof(corruptions) / sizeof(corruptions[0]); i++) {
		if (i > 0) {
			teardown(state);
			setup(state);
			f = *state;
		}
		id1 = one_order(f, "one.example.jp");
		id2 = one_order(f, "two.example.jp");
		assert_int_equal(id1, 1);
		assert_int_equal(id2, 2);
		issue(f, id1, "0a0a");
		assert_int_equal(kk_store_order_begin_finalize(f->st, id2, csr, sizeof(csr), NULL,
		    &err), 0);
		assert_int_equal(kk_store_serial_reserve(f->st, "0b0b", id2, f->acct, &err), 0);
		assert_int_equal(kk_store_cert_plan(f->st, "0b0b", tbs_b, sizeof(tbs_b), T0, T0,
		    &err), 0);
		assert_int_equal(kk_store_check(f->st, &err), 0);
		raw_exec(f, corruptions[i].sql);
		assert_int_equal(kk_store_check(f->st, &err), -1);
		assert_int_equal(err.kind, KK_ERR_INTERNAL);
		if (strstr(err.detail, corruptions[i].expect) == NULL)
			fail_msg("corruption %zu: \"%s\" does not mention \"%s\"", i, err.detail,
			    corruptions[i].expect);
	}
}

/* One full lifecycle; stops at the first failure and returns it. */
static int
lifecycle(fixture *f, int round, kk_err *err)
{
	char name[64], serial[16];
	kk_authz_spec spec;
	kk_order o, got;
	kk_authz a;
	kk_cert c;
	int rc = -1;

	memset(&o, 0, sizeof(o));
	memset(&got, 0, sizeof(got));
	memset(&a, 0, sizeof(a));
	memset(&c, 0, sizeof(c));
	snprintf(name, sizeof(name), "n%d.example.jp", round);
	snprintf(serial, sizeof(serial), "5e%04x", (unsigned)round);
	spec = new_spec(name, 0, "tok");
	o.account_id = f->acct;
	o.expires = T0 + 3600;
	o.identifiers = name;
	if (kk_store_order_create(f->st, &o, &spec, 1, err) != 0 ||
	    kk_store_order_get(f->st, o.id, &got, err) != 0 ||
	    kk_store_authz_get(f->st, got.authz_ids[0], &a, err) != 0 ||
	    kk_store_challenge_start(f->st, a.chall[0].id, NULL, err) != 0 ||
	    kk_store_challenge_finish(f->st, a.chall[0].id, 1, T0, 0, &TEST_REC, NULL, err) != 0 ||
	    kk_store_order_begin_finalize(f->st, o.id, csr, sizeof(csr), NULL, err) != 0 ||
	    kk_store_serial_reserve(f->st, serial, o.id, f->acct, err) != 0 ||
	    kk_store_cert_plan(f->st, serial, tbs_a, sizeof(tbs_a), T0, T0, err) != 0 ||
	    kk_store_cert_issue(f->st, serial, der, sizeof(der), err) != 0 ||
	    kk_store_cert_get(f->st, serial, &c, err) != 0)
		goto out;
	rc = 0;
out:
	kk_order_clear(&got);
	kk_authz_clear(&a);
	kk_cert_clear(&c);
	return rc;
}

/*
 * Fails the Nth allocation (kk_malloc and, through the seam, SQLite's own) for every N
 * until a lifecycle completes: each call must fail with a clean error, and the
 * database must stay consistent after every failure. Orders left half-way are failed
 * so the next round starts clean. Every failure point up to 128, then a growing stride
 * (kk_store_check's cost grows with the database).
 */
static void
test_alloc_failure(void **state)
{
	fixture *f = *state;
	int64_t *ids = NULL;
	size_t n = 0, i;
	kk_err err;
	long fail;
	int done = 0, failures = 0;

	for (fail = 0; fail < 20000 && !done; fail += 1 + fail / 128) {
		kk_err_clear(&err);
		kk_alloc_fail_after(fail);
		done = lifecycle(f, (int)fail, &err) == 0;
		kk_alloc_fail_after(-1);
		if (!done) {
			failures++;
			assert_int_not_equal(err.kind, KK_OK);
		}
		if (kk_store_check(f->st, &err) != 0)
			fail_msg("after failing allocation %ld: %s", fail, err.detail);
		assert_int_equal(kk_store_orders_processing(f->st, &ids, &n, &err), 0);
		for (i = 0; i < n; i++)
			assert_int_equal(kk_store_order_fail(f->st, ids[i], "{}", &err), 0);
		free(ids);
	}
	assert_true(done);
	assert_true(failures > 10);
	print_message("lifecycle completed after %d injected failures\n", failures);
	/* A failed order_create leaves no rows behind: every order has its authz. */
	assert_int_equal(raw_count(f, "SELECT count(*) FROM authorizations a WHERE NOT EXISTS "
	    "(SELECT 1 FROM order_authorizations l WHERE l.authz_id = a.id)"), 0);
}

/* The highest version among the embedded migrations. */
static int
latest_migration(void)
{
	int i, v = 0;

	for (i = 0; kk_migrations[i].version != 0; i++)
		if (kk_migrations[i].version > v)
			v = kk_migrations[i].version;
	return v;
}

/* Opening (and migrating) under allocation failure never leaves a half-migrated
 * database: a later open completes it. Every failure point early on, then a growing
 * stride (each round creates a fresh database, which is slow). */
static void
test_open_alloc_failure(void **state)
{
	fixture *f = *state;
	kk_store *st = NULL;
	kk_err err;
	long fail;
	int rc = -1;

	kk_store_close(f->st);
	f->st = NULL;
	for (fail = 0; fail < 400000 && rc != 0; fail += 1 + fail / 64) {
		remove_db(f);
		assert_non_null(mkdtemp(strcpy(f->dir, "/tmp/kk_store_XXXXXX")));
		snprintf(f->path, sizeof(f->path), "%s/kakuin.db", f->dir);
		kk_alloc_fail_after(fail);
		rc = kk_store_open(&st, f->path, &err);
		kk_alloc_fail_after(-1);
		if (rc != 0) {
			assert_null(st);
			assert_int_equal(kk_store_open(&st, f->path, &err), 0);
		}
		assert_int_equal(kk_store_schema_version(st), latest_migration());
		assert_int_equal(kk_store_check(st, &err), 0);
		kk_store_close(st);
		st = NULL;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(kk_store_open(&f->st, f->path, &err), 0);
}

#define THREADS 4
#define PER_THREAD 10

static void *
worker(void *arg)
{
	fixture *f = arg;
	char *thumb = NULL;
	int i, ok = 1;

	for (i = 0; i < PER_THREAD && ok; i++) {
		if ((thumb = kk_random_token(16)) == NULL)
			return (void *)1;
		ok = make_account(f->st, thumb) > 0 && one_order(f, "mt.example.jp") > 0;
		free(thumb);
	}
	return ok ? NULL : (void *)1;
}

static void
test_threads(void **state)
{
	fixture *f = *state;
	pthread_t t[THREADS];
	void *res;
	kk_err err;
	int i;

	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker, f), 0);
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], &res), 0);
		assert_null(res);
	}
	assert_int_equal(raw_count(f, "SELECT count(*) FROM accounts"), 2 + THREADS * PER_THREAD);
	assert_int_equal(raw_count(f, "SELECT count(*) FROM orders"), THREADS * PER_THREAD);
	assert_int_equal(kk_store_check(f->st, &err), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_check_corruption, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_alloc_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
