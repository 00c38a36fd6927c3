/*
 * The reviewer web UI: routing, login and sessions, the CSRF and Origin checks, and the
 * form posts that call the review service. Every decision (roles, the two-person rule of
 * CP 3.2.2/3.2.5, states) is the service's; a refusal is shown with its reason.
 *
 * Routes (all but /login need a session, else 303 to /login):
 *   GET  /login, POST /login, POST /logout
 *   GET  /                       the queue
 *   GET  /search?q=              organizations by name, number or applicant
 *   GET  /org/new, POST /org/new
 *   GET  /org/N                  the organization, its evidence, audit trail, actions
 *   POST /org/N/evidence|verify|approve|reject|revet
 *   GET  /task/N, POST /task/N   a reviewer task (phone validation)
 *   GET  /revocations, POST /revocations/request|revoke   CA-initiated revocation
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include "kakuin/metrics.h"
#include "kakuin/util.h"
#include "review_web.h"

struct kk_review_web {
	kk_review *rv;
};

#define COOKIE_NAME "kk_session"

int
kk_review_web_new(kk_review_web **out, kk_review *rv, kk_err *err)
{
	kk_review_web *w;

	if ((w = kk_calloc(1, sizeof(*w))) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
	w->rv = rv;
	*out = w;
	return 0;
}

void
kk_review_web_free(kk_review_web *w)
{
	free(w);
}

/* A plain page with one message (errors before any real page can be shown). */
static void
message(kk_web_req *r, int status, const char *title, const char *text)
{
	kk_html h = {0};

	kk_html_raw(&h, "<p>");
	kk_html_esc(&h, text);
	kk_html_raw(&h, "</p><p><a href=\"/\">Back to the queue</a></p>");
	kk_web_page(r, status, title, NULL, &h);
}

static int
hex64(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* The session token from the Cookie header: 0 and tok set, or -1 if there is none. */
static int
cookie_token(const char *cookie, char tok[65])
{
	const char *p = cookie;
	size_t n, nl = strlen(COOKIE_NAME "=");

	while (p != NULL && *p != '\0') {
		p += strspn(p, " \t;");
		n = strcspn(p, ";");
		if (n == nl + 64 && strncmp(p, COOKIE_NAME "=", nl) == 0 && hex64(p + nl)) {
			memcpy(tok, p + nl, 64);
			tok[64] = '\0';
			return 0;
		}
		p += n;
	}
	return -1;
}

/* Loads the session named by the cookie into r->me and r->csrf; -1 when there is none
 * (unknown, expired, disabled reviewer, or a store failure, which is logged). */
static int
session(kk_web_req *r)
{
	char tok[65];
	kk_err e;

	if (cookie_token(r->req->cookie, tok) != 0)
		return -1;
	if (kk_review_session_get(r->rv, tok, &r->me, r->csrf, &e) != 0) {
		if (e.kind != KK_ERR_UNAUTHORIZED)
			kk_log("error", "review-web", "session: %s", e.detail);
		memset(&r->me, 0, sizeof(r->me));
		return -1;
	}
	return 0;
}

static void
set_cookie(kk_web_req *r, const char *token)
{
	kk_wfe_header(r->resp, "Set-Cookie", token != NULL ?
	    kk_printf(COOKIE_NAME "=%s; Path=/; HttpOnly; Secure; SameSite=Strict", token) :
	    kk_strdup(COOKIE_NAME "=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict"));
}

static void
login_page(kk_web_req *r, int status, const char *error)
{
	kk_html h = {0};

	kk_html_raw(&h, "<form method=post action=\"/login\" class=act>"
	    "<label>Name <input type=text name=name id=name autocomplete=username required>"
	    "</label><label>Password <input type=password name=password id=password "
	    "autocomplete=current-password required></label>"
	    "<button id=login>Log in</button></form>");
	kk_web_page(r, status, "Log in", error, &h);
}

/* POST /login: the password check is the service's (constant time, one answer for every
 * kind of failure); success starts a session cookie the browser only sends back over
 * HTTPS to this site (SameSite=Strict) and scripts cannot read (HttpOnly). */
static void
login(kk_web_req *r)
{
	const char *name = kk_form_get(&r->form, "name");
	const char *pw = kk_form_get(&r->form, "password");
	kk_reviewer who;
	char tok[65], csrf[65];
	kk_err e;

	if (name == NULL || pw == NULL) {
		login_page(r, 400, "Name and password are required.");
		return;
	}
	if (kk_review_login(r->rv, name, pw, &who, &e) != 0) {
		if (e.kind != KK_ERR_UNAUTHORIZED) {
			kk_log("error", "review-web", "login: %s", e.detail);
			login_page(r, 500, "Login failed: internal error.");
			return;
		}
		kk_log("info", "review-web", "failed login");
		login_page(r, 401, "Invalid name or password.");
		return;
	}
	if (kk_review_session_new(r->rv, who.id, tok, csrf, &e) != 0) {
		kk_log("error", "review-web", "session: %s", e.detail);
		login_page(r, 500, "Login failed: internal error.");
		return;
	}
	set_cookie(r, tok);
	kk_web_redirect(r, "/");
	OPENSSL_cleanse(tok, sizeof(tok));
}

static void
logout(kk_web_req *r)
{
	char tok[65];
	kk_err e;

	if (cookie_token(r->req->cookie, tok) == 0 &&
	    kk_review_session_end(r->rv, tok, &e) != 0)
		kk_log("error", "review-web", "logout: %s", e.detail);
	set_cookie(r, NULL);
	kk_web_redirect(r, "/login");
}

/* A cross-site form post carries its own site's Origin: only this listener's (as the
 * browser addressed it: the Host header) is accepted. Under our Referrer-Policy
 * no-referrer browsers send "Origin: null" even for our own forms (Fetch, serializing a
 * request origin), so "null" says nothing; Sec-Fetch-Site, which browsers always set
 * truthfully, then tells a cross-site post apart. Neither header (older clients, curl)
 * leaves it to the CSRF token. */
static int
origin_ok(const kk_http_req *req)
{
	char want[300];
	int n;

	if (req->fetch_site != NULL && strcmp(req->fetch_site, "same-origin") != 0 &&
	    strcmp(req->fetch_site, "none") != 0)
		return 0;
	if (req->origin == NULL || strcmp(req->origin, "null") == 0)
		return 1;
	if (req->host == NULL)
		return 0;
	n = snprintf(want, sizeof(want), "https://%s", req->host);
	return n > 0 && (size_t)n < sizeof(want) && strcmp(req->origin, want) == 0;
}

static int
form_type(const char *ct)
{
	static const char want[] = "application/x-www-form-urlencoded";
	size_t n = sizeof(want) - 1;

	return ct != NULL && strncasecmp(ct, want, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Parses the request's form (the POST body, or the query string of a GET); 0, or -1 with
 * the error page in r->resp. */
static int
read_form(kk_web_req *r, int post)
{
	const kk_http_req *q = r->req;
	kk_err e;

	if (post && !origin_ok(q)) {
		message(r, 403, "Forbidden", "This form was posted from another site.");
		return -1;
	}
	if (post && !form_type(q->content_type)) {
		message(r, 415, "Unsupported form", "Forms must be sent as "
		    "application/x-www-form-urlencoded.");
		return -1;
	}
	if ((post ? kk_form_parse(&r->form, q->body, q->body_len, &e) :
	    kk_form_parse(&r->form, q->query ? q->query : "", q->query ? strlen(q->query) : 0,
		&e)) != 0) {
		if (e.kind == KK_ERR_MALFORMED)
			message(r, 400, "Bad request", e.detail);
		else
			kk_web_error(r, "form", &e);
		return -1;
	}
	return 0;
}

/* Every post of a logged-in reviewer carries the session's CSRF token (constant-time
 * comparison). */
static int
csrf_ok(kk_web_req *r)
{
	const char *t = kk_form_get(&r->form, "csrf");

	return t != NULL && strlen(t) == 64 && strlen(r->csrf) == 64 &&
	    CRYPTO_memcmp(t, r->csrf, 64) == 0;
}

/* Copies form field name into dst[size]; absent is empty. -1 with err when too long. */
static int
field(const kk_form *f, const char *name, char *dst, size_t size, kk_err *err)
{
	const char *v = kk_form_get(f, name);

	if (v == NULL)
		v = "";
	if (strlen(v) >= size)
		return kk_err_set(err, KK_ERR_MALFORMED, "%s is too long (at most %zu bytes)",
		    name, size - 1);
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static void
org_create(kk_web_req *r)
{
	kk_orgrec o;
	int64_t id = 0;
	char loc[64];
	size_t i;
	kk_err e;

	memset(&o, 0, sizeof(o));
	for (i = 0; i < kk_web_n_org_fields; i++) {
		const kk_web_field *f = &kk_web_org_fields[i];
		if (field(&r->form, f->name, (char *)&o + f->off, f->size, &e) != 0) {
			kk_web_org_form(r, &o, 400, e.detail);
			return;
		}
	}
	if (kk_review_org_create(r->rv, r->me.id, &o, &id, &e) != 0) {
		if (kk_web_status(&e) == 500)
			kk_log("error", "review-web", "org create: %s", e.detail);
		kk_web_org_form(r, &o, kk_web_status(&e), e.detail);
		return;
	}
	snprintf(loc, sizeof(loc), "/org/%lld", (long long)id);
	kk_web_redirect(r, loc);
}

static int
add_evidence(kk_web_req *r, int64_t org, kk_err *e)
{
	kk_evidence ev;
	int64_t id = 0;

	memset(&ev, 0, sizeof(ev));
	if (field(&r->form, "kind", ev.kind, sizeof(ev.kind), e) != 0 ||
	    field(&r->form, "source", ev.source, sizeof(ev.source), e) != 0 ||
	    field(&r->form, "reference", ev.reference, sizeof(ev.reference), e) != 0)
		return -1;
	return kk_review_evidence_add(r->rv, r->me.id, org, &ev, NULL, 0, &id, e);
}

/* POST /org/N/ACTION: one decision of the service; back to the page (303) when done, the
 * page with the refusal otherwise. */
static void
org_action(kk_web_req *r, int64_t org, const char *action)
{
	const char *note = kk_form_get(&r->form, "note");
	const char *reason = kk_form_get(&r->form, "reason");
	char loc[64];
	int rc;
	kk_err e;

	if (note == NULL)
		note = "";
	if (strcmp(action, "evidence") == 0)
		rc = add_evidence(r, org, &e);
	else if (strcmp(action, "verify") == 0)
		rc = kk_review_org_verify(r->rv, r->me.id, org, note, &e);
	else if (strcmp(action, "approve") == 0)
		rc = kk_review_org_approve(r->rv, r->me.id, org, note, &e);
	else if (strcmp(action, "reject") == 0)
		rc = kk_review_org_reject(r->rv, r->me.id, org, reason ? reason : "", &e);
	else if (strcmp(action, "revet") == 0)
		rc = kk_review_org_revet(r->rv, r->me.id, org, note, &e);
	else {
		message(r, 404, "Not found", "No such action.");
		return;
	}
	if (rc != 0) {
		if (kk_web_status(&e) == 500) {
			kk_web_error(r, action, &e);
			return;
		}
		kk_log("info", "review-web", "%s of org %lld by %s refused: %s", action,
		    (long long)org, r->me.name, e.detail);
		kk_web_org(r, org, kk_web_status(&e), e.detail);
		return;
	}
	snprintf(loc, sizeof(loc), "/org/%lld", (long long)org);
	kk_web_redirect(r, loc);
}

/* POST /task/N: the outcome of a phone validation (BR 3.2.2.4.16/.17) or a held order. */
static void
task_complete(kk_web_req *r, int64_t id)
{
	const char *outcome = kk_form_get(&r->form, "outcome");
	const char *note = kk_form_get(&r->form, "note");
	char loc[64];
	kk_err e;

	if (outcome == NULL ||
	    (strcmp(outcome, "success") != 0 && strcmp(outcome, "failure") != 0)) {
		kk_web_task(r, id, 400, "Choose an outcome: success or failure.");
		return;
	}
	if (kk_review_task_complete(r->rv, r->me.id, id, strcmp(outcome, "success") == 0,
	    note ? note : "", &e) != 0) {
		if (kk_web_status(&e) == 500) {
			kk_web_error(r, "task", &e);
			return;
		}
		kk_web_task(r, id, kk_web_status(&e), e.detail);
		return;
	}
	snprintf(loc, sizeof(loc), "/task/%lld", (long long)id);
	kk_web_redirect(r, loc);
}

/* "/PREFIX<id>[/rest]": 0 with *id > 0 and *rest ("" or "/..."), or -1. */
static int
path_id(const char *path, const char *prefix, int64_t *id, const char **rest)
{
	size_t pl = strlen(prefix), i;
	int64_t v = 0;

	if (strncmp(path, prefix, pl) != 0)
		return -1;
	path += pl;
	for (i = 0; path[i] >= '0' && path[i] <= '9'; i++) {
		if (i == 15)
			return -1;
		v = v * 10 + (path[i] - '0');
	}
	if (i == 0 || v <= 0 || (path[i] != '\0' && path[i] != '/'))
		return -1;
	*id = v;
	*rest = path + i;
	return 0;
}

static void
route(kk_web_req *r, int post)
{
	const char *p = r->req->path, *rest;
	int64_t id;

	if (strcmp(p, "/") == 0 && !post)
		kk_web_queue(r);
	else if (strcmp(p, "/search") == 0 && !post)
		kk_web_search(r, kk_form_get(&r->form, "q"));
	else if (strcmp(p, "/logout") == 0 && post)
		logout(r);
	else if (strcmp(p, "/org/new") == 0)
		post ? org_create(r) : kk_web_org_form(r, NULL, 200, NULL);
	else if (path_id(p, "/org/", &id, &rest) == 0 && *rest == '\0' && !post)
		kk_web_org(r, id, 200, NULL);
	else if (path_id(p, "/org/", &id, &rest) == 0 && *rest == '/' && post)
		org_action(r, id, rest + 1);
	else if (path_id(p, "/task/", &id, &rest) == 0 && *rest == '\0')
		post ? task_complete(r, id) : kk_web_task(r, id, 200, NULL);
	else if (strcmp(p, "/revocations") == 0 && !post)
		kk_web_revocations(r, 200, NULL);
	else if ((strcmp(p, "/revocations/request") == 0 ||
	    strcmp(p, "/revocations/revoke") == 0) && post)
		kk_web_revoke_post(r, p + strlen("/revocations/"));
	else
		message(r, 404, "Not found", "There is no such page.");
}

void
kk_review_web_handle(void *ctx, const kk_http_req *req, kk_http_resp *resp)
{
	kk_review_web *w = ctx;
	kk_web_req r;
	int post;

	memset(&r, 0, sizeof(r));
	r.rv = w->rv;
	r.req = req;
	r.resp = resp;
	post = strcmp(req->method, "POST") == 0;
	if (!post && strcmp(req->method, "GET") != 0) {
		message(&r, 405, "Method not allowed", "Only GET and POST are used here.");
		return;
	}
	if (req->too_large) {
		message(&r, 413, "Too large", "The form is too large.");
		return;
	}
	/* operational counters for a Prometheus scraper (docs/security.md): numbers only,
	 * nothing about orders or people, so no session is needed on this staff listener */
	if (!post && strcmp(req->path, "/metrics") == 0) {
		free(resp->body);
		if ((resp->body = kk_metrics_text()) == NULL) {
			message(&r, 500, "Error", "Out of memory.");
			return;
		}
		resp->body_len = strlen(resp->body);
		resp->status = 200;
		resp->content_type = "text/plain; version=0.0.4";
		return;
	}
	if (read_form(&r, post) != 0)
		goto out;
	if (strcmp(req->path, "/login") == 0) {
		post ? login(&r) : login_page(&r, 200, NULL);
		goto out;
	}
	if (session(&r) != 0) {
		kk_web_redirect(&r, "/login");
		goto out;
	}
	if (post && !csrf_ok(&r)) {
		kk_log("warn", "review-web", "POST %s by %s without a valid CSRF token", req->path,
		    r.me.name);
		message(&r, 403, "Forbidden", "The form's security token is missing or wrong; "
		    "reload the page and try again.");
		goto out;
	}
	route(&r, post);
out:
	kk_form_clear(&r.form);
	OPENSSL_cleanse(r.csrf, sizeof(r.csrf));
}
