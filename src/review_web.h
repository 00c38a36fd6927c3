/*
 * The reviewer web UI (issue #4): server-rendered HTML on a second HTTPS listener of
 * `kakuin serve`, in front of the review service (kakuin/review.h), which decides and
 * enforces everything; the UI only renders, authenticates the browser (session cookie)
 * and defends the forms (CSRF token, Origin check). Independent of the HTTP library, like
 * the WFE: acme/server.c calls kk_review_web_handle.
 */
#ifndef KAKUIN_REVIEW_WEB_H
#define KAKUIN_REVIEW_WEB_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "kakuin/review.h"
#include "wfe.h"

/* Form posts are small (documents are uploaded with
 * `kakuin review org evidence N --document FILE`). */
#define KK_WEB_MAX_BODY (64 * 1024)

typedef struct kk_review_web kk_review_web;

/* rv is borrowed and must outlive the UI. */
int kk_review_web_new(kk_review_web **out, kk_review *rv, kk_err *err);
void kk_review_web_free(kk_review_web *w);
/* A kk_http_handler (ctx: the kk_review_web); always fills resp. */
void kk_review_web_handle(void *ctx, const kk_http_req *req, kk_http_resp *resp);

/* ---- shared by src/review_web.c, review_pages.c and review_html.c only ---- */

/* A growing HTML buffer. Allocation failure sets oom and later appends do nothing. */
typedef struct kk_html {
	char *p;
	size_t len, cap;
	int oom;
} kk_html;
void kk_html_raw(kk_html *h, const char *s);
/* Appends s with & < > " ' escaped: every value from the store or the request. */
void kk_html_esc(kk_html *h, const char *s);
/* printf into the page, unescaped: for numbers and literals only. */
void kk_html_fmt(kk_html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "YYYY-MM-DD HH:MM UTC", or a dash for 0. */
void kk_html_time(kk_html *h, time_t t);
/* One table cell: <td>, the escaped text (or the time), </td>. */
void kk_html_td(kk_html *h, const char *s);
void kk_html_td_time(kk_html *h, time_t t);
void kk_html_free(kk_html *h);

/* application/x-www-form-urlencoded (also the query string), decoded: '+' is a space,
 * %HH a byte; a bad escape, %00, an empty name, a repeated name or more than
 * KK_FORM_MAX_FIELDS fields is KK_ERR_MALFORMED. */
#define KK_FORM_MAX_FIELDS 32
typedef struct kk_form {
	char *buf; /* owned: the decoded names and values point into it */
	size_t buf_len;
	size_t n;
	const char *name[KK_FORM_MAX_FIELDS], *value[KK_FORM_MAX_FIELDS];
} kk_form;
int kk_form_parse(kk_form *f, const char *s, size_t len, kk_err *err);
/* The field's value, or NULL. */
const char *kk_form_get(const kk_form *f, const char *name);
/* Frees and wipes (a login form holds a password). */
void kk_form_clear(kk_form *f);

/* One request in flight. */
typedef struct kk_web_req {
	kk_review *rv;
	const kk_http_req *req;
	kk_http_resp *resp;
	kk_reviewer me;   /* the session's reviewer; id 0 when there is none */
	char csrf[65];    /* the session's CSRF token */
	kk_form form;     /* the POST body or the query string */
} kk_web_req;

/* Fills r->resp with a whole page (frame, navigation for a logged-in reviewer, the error
 * banner if error is not NULL, then body) and the security headers; takes body. */
void kk_web_page(kk_web_req *r, int status, const char *title, const char *error,
    kk_html *body);
/* 303 See Other to a path of this listener, with the security headers. */
void kk_web_redirect(kk_web_req *r, const char *location);
/* A page for a service error: its detail, or for internal errors (status 500) a generic
 * text and a log line naming what failed. */
void kk_web_error(kk_web_req *r, const char *what, const kk_err *e);
/* The HTTP status that shows a service error. */
int kk_web_status(const kk_err *e);
/* <input type=hidden name=csrf ...> for the session's forms. */
void kk_web_csrf_input(kk_web_req *r, kk_html *h);

/* The editable fields of an organization, in form order. */
typedef struct kk_web_field {
	const char *name, *label;
	size_t off, size;   /* of the char array in kk_orgrec */
	int required;
} kk_web_field;
extern const kk_web_field kk_web_org_fields[];
extern const size_t kk_web_n_org_fields;

/* Pages (src/review_pages.c). error (may be NULL) is shown above the page with status. */
void kk_web_queue(kk_web_req *r);
void kk_web_search(kk_web_req *r, const char *q);
void kk_web_org(kk_web_req *r, int64_t id, int status, const char *error);
void kk_web_org_form(kk_web_req *r, const kk_orgrec *o, int status, const char *error);
void kk_web_task(kk_web_req *r, int64_t id, int status, const char *error);
/* src/review_revoke_web.c: GET /revocations, POST /revocations/{request,revoke}. */
void kk_web_revocations(kk_web_req *r, int status, const char *error);
void kk_web_revoke_post(kk_web_req *r, const char *action);

#endif
