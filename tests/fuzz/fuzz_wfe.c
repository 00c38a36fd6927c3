/*
 * The ACME front end's request handling (acme/wfe.c kk_wfe_handle and the resource
 * handlers of acme/wfe_res.c and acme/wfe_revoke.c), driven without a socket, the way
 * acme/server.c hands requests over, in front of a real RA and CA (fuzz_ra.h).
 *
 * Input: a small HTTP-like request:
 *   METHOD SP PATH LF
 *   *(NAME ": " VALUE LF)      host, content-type, sign (jwk|kid), too-large
 *   LF
 *   BODY
 * Without "sign" the body is sent as it is (a JWS or anything else). With "sign: jwk" or
 * "sign: kid" the body is the JWS payload: the harness wraps it in a flattened JWS
 * signed (ES256) with its account key, a fresh nonce and the request's URL, so that
 * fuzzed payloads get past authentication (RFC 8555 6.2-6.5) into the handlers.
 * Account 1 is that key's, made at start-up through newAccount.
 */
#include <cjose/cjose.h>
#include "fuzz.h"
#include "fuzz_ra.h"
#include "kakuin/util.h"
#include "nonce.h"
#include "wfe.h"

#define BASE "https://ca.test"

static kk_wfe *wfe;
static cjose_jwk_t *acct_key;
static json_t *acct_jwk;	/* its public JWK */

/* The flattened JWS of payload (len bytes) for url, with the account's jwk or kid 1.
 * Caller frees. NULL when url is not UTF-8 (no JSON string can hold it). */
static char *
sign(const char *payload, size_t len, const char *url, int with_kid)
{
	char nonce[KK_NONCE_LEN], *out = NULL;
	const char *compact;
	const char *dot1, *dot2;
	json_t *hdr = NULL;
	cjose_jws_t *jws = NULL;
	cjose_err ce;

	if (kk_nonce_new(nonce) != 0)
		fuzz_die("kk_nonce_new", NULL);
	hdr = json_pack("{s:s,s:s,s:s}", "alg", "ES256", "nonce", nonce, "url", url);
	if (hdr == NULL)
		return NULL;
	if (with_kid)
		json_object_set_new(hdr, "kid", json_string(BASE "/acme/acct/1"));
	else
		json_object_set(hdr, "jwk", acct_jwk);
	if ((jws = cjose_jws_sign(acct_key, (cjose_header_t *)hdr, (const uint8_t *)payload,
	    len, &ce)) == NULL || !cjose_jws_export(jws, &compact, &ce))
		fuzz_die("cjose_jws_sign", ce.message);
	dot1 = strchr(compact, '.');
	dot2 = strchr(dot1 + 1, '.');
	out = kk_printf("{\"protected\":\"%.*s\",\"payload\":\"%.*s\",\"signature\":\"%s\"}",
	    (int)(dot1 - compact), compact, (int)(dot2 - dot1 - 1), dot1 + 1, dot2 + 1);
	if (out == NULL)
		fuzz_die("kk_printf", NULL);
	cjose_jws_release(jws);
	json_decref(hdr);
	return out;
}

/* Handles one request and checks the response is whole. */
static void
handle(const kk_http_req *req)
{
	kk_http_resp resp;
	size_t i;

	kk_wfe_handle(wfe, req, &resp);
	if (resp.status < 200 || resp.status > 599)
		fuzz_die("kk_wfe_handle", "no HTTP status");
	if (resp.body_len > 0 && resp.body == NULL)
		fuzz_die("kk_wfe_handle", "body length without a body");
	for (i = 0; i < resp.n_hdr; i++)
		if (resp.hdr[i].name == NULL || resp.hdr[i].value == NULL)
			fuzz_die("kk_wfe_handle", "incomplete header");
	kk_http_resp_clear(&resp);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char reg[] = "{\"termsOfServiceAgreed\":true}";
	kk_http_req req;
	char *pub, *body;
	cjose_err ce;
	kk_err e;

	(void)argc;
	(void)argv;
	fuzz_ra_open();
	if (kk_wfe_new(&wfe, fuzz_ra, BASE, &e) != 0)
		fuzz_die("kk_wfe_new", e.detail);
	if ((acct_key = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &ce)) == NULL ||
	    (pub = cjose_jwk_to_json(acct_key, false, &ce)) == NULL)
		fuzz_die("cjose_jwk_create_EC_random", ce.message);
	if ((acct_jwk = json_loads(pub, 0, NULL)) == NULL)
		fuzz_die("json_loads", pub);
	free(pub);
	body = sign(reg, strlen(reg), BASE "/acme/new-account", 0);
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.path = "/acme/new-account";
	req.content_type = "application/jose+json";
	req.body = body;
	req.body_len = strlen(body);
	handle(&req);
	free(body);
	return 0;
}

/* The next line of s (up to end) NUL-terminated in place; *s moves past it. NULL at
 * the end. */
static char *
line(char **s, char *end)
{
	char *l = *s, *nl;

	if (l >= end)
		return NULL;
	if ((nl = memchr(l, '\n', (size_t)(end - l))) == NULL)
		nl = end;
	*nl = '\0';
	*s = nl < end ? nl + 1 : end;
	return l;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kk_http_req req;
	char *buf, *p, *end, *l, *sp, *url = NULL, *signed_body = NULL, *body = NULL;
	int mode = 0;	/* 0 raw body, 1 jwk, 2 kid */

	buf = fuzz_str(data, size);
	p = buf;
	end = buf + size;
	memset(&req, 0, sizeof(req));
	if ((l = line(&p, end)) == NULL || (sp = strchr(l, ' ')) == NULL)
		goto out;
	*sp = '\0';
	req.method = l;
	req.path = sp + 1;
	while ((l = line(&p, end)) != NULL && *l != '\0') {
		if ((sp = strstr(l, ": ")) == NULL)
			continue;
		*sp = '\0';
		sp += 2;
		if (strcmp(l, "host") == 0)
			req.host = sp;
		else if (strcmp(l, "content-type") == 0)
			req.content_type = sp;
		else if (strcmp(l, "sign") == 0)
			mode = strcmp(sp, "jwk") == 0 ? 1 : strcmp(sp, "kid") == 0 ? 2 : 0;
		else if (strcmp(l, "too-large") == 0)
			req.too_large = 1;
		else if (strcmp(l, "query") == 0)
			req.query = sp;
	}
	/* the body in a buffer of exactly its size, as the listener hands it over */
	req.body_len = (size_t)(end - p);
	if ((body = malloc(req.body_len > 0 ? req.body_len : 1)) == NULL)
		fuzz_die("malloc", NULL);
	memcpy(body, p, req.body_len);
	req.body = body;
	if (mode != 0) {
		url = req.host != NULL ? kk_printf("https://%s%s", req.host, req.path) :
		    kk_printf(BASE "%s", req.path);
		if (url == NULL)
			fuzz_die("kk_printf", NULL);
		if ((signed_body = sign(body, req.body_len, url, mode == 2)) != NULL) {
			req.body = signed_body;
			req.body_len = strlen(signed_body);
		}
	}
	handle(&req);
out:
	free(url);
	free(signed_body);
	free(body);
	free(buf);
	return 0;
}
