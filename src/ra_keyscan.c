/*
 * The CA's key scan (include/kakuin/ra.h kk_keys_scan; CP 4.9.1, BR 4.9.1.1): keys that
 * passed kk_key_check at issuance can fail it later, when a Debian weak-key list is
 * loaded (CVE-2008-0166; "a demonstrated or proven method that can easily compute the
 * private key": revoke within 24 hours). Each such certificate gets a revocation
 * request for the reviewers, who revoke it with the key blocked (CP 4.9.12).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/x509.h>
#include "kakuin/clock.h"
#include "kakuin/keycheck.h"
#include "kakuin/ra.h"
#include "kakuin/store_revoke.h"
#include "kakuin/util.h"
#include "ra_internal.h"

/* 1 if serial has an open request, 0 if not. */
static int
has_open(const kk_revreq *open, size_t n, const char *serial)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(open[i].serial, serial) == 0)
			return 1;
	return 0;
}

/* 1 with why set if the certificate's key is refused now, 0 if not, -1 on error. */
static int
key_refused(kk_store *st, const kk_policy *pol, const char *serial, kk_err *why, kk_err *err)
{
	const unsigned char *p;
	kk_cert c;
	X509 *x = NULL;
	int rv = -1;

	if (kk_store_cert_get(st, serial, &c, err) != 0)
		return -1;
	p = c.der;
	if (c.der == NULL || (x = d2i_X509(NULL, &p, (long)c.der_len)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "certificate %s does not parse", serial);
		goto out;
	}
	kk_err_clear(why);
	if (kk_key_check(X509_get0_pubkey(x), pol, why) == 0)
		rv = 0;
	else if (why->kind == KK_ERR_BAD_PUBLIC_KEY)
		rv = 1;
	else
		*err = *why;
out:
	X509_free(x);
	kk_cert_clear(&c);
	return rv;
}

int
kk_keys_scan(kk_store *st, const kk_policy *pol, time_t now, size_t *n_found,
    size_t *n_filed, kk_err *err)
{
	char (*serials)[41] = NULL;
	kk_revreq *open = NULL;
	size_t n = 0, n_open = 0, i;
	char detail[sizeof(err->detail) + 32];
	int rc = -1, rv;
	kk_err why;

	*n_found = *n_filed = 0;
	if (kk_store_certs_live(st, now, &serials, &n, err) != 0 ||
	    kk_store_revreq_open(st, &open, &n_open, err) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((rv = key_refused(st, pol, serials[i], &why, err)) < 0)
			goto out;
		if (rv == 0)
			continue;
		(*n_found)++;
		kk_log("warning", "keys", "certificate %s: %s", serials[i], why.detail);
		if (has_open(open, n_open, serials[i]))
			continue;
		snprintf(detail, sizeof(detail), "key check: %s", why.detail);
		if (kk_revoke_request(st, NULL, serials[i], 1, detail, "24h", now, NULL, err) != 0)
			goto out;
		(*n_filed)++;
	}
	rc = 0;
out:
	free(serials);
	free(open);
	return rc;
}

void
ra_weakkeys_refresh(kk_ra *ra)
{
	char dir[600];
	size_t n_new = 0, found = 0, filed = 0;
	struct stat sb;
	kk_err e;

	snprintf(dir, sizeof(dir), "%s/weakkeys", ra->cfg.paths.data_dir);
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return;
	/* a malformed list is refused; the lists before it stay loaded */
	if (kk_weakkeys_load_dir(dir, &n_new, &e) != 0)
		kk_log("error", "keys", "%s", e.detail);
	if (n_new == 0)
		return;
	kk_log("info", "keys", "Debian weak-key lists: %zu new, %zu keys in all (%s)", n_new,
	    kk_weakkeys_count(), dir);
	if (kk_keys_scan(ra->store, &ra->cfg.policy, kk_now(), &found, &filed, &e) != 0)
		kk_log("error", "keys", "key scan: %s", e.detail);
	else if (found > 0)
		kk_log("warning", "keys", "key scan: %zu live certificates have keys refused now; "
		    "%zu new revocation requests, 24 hours (CP 4.9.1)", found, filed);
}
