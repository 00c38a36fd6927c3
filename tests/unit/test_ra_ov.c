/*
 * RA and OV vetting together (CP 3.2.2, 3.2.5, 4.2; BR 3.2.2.4.16/.17): EAB binding,
 * orders held until two reviewers approve, rejection, phone methods completed by a
 * reviewer (fixture: ra_fixture.h).
 */
#include "ra_fixture.h"

/* reviewers: a verifies, b approves (the two persons of CP 4.2) */
static int64_t rev_a, rev_b;


static void
ov_setup(void)
{
	char docs[600];
	kk_err e;

	if (rv != NULL)
		return;
	snprintf(docs, sizeof(docs), "%s/documents", dir);
	assert_int_equal(kk_review_open(&rv, kk_ra_store(ra), &cfg.policy, docs, &e), 0);
	assert_int_equal(kk_review_user_add(rv, 0, "ra-alice", KK_ROLE_REVIEWER,
	    "alice-password-123", &rev_a, &e), 0);
	assert_int_equal(kk_review_user_add(rv, 0, "ra-bob", KK_ROLE_APPROVER,
	    "bob-password-1234", &rev_b, &e), 0);
}

/* An organization in review with identity and authority evidence. */
static int64_t
ov_org(const char *name)
{
	kk_orgrec o;
	kk_evidence ev;
	int64_t id, evid;
	kk_err e;

	memset(&o, 0, sizeof(o));
	snprintf(o.name, sizeof(o.name), "%s", name);
	strcpy(o.locality, "Chiyoda-ku");
	strcpy(o.state, "Tokyo");
	assert_int_equal(kk_review_org_create(rv, rev_a, &o, &id, &e), 0);
	memset(&ev, 0, sizeof(ev));
	strcpy(ev.kind, "registry");
	strcpy(ev.source, "corporate number registry");
	assert_int_equal(kk_review_evidence_add(rv, rev_a, id, &ev, NULL, 0, &evid, &e), 0);
	strcpy(ev.kind, "authority");
	strcpy(ev.source, "call to the authorizer");
	assert_int_equal(kk_review_evidence_add(rv, rev_a, id, &ev, NULL, 0, &evid, &e), 0);
	return id;
}

/* The RFC 8555 7.3.4 binding a client would send for the account key thumb, MACed with
 * the EAB key (base64url) hmac_b64; wrong != 0 flips one MAC bit. */
static void
ov_eab(const char *kid, const char *hmac_b64, int wrong, kk_eab_req *req, char **input,
    unsigned char *mac, unsigned int *mac_len)
{
	unsigned char *key = NULL;
	size_t key_len = 0;

	assert_int_equal(kk_b64url_decode(hmac_b64, strlen(hmac_b64), &key, &key_len), 0);
	*input = kk_printf("e30.e30"); /* the RA checks the MAC over what was sent */
	assert_non_null(HMAC(EVP_sha256(), key, (int)key_len, (unsigned char *)*input,
	    strlen(*input), mac, mac_len));
	mac[0] ^= wrong ? 1 : 0;
	free(key);
	req->kid = kid;
	req->alg = "HS256";
	req->signing_input = *input;
	req->mac = mac;
	req->mac_len = *mac_len;
}

/* CP 3.2.2 / 4.2: EAB binds an account to its organization (a wrong MAC or a revoked
 * key binds nothing); an order of an organization in review is held in processing and
 * issued by the sweeper once two different reviewers approved, with the organization's
 * subject; a rejected organization's held order becomes invalid with subproblems. */
static void
test_ov_eab_and_held_orders(void **state)
{
	char kid[40], hmac[64], *input = NULL;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len;
	kk_eab_req eab;
	kk_account acct, a2;
	kk_order o;
	kk_cert cert;
	unsigned char *csr;
	size_t len;
	int64_t org, org2;
	int created, i;
	X509 *x;
	const unsigned char *p;
	char subj[512];
	kk_err e;

	(void)state;
	ov_setup();
	org = ov_org("OV Test K.K.");
	assert_int_equal(kk_review_eab_create(rv, 0, org, kid, hmac, &e), -1); /* admin only */
	{
		int64_t admin;
		assert_int_equal(kk_review_user_add(rv, 0, "ra-root", KK_ROLE_ADMIN,
		    "root-password-123", &admin, &e), 0);
		assert_int_equal(kk_review_eab_create(rv, admin, org, kid, hmac, &e), 0);
	}
	/* a wrong MAC creates nothing */
	ov_eab(kid, hmac, 1, &eab, &input, mac, &mac_len);
	assert_int_equal(kk_ra_new_account(ra, "{}", "thumb-ov", NULL, 0, &eab, &acct, &created,
	    &e), -1);
	assert_int_equal(e.kind, KK_ERR_UNAUTHORIZED);
	assert_non_null(strstr(e.detail, "MAC"));
	assert_int_equal(kk_store_account_by_thumbprint(kk_ra_store(ra), "thumb-ov", &acct, &e),
	    -1);
	free(input);
	/* the right MAC binds the account to the organization */
	ov_eab(kid, hmac, 0, &eab, &input, mac, &mac_len);
	assert_int_equal(kk_ra_new_account(ra, "{}", "thumb-ov", NULL, 0, &eab, &acct, &created,
	    &e), 0);
	assert_int_equal(created, 1);
	assert_int_equal(acct.org_id, org);
	assert_string_equal(acct.eab_kid, kid);
	/* held: the organization is only in review */
	new_order(&acct, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"ov.example.jp\"}]}", &o);
	validate_ok(o.authz_ids[0]);
	csr = make_csr((const char *[]){"ov.example.jp"}, 1, &len);
	assert_int_equal(kk_ra_finalize(ra, &acct, ACCT1_URL, o.id, csr, len, &e), 0);
	{
		int64_t id = o.id;

		kk_order_clear(&o);
		assert_int_equal(kk_ra_order(ra, &acct, id, &o, &e), 0);
	}
	assert_string_equal(o.status, "processing");
	assert_int_equal(o.held, 1);
	/* two-person rule: the verifier cannot approve */
	assert_int_equal(kk_review_org_verify(rv, rev_a, org, "checked", &e), 0);
	assert_int_equal(kk_review_org_approve(rv, rev_a, org, NULL, &e), -1);
	sleep(2);
	expect_status(&acct, o.id, "processing");
	assert_int_equal(kk_review_org_approve(rv, rev_b, org, "second look", &e), 0);
	for (i = 0; i < 100; i++) {
		kk_order cur;

		assert_int_equal(kk_ra_order(ra, &acct, o.id, &cur, &e), 0);
		if (strcmp(cur.status, "processing") != 0) {
			assert_string_equal(cur.status, "valid");
			assert_int_equal(kk_store_cert_get(kk_ra_store(ra), cur.cert_serial, &cert,
			    &e), 0);
			kk_order_clear(&cur);
			break;
		}
		kk_order_clear(&cur);
		usleep(100000);
	}
	assert_true(i < 100);
	p = cert.der;
	x = d2i_X509(NULL, &p, (long)cert.der_len);
	assert_non_null(x);
	X509_NAME_oneline(X509_get_subject_name(x), subj, sizeof(subj));
	assert_non_null(strstr(subj, "/O=OV Test K.K."));
	assert_non_null(strstr(subj, "/L=Chiyoda-ku"));
	assert_non_null(strstr(subj, "/ST=Tokyo"));
	X509_free(x);
	kk_cert_clear(&cert);
	kk_order_clear(&o);
	free(input);

	/* rejection: the held order becomes invalid with a subproblem per name */
	org2 = ov_org("Rejected K.K.");
	{
		kk_account b = { 0 };
		b.jwk = "{}";
		b.thumbprint = "thumb-ov2";
		b.contact = "[]";
		b.org_id = org2;
		assert_int_equal(kk_store_account_create(kk_ra_store(ra), &b, &e), 0);
		assert_int_equal(kk_ra_account(ra, b.id, &a2, &e), 0);
	}
	new_order(&a2, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"rej.example.jp\"}]}", &o);
	validate_ok(o.authz_ids[0]);
	free(csr);
	csr = make_csr((const char *[]){"rej.example.jp"}, 1, &len);
	assert_int_equal(kk_ra_finalize(ra, &a2, ACCT1_URL, o.id, csr, len, &e), 0);
	expect_status(&a2, o.id, "processing");
	assert_int_equal(kk_review_org_reject(rv, rev_a, org2, "company dissolved", &e), 0);
	for (i = 0; i < 100; i++) {
		kk_order cur;

		assert_int_equal(kk_ra_order(ra, &a2, o.id, &cur, &e), 0);
		if (strcmp(cur.status, "invalid") == 0) {
			assert_non_null(cur.error);
			assert_non_null(strstr(cur.error, "company dissolved"));
			assert_non_null(strstr(cur.error, "subproblems"));
			assert_non_null(strstr(cur.error, "rej.example.jp"));
			kk_order_clear(&cur);
			break;
		}
		kk_order_clear(&cur);
		usleep(100000);
	}
	assert_true(i < 100);
	/* a revoked key binds no new account */
	{
		int64_t admin = 0;
		kk_reviewer r;

		assert_int_equal(kk_review_login(rv, "ra-root", "root-password-123", &r, &e), 0);
		admin = r.id;
		assert_int_equal(kk_review_eab_revoke(rv, admin, kid, &e), 0);
	}
	ov_eab(kid, hmac, 0, &eab, &input, mac, &mac_len);
	kk_account_clear(&acct);
	assert_int_equal(kk_ra_new_account(ra, "{}", "thumb-ov3", NULL, 0, &eab, &acct, &created,
	    &e), -1);
	assert_int_equal(e.kind, KK_ERR_UNAUTHORIZED);
	free(input);
	free(csr);
	kk_order_clear(&o);
	kk_account_clear(&a2);
	assert_int_equal(kk_store_check(kk_ra_store(ra), &e), 0);
}

/* CP 3.2.7 (8)/(9), BR 3.2.2.4.16/.17: a phone challenge looks up the number the domain
 * publishes and waits for a reviewer's call; the recorded outcome decides it, with the
 * BR method in the validation record. No published number: invalid at once. */
static void
test_phone_methods(void **state)
{
	static const fake_answer phones[] = {
		{ "_validation-contactphone.phone.example.jp", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR,
		  0, 0, NULL, {"_validation-contactphone.phone.example.jp. 60 IN TXT "
		  "\"+81 3 1234 5678\"", NULL} },
		{ "caaphone.example.jp", LDNS_RR_TYPE_CAA, LDNS_RCODE_NOERROR, 0, 0, NULL,
		  {"caaphone.example.jp. 60 IN CAA 0 contactphone \"+81-6-1111-2222\"", NULL} },
	};
	static const struct {
		const char *name, *type, *phone, *br;
	} cases[] = {
		{ "phone.example.jp", "phone-txt-01", "+81 3 1234 5678", "3.2.2.4.16" },
		{ "caaphone.example.jp", "phone-caa-01", "+81-6-1111-2222", "3.2.2.4.17" },
		{ "nophone.example.jp", "phone-txt-01", NULL, NULL },
	};
	kk_task *tasks = NULL;
	size_t ntasks = 0, i, j, k;
	kk_order o;
	kk_authz a;
	kk_challenge c;
	char json[200];
	kk_err e;

	(void)state;
	ov_setup();
	fake_dns_script(phones, 2, 0);
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		snprintf(json, sizeof(json), "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"%s\"}]}",
		    cases[k].name);
		new_order(&acct1, json, &o);
		assert_int_equal(kk_ra_authz(ra, &acct1, o.authz_ids[0], &a, &e), 0);
		i = chall_of(&a, cases[k].type);
		assert_int_equal(kk_ra_challenge(ra, &acct1, ACCT1_URL, a.chall[i].id, 1, &c, &e), 0);
		kk_challenge_clear(&c);
		if (cases[k].phone == NULL) {
			kk_authz_clear(&a);
			wait_authz(o.authz_ids[0], &a);
			assert_string_equal(a.status, "invalid");
			assert_non_null(strstr(a.chall[i].error,
			    "_validation-contactphone.nophone.example.jp"));
			kk_authz_clear(&a);
			kk_order_clear(&o);
			continue;
		}
		/* the worker queues a task and leaves the challenge processing */
		for (j = 0; j < 100; j++) {
			free(tasks);
			tasks = NULL;
			assert_int_equal(kk_review_task_list(rv, "open", &tasks, &ntasks, &e), 0);
			if (ntasks > 0 && tasks[ntasks - 1].challenge_id == a.chall[i].id)
				break;
			usleep(50000);
		}
		assert_true(j < 100);
		assert_string_equal(tasks[ntasks - 1].phone, cases[k].phone);
		assert_string_equal(tasks[ntasks - 1].domain, cases[k].name);
		assert_string_equal(tasks[ntasks - 1].br_method, cases[k].br);
		assert_string_equal(tasks[ntasks - 1].random_value, a.chall[i].token);
		kk_authz_clear(&a);
		assert_int_equal(kk_ra_authz(ra, &acct1, o.authz_ids[0], &a, &e), 0);
		assert_string_equal(a.status, "pending");
		assert_string_equal(a.chall[i].status, "processing");
		kk_authz_clear(&a);
		assert_int_equal(kk_review_task_complete(rv, rev_a, tasks[ntasks - 1].id, 1,
		    "confirmed by the domain contact", &e), 0);
		assert_int_equal(kk_ra_authz(ra, &acct1, o.authz_ids[0], &a, &e), 0);
		assert_string_equal(a.status, "valid");
		assert_string_equal(a.chall[i].br_method, cases[k].br);
		assert_non_null(strstr(a.chall[i].checked, cases[k].phone));
		kk_authz_clear(&a);
		expect_status(&acct1, o.id, "ready");
		kk_order_clear(&o);
	}
	free(tasks);
	fake_dns_script(NULL, 0, 0);
	assert_int_equal(kk_store_check(kk_ra_store(ra), &e), 0);
}

/* An account of a new organization that two reviewers approved. */
static void
ov_approved_account(const char *org_name, const char *thumb, kk_account *out)
{
	kk_account b = { 0 };
	int64_t org = ov_org(org_name);
	kk_err e;

	assert_int_equal(kk_review_org_verify(rv, rev_a, org, NULL, &e), 0);
	assert_int_equal(kk_review_org_approve(rv, rev_b, org, NULL, &e), 0);
	b.jwk = "{}";
	b.thumbprint = (char *)thumb;
	b.contact = "[]";
	b.org_id = org;
	assert_int_equal(kk_store_account_create(kk_ra_store(ra), &b, &e), 0);
	assert_int_equal(kk_ra_account(ra, b.id, out, &e), 0);
}

/* Finalizes a one-name order of acct (validated by TEST_REC) and returns its id. */
static int64_t
ov_finalize(kk_account *acct, const char *name)
{
	char json[200];
	unsigned char *csr;
	size_t len;
	kk_order o;
	int64_t id;
	kk_err e;

	snprintf(json, sizeof(json), "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"%s\"}]}",
	    name);
	new_order(acct, json, &o);
	validate_ok(o.authz_ids[0]);
	csr = make_csr(&name, 1, &len);
	assert_int_equal(kk_ra_finalize(ra, acct, ACCT1_URL, o.id, csr, len, &e), 0);
	id = o.id;
	free(csr);
	kk_order_clear(&o);
	return id;
}

/* The open order task of order_id, or fails. */
static kk_task
ov_order_task(int64_t order_id)
{
	kk_task *t = NULL, found;
	size_t n = 0, i;
	kk_err e;

	memset(&found, 0, sizeof(found));
	assert_int_equal(kk_review_task_list(rv, "open", &t, &n, &e), 0);
	for (i = 0; i < n; i++)
		if (strcmp(t[i].kind, "order") == 0 && t[i].order_id == order_id)
			found = t[i];
	free(t);
	assert_int_equal(found.order_id, order_id);
	return found;
}

/* Waits until the sweeper moved order id out of processing; its status must be want. */
static void
ov_wait_order(kk_account *acct, int64_t id, const char *want)
{
	int i;

	for (i = 0; i < 100; i++) {
		kk_order cur;
		kk_err e;
		int done;

		assert_int_equal(kk_ra_order(ra, acct, id, &cur, &e), 0);
		done = strcmp(cur.status, "processing") != 0;
		if (done)
			assert_string_equal(cur.status, want);
		kk_order_clear(&cur);
		if (done)
			return;
		usleep(100000);
	}
	fail_msg("order %lld still processing", (long long)id);
}

/* Policy ov.review_new_domains: an approved organization's order for a registrable
 * domain (Public Suffix List: example.co.jp under co.jp) no reviewer accepted yet waits
 * for an order task; acceptance issues it and covers later orders for names under the
 * same domain (also wildcards); a refusal makes the order invalid with the note. */
static void
test_order_review(void **state)
{
	char docs[600];
	kk_account acct;
	kk_task t;
	int64_t id;
	kk_err e;

	(void)state;
	ov_setup();
	/* restart the RA with the policy switch on (the RA keeps its own copy) */
	kk_review_close(rv);
	kk_ra_close(ra);
	cfg.policy.review_new_domains = 1;
	assert_int_equal(kk_ra_open(&ra, &cfg, &e), 0);
	snprintf(docs, sizeof(docs), "%s/documents", dir);
	assert_int_equal(kk_review_open(&rv, kk_ra_store(ra), &cfg.policy, docs, &e), 0);

	ov_approved_account("Review Domains K.K.", "thumb-rd", &acct);
	id = ov_finalize(&acct, "www.shop.example.co.jp");
	expect_status(&acct, id, "processing");
	t = ov_order_task(id);
	assert_string_equal(t.domain, "example.co.jp");
	assert_int_equal(t.org_id, acct.org_id);
	/* a reviewer role is enough; a refusal needs a note */
	assert_int_equal(kk_review_task_complete(rv, rev_a, t.id, 0, NULL, &e), -1);
	assert_int_equal(kk_review_task_complete(rv, rev_a, t.id, 1, "the organization's shop "
	    "domain", &e), 0);
	ov_wait_order(&acct, id, "valid");
	/* accepted: later orders under example.co.jp are issued at finalize */
	id = ov_finalize(&acct, "api.example.co.jp");
	expect_status(&acct, id, "valid");
	id = ov_finalize(&acct, "*.wild.example.co.jp");
	expect_status(&acct, id, "valid");
	/* another registrable domain waits again; refused -> invalid with the note */
	id = ov_finalize(&acct, "unrelated.example.org");
	t = ov_order_task(id);
	assert_string_equal(t.domain, "example.org");
	assert_int_equal(kk_review_task_complete(rv, rev_a, t.id, 0, "not the organization's "
	    "domain", &e), 0);
	ov_wait_order(&acct, id, "invalid");
	{
		kk_order o;

		assert_int_equal(kk_ra_order(ra, &acct, id, &o, &e), 0);
		assert_non_null(strstr(o.error, "not the organization's domain"));
		kk_order_clear(&o);
	}
	kk_account_clear(&acct);
	assert_int_equal(kk_store_check(kk_ra_store(ra), &e), 0);
}

static void
test_accounts_exist(void **state)
{
	(void)state;
	make_account("thumb-1", &acct1);
	make_account("thumb-2", &acct2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accounts_exist),
		cmocka_unit_test(test_ov_eab_and_held_orders),
		cmocka_unit_test(test_phone_methods),
		cmocka_unit_test(test_order_review),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
