/*
 * kakuin-loadgen client: one thread per ACME account running complete
 * RFC 8555 issuances back to back (7.4): newOrder, the http-01 challenge of
 * each authorization (8.3), finalize with a CSR, the order polled until valid
 * and the certificate downloaded (7.4.2). Every request is a JWS (6.2) with
 * the nonce of the previous answer (6.5); badNonce is retried once (6.5).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lg.h"

#define ACME_ERR "urn:ietf:params:acme:error:"
#define POLL_TIMEOUT 120.0      /* seconds one authorization or order may take */

struct client {
	struct lg_run *run;
	int idx;
	CURL *curl;
	EVP_PKEY *akey;         /* ES256 account key */
	json_t *jwk;            /* its public JWK */
	char *jwk_text;         /* canonical JWK (RFC 7638) */
	char *thumb;
	char *kid;              /* account URL */
	char *nonce;            /* the last Replay-Nonce, unused so far */
	EVP_PKEY *ckey;         /* RSA CSR key, one for every order */
};

double
lg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
lg_fail_set(struct lg_fail *f, const char *kind, const char *fmt, ...)
{
	va_list ap;

	snprintf(f->kind, sizeof(f->kind), "%s", kind);
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* The JSON body of r, or NULL. Caller owns the reference. */
static json_t *
body_json(const struct lg_resp *r)
{
	return r->body != NULL ? json_loadb(r->body, r->len, 0, NULL) : NULL;
}

/* The problem type of a problem document without the ACME urn prefix. */
static const char *
short_type(const char *type)
{
	return strncmp(type, ACME_ERR, strlen(ACME_ERR)) == 0 ? type + strlen(ACME_ERR) : type;
}

/* *f from a failed answer: its problem document's type (RFC 8555 6.7) or
 * "http:<status>". */
static void
fail_from(struct lg_fail *f, const char *step, const struct lg_resp *r)
{
	json_t *j = body_json(r);
	const char *type = json_string_value(json_object_get(j, "type"));
	const char *detail = json_string_value(json_object_get(j, "detail"));
	char kind[32];

	if (type != NULL) {
		lg_fail_set(f, short_type(type), "%s: %ld %s", step, r->status,
		    detail ? detail : "");
	} else {
		snprintf(kind, sizeof(kind), "http:%ld", r->status);
		lg_fail_set(f, kind, "%s: %.200s", step, r->body ? r->body : "");
	}
	json_decref(j);
}

static int
is_bad_nonce(const struct lg_resp *r)
{
	json_t *j;
	const char *t;
	int bad;

	if (r->status != 400 || (j = body_json(r)) == NULL)
		return 0;
	t = json_string_value(json_object_get(j, "type"));
	bad = t != NULL && strcmp(t, ACME_ERR "badNonce") == 0;
	json_decref(j);
	return bad;
}

/* A fresh nonce from newNonce (RFC 8555 7.2) into cl->nonce. */
static int
new_nonce(struct client *cl, struct lg_fail *f)
{
	struct lg_resp r = { .retry_after = -1 };
	int rc = -1;

	if (lg_request(cl->curl, cl->run->new_nonce, NULL, NULL, 1, &r, f) != 0)
		goto out;
	if (r.nonce == NULL) {
		fail_from(f, "newNonce", &r);
		goto out;
	}
	free(cl->nonce);
	cl->nonce = r.nonce;
	r.nonce = NULL;
	rc = 0;
out:
	lg_resp_clear(&r);
	return rc;
}

/* Under --retry: an answer worth sending the request again for (none at all, a 5xx,
 * badNonce after a restart); sleeps a little and counts it. */
static int
retry_again(struct client *cl, int sent, const struct lg_resp *r, double deadline)
{
	if (cl->run->o->retry <= 0 || lg_now() > deadline ||
	    (sent && r->status < 500 && !is_bad_nonce(r)))
		return 0;
	lg_retried(cl->run);
	sleep_ms(200);
	return 1;
}

/* One JWS POST of payload (NULL: POST-as-GET) to url, signed with the jwk
 * (newAccount) or the kid, with one retry on badNonce (more under --retry).
 * 0 when the answer is 2xx, else -1 with *f set. Caller clears *r. */
static int
acme_post(struct client *cl, const char *step, const char *url, const char *payload,
    const char *accept, struct lg_resp *r, struct lg_fail *f)
{
	json_t *prot = NULL;
	char *pj = NULL, *jws = NULL;
	double deadline = lg_now() + cl->run->o->retry;
	int attempt, sent, rc = -1;

	for (attempt = 0;; attempt++) {
		json_decref(prot);
		free(pj);
		free(jws);
		prot = NULL;
		pj = jws = NULL;
		if (cl->nonce == NULL && new_nonce(cl, f) != 0) {
			if (retry_again(cl, 0, r, deadline))
				continue;
			goto out;
		}
		prot = cl->kid != NULL ?
		    json_pack("{s:s,s:s,s:s,s:s}", "alg", "ES256", "nonce", cl->nonce, "url", url,
		    "kid", cl->kid) :
		    json_pack("{s:s,s:s,s:s,s:O}", "alg", "ES256", "nonce", cl->nonce, "url", url,
		    "jwk", cl->jwk);
		free(cl->nonce);
		cl->nonce = NULL;
		if (prot == NULL || (pj = json_dumps(prot, JSON_COMPACT)) == NULL ||
		    lg_jws(cl->akey, pj, payload, &jws) != 0) {
			lg_fail_set(f, "client", "%s: cannot build the JWS", step);
			goto out;
		}
		sent = lg_request(cl->curl, url, jws, accept, 0, r, f) == 0;
		if (sent) {
			cl->nonce = r->nonce;
			r->nonce = NULL;
		}
		if (retry_again(cl, sent, r, deadline))
			continue;
		if (!sent)
			goto out;
		if (attempt == 0 && is_bad_nonce(r))
			continue;
		break;
	}
	if (r->status < 200 || r->status > 299) {
		fail_from(f, step, r);
		goto out;
	}
	rc = 0;
out:
	json_decref(prot);
	free(pj);
	free(jws);
	return rc;
}

/* The directory (RFC 8555 7.1.1) into run's newNonce/newAccount/newOrder. */
int
lg_directory(struct lg_run *run)
{
	struct lg_resp r = { .retry_after = -1 };
	struct lg_fail f;
	CURL *c = NULL;
	json_t *j = NULL;
	const char *nn, *na, *no;
	int rc = -1;

	if ((c = lg_curl(run->o)) == NULL)
		goto out;
	if (lg_request(c, run->o->directory, NULL, NULL, 0, &r, &f) != 0) {
		fprintf(stderr, "kakuin-loadgen: directory: %s\n", f.detail);
		goto out;
	}
	j = body_json(&r);
	nn = json_string_value(json_object_get(j, "newNonce"));
	na = json_string_value(json_object_get(j, "newAccount"));
	no = json_string_value(json_object_get(j, "newOrder"));
	if (r.status != 200 || nn == NULL || na == NULL || no == NULL) {
		fprintf(stderr, "kakuin-loadgen: %s: HTTP %ld, not an ACME directory\n",
		    run->o->directory, r.status);
		goto out;
	}
	if ((run->new_nonce = strdup(nn)) == NULL || (run->new_account = strdup(na)) == NULL ||
	    (run->new_order = strdup(no)) == NULL)
		goto out;
	rc = 0;
out:
	json_decref(j);
	lg_resp_clear(&r);
	if (c != NULL)
		curl_easy_cleanup(c);
	return rc;
}

/* newAccount (RFC 8555 7.3) with the jwk, and EAB (7.3.4) when configured;
 * the Location is the kid of every later request. */
static int
new_account(struct client *cl, struct lg_fail *f)
{
	const struct lg_opts *o = cl->run->o;
	struct lg_resp r = { .retry_after = -1 };
	json_t *p = NULL, *eab = NULL;
	char *pj = NULL;
	int rc = -1;

	if ((p = json_pack("{s:b,s:[s]}", "termsOfServiceAgreed", 1, "contact",
	    "mailto:loadgen@example.jp")) == NULL)
		goto out;
	if (o->eab_kid != NULL) {
		if (lg_eab(o->eab_kid, o->eab_hmac, cl->run->new_account, cl->jwk_text,
		    &eab) != 0) {
			lg_fail_set(f, "client", "newAccount: cannot build the EAB JWS");
			goto out;
		}
		json_object_set_new(p, "externalAccountBinding", eab);
	}
	if ((pj = json_dumps(p, JSON_COMPACT)) == NULL)
		goto out;
	if (acme_post(cl, "newAccount", cl->run->new_account, pj, NULL, &r, f) != 0)
		goto out;
	if (r.location == NULL) {
		lg_fail_set(f, "protocol", "newAccount: %ld without Location", r.status);
		goto out;
	}
	cl->kid = r.location;
	r.location = NULL;
	rc = 0;
out:
	json_decref(p);
	free(pj);
	lg_resp_clear(&r);
	return rc;
}

/* The next poll delay in ms: the server's Retry-After when it gave one,
 * else twice the last, within [--poll-min-ms, --poll-max-ms]. */
static long
next_delay(const struct lg_opts *o, double retry_after, long last)
{
	long d = retry_after >= 0 ? (long)(retry_after * 1000) : last * 2;

	if (d < o->poll_min_ms)
		d = o->poll_min_ms;
	if (d > o->poll_max_ms)
		d = o->poll_max_ms;
	return d;
}

/* *f for an object that ended in status st: the error it carries (an order's
 * "error", an authorization's challenge "error") or "<step>-<st>". */
static void
fail_final(struct lg_fail *f, const char *step, const char *st, json_t *obj)
{
	json_t *e = json_object_get(obj, "error"), *ch;
	size_t i;
	char kind[64];

	json_array_foreach(json_object_get(obj, "challenges"), i, ch)
		if (e == NULL)
			e = json_object_get(ch, "error");
	if (json_string_value(json_object_get(e, "type")) != NULL) {
		lg_fail_set(f, short_type(json_string_value(json_object_get(e, "type"))),
		    "%s %s: %s", step, st, json_string_value(json_object_get(e, "detail")) ?
		    json_string_value(json_object_get(e, "detail")) : "");
	} else {
		snprintf(kind, sizeof(kind), "%s-%s", step, st);
		lg_fail_set(f, kind, "%s became %s", step, st);
	}
}

/* POST-as-GET url until its status is want (RFC 8555 7.5.1, 7.4): pending,
 * ready and processing go on, anything else fails. first is the Retry-After
 * of the answer that started the wait. *out is the final object. */
static int
poll_until(struct client *cl, const char *step, const char *url, const char *want,
    double first, json_t **out, struct lg_fail *f)
{
	struct lg_resp r = { .retry_after = -1 };
	double deadline = lg_now() + POLL_TIMEOUT;
	long delay = next_delay(cl->run->o, first, cl->run->o->poll_min_ms / 2);
	json_t *j = NULL;
	const char *st;

	for (;;) {
		sleep_ms(delay);
		if (acme_post(cl, step, url, NULL, NULL, &r, f) != 0)
			break;
		json_decref(j);
		j = body_json(&r);
		st = json_string_value(json_object_get(j, "status"));
		if (st != NULL && strcmp(st, want) == 0) {
			lg_resp_clear(&r);
			*out = j;
			return 0;
		}
		if (st == NULL || (strcmp(st, "pending") != 0 && strcmp(st, "ready") != 0 &&
		    strcmp(st, "processing") != 0)) {
			fail_final(f, step, st ? st : "(no status)", j);
			break;
		}
		if (lg_now() > deadline) {
			lg_fail_set(f, "timeout", "%s still %s after %.0f s", step, st, POLL_TIMEOUT);
			break;
		}
		delay = next_delay(cl->run->o, r.retry_after, delay);
	}
	json_decref(j);
	lg_resp_clear(&r);
	return -1;
}

/* Makes the authorization at url valid through its http-01 challenge
 * (RFC 8555 8.3): the key authorization token.thumbprint (8.1) is published
 * before the challenge is POSTed and withdrawn once the authorization is final. */
static int
validate_authz(struct client *cl, const char *url, struct lg_fail *f)
{
	struct lg_resp r = { .retry_after = -1 };
	json_t *a = NULL, *ch, *fin = NULL;
	const char *token = NULL, *churl = NULL;
	char *tok = NULL, *ka = NULL;
	size_t i;
	int rc = -1;

	if (acme_post(cl, "authz", url, NULL, NULL, &r, f) != 0)
		goto out;
	a = body_json(&r);
	if (json_is_string(json_object_get(a, "status")) &&
	    strcmp(json_string_value(json_object_get(a, "status")), "valid") == 0) {
		rc = 0;
		goto out;
	}
	json_array_foreach(json_object_get(a, "challenges"), i, ch)
		if (json_is_string(json_object_get(ch, "type")) &&
		    strcmp(json_string_value(json_object_get(ch, "type")), "http-01") == 0) {
			token = json_string_value(json_object_get(ch, "token"));
			churl = json_string_value(json_object_get(ch, "url"));
		}
	if (token == NULL || churl == NULL) {
		lg_fail_set(f, "no-http-01", "authz %s offers no http-01 challenge", url);
		goto out;
	}
	if (asprintf(&ka, "%s.%s", token, cl->thumb) < 0) {
		ka = NULL;
		lg_fail_set(f, "client", "out of memory");
		goto out;
	}
	if ((tok = strdup(token)) == NULL || lg_http01_put(cl->run->h01, tok, ka) != 0) {
		lg_fail_set(f, "client", "out of memory");
		goto out;
	}
	if (acme_post(cl, "challenge", churl, "{}", NULL, &r, f) != 0)
		goto withdraw;
	/* a challenge already valid makes its authorization valid (RFC 8555 7.1.6) */
	if ((fin = body_json(&r)) != NULL && json_is_string(json_object_get(fin, "status")) &&
	    strcmp(json_string_value(json_object_get(fin, "status")), "valid") == 0) {
		rc = 0;
		goto withdraw;
	}
	json_decref(fin);
	fin = NULL;
	if (poll_until(cl, "authz", url, "valid", r.retry_after, &fin, f) != 0)
		goto withdraw;
	rc = 0;
withdraw:
	lg_http01_del(cl->run->h01, tok);
out:
	json_decref(a);
	json_decref(fin);
	free(tok);
	free(ka);
	lg_resp_clear(&r);
	return rc;
}

/* The status of the JSON object in r, or "" (RFC 8555 7.1.3, 7.1.4). */
static const char *
status_of(json_t *j)
{
	const char *st = json_string_value(json_object_get(j, "status"));

	return st != NULL ? st : "";
}

/* finalize (RFC 8555 7.4) with a CSR for name. orderNotReady: an order still pending
 * is polled until ready and finalized again; one already processing or valid (a
 * finalize retried after the server went away had been taken) is the answer as is.
 * *order is the answer. */
static int
finalize(struct client *cl, const char *name, const char *furl, const char *order_url,
    struct lg_resp *r, json_t **order, struct lg_fail *f)
{
	json_t *p = NULL, *ready = NULL, *cur = NULL;
	char *csr = NULL, *pj = NULL;
	int rc = -1;

	if (lg_csr(cl->ckey, name, &csr) != 0 ||
	    (p = json_pack("{s:s}", "csr", csr)) == NULL ||
	    (pj = json_dumps(p, JSON_COMPACT)) == NULL) {
		lg_fail_set(f, "client", "cannot build the CSR for %s", name);
		goto out;
	}
	if (acme_post(cl, "finalize", furl, pj, NULL, r, f) != 0) {
		if (strcmp(f->kind, "orderNotReady") != 0 ||
		    acme_post(cl, "order", order_url, NULL, NULL, r, f) != 0)
			goto out;
		cur = body_json(r);
		if (strcmp(status_of(cur), "processing") == 0 ||
		    strcmp(status_of(cur), "valid") == 0) {
			*order = cur;
			cur = NULL;
			rc = 0;
			goto out;
		}
		if ((strcmp(status_of(cur), "ready") != 0 &&
		    poll_until(cl, "order", order_url, "ready", r->retry_after, &ready, f) != 0) ||
		    acme_post(cl, "finalize", furl, pj, NULL, r, f) != 0)
			goto out;
	}
	*order = body_json(r);
	rc = 0;
out:
	json_decref(p);
	json_decref(ready);
	json_decref(cur);
	free(csr);
	free(pj);
	return rc;
}

/* Under --save-dir: the chain as DIR/<name>.pem. */
static int
save_chain(const struct lg_opts *o, const char *name, const struct lg_resp *r,
    struct lg_fail *f)
{
	char path[4096];
	FILE *fp;
	int ok;

	if (o->save_dir == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/%s.pem", o->save_dir, name);
	if ((fp = fopen(path, "w")) == NULL) {
		lg_fail_set(f, "client", "cannot write %s", path);
		return -1;
	}
	ok = fwrite(r->body, 1, r->len, fp) == r->len;
	if (fclose(fp) != 0 || !ok) {
		lg_fail_set(f, "client", "cannot write %s", path);
		return -1;
	}
	return 0;
}

/* One issuance for name, newOrder to the certificate downloaded and parsed. */
static int
issue(struct client *cl, const char *name, struct lg_fail *f)
{
	struct lg_resp r = { .retry_after = -1 };
	json_t *p = NULL, *order = NULL, *az, *fin = NULL;
	char *pj = NULL, *ourl = NULL;
	const char *furl, *st, *cert;
	size_t i;
	int rc = -1;

	if ((p = json_pack("{s:[{s:s,s:s}]}", "identifiers", "type", "dns", "value",
	    name)) == NULL || (pj = json_dumps(p, JSON_COMPACT)) == NULL)
		goto out;
	if (acme_post(cl, "newOrder", cl->run->new_order, pj, NULL, &r, f) != 0)
		goto out;
	order = body_json(&r);
	furl = json_string_value(json_object_get(order, "finalize"));
	if (r.location == NULL || furl == NULL || (ourl = strdup(r.location)) == NULL) {
		lg_fail_set(f, "protocol", "newOrder: no Location or finalize");
		goto out;
	}
	json_array_foreach(json_object_get(order, "authorizations"), i, az)
		if (!json_is_string(az) || validate_authz(cl, json_string_value(az), f) != 0)
			goto out;
	if (finalize(cl, name, furl, ourl, &r, &fin, f) != 0)
		goto out;
	st = json_string_value(json_object_get(fin, "status"));
	if (st == NULL || strcmp(st, "valid") != 0) {
		json_decref(order);
		order = fin;
		fin = NULL;
		if (poll_until(cl, "order", ourl, "valid", r.retry_after, &fin, f) != 0)
			goto out;
	}
	if ((cert = json_string_value(json_object_get(fin, "certificate"))) == NULL) {
		lg_fail_set(f, "protocol", "valid order without certificate URL");
		goto out;
	}
	if (acme_post(cl, "certificate", cert, NULL, "application/pem-certificate-chain", &r,
	    f) != 0)
		goto out;
	if (lg_cert_check(r.body, r.len, name) != 0) {
		lg_fail_set(f, "badCertificate", "certificate for %s does not parse or name it",
		    name);
		goto out;
	}
	if (save_chain(cl->run->o, name, &r, f) != 0)
		goto out;
	rc = 0;
out:
	json_decref(p);
	json_decref(order);
	json_decref(fin);
	free(pj);
	free(ourl);
	lg_resp_clear(&r);
	return rc;
}

/* Untimed set-up: the account key, its JWK, the RSA CSR key, the curl handle
 * and the account itself. */
static int
setup(struct client *cl, struct lg_fail *f)
{
	if ((cl->curl = lg_curl(cl->run->o)) == NULL || (cl->akey = lg_ec_key()) == NULL ||
	    lg_ec_jwk(cl->akey, &cl->jwk_text, &cl->thumb) != 0 ||
	    (cl->jwk = json_loads(cl->jwk_text, 0, NULL)) == NULL ||
	    (cl->ckey = lg_rsa_key()) == NULL) {
		lg_fail_set(f, "client", "client %d: key or curl set-up failed", cl->idx);
		return -1;
	}
	return new_account(cl, f);
}

static void
client_clear(struct client *cl)
{
	if (cl->curl != NULL)
		curl_easy_cleanup(cl->curl);
	EVP_PKEY_free(cl->akey);
	EVP_PKEY_free(cl->ckey);
	json_decref(cl->jwk);
	free(cl->jwk_text);
	free(cl->thumb);
	free(cl->kid);
	free(cl->nonce);
}

/* Thread body: set up, report ready, wait for go, then issue until told to
 * stop. Names are <run>-c<client>-<seq>.<suffix>. */
void *
lg_client_main(void *arg)
{
	struct lg_slot *slot = arg;
	struct lg_run *run = slot->run;
	struct client cl = { .run = run, .idx = slot->idx };
	struct lg_fail f;
	enum lg_what what;
	char name[256];
	double t0;
	long seq;
	int ok, tries, issued;

	ok = setup(&cl, &f) == 0;
	if (!ok)
		lg_record(run, LG_SETUP, 0, &f);
	pthread_mutex_lock(&run->mu);
	run->ready++;
	pthread_cond_broadcast(&run->cv);
	while (!run->go)
		pthread_cond_wait(&run->cv, &run->mu);
	pthread_mutex_unlock(&run->mu);
	for (seq = 0; ok && lg_claim(run, &what) == 0; seq++) {
		snprintf(name, sizeof(name), "%s-c%d-%ld.%s", run->run_id, cl.idx, seq,
		    run->o->suffix);
		t0 = lg_now();
		/* --retry: a new order for the same name, as a client would after a failure */
		for (tries = 0; !(issued = issue(&cl, name, &f) == 0) &&
		    run->o->retry > 0 && tries < 3; tries++)
			lg_retried(run);
		if (issued)
			lg_record(run, what, (lg_now() - t0) * 1000.0, NULL);
		else
			lg_record(run, what, 0, &f);
	}
	client_clear(&cl);
	return NULL;
}
