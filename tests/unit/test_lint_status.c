/*
 * Lint before sign for CRLs and OCSP responses (src/lint_status.c, BR 4.3.1.2): a
 * correct CRL and OCSP response pass; broken ones (built here with OpenSSL) are refused
 * with "lint: ..."; and a CRL the publisher would build wrongly is never signed or
 * stored (src/crl.c through the RA fixture).
 */
#include "ra_fixture.h"
#include "kk_test_sql.h"
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>
#include "../../src/lint_status.h"
#include "../../src/status_internal.h"

static EVP_PKEY *ca_key, *resp_key;
static X509 *ca_cert, *resp_cert;
static time_t now;

/* A certificate for key, signed by signer_key, issued by issuer (NULL: self-signed),
 * with extensions as the openssl.cnf-style list exts. */
static X509 *
make_cert(const char *cn, EVP_PKEY *k, X509 *issuer, EVP_PKEY *signer_key,
    const char *const *exts, size_t n)
{
	X509 *x = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	size_t i;

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1000 + (long)n);
	X509_time_adj_ex(X509_getm_notBefore(x), -1, 0, &now);
	X509_time_adj_ex(X509_getm_notAfter(x), 30, 0, &now);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(issuer != NULL ? issuer : x));
	assert_int_equal(X509_set_pubkey(x, k), 1);
	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	for (i = 0; i < n; i++) {
		const char *eq = strchr(exts[i], '=');
		char name[64];

		snprintf(name, sizeof(name), "%.*s", (int)(eq - exts[i]), exts[i]);
		assert_non_null(ext = X509V3_EXT_nconf(NULL, &ctx, name, eq + 1));
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, signer_key, EVP_sha256()) > 0);
	return x;
}

static int
setup(void **state)
{
	static const char *const ca_exts[] = {
		"basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign",
		"subjectKeyIdentifier=hash",
	};
	static const char *const resp_exts[] = {
		"keyUsage=critical,digitalSignature", "extendedKeyUsage=OCSPSigning",
		"subjectKeyIdentifier=hash", "authorityKeyIdentifier=keyid",
	};

	if (group_setup(state) != 0)
		return -1;
	now = kk_now();
	ca_key = EVP_RSA_gen(2048);
	resp_key = EVP_RSA_gen(2048);
	ca_cert = make_cert("Lint Test CA", ca_key, NULL, ca_key, ca_exts, 3);
	resp_cert = make_cert("Lint Test OCSP", resp_key, ca_cert, ca_key, resp_exts, 4);
	return 0;
}

static int
teardown(void **state)
{
	X509_free(ca_cert);
	X509_free(resp_cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(resp_key);
	return group_teardown(state);
}

/* Which way to break a CRL. */
enum crl_fault {
	CRL_OK, CRL_NEXT_TOO_FAR, CRL_REASON_0, CRL_NO_NUMBER, CRL_WRONG_ISSUER,
	CRL_DUP_SERIAL, CRL_V1, CRL_CRITICAL_NUMBER, CRL_FUTURE_REVOCATION, CRL_WRONG_AKI,
	CRL_NO_ENTRIES
};

static void
add_revoked(X509_CRL *crl, long serial, time_t when, int reason)
{
	X509_REVOKED *r = X509_REVOKED_new();
	ASN1_INTEGER *sn = ASN1_INTEGER_new();
	ASN1_TIME *t = ASN1_TIME_set(NULL, when);
	ASN1_ENUMERATED *e = ASN1_ENUMERATED_new();

	ASN1_INTEGER_set(sn, serial);
	X509_REVOKED_set_serialNumber(r, sn);
	X509_REVOKED_set_revocationDate(r, t);
	if (reason >= 0) {
		ASN1_ENUMERATED_set(e, reason);
		assert_int_equal(X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, e, 0, 0), 1);
	}
	assert_int_equal(X509_CRL_add0_revoked(crl, r), 1);
	ASN1_INTEGER_free(sn);
	ASN1_TIME_free(t);
	ASN1_ENUMERATED_free(e);
}

/* The publisher's CRL (src/crl.c) by ca_cert at now with fault f. */
static X509_CRL *
make_crl(enum crl_fault f)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *tu = ASN1_TIME_set(NULL, now);
	ASN1_TIME *nu = ASN1_TIME_set(NULL, now + (f == CRL_NEXT_TOO_FAR ? 11 * DAY :
	    KK_CRL_VALIDITY));
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(f == CRL_WRONG_AKI ?
	    resp_cert : ca_cert);

	akid->keyid = ASN1_OCTET_STRING_dup(ski);
	ASN1_INTEGER_set(num, 7);
	X509_CRL_set_version(crl, f == CRL_V1 ? X509_CRL_VERSION_1 : X509_CRL_VERSION_2);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(f == CRL_WRONG_ISSUER ? resp_cert :
	    ca_cert));
	X509_CRL_set1_lastUpdate(crl, tu);
	X509_CRL_set1_nextUpdate(crl, nu);
	if (f != CRL_NO_NUMBER)
		X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, f == CRL_CRITICAL_NUMBER, 0);
	X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid, 0, 0);
	if (f != CRL_NO_ENTRIES) {
		add_revoked(crl, 0x1001, now - DAY, 1);
		add_revoked(crl, 0x1002, now - DAY, -1); /* unspecified: no reasonCode */
		add_revoked(crl, 0x1003, f == CRL_FUTURE_REVOCATION ? now + 60 : now - 60, 4);
	}
	if (f == CRL_REASON_0)
		add_revoked(crl, 0x1004, now - DAY, 0);
	if (f == CRL_DUP_SERIAL)
		add_revoked(crl, 0x1001, now - 2 * DAY, 9);
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
	ASN1_INTEGER_free(num);
	AUTHORITY_KEYID_free(akid);
	return crl;
}

/* The TBSCertList of crl as the publisher has it linted (kk_ca_crl_tbs), with entries
 * (DER, concatenated) after nextUpdate when len > 0; lint_crl_tbs's outcome and, when
 * refused, a check that the detail names want. */
static void
lint_tbs(X509_CRL *crl, const unsigned char *entries, size_t len, const char *want)
{
	unsigned char *tbs = NULL;
	size_t tbs_len = 0;
	kk_err e;
	int rc;

	kk_err_clear(&e);
	if (kk_ca_crl_tbs(crl, entries, len, &tbs, &tbs_len, &e) != 0)
		fail_msg("kk_ca_crl_tbs: %s", e.detail);
	rc = lint_crl_tbs(tbs, tbs_len, ca_cert, now, &e);
	if (want == NULL) {
		if (rc != 0)
			fail_msg("refused: %s", e.detail);
	} else {
		assert_int_equal(rc, -1);
		assert_int_equal(e.kind, KK_ERR_INTERNAL);
		assert_memory_equal(e.detail, "lint: CRL: ", 11);
		if (strstr(e.detail, want) == NULL)
			fail_msg("\"%s\" lacks \"%s\"", e.detail, want);
	}
	free(tbs);
}

/* Lints a CRL with fault f (entries built by OpenSSL); asserts the outcome. */
static void
check_crl(enum crl_fault f, const char *want)
{
	X509_CRL *crl = make_crl(f);

	lint_tbs(crl, NULL, 0, want);
	X509_CRL_free(crl);
}

static void
test_crl_lint(void **state)
{
	(void)state;
	check_crl(CRL_OK, NULL);
	check_crl(CRL_NEXT_TOO_FAR, "more than 10 days");
	check_crl(CRL_REASON_0, "reasonCode is not 1, 3, 4, 5 or 9");
	check_crl(CRL_NO_NUMBER, "CRL Number missing");
	check_crl(CRL_WRONG_ISSUER, "issuer is not the issuing CA's subject");
	check_crl(CRL_DUP_SERIAL, "listed twice");
	check_crl(CRL_V1, "not version 2");
	check_crl(CRL_CRITICAL_NUMBER, "critical CRL extension");
	check_crl(CRL_FUTURE_REVOCATION, "revocationDate is after thisUpdate");
	check_crl(CRL_WRONG_AKI, "authorityKeyIdentifier");
	check_crl(CRL_NO_ENTRIES, NULL);
}

/* Some DER octets. */
struct part {
	const unsigned char *b;
	size_t n;
};
#define P(...) ((struct part){ (const unsigned char[]){ __VA_ARGS__ }, \
	sizeof((const unsigned char[]){ __VA_ARGS__ }) })
#define NONE ((struct part){ NULL, 0 })
#define SN(v) P(0x02, 0x01, v)
/* crlEntryExtensions { reasonCode r } as src/crl.c writes it */
#define REASON(r) P(0x30, 0x0c, 0x30, 0x0a, 0x06, 0x03, 0x55, 0x1d, 0x15, 0x04, 0x03, \
	0x0a, 0x01, r)
#define PAST "200101000000Z"

/* Appends SEQUENCE { sn, Time date (UTCTime if 13 characters, else GeneralizedTime),
 * rest } to buf at *len. */
static void
add_der_entry(unsigned char *buf, size_t *len, struct part sn, const char *date,
    struct part rest)
{
	size_t dl = strlen(date), n = sn.n + 2 + dl + rest.n;
	unsigned char *p = buf + *len;

	assert_true(n < 128);
	*p++ = 0x30;
	*p++ = (unsigned char)n;
	memcpy(p, sn.b, sn.n);
	p += sn.n;
	*p++ = dl == 13 ? V_ASN1_UTCTIME : V_ASN1_GENERALIZEDTIME;
	*p++ = (unsigned char)dl;
	memcpy(p, date, dl);
	if (rest.n > 0)
		memcpy(p + dl, rest.b, rest.n);
	*len += 2 + n;
}

/* Lints a CRL whose entries are a good one, SEQUENCE { sn, date, rest }, another good
 * one: refused naming want, or (want NULL) accepted. */
static void
walk(X509_CRL *hdr, struct part sn, const char *date, struct part rest, const char *want)
{
	unsigned char buf[512];
	size_t len = 0;

	add_der_entry(buf, &len, SN(0x01), PAST, REASON(1));
	add_der_entry(buf, &len, sn, date, rest);
	add_der_entry(buf, &len, SN(0x03), PAST, NONE);
	lint_tbs(hdr, buf, len, want);
}

/* The entries of a TBSCertList are walked as DER (src/lint_status.c crl_entries): every
 * rule of RFC 5280 5.1.2.6 / 5.3, BR 7.2.2 and X.690 DER is refused on its own. */
static void
test_crl_entries(void **state)
{
	X509_CRL *hdr = make_crl(CRL_NO_ENTRIES);
	unsigned char s20[22] = { 0x02, 0x14, 0x00, 0x80 }, s21[23] = { 0x02, 0x15, 0x00, 0x80 };
	unsigned char buf[512];
	size_t len = 0;

	(void)state;
	walk(hdr, SN(0x02), PAST, NONE, NULL);
	walk(hdr, SN(0x02), PAST, REASON(9), NULL);
	walk(hdr, P(0x02, 0x02, 0x00, 0x80), "491231235959Z", NONE, "after thisUpdate");
	walk(hdr, (struct part){ s20, sizeof(s20) }, PAST, NONE, NULL);
	walk(hdr, (struct part){ s21, sizeof(s21) }, PAST, NONE, "at most 20 octets");
	walk(hdr, SN(0x00), PAST, NONE, "not a positive integer");
	walk(hdr, SN(0xff), PAST, NONE, "not a positive integer");
	walk(hdr, P(0x02, 0x02, 0x00, 0x05), PAST, NONE, "not minimally encoded");
	walk(hdr, SN(0x01), PAST, NONE, "listed twice");
	walk(hdr, SN(0x03), PAST, NONE, "listed twice");
	/* RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, seconds, Z */
	walk(hdr, SN(0x02), "20200101000000Z", NONE, "revocationDate is not UTCTime");
	walk(hdr, SN(0x02), "20500101000000Z", NONE, "after thisUpdate");
	walk(hdr, SN(0x02), "201301000000Z", NONE, "revocationDate is not UTCTime");
	walk(hdr, SN(0x02), "200230000000Z", NONE, "revocationDate is not UTCTime");
	walk(hdr, SN(0x02), "2001010000Z", NONE, "revocationDate is not UTCTime");
	walk(hdr, SN(0x02), "200101000000+", NONE, "revocationDate is not UTCTime");
	walk(hdr, SN(0x02), PAST, REASON(0), "not 1, 3, 4, 5 or 9");
	walk(hdr, SN(0x02), PAST, REASON(2), "not 1, 3, 4, 5 or 9");
	walk(hdr, SN(0x02), PAST, P(0x30, 0x0f, 0x30, 0x0d, 0x06, 0x03, 0x55, 0x1d, 0x15,
	    0x01, 0x01, 0xff, 0x04, 0x03, 0x0a, 0x01, 0x01), "reasonCode is critical");
	walk(hdr, SN(0x02), PAST, P(0x30, 0x0f, 0x30, 0x0d, 0x06, 0x03, 0x55, 0x1d, 0x15,
	    0x01, 0x01, 0x00, 0x04, 0x03, 0x0a, 0x01, 0x01), "critical FALSE");
	walk(hdr, SN(0x02), PAST, P(0x30, 0x0c, 0x30, 0x0a, 0x06, 0x03, 0x55, 0x1d, 0x18,
	    0x04, 0x03, 0x0a, 0x01, 0x01), "other than reasonCode");
	walk(hdr, SN(0x02), PAST, P(0x30, 0x18, 0x30, 0x0a, 0x06, 0x03, 0x55, 0x1d, 0x15,
	    0x04, 0x03, 0x0a, 0x01, 0x01, 0x30, 0x0a, 0x06, 0x03, 0x55, 0x1d, 0x15, 0x04, 0x03,
	    0x0a, 0x01, 0x01), "other than reasonCode");
	walk(hdr, SN(0x02), PAST, P(0x30, 0x00), "crlEntryExtensions is empty");
	walk(hdr, SN(0x02), PAST, P(0x05, 0x00), "is not SEQUENCE");
	walk(hdr, P(0x04, 0x01, 0x02), PAST, NONE, "is not SEQUENCE");
	/* lengths: past the end, or not minimal (X.690 10.1) */
	add_der_entry(buf, &len, SN(0x01), PAST, NONE);
	memcpy(buf + len, "\x30\x05\x02\x01", 4);
	lint_tbs(hdr, buf, len + 4, "an entry does not parse");
	memcpy(buf + len, "\x30\x81\x03\x02\x01\x02", 6);
	lint_tbs(hdr, buf, len + 6, "an entry does not parse");
	X509_CRL_free(hdr);
}

/* revokedCertificates present but empty: RFC 5280 5.1.2.6 wants it left out. The TBS
 * is kk_ca_crl_tbs's with its one entry cut away. */
static void
test_crl_empty_list(void **state)
{
	X509_CRL *hdr = make_crl(CRL_NO_ENTRIES);
	unsigned char ent[64], *tbs = NULL, *out, *q;
	const unsigned char *p, *at;
	size_t len = 0, tbs_len = 0, head;
	long clen = 0;
	int tag = 0, cls = 0;
	kk_err e;

	(void)state;
	add_der_entry(ent, &len, SN(0x01), PAST, NONE);
	assert_int_equal(kk_ca_crl_tbs(hdr, ent, len, &tbs, &tbs_len, &e), 0);
	assert_int_equal(lint_crl_tbs(tbs, tbs_len, ca_cert, now, &e), 0);
	p = tbs;
	assert_int_equal(ASN1_get_object(&p, &clen, &tag, &cls, (long)tbs_len), V_ASN1_CONSTRUCTED);
	assert_non_null(at = memmem(p, (size_t)clen, ent, len));
	assert_int_equal(at[-1], len); /* SEQUENCE OF's one-octet length */
	head = (size_t)(at - p);
	assert_non_null(out = malloc(tbs_len));
	q = out;
	ASN1_put_object(&q, 1, (int)((size_t)clen - len), V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	memcpy(q, p, head);
	q[head - 1] = 0;
	memcpy(q + head, at + len, (size_t)clen - head - len);
	q += (size_t)clen - len;
	assert_int_equal(lint_crl_tbs(out, (size_t)(q - out), ca_cert, now, &e), -1);
	assert_non_null(strstr(e.detail, "present but empty"));
	free(out);
	free(tbs);
	X509_CRL_free(hdr);
}

/* 30,000 entries pass; the same with the first serial again at the very end, far from
 * its twin and unsorted, are refused (the walker's hash set, not a sort). */
static void
test_crl_many_entries(void **state)
{
	X509_CRL *hdr = make_crl(CRL_NO_ENTRIES);
	enum { N = 30000 };
	unsigned char *buf = malloc((N + 1) * 32);
	size_t len = 0, i;

	(void)state;
	assert_non_null(buf);
	for (i = 0; i < N; i++) {
		unsigned v = 0x100000 + (unsigned)((i * 7919) % 1000003);

		add_der_entry(buf, &len, P(0x02, 0x03, (unsigned char)(v >> 16),
		    (unsigned char)(v >> 8), (unsigned char)v), PAST, i % 2 ? REASON(4) : NONE);
	}
	lint_tbs(hdr, buf, len, NULL);
	memcpy(buf + len, buf, 22);
	lint_tbs(hdr, buf, len + 22, "listed twice");
	free(buf);
	X509_CRL_free(hdr);
}

/* A successful response signed by resp_key for serial 0x1001 (revoked with reason) and
 * 0x1002 (good) of ca_cert, valid secs from now, with the CertIDs under md. */
static OCSP_RESPONSE *
make_ocsp(long secs, int reason, const EVP_MD *md, X509 *cid_issuer)
{
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	OCSP_RESPONSE *r;
	ASN1_TIME *tu = ASN1_GENERALIZEDTIME_set(NULL, now);
	ASN1_TIME *nu = ASN1_GENERALIZEDTIME_set(NULL, now + secs);
	ASN1_TIME *rt = ASN1_GENERALIZEDTIME_set(NULL, now - DAY);
	ASN1_INTEGER *sn = ASN1_INTEGER_new();
	OCSP_CERTID *id;
	STACK_OF(X509) *certs = sk_X509_new_null();

	ASN1_INTEGER_set(sn, 0x1001);
	id = OCSP_cert_id_new(md, X509_get_subject_name(cid_issuer),
	    X509_get0_pubkey_bitstr(cid_issuer), sn);
	assert_non_null(OCSP_basic_add1_status(bs, id, V_OCSP_CERTSTATUS_REVOKED, reason, rt,
	    tu, nu));
	OCSP_CERTID_free(id);
	ASN1_INTEGER_set(sn, 0x1002);
	id = OCSP_cert_id_new(md, X509_get_subject_name(cid_issuer),
	    X509_get0_pubkey_bitstr(cid_issuer), sn);
	assert_non_null(OCSP_basic_add1_status(bs, id, V_OCSP_CERTSTATUS_GOOD, 0, NULL, tu,
	    nu));
	OCSP_CERTID_free(id);
	assert_int_equal(OCSP_basic_sign(bs, resp_cert, resp_key, EVP_sha256(), certs,
	    OCSP_RESPID_KEY), 1);
	assert_non_null(r = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs));
	OCSP_BASICRESP_free(bs);
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
	ASN1_TIME_free(rt);
	ASN1_INTEGER_free(sn);
	sk_X509_free(certs);
	return r;
}

/* Lints r against responder; asserts the outcome as check_crl does. Frees r. */
static void
check_ocsp(OCSP_RESPONSE *r, X509 *responder, const char *want)
{
	kk_err e;
	int rc;

	kk_err_clear(&e);
	rc = lint_ocsp_response(r, responder, ca_cert, now, &e);
	if (want == NULL) {
		if (rc != 0)
			fail_msg("refused: %s", e.detail);
	} else {
		assert_int_equal(rc, -1);
		assert_int_equal(e.kind, KK_ERR_INTERNAL);
		assert_memory_equal(e.detail, "lint: OCSP response: ", 21);
		if (strstr(e.detail, want) == NULL)
			fail_msg("\"%s\" lacks \"%s\"", e.detail, want);
	}
	OCSP_RESPONSE_free(r);
}

static void
test_ocsp_lint(void **state)
{
	const char *range = "not within 8 h .. 10 days";

	(void)state;
	check_ocsp(make_ocsp(2 * DAY, 1, EVP_sha1(), ca_cert), resp_cert, NULL);
	check_ocsp(make_ocsp(2 * DAY, OCSP_REVOKED_STATUS_NOSTATUS, EVP_sha256(), ca_cert),
	    resp_cert, NULL);
	check_ocsp(make_ocsp(11 * DAY, 1, EVP_sha1(), ca_cert), resp_cert, range);
	check_ocsp(make_ocsp(4 * 3600, 1, EVP_sha1(), ca_cert), resp_cert, range);
	check_ocsp(make_ocsp(2 * DAY, 0, EVP_sha1(), ca_cert), resp_cert,
	    "reason is not 1, 3, 4, 5 or 9");
	check_ocsp(make_ocsp(2 * DAY, 6, EVP_sha1(), ca_cert), resp_cert,
	    "reason is not 1, 3, 4, 5 or 9");
	check_ocsp(make_ocsp(2 * DAY, 1, EVP_md5(), ca_cert), resp_cert,
	    "hash algorithm is not SHA-1 or SHA-256");
	check_ocsp(make_ocsp(2 * DAY, 1, EVP_sha1(), resp_cert), resp_cert,
	    "issuer hashes are not the issuing CA's");
	/* linted as if another responder (the CA certificate) were signing */
	check_ocsp(make_ocsp(2 * DAY, 1, EVP_sha1(), ca_cert), ca_cert,
	    "responderID is not the SHA-1 of the responder's key");
	check_ocsp(OCSP_response_create(OCSP_RESPONSE_STATUS_TRYLATER, NULL), resp_cert,
	    "not a successful basic response");
}

/* lint_ocsp_tbs on the tbsResponseData of a signed response: passes as it is, and a
 * ResponseData that does not parse is refused. */
static void
test_ocsp_tbs(void **state)
{
	OCSP_RESPONSE *r = make_ocsp(2 * DAY, 3, EVP_sha1(), ca_cert);
	OCSP_BASICRESP *bs = OCSP_response_get1_basic(r);
	unsigned char *der = NULL;
	const unsigned char *p, *tbs;
	long len = 0, inner = 0;
	int tag, cls, n;
	kk_err e;

	(void)state;
	assert_non_null(bs);
	n = i2d_OCSP_BASICRESP(bs, &der);
	assert_true(n > 0);
	p = der;
	/* BasicOCSPResponse ::= SEQUENCE { tbsResponseData SEQUENCE, ... } */
	assert_int_equal(ASN1_get_object(&p, &len, &tag, &cls, n) & 0x80, 0);
	tbs = p;
	assert_int_equal(ASN1_get_object(&p, &inner, &tag, &cls, len) & 0x80, 0);
	inner += p - tbs;
	assert_int_equal(lint_ocsp_tbs(tbs, (size_t)inner, resp_cert, ca_cert, now, &e), 0);
	assert_int_equal(lint_ocsp_tbs(tbs, (size_t)inner, ca_cert, ca_cert, now, &e), -1);
	assert_non_null(strstr(e.detail, "responderID"));
	assert_int_equal(lint_ocsp_tbs(tbs, (size_t)inner - 3, resp_cert, ca_cert, now, &e), -1);
	assert_int_equal(e.kind, KK_ERR_INTERNAL);
	assert_memory_equal(e.detail, "lint: ", 6);
	OPENSSL_free(der);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
}

/* SQL straight into the fixture's database, and the one integer a query returns. */
static void
sql(const char *q)
{
	kk_test_sql_exec(cfg.paths.db, q);
}

static int64_t
count(const char *q)
{
	return kk_test_sql_int(cfg.paths.db, q);
}

/* Through the publisher: a revocation dated after thisUpdate (a store out of step with
 * the clock) makes the CRL fail its lint, so nothing is signed and no row is added;
 * with the date fixed the same publisher stores a CRL. */
static void
test_publisher_refuses(void **state)
{
	char q[300];
	const char *name = "lint.example.jp";
	kk_order o;
	unsigned char *csr;
	size_t len;
	int64_t before;
	kk_signed c;
	kk_err e;

	(void)state;
	make_account("lint-thumb-1", &acct1);
	ready_order(name, &o, &csr, &len);
	if (kk_ra_finalize(ra, &acct1, ACCT1_URL, o.id, csr, len, &e) != 0)
		fail_msg("finalize: %s", e.detail);
	free(csr);
	snprintf(q, sizeof(q), "UPDATE certificates SET status = 'revoked', revoked_at = %lld, "
	    "revoked_reason = 1 WHERE status = 'issued'", (long long)kk_now() + DAY);
	sql(q);
	before = count("SELECT COUNT(*) FROM crls");
	memset(&c, 0, sizeof(c));
	assert_int_equal(status_crl_issue(ra->status, kk_now(), &c, &e), -1);
	assert_int_equal(e.kind, KK_ERR_INTERNAL);
	assert_non_null(strstr(e.detail, "lint: CRL: an entry's revocationDate is after"));
	assert_null(c.der);
	assert_int_equal(count("SELECT COUNT(*) FROM crls"), before);
	snprintf(q, sizeof(q), "UPDATE certificates SET revoked_at = %lld WHERE "
	    "status = 'revoked'", (long long)kk_now() - 60);
	sql(q);
	assert_int_equal(status_crl_issue(ra->status, kk_now(), &c, &e), 0);
	assert_int_equal(count("SELECT COUNT(*) FROM crls"), before + 1);
	kk_signed_clear(&c);
	/* a serial of 20 octets with the top bit set needs a 21st (a zero) to stay positive:
	 * the encoder writes it, the walker refuses it, the token signs nothing */
	sql("UPDATE certificates SET serial = substr('f1' || serial || serial, 1, 40) "
	    "WHERE status = 'revoked'");
	assert_int_equal(status_crl_issue(ra->status, kk_now(), &c, &e), -1);
	assert_non_null(strstr(e.detail, "lint: CRL: an entry's serial is not a positive "
	    "integer of at most 20 octets"));
	assert_null(c.der);
	assert_int_equal(count("SELECT COUNT(*) FROM crls"), before + 1);
	sql("UPDATE certificates SET serial = '71' || substr(serial, 3) WHERE status = 'revoked'");
	assert_int_equal(status_crl_issue(ra->status, kk_now(), &c, &e), 0);
	assert_int_equal(count("SELECT COUNT(*) FROM crls"), before + 2);
	kk_signed_clear(&c);
	kk_order_clear(&o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crl_lint),
		cmocka_unit_test(test_crl_entries),
		cmocka_unit_test(test_crl_empty_list),
		cmocka_unit_test(test_crl_many_entries),
		cmocka_unit_test(test_ocsp_lint),
		cmocka_unit_test(test_ocsp_tbs),
		cmocka_unit_test(test_publisher_refuses),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
