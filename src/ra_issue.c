/*
 * RA: finalization in the crash-safe order of DESIGN.md: CSR checks -> order
 * processing (CSR stored) -> reserve a unique random serial -> build, lint and record the
 * exact TBS -> sign through the HSM -> store the certificate and mark the order valid in
 * one transaction. A restart finds processing orders and resumes them (kk_ra_issue): a
 * planned TBS is signed exactly as planned, so one serial never gets two contents.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "kakuin/clock.h"
#include "kakuin/metrics.h"
#include "kakuin/store_review.h"
#include "kakuin/util.h"
#include "ra_internal.h"

#define DAY 86400

/* The order's names; the CSR's CN (if it is one of them) first, as the subject CN.
 * Strings borrowed from ids. */
static int
order_names(json_t *ids, X509_REQ *req, const char **names, size_t *n, kk_err *err)
{
	char cn[256] = "";
	json_t *v;
	size_t i, first = 0;

	if (!json_is_array(ids) || json_array_size(ids) == 0 ||
	    json_array_size(ids) > KK_MAX_ORDER_NAMES)
		return kk_err_set(err, KK_ERR_INTERNAL, "order has no identifiers");
	if (req != NULL && X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req),
	    NID_commonName, cn, sizeof(cn)) > 0)
		kk_str_lower(cn);
	json_array_foreach(ids, i, v) {
		names[i] = json_string_value(json_object_get(v, "value"));
		if (names[i] == NULL)
			return kk_err_set(err, KK_ERR_INTERNAL, "order identifiers are corrupt");
		if (strcmp(names[i], cn) == 0)
			first = i;
	}
	*n = json_array_size(ids);
	if (first != 0) {
		const char *t = names[0];
		names[0] = names[first];
		names[first] = t;
	}
	return 0;
}

/* BR 4.2.1: every authorization must have been completed within the reuse period for
 * the date of issuance, not only for the date the order was created. */
static int
check_authz_age(kk_ra *ra, const kk_order *o, time_t now, kk_err *err)
{
	time_t after = now - (time_t)kk_schedule_days(&ra->cfg.policy.authz_reuse, now) * DAY;
	size_t i;

	for (i = 0; i < o->n_authz; i++) {
		kk_authz a;
		int old;

		if (kk_store_authz_get(ra->store, o->authz_ids[i], &a, err) != 0)
			return -1;
		old = a.validated < after;
		if (old)
			kk_err_set(err, KK_ERR_UNAUTHORIZED, "the validation of %s is older than the "
			    "reuse period for today's date; deactivate it and validate again",
			    a.id_value);
		kk_authz_clear(&a);
		if (old)
			return -1;
	}
	return 0;
}

/* The challenge type that made an authorization valid ("" if none). */
static const char *
authz_method(const kk_authz *a)
{
	size_t i;

	for (i = 0; i < a->n_chall; i++)
		if (strcmp(a->chall[i].status, "valid") == 0)
			return a->chall[i].type;
	return "";
}

/* CP 4.2.4 / BR 3.2.2.8: CAA (RFC 8659, RFC 8657) for every name of the order, right
 * before issuance. A refusal or a failed lookup (SERVFAIL, DNSSEC bogus) fails it. */
static int
check_caa(kk_ra *ra, const kk_order *o, const char *acct_uri, kk_err *err)
{
	const kk_policy *pol = &ra->cfg.policy;
	const char *issuers[4];
	size_t i, n;

	for (n = 0; n < pol->n_caa_identities && n < 4; n++)
		issuers[n] = pol->caa_identities[n];
	for (i = 0; i < o->n_authz; i++) {
		kk_caa_req req;
		kk_authz a;
		int rc, dnssec = 0;

		if (kk_store_authz_get(ra->store, o->authz_ids[i], &a, err) != 0)
			return -1;
		memset(&req, 0, sizeof(req));
		req.domain = a.id_value;
		req.wildcard = a.wildcard;
		req.issuer_domains = issuers;
		req.n_issuer_domains = n;
		req.account_uri = acct_uri;
		req.method = authz_method(&a);
		rc = kk_va_caa_check(&ra->cfg.va, &req, &dnssec, err);
		kk_log("info", "va", "CAA for %s%s (order %lld): %s", a.wildcard ? "*." : "",
		    a.id_value, (long long)o->id, rc == 0 ? (dnssec == KK_DNSSEC_SECURE ?
		    "permitted (DNSSEC secure)" : "permitted (insecure)") : err->detail);
		kk_authz_clear(&a);
		if (rc != 0)
			return -1;
	}
	return 0;
}

int
kk_ra_finalize(kk_ra *ra, const kk_account *acct, const char *acct_uri, int64_t order_id,
    const unsigned char *csr, size_t csr_len, kk_err *err)
{
	char *problem = NULL;
	kk_order o;
	json_t *ids = NULL;
	const char *names[KK_MAX_ORDER_NAMES];
	X509_REQ *req = NULL;
	size_t n = 0;
	int rc = -1;

	if (kk_ra_order(ra, acct, order_id, &o, err) != 0)
		return -1;
	if (strcmp(o.status, "ready") != 0) {
		kk_err_set(err, KK_ERR_ORDER_NOT_READY, "order is %s, not ready: %s", o.status,
		    strcmp(o.status, "pending") == 0 ? "complete its authorizations first" :
		    "create a new order");
		goto out;
	}
	if ((ids = json_loads(o.identifiers, 0, NULL)) == NULL ||
	    order_names(ids, NULL, names, &n, err) != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "order %lld: unreadable identifiers",
		    (long long)order_id);
		goto out;
	}
	/* a bad CSR leaves the order ready, so the client can send a better one */
	if (check_authz_age(ra, &o, kk_now(), err) != 0 ||
	    kk_csr_check(csr, csr_len, &ra->cfg.policy, names, n, &req, err) != 0 ||
	    ra_key_allowed(ra, req, err) != 0)
		goto out;
	/* checked before the order turns processing, so a restart never issues unchecked */
	if (check_caa(ra, &o, acct_uri, err) != 0) {
		kk_err e;

		/* the store failing is no CAA answer: the order stays ready */
		if (err->kind == KK_ERR_UNAVAILABLE)
			goto out;
		if ((problem = kk_ra_problem_json(err)) == NULL ||
		    kk_store_order_fail(ra->store, order_id, problem, &e) != 0)
			kk_log("error", "ra", "order %lld: could not record the CAA refusal",
			    (long long)order_id);
		goto out;
	}
	if (kk_store_order_begin_finalize(ra->store, order_id, csr, csr_len, acct_uri, err) != 0)
		goto out;
	/* held for OV review: the order stays processing, the sweeper issues it later */
	if ((rc = kk_ra_issue(ra, order_id, req, err)) == KK_RA_HELD) {
		kk_log("info", "ra", "order %lld held (account %lld): %s",
		    (long long)order_id, (long long)acct->id, err->detail);
		kk_err_clear(err);
		rc = 0;
	}
out:
	free(problem);
	X509_REQ_free(req);
	json_decref(ids);
	kk_order_clear(&o);
	return rc;
}

/* Builds and records the TBS under a serial (reserved earlier or now), with the subject
 * of the approved organization org (CP 3.2.2). */
static int
plan(kk_ra *ra, const kk_order *o, const kk_orgrec *org, X509_REQ *req, const char **names,
    size_t n, kk_cert *cert, kk_err *err)
{
	const kk_cert_profile *prof;
	kk_subject subj;
	unsigned char *tbs = NULL;
	size_t tbs_len = 0;
	time_t nb, na;
	int rc = -1, tries;

	if (cert->serial[0] == '\0') {
		/* a collision of 16 random octets means a broken RNG; retry a little anyway */
		for (tries = 0;; tries++) {
			if (kk_ca_new_serial(&ra->cfg.policy, cert->serial, err) != 0)
				goto out;
			if (kk_store_serial_reserve(ra->store, cert->serial, o->id, o->account_id,
			    err) == 0)
				break;
			if (err->kind != KK_ERR_CONFLICT || tries == 3)
				goto out;
		}
	}
	subj.o = org->name;
	subj.l = org->locality;
	subj.st = org->state;
	prof = kk_policy_profile(&ra->cfg.policy, o->profile[0] ? o->profile :
	    ra->cfg.policy.default_profile);
	subj.validity_days = prof != NULL ? prof->validity_days : 0;
	/* with CT the precertificate is planned first (src/ra_ct.c does the rest) */
	if (kk_policy_ct_on(&ra->cfg.policy)) {
		if (kk_ca_plan_precert(ra->ca, cert->serial, &subj, names, n, req, kk_now(), &tbs,
		    &tbs_len, &nb, &na, err) != 0 ||
		    kk_store_precert_plan(ra->store, cert->serial, tbs, tbs_len, nb, na, err) != 0)
			goto out;
		cert->precert_tbs = tbs;
		cert->precert_tbs_len = tbs_len;
	} else {
		if (kk_ca_plan(ra->ca, cert->serial, &subj, names, n, req, kk_now(), &tbs,
		    &tbs_len, &nb, &na, err) != 0 ||
		    kk_store_cert_plan(ra->store, cert->serial, tbs, tbs_len, nb, na, err) != 0)
			goto out;
		cert->tbs = tbs;
		cert->tbs_len = tbs_len;
	}
	cert->order_id = o->id;
	cert->not_before = nb;
	cert->not_after = na;
	tbs = NULL;
	rc = 0;
out:
	free(tbs);
	return rc;
}

/* The problem of an order refused because its organization was rejected (or its vetting
 * can no longer succeed): one subproblem per name (RFC 8555 6.7.1). */
static char *
rejection_problem(const kk_order *o, const kk_err *why)
{
	json_t *ids = json_loads(o->identifiers, 0, NULL), *subs = json_array(), *p, *v;
	char *s = NULL, *out = NULL;
	size_t i;

	json_array_foreach(ids, i, v)
		json_array_append_new(subs, json_pack("{s:s,s:s,s:O}", "type",
		    "urn:ietf:params:acme:error:unauthorized", "detail",
		    "the subject organization of this name was not approved", "identifier", v));
	p = json_pack("{s:s,s:s,s:i,s:o}", "type", "urn:ietf:params:acme:error:unauthorized",
	    "detail", why->detail, "status", 403, "subproblems", subs ? subs : json_array());
	if (p != NULL && (s = json_dumps(p, JSON_COMPACT)) != NULL)
		out = kk_strdup(s);
	free(s);
	json_decref(p);
	json_decref(ids);
	return out;
}

int
ra_gate(kk_ra *ra, const kk_order *o, int64_t org_id, time_t now, kk_err *why)
{
	const char *names[KK_MAX_ORDER_NAMES];
	json_t *ids = NULL;
	size_t n = 0;
	int rv;

	if ((rv = kk_review_org_issuable(ra->review, org_id, now, why)) != 1 ||
	    !ra->cfg.policy.review_new_domains)
		return rv;
	if ((ids = json_loads(o->identifiers, 0, NULL)) == NULL ||
	    order_names(ids, NULL, names, &n, why) != 0)
		rv = kk_err_set(why, KK_ERR_INTERNAL, "order %lld: unreadable identifiers",
		    (long long)o->id);
	else
		rv = kk_review_order_check(ra->review, o->id, org_id, names, n, why);
	json_decref(ids);
	return rv;
}

/* CP 3.2.2 / 4.2: may this order's certificate be issued now? 1 with *org the approved
 * organization's record; 0 held (not yet approved, or a CAA check of a held order could
 * not be made); -1 refused with err (rejected organization, CAA refusal) or a store
 * failure (err kind KK_ERR_INTERNAL: keep the order). recheck: the order waited or was
 * resumed, so CAA is checked again (BR 3.2.2.8: close to issuance). */
static int
issuable(kk_ra *ra, const kk_order *o, int recheck, kk_orgrec *org, kk_err *err)
{
	kk_account acct;
	int rv;

	memset(&acct, 0, sizeof(acct));
	if (kk_store_account_get(ra->store, o->account_id, &acct, err) != 0) {
		err->kind = KK_ERR_INTERNAL;
		return -1;
	}
	rv = ra_gate(ra, o, acct.org_id, kk_now(), err);
	/* the subject is read after the decision: if it changed in between (and so went
	 * back to review), the order keeps waiting */
	if (rv == 1 && kk_review_org_get(ra->review, acct.org_id, org, err) != 0)
		rv = -1;
	else if (rv == 1 && strcmp(org->status, "approved") != 0)
		rv = 0;
	kk_account_clear(&acct);
	if (rv == -1 && err->kind != KK_ERR_UNAUTHORIZED)
		err->kind = KK_ERR_INTERNAL;
	if (rv != 1 || !recheck)
		return rv;
	return check_caa(ra, o, o->account_uri ? o->account_uri : "", err) == 0 ? 1 : -1;
}

/* Held orders: every second, every processing order is offered to kk_ra_issue, which
 * issues those whose organization has been approved meanwhile (by the web UI or the
 * CLI in another process) and refuses those whose organization was rejected. Once a
 * minute it also picks up new Debian weak-key lists (ra_weakkeys_refresh). */
void *
ra_sweeper_main(void *arg)
{
	kk_ra *ra = arg;
	struct timespec until;
	int64_t *ids = NULL;
	size_t n = 0, i;
	unsigned rounds = 0;
	kk_err e;

	for (;;) {
		/* once a minute: weak-key lists a generator finished meanwhile */
		if (++rounds % 60 == 0)
			ra_weakkeys_refresh(ra);
		pthread_mutex_lock(&ra->qmu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		while (!ra->stopping && pthread_cond_timedwait(&ra->sweep_cv, &ra->qmu,
		    &until) == 0)
			;
		if (ra->stopping) {
			pthread_mutex_unlock(&ra->qmu);
			return NULL;
		}
		pthread_mutex_unlock(&ra->qmu);
		if (kk_store_orders_processing(ra->store, &ids, &n, &e) != 0) {
			kk_log("error", "ra", "sweeper: %s", e.detail);
			continue;
		}
		for (i = 0; i < n; i++)
			if (kk_ra_issue(ra, ids[i], NULL, &e) == -1 && e.kind == KK_ERR_INTERNAL)
				kk_log("error", "ra", "order %lld: %s", (long long)ids[i], e.detail);
		free(ids);
		ids = NULL;
	}
}

/* A transient fault (store busy/full, I/O, token unavailable: KK_ERR_UNAVAILABLE) does
 * not fail the order: it stays processing, whatever was planned stays planned, and
 * the sweeper tries again within a second (the client polls meanwhile). 1 if so. */
static int
deferred(int64_t order_id, const kk_err *err)
{
	if (err->kind != KK_ERR_UNAVAILABLE)
		return 0;
	kk_metric_inc(KK_M_ISSUE_DEFERRED);
	kk_log("warning", "ra", "order %lld stays processing, retried: %s",
	    (long long)order_id, err->detail);
	return 1;
}

/* BR 4.3.1.2: a lint refusal is an event for the audit log (nothing was signed). */
static void
audit_lint(kk_ra *ra, int64_t order_id, const char *serial, const kk_err *why)
{
	char object[64], detail[sizeof(why->detail) + 64];
	kk_auditrec a;
	kk_err e;

	snprintf(object, sizeof(object), "order %lld", (long long)order_id);
	snprintf(detail, sizeof(detail), "serial %s not signed: %s", serial[0] ? serial : "-",
	    why->detail);
	a.at = kk_now();
	a.actor = "system";
	a.action = "cert.lint_refused";
	a.object = object;
	a.detail = detail;
	if (kk_store_audit_add(ra->store, &a, &e) != 0)
		kk_log("error", "ra", "order %lld: cannot record the lint refusal: %s",
		    (long long)order_id, e.detail);
}

/* 1 if order_id is being issued; call with issue_mu held. */
static int
order_busy(const kk_ra *ra, int64_t order_id)
{
	size_t i;

	for (i = 0; i < ra->n_issuing; i++)
		if (ra->issuing[i] == order_id)
			return 1;
	return 0;
}

/* Waits until no other thread issues order_id (and there is room), then claims it. */
static void
order_claim(kk_ra *ra, int64_t order_id)
{
	pthread_mutex_lock(&ra->issue_mu);
	while (order_busy(ra, order_id) ||
	    ra->n_issuing == sizeof(ra->issuing) / sizeof(ra->issuing[0]))
		pthread_cond_wait(&ra->issue_cv, &ra->issue_mu);
	ra->issuing[ra->n_issuing++] = order_id;
	pthread_mutex_unlock(&ra->issue_mu);
}

static void
order_release(kk_ra *ra, int64_t order_id)
{
	size_t i;

	pthread_mutex_lock(&ra->issue_mu);
	for (i = 0; i < ra->n_issuing; i++)
		if (ra->issuing[i] == order_id) {
			ra->issuing[i] = ra->issuing[--ra->n_issuing];
			break;
		}
	pthread_cond_broadcast(&ra->issue_cv);
	pthread_mutex_unlock(&ra->issue_mu);
}

int
kk_ra_issue(kk_ra *ra, int64_t order_id, X509_REQ *checked, kk_err *err)
{
	kk_order o;
	kk_cert cert;
	json_t *ids = NULL;
	const char *names[KK_MAX_ORDER_NAMES];
	unsigned char *csr = NULL, *der = NULL;
	size_t csr_len = 0, der_len = 0, n = 0;
	X509_REQ *req = NULL;
	char *problem = NULL;
	kk_orgrec org;
	int rc = -1, ok;
	kk_err e;

	memset(&o, 0, sizeof(o));
	memset(&cert, 0, sizeof(cert));
	kk_err_clear(err);
	order_claim(ra, order_id);
	if (kk_store_order_get(ra->store, order_id, &o, err) != 0) {
		order_release(ra, order_id);
		return deferred(order_id, err) ? KK_RA_HELD : -1;
	}
	if (strcmp(o.status, "processing") != 0) {
		rc = 0;
		goto out;
	}
	if (kk_store_cert_by_order(ra->store, order_id, &cert, &e) != 0) {
		if (e.kind != KK_ERR_NOT_FOUND) {
			*err = e;
			goto fail;
		}
		memset(&cert, 0, sizeof(cert));
	}
	/* nothing planned yet: the organization must be approved now */
	if (cert.tbs == NULL && cert.precert_tbs == NULL &&
	    (ok = issuable(ra, &o, checked == NULL, &org, err)) != 1) {
		if (ok == 0) {
			rc = KK_RA_HELD;
			goto out;
		}
		if (err->kind == KK_ERR_INTERNAL)
			goto out;
		problem = rejection_problem(&o, err);
		goto refused;
	}
	if (cert.tbs == NULL) {
		if ((ids = json_loads(o.identifiers, 0, NULL)) == NULL ||
		    order_names(ids, NULL, names, &n, err) != 0)
			goto fail;
		if (checked == NULL &&
		    (kk_store_order_csr(ra->store, order_id, &csr, &csr_len, err) != 0 ||
		    kk_csr_check(csr, csr_len, &ra->cfg.policy, names, n, &req, err) != 0))
			goto fail;
		/* a key reported compromised while the order was held is refused too */
		if (order_names(ids, checked ? checked : req, names, &n, err) != 0 ||
		    (cert.precert_tbs == NULL && (ra_key_allowed(ra, checked ? checked : req,
		    err) != 0 || plan(ra, &o, &org, checked ? checked : req, names, n, &cert,
		    err) != 0)))
			goto fail;
		if (cert.tbs == NULL && (rc = ra_ct_finish(ra, names, n, &cert, err)) != 0) {
			if (rc == KK_RA_HELD)
				goto out;
			rc = -1;
			goto fail;
		}
	}
	if (kk_ca_sign(ra->ca, cert.tbs, cert.tbs_len, &der, &der_len, err) != 0 ||
	    kk_store_cert_issue(ra->store, cert.serial, der, der_len, err) != 0)
		goto fail;
	kk_log("info", "ca", "issued serial %s for order %lld", cert.serial, (long long)order_id);
	kk_metric_inc(KK_M_CERTS_ISSUED);
	if (cert.scts != NULL)
		ra_ct_check_issued(ra, cert.serial, der, der_len);
	ra_status_changed(ra, cert.serial);
	rc = 0;
	goto out;
fail:
	if (deferred(order_id, err)) {
		rc = KK_RA_HELD;
		goto out;
	}
	if (err->kind == KK_OK)
		kk_err_set(err, KK_ERR_INTERNAL, "issuance failed");
	kk_log("error", "ca", "order %lld: issuance failed: %s", (long long)order_id, err->detail);
	if (strncmp(err->detail, "lint:", 5) == 0)
		audit_lint(ra, order_id, cert.serial, err);
	problem = kk_ra_problem_json(err);
refused:
	if (problem == NULL || kk_store_order_fail(ra->store, order_id, problem, &e) != 0)
		kk_log("error", "ra", "order %lld stays processing: cannot record failure",
		    (long long)order_id);
	else if (cert.tbs == NULL)
		kk_log("info", "ra", "order %lld refused: %s", (long long)order_id, err->detail);
out:
	order_release(ra, order_id);
	free(problem);
	free(csr);
	free(der);
	X509_REQ_free(req);
	json_decref(ids);
	kk_cert_clear(&cert);
	kk_order_clear(&o);
	return rc;
}

int
kk_ra_cert_chain(kk_ra *ra, const kk_account *acct, const char *serial, char **pem, kk_err *err)
{
	kk_cert c;
	BIO *bio = NULL;
	char *data;
	long len;
	int rc = -1;

	if (kk_store_cert_get(ra->store, serial, &c, err) != 0)
		return -1;
	if (c.account_id != acct->id) {
		kk_err_set(err, KK_ERR_UNAUTHORIZED, "certificate belongs to another account");
		goto out;
	}
	if (c.der == NULL) {
		kk_err_set(err, KK_ERR_NOT_FOUND, "certificate %s is not issued", serial);
		goto out;
	}
	/* the stored DER as PEM: nothing to parse (the signer verified it at issuance) */
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio(bio, PEM_STRING_X509, "", c.der, (long)c.der_len) <= 0 ||
	    BIO_puts(bio, kk_ca_chain_pem(ra->ca)) <= 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot encode certificate %s", serial);
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	if ((*pem = kk_strndup(data, (size_t)len)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
out:
	BIO_free(bio);
	kk_cert_clear(&c);
	return rc;
}
