/*
 * The OV vetting tests' fixture, shared by test_review.c and test_review_tasks.c: one
 * store with reviewers (scrypt is slow: they are made once per group), helpers that
 * bring organizations into a state. Included by one test file each; static functions
 * are marked unused so each file may use any subset.
 */
#ifndef KK_REVIEW_FIXTURE_H
#define KK_REVIEW_FIXTURE_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "kk_test_sql.h"
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

static __attribute__((unused)) int64_t
add_user(const char *name, kk_role role)
{
	int64_t id = 0;
	kk_err err;

	assert_int_equal(kk_review_user_add(F->rv, 0, name, role, PW, &id, &err), 0);
	assert_true(id > 0);
	return id;
}

static __attribute__((unused)) int
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

static __attribute__((unused)) int
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

static __attribute__((unused)) int
test_teardown(void **state)
{
	(void)state;
	kk_clock_set(T0);
	return 0;
}

static __attribute__((unused)) int64_t
raw_count(const char *sql)
{
	return kk_test_sql_int(F->path, sql);
}

static __attribute__((unused)) void
raw_exec(const char *sql)
{
	kk_test_sql_exec(F->path, sql);
}

static __attribute__((unused)) kk_orgrec
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

static __attribute__((unused)) int64_t
new_org(const char *name)
{
	kk_orgrec o = org_in(name);
	int64_t id = 0;
	kk_err err;

	assert_int_equal(kk_review_org_create(F->rv, F->alice, &o, &id, &err), 0);
	return id;
}

static __attribute__((unused)) int64_t
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

static __attribute__((unused)) kk_orgrec
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
static __attribute__((unused)) int64_t
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

static __attribute__((unused)) void
test_store_check(void **state)
{
	kk_err err;

	(void)state;
	assert_int_equal(kk_store_check(F->st, &err), 0);
}

#endif
