/*
 * Faults during issuance (issue #8 item 3), through the seams: the token failing to
 * sign (kk_signer_fault) and the store failing at its Nth step with a full disk, an
 * I/O error or a busy database (kk_store_fault_after). A transient fault never fails an
 * order nor corrupts the store: finalize either answers 503 (order still ready, the
 * client may finalize again) or leaves the order processing, and the order becomes
 * valid once the fault is gone. The operator sees counters (metrics.h); the client a
 * serverInternal problem with HTTP 503 and Retry-After.
 */
#include <sqlite3.h>
#include "ra_fixture.h"
#include "kakuin/metrics.h"
#include "kakuin/signer.h"
#include "../../acme/wfe.h"

/* Waits up to 10 s for order id of acct1 to leave processing; its status then. */
static void
wait_settled(int64_t id, char status[16])
{
	kk_order o;
	kk_err e;
	int i;

	for (i = 0; i < 200; i++) {
		assert_int_equal(kk_ra_order(ra, &acct1, id, &o, &e), 0);
		snprintf(status, 16, "%s", o.status);
		kk_order_clear(&o);
		if (strcmp(status, "processing") != 0)
			return;
		usleep(50000);
	}
}

/* The issued certificate of order id verifies with the issuing CA's key. */
static void
expect_issued(int64_t id)
{
	kk_order o;
	kk_cert c;
	const unsigned char *p;
	X509 *x;
	kk_err e;

	assert_int_equal(kk_ra_order(ra, &acct1, id, &o, &e), 0);
	assert_string_equal(o.status, "valid");
	assert_non_null(o.cert_serial);
	assert_int_equal(kk_store_cert_get(kk_ra_store(ra), o.cert_serial, &c, &e), 0);
	p = c.der;
	assert_non_null(x = d2i_X509(NULL, &p, (long)c.der_len));
	assert_int_equal(X509_verify(x, X509_get0_pubkey(kk_ca_issuing_cert(kk_ra_ca(ra)))), 1);
	X509_free(x);
	kk_cert_clear(&c);
	kk_order_clear(&o);
}

/* The token fails twice (both of kk_signer_sign's attempts): the order stays
 * processing with its plan, is counted, and the sweeper issues it once the token
 * signs again. One failure alone is absorbed by the signer's second attempt. */
static void
test_token_unavailable(void **state)
{
	kk_order o;
	unsigned char *csr;
	size_t len;
	long long deferred = kk_metric_get(KK_M_ISSUE_DEFERRED);
	long long sig_errors = kk_metric_get(KK_M_SIGNER_ERRORS);
	char status[16];
	kk_err e;

	(void)state;
	ready_order("token.example.jp", &o, &csr, &len);
	kk_signer_fault(0, 2);
	assert_int_equal(kk_ra_finalize(ra, &acct1, ACCT1_URL, o.id, csr, len, &e), 0);
	kk_signer_fault(0, 0);
	assert_true(kk_metric_get(KK_M_ISSUE_DEFERRED) > deferred);
	assert_true(kk_metric_get(KK_M_SIGNER_ERRORS) > sig_errors);
	wait_settled(o.id, status);
	assert_string_equal(status, "valid");
	expect_issued(o.id);
	free(csr);
	kk_order_clear(&o);

	/* one failure: the second attempt signs, nothing is deferred */
	ready_order("token2.example.jp", &o, &csr, &len);
	deferred = kk_metric_get(KK_M_ISSUE_DEFERRED);
	kk_signer_fault(0, 1);
	assert_int_equal(kk_ra_finalize(ra, &acct1, ACCT1_URL, o.id, csr, len, &e), 0);
	kk_signer_fault(0, 0);
	expect_issued(o.id);
	assert_int_equal(kk_metric_get(KK_M_ISSUE_DEFERRED), deferred);
	free(csr);
	kk_order_clear(&o);
}

/* For each SQLite fault, every step of finalize in turn fails (the Nth store step,
 * BEGIN or COMMIT from the start of finalize, background threads included): the order
 * is never invalid, the store stays consistent, and the order ends valid. */
static void
test_store_faults_each_step(void **state)
{
	static const struct {
		int code;
		kk_metric counter;
		const char *words;
	} faults[] = {
		{ SQLITE_FULL, KK_M_STORE_FULL, "storage is full" },
		{ SQLITE_IOERR, KK_M_STORE_IOERR, "I/O error" },
		{ SQLITE_BUSY, KK_M_STORE_BUSY, "busy" },
	};
	kk_order o;
	unsigned char *csr;
	size_t len, f;
	char name[64], status[16];
	long n, failed;
	long long before;
	int rc;
	kk_err e;

	(void)state;
	for (f = 0; f < sizeof(faults) / sizeof(faults[0]); f++) {
		before = kk_metric_get(faults[f].counter);
		for (n = 0, failed = 0; n < 60; n++) {
			snprintf(name, sizeof(name), "f%zu-%ld.example.jp", f, n);
			ready_order(name, &o, &csr, &len);
			kk_store_fault_after(n, faults[f].code);
			rc = kk_ra_finalize(ra, &acct1, ACCT1_URL, o.id, csr, len, &e);
			kk_store_fault_after(-1, 0);
			if (rc != 0) {
				/* refused before the order turned processing: retryable */
				assert_int_equal(e.kind, KK_ERR_UNAVAILABLE);
				assert_non_null(strstr(e.detail, faults[f].words));
				failed++;
				wait_settled(o.id, status);
				if (strcmp(status, "ready") == 0)
					assert_int_equal(kk_ra_finalize(ra, &acct1, ACCT1_URL, o.id, csr,
					    len, &e), 0);
			}
			wait_settled(o.id, status);
			if (strcmp(status, "valid") != 0)
				fail_msg("fault %d at step %ld (finalize %d): order %lld %s", faults[f].code,
				    n, rc, (long long)o.id, status);
			expect_issued(o.id);
			if (kk_store_check(kk_ra_store(ra), &e) != 0)
				fail_msg("store inconsistent after fault %d at step %ld: %s",
				    faults[f].code, n, e.detail);
			free(csr);
			kk_order_clear(&o);
			/* past the last step of finalize: nothing left to break */
			if (rc == 0 && n > 40)
				break;
		}
		assert_true(failed > 0);
		assert_true(kk_metric_get(faults[f].counter) > before);
	}
}

/* The client's view of a transient fault: serverInternal, 503, Retry-After; and the
 * operator's: the counters at /metrics. */
static void
test_unavailable_problem(void **state)
{
	kk_http_resp resp;
	kk_err e;
	const char *type;
	int status;
	size_t i;
	char *text;
	int retry_after = 0;

	(void)state;
	kk_problem_of(KK_ERR_UNAVAILABLE, &type, &status);
	assert_string_equal(type, "serverInternal");
	assert_int_equal(status, 503);
	memset(&resp, 0, sizeof(resp));
	kk_err_set(&e, KK_ERR_UNAVAILABLE, "the CA's storage is full (temporary, retry later)");
	kk_problem_resp(&e, &resp);
	assert_int_equal(resp.status, 503);
	assert_non_null(strstr(resp.body, "urn:ietf:params:acme:error:serverInternal"));
	assert_non_null(strstr(resp.body, "retry later"));
	for (i = 0; i < resp.n_hdr; i++)
		retry_after |= strcmp(resp.hdr[i].name, "Retry-After") == 0 &&
		    atoi(resp.hdr[i].value) > 0;
	assert_true(retry_after);
	kk_http_resp_clear(&resp);

	assert_non_null(text = kk_metrics_text());
	assert_non_null(strstr(text, "# TYPE kakuin_store_full_total counter\n"));
	assert_non_null(strstr(text, "\nkakuin_certificates_issued_total "));
	assert_true(kk_metric_get(KK_M_CERTS_ISSUED) > 0);
	free(text);
}

static int
setup(void **state)
{
	if (group_setup(state) != 0)
		return -1;
	make_account("faults-thumb-1", &acct1);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_unavailable),
		cmocka_unit_test(test_store_faults_each_step),
		cmocka_unit_test(test_unavailable_problem),
	};

	return cmocka_run_group_tests(tests, setup, group_teardown);
}
