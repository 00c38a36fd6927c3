/* ACME resources (RFC 8555 7.1-7.5): rendering and request payloads. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kakuin/clock.h"
#include "kakuin/util.h"
#include "eab.h"
#include "wfe_internal.h"

static json_t *
jtime(time_t t)
{
	char buf[21];

	kk_time_format(t, buf);
	return json_string(buf);
}

/* Sets a Location header "base + fmt". */
static void
location(kk_wfe_ctx *c, const char *what, long long id)
{
	kk_wfe_header(c->resp, "Location", kk_printf("%s/acme/%s/%lld", c->base, what, id));
}

/* RFC 8555 7.1.2 */
static void
account_resp(kk_wfe_ctx *c, int status, const kk_account *a)
{
	json_t *contact = json_loads(a->contact ? a->contact : "[]", 0, NULL);
	char *orders = kk_printf("%s/acme/acct/%lld/orders", c->base, (long long)a->id);

	kk_wfe_json(c->resp, status, json_pack("{s:s,s:o,s:s,s:o}", "status", a->status,
	    "contact", contact ? contact : json_array(), "orders", orders ? orders : "",
	    "createdAt", jtime(a->created)));
	free(orders);
}

int
kk_wfe_new_account(kk_wfe_ctx *c, kk_err *err)
{
	json_t *p = c->payload, *contact, *eab_obj;
	char *jwk = NULL, *thumb = NULL;
	int created = 0, rc = -1;
	kk_eab_parsed eab;
	kk_account a;

	memset(&a, 0, sizeof(a));
	memset(&eab, 0, sizeof(eab));
	if (p == NULL)
		return kk_err_set(err, KK_ERR_MALFORMED, "newAccount needs a JSON object payload");
	contact = json_object_get(p, "contact");
	eab_obj = json_object_get(p, "externalAccountBinding");
	if (kk_jwk_canonical(c->jws->jwk, &jwk, err) != 0 ||
	    kk_jwk_thumbprint(c->jws->jwk, &thumb, err) != 0)
		goto out;
	/* RFC 8555 7.3.4 */
	if (eab_obj != NULL && kk_eab_parse(eab_obj, c->jws->url, thumb, &eab, err) != 0)
		goto out;
	if (kk_ra_new_account(c->w->ra, jwk, thumb, contact,
	    json_is_true(json_object_get(p, "onlyReturnExisting")),
	    eab_obj != NULL ? &eab.req : NULL, &a, &created, err) != 0)
		goto out;
	/* RFC 8555 7.3.1: 201 for a new account, 200 with Location for an existing one */
	location(c, "acct", (long long)a.id);
	account_resp(c, created ? 201 : 200, &a);
	rc = 0;
out:
	kk_eab_parsed_clear(&eab);
	free(jwk);
	free(thumb);
	kk_account_clear(&a);
	return rc;
}

int
kk_wfe_account(kk_wfe_ctx *c, int64_t id, kk_err *err)
{
	json_t *p = c->payload;
	const char *status = NULL;

	if (id != c->acct.id)
		return kk_err_set(err, KK_ERR_UNAUTHORIZED, "the kid does not match this account URL");
	if (p != NULL) {
		json_t *st = json_object_get(p, "status"), *contact = json_object_get(p, "contact");
		if (st != NULL && (status = json_string_value(st)) == NULL)
			return kk_err_set(err, KK_ERR_MALFORMED, "status must be a string");
		if ((status || contact) &&
		    kk_ra_update_account(c->w->ra, &c->acct, contact, status, err) != 0)
			return -1;
	}
	account_resp(c, 200, &c->acct);
	return 0;
}

int
kk_wfe_account_orders(kk_wfe_ctx *c, int64_t id, kk_err *err)
{
	int64_t *ids = NULL;
	size_t n = 0, i;
	json_t *arr;

	if (id != c->acct.id)
		return kk_err_set(err, KK_ERR_UNAUTHORIZED, "the kid does not match this account URL");
	if (kk_ra_orders(c->w->ra, &c->acct, &ids, &n, err) != 0)
		return -1;
	arr = json_array();
	for (i = 0; i < n && arr != NULL; i++) {
		char *u = kk_printf("%s/acme/order/%lld", c->base, (long long)ids[i]);
		json_array_append_new(arr, json_string(u));
		free(u);
	}
	free(ids);
	kk_wfe_json(c->resp, 200, json_pack("{s:o}", "orders", arr ? arr : json_array()));
	return 0;
}

/* RFC 8555 7.3.5: the payload is a JWS signed by the new key over {account, oldKey}. */
int
kk_wfe_key_change(kk_wfe_ctx *c, kk_err *err)
{
	kk_jws *inner = NULL;
	json_t *ip = NULL;
	char *body = NULL, *new_jwk = NULL, *new_thumb = NULL, *old_jwk = NULL, *kid = NULL;
	int64_t other = 0;
	int rc = -1;

	if (c->payload == NULL)
		return kk_err_set(err, KK_ERR_MALFORMED, "keyChange needs an inner JWS payload");
	body = json_dumps(c->payload, JSON_COMPACT);
	if (body == NULL || kk_jws_parse(body, strlen(body), KK_JWS_INNER, &inner, err) != 0)
		goto out;
	if (strcmp(inner->url, c->jws->url) != 0) {
		kk_err_set(err, KK_ERR_MALFORMED, "inner JWS url must equal the outer url");
		goto out;
	}
	if (kk_jwk_canonical(inner->jwk, &new_jwk, err) != 0 ||
	    kk_jwk_thumbprint(inner->jwk, &new_thumb, err) != 0 ||
	    kk_jws_verify(inner, new_jwk, err) != 0)
		goto out;
	ip = json_loadb((const char *)inner->payload, inner->payload_len, JSON_REJECT_DUPLICATES,
	    NULL);
	kid = kk_printf("%s/acme/acct/%lld", c->base, (long long)c->acct.id);
	if (!json_is_object(ip) || kid == NULL ||
	    !json_is_string(json_object_get(ip, "account")) ||
	    strcmp(json_string_value(json_object_get(ip, "account")), kid) != 0) {
		kk_err_set(err, KK_ERR_MALFORMED, "inner payload account must be the account URL");
		goto out;
	}
	if (kk_jwk_canonical(json_object_get(ip, "oldKey"), &old_jwk, err) != 0 ||
	    strcmp(old_jwk, c->acct.jwk) != 0) {
		kk_err_set(err, KK_ERR_MALFORMED, "inner payload oldKey is not the account's key");
		goto out;
	}
	if (kk_ra_key_change(c->w->ra, &c->acct, new_jwk, new_thumb, &other, err) != 0) {
		if (other > 0)
			location(c, "acct", (long long)other);
		goto out;
	}
	account_resp(c, 200, &c->acct);
	rc = 0;
out:
	kk_jws_free(inner);
	json_decref(ip);
	free(body);
	free(new_jwk);
	free(new_thumb);
	free(old_jwk);
	free(kid);
	return rc;
}

static void
order_resp(kk_wfe_ctx *c, int status, const kk_order *o)
{
	json_t *j, *authzs = json_array(), *ids = json_loads(o->identifiers, 0, NULL), *e;
	size_t i;

	for (i = 0; i < o->n_authz && authzs != NULL; i++) {
		char *u = kk_printf("%s/acme/authz/%lld", c->base, (long long)o->authz_ids[i]);
		json_array_append_new(authzs, json_string(u));
		free(u);
	}
	j = json_pack("{s:s,s:o,s:o,s:o}", "status", o->status, "expires", jtime(o->expires),
	    "identifiers", ids ? ids : json_array(), "authorizations",
	    authzs ? authzs : json_array());
	if (j != NULL) {
		char *u = kk_printf("%s/acme/order/%lld/finalize", c->base, (long long)o->id);
		json_object_set_new(j, "finalize", json_string(u));
		free(u);
		if (o->cert_serial != NULL && strcmp(o->status, "valid") == 0) {
			u = kk_printf("%s/acme/cert/%s", c->base, o->cert_serial);
			json_object_set_new(j, "certificate", json_string(u));
			free(u);
		}
		if (o->error != NULL && (e = json_loads(o->error, 0, NULL)) != NULL)
			json_object_set_new(j, "error", e);
		if (o->profile[0])
			json_object_set_new(j, "profile", json_string(o->profile));
	}
	/* RFC 8555 7.4: tell clients polling a processing order when to come back; an order
	 * held for OV review (its organization is not approved yet) takes longer */
	if (strcmp(o->status, "processing") == 0)
		kk_wfe_header(c->resp, "Retry-After", kk_printf("%d", o->held ?
		    kk_ra_policy(c->w->ra)->retry_after_seconds : 1));
	kk_wfe_json(c->resp, status, j);
}

int
kk_wfe_new_order(kk_wfe_ctx *c, kk_err *err)
{
	kk_order o;

	if (c->payload == NULL)
		return kk_err_set(err, KK_ERR_MALFORMED, "newOrder needs a JSON object payload");
	if (kk_ra_new_order(c->w->ra, &c->acct, c->payload, &o, err) != 0)
		return -1;
	location(c, "order", (long long)o.id);
	order_resp(c, 201, &o);
	kk_order_clear(&o);
	return 0;
}

int
kk_wfe_order(kk_wfe_ctx *c, int64_t id, kk_err *err)
{
	kk_order o;

	if (c->payload != NULL)
		return kk_err_set(err, KK_ERR_MALFORMED, "orders are fetched with POST-as-GET");
	if (kk_ra_order(c->w->ra, &c->acct, id, &o, err) != 0)
		return -1;
	order_resp(c, 200, &o);
	kk_order_clear(&o);
	return 0;
}

int
kk_wfe_finalize(kk_wfe_ctx *c, int64_t id, kk_err *err)
{
	const char *csr64 = json_string_value(json_object_get(c->payload, "csr"));
	char *kid = NULL;
	unsigned char *csr = NULL;
	size_t len = 0;
	kk_order o;
	int rc;
	kk_err e;

	if (csr64 == NULL)
		return kk_err_set(err, KK_ERR_MALFORMED, "finalize needs a csr (base64url DER)");
	if (kk_b64url_decode(csr64, strlen(csr64), &csr, &len) != 0)
		return kk_err_set(err, KK_ERR_BAD_CSR, "csr is not valid base64url");
	if ((kid = kk_printf("%s/acme/acct/%lld", c->base, (long long)c->acct.id)) == NULL) {
		free(csr);
		return kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
	}
	rc = kk_ra_finalize(c->w->ra, &c->acct, kid, id, csr, len, err);
	free(kid);
	free(csr);
	if (rc != 0 && err->kind != KK_ERR_INTERNAL)
		return -1;
	/* an issuance failure is recorded in the order (invalid, with its error): show it;
	 * any other failure left the order as it was and is the answer itself */
	if (kk_ra_order(c->w->ra, &c->acct, id, &o, rc == 0 ? err : &e) != 0)
		return -1;
	if (rc != 0 && strcmp(o.status, "invalid") != 0) {
		kk_order_clear(&o);
		return -1;
	}
	location(c, "order", (long long)o.id);
	order_resp(c, 200, &o);
	kk_order_clear(&o);
	return 0;
}

/* What a client needs beyond the token for kakuin's DNS challenge types
 * (docs/dns-validation.md). */
static void
challenge_extra(kk_wfe_ctx *c, const kk_challenge *ch, json_t *j)
{
	const kk_policy *pol = kk_ra_policy(c->w->ra);
	json_t *ids;
	size_t i;

	if (strcmp(ch->type, "dns-cname-01") == 0) {
		json_object_set_new(j, "target", json_string(pol->dns_cname_target));
	} else if (strcmp(ch->type, "dns-persist-01") == 0 || strcmp(ch->type, "dns-caa-01") == 0) {
		if ((ids = json_array()) == NULL)
			return;
		for (i = 0; i < pol->n_caa_identities; i++)
			json_array_append_new(ids, json_string(pol->caa_identities[i]));
		json_object_set_new(j, "issuer-domain-names", ids);
	}
	/* the validation record (BR 3.2.2.4), as Boulder shows it */
	if (strcmp(ch->status, "valid") == 0 && ch->br_method[0] != '\0') {
		json_t *r = json_pack("{s:s,s:s,s:s}", "method", ch->br_method, "brVersion",
		    ch->br_version, "dnssec", ch->dnssec[0] ? ch->dnssec : "n/a");

		if (r != NULL && ch->checked != NULL)
			json_object_set_new(r, "checked", json_string(ch->checked));
		if (r != NULL)
			json_object_set_new(j, "validationRecord", json_pack("[o]", r));
	}
}

static json_t *
challenge_json(kk_wfe_ctx *c, const kk_challenge *ch)
{
	json_t *j, *e;
	char *u = kk_printf("%s/acme/chall/%lld", c->base, (long long)ch->id);

	j = json_pack("{s:s,s:s,s:s,s:s}", "type", ch->type, "url", u ? u : "", "status",
	    ch->status, "token", ch->token);
	free(u);
	if (j != NULL && ch->validated != 0)
		json_object_set_new(j, "validated", jtime(ch->validated));
	if (j != NULL && ch->error != NULL && (e = json_loads(ch->error, 0, NULL)) != NULL)
		json_object_set_new(j, "error", e);
	if (j != NULL)
		challenge_extra(c, ch, j);
	return j;
}

/* The authorization, read again while one of its challenges is being validated, for
 * up to AUTHZ_WAIT_MS: a validation takes milliseconds, a Retry-After a second. */
#define AUTHZ_WAIT_MS 500
static int
authz_settled(kk_wfe_ctx *c, int64_t id, kk_authz *a, kk_err *err)
{
	struct timespec t0, t;
	unsigned seq = 0;
	size_t i;
	long left;
	int processing;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (kk_ra_authz(c->w->ra, &c->acct, id, a, err) != 0)
			return -1;
		for (i = 0, processing = 0; i < a->n_chall; i++)
			processing |= strcmp(a->chall[i].status, "processing") == 0;
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = AUTHZ_WAIT_MS - ((t.tv_sec - t0.tv_sec) * 1000L +
		    (t.tv_nsec - t0.tv_nsec) / 1000000L);
		if (!processing || left <= 0 || !kk_ra_await(c->w->ra, &seq, (int)left))
			return 0;
		kk_authz_clear(a);
	}
}

int
kk_wfe_authz(kk_wfe_ctx *c, int64_t id, kk_err *err)
{
	kk_authz a;
	json_t *j, *chs;
	size_t i;
	int processing = 0;

	if (c->payload != NULL) {
		const char *st = json_string_value(json_object_get(c->payload, "status"));
		if (st == NULL || strcmp(st, "deactivated") != 0)
			return kk_err_set(err, KK_ERR_MALFORMED,
			    "an authorization can only be updated to status \"deactivated\"");
		if (kk_ra_deactivate_authz(c->w->ra, &c->acct, id, err) != 0)
			return -1;
	}
	if (authz_settled(c, id, &a, err) != 0)
		return -1;
	chs = json_array();
	for (i = 0; i < a.n_chall && chs != NULL; i++) {
		json_array_append_new(chs, challenge_json(c, &a.chall[i]));
		processing |= strcmp(a.chall[i].status, "processing") == 0;
	}
	j = json_pack("{s:{s:s,s:s},s:s,s:o,s:o}", "identifier", "type", a.id_type, "value",
	    a.id_value, "status", a.status, "expires", jtime(a.expires), "challenges",
	    chs ? chs : json_array());
	if (j != NULL && a.wildcard)
		json_object_set_new(j, "wildcard", json_true());
	if (processing)
		kk_wfe_header(c->resp, "Retry-After", kk_strdup("1"));
	kk_wfe_json(c->resp, 200, j);
	kk_authz_clear(&a);
	return 0;
}

/* A challenge just answered or found processing is read again while its validation
 * runs, for up to AUTHZ_WAIT_MS like its authorization: RFC 8555 7.5.1 lets the answer
 * carry the challenge's current state, and a client that sees it valid (or invalid)
 * need not sleep before polling. On failure *ch is cleared. */
static int
challenge_settled(kk_wfe_ctx *c, const char *kid, int64_t id, kk_challenge *ch, kk_err *err)
{
	struct timespec t0, t;
	unsigned seq = 0;
	long left;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = AUTHZ_WAIT_MS - ((t.tv_sec - t0.tv_sec) * 1000L +
		    (t.tv_nsec - t0.tv_nsec) / 1000000L);
		if (strcmp(ch->status, "processing") != 0 || left <= 0 ||
		    !kk_ra_await(c->w->ra, &seq, (int)left))
			return 0;
		kk_challenge_clear(ch);
		if (kk_ra_challenge(c->w->ra, &c->acct, kid, id, 0, ch, err) != 0)
			return -1;
	}
}

int
kk_wfe_challenge(kk_wfe_ctx *c, int64_t id, kk_err *err)
{
	kk_challenge ch;

	/* RFC 8555 7.5.1: any JSON object (normally {}) asks the server to validate;
	 * POST-as-GET only reads */
	char *kid = kk_printf("%s/acme/acct/%lld", c->base, (long long)c->acct.id);
	int rc;

	if (kid == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
	rc = kk_ra_challenge(c->w->ra, &c->acct, kid, id, c->payload != NULL, &ch, err);
	if (rc == 0)
		rc = challenge_settled(c, kid, id, &ch, err);
	free(kid);
	if (rc != 0)
		return -1;
	kk_wfe_header(c->resp, "Link", kk_printf("<%s/acme/authz/%lld>;rel=\"up\"", c->base,
	    (long long)ch.authz_id));
	kk_wfe_json(c->resp, 200, challenge_json(c, &ch));
	kk_challenge_clear(&ch);
	return 0;
}

int
kk_wfe_cert(kk_wfe_ctx *c, const char *serial, kk_err *err)
{
	char *pem = NULL;
	size_t i;

	if (c->payload != NULL)
		return kk_err_set(err, KK_ERR_MALFORMED, "certificates are fetched with POST-as-GET");
	for (i = 0; serial[i]; i++)
		if (!strchr("0123456789abcdef", serial[i]) || i >= 40)
			return kk_err_set(err, KK_ERR_NOT_FOUND, "no such certificate");
	if (kk_ra_cert_chain(c->w->ra, &c->acct, serial, &pem, err) != 0)
		return -1;
	free(c->resp->body);
	c->resp->body = pem;
	c->resp->body_len = strlen(pem);
	c->resp->status = 200;
	c->resp->content_type = "application/pem-certificate-chain";
	return 0;
}
