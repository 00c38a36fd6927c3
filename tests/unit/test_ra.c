/*
 * RA end to end below HTTP: orders, authorization reuse (BR 4.2.1), the CP 3.2.7 token
 * lifetime, finalization, DNS validation and CAA through the scripted DNS server, and
 * the crash-safe resume of an interrupted issuance (fixture: ra_fixture.h).
 */
#include "ra_fixture.h"

/* RFC 8555 7.1.3 wildcards get DNS challenges only; BR 3.2.2.4.7 ADN rule: a parent
 * validated by a DNS method covers the names beneath it and its wildcard, for the same
 * account only, and an http-01 validation covers nothing but its own name. */
static void
test_wildcard_and_adn(void **state)
{
	static const kk_valrec dns = { "3.2.2.4.7", "test", "TXT _acme-challenge.adn.example.jp",
	    "secure", 1 };
	kk_order o, o2;
	kk_authz a;
	size_t i, j;
	kk_err e;

	(void)state;
	new_order(&acct1, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"*.Wild.example.jp\"}]}",
	    &o);
	assert_string_equal(o.identifiers, "[{\"type\":\"dns\",\"value\":\"*.wild.example.jp\"}]");
	assert_int_equal(kk_ra_authz(ra, &acct1, o.authz_ids[0], &a, &e), 0);
	assert_string_equal(a.id_value, "wild.example.jp");
	assert_int_equal(a.wildcard, 1);
	assert_true(a.n_chall >= 1);
	for (i = 0; i < a.n_chall; i++)
		assert_non_null(strstr(a.chall[i].type, "dns-"));
	kk_authz_clear(&a);
	kk_order_clear(&o);
	/* a plain name gets http-01 and the CP's DNS types; distinct tokens */
	new_order(&acct1, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"adn.example.jp\"}]}", &o);
	assert_int_equal(kk_ra_authz(ra, &acct1, o.authz_ids[0], &a, &e), 0);
	assert_string_equal(a.chall[0].type, "http-01");
	assert_string_equal(a.chall[1].type, "dns-01");
	for (i = 0; i < a.n_chall; i++) {
		assert_false(strcmp(a.chall[i].type, "dns-account-01") == 0); /* disabled */
		for (j = 0; j < i; j++)
			assert_string_not_equal(a.chall[i].token, a.chall[j].token);
	}
	kk_authz_clear(&a);
	validate_rec(o.authz_ids[0], &dns);
	expect_status(&acct1, o.id, "ready");

	new_order(&acct1, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"www.adn.example.jp\"},"
	    "{\"type\":\"dns\",\"value\":\"*.adn.example.jp\"},"
	    "{\"type\":\"dns\",\"value\":\"a.b.adn.example.jp\"}]}", &o2);
	assert_string_equal(o2.status, "ready");
	for (i = 0; i < o2.n_authz; i++) {
		assert_int_equal(kk_ra_authz(ra, &acct1, o2.authz_ids[i], &a, &e), 0);
		assert_string_equal(a.status, "valid");
		assert_int_equal(a.covered_by, o.authz_ids[0]);
		assert_int_equal(a.covers_subdomains, 0);
		assert_int_equal(a.n_chall, 1);
		assert_string_equal(a.chall[0].br_method, "3.2.2.4.7");
		assert_non_null(strstr(a.chall[0].checked, "covered by authorization"));
		kk_authz_clear(&a);
	}
	kk_order_clear(&o2);
	/* not another account's, not a name that merely ends in the same letters */
	new_order(&acct2, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"www.adn.example.jp\"}]}",
	    &o2);
	assert_string_equal(o2.status, "pending");
	kk_order_clear(&o2);
	new_order(&acct1, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"xadn.example.jp\"}]}",
	    &o2);
	assert_string_equal(o2.status, "pending");
	kk_order_clear(&o2);
	kk_order_clear(&o);
	/* http-01 (TEST_REC covers nothing) */
	new_order(&acct1, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"h.example.jp\"}]}", &o);
	validate_ok(o.authz_ids[0]);
	expect_status(&acct1, o.id, "ready");
	new_order(&acct1, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"www.h.example.jp\"}]}",
	    &o2);
	assert_string_equal(o2.status, "pending");
	kk_order_clear(&o2);
	kk_order_clear(&o);
	assert_int_equal(kk_store_check(kk_ra_store(ra), &e), 0);
}

static void
test_new_order_rules(void **state)
{
	static const struct {
		const char *json;
		kk_errkind kind;
	} bad[] = {
		{"{\"identifiers\":[{\"type\":\"ip\",\"value\":\"192.0.2.1\"}]}",
		    KK_ERR_UNSUPPORTED_IDENTIFIER},
		{"{\"identifiers\":[{\"type\":\"dns\",\"value\":\"*.jp\"}]}",
		    KK_ERR_REJECTED_IDENTIFIER},
		{"{\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.*.example.jp\"}]}",
		    KK_ERR_REJECTED_IDENTIFIER},
		{"{\"identifiers\":[{\"type\":\"dns\",\"value\":\"*.*.example.jp\"}]}",
		    KK_ERR_REJECTED_IDENTIFIER},
		{"{\"identifiers\":[{\"type\":\"dns\",\"value\":\"localhost\"}]}",
		    KK_ERR_REJECTED_IDENTIFIER},
		{"{\"identifiers\":[{\"type\":\"dns\",\"value\":\"1.2.3.4\"}]}",
		    KK_ERR_REJECTED_IDENTIFIER},
		{"{\"identifiers\":[{\"type\":\"dns\",\"value\":\"a..example.jp\"}]}",
		    KK_ERR_REJECTED_IDENTIFIER},
		{"{\"identifiers\":[{\"type\":\"dns\",\"value\":\"-a.example.jp\"}]}",
		    KK_ERR_REJECTED_IDENTIFIER},
		{"{\"identifiers\":[{\"type\":\"dns\",\"value\":\"a_b.example.jp\"}]}",
		    KK_ERR_REJECTED_IDENTIFIER},
		{"{\"identifiers\":[{\"type\":\"dns\",\"value\":\"intranet\"}]}",
		    KK_ERR_REJECTED_IDENTIFIER},
		{"{\"identifiers\":[{\"type\":\"dns\",\"value\":\"co.jp\"}]}",
		    KK_ERR_REJECTED_IDENTIFIER},
		{"{\"identifiers\":[]}", KK_ERR_MALFORMED},
		{"{\"identifiers\":[{\"type\":\"dns\"}]}", KK_ERR_MALFORMED},
		{"{\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.example.jp\"}],"
		    "\"notBefore\":\"2026-12-01T00:00:00Z\"}", KK_ERR_MALFORMED},
	};
	kk_order o;
	size_t i;
	kk_err e;

	(void)state;
	make_account("thumb-1", &acct1);
	make_account("thumb-2", &acct2);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *p = json_loads(bad[i].json, 0, NULL);
		assert_int_equal(kk_ra_new_order(ra, &acct1, p, &o, &e), -1);
		assert_int_equal(e.kind, bad[i].kind);
		json_decref(p);
	}
	/* an internal name is refused when ordered, with the lint's reason, instead of
	 * failing at finalize (BR 4.2.2) */
	{
		json_t *p = json_loads("{\"identifiers\":[{\"type\":\"dns\",\"value\":"
		    "\"ok.example.jp\"},{\"type\":\"dns\",\"value\":\"WWW.Secure.Test\"}]}", 0, NULL);

		assert_int_equal(kk_ra_new_order(ra, &acct1, p, &o, &e), -1);
		assert_int_equal(e.kind, KK_ERR_REJECTED_IDENTIFIER);
		assert_string_equal(e.detail, "\"www.secure.test\" is under a reserved top-level "
		    "domain: an internal name (RFC 6761, BR 4.2.2)");
		json_decref(p);
	}
	/* upper case folded, duplicates merged, one fresh authorization with a 256-bit token */
	new_order(&acct1, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"WWW.Example.JP\"},"
	    "{\"type\":\"dns\",\"value\":\"www.example.jp\"}]}", &o);
	assert_string_equal(o.identifiers, "[{\"type\":\"dns\",\"value\":\"www.example.jp\"}]");
	assert_int_equal(o.n_authz, 1);
	expect_status(&acct1, o.id, "pending");
	/* another account may not see it */
	{
		kk_order x;
		assert_int_equal(kk_ra_order(ra, &acct2, o.id, &x, &e), -1);
		assert_int_equal(e.kind, KK_ERR_UNAUTHORIZED);
	}
	kk_order_clear(&o);
}

static void
test_issue_and_reuse(void **state)
{
	kk_order o, o2, o3;
	unsigned char *csr;
	size_t len;
	char *pem = NULL;
	kk_err e;

	(void)state;
	new_order(&acct1, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"shop.example.jp\"}]}",
	    &o);
	csr = make_csr((const char *[]){"shop.example.jp"}, 1, &len);
	/* not ready yet */
	assert_int_equal(kk_ra_finalize(ra, &acct1, ACCT1_URL, o.id, csr, len, &e), -1);
	assert_int_equal(e.kind, KK_ERR_ORDER_NOT_READY);
	validate_ok(o.authz_ids[0]);
	expect_status(&acct1, o.id, "ready");
	{
		/* a bad CSR leaves the order ready for a better one */
		size_t blen;
		const char *extra[] = {"shop.example.jp", "extra.example.jp"};
		unsigned char *bad = make_csr(extra, 2, &blen);
		assert_int_equal(kk_ra_finalize(ra, &acct1, ACCT1_URL, o.id, bad, blen, &e), -1);
		assert_int_equal(e.kind, KK_ERR_BAD_CSR);
		assert_non_null(strstr(e.detail, "extra.example.jp"));
		free(bad);
		expect_status(&acct1, o.id, "ready");
	}
	if (kk_ra_finalize(ra, &acct1, ACCT1_URL, o.id, csr, len, &e) != 0)
		fail_msg("finalize: %s", e.detail);
	{
		int64_t id = o.id;
		kk_order_clear(&o);
		assert_int_equal(kk_ra_order(ra, &acct1, id, &o, &e), 0);
	}
	assert_string_equal(o.status, "valid");
	assert_non_null(o.cert_serial);
	assert_int_equal(kk_ra_cert_chain(ra, &acct1, o.cert_serial, &pem, &e), 0);
	assert_non_null(strstr(pem, "-----BEGIN CERTIFICATE-----"));
	free(pem);
	assert_int_equal(kk_ra_cert_chain(ra, &acct2, o.cert_serial, &pem, &e), -1);
	assert_int_equal(e.kind, KK_ERR_UNAUTHORIZED);

	/* BR 4.2.1: the same account reuses the validation (200-day period until
	 * 2027-03-15), another account does not */
	kk_clock_set(t0 + 99 * DAY);
	new_order(&acct1, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"shop.example.jp\"}]}",
	    &o2);
	assert_int_equal(o2.authz_ids[0], o.authz_ids[0]);
	assert_string_equal(o2.status, "ready");
	expect_status(&acct1, o2.id, "ready");
	new_order(&acct2, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"shop.example.jp\"}]}",
	    &o3);
	assert_true(o3.authz_ids[0] != o.authz_ids[0]);
	expect_status(&acct2, o3.id, "pending");
	kk_order_clear(&o3);
	/* from 2027-03-15 the period is 100 days: the 105-day-old validation is neither reused
	 * nor good enough to finalize the order that is still ready with it */
	kk_clock_set(t0 + 105 * DAY);
	new_order(&acct1, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"shop.example.jp\"}]}",
	    &o3);
	assert_true(o3.authz_ids[0] != o.authz_ids[0]);
	expect_status(&acct1, o2.id, "ready");
	assert_int_equal(kk_ra_finalize(ra, &acct1, ACCT1_URL, o2.id, csr, len, &e), -1);
	assert_int_equal(e.kind, KK_ERR_UNAUTHORIZED);
	assert_non_null(strstr(e.detail, "reuse period"));
	kk_clock_set(t0);
	assert_int_equal(kk_store_check(kk_ra_store(ra), &e), 0);
	free(csr);
	kk_order_clear(&o);
	kk_order_clear(&o2);
	kk_order_clear(&o3);
}

static void
test_resume_planned(void **state)
{
	kk_store *st = kk_ra_store(ra);
	kk_order o;
	kk_cert c;
	unsigned char *csr, *tbs = NULL, *p;
	size_t len, tbs_len;
	X509_REQ *req = NULL;
	X509 *x;
	char serial[41];
	const char *names[] = {"plan.example.jp"};
	kk_subject subj = {"Org", "L", "ST", 0};
	time_t nb, na;
	kk_err e;
	int n;

	(void)state;
	new_order(&acct1, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"plan.example.jp\"}]}",
	    &o);
	validate_ok(o.authz_ids[0]);
	csr = make_csr(names, 1, &len);
	/* the steps of kk_ra_issue up to the HSM signature, then a "crash" */
	assert_int_equal(kk_store_order_begin_finalize(st, o.id, csr, len, NULL, &e), 0);
	assert_int_equal(kk_csr_check(csr, len, &cfg.policy, names, 1, &req, &e), 0);
	assert_int_equal(kk_ca_new_serial(&cfg.policy, serial, &e), 0);
	assert_int_equal(kk_store_serial_reserve(st, serial, o.id, acct1.id, &e), 0);
	assert_int_equal(kk_ca_plan((kk_ca *)kk_ra_ca(ra), serial, &subj, names, 1, req, kk_now(),
	    &tbs, &tbs_len, &nb, &na, &e), 0);
	assert_int_equal(kk_store_cert_plan(st, serial, tbs, tbs_len, nb, na, &e), 0);
	restart();
	/* the restart signed exactly the planned TBS under the reserved serial */
	assert_int_equal(kk_store_cert_get(kk_ra_store(ra), serial, &c, &e), 0);
	assert_string_equal(c.status, "issued");
	p = c.der;
	x = d2i_X509(NULL, (const unsigned char **)&p, (long)c.der_len);
	assert_non_null(x);
	{
		unsigned char *again = NULL;
		n = i2d_re_X509_tbs(x, &again);
		assert_int_equal((size_t)n, tbs_len);
		assert_memory_equal(again, tbs, tbs_len);
		OPENSSL_free(again);
	}
	expect_status(&acct1, o.id, "valid");
	assert_int_equal(kk_store_check(kk_ra_store(ra), &e), 0);
	X509_free(x);
	X509_REQ_free(req);
	kk_cert_clear(&c);
	free(tbs);
	free(csr);
	kk_order_clear(&o);
}

static void
test_resume_unplanned(void **state)
{
	kk_order o;
	unsigned char *csr;
	size_t len;
	kk_err e;

	(void)state;
	new_order(&acct1, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"early.example.jp\"}]}",
	    &o);
	validate_ok(o.authz_ids[0]);
	csr = make_csr((const char *[]){"early.example.jp"}, 1, &len);
	assert_int_equal(kk_store_order_begin_finalize(kk_ra_store(ra), o.id, csr, len, NULL, &e), 0);
	restart();
	expect_status(&acct1, o.id, "valid");
	free(csr);
	kk_order_clear(&o);
}


static void
test_validation_worker(void **state)
{
	kk_order o;
	kk_authz a;
	kk_challenge c;
	kk_err e;

	static const fake_answer servfail[] = {
		{ "dns.example.jp", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, 0, 0, NULL, {NULL} },
		{ "dns.example.jp", LDNS_RR_TYPE_AAAA, LDNS_RCODE_SERVFAIL, 0, 0, NULL, {NULL} },
	};

	(void)state;
	fake_dns_script(servfail, 2, 0);
	new_order(&acct1, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"dns.example.jp\"}]}",
	    &o);
	assert_int_equal(kk_ra_authz(ra, &acct1, o.authz_ids[0], &a, &e), 0);
	assert_int_equal(kk_ra_challenge(ra, &acct2, "https://ca.test/acme/acct/x", a.chall[0].id, 1, &c, &e), -1);
	assert_int_equal(e.kind, KK_ERR_UNAUTHORIZED);
	assert_int_equal(kk_ra_challenge(ra, &acct1, "https://ca.test/acme/acct/x", a.chall[0].id, 1, &c, &e), 0);
	assert_int_equal(c.authz_id, a.id);
	assert_true(strcmp(c.status, "processing") == 0 || strcmp(c.status, "invalid") == 0);
	kk_challenge_clear(&c);
	kk_authz_clear(&a);
	/* the resolver fails: the worker records a dns problem for the challenge */
	wait_authz(o.authz_ids[0], &a);
	assert_string_equal(a.status, "invalid");
	assert_string_equal(a.chall[0].status, "invalid");
	assert_non_null(a.chall[0].error);
	assert_non_null(strstr(a.chall[0].error, "urn:ietf:params:acme:error:dns"));
	kk_authz_clear(&a);
	expect_status(&acct1, o.id, "invalid");
	kk_order_clear(&o);
}

/* dns-01 end to end through a worker: the TXT record at _acme-challenge carries the
 * SHA-256 of the key authorization; the validation record names BR 3.2.2.4.7, the policy's
 * BR version, the record and the resolver's DNSSEC verdict (AD=1: secure). */
static void
test_dns01_worker(void **state)
{
	fake_answer txt[1];
	unsigned char md[32];
	char *ka = NULL, *digest = NULL, rr[200];
	kk_order o;
	kk_authz a;
	kk_challenge c;
	size_t i;
	kk_err e;

	(void)state;
	new_order(&acct1, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"*.txt.example.jp\"}]}",
	    &o);
	assert_int_equal(kk_ra_authz(ra, &acct1, o.authz_ids[0], &a, &e), 0);
	i = chall_of(&a, "dns-01");
	ka = kk_printf("%s.%s", a.chall[i].token, acct1.thumbprint);
	assert_non_null(ka);
	SHA256((const unsigned char *)ka, strlen(ka), md);
	assert_int_equal(kk_b64url_encode(md, sizeof(md), &digest), 0);
	snprintf(rr, sizeof(rr), "_acme-challenge.txt.example.jp. 60 IN TXT \"%s\"", digest);
	memset(txt, 0, sizeof(txt));
	txt[0].qname = "_acme-challenge.txt.example.jp";
	txt[0].qtype = LDNS_RR_TYPE_TXT;
	txt[0].rcode = LDNS_RCODE_NOERROR;
	txt[0].ad = 1;
	txt[0].rrs[0] = rr;
	fake_dns_script(txt, 1, 1);
	assert_int_equal(kk_ra_challenge(ra, &acct1, ACCT1_URL, a.chall[i].id, 1, &c, &e), 0);
	kk_challenge_clear(&c);
	kk_authz_clear(&a);
	wait_authz(o.authz_ids[0], &a);
	assert_string_equal(a.status, "valid");
	assert_int_equal(a.covers_subdomains, 1);
	assert_string_equal(a.chall[i].status, "valid");
	assert_string_equal(a.chall[i].br_method, "3.2.2.4.7");
	assert_string_equal(a.chall[i].br_version, cfg.policy.br_version);
	assert_string_equal(a.chall[i].dnssec, "secure");
	assert_string_equal(a.chall[i].account_uri, ACCT1_URL);
	assert_non_null(strstr(a.chall[i].checked, "_acme-challenge.txt.example.jp"));
	kk_authz_clear(&a);
	expect_status(&acct1, o.id, "ready");
	fake_dns_script(NULL, 0, 0);
	assert_int_equal(kk_store_check(kk_ra_store(ra), &e), 0);
	free(ka);
	free(digest);
	kk_order_clear(&o);
}

/* CP 4.2.4: CAA is checked for every name at finalize. A record naming another CA, or a
 * CAA lookup that fails, refuses: the order becomes invalid with the problem and nothing
 * is reserved or signed. */
static void
test_caa_at_finalize(void **state)
{
	static const fake_answer other[] = {
		{ "caa.example.jp", LDNS_RR_TYPE_CAA, LDNS_RCODE_NOERROR, 0, 0, NULL,
		  {"caa.example.jp. 60 IN CAA 0 issue \"otherca.example\"", NULL} },
		{ "fail.example.jp", LDNS_RR_TYPE_CAA, LDNS_RCODE_SERVFAIL, 0, 6, "bogus", {NULL} },
	};
	static const char *names[] = { "caa.example.jp", "fail.example.jp" };
	unsigned char *csr = NULL;
	size_t i, len;
	kk_order o;
	kk_cert cert;
	kk_err e;

	(void)state;
	fake_dns_script(other, 2, 0);
	for (i = 0; i < 2; i++) {
		char json[200];

		snprintf(json, sizeof(json), "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"%s\"}]}",
		    names[i]);
		new_order(&acct1, json, &o);
		validate_ok(o.authz_ids[0]);
		expect_status(&acct1, o.id, "ready");
		csr = make_csr(&names[i], 1, &len);
		assert_int_equal(kk_ra_finalize(ra, &acct1, ACCT1_URL, o.id, csr, len, &e), -1);
		assert_int_equal(e.kind, i == 0 ? KK_ERR_CAA : KK_ERR_DNS);
		assert_non_null(strstr(e.detail, i == 0 ? "otherca.example" : "SERVFAIL"));
		expect_status(&acct1, o.id, "invalid");
		assert_int_equal(kk_store_cert_by_order(kk_ra_store(ra), o.id, &cert, &e), -1);
		assert_int_equal(e.kind, KK_ERR_NOT_FOUND);
		free(csr);
		kk_order_clear(&o);
	}
	fake_dns_script(NULL, 0, 0);
	assert_int_equal(kk_store_check(kk_ra_store(ra), &e), 0);
}


/* draft-aaron-acme-profiles: newOrder names a policy profile (default "ov"); ov-short
 * caps validity at 47 days, below the CP/BR maximum for the date; an unknown profile is
 * invalidProfile and creates nothing. */
static void
test_profiles(void **state)
{
	static const char *name = "profile.example.jp";
	unsigned char *csr;
	size_t len;
	kk_order o, cur;
	kk_cert c;
	json_t *p;
	kk_err e;

	(void)state;
	p = json_loads("{\"identifiers\":[{\"type\":\"dns\",\"value\":\"x.example.jp\"}],"
	    "\"profile\":\"no-such\"}", 0, NULL);
	assert_int_equal(kk_ra_new_order(ra, &acct1, p, &o, &e), -1);
	assert_int_equal(e.kind, KK_ERR_INVALID_PROFILE);
	json_decref(p);
	new_order(&acct1, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"plain.example.jp\"}]}",
	    &o);
	assert_string_equal(o.profile, "ov");
	kk_order_clear(&o);
	new_order(&acct1, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"profile.example.jp\"}],"
	    "\"profile\":\"ov-short\"}", &o);
	assert_string_equal(o.profile, "ov-short");
	validate_ok(o.authz_ids[0]);
	csr = make_csr(&name, 1, &len);
	assert_int_equal(kk_ra_finalize(ra, &acct1, ACCT1_URL, o.id, csr, len, &e), 0);
	assert_int_equal(kk_ra_order(ra, &acct1, o.id, &cur, &e), 0);
	assert_string_equal(cur.status, "valid");
	assert_string_equal(cur.profile, "ov-short");
	assert_int_equal(kk_store_cert_get(kk_ra_store(ra), cur.cert_serial, &c, &e), 0);
	/* BR 6.3.2 counts both ends: 47 days = 47 * 86400 seconds inclusive */
	assert_int_equal(c.not_after - c.not_before + 1, 47 * DAY);
	assert_true(kk_policy_validity_days(&cfg.policy, kk_now()) > 47);
	kk_cert_clear(&c);
	kk_order_clear(&cur);
	kk_order_clear(&o);
	free(csr);
}

/* CP 3.2.7: a random value older than 30 days is never accepted. */
static void
test_token_lifetime(void **state)
{
	kk_order o;
	kk_authz a;
	kk_err e;

	(void)state;
	new_order(&acct1, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"old.example.jp\"}]}",
	    &o);
	assert_int_equal(kk_ra_authz(ra, &acct1, o.authz_ids[0], &a, &e), 0);
	assert_int_equal(kk_store_challenge_start(kk_ra_store(ra), a.chall[0].id, NULL, &e), 0);
	kk_clock_set(t0 + 31 * DAY);
	kk_ra_validate(ra, a.chall[0].id);
	kk_clock_set(t0);
	kk_authz_clear(&a);
	assert_int_equal(kk_store_authz_get(kk_ra_store(ra), o.authz_ids[0], &a, &e), 0);
	assert_string_equal(a.chall[0].status, "invalid");
	if (strstr(a.chall[0].error, "CP 3.2.7") == NULL)
		fail_msg("error: %s", a.chall[0].error);
	kk_authz_clear(&a);
	kk_order_clear(&o);
}

static void
test_accounts(void **state)
{
	kk_account a, b;
	int created = 1;
	int64_t other = 0;
	json_t *bad = json_loads("[\"mailto:a@b@c.jp\"]", 0, NULL);
	json_t *tel = json_loads("[\"tel:+81312345678\"]", 0, NULL);
	json_t *good = json_loads("[\"mailto:ops@example.jp\"]", 0, NULL);
	kk_err e;

	(void)state;
	/* the same key returns the same account */
	assert_int_equal(kk_ra_new_account(ra, "{}", "thumb-1", NULL, 0, NULL, &a, &created, &e), 0);
	assert_int_equal(created, 0);
	assert_int_equal(a.id, acct1.id);
	kk_account_clear(&a);
	assert_int_equal(kk_ra_new_account(ra, "{}", "thumb-x", NULL, 1, NULL, &a, &created, &e), -1);
	assert_int_equal(e.kind, KK_ERR_ACCOUNT_DOES_NOT_EXIST);
	assert_int_equal(kk_ra_new_account(ra, "{}", "thumb-x", bad, 0, NULL, &a, &created, &e), -1);
	assert_int_equal(e.kind, KK_ERR_INVALID_CONTACT);
	assert_int_equal(kk_ra_new_account(ra, "{}", "thumb-x", tel, 0, NULL, &a, &created, &e), -1);
	assert_int_equal(e.kind, KK_ERR_UNSUPPORTED_CONTACT);
	assert_int_equal(kk_ra_new_account(ra, "{}", "thumb-3", good, 0, NULL, &a, &created, &e), 0);
	assert_string_equal(a.contact, "[\"mailto:ops@example.jp\"]");
	/* key change to a key in use is a conflict naming the other account */
	assert_int_equal(kk_ra_key_change(ra, &a, "{}", "thumb-2", &other, &e), -1);
	assert_int_equal(e.kind, KK_ERR_CONFLICT);
	assert_int_equal(other, acct2.id);
	assert_int_equal(kk_ra_key_change(ra, &a, "{\"new\":1}", "thumb-4", &other, &e), 0);
	assert_string_equal(a.thumbprint, "thumb-4");
	/* deactivation ends the account */
	assert_int_equal(kk_ra_update_account(ra, &a, NULL, "valid", &e), -1);
	assert_int_equal(kk_ra_update_account(ra, &a, NULL, "deactivated", &e), 0);
	assert_int_equal(kk_ra_account(ra, a.id, &b, &e), -1);
	assert_int_equal(e.kind, KK_ERR_UNAUTHORIZED);
	assert_int_equal(kk_ra_account(ra, 999999, &b, &e), -1);
	assert_int_equal(e.kind, KK_ERR_ACCOUNT_DOES_NOT_EXIST);
	kk_account_clear(&a);
	json_decref(bad);
	json_decref(tel);
	json_decref(good);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_order_rules),
		cmocka_unit_test(test_issue_and_reuse),
		cmocka_unit_test(test_wildcard_and_adn),
		cmocka_unit_test(test_dns01_worker),
		cmocka_unit_test(test_caa_at_finalize),
		cmocka_unit_test(test_profiles),
		cmocka_unit_test(test_resume_planned),
		cmocka_unit_test(test_resume_unplanned),
		cmocka_unit_test(test_validation_worker),
		cmocka_unit_test(test_token_lifetime),
		cmocka_unit_test(test_accounts),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
