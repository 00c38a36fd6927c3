/*
 * The reviewer web UI's building blocks: an escaping HTML buffer, the form decoder and
 * the page frame with its security headers. Nothing from the store or the request reaches
 * a page without kk_html_esc.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "kakuin/util.h"
#include "review_web.h"

static void
html_add(kk_html *h, const char *s, size_t n)
{
	char *np;
	size_t cap;

	if (h->oom)
		return;
	if (h->len + n + 1 > h->cap) {
		cap = h->cap ? h->cap : 4096;
		while (cap < h->len + n + 1)
			cap *= 2;
		if ((np = kk_realloc(h->p, cap)) == NULL) {
			h->oom = 1;
			return;
		}
		h->p = np;
		h->cap = cap;
	}
	memcpy(h->p + h->len, s, n);
	h->len += n;
	h->p[h->len] = '\0';
}

void
kk_html_raw(kk_html *h, const char *s)
{
	html_add(h, s, strlen(s));
}

void
kk_html_esc(kk_html *h, const char *s)
{
	const char *run = s, *rep;

	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		html_add(h, run, (size_t)(s - run));
		kk_html_raw(h, rep);
		run = s + 1;
	}
	html_add(h, run, (size_t)(s - run));
}

void
kk_html_fmt(kk_html *h, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		h->oom = 1; /* a literal this long is a programming error: show no half page */
		return;
	}
	html_add(h, buf, (size_t)n);
}

void
kk_html_time(kk_html *h, time_t t)
{
	struct tm tm;
	char buf[32];

	if (t == 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", &tm) == 0) {
		kk_html_raw(h, "&mdash;");
		return;
	}
	kk_html_raw(h, buf);
}

void
kk_html_td(kk_html *h, const char *s)
{
	kk_html_raw(h, "<td>");
	kk_html_esc(h, s);
	kk_html_raw(h, "</td>");
}

void
kk_html_td_time(kk_html *h, time_t t)
{
	kk_html_raw(h, "<td>");
	kk_html_time(h, t);
	kk_html_raw(h, "</td>");
}

void
kk_html_free(kk_html *h)
{
	free(h->p);
	memset(h, 0, sizeof(*h));
}

/* Decodes s[0..n) in place to a NUL-terminated string (the result is never longer). */
static int
form_decode(char *s, size_t n, kk_err *err)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '+') {
			s[o++] = ' ';
		} else if (s[i] == '%') {
			if (i + 2 >= n)
				return kk_err_set(err, KK_ERR_MALFORMED, "truncated %%-escape in form");
			hi = kk_hexval((unsigned char)s[i + 1]);
			lo = kk_hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return kk_err_set(err, KK_ERR_MALFORMED, "bad %%-escape in form");
			if (hi == 0 && lo == 0)
				return kk_err_set(err, KK_ERR_MALFORMED, "NUL byte in form");
			s[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '\0') {
			return kk_err_set(err, KK_ERR_MALFORMED, "NUL byte in form");
		} else {
			s[o++] = s[i];
		}
	}
	s[o] = '\0';
	return 0;
}

int
kk_form_parse(kk_form *f, const char *s, size_t len, kk_err *err)
{
	char *p, *end, *amp, *eq;
	size_t i;

	memset(f, 0, sizeof(*f));
	if ((f->buf = kk_malloc(len + 1)) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
	f->buf_len = len + 1;
	memcpy(f->buf, s, len);
	f->buf[len] = '\0';
	end = f->buf + len;
	for (p = f->buf; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp == p)
			continue; /* "a=1&&b=2": browsers never send it, but it is harmless */
		if (f->n == KK_FORM_MAX_FIELDS)
			return kk_err_set(err, KK_ERR_MALFORMED, "too many form fields");
		if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
			eq = amp;
		if (eq == p)
			return kk_err_set(err, KK_ERR_MALFORMED, "form field without a name");
		if (form_decode(p, (size_t)(eq - p), err) != 0)
			return -1;
		if (eq == amp) {
			f->value[f->n] = "";
		} else {
			if (form_decode(eq + 1, (size_t)(amp - eq - 1), err) != 0)
				return -1;
			f->value[f->n] = eq + 1;
		}
		f->name[f->n] = p;
		for (i = 0; i < f->n; i++)
			if (strcmp(f->name[i], p) == 0)
				return kk_err_set(err, KK_ERR_MALFORMED, "form field %.40s repeated",
				    p);
		f->n++;
	}
	return 0;
}

const char *
kk_form_get(const kk_form *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->name[i], name) == 0)
			return f->value[i];
	return NULL;
}

void
kk_form_clear(kk_form *f)
{
	if (f->buf != NULL)
		OPENSSL_cleanse(f->buf, f->buf_len);
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

int
kk_web_status(const kk_err *e)
{
	switch (e->kind) {
	case KK_ERR_MALFORMED: return 400;
	case KK_ERR_UNAUTHORIZED: return 403;
	case KK_ERR_NOT_FOUND: return 404;
	case KK_ERR_CONFLICT: return 409;
	default: return 500;
	}
}

void
kk_web_csrf_input(kk_web_req *r, kk_html *h)
{
	kk_html_raw(h, "<input type=hidden name=csrf value=\"");
	kk_html_esc(h, r->csrf);
	kk_html_raw(h, "\">");
}

static const char page_css[] =
    "body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}"
    "header{background:#243b53;color:#fff;padding:.5em 1em;display:flex;gap:1em;"
    "align-items:center;flex-wrap:wrap}"
    "header a{color:#fff}header form{display:inline;margin:0}"
    "main{padding:1em;max-width:1100px}"
    "table{border-collapse:collapse;margin:.5em 0 1em}"
    "td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}"
    "th{background:#eef}"
    ".err{background:#fdd;border:1px solid #c00;padding:.5em 1em;margin:.5em 0}"
    ".st{font-weight:bold}.hash{font-family:monospace;font-size:85%;word-break:break-all}"
    "form.act{border:1px solid #ccc;background:#fff;padding:.5em 1em;margin:.5em 0}"
    "label{display:block;margin:.3em 0}input[type=text],input[type=password],textarea"
    "{width:24em;max-width:100%}";

/* Security headers of every page: nothing but inline style loads, forms post only here,
 * no framing, no sniffing, no referrer, no caching of reviewer data. */
static void
web_headers(kk_http_resp *resp)
{
	static const char *const h[][2] = {
		{"Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; "
		    "form-action 'self'; frame-ancestors 'none'"},
		{"X-Content-Type-Options", "nosniff"},
		{"Referrer-Policy", "no-referrer"},
		{"Cache-Control", "no-store"},
	};
	size_t i;

	for (i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		kk_wfe_header(resp, h[i][0], kk_strdup(h[i][1]));
}

void
kk_web_redirect(kk_web_req *r, const char *location)
{
	free(r->resp->body);
	r->resp->body = NULL;
	r->resp->body_len = 0;
	r->resp->content_type = "text/plain; charset=utf-8";
	r->resp->status = 303;
	kk_wfe_header(r->resp, "Location", kk_strdup(location));
	web_headers(r->resp);
}

static void
nav(kk_web_req *r, kk_html *h)
{
	kk_html_raw(h, "<header><b>kakuin review</b>");
	if (r->me.id == 0) {
		kk_html_raw(h, "</header>");
		return;
	}
	kk_html_raw(h, "<a href=\"/\">Queue</a><a href=\"/org/new\">New organization</a>"
	    "<a href=\"/revocations\">Revocations</a>"
	    "<form method=get action=\"/search\"><input type=search name=q "
	    "placeholder=\"name, number, applicant\" aria-label=search> "
	    "<button>Search</button></form><span>");
	kk_html_esc(h, r->me.name);
	kk_html_raw(h, " (");
	kk_html_esc(h, kk_role_name(r->me.role));
	kk_html_raw(h, ")</span><form method=post action=\"/logout\">");
	kk_web_csrf_input(r, h);
	kk_html_raw(h, "<button id=logout>Log out</button></form></header>");
}

void
kk_web_page(kk_web_req *r, int status, const char *title, const char *error, kk_html *body)
{
	kk_html h = {0};
	kk_http_resp *resp = r->resp;

	kk_html_raw(&h, "<!doctype html><html lang=en><head><meta charset=utf-8>"
	    "<meta name=viewport content=\"width=device-width\"><title>");
	kk_html_esc(&h, title);
	kk_html_raw(&h, " - kakuin review</title><style>");
	kk_html_raw(&h, page_css);
	kk_html_raw(&h, "</style></head><body>");
	nav(r, &h);
	kk_html_raw(&h, "<main><h1>");
	kk_html_esc(&h, title);
	kk_html_raw(&h, "</h1>");
	if (error != NULL) {
		kk_html_raw(&h, "<p class=err id=error role=alert>");
		kk_html_esc(&h, error);
		kk_html_raw(&h, "</p>");
	}
	if (body != NULL && body->p != NULL)
		kk_html_raw(&h, body->p);
	kk_html_raw(&h, "</main></body></html>\n");
	if (body != NULL) {
		if (body->oom)
			h.oom = 1;
		kk_html_free(body);
	}
	free(resp->body);
	if (h.oom) {
		kk_html_free(&h);
		kk_log("error", "review-web", "out of memory rendering %s", title);
		resp->body = kk_strdup("out of memory\n");
		resp->content_type = "text/plain; charset=utf-8";
		status = 500;
	} else {
		resp->body = h.p;
		resp->content_type = "text/html; charset=utf-8";
	}
	resp->body_len = resp->body ? strlen(resp->body) : 0;
	resp->status = status;
	web_headers(resp);
}

void
kk_web_error(kk_web_req *r, const char *what, const kk_err *e)
{
	kk_html h = {0};
	int status = kk_web_status(e);

	if (status == 500) {
		kk_log("error", "review-web", "%s: %s", what, e->detail);
		kk_html_raw(&h, "<p>The request failed; the server log has the details.</p>");
	} else {
		kk_html_raw(&h, "<p>");
		kk_html_esc(&h, e->detail);
		kk_html_raw(&h, "</p>");
	}
	kk_html_raw(&h, "<p><a href=\"/\">Back to the queue</a></p>");
	kk_web_page(r, status, status == 404 ? "Not found" : status == 500 ? "Internal error" :
	    "Refused", NULL, &h);
}
