/*
 * Certificate Transparency client tests (src/ct.c, src/ct_sct.c) against three instances
 * of the RFC 6962 test log (tests/ct/ct_test_log.py) on 127.0.0.1, switched between fault
 * modes through their /control endpoint. The precertificates are made here with OpenSSL
 * (a throwaway root and issuing CA); each SCT list kakuin returns is checked again with
 * OpenSSL's own CT code (SCT_validate with a CTLOG_STORE of the test logs) and, for the
 * final certificate, with tests/ct/ct_verify.py (python cryptography).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/ct.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include "kakuin/ct.h"
#include "kakuin/util.h"
#include "ct_log_fixture.h"

#define DAY	86400

static char tmpdir[] = "/tmp/kk_ct_XXXXXX";
static test_log logs[3];	/* A, B (two operators), C (temporal shards) */
static EVP_PKEY *root_key, *ca_key, *leaf_key;
static X509 *root, *ca;
static char *chain_pem;		/* issuing CA, then root */
static CTLOG_STORE *store;	/* the test logs, for OpenSSL's SCT_validate */

static EVP_PKEY *
ec_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	assert_non_null(e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value));
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/* The critical poison extension of RFC 6962 3.1: extnValue is an ASN.1 NULL. */
static void
add_poison(X509 *x)
{
	static const unsigned char null_der[] = { 0x05, 0x00 };
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e;

	assert_int_equal(ASN1_OCTET_STRING_set(os, null_der, sizeof(null_der)), 1);
	assert_non_null(e = X509_EXTENSION_create_by_NID(NULL, NID_ct_precert_poison, 1, os));
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(os);
}

/* A certificate for cn signed by ikey (issuer NULL = self-signed); poison makes it a
 * precertificate with the poison between other extensions. */
static X509 *
make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey, long days,
    int poison)
{
	X509 *x = X509_new();
	BIGNUM *bn = NULL;
	unsigned char serial[12];

	assert_int_equal(kk_random(serial, sizeof(serial)), 0);
	serial[0] &= 0x7f;
	X509_set_version(x, X509_VERSION_3);
	assert_non_null(bn = BN_bin2bn(serial, sizeof(serial), NULL));
	assert_non_null(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
	BN_free(bn);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(issuer != NULL ? issuer : x));
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), days * DAY);
	X509_set_pubkey(x, key);
	if (issuer == NULL) {
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
	} else {
		add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
		if (poison)
			add_poison(x);
		add_ext(x, issuer, NID_subject_alt_name, "DNS:test.example");
		add_ext(x, issuer, NID_key_usage, "critical,digitalSignature");
	}
	assert_true(X509_sign(x, ikey, EVP_sha256()) > 0);
	return x;
}

/* A CT log list in OpenSSL's format (CTLOG_STORE_load_file) naming the three logs. */
static int
store_load(void)
{
	char path[300];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/ct_logs.cnf", tmpdir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f, "enabled_logs = l0,l1,l2\n");
	for (i = 0; i < 3; i++)
		fprintf(f, "[l%d]\ndescription = test log %d\nkey = %s\n", i, i, logs[i].key_b64);
	fclose(f);
	store = CTLOG_STORE_new();
	return store != NULL && CTLOG_STORE_load_file(store, path) == 1 ? 0 : -1;
}

static int
fixture_start(void **state)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	(void)state;
	if (mkdtemp(tmpdir) == NULL || ct_log_start(&logs[0], tmpdir, "a") != 0 ||
	    ct_log_start(&logs[1], tmpdir, "b") != 0 ||
	    ct_log_start(&logs[2], tmpdir, "c") != 0 || store_load() != 0)
		return -1;
	root_key = ec_key();
	ca_key = ec_key();
	leaf_key = ec_key();
	root = make_cert("Test CT Root", root_key, NULL, root_key, 3650, 0);
	ca = make_cert("Test CT Issuing CA", ca_key, root, root_key, 1825, 0);
	PEM_write_bio_X509(b, ca);
	PEM_write_bio_X509(b, root);
	n = BIO_get_mem_data(b, &p);
	chain_pem = kk_strndup(p, (size_t)n);
	BIO_free(b);
	return chain_pem != NULL ? 0 : -1;
}

static int
fixture_stop(void **state)
{
	char cmd[400];
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		ct_log_stop(&logs[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (getenv("KK_CT_KEEP") == NULL && system(cmd) != 0)
		return -1;
	CTLOG_STORE_free(store);
	X509_free(root);
	X509_free(ca);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(leaf_key);
	free(chain_pem);
	return 0;
}

static void
pol_init(kk_ct_policy *ct, int min_scts, int min_operators, int timeout)
{
	memset(ct, 0, sizeof(*ct));
	ct->enabled = 1;
	ct->min_scts = min_scts;
	ct->min_operators = min_operators;
	ct->timeout_seconds = timeout;
}

/* Adds a log at port (one of the test logs' keys) with a temporal interval. */
static void
pol_add(kk_ct_policy *ct, const test_log *l, const char *name, const char *op)
{
	ct_pol_add(ct, l, l->port, name, op, 0, 0);
}

/* Logs A and B of operators OpA and OpB. */
static void
pol_ab(kk_ct_policy *ct, int min_scts, int min_operators, int timeout)
{
	pol_init(ct, min_scts, min_operators, timeout);
	pol_add(ct, &logs[0], "A 'log'", "OpA");
	pol_add(ct, &logs[1], "B 'log'", "OpB");
}

static int
collect(const kk_ct_policy *ct, X509 *pre, unsigned char **list, size_t *len, kk_err *err)
{
	unsigned char *der = NULL;
	int n = i2d_X509(pre, &der), rv;

	assert_true(n > 0);
	rv = kk_ct_collect(ct, der, (size_t)n, ca, chain_pem, list, len, err);
	OPENSSL_free(der);
	return rv;
}

/* SCTs of list that OpenSSL's own CT code accepts for cert (a precertificate or the
 * final certificate) issued by ca. */
static int
ossl_valid(const unsigned char *list, size_t len, X509 *cert)
{
	const unsigned char *p = list;
	STACK_OF(SCT) *scts = o2i_SCT_LIST(NULL, &p, (long)len);
	CT_POLICY_EVAL_CTX *ctx = CT_POLICY_EVAL_CTX_new();
	int i, n = 0;

	assert_non_null(scts);
	assert_ptr_equal(p, list + len);
	CT_POLICY_EVAL_CTX_set1_cert(ctx, cert);
	CT_POLICY_EVAL_CTX_set1_issuer(ctx, ca);
	CT_POLICY_EVAL_CTX_set_shared_CTLOG_STORE(ctx, store);
	for (i = 0; i < sk_SCT_num(scts); i++) {
		SCT_set_log_entry_type(sk_SCT_value(scts, i), CT_LOG_ENTRY_TYPE_PRECERT);
		n += SCT_validate(sk_SCT_value(scts, i), ctx) == 1;
	}
	CT_POLICY_EVAL_CTX_free(ctx);
	SCT_LIST_free(scts);
	return n;
}

/* The final certificate: the precertificate with the SCT list extension (an OCTET
 * STRING holding the TLS list, RFC 6962 3.3) where the poison was, signed again. */
static X509 *
make_final(X509 *pre, const unsigned char *list, size_t len)
{
	ASN1_OCTET_STRING *inner = ASN1_OCTET_STRING_new(), *outer = ASN1_OCTET_STRING_new();
	X509 *x = X509_dup(pre);
	X509_EXTENSION *e;
	unsigned char *der = NULL;
	int idx = X509_get_ext_by_NID(x, NID_ct_precert_poison, -1), n;

	assert_true(idx >= 0);
	assert_int_equal(ASN1_OCTET_STRING_set(inner, list, (int)len), 1);
	assert_true((n = i2d_ASN1_OCTET_STRING(inner, &der)) > 0);
	assert_int_equal(ASN1_OCTET_STRING_set(outer, der, n), 1);
	assert_non_null(e = X509_EXTENSION_create_by_NID(NULL, NID_ct_precert_scts, 0, outer));
	X509_EXTENSION_free(X509_delete_ext(x, idx));
	assert_int_equal(X509_add_ext(x, e, idx), 1);
	assert_true(X509_sign(x, ca_key, EVP_sha256()) > 0);
	X509_EXTENSION_free(e);
	OPENSSL_free(der);
	ASN1_OCTET_STRING_free(inner);
	ASN1_OCTET_STRING_free(outer);
	return x;
}

static void
write_pem(const char *path, X509 *x)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, x), 1);
	fclose(f);
}

/* tests/ct/ct_verify.py's exit status for x with the logs A and B. */
static int
py_verify(X509 *x, int min)
{
	char cert[300], issuer[300], cmd[2400];
	int st;

	snprintf(cert, sizeof(cert), "%s/final.pem", tmpdir);
	snprintf(issuer, sizeof(issuer), "%s/issuer.pem", tmpdir);
	write_pem(cert, x);
	write_pem(issuer, ca);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %sct_verify.py %s --issuer %s --log A=%s "
	    "--log B=%s --min %d >&2", CT_DIR, cert, issuer, logs[0].key_b64, logs[1].key_b64,
	    min);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* kk_ct_verify_cert refuses x with a detail containing want. */
static void
expect_unverified(const kk_ct_policy *ct, X509 *x, X509 *issuer, const char *want)
{
	kk_err err = { 0 };
	int n_valid, n_ops;

	assert_int_equal(kk_ct_verify_cert(ct, x, issuer, &n_valid, &n_ops, &err), -1);
	if (strstr(err.detail, want) == NULL)
		fail_msg("detail \"%s\" lacks \"%s\"", err.detail, want);
}

static void
modes(const char *a, const char *b)
{
	ct_log_mode(&logs[0], a);
	ct_log_mode(&logs[1], b);
}

/* Two logs of two operators: two SCTs that OpenSSL verifies, a final certificate that
 * kk_ct_verify_cert and the python verifier accept. */
static void
test_two_logs(void **state)
{
	kk_ct_policy ct;
	kk_err err = { 0 };
	X509 *pre = make_cert("test.example", leaf_key, ca, ca_key, 90, 1), *fin = NULL;
	unsigned char *list = NULL;
	size_t len = 0;
	int n_valid = -1, n_ops = -1;

	(void)state;
	modes("ok", "ok");
	pol_ab(&ct, 2, 2, 10);
	assert_int_equal(collect(&ct, pre, &list, &len, &err), 0);
	assert_int_equal((size_t)(list[0] << 8 | list[1]), len - 2);
	assert_int_equal(ossl_valid(list, len, pre), 2);

	fin = make_final(pre, list, len);
	assert_int_equal(ossl_valid(list, len, fin), 2);
	assert_int_equal(kk_ct_verify_cert(&ct, fin, ca, &n_valid, &n_ops, &err), 0);
	assert_int_equal(n_valid, 2);
	assert_int_equal(n_ops, 2);
	assert_int_equal(py_verify(fin, 2), 0);
	/* the SCTs are for this certificate only: not for the issuer's other keys */
	expect_unverified(&ct, fin, root, "does not verify");
	/* a precertificate has no SCT list */
	expect_unverified(&ct, pre, ca, "no SCT list");
	X509_free(fin);
	X509_free(pre);
	free(list);
}

/* A flipped signature byte, a bad list length or an SCT of a log the policy does not
 * know fails. */
static void
test_verify_tampered(void **state)
{
	kk_ct_policy ct;
	kk_err err = { 0 };
	X509 *pre = make_cert("test.example", leaf_key, ca, ca_key, 90, 1), *fin = NULL;
	unsigned char *list = NULL;
	size_t len = 0;

	(void)state;
	modes("ok", "ok");
	pol_ab(&ct, 2, 2, 10);
	assert_int_equal(collect(&ct, pre, &list, &len, &err), 0);
	list[len - 1] ^= 0x01;	/* the last octet of the second SCT's signature */
	fin = make_final(pre, list, len);
	assert_int_equal(ossl_valid(list, len, fin), 1);
	expect_unverified(&ct, fin, ca, "SCT 2 (B 'log'): SCT signature does not verify");
	assert_int_equal(py_verify(fin, 2), 1);
	X509_free(fin);

	list[len - 1] ^= 0x01;
	list[1] ^= 0x01;	/* the list's length no longer matches */
	fin = make_final(pre, list, len);
	expect_unverified(&ct, fin, ca, "malformed SCT list");
	X509_free(fin);

	list[1] ^= 0x01;
	fin = make_final(pre, list, len);
	ct.n_logs = 1;
	expect_unverified(&ct, fin, ca, "SCT 2: unknown log ID");
	X509_free(fin);
	X509_free(pre);
	free(list);
}

static void
expect_refused(const kk_ct_policy *ct, const char *want)
{
	X509 *pre = make_cert("test.example", leaf_key, ca, ca_key, 90, 1);
	unsigned char *list = NULL;
	size_t len = 0;
	kk_err err = { 0 };

	assert_int_equal(collect(ct, pre, &list, &len, &err), -1);
	assert_null(list);
	assert_int_equal(err.kind, KK_ERR_INTERNAL);
	if (strstr(err.detail, want) == NULL)
		fail_msg("detail \"%s\" lacks \"%s\"", err.detail, want);
	X509_free(pre);
}

static void
test_log_down(void **state)
{
	kk_ct_policy ct;

	(void)state;
	modes("ok", "down");
	pol_init(&ct, 1, 1, 10);
	pol_add(&ct, &logs[1], "B 'log'", "OpB");
	expect_refused(&ct, "CT: 0 of 1 required SCTs (0 of 1 operators): B 'log': HTTP 503: "
	    "log is down");
	pol_ab(&ct, 2, 1, 10);
	expect_refused(&ct, "CT: 1 of 2 required SCTs (1 of 1 operators): B 'log': HTTP 503");
}

static void
test_refused_connection(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	kk_ct_policy ct;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)state;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);	/* nothing listens there now */
	modes("ok", "ok");
	pol_init(&ct, 2, 2, 10);
	pol_add(&ct, &logs[0], "A 'log'", "OpA");
	ct_pol_add(&ct, &logs[1], ntohs(sa.sin_port), "B 'log'", "OpB", 0, 0);
	expect_refused(&ct, "CT: 1 of 2 required SCTs (1 of 2 operators): B 'log': Failed to "
	    "connect");
}

static void
test_same_operator(void **state)
{
	kk_ct_policy ct;

	(void)state;
	modes("ok", "ok");
	pol_init(&ct, 2, 2, 10);
	pol_add(&ct, &logs[0], "A 'log'", "Same");
	pol_add(&ct, &logs[1], "B 'log'", "Same");
	expect_refused(&ct, "CT: 2 of 2 required SCTs (1 of 2 operators)");
}

/* Each bad answer is refused and named; the good log alone still satisfies 1 SCT. */
static void
test_bad_answers(void **state)
{
	static const char *const cases[][2] = {
		{ "badsig", "B 'log': SCT signature does not verify" },
		{ "wrongid", "B 'log': SCT log ID is not the log's" },
		{ "garbage", "B 'log': answer is not JSON" },
	};
	X509 *pre = make_cert("test.example", leaf_key, ca, ca_key, 90, 1);
	unsigned char *list = NULL;
	kk_ct_policy ct;
	kk_err err = { 0 };
	size_t i, len;

	(void)state;
	pol_ab(&ct, 2, 2, 10);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		modes("ok", cases[i][0]);
		ct.min_scts = ct.min_operators = 2;
		expect_refused(&ct, cases[i][1]);
		ct.min_scts = ct.min_operators = 1;
		assert_int_equal(collect(&ct, pre, &list, &len, &err), 0);
		assert_int_equal(ossl_valid(list, len, pre), 1);
		assert_int_equal(len, 2 + 2 + (size_t)(list[2] << 8 | list[3]));
		free(list);
	}
	X509_free(pre);
}

/* A log slower than timeout_seconds is abandoned in time and named. */
static void
test_slow(void **state)
{
	struct timespec t0, t1;
	kk_ct_policy ct;

	(void)state;
	modes("ok", "slow");
	pol_ab(&ct, 2, 2, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_refused(&ct, "B 'log': Operation timed out");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 3);
	ct_log_mode(&logs[1], "ok");
}

/* Temporal shards (RFC 6962 log lists): only the log whose [start, end) holds notAfter
 * is contacted, the other never sees the precertificate. */
static void
test_temporal(void **state)
{
	time_t now = time(NULL);
	X509 *pre90 = make_cert("test.example", leaf_key, ca, ca_key, 90, 1);
	X509 *pre300 = make_cert("test.example", leaf_key, ca, ca_key, 300, 1);
	unsigned char *list = NULL;
	kk_ct_policy ct;
	kk_err err = { 0 };
	long a0 = ct_file_lines(logs[0].record), c0 = ct_file_lines(logs[2].record);
	size_t len;

	(void)state;
	modes("ok", "ok");
	pol_init(&ct, 1, 1, 10);
	ct_pol_add(&ct, &logs[0], logs[0].port, "A 2026", "OpA", now, now + 200 * DAY);
	ct_pol_add(&ct, &logs[2], logs[2].port, "C 2027", "OpC", now + 200 * DAY,
	    now + 400 * DAY);
	assert_int_equal(collect(&ct, pre90, &list, &len, &err), 0);
	assert_int_equal(ossl_valid(list, len, pre90), 1);
	free(list);
	assert_int_equal(ct_file_lines(logs[0].record), a0 + 1);
	assert_int_equal(ct_file_lines(logs[2].record), c0);

	assert_int_equal(collect(&ct, pre300, &list, &len, &err), 0);
	assert_int_equal(ossl_valid(list, len, pre300), 1);
	free(list);
	assert_int_equal(ct_file_lines(logs[0].record), a0 + 1);
	assert_int_equal(ct_file_lines(logs[2].record), c0 + 1);

	ct.logs[1].not_after_start = now + 500 * DAY;
	ct.logs[1].not_after_end = now + 600 * DAY;
	list = NULL;
	assert_int_equal(collect(&ct, pre300, &list, &len, &err), -1);
	assert_non_null(strstr(err.detail, "no log of the policy takes notAfter"));
	assert_int_equal(ct_file_lines(logs[2].record), c0 + 1);
	X509_free(pre90);
	X509_free(pre300);
}

/* A log URL without the trailing '/' works; a certificate without the poison, or a chain
 * without a CA certificate, is not submitted. */
static void
test_input_checks(void **state)
{
	X509 *plain = make_cert("test.example", leaf_key, ca, ca_key, 90, 0);
	X509 *pre = make_cert("test.example", leaf_key, ca, ca_key, 90, 1);
	unsigned char *der = NULL, *list = NULL;
	kk_ct_policy ct;
	kk_err err = { 0 };
	size_t len;
	long b0 = ct_file_lines(logs[1].record);
	int n;

	(void)state;
	modes("ok", "ok");
	pol_init(&ct, 1, 1, 10);
	pol_add(&ct, &logs[1], "B 'log'", "OpB");
	ct.logs[0].url[strlen(ct.logs[0].url) - 1] = '\0';
	assert_int_equal(collect(&ct, pre, &list, &len, &err), 0);
	free(list);
	assert_int_equal(collect(&ct, plain, &list, &len, &err), -1);
	assert_non_null(strstr(err.detail, "exactly one ct_precert_poison"));
	n = i2d_X509(pre, &der);
	assert_int_equal(kk_ct_collect(&ct, der, (size_t)n, ca, "", &list, &len, &err), -1);
	assert_non_null(strstr(err.detail, "chain must hold"));
	assert_int_equal(kk_ct_collect(&ct, der, (size_t)n - 1, ca, NULL, &list, &len, &err),
	    -1);
	assert_non_null(strstr(err.detail, "does not parse"));
	assert_int_equal(ct_file_lines(logs[1].record), b0 + 1);
	OPENSSL_free(der);
	X509_free(plain);
	X509_free(pre);
}

/* Every allocation through the kk_malloc seam may fail: collect and verify fail cleanly
 * (ASan finds leaks) until there is enough memory, then succeed. */
static void
test_alloc_failures(void **state)
{
	X509 *pre = make_cert("test.example", leaf_key, ca, ca_key, 90, 1), *fin = NULL;
	unsigned char *list = NULL;
	kk_ct_policy ct;
	kk_err err;
	size_t len;
	long n;
	int rv = -1, n_valid, n_ops;

	(void)state;
	modes("ok", "ok");
	pol_ab(&ct, 2, 2, 10);
	for (n = 0; rv != 0 && n < 50; n++) {
		kk_err_clear(&err);
		kk_alloc_fail_after(n);
		rv = collect(&ct, pre, &list, &len, &err);
		kk_alloc_fail_after(-1);
		if (rv != 0) {
			assert_null(list);
			assert_int_not_equal(err.detail[0], '\0');
		}
	}
	assert_int_equal(rv, 0);
	assert_true(n > 1);
	fin = make_final(pre, list, len);
	for (rv = -1, n = 0; rv != 0 && n < 50; n++) {
		kk_alloc_fail_after(n);
		rv = kk_ct_verify_cert(&ct, fin, ca, &n_valid, &n_ops, &err);
		kk_alloc_fail_after(-1);
	}
	assert_int_equal(rv, 0);
	assert_int_equal(n_valid, 2);
	X509_free(fin);
	X509_free(pre);
	free(list);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_logs),
		cmocka_unit_test(test_verify_tampered),
		cmocka_unit_test(test_log_down),
		cmocka_unit_test(test_refused_connection),
		cmocka_unit_test(test_same_operator),
		cmocka_unit_test(test_bad_answers),
		cmocka_unit_test(test_slow),
		cmocka_unit_test(test_temporal),
		cmocka_unit_test(test_input_checks),
		cmocka_unit_test(test_alloc_failures),
	};

	return cmocka_run_group_tests(tests, fixture_start, fixture_stop);
}
