/*
 * A whole CA for the fuzz targets that need one (fuzz_wfe, fuzz_ocsp), as tests/unit/
 * ra_fixture.h makes it: a SoftHSM token and SQLite store in a temporary data directory
 * (removed at exit), the default policy in dev mode, the clock fixed, and an RA whose
 * VA points at a closed port (validations fail; none is waited for). Include after
 * fuzz.h.
 */
#ifndef KK_FUZZ_RA_H
#define KK_FUZZ_RA_H
#include "kakuin/clock.h"
#include "kakuin/ra.h"
#include "kakuin/status.h"

static char fuzz_dir[] = "/tmp/kk_fuzz_XXXXXX";
static kk_ra_cfg fuzz_cfg;
static kk_ra *fuzz_ra;

static void
fuzz_ra_close(void)
{
	char cmd[600];

	kk_ra_close(fuzz_ra);
	fuzz_ra = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz: could not remove %s\n", fuzz_dir);
}

/* Makes the CA and opens the RA, or dies. */
static void
fuzz_ra_open(void)
{
	time_t t0;
	kk_err e;

	unsetenv("KAKUIN_POLICY");
	unsetenv("KAKUIN_HSM_PIN");
	unsetenv("KAKUIN_HSM_SO_PIN");
	if (mkdtemp(fuzz_dir) == NULL)
		fuzz_die("mkdtemp", fuzz_dir);
	if (kk_policy_load(NULL, &fuzz_cfg.policy, &e) != 0)
		fuzz_die("policy", e.detail);
	kk_paths_init(&fuzz_cfg.paths, fuzz_dir);
	fuzz_cfg.policy.ov_dev_mode = 1;
	kk_time_parse("2026-12-01", &t0);
	kk_clock_set(t0);
	if (kk_ca_init(&fuzz_cfg.paths, &fuzz_cfg.policy, &e) != 0)
		fuzz_die("kk_ca_init", e.detail);
	strcpy(fuzz_cfg.va.resolver_host, "127.0.0.1");
	fuzz_cfg.va.resolver_port = 1;
	fuzz_cfg.va.http01_port = 1;
	fuzz_cfg.va.timeout_sec = 1;
	fuzz_cfg.workers = 1;
	if (kk_ra_open(&fuzz_ra, &fuzz_cfg, &e) != 0)
		fuzz_die("kk_ra_open", e.detail);
	kk_org def = { 1, fuzz_cfg.policy.dev_org_name, fuzz_cfg.policy.dev_org_unit,
	    fuzz_cfg.policy.dev_org_locality, fuzz_cfg.policy.dev_org_state };
	if (kk_store_org_ensure_default(kk_ra_store(fuzz_ra), &def, &e) != 0)
		fuzz_die("default organization", e.detail);
	atexit(fuzz_ra_close);
}
#endif
