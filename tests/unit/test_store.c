/* Unit tests for the SQLite store (include/kakuin/store.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kakuin/clock.h"
#include "kakuin/store.h"
#include "kakuin/util.h"

#define T0 1750000000 /* 2025-06-15 */

typedef struct fixture {
	char dir[64];
	char path[96];
	kk_store *st;
	int64_t acct;  /* account "thumb-a" */
	int64_t other; /* account "thumb-b" */
} fixture;

/* the validation record a successful test validation stores (BR 3.2.2.4) */
static const kk_valrec TEST_REC = { "3.2.2.4.19", "test", "http://test/", "insecure", 0 };

static void
remove_db(fixture *f)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char p[128];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, suffix[i]);
		unlink(p);
	}
	rmdir(f->dir);
}

static int64_t
make_account(kk_store *st, const char *thumb)
{
	kk_account a;
	kk_err err;

	memset(&a, 0, sizeof(a));
	a.jwk = (char *)"{\"kty\":\"EC\"}";
	a.thumbprint = (char *)thumb;
	assert_int_equal(kk_store_account_create(st, &a, &err), 0);
	return a.id;
}

static int
setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	kk_err err;

	assert_non_null(f);
	kk_clock_set(T0);
	snprintf(f->dir, sizeof(f->dir), "/tmp/kk_store_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/kakuin.db", f->dir);
	assert_int_equal(kk_store_open(&f->st, f->path, &err), 0);
	f->acct = make_account(f->st, "thumb-a");
	f->other = make_account(f->st, "thumb-b");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture *f = *state;

	kk_alloc_fail_after(-1);
	kk_store_close(f->st);
	remove_db(f);
	free(f);
	kk_clock_set(0);
	return 0;
}

/* Runs SQL on the database behind the store's back, with the safety nets off, to
 * simulate corruption or to count rows. */
static void
raw_exec(fixture *f, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA foreign_keys = OFF; "
	    "PRAGMA ignore_check_constraints = ON", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static int64_t
raw_count(fixture *f, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t n;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

static kk_authz_spec
new_spec(const char *value, int wildcard, const char *token)
{
	kk_authz_spec s;

	memset(&s, 0, sizeof(s));
	s.value = value;
	s.wildcard = wildcard;
	s.expires = T0 + 30 * 86400;
	s.chall_types[0] = "http-01";
	s.chall_tokens[0] = token;
	s.chall_types[1] = "dns-01";
	s.chall_tokens[1] = token;
	s.n_chall = 2;
	return s;
}

/* Creates an order for acct with new authorizations for names. o's strings are
 * borrowed literals: never kk_order_clear it. */
static int
make_order(kk_store *st, int64_t acct, const char *const *names, size_t n, kk_order *o,
    kk_err *err)
{
	kk_authz_spec specs[4];
	size_t i;

	memset(o, 0, sizeof(*o));
	o->account_id = acct;
	o->expires = T0 + 7 * 86400;
	o->identifiers = (char *)"[{\"type\":\"dns\",\"value\":\"x\"}]";
	for (i = 0; i < n; i++)
		specs[i] = new_spec(names[i], 0, "tok");
	return kk_store_order_create(st, o, specs, n, err);
}

static int64_t
one_order(fixture *f, const char *name)
{
	const char *names[] = { name };
	kk_order o;
	kk_err err;

	assert_int_equal(make_order(f->st, f->acct, names, 1, &o, &err), 0);
	return o.id;
}

/* Validates authz with its first challenge at time when; returns the challenge id. */
static int64_t
validate(kk_store *st, int64_t authz_id, time_t when)
{
	kk_authz a;
	kk_err err;
	int64_t cid;

	memset(&a, 0, sizeof(a));
	assert_int_equal(kk_store_authz_get(st, authz_id, &a, &err), 0);
	cid = a.chall[0].id;
	kk_authz_clear(&a);
	assert_int_equal(kk_store_challenge_start(st, cid, NULL, &err), 0);
	assert_int_equal(kk_store_challenge_finish(st, cid, 1, when, 0, &TEST_REC, NULL, &err), 0);
	return cid;
}

static const unsigned char csr[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
static const unsigned char tbs_a[] = { 0x30, 0x01, 0xaa };
static const unsigned char tbs_b[] = { 0x30, 0x01, 0xbb };
static const unsigned char der[] = { 0x30, 0x02, 0xcc, 0xdd };

/* Runs an order through validation and issuance with serial. */
static void
issue(fixture *f, int64_t order_id, const char *serial)
{
	kk_order o;
	kk_err err;
	size_t i;

	memset(&o, 0, sizeof(o));
	assert_int_equal(kk_store_order_get(f->st, order_id, &o, &err), 0);
	for (i = 0; i < o.n_authz; i++)
		validate(f->st, o.authz_ids[i], T0);
	assert_int_equal(kk_store_order_begin_finalize(f->st, order_id, csr, sizeof(csr), NULL,
	    &err), 0);
	assert_int_equal(kk_store_serial_reserve(f->st, serial, order_id, o.account_id, &err),
	    0);
	assert_int_equal(kk_store_cert_plan(f->st, serial, tbs_a, sizeof(tbs_a), T0,
	    T0 + 86400, &err), 0);
	assert_int_equal(kk_store_cert_issue(f->st, serial, der, sizeof(der), &err), 0);
	kk_order_clear(&o);
}

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
		cmocka_unit_test_setup_teardown(test_open_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_org, setup, teardown),
		cmocka_unit_test_setup_teardown(test_account, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_challenge_cas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_challenge_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_authz_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finalize_cas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_serial_plan_issue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_corruption, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_alloc_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
