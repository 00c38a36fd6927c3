/*
 * The store tests' fixture, shared by test_store.c and test_store_faults.c: a fresh
 * SQLite database per test with two accounts, and helpers that create orders, validate
 * and issue through the store API. Included by one test file each; static functions are
 * marked unused so each file may use any subset.
 */
#ifndef KK_STORE_FIXTURE_H
#define KK_STORE_FIXTURE_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "kk_test_sql.h"
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

static __attribute__((unused)) void
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

static __attribute__((unused)) int64_t
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

static __attribute__((unused)) int
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

static __attribute__((unused)) int
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
static __attribute__((unused)) void
raw_exec(fixture *f, const char *sql)
{
	char q[1024];

	snprintf(q, sizeof(q), "PRAGMA foreign_keys = OFF; PRAGMA ignore_check_constraints = ON; "
	    "%s", sql);
	kk_test_sql_exec(f->path, q);
}

static __attribute__((unused)) int64_t
raw_count(fixture *f, const char *sql)
{
	return kk_test_sql_int(f->path, sql);
}

static __attribute__((unused)) kk_authz_spec
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
static __attribute__((unused)) int
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

static __attribute__((unused)) int64_t
one_order(fixture *f, const char *name)
{
	const char *names[] = { name };
	kk_order o;
	kk_err err;

	assert_int_equal(make_order(f->st, f->acct, names, 1, &o, &err), 0);
	return o.id;
}

/* Validates authz with its first challenge at time when; returns the challenge id. */
static __attribute__((unused)) int64_t
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
static __attribute__((unused)) void
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

#endif
