/*
 * The policy loader (src/policy.c, src/policy_ct.c, src/policy_methods.c): the input is a
 * policy file (policy/default.json is the seed), read through kk_policy_load from an
 * in-memory file. A policy that loads is then queried the way issuance and validation
 * query it, at dates around every schedule step.
 */
#include <time.h>
#include "fuzz.h"
#include "kakuin/policy.h"

static const char *const challenges[] = { "http-01", "dns-01", "dns-account-01",
	"dns-persist-01", "dns-cname-01", "dns-caa-01", "phone-txt-01", "tls-alpn-01", "" };

/* Every query at t. */
static void
query(kk_policy *p, time_t t)
{
	size_t i;

	(void)kk_policy_validity_days(p, t);
	(void)kk_schedule_days(&p->authz_reuse, t);
	(void)kk_schedule_days(&p->org_reuse, t);
	for (i = 0; i < sizeof(challenges) / sizeof(challenges[0]); i++) {
		(void)kk_policy_method(p, challenges[i]);
		(void)kk_policy_challenge_usable(p, challenges[i], 0, t);
		(void)kk_policy_challenge_usable(p, challenges[i], 1, t);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kk_policy p;
	char path[64];
	size_t i;
	int fd;
	kk_err e;

	fd = fuzz_memfile(data, size, path);
	if (kk_policy_load(path, &p, &e) == 0) {
		query(&p, 0);
		query(&p, (time_t)1767225600);	/* 2026-01-01 */
		for (i = 0; i < p.br_validity.n && i < KK_POLICY_MAX_STEPS; i++) {
			query(&p, p.br_validity.step[i].from - 1);
			query(&p, p.br_validity.step[i].from);
		}
		for (i = 0; i < p.n_profiles && i < KK_POLICY_MAX_PROFILES; i++)
			(void)kk_policy_profile(&p, p.profiles[i].name);
		(void)kk_policy_profile(&p, p.default_profile);
		(void)kk_policy_ct_on(&p);
		kk_policy_set_public_base(&p, "http://127.0.0.1:8080");
	}
	close(fd);
	return 0;
}
