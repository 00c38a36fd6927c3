/* Policy data: the CP/BR schedules either side of every step, and bad policy files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "kakuin/clock.h"
#include "kakuin/policy.h"

static kk_policy pol;

static time_t
at(const char *s)
{
	time_t t = 0;

	assert_int_equal(kk_time_parse(s, &t), 0);
	return t;
}

static void
test_load_default(void **state)
{
	kk_err e;

	(void)state;
	assert_int_equal(kk_policy_load(NULL, &pol, &e), 0);
	assert_string_equal(pol.subject_country, "JP");
	assert_string_equal(pol.policy_oids[0], "1.2.392.200091.100.751.1");
	assert_string_equal(pol.policy_oids[1], "2.23.140.1.2.2");
	assert_int_equal(pol.n_policy_oids, 2);
	assert_string_equal(pol.cps_uri, "https://repo1.secomtrust.net/spcpp/pfw/pfwsr3ca/");
	assert_string_equal(pol.issuing_dn.cn, "SECOM Passport for Web SR 3.0 CA");
	assert_int_equal(pol.cp_max_validity_days, 398);
	assert_true(pol.serial_bytes * 8 >= 64);
	assert_int_equal(pol.token_lifetime_days, 30);
}

/* BR 6.3.2 (SC-081) against CP 6.3.2's 398 days: the stricter wins. */
static void
test_validity_schedule(void **state)
{
	(void)state;
	assert_int_equal(kk_policy_validity_days(&pol, at("2026-03-14T23:59:59Z")), 398);
	assert_int_equal(kk_policy_validity_days(&pol, at("2026-03-15")), 200);
	assert_int_equal(kk_policy_validity_days(&pol, at("2027-03-14T23:59:59Z")), 200);
	assert_int_equal(kk_policy_validity_days(&pol, at("2027-03-15")), 100);
	assert_int_equal(kk_policy_validity_days(&pol, at("2029-03-14T23:59:59Z")), 100);
	assert_int_equal(kk_policy_validity_days(&pol, at("2029-03-15")), 47);
	assert_int_equal(kk_policy_validity_days(&pol, at("2035-01-01")), 47);
}

/* BR 4.2.1: reuse of a completed domain validation. */
static void
test_reuse_schedule(void **state)
{
	(void)state;
	assert_int_equal(kk_schedule_days(&pol.authz_reuse, at("2026-03-14")), 398);
	assert_int_equal(kk_schedule_days(&pol.authz_reuse, at("2026-03-15")), 200);
	assert_int_equal(kk_schedule_days(&pol.authz_reuse, at("2027-03-14")), 200);
	assert_int_equal(kk_schedule_days(&pol.authz_reuse, at("2027-03-15")), 100);
	assert_int_equal(kk_schedule_days(&pol.authz_reuse, at("2029-03-14")), 100);
	assert_int_equal(kk_schedule_days(&pol.authz_reuse, at("2029-03-15")), 10);
}

static void
test_public_base(void **state)
{
	kk_policy p = pol;

	(void)state;
	kk_policy_set_public_base(&p, "http://127.0.0.1:4002/");
	assert_string_equal(p.crl_url, "http://127.0.0.1:4002/crl/issuing.crl");
	assert_string_equal(p.ocsp_url, "http://127.0.0.1:4002/ocsp");
}

static void
load_text(const char *text, int want_ok)
{
	char path[] = "/tmp/kakuin-policy-XXXXXX";
	int fd = mkstemp(path);
	kk_policy p;
	kk_err e;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	e.kind = KK_OK;
	assert_int_equal(kk_policy_load(path, &p, &e), want_ok ? 0 : -1);
	if (!want_ok)
		assert_int_equal(e.kind, KK_ERR_INTERNAL);
	unlink(path);
}

static void
test_bad_policies(void **state)
{
	char *text = NULL, *mod;
	FILE *f;
	long n;

	(void)state;
	load_text("{", 0);
	load_text("{}", 0);
	f = fopen(KAKUIN_POLICY_DEFAULT, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 64);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	load_text(text, 1);
	/* CP 6.3.2 caps validity at 398 days: a larger value is refused */
	mod = strstr(text, "\"cp_max_validity_days\": 398");
	assert_non_null(mod);
	memcpy(mod, "\"cp_max_validity_days\": 399", 27);
	load_text(text, 0);
	memcpy(mod, "\"cp_max_validity_days\": 398", 27);
	/* CP 3.2.7: random values live at most 30 days */
	mod = strstr(text, "\"token_lifetime_days\": 30");
	assert_non_null(mod);
	memcpy(mod, "\"token_lifetime_days\": 31", 25);
	load_text(text, 0);
	memcpy(mod, "\"token_lifetime_days\": 30", 25);
	/* a challenge type listed under two methods would make its record ambiguous */
	mod = strstr(text, "\"dns-cname-01\"");
	assert_non_null(mod);
	memcpy(mod, "\"dns-caa-01\"  ", 14);
	load_text(text, 0);
	memcpy(mod, "\"dns-cname-01\"", 14);
	/* only BR 3.2.2.4 methods */
	mod = strstr(text, "\"br\": \"3.2.2.4.7\"");
	assert_non_null(mod);
	memcpy(mod, "\"br\": \"3.2.2.5.7\"", 17);
	load_text(text, 0);
	memcpy(mod, "\"br\": \"3.2.2.4.7\"", 17);
	load_text(text, 1);
	free(text);
}

/* BR 3.2.2.4: the method table, its sunsets and what the CP allows by default. */
static void
test_methods(void **state)
{
	kk_policy p;
	const kk_method *m;
	kk_err e;
	time_t now = at("2026-11-27");

	(void)state;
	assert_int_equal(kk_policy_load(NULL, &p, &e), 0);
	assert_string_equal(p.br_version[0] ? "set" : "", "set");
	/* ACME profiles: the default is the CP/BR maximum, ov-short 47 days */
	assert_string_equal(p.default_profile, "ov");
	assert_int_equal(kk_policy_profile(&p, "ov")->validity_days, 0);
	assert_int_equal(kk_policy_profile(&p, "ov-short")->validity_days, 47);
	assert_null(kk_policy_profile(&p, "dv"));
	m = kk_policy_method(&p, "dns-01");
	assert_non_null(m);
	assert_string_equal(m->br, "3.2.2.4.7");
	assert_string_equal(m->cp, "3.2.7(4)");
	assert_ptr_equal(kk_policy_method(&p, "dns-cname-01"), m);
	assert_ptr_equal(kk_policy_method(&p, "dns-caa-01"), m);
	assert_string_equal(kk_policy_method(&p, "http-01")->br, "3.2.2.4.19");
	assert_null(kk_policy_method(&p, "tls-alpn-01"));
	/* offered: the CP's DNS method (also for wildcards) and http-01 (not for wildcards) */
	assert_true(kk_policy_challenge_usable(&p, "dns-01", 0, now));
	assert_true(kk_policy_challenge_usable(&p, "dns-01", 1, now));
	assert_true(kk_policy_challenge_usable(&p, "http-01", 0, now));
	assert_false(kk_policy_challenge_usable(&p, "http-01", 1, now));
	assert_false(kk_policy_challenge_usable(&p, "nonsense-01", 0, now));
	/* beyond the CP: present but disabled until the operator enables them */
	assert_string_equal(kk_policy_method(&p, "dns-account-01")->br, "3.2.2.4.21");
	assert_string_equal(kk_policy_method(&p, "dns-persist-01")->br, "3.2.2.4.22");
	assert_false(kk_policy_challenge_usable(&p, "dns-account-01", 0, now));
	assert_false(kk_policy_challenge_usable(&p, "dns-persist-01", 0, now));
	/* sunsets (BR 3.2.2.4): .16/.17 end 2027-03-15, .4/.13/.14 end 2028-03-15, .2/.15 over */
	{
		static const struct {
			const char *br, *sunset;
		} want[] = {
			{"3.2.2.4.16", "2027-03-15"}, {"3.2.2.4.17", "2027-03-15"},
			{"3.2.2.4.4", "2028-03-15"}, {"3.2.2.4.13", "2028-03-15"},
			{"3.2.2.4.14", "2028-03-15"},
		};
		size_t i, j, found = 0;

		for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			for (j = 0; j < p.n_methods; j++)
				if (strcmp(p.methods[j].br, want[i].br) == 0) {
					assert_int_equal(p.methods[j].sunset, at(want[i].sunset));
					found++;
				}
		assert_int_equal(found, sizeof(want) / sizeof(want[0]));
		for (j = 0; j < p.n_methods; j++)
			if (strcmp(p.methods[j].br, "3.2.2.4.2") == 0 ||
			    strcmp(p.methods[j].br, "3.2.2.4.15") == 0)
				assert_true(p.methods[j].sunset != 0 && p.methods[j].sunset <= now);
	}
	/* a method that reaches its sunset stops being offered that day */
	for (size_t j = 0; j < p.n_methods; j++)
		if (strcmp(p.methods[j].br, "3.2.2.4.7") == 0)
			p.methods[j].sunset = at("2027-03-15");
	assert_true(kk_policy_challenge_usable(&p, "dns-01", 0, at("2027-03-14")));
	assert_false(kk_policy_challenge_usable(&p, "dns-01", 0, at("2027-03-15")));
	assert_false(kk_policy_challenge_usable(&p, "dns-caa-01", 0, at("2027-03-16")));
	assert_true(kk_policy_challenge_usable(&p, "http-01", 0, at("2027-03-16")));
}

static void
test_clock(void **state)
{
	time_t t;
	char buf[21];

	(void)state;
	kk_clock_set(at("2027-03-15T12:00:00Z"));
	t = kk_now();
	kk_time_format(t, buf);
	assert_string_equal(buf, "2027-03-15T12:00:00Z");
	kk_clock_set(0);
	assert_true(kk_now() > at("2026-01-01"));
	assert_int_equal(kk_time_parse("2027-13-01", &t), -1);
	assert_int_equal(kk_time_parse("garbage", &t), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_default),
		cmocka_unit_test(test_validity_schedule),
		cmocka_unit_test(test_reuse_schedule),
		cmocka_unit_test(test_public_base),
		cmocka_unit_test(test_bad_policies),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
