/*
 * kk_va_caa_check (src/va_caa.c, RFC 8659 + RFC 8657) against the scripted server of
 * va_fake_dns.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "kakuin/va.h"
#include "va_fake_dns.h"

#define ACCT	"https://127.0.0.1:14000/acme/acct/3"
#define T_CAA	LDNS_RR_TYPE_CAA
#define NX	LDNS_RCODE_NXDOMAIN
#define SF	LDNS_RCODE_SERVFAIL
#define CAA(owner, v)	owner ". 0 IN CAA " v

static const char *const issuers[] = { "secomtrust.net", "secom.example" };

/* One check of domain (wildcard) validated by method: kind KK_OK means permitted with
 * *dnssec == dnssec; otherwise the kind and two detail substrings. queried lists the
 * names looked up, in order, ending with NULL (checked when q[0] is set). */
typedef struct ccase {
	fake_answer script[4];
	int default_ad;
	const char *domain;
	int wildcard;
	const char *method;
	kk_errkind kind;
	int dnssec;
	const char *w1, *w2;
	const char *q[5];
} ccase;

static void
test_ccase(void **state)
{
	const ccase *c = *state;
	kk_va_cfg cfg = fake_cfg();
	kk_caa_req req = { c->domain, c->wildcard, issuers, 2, ACCT,
	    c->method != NULL ? c->method : "dns-01" };
	char want[300];
	kk_err err;
	int i, rv, sec = -1;

	fake_dns_script_upto(c->script, 4, c->default_ad);
	kk_err_clear(&err);
	rv = kk_va_caa_check(&cfg, &req, &sec, &err);
	assert_int_equal(fake_refused, 0);
	for (i = 0; c->q[0] != NULL && i < 5; i++) {
		if (c->q[i] == NULL) {
			assert_string_equal(fake_logged(i), "");
			break;
		}
		snprintf(want, sizeof(want), "CAA %s", c->q[i]);
		assert_string_equal(fake_logged(i), want);
	}
	assert_outcome(rv, &err, c->kind, c->w1, c->w2);
	if (c->kind == KK_OK)
		assert_int_equal(sec, c->dnssec);
}

/* no CAA anywhere: permitted after climbing to the TLD (not the root) */
static ccase none_secure = { { { NULL } }, 1, "www.ok.test", 0, NULL, KK_OK,
    KK_DNSSEC_SECURE, NULL, NULL, { "www.ok.test", "ok.test", "test", NULL } };
static ccase none_insecure = { { { NULL } }, 0, "ok.test", 0, NULL, KK_OK,
    KK_DNSSEC_INSECURE, NULL, NULL, { "ok.test", "test", NULL } };
static ccase issue_ours = { { { "ok.test", T_CAA, 0, 1, 0, NULL,
    { CAA("ok.test", "0 issue \"otherca.example\""),
      CAA("ok.test", "0 ISSUE \"SecomTrust.net\""),
      CAA("ok.test", "0 iodef \"mailto:x@ok.test\"") } } }, 1, "ok.test", 0, NULL, KK_OK,
    KK_DNSSEC_SECURE, NULL, NULL, { "ok.test", NULL } };
static ccase other_ca_only = { { { "ok.test", T_CAA, 0, 1, 0, NULL,
    { CAA("ok.test", "0 issue \"otherca.example\""),
      CAA("ok.test", "0 issue \"secomtrust.net.evil\"") } } }, 1, "ok.test", 0, NULL,
    KK_ERR_CAA, 0, "CAA record for ok.test prevents issuance: 0 issue \"otherca.example\"",
    ", 0 issue \"secomtrust.net.evil\"", { NULL } };
static ccase iodef_only = { { { "ok.test", T_CAA, 0, 0, 0, NULL,
    { CAA("ok.test", "0 iodef \"mailto:x@ok.test\"") } } }, 1, "ok.test", 0, NULL, KK_OK,
    KK_DNSSEC_INSECURE, NULL, NULL, { "ok.test", NULL } };

/* ---- issuewild (RFC 8659 4.3) ---- */

#define WILD_OTHER_ISSUE_OURS \
    { CAA("ok.test", "0 issue \"secomtrust.net\""), \
      CAA("ok.test", "0 issuewild \"otherca.example\"") }
static ccase wild_issuewild_wins = { { { "ok.test", T_CAA, 0, 1, 0, NULL,
    WILD_OTHER_ISSUE_OURS } }, 1, "ok.test", 1, NULL, KK_ERR_CAA, 0,
    "CAA record for ok.test prevents issuance: 0 issuewild \"otherca.example\"", NULL,
    { NULL } };
static ccase nonwild_ignores_issuewild = { { { "ok.test", T_CAA, 0, 1, 0, NULL,
    WILD_OTHER_ISSUE_OURS } }, 1, "ok.test", 0, NULL, KK_OK, KK_DNSSEC_SECURE, NULL, NULL,
    { NULL } };
static ccase wild_falls_back_to_issue = { { { "ok.test", T_CAA, 0, 1, 0, NULL,
    { CAA("ok.test", "0 issue \"otherca.example\"") } } }, 1, "ok.test", 1, NULL,
    KK_ERR_CAA, 0, "0 issue \"otherca.example\"", NULL, { NULL } };
static ccase wild_issue_ours = { { { "ok.test", T_CAA, 0, 1, 0, NULL,
    { CAA("ok.test", "0 issue \"secomtrust.net\"") } } }, 1, "ok.test", 1, NULL,
    KK_OK, KK_DNSSEC_SECURE, NULL, NULL, { NULL } };
static ccase wild_issuewild_ours = { { { "ok.test", T_CAA, 0, 1, 0, NULL,
    { CAA("ok.test", "0 issue \"otherca.example\""),
      CAA("ok.test", "0 issuewild \"secom.example\"") } } }, 1, "ok.test", 1, NULL,
    KK_OK, KK_DNSSEC_SECURE, NULL, NULL, { NULL } };
static ccase nonwild_issuewild_ours_only = { { { "ok.test", T_CAA, 0, 1, 0, NULL,
    { CAA("ok.test", "0 issue \"otherca.example\""),
      CAA("ok.test", "0 issuewild \"secomtrust.net\"") } } }, 1, "ok.test", 0, NULL,
    KK_ERR_CAA, 0, "0 issue \"otherca.example\"", NULL, { NULL } };
/* issuewild alone does not restrict non-wildcard names */
static ccase nonwild_only_issuewild_other = { { { "ok.test", T_CAA, 0, 1, 0, NULL,
    { CAA("ok.test", "0 issuewild \"otherca.example\"") } } }, 1, "ok.test", 0, NULL,
    KK_OK, KK_DNSSEC_SECURE, NULL, NULL, { NULL } };

/* ---- climbing and CNAME ---- */

static ccase climb_to_parent = { { { "a.ok.test", T_CAA, NX, 1, 0, NULL, { NULL } },
    { "ok.test", T_CAA, 0, 1, 0, NULL, { CAA("ok.test", "0 issue \"otherca.example\"") } },
    { "test", T_CAA, 0, 1, 0, NULL, { CAA("test", "0 issue \"secomtrust.net\"") } } },
    1, "www.a.ok.test", 0, NULL, KK_ERR_CAA, 0,
    "CAA record for ok.test prevents issuance: 0 issue \"otherca.example\"", NULL,
    { "www.a.ok.test", "a.ok.test", "ok.test", NULL } };
/* one insecure answer on the way makes the whole check insecure */
static ccase climb_mixed_ad = { { { "www.ok.test", T_CAA, 0, 0, 0, NULL, { NULL } },
    { "ok.test", T_CAA, 0, 1, 0, NULL, { CAA("ok.test", "0 issue \"secomtrust.net\"") } } },
    1, "www.ok.test", 0, NULL, KK_OK, KK_DNSSEC_INSECURE, NULL, NULL,
    { "www.ok.test", "ok.test", NULL } };
static ccase cname_target_refuses = { { { "www.ok.test", T_CAA, 0, 1, 0, NULL,
    { "www.ok.test. 0 IN CNAME cdn.other.test.",
      CAA("cdn.other.test", "0 issue \"otherca.example\"") } } }, 1, "www.ok.test", 0,
    NULL, KK_ERR_CAA, 0, "CAA record for www.ok.test prevents issuance: 0 issue "
    "\"otherca.example\"", NULL, { "www.ok.test", NULL } };
static ccase cname_target_permits = { { { "www.ok.test", T_CAA, 0, 1, 0, NULL,
    { "www.ok.test. 0 IN CNAME cdn.other.test.",
      CAA("cdn.other.test", "0 issue \"secomtrust.net\"") } },
    { "ok.test", T_CAA, 0, 1, 0, NULL, { CAA("ok.test", "0 issue \"otherca.example\"") } } },
    1, "www.ok.test", 0, NULL, KK_OK, KK_DNSSEC_SECURE, NULL, NULL, { "www.ok.test", NULL } };
/* a CNAME whose target has no CAA is an empty RRset: climb on from the name */
static ccase cname_empty_climbs = { { { "www.ok.test", T_CAA, 0, 1, 0, NULL,
    { "www.ok.test. 0 IN CNAME cdn.other.test." } },
    { "ok.test", T_CAA, 0, 1, 0, NULL, { CAA("ok.test", "0 issue \"otherca.example\"") } } },
    1, "www.ok.test", 0, NULL, KK_ERR_CAA, 0, "CAA record for ok.test", NULL,
    { "www.ok.test", "ok.test", NULL } };

/* ---- flags and unknown tags ---- */

static ccase unknown_critical = { { { "ok.test", T_CAA, 0, 1, 0, NULL,
    { CAA("ok.test", "0 issue \"secomtrust.net\""),
      CAA("ok.test", "128 tbs \"Unknown\"") } } }, 1, "ok.test", 0, NULL, KK_ERR_CAA, 0,
    "CAA record for ok.test has an unknown critical property", "128 tbs \"Unknown\"",
    { NULL } };
static ccase unknown_noncritical = { { { "ok.test", T_CAA, 0, 1, 0, NULL,
    { CAA("ok.test", "0 tbs \"Unknown\""),
      CAA("ok.test", "0 issue \"secomtrust.net\"") } } }, 1, "ok.test", 0, NULL, KK_OK,
    KK_DNSSEC_SECURE, NULL, NULL, { NULL } };
static ccase unknown_noncritical_only = { { { "ok.test", T_CAA, 0, 1, 0, NULL,
    { CAA("ok.test", "0 contactemail \"a@ok.test\"") } } }, 1, "ok.test", 0, NULL, KK_OK,
    KK_DNSSEC_SECURE, NULL, NULL, { "ok.test", NULL } };
/* a critical issue property is understood, so allowed */
static ccase critical_issue_ours = { { { "ok.test", T_CAA, 0, 1, 0, NULL,
    { CAA("ok.test", "128 issue \"secomtrust.net\"") } } }, 1, "ok.test", 0, NULL, KK_OK,
    KK_DNSSEC_SECURE, NULL, NULL, { NULL } };

/* ---- parameters (RFC 8657) and the issue-value grammar ---- */

static ccase accounturi_match = { { { "ok.test", T_CAA, 0, 1, 0, NULL,
    { CAA("ok.test", "0 issue \"secomtrust.net; accounturi=" ACCT "\"") } } }, 1,
    "ok.test", 0, NULL, KK_OK, KK_DNSSEC_SECURE, NULL, NULL, { NULL } };
static ccase accounturi_mismatch = { { { "ok.test", T_CAA, 0, 1, 0, NULL,
    { CAA("ok.test", "0 issue \"secomtrust.net; accounturi=" ACCT "0\"") } } }, 1,
    "ok.test", 0, NULL, KK_ERR_CAA, 0, "prevents issuance: 0 issue \"secomtrust.net; "
    "accounturi=" ACCT "0\"", NULL, { NULL } };
static ccase methods_match = { { { "ok.test", T_CAA, 0, 1, 0, NULL,
    { CAA("ok.test", "0 issue \"secomtrust.net ; validationmethods = http-01,dns-01 ; "
      "accounturi=" ACCT "\"") } } }, 1, "ok.test", 0, "dns-01", KK_OK,
    KK_DNSSEC_SECURE, NULL, NULL, { NULL } };
static ccase methods_mismatch = { { { "ok.test", T_CAA, 0, 1, 0, NULL,
    { CAA("ok.test", "0 issue \"secomtrust.net; validationmethods=http-01,dns-01\"") } } },
    1, "ok.test", 0, "dns-01-x", KK_ERR_CAA, 0, "validationmethods=http-01,dns-01", NULL,
    { NULL } };
static ccase methods_prefix_no_match = { { { "ok.test", T_CAA, 0, 1, 0, NULL,
    { CAA("ok.test", "0 issue \"secomtrust.net; validationmethods=dns-01\"") } } },
    1, "ok.test", 0, "dns", KK_ERR_CAA, 0, "validationmethods=dns-01", NULL, { NULL } };
static ccase issue_semicolon = { { { "ok.test", T_CAA, 0, 1, 0, NULL,
    { CAA("ok.test", "0 issue \";\"") } } }, 1, "ok.test", 0, NULL, KK_ERR_CAA, 0,
    "CAA record for ok.test prevents issuance: 0 issue \";\"", NULL, { NULL } };
static ccase issue_malformed_param = { { { "ok.test", T_CAA, 0, 1, 0, NULL,
    { CAA("ok.test", "0 issue \"secomtrust.net; accounturi\"") } } }, 1, "ok.test", 0,
    NULL, KK_ERR_CAA, 0, "0 issue \"secomtrust.net; accounturi\"", NULL, { NULL } };
static ccase issue_ours_trailing_semicolon = { { { "ok.test", T_CAA, 0, 1, 0, NULL,
    { CAA("ok.test", "0 issue \" secomtrust.net ; \"") } } }, 1, "ok.test", 0, NULL, KK_OK,
    KK_DNSSEC_SECURE, NULL, NULL, { NULL } };

/* ---- lookup failures refuse ---- */

static ccase servfail_at_name = { { { "ok.test", T_CAA, SF, 0, 6, "signature expired",
    { NULL } } }, 1, "ok.test", 0, NULL, KK_ERR_DNS, 0,
    "DNS problem: SERVFAIL looking up CAA for ok.test - DNSSEC Bogus (EDE 6: signature "
    "expired)", NULL, { "ok.test", NULL } };
static ccase servfail_at_parent = { { { "x.broken.test", T_CAA, NX, 1, 0, NULL, { NULL } },
    { "broken.test", T_CAA, SF, 0, 0, NULL, { NULL } },
    { "test", T_CAA, 0, 1, 0, NULL, { CAA("test", "0 issue \"secomtrust.net\"") } } },
    1, "x.broken.test", 0, NULL, KK_ERR_DNS, 0, "SERVFAIL looking up CAA for broken.test",
    NULL, { "x.broken.test", "broken.test", NULL } };
static ccase servfail_at_tld = { { { "test", T_CAA, SF, 0, 0, NULL, { NULL } } },
    1, "a.b.ok.test", 0, NULL, KK_ERR_DNS, 0, "SERVFAIL looking up CAA for test", NULL,
    { "a.b.ok.test", "b.ok.test", "ok.test", "test", NULL } };

static void
test_invalid_and_misconfigured(void **state)
{
	kk_va_cfg cfg = fake_cfg();
	kk_caa_req req = { "bad_name.test", 0, issuers, 2, ACCT, "dns-01" };
	kk_err err;
	int sec = 7;

	(void)state;
	fake_dns_script(NULL, 0, 1);
	assert_int_equal(kk_va_caa_check(&cfg, &req, &sec, &err), -1);
	assert_int_equal(err.kind, KK_ERR_MALFORMED);
	assert_int_equal(sec, KK_DNSSEC_INSECURE);
	assert_string_equal(fake_logged(0), "");
	req.domain = "ok.test";
	cfg.resolver_port = 70000;
	assert_int_equal(kk_va_caa_check(&cfg, &req, NULL, &err), -1);
	assert_int_equal(err.kind, KK_ERR_INTERNAL);
	cfg = fake_cfg();
	assert_int_equal(kk_va_caa_check(&cfg, &req, NULL, &err), 0);
}

#define CASE(c)	{ "test_" #c, test_ccase, NULL, NULL, &c }

int
main(void)
{
	const struct CMUnitTest tests[] = {
		CASE(none_secure), CASE(none_insecure), CASE(issue_ours), CASE(other_ca_only),
		CASE(iodef_only),
		CASE(wild_issuewild_wins), CASE(nonwild_ignores_issuewild),
		CASE(wild_falls_back_to_issue), CASE(wild_issue_ours),
		CASE(wild_issuewild_ours), CASE(nonwild_issuewild_ours_only),
		CASE(nonwild_only_issuewild_other),
		CASE(climb_to_parent), CASE(climb_mixed_ad), CASE(cname_target_refuses),
		CASE(cname_target_permits), CASE(cname_empty_climbs),
		CASE(unknown_critical), CASE(unknown_noncritical),
		CASE(unknown_noncritical_only), CASE(critical_issue_ours),
		CASE(accounturi_match), CASE(accounturi_mismatch), CASE(methods_match),
		CASE(methods_mismatch), CASE(methods_prefix_no_match), CASE(issue_semicolon),
		CASE(issue_malformed_param), CASE(issue_ours_trailing_semicolon),
		CASE(servfail_at_name), CASE(servfail_at_parent), CASE(servfail_at_tld),
		cmocka_unit_test(test_invalid_and_misconfigured),
	};

	return cmocka_run_group_tests(tests, fake_dns_start, fake_dns_stop);
}
