/*
 * Revocation (RFC 8555 7.6, CP 4.9): who may revoke, reason codes, alreadyRevoked, key
 * compromise (every certificate of the key, blocked at finalize) and CA-initiated
 * requests with their deadlines (fixture: ra_fixture.h).
 */
#include "ra_fixture.h"
#include "kakuin/store_review.h"

static kk_account a1, a2, a3;

/* Issues a certificate for name to acct with pk; *der gets its DER (caller frees). */
static void
issue(const kk_account *acct, const char *name, EVP_PKEY *pk, char serial[41],
    unsigned char **der, size_t *der_len)
{
	char json[200];
	unsigned char *csr;
	kk_order o;
	kk_cert c;
	int64_t id;
	int len;
	kk_err e;

	snprintf(json, sizeof(json), "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"%s\"}]}",
	    name);
	new_order(acct, json, &o);
	validate_ok(o.authz_ids[0]);
	csr = kk_test_csr_der(pk, NULL, &name, 1, &len);
	if (kk_ra_finalize(ra, acct, ACCT1_URL, o.id, csr, (size_t)len, &e) != 0)
		fail_msg("finalize: %s", e.detail);
	free(csr);
	id = o.id;
	kk_order_clear(&o);
	assert_int_equal(kk_ra_order(ra, acct, id, &o, &e), 0);
	assert_string_equal(o.status, "valid");
	assert_int_equal(kk_store_cert_get(kk_ra_store(ra), o.cert_serial, &c, &e), 0);
	strcpy(serial, c.serial);
	*der = c.der;
	*der_len = c.der_len;
	c.der = NULL;
	kk_cert_clear(&c);
	kk_order_clear(&o);
}

static void
state_of(const char *serial, kk_certrev *r)
{
	kk_err e;

	assert_int_equal(kk_store_cert_revstate(kk_ra_store(ra), serial, r, &e), 0);
}

/* kk_ra_revoke with the request fields; returns rc, err in *e. */
static int
try_revoke(const unsigned char *der, size_t len, int reason, const kk_account *acct,
    int cert_key, kk_err *e)
{
	kk_revoke_req rq = {der, len, reason, acct, cert_key};

	return kk_ra_revoke(ra, &rq, e);
}

static int
setup(void **state)
{
	int rc = group_setup(state);

	if (rc == 0) {
		make_account("thumb-rv-1", &a1);
		make_account("thumb-rv-2", &a2);
		make_account("thumb-rv-3", &a3);
	}
	return rc;
}

static int
teardown(void **state)
{
	kk_account_clear(&a1);
	kk_account_clear(&a2);
	kk_account_clear(&a3);
	return group_teardown(state);
}

static void
test_reasons(void **state)
{
	unsigned char *der = NULL, junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
	char serial[41], by[40];
	size_t len;
	kk_certrev r;
	kk_err e;
	int bad[] = {2, 6, 7, 8, 10, 42, -2};
	size_t i;

	(void)state;
	issue(&a1, "reasons.example.jp", key, serial, &der, &len);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(try_revoke(der, len, bad[i], &a1, 0, &e), -1);
		assert_int_equal(e.kind, KK_ERR_BAD_REVOCATION_REASON);
	}
	assert_int_equal(try_revoke(junk, sizeof(junk), -1, &a1, 0, &e), -1);
	assert_int_equal(e.kind, KK_ERR_MALFORMED);
	/* a certificate this CA did not issue: same serial, other bytes */
	der[len - 1] ^= 1;
	assert_int_equal(try_revoke(der, len, -1, &a1, 0, &e), -1);
	assert_int_equal(e.kind, KK_ERR_NOT_FOUND);
	der[len - 1] ^= 1;
	state_of(serial, &r);
	assert_string_equal(r.status, "issued");
	assert_int_equal(r.revoked_at, 0);
	/* an explicit 0 (certbot's default) is unspecified: stored NULL (BR 7.2.2) */
	assert_int_equal(try_revoke(der, len, 0, &a1, 0, &e), 0);
	state_of(serial, &r);
	assert_string_equal(r.status, "revoked");
	assert_int_equal(r.reason, 0);
	assert_int_equal(r.revoked_at, kk_now());
	snprintf(by, sizeof(by), "account %lld", (long long)a1.id);
	assert_string_equal(r.revoked_by, by);
	assert_int_equal(try_revoke(der, len, 4, &a1, 0, &e), -1);
	assert_int_equal(e.kind, KK_ERR_ALREADY_REVOKED);
	free(der);
}

static void
test_who_may_revoke(void **state)
{
	unsigned char *der = NULL, *der2 = NULL;
	char serial[41], serial2[41], by[40];
	size_t len, len2;
	kk_certrev r;
	kk_order o;
	kk_audit *au = NULL;
	size_t n = 0;
	char obj[64];
	kk_err e;

	(void)state;
	issue(&a1, "owner.example.jp", key, serial, &der, &len);
	/* another account without authorizations for the name */
	assert_int_equal(try_revoke(der, len, 4, &a2, 0, &e), -1);
	assert_int_equal(e.kind, KK_ERR_UNAUTHORIZED);
	/* no account and not the certificate key */
	assert_int_equal(try_revoke(der, len, 4, NULL, 0, &e), -1);
	assert_int_equal(e.kind, KK_ERR_UNAUTHORIZED);
	/* the ordering account */
	assert_int_equal(try_revoke(der, len, 4, &a1, 0, &e), 0);
	state_of(serial, &r);
	assert_string_equal(r.status, "revoked");
	assert_int_equal(r.reason, 4);
	snprintf(by, sizeof(by), "account %lld", (long long)a1.id);
	assert_string_equal(r.revoked_by, by);
	/* audited with the change */
	snprintf(obj, sizeof(obj), "certificate %s", serial);
	assert_int_equal(kk_store_audit_list(kk_ra_store(ra), obj, 5, &au, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(au[0].action, "certificate.revoke");
	assert_string_equal(au[0].actor, by);
	free(au);

	/* an account holding a valid authorization for every name */
	issue(&a1, "shared.example.jp", key, serial2, &der2, &len2);
	assert_int_equal(try_revoke(der2, len2, 3, &a3, 0, &e), -1);
	assert_int_equal(e.kind, KK_ERR_UNAUTHORIZED);
	new_order(&a3, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"shared.example.jp\"}]}",
	    &o);
	validate_ok(o.authz_ids[0]);
	kk_order_clear(&o);
	assert_int_equal(try_revoke(der2, len2, -1, &a3, 0, &e), 0);
	state_of(serial2, &r);
	assert_string_equal(r.status, "revoked");
	assert_int_equal(r.reason, 0);
	snprintf(by, sizeof(by), "account %lld", (long long)a3.id);
	assert_string_equal(r.revoked_by, by);
	assert_int_equal(try_revoke(der2, len2, -1, &a3, 0, &e), -1);
	assert_int_equal(e.kind, KK_ERR_ALREADY_REVOKED);
	free(der);
	free(der2);
}

static void
test_key_compromise(void **state)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	unsigned char *d1 = NULL, *d2 = NULL, *d3 = NULL, *csr;
	char s1[41], s2[41], s3[41], spki[65];
	const char *name = "compromised.example.jp";
	size_t l1, l2, l3;
	kk_certrev r;
	kk_order o;
	int len;
	kk_err e;

	(void)state;
	assert_non_null(k);
	issue(&a1, "compromised.example.jp", k, s1, &d1, &l1);
	issue(&a2, "other-owner.example.jp", k, s2, &d2, &l2);
	issue(&a1, "innocent.example.jp", key, s3, &d3, &l3);
	state_of(s1, &r);
	assert_int_equal(kk_spki_sha256(k, spki), 0);
	assert_string_equal(r.spki_sha256, spki);
	assert_int_equal(kk_store_key_blocked(kk_ra_store(ra), spki, &e), 0);
	/* signed by the certificate key, no account, reason superseded: still keyCompromise */
	assert_int_equal(try_revoke(d1, l1, 4, NULL, 1, &e), 0);
	state_of(s1, &r);
	assert_string_equal(r.status, "revoked");
	assert_int_equal(r.reason, 1);
	assert_string_equal(r.revoked_by, "certificate key");
	/* every certificate of the key, whoever ordered it */
	state_of(s2, &r);
	assert_string_equal(r.status, "revoked");
	assert_int_equal(r.reason, 1);
	state_of(s3, &r);
	assert_string_equal(r.status, "issued");
	assert_int_equal(kk_store_key_blocked(kk_ra_store(ra), spki, &e), 1);
	/* the key is never certified again: badPublicKey, the order stays ready */
	new_order(&a1, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"compromised.example.jp\"}]}",
	    &o);
	assert_string_equal(o.status, "ready");
	csr = kk_test_csr_der(k, NULL, &name, 1, &len);
	assert_int_equal(kk_ra_finalize(ra, &a1, ACCT1_URL, o.id, csr, (size_t)len, &e), -1);
	assert_int_equal(e.kind, KK_ERR_BAD_PUBLIC_KEY);
	assert_non_null(strstr(e.detail, "compromised"));
	expect_status(&a1, o.id, "ready");
	free(csr);
	/* reason keyCompromise from the owning account blocks that key too */
	assert_int_equal(try_revoke(d3, l3, 1, &a1, 0, &e), 0);
	assert_int_equal(kk_spki_sha256(key, spki), 0);
	assert_int_equal(kk_store_key_blocked(kk_ra_store(ra), spki, &e), 1);
	assert_int_equal(kk_store_check(kk_ra_store(ra), &e), 0);
	kk_order_clear(&o);
	free(d1);
	free(d2);
	free(d3);
	EVP_PKEY_free(k);
}

static void
test_ca_initiated(void **state)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	kk_reviewer rev = {0}, appr = {0};
	unsigned char *d1 = NULL, *d2 = NULL;
	char s1[41], s2[41], **serials = NULL;
	size_t l1, l2, n = 0, nreq = 0, before = 0;
	kk_revreq q, *open = NULL;
	kk_certrev r;
	kk_err e;
	time_t now;

	(void)state;
	assert_non_null(k);
	issue(&a1, "ca-revoke-1.example.jp", k, s1, &d1, &l1);
	issue(&a1, "ca-revoke-2.example.jp", k, s2, &d2, &l2);
	now = kk_now();
	rev.id = 1;
	rev.role = KK_ROLE_REVIEWER;
	strcpy(rev.name, "rv-carol");
	appr.id = 2;
	appr.role = KK_ROLE_APPROVER;
	strcpy(appr.name, "rv-dave");
	assert_int_equal(kk_store_revreq_open(kk_ra_store(ra), &open, &before, &e), 0);
	free(open);
	/* CP 4.9.1: 5 days for the CA's findings, 24 hours for a compromised key */
	assert_int_equal(kk_revoke_request(kk_ra_store(ra), &rev, s1, 9, "breach of terms",
	    NULL, now, &q, &e), 0);
	assert_string_equal(q.deadline_class, "5d");
	assert_int_equal(q.deadline, now + 5 * DAY);
	assert_int_equal(kk_revoke_request(kk_ra_store(ra), &rev, s2, 1, "key posted online",
	    NULL, now, &q, &e), 0);
	assert_string_equal(q.deadline_class, "24h");
	assert_int_equal(q.deadline, now + DAY);
	assert_int_equal(kk_revoke_request(kk_ra_store(ra), &rev, s1, 4, NULL, "24h", now, &q,
	    &e), 0);
	assert_int_equal(q.deadline, now + DAY);
	assert_int_equal(kk_revoke_request(kk_ra_store(ra), &rev, s1, 4, NULL, "1w", now, &q,
	    &e), -1);
	assert_int_equal(e.kind, KK_ERR_MALFORMED);
	assert_int_equal(kk_revoke_request(kk_ra_store(ra), &rev, "0badc0de", 4, NULL, NULL, now,
	    &q, &e), -1);
	assert_int_equal(e.kind, KK_ERR_NOT_FOUND);
	assert_int_equal(kk_revoke_request(kk_ra_store(ra), &rev, s1, 2, NULL, NULL, now, &q, &e),
	    -1);
	assert_int_equal(e.kind, KK_ERR_BAD_REVOCATION_REASON);
	/* the report: earliest deadline first; overdue once the clock passes it */
	assert_int_equal(kk_store_revreq_open(kk_ra_store(ra), &open, &nreq, &e), 0);
	assert_int_equal(nreq, before + 3);
	assert_string_equal(open[before].deadline_class, "24h");
	assert_string_equal(open[before + 2].serial, s1);
	assert_string_equal(open[before + 2].deadline_class, "5d");
	assert_string_equal(open[before + 2].detail, "breach of terms");
	assert_true(open[before].deadline < now + 2 * DAY);
	free(open);
	/* only an approver or admin revokes */
	assert_int_equal(kk_revoke_by_reviewer(kk_ra_store(ra), &rev, s1, 9, "x", &serials, &n,
	    &e), -1);
	assert_int_equal(e.kind, KK_ERR_UNAUTHORIZED);
	assert_int_equal(kk_revoke_by_reviewer(kk_ra_store(ra), &appr, s1, 9, "terms", &serials,
	    &n, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(serials[0], s1);
	kk_serials_free(serials, n);
	state_of(s1, &r);
	assert_int_equal(r.reason, 9);
	assert_string_equal(r.revoked_by, "reviewer rv-dave");
	/* both requests for s1 are closed; s2's stays open */
	assert_int_equal(kk_store_revreq_open(kk_ra_store(ra), &open, &nreq, &e), 0);
	assert_int_equal(nreq, before + 1);
	assert_string_equal(open[before].serial, s2);
	free(open);
	/* keyCompromise by the CA revokes the key's certificates and blocks it */
	free(d1);
	issue(&a2, "ca-revoke-3.example.jp", k, s1, &d1, &l1);
	free(d1);
	assert_int_equal(kk_revoke_by_reviewer(kk_ra_store(ra), &appr, s2, 1, "posted",
	    &serials, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(serials[1], s1);
	kk_serials_free(serials, n);
	assert_int_equal(kk_revoke_by_reviewer(kk_ra_store(ra), &appr, s2, 1, "again", &serials,
	    &n, &e), -1);
	assert_int_equal(e.kind, KK_ERR_ALREADY_REVOKED);
	assert_int_equal(kk_store_revreq_open(kk_ra_store(ra), &open, &nreq, &e), 0);
	assert_int_equal(nreq, before);
	free(open);
	assert_int_equal(kk_store_check(kk_ra_store(ra), &e), 0);
	free(d2);
	EVP_PKEY_free(k);
}

/* RFC 9773 4.1 certID of a DER certificate. Caller frees. */
static char *
cert_id(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	const ASN1_INTEGER *sn;
	const ASN1_OCTET_STRING *aki;
	char *a = NULL, *b = NULL, *out;

	assert_non_null(x);
	aki = X509_get0_authority_key_id(x);
	sn = X509_get0_serialNumber(x);
	assert_non_null(aki);
	assert_int_equal(kk_b64url_encode(ASN1_STRING_get0_data(aki),
	    (size_t)ASN1_STRING_length(aki), &a), 0);
	assert_int_equal(kk_b64url_encode(ASN1_STRING_get0_data(sn),
	    (size_t)ASN1_STRING_length(sn), &b), 0);
	out = kk_printf("%s.%s", a, b);
	free(a);
	free(b);
	X509_free(x);
	return out;
}

static void
test_ari_and_replaces(void **state)
{
	unsigned char *der = NULL, *der2 = NULL;
	char serial[41], serial2[41], *id, *id2, json[400];
	size_t len, len2;
	EVP_PKEY *k = EVP_RSA_gen(2048);
	time_t start, end, now = kk_now();
	kk_certrev r;
	kk_order o;
	json_t *p;
	kk_err e;

	(void)state;
	assert_non_null(k);
	issue(&a1, "ari.example.jp", k, serial, &der, &len);
	issue(&a1, "ari2.example.jp", k, serial2, &der2, &len2);
	id = cert_id(der, len);
	id2 = cert_id(der2, len2);
	state_of(serial, &r);
	/* a live certificate: the last third, ending a sixth before notAfter */
	assert_int_equal(kk_ra_renewal_info(ra, id, &start, &end, &e), 0);
	assert_int_equal(start, r.not_after - (r.not_after - now) / 3);
	assert_int_equal(end, r.not_after - (r.not_after - now) / 6);
	assert_true(start > now && start < end && end < r.not_after);
	/* unknown, foreign and malformed certIDs */
	assert_int_equal(kk_ra_renewal_info(ra, "AAAA.AQ", &start, &end, &e), -1);
	assert_int_equal(e.kind, KK_ERR_NOT_FOUND);
	{
		char *unknown = kk_printf("%.*s.AQ", (int)(strchr(id, '.') - id), id);
		assert_int_equal(kk_ra_renewal_info(ra, unknown, &start, &end, &e), -1);
		assert_int_equal(e.kind, KK_ERR_NOT_FOUND);
		free(unknown);
	}
	assert_int_equal(kk_ra_renewal_info(ra, "no-dot", &start, &end, &e), -1);
	assert_int_equal(e.kind, KK_ERR_MALFORMED);

	/* replaces (RFC 9773 5, CP 4.7): only in the last 90 days */
	snprintf(json, sizeof(json), "{\"identifiers\":[{\"type\":\"dns\",\"value\":"
	    "\"ari.example.jp\"}],\"replaces\":\"%s\"}", id);
	p = json_loads(json, 0, NULL);
	assert_int_equal(kk_ra_new_order(ra, &a1, p, &o, &e), -1);
	assert_int_equal(e.kind, KK_ERR_MALFORMED);
	assert_non_null(strstr(e.detail, "last 90 days"));
	kk_clock_set(r.not_after - 30 * DAY);
	assert_int_equal(kk_ra_new_order(ra, &a2, p, &o, &e), -1);
	assert_int_equal(e.kind, KK_ERR_MALFORMED);
	assert_non_null(strstr(e.detail, "this account"));
	if (kk_ra_new_order(ra, &a1, p, &o, &e) != 0)
		fail_msg("replaces: %s", e.detail);
	kk_order_clear(&o);
	/* RFC 9773 7.4: a second renewal of the same certificate is alreadyReplaced */
	assert_int_equal(kk_ra_new_order(ra, &a1, p, &o, &e), -1);
	assert_int_equal(e.kind, KK_ERR_ALREADY_REPLACED);
	assert_non_null(strstr(e.detail, "already replaced"));
	json_decref(p);
	kk_clock_set(r.not_after + 1);
	assert_int_equal(kk_ra_renewal_info(ra, id, &start, &end, &e), 0);
	p = json_loads(json, 0, NULL);
	assert_int_equal(kk_ra_new_order(ra, &a1, p, &o, &e), -1);
	assert_non_null(strstr(e.detail, "expired"));
	json_decref(p);
	kk_clock_set(now);

	/* a revoked certificate: renew now (a window already past); cannot be replaced */
	assert_int_equal(try_revoke(der2, len2, 4, &a1, 0, &e), 0);
	assert_int_equal(kk_ra_renewal_info(ra, id2, &start, &end, &e), 0);
	assert_true(start < end && end <= now);
	snprintf(json, sizeof(json), "{\"identifiers\":[{\"type\":\"dns\",\"value\":"
	    "\"ari2.example.jp\"}],\"replaces\":\"%s\"}", id2);
	p = json_loads(json, 0, NULL);
	kk_clock_set(r.not_after - 30 * DAY);
	assert_int_equal(kk_ra_new_order(ra, &a1, p, &o, &e), -1);
	assert_int_equal(e.kind, KK_ERR_MALFORMED);
	assert_non_null(strstr(e.detail, "revoked"));
	kk_clock_set(now);
	json_decref(p);
	free(id);
	free(id2);
	free(der);
	free(der2);
	EVP_PKEY_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_who_may_revoke),
		cmocka_unit_test(test_key_compromise),
		cmocka_unit_test(test_ca_initiated),
		cmocka_unit_test(test_ari_and_replaces),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
