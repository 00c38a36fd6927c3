/*
 * Issuance with Certificate Transparency through the RA (src/ra_issue.c, src/ra_ct.c)
 * against two RFC 6962 test logs of two operators (tests/ct/ct_test_log.py): the
 * precertificate, the SCTs and the final certificate; a log down (the order waits and
 * a restart resumes without a second precertificate); a log down past
 * ct.max_wait_seconds (the order fails, the serial stays assigned); and a lint refusal
 * (BR 4.3.1.2: nothing planned or signed, an audit_log row).
 */
#include "ra_fixture.h"
#include "ct_log_fixture.h"
#include "kk_test_sql.h"
#include "kakuin/ct.h"
#include "kakuin/store_revoke.h"
#include "../../src/ca_internal.h"

static char logdir[] = "/tmp/kk_ra_ct_XXXXXX";
static test_log logs[2];
static char db[700];

static int
setup(void **state)
{
	kk_ct_policy *ct = &cfg.policy.ct;

	if (group_setup(state) != 0 || mkdtemp(logdir) == NULL ||
	    ct_log_start(&logs[0], logdir, "a") != 0 || ct_log_start(&logs[1], logdir, "b") != 0)
		return -1;
	/* the fixture runs in dev mode: CT on there, as a production policy has it */
	memset(ct, 0, sizeof(*ct));
	ct->dev_enabled = 1;
	ct->min_scts = 2;
	ct->min_operators = 2;
	ct->timeout_seconds = 3;
	ct->wait = 1;
	ct->max_wait_seconds = 60;
	ct_pol_add(ct, &logs[0], logs[0].port, "Test A", "Operator A", 0, 0);
	ct_pol_add(ct, &logs[1], logs[1].port, "Test B", "Operator B", 0, 0);
	snprintf(db, sizeof(db), "%s/kakuin.db", dir);
	restart();
	make_account("ct-thumb-1", &acct1);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[100];

	ct_log_stop(&logs[0]);
	ct_log_stop(&logs[1]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", logdir);
	if (system(cmd) != 0)
		return -1;
	return group_teardown(state);
}

/* The order's certificate row (it must have one). */
static void
order_cert(int64_t order_id, kk_cert *c)
{
	kk_err e;

	if (kk_store_cert_by_order(kk_ra_store(ra), order_id, c, &e) == 0)
		return;
	/* issued rows are no longer "by order": find the serial through the order */
	{
		kk_order o;

		assert_int_equal(kk_ra_order(ra, &acct1, order_id, &o, &e), 0);
		assert_non_null(o.cert_serial);
		assert_int_equal(kk_store_cert_get(kk_ra_store(ra), o.cert_serial, c, &e), 0);
		kk_order_clear(&o);
	}
}

/* Submissions log l accepted for serial (its record file). */
static int
accepted(const test_log *l, const char *serial)
{
	char line[1024], want[80];
	FILE *f = fopen(l->record, "r");
	const char *s = serial;
	int n = 0;

	while (*s == '0')
		s++;
	snprintf(want, sizeof(want), "\"serial\": \"%s\", \"ok\": true", s);
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, want) != NULL;
	if (f != NULL)
		fclose(f);
	return n;
}

static X509 *
der_x509(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);

	assert_non_null(x);
	return x;
}

/* The final certificate: SCT list instead of the poison, both SCTs verify (the RA's own
 * check and kk_ct_verify_cert here), same serial and TBS otherwise as the
 * precertificate. */
static void
check_final(const kk_cert *c)
{
	X509 *fin = der_x509(c->der, c->der_len), *pre = der_x509(c->precert_der,
	    c->precert_der_len);
	int nv = 0, nop = 0, at;
	kk_err e;

	assert_true(X509_get_ext_by_NID(fin, NID_ct_precert_poison, -1) < 0);
	assert_true((at = X509_get_ext_by_NID(fin, NID_ct_precert_scts, -1)) >= 0);
	assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(fin, at)), 0);
	assert_true((at = X509_get_ext_by_NID(pre, NID_ct_precert_poison, -1)) >= 0);
	assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(pre, at)), 1);
	assert_int_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(fin),
	    X509_get0_serialNumber(pre)), 0);
	/* the issuing CA signed both (BR SC-092) */
	assert_int_equal(X509_verify(pre, X509_get0_pubkey(kk_ca_issuing_cert(kk_ra_ca(ra)))),
	    1);
	assert_int_equal(X509_verify(fin, X509_get0_pubkey(kk_ca_issuing_cert(kk_ra_ca(ra)))),
	    1);
	if (kk_ct_verify_cert(&cfg.policy.ct, fin, kk_ca_issuing_cert(kk_ra_ca(ra)), &nv, &nop,
	    &e) != 0)
		fail_msg("SCTs: %s", e.detail);
	assert_int_equal(nv, 2);
	assert_int_equal(nop, 2);
	X509_free(fin);
	X509_free(pre);
}

static void
test_ct_issue(void **state)
{
	kk_order o;
	kk_cert c;
	unsigned char *csr;
	size_t len;
	kk_err e;

	(void)state;
	ready_order("ct.example.jp", &o, &csr, &len);
	if (kk_ra_finalize(ra, &acct1, ACCT1_URL, o.id, csr, len, &e) != 0)
		fail_msg("finalize: %s", e.detail);
	expect_status(&acct1, o.id, "valid");
	order_cert(o.id, &c);
	assert_string_equal(c.status, "issued");
	assert_non_null(c.precert_tbs);
	assert_non_null(c.scts);
	check_final(&c);
	assert_int_equal(accepted(&logs[0], c.serial), 1);
	assert_int_equal(accepted(&logs[1], c.serial), 1);
	assert_int_equal(kk_store_check(kk_ra_store(ra), &e), 0);
	kk_cert_clear(&c);
	kk_order_clear(&o);
	free(csr);
}

/* Log B down: the order waits with its precertificate signed; a restart resumes it
 * without a second precertificate; once B is back (and the retry interval passed) the
 * certificate is issued under the same serial. */
static void
test_ct_wait_and_resume(void **state)
{
	kk_order o;
	kk_cert c, c2;
	unsigned char *csr;
	size_t len;
	kk_certrev rs;
	kk_err e;

	(void)state;
	ct_log_mode(&logs[1], "down");
	ready_order("wait.example.jp", &o, &csr, &len);
	assert_int_equal(kk_ra_finalize(ra, &acct1, ACCT1_URL, o.id, csr, len, &e), 0);
	expect_status(&acct1, o.id, "processing");
	order_cert(o.id, &c);
	assert_string_equal(c.status, "reserved");
	assert_non_null(c.precert_der);
	assert_null(c.scts);
	assert_null(c.tbs);
	assert_true(c.ct_tried != 0);
	/* the serial is assigned: OCSP answers for it (BR 4.9.10) */
	assert_int_equal(kk_store_cert_revstate(kk_ra_store(ra), c.serial, &rs, &e), 0);
	assert_string_equal(rs.status, "precert");
	/* a restart (as after kill -9) within the retry interval leaves it waiting */
	restart();
	expect_status(&acct1, o.id, "processing");
	ct_log_mode(&logs[1], "ok");
	kk_clock_set(kk_now() + cfg.policy.retry_after_seconds);
	assert_int_equal(kk_ra_issue(ra, o.id, NULL, &e), 0);
	expect_status(&acct1, o.id, "valid");
	order_cert(o.id, &c2);
	assert_string_equal(c2.serial, c.serial);
	assert_int_equal(c2.precert_der_len, c.precert_der_len);
	assert_memory_equal(c2.precert_der, c.precert_der, c.precert_der_len);
	check_final(&c2);
	/* A answered both attempts (its first SCT was not kept: too few), B the second */
	assert_int_equal(accepted(&logs[0], c.serial), 2);
	assert_int_equal(accepted(&logs[1], c.serial), 1);
	assert_int_equal(kk_store_check(kk_ra_store(ra), &e), 0);
	kk_cert_clear(&c);
	kk_cert_clear(&c2);
	kk_order_clear(&o);
	free(csr);
}

/* Past ct.max_wait_seconds the order fails with the logs' reasons; the precertificate's
 * serial stays assigned. */
static void
test_ct_gives_up(void **state)
{
	kk_order o;
	kk_cert c;
	unsigned char *csr;
	size_t len;
	kk_certrev rs;
	kk_err e;

	(void)state;
	ct_log_mode(&logs[1], "down");
	ready_order("giveup.example.jp", &o, &csr, &len);
	assert_int_equal(kk_ra_finalize(ra, &acct1, ACCT1_URL, o.id, csr, len, &e), 0);
	order_cert(o.id, &c);
	kk_clock_set(kk_now() + cfg.policy.ct.max_wait_seconds + 1);
	assert_int_equal(kk_ra_issue(ra, o.id, NULL, &e), -1);
	assert_int_equal(e.kind, KK_ERR_INTERNAL);
	assert_non_null(strstr(e.detail, "CT: 1 of 2 required SCTs"));
	assert_non_null(strstr(e.detail, "Test B"));
	{
		kk_order f;

		assert_int_equal(kk_ra_order(ra, &acct1, o.id, &f, &e), 0);
		assert_string_equal(f.status, "invalid");
		assert_non_null(strstr(f.error, "serverInternal"));
		assert_non_null(strstr(f.error, "Test B"));
		kk_order_clear(&f);
	}
	assert_int_equal(kk_store_cert_revstate(kk_ra_store(ra), c.serial, &rs, &e), 0);
	assert_string_equal(rs.status, "precert");
	ct_log_mode(&logs[1], "ok");
	assert_int_equal(kk_store_check(kk_ra_store(ra), &e), 0);
	kk_cert_clear(&c);
	kk_order_clear(&o);
	free(csr);
}

/* BR 4.3.1.2: a certificate the lint refuses is neither planned nor signed, the order
 * fails with serverInternal, and the refusal is in the audit log. */
static void
test_lint_refusal(void **state)
{
	struct kk_ca *ca = (struct kk_ca *)kk_ra_ca(ra);
	kk_order o;
	unsigned char *csr;
	size_t len;
	char sql[300];
	kk_err e;
	int64_t before = kk_test_sql_int(db, "SELECT count(*) FROM audit_log WHERE "
	    "action = 'cert.lint_refused'");

	(void)state;
	ready_order("lint.example.jp", &o, &csr, &len);
	ca->faults = KK_CA_FAULT_NO_AIA;
	assert_int_equal(kk_ra_finalize(ra, &acct1, ACCT1_URL, o.id, csr, len, &e), -1);
	ca->faults = 0;
	assert_int_equal(e.kind, KK_ERR_INTERNAL);
	assert_non_null(strstr(e.detail, "lint:"));
	expect_status(&acct1, o.id, "invalid");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM certificates WHERE order_id = %lld AND "
	    "(tbs IS NOT NULL OR der IS NOT NULL OR precert_tbs IS NOT NULL OR "
	    "precert_der IS NOT NULL)", (long long)o.id);
	assert_int_equal(kk_test_sql_int(db, sql), 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit_log WHERE action = "
	    "'cert.lint_refused' AND object = 'order %lld' AND actor = 'system' AND "
	    "detail LIKE '%%lint:%%'", (long long)o.id);
	assert_int_equal(kk_test_sql_int(db, sql), 1);
	assert_int_equal(kk_test_sql_int(db, "SELECT count(*) FROM audit_log WHERE "
	    "action = 'cert.lint_refused'"), before + 1);
	assert_int_equal(kk_store_check(kk_ra_store(ra), &e), 0);
	kk_order_clear(&o);
	free(csr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ct_issue),
		cmocka_unit_test(test_ct_wait_and_resume),
		cmocka_unit_test(test_ct_gives_up),
		cmocka_unit_test(test_lint_refusal),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
