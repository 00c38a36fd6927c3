/*
 * kk_va_validate for the DNS challenge types and kk_va_dnssec_probe (src/va_methods.c,
 * src/va_dns.c) against the scripted server of va_fake_dns.h.
 *
 * Expected values were computed independently with Python:
 *   KA = "tok.NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
 *   base64.urlsafe_b64encode(sha256(KA)).rstrip("=")            -> DKA
 *   base64.b32encode(sha256(KA)).rstrip("=").lower()            -> CNAME_LABEL
 *   base64.b32encode(sha256(ACCT)[:10]).lower()                 -> ACCT_LABEL
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "kakuin/util.h"
#include "kakuin/va.h"
#include "va_fake_dns.h"

#define KA		"tok.NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
#define DKA		"Fz5FCvp8mRrjCABQxKd9BWAyGzoLTsF_lzPB2Nkytro"
#define CNAME_LABEL	"_c47ekcx2psmrvyyiabimjj35avqdegz2bnhmc74xgpa5rwjsw25a"
#define ACCT		"https://127.0.0.1:14000/acme/acct/3"
#define ACCT_LABEL	"_7wqbhmr4byit5kh4"
#define ISSUER		"secomtrust.net"
#define TXT_OWNER	"_acme-challenge.ok.test"
#define PERSIST		"_validation-persist.ok.test"
#define T_TXT		LDNS_RR_TYPE_TXT
#define T_CAA		LDNS_RR_TYPE_CAA
#define T_CNAME		LDNS_RR_TYPE_CNAME

static const char *const issuers[] = { "other.example", ISSUER };

/* One kk_va_validate run: the script, the challenge, and what must come out. kind KK_OK
 * means success with checked/dnssec/covers; otherwise the error kind and two substrings
 * of the detail (checked must still name the record). */
typedef struct vcase {
	fake_answer script[4];
	const char *type;
	int wildcard;
	const char *account;
	time_t now;
	kk_errkind kind;
	const char *checked;
	int dnssec, covers;
	const char *w1, *w2;
} vcase;

static void
test_vcase(void **state)
{
	const vcase *c = *state;
	kk_va_cfg cfg = fake_cfg();
	kk_va_chall ch;
	kk_va_result res;
	kk_err err;
	int rv;

	fake_dns_script_upto(c->script, 4, 0);
	memset(&ch, 0, sizeof(ch));
	ch.type = c->type;
	ch.domain = "ok.test";
	ch.wildcard = c->wildcard;
	ch.token = "tok";
	ch.key_authz = KA;
	ch.account_uri = c->account != NULL ? c->account : ACCT;
	ch.issuer_domains = issuers;
	ch.n_issuer_domains = 2;
	ch.cname_target = "dcv.secomtrust.net";
	ch.now = c->now != 0 ? c->now : 1700000000;
	kk_err_clear(&err);
	rv = kk_va_validate(&cfg, &ch, &res, &err);
	assert_int_equal(fake_refused, 0);
	if (c->checked != NULL)
		assert_string_equal(res.checked, c->checked);
	assert_outcome(rv, &err, c->kind, c->w1, c->w2);
	if (c->kind == KK_OK) {
		assert_int_equal(res.dnssec, c->dnssec);
		assert_int_equal(res.covers_subdomains, c->covers);
	}
}

/* ---- dns-01 ---- */

static vcase dns01_ok = { { { TXT_OWNER, T_TXT, 0, 1, 0, NULL,
    { TXT_OWNER ". 0 IN TXT \"other\"", TXT_OWNER ". 0 IN TXT \"" DKA "\"" } } },
    "dns-01", 0, NULL, 0, KK_OK, "TXT " TXT_OWNER, KK_DNSSEC_SECURE, 1, NULL, NULL };
static vcase dns01_insecure = { { { TXT_OWNER, T_TXT, 0, 0, 0, NULL,
    { TXT_OWNER ". 0 IN TXT \"" DKA "\"" } } },
    "dns-01", 1, NULL, 0, KK_OK, "TXT " TXT_OWNER, KK_DNSSEC_INSECURE, 1, NULL, NULL };
/* a TXT record split into several character-strings is joined */
static vcase dns01_split_strings = { { { TXT_OWNER, T_TXT, 0, 1, 0, NULL,
    { TXT_OWNER ". 0 IN TXT \"Fz5FCvp8mRrjCABQxKd9\" \"BWAyGzoLTsF_lzPB2Nkytro\"" } } },
    "dns-01", 0, NULL, 0, KK_OK, "TXT " TXT_OWNER, KK_DNSSEC_SECURE, 1, NULL, NULL };
static vcase dns01_wrong = { { { TXT_OWNER, T_TXT, 0, 1, 0, NULL,
    { TXT_OWNER ". 0 IN TXT \"abc\"" } } },
    "dns-01", 0, NULL, 0, KK_ERR_UNAUTHORIZED, "TXT " TXT_OWNER, 0, 0,
    "Incorrect TXT record \"abc\" found at " TXT_OWNER, NULL };
static vcase dns01_wrong_two = { { { TXT_OWNER, T_TXT, 0, 1, 0, NULL,
    { TXT_OWNER ". 0 IN TXT \"a\\\"b\"", TXT_OWNER ". 0 IN TXT \"" DKA "x\"" } } },
    "dns-01", 0, NULL, 0, KK_ERR_UNAUTHORIZED, NULL, 0, 0,
    "Incorrect TXT record \"a\\\"b\" (and 1 more) found at " TXT_OWNER, NULL };
static vcase dns01_missing = { { { NULL } }, "dns-01", 0, NULL, 0, KK_ERR_UNAUTHORIZED,
    "TXT " TXT_OWNER, 0, 0, "No TXT record found at " TXT_OWNER, NULL };
static vcase dns01_nxdomain = { { { TXT_OWNER, T_TXT, LDNS_RCODE_NXDOMAIN, 1, 0, NULL,
    { NULL } } }, "dns-01", 0, NULL, 0, KK_ERR_UNAUTHORIZED, NULL, 0, 0,
    "No TXT record found at " TXT_OWNER, NULL };
static vcase dns01_bogus = { { { TXT_OWNER, T_TXT, LDNS_RCODE_SERVFAIL, 0, 6,
    "validation failure <_acme-challenge.ok.test. TXT IN>", { NULL } } },
    "dns-01", 0, NULL, 0, KK_ERR_DNS, NULL, 0, 0,
    "DNS problem: SERVFAIL looking up TXT for " TXT_OWNER " - DNSSEC Bogus (EDE 6: "
    "validation failure <_acme-challenge.ok.test. TXT IN>)", NULL };
static vcase dns01_servfail = { { { TXT_OWNER, T_TXT, LDNS_RCODE_SERVFAIL, 0, 0, NULL,
    { NULL } } }, "dns-01", 0, NULL, 0, KK_ERR_DNS, NULL, 0, 0,
    "SERVFAIL looking up TXT for " TXT_OWNER " - the domain's nameservers", NULL };
static vcase dns01_refused = { { { TXT_OWNER, T_TXT, LDNS_RCODE_REFUSED, 0, 22,
    "", { NULL } } }, "dns-01", 0, NULL, 0, KK_ERR_DNS, NULL, 0, 0,
    "REFUSED looking up TXT for " TXT_OWNER " - No Reachable Authority (EDE 22)", NULL };

/* ---- dns-account-01 ---- */

#define ACCT_OWNER	ACCT_LABEL "._acme-challenge.ok.test"
static vcase acct01_ok = { { { ACCT_OWNER, T_TXT, 0, 1, 0, NULL,
    { ACCT_OWNER ". 0 IN TXT \"" DKA "\"" } } },
    "dns-account-01", 0, NULL, 0, KK_OK, "TXT " ACCT_OWNER, KK_DNSSEC_SECURE, 1, NULL, NULL };
/* another account's label is looked up somewhere else */
static vcase acct01_other_account = { { { ACCT_OWNER, T_TXT, 0, 1, 0, NULL,
    { ACCT_OWNER ". 0 IN TXT \"" DKA "\"" } } },
    "dns-account-01", 0, "https://127.0.0.1:14000/acme/acct/4", 0, KK_ERR_UNAUTHORIZED,
    NULL, 0, 0, "No TXT record found at _", "._acme-challenge.ok.test" };
static vcase acct01_wrong = { { { ACCT_OWNER, T_TXT, 0, 1, 0, NULL,
    { ACCT_OWNER ". 0 IN TXT \"nope\"" } } },
    "dns-account-01", 0, NULL, 0, KK_ERR_UNAUTHORIZED, "TXT " ACCT_OWNER, 0, 0,
    "Incorrect TXT record \"nope\" found at " ACCT_OWNER, NULL };

/* ---- dns-cname-01 ---- */

#define CNAME_OWNER	CNAME_LABEL ".ok.test"
static vcase cname01_ok = { { { CNAME_OWNER, T_CNAME, 0, 1, 0, NULL,
    { CNAME_OWNER ". 0 IN CNAME DCV.SecomTrust.net." } } },
    "dns-cname-01", 1, NULL, 0, KK_OK, "CNAME " CNAME_OWNER, KK_DNSSEC_SECURE, 1,
    NULL, NULL };
static vcase cname01_wrong = { { { CNAME_OWNER, T_CNAME, 0, 1, 0, NULL,
    { CNAME_OWNER ". 0 IN CNAME evil.test." } } },
    "dns-cname-01", 0, NULL, 0, KK_ERR_UNAUTHORIZED, "CNAME " CNAME_OWNER, 0, 0,
    "Incorrect CNAME record \"evil.test\" found at " CNAME_OWNER,
    "expected dcv.secomtrust.net" };
static vcase cname01_missing = { { { NULL } }, "dns-cname-01", 0, NULL, 0,
    KK_ERR_UNAUTHORIZED, "CNAME " CNAME_OWNER, 0, 0, "No CNAME record found at "
    CNAME_OWNER, NULL };

/* ---- dns-caa-01 ---- */

static vcase caa01_ok = { { { "ok.test", T_CAA, 0, 0, 0, NULL,
    { "ok.test. 0 IN CAA 0 iodef \"mailto:a@ok.test\"",
      "ok.test. 0 IN CAA 0 issue \"SecomTrust.net; kakuin-dcv=" DKA "\"" } } },
    "dns-caa-01", 0, NULL, 0, KK_OK, "CAA ok.test", KK_DNSSEC_INSECURE, 1, NULL, NULL };
static vcase caa01_issuewild_ok = { { { "ok.test", T_CAA, 0, 1, 0, NULL,
    { "ok.test. 0 IN CAA 0 issuewild \"secomtrust.net;kakuin-dcv=" DKA "\"" } } },
    "dns-caa-01", 1, NULL, 0, KK_OK, "CAA ok.test", KK_DNSSEC_SECURE, 1, NULL, NULL };
static vcase caa01_wrong_digest = { { { "ok.test", T_CAA, 0, 1, 0, NULL,
    { "ok.test. 0 IN CAA 0 issue \"secomtrust.net; kakuin-dcv=abc\"" } } },
    "dns-caa-01", 0, NULL, 0, KK_ERR_UNAUTHORIZED, "CAA ok.test", 0, 0,
    "No CAA issue property for other.example with kakuin-dcv=" DKA " found at ok.test",
    "0 issue \"secomtrust.net; kakuin-dcv=abc\"" };
static vcase caa01_other_issuer = { { { "ok.test", T_CAA, 0, 1, 0, NULL,
    { "ok.test. 0 IN CAA 0 issue \"letsencrypt.org; kakuin-dcv=" DKA "\"" } } },
    "dns-caa-01", 0, NULL, 0, KK_ERR_UNAUTHORIZED, NULL, 0, 0,
    "0 issue \"letsencrypt.org; kakuin-dcv=" DKA "\"", NULL };
/* the spec asks for flags 0 */
static vcase caa01_critical = { { { "ok.test", T_CAA, 0, 1, 0, NULL,
    { "ok.test. 0 IN CAA 128 issue \"secomtrust.net; kakuin-dcv=" DKA "\"" } } },
    "dns-caa-01", 0, NULL, 0, KK_ERR_UNAUTHORIZED, NULL, 0, 0, "128 issue", NULL };
static vcase caa01_missing = { { { NULL } }, "dns-caa-01", 0, NULL, 0, KK_ERR_UNAUTHORIZED,
    "CAA ok.test", 0, 0, "No CAA record found at ok.test", NULL };

/* ---- dns-persist-01 ---- */

#define PTXT(v)	PERSIST ". 0 IN TXT \"" v "\""
static vcase persist_ok = { { { PERSIST, T_TXT, 0, 1, 0, NULL,
    { PTXT("letsencrypt.org; accounturi=https://x/acct/1"),
      PTXT(ISSUER "; accounturi=" ACCT) } } },
    "dns-persist-01", 0, NULL, 0, KK_OK, "TXT " PERSIST, KK_DNSSEC_SECURE, 0, NULL, NULL };
static vcase persist_policy_wildcard = { { { PERSIST, T_TXT, 0, 0, 0, NULL,
    { PTXT(ISSUER "; accounturi=" ACCT "; policy=wildcard") } } },
    "dns-persist-01", 1, NULL, 0, KK_OK, "TXT " PERSIST, KK_DNSSEC_INSECURE, 1, NULL, NULL };
/* keys are case-insensitive, WSP around ";" and "=" allowed, unknown params ignored */
static vcase persist_lenient_syntax = { { { PERSIST, T_TXT, 0, 1, 0, NULL,
    { PTXT(" SECOMTRUST.NET ;\tAccountURI = " ACCT " ; Policy=WildCard; foo=bar ;"
      " PersistUntil=1700000000") } } },
    "dns-persist-01", 1, NULL, 0, KK_OK, NULL, KK_DNSSEC_SECURE, 1, NULL, NULL };
static vcase persist_wildcard_needs_policy = { { { PERSIST, T_TXT, 0, 1, 0, NULL,
    { PTXT(ISSUER "; accounturi=" ACCT "; policy=other") } } },
    "dns-persist-01", 1, NULL, 0, KK_ERR_UNAUTHORIZED, NULL, 0, 0,
    "Incorrect TXT record at " PERSIST ": policy mismatch", "got \"other\"" };
static vcase persist_account_mismatch = { { { PERSIST, T_TXT, 0, 1, 0, NULL,
    { PTXT(ISSUER "; accounturi=https://127.0.0.1:14000/acme/acct/30") } } },
    "dns-persist-01", 0, NULL, 0, KK_ERR_UNAUTHORIZED, NULL, 0, 0,
    "accounturi mismatch: expected \"" ACCT "\"", "got \"https://127.0.0.1:14000/acme/acct/30\"" };
static vcase persist_issuer_mismatch = { { { PERSIST, T_TXT, 0, 1, 0, NULL,
    { PTXT("ca.example; accounturi=" ACCT) } } },
    "dns-persist-01", 0, NULL, 0, KK_ERR_UNAUTHORIZED, NULL, 0, 0,
    "No TXT record for issuer other.example found at " PERSIST,
    "(found \"ca.example; accounturi=" ACCT "\")" };
static vcase persist_expired = { { { PERSIST, T_TXT, 0, 1, 0, NULL,
    { PTXT(ISSUER "; accounturi=" ACCT "; persistUntil=1699999999") } } },
    "dns-persist-01", 0, NULL, 1700000000, KK_ERR_UNAUTHORIZED, NULL, 0, 0,
    "persistUntil 1699999999 has passed", NULL };
static vcase persist_until_future = { { { PERSIST, T_TXT, 0, 1, 0, NULL,
    { PTXT(ISSUER "; accounturi=" ACCT "; persistUntil=1700000001") } } },
    "dns-persist-01", 0, NULL, 1700000000, KK_OK, NULL, KK_DNSSEC_SECURE, 0, NULL, NULL };
static vcase persist_until_malformed = { { { PERSIST, T_TXT, 0, 1, 0, NULL,
    { PTXT(ISSUER "; accounturi=" ACCT "; persistUntil=-5") } } },
    "dns-persist-01", 0, NULL, 0, KK_ERR_UNAUTHORIZED, NULL, 0, 0,
    "malformed persistUntil \"-5\"", NULL };
static vcase persist_duplicate_param = { { { PERSIST, T_TXT, 0, 1, 0, NULL,
    { PTXT(ISSUER "; accounturi=" ACCT "; AccountUri=" ACCT) } } },
    "dns-persist-01", 0, NULL, 0, KK_ERR_UNAUTHORIZED, NULL, 0, 0,
    "record for secomtrust.net is malformed: a parameter appears twice", NULL };
static vcase persist_no_accounturi = { { { PERSIST, T_TXT, 0, 1, 0, NULL,
    { PTXT(ISSUER "; policy=wildcard") } } },
    "dns-persist-01", 0, NULL, 0, KK_ERR_UNAUTHORIZED, NULL, 0, 0,
    "record for secomtrust.net has no accounturi", NULL };
static vcase persist_missing = { { { NULL } }, "dns-persist-01", 0, NULL, 0,
    KK_ERR_UNAUTHORIZED, "TXT " PERSIST, 0, 0, "No TXT record found at " PERSIST, NULL };

/* ---- dispatch ---- */

static vcase unknown_type = { { { NULL } }, "tls-alpn-01", 0, NULL, 0, KK_ERR_MALFORMED,
    NULL, 0, 0, "unknown challenge type \"tls-alpn-01\"", NULL };
static vcase http01_wildcard = { { { NULL } }, "http-01", 1, NULL, 0, KK_ERR_MALFORMED,
    NULL, 0, 0, "wildcard", NULL };

/* Every question carries RD and DO; what was asked is logged in order. */
static void
test_dns01_asks_with_do(void **state)
{
	static const fake_answer script[] = { { TXT_OWNER, T_TXT, 0, 1, 0, NULL,
	    { TXT_OWNER ". 0 IN TXT \"" DKA "\"" } } };
	static const char *const none[] = { ISSUER };
	kk_va_cfg cfg = fake_cfg();
	kk_va_chall ch = { "dns-01", "ok.test", 0, "tok", KA, ACCT, none, 1, NULL, 0 };
	kk_va_result res;
	kk_err err;

	(void)state;
	fake_dns_script(script, 1, 0);
	assert_int_equal(kk_va_validate(&cfg, &ch, &res, &err), 0);
	assert_string_equal(fake_logged(0), "TXT " TXT_OWNER);
	assert_string_equal(fake_logged(1), "");
	assert_int_equal(fake_refused, 0);
	/* an invalid identifier is never looked up */
	ch.domain = "bad_name.test";
	assert_int_equal(kk_va_validate(&cfg, &ch, &res, &err), -1);
	assert_int_equal(err.kind, KK_ERR_DNS);
	assert_has(err.detail, "invalid domain name");
}

/* The only kk_malloc in the DNS path (joining TXT strings) failing is an internal
 * error, not a verdict on the record. */
static void
test_dns01_alloc_failure(void **state)
{
	static const fake_answer script[] = { { TXT_OWNER, T_TXT, 0, 1, 0, NULL,
	    { TXT_OWNER ". 0 IN TXT \"" DKA "\"" } } };
	kk_va_cfg cfg = fake_cfg();
	kk_va_chall ch = { "dns-01", "ok.test", 0, "tok", KA, ACCT, issuers, 2, NULL, 0 };
	kk_va_result res;
	kk_err err;

	(void)state;
	fake_dns_script(script, 1, 0);
	kk_alloc_fail_after(0);
	assert_int_equal(kk_va_validate(&cfg, &ch, &res, &err), -1);
	kk_alloc_fail_after(-1);
	assert_int_equal(err.kind, KK_ERR_INTERNAL);
	assert_int_equal(kk_va_validate(&cfg, &ch, &res, &err), 0);
}

/* ---- kk_va_dnssec_probe ---- */

static void
test_probe(void **state)
{
	static const fake_answer secure[] = { { "secure.test", LDNS_RR_TYPE_SOA, 0, 1, 0, NULL,
	    { "secure.test. 0 IN SOA ns.secure.test. h.secure.test. 1 2 3 4 5" } } };
	static const fake_answer insecure[] = { { "secure.test", LDNS_RR_TYPE_SOA, 0, 0, 0,
	    NULL, { "secure.test. 0 IN SOA ns.secure.test. h.secure.test. 1 2 3 4 5" } } };
	static const fake_answer bogus[] = { { "secure.test", LDNS_RR_TYPE_SOA,
	    LDNS_RCODE_SERVFAIL, 0, 6, "bad sig", { NULL } } };
	static const fake_answer root[] = { { ".", LDNS_RR_TYPE_SOA, 0, 1, 0, NULL,
	    { ". 0 IN SOA a.root-servers.net. n.root. 1 2 3 4 5" } } };
	kk_va_cfg cfg = fake_cfg();
	kk_err err;

	(void)state;
	fake_dns_script(secure, 1, 0);
	assert_int_equal(kk_va_dnssec_probe(&cfg, "secure.test", &err), 0);
	assert_string_equal(fake_logged(0), "SOA secure.test");
	fake_dns_script(root, 1, 0);
	assert_int_equal(kk_va_dnssec_probe(&cfg, ".", &err), 0);
	fake_dns_script(insecure, 1, 0);
	assert_int_equal(kk_va_dnssec_probe(&cfg, "secure.test", &err), -1);
	assert_int_equal(err.kind, KK_ERR_DNS);
	assert_has(err.detail, "without the AD bit");
	assert_has(err.detail, "does not validate DNSSEC");
	fake_dns_script(bogus, 1, 0);
	assert_int_equal(kk_va_dnssec_probe(&cfg, "secure.test", &err), -1);
	assert_int_equal(err.kind, KK_ERR_DNS);
	assert_has(err.detail, "SERVFAIL looking up SOA for secure.test - DNSSEC Bogus "
	    "(EDE 6: bad sig)");
	/* authenticated NODATA also proves the resolver validates */
	fake_dns_script(NULL, 0, 1);
	assert_int_equal(kk_va_dnssec_probe(&cfg, "secure.test", &err), 0);
	strcpy(cfg.resolver_host, "localhost");
	assert_int_equal(kk_va_dnssec_probe(&cfg, "secure.test", &err), -1);
	assert_int_equal(err.kind, KK_ERR_INTERNAL);
}

static void
test_probe_nxdomain(void **state)
{
	static const fake_answer nx[] = { { "gone.test", LDNS_RR_TYPE_SOA, LDNS_RCODE_NXDOMAIN,
	    1, 0, NULL, { NULL } } };
	kk_va_cfg cfg = fake_cfg();
	kk_err err;

	(void)state;
	fake_dns_script(nx, 1, 0);
	assert_int_equal(kk_va_dnssec_probe(&cfg, "gone.test", &err), -1);
	assert_int_equal(err.kind, KK_ERR_DNS);
	assert_has(err.detail, "NXDOMAIN looking up SOA for gone.test");
}

#define CASE(c)	{ "test_" #c, test_vcase, NULL, NULL, &c }

int
main(void)
{
	const struct CMUnitTest tests[] = {
		CASE(dns01_ok), CASE(dns01_insecure), CASE(dns01_split_strings),
		CASE(dns01_wrong), CASE(dns01_wrong_two), CASE(dns01_missing),
		CASE(dns01_nxdomain), CASE(dns01_bogus), CASE(dns01_servfail),
		CASE(dns01_refused),
		cmocka_unit_test(test_dns01_asks_with_do),
		cmocka_unit_test(test_dns01_alloc_failure),
		CASE(acct01_ok), CASE(acct01_other_account), CASE(acct01_wrong),
		CASE(cname01_ok), CASE(cname01_wrong), CASE(cname01_missing),
		CASE(caa01_ok), CASE(caa01_issuewild_ok), CASE(caa01_wrong_digest),
		CASE(caa01_other_issuer), CASE(caa01_critical), CASE(caa01_missing),
		CASE(persist_ok), CASE(persist_policy_wildcard), CASE(persist_lenient_syntax),
		CASE(persist_wildcard_needs_policy), CASE(persist_account_mismatch),
		CASE(persist_issuer_mismatch), CASE(persist_expired),
		CASE(persist_until_future), CASE(persist_until_malformed),
		CASE(persist_duplicate_param), CASE(persist_no_accounturi),
		CASE(persist_missing),
		CASE(unknown_type), CASE(http01_wildcard),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_probe_nxdomain),
	};

	return cmocka_run_group_tests(tests, fake_dns_start, fake_dns_stop);
}
