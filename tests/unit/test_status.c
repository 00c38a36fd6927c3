/*
 * The CRL publisher and OCSP responder (src/crl.c, src/ocsp.c, src/status.c) on real
 * certificates issued through the RA fixture: CRL entries (revoked yes, expired and good
 * no), CRL numbers, signatures checked with the issuing key; OCSP good / revoked /
 * unknown for SHA-1 and SHA-256 CertIDs, malformedRequest, unauthorized; the HTTP
 * handler; the responder certificate (CP table 7.1-2). Revocation is written straight
 * into the database (the revocation module comes separately). The responses kept in
 * memory never outlive a revocation; the store's work lists for the publisher.
 */
#include "ra_fixture.h"
#include "kk_test_sql.h"
#include <openssl/ocsp.h>
#include <openssl/sha.h>
#include "../../src/status_internal.h"
#include "wfe.h"

static char serial[4][41];  /* good, revoked (keyCompromise), revoked (unspecified), expired */
static X509 *leaf[4];

/* Issues a certificate for name through the RA; its serial and certificate. */
static void
issue(const char *name, char out[41], X509 **x)
{
	kk_order o;
	kk_cert c;
	unsigned char *csr;
	const unsigned char *p;
	size_t len;
	kk_err e;

	ready_order(name, &o, &csr, &len);
	if (kk_ra_finalize(ra, &acct1, ACCT1_URL, o.id, csr, len, &e) != 0)
		fail_msg("finalize: %s", e.detail);
	free(csr);
	{
		int64_t id = o.id;
		kk_order_clear(&o);
		assert_int_equal(kk_ra_order(ra, &acct1, id, &o, &e), 0);
	}
	snprintf(out, 41, "%s", o.cert_serial);
	assert_int_equal(kk_store_cert_get(kk_ra_store(ra), out, &c, &e), 0);
	p = c.der;
	assert_non_null(*x = d2i_X509(NULL, &p, (long)c.der_len));
	kk_cert_clear(&c);
	kk_order_clear(&o);
}

/* SQL straight into the data dir's database (a second connection, as another process
 * would). */
static void
sql(const char *q)
{
	kk_test_sql_exec(cfg.paths.db, q);
}

static int
setup(void **state)
{
	char q[300];

	if (group_setup(state) != 0)
		return -1;
	make_account("status-thumb-1", &acct1);
	issue("good.example.jp", serial[0], &leaf[0]);
	issue("compromised.example.jp", serial[1], &leaf[1]);
	issue("unspecified.example.jp", serial[2], &leaf[2]);
	issue("expired.example.jp", serial[3], &leaf[3]);
	snprintf(q, sizeof(q), "UPDATE certificates SET status = 'revoked', revoked_at = %lld, "
	    "revoked_reason = 1 WHERE serial = '%s'", (long long)t0 + 10, serial[1]);
	sql(q);
	snprintf(q, sizeof(q), "UPDATE certificates SET status = 'revoked', revoked_at = %lld "
	    "WHERE serial IN ('%s', '%s')", (long long)t0 + 20, serial[2], serial[3]);
	sql(q);
	/* an expired revoked certificate leaves the CRL (CP 4.9.6) */
	snprintf(q, sizeof(q), "UPDATE certificates SET not_after = %lld WHERE serial = '%s'",
	    (long long)t0 + 30, serial[3]);
	sql(q);
	kk_clock_set(t0 + DAY);
	return 0;
}

static int
teardown(void **state)
{
	int i;

	for (i = 0; i < 4; i++)
		X509_free(leaf[i]);
	return group_teardown(state);
}

static X509 *
issuing(void)
{
	return (X509 *)kk_ca_issuing_cert(kk_ra_ca(ra));
}

/* The CRL entry for hex serial s, or NULL. */
static X509_REVOKED *
crl_entry(X509_CRL *crl, const char *s)
{
	X509_REVOKED *r = NULL;
	BIGNUM *bn = NULL;
	ASN1_INTEGER *sn;

	assert_int_equal(BN_hex2bn(&bn, s), (int)strlen(s));
	sn = BN_to_ASN1_INTEGER(bn, NULL);
	if (X509_CRL_get0_by_serial(crl, &r, sn) != 1)
		r = NULL;
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	return r;
}

static X509_CRL *
parse_crl(const kk_signed *c)
{
	const unsigned char *p = c->der;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)c->der_len);

	assert_non_null(crl);
	return crl;
}

/* status_crl_issue at now into c. The publisher thread also issues CRLs (setup's
 * revocations change the count it watches) and may take the same CRL number at the same
 * moment: the store refuses the second (KK_ERR_CONFLICT), and the next try gets the next
 * number. */
static void
issue_crl(time_t now, kk_signed *c)
{
	kk_err e;
	int tries;

	for (tries = 0; status_crl_issue(ra->status, now, c, &e) != 0; tries++) {
		if (e.kind != KK_ERR_CONFLICT || tries >= 5)
			fail_msg("status_crl_issue: %s", e.detail);
	}
}

static void
test_crl(void **state)
{
	kk_signed c1, c2;
	X509_CRL *crl, *crl2;
	X509_REVOKED *r;
	ASN1_ENUMERATED *reason;
	ASN1_INTEGER *n1, *n2;
	int crit;
	kk_err e;

	(void)state;
	issue_crl(kk_now(), &c1);
	crl = parse_crl(&c1);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(issuing())), 1);
	assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	assert_int_equal(X509_CRL_get_signature_nid(crl), NID_sha256WithRSAEncryption);
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuing())), 0);
	assert_int_equal(c1.next_update - c1.this_update, 96 * 3600);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_CRL_get0_nextUpdate(crl), c1.next_update), 0);
	{
		AUTHORITY_KEYID *akid = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier,
		    &crit, NULL);
		assert_non_null(akid);
		assert_int_equal(ASN1_OCTET_STRING_cmp(akid->keyid,
		    X509_get0_subject_key_id(issuing())), 0);
		AUTHORITY_KEYID_free(akid);
	}
	/* entries: both revoked unexpired ones, nothing else */
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 2);
	assert_null(crl_entry(crl, serial[0]));
	assert_null(crl_entry(crl, serial[3]));
	assert_non_null(r = crl_entry(crl, serial[1]));
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_REVOKED_get0_revocationDate(r), t0 + 10), 0);
	assert_non_null(reason = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, NULL));
	assert_int_equal(ASN1_ENUMERATED_get(reason), 1);
	ASN1_ENUMERATED_free(reason);
	assert_non_null(r = crl_entry(crl, serial[2]));
	assert_null(X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, NULL)); /* BR 7.2.2 */
	/* strictly increasing CRL numbers; the store's latest is the newest */
	issue_crl(kk_now() + 1, &c2);
	crl2 = parse_crl(&c2);
	n1 = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
	n2 = X509_CRL_get_ext_d2i(crl2, NID_crl_number, &crit, NULL);
	assert_non_null(n1);
	assert_non_null(n2);
	assert_true(ASN1_INTEGER_cmp(n2, n1) > 0);
	assert_int_equal(ASN1_INTEGER_get(n2), c2.number);
	assert_true(c2.number > c1.number);
	{
		kk_signed l;
		assert_int_equal(kk_store_crl_latest(kk_ra_store(ra), &l, &e), 0);
		assert_int_equal(l.number, c2.number);
		kk_signed_clear(&l);
	}
	ASN1_INTEGER_free(n1);
	ASN1_INTEGER_free(n2);
	X509_CRL_free(crl);
	X509_CRL_free(crl2);
	kk_signed_clear(&c1);
	kk_signed_clear(&c2);
}

/* DER OCSPRequest for ids, which it takes over. Caller frees the result. */
static unsigned char *
request(OCSP_CERTID **ids, int n, size_t *len)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	unsigned char *der = NULL;
	int i, l;

	for (i = 0; i < n; i++)
		assert_non_null(OCSP_request_add0_id(req, ids[i]));
	l = i2d_OCSP_REQUEST(req, &der);
	assert_true(l > 0);
	*len = (size_t)l;
	OCSP_REQUEST_free(req);
	return der;
}

/* Asks the responder; the OCSPResponse status, *bs (caller frees) when successful. */
static int
ask(const unsigned char *der, size_t len, OCSP_BASICRESP **bs)
{
	status_answer a;
	OCSP_RESPONSE *resp;
	const unsigned char *p;
	int st;
	kk_err e;

	assert_int_equal(status_ocsp_answer(ra->status, der, len, kk_now(), &a, &e), 0);
	p = a.r.der;
	assert_non_null(resp = d2i_OCSP_RESPONSE(NULL, &p, (long)a.r.der_len));
	st = OCSP_response_status(resp);
	assert_int_equal(a.cacheable, st == OCSP_RESPONSE_STATUS_SUCCESSFUL);
	if (bs != NULL)
		*bs = st == OCSP_RESPONSE_STATUS_SUCCESSFUL ? OCSP_response_get1_basic(resp) : NULL;
	OCSP_RESPONSE_free(resp);
	status_answer_clear(&a);
	return st;
}

/* The response verifies with the root as trust anchor (the issuing CA as an
 * intermediate) and the responder is the delegated one of table 7.1-2. */
static void
verify(OCSP_BASICRESP *bs)
{
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509) *other = sk_X509_new_null();
	X509 *root = NULL;
	FILE *f = fopen(cfg.paths.root_pem, "r");

	assert_non_null(f);
	assert_non_null(root = PEM_read_X509(f, NULL, NULL, NULL));
	fclose(f);
	X509_STORE_add_cert(store, root);
	/* the tests pin the clock; the certificates are valid at kk_now() */
	X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), kk_now());
	sk_X509_push(other, issuing());
	if (OCSP_basic_verify(bs, other, store, 0) != 1) {
		ERR_print_errors_fp(stderr);
		fail_msg("OCSP_basic_verify");
	}
	assert_int_equal(sk_X509_num(OCSP_resp_get0_certs(bs)), 1);
	X509_STORE_free(store);
	sk_X509_free(other);
	X509_free(root);
}

static void
test_ocsp_statuses(void **state)
{
	const EVP_MD *mds[2] = { EVP_sha1(), EVP_sha256() };
	int m, i, status, reason;
	ASN1_GENERALIZEDTIME *rev, *tu, *nu;

	(void)state;
	for (m = 0; m < 2; m++) {
		OCSP_CERTID *ids[4], *q[4];
		OCSP_BASICRESP *bs = NULL;
		unsigned char *der;
		size_t len;

		for (i = 0; i < 3; i++) {
			ids[i] = OCSP_cert_to_id(mds[m], leaf[i], issuing());
			q[i] = OCSP_CERTID_dup(ids[i]);
		}
		{
			/* a serial we never issued */
			ASN1_INTEGER *sn = ASN1_INTEGER_new();
			ASN1_INTEGER_set(sn, 424242);
			ids[3] = OCSP_cert_id_new(mds[m], X509_get_subject_name(issuing()),
			    X509_get0_pubkey_bitstr(issuing()), sn);
			q[3] = OCSP_CERTID_dup(ids[3]);
			ASN1_INTEGER_free(sn);
		}
		der = request(q, 4, &len);
		assert_int_equal(ask(der, len, &bs), OCSP_RESPONSE_STATUS_SUCCESSFUL);
		verify(bs);
		assert_int_equal(OCSP_resp_find_status(bs, ids[0], &status, &reason, &rev, &tu,
		    &nu), 1);
		assert_int_equal(status, V_OCSP_CERTSTATUS_GOOD);
		assert_int_equal(ASN1_TIME_cmp_time_t(tu, kk_now()), 0);
		assert_int_equal(ASN1_TIME_cmp_time_t(nu, kk_now() + KK_OCSP_VALIDITY), 0);
		assert_int_equal(OCSP_resp_find_status(bs, ids[1], &status, &reason, &rev, &tu,
		    &nu), 1);
		assert_int_equal(status, V_OCSP_CERTSTATUS_REVOKED);
		assert_int_equal(reason, 1);
		assert_int_equal(ASN1_TIME_cmp_time_t(rev, t0 + 10), 0);
		assert_int_equal(OCSP_resp_find_status(bs, ids[2], &status, &reason, &rev, &tu,
		    &nu), 1);
		assert_int_equal(status, V_OCSP_CERTSTATUS_REVOKED);
		assert_int_equal(reason, OCSP_REVOKED_STATUS_NOSTATUS);
		assert_int_equal(OCSP_resp_find_status(bs, ids[3], &status, &reason, &rev, &tu,
		    &nu), 1);
		assert_int_equal(status, V_OCSP_CERTSTATUS_UNKNOWN);
		OCSP_BASICRESP_free(bs);
		free(der);
		for (i = 0; i < 4; i++)
			OCSP_CERTID_free(ids[i]);
	}
}

/* The publisher pre-signed a SHA-1 response (RFC 5019) right after issuance, and a lone
 * request is served that one. */
static void
test_ocsp_presigned(void **state)
{
	OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), leaf[0], issuing());
	OCSP_CERTID *q = OCSP_CERTID_dup(id);
	OCSP_BASICRESP *bs = NULL;
	unsigned char *der;
	size_t len;
	int status, reason;
	ASN1_GENERALIZEDTIME *rev, *tu, *nu;
	kk_signed cached;
	kk_err e;
	int tries;

	(void)state;
	/* queued by the issuance, signed by the publisher thread within moments */
	for (tries = 0; kk_store_ocsp_get(kk_ra_store(ra), serial[0], &cached, &e) != 0;
	    tries++) {
		assert_true(tries < 200);
		usleep(25000);
	}
	assert_int_equal(cached.this_update, t0); /* the clock is pinned at issuance */
	kk_signed_clear(&cached);
	der = request(&q, 1, &len);
	assert_int_equal(ask(der, len, &bs), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	verify(bs);
	assert_int_equal(OCSP_resp_find_status(bs, id, &status, &reason, &rev, &tu, &nu), 1);
	assert_int_equal(status, V_OCSP_CERTSTATUS_GOOD);
	assert_int_equal(ASN1_TIME_cmp_time_t(tu, t0), 0); /* the cached one */
	OCSP_BASICRESP_free(bs);
	OCSP_CERTID_free(id);
	free(der);
}

static void
test_ocsp_refused(void **state)
{
	static const unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	OCSP_CERTID *id;
	ASN1_INTEGER *sn;
	unsigned char *der;
	size_t len;

	(void)state;
	assert_int_equal(ask(junk, sizeof(junk), NULL), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	assert_int_equal(ask((const unsigned char *)"x", 0, NULL),
	    OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	/* a CertID naming another issuer (our root) */
	sn = ASN1_INTEGER_dup(X509_get0_serialNumber(leaf[0]));
	id = OCSP_cert_id_new(EVP_sha1(), X509_get_issuer_name(issuing()),
	    X509_get0_pubkey_bitstr(leaf[0]), sn);
	der = request(&id, 1, &len);
	assert_int_equal(ask(der, len, NULL), OCSP_RESPONSE_STATUS_UNAUTHORIZED);
	free(der);
	ASN1_INTEGER_free(sn);
}

static void
test_http(void **state)
{
	kk_http_req req;
	kk_http_resp resp;
	/* request() takes the CertID */
	OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha256(), leaf[1], issuing());
	unsigned char *der;
	char *b64 = NULL, path[2048];
	size_t len, i;

	(void)state;
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.method = "GET";
	req.path = "/crl/issuing.crl";
	kk_status_http(ra->status, &req, &resp);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.content_type, "application/pkix-crl");
	kk_http_resp_clear(&resp);
	req.path = "/nothing";
	kk_status_http(ra->status, &req, &resp);
	assert_int_equal(resp.status, 404);
	kk_http_resp_clear(&resp);
	/* GET /ocsp/<base64>: standard alphabet, padding percent-encoded */
	der = request(&id, 1, &len);
	assert_int_equal(kk_b64url_encode(der, len, &b64), 0);
	for (i = 0; b64[i] != '\0'; i++)
		b64[i] = b64[i] == '-' ? '+' : b64[i] == '_' ? '/' : b64[i];
	snprintf(path, sizeof(path), "/ocsp/%s%s", b64, len % 3 == 1 ? "%3D%3D" :
	    len % 3 == 2 ? "%3D" : "");
	req.path = path;
	kk_status_http(ra->status, &req, &resp);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.content_type, "application/ocsp-response");
	assert_int_equal(resp.n_hdr, 4);
	assert_string_equal(resp.hdr[0].name, "Cache-Control");
	assert_non_null(strstr(resp.hdr[0].value, "max-age=172800"));
	assert_string_equal(resp.hdr[1].name, "ETag");
	assert_int_equal(strlen(resp.hdr[1].value), 66);
	kk_http_resp_clear(&resp);
	/* POST: no caching headers; a wrong media type is refused */
	req.method = "POST";
	req.path = "/ocsp";
	req.content_type = "application/ocsp-request";
	req.body = (const char *)der;
	req.body_len = len;
	kk_status_http(ra->status, &req, &resp);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.n_hdr, 0);
	kk_http_resp_clear(&resp);
	req.content_type = "text/plain";
	kk_status_http(ra->status, &req, &resp);
	assert_int_equal(resp.status, 415);
	kk_http_resp_clear(&resp);
	free(b64);
	free(der);
}

/* The status of a lone SHA-1 request for x (RFC 5019) into *status; the answer in *a
 * (caller clears). */
static void
ask_one(X509 *x, status_answer *a, int *status)
{
	OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), x, issuing());
	OCSP_CERTID *q = OCSP_CERTID_dup(id);
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *bs;
	const unsigned char *p;
	unsigned char *der;
	size_t len;
	int reason;
	ASN1_GENERALIZEDTIME *rev, *tu, *nu;
	kk_err e;

	der = request(&q, 1, &len);
	assert_int_equal(status_ocsp_answer(ra->status, der, len, kk_now(), a, &e), 0);
	p = a->r.der;
	assert_non_null(resp = d2i_OCSP_RESPONSE(NULL, &p, (long)a->r.der_len));
	assert_non_null(bs = OCSP_response_get1_basic(resp));
	verify(bs);
	assert_int_equal(OCSP_resp_find_status(bs, id, status, &reason, &rev, &tu, &nu), 1);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	OCSP_CERTID_free(id);
	free(der);
}

/* A pre-signed response is answered from memory with its RFC 5019 6.2 headers made
 * once; a revocation by another process never gets the stored "good" once the
 * response is no longer in memory (a response is pre-signed on demand instead), and
 * replaces the one in memory within a publisher round. */
static void
test_ocsp_memory(void **state)
{
	char sn[41], q[300], hex[2 * SHA256_DIGEST_LENGTH + 1], date[32];
	unsigned char md[SHA256_DIGEST_LENGTH];
	X509 *x = NULL;
	status_answer a, b;
	kk_signed stored;
	int status, tries;
	kk_err e;

	(void)state;
	issue("memory.example.jp", sn, &x);
	for (tries = 0; kk_store_ocsp_get(kk_ra_store(ra), sn, &stored, &e) != 0; tries++) {
		assert_true(tries < 200);
		usleep(25000);
	}
	ask_one(x, &a, &status);
	assert_int_equal(status, V_OCSP_CERTSTATUS_GOOD);
	assert_int_equal(a.cacheable, 1);
	/* the stored response, its ETag the SHA-256 of those bytes, dates from it */
	assert_int_equal(a.r.der_len, stored.der_len);
	assert_memory_equal(a.r.der, stored.der, stored.der_len);
	SHA256(a.r.der, a.r.der_len, md);
	kk_hex(md, sizeof(md), hex);
	assert_int_equal(strlen(a.etag), 66);
	assert_memory_equal(a.etag + 1, hex, 64);
	status_http_date(stored.this_update, date);
	assert_string_equal(a.last_modified, date);
	status_http_date(stored.next_update, date);
	assert_string_equal(a.expires, date);
	status_http_date(0, date);
	assert_string_equal(date, "Thu, 01 Jan 1970 00:00:00 GMT");
	ask_one(x, &b, &status);
	assert_string_equal(a.etag, b.etag);
	assert_memory_equal(a.r.der, b.r.der, a.r.der_len);
	status_answer_clear(&a);
	status_answer_clear(&b);
	kk_signed_clear(&stored);

	/* revoked by another process: the stored response says good, and is not used */
	snprintf(q, sizeof(q), "UPDATE certificates SET status = 'revoked', revoked_at = %lld, "
	    "revoked_reason = 1 WHERE serial = '%s'", (long long)kk_now(), sn);
	sql(q);
	status_ocsp_forget(ra->status, sn);
	ask_one(x, &a, &status);
	assert_int_equal(status, V_OCSP_CERTSTATUS_REVOKED);
	/* signed on demand and stored as the pre-signed response in place of the good one */
	assert_int_equal(kk_store_ocsp_get(kk_ra_store(ra), sn, &stored, &e), 0);
	assert_int_equal(stored.der_len, a.r.der_len);
	assert_memory_equal(stored.der, a.r.der, a.r.der_len);
	kk_signed_clear(&stored);
	ask_one(x, &b, &status);
	assert_memory_equal(b.r.der, a.r.der, a.r.der_len);
	status_answer_clear(&a);
	status_answer_clear(&b);
	/* another certificate's "good" in memory: replaced within a publisher round
	 * (WAKE_MAX), which re-signs responses older than a revocation */
	X509_free(x);
	issue("memory2.example.jp", sn, &x);
	for (tries = 0; kk_store_ocsp_get(kk_ra_store(ra), sn, &stored, &e) != 0; tries++) {
		assert_true(tries < 200);
		usleep(25000);
	}
	kk_signed_clear(&stored);
	ask_one(x, &a, &status);
	assert_int_equal(status, V_OCSP_CERTSTATUS_GOOD);
	status_answer_clear(&a);
	snprintf(q, sizeof(q), "UPDATE certificates SET status = 'revoked', revoked_at = %lld, "
	    "revoked_reason = 1 WHERE serial = '%s'", (long long)kk_now(), sn);
	sql(q);
	for (tries = 0;; tries++) {
		assert_true(tries < 150);
		ask_one(x, &a, &status);
		status_answer_clear(&a);
		if (status == V_OCSP_CERTSTATUS_REVOKED)
			break;
		usleep(100 * 1000);
	}
	X509_free(x);
}

/* The publisher's work lists on a store of its own (no publisher thread): due and
 * revoked-since responses by index, expired ones deleted, missing ones by a walk. */
static void
test_store_work_lists(void **state)
{
	static const time_t n = 2000000000;
	char dir[] = "/tmp/kk_status_XXXXXX", path[96], q[2048];
	char (*list)[41] = NULL, cursor[41] = "";
	size_t len = 0;
	kk_store *st = NULL;
	kk_signed r;
	kk_err e;
	int i;
	/* serial, status, not_after, revoked_at, this_update of a response (0: none) */
	static const struct {
		const char *serial, *status;
		time_t not_after, revoked_at, this_update;
	} rows[] = {
		{ "0a", "issued", n + 90 * DAY, 0, n - DAY },        /* due now */
		{ "0b", "issued", n + 90 * DAY, 0, n },              /* fresh */
		{ "0c", "revoked", n + 90 * DAY, n - 100, n - 200 }, /* older than its revocation */
		{ "0d", "revoked", n + 90 * DAY, n - 100, n - 50 },  /* re-signed since */
		{ "0e", "issued", n - 1, 0, n - DAY },               /* expired: deleted */
		{ "0f", "issued", n + 90 * DAY, 0, 0 },              /* missing */
		{ "10", "reserved", 0, 0, 0 },                       /* not a certificate yet */
		{ "11", "issued", n - 1, 0, 0 },                     /* expired, none */
		{ "12", "planned", n + 90 * DAY, 0, 0 },             /* precertificate: missing */
	};

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/kakuin.db", dir);
	assert_int_equal(kk_store_open(&st, path, &e), 0);
	for (i = 0; i < (int)(sizeof(rows) / sizeof(rows[0])); i++) {
		/* the accounts and orders are not there: the second connection does not
		 * enforce foreign keys */
		snprintf(q, sizeof(q), "INSERT INTO certificates (serial, status, tbs, der, "
		    "order_id, account_id, not_after, created, revoked_at, precert_der) VALUES "
		    "('%s', '%s', x'30', x'30', 1, 1, %lld, 0, nullif(%lld, 0), %s)",
		    rows[i].serial, rows[i].status, (long long)rows[i].not_after,
		    (long long)rows[i].revoked_at, i == 8 ? "x'30'" : "NULL");
		kk_test_sql_exec(path, q);
		if (rows[i].this_update == 0)
			continue;
		r.this_update = rows[i].this_update;
		r.next_update = rows[i].this_update + KK_OCSP_VALIDITY;
		r.der = (unsigned char *)"\x30\x03\x0a\x01\x00";
		r.der_len = 5;
		assert_int_equal(kk_store_ocsp_put(st, rows[i].serial, &r, &e), 0);
	}
	/* revocations first, then by refresh time; the expired one's response is gone */
	assert_int_equal(kk_store_ocsp_stale(st, n, 1, &list, &len, &e), 0);
	assert_int_equal(len, 1);
	assert_string_equal(list[0], "0c");
	free(list);
	assert_int_equal(kk_store_ocsp_stale(st, n, 10, &list, &len, &e), 0);
	assert_int_equal(len, 2);
	assert_string_equal(list[0], "0c");
	assert_string_equal(list[1], "0a");
	free(list);
	assert_int_equal(kk_test_sql_int(path, "SELECT count(*) FROM ocsp_responses WHERE "
	    "serial = '0e'"), 0);
	assert_int_equal(kk_test_sql_int(path, "SELECT count(*) FROM ocsp_responses"), 4);
	/* not due before half the validity */
	assert_int_equal(kk_store_ocsp_stale(st, n - 1, 10, &list, &len, &e), 0);
	assert_int_equal(len, 1);
	assert_string_equal(list[0], "0c");
	free(list);
	/* the walk: one at a time, then to the end */
	assert_int_equal(kk_store_ocsp_missing(st, n, cursor, 1, &list, &len, &e), 0);
	assert_int_equal(len, 1);
	assert_string_equal(list[0], "0f");
	assert_string_equal(cursor, "0f");
	free(list);
	assert_int_equal(kk_store_ocsp_missing(st, n, cursor, 1, &list, &len, &e), 0);
	assert_int_equal(len, 1);
	assert_string_equal(list[0], "12");
	free(list);
	assert_int_equal(kk_store_ocsp_missing(st, n, cursor, 1, &list, &len, &e), 0);
	assert_int_equal(len, 0);
	assert_null(list);
	assert_string_equal(cursor, "");
	assert_int_equal(kk_store_ocsp_missing(st, n, cursor, 10, &list, &len, &e), 0);
	assert_int_equal(len, 2);
	assert_string_equal(list[1], "12");
	assert_string_equal(cursor, "");
	free(list);
	kk_store_close(st);
	snprintf(q, sizeof(q), "rm -rf '%s'", dir);
	assert_int_equal(system(q), 0);
}

/* A revocation reaches the CRL within seconds (CP 4.9.7) and its OCSP response at once. */
static void
test_changed(void **state)
{
	kk_signed before, after, o;
	status_answer a;
	char q[300];
	int i, status;
	kk_err e;

	(void)state;
	assert_int_equal(kk_store_crl_latest(kk_ra_store(ra), &before, &e), 0);
	snprintf(q, sizeof(q), "UPDATE certificates SET status = 'revoked', revoked_at = %lld, "
	    "revoked_reason = 4 WHERE serial = '%s'", (long long)kk_now(), serial[0]);
	sql(q);
	ra_status_changed(ra, serial[0]);
	assert_int_equal(kk_store_ocsp_get(kk_ra_store(ra), serial[0], &o, &e), 0);
	assert_int_equal(o.this_update, kk_now());
	kk_signed_clear(&o);
	/* test_ocsp_presigned left its "good" in memory: gone at once */
	ask_one(leaf[0], &a, &status);
	assert_int_equal(status, V_OCSP_CERTSTATUS_REVOKED);
	status_answer_clear(&a);
	for (i = 0; i < 30; i++) {
		assert_int_equal(kk_store_crl_latest(kk_ra_store(ra), &after, &e), 0);
		if (after.number > before.number)
			break;
		kk_signed_clear(&after);
		usleep(100 * 1000);
	}
	assert_true(i < 30);
	{
		X509_CRL *crl = parse_crl(&after);
		assert_non_null(crl_entry(crl, serial[0]));
		X509_CRL_free(crl);
	}
	kk_signed_clear(&before);
	kk_signed_clear(&after);
	assert_int_equal(kk_status_changed(ra->status, "0123", &e), -1);
	assert_int_equal(e.kind, KK_ERR_NOT_FOUND);
}

/* The hand-written entries (src/crl.c) at their edges: a serial given with leading zero
 * digits and one whose first octet has the top bit set (X.690 8.3: minimal, positive),
 * revocation dates either side of 2050 (RFC 5280 4.1.2.5: UTCTime, then
 * GeneralizedTime), the reasonCode only when there is one; and once every revoked
 * certificate has expired, no revokedCertificates at all (RFC 5280 5.1.2.6). */
static void
test_crl_encoding(void **state)
{
	static const time_t y2050 = 2524608000; /* 2050-01-01T00:00:00Z */
	static const unsigned char want_sn[2][5] = { { 0x02, 0x03, 0x00, 0xff, 0x01 },
	    { 0x02, 0x02, 0x0a, 0xbc } };
	char s[2][41], q[400];
	X509 *x[2];
	X509_CRL *crl;
	X509_REVOKED *r;
	const ASN1_TIME *rd;
	ASN1_ENUMERATED *reason;
	unsigned char *der = NULL;
	kk_signed c;
	int crit, len, i, tries;
	kk_err e;

	(void)state;
	issue("edge1.example.jp", s[0], &x[0]);
	issue("edge2.example.jp", s[1], &x[1]);
	/* the publisher pre-signs their OCSP responses first; then the serials change */
	for (i = 0; i < 2; i++) {
		for (tries = 0; kk_store_ocsp_get(kk_ra_store(ra), s[i], &c, &e) != 0; tries++) {
			assert_true(tries < 400);
			usleep(25000);
		}
		kk_signed_clear(&c);
	}
	snprintf(q, sizeof(q), "UPDATE certificates SET serial = '00ff01', status = 'revoked', "
	    "revoked_at = %lld, revoked_reason = 5, not_after = %lld WHERE serial = '%s'",
	    (long long)y2050 - 1, (long long)y2050 + 400 * DAY, s[0]);
	sql(q);
	snprintf(q, sizeof(q), "UPDATE certificates SET serial = 'AbC', status = 'revoked', "
	    "revoked_at = %lld, not_after = %lld WHERE serial = '%s'", (long long)y2050,
	    (long long)y2050 + 400 * DAY, s[1]);
	sql(q);
	/* a day into 2050 every other certificate has expired */
	issue_crl(y2050 + DAY, &c);
	crl = parse_crl(&c);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(issuing())), 1);
	assert_int_equal(ASN1_STRING_type(X509_CRL_get0_lastUpdate(crl)), V_ASN1_GENERALIZEDTIME);
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 2);
	assert_non_null(r = crl_entry(crl, "FF01"));
	len = i2d_ASN1_INTEGER(X509_REVOKED_get0_serialNumber(r), &der);
	assert_int_equal(len, 5);
	assert_memory_equal(der, want_sn[0], 5);
	OPENSSL_free(der);
	der = NULL;
	rd = X509_REVOKED_get0_revocationDate(r);
	assert_int_equal(ASN1_STRING_type(rd), V_ASN1_UTCTIME);
	assert_int_equal(ASN1_STRING_length(rd), 13);
	assert_memory_equal(ASN1_STRING_get0_data(rd), "491231235959Z", 13);
	assert_non_null(reason = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, NULL));
	assert_int_equal(ASN1_ENUMERATED_get(reason), 5);
	assert_int_equal(crit, 0);
	ASN1_ENUMERATED_free(reason);
	assert_non_null(r = crl_entry(crl, "ABC"));
	len = i2d_ASN1_INTEGER(X509_REVOKED_get0_serialNumber(r), &der);
	assert_int_equal(len, 4);
	assert_memory_equal(der, want_sn[1], 4);
	OPENSSL_free(der);
	rd = X509_REVOKED_get0_revocationDate(r);
	assert_int_equal(ASN1_STRING_type(rd), V_ASN1_GENERALIZEDTIME);
	assert_int_equal(ASN1_STRING_length(rd), 15);
	assert_memory_equal(ASN1_STRING_get0_data(rd), "20500101000000Z", 15);
	assert_int_equal(X509_REVOKED_get_ext_count(r), 0);
	X509_CRL_free(crl);
	kk_signed_clear(&c);
	/* later still, nothing is listed: the field is left out, not an empty SEQUENCE */
	issue_crl(y2050 + 500 * DAY, &c);
	crl = parse_crl(&c);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(issuing())), 1);
	assert_null(X509_CRL_get_REVOKED(crl));
	X509_CRL_free(crl);
	kk_signed_clear(&c);
	/* out of the way of anything after this test */
	sql("UPDATE certificates SET not_after = 0 WHERE serial IN ('00ff01', 'AbC')");
	X509_free(x[0]);
	X509_free(x[1]);
}

/* CP table 7.1-2 */
static void
test_responder_cert(void **state)
{
	FILE *f = fopen(cfg.paths.ocsp_pem, "r");
	X509 *x;
	char cn[200];
	int crit;
	CERTIFICATEPOLICIES *pols;

	(void)state;
	assert_non_null(f);
	assert_non_null(x = PEM_read_X509(f, NULL, NULL, NULL));
	fclose(f);
	assert_int_equal(X509_verify(x, X509_get0_pubkey(issuing())), 1);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(issuing())), 0);
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn));
	assert_string_equal(cn, "SECOM Passport for Web SR 3.0 CA OCSP Responder");
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_organizationName, cn, sizeof(cn));
	assert_string_equal(cn, cfg.policy.issuing_dn.o);
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(x,
	    X509_get_ext_by_NID(x, NID_key_usage, -1))), 1);
	assert_int_equal(X509_get_extended_key_usage(x), XKU_OCSP_SIGN);
	assert_true(X509_get_ext_by_NID(x, NID_id_pkix_OCSP_noCheck, -1) >= 0);
	assert_true(X509_get_ext_by_NID(x, NID_basic_constraints, -1) < 0);
	assert_true(X509_get_ext_by_NID(x, NID_info_access, -1) < 0);
	assert_non_null(pols = X509_get_ext_d2i(x, NID_certificate_policies, &crit, NULL));
	assert_int_equal(sk_POLICYINFO_num(pols), 1);
	CERTIFICATEPOLICIES_free(pols);
	assert_non_null(X509_get0_authority_key_id(x));
	assert_non_null(X509_get0_subject_key_id(x));
	assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(x)), 2048);
	X509_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crl),
		cmocka_unit_test(test_ocsp_presigned),
		cmocka_unit_test(test_ocsp_statuses),
		cmocka_unit_test(test_ocsp_refused),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_responder_cert),
		cmocka_unit_test(test_ocsp_memory),
		cmocka_unit_test(test_store_work_lists),
		cmocka_unit_test(test_changed),
		cmocka_unit_test(test_crl_encoding),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
