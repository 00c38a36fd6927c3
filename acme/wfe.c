/* ACME front end: routing, JWS authentication, nonces, common headers (RFC 8555 6, 7.1). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kakuin/clock.h"
#include "kakuin/util.h"
#include "nonce.h"
#include "wfe_internal.h"

int
kk_wfe_new(kk_wfe **out, kk_ra *ra, const char *default_base, kk_err *err)
{
	kk_wfe *w;

	if (strlen(default_base) >= sizeof(w->default_base))
		return kk_err_set(err, KK_ERR_INTERNAL, "base URL too long");
	if ((w = kk_calloc(1, sizeof(*w))) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
	if (kk_nonce_init() != 0) {
		free(w);
		return kk_err_set(err, KK_ERR_INTERNAL, "cannot initialise nonces");
	}
	w->ra = ra;
	strcpy(w->default_base, default_base);
	*out = w;
	return 0;
}

void
kk_wfe_free(kk_wfe *w)
{
	free(w);
}

void
kk_http_resp_clear(kk_http_resp *resp)
{
	size_t i;

	free(resp->body);
	for (i = 0; i < resp->n_hdr; i++)
		free(resp->hdr[i].value);
	memset(resp, 0, sizeof(*resp));
}

int
kk_wfe_header(kk_http_resp *resp, const char *name, char *value)
{
	if (value == NULL)
		return -1;
	if (resp->n_hdr == KK_RESP_MAX_HEADERS) {
		free(value);
		return -1;
	}
	resp->hdr[resp->n_hdr].name = name;
	resp->hdr[resp->n_hdr].value = value;
	resp->n_hdr++;
	return 0;
}

void
kk_wfe_json(kk_http_resp *resp, int status, json_t *body)
{
	char *s = body ? json_dumps(body, JSON_INDENT(2)) : NULL;

	json_decref(body);
	free(resp->body);
	resp->body = s ? kk_strdup(s) : NULL;
	free(s);
	if (resp->body == NULL) {
		kk_err e;
		kk_err_set(&e, KK_ERR_INTERNAL, "out of memory rendering a response");
		kk_problem_resp(&e, resp);
		return;
	}
	resp->body_len = strlen(resp->body);
	resp->status = status;
	resp->content_type = "application/json";
}

int
kk_wfe_path_id(const char *path, const char *prefix, const char *suffix, int64_t *id)
{
	size_t pl = strlen(prefix);
	const char *p = path + pl;
	long long v = 0;

	if (strncmp(path, prefix, pl) != 0 || *p < '1' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (strcmp(p, suffix) != 0)
		return -1;
	*id = v;
	return 0;
}

/* "https://" + Host when it looks like a host[:port], else the configured base. */
static void
request_base(const kk_wfe *w, const kk_http_req *req, char *base, size_t len)
{
	const char *h = req->host;
	size_t i;

	if (h != NULL && *h != '\0' && strlen(h) < 255) {
		for (i = 0; h[i]; i++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]",
			    h[i]))
				break;
		if (h[i] == '\0') {
			snprintf(base, len, "https://%s", h);
			return;
		}
	}
	snprintf(base, len, "%s", w->default_base);
}

/* Directory meta "validationMethods" (kakuin extension, docs/dns-validation.md): every
 * challenge type offered today with the BR 3.2.2.4 method and CP 3.2.7 item it is. */
static json_t *
validation_methods(const kk_policy *pol)
{
	json_t *a = json_array(), *o;
	time_t now = kk_now();
	struct tm tm;
	char day[16];
	size_t i, j;

	for (i = 0; a != NULL && i < pol->n_methods; i++) {
		const kk_method *m = &pol->methods[i];

		for (j = 0; j < m->n_challenges; j++) {
			if (!kk_policy_challenge_usable(pol, m->challenges[j], 0, now))
				continue;
			o = json_pack("{s:s,s:s,s:s,s:b}", "challenge", m->challenges[j], "brMethod",
			    m->br, "title", m->title, "wildcard", m->wildcard);
			if (o != NULL && m->cp[0])
				json_object_set_new(o, "cp", json_string(m->cp));
			if (o != NULL && m->sunset != 0 && gmtime_r(&m->sunset, &tm) != NULL &&
			    strftime(day, sizeof(day), "%Y-%m-%d", &tm) > 0)
				json_object_set_new(o, "sunset", json_string(day));
			json_array_append_new(a, o);
		}
	}
	return a;
}

static void
directory(kk_wfe *w, const char *base, kk_http_resp *resp)
{
	const kk_policy *pol = kk_ra_policy(w->ra);
	json_t *caa = json_array(), *meta, *profiles;
	size_t i;

	for (i = 0; i < pol->n_caa_identities; i++)
		json_array_append_new(caa, json_string(pol->caa_identities[i]));
	meta = json_pack("{s:o,s:b}", "caaIdentities", caa, "externalAccountRequired",
	    !pol->ov_dev_mode);
	if (meta != NULL && pol->terms_of_service[0])
		json_object_set_new(meta, "termsOfService", json_string(pol->terms_of_service));
	if (meta != NULL && pol->website[0])
		json_object_set_new(meta, "website", json_string(pol->website));
	if (meta != NULL)
		json_object_set_new(meta, "validationMethods", validation_methods(pol));
	/* draft-aaron-acme-profiles: {name: description} */
	if (meta != NULL && (profiles = json_object()) != NULL) {
		for (i = 0; i < pol->n_profiles; i++)
			json_object_set_new(profiles, pol->profiles[i].name,
			    json_string(pol->profiles[i].description));
		json_object_set_new(meta, "profiles", profiles);
	}
	kk_wfe_json(resp, 200, json_pack("{s:s+,s:s+,s:s+,s:s+,s:s+,s:s+,s:o}",
	    "newNonce", base, "/acme/new-nonce",
	    "newAccount", base, "/acme/new-account",
	    "newOrder", base, "/acme/new-order",
	    "keyChange", base, "/acme/key-change",
	    "revokeCert", base, "/acme/revoke-cert",
	    "renewalInfo", base, "/acme/renewal-info",
	    "meta", meta));
}

/* Which key a request may be signed with (RFC 8555 6.2). */
enum { KEY_KID, KEY_JWK, KEY_EITHER };

/* RFC 8555 6.2-6.4: parse the JWS, consume the nonce, check the url, find the key
 * (jwk for newAccount, kid or jwk for revokeCert (7.6), kid elsewhere) and verify the
 * signature. A jwk request leaves c->acct with id 0. */
static int
authenticate(kk_wfe_ctx *c, int keys, kk_err *err)
{
	const kk_http_req *req = c->req;
	char url[600], prefix[600];
	int64_t id;
	char *jwk = NULL;
	int rc = -1;

	if (req->content_type == NULL ||
	    strncmp(req->content_type, "application/jose+json", 21) != 0)
		return kk_err_set(err, KK_ERR_UNSUPPORTED_MEDIA,
		    "POST requests must have Content-Type application/jose+json");
	if (kk_jws_parse(req->body, req->body_len, KK_JWS_OUTER, &c->jws, err) != 0)
		return -1;
	if (!kk_nonce_consume(c->jws->nonce))
		return kk_err_set(err, KK_ERR_BAD_NONCE,
		    "JWS has an invalid or already used anti-replay nonce; retry with the new "
		    "nonce in the Replay-Nonce header");
	snprintf(url, sizeof(url), "%s%s", c->base, req->path);
	if (strcmp(c->jws->url, url) != 0)
		return kk_err_set(err, KK_ERR_UNAUTHORIZED,
		    "JWS url \"%.200s\" does not match the request URL \"%.200s\"", c->jws->url, url);
	if (keys == KEY_JWK || (keys == KEY_EITHER && c->jws->jwk != NULL)) {
		if (c->jws->jwk == NULL)
			return kk_err_set(err, KK_ERR_MALFORMED,
			    "this request must be signed with a jwk, not a kid");
		if (kk_jwk_canonical(c->jws->jwk, &jwk, err) != 0 ||
		    kk_jws_verify(c->jws, jwk, err) != 0)
			goto out;
	} else {
		if (c->jws->kid == NULL)
			return kk_err_set(err, KK_ERR_MALFORMED,
			    "this request must be signed with the account's kid, not a jwk");
		snprintf(prefix, sizeof(prefix), "%s/acme/acct/", c->base);
		if (kk_wfe_path_id(c->jws->kid, prefix, "", &id) != 0)
			return kk_err_set(err, KK_ERR_ACCOUNT_DOES_NOT_EXIST,
			    "kid \"%.200s\" is not an account URL of this server", c->jws->kid);
		if (kk_ra_account(c->w->ra, id, &c->acct, err) != 0 ||
		    kk_jws_verify(c->jws, c->acct.jwk, err) != 0)
			goto out;
	}
	if (!c->jws->post_as_get) {
		c->payload = json_loadb((const char *)c->jws->payload, c->jws->payload_len,
		    JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(c->payload)) {
			kk_err_set(err, KK_ERR_MALFORMED, "JWS payload must be a JSON object");
			goto out;
		}
	}
	rc = 0;
out:
	free(jwk);
	return rc;
}

/* Routes an authenticated POST. */
static int
route_post(kk_wfe_ctx *c, kk_err *err)
{
	const char *p = c->req->path;
	int64_t id;

	if (strcmp(p, "/acme/new-account") == 0)
		return authenticate(c, KEY_JWK, err) == 0 ? kk_wfe_new_account(c, err) : -1;
	if (strcmp(p, "/acme/revoke-cert") == 0)
		return authenticate(c, KEY_EITHER, err) == 0 ? kk_wfe_revoke_cert(c, err) : -1;
	if (authenticate(c, KEY_KID, err) != 0)
		return -1;
	if (strcmp(p, "/acme/new-order") == 0)
		return kk_wfe_new_order(c, err);
	if (strcmp(p, "/acme/key-change") == 0)
		return kk_wfe_key_change(c, err);
	if (kk_wfe_path_id(p, "/acme/acct/", "", &id) == 0)
		return kk_wfe_account(c, id, err);
	if (kk_wfe_path_id(p, "/acme/acct/", "/orders", &id) == 0)
		return kk_wfe_account_orders(c, id, err);
	if (kk_wfe_path_id(p, "/acme/order/", "", &id) == 0)
		return kk_wfe_order(c, id, err);
	if (kk_wfe_path_id(p, "/acme/order/", "/finalize", &id) == 0)
		return kk_wfe_finalize(c, id, err);
	if (kk_wfe_path_id(p, "/acme/authz/", "", &id) == 0)
		return kk_wfe_authz(c, id, err);
	if (kk_wfe_path_id(p, "/acme/chall/", "", &id) == 0)
		return kk_wfe_challenge(c, id, err);
	if (strncmp(p, "/acme/cert/", 11) == 0)
		return kk_wfe_cert(c, p + 11, err);
	return kk_err_set(err, KK_ERR_NOT_FOUND, "no such resource: %.200s", p);
}

static int
is_post_resource(const char *p)
{
	return strncmp(p, "/acme/", 6) == 0 && strcmp(p, "/acme/new-nonce") != 0;
}

void
kk_wfe_handle(kk_wfe *w, const kk_http_req *req, kk_http_resp *resp)
{
	kk_wfe_ctx c;
	char nonce[KK_NONCE_LEN];
	int get = strcmp(req->method, "GET") == 0, head = strcmp(req->method, "HEAD") == 0;
	kk_err err;

	memset(&c, 0, sizeof(c));
	memset(resp, 0, sizeof(*resp));
	kk_err_clear(&err);
	c.w = w;
	c.req = req;
	c.resp = resp;
	request_base(w, req, c.base, sizeof(c.base));

	if (req->too_large) {
		kk_err_set(&err, KK_ERR_TOO_LARGE, "request body is larger than %d bytes", KK_MAX_BODY);
	} else if (strcmp(req->path, "/directory") == 0 && (get || head)) {
		directory(w, c.base, resp);
	} else if (strcmp(req->path, "/acme/new-nonce") == 0 && (get || head)) {
		/* RFC 8555 7.2: 200 for HEAD, 204 for GET, never cached */
		resp->status = head ? 200 : 204;
		kk_wfe_header(resp, "Cache-Control", kk_strdup("no-store"));
	} else if (strncmp(req->path, "/acme/renewal-info/", 19) == 0 && (get || head)) {
		kk_wfe_renewal_info(&c, req->path + 19, &err);
	} else if (strcmp(req->method, "POST") == 0 && is_post_resource(req->path)) {
		if (route_post(&c, &err) == 0 && resp->status == 0)
			kk_err_set(&err, KK_ERR_INTERNAL, "no response produced");
	} else if (strcmp(req->path, "/directory") == 0 || strcmp(req->path, "/acme/new-nonce") == 0 ||
	    is_post_resource(req->path)) {
		kk_err_set(&err, KK_ERR_METHOD_NOT_ALLOWED, "%.10s is not allowed here; ACME resources "
		    "are fetched with POST-as-GET (RFC 8555 6.3)", req->method);
		kk_wfe_header(resp, "Allow", kk_strdup(is_post_resource(req->path) ? "POST" :
		    "GET, HEAD"));
	} else {
		kk_err_set(&err, KK_ERR_NOT_FOUND, "no such resource: %.200s", req->path);
	}
	if (err.kind != KK_OK)
		kk_problem_resp(&err, resp);
	if (resp->status == 0) {
		kk_err_set(&err, KK_ERR_INTERNAL, "no response produced");
		kk_problem_resp(&err, resp);
	}
	/* RFC 8555 6.5, 7.1: every response carries a fresh nonce and the index link */
	if (kk_nonce_new(nonce) == 0)
		kk_wfe_header(resp, "Replay-Nonce", kk_strdup(nonce));
	kk_wfe_header(resp, "Link", kk_printf("<%s/directory>;rel=\"index\"", c.base));
	kk_jws_free(c.jws);
	json_decref(c.payload);
	kk_account_clear(&c.acct);
}
