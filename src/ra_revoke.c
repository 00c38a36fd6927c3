/*
 * RA: revocation (RFC 8555 7.6, CP 4.9). Who may revoke is decided here; the store
 * changes the certificate, its key-compromise siblings, the blocked key and the audit
 * row in one transaction; the publishers hear of each revoked serial afterwards.
 *
 * Reason 0 sent explicitly (certbot's default) is taken as unspecified rather than
 * refused: BR 7.2.2 forbids encoding it in the CRL, which storing NULL guarantees.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "kakuin/clock.h"
#include "kakuin/util.h"
#include "ra_internal.h"

#define HOUR 3600

static const struct {
	const char *name;
	int code;
} reasons[] = {
	{"unspecified", 0}, {"keyCompromise", 1}, {"affiliationChanged", 3},
	{"superseded", 4}, {"cessationOfOperation", 5}, {"privilegeWithdrawn", 9},
};

int
kk_revoke_reason_parse(const char *name, int *code)
{
	size_t i;

	for (i = 0; name != NULL && i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strcmp(name, reasons[i].name) == 0) {
			*code = reasons[i].code;
			return 0;
		}
	return -1;
}

const char *
kk_revoke_reason_name(int code)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == code)
			return reasons[i].name;
	return NULL;
}

/* The serial of x as the store keeps it: lower-case hex of the INTEGER's octets. */
static int
cert_serial(const X509 *x, char out[41])
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
	int len = ASN1_STRING_length(sn);

	if (len <= 0 || len > 20 || ASN1_STRING_type(sn) == V_ASN1_NEG_INTEGER)
		return -1;
	kk_hex(ASN1_STRING_get0_data(sn), (size_t)len, out);
	return 0;
}

/* RFC 8555 7.6: an account other than the subscriber's may revoke when it holds a valid,
 * unexpired authorization for every name (directly, or under the ADN rule). 1 yes, 0
 * no, -1 on a store failure. */
static int
holds_authz(kk_ra *ra, const kk_account *acct, X509 *x, kk_err *err)
{
	GENERAL_NAMES *san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	time_t now = kk_now();
	char name[256];
	int i, n, ok = san != NULL && sk_GENERAL_NAME_num(san) > 0, wild;
	int64_t id;
	kk_err e;

	n = san != NULL ? sk_GENERAL_NAME_num(san) : 0;
	for (i = 0; ok == 1 && i < n; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(san, i);
		const ASN1_IA5STRING *d;

		if (g->type != GEN_DNS || (d = g->d.dNSName)->length <= 0 ||
		    d->length >= (int)sizeof(name)) {
			ok = 0;
			break;
		}
		memcpy(name, d->data, (size_t)d->length);
		name[d->length] = '\0';
		kk_str_lower(name);
		wild = strncmp(name, "*.", 2) == 0;
		if (kk_store_authz_find_reusable(ra->store, acct->id, name + 2 * wild, wild, now, 0,
		    &id, &e) == 0 || kk_store_authz_find_covering(ra->store, acct->id,
		    name + 2 * wild, wild, now, 0, &id, &e) == 0)
			continue;
		ok = e.kind == KK_ERR_NOT_FOUND ? 0 : -1;
		if (ok == -1)
			*err = e;
	}
	GENERAL_NAMES_free(san);
	return ok;
}

/* Revokes through the store and tells the publishers about every serial revoked. */
static int
revoke_and_publish(kk_ra *ra, kk_store *st, const kk_revocation *r, char ***out,
    size_t *nout, kk_err *err)
{
	char **serials = NULL;
	size_t n = 0, i;

	if (kk_store_cert_revoke(st, r, &serials, &n, err) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		kk_log("info", "ra", "revoked serial %s (%s, by %s)", serials[i],
		    kk_revoke_reason_name(i == 0 ? r->reason : 1), r->by);
		if (ra != NULL)
			ra_status_changed(ra, serials[i]);
	}
	if (out != NULL) {
		*out = serials;
		*nout = n;
	} else
		kk_serials_free(serials, n);
	return 0;
}

/* The issued certificate DER names: same bytes as stored, else NOT_FOUND. */
static int
our_cert(kk_ra *ra, X509 *x, const kk_revoke_req *rq, char serial[41], kk_cert *c,
    kk_err *err)
{
	if (cert_serial(x, serial) != 0 || kk_store_cert_get(ra->store, serial, c, err) != 0 ||
	    c->der == NULL || c->der_len != rq->der_len ||
	    memcmp(c->der, rq->der, rq->der_len) != 0)
		return kk_err_set(err, KK_ERR_NOT_FOUND, "this certificate was not issued by "
		    "this CA");
	return 0;
}

int
kk_ra_revoke(kk_ra *ra, const kk_revoke_req *rq, kk_err *err)
{
	const unsigned char *p = rq->der;
	char serial[41], spki[65], by[40], adetail[80];
	kk_revocation r;
	kk_auditrec a;
	kk_cert c;
	X509 *x = NULL;
	int rc = -1, ok;

	memset(&c, 0, sizeof(c));
	memset(&r, 0, sizeof(r));
	if (rq->reason != -1 && kk_revoke_reason_name(rq->reason) == NULL)
		return kk_err_set(err, KK_ERR_BAD_REVOCATION_REASON, "reason %d is not allowed; "
		    "use 1 (keyCompromise), 3, 4, 5 or 9, or omit it (BR 7.2.2)", rq->reason);
	if ((x = d2i_X509(NULL, &p, (long)rq->der_len)) == NULL || p != rq->der + rq->der_len)
		return kk_err_set(err, KK_ERR_MALFORMED, "\"certificate\" is not a DER "
		    "certificate");
	if (our_cert(ra, x, rq, serial, &c, err) != 0)
		goto out;
	r.serial = serial;
	r.reason = rq->reason > 0 ? rq->reason : 0;
	r.when = kk_now();
	r.by = by;
	if (rq->cert_key) {
		snprintf(by, sizeof(by), "certificate key");
		r.reason = 1;
	} else if (rq->acct != NULL && c.account_id == rq->acct->id) {
		snprintf(by, sizeof(by), "account %lld", (long long)rq->acct->id);
	} else if (rq->acct != NULL) {
		if ((ok = holds_authz(ra, rq->acct, x, err)) != 1) {
			if (ok == 0)
				kk_err_set(err, KK_ERR_UNAUTHORIZED, "this account neither ordered the "
				    "certificate nor holds valid authorizations for all its names");
			goto out;
		}
		snprintf(by, sizeof(by), "account %lld", (long long)rq->acct->id);
	} else {
		kk_err_set(err, KK_ERR_UNAUTHORIZED, "sign with an account key or the "
		    "certificate's key");
		goto out;
	}
	/* CP 4.9.12: a compromised key is revoked everywhere and never certified again */
	if (r.reason == 1) {
		if (kk_spki_sha256_pub(X509_get_X509_PUBKEY(x), spki) != 0) {
			kk_err_set(err, KK_ERR_INTERNAL, "cannot hash the certificate key");
			goto out;
		}
		r.block_spki = spki;
	}
	snprintf(adetail, sizeof(adetail), "revokeCert: %s", kk_revoke_reason_name(r.reason));
	a.at = r.when;
	a.actor = by;
	a.action = "certificate.revoke";
	a.object = NULL;
	a.detail = adetail;
	r.audit = &a;
	rc = revoke_and_publish(ra, ra->store, &r, NULL, NULL, err);
out:
	kk_cert_clear(&c);
	X509_free(x);
	return rc;
}

int
ra_key_allowed(kk_ra *ra, X509_REQ *req, kk_err *err)
{
	char spki[65];
	int rv;

	if (kk_spki_sha256_pub(X509_REQ_get_X509_PUBKEY(req), spki) != 0)
		return kk_err_set(err, KK_ERR_BAD_CSR, "cannot read the CSR's public key");
	if ((rv = kk_store_key_blocked(ra->store, spki, err)) == 1)
		return kk_err_set(err, KK_ERR_BAD_PUBLIC_KEY, "this key was reported compromised "
		    "(CP 4.9.12) and is never certified again; generate a new key");
	return rv;
}

/* ---- CA-initiated revocation ---- */

/* "reviewer NAME" for revoked_by, "cli:NAME" as the audit actor (schema 3); who NULL is
 * the CA's own key scan: "system". */
static void
reviewer_names(const kk_reviewer *who, char *by, size_t by_size, char *actor, size_t asize)
{
	snprintf(by, by_size, "%s%s", who ? "reviewer " : "", who ? who->name : "system");
	snprintf(actor, asize, "%s%s", who ? "cli:" : "", who ? who->name : "system");
}

int
kk_revoke_request(kk_store *st, const kk_reviewer *who, const char *serial, int reason,
    const char *detail, const char *deadline_class, time_t now, kk_revreq *out, kk_err *err)
{
	char actor[80], by[80], adetail[400];
	kk_auditrec a;
	kk_revreq r;

	if (kk_revoke_reason_name(reason) == NULL)
		return kk_err_set(err, KK_ERR_BAD_REVOCATION_REASON, "reason %d is not allowed",
		    reason);
	memset(&r, 0, sizeof(r));
	reviewer_names(who, by, sizeof(by), actor, sizeof(actor));
	/* CP 4.9.1: 24 hours for a compromised key and for the subscriber's own request;
	 * 5 days for the CA's findings (misuse, breach of terms, inaccurate content) */
	if (deadline_class == NULL)
		deadline_class = reason == 1 || reason == 0 ? "24h" : "5d";
	if (strcmp(deadline_class, "24h") != 0 && strcmp(deadline_class, "5d") != 0)
		return kk_err_set(err, KK_ERR_MALFORMED, "deadline must be 24h or 5d");
	snprintf(r.serial, sizeof(r.serial), "%s", serial);
	r.reason = reason;
	snprintf(r.requested_by, sizeof(r.requested_by), "%s", who ? who->name : "system");
	snprintf(r.detail, sizeof(r.detail), "%s", detail != NULL ? detail : "");
	snprintf(r.deadline_class, sizeof(r.deadline_class), "%s", deadline_class);
	r.created = now;
	r.deadline = now + (strcmp(deadline_class, "24h") == 0 ? 24 : 5 * 24) * HOUR;
	snprintf(r.status, sizeof(r.status), "open");
	snprintf(adetail, sizeof(adetail), "certificate %s, %s, within %s: %s", r.serial,
	    kk_revoke_reason_name(reason), deadline_class, r.detail);
	a.at = now;
	a.actor = actor;
	a.action = "revocation.request";
	a.object = NULL;
	a.detail = adetail;
	if (kk_store_revreq_create(st, &r, &a, &r.id, err) != 0)
		return -1;
	if (out != NULL)
		*out = r;
	return 0;
}

int
kk_revoke_by_reviewer(kk_store *st, const kk_reviewer *who, const char *serial,
    int reason, const char *detail, char ***serials, size_t *n, kk_err *err)
{
	char actor[80], by[80], adetail[400], spki[65];
	kk_certrev cr;
	kk_revocation r;
	kk_auditrec a;

	*serials = NULL;
	*n = 0;
	if (who->role != KK_ROLE_APPROVER && who->role != KK_ROLE_ADMIN)
		return kk_err_set(err, KK_ERR_UNAUTHORIZED, "only an approver or admin may revoke");
	if (kk_revoke_reason_name(reason) == NULL)
		return kk_err_set(err, KK_ERR_BAD_REVOCATION_REASON, "reason %d is not allowed",
		    reason);
	if (kk_store_cert_revstate(st, serial, &cr, err) != 0)
		return -1;
	memset(&r, 0, sizeof(r));
	reviewer_names(who, by, sizeof(by), actor, sizeof(actor));
	snprintf(adetail, sizeof(adetail), "%s: %s", kk_revoke_reason_name(reason),
	    detail != NULL ? detail : "");
	snprintf(spki, sizeof(spki), "%s", cr.spki_sha256);
	a.at = kk_now();
	a.actor = actor;
	a.action = "certificate.revoke";
	a.object = NULL;
	a.detail = adetail;
	r.serial = serial;
	r.reason = reason;
	r.by = by;
	r.when = a.at;
	/* CP 4.9.12: the CA found the key compromised */
	r.block_spki = reason == 1 && spki[0] ? spki : NULL;
	r.audit = &a;
	return revoke_and_publish(NULL, st, &r, serials, n, err);
}
