/*
 * The RA test fixture shared by test_ra.c and test_ra_ov.c: a real SoftHSM token and
 * SQLite store in a temporary data directory, the scripted DNS server, two accounts and
 * helpers for orders and validations. Included by one test file each (static
 * functions, marked unused so each file may use any subset), after nothing else.
 */
#ifndef KK_RA_FIXTURE_H
#define KK_RA_FIXTURE_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>
#include "kakuin/clock.h"
#include "kakuin/util.h"
#include "../../src/ra_internal.h"
#include "kk_test_csr.h"
#include "va_fake_dns.h"

#define DAY 86400
#define ACCT1_URL "https://ca.test/acme/acct/1"

/* the validation record a successful test validation stores (BR 3.2.2.4) */
static const kk_valrec TEST_REC = { "3.2.2.4.19", "test", "http://test/", "insecure", 0 };

static char dir[] = "/tmp/kk_ra_XXXXXX";
static kk_ra_cfg cfg;
static kk_ra *ra;
static EVP_PKEY *key;
static time_t t0;
static kk_account acct1, acct2;
/* the OV tests' review service (closed by group_teardown) */
static kk_review *rv;

static __attribute__((unused)) void
make_account(const char *thumb, kk_account *out)
{
	int created = 0;
	kk_err e;

	assert_int_equal(kk_ra_new_account(ra, "{\"kty\":\"test\"}", thumb, NULL, 0, NULL, out, &created,
	    &e), 0);
	assert_int_equal(created, 1);
}

static __attribute__((unused)) int
group_setup(void **state)
{
	kk_err e;

	(void)state;
	unsetenv("KAKUIN_POLICY");
	if (mkdtemp(dir) == NULL || kk_policy_load(NULL, &cfg.policy, &e) != 0)
		return -1;
	kk_paths_init(&cfg.paths, dir);
	/* dev mode: accounts without EAB use the dev organization (test_ov_* turn it off) */
	cfg.policy.ov_dev_mode = 1;
	kk_time_parse("2026-12-01", &t0);
	kk_clock_set(t0);
	if (kk_ca_init(&cfg.paths, &cfg.policy, &e) != 0) {
		fprintf(stderr, "init: %s\n", e.detail);
		return -1;
	}
	/* the scripted DNS server: empty NOERROR answers (so no CAA records) unless a test
	 * installs a script */
	if (fake_dns_start(state) != 0)
		return -1;
	fake_dns_script(NULL, 0, 0);
	strcpy(cfg.va.resolver_host, "127.0.0.1");
	cfg.va.resolver_port = fake_dns_port;
	cfg.va.http01_port = 1;
	cfg.va.timeout_sec = 2;
	cfg.workers = 1;
	if (kk_ra_open(&ra, &cfg, &e) != 0) {
		fprintf(stderr, "ra: %s\n", e.detail);
		return -1;
	}
	kk_org def = {1, cfg.policy.dev_org_name, cfg.policy.dev_org_unit,
	    cfg.policy.dev_org_locality, cfg.policy.dev_org_state};
	if (kk_store_org_ensure_default(kk_ra_store(ra), &def, &e) != 0)
		return -1;
	key = EVP_RSA_gen(2048);
	return key == NULL ? -1 : 0;
}

static __attribute__((unused)) int
group_teardown(void **state)
{
	char cmd[600];

	kk_review_close(rv);
	kk_ra_close(ra);
	fake_dns_stop(state);
	kk_account_clear(&acct1);
	kk_account_clear(&acct2);
	EVP_PKEY_free(key);
	kk_clock_set(0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Closes and reopens the RA, as a restart after kill -9 would. */
static __attribute__((unused)) void
restart(void)
{
	kk_err e;

	kk_ra_close(ra);
	ra = NULL;
	if (kk_ra_open(&ra, &cfg, &e) != 0)
		fail_msg("reopen: %s", e.detail);
}

/* DER CSR with dNSName SANs for names, signed with key. Caller frees. */
static __attribute__((unused)) unsigned char *
make_csr(const char *const *names, size_t n, size_t *len)
{
	int l;
	unsigned char *der = kk_test_csr_der(key, NULL, names, n, &l);

	*len = (size_t)l;
	return der;
}

static __attribute__((unused)) void
new_order(const kk_account *a, const char *json, kk_order *o)
{
	json_t *p = json_loads(json, 0, NULL);
	kk_err e;

	assert_non_null(p);
	if (kk_ra_new_order(ra, a, p, o, &e) != 0)
		fail_msg("newOrder: %s", e.detail);
	json_decref(p);
}

/* What a successful worker records for the authorization's first challenge, without
 * the network; rec says whether the method covers the names beneath. */
static __attribute__((unused)) void
validate_rec(int64_t authz_id, const kk_valrec *rec)
{
	kk_authz a;
	kk_err e;
	time_t now = kk_now();

	assert_int_equal(kk_store_authz_get(kk_ra_store(ra), authz_id, &a, &e), 0);
	assert_int_equal(kk_store_challenge_start(kk_ra_store(ra), a.chall[0].id, NULL, &e), 0);
	assert_int_equal(kk_store_challenge_finish(kk_ra_store(ra), a.chall[0].id, 1, now,
	    now + (time_t)kk_schedule_days(&cfg.policy.authz_reuse, now) * DAY, rec, NULL, &e), 0);
	kk_authz_clear(&a);
}

static __attribute__((unused)) void
validate_ok(int64_t authz_id)
{
	validate_rec(authz_id, &TEST_REC);
}

/* A ready order of acct1 for name (its authorization validated) with a CSR for it
 * (caller frees *csr). */
static __attribute__((unused)) void
ready_order(const char *name, kk_order *o, unsigned char **csr, size_t *len)
{
	char json[200];

	snprintf(json, sizeof(json), "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"%s\"}]}",
	    name);
	new_order(&acct1, json, o);
	validate_ok(o->authz_ids[0]);
	*csr = make_csr((const char *[]){ name }, 1, len);
}

static __attribute__((unused)) void
expect_status(const kk_account *a, int64_t id, const char *status)
{
	kk_order o;
	kk_err e;

	assert_int_equal(kk_ra_order(ra, a, id, &o, &e), 0);
	assert_string_equal(o.status, status);
	kk_order_clear(&o);
}

/* Polls until the authorization leaves pending (the worker thread decides it). */
static __attribute__((unused)) void
wait_authz(int64_t id, kk_authz *a)
{
	int i;
	kk_err e;

	for (i = 0; i < 200; i++) {
		assert_int_equal(kk_ra_authz(ra, &acct1, id, a, &e), 0);
		if (strcmp(a->status, "pending") != 0)
			return;
		kk_authz_clear(a);
		usleep(50000);
	}
	fail_msg("authorization %lld stayed pending", (long long)id);
}

/* The index of the challenge of type in a, which must have one. */
static __attribute__((unused)) size_t
chall_of(const kk_authz *a, const char *type)
{
	size_t i;

	for (i = 0; i < a->n_chall; i++)
		if (strcmp(a->chall[i].type, type) == 0)
			return i;
	fail_msg("no %s challenge", type);
	return 0;
}

#endif
